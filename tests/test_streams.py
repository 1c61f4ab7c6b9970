"""Batch streams: the states BatchStreams computes are numpy's own for every batch.

The reference is numpy itself: ``PCG64(SeedSequence(seed, spawn_key=(i,)))``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monogen.gen.streams import BLOCK, BatchStreams, uint32_words


def numpy_stream(seed: int, index: int) -> np.random.PCG64:
    return np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,)))


SEEDS = [0, 1, 11, 2**32 - 1, 2**32, 2**63 - 1]
# Block edges, the first index of two words, and indices far apart, in no order.
INDICES = [BLOCK + 1, 0, BLOCK - 1, BLOCK, 2**32 + 7, 5, 2**32 - 1, 2**32, 2**45 + 3, 1]


@pytest.mark.parametrize("seed", SEEDS)
def test_each_batch_gets_numpys_state_in_any_order(seed: int) -> None:
    streams = BatchStreams(seed)
    for index in INDICES:
        rng = streams.rng(index)
        assert rng.bit_generator.state == numpy_stream(seed, index).state, index
        assert (
            rng.bit_generator.random_raw(4).tolist()
            == numpy_stream(seed, index).random_raw(4).tolist()
        )


@given(seed=st.integers(0, 2**63 - 1), index=st.integers(0, 2**64 - 1))
@settings(max_examples=60, deadline=None)
def test_any_seed_and_index_match_numpy(seed: int, index: int) -> None:
    assert BatchStreams(seed).rng(index).bit_generator.state == numpy_stream(seed, index).state


def test_a_batch_starts_its_stream_again_however_much_was_drawn() -> None:
    streams = BatchStreams(3)
    first = streams.rng(4).random(5, dtype=np.float32).tolist()  # a 32-bit draw keeps a half
    streams.rng(9).random(3)
    assert streams.rng(4).random(5, dtype=np.float32).tolist() == first
    assert streams.rng(5).random(5, dtype=np.float32).tolist() != first


def test_uint32_words_split_least_significant_first() -> None:
    assert uint32_words(0) == [0]
    assert uint32_words(2**32 + 5) == [5, 1]
    with pytest.raises(ValueError, match="not -1"):
        uint32_words(-1)
