"""Writing generated records for people and pipes: text, JSON lines, or framed binary.

``monogen example|instance|batch`` print records; the format decides how:

- ``text``: protobuf text format, each record after a ``# record N`` comment line
  (comments are legal text format, so a record can be cut out and parsed back);
- ``json``: one JSON object per line (protobuf's JSON mapping: 64-bit integers
  are strings; field names as in the .proto files);
- ``binary``: per record ``uint64 length (LE)`` then the serialized bytes — the
  Monolith data-file framing with no header (``monogen inspect --format datafile
  --no-sort-id`` reads it back);
- ``tfrecord``: TFRecord framing with CRCs, for ``tf.data.TFRecordDataset``.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Iterable
from enum import Enum
from typing import BinaryIO

from google.protobuf import json_format, text_format
from google.protobuf.message import Message

from monogen import tfrecord

_LENGTH = struct.Struct("<Q")


class OutputFormat(str, Enum):
    TEXT = "text"
    JSON = "json"
    BINARY = "binary"
    TFRECORD = "tfrecord"


def _write_text(fo: BinaryIO, records: Iterable[Message]) -> int:
    count = 0
    for count, message in enumerate(records, start=1):
        fo.write(f"# record {count}\n".encode())
        fo.write(text_format.MessageToString(message).encode())
    return count


def _write_json(fo: BinaryIO, records: Iterable[Message]) -> int:
    count = 0
    for message in records:
        data = json_format.MessageToDict(message, preserving_proto_field_name=True)
        fo.write(json.dumps(data, separators=(",", ":")).encode() + b"\n")
        count += 1
    return count


def _write_binary(fo: BinaryIO, records: Iterable[Message]) -> int:
    count = 0
    for message in records:
        payload = message.SerializeToString()
        fo.write(_LENGTH.pack(len(payload)) + payload)
        count += 1
    return count


def _write_tfrecord(fo: BinaryIO, records: Iterable[Message]) -> int:
    return tfrecord.write_records(fo, (m.SerializeToString() for m in records))


_WRITERS: dict[OutputFormat, Callable[[BinaryIO, Iterable[Message]], int]] = {
    OutputFormat.TEXT: _write_text,
    OutputFormat.JSON: _write_json,
    OutputFormat.BINARY: _write_binary,
    OutputFormat.TFRECORD: _write_tfrecord,
}


def write_messages(fo: BinaryIO, records: Iterable[Message], *, fmt: OutputFormat | str) -> int:
    """Write ``records`` to ``fo`` in ``fmt``; return how many were written."""
    return _WRITERS[OutputFormat(fmt)](fo, records)
