"""Records laid out straight as protobuf wire bytes, a batch at a time, without messages.

The reference encoders (``messages``) build a protobuf message per record and a
Python object per value; for 100 features that is where a batch's time goes. Here a
batch's records are assembled with numpy: everything that is the same in every
record (tags, feature names, length prefixes that do not depend on the draw) is
encoded once per schema, and only the random parts are spliced in. The bytes are
identical to ``messages.build_*(...)`` followed by ``SerializeToString()`` (proved
by tests/test_wire.py over random schemas), because protobuf's encoding of a
message is fully determined: upb writes set fields in field-number order, proto3
omits zero scalars and empty strings, a set proto2 optional is always written.

Wire format pieces used below (``varint``: 7 bits per byte, low group first, high
bit set on all but the last byte; negative int32/int64 as 10-byte two's complement):

    tag                 varint(field_number << 3 | wire_type)
    wire types          0 varint, 1 fixed64 (8 bytes LE), 2 length-delimited, 5 fixed32
    length-delimited    tag, varint(byte length), payload (a string or a message)
    packed repeated     tag (type 2), varint(payload length), the values back to back
                        (fixed64 fids: 8 bytes LE each, floats 4, varints 1-10)
    repeated, unpacked  one (tag, value) per element

The records (proto field numbers in brackets; ``[..]`` is present only when stated):

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

    LineId                                             (proto2)
      each filled field in field-number order: fixed64 8 bytes, int varints, float 4
      bytes, bool 1 byte, strings length-delimited; repeated packed or one per element

How a batch is put together: every record is a row of a byte matrix whose columns
are blocks (``Rows``): constant blocks, fixed-width data (dense values, labels), and
ragged blocks that carry a mask of which bytes count. The sparse features are one
ragged block of cells of equal width, one per (row, feature): a template chosen by
the feature and its state (dropped, or kept with k fids), with the fids written into
a fixed slot of the cell. Dropping the masked-out bytes row by row (one boolean
index over the whole matrix) leaves the records back to back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

import numpy as np
from google.protobuf.descriptor import FieldDescriptor

from monogen import messages
from monogen.fastdraw import SparseBlock
from monogen.proto import line_id_pb2
from monogen.sampling import (
    MAX_FIDV1_FIDS,
    MAX_SEQUENCE_FIDS,
    BatchDraw,
    LineIdValues,
    is_instance_sequence,
)
from monogen.schema import DType, FeatureMeta, Schema, line_id_field

__all__ = [
    "ExampleBatchEncoder",
    "ExampleEncoder",
    "InstanceEncoder",
    "Rows",
    "WireEncoder",
    "varint",
    "varints",
]

# --------------------------------------------------------------------------- wire basics

VARINT = 0
FIXED64 = 1
LENGTH_DELIMITED = 2
FIXED32 = 5
VARINT_BITS = 7
VARINT_GROUP = (1 << VARINT_BITS) - 1  # 0x7f
VARINT_MORE = 1 << VARINT_BITS  # 0x80: more bytes follow
MAX_VARINT_BYTES = 10
UINT64_MASK = (1 << 64) - 1
FID_BYTES = 8
FLOAT_BYTES = 4
DOUBLE_BYTES = 8

# Example
NAMED_FEATURE = 1
LINE_ID = 100
EXAMPLE_LABEL = 101
# NamedFeature / NamedFeatureList
NAME = 1
FEATURE = 2
NAMED_FEATURE_ID = 3
NAMED_FEATURE_LIST_ID = 4
# Feature (Example's) and its lists
FID_V2_LIST = 2
FLOAT_LIST = 3
DOUBLE_LIST = 4
INT64_LIST = 5
BYTES_LIST = 6
LIST_VALUE = 1
# ExampleBatch
NAMED_FEATURE_LIST = 1
BATCH_SIZE = 3
# Instance and its Feature column
INSTANCE_FID = 1
INSTANCE_LABEL = 3
INSTANCE_LINE_ID = 5
INSTANCE_FEATURE = 9
COLUMN_FID = 2
COLUMN_FLOAT = 3
COLUMN_INT64 = 4


def varint(value: int) -> bytes:
    """One varint; negative values as their 64-bit two's complement (10 bytes)."""
    value &= UINT64_MASK
    out = bytearray()
    while value > VARINT_GROUP:
        out.append(value & VARINT_GROUP | VARINT_MORE)
        value >>= VARINT_BITS
    out.append(value)
    return bytes(out)


def tag(field: int, wire_type: int) -> bytes:
    return varint(field << 3 | wire_type)


def length_delimited(field: int, payload: bytes) -> bytes:
    return tag(field, LENGTH_DELIMITED) + varint(len(payload)) + payload


def proto3_string(field: int, text: str) -> bytes:
    """A proto3 string field: nothing at all when empty."""
    return length_delimited(field, text.encode()) if text else b""


def proto3_int(field: int, value: int | None) -> bytes:
    return tag(field, VARINT) + varint(value) if value else b""


def varints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Varints of many integers: ``(len(values), width)`` bytes, zero padded, and lengths.

    Signed values are taken as 64-bit two's complement, as protobuf does for int32
    and int64 (so a negative value takes 10 bytes).
    """
    v = np.ascontiguousarray(values).astype(np.int64, copy=False).view(np.uint64).ravel()
    top = int(v.max()) if len(v) else 0
    width = max(1, -(-top.bit_length() // VARINT_BITS))
    lengths = np.ones(len(v), dtype=np.int64)
    for k in range(1, width):
        lengths += v >= np.uint64(1 << (VARINT_BITS * k))
    out = np.empty((len(v), width), dtype=np.uint8)
    for k in range(width):
        out[:, k] = (v >> np.uint64(VARINT_BITS * k)) & np.uint64(VARINT_GROUP)
    if width > 1:
        out |= (np.arange(width) < (lengths - 1)[:, None]).view(np.uint8) << VARINT_BITS
    return out, lengths


def _u8(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8)


def _as_bytes(values: np.ndarray, dtype: str) -> np.ndarray:
    """``(rows, k)`` values as ``(rows, k * itemsize)`` little-endian bytes."""
    typed = np.ascontiguousarray(values, dtype=dtype)
    return typed.view(np.uint8).reshape(len(typed), -1)


# --------------------------------------------------------------------------- rows


@dataclass
class _Block:
    """Columns of a ``Rows``.

    ``data`` is 1-D for bytes every row shares, else ``(rows, width)``; ``mask``
    (``(rows, width)``) picks each row's bytes out of a ragged block, whose row
    lengths are ``lengths``. A span block instead gives row i the slice
    ``data[spans[i]:spans[i + 1]]`` of one 1-D blob.
    """

    data: np.ndarray
    mask: np.ndarray | None = None
    lengths: np.ndarray | None = None
    spans: np.ndarray | None = None

    @property
    def is_const(self) -> bool:
        return self.data.ndim == 1 and self.spans is None

    @property
    def width(self) -> int:
        return int(self.data.shape[-1])


class Rows:
    """``rows`` byte strings built left to right from blocks, then assembled at once.

    Lengths are tracked as a constant plus, once any block is ragged, a per-row
    array, so a parent message can prefix each row with its length (``wrap``).
    """

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.blocks: list[_Block] = []
        self.fixed_length = 0
        self.row_lengths: np.ndarray | None = None

    @property
    def lengths(self) -> np.ndarray:
        """Each row's length in bytes."""
        extra = self.row_lengths if self.row_lengths is not None else 0
        return np.full(self.rows, self.fixed_length, dtype=np.int64) + extra

    def const(self, data: bytes) -> None:
        """The same bytes on every row."""
        if not data:
            return
        if self.blocks and self.blocks[-1].is_const:
            self.blocks[-1].data = np.concatenate((self.blocks[-1].data, _u8(data)))
        else:
            self.blocks.append(_Block(_u8(data)))
        self.fixed_length += len(data)

    def fixed(self, data: np.ndarray) -> None:
        """``(rows, width)`` bytes, all of them part of each row."""
        if data.shape[1]:
            self.blocks.append(_Block(data))
            self.fixed_length += data.shape[1]

    def masked(self, data: np.ndarray, mask: np.ndarray, lengths: np.ndarray) -> None:
        """``(rows, width)`` bytes of which ``mask`` picks each row's (``lengths`` of them)."""
        if (lengths == data.shape[1]).all():
            self.fixed(data)
        elif data.shape[1]:
            self.blocks.append(_Block(data, mask, lengths))
            self._add_lengths(lengths)

    def spans(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        """Row i gets ``blob[offsets[i]:offsets[i + 1]]``."""
        lengths = np.diff(offsets)
        self.blocks.append(_Block(blob, lengths=lengths, spans=offsets))
        self._add_lengths(lengths)

    def varint(self, values: np.ndarray) -> None:
        """One varint per row, e.g. a length prefix."""
        first = int(values[0])
        if (values == first).all():
            self.const(varint(first))
            return
        data, lengths = varints(values)
        self.masked(data, np.arange(data.shape[1]) < lengths[:, None], lengths)

    def extend(self, other: Rows) -> None:
        """Append ``other``'s rows to these, row by row."""
        for block in other.blocks:
            if block.is_const:
                self.const(block.data.tobytes())
            else:
                self.blocks.append(block)
                if block.lengths is None:
                    self.fixed_length += block.width
        if other.row_lengths is not None:
            self._add_lengths(other.row_lengths)

    def wrap(self, field: int) -> Rows:
        """These rows, each as a length-delimited field ``field`` of a parent message."""
        out = Rows(self.rows)
        out.const(tag(field, LENGTH_DELIMITED))
        if self.row_lengths is None:
            out.const(varint(self.fixed_length))
        else:
            out.varint(self.lengths)
        out.extend(self)
        return out

    def _add_lengths(self, lengths: np.ndarray) -> None:
        self.row_lengths = lengths if self.row_lengths is None else self.row_lengths + lengths

    # -- assembly -------------------------------------------------------------------

    def to_list(self) -> list[bytes]:
        """Each row's bytes."""
        pieces = [[blob[a:b] for a, b in pairwise(offsets)] for blob, offsets in self._segments()]
        if len(pieces) == 1:
            return pieces[0]
        return [b"".join(parts) for parts in zip(*pieces, strict=True)]

    def to_bytes(self) -> bytes:
        """All rows back to back."""
        segments = self._segments()
        if len(segments) == 1:
            return segments[0][0]
        return b"".join(self.to_list())

    def _segments(self) -> list[tuple[bytes, list[int]]]:
        """Runs of matrix blocks, each compacted at once, and span blocks: (blob, offsets)."""
        segments: list[tuple[bytes, list[int]]] = []
        run: list[_Block] = []
        for block in self.blocks:
            if block.spans is None:
                run.append(block)
                continue
            if run:
                segments.append(self._compact(run))
                run = []
            segments.append((block.data.tobytes(), block.spans.tolist()))
        if run or not segments:
            segments.append(self._compact(run))
        return segments

    def _compact(self, blocks: list[_Block]) -> tuple[bytes, list[int]]:
        """Lay the blocks side by side in one matrix, then keep the masked-in bytes."""
        rows = self.rows
        width = sum(b.width for b in blocks)
        matrix = np.empty((rows, width), dtype=np.uint8)
        ragged = [b for b in blocks if b.mask is not None]
        mask = np.ones((rows, width), dtype=bool) if ragged else None
        lengths = np.full(rows, width - sum(b.width for b in ragged), dtype=np.int64)
        at = 0
        for block in blocks:
            end = at + block.width
            matrix[:, at:end] = block.data
            if block.mask is not None and mask is not None and block.lengths is not None:
                mask[:, at:end] = block.mask
                lengths += block.lengths
            at = end
        offsets = np.zeros(rows + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = matrix[mask] if mask is not None else matrix
        return flat.tobytes(), offsets.tolist()


# --------------------------------------------------------------------------- sparse cells


@dataclass(frozen=True)
class CellTable:
    """Templates of one kind of cell: a sparse feature's bytes in one record (or row).

    A cell is ``head | fid slots | tail``; the template of (feature f, state s) holds
    the head right-aligned and the tail left-aligned, with zeros for the fids. State
    0 is "dropped", state 1 + k "kept with k fids"; ``mask`` marks the bytes each
    template really has, ``length`` counts them (fids included).
    """

    templates: np.ndarray  # (features * states, width) uint8
    mask: np.ndarray  # (features * states, width) bool
    length: np.ndarray  # (features * states,) int64
    states: int
    head_width: int
    max_fids: int

    @classmethod
    def build(
        cls, cells: Sequence[Sequence[tuple[bytes, int, bytes] | None]], max_fids: int
    ) -> CellTable:
        """``cells[f][s]`` = (head, fid count, tail); None for a state that never occurs."""
        states = len(cells[0]) if cells else 0
        flat = [c for per_feature in cells for c in per_feature]
        head_width = max((len(c[0]) for c in flat if c), default=0)
        tail_width = max((len(c[2]) for c in flat if c), default=0)
        fid_width = FID_BYTES * max_fids
        width = head_width + fid_width + tail_width
        templates = np.zeros((len(flat), width), dtype=np.uint8)
        mask = np.zeros((len(flat), width), dtype=bool)
        length = np.zeros(len(flat), dtype=np.int64)
        for index, cell in enumerate(flat):
            if cell is None:
                continue
            head, k, tail = cell
            templates[index, head_width - len(head) : head_width] = _u8(head)
            mask[index, head_width - len(head) : head_width] = True
            mask[index, head_width : head_width + FID_BYTES * k] = True
            after = head_width + fid_width
            templates[index, after : after + len(tail)] = _u8(tail)
            mask[index, after : after + len(tail)] = True
            length[index] = len(head) + FID_BYTES * k + len(tail)
        return cls(templates, mask, length, states, head_width, max_fids)

    def fill(self, codes: np.ndarray, fid_slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cells for template ``codes`` (any shape), the fids ``fid_slots`` (same shape +
        (max_fids,)) written in: ``(codes.shape + (width,))`` bytes and mask."""
        cells = self.templates[codes]
        if self.max_fids:
            fid_bytes = fid_slots.view(np.uint8).reshape(*codes.shape, FID_BYTES * self.max_fids)
            cells[..., self.head_width : self.head_width + fid_bytes.shape[-1]] = fid_bytes
        return cells, self.mask[codes]


def fid_slots(block: SparseBlock, max_fids: int) -> np.ndarray:
    """``(features, rows, max_fids)`` uint64: each cell's fids in its first slots."""
    slots = np.zeros((*block.counts.shape, max_fids), dtype=np.uint64)
    if max_fids == 1:
        slots[block.counts == 1, 0] = block.fids
    elif max_fids:
        slots[np.arange(max_fids) < block.counts[:, :, None]] = block.fids
    return slots


def sparse_state(block: SparseBlock, present_matters: bool) -> np.ndarray:
    """0 for a dropped cell, 1 + k for a cell with k fids."""
    state = block.counts + 1
    if present_matters:
        state *= block.present
    return state


# --------------------------------------------------------------------------- dense values


def dense_bytes(meta: FeatureMeta, values: np.ndarray, *, instance: bool) -> Rows:
    """A dense feature's packed list value: ``0a L values`` (Example) or the Instance
    column's ``1a L floats`` / ``22 L varints``, for every row."""
    rows = Rows(len(values))
    if meta.dtype is DType.INT64:
        data, lengths = varints(values.reshape(-1))
        n = len(values)
        mask = np.arange(data.shape[1]) < lengths[:, None]
        rows.masked(data.reshape(n, -1), mask.reshape(n, -1), lengths.reshape(n, -1).sum(1))
        return rows.wrap(COLUMN_INT64 if instance else LIST_VALUE)
    if meta.dtype is DType.FLOAT64 and not instance:
        data = _as_bytes(values, "<f8")
    else:  # Example float32, and every float of an Instance (float64 cast to float32)
        data = _as_bytes(values, "<f4")
    rows.const(tag(COLUMN_FLOAT if instance else LIST_VALUE, LENGTH_DELIMITED))
    rows.const(varint(data.shape[1]))
    rows.fixed(data)
    return rows


_EXAMPLE_LIST_FIELD = {
    DType.FLOAT32: FLOAT_LIST,
    DType.FLOAT64: DOUBLE_LIST,
    DType.INT64: INT64_LIST,
}


def example_dense_feature(meta: FeatureMeta, values: np.ndarray | None, rows: int) -> Rows:
    """An Example ``Feature`` holding a dense value (empty for a dtype left unfilled)."""
    if values is None:
        return Rows(rows)
    return dense_bytes(meta, values, instance=False).wrap(_EXAMPLE_LIST_FIELD[meta.dtype])


def packed_floats(field: int, values: np.ndarray) -> Rows:
    """Each row of ``values`` as a packed float field."""
    rows = Rows(len(values))
    data = _as_bytes(values, "<f4")
    rows.const(tag(field, LENGTH_DELIMITED) + varint(data.shape[1]))
    rows.fixed(data)
    return rows


# --------------------------------------------------------------------------- LineId


FieldEncoder = Callable[[FieldDescriptor, np.ndarray], Rows]


def line_id_rows(values: LineIdValues, rows: int) -> Rows:
    """The LineId of each row: its filled fields in field-number order."""
    out = Rows(rows)
    fields = []
    for name, column in values.items():
        fd = line_id_field(name)
        if fd is None:
            raise KeyError(f"{name!r} is not a LineId field")
        fields.append((fd.number, fd, column))
    for _, fd, column in sorted(fields, key=lambda item: item[0]):
        out.extend(_line_id_field(fd, column))
    return out


def _line_id_field(fd: FieldDescriptor, column: np.ndarray) -> Rows:
    scalar = _SCALARS.get(fd.type)
    if scalar is not None and not (fd.is_repeated and column.ndim != 2):
        return scalar(fd, column)
    return _via_protobuf(fd, column)


def _fixed_field(dtype: str, wire_type: int) -> FieldEncoder:
    def encode(fd: FieldDescriptor, column: np.ndarray) -> Rows:
        rows = Rows(len(column))
        values = column.reshape(len(column), -1)
        data = _as_bytes(values, dtype)
        if not fd.is_repeated:
            rows.const(tag(fd.number, wire_type))
            rows.fixed(data)
        elif fd.is_packed:
            rows.const(tag(fd.number, LENGTH_DELIMITED) + varint(data.shape[1]))
            rows.fixed(data)
        else:  # tag before every element
            size = data.shape[1] // values.shape[1]
            key = _u8(tag(fd.number, wire_type))
            each = np.concatenate(
                (
                    np.broadcast_to(key, (*values.shape, len(key))),
                    data.reshape(*values.shape, size),
                ),
                axis=2,
            )
            rows.fixed(each.reshape(len(column), -1))
        return rows

    return encode


def _varint_field(transform: Callable[[np.ndarray], np.ndarray]) -> FieldEncoder:
    def encode(fd: FieldDescriptor, column: np.ndarray) -> Rows:
        values = transform(column.reshape(len(column), -1))
        n, count = values.shape
        data, lengths = varints(values)
        packed = fd.is_repeated and fd.is_packed
        if not packed:  # a tag before every value
            key = _u8(tag(fd.number, VARINT))
            data = np.concatenate((np.broadcast_to(key, (len(data), len(key))), data), axis=1)
            lengths = lengths + len(key)
        mask = np.arange(data.shape[1]) < lengths[:, None]
        payload = Rows(n)
        payload.masked(data.reshape(n, -1), mask.reshape(n, -1), lengths.reshape(n, count).sum(1))
        return payload.wrap(fd.number) if packed else payload

    return encode


def _signed(values: np.ndarray) -> np.ndarray:
    return values.astype(np.int64)


def _zigzag(values: np.ndarray) -> np.ndarray:
    v = values.astype(np.int64)
    return ((v << 1) ^ (v >> 63)).view(np.int64)


def _string_field(fd: FieldDescriptor, column: np.ndarray) -> Rows:
    """Strings and bytes: constant columns (the usual case) are encoded once."""
    n = len(column)
    values = column.reshape(n, -1)
    rows = Rows(n)
    first = values[0].tolist()
    if all(v.tolist() == first for v in values):
        rows.const(b"".join(length_delimited(fd.number, _encoded(v)) for v in first))
        return rows
    return _via_protobuf(fd, column)


def _encoded(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def _via_protobuf(fd: FieldDescriptor, column: np.ndarray) -> Rows:
    """Any other field: one LineId message per row holding just this field."""
    encoded = []
    for i in range(len(column)):
        line_id = line_id_pb2.LineId()
        messages.fill_line_id(line_id, {fd.name: column}, i)
        encoded.append(line_id.SerializeToString())
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    rows = Rows(len(column))
    rows.spans(_u8(b"".join(encoded)), offsets)
    return rows


_T = FieldDescriptor
_SCALARS: dict[int, FieldEncoder] = {
    _T.TYPE_FIXED64: _fixed_field("<u8", FIXED64),
    _T.TYPE_SFIXED64: _fixed_field("<i8", FIXED64),
    _T.TYPE_DOUBLE: _fixed_field("<f8", FIXED64),
    _T.TYPE_FIXED32: _fixed_field("<u4", FIXED32),
    _T.TYPE_SFIXED32: _fixed_field("<i4", FIXED32),
    _T.TYPE_FLOAT: _fixed_field("<f4", FIXED32),
    _T.TYPE_INT64: _varint_field(_signed),
    _T.TYPE_UINT64: _varint_field(_signed),
    _T.TYPE_INT32: _varint_field(_signed),
    _T.TYPE_UINT32: _varint_field(_signed),
    _T.TYPE_BOOL: _varint_field(_signed),
    _T.TYPE_SINT64: _varint_field(_zigzag),
    _T.TYPE_SINT32: _varint_field(_zigzag),
    _T.TYPE_STRING: _string_field,
    _T.TYPE_BYTES: _string_field,
}


# --------------------------------------------------------------------------- encoders


class WireEncoder(Protocol):
    """Serialized records of one batch, byte-identical to the ``messages`` builders."""

    def __call__(self, draw: BatchDraw) -> list[bytes]: ...


def _max_fids(metas: Sequence[FeatureMeta], sequence: Callable[[FeatureMeta], bool]) -> int:
    return MAX_SEQUENCE_FIDS if any(sequence(m) for m in metas) else 1


class ExampleEncoder:
    """Example records; see the layout at the top of the module."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.max_fids = _max_fids(schema.sparse, lambda m: m.is_sequence)
        self.cells = CellTable.build([self._cells(meta) for meta in schema.sparse], self.max_fids)
        self.dense_prefix = [
            length_delimited(NAME, meta.name.encode()) if meta.name else b""
            for meta in schema.dense
        ]

    def _cells(self, meta: FeatureMeta) -> list[tuple[bytes, int, bytes] | None]:
        name = proto3_string(NAME, meta.name)
        tail = proto3_int(NAMED_FEATURE_ID, meta.slot)
        out: list[tuple[bytes, int, bytes] | None] = [None] * (self.max_fids + 2)
        out[0] = _split(length_delimited(NAMED_FEATURE, name + tail), 0, tail)
        for k in range(self.max_fids + 1):
            fid_list = length_delimited(LIST_VALUE, bytes(FID_BYTES * k)) if k else b""
            feature = length_delimited(FEATURE, length_delimited(FID_V2_LIST, fid_list))
            out[1 + k] = _split(length_delimited(NAMED_FEATURE, name + feature + tail), k, tail)
        return out

    def __call__(self, draw: BatchDraw) -> list[bytes]:
        schema, n = self.schema, draw.n
        record = Rows(n)
        if schema.sparse:
            block = SparseBlock.from_draws(n, draw.sparse)
            states = sparse_state(block, present_matters=True)
            codes = (np.arange(len(schema.sparse))[:, None] * self.cells.states + states).T
            slots = fid_slots(block, self.max_fids).transpose(1, 0, 2)
            cells, mask = self.cells.fill(codes, slots)
            lengths = self.cells.length[codes].sum(axis=1)
            record.masked(cells.reshape(n, -1), mask.reshape(n, -1), lengths)
        for meta, values, prefix in zip(schema.dense, draw.dense, self.dense_prefix, strict=True):
            named = Rows(n)
            named.const(prefix)
            feature = example_dense_feature(meta, values, n)
            if values is not None:
                named.extend(feature.wrap(FEATURE))
            record.extend(named.wrap(NAMED_FEATURE))
        if draw.line_ids:  # a LineId with no field set is not written at all
            record.extend(line_id_rows(draw.line_ids, n).wrap(LINE_ID))
        record.extend(packed_floats(EXAMPLE_LABEL, draw.labels))
        return record.to_list()


def _split(message: bytes, fids: int, tail: bytes) -> tuple[bytes, int, bytes]:
    """(head, fids, tail) of a cell whose ``fids`` zeroed fids sit just before ``tail``."""
    head = message[: len(message) - len(tail) - FID_BYTES * fids]
    return head, fids, tail


class InstanceEncoder:
    """Instance records; see the layout at the top of the module."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.columns = schema.instance_columns
        self.max_fids = _max_fids(self.columns, is_instance_sequence) if self.columns else 0
        self.cells = (
            CellTable.build([self._cells(meta) for meta in self.columns], self.max_fids)
            if self.columns
            else None
        )
        self.dense_names = [length_delimited(NAME, meta.name.encode()) for meta in schema.dense]

    def _cells(self, meta: FeatureMeta) -> list[tuple[bytes, int, bytes] | None]:
        name = length_delimited(NAME, meta.name.encode())
        out: list[tuple[bytes, int, bytes] | None] = [None]  # state 0: never (always present)
        for k in range(self.max_fids + 1):
            fids = length_delimited(COLUMN_FID, bytes(FID_BYTES * k)) if k else b""
            out.append(_split(length_delimited(INSTANCE_FEATURE, name + fids), k, b""))
        return out

    def __call__(self, draw: BatchDraw) -> list[bytes]:
        schema, n = self.schema, draw.n
        record = Rows(n)
        if schema.fidv1_slots:
            record.extend(fidv1_rows(SparseBlock.from_draws(n, draw.fidv1)))
        record.extend(packed_floats(INSTANCE_LABEL, draw.labels))
        if draw.line_ids:
            record.extend(line_id_rows(draw.line_ids, n).wrap(INSTANCE_LINE_ID))
        if self.cells is not None:
            block = SparseBlock.from_draws(n, draw.sparse)
            states = sparse_state(block, present_matters=False)
            codes = (np.arange(len(self.columns))[:, None] * self.cells.states + states).T
            slots = fid_slots(block, self.max_fids).transpose(1, 0, 2)
            cells, mask = self.cells.fill(codes, slots)
            lengths = self.cells.length[codes].sum(axis=1)
            record.masked(cells.reshape(n, -1), mask.reshape(n, -1), lengths)
        for meta, values, name in zip(schema.dense, draw.dense, self.dense_names, strict=True):
            column = Rows(n)
            column.const(name)
            if values is not None:
                column.extend(dense_bytes(meta, values, instance=True))
            record.extend(column.wrap(INSTANCE_FEATURE))
        return record.to_list()


def fidv1_rows(block: SparseBlock) -> Rows:
    """``0a 8K fids`` per row: all slots' fids in slot order (nothing when K is 0)."""
    n = block.rows
    slots = fid_slots(block, MAX_FIDV1_FIDS)  # (slots, rows, 3)
    taken = np.arange(MAX_FIDV1_FIDS) < block.counts[:, :, None]
    row_major = slots.transpose(1, 0, 2)[taken.transpose(1, 0, 2)]
    per_row = block.counts.sum(axis=0)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_row, out=offsets[1:])
    out = Rows(n)
    key = tag(INSTANCE_FID, LENGTH_DELIMITED)
    heads, head_lengths = varints(per_row * FID_BYTES)
    with_key = np.concatenate((np.broadcast_to(_u8(key), (n, len(key))), heads), axis=1)
    head_lengths = (head_lengths + len(key)) * (per_row > 0)
    out.masked(with_key, np.arange(with_key.shape[1]) < head_lengths[:, None], head_lengths)
    out.spans(row_major.view(np.uint8), offsets * FID_BYTES)
    return out


class ExampleBatchEncoder:
    """One ExampleBatch per batch; see the layout at the top of the module."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.max_fids = _max_fids(schema.sparse, lambda m: m.is_sequence)
        self.cells = CellTable.build([self._cells()], self.max_fids) if schema.sparse else None
        self.names = [proto3_string(NAME, meta.name) for meta in schema.sparse]
        self.ids = [proto3_int(NAMED_FEATURE_LIST_ID, meta.slot) for meta in schema.sparse]

    def _cells(self) -> list[tuple[bytes, int, bytes] | None]:
        out: list[tuple[bytes, int, bytes] | None] = [(length_delimited(FEATURE, b""), 0, b"")]
        for k in range(self.max_fids + 1):
            fid_list = length_delimited(LIST_VALUE, bytes(FID_BYTES * k)) if k else b""
            cell = length_delimited(FEATURE, length_delimited(FID_V2_LIST, fid_list))
            out.append(_split(cell, k, b""))
        return out

    def __call__(self, draw: BatchDraw) -> list[bytes]:
        schema, n = self.schema, draw.n
        parts: list[bytes] = []
        if self.cells is not None:
            parts.append(self._sparse_lists(SparseBlock.from_draws(n, draw.sparse)))
        for meta, values in zip(schema.dense, draw.dense, strict=True):
            parts.append(
                _feature_list(meta.name, example_dense_feature(meta, values, n).wrap(FEATURE))
            )
        line_ids = line_id_rows(draw.line_ids, n).wrap(LIST_VALUE).wrap(BYTES_LIST)
        parts.append(_feature_list(messages.LINE_ID_LIST, line_ids.wrap(FEATURE)))
        parts.append(
            _feature_list(
                messages.LABEL_LIST,
                packed_floats(LIST_VALUE, draw.labels).wrap(FLOAT_LIST).wrap(FEATURE),
            )
        )
        parts.append(proto3_int(BATCH_SIZE, n))
        return [b"".join(parts)]

    def _sparse_lists(self, block: SparseBlock) -> bytes:
        """Every sparse feature's NamedFeatureList, one row per feature."""
        assert self.cells is not None
        features = len(block.counts)
        states = sparse_state(block, present_matters=True)
        cells, mask = self.cells.fill(states, fid_slots(block, self.max_fids))
        cell_lengths = self.cells.length[states].sum(axis=1)
        names = _table(self.names)
        ids = _table(self.ids)
        body = names[2] + cell_lengths + ids[2]
        lists = Rows(features)
        lists.const(tag(NAMED_FEATURE_LIST, LENGTH_DELIMITED))
        lists.varint(body)
        lists.masked(*names)
        lists.masked(cells.reshape(features, -1), mask.reshape(features, -1), cell_lengths)
        lists.masked(*ids)
        return lists.to_bytes()


def _table(per_row: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Different bytes per row, left-aligned: data, mask, lengths."""
    width = max((len(b) for b in per_row), default=0)
    data = np.zeros((len(per_row), width), dtype=np.uint8)
    for i, b in enumerate(per_row):
        data[i, : len(b)] = _u8(b)
    lengths = np.array([len(b) for b in per_row], dtype=np.int64)
    return data, np.arange(width) < lengths[:, None], lengths


def _feature_list(name: str, features: Rows) -> bytes:
    """A NamedFeatureList whose features are ``features``' rows, back to back."""
    body = proto3_string(NAME, name) + features.to_bytes()
    return length_delimited(NAMED_FEATURE_LIST, body)
