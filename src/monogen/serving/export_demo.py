"""Monolith's FFM export demo, rebuilt on TensorFlow alone: a SavedModel that serves Instances.

Monolith shipped a demo that trained a small field-aware factorization machine (its
``TestFFMModel``) and exported it standalone or split into an entry model and
parameter-server (ps) shards. This module does the same without Monolith, so the
warmup files and requests monogen generates have a real model to be served by.

This is the only monogen module that uses TensorFlow (the ``tf`` extra), and it
imports it inside functions: ``import monogen.serving.export_demo`` stays TensorFlow-free
and ``require_tensorflow`` turns a missing install into a one-line error.

The model (Monolith's ``TestFFMModel``)
---------------------------------------
- Six fid-v1 slots. monogen never generates slot 0, so the model's slots 0..5 read
  fid-v1 slots 1..6 (``MODEL_SLOT_TO_FIDV1``): model slot ``k`` takes the fids with
  ``fid >> 54 == k + 1``.
- Each slot has one embedding table of ``VOCAB_BUCKETS`` rows; a fid picks row
  ``fid % VOCAB_BUCKETS`` (the vocabulary is folded by hashing), and a slot's
  embedding for one Instance is the sum of its fids' rows (zeros when it has none).
- A table row is laid out as Monolith laid out its feature slices::

      [ bias (1 column, slots 0..3 only) | 16 columns per FFM pair the slot is in,
                                           in FFM_PAIRS order ]

  so for the pair (a, b) the field-aware vectors are slot a's slice for that pair
  and slot b's slice for that pair.
- ``logit = sum of the four biases + sum over FFM_PAIRS of <v_a, v_b>``, and the
  model answers ``sigmoid(logit)``.
- It is trained by plain SGD on the log loss for a few steps of monogen-generated
  Instances (seeded, so the same seed exports the same weights).

What is exported
----------------
``serving_default`` takes ``instances`` (DT_STRING, shape [None], serialized
``parser.proto.Instance``) and answers one output, ``output`` (DT_FLOAT, shape
[None]): the click probability of each Instance. The output is named ``output``
because that is what marks a single-head model (docs/formats.md §4), so a warmup file
for it needs no per-head ``output_filter`` copies. The Instances are parsed inside
the graph by ``tf.io.decode_proto`` with monogen's own descriptor set passed as
``bytes://<FileDescriptorSet>``, so the SavedModel uses core TensorFlow ops only and
needs no custom op library where it is served. (``fixed64`` fids are asked for as
``tf.uint64``.)

Layouts (TF Serving loads the largest numbered version under a base directory)::

    standalone:   <base>/<version>/saved_model.pb
    distributed:  <base>/entry/<version>/saved_model.pb
                  <base>/ps_<i>/<version>/saved_model.pb      for i < num_ps

How the distributed entry reaches its shards
--------------------------------------------
Every table is sharded across the ps by fid: fid bucket ``b = fid % VOCAB_BUCKETS``
lives on ps ``b % num_ps`` at row ``b // num_ps`` (``VOCAB_BUCKETS`` is 1000, so for
num_ps = 1, 2, 4, 5, 8, 10 this is simply ``fid % num_ps``). ``ps_<i>`` holds only
its own rows and serves them through one signature per table,
``lookup_slot_<fid-v1 slot>``: input ``fids`` (DT_UINT64, [None]), output
``embeddings`` (DT_FLOAT, [None, width]); a fid owned by another shard gets a row of
zeros, as a hash-table miss would.

In a real Monolith deployment the entry keeps only the dense part and calls those
ps lookups over RPC. A SavedModel cannot make RPCs without a custom op, so in this
demo the entry bundles the same per-shard tables as separate variables
(``shard_tables[slot][i]`` equals ps_i's table for that slot) and routes each fid to
its shard in the graph (``tf.dynamic_partition`` by ``bucket % num_ps``, one
``tf.gather`` per shard, ``tf.dynamic_stitch`` back), then runs the same FFM layer.
The entry therefore answers ``serving_default`` on its own, with the same
probabilities as the standalone model trained with the same weights.

Versions appear whole: each SavedModel is written to a hidden temporary directory
beside its version directory and renamed into place, so TF Serving, which polls the
base directory, never loads a half-written version. ``before_publish`` runs on each
servable before that rename, which is where a warmup file belongs
(``assets.extra/tf_serving_warmup_requests``). Only the standalone model and the
entry take ``instances``: the ps lookups take uint64 fids, which a warmup file of
serialized records (one DT_STRING input) cannot feed.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from google.protobuf import descriptor_pb2

from monogen.errors import (
    ExportOptionsError,
    MonogenError,
    OutputExistsError,
    TensorFlowMissingError,
)
from monogen.formats import DEFAULT_SIGNATURE, ENTRY_SERVABLE, Variant
from monogen.gen import fids
from monogen.gen.generator import RecordGenerator
from monogen.gen.schema import Schema
from monogen.proto import proto_parser_pb2
from monogen.serving.tensorflow_import import INSTALL_HINT, require_tensorflow

# --------------------------------------------------------------------------- the model
NUM_SLOTS = 6
# Model slot k reads fid-v1 slot k + 1: monogen never generates slot 0.
MODEL_SLOT_TO_FIDV1: tuple[int, ...] = tuple(range(1, NUM_SLOTS + 1))
# The FFM pairs of Monolith's TestFFMModel, as (model slot, model slot).
FFM_PAIRS: tuple[tuple[int, int], ...] = ((0, 3), (0, 4), (1, 5), (2, 3), (2, 5))
EMBEDDING_DIM = 16
# Slots 0..3 carry a bias column (Monolith: ``i <= NUM_SLOTS // 2``).
BIAS_SLOTS = 4
BIAS_COLUMN = 0
BIAS_WIDTH = 1
VOCAB_BUCKETS = 1000
BATCH_SIZE = 64
DEFAULT_STEPS = 20
DEFAULT_NUM_PS = 2
LEARNING_RATE = 0.05
INIT_STDDEV = 0.05

# --------------------------------------------------------------------------- serving names
INSTANCE_MESSAGE = "parser.proto.Instance"
INPUT_NAME = "instances"
OUTPUT_NAME = "output"
LOOKUP_INPUT = "fids"
LOOKUP_OUTPUT = "embeddings"
ENTRY_DIR = ENTRY_SERVABLE
PS_DIR_PREFIX = "ps_"
STANDALONE_NAME = "standalone"
DESCRIPTOR_SOURCE_PREFIX = b"bytes://"


class ExportMode(str, Enum):
    """How the model is exported: one SavedModel, or an entry plus ps shards."""

    STANDALONE = "standalone"
    DISTRIBUTED = "distributed"

    @classmethod
    def parse(cls, text: str | ExportMode) -> ExportMode:
        if isinstance(text, ExportMode):
            return text
        try:
            return cls(text.strip().lower())
        except ValueError:
            valid = ", ".join(m.value for m in cls)
            raise ExportOptionsError(
                f"unknown export mode {text!r} (expected one of: {valid})"
            ) from None


@dataclass(frozen=True)
class SlotLayout:
    """Where a slot's bias and FFM slices sit in its table rows (see the module doc)."""

    width: int
    has_bias: bool
    # FFM pair index → first column of this slot's 16-column slice for that pair.
    pair_columns: dict[int, int]


def _slot_layouts() -> tuple[SlotLayout, ...]:
    widths = [BIAS_WIDTH if slot < BIAS_SLOTS else 0 for slot in range(NUM_SLOTS)]
    columns: list[dict[int, int]] = [{} for _ in range(NUM_SLOTS)]
    for pair_index, pair in enumerate(FFM_PAIRS):
        for slot in pair:
            columns[slot][pair_index] = widths[slot]
            widths[slot] += EMBEDDING_DIM
    return tuple(
        SlotLayout(width=widths[s], has_bias=s < BIAS_SLOTS, pair_columns=columns[s])
        for s in range(NUM_SLOTS)
    )


SLOT_LAYOUTS = _slot_layouts()


@dataclass(frozen=True)
class DemoWeights:
    """A trained demo model: one ``[VOCAB_BUCKETS, width]`` float32 table per model slot."""

    tables: tuple[np.ndarray, ...]
    steps: int
    seed: int
    # Mean log loss of the last training batch (before its update).
    final_loss: float


# --------------------------------------------------------------------------- TensorFlow


@functools.lru_cache(maxsize=1)
def instance_descriptor_set() -> bytes:
    """The serialized ``FileDescriptorSet`` that defines ``parser.proto.Instance``.

    ``tf.io.decode_proto`` cannot see monogen's private descriptor pool, so the graph
    carries the definitions itself (``bytes://`` + this set). Files come dependencies
    first, each once, as a descriptor pool needs them.
    """
    file_set = descriptor_pb2.FileDescriptorSet()
    seen: set[str] = set()

    def add(file: Any) -> None:
        if file.name in seen:
            return
        seen.add(file.name)
        for dependency in file.dependencies:
            add(dependency)
        file.CopyToProto(file_set.file.add())

    add(proto_parser_pb2.DESCRIPTOR)
    return file_set.SerializeToString()


def _parse_instances(tf: Any, instances: Any, *, with_labels: bool = False) -> tuple[Any, ...]:
    """Per model slot, the fids of a batch of serialized Instances and the row each came from.

    Returns ``(batch_size, [(fids_k, rows_k) for k in slots])``, plus the labels
    (first label of each Instance, 0 when it has none) when ``with_labels``.
    """
    fields = ["fid", "label"] if with_labels else ["fid"]
    types = [tf.uint64, tf.float32] if with_labels else [tf.uint64]
    # decode_proto refuses an empty batch; an empty string parses as an Instance with
    # no fids, so one appended after the real rows contributes nothing to them.
    sizes, values = tf.io.decode_proto(
        tf.concat([instances, tf.constant([b""])], axis=0),
        message_type=INSTANCE_MESSAGE,
        field_names=fields,
        output_types=types,
        descriptor_source=DESCRIPTOR_SOURCE_PREFIX + instance_descriptor_set(),
    )
    batch_size = tf.shape(instances, out_type=tf.int64)[0]
    # decode_proto pads each repeated field to the longest row; the sizes say how
    # much of each row is real.
    present = tf.sequence_mask(sizes[:, 0], maxlen=tf.shape(values[0])[1])
    all_fids = tf.boolean_mask(values[0], present)
    all_rows = tf.where(present)[:, 0]
    fid_slots = tf.bitwise.right_shift(all_fids, tf.constant(fids.HASH_BITS_V1, tf.uint64))
    per_slot = []
    for fidv1_slot in MODEL_SLOT_TO_FIDV1:
        selected = tf.equal(fid_slots, tf.constant(fidv1_slot, tf.uint64))
        per_slot.append((tf.boolean_mask(all_fids, selected), tf.boolean_mask(all_rows, selected)))
    if not with_labels:
        return batch_size, per_slot
    labels = tf.pad(values[1], [[0, 0], [0, 1]])[:batch_size, 0]
    return batch_size, per_slot, labels


def _buckets(tf: Any, slot_fids: Any) -> Any:
    """Table rows of fids: ``fid % VOCAB_BUCKETS``, computed on uint64 then made int64."""
    return tf.cast(tf.math.floormod(slot_fids, tf.constant(VOCAB_BUCKETS, tf.uint64)), tf.int64)


def _ffm_probability(tf: Any, pooled: Sequence[Any]) -> Any:
    """``sigmoid(biases + sum of <v_a, v_b> over FFM_PAIRS)`` from per-slot pooled rows."""
    return tf.sigmoid(_ffm_logit(tf, pooled))


def _ffm_logit(tf: Any, pooled: Sequence[Any]) -> Any:
    terms = [pooled[s][:, BIAS_COLUMN] for s in range(NUM_SLOTS) if SLOT_LAYOUTS[s].has_bias]
    for pair_index, (a, b) in enumerate(FFM_PAIRS):
        col_a = SLOT_LAYOUTS[a].pair_columns[pair_index]
        col_b = SLOT_LAYOUTS[b].pair_columns[pair_index]
        v_a = pooled[a][:, col_a : col_a + EMBEDDING_DIM]
        v_b = pooled[b][:, col_b : col_b + EMBEDDING_DIM]
        terms.append(tf.reduce_sum(v_a * v_b, axis=1))
    return tf.add_n(terms)


def _pool(tf: Any, rows: Any, row_ids: Any, batch_size: Any) -> Any:
    """Sum the looked-up rows of each Instance; an Instance with no fids gets zeros."""
    return tf.math.unsorted_segment_sum(rows, row_ids, num_segments=batch_size)


# --------------------------------------------------------------------------- training


def train_demo(*, steps: int = DEFAULT_STEPS, seed: int = 0) -> DemoWeights:
    """Train the demo model for ``steps`` batches of ``BATCH_SIZE`` monogen Instances.

    The initial weights and the Instances both come from ``seed``, so a seed gives
    the same model every time (up to TensorFlow's float summation order).
    """
    _check_training(steps, seed)
    tf = require_tensorflow()
    rng = np.random.default_rng(seed)
    initial = [
        (rng.standard_normal((VOCAB_BUCKETS, layout.width)) * INIT_STDDEV).astype(np.float32)
        for layout in SLOT_LAYOUTS
    ]
    tables = [
        tf.Variable(value, name=f"slot_{s}")
        for s, value in zip(MODEL_SLOT_TO_FIDV1, initial, strict=True)
    ]

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def train_step(instances: Any) -> Any:
        batch_size, per_slot, labels = _parse_instances(tf, instances, with_labels=True)
        with tf.GradientTape() as tape:
            pooled = [
                _pool(tf, tf.gather(table, _buckets(tf, slot_fids)), row_ids, batch_size)
                for table, (slot_fids, row_ids) in zip(tables, per_slot, strict=True)
            ]
            loss = tf.reduce_mean(
                tf.nn.sigmoid_cross_entropy_with_logits(
                    labels=labels, logits=_ffm_logit(tf, pooled)
                )
            )
        for table, grad in zip(tables, tape.gradient(loss, tables), strict=True):
            # A gather's gradient is sparse (IndexedSlices): update only the rows used.
            table.scatter_sub(tf.IndexedSlices(grad.values * LEARNING_RATE, grad.indices))
        return loss

    final_loss = float("nan")
    for batch in islice(_training_batches(seed), steps):
        final_loss = float(train_step(tf.constant(batch)))
    return DemoWeights(
        tables=tuple(table.numpy() for table in tables),
        steps=steps,
        seed=seed,
        final_loss=final_loss,
    )


def _training_batches(seed: int) -> Iterable[list[bytes]]:
    schema = Schema.build(fidv1_slots=MODEL_SLOT_TO_FIDV1)
    generator = RecordGenerator(
        schema, Variant.INSTANCE, seed=seed, batch_size=BATCH_SIZE, req_time=0
    )
    return generator.batches()


# --------------------------------------------------------------------------- servables


def shard_rows(table: np.ndarray, shard: int, num_ps: int) -> np.ndarray:
    """The rows of ``table`` that ps ``shard`` holds: buckets ``shard, shard + num_ps, ...``.

    Bucket ``b`` is row ``b // num_ps`` of shard ``b % num_ps``.
    """
    return table[shard::num_ps]


def _standalone_module(tf: Any, weights: DemoWeights) -> Any:
    module = tf.Module(name="ffm_demo")
    module.tables = [
        tf.Variable(table, trainable=False, name=f"slot_{s}")
        for s, table in zip(MODEL_SLOT_TO_FIDV1, weights.tables, strict=True)
    ]

    def lookup(slot: int, slot_fids: Any) -> Any:
        return tf.gather(module.tables[slot], _buckets(tf, slot_fids))

    module.serve = _serving_function(tf, lookup)
    return module


def _entry_module(tf: Any, weights: DemoWeights, num_ps: int) -> Any:
    module = tf.Module(name="ffm_demo_entry")
    module.shard_tables = [
        [
            tf.Variable(shard_rows(table, i, num_ps), trainable=False, name=f"slot_{s}_ps_{i}")
            for i in range(num_ps)
        ]
        for s, table in zip(MODEL_SLOT_TO_FIDV1, weights.tables, strict=True)
    ]

    def lookup(slot: int, slot_fids: Any) -> Any:
        # Stands in for the RPC to the ps servables: same routing, same shard rows.
        buckets = _buckets(tf, slot_fids)
        shard = tf.cast(tf.math.floormod(buckets, num_ps), tf.int32)
        local_rows = tf.math.floordiv(buckets, num_ps)
        positions = tf.range(tf.size(buckets))
        rows_by_shard = tf.dynamic_partition(local_rows, shard, num_ps)
        positions_by_shard = tf.dynamic_partition(positions, shard, num_ps)
        found = [tf.gather(module.shard_tables[slot][i], rows_by_shard[i]) for i in range(num_ps)]
        stitched = tf.dynamic_stitch(positions_by_shard, found)
        # dynamic_stitch sizes its output by the largest index, so an empty lookup
        # needs its shape restored.
        return tf.reshape(stitched, [tf.size(buckets), SLOT_LAYOUTS[slot].width])

    module.serve = _serving_function(tf, lookup)
    return module


def _serving_function(tf: Any, lookup: Callable[[int, Any], Any]) -> Any:
    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=INPUT_NAME)])
    def serve(instances: Any) -> dict[str, Any]:
        batch_size, per_slot = _parse_instances(tf, instances)
        pooled = [
            _pool(tf, lookup(slot, slot_fids), row_ids, batch_size)
            for slot, (slot_fids, row_ids) in enumerate(per_slot)
        ]
        return {OUTPUT_NAME: _ffm_probability(tf, pooled)}

    return serve


def _ps_module(
    tf: Any, weights: DemoWeights, shard: int, num_ps: int
) -> tuple[Any, dict[str, Any]]:
    """ps ``shard``: its rows of every table and one ``lookup_slot_<n>`` signature per table."""
    module = tf.Module(name=f"ffm_demo_ps_{shard}")
    module.tables = [
        tf.Variable(shard_rows(table, shard, num_ps), trainable=False, name=f"slot_{s}")
        for s, table in zip(MODEL_SLOT_TO_FIDV1, weights.tables, strict=True)
    ]
    signatures = {}
    for slot, fidv1_slot in enumerate(MODEL_SLOT_TO_FIDV1):
        function = _ps_lookup_function(tf, module.tables[slot], shard, num_ps)
        setattr(module, f"lookup_slot_{fidv1_slot}", function)
        signatures[lookup_signature(fidv1_slot)] = function
    return module, signatures


def _ps_lookup_function(tf: Any, table: Any, shard: int, num_ps: int) -> Any:
    @tf.function(input_signature=[tf.TensorSpec([None], tf.uint64, name=LOOKUP_INPUT)])
    def lookup(slot_fids: Any) -> dict[str, Any]:
        buckets = _buckets(tf, slot_fids)
        owned = tf.equal(tf.math.floormod(buckets, num_ps), shard)
        local_rows = tf.where(owned, tf.math.floordiv(buckets, num_ps), tf.zeros_like(buckets))
        rows = tf.gather(table, local_rows)
        return {LOOKUP_OUTPUT: tf.where(owned[:, tf.newaxis], rows, tf.zeros_like(rows))}

    return lookup


def lookup_signature(fidv1_slot: int) -> str:
    """The ps signature that serves the table of ``fidv1_slot``."""
    return f"lookup_slot_{fidv1_slot}"


# --------------------------------------------------------------------------- export

BeforePublish = Callable[[str, Path], None]
# Builds a servable's tf.Module and its signatures from TensorFlow and the weights.
Builder = Callable[[Any, DemoWeights], tuple[Any, dict[str, Any]]]


@dataclass(frozen=True)
class _Servable:
    """One SavedModel to write: its name, its base directory, and how to build it."""

    name: str
    base: Path
    build: Builder


def export_demo(
    export_base: str | Path,
    *,
    mode: str | ExportMode = ExportMode.STANDALONE,
    num_ps: int = DEFAULT_NUM_PS,
    steps: int = DEFAULT_STEPS,
    seed: int = 0,
    timestamp: int | None = None,
    before_publish: BeforePublish | None = None,
) -> list[Path]:
    """Train the demo FFM model and export it under ``export_base``; see the module doc.

    Returns the version directories written, the entry (or standalone model) first,
    then ``ps_0`` .. ``ps_<num_ps-1>``. ``timestamp`` names the version (default:
    now, in whole seconds). Options and the output directories are checked before
    anything is trained.
    """
    export_mode = ExportMode.parse(mode)
    _check_options(export_mode, num_ps, timestamp)
    _check_training(steps, seed)
    version = _version(timestamp)
    _check_free(_servables(export_mode, Path(export_base), num_ps), version)
    weights = train_demo(steps=steps, seed=seed)
    return export_trained(
        weights,
        export_base,
        mode=export_mode,
        num_ps=num_ps,
        timestamp=version,
        before_publish=before_publish,
    )


def export_trained(
    weights: DemoWeights,
    export_base: str | Path,
    *,
    mode: str | ExportMode = ExportMode.STANDALONE,
    num_ps: int = DEFAULT_NUM_PS,
    timestamp: int | None = None,
    before_publish: BeforePublish | None = None,
) -> list[Path]:
    """Export already trained ``weights``, so that one model can be exported both ways.

    ``before_publish(name, directory)`` is called for each servable (name
    ``standalone``, ``entry`` or ``ps_<i>``) once its SavedModel is complete and
    before the directory is renamed to its version; if it raises, that servable is
    discarded and the error propagates.
    """
    export_mode = ExportMode.parse(mode)
    _check_options(export_mode, num_ps, timestamp)
    tf = require_tensorflow()
    version = _version(timestamp)
    servables = _servables(export_mode, Path(export_base), num_ps)
    _check_free(servables, version)
    # ps shards are published before the entry that depends on them.
    for servable in reversed(servables):
        _write_servable(tf, weights, servable, servable.base / str(version), before_publish)
    return [servable.base / str(version) for servable in servables]


def _servables(mode: ExportMode, base: Path, num_ps: int) -> list[_Servable]:
    return _LAYOUTS[mode](base, num_ps)


def _standalone_servables(base: Path, num_ps: int) -> list[_Servable]:
    del num_ps  # one SavedModel holds every table

    def build(tf: Any, weights: DemoWeights) -> tuple[Any, dict[str, Any]]:
        module = _standalone_module(tf, weights)
        return module, {DEFAULT_SIGNATURE: module.serve}

    return [_Servable(STANDALONE_NAME, base, build)]


def _distributed_servables(base: Path, num_ps: int) -> list[_Servable]:
    def build_entry(tf: Any, weights: DemoWeights) -> tuple[Any, dict[str, Any]]:
        module = _entry_module(tf, weights, num_ps)
        return module, {DEFAULT_SIGNATURE: module.serve}

    def build_ps(shard: int) -> Builder:
        return lambda tf, weights: _ps_module(tf, weights, shard, num_ps)

    ps = [_Servable(ps_name(i), base / ps_name(i), build_ps(i)) for i in range(num_ps)]
    return [_Servable(ENTRY_DIR, base / ENTRY_DIR, build_entry), *ps]


_LAYOUTS: dict[ExportMode, Callable[[Path, int], list[_Servable]]] = {
    ExportMode.STANDALONE: _standalone_servables,
    ExportMode.DISTRIBUTED: _distributed_servables,
}


def ps_name(shard: int) -> str:
    """The directory (and model name) of ps ``shard``."""
    return f"{PS_DIR_PREFIX}{shard}"


def _write_servable(
    tf: Any,
    weights: DemoWeights,
    servable: _Servable,
    target: Path,
    before_publish: BeforePublish | None,
) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # A hidden, non-numeric name: TF Serving only loads numbered versions.
        staging = Path(
            tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        )
    except OSError as exc:
        raise MonogenError(f"cannot write {target}: {exc.strerror or exc}") from exc
    try:
        module, signatures = servable.build(tf, weights)
        tf.saved_model.save(module, str(staging), signatures=signatures)
        if before_publish is not None:
            before_publish(servable.name, staging)
        staging.rename(target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise MonogenError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _check_options(mode: ExportMode, num_ps: int, timestamp: int | None) -> None:
    if mode is ExportMode.DISTRIBUTED and num_ps < 1:
        raise ExportOptionsError(
            f"{{num_ps}} must be >= 1 in distributed mode, not {num_ps}", param="num_ps"
        )
    if timestamp is not None and timestamp < 0:
        raise ExportOptionsError(f"the version timestamp must be >= 0, not {timestamp}")


def _version(timestamp: int | None) -> int:
    return int(time.time()) if timestamp is None else timestamp


def _check_training(steps: int, seed: int) -> None:
    if steps < 0:
        raise ExportOptionsError(f"training steps must be >= 0, not {steps}")
    if seed < 0:
        raise ExportOptionsError(f"{{seed}} must be >= 0, not {seed}", param="seed")


def _check_free(servables: Iterable[_Servable], version: int) -> None:
    for servable in servables:
        target = servable.base / str(version)
        if target.exists():
            raise OutputExistsError(
                f"{target} exists; TF Serving versions are immutable, pick another timestamp"
            )


__all__ = [
    "BATCH_SIZE",
    "DEFAULT_NUM_PS",
    "DEFAULT_STEPS",
    "FFM_PAIRS",
    "INSTALL_HINT",
    "MODEL_SLOT_TO_FIDV1",
    "SLOT_LAYOUTS",
    "VOCAB_BUCKETS",
    "DemoWeights",
    "ExportMode",
    "SlotLayout",
    "TensorFlowMissingError",
    "export_demo",
    "export_trained",
    "instance_descriptor_set",
    "lookup_signature",
    "ps_name",
    "require_tensorflow",
    "shard_rows",
    "train_demo",
]
