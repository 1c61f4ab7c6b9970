"""monogen.warmup_data_gen: Monolith's file-mode warmup generator without TensorFlow."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monogen.compat import warmup_data_gen as wdg
from monogen.errors import CorruptRecordError, WarmupError
from monogen.gen.generator import RecordGenerator
from monogen.gen.schema import DType, default_schema
from monogen.io import datafile
from monogen.io.datafile import DEFAULT_HEADER, HeaderOptions
from monogen.proto import types_pb2


def payloads(variant: str, count: int, rows: int = 1) -> list[bytes]:
    generator = RecordGenerator(default_schema(), variant, seed=4, batch_size=rows, req_time=7)
    return [message.SerializeToString() for message in generator.records(count)]


def write(path: Path, records: list[bytes], header: HeaderOptions = DEFAULT_HEADER) -> Path:
    with path.open("wb") as fo:
        datafile.write(fo, records, header=header)
    return path


def test_old_import_path() -> None:
    import monogen.warmup_data_gen as short

    assert short is wdg


def test_logs_from_a_file_of_instances(tmp_path: Path) -> None:
    records = payloads("instance", 30)
    path = write(tmp_path / "d.bin", records)
    logs = list(
        wdg.gen_prediction_log_from_file(
            str(path), batch_size=4, max_records=20, signature_names="a, b"
        )
    )
    assert len(logs) == 5  # max_records // batch_size requests
    requests = [log.predict_log.request for log in logs]
    assert [r.model_spec.signature_name for r in requests] == [
        "a", "b", "serving_default", "a", "b",
    ]  # fmt: skip
    assert {r.model_spec.name for r in requests} == {"default"}
    sent = [value for r in requests for value in r.inputs["instances"].string_val]
    assert sent == records[:20]


def test_example_batches_with_a_lagrangex_header(tmp_path: Path) -> None:
    records = payloads("example_batch", 3, rows=4)
    path = write(tmp_path / "d.bin", records, HeaderOptions(lagrangex=True))
    logs = list(
        wdg.gen_prediction_log_from_file(
            str(path), batch_size=4, lagrangex_header=True, variant_type="example_batch",
            model_name="ranker",
        )
    )  # fmt: skip
    assert [list(log.predict_log.request.inputs["example_batch"].string_val) for log in logs] == [
        [r] for r in records
    ]
    assert logs[0].predict_log.request.model_spec.name == "ranker"


def test_reader_yields_string_tensors_and_stops_at_max_iter(tmp_path: Path) -> None:
    records = payloads("example", 10)
    path = write(tmp_path / "d.bin", records, HeaderOptions(kafka_dump=True))
    reader = wdg.PBReader(str(path), 3, has_sort_id=True, kafka_dump=True, variant_type="example")
    reader.set_max_iter(7)  # 7 // 3 batches
    tensors = list(reader)
    assert [list(t.string_val) for t in tensors] == [records[0:3], records[3:6]]
    assert tensors[0].dtype == types_pb2.DT_STRING
    assert [d.size for d in tensors[0].tensor_shape.dim] == [3]
    assert reader._stream.closed


def test_reader_reads_stdin_when_no_file_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    records = payloads("instance", 3)
    buffer = io.BytesIO()
    datafile.write(buffer, records, header=HeaderOptions(sort_id=False))
    fake_stdin = io.TextIOWrapper(io.BytesIO(buffer.getvalue()))
    monkeypatch.setattr(sys, "stdin", fake_stdin)
    assert [list(t.string_val) for t in wdg.PBReader(None, 2)] == [records[:2], records[2:]]


def test_problems_the_original_swallowed_are_errors(tmp_path: Path) -> None:
    path = write(tmp_path / "d.bin", payloads("example_batch", 2, rows=3))
    with pytest.raises(CorruptRecordError, match="does not parse as Instance"):
        list(wdg.gen_prediction_log_from_file(str(path), batch_size=2, max_records=10))
    empty = write(tmp_path / "e.bin", [])
    with pytest.raises(WarmupError, match="holds no records"):
        list(wdg.gen_prediction_log_from_file(str(empty)))
    with pytest.raises(WarmupError, match="batch_size must be at least 1"):
        wdg.PBReader(str(path), 0)
    reader = wdg.PBReader(str(path), 8)
    with pytest.raises(WarmupError, match="batch_size 8 must be less than max_records 8"):
        reader.set_max_iter(8)
    reader.close()


def test_tf_dtype_table() -> None:
    assert wdg.tf_dtype("long") is DType.INT64 and wdg.tf_dtype("9") is DType.INT64
    assert wdg.tf_dtype("double") is DType.FLOAT64 and wdg.tf_dtype("7") is DType.STRING
    with pytest.raises(ValueError, match="dtype 'complex' is not one tf_dtype knows"):
        wdg.tf_dtype("complex")


def test_does_not_import_tensorflow() -> None:
    code = "import sys, monogen.warmup_data_gen; print('tensorflow' in sys.modules)"
    src = str(Path(wdg.__file__).parents[2])
    env = {**os.environ, "PYTHONPATH": src}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert result.stdout.strip() == "False"
