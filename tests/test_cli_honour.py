"""Options do what they say or are refused: nothing is silently ignored or replaced."""

from __future__ import annotations

import json
import os
import pty
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monogen.cli import cli
from monogen.proto import example_pb2, proto_parser_pb2

FIXED = ["--seed", "1", "--req-time", "100"]
INSTANCE_ONLY = {"--fidv1-slots": "1-3", "--fidv2": "slot_1"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(cli, list(args), env=env, catch_exceptions=False, prog_name="monogen")


# --- Instance-only options --------------------------------------------------------------


@pytest.mark.parametrize("command", ["example", "batch"])
@pytest.mark.parametrize("flag", sorted(INSTANCE_ONLY))
def test_instance_only_options_are_refused_by_record_commands_of_other_types(
    runner: CliRunner, command: str, flag: str
) -> None:
    result = run(runner, command, *FIXED, flag, INSTANCE_ONLY[flag])
    assert result.exit_code == 2
    assert result.stdout == ""
    last = result.stderr.splitlines()[-1]
    assert last == (
        f"Error: monogen {command} has no option {flag}; "
        "it is taken by: datafile, instance, schema, warmup"
    )


@pytest.mark.parametrize("command", ["example", "batch"])
def test_help_lists_only_what_the_command_honours(runner: CliRunner, command: str) -> None:
    text = run(runner, command, "--help").output
    assert "--fidv1-slots" not in text
    assert "--fidv2" not in text
    assert "--fidv1-slots" in run(runner, "instance", "--help").output


def test_an_option_of_another_command_names_the_commands_that_take_it(runner: CliRunner) -> None:
    result = run(runner, "example", "--num-batch", "3")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: monogen example has no option --num-batch; it is taken by: datafile"
    )


def test_a_misspelt_option_still_gets_click_suggestions(runner: CliRunner) -> None:
    result = run(runner, "example", "--cout", "3")
    assert result.exit_code == 2
    assert "No such option '--cout'. (Did you mean one of: '--count'" in result.stderr


@pytest.mark.parametrize("flag", sorted(INSTANCE_ONLY))
def test_instance_only_options_are_refused_for_other_variants(
    runner: CliRunner, tmp_path: Path, flag: str
) -> None:
    out = tmp_path / "d.bin"
    args = ["--variant", "example", flag, INSTANCE_ONLY[flag], "-o", str(out)]
    result = run(runner, "datafile", *FIXED, *args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: {flag} applies to Instance records only, and these are example records "
        "(give --variant instance)"
    )
    assert not out.exists()
    warm = run(runner, "warmup", *FIXED, *args)
    assert warm.exit_code == 2
    assert f"{flag} applies to Instance records only" in warm.stderr


def test_instance_only_options_still_work_for_instances(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "d.bin"
    args = ["--variant", "instance", "--fidv1-slots", "1-3", "-o", str(out), "-q"]
    result = run(runner, "datafile", *FIXED, *args)
    assert result.exit_code == 0, result.output


# --- schema parts never switch to the default schema silently ---------------------------


def test_extra_alone_is_added_to_the_default_schema_and_said_so(runner: CliRunner) -> None:
    result = run(runner, "example", *FIXED, "--extra", "actions:3", "-f", "json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert len(record["line_id"]["actions"]) == 3
    assert "slot_1" in [nf["name"] for nf in record["named_feature"]]
    assert "built-in default schema" in result.stderr
    assert "with --extra actions:3" in result.stderr


def test_extra_with_features_keeps_both_and_no_default_note(runner: CliRunner) -> None:
    result = run(runner, "example", *FIXED, "--slots", "4", "--extra", "actions:2", "-f", "binary")
    assert result.exit_code == 0, result.output
    record = example_pb2.Example.FromString(result.stdout_bytes[8:])
    assert [nf.name for nf in record.named_feature] == ["slot_4"]
    assert len(record.line_id.actions) == 2
    assert "default" not in result.stderr


# --- --drop-rate reaches every optional sparse feature ------------------------------------


def _instances(data: bytes) -> list[proto_parser_pb2.Instance]:
    records, offset = [], 0
    while offset < len(data):
        (size,) = struct.unpack_from("<Q", data, offset)
        records.append(proto_parser_pb2.Instance.FromString(data[offset + 8 : offset + 8 + size]))
        offset += 8 + size
    return records


@pytest.mark.parametrize(("rate", "fids_per_column"), [("0", 1), ("1", 0)])
def test_drop_rate_applies_to_instance_fid_v2_columns(
    runner: CliRunner, rate: str, fids_per_column: int
) -> None:
    args = ["instance", *FIXED, "--slots", "1,3-4", "-n", "20", "-f", "binary", "-q"]
    result = run(runner, *args, "--drop-rate", rate)
    assert result.exit_code == 0, result.output
    for instance in _instances(result.stdout_bytes):
        counts = {f.name: len(f.fid) for f in instance.feature}
        # slot 1 (the user id) always carries one fid; the others follow --drop-rate
        assert counts == {"slot_1": 1, "slot_3": fids_per_column, "slot_4": fids_per_column}


def test_drop_rate_help_gives_the_rule_per_feature_kind(runner: CliRunner) -> None:
    text = " ".join(run(runner, "example", "--help").output.split())
    assert "slots 1 and 200 always have one fid" in text
    assert "sequence-like" in text
    assert "only when P > 0" in text
    assert "fid-v1 slots" in text


# --- binary output is never written to a terminal -----------------------------------------

TERMINAL_REFUSAL = (
    "Error: refusing to write binary output to a terminal; give --out FILE or pipe it"
)
BINARY_TO_STDOUT = [
    ["example", "-f", "binary"],
    ["example", "-f", "tfrecord"],
    ["instance", "-f", "binary"],
    ["batch", "-f", "tfrecord", "--batch-size", "1"],
    ["warmup", "--out", "-", "--max-records", "2", "--batch-size", "1"],
    ["datafile", "--num-batch", "1", "--batch-size", "1"],
]


def _run_on_a_terminal(args: list[str]) -> tuple[int, str]:
    """Run monogen with stdout on a pseudo-terminal; return its exit status and stderr."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent / "src")}
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "monogen", *args, "--seed", "1", "-q"],
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=subprocess.PIPE,
            env=env,
            timeout=120,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    return done.returncode, done.stderr.decode()


@pytest.mark.parametrize("args", BINARY_TO_STDOUT, ids=lambda a: " ".join(a[:3]))
def test_binary_output_to_a_terminal_is_refused_by_every_command(args: list[str]) -> None:
    status, stderr = _run_on_a_terminal(args)
    assert status == 2
    assert stderr.splitlines()[-1] == TERMINAL_REFUSAL


def test_text_output_to_a_terminal_is_fine() -> None:
    status, stderr = _run_on_a_terminal(["example", "-f", "json"])
    assert status == 0, stderr


# --- slot collisions monogen would create --------------------------------------------------


def _schema_rows(result: Result) -> dict[str, str]:
    return {line.split()[0]: line.split()[2] for line in result.stdout.splitlines()[1:]}


@pytest.fixture
def feature_list(tmp_path: Path) -> Path:
    path = tmp_path / "features.conf"
    path.write_text(
        "feature_name=f_uid depend=uid slot=1 feature_version=2\n"
        "feature_name=f_click depend=click slot=5 feature_version=2\n"
        "feature_name=f_view depend=view slot=5 feature_version=2\n"
    )
    return path


def test_a_named_slot_on_a_listed_feature_of_the_record_is_an_error(
    runner: CliRunner, feature_list: Path
) -> None:
    args = ["--slots", "1", "--sparse", "uid", "--feature-list", str(feature_list)]
    result = run(runner, "schema", *args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: slot 1 would hold both slot_1 (from its name) and uid (from the feature list)"
    )


def test_a_named_slot_the_feature_list_gives_another_feature_is_an_error(
    runner: CliRunner, feature_list: Path
) -> None:
    result = run(runner, "schema", "--slots", "1-2", "--feature-list", str(feature_list))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: slot_1 is on slot 1 (from its name), which {feature_list} gives to f_uid"
    )


def test_two_named_slots_on_one_slot_are_an_error(runner: CliRunner) -> None:
    result = run(runner, "schema", "--sparse", "slot_3,fc_slot_3")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: slot 3 would hold both slot_3 (from its name) and fc_slot_3 (from its name)"
    )


def test_a_next_free_slot_skips_the_slots_of_the_feature_list(
    runner: CliRunner, feature_list: Path
) -> None:
    args = ["--sparse", "other,click", "--feature-list", str(feature_list)]
    result = run(runner, "schema", *args)
    assert result.exit_code == 0, result.output
    # slot 1 is uid's in the list, though uid is not in this record
    assert _schema_rows(result) == {"other": "2", "click": "5"}


def test_slots_the_feature_list_shares_stay_shared(runner: CliRunner, feature_list: Path) -> None:
    args = ["--sparse", "click,view", "--feature-list", str(feature_list)]
    result = run(runner, "schema", *args)
    assert result.exit_code == 0, result.output
    assert _schema_rows(result) == {"click": "5", "view": "5"}


# --- options a command lists but cannot honour ---------------------------------------------


@pytest.mark.parametrize("flag", ["--seed", "--drop-rate", "--req-time", "--actions"])
def test_schema_does_not_offer_generation_options(runner: CliRunner, flag: str) -> None:
    assert flag not in run(runner, "schema", "--help").output
    result = run(runner, "schema", flag, "1")
    assert result.exit_code == 2
    assert f"monogen schema has no option {flag}; it is taken by:" in result.stderr


@pytest.mark.parametrize(("flag", "value"), [("--count", "3"), ("--seed", "4")])
def test_fids_decoding_refuses_generation_options(runner: CliRunner, flag: str, value: str) -> None:
    result = run(runner, "fids", "-d", "77", flag, value)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: {flag} generates fids; it cannot be combined with decoding"
    )


def test_export_demo_refuses_num_ps_in_standalone_mode(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, "export-demo", "--export-base", str(tmp_path / "m"), "--num-ps", "4")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == "Error: --num-ps needs --mode distributed"
    assert not (tmp_path / "m").exists()
