"""``monogen.inspect``: format and record-type detection, verification, statistics.

Files are framed by hand (``struct.pack``) or by TensorFlow where the point is an
independent writer; the statistics are checked against records built by hand whose
counts are worked out in the test (fid slot = fid >> 54 for v1, >> 48 for v2).
"""

from __future__ import annotations

import gzip
import io
import os
import random
import struct
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import PipeReader

from monogen.gen.generator import RecordGenerator
from monogen.gen.schema import default_schema
from monogen.inspect import (
    DETECT_WINDOW,
    BadPayload,
    FeatureStats,
    FileFormat,
    RecordStats,
    RecordType,
    WarmupStats,
    detect_record_type,
    inspect_stream,
    parse_record,
)
from monogen.inspect.report import READ_BLOCK
from monogen.inspect.stats import MAX_IDS, STATS_FIRST, STATS_STRIDE, IdCounts, Sampler
from monogen.io import datafile, tfrecord
from monogen.io.compression import Compression
from monogen.io.datafile import HeaderOptions
from monogen.io.detect import LAYOUTS
from monogen.proto import (
    example_pb2,
    line_id_pb2,
    prediction_log_pb2,
    proto_parser_pb2,
    types_pb2,
)

DATA = Path(__file__).parent / "data"
SORT_ID = HeaderOptions()
LAGRANGEX = HeaderOptions(lagrangex=True)
NO_HEADER = HeaderOptions(sort_id=False)


def u64(n: int) -> bytes:
    return struct.pack("<Q", n)


def v1(slot: int, h: int = 7) -> int:
    return (slot << 54) | h


def v2(slot: int, h: int = 7) -> int:
    return (slot << 48) | h


def generated(variant: str, batches: int = 2, batch_size: int = 3) -> list[bytes]:
    generator = RecordGenerator(
        default_schema(), variant, seed=5, batch_size=batch_size, req_time=100, drop_rate=0.5
    )
    stream = generator.batches()
    return [payload for _ in range(batches) for payload in next(stream)]


def sort_id_file(payloads: list[bytes]) -> bytes:
    """Data file with empty sort ids: [u64 0][u64 len][payload] per record (docs/formats.md §5)."""
    return b"".join(u64(0) + u64(len(p)) + p for p in payloads)


def tfrecord_file(payloads: list[bytes]) -> bytes:
    out = io.BytesIO()
    tfrecord.write_records(out, payloads)
    return out.getvalue()


def inspect_bytes(data: bytes, **kwargs: object) -> object:
    return inspect_stream(io.BytesIO(data), label="f", **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- detection


@pytest.mark.parametrize("variant", ["example", "instance", "example_batch"])
@pytest.mark.parametrize("container", ["datafile", "tfrecord"])
def test_detects_container_and_record_type(variant: str, container: str) -> None:
    payloads = generated(variant)
    data = sort_id_file(payloads) if container == "datafile" else tfrecord_file(payloads)
    report = inspect_bytes(data)
    assert report.ok, report.problems
    assert report.format is FileFormat(container)
    assert report.record_type is RecordType(variant)
    assert report.detected and report.also_parses_as == ()
    assert report.records == report.sound == len(payloads)
    assert report.file_bytes == report.data_bytes == len(data)
    assert report.header == (SORT_ID if container == "datafile" else None)


def test_detects_a_tensorflow_written_gzip_tfrecord_by_its_framing() -> None:
    # golden_gzip.tfrecord: TensorFlow wrote b"" then b"a", ... (tools/make_golden_tfrecord.py).
    # Record 0 is empty (a 16-byte frame) and says nothing; b"a" is no Monolith record.
    with (DATA / "golden_gzip.tfrecord").open("rb") as fo:
        report = inspect_stream(fo, label="g")
    assert report.format is FileFormat.TFRECORD
    assert report.compression is Compression.GZIP
    assert report.problems[0].message == (
        "g (GZIP, offsets uncompressed): record 1 at offset 16: parses as none of"
        " PredictionLog, Example, Instance, ExampleBatch"
    )


def test_detection_narrows_over_records_and_skips_empty_payloads() -> None:
    example = generated("example")[0]
    instance = generated("instance")[0]
    candidates = (RecordType.EXAMPLE, RecordType.INSTANCE)
    assert detect_record_type([b"", instance], candidates) == (RecordType.INSTANCE, (), 1)
    assert detect_record_type([example, example], candidates) == (RecordType.EXAMPLE, (), 2)
    # Nothing to go on: the first candidate, flagged by evidence 0.
    assert detect_record_type([b"", b""], candidates) == (RecordType.EXAMPLE, (), 0)
    assert detect_record_type([b"\xff"], candidates) == (None, (), 0)


def test_record_type_parse_spellings() -> None:
    assert RecordType.parse_any("ExampleBatch") is RecordType.EXAMPLE_BATCH
    assert RecordType.parse_any("warmup") is RecordType.PREDICTION_LOG
    with pytest.raises(ValueError, match="unknown record type 'tfexample'"):
        RecordType.parse_any("tfexample")


# --------------------------------------------------------------------------- what "parses" means


def test_unknown_top_level_field_is_not_the_type() -> None:
    example = example_pb2.Example(label=[1.0]).SerializeToString()
    with pytest.raises(BadPayload, match=r"^not an Example: unknown top-level field 3$"):
        parse_record(example + b"\x18\x05", RecordType.EXAMPLE)  # field 3, varint 5
    # An Example read as an Instance: line_id (100) and label (101) are not Instance's.
    line = example_pb2.Example(label=[1.0], line_id=line_id_pb2.LineId(uid=1))
    with pytest.raises(BadPayload, match=r"^not an Instance: unknown top-level fields 100, 101$"):
        parse_record(line.SerializeToString(), RecordType.INSTANCE)


def test_unknown_line_id_fields_are_accepted_and_counted() -> None:
    line_id = line_id_pb2.LineId(uid=3).SerializeToString() + b"\xb8\x3e\x01"  # field 999 = 1
    instance = proto_parser_pb2.Instance(label=[0.0]).SerializeToString()
    instance += b"\x2a" + bytes([len(line_id)]) + line_id  # field 5 (line_id), length-delimited
    report = inspect_bytes(sort_id_file([instance]), record_type="instance")
    assert report.ok
    assert set(report.stats.line_id) == {"uid", "#999 (not in monogen's LineId)"}


def test_undecodable_payload() -> None:
    with pytest.raises(BadPayload, match=r"^does not parse as Instance$"):
        parse_record(b"\x0f", RecordType.INSTANCE)  # wire type 7 does not exist


def test_prediction_log_needs_a_predict_log() -> None:
    with pytest.raises(BadPayload, match=r"^PredictionLog without a predict_log$"):
        parse_record(b"", RecordType.PREDICTION_LOG)


def test_example_batch_rows_must_match_batch_size() -> None:
    batch = example_pb2.ExampleBatch(batch_size=3)
    batch.named_feature_list.add(name="a").feature.add()
    with pytest.raises(BadPayload, match=r"^feature list 'a' has 1 rows, batch_size is 3$"):
        parse_record(batch.SerializeToString(), RecordType.EXAMPLE_BATCH)
    batch.named_feature_list[0].type = example_pb2.SHARED  # one feature serves every row
    parse_record(batch.SerializeToString(), RecordType.EXAMPLE_BATCH)
    bad_line = example_pb2.ExampleBatch(batch_size=1)
    bad_line.named_feature_list.add(name="__LINE_ID__").feature.add().bytes_list.value.append(
        b"\x0f"
    )
    with pytest.raises(BadPayload, match=r"^row 0 of __LINE_ID__ does not parse as LineId$"):
        parse_record(bad_line.SerializeToString(), RecordType.EXAMPLE_BATCH)


def test_example_batch_line_ids_are_checked_in_every_row() -> None:
    good = line_id_pb2.LineId(uid=7, req_time=1700000000).SerializeToString()
    batch = example_pb2.ExampleBatch(batch_size=3)
    named = batch.named_feature_list.add(name="__LINE_ID__")
    for row in (good, good, b"\x0f"):
        named.feature.add().bytes_list.value.append(row)
    with pytest.raises(BadPayload, match=r"^row 2 of __LINE_ID__ does not parse as LineId$"):
        parse_record(batch.SerializeToString(), RecordType.EXAMPLE_BATCH)
    named.feature[2].bytes_list.value[0] = good
    parsed = parse_record(batch.SerializeToString(), RecordType.EXAMPLE_BATCH)
    rows = parsed.named_feature_list[0].feature  # type: ignore[attr-defined]
    assert [line_id_pb2.LineId.FromString(f.bytes_list.value[0]).uid for f in rows] == [7] * 3


# --------------------------------------------------------------------------- statistics


def test_example_statistics_by_hand() -> None:
    examples = []
    for i in range(4):
        example = example_pb2.Example(label=[1.0] * (1 + i % 2))
        sparse = example.named_feature.add(name="a", id=3).feature
        if i < 3:
            sparse.fid_v2_list.value.extend([v2(3, i), v2(3, i + 9)])
        example.named_feature.add(name="b").feature.float_list.value.extend([0.5, 0.25])
        if i == 0:
            example.named_feature.add(name="c").feature.fid_v1_list.value.append(v1(9))
        example.line_id.uid = i + 1
        if i % 2:
            example.line_id.actions.extend([1, 2])
        examples.append(example.SerializeToString())
    report = inspect_bytes(sort_id_file(examples))
    stats = report.stats
    assert isinstance(stats, RecordStats) and report.record_type is RecordType.EXAMPLE
    assert stats.rows == stats.records == 4
    # "a": named in all 4, fids in 3 (2 each), all of slot 3 read as v2.
    assert stats.features["a"] == FeatureStats(4, 3, 6, {"fid_v2_list"}, {3})
    assert stats.features["b"] == FeatureStats(4, 4, 8, {"float_list"}, set())
    assert stats.features["c"] == FeatureStats(1, 1, 1, {"fid_v1_list"}, {9})
    assert stats.line_id["uid"] == FeatureStats(4, 4, 4)
    assert stats.line_id["actions"] == FeatureStats(2, 2, 4)
    assert stats.label_widths == Counter({1: 2, 2: 2})


def test_instance_statistics_by_hand() -> None:
    instances = []
    for i in range(3):
        instance = proto_parser_pb2.Instance(label=[0.0])
        instance.fid.extend([v1(1), v1(5, 1), v1(5, 2)] if i else [v1(1)])
        column = instance.feature.add(name="f")
        column.fid.extend([v2(700)] * i)
        instance.feature.add(name="d").float_value.extend([1.0, 2.0, 3.0])
        nested = instance.feature.add(name="n")
        nested.fid_list.add().value.extend([v2(40), v2(41)])
        nested.fid_list.add().value.append(v2(42))
        nested.float_list.add().value.append(0.5)
        instance.line_id.req_time = 10
        instances.append(instance.SerializeToString())
    report = inspect_bytes(sort_id_file(instances))
    stats = report.stats
    assert report.record_type is RecordType.INSTANCE
    assert stats.fidv1_slots == {1: FeatureStats(3, 3, 3), 5: FeatureStats(2, 2, 4)}
    assert stats.features["f"] == FeatureStats(3, 2, 3, {"fid"}, {700})
    assert stats.features["d"] == FeatureStats(3, 3, 9, {"float_value"}, set())
    assert stats.features["n"] == FeatureStats(3, 3, 12, {"fid_list", "float_list"}, {40, 41, 42})
    assert stats.line_id == {"req_time": FeatureStats(3, 3, 3)}


def test_example_batch_statistics_by_hand() -> None:
    batch = example_pb2.ExampleBatch(batch_size=3)
    sparse = batch.named_feature_list.add(name="s", id=2).feature
    for row in range(3):
        sparse.add().fid_v2_list.value.extend([v2(2)] * row)  # 0, 1, 2 fids
    shared = batch.named_feature_list.add(name="u", type=example_pb2.SHARED).feature
    shared.add().float_list.value.extend([1.0, 2.0])
    lines = batch.named_feature_list.add(name="__LINE_ID__").feature
    for row in range(3):
        lines.add().bytes_list.value.append(line_id_pb2.LineId(uid=row + 1).SerializeToString())
    labels = batch.named_feature_list.add(name="__LABEL__").feature
    for _ in range(3):
        labels.add().float_list.value.append(1.0)
    report = inspect_bytes(tfrecord_file([batch.SerializeToString()] * 2))
    stats = report.stats
    assert report.record_type is RecordType.EXAMPLE_BATCH
    assert (stats.records, stats.rows) == (2, 6)
    assert stats.features["s"] == FeatureStats(6, 4, 6, {"fid_v2_list"}, {2})
    assert stats.features["u"] == FeatureStats(6, 6, 12, {"float_list"}, set())
    assert set(stats.features) == {"s", "u"}
    assert stats.line_id == {"uid": FeatureStats(6, 6, 6)}
    assert stats.label_widths == Counter({1: 6})


def warmup_log(signature: str, instances: list[bytes], heads: tuple[str, ...] = ()) -> bytes:
    log = prediction_log_pb2.PredictionLog()
    request = log.predict_log.request
    request.model_spec.name = "entry"
    request.model_spec.signature_name = signature
    tensor = request.inputs["instances"]
    tensor.dtype = types_pb2.DT_STRING
    tensor.tensor_shape.dim.add(size=len(instances))
    tensor.string_val.extend(instances)
    request.output_filter.extend(heads)
    return log.SerializeToString()


def test_warmup_statistics_by_hand() -> None:
    records = generated("instance", batches=1, batch_size=4)
    logs = [
        warmup_log("", records),
        warmup_log("serving_default", records[:2], ("ctr",)),
        warmup_log("predict", records),
    ]
    report = inspect_bytes(tfrecord_file(logs))
    assert report.ok
    assert report.record_type is RecordType.PREDICTION_LOG and report.detected
    stats = report.stats
    assert isinstance(stats, WarmupStats)
    assert stats.logs == 3
    assert stats.signatures == Counter(
        {"serving_default (empty name)": 1, "serving_default": 1, "predict": 1}
    )
    assert stats.model_names == Counter({"entry": 3})
    assert stats.records_per_request == Counter({4: 2, 2: 1})
    assert (stats.output_filter_logs, stats.output_filters) == (1, Counter({"ctr": 1}))
    assert stats.inputs["instances"].dtypes == Counter({"DT_STRING": 3})
    assert stats.records[RecordType.INSTANCE].rows == 10


def test_warmup_with_a_bad_embedded_record() -> None:
    good = generated("instance", batches=1, batch_size=2)
    report = inspect_bytes(
        tfrecord_file([warmup_log("a", good), warmup_log("a", [good[0], b"\x0f"])])
    )
    assert [p.message for p in report.problems] == [
        "f: record 1 at offset "
        f"{len(tfrecord_file([warmup_log('a', good)]))}: input 'instances' value 1:"
        " does not parse as Instance"
    ]


@pytest.mark.tf
def test_tensorflow_written_warmup_file(tmp_path: Path) -> None:
    tf = pytest.importorskip("tensorflow")
    serving = pytest.importorskip("tensorflow_serving.apis.prediction_log_pb2")
    predict = pytest.importorskip("tensorflow_serving.apis.predict_pb2")
    records = generated("example", batches=1, batch_size=3)
    path = tmp_path / "tf_serving_warmup_requests"
    with tf.io.TFRecordWriter(str(path)) as writer:
        for signature in ("serving_default", "other"):
            request = predict.PredictRequest()
            request.model_spec.name = "m"
            request.model_spec.signature_name = signature
            request.inputs["examples"].CopyFrom(tf.make_tensor_proto(records))
            log = serving.PredictionLog(predict_log=serving.PredictLog(request=request))
            writer.write(log.SerializeToString())
    with path.open("rb") as fo:
        report = inspect_stream(fo)
    assert report.ok and report.record_type is RecordType.PREDICTION_LOG
    assert report.stats.signatures == Counter({"serving_default": 1, "other": 1})
    assert report.stats.records_per_request == Counter({3: 2})
    assert report.stats.records[RecordType.EXAMPLE].rows == 6


@pytest.mark.tf
def test_tensorflow_written_example_tfrecord_gzip(tmp_path: Path) -> None:
    tf = pytest.importorskip("tensorflow")
    payloads = generated("example_batch", batches=3)
    path = tmp_path / "b.tfrecord.gz"
    with tf.io.TFRecordWriter(str(path), tf.io.TFRecordOptions(compression_type="GZIP")) as w:
        for payload in payloads:
            w.write(payload)
    with path.open("rb") as fo:
        report = inspect_stream(fo)
    assert report.ok and report.compression is Compression.GZIP
    assert (report.record_type, report.records) == (RecordType.EXAMPLE_BATCH, 3)


# --------------------------------------------------------------------------- data-file framing


def test_lagrangex_keys_are_counted() -> None:
    payloads = generated("example")
    out = io.BytesIO()
    datafile.write(out, payloads, header=LAGRANGEX, source="abc")
    report = inspect_bytes(out.getvalue(), header=LAGRANGEX)
    assert report.ok
    assert report.header_keys == Counter({0x01786200: len(payloads)})  # javahash("abc") << 8
    assert report.pb_types == Counter({0: len(payloads)})


@pytest.mark.parametrize("header", LAYOUTS, ids=HeaderOptions.describe)
def test_every_header_format_reads_back(header: HeaderOptions) -> None:
    payloads = generated("instance")
    out = io.BytesIO()
    datafile.write(out, payloads, header=header)
    report = inspect_bytes(out.getvalue(), header=header)
    assert report.ok and report.sound == len(payloads)


def test_truncated_at_every_cut_point_is_a_framing_error() -> None:
    payloads = generated("instance", batches=1, batch_size=2)
    data = sort_id_file(payloads)
    first_end = 16 + len(payloads[0])
    for cut in range(1, len(data)):
        report = inspect_bytes(data[:cut])
        if cut == first_end:
            assert report.ok and report.records == 1
            continue
        assert not report.ok, cut
        problem = report.problems[-1]
        assert problem.fatal
        offset = 0 if cut < first_end else first_end
        assert f"record {int(cut > first_end)} at offset {offset}" in problem.message
        assert "data ends" in problem.message or "runs past the end" in problem.message


def test_garbage_length() -> None:
    report = inspect_bytes(u64(0) + u64(2**40) + b"x" * 32)
    assert report.problems == [
        (
            "f: record 0 at offset 0: payload length 1099511627776 is over"
            " max_record_size (134217728 bytes) (reading with header sort_id)",
            True,
        )
    ]
    assert report.records == 0 and report.assumed


def test_corrupt_payload_stops_or_is_listed() -> None:
    payloads = generated("instance", batches=1, batch_size=4)
    payloads[1] = b"\x0f" + payloads[1][1:]
    data = sort_id_file(payloads)
    where = f"f: record 1 at offset {16 + len(payloads[0])}: does not parse as Instance"
    report = inspect_bytes(data)
    assert [p.message for p in report.problems] == [where]
    assert (report.records, report.sound, report.stopped_early) == (2, 1, True)
    report = inspect_bytes(data, keep_going=True)
    assert [p.message for p in report.problems] == [where]
    assert (report.records, report.sound, report.stopped_early) == (4, 3, False)


def test_empty_input() -> None:
    report = inspect_bytes(b"")
    assert report.problems == [("f: empty input, nothing to verify", True)]
    assert report.format is None
    gzipped = inspect_bytes(gzip.compress(b"", mtime=0))
    assert gzipped.problems == [
        ("f (GZIP, offsets uncompressed): no records, nothing to verify", True)
    ]


def test_wrong_header_options_fail_and_the_right_ones_are_suggested() -> None:
    out = io.BytesIO()
    datafile.write(out, generated("example"), header=HeaderOptions(kafka_dump_prefix=True))
    report = inspect_bytes(out.getvalue(), header=SORT_ID)
    assert not report.ok
    assert "(reading with header sort_id)" in report.problems[0].message
    assert report.suggestions == [HeaderOptions(kafka_dump_prefix=True)]
    # A sort-id file read with no header: every other payload is empty.
    report = inspect_bytes(sort_id_file(generated("example")), header=NO_HEADER)
    assert report.problems[0].message == (
        "f: record 0 at offset 0: empty payload, which usually means the header options do"
        " not match the file (reading with header none)"
    )
    assert report.suggestions == [SORT_ID, LAGRANGEX]  # the all-zero header reads either way


def test_suggestions_for_a_pipe_too() -> None:
    out = io.BytesIO()
    datafile.write(out, generated("example"), header=HeaderOptions(kafka_dump=True))
    report = inspect_stream(PipeReader(out.getvalue()), label="p", header=SORT_ID)
    assert not report.ok and report.suggestions == [HeaderOptions(kafka_dump=True)]


def test_forcing_datafile_on_a_tfrecord_warns() -> None:
    report = inspect_bytes(tfrecord_file(generated("example")), file_format="datafile")
    assert not report.ok
    assert report.warnings[0] == "the file starts like a TFRecord (its length CRC is valid)"


def test_gzip_data_file_from_a_pipe() -> None:
    payloads = generated("example_batch")
    out = io.BytesIO()
    datafile.write(out, payloads, compression="gzip")
    report = inspect_stream(PipeReader(out.getvalue()), label="p")
    assert report.ok and report.compression is Compression.GZIP
    assert report.file_bytes == len(out.getvalue())
    assert report.data_bytes == len(sort_id_file(payloads))


# --------------------------------------------------------------------------- TFRecord framing


def test_tfrecord_data_crc_mismatch_is_listed_and_reading_goes_on() -> None:
    payloads = generated("example", batches=1, batch_size=4)
    data = bytearray(tfrecord_file(payloads))
    offsets = [sum(len(p) + 16 for p in payloads[:i]) for i in range(4)]
    data[offsets[1] + 12] ^= 1  # first data byte of record 1
    data[offsets[3] + 12] ^= 1
    report = inspect_bytes(bytes(data), keep_going=True)
    assert report.problems == [
        (f"f: record 1 at offset {offsets[1]}: data CRC mismatch", False),
        (f"f: record 3 at offset {offsets[3]}: data CRC mismatch", False),
    ]
    assert (report.records, report.sound) == (4, 2)
    report = inspect_bytes(bytes(data))
    assert len(report.problems) == 1 and report.records == 2


def test_tfrecord_length_crc_mismatch_ends_the_reading() -> None:
    payloads = generated("example", batches=1, batch_size=3)
    data = bytearray(tfrecord_file(payloads))
    second = len(payloads[0]) + 16
    data[second] ^= 1
    report = inspect_bytes(bytes(data), keep_going=True)
    assert report.problems == [
        (
            f"f: record 1 at offset {second}: length CRC mismatch",
            True,
        )
    ]
    assert (report.records, report.sound) == (1, 1)


def test_tfrecord_truncated() -> None:
    payloads = generated("example", batches=1, batch_size=1)
    data = tfrecord_file(payloads)
    # Five bytes hold no length CRC to recognise a TFRecord by: it must be said.
    assert inspect_bytes(data[:5], file_format="tfrecord").problems[0].message == (
        "f: record 0 at offset 0: 5 trailing bytes are not a record (a frame header is 12 bytes)"
    )
    assert inspect_bytes(data[:5]).problems[0].message == (
        "f: record 0 at offset 0: data ends 5 bytes into the 8-byte sort-id size"
        " (reading with header sort_id)"
    )
    assert inspect_bytes(data[:-1], file_format="tfrecord").problems[0].message == (
        f"f: record 0 at offset 0: stream ends after {len(data) - 1} of {len(data)} bytes"
    )


# --------------------------------------------------------------------------- show and progress


def test_inspecting_a_data_file_does_not_load_the_crc32c_package(tmp_path: Path) -> None:
    # Importing crc32c costs more start-up time than a small file takes to check; only
    # TFRecords (every frame has CRCs) need it. A fresh interpreter tells what is loaded.
    path = tmp_path / "f.bin"
    path.write_bytes(sort_id_file(generated("instance")))
    probe = (
        "import sys\n"
        "from monogen.inspect import inspect_stream\n"
        f"with open({str(path)!r}, 'rb') as fo:\n"
        "    assert inspect_stream(fo).ok\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'crc32c'))"
    )
    src = str(Path(datafile.__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": src}
    done = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, env=env
    )
    assert done.stdout.split("\n")[-2] == "[]"


def test_show_keeps_the_first_sound_records() -> None:
    payloads = generated("instance")
    report = inspect_bytes(sort_id_file(payloads), show=2)
    assert [s.number for s in report.shown] == [0, 1]
    assert [s.offset for s in report.shown] == [0, 16 + len(payloads[0])]
    assert [s.message.SerializeToString() for s in report.shown] == payloads[:2]


def test_progress_adds_up_to_the_bytes_read() -> None:
    payloads = generated("instance", batches=DETECT_WINDOW) * 400
    data = sort_id_file(payloads)
    assert len(data) > 2 * datafile.READ_BLOCK
    steps: list[int] = []
    inspect_bytes(data, progress=steps.append)
    assert sum(steps) == len(data)
    assert 1 < len(steps) <= len(data) // READ_BLOCK + 1  # input is read in blocks


def test_no_header_hint_for_a_file_damaged_after_many_good_records(tmp_path: Path) -> None:
    payloads = generated("instance", batches=1, batch_size=40)
    buffer = io.BytesIO()
    datafile.write(buffer, payloads)
    path = tmp_path / "cut.bin"
    path.write_bytes(buffer.getvalue()[:-3])  # the last record loses its tail
    with path.open("rb") as fo:
        report = inspect_stream(fo, label="cut.bin")
    assert report.records == 39
    assert report.problems and report.problems[0].fatal
    assert report.suggestions == []


# --------------------------------------------------------------------------- skew and sampling


def test_distinct_ids_and_top_share_by_hand() -> None:
    # slot 5: one hot id in 98 of 196 rows, then 99 ids once each -> 100 distinct; the top
    # 1 % (one id) takes 98 of the 197 occurrences
    instances = []
    for i in range(196):
        instance = proto_parser_pb2.Instance(label=[0.0])
        instance.fid.append(v1(5, 0) if i % 2 else v1(5, 1 + i // 2))
        if i == 0:
            instance.fid.append(v1(5, 99))
        instance.feature.add(name="f").fid.extend([v2(7, i % 3)])
        instances.append(instance.SerializeToString())
    report = inspect_bytes(sort_id_file(instances))
    slot = report.stats.fidv1_slots[5].ids
    assert (slot.distinct, slot.total, slot.complete) == (100, 197, True)
    assert slot.top_share() == pytest.approx(98 / 197)
    feature = report.stats.features["f"].ids
    assert (feature.distinct, feature.total) == (3, 196)
    assert feature.top_share() == pytest.approx(66 / 196)  # i % 3 == 0: 66 of 196


def test_id_counts_keep_a_bounded_number_of_ids() -> None:
    ids = IdCounts()
    ids.add(list(range(MAX_IDS)))
    ids.add([0, 0, MAX_IDS + 1])
    assert (ids.distinct, ids.total, ids.untracked) == (MAX_IDS, MAX_IDS + 3, 1)
    assert not ids.complete and ids.top_share() is None


def test_fidv1_slot_ids_are_bounded_per_slot() -> None:
    # slot 5 reaches MAX_IDS distinct ids only inside the second record, whose ids are all
    # kept (it began under the bound); from the third record on, only kept ids are counted.
    # Slot 9, in the same records, stays complete.
    stats = RecordStats(RecordType.INSTANCE)
    first = proto_parser_pb2.Instance()
    first.fid.extend([v1(5, h) for h in range(MAX_IDS - 1)] + [v1(9, 1)])
    second = proto_parser_pb2.Instance()
    second.fid.extend([v1(5, MAX_IDS - 1), v1(5, MAX_IDS), v1(5, 0)])
    later = proto_parser_pb2.Instance()
    later.fid.extend([v1(5, 0), v1(5, MAX_IDS + 1), v1(9, 1), v1(9, 2)])
    for message in (first, second, later, later):
        stats.add(message)
    slots = stats.fidv1_slots
    assert sorted(slots) == [5, 9]
    assert slots[5] == FeatureStats(4, 4, MAX_IDS - 1 + 3 + 2 * 2)
    five = slots[5].ids
    assert (five.distinct, five.total, five.untracked) == (MAX_IDS + 1, MAX_IDS + 6, 2)
    assert five.counts[v1(5, 0)] == 4 and v1(5, MAX_IDS + 1) not in five.counts
    assert not five.complete and five.top_share() is None
    assert slots[9] == FeatureStats(3, 3, 5)
    nine = slots[9].ids
    assert (nine.distinct, nine.total, nine.complete) == (2, 5, True)
    assert nine.top_share() == pytest.approx(3 / 5)


def test_fidv1_slot_statistics_follow_later_records() -> None:
    stats = RecordStats(RecordType.INSTANCE)
    instance = proto_parser_pb2.Instance()
    instance.fid.extend([v1(3, 1), v1(3, 1), v1(4, 2)])
    stats.add(instance)
    assert stats.fidv1_slots[3] == FeatureStats(1, 1, 2)
    stats.add(instance)
    assert stats.fidv1_slots[3] == FeatureStats(2, 2, 4)
    assert (stats.fidv1_slots[3].ids.distinct, stats.fidv1_slots[4].ids.total) == (1, 2)


def test_sampler_follows_its_rule_record_by_record() -> None:
    # the rule, restated: all records until STATS_FIRST bytes are taken; then a record is
    # taken when the bytes taken are under 1/STATS_STRIDE of the bytes seen with it
    rng = random.Random(5)
    sampler = Sampler()
    seen = taken = 0
    for _ in range(20_000):
        size = rng.choice([0, 1, 100, 1000, 5000, 70_000])
        seen += size
        expected = taken < STATS_FIRST or taken * STATS_STRIDE < seen
        taken += size if expected else 0
        assert sampler.take(size) is expected
    assert (sampler.seen_bytes, sampler.taken_bytes) == (seen, taken)
    assert 0 < sampler.taken < sampler.seen and not sampler.complete


def test_statistics_sample_is_fixed_and_every_record_is_verified() -> None:
    payloads = generated("instance", batches=1, batch_size=64) * 60  # ~2 MB
    data = sort_id_file(payloads)
    first, second = inspect_bytes(data), inspect_bytes(data)
    assert first.ok and first.sound == len(payloads)  # every record verified
    sample = first.sample
    assert sample.seen == len(payloads) and 0 < sample.taken < sample.seen
    assert sample.taken_bytes <= max(STATS_FIRST, sample.seen_bytes // STATS_STRIDE) + max(
        map(len, payloads)
    )
    assert first.stats.rows == sample.taken
    assert second.sample == sample and second.stats.rows == first.stats.rows
    small = inspect_bytes(sort_id_file(payloads[:10]))
    assert small.sample.complete and small.stats.rows == 10


def test_a_pipe_that_fails_detection_is_read_from_its_first_byte() -> None:
    """Detection peeks at a pipe; when no reading fits, the given header must still read
    the stream from the start (not from where detection stopped)."""
    data = u64(0) + u64(2**30) + bytes(64)
    report = inspect_stream(PipeReader(data), label="p", header=SORT_ID, record_type="example")
    assert [p.message for p in report.problems] == [
        "p: record 0 at offset 0: payload length 1073741824 is over max_record_size"
        " (134217728 bytes) (reading with header sort_id)"
    ]
