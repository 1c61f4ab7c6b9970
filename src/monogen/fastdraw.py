"""All sparse features of a batch drawn at once, value for value equal to ``sampling``.

``sampling.draw_sparse`` draws one feature at a time: a uniform double per row (kept
or dropped), a small bounded integer per row (how many fids), then the fids. With 100
features that is some 200-300 numpy calls per batch, and their call overhead, not
the arithmetic, is where the time of a batch goes (a profile of 100 features x 64
rows: ~4 ms per batch in ``draw_sparse``, ~90% of it call overhead).

This module makes the same draws from one buffer of raw generator outputs: it
fetches a batch's worth of raw 64-bit PCG64 outputs in one call, walks the features
in order with a few integer additions each to find where every feature's draws sit
in that buffer, and then applies numpy's own algorithms to all features' slices in
a handful of vectorised operations. The generator's state is then moved to exactly
where the per-feature calls would have left it, so every later draw (dense values,
labels, LineId, the next batch) is unchanged.

The stream model (numpy's ``Generator`` over ``PCG64``, unchanged since numpy 1.17):

    raw        r0, r1, r2, ...  64-bit outputs; PCG64.advance(k) skips k of them
    random()   (r >> 11) * 2**-53                                   one raw per value
    uint32     the low half of a fresh raw; its high half is kept (state
               ``has_uint32``/``uinteger``) for the next uint32 draw, and 64-bit
               draws in between leave it alone
    integers(0, K, endpoint=True), K < 2**32   Lemire's method on one uint32 u:
               (u * (K + 1)) >> 32, drawn again when the product's low 32 bits are
               below 2**32 % (K + 1): K = 3 never redraws, K = 2 only for u == 0
    integers(1, 2**63, dtype=uint64)          Lemire's method on one raw x:
               ((x * (2**63 - 1)) >> 64) + 1, drawn again when the product's low 64
               bits are below 2: only for x == 0 or x == 2**63 - 1

Redraws are so rare (odds 2**-32 per value at most) that the fast path does not
model them: a batch that would hit one is drawn again by the reference path from the
same starting state. So is everything when the generator is not PCG64 or when a
one-time check finds that the installed numpy does not follow the model.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from monogen import fids
from monogen.sampling import MAX_FIDV1_FIDS, MAX_SEQUENCE_FIDS, SparseDraw, SparseRule, draw_sparse
from monogen.schema import SINGLE_FID_SLOTS

log = logging.getLogger(__name__)

__all__ = ["SparseBlock", "SparseSpec", "draw_block"]

UINT32_BITS = 32
DOUBLE_SHIFT = 11  # random(): the top 53 bits of a raw
DOUBLE_BITS = 53
TOP_BIT = np.uint64(1 << 63)
ODD_LOW = np.uint64(1 << 63 | 1)  # x & ODD_LOW == 1: x is odd and below 2**63
# Raws that make the uint64 fid draw redraw: x * (2**63 - 1) mod 2**64 < 2.
FID_REDRAW = (0, (1 << 63) - 1)
# Sequence counts: integers(0, 2, endpoint=True) is Lemire with 3 outcomes.
SEQUENCE_OUTCOMES = MAX_SEQUENCE_FIDS + 1
# Fid-v1 counts: integers(0, 3, endpoint=True); 4 outcomes = the top 2 bits of a uint32.
FIDV1_COUNT_SHIFT = UINT32_BITS - 2
FIDV1_COUNT_MASK = (1 << 2) - 1
_U32_MASK = np.uint64(0xFFFFFFFF)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class SparseSpec:
    """How one sparse feature is drawn: the arguments of ``sampling.draw_sparse``."""

    slot: int
    sequence: bool
    rule: SparseRule


class SparseBlock(Sequence[SparseDraw]):
    """The sparse features of a batch in feature-major arrays.

    ``present`` and ``counts`` are ``(features, rows)``; ``fids`` holds feature 0's
    fids row by row, then feature 1's, and so on, so cell ``(f, i)`` owns
    ``fids[offsets[f * rows + i] : offsets[f * rows + i + 1]]``. Indexing gives the
    per-feature ``SparseDraw`` that ``sampling.draw_sparse`` would have returned.
    """

    __slots__ = ("_offsets", "counts", "fids", "present", "rows")

    def __init__(
        self, rows: int, present: np.ndarray, counts: np.ndarray, fids: np.ndarray
    ) -> None:
        self.rows = rows
        self.present = present
        self.counts = counts
        self.fids = fids
        self._offsets: np.ndarray | None = None

    @property
    def offsets(self) -> np.ndarray:
        """Cell boundaries in ``fids`` (computed on first use: the wire encoder needs none)."""
        if self._offsets is None:
            offsets = np.zeros(self.counts.size + 1, dtype=np.int64)
            np.cumsum(self.counts, out=offsets[1:])
            self._offsets = offsets
        return self._offsets

    @classmethod
    def from_draws(cls, rows: int, draws: Sequence[SparseDraw]) -> SparseBlock:
        """Stack per-feature draws (the reference path's output) into one block."""
        if isinstance(draws, SparseBlock):
            return draws
        shape = (len(draws), rows)
        if not draws:
            return cls(
                rows, np.zeros(shape, bool), np.zeros(shape, np.int64), np.zeros(0, np.uint64)
            )
        present = np.stack([d.present for d in draws])
        counts = np.stack([d.counts for d in draws]).astype(np.int64)
        values = np.concatenate([d.fids for d in draws]).astype(np.uint64)
        return cls(rows, present, counts, values)

    def __len__(self) -> int:
        return len(self.present)

    @overload
    def __getitem__(self, index: int) -> SparseDraw: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[SparseDraw]: ...
    def __getitem__(self, index: int | slice) -> SparseDraw | Sequence[SparseDraw]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        index %= len(self)
        first = index * self.rows
        offsets = self.offsets[first : first + self.rows + 1]
        return SparseDraw(
            self.present[index],
            self.counts[index],
            self.fids[offsets[0] : offsets[-1]],
            offsets - offsets[0],
        )

    def __iter__(self) -> Iterator[SparseDraw]:
        return (self[i] for i in range(len(self)))


# --------------------------------------------------------------------------- drawing


def reference_block(
    rng: np.random.Generator, specs: Sequence[SparseSpec], rows: int, *, drop_rate: float
) -> SparseBlock:
    """The same block drawn one feature at a time by ``sampling.draw_sparse``."""
    draws = [
        draw_sparse(rng, s.slot, rows, sequence=s.sequence, rule=s.rule, drop_rate=drop_rate)
        for s in specs
    ]
    return SparseBlock.from_draws(rows, draws)


def draw_block(
    rng: np.random.Generator, specs: Sequence[SparseSpec], rows: int, *, drop_rate: float
) -> SparseBlock:
    """Draw ``specs`` for ``rows`` rows: equal, value for value and in the generator
    state it leaves, to ``draw_sparse`` called for each spec in order."""
    return SparsePlan(specs).draw(rng, rows, drop_rate=drop_rate)


# Feature kinds, by the draws ``draw_sparse`` makes for them (D: a double per row,
# U3/U4: a bounded uint32 per row, F: one raw per fid).
_ALWAYS_ONE = 0  # F(rows): single-fid slots, non-sequence Instance columns
_KEPT = 1  # D(rows), F(kept rows)
_SEQUENCE = 2  # D(rows) unless drop_rate is 0, U3(rows), F(sum of counts)
_FIDV1 = 3  # U4(rows), F(sum of counts)
_KINDS = (_ALWAYS_ONE, _KEPT, _SEQUENCE, _FIDV1)
# Mean and variance of the fids per row of a kind, given the share of kept rows.
_FIDV1_COUNT_MEAN = MAX_FIDV1_FIDS / 2
_FIDV1_COUNT_VARIANCE = ((MAX_FIDV1_FIDS + 1) ** 2 - 1) / 12
# Raws fetched beyond the expected number: a batch that needs more fetches more.
_MARGIN_SIGMAS = 6
_MARGIN_RAWS = 64


def _kind(spec: SparseSpec) -> int:
    if spec.rule is SparseRule.FIDV1:
        return _ALWAYS_ONE if spec.slot in SINGLE_FID_SLOTS else _FIDV1
    if spec.sequence:
        return _SEQUENCE
    if spec.rule is SparseRule.INSTANCE_COLUMN or spec.slot in SINGLE_FID_SLOTS:
        return _ALWAYS_ONE
    return _KEPT


class SparsePlan:
    """A group of sparse features drawn together, set up once per schema."""

    def __init__(self, specs: Sequence[SparseSpec]) -> None:
        self.specs = tuple(specs)
        self.kinds = [_kind(s) for s in self.specs]
        self.kind_counts = {k: self.kinds.count(k) for k in _KINDS}
        versions = [fids.V1 if s.rule is SparseRule.FIDV1 else fids.V2 for s in self.specs]
        pairs = list(zip(versions, self.specs, strict=True))
        # A slot out of range is left to the reference path, which raises as it always did.
        self.valid = all(1 <= s.slot <= v.max_slot for v, s in pairs)
        self.tags = np.array(
            [s.slot << v.hash_bits if self.valid else 0 for v, s in pairs], dtype=np.uint64
        )
        masks = {v.mask for v in versions}
        self.mask = np.uint64(masks.pop()) if len(masks) == 1 else None
        self.masks = np.array([v.mask for v in versions], dtype=np.uint64)
        self.kept_features = np.array(
            [f for f, k in enumerate(self.kinds) if k == _KEPT], dtype=np.int64
        )
        self.v1_features = np.array(
            [f for f, k in enumerate(self.kinds) if k == _FIDV1], dtype=np.int64
        )
        self._leads: dict[int, np.ndarray] = {}
        self.sequence_features = np.array(
            [f for f, k in enumerate(self.kinds) if k == _SEQUENCE], dtype=np.int64
        )

    def leads(self, rows: int) -> np.ndarray:
        """Per feature, the raws drawn before its fids (chase case: doubles or uint32 pairs)."""
        leads = self._leads.get(rows)
        if leads is None:
            kinds = np.array(self.kinds)
            leads = np.select([kinds == _KEPT, kinds == _FIDV1], [rows, rows // 2], 0)
            self._leads[rows] = leads
        return leads

    def lead_groups(self, rows: int) -> list[tuple[int, np.ndarray]]:
        """(lead, features) for each lead width above 0."""
        leads = self.leads(rows)
        return [(w, np.flatnonzero(leads == w)) for w in sorted(set(leads.tolist())) if w]

    def draw(self, rng: np.random.Generator, rows: int, *, drop_rate: float) -> SparseBlock:
        """The block ``reference_block`` would draw, from the same generator state."""
        if not self.specs or not self.valid or not _fast_path_available(rng):
            return reference_block(rng, self.specs, rows, drop_rate=drop_rate)
        bit_generator = rng.bit_generator
        start = bit_generator.state
        replay = _Replay(self, start, rows, drop_rate)
        block = replay.run(bit_generator, self.raws_to_fetch(rows, drop_rate))
        if block is None:  # a redraw: let numpy draw this batch itself
            bit_generator.state = start
            return reference_block(rng, self.specs, rows, drop_rate=drop_rate)
        return block

    def raws_to_fetch(self, rows: int, drop_rate: float) -> int:
        """Enough raws for the batch but for odds of about 1e-9, and never more than needed."""
        keep = 1.0 - drop_rate
        uint32_raws = rows // 2 + 1
        counts = self.kind_counts
        mean = counts[_ALWAYS_ONE] * rows + counts[_KEPT] * rows * (1 + keep)
        variance = counts[_KEPT] * rows * keep * drop_rate
        # A sequence row's fids: kept (share keep) times 0..2, mean 1, mean square 5/3.
        doubles = rows if drop_rate > 0 else 0
        sequence_mean = keep if drop_rate > 0 else 0.0
        mean += counts[_SEQUENCE] * (doubles + uint32_raws + rows * sequence_mean)
        variance += counts[_SEQUENCE] * rows * (5 / 3 * sequence_mean - sequence_mean**2)
        mean += counts[_FIDV1] * (uint32_raws + rows * _FIDV1_COUNT_MEAN)
        variance += counts[_FIDV1] * rows * _FIDV1_COUNT_VARIANCE
        wanted = int(mean + _MARGIN_SIGMAS * variance**0.5) + _MARGIN_RAWS
        most = counts[_ALWAYS_ONE] * rows + counts[_KEPT] * 2 * rows
        most += counts[_SEQUENCE] * (doubles + uint32_raws + MAX_SEQUENCE_FIDS * rows)
        most += counts[_FIDV1] * (uint32_raws + MAX_FIDV1_FIDS * rows)
        return min(wanted, most)


def _fast_path_available(rng: np.random.Generator) -> bool:
    # The uint32 halves are read through a little-endian view of the raws.
    little = sys.byteorder == "little"
    return little and type(rng.bit_generator) is np.random.PCG64 and _stream_model_holds()


class _OutOfRaws(Exception):
    """The batch needs more raws than were fetched."""


class _Replay:
    """One batch's sparse draws replayed from a buffer of raw outputs.

    ``buf[:raws]`` are the batch's raws in stream order; one more element,
    ``buf[raws]``, is a stand-in whose high half is the buffered uint32 the batch
    starts with, so every uint32 has an index in ``buf.view(uint32)``: raw ``p``
    owns ``2p`` (its low half) and ``2p + 1`` (its high half).
    """

    def __init__(
        self, plan: SparsePlan, start: Mapping[str, Any], rows: int, drop_rate: float
    ) -> None:
        self.plan = plan
        self.start = start
        self.rows = rows
        self.drop_rate = drop_rate
        self.threshold = _kept_threshold(drop_rate)
        self.raws = 0
        self.buf: np.ndarray = np.zeros(0, dtype=np.uint64)
        self.u32: np.ndarray = self.buf.view(np.uint32)
        self.spare = np.zeros(0, dtype=np.uint64)  # raws fetched but not in buf

    def run(self, bit_generator: np.random.BitGenerator, fetch: int) -> SparseBlock | None:
        self._fetch(bit_generator, fetch)
        walker = self._chase if self._can_chase() else self._walk
        while True:
            try:
                walk = walker()
                break
            except _OutOfRaws:
                self._fetch(bit_generator, fetch)
        if walk is None:
            return None
        block = self._gather(walk)
        if block is not None:
            self._settle(bit_generator, walk)
        return block

    def _fetch(self, bit_generator: np.random.BitGenerator, count: int) -> None:
        """Make ``buf`` ``count`` raws longer; the stream continues, so it stays exact."""
        fresh = bit_generator.random_raw(count + 1)  # its last raw makes room for the stand-in
        if self.raws:
            fresh = np.concatenate((self.buf[: self.raws], self.spare, fresh))
        self.spare = fresh[-1:].copy()
        self.raws = len(fresh) - 1
        fresh[-1] = np.uint64(int(self.start["uinteger"]) << UINT32_BITS)
        self.buf, self.u32 = fresh, fresh.view(np.uint32)

    # -- where each feature's draws sit ------------------------------------------

    def _walk(self) -> _Walk | None:
        """Follow the draws feature by feature with integer arithmetic only.

        Kept counts come from a prefix sum of "double > drop_rate" over the buffer,
        fid-v1 counts from a prefix sum of the 2-bit counts of both halves of each
        raw, so each feature costs a few lookups. Raises ``_OutOfRaws`` when the
        buffer ends first; returns None when numpy would redraw a value.
        """
        rows, raws, kinds = self.rows, self.raws, self.plan.kinds
        buf = self.buf[:raws]
        drop = self.drop_rate > 0
        kept_at = None
        if self.threshold is not None and self.plan.kind_counts[_KEPT]:
            kept_at = _prefix(buf >= self.threshold).data
        v1_prefix = v1_low = None
        if self.plan.kind_counts[_FIDV1]:
            low = (buf >> np.uint64(FIDV1_COUNT_SHIFT)) & np.uint64(FIDV1_COUNT_MASK)
            high = buf >> np.uint64(UINT32_BITS + FIDV1_COUNT_SHIFT)
            v1_prefix, v1_low = _prefix(low + high).data, low.data
        u32 = self.u32.data
        walk = _Walk(len(kinds))
        double_at, uint32_at, uint32_first = walk.double_at, walk.uint32_at, walk.uint32_first
        fid_at, fid_count = walk.fid_at, walk.fid_count
        pos = 0  # next unread raw
        half = 2 * raws + 1 if self.start["has_uint32"] else -1  # the buffered uint32
        # The state's ``uinteger`` keeps the high half of the last raw split for
        # uint32s, even once that half has been used.
        last_half = 2 * raws + 1
        whole_rows = rows >> 1  # raws that ``rows`` uint32s take when none is buffered
        for f, kind in enumerate(kinds):
            if kind == _ALWAYS_ONE:
                count = rows
            elif kind == _KEPT:
                double_at[f] = pos
                pos += rows
                if pos > raws:
                    raise _OutOfRaws
                count = 0 if kept_at is None else kept_at[pos] - kept_at[pos - rows]
            elif kind == _FIDV1 and half < 0 and not rows & 1:  # the common, aligned case
                assert v1_prefix is not None
                uint32_at[f] = 2 * pos
                end = pos + whole_rows
                if end > raws:
                    raise _OutOfRaws
                count = v1_prefix[end] - v1_prefix[pos]
                pos = end
                last_half = 2 * pos - 1
            else:
                if kind == _SEQUENCE and drop:
                    double_at[f] = pos
                    pos += rows
                uint32_first[f] = half
                uint32_at[f] = 2 * pos
                taken = rows - (half >= 0)  # uint32s from fresh raws
                end = pos + (taken >> 1)  # the raw whose low half is left over, if any
                if end + (taken & 1) > raws:
                    raise _OutOfRaws
                if kind == _FIDV1:
                    assert v1_prefix is not None and v1_low is not None
                    count = v1_prefix[end] - v1_prefix[pos]
                    if taken & 1:
                        count += v1_low[end]
                    if half >= 0:
                        count += u32[half] >> FIDV1_COUNT_SHIFT
                else:
                    sequence_counts = self._sequence_counts(f, walk)
                    if sequence_counts is None:
                        return None
                    walk.sequence_counts[f] = sequence_counts
                    count = int(sequence_counts.sum())
                pos = end + (taken & 1)
                half = 2 * end + 1 if taken & 1 else -1
                if taken:
                    last_half = 2 * pos - 1
            fid_at[f] = pos
            fid_count[f] = count
            pos += count
        if pos > raws:
            raise _OutOfRaws
        walk.end, walk.half, walk.last_half = pos, half, last_half
        return walk

    def _can_chase(self) -> bool:
        """Whether each feature's draws depend only on where they start (see ``_chase``)."""
        counts = self.plan.kind_counts
        if counts[_SEQUENCE]:
            return False
        return not counts[_FIDV1] or (self.rows % 2 == 0 and not self.start["has_uint32"])

    def _chase(self) -> _Walk:
        """``_walk`` for plans without sequence features whose uint32 draws take whole raws.

        Then where a feature's draws end is a function of where they start: a jump
        table over the buffer (one vectorised expression per kind) maps each start
        to the next feature's, and the walk is one table lookup per feature.
        """
        rows, raws, plan = self.rows, self.raws, self.plan
        kept_jump = v1_jump = None
        if plan.kind_counts[_KEPT]:
            kept = None
            if self.threshold is not None:
                kept = _prefix(self.buf[:raws] >= self.threshold)
            kept_jump = _jump_table(kept, rows, raws).data
        if plan.kind_counts[_FIDV1]:
            top = self.u32[: 2 * raws] >> np.uint32(FIDV1_COUNT_SHIFT)  # each half's count
            v1_jump = _jump_table(_prefix(top[0::2] + top[1::2]), rows // 2, raws).data
        starts = []
        pos = 0
        try:
            for kind in plan.kinds:
                starts.append(pos)
                if kind == _ALWAYS_ONE:
                    pos += rows
                elif kind == _KEPT:
                    pos = kept_jump[pos]  # type: ignore[index]
                else:
                    pos = v1_jump[pos]  # type: ignore[index]
        except IndexError:
            raise _OutOfRaws from None
        if pos > raws:
            raise _OutOfRaws
        return self._chased(np.array(starts, dtype=np.int64), pos)

    def _chased(self, starts: np.ndarray, end: int) -> _Walk:
        """The ``_Walk`` of a chase: every feature's offsets from where it starts."""
        plan = self.plan
        lead = plan.leads(self.rows)
        walk = _Walk(len(plan.kinds))
        walk.starts = starts
        walk.fid_at = starts + lead
        walk.fid_count = np.append(starts[1:], end) - walk.fid_at
        kept = plan.kept_features
        walk.double_at = dict(zip(kept.tolist(), starts[kept].tolist(), strict=True))
        walk.uint32_at = 2 * starts
        walk.end = end
        # No uint32 draws, or ones that took whole raws: a buffered half stays buffered.
        walk.half = 2 * self.raws + 1 if self.start["has_uint32"] else -1
        last_raw = 2 * self.raws  # none split: the state's uinteger stays
        if len(plan.v1_features):
            last_raw = 2 * int(walk.fid_at[plan.v1_features[-1]] - 1)
        walk.last_half = last_raw + 1
        return walk

    def _sequence_counts(self, f: int, walk: _Walk) -> np.ndarray | None:
        """0..2 fids per row, times kept (all zero when nothing is kept)."""
        index = _uint32_indices([walk.uint32_at[f]], [walk.uint32_first[f]], self.rows)[0]
        u = self.u32[index]
        if not u.all():  # u == 0 makes numpy draw again
            return None
        counts = (u.astype(np.uint64) * np.uint64(SEQUENCE_OUTCOMES)) >> np.uint64(UINT32_BITS)
        at = walk.double_at.get(f)
        if self.threshold is None or at is None:
            return np.zeros(self.rows, dtype=np.int64)
        kept = self.buf[at : at + self.rows] >= self.threshold
        return counts.astype(np.int64) * kept

    # -- all features at once -------------------------------------------------------

    def _gather(self, walk: _Walk) -> SparseBlock | None:
        rows, plan = self.rows, self.plan
        shape = (len(plan.kinds), rows)
        present = np.ones(shape, dtype=bool)
        counts = np.ones(shape, dtype=np.int64)
        if walk.double_at:
            features = np.fromiter(walk.double_at, dtype=np.int64, count=len(walk.double_at))
            if self.threshold is None:
                present[features] = False
            else:
                at = np.fromiter(walk.double_at.values(), dtype=np.int64, count=len(features))
                present[features] = self.buf[at[:, None] + np.arange(rows)] >= self.threshold
        if len(plan.sequence_features) and self.drop_rate <= 0:
            present[plan.sequence_features] = False
        if len(plan.kept_features):
            counts[plan.kept_features] = present[plan.kept_features]
        if len(plan.v1_features):
            if walk.starts is not None:  # chased: each feature's uint32s start a fresh raw
                index = (2 * walk.starts[plan.v1_features])[:, None] + np.arange(rows)
            else:
                index = _uint32_indices(
                    [walk.uint32_at[f] for f in plan.v1_features],
                    [walk.uint32_first[f] for f in plan.v1_features],
                    rows,
                )
            counts[plan.v1_features] = self.u32[index] >> np.uint32(FIDV1_COUNT_SHIFT)
        for f, sequence_counts in walk.sequence_counts.items():
            counts[f] = sequence_counts
        values = self._fids(walk)
        if values is None:
            return None
        return SparseBlock(rows, present, counts, values)

    def _fids(self, walk: _Walk) -> np.ndarray | None:
        """Every feature's fids, feature after feature: Lemire on each raw, then the slot."""
        plan = self.plan
        fid_count = np.asarray(walk.fid_count, dtype=np.int64)
        raw = self._fid_raws(walk, fid_count)
        # ((x * (2**63 - 1)) >> 64) + 1 without 128-bit integers: x // 2, plus 1 for an
        # odd x below 2**63 (x * (2**63 - 1) = (x // 2) * 2**64 + (x % 2) * 2**63 - x).
        hashes = raw >> np.uint64(1)
        hashes += (raw & ODD_LOW) == 1
        hashes &= plan.mask if plan.mask is not None else np.repeat(plan.masks, fid_count)
        # The raws numpy draws again (0 and 2**63 - 1) both hash to 0 under any fid mask;
        # a genuine 0 (odds 2**-48) only costs a redraw by the reference path.
        if not hashes.all():
            return None
        hashes |= np.repeat(plan.tags, fid_count)
        return hashes

    def _fid_raws(self, walk: _Walk, fid_count: np.ndarray) -> np.ndarray:
        """The raws the fids are made of, in draw order."""
        if walk.starts is not None:  # chased: drop each feature's leading draws
            keep = np.ones(walk.end, dtype=bool)
            for width, features in self.plan.lead_groups(self.rows):
                keep[walk.starts[features][:, None] + np.arange(width)] = False
            return self.buf[: walk.end][keep]
        starts = np.zeros(len(fid_count), dtype=np.int64)
        np.cumsum(fid_count[:-1], out=starts[1:])
        source = np.repeat(np.asarray(walk.fid_at, dtype=np.int64) - starts, fid_count)
        source += np.arange(int(starts[-1] + fid_count[-1]))
        return self.buf[source]

    # -- the generator's state after the batch -----------------------------------------

    def _settle(self, bit_generator: np.random.BitGenerator, walk: _Walk) -> None:
        """Leave the generator where the per-feature calls would have left it."""
        bit_generator.state = self.start
        bit_generator.advance(walk.end)  # type: ignore[attr-defined]
        state = dict(bit_generator.state)
        state["has_uint32"] = int(walk.half >= 0)
        state["uinteger"] = int(self.u32[walk.last_half])
        bit_generator.state = state


class _Walk:
    """Where each feature's draws start in the buffer (see ``_Replay._walk``)."""

    def __init__(self, n_features: int) -> None:
        self.double_at: dict[int, int] = {}
        self.uint32_at: list[int] | np.ndarray = [0] * n_features
        self.uint32_first: list[int] | np.ndarray = [-1] * n_features
        self.fid_at: list[int] | np.ndarray = [0] * n_features
        self.fid_count: list[int] | np.ndarray = [0] * n_features
        self.sequence_counts: dict[int, np.ndarray] = {}
        self.starts: np.ndarray | None = None  # where each feature's draws start (chase)
        self.end = 0
        self.half = -1
        self.last_half = -1


def _kept_threshold(drop_rate: float) -> np.uint64 | None:
    """Raws at or above this are kept: random() > drop_rate, in integers; None: none are."""
    # random() = (x >> 11) / 2**53, and (x >> 11) > t  <=>  (x >> 11) >= floor(t) + 1.
    first_kept = int(np.floor(drop_rate * 2.0**DOUBLE_BITS)) + 1
    if first_kept >= 1 << DOUBLE_BITS:
        return None
    return np.uint64(first_kept << DOUBLE_SHIFT)


def _prefix(values: np.ndarray) -> np.ndarray:
    """``out[i]`` = sum of ``values[:i]`` (int32: counts within one batch's buffer)."""
    return np.concatenate((np.zeros(1, dtype=np.int32), np.cumsum(values, dtype=np.int32)))


def _jump_table(prefix: np.ndarray | None, width: int, raws: int) -> np.ndarray:
    """For a feature that draws ``width`` values and then one fid per counted value
    (``prefix``: running count; None: none counted): start -> the next feature's start.

    Starts whose draws would run past the buffer map to ``raws + 1``.
    """
    table = np.full(raws + 1, raws + 1, dtype=np.int32)
    fits = max(raws + 1 - width, 0)
    ends = table[:fits]
    if prefix is not None:
        np.subtract(prefix[width : width + fits], prefix[:fits], out=ends)
        ends += np.arange(width, width + fits, dtype=np.int32)
    else:
        ends[:] = np.arange(width, width + fits, dtype=np.int32)
    return table


def _uint32_indices(at: Sequence[int], first: Sequence[int], rows: int) -> np.ndarray:
    """uint32 indices of each feature's ``rows`` draws: the buffered half if any, then fresh."""
    starts = np.asarray(at, dtype=np.int64)
    halves = np.asarray(first, dtype=np.int64)
    has_half = halves >= 0
    index = (starts - has_half)[:, None] + np.arange(rows)
    index[has_half, 0] = halves[has_half]
    return index


# --------------------------------------------------------------------------- self-check


@functools.cache
def _stream_model_holds() -> bool:
    """Whether this numpy draws as the model says: checked once against numpy itself."""
    rows = 9  # odd, so buffered uint32 halves cross feature boundaries
    specs = [
        SparseSpec(1, False, SparseRule.FIDV1),
        SparseSpec(7, False, SparseRule.FIDV1),
        SparseSpec(3, False, SparseRule.EXAMPLE),
        SparseSpec(5, True, SparseRule.EXAMPLE),
        SparseSpec(200, False, SparseRule.EXAMPLE),
        SparseSpec(9, False, SparseRule.INSTANCE_COLUMN),
    ]
    try:
        for drop_rate in (0.0, 0.5):
            ours, theirs = np.random.default_rng(20240601), np.random.default_rng(20240601)
            ours.random(1, dtype=np.float32)  # start with a buffered half
            theirs.random(1, dtype=np.float32)
            plan = SparsePlan(specs)
            replay = _Replay(plan, ours.bit_generator.state, rows, drop_rate)
            fast = replay.run(ours.bit_generator, plan.raws_to_fetch(rows, drop_rate))
            slow = reference_block(theirs, specs, rows, drop_rate=drop_rate)
            same_state = ours.bit_generator.state == theirs.bit_generator.state
            if fast is None or not _same(fast, slow) or not same_state:
                raise ValueError("mismatch")
    except Exception:  # any surprise means: do not use the model
        log.debug("numpy's draws differ from the stream model; using per-feature draws")
        return False
    return True


def _same(a: SparseBlock, b: SparseBlock) -> bool:
    return all(
        np.array_equal(x, y)
        for x, y in (
            (a.present, b.present),
            (a.counts, b.counts),
            (a.fids, b.fids),
            (a.offsets, b.offsets),
        )
    )
