"""Whole-stream GZIP / ZLIB compression shared by monogen's record formats.

TensorFlow (``compression_type="GZIP"`` / ``"ZLIB"``) and Monolith's data-file
reader both compress a record file as one stream rather than record by record, so
one codec layer serves the TFRecord and the data-file modules: the record code
frames bytes, and this module squeezes or inflates the byte stream underneath.

Design points:

* Nothing here owns the caller's file object. Finishing a compressed stream writes
  its trailer and flushes, but never closes ``fo`` (it may be stdout, or an
  ``open_output`` target renamed into place afterwards).
* When a write fails, the compressed stream is left without its end marker, so a
  reader reports it as truncated instead of accepting a silently short file.
* Output is reproducible: gzip headers carry no timestamp and no file name.
* Readers work on non-seekable streams (pipes, stdin): input is pulled strictly
  sequentially, and compression sniffing replays the bytes it looked at.
"""

from __future__ import annotations

import contextlib
import enum
import io
import zlib
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, Protocol

from monogen.errors import CompressionError, CorruptRecordError, TruncatedRecordError

if TYPE_CHECKING:  # only for annotations; typing_extensions is not a runtime dependency
    from typing_extensions import Buffer, Self

# zlib ``wbits``: 15 selects the zlib wrapper (RFC 1950), 16 + 15 the gzip one (RFC 1952),
# the same windows TensorFlow's ZlibOutputBuffer uses.
ZLIB_WBITS = zlib.MAX_WBITS
GZIP_WBITS = 16 + zlib.MAX_WBITS

# Magic bytes used to recognise a compressed stream when the caller did not say.
# gzip: ID1 ID2 (RFC 1952 §2.3.1). zlib: CMF 0x78 (deflate, 32 KiB window) followed by
# the FLG byte of each of the four compression levels (RFC 1950 §2.2).
GZIP_MAGIC = b"\x1f\x8b"
ZLIB_CMF = 0x78
ZLIB_FLG_BYTES = frozenset({0x01, 0x5E, 0x9C, 0xDA})
MAGIC_SIZE = 2

# How many leading bytes sniffing reads and test-inflates. Magic bytes alone are
# not enough: an uncompressed data file without a header starts with its first
# payload length, and a 376-byte payload is the bytes 78 01 00 00 ..., the zlib
# magic. Such a prefix is not a valid deflate stream (its first "stored block" has
# inconsistent lengths), so inflating a little of it tells the two apart.
SNIFF_SIZE = 4096
# Output cap for that trial inflation, so a tiny highly-compressed head stays cheap.
SNIFF_OUTPUT_LIMIT = 64 * 1024

# Compressed input is pulled from the file, and inflated, in chunks of this size.
CHUNK_SIZE = 64 * 1024


class Compression(enum.Enum):
    """Whole-stream compression, as TensorFlow's ``compression_type``."""

    NONE = "none"
    GZIP = "gzip"
    ZLIB = "zlib"

    @classmethod
    def parse(cls, value: Compression | str | None) -> Compression:
        """Accept a member, a case-insensitive name, or ``None``/``""`` (TF's "no compression")."""
        if isinstance(value, Compression):
            return value
        if value is None or value == "":
            return cls.NONE
        try:
            return cls(value.lower())
        except ValueError:
            valid = ", ".join(member.value for member in cls)
            raise CompressionError(
                f"unknown compression {value!r}; expected one of: {valid}"
            ) from None

    @classmethod
    def from_magic(cls, head: bytes) -> Compression:
        """The compression whose magic bytes ``head`` starts with (NONE if neither)."""
        if head[:MAGIC_SIZE] == GZIP_MAGIC:
            return cls.GZIP
        if len(head) >= MAGIC_SIZE and head[0] == ZLIB_CMF and head[1] in ZLIB_FLG_BYTES:
            return cls.ZLIB
        return cls.NONE

    @classmethod
    def sniff(cls, head: bytes) -> Compression:
        """Guess a stream's compression from its first bytes (``peek`` gets them).

        GZIP or ZLIB only when the magic bytes match *and* ``head`` inflates without
        error; anything else is NONE. So a damaged compressed stream whose damage lies
        within ``head`` is taken for uncompressed data: the file is unreadable either
        way, and readers can use ``from_magic`` to say what it looked like.
        """
        candidate = cls.from_magic(head)
        if candidate is cls.NONE:
            return candidate
        try:
            zlib.decompressobj(wbits=_WBITS[candidate]).decompress(head, SNIFF_OUTPUT_LIMIT)
        except zlib.error:
            return cls.NONE
        return candidate


_WBITS: dict[Compression, int] = {Compression.GZIP: GZIP_WBITS, Compression.ZLIB: ZLIB_WBITS}


class BinarySink(Protocol):
    """Anything bytes can be written to: a binary file, ``sys.stdout.buffer``, a compressor."""

    def write(self, data: bytes, /) -> object: ...


class BinarySource(Protocol):
    """Anything bytes can be read from, possibly in short reads (pipes)."""

    def read(self, size: int = -1, /) -> bytes: ...


# --------------------------------------------------------------------------- writing


class _DeflatingSink:
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


@contextlib.contextmanager
def open_compressed_writer(
    fo: BinaryIO, compression: Compression | str | None
) -> Iterator[BinarySink]:
    """Yield a sink whose bytes reach ``fo`` compressed as ``compression`` says.

    On a clean exit the stream is finished (trailer written) and ``fo`` flushed; if
    the block raises, no trailer is written. ``fo`` is never closed. With NONE the
    sink is ``fo`` itself, so uncompressed writing costs nothing extra.
    """
    codec = Compression.parse(compression)
    if codec is Compression.NONE:
        yield fo
    else:
        sink = _DeflatingSink(fo, _WBITS[codec])
        yield sink
        sink.finish()
    fo.flush()


class StreamWriter:
    """Opening and closing shared by monogen's record writers (TFRecord, data file).

    The caller owns ``fo``: closing the writer finishes a compressed stream and
    flushes, but leaves ``fo`` open (it may be stdout, or an ``open_output`` target
    renamed into place afterwards). If the ``with`` block raises, a compressed
    stream is left without its end marker, so it reads as truncated rather than as
    a complete file that happens to be short.
    """

    def __init__(self, fo: BinaryIO, compression: Compression | str | None) -> None:
        self.compression = Compression.parse(compression)
        self._stack = contextlib.ExitStack()
        self._sink: BinarySink = self._stack.enter_context(
            open_compressed_writer(fo, self.compression)
        )
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"write to a closed {type(self).__name__}")

    def close(self) -> None:
        """Finish the stream and flush ``fo`` (left open). Idempotent."""
        if not self._closed:
            self._closed = True
            self._stack.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        elif not self._closed:
            self._closed = True
            self._stack.__exit__(exc_type, exc, tb)


# --------------------------------------------------------------------------- reading


class _ReplayingSource:
    """Gives back ``head`` (bytes already taken from ``fo``), then the rest of ``fo``.

    Used after sniffing a stream that cannot seek back. Reads may come up short at
    the seam between ``head`` and ``fo``; readers loop, as they must for pipes anyway.
    """

    def __init__(self, head: bytes, fo: BinarySource) -> None:
        self._head = head
        self._fo = fo
        self.name = getattr(fo, "name", None)

    def read(self, size: int = -1, /) -> bytes:
        if not self._head:
            return self._fo.read(size)
        if size < 0:
            data, self._head = self._head + self._fo.read(), b""
            return data
        data, self._head = self._head[:size], self._head[size:]
        return data


def _read_head(fo: BinarySource, size: int) -> bytes:
    """Up to ``size`` bytes from ``fo``, fewer only at end of stream."""
    parts: list[bytes] = []
    got = 0
    while got < size:
        chunk = fo.read(size - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


# Reads are made in pieces of at most this size, so a garbage length in a damaged
# file costs no more memory than the bytes that actually exist.
READ_CHUNK = 16 << 20


def read_exact(read: Callable[[int], bytes | None], size: int) -> bytes:
    """``size`` bytes from ``read``, fewer only at the end of the stream.

    Loops over short reads, as pipes give them, in pieces of at most ``READ_CHUNK``.
    """
    parts: list[bytes] = []
    got = 0
    while got < size:
        chunk = read(min(size - got, READ_CHUNK))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def peek(fo: BinarySource, size: int = SNIFF_SIZE) -> tuple[bytes, BinarySource]:
    """The first ``size`` bytes of ``fo`` (fewer if it is shorter), and a stream that still
    yields every byte: ``fo`` itself rewound when it can seek, otherwise a stream that
    replays the peeked bytes first. Read from the returned stream only.
    """
    seekable, tell, seek = (getattr(fo, name, None) for name in ("seekable", "tell", "seek"))
    if seekable is not None and tell is not None and seek is not None and seekable():
        start = tell()
        head = _read_head(fo, size)
        seek(start)
        return head, fo
    head = _read_head(fo, size)
    return head, _ReplayingSource(head, fo)


class _InflatingRaw(io.RawIOBase):
    """Inflates a compressed stream pulled sequentially from ``fo``.

    Concatenated gzip members (``cat a.gz b.gz``) read as one stream, as gzip itself
    does. An empty input is an empty stream. Closing this object leaves ``fo`` open.
    """

    def __init__(self, fo: BinarySource, codec: Compression) -> None:
        super().__init__()
        self._fo = fo
        self._codec = codec
        self._inflater = zlib.decompressobj(wbits=_WBITS[codec])
        self._input = b""
        self._pending = memoryview(b"")
        self._consumed = 0  # compressed bytes pulled from ``fo``, for error messages

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Buffer, /) -> int:
        view = memoryview(buffer).cast("B")
        while not self._pending:
            if not self._inflate_more(max(len(view), CHUNK_SIZE)):
                return 0
        size = min(len(view), len(self._pending))
        view[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _inflate_more(self, limit: int) -> bool:
        """Inflate up to ``limit`` more bytes into ``_pending``; False at the clean end."""
        if self._inflater.eof:
            rest = self._inflater.unused_data or self._pull()
            if not rest:
                return False
            self._inflater = zlib.decompressobj(wbits=_WBITS[self._codec])
            self._input = rest
        if not self._input:
            self._input = self._inflater.unconsumed_tail or self._pull()
            if not self._input:
                if not self._consumed:
                    return False
                raise TruncatedRecordError(
                    f"{self._codec.name} stream ends at compressed offset {self._consumed}"
                    " before its end marker"
                )
        try:
            self._pending = memoryview(self._inflater.decompress(self._input, limit))
        except zlib.error as exc:
            raise CorruptRecordError(
                f"{self._codec.name} stream is corrupt near compressed offset"
                f" {self._consumed}: {exc}"
            ) from exc
        self._input = b""
        return True

    def _pull(self) -> bytes:
        chunk = self._fo.read(CHUNK_SIZE) or b""
        self._consumed += len(chunk)
        return chunk


def open_compressed_reader(
    fo: BinarySource, compression: Compression | str | None = None
) -> BinarySource:
    """A stream of ``fo``'s bytes, inflated as ``compression`` says (``None``: sniff it).

    Note that ``None`` here means "not said, detect it", unlike ``Compression.parse``
    where it means NONE. Nothing needs closing: the returned stream holds no resource
    of its own, and ``fo`` stays the caller's. Corrupt compressed data raises
    ``CorruptRecordError``; a stream cut short raises ``TruncatedRecordError``.
    """
    if compression is None:
        head, fo = peek(fo)
        codec = Compression.sniff(head)
    else:
        codec = Compression.parse(compression)
    if codec is Compression.NONE:
        return fo
    return io.BufferedReader(_InflatingRaw(fo, codec), CHUNK_SIZE)
