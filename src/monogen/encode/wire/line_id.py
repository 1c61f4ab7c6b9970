"""A batch's LineIds as wire bytes, one per row, worked out from the LineId descriptor.

LineId (proto2) is written field by field in field-number order, as protobuf does:
fixed64 8 bytes, float 4 bytes, integers and bools as varints, strings
length-delimited; a set optional field is always written (even 0 or ""), a
repeated one packed when the descriptor says so, else one (tag, value) per element.
Field types and numbers come from the descriptor, so a LineId extended with more
fields needs no change here. Nothing here uses protobuf messages: the reference
encoder, which does, is what the tests compare these bytes with.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from google.protobuf.descriptor import FieldDescriptor

from monogen.encode.wire.primitives import (
    FIXED32,
    FIXED64,
    FLOAT32,
    FLOAT64,
    LENGTH_DELIMITED,
    VARINT,
    VARINT_GROUP,
    as_bytes,
    prefix_mask,
    tag,
    u8,
    varint,
    varints,
)
from monogen.encode.wire.rows import Rows
from monogen.gen.sampling import LineIdValues
from monogen.gen.schema import line_id_field

FieldEncoder = Callable[[FieldDescriptor, np.ndarray], Rows]


class LineIdEncoder:
    """Each row's LineId: its filled fields in field-number order.

    Columns that hold one value on every row (req_time, sample_rate, the default
    strings) are encoded once and remembered. A column found to vary is not looked at
    for that again: either way gives the same bytes, the check only saves work.
    """

    def __init__(self) -> None:
        self._order: dict[tuple[str, ...], list[tuple[str, FieldDescriptor]]] = {}
        self._constants: dict[tuple[str, str, bytes | str], bytes] = {}
        self._varied: set[str] = set()

    def __call__(self, values: LineIdValues, rows: int) -> Rows:
        out = Rows(rows)
        for name, fd in self._fields(tuple(values)):
            column = values[name]
            key = None if name in self._varied else _constant_key(name, column)
            if key is None:
                self._varied.add(name)
                _add_field(out, fd, column)
                continue
            encoded = self._constants.get(key)
            if encoded is None:
                encoded = self._constants[key] = _field_rows(fd, column[:1]).to_bytes()
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
    if not len(column):
        return None
    data = column.tobytes()  # rows compared as bytes: a -0.0 is not a 0.0 on the wire
    width = len(data) // len(column)
    if data != data[:width] * len(column):
        return None
    return name, column.dtype.str + str(column.shape[1:]), data[:width]


def _add_field(rows: Rows, fd: FieldDescriptor, column: np.ndarray) -> None:
    """Append one LineId field of every row to ``rows``.

    The kinds the generator draws (fixed64 ids, small non-negative integers) go
    straight in as fixed-width bytes; anything else through ``_field_rows``.
    """
    fixed = _FIXED_SCALARS.get(fd.type)
    if fixed is not None and not fd.is_repeated and column.ndim == 1:
        dtype, wire_type = fixed
        rows.const(tag(fd.number, wire_type))
        rows.fixed(as_bytes(column.reshape(-1, 1), dtype))
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
        rows.extend(_field_rows(fd, column))
        return
    values = column.reshape(len(column), -1).astype(np.uint8)
    if fd.is_repeated:  # packed: one length, then a byte per value
        rows.const(tag(fd.number, LENGTH_DELIMITED) + varint(values.shape[1]))
    else:
        rows.const(tag(fd.number, VARINT))
    rows.fixed(values)


def _field_rows(fd: FieldDescriptor, column: np.ndarray) -> Rows:
    """One field of every row, by the encoder for its descriptor type."""
    encode = _FIELD_ENCODERS.get(fd.type)
    if encode is None:
        raise TypeError(f"LineId field {fd.name!r} has a type monogen does not generate")
    if fd.is_repeated != (column.ndim == 2):
        shape = "(rows, values)" if fd.is_repeated else "(rows,)"
        raise ValueError(f"LineId field {fd.name!r} needs values of shape {shape}")
    return encode(fd, column)


def _fixed_width(dtype: str, wire_type: int) -> FieldEncoder:
    """fixed64/fixed32/double/float fields: the values' little-endian bytes."""

    def encode(fd: FieldDescriptor, column: np.ndarray) -> Rows:
        rows = Rows(len(column))
        values = column.reshape(len(column), -1)
        data = as_bytes(values, dtype)
        if not fd.is_repeated:
            rows.const(tag(fd.number, wire_type))
            rows.fixed(data)
        elif fd.is_packed:
            rows.const(tag(fd.number, LENGTH_DELIMITED) + varint(data.shape[1]))
            rows.fixed(data)
        else:  # a tag before every element
            key = np.broadcast_to(u8(tag(fd.number, wire_type)), (*values.shape, 1))
            each = data.reshape(*values.shape, -1)
            rows.fixed(np.concatenate((key, each), axis=2).reshape(len(column), -1))
        return rows

    return encode


def _varint_values(transform: Callable[[np.ndarray], np.ndarray]) -> FieldEncoder:
    """Integer, enum and bool fields as varints (``transform``: zigzag for sint32/sint64)."""

    def encode(fd: FieldDescriptor, column: np.ndarray) -> Rows:
        values = transform(column.reshape(len(column), -1))
        n, count = values.shape
        data, lengths = varints(values)
        packed = fd.is_repeated and fd.is_packed
        if not packed:  # a tag before every value
            key = u8(tag(fd.number, VARINT))
            data = np.concatenate((np.broadcast_to(key, (len(data), len(key))), data), axis=1)
            lengths = lengths + len(key)
        mask = prefix_mask(lengths, data.shape[1])
        payload = Rows(n)
        payload.masked(data.reshape(n, -1), mask.reshape(n, -1), lengths.reshape(n, count).sum(1))
        return payload.wrap(fd.number) if packed else payload

    return encode


def _two_complement(values: np.ndarray) -> np.ndarray:
    return values.astype(np.int64)


def _zigzag(values: np.ndarray) -> np.ndarray:
    v = values.astype(np.int64)
    return (v << 1) ^ (v >> 63)


def _strings(fd: FieldDescriptor, column: np.ndarray) -> Rows:
    """string and bytes fields: each value length-delimited (UTF-8 for text), per row."""
    key = tag(fd.number, LENGTH_DELIMITED)

    def one(value: str | bytes) -> bytes:
        data = value.encode() if isinstance(value, str) else bytes(value)
        return key + varint(len(data)) + data

    if fd.is_repeated:
        pieces = [b"".join(one(value) for value in row) for row in column]
    else:
        pieces = [one(value) for value in column]
    rows = Rows(len(column))
    rows.pieces(pieces)
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
    _T.TYPE_ENUM: _varint_values(_two_complement),
    _T.TYPE_BOOL: _varint_values(_two_complement),
    _T.TYPE_SINT64: _varint_values(_zigzag),
    _T.TYPE_SINT32: _varint_values(_zigzag),
    _T.TYPE_STRING: _strings,
    _T.TYPE_BYTES: _strings,
}
