"""``monogen inspect`` through CliRunner: detection, ``--json``, ``-q``, ``--keep-going`` bounds.

Files are written by monogen's own commands or built by hand (framing from
docs/formats.md §5), and the counts asserted are computed independently of
``inspect`` (the number of records written, a hand-made layout).
"""

from __future__ import annotations

import struct
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from monogen.cli import cli
from monogen.proto import proto_parser_pb2

QUIET = ["--seed", "1", "--req-time", "100", "-q"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str) -> click.testing.Result:
    return runner.invoke(cli, list(args), catch_exceptions=False)


def u64(value: int) -> bytes:
    return struct.pack("<Q", value)


def test_headerless_instances_are_not_misread_as_sort_id_framed(
    runner: CliRunner, tmp_path: Path
) -> None:
    # `monogen instance -f binary` writes length + payload with no header: read as
    # sort-id framed, every other record hides in a "sort id" and 10 become 5.
    path = tmp_path / "i.bin"
    result = run(runner, "instance", *QUIET, "-n", "10", "-f", "binary", "-o", str(path))
    assert result.exit_code == 0, result.output
    data = path.read_bytes()
    (first,) = struct.unpack_from("<Q", data)
    proto_parser_pb2.Instance.FromString(data[8 : 8 + first])  # no header: length first
    result = run(runner, "inspect", str(path))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{path}: 10 sound records"
    assert lines[1].startswith("  format       Monolith data file, header none (detected")


# --------------------------------------------------------------------------- hostile input


def _rename_slot_2(payload: bytes) -> bytes:
    """The feature name ``slot_2`` made invalid UTF-8 (same length: framing stays valid)."""
    assert b"slot_2" in payload
    return payload.replace(b"slot_2", b"slot\xff2")


def test_instance_with_a_non_utf8_feature_name_in_a_data_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "d.bin"
    args = [
        "--num-batch",
        "1",
        "--batch-size",
        "4",
        "--sparse",
        "slot_1,slot_2",
        "--drop-rate",
        "0",
    ]
    assert run(runner, "datafile", *QUIET, *args, "--out", str(path)).exit_code == 0
    path.write_bytes(_rename_slot_2(path.read_bytes()))
    result = run(runner, "inspect", str(path))
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith("  slot")]
    assert [row[0] for row in rows] == ["slot_1", "slot\\xff2"]
    assert rows[1][2] == "100.0%"


def test_instance_with_a_non_utf8_feature_name_in_a_warmup_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    from monogen.io import tfrecord
    from monogen.proto import prediction_log_pb2

    path = tmp_path / "w.tfrecord"
    args = ["--variant", "instance", "--batch-size", "2", "--max-records", "4"]
    args += ["--sparse", "slot_1,slot_2", "--drop-rate", "0", "--out", str(path)]
    assert run(runner, "warmup", "--seed", "1", "-q", *args).exit_code == 0
    logs = []
    with path.open("rb") as fo:
        for data in tfrecord.read_records(fo):
            log = prediction_log_pb2.PredictionLog.FromString(data)
            tensor = log.predict_log.request.inputs["instances"]
            values = [_rename_slot_2(v) for v in tensor.string_val]
            del tensor.string_val[:]
            tensor.string_val.extend(values)
            logs.append(log.SerializeToString())
    with path.open("wb") as fo:
        tfrecord.write_records(fo, logs)
    result = run(runner, "inspect", str(path))
    assert result.exit_code == 0, result.output
    assert "slot\\xff2" in result.stdout


def _bad_payload_file(path: Path, count: int) -> None:
    """``count`` sort-id framed records whose payload parses as no record type."""
    bad = b"\x0f" * 4  # tag with wire type 7, which does not exist
    path.write_bytes((u64(0) + u64(len(bad)) + bad) * count)


def test_keep_going_keeps_the_first_100_problems_and_counts_the_rest(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "bad.bin"
    _bad_payload_file(path, 150)
    result = run(runner, "inspect", str(path), "--keep-going", "--sort-id", "--variant", "instance")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{path}: 150 bad and 0 sound records"
    listed = lines.index("bad records (150, the first 100 listed):")
    problems = [line for line in lines[listed + 1 :] if line.startswith(f"  {path}: record")]
    assert len(problems) == 100
    assert problems[-1] == f"  {path}: record 99 at offset {99 * 20}: does not parse as Instance"
    assert result.stderr == (
        f"Error: {path}: record 0 at offset 0: does not parse as Instance (and 149 more bad records)\n"
    )


def test_keep_going_stops_on_a_run_of_zeros(runner: CliRunner, tmp_path: Path) -> None:
    from monogen.inspect import MAX_BAD_RUN

    path = tmp_path / "zeros.bin"
    path.write_bytes(bytes(16 << 20))  # a million empty sort-id framed records
    result = run(runner, "inspect", str(path), "--keep-going")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{path}: {MAX_BAD_RUN} bad and 0 sound records; reading stopped after"
        f" {MAX_BAD_RUN} bad records in a row"
    )
    assert result.stderr.startswith(f"Error: {path}: record 0 at offset 0: empty payload")


def test_keep_going_on_dev_zero_ends_with_bounded_memory(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    probe = (
        "import resource, subprocess, sys;"
        "r = subprocess.run([sys.executable, '-m', 'monogen', 'inspect', '/dev/zero',"
        " '--keep-going'], capture_output=True, timeout=300);"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
        "sys.stdout.write(r.stderr.decode())"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent / "src")}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, env=env, check=True, timeout=400
    ).stdout.decode()
    status, peak_kb = map(int, out.splitlines()[0].split())
    assert status == 1
    assert out.splitlines()[1].startswith("Error: /dev/zero: record 0 at offset 0: empty payload")
    assert peak_kb < 100 * 1024


# --------------------------------------------------------------------------- machine-readable


def _write(runner: CliRunner, *args: str) -> None:
    result = run(runner, *args)
    assert result.exit_code == 0, result.output


def test_json_is_one_document_on_stdout(runner: CliRunner, tmp_path: Path) -> None:
    import json

    path = tmp_path / "e.bin"
    _write(
        runner, "datafile", *QUIET, "--variant", "example", "--num-batch", "2", "--batch-size",
        "4", "--slots", "1,7", "--drop-rate", "0", "--out", str(path),
    )  # fmt: skip
    result = run(runner, "inspect", str(path), "--json")
    assert result.exit_code == 0 and result.stderr == ""
    document = json.loads(result.stdout)
    assert document["inspect_json_version"] == 1
    assert (document["ok"], document["records"], document["sound"], document["bad"]) == (
        True, 8, 8, 0,
    )  # fmt: skip
    assert (document["format"], document["compression"]) == ("datafile", "none")
    header = document["header"]
    assert (header["layout"], header["how"], header["ambiguous"]) == ("sort_id", "detected", True)
    assert header["also_reads_as"] == [
        {"layout": "lagrangex", "record_type": "example", "records": 8}
    ]
    assert document["record_type"] == {
        "name": "example", "message": "Example", "how": "detected", "also_parses_as": [],
    }  # fmt: skip
    stats = document["statistics"]
    assert (stats["sampled"], stats["rows"], stats["records"]) == (False, 8, 8)
    slot_1 = stats["features"]["slot_1"]
    assert (slot_1["fill"], slot_1["slots"], slot_1["kinds"]) == (1.0, [1], ["fid_v2_list"])
    assert (slot_1["distinct_ids"], slot_1["top1pct_share"]) == (8, 0.125)
    assert document["problems"] == [] and document["shown"] == []


def test_json_of_a_bad_file_lists_the_problems_and_exits_1(
    runner: CliRunner, tmp_path: Path
) -> None:
    import json

    path = tmp_path / "bad.bin"
    _bad_payload_file(path, 3)
    args = ["--json", "--keep-going", "--sort-id", "--variant", "instance"]
    result = run(runner, "inspect", str(path), *args)
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert (document["ok"], document["bad"], document["sound"]) == (False, 3, 0)
    assert document["problems"][2] == {
        "message": f"{path}: record 2 at offset 40: does not parse as Instance",
        "fatal": False,
    }
    assert result.stderr.startswith(f"Error: {path}: record 0 at offset 0")


def test_json_of_a_warmup_file(runner: CliRunner, tmp_path: Path) -> None:
    import json

    path = tmp_path / "w.tfrecord"
    _write(
        runner, "warmup", "--seed", "1", "-q", "--variant", "instance", "--batch-size", "4",
        "--max-records", "12", "--signature", "a", "--out", str(path),
    )  # fmt: skip
    document = json.loads(run(runner, "inspect", str(path), "--json").stdout)
    assert document["header"] is None and document["format"] == "tfrecord"
    warmup = document["statistics"]["warmup"]
    assert warmup["signatures"] == {"a": 2, "serving_default": 1}
    assert warmup["records_per_request"] == {"4": 3}
    assert warmup["records"]["instance"]["rows"] == 12


def test_quiet_prints_nothing_but_errors(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "i.bin"
    _write(runner, "instance", *QUIET, "-n", "3", "-f", "binary", "-o", str(path))
    result = run(runner, "inspect", str(path), "-q")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    path.write_bytes(path.read_bytes()[:-1])
    result = run(runner, "inspect", str(path), "-q")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1


def test_quiet_computes_no_statistics_it_would_not_print(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """-q prints no summary, so the statistics behind it are not computed; every
    record is still verified (a cut file still fails)."""
    from monogen.inspect.stats import RecordStats

    path = tmp_path / "i.bin"
    _write(
        runner, "datafile", "--variant", "instance", *QUIET, "--num-batch", "2", "--out", str(path)
    )

    def refuse(self: RecordStats, message: object) -> None:
        raise AssertionError("statistics computed")

    monkeypatch.setattr(RecordStats, "add", refuse)
    assert run(runner, "inspect", str(path), "-q").exit_code == 0
    with pytest.raises(AssertionError, match="statistics computed"):
        run(runner, "inspect", str(path))
    with pytest.raises(AssertionError, match="statistics computed"):
        run(runner, "inspect", str(path), "-q", "--json")
    path.write_bytes(path.read_bytes()[:-1])
    assert run(runner, "inspect", str(path), "-q").exit_code == 1


def test_show_decodes_a_warmup_request_into_its_records(runner: CliRunner, tmp_path: Path) -> None:
    import json

    from google.protobuf import text_format

    from monogen.io import tfrecord
    from monogen.proto import prediction_log_pb2

    path = tmp_path / "w.tfrecord"
    _write(
        runner, "warmup", "--seed", "1", "-q", "--variant", "instance", "--batch-size", "2",
        "--max-records", "4", "--out", str(path),
    )  # fmt: skip
    with path.open("rb") as fo:
        log = prediction_log_pb2.PredictionLog.FromString(next(tfrecord.read_records(fo)))
    expected = list(log.predict_log.request.inputs["instances"].string_val)
    text = run(runner, "inspect", str(path), "--show", "1", "-q").stdout
    parts = text.split("# record 0, input 'instances' value ")
    assert len(parts) == 3 and "string_val" not in parts[0]
    for index, (part, payload) in enumerate(zip(parts[1:], expected, strict=True)):
        title, body = part.split("\n", 1)
        assert title == f"{index}: Instance"
        parsed = text_format.Parse(body, proto_parser_pb2.Instance())
        assert parsed.SerializeToString() == payload
    shown = json.loads(run(runner, "inspect", str(path), "--show", "1", "--json").stdout)["shown"]
    records = shown[0]["records"]
    assert [(r["input"], r["record_type"]) for r in records] == [("instances", "instance")] * 2
    assert records[0]["message"]["line_id"]["uid"] == str(
        proto_parser_pb2.Instance.FromString(expected[0]).line_id.uid
    )
    assert "string_val" not in shown[0]["message"]["predict_log"]["request"]["inputs"]["instances"]


def test_the_summary_prints_names_as_the_file_has_them(runner: CliRunner, tmp_path: Path) -> None:
    # plain lines: a name that looks like an emoji code or markup is not rewritten
    payloads = []
    for _ in range(3):
        instance = proto_parser_pb2.Instance(label=[1.0])
        instance.feature.add(name=":smile: [bold]x[/bold]").float_value.append(0.5)
        payloads.append(instance.SerializeToString())
    path = tmp_path / "names.bin"
    path.write_bytes(b"".join(u64(0) + u64(len(p)) + p for p in payloads))
    result = run(runner, "inspect", "--variant", "instance", str(path))
    assert result.exit_code == 0, result.output
    row = [line for line in result.output.splitlines() if "[bold]" in line]
    assert len(row) == 1 and row[0].split()[:3] == [":smile:", "[bold]x[/bold]", "float_value"]
