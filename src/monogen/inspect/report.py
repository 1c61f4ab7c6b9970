"""Reading a file once and reporting on every record: the orchestration of ``monogen inspect``.

``inspect_stream`` reads a file once, strictly sequentially (stdin works), and
returns a ``Report``: how many records were read and found sound, what went wrong
where, and statistics to check a generator or a pipeline against. What the file
is comes from ``detect``, whether a record is sound from ``validate``, the
statistics from ``stats``.

Framing is part of soundness: a TFRecord's length CRC and data CRC; a data file's
header and length (``monogen.io.datafile.read`` semantics), and a non-empty
payload, since an empty one is what a header layout that does not match the file
typically produces.

Which problems end the reading: after a framing error (a TFRecord length CRC
mismatch, a data-file length that cannot be right, data ending inside a record)
the next record cannot be found, so reading stops there. Other problems (a data
CRC mismatch, a payload that does not parse) leave the framing intact: with
``keep_going`` reading goes on, keeping the first ``MAX_PROBLEMS_KEPT`` problems
and counting the rest, until ``MAX_BAD_RUN`` bad records in a row say that the
framing is walking through garbage it cannot resynchronise on; else it stops at
the first. An empty input has no records to verify and is reported as a problem.
"""

from __future__ import annotations

import io
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from google.protobuf.message import Message

from monogen.errors import CorruptRecordError, MonogenError, TruncatedRecordError
from monogen.formats import MAX_WARMUP_LOGS, RecordType
from monogen.inspect.detect import (
    TFRECORD_CANDIDATES,
    FileFormat,
    detect_compression_of,
    detect_container,
    detect_datafile,
)
from monogen.inspect.stats import RecordStats, Sampler, WarmupStats
from monogen.inspect.validate import (
    DETECT_WINDOW,
    BadPayload,
    Embedded,
    detect_record_type,
    embedded_records,
    record_parser,
)
from monogen.io import datafile
from monogen.io.compression import SNIFF_SIZE, Compression, open_compressed_reader
from monogen.io.datafile import DataRecord, HeaderOptions
from monogen.io.detect import RECORD_TYPES as DATAFILE_TYPES
from monogen.io.detect import Detection
from monogen.io.streams import BinarySource, peek, position, reader_into
from monogen.io.tfrecord import iter_frames

if TYPE_CHECKING:  # only for annotations; typing_extensions is not a runtime dependency
    from typing_extensions import Buffer

__all__ = [
    "MAX_BAD_RUN",
    "MAX_PROBLEMS_KEPT",
    "Problem",
    "Report",
    "Shown",
    "inspect_stream",
]

# With keep_going: problems kept for the report (the rest are counted), and how many
# bad records in a row end the reading (a run of garbage, e.g. zeros, that the
# framing cannot resynchronise on).
MAX_PROBLEMS_KEPT = 100
MAX_BAD_RUN = 1000


class Problem(NamedTuple):
    """One bad record (or a reason reading stopped); ``message`` names file, record, offset."""

    message: str
    fatal: bool  # reading could not go on after it


class Shown(NamedTuple):
    """A record kept for display (``show``)."""

    number: int  # records before this one
    offset: int
    message: Message
    data_source_key: int | None
    embedded: tuple[Embedded, ...] = ()  # a warmup request's records, decoded


@dataclass
class Report:
    """Everything ``inspect_stream`` found; ``ok`` when every record is sound and there is one."""

    label: str
    format: FileFormat | None = None
    compression: Compression = Compression.NONE
    header: HeaderOptions | None = None  # data files only
    record_type: RecordType | None = None
    detected: bool = False  # record type found by parsing, not given
    assumed: bool = False  # no record could tell: the format's usual type was checked
    also_parses_as: tuple[RecordType, ...] = ()
    records: int = 0  # records read (framing sound)
    sound: int = 0  # records that passed every check
    file_bytes: int = 0  # bytes read from the input (compressed, if it is)
    data_bytes: int = 0  # uncompressed bytes of the records read, framing included
    problems: list[Problem] = field(default_factory=list)  # the first MAX_PROBLEMS_KEPT
    problem_count: int = 0  # all of them
    bad_run: int = 0  # bad records since the last sound one
    stats: RecordStats | WarmupStats | None = None
    sample: Sampler = field(default_factory=Sampler)  # which sound records the stats count
    keep_going: bool = False  # reading went on past bad records
    header_keys: Counter[int] = field(default_factory=Counter)  # lagrangex data_source_key
    pb_types: Counter[int] = field(default_factory=Counter)  # lagrangex pb_type byte
    shown: list[Shown] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    suggestions: list[HeaderOptions] = field(default_factory=list)
    detection: Detection | None = None  # how a data file's reading was found

    @property
    def ok(self) -> bool:
        return not self.problem_count

    @property
    def ended_by_framing(self) -> bool:
        """Whether a framing error (after which no record can be found) ended the reading."""
        return bool(self.problems) and self.problems[-1].fatal

    @property
    def ended_by_run(self) -> bool:
        """Whether ``MAX_BAD_RUN`` bad records in a row ended the reading."""
        return self.bad_run >= MAX_BAD_RUN

    @property
    def stopped_early(self) -> bool:
        """Whether records after the last one read were left unread."""
        return self.problem_count > 0 and (
            self.ended_by_framing or self.ended_by_run or not self.keep_going
        )

    def add_problem(self, problem: Problem) -> None:
        """Count ``problem``; keep it if fewer than ``MAX_PROBLEMS_KEPT`` are (or it is fatal)."""
        self.problem_count += 1
        self.bad_run += 1
        if problem.fatal or len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(problem)

    def error_message(self) -> str:
        """One line for the CLI's ``Error:``: the first problem, and how many more."""
        first = self.problems[0].message
        more = self.problem_count - 1
        return first if not more else f"{first} (and {more} more bad record{'s' * (more > 1)})"


class _Records(NamedTuple):
    """A file's records as framed, and what its framing errors look like.

    ``items`` yields each record: a ``DataRecord`` when its framing is sound (its
    payload still to be checked), a non-fatal ``Problem`` in its place when the
    framing is bad but the next record can still be found (a TFRecord data CRC
    mismatch). A framing error after which no record can be found is raised, as one
    of ``errors``; its message, after ``prefix``, is the fatal problem.
    """

    items: Iterator[DataRecord | Problem]
    errors: tuple[type[Exception], ...]
    prefix: str = ""


def _guarded(records: _Records) -> Iterator[DataRecord | Problem]:
    """``records.items``, ended by a fatal ``Problem`` when a framing error ends them."""
    try:
        yield from records.items
    except records.errors as exc:
        yield Problem(f"{records.prefix}{exc}", fatal=True)


# Input is pulled in blocks of this size, so that the many small reads of TFRecord
# framing and of the decoders are served from a buffer instead of a Python call each.
# (The data-file reader asks for larger blocks of its own, which pass straight through.)
READ_BLOCK = 1 << 20


class _CountingRaw(io.RawIOBase):
    """Counts the bytes pulled from ``src``; seeking is passed through and counted net.

    Used under an ``io.BufferedReader`` (``_counted``): the count then moves once per
    block, not once per read, and includes the buffer's read-ahead.
    """

    def __init__(self, src: BinarySource, name: str) -> None:
        super().__init__()
        self._src = src
        self._readinto = reader_into(src)
        self.name = name
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Buffer, /) -> int:
        size = self._readinto(memoryview(buffer).cast("B"))
        self.count += size
        return size

    def seekable(self) -> bool:
        return position(self._src) is not None

    def tell(self) -> int:
        return int(self._src.tell())  # type: ignore[attr-defined]

    def fileno(self) -> int:
        """The source's descriptor (readers tell a regular file from a device by it)."""
        fileno = getattr(self._src, "fileno", None)
        if fileno is None:
            raise io.UnsupportedOperation("fileno")
        return int(fileno())

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Seeks the source; a look ahead that seeks back is not counted twice."""
        before = self.tell()
        after = int(self._src.seek(offset, whence))  # type: ignore[attr-defined]
        self.count += after - before
        return after


def _counted(src: BinarySource, name: str) -> tuple[io.BufferedReader, _CountingRaw]:
    """``src`` read through a block buffer, and the counter of the bytes pulled from it."""
    raw = _CountingRaw(src, name)
    return io.BufferedReader(raw, READ_BLOCK), raw


def _tfrecord_records(src: BinarySource, label: str) -> _Records:
    """TFRecord frames, going on past a data CRC mismatch."""
    frames = iter_frames(src, keep_going=True)  # type: ignore[arg-type]

    def items() -> Iterator[DataRecord | Problem]:
        for index, frame in enumerate(frames):
            if frame.data_ok:
                yield DataRecord(frame.offset, frame.data, None, None)
            else:
                where = f"{label}: record {index} at offset {frame.offset}"
                yield Problem(f"{where}: data CRC mismatch", fatal=False)

    # Framing, the length CRC, or the decompressor.
    return _Records(items(), (MonogenError,), f"{label}: ")


def inspect_stream(
    fo: BinarySource,
    *,
    label: str | None = None,
    file_format: FileFormat | str | None = None,
    header: HeaderOptions | None = None,
    record_type: RecordType | str | None = None,
    compression: Compression | str | None = None,
    keep_going: bool = False,
    show: int = 0,
    progress: Callable[[int], object] | None = None,
    visit: Callable[[RecordType, Message], object] | None = None,
    stats: bool = True,
) -> Report:
    """Read ``fo`` to the end (or to the first bad record) and report on every record.

    ``None`` for ``file_format``, ``header``, ``record_type`` or ``compression``
    means "detect it" (``detect``). ``header`` matters for data files only.
    ``show`` keeps the first that many sound records (parsed) in ``Report.shown``.
    ``progress`` is called with the number of input bytes consumed since its last
    call. ``visit`` is called with every sound record (a warmup file's: every record
    inside its requests) and its type, for readers that need more than the sampled
    statistics (``monogen profile``). ``stats=False`` leaves ``Report.stats`` None, for a
    caller that shows no summary: every record is verified all the same.
    ``fo`` is left open. Problems with the data are
    reported, not raised; ``MonogenError`` only for options that cannot be used.
    """
    report = Report(label=label or _name_of(fo), keep_going=keep_going)
    chosen = None if record_type is None else RecordType.parse_any(record_type)
    compressed = detect_compression_of(fo, label=report.label, compression=compression)
    source, raw = _counted(compressed.stream, compressed.where)
    plain_src = open_compressed_reader(source, compressed.compression)
    plain_head = b""
    try:
        plain_head, plain_src = peek(plain_src, SNIFF_SIZE)
    except (CorruptRecordError, TruncatedRecordError) as exc:  # from the decoder
        report.add_problem(Problem(f"{compressed.where}: {exc}", fatal=True))
    container = detect_container(plain_head, file_format=file_format)
    report.compression, report.format = compressed.compression, container.format
    report.warnings.extend(container.warnings)
    if report.format is not None and not report.problems:
        # Uncompressed, the counted source is the data: no second buffer to copy through.
        plain, inflated = plain_src, raw
        if compressed.compression is not Compression.NONE:
            plain, inflated = _counted(plain_src, raw.name)
        run = _Run(report, compressed.where, raw, show, progress, visit, stats)
        if report.format is FileFormat.TFRECORD:
            run.verify(_tfrecord_records(plain, run.where), chosen, TFRECORD_CANDIDATES)
        else:
            run.verify_datafile(plain, header, chosen)
        report.data_bytes = inflated.count
    report.file_bytes = raw.count
    if not report.records and not report.problems:
        empty = "empty input" if not compressed.head else "no records"
        report.add_problem(Problem(f"{compressed.where}: {empty}, nothing to verify", fatal=True))
    if report.ok or report.records >= DETECT_WINDOW:
        # Other layouts are worth suggesting only when the given one failed at once: a
        # file that read cleanly for a while and then broke is damaged, not misread.
        report.suggestions = []
    _warmup_warnings(report)
    return report


def _name_of(fo: object) -> str:
    name = getattr(fo, "name", None)
    return name if isinstance(name, str) else "input"


@dataclass
class _Run:
    """One reading of a file: the report it fills and what every step needs to know."""

    report: Report
    where: str  # the input's label, plus what offsets mean (for messages)
    raw: _CountingRaw  # the input as read, for progress
    show: int
    progress: Callable[[int], object] | None
    visit: Callable[[RecordType, Message], object] | None = None
    stats: bool = True  # whether to keep statistics
    consumed: int = 0  # input bytes reported to ``progress`` so far

    def verify_datafile(
        self, plain: BinarySource, header: HeaderOptions | None, chosen: RecordType | None
    ) -> None:
        """Find the data file's reading, then check every record with it."""
        report = self.report
        reading = detect_datafile(plain, header=header, record_type=chosen, where=self.where)
        if reading.warning is not None:
            report.warnings.append(reading.warning)
        if reading.header is None:
            report.add_problem(Problem(reading.problem or self.where, fatal=True))
            return
        report.header, report.detection = reading.header, reading.detection
        report.suggestions = list(reading.suggestions)
        report.detected, report.assumed = reading.detected, reading.assumed
        report.also_parses_as = reading.also_parses_as
        records = datafile.read(reading.stream, header=reading.header, compression=Compression.NONE)
        framing_errors = (CorruptRecordError, TruncatedRecordError)
        self.verify(_Records(iter(records), framing_errors), reading.record_type, DATAFILE_TYPES)

    def verify(
        self, records: _Records, chosen: RecordType | None, candidates: Sequence[RecordType]
    ) -> None:
        """Decide the record type on the first records if not known, then check every record."""
        report = self.report
        items = _guarded(records)
        window: list[DataRecord | Problem] = []
        for item in items:
            window.append(item)
            if _is_fatal(item) or len(window) >= DETECT_WINDOW:
                break
        record_type = chosen
        if record_type is None:
            record_type, others, evidence = detect_record_type(
                (i.payload for i in window if isinstance(i, DataRecord)), candidates
            )
            report.detected, report.also_parses_as = evidence > 0, others
            report.assumed = record_type is not None and not evidence
            if record_type is None:
                self._fits_none(window, candidates)
                return
        report.record_type = record_type
        if self.stats:
            warmup = record_type is RecordType.PREDICTION_LOG
            report.stats = WarmupStats() if warmup else RecordStats(record_type)
        first = iter(window)  # the only reference left: the window goes once checked
        del window
        self.check_all(itertools.chain(first, items), record_type)  # items end after a fatal

    def _fits_none(
        self, window: Sequence[DataRecord | Problem], candidates: Sequence[RecordType]
    ) -> None:
        report = self.report
        number, first = next(
            (n, i) for n, i in enumerate(window) if isinstance(i, DataRecord) and i.payload
        )
        titles = ", ".join(t.record_name for t in candidates)
        hint = "" if report.header is None else f" (reading with header {report.header.describe()})"
        message = f"{self.where}: record {number} at offset {first.offset}: parses as none of"
        report.add_problem(Problem(f"{message} {titles}{hint}", fatal=True))
        report.records = sum(1 for i in window if not _is_fatal(i))

    def advance(self) -> None:
        """Tell ``progress`` about the input bytes read since the last call."""
        count = self.raw.count
        if self.progress is not None and count > self.consumed:
            self.progress(count - self.consumed)
            self.consumed = count

    def check_all(self, items: Iterable[DataRecord | Problem], record_type: RecordType) -> None:
        """Verify every record into the report, until the end or a problem that stops it.

        This loop runs once per record of files of millions: the common case (a sound
        record) takes the fewest calls it can, the bookkeeping in local names.
        """
        report, where, show, visit = self.report, self.where, self.show, self.visit
        parse = record_parser(record_type)
        warmup = record_type is RecordType.PREDICTION_LOG
        empty_is_bad = report.format is FileFormat.DATAFILE
        take, add_stats = report.sample.take, _stats_adder(report.stats)
        header_keys, pb_types, shown = report.header_keys, report.pb_types, report.shown
        progress = self.progress
        embedded: Sequence[Embedded] = ()
        records = sound = 0  # report.records and report.sound, stored when the loop ends
        for item in items:
            if progress is not None:
                self.advance()
            if isinstance(item, Problem):
                problem = item
            else:
                offset, payload, key, pb_type = item
                try:
                    if not payload and empty_is_bad:
                        raise BadPayload(self._empty_payload())
                    message = parse(payload)
                    if warmup:
                        embedded = embedded_records(message)
                except BadPayload as exc:
                    at = f"{where}: record {records} at offset {offset}"
                    problem = Problem(f"{at}: {exc}", fatal=False)
                else:
                    if len(shown) < show:
                        shown.append(Shown(records, offset, message, key, tuple(embedded)))
                    records += 1
                    sound += 1
                    if report.bad_run:
                        report.bad_run = 0
                    if add_stats is not None and take(len(payload)):
                        add_stats(message, embedded)
                    if key is not None:
                        header_keys[key] += 1
                    if pb_type is not None:
                        pb_types[pb_type] += 1
                    if visit is not None:
                        _visit_all(visit, record_type, message, embedded)
                    del message  # a large record's parse is freed before the next one's
                    continue
            if not problem.fatal:
                records += 1
            report.add_problem(problem)
            if problem.fatal or not report.keep_going or report.ended_by_run:
                break
        report.records += records
        report.sound += sound
        self.advance()

    def _empty_payload(self) -> str:
        header = self.report.header
        assert header is not None  # a data file's
        return (
            "empty payload, which usually means the header options do not match the file"
            f" (reading with header {header.describe()})"
        )


def _stats_adder(
    stats: RecordStats | WarmupStats | None,
) -> Callable[[Message, Sequence[Embedded]], object] | None:
    """How a sampled sound record goes into ``stats`` (None: statistics are not kept)."""
    if isinstance(stats, WarmupStats):
        return stats.add
    if stats is None:
        return None
    return lambda message, embedded: stats.add(message)


def _visit_all(
    visit: Callable[[RecordType, Message], object],
    record_type: RecordType,
    message: Message,
    embedded: Sequence[Embedded],
) -> None:
    """Hand a sound record (a warmup request's: its records) to ``visit``."""
    if record_type is not RecordType.PREDICTION_LOG:
        visit(record_type, message)
    for _, inner_type, inner in embedded:
        visit(inner_type, inner)


def _is_fatal(item: DataRecord | Problem) -> bool:
    return isinstance(item, Problem) and item.fatal


def _warmup_warnings(report: Report) -> None:
    if report.record_type is not RecordType.PREDICTION_LOG:
        return
    if report.records > MAX_WARMUP_LOGS:
        report.warnings.append(
            f"{report.records} PredictionLogs: TF Serving fails the model load beyond"
            f" {MAX_WARMUP_LOGS} warmup records"
        )
    if report.compression is not Compression.NONE:
        report.warnings.append(
            f"{report.compression.name} compressed: TF Serving reads warmup files uncompressed"
        )
