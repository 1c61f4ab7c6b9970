"""Look inside TFRecord, warmup and Monolith data files: verify every record, summarise them.

``inspect_stream`` reads a file once, strictly sequentially (stdin works), and
returns a ``Report``: how many records were read and found sound, what went wrong
where, and statistics to check a generator or a pipeline against (per-feature fill
rates and fid slots, LineId fields, warmup signatures and inputs). ``monogen
inspect`` renders it.

What "sound" means, record by record:

* framing: a TFRecord's length CRC and data CRC; a data file's header and length,
  read with the header options given (``monogen.io.datafile.read`` semantics);
* parsing: the payload parses as the record type (``FromString`` raises nothing)
  *and* the parsed message has no unknown field at its top level. protobuf parsing
  is lenient: the bytes of another message type usually parse without error, their
  fields landing in the unknown-field set, so an unknown top-level field is what
  gives away the wrong record type (or wrong header options). Unknown fields deeper
  down are accepted, because real deployments extend LineId with their own fields;
* per type: a PredictionLog carries a predict_log (the kind warmup files use) whose
  string inputs parse as records too; every feature list of an ExampleBatch has
  batch_size rows (one when SHARED), since Monolith's readers index them by row;
  a data-file payload is not empty, since an empty payload is what header options
  that do not match the file typically produce.

Which problems end the reading: after a framing error (a TFRecord length CRC
mismatch, a data-file length that cannot be right, data ending inside a record)
the next record cannot be found, so reading stops there. Other problems (a data
CRC mismatch, a payload that does not parse) leave the framing intact: with
``keep_going`` reading goes on and every bad record is listed, else it stops.

Detection, where not told: GZIP/ZLIB by magic bytes and a trial inflate
(``Compression.sniff``); TFRecord when the first 12 uncompressed bytes carry a valid
length CRC (a false match has odds of 1 in 2**32), else a data file. A TFRecord's
record type is decided by parsing its first records as each candidate and keeping
those that parse cleanly (PredictionLogs with a predict_log make a warmup file). A
data file's header layout and record type are found by ``monogen.io.detect``; when a
layout is given and does not fit, the layouts that do are suggested. An empty input
has no records to verify and is reported as a problem.
"""

from __future__ import annotations

import dataclasses
import enum
import io
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from google.protobuf.message import DecodeError, Message

from monogen.errors import CorruptRecordError, MonogenError, SchemaError, TruncatedRecordError
from monogen.formats import (
    DEFAULT_SIGNATURE,
    LABEL_LIST,
    LINE_ID_LIST,
    MAX_WARMUP_LOGS,
    VARIANTS,
    RecordType,
    dtype_name,
)
from monogen.gen.fids import HASH_BITS_V1, HASH_BITS_V2
from monogen.io import datafile
from monogen.io.compression import (
    GZIP_WBITS,
    SNIFF_OUTPUT_LIMIT,
    ZLIB_WBITS,
    BinarySource,
    Compression,
    open_compressed_reader,
    peek,
)
from monogen.io.datafile import HeaderOptions
from monogen.io.detect import (
    BadPayload,
    Detection,
    DetectionError,
    Reading,
    detect_stream,
    parse_clean,
    unknown_fields,
)
from monogen.io.tfrecord import FRAME_OVERHEAD, iter_frames, looks_like_tfrecord
from monogen.proto import example_pb2, line_id_pb2

# How many leading records decide the record type, and are tried with other header
# options when reading a data file fails.
DETECT_WINDOW = 16
# With keep_going: problems kept for the report (the rest are counted), and how many
# bad records in a row end the reading (a run of garbage, e.g. zeros, that the
# framing cannot resynchronise on).
MAX_PROBLEMS_KEPT = 100
MAX_BAD_RUN = 1000
# Distinct names (features, inputs, signatures...) tracked per table. Real schemas
# have hundreds; the cap keeps memory flat on a file full of garbage names.
MAX_TRACKED = 4096


class FileFormat(str, enum.Enum):
    """The container: checksummed TFRecord frames, or Monolith's header + length framing."""

    TFRECORD = "tfrecord"
    DATAFILE = "datafile"

    @property
    def display(self) -> str:
        return {FileFormat.TFRECORD: "TFRecord", FileFormat.DATAFILE: "Monolith data file"}[self]


# Candidates in order of preference when several parse cleanly: a TFRecord is most
# often a warmup file or tf.Examples' Monolith cousin, a data file most often holds
# Instances (the default of Monolith's data-file reader).
_CANDIDATES: dict[FileFormat, tuple[RecordType, ...]] = {
    FileFormat.TFRECORD: (
        RecordType.PREDICTION_LOG,
        RecordType.EXAMPLE,
        RecordType.INSTANCE,
        RecordType.EXAMPLE_BATCH,
    ),
    FileFormat.DATAFILE: (RecordType.INSTANCE, RecordType.EXAMPLE, RecordType.EXAMPLE_BATCH),
}


class Problem(NamedTuple):
    """One bad record (or a reason reading stopped); ``message`` names file, record, offset."""

    message: str
    fatal: bool  # reading could not go on after it


# --------------------------------------------------------------------------- parsing


def parse_record(payload: bytes, record_type: RecordType) -> Message:
    """``payload`` parsed as ``record_type``, or ``BadPayload`` (see the module docstring)."""
    message = parse_clean(payload, record_type.message_class)
    _CHECKS.get(record_type, _no_check)(message)
    return message


def parses_as(payload: bytes, record_type: RecordType) -> bool:
    try:
        parse_record(payload, record_type)
    except BadPayload:
        return False
    return True


def _no_check(message: Any) -> None:
    del message


def _check_prediction_log(log: Any) -> None:
    if log.WhichOneof("log_type") != "predict_log":
        raise BadPayload("PredictionLog without a predict_log")


def _check_example_batch(batch: Any) -> None:
    for named in batch.named_feature_list:
        rows = len(named.feature)
        if named.type == example_pb2.SHARED:
            if rows < 1:
                raise BadPayload(f"SHARED feature list {named.name!r} has no feature")
        elif rows != batch.batch_size:
            raise BadPayload(
                f"feature list {named.name!r} has {rows} rows, batch_size is {batch.batch_size}"
            )
        if named.name == LINE_ID_LIST:
            for row, feature in enumerate(named.feature):
                for data in feature.bytes_list.value:
                    try:
                        line_id_pb2.LineId.FromString(data)
                    except DecodeError:
                        raise BadPayload(
                            f"row {row} of {LINE_ID_LIST} does not parse as LineId"
                        ) from None


_CHECKS: dict[RecordType, Callable[[Any], None]] = {
    RecordType.PREDICTION_LOG: _check_prediction_log,
    RecordType.EXAMPLE_BATCH: _check_example_batch,
}


class TypeDetection(NamedTuple):
    """What ``detect_record_type`` found: ``record_type`` is None when nothing fits."""

    record_type: RecordType | None
    also_parses_as: tuple[RecordType, ...]
    evidence: int  # non-empty payloads it was decided on (0: a guess)


def detect_record_type(
    payloads: Iterable[bytes], candidates: Sequence[RecordType]
) -> TypeDetection:
    """The record type the payloads share, and the other candidates that fit them as well.

    Candidates are narrowed record by record (empty payloads say nothing) for as long
    as at least one still fits; the first remaining one in ``candidates`` order wins.
    ``record_type`` is None when the first non-empty payload parses as no candidate;
    with no non-empty payload at all it is the first candidate, on no evidence.
    """
    viable = list(candidates)
    evidence = 0
    for payload in payloads:
        if not payload:
            continue
        narrowed = [t for t in viable if parses_as(payload, t)]
        if not narrowed:
            if not evidence:
                return TypeDetection(None, (), 0)
            break
        viable = narrowed
        evidence += 1
    if not evidence:
        return TypeDetection(viable[0], (), 0)
    return TypeDetection(viable[0], tuple(viable[1:]), evidence)


# --------------------------------------------------------------------------- statistics


@dataclass
class FeatureStats:
    """One feature (or fid-v1 slot, or LineId field) over the rows seen."""

    rows: int = 0  # rows in which it is present
    filled: int = 0  # rows in which it has at least one value
    values: int = 0  # values in all rows
    kinds: set[str] = field(default_factory=set)  # which value fields carry them
    slots: set[int] = field(default_factory=set)  # slots of its fids


def _tracked(table: dict[str, FeatureStats], name: str | bytes) -> FeatureStats | None:
    """The stats of ``name``, created while fewer than MAX_TRACKED are tracked."""
    if isinstance(name, bytes):  # a proto2 string that is not UTF-8 comes back as bytes
        name = name.decode("utf-8", "backslashreplace")
    stats = table.get(name)
    if stats is None and len(table) < MAX_TRACKED:
        stats = table[name] = FeatureStats()
    return stats


def _v1_slots(fids: Iterable[int]) -> set[int]:
    return {fid >> HASH_BITS_V1 for fid in fids}


def _v2_slots(fids: Iterable[int]) -> set[int]:
    return {fid >> HASH_BITS_V2 for fid in fids}


@dataclass
class RecordStats:
    """Statistics over Examples, Instances or ExampleBatches (rows: one per Example/Instance)."""

    record_type: RecordType
    records: int = 0
    rows: int = 0
    features: dict[str, FeatureStats] = field(default_factory=dict)
    fidv1_slots: dict[int, FeatureStats] = field(default_factory=dict)  # Instance.fid
    line_id: dict[str, FeatureStats] = field(default_factory=dict)
    label_widths: Counter[int] = field(default_factory=Counter)
    data_source_keys: Counter[int] = field(default_factory=Counter)  # the proto field

    def add(self, message: Any) -> None:
        self.records += 1
        _ADDERS[self.record_type](self, message)

    def add_line_id(self, line_id: Any) -> None:
        for descriptor, value in line_id.ListFields():
            stats = _tracked(self.line_id, descriptor.name)
            if stats is not None:
                _count_line_id_value(stats, value, repeated=_is_repeated(descriptor))
        for number in sorted(unknown_fields(line_id)):
            stats = _tracked(self.line_id, f"#{number} (not in monogen's LineId)")
            if stats is not None:
                stats.rows += 1
                stats.filled += 1

    def add_data_source_key(self, key: int) -> None:
        if key and (key in self.data_source_keys or len(self.data_source_keys) < MAX_TRACKED):
            self.data_source_keys[key] += 1


def _is_repeated(descriptor: Any) -> bool:
    # FieldDescriptor.label is deprecated in newer protobuf; is_repeated replaces it.
    repeated = getattr(descriptor, "is_repeated", None)
    if repeated is not None:
        return bool(repeated)
    return bool(descriptor.label == descriptor.LABEL_REPEATED)


def _count_line_id_value(stats: FeatureStats, value: Any, *, repeated: bool) -> None:
    stats.rows += 1
    count = len(value) if repeated else 1
    if count:
        stats.filled += 1
        stats.values += count


# Example (monolith.io.proto) Feature: a oneof; each case is a list, a list of lists or a
# scalar. Fids in the v1 cases are read with the v1 layout, the v2 cases with v2.
_FID_SLOTS: dict[str, Callable[[Iterable[int]], set[int]]] = {
    "fid_v1_list": _v1_slots,
    "fid_v2_list": _v2_slots,
    "fid_v1_lists": _v1_slots,
    "fid_v2_lists": _v2_slots,
}
_SCALARS = frozenset({"int64_value", "float_value", "double_value", "bytes_value"})


def _example_feature_values(feature: Any) -> tuple[str | None, Sequence[int], int]:
    """(the oneof case, the fids if it holds fids, how many values) of an Example Feature."""
    kind = feature.WhichOneof("type")
    if kind is None:
        return None, (), 0
    if kind in _SCALARS:
        return kind, (), 1
    value = getattr(feature, kind)
    holds_fids = kind in _FID_SLOTS
    if kind.endswith("_lists"):
        lists = [inner.value for inner in value.list]
        fids = [v for inner in lists for v in inner] if holds_fids else ()
        return kind, fids, sum(len(inner) for inner in lists)
    return kind, value.value if holds_fids else (), len(value.value)


def _add_example_feature(stats: FeatureStats, feature: Any) -> None:
    kind, fids, count = _example_feature_values(feature)
    stats.rows += 1
    if kind is None:
        return
    stats.kinds.add(kind)
    if count:
        stats.filled += 1
        stats.values += count
    if fids:
        stats.slots |= _FID_SLOTS[kind](fids)


def _add_example(stats: RecordStats, example: Any) -> None:
    stats.rows += 1
    for named in example.named_feature:
        feature_stats = _tracked(stats.features, named.name)
        if feature_stats is not None:
            _add_example_feature(feature_stats, named.feature)
    if example.HasField("line_id"):
        stats.add_line_id(example.line_id)
    stats.label_widths[len(example.label)] += 1
    stats.add_data_source_key(example.data_source_key)


# Instance (idl.matrix.proto) Feature: independent repeated fields (the set ones come from
# ListFields, much faster than probing all eight); fids are v2.
_INSTANCE_NESTED = frozenset({"fid_list", "float_list", "int64_list", "bytes_list"})
_INSTANCE_FIDS = frozenset({"fid", "fid_list"})
_COLUMN_NAME = "name"


def _add_instance_feature(stats: FeatureStats, column: Any) -> None:
    stats.rows += 1
    count = 0
    for descriptor, value in column.ListFields():
        kind = descriptor.name
        if kind == _COLUMN_NAME:
            continue
        stats.kinds.add(kind)
        flats = [inner.value for inner in value] if kind in _INSTANCE_NESTED else [value]
        for flat in flats:
            count += len(flat)
            if kind in _INSTANCE_FIDS:
                stats.slots |= _v2_slots(flat)
    if count:
        stats.filled += 1
        stats.values += count


def _add_instance(stats: RecordStats, instance: Any) -> None:
    stats.rows += 1
    per_slot = Counter(fid >> HASH_BITS_V1 for fid in instance.fid)
    for slot, count in per_slot.items():
        slot_stats = stats.fidv1_slots.setdefault(slot, FeatureStats())
        slot_stats.rows += 1
        slot_stats.filled += 1
        slot_stats.values += count
    for column in instance.feature:
        feature_stats = _tracked(stats.features, column.name)
        if feature_stats is not None:
            _add_instance_feature(feature_stats, column)
    if instance.HasField("line_id"):
        stats.add_line_id(instance.line_id)
    stats.label_widths[len(instance.label)] += 1
    stats.add_data_source_key(instance.data_source_key)


def _add_example_batch(stats: RecordStats, batch: Any) -> None:
    rows = batch.batch_size
    stats.rows += rows
    for named in batch.named_feature_list:
        features = named.feature
        if named.type == example_pb2.SHARED:
            features = [features[0]] * rows
        if named.name == LINE_ID_LIST:
            for feature in features:
                for data in feature.bytes_list.value:
                    stats.add_line_id(line_id_pb2.LineId.FromString(data))
        elif named.name == LABEL_LIST:
            for feature in features:
                stats.label_widths[_example_feature_values(feature)[2]] += 1
        else:
            feature_stats = _tracked(stats.features, named.name)
            if feature_stats is not None:
                for feature in features:
                    _add_example_feature(feature_stats, feature)
    stats.add_data_source_key(batch.data_source_key)


_ADDERS: dict[RecordType, Callable[[RecordStats, Any], None]] = {
    RecordType.EXAMPLE: _add_example,
    RecordType.INSTANCE: _add_instance,
    RecordType.EXAMPLE_BATCH: _add_example_batch,
}


@dataclass
class InputStats:
    """One input tensor name across the warmup requests."""

    requests: int = 0
    dtypes: Counter[str] = field(default_factory=Counter)
    sizes: Counter[int] = field(default_factory=Counter)  # values per request


@dataclass
class WarmupStats:
    """PredictionLogs: who they call, with what, and what the embedded records hold."""

    logs: int = 0
    signatures: Counter[str] = field(default_factory=Counter)
    model_names: Counter[str] = field(default_factory=Counter)
    inputs: dict[str, InputStats] = field(default_factory=dict)
    records_per_request: Counter[int] = field(default_factory=Counter)
    output_filter_logs: int = 0  # logs that carry an output_filter (per-head copies)
    output_filters: Counter[str] = field(default_factory=Counter)
    records: dict[RecordType, RecordStats] = field(default_factory=dict)

    def add(self, log: Any, embedded: Sequence[tuple[RecordType, Message]]) -> None:
        self.logs += 1
        request = log.predict_log.request
        spec = request.model_spec
        _count(self.signatures, spec.signature_name or f"{DEFAULT_SIGNATURE} (empty name)")
        _count(self.model_names, spec.name)
        if request.output_filter:
            self.output_filter_logs += 1
            for name in request.output_filter:
                _count(self.output_filters, name)
        records = 0
        for name, tensor in request.inputs.items():
            stats = self.inputs.get(name)
            if stats is None:
                if len(self.inputs) >= MAX_TRACKED:
                    continue
                stats = self.inputs[name] = InputStats()
            stats.requests += 1
            _count(stats.dtypes, dtype_name(tensor.dtype))
            size = _tensor_size(tensor)
            stats.sizes[size] += 1
            if RecordType.for_input(name) is not None:
                records += size
        self.records_per_request[records] += 1
        for record_type, message in embedded:
            stats_for_type = self.records.get(record_type)
            if stats_for_type is None:
                stats_for_type = self.records[record_type] = RecordStats(record_type)
            stats_for_type.add(message)


def _count(counter: Counter[str], key: str) -> None:
    if key in counter or len(counter) < MAX_TRACKED:
        counter[key] += 1


def _tensor_size(tensor: Any) -> int:
    """Values in a TensorProto: the product of its dims (1 for a scalar)."""
    size = 1
    for dim in tensor.tensor_shape.dim:
        size *= max(dim.size, 0)
    return size


def _embedded_records(log: Any) -> list[tuple[RecordType, Message]]:
    """The records inside a warmup request's string inputs, parsed; BadPayload names the value."""
    found: list[tuple[RecordType, Message]] = []
    for name, tensor in log.predict_log.request.inputs.items():
        values = list(tensor.string_val)
        if not values:
            continue
        record_type = RecordType.for_input(name)
        if record_type is None:
            record_type, _, evidence = detect_record_type(values[:DETECT_WINDOW], VARIANTS)
            if record_type is None or not evidence:
                continue  # a string input that holds no records (e.g. ids)
        for index, value in enumerate(values):
            try:
                found.append((record_type, parse_record(value, record_type)))
            except BadPayload as exc:
                raise BadPayload(f"input {name!r} value {index}: {exc}") from None
    return found


# --------------------------------------------------------------------------- the report


class Shown(NamedTuple):
    """A record kept for display (``show``)."""

    number: int  # records before this one
    offset: int
    message: Message
    data_source_key: int | None


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


# --------------------------------------------------------------------------- reading


class _Item(NamedTuple):
    """One record as framed: its payload, or the framing problem found instead."""

    number: int  # records before this one
    offset: int
    payload: bytes
    data_source_key: int | None
    pb_type: int | None
    problem: Problem | None


class _CountingSource:
    """Counts the bytes read through it; seeking is passed through (a pure pass-through)."""

    def __init__(self, src: BinarySource, name: str) -> None:
        self._src = src
        self.name = name
        self.count = 0

    def read(self, size: int = -1, /) -> bytes:
        data = self._src.read(size)
        self.count += len(data)
        return data

    def seekable(self) -> bool:
        seekable = getattr(self._src, "seekable", None)
        return bool(seekable()) if seekable is not None else False

    def tell(self) -> int:
        return int(self._src.tell())  # type: ignore[attr-defined]

    def fileno(self) -> int:
        """The source's descriptor (readers tell a regular file from a device by it)."""
        return int(self._src.fileno())  # type: ignore[attr-defined]

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Seeks the source; a look ahead that seeks back is not counted twice."""
        before = self.tell()
        position = int(self._src.seek(offset, whence))  # type: ignore[attr-defined]
        self.count += position - before
        return position


def _tfrecord_items(src: BinarySource, label: str) -> Iterator[_Item]:
    """TFRecord frames with their problems, going on past a data CRC mismatch."""
    frames = iter_frames(src, keep_going=True)  # type: ignore[arg-type]
    index = offset = 0
    while True:
        try:
            frame = next(frames)
        except StopIteration:
            return
        except MonogenError as exc:  # framing, length CRC, or the decompressor
            yield _fatal(index, offset, f"{label}: {exc}")
            return
        problem = None
        if not frame.data_ok:
            where = f"{label}: record {index} at offset {frame.offset}"
            problem = Problem(f"{where}: data CRC mismatch", fatal=False)
        yield _Item(index, frame.offset, frame.data, None, None, problem)
        offset = frame.offset + len(frame.data) + FRAME_OVERHEAD
        index += 1


def _fatal(index: int, offset: int, message: str) -> _Item:
    return _Item(index, offset, b"", None, None, Problem(message, fatal=True))


def _datafile_items(src: BinarySource, label: str, header: HeaderOptions) -> Iterator[_Item]:
    """Data-file records as ``datafile.read`` frames them; a framing error ends the stream."""
    index = 0
    records = datafile.read(src, header=header, compression=Compression.NONE)
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except (CorruptRecordError, TruncatedRecordError) as exc:
            yield _Item(index, -1, b"", None, None, Problem(str(exc), fatal=True))
            return
        problem = None
        if not record.payload:
            problem = Problem(
                f"{label}: record {index} at offset {record.offset}: empty payload, which"
                f" usually means the header options do not match the file"
                f" (reading with header {header.describe()})",
                fatal=False,
            )
        yield _Item(
            index, record.offset, record.payload, record.data_source_key, record.pb_type, problem
        )
        index += 1


def _inflate_head(head: bytes, codec: Compression) -> bytes:
    """The first uncompressed bytes of a stream whose first compressed bytes are ``head``."""
    if codec is Compression.NONE:
        return head
    wbits = GZIP_WBITS if codec is Compression.GZIP else ZLIB_WBITS
    try:
        return zlib.decompressobj(wbits=wbits).decompress(head, SNIFF_OUTPUT_LIMIT)
    except zlib.error:
        return b""


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
) -> Report:
    """Read ``fo`` to the end (or to the first bad record) and report on every record.

    ``None`` for ``file_format``, ``header``, ``record_type`` or ``compression``
    means "detect it" (``monogen.io.detect`` for a data file's header layout and
    record type). ``header`` matters for data files only. ``show`` keeps the first that many
    sound records (parsed) in ``Report.shown``. ``progress`` is called with the
    number of input bytes consumed since its last call. ``fo`` is left open.
    Problems with the data are reported, not raised; ``MonogenError`` only for
    options that cannot be used.
    """
    report = Report(label=label or _name_of(fo), keep_going=keep_going)
    chosen = None if record_type is None else RecordType.parse_any(record_type)
    head, src = peek(fo)
    codec = Compression.sniff(head) if compression is None else Compression.parse(compression)
    report.compression = codec
    where = report.label  # error messages add what offsets mean
    if compression is None and codec is Compression.NONE:
        looks_like = Compression.from_magic(head)
        if looks_like is not Compression.NONE:
            where += f" (starts like {looks_like.name} data but does not inflate)"
    if codec is not Compression.NONE:
        where += f" ({codec.name}, offsets uncompressed)"
    plain_head = _inflate_head(head, codec)
    if file_format is not None:
        report.format = FileFormat(file_format)
    elif plain_head:
        tfrecord = looks_like_tfrecord(plain_head)
        report.format = FileFormat.TFRECORD if tfrecord else FileFormat.DATAFILE
    forced = report.format is FileFormat.DATAFILE and file_format is not None
    if forced and looks_like_tfrecord(plain_head):
        report.warnings.append("the file starts like a TFRecord (its length CRC is valid)")
    raw = _CountingSource(src, where)
    if report.format is not None:
        plain = _CountingSource(open_compressed_reader(raw, codec), where)
        items: Iterator[_Item] | None = _tfrecord_items(plain, where)
        if report.format is FileFormat.DATAFILE:
            items, chosen = _detect_datafile(report, plain, header, chosen, where)
        if items is not None:
            _verify(report, items, chosen, where=where, show=show, raw=raw, progress=progress)
        report.data_bytes = plain.count
    report.file_bytes = raw.count
    if not report.records and not report.problems:
        empty = "empty input" if not head else "no records"
        report.add_problem(Problem(f"{where}: {empty}, nothing to verify", fatal=True))
    if report.ok or report.records >= DETECT_WINDOW:
        # Other layouts are worth suggesting only when the given one failed at once: a
        # file that read cleanly for a while and then broke is damaged, not misread.
        report.suggestions = []
    _warmup_warnings(report)
    return report


def _detect_datafile(
    report: Report,
    plain: BinarySource,
    header: HeaderOptions | None,
    chosen: RecordType | None,
    where: str,
) -> tuple[Iterator[_Item] | None, RecordType | None]:
    """Find the data file's reading (``monogen.io.detect``); its records, and the type to check.

    Detection runs even with a given layout: when the given one does not fit, the
    layouts that do are suggested. The records are then read with the given layout,
    so the problems found are the reader's own.
    """
    if chosen is RecordType.PREDICTION_LOG:
        raise SchemaError(
            "a data file holds Instances, Examples or ExampleBatches, not PredictionLogs"
        )
    try:
        detection, plain = detect_stream(plain, record_type=chosen, label=where)
    except DetectionError as exc:
        detection = None
        if header is None and exc.furthest is None:
            report.add_problem(Problem(str(exc), fatal=True))
            return None, chosen
        if header is None and exc.furthest is not None:
            header, chosen = exc.furthest.header, exc.furthest.record_type
            report.detected = bool(exc.furthest.records)
            report.assumed = not exc.furthest.records
            report.warnings.append(
                f"no header layout and record type reads the data cleanly; checked as"
                f" {exc.furthest.describe()}, the reading that got furthest"
            )
    if header is not None:
        fitting = _fitting_with(detection, header) if detection is not None else None
        if detection is not None and fitting is None:
            report.suggestions = [detection.header, *detection.other_headers]
        detection = fitting
    report.detection = detection
    if detection is None:
        report.header = header
    else:
        report.header = detection.header
        chosen = detection.record_type
        report.detected = not detection.type_given
        report.also_parses_as = detection.other_types
    assert report.header is not None
    return _datafile_items(plain, where, report.header), chosen


def _fitting_with(detection: Detection, header: HeaderOptions) -> Detection | None:
    """``detection`` narrowed to the readings with the given ``header``, if any fits."""
    readings = [
        Reading(detection.header, detection.record_type, detection.records, 0, 0),
        *detection.others,
    ]
    matching = [r for r in readings if r.header == header]
    if not matching:
        return None
    return dataclasses.replace(
        detection,
        header=header,
        record_type=matching[0].record_type,
        header_given=True,
        records=matching[0].records,
        others=tuple(matching[1:]),
    )


def _name_of(fo: object) -> str:
    name = getattr(fo, "name", None)
    return name if isinstance(name, str) else "input"


def _verify(
    report: Report,
    items: Iterator[_Item],
    chosen: RecordType | None,
    *,
    where: str,
    show: int,
    raw: _CountingSource,
    progress: Callable[[int], object] | None,
) -> None:
    """Decide the record type on the first records, then check every record."""
    assert report.format is not None
    window: list[_Item] = []
    for item in items:
        window.append(item)
        if _is_fatal(item) or len(window) >= DETECT_WINDOW:
            break
    record_type = chosen
    if record_type is None:
        candidates = _CANDIDATES[report.format]
        record_type, others, evidence = detect_record_type(
            (i.payload for i in window if i.problem is None), candidates
        )
        report.detected, report.also_parses_as = evidence > 0, others
        report.assumed = record_type is not None and not evidence
        if record_type is None:
            first = next(i for i in window if i.problem is None and i.payload)
            titles = ", ".join(t.record_name for t in candidates)
            hint = (
                ""
                if report.header is None
                else f" (reading with header {report.header.describe()})"
            )
            message = f"{where}: record {first.number} at offset {first.offset}: parses as none of"
            report.add_problem(Problem(f"{message} {titles}{hint}", fatal=True))
            report.records = sum(1 for i in window if not _is_fatal(i))
            return
    report.record_type = record_type
    report.stats = (
        WarmupStats() if record_type is RecordType.PREDICTION_LOG else RecordStats(record_type)
    )
    consumed = 0
    for item in _chain(window, items):
        going_on = _check_item(report, item, record_type, where=where, show=show)
        if progress is not None and raw.count > consumed:
            progress(raw.count - consumed)
            consumed = raw.count
        if not going_on:
            break


def _is_fatal(item: _Item) -> bool:
    return item.problem is not None and item.problem.fatal


def _chain(first: list[_Item], rest: Iterator[_Item]) -> Iterator[_Item]:
    yield from first
    if not first or not _is_fatal(first[-1]):
        yield from rest


def _check_item(
    report: Report, item: _Item, record_type: RecordType, *, where: str, show: int
) -> bool:
    """Verify one record into ``report``; False when reading should stop."""
    problem = item.problem
    if not _is_fatal(item):
        report.records += 1
    if problem is None:
        try:
            message = parse_record(item.payload, record_type)
            embedded = (
                _embedded_records(message) if record_type is RecordType.PREDICTION_LOG else []
            )
        except BadPayload as exc:
            at = f"{where}: record {item.number} at offset {item.offset}"
            problem = Problem(f"{at}: {exc}", fatal=False)
        else:
            _count_record(report, item, message, embedded, show)
            return True
    report.add_problem(problem)
    return not problem.fatal and report.keep_going and not report.ended_by_run


def _count_record(
    report: Report,
    item: _Item,
    message: Message,
    embedded: Sequence[tuple[RecordType, Message]],
    show: int,
) -> None:
    report.sound += 1
    report.bad_run = 0
    stats = report.stats
    if isinstance(stats, WarmupStats):
        stats.add(message, embedded)
    elif stats is not None:
        stats.add(message)
    if item.data_source_key is not None:
        report.header_keys[item.data_source_key] += 1
    if item.pb_type is not None:
        report.pb_types[item.pb_type] += 1
    if len(report.shown) < show:
        report.shown.append(Shown(item.number, item.offset, message, item.data_source_key))


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


def header_flags(options: HeaderOptions) -> str:
    """The ``monogen inspect`` / ``monogen datafile`` flags that select ``options``."""
    if options.lagrangex:
        return "--lagrangex"
    if not options.sort_id:
        return "--no-sort-id"
    if options.kafka_dump:
        return "--kafka-dump"
    if options.kafka_dump_prefix:
        return "--kafka-dump-prefix"
    return "--sort-id"
