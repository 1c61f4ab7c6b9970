"""A sharded run from start to finish: plan the shards, run them, write the manifest last.

Either every shard and then the manifest are in place, or nothing is: if any
shard fails, or the run is interrupted, the shards already written are removed
before the error goes on. The manifest is written only after all shards, so its
presence marks a complete set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from monogen.gen.generator import RecordGenerator
from monogen.io import remote
from monogen.io.output import open_output, refuse_existing
from monogen.run.manifest import Manifest, ShardEntry, generator_facts
from monogen.run.shards import manifest_path, shard_path, split_batches
from monogen.run.task import Advance, ShardLayout, ShardTask, no_progress


class Engine(Protocol):
    """Writes every task's shard, calling ``advance`` with progress; returns their entries in
    task order (``local.LocalEngine``, ``dask.DaskEngine``, or any such callable)."""

    def __call__(self, tasks: Sequence[ShardTask], advance: Advance) -> list[ShardEntry]: ...


@dataclass(frozen=True)
class ShardedRun:
    """``records`` records of ``generator``, laid out by ``layout`` in ``shards`` files."""

    out: str
    generator: RecordGenerator
    layout: ShardLayout
    shards: int
    records: int

    @property
    def manifest_path(self) -> str:
        return manifest_path(self.out)

    def tasks(self) -> list[ShardTask]:
        spans = split_batches(self.records, self.generator.records_per_batch, self.shards)
        return [
            ShardTask(
                index, shard_path(self.out, index, self.shards), span, self.generator, self.layout
            )
            for index, span in enumerate(spans)
        ]

    @property
    def units(self) -> int:
        """Progress steps of the whole run (batches or records, as the layout counts)."""
        return sum(self.layout.units(task.span) for task in self.tasks())


def write_shards(
    run: ShardedRun,
    engine: Engine,
    *,
    options: Mapping[str, Any] | None = None,
    force: bool = False,
    advance: Advance = no_progress,
) -> Manifest:
    """Run ``run``'s shards on ``engine`` and write its manifest; return the manifest.

    ``options`` are recorded in the manifest as given (the command's resolved
    options). Existing shards or manifest are an ``OutputExistsError`` unless
    ``force``.
    """
    tasks = run.tasks()
    for path in [task.path for task in tasks] + [run.manifest_path]:
        refuse_existing(path, force=force)
    try:
        entries = engine(tasks, advance)
        manifest = Manifest(
            generator=generator_facts(run.generator),
            layout=run.layout.describe(),
            options=dict(options or {}),
            shards=entries,
        )
        with open_output(run.manifest_path, force=True) as fo:
            fo.write(manifest.to_json())
    except BaseException:
        for task in tasks:
            remote.remove(task.path)
        raise
    return manifest
