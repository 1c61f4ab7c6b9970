"""Random draws for a batch of records, kept apart from how records are encoded.

A generator first draws everything a batch needs — fid counts and values, dense
values, labels, LineId fields — as numpy arrays, in one fixed order, from one
seeded ``numpy.random.Generator``. Encoders (protobuf messages, or pre-encoded
wire pieces) then only lay those values out. Two consequences: each random value
costs a slice of one vectorised call instead of a Python call, and every encoder
produces the same records from the same seed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum

import numpy as np
from google.protobuf.descriptor import FieldDescriptor

from monogen import fids
from monogen.schema import (
    ITEM_ID_SLOT,
    SINGLE_FID_SLOTS,
    USER_ID_SLOT,
    DType,
    ExtraSpec,
    FeatureMeta,
    line_id_field,
)

log = logging.getLogger(__name__)

# Original generator's ranges: dense int64 values and LineId random ids.
BIG_INT_LOW = 2**62 - 1
BIG_INT_HIGH = 2**63 - 1  # inclusive
SMALL_INT_HIGH = 10  # LineId integers and actions: [0, 10]
MAX_SEQUENCE_FIDS = 2
MAX_FIDV1_FIDS = 3
STAY_TIME_SCALE = 1000.0
DEFAULT_STRING = "hello world"
DENSE_DTYPES = frozenset({DType.FLOAT32, DType.FLOAT64, DType.INT64})


class SparseRule(Enum):
    """How many fids a sparse feature gets in one record (generation.md, sparse rules)."""

    EXAMPLE = "example"  # Example / ExampleBatch fid_v2_list
    INSTANCE_COLUMN = "instance_column"  # Instance Feature.fid
    FIDV1 = "fidv1"  # Instance.fid per slot


@dataclass(frozen=True)
class SparseDraw:
    """One sparse feature across a batch: which rows set it, and their fids.

    ``present[i]`` is False when row i leaves the feature unset (dropped); a present
    row may still hold zero fids (a sequence-like feature that drew none).
    """

    present: np.ndarray  # bool, (n,)
    counts: np.ndarray  # int64, (n,)
    fids: np.ndarray  # uint64, (counts.sum(),)
    offsets: np.ndarray  # int64, (n + 1,): row i's fids are fids[offsets[i]:offsets[i+1]]

    def row(self, i: int) -> np.ndarray:
        return self.fids[self.offsets[i] : self.offsets[i + 1]]


def is_instance_sequence(meta: FeatureMeta) -> bool:
    """Instance columns decide sequence-likeness by name alone (``-`` marks a cross)."""
    return "_recent" in meta.name or "_cp" in meta.name or "-" in meta.name


def draw_sparse(
    rng: np.random.Generator,
    slot: int,
    n: int,
    *,
    sequence: bool,
    rule: SparseRule,
    drop_rate: float,
) -> SparseDraw:
    """Draw one sparse feature for ``n`` rows following the fill rules of its record type."""
    if rule is SparseRule.FIDV1:
        present = np.ones(n, dtype=bool)
        if slot in SINGLE_FID_SLOTS:
            counts = np.ones(n, dtype=np.int64)
        else:
            counts = rng.integers(0, MAX_FIDV1_FIDS, size=n, endpoint=True)
        version = fids.V1
    else:
        version = fids.V2
        if sequence:
            present = _kept(rng, n, drop_rate) if drop_rate > 0 else np.zeros(n, dtype=bool)
            counts = rng.integers(0, MAX_SEQUENCE_FIDS, size=n, endpoint=True) * present
        elif rule is SparseRule.INSTANCE_COLUMN or slot in SINGLE_FID_SLOTS:
            present = np.ones(n, dtype=bool)
            counts = np.ones(n, dtype=np.int64)
        else:
            present = _kept(rng, n, drop_rate)
            counts = present.astype(np.int64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    values = version.random(rng, slot, int(offsets[-1]))
    return SparseDraw(present, counts.astype(np.int64), values, offsets)


def _kept(rng: np.random.Generator, n: int, drop_rate: float) -> np.ndarray:
    return rng.random(n) > drop_rate


def draw_dense(rng: np.random.Generator, meta: FeatureMeta, n: int) -> np.ndarray | None:
    """``(n, shape)`` values, or None for a dtype the original left empty."""
    size = (n, meta.shape)
    if meta.dtype is DType.FLOAT32:
        return rng.random(size, dtype=np.float32)
    if meta.dtype is DType.FLOAT64:
        return rng.random(size)
    if meta.dtype is DType.INT64:
        return rng.integers(BIG_INT_LOW, BIG_INT_HIGH, size=size, endpoint=True, dtype=np.int64)
    return None


def warn_unfilled_dense(features: Sequence[FeatureMeta]) -> None:
    """Warn once per feature whose dtype has no dense filler (it stays empty)."""
    for meta in features:
        if meta.dtype not in DENSE_DTYPES:
            log.warning(
                "dense feature %r has dtype %s, which is not generated; it stays empty",
                meta.name,
                meta.dtype.value,
            )


# ---------------------------------------------------------------------------
# LineId
# ---------------------------------------------------------------------------

LineIdValues = dict[str, np.ndarray]
_Sampler = Callable[[np.random.Generator, int], np.ndarray]


@dataclass(frozen=True)
class LineIdField:
    """One LineId field to fill: its name, whether it is repeated, and how to draw it."""

    name: str
    repeated: bool
    sample: _Sampler


def _hashed_id(slot: int) -> _Sampler:
    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        raw = rng.integers(BIG_INT_LOW, BIG_INT_HIGH, size=n, endpoint=True, dtype=np.int64)
        return fids.V2.encode(slot, raw.astype(np.uint64))  # v2 layout: 48 hash bits

    return sample


def _constant(value: object, dtype: str | type) -> _Sampler:
    def sample(_rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, value, dtype=dtype)

    return sample


def _small_ints(shape: int, choices: Sequence[int] | None) -> _Sampler:
    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        if choices:
            return rng.choice(np.asarray(choices, dtype=np.int64), size=(n, shape))
        return rng.integers(0, SMALL_INT_HIGH, size=(n, shape), endpoint=True)

    return sample


def _by_descriptor(fd: FieldDescriptor, shape: int) -> _Sampler | None:
    """Generic filler from a field's type: floats [0,1), integers [0,10], strings, false."""
    size_of = (lambda n: (n, shape)) if fd.is_repeated else (lambda n: n)
    cpp = fd.cpp_type
    if cpp in (FieldDescriptor.CPPTYPE_FLOAT, FieldDescriptor.CPPTYPE_DOUBLE):
        return lambda rng, n: rng.random(size_of(n))
    if cpp in _INT_CPP_TYPES:
        return lambda rng, n: rng.integers(0, SMALL_INT_HIGH, size=size_of(n), endpoint=True)
    if cpp == FieldDescriptor.CPPTYPE_STRING:
        text = DEFAULT_STRING.encode() if fd.type == FieldDescriptor.TYPE_BYTES else DEFAULT_STRING
        return lambda _rng, n: np.full(size_of(n), text, dtype=object)
    if cpp == FieldDescriptor.CPPTYPE_BOOL:
        return lambda _rng, n: np.zeros(size_of(n), dtype=bool)
    return None  # messages and enums are not generated


_INT_CPP_TYPES = frozenset(
    {
        FieldDescriptor.CPPTYPE_INT32,
        FieldDescriptor.CPPTYPE_INT64,
        FieldDescriptor.CPPTYPE_UINT32,
        FieldDescriptor.CPPTYPE_UINT64,
    }
)


@dataclass(frozen=True)
class LineIdPlan:
    """Which LineId fields a record gets and how each is drawn (``fill_line_id``)."""

    fields: tuple[LineIdField, ...]
    skipped: tuple[str, ...] = field(default=())

    @classmethod
    def build(
        cls,
        extra: Sequence[ExtraSpec],
        *,
        req_time: int,
        actions: Sequence[int] | None = None,
    ) -> LineIdPlan:
        req = _constant(req_time, np.int64)
        rate = _constant(1.0, np.float32)
        uid = LineIdField("uid", False, _hashed_id(USER_ID_SLOT))
        item = LineIdField("item_id", False, _hashed_id(ITEM_ID_SLOT))
        if not extra:
            return cls(
                (
                    uid,
                    LineIdField("req_time", False, req),
                    item,
                    LineIdField("actions", True, _small_ints(1, actions)),
                    LineIdField("sample_rate", False, rate),
                )
            )
        chosen: list[LineIdField] = []
        skipped: list[str] = []
        for spec in extra:
            fd = line_id_field(spec.name)
            if fd is None:
                skipped.append(spec.name)
            elif spec.name == "uid":
                chosen.append(uid)
            elif spec.name == "item_id":
                chosen.append(item)
            elif spec.name == "req_time":
                chosen.append(LineIdField("req_time", False, req))
                chosen.append(LineIdField("sample_rate", False, rate))
            elif spec.name == "stay_time":
                chosen.append(
                    LineIdField(
                        spec.name, fd.is_repeated, lambda rng, n: rng.random(n) * STAY_TIME_SCALE
                    )
                )
            elif spec.name == "actions":
                chosen.append(LineIdField("actions", True, _small_ints(spec.shape, actions)))
            elif (sampler := _by_descriptor(fd, spec.shape)) is not None:
                chosen.append(LineIdField(spec.name, fd.is_repeated, sampler))
            else:
                skipped.append(spec.name)
        if skipped:
            log.warning("skipping LineId fields monogen cannot fill: %s", ", ".join(skipped))
        by_name = {f.name: f for f in chosen}  # req_time twice keeps one sample_rate
        return cls(tuple(by_name.values()), tuple(skipped))

    def draw(self, rng: np.random.Generator, n: int) -> LineIdValues:
        return {f.name: f.sample(rng, n) for f in self.fields}


# ---------------------------------------------------------------------------
# A whole batch
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchDraw:
    """Everything random about ``n`` records, ready for an encoder."""

    n: int
    # Per sparse feature (Example) or fid-v2 column (Instance), and per fid-v1 slot
    # (Instance only): a tuple, or a ``fastdraw.SparseBlock`` holding them all.
    sparse: Sequence[SparseDraw]
    fidv1: Sequence[SparseDraw]
    dense: tuple[np.ndarray | None, ...]  # per dense feature, (n, shape) or None
    labels: np.ndarray  # float32, (n, label count)
    line_ids: LineIdValues
