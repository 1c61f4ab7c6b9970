"""Protobuf encoders: lay a ``BatchDraw`` out as Example, Instance or ExampleBatch messages.

This is the reference encoding: straightforward protobuf calls whose output the
faster wire-level encoders must match. How an empty feature looks matters to
Monolith's readers (docs/generation.md, "How empty looks on the wire"):

- Example: a dropped sparse feature is a NamedFeature with name and id and no
  ``feature``; a sequence-like feature that drew zero fids has an empty
  ``fid_v2_list`` set.
- ExampleBatch: a dropped feature is an empty ``Feature`` in its list, so every
  list keeps ``batch_size`` entries.
- Instance: every fid-v2 column is present with its name, possibly without fids.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from google.protobuf.message import Message

from monogen.formats import LABEL_LIST, LINE_ID_LIST
from monogen.gen.sampling import BatchDraw, LineIdValues
from monogen.gen.schema import DType, FeatureMeta, Schema
from monogen.proto import example_pb2, feature_pb2, line_id_pb2, proto_parser_pb2


def fill_line_id(line_id: line_id_pb2.LineId, values: LineIdValues, i: int) -> None:
    """Copy row i of the drawn LineId values into ``line_id``."""
    for name, column in values.items():
        value = column[i]
        if isinstance(value, np.ndarray):
            getattr(line_id, name).extend(value.tolist())
        else:
            setattr(line_id, name, value.item() if isinstance(value, np.generic) else value)


def set_example_dense(feature: example_pb2.Feature, meta: FeatureMeta, row: np.ndarray) -> None:
    values = row.tolist()
    if meta.dtype is DType.FLOAT32:
        feature.float_list.value.extend(values)
    elif meta.dtype is DType.FLOAT64:
        feature.double_list.value.extend(values)
    else:
        feature.int64_list.value.extend(values)


def build_examples(schema: Schema, draw: BatchDraw) -> list[example_pb2.Example]:
    examples = []
    features = list(zip(schema.sparse, draw.sparse, strict=True))  # one view per feature
    for i in range(draw.n):
        example = example_pb2.Example()
        for meta, sparse in features:
            named = example.named_feature.add(name=meta.name, id=meta.slot)
            if sparse.present[i]:
                named.feature.fid_v2_list.value.extend(sparse.row(i).tolist())
        for meta, dense in zip(schema.dense, draw.dense, strict=True):
            named = example.named_feature.add(name=meta.name)
            if dense is not None:
                set_example_dense(named.feature, meta, dense[i])
        example.label.extend(draw.labels[i].tolist())
        fill_line_id(example.line_id, draw.line_ids, i)
        examples.append(example)
    return examples


def build_instances(schema: Schema, draw: BatchDraw) -> list[proto_parser_pb2.Instance]:
    instances = []
    columns = list(zip(schema.instance_columns, draw.sparse, strict=True))
    for i in range(draw.n):
        instance = proto_parser_pb2.Instance()
        instance.fid.extend(draw.fidv1.row(i).tolist())
        for meta, sparse in columns:
            column = instance.feature.add(name=meta.name)
            column.fid.extend(sparse.row(i).tolist())
        for meta, dense in zip(schema.dense, draw.dense, strict=True):
            column = instance.feature.add(name=meta.name)
            if dense is not None:
                set_instance_dense(column, meta, dense[i])
        instance.label.extend(draw.labels[i].tolist())
        fill_line_id(instance.line_id, draw.line_ids, i)
        instances.append(instance)
    return instances


def set_instance_dense(column: feature_pb2.Feature, meta: FeatureMeta, row: np.ndarray) -> None:
    if meta.dtype is DType.INT64:
        column.int64_value.extend(row.tolist())
    else:  # float32 and float64 both go to float_value
        column.float_value.extend(row.tolist())


def build_example_batch(schema: Schema, draw: BatchDraw) -> list[example_pb2.ExampleBatch]:
    batch = example_pb2.ExampleBatch(batch_size=draw.n)
    for meta, sparse in zip(schema.sparse, draw.sparse, strict=True):
        features = batch.named_feature_list.add(name=meta.name, id=meta.slot).feature
        for i in range(draw.n):
            feature = features.add()
            if sparse.present[i]:
                feature.fid_v2_list.value.extend(sparse.row(i).tolist())
    for meta, dense in zip(schema.dense, draw.dense, strict=True):
        features = batch.named_feature_list.add(name=meta.name).feature
        for i in range(draw.n):
            feature = features.add()
            if dense is not None:
                set_example_dense(feature, meta, dense[i])
    line_ids = batch.named_feature_list.add(name=LINE_ID_LIST).feature
    for i in range(draw.n):
        line_id = line_id_pb2.LineId()
        fill_line_id(line_id, draw.line_ids, i)
        line_ids.add().bytes_list.value.append(line_id.SerializeToString())
    labels = batch.named_feature_list.add(name=LABEL_LIST).feature
    for i in range(draw.n):
        labels.add().float_list.value.extend(draw.labels[i].tolist())
    return [batch]


def serialize(messages: Sequence[Message]) -> list[bytes]:
    return [m.SerializeToString() for m in messages]
