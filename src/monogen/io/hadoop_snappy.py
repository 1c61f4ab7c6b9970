"""Snappy in Hadoop's block framing, the snappy that Monolith's data-file reader speaks.

This is not the snappy "framing format" (no ``sNaPpY`` stream identifier, no CRCs);
it is what Hadoop's ``BlockCompressorStream`` writes (docs/formats.md §6)::

    file  := block*                      ends at a block boundary
    block := u32 BE  uncompressed bytes in the block
             chunk+                      until the chunks' uncompressed sizes add up
    chunk := u32 BE  compressed length n
             n bytes of raw snappy       (the block format snappy_compress produces)

The raw snappy itself comes from cramjam; only the framing is coded here. The writer
cuts the stream into blocks of ``BLOCK_SIZE`` and compresses each as one chunk, as
Hadoop's codec does by default. The reader takes blocks of any number of chunks, and
never allocates what a length field claims: a block or chunk length over its
documented maximum is an error naming its offset.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import cramjam

from monogen.errors import CorruptRecordError, TruncatedRecordError
from monogen.io.streams import BinarySink, BinarySource, drain_whole, read_exact

U32_BE = struct.Struct(">I")
LENGTH_SIZE = U32_BE.size  # 4
BLOCK_HEADER = struct.Struct(">II")  # a block's length and its first chunk's length

# Uncompressed bytes per block the writer makes: Hadoop's io.compression.codec
# .snappy.buffersize default.
BLOCK_SIZE = 256 * 1024
# Largest block the reader accepts: Monolith's reader holds a block in a 64 MiB
# buffer and fails on anything larger.
MAX_BLOCK_BYTES = 64 << 20


def max_compressed_length(size: int) -> int:
    """The most bytes raw snappy can need for ``size`` input bytes (snappy's
    ``MaxCompressedLength``: 32 + n + n/6)."""
    return 32 + size + size // 6


MAX_CHUNK_BYTES = max_compressed_length(MAX_BLOCK_BYTES)


class SnappyBlockWriter:
    """Cuts what is written into ``BLOCK_SIZE`` blocks of one chunk each, onto ``fo``.

    ``finish`` writes the last, shorter block. The format has no end marker, so a
    stream whose writer failed ends at a block boundary.
    """

    def __init__(self, fo: BinarySink, block_size: int = BLOCK_SIZE) -> None:
        if not 0 < block_size <= MAX_BLOCK_BYTES:
            raise ValueError(f"block_size must be in 1..{MAX_BLOCK_BYTES}, not {block_size}")
        self._fo = fo
        self._block_size = block_size
        self._pending = bytearray()
        self._out = bytearray(BLOCK_HEADER.size + max_compressed_length(block_size))

    def write(self, data: bytes, /) -> int:
        self._pending += data
        drain_whole(self._pending, self._block_size, self._write_block)
        return len(data)

    def finish(self) -> None:
        if self._pending:
            with memoryview(self._pending) as view:
                self._write_block(view)
            self._pending.clear()

    def _write_block(self, block: memoryview) -> None:
        out = self._out
        header = BLOCK_HEADER.size
        size = cramjam.snappy.compress_raw_into(block, memoryview(out)[header:])
        BLOCK_HEADER.pack_into(out, 0, len(block), size)
        self._fo.write(bytes(memoryview(out)[: header + size]))


def looks_like_first_block(head: bytes) -> bool:
    """Whether ``head``, a stream's first bytes, holds a sound first Hadoop snappy block.

    Snappy has no magic bytes, so this checks the structure: a block length in
    1..MAX_BLOCK_BYTES, then a first chunk whose length fits what that block can
    compress to, and whose raw snappy decompresses to no more than the block.
    ``head`` must reach the chunk's end (``first_chunk_end``) unless the stream
    ends sooner; a chunk cut short by the end of the stream is judged on its
    size preamble alone, so that a truncated file still reads as snappy and its
    reader can say where it ends. (Data-file and TFRecord headers never pass:
    their bytes 4..8 are zero, a chunk length of 0.)
    """
    end = first_chunk_end(head)
    if end is None:
        return False
    (block_length,) = U32_BE.unpack_from(head)
    chunk = head[BLOCK_HEADER.size : end]
    try:
        if cramjam.snappy.decompress_raw_len(chunk) > block_length:
            return False
        if len(chunk) == end - BLOCK_HEADER.size:
            cramjam.snappy.decompress_raw(chunk)
    except cramjam.DecompressionError:
        return False
    return True


def first_chunk_end(head: bytes) -> int | None:
    """Where the first chunk ends if ``head`` starts with a sane block header, else None."""
    if len(head) < BLOCK_HEADER.size:
        return None
    block_length, chunk_length = BLOCK_HEADER.unpack_from(head)
    if not 0 < block_length <= MAX_BLOCK_BYTES:
        return None
    if not 0 < chunk_length <= max_compressed_length(block_length):
        return None
    return BLOCK_HEADER.size + chunk_length


def decompress(fo: BinarySource) -> Iterator[bytes]:
    """The uncompressed bytes of a Hadoop snappy stream, one chunk at a time.

    Errors name the compressed offset of the block or chunk at fault:
    ``TruncatedRecordError`` when the stream ends inside a block,
    ``CorruptRecordError`` for a length over its maximum or raw snappy that does not
    decompress to what the block says.
    """
    reader = _Reader(fo)
    while True:
        block_at = reader.offset
        block_length = reader.length("block length", block_at, end_ok=True)
        if block_length is None:
            return
        if block_length > MAX_BLOCK_BYTES:
            raise CorruptRecordError(
                f"snappy block at compressed offset {block_at} claims {block_length} bytes,"
                f" over the {MAX_BLOCK_BYTES}-byte limit"
            )
        left = block_length
        while left:
            chunk_at = reader.offset
            chunk_length = reader.length("chunk length", block_at)
            assert chunk_length is not None
            if chunk_length > max_compressed_length(left):
                raise CorruptRecordError(
                    f"snappy chunk at compressed offset {chunk_at} claims {chunk_length}"
                    f" compressed bytes, more than the {left} bytes left in its block can need"
                )
            data = _decompress_chunk(reader.take(chunk_length, block_at), chunk_at, left)
            left -= len(data)
            yield data


def _decompress_chunk(chunk: bytes, offset: int, left: int) -> bytes:
    try:
        size = cramjam.snappy.decompress_raw_len(chunk)
        if size > left:
            raise CorruptRecordError(
                f"snappy chunk at compressed offset {offset} holds {size} bytes,"
                f" more than the {left} left in its block"
            )
        return bytes(cramjam.snappy.decompress_raw(chunk))
    except cramjam.DecompressionError as exc:
        raise CorruptRecordError(
            f"snappy chunk at compressed offset {offset} does not decompress: {exc}"
        ) from exc


class _Reader:
    """Sequential reads of ``fo`` that know their compressed offset."""

    def __init__(self, fo: BinarySource) -> None:
        self._read = fo.read
        self.offset = 0

    def length(self, field: str, block_at: int, *, end_ok: bool = False) -> int | None:
        data = read_exact(self._read, LENGTH_SIZE)
        if not data and end_ok:
            return None
        if len(data) < LENGTH_SIZE:
            raise TruncatedRecordError(
                f"snappy stream ends at compressed offset {self.offset + len(data)}, inside"
                f" the {field} of the block at offset {block_at}"
            )
        self.offset += LENGTH_SIZE
        (value,) = U32_BE.unpack(data)
        return int(value)

    def take(self, size: int, block_at: int) -> bytes:
        data = read_exact(self._read, size)
        if len(data) < size:
            raise TruncatedRecordError(
                f"snappy stream ends at compressed offset {self.offset + len(data)}, inside"
                f" a {size}-byte chunk of the block at offset {block_at}"
            )
        self.offset += size
        return data
