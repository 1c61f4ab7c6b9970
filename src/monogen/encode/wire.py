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
are blocks (``Rows``): constant bytes, fixed-width data (dense values, labels), and
ragged blocks that carry a mask of which bytes count. The sparse features are one
ragged block of cells of equal width, one per (row, feature): a template chosen by
the feature and its state (dropped, or kept with k fids), with the fids written into
a fixed slot of the cell (``CellTable``). Dropping the masked-out bytes (one boolean
index over the whole matrix) leaves the records back to back. An Instance's fid-v1
fids, whose number per record varies most, are drawn record by record
(``sampling.RowFids``) and spliced in as slices.

Parts whose width never changes (a float dense feature, the labels) are encoded
once per schema by the same generic code with zero values; the batch then only
appends the values' bytes to that prefix (``FixedField``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

import numpy as np
from google.protobuf.descriptor import FieldDescriptor

from monogen.encode import reference as messages
from monogen.gen.sampling import (
    MAX_SEQUENCE_FIDS,
    BatchDraw,
    LineIdValues,
    RowFids,
    SparseBlock,
    SparseKind,
    SparseSpec,
)
from monogen.gen.schema import DType, FeatureMeta, Schema, line_id_field
from monogen.proto import line_id_pb2

__all__ = [
    "CellTable",
    "ExampleBatchEncoder",
    "ExampleEncoder",
    "InstanceEncoder",
    "LineIdEncoder",
    "Rows",
    "WireEncoder",
    "line_id_rows",
    "varint",
    "varints",
]

# --------------------------------------------------------------------------- wire basics

VARINT = 0
FIXED64 = 1
LENGTH_DELIMITED = 2
FIXED32 = 5
TAG_TYPE_BITS = 3
VARINT_BITS = 7
VARINT_GROUP = (1 << VARINT_BITS) - 1  # 0x7f
VARINT_MORE = 1 << VARINT_BITS  # 0x80: more bytes follow
UINT64_MASK = (1 << 64) - 1
FID_BYTES = 8
FLOAT32 = "<f4"
FLOAT64 = "<f8"

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


@functools.lru_cache(maxsize=65536)  # lengths and tags repeat endlessly
def varint(value: int) -> bytes:
    """One varint; a negative value as its 64-bit two's complement (10 bytes)."""
    value &= UINT64_MASK
    out = bytearray()
    while value > VARINT_GROUP:
        out.append(value & VARINT_GROUP | VARINT_MORE)
        value >>= VARINT_BITS
    out.append(value)
    return bytes(out)


def tag(field: int, wire_type: int) -> bytes:
    return varint(field << TAG_TYPE_BITS | wire_type)


def length_delimited(field: int, payload: bytes) -> bytes:
    return tag(field, LENGTH_DELIMITED) + varint(len(payload)) + payload


def proto3_string(field: int, text: str) -> bytes:
    """A proto3 string field: nothing at all when empty."""
    return length_delimited(field, text.encode()) if text else b""


def proto3_int(field: int, value: int | None) -> bytes:
    """A proto3 integer field: nothing at all when zero."""
    return tag(field, VARINT) + varint(value) if value else b""


def varints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Varints of many integers: ``(values.size, width)`` bytes, zero padded, and lengths.

    Signed values are taken as 64-bit two's complement, as protobuf does for int32
    and int64 (so a negative value takes 10 bytes).
    """
    v = np.ascontiguousarray(values).astype(np.int64, copy=False).view(np.uint64).ravel()
    top = int(v.max()) if len(v) else 0
    width = max(1, -(-top.bit_length() // VARINT_BITS))
    if width == 1:
        return v.astype(np.uint8).reshape(-1, 1), np.ones(len(v), dtype=np.int64)
    lengths = np.ones(len(v), dtype=np.int64)
    for k in range(1, width):
        lengths += v >= np.uint64(1 << (VARINT_BITS * k))
    out = np.empty((len(v), width), dtype=np.uint8)
    for k in range(width):
        out[:, k] = (v >> np.uint64(VARINT_BITS * k)) & np.uint64(VARINT_GROUP)
    out |= (np.arange(width) < (lengths - 1)[:, None]).view(np.uint8) << VARINT_BITS
    return out, lengths


# A ragged block at least this wide per row is compacted on its own: copying it into a
# shared matrix would cost more than joining one more piece per row.
ALONE_WIDTH = 1024


def _stands_alone(block: _Block) -> bool:
    return block.mask is not None and block.width >= ALONE_WIDTH


def _split(blob: bytes, offsets: list[int]) -> list[bytes]:
    """``blob`` cut at ``offsets`` (n + 1 of them)."""
    return [blob[a:b] for a, b in pairwise(offsets)]


def _u8(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8)


def _as_bytes(values: np.ndarray, dtype: str) -> np.ndarray:
    """``(rows, k)`` values as ``(rows, k * itemsize)`` little-endian bytes."""
    typed = np.ascontiguousarray(values, dtype=dtype)
    return typed.view(np.uint8).reshape(len(typed), -1)


def _prefix_mask(lengths: np.ndarray, width: int) -> np.ndarray:
    """``(len(lengths), width)``: True for the first ``lengths[i]`` bytes of row i."""
    return np.arange(width) < lengths[:, None]


# --------------------------------------------------------------------------- rows


@dataclass
class _Block:
    """Columns of a ``Rows``.

    ``data`` is ``bytes`` that every row shares, or a ``(rows, width)`` array; a
    ``mask`` picks each row's bytes out of a ragged block, whose row lengths are
    ``lengths``. A block of ``pieces`` instead holds each row's bytes as an object.
    """

    data: np.ndarray | bytes
    mask: np.ndarray | None = None
    lengths: np.ndarray | None = None
    pieces: list[bytes] | None = None

    @property
    def is_const(self) -> bool:
        return isinstance(self.data, bytes) and self.pieces is None

    @property
    def width(self) -> int:
        return len(self.data) if isinstance(self.data, bytes) else int(self.data.shape[-1])


class Rows:
    """``rows`` byte strings built left to right from blocks, then assembled at once.

    Lengths are tracked as a constant plus, once any block is ragged, a per-row
    array, so a parent message can prefix each row with its length (``wrap``).
    Constant bytes are gathered in a buffer until the next block of another kind.
    """

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.blocks: list[_Block] = []
        self.fixed_length = 0
        self.row_lengths: np.ndarray | None = None
        self._pending = bytearray()

    @property
    def lengths(self) -> np.ndarray:
        """Each row's length in bytes."""
        extra = self.row_lengths if self.row_lengths is not None else 0
        return np.full(self.rows, self.fixed_length, dtype=np.int64) + extra

    def const(self, data: bytes) -> None:
        """The same bytes on every row."""
        self._pending += data
        self.fixed_length += len(data)

    def fixed(self, data: np.ndarray) -> None:
        """``(rows, width)`` bytes, all of them part of each row."""
        if data.shape[1]:
            self._push(_Block(data))
            self.fixed_length += data.shape[1]

    def masked(self, data: np.ndarray, mask: np.ndarray, lengths: np.ndarray) -> None:
        """``(rows, width)`` bytes of which ``mask`` picks each row's (``lengths`` of them)."""
        if (lengths == data.shape[1]).all():
            self.fixed(data)
        elif data.shape[1]:
            self._push(_Block(data, mask, lengths))
            self._add_lengths(lengths)

    def pieces(self, pieces: list[bytes], lengths: np.ndarray | None = None) -> None:
        """Row i gets ``pieces[i]`` (``lengths``: their lengths, if known)."""
        if lengths is None:
            lengths = np.array([len(p) for p in pieces], dtype=np.int64)
        self._push(_Block(b"", lengths=lengths, pieces=pieces))
        self._add_lengths(lengths)

    def varint(self, values: np.ndarray) -> None:
        """One varint per row, e.g. a length prefix."""
        first = int(values[0])
        if (values == first).all():
            self.const(varint(first))
            return
        data, lengths = varints(values)
        self.masked(data, _prefix_mask(lengths, data.shape[1]), lengths)

    def extend(self, other: Rows) -> None:
        """Append ``other``'s bytes to each row."""
        for block in other.blocks:
            if block.is_const and isinstance(block.data, bytes):
                self._pending += block.data
            else:
                self._push(block)
        self._pending += other._pending
        self.fixed_length += other.fixed_length
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

    def _push(self, block: _Block) -> None:
        if self._pending:
            self.blocks.append(_Block(bytes(self._pending)))
            self._pending = bytearray()
        self.blocks.append(block)

    def _add_lengths(self, lengths: np.ndarray) -> None:
        self.row_lengths = lengths if self.row_lengths is None else self.row_lengths + lengths

    # -- assembly -------------------------------------------------------------------

    def to_list(self) -> list[bytes]:
        """Each row's bytes."""
        segments = self._segments()
        first, last = segments[0], segments[-1]
        if len(segments) == 2 and isinstance(last, tuple):  # the usual records: in one pass
            blob, offsets = last
            if isinstance(first, tuple):
                head, cuts = first
                pairs = zip(cuts, cuts[1:], offsets, offsets[1:], strict=False)
                return [head[a:b] + blob[c:d] for a, b, c, d in pairs]
            return [p + blob[a:b] for p, a, b in zip(first, offsets, offsets[1:], strict=False)]
        rows = [segment if isinstance(segment, list) else _split(*segment) for segment in segments]
        if len(rows) == 1:
            return rows[0]
        return [b"".join(parts) for parts in zip(*rows, strict=True)]

    def to_bytes(self) -> bytes:
        """All rows back to back."""
        segments = self._segments(alone=False)
        if len(segments) == 1 and isinstance(segments[0], tuple):
            return segments[0][0]
        rows = [segment if isinstance(segment, list) else _split(*segment) for segment in segments]
        return b"".join(b"".join(parts) for parts in zip(*rows, strict=True))

    def _segments(self, *, alone: bool = True) -> list[tuple[bytes, list[int]] | list[bytes]]:
        """Runs of matrix blocks, each compacted at once into (blob, row offsets), and
        blocks of pieces. With ``alone``, wide ragged blocks are runs of their own
        (worth it when rows are cut apart anyway)."""
        blocks = self.blocks + ([_Block(bytes(self._pending))] if self._pending else [])
        segments: list[tuple[bytes, list[int]] | list[bytes]] = []
        run: list[_Block] = []
        for block in blocks:
            if block.pieces is None and not (alone and _stands_alone(block)):
                run.append(block)
                continue
            if run:
                segments.append(self._compact(run))
                run = []
            segments.append(block.pieces if block.pieces is not None else self._compact([block]))
        if run or not segments:
            segments.append(self._compact(run))
        return segments

    def _compact(self, blocks: list[_Block]) -> tuple[bytes, list[int]]:
        """Lay the blocks side by side in one matrix, then keep the masked-in bytes."""
        rows = self.rows
        only = blocks[0] if len(blocks) == 1 else None
        if only is not None and only.mask is not None and only.lengths is not None:
            offsets = np.zeros(rows + 1, dtype=np.int64)  # compacted where it is, uncopied
            np.cumsum(only.lengths, out=offsets[1:])
            assert isinstance(only.data, np.ndarray)
            return only.data[only.mask].tobytes(), offsets.tolist()
        width = sum(b.width for b in blocks)
        matrix = np.empty((rows, width), dtype=np.uint8)
        ragged = [b for b in blocks if b.mask is not None]
        mask = np.ones((rows, width), dtype=bool) if ragged else None
        lengths = np.full(rows, width - sum(b.width for b in ragged), dtype=np.int64)
        at = 0
        for block in blocks:
            end = at + block.width
            matrix[:, at:end] = _u8(block.data) if isinstance(block.data, bytes) else block.data
            if mask is not None and block.mask is not None and block.lengths is not None:
                mask[:, at:end] = block.mask
                lengths += block.lengths
            at = end
        offsets = np.zeros(rows + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = matrix[mask] if mask is not None else matrix
        return flat.tobytes(), offsets.tolist()


class FixedField:
    """A part of a record that is a constant prefix, then the values' bytes.

    The prefix comes from the generic encoder run on one row of zeros (once per
    value count), so the two cannot disagree; per batch only the values are converted.
    """

    def __init__(self, generic: Callable[[np.ndarray], Rows], dtype: str) -> None:
        self.generic = generic
        self.dtype = dtype
        self.prefixes: dict[int, bytes] = {}

    def add(self, rows: Rows, values: np.ndarray) -> None:
        """Append each row's field to ``rows``."""
        count = values.shape[1]
        prefix = self.prefixes.get(count)
        if prefix is None:
            zeros = np.zeros((1, count), dtype=self.dtype)
            whole = self.generic(zeros).to_bytes()
            prefix = self.prefixes[count] = whole[: len(whole) - zeros.nbytes]
        rows.const(prefix)
        rows.fixed(_as_bytes(values, self.dtype))


class DenseField:
    """A dense feature's part of a record: ``FixedField`` for floats, else generic;
    ``unfilled`` (the same on every row) when the dtype is not generated."""

    def __init__(
        self, generic: Callable[[np.ndarray], Rows], dtype: str | None, unfilled: bytes
    ) -> None:
        self.generic = generic
        self.fixed = FixedField(generic, dtype) if dtype is not None else None
        self.unfilled = unfilled

    def add(self, rows: Rows, values: np.ndarray | None) -> None:
        if values is None:
            rows.const(self.unfilled)
        elif self.fixed is not None:
            self.fixed.add(rows, values)
        else:
            rows.extend(self.generic(values))


# --------------------------------------------------------------------------- sparse cells


Cell = tuple[bytes, int, bytes]  # (head, fid count, tail)


@dataclass(frozen=True)
class CellTable:
    """Templates of a sparse feature's bytes in one record (or one ExampleBatch row).

    A cell is ``head | fid slots | tail``; the template of (feature f, state s)
    holds the head right-aligned and the tail left-aligned, with zeros for the fids.
    State 0 is "dropped", state 1 + k "kept with k fids"; ``mask`` marks the bytes
    each template really has, ``length`` counts them (fids included).
    """

    templates: np.ndarray  # (features * states, width) uint8
    mask: np.ndarray  # (features * states, width) bool
    length: np.ndarray  # (features * states,) int64
    states: int
    head_width: int
    max_fids: int

    @classmethod
    def build(cls, cells: Sequence[Sequence[Cell | None]], max_fids: int) -> CellTable:
        """``cells[f][s]``; None for a state that never occurs."""
        states = len(cells[0]) if cells else 0
        flat = [c or (b"", 0, b"") for per_feature in cells for c in per_feature]
        head_width = max((len(head) for head, _, _ in flat), default=0)
        tail_width = max((len(tail) for _, _, tail in flat), default=0)
        fid_width = FID_BYTES * max_fids
        width = head_width + fid_width + tail_width
        blank = bytes(width)
        templates = np.frombuffer(
            b"".join(
                blank[: head_width - len(head)]
                + head
                + blank[:fid_width]
                + tail.ljust(tail_width, b"\0")
                for head, _, tail in flat
            ),
            dtype=np.uint8,
        ).reshape(len(flat), width)
        heads = np.array([len(head) for head, _, _ in flat], dtype=np.int64)
        fids = np.array([k for _, k, _ in flat], dtype=np.int64)
        tails = np.array([len(tail) for _, _, tail in flat], dtype=np.int64)
        column = np.arange(width)
        after = head_width + fid_width
        mask = (column >= head_width - heads[:, None]) & (
            column < head_width + FID_BYTES * fids[:, None]
        )
        mask |= (column >= after) & (column < after + tails[:, None])
        length = heads + FID_BYTES * fids + tails
        return cls(templates.copy(), mask, length, states, head_width, max_fids)

    def rows(self, codes: np.ndarray, slots: np.ndarray) -> Rows:
        """One row per row of ``codes`` (template indices), its cells side by side, with
        ``slots`` (``codes.shape + (max_fids,)`` fids) written into their places."""
        codes = np.ascontiguousarray(codes)  # np.take is much faster than fancy indexing
        cells = np.take(self.templates, codes, axis=0)
        fid_bytes = slots.view(np.uint8).reshape(*codes.shape, FID_BYTES * self.max_fids)
        cells[..., self.head_width : self.head_width + fid_bytes.shape[-1]] = fid_bytes
        mask = np.take(self.mask, codes, axis=0)
        n = len(codes)
        rows = Rows(n)
        rows.masked(
            cells.reshape(n, -1), mask.reshape(n, -1), np.take(self.length, codes).sum(axis=1)
        )
        return rows


def split_cell(message: bytes, fids: int, tail: bytes) -> Cell:
    """(head, fids, tail) of a message whose ``fids`` zeroed fids sit just before ``tail``."""
    return message[: len(message) - len(tail) - FID_BYTES * fids], fids, tail


def fid_slots(block: SparseBlock, max_fids: int) -> np.ndarray:
    """``(features, rows, max_fids)`` uint64: each cell's fids in its first slots."""
    slots = np.zeros((*block.counts.shape, max_fids), dtype=np.uint64)
    if max_fids == 1:
        slots.reshape(-1)[block.counts.reshape(-1).astype(bool)] = block.fids
    else:
        slots[np.arange(max_fids) < block.counts[:, :, None]] = block.fids
    return slots


def sparse_state(block: SparseBlock, *, dropped_matters: bool) -> np.ndarray:
    """0 for a dropped cell, 1 + k for a cell with k fids."""
    state = block.counts + 1
    if dropped_matters:
        state *= block.present
    return state


# --------------------------------------------------------------------------- LineId


FieldEncoder = Callable[[FieldDescriptor, np.ndarray], Rows]


class LineIdEncoder:
    """Each row's LineId: its filled fields in field-number order.

    Columns that hold one value on every row (req_time, sample_rate, the default
    strings) are encoded once and remembered.
    """

    def __init__(self) -> None:
        self._order: dict[tuple[str, ...], list[tuple[str, FieldDescriptor]]] = {}
        self._constants: dict[tuple[str, str, bytes | str], bytes] = {}

    def __call__(self, values: LineIdValues, rows: int) -> Rows:
        out = Rows(rows)
        for name, fd in self._fields(tuple(values)):
            column = values[name]
            key = _constant_key(name, column)
            if key is None:
                _add_field(out, fd, column)
                continue
            encoded = self._constants.get(key)
            if encoded is None:
                encoded = self._constants[key] = _line_id_field(fd, column[:1]).to_bytes()
            out.const(encoded)
        return out

    def _fields(self, names: tuple[str, ...]) -> list[tuple[str, FieldDescriptor]]:
        order = self._order.get(names)
        if order is None:
            described = []
            for name in names:
                fd = line_id_field(name)
                if fd is None:
                    raise KeyError(f"{name!r} is not a LineId field")
                described.append((name, fd))
            order = self._order[names] = sorted(described, key=lambda item: item[1].number)
        return order


def line_id_rows(values: LineIdValues, rows: int) -> Rows:
    """Each row's LineId (see ``LineIdEncoder``, which remembers constants across calls)."""
    return LineIdEncoder()(values, rows)


def _constant_key(name: str, column: np.ndarray) -> tuple[str, str, bytes | str] | None:
    """A key for a column whose rows are all equal; None when they are not."""
    if column.dtype == object:
        rows = [row.tolist() if column.ndim > 1 else row for row in column]
        return (name, "object", repr(rows[0])) if all(r == rows[0] for r in rows) else None
    if len(column) > 1 and column.ndim == 1 and column[0] != column[1]:
        return None  # the usual random column, told apart without a full comparison
    if not (column == column[0]).all():
        return None
    return name, column.dtype.str + str(column.shape[1:]), column[0].tobytes()


def _add_field(rows: Rows, fd: FieldDescriptor, column: np.ndarray) -> None:
    """Append one LineId field of every row to ``rows``.

    The kinds the generator draws (fixed64 ids, small non-negative integers) go
    straight in as fixed-width bytes; anything else through ``_line_id_field``.
    """
    fixed = _FIXED_SCALARS.get(fd.type)
    if fixed is not None and not fd.is_repeated and column.ndim == 1:
        dtype, wire_type = fixed
        rows.const(tag(fd.number, wire_type))
        rows.fixed(_as_bytes(column.reshape(-1, 1), dtype))
        return
    one_byte = (
        fd.type in _PLAIN_VARINTS
        and column.dtype.kind in "iub"
        and fd.is_repeated == (column.ndim == 2)
        and (fd.is_packed or not fd.is_repeated)
        and column.min() >= 0
        and column.max() <= VARINT_GROUP
    )
    if not one_byte:
        rows.extend(_line_id_field(fd, column))
        return
    values = column.reshape(len(column), -1).astype(np.uint8)
    if fd.is_repeated:  # packed: one length, then a byte per value
        rows.const(tag(fd.number, LENGTH_DELIMITED) + varint(values.shape[1]))
    else:
        rows.const(tag(fd.number, VARINT))
    rows.fixed(values)


def _line_id_field(fd: FieldDescriptor, column: np.ndarray) -> Rows:
    encode = _FIELD_ENCODERS.get(fd.type)
    if encode is None or fd.is_repeated != (column.ndim == 2):
        return _via_protobuf(fd, column)
    return encode(fd, column)


def _fixed_width(dtype: str, wire_type: int) -> FieldEncoder:
    """fixed64/fixed32/double/float fields: the values' little-endian bytes."""

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
        else:  # a tag before every element
            key = np.broadcast_to(_u8(tag(fd.number, wire_type)), (*values.shape, 1))
            each = data.reshape(*values.shape, -1)
            rows.fixed(np.concatenate((key, each), axis=2).reshape(len(column), -1))
        return rows

    return encode


def _varint_values(transform: Callable[[np.ndarray], np.ndarray]) -> FieldEncoder:
    """Integer and bool fields as varints (``transform``: zigzag for sint32/sint64)."""

    def encode(fd: FieldDescriptor, column: np.ndarray) -> Rows:
        values = transform(column.reshape(len(column), -1))
        n, count = values.shape
        data, lengths = varints(values)
        packed = fd.is_repeated and fd.is_packed
        if not packed:  # a tag before every value
            key = _u8(tag(fd.number, VARINT))
            data = np.concatenate((np.broadcast_to(key, (len(data), len(key))), data), axis=1)
            lengths = lengths + len(key)
        mask = _prefix_mask(lengths, data.shape[1])
        payload = Rows(n)
        payload.masked(data.reshape(n, -1), mask.reshape(n, -1), lengths.reshape(n, count).sum(1))
        return payload.wrap(fd.number) if packed else payload

    return encode


def _two_complement(values: np.ndarray) -> np.ndarray:
    return values.astype(np.int64)


def _zigzag(values: np.ndarray) -> np.ndarray:
    v = values.astype(np.int64)
    return (v << 1) ^ (v >> 63)


def _via_protobuf(fd: FieldDescriptor, column: np.ndarray) -> Rows:
    """Any other field: per row, a LineId holding just this field, serialized by protobuf."""
    encoded = []
    for i in range(len(column)):
        line_id = line_id_pb2.LineId()
        messages.fill_line_id(line_id, {fd.name: column}, i)
        encoded.append(line_id.SerializeToString())
    rows = Rows(len(column))
    rows.pieces(encoded)
    return rows


_T = FieldDescriptor
_FIXED_SCALARS = {_T.TYPE_FIXED64: ("<u8", FIXED64), _T.TYPE_FLOAT: (FLOAT32, FIXED32)}
_PLAIN_VARINTS = frozenset(
    {_T.TYPE_INT64, _T.TYPE_UINT64, _T.TYPE_INT32, _T.TYPE_UINT32, _T.TYPE_BOOL}
)
_FIELD_ENCODERS: dict[int, FieldEncoder] = {
    _T.TYPE_FIXED64: _fixed_width("<u8", FIXED64),
    _T.TYPE_SFIXED64: _fixed_width("<i8", FIXED64),
    _T.TYPE_DOUBLE: _fixed_width(FLOAT64, FIXED64),
    _T.TYPE_FIXED32: _fixed_width("<u4", FIXED32),
    _T.TYPE_SFIXED32: _fixed_width("<i4", FIXED32),
    _T.TYPE_FLOAT: _fixed_width(FLOAT32, FIXED32),
    _T.TYPE_INT64: _varint_values(_two_complement),
    _T.TYPE_UINT64: _varint_values(_two_complement),
    _T.TYPE_INT32: _varint_values(_two_complement),
    _T.TYPE_UINT32: _varint_values(_two_complement),
    _T.TYPE_BOOL: _varint_values(_two_complement),
    _T.TYPE_SINT64: _varint_values(_zigzag),
    _T.TYPE_SINT32: _varint_values(_zigzag),
    # strings and bytes: ``line_id_rows`` encodes constant columns (the only kind
    # generated) once through protobuf; others go through protobuf row by row
}


# --------------------------------------------------------------------------- dense values

# The Example Feature list that holds a dense dtype; its value field is packed.
_EXAMPLE_LISTS = {DType.FLOAT32: FLOAT_LIST, DType.FLOAT64: DOUBLE_LIST, DType.INT64: INT64_LIST}
_EXAMPLE_DTYPES = {DType.FLOAT32: FLOAT32, DType.FLOAT64: FLOAT64}


def packed_values(field: int, values: np.ndarray, dtype: str | None) -> Rows:
    """Each row of ``values`` as one packed repeated field: floats (``dtype``) or varints."""
    n = len(values)
    payload = Rows(n)
    if dtype is not None:
        payload.fixed(_as_bytes(values, dtype))
    else:
        data, lengths = varints(values)
        mask = _prefix_mask(lengths, data.shape[1]).reshape(n, -1)
        payload.masked(data.reshape(n, -1), mask, lengths.reshape(n, -1).sum(axis=1))
    return payload.wrap(field)


def example_feature(meta: FeatureMeta, values: np.ndarray) -> Rows:
    """``Feature { <dtype>_list { value: values[i] } }`` per row."""
    list_field = _EXAMPLE_LISTS[meta.dtype]
    return packed_values(LIST_VALUE, values, _EXAMPLE_DTYPES.get(meta.dtype)).wrap(list_field)


# --------------------------------------------------------------------------- encoders


class WireEncoder(Protocol):
    """Serialized records of one batch, byte-identical to the ``messages`` builders."""

    def __call__(self, draw: BatchDraw) -> list[bytes]: ...


def _max_fids(specs: Sequence[SparseSpec]) -> int:
    """Fids per cell to make room for: two when any feature is sequence-like, else one."""
    return MAX_SEQUENCE_FIDS if any(s.kind is SparseKind.SEQUENCE for s in specs) else 1


class ExampleEncoder:
    """Example records; see the layout at the top of the module."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.max_fids = _max_fids([SparseSpec.example(m) for m in schema.sparse])
        self.cells = CellTable.build([self._cells(m) for m in schema.sparse], self.max_fids)
        self.dense = [self._dense(meta) for meta in schema.dense]
        self.line_id = LineIdEncoder()
        self.labels = FixedField(lambda v: packed_values(EXAMPLE_LABEL, v, FLOAT32), FLOAT32)

    def _cells(self, meta: FeatureMeta) -> list[Cell | None]:
        name = proto3_string(NAME, meta.name)
        tail = proto3_int(NAMED_FEATURE_ID, meta.slot)
        out: list[Cell | None] = [split_cell(length_delimited(NAMED_FEATURE, name + tail), 0, tail)]
        for k in range(self.max_fids + 1):
            fid_list = length_delimited(LIST_VALUE, bytes(FID_BYTES * k)) if k else b""
            feature = length_delimited(FEATURE, length_delimited(FID_V2_LIST, fid_list))
            out.append(split_cell(length_delimited(NAMED_FEATURE, name + feature + tail), k, tail))
        return out

    def _dense(self, meta: FeatureMeta) -> DenseField:
        name = proto3_string(NAME, meta.name)

        def named(values: np.ndarray) -> Rows:
            rows = Rows(len(values))
            rows.const(name)
            rows.extend(example_feature(meta, values).wrap(FEATURE))
            return rows.wrap(NAMED_FEATURE)

        unfilled = length_delimited(NAMED_FEATURE, name)  # a dtype left empty: name only
        return DenseField(named, _EXAMPLE_DTYPES.get(meta.dtype), unfilled)

    def __call__(self, draw: BatchDraw) -> list[bytes]:
        n = draw.n
        record = Rows(n)
        if self.schema.sparse:
            block = draw.sparse
            states = sparse_state(block, dropped_matters=True)
            codes = np.arange(len(states))[:, None] * self.cells.states + states
            slots = fid_slots(block, self.max_fids)
            record.extend(self.cells.rows(codes.T, slots.transpose(1, 0, 2)))
        for dense, values in zip(self.dense, draw.dense, strict=True):
            dense.add(record, values)
        if draw.line_ids:  # a LineId with no field set is not written at all
            record.extend(self.line_id(draw.line_ids, n).wrap(LINE_ID))
        self.labels.add(record, draw.labels)
        return record.to_list()


class InstanceEncoder:
    """Instance records; see the layout at the top of the module."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.columns = schema.instance_columns
        self.max_fids = _max_fids([SparseSpec.instance_column(m) for m in self.columns])
        self.cells = CellTable.build([self._cells(m) for m in self.columns], self.max_fids)
        self.dense = [self._dense(meta) for meta in schema.dense]
        self.line_id = LineIdEncoder()
        self.labels = FixedField(lambda v: packed_values(INSTANCE_LABEL, v, FLOAT32), FLOAT32)

    def _cells(self, meta: FeatureMeta) -> list[Cell | None]:
        name = length_delimited(NAME, meta.name.encode())
        out: list[Cell | None] = [None]  # every column is written, fids or not
        for k in range(self.max_fids + 1):
            fids = length_delimited(COLUMN_FID, bytes(FID_BYTES * k)) if k else b""
            out.append(split_cell(length_delimited(INSTANCE_FEATURE, name + fids), k, b""))
        return out

    def _dense(self, meta: FeatureMeta) -> DenseField:
        name = length_delimited(NAME, meta.name.encode())
        is_int = meta.dtype is DType.INT64
        dtype = None if is_int else FLOAT32  # float64 values go to float_value as float32

        def column(values: np.ndarray) -> Rows:
            rows = Rows(len(values))
            rows.const(name)
            rows.extend(packed_values(COLUMN_INT64 if is_int else COLUMN_FLOAT, values, dtype))
            return rows.wrap(INSTANCE_FEATURE)

        return DenseField(column, dtype, length_delimited(INSTANCE_FEATURE, name))

    def __call__(self, draw: BatchDraw) -> list[bytes]:
        n = draw.n
        record = Rows(n)
        if self.schema.fidv1_slots:
            record.extend(fidv1_rows(draw.fidv1))
        self.labels.add(record, draw.labels)
        if draw.line_ids:
            record.extend(self.line_id(draw.line_ids, n).wrap(INSTANCE_LINE_ID))
        if self.columns:
            block = draw.sparse
            states = sparse_state(block, dropped_matters=False)
            codes = np.arange(len(states))[:, None] * self.cells.states + states
            slots = fid_slots(block, self.max_fids)
            record.extend(self.cells.rows(codes.T, slots.transpose(1, 0, 2)))
        for dense, values in zip(self.dense, draw.dense, strict=True):
            dense.add(record, values)
        return record.to_list()


def fidv1_rows(draw: RowFids) -> Rows:
    """``0a 8K fids`` per row: all slots' fids in slot order (nothing when K is 0)."""
    blob = draw.fids.tobytes()
    bounds = (draw.offsets * FID_BYTES).tolist()
    counts = np.diff(draw.offsets).tolist()
    heads = [_fidv1_head(k) for k in counts]
    pieces = [head + blob[a:b] for head, a, b in zip(heads, bounds, bounds[1:], strict=False)]
    out = Rows(len(counts))
    out.pieces(pieces)
    return out


@functools.lru_cache(maxsize=4096)
def _fidv1_head(count: int) -> bytes:
    """The tag and length of an Instance's packed fid field holding ``count`` fids."""
    return tag(INSTANCE_FID, LENGTH_DELIMITED) + varint(count * FID_BYTES) if count else b""


class ExampleBatchEncoder:
    """One ExampleBatch per batch; see the layout at the top of the module."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.max_fids = _max_fids([SparseSpec.example(m) for m in schema.sparse])
        self.cells = CellTable.build([self._cells()], self.max_fids)
        self.names = _table([proto3_string(NAME, meta.name) for meta in schema.sparse])
        self.ids = _table([proto3_int(NAMED_FEATURE_LIST_ID, m.slot) for m in schema.sparse])
        self.dense = [self._dense(meta) for meta in schema.dense]
        self.line_id = LineIdEncoder()
        self.labels = FixedField(
            lambda v: packed_values(LIST_VALUE, v, FLOAT32).wrap(FLOAT_LIST).wrap(FEATURE), FLOAT32
        )

    def _cells(self) -> list[Cell | None]:
        """One feature's cell in each state: a dropped row is an empty Feature."""
        out: list[Cell | None] = [(length_delimited(FEATURE, b""), 0, b"")]
        for k in range(self.max_fids + 1):
            fid_list = length_delimited(LIST_VALUE, bytes(FID_BYTES * k)) if k else b""
            cell = length_delimited(FEATURE, length_delimited(FID_V2_LIST, fid_list))
            out.append(split_cell(cell, k, b""))
        return out

    def _dense(self, meta: FeatureMeta) -> DenseField:
        def feature(values: np.ndarray) -> Rows:
            return example_feature(meta, values).wrap(FEATURE)

        dtype = _EXAMPLE_DTYPES.get(meta.dtype)
        return DenseField(feature, dtype, length_delimited(FEATURE, b""))  # unfilled: empty

    def __call__(self, draw: BatchDraw) -> list[bytes]:
        schema, n = self.schema, draw.n
        parts: list[bytes] = []
        if schema.sparse:
            parts.append(self._sparse_lists(draw.sparse))
        for meta, dense, values in zip(schema.dense, self.dense, draw.dense, strict=True):
            cells = Rows(n)
            dense.add(cells, values)
            parts.append(_feature_list(meta.name, cells))
        line_ids = self.line_id(draw.line_ids, n).wrap(LIST_VALUE).wrap(BYTES_LIST)
        parts.append(_feature_list(messages.LINE_ID_LIST, line_ids.wrap(FEATURE)))
        labels = Rows(n)
        self.labels.add(labels, draw.labels)
        parts.append(_feature_list(messages.LABEL_LIST, labels))
        parts.append(proto3_int(BATCH_SIZE, n))
        return [b"".join(parts)]

    def _sparse_lists(self, block: SparseBlock) -> bytes:
        """Every sparse feature's NamedFeatureList: one row per feature."""
        features = len(block.counts)
        states = sparse_state(block, dropped_matters=True)
        cells = self.cells.rows(states, fid_slots(block, self.max_fids))
        names, ids = self.names, self.ids
        lists = Rows(features)
        lists.const(tag(NAMED_FEATURE_LIST, LENGTH_DELIMITED))
        lists.varint(names[2] + cells.lengths + ids[2])
        lists.masked(*names)
        lists.extend(cells)
        lists.masked(*ids)
        return lists.to_bytes()


def _table(per_row: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Different bytes per row, left-aligned: data, mask, lengths."""
    width = max((len(b) for b in per_row), default=0)
    data = np.frombuffer(b"".join(b.ljust(width, b"\0") for b in per_row), dtype=np.uint8)
    lengths = np.array([len(b) for b in per_row], dtype=np.int64)
    return data.reshape(len(per_row), width), _prefix_mask(lengths, width), lengths


def _feature_list(name: str, features: Rows) -> bytes:
    """A NamedFeatureList whose features are ``features``' rows, back to back."""
    return length_delimited(NAMED_FEATURE_LIST, proto3_string(NAME, name) + features.to_bytes())
