"""The three record encoders: Example, Instance and ExampleBatch as wire bytes.

The records (proto field numbers in brackets, all read from the descriptors;
``[..]`` is present only when stated):

    Example                                            (proto3)
      named_feature [1], per sparse feature:   0a L  NamedFeature
          name [1] 0a len name; feature [2] only if kept: 12 L Feature;  id [3] 18 slot
          Feature:  fid_v2_list [2] 12 L FidList;  FidList: value [1] 0a 8k fids (k > 0)
      named_feature [1], per dense feature:    0a L  name, feature [2] 12 L Feature
          Feature: float_list [3] 1a / double_list [4] 22 / int64_list [5] 2a, L, then
          the list's packed value [1]: 0a L values
      label [101] packed floats:               aa 06 L floats
      line_id [100] if any LineId field:       a2 06 L LineId

    Instance                                           (proto2)
      fid [1] packed fid-v1 fids of all slots (none: absent):  0a 8K fids
      label [3] packed floats:                 1a L floats
      line_id [5] if any LineId field:         2a L LineId
      feature [9] per fid-v2 column:           4a L  name [1] 0a len name, fid [2] 12 8k fids
      feature [9] per dense feature:           4a L  name, float_value [3] 1a L floats
                                                     or int64_value [4] 22 L varints

    ExampleBatch                                       (proto3, one record per batch)
      named_feature_list [1] per feature:      0a L  name [1], then per row a
          feature [2] 12 L Feature (a dropped row: 12 00), then id [4] 20 slot
      named_feature_list "__LINE_ID__":        per row 12 L {bytes_list [6] 32 L {0a L LineId}}
      named_feature_list "__LABEL__":          per row 12 L {float_list [3] 1a L {0a L floats}}
      batch_size [3]:                          18 rows

An Instance's fid-v1 fids, whose number per record varies most, are drawn record
by record (``sampling.RowFids``) and spliced in as slices.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from itertools import pairwise
from typing import Protocol

import numpy as np

from monogen.encode.wire.line_id import LineIdEncoder
from monogen.encode.wire.primitives import (
    FID_BYTES,
    FID_LAYOUT,
    FLOAT32,
    FLOAT64,
    LENGTH_DELIMITED,
    as_bytes,
    field_number,
    length_delimited,
    prefix_mask,
    proto3_int,
    proto3_string,
    tag,
    varint,
    varints,
)
from monogen.encode.wire.rows import (
    DROPPED,
    Cell,
    CellTable,
    DenseField,
    FixedField,
    Rows,
    one_code,
    set_states,
    sparse_state,
    split_cell,
)
from monogen.formats import LABEL_LIST, LINE_ID_LIST
from monogen.gen.sampling import (
    BatchDraw,
    RowFids,
    SparseBlock,
    SparseSpec,
    fid_width,
)
from monogen.gen.schema import DType, FeatureMeta, Schema
from monogen.proto import example_pb2, feature_pb2, proto_parser_pb2

_ex = example_pb2
# Example
NAMED_FEATURE = field_number(_ex.Example, "named_feature")
LINE_ID = field_number(_ex.Example, "line_id")
EXAMPLE_LABEL = field_number(_ex.Example, "label")
# NamedFeature
NAMED_FEATURE_NAME = field_number(_ex.NamedFeature, "name")
NAMED_FEATURE_FEATURE = field_number(_ex.NamedFeature, "feature")
NAMED_FEATURE_ID = field_number(_ex.NamedFeature, "id")
# ExampleBatch and its NamedFeatureList
NAMED_FEATURE_LIST = field_number(_ex.ExampleBatch, "named_feature_list")
BATCH_SIZE = field_number(_ex.ExampleBatch, "batch_size")
LIST_NAME = field_number(_ex.NamedFeatureList, "name")
LIST_FEATURE = field_number(_ex.NamedFeatureList, "feature")
LIST_ID = field_number(_ex.NamedFeatureList, "id")
# Example's Feature and its lists
FID_V2_LIST = field_number(_ex.Feature, "fid_v2_list")
FLOAT_LIST = field_number(_ex.Feature, "float_list")
BYTES_LIST = field_number(_ex.Feature, "bytes_list")
FID_LIST_VALUE = field_number(_ex.FidList, "value")
FLOAT_LIST_VALUE = field_number(_ex.FloatList, "value")
BYTES_LIST_VALUE = field_number(_ex.BytesList, "value")
# Instance and its Feature column
INSTANCE_FID = field_number(proto_parser_pb2.Instance, "fid")
INSTANCE_LABEL = field_number(proto_parser_pb2.Instance, "label")
INSTANCE_LINE_ID = field_number(proto_parser_pb2.Instance, "line_id")
INSTANCE_FEATURE = field_number(proto_parser_pb2.Instance, "feature")
COLUMN_NAME = field_number(feature_pb2.Feature, "name")
COLUMN_FID = field_number(feature_pb2.Feature, "fid")
COLUMN_FLOAT = field_number(feature_pb2.Feature, "float_value")
COLUMN_INT64 = field_number(feature_pb2.Feature, "int64_value")

# The Example Feature list that holds a dense dtype: (Feature field, the list's
# packed value field, value layout; None: varints).
_EXAMPLE_LISTS = {
    DType.FLOAT32: (FLOAT_LIST, FLOAT_LIST_VALUE, FLOAT32),
    DType.FLOAT64: (
        field_number(_ex.Feature, "double_list"),
        field_number(_ex.DoubleList, "value"),
        FLOAT64,
    ),
    DType.INT64: (
        field_number(_ex.Feature, "int64_list"),
        field_number(_ex.Int64List, "value"),
        None,
    ),
}


def packed_values(field: int, values: np.ndarray, dtype: str | None) -> Rows:
    """Each row of ``values`` as one packed repeated field: floats (``dtype``) or varints."""
    n = len(values)
    payload = Rows(n)
    if dtype is not None:
        payload.fixed(as_bytes(values, dtype))
    else:
        data, lengths = varints(values)
        mask = prefix_mask(lengths, data.shape[1]).reshape(n, -1)
        payload.masked(data.reshape(n, -1), mask, lengths.reshape(n, -1).sum(axis=1))
    return payload.wrap(field)


def example_feature(meta: FeatureMeta, values: np.ndarray) -> Rows:
    """``Feature { <dtype>_list { value: values[i] } }`` per row."""
    list_field, value_field, dtype = _EXAMPLE_LISTS[meta.dtype]
    return packed_values(value_field, values, dtype).wrap(list_field)


def _example_dtype(meta: FeatureMeta) -> str | None:
    """The fixed-width layout of an Example dense list, None for varints or no values."""
    entry = _EXAMPLE_LISTS.get(meta.dtype)
    return entry[2] if entry is not None else None


class WireEncoder(Protocol):
    """Serialized records of one batch, byte-identical to the reference builders."""

    def __call__(self, draw: BatchDraw) -> list[bytes]: ...


class _RecordEncoder(ABC):
    """What every record encoder prepares once per schema: the sparse features' cell
    templates, the dense fields, the LineId encoder and the label field."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.max_fids = fid_width(self._sparse_specs())  # as the sampler lays out fids
        self.cells = CellTable.build(self._cell_templates(), self.max_fids)
        self.dense = [self._dense(meta) for meta in schema.dense]
        self.line_id = LineIdEncoder()
        self.labels = FixedField(self._labels, FLOAT32)

    @abstractmethod
    def _sparse_specs(self) -> list[SparseSpec]:
        """The sparse features as the sampler draws them."""

    @abstractmethod
    def _cell_templates(self) -> list[list[Cell | None]]:
        """Per feature, its cell in each state (see ``CellTable``)."""

    @abstractmethod
    def _dense(self, meta: FeatureMeta) -> DenseField:
        """How one dense feature is written."""

    @abstractmethod
    def _labels(self, values: np.ndarray) -> Rows:
        """The labels' field, generically (``FixedField`` keeps its constant prefix)."""

    @abstractmethod
    def __call__(self, draw: BatchDraw) -> list[bytes]: ...

    def _sparse_rows(self, block: SparseBlock, *, dropped_matters: bool) -> Rows:
        """Each record's sparse cells side by side (a record per row of the batch)."""
        states = sparse_state(block, dropped_matters=dropped_matters)
        codes = np.arange(len(states))[:, None] * self.cells.states + states
        return self.cells.rows(codes.T, block.slots.transpose(1, 0, 2))


class ExampleEncoder(_RecordEncoder):
    """Example records; see the layout at the top of the module."""

    def _sparse_specs(self) -> list[SparseSpec]:
        return [SparseSpec.example(meta) for meta in self.schema.sparse]

    def _cell_templates(self) -> list[list[Cell | None]]:
        return [self._cells(meta) for meta in self.schema.sparse]

    def _cells(self, meta: FeatureMeta) -> list[Cell | None]:
        name = proto3_string(NAMED_FEATURE_NAME, meta.name)
        tail = proto3_int(NAMED_FEATURE_ID, meta.slot)
        out: list[Cell | None] = [split_cell(length_delimited(NAMED_FEATURE, name + tail), 0, tail)]
        for k in range(self.max_fids + 1):
            fid_list = length_delimited(FID_LIST_VALUE, bytes(FID_BYTES * k)) if k else b""
            feature = length_delimited(
                NAMED_FEATURE_FEATURE, length_delimited(FID_V2_LIST, fid_list)
            )
            out.append(split_cell(length_delimited(NAMED_FEATURE, name + feature + tail), k, tail))
        return out

    def _dense(self, meta: FeatureMeta) -> DenseField:
        name = proto3_string(NAMED_FEATURE_NAME, meta.name)

        def named(values: np.ndarray) -> Rows:
            rows = Rows(len(values))
            rows.const(name)
            rows.extend(example_feature(meta, values).wrap(NAMED_FEATURE_FEATURE))
            return rows.wrap(NAMED_FEATURE)

        unfilled = length_delimited(NAMED_FEATURE, name)  # a dtype left empty: name only
        return DenseField(named, _example_dtype(meta), unfilled)

    def _labels(self, values: np.ndarray) -> Rows:
        return packed_values(EXAMPLE_LABEL, values, FLOAT32)

    def __call__(self, draw: BatchDraw) -> list[bytes]:
        n = draw.n
        record = Rows(n)
        if self.schema.sparse:
            record.extend(self._sparse_rows(draw.sparse, dropped_matters=True))
        for dense, values in zip(self.dense, draw.dense, strict=True):
            dense.add(record, values)
        if draw.line_ids:  # a LineId with no field set is not written at all
            record.extend(self.line_id(draw.line_ids, n).wrap(LINE_ID))
        self.labels.add(record, draw.labels)
        return record.to_list()


class InstanceEncoder(_RecordEncoder):
    """Instance records; see the layout at the top of the module."""

    def __init__(self, schema: Schema) -> None:
        super().__init__(schema)
        self.fidv1 = FidV1Rows()

    def _sparse_specs(self) -> list[SparseSpec]:
        return [SparseSpec.instance_column(meta) for meta in self.schema.instance_columns]

    def _cell_templates(self) -> list[list[Cell | None]]:
        return [self._cells(meta) for meta in self.schema.instance_columns]

    def _cells(self, meta: FeatureMeta) -> list[Cell | None]:
        name = length_delimited(COLUMN_NAME, meta.name.encode())
        out: list[Cell | None] = [None]  # every column is written, fids or not
        for k in range(self.max_fids + 1):
            fids = length_delimited(COLUMN_FID, bytes(FID_BYTES * k)) if k else b""
            out.append(split_cell(length_delimited(INSTANCE_FEATURE, name + fids), k, b""))
        return out

    def _dense(self, meta: FeatureMeta) -> DenseField:
        name = length_delimited(COLUMN_NAME, meta.name.encode())
        is_int = meta.dtype is DType.INT64
        dtype = None if is_int else FLOAT32  # float64 values go to float_value as float32

        def column(values: np.ndarray) -> Rows:
            rows = Rows(len(values))
            rows.const(name)
            rows.extend(packed_values(COLUMN_INT64 if is_int else COLUMN_FLOAT, values, dtype))
            return rows.wrap(INSTANCE_FEATURE)

        return DenseField(column, dtype, length_delimited(INSTANCE_FEATURE, name))

    def _labels(self, values: np.ndarray) -> Rows:
        return packed_values(INSTANCE_LABEL, values, FLOAT32)

    def __call__(self, draw: BatchDraw) -> list[bytes]:
        n = draw.n
        record = Rows(n)
        if self.schema.fidv1_slots:
            record.extend(self.fidv1(draw.fidv1))
        self.labels.add(record, draw.labels)
        if draw.line_ids:
            record.extend(self.line_id(draw.line_ids, n).wrap(INSTANCE_LINE_ID))
        if self.schema.instance_columns:
            record.extend(self._sparse_rows(draw.sparse, dropped_matters=False))
        for dense, values in zip(self.dense, draw.dense, strict=True):
            dense.add(record, values)
        return record.to_list()


class FidV1Rows:
    """``0a 8K fids`` per row: all slots' fids in slot order (nothing when K is 0).

    The field's head (tag and length) by fid count K is remembered, as the bytes and
    their lengths, so a batch looks its rows' heads up instead of encoding them.
    """

    def __init__(self) -> None:
        self.heads: list[bytes] = []
        self.head_sizes = np.zeros(0, dtype=np.int64)

    def __call__(self, draw: RowFids) -> Rows:
        fids = np.ascontiguousarray(draw.fids, dtype=FID_LAYOUT)
        offsets = draw.offsets
        counts = offsets[1:] - offsets[:-1]
        if len(counts) and counts.max() >= len(self.heads):
            self._grow(int(counts.max()))
        heads = list(map(self.heads.__getitem__, counts.tolist()))
        sizes = self.head_sizes[counts] + FID_BYTES * counts
        out = Rows(len(heads))
        out.spliced(heads, fids.data.cast("B"), (offsets * FID_BYTES).tolist(), sizes)
        return out

    def _grow(self, count: int) -> None:
        self.heads = [_fidv1_head(k) for k in range(count + 1)]
        self.head_sizes = np.array([len(head) for head in self.heads], dtype=np.int64)


def _fidv1_head(count: int) -> bytes:
    """The tag and length of an Instance's packed fid field holding ``count`` fids."""
    return tag(INSTANCE_FID, LENGTH_DELIMITED) + varint(count * FID_BYTES) if count else b""


class ExampleBatchEncoder(_RecordEncoder):
    """One ExampleBatch per batch; see the layout at the top of the module."""

    def __init__(self, schema: Schema) -> None:
        super().__init__(schema)
        # per sparse feature, the bytes its NamedFeatureList has before and after its cells
        self.list_names = [proto3_string(LIST_NAME, meta.name) for meta in schema.sparse]
        self.list_ids = [proto3_int(LIST_ID, meta.slot) for meta in schema.sparse]
        self.list_extras = np.array(
            [
                len(name) + len(ident)
                for name, ident in zip(self.list_names, self.list_ids, strict=True)
            ],
            dtype=np.int64,
        )
        # A dropped row is an empty Feature of two bytes: when every cell is of an even
        # length, a buffer of cells filled with it has every dropped row in place.
        empty = self.cells.compact[DROPPED]
        even = all(length % 2 == 0 for length in self.cells.length.tolist())
        fills = len(empty) == EMPTY_FEATURE_SIZE and even
        self.empty_unit = np.frombuffer(empty, np.uint16)[0] if fills else None
        # the other lists' name fields
        self.dense_names = [proto3_string(LIST_NAME, meta.name) for meta in schema.dense]
        self.line_id_name = proto3_string(LIST_NAME, LINE_ID_LIST)
        self.label_name = proto3_string(LIST_NAME, LABEL_LIST)

    def _sparse_specs(self) -> list[SparseSpec]:
        return [SparseSpec.example(meta) for meta in self.schema.sparse]

    def _cell_templates(self) -> list[list[Cell | None]]:
        """One table for every feature: a row's Feature in each state (a dropped row
        is an empty Feature); the name and id are per list, not per cell."""
        out: list[Cell | None] = [(length_delimited(LIST_FEATURE, b""), 0, b"")]
        for k in range(self.max_fids + 1):
            fid_list = length_delimited(FID_LIST_VALUE, bytes(FID_BYTES * k)) if k else b""
            cell = length_delimited(LIST_FEATURE, length_delimited(FID_V2_LIST, fid_list))
            out.append(split_cell(cell, k, b""))
        return [out]

    def _dense(self, meta: FeatureMeta) -> DenseField:
        def feature(values: np.ndarray) -> Rows:
            return example_feature(meta, values).wrap(LIST_FEATURE)

        unfilled = length_delimited(LIST_FEATURE, b"")  # an empty Feature
        return DenseField(feature, _example_dtype(meta), unfilled)

    def _labels(self, values: np.ndarray) -> Rows:
        labels = packed_values(FLOAT_LIST_VALUE, values, FLOAT32).wrap(FLOAT_LIST)
        return labels.wrap(LIST_FEATURE)

    def __call__(self, draw: BatchDraw) -> list[bytes]:
        schema, n = self.schema, draw.n
        parts: list[bytes | memoryview] = []
        if schema.sparse:
            parts += self._sparse_lists(draw.sparse)
        for name, features in zip(self.dense_names, self._dense_lists(draw), strict=True):
            parts += _feature_list(name, features)
        line_ids = self.line_id(draw.line_ids, n).wrap(BYTES_LIST_VALUE).wrap(BYTES_LIST)
        parts += _feature_list(self.line_id_name, line_ids.wrap(LIST_FEATURE).to_bytes())
        parts += _feature_list(self.label_name, self.labels.joined([draw.labels])[0])
        parts.append(proto3_int(BATCH_SIZE, n))
        return [b"".join(parts)]

    def _dense_lists(self, draw: BatchDraw) -> list[bytes | memoryview]:
        """Each dense feature's rows back to back; the features whose fields share a
        prefix and a width are built together (``FixedField.joined``)."""
        out: list[bytes | memoryview] = []
        alike: dict[tuple[bytes, str, int], tuple[FixedField, list[int], list[np.ndarray]]] = {}
        for i, (dense, values) in enumerate(zip(self.dense, draw.dense, strict=True)):
            out.append(b"")
            fixed = dense.fixed
            if values is not None and fixed is not None:
                count = values.shape[1]
                group = alike.setdefault((fixed.prefix(count), fixed.dtype, count), (fixed, [], []))
                group[1].append(i)
                group[2].append(values)
            else:
                out[i] = dense.joined(values, draw.n)
        for fixed, members, arrays in alike.values():
            for i, view in zip(members, fixed.joined(arrays), strict=True):
                out[i] = view
        return out

    def _sparse_lists(self, block: SparseBlock) -> list[bytes | memoryview]:
        """Every sparse feature's NamedFeatureList, in pieces: the cells of all of them
        written at once into one buffer (one row of cells per feature), and around each
        row its list's tag, length, name and id.

        When the buffer starts as dropped rows (``empty_unit``), only the other cells
        are written: cell c of the flat order starts at ``2 c`` plus the bytes beyond
        two of the written cells before it, which, when they are all of one template,
        is a multiple of their count and needs no cumulative sum.
        """
        features, rows = block.counts.shape
        empty = self.empty_unit
        if empty is not None:  # the states (the table's codes) of the cells not dropped
            placed, base = DROPPED, EMPTY_FEATURE_SIZE
            written, codes = set_states(block)
        else:
            placed, base = None, 0
            codes = sparse_state(block, dropped_matters=True).ravel()
            written = np.arange(codes.size)
        beyond = np.empty(len(codes) + 1, dtype=np.int64)  # bytes beyond base, before
        only = one_code(codes)
        if only is not None:
            np.multiply(np.arange(len(beyond)), self.cells.length[only] - base, out=beyond)
        else:
            beyond[0] = 0
            np.cumsum(self.cells.length[codes] - base, out=beyond[1:])
        at = beyond[:-1] + base * written
        firsts = np.searchsorted(written, np.arange(features + 1) * rows)
        totals = beyond[firsts[1:]] - beyond[firsts[:-1]] + base * rows
        buffer = np.empty(int(totals.sum()), dtype=np.uint8)
        if empty is not None:
            buffer.view(np.uint16)[:] = empty
        slots = block.slots.reshape(features * rows, -1)
        self.cells.write(buffer, at, codes, slots, written, placed=placed, only=only)
        blob = buffer.data  # a memoryview: slices joined without a copy of their own
        bounds = [0, *np.cumsum(totals).tolist()]
        parts: list[bytes | memoryview] = [b""] * (4 * features)
        parts[0::4] = map(_list_head, (totals + self.list_extras).tolist())
        parts[1::4] = self.list_names
        parts[2::4] = [blob[a:b] for a, b in pairwise(bounds)]
        parts[3::4] = self.list_ids
        return parts


@functools.lru_cache(maxsize=4096)
def _list_head(length: int) -> bytes:
    """The tag and length of a NamedFeatureList of ``length`` bytes (a few lengths recur)."""
    return tag(NAMED_FEATURE_LIST, LENGTH_DELIMITED) + varint(length)


EMPTY_FEATURE_SIZE = 2  # an empty Feature in a list: its tag and a zero length


def _feature_list(
    name: bytes, features: bytes | memoryview
) -> tuple[bytes, bytes, bytes | memoryview]:
    """A NamedFeatureList (``name``: its name field) holding ``features``, in pieces."""
    return _list_head(len(name) + len(features)), name, features
