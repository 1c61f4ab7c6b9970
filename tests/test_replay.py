"""Replaying warmup files: TF Serving's load-time checks without TensorFlow, then real runs.

The checks are tested against SavedModels built here from signature tables (no
TensorFlow), with records written by monogen's warmup writer, by hand (raw protobuf
wire bytes) or, in the TensorFlow tests, by TensorFlow Serving's own protos and
``tf.io.TFRecordWriter``. The runs go through the export demo's real model, and what
the runner answers is compared with the same model called directly on a tensor built
from the records (not from the TensorProto the runner decodes).
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from monogen.errors import SavedModelError, TensorFlowMissingError, WarmupError
from monogen.gen.generator import RecordGenerator, Variant
from monogen.gen.schema import Schema
from monogen.io.tfrecord import write_records
from monogen.proto import meta_graph_pb2, saved_model_pb2, tensor_pb2, types_pb2
from monogen.serving import export_demo as demo
from monogen.serving.replay import (
    Failure,
    ModelRunner,
    ReplayReport,
    WarmupCheck,
    WarmupRequest,
    check_request,
    default_warmup_file,
    error_line,
    locate_model,
    percentile,
    replay,
)
from monogen.serving.savedmodel import read_signatures
from monogen.serving.warmup import plan_requests, prediction_log, write_warmup_file

WARMUP_REL = "assets.extra/tf_serving_warmup_requests"
LIMIT = 1000
# Raw PredictionLog records, written from the field numbers of TF Serving's
# prediction_log.proto: a tag byte is (field << 3) | wire type 2, then a zero length.
CLASSIFY_LOG = bytes([(2 << 3) | 2, 0])
SESSION_RUN_LOG = bytes([(5 << 3) | 2, 0])
# Field 1 with wire type 7, which does not exist: protobuf cannot parse it.
NOT_A_PROTO = b"\x0f\xff\xff"
# The demo model's serving signature, as monogen's export writes it.
DEMO_SIGNATURES: dict[str, Any] = {
    "serving_default": ({"instances": ("DT_STRING", [-1])}, {"output": ("DT_FLOAT", [-1])}),
}
TWO_HEADS: dict[str, Any] = {
    "serving_default": (
        {"instances": ("DT_STRING", [-1])},
        {"ctr": ("DT_FLOAT", [-1]), "cvr": ("DT_FLOAT", [-1])},
    ),
    "lookup": ({"fids": ("DT_UINT64", [-1])}, {"embeddings": ("DT_FLOAT", [-1, 8])}),
}


# --------------------------------------------------------------------------- helpers


def fake_model(directory: Path, signatures: Mapping[str, Any]) -> Path:
    """A ``saved_model.pb`` holding only a ``serve`` meta graph with these signatures."""
    graph = meta_graph_pb2.MetaGraphDef()
    graph.meta_info_def.tags.append("serve")
    for key, (inputs, outputs) in signatures.items():
        sig = graph.signature_def[key]
        sig.method_name = "tensorflow/serving/predict"
        for target, specs in ((sig.inputs, inputs), (sig.outputs, outputs)):
            for name, (dtype, shape) in specs.items():
                info = target[name]
                info.name = f"{name}:0"
                info.dtype = types_pb2.DataType.Value(dtype)
                for size in shape:
                    info.tensor_shape.dim.add().size = size
    directory.mkdir(parents=True, exist_ok=True)
    model = saved_model_pb2.SavedModel(saved_model_schema_version=1, meta_graphs=[graph])
    (directory / "saved_model.pb").write_bytes(model.SerializeToString())
    return directory


def log_bytes(
    signature: str = "serving_default",
    inputs: Mapping[str, Sequence[bytes]] | None = None,
    output_filter: Sequence[str] = (),
) -> bytes:
    feeds = {"instances": [b""]} if inputs is None else inputs
    log = prediction_log(
        model_name="m", signature_name=signature, inputs=dict(feeds), output_filter=output_filter
    )
    return log.SerializeToString()


def write_file(path: Path, records: Sequence[bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fo:
        write_records(fo, records)
    return path


def check_only(model: Path, records: Sequence[bytes], tmp_path: Path) -> ReplayReport:
    warmup = write_file(tmp_path / "w.tfrecord", records)
    return replay(model, warmup=warmup, check_only=True)


def reasons(report: ReplayReport) -> list[tuple[int, str]]:
    return [(f.index, f.reason) for f in report.failures]


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return fake_model(tmp_path / "model" / "7", DEMO_SIGNATURES)


@pytest.fixture
def two_heads(tmp_path: Path) -> Path:
    return fake_model(tmp_path / "heads", TWO_HEADS)


# --------------------------------------------------------------------------- checks, no TF


def test_monogen_warmup_passes_the_checks(model: Path) -> None:
    plan = plan_requests(model=read_signatures(model), batch_size=8, max_records=40)
    batches = RecordGenerator(
        Schema.build(fidv1_slots=range(1, 7)), Variant.INSTANCE, seed=1, batch_size=8, req_time=0
    ).batches()
    write_warmup_file(default_warmup_file(model), plan, batches)

    report = replay(model.parent, check_only=True)

    assert report.ok
    assert report.model_dir == model
    assert report.warmup_file == model / WARMUP_REL
    assert (report.records, report.checked, report.answered) == (5, 5, 0)
    assert not report.ran
    assert report.latency(50) is None


def test_empty_signature_name_means_serving_default(model: Path, tmp_path: Path) -> None:
    report = check_only(model, [log_bytes(signature="")], tmp_path)
    assert report.ok and report.checked == 1


def test_unknown_signature(model: Path, tmp_path: Path) -> None:
    report = check_only(model, [log_bytes(), log_bytes(signature="predict")], tmp_path)
    assert reasons(report) == [
        (1, "signature 'predict' not found (the model has: serving_default)")
    ]
    assert report.checked == 1


def test_wrong_input_name(model: Path, tmp_path: Path) -> None:
    report = check_only(model, [log_bytes(inputs={"examples": [b""]})], tmp_path)
    assert reasons(report) == [
        (
            0,
            "inputs {examples} do not match signature 'serving_default' inputs {instances}; "
            "extra {examples}; missing {instances}",
        )
    ]


def test_extra_and_missing_inputs_are_named(model: Path, tmp_path: Path) -> None:
    extra = log_bytes(inputs={"instances": [b""], "label": [b""]})
    none = log_bytes(inputs={})
    report = check_only(model, [extra, none], tmp_path)
    assert reasons(report) == [
        (
            0,
            "inputs {instances, label} do not match signature 'serving_default' inputs "
            "{instances}; extra {label}",
        ),
        (
            1,
            "inputs {} do not match signature 'serving_default' inputs {instances}; "
            "missing {instances}",
        ),
    ]


def test_output_filter_unknown_head(two_heads: Path, tmp_path: Path) -> None:
    report = check_only(two_heads, [log_bytes(output_filter=["ctr", "output"])], tmp_path)
    assert reasons(report) == [
        (
            0,
            "output_filter 'output' is not an output of signature 'serving_default' "
            "(outputs: ctr, cvr)",
        )
    ]


def test_output_filter_repeated_head(two_heads: Path, tmp_path: Path) -> None:
    records = [log_bytes(output_filter=["cvr"]), log_bytes(output_filter=["cvr", "ctr", "cvr"])]
    report = check_only(two_heads, records, tmp_path)
    assert reasons(report) == [(1, "output_filter names 'cvr' twice")]


def test_input_dtype_and_rank_are_those_of_the_signature(two_heads: Path, tmp_path: Path) -> None:
    wrong_dtype = log_bytes(signature="lookup", inputs={"fids": [b"1"]})
    matrix = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[b"a", b"b"])
    matrix.tensor_shape.dim.add().size = 1
    matrix.tensor_shape.dim.add().size = 2
    log = prediction_log(model_name="m", signature_name="", inputs={"instances": [b""]})
    log.predict_log.request.inputs["instances"].CopyFrom(matrix)
    report = check_only(two_heads, [wrong_dtype, log.SerializeToString()], tmp_path)
    assert reasons(report) == [
        (0, "input 'fids' is DT_STRING; signature 'lookup' takes DT_UINT64"),
        (1, "input 'instances' has shape [1, 2]; signature 'serving_default' takes [None]"),
    ]


def test_records_that_are_not_predict_logs(model: Path, tmp_path: Path) -> None:
    records = [b"", CLASSIFY_LOG, SESSION_RUN_LOG, NOT_A_PROTO, log_bytes()]
    report = check_only(model, records, tmp_path)
    assert reasons(report) == [
        (0, "holds no request (no log_type set): TF Serving skips it, so it warms up nothing"),
        (1, "holds a classify_log; replay checks and runs predict_log requests only"),
        (2, "holds a session_run_log, which TF Serving's warmup refuses (Unimplemented)"),
        (3, "does not parse as a PredictionLog"),
    ]
    assert report.checked == 1


def test_limit_is_1000_records(model: Path, tmp_path: Path) -> None:
    record = log_bytes()
    at_limit = check_only(model, [record] * LIMIT, tmp_path)
    assert at_limit.ok and at_limit.checked == LIMIT

    over = check_only(model, [record] * (LIMIT + 3), tmp_path)
    assert reasons(over) == [
        (
            LIMIT,
            "the file holds 1003 records, over TF Serving's limit of 1000: "
            "the load fails after running record 1000",
        )
    ]
    assert (over.records, over.checked) == (LIMIT + 3, LIMIT)


def test_not_a_tfrecord(model: Path, tmp_path: Path) -> None:
    warmup = tmp_path / "notes.txt"
    warmup.write_bytes(b"these are not TFRecord frames at all\n")
    report = replay(model, warmup=warmup, check_only=True)
    assert reasons(report) == [
        (0, "not a valid TFRecord file: record 0 at offset 0: length CRC mismatch")
    ]
    assert report.records == 0


def test_truncated_file_fails_at_the_cut_record(model: Path, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    write_records(buffer, [log_bytes(), log_bytes()])
    data = buffer.getvalue()
    warmup = tmp_path / "cut.tfrecord"
    warmup.write_bytes(data[:-5])
    report = replay(model, warmup=warmup, check_only=True)
    assert len(report.failures) == 1
    failure = report.failures[0]
    assert failure.index == 1
    assert failure.reason.startswith("not a valid TFRecord file: record 1 at offset ")
    assert report.checked == 1


@pytest.mark.parametrize("compress", [gzip.compress, zlib.compress])
def test_compressed_file(model: Path, tmp_path: Path, compress: Any) -> None:
    buffer = io.BytesIO()
    write_records(buffer, [log_bytes()])
    warmup = tmp_path / "w.gz"
    warmup.write_bytes(compress(buffer.getvalue()))
    report = replay(model, warmup=warmup, check_only=True)
    kind = "GZIP" if compress is gzip.compress else "ZLIB"
    assert reasons(report) == [
        (
            0,
            f"the file looks {kind}-compressed; TF Serving reads warmup files uncompressed "
            "and fails the load",
        )
    ]


def test_check_request_returns_the_request(two_heads: Path) -> None:
    signatures = read_signatures(two_heads)
    result = check_request(log_bytes(signature="", output_filter=["cvr"]), 4, signatures)
    assert isinstance(result, WarmupRequest)
    assert (result.index, result.signature, result.output_filter) == (
        4,
        "serving_default",
        ("cvr",),
    )
    assert list(result.inputs["instances"].string_val) == [b""]


def test_warmup_check_streams_and_counts(model: Path) -> None:
    buffer = io.BytesIO()
    write_records(buffer, [log_bytes(), log_bytes(signature="x"), log_bytes()])
    buffer.seek(0)
    check = WarmupCheck(buffer, read_signatures(model), limit=2)
    items = list(check)
    assert [type(i) for i in items] == [WarmupRequest, Failure, Failure]
    assert [i.index for i in items] == [0, 1, 2]
    assert check.records == 3


# --------------------------------------------------------------------------- locating


def test_locate_model_prefers_the_entry_of_a_distributed_base(tmp_path: Path) -> None:
    base = tmp_path / "dist"
    fake_model(base / "entry" / "5", DEMO_SIGNATURES)
    fake_model(base / "entry" / "12", DEMO_SIGNATURES)
    fake_model(base / "ps_0" / "12", TWO_HEADS)
    assert locate_model(base) == base / "entry" / "12"
    assert locate_model(base / "ps_0") == base / "ps_0" / "12"


def test_locate_model_without_a_model(tmp_path: Path) -> None:
    with pytest.raises(SavedModelError) as info:
        locate_model(tmp_path)
    assert str(info.value).startswith(
        f"{tmp_path}: no saved_model.pb and no numbered version directory either; "
    )


def test_missing_warmup_file(model: Path) -> None:
    with pytest.raises(WarmupError) as info:
        replay(model, check_only=True)
    assert str(info.value) == (
        f"no warmup file at {model / WARMUP_REL}; write one for the model at {model}, "
        "or give the warmup file's path as warmup"
    )


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([float(v) for v in range(1, 101)], 50, 50.0),
        ([float(v) for v in range(1, 101)], 99, 99.0),
        ([float(v) for v in range(1, 101)], 100, 100.0),
        ([3.0, 1.0, 2.0], 50, 2.0),
        ([3.0, 1.0, 2.0], 99, 3.0),
        ([7.0], 1, 7.0),
        ([], 50, None),
    ],
)
def test_percentile_nearest_rank(values: list[float], percent: float, expected: float) -> None:
    assert percentile(values, percent) == expected


def test_error_line_keeps_what_went_wrong() -> None:
    class DataLossError(Exception):
        message = (
            "Graph execution error:\n\nDetected at node DecodeProtoV2 defined at:\n"
            "<stack traces unavailable>\nCountFields: Failed to consume entire buffer\n"
            "\t [[{{node DecodeProtoV2}}]] [Op:__inference_serve_1]"
        )

    assert error_line(DataLossError()) == (
        "DataLossError: CountFields: Failed to consume entire buffer"
    )
    assert error_line(KeyError()) == "KeyError"


def test_running_without_tensorflow_says_how_to_install(
    model: Path, tmp_path: Path, no_tensorflow: None
) -> None:
    warmup = write_file(tmp_path / "w.tfrecord", [log_bytes()])
    with pytest.raises(TensorFlowMissingError) as info:
        replay(model, warmup=warmup)
    assert str(info.value) == (
        "replay runs the warmup requests with TensorFlow, which is not installed; "
        "run: pip install 'monogen[tf]' (or pass check_only to only check the file)"
    )
    assert replay(model, warmup=warmup, check_only=True).ok


# --------------------------------------------------------------------------- with TensorFlow

SERVE_BATCH = 6


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo model, exported once, with a monogen warmup file written into it."""
    pytest.importorskip("tensorflow")
    base = tmp_path_factory.mktemp("replay") / "ffm"
    (version,) = demo.export_demo(base, steps=3, seed=2, timestamp=11)
    plan = plan_requests(model=read_signatures(version), batch_size=16, max_records=160)
    batches = RecordGenerator(
        Schema.build(fidv1_slots=demo.MODEL_SLOT_TO_FIDV1),
        plan.variant,
        seed=5,
        batch_size=plan.batch_size,
        req_time=0,
    ).batches()
    write_warmup_file(default_warmup_file(version), plan, batches)
    return base


@pytest.fixture(scope="module")
def runner(exported: Path) -> ModelRunner:
    return ModelRunner(locate_model(exported))


def instances(count: int, seed: int) -> list[bytes]:
    generator = RecordGenerator(
        Schema.build(fidv1_slots=demo.MODEL_SLOT_TO_FIDV1),
        Variant.INSTANCE,
        seed=seed,
        batch_size=count,
        req_time=0,
    )
    return next(iter(generator.batches()))


def tf_serving_records(requests: Sequence[dict[str, Any]]) -> Iterator[bytes]:
    """PredictionLogs built with TensorFlow Serving's own protos and tf.make_tensor_proto."""
    tf = pytest.importorskip("tensorflow")
    apis = pytest.importorskip("tensorflow_serving.apis.prediction_log_pb2")
    predict = pytest.importorskip("tensorflow_serving.apis.predict_pb2")
    for spec in requests:
        request = predict.PredictRequest()
        request.model_spec.name = "ffm"
        request.model_spec.signature_name = spec.get("signature", "")
        for name, value in spec["inputs"].items():
            request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
        request.output_filter.extend(spec.get("output_filter", []))
        log = apis.PredictionLog(predict_log=apis.PredictLog(request=request))
        yield log.SerializeToString()


def tf_write(path: Path, records: Iterator[bytes]) -> Path:
    tf = pytest.importorskip("tensorflow")
    with tf.io.TFRecordWriter(str(path)) as writer:
        for record in records:
            writer.write(record)
    return path


@pytest.mark.tf
def test_monogen_warmup_is_answered_by_the_model(exported: Path) -> None:
    report = replay(exported)
    assert report.ok, report.failures
    assert report.ran
    assert (report.records, report.checked, report.answered) == (10, 10, 10)
    assert report.by_signature == {"serving_default": 10}
    assert len(report.latencies) == 10
    assert all(seconds > 0 for seconds in report.latencies)
    p50, p99 = report.latency(50), report.latency(99)
    assert p50 is not None and p99 is not None and p50 <= p99


@pytest.mark.tf
def test_runner_answers_what_the_model_answers(runner: ModelRunner) -> None:
    tf = pytest.importorskip("tensorflow")
    records = instances(SERVE_BATCH, seed=9)
    proto = tensor_pb2.TensorProto.FromString(tf.make_tensor_proto(records).SerializeToString())
    request = WarmupRequest(3, "serving_default", {"instances": proto}, ())
    answer = runner.answer(request)
    assert not isinstance(answer, Failure), answer
    assert answer.index == 3
    assert list(answer.outputs) == ["output"]
    probabilities = answer.outputs["output"]
    assert probabilities.shape == (SERVE_BATCH,)
    assert ((probabilities > 0) & (probabilities < 1)).all()
    loaded = tf.saved_model.load(str(runner.model_dir))
    direct = loaded.signatures["serving_default"](instances=tf.constant(records))["output"]
    assert probabilities.tolist() == pytest.approx(direct.numpy().tolist(), abs=1e-6)


@pytest.mark.tf
def test_file_written_by_tensorflow_serving_protos_passes(exported: Path, tmp_path: Path) -> None:
    records = instances(4, seed=3)
    warmup = tf_write(
        tmp_path / "tfs.tfrecord",
        tf_serving_records(
            [
                {"inputs": {"instances": records}},
                {
                    "signature": "serving_default",
                    "inputs": {"instances": records[:1]},
                    "output_filter": ["output"],
                },
            ]
        ),
    )
    report = replay(exported, warmup=warmup)
    assert report.ok, report.failures
    assert report.answered == 2


@pytest.mark.tf
@pytest.mark.parametrize(
    ("request_spec", "reason"),
    [
        (
            {"inputs": {"examples": [b""]}},
            "inputs {examples} do not match signature 'serving_default' inputs {instances}; "
            "extra {examples}; missing {instances}",
        ),
        (
            {"signature": "predict", "inputs": {"instances": [b""]}},
            "signature 'predict' not found (the model has: serving_default)",
        ),
        (
            {"inputs": {"instances": [b""]}, "output_filter": ["ctr"]},
            "output_filter 'ctr' is not an output of signature 'serving_default' (outputs: output)",
        ),
        (
            {"inputs": {"instances": [b""]}, "output_filter": ["output", "output"]},
            "output_filter names 'output' twice",
        ),
    ],
    ids=["wrong-input", "unknown-signature", "unknown-head", "repeated-head"],
)
def test_wrong_requests_fail_with_the_reason(
    exported: Path, tmp_path: Path, request_spec: dict[str, Any], reason: str
) -> None:
    good = {"inputs": {"instances": instances(2, seed=4)}}
    warmup = tf_write(tmp_path / "bad.tfrecord", tf_serving_records([good, request_spec, good]))
    report = replay(exported, warmup=warmup)
    assert reasons(report) == [(1, reason)]
    assert report.answered == 2


@pytest.mark.tf
def test_1001_records_fail_after_the_1000th(exported: Path, tmp_path: Path) -> None:
    record = log_bytes(inputs={"instances": instances(1, seed=6)})
    warmup = tf_write(tmp_path / "many.tfrecord", iter([record] * (LIMIT + 1)))
    report = replay(exported, warmup=warmup)
    assert reasons(report) == [
        (
            LIMIT,
            "the file holds 1001 records, over TF Serving's limit of 1000: "
            "the load fails after running record 1000",
        )
    ]
    assert report.answered == LIMIT


@pytest.mark.tf
def test_records_the_graph_cannot_parse_fail_when_run(exported: Path, tmp_path: Path) -> None:
    """Only running finds this: the checks pass, the model's decode_proto does not."""
    bad = log_bytes(inputs={"instances": [NOT_A_PROTO]})
    warmup = write_file(tmp_path / "garbage.tfrecord", [bad])
    assert replay(exported, warmup=warmup, check_only=True).ok
    report = replay(exported, warmup=warmup)
    assert len(report.failures) == 1
    failure = report.failures[0]
    assert failure.index == 0
    assert failure.reason.startswith("signature 'serving_default' failed: DataLossError: ")
    assert report.answered == 0


@pytest.mark.tf
def test_output_filter_selects_the_fetched_heads(tmp_path: Path) -> None:
    """A two-head model saved here: the filter decides which outputs come back."""
    tf = pytest.importorskip("tensorflow")
    module = tf.Module()

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
    def serve(x: Any) -> dict[str, Any]:
        return {"double": x * 2.0, "square": x * x}

    module.serve = serve
    tf.saved_model.save(
        module, str(tmp_path / "heads" / "1"), signatures={"serving_default": serve}
    )
    runner = ModelRunner(locate_model(tmp_path / "heads"))
    proto = tensor_pb2.TensorProto.FromString(
        tf.make_tensor_proto([1.5, -3.0], dtype=tf.float32).SerializeToString()
    )
    filtered = runner.answer(WarmupRequest(0, "serving_default", {"x": proto}, ("square",)))
    everything = runner.answer(WarmupRequest(1, "serving_default", {"x": proto}, ()))
    assert not isinstance(filtered, Failure) and not isinstance(everything, Failure)
    assert {k: v.tolist() for k, v in filtered.outputs.items()} == {"square": [2.25, 9.0]}
    assert {k: v.tolist() for k, v in everything.outputs.items()} == {
        "double": [3.0, -6.0],
        "square": [2.25, 9.0],
    }
