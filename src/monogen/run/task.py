"""One shard's work, small enough to pickle and run anywhere: draw its batches, write its file.

A ``ShardTask`` carries the run's generator (pickled as its arguments), the
shard's ``Span`` and a layout saying how records become bytes: a Monolith data
file (``DataFileLayout``) or framed records (``FramedLayout``: header-less binary or
TFRecord). ``write_shard`` is what a worker calls; it streams one batch at a time
into ``open_output`` (the file appears only when complete) and returns the
shard's manifest entry, its SHA-256 taken on the way out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, ClassVar, Protocol, cast

from monogen.encode.dump import OutputFormat, write_records
from monogen.gen.generator import RecordGenerator
from monogen.io import datafile
from monogen.io.output import open_output
from monogen.run.manifest import ShardEntry, base_name
from monogen.run.shards import Span

Advance = Callable[[int], object]


class ShardLayout(Protocol):
    """How a shard's records are laid out in its file, and what progress counts."""

    @property
    def unit(self) -> str: ...

    def units(self, span: Span) -> int:
        """Progress steps the span takes (batches or records)."""
        ...

    def write(self, fo: BinaryIO, generator: RecordGenerator, span: Span, advance: Advance) -> int:
        """Write the span's records to ``fo``; return how many."""
        ...

    def describe(self) -> dict[str, str | None]:
        """The layout as the manifest records it (what a reader must be told)."""
        ...


@dataclass(frozen=True)
class DataFileLayout:
    """A Monolith data file: a header per record as ``header`` says, maybe compressed."""

    header: datafile.HeaderOptions = datafile.DEFAULT_HEADER
    source: str | None = None
    compression: str = "none"
    unit: ClassVar[str] = "batch"

    def units(self, span: Span) -> int:
        return span.batches

    def write(self, fo: BinaryIO, generator: RecordGenerator, span: Span, advance: Advance) -> int:
        summary = datafile.generate(
            fo,
            generator,
            num_batch=span.batches,
            header=self.header,
            source_name=self.source,
            compression=self.compression,
            progress=advance,
        )
        return summary.records

    def describe(self) -> dict[str, str | None]:
        return {
            "format": "datafile",
            "header": self.header.describe(),
            "source": self.source,
            "compression": self.compression,
        }


@dataclass(frozen=True)
class FramedLayout:
    """Records framed as ``binary`` (8-byte length + payload) or ``tfrecord``, no header."""

    fmt: OutputFormat
    unit: ClassVar[str] = "record"

    def units(self, span: Span) -> int:
        return span.records

    def write(self, fo: BinaryIO, generator: RecordGenerator, span: Span, advance: Advance) -> int:
        def counted(records: Iterable[bytes]) -> Iterator[bytes]:
            for record in records:
                yield record
                advance(1)

        return write_records(fo, generator, span.records, fmt=self.fmt, wrap=counted)

    def describe(self) -> dict[str, str | None]:
        return {"format": self.fmt.value}


@dataclass(frozen=True)
class ShardTask:
    """Shard ``index`` of a run: its destination, its span, and how to make its bytes."""

    index: int
    path: str
    span: Span
    generator: RecordGenerator
    layout: ShardLayout


class _DigestWriter:
    """Passes writes through to ``fo`` while counting them and hashing them with SHA-256."""

    def __init__(self, fo: BinaryIO) -> None:
        self._fo = fo
        self.size = 0
        self.sha256 = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        self._fo.write(data)
        return len(data)

    def flush(self) -> None:
        self._fo.flush()

    def tell(self) -> int:
        return self.size


def no_progress(step: int) -> None:
    """The default progress callback: nothing to show."""


def write_shard(task: ShardTask, advance: Advance = no_progress) -> ShardEntry:
    """Write ``task``'s shard to its path (whole or not at all); return its manifest entry."""
    generator = task.generator.starting_at(task.span.first_batch)
    with open_output(task.path, force=True) as fo:
        digest = _DigestWriter(fo)
        records = task.layout.write(cast(BinaryIO, digest), generator, task.span, advance)
    return ShardEntry(
        path=base_name(task.path),
        batches=task.span.batches,
        records=records,
        bytes=digest.size,
        sha256=digest.sha256.hexdigest(),
    )
