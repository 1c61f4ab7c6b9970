"""The drop-in module keeps Monolith's names and signatures, and is reproducible via seed()."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from monogen.compat import data_gen_utils as dgu
from monogen.errors import SlotError
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
