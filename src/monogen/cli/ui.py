"""What the CLI shows a person: progress, warnings and a closing summary, all on stderr.

stdout carries data only, so ``monogen ... --out - | next-tool`` works; progress
bars appear only when stderr is a terminal, and ``-q`` silences everything but
errors.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from rich.console import Console

T = TypeVar("T")
Advance = Callable[[int], None]


class Reporter:
    """The stderr side of one command run."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self._console: Console | None = None
        self.started = time.perf_counter()

    @property
    def console(self) -> Console:
        """rich's console on stderr, made on first use: rich takes a good part of the
        CLI's start-up to import, and a quiet run never needs it."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False, soft_wrap=True)
        return self._console

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    @property
    def interactive(self) -> bool:
        return not self.quiet and sys.stderr.isatty()

    def note(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message, markup=False)

    def track(self, items: Iterable[T], *, total: int | None, description: str) -> Iterator[T]:
        """Iterate ``items`` with a progress bar when a person is watching."""
        if not self.interactive:
            yield from items
            return
        with self.progress(description, total) as advance:
            for item in items:
                yield item
                advance(1)

    @contextlib.contextmanager
    def progress(self, description: str, total: int | None) -> Iterator[Advance]:
        if not self.interactive:
            yield _ignore
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=self.console, transient=True) as bar:
            task = bar.add_task(description, total=total)
            yield lambda step: bar.advance(task, step)

    def summary(self, headline: str, *facts: str) -> None:
        """One closing line: what was done, then its figures (``wrote 10 Examples: 4 KB, 1 s``)."""
        if self.quiet:
            return
        self.console.print(headline + (": " + ", ".join(facts) if facts else ""), markup=False)

    def seconds(self) -> str:
        return f"{self.elapsed:.2f} s"


def _ignore(step: int) -> None:
    del step


def plural(noun: str) -> str:
    """``Examples``, ``ExampleBatches``, ``batches``."""
    return noun + ("es" if noun.endswith(("h", "s")) else "s")


def counted(count: int, noun: str) -> str:
    """``1 Example``, ``3 Examples``, ``2 batches``."""
    return f"{count} {noun if count == 1 else plural(noun)}"


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


class _WarningHandler(logging.Handler):
    def __init__(self, reporter: Reporter) -> None:
        super().__init__(logging.WARNING)
        self.reporter = reporter

    def emit(self, record: logging.LogRecord) -> None:
        self.reporter.console.print(f"warning: {record.getMessage()}", markup=False)


def route_warnings(reporter: Reporter) -> None:
    """Send the library's logged warnings to stderr as ``warning: ...`` lines."""
    root = logging.getLogger("monogen")
    root.handlers = [] if reporter.quiet else [_WarningHandler(reporter)]
    root.setLevel(logging.WARNING)
    root.propagate = False
