"""The samplers: every sparse cell's fids in place, slot bits set, rows in slot order;
uniforms from 32-bit words; dense features drawn a dtype at a time."""

from __future__ import annotations

import math

import numpy as np
import pytest

from monogen.gen import fids
from monogen.gen.sampling import (
    DensePlan,
    LineIdPlan,
    SparseKind,
    SparsePlan,
    SparseSpec,
    kept_draws,
    pick,
    random_bytes,
    random_words,
    uniform_float32,
    word_threshold,
    words_above,
)
from monogen.gen.schema import DType, FeatureMeta
from monogen.gen.spec import LengthSpec, SparseGen


def test_block_cells_hold_their_fids_in_their_first_slots() -> None:
    specs = [SparseSpec(3, SparseKind.DROPPABLE), SparseSpec(70, SparseKind.SEQUENCE)]
    plan = SparsePlan(specs)
    block = plan.draw(np.random.default_rng(1), 500, drop_rate=0.5)
    assert block.slots.shape == (2, 500, 2)  # room for a sequence feature's two fids
    assert fids.V2.slot_of(block.slots[0].ravel()).tolist() == [3] * 1000
    assert fids.V2.slot_of(block.slots[1].ravel()).tolist() == [70] * 1000
    assert set(block.counts[0].tolist()) == {0, 1}
    assert set(block.counts[1].tolist()) == {0, 1, 2}
    feature = block[1]
    for i in range(500):
        assert feature.row(i).tolist() == block.slots[1, i, : block.counts[1, i]].tolist()
    two = block.slots[1][block.counts[1] == 2]
    assert (two[:, 0] != two[:, 1]).all()  # a cell's fids are separate draws


def test_rows_list_each_record_fids_in_slot_order() -> None:
    slots = [1, 5, 9]
    plan = SparsePlan([SparseSpec.fidv1(slot) for slot in slots])
    drawn = plan.draw_rows(np.random.default_rng(2), 300)
    per_row = [fids.V1.slot_of(drawn.row(i)).tolist() for i in range(300)]
    assert all(row == sorted(row) for row in per_row)
    assert all(row.count(1) == 1 for row in per_row)  # slot 1: always exactly one fid
    assert {row.count(5) for row in per_row} == {0, 1, 2, 3}
    assert drawn.offsets[-1] == len(drawn.fids) == sum(len(row) for row in per_row)


def test_uniform_float32_is_numpys_float32_of_the_same_stream() -> None:
    # numpy makes a float32 of each 32-bit half of a raw draw, low half first.
    expected = np.random.Generator(np.random.PCG64(5)).random(1001, dtype=np.float32)
    drawn = uniform_float32(np.random.Generator(np.random.PCG64(5)), 1001)
    assert drawn.dtype == np.float32
    assert drawn.tolist() == expected.tolist()


def test_random_words_are_the_raw_draws_halves_low_first() -> None:
    raw = np.random.PCG64(9).random_raw(3).tolist()
    words = random_words(np.random.Generator(np.random.PCG64(9)), 5).tolist()
    assert words == [
        raw[0] & 0xFFFFFFFF,
        raw[0] >> 32,
        raw[1] & 0xFFFFFFFF,
        raw[1] >> 32,
        raw[2] & 0xFFFFFFFF,
    ]


@pytest.mark.parametrize(
    ("probability", "kept"),
    [
        (0.0, [False, True, True, True]),  # above 0: every word but 0
        (0.5, [False, False, True, True]),  # 2**31 / 2**32 is not above 0.5
        (1.0, [False, False, False, False]),  # nothing is above 1
    ],
)
def test_words_above_a_probability(probability: float, kept: list[bool]) -> None:
    words = np.array([0, 2**31, 2**31 + 1, 2**32 - 1], dtype=np.uint32)
    assert words_above(words, word_threshold(probability)).tolist() == kept


def test_dense_plan_draws_each_dtype_at_once_and_keeps_schema_order() -> None:
    metas = [
        FeatureMeta.make("a", shape=2, dtype=DType.FLOAT32),
        FeatureMeta.make("b", shape=3, dtype=DType.INT64),
        FeatureMeta.make("c", shape=1, dtype=DType.FLOAT32),
        FeatureMeta.make("d", shape=2, dtype=DType.STRING),
    ]
    a, b, c, d = DensePlan(metas).draw(np.random.default_rng(4), 5)
    assert d is None
    assert a is not None and b is not None and c is not None
    assert (a.shape, b.shape, c.shape) == ((5, 2), (5, 3), (5, 1))
    assert (a.dtype, b.dtype, c.dtype) == (np.float32, np.int64, np.float32)
    # The float32 features share one draw: a's rows, then c's.
    together = uniform_float32(np.random.default_rng(4), 15)
    assert a.ravel().tolist() + c.ravel().tolist() == together.tolist()
    assert ((b >= 2**62 - 1) & (b <= 2**63 - 1)).all()


@pytest.mark.parametrize("most", [1, 2, 3, 4, 5, 8, 9, 40])
def test_rows_give_every_fid_its_cells_slot_whatever_the_cell_width(most: int) -> None:
    # Widths up to 8 find each fid's cell through a table, wider ones by repeat.
    gen = SparseGen(length=LengthSpec(0, most))
    plan = SparsePlan([SparseSpec.fidv1(3, gen), SparseSpec.fidv1(1), SparseSpec.fidv1(9, gen)])
    assert plan.width == most
    drawn = plan.draw_rows(np.random.default_rng(most), 400)
    lengths = set()
    for i in range(400):
        slots = fids.V1.slot_of(drawn.row(i)).tolist()
        three, nine = slots.count(3), slots.count(9)
        assert (
            slots == [3] * three + [1] + [9] * nine
        )  # the plan's order, each cell's fids together
        lengths |= {three, nine}
    assert lengths == set(range(most + 1))


def test_pick_is_uniform_over_its_outcomes() -> None:
    picks = pick(np.random.default_rng(6), 110_000, 11)
    counts = np.bincount(picks, minlength=12)
    assert counts[11] == 0 and picks.min() == 0
    # Each outcome 10,000 times expected: within 5 standard deviations (about 477).
    assert np.abs(counts[:11] - 10_000).max() < 477


def test_line_id_constants_are_shared_read_only_arrays() -> None:
    plan = LineIdPlan.build([], req_time=7)
    first, second = plan.draw(np.random.default_rng(1), 4), plan.draw(np.random.default_rng(2), 4)
    assert first["req_time"].tolist() == [7] * 4
    assert first["req_time"] is second["req_time"]
    with pytest.raises(ValueError, match="read-only"):
        first["req_time"][0] = 8
    assert first["uid"].tolist() != second["uid"].tolist()


def test_plain_fidv1_rows_draw_uniform_counts_and_keep_single_slots_single() -> None:
    # Slots out of order, the single-fid ones (1 and 200) among the others.
    plan = SparsePlan([SparseSpec.fidv1(slot) for slot in (200, 5, 1, 9)])
    rows = 4000
    drawn = plan.draw_rows(np.random.default_rng(8), rows)
    tally = {5: [0] * 4, 9: [0] * 4}
    for i in range(rows):
        slots = fids.V1.slot_of(drawn.row(i)).tolist()
        five, nine = slots.count(5), slots.count(9)
        assert slots == [200] + [5] * five + [1] + [9] * nine
        tally[5][five] += 1
        tally[9][nine] += 1
    # Each count 0..3 a quarter of the time: within 5 standard deviations (about 137).
    for counts in tally.values():
        assert max(abs(c - rows / 4) for c in counts) < 137
    assert drawn.offsets[0] == 0 and drawn.offsets[-1] == len(drawn.fids)


def test_random_bytes_are_the_raw_draws_bytes_low_first() -> None:
    raw = np.random.PCG64(9).random_raw(2).tolist()
    expected = [(raw[i // 8] >> (8 * (i % 8))) & 0xFF for i in range(11)]
    assert random_bytes(np.random.Generator(np.random.PCG64(9)), 11).tolist() == expected


@pytest.mark.parametrize("drop_rate", [0.0, 0.25, 0.5, 0.3, 0.999, 1.0])
def test_kept_draws_keep_one_minus_the_drop_rate(drop_rate: float) -> None:
    # 0.25 and 0.5 are decided by bytes, 0.3 and 0.999 by words; 0 and 1 exactly.
    n = 200_000
    kept = kept_draws(np.random.default_rng(10), n, drop_rate)
    assert kept.dtype == np.bool_ and kept.shape == (n,)
    expected = (1 - drop_rate) * n
    assert abs(int(kept.sum()) - expected) <= 5 * math.sqrt(n * drop_rate * (1 - drop_rate))
