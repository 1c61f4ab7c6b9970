"""The draws behind generation specs (``gen.spec``): id ranks, ids per row, dense values.

Every function takes the batch's ``numpy.random.Generator`` and draws a whole
batch in a few vectorised calls, so a spec costs a constant number of numpy calls
per feature and batch, not per value.

Ranks become fids through ``rank_hashes``: a fixed 64-bit mix of (feature, rank),
so rank *r* of a feature is the same fid in every record, shard and run — real
ids repeat, and an embedding table sized from this data sees the same hot keys a
production table does (docs/generation.md, "Generation specs").
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from monogen.gen.spec import DenseGen, IdSpec, LengthSpec

_U64 = np.uint64
# splitmix64's constants (Steele, Lea and Flood, "Fast splittable pseudorandom
# number generators", 2014): a Weyl increment and two multipliers of its finaliser.
_GAMMA = _U64(0x9E3779B97F4A7C15)
_MIX1 = _U64(0xBF58476D1CE4E5B9)
_MIX2 = _U64(0x94D049BB133111EB)
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3


def feature_key(name: str) -> int:
    """A stable 64-bit key for a feature name (FNV-1a over its UTF-8 bytes)."""
    h = _FNV_OFFSET
    for byte in name.encode("utf-8"):
        h = ((h ^ byte) * _FNV_PRIME) & 0xFFFF_FFFF_FFFF_FFFF
    return h


def rank_hashes(key: int | np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """splitmix64 of ``key + (rank + 1) * gamma``: distinct ranks give unrelated hashes.

    ``key`` is one feature's key, or an array of keys beside ``ranks``.
    """
    z = ranks.astype(_U64)  # a copy, mixed in place below
    with np.errstate(over="ignore"):
        z += _U64(1)
        z *= _GAMMA
        z += np.asarray(key, dtype=_U64)
        for shift, multiplier in ((_U64(30), _MIX1), (_U64(27), _MIX2)):
            z ^= z >> shift
            z *= multiplier
        z ^= z >> _U64(31)
    return z


def draw_ranks(rng: np.random.Generator, spec: IdSpec, shape: tuple[int, ...]) -> np.ndarray:
    """Ranks in ``[0, vocabulary)``: rank 0 is the most frequent id."""
    vocabulary = spec.vocabulary or 1
    if spec.distribution == "zipf":
        return zipf_ranks(rng, spec.alpha, vocabulary, shape)
    if spec.distribution == "lognormal":
        ranks = np.floor(rng.lognormal(0.0, spec.sigma, size=shape)) - 1
        return np.minimum(ranks, vocabulary - 1).astype(np.int64)
    return rng.integers(0, vocabulary, size=shape, dtype=np.int64)


def zipf_ranks(
    rng: np.random.Generator, alpha: float, vocabulary: int, shape: tuple[int, ...]
) -> np.ndarray:
    """Exact draws of P(k) proportional to k ** -alpha on k = 1..vocabulary, minus one.

    Rejection-inversion (Hörmann and Derflinger, "Rejection-inversion to generate
    variates from monotone discrete distributions", 1996): invert H, the integral
    of the continuous density x ** -alpha, round to the nearest integer, and accept
    with a test that makes the result exact. It needs no table (a 10-million-id
    vocabulary costs nothing to set up), works for any alpha > 0, and the cheap
    first test accepts almost every proposal, so the exact test runs on a few.
    """
    big_h, big_h_inv = _zipf_integral(alpha)
    n = float(vocabulary)
    h_x1 = float(big_h(np.float64(1.5))) - 1.0
    h_n = float(big_h(np.float64(n + 0.5)))
    s = 2.0 - float(big_h_inv(big_h(np.float64(2.5)) - 2.0**-alpha))
    size = math.prod(shape)
    out = np.empty(size, dtype=np.int64)
    pending: np.ndarray | None = None  # None: every position (the first round)
    while pending is None or pending.size:
        count = size if pending is None else pending.size
        u = rng.random(count)
        u *= h_x1 - h_n
        u += h_n
        x = big_h_inv(u)
        k = np.floor(x + 0.5)
        np.clip(k, 1.0, n, out=k)
        accept = k - x <= s
        doubtful = np.flatnonzero(~accept)
        if doubtful.size:
            kd = k[doubtful]
            accept[doubtful] = u[doubtful] >= big_h(kd + 0.5) - np.power(kd, -alpha)
        ranks = k.astype(np.int64)
        ranks -= 1
        if pending is None:
            out[:] = ranks
            pending = np.flatnonzero(~accept)
        else:
            out[pending[accept]] = ranks[accept]
            pending = pending[~accept]
    return out.reshape(shape)


_Fn = Callable[[np.ndarray], np.ndarray]


def _zipf_integral(alpha: float) -> tuple[_Fn, _Fn]:
    """H(x), the integral of x ** -alpha (up to a constant), and its inverse."""
    if alpha == 1.0:
        return np.log, np.exp
    b = 1.0 - alpha

    def big_h(x: np.ndarray) -> np.ndarray:
        return (np.power(x, b) - 1.0) / b

    def big_h_inv(y: np.ndarray) -> np.ndarray:
        return np.power(1.0 + y * b, 1.0 / b)

    return big_h, big_h_inv


def draw_lengths(rng: np.random.Generator, spec: LengthSpec, shape: tuple[int, ...]) -> np.ndarray:
    """Ids per row, within ``[spec.low, spec.high]``."""
    if spec.mean is not None:
        return np.clip(rng.poisson(spec.mean, size=shape), spec.low, spec.high).astype(np.int64)
    if spec.low == spec.high:
        return np.full(shape, spec.low, dtype=np.int64)
    return rng.integers(spec.low, spec.high, size=shape, endpoint=True, dtype=np.int64)


def draw_values(
    rng: np.random.Generator, spec: DenseGen, size: tuple[int, int], dtype: type
) -> np.ndarray:
    """Dense values from ``spec``, clipped when asked, as ``dtype``."""
    if spec.distribution == "normal":
        values = rng.normal(spec.mean, spec.std, size=size)
    elif spec.distribution == "lognormal":
        values = rng.lognormal(spec.mean, spec.std, size=size)
    else:
        values = rng.uniform(spec.low, spec.high, size=size)
    if spec.clip is not None:
        np.clip(values, spec.clip[0], spec.clip[1], out=values)
    if np.issubdtype(dtype, np.integer):
        return np.floor(values).astype(dtype)
    return values.astype(dtype)
