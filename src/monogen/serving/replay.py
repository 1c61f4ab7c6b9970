"""Replay a warmup file against a SavedModel, as TensorFlow Serving does when it loads it.

TF Serving runs ``assets.extra/tf_serving_warmup_requests`` at load time and fails the
whole model load on the first record it cannot use. Finding that out in production
is expensive, so this module does the same work beforehand, in two stages:

* **checks** (``check_request``, ``WarmupCheck``), no TensorFlow needed: the model's
  signatures come from ``monogen.serving.savedmodel``, the records from ``monogen.io.tfrecord``,
  and each record is held to what TF Serving's loader and ``predict_util`` enforce —
  intact TFRecord framing, at most 1000 records, a parseable ``PredictionLog``
  carrying a ``predict_log``, a known signature (empty means ``serving_default``),
  input keys equal to the signature's inputs, an ``output_filter`` naming only the
  signature's outputs and none twice — plus what running the signature would
  enforce: each input's dtype and rank (and known dimensions) as the signature
  declares them;
* **running** (``ModelRunner``, needs TensorFlow): each request that passed is fed
  through ``loaded.signatures[name]``, its tensors decoded by TensorFlow's own
  ``TensorProto`` and ``tf.make_ndarray``, and the outputs its ``output_filter``
  selects (all of them without one) are fetched. Latency is the signature call plus
  fetching those outputs, the part TF Serving's ``Session::Run`` covers.

Unlike TF Serving, replay does not stop at the first failure: every record up to
the limit is checked and run, so one pass lists everything to fix. Records past the
limit are counted but neither checked nor run (TF Serving fails the load after
running record 1000, counting from 0).

TF Serving facts relied on (saved_model_warmup_util.cc, saved_model_warmup.cc,
predict_util.cc): a record that does not parse, a CRC or framing error, or a
1001st record fails the load; ``session_run_log`` records are refused; a record
with no request at all is skipped silently (replay flags it: it warms nothing up);
classify, regress and multi-inference logs are run by TF Serving but not checked
here, so replay reports them rather than vouch for them.

A distributed export base (``<base>/entry/<ts>``, ``<base>/ps_<i>/<ts>``, see
``monogen.serving.export_demo``) resolves to its entry: the servable that takes the
requests. The ps servables take uint64 fids and carry no warmup file.
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO

from google.protobuf import unknown_fields
from google.protobuf.message import DecodeError  # type: ignore[import-untyped, unused-ignore]

from monogen.errors import (
    CorruptRecordError,
    SavedModelError,
    TensorFlowMissingError,
    TruncatedRecordError,
    WarmupError,
)
from monogen.formats import DEFAULT_SIGNATURE, ENTRY_SERVABLE, MAX_WARMUP_LOGS, dtype_name
from monogen.io.compression import Compression
from monogen.io.tfrecord import HEADER_SIZE, iter_frames, looks_like_tfrecord
from monogen.proto import prediction_log_pb2, tensor_pb2
from monogen.serving.savedmodel import (
    SERVE_TAG,
    ModelSignatures,
    Signature,
    TensorSpec,
    read_signatures,
    resolve_model_dir,
)
from monogen.serving.tensorflow_import import INSTALL_HINT
from monogen.serving.tensorflow_import import require_tensorflow as _import_tensorflow
from monogen.serving.warmup import ASSETS_EXTRA, WARMUP_FILENAME

__all__ = [
    "ENTRY_DIR",
    "MAX_WARMUP_LOGS",
    "Answer",
    "Failure",
    "ModelRunner",
    "ReplayReport",
    "WarmupCheck",
    "WarmupRequest",
    "check_request",
    "default_warmup_file",
    "error_line",
    "locate_model",
    "percentile",
    "replay",
    "require_tensorflow",
]

# The distributed export's entry servable: the one that takes the requests.
ENTRY_DIR = ENTRY_SERVABLE
# PredictionLog's other log_type fields (tensorflow_serving/apis/prediction_log.proto).
# monogen's PredictionLog declares only predict_log (6), so these arrive as unknown fields.
LOG_TYPE_FIELDS: Mapping[int, str] = {
    2: "classify_log",
    3: "regress_log",
    4: "multi_inference_log",
    5: "session_run_log",
    7: "predict_streamed_log",
}
# Run by TF Serving's warmup, but not by replay.
UNCHECKED_LOG_TYPES = frozenset({"classify_log", "regress_log", "multi_inference_log"})
# Refused by TF Serving's warmup (errors::Unimplemented).
REFUSED_LOG_TYPES = frozenset({"session_run_log"})
# Kept short in tables: a TensorFlow error's first meaningful line, at most this long.
MAX_REASON_CHARS = 300
# Lines of a TensorFlow error message that say where, not what.
_NOISE_PREFIXES = ("Graph execution error", "Detected at node", "<stack traces", "[[", "{{")
PERCENT = 100.0


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class WarmupRequest:
    """A record that passed the checks: what to feed which signature, and what to fetch.

    ``index`` counts records in the file from 0; ``signature`` is resolved (never
    empty); ``inputs`` are monogen's ``TensorProto`` messages as the file holds them.
    """

    index: int
    signature: str
    inputs: dict[str, tensor_pb2.TensorProto]
    output_filter: tuple[str, ...]


@dataclass(frozen=True)
class Failure:
    """Why record ``index`` (from 0) would fail TF Serving's load, in one line."""

    index: int
    reason: str


def check_request(data: bytes, index: int, model: ModelSignatures) -> WarmupRequest | Failure:
    """Check one serialized record the way TF Serving's loader would, without TensorFlow.

    The checks run in TF Serving's order (signature, input keys, output filter, then
    the tensors the session would be fed), and the first problem is the reason.
    """
    try:
        log = prediction_log_pb2.PredictionLog.FromString(data)
    except DecodeError:
        return Failure(index, "does not parse as a PredictionLog")
    if not log.HasField("predict_log"):
        return Failure(index, _not_predict_reason(log))
    request = log.predict_log.request
    name = request.model_spec.signature_name or DEFAULT_SIGNATURE
    signature = model.signatures.get(name)
    if signature is None:
        have = ", ".join(model.signatures)
        return Failure(index, f"signature '{name}' not found (the model has: {have})")
    reason = (
        _input_keys_reason(request.inputs, signature)
        or _output_filter_reason(request.output_filter, signature)
        or _tensors_reason(request.inputs, signature)
    )
    if reason:
        return Failure(index, reason)
    return WarmupRequest(
        index=index,
        signature=name,
        inputs=dict(request.inputs),
        output_filter=tuple(request.output_filter),
    )


def _not_predict_reason(log: prediction_log_pb2.PredictionLog) -> str:
    fields = unknown_fields.UnknownFieldSet(log)
    numbers = {fields[i].field_number for i in range(len(fields))}
    kinds = [LOG_TYPE_FIELDS[n] for n in sorted(numbers) if n in LOG_TYPE_FIELDS]
    if not kinds:
        return "holds no request (no log_type set): TF Serving skips it, so it warms up nothing"
    kind = kinds[0]
    if kind in REFUSED_LOG_TYPES:
        return f"holds a {kind}, which TF Serving's warmup refuses (Unimplemented)"
    if kind in UNCHECKED_LOG_TYPES:
        return f"holds a {kind}; replay checks and runs predict_log requests only"
    return f"holds a {kind}, which TF Serving's warmup does not run"


def _input_keys_reason(inputs: Mapping[str, Any], signature: Signature) -> str:
    sent, wanted = set(inputs), set(signature.inputs)
    if sent == wanted:
        return ""
    parts = [
        f"inputs {_names(sent)} do not match signature '{signature.key}' inputs {_names(wanted)}"
    ]
    if sent - wanted:
        parts.append(f"extra {_names(sent - wanted)}")
    if wanted - sent:
        parts.append(f"missing {_names(wanted - sent)}")
    return "; ".join(parts)


def _output_filter_reason(output_filter: Sequence[str], signature: Signature) -> str:
    seen: set[str] = set()
    for name in output_filter:
        if name not in signature.outputs:
            have = ", ".join(signature.outputs) or "none"
            return (
                f"output_filter '{name}' is not an output of signature '{signature.key}' "
                f"(outputs: {have})"
            )
        if name in seen:
            return f"output_filter names '{name}' twice"
        seen.add(name)
    return ""


def _tensors_reason(inputs: Mapping[str, tensor_pb2.TensorProto], signature: Signature) -> str:
    for name in sorted(inputs):
        tensor, spec = inputs[name], signature.inputs[name]
        dtype = dtype_name(tensor.dtype)
        if dtype != spec.dtype:
            return f"input '{name}' is {dtype}; signature '{signature.key}' takes {spec.dtype}"
        shape = tuple(dim.size for dim in tensor.tensor_shape.dim)
        if not _shape_fits(shape, spec):
            return (
                f"input '{name}' has shape {_shape_text(shape)}; signature "
                f"'{signature.key}' takes {_shape_text(spec.shape)}"
            )
    return ""


def _shape_fits(shape: tuple[int, ...], spec: TensorSpec) -> bool:
    """Whether a tensor of ``shape`` can feed ``spec``: same rank, known dimensions equal."""
    if spec.shape is None:
        return True
    if len(shape) != len(spec.shape):
        return False
    return all(want < 0 or want == got for want, got in zip(spec.shape, shape, strict=True))


def _shape_text(shape: Sequence[int] | None) -> str:
    if shape is None:
        return "any shape"
    return "[" + ", ".join("None" if d < 0 else str(d) for d in shape) + "]"


def _names(names: set[str]) -> str:
    return "{" + ", ".join(sorted(names)) + "}"


class WarmupCheck:
    """Iterate a warmup file's records as ``WarmupRequest`` or ``Failure``, one per record.

    Streams the file once. A framing or CRC error is one ``Failure`` at the record
    where reading stopped (TF Serving stops there too). Past ``limit`` records,
    the rest are only counted, then one ``Failure`` at index ``limit`` reports the
    total. ``records`` counts every record read so far.
    """

    def __init__(
        self, fo: BinaryIO, model: ModelSignatures, *, limit: int = MAX_WARMUP_LOGS
    ) -> None:
        self.fo = fo
        self.model = model
        self.limit = limit
        self.records = 0

    def __iter__(self) -> Iterator[WarmupRequest | Failure]:
        frames = iter_frames(self.fo)
        try:
            for frame in frames:
                if self.records == self.limit:
                    self.records += 1 + sum(1 for _ in frames)
                    yield Failure(
                        self.limit,
                        f"the file holds {self.records} records, over TF Serving's limit of "
                        f"{self.limit}: the load fails after running record {self.limit}",
                    )
                    return
                index = self.records
                self.records += 1
                yield check_request(frame.data, index, self.model)
        except (CorruptRecordError, TruncatedRecordError) as exc:
            yield Failure(self.records, f"not a valid TFRecord file: {exc}")


def _compression_reason(head: bytes) -> str:
    """Why a file whose first bytes are ``head`` looks compressed, or ''."""
    compression = Compression.from_magic(head)
    if looks_like_tfrecord(head) or compression is Compression.NONE:
        return ""
    return (
        f"the file looks {compression.name}-compressed; TF Serving reads warmup files "
        "uncompressed and fails the load"
    )


# --------------------------------------------------------------------------- locating


def locate_model(path: str | Path) -> Path:
    """The SavedModel directory to replay against: ``path``, its newest version, or its entry.

    A distributed export base holds no version of its own but an ``entry/`` base
    directory; the entry is what serves the requests, so it is chosen.
    """
    directory = Path(path)
    try:
        return resolve_model_dir(directory)
    except SavedModelError:
        entry = directory / ENTRY_DIR
        if entry.is_dir():
            return resolve_model_dir(entry)
        raise


def default_warmup_file(model_dir: Path) -> Path:
    """Where TF Serving looks for the warmup file of the SavedModel in ``model_dir``."""
    return model_dir / ASSETS_EXTRA / WARMUP_FILENAME


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class Answer:
    """A request the model answered: its outputs (after ``output_filter``) and latency."""

    index: int
    seconds: float
    outputs: dict[str, Any]


def require_tensorflow() -> ModuleType:
    """Import TensorFlow, or raise ``TensorFlowMissingError`` saying how to install it."""
    try:
        return _import_tensorflow()
    except TensorFlowMissingError as exc:
        raise TensorFlowMissingError(
            "replay runs the warmup requests with TensorFlow, which is not installed; "
            f"run: {INSTALL_HINT} (or pass {{check_only}} to only check the file)",
            param="check_only",
        ) from exc


class ModelRunner:
    """A SavedModel loaded with TensorFlow, answering checked warmup requests."""

    def __init__(self, model_dir: str | Path) -> None:
        self.tf = require_tensorflow()
        self.model_dir = Path(model_dir)
        # TensorFlow's own TensorProto, so tf.make_ndarray decodes what the file holds.
        self._tensor_proto = importlib.import_module("tensorflow.core.framework.tensor_pb2")
        try:
            self.loaded = self.tf.saved_model.load(str(self.model_dir), tags=[SERVE_TAG])
        except Exception as exc:  # TensorFlow raises many types; any means "cannot load"
            raise SavedModelError(
                f"{self.model_dir}: TensorFlow cannot load it: {error_line(exc)}"
            ) from exc

    def answer(self, request: WarmupRequest) -> Answer | Failure:
        """Run ``request`` through its signature; a ``Failure`` carries the model's error."""
        tf = self.tf
        try:
            feeds = {name: self._tensor(proto) for name, proto in request.inputs.items()}
        except Exception as exc:  # a tensor TensorFlow cannot decode is the record's fault
            return Failure(request.index, f"an input tensor does not decode: {error_line(exc)}")
        start = time.perf_counter()
        try:
            result = self.loaded.signatures[request.signature](**feeds)
            wanted = request.output_filter or tuple(result)
            outputs = {name: result[name].numpy() for name in wanted}
        except (tf.errors.OpError, TypeError, ValueError, KeyError) as exc:
            return Failure(
                request.index,
                f"signature '{request.signature}' failed: {error_line(exc)}",
            )
        return Answer(request.index, time.perf_counter() - start, outputs)

    def _tensor(self, proto: tensor_pb2.TensorProto) -> Any:
        tf_proto = self._tensor_proto.TensorProto.FromString(proto.SerializeToString())
        return self.tf.constant(self.tf.make_ndarray(tf_proto), dtype=tf_proto.dtype)


def error_line(exc: BaseException) -> str:
    """The first line of a (TensorFlow) error that says what went wrong, with its type."""
    text = getattr(exc, "message", None) or str(exc)
    lines = [line.strip() for line in str(text).splitlines()]
    useful = [line for line in lines if line and not line.startswith(_NOISE_PREFIXES)]
    line = useful[0] if useful else (lines[0] if lines else "")
    if len(line) > MAX_REASON_CHARS:
        line = line[: MAX_REASON_CHARS - 3] + "..."
    return f"{type(exc).__name__}: {line}" if line else type(exc).__name__


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class ReplayReport:
    """What replaying a warmup file found.

    ``records`` counts every record in the file; ``checked`` those that passed the
    checks; ``answered`` those the model answered (0 when ``ran`` is False, i.e.
    checks only). ``latencies`` are seconds per answered request, in file order.
    """

    model_dir: Path
    warmup_file: Path
    records: int
    checked: int
    answered: int
    ran: bool
    failures: tuple[Failure, ...]
    latencies: tuple[float, ...] = ()
    by_signature: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when TF Serving would load the model with this warmup file (as far as known)."""
        return not self.failures

    def latency(self, percent: float) -> float | None:
        """The ``percent`` percentile of the latencies (nearest rank), None if none."""
        return percentile(self.latencies, percent)


def percentile(values: Sequence[float], percent: float) -> float | None:
    """Nearest-rank percentile: the smallest value with ``percent`` % of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / PERCENT * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


Progress = Callable[[int], None]


def replay(
    saved_model: str | Path,
    *,
    warmup: str | Path | None = None,
    check_only: bool = False,
    limit: int = MAX_WARMUP_LOGS,
    progress: Progress | None = None,
) -> ReplayReport:
    """Check (and unless ``check_only``, run) every record of a warmup file against a model.

    ``saved_model`` is resolved by ``locate_model``; ``warmup`` defaults to the
    model's own ``assets.extra/tf_serving_warmup_requests``. Problems with the
    requests are returned as ``Failure``s in the report; only an unusable model
    directory, a missing warmup file or a missing TensorFlow raise.
    ``progress`` is called with 1 per record checked.
    """
    if not check_only:
        require_tensorflow()  # before any work: say how to install it first
    model_dir = locate_model(saved_model)
    model = read_signatures(model_dir)
    path = Path(warmup) if warmup is not None else default_warmup_file(model_dir)
    if not path.is_file():
        raise WarmupError(
            f"no warmup file at {path}; write one for the model at {saved_model}, "
            "or give the warmup file's path as {warmup}",
            param="warmup",
        )
    runner = None if check_only else ModelRunner(model_dir)
    failures: list[Failure] = []
    latencies: list[float] = []
    by_signature: dict[str, int] = {}
    checked = 0
    try:
        fo = path.open("rb")
    except OSError as exc:
        raise WarmupError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with fo:
        head = fo.read(HEADER_SIZE)
        fo.seek(0)
        records = WarmupCheck(fo, model, limit=limit)
        compressed = _compression_reason(head)
        items: Iterator[WarmupRequest | Failure] = iter(()) if compressed else iter(records)
        if compressed:
            failures.append(Failure(0, compressed))
        for item in items:
            if progress is not None:
                progress(1)
            if isinstance(item, Failure):
                failures.append(item)
                continue
            checked += 1
            if runner is None:
                continue
            outcome = runner.answer(item)
            if isinstance(outcome, Failure):
                failures.append(outcome)
                continue
            latencies.append(outcome.seconds)
            by_signature[item.signature] = by_signature.get(item.signature, 0) + 1
    return ReplayReport(
        model_dir=model_dir,
        warmup_file=path,
        records=records.records,
        checked=checked,
        answered=len(latencies),
        ran=runner is not None,
        failures=tuple(failures),
        latencies=tuple(latencies),
        by_signature=by_signature,
    )
