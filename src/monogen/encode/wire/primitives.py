"""Protobuf wire-format primitives: tags, varints, length-delimited fields, field numbers.

Wire format pieces (``varint``: 7 bits per byte, low group first, high bit set on
all but the last byte; a negative int32/int64 as 10-byte two's complement)::

    tag                 varint(field_number << 3 | wire_type)
    wire types          0 varint, 1 fixed64 (8 bytes LE), 2 length-delimited, 5 fixed32
    length-delimited    tag, varint(byte length), payload (a string or a message)
    packed repeated     tag (type 2), varint(payload length), the values back to back
                        (fixed64 fids: 8 bytes LE each, floats 4, varints 1-10)
    repeated, unpacked  one (tag, value) per element

Field numbers are read from the generated classes' descriptors (``field_number``),
so the ``.proto`` files stay their one home.
"""

from __future__ import annotations

import functools

import numpy as np
from google.protobuf.message import Message

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
FID_LAYOUT = "<u8"  # a fid on the wire: fixed64, little-endian
FLOAT32 = "<f4"
FLOAT64 = "<f8"


def field_number(message: type[Message], name: str) -> int:
    """The number of ``message``'s field ``name``, from its descriptor."""
    return int(message.DESCRIPTOR.fields_by_name[name].number)


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


def u8(data: bytes) -> np.ndarray:
    """``data`` as a read-only uint8 array (no copy)."""
    return np.frombuffer(data, dtype=np.uint8)


def as_bytes(values: np.ndarray, dtype: str) -> np.ndarray:
    """``(rows, k)`` values as ``(rows, k * itemsize)`` little-endian bytes."""
    typed = np.ascontiguousarray(values, dtype=dtype)
    return typed.view(np.uint8).reshape(len(typed), -1)


def prefix_mask(lengths: np.ndarray, width: int) -> np.ndarray:
    """``(len(lengths), width)``: True for the first ``lengths[i]`` bytes of row i."""
    return np.arange(width) < lengths[:, None]
