"""The export demo: option checks without TensorFlow, then real exports loaded back by TensorFlow.

Expected probabilities come from a NumPy forward pass written here from the model's
description (fid-v1 slots 1..6, ``fid % 1000`` buckets, sum pooling, bias column then
16 columns per FFM pair, sigmoid), reading the Instances with protobuf rather than
with the graph's ``decode_proto``. Expected signatures come from ``saved_model.pb``
read back, and the shard contents from the trained tables sliced here.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool

from monogen.errors import ExportOptionsError, MonogenError, OutputExistsError
from monogen.gen.generator import RecordGenerator, Variant
from monogen.gen.schema import Schema
from monogen.proto import proto_parser_pb2
from monogen.serving.export_demo import (
    INSTALL_HINT,
    DemoWeights,
    TensorFlowMissingError,
    export_demo,
    export_trained,
    instance_descriptor_set,
    require_tensorflow,
    train_demo,
)
from monogen.serving.savedmodel import output_heads, read_signatures

# The model as specified, restated independently of the module.
FIDV1_SLOTS = (1, 2, 3, 4, 5, 6)
PAIRS = ((0, 3), (0, 4), (1, 5), (2, 3), (2, 5))
DIM = 16
BIASED = 4
VOCAB = 1000
SLOT_SHIFT = 54
# Table widths: a bias column for slots 0..3, 16 columns per pair a slot is in.
WIDTHS = (1 + 2 * DIM, 1 + DIM, 1 + 2 * DIM, 1 + 2 * DIM, DIM, 2 * DIM)
NUM_PS = 2
VERSION = 1_700_000_000
SERVE_BATCH = 40
SERVE_SEED = 7
WARMUP_FILE = "assets.extra/tf_serving_warmup_requests"


# --------------------------------------------------------------------------- helpers


def _fid(slot: int, low: int) -> int:
    return (slot << SLOT_SHIFT) | low


def _serving_instances() -> list[proto_parser_pb2.Instance]:
    """Instances the model never trained on, plus two edge cases at the end.

    The second to last has no fids at all; the last has only a fid of slot 9, which
    the model does not read. Both must score sigmoid(0) = 0.5.
    """
    schema = Schema.build(fidv1_slots=FIDV1_SLOTS)
    generator = RecordGenerator(
        schema, Variant.INSTANCE, seed=SERVE_SEED, batch_size=SERVE_BATCH, req_time=0
    )
    instances = [
        m for m in generator.records(SERVE_BATCH) if isinstance(m, proto_parser_pb2.Instance)
    ]
    assert len(instances) == SERVE_BATCH
    instances.append(proto_parser_pb2.Instance(label=[1.0]))
    instances.append(proto_parser_pb2.Instance(fid=[_fid(9, 12345)], label=[0.0]))
    return instances


def _reference_probabilities(
    tables: Sequence[np.ndarray], instances: Sequence[proto_parser_pb2.Instance]
) -> np.ndarray:
    result = []
    for instance in instances:
        pooled = [np.zeros(width, dtype=np.float64) for width in WIDTHS]
        for fid in instance.fid:
            slot = fid >> SLOT_SHIFT
            if slot in FIDV1_SLOTS:
                pooled[slot - 1] += tables[slot - 1][fid % VOCAB]
        logit = sum(pooled[s][0] for s in range(BIASED))
        column = [1 if s < BIASED else 0 for s in range(len(WIDTHS))]
        for a, b in PAIRS:
            logit += float(
                pooled[a][column[a] : column[a] + DIM] @ pooled[b][column[b] : column[b] + DIM]
            )
            column[a] += DIM
            column[b] += DIM
        result.append(1.0 / (1.0 + math.exp(-logit)))
    return np.array(result)


def _predict(
    tf: Any, model_dir: Path, instances: Sequence[proto_parser_pb2.Instance]
) -> np.ndarray:
    loaded = tf.saved_model.load(str(model_dir))
    batch = tf.constant([m.SerializeToString() for m in instances], dtype=tf.string)
    outputs = loaded.signatures["serving_default"](instances=batch)
    assert list(outputs) == ["output"]
    return np.asarray(outputs["output"].numpy())


def _lookup(tf: Any, model_dir: Path, fidv1_slot: int, fids: Sequence[int]) -> np.ndarray:
    loaded = tf.saved_model.load(str(model_dir))
    signature = loaded.signatures[f"lookup_slot_{fidv1_slot}"]
    return np.asarray(signature(fids=tf.constant(fids, dtype=tf.uint64))["embeddings"].numpy())


def _fids_of_slot(instances: Sequence[proto_parser_pb2.Instance], fidv1_slot: int) -> list[int]:
    return [fid for m in instances for fid in m.fid if fid >> SLOT_SHIFT == fidv1_slot]


# --------------------------------------------------------------------------- without TensorFlow


def test_descriptor_set_defines_instance_with_fixed64_fids() -> None:
    file_set = descriptor_pb2.FileDescriptorSet.FromString(instance_descriptor_set())
    names = [f.name for f in file_set.file]
    assert names[-1] == "idl/matrix/proto/proto_parser.proto"
    assert len(names) == len(set(names))
    # A fresh pool accepts the files in this order only if dependencies come first.
    pool = descriptor_pool.DescriptorPool()
    for file in file_set.file:
        pool.Add(file)
    instance = pool.FindMessageTypeByName("parser.proto.Instance")
    assert instance.fields_by_name["fid"].type == descriptor_pb2.FieldDescriptorProto.TYPE_FIXED64
    assert instance.fields_by_name["label"].type == descriptor_pb2.FieldDescriptorProto.TYPE_FLOAT


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"mode": "distributed", "num_ps": 0}, "num_ps must be >= 1 in distributed mode, not 0"),
        ({"mode": "cluster"}, "unknown export mode 'cluster'"),
        ({"steps": -1}, "training steps must be >= 0, not -1"),
        ({"seed": -3}, "seed must be >= 0, not -3"),
        ({"timestamp": -5}, "the version timestamp must be >= 0, not -5"),
    ],
)
def test_bad_options_are_usage_errors(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ExportOptionsError, match="^" + message) as info:
        export_demo(tmp_path, **options)
    assert info.value.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_num_ps_is_ignored_in_standalone_mode_checks(tmp_path: Path) -> None:
    # Only distributed mode has shards; standalone must not reject num_ps=0. The
    # existing version makes the call stop before anything is trained.
    (tmp_path / "5").mkdir()
    with pytest.raises(OutputExistsError, match=r"5 exists; TF Serving versions are immutable"):
        export_demo(tmp_path, mode="standalone", num_ps=0, timestamp=5)


def test_existing_version_of_any_servable_is_refused_before_training(tmp_path: Path) -> None:
    (tmp_path / "ps_1" / "9").mkdir(parents=True)
    with pytest.raises(OutputExistsError, match=r"ps_1/9 exists") as info:
        export_demo(tmp_path, mode="distributed", num_ps=2, timestamp=9)
    assert info.value.exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ps_1"]


def test_require_tensorflow_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes the import fail as if the package were absent.
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    with pytest.raises(TensorFlowMissingError) as info:
        require_tensorflow()
    assert isinstance(info.value, MonogenError)
    assert isinstance(info.value, ImportError)
    assert info.value.exit_code == 1
    assert str(info.value) == (
        "this command needs TensorFlow, which is not installed; run: pip install 'monogen[tf]'"
    )
    assert INSTALL_HINT in str(info.value)


def test_importing_monogen_never_imports_tensorflow() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import monogen\n"
        "for info in pkgutil.walk_packages(monogen.__path__, 'monogen.'):\n"
        "    if not info.name.endswith('.__main__'):\n"
        "        importlib.import_module(info.name)\n"
        "assert 'monogen.serving.export_demo' in sys.modules\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'tensorflow')\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------------- with TensorFlow


@pytest.fixture(scope="module")
def weights(tf: Any) -> DemoWeights:
    return train_demo(seed=0)


@pytest.fixture(scope="module")
def exports(weights: DemoWeights, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One trained model exported standalone, distributed over 2 ps, and over 3 ps."""
    base = tmp_path_factory.mktemp("export_demo")
    return {
        "base": base,
        "standalone": export_trained(weights, base / "standalone", timestamp=VERSION),
        "distributed": export_trained(
            weights, base / "distributed", mode="distributed", num_ps=NUM_PS, timestamp=VERSION
        ),
        "distributed3": export_trained(
            weights, base / "distributed3", mode="distributed", num_ps=3, timestamp=VERSION
        ),
    }


@pytest.fixture(scope="module")
def instances() -> list[proto_parser_pb2.Instance]:
    return _serving_instances()


@pytest.mark.tf
def test_layout_is_versioned_as_tf_serving_expects(exports: dict[str, Any]) -> None:
    base = exports["base"]
    assert exports["standalone"] == [base / "standalone" / str(VERSION)]
    assert exports["distributed"] == [
        base / "distributed" / "entry" / str(VERSION),
        base / "distributed" / "ps_0" / str(VERSION),
        base / "distributed" / "ps_1" / str(VERSION),
    ]
    for directory in exports["standalone"] + exports["distributed"]:
        assert (directory / "saved_model.pb").is_file()
        # Nothing else beside the version: the staging directories were renamed away.
        assert [p.name for p in directory.parent.iterdir()] == [str(VERSION)]
    assert sorted(p.name for p in (base / "distributed").iterdir()) == ["entry", "ps_0", "ps_1"]


@pytest.mark.tf
@pytest.mark.parametrize("kind", ["standalone", "distributed"])
def test_serving_signature_takes_instances_and_is_single_head(
    exports: dict[str, Any], kind: str
) -> None:
    signatures = read_signatures(exports[kind][0]).signatures
    assert list(signatures) == ["serving_default"]
    signature = signatures["serving_default"]
    assert {k: (s.dtype, s.shape) for k, s in signature.inputs.items()} == {
        "instances": ("DT_STRING", (-1,))
    }
    assert {k: (s.dtype, s.shape) for k, s in signature.outputs.items()} == {
        "output": ("DT_FLOAT", (-1,))
    }
    assert output_heads(signature) == []


@pytest.mark.tf
def test_ps_signatures_look_up_each_table(exports: dict[str, Any]) -> None:
    for ps_dir in exports["distributed"][1:]:
        signatures = read_signatures(ps_dir).signatures
        assert list(signatures) == [f"lookup_slot_{s}" for s in FIDV1_SLOTS]
        for slot, width in zip(FIDV1_SLOTS, WIDTHS, strict=True):
            signature = signatures[f"lookup_slot_{slot}"]
            assert {k: (s.dtype, s.shape) for k, s in signature.inputs.items()} == {
                "fids": ("DT_UINT64", (-1,))
            }
            assert {k: (s.dtype, s.shape) for k, s in signature.outputs.items()} == {
                "embeddings": ("DT_FLOAT", (-1, width))
            }


@pytest.mark.tf
def test_weights_have_the_described_shapes(weights: DemoWeights) -> None:
    assert [t.shape for t in weights.tables] == [(VOCAB, w) for w in WIDTHS]
    assert all(t.dtype == np.float32 for t in weights.tables)
    assert math.isfinite(weights.final_loss)


@pytest.mark.tf
def test_standalone_answers_like_the_numpy_reference(
    tf: Any,
    weights: DemoWeights,
    exports: dict[str, Any],
    instances: list[proto_parser_pb2.Instance],
) -> None:
    probabilities = _predict(tf, exports["standalone"][0], instances)
    assert probabilities.shape == (len(instances),)
    assert probabilities.dtype == np.float32
    assert np.all((probabilities > 0) & (probabilities < 1))
    np.testing.assert_allclose(
        probabilities, _reference_probabilities(weights.tables, instances), rtol=1e-5
    )
    # No fids, or only fids of a slot the model does not read: sigmoid(0).
    assert probabilities[-2] == 0.5
    assert probabilities[-1] == 0.5
    # The model is not constant: trained embeddings move the answers off 0.5.
    assert np.ptp(probabilities[:SERVE_BATCH]) > 0


@pytest.mark.tf
@pytest.mark.parametrize("kind", ["distributed", "distributed3"])
def test_entry_answers_like_the_standalone_model(
    tf: Any, exports: dict[str, Any], instances: list[proto_parser_pb2.Instance], kind: str
) -> None:
    standalone = _predict(tf, exports["standalone"][0], instances)
    entry = _predict(tf, exports[kind][0], instances)
    assert entry.shape == (len(instances),)
    assert np.all((entry > 0) & (entry < 1))
    np.testing.assert_allclose(entry, standalone, rtol=1e-6)


@pytest.mark.tf
def test_entry_answers_an_empty_batch(tf: Any, exports: dict[str, Any]) -> None:
    assert _predict(tf, exports["distributed"][0], []).shape == (0,)


@pytest.mark.tf
@pytest.mark.parametrize(("kind", "num_ps"), [("distributed", 2), ("distributed3", 3)])
def test_ps_shards_hold_their_fids_rows(
    tf: Any,
    weights: DemoWeights,
    exports: dict[str, Any],
    instances: list[proto_parser_pb2.Instance],
    kind: str,
    num_ps: int,
) -> None:
    entry = tf.saved_model.load(str(exports[kind][0]))
    for shard, ps_dir in enumerate(exports[kind][1:]):
        for slot_index, slot in enumerate(FIDV1_SLOTS):
            fids = _fids_of_slot(instances, slot)
            rows = _lookup(tf, ps_dir, slot, fids)
            table = weights.tables[slot_index]
            entry_shard = entry.shard_tables[slot_index][shard].numpy()
            assert entry_shard.shape == (len(range(shard, VOCAB, num_ps)), WIDTHS[slot_index])
            for fid, row in zip(fids, rows, strict=True):
                bucket = fid % VOCAB
                if bucket % num_ps == shard:
                    np.testing.assert_array_equal(row, table[bucket])
                    np.testing.assert_array_equal(row, entry_shard[bucket // num_ps])
                else:
                    np.testing.assert_array_equal(row, np.zeros(WIDTHS[slot_index]))


@pytest.mark.tf
def test_two_ps_shard_by_fid_mod_num_ps(
    tf: Any, weights: DemoWeights, exports: dict[str, Any]
) -> None:
    # 1000 buckets split evenly over 2 ps: the owner is fid % 2, whatever the bucket.
    fids = [_fid(3, low) for low in (0, 1, 998, 999, 1000, 1001, 123_456_789)]
    for shard, ps_dir in enumerate(exports["distributed"][1:]):
        rows = _lookup(tf, ps_dir, 3, fids)
        owned = [np.any(row != 0) for row in rows]
        assert owned == [fid % NUM_PS == shard for fid in fids]


@pytest.mark.tf
def test_export_demo_trains_reproducibly_and_publishes_after_the_hook(
    tf: Any,
    tmp_path: Path,
    exports: dict[str, Any],
    instances: list[proto_parser_pb2.Instance],
) -> None:
    seen: list[tuple[str, Path, bool]] = []

    def before_publish(name: str, directory: Path) -> None:
        seen.append((name, directory, (directory / "saved_model.pb").is_file()))
        (directory / WARMUP_FILE).parent.mkdir(exist_ok=True)
        (directory / WARMUP_FILE).write_bytes(b"warmup for " + name.encode())

    written = export_demo(
        tmp_path, mode="distributed", num_ps=1, seed=0, timestamp=3, before_publish=before_publish
    )
    assert written == [tmp_path / "entry" / "3", tmp_path / "ps_0" / "3"]
    # Shards first, then the entry; each seen complete, in a staging directory.
    assert [(name, ready) for name, _, ready in seen] == [("ps_0", True), ("entry", True)]
    assert all(directory not in written for _, directory, _ in seen)
    assert (written[0] / WARMUP_FILE).read_bytes() == b"warmup for entry"
    assert (written[1] / WARMUP_FILE).read_bytes() == b"warmup for ps_0"
    # Same seed and steps as the shared fixture: the same model answers the same.
    np.testing.assert_allclose(
        _predict(tf, written[0], instances),
        _predict(tf, exports["standalone"][0], instances),
        rtol=1e-6,
    )


@pytest.mark.tf
def test_a_failing_hook_leaves_no_version_behind(tmp_path: Path, weights: DemoWeights) -> None:
    def refuse(name: str, directory: Path) -> None:
        raise MonogenError(f"cannot warm up {name}")

    with pytest.raises(MonogenError, match="cannot warm up standalone"):
        export_trained(weights, tmp_path, timestamp=4, before_publish=refuse)
    assert list(tmp_path.iterdir()) == []


def test_a_broken_tensorflow_is_not_called_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    def broken(name: str) -> None:
        raise ImportError(
            "libtensorflow_framework.so.2: cannot open shared object",
            name="tensorflow.python._pywrap",
        )

    monkeypatch.setattr(importlib, "import_module", broken)
    with pytest.raises(
        TensorFlowMissingError, match=r"^TensorFlow is installed but fails to import: libtensorflow"
    ):
        require_tensorflow()
