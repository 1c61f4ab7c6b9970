"""``monogen export-demo`` and ``monogen replay`` through click's CliRunner.

The TensorFlow tests export the demo both ways once per module, then check what TF
Serving would load: each version directory is a SavedModel TensorFlow loads and
that answers a batch of monogen Instances with probabilities; the warmup file sits
in the standalone model and the entry only; ``replay`` answers every request in it.
Without TensorFlow (simulated) both commands print the install hint and exit 1.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from monogen.cli import cli
from monogen.gen.generator import RecordGenerator, Variant
from monogen.gen.schema import Schema
from monogen.io.tfrecord import read_records, write_records
from monogen.proto import meta_graph_pb2, prediction_log_pb2, saved_model_pb2, types_pb2
from monogen.serving import export_demo as demo
from monogen.serving.warmup import prediction_log

VERSION = 1_700_000_000
NUM_PS = 2
SERVE_BATCH = 12
WARMUP_REL = Path("assets.extra") / "tf_serving_warmup_requests"
# Wide enough that rich never folds a table cell in the captured output.
WIDE = {"COLUMNS": "250"}
EXPORT_SUMMARY = re.compile(
    r"^exported (?P<count>\d+) servables? \((?P<names>[^)]*)\) under (?P<base>.+): "
    r"version (?P<version>\d+), (?P<steps>\d+) training steps, (?P<warmup>warmup in the \w+, )?"
    r"[\d.]+ s$"
)
INSTALL_HINT = (
    "Error: this command needs TensorFlow, which is not installed; run: pip install 'monogen[tf]'"
)
REPLAY_HINT = (
    "Error: replay runs the warmup requests with TensorFlow, which is not installed; "
    "run: pip install 'monogen[tf]' (or pass --check-only to only check the file)"
)


def run(*args: str) -> Result:
    return CliRunner(env=WIDE).invoke(cli, list(args))


def row(stdout: str, label: str) -> str:
    """The value cell of the summary table row ``label``."""
    for line in stdout.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line) if c.strip()]
        if len(cells) == 2 and cells[0] == label:
            return cells[1]
    raise AssertionError(f"no row {label!r} in:\n{stdout}")


def failure_rows(stdout: str) -> list[tuple[int, str]]:
    rows = []
    for line in stdout.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line) if c.strip()]
        if len(cells) == 2 and cells[0].isdigit():
            rows.append((int(cells[0]), cells[1]))
    return rows


def demo_signature_model(directory: Path) -> Path:
    """A SavedModel file with the demo's serving signature only (no TensorFlow needed)."""
    graph = meta_graph_pb2.MetaGraphDef()
    graph.meta_info_def.tags.append("serve")
    sig = graph.signature_def["serving_default"]
    sig.inputs["instances"].dtype = types_pb2.DT_STRING
    sig.inputs["instances"].tensor_shape.dim.add().size = -1
    sig.outputs["output"].dtype = types_pb2.DT_FLOAT
    directory.mkdir(parents=True)
    model = saved_model_pb2.SavedModel(meta_graphs=[graph])
    (directory / "saved_model.pb").write_bytes(model.SerializeToString())
    return directory


def warmup_records(*signatures: str) -> list[bytes]:
    return [
        prediction_log(
            model_name="m", signature_name=name, inputs={"instances": [b""]}
        ).SerializeToString()
        for name in signatures
    ]


def write_warmup(path: Path, records: list[bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fo:
        write_records(fo, records)
    return path


# --------------------------------------------------------------------------- without TF


@pytest.mark.parametrize("command", ["export-demo", "replay"])
def test_help_has_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert f"\n  Example:\n    monogen {command} " in result.output


def test_top_level_help_lists_both_and_imports_no_tensorflow() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from monogen.cli import cli; "
        "out = CliRunner().invoke(cli, ['--help']).output; "
        "print('export-demo' in out, 'replay' in out, 'tensorflow' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True", "False"]


def test_export_demo_without_tensorflow(tmp_path: Path, no_tensorflow: None) -> None:
    result = run("export-demo", "--export-base", str(tmp_path / "m"))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == INSTALL_HINT
    assert result.stdout == ""
    assert not (tmp_path / "m").exists()


def test_replay_without_tensorflow(tmp_path: Path, no_tensorflow: None) -> None:
    model = demo_signature_model(tmp_path / "m" / "3")
    write_warmup(model / WARMUP_REL, warmup_records("serving_default"))
    result = run("replay", "--saved-model", str(tmp_path / "m"))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == REPLAY_HINT
    assert result.stdout == ""


def test_replay_check_only_needs_no_tensorflow(tmp_path: Path, no_tensorflow: None) -> None:
    model = demo_signature_model(tmp_path / "m" / "3")
    write_warmup(model / WARMUP_REL, warmup_records("", "serving_default"))
    result = run("replay", "--saved-model", str(tmp_path / "m"), "--check-only")
    assert result.exit_code == 0, result.output
    assert row(result.stdout, "model") == str(model)
    assert row(result.stdout, "records") == "2"
    assert row(result.stdout, "passed checks") == "2"
    assert row(result.stdout, "answered") == "not run (--check-only)"
    assert row(result.stdout, "failures") == "0"
    assert result.stderr.splitlines()[-1].startswith("checked 2 warmup requests: ")


def test_replay_check_only_lists_failures_and_exits_1(tmp_path: Path) -> None:
    model = demo_signature_model(tmp_path / "m")
    warmup = write_warmup(
        tmp_path / "w.tfrecord", warmup_records("serving_default", "ranker", "", "ranker")
    )
    result = run("replay", "--saved-model", str(model), "--warmup", str(warmup), "--check-only")
    assert result.exit_code == 1
    missing = "signature 'ranker' not found (the model has: serving_default)"
    assert failure_rows(result.stdout) == [(1, missing), (3, missing)]
    assert row(result.stdout, "failures") == "2"
    assert result.stderr.splitlines()[-1] == (
        f"Error: TF Serving would fail the model load: 2 failures in {warmup} (listed above)"
    )


def test_replay_needs_a_model(tmp_path: Path) -> None:
    result = run("replay", "--saved-model", str(tmp_path / "none"), "--check-only")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: {tmp_path / 'none'}: no such directory; expected a SavedModel directory"
    )


# --------------------------------------------------------------------------- with TF


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Both export modes, each run once through the CLI with --warmup."""
    pytest.importorskip("tensorflow")
    root = tmp_path_factory.mktemp("cli_tf")
    results = {}
    for mode in ("standalone", "distributed"):
        base = root / mode
        shards = ["--num-ps", str(NUM_PS)] if mode == "distributed" else []
        result = run(
            "export-demo", "--export-base", str(base), "--mode", mode, *shards,
            "--warmup", "--steps", "5", "--seed", "3", "--timestamp", str(VERSION),
        )  # fmt: skip
        results[mode] = (base, result)
    return results


def serving_instances() -> list[bytes]:
    generator = RecordGenerator(
        Schema.build(fidv1_slots=demo.MODEL_SLOT_TO_FIDV1),
        Variant.INSTANCE,
        seed=21,
        batch_size=SERVE_BATCH,
        req_time=0,
    )
    return next(iter(generator.batches()))


@pytest.mark.tf
def test_standalone_export(exports: dict[str, Any]) -> None:
    base, result = exports["standalone"]
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [str(base / str(VERSION))]
    summary = EXPORT_SUMMARY.match(result.stderr.splitlines()[-1])
    assert summary, result.stderr
    assert summary["count"] == "1"
    assert summary["names"] == "standalone"
    assert summary["version"] == str(VERSION)
    assert summary["steps"] == "5"
    assert summary["warmup"] == "warmup in the model, "
    # Only the version: no staging directory is left beside it.
    assert sorted(p.name for p in base.iterdir()) == [str(VERSION)]


@pytest.mark.tf
def test_distributed_export(exports: dict[str, Any]) -> None:
    base, result = exports["distributed"]
    assert result.exit_code == 0, result.output
    expected = ["entry", *(f"ps_{i}" for i in range(NUM_PS))]
    assert result.stdout.splitlines() == [str(base / name / str(VERSION)) for name in expected]
    summary = EXPORT_SUMMARY.match(result.stderr.splitlines()[-1])
    assert summary, result.stderr
    assert summary["count"] == str(1 + NUM_PS)
    assert summary["names"] == ", ".join(expected)
    assert summary["warmup"] == "warmup in the entry, "
    assert sorted(p.name for p in base.iterdir()) == expected


@pytest.mark.tf
@pytest.mark.parametrize("mode", ["standalone", "distributed"])
def test_servables_answer_instances_with_probabilities(exports: dict[str, Any], mode: str) -> None:
    tf = pytest.importorskip("tensorflow")
    base, _ = exports[mode]
    model_dir = base / str(VERSION) if mode == "standalone" else base / "entry" / str(VERSION)
    loaded = tf.saved_model.load(str(model_dir))
    output = loaded.signatures["serving_default"](instances=tf.constant(serving_instances()))
    probabilities = output["output"].numpy()
    assert probabilities.shape == (SERVE_BATCH,)
    assert ((probabilities > 0) & (probabilities < 1)).all()


@pytest.mark.tf
def test_entry_answers_as_the_standalone_model(exports: dict[str, Any]) -> None:
    """Same seed and steps: the entry, routing fids to shards, gives the same probabilities."""
    tf = pytest.importorskip("tensorflow")
    answers = []
    for mode, parts in (("standalone", ()), ("distributed", ("entry",))):
        base, _ = exports[mode]
        loaded = tf.saved_model.load(str(base.joinpath(*parts, str(VERSION))))
        fn = loaded.signatures["serving_default"]
        answers.append(fn(instances=tf.constant(serving_instances()))["output"].numpy().tolist())
    assert answers[0] == pytest.approx(answers[1], abs=1e-5)


@pytest.mark.tf
def test_ps_servables_load_and_have_no_warmup(exports: dict[str, Any]) -> None:
    tf = pytest.importorskip("tensorflow")
    base, _ = exports["distributed"]
    for shard in range(NUM_PS):
        version = base / f"ps_{shard}" / str(VERSION)
        assert not (version / WARMUP_REL).exists()
        loaded = tf.saved_model.load(str(version))
        lookup = loaded.signatures["lookup_slot_1"]
        fids = tf.constant([(1 << 54) | shard, (1 << 54) | 7], dtype=tf.uint64)
        rows = lookup(fids=fids)["embeddings"].numpy()
        assert rows.shape[0] == 2


@pytest.mark.tf
@pytest.mark.parametrize("mode", ["standalone", "distributed"])
def test_warmup_file_is_a_monogen_warmup_for_the_model(exports: dict[str, Any], mode: str) -> None:
    base, _ = exports[mode]
    model_dir = base / str(VERSION) if mode == "standalone" else base / "entry" / str(VERSION)
    with (model_dir / WARMUP_REL).open("rb") as fo:
        logs = [prediction_log_pb2.PredictionLog.FromString(r) for r in read_records(fo)]
    assert len(logs) == 1000 // 64
    for log in logs:
        request = log.predict_log.request
        assert request.model_spec.signature_name == "serving_default"
        assert list(request.inputs) == ["instances"]
        assert request.inputs["instances"].dtype == types_pb2.DT_STRING
        assert len(request.inputs["instances"].string_val) == 64
        assert not request.output_filter


@pytest.mark.tf
@pytest.mark.parametrize("mode", ["standalone", "distributed"])
def test_replay_answers_every_warmup_request(exports: dict[str, Any], mode: str) -> None:
    base, _ = exports[mode]
    result = run("replay", "--saved-model", str(base))
    assert result.exit_code == 0, result.output
    expected_dir = base / str(VERSION) if mode == "standalone" else base / "entry" / str(VERSION)
    assert row(result.stdout, "model") == str(expected_dir)
    assert row(result.stdout, "warmup file") == str(expected_dir / WARMUP_REL)
    assert row(result.stdout, "records") == "15"
    assert row(result.stdout, "answered") == "15"
    assert row(result.stdout, "serving_default") == "15"
    assert row(result.stdout, "failures") == "0"
    for label in ("latency p50", "latency p99"):
        assert re.fullmatch(r"\d+\.\d\d ms", row(result.stdout, label))
    assert failure_rows(result.stdout) == []
    assert result.stderr.splitlines()[-1].startswith("answered 15 warmup requests: ")


@pytest.mark.tf
def test_replay_lists_failures_found_by_running(exports: dict[str, Any], tmp_path: Path) -> None:
    base, _ = exports["standalone"]
    good = prediction_log(
        model_name="m", signature_name="", inputs={"instances": serving_instances()}
    )
    bad = prediction_log(model_name="m", signature_name="", inputs={"instances": [b"\x0f\xff"]})
    heads = prediction_log(
        model_name="m", signature_name="", inputs={"instances": [b""]}, output_filter=["ctr"]
    )
    records = [good.SerializeToString(), bad.SerializeToString(), heads.SerializeToString()]
    buffer = io.BytesIO()
    write_records(buffer, records)
    warmup = tmp_path / "mixed.tfrecord"
    warmup.write_bytes(buffer.getvalue())
    result = run("replay", "--saved-model", str(base), "--warmup", str(warmup))
    assert result.exit_code == 1
    rows = failure_rows(result.stdout)
    assert [index for index, _ in rows] == [1, 2]
    assert rows[0][1].startswith("signature 'serving_default' failed: DataLossError: ")
    assert rows[1][1] == (
        "output_filter 'ctr' is not an output of signature 'serving_default' (outputs: output)"
    )
    assert row(result.stdout, "answered") == "1"
    assert result.stderr.splitlines()[-1] == (
        f"Error: TF Serving would fail the model load: 2 failures in {warmup} (listed above)"
    )


@pytest.mark.tf
def test_export_refuses_an_existing_version(exports: dict[str, Any]) -> None:
    base, _ = exports["standalone"]
    result = run("export-demo", "--export-base", str(base), "--timestamp", str(VERSION))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: {base / str(VERSION)} exists; TF Serving versions are immutable, "
        "pick another timestamp"
    )
