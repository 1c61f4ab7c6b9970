"""``monogen warmup`` through click's CliRunner: exit codes, exact messages, files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import routing, warmup_logs
from warmup_models import ranking_model, signature_def

from monogen.cli import cli
from monogen.errors import WarmupError
from monogen.formats import Variant
from monogen.gen.generator import RecordGenerator
from monogen.gen.schema import default_schema
from monogen.io import datafile
from monogen.io.datafile import HeaderOptions
from monogen.io.detect import parse_clean
from monogen.proto import example_pb2, proto_parser_pb2, types_pb2

FIXED = ["--seed", "3", "--req-time", "1700000000"]
SUMMARY = re.compile(
    r"^wrote (?P<requests>\d+) warmup requests to (?P<target>.+): (?P<facts>.+), "
    r"[\d.]+ (B|KB|MB), [\d.]+ s$"
)
DEFAULT_NOTE = "no features given; using the built-in default schema"


def run(*args: str, input: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["warmup", *args], input=input)


def summary_of(result: Result) -> re.Match[str]:
    match = SUMMARY.match(result.stderr.splitlines()[-1])
    assert match, result.stderr
    return match


# --------------------------------------------------------------------------- generated


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(cli, ["warmup", "--help"])
    assert result.exit_code == 0
    assert "Example:\n    monogen warmup --out warmup.tfrecord" in result.output
    assert "warmup" in CliRunner().invoke(cli, ["--help"]).output


def test_default_run(tmp_path: Path) -> None:
    target = tmp_path / "w.tfrecord"
    result = run("--out", str(target), *FIXED)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.startswith(DEFAULT_NOTE)
    match = summary_of(result)
    assert match["requests"] == "15"
    assert match["target"] == str(target)
    assert match["facts"] == "64 Examples per request, 1 signature (serving_default)"
    logs = warmup_logs(target.read_bytes())
    assert len(logs) == 15
    for log in logs:
        request = log.predict_log.request
        assert request.model_spec.name == "entry"
        tensor = request.inputs["examples"]
        assert tensor.dtype == types_pb2.DT_STRING
        assert [d.size for d in tensor.tensor_shape.dim] == [64]
        assert len(tensor.string_val) == 64
        example_pb2.Example.FromString(tensor.string_val[0])


def test_stdout_and_file_are_the_same_bytes_for_the_same_seed(tmp_path: Path) -> None:
    args = ["--variant", "instance", "--slots", "1-5", "--signature", "a,b", *FIXED]
    first, second = tmp_path / "1", tmp_path / "2"
    assert run("--out", str(first), *args).exit_code == 0
    assert run("--out", str(second), *args).exit_code == 0
    piped = run("--out", "-", *args, "-q")
    assert piped.exit_code == 0
    assert piped.stderr == ""
    assert first.read_bytes() == second.read_bytes() == piped.stdout_bytes
    other = run("--out", "-", *args[:-4], "--seed", "4", "--req-time", "1700000000")
    assert other.stdout_bytes != piped.stdout_bytes


def test_signatures_and_heads(tmp_path: Path) -> None:
    target = tmp_path / "w"
    result = run(
        "--out", str(target), "--variant", "examplebatch", "--signature", "b",
        "--signature", "a,b", "--output-head", "ctr", "--output-head", "cvr",
        "--model-name", "ranker", "--batch-size", "100", "--max-records", "600", *FIXED,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    match = summary_of(result)
    assert match["requests"] == "6"
    assert match["facts"] == (
        "1 ExampleBatch of 100 rows per request, 3 signatures (b, a, serving_default), "
        "10 PredictionLogs with output-head copies"
    )
    logs = warmup_logs(target.read_bytes())
    assert routing(logs) == [
        ("b", []), ("a", []), ("serving_default", []), ("serving_default", ["ctr"]),
        ("serving_default", ["cvr"]),
    ] * 2  # fmt: skip
    batch = example_pb2.ExampleBatch.FromString(
        logs[0].predict_log.request.inputs["example_batch"].string_val[0]
    )
    assert batch.batch_size == 100
    assert {log.predict_log.request.model_spec.name for log in logs} == {"ranker"}


def test_a_dense_label_is_left_out(tmp_path: Path) -> None:
    # Direct generation honours label:3 (three label values); warmup drops it.
    shown = CliRunner().invoke(cli, ["example", "--sparse", "a", "--dense", "label:3", *FIXED])
    assert shown.stdout.count("label:") == 3
    result = run("--out", "-", "--sparse", "a", "--dense", "label:3", "--dense", "x:2", *FIXED)
    assert result.exit_code == 0, result.output
    for log in warmup_logs(result.stdout_bytes):
        for record in log.predict_log.request.inputs["examples"].string_val:
            example = example_pb2.Example.FromString(record)
            assert len(example.label) == 1
            assert [f.name for f in example.named_feature] == ["a", "x"]


def test_the_1000_log_limit(tmp_path: Path) -> None:
    target = tmp_path / "w"
    result = run("--out", str(target), "--batch-size", "1", "--max-records", "1500", *FIXED)
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: the warmup file would hold 1500 PredictionLogs (1500 requests), over TF "
        "Serving's limit of 1000; lower --max-records or raise --batch-size\n"
    )
    assert not target.exists()


def test_batch_size_not_below_max_records() -> None:
    result = run("--out", "-", "--batch-size", "1000", *FIXED)
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --batch-size 1000 must be less than --max-records 1000: a warmup holds "
        "max_records // batch_size requests\n"
    )


def test_an_output_is_required() -> None:
    result = run(*FIXED)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: give --out PATH (- for stdout), or --saved-model DIR to write "
        "DIR/assets.extra/tf_serving_warmup_requests"
    )


@pytest.mark.parametrize(
    ("flag", "named"),
    [
        ("--kafka-dump", "--kafka-dump"),
        ("--no-sort-id", "--sort-id/--no-sort-id"),
        ("--lagrangex", "--lagrangex"),
    ],
)
def test_reader_flags_need_a_data_file(flag: str, named: str) -> None:
    result = run("--out", "-", flag, *FIXED)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: {named} only applies with --from-datafile"


def test_existing_output_is_kept_unless_force(tmp_path: Path) -> None:
    target = tmp_path / "w"
    target.write_bytes(b"keep me")
    result = run("--out", str(target), *FIXED)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"Error: {target} exists; pass --force to overwrite it"
    assert target.read_bytes() == b"keep me"
    result = run("--out", str(target), "--force", *FIXED)
    assert result.exit_code == 0
    assert len(warmup_logs(target.read_bytes())) == 15


def test_a_failure_mid_write_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = RecordGenerator.batches

    def failing(self: RecordGenerator) -> Iterator[list[bytes]]:
        batches = real(self)
        for _ in range(5):
            yield next(batches)
        raise WarmupError("generator failed after 5 requests")

    monkeypatch.setattr(RecordGenerator, "batches", failing)
    out_dir = tmp_path / "out"
    result = run("--out", str(out_dir / "w"), *FIXED)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "Error: generator failed after 5 requests"
    assert not out_dir.exists()  # nor the directory the run created for it


# --------------------------------------------------------------------------- --saved-model


def test_saved_model_hand_built(tmp_path: Path) -> None:
    base = tmp_path / "ranker"
    ranking_model(base / "2")
    newest = ranking_model(base / "10")
    result = run("--saved-model", str(base), "--batch-size", "100", *FIXED)
    assert result.exit_code == 0, result.output
    target = newest / "assets.extra" / "tf_serving_warmup_requests"
    lines = result.stderr.splitlines()
    assert f"model {newest}: instance records into input 'instances'" in lines
    assert "skipping signature 'other': it takes input 'examples', not 'instances'" in lines
    match = summary_of(result)
    assert match["target"] == str(target)
    assert match["facts"] == (
        "100 Instances per request, 3 signatures (serving_default, alpha, ping), "
        "18 PredictionLogs with output-head copies"
    )
    logs = warmup_logs(target.read_bytes())
    assert routing(logs) == [
        ("serving_default", []), ("serving_default", ["ctr"]), ("serving_default", ["cvr"]),
        ("alpha", []), ("ping", []),
    ] * 3 + [("serving_default", []), ("serving_default", ["ctr"]), ("serving_default", ["cvr"])]  # fmt: skip
    instance = logs[0].predict_log.request.inputs["instances"].string_val[0]
    assert proto_parser_pb2.Instance.FromString(instance).fid
    assert not (base / "2" / "assets.extra").exists()
    again = run("--saved-model", str(base), *FIXED)
    assert again.exit_code == 1
    assert again.stderr.splitlines()[-1] == f"Error: {target} exists; pass --force to overwrite it"


def test_saved_model_with_an_unsatisfiable_signature(tmp_path: Path) -> None:
    from monogen.proto import types_pb2 as t

    model = ranking_model(
        tmp_path / "m",
        mixed=signature_def({"dense": t.DT_FLOAT, "ids": t.DT_STRING}, ["output"]),
    )
    result = run("--saved-model", str(model), *FIXED)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: signature 'mixed' takes inputs dense (DT_FLOAT), ids (DT_STRING); "
        "a warmup request needs exactly one DT_STRING input\n"
    )
    assert not (model / "assets.extra").exists()


def test_saved_model_missing(tmp_path: Path) -> None:
    result = run("--saved-model", str(tmp_path / "nope"), *FIXED)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {tmp_path / 'nope'}: no such directory; expected a SavedModel directory\n"
    )


# --------------------------------------------------------------------------- --from-datafile


def _payloads(variant: str, count: int) -> list[bytes]:
    generator = RecordGenerator(
        default_schema(), variant, seed=11, batch_size=4, req_time=1_700_000_000
    )
    return list(generator.serialized_records(count))


def _data_file(path: Path, payloads: list[bytes], header: HeaderOptions) -> Path:
    with path.open("wb") as fo:
        datafile.write(fo, payloads, header=header)
    return path


@pytest.mark.parametrize(
    ("header", "flags"),
    [
        (HeaderOptions(), []),
        (HeaderOptions(kafka_dump=True), ["--kafka-dump"]),
        (HeaderOptions(kafka_dump_prefix=True), ["--kafka-dump-prefix"]),
        (HeaderOptions(lagrangex=True), ["--lagrangex"]),
        (HeaderOptions(sort_id=False), ["--no-sort-id"]),
    ],
)
def test_from_datafile(tmp_path: Path, header: HeaderOptions, flags: list[str]) -> None:
    payloads = _payloads("instance", 10)
    source = _data_file(tmp_path / "train.bin", payloads, header)
    target = tmp_path / "w"
    result = run(
        "--from-datafile", str(source), *flags, "--variant", "instance",
        "--batch-size", "4", "--max-records", "100", "--signature", "a", "--out", str(target),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    match = summary_of(result)
    assert match["requests"] == "3"
    assert match["facts"] == "4 Instances per request, 2 signatures (a, serving_default)"
    logs = warmup_logs(target.read_bytes())
    assert routing(logs) == [("a", []), ("serving_default", []), ("a", [])]
    tensors = [list(log.predict_log.request.inputs["instances"].string_val) for log in logs]
    assert tensors == [payloads[0:4], payloads[4:8], payloads[8:10]]


def test_from_datafile_stops_after_max_records(tmp_path: Path) -> None:
    payloads = _payloads("example", 30)
    source = _data_file(tmp_path / "train.bin", payloads, HeaderOptions())
    result = run(
        "--from-datafile", "-", "--batch-size", "4", "--max-records", "10", "--out", "-",
        input=source.read_bytes(),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    tensors = [
        list(log.predict_log.request.inputs["examples"].string_val)
        for log in warmup_logs(result.stdout_bytes)
    ]
    assert tensors == [payloads[0:4], payloads[4:8]]


def test_from_datafile_example_batches(tmp_path: Path) -> None:
    payloads = _payloads("example_batch", 5)
    source = _data_file(tmp_path / "b.bin", payloads, HeaderOptions())
    result = run(
        "--from-datafile", str(source), "--variant", "example_batch",
        "--batch-size", "4", "--max-records", "12", "--out", "-",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        summary_of(result)["facts"] == "1 ExampleBatch per request, 1 signature (serving_default)"
    )
    tensors = [
        list(log.predict_log.request.inputs["example_batch"].string_val)
        for log in warmup_logs(result.stdout_bytes)
    ]
    assert tensors == [[p] for p in payloads[:3]]


def test_from_datafile_of_the_wrong_type(tmp_path: Path) -> None:
    source = _data_file(tmp_path / "x.bin", [b"\x0a\xff"], HeaderOptions())
    result = run("--from-datafile", str(source), "--out", str(tmp_path / "w"))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {source}: no header layout and record type reads the input as a data file; "
        f"the reading that got furthest fails at offset 0: {source}: record 0 at offset 0: "
        "does not parse as Instance (reading with header sort_id)\n"
    )
    assert not (tmp_path / "w").exists()


# --------------------------------------------------------------------------- with TensorFlow


@pytest.mark.tf
def test_saved_model_exported_by_tensorflow(tf: Any, ranker_model: Path) -> None:
    base = ranker_model
    pytest.importorskip("tensorflow_serving")
    from tensorflow_serving.apis import prediction_log_pb2 as tf_prediction_log_pb2

    result = run("--saved-model", str(base), "--batch-size", "64", "--force", *FIXED)
    assert result.exit_code == 0, result.output
    target = base / "1" / "assets.extra" / "tf_serving_warmup_requests"
    logs = [
        tf_prediction_log_pb2.PredictionLog.FromString(t.numpy())
        for t in tf.data.TFRecordDataset(str(target))
    ]
    assert routing(logs) == [
        ("serving_default", []), ("serving_default", ["ctr"]), ("serving_default", ["cvr"]),
    ] * 15  # fmt: skip
    for log in logs:
        array = tf.make_ndarray(log.predict_log.request.inputs["instances"])
        assert array.shape == (64,)
        for element in array:
            assert proto_parser_pb2.Instance.FromString(element).SerializeToString() == element


def test_from_datafile_shorter_than_the_signatures(tmp_path: Path) -> None:
    source = _data_file(tmp_path / "short.bin", _payloads("example", 3), HeaderOptions())
    result = run(
        "--from-datafile", str(source), "--signature", "a,b", "--batch-size", "2",
        "--max-records", "100", "--out", str(tmp_path / "w"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "warning: the data file ran out after 2 requests; no request for signature serving_default"
        in result.stderr.splitlines()
    )
    assert routing(warmup_logs((tmp_path / "w").read_bytes())) == [("a", []), ("b", [])]


def test_from_an_empty_datafile(tmp_path: Path) -> None:
    source = tmp_path / "empty.bin"
    source.write_bytes(b"")
    result = run("--from-datafile", str(source), "--out", str(tmp_path / "w"))
    assert result.exit_code == 1
    assert result.stderr == "Error: the data file holds no records: nothing to warm up with\n"
    assert not (tmp_path / "w").exists()


def test_saved_model_variant_that_does_not_fit_serving_default(tmp_path: Path) -> None:
    # serving_default takes instances; 'other' takes examples. Warming 'other' alone
    # and leaving serving_default out would hide the mismatch: refuse, naming both.
    model = ranking_model(tmp_path / "m")
    result = run("--saved-model", str(model), "--variant", "example", *FIXED)
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --variant example does not fit signature 'serving_default': its input "
        "'instances' takes instance records\n"
    )
    assert not (model / "assets.extra").exists()


def test_saved_model_default_signature_input_wins_without_variant(tmp_path: Path) -> None:
    # 'other' (examples) is listed first; the variant still follows serving_default.
    from warmup_models import DT_STRING, write_saved_model

    model = write_saved_model(
        tmp_path / "m",
        {
            "other": signature_def({"examples": DT_STRING}, ["output"]),
            "serving_default": signature_def({"instances": DT_STRING}, ["output"]),
        },
    )
    result = run("--saved-model", str(model), "--batch-size", "100", *FIXED)
    assert result.exit_code == 0, result.output
    assert f"model {model}: instance records into input 'instances'" in result.stderr
    logs = warmup_logs((model / "assets.extra" / "tf_serving_warmup_requests").read_bytes())
    assert {log.predict_log.request.model_spec.signature_name for log in logs} == {
        "serving_default"
    }


# --------------------------------------------------------------------------- detection


def invoke(*args: str, input: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


@pytest.mark.parametrize("variant", ["instance", "example", "example_batch"])
def test_datafile_then_warmup_with_no_other_flag(tmp_path: Path, variant: str) -> None:
    data, warm = tmp_path / "d.bin", tmp_path / "w.tfrecord"
    made = invoke("datafile", "--variant", variant, "--num-batch", "3", "--out", str(data), *FIXED)
    assert made.exit_code == 0, made.output
    result = run("--from-datafile", str(data), "--out", str(warm))
    assert result.exit_code == 0, result.output
    record_type = Variant.parse(variant)
    logs = warmup_logs(warm.read_bytes())
    assert logs
    for log in logs:
        (name,) = log.predict_log.request.inputs
        assert name == record_type.input_name
        for payload in log.predict_log.request.inputs[name].string_val:
            parse_clean(payload, record_type.message_class)
    assert f"{record_type.record_name} records" in result.stderr
    assert "detected on the whole input" in result.stderr
    checked = invoke("inspect", str(warm))
    assert checked.exit_code == 0, checked.output


def test_datafile_record_type_that_does_not_match_the_variant(tmp_path: Path) -> None:
    source = _data_file(tmp_path / "b.bin", _payloads("example_batch", 3), HeaderOptions())
    result = run(
        "--from-datafile", str(source), "--variant", "example", "--out", str(tmp_path / "w")
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: {source} holds ExampleBatch records, but --variant example takes Example records"
    )
    assert not (tmp_path / "w").exists()


def test_datafile_record_type_that_does_not_match_the_model(tmp_path: Path) -> None:
    model = ranking_model(tmp_path / "m")  # serving_default takes instances
    source = _data_file(tmp_path / "e.bin", _payloads("example", 8), HeaderOptions())
    result = run("--from-datafile", str(source), "--saved-model", str(model))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: {source} holds Example records, but the model's signature 'serving_default' "
        "input 'instances' takes Instance records"
    )
    assert not (model / "assets.extra" / "tf_serving_warmup_requests").exists()
    fits = _data_file(tmp_path / "i.bin", _payloads("instance", 8), HeaderOptions(lagrangex=True))
    ok = run("--from-datafile", str(fits), "--saved-model", str(model), "--batch-size", "4")
    assert ok.exit_code == 0, ok.output


def test_datafile_header_given_but_wrong(tmp_path: Path) -> None:
    source = _data_file(tmp_path / "d.bin", _payloads("instance", 4), HeaderOptions(sort_id=False))
    result = run("--from-datafile", str(source), "--kafka-dump", "--out", str(tmp_path / "w"))
    assert result.exit_code == 1
    assert "no header layout and record type reads the input" in result.stderr
    assert not (tmp_path / "w").exists()


def test_datafile_compressed_from_stdin(tmp_path: Path) -> None:
    import gzip

    payloads = _payloads("instance", 6)
    source = _data_file(tmp_path / "d.bin", payloads, HeaderOptions(kafka_dump_prefix=True))
    result = run(
        "--from-datafile", "-", "--batch-size", "3", "--out", "-",
        input=gzip.compress(source.read_bytes()),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    sent = [list(log.predict_log.request.inputs["instances"].string_val)
            for log in warmup_logs(result.stdout_bytes)]  # fmt: skip
    assert sent == [payloads[:3], payloads[3:]]


def test_datafile_ambiguous_header_is_reported(tmp_path: Path) -> None:
    # 8 zero bytes read as an empty sort id and as a lagrangex header alike.
    source = _data_file(tmp_path / "d.bin", _payloads("instance", 4), HeaderOptions())
    result = run("--from-datafile", str(source), "--out", str(tmp_path / "w"))
    assert result.exit_code == 0, result.output
    assert "ambiguous" in result.stderr and "pin it with --sort-id or --lagrangex" in result.stderr
