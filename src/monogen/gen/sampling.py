"""Random draws for a batch of records, kept apart from how records are encoded.

A generator first draws everything a batch needs — fid counts and values, dense
values, labels, LineId fields — as numpy arrays, in one fixed order, from one
seeded ``numpy.random.Generator``. Encoders (protobuf messages, or wire bytes laid
out with numpy) then only arrange those values. Two consequences: random values
come a whole batch per numpy call (all sparse features of a batch take three), and
every encoder produces the same records from the same seed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import overload

import numpy as np
from google.protobuf.descriptor import FieldDescriptor

from monogen.gen import fids
from monogen.gen.distributions import (
    draw_lengths,
    draw_ranks,
    draw_values,
    feature_key,
    rank_hashes,
)
from monogen.gen.schema import (
    ITEM_ID_SLOT,
    SINGLE_FID_SLOTS,
    USER_ID_SLOT,
    DType,
    ExtraSpec,
    FeatureMeta,
    line_id_field,
)
from monogen.gen.spec import DenseGen, SparseGen

log = logging.getLogger(__name__)

# The original generator's range for dense int64 values.
BIG_INT_LOW = 2**62 - 1
BIG_INT_HIGH = 2**63 - 1  # inclusive
SMALL_INT_HIGH = 10  # LineId integers and actions: [0, 10]
MAX_SEQUENCE_FIDS = 2
MAX_FIDV1_FIDS = 3
# A fid-v1 slot's count, 0..MAX_FIDV1_FIDS: four outcomes, exactly two random bits.
_FIDV1_COUNT_BITS = MAX_FIDV1_FIDS.bit_length()
STAY_TIME_SCALE = 1000.0
DEFAULT_STRING = "hello world"
DENSE_DTYPES = frozenset({DType.FLOAT32, DType.FLOAT64, DType.INT64})
_NUMPY_DTYPES: dict[DType, type] = {
    DType.FLOAT32: np.float32,
    DType.FLOAT64: np.float64,
    DType.INT64: np.int64,
}
WORD_BITS = 32
MAX_COUNT_WORD_BYTES = 8  # the widest cell whose fid count a table word spells out
_FLOAT32_STEP = np.float32(2.0**-24)  # float32 holds 24 bits exactly: k * 2**-24 for k < 2**24


def random_words(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` uniform 32-bit words, two from each of the bit generator's raw outputs.

    Half the raw draws a uniform per value would take, and no per-call set-up: kept
    or dropped, a fid count and a float32 each need no more than 32 random bits.
    The words come low half first whatever the machine's byte order.
    """
    raw = rng.bit_generator.random_raw((count + 1) // 2)
    words: np.ndarray = raw.astype("<u8", copy=False).view("<u4")[:count]
    return words


def random_bytes(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` uniform bytes, eight from each raw output, low byte first whatever the
    machine's byte order."""
    raw = rng.bit_generator.random_raw(-(-count // 8))
    data: np.ndarray = raw.astype("<u8", copy=False).view(np.uint8)[:count]
    return data


def uniform_float32(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` float32 uniform in [0, 1): a word's top 24 bits times 2**-24.

    The value ``Generator.random(dtype=np.float32)`` makes of a 32-bit draw, made
    here from ``random_words`` in three array operations.
    """
    words = random_words(rng, count)
    words >>= np.uint32(WORD_BITS - 24)
    values = words.astype(np.float32)
    values *= _FLOAT32_STEP
    return values


def pick(rng: np.random.Generator, count: int, outcomes: int) -> np.ndarray:
    """``count`` uniform integers in ``[0, outcomes)``: ``w * outcomes >> 32`` of a word
    ``w`` (the float rule ``floor(u * outcomes)`` with ``u = w / 2**32``)."""
    picks = random_words(rng, count).astype(np.int64)
    picks *= outcomes
    picks >>= WORD_BITS
    return picks


def word_threshold(probability: float) -> int:
    """The word ``w`` above which ``w / 2**32 > probability``: ``words > threshold`` is a
    uniform draw above ``probability`` (``2**32`` when none is, as for 1.0)."""
    return math.floor(probability * 2**WORD_BITS)


def kept_draws(rng: np.random.Generator, count: int, drop_rate: float) -> np.ndarray:
    """``count`` outcomes of "a uniform draw above ``drop_rate``", as bools.

    A rate that is a multiple of 1/256 (0, 0.25, 0.5, ...) is decided exactly by a
    random byte ``b``, kept when ``b >= 256 * drop_rate``: an eighth of the random
    bits a word takes. Any other rate takes a 32-bit word (``word_threshold``).
    """
    steps = float(drop_rate) * 256  # callers may pass an int (0 or 1)
    if steps.is_integer():
        kept: np.ndarray = random_bytes(rng, count) >= int(steps)
        return kept
    return words_above(random_words(rng, count), word_threshold(drop_rate))


def words_above(words: np.ndarray, threshold: int) -> np.ndarray:
    """``words > threshold`` as a fresh bool array, for any threshold ``word_threshold`` gives."""
    if threshold > np.iinfo(np.uint32).max:
        return np.zeros(words.shape, dtype=bool)
    above: np.ndarray = words > threshold
    return above


class SparseKind(IntEnum):
    """How many fids a sparse feature gets per row (docs/generation.md, "Sparse value rules")."""

    ONE = 0  # exactly one: slots 1 and 200 (the user and the item)
    DROPPABLE = 1  # one, unless a uniform draw is at or below drop_rate
    SEQUENCE = 2  # 0..2, only when drop_rate > 0 and a uniform draw exceeds it
    FIDV1 = 3  # Instance fid-v1 slot: 0..3, never dropped


# The largest fid count each kind draws (ONE's and DROPPABLE's counts are not used).
_MAX_FIDS = {
    SparseKind.ONE: 1,
    SparseKind.DROPPABLE: 1,
    SparseKind.SEQUENCE: MAX_SEQUENCE_FIDS,
    SparseKind.FIDV1: MAX_FIDV1_FIDS,
}


@dataclass(frozen=True)
class SparseSpec:
    """One sparse feature as the sampler sees it: where its fids go and how many it gets.

    ``gen`` (a generation spec) overrides the kind's rule for whatever it sets: the
    fill rate, the ids per row, the ids themselves; ``name`` keys its ranked ids.
    """

    slot: int
    kind: SparseKind
    layout: fids.FidVersion = fids.V2
    gen: SparseGen | None = None
    name: str = ""

    @classmethod
    def example(cls, meta: FeatureMeta) -> SparseSpec:
        """An Example / ExampleBatch feature (fid v2 in ``fid_v2_list``)."""
        slot = meta.slot or 0
        if meta.is_sequence:
            kind = SparseKind.SEQUENCE
        else:
            kind = SparseKind.ONE if slot in SINGLE_FID_SLOTS else SparseKind.DROPPABLE
        return cls(slot, kind, gen=_sparse_gen(meta), name=meta.name)

    @classmethod
    def instance_column(cls, meta: FeatureMeta) -> SparseSpec:
        """An Instance fid-v2 column; sequence-likeness by name alone (``-`` marks a cross).

        Other columns follow the Example rule, so drop_rate empties them too (the
        original filled them always, ignoring its drop rate).
        """
        slot = meta.slot or 0
        if meta.has_sequence_name or "-" in meta.name:
            kind = SparseKind.SEQUENCE
        else:
            kind = SparseKind.ONE if slot in SINGLE_FID_SLOTS else SparseKind.DROPPABLE
        return cls(slot, kind, gen=_sparse_gen(meta), name=meta.name)

    @classmethod
    def fidv1(cls, slot: int, gen: SparseGen | None = None) -> SparseSpec:
        kind = SparseKind.ONE if slot in SINGLE_FID_SLOTS else SparseKind.FIDV1
        return cls(slot, kind, fids.V1, gen, f"slot_{slot}")

    @property
    def max_fids(self) -> int:
        """The most fids a row of this feature can hold."""
        length = self.gen.max_ids if self.gen is not None else None
        return _MAX_FIDS[self.kind] if length is None else length


def _sparse_gen(meta: FeatureMeta) -> SparseGen | None:
    return meta.gen if isinstance(meta.gen, SparseGen) else None


def fid_width(specs: Sequence[SparseSpec]) -> int:
    """Fid slots per cell: the most fids any of ``specs`` can draw (at least one)."""
    return max((s.max_fids for s in specs), default=1) or 1


@dataclass(frozen=True)
class SparseDraw:
    """One sparse feature across a batch: which rows set it, and their fids.

    ``present[i]`` is False when row i leaves the feature unset (dropped); a present
    row may still hold zero fids (a sequence-like feature that drew none).
    """

    present: np.ndarray  # bool, (n,)
    counts: np.ndarray  # int64, (n,)
    slots: np.ndarray  # uint64, (n, width): row i's fids are slots[i, :counts[i]]

    def row(self, i: int) -> np.ndarray:
        return self.slots[i, : self.counts[i]]


class SparseBlock(Sequence[SparseDraw]):
    """All sparse features of a batch in feature-major arrays.

    ``present`` and ``counts`` are ``(features, rows)``; ``slots`` is
    ``(features, rows, width)``, room for the most fids a feature can draw: cell
    ``(f, i)`` holds its ``counts[f, i]`` fids in its first slots, and the other
    slots are to be ignored. Indexing gives one feature's ``SparseDraw``, which is
    how the protobuf encoders read it; the wire encoders use the arrays whole.
    """

    __slots__ = ("counts", "present", "rows", "slots")

    def __init__(self, rows: int, present: np.ndarray, counts: np.ndarray, slots: np.ndarray):
        self.rows = rows
        self.present = present
        self.counts = counts
        self.slots = slots

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
        return SparseDraw(self.present[index], self.counts[index], self.slots[index])


@dataclass(frozen=True)
class _GenGroup:
    """The features that share one generation spec, drawn together in a batch."""

    gen: SparseGen
    members: np.ndarray  # intp: the features' indices in the plan
    single: np.ndarray  # bool: whether each one's own rule is exactly one fid
    # ``members`` as a slice when they are consecutive (a view instead of a copy).
    index: slice | np.ndarray

    @property
    def ranked(self) -> bool:
        return self.gen.ids is not None and self.gen.ids.ranked

    @classmethod
    def of(cls, specs: Sequence[SparseSpec]) -> tuple[_GenGroup, ...]:
        """Groups in order of first appearance (so the order of draws is fixed)."""
        members: dict[SparseGen, list[int]] = {}
        for f, spec in enumerate(specs):
            if spec.gen is not None:
                members.setdefault(spec.gen, []).append(f)
        groups = []
        for gen, indices in members.items():
            consecutive = indices == list(range(indices[0], indices[-1] + 1))
            array = np.array(indices, dtype=np.intp)
            single = np.array([specs[f].kind in _SINGLE_KINDS for f in indices], dtype=bool)
            index = slice(indices[0], indices[-1] + 1) if consecutive else array
            groups.append(cls(gen, array, single, index))
        return tuple(groups)


_SINGLE_KINDS = frozenset({SparseKind.ONE, SparseKind.DROPPABLE})
_PLAIN_FIDV1_KINDS = frozenset({SparseKind.ONE, SparseKind.FIDV1})


class SparsePlan:
    """The sparse features of a schema, drawn together a batch at a time.

    A batch takes at most three random draws whatever the number of features: one
    per (feature, row) deciding kept or dropped (``kept_draws``; only when some
    feature can be dropped), a 32-bit word per (feature, row) deciding the fid count
    (only when some count varies), and a hash for every fid slot of every cell,
    which the slots' high bits are laid over. Drawing every slot, used or not, keeps
    each cell's fids in place: no numpy call has to gather a random number of fids
    per cell.
    """

    def __init__(self, specs: Sequence[SparseSpec]) -> None:
        self.specs = tuple(specs)
        kinds = np.array([s.kind for s in self.specs], dtype=np.int8).reshape(-1, 1)
        one, fidv1 = kinds == SparseKind.ONE, kinds == SparseKind.FIDV1
        droppable, sequence = kinds == SparseKind.DROPPABLE, kinds == SparseKind.SEQUENCE
        varies = sequence | fidv1
        self._always = one | fidv1  # present in every row
        # Present when their draw is kept: sequence-like features only when drop_rate > 0.
        # None where that is every feature not always present (no mask to apply).
        self._keepable = {
            dropping: None if (keepable | self._always).all() else keepable
            for dropping, keepable in ((False, droppable), (True, droppable | sequence))
        }
        self._may_drop = bool(droppable.any() or sequence.any())
        self._counts_vary = bool(varies.any())
        self._present: dict[tuple[int, int], np.ndarray] = {}
        # Count outcomes per feature: a uniform u in [0, 1) gives floor(u * outcomes).
        self._outcomes = np.array([_MAX_FIDS[s.kind] + 1 for s in self.specs]).reshape(-1, 1)
        # A count from a 32-bit word w: (w * scale >> 32) + base, then 0 where absent;
        # scale is the outcomes of a varying count and 0 for a single fid, whose base is 1.
        self._count_scale = np.where(varies, self._outcomes, 0).astype(np.int64)
        self._count_base = (~varies).astype(np.int64)
        self.width = fid_width(self.specs)
        # Per fid count, a little-endian word of 1, 2, 4 or 8 bytes whose first
        # ``count`` bytes are 1: what ``_cell_of_fids`` looks counts up in.
        self._count_words: np.ndarray | None = None
        self._count_word_shift = max(self.width - 1, 0).bit_length()  # log2 of the word size
        if self.width <= MAX_COUNT_WORD_BYTES:
            size = 1 << self._count_word_shift
            self._count_words = np.array(
                [int.from_bytes(b"\x01" * k, "little") for k in range(self.width + 1)],
                dtype=f"<u{size}",
            )
        self._high = np.array([s.layout.encode(s.slot, 0) for s in self.specs], dtype=np.uint64)
        layouts = {s.layout for s in self.specs}
        if len(layouts) > 1:
            raise ValueError("a SparsePlan draws fids of one layout (v1 or v2)")
        self._mask = np.uint64(layouts.pop().mask if layouts else 0)
        self._row_highs: dict[int, np.ndarray] = {}
        self._row_start_cells: dict[int, np.ndarray] = {}
        self._groups = _GenGroup.of(self.specs)
        # Plain fid-v1 slots (no spec), whose counts 0..3 are two random bits each: per
        # random byte, the count flags (``_cell_of_fids``) of the four cells it decides.
        self._fidv1_flag_table: np.ndarray | None = None
        plain = not self._groups and {s.kind for s in self.specs} <= _PLAIN_FIDV1_KINDS
        if plain and self.width == MAX_FIDV1_FIDS and self._count_words is not None:
            flags = self._count_words.view(np.uint8).reshape(self.width + 1, -1)
            bits, field = _FIDV1_COUNT_BITS, (1 << _FIDV1_COUNT_BITS) - 1
            counts = [[b >> (bits * j) & field for j in range(8 // bits)] for b in range(256)]
            self._fidv1_flag_table = flags[np.array(counts)].reshape(256, -1)
            self._single = np.flatnonzero(kinds.ravel() == SparseKind.ONE)
            self._single_flags = flags[1]
        ranked = sum(len(g.members) for g in self._groups if g.ranked)
        self._all_ranked = bool(self.specs) and ranked == len(self.specs)
        self._keys = np.array(
            [feature_key(s.name) if self._groups else 0 for s in self.specs], dtype=np.uint64
        )

    def draw(self, rng: np.random.Generator, rows: int, *, drop_rate: float) -> SparseBlock:
        """The features' fids feature by feature, as the Example encoders read them."""
        shape = (len(self.specs), rows)
        if not self.specs:
            slots = np.zeros((*shape, self.width), np.uint64)
            return SparseBlock(rows, np.zeros(shape, bool), np.zeros(shape, np.int64), slots)
        present, counts = self._counts(rng, shape, drop_rate)
        if self._all_ranked:  # every used cell is drawn by rank below; the rest is unread
            slots = np.zeros((*shape, self.width), np.uint64)
        else:
            slots = self._slots(rng, (*shape, self.width), self._high[:, None, None])
        if self._groups:
            present, counts = self._apply_gens(rng, present, counts)
            for group in self._groups:
                if group.ranked:
                    cells = slots[group.index]  # a view when the members are consecutive
                    group_counts = counts[group.index]
                    used = np.arange(self.width) < group_counts[:, :, None]
                    # Used cells run feature by feature, so each feature's fill a run.
                    per_feature = group_counts.sum(axis=1)
                    cells[used] = self._ranked(rng, group, per_feature)
                    if not isinstance(group.index, slice):
                        slots[group.index] = cells
        return SparseBlock(rows, present, counts, slots)

    def draw_rows(self, rng: np.random.Generator, rows: int) -> RowFids:
        """The features' fids record by record, slot order within a record (never dropped)."""
        shape = (len(self.specs), rows)
        if not self.specs:
            return RowFids(_NO_FIDS, np.zeros(rows + 1, dtype=np.int64))
        # Here a record holds 1.5 fids per slot on average out of 3 possible: drawing
        # only those and giving each the slot bits of its cell is the faster way.
        if self._fidv1_flag_table is not None:
            cell_of = self._cell_of_flags(self._fidv1_flags(rng, rows))
        else:
            present, counts = self._counts(rng, shape, drop_rate=0.0, row_major=True)
            if self._groups:
                present, counts = self._apply_gens(rng, present, counts)
            cell_of = self._cell_of_fids(counts.T.ravel())
        # Row r's fids are those of cells r * features onwards (cell_of is sorted).
        offsets: np.ndarray = cell_of.searchsorted(self._row_starts(rows))
        values = fids.random_hashes(rng, len(cell_of))
        values &= self._mask
        values |= self._row_high(rows).take(cell_of)
        if self._groups:
            feature_of = cell_of % len(self.specs)
            for group in self._groups:
                if group.ranked:
                    mine = np.isin(feature_of, group.members)
                    values[mine] = self._ranked(rng, group, None, feature_of[mine])
        return RowFids(values, offsets)

    def _apply_gens(
        self, rng: np.random.Generator, present: np.ndarray, counts: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(present, counts)`` with the spec'd features' fill rates and ids per row."""
        if not any(g.gen.fill is not None or g.gen.length is not None for g in self._groups):
            return present, counts
        present, counts = present.copy(), counts.copy()
        rows = present.shape[1]
        for group in self._groups:
            gen, members = group.gen, group.index
            shape = (len(group.members), rows)
            if gen.fill is not None:
                present[members] = rng.random(shape) < gen.fill
            if gen.length is not None:
                counts[members] = draw_lengths(rng, gen.length, shape)
            elif gen.fill is not None:
                # The kind's own count: one fid, or 0..max for sequences and fid-v1 slots.
                drawn = (rng.random(shape) * self._outcomes[members]).astype(np.int64)
                counts[members] = np.where(group.single[:, None], 1, drawn)
            counts[members] *= present[members]
        return present, counts

    def _ranked(
        self,
        rng: np.random.Generator,
        group: _GenGroup,
        per_feature: np.ndarray | None,
        feature: np.ndarray | None = None,
    ) -> np.ndarray:
        """Fids drawn by rank: ``per_feature[i]`` for the group's i-th member in turn,
        or one for each cell of ``feature`` (indices into the plan)."""
        assert group.gen.ids is not None
        if per_feature is not None:
            keys = np.repeat(self._keys[group.index], per_feature)
            high = np.repeat(self._high[group.index], per_feature)
        else:
            assert feature is not None
            keys, high = self._keys[feature], self._high[feature]
        hashes = rank_hashes(keys, draw_ranks(rng, group.gen.ids, keys.shape))
        hashes &= self._mask
        hashes |= high
        return hashes

    def _cell_of_fids(self, counts: np.ndarray) -> np.ndarray:
        """For each fid of cells holding ``counts`` fids in turn, the index of its cell.

        ``np.repeat`` would do, but its loop branches on every count, and random
        counts defeat the branch predictor. When a cell holds at most 8 fids, a table
        lookup instead gives each cell a word whose first ``count`` bytes are 1, and
        the offsets of the set bytes over the word size are the cells, with no branch.
        """
        if self._count_words is None:
            return np.arange(len(counts)).repeat(counts.astype(np.intp, copy=False))
        return self._cell_of_flags(self._count_words.take(counts).view(np.bool_))

    def _cell_of_flags(self, flags: np.ndarray) -> np.ndarray:
        """The cell of each set flag of count words laid end to end (``_cell_of_fids``)."""
        cell_of: np.ndarray = flags.nonzero()[0]
        cell_of >>= self._count_word_shift
        return cell_of

    def _fidv1_flags(self, rng: np.random.Generator, rows: int) -> np.ndarray:
        """The count flags of plain fid-v1 slots over ``rows`` records, drawn as such.

        A count of 0..3 is two random bits, so each random byte looks up four cells'
        flags at once: a 64-bit draw decides 32 cells, and no count is made. The
        single-fid slots (1 and 200) are then set to one fid.
        """
        assert self._fidv1_flag_table is not None
        features = len(self.specs)
        cells = rows * features
        per_byte = 8 // _FIDV1_COUNT_BITS
        decisions = random_bytes(rng, -(-cells // per_byte))
        table = self._fidv1_flag_table
        word = table.shape[1] // per_byte
        flags = table.take(decisions, axis=0).reshape(-1)[: cells * word]
        flags = flags.reshape(rows, features, word)
        flags[:, self._single] = self._single_flags
        return flags.reshape(-1).view(np.bool_)

    def _row_starts(self, rows: int) -> np.ndarray:
        """The first cell of each of ``rows`` records, and the end: made once per batch size."""
        starts = self._row_start_cells.get(rows)
        if starts is None:
            starts = self._row_start_cells[rows] = np.arange(rows + 1) * len(self.specs)
        return starts

    def _row_high(self, rows: int) -> np.ndarray:
        """The slot bits of every (record, feature) cell, made once per batch size."""
        high = self._row_highs.get(rows)
        if high is None:
            high = self._row_highs[rows] = np.tile(self._high, rows)
        return high

    def _counts(
        self,
        rng: np.random.Generator,
        shape: tuple[int, int],
        drop_rate: float,
        *,
        row_major: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(present, counts)``, both ``(features, rows)``: per (feature, row), a kept
        or dropped draw (``kept_draws``) and a 32-bit word for the count, each drawn
        only when some feature needs it. ``row_major`` lays the arrays out row after
        row (a transposed view), the order in which ``draw_rows`` reads them.
        """
        cells = shape[0] * shape[1]

        def laid_out(values: np.ndarray) -> np.ndarray:
            return values.reshape(shape[::-1]).T if row_major else values.reshape(shape)

        if self._may_drop:
            present = laid_out(kept_draws(rng, cells, drop_rate))
            keepable = self._keepable[drop_rate > 0]
            if keepable is not None:
                present &= keepable
            present |= self._always
        elif shape in self._present:
            present = self._present[shape]
        else:  # read-only, so one array serves every batch
            present = self._present[shape] = np.broadcast_to(self._always, shape)
        if not self._counts_vary:
            return present, present.astype(np.int64)
        counts = np.multiply(laid_out(random_words(rng, cells)), self._count_scale)  # int64
        counts >>= WORD_BITS
        counts += self._count_base
        if self._may_drop:
            counts *= present
        return present, counts

    def _slots(
        self, rng: np.random.Generator, shape: tuple[int, ...], high: np.ndarray
    ) -> np.ndarray:
        """A random fid in every slot of ``shape``; ``high``: the slots' slot bits."""
        slots = fids.random_hashes(rng, math.prod(shape)).reshape(shape)
        slots &= self._mask
        slots |= high
        return slots


@dataclass(frozen=True)
class RowFids:
    """Fids of several slots laid out record by record, as ``Instance.fid`` holds them."""

    fids: np.ndarray  # uint64: row 0's fids in slot order, then row 1's, ...
    offsets: np.ndarray  # int64, (rows + 1,): row i's fids are fids[offsets[i]:offsets[i+1]]

    def row(self, i: int) -> np.ndarray:
        return self.fids[self.offsets[i] : self.offsets[i + 1]]


_NO_FIDS = np.zeros(0, dtype=np.uint64)


def _float64(rng: np.random.Generator, count: int) -> np.ndarray:
    values: np.ndarray = rng.random(count)
    return values


def _big_ints(rng: np.random.Generator, count: int) -> np.ndarray:
    values: np.ndarray = rng.integers(
        BIG_INT_LOW, BIG_INT_HIGH, size=count, endpoint=True, dtype=np.int64
    )
    return values


# A dtype's values when no generation spec says otherwise (docs/generation.md,
# "Dense value rules"), ``count`` at a time; the order is the order of the draws.
_DENSE_FILLERS: dict[DType, Callable[[np.random.Generator, int], np.ndarray]] = {
    DType.FLOAT32: uniform_float32,
    DType.FLOAT64: _float64,
    DType.INT64: _big_ints,
}


class DensePlan:
    """The dense features of a schema, drawn a batch at a time.

    Features filled by their dtype's rule take one draw per dtype (float32, then
    float64, then int64), each feature a contiguous ``(n, shape)`` view of it;
    then each feature with a generation spec draws its own, in schema order. A
    dtype with no filler gives None.
    """

    def __init__(self, features: Sequence[FeatureMeta]) -> None:
        self.features = tuple(features)
        by_dtype: dict[DType, list[tuple[int, int]]] = {dtype: [] for dtype in _DENSE_FILLERS}
        self._specced: list[tuple[int, DenseGen, type]] = []
        for i, meta in enumerate(self.features):
            if isinstance(meta.gen, DenseGen) and meta.dtype in DENSE_DTYPES:
                self._specced.append((i, meta.gen, _NUMPY_DTYPES[meta.dtype]))
            elif meta.dtype in by_dtype:
                by_dtype[meta.dtype].append((i, meta.shape))
        # Per dtype: its filler, its features' (index, shape), and their values per row.
        self._draws = [
            (_DENSE_FILLERS[dtype], members, sum(shape for _, shape in members))
            for dtype, members in by_dtype.items()
            if members
        ]

    def draw(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray | None, ...]:
        """Every feature's ``(n, shape)`` values (None for a dtype left empty)."""
        out: list[np.ndarray | None] = [None] * len(self.features)
        for fill, members, width in self._draws:
            values = fill(rng, n * width)
            start = 0
            for i, shape in members:
                out[i] = values[start : start + n * shape].reshape(n, shape)
                start += n * shape
        for i, gen, dtype in self._specced:
            out[i] = draw_values(rng, gen, (n, self.features[i].shape), dtype)
        return tuple(out)


def draw_dense(rng: np.random.Generator, meta: FeatureMeta, n: int) -> np.ndarray | None:
    """One feature's ``(n, shape)`` values, or None for a dtype the original left empty."""
    return DensePlan([meta]).draw(rng, n)[0]


def warn_unfilled_dense(features: Sequence[FeatureMeta]) -> None:
    """Warn once per feature whose dtype has no dense filler (it stays empty)."""
    for meta in features:
        if meta.dtype not in DENSE_DTYPES:
            log.warning(
                "dense feature %r has dtype %s, which is not generated; it stays empty",
                meta.name,
                meta.dtype.value,
            )


# ---------------------------------------------------------------------------
# LineId
# ---------------------------------------------------------------------------

LineIdValues = dict[str, np.ndarray]
_Sampler = Callable[[np.random.Generator, int], np.ndarray]


@dataclass(frozen=True)
class LineIdField:
    """One LineId field to fill: its name, whether it is repeated, and how to draw it."""

    name: str
    repeated: bool
    sample: _Sampler


def _hashed_id(slot: int) -> _Sampler:
    """A fid-like id (v2 layout: 48 hash bits under ``slot``), as a fid's hash is drawn."""
    high = np.uint64(fids.V2.check_slot(slot) << fids.V2.hash_bits)
    mask = np.uint64(fids.V2.mask)

    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        ids = fids.random_hashes(rng, n)
        ids &= mask
        ids |= high
        return ids

    return sample


def _constant(value: object, dtype: str | type) -> _Sampler:
    """The same value in every record: one read-only array per batch size."""
    made: dict[int, np.ndarray] = {}

    def sample(_rng: np.random.Generator, n: int) -> np.ndarray:
        if n not in made:
            made[n] = np.full(n, value, dtype=dtype)
            made[n].flags.writeable = False
        return made[n]

    return sample


def _small_ints(shape: int, choices: Sequence[int] | None) -> _Sampler:
    """``shape`` values per record, each uniform over ``choices`` (by default [0, 10])."""
    values = np.asarray(choices or range(SMALL_INT_HIGH + 1), dtype=np.int64)

    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        return values.take(pick(rng, n * shape, len(values))).reshape(n, shape)

    return sample


def _by_descriptor(fd: FieldDescriptor, shape: int) -> _Sampler | None:
    """Generic filler from a field's type: floats [0,1), integers [0,10], strings, false."""
    size_of = (lambda n: (n, shape)) if fd.is_repeated else (lambda n: n)
    cpp = fd.cpp_type
    if cpp in (FieldDescriptor.CPPTYPE_FLOAT, FieldDescriptor.CPPTYPE_DOUBLE):
        return lambda rng, n: rng.random(size_of(n))
    if cpp in _INT_CPP_TYPES:
        return lambda rng, n: rng.integers(0, SMALL_INT_HIGH, size=size_of(n), endpoint=True)
    if cpp == FieldDescriptor.CPPTYPE_STRING:
        text = DEFAULT_STRING.encode() if fd.type == FieldDescriptor.TYPE_BYTES else DEFAULT_STRING
        return lambda _rng, n: np.full(size_of(n), text, dtype=object)
    if cpp == FieldDescriptor.CPPTYPE_BOOL:
        return lambda _rng, n: np.zeros(size_of(n), dtype=bool)
    return None  # messages and enums are not generated


_INT_CPP_TYPES = frozenset(
    {
        FieldDescriptor.CPPTYPE_INT32,
        FieldDescriptor.CPPTYPE_INT64,
        FieldDescriptor.CPPTYPE_UINT32,
        FieldDescriptor.CPPTYPE_UINT64,
    }
)


@dataclass(frozen=True)
class LineIdPlan:
    """Which LineId fields a record gets and how each is drawn (``fill_line_id``)."""

    fields: tuple[LineIdField, ...]
    skipped: tuple[str, ...] = field(default=())

    @classmethod
    def build(
        cls,
        extra: Sequence[ExtraSpec],
        *,
        req_time: int,
        actions: Sequence[int] | None = None,
    ) -> LineIdPlan:
        req = _constant(req_time, np.int64)
        rate = _constant(1.0, np.float32)
        uid = LineIdField("uid", False, _hashed_id(USER_ID_SLOT))
        item = LineIdField("item_id", False, _hashed_id(ITEM_ID_SLOT))
        if not extra:
            return cls(
                (
                    uid,
                    LineIdField("req_time", False, req),
                    item,
                    LineIdField("actions", True, _small_ints(1, actions)),
                    LineIdField("sample_rate", False, rate),
                )
            )
        chosen: list[LineIdField] = []
        skipped: list[str] = []
        for spec in extra:
            fd = line_id_field(spec.name)
            if fd is None:
                skipped.append(spec.name)
            elif spec.name == "uid":
                chosen.append(uid)
            elif spec.name == "item_id":
                chosen.append(item)
            elif spec.name == "req_time":
                chosen.append(LineIdField("req_time", False, req))
                chosen.append(LineIdField("sample_rate", False, rate))
            elif spec.name == "stay_time":
                chosen.append(
                    LineIdField(
                        spec.name, fd.is_repeated, lambda rng, n: rng.random(n) * STAY_TIME_SCALE
                    )
                )
            elif spec.name == "actions":
                chosen.append(LineIdField("actions", True, _small_ints(spec.shape, actions)))
            elif (sampler := _by_descriptor(fd, spec.shape)) is not None:
                chosen.append(LineIdField(spec.name, fd.is_repeated, sampler))
            else:
                skipped.append(spec.name)
        if skipped:
            log.warning("skipping LineId fields monogen cannot fill: %s", ", ".join(skipped))
        by_name = {f.name: f for f in chosen}  # req_time twice keeps one sample_rate
        return cls(tuple(by_name.values()), tuple(skipped))

    def draw(self, rng: np.random.Generator, n: int) -> LineIdValues:
        return {f.name: f.sample(rng, n) for f in self.fields}


# ---------------------------------------------------------------------------
# A whole batch
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchDraw:
    """Everything random about ``n`` records, ready for an encoder."""

    n: int
    sparse: SparseBlock  # per sparse feature (Example) or fid-v2 column (Instance)
    fidv1: RowFids  # fid-v1 fids of each row (Instance only)
    dense: tuple[np.ndarray | None, ...]  # per dense feature, (n, shape) or None
    labels: np.ndarray  # float32, (n, label count)
    line_ids: LineIdValues


# LineId fields that name a record's user and item, by the slot whose fid they repeat.
_LINE_ID_SLOTS = {"uid": USER_ID_SLOT, "item_id": ITEM_ID_SLOT}


def ranked_id_features(specs: Sequence[SparseSpec]) -> dict[str, int]:
    """Per LineId field ``agree_line_ids`` sets, the index in ``specs`` of the feature
    it repeats: the first on the field's slot whose ids are ranked."""
    found: dict[str, int] = {}
    for name, slot in _LINE_ID_SLOTS.items():
        for i, s in enumerate(specs):
            if s.slot == slot and s.gen is not None and s.gen.ids and s.gen.ids.ranked:
                found[name] = i
                break
    return found


def agree_line_ids(line_ids: LineIdValues, ranked: dict[str, int], block: SparseBlock) -> None:
    """Make ``uid`` / ``item_id`` the user and item features' ids, when those are ranked.

    With a vocabulary on the user (slot 1) or item (slot 200) feature, the LineId
    field takes the same id as the row's first fid of that feature (in the v2
    layout under its slot, as LineId ids are written), so the two agree. Without
    one, both stay independent random ids, as the original drew them. ``ranked``
    is ``ranked_id_features`` of the block's features.
    """
    for name, f in ranked.items():
        if name in line_ids:
            has = block.counts[f] > 0
            ids = fids.V2.encode(_LINE_ID_SLOTS[name], block.slots[f, :, 0])
            line_ids[name] = np.where(has, ids, line_ids[name])
