"""TFRecord files, written and read without TensorFlow.

TFRecord is the container TensorFlow's ``tf.io.TFRecordWriter`` writes and
``tf.data.TFRecordDataset`` reads; TF Serving warmup files use it too. Both
checksums are verified on read because a TFRecord that TensorFlow rejects is
worse than no file at all, and a silent bit flip in training data is worse still.

Everything streams: the writer frames one record at a time and hands the frames
to the caller's file object in batches of at most ``WRITE_BATCH_SIZE`` bytes (plus
one record), and the reader pulls exactly the bytes of the next record, so neither
needs a seekable file (stdin and stdout pipes work) nor holds the whole file.

Whole-stream GZIP or ZLIB compression matches TensorFlow's
``compression_type="GZIP"`` / ``"ZLIB"``; the codec layer lives in
``monogen.io.compression`` (shared with the data-file format), this module only frames.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO, NamedTuple

from monogen.errors import CorruptRecordError, TruncatedRecordError
from monogen.io import limits
from monogen.io.compression import Compression, StreamWriter, open_compressed_reader
from monogen.io.limits import check_length
from monogen.io.streams import read_exact, remaining

__all__ = [
    "Compression",
    "Frame",
    "TFRecordWriter",
    "frame",
    "iter_frames",
    "looks_like_tfrecord",
    "masked_crc32c",
    "read_records",
    "write_records",
]

# ---------------------------------------------------------------------------
# Frame layout (one record; a file is records back to back, nothing else):
#
#   offset      size  field
#   0           8     length       uint64, little-endian: N, the number of data bytes
#   8           4     length_crc   uint32 LE: masked_crc32c(the 8 length bytes)
#   12          N     data         the record payload (e.g. a serialized tf.train.Example)
#   12 + N      4     data_crc     uint32 LE: masked_crc32c(data)
#
# CRC-32C is the Castagnoli polynomial. The mask rotates the CRC right by 15
# bits and adds a constant, so that a CRC computed over data that itself
# contains CRCs does not degenerate:
#   masked(crc) = (((crc >> 15) | (crc << 17)) + MASK_DELTA) mod 2**32
# ---------------------------------------------------------------------------

LENGTH_FORMAT = "<Q"
CRC_FORMAT = "<I"
LENGTH_SIZE = struct.calcsize(LENGTH_FORMAT)  # 8
CRC_SIZE = struct.calcsize(CRC_FORMAT)  # 4
HEADER_SIZE = LENGTH_SIZE + CRC_SIZE  # 12
FOOTER_SIZE = CRC_SIZE  # 4
FRAME_OVERHEAD = HEADER_SIZE + FOOTER_SIZE  # 16

MASK_DELTA = 0xA282EAD8
MASK_ROTATE = 15  # rotate right by 15 == (crc >> 15) | (crc << 17) in 32 bits
UINT32_MASK = 0xFFFFFFFF
_ROTATE_LEFT = 32 - MASK_ROTATE

# write_all hands frames to ``fo`` in batches of about this many bytes: a few large
# writes instead of one per record, while never holding more than one batch.
WRITE_BATCH_SIZE = 256 * 1024

_pack_length = struct.Struct(LENGTH_FORMAT).pack
_pack_crc = struct.Struct(CRC_FORMAT).pack
_unpack_header = struct.Struct(LENGTH_FORMAT + CRC_FORMAT[1:]).unpack  # "<QI"
_unpack_crc = struct.Struct(CRC_FORMAT).unpack


# CRC-32C's polynomial, bit-reversed (the form for least-significant-bit-first CRCs).
CASTAGNOLI_REVERSED = 0x82F63B78
_BITS_PER_BYTE = 8


def masked_crc32c(data: bytes) -> int:
    """CRC-32C of ``data``, masked the way TFRecord stores it."""
    return _mask(_crc32c()(data))


def _mask(crc: int) -> int:
    return (((crc >> MASK_ROTATE) | (crc << _ROTATE_LEFT)) + MASK_DELTA) & UINT32_MASK


@functools.cache
def _crc32c() -> Callable[[bytes], int]:
    """The crc32c package's CRC, imported on first use: its import costs a reader of
    another format more start-up time than it spends reading (``looks_like_tfrecord``)."""
    from crc32c import crc32c

    return crc32c


def _crc32c_of_a_few_bytes(data: bytes) -> int:
    """CRC-32C computed bit by bit: for the 8 bytes of a header, without the package."""
    crc = UINT32_MASK
    for byte in data:
        crc ^= byte
        for _ in range(_BITS_PER_BYTE):
            crc = (crc >> 1) ^ (CASTAGNOLI_REVERSED if crc & 1 else 0)
    return crc ^ UINT32_MASK


def frame(data: bytes) -> bytes:
    """One complete framed record: header, ``data``, footer (see the layout above)."""
    length = _pack_length(len(data))
    return b"".join(
        (length, _pack_crc(masked_crc32c(length)), data, _pack_crc(masked_crc32c(data)))
    )


def looks_like_tfrecord(head: bytes) -> bool:
    """Whether ``head`` (the first bytes of a file) starts with a valid TFRecord header.

    A random 12 bytes pass with odds of 1 in 2**32. Compressed TFRecord files and
    empty files (a valid file of zero records) are not recognised: there is no header
    to check.
    """
    if len(head) < HEADER_SIZE:
        return False
    _, length_crc = _unpack_header(head[:HEADER_SIZE])
    return _mask(_crc32c_of_a_few_bytes(head[:LENGTH_SIZE])) == length_crc


# --------------------------------------------------------------------------- writing


class TFRecordWriter(StreamWriter):
    """Frames records onto a binary file object, optionally compressing the stream.

    Closing follows ``StreamWriter``: ``fo`` stays open, and a failed ``with`` block
    leaves a compressed stream visibly truncated. Only TensorFlow's compressions.
    """

    COMPRESSIONS = (Compression.NONE, Compression.GZIP, Compression.ZLIB)

    def __init__(self, fo: BinaryIO, *, compression: Compression | str | None = None) -> None:
        super().__init__(fo, compression)
        self._write: Callable[[bytes], object] = self._sink.write
        self._bytes_written = 0

    @property
    def bytes_written(self) -> int:
        """Framed bytes written so far, before compression."""
        return self._bytes_written

    def write(self, data: bytes) -> None:
        """Append one record."""
        self._check_open()
        self._write(frame(data))
        self._bytes_written += len(data) + FRAME_OVERHEAD

    def write_all(self, records: Iterable[bytes]) -> int:
        """Append every record of ``records``; return how many.

        ``records`` is consumed lazily, one record at a time; frames reach ``fo`` in
        batches of about ``WRITE_BATCH_SIZE`` bytes. If ``records`` raises, every
        record it produced before is still written.
        """
        self._check_open()
        # The hot loop of every generator command: frame inline with local names
        # rather than calling ``frame`` per record (``make bench``: framing job).
        write, join, pack_length, pack_crc = self._write, b"".join, _pack_length, _pack_crc
        delta, low32, rotate, rotate_left = MASK_DELTA, UINT32_MASK, MASK_ROTATE, _ROTATE_LEFT
        overhead, batch_size, crc32c = FRAME_OVERHEAD, WRITE_BATCH_SIZE, _crc32c()
        batch: list[bytes] = []
        add = batch.append
        batched = 0  # bytes in ``batch``
        count = 0
        total = 0  # framed bytes produced
        try:
            for data in records:
                length = pack_length(len(data))
                crc = crc32c(length)
                length_crc = (((crc >> rotate) | (crc << rotate_left)) + delta) & low32
                crc = crc32c(data)  # before any append: a bad record adds no partial frame
                data_crc = (((crc >> rotate) | (crc << rotate_left)) + delta) & low32
                add(length + pack_crc(length_crc))
                add(data)
                add(pack_crc(data_crc))
                count += 1
                batched += len(data) + overhead
                if batched >= batch_size:
                    chunk = join(batch)
                    batch.clear()  # before writing, so a failed write is not retried below
                    total += batched
                    batched = 0
                    write(chunk)
        finally:
            if batch:
                chunk = join(batch)
                batch.clear()
                total += batched
                write(chunk)
            self._bytes_written += total
        return count


def write_records(
    fo: BinaryIO, records: Iterable[bytes], *, compression: Compression | str | None = None
) -> int:
    """Write ``records`` to ``fo`` as one TFRecord stream; return how many. ``fo`` stays open."""
    with TFRecordWriter(fo, compression=compression) as writer:
        return writer.write_all(records)


# --------------------------------------------------------------------------- reading


class Frame(NamedTuple):
    """One record as read, with where its frame starts in the (uncompressed) stream."""

    offset: int
    data: bytes
    data_ok: bool = True  # False only with keep_going: the data CRC did not match


def iter_frames(
    fo: BinaryIO,
    *,
    compression: Compression | str | None = None,
    verify: bool = True,
    keep_going: bool = False,
    max_record_size: int | None = None,
) -> Iterator[Frame]:
    """Yield each record with the offset of its frame, for reports that point into the file.

    Offsets count uncompressed bytes; record indices in error messages count from 0.
    ``verify=False`` skips both CRC checks (framing is still checked); use it only
    to salvage a file, because a bad length then reads as garbage. ``keep_going``
    (for verifiers) reports a data CRC mismatch on the frame instead of raising:
    the length CRC held, so the next frame is where the length says. A bad length
    CRC or a truncated frame always raises, since nothing after it can be found.

    A length over ``max_record_size`` (default: ``monogen.io.limits``) is a
    ``CorruptRecordError``; on a regular uncompressed file, a length that runs past
    the end is a ``TruncatedRecordError``. Both are raised before reading the data.
    """
    # Compression.parse: here None means "no compression", never "detect it".
    src = open_compressed_reader(fo, Compression.parse(compression))
    read = src.read
    left = remaining(src)  # None unless a regular, uncompressed file
    limit = limits.max_record_size(max_record_size)
    offset = 0
    index = 0
    while True:
        where = f"record {index} at offset {offset}"
        header = read_exact(read, HEADER_SIZE)
        if not header:
            return
        if len(header) < HEADER_SIZE:
            raise TruncatedRecordError(
                f"{where}: {len(header)} trailing bytes are not a record"
                f" (a frame header is {HEADER_SIZE} bytes)"
            )
        length, length_crc = _unpack_header(header)
        if verify and masked_crc32c(header[:LENGTH_SIZE]) != length_crc:
            raise CorruptRecordError(f"{where}: length CRC mismatch")
        check_length(length, limit=limit, left=None, where=where, field="length")
        if left is not None and offset + length + FRAME_OVERHEAD > left:
            # Known to be cut short: said before reading (and allocating) the rest.
            raise _cut_short(where, left - offset, length)
        data = read_exact(read, length)
        footer = read_exact(read, FOOTER_SIZE) if len(data) == length else b""
        if len(footer) < FOOTER_SIZE:
            raise _cut_short(where, HEADER_SIZE + len(data) + len(footer), length)
        data_ok = not verify or masked_crc32c(data) == _unpack_crc(footer)[0]
        if not data_ok and not keep_going:
            raise CorruptRecordError(f"{where}: data CRC mismatch")
        yield Frame(offset, data, data_ok)
        offset += length + FRAME_OVERHEAD
        index += 1


def _cut_short(where: str, have: int, length: int) -> TruncatedRecordError:
    return TruncatedRecordError(
        f"{where}: stream ends after {have} of {length + FRAME_OVERHEAD} bytes"
    )


def read_records(
    fo: BinaryIO,
    *,
    compression: Compression | str | None = None,
    verify: bool = True,
    max_record_size: int | None = None,
) -> Iterator[bytes]:
    """Yield the payload of each record in ``fo``, reading sequentially (pipes work).

    Raises ``CorruptRecordError`` on a checksum mismatch and ``TruncatedRecordError``
    when the stream ends inside a record; both messages give the record's index and
    offset. See ``iter_frames`` for ``verify``.
    """
    frames = iter_frames(
        fo, compression=compression, verify=verify, max_record_size=max_record_size
    )
    for record in frames:
        yield record.data
