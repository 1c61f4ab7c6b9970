"""What a file is, where the caller did not say: compression, container, record type, header.

* compression: ``monogen.io.compression.detect_compression`` (magic bytes and a
  trial decode, the first snappy block's structure, a ``.snappy`` name);
* container: a TFRecord when the first 12 uncompressed bytes carry a valid length
  CRC (a false match has odds of 1 in 2**32), else a Monolith data file;
* a TFRecord's record type: the first of ``TFRECORD_CANDIDATES`` that its first
  records validate as (``validate.detect_record_type``); PredictionLogs with a
  predict_log make a warmup file;
* a data file's header layout and record type: ``monogen.io.detect``. It runs even
  when the layout is given: if the given one does not fit, the layouts that do are
  suggested, and the records are still read with the given one so that the
  problems reported are the reader's own.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import NamedTuple

from monogen.errors import SchemaError
from monogen.formats import RecordType
from monogen.io.compression import SNIFF_SIZE, Compression, detect_compression
from monogen.io.datafile import HeaderOptions
from monogen.io.detect import Detection, DetectionError, Reading, detect_stream
from monogen.io.streams import BinarySource, peek
from monogen.io.tfrecord import looks_like_tfrecord

__all__ = [
    "TFRECORD_CANDIDATES",
    "Compressed",
    "Container",
    "DataFileReading",
    "FileFormat",
    "detect_compression_of",
    "detect_container",
    "detect_datafile",
]


class FileFormat(str, enum.Enum):
    """The container: checksummed TFRecord frames, or Monolith's header + length framing."""

    TFRECORD = "tfrecord"
    DATAFILE = "datafile"

    @property
    def display(self) -> str:
        return {FileFormat.TFRECORD: "TFRecord", FileFormat.DATAFILE: "Monolith data file"}[self]


# Record types a TFRecord is tried as, in order of preference when several parse
# cleanly: most often a warmup file, else records in Monolith's Example family.
TFRECORD_CANDIDATES = (
    RecordType.PREDICTION_LOG,
    RecordType.EXAMPLE,
    RecordType.INSTANCE,
    RecordType.EXAMPLE_BATCH,
)


class Compressed(NamedTuple):
    """A stream's compression, as given or detected, and the stream to read from now on."""

    compression: Compression
    stream: BinarySource  # still yields every byte of the input
    head: bytes  # the first bytes as stored (empty: an empty input)
    where: str  # the label, plus what offsets in messages mean


def detect_compression_of(
    fo: BinarySource, *, label: str, compression: Compression | str | None
) -> Compressed:
    """The compression of ``fo`` (``compression`` None: detect it)."""
    where = label
    if compression is None:
        detected = detect_compression(fo)
        codec, stream, head = detected.compression, detected.stream, detected.head
        if detected.looks_like is not Compression.NONE:
            where += f" (starts like {detected.looks_like.name} data but does not decompress)"
    else:
        codec = Compression.parse(compression)
        head, stream = peek(fo, SNIFF_SIZE)
    if codec is not Compression.NONE:
        where += f" ({codec.name}, offsets uncompressed)"
    return Compressed(codec, stream, head, where)


class Container(NamedTuple):
    """The container of a stream, as given or detected from its first uncompressed bytes."""

    format: FileFormat | None  # None: an empty stream, nothing to tell from
    warnings: tuple[str, ...]


def detect_container(plain_head: bytes, *, file_format: FileFormat | str | None) -> Container:
    """The container of a stream whose first uncompressed bytes are ``plain_head``."""
    tfrecord = looks_like_tfrecord(plain_head)
    warnings: tuple[str, ...] = ()
    found: FileFormat | None = None
    if file_format is not None:
        found = FileFormat(file_format)
        if found is FileFormat.DATAFILE and tfrecord:
            warnings = ("the file starts like a TFRecord (its length CRC is valid)",)
    elif plain_head:
        found = FileFormat.TFRECORD if tfrecord else FileFormat.DATAFILE
    return Container(found, warnings)


@dataclasses.dataclass
class DataFileReading:
    """How to read a data file, and what the summary should say about how it was found.

    ``header`` is None only with ``problem`` set: nothing can be read then.
    ``record_type`` None: decide it on the first records (``validate``).
    """

    stream: BinarySource
    header: HeaderOptions | None = None
    record_type: RecordType | None = None
    detection: Detection | None = None
    detected: bool = False
    assumed: bool = False
    also_parses_as: tuple[RecordType, ...] = ()
    suggestions: tuple[HeaderOptions, ...] = ()
    warning: str | None = None
    problem: str | None = None


def detect_datafile(
    plain: BinarySource,
    *,
    header: HeaderOptions | None,
    record_type: RecordType | None,
    where: str,
) -> DataFileReading:
    """The reading of the uncompressed data file ``plain`` (``header`` / ``record_type``
    None: detect them); read the records from the returned ``stream`` only.
    """
    if record_type is RecordType.PREDICTION_LOG:
        raise SchemaError(
            "a data file holds Instances, Examples or ExampleBatches, not PredictionLogs"
        )
    try:
        detection, plain = detect_stream(plain, record_type=record_type, label=where)
    except DetectionError as exc:
        return _closest(exc.stream or plain, exc, header, record_type)
    if header is None:
        return _detected(plain, detection)
    fitting = _fitting_with(detection, header)
    if fitting is not None:
        return _detected(plain, fitting)
    suggestions = (detection.header, *detection.other_headers)
    return DataFileReading(plain, header, record_type, suggestions=suggestions)


def _detected(plain: BinarySource, detection: Detection) -> DataFileReading:
    return DataFileReading(
        plain,
        detection.header,
        detection.record_type,
        detection,
        detected=not detection.type_given,
        also_parses_as=detection.other_types,
    )


def _closest(
    plain: BinarySource,
    exc: DetectionError,
    header: HeaderOptions | None,
    record_type: RecordType | None,
) -> DataFileReading:
    """No reading fits: the given layout, else the reading that got furthest, is checked."""
    if header is not None:
        return DataFileReading(plain, header, record_type)
    furthest = exc.furthest
    if furthest is None:
        return DataFileReading(plain, problem=str(exc))
    return DataFileReading(
        plain,
        furthest.header,
        furthest.record_type,
        detected=bool(furthest.records),
        assumed=not furthest.records,
        warning=(
            f"no header layout and record type reads the data cleanly; checked as"
            f" {furthest.describe()}, the reading that got furthest"
        ),
    )


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
