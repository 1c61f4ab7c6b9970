"""Shard file names and how a run's batches are cut into contiguous ranges.

Names follow the Beam/Hadoop convention, with the extension kept last so tools
that go by it still recognise the file: ``train.bin`` with 4 shards is
``train-00000-of-00004.bin`` ... ``train-00003-of-00004.bin``, described by
``train.manifest.json``. A compression suffix stays with the extension
(``d.bin.gz`` -> ``d-00000-of-00002.bin.gz``).
"""

from __future__ import annotations

from typing import NamedTuple

from monogen.errors import ShardOptionsError

SHARD_DIGITS = 5
MAX_SHARDS = 10**SHARD_DIGITS - 1
MANIFEST_SUFFIX = ".manifest.json"
# Suffixes that only say how the file is compressed: the extension before them is kept too.
COMPRESSION_SUFFIXES = frozenset({".gz", ".gzip", ".zlib", ".z", ".zst", ".zstd", ".snappy"})


class Span(NamedTuple):
    """A shard's part of the run: ``batches`` batches from ``first_batch``, holding ``records``."""

    first_batch: int
    batches: int
    records: int


def split_name(out: str) -> tuple[str, str]:
    """``out`` as (everything before the extension, the extension with its dot)."""
    cut = max(out.rfind("/"), out.rfind("\\")) + 1
    folder, name = out[:cut], out[cut:]
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return out, ""
    suffix = "." + ext
    if suffix.lower() in COMPRESSION_SUFFIXES:
        inner_stem, inner_dot, inner_ext = stem.rpartition(".")
        if inner_dot and inner_stem:
            return folder + inner_stem, f".{inner_ext}{suffix}"
    return folder + stem, suffix


def shard_path(out: str, index: int, shards: int) -> str:
    """Shard ``index`` of ``shards`` for the output ``out``."""
    stem, ext = split_name(out)
    return f"{stem}-{index:0{SHARD_DIGITS}d}-of-{shards:0{SHARD_DIGITS}d}{ext}"


def manifest_path(out: str) -> str:
    """Where the manifest of ``out``'s shards goes: beside them, ``<stem>.manifest.json``."""
    return split_name(out)[0] + MANIFEST_SUFFIX


def split_batches(total_records: int, records_per_batch: int, shards: int) -> list[Span]:
    """Cut ``total_records`` (whole batches but the last) into ``shards`` contiguous spans.

    Batches are shared out as evenly as possible, earlier shards taking the extra
    ones; a shard may be empty when there are fewer batches than shards.
    """
    if not 1 <= shards <= MAX_SHARDS:
        raise ShardOptionsError(
            f"{{shards}} must be within [1, {MAX_SHARDS}], not {shards}", param="shards"
        )
    batches = -(-total_records // records_per_batch)
    base, extra = divmod(batches, shards)
    spans, first = [], 0
    for index in range(shards):
        count = base + (index < extra)
        stop_record = min((first + count) * records_per_batch, total_records)
        spans.append(Span(first, count, stop_record - first * records_per_batch if count else 0))
        first += count
    return spans
