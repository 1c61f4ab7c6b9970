"""``--shards``: check the options, run the shards under one progress bar, summarise.

The work itself is the library's (``monogen.run``); this module only turns flags
into an engine and the result into a summary, and renders ``inspect --manifest``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import click

from monogen.cli.options import ShardArgs
from monogen.cli.ui import Reporter, counted, human_bytes, plural

if TYPE_CHECKING:
    from monogen.gen.generator import RecordGenerator
    from monogen.run.sharded import Engine
    from monogen.run.task import ShardLayout


def check_shard_args(args: ShardArgs, *, out: str) -> None:
    """Refuse sharding options that cannot work, before any work is done."""
    if args.engine == "dask" and not args.shards:
        raise click.UsageError("--engine dask runs shards; give --shards N")
    if not args.shards:
        return
    if out == "-":
        raise click.UsageError("--shards writes files; give --out NAME (shards are NAME-*)")
    if args.engine == "dask" and not args.scheduler:
        raise click.UsageError("--engine dask needs --scheduler ADDRESS (a running Dask scheduler)")


def _engine(args: ShardArgs) -> AbstractContextManager[Engine]:
    if args.engine == "dask":
        from monogen.run.dask import DaskEngine

        assert args.scheduler is not None  # check_shard_args refused the run otherwise
        return DaskEngine(args.scheduler)
    from monogen.run.local import LocalEngine, default_jobs

    assert args.shards is not None
    return LocalEngine(min(args.jobs or default_jobs(), args.shards))


def run_sharded(
    args: ShardArgs,
    reporter: Reporter,
    *,
    out: str,
    force: bool,
    generator: RecordGenerator,
    layout: ShardLayout,
    records: int,
) -> None:
    """Write ``records`` records as ``args.shards`` shards of ``out`` plus the manifest."""
    from monogen.run.sharded import ShardedRun, write_shards

    assert args.shards is not None
    run = ShardedRun(out, generator, layout, args.shards, records)
    options = click.get_current_context().params
    # The engine starts (workers forked, or the cluster reached) before the progress bar.
    with _engine(args) as engine, reporter.progress(plural(layout.unit), run.units) as advance:
        manifest = write_shards(run, engine, options=options, force=force, advance=advance)
    noun = generator.variant.record_name
    reporter.summary(
        f"wrote {counted(manifest.records, noun)} in {counted(len(manifest.shards), 'shard')}",
        f"manifest {run.manifest_path}",
        human_bytes(manifest.size),
        reporter.seconds(),
    )


def verify_manifest(path: str) -> None:
    """``inspect --manifest``: one line per bad shard, a summary, exit 1 unless all match."""
    from monogen.run.verify import verify_manifest

    verification = verify_manifest(path)
    manifest = verification.manifest
    for check in verification.problems:
        click.echo(f"{check.path}: {check.problem}", err=True)
    shards = counted(len(manifest.shards), "shard")
    if not verification.ok:
        bad = len(verification.problems)
        raise click.ClickException(f"{path}: {bad} of {shards} do not match the manifest")
    click.echo(
        f"{path}: {shards} verified, {counted(manifest.records, 'record')},"
        f" {human_bytes(manifest.size)}"
    )
