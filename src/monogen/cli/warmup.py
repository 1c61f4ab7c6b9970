"""``monogen warmup``: a TF Serving warmup file, generated or taken from a data file."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from monogen.cli.common import make_generator, refuse_binary_to_terminal, resolve_schema, start
from monogen.cli.options import (
    HEADER_FLAGS,
    SchemaArgs,
    batch_size_option,
    force_option,
    header_options,
    max_record_size_option,
    out_option,
    pop_header,
    quiet_option,
    schema_options,
    split_names,
    variant_option,
)
from monogen.cli.ui import Reporter, counted, human_bytes
from monogen.errors import WarmupError
from monogen.formats import (
    DEFAULT_MAX_RECORDS,
    DEFAULT_MODEL_NAME,
    PARSER_ARGS_DROP_RATE,
    RecordType,
    Variant,
)

if TYPE_CHECKING:
    from monogen.io.datafile import HeaderOptions
    from monogen.io.detect import DetectedRecords, Detection
    from monogen.serving.savedmodel import ModelSignatures
    from monogen.serving.warmup import WarmupPlan

NO_TARGET = (
    "give --out PATH (- for stdout), or --saved-model DIR to write "
    "DIR/assets.extra/tf_serving_warmup_requests"
)


@click.command("warmup")
@out_option(default=None)
@force_option
@click.option(
    "--saved-model",
    type=click.Path(file_okay=False),
    help="SavedModel directory (or TF Serving base directory: the newest version is used). "
    "Signatures, input name, variant and output heads are read from it, and the file is "
    "written to DIR/assets.extra/tf_serving_warmup_requests unless --out is given.",
)
@variant_option(None)
@click.option(
    "--model-name",
    default=DEFAULT_MODEL_NAME,
    show_default=True,
    help="ModelSpec.name of every request.",
)
@click.option(
    "--signature",
    "signatures",
    multiple=True,
    callback=split_names,
    help="Signature to warm up, in round-robin order; serving_default is always added. "
    "Repeatable or comma-separated. With --saved-model: default all that take the model's input.",
)
@click.option(
    "--output-head",
    "output_heads",
    multiple=True,
    callback=split_names,
    help="Output of the default signature that gets its own output_filter copy of each of "
    "its requests. Repeatable or comma-separated. With --saved-model: default its outputs.",
)
@batch_size_option("Records per request (rows of the one ExampleBatch per request).")
@click.option(
    "--max-records",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_RECORDS,
    show_default=True,
    help="Record budget: the file holds max_records // batch_size requests.",
)
@click.option(
    "--from-datafile",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Take the records from this Monolith data file (- for stdin) instead of "
    "generating them. Its compression, header layout and record type are detected; "
    "the header flags below pin the layout.",
)
@click.option(
    "--from-requests",
    type=click.Path(exists=True),
    help="Take recorded requests instead: a directory of serialized PredictRequest files, "
    "one such file, or a TFRecord of PredictRequests or PredictionLogs. Their model specs "
    "are kept unless --model-name or --signature is given.",
)
@header_options(reading=True)
@max_record_size_option
@schema_options(drop_rate=PARSER_ARGS_DROP_RATE)
@quiet_option
@click.pass_context
def warmup_cmd(
    ctx: click.Context,
    out: str | None,
    force: bool,
    saved_model: str | None,
    variant: str | None,
    model_name: str,
    signatures: tuple[str, ...],
    output_heads: tuple[str, ...],
    batch_size: int,
    max_records: int,
    from_datafile: str | None,
    from_requests: str | None,
    quiet: bool,
    **kwargs: Any,
) -> None:
    """Write a TensorFlow Serving warmup file (a TFRecord of PredictionLogs).

    Each request feeds one signature a DT_STRING tensor of --batch-size serialized
    Examples or Instances (or one ExampleBatch), cycling over the signatures;
    requests for a multi-head default signature are followed by one output_filter
    copy per head. The file is never compressed and never holds more than the
    1000 PredictionLogs TF Serving accepts; a dense 'label' feature is left out.
    The variant defaults to example, or to what a --saved-model's input name
    says. --from-datafile sends a data file's records instead: their header
    layout and record type are detected (header flags pin the layout) and a
    type that --variant or the model does not take is refused. --from-requests
    sends recorded PredictRequests as they are. An existing file is kept unless
    --force.

    \b
    Example:
      monogen warmup --out warmup.tfrecord --seed 1
      monogen warmup --saved-model /models/ranker --slots 1-100
      monogen warmup --variant instance --signature predict --output-head ctr \\
          --output-head cvr --out w.tfrecord
      monogen warmup --from-datafile train.bin --out w.tfrecord
      monogen warmup --from-requests recorded/ --saved-model /models/ranker
    """
    from monogen.serving.warmup import datafile_batches, plan_requests, write_warmup_file

    if from_requests is not None:
        _refuse_unused(ctx, lambda name: name not in FROM_REQUESTS_OPTIONS, "--from-requests")
        given_name = ctx.get_parameter_source("model_name") is not ParameterSource.DEFAULT
        _warmup_from_requests(
            from_requests,
            out=out,
            force=force,
            saved_model=saved_model,
            model_name=model_name if given_name else None,
            signatures=signatures,
            output_heads=output_heads,
            quiet=quiet,
        )
        return
    header = _reader_header(ctx, kwargs, from_datafile)
    args = SchemaArgs.pop(kwargs)
    if from_datafile is not None:
        _refuse_unused(ctx, SCHEMA_OPTIONS.__contains__, "--from-datafile")
    reporter, model, target = _start(out, saved_model, force=force, quiet=quiet)
    with contextlib.ExitStack() as stack:
        records = None
        if from_datafile is not None:
            records = stack.enter_context(open_datafile(from_datafile, header))
            variant = _datafile_variant(from_datafile, records.detection, variant, model)
            if not (records.detection.whole and records.detection.records == 0):
                reporter.note(_detection_note(from_datafile, records.detection))
        plan = plan_requests(
            variant=variant,
            model=model,
            signatures=signatures,
            output_heads=output_heads,
            batch_size=batch_size,
            max_records=max_records,
            model_name=model_name,
        )
        _note_plan(reporter, plan, model)
        if records is None:
            source = _generated_batches(plan, args, reporter)
        else:
            source = datafile_batches(
                records.records,
                variant=plan.variant,
                batch_size=plan.batch_size,
                label=_input_label(from_datafile or ""),
            )
        with reporter.progress("warmup", plan.total_logs) as advance:
            summary = write_warmup_file(target, plan, source, force=force, progress=advance)
    unused = [s.name for s in plan.signatures if s.name not in summary.signatures]
    if unused:
        reporter.note(
            f"warning: the data file ran out after {summary.requests} requests; no request "
            f"for signature {', '.join(unused)}"
        )
    where = "stdout" if target == "-" else target
    facts = [
        _per_request(plan, from_datafile is not None),
        _signature_fact(summary.signatures),
    ]
    if summary.logs != summary.requests:
        facts.append(f"{summary.logs} PredictionLogs with output-head copies")
    reporter.summary(
        f"wrote {summary.requests} warmup requests to {where}",
        *facts,
        human_bytes(summary.bytes),
        reporter.seconds(),
    )


# What --from-requests uses; every other option would be ignored, so it is refused.
FROM_REQUESTS_OPTIONS = frozenset(
    {"out", "force", "saved_model", "model_name", "signatures", "output_heads",
     "from_requests", "quiet"}
)  # fmt: skip
# The options that describe generated records, ignored when records come from a file.
SCHEMA_OPTIONS = frozenset(SchemaArgs.__dataclass_fields__)


def _refuse_unused(ctx: click.Context, ignored: Callable[[str], bool], mode: str) -> None:
    """A usage error for the first option given on the command line that ``mode`` ignores."""
    for param in ctx.command.params:
        name = param.name or ""
        if not isinstance(param, click.Option) or not ignored(name):
            continue
        if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            raise click.UsageError(f"{param.opts[0]} does not apply with {mode}")


def _warmup_from_requests(
    path: str,
    *,
    out: str | None,
    force: bool,
    saved_model: str | None,
    model_name: str | None,
    signatures: tuple[str, ...],
    output_heads: tuple[str, ...],
    quiet: bool,
) -> None:
    """Write a warmup file of the recorded requests at ``path``."""
    from monogen.io.output import open_output
    from monogen.serving.recorded import read_requests, write_recorded_warmup

    reporter, model, target = _start(out, saved_model, force=force, quiet=quiet)
    requests = read_requests(path)
    with (
        reporter.progress("warmup", None) as advance,
        open_output(target, force=force or target == "-") as fo,
    ):
        summary = write_recorded_warmup(
            fo,
            requests,
            model=model,
            model_name=model_name,
            signatures=signatures,
            output_heads=output_heads,
            progress=advance,
        )
    facts = [
        f"{counted(summary.requests, f'recorded {requests.kind}')} from {path}",
        _signature_fact(summary.signatures),
    ]
    if summary.logs != summary.requests:
        facts.append(f"{summary.logs} PredictionLogs with output-head copies")
    where = "stdout" if target == "-" else target
    reporter.summary(
        f"wrote {summary.requests} warmup requests to {where}",
        *facts,
        human_bytes(summary.bytes),
        reporter.seconds(),
    )


def _start(
    out: str | None, saved_model: str | None, *, force: bool, quiet: bool
) -> tuple[Reporter, ModelSignatures | None, str]:
    """The checks before any work: the reporter, the model if given, and a target to write.

    The target is --out, else the SavedModel's warmup file; it must be writable
    (not a terminal, not an existing file without --force).
    """
    from monogen.io.output import refuse_existing
    from monogen.serving.savedmodel import read_signatures

    if out is None and saved_model is None:
        raise click.UsageError(NO_TARGET)
    reporter = start(quiet=quiet)
    model = read_signatures(saved_model) if saved_model else None
    target = _target(out, model)
    refuse_binary_to_terminal(target)
    refuse_existing(target, force=force)
    return reporter, model, target


def _target(out: str | None, model: ModelSignatures | None) -> str:
    """--out, else the warmup file of the SavedModel."""
    from monogen.serving.warmup import warmup_path

    if out is not None:
        return out
    if model is None:
        raise click.UsageError(NO_TARGET)
    return str(warmup_path(model.model_dir))


def _reader_header(
    ctx: click.Context, kwargs: dict[str, Any], from_datafile: str | None
) -> HeaderOptions | None:
    """The data-file header options given (None: detect them), refused without a data file."""
    given = [
        param
        for param in ctx.command.params
        if param.name in HEADER_FLAGS
        and ctx.get_parameter_source(param.name) is not ParameterSource.DEFAULT
    ]
    if from_datafile is None:
        for param in given:
            if ctx.get_parameter_source(param.name or "") is ParameterSource.COMMANDLINE:
                flag = "/".join([*param.opts, *param.secondary_opts])
                raise click.UsageError(f"{flag} only applies with --from-datafile")
    header = pop_header(kwargs)
    return header if from_datafile is not None and given else None


@contextlib.contextmanager
def open_datafile(path: str, header: HeaderOptions | None) -> Iterator[DetectedRecords]:
    """The data file's records, its header layout (unless given) and record type detected."""
    from monogen.io import detect
    from monogen.io.output import open_input

    with open_input(path) as stream:
        yield detect.read(stream, header=header)


def _input_label(path: str) -> str:
    return "stdin" if path == "-" else path


def _datafile_variant(
    path: str, detection: Detection, variant: str | None, model: ModelSignatures | None
) -> Variant:
    """The record type to send: the detected one, refused when --variant or the model
    wants another that the data does not read as."""
    from monogen.serving.warmup import model_input

    fitting = (detection.record_type, *detection.other_types)
    holds = f"{_input_label(path)} holds {detection.record_type.record_name} records"
    found = f"({detection.describe()})"
    if variant is not None:
        wanted = Variant.parse(variant)
        if wanted not in fitting:
            raise WarmupError(
                f"{holds}, but --variant {wanted.value} takes {wanted.record_name} records {found}"
            )
        return wanted
    takes = model_input(model) if model is not None else None
    if takes is None:
        return detection.record_type
    if takes.record_type not in fitting:
        raise WarmupError(
            f"{holds}, but the model's signature '{takes.signature}' input "
            f"'{takes.input_name}' takes {takes.record_type.record_name} records {found}"
        )
    return takes.record_type


def _detection_note(path: str, detection: Detection) -> str:
    """How the data file is read; when ambiguous, how to pin the reading."""
    from monogen.cli.flags import pin_flags

    text = f"reading {_input_label(path)}: {detection.describe()}"
    if detection.other_headers:
        text += f"; pin it with {pin_flags(detection)}"
    if detection.other_types:
        text += "; pass --variant to choose the record type"
    return text


def _generated_batches(
    plan: WarmupPlan, args: SchemaArgs, reporter: Reporter
) -> Iterable[Sequence[bytes]]:
    """Request batches from a seeded generator, without a dense 'label'."""
    schema = resolve_schema(args, reporter).without_label()
    generator = make_generator(
        args, reporter, variant=plan.variant.value, batch_size=plan.batch_size, schema=schema
    )
    return generator.batches()


def _note_plan(reporter: Reporter, plan: WarmupPlan, model: ModelSignatures | None) -> None:
    if model is None:
        return
    fed = next((s.input_name for s in plan.signatures if s.input_name), None)
    reporter.note(
        f"model {model.model_dir}: {plan.variant.value} records"
        + (f" into input '{fed}'" if fed else "")
    )
    for name in plan.skipped:
        taken = model.signatures[name].inputs
        reporter.note(
            f"skipping signature '{name}': it takes input '{next(iter(taken))}', not '{fed}'"
        )


def _per_request(plan: WarmupPlan, from_file: bool) -> str:
    if plan.variant is RecordType.EXAMPLE_BATCH:
        rows = "" if from_file else f" of {plan.batch_size} rows"
        return f"1 ExampleBatch{rows} per request"
    return f"{counted(plan.records_per_request, plan.variant.record_name)} per request"


def _signature_fact(names: Iterable[str]) -> str:
    names = list(names)
    return f"{counted(len(names), 'signature')} ({', '.join(names)})"


COMMANDS = (warmup_cmd,)
