"""Seeded record generation: the one entry point every subcommand builds on.

``RecordGenerator`` turns a ``Schema`` into an endless, reproducible stream of
records of one variant. It draws a batch at a time (``sampling``) and hands the
draws to an encoder, so memory is bounded by one batch however many records are
asked for. Two encoders give the same bytes from the same draws: ``wire`` (the
default: records laid out as wire bytes with numpy) and ``protobuf`` (one message
per record, ``messages``: the reference the other is tested against).

Randomness is keyed by batch: batch *i* draws from its own ``PCG64`` stream,
seeded by ``SeedSequence(seed, spawn_key=(i,))`` (``streams`` computes those
states a block of batches at a time), and always draws a whole batch,
so its records depend only on the seed, *i* and the options. A run cut into
shards, processes or machines, a shorter ``count`` or a single shard regenerated
alone therefore all give the same bytes.

Why the streams do not overlap: ``SeedSequence`` hashes the seed and the key
together (every input bit affects every output bit) into PCG64's 128-bit state
and its stream increment, so each batch starts at an effectively random point of
a 2**128 period. For n streams of L draws each, the chance that any two overlap
is about n**2 * L / 2**128: a billion batches (2**30) of a million draws (2**20)
each stay below 2**-48. The derived req_time comes from the root sequence, whose
state differs from all of its spawned children's.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from google.protobuf.message import Message

from monogen.encode import reference as messages
from monogen.encode import wire
from monogen.errors import SchemaError

# Re-exported: callers have imported the record type and the default from here.
from monogen.formats import DEFAULT_BATCH_SIZE as DEFAULT_BATCH_SIZE
from monogen.formats import Variant as Variant
from monogen.gen.sampling import (
    WORD_BITS,
    BatchDraw,
    DensePlan,
    LineIdPlan,
    SparsePlan,
    SparseSpec,
    agree_line_ids,
    random_words,
    ranked_id_features,
    warn_unfilled_dense,
)
from monogen.gen.schema import Schema
from monogen.gen.streams import BatchStreams

MAX_SEED = 2**63 - 1
# Reproducible-build tools set this to the time a build should claim (seconds since epoch).
SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"
# req_time derived from a seed falls in the year 2024 (UTC), a plausible request time.
DERIVED_REQ_TIME_START = 1_704_067_200
DERIVED_REQ_TIME_SPAN = 366 * 24 * 3600

Builder = Callable[[Schema, BatchDraw], Sequence[Any]]


class Codec(NamedTuple):
    """How a variant's records are made: as messages, or straight as wire bytes."""

    build: Builder
    wire: Callable[[Schema], wire.WireEncoder]


_CODECS: dict[Variant, Codec] = {
    Variant.EXAMPLE: Codec(messages.build_examples, wire.ExampleEncoder),
    Variant.INSTANCE: Codec(messages.build_instances, wire.InstanceEncoder),
    Variant.EXAMPLE_BATCH: Codec(messages.build_example_batch, wire.ExampleBatchEncoder),
}
WIRE = "wire"
PROTOBUF = "protobuf"
ENCODERS = (WIRE, PROTOBUF)


def fresh_seed() -> int:
    """A seed for runs that did not ask for one; callers report it so the run can be repeated."""
    import secrets  # here, not at the top: it loads OpenSSL's hashes, a cost runs with --seed skip

    return secrets.randbelow(MAX_SEED)


def resolve_req_time(
    seed: int, req_time: int | None = None, *, environ: Mapping[str, str] = os.environ
) -> int:
    """The LineId req_time of a run: given, else ``SOURCE_DATE_EPOCH``, else from the seed.

    Never the wall clock, so a seed alone repeats a run byte for byte. The derived
    value is a second of 2024 drawn from the root ``SeedSequence(seed)``, whose
    state is not that of any batch (batches are its spawned children).
    """
    if req_time is not None:
        return req_time
    text = environ.get(SOURCE_DATE_EPOCH)
    if text is not None and text.strip():
        try:
            value = int(text)
        except ValueError:
            value = -1
        if value < 0:
            raise SchemaError(f"{SOURCE_DATE_EPOCH}={text!r} is not a time in epoch seconds")
        return value
    state = np.random.SeedSequence(seed).generate_state(1, np.uint64)
    offset = int(state[0]) % DERIVED_REQ_TIME_SPAN
    return DERIVED_REQ_TIME_START + offset


class RecordGenerator:
    """Reproducible records of one variant: same schema, options and seed give the same bytes.

    A *batch* is what one warmup request or one data-file batch holds:
    ``batch_size`` Examples or Instances, or one ExampleBatch of ``batch_size`` rows.
    ``first_batch`` is the index of the first batch drawn: a shard that starts at
    batch *i* passes *i* and gets the same records as a run from 0 at that point.
    """

    def __init__(
        self,
        schema: Schema,
        variant: Variant | str,
        *,
        seed: int,
        batch_size: int = DEFAULT_BATCH_SIZE,
        drop_rate: float = 0.0,
        req_time: int | None = None,
        actions: Sequence[int] | None = None,
        encoder: str = WIRE,
        first_batch: int = 0,
    ) -> None:
        if batch_size < 1:
            raise SchemaError(f"batch size must be >= 1, not {batch_size}")
        if not 0.0 <= drop_rate <= 1.0:
            raise SchemaError(f"drop rate must be within [0, 1], not {drop_rate}")
        if encoder not in ENCODERS:
            raise SchemaError(
                f"unknown encoder {encoder!r} (expected one of: {', '.join(ENCODERS)})"
            )
        self.schema = schema
        self.variant = Variant.parse(variant)
        self.seed = seed
        self.batch_size = batch_size
        self.drop_rate = drop_rate
        if first_batch < 0:
            raise SchemaError(f"first batch must be >= 0, not {first_batch}")
        self.first_batch = first_batch
        self.req_time = resolve_req_time(seed, req_time)
        self.actions = None if actions is None else tuple(actions)
        self._line_id = LineIdPlan.build(schema.extra, req_time=self.req_time, actions=actions)
        self.encoder = encoder
        codec = _CODECS[self.variant]
        self._build = codec.build
        self._encode = codec.wire(schema) if encoder == WIRE else None
        self._fidv1_plan, self._sparse_plan = self._sparse_plans()
        self._dense_plan = DensePlan(schema.dense)
        self._ranked_ids = ranked_id_features(self._sparse_plan.specs)
        self._streams = BatchStreams(seed)
        warn_unfilled_dense(schema.dense)

    def _arguments(self) -> dict[str, Any]:
        """What the constructor needs to make this generator again (req_time resolved)."""
        return {
            "schema": self.schema,
            "variant": self.variant,
            "seed": self.seed,
            "batch_size": self.batch_size,
            "drop_rate": self.drop_rate,
            "req_time": self.req_time,
            "actions": self.actions,
            "encoder": self.encoder,
            "first_batch": self.first_batch,
        }

    def starting_at(self, first_batch: int) -> RecordGenerator:
        """The same run seen from batch ``first_batch`` on: what a shard starting there draws."""
        return RecordGenerator(**{**self._arguments(), "first_batch": first_batch})

    def __reduce__(self) -> tuple[Callable[..., RecordGenerator], tuple[dict[str, Any]]]:
        """Pickled as its arguments (a worker process rebuilds the encoder tables itself)."""
        return _rebuild, (self._arguments(),)

    def _sparse_plans(self) -> tuple[SparsePlan, SparsePlan]:
        """The fid-v1 slots and the sparse features, in the order they are drawn."""
        schema = self.schema
        if self.variant is Variant.INSTANCE:
            return (
                SparsePlan(
                    [
                        SparseSpec.fidv1(slot, gen)
                        for slot, gen in itertools.zip_longest(schema.fidv1_slots, schema.fidv1_gen)
                    ]
                ),
                SparsePlan([SparseSpec.instance_column(m) for m in schema.instance_columns]),
            )
        return SparsePlan([]), SparsePlan([SparseSpec.example(m) for m in schema.sparse])

    def draw(self, index: int) -> BatchDraw:
        """Every random value of batch ``index``, from the batch's own stream in a fixed order.

        A whole batch is always drawn; callers that need fewer records cut the
        encoded batch, so a short batch is a prefix of the full one.
        """
        rng, n = self._streams.rng(index), self.batch_size
        fidv1 = self._fidv1_plan.draw_rows(rng, n)
        sparse = self._sparse_plan.draw(rng, n, drop_rate=self.drop_rate)
        dense = self._dense_plan.draw(rng, n)
        labels = self._draw_labels(rng, n)
        line_ids = self._line_id.draw(rng, n)
        agree_line_ids(line_ids, self._ranked_ids, sparse)
        return BatchDraw(n, sparse, fidv1, dense, labels, line_ids)

    def _draw_labels(self, rng: np.random.Generator, n: int) -> np.ndarray:
        shape = self.schema.label_shape
        rates = self.schema.positive_rate
        if rates is not None:
            drawn = rng.random((n, shape or 1)) < np.asarray(rates, dtype=np.float64)
            return drawn.astype(np.float32)
        if self.variant is Variant.EXAMPLE_BATCH and shape is None:
            return _alternating_labels(n)
        coins = random_words(rng, n * (shape or 1)) >> np.uint32(WORD_BITS - 1)  # a word's top bit
        return coins.astype(np.float32).reshape(n, shape or 1)

    def batch_messages(self, index: int | None = None) -> Sequence[Message]:
        """Batch ``index`` (by default the first this generator draws) as messages."""
        return self._build(self.schema, self.draw(self.first_batch if index is None else index))

    def batches(self) -> Iterator[list[bytes]]:
        """An endless stream of serialized batches, from ``first_batch`` on."""
        for index in itertools.count(self.first_batch):
            yield self._serialize(self.draw(index))

    def records(self, count: int) -> Iterator[Message]:
        """``count`` records: Examples or Instances, or ExampleBatches of ``batch_size`` rows."""
        for index, keep in self._batch_spans(count):
            yield from self.batch_messages(index)[:keep]

    def serialized_records(self, count: int) -> Iterator[bytes]:
        """The bytes of ``records(count)``, made by the selected encoder."""
        for index, keep in self._batch_spans(count):
            yield from self._serialize(self.draw(index))[:keep]

    def _serialize(self, draw: BatchDraw) -> list[bytes]:
        """A draw's records as bytes, by the selected encoder."""
        if self._encode is not None:
            return self._encode(draw)
        return messages.serialize(self._build(self.schema, draw))

    def _batch_spans(self, count: int) -> Iterator[tuple[int, int]]:
        """``(batch index, records kept)`` for ``count`` records: whole batches, the last cut."""
        per_batch = self.records_per_batch
        for index in itertools.count(self.first_batch):
            if count <= 0:
                return
            yield index, min(count, per_batch)
            count -= per_batch

    @property
    def records_per_batch(self) -> int:
        """Serialized records in one batch: one ExampleBatch, else ``batch_size`` rows."""
        return self.variant.records_per_batch(self.batch_size)


@functools.lru_cache(maxsize=8)
def _alternating_labels(n: int) -> np.ndarray:
    """0, 1, 0, 1, ... as an ``(n, 1)`` float32 column, made once per batch size (read-only)."""
    labels = (np.arange(n, dtype=np.float32) % 2).reshape(n, 1)
    labels.flags.writeable = False
    return labels


def _rebuild(arguments: dict[str, Any]) -> RecordGenerator:
    return RecordGenerator(**arguments)
