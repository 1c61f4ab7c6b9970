"""Checking a shard set against its manifest: every shard present, sound, and as recorded.

Each shard is read once, front to back: its bytes are counted and hashed while
the format's own reader (CRCs for TFRecord, framing for data files) counts its
records, so a shard is checked for size, SHA-256, record count and soundness in
one pass with memory bounded by one record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from monogen.encode.dump import NO_HEADER, OutputFormat
from monogen.errors import ManifestError, MonogenError
from monogen.io import datafile, tfrecord
from monogen.io.output import open_input
from monogen.run.manifest import Manifest, ShardEntry, sibling

READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class ShardCheck:
    """One shard's verdict: ``problem`` is None when it matches the manifest."""

    entry: ShardEntry
    path: str
    problem: str | None = None


@dataclass(frozen=True)
class Verification:
    manifest: Manifest
    checks: tuple[ShardCheck, ...]

    @property
    def ok(self) -> bool:
        return all(check.problem is None for check in self.checks)

    @property
    def problems(self) -> list[ShardCheck]:
        return [check for check in self.checks if check.problem is not None]


class _DigestReader:
    """Reads through to ``fo``, counting and hashing every byte read."""

    def __init__(self, fo: BinaryIO) -> None:
        self._fo = fo
        self.size = 0
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1, /) -> bytes:
        data = self._fo.read(size)
        self.size += len(data)
        self.sha256.update(data)
        return data

    def drain(self) -> None:
        """Read what the record reader left (nothing, in a sound shard), for size and hash."""
        while self.read(READ_CHUNK):
            pass


Reader = Callable[[BinaryIO, Mapping[str, Any]], Iterator[object]]


def _read_datafile(fo: BinaryIO, layout: Mapping[str, Any]) -> Iterator[object]:
    header = datafile.HeaderOptions.parse(str(layout.get("header", datafile.NO_HEADER)))
    return datafile.read(fo, header=header, compression=str(layout.get("compression", "none")))


def _read_binary(fo: BinaryIO, layout: Mapping[str, Any]) -> Iterator[object]:
    return datafile.read(fo, header=NO_HEADER, compression="none")


def _read_tfrecord(fo: BinaryIO, layout: Mapping[str, Any]) -> Iterator[object]:
    return tfrecord.iter_frames(fo)


_READERS: dict[str, Reader] = {
    "datafile": _read_datafile,
    OutputFormat.BINARY.value: _read_binary,
    OutputFormat.TFRECORD.value: _read_tfrecord,
}


def read_manifest(path: str) -> Manifest:
    with open_input(path) as fo:
        return Manifest.from_json(fo.read(), source=path)


def verify_manifest(path: str) -> Verification:
    """Check every shard ``path``'s manifest lists; problems are reported, not raised.

    A manifest that cannot be read, or names a format monogen cannot read, raises
    ``ManifestError``.
    """
    manifest = read_manifest(path)
    kind = manifest.layout.get("format")
    reader = _READERS.get(str(kind))
    if reader is None:
        raise ManifestError(f"{path}: unknown shard format {kind!r}")
    checks = tuple(
        _check(entry, sibling(path, entry.path), reader, manifest.layout)
        for entry in manifest.shards
    )
    return Verification(manifest, checks)


def _check(entry: ShardEntry, path: str, reader: Reader, layout: Mapping[str, Any]) -> ShardCheck:
    try:
        with open_input(path) as fo:
            digest = _DigestReader(fo)
            records = sum(1 for _ in reader(cast(BinaryIO, digest), layout))
            digest.drain()
    except MonogenError as exc:
        return ShardCheck(entry, path, str(exc))
    if digest.size != entry.bytes:
        return ShardCheck(entry, path, f"{digest.size} bytes, the manifest says {entry.bytes}")
    if digest.sha256.hexdigest() != entry.sha256:
        return ShardCheck(entry, path, "SHA-256 differs from the manifest's")
    if records != entry.records:
        return ShardCheck(entry, path, f"{records} records, the manifest says {entry.records}")
    return ShardCheck(entry, path)
