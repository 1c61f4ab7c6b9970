"""Shards on an existing Dask cluster (the ``dask`` extra: ``pip install 'monogen[dask]'``).

The same ``ShardTask``s the local engine runs are sent to the cluster's workers
with ``Client.map``; each worker writes its shard straight to the destination
(a path every worker can reach, or an object-store URL) and returns the shard's
manifest entry. A running Dask task cannot be killed, so stopping works as in
the local engine: tasks look at a cluster-wide ``Event`` (at most once every
``STOP_CHECK_SECONDS``) and give up when it is set; the client sets it on the
first failure or an interrupt and waits for every task to end before the
shards are removed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

from monogen.errors import MonogenError
from monogen.run.manifest import ShardEntry
from monogen.run.task import Advance, ShardTask, write_shard

CONNECT_TIMEOUT = "10s"
STOP_CHECK_SECONDS = 1.0
EXTRA_HINT = "install the dask extra: pip install 'monogen[dask]'"


class DaskMissingError(MonogenError, ImportError):
    """``--engine dask`` without dask.distributed installed."""

    exit_code = 2


class _Stopped(Exception):
    """Raised inside a task when the client stopped the run."""


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise DaskMissingError(f"the dask engine needs dask.distributed ({EXTRA_HINT})") from exc
    return distributed


class _StopCheck:
    """A task's progress callback: checks the run's stop event now and then."""

    def __init__(self, event_name: str) -> None:
        self._event_name = event_name
        self._next_check = 0.0
        self._event: Any = None

    def __call__(self, step: int) -> None:
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + STOP_CHECK_SECONDS
        if self._event is None:
            distributed = _import_distributed()
            self._event = distributed.Event(self._event_name, client=distributed.get_client())
        if self._event.is_set():
            raise _Stopped("stopped by the client")


def _write_on_worker(task: ShardTask, event_name: str) -> ShardEntry:
    return write_shard(task, _StopCheck(event_name))


class DaskEngine:
    """Runs shard tasks on the Dask cluster whose scheduler is at ``scheduler``.

    Use it as a context manager: entering connects (a one-line error if the
    scheduler cannot be reached), leaving closes the connection.
    """

    def __init__(self, scheduler: str) -> None:
        self.scheduler = scheduler
        self._distributed = _import_distributed()
        self._client: Any = None

    def __enter__(self) -> DaskEngine:
        try:
            self._client = self._distributed.Client(
                self.scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False
            )
        except (OSError, TimeoutError, ValueError) as exc:
            raise MonogenError(
                f"cannot reach the Dask scheduler at {self.scheduler}: {exc}"
            ) from exc
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __call__(self, tasks: Sequence[ShardTask], advance: Advance) -> list[ShardEntry]:
        if self._client is None:
            with self:
                return _run_on(self._client, self._distributed, tasks, advance)
        return _run_on(self._client, self._distributed, tasks, advance)


def _run_on(
    client: Any, distributed: Any, tasks: Sequence[ShardTask], advance: Advance
) -> list[ShardEntry]:
    run_id = uuid.uuid4().hex
    stop = distributed.Event(f"monogen-stop-{run_id}", client=client)
    futures = client.map(
        _write_on_worker,
        tasks,
        event_name=stop.name,
        key=[f"monogen-shard-{task.index}-{run_id}" for task in tasks],
        pure=False,
    )
    by_key = {future.key: task for future, task in zip(futures, tasks, strict=True)}
    try:
        for future in distributed.as_completed(futures, loop=client.loop):
            future.result()  # raises the shard's error
            task = by_key[future.key]
            advance(task.layout.units(task.span))
    except BaseException:
        stop.set()
        for future in futures:  # wait until every task has ended: none writes after the cleanup
            future.exception()
        raise
    return [future.result() for future in futures]
