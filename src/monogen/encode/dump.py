"""Writing generated records for people and pipes: text, JSON lines, or framed binary.

``monogen example|instance|batch`` print records; the format decides how:

- ``text``: protobuf text format, each record after a ``# record N`` comment line
  (comments are legal text format, so a record can be cut out and parsed back);
- ``json``: one JSON object per line in the one JSON encoding of records
  (``record_json``, below);
- ``binary``: per record ``uint64 length (LE)`` then the serialized bytes — the
  Monolith data-file framing with no header (``monogen inspect --format datafile
  --no-sort-id`` reads it back);
- ``tfrecord``: TFRecord framing with CRCs, for ``tf.data.TFRecordDataset``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from enum import Enum
from typing import TYPE_CHECKING, Any, BinaryIO

from google.protobuf import json_format, text_format
from google.protobuf.message import Message

from monogen.io import datafile, tfrecord

if TYPE_CHECKING:
    from monogen.gen.generator import RecordGenerator

NO_HEADER = datafile.HeaderOptions(sort_id=False)


class OutputFormat(str, Enum):
    TEXT = "text"
    JSON = "json"
    BINARY = "binary"
    TFRECORD = "tfrecord"

    @property
    def is_binary(self) -> bool:
        """Framed bytes, not text: never written to a terminal."""
        return self in (OutputFormat.BINARY, OutputFormat.TFRECORD)


def _write_text(fo: BinaryIO, records: Iterable[Message]) -> int:
    count = 0
    for count, message in enumerate(records, start=1):
        fo.write(f"# record {count}\n".encode())
        fo.write(text_format.MessageToString(message).encode())
    return count


# The one JSON encoding of records, wherever monogen prints a record as JSON
# (`-f json`, and `inspect`'s JSON output): protobuf's canonical JSON mapping with
# the .proto field names. Every 64-bit integer (int64, uint64, fixed64: fids,
# LineId uid and item_id, req_time, int64 features) is a decimal string, always,
# because JSON readers such as jq and JavaScript hold numbers as doubles and would
# round fids above 2**53; 32-bit integers and floats are numbers, bytes are base64.
# json_format.ParseDict reads it back into the same message.
JSON_SEPARATORS = (",", ":")


def record_dict(message: Message) -> dict[str, Any]:
    """A record as a JSON-ready dict, in the one JSON encoding of records."""
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def record_json(message: Message) -> str:
    """A record as one line of JSON (no newline), in the one JSON encoding of records."""
    return json.dumps(record_dict(message), separators=JSON_SEPARATORS)


def _write_json(fo: BinaryIO, records: Iterable[Message]) -> int:
    count = 0
    for message in records:
        fo.write(record_json(message).encode() + b"\n")
        count += 1
    return count


def _write_binary(fo: BinaryIO, records: Iterable[bytes]) -> int:
    return datafile.write(fo, records, header=NO_HEADER)


# Formats for people read protobuf messages; framed formats take the encoder's bytes.
_MESSAGE_WRITERS: dict[OutputFormat, Callable[[BinaryIO, Iterable[Message]], int]] = {
    OutputFormat.TEXT: _write_text,
    OutputFormat.JSON: _write_json,
}
_BYTE_WRITERS: dict[OutputFormat, Callable[[BinaryIO, Iterable[bytes]], int]] = {
    OutputFormat.BINARY: _write_binary,
    OutputFormat.TFRECORD: tfrecord.write_records,
}
Wrap = Callable[[Iterable[Any]], Iterable[Any]]


def write_records(
    fo: BinaryIO,
    generator: RecordGenerator,
    count: int,
    *,
    fmt: OutputFormat | str,
    wrap: Wrap = lambda records: records,
) -> int:
    """Write ``count`` generated records to ``fo`` in ``fmt``; return how many.

    ``wrap`` sees the stream of records on its way out (e.g. a progress bar). Every
    format holds the same records for the same seed: text and JSON render the
    generator's messages, binary and TFRecord frame its serialized bytes.
    """
    fmt = OutputFormat(fmt)
    if fmt in _MESSAGE_WRITERS:
        return _MESSAGE_WRITERS[fmt](fo, wrap(generator.records(count)))
    return _BYTE_WRITERS[fmt](fo, wrap(generator.serialized_records(count)))
