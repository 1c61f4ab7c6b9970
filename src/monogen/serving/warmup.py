"""TensorFlow Serving warmup files: PredictionLogs that a model load replays.

TF Serving reads ``<saved_model>/assets.extra/tf_serving_warmup_requests`` when it
loads a model and fails the load on any record it cannot use: a record that does not
parse, a signature the model lacks, input keys that differ from the signature's, an
``output_filter`` naming an output the signature lacks, a compressed file, or more
than 1000 records. So the work is split in two:

* **planning** (``plan_requests``) decides, before a byte is written, how many
  requests there are, which signature each names, which input it feeds and which
  ``output_filter`` copies follow it, and refuses any plan TF Serving would reject;
* **writing** (``prediction_logs``, ``write_warmup``, ``write_warmup_file``) streams
  the plan out, one request's records at a time, from any source of record batches:
  a seeded ``RecordGenerator`` or the records of an existing data file
  (``datafile_batches``).

A request's input is what ``tf.make_tensor_proto(list_of_bytes)`` builds, byte for
byte (``string_tensor``). TensorFlow is not imported.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from monogen.errors import (
    CorruptRecordError,
    SavedModelError,
    VariantMismatchError,
    WarmupError,
    WarmupPlanError,
)
from monogen.formats import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_RECORDS,
    DEFAULT_MODEL_NAME,
    DEFAULT_SIGNATURE,
    MAX_WARMUP_LOGS,
    RecordType,
    Variant,
)
from monogen.io.datafile import DataRecord
from monogen.io.detect import BadPayload, parse_clean
from monogen.io.output import STDIO, open_output
from monogen.io.tfrecord import TFRecordWriter
from monogen.proto import prediction_log_pb2, tensor_pb2, types_pb2
from monogen.serving.savedmodel import (
    SINGLE_HEAD_OUTPUT,
    ModelSignatures,
    Signature,
    output_heads,
    resolve_model_dir,
    string_input,
    variant_for_input,
)

__all__ = [
    "ASSETS_EXTRA",
    "DEFAULT_MAX_RECORDS",
    "DEFAULT_MODEL_NAME",
    "MAX_WARMUP_LOGS",
    "WARMUP_FILENAME",
    "SignaturePlan",
    "WarmupPlan",
    "WarmupSummary",
    "datafile_batches",
    "default_heads",
    "model_input",
    "plan_requests",
    "prediction_log",
    "prediction_logs",
    "signature_names",
    "string_tensor",
    "warmup_path",
    "write_warmup",
    "write_warmup_file",
]

ASSETS_EXTRA = "assets.extra"
WARMUP_FILENAME = "tf_serving_warmup_requests"

Progress = Callable[[int], None]


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class SignaturePlan:
    """What the requests naming one signature look like.

    ``input_name`` is the key of the one tensor a request feeds, None for a
    signature known to take no inputs (its requests carry none). Each name in
    ``output_filters`` adds a copy of every request for this signature, filtered to
    that output, so each head's part of the graph gets warmed up too.
    """

    name: str
    input_name: str | None
    output_filters: tuple[str, ...] = ()


@dataclass(frozen=True)
class WarmupPlan:
    """A warmup file's shape: ``requests`` requests, request i naming signature i mod n.

    Built by ``plan_requests``, which guarantees it fits TF Serving's limits.
    ``skipped`` lists model signatures left out because they take another input.
    """

    model_name: str
    variant: Variant
    batch_size: int
    requests: int
    signatures: tuple[SignaturePlan, ...]
    skipped: tuple[str, ...] = ()

    def signature_of(self, index: int) -> SignaturePlan:
        return self.signatures[index % len(self.signatures)]

    @property
    def records_per_request(self) -> int:
        """Serialized records in one request: the batch, or one ExampleBatch holding it."""
        return self.variant.records_per_batch(self.batch_size)

    @property
    def copies(self) -> int:
        """How many ``output_filter`` copies follow the plain requests."""
        cycles, rest = divmod(self.requests, len(self.signatures))
        per_cycle = sum(len(s.output_filters) for s in self.signatures)
        return cycles * per_cycle + sum(len(s.output_filters) for s in self.signatures[:rest])

    @property
    def total_logs(self) -> int:
        """PredictionLogs in the file, copies included (what TF Serving's limit counts)."""
        return self.requests + self.copies


def signature_names(names: Iterable[str]) -> tuple[str, ...]:
    """Signature names in the caller's order, duplicates and blanks dropped, default appended.

    The original built this list through a set, so its round-robin changed between
    runs; keeping the given order makes the file reproducible.
    """
    unique = dict.fromkeys(n.strip() for n in names if n.strip())
    unique.setdefault(DEFAULT_SIGNATURE)
    return tuple(unique)


def plan_requests(
    *,
    variant: Variant | str | None = None,
    model: ModelSignatures | None = None,
    signatures: Iterable[str] = (),
    output_heads: Iterable[str] = (),
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_records: int = DEFAULT_MAX_RECORDS,
    model_name: str = DEFAULT_MODEL_NAME,
) -> WarmupPlan:
    """Plan ``max_records // batch_size`` requests cycling over the signatures.

    Without ``model``: ``signatures`` (``serving_default`` appended when missing), all
    fed ``variant``'s input (default: example), with ``output_heads`` copies for the
    default signature. With ``model`` (from ``savedmodel.read_signatures``): its
    signatures (or the named ones, which must exist), the variant from the input name
    unless given, the default signature's outputs as heads unless ``output_heads``
    names some of them. Raises ``WarmupError`` or ``SavedModelError`` for a plan TF
    Serving would reject, naming the flag to change.
    """
    heads = tuple(dict.fromkeys(h.strip() for h in output_heads if h.strip()))
    if model is None:
        resolved = Variant.parse(variant or Variant.EXAMPLE)
        plans: tuple[SignaturePlan, ...] = tuple(
            SignaturePlan(name, resolved.input_name, _copies(name, heads))
            for name in signature_names(signatures)
        )
        skipped: tuple[str, ...] = ()
    else:
        resolved, plans, skipped = _plan_model(model, variant, tuple(signatures), heads)
    requests = _request_count(batch_size, max_records, plans)
    plan = WarmupPlan(model_name, resolved, batch_size, requests, plans, skipped)
    _check_limit(plan)
    return plan


def _copies(signature: str, heads: tuple[str, ...]) -> tuple[str, ...]:
    """Heads for the default signature only; a lone head named ``output`` is a single head."""
    if signature != DEFAULT_SIGNATURE or heads == (SINGLE_HEAD_OUTPUT,):
        return ()
    return heads


def _request_count(batch_size: int, max_records: int, plans: Sequence[SignaturePlan]) -> int:
    if batch_size < 1:
        raise WarmupPlanError(
            f"{{batch_size}} must be at least 1, not {batch_size}", param="batch_size"
        )
    if batch_size >= max_records:
        raise WarmupPlanError(
            f"{{batch_size}} {batch_size} must be less than {{max_records}} {max_records}: "
            "a warmup holds max_records // batch_size requests",
            param=("batch_size", "max_records"),
        )
    requests = max_records // batch_size
    if requests < len(plans):
        names = ", ".join(p.name for p in plans)
        raise WarmupPlanError(
            f"{{max_records}} {max_records} // {{batch_size}} {batch_size} gives {requests} "
            f"requests, fewer than the {len(plans)} signatures to warm up ({names}); "
            "raise {max_records} or lower {batch_size}",
            param=("max_records", "batch_size"),
        )
    return requests


def _check_limit(plan: WarmupPlan) -> None:
    total = plan.total_logs
    if total <= MAX_WARMUP_LOGS:
        return
    parts = f"{plan.requests} requests"
    if plan.copies:
        parts += f" + {plan.copies} output-head copies"
    raise WarmupPlanError(
        f"the warmup file would hold {total} PredictionLogs ({parts}), over TF Serving's "
        f"limit of {MAX_WARMUP_LOGS}; lower {{max_records}} or raise {{batch_size}}",
        param=("max_records", "batch_size"),
    )


def _plan_model(
    model: ModelSignatures,
    variant: Variant | str | None,
    wanted: tuple[str, ...],
    heads: tuple[str, ...],
) -> tuple[Variant, tuple[SignaturePlan, ...], tuple[str, ...]]:
    """Variant, signature plans and skipped signatures for a model's own signatures."""
    chosen = _chosen_signatures(model, wanted)
    explicit = {name.strip() for name in wanted}
    # string_input raises, naming the signature, when its inputs cannot be fed.
    inputs = {sig.key: string_input(sig) for sig in chosen}
    fed = [name for name in inputs.values() if name is not None]
    resolved = Variant.parse(variant) if variant else None
    _check_default_input(resolved, inputs.get(DEFAULT_SIGNATURE))
    if resolved is not None and resolved.input_name in fed:
        input_name: str | None = resolved.input_name
    else:
        input_name = fed[0] if fed else None
    if resolved is None:
        resolved = variant_for_input(input_name) if input_name else Variant.EXAMPLE
    elif (
        input_name is not None
        and (takes := RecordType.for_input(input_name)) is not None
        and takes is not resolved
    ):
        owner = next(key for key, name in inputs.items() if name == input_name)
        raise VariantMismatchError(
            f"{{variant}} {resolved.value} does not fit signature '{owner}': its input "
            f"'{input_name}' takes {takes.value} records",
            param="variant",
        )
    plans, skipped = [], []
    for sig in chosen:
        taken = inputs[sig.key]
        if taken is not None and taken != input_name:
            if sig.key in explicit:
                raise SavedModelError(
                    f"signature '{sig.key}' takes input '{taken}', not '{input_name}'; "
                    "one warmup file feeds one input: warm it up in a separate run"
                )
            skipped.append(sig.key)
            continue
        copies = _model_heads(sig, heads) if sig.key == DEFAULT_SIGNATURE else ()
        plans.append(SignaturePlan(sig.key, taken, copies))
    return resolved, tuple(plans), tuple(skipped)


@dataclass(frozen=True)
class ModelInput:
    """The record input a model's warmup requests feed, and the signature it belongs to."""

    signature: str
    input_name: str
    record_type: Variant


def model_input(model: ModelSignatures) -> ModelInput | None:
    """The input that names a record type: ``serving_default``'s, else the first signature's.

    None when no signature has such an input (inputs with names of their own take
    any record type).
    """
    ordered = sorted(model.signatures.values(), key=lambda sig: sig.key != DEFAULT_SIGNATURE)
    for sig in ordered:
        try:
            name = string_input(sig)
        except SavedModelError:
            continue  # plan_requests reports it
        takes = RecordType.for_input(name) if name else None
        if name and takes is not None:
            return ModelInput(sig.key, name, takes)
    return None


def _check_default_input(variant: Variant | None, default_input: str | None) -> None:
    """The default signature is never left out: a variant it cannot take is refused."""
    if variant is None or default_input is None:
        return
    takes = RecordType.for_input(default_input)
    if takes is not None and takes is not variant:
        raise VariantMismatchError(
            f"{{variant}} {variant.value} does not fit signature '{DEFAULT_SIGNATURE}': its "
            f"input '{default_input}' takes {takes.value} records",
            param="variant",
        )


def _chosen_signatures(model: ModelSignatures, wanted: tuple[str, ...]) -> list[Signature]:
    """The model's signatures, or the named ones plus ``serving_default`` if the model has it."""
    names = list(dict.fromkeys(n.strip() for n in wanted if n.strip()))
    if not names:
        return list(model.signatures.values())
    if DEFAULT_SIGNATURE in model.signatures and DEFAULT_SIGNATURE not in names:
        names.append(DEFAULT_SIGNATURE)
    missing = [n for n in names if n not in model.signatures]
    if missing:
        have = ", ".join(model.signatures)
        raise SavedModelError(
            f"signature '{missing[0]}' is not in the SavedModel at {model.model_dir} "
            f"(it has: {have})"
        )
    return [model.signatures[n] for n in names]


def default_heads(model: ModelSignatures | None, heads: Iterable[str] = ()) -> tuple[str, ...]:
    """The ``output_filter`` copies each ``serving_default`` request gets.

    Without ``model``: ``heads`` (none for a lone ``output``). With it: the default
    signature's heads, or the named ones, which must be its outputs.
    """
    wanted = tuple(dict.fromkeys(h.strip() for h in heads if h.strip()))
    if model is None:
        return _copies(DEFAULT_SIGNATURE, wanted)
    signature = model.signatures.get(DEFAULT_SIGNATURE)
    return () if signature is None else _model_heads(signature, wanted)


def _model_heads(signature: Signature, heads: tuple[str, ...]) -> tuple[str, ...]:
    """The default signature's heads; named ones must be outputs it has."""
    if not heads:
        return tuple(output_heads(signature))
    unknown = [h for h in heads if h not in signature.outputs]
    if unknown:
        have = ", ".join(signature.outputs) or "none"
        raise SavedModelError(
            f"{{output_heads}} '{unknown[0]}' is not an output of signature '{signature.key}' "
            f"(outputs: {have})",
            param="output_heads",
        )
    return _copies(signature.key, heads)


# --------------------------------------------------------------------------- building

# A request's input tensor, as tf.make_tensor_proto(list_of_bytes) builds it:
#   TensorProto {
#     dtype: DT_STRING                        field 1
#     tensor_shape { dim { size: N } }        field 2, one dimension
#     string_val: record 0 ... record N-1     field 8, one per record
#   }
# Nothing else is set (no version_number, no tensor_content), and protobuf writes
# fields in number order, so the serialized bytes equal TensorFlow's.


def string_tensor(records: Sequence[bytes]) -> tensor_pb2.TensorProto:
    """A 1-D DT_STRING tensor of ``records``, byte-identical to ``tf.make_tensor_proto``."""
    tensor = tensor_pb2.TensorProto()
    _fill_string_tensor(tensor, records)
    return tensor


def _fill_string_tensor(tensor: tensor_pb2.TensorProto, records: Sequence[bytes]) -> None:
    tensor.dtype = types_pb2.DT_STRING
    tensor.tensor_shape.dim.add().size = len(records)
    tensor.string_val.extend(records)


def prediction_log(
    *,
    model_name: str,
    signature_name: str,
    inputs: dict[str, Sequence[bytes]],
    output_filter: Sequence[str] = (),
) -> prediction_log_pb2.PredictionLog:
    """``PredictionLog { predict_log { request } }`` feeding each input its records.

    Built in place (no sub-message copies): a request holds a whole batch of records.
    """
    log = prediction_log_pb2.PredictionLog()
    request = log.predict_log.request
    request.model_spec.name = model_name
    request.model_spec.signature_name = signature_name
    for name, records in inputs.items():
        _fill_string_tensor(request.inputs[name], records)
    request.output_filter.extend(output_filter)
    return log


def prediction_logs(
    plan: WarmupPlan, batches: Iterable[Sequence[bytes]]
) -> Iterator[prediction_log_pb2.PredictionLog]:
    """The plan's PredictionLogs, each request's records taken from ``batches``.

    A batch is one request's records (``RecordGenerator.batches()`` or
    ``datafile_batches``). Requests for signatures without inputs take none. Stops
    early, after a whole request and its copies, when ``batches`` runs out.
    """
    source = iter(batches)
    for index in range(plan.requests):
        sig = plan.signature_of(index)
        inputs: dict[str, Sequence[bytes]] = {}
        if sig.input_name is not None:
            records = next(source, None)
            if records is None:
                return
            inputs[sig.input_name] = records
        log = prediction_log(model_name=plan.model_name, signature_name=sig.name, inputs=inputs)
        yield log
        for head in sig.output_filters:
            copy = prediction_log_pb2.PredictionLog()
            copy.CopyFrom(log)
            copy.predict_log.request.output_filter.append(head)
            yield copy


def datafile_batches(
    records: Iterable[DataRecord],
    *,
    variant: Variant | str,
    batch_size: int,
    label: str = "data file",
) -> Iterator[list[bytes]]:
    """Group data-file payloads into request batches: ``batch_size`` records, or 1 ExampleBatch.

    Each payload must be a sound record of ``variant``'s type (it parses, with no
    unknown top-level field: ``detect.parse_clean``), because the model would fail
    to parse it at load time; ``label`` names the file in errors. A short last group
    is kept (the original dropped it). An empty file is a ``WarmupError``: a warmup
    file of no requests warms nothing. Reading is lazy, so ``prediction_logs`` stops
    reading once the plan is full.
    """
    resolved = Variant.parse(variant)
    size = resolved.records_per_batch(batch_size)
    message = resolved.message_class
    group: list[bytes] = []
    count = 0
    for count, record in enumerate(records, start=1):
        try:
            parse_clean(record.payload, message)
        except BadPayload as exc:
            raise CorruptRecordError(
                f"{label} record {count - 1} at offset {record.offset}: {exc}"
            ) from exc
        group.append(record.payload)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group
    if not count:
        raise WarmupError("the data file holds no records: nothing to warm up with")


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class WarmupSummary:
    """What was written: ``logs`` counts copies too, ``records`` only the plain requests'.

    ``path`` is the file ``write_warmup_file`` wrote (``-`` for stdout), None from
    ``write_warmup``; ``bytes`` is the file's size.
    """

    path: str | None
    requests: int
    logs: int
    records: int
    signatures: tuple[str, ...]
    bytes: int


def write_warmup(
    fo: BinaryIO,
    plan: WarmupPlan,
    batches: Iterable[Sequence[bytes]],
    *,
    progress: Progress | None = None,
) -> WarmupSummary:
    """Stream the plan's PredictionLogs to ``fo`` as an uncompressed TFRecord file.

    Never compressed: TF Serving reads warmup files raw. ``progress`` is called with
    1 per PredictionLog. ``fo`` stays open.
    """
    requests = logs = records = 0
    used: dict[str, None] = {}
    with TFRecordWriter(fo) as writer:
        for log in prediction_logs(plan, batches):
            request = log.predict_log.request
            if not request.output_filter:
                requests += 1
                records += sum(len(t.string_val) for t in request.inputs.values())
                used.setdefault(request.model_spec.signature_name)
            writer.write(log.SerializeToString())
            logs += 1
            if progress is not None:
                progress(1)
        written = writer.bytes_written
    return WarmupSummary(None, requests, logs, records, tuple(used), written)


def write_warmup_file(
    path: str | os.PathLike[str],
    plan: WarmupPlan,
    batches: Iterable[Sequence[bytes]],
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> WarmupSummary:
    """Write the warmup file at ``path`` (``-`` for stdout) atomically.

    Parent directories are created; an existing file is kept (``OutputExistsError``)
    unless ``force``; a failure part way leaves no file behind.
    """
    with open_output(path, force=force or str(path) == STDIO) as fo:
        summary = write_warmup(fo, plan, batches, progress=progress)
    return replace(summary, path=str(path))


def warmup_path(saved_model_dir: str | os.PathLike[str]) -> Path:
    """Where TF Serving looks for the warmup file of the SavedModel (newest version of a base)."""
    return resolve_model_dir(Path(saved_model_dir)) / ASSETS_EXTRA / WARMUP_FILENAME
