"""Each batch's random stream, seeded as ``SeedSequence(seed, spawn_key=(i,))`` seeds PCG64.

Batch *i* of a run draws from the ``PCG64`` stream that
``PCG64(SeedSequence(seed, spawn_key=(i,)))`` starts (docs/generation.md,
"Reproducibility"). Building those two objects for every batch costs more than
drawing a small batch, so ``BatchStreams`` computes the same states itself:
numpy's ``SeedSequence`` hash (a fixed, documented-stable mix of 32-bit words)
for a block of consecutive batches in a few array operations, then PCG64's own
seeding in Python integers, and sets them on one reused bit generator.

What the seed alone contributes to the hash (its words and the pool mixed from
them) is the same for every batch and is worked out once; only the batch index's
words are mixed per block. The states equal numpy's for every seed and index,
which the tests check against numpy itself.
"""

from __future__ import annotations

import numpy as np

# numpy.random.SeedSequence's constants (numpy/random/bit_generator.pyx), from
# Melissa O'Neill's seed_seq_fe: the pool size, the two hash multipliers and their
# start values, the mixing multipliers, and the xor-shift.
POOL_SIZE = 4
INIT_A = 0x43B0D7E5
MULT_A = 0x931E8875
INIT_B = 0x8B51F9DD
MULT_B = 0x58F38DED
MIX_MULT_L = 0xCA01F9DD
MIX_MULT_R = 0x4973F715
XSHIFT = 16
MASK32 = 0xFFFF_FFFF
# PCG64's 128-bit LCG multiplier (PCG_DEFAULT_MULTIPLIER_128 in numpy's pcg64.h).
PCG_MULTIPLIER = (2549297995355413924 << 64) + 4865540595714422341
MASK128 = (1 << 128) - 1
# Batches whose states are worked out together.
BLOCK = 256

_U32 = np.uint32


def uint32_words(value: int) -> list[int]:
    """``value``'s 32-bit words, least significant first (``[0]`` for 0), as
    ``SeedSequence`` splits an integer."""
    if value < 0:
        raise ValueError(f"a seed or batch index is >= 0, not {value}")
    words = [value & MASK32]
    value >>= 32
    while value:
        words.append(value & MASK32)
        value >>= 32
    return words


class _Hash:
    """``SeedSequence``'s ``hashmix`` and ``mix`` on uint32 arrays (a word per batch);
    the multiplier advances with every hashmix, whatever the data."""

    def __init__(self, const: int = INIT_A) -> None:
        self.const = const

    def hashmix(self, value: np.ndarray) -> np.ndarray:
        value = value ^ _U32(self.const)
        self.const = (self.const * MULT_A) & MASK32
        value = value * _U32(self.const)
        return value ^ (value >> _U32(XSHIFT))

    @staticmethod
    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result = x * _U32(MIX_MULT_L) - y * _U32(MIX_MULT_R)
        return result ^ (result >> _U32(XSHIFT))


def _seed_pool(seed: int) -> tuple[list[np.ndarray], int]:
    """The pool after the seed's words (padded to the pool size, as a spawned
    sequence pads them) are mixed in, and the hash multiplier that follows."""
    words = uint32_words(seed)
    words += [0] * (POOL_SIZE - len(words))
    hashing = _Hash()
    pool = [hashing.hashmix(np.array([w], dtype=_U32)) for w in words[:POOL_SIZE]]
    for src in range(POOL_SIZE):
        for dst in range(POOL_SIZE):
            if src != dst:
                pool[dst] = hashing.mix(pool[dst], hashing.hashmix(pool[src]))
    for word in words[POOL_SIZE:]:  # a seed of more than four words
        for dst in range(POOL_SIZE):
            pool[dst] = hashing.mix(pool[dst], hashing.hashmix(np.array([word], dtype=_U32)))
    return pool, hashing.const


def pcg64_state(seed_words: tuple[int, int, int, int]) -> tuple[int, int]:
    """PCG64's ``(state, inc)`` seeded by four 64-bit words, as ``PCG64(seed_sequence)``
    does with ``generate_state(4, uint64)``: the first two make the initial state
    and the last two the stream, each high word first."""
    init_state = (seed_words[0] << 64) | seed_words[1]
    inc = ((((seed_words[2] << 64) | seed_words[3]) << 1) | 1) & MASK128
    state = (inc + init_state) & MASK128  # one step from 0 is inc, then the seed is added
    state = (state * PCG_MULTIPLIER + inc) & MASK128
    return state, inc


class BatchStreams:
    """The random streams of one seed's batches, each set on demand on one generator.

    ``rng(i)`` returns the same ``numpy.random.Generator`` every time, re-seeded
    for batch *i*: use it for one batch before asking for the next (no two batches
    at once, and not from two threads).
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._pool, self._hash_const = _seed_pool(seed)
        self._bit_generator = np.random.PCG64(0)
        self._generator = np.random.Generator(self._bit_generator)
        self._block = -1
        self._states: list[tuple[int, int]] = []

    def rng(self, index: int) -> np.random.Generator:
        """Batch ``index``'s stream, from its start."""
        block, offset = divmod(index, BLOCK)
        if block != self._block:
            self._states = self._block_states(block * BLOCK)
            self._block = block
        state, inc = self._states[offset]
        self._bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": state, "inc": inc},
            "has_uint32": 0,
            "uinteger": 0,
        }
        return self._generator

    def _block_states(self, first: int) -> list[tuple[int, int]]:
        """PCG64 states of batches ``first`` to ``first + BLOCK - 1``."""
        indices = range(first, first + BLOCK)
        # An index's words: one below 2**32, two below 2**64. Every index of a block
        # has as many, since a block starts at a multiple of BLOCK, which 2**32 is.
        width = len(uint32_words(first))
        words = np.array([uint32_words(i) for i in indices], dtype=_U32).reshape(BLOCK, width)
        hashing = _Hash(self._hash_const)
        pool = [np.broadcast_to(p, BLOCK) for p in self._pool]
        for k in range(width):
            for dst in range(POOL_SIZE):
                pool[dst] = hashing.mix(pool[dst], hashing.hashmix(words[:, k]))
        # generate_state(4, uint64): eight 32-bit words cycling over the pool, paired
        # little-endian into 64-bit words.
        const = INIT_B
        out: list[np.ndarray] = []
        for k in range(2 * POOL_SIZE):
            value = pool[k % POOL_SIZE] ^ _U32(const)
            const = (const * MULT_B) & MASK32
            value = value * _U32(const)
            out.append(value ^ (value >> _U32(XSHIFT)))
        seeds = [
            out[2 * j].astype(np.uint64) | (out[2 * j + 1].astype(np.uint64) << np.uint64(32))
            for j in range(POOL_SIZE)
        ]
        columns = [s.tolist() for s in seeds]
        return [pcg64_state((a, b, c, d)) for a, b, c, d in zip(*columns, strict=True)]
