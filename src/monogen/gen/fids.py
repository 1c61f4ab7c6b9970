"""Feature ids (fids): a slot in the high bits, a hash in the low bits.

Monolith packs the feature slot into the top of an unsigned 64-bit id and reads it
back with a shift (docs/formats.md §2)::

    v1:  | slot: 10 bits | hash: 54 bits |      slot = fid >> 54
    v2:  | slot: 16 bits | hash: 48 bits |      slot = fid >> 48

Slot range: monogen accepts every slot the bit width can hold except 0 (v1 1..1023,
v2 1..65535), because each of those round-trips through ``fid >> shift``. The
original generator rejected the top value (it compared ``slot < max``), which no
reader requires. Slot 0 is never generated.

Everything here works on numpy ``uint64`` arrays so a whole batch of fids is one call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from monogen.errors import SlotError
from monogen.formats import HASH_BITS_V1, HASH_BITS_V2

MASK_V1 = (1 << HASH_BITS_V1) - 1
MASK_V2 = (1 << HASH_BITS_V2) - 1
MAX_SLOT_V1 = (1 << (64 - HASH_BITS_V1)) - 1  # 1023
MAX_SLOT_V2 = (1 << (64 - HASH_BITS_V2)) - 1  # 65535


@dataclass(frozen=True)
class FidVersion:
    """One fid layout: how many low bits hold the hash."""

    version: int
    hash_bits: int

    @property
    def mask(self) -> int:
        return (1 << self.hash_bits) - 1

    @property
    def max_slot(self) -> int:
        return (1 << (64 - self.hash_bits)) - 1

    def check_slot(self, slot: int) -> int:
        if not 1 <= slot <= self.max_slot:
            raise SlotError(
                f"slot {slot} is out of range for fid v{self.version} (1..{self.max_slot})"
            )
        return slot

    def encode(self, slot: int, hashes: ArrayLike) -> np.ndarray:
        """Fids for ``slot`` with the given hash values (only their low bits are kept)."""
        self.check_slot(slot)
        low = np.asarray(hashes, dtype=np.uint64) & np.uint64(self.mask)
        return low | np.uint64(slot << self.hash_bits)

    def slot_of(self, fids: ArrayLike) -> np.ndarray:
        return np.asarray(fids, dtype=np.uint64) >> np.uint64(self.hash_bits)

    def hash_of(self, fids: ArrayLike) -> np.ndarray:
        return np.asarray(fids, dtype=np.uint64) & np.uint64(self.mask)

    def random(self, rng: np.random.Generator, slot: int, count: int) -> np.ndarray:
        """``count`` random fids in ``slot``."""
        return self.encode(slot, random_hashes(rng, count))


V1 = FidVersion(1, HASH_BITS_V1)
V2 = FidVersion(2, HASH_BITS_V2)
VERSIONS = {1: V1, 2: V2}


def fid_version(version: int) -> FidVersion:
    try:
        return VERSIONS[version]
    except KeyError:
        raise SlotError(f"fid version must be 1 or 2, not {version}") from None


def random_hashes(rng: np.random.Generator, count: int) -> np.ndarray:
    """Uniform random 64-bit integers, the raw material of a fid's hash bits.

    The original drew a positive 63-bit integer and kept its low 54 or 48 bits;
    those low bits are uniform either way, and drawing the full 64-bit range is
    the bit generator's raw output: ``random_raw`` hands it out directly (the same
    values ``rng.integers(0, 2**64, dtype=np.uint64)`` gives, without its overhead).
    """
    raw: np.ndarray = rng.bit_generator.random_raw(count)
    return raw
