"""Shards on this machine: worker processes, one shared progress count, a clean stop.

Workers are started by ``forkserver`` (``spawn`` where it is missing), never
forked from the parent, whose progress-bar thread must not be copied into a
child. They count progress into one shared integer the parent turns into one
bar, and check a shared stop flag at every step: when one shard fails or the
run is interrupted, the parent sets it and the others give up at their next
batch, their half-written files removed by ``open_output``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from multiprocessing.context import BaseContext
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event

from monogen.errors import ShardOptionsError
from monogen.run.manifest import ShardEntry
from monogen.run.task import Advance, ShardTask, write_shard

POLL_SECONDS = 0.1


def default_jobs() -> int:
    """The number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Stopped(Exception):
    """Raised inside a worker when the parent stopped the run."""


_progress: Synchronized[int] | None = None
_stop: Event | None = None


def _start_worker(progress: Synchronized[int], stop: Event) -> None:
    global _progress, _stop
    _progress, _stop = progress, stop
    # Ctrl-C reaches every process of the terminal; the parent decides, through _stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The parent built the same generator first and has shown its warnings already.
    logging.getLogger("monogen").setLevel(logging.ERROR)


def _advance(step: int) -> None:
    assert _progress is not None and _stop is not None
    if _stop.is_set():
        raise _Stopped("stopped by the parent process")
    with _progress.get_lock():
        _progress.value += step


def _write_in_worker(task: ShardTask) -> ShardEntry:
    return write_shard(task, _advance)


def _context() -> BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["monogen.run.task"])
        return context
    return multiprocessing.get_context("spawn")


def run_local(tasks: Sequence[ShardTask], advance: Advance, *, jobs: int) -> list[ShardEntry]:
    """Write every task's shard with up to ``jobs`` processes (1: in this process)."""
    if jobs < 1:
        raise ShardOptionsError(f"jobs must be >= 1, not {jobs}")
    workers = min(jobs, len(tasks))
    if workers <= 1:
        return [write_shard(task, advance) for task in tasks]
    context = _context()
    progress = context.Value("q", 0)
    stop = context.Event()
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(progress, stop)
    )
    try:
        futures = [pool.submit(_write_in_worker, task) for task in tasks]
        _follow(futures, progress, advance)
        return [future.result() for future in futures]
    except BaseException:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _follow(
    futures: list[Future[ShardEntry]], progress: Synchronized[int], advance: Advance
) -> None:
    """Wait for every future, passing the workers' progress on; raise the first failure."""
    pending: set[Future[ShardEntry]] = set(futures)
    shown = 0
    while pending:
        done, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_EXCEPTION)
        now = progress.value
        if now > shown:
            advance(now - shown)
            shown = now
        for future in done:
            future.result()  # raises the shard's error
