"""Generated records, re-parsed from bytes and checked against docs/generation.md's rules."""

from __future__ import annotations

import numpy as np
import pytest

from monogen.errors import SchemaError
from monogen.formats import LABEL_LIST, LINE_ID_LIST, VARIANTS
from monogen.gen import fids
from monogen.gen.featurelist import parse_feature_list
from monogen.gen.generator import RecordGenerator, Variant
from monogen.gen.schema import Schema
from monogen.proto import example_pb2, line_id_pb2, proto_parser_pb2

REQ_TIME = 1_700_000_000


def schema(**kwargs: object) -> Schema:
    return Schema.build(**kwargs)  # type: ignore[arg-type]


def reparse(gen: RecordGenerator, count: int) -> list:
    cls = gen.variant.message_class
    return [cls.FromString(b) for b in gen.serialized_records(count)]


def examples(s: Schema, count: int, **kwargs: object) -> list[example_pb2.Example]:
    gen = RecordGenerator(s, Variant.EXAMPLE, seed=7, req_time=REQ_TIME, **kwargs)  # type: ignore[arg-type]
    return reparse(gen, count)


def test_example_features_slots_shapes_and_dtypes() -> None:
    s = schema(
        sparse=["slot_5", "user_id", "slot_200"],
        dense=["emb:4", "price:2:float64", "count:3:int64", "label:2"],
    )
    for ex in examples(s, 50):
        names = [nf.name for nf in ex.named_feature]
        assert names == ["slot_5", "user_id", "slot_200", "emb", "price", "count"]
        by_name = {nf.name: nf for nf in ex.named_feature}
        # ids: slot for sparse (user_id takes the first free slot, 1), unset for dense
        assert [nf.id for nf in ex.named_feature] == [5, 1, 200, 0, 0, 0]
        for nf in ex.named_feature[:3]:
            if nf.HasField("feature"):
                values = list(nf.feature.fid_v2_list.value)
                assert fids.V2.slot_of(np.array(values, dtype=np.uint64)).tolist() == [nf.id] * len(
                    values
                )
        assert len(by_name["emb"].feature.float_list.value) == 4
        assert all(0 <= v < 1 for v in by_name["emb"].feature.float_list.value)
        assert len(by_name["price"].feature.double_list.value) == 2
        ints = by_name["count"].feature.int64_list.value
        assert len(ints) == 3 and all(2**62 - 1 <= v <= 2**63 - 1 for v in ints)
        assert len(ex.label) == 2 and set(ex.label) <= {0.0, 1.0}


def test_user_and_item_slots_always_have_one_fid() -> None:
    s = schema(sparse=["slot_1", "slot_200", "slot_3"])
    for ex in examples(s, 200, drop_rate=0.9):
        first, item, _ = ex.named_feature
        assert len(first.feature.fid_v2_list.value) == 1
        assert len(item.feature.fid_v2_list.value) == 1


def test_drop_rate_statistics_for_ordinary_features() -> None:
    s = schema(sparse=[f"slot_{n}" for n in range(2, 12)])
    records = examples(s, 2000, drop_rate=0.3)
    dropped = [not nf.HasField("feature") for ex in records for nf in ex.named_feature]
    assert abs(np.mean(dropped) - 0.3) < 0.02
    present = [nf for ex in records for nf in ex.named_feature if nf.HasField("feature")]
    assert {len(nf.feature.fid_v2_list.value) for nf in present} == {1}


def test_sequence_features_follow_their_rule() -> None:
    fl = parse_feature_list(["feature_name=f_title method=VectorTopString slot=500"])
    s = schema(sparse=["user_recent_click", "item_cp", "title"], feature_list=fl)
    # With drop_rate 0 (direct generation) sequence-like features are always unset.
    for ex in examples(s, 50, drop_rate=0.0):
        assert not any(nf.HasField("feature") for nf in ex.named_feature)
    records = examples(s, 3000, drop_rate=0.5)
    counts = {0: 0, 1: 0, 2: 0}
    unset = 0
    for ex in records:
        for nf in ex.named_feature:
            if not nf.HasField("feature"):
                unset += 1
            else:
                # An empty draw still sets fid_v2_list (the oneof case), with no values.
                assert nf.feature.WhichOneof("type") == "fid_v2_list"
                counts[len(nf.feature.fid_v2_list.value)] += 1
    total = 3 * len(records)
    assert abs(unset / total - 0.5) < 0.03
    for k in (0, 1, 2):
        assert abs(counts[k] / (total - unset) - 1 / 3) < 0.04
    assert records[0].named_feature[2].id == 500


def test_dropped_feature_keeps_name_and_id_on_the_wire() -> None:
    s = schema(sparse=["slot_9"])
    records = examples(s, 100, drop_rate=0.5)
    dropped = [ex for ex in records if not ex.named_feature[0].HasField("feature")]
    assert dropped, "expected some drops at drop_rate 0.5"
    nf = dropped[0].named_feature[0]
    assert (nf.name, nf.id) == ("slot_9", 9)
    # Wire bytes of the NamedFeature: name (field 1) and id (field 3) only.
    assert nf.SerializeToString() == b"\x0a\x06slot_9\x18\x09"


def test_default_line_id() -> None:
    for ex in examples(schema(sparse=["slot_2"]), 30):
        lid = ex.line_id
        assert lid.uid >> 48 == 1 and lid.item_id >> 48 == 200
        assert lid.req_time == REQ_TIME
        assert lid.sample_rate == 1.0
        assert len(lid.actions) == 1 and 0 <= lid.actions[0] <= 10
        assert {f.name for f, _ in lid.ListFields()} == {
            "uid", "req_time", "item_id", "actions", "sample_rate",
        }  # fmt: skip


def test_extra_line_id_fields_by_descriptor() -> None:
    s = schema(
        sparse=["slot_2"],
        extra=[
            "actions:3",
            "special_strategies:2",
            "cid",
            "is_draw",
            "rank",
            "req_time",
            "stay_time",
        ],
    )
    gen = RecordGenerator(s, "example", seed=1, req_time=42, actions=[7, 9])
    for ex in reparse(gen, 20):
        lid = ex.line_id
        assert len(lid.actions) == 3 and set(lid.actions) <= {7, 9}
        assert len(lid.special_strategies) == 2
        assert lid.cid == "hello world"
        assert lid.HasField("is_draw") and lid.is_draw is False
        assert 0 <= lid.rank <= 10
        assert lid.req_time == 42 and lid.sample_rate == 1.0
        assert not lid.HasField("uid")


def test_special_strategies_is_not_packed_and_actions_is() -> None:
    s = schema(sparse=["slot_2"], extra=["actions:2", "special_strategies:2"])
    ex = reparse(RecordGenerator(s, "example", seed=1, req_time=0, actions=[3]), 1)[0]
    wire = ex.line_id.SerializeToString()
    assert b"\x32\x02\x03\x03" in wire  # field 6, length-delimited (packed): 3, 3
    assert wire.count(b"\xb8\x02") == 2  # field 39 varint tag (39 << 3 = 312 -> b8 02) twice


def test_instance_rules() -> None:
    s = schema(
        fidv1_slots=[1, 200, 7], fidv2=["f_a", "b_recent", "x-y"], dense=["d:2", "i:1:int64"]
    )
    gen = RecordGenerator(s, "instance", seed=3, req_time=REQ_TIME, drop_rate=0.5)
    seen_v1_counts = set()
    for inst in reparse(gen, 300):
        slots = fids.V1.slot_of(np.array(inst.fid, dtype=np.uint64)).tolist()
        assert slots.count(1) == 1 and slots.count(200) == 1
        assert set(slots) <= {1, 200, 7}
        seen_v1_counts.add(slots.count(7))
        cols = {f.name: f for f in inst.feature}
        assert list(cols) == ["f_a", "b_recent", "x-y", "d", "i"]
        assert len(cols["f_a"].fid) == 1
        assert len(cols["b_recent"].fid) <= 2 and len(cols["x-y"].fid) <= 2
        assert len(cols["d"].float_value) == 2 and len(cols["i"].int64_value) == 1
        assert len(inst.label) == 1 and inst.line_id.uid >> 48 == 1
    assert seen_v1_counts == {0, 1, 2, 3}


def test_example_batch_layout() -> None:
    s = schema(sparse=["slot_1", "slot_4"], dense=["emb:3"])
    gen = RecordGenerator(
        s, "example_batch", seed=5, batch_size=6, req_time=REQ_TIME, drop_rate=0.5
    )
    (batch,) = reparse(gen, 1)
    assert batch.batch_size == 6
    names = [fl.name for fl in batch.named_feature_list]
    assert names == ["slot_1", "slot_4", "emb", LINE_ID_LIST, LABEL_LIST]
    assert [fl.id for fl in batch.named_feature_list] == [1, 4, 0, 0, 0]
    assert all(len(fl.feature) == 6 for fl in batch.named_feature_list)
    for feature in batch.named_feature_list[0].feature:
        assert len(feature.fid_v2_list.value) == 1
    for fl in batch.named_feature_list[3].feature:
        lid = line_id_pb2.LineId.FromString(fl.bytes_list.value[0])
        assert lid.req_time == REQ_TIME
    labels = [list(f.float_list.value) for f in batch.named_feature_list[4].feature]
    assert labels == [[0.0], [1.0], [0.0], [1.0], [0.0], [1.0]]
    dropped = [f for f in batch.named_feature_list[1].feature if f.WhichOneof("type") is None]
    assert all(f.SerializeToString() == b"" for f in dropped)


def test_same_seed_same_bytes_and_different_seeds_differ() -> None:
    s = schema(sparse=["slot_2", "u_recent"], dense=["e:3"], fidv1_slots=[1, 2])

    def run(variant: Variant, seed: int) -> list[bytes]:
        gen = RecordGenerator(s, variant, seed=seed, req_time=1, drop_rate=0.5, batch_size=8)
        return list(gen.serialized_records(20))

    for variant in VARIANTS:
        assert run(variant, 11) == run(variant, 11)
        assert run(variant, 11) != run(variant, 12)


def test_count_is_exact_across_batch_boundaries() -> None:
    gen = RecordGenerator(schema(sparse=["slot_2"]), "example", seed=0, batch_size=7, req_time=0)
    assert len(list(gen.records(23))) == 23


def test_unsupported_dense_dtype_stays_empty_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    s = schema(sparse=["slot_2"], dense=["flag:1:bool"])
    gen = RecordGenerator(s, "example", seed=0, req_time=0)
    records = reparse(gen, 5)
    assert all(not ex.named_feature[1].HasField("feature") for ex in records)
    assert [r.getMessage() for r in caplog.records].count(
        "dense feature 'flag' has dtype bool, which is not generated; it stays empty"
    ) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 0}, "batch size must be >= 1, not 0"),
        ({"drop_rate": 1.5}, r"drop rate must be within \[0, 1\], not 1.5"),
    ],
)
def test_bad_generator_options(kwargs: dict, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        RecordGenerator(schema(sparse=["a"]), "example", seed=0, **kwargs)


def test_variant_aliases() -> None:
    assert Variant.parse("examplebatch") is Variant.EXAMPLE_BATCH
    assert Variant.parse("Example-Batch") is Variant.EXAMPLE_BATCH
    with pytest.raises(SchemaError, match="unknown variant 'exmple'"):
        Variant.parse("exmple")
    assert [v.input_name for v in VARIANTS] == ["examples", "instances", "example_batch"]


def test_instance_message_class() -> None:
    assert Variant.INSTANCE.message_class is proto_parser_pb2.Instance
