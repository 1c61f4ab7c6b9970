"""Schema resolution: slots for names, dtype inference, validation, the default schema."""

from __future__ import annotations

import numpy as np
import pytest

from monogen.errors import SchemaError, SlotError
from monogen.gen.featurelist import parse_feature_list
from monogen.gen.schema import (
    DenseSpec,
    DType,
    ExtraSpec,
    FeatureMeta,
    Schema,
    assign_slots,
    parse_slot_ranges,
    schema_from_inputs,
)


def test_slots_from_names_and_first_free_numbering() -> None:
    # slot_3 and fc_slot_1 are fixed first; other names take the smallest unused slots in order.
    assert assign_slots(["alpha", "slot_3", "beta", "fc_slot_1", "gamma"], None) == [2, 3, 4, 1, 5]


def test_slots_from_feature_list_win_over_numbering() -> None:
    fl = parse_feature_list(["feature_name=f_user_id slot=7", "feature_name=fc_a-fc_b slot=9"])
    assert assign_slots(["user_id", "other", "a-b"], fl) == [7, 1, 9]


def test_slot_out_of_range_from_name() -> None:
    with pytest.raises(SlotError, match=r"slot 70000 is out of range for fid v2 \(1\.\.65535\)"):
        assign_slots(["slot_70000"], None)


def test_feature_meta_defaults_follow_the_original() -> None:
    assert FeatureMeta.make("x").shape == 1 and FeatureMeta.make("x").dtype is DType.FLOAT32
    sparse = FeatureMeta.make("x", slot=3)
    assert (sparse.shape, sparse.dtype) == (-1, DType.INT64)
    # LineId field types: float -> float32, int32 -> int32, fixed64 -> int64, string, bool.
    assert FeatureMeta.make("sample_rate").dtype is DType.FLOAT32
    assert FeatureMeta.make("rank").dtype is DType.INT32
    assert FeatureMeta.make("uid").dtype is DType.INT64
    assert FeatureMeta.make("cid").dtype is DType.STRING
    assert FeatureMeta.make("is_draw").dtype is DType.BOOL
    assert FeatureMeta.make("rank", dtype="float64").dtype is DType.FLOAT64


@pytest.mark.parametrize(
    ("given", "expected"),
    [("float32", DType.FLOAT32), ("double", DType.FLOAT64), ("tf.int64", DType.INT64),
     ("DT_STRING", DType.STRING), (np.float64, DType.FLOAT64), (np.dtype("int32"), DType.INT32)],
)  # fmt: skip
def test_dtype_aliases(given: object, expected: DType) -> None:
    assert DType.parse(given) is expected  # type: ignore[arg-type]


def test_dense_and_extra_specs() -> None:
    assert DenseSpec.parse("emb:16:float64") == DenseSpec("emb", 16, DType.FLOAT64)
    assert DenseSpec.parse("ctr") == DenseSpec("ctr", 1, None)
    assert ExtraSpec.parse("actions:3") == ExtraSpec("actions", 3)
    with pytest.raises(SchemaError, match="bad dense feature 'a:1:float:x': expected name:shape"):
        DenseSpec.parse("a:1:float:x")
    with pytest.raises(SchemaError, match=r"bad shape in 'a:x': 'x' is not an integer"):
        DenseSpec.parse("a:x")


def test_slot_ranges() -> None:
    assert parse_slot_ranges("1-3, 7,10-11") == [1, 2, 3, 7, 10, 11]
    with pytest.raises(SchemaError, match=r"bad slot range '5-2': 2 < 5"):
        parse_slot_ranges("5-2")
    with pytest.raises(SchemaError, match="bad slot range 'a'"):
        parse_slot_ranges("1,a")


def test_label_becomes_label_shape_and_extra_non_line_id_fields_are_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    s = Schema.build(sparse=["a"], dense=["label:3", "x:2"], extra=["actions:2", "stay_time"])
    assert s.label_shape == 3
    assert [d.name for d in s.dense] == ["x"]
    assert [e.name for e in s.extra] == ["actions"]
    assert "skipping extra features that are not LineId fields: stay_time" in caplog.text
    assert s.without_label().label_shape is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sparse": ["a", "b", "a"]}, "duplicate sparse feature names: a"),
        ({"sparse": ["a", ""]}, "sparse feature names must be non-empty"),
        ({"fidv1_slots": [1, 2, 2]}, r"fid v1 slots must be distinct; repeated: \[2\]"),
        ({"fidv1_slots": [1024]}, r"slot 1024 is out of range for fid v1 \(1\.\.1023\)"),
        ({"sparse": ["a"], "dense": ["a:2"]}, r"features are both sparse and dense: \['a'\]"),
        ({"dense": ["x:1", "x:2"]}, "duplicate dense feature names: x"),
    ],
)
def test_invalid_schemas(kwargs: dict, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        Schema.build(**kwargs)


def test_default_schema_is_used_only_when_nothing_is_given() -> None:
    default, is_default = schema_from_inputs()
    assert is_default
    assert [m.slot for m in default.sparse][:2] == [1, 200]
    assert default.instance_columns == default.sparse
    given, is_default = schema_from_inputs(slots="1-3")
    assert not is_default
    assert [m.name for m in given.sparse] == ["slot_1", "slot_2", "slot_3"]


def test_feature_list_alone_supplies_the_sparse_features() -> None:
    fl = parse_feature_list(["feature_name=f_a slot=4", "feature_name=f_b slot=5"])
    s, is_default = schema_from_inputs(feature_list=fl)
    assert not is_default
    assert [(m.name, m.slot) for m in s.sparse] == [("f_a", 4), ("f_b", 5)]


def test_fidv2_names_missing_from_the_feature_list_are_reported() -> None:
    fl = parse_feature_list(["feature_name=f_a slot=4"])
    s = Schema.build(fidv2=["a", "zzz"], feature_list=fl)
    assert s.missing_from_feature_list == ("zzz",)


def test_feature_list_with_dense_features_still_supplies_every_listed_feature() -> None:
    fl = parse_feature_list(["feature_name=f_a slot=4", "feature_name=f_b slot=2000"])
    s, is_default = schema_from_inputs(feature_list=fl, dense=["emb:4"])
    assert not is_default
    assert [(m.name, m.slot) for m in s.sparse] == [("f_a", 4), ("f_b", 2000)]
    assert [m.name for m in s.dense] == ["emb"]
    assert s.fidv1_slots == (4,) and [m.name for m in s.instance_columns] == ["f_b"]
