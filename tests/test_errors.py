"""Library errors name parameters; the CLI names flags; one exit-code rule for one kind of mistake."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from monogen import data_gen_utils
from monogen.cli import cli
from monogen.cli.flags import header_flags
from monogen.errors import (
    HeaderOptionsError,
    MonogenError,
    ParameterError,
    SchemaError,
    WarmupError,
)
from monogen.io.datafile import HeaderOptions
from monogen.io.detect import LAYOUTS
from monogen.serving.warmup import plan_requests

SRC = Path(__file__).resolve().parents[1] / "src" / "monogen"
FLAG = re.compile(r"(?<![\w-])--[a-z]")


def test_an_error_carries_its_parameters_and_reads_in_library_terms() -> None:
    exc = MonogenError(
        "{batch_size} 9 must be less than {max_records} 5", param=("batch_size", "max_records")
    )
    assert (exc.param, exc.params) == ("batch_size", ("batch_size", "max_records"))
    assert str(exc) == "batch_size 9 must be less than max_records 5"
    assert (
        exc.render(lambda name: f"<{name}>") == "<batch_size> 9 must be less than <max_records> 5"
    )
    # Braces that name no parameter are left alone.
    assert str(MonogenError("outputs {a, b}", param="x")) == "outputs {a, b}"
    assert MonogenError("plain").params == ()


def test_gen_prediction_log_names_parameters_not_flags() -> None:
    args = data_gen_utils.ParserArgs(batch_size=2000, variant_type="example")
    with pytest.raises(WarmupError) as info:
        list(data_gen_utils.gen_prediction_log(args))
    message = str(info.value)
    assert "--" not in message
    assert message.startswith("batch_size 2000 must be less than max_records 1000")
    assert info.value.param == "batch_size"
    assert info.value.exit_code == 2


def test_header_options_name_parameters() -> None:
    with pytest.raises(HeaderOptionsError) as info:
        HeaderOptions(kafka_dump=True, sort_id=False)
    assert str(info.value) == "kafka_dump needs sort_id: its field follows the sort id"
    assert info.value.params == ("kafka_dump", "sort_id")


def test_planning_refusals_are_parameter_errors() -> None:
    with pytest.raises(ParameterError) as info:
        plan_requests(batch_size=1, max_records=1500)
    assert str(info.value).endswith("lower max_records or raise batch_size")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["warmup", "--out", "-", "--batch-size", "2000"],
            "Error: --batch-size 2000 must be less than --max-records 1000: a warmup holds "
            "max_records // batch_size requests\n",
        ),
        (
            ["datafile", "--out", "-", "--kafka-dump", "--no-sort-id"],
            "Error: --kafka-dump needs --sort-id: its field follows the sort id\n",
        ),
    ],
)
def test_the_cli_names_flags_and_exits_2_for_option_mistakes(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.stderr.endswith(message)


def test_usage_mistakes_exit_2_and_data_failures_exit_1() -> None:
    assert SchemaError("x").exit_code == 2
    assert ParameterError("x").exit_code == 2
    assert HeaderOptionsError("x").exit_code == 2
    assert WarmupError("x").exit_code == 1  # e.g. a data file with no records


def test_header_flags_live_in_the_cli() -> None:
    import monogen.inspect

    assert not hasattr(monogen.inspect, "header_flags")
    assert [header_flags(h) for h in LAYOUTS] == [
        "--sort-id",
        "--kafka-dump",
        "--kafka-dump-prefix",
        "--lagrangex",
        "--no-sort-id",
    ]


def _string_literals(path: Path) -> list[tuple[int, str]]:
    """Every string constant of a module except docstrings."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_no_library_string_names_a_flag() -> None:
    found = [
        f"{path.relative_to(SRC)}:{line}: {text!r}"
        for path in sorted(SRC.rglob("*.py"))
        if "cli" not in path.relative_to(SRC).parts and not path.name.endswith("_pb2.py")
        for line, text in _string_literals(path)
        if FLAG.search(text)
    ]
    assert found == []
