"""zstd streams (RFC 8878), written and read one frame at a time (docs/formats.md §6).

A zstd stream is frames back to back; any decoder reads concatenated frames as one
stream. cramjam compresses and decompresses whole frames only, so the writer cuts
the stream into frames of ``FRAME_SIZE`` uncompressed bytes, and the reader finds
each frame's end by walking its block headers, then decompresses it in one call.
Memory is therefore one frame, whatever the file's size; a frame that could hold
more than ``MAX_FRAME_BYTES`` is an error naming its offset (a stream written as one
huge frame, as the ``zstd`` tool does for a big file, needs another reader).

Frame layout, as far as the reader needs it (RFC 8878 §3.1.1)::

    magic               4 bytes, 28 B5 2F FD
    frame header        1-byte descriptor, then window (0/1), dictionary id (0/1/2/4)
                        and content size (0/1/2/4/8 bytes), sizes from the descriptor
    block*              3-byte LE header: bit 0 last block, bits 1-2 type
                        (raw, RLE, compressed), bits 3-23 size; then the content
                        (1 byte for RLE, ``size`` bytes otherwise)
    checksum            4 bytes, when the descriptor says so

Skippable frames (magic 50..5F 2A 4D 18, a 4-byte LE size, that many bytes) are
skipped, as every zstd decoder does.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import cramjam

from monogen.errors import CorruptRecordError, TruncatedRecordError
from monogen.io.streams import (
    READ_CHUNK,
    BinarySink,
    BinarySource,
    drain_whole,
    read_exact,
)

MAGIC = bytes.fromhex("28b52ffd")
SKIPPABLE_MAGIC_BASE = 0x184D2A50  # the low four bits are free
SKIPPABLE_MAGIC_MASK = 0xFFFFFFF0
U32_LE = struct.Struct("<I")
MAGIC_SIZE = U32_LE.size

# Frame header descriptor bits.
FCS_FLAG_SHIFT = 6
SINGLE_SEGMENT = 0x20
RESERVED_BIT = 0x08
CHECKSUM_FLAG = 0x04
DICT_ID_FLAG_MASK = 0x03
DICT_ID_SIZES = (0, 1, 2, 4)
FCS_SIZES = (0, 2, 4, 8)  # flag 0 means 1 byte when single-segment
CHECKSUM_SIZE = 4

BLOCK_HEADER_SIZE = 3
LAST_BLOCK = 0x01
BLOCK_TYPE_SHIFT = 1
BLOCK_TYPE_MASK = 0x03
BLOCK_SIZE_SHIFT = 3
RAW_BLOCK, RLE_BLOCK, COMPRESSED_BLOCK = 0, 1, 2
# A block never regenerates more than this (RFC 8878 §3.1.1.2.4).
MAX_BLOCK_BYTES = 128 * 1024

# Uncompressed bytes per frame the writer makes.
FRAME_SIZE = 1 << 20
# Largest frame the reader decompresses: Monolith's reader buffer size.
MAX_FRAME_BYTES = 64 << 20


class ZstdFrameWriter:
    """Compresses what is written to it onto ``fo`` as frames of ``FRAME_SIZE`` bytes.

    ``finish`` writes the last frame; a stream with no data still gets one (empty)
    frame, so every output is a valid zstd stream. The frames are independent, so a
    stream whose writer failed ends at a frame boundary.
    """

    def __init__(self, fo: BinarySink, frame_size: int = FRAME_SIZE) -> None:
        if not 0 < frame_size <= MAX_FRAME_BYTES:
            raise ValueError(f"frame_size must be in 1..{MAX_FRAME_BYTES}, not {frame_size}")
        self._fo = fo
        self._frame_size = frame_size
        self._pending = bytearray()
        self._frames = 0

    def write(self, data: bytes, /) -> int:
        self._pending += data
        drain_whole(self._pending, self._frame_size, self._write_frame)
        return len(data)

    def finish(self) -> None:
        if self._pending or not self._frames:
            with memoryview(self._pending) as view:
                self._write_frame(view)
            self._pending.clear()

    def _write_frame(self, data: memoryview) -> None:
        self._fo.write(bytes(cramjam.zstd.compress(data)))
        self._frames += 1


def looks_like_frame(head: bytes) -> bool:
    """Whether ``head`` starts with a zstd frame's magic and a valid descriptor."""
    return head[:MAGIC_SIZE] == MAGIC and len(head) > MAGIC_SIZE and _descriptor_ok(head[4])


def _descriptor_ok(descriptor: int) -> bool:
    return not descriptor & RESERVED_BIT


def decompress(fo: BinarySource) -> Iterator[bytes]:
    """The uncompressed bytes of a zstd stream, one frame at a time.

    Errors name the compressed offset of the frame at fault: ``TruncatedRecordError``
    when the stream ends inside a frame, ``CorruptRecordError`` for bytes that are no
    frame, a frame too large to hold, or one that does not decompress.
    """
    reader = _Reader(fo)
    while True:
        frame_at = reader.offset
        magic = reader.take_or_end(MAGIC_SIZE, frame_at)
        if not magic:
            return
        (number,) = U32_LE.unpack(magic)
        if number & SKIPPABLE_MAGIC_MASK == SKIPPABLE_MAGIC_BASE:
            (size,) = U32_LE.unpack(reader.take(MAGIC_SIZE, frame_at))
            reader.skip(size, frame_at)
            continue
        if magic != MAGIC:
            raise CorruptRecordError(
                f"zstd stream has no frame at compressed offset {frame_at}"
                f" (it starts {magic.hex()}, not {MAGIC.hex()})"
            )
        frame = _read_frame(reader, frame_at)
        try:
            data = cramjam.zstd.decompress(frame)
        except cramjam.DecompressionError as exc:
            raise CorruptRecordError(
                f"zstd frame at compressed offset {frame_at} does not decompress: {exc}"
            ) from exc
        if len(data):
            yield bytes(data)


def _read_frame(reader: _Reader, frame_at: int) -> bytes:
    """The whole frame starting at ``frame_at`` (its magic already read), magic included."""
    parts = [MAGIC]
    descriptor = reader.take(1, frame_at)
    parts.append(descriptor)
    flags = descriptor[0]
    if not _descriptor_ok(flags):
        raise CorruptRecordError(
            f"zstd frame at compressed offset {frame_at} has its reserved header bit set"
        )
    fcs_flag = flags >> FCS_FLAG_SHIFT
    single_segment = bool(flags & SINGLE_SEGMENT)
    fcs_size = 1 if fcs_flag == 0 and single_segment else FCS_SIZES[fcs_flag]
    rest = (0 if single_segment else 1) + DICT_ID_SIZES[flags & DICT_ID_FLAG_MASK] + fcs_size
    header = reader.take(rest, frame_at)
    parts.append(header)
    if fcs_size:
        content_size = int.from_bytes(header[rest - fcs_size :], "little")
        if fcs_size == 2:
            content_size += 256  # RFC 8878: the 2-byte field is offset by 256
        _check_frame_size(content_size, frame_at)
    bound = 0
    while True:
        block_header = reader.take(BLOCK_HEADER_SIZE, frame_at)
        parts.append(block_header)
        value = int.from_bytes(block_header, "little")
        block_type = (value >> BLOCK_TYPE_SHIFT) & BLOCK_TYPE_MASK
        size = value >> BLOCK_SIZE_SHIFT
        if size > MAX_BLOCK_BYTES or block_type > COMPRESSED_BLOCK:
            raise CorruptRecordError(
                f"zstd frame at compressed offset {frame_at} has a bad block header at"
                f" offset {reader.offset - BLOCK_HEADER_SIZE}"
            )
        bound += size if block_type != COMPRESSED_BLOCK else MAX_BLOCK_BYTES
        _check_frame_size(bound, frame_at)
        parts.append(reader.take(1 if block_type == RLE_BLOCK else size, frame_at))
        if value & LAST_BLOCK:
            break
    if flags & CHECKSUM_FLAG:
        parts.append(reader.take(CHECKSUM_SIZE, frame_at))
    return b"".join(parts)


def _check_frame_size(size: int, frame_at: int) -> None:
    if size > MAX_FRAME_BYTES:
        raise CorruptRecordError(
            f"zstd frame at compressed offset {frame_at} can hold more than the"
            f" {MAX_FRAME_BYTES} bytes monogen decompresses at once; decompress the"
            " file first (zstd -dc) and read it uncompressed"
        )


class _Reader:
    """Sequential reads of ``fo`` that know their compressed offset."""

    def __init__(self, fo: BinarySource) -> None:
        self._read = fo.read
        self.offset = 0

    def take_or_end(self, size: int, frame_at: int) -> bytes:
        data = read_exact(self._read, size)
        if data and len(data) < size:
            self._truncated(len(data), frame_at)
        self.offset += len(data)
        return data

    def take(self, size: int, frame_at: int) -> bytes:
        data = read_exact(self._read, size)
        if len(data) < size:
            self._truncated(len(data), frame_at)
        self.offset += size
        return data

    def skip(self, size: int, frame_at: int) -> None:
        while size:
            piece = min(size, READ_CHUNK)
            self.take(piece, frame_at)
            size -= piece

    def _truncated(self, got: int, frame_at: int) -> None:
        raise TruncatedRecordError(
            f"zstd stream ends at compressed offset {self.offset + got}, inside the frame"
            f" at offset {frame_at}"
        )
