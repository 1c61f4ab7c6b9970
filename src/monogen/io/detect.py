"""Which header layout and record type a Monolith data file has, found by reading it.

A data file does not record its per-record header layout or its record type
(docs/formats.md §5), so a reader that assumes them can misread a file and still
see records that parse: a header-less file read as sort-id framed hides every
other record inside a "sort id" and reports half of them. This module tries every
reading instead and keeps the ones the bytes support.

The rule:

* A *reading* is one header layout (``LAYOUTS``, the layouts Monolith's reader
  supports) and one record type (``RECORD_TYPES``).
* It *fits* when it frames the examined bytes into at least one record, runs into
  no framing error (a corrupt marker, an absurd length, data ending inside a
  record), and every payload is non-empty and parses as the record type with no
  unknown top-level field (``parse_clean``). An empty payload parses as any type,
  so it proves nothing; it is what a layout with too few header fields produces.
* The examined bytes are the whole input when it is at most ``DETECT_BYTES``;
  otherwise its first ``DETECT_BYTES``, judged on the records that end inside
  them (the record cut by the bound only has to have a plausible length). When
  no reading completes a record within the bound (records larger than it), the
  bound grows up to ``DETECT_MAX_BYTES``; that is the most detection holds in
  memory.
* Of the readings that fit, the one that verifies the largest share of the
  examined bytes as records wins: a reading that hides records inside sort ids
  verifies about half of what the true one does. Equal shares go to the first in
  ``LAYOUTS`` and ``RECORD_TYPES`` order, which put Monolith's reader defaults
  (sort id, Instance) first.
* More than one fitting reading makes the file *ambiguous*, and ``Detection``
  says so with the other readings: the caller should tell the user how to pin the
  layout. The common case is an all-zero 8-byte header, which is both an empty
  sort id and a lagrangex header (data_source_key 0); the two readings yield the
  same payloads. No reading fitting is a ``DetectionError`` naming the offset
  where the reading that got furthest failed.

A layout or record type the caller gives is not detected: only readings with it
are tried. Given both, nothing is read here.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

from google.protobuf.message import DecodeError, Message
from google.protobuf.unknown_fields import UnknownFieldSet

from monogen.errors import CorruptRecordError, MonogenError, TruncatedRecordError
from monogen.formats import Variant
from monogen.io import datafile
from monogen.io.compression import Compression, open_compressed_reader
from monogen.io.datafile import DataRecord, HeaderOptions
from monogen.io.streams import BinarySource, peek

# Uncompressed bytes examined at first, and at most (see the module docstring).
DETECT_BYTES = 1 << 20
DETECT_MAX_BYTES = 16 << 20
_GROWTH = 4

# Every layout Monolith's reader supports, in order of preference on a tie:
# its default (sort id) and the kafka variants of it, then lagrangex, then none.
LAYOUTS = (
    HeaderOptions(),
    HeaderOptions(kafka_dump=True),
    HeaderOptions(kafka_dump_prefix=True),
    HeaderOptions(lagrangex=True),
    HeaderOptions(sort_id=False),
)
# Record types a data file holds, in order of preference: Instance is what
# Monolith's data-file reader expects by default.
RECORD_TYPES = (Variant.INSTANCE, Variant.EXAMPLE, Variant.EXAMPLE_BATCH)


class BadPayload(ValueError):
    """A payload that is not a sound record of its type; the message says why."""


class DetectionError(CorruptRecordError):
    """No header layout and record type reads the data; the message names the offset.

    ``furthest`` is the reading that got furthest before failing (None when no
    reading could be judged), for a caller that wants to show what it makes of the
    data anyway. ``stream`` (set by ``detect_stream``) still yields every byte of the
    input: detection has peeked at it, so the stream passed in may not.
    """

    def __init__(self, message: str, furthest: Reading | None = None) -> None:
        super().__init__(message)
        self.furthest = furthest
        self.stream: BinarySource | None = None


def parse_clean(payload: bytes, message_class: type[Message]) -> Message:
    """``payload`` parsed as ``message_class``, or ``BadPayload``.

    protobuf parsing is lenient: another message type's bytes usually parse, their
    fields landing in the unknown-field set. An unknown field at the top level is
    what gives the wrong type away. Deeper ones are accepted, because deployments
    extend LineId with their own fields.
    """
    return clean_parser(message_class)(payload)


def clean_parser(message_class: type[Message]) -> Callable[[bytes], Message]:
    """``parse_clean`` for one message class, as one call per payload: the form a reader
    that checks every record of a file uses."""
    parser = _CLEAN_PARSERS.get(message_class)
    if parser is None:
        parser = _CLEAN_PARSERS[message_class] = _clean_parser(message_class)
    return parser


# A dict rather than functools.cache: protobuf's type stubs do not declare message
# classes hashable, which functools.cache's typing asks of its arguments.
_CLEAN_PARSERS: dict[type[Message], Callable[[bytes], Message]] = {}


def _clean_parser(message_class: type[Message]) -> Callable[[bytes], Message]:
    from_string = message_class.FromString
    title = message_class.DESCRIPTOR.name

    def parse(payload: bytes) -> Message:
        try:
            message = from_string(payload)
        except DecodeError:
            raise BadPayload(f"does not parse as {title}") from None
        if len(UnknownFieldSet(message)):  # rare: the common case builds no set
            raise _unknown_top_level(message, title)
        return message

    return parse


def _unknown_top_level(message: Message, title: str) -> BadPayload:
    unknown = sorted(unknown_fields(message))
    numbers = ", ".join(map(str, unknown))
    plural = "s" if len(unknown) > 1 else ""
    article = "an" if title[0] in "AEIOU" else "a"
    return BadPayload(f"not {article} {title}: unknown top-level field{plural} {numbers}")


def unknown_fields(message: Message) -> set[int]:
    """Numbers of the fields of ``message`` (top level only) that its type does not declare."""
    unknown = UnknownFieldSet(message)
    return {unknown[i].field_number for i in range(len(unknown))}


class Reading(NamedTuple):
    """One header layout and record type, and what it made of the examined bytes."""

    header: HeaderOptions
    record_type: Variant
    records: int  # records verified
    payload_bytes: int  # bytes of those records' payloads
    framed_bytes: int  # bytes of those records, headers and lengths included

    @property
    def share(self) -> Fraction:
        """The share of the bytes it framed that it verified as payloads."""
        return Fraction(self.payload_bytes, self.framed_bytes or 1)

    def describe(self) -> str:
        return f"header {self.header.describe()}, {self.record_type.record_name} records"


@dataclass(frozen=True)
class Detection:
    """The reading to use, how it was decided, and the other readings that fit as well.

    ``header_given`` / ``type_given``: the caller fixed them. ``records`` and
    ``examined`` say what the decision rests on (0 when both were given: nothing
    was read); ``whole`` whether the examined bytes were the whole input.
    """

    header: HeaderOptions
    record_type: Variant
    header_given: bool = False
    type_given: bool = False
    records: int = 0
    examined: int = 0
    whole: bool = False
    others: tuple[Reading, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return bool(self.others)

    @property
    def other_headers(self) -> tuple[HeaderOptions, ...]:
        """The layouts of the other fitting readings (each once, best first)."""
        return tuple(dict.fromkeys(r.header for r in self.others if r.header != self.header))

    @property
    def other_types(self) -> tuple[Variant, ...]:
        """Record types that fit the chosen layout as well."""
        return tuple(r.record_type for r in self.others if r.header == self.header)

    def basis(self) -> str:
        """What the decision rests on, e.g. ``detected on the whole input (10 records)``."""
        where = "the whole input" if self.whole else f"the first {self.examined} bytes"
        plural = "s" if self.records != 1 else ""
        return f"detected on {where} ({self.records} record{plural})"

    def describe(self) -> str:
        """One sentence: the reading, how it was decided, and the others if ambiguous."""
        parts = [
            f"header {self.header.describe()}" + " (given)" * self.header_given,
            f"{self.record_type.record_name} records" + " (given)" * self.type_given,
        ]
        text = " and ".join(parts)
        if not (self.header_given and self.type_given):
            text += f", {self.basis()}"
        if self.others:
            others = ", ".join(
                f"header {r.header.describe()} ({r.records} {r.record_type.record_name} records)"
                for r in self.others
            )
            text += f"; ambiguous: it also reads as {others}"
        return text


class _Attempt(NamedTuple):
    """How far one reading got: it fits (``failure`` None) or fails at ``offset``."""

    reading: Reading
    failure: str | None
    offset: int


class _NeedMore(Exception):
    """No reading completed a record within the examined bytes, and the input goes on."""


class _Prefix(io.BytesIO):
    """The examined bytes, named as the input so framing errors name it too."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


def detect(
    data: bytes,
    *,
    complete: bool,
    header: HeaderOptions | None = None,
    record_type: Variant | str | None = None,
    label: str = "data file",
) -> Detection:
    """The reading of ``data`` (uncompressed bytes from the start of a data file) to use.

    ``complete``: ``data`` is the whole input, so a record must not be cut at its
    end. ``header`` / ``record_type`` pin that part of the reading (None: detect).
    Raises ``DetectionError`` when no reading fits; see the module docstring.
    """
    chosen = None if record_type is None else Variant.parse(record_type)
    if header is not None and chosen is not None:
        return Detection(header, chosen, header_given=True, type_given=True)
    if not data and complete:
        return Detection(
            header or LAYOUTS[0],
            chosen or RECORD_TYPES[0],
            header_given=header is not None,
            type_given=chosen is not None,
            whole=True,
        )
    layouts = LAYOUTS if header is None else (header,)
    types = RECORD_TYPES if chosen is None else (chosen,)
    attempts = [a for layout in layouts for a in _attempts(data, complete, layout, types, label)]
    fits = sorted(
        (a.reading for a in attempts if a.failure is None and a.reading.records),
        key=lambda r: (-r.share, LAYOUTS.index(r.header), RECORD_TYPES.index(r.record_type)),
    )
    if not fits:
        cut = any(a.failure is None for a in attempts)
        if cut and not complete:
            raise _NeedMore
        raise _no_fit(attempts, data, complete=complete, label=label)
    best = fits[0]
    return Detection(
        best.header,
        best.record_type,
        header_given=header is not None,
        type_given=chosen is not None,
        records=best.records,
        examined=len(data),
        whole=complete,
        others=tuple(fits[1:]),
    )


def _attempts(
    data: bytes, complete: bool, layout: HeaderOptions, types: Sequence[Variant], label: str
) -> list[_Attempt]:
    """Each record type read with ``layout``: fitting, or failing at an offset."""
    records: list[DataRecord] = []
    end = 0  # where the record after the last one read starts
    failure: str | None = None
    reader = datafile.read(_Prefix(data, label), header=layout, compression=Compression.NONE)
    try:
        for record in reader:
            records.append(record)
            if not record.payload:
                break  # fails as every type: no need to frame a run of zeros further
            end = reader.end
    except TruncatedRecordError as exc:
        if complete:  # else the examined bytes end inside a record: judged on the others
            failure = str(exc)
    except MonogenError as exc:
        failure = str(exc)
    payload = sum(len(r.payload) for r in records)
    attempts = []
    for record_type in types:
        problem, at = failure, end
        for index, record in enumerate(records):
            reason = _payload_problem(record.payload, record_type)
            if reason is not None:
                where = f"{label}: record {index} at offset {record.offset}"
                problem = f"{where}: {reason} (reading with header {layout.describe()})"
                at = record.offset
                break
        reading = Reading(layout, record_type, len(records), payload, end)
        attempts.append(_Attempt(reading, problem, at))
    return attempts


def _payload_problem(payload: bytes, record_type: Variant) -> str | None:
    if not payload:
        return "empty payload"
    try:
        parse_clean(payload, record_type.message_class)
    except BadPayload as exc:
        return str(exc)
    return None


def _no_fit(
    attempts: Sequence[_Attempt], data: bytes, *, complete: bool, label: str
) -> DetectionError:
    furthest = max(attempts, key=lambda a: a.offset)  # max keeps the first of equals
    where = "the input" if complete else f"the first {len(data)} bytes"
    return DetectionError(
        f"{label}: no header layout and record type reads {where} as a data file;"
        f" the reading that got furthest fails at offset {furthest.offset}: {furthest.failure}",
        furthest.reading,
    )


def detect_stream(
    src: BinarySource,
    *,
    header: HeaderOptions | None = None,
    record_type: Variant | str | None = None,
    label: str = "data file",
) -> tuple[Detection, BinarySource]:
    """The reading of the uncompressed data file ``src``, and a stream that still yields
    every byte of it (``peek``'s rules: read only from the returned stream).

    Holds at most ``DETECT_MAX_BYTES`` in memory; see ``detect`` for the errors.
    """
    chosen = None if record_type is None else Variant.parse(record_type)
    if header is not None and chosen is not None:
        return detect(b"", complete=False, header=header, record_type=chosen), src
    size = DETECT_BYTES
    while True:
        data, src = peek(src, size)
        complete = len(data) < size
        try:
            try:
                return detect(
                    data, complete=complete, header=header, record_type=chosen, label=label
                ), src
            except _NeedMore:
                if size >= DETECT_MAX_BYTES:
                    raise DetectionError(
                        f"{label}: no header layout frames a whole record in the first"
                        f" {size} bytes; give the header layout and record type"
                    ) from None
        except DetectionError as exc:
            exc.stream = src
            raise
        size *= _GROWTH


class DetectedRecords(NamedTuple):
    """A data file's records, read the way ``detection`` says."""

    detection: Detection
    records: Iterator[DataRecord]


def read(
    fo: BinarySource,
    *,
    header: HeaderOptions | None = None,
    record_type: Variant | str | None = None,
    compression: Compression | str | None = None,
) -> DetectedRecords:
    """Detect a data file's reading (``header`` / ``record_type`` None: detect it) and read it.

    ``compression=None`` detects the compression too. Payloads are not parsed beyond
    the examined bytes: the caller checks the rest (``parse_clean``).
    """
    label = getattr(fo, "name", None)
    label = label if isinstance(label, str) else "data file"
    plain = open_compressed_reader(fo, compression)
    detection, plain = detect_stream(plain, header=header, record_type=record_type, label=label)
    records = datafile.read(plain, header=detection.header, compression=Compression.NONE)
    return DetectedRecords(detection, records)
