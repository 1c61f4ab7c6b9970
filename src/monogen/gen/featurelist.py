"""Monolith's ``feature_list.conf``, read the way Monolith's ``FeatureList.parse`` reads it.

The grammar (docs/generation.md, ``feature_list.conf``), line by line after
stripping; blank lines and ``#`` comments are skipped:

* ``column_name`` ...  -- the column names: the text after the first 12 characters
  (``column_name:``), split on ``,``; real files also write ``column_name : a, b``,
  so a leading ``:`` left on the first item is dropped;
* ``cache_column`` ... -- one cache entry whose value is the text after ``cache_column:``;
* anything else is ``key=value`` pairs. Split on ``=``: a key is the last
  white-space-separated token before an ``=``, its value everything from that ``=``
  up to the white space before the next key (or the end of the line), stripped, then
  a trailing ``,`` and then ``;`` removed. So ``a=1 b=2`` and ``a=1; b=2`` both
  work and values may hold spaces and commas (but not ``=``). Lines starting
  ``feed`` are feeds, lines starting ``cache`` caches, all others features::

    feed_name=user_id; shared=true; feature_id=368190
    feature_name=fc_x_recent; depend=x_recent; method=VectorTopString; feature_version=2; slot=2071

Where Monolith crashes or silently mis-reads (a value that is not of its key's
type, two pairs with no space between them, a fid-v1 slot above 1023), this module
raises ``FeatureListError`` naming the file and line. Unknown keys are kept in
``unknown_keys``. As in Monolith a later feature of the same name replaces an
earlier one, and several features may share a slot.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from monogen.errors import FeatureListError, UnknownFeatureError
from monogen.gen import fids

__all__ = [
    "Cache",
    "Feature",
    "FeatureList",
    "Feed",
    "load_feature_list",
    "parse_feature_list",
    "parse_pairs",
]

_TRUE = frozenset({"true", "yes", "t", "y", "1"})
_FALSE = frozenset({"false", "no", "f", "n", "0"})
COLUMN_NAME = "column_name"
CACHE_COLUMN = "cache_column"
_COLUMN_PREFIX_LEN = len(COLUMN_NAME + ":")
_CACHE_COLUMN_PREFIX_LEN = len(CACHE_COLUMN + ":")


# --------------------------------------------------------------------------- value types


def _to_int(key: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{key}: {value!r} is not an integer") from None


def _to_bool(key: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{key}: {value!r} is not a boolean (true/yes/t/y/1 or false/no/f/n/0)")


def _to_list(key: str, value: str) -> list[str]:
    """Comma items, stripped and unquoted; as in Monolith, empty items are kept."""
    return [item.strip().replace('"', "").replace("'", "") for item in value.strip().split(",")]


def _to_bools(key: str, value: str) -> list[bool]:
    result = []
    for item in _to_list(key, value):
        if item not in ("true", "false"):
            raise ValueError(f"{key}: {item!r} is not true/false")
        result.append(item == "true")
    return result


Converter = Callable[[str, str], Any]


class _Entry:
    """Shared by feeds, caches and features: string values converted by ``TYPES``."""

    TYPES: ClassVar[dict[str, Converter]] = {}
    unknown_keys: dict[str, str]

    def _convert(self) -> None:
        for key, convert in self.TYPES.items():
            value = getattr(self, key)
            if isinstance(value, str):
                setattr(self, key, convert(key, value))

    @classmethod
    def from_pairs(cls, pairs: dict[str, str]) -> Any:
        """Known keys become fields (converted), the rest go to ``unknown_keys``."""
        known = {f.name for f in fields(cls)} - {"unknown_keys"}  # type: ignore[arg-type]
        values: dict[str, Any] = {k: v for k, v in pairs.items() if k in known}
        unknown = {k: v for k, v in pairs.items() if k not in known}
        factory: Callable[..., Any] = cls
        return factory(**values, unknown_keys=unknown)


@dataclass
class Feed(_Entry):
    """A ``feed_name=...`` line."""

    TYPES: ClassVar[dict[str, Converter]] = {"shared": _to_bool, "feature_id": _to_int}
    feed_name: str | None = None
    shared: bool = False
    feature_id: int | None = None
    unknown_keys: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._convert()
        if not self.feed_name:
            raise ValueError("feed line has no feed_name")

    @property
    def name(self) -> str | None:
        return self.feed_name


@dataclass
class Cache(_Entry):
    """A ``cache...`` line or a ``cache_column:`` line."""

    TYPES: ClassVar[dict[str, Converter]] = {"capacity": _to_int, "timeout": _to_int}
    cache_column: str | None = None
    cache_name: str | None = None
    capacity: int | None = None
    timeout: int | None = None
    cache_type: str | None = None
    cache_key_class: str | None = None
    unknown_keys: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._convert()
        if self.cache_name is None and self.cache_key_class is None and self.cache_column is None:
            raise ValueError("cache line has no cache_name, cache_key_class or cache_column")

    @property
    def name(self) -> str:
        """Monolith's key for the entry: its cache name, key class, or ``cache_column``."""
        return self.cache_name or self.cache_key_class or CACHE_COLUMN


@dataclass
class Feature(_Entry):
    """A feature line, with Monolith's field names and types.

    Built from strings (as the parser does, and as Monolith's ``new_instance`` did)
    or from typed values. ``fid_version`` is 2 for ``feature_version=2`` or a slot
    above 1023, else 1.
    """

    TYPES: ClassVar[dict[str, Converter]] = {
        "depend": _to_list,
        "slot": _to_int,
        "args": _to_list,
        "feature_version": _to_int,
        "shared": _to_bool,
        "cache_keys": _to_list,
        "need_raw": _to_bool,
        "feature_id": _to_int,
        "input_optional": _to_bools,
        "feature_group": _to_list,
    }
    feature_name: str | None = None
    depend: list[str] | None = None
    method: str | None = None
    slot: int | None = None
    args: list[str] | None = None
    feature_version: int | None = None
    shared: bool = False
    cache_keys: list[str] | None = None
    need_raw: bool = False
    feature_id: int | None = None
    input_optional: list[bool] | None = None
    feature_group: list[str] | None = None
    unknown_keys: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._convert()
        if not self.feature_name:
            raise ValueError("feature line has no feature_name")
        if self.feature_version not in (None, 1, 2):
            raise ValueError(f"feature_version must be 1 or 2, not {self.feature_version}")
        if self.slot is not None:
            if self.feature_version == 1 and self.slot > fids.MAX_SLOT_V1:
                raise ValueError(
                    f"slot {self.slot} is above {fids.MAX_SLOT_V1}, the largest fid-v1 slot, "
                    "but feature_version=1"
                )
            fids.V2.check_slot(self.slot)

    @property
    def fid_version(self) -> int:
        """2 when ``feature_version=2`` or the slot only fits fid v2, else 1."""
        if self.feature_version == 2:
            return 2
        return 2 if self.slot is not None and self.slot > fids.MAX_SLOT_V1 else 1

    @property
    def name(self) -> str:
        """Monolith's short name: ``fc_`` dropped from each term, lower-cased.

        Monolith drops ``f_`` from each term only when the whole name starts with
        ``f_``; that quirk is kept so keys match ``use_old_name=False`` lists.
        """
        name = self.feature_name or ""
        terms = []
        for term in name.split("-"):
            if term.startswith("fc_"):
                term = term[3:]
            elif name.startswith("f_"):
                term = term[2:]
            terms.append(term)
        return "-".join(terms).lower()

    @property
    def depend_strip_prefix(self) -> list[str]:
        """``depend`` with ``fc_``/``f_`` dropped from each term, lower-cased."""
        result = []
        for dep in self.depend or []:
            terms = [t[3:] if t.startswith("fc_") else t.removeprefix("f_") for t in dep.split("-")]
            result.append("-".join(terms).lower())
        return result


# --------------------------------------------------------------------------- the list


class FeatureList:
    """A parsed feature list with Monolith's lookups.

    ``fl[name]`` tries the name, ``f_<name>``, ``fc_<name>``, then for a ``-``-joined
    name every term prefixed ``fc_``, then ``f_``; ``fl[slot]`` is the first feature
    with that slot; ``get`` returns a default instead of raising; ``in`` knows names
    (with the two prefixes) and slots.
    """

    def __init__(
        self,
        column_name: set[str] | None,
        feeds: dict[str, Feed],
        caches: dict[str, Cache],
        features: dict[str, Feature],
        *,
        path: str = "<memory>",
    ) -> None:
        self.column_name = column_name
        self.feeds = feeds
        self.caches = caches
        self.features = features
        self.path = path
        self._slots: dict[int | None, list[Feature]] = {}
        for feature in features.values():
            self._slots.setdefault(feature.slot, []).append(feature)

    @classmethod
    def parse(
        cls, fname: str | os.PathLike[str] | None = None, use_old_name: bool = True
    ) -> FeatureList:
        """Read a feature list file (Monolith's signature; ``fname`` is required here,
        since there is no ``FLAGS.feature_list`` to fall back on)."""
        if fname is None:
            raise FeatureListError("FeatureList.parse: fname is required")
        return load_feature_list(fname, use_old_name=use_old_name)

    def __getitem__(self, item: int | str) -> Feature:
        found = self._find(item)
        if found is None:
            raise UnknownFeatureError(f"there is no feature {item!r} in {self.path}")
        return found

    def get(self, item: int | str, default: Any = None) -> Any:
        found = self._find(item)
        return default if found is None else found

    def get_with_slot(self, slot: int | None) -> list[Feature]:
        return list(self._slots.get(slot, []))

    def __len__(self) -> int:
        return len(self.features)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, int):
            return item in self._slots
        if not isinstance(item, str):
            return False
        return any(name in self.features for name in (item, f"f_{item}", f"fc_{item}"))

    def __iter__(self) -> Iterator[Feature]:
        return iter(self.features.values())

    def __repr__(self) -> str:
        return f"FeatureList({self.path!r}, {len(self)} features)"

    def _find(self, item: int | str) -> Feature | None:
        if isinstance(item, int):
            same_slot = self._slots.get(item)
            return same_slot[0] if same_slot else None
        name = item.strip()
        candidates = [name, f"f_{name}", f"fc_{name}"]
        if "-" in name:
            terms = name.split("-")
            candidates += ["-".join(prefix + t for t in terms) for prefix in ("fc_", "f_")]
        return next((self.features[c] for c in candidates if c in self.features), None)


# --------------------------------------------------------------------------- parsing


def parse_pairs(line: str) -> dict[str, str]:
    """The ``key=value`` pairs of one line; raises ``ValueError`` with the reason."""
    items = line.split("=")
    if len(items) < 2:
        raise ValueError("expected key=value pairs")
    pairs: dict[str, str] = {}
    lead = items[0].split()
    if len(lead) != 1:
        if not lead:
            raise ValueError("a '=' with no key before it")
        raise ValueError(f"unexpected text {' '.join(lead[:-1])!r} before the first key")
    key = lead[0]
    for index in range(1, len(items)):
        if index == len(items) - 1:
            value, next_key = items[index], None
        else:
            tokens = items[index].rsplit(maxsplit=1)
            if not tokens:
                raise ValueError(f"a '=' with no key before it, after key {key!r}")
            if len(tokens) == 1:
                raise ValueError(
                    f"cannot tell where the value of {key!r} ends and the next key starts "
                    f"in {items[index]!r}: separate pairs with a space (values cannot hold '=')"
                )
            value, next_key = tokens[0], tokens[1]
        pairs[key] = value.strip().rstrip(",").rstrip(";").rstrip()
        if next_key is not None:
            key = next_key
    return pairs


def _column_names(line: str) -> set[str]:
    items = [item.strip() for item in line[_COLUMN_PREFIX_LEN:].split(",")]
    if items[0].startswith(":"):  # 'column_name : a, b' leaves ': a' first
        items[0] = items[0][1:].strip()
    return set(items)


def parse_feature_list(
    lines: Iterable[str], *, path: str = "<memory>", use_old_name: bool = True
) -> FeatureList:
    """Parse feature-list text; a bad line raises ``FeatureListError`` naming path:line.

    ``use_old_name=False`` keys features by their short ``name`` (Monolith's option).
    """
    column_name: set[str] | None = None
    feeds: dict[str, Feed] = {}
    caches: dict[str, Cache] = {}
    features: dict[str, Feature] = {}
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            if line.startswith(COLUMN_NAME):
                column_name = _column_names(line)
            elif line.startswith(CACHE_COLUMN):
                cache = Cache(cache_column=line[_CACHE_COLUMN_PREFIX_LEN:].strip())
                caches[cache.name] = cache
            elif line.startswith("feed"):
                feed: Feed = Feed.from_pairs(parse_pairs(line))
                feeds[feed.feed_name or ""] = feed
            elif line.startswith("cache"):
                cache = Cache.from_pairs(parse_pairs(line))
                caches[cache.name] = cache
            else:
                feature: Feature = Feature.from_pairs(parse_pairs(line))
                features[feature.feature_name if use_old_name else feature.name] = feature  # type: ignore[index]
        except ValueError as exc:
            raise FeatureListError(f"{path}:{lineno}: {exc}") from None
    return FeatureList(column_name, feeds, caches, features, path=path)


def load_feature_list(path: str | os.PathLike[str], *, use_old_name: bool = True) -> FeatureList:
    """Read and parse a feature list file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise FeatureListError(f"cannot read feature list {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise FeatureListError(f"{path}: not UTF-8 text ({exc.reason})") from None
    return parse_feature_list(text.splitlines(), path=str(path), use_old_name=use_old_name)
