"""Statistics over sound records: fill rates, fid slots, LineId fields, warmup requests.

``RecordStats`` counts Examples, Instances or ExampleBatches (a row is one Example
or Instance, or one row of an ExampleBatch); ``WarmupStats`` counts PredictionLogs
and, per record type, the records inside their requests. Tables of names are
capped at ``MAX_TRACKED`` entries, so memory stays flat on a file of garbage names.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from monogen.formats import (
    DEFAULT_SIGNATURE,
    HASH_BITS_V1,
    HASH_BITS_V2,
    LABEL_LIST,
    LINE_ID_LIST,
    RecordType,
    dtype_name,
)
from monogen.inspect.validate import Embedded
from monogen.io.detect import unknown_fields
from monogen.proto import example_pb2, line_id_pb2

__all__ = [
    "MAX_TRACKED",
    "STATS_FIRST",
    "STATS_STRIDE",
    "FeatureStats",
    "Fidv1Slots",
    "IdCounts",
    "InputStats",
    "RecordStats",
    "Sampler",
    "WarmupStats",
]

# Statistics walk every value in Python and cost a few hundred times what verifying
# the same bytes costs, so past the first STATS_FIRST bytes of records they are
# taken on a deterministic sample: a record is counted when the bytes counted so far
# are under 1/STATS_STRIDE of the bytes verified. Every record is still verified.
STATS_FIRST = 64 * 1024
STATS_STRIDE = 256
# Distinct fids kept per feature or slot (see ``IdCounts``), and the share of the
# most frequent ids that ``IdCounts.top_share`` reports (the top 1 %).
MAX_IDS = 1 << 16
TOP_FRACTION = 0.01

# Up to this many ids are counted one by one rather than by Counter.update.
_FEW_IDS = 8

# Distinct names (features, inputs, signatures...) tracked per table. Real schemas
# have hundreds; the cap keeps memory flat on a file full of garbage names.
MAX_TRACKED = 4096


@dataclass(slots=True)
class Sampler:
    """Which sound records feed the statistics (see ``STATS_STRIDE``); the same file
    always gives the same sample. ``take`` runs once per record of the file, so it
    keeps the byte count up to which records are skipped rather than working it out."""

    seen: int = 0
    seen_bytes: int = 0
    taken: int = 0
    taken_bytes: int = 0
    _skip_through: int = field(default=-1, repr=False, compare=False)  # in seen_bytes

    def take(self, size: int) -> bool:
        """Whether the next sound record, of ``size`` bytes, is counted."""
        self.seen += 1
        seen_bytes = self.seen_bytes = self.seen_bytes + size
        if seen_bytes <= self._skip_through:
            return False
        self.taken += 1
        taken_bytes = self.taken_bytes = self.taken_bytes + size
        if taken_bytes >= STATS_FIRST:
            self._skip_through = taken_bytes * STATS_STRIDE
        return True

    @property
    def complete(self) -> bool:
        """Whether every sound record was counted."""
        return self.taken == self.seen


@dataclass
class IdCounts:
    """How often each fid occurs: the skew of a feature's ids (distinct ids, top-1 % share).

    At most ``MAX_IDS`` distinct ids are kept (memory stays flat on uniform 48-bit
    ids); occurrences of ids beyond them are counted in ``untracked``, and the
    distinct count is then a lower bound.
    """

    counts: Counter[int] = field(default_factory=Counter)
    total: int = 0  # occurrences
    untracked: int = 0  # occurrences of ids not kept

    def add(self, fids: Sequence[int]) -> None:
        self.total += len(fids)
        counts = self.counts
        if len(counts) < MAX_IDS:
            if len(fids) > _FEW_IDS:
                counts.update(fids)
                return
            get = counts.get  # a slot's one or two ids: Counter.update's set-up costs more
            for fid in fids:
                counts[fid] = get(fid, 0) + 1
            return
        for fid in fids:
            if fid in counts:
                counts[fid] += 1
            else:
                self.untracked += 1

    @property
    def distinct(self) -> int:
        """Distinct ids seen (a lower bound when ``complete`` is False)."""
        return len(self.counts)

    @property
    def complete(self) -> bool:
        return not self.untracked

    def top_share(self, fraction: float = TOP_FRACTION) -> float | None:
        """The share of occurrences taken by the most frequent ``fraction`` of the distinct
        ids (at least one id); None without ids or when not every id was kept."""
        if not self.total or not self.complete:
            return None
        top = max(1, math.ceil(fraction * len(self.counts)))
        return sum(heapq.nlargest(top, self.counts.values())) / self.total


@dataclass
class FeatureStats:
    """One feature (or fid-v1 slot, or LineId field) over the rows seen."""

    rows: int = 0  # rows in which it is present
    filled: int = 0  # rows in which it has at least one value
    values: int = 0  # values in all rows
    kinds: set[str] = field(default_factory=set)  # which value fields carry them
    slots: set[int] = field(default_factory=set)  # slots of its fids
    ids: IdCounts = field(default_factory=IdCounts, compare=False)  # its fids (tested apart)


def _tracked(table: dict[str, FeatureStats], name: str | bytes) -> FeatureStats | None:
    """The stats of ``name``, created while fewer than MAX_TRACKED are tracked."""
    if isinstance(name, bytes):  # a proto2 string that is not UTF-8 comes back as bytes
        name = name.decode("utf-8", "backslashreplace")
    stats = table.get(name)
    if stats is None and len(table) < MAX_TRACKED:
        stats = table[name] = FeatureStats()
    return stats


def _v1_slots(fids: Iterable[int]) -> set[int]:
    return {fid >> HASH_BITS_V1 for fid in fids}


_v1_slot: Callable[[int], int] = HASH_BITS_V1.__rrshift__  # fid -> fid >> HASH_BITS_V1, in C


def _v2_slots(fids: Iterable[int]) -> set[int]:
    return {fid >> HASH_BITS_V2 for fid in fids}


@dataclass
class Fidv1Slots:
    """The fid-v1 slots of Instance.fid: the same counts as a ``FeatureStats`` per slot,
    kept so that a record costs a few C-level passes over its fids, not Python work per
    slot (an Instance carries a few hundred fids in dozens of slots).

    A fid carries its slot (``fid >> HASH_BITS_V1``), so one Counter holds the ids of
    every slot. A slot's ids can reach ``MAX_IDS`` only once it has had MAX_IDS
    occurrences; from then on the slot is "crowded" and has an ``IdCounts`` of its own,
    which bounds it exactly as it bounds a feature: one record's fids of a slot are one
    ``IdCounts.add``.
    """

    rows: Counter[int] = field(default_factory=Counter)  # rows in which a slot is present
    values: Counter[int] = field(default_factory=Counter)  # occurrences per slot
    counts: Counter[int] = field(default_factory=Counter)  # ids of the uncrowded slots
    crowded: dict[int, IdCounts] = field(default_factory=dict)
    occurrences: int = 0  # fids in all slots
    _table: dict[int, FeatureStats] | None = field(default=None, repr=False, compare=False)
    _by_slot: list[int] | None = field(default=None, repr=False, compare=False)

    def add(self, fids: Sequence[int]) -> None:
        """One row's fids."""
        self._table = self._by_slot = None
        slots = [fid >> HASH_BITS_V1 for fid in fids]
        present = set(slots)
        self.rows.update(present)
        crowded = self.crowded
        if self.occurrences >= MAX_IDS:  # below, no slot can have MAX_IDS ids yet
            for slot in present:
                if slot not in crowded and self.values[slot] >= MAX_IDS:
                    crowded[slot] = self._crowd(slot)
        self.occurrences += len(slots)
        self.values.update(slots)
        if crowded.keys().isdisjoint(present):
            self.counts.update(fids)
            return
        uncrowded: list[int] = []
        by_slot: dict[int, list[int]] = {}
        for fid, slot in zip(fids, slots, strict=True):
            if slot in crowded:
                by_slot.setdefault(slot, []).append(fid)
            else:
                uncrowded.append(fid)
        self.counts.update(uncrowded)
        for slot, slot_fids in by_slot.items():
            crowded[slot].add(slot_fids)

    def _crowd(self, slot: int) -> IdCounts:
        """Move ``slot``'s ids out of the shared Counter into an ``IdCounts`` of its own."""
        mine = Counter({fid: n for fid, n in self.counts.items() if fid >> HASH_BITS_V1 == slot})
        for fid in mine:
            del self.counts[fid]
        return IdCounts(mine, total=self.values[slot])

    def table(self) -> dict[int, FeatureStats]:
        """A ``FeatureStats`` per slot present (built once per change: the report reads it
        more than once)."""
        if self._table is None:
            self._table = {slot: self._slot(slot) for slot in self.rows}
        return self._table

    def _slot(self, slot: int) -> FeatureStats:
        ids = self.crowded.get(slot)
        if ids is None:
            if self._by_slot is None:  # the shared ids by slot: a slot's ids are a run
                self._by_slot = sorted(self.counts, key=_v1_slot)
            keys = self._by_slot
            start = bisect_left(keys, slot, key=_v1_slot)
            run = keys[start : bisect_left(keys, slot + 1, start, key=_v1_slot)]
            counts = Counter(dict(zip(run, map(self.counts.__getitem__, run), strict=True)))
            ids = IdCounts(counts, total=self.values[slot])
        rows = self.rows[slot]
        return FeatureStats(rows, rows, self.values[slot], ids=ids)


@dataclass
class RecordStats:
    """Statistics over Examples, Instances or ExampleBatches (rows: one per Example/Instance)."""

    record_type: RecordType
    records: int = 0
    rows: int = 0
    features: dict[str, FeatureStats] = field(default_factory=dict)
    fidv1: Fidv1Slots = field(default_factory=Fidv1Slots)  # Instance.fid
    line_id: dict[str, FeatureStats] = field(default_factory=dict)
    label_widths: Counter[int] = field(default_factory=Counter)
    data_source_keys: Counter[int] = field(default_factory=Counter)  # the proto field

    def add(self, message: Any) -> None:
        self.records += 1
        _ADDERS[self.record_type](self, message)

    @property
    def fidv1_slots(self) -> dict[int, FeatureStats]:
        """Instance.fid by fid-v1 slot (see ``Fidv1Slots.table``)."""
        return self.fidv1.table()

    def add_line_id(self, line_id: Any) -> None:
        for descriptor, value in line_id.ListFields():
            stats = _tracked(self.line_id, descriptor.name)
            if stats is not None:
                _count_line_id_value(stats, value, repeated=_is_repeated(descriptor))
        for number in sorted(unknown_fields(line_id)):
            stats = _tracked(self.line_id, f"#{number} (not in monogen's LineId)")
            if stats is not None:
                stats.rows += 1
                stats.filled += 1

    def add_data_source_key(self, key: int) -> None:
        if key and (key in self.data_source_keys or len(self.data_source_keys) < MAX_TRACKED):
            self.data_source_keys[key] += 1


def _is_repeated(descriptor: Any) -> bool:
    # FieldDescriptor.label is deprecated in newer protobuf; is_repeated replaces it.
    repeated = getattr(descriptor, "is_repeated", None)
    if repeated is not None:
        return bool(repeated)
    return bool(descriptor.label == descriptor.LABEL_REPEATED)


def _count_line_id_value(stats: FeatureStats, value: Any, *, repeated: bool) -> None:
    stats.rows += 1
    count = len(value) if repeated else 1
    if count:
        stats.filled += 1
        stats.values += count


# Example (monolith.io.proto) Feature: a oneof; each case is a list, a list of lists or a
# scalar. Fids in the v1 cases are read with the v1 layout, the v2 cases with v2.
_FID_SLOTS: dict[str, Callable[[Iterable[int]], set[int]]] = {
    "fid_v1_list": _v1_slots,
    "fid_v2_list": _v2_slots,
    "fid_v1_lists": _v1_slots,
    "fid_v2_lists": _v2_slots,
}

_SCALARS = frozenset({"int64_value", "float_value", "double_value", "bytes_value"})


def _example_feature_values(feature: Any) -> tuple[str | None, Sequence[int], int]:
    """(the oneof case, the fids if it holds fids, how many values) of an Example Feature."""
    kind = feature.WhichOneof("type")
    if kind is None:
        return None, (), 0
    if kind in _SCALARS:
        return kind, (), 1
    value = getattr(feature, kind)
    holds_fids = kind in _FID_SLOTS
    if kind.endswith("_lists"):
        lists = [inner.value for inner in value.list]
        fids = [v for inner in lists for v in inner] if holds_fids else ()
        return kind, fids, sum(len(inner) for inner in lists)
    return kind, value.value if holds_fids else (), len(value.value)


def _add_example_features(stats: FeatureStats, features: Sequence[Any]) -> None:
    """One name's Example Features, one per row, into its stats. The fids of all the rows
    are gathered first, so an ExampleBatch's column is counted in one call, not per row."""
    stats.rows += len(features)
    fids_by_kind: dict[str, list[int]] = {}
    for feature in features:
        kind, fids, count = _example_feature_values(feature)
        if kind is None:
            continue
        stats.kinds.add(kind)
        if count:
            stats.filled += 1
            stats.values += count
        if fids:
            fids_by_kind.setdefault(kind, []).extend(fids)
    for kind, fids in fids_by_kind.items():
        stats.slots |= _FID_SLOTS[kind](fids)
        stats.ids.add(fids)


def _add_example(stats: RecordStats, example: Any) -> None:
    stats.rows += 1
    for named in example.named_feature:
        feature_stats = _tracked(stats.features, named.name)
        if feature_stats is not None:
            _add_example_features(feature_stats, (named.feature,))
    if example.HasField("line_id"):
        stats.add_line_id(example.line_id)
    stats.label_widths[len(example.label)] += 1
    stats.add_data_source_key(example.data_source_key)


# Instance (idl.matrix.proto) Feature: independent repeated fields (the set ones come from
# ListFields, much faster than probing all eight); fids are v2.
_INSTANCE_NESTED = frozenset({"fid_list", "float_list", "int64_list", "bytes_list"})

_INSTANCE_FIDS = frozenset({"fid", "fid_list"})

_COLUMN_NAME = "name"


def _add_instance_feature(stats: FeatureStats, column: Any) -> None:
    stats.rows += 1
    count = 0
    for descriptor, value in column.ListFields():
        kind = descriptor.name
        if kind == _COLUMN_NAME:
            continue
        stats.kinds.add(kind)
        flats = [inner.value for inner in value] if kind in _INSTANCE_NESTED else [value]
        for flat in flats:
            count += len(flat)
            if kind in _INSTANCE_FIDS:
                stats.slots |= _v2_slots(flat)
                stats.ids.add(flat)
    if count:
        stats.filled += 1
        stats.values += count


def _add_instance(stats: RecordStats, instance: Any) -> None:
    stats.rows += 1
    stats.fidv1.add(list(instance.fid))  # read twice: a list is faster to walk than the proto's
    for column in instance.feature:
        feature_stats = _tracked(stats.features, column.name)
        if feature_stats is not None:
            _add_instance_feature(feature_stats, column)
    if instance.HasField("line_id"):
        stats.add_line_id(instance.line_id)
    stats.label_widths[len(instance.label)] += 1
    stats.add_data_source_key(instance.data_source_key)


def _add_example_batch(stats: RecordStats, batch: Any) -> None:
    rows = batch.batch_size
    stats.rows += rows
    for named in batch.named_feature_list:
        features = named.feature
        if named.type == example_pb2.SHARED:
            features = [features[0]] * rows
        if named.name == LINE_ID_LIST:
            for feature in features:
                for data in feature.bytes_list.value:
                    stats.add_line_id(line_id_pb2.LineId.FromString(data))
        elif named.name == LABEL_LIST:
            for feature in features:
                stats.label_widths[_example_feature_values(feature)[2]] += 1
        else:
            feature_stats = _tracked(stats.features, named.name)
            if feature_stats is not None:
                _add_example_features(feature_stats, features)
    stats.add_data_source_key(batch.data_source_key)


_ADDERS: dict[RecordType, Callable[[RecordStats, Any], None]] = {
    RecordType.EXAMPLE: _add_example,
    RecordType.INSTANCE: _add_instance,
    RecordType.EXAMPLE_BATCH: _add_example_batch,
}


@dataclass
class InputStats:
    """One input tensor name across the warmup requests."""

    requests: int = 0
    dtypes: Counter[str] = field(default_factory=Counter)
    sizes: Counter[int] = field(default_factory=Counter)  # values per request


@dataclass
class WarmupStats:
    """PredictionLogs: who they call, with what, and what the embedded records hold."""

    logs: int = 0
    signatures: Counter[str] = field(default_factory=Counter)
    model_names: Counter[str] = field(default_factory=Counter)
    inputs: dict[str, InputStats] = field(default_factory=dict)
    records_per_request: Counter[int] = field(default_factory=Counter)
    output_filter_logs: int = 0  # logs that carry an output_filter (per-head copies)
    output_filters: Counter[str] = field(default_factory=Counter)
    records: dict[RecordType, RecordStats] = field(default_factory=dict)

    def add(self, log: Any, embedded: Sequence[Embedded]) -> None:
        self.logs += 1
        request = log.predict_log.request
        spec = request.model_spec
        _count(self.signatures, spec.signature_name or f"{DEFAULT_SIGNATURE} (empty name)")
        _count(self.model_names, spec.name)
        if request.output_filter:
            self.output_filter_logs += 1
            for name in request.output_filter:
                _count(self.output_filters, name)
        records = 0
        for name, tensor in request.inputs.items():
            stats = self.inputs.get(name)
            if stats is None:
                if len(self.inputs) >= MAX_TRACKED:
                    continue
                stats = self.inputs[name] = InputStats()
            stats.requests += 1
            _count(stats.dtypes, dtype_name(tensor.dtype))
            size = _tensor_size(tensor)
            stats.sizes[size] += 1
            if RecordType.for_input(name) is not None:
                records += size
        self.records_per_request[records] += 1
        for _, record_type, message in embedded:
            stats_for_type = self.records.get(record_type)
            if stats_for_type is None:
                stats_for_type = self.records[record_type] = RecordStats(record_type)
            stats_for_type.add(message)


def _count(counter: Counter[str], key: str) -> None:
    if key in counter or len(counter) < MAX_TRACKED:
        counter[key] += 1


def _tensor_size(tensor: Any) -> int:
    """Values in a TensorProto: the product of its dims (1 for a scalar)."""
    size = 1
    for dim in tensor.tensor_shape.dim:
        size *= max(dim.size, 0)
    return size
