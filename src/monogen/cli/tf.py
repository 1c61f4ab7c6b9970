"""``monogen export-demo | replay``: a real model for warmup files, and TF Serving's load checks.

Both need TensorFlow (the ``tf`` extra) and import it only inside the command body,
so ``monogen --help`` and every other command stay TensorFlow-free. Without it the
commands say how to install it and exit 1 (``replay --check-only`` needs no
TensorFlow at all).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monogen.cli.common import start
from monogen.cli.options import given_on_command_line, max_record_size_option, quiet_option
from monogen.cli.ui import Reporter

if TYPE_CHECKING:
    from rich.console import Console

    from monogen.serving.export_demo import BeforePublish
    from monogen.serving.replay import ReplayReport

# TensorFlow's C++ logging threshold: 3 keeps INFO, WARNING and ERROR lines (cuInit
# on a machine without a GPU, CPU feature notes) out of a command's stderr. A value
# the user set wins.
TF_LOG_LEVEL_VAR = "TF_CPP_MIN_LOG_LEVEL"
TF_LOG_LEVEL_QUIET = "3"
MILLISECONDS = 1000.0
P50 = 50.0
P99 = 99.0


def _load_tensorflow(reporter: Reporter, require: Callable[[], object]) -> None:
    """Import TensorFlow once, quietly, through ``require`` (which raises the install hint).

    Some start-up lines are written by TensorFlow's C++ code before any log setting
    applies, so file descriptor 2 points at /dev/null while it is imported.
    """
    os.environ.setdefault(TF_LOG_LEVEL_VAR, TF_LOG_LEVEL_QUIET)
    if "tensorflow" in sys.modules:
        require()
        return
    reporter.note("loading TensorFlow...")
    with _stderr_silenced():
        require()


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


# --------------------------------------------------------------------------- export-demo


@click.command("export-demo")
@click.option(
    "--export-base",
    required=True,
    type=click.Path(file_okay=False),
    help="Base directory: versions go to DIR/<timestamp>/ (standalone) or "
    "DIR/entry/<timestamp>/ and DIR/ps_<i>/<timestamp>/ (distributed).",
)
@click.option(
    "--mode",
    type=click.Choice(["standalone", "distributed"], case_sensitive=False),
    default="standalone",
    show_default=True,
    help="One SavedModel, or an entry plus --num-ps parameter-server shards.",
)
@click.option(
    "--num-ps",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Parameter-server shards the embedding tables are split over (distributed).",
)
@click.option(
    "--warmup",
    is_flag=True,
    help="Also write assets.extra/tf_serving_warmup_requests into the standalone model or "
    "the entry, before the version appears (ps shards take uint64 fids and get none).",
)
@click.option(
    "--steps",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="Training steps of 64 monogen Instances each.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the initial weights, the training Instances and the warmup records.",
)
@click.option(
    "--timestamp",
    type=click.IntRange(min=0),
    help="Version directory name (default: now, in epoch seconds). Versions are never overwritten.",
)
@quiet_option
def export_demo_cmd(
    export_base: str,
    mode: str,
    num_ps: int,
    warmup: bool,
    steps: int,
    seed: int,
    timestamp: int | None,
    quiet: bool,
) -> None:
    """Train Monolith's FFM demo model on monogen Instances and export it for TF Serving.

    Six fid-v1 slots (1-6), FFM over five slot pairs with 16-dim embeddings, biases for
    four slots, sigmoid output. serving_default takes 'instances' (serialized Instance
    protos, parsed in the graph with core TensorFlow ops) and answers 'output', one
    probability per Instance. In distributed mode the tables are sharded by fid over
    the ps servables; the entry holds the same shards and routes each fid to its
    shard in the graph, standing in for the RPC to the ps (see monogen.serving.export_demo).
    Each version appears whole. The written version directories are printed on
    stdout. Needs the tf extra: pip install 'monogen[tf]'.

    \b
    Example:
      monogen export-demo --export-base models/ffm --warmup
      monogen replay --saved-model models/ffm
      monogen export-demo --export-base models/ffm_dist --mode distributed --num-ps 4
    """
    from monogen.serving.export_demo import export_demo, require_tensorflow

    if mode != "distributed" and given_on_command_line(click.get_current_context(), "num_ps"):
        raise click.UsageError("--num-ps needs --mode distributed")
    reporter = start(quiet=quiet)
    _load_tensorflow(reporter, require_tensorflow)
    version = int(time.time()) if timestamp is None else timestamp
    hook = _warmup_hook(seed=seed, req_time=version) if warmup else None
    reporter.note(f"training {steps} steps and exporting ({mode})...")
    started = time.perf_counter()
    written = export_demo(
        export_base,
        mode=mode,
        num_ps=num_ps,
        steps=steps,
        seed=seed,
        timestamp=version,
        before_publish=hook,
    )
    seconds = time.perf_counter() - started
    for directory in written:
        click.echo(str(directory))
    names = ", ".join(_servable_name(Path(export_base), d) for d in written)
    noun = "servable" if len(written) == 1 else "servables"
    facts = [f"version {version}", f"{steps} training steps"]
    if warmup:
        facts.append("warmup in " + ("the entry" if len(written) > 1 else "the model"))
    facts.append(f"{seconds:.2f} s")
    reporter.summary(f"exported {len(written)} {noun} ({names}) under {export_base}", *facts)


def _servable_name(base: Path, version_dir: Path) -> str:
    """``standalone`` for ``base/<v>``, else the servable directory (``entry``, ``ps_0``)."""
    parent = version_dir.parent
    return "standalone" if parent == base else parent.name


def _warmup_hook(*, seed: int, req_time: int) -> BeforePublish:
    """Write each Instance-serving servable's warmup file before its version is published.

    The signatures are read back from the SavedModel just written, exactly as
    ``monogen warmup --saved-model`` does, and the records use the model's slots.
    ps servables are skipped: their lookup signatures take uint64 fids, which a
    warmup file of serialized records cannot feed.
    """
    from monogen.gen.generator import RecordGenerator
    from monogen.gen.schema import Schema
    from monogen.serving.export_demo import ENTRY_DIR, MODEL_SLOT_TO_FIDV1, STANDALONE_NAME
    from monogen.serving.savedmodel import read_signatures
    from monogen.serving.warmup import plan_requests, warmup_path, write_warmup_file

    def write(name: str, staging: Path) -> None:
        if name not in (STANDALONE_NAME, ENTRY_DIR):
            return
        plan = plan_requests(model=read_signatures(staging))
        schema = Schema.build(fidv1_slots=MODEL_SLOT_TO_FIDV1)
        generator = RecordGenerator(
            schema, plan.variant, seed=seed, batch_size=plan.batch_size, req_time=req_time
        )
        write_warmup_file(warmup_path(staging), plan, generator.batches())

    return write


# --------------------------------------------------------------------------- replay


@click.command("replay")
@click.option(
    "--saved-model",
    required=True,
    type=click.Path(file_okay=False),
    help="SavedModel directory, TF Serving base directory (newest version) or distributed "
    "export base (its entry).",
)
@click.option(
    "--warmup",
    type=click.Path(dir_okay=False),
    help="Warmup file to replay (default: the model's assets.extra/tf_serving_warmup_requests).",
)
@click.option(
    "--check-only",
    is_flag=True,
    help="Only check the records against the signatures; do not run them (no TensorFlow needed).",
)
@max_record_size_option
@quiet_option
def replay_cmd(saved_model: str, warmup: str | None, check_only: bool, quiet: bool) -> None:
    """Replay a warmup file as TF Serving does at model load, before you deploy.

    Every record is checked as TF Serving's loader checks it (intact TFRecord, at most
    1000 records, a PredictionLog with a predict_log, a known signature, input keys
    equal to the signature's, each input's dtype and shape, a valid output_filter),
    then run through its signature with TensorFlow. A table of requests, answers,
    failures and p50/p99 latency is printed on stdout; any failure exits 1 with the
    failing records listed. Unlike TF Serving, replay goes on past a failure, so one
    run lists everything to fix.

    \b
    Example:
      monogen replay --saved-model models/ffm
      monogen replay --saved-model models/ffm/1700000000 --warmup w.tfrecord
      monogen replay --saved-model models/ffm --check-only
    """
    from monogen.errors import WarmupError
    from monogen.serving.replay import replay, require_tensorflow

    reporter = start(quiet=quiet)
    if not check_only:
        _load_tensorflow(reporter, require_tensorflow)
    with reporter.progress("replay", None) as advance:
        report = replay(saved_model, warmup=warmup, check_only=check_only, progress=advance)
    from rich.console import Console  # rich loads only for commands that print with it

    console = Console(file=sys.stdout, highlight=False, soft_wrap=True)
    _print_report(console, report)
    if report.failures:
        count = len(report.failures)
        raise WarmupError(
            f"TF Serving would fail the model load: {count} "
            f"{'failure' if count == 1 else 'failures'} in {report.warmup_file} (listed above)"
        )
    verb = "checked" if check_only else "answered"
    reporter.summary(
        f"{verb} {report.checked if check_only else report.answered} warmup requests",
        reporter.seconds(),
    )


def _print_report(console: Console, report: ReplayReport) -> None:
    from rich.table import Table

    summary = Table(title="warmup replay", show_header=False, title_justify="left")
    summary.add_column("what", style="bold")
    summary.add_column("value", overflow="fold")
    summary.add_row("model", str(report.model_dir))
    summary.add_row("warmup file", str(report.warmup_file))
    summary.add_row("records", str(report.records))
    summary.add_row("passed checks", str(report.checked))
    if report.ran:
        summary.add_row("answered", str(report.answered))
        for name, count in report.by_signature.items():
            summary.add_row(f"  {name}", str(count))
    else:
        summary.add_row("answered", "not run (--check-only)")
    summary.add_row("failures", str(len(report.failures)))
    summary.add_row("latency p50", _milliseconds(report.latency(P50)))
    summary.add_row("latency p99", _milliseconds(report.latency(P99)))
    console.print(summary)
    if not report.failures:
        return
    failures = Table(title="failures", title_justify="left")
    failures.add_column("record", justify="right")
    failures.add_column("reason", overflow="fold")
    for failure in report.failures:
        failures.add_row(str(failure.index), failure.reason)
    console.print(failures)


def _milliseconds(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * MILLISECONDS:.2f} ms"


COMMANDS = (export_demo_cmd, replay_cmd)
