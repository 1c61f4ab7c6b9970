"""The row assembler: a batch's records built as rows of one byte matrix, plus cell templates.

Every record is a row of a byte matrix whose columns are blocks (``Rows``):
constant bytes, fixed-width data (dense values, labels), and ragged blocks that
carry a mask of which bytes count. Dropping the masked-out bytes leaves the records
back to back; a ragged block of slices of a batch-wide buffer (an Instance's fid-v1
fids) is spliced into each row instead, as it is copied once.

The sparse features are cells, one per (row, feature): a template chosen by the
feature and its state (dropped, or kept with k fids), with the fids laid into it
(``CellTable``). A record's cells are a ragged block of templates of equal width
(``CellTable.rows``); an ExampleBatch's rows of cells, one feature's cells after
another, are written at their offsets in one buffer instead (``CellTable.write``).

Parts whose width never changes (a float dense feature, the labels) are encoded
once per schema by the same generic code with zero values; the batch then only
appends the values' bytes to that prefix (``FixedField``).

Where the time goes (profiled on the bench schemas): numpy's boolean index pays a
call and often a mispredicted branch for every run of kept elements, so with random
drops it is the cell count, not the byte count, that sets the price of compaction;
writing each template's cells by one assignment to their offsets, where nothing
branches on a cell's state, is cheaper where the cells are short and many (an
ExampleBatch's). The other passes are memory copies, and the numpy calls' own
overhead on a batch of 64-128 rows, which is why constant columns come from a
remembered row and fixed-width runs skip masks and offsets.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from monogen.encode.wire.primitives import (
    FID_BYTES,
    FID_LAYOUT,
    LENGTH_DELIMITED,
    as_bytes,
    prefix_mask,
    tag,
    u8,
    varint,
    varints,
)
from monogen.gen.sampling import SparseBlock

# Bytes per element when a block's mask allows selecting 2 bytes at a time.
UNIT = 2
# A ragged block at least this wide per row is compacted on its own: copying it into a
# shared matrix would cost more than joining one more piece per row.
ALONE_WIDTH = 1024


def _stands_alone(block: _Block) -> bool:
    return block.mask is not None and block.width >= ALONE_WIDTH


@functools.lru_cache(maxsize=256)
def _layout(layout: tuple[bytes | int, ...]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A row of a ``Rows`` matrix: ``layout``'s constant bytes in place, zeros for the
    widths (``int``) that a batch's data fills; and the columns of those widths."""
    spans, at = [], 0
    for part in layout:
        width = len(part) if isinstance(part, bytes) else part
        if not isinstance(part, bytes):
            spans.append((at, at + width))
        at += width
    row = u8(b"".join(part if isinstance(part, bytes) else bytes(part) for part in layout))
    return row, spans


def _cut(blob: bytes, offsets: list[int]) -> _Block:
    """A segment of ``Rows``: ``blob`` cut at ``offsets`` (n + 1 of them)."""
    return _Block(b"", source=blob, cuts=offsets)


# --------------------------------------------------------------------------- rows


@dataclass(slots=True)
class _Block:
    """Columns of a ``Rows``.

    ``data`` is ``bytes`` that every row shares, or a ``(rows, width)`` array; a
    ``mask`` picks each row's bytes out of a ragged block, whose row lengths are
    ``lengths``. A block of ``pieces`` instead holds each row's bytes as an object,
    or, with a ``source``, row i's first bytes, then ``source[cuts[i] : cuts[i + 1]]``.
    ``unit``: the bytes the mask keeps or drops together, one flag per aligned run of
    this many (``(rows, width // unit)``), so a block compacted alone is selected in
    units of 2 bytes (half the elements) by a contiguous mask, which numpy's boolean
    index walks much faster than a strided view of a byte mask.
    """

    data: np.ndarray | bytes
    mask: np.ndarray | None = None
    lengths: np.ndarray | None = None
    pieces: list[bytes] | None = None
    unit: int = 1
    source: bytes | memoryview | None = None
    cuts: list[int] | None = None

    @property
    def is_const(self) -> bool:
        return isinstance(self.data, bytes) and self.pieces is None

    @property
    def width(self) -> int:
        return len(self.data) if isinstance(self.data, bytes) else int(self.data.shape[-1])

    def rows(self) -> list[bytes]:
        """A block of pieces (a segment of ``Rows``) as each row's bytes."""
        source, cuts = self.source, self.cuts
        if source is None or cuts is None:
            assert self.pieces is not None
            return self.pieces
        if self.pieces is None:
            return [bytes(source[a:b]) for a, b in pairwise(cuts)]
        return [
            head + source[a:b] for head, (a, b) in zip(self.pieces, pairwise(cuts), strict=True)
        ]


class Rows:
    """``rows`` byte strings built left to right from blocks, then assembled at once.

    Lengths are tracked as a constant plus, once any block is ragged, a per-row
    array, so a parent message can prefix each row with its length (``wrap``).
    Constant bytes are gathered in a buffer until the next block of another kind.
    """

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.blocks: list[_Block] = []
        self.fixed_length = 0
        self.row_lengths: np.ndarray | None = None
        self._pending = bytearray()

    @property
    def lengths(self) -> np.ndarray:
        """Each row's length in bytes."""
        extra = self.row_lengths if self.row_lengths is not None else 0
        return np.full(self.rows, self.fixed_length, dtype=np.int64) + extra

    def const(self, data: bytes) -> None:
        """The same bytes on every row."""
        self._pending += data
        self.fixed_length += len(data)

    def fixed(self, data: np.ndarray) -> None:
        """``(rows, width)`` bytes, all of them part of each row."""
        if data.shape[1]:
            self._push(_Block(data))
            self.fixed_length += data.shape[1]

    def masked(
        self, data: np.ndarray, mask: np.ndarray, lengths: np.ndarray, *, unit: int = 1
    ) -> None:
        """``(rows, width)`` bytes of which ``mask`` picks each row's (``lengths`` of them);
        ``unit`` and the mask's shape: see ``_Block``."""
        if (lengths == data.shape[1]).all():
            self.fixed(data)
        elif data.shape[1]:
            self._push(_Block(data, mask, lengths, unit=unit))
            self._add_lengths(lengths)

    def pieces(self, pieces: list[bytes], lengths: np.ndarray | None = None) -> None:
        """Row i gets ``pieces[i]`` (``lengths``: their lengths, if known)."""
        if lengths is None:
            lengths = np.array([len(p) for p in pieces], dtype=np.int64)
        self._push(_Block(b"", lengths=lengths, pieces=pieces))
        self._add_lengths(lengths)

    def spliced(
        self, heads: list[bytes], source: memoryview, cuts: list[int], lengths: np.ndarray
    ) -> None:
        """Row i gets ``heads[i]``, then ``source[cuts[i] : cuts[i + 1]]`` (``lengths``
        bytes in all): ragged slices of a batch-wide buffer, copied once, into the row."""
        self._push(_Block(b"", lengths=lengths, pieces=heads, source=source, cuts=cuts))
        self._add_lengths(lengths)

    def varint(self, values: np.ndarray) -> None:
        """One varint per row, e.g. a length prefix."""
        first = int(values[0])
        if (values == first).all():
            self.const(varint(first))
            return
        data, lengths = varints(values)
        self.masked(data, prefix_mask(lengths, data.shape[1]), lengths)

    def extend(self, other: Rows) -> None:
        """Append ``other``'s bytes to each row."""
        blocks = other.blocks
        if blocks:  # its constant blocks each stand before one of another kind
            first = blocks[0]
            if first.is_const and isinstance(first.data, bytes):
                self._pending += first.data
                blocks = blocks[1:]
            if blocks:
                self._push(*blocks)
        self._pending += other._pending
        self.fixed_length += other.fixed_length
        if other.row_lengths is not None:
            self._add_lengths(other.row_lengths)

    def wrap(self, field: int) -> Rows:
        """These rows, each as a length-delimited field ``field`` of a parent message."""
        out = Rows(self.rows)
        out.const(tag(field, LENGTH_DELIMITED))
        if self.row_lengths is None:
            out.const(varint(self.fixed_length))
        else:
            out.varint(self.lengths)
        out.extend(self)
        return out

    def _push(self, *blocks: _Block) -> None:
        if self._pending:
            self.blocks.append(_Block(bytes(self._pending)))
            self._pending = bytearray()
        self.blocks += blocks

    def _add_lengths(self, lengths: np.ndarray) -> None:
        self.row_lengths = lengths if self.row_lengths is None else self.row_lengths + lengths

    # -- assembly -------------------------------------------------------------------

    def to_list(self) -> list[bytes]:
        """Each row's bytes."""
        segments = self._segments()
        last = segments[-1]
        blob, offsets = last.source, last.cuts
        if len(segments) == 2 and isinstance(blob, bytes) and offsets is not None:
            # the usual records, in one pass: pieces or a compacted run, then a compacted run
            first = segments[0]
            heads, source, cuts = first.pieces, first.source, first.cuts
            ends = pairwise(offsets)
            if source is None or cuts is None:
                assert heads is not None
                return [head + blob[c:d] for head, (c, d) in zip(heads, ends, strict=True)]
            starts = pairwise(cuts)
            if heads is None:
                return [
                    bytes(source[a:b]) + blob[c:d]
                    for (a, b), (c, d) in zip(starts, ends, strict=True)
                ]
            return [
                b"".join((head, source[a:b], blob[c:d]))  # one copy of each piece
                for head, (a, b), (c, d) in zip(heads, starts, ends, strict=True)
            ]
        rows = [segment.rows() for segment in segments]
        if len(rows) == 1:
            return rows[0]
        return [b"".join(parts) for parts in zip(*rows, strict=True)]

    def to_bytes(self) -> bytes:
        """All rows back to back."""
        if self.row_lengths is None:  # rows of one width: a matrix, no offsets to keep
            if not self.blocks:
                return bytes(self._pending) * self.rows
            return self._matrix(self._blocks()).tobytes()
        segments = self._segments()
        only = segments[0]
        if len(segments) == 1 and only.pieces is None and only.source is not None:
            return bytes(only.source)
        rows = [segment.rows() for segment in segments]
        return b"".join(b"".join(parts) for parts in zip(*rows, strict=True))

    def _segments(self) -> list[_Block]:
        """Runs of matrix blocks, each compacted at once (a block of a ``source`` cut at
        row offsets), and blocks of pieces. Wide ragged blocks are runs of their own:
        copying them into a shared matrix costs more than cutting rows apart and
        joining them."""
        segments: list[_Block] = []
        run: list[_Block] = []
        for block in self._blocks():
            if block.pieces is None and not _stands_alone(block):
                run.append(block)
                continue
            if run:
                segments.append(self._compact(run))
                run = []
            segments.append(block if block.pieces is not None else self._compact([block]))
        if run or not segments:
            segments.append(self._compact(run))
        return segments

    def _blocks(self) -> list[_Block]:
        """The blocks, the constant bytes still gathered as the last."""
        return self.blocks + ([_Block(bytes(self._pending))] if self._pending else [])

    def _matrix(self, blocks: list[_Block]) -> np.ndarray:
        """The blocks side by side: ``(rows, their widths)`` bytes. The constant blocks
        come from one remembered row (a batch's layout repeats batch after batch), so
        only the blocks of data take a copy each."""
        data = [b.data for b in blocks]
        layout = tuple(part if isinstance(part, bytes) else part.shape[1] for part in data)
        const_row, spans = _layout(layout)
        matrix = np.empty((self.rows, len(const_row)), dtype=np.uint8)
        matrix[:] = const_row
        arrays = [part for part in data if not isinstance(part, bytes)]
        for (at, end), part in zip(spans, arrays, strict=True):
            matrix[:, at:end] = part
        return matrix

    def _compact(self, blocks: list[_Block]) -> _Block:
        """Lay the blocks side by side in one matrix, then keep the masked-in bytes."""
        rows = self.rows
        only = blocks[0] if len(blocks) == 1 else None
        if only is not None and only.mask is not None and only.lengths is not None:
            offsets = np.zeros(rows + 1, dtype=np.int64)  # compacted where it is, uncopied
            np.cumsum(only.lengths, out=offsets[1:])
            assert isinstance(only.data, np.ndarray)
            data = only.data.view(np.uint16) if only.unit == UNIT else only.data
            return _cut(data[only.mask].tobytes(), offsets.tolist())
        matrix = self._matrix(blocks)
        width = matrix.shape[1]
        ragged = [b for b in blocks if b.mask is not None]
        if not ragged:  # rows of one width
            cuts = list(range(0, rows * width + 1, width)) if width else [0] * (rows + 1)
            return _cut(matrix.tobytes(), cuts)
        mask = np.ones((rows, width), dtype=bool)
        lengths = np.full(rows, width - sum(b.width for b in ragged), dtype=np.int64)
        at = 0
        for block in blocks:
            end = at + block.width
            if block.mask is not None and block.lengths is not None:
                unit = block.unit
                mask[:, at:end] = np.repeat(block.mask, unit, axis=1) if unit > 1 else block.mask
                lengths += block.lengths
            at = end
        offsets = np.zeros(rows + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return _cut(matrix[mask].tobytes(), offsets.tolist())


class FixedField:
    """A part of a record that is a constant prefix, then the values' bytes.

    The prefix comes from the generic encoder run on one row of zeros (once per
    value count), so the two cannot disagree; per batch only the values are converted.
    """

    def __init__(self, generic: Callable[[np.ndarray], Rows], dtype: str) -> None:
        self.generic = generic
        self.dtype = dtype
        self.prefixes: dict[int, bytes] = {}

    def add(self, rows: Rows, values: np.ndarray) -> None:
        """Append each row's field to ``rows``."""
        rows.const(self.prefix(values.shape[1]))
        rows.fixed(as_bytes(values, self.dtype))

    def joined(self, values: Sequence[np.ndarray]) -> list[memoryview]:
        """For each array of ``values`` (all of one shape, fields of this prefix), its
        rows' fields back to back: one matrix for all of them, a numpy call or two per
        batch instead of several per array."""
        prefix = u8(self.prefix(values[0].shape[1]))
        size = len(prefix)
        matrix = np.empty((len(values), len(values[0]), size + values[0][0].nbytes), np.uint8)
        matrix[:, :, :size] = prefix
        for i, array in enumerate(values):
            matrix[i, :, size:] = as_bytes(array, self.dtype)
        return [part.data for part in matrix.reshape(len(values), -1)]

    def prefix(self, count: int) -> bytes:
        """The bytes before the values in a field of ``count`` values."""
        prefix = self.prefixes.get(count)
        if prefix is None:
            zeros = np.zeros((1, count), dtype=self.dtype)
            whole = self.generic(zeros).to_bytes()
            prefix = self.prefixes[count] = whole[: len(whole) - zeros.nbytes]
        return prefix


class DenseField:
    """A dense feature's part of a record: ``FixedField`` for floats, else generic;
    ``unfilled`` (the same on every row) when the dtype is not generated."""

    def __init__(
        self, generic: Callable[[np.ndarray], Rows], dtype: str | None, unfilled: bytes
    ) -> None:
        self.generic = generic
        self.fixed = FixedField(generic, dtype) if dtype is not None else None
        self.unfilled = unfilled

    def add(self, rows: Rows, values: np.ndarray | None) -> None:
        if values is None:
            rows.const(self.unfilled)
        elif self.fixed is not None:
            self.fixed.add(rows, values)
        else:
            rows.extend(self.generic(values))

    def joined(self, values: np.ndarray | None, rows: int) -> bytes | memoryview:
        """Each of ``rows`` rows' field, back to back."""
        if values is None:
            return self.unfilled * rows
        if self.fixed is not None:
            return self.fixed.joined([values])[0]
        return self.generic(values).to_bytes()


# --------------------------------------------------------------------------- sparse cells


Cell = tuple[bytes, int, bytes]  # (head, fid count, tail)


@dataclass(frozen=True)
class CellTable:
    """Templates of a sparse feature's bytes in one record (or one ExampleBatch row).

    A cell is ``head | fid slots | tail``; the template of (feature f, state s)
    holds the head right-aligned and the tail left-aligned, with zeros for the fids.
    State 0 is "dropped", state 1 + k "kept with k fids"; ``mask`` marks the bytes
    each template really has, a flag per ``unit`` bytes (see ``_Block``), ``length``
    counts them (fids included).
    """

    templates: np.ndarray  # (features * states, width) uint8
    mask: np.ndarray  # (features * states, width // unit) bool
    length: np.ndarray  # (features * states,) int64
    states: int
    head_width: int
    max_fids: int
    unit: int  # UNIT when every template's bytes start and end on even columns, else 1
    # For ``write``: each template's bytes alone (its fids zero), its fid count and
    # where the fids start in those bytes.
    compact: tuple[bytes, ...]
    fid_counts: np.ndarray  # (features * states,) int64
    fid_at: np.ndarray  # (features * states,) int64
    # Per code, its template repeated (no fids): a batch's cells copy a prefix of it.
    tiled: dict[int, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    @property
    def fid_dtype(self) -> np.dtype:
        """A template's row as a record of its fid slots (``_fid_layout``)."""
        return _fid_layout(self.head_width, self.max_fids, self.templates.shape[1])

    @classmethod
    def build(cls, cells: Sequence[Sequence[Cell | None]], max_fids: int) -> CellTable:
        """``cells[f][s]``; None for a state that never occurs."""
        states = len(cells[0]) if cells else 0
        flat = [c or (b"", 0, b"") for per_feature in cells for c in per_feature]
        head_width = max((len(head) for head, _, _ in flat), default=0)
        tail_width = max((len(tail) for _, _, tail in flat), default=0)
        fid_width = FID_BYTES * max_fids
        width = head_width + fid_width + tail_width
        blank = bytes(width)
        templates = np.frombuffer(
            b"".join(
                blank[: head_width - len(head)]
                + head
                + blank[:fid_width]
                + tail.ljust(tail_width, b"\0")
                for head, _, tail in flat
            ),
            dtype=np.uint8,
        ).reshape(len(flat), width)
        heads = np.array([len(head) for head, _, _ in flat], dtype=np.int64)
        fids = np.array([k for _, k, _ in flat], dtype=np.int64)
        tails = np.array([len(tail) for _, _, tail in flat], dtype=np.int64)
        column = np.arange(width)
        after = head_width + fid_width
        mask = (column >= head_width - heads[:, None]) & (
            column < head_width + FID_BYTES * fids[:, None]
        )
        mask |= (column >= after) & (column < after + tails[:, None])
        length = heads + FID_BYTES * fids + tails
        bounds = [head_width, width, *heads.tolist(), *tails.tolist()]
        unit = UNIT if all(b % UNIT == 0 for b in bounds) else 1
        unit_mask = np.ascontiguousarray(mask[:, ::unit])
        compact = tuple(head + bytes(FID_BYTES * k) + tail for head, k, tail in flat)
        return cls(
            templates.copy(),
            unit_mask,
            length,
            states,
            head_width,
            max_fids,
            unit,
            compact,
            fids,
            heads,
        )

    def rows(self, codes: np.ndarray, slots: np.ndarray) -> Rows:
        """One row per row of ``codes`` (template indices), its cells side by side, with
        ``slots`` (``codes.shape + (max_fids,)`` fids) written into their places."""
        codes = np.ascontiguousarray(codes)  # np.take is much faster than fancy indexing
        cells = np.take(self.templates, codes, axis=0)
        cells.view(self.fid_dtype)["fids"][..., 0, :] = slots
        mask = np.take(self.mask, codes, axis=0)
        n = len(codes)
        rows = Rows(n)
        rows.masked(
            cells.reshape(n, -1),
            mask.reshape(n, -1),
            np.take(self.length, codes).sum(axis=1),
            unit=self.unit,
        )
        return rows

    def write(
        self,
        out: np.ndarray,
        at: np.ndarray,
        codes: np.ndarray,
        slots: np.ndarray,
        cells: np.ndarray,
        *,
        placed: int | None = None,
        only: int | None = None,
    ) -> None:
        """Cell i (template ``codes[i]``, fids ``slots[cells[i]]``) into ``out`` at byte
        ``at[i]``.

        ``at``, ``codes`` and ``cells`` are flat, ``slots`` is ``(cells, max_fids)``,
        ``out`` a uint8 array the cells fit in; ``placed``: a code none of ``codes`` has
        (its cells are in ``out`` already); ``only``: the one code of ``codes``, if
        known to be (``one_code``). The cells of one template, their fids laid
        in, are written by one assignment through an ``overlapping`` view: a few passes
        over the cells, none of which branches on a cell's code, where compacting a
        matrix of templates by a mask (``rows``) pays for every run of kept bytes.
        """
        if not len(codes):
            return
        wanted = [code for code in range(len(self.compact)) if code != placed]
        picks: list[np.ndarray | slice]
        if only is not None:  # one template (a batch of single-fid features)
            wanted, picks = [only], [slice(None)]
        elif len(wanted) <= FEW_TEMPLATES:
            picks = [np.flatnonzero(codes == code) for code in wanted]
        else:  # one sort groups the cells of every template
            counts = np.bincount(codes, minlength=len(self.compact))
            order = np.argsort(codes.astype(np.min_scalar_type(len(counts))), kind="stable")
            ends = np.cumsum(counts).tolist()
            picks = [order[ends[code] - int(counts[code]) : ends[code]] for code in wanted]
        for code, picked in zip(wanted, picks, strict=True):
            mine = cells[picked]
            if len(mine):
                items = self._filled(code, slots.take(mine, axis=0))
                overlapping(out, len(self.compact[code]))[at[picked]] = items

    def _filled(self, code: int, slots: np.ndarray) -> np.ndarray:
        """Template ``code``'s bytes once per row of ``slots``, each with its fids: the
        template repeated (remembered), then the fids through a record view."""
        template = self.compact[code]
        size = len(template) * len(slots)
        tiled = self.tiled.get(code)
        if tiled is None or len(tiled) < size:
            tiled = np.tile(u8(template), len(slots))
            if tiled.nbytes <= TILED_BYTES:
                self.tiled[code] = tiled
        # a copy of bytes (not of records: that would skip the bytes between fields)
        items = tiled[:size].copy()
        k = int(self.fid_counts[code])
        if k:
            items.view(_fid_layout(int(self.fid_at[code]), k, len(template)))["fids"] = slots[:, :k]
        return items.view(_void(len(template)))


@functools.lru_cache(maxsize=256)
def _fid_layout(at: int, fids: int, size: int) -> np.dtype:
    """A cell of ``size`` bytes as a record whose one field is its ``fids`` little-endian
    uint64 from byte ``at``: writing fids through it is one strided copy per fid, many
    times faster than byte columns."""
    if not fids:
        return _void(size)
    return np.dtype(
        {"names": ["fids"], "formats": [(FID_LAYOUT, (fids,))], "offsets": [at], "itemsize": size}
    )


# The most bytes of repeated templates a table keeps for one template's cells.
TILED_BYTES = 1 << 20
# Up to this many templates to write, each one's cells are found by a pass of their
# own; past it, by one stable sort of every cell's code.
FEW_TEMPLATES = 3


@functools.lru_cache(maxsize=256)
def _void(width: int) -> np.dtype:
    """A dtype of ``width`` opaque bytes: a row of that many bytes as one item."""
    return np.dtype((np.void, width))


def overlapping(buffer: np.ndarray, width: int) -> np.ndarray:
    """``buffer`` (uint8) seen as items of ``width`` bytes starting at every byte: item i
    is ``buffer[i : i + width]``, so one fancy assignment writes ``width`` bytes at each
    of many offsets (offsets whose bytes do not overlap)."""
    count = max(len(buffer) - width + 1, 0)
    return np.ndarray((count,), dtype=_void(width), buffer=buffer, strides=(1,))


def split_cell(message: bytes, fids: int, tail: bytes) -> Cell:
    """(head, fids, tail) of a message whose ``fids`` zeroed fids sit just before ``tail``."""
    return message[: len(message) - len(tail) - FID_BYTES * fids], fids, tail


DROPPED = 0  # the state of a dropped cell
NO_FIDS = 1  # the state of a cell set with no fids; with k fids, NO_FIDS + k


def one_code(codes: np.ndarray) -> int | None:
    """The code every one of ``codes`` is, if they are all one (and there are any)."""
    if len(codes) and codes.min() == codes.max():
        return int(codes[0])
    return None


def sparse_state(block: SparseBlock, *, dropped_matters: bool) -> np.ndarray:
    """Each cell's state: ``DROPPED``, or ``NO_FIDS + k`` for a cell with k fids."""
    state = block.counts + NO_FIDS
    if dropped_matters:
        state *= block.present
    return state


def set_states(block: SparseBlock) -> tuple[np.ndarray, np.ndarray]:
    """The cells a row sets (flat indices, feature-major) and their states, the
    dropped ones left out: a pass over those cells only, where ``sparse_state`` makes
    two over all of them."""
    cells = np.flatnonzero(block.present)
    return cells, block.counts.ravel()[cells] + NO_FIDS
