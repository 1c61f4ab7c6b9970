"""Is each record sound: payload validation for ``monogen inspect``.

What "sound" means for a payload, beyond its framing:

* it parses as the record type *and* the parsed message has no unknown field at
  its top level (``monogen.io.detect.parse_clean``): protobuf parsing is lenient,
  so another type's bytes usually parse, their fields landing in the unknown-field
  set; an unknown top-level field is what gives away the wrong record type (or the
  wrong header layout). Unknown fields deeper down are accepted, because real
  deployments extend LineId with their own fields;
* per type: a PredictionLog carries a predict_log (the kind warmup files use)
  whose string inputs parse as records too (``embedded_records``); every feature
  list of an ExampleBatch has batch_size rows (one when SHARED), since Monolith's
  readers index them by row.

The record type of a TFRecord, or of a warmup input that names none, is the one
the first payloads validate as (``detect_record_type``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from google.protobuf import message_factory
from google.protobuf.message import DecodeError, Message

from monogen.formats import LINE_ID_LIST, VARIANTS, RecordType
from monogen.io.detect import BadPayload, clean_parser
from monogen.proto import example_pb2, line_id_pb2

__all__ = [
    "DETECT_WINDOW",
    "BadPayload",
    "Embedded",
    "TypeDetection",
    "detect_record_type",
    "embedded_records",
    "parse_record",
    "parses_as",
    "record_parser",
    "without_records",
]

# How many leading records decide the record type, and are tried with other header
# options when reading a data file fails.
DETECT_WINDOW = 16


# Looked up once: the property imports and builds its table on every call.
_MESSAGE_CLASSES = {record_type: record_type.message_class for record_type in RecordType}


def parse_record(payload: bytes, record_type: RecordType) -> Message:
    """``payload`` parsed as ``record_type``, or ``BadPayload`` (see the module docstring)."""
    return record_parser(record_type)(payload)


@functools.cache
def record_parser(record_type: RecordType) -> Callable[[bytes], Message]:
    """``parse_record`` for one record type, as one call per payload (a file's checking loop)."""
    parse = clean_parser(_MESSAGE_CLASSES[record_type])
    check = _CHECKS.get(record_type)
    if check is None:
        return parse

    def parse_checked(payload: bytes) -> Message:
        message = parse(payload)
        check(message)
        return message

    return parse_checked


def parses_as(payload: bytes, record_type: RecordType) -> bool:
    try:
        parse_record(payload, record_type)
    except BadPayload:
        return False
    return True


def _check_prediction_log(log: Any) -> None:
    if log.WhichOneof("log_type") != "predict_log":
        raise BadPayload("PredictionLog without a predict_log")


def _check_example_batch(batch: Any) -> None:
    size = batch.batch_size
    for named in batch.named_feature_list:
        rows = len(named.feature)
        if rows != size or not rows:  # the common case (as many rows as the batch) asks no more
            _check_rows(named, rows, size)
        if named.name == LINE_ID_LIST:
            _check_line_ids(named)


def _check_rows(named: Any, rows: int, size: int) -> None:
    """A feature list has a row per row of the batch, or (SHARED) one for all of them."""
    if named.type == example_pb2.SHARED:
        if rows < 1:
            raise BadPayload(f"SHARED feature list {named.name!r} has no feature")
    elif rows != size:
        raise BadPayload(f"feature list {named.name!r} has {rows} rows, batch_size is {size}")


def _check_line_ids(named: Any) -> None:
    """Every serialized LineId of an ExampleBatch's ``__LINE_ID__`` list parses; ``BadPayload``
    names the first row that does not.

    The list is parsed again in one call as ``_line_id_rows``, which reads its rows'
    bytes as LineIds, and row by row only to find the row when that fails.
    """
    try:
        _line_id_rows().FromString(named.SerializeToString())
    except DecodeError:
        pass
    else:
        return
    for row, feature in enumerate(named.feature):
        for data in feature.bytes_list.value:
            try:
                line_id_pb2.LineId.FromString(data)
            except DecodeError:
                raise BadPayload(f"row {row} of {LINE_ID_LIST} does not parse as LineId") from None


@functools.cache
def _line_id_rows() -> type[Message]:
    """A NamedFeatureList seen through LineId: its features' ``bytes_list.value`` entries
    declared as LineId messages (the wire is the same for bytes and a message), every
    other field left unknown. Registered next to LineId, under monogen's own names.
    """
    from google.protobuf import descriptor_pb2  # only ExampleBatch files need it

    line_id = line_id_pb2.LineId.DESCRIPTOR
    package = line_id.file.package
    proto = descriptor_pb2.FileDescriptorProto(
        name="monogen/inspect/line_id_rows.proto", package=package, dependency=[line_id.file.name]
    )
    field = descriptor_pb2.FieldDescriptorProto
    repeated, optional = field.LABEL_REPEATED, field.LABEL_OPTIONAL
    # Each message: the field it stands for (its number), how many, and its type:
    # rows -> feature -> bytes_list -> value.
    layout = (
        ("MonogenLineIdRows", example_pb2.NamedFeatureList, "feature", repeated, "Feature"),
        ("MonogenLineIdFeature", example_pb2.Feature, "bytes_list", optional, "Bytes"),
        ("MonogenLineIdBytes", example_pb2.BytesList, "value", repeated, None),
    )
    for name, original, field_name, label, inner in layout:
        type_name = line_id.full_name if inner is None else f"{package}.MonogenLineId{inner}"
        proto.message_type.add(name=name).field.add(
            name=field_name,
            number=original.DESCRIPTOR.fields_by_name[field_name].number,
            label=label,
            type=field.TYPE_MESSAGE,
            type_name=f".{type_name}",
        )
    pool = line_id.file.pool
    pool.Add(proto)
    found = pool.FindMessageTypeByName(f"{package}.{layout[0][0]}")
    return message_factory.GetMessageClass(found)  # type: ignore[arg-type]


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


class Embedded(NamedTuple):
    """One record inside a warmup request: the input that carries it, its type, the record."""

    input: str
    record_type: RecordType
    message: Message


def embedded_records(log: Any) -> list[Embedded]:
    """The records inside a warmup request's string inputs, parsed; BadPayload names the value."""
    found: list[Embedded] = []
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
                found.append(Embedded(name, record_type, parse_record(value, record_type)))
            except BadPayload as exc:
                raise BadPayload(f"input {name!r} value {index}: {exc}") from None
    return found


def without_records(log: Message, embedded: Sequence[Embedded]) -> Message:
    """A copy of ``log`` without the serialized records of the inputs ``embedded`` decodes,
    for showing them decoded beside it (``log`` itself when there are none)."""
    if not embedded:
        return log
    copy = type(log)()
    copy.CopyFrom(log)
    inputs = copy.predict_log.request.inputs  # type: ignore[attr-defined]
    for name in {e.input for e in embedded}:
        del inputs[name].string_val[:]
    return copy
