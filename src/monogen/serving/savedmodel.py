"""A SavedModel's serving signatures, read without TensorFlow.

A warmup file is only safe when it matches the model TensorFlow Serving will load:
every request must name a signature the model has, feed exactly that signature's
input keys, and filter only on outputs it produces, or the model load fails. Those
facts live in ``saved_model.pb``. Importing TensorFlow to read one protobuf would
make a multi-hundred-megabyte framework part of the data path, so this module parses
the file with monogen's own subset of TensorFlow's protos (``SavedModel`` →
``MetaGraphDef`` → ``SignatureDef`` → ``TensorInfo``); protobuf skips the graph,
saver, collections and object graph the subset leaves out.

Directory layouts accepted (the two TensorFlow Serving knows)::

    model_dir/saved_model.pb               a SavedModel directory
    base_dir/<version>/saved_model.pb      a base directory; the newest version wins

Protobuf maps come with no order, so signatures and their inputs and outputs are
sorted by key, with ``serving_default`` first: round-robins over them are the same on
every run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from google.protobuf.message import DecodeError  # type: ignore[import-untyped, unused-ignore]

from monogen.errors import SavedModelError
from monogen.formats import DEFAULT_SIGNATURE, VARIANTS, RecordType, dtype_name
from monogen.proto import meta_graph_pb2, saved_model_pb2, tensor_shape_pb2

SAVED_MODEL_PB = "saved_model.pb"
SAVED_MODEL_PBTXT = "saved_model.pbtxt"
SERVE_TAG = "serve"
# The pseudo-signature TF2's exporter adds to run the model's initializers; not servable.
INIT_OP_SIGNATURE = "__saved_model_init_op"
# The output name that marks a single-head model (no per-head warmup copies).
SINGLE_HEAD_OUTPUT = "output"
STRING_DTYPE = "DT_STRING"
# TensorShapeProto writes an unknown dimension as size -1.
UNKNOWN_DIM = -1
# TF Serving's version directories are named by a non-negative integer.
_VERSION_DIR = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class TensorSpec:
    """One input or output of a signature.

    ``name`` is the key the signature gives it (what a PredictRequest's ``inputs`` map
    and ``output_filter`` use); ``tensor_name`` is the graph tensor behind it
    (``serving_default_instances:0``), empty for sparse or composite tensors. ``shape``
    is None for unknown rank, with -1 for each unknown dimension.
    """

    name: str
    dtype: str
    shape: tuple[int, ...] | None
    tensor_name: str = ""


@dataclass(frozen=True)
class Signature:
    """A SignatureDef: inputs and outputs keyed by name, in sorted key order."""

    key: str
    inputs: dict[str, TensorSpec]
    outputs: dict[str, TensorSpec]
    method_name: str


@dataclass(frozen=True)
class ModelSignatures:
    """The servable signatures of the ``serve`` meta graph of the SavedModel in ``model_dir``.

    ``signatures`` is ordered ``serving_default`` first, then by key.
    """

    model_dir: Path
    signatures: dict[str, Signature]


# --------------------------------------------------------------------------- locating


def resolve_model_dir(path: str | Path) -> Path:
    """Return the SavedModel directory ``path`` names: itself, or its newest version.

    TF Serving is pointed at a base directory and loads the largest numbered version,
    so a base directory resolves the same way; a version without ``saved_model.pb``
    (still being copied, say) is passed over.
    """
    directory = Path(path)
    if not directory.exists():
        raise SavedModelError(f"{directory}: no such directory; expected a SavedModel directory")
    if not directory.is_dir():
        raise SavedModelError(
            f"{directory} is a file; pass the SavedModel directory that holds {SAVED_MODEL_PB}"
        )
    if (directory / SAVED_MODEL_PB).is_file():
        return directory
    if (directory / SAVED_MODEL_PBTXT).is_file():
        raise _pbtxt_error(directory)
    versions = _version_dirs(directory)
    for version in versions:
        if (version / SAVED_MODEL_PB).is_file():
            return version
    pbtxt_only = [v for v in versions if (v / SAVED_MODEL_PBTXT).is_file()]
    if pbtxt_only:
        raise _pbtxt_error(pbtxt_only[0])
    found = (
        f"version directories {', '.join(v.name for v in versions)} hold none"
        if versions
        else "no numbered version directory either"
    )
    raise SavedModelError(
        f"{directory}: no {SAVED_MODEL_PB} and {found}; expected a SavedModel directory "
        f"or a TF Serving base directory (<base>/<version>/{SAVED_MODEL_PB})"
    )


def _version_dirs(base: Path) -> list[Path]:
    """Numbered subdirectories of ``base``, newest (largest number) first."""
    try:
        children = list(base.iterdir())
    except OSError as exc:
        raise SavedModelError(f"{base}: cannot list directory: {exc.strerror or exc}") from exc
    numbered = [c for c in children if _VERSION_DIR.fullmatch(c.name) and c.is_dir()]
    # Name as a tie-breaker ("1" vs "01") keeps the pick the same on every file system.
    return sorted(numbered, key=lambda c: (int(c.name), c.name), reverse=True)


def _pbtxt_error(directory: Path) -> SavedModelError:
    return SavedModelError(
        f"{directory}: only {SAVED_MODEL_PBTXT} found; the text format is not supported, "
        f"export the model with a binary {SAVED_MODEL_PB}"
    )


# --------------------------------------------------------------------------- reading


def read_signatures(path: str | Path, *, tags: Iterable[str] = (SERVE_TAG,)) -> ModelSignatures:
    """Read the signatures of the meta graph tagged ``tags`` from the SavedModel at ``path``.

    ``path`` is resolved by ``resolve_model_dir``. The meta graph whose tag set equals
    ``tags`` is preferred, as TF Serving's loader asks for that exact set; failing
    that, the first one whose tags include them all.
    """
    model_dir = resolve_model_dir(path)
    saved_model = _parse_saved_model(model_dir / SAVED_MODEL_PB)
    meta_graph = _select_meta_graph(saved_model, frozenset(tags), model_dir)
    keys = [k for k in meta_graph.signature_def if k != INIT_OP_SIGNATURE]
    if not keys:
        raise SavedModelError(
            f"{model_dir / SAVED_MODEL_PB}: the {_tag_text(tags)} meta graph has no signatures"
        )
    signatures = {k: _signature(k, meta_graph.signature_def[k]) for k in _signature_order(keys)}
    return ModelSignatures(model_dir=model_dir, signatures=signatures)


def _parse_saved_model(file: Path) -> saved_model_pb2.SavedModel:
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise SavedModelError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    saved_model = saved_model_pb2.SavedModel()
    try:
        saved_model.ParseFromString(data)
    except DecodeError as exc:
        raise SavedModelError(f"{file}: not a SavedModel (it does not parse as one)") from exc
    # Protobuf accepts many byte strings as a message full of unknown fields; a file
    # that yields no meta graph is not a SavedModel either.
    if not saved_model.meta_graphs:
        raise SavedModelError(f"{file}: not a SavedModel (it holds no meta graph)")
    return saved_model


def _select_meta_graph(
    saved_model: saved_model_pb2.SavedModel, wanted: frozenset[str], model_dir: Path
) -> meta_graph_pb2.MetaGraphDef:
    graphs = {frozenset(g.meta_info_def.tags): g for g in reversed(saved_model.meta_graphs)}
    if wanted in graphs:
        return graphs[wanted]
    # Without an exact match, the first meta graph (file order) that carries every tag.
    for graph in saved_model.meta_graphs:
        if wanted <= frozenset(graph.meta_info_def.tags):
            return graph
    found = "; ".join(_tag_text(g.meta_info_def.tags) for g in saved_model.meta_graphs)
    raise SavedModelError(
        f"{model_dir / SAVED_MODEL_PB}: no meta graph tagged {_tag_text(wanted)}; "
        f"tag sets found: {found}"
    )


def _tag_text(tags: Iterable[str]) -> str:
    return "{" + ", ".join(sorted(tags)) + "}"


def _signature_order(keys: Iterable[str]) -> list[str]:
    """Sorted keys with ``serving_default`` first, the order every caller iterates in."""
    return sorted(keys, key=lambda k: (k != DEFAULT_SIGNATURE, k))


def _signature(key: str, signature_def: meta_graph_pb2.SignatureDef) -> Signature:
    return Signature(
        key=key,
        inputs=_tensor_specs(signature_def.inputs),
        outputs=_tensor_specs(signature_def.outputs),
        method_name=signature_def.method_name,
    )


def _tensor_specs(infos: Mapping[str, meta_graph_pb2.TensorInfo]) -> dict[str, TensorSpec]:
    return {
        name: TensorSpec(
            name=name,
            dtype=dtype_name(infos[name].dtype),
            shape=_shape(infos[name].tensor_shape),
            tensor_name=infos[name].name,
        )
        for name in sorted(infos)
    }


def _shape(proto: tensor_shape_pb2.TensorShapeProto) -> tuple[int, ...] | None:
    if proto.unknown_rank:
        return None
    return tuple(dim.size for dim in proto.dim)


# --------------------------------------------------------------------------- warmup helpers


def string_input(signature: Signature) -> str | None:
    """The name of the one DT_STRING input a warmup request feeds, None if there are no inputs.

    A request carries a single tensor of serialized records and TF Serving rejects a
    request whose input keys differ from the signature's, so any other input set cannot
    be warmed up.
    """
    inputs = signature.inputs
    if not inputs:
        return None
    if len(inputs) == 1:
        (spec,) = inputs.values()
        if spec.dtype == STRING_DTYPE:
            return spec.name
    listed = ", ".join(f"{s.name} ({s.dtype})" for s in inputs.values())
    raise SavedModelError(
        f"signature '{signature.key}' takes inputs {listed}; "
        f"a warmup request needs exactly one {STRING_DTYPE} input"
    )


def output_heads(signature: Signature) -> list[str]:
    """The heads that get their own ``output_filter`` warmup copy, sorted; [] for one head.

    A model is single-headed when it has no outputs or exactly one named ``output``;
    otherwise every output is a head, so each head's graph path gets warmed up.
    """
    names = sorted(signature.outputs)
    if not names or names == [SINGLE_HEAD_OUTPUT]:
        return []
    return names


def variant_for_input(name: str) -> RecordType:
    """The record variant (example, instance, example_batch) an input named ``name`` takes."""
    variant = RecordType.for_input(name)
    if variant is None:
        accepted = ", ".join(f"{v.input_name} ({v.value})" for v in VARIANTS)
        raise SavedModelError(
            f"input '{name}' does not name a record variant; accepted input names: {accepted}; "
            "pass {variant} to choose one",
            param="variant",
        )
    return variant


__all__ = [
    "DEFAULT_SIGNATURE",
    "ModelSignatures",
    "Signature",
    "TensorSpec",
    "output_heads",
    "read_signatures",
    "resolve_model_dir",
    "string_input",
    "variant_for_input",
]
