"""Shards on this machine: worker processes, one shared progress count, a clean stop.

``LocalEngine`` starts its workers on entry. When the parent has no other thread
yet they are forked (milliseconds: numpy and monogen are already loaded), so
callers enter it before starting a progress bar's thread; otherwise they come
from ``forkserver`` (``spawn`` where that is missing), which costs a fresh
interpreter's imports but never copies a running thread into a child. Workers
count progress into one shared integer the parent turns into one bar, and check
a shared stop flag at every step: when one shard fails or the run is
interrupted, the parent sets it and the others give up at their next batch,
their half-written files removed by ``open_output``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from multiprocessing.context import BaseContext
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from types import TracebackType

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


def _ready() -> None:
    """A no-op task: having run it, a worker is up."""


def _context() -> BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["monogen.run.task"])
        return context
    return multiprocessing.get_context("spawn")


class LocalEngine:
    """Runs shard tasks in ``jobs`` worker processes (1: in this process, no workers).

    Use it as a context manager: entering starts the workers, leaving stops them
    (at once, through the stop flag, if the block raised).
    """

    def __init__(self, jobs: int) -> None:
        if jobs < 1:
            raise ShardOptionsError(f"{{jobs}} must be >= 1, not {jobs}", param="jobs")
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None
        self._progress: Synchronized[int] | None = None
        self._stop: Event | None = None

    def __enter__(self) -> LocalEngine:
        if self.jobs > 1:
            context = _context()
            self._progress, self._stop = context.Value("q", 0), context.Event()
            self._pool = ProcessPoolExecutor(
                self.jobs,
                mp_context=context,
                initializer=_start_worker,
                initargs=(self._progress, self._stop),
            )
            for started in [self._pool.submit(_ready) for _ in range(self.jobs)]:
                started.result()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._pool is None:
            return
        if error is not None and self._stop is not None:
            self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None

    def __call__(self, tasks: Sequence[ShardTask], advance: Advance) -> list[ShardEntry]:
        """Write every task's shard; raise the first failure after stopping the others."""
        pool, progress, stop = self._pool, self._progress, self._stop
        if pool is None or progress is None or stop is None:
            return [write_shard(task, advance) for task in tasks]
        futures: list[Future[ShardEntry]] = []
        try:
            futures = [pool.submit(_write_in_worker, task) for task in tasks]
            _follow(futures, progress, advance)
            return [future.result() for future in futures]
        except BaseException:
            stop.set()
            for future in futures:
                future.cancel()
            wait(futures)  # running shards end at their next batch: none is written after this
            raise


def run_local(tasks: Sequence[ShardTask], advance: Advance, *, jobs: int) -> list[ShardEntry]:
    """Write every task's shard with up to ``jobs`` processes (1: in this process)."""
    with LocalEngine(min(jobs, max(len(tasks), 1))) as engine:
        return engine(tasks, advance)


def _follow(
    futures: list[Future[ShardEntry]], progress: Synchronized[int], advance: Advance
) -> None:
    """Wait for every future, passing the workers' progress on; raise the first failure."""
    pending: set[Future[ShardEntry]] = set(futures)
    shown = progress.value
    while pending:
        done, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_EXCEPTION)
        now = progress.value
        if now > shown:
            advance(now - shown)
            shown = now
        for future in done:
            future.result()  # raises the shard's error
