"""Drop-in replacement for Monolith's ``model_export/data_gen_utils``.

Existing code switches one import::

    from monogen import data_gen_utils   # was: from monolith...model_export import data_gen_utils

The public names keep the original signatures, with two differences: dtypes are
strings or numpy dtypes instead of TensorFlow's (``"float32"``, ``np.int64``; a
``tf.float32`` also works, by name), and randomness is reproducible — call
``seed(n)`` once and every later call draws from that seed. Each function is a
thin wrapper over monogen's core, so it produces exactly what ``monogen`` does.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import singledispatch
from typing import Any, ClassVar, cast

import numpy as np
from google.protobuf.descriptor import FieldDescriptor

from monogen.encode import reference as messages
from monogen.errors import HeaderOptionsError
from monogen.formats import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_RECORDS,
    DEFAULT_MODEL_NAME,
    DEFAULT_SIGNATURE,
    PARSER_ARGS_DROP_RATE,
    Variant,
)
from monogen.gen import fids
from monogen.gen.featurelist import Feature, FeatureList
from monogen.gen.fids import MASK_V1, MASK_V2, MAX_SLOT_V1, MAX_SLOT_V2
from monogen.gen.generator import RecordGenerator
from monogen.gen.sampling import LineIdPlan, SparsePlan, SparseSpec, draw_dense
from monogen.gen.schema import (
    LINE_ID_DESCRIPTOR,
    LINE_ID_DTYPES,
    DenseSpec,
    DType,
    ExtraSpec,
    Schema,
    feature_list_schema,
    slot_in_name,
)
from monogen.gen.schema import FeatureMeta as _CoreMeta
from monogen.io import datafile
from monogen.io.datafile import GenerateSummary, HeaderOptions, lg_header, sort_header
from monogen.io.output import open_output
from monogen.proto import (
    example_pb2,
    feature_pb2,
    line_id_pb2,
    predict_pb2,
    prediction_log_pb2,
    proto_parser_pb2,
)
from monogen.proto.example_pb2 import Example, ExampleBatch
from monogen.proto.example_pb2 import Feature as EFeature
from monogen.proto.feature_pb2 import Feature as IFeature
from monogen.proto.line_id_pb2 import LineId
from monogen.proto.proto_parser_pb2 import Instance
from monogen.serving.warmup import (
    WarmupPlan,
    plan_requests,
    prediction_logs,
    write_warmup_file,
)

__all__ = [
    "DEFAULT_SERVING_SIGNATURE_DEF_KEY",
    "MASK_V1",
    "MASK_V2",
    "MAX_SLOT_V1",
    "MAX_SLOT_V2",
    "EFeature",
    "Example",
    "ExampleBatch",
    "Feature",
    "FeatureList",
    "FeatureMeta",
    "IFeature",
    "Instance",
    "LineId",
    "ParserArgs",
    "add_to_collections",
    "clear_collections",
    "fill_features",
    "fill_line_id",
    "gen_example",
    "gen_example_batch",
    "gen_fids_v1",
    "gen_fids_v2",
    "gen_instance",
    "gen_prediction_log",
    "gen_random_data_file",
    "gen_warmup_file",
    "get_collection",
    "get_feature_name_and_slot",
    "lg_header",
    "predict_pb2",
    "prediction_log_pb2",
    "seed",
    "sort_header",
]

# The original imported TensorFlow's name for the default signature key.
DEFAULT_SERVING_SIGNATURE_DEF_KEY = DEFAULT_SIGNATURE

log = logging.getLogger(__name__)

LINE_ID_HASH_LEN = 48
_rng = np.random.default_rng()


def seed(value: int) -> None:
    """Make every later call reproducible (the original could not be seeded)."""
    global _rng
    _rng = np.random.default_rng(value)


def _next_seed() -> int:
    return int(_rng.integers(0, 2**63 - 1))


# --------------------------------------------------------------------------- collections
#
# The original read ParserArgs' defaults from TensorFlow graph collections, filled by
# the export code with add_to_collections. These stand in for them, without a graph.

_collections: dict[str, list[Any]] = {}


def add_to_collections(names: str | Sequence[str], value: Any) -> None:
    """Append ``value`` to each named collection (what ``ParserArgs.get`` reads)."""
    for name in [names] if isinstance(names, str) else names:
        _collections.setdefault(name, []).append(value)


def get_collection(name: str) -> list[Any] | None:
    """The values added under ``name``, oldest first, or None when there are none."""
    values = _collections.get(name)
    return list(values) if values else None


def clear_collections() -> None:
    """Forget every collection (the original's equivalent is a fresh graph)."""
    _collections.clear()


# Names of sparse features met without a slot, numbered in order as the original did.
_NUMBERED_NAMES: dict[str, int] = {}


def get_feature_name_and_slot(
    item: int | str | Any, feature_list: FeatureList | None = None
) -> tuple[str, int | None]:
    """``(feature name, slot)`` for a slot, a name, or a feature column.

    As the original: a slot takes its name from the feature list, else ``slot_N``;
    a name known to the list takes its slot; ``slot_N``/``fc_slot_N`` mean N; any
    other name gets the next number, the same one each time it is asked. The
    original read the list from a command-line flag; here it is a parameter.
    """
    if isinstance(item, int):
        feature = feature_list.get(item) if feature_list is not None else None
        return (feature.feature_name if feature is not None else f"slot_{item}"), item
    if isinstance(item, str):
        if feature_list is not None and item in feature_list:
            return item, feature_list[item].slot
        slot = slot_in_name(item)
        if slot is None:
            slot = _NUMBERED_NAMES.setdefault(item, len(_NUMBERED_NAMES) + 1)
        return item, slot
    return item.feature_name, item.feature_slot


class FeatureMeta(_CoreMeta):
    """``FeatureMeta(name, slot=None, shape=None, dtype=None, extra=None)`` as in Monolith.

    Shape defaults to 1 for dense and -1 for sparse features; dtype is inferred from
    the LineId field of the same name, else float32 (dense) or int64 (sparse).
    ``extra`` is the feature-list entry, if any. ``line_id_fields`` and ``dtypes``
    are the original's class tables (dtypes keyed by C++ type, as monogen dtypes).
    """

    # The upb runtime's descriptor class stands in for the pure-Python one.
    line_id_fields: ClassVar[dict[str, FieldDescriptor]] = {
        f.name: cast("FieldDescriptor", f) for f in LINE_ID_DESCRIPTOR.fields
    }
    dtypes: ClassVar[dict[int, DType]] = {
        FieldDescriptor.ProtoTypeToCppProtoType(t): d for t, d in LINE_ID_DTYPES.items()
    }

    def __init__(
        self,
        name: str,
        slot: int | None = None,
        shape: int | None = None,
        dtype: Any = None,
        extra: Any = None,
    ) -> None:
        core = _CoreMeta.make(name, slot=slot, shape=shape, dtype=dtype, conf=extra)
        super().__init__(core.name, core.slot, core.shape, core.dtype, core.conf)

    @property
    def extra(self) -> Any:
        return self.conf


# The settings the original's ParserArgs took from collections when not given.
_FROM_COLLECTIONS = (
    "model_name",
    "fidv1_features",
    "fidv2_features",
    "sparse_features",
    "dense_features",
    "dense_feature_shapes",
    "dense_feature_types",
    "extra_features",
    "extra_feature_shapes",
    "feature_list",
    "signature_name",
    "variant_type",
)


@dataclass
class ParserArgs:
    """The original's inputs: arguments, and for those unset or empty the collections
    (``add_to_collections`` stands in for the original's TensorFlow graph collections).

    ``signature_name`` always includes ``serving_default``; duplicates are dropped
    and the user's order is kept (the original went through a set, so its order
    changed between runs). ``seed``, ``req_time``, ``output_heads`` and ``actions``
    are monogen's additions.
    """

    model_name: str = DEFAULT_MODEL_NAME
    fidv1_features: list[int] | None = None
    fidv2_features: list[str] | None = None
    sparse_features: list[str] | None = None
    dense_features: list[str] | None = None
    dense_feature_shapes: list[int] | None = None
    dense_feature_types: list[Any] | None = None
    extra_features: list[str] | None = None
    extra_feature_shapes: list[int] | None = None
    feature_list: FeatureList | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    max_records: int = DEFAULT_MAX_RECORDS
    signature_name: list[str] = field(default_factory=list)
    variant_type: str | None = None
    warmup_file: str | None = None
    drop_rate: float = PARSER_ARGS_DROP_RATE
    seed: int | None = None
    req_time: int | None = None
    output_heads: list[str] = field(default_factory=list)
    actions: list[int] | None = None

    def __post_init__(self) -> None:
        for name in _FROM_COLLECTIONS:
            if not getattr(self, name):
                setattr(self, name, self.get(name) or getattr(self, name))
        if not self.model_name:
            self.model_name = DEFAULT_MODEL_NAME
        names = [*(self.signature_name or []), DEFAULT_SIGNATURE]
        self.signature_name = list(dict.fromkeys(names))

    @classmethod
    def get(cls, name: str) -> Any:
        """The value of collection ``name``: the last one added, or for ``signature_name``
        all of them (order kept, duplicates dropped); None when it is empty."""
        values = get_collection(name)
        if values is None:
            return None
        if name == "signature_name":
            return list(dict.fromkeys(values))
        return values[-1]

    def schema(self) -> Schema:
        """The features to generate; a feature list alone supplies all of its features."""
        dense = self.dense_features or []
        shapes = self.dense_feature_shapes or [1] * len(dense)
        types = self.dense_feature_types or [None] * len(dense)
        extra = self.extra_features or []
        extra_shapes = self.extra_feature_shapes or [1] * len(extra)
        dense_specs = [
            DenseSpec(n, s, None if t is None else DType.parse(t))
            for n, s, t in zip(dense, shapes, types, strict=True)
        ]
        extra_specs = [ExtraSpec(n, s) for n, s in zip(extra, extra_shapes, strict=True)]
        named = self.sparse_features or self.fidv1_features or self.fidv2_features
        if self.feature_list is not None and not named:
            return feature_list_schema(self.feature_list, dense=dense_specs, extra=extra_specs)
        return Schema.build(
            sparse=self.sparse_features or (),
            fidv1_slots=self.fidv1_features or (),
            fidv2=self.fidv2_features or (),
            dense=dense_specs,
            extra=extra_specs,
            feature_list=self.feature_list,
        )

    def generator(
        self, variant: Variant | str | None = None, *, schema: Schema | None = None
    ) -> RecordGenerator:
        """A generator for these arguments (``schema`` overrides ``self.schema()``);
        ``seed`` None draws from ``seed()``'s stream."""
        chosen = variant or self.variant_type
        if chosen is None:
            raise ValueError("ParserArgs.variant_type is not set")
        return RecordGenerator(
            schema or self.schema(),
            chosen,
            seed=_next_seed() if self.seed is None else self.seed,
            batch_size=self.batch_size,
            drop_rate=self.drop_rate,
            req_time=self.req_time,
            actions=self.actions,
        )


def gen_fids_v1(slot: int, size: int = 1) -> list[int]:
    """``size`` random fid-v1 values in ``slot`` (1..1023; out of range raises SlotError)."""
    return [int(f) for f in fids.V1.random(_rng, slot, size)]


def gen_fids_v2(slot: int, size: int = 1) -> list[int]:
    """``size`` random fid-v2 values in ``slot`` (1..65535; out of range raises SlotError)."""
    return [int(f) for f in fids.V2.random(_rng, slot, size)]


@singledispatch
def fill_features(feature: Any, meta: _CoreMeta, drop_rate: float = 0) -> None:
    raise NotImplementedError(f"fill_features does not know {type(feature).__name__}")


@fill_features.register
def _fill_example_feature(
    feature: example_pb2.Feature, meta: _CoreMeta, drop_rate: float = 0
) -> None:
    if meta.is_sparse:
        draw = SparsePlan([SparseSpec.example(meta)]).draw(_rng, 1, drop_rate=drop_rate)[0]
        if draw.present[0]:
            feature.fid_v2_list.value.extend(draw.row(0).tolist())
        return
    values = draw_dense(_rng, meta, 1)
    if values is not None:
        messages.set_example_dense(feature, meta, values[0])


@fill_features.register
def _fill_instance_feature(
    feature: feature_pb2.Feature, meta: _CoreMeta, drop_rate: float = 0
) -> None:
    feature.name = meta.name
    if meta.is_sparse:
        spec = SparseSpec.instance_column(meta)
        draw = SparsePlan([spec]).draw(_rng, 1, drop_rate=drop_rate)[0]
        feature.fid.extend(draw.row(0).tolist())
        return
    values = draw_dense(_rng, meta, 1)
    if values is not None:
        messages.set_instance_dense(feature, meta, values[0])


def fill_line_id(
    line_id: line_id_pb2.LineId,
    features: Sequence[_CoreMeta] | None = None,
    hash_len: int = LINE_ID_HASH_LEN,
    actions: Sequence[int] | None = None,
    *,
    req_time: int | None = None,
) -> None:
    """Fill ``line_id`` as Monolith did; ``features`` names the fields (default: uid, item_id,
    req_time, sample_rate and one action)."""
    if hash_len != LINE_ID_HASH_LEN:
        raise ValueError(f"only hash_len={LINE_ID_HASH_LEN} is supported, not {hash_len}")
    extra = [ExtraSpec(m.name, max(m.shape, 1)) for m in features or ()]
    plan = LineIdPlan.build(
        extra, req_time=int(time.time()) if req_time is None else req_time, actions=actions
    )
    messages.fill_line_id(line_id, plan.draw(_rng, 1), 0)


def _dense_specs(metas: Sequence[_CoreMeta] | None) -> list[DenseSpec]:
    return [DenseSpec(m.name, m.shape, m.dtype) for m in metas or ()]


def _extra_specs(metas: Sequence[_CoreMeta] | None) -> list[ExtraSpec]:
    return [ExtraSpec(m.name, max(m.shape, 1)) for m in metas or ()]


def _one_batch(schema: Schema, variant: Variant, rows: int, drop_rate: float,
               actions: Sequence[int] | None) -> list[Any]:  # fmt: skip
    generator = RecordGenerator(
        schema, variant, seed=_next_seed(), batch_size=rows, drop_rate=drop_rate, actions=actions
    )
    return list(generator.batch_messages())


def gen_example(
    sparse_features: Sequence[str],
    dense_features: Sequence[_CoreMeta] | None = None,
    extra_features: Sequence[_CoreMeta] | None = None,
    feature_list: FeatureList | None = None,
    drop_rate: float = 0,
    actions: Sequence[int] | None = None,
) -> example_pb2.Example:
    schema = Schema.build(
        sparse=sparse_features,
        dense=_dense_specs(dense_features),
        extra=_extra_specs(extra_features),
        feature_list=feature_list,
    )
    return _one_batch(schema, Variant.EXAMPLE, 1, drop_rate, actions)[0]


def gen_instance(
    fidv1_features: Sequence[int] | None = None,
    fidv2_features: Sequence[str] | None = None,
    dense_features: Sequence[_CoreMeta] | None = None,
    extra_features: Sequence[_CoreMeta] | None = None,
    feature_list: FeatureList | None = None,
    drop_rate: float = 0,
    actions: Sequence[int] | None = None,
) -> proto_parser_pb2.Instance:
    schema = Schema.build(
        fidv1_slots=fidv1_features or (),
        fidv2=fidv2_features or (),
        dense=_dense_specs(dense_features),
        extra=_extra_specs(extra_features),
        feature_list=feature_list,
    )
    return _one_batch(schema, Variant.INSTANCE, 1, drop_rate, actions)[0]


def gen_example_batch(
    sparse_features: Sequence[str],
    dense_features: Sequence[_CoreMeta] | None = None,
    extra_features: Sequence[_CoreMeta] | None = None,
    feature_list: FeatureList | None = None,
    batch_size: int = 64,
    drop_rate: float = 0,
    actions: Sequence[int] | None = None,
) -> example_pb2.ExampleBatch:
    schema = Schema.build(
        sparse=sparse_features,
        dense=_dense_specs(dense_features),
        extra=_extra_specs(extra_features),
        feature_list=feature_list,
    )
    return _one_batch(schema, Variant.EXAMPLE_BATCH, batch_size, drop_rate, actions)[0]


# --------------------------------------------------------------------------- warmup requests


def gen_prediction_log(args: ParserArgs) -> Iterator[prediction_log_pb2.PredictionLog]:
    """Monolith's warmup PredictionLogs for ``args``, over ``monogen.serving.warmup``.

    ``max_records // batch_size`` requests cycle over ``args.signature_name``; each
    ``serving_default`` request is followed by one ``output_filter`` copy per name in
    ``args.output_heads`` (the original took the heads from the export context).
    Where the original asserted, a ``WarmupError`` names the setting to change; more
    than the 1000 PredictionLogs TF Serving accepts is refused the same way.
    """
    generator = args.generator()
    return prediction_logs(_warmup_plan(args, generator), generator.batches())


def gen_warmup_file(
    warmup_file: str | None = None,
    drop_rate: float | None = None,
    *,
    args: ParserArgs | None = None,
) -> str | None:
    """Write ``gen_prediction_log``'s logs to ``warmup_file`` (or ``args.warmup_file``).

    As the original: returns None when there is no path or no feature, returns the
    path of an existing file without touching it, drops a dense ``label`` feature,
    creates parent directories. ``args`` stands in for the TensorFlow graph
    collections the original read its settings from. The file appears whole or not
    at all.
    """
    settings = args if args is not None else ParserArgs()
    path = warmup_file or settings.warmup_file
    if not path:
        log.info("warmup_file is None, skip")
        return None
    if os.path.exists(path):
        log.info("%s exists, return directly", path)
        return path
    features = (
        settings.fidv1_features
        or settings.fidv2_features
        or settings.sparse_features
        or settings.dense_features
        or settings.extra_features
        or settings.feature_list
    )
    if not features:
        log.warning("no features are configured; no warmup file written")
        return None
    changes: dict[str, Any] = {"warmup_file": path}
    if drop_rate is not None:
        changes["drop_rate"] = drop_rate
    warmup_args = dataclasses.replace(settings, **changes)
    generator = warmup_args.generator(schema=warmup_args.schema().without_label())
    plan = _warmup_plan(warmup_args, generator)
    write_warmup_file(path, plan, generator.batches())
    return path


def _warmup_plan(args: ParserArgs, generator: RecordGenerator) -> WarmupPlan:
    return plan_requests(
        variant=generator.variant,
        signatures=args.signature_name,
        output_heads=args.output_heads,
        batch_size=args.batch_size,
        max_records=args.max_records,
        model_name=args.model_name,
    )


# --------------------------------------------------------------------------- data files


def gen_random_data_file(
    data_file_name: str | os.PathLike[str],
    args: ParserArgs,
    num_batch: int = 128,
    source: str | None = None,
    sort_id: bool = True,
    kafka_dump: bool = False,
    kafka_dump_prefix: bool = False,
    actions: Sequence[int] | None = None,
    *,
    compression: str | None = None,
) -> GenerateSummary:
    """Write ``num_batch`` random batches for ``args`` to a Monolith data file.

    The original's signature and semantics: per batch ``args.batch_size`` Examples or
    Instances, or one ExampleBatch (also when ``args.variant_type`` is None, as the
    original's fall-through did); ``sort_id`` writes the sort-id header (with
    ``kafka_dump`` or ``kafka_dump_prefix`` fields), ``sort_id=False`` the lagrangex
    header carrying ``source``'s hash. ``actions`` (else ``args.actions``) are the
    LineId actions to draw from. Differences: records stream to the file instead of
    being held in memory, the file appears whole or not at all (parent directories
    are created), a kafka option with ``sort_id=False`` is refused instead of
    ignored, and ``compression`` ("gzip", "zlib", "snappy", "zstd") is monogen's addition. Returns
    how many records and batches were written (the original returned None).
    """
    if not sort_id and (kafka_dump or kafka_dump_prefix):
        raise HeaderOptionsError(
            "sort_id=False writes a lagrangex header, which has no kafka_dump or"
            " kafka_dump_prefix field (the original silently ignored them)"
        )
    header = HeaderOptions(
        sort_id=sort_id,
        kafka_dump=kafka_dump,
        kafka_dump_prefix=kafka_dump_prefix,
        lagrangex=not sort_id,
    )
    if actions is not None:
        args = dataclasses.replace(args, actions=list(actions))
    generator = args.generator(args.variant_type or Variant.EXAMPLE_BATCH)
    with open_output(data_file_name) as fo:
        return datafile.generate(
            fo,
            generator,
            num_batch=num_batch,
            header=header,
            source_name=(source or None) if header.lagrangex else None,
            compression=compression,
        )
