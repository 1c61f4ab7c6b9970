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
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, BinaryIO

from google.protobuf import json_format, text_format
from google.protobuf.message import Message

from monogen.gen.generator import RecordGenerator
from monogen.io import datafile, tfrecord

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


def _write_json(fo: BinaryIO, records: Iterable[Message]) -> int:
    count = 0
    for message in records:
        data = json_format.MessageToDict(message, preserving_proto_field_name=True)
        fo.write(json.dumps(data, separators=(",", ":")).encode() + b"\n")
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
