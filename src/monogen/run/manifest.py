"""The manifest of a shard set: what was run, and what each shard must hold.

Written last and atomically, so its presence means every shard it lists is
complete. JSON, one object::

    {"manifest_version": 1, "monogen": "0.1.0",
     "generator": {"variant", "batch_size", "seed", "req_time", "drop_rate", "encoder"},
     "layout": {"format": "datafile" | "binary" | "tfrecord", ...},
     "options": {...the command's resolved options...},
     "shards": [{"path", "batches", "records", "bytes", "sha256"}, ...]}

Shard paths are names relative to the manifest's folder, so a shard set can be
moved or copied as a whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from monogen import __version__
from monogen.errors import ManifestError
from monogen.gen.generator import RecordGenerator

MANIFEST_VERSION = 1


@dataclass(frozen=True)
class ShardEntry:
    """One shard as written: its name beside the manifest, counts, size and SHA-256 (hex)."""

    path: str
    batches: int
    records: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    generator: Mapping[str, Any]
    layout: Mapping[str, Any]
    options: Mapping[str, Any]
    shards: Sequence[ShardEntry]
    monogen: str = __version__

    @property
    def records(self) -> int:
        return sum(shard.records for shard in self.shards)

    @property
    def batches(self) -> int:
        return sum(shard.batches for shard in self.shards)

    @property
    def size(self) -> int:
        """Bytes of all shards."""
        return sum(shard.bytes for shard in self.shards)

    def to_json(self) -> bytes:
        document = {
            "manifest_version": MANIFEST_VERSION,
            "monogen": self.monogen,
            "generator": dict(self.generator),
            "layout": dict(self.layout),
            "options": dict(self.options),
            "shards": [asdict(shard) for shard in self.shards],
        }
        return (json.dumps(document, indent=2, default=_jsonable) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes, *, source: str) -> Manifest:
        """Parse a manifest; ``ManifestError`` names ``source`` and what is wrong."""
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ManifestError(f"{source}: not a monogen manifest (invalid JSON: {exc})") from None
        if not isinstance(document, dict) or "shards" not in document:
            raise ManifestError(f"{source}: not a monogen manifest (no shard list)")
        if document.get("manifest_version") != MANIFEST_VERSION:
            version = document.get("manifest_version")
            raise ManifestError(f"{source}: unsupported manifest version {version!r}")
        shards = document["shards"]
        if not isinstance(shards, list):
            raise ManifestError(f"{source}: 'shards' is not a list")
        return cls(
            generator=_mapping(document, "generator", source),
            layout=_mapping(document, "layout", source),
            options=_mapping(document, "options", source),
            shards=tuple(_entry(item, index, source) for index, item in enumerate(shards)),
            monogen=str(document.get("monogen", "")),
        )


def generator_facts(generator: RecordGenerator) -> dict[str, Any]:
    """What fixes a run's bytes besides the schema and layout, as the manifest records it."""
    return {
        "variant": generator.variant.value,
        "batch_size": generator.batch_size,
        "seed": generator.seed,
        "req_time": generator.req_time,
        "drop_rate": generator.drop_rate,
        "encoder": generator.encoder,
    }


def base_name(path: str) -> str:
    """The last component of a local path or URL: how a manifest names a shard beside it."""
    return path[max(path.rfind("/"), path.rfind("\\")) + 1 :]


def sibling(manifest: str, name: str) -> str:
    """``name`` in the folder of ``manifest`` (a local path or URL)."""
    return manifest[: len(manifest) - len(base_name(manifest))] + name


def _jsonable(value: object) -> object:
    """Options hold tuples and enums: tuples become lists (json does that), others strings."""
    return str(value)


def _mapping(document: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise ManifestError(f"{source}: {key!r} is not an object")
    return value


_ENTRY_TYPES = {field.name: (str if field.type == "str" else int) for field in fields(ShardEntry)}


def _entry(item: object, index: int, source: str) -> ShardEntry:
    if not isinstance(item, dict):
        raise ManifestError(f"{source}: shard {index} is not an object")
    for name, kind in _ENTRY_TYPES.items():
        value = item.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ManifestError(f"{source}: shard {index} has no valid {name!r}")
    if base_name(item["path"]) != item["path"] or item["path"] in ("", ".", ".."):
        raise ManifestError(f"{source}: shard {index} path {item['path']!r} is not a plain name")
    return ShardEntry(**{name: item[name] for name in _ENTRY_TYPES})
