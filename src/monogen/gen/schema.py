"""What to generate: the features of a record and how each is typed.

A ``Schema`` is built once from user input (flags, config file, feature list) and
is then read-only; the generators never look at user input again. Building it is
where every input error is caught, so a bad flag fails before any output exists.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import cast

import numpy as np
from google.protobuf.descriptor import FieldDescriptor

from monogen.errors import FeatureListError, SchemaError
from monogen.gen import fids
from monogen.gen.featurelist import Feature, FeatureList
from monogen.gen.spec import DenseGen, GenSpec, SparseGen
from monogen.proto import line_id_pb2

log = logging.getLogger(__name__)

LINE_ID_DESCRIPTOR = line_id_pb2.LineId.DESCRIPTOR
USER_ID_SLOT = 1
ITEM_ID_SLOT = 200
# Slots that always carry exactly one fid: every record has one user and one item.
SINGLE_FID_SLOTS = frozenset({USER_ID_SLOT, ITEM_ID_SLOT})
SEQUENCE_METHODS = frozenset({"Combine", "VectorTopString"})
LABEL = "label"
SPARSE_SHAPE = -1


class DType(str, Enum):
    """Value types a feature can have (numpy names, TensorFlow's are accepted too)."""

    FLOAT32 = "float32"
    FLOAT64 = "float64"
    INT32 = "int32"
    INT64 = "int64"
    BOOL = "bool"
    STRING = "string"

    @classmethod
    def parse(cls, value: str | np.dtype | type | DType) -> DType:
        if isinstance(value, DType):
            return value
        if not isinstance(value, str):
            try:
                value = np.dtype(value).name  # numpy dtypes and python types
            except TypeError:
                value = getattr(value, "name", str(value))  # e.g. tf.float32
        key = str(value).strip().lower().removeprefix("tf.").removeprefix("dt_")
        try:
            return _DTYPE_ALIASES[key]
        except KeyError:
            valid = ", ".join(d.value for d in cls)
            raise SchemaError(f"unknown dtype {value!r} (expected one of: {valid})") from None


_DTYPE_ALIASES = {d.value: d for d in DType} | {
    "float": DType.FLOAT32,
    "double": DType.FLOAT64,
    "int": DType.INT64,
    "long": DType.INT64,
    "str": DType.STRING,
    "bytes": DType.STRING,
    "object": DType.STRING,
    "bool_": DType.BOOL,
    "uint32": DType.INT32,
    "uint64": DType.INT64,
}

# LineId field type -> the dtype a feature of that name has.
LINE_ID_DTYPES = {
    FieldDescriptor.TYPE_FLOAT: DType.FLOAT32,
    FieldDescriptor.TYPE_DOUBLE: DType.FLOAT32,
    FieldDescriptor.TYPE_INT32: DType.INT32,
    FieldDescriptor.TYPE_SINT32: DType.INT32,
    FieldDescriptor.TYPE_SFIXED32: DType.INT32,
    FieldDescriptor.TYPE_UINT32: DType.INT32,
    FieldDescriptor.TYPE_FIXED32: DType.INT32,
    FieldDescriptor.TYPE_INT64: DType.INT64,
    FieldDescriptor.TYPE_SINT64: DType.INT64,
    FieldDescriptor.TYPE_SFIXED64: DType.INT64,
    FieldDescriptor.TYPE_UINT64: DType.INT64,
    FieldDescriptor.TYPE_FIXED64: DType.INT64,
    FieldDescriptor.TYPE_BOOL: DType.BOOL,
    FieldDescriptor.TYPE_STRING: DType.STRING,
    FieldDescriptor.TYPE_BYTES: DType.STRING,
}


def line_id_field(name: str) -> FieldDescriptor | None:
    # The upb runtime's descriptor class stands in for the pure-Python one.
    return cast("FieldDescriptor | None", LINE_ID_DESCRIPTOR.fields_by_name.get(name))


@dataclass(frozen=True)
class FeatureMeta:
    """One feature: a sparse one has a slot (shape -1), a dense one a shape >= 1."""

    name: str
    slot: int | None = None
    shape: int = 1
    dtype: DType = DType.FLOAT32
    # The feature-list entry; left out of equality and hashing (it is a mutable record).
    conf: Feature | None = field(default=None, compare=False)
    # How its values are drawn (a generation spec); None keeps the original's rule.
    gen: SparseGen | DenseGen | None = None

    @property
    def is_sparse(self) -> bool:
        return self.slot is not None

    @property
    def has_sequence_name(self) -> bool:
        """Names with ``_recent`` or ``_cp`` mark a sequence (recent items, co-play lists)."""
        return "_recent" in self.name or "_cp" in self.name

    @property
    def is_sequence(self) -> bool:
        """Sequence-like sparse features carry 0..2 fids and are dropped more often."""
        if self.has_sequence_name:
            return True
        return self.conf is not None and self.conf.method in SEQUENCE_METHODS

    @classmethod
    def make(
        cls,
        name: str,
        *,
        slot: int | None = None,
        shape: int | None = None,
        dtype: str | DType | np.dtype | None = None,
        conf: Feature | None = None,
    ) -> FeatureMeta:
        """Apply the defaults of the original ``FeatureMeta``: shape and dtype from the kind."""
        if shape is None:
            shape = SPARSE_SHAPE if slot is not None else 1
        elif slot is None and shape < 1:
            raise SchemaError(f"feature {name!r}: shape must be >= 1, not {shape}")
        if dtype is not None:
            resolved = DType.parse(dtype)
        elif (fd := line_id_field(name)) is not None:
            resolved = LINE_ID_DTYPES.get(fd.type, DType.FLOAT32)
        else:
            resolved = DType.INT64 if slot is not None else DType.FLOAT32
        return cls(name=name, slot=slot, shape=shape, dtype=resolved, conf=conf)


@dataclass(frozen=True)
class DenseSpec:
    """A dense feature as the user wrote it: ``name:shape[:dtype]``."""

    name: str
    shape: int = 1
    dtype: DType | None = None  # None: inferred (LineId field type, else float32)

    @classmethod
    def parse(cls, text: str) -> DenseSpec:
        parts = text.split(":")
        if not parts[0] or len(parts) > 3:
            raise SchemaError(f"bad dense feature {text!r}: expected name:shape[:dtype]")
        shape = _parse_shape(text, parts[1]) if len(parts) > 1 else 1
        dtype = DType.parse(parts[2]) if len(parts) > 2 else None
        return cls(parts[0], shape, dtype)


@dataclass(frozen=True)
class ExtraSpec:
    """A LineId field to fill: ``field[:shape]`` (shape = count for repeated fields)."""

    name: str
    shape: int = 1

    @classmethod
    def parse(cls, text: str) -> ExtraSpec:
        name, _, shape = text.partition(":")
        if not name:
            raise SchemaError(f"bad extra feature {text!r}: expected field[:shape]")
        return cls(name, _parse_shape(text, shape) if shape else 1)


def _parse_shape(text: str, shape: str) -> int:
    try:
        value = int(shape)
    except ValueError:
        raise SchemaError(f"bad shape in {text!r}: {shape!r} is not an integer") from None
    if value < 1:
        raise SchemaError(f"bad shape in {text!r}: shape must be >= 1")
    return value


_SLOT_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


def parse_slot_ranges(text: str) -> list[int]:
    """``"1-3,7"`` -> ``[1, 2, 3, 7]``."""
    slots: list[int] = []
    for part in text.split(","):
        match = _SLOT_RANGE.match(part.strip())
        if not match:
            raise SchemaError(f"bad slot range {part.strip()!r} in {text!r}: expected N or N-M")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if last < first:
            raise SchemaError(f"bad slot range {part.strip()!r}: {last} < {first}")
        slots.extend(range(first, last + 1))
    return slots


_NAMED_SLOT = re.compile(r"^(?:fc_)?slot_(\d+)$")


def slot_in_name(name: str) -> int | None:
    """N for the names ``slot_N`` and ``fc_slot_N``, else None."""
    match = _NAMED_SLOT.match(name)
    return int(match.group(1)) if match else None


def assign_slots(names: Sequence[str], feature_list: FeatureList | None) -> list[int]:
    """Slots for named sparse features.

    From the feature list when it knows the name; else ``slot_N``/``fc_slot_N``
    mean N; any other name takes the smallest slot that neither another feature
    nor the feature list uses, in order of first appearance.

    Features the list itself puts on one slot share it, as the list says. A
    collision monogen would create is an error naming both features: a slot from
    a name that another feature of the record, or of the list, already has.
    """
    fixed: dict[str, int] = {}
    from_list: set[str] = set()
    for name in names:
        conf = feature_list.get(name) if feature_list else None
        if conf is not None and conf.slot is not None:
            fixed[name] = conf.slot
            from_list.add(name)
        elif (named := slot_in_name(name)) is not None:
            fixed[name] = named
    _refuse_collisions(fixed, from_list, feature_list)
    listed = {f.slot for f in feature_list if f.slot is not None} if feature_list else set()
    used = set(fixed.values()) | listed
    next_free = 1
    slots = []
    for name in names:
        if name not in fixed:
            while next_free in used:
                next_free += 1
            fixed[name] = next_free
            used.add(next_free)
        slots.append(fids.V2.check_slot(fixed[name]))
    return slots


def _refuse_collisions(
    fixed: dict[str, int], from_list: set[str], feature_list: FeatureList | None
) -> None:
    def source(name: str) -> str:
        return "from the feature list" if name in from_list else "from its name"

    holder: dict[int, str] = {}
    for name, slot in fixed.items():
        other = holder.setdefault(slot, name)
        if other != name and not (name in from_list and other in from_list):
            raise SchemaError(
                f"slot {slot} would hold both {other} ({source(other)}) and {name} ({source(name)})"
            )
    if feature_list is None:
        return
    for name, slot in fixed.items():
        owners = [] if name in from_list else feature_list.get_with_slot(slot)
        if owners:
            raise SchemaError(
                f"{name} is on slot {slot} (from its name), which {feature_list.path} "
                f"gives to {owners[0].feature_name}"
            )


@dataclass(frozen=True)
class Schema:
    """The resolved features of a record, for every variant.

    ``sparse`` are fid-v2 features of Example/ExampleBatch; ``fidv1_slots`` and
    ``fidv2`` are the Instance's fid-v1 slots and fid-v2 feature columns; ``dense``
    excludes ``label``, whose shape becomes ``label_shape``.
    """

    sparse: tuple[FeatureMeta, ...] = ()
    fidv1_slots: tuple[int, ...] = ()
    fidv2: tuple[FeatureMeta, ...] = ()
    dense: tuple[FeatureMeta, ...] = ()
    label_shape: int | None = None
    extra: tuple[ExtraSpec, ...] = ()
    feature_list: FeatureList | None = field(default=None, compare=False)
    missing_from_feature_list: tuple[str, ...] = ()
    # False when fidv2 was chosen on purpose, even empty (a list of fid-v1 features only).
    instance_columns_from_sparse: bool = True
    # Generation specs of the fid-v1 slots (aligned with fidv1_slots) and label rates.
    fidv1_gen: tuple[SparseGen | None, ...] = ()
    positive_rate: tuple[float, ...] | None = None

    @classmethod
    def build(
        cls,
        *,
        sparse: Iterable[str] = (),
        fidv1_slots: Iterable[int] = (),
        fidv2: Iterable[str] = (),
        dense: Iterable[DenseSpec | str] = (),
        extra: Iterable[ExtraSpec | str] = (),
        feature_list: FeatureList | None = None,
    ) -> Schema:
        """Validate user input and resolve slots, shapes and dtypes."""
        sparse_names = _unique_names("sparse", sparse)
        fidv2_names = _unique_names("fidv2", fidv2)
        v1 = [fids.V1.check_slot(int(s)) for s in fidv1_slots]
        if len(set(v1)) != len(v1):
            dup = sorted({s for s in v1 if v1.count(s) > 1})
            raise SchemaError(f"fid v1 slots must be distinct; repeated: {dup}")
        dense_specs = [d if isinstance(d, DenseSpec) else DenseSpec.parse(d) for d in dense]
        _unique_names("dense", [d.name for d in dense_specs])
        clash = set(sparse_names) & {d.name for d in dense_specs}
        if clash:
            raise SchemaError(f"features are both sparse and dense: {sorted(clash)}")
        label = next((d for d in dense_specs if d.name == LABEL), None)
        extras = tuple(e if isinstance(e, ExtraSpec) else ExtraSpec.parse(e) for e in extra)
        _unique_names("extra", [e.name for e in extras])
        unknown = [e.name for e in extras if line_id_field(e.name) is None]
        if unknown:
            # Monolith configs name fields (e.g. stay_time) that this LineId lacks.
            names = ", ".join(unknown)
            log.warning("skipping extra features that are not LineId fields: %s", names)
            extras = tuple(e for e in extras if e.name not in unknown)

        def sparse_metas(names: list[str]) -> tuple[FeatureMeta, ...]:
            slots = assign_slots(names, feature_list)
            return tuple(
                FeatureMeta.make(n, slot=s, conf=feature_list.get(n) if feature_list else None)
                for n, s in zip(names, slots, strict=True)
            )

        missing: tuple[str, ...] = ()
        if feature_list is not None:
            missing = tuple(n for n in fidv2_names if feature_list.get(n) is None)
        return cls(
            sparse=sparse_metas(sparse_names),
            fidv1_slots=tuple(v1),
            fidv2=sparse_metas(fidv2_names),
            dense=tuple(
                FeatureMeta.make(d.name, shape=d.shape, dtype=d.dtype)
                for d in dense_specs
                if d.name != LABEL
            ),
            label_shape=label.shape if label else None,
            extra=extras,
            feature_list=feature_list,
            missing_from_feature_list=missing,
        )

    @property
    def instance_columns(self) -> tuple[FeatureMeta, ...]:
        """Instance fid-v2 columns: ``fidv2`` when given, else the sparse features."""
        if self.fidv2 or not self.instance_columns_from_sparse:
            return self.fidv2
        return self.sparse

    def without_label(self) -> Schema:
        """The schema minus a dense ``label`` (warmup requests carry no labels)."""
        return replace(self, label_shape=None)

    @property
    def dense_names(self) -> frozenset[str]:
        """The dense features' names (their spec tables have dense keys)."""
        return frozenset(m.name for m in self.dense)

    def with_spec(self, spec: GenSpec, *, source: str) -> Schema:
        """This schema drawn as ``spec`` says (docs/generation.md, "Generation specs").

        A fid-v1 slot N takes the table ``slot_N``; every other table must name a
        feature of the schema, so a misspelt name is an error, not uniform data.
        """
        if spec.is_empty:
            return self
        sparse_names = {m.name for m in (*self.sparse, *self.fidv2)}
        v1_names = {f"slot_{slot}" for slot in self.fidv1_slots}
        unknown = sorted(set(spec.sparse) - sparse_names - v1_names)
        unknown += sorted(set(spec.dense) - {m.name for m in self.dense})
        if unknown:
            raise SchemaError(f"{source}: spec tables name no feature of the schema: {unknown}")
        if spec.positive_rate and len(spec.positive_rate) not in (1, self.label_shape or 1):
            raise SchemaError(
                f"{source}: {len(spec.positive_rate)} positive rates for "
                f"{self.label_shape or 1} label(s)"
            )

        def sparse(metas: tuple[FeatureMeta, ...]) -> tuple[FeatureMeta, ...]:
            return tuple(replace(m, gen=spec.for_sparse(m.name)) for m in metas)

        return replace(
            self,
            sparse=sparse(self.sparse),
            fidv2=sparse(self.fidv2),
            dense=tuple(replace(m, gen=spec.for_dense(m.name)) for m in self.dense),
            fidv1_gen=tuple(spec.for_sparse(f"slot_{slot}") for slot in self.fidv1_slots),
            positive_rate=spec.positive_rate,
        )


def _unique_names(kind: str, names: Iterable[str]) -> list[str]:
    result = [str(n).strip() for n in names]
    if any(not n for n in result):
        raise SchemaError(f"{kind} feature names must be non-empty")
    dups = sorted({n for n in result if result.count(n) > 1})
    if dups:
        raise SchemaError(f"duplicate {kind} feature names: {', '.join(dups)}")
    return result


DEFAULT_SPARSE = (
    "slot_1",  # user id: always one fid
    "slot_200",  # item id: always one fid
    *(f"slot_{n}" for n in range(2, 10)),
    "user_recent_items",  # sequence-like: 0..2 fids, dropped at drop_rate
)
DEFAULT_DENSE = ("user_embedding:16:float32", "item_ctr:1:float32", "item_price:1:float64")
DEFAULT_FIDV1_SLOTS = (1, 200, *range(2, 10))
DEFAULT_DESCRIPTION = (
    "built-in default schema: 11 sparse features (slot_1, slot_200, slot_2..slot_9, "
    "user_recent_items), 3 dense (user_embedding:16, item_ctr:1, item_price:1:float64); "
    "instance: fid v1 slots 1, 200, 2..9 and the sparse names as fid v2 columns"
)


# `monogen schema --json`: the document's shape, versioned so a reader can rely on it.
# Bump SCHEMA_JSON_VERSION when a key changes meaning or goes away; adding a key does not.
SCHEMA_JSON_VERSION = 1


def schema_document(schema: Schema, *, is_default: bool) -> dict[str, object]:
    """The schema as a JSON-ready document (shape documented in the README).

    ``sparse`` are the Example/ExampleBatch fid-v2 features; ``instance`` the
    Instance's fid-v1 slots and fid-v2 column names; ``label_shape`` is null
    without a label; ``line_id`` the LineId fields filled (empty: the default set).
    """
    return {
        "schema_json_version": SCHEMA_JSON_VERSION,
        "default_schema": is_default,
        "sparse": [
            {"name": m.name, "slot": m.slot, "dtype": m.dtype.value, "sequence": m.is_sequence}
            for m in schema.sparse
        ],
        "instance": {
            "fidv1_slots": list(schema.fidv1_slots),
            "fidv2_columns": [m.name for m in schema.instance_columns],
        },
        "dense": [{"name": m.name, "shape": m.shape, "dtype": m.dtype.value} for m in schema.dense],
        "label_shape": schema.label_shape,
        "line_id": [{"name": e.name, "shape": e.shape} for e in schema.extra],
    }


def default_schema(*, extra: Sequence[str | ExtraSpec] = ()) -> Schema:
    """A small realistic schema so ``monogen example`` alone prints something useful.

    ``extra`` LineId fields are added to it: asking for LineId fields alone does
    not describe any features, but must not be dropped either.
    """
    return Schema.build(
        sparse=DEFAULT_SPARSE, fidv1_slots=DEFAULT_FIDV1_SLOTS, dense=DEFAULT_DENSE, extra=extra
    )


def slot_names(ranges: str) -> list[str]:
    """``--slots 1-3`` is shorthand for the sparse features ``slot_1 slot_2 slot_3``."""
    return [f"slot_{n}" for n in parse_slot_ranges(ranges)]


def schema_from_inputs(
    *,
    sparse: Sequence[str] = (),
    slots: str | None = None,
    fidv1_slots: str | None = None,
    fidv2: Sequence[str] = (),
    dense: Sequence[str | DenseSpec] = (),
    extra: Sequence[str | ExtraSpec] = (),
    feature_list: FeatureList | None = None,
) -> tuple[Schema, bool]:
    """The schema the user described, or the default one when they described none.

    Returns ``(schema, is_default)`` so callers can say that the default was used.
    ``extra`` (LineId fields, not features) is kept either way.
    """
    names = [*(slot_names(slots) if slots else []), *sparse]
    v1 = parse_slot_ranges(fidv1_slots) if fidv1_slots else []
    if not (names or v1 or fidv2):
        if feature_list is not None:
            return feature_list_schema(feature_list, dense=dense, extra=extra), False
        if not dense:
            return default_schema(extra=extra), True
    schema = Schema.build(
        sparse=names,
        fidv1_slots=v1,
        fidv2=fidv2,
        dense=dense,
        extra=extra,
        feature_list=feature_list,
    )
    return schema, False


def feature_list_schema(
    feature_list: FeatureList,
    *,
    dense: Sequence[str | DenseSpec] = (),
    extra: Sequence[str | ExtraSpec] = (),
) -> Schema:
    """Every feature of the list, each on the slot the list gives it.

    Example and ExampleBatch carry them all as fid v2. An Instance carries the
    fid-v1 features (slot up to 1023, no ``feature_version=2``) in ``Instance.fid``,
    one entry per slot since features of a list may share one, and the fid-v2
    features as feature columns.
    """
    features = list(feature_list)
    if not features:
        raise FeatureListError(f"{feature_list.path}: the feature list defines no features")
    v1_slots = dict.fromkeys(f.slot for f in features if f.slot is not None and f.fid_version == 1)
    v2_names = [f.feature_name or "" for f in features if f.fid_version == 2]
    schema = Schema.build(
        sparse=list(feature_list.features),
        fidv1_slots=list(v1_slots),
        fidv2=v2_names,
        dense=dense,
        extra=extra,
        feature_list=feature_list,
    )
    return replace(schema, instance_columns_from_sparse=False)
