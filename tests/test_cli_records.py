"""The record commands through click's CliRunner: output, exit codes, exact messages."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from monogen.cli import cli
from monogen.proto import example_pb2, proto_parser_pb2

FIXED = ["--seed", "1", "--req-time", "100"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> click.testing.Result:
    return runner.invoke(cli, list(args), env=env, catch_exceptions=False)


def all_commands() -> list[str]:
    return sorted(cli.all_commands())


@pytest.mark.parametrize("name", all_commands())
def test_every_command_has_help_with_an_example(runner: CliRunner, name: str) -> None:
    result = run(runner, name, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"monogen {name}" in result.output.split("Example:")[1]
    assert run(runner, name, "-h").output == result.output


def test_top_level_help_and_version(runner: CliRunner) -> None:
    result = run(runner, "--help")
    assert result.exit_code == 0
    for name in ("fids", "example", "instance", "batch"):
        assert f"  {name} " in result.output
    assert run(runner, "--version").output.startswith("monogen, version ")


def test_example_binary_output_parses(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "ex.bin"
    result = run(
        runner, "example", *FIXED, "-n", "3", "-f", "binary", "-o", str(out), "--slots", "1-4"
    )
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    records, offset = [], 0
    while offset < len(data):
        (size,) = struct.unpack_from("<Q", data, offset)
        records.append(example_pb2.Example.FromString(data[offset + 8 : offset + 8 + size]))
        offset += 8 + size
    assert len(records) == 3
    assert [nf.name for nf in records[0].named_feature] == ["slot_1", "slot_2", "slot_3", "slot_4"]
    assert "wrote 3 Examples to " in result.stderr


def test_same_seed_same_bytes_through_the_cli(runner: CliRunner) -> None:
    first = run(runner, "instance", *FIXED, "-n", "5", "-f", "binary", "-o", "-")
    second = run(runner, "instance", *FIXED, "-n", "5", "-f", "binary", "-o", "-")
    other = run(runner, "instance", "--seed", "2", "--req-time", "100", "-n", "5", "-f", "binary")
    assert first.stdout_bytes == second.stdout_bytes
    assert first.stdout_bytes != other.stdout_bytes


def test_json_lines(runner: CliRunner) -> None:
    result = run(runner, "instance", *FIXED, "-n", "2", "-f", "json", "--fidv1-slots", "1", "-q")
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    record = json.loads(lines[0])
    assert len(record["fid"]) == 1 and int(record["fid"][0]) >> 54 == 1
    assert result.stderr == ""


def test_text_output_can_be_parsed_back(runner: CliRunner) -> None:
    from google.protobuf import text_format

    result = run(runner, "batch", *FIXED, "--batch-size", "3", "--slots", "1-2", "-q")
    body = result.stdout.split("# record 1\n", 1)[1]
    batch = text_format.Parse(body, example_pb2.ExampleBatch())
    assert batch.batch_size == 3


def test_default_schema_is_named_and_fresh_seed_reported(runner: CliRunner) -> None:
    result = run(runner, "example")
    assert result.exit_code == 0
    assert "no features given; using the built-in default schema" in result.stderr
    seed_line = next(line for line in result.stderr.splitlines() if line.startswith("seed "))
    seed = seed_line.split()[1]
    again = run(runner, "example", "--seed", seed, "--req-time", "1")
    rerun = run(runner, "example", "--seed", seed, "--req-time", "1")
    assert again.stdout == rerun.stdout


def test_fids_generate_and_decode(runner: CliRunner) -> None:
    result = run(runner, "fids", "--slot", "5", "--count", "3", "--version", "2", "--seed", "4")
    values = [int(v) for v in result.stdout.split()]
    assert len(values) == 3 and all(v >> 48 == 5 for v in values)
    decoded = runner.invoke(cli, ["fids", "--decode"], input=result.stdout)
    rows = [line.split("\t") for line in decoded.stdout.splitlines()]
    assert [int(r[1]) for r in rows] == [5, 5, 5]
    assert [int(r[0]) for r in rows] == values
    v1 = run(runner, "fids", "-v", "1", str((7 << 54) | 9))
    assert v1.stdout == f"{(7 << 54) | 9}\t7\t9\n"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["example", "--count", "0"],
            2,
            "Invalid value for '-n' / '--count': 0 is not in the range x>=1.",
        ),
        (
            ["example", "--count", "-3"],
            2,
            "Invalid value for '-n' / '--count': -3 is not in the range x>=1.",
        ),
        (
            ["example", "--dense", "a:0"],
            2,
            "Invalid value for '--dense': bad shape in 'a:0': shape must be >= 1",
        ),
        (
            ["example", "--dense", "a:2:flaot"],
            2,
            "Invalid value for '--dense': unknown dtype 'flaot' (expected one of: float32, float64, int32, int64, bool, string)",
        ),
        (
            ["example", "--sparse", "a,b", "--sparse", "a"],
            2,
            "Error: duplicate sparse feature names: a",
        ),
        (
            ["instance", "--fidv1-slots", "1,1024"],
            2,
            "Error: slot 1024 is out of range for fid v1 (1..1023)",
        ),
        (["example", "--slots", "0-2"], 2, "Error: slot 0 is out of range for fid v2 (1..65535)"),
        (
            ["example", "--slots", "x"],
            2,
            "Invalid value for '--slots': bad slot range 'x' in 'x': expected N or N-M",
        ),
        (
            ["example", "--drop-rate", "2"],
            2,
            "Invalid value for '--drop-rate': 2.0 is not in the range 0.0<=x<=1.0.",
        ),
        (
            ["example", "--feature-list", "/no/such/file.conf"],
            1,
            "Error: cannot read feature list /no/such/file.conf: No such file or directory",
        ),
        (
            ["example", "--actions", "1,x"],
            2,
            "Invalid value for '--actions': '1,x' is not a comma-separated list of integers",
        ),
        (["fids"], 2, "Error: give --slot N to generate fids, or fids to decode (--decode)"),
        (["fids", "--slot", "70000"], 2, "Error: slot 70000 is out of range for fid v2 (1..65535)"),
        (["fids", "-d", "12x"], 2, "Invalid value for FID: '12x' is not an integer fid"),
    ],
)
def test_bad_input_one_line_and_exit_code(
    runner: CliRunner, args: list[str], code: int, message: str
) -> None:
    result = run(runner, *args)
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_malformed_feature_list_names_file_and_line(runner: CliRunner, tmp_path: Path) -> None:
    fl = tmp_path / "feature_list.conf"
    fl.write_text("feature_name=f_a slot=1\nfeature_name=f_b slot=two\n")
    out = tmp_path / "out.bin"
    result = run(runner, "example", "--feature-list", str(fl), "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {fl}:2: slot: 'two' is not an integer\n"
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [fl]  # no temporary file left either


def test_failure_mid_write_leaves_no_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monogen.encode import dump
    from monogen.errors import MonogenError

    def exploding(fo, records):  # type: ignore[no-untyped-def]
        fo.write(b"partial")
        raise MonogenError("disk on fire")

    monkeypatch.setitem(dump._BYTE_WRITERS, dump.OutputFormat.BINARY, exploding)
    out = tmp_path / "x.bin"
    result = run(runner, "example", "-f", "binary", "-o", str(out))
    assert result.exit_code == 1
    assert "Error: disk on fire" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_existing_output_needs_force(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "x.txt"
    out.write_text("keep me")
    result = run(runner, "example", "-o", str(out))
    assert result.exit_code == 1
    # Refused before any work: no default-schema or seed note precedes the error.
    assert result.stderr == f"Error: {out} exists; pass --force to overwrite it\n"
    assert out.read_text() == "keep me"
    assert run(runner, "example", "-o", str(out), "--force").exit_code == 0
    assert out.read_text().startswith("# record 1")


# --- precedence: flag > environment > config file > default -----------------------------


def test_precedence_flag_env_config_default(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "monogen.toml"
    config.write_text('slots = "1-2"\ndense = ["from_file:2"]\n[example]\nslots = "1-3"\n')

    def sparse_names(*args: str, env: dict[str, str] | None = None) -> list[str]:
        result = run(runner, "schema", *args, env=env)
        assert result.exit_code == 0, result.output
        return [line.split()[0] for line in result.stdout.splitlines()[1:]]

    # default: the built-in schema
    assert sparse_names()[:2] == ["slot_1", "slot_200"]
    # config file (the [schema] table does not exist, so the top-level keys apply)
    assert sparse_names("--config", str(config)) == ["slot_1", "slot_2", "from_file"]
    # environment beats config
    assert sparse_names("--config", str(config), env={"MONOGEN_SLOTS": "7"}) == [
        "slot_7",
        "from_file",
    ]
    # flag beats environment
    assert sparse_names("--config", str(config), "--slots", "9", env={"MONOGEN_SLOTS": "7"}) == [
        "slot_9",
        "from_file",
    ]
    # a config path from the environment works too
    assert sparse_names(env={"MONOGEN_CONFIG": str(config)}) == ["slot_1", "slot_2", "from_file"]


def test_command_table_in_config_applies_to_that_command(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "monogen.toml"
    # format (a key of `example` only) at the top level is skipped by `schema`, not an error.
    config.write_text('slots = "1-2"\nformat = "json"\n[example]\nslots = "5"\n')
    assert run(runner, "schema", "--config", str(config)).exit_code == 0
    result = run(runner, "example", "--config", str(config), *FIXED, "-q")
    assert [nf["name"] for nf in json.loads(result.stdout)["named_feature"]] == ["slot_5"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("slotz = 3\n", "unknown key 'slotz'"),
        ("[example]\nforce_list = 3\n", "[example] unknown key 'force_list'"),
        ("[warmpu]\nx = 1\n", "unknown command table(s) ['warmpu']"),
        ("slots = [\n", "config file"),
    ],
)
def test_bad_config_files(runner: CliRunner, tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "monogen.toml"
    config.write_text(text)
    result = run(runner, "example", "--config", str(config))
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_instance_uses_sparse_names_as_columns_without_fidv2(runner: CliRunner) -> None:
    result = run(runner, "instance", *FIXED, "--slots", "3-4", "-f", "binary", "-q")
    payload = result.stdout_bytes[8:]
    inst = proto_parser_pb2.Instance.FromString(payload)
    assert [f.name for f in inst.feature] == ["slot_3", "slot_4"]
    assert [f.fid[0] >> 48 for f in inst.feature] == [3, 4]


@pytest.mark.parametrize("command", ["example", "instance", "batch"])
def test_every_format_holds_the_same_records(runner: CliRunner, command: str) -> None:
    """Text renders messages, binary frames the wire encoder's bytes: same seed, same records."""
    from google.protobuf import json_format

    args = [command, *FIXED, "-n", "5", "--batch-size", "3", "--drop-rate", "0.5", "-q"]
    cls = {"example": example_pb2.Example, "instance": proto_parser_pb2.Instance}.get(
        command, example_pb2.ExampleBatch
    )
    binary = run(runner, *args, "-f", "binary").stdout_bytes
    from_bytes, offset = [], 0
    while offset < len(binary):
        (size,) = struct.unpack_from("<Q", binary, offset)
        from_bytes.append(cls.FromString(binary[offset + 8 : offset + 8 + size]))
        offset += 8 + size
    lines = run(runner, *args, "-f", "json").stdout.splitlines()
    from_json = [json_format.Parse(line, cls()) for line in lines]
    assert len(from_bytes) == 5
    assert from_bytes == from_json


def test_empty_feature_list_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    fl = tmp_path / "feature_list.conf"
    fl.write_text("# only a comment\ncolumn_name: a, b\n")
    result = run(runner, "example", "--feature-list", str(fl))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {fl}: the feature list defines no features\n"
