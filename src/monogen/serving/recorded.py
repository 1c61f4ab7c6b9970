"""Warmup files from recorded requests: real traffic replayed when a model loads.

Recorded requests come in three shapes, told apart by reading them:

* a directory whose every file is one serialized ``PredictRequest`` (what
  Monolith's ``warmup_example_batch.py`` reads); files are taken in name order,
  hidden files and subdirectories are skipped;
* a single file holding one serialized ``PredictRequest``;
* a TFRecord file (its first header's CRC says so) of ``PredictRequest``\\ s or of
  ``PredictionLog``\\ s (a previous warmup file, or logged traffic); every record
  must be of the kind the first one is.

A record is a ``PredictionLog`` when it parses as one with a ``predict_log`` and no
field PredictionLog does not declare; it is a ``PredictRequest`` when it parses as
one whose every input tensor has a dtype, with no fields beyond those TF Serving's
PredictRequest declares. Anything else is refused, naming the file (and record).

Each request becomes ``PredictionLog { predict_log { request } }``. The model
spec is kept unless a model name or signatures are given; then every request is
rewritten (signatures round-robin). As for generated warmup files, each
``serving_default`` request without an ``output_filter`` is followed by one copy
per output head, TF Serving's 1000-record limit is enforced (copies count), and
with a SavedModel every log is held to replay's TF Serving checks before it is
written. The writer streams: one request in memory at a time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, NamedTuple, TypeVar

from google.protobuf.message import DecodeError, Message

from monogen.errors import WarmupError
from monogen.io.detect import unknown_fields
from monogen.io.tfrecord import HEADER_SIZE, TFRecordWriter, iter_frames, looks_like_tfrecord
from monogen.proto import predict_pb2, prediction_log_pb2, types_pb2
from monogen.serving.replay import Failure, check_request
from monogen.serving.savedmodel import DEFAULT_SIGNATURE, ModelSignatures
from monogen.serving.warmup import MAX_WARMUP_LOGS, WarmupSummary, default_heads

__all__ = [
    "PREDICTION_LOG",
    "PREDICT_REQUEST",
    "RecordedRequest",
    "RecordedRequests",
    "read_requests",
    "write_recorded_warmup",
]

PREDICT_REQUEST = "PredictRequest"
PREDICTION_LOG = "PredictionLog"
# PredictRequest fields TF Serving declares beyond monogen's subset (model_spec,
# inputs, output_filter): predict_streamed_options, client_id, request_options.
_REQUEST_FIELDS_BEYOND_SUBSET = frozenset({5, 6, 7})
NEITHER_FILE = (
    "neither a serialized PredictRequest nor a TFRecord of PredictRequests or PredictionLogs"
)
NEITHER_RECORD = "neither a PredictRequest nor a PredictionLog with a predict request"

Progress = Callable[[int], None]


class RecordedRequest(NamedTuple):
    """One recorded request and where it came from (a file, or a file and record index)."""

    where: str
    kind: str  # PREDICT_REQUEST or PREDICTION_LOG
    request: predict_pb2.PredictRequest


M = TypeVar("M", bound=Message)


def _parsed(message_class: type[M], data: bytes) -> M | None:
    try:
        return message_class.FromString(data)
    except DecodeError:
        return None


def classify(data: bytes) -> tuple[str, predict_pb2.PredictRequest] | None:
    """What ``data`` holds: a PredictionLog's request or a PredictRequest; None if neither."""
    if not data:
        return None
    log = _parsed(prediction_log_pb2.PredictionLog, data)
    if log is not None and log.HasField("predict_log") and not unknown_fields(log):
        return PREDICTION_LOG, log.predict_log.request
    request = _parsed(predict_pb2.PredictRequest, data)
    if request is None or not unknown_fields(request) <= _REQUEST_FIELDS_BEYOND_SUBSET:
        return None
    if any(t.dtype == types_pb2.DT_INVALID for t in request.inputs.values()):
        return None
    return PREDICT_REQUEST, request


class RecordedRequests:
    """The requests under ``path``, read lazily; ``kind`` is known once one is read."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.kind: str | None = None

    def __iter__(self) -> Iterator[RecordedRequest]:
        source = self._directory() if self.path.is_dir() else self._file()
        for recorded in source:
            self.kind = self.kind or recorded.kind
            yield recorded

    def _directory(self) -> Iterator[RecordedRequest]:
        files = sorted(p for p in self.path.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise WarmupError(f"{self.path}: no request files in the directory")
        for file in files:
            found = classify(_read(file))
            if found is None:
                raise WarmupError(f"{file}: {NEITHER_RECORD}")
            yield RecordedRequest(str(file), *found)

    def _file(self) -> Iterator[RecordedRequest]:
        try:
            with self.path.open("rb") as fo:
                head = fo.read(HEADER_SIZE)
                fo.seek(0)
                if looks_like_tfrecord(head):
                    yield from self._records(fo)
                    return
        except OSError as exc:
            raise WarmupError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        found = classify(_read(self.path))
        if found is None:
            raise WarmupError(f"{self.path}: {NEITHER_FILE}")
        yield RecordedRequest(str(self.path), *found)

    def _records(self, fo: BinaryIO) -> Iterator[RecordedRequest]:
        first: str | None = None
        for index, frame in enumerate(iter_frames(fo)):
            found = classify(frame.data)
            if found is None:
                raise WarmupError(f"{self.path}: record {index} is {NEITHER_RECORD}")
            kind, request = found
            if first is not None and kind != first:
                raise WarmupError(
                    f"{self.path}: record {index} is a {kind}, but record 0 is a {first}"
                )
            first = kind
            yield RecordedRequest(f"{self.path}: record {index}", kind, request)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise WarmupError(f"cannot read {path}: {exc.strerror or exc}") from exc


def read_requests(path: str | os.PathLike[str]) -> RecordedRequests:
    """The recorded requests at ``path`` (a directory, a request file or a TFRecord)."""
    return RecordedRequests(path)


def write_recorded_warmup(
    fo: BinaryIO,
    requests: Iterable[RecordedRequest],
    *,
    model: ModelSignatures | None = None,
    model_name: str | None = None,
    signatures: Sequence[str] = (),
    output_heads: Iterable[str] = (),
    progress: Progress | None = None,
) -> WarmupSummary:
    """Write ``requests`` to ``fo`` as an uncompressed warmup TFRecord file.

    ``model_name`` / ``signatures`` (round-robin) rewrite every model spec when
    given. ``output_heads`` (default: the model's default-signature heads) adds the
    ``output_filter`` copies. Raises ``WarmupError`` for a log TF Serving would
    refuse (checked against ``model`` when given) or when the file would exceed its
    1000-record limit; the caller's atomic output then leaves no file.
    """
    heads = default_heads(model, output_heads)
    cycle = [name.strip() for name in signatures if name.strip()]
    requests_written = logs = records = 0
    used: dict[str, None] = {}
    with TFRecordWriter(fo) as writer:
        for index, recorded in enumerate(requests):
            log = prediction_log_pb2.PredictionLog()
            request = log.predict_log.request
            request.CopyFrom(recorded.request)
            if model_name is not None:
                request.model_spec.name = model_name
            if cycle:
                request.model_spec.signature_name = cycle[index % len(cycle)]
            signature = request.model_spec.signature_name or DEFAULT_SIGNATURE
            filtered = bool(request.output_filter)
            copies = heads if signature == DEFAULT_SIGNATURE and not filtered else ()
            for head in (None, *copies):
                if head is not None:
                    del request.output_filter[:]
                    request.output_filter.append(head)
                logs += 1
                _check_limit(logs, bool(heads))
                data = log.SerializeToString()
                if model is not None:
                    verdict = check_request(data, logs - 1, model)
                    if isinstance(verdict, Failure):
                        raise WarmupError(f"{recorded.where}: {verdict.reason}")
                writer.write(data)
                if progress is not None:
                    progress(1)
            requests_written += 1
            records += sum(len(t.string_val) for t in recorded.request.inputs.values())
            used.setdefault(signature)
        written = writer.bytes_written
    return WarmupSummary(None, requests_written, logs, records, tuple(used), written)


def _check_limit(logs: int, with_copies: bool) -> None:
    if logs <= MAX_WARMUP_LOGS:
        return
    copies = " (with output-head copies)" if with_copies else ""
    raise WarmupError(
        f"the warmup file would hold more than {MAX_WARMUP_LOGS} PredictionLogs{copies}, "
        "over TF Serving's limit; record fewer requests"
    )
