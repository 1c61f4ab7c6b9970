"""The sparse sampler's layout: every cell's fids in place, slot bits set, rows in slot order."""

from __future__ import annotations

import numpy as np

from monogen.gen import fids
from monogen.gen.sampling import SparseKind, SparsePlan, SparseSpec


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
