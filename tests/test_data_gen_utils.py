"""The drop-in module keeps Monolith's names and signatures, and is reproducible via seed()."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import numpy as np
import pytest

from monogen.compat import data_gen_utils as dgu
from monogen.errors import SlotError, WarmupError
from monogen.proto import example_pb2, feature_pb2, line_id_pb2


def test_public_names_and_original_signatures() -> None:
    expected = {
        "gen_fids_v1": ["slot", "size"],
        "gen_fids_v2": ["slot", "size"],
        "fill_line_id": ["line_id", "features", "hash_len", "actions", "req_time"],
        "gen_example": [
            "sparse_features",
            "dense_features",
            "extra_features",
            "feature_list",
            "drop_rate",
            "actions",
        ],
        "gen_instance": [
            "fidv1_features",
            "fidv2_features",
            "dense_features",
            "extra_features",
            "feature_list",
            "drop_rate",
            "actions",
        ],
        "gen_example_batch": [
            "sparse_features",
            "dense_features",
            "extra_features",
            "feature_list",
            "batch_size",
            "drop_rate",
            "actions",
        ],
    }
    for name, params in expected.items():
        assert list(inspect.signature(getattr(dgu, name)).parameters) == params, name
    assert (dgu.MASK_V1, dgu.MAX_SLOT_V1, dgu.MASK_V2, dgu.MAX_SLOT_V2) == (
        2**54 - 1, 1023, 2**48 - 1, 65535,
    )  # fmt: skip


def test_seed_makes_calls_reproducible() -> None:
    def draw() -> tuple[list[int], bytes]:
        dgu.seed(5)
        return dgu.gen_fids_v2(9, 4), dgu.gen_example(["slot_1", "slot_2"]).SerializeToString()

    assert draw() == draw()
    dgu.seed(6)
    assert dgu.gen_fids_v2(9, 4) != draw()[0]


def test_fids() -> None:
    assert {f >> 54 for f in dgu.gen_fids_v1(3, 20)} == {3}
    assert {f >> 48 for f in dgu.gen_fids_v2(300, 20)} == {300}
    with pytest.raises(SlotError):
        dgu.gen_fids_v2(0)


def test_feature_meta_and_fill_features() -> None:
    meta = dgu.FeatureMeta("emb", shape=3, dtype=np.float64)
    feature = example_pb2.Feature()
    dgu.fill_features(feature, meta)
    assert len(feature.double_list.value) == 3
    column = feature_pb2.Feature()
    dgu.fill_features(column, dgu.FeatureMeta("user_recent", slot=4), 0.0)
    assert column.name == "user_recent" and len(column.fid) == 0  # sequence-like, drop_rate 0
    sparse = example_pb2.Feature()
    dgu.fill_features(sparse, dgu.FeatureMeta("slot_1", slot=1))
    assert [v >> 48 for v in sparse.fid_v2_list.value] == [1]
    assert dgu.FeatureMeta("req_time").dtype.value == "int64"
    with pytest.raises(NotImplementedError):
        dgu.fill_features(object(), meta)


def test_fill_line_id() -> None:
    lid = line_id_pb2.LineId()
    dgu.fill_line_id(lid, [dgu.FeatureMeta("actions", shape=2)], actions=[4], req_time=9)
    assert list(lid.actions) == [4, 4]
    default = line_id_pb2.LineId()
    dgu.fill_line_id(default, req_time=9)
    assert default.req_time == 9 and default.uid >> 48 == 1 and default.item_id >> 48 == 200
    with pytest.raises(ValueError, match="only hash_len=48"):
        dgu.fill_line_id(default, hash_len=54)


def test_record_generators() -> None:
    ex = dgu.gen_example(["slot_1", "b"], [dgu.FeatureMeta("label", shape=2)], drop_rate=0.0)
    assert [nf.name for nf in ex.named_feature] == ["slot_1", "b"] and len(ex.label) == 2
    inst = dgu.gen_instance([1, 2], ["c"], [dgu.FeatureMeta("d", shape=2)])
    assert [f.name for f in inst.feature] == ["c", "d"]
    batch = dgu.gen_example_batch(["slot_1"], batch_size=5)
    assert batch.batch_size == 5 and all(len(fl.feature) == 5 for fl in batch.named_feature_list)


def test_parser_args_signatures_keep_order_and_add_default() -> None:
    args = dgu.ParserArgs(signature_name=["b", "a", "b"], sparse_features=["x"])
    assert args.signature_name == ["b", "a", "serving_default"]
    assert dgu.ParserArgs().signature_name == ["serving_default"]
    gen = dgu.ParserArgs(
        sparse_features=["x"], dense_features=["d"], dense_feature_shapes=[4],
        dense_feature_types=["float64"], seed=1, req_time=0,
    ).generator("example")  # fmt: skip
    ex = next(iter(gen.records(1)))
    assert len(ex.named_feature[1].feature.double_list.value) == 4


def test_old_import_path_is_the_compat_module() -> None:
    import monogen.data_gen_utils as old_path

    assert old_path is dgu


def test_module_exposes_the_originals_names() -> None:
    from monogen.gen.featurelist import Feature, FeatureList
    from monogen.proto import proto_parser_pb2

    assert dgu.FeatureList is FeatureList and dgu.Feature is Feature
    assert dgu.Example is example_pb2.Example and dgu.ExampleBatch is example_pb2.ExampleBatch
    assert dgu.Instance is proto_parser_pb2.Instance and dgu.LineId is line_id_pb2.LineId
    assert dgu.EFeature is example_pb2.Feature and dgu.IFeature is feature_pb2.Feature
    for name in ("Feature", "FeatureList", "get_feature_name_and_slot", "Example", "ExampleBatch",
                 "Instance", "LineId", "EFeature", "IFeature"):  # fmt: skip
        assert name in dgu.__all__
    assert dgu.DEFAULT_SERVING_SIGNATURE_DEF_KEY == "serving_default"
    assert (
        dgu.predict_pb2.PredictRequest.DESCRIPTOR.full_name == "tensorflow.serving.PredictRequest"
    )
    assert dgu.prediction_log_pb2.PredictionLog.DESCRIPTOR.name == "PredictionLog"


def test_feature_list_parse_and_lookups(tmp_path: Path) -> None:
    path = tmp_path / "feature_list.conf"
    path.write_text(
        "column_name : uid, gid\n"
        "feed_name=uid; shared=true; feature_id=1\n"
        "feature_name=f_uid; depend=uid; method=Identity; slot=1\n"
        "feature_name=fc_gid; depend=gid; method=Identity; slot=2071; feature_version=2\n"
    )
    fl = dgu.FeatureList.parse(str(path))
    assert len(fl) == 2 and [f.feature_name for f in fl] == ["f_uid", "fc_gid"]
    assert fl["uid"].slot == 1 and fl[2071].feature_name == "fc_gid"
    assert "gid" in fl and 1 in fl and "nope" not in fl
    assert fl.get_with_slot(1) == [fl["f_uid"]] and fl.get("nope") is None
    # the list drives gen_example's slots as in the original
    example = dgu.gen_example(["uid", "gid"], feature_list=fl)
    assert [(nf.name, nf.id) for nf in example.named_feature] == [("uid", 1), ("gid", 2071)]


def test_get_feature_name_and_slot() -> None:
    fl = dgu.FeatureList(None, {}, {}, {"f_a": dgu.Feature(feature_name="f_a", slot=7)})
    assert dgu.get_feature_name_and_slot("a", fl) == ("a", 7)
    assert dgu.get_feature_name_and_slot(7, fl) == ("f_a", 7)
    assert dgu.get_feature_name_and_slot(9, fl) == ("slot_9", 9)
    assert dgu.get_feature_name_and_slot("fc_slot_12") == ("fc_slot_12", 12)
    first = dgu.get_feature_name_and_slot("some_new_name")[1]
    assert dgu.get_feature_name_and_slot("some_new_name")[1] == first  # stable per name
    assert dgu.get_feature_name_and_slot("another_new_name")[1] == first + 1


def test_feature_meta_class_tables() -> None:
    from google.protobuf.descriptor import FieldDescriptor

    assert dgu.FeatureMeta.line_id_fields["uid"].name == "uid"
    assert set(dgu.FeatureMeta.line_id_fields) == {
        f.name for f in line_id_pb2.LineId.DESCRIPTOR.fields
    }
    assert dgu.FeatureMeta.dtypes[FieldDescriptor.CPPTYPE_DOUBLE].value == "float32"
    assert dgu.FeatureMeta.dtypes[FieldDescriptor.CPPTYPE_UINT64].value == "int64"
    assert dgu.FeatureMeta.dtypes[FieldDescriptor.CPPTYPE_STRING].value == "string"


def test_parser_args_get_reads_collections() -> None:
    dgu.add_to_collections("model_name", "first")
    dgu.add_to_collections("model_name", "ranker")
    dgu.add_to_collections("sparse_features", ["a", "b"])
    dgu.add_to_collections("signature_name", "b")
    dgu.add_to_collections("signature_name", "a")
    try:
        assert dgu.ParserArgs.get("model_name") == "ranker"  # the last value, as the original
        assert dgu.ParserArgs.get("signature_name") == ["b", "a"]  # every one, in order
        assert dgu.ParserArgs.get("nothing") is None
        # as in the original, a collection fills only what is unset or empty
        args = dgu.ParserArgs(model_name="")
        assert (args.model_name, args.sparse_features) == ("ranker", ["a", "b"])
        assert dgu.ParserArgs().model_name == "entry"
        assert args.signature_name == ["b", "a", "serving_default"]
        assert dgu.ParserArgs(model_name="given").model_name == "given"  # an argument wins
    finally:
        dgu.clear_collections()
    assert dgu.ParserArgs.get("model_name") is None
    assert dgu.ParserArgs().model_name == "entry"


def test_parser_args_with_only_a_feature_list_generates_every_feature(tmp_path: Path) -> None:
    path = tmp_path / "feature_list.conf"
    path.write_text(
        "feature_name=f_uid; slot=1\nfeature_name=fc_gid; slot=2071; feature_version=2\n"
    )
    args = dgu.ParserArgs(feature_list=dgu.FeatureList.parse(str(path)), seed=1, req_time=0)
    example = next(iter(args.generator("example").records(1)))
    assert [(nf.name, nf.id) for nf in example.named_feature] == [("f_uid", 1), ("fc_gid", 2071)]
    instance = next(iter(args.generator("instance").records(1)))
    assert {fid >> 54 for fid in instance.fid} == {1}
    assert [f.name for f in instance.feature] == ["fc_gid"]
    warmup = tmp_path / "w" / "tf_serving_warmup_requests"
    written = dgu.gen_warmup_file(
        str(warmup), args=dataclasses.replace(args, variant_type="instance", batch_size=10)
    )
    assert written == str(warmup) and warmup.stat().st_size > 0


def test_library_errors_name_parameters_not_flags() -> None:
    with pytest.raises(WarmupError) as info:
        list(dgu.gen_prediction_log(dgu.ParserArgs(batch_size=2000, variant_type="example")))
    message = str(info.value)
    assert message.startswith("batch_size 2000 must be less than max_records 1000")
    assert "--" not in message
