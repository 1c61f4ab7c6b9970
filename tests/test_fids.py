"""fid layouts: known answers computed by hand, and slot round-trips at the edges."""

from __future__ import annotations

import numpy as np
import pytest

from monogen.errors import SlotError
from monogen.gen import fids


def test_known_answers_slot5_hash1() -> None:
    # v1: 5 << 54 = 5 * 18014398509481984 = 90071992547409920, plus hash 1.
    assert int(fids.V1.encode(5, 1)) == 90_071_992_547_409_921
    # v2: 5 << 48 = 5 * 281474976710656 = 1407374883553280, plus hash 1.
    assert int(fids.V2.encode(5, 1)) == 1_407_374_883_553_281


def test_hash_is_masked_to_the_low_bits() -> None:
    all_ones = np.uint64(2**64 - 1)
    assert int(fids.V2.encode(1, all_ones)) == (1 << 48) | (2**48 - 1)
    assert int(fids.V1.encode(1, all_ones)) == (1 << 54) | (2**54 - 1)


@pytest.mark.parametrize(
    ("layout", "slots"), [(fids.V1, [1, 2, 1022, 1023]), (fids.V2, [1, 2, 65534, 65535])]
)
def test_edge_slots_round_trip(layout: fids.FidVersion, slots: list[int]) -> None:
    for slot in slots:
        rng = np.random.default_rng(slot)
        values = layout.random(rng, slot, 50)
        assert values.dtype == np.uint64
        assert set(layout.slot_of(values).tolist()) == {slot}
        assert np.array_equal(layout.encode(slot, layout.hash_of(values)), values)


@pytest.mark.parametrize(
    ("layout", "bad"),
    [(fids.V1, 0), (fids.V1, 1024), (fids.V2, 0), (fids.V2, 65536), (fids.V2, -1)],
)
def test_out_of_range_slot_is_a_clear_error(layout: fids.FidVersion, bad: int) -> None:
    with pytest.raises(
        SlotError,
        match=rf"slot {bad} is out of range for fid v{layout.version} \(1\.\.{layout.max_slot}\)",
    ):
        layout.encode(bad, 1)


def test_constants_match_the_original_module() -> None:
    assert fids.MASK_V1 == (1 << 54) - 1
    assert fids.MAX_SLOT_V1 == 1023
    assert fids.MASK_V2 == (1 << 48) - 1
    assert fids.MAX_SLOT_V2 == 65535


def test_random_fids_use_every_hash_bit_evenly() -> None:
    values = fids.V2.random(np.random.default_rng(0), 7, 20_000)
    assert set(fids.V2.slot_of(values).tolist()) == {7}
    hashes = fids.V2.hash_of(values)
    bits = (hashes[:, None] >> np.arange(48, dtype=np.uint64)) & np.uint64(1)
    # Each of the 48 hash bits is set in about half of the fids (binomial sd ~0.0035).
    assert np.all(np.abs(bits.mean(axis=0) - 0.5) < 0.02)


def test_unknown_version() -> None:
    with pytest.raises(SlotError, match="fid version must be 1 or 2, not 3"):
        fids.fid_version(3)


def test_random_hashes_are_the_full_range_integers_numpy_draws() -> None:
    """The raw generator output is the same stream ``integers(0, 2**64)`` gives."""
    ours = fids.random_hashes(np.random.default_rng(3), 1000)
    theirs = np.random.default_rng(3).integers(0, 2**64, size=1000, dtype=np.uint64)
    assert ours.dtype == np.uint64
    assert (ours == theirs).all()
