"""Whole-stream compression shared by monogen's record formats: names, detection, codecs.

TensorFlow (``compression_type="GZIP"`` / ``"ZLIB"``) and Monolith's data-file
reader (also zstd and Hadoop-framed snappy) compress a record file as one stream
rather than record by record, so one codec layer serves the TFRecord and the
data-file modules: the record code frames bytes, and this module squeezes or
inflates the byte stream underneath. The codecs live in their own modules
(``deflate``, ``hadoop_snappy``, ``zstd``); this one maps names to them, detects
which one a stream uses, and opens streams (docs/formats.md §6).

Design points:

* Nothing here owns the caller's file object. Finishing a compressed stream writes
  its trailer and flushes, but never closes ``fo`` (it may be stdout, or an
  ``open_output`` target renamed into place afterwards).
* When a write fails, the compressed stream is not finished: gzip and zlib lack
  their end marker, so a reader reports them truncated; zstd and snappy, which
  have no end marker, end at a frame or block boundary.
* Output is reproducible: gzip headers carry no timestamp and no file name.
* Readers work on non-seekable streams (pipes, stdin): input is pulled strictly
  sequentially, and detection replays the bytes it looked at.
* Memory is bounded by one block or frame, never by the file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import io
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, NamedTuple, Protocol

from monogen.errors import CompressionError
from monogen.io import deflate, hadoop_snappy, zstd
from monogen.io.streams import BinarySink, BinarySource, peek

if TYPE_CHECKING:  # only for annotations; typing_extensions is not a runtime dependency
    from typing_extensions import Buffer, Self

# Magic bytes used to recognise a compressed stream when the caller did not say.
# gzip: ID1 ID2 (RFC 1952 §2.3.1). zlib (RFC 1950 §2.2): a CMF byte saying deflate
# (CM = 8) with a window of at most 32 KiB (CINFO <= 7), then a FLG byte without a
# preset dictionary (FDICT) such that CMF * 256 + FLG is a multiple of 31.
# zstd: see ``monogen.io.zstd``. Hadoop snappy has none (``hadoop_snappy``).
GZIP_MAGIC = b"\x1f\x8b"
ZLIB_METHOD_MASK = 0x0F
ZLIB_DEFLATE = 8
ZLIB_MAX_CINFO = 7
ZLIB_CINFO_SHIFT = 4
ZLIB_FDICT = 0x20
ZLIB_CHECK_MODULUS = 31
MAGIC_SIZE = 2

# How many leading bytes detection reads and test-decodes. Magic bytes alone are
# not enough: an uncompressed data file without a header starts with its first
# payload length, and a 376-byte payload is the bytes 78 01 00 00 ..., the zlib
# magic. Such a prefix is not a valid deflate stream (its first "stored block" has
# inconsistent lengths), so inflating a little of it tells the two apart.
SNIFF_SIZE = 4096

# A name ending in this turns snappy on when the compression is not given, as in
# Monolith's reader.
SNAPPY_SUFFIX = ".snappy"


class Compression(enum.Enum):
    """Whole-stream compression: TensorFlow's ``compression_type`` values and Monolith's."""

    NONE = "none"
    GZIP = "gzip"
    ZLIB = "zlib"
    SNAPPY = "snappy"  # Hadoop block framing
    ZSTD = "zstd"

    @classmethod
    def parse(
        cls, value: Compression | str | None, *, choices: tuple[Compression, ...] | None = None
    ) -> Compression:
        """Accept a member, a case-insensitive name, or ``None``/``""`` (TF's "no compression").

        ``choices`` narrows what is accepted (a format's writer takes only what its
        readers read); anything else raises ``CompressionError`` listing them.
        """
        allowed = tuple(cls) if choices is None else choices
        if isinstance(value, Compression):
            found: Compression | None = value
        elif value is None or value == "":
            found = cls.NONE
        else:
            found = cls._value2member_map_.get(value.lower())  # type: ignore[assignment]
        valid = ", ".join(member.value for member in allowed)
        if found is None:
            raise CompressionError(f"unknown compression {value!r}; expected one of: {valid}")
        if found not in allowed:
            raise CompressionError(
                f"compression {found.value!r} does not apply here; expected one of: {valid}"
            )
        return found

    @classmethod
    def from_magic(cls, head: bytes) -> Compression:
        """The compression whose magic bytes ``head`` starts with (NONE if none does).

        Magic bytes only, no trial decoding: ``detect_compression`` is the full rule. Snappy has
        no magic bytes, so it is never the answer here.
        """
        if head[:MAGIC_SIZE] == GZIP_MAGIC:
            return cls.GZIP
        if _zlib_header(head):
            return cls.ZLIB
        if head[: zstd.MAGIC_SIZE] == zstd.MAGIC:
            return cls.ZSTD
        return cls.NONE


def _zlib_header(head: bytes) -> bool:
    if len(head) < MAGIC_SIZE:
        return False
    cmf, flg = head[0], head[1]
    return (
        cmf & ZLIB_METHOD_MASK == ZLIB_DEFLATE
        and cmf >> ZLIB_CINFO_SHIFT <= ZLIB_MAX_CINFO
        and not flg & ZLIB_FDICT
        and (cmf << 8 | flg) % ZLIB_CHECK_MODULUS == 0
    )


class Encoder(Protocol):
    """A compressor in front of a sink: ``write`` takes raw bytes, ``finish`` ends the stream."""

    def write(self, data: bytes, /) -> object: ...

    def finish(self) -> None: ...


class Codec(NamedTuple):
    """How one compression writes, reads, and recognises the first bytes of a stream."""

    encoder: Callable[[BinarySink], Encoder]
    decode: Callable[[BinarySource], Iterator[bytes]]
    head_ok: Callable[[bytes], bool]  # whether a stream starting with these bytes decodes


CODECS: dict[Compression, Codec] = {
    Compression.GZIP: Codec(
        lambda fo: deflate.Deflater(fo, deflate.GZIP_WBITS),
        lambda fo: deflate.inflate(fo, deflate.GZIP_WBITS, Compression.GZIP.name),
        lambda head: deflate.inflates(head, deflate.GZIP_WBITS),
    ),
    Compression.ZLIB: Codec(
        lambda fo: deflate.Deflater(fo, deflate.ZLIB_WBITS),
        lambda fo: deflate.inflate(fo, deflate.ZLIB_WBITS, Compression.ZLIB.name),
        lambda head: deflate.inflates(head, deflate.ZLIB_WBITS),
    ),
    Compression.SNAPPY: Codec(
        hadoop_snappy.SnappyBlockWriter,
        hadoop_snappy.decompress,
        hadoop_snappy.looks_like_first_block,
    ),
    Compression.ZSTD: Codec(zstd.ZstdFrameWriter, zstd.decompress, zstd.looks_like_frame),
}


# --------------------------------------------------------------------------- detecting


@dataclasses.dataclass(frozen=True)
class CompressedStream:
    """What ``detect_compression`` found: the codec, and the stream to read from now on.

    ``looks_like`` names a compression whose magic bytes the stream starts with but
    whose first bytes do not decode (NONE otherwise), for error messages: such a
    stream is read as uncompressed, and is unreadable either way.
    """

    compression: Compression
    stream: BinarySource
    head: bytes  # the first bytes of the stream as stored (up to SNIFF_SIZE of them)
    looks_like: Compression = Compression.NONE


def detect_compression(fo: BinarySource) -> CompressedStream:
    """Which compression ``fo`` uses, decided from its name and first bytes.

    The rule: a name ending in ``.snappy`` means snappy, as in Monolith's reader.
    Otherwise gzip, zlib or zstd when the stream starts with their magic bytes *and*
    its first bytes decode; Hadoop snappy when its first block's lengths are sane
    and its first chunk decompresses (``hadoop_snappy.looks_like_first_block``);
    else uncompressed (docs/formats.md §6 has the details). ``fo`` itself must not be
    read afterwards: read ``CompressedStream.stream``.
    """
    head, stream = peek(fo, SNIFF_SIZE)
    name = getattr(fo, "name", None)
    if isinstance(name, str) and name.endswith(SNAPPY_SUFFIX):
        return CompressedStream(Compression.SNAPPY, stream, head)
    magic = Compression.from_magic(head)
    if magic is not Compression.NONE:
        if CODECS[magic].head_ok(head):
            return CompressedStream(magic, stream, head)
        return CompressedStream(Compression.NONE, stream, head, looks_like=magic)
    chunk_end = hadoop_snappy.first_chunk_end(head)
    if chunk_end is not None:
        block = head
        if chunk_end > len(head):  # bounded: first_chunk_end checked the chunk length
            block, stream = peek(stream, chunk_end)
        if CODECS[Compression.SNAPPY].head_ok(block):
            return CompressedStream(Compression.SNAPPY, stream, head)
        return CompressedStream(Compression.NONE, stream, head, looks_like=Compression.SNAPPY)
    return CompressedStream(Compression.NONE, stream, head)


# --------------------------------------------------------------------------- writing


@contextlib.contextmanager
def open_compressed_writer(
    fo: BinaryIO, compression: Compression | str | None
) -> Iterator[BinarySink]:
    """Yield a sink whose bytes reach ``fo`` compressed as ``compression`` says.

    On a clean exit the stream is finished (trailer written) and ``fo`` flushed; if
    the block raises, the stream is not finished. ``fo`` is never closed. With NONE
    the sink is ``fo`` itself, so uncompressed writing costs nothing extra.
    """
    codec = Compression.parse(compression)
    if codec is Compression.NONE:
        yield fo
    else:
        sink = CODECS[codec].encoder(fo)
        yield sink
        sink.finish()
    fo.flush()


class StreamWriter:
    """Opening and closing shared by monogen's record writers (TFRecord, data file).

    The caller owns ``fo``: closing the writer finishes a compressed stream and
    flushes, but leaves ``fo`` open (it may be stdout, or an ``open_output`` target
    renamed into place afterwards). If the ``with`` block raises, a compressed
    stream is not finished, so gzip and zlib read as truncated rather than as a
    complete file that happens to be short. A subclass narrows ``COMPRESSIONS`` to
    what its format's readers accept.
    """

    COMPRESSIONS: tuple[Compression, ...] = tuple(Compression)

    def __init__(self, fo: BinaryIO, compression: Compression | str | None) -> None:
        self.compression = Compression.parse(compression, choices=self.COMPRESSIONS)
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

# The buffer between a decoder and the record reader above it.
BUFFER_SIZE = 64 * 1024


class _DecodedRaw(io.RawIOBase):
    """A raw stream over a codec's decoded pieces. Closing it leaves the source open."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        super().__init__()
        self._pieces = pieces
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Buffer, /) -> int:
        while not self._pending:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._pending = memoryview(piece)
        with memoryview(buffer) as target, target.cast("B") as view:
            size = min(len(view), len(self._pending))
            view[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def open_compressed_reader(
    fo: BinarySource, compression: Compression | str | None = None
) -> BinarySource:
    """A stream of ``fo``'s bytes, decoded as ``compression`` says (``None``: detect it).

    Note that ``None`` here means "not said, detect it", unlike ``Compression.parse``
    where it means NONE. Nothing needs closing: the returned stream holds no resource
    of its own, and ``fo`` stays the caller's. Corrupt compressed data raises
    ``CorruptRecordError``; a stream cut short raises ``TruncatedRecordError``; both
    name the compressed offset.
    """
    if compression is None:
        detected = detect_compression(fo)
        codec, fo = detected.compression, detected.stream
    else:
        codec = Compression.parse(compression)
    if codec is Compression.NONE:
        return fo
    return io.BufferedReader(_DecodedRaw(CODECS[codec].decode(fo)), BUFFER_SIZE)
