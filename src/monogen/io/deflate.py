"""gzip (RFC 1952) and zlib (RFC 1950) streams: the deflate codecs TensorFlow writes.

Both wrap the same deflate data; only the wrapper differs, which zlib selects by
``wbits``. Output carries no timestamp or file name, so it is reproducible.
Concatenated streams (``cat a.gz b.gz``) read as one, as gzip itself does.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from monogen.errors import CorruptRecordError, TruncatedRecordError
from monogen.io.streams import BinarySink, BinarySource

# zlib ``wbits``: 15 selects the zlib wrapper (RFC 1950), 16 + 15 the gzip one (RFC 1952),
# the same windows TensorFlow's ZlibOutputBuffer uses.
ZLIB_WBITS = zlib.MAX_WBITS
GZIP_WBITS = 16 + zlib.MAX_WBITS

# Compressed input is pulled from the file, and inflated, in pieces of this size.
CHUNK_SIZE = 64 * 1024
# Output cap for a trial inflation of a stream's first bytes, so a tiny
# highly-compressed head stays cheap.
TRIAL_OUTPUT_LIMIT = 64 * 1024


class Deflater:
    """Compresses everything written to it onto ``fo``; ``finish`` writes the trailer."""

    def __init__(self, fo: BinarySink, wbits: int) -> None:
        self._fo = fo
        self._compressor = zlib.compressobj(wbits=wbits)

    def write(self, data: bytes, /) -> int:
        out = self._compressor.compress(data)
        if out:
            self._fo.write(out)
        return len(data)

    def finish(self) -> None:
        self._fo.write(self._compressor.flush())


def inflates(head: bytes, wbits: int) -> bool:
    """Whether the first bytes of a stream, ``head``, inflate without error."""
    try:
        zlib.decompressobj(wbits=wbits).decompress(head, TRIAL_OUTPUT_LIMIT)
    except zlib.error:
        return False
    return True


def inflate(fo: BinarySource, wbits: int, name: str) -> Iterator[bytes]:
    """The inflated bytes of ``fo``, in pieces of at most ``CHUNK_SIZE``.

    An empty input is an empty stream; ``name`` ("GZIP") goes into error messages,
    which give the compressed offset.
    """
    consumed = 0

    def pull() -> bytes:
        nonlocal consumed
        chunk = fo.read(CHUNK_SIZE) or b""
        consumed += len(chunk)
        return chunk

    data = pull()
    if not data:
        return
    inflater = zlib.decompressobj(wbits=wbits)
    while True:
        try:
            out = inflater.decompress(data, CHUNK_SIZE)
        except zlib.error as exc:
            raise CorruptRecordError(
                f"{name} stream is corrupt near compressed offset {consumed}: {exc}"
            ) from exc
        if out:
            yield out
        if inflater.eof:
            data = inflater.unused_data or pull()
            if not data:
                return
            inflater = zlib.decompressobj(wbits=wbits)
            continue
        data = inflater.unconsumed_tail or pull()
        if data:
            continue
        out = inflater.flush()  # output held back by the last call's size cap
        if out:
            yield out
        if not inflater.eof:
            raise TruncatedRecordError(
                f"{name} stream ends at compressed offset {consumed} before its end marker"
            )
        return
