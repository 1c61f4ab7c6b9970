"""Warmup planning, PredictionLog building and warmup files, as a library.

Expected values are written out by hand (request counts, signature order, the bytes
of a DT_STRING tensor) or come from TensorFlow and TF Serving's own protos, which
the tests marked ``tf`` use to read monogen's output.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import routing, warmup_logs
from warmup_models import ranking_model, signature_def, write_saved_model

from monogen.errors import (
    CorruptRecordError,
    MonogenError,
    OutputExistsError,
    SavedModelError,
    WarmupError,
)
from monogen.formats import VARIANTS, Variant
from monogen.gen.generator import RecordGenerator
from monogen.gen.schema import Schema, default_schema
from monogen.io import datafile
from monogen.io.datafile import DataRecord
from monogen.proto import example_pb2, prediction_log_pb2, proto_parser_pb2, types_pb2
from monogen.serving.savedmodel import read_signatures
from monogen.serving.warmup import (
    MAX_WARMUP_LOGS,
    SignaturePlan,
    WarmupPlan,
    datafile_batches,
    plan_requests,
    prediction_log,
    prediction_logs,
    signature_names,
    string_tensor,
    warmup_path,
    write_warmup,
    write_warmup_file,
)

SEED = 7
REQ_TIME = 1_700_000_000
DT_STRING = types_pb2.DT_STRING
DT_FLOAT = types_pb2.DT_FLOAT
MESSAGES = {
    Variant.EXAMPLE: example_pb2.Example,
    Variant.INSTANCE: proto_parser_pb2.Instance,
    Variant.EXAMPLE_BATCH: example_pb2.ExampleBatch,
}

# --------------------------------------------------------------------------- helpers


def _generator(variant: Variant | str, *, batch_size: int = 4, seed: int = SEED) -> RecordGenerator:
    return RecordGenerator(
        default_schema().without_label(),
        variant,
        seed=seed,
        batch_size=batch_size,
        drop_rate=0.5,
        req_time=REQ_TIME,
    )


def _numbered(count: int) -> Iterator[list[bytes]]:
    """Batches whose records say which batch they are, to follow them through a plan."""
    for i in range(count):
        yield [f"batch{i}".encode()]


def _write_bytes(plan: WarmupPlan, batches: Iterable[Sequence[bytes]]) -> bytes:
    buffer = io.BytesIO()
    write_warmup(buffer, plan, batches)
    return buffer.getvalue()


# --------------------------------------------------------------------------- signature names


def test_signature_names_keep_order_drop_duplicates_and_append_default() -> None:
    assert signature_names(["b", "a", "b", " ", " c "]) == ("b", "a", "c", "serving_default")
    assert signature_names([]) == ("serving_default",)
    # An explicit default keeps the position the user gave it.
    assert signature_names(["x", "serving_default", "y"]) == ("x", "serving_default", "y")


# --------------------------------------------------------------------------- planning


def test_plan_counts_requests_as_max_records_over_batch_size() -> None:
    plan = plan_requests(variant="instance", batch_size=64, max_records=1000)
    assert plan.requests == 15
    assert plan.total_logs == 15
    assert plan.variant is Variant.INSTANCE
    assert plan.model_name == "entry"
    assert plan.signatures == (SignaturePlan("serving_default", "instances"),)
    assert plan.records_per_request == 64


@pytest.mark.parametrize(
    ("variant", "input_name", "per_request"),
    [
        ("example", "examples", 8),
        ("instance", "instances", 8),
        ("examplebatch", "example_batch", 1),
    ],
)
def test_plan_input_names(variant: str, input_name: str, per_request: int) -> None:
    plan = plan_requests(variant=variant, batch_size=8, max_records=100)
    assert plan.signatures[0].input_name == input_name
    assert plan.records_per_request == per_request


def test_signatures_cycle_in_the_given_order() -> None:
    plan = plan_requests(variant="example", signatures=["b", "a"], batch_size=10, max_records=70)
    logs = list(prediction_logs(plan, _numbered(100)))
    assert [sig for sig, _ in routing(logs)] == [
        "b", "a", "serving_default", "b", "a", "serving_default", "b",
    ]  # fmt: skip
    # Each request takes the next batch, in order.
    assert [log.predict_log.request.inputs["examples"].string_val[0] for log in logs] == [
        f"batch{i}".encode() for i in range(7)
    ]


def test_output_head_copies_follow_each_default_request() -> None:
    plan = plan_requests(
        variant="example",
        signatures=["a"],
        output_heads=["ctr", "cvr", "ctr"],
        batch_size=10,
        max_records=40,
    )
    assert plan.signatures == (
        SignaturePlan("a", "examples"),
        SignaturePlan("serving_default", "examples", ("ctr", "cvr")),
    )
    assert (plan.requests, plan.copies, plan.total_logs) == (4, 4, 8)
    logs = list(prediction_logs(plan, _numbered(100)))
    assert routing(logs) == [
        ("a", []),
        ("serving_default", []),
        ("serving_default", ["ctr"]),
        ("serving_default", ["cvr"]),
        ("a", []),
        ("serving_default", []),
        ("serving_default", ["ctr"]),
        ("serving_default", ["cvr"]),
    ]
    plain, ctr, cvr = logs[1:4]
    # A copy is the plain request plus its filter: same records, not a fresh draw.
    for copy in (ctr, cvr):
        request = prediction_log_pb2.PredictionLog()
        request.CopyFrom(copy)
        del request.predict_log.request.output_filter[:]
        assert request == plain


def test_a_single_head_named_output_gets_no_copies() -> None:
    plan = plan_requests(variant="example", output_heads=["output"], batch_size=10, max_records=30)
    assert plan.copies == 0


def test_the_1000_log_limit_is_refused_naming_the_parameters() -> None:
    with pytest.raises(WarmupError) as info:
        plan_requests(variant="example", batch_size=1, max_records=1001)
    assert str(info.value) == (
        "the warmup file would hold 1001 PredictionLogs (1001 requests), over TF Serving's "
        "limit of 1000; lower max_records or raise batch_size"
    )
    # Copies count too: 400 requests + 400 * 2 copies.
    with pytest.raises(WarmupError) as info:
        plan_requests(variant="example", output_heads=["a", "b"], batch_size=2, max_records=800)
    assert str(info.value) == (
        "the warmup file would hold 1200 PredictionLogs (400 requests + 800 output-head "
        "copies), over TF Serving's limit of 1000; lower max_records or raise batch_size"
    )
    # Exactly at the limit is fine.
    assert plan_requests(variant="example", batch_size=1, max_records=1000).total_logs == 1000
    assert MAX_WARMUP_LOGS == 1000


def test_batch_size_must_be_below_max_records() -> None:
    with pytest.raises(WarmupError) as info:
        plan_requests(variant="example", batch_size=64, max_records=64)
    assert str(info.value) == (
        "batch_size 64 must be less than max_records 64: "
        "a warmup holds max_records // batch_size requests"
    )


def test_every_signature_needs_a_request() -> None:
    with pytest.raises(WarmupError) as info:
        plan_requests(variant="example", signatures=["a", "b"], batch_size=40, max_records=100)
    assert str(info.value) == (
        "max_records 100 // batch_size 40 gives 2 requests, fewer than the 3 signatures "
        "to warm up (a, b, serving_default); raise max_records or lower batch_size"
    )


# --------------------------------------------------------------------------- building


def test_string_tensor_bytes_known_answer() -> None:
    # By hand: field 1 (dtype) varint 7 = 08 07; field 2 (tensor_shape), 4 bytes:
    # 12 04, holding field 2 (dim), 2 bytes: 12 02, holding field 1 (size) = 2: 08 02;
    # then field 8 (string_val, tag 0x42) once per record: 42 02 'ab', 42 00.
    expected = b"\x08\x07\x12\x04\x12\x02\x08\x02\x42\x02ab\x42\x00"
    assert string_tensor([b"ab", b""]).SerializeToString() == expected


def test_prediction_log_shape() -> None:
    log = prediction_log(
        model_name="m", signature_name="s", inputs={"examples": [b"x", b"y"]}, output_filter=["h"]
    )
    request = log.predict_log.request
    assert log.WhichOneof("log_type") == "predict_log"
    assert (request.model_spec.name, request.model_spec.signature_name) == ("m", "s")
    assert list(request.inputs) == ["examples"]
    assert list(request.inputs["examples"].string_val) == [b"x", b"y"]
    assert list(request.output_filter) == ["h"]
    assert not request.model_spec.HasField("version")


def test_prediction_logs_stop_when_batches_run_out() -> None:
    plan = plan_requests(variant="example", signatures=["a"], batch_size=1, max_records=10)
    assert plan.requests == 10
    assert [sig for sig, _ in routing(prediction_logs(plan, _numbered(3)))] == [
        "a", "serving_default", "a",
    ]  # fmt: skip


# --------------------------------------------------------------------------- data-file batches


def _data_records(payloads: Sequence[bytes]) -> list[DataRecord]:
    buffer = io.BytesIO()
    datafile.write(buffer, payloads)
    return list(datafile.read(io.BytesIO(buffer.getvalue())))


def test_datafile_batches_group_records() -> None:
    payloads = [m.SerializeToString() for m in _generator("example", batch_size=5).records(5)]
    groups = list(datafile_batches(_data_records(payloads), variant="example", batch_size=2))
    assert groups == [payloads[0:2], payloads[2:4], payloads[4:5]]


def test_datafile_batches_one_example_batch_per_request() -> None:
    payloads = [m.SerializeToString() for m in _generator("example_batch").records(3)]
    groups = list(datafile_batches(_data_records(payloads), variant="example_batch", batch_size=64))
    assert groups == [[p] for p in payloads]


def test_datafile_batches_refuse_records_of_another_type() -> None:
    # 0x0a is field 1, wire type 2 (a message in Example); 0xff is not a valid length.
    records = [DataRecord(0, b"", None, None), DataRecord(16, b"\x0a\xff", None, None)]
    with pytest.raises(CorruptRecordError) as info:
        list(datafile_batches(records, variant="example", batch_size=4))
    assert str(info.value) == "data file record 1 at offset 16: does not parse as Example"
    # An ExampleBatch parses as an Example (protobuf is lenient), but its batch_size
    # (field 3) is no Example field: refused rather than sent as an Example.
    batches = [m.SerializeToString() for m in _generator("example_batch").records(1)]
    with pytest.raises(CorruptRecordError) as info:
        list(datafile_batches(_data_records(batches), variant="example", batch_size=4))
    assert str(info.value) == (
        "data file record 0 at offset 0: not an Example: unknown top-level field 3"
    )


# --------------------------------------------------------------------------- writing


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_write_warmup_round_trip(variant: Variant) -> None:
    plan = plan_requests(variant=variant, output_heads=["ctr", "cvr"], batch_size=4, max_records=9)
    buffer = io.BytesIO()
    summary = write_warmup(buffer, plan, _generator(variant).batches())
    logs = warmup_logs(buffer.getvalue())
    assert len(logs) == summary.logs == 6
    assert summary.requests == 2
    assert summary.records == 2 * plan.records_per_request
    assert summary.signatures == ("serving_default",)
    assert summary.bytes == len(buffer.getvalue())
    assert summary.path is None
    for log in logs:
        tensor = log.predict_log.request.inputs[variant.input_name]
        assert tensor.dtype == DT_STRING
        assert [d.size for d in tensor.tensor_shape.dim] == [plan.records_per_request]
        for record in tensor.string_val:
            message = MESSAGES[variant].FromString(record)
            assert message.SerializeToString() == record
    if variant is Variant.EXAMPLE_BATCH:
        batch = example_pb2.ExampleBatch.FromString(
            logs[0].predict_log.request.inputs["example_batch"].string_val[0]
        )
        assert batch.batch_size == 4


def test_same_seed_same_bytes() -> None:
    plan = plan_requests(variant="instance", signatures=["a"], batch_size=4, max_records=20)
    first = _write_bytes(plan, _generator("instance").batches())
    again = _write_bytes(plan, _generator("instance").batches())
    other = _write_bytes(plan, _generator("instance", seed=SEED + 1).batches())
    assert first == again
    assert first != other


def test_write_warmup_file_keeps_existing_unless_forced(tmp_path: Path) -> None:
    plan = plan_requests(variant="example", batch_size=4, max_records=8)
    target = tmp_path / "deep" / "dir" / "warmup"
    summary = write_warmup_file(target, plan, _generator("example").batches())
    assert summary.path == str(target)
    assert summary.bytes == target.stat().st_size
    before = target.read_bytes()
    with pytest.raises(OutputExistsError):
        write_warmup_file(target, plan, _generator("example", seed=1).batches())
    assert target.read_bytes() == before
    write_warmup_file(target, plan, _generator("example", seed=1).batches(), force=True)
    assert target.read_bytes() != before
    assert len(warmup_logs(target.read_bytes())) == 2


class _Interrupted(MonogenError):
    pass


def test_a_failure_mid_write_leaves_no_file(tmp_path: Path) -> None:
    def failing() -> Iterator[list[bytes]]:
        batches = _generator("example").batches()
        for _ in range(3):
            yield next(batches)
        raise _Interrupted("stopped after 3 requests")

    plan = plan_requests(variant="example", batch_size=4, max_records=40)
    target = tmp_path / "warmup"
    with pytest.raises(_Interrupted):
        write_warmup_file(target, plan, failing())
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- hand-built SavedModels


def test_plan_from_a_versioned_base_dir(tmp_path: Path) -> None:
    base = tmp_path / "base"
    ranking_model(base / "3")
    newest = ranking_model(base / "12")
    model = read_signatures(base)
    assert model.model_dir == newest
    plan = plan_requests(model=model, batch_size=10, max_records=60)
    assert plan.variant is Variant.INSTANCE
    # Model order: serving_default first, then by name; 'other' feeds another input.
    assert plan.signatures == (
        SignaturePlan("serving_default", "instances", ("ctr", "cvr")),
        SignaturePlan("alpha", "instances"),
        SignaturePlan("ping", None),
    )
    assert plan.skipped == ("other",)
    assert warmup_path(base) == newest / "assets.extra" / "tf_serving_warmup_requests"


def test_a_signature_without_inputs_gets_a_request_without_inputs(tmp_path: Path) -> None:
    plan = plan_requests(
        model=read_signatures(ranking_model(tmp_path)), batch_size=10, max_records=60
    )
    logs = list(prediction_logs(plan, _numbered(100)))
    assert (
        routing(logs)
        == [
            ("serving_default", []),
            ("serving_default", ["ctr"]),
            ("serving_default", ["cvr"]),
            ("alpha", []),
            ("ping", []),
        ]
        * 2
    )
    assert [list(log.predict_log.request.inputs) for log in logs[:5]] == [
        ["instances"], ["instances"], ["instances"], ["instances"], [],
    ]  # fmt: skip
    # 'ping' takes no batch: alpha's next request gets the following one.
    assert logs[8].predict_log.request.inputs["instances"].string_val[0] == b"batch3"


def test_named_signatures_and_heads_with_a_model(tmp_path: Path) -> None:
    model = read_signatures(ranking_model(tmp_path))
    plan = plan_requests(
        model=model,
        signatures=["ping", "alpha"],
        output_heads=["cvr"],
        batch_size=5,
        max_records=20,
    )
    assert plan.signatures == (
        SignaturePlan("ping", None),
        SignaturePlan("alpha", "instances"),
        SignaturePlan("serving_default", "instances", ("cvr",)),
    )
    with pytest.raises(SavedModelError) as info:
        plan_requests(model=model, output_heads=["ctr", "loss"], batch_size=5, max_records=20)
    assert str(info.value) == (
        "output_heads 'loss' is not an output of signature 'serving_default' (outputs: ctr, cvr)"
    )
    with pytest.raises(SavedModelError) as info:
        plan_requests(model=model, signatures=["nope"], batch_size=5, max_records=20)
    assert str(info.value) == (
        f"signature 'nope' is not in the SavedModel at {tmp_path} "
        "(it has: serving_default, alpha, other, ping)"
    )
    # The first named signature sets the input; the implicit default is skipped if it differs.
    plan = plan_requests(model=model, signatures=["other"], batch_size=5, max_records=20)
    assert plan.signatures == (SignaturePlan("other", "examples"),)
    assert plan.skipped == ("serving_default",)
    with pytest.raises(SavedModelError) as info:
        plan_requests(model=model, signatures=["alpha", "other"], batch_size=5, max_records=20)
    assert str(info.value) == (
        "signature 'other' takes input 'examples', not 'instances'; "
        "one warmup file feeds one input: warm it up in a separate run"
    )


def test_variant_given_for_a_model(tmp_path: Path) -> None:
    model = read_signatures(ranking_model(tmp_path))
    # serving_default takes instances: a variant it cannot take is refused, even when
    # another signature ('other', examples) could take it.
    for variant in ("example", "example_batch"):
        with pytest.raises(SavedModelError) as info:
            plan_requests(model=model, variant=variant, batch_size=5, max_records=20)
        assert str(info.value) == (
            f"variant {variant} does not fit signature 'serving_default': its input "
            "'instances' takes instance records"
        )
    plan = plan_requests(model=model, variant="instance", batch_size=5, max_records=20)
    assert plan.skipped == ("other",)
    # An input with a name of its own takes whatever variant is given.
    custom = read_signatures(
        write_saved_model(
            tmp_path / "custom", {"serving_default": signature_def({"inputs": DT_STRING}, ["y"])}
        )
    )
    with pytest.raises(SavedModelError, match=r"pass variant to choose one$"):
        plan_requests(model=custom, batch_size=5, max_records=20)
    plan = plan_requests(model=custom, variant="instance", batch_size=5, max_records=20)
    assert plan.signatures == (SignaturePlan("serving_default", "inputs", ("y",)),)


@pytest.mark.parametrize(
    ("inputs", "listed"),
    [
        ({"dense": DT_FLOAT}, "dense (DT_FLOAT)"),
        ({"instances": DT_STRING, "ids": DT_STRING}, "ids (DT_STRING), instances (DT_STRING)"),
    ],
)
def test_unsatisfiable_signature_is_refused_by_name(
    tmp_path: Path, inputs: dict[str, int], listed: str
) -> None:
    model = read_signatures(ranking_model(tmp_path, mixed=signature_def(inputs, ["output"])))
    with pytest.raises(SavedModelError) as info:
        plan_requests(model=model, batch_size=5, max_records=50)
    assert str(info.value) == (
        f"signature 'mixed' takes inputs {listed}; a warmup request needs exactly one "
        "DT_STRING input"
    )


# --------------------------------------------------------------------------- with TensorFlow


@pytest.fixture(scope="module")
def serving_pb2() -> Any:
    pytest.importorskip("tensorflow_serving")
    from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

    return predict_pb2, prediction_log_pb2


@pytest.mark.tf
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_string_tensor_equals_make_tensor_proto(tf: Any, variant: Variant) -> None:
    records = next(_generator(variant, batch_size=16).batches())
    for sample in (records, [b""], [b"a", b"\x00\xff" * 300]):
        ours = string_tensor(sample).SerializeToString()
        assert ours == tf.make_tensor_proto(sample).SerializeToString()


@pytest.mark.tf
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_tf_reads_monogen_warmup(
    tf: Any, serving_pb2: Any, variant: Variant, tmp_path: Path
) -> None:
    predict_pb2, tf_prediction_log_pb2 = serving_pb2
    plan = plan_requests(
        variant=variant,
        signatures=["other"],
        output_heads=["ctr", "cvr"],
        model_name="ranker",
        batch_size=8,
        max_records=50,
    )
    target = tmp_path / "warmup"
    write_warmup_file(target, plan, _generator(variant, batch_size=8).batches())
    raw = [t.numpy() for t in tf.data.TFRecordDataset(str(target))]
    logs = [tf_prediction_log_pb2.PredictionLog.FromString(r) for r in raw]
    assert [
        (log.predict_log.request.model_spec.signature_name, list(log.predict_log.request.output_filter))
        for log in logs
    ] == [("other", []), ("serving_default", []), ("serving_default", ["ctr"]),
          ("serving_default", ["cvr"])] * 3  # fmt: skip
    regenerated = _generator(variant, batch_size=8).batches()
    for log, data in zip(logs, raw, strict=True):
        request = log.predict_log.request
        assert request.model_spec.name == "ranker"
        assert list(request.inputs) == [variant.input_name]
        array = tf.make_ndarray(request.inputs[variant.input_name])
        assert array.shape == (plan.records_per_request,)
        for element in array:
            assert MESSAGES[variant].FromString(element).SerializeToString() == element
        if request.output_filter:
            continue
        # The original built each log from TF Serving's classes and make_tensor_proto:
        # the same request that way serializes to the same bytes.
        reference = predict_pb2.PredictRequest()
        reference.model_spec.name = "ranker"
        reference.model_spec.signature_name = request.model_spec.signature_name
        reference.inputs[variant.input_name].CopyFrom(tf.make_tensor_proto(next(regenerated)))
        expected = tf_prediction_log_pb2.PredictionLog(
            predict_log=tf_prediction_log_pb2.PredictLog(request=reference)
        )
        assert expected.SerializeToString() == data


@pytest.mark.tf
def test_warmup_for_a_tf_saved_model(tf: Any, serving_pb2: Any, ranker_model: Path) -> None:
    tf_model = ranker_model / "1"
    _, tf_prediction_log_pb2 = serving_pb2
    plan = plan_requests(model=read_signatures(tf_model.parent), batch_size=16, max_records=64)
    assert plan.variant is Variant.INSTANCE
    target = warmup_path(tf_model.parent)
    assert target == tf_model / "assets.extra" / "tf_serving_warmup_requests"
    write_warmup_file(target, plan, _generator("instance", batch_size=16).batches())
    logs = [
        tf_prediction_log_pb2.PredictionLog.FromString(t.numpy())
        for t in tf.data.TFRecordDataset(str(target))
    ]
    assert len(logs) == 12
    loaded = tf.saved_model.load(str(tf_model))
    for log in logs:
        request = log.predict_log.request
        signature = loaded.signatures[request.model_spec.signature_name]
        # Replay the request the way TF Serving would: its input keys must be the
        # signature's and each output_filter must name an output it produces.
        feeds = {k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()}
        outputs = signature(**feeds)
        assert set(request.output_filter) <= set(outputs)
        assert outputs["ctr"].shape == (16,)
    assert [list(log.predict_log.request.output_filter) for log in logs[:3]] == [
        [], ["ctr"], ["cvr"],
    ]  # fmt: skip


def test_schema_without_label_is_what_warmup_uses() -> None:
    schema = Schema.build(sparse=["a"], dense=["label:3", "x:2"])
    assert schema.label_shape == 3
    assert schema.without_label().label_shape is None
    assert [d.name for d in schema.without_label().dense] == ["x"]


# --------------------------------------------------------------------------- data_gen_utils


def _parser_args(**changes: Any) -> Any:
    from monogen.compat.data_gen_utils import ParserArgs

    settings: dict[str, Any] = {
        "sparse_features": ["a", "b"],
        "variant_type": "example",
        "batch_size": 4,
        "max_records": 20,
        "seed": 5,
        "req_time": REQ_TIME,
        **changes,
    }
    return ParserArgs(**settings)


def test_gen_prediction_log() -> None:
    from monogen.compat.data_gen_utils import gen_prediction_log

    args = _parser_args(signature_name=["x"], output_heads=["h1", "h2"])
    logs = list(gen_prediction_log(args))
    assert routing(logs) == [
        ("x", []), ("serving_default", []), ("serving_default", ["h1"]),
        ("serving_default", ["h2"]),
    ] * 2 + [("x", [])]  # fmt: skip
    assert {log.predict_log.request.model_spec.name for log in logs} == {"entry"}
    again = [log.SerializeToString() for log in gen_prediction_log(args)]
    assert [log.SerializeToString() for log in logs] == again
    with pytest.raises(WarmupError, match=r"^batch_size 20 must be less than max_records 20"):
        gen_prediction_log(_parser_args(batch_size=20))


def test_gen_warmup_file(tmp_path: Path) -> None:
    from monogen.compat.data_gen_utils import gen_warmup_file

    assert gen_warmup_file(None, args=_parser_args()) is None
    assert gen_warmup_file(str(tmp_path / "none"), args=_parser_args(sparse_features=None)) is None
    assert not (tmp_path / "none").exists()

    args = _parser_args(
        dense_features=["label", "x"],
        dense_feature_shapes=[3, 2],
        dense_feature_types=["float32", "float32"],
    )
    target = tmp_path / "model" / "assets.extra" / "tf_serving_warmup_requests"
    assert gen_warmup_file(str(target), 0.0, args=args) == str(target)
    logs = warmup_logs(target.read_bytes())
    assert len(logs) == 5
    examples = [
        example_pb2.Example.FromString(record)
        for log in logs
        for record in log.predict_log.request.inputs["examples"].string_val
    ]
    assert len(examples) == 20
    for example in examples:
        assert len(example.label) == 1  # label:3 is dropped, so the default single label
        assert [f.name for f in example.named_feature] == ["a", "b", "x"]
        assert len(example.named_feature[1].feature.fid_v2_list.value) > 0  # drop_rate 0

    # An existing file is returned untouched.
    before = target.read_bytes()
    assert gen_warmup_file(str(target), 1.0, args=args) == str(target)
    assert target.read_bytes() == before

    # drop_rate 1.0 empties the optional feature 'b' (slot 2); 'a' is slot 1, always set.
    dropped = tmp_path / "dropped"
    gen_warmup_file(str(dropped), 1.0, args=args)
    for log in warmup_logs(dropped.read_bytes()):
        for record in log.predict_log.request.inputs["examples"].string_val:
            features = example_pb2.Example.FromString(record).named_feature
            assert len(features[0].feature.fid_v2_list.value) == 1
            assert len(features[1].feature.fid_v2_list.value) == 0
