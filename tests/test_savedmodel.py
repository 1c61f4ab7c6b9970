"""Reading SavedModel signatures without TensorFlow.

The first half builds ``saved_model.pb`` files by hand with monogen's proto subset, so
every expected value is written out here. The second half exports real models with
TensorFlow and takes the expected values from TensorFlow's own loader and parser.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from monogen.errors import MonogenError, SavedModelError
from monogen.proto import meta_graph_pb2, saved_model_pb2, tensor_shape_pb2, types_pb2
from monogen.serving.savedmodel import (
    ModelSignatures,
    Signature,
    TensorSpec,
    output_heads,
    read_signatures,
    resolve_model_dir,
    string_input,
    variant_for_input,
)

PREDICT = "tensorflow/serving/predict"
DT_STRING = types_pb2.DT_STRING
DT_FLOAT = types_pb2.DT_FLOAT
UNKNOWN_RANK = "unknown rank"

# --------------------------------------------------------------------------- builders
# A tensor is given as (dtype, shape): shape a list of sizes, or UNKNOWN_RANK.
TensorDesc = tuple[Any, Any]  # (DataType value, shape)


def _tensor_info(name: str, desc: TensorDesc) -> meta_graph_pb2.TensorInfo:
    dtype, shape = desc
    info = meta_graph_pb2.TensorInfo(name=f"{name}:0", dtype=dtype)
    if shape == UNKNOWN_RANK:
        info.tensor_shape.unknown_rank = True
    else:
        info.tensor_shape.CopyFrom(
            tensor_shape_pb2.TensorShapeProto(
                dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=s) for s in shape]
            )
        )
    return info


def _signature_def(
    inputs: Mapping[str, TensorDesc],
    outputs: Mapping[str, TensorDesc],
    method_name: str = PREDICT,
) -> meta_graph_pb2.SignatureDef:
    sig = meta_graph_pb2.SignatureDef(method_name=method_name)
    for key, desc in inputs.items():
        sig.inputs[key].CopyFrom(_tensor_info(key, desc))
    for key, desc in outputs.items():
        sig.outputs[key].CopyFrom(_tensor_info(key, desc))
    return sig


def _meta_graph(
    tags: Iterable[str], signatures: Mapping[str, meta_graph_pb2.SignatureDef]
) -> meta_graph_pb2.MetaGraphDef:
    graph = meta_graph_pb2.MetaGraphDef()
    graph.meta_info_def.tags.extend(tags)
    graph.meta_info_def.tensorflow_version = "2.21.0"
    for key, sig in signatures.items():
        graph.signature_def[key].CopyFrom(sig)
    return graph


def _write_model(directory: Path, *graphs: meta_graph_pb2.MetaGraphDef) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    model = saved_model_pb2.SavedModel(saved_model_schema_version=1, meta_graphs=graphs)
    (directory / "saved_model.pb").write_bytes(model.SerializeToString())
    return directory


def _serve_model(directory: Path, marker: str = "serve") -> Path:
    """A one-signature serve model whose output name records which model it is."""
    sig = _signature_def({"instances": (DT_STRING, [-1])}, {marker: (DT_FLOAT, [-1])})
    return _write_model(directory, _meta_graph(["serve"], {"serving_default": sig}))


def _sig(inputs: Mapping[str, str], outputs: Iterable[str] = ("output",)) -> Signature:
    """A Signature built directly, inputs given as name -> dtype name."""
    return Signature(
        key="sig",
        inputs={n: TensorSpec(n, dt, (-1,)) for n, dt in inputs.items()},
        outputs={n: TensorSpec(n, "DT_FLOAT", (-1,)) for n in outputs},
        method_name=PREDICT,
    )


# --------------------------------------------------------------------------- hand-built models


@pytest.fixture
def multi_model(tmp_path: Path) -> Path:
    """A train graph first, then the serve graph with three signatures and the init op."""
    train = _meta_graph(
        ["train"],
        {"train_step": _signature_def({"x": (DT_FLOAT, [3])}, {"loss": (DT_FLOAT, [])})},
    )
    serve = _meta_graph(
        ["serve"],
        {
            "zeta": _signature_def({"examples": (DT_STRING, [-1])}, {"output": (DT_FLOAT, [])}),
            "serving_default": _signature_def(
                {"instances": (DT_STRING, [-1])},
                {"cvr": (DT_FLOAT, [-1, 1]), "ctr": (DT_FLOAT, UNKNOWN_RANK)},
            ),
            "__saved_model_init_op": _signature_def({}, {"__saved_model_init_op": (0, [])}),
            "alpha": _signature_def(
                {"b": (DT_STRING, [2, -1]), "a": (types_pb2.DT_INT64, [])},
                {"out": (20, [-1])},  # 20 is DT_RESOURCE, outside monogen's enum subset
                method_name="tensorflow/serving/classify",
            ),
        },
    )
    return _write_model(tmp_path / "model", train, serve)


def test_reads_serve_signatures_in_stable_order(multi_model: Path) -> None:
    result = read_signatures(multi_model)
    assert isinstance(result, ModelSignatures)
    assert result.model_dir == multi_model
    assert list(result.signatures) == ["serving_default", "alpha", "zeta"]
    default = result.signatures["serving_default"]
    assert default.key == "serving_default"
    assert default.method_name == PREDICT
    assert default.inputs == {
        "instances": TensorSpec("instances", "DT_STRING", (-1,), "instances:0"),
    }
    assert list(default.outputs) == ["ctr", "cvr"]
    assert default.outputs["ctr"] == TensorSpec("ctr", "DT_FLOAT", None, "ctr:0")
    assert default.outputs["cvr"] == TensorSpec("cvr", "DT_FLOAT", (-1, 1), "cvr:0")


def test_shapes_dtypes_and_method_of_another_signature(multi_model: Path) -> None:
    alpha = read_signatures(multi_model).signatures["alpha"]
    assert alpha.method_name == "tensorflow/serving/classify"
    assert list(alpha.inputs) == ["a", "b"]
    assert alpha.inputs["a"] == TensorSpec("a", "DT_INT64", (), "a:0")
    assert alpha.inputs["b"].shape == (2, -1)
    assert alpha.outputs["out"].dtype == "DT_UNKNOWN_20"
    assert read_signatures(multi_model).signatures["zeta"].outputs["output"].shape == ()


def test_other_tags_select_other_meta_graph(multi_model: Path) -> None:
    result = read_signatures(multi_model, tags=["train"])
    assert list(result.signatures) == ["train_step"]
    assert result.signatures["train_step"].inputs["x"].shape == (3,)


def test_exact_tag_set_preferred_over_superset(tmp_path: Path) -> None:
    sig = _signature_def({"examples": (DT_STRING, [-1])}, {"output": (DT_FLOAT, [-1])})
    _write_model(
        tmp_path,
        _meta_graph(["serve", "gpu"], {"from_gpu_graph": sig}),
        _meta_graph(["serve"], {"from_serve_graph": sig}),
    )
    assert list(read_signatures(tmp_path).signatures) == ["from_serve_graph"]


def test_superset_tag_set_is_the_fallback(tmp_path: Path) -> None:
    sig = _signature_def({"examples": (DT_STRING, [-1])}, {"output": (DT_FLOAT, [-1])})
    _write_model(
        tmp_path,
        _meta_graph(["train"], {"from_train_graph": sig}),
        _meta_graph(["tpu", "serve"], {"from_tpu_graph": sig}),
    )
    assert list(read_signatures(tmp_path).signatures) == ["from_tpu_graph"]


def test_no_serve_meta_graph_lists_tag_sets(tmp_path: Path) -> None:
    sig = _signature_def({"examples": (DT_STRING, [-1])}, {"output": (DT_FLOAT, [-1])})
    _write_model(tmp_path, _meta_graph(["train"], {"s": sig}), _meta_graph(["eval", "gpu"], {}))
    with pytest.raises(SavedModelError) as info:
        read_signatures(tmp_path)
    assert str(info.value) == (
        f"{tmp_path / 'saved_model.pb'}: no meta graph tagged {{serve}}; "
        "tag sets found: {train}; {eval, gpu}"
    )


def test_only_the_init_op_means_no_signatures(tmp_path: Path) -> None:
    init = _signature_def({}, {"__saved_model_init_op": (0, [])})
    _write_model(tmp_path, _meta_graph(["serve"], {"__saved_model_init_op": init}))
    with pytest.raises(SavedModelError, match=r"the \{serve\} meta graph has no signatures$"):
        read_signatures(tmp_path)


def test_signature_without_inputs_or_outputs(tmp_path: Path) -> None:
    _write_model(tmp_path, _meta_graph(["serve"], {"serving_default": _signature_def({}, {})}))
    sig = read_signatures(tmp_path).signatures["serving_default"]
    assert sig.inputs == {}
    assert sig.outputs == {}
    assert string_input(sig) is None
    assert output_heads(sig) == []


# --------------------------------------------------------------------------- directories


def test_versioned_base_picks_largest_number(tmp_path: Path) -> None:
    for version in ("1", "2", "10"):
        _serve_model(tmp_path / version, marker=f"v{version}")
    (tmp_path / "11").mkdir()  # a newer version still being copied: no saved_model.pb yet
    _serve_model(tmp_path / "v99", marker="not_a_version")
    _serve_model(tmp_path / "12.tmp", marker="not_a_version_either")
    assert resolve_model_dir(tmp_path) == tmp_path / "10"
    result = read_signatures(tmp_path)
    assert result.model_dir == tmp_path / "10"
    assert list(result.signatures["serving_default"].outputs) == ["v10"]


def test_model_dir_itself_wins_over_versions(tmp_path: Path) -> None:
    _serve_model(tmp_path)
    _serve_model(tmp_path / "5")
    assert resolve_model_dir(str(tmp_path)) == tmp_path


def test_missing_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(SavedModelError) as info:
        resolve_model_dir(missing)
    assert str(info.value) == f"{missing}: no such directory; expected a SavedModel directory"


def test_empty_directory_says_what_was_expected(tmp_path: Path) -> None:
    with pytest.raises(SavedModelError) as info:
        read_signatures(tmp_path)
    assert str(info.value) == (
        f"{tmp_path}: no saved_model.pb and no numbered version directory either; "
        "expected a SavedModel directory or a TF Serving base directory "
        "(<base>/<version>/saved_model.pb)"
    )


def test_versions_without_saved_model_are_named(tmp_path: Path) -> None:
    (tmp_path / "3").mkdir()
    (tmp_path / "20").mkdir()
    expected = r": no saved_model\.pb and version directories 20, 3 hold none;"
    with pytest.raises(SavedModelError, match=expected):
        resolve_model_dir(tmp_path)


def test_file_instead_of_directory(tmp_path: Path) -> None:
    pb = _serve_model(tmp_path) / "saved_model.pb"
    with pytest.raises(SavedModelError, match=r"is a file; pass the SavedModel directory"):
        resolve_model_dir(pb)


def test_pbtxt_only_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "saved_model.pbtxt").write_text("saved_model_schema_version: 1\n")
    with pytest.raises(SavedModelError) as info:
        read_signatures(tmp_path)
    assert str(info.value) == (
        f"{tmp_path}: only saved_model.pbtxt found; the text format is not supported, "
        "export the model with a binary saved_model.pb"
    )


def test_pbtxt_only_in_version_dir(tmp_path: Path) -> None:
    (tmp_path / "7").mkdir()
    (tmp_path / "7" / "saved_model.pbtxt").write_text("")
    with pytest.raises(SavedModelError, match=r"7: only saved_model\.pbtxt found"):
        resolve_model_dir(tmp_path)


# --------------------------------------------------------------------------- bad files


def test_garbage_file(tmp_path: Path) -> None:
    (tmp_path / "saved_model.pb").write_bytes(b"\xff" * 16)
    with pytest.raises(SavedModelError) as info:
        read_signatures(tmp_path)
    assert str(info.value) == (
        f"{tmp_path / 'saved_model.pb'}: not a SavedModel (it does not parse as one)"
    )
    assert info.value.__cause__ is not None


def test_empty_file_has_no_meta_graph(tmp_path: Path) -> None:
    (tmp_path / "saved_model.pb").write_bytes(b"")
    with pytest.raises(SavedModelError, match=r"not a SavedModel \(it holds no meta graph\)$"):
        read_signatures(tmp_path)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _serve_model(tmp_path)

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(SavedModelError) as info:
        read_signatures(tmp_path)
    assert str(info.value) == f"{tmp_path / 'saved_model.pb'}: cannot read: Permission denied"
    assert isinstance(info.value.__cause__, PermissionError)


def test_errors_belong_to_the_family() -> None:
    assert issubclass(SavedModelError, MonogenError)
    assert issubclass(SavedModelError, ValueError)


# --------------------------------------------------------------------------- warmup helpers


def test_string_input_single_string() -> None:
    assert string_input(_sig({"instances": "DT_STRING"})) == "instances"


def test_string_input_several_inputs_message() -> None:
    sig = Signature(
        key="x",
        inputs={
            "a": TensorSpec("a", "DT_FLOAT", (-1,)),
            "b": TensorSpec("b", "DT_STRING", (-1,)),
        },
        outputs={},
        method_name=PREDICT,
    )
    with pytest.raises(SavedModelError) as info:
        string_input(sig)
    assert str(info.value) == (
        "signature 'x' takes inputs a (DT_FLOAT), b (DT_STRING); "
        "a warmup request needs exactly one DT_STRING input"
    )


def test_string_input_non_string_input() -> None:
    with pytest.raises(SavedModelError, match=r"^signature 'sig' takes inputs dense \(DT_FLOAT\);"):
        string_input(_sig({"dense": "DT_FLOAT"}))


@pytest.mark.parametrize(
    ("outputs", "heads"),
    [
        (("output",), []),
        ((), []),
        (("scores",), ["scores"]),
        (("cvr", "ctr"), ["ctr", "cvr"]),
        (("output", "aux"), ["aux", "output"]),
    ],
)
def test_output_heads(outputs: tuple[str, ...], heads: list[str]) -> None:
    assert output_heads(_sig({"instances": "DT_STRING"}, outputs)) == heads


@pytest.mark.parametrize(
    ("name", "variant"),
    [("examples", "example"), ("instances", "instance"), ("example_batch", "example_batch")],
)
def test_variant_for_input(name: str, variant: str) -> None:
    assert variant_for_input(name) == variant


def test_variant_for_unknown_input() -> None:
    with pytest.raises(SavedModelError) as info:
        variant_for_input("inputs")
    assert str(info.value) == (
        "input 'inputs' does not name a record variant; accepted input names: "
        "examples (example), instances (instance), example_batch (example_batch); "
        "pass variant to choose one"
    )


# --------------------------------------------------------------------------- with TensorFlow


@pytest.fixture(scope="module")
def tf_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """Export one small two-head model once, into ``<base>/1``; return (tf, base)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tf = pytest.importorskip("tensorflow")

    class Ranker(tf.Module):  # type: ignore[name-defined]
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="instances")])
        def serve(self, instances: Any) -> dict[str, Any]:
            length = tf.cast(tf.strings.length(instances), tf.float32)
            return {"ctr": length, "cvr": length * 2.0}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
        def count(self, examples: Any) -> Any:
            return tf.strings.length(examples)

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 4], tf.float32, name="dense"),
                tf.TensorSpec([None], tf.string, name="ids"),
            ]
        )
        def mixed(self, dense: Any, ids: Any) -> dict[str, Any]:
            return {"output": tf.reduce_sum(dense, axis=1) + tf.cast(tf.size(ids), tf.float32)}

    ranker = Ranker()
    base = tmp_path_factory.mktemp("tf_base")
    tf.saved_model.save(
        ranker,
        str(base / "1"),
        signatures={
            "serving_default": ranker.serve,
            "count": ranker.count.get_concrete_function(),
            "mixed": ranker.mixed.get_concrete_function(),
        },
    )
    return tf, base


def _tf_spec(tf: Any, spec: Any) -> tuple[str, str, tuple[int, ...]]:
    """(name, DataType name, shape with -1 for unknown) as TensorFlow describes ``spec``."""
    from tensorflow.core.framework import types_pb2 as tf_types_pb2

    shape = tuple(-1 if d is None else d for d in spec.shape.as_list())
    return spec.name, tf_types_pb2.DataType.Name(spec.dtype.as_datatype_enum), shape


def _ours(spec: TensorSpec) -> tuple[str, str, tuple[int, ...] | None]:
    return spec.name, spec.dtype, spec.shape


@pytest.mark.tf
def test_tf_export_matches_tf_loader(tf_export: tuple[Any, Path]) -> None:
    tf, base = tf_export
    ours = read_signatures(base)
    assert ours.model_dir == base / "1"
    loaded = tf.saved_model.load(str(base / "1"))
    assert sorted(ours.signatures) == sorted(loaded.signatures.keys())
    assert list(ours.signatures) == ["serving_default", "count", "mixed"]
    for key, function in loaded.signatures.items():
        args, kwargs = function.structured_input_signature
        assert args == ()
        sig = ours.signatures[key]
        assert {n: _ours(s) for n, s in sig.inputs.items()} == {
            n: _tf_spec(tf, s) for n, s in kwargs.items()
        }, key
        assert {n: _ours(s) for n, s in sig.outputs.items()} == {
            n: _tf_spec(tf, s) for n, s in function.structured_outputs.items()
        }, key


@pytest.mark.tf
def test_tf_export_known_facts(tf_export: tuple[Any, Path]) -> None:
    _, base = tf_export
    sigs = read_signatures(base).signatures
    default = sigs["serving_default"]
    assert default.inputs["instances"].dtype == "DT_STRING"
    assert default.inputs["instances"].shape == (-1,)
    assert string_input(default) == "instances"
    assert variant_for_input("instances") == "instance"
    assert output_heads(default) == ["ctr", "cvr"]
    # TensorFlow names a lone unnamed output output_0: a head, not the single-head marker.
    assert output_heads(sigs["count"]) == ["output_0"]
    assert output_heads(sigs["mixed"]) == []
    expected = r"^signature 'mixed' takes inputs dense \(DT_FLOAT\), ids \(DT_STRING\);"
    with pytest.raises(SavedModelError, match=expected):
        string_input(sigs["mixed"])


@pytest.mark.tf
def test_tf_export_matches_tf_parser(tf_export: tuple[Any, Path]) -> None:
    """TensorFlow's full SavedModel proto agrees on keys, method names and graph tensors."""
    _, base = tf_export
    from tensorflow.core.protobuf import saved_model_pb2 as tf_saved_model_pb2

    full = tf_saved_model_pb2.SavedModel()
    full.ParseFromString((base / "1" / "saved_model.pb").read_bytes())
    (graph,) = [g for g in full.meta_graphs if list(g.meta_info_def.tags) == ["serve"]]
    ours = read_signatures(base).signatures
    servable = {k: v for k, v in graph.signature_def.items() if k != "__saved_model_init_op"}
    assert sorted(ours) == sorted(servable)
    for key, tf_sig in servable.items():
        assert ours[key].method_name == tf_sig.method_name
        assert {n: s.tensor_name for n, s in ours[key].inputs.items()} == {
            n: info.name for n, info in tf_sig.inputs.items()
        }
        assert {n: s.tensor_name for n, s in ours[key].outputs.items()} == {
            n: info.name for n, info in tf_sig.outputs.items()
        }
