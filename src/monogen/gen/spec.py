"""Per-feature generation specs: which ids, how many per row, how often, which values.

Monolith's original drew every fid uniformly over 48 or 54 bits, 0-3 ids per
feature and coin-flip labels. A spec replaces that, feature by feature, with the
shapes real recommender data has (docs/generation.md, "Generation specs"):

    [features.default]          # every sparse feature without a table of its own
    ids = "zipf"                # uniform | zipf | lognormal
    alpha = 1.1                 # zipf exponent (> 0)
    vocabulary = 10_000_000     # distinct ids the feature can take
    ids_per_row = "1..3"        # N | "MIN..MAX" | "poisson:MEAN"
    fill = 0.8                  # share of rows that carry the feature

    [features.item_price]       # a dense feature
    values = "lognormal"        # uniform (lo, hi) | normal (mean, std) | lognormal (mean, std)
    mean = 2.0
    std = 0.5
    clip = [0.0, 1000.0]

    [labels]
    positive_rate = 0.02        # or one rate per label head: [0.02, 0.1]

Nothing given means today's behaviour exactly. This module only parses and checks
(it is numpy-free); ``gen.distributions`` draws.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from monogen.errors import SchemaError

ID_DISTRIBUTIONS = ("uniform", "zipf", "lognormal")
VALUE_DISTRIBUTIONS = ("uniform", "normal", "lognormal")
# The table that applies to every sparse feature without one of its own.
DEFAULT_TABLE = "default"
# A table's observations (what ``monogen profile`` saw); read by people, not by the generator.
OBSERVED_KEY = "observed"
# Poisson lengths are cut here unless ``max_ids_per_row`` says otherwise: mean + 6 sd + 1
# keeps the cut below one row in a billion for any mean.
POISSON_TAIL_SDS = 6.0

_RANGE = re.compile(r"^\s*(\d+)\s*\.\.\s*(\d+)\s*$")
_POISSON = re.compile(r"^\s*poisson\s*:\s*([0-9.eE+-]+)\s*$")


@dataclass(frozen=True)
class IdSpec:
    """Where a feature's ids come from: ranks over a vocabulary, hashed to fids.

    ``vocabulary`` None (uniform only) keeps the original's raw random hashes.
    """

    distribution: str = "uniform"
    vocabulary: int | None = None
    alpha: float = 1.1  # zipf: P(rank r) is proportional to r ** -alpha
    sigma: float = 1.0  # lognormal: rank = floor(exp(N(0, sigma))) - 1, cut at the vocabulary

    @property
    def ranked(self) -> bool:
        return self.vocabulary is not None


@dataclass(frozen=True)
class LengthSpec:
    """How many ids a row that carries the feature holds: fixed, a range, or Poisson."""

    low: int
    high: int
    mean: float | None = None  # Poisson mean; low/high then bound the draw

    @property
    def is_poisson(self) -> bool:
        return self.mean is not None


@dataclass(frozen=True)
class SparseGen:
    """One sparse feature's spec; None fields keep the feature kind's original rule."""

    ids: IdSpec | None = None
    length: LengthSpec | None = None
    fill: float | None = None

    @property
    def max_ids(self) -> int | None:
        return None if self.length is None else self.length.high


@dataclass(frozen=True)
class DenseGen:
    """One dense feature's value distribution, optionally clipped."""

    distribution: str = "uniform"
    low: float = 0.0
    high: float = 1.0
    mean: float = 0.0
    std: float = 1.0
    clip: tuple[float, float] | None = None


@dataclass(frozen=True)
class GenSpec:
    """Specs by feature name, a default for sparse features, and label rates."""

    sparse: Mapping[str, SparseGen] = field(default_factory=dict)
    dense: Mapping[str, DenseGen] = field(default_factory=dict)
    default_sparse: SparseGen | None = None
    positive_rate: tuple[float, ...] | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.sparse or self.dense or self.default_sparse or self.positive_rate)

    def for_sparse(self, name: str) -> SparseGen | None:
        return self.sparse.get(name, self.default_sparse)

    def for_dense(self, name: str) -> DenseGen | None:
        return self.dense.get(name)

    def with_default(self, default: SparseGen) -> GenSpec:
        """This spec with ``default``'s fields filling the default table's unset ones."""
        base = self.default_sparse or SparseGen()
        merged = SparseGen(
            ids=default.ids or base.ids,
            length=default.length or base.length,
            fill=base.fill if default.fill is None else default.fill,
        )
        return replace(self, default_sparse=merged)


def parse_spec(
    data: Mapping[str, Any], *, source: str, dense_names: frozenset[str] = frozenset()
) -> GenSpec:
    """The spec in ``data``'s ``features`` and ``labels`` tables (a parsed TOML file).

    ``dense_names`` says which tables describe dense features (their keys differ);
    any other table is a sparse feature. Unknown keys are errors naming ``source``
    and the table, so a typo does not silently generate uniform data.
    """
    features = _table(data, "features", source)
    sparse: dict[str, SparseGen] = {}
    dense: dict[str, DenseGen] = {}
    default = None
    for name, table in features.items():
        where = f"{source}: [features.{name}]"
        if not isinstance(table, Mapping):
            raise SchemaError(f"{where} must be a table, found {table!r}")
        if name in dense_names:
            dense[name] = parse_dense(table, where=where)
        elif name == DEFAULT_TABLE:
            default = parse_sparse(table, where=where)
        else:
            sparse[name] = parse_sparse(table, where=where)
    labels = _table(data, "labels", source)
    unknown = sorted(set(labels) - {"positive_rate", OBSERVED_KEY})
    if unknown:
        raise SchemaError(f"{source}: [labels] unknown key(s) {unknown}")
    rate = labels.get("positive_rate")
    return GenSpec(sparse, dense, default, None if rate is None else parse_rates(rate, source))


def load_spec(path: str, *, dense_names: frozenset[str] = frozenset()) -> GenSpec:
    """The spec in the TOML file ``path`` (its other keys and tables are not the spec's)."""
    from monogen.config import read_toml

    data = read_toml(path, "spec file", SchemaError)
    return parse_spec(data, source=str(path), dense_names=dense_names)


def parse_sparse(table: Mapping[str, Any], *, where: str) -> SparseGen:
    """A sparse feature's table: its ids, ids per row and fill rate."""
    _check_keys(
        table,
        {"ids", "vocabulary", "alpha", "sigma", "ids_per_row", "max_ids_per_row", "fill"},
        where,
    )
    ids = None
    if any(k in table for k in ("ids", "vocabulary", "alpha", "sigma")):
        ids = parse_ids(
            str(table.get("ids", "uniform")),
            vocabulary=table.get("vocabulary"),
            alpha=table.get("alpha"),
            sigma=table.get("sigma"),
            where=where,
        )
    length = None
    if "ids_per_row" in table:
        length = parse_length(table["ids_per_row"], where=where, cap=table.get("max_ids_per_row"))
    elif "max_ids_per_row" in table:
        raise SchemaError(f"{where}: max_ids_per_row needs ids_per_row")
    fill = None if "fill" not in table else _rate(table["fill"], f"{where} fill")
    return SparseGen(ids, length, fill)


def parse_ids(
    distribution: str,
    *,
    vocabulary: object = None,
    alpha: object = None,
    sigma: object = None,
    where: str,
) -> IdSpec:
    """Check an id distribution and its parameters."""
    dist = distribution.strip().lower()
    if dist not in ID_DISTRIBUTIONS:
        raise SchemaError(
            f"{where}: ids must be one of {', '.join(ID_DISTRIBUTIONS)}, not {distribution!r}"
        )
    vocab = None if vocabulary is None else _count(vocabulary, f"{where} vocabulary")
    if dist != "uniform" and vocab is None:
        raise SchemaError(f"{where}: ids = {dist!r} needs a vocabulary size")
    if dist != "zipf" and alpha is not None:
        raise SchemaError(f"{where}: alpha applies to zipf ids only")
    if dist != "lognormal" and sigma is not None:
        raise SchemaError(f"{where}: sigma applies to lognormal ids only")
    spec = IdSpec(dist, vocab)
    if alpha is not None:
        spec = replace(spec, alpha=_positive(alpha, f"{where} alpha"))
    if sigma is not None:
        spec = replace(spec, sigma=_positive(sigma, f"{where} sigma"))
    return spec


def parse_length(value: object, *, where: str, cap: object = None) -> LengthSpec:
    """``N``, ``"MIN..MAX"`` or ``"poisson:MEAN"`` ids per row."""
    limit = None if cap is None else _count(cap, f"{where} max_ids_per_row")
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise SchemaError(f"{where}: ids_per_row must be >= 0, not {value}")
        return LengthSpec(value, value)
    text = str(value) if isinstance(value, str) else None
    if text is not None and text.strip().isdigit():
        return parse_length(int(text), where=where, cap=cap)
    if text is not None and (m := _RANGE.match(text)):
        low, high = int(m.group(1)), int(m.group(2))
        if low > high:
            raise SchemaError(f"{where}: ids_per_row {text!r} has MIN above MAX")
        return LengthSpec(low, high)
    if text is not None and (m := _POISSON.match(text)):
        try:
            mean = float(m.group(1))
        except ValueError:
            mean = math.nan
        if not (math.isfinite(mean) and mean > 0):
            raise SchemaError(f"{where}: ids_per_row {text!r} needs a positive mean")
        high = limit or int(mean + POISSON_TAIL_SDS * math.sqrt(mean)) + 1
        return LengthSpec(0, high, mean)
    raise SchemaError(
        f"{where}: ids_per_row must be N, 'MIN..MAX' or 'poisson:MEAN', not {value!r}"
    )


def parse_dense(table: Mapping[str, Any], *, where: str) -> DenseGen:
    """A dense feature's table: ``values`` and its parameters, ``clip``."""
    _check_keys(table, {"values", "lo", "hi", "mean", "std", "clip", OBSERVED_KEY}, where)
    dist = str(table.get("values", "uniform")).strip().lower()
    if dist not in VALUE_DISTRIBUTIONS:
        raise SchemaError(
            f"{where}: values must be one of {', '.join(VALUE_DISTRIBUTIONS)}, not {dist!r}"
        )
    allowed = {"uniform": {"lo", "hi"}, "normal": {"mean", "std"}, "lognormal": {"mean", "std"}}
    stray = sorted(set(table) & {"lo", "hi", "mean", "std"} - allowed[dist])
    if stray:
        raise SchemaError(f"{where}: {', '.join(stray)} do not apply to {dist} values")
    default = DenseGen()

    def number(key: str, fallback: float) -> float:
        return _number(table[key], f"{where} {key}") if key in table else fallback

    std = _positive(table["std"], f"{where} std") if "std" in table else default.std
    spec = DenseGen(
        dist, number("lo", default.low), number("hi", default.high), number("mean", 0.0), std
    )
    if spec.low >= spec.high:
        raise SchemaError(f"{where}: lo must be below hi")
    if "clip" in table:
        clip = table["clip"]
        if not (isinstance(clip, list) and len(clip) == 2):
            raise SchemaError(f"{where}: clip must be [LOW, HIGH], found {clip!r}")
        low, high = (_number(v, f"{where} clip") for v in clip)
        if low > high:
            raise SchemaError(f"{where}: clip [{low}, {high}] has LOW above HIGH")
        spec = replace(spec, clip=(low, high))
    return spec


def parse_rates(value: object, source: str) -> tuple[float, ...]:
    """One positive rate, or one per label head."""
    values = value if isinstance(value, list) else [value]
    if not values:
        raise SchemaError(f"{source}: positive_rate must not be empty")
    return tuple(_rate(v, f"{source}: positive_rate") for v in values)


def _table(data: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    table = data.get(key, {})
    if not isinstance(table, Mapping):
        raise SchemaError(f"{source}: {key} must be a table, found {table!r}")
    return table


def _check_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed - {OBSERVED_KEY})
    if unknown:
        raise SchemaError(
            f"{where}: unknown key(s) {unknown} (known: {', '.join(sorted(allowed))})"
        )


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SchemaError(f"{what} must be a finite number, found {value!r}")
    return float(value)


def _positive(value: object, what: str) -> float:
    number = _number(value, what)
    if number <= 0:
        raise SchemaError(f"{what} must be > 0, found {value!r}")
    return number


def _rate(value: object, what: str) -> float:
    number = _number(value, what)
    if not 0.0 <= number <= 1.0:
        raise SchemaError(f"{what} must be within [0, 1], found {value!r}")
    return number


def _count(value: object, what: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 1e7 in TOML is a float
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SchemaError(f"{what} must be a whole number >= 1, found {value!r}")
    return value
