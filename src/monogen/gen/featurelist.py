"""Monolith's ``feature_list.conf``: which slot, method and inputs each feature has.

The format is line-oriented text. Blank lines and ``#`` comments are skipped;
``column_name: a, b`` lists column names; ``cache_column: X`` names a cache column;
lines that start with ``feed`` or ``cache`` are feed / cache entries; every other
line is a feature, written as space-separated ``key=value`` pairs whose values may
themselves hold spaces or commas::

    feature_name=f_user_id depend=user_id method=Identity slot=1 feature_version=2

monogen needs the slot and method of each feature (the method decides whether a
feature is sequence-like); the other keys are kept so nothing a user wrote is lost.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monogen.errors import FeatureListError

_TRUE = {"true", "yes", "t", "y", "1"}
_FALSE = {"false", "no", "f", "n", "0"}
# A key starts a pair when it is at the start of the line or follows white space.
_KEY = re.compile(r"(?:^|(?<=\s))([A-Za-z_][A-Za-z0-9_]*)=")


@dataclass(frozen=True)
class FeatureConf:
    """One feature line of a feature list."""

    feature_name: str
    depend: tuple[str, ...] = ()
    method: str | None = None
    slot: int | None = None
    args: tuple[str, ...] = ()
    feature_version: int | None = None
    shared: bool = False
    cache_keys: tuple[str, ...] = ()
    need_raw: bool = False
    feature_id: int | None = None
    input_optional: tuple[bool, ...] = ()
    feature_group: tuple[str, ...] = ()


@dataclass
class FeatureList:
    """A parsed feature list: features by name, plus its column and cache entries."""

    path: str = "<memory>"
    features: dict[str, FeatureConf] = field(default_factory=dict)
    column_names: list[str] = field(default_factory=list)
    cache_columns: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    caches: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.features)

    def get(self, name: str) -> FeatureConf | None:
        """Look a feature up the ways Monolith configs name it.

        The bare name, ``f_<name>`` and ``fc_<name>``; for a crossed name such as
        ``user_id-item_id``, each part prefixed (``f_user_id-f_item_id``).
        """
        for candidate in _candidates(name):
            conf = self.features.get(candidate)
            if conf is not None:
                return conf
        return None


def _candidates(name: str) -> list[str]:
    names = [name, f"f_{name}", f"fc_{name}"]
    if "-" in name:
        parts = name.split("-")
        names += ["-".join(f"{prefix}{p}" for p in parts) for prefix in ("f_", "fc_")]
    return names


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split(",") if p.strip())


def _parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"expected a boolean (true/false), got {value!r}")


def _parse_bools(value: str) -> tuple[bool, ...]:
    return tuple(_parse_bool(v) for v in _split_list(value))


def _identity(value: str) -> str:
    return value


# key -> how its value is parsed; unknown keys are ignored.
_FIELD_PARSERS: dict[str, Callable[[str], Any]] = {
    "feature_name": _identity,
    "depend": _split_list,
    "method": _identity,
    "slot": int,
    "args": _split_list,
    "feature_version": int,
    "shared": _parse_bool,
    "cache_keys": _split_list,
    "need_raw": _parse_bool,
    "feature_id": int,
    "input_optional": _parse_bools,
    "feature_group": _split_list,
}


def parse_feature_line(line: str) -> FeatureConf:
    """Parse one feature line; raises ``ValueError`` with a reason (no location)."""
    matches = list(_KEY.finditer(line))
    if not matches:
        raise ValueError("expected key=value pairs")
    leading = line[: matches[0].start()].strip()
    if leading:
        raise ValueError(f"unexpected text {leading!r} before the first key=value pair")
    values: dict[str, Any] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        key = match.group(1)
        end = following.start() if following else len(line)
        raw = line[match.end() : end].strip().rstrip(",;").strip()
        parser = _FIELD_PARSERS.get(key)
        if parser is None:
            continue
        try:
            values[key] = parser(raw)
        except ValueError as exc:
            raise ValueError(f"bad value for {key}: {exc}") from None
    if not values.get("feature_name"):
        raise ValueError("feature line has no feature_name")
    return FeatureConf(**values)


def parse_feature_list(lines: Iterable[str], *, path: str = "<memory>") -> FeatureList:
    """Parse feature-list text; a malformed line raises ``FeatureListError`` naming path:line."""
    result = FeatureList(path=path)
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            _parse_line(result, line)
        except ValueError as exc:
            raise FeatureListError(f"{path}:{lineno}: {exc}") from None
    if not result.features:
        raise FeatureListError(f"{path}: the feature list defines no features")
    return result


def _parse_line(result: FeatureList, line: str) -> None:
    if line.startswith("column_name:"):
        result.column_names.extend(_split_list(line.partition(":")[2]))
    elif line.startswith("cache_column:"):
        result.cache_columns.append(line.partition(":")[2].strip())
    elif line.startswith("feed"):
        result.feeds.append(line)
    elif line.startswith("cache"):
        result.caches.append(line)
    else:
        conf = parse_feature_line(line)
        if conf.feature_name in result.features:
            raise ValueError(f"feature {conf.feature_name!r} is defined twice")
        result.features[conf.feature_name] = conf


def load_feature_list(path: str | os.PathLike[str]) -> FeatureList:
    """Read and parse a feature list file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise FeatureListError(f"cannot read feature list {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise FeatureListError(f"{path}: not UTF-8 text ({exc.reason})") from None
    return parse_feature_list(text.splitlines(), path=str(path))
