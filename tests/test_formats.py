"""monogen.formats: the one home of the format facts, cheap to import, and used everywhere."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from monogen import formats
from monogen.errors import SchemaError
from monogen.formats import VARIANTS, RecordType
from monogen.proto import example_pb2, prediction_log_pb2, proto_parser_pb2

SRC = Path(__file__).resolve().parents[1] / "src" / "monogen"


def _loaded_after(statement: str) -> set[str]:
    """Top-level module names in ``sys.modules`` after running ``statement`` in a fresh Python."""
    code = f"{statement}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return set(out.split())


def test_formats_imports_neither_numpy_nor_protobuf() -> None:
    loaded = _loaded_after("import monogen.formats")
    assert "numpy" not in loaded
    assert not {m for m in loaded if m.startswith("google.protobuf")}


def test_savedmodel_imports_without_numpy_or_the_encoders() -> None:
    loaded = _loaded_after("import monogen.serving.savedmodel")
    assert "numpy" not in loaded
    assert not {m for m in loaded if m.startswith("monogen.encode")}


def test_replay_does_not_import_the_demo_exporter() -> None:
    assert "monogen.serving.export_demo" not in _loaded_after("import monogen.serving.replay")


def test_one_record_type_enum_under_its_old_names() -> None:
    from monogen.gen.generator import Variant
    from monogen.inspect import RecordType as InspectRecordType

    assert Variant is RecordType and InspectRecordType is RecordType


@pytest.mark.parametrize(
    ("record_type", "cls"),
    [
        (RecordType.EXAMPLE, example_pb2.Example),
        (RecordType.INSTANCE, proto_parser_pb2.Instance),
        (RecordType.EXAMPLE_BATCH, example_pb2.ExampleBatch),
        (RecordType.PREDICTION_LOG, prediction_log_pb2.PredictionLog),
    ],
)
def test_message_class_and_record_name(record_type: RecordType, cls: type) -> None:
    assert record_type.message_class is cls
    assert record_type.record_name == cls.__name__


def test_variants_parse_and_record_types_parse_any() -> None:
    assert RecordType.parse("Batch") is RecordType.EXAMPLE_BATCH
    assert RecordType.parse_any("warmup") is RecordType.PREDICTION_LOG
    with pytest.raises(SchemaError, match="unknown variant 'warmup'"):
        RecordType.parse("warmup")
    with pytest.raises(SchemaError, match="unknown variant 'prediction_log'"):
        RecordType.parse(RecordType.PREDICTION_LOG)


def test_input_names_round_trip() -> None:
    assert [v.input_name for v in VARIANTS] == ["examples", "instances", "example_batch"]
    assert [RecordType.for_input(v.input_name) for v in VARIANTS] == list(VARIANTS)
    assert RecordType.for_input("ids") is None
    with pytest.raises(SchemaError):
        _ = RecordType.PREDICTION_LOG.input_name


def test_rows_and_records_per_batch() -> None:
    assert RecordType.EXAMPLE_BATCH.rows_per_record(8) == 8
    assert RecordType.EXAMPLE_BATCH.records_per_batch(8) == 1
    assert RecordType.INSTANCE.rows_per_record(8) == 1
    assert RecordType.INSTANCE.records_per_batch(8) == 8


def test_dtype_name() -> None:
    assert formats.dtype_name(7) == "DT_STRING"
    assert formats.dtype_name(20) == "DT_UNKNOWN_20"


def _source_files() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if not p.name.endswith(("_pb2.py", "_pb2.pyi"))]


# Each fact, as a pattern matching a statement of it in source code.
FACTS = {
    "LineId list name": r"""=\s*["']__LINE_ID__["']""",
    "label list name": r"""=\s*["']__LABEL__["']""",
    "default signature": r"""=\s*["']serving_default["']""",
    "warmup record limit": r"""(WARMUP_LOGS|MAX_RECORDS|default)\s*=\s*1000\b""",
    "record type enum": r"""EXAMPLE_BATCH\s*=\s*["']example_batch["']""",
    "serving input names": r"""["']instances["']\s*[,}]""",
    "dtype name": r"""DataType\.Name\(""",
    "batch size default": r"""(DEFAULT_BATCH_SIZE|default)\s*=\s*64\b""",
    "model name default": r"""=\s*["']entry["']""",
    "ParserArgs drop rate": r"""(drop_rate|DROP_RATE)\b.*=\s*0\.5\b""",
    "rows per request": r"""\b(1|[\w.]*batch_size) if .*EXAMPLE_BATCH else (1|[\w.]*batch_size)\b""",
}


@pytest.mark.parametrize("fact", sorted(FACTS))
def test_each_fact_is_stated_once(fact: str) -> None:
    pattern = re.compile(FACTS[fact])
    homes = sorted(
        f"{path.relative_to(SRC)}:{number}"
        for path in _source_files()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line) and not line.lstrip().startswith("#")
    )
    assert [h.split(":")[0] for h in homes] == ["formats.py"] * len(homes) and homes, homes
