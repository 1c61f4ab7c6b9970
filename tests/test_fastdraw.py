"""Batch sparse draws equal the per-feature draws value for value, and leave the same state.

The reference is ``sampling.draw_sparse`` called once per feature, i.e. numpy's own
``Generator.random``/``integers`` calls; the comparison includes the generator's
full state afterwards (the buffered uint32 half too), so later draws line up.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monogen import fastdraw
from monogen.fastdraw import SparseBlock, SparsePlan, SparseSpec, reference_block
from monogen.sampling import SparseRule

specs = st.lists(
    st.builds(
        SparseSpec,
        slot=st.one_of(st.sampled_from([1, 200, 1023]), st.integers(2, 1023)),
        sequence=st.booleans(),
        rule=st.sampled_from(list(SparseRule)),
    ),
    min_size=1,
    max_size=12,
)


def same(a: SparseBlock, b: SparseBlock) -> bool:
    pairs = [(a.present, b.present), (a.counts, b.counts), (a.fids, b.fids)]
    pairs.append((a.offsets, b.offsets))
    return all(x.dtype == y.dtype and np.array_equal(x, y) for x, y in pairs)


def twin_generators(seed: int, lead: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Two equal generators; ``lead`` float32 draws first leave a buffered uint32 half."""
    pair = np.random.default_rng(seed), np.random.default_rng(seed)
    for rng in pair:
        rng.random(lead, dtype=np.float32)
    return pair


def test_the_installed_numpy_follows_the_stream_model() -> None:
    """Otherwise every other test here would only compare the reference with itself."""
    assert fastdraw._stream_model_holds()


@settings(max_examples=300, deadline=None)
@given(
    specs=specs,
    rows=st.integers(1, 70),
    drop_rate=st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0, 1)),
    seed=st.integers(0, 2**63),
    lead=st.integers(0, 3),
)
def test_block_equals_per_feature_draws(
    specs: list[SparseSpec], rows: int, drop_rate: float, seed: int, lead: int
) -> None:
    fast, reference = twin_generators(seed, lead)
    ours = SparsePlan(specs).draw(fast, rows, drop_rate=drop_rate)
    theirs = reference_block(reference, specs, rows, drop_rate=drop_rate)
    assert same(ours, theirs)
    assert fast.bit_generator.state == reference.bit_generator.state
    assert fast.random() == reference.random()


@settings(max_examples=100, deadline=None)
@given(specs=specs, rows=st.integers(1, 30), fetch=st.integers(1, 8), seed=st.integers(0, 2**32))
def test_a_short_buffer_is_extended_exactly(
    specs: list[SparseSpec], rows: int, fetch: int, seed: int
) -> None:
    """Fetching too few raws at first must not change the draws."""
    fast, reference = twin_generators(seed, 1)
    plan = SparsePlan(specs)
    replay = fastdraw._Replay(plan, fast.bit_generator.state, rows, 0.5)
    ours = replay.run(fast.bit_generator, fetch)
    assert ours is not None
    assert same(ours, reference_block(reference, specs, rows, drop_rate=0.5))
    assert fast.bit_generator.state == reference.bit_generator.state


def test_a_value_numpy_would_draw_again_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """When a raw would make numpy redraw, the batch is drawn by numpy from the same state."""
    spec_list = [SparseSpec(5, False, SparseRule.EXAMPLE), SparseSpec(7, True, SparseRule.EXAMPLE)]
    fast, reference = twin_generators(3, 0)
    monkeypatch.setattr(fastdraw._Replay, "_fids", lambda self, walk: None)
    ours = SparsePlan(spec_list).draw(fast, 10, drop_rate=0.5)
    assert same(ours, reference_block(reference, spec_list, 10, drop_rate=0.5))
    assert fast.bit_generator.state == reference.bit_generator.state


def test_redraw_raws_are_recognised() -> None:
    """x = 0 and x = 2**63 - 1 are the raws for which numpy's Lemire step draws again."""
    top = (1 << 64) - 1
    for x in range(4):
        for raw in (x, (1 << 63) - 2 + x, top - x):
            low = (raw * ((1 << 63) - 1)) & top  # the product's low 64 bits
            assert (low < 2) == (raw in fastdraw.FID_REDRAW), raw


def test_without_the_model_the_reference_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastdraw, "_stream_model_holds", lambda: False)
    spec_list = [SparseSpec(3, False, SparseRule.FIDV1)]
    fast, reference = twin_generators(8, 1)
    assert same(
        SparsePlan(spec_list).draw(fast, 6, drop_rate=0.0),
        reference_block(reference, spec_list, 6, drop_rate=0.0),
    )


def test_other_bit_generators_use_the_reference() -> None:
    spec_list = [SparseSpec(3, False, SparseRule.EXAMPLE)]
    fast = np.random.Generator(np.random.MT19937(4))
    reference = np.random.Generator(np.random.MT19937(4))
    assert same(
        SparsePlan(spec_list).draw(fast, 6, drop_rate=0.5),
        reference_block(reference, spec_list, 6, drop_rate=0.5),
    )


def test_out_of_range_slot_raises_as_before() -> None:
    from monogen.errors import SlotError

    with pytest.raises(SlotError):
        SparsePlan([SparseSpec(70000, False, SparseRule.EXAMPLE)]).draw(
            np.random.default_rng(0), 2, drop_rate=0.0
        )


def test_block_indexes_as_per_feature_draws() -> None:
    spec_list = [SparseSpec(2, True, SparseRule.EXAMPLE), SparseSpec(3, False, SparseRule.FIDV1)]
    block = SparsePlan(spec_list).draw(np.random.default_rng(1), 5, drop_rate=0.3)
    assert len(block) == 2
    for f, draw in enumerate(block):
        assert np.array_equal(draw.counts, block.counts[f])
        assert [len(draw.row(i)) for i in range(5)] == block.counts[f].tolist()
    assert len(block[-1].fids) == int(block.counts[1].sum())
    assert len(block[0:1]) == 1
    with pytest.raises(IndexError):
        block[2]
