"""Seeded record generation: the one entry point every subcommand builds on.

``RecordGenerator`` turns a ``Schema`` into an endless, reproducible stream of
records of one variant. It draws a batch at a time (``sampling``) and hands the
draws to an encoder, so memory is bounded by one batch however many records are
asked for. Two encoders give the same bytes from the same draws: ``wire`` (the
default: records laid out as wire bytes with numpy) and ``protobuf`` (one message
per record, ``messages``: the reference the other is tested against).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from enum import Enum
from typing import Any, NamedTuple

import numpy as np
from google.protobuf.message import Message

from monogen.encode import reference as messages
from monogen.encode import wire
from monogen.errors import SchemaError
from monogen.gen.sampling import (
    BatchDraw,
    LineIdPlan,
    SparsePlan,
    SparseSpec,
    draw_dense,
    warn_unfilled_dense,
)
from monogen.gen.schema import Schema
from monogen.proto import example_pb2, proto_parser_pb2

DEFAULT_BATCH_SIZE = 64
MAX_SEED = 2**63 - 1


class Variant(str, Enum):
    """The record type, which also names the warmup request's input tensor."""

    EXAMPLE = "example"
    INSTANCE = "instance"
    EXAMPLE_BATCH = "example_batch"

    @classmethod
    def parse(cls, text: str | Variant) -> Variant:
        if isinstance(text, Variant):
            return text
        key = text.strip().lower().replace("-", "_")
        key = {"examplebatch": "example_batch", "batch": "example_batch"}.get(key, key)
        try:
            return cls(key)
        except ValueError:
            valid = ", ".join(v.value for v in cls)
            raise SchemaError(f"unknown variant {text!r} (expected one of: {valid})") from None

    @property
    def input_name(self) -> str:
        """The serving signature input that takes this variant."""
        return _INPUT_NAMES[self]

    @property
    def message_class(self) -> type[Message]:
        return _MESSAGE_CLASSES[self]

    @property
    def record_name(self) -> str:
        """The record's message name (``Example``, ``Instance``, ``ExampleBatch``)."""
        return self.message_class.DESCRIPTOR.name

    def rows_per_record(self, batch_size: int) -> int:
        """Rows one serialized record holds: a whole batch for an ExampleBatch, else one."""
        return batch_size if self is Variant.EXAMPLE_BATCH else 1


_INPUT_NAMES = {
    Variant.EXAMPLE: "examples",
    Variant.INSTANCE: "instances",
    Variant.EXAMPLE_BATCH: "example_batch",
}
_MESSAGE_CLASSES: dict[Variant, type[Message]] = {
    Variant.EXAMPLE: example_pb2.Example,
    Variant.INSTANCE: proto_parser_pb2.Instance,
    Variant.EXAMPLE_BATCH: example_pb2.ExampleBatch,
}
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
    return secrets.randbelow(MAX_SEED)


class RecordGenerator:
    """Reproducible records of one variant: same schema, options and seed give the same bytes.

    A *batch* is what one warmup request or one data-file batch holds:
    ``batch_size`` Examples or Instances, or one ExampleBatch of ``batch_size`` rows.
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
        self.req_time = int(time.time()) if req_time is None else req_time
        self._rng = np.random.default_rng(seed)
        self._line_id = LineIdPlan.build(schema.extra, req_time=self.req_time, actions=actions)
        self.encoder = encoder
        codec = _CODECS[self.variant]
        self._build = codec.build
        self._encode = codec.wire(schema) if encoder == WIRE else None
        self._fidv1_plan, self._sparse_plan = self._sparse_plans()
        warn_unfilled_dense(schema.dense)

    def _sparse_plans(self) -> tuple[SparsePlan, SparsePlan]:
        """The fid-v1 slots and the sparse features, in the order they are drawn."""
        schema = self.schema
        if self.variant is Variant.INSTANCE:
            return (
                SparsePlan([SparseSpec.fidv1(slot) for slot in schema.fidv1_slots]),
                SparsePlan([SparseSpec.instance_column(m) for m in schema.instance_columns]),
            )
        return SparsePlan([]), SparsePlan([SparseSpec.example(m) for m in schema.sparse])

    def draw(self, n: int) -> BatchDraw:
        """Draw ``n`` rows; the order of draws is fixed so that output is reproducible."""
        rng, schema = self._rng, self.schema
        fidv1 = self._fidv1_plan.draw_rows(rng, n)
        sparse = self._sparse_plan.draw(rng, n, drop_rate=self.drop_rate)
        dense = tuple(draw_dense(rng, meta, n) for meta in schema.dense)
        labels = self._draw_labels(n)
        return BatchDraw(n, sparse, fidv1, dense, labels, self._line_id.draw(rng, n))

    def _draw_labels(self, n: int) -> np.ndarray:
        shape = self.schema.label_shape
        if self.variant is Variant.EXAMPLE_BATCH and shape is None:
            return (np.arange(n, dtype=np.float32) % 2).reshape(n, 1)
        return self._rng.integers(0, 2, size=(n, shape or 1)).astype(np.float32)

    def batch_messages(self, rows: int | None = None) -> Sequence[Message]:
        """One batch as messages (``rows`` defaults to the batch size)."""
        return self._build(self.schema, self.draw(rows or self.batch_size))

    def batches(self) -> Iterator[list[bytes]]:
        """An endless stream of serialized batches."""
        while True:
            yield self._serialize(self.draw(self.batch_size))

    def records(self, count: int) -> Iterator[Message]:
        """``count`` records: Examples or Instances, or ExampleBatches of ``batch_size`` rows."""
        for rows in self._batch_rows(count):
            yield from self.batch_messages(rows)

    def serialized_records(self, count: int) -> Iterator[bytes]:
        """The bytes of ``records(count)``, made by the selected encoder."""
        for rows in self._batch_rows(count):
            yield from self._serialize(self.draw(rows))

    def _serialize(self, draw: BatchDraw) -> list[bytes]:
        """A draw's records as bytes, by the selected encoder."""
        if self._encode is not None:
            return self._encode(draw)
        return messages.serialize(self._build(self.schema, draw))

    def _batch_rows(self, count: int) -> Iterator[int]:
        """Rows per batch for ``count`` records: whole batches, the last one short."""
        if self.variant is Variant.EXAMPLE_BATCH:
            yield from (self.batch_size for _ in range(count))
            return
        remaining = count
        while remaining > 0:
            yield min(remaining, self.batch_size)
            remaining -= self.batch_size
