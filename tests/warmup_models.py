"""SavedModel files built by hand with monogen's proto subset, for the warmup tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from monogen.proto import meta_graph_pb2, saved_model_pb2, types_pb2

DT_STRING = types_pb2.DT_STRING
DT_FLOAT = types_pb2.DT_FLOAT


def _tensor_info(dtype: int) -> meta_graph_pb2.TensorInfo:
    info = meta_graph_pb2.TensorInfo(name="t:0", dtype=dtype)
    info.tensor_shape.dim.add().size = -1
    return info


def signature_def(inputs: Mapping[str, int], outputs: Iterable[str]) -> meta_graph_pb2.SignatureDef:
    sig = meta_graph_pb2.SignatureDef(method_name="tensorflow/serving/predict")
    for name, dtype in inputs.items():
        sig.inputs[name].CopyFrom(_tensor_info(dtype))
    for name in outputs:
        sig.outputs[name].CopyFrom(_tensor_info(DT_FLOAT))
    return sig


def write_saved_model(
    directory: Path, signatures: Mapping[str, meta_graph_pb2.SignatureDef]
) -> Path:
    """A ``saved_model.pb`` with one ``serve`` meta graph holding ``signatures``."""
    graph = meta_graph_pb2.MetaGraphDef()
    graph.meta_info_def.tags.append("serve")
    for key, sig in signatures.items():
        graph.signature_def[key].CopyFrom(sig)
    directory.mkdir(parents=True, exist_ok=True)
    model = saved_model_pb2.SavedModel(saved_model_schema_version=1, meta_graphs=[graph])
    (directory / "saved_model.pb").write_bytes(model.SerializeToString())
    return directory


def ranking_model(directory: Path, **extra: meta_graph_pb2.SignatureDef) -> Path:
    """serving_default and 'alpha' take instances, 'ping' nothing, 'other' examples."""
    return write_saved_model(
        directory,
        {
            "serving_default": signature_def({"instances": DT_STRING}, ["ctr", "cvr"]),
            "ping": signature_def({}, ["output"]),
            "alpha": signature_def({"instances": DT_STRING}, ["output"]),
            "other": signature_def({"examples": DT_STRING}, ["output"]),
            **extra,
        },
    )
