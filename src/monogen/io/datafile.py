"""Monolith binary data files: payloads framed by a header and a length, nothing else.

A data file is records back to back, each ``header`` · ``uint64 payload length`` (LE)
· ``payload`` (a serialized Instance, Example or ExampleBatch). There is no file
header, index or checksum, and the shape of the per-record header is not recorded
anywhere: it depends on four reader options (``lagrangex_header``,
``kafka_dump_prefix``, ``has_sort_id``, ``kafka_dump``) that writer and reader must
agree on out of band. ``HeaderOptions`` names those options, for both directions.

How monogen maps the options (the original generator had only ``sort_id``,
``kafka_dump`` and ``kafka_dump_prefix``, and with ``sort_id=False`` always wrote a
lagrangex header):

* ``HeaderOptions()`` (``sort_id``): an empty sort id, 8 zero bytes. The default.
* ``sort_id + kafka_dump`` / ``sort_id + kafka_dump_prefix``: 16 / 24 zero bytes.
* ``lagrangex=True``: what the original wrote with ``sort_id=False``; 8 bytes carrying
  the source name's ``javahash``. ``sort_id`` means nothing then (Monolith's reader
  ignores ``has_sort_id`` under ``lagrangex_header``) and is stored as False.
* every option off: no header at all, which the original could not write.
* refused (``HeaderOptionsError``, naming the CLI flags): ``kafka_dump`` with
  ``kafka_dump_prefix``, either kafka option without ``sort_id``, and either kafka
  option with ``lagrangex``. The original generator could not write these either.
  The same options drive the reader, so monogen does not read such files either.

Reading with the wrong options cannot always be noticed: an all-zero 8-byte header
is both an empty sort id and a lagrangex header with key 0, and a sort-id file read
with no header yields alternating empty and real payloads. Most other mismatches
soon produce a length that is absurd, runs past the end of the file, or ends inside
a record; those raise, and every framing error names the header options in use so
the user can try others. Whether a payload parses as the expected proto is left to
the caller (``monogen inspect`` parses them).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import BinaryIO, NamedTuple, NoReturn, Protocol

from monogen.errors import (
    CorruptRecordError,
    HeaderOptionsError,
    RecordTooLargeError,
    TruncatedRecordError,
)
from monogen.io import limits
from monogen.io.compression import (
    Compression,
    StreamWriter,
    detect_compression,
    open_compressed_reader,
)
from monogen.io.limits import DEFAULT_MAX_RECORD_SIZE, check_length
from monogen.io.streams import READ_CHUNK, BinarySource, read_exact, reader_into, remaining

U64 = struct.Struct("<Q")
U64_SIZE = U64.size  # 8
_pack_u64 = U64.pack
_unpack_u64_from = U64.unpack_from

# Monolith's reader treats this payload length as a corrupt record.
CORRUPT_LENGTH = 0xFEFEFEFE

# Java's String.hashCode: h = 31 * h + c over UTF-16 code units, in 32-bit arithmetic.
JAVA_HASH_MULTIPLIER = 31
UINT32_MASK = 0xFFFFFFFF
_UTF16_UNITS = struct.Struct("<H").iter_unpack

# lagrangex header fields, seen as one little-endian uint64 h (layout below).
PB_TYPE_MASK = 0xFF
DATA_SOURCE_KEY_SHIFT = 8
SOURCE_HASH_MASK = 0xFFFFFF  # the low three bytes of javahash(source)

# Names of the header formats, as ``HeaderOptions.describe`` spells them.
NO_HEADER = "none"
SORT_ID = "sort_id"
KAFKA_DUMP = "kafka_dump"
KAFKA_DUMP_PREFIX = "kafka_dump_prefix"
LAGRANGEX = "lagrangex"
_FORMAT_JOINER = "+"


def javahash(s: str) -> int:
    """Java's ``String.hashCode`` of ``s``, as an unsigned 32-bit int.

    Java hashes UTF-16 code units, so a character outside the Basic Multilingual
    Plane counts as its two surrogates. (The original Python generator hashed code
    points instead; the two agree for every BMP-only string. monogen follows Java,
    because the hash names a data source that Java-side tools compute too.)
    """
    h = 0
    for (unit,) in _UTF16_UNITS(s.encode("utf-16-le", "surrogatepass")):
        h = (h * JAVA_HASH_MULTIPLIER + unit) & UINT32_MASK
    return h


@dataclasses.dataclass(frozen=True)
class HeaderOptions:
    """Which per-record header a data file has; see the module docstring for the mapping.

    Invalid combinations raise ``HeaderOptionsError`` on construction, so every
    instance can be written and read.
    """

    sort_id: bool = True
    kafka_dump: bool = False
    kafka_dump_prefix: bool = False
    lagrangex: bool = False

    def __post_init__(self) -> None:
        if self.lagrangex and (self.kafka_dump or self.kafka_dump_prefix):
            raise HeaderOptionsError(
                "{lagrangex} cannot be combined with {kafka_dump} or {kafka_dump_prefix}:"
                " a lagrangex header has no other fields",
                param=("lagrangex", "kafka_dump", "kafka_dump_prefix"),
            )
        if self.kafka_dump and self.kafka_dump_prefix:
            raise HeaderOptionsError(
                "{kafka_dump} and {kafka_dump_prefix} cannot be used together",
                param=("kafka_dump", "kafka_dump_prefix"),
            )
        if self.kafka_dump and not self.sort_id:
            raise HeaderOptionsError(
                "{kafka_dump} needs {sort_id}: its field follows the sort id",
                param=("kafka_dump", "sort_id"),
            )
        if self.kafka_dump_prefix and not self.sort_id:
            raise HeaderOptionsError(
                "{kafka_dump_prefix} needs {sort_id}: the prefix carries the sort-id size",
                param=("kafka_dump_prefix", "sort_id"),
            )
        if self.lagrangex and self.sort_id:
            object.__setattr__(self, "sort_id", False)  # canonical form: equal formats are ==

    def describe(self) -> str:
        """A short name of the format, e.g. ``sort_id+kafka_dump``; ``parse`` reads it back."""
        if self.lagrangex:
            return LAGRANGEX
        on = [
            name
            for name, flag in (
                (SORT_ID, self.sort_id),
                (KAFKA_DUMP, self.kafka_dump),
                (KAFKA_DUMP_PREFIX, self.kafka_dump_prefix),
            )
            if flag
        ]
        return _FORMAT_JOINER.join(on) or NO_HEADER

    @classmethod
    def parse(cls, text: str) -> HeaderOptions:
        """The options named by ``text``, as ``describe`` writes it (``-`` may stand for ``_``)."""
        names = {name.strip().lower().replace("-", "_") for name in text.split(_FORMAT_JOINER)}
        if names == {NO_HEADER}:
            return cls(sort_id=False)
        known = {SORT_ID, KAFKA_DUMP, KAFKA_DUMP_PREFIX, LAGRANGEX}
        unknown = names - known
        if unknown:
            valid = ", ".join(sorted(known | {NO_HEADER}))
            raise HeaderOptionsError(
                f"unknown header format {text!r}; join with '+' names from: {valid}"
            )
        return cls(
            sort_id=SORT_ID in names,
            kafka_dump=KAFKA_DUMP in names,
            kafka_dump_prefix=KAFKA_DUMP_PREFIX in names,
            lagrangex=LAGRANGEX in names,
        )


DEFAULT_HEADER = HeaderOptions()


class DataRecord(NamedTuple):
    """One record as read.

    ``offset`` is where the record's header starts, in bytes of the uncompressed
    stream counted from where reading began. ``data_source_key`` and ``pb_type``
    come from a lagrangex header and are None for every other format.
    """

    offset: int
    payload: bytes
    data_source_key: int | None
    pb_type: int | None


# --------------------------------------------------------------------------- headers
#
# The record header a generator writes, per format (all integers uint64 little-endian):
#
#   none                       (nothing)
#   sort_id                    [sort-id size = 0]                              8 bytes
#   sort_id+kafka_dump         [sort-id size = 0][kafka-dump field = 0]        16 bytes
#   sort_id+kafka_dump_prefix  [prefix = 0][aggregate-page sort-id size = 0]
#                              [sort-id size = 0]                              24 bytes
#   lagrangex                  one uint64 h, 8 bytes:
#                                byte 0      pb_type, written as 0
#                                bytes 1..3  low three bytes of javahash(source), LE
#                                bytes 4..7  0
#                              (all zero without a source)
#
# Sort ids are written empty (size 0, no bytes). A reader of the prefix format takes
# a zero prefix to mean "the sort-id size follows the next field"; a non-zero prefix
# would itself be the sort-id size. A lagrangex reader takes
# data_source_key = ((h & 0xffffffff) >> 8) << 8, i.e. (javahash << 8) mod 2**32.


def _zeros(fields: int) -> Callable[[str | None], bytes]:
    header = bytes(fields * U64_SIZE)
    return lambda _source: header


def _lagrangex_header(source: str | None) -> bytes:
    source_hash = javahash(source) & SOURCE_HASH_MASK if source else 0
    return _pack_u64(source_hash << DATA_SOURCE_KEY_SHIFT)


_HEADER_WRITERS: dict[str, Callable[[str | None], bytes]] = {
    NO_HEADER: _zeros(0),
    SORT_ID: _zeros(1),
    f"{SORT_ID}{_FORMAT_JOINER}{KAFKA_DUMP}": _zeros(2),
    f"{SORT_ID}{_FORMAT_JOINER}{KAFKA_DUMP_PREFIX}": _zeros(3),
    LAGRANGEX: _lagrangex_header,
}


def header_bytes(options: HeaderOptions, *, source: str | None = None) -> bytes:
    """The header monogen writes before every record's length, in the format ``options`` names.

    ``source`` (a data-source name) only has a place in a lagrangex header; passing
    it for another format is an error rather than silently dropped.
    """
    if source is not None and not options.lagrangex:
        raise HeaderOptionsError(
            "a source name only goes into a lagrangex header ({lagrangex});"
            f" the {options.describe()} header has no place for it",
            param=("source", "lagrangex"),
        )
    return _HEADER_WRITERS[options.describe()](source)


def lg_header(source: str | None) -> bytes:
    """The original generator's lagrangex header for ``source`` (8 zero bytes without one)."""
    return header_bytes(HeaderOptions(lagrangex=True), source=source or None)


def sort_header(sort_id: bool, kafka_dump: bool, kafka_dump_prefix: bool) -> bytes:
    """The original generator's sort-id header; it refused the same combinations."""
    options = HeaderOptions(
        sort_id=sort_id, kafka_dump=kafka_dump, kafka_dump_prefix=kafka_dump_prefix
    )
    return header_bytes(options)


# --------------------------------------------------------------------------- writing


def _check_payload_size(size: int, index: int) -> None:
    if size > DEFAULT_MAX_RECORD_SIZE:
        raise RecordTooLargeError(
            f"record {index}: a payload of {size} bytes is over the {DEFAULT_MAX_RECORD_SIZE}-byte"
            " limit data-file readers accept"
        )


class DataFileWriter(StreamWriter):
    """Writes records one at a time to ``fo`` in a data file's framing.

    The header is computed once. ``close`` (or leaving the ``with`` block) finishes a
    compressed stream and flushes ``fo`` but does not close it. If the block raises,
    a compressed stream is left without its end marker, so it reads as truncated.
    """

    def __init__(
        self,
        fo: BinaryIO,
        *,
        header: HeaderOptions = DEFAULT_HEADER,
        source: str | None = None,
        compression: Compression | str | None = None,
    ) -> None:
        self.header = header
        self._prefix = header_bytes(header, source=source)
        super().__init__(fo, compression)
        self.records_written = 0
        self.bytes_written = 0  # uncompressed

    def write(self, payload: bytes) -> None:
        """Append one record (a serialized Instance, Example or ExampleBatch)."""
        self.write_many((payload,))

    def write_many(self, payloads: Sequence[bytes]) -> None:
        """Append records with one write to the stream: a batch's worth at a time, the
        per-call cost of writing each framing and payload apart is most of the time
        a data file of small records takes to write. The framings are packed by one
        struct call and interleaved with the payloads by slice assignment, so no
        Python code runs per record."""
        self._check_open()
        sizes = list(map(len, payloads))
        if not sizes:
            return
        if max(sizes) > DEFAULT_MAX_RECORD_SIZE:
            first = next(i for i, size in enumerate(sizes) if size > DEFAULT_MAX_RECORD_SIZE)
            _check_payload_size(sizes[first], self.records_written + first)
        count = len(sizes)
        parts: list[bytes] = [b""] * (2 * count)
        for start in range(0, count, _FRAMING_CHUNK):
            framings = _framings(self._prefix, sizes[start : start + _FRAMING_CHUNK])
            parts[2 * start : 2 * (start + len(framings)) : 2] = framings
        parts[1::2] = payloads
        framed = b"".join(parts)
        self._sink.write(framed)
        self.records_written += count
        self.bytes_written += len(framed)


# Records framed per struct call: a batch's worth, and a bound on the cached structs' size.
_FRAMING_CHUNK = 256


def _framings(prefix: bytes, sizes: list[int]) -> tuple[bytes, ...]:
    """Each record's header and length, packed by one struct call and cut by another."""
    pack, split = _framing_structs(len(prefix), len(sizes))
    if prefix:
        fields: list[bytes | int] = [prefix] * (2 * len(sizes))
        fields[1::2] = sizes
        return split.unpack(pack.pack(*fields))
    return split.unpack(pack.pack(*sizes))


@functools.lru_cache(maxsize=64)
def _framing_structs(prefix_size: int, count: int) -> tuple[struct.Struct, struct.Struct]:
    """For ``count`` records: one struct packing every header and length (the header is
    the same bytes each time), and one cutting the result into per-record framings."""
    framing = f"{prefix_size}sQ" if prefix_size else "Q"
    return (
        struct.Struct("<" + framing * count),
        struct.Struct(f"{prefix_size + U64_SIZE}s" * count),
    )


def write(
    fo: BinaryIO,
    records: Iterable[bytes],
    *,
    header: HeaderOptions = DEFAULT_HEADER,
    source: str | None = None,
    compression: Compression | str | None = None,
) -> int:
    """Write ``records`` (serialized protos, consumed lazily) to ``fo``; return how many.

    ``source`` names the data source in a lagrangex header. ``fo`` stays open.
    """
    with DataFileWriter(fo, header=header, source=source, compression=compression) as writer:
        for payload in records:
            writer.write(payload)
        return writer.records_written


# --------------------------------------------------------------------------- reading

# Input is read in blocks of this size and records are cut out of each block, so a
# record costs no read call of its own. A record longer than a block is read whole,
# in pieces of at most ``READ_CHUNK``.
READ_BLOCK = 4 << 20


class _EndOfData(Exception):
    """The stream ended exactly between two records: the clean end of the file."""


class _Cursor:
    """Sequential reads through one reused block buffer, with the bookkeeping that error
    messages need.

    ``view[at:size]`` holds the bytes read from the stream and not consumed yet;
    ``pos`` is the stream offset of ``view[at]``, ``start`` that of the record being
    read. The buffer is filled in place (``readinto``), so reading allocates nothing
    but the payloads.
    """

    def __init__(
        self, src: BinarySource, *, label: str, options: HeaderOptions, end: int | None, limit: int
    ) -> None:
        self._read = src.read
        self._readinto = reader_into(src)
        self._label = label
        self._options = options
        self._end = end  # total stream length when cheaply known, for early length checks
        self.limit = limit  # max_record_size
        block = READ_BLOCK if end is None else max(min(READ_BLOCK, end), U64_SIZE)
        self.view = memoryview(bytearray(block))
        self.at = 0
        self.size = 0
        self.pos = 0
        self.index = 0
        self.start = 0

    def where(self) -> str:
        return f"{self._label}: record {self.index} at offset {self.start}"

    def hint(self) -> str:
        return f" (reading with header {self._options.describe()})"

    def u64(self, field: str) -> int:
        if self.at + U64_SIZE > self.size:
            self._refill(U64_SIZE, field)
        (value,) = _unpack_u64_from(self.view, self.at)
        self.at += U64_SIZE
        self.pos += U64_SIZE
        return value

    def take(self, size: int, field: str) -> bytes:
        if self.at + size > self.size:
            if size > len(self.view):
                return self._take_long(size, field)
            self._refill(size, field)
        at = self.at
        self.at = at + size
        self.pos += size
        return self.view[at : at + size].tobytes()

    def skip(self, size: int, field: str) -> None:
        self.check_size(size, field)
        while size:  # in pieces, so a long sort id costs no more memory than READ_CHUNK
            piece = min(size, READ_CHUNK)
            self.take(piece, field)
            size -= piece

    def check_size(self, size: int, field: str) -> None:
        left = None if self._end is None else self._end - self.pos
        if size <= self.limit and (left is None or size <= left):
            return  # the common case, without building the message's place and hint
        check_length(
            size, limit=self.limit, left=left, where=self.where(), field=field, hint=self.hint()
        )

    def _refill(self, size: int, field: str) -> None:
        """Move the unread bytes to the front of the buffer and read until it holds ``size``
        (at most the buffer's length); fewer only at the end of the stream."""
        view, tail = self.view, self.size - self.at
        view[:tail] = view[self.at : self.size]
        self.at, self.size = 0, tail
        with self._placed():
            while self.size < size:
                got = self._readinto(view[self.size :])
                if not got:
                    break
                self.size += got
        if self.size < size:
            self._ended(self.size, size, field)

    def _take_long(self, size: int, field: str) -> bytes:
        """A field longer than the buffer: the unread bytes, then the rest read at once."""
        head = self.view[self.at : self.size].tobytes()
        self.at = self.size = 0
        with self._placed():
            data = head + read_exact(self._read, size - len(head))
        if len(data) < size:
            self._ended(len(data), size, field)
        self.pos += size
        return data

    @contextlib.contextmanager
    def _placed(self) -> Iterator[None]:
        """Errors from the decompressor under the stream get the record's place."""
        try:
            yield
        except (CorruptRecordError, TruncatedRecordError) as exc:
            raise type(exc)(f"{self.where()}: {exc}") from exc

    def _ended(self, have: int, size: int, field: str) -> NoReturn:
        """The stream ended ``have`` bytes into a ``size``-byte field."""
        if not have and self.pos == self.start:
            raise _EndOfData
        raise TruncatedRecordError(
            f"{self.where()}: data ends {have} bytes into the {size}-byte {field}{self.hint()}"
        )


def _read_header(cur: _Cursor, options: HeaderOptions) -> tuple[int | None, int | None]:
    """Consume one record header as Monolith's readers do; return (data_source_key, pb_type)."""
    if options.lagrangex:
        return _lagrangex_fields(cur.u64("lagrangex header"))
    sort_id_size: int | None = None
    if options.kafka_dump_prefix:
        prefix = cur.u64("kafka-dump prefix")
        if prefix == 0:
            cur.u64("aggregate-page sort-id size")  # read and forgotten, as Monolith does
        else:
            sort_id_size = prefix
    if options.sort_id:
        if sort_id_size is None:
            sort_id_size = cur.u64("sort-id size")
        cur.skip(sort_id_size, "sort id")
    if options.kafka_dump:
        cur.u64("kafka-dump field")
    return None, None


def _lagrangex_fields(h: int) -> tuple[int, int]:
    """(data_source_key, pb_type) of a lagrangex header ``h``."""
    return ((h & UINT32_MASK) >> DATA_SOURCE_KEY_SHIFT) << DATA_SOURCE_KEY_SHIFT, h & PB_TYPE_MASK


def _plain_framing(options: HeaderOptions) -> struct.Struct:
    """The header and length of a record whose sort id is empty, as one struct.

    Unpacked, it gives the fields that must be 0 for that shape (the sort-id size, and
    a kafka-dump prefix), or a lagrangex header, then the payload length; fields that
    are read and forgotten are skipped. Records of this shape, the only one writers
    produce, are cut straight out of the block; any other goes through ``_read_header``.
    """
    if options.lagrangex:
        fields = "Q"
    elif options.kafka_dump_prefix:
        fields = "Q8xQ"  # zero prefix, aggregate-page sort-id size, sort-id size
    elif options.kafka_dump:
        fields = "Q8x"  # sort-id size, kafka-dump field
    else:
        fields = "Q" if options.sort_id else ""
    return struct.Struct(f"<{fields}Q")


def _stream_label(fo: object) -> str:
    name = getattr(fo, "name", None)
    return name if isinstance(name, str) else "data file"


class RecordReader(Iterator[DataRecord]):
    """The records of a data file (``read``), and how far into the stream they went."""

    def __init__(
        self,
        fo: BinarySource,
        *,
        header: HeaderOptions,
        compression: Compression | str | None,
        max_record_size: int | None,
    ) -> None:
        self._cursor: _Cursor | None = None
        self._records = self._open(fo, header, compression, max_record_size)

    def __iter__(self) -> Iterator[DataRecord]:
        return self._records

    def __next__(self) -> DataRecord:
        return next(self._records)

    @property
    def end(self) -> int:
        """The offset just past the last record yielded (where the next one starts)."""
        return 0 if self._cursor is None else self._cursor.start

    def _open(
        self,
        fo: BinarySource,
        header: HeaderOptions,
        compression: Compression | str | None,
        max_record_size: int | None,
    ) -> Iterator[DataRecord]:
        """Set up on the first ``next`` (as a generator function would), then read."""
        label = _stream_label(fo)
        if compression is None:
            detected = detect_compression(fo)
            codec, fo = detected.compression, detected.stream
            if detected.looks_like is not Compression.NONE:
                label += f" (starts like {detected.looks_like.name} data but does not decompress)"
        else:
            codec = Compression.parse(compression)
        if codec is not Compression.NONE:
            label += f" ({codec.name}, offsets uncompressed)"
        src = open_compressed_reader(fo, codec)
        end = remaining(src) if codec is Compression.NONE else None
        limit = limits.max_record_size(max_record_size)
        self._cursor = _Cursor(src, label=label, options=header, end=end, limit=limit)
        yield from _records(self._cursor, header)


def read(
    fo: BinarySource,
    *,
    header: HeaderOptions = DEFAULT_HEADER,
    compression: Compression | str | None = None,
    max_record_size: int | None = None,
) -> RecordReader:
    """Yield the records of a data file read with the given header options.

    ``compression=None`` means "not said": it is detected (``compression.detect_compression``),
    unlike ``Compression.parse``, where None means NONE. Reading is
    strictly sequential, so pipes and stdin work; ``fo`` is left open, read ahead of
    the last record yielded by up to ``READ_BLOCK`` bytes (``RecordReader.end`` says
    where the records end). Errors name
    the record index (from 0), its offset and the header options in use:
    ``CorruptRecordError`` for Monolith's 0xfefefefe marker or a length or sort-id
    size over ``max_record_size`` (default: ``monogen.io.limits``), and
    ``TruncatedRecordError`` when the data ends inside a record, or (on a regular
    file) when a length runs past its end, which is said before reading any of it.
    """
    return RecordReader(fo, header=header, compression=compression, max_record_size=max_record_size)


# DataRecord's constructor without its Python-level __new__ (a namedtuple's is a
# lambda around this very call): it runs once per record.
_new_record = functools.partial(tuple.__new__, DataRecord)


def _records(cur: _Cursor, header: HeaderOptions) -> Iterator[DataRecord]:
    """The records under ``cur``: whole ones in the block cut out of it at once, the rest
    (a sort id, a record that crosses the block's end, any framing error) field by field."""
    framing = _plain_framing(header)
    unpack_from, fixed = framing.unpack_from, framing.size
    lagrangex = header.lagrangex
    limit = min(cur.limit, CORRUPT_LENGTH - 1)  # a fast-path length is neither
    view = cur.view
    no_key = (None, None)
    while True:
        # Whole records in the block, the place kept in locals; ``start`` is stored
        # after each one since ``RecordReader.end`` reads it.
        at, size, start, index = cur.at, cur.size, cur.start, cur.index
        while at + fixed <= size:
            fields = unpack_from(view, at)
            length = fields[-1]
            body = at + fixed
            stop = body + length
            if stop > size or length > limit or not (lagrangex or sum(fields) == length):
                break
            key, pb_type = _lagrangex_fields(fields[0]) if lagrangex else no_key
            record = _new_record((start, view[body:stop].tobytes(), key, pb_type))
            cur.start = start = start + stop - at
            at = stop
            index += 1
            yield record
        cur.at, cur.pos, cur.index = at, start, index
        try:
            data_source_key, pb_type = _read_header(cur, header)
            length = cur.u64("payload length")
        except _EndOfData:
            return
        if length == CORRUPT_LENGTH:
            raise CorruptRecordError(
                f"{cur.where()}: payload length 0xfefefefe is Monolith's corrupt-record marker"
                f"{cur.hint()}"
            )
        cur.check_size(length, "payload length")
        payload = cur.take(length, "payload")
        yield DataRecord(cur.start, payload, data_source_key, pb_type)
        cur.index += 1
        cur.start = cur.pos


# --------------------------------------------------------------------------- generating


class BatchSource(Protocol):
    """Anything with an endless ``batches()`` stream (``gen.generator.RecordGenerator``).

    A batch is the records one data-file batch holds: ``batch_size`` serialized
    Examples or Instances, or a single serialized ExampleBatch.
    """

    def batches(self) -> Iterator[Sequence[bytes]]: ...


class GenerateSummary(NamedTuple):
    """What ``generate`` wrote; ``bytes`` counts framed bytes before compression."""

    records: int
    batches: int
    bytes: int


def generate(
    fo: BinaryIO,
    source: BatchSource,
    *,
    num_batch: int,
    header: HeaderOptions = DEFAULT_HEADER,
    source_name: str | None = None,
    compression: Compression | str | None = None,
    progress: Callable[[int], object] | None = None,
) -> GenerateSummary:
    """Write ``num_batch`` batches drawn from ``source`` to ``fo`` as a data file.

    This is what the original ``gen_random_data_file`` did, except that it held
    every record in memory first: here a batch is drawn only when the previous
    one is on ``fo``, so memory stays at one batch whatever ``num_batch`` is.
    ``source_name`` goes into a lagrangex header. ``progress`` is called with 1
    after each batch (a progress bar's ``advance``). ``fo`` stays open.
    """
    if num_batch < 0:
        raise ValueError(f"num_batch must be >= 0, not {num_batch}")
    batches = 0
    with DataFileWriter(fo, header=header, source=source_name, compression=compression) as writer:
        for batch in itertools.islice(source.batches(), num_batch):
            writer.write_many(batch)
            batches += 1
            if progress is not None:
                progress(1)
        return GenerateSummary(writer.records_written, batches, writer.bytes_written)
