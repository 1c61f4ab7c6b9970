"""Machine-readable output: JSON records, `schema --json`, `fids --decode` readings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from google.protobuf import json_format

from monogen.cli import cli
from monogen.proto import example_pb2, proto_parser_pb2

FIXED = ["--seed", "1", "--req-time", "100"]
V1_SLOT5 = (5 << 54) | 123  # a v1 fid: slot 5, hash 123; read as v2 it is slot 320


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str, input: str | None = None) -> Result:
    return runner.invoke(cli, list(args), input=input, catch_exceptions=False)


# --- one JSON encoding of records: 64-bit integers as decimal strings ---------------------


@pytest.mark.parametrize(
    ("command", "message"),
    [("example", example_pb2.Example), ("instance", proto_parser_pb2.Instance)],
)
def test_json_records_carry_64_bit_integers_as_strings(
    runner: CliRunner, command: str, message: type
) -> None:
    common = [command, *FIXED, "--slots", "1-3", "-q"]
    text = run(runner, *common, "-f", "json").stdout
    binary = run(runner, *common, "-f", "binary").stdout_bytes
    record = json.loads(text)
    fids = (
        record["named_feature"][0]["feature"]["fid_v2_list"]["value"]
        if command == "example"
        else record["feature"][0]["fid"]
    )
    assert all(isinstance(f, str) for f in fids)
    assert isinstance(record["line_id"]["uid"], str)
    # exact above 2**53, and the same record as the binary output
    assert json_format.ParseDict(record, message()) == message.FromString(binary[8:])


def test_record_json_is_the_one_encoding(runner: CliRunner) -> None:
    from monogen.encode.dump import record_json

    binary = run(runner, "example", *FIXED, "--slots", "1", "-f", "binary", "-q").stdout_bytes
    text = run(runner, "example", *FIXED, "--slots", "1", "-f", "json", "-q").stdout
    assert record_json(example_pb2.Example.FromString(binary[8:])) + "\n" == text


# --- fids --decode -------------------------------------------------------------------------


def test_decode_without_version_shows_both_readings(runner: CliRunner) -> None:
    result = run(runner, "fids", "-d", str(V1_SLOT5))
    assert result.exit_code == 0
    assert result.stdout == f"{V1_SLOT5}\t320\t123\tv1: slot 5, hash 123\n"


@pytest.mark.parametrize(("version", "slot"), [("1", 5), ("2", 320)])
def test_decode_with_version_gives_one_reading(runner: CliRunner, version: str, slot: int) -> None:
    result = run(runner, "fids", "-d", "--version", version, str(V1_SLOT5))
    assert result.exit_code == 0
    assert result.stdout == f"{V1_SLOT5}\t{slot}\t123\n"


def test_decode_shows_one_reading_when_both_agree(runner: CliRunner) -> None:
    assert run(runner, "fids", "-d", "77").stdout == "77\t0\t77\n"


def test_generation_still_defaults_to_v2(runner: CliRunner) -> None:
    result = run(runner, "fids", "--slot", "5", "--seed", "1", "-n", "3")
    assert [int(f) >> 48 for f in result.stdout.split()] == [5, 5, 5]


def test_the_fids_help_pipeline_decodes_the_fids_of_an_example(tmp_path: Path) -> None:
    """The jq line of `fids --help` runs as written and yields the Example's slots."""
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    src = Path(__file__).resolve().parent.parent / "src"
    shim = tmp_path / "monogen"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m monogen "$@"\n')
    shim.chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(src), "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    help_text = subprocess.run(
        ["monogen", "fids", "--help"], capture_output=True, text=True, env=env, check=True
    ).stdout
    line = next(ln.strip() for ln in help_text.splitlines() if "| monogen fids -d" in ln)
    line = line.replace(
        "monogen example", "monogen example --seed 1 --slots 3,7 --dense ctr:2 -q", 1
    )
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", line], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    slots = [row.split("\t")[1] for row in done.stdout.splitlines()]
    assert slots == ["3", "7"]


# --- schema --json -------------------------------------------------------------------------


def test_schema_json_document(runner: CliRunner) -> None:
    args = ["--slots", "1-2", "--sparse", "user_recent_click", "--dense", "ctr:1", "--dense"]
    result = run(runner, "schema", *args, "label:2", "--extra", "actions:3", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc == {
        "schema_json_version": 1,
        "default_schema": False,
        "sparse": [
            {"name": "slot_1", "slot": 1, "dtype": "int64", "sequence": False},
            {"name": "slot_2", "slot": 2, "dtype": "int64", "sequence": False},
            {"name": "user_recent_click", "slot": 3, "dtype": "int64", "sequence": True},
        ],
        "instance": {
            "fidv1_slots": [],
            "fidv2_columns": ["slot_1", "slot_2", "user_recent_click"],
        },
        "dense": [{"name": "ctr", "shape": 1, "dtype": "float32"}],
        "label_shape": 2,
        "line_id": [{"name": "actions", "shape": 3}],
    }


def test_schema_json_says_when_the_default_is_used(runner: CliRunner) -> None:
    doc = json.loads(run(runner, "schema", "--json").stdout)
    assert doc["default_schema"] is True
    assert doc["instance"]["fidv1_slots"][:2] == [1, 200]


def test_schema_quiet_prints_nothing_but_the_document(runner: CliRunner) -> None:
    loud = run(runner, "schema", "--json")
    assert "default schema" in loud.stderr
    quiet = run(runner, "schema", "--json", "-q")
    assert quiet.exit_code == 0
    assert quiet.stderr == ""
    assert json.loads(quiet.stdout) == json.loads(loud.stdout)
