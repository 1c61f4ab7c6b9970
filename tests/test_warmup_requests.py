"""``monogen warmup --from-requests``: warmup files from recorded PredictRequests.

The recorded requests are written with TF Serving's own protos (and TensorFlow's
TFRecord writer), as a serving frontend or Monolith's ``warmup_example_batch.py``
users would have them; results are checked with replay's TF Serving checks.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from warmup_models import ranking_model

from monogen.cli import cli
from monogen.io.tfrecord import read_records
from monogen.serving.replay import Failure, WarmupCheck
from monogen.serving.savedmodel import read_signatures

pytestmark = pytest.mark.tf

tf = pytest.importorskip("tensorflow")
predict_pb2 = pytest.importorskip("tensorflow_serving.apis.predict_pb2")
prediction_log_pb2 = pytest.importorskip("tensorflow_serving.apis.prediction_log_pb2")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["warmup", *args])


def request(index: int, *, name: str = "recorded", input_name: str = "instances") -> Any:
    """A PredictRequest as a client sends it: two serialized records, a model spec."""
    req = predict_pb2.PredictRequest()
    req.model_spec.name = name
    req.model_spec.signature_name = "serving_default"
    records = [f"record {index}-{i}".encode() for i in range(2)]
    req.inputs[input_name].CopyFrom(tf.make_tensor_proto(records))
    return req


def request_dir(path: Path, count: int, **kwargs: Any) -> list[Any]:
    path.mkdir()
    requests = [request(i, **kwargs) for i in range(count)]
    for i, req in enumerate(requests):
        (path / f"req_{i:04d}.pb").write_bytes(req.SerializeToString())
    return requests


def logs_in(path: Path) -> list[Any]:
    with path.open("rb") as fo:
        return [prediction_log_pb2.PredictionLog.FromString(r) for r in read_records(fo)]


def test_directory_of_requests(tmp_path: Path) -> None:
    sent = request_dir(tmp_path / "reqs", 3)
    (tmp_path / "reqs" / ".DS_Store").write_bytes(b"\x00junk")  # hidden files are skipped
    out = tmp_path / "w.tfrecord"
    result = run("--from-requests", str(tmp_path / "reqs"), "--out", str(out))
    assert result.exit_code == 0, result.output
    logs = logs_in(out)
    assert [log.predict_log.request for log in logs] == sent  # unchanged, in name order
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"wrote 3 warmup requests to {out}: 3 recorded PredictRequests")


def test_model_name_and_signature_rewrite_the_spec(tmp_path: Path) -> None:
    request_dir(tmp_path / "reqs", 4)
    out = tmp_path / "w.tfrecord"
    result = run(
        "--from-requests", str(tmp_path / "reqs"), "--out", str(out),
        "--model-name", "ranker", "--signature", "a,b",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    specs = [
        (log.predict_log.request.model_spec.name, log.predict_log.request.model_spec.signature_name)
        for log in logs_in(out)
    ]
    assert specs == [("ranker", "a"), ("ranker", "b"), ("ranker", "a"), ("ranker", "b")]


def test_checked_against_the_saved_model_with_head_copies(tmp_path: Path) -> None:
    model = ranking_model(tmp_path / "model")  # serving_default: instances -> ctr, cvr
    request_dir(tmp_path / "reqs", 2)
    result = run("--from-requests", str(tmp_path / "reqs"), "--saved-model", str(model))
    assert result.exit_code == 0, result.output
    target = model / "assets.extra" / "tf_serving_warmup_requests"
    filters = [list(log.predict_log.request.output_filter) for log in logs_in(target)]
    assert filters == [[], ["ctr"], ["cvr"]] * 2
    with target.open("rb") as fo:
        verdicts = list(WarmupCheck(fo, read_signatures(model)))
    assert len(verdicts) == 6
    assert not [v for v in verdicts if isinstance(v, Failure)]
    replayed = CliRunner().invoke(cli, ["replay", "--saved-model", str(model), "--check-only"])
    assert replayed.exit_code == 0, replayed.output


def test_requests_the_model_would_refuse(tmp_path: Path) -> None:
    model = ranking_model(tmp_path / "model")
    request_dir(tmp_path / "reqs", 2, input_name="examples")
    result = run("--from-requests", str(tmp_path / "reqs"), "--saved-model", str(model))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {tmp_path / 'reqs' / 'req_0000.pb'}: inputs {{examples}} do not match "
        "signature 'serving_default' inputs {instances}; extra {examples}; missing {instances}\n"
    )
    assert not (model / "assets.extra").exists()  # nothing left behind, not even the dir
    renamed = run(
        "--from-requests", str(tmp_path / "reqs"), "--saved-model", str(model),
        "--signature", "nope", "--out", str(tmp_path / "w"),
    )  # fmt: skip
    assert renamed.exit_code == 1
    assert "signature 'nope' not found (the model has: serving_default, alpha" in renamed.stderr


def test_single_request_file(tmp_path: Path) -> None:
    path = tmp_path / "one.pb"
    sent = request(7)
    path.write_bytes(sent.SerializeToString())
    out = tmp_path / "w.tfrecord"
    assert run("--from-requests", str(path), "--out", str(out)).exit_code == 0
    assert [log.predict_log.request for log in logs_in(out)] == [sent]


@pytest.mark.parametrize("kind", ["PredictRequest", "PredictionLog"])
def test_tfrecord_of_requests_or_logs(tmp_path: Path, kind: str) -> None:
    sent = [request(i) for i in range(3)]
    path = tmp_path / "recorded.tfrecord"
    with tf.io.TFRecordWriter(str(path)) as writer:
        for req in sent:
            if kind == "PredictionLog":
                log = prediction_log_pb2.PredictionLog()
                log.predict_log.request.CopyFrom(req)
                writer.write(log.SerializeToString())
            else:
                writer.write(req.SerializeToString())
    out = tmp_path / "w.tfrecord"
    result = run("--from-requests", str(path), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert [log.predict_log.request for log in logs_in(out)] == sent
    assert f"3 recorded {kind}s" in result.stderr


def test_neither_requests_nor_logs(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("these are not requests\n")
    result = run("--from-requests", str(text), "--out", str(tmp_path / "w"))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {text}: neither a serialized PredictRequest nor a TFRecord of "
        "PredictRequests or PredictionLogs\n"
    )
    examples = tmp_path / "examples.tfrecord"
    with tf.io.TFRecordWriter(str(examples)) as writer:
        writer.write(tf.train.Example().SerializeToString() + b"\x08\x01")
    result = run("--from-requests", str(examples), "--out", str(tmp_path / "w"))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {examples}: record 0 is neither a PredictRequest nor a PredictionLog "
        "with a predict request\n"
    )
    classify = tmp_path / "classify.tfrecord"
    with tf.io.TFRecordWriter(str(classify)) as writer:
        log = prediction_log_pb2.PredictionLog()
        log.classify_log.request.model_spec.name = "m"
        writer.write(log.SerializeToString())
    result = run("--from-requests", str(classify), "--out", str(tmp_path / "w"))
    assert result.exit_code == 1
    assert "record 0 is neither a PredictRequest nor a PredictionLog" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("--from-requests", str(empty), "--out", str(tmp_path / "w"))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {empty}: no request files in the directory\n"
    assert not (tmp_path / "w").exists()


def test_mixed_tfrecord_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mixed.tfrecord"
    with tf.io.TFRecordWriter(str(path)) as writer:
        writer.write(request(0).SerializeToString())
        log = prediction_log_pb2.PredictionLog()
        log.predict_log.request.CopyFrom(request(1))
        writer.write(log.SerializeToString())
    result = run("--from-requests", str(path), "--out", str(tmp_path / "w"))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path}: record 1 is a PredictionLog, but record 0 is a PredictRequest\n"
    )


def test_the_1000_log_limit_counts_head_copies(tmp_path: Path) -> None:
    request_dir(tmp_path / "reqs", 400)
    out = tmp_path / "w.tfrecord"
    result = run(
        "--from-requests", str(tmp_path / "reqs"), "--out", str(out),
        "--output-head", "ctr,cvr",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the warmup file would hold more than 1000 PredictionLogs (with output-head "
        "copies), over TF Serving's limit; record fewer requests\n"
    )
    assert not out.exists()
    ok = run("--from-requests", str(tmp_path / "reqs"), "--out", str(out), "--output-head", "ctr")
    assert ok.exit_code == 0, ok.output
    assert len(logs_in(out)) == 800


@pytest.mark.parametrize(
    "flags", [["--slots", "1-3"], ["--batch-size", "8"], ["--variant", "instance"],
              ["--from-datafile", "x.bin"], ["--seed", "1"]],
)  # fmt: skip
def test_options_that_do_not_apply_are_refused(tmp_path: Path, flags: list[str]) -> None:
    request_dir(tmp_path / "reqs", 1)
    result = run("--from-requests", str(tmp_path / "reqs"), "--out", str(tmp_path / "w"), *flags)
    assert result.exit_code == 2
    assert f"{flags[0]} does not apply with --from-requests" in result.stderr


def test_library_stream(tmp_path: Path) -> None:
    from monogen.serving import recorded

    sent = request_dir(tmp_path / "reqs", 2)
    buffer = io.BytesIO()
    summary = recorded.write_recorded_warmup(
        buffer, recorded.read_requests(tmp_path / "reqs"), model_name="m"
    )
    assert summary.requests == 2 and summary.logs == 2
    logs = [
        prediction_log_pb2.PredictionLog.FromString(r)
        for r in read_records(io.BytesIO(buffer.getvalue()))
    ]
    assert [log.predict_log.request.model_spec.name for log in logs] == ["m", "m"]
    assert [dict(log.predict_log.request.inputs) for log in logs] == [dict(r.inputs) for r in sent]
