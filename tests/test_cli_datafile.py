"""``monogen datafile`` and ``monogen inspect`` through CliRunner and a real pipe.

Written files are read back with ``monogen.io.datafile.read`` and the protobuf classes
(independently of ``inspect``), and corrupted by hand to check ``inspect``'s exit
codes and exact messages.
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from google.protobuf import text_format

from monogen.cli import cli
from monogen.io import datafile
from monogen.io.datafile import HeaderOptions
from monogen.proto import example_pb2, proto_parser_pb2

FIXED = ["--seed", "1", "--req-time", "100", "-q"]
VARIANTS = {
    "example": (example_pb2.Example, True),
    "instance": (proto_parser_pb2.Instance, True),
    "example_batch": (example_pb2.ExampleBatch, False),
}
HEADERS = {
    "sort_id": ([], HeaderOptions()),
    "kafka_dump": (["--kafka-dump"], HeaderOptions(kafka_dump=True)),
    "kafka_dump_prefix": (["--kafka-dump-prefix"], HeaderOptions(kafka_dump_prefix=True)),
    "lagrangex": (["--lagrangex", "--source", "abc"], HeaderOptions(lagrangex=True)),
    "none": (["--no-sort-id"], HeaderOptions(sort_id=False)),
}
# What each header looks like before the first record's length (docs/formats.md §5).
HEADER_BYTES = {
    "sort_id": bytes(8),
    "kafka_dump": bytes(16),
    "kafka_dump_prefix": bytes(24),
    "lagrangex": bytes.fromhex("0062780100000000"),  # javahash("abc") = 0x00017862
    "none": b"",
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str, stdin: bytes | None = None) -> click.testing.Result:
    return runner.invoke(cli, list(args), input=stdin, catch_exceptions=False)


def write_file(runner: CliRunner, path: Path, *args: str) -> None:
    result = run(runner, "datafile", *FIXED, "--out", str(path), *args)
    assert result.exit_code == 0, result.stderr


def read_back(path: Path, header: HeaderOptions) -> list[datafile.DataRecord]:
    with path.open("rb") as fo:
        return list(datafile.read(fo, header=header))


def u64(n: int) -> bytes:
    return struct.pack("<Q", n)


# --------------------------------------------------------------------------- datafile


@pytest.mark.parametrize("header_name", list(HEADERS))
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_round_trip_every_variant_and_header(
    runner: CliRunner, tmp_path: Path, variant: str, header_name: str
) -> None:
    flags, header = HEADERS[header_name]
    message, per_row = VARIANTS[variant]
    path = tmp_path / "d.bin"
    write_file(runner, path, "--variant", variant, "--num-batch", "3", "--batch-size", "4", *flags)
    data = path.read_bytes()
    prefix = HEADER_BYTES[header_name]
    assert data.startswith(prefix)
    (first_length,) = struct.unpack_from("<Q", data, len(prefix))
    message.FromString(data[len(prefix) + 8 : len(prefix) + 8 + first_length])
    records = read_back(path, header)
    assert len(records) == (12 if per_row else 3)
    for record in records:
        parsed = message.FromString(record.payload)
        if per_row:
            assert parsed.line_id.req_time == 100
            assert len(parsed.label) == 1
        else:
            assert parsed.batch_size == 4
            names = [f.name for f in parsed.named_feature_list]
            assert names[-2:] == ["__LINE_ID__", "__LABEL__"]
    if header.lagrangex:
        assert {r.data_source_key for r in records} == {0x01786200}
    result = run(runner, "inspect", str(path), "--variant", "auto", *flags[:1])
    assert result.exit_code == 0, result.output
    first_line = result.stdout.splitlines()[0]
    assert first_line == f"{path}: {len(records)} sound records"
    assert f"record type  {message.DESCRIPTOR.name} (detected)" in result.stdout


def test_done_when_ten_batches_make_640_sound_records(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(runner, "datafile", "--num-batch", "10", "--out", "d.bin")
    assert result.exit_code == 0, result.stderr
    summary = result.stderr.splitlines()[-1]
    assert re.fullmatch(
        r"wrote 640 Instances in 10 batches to d\.bin: header sort_id, [\d.]+ KB, [\d.]+ s",
        summary,
    )
    assert len(read_back(Path("d.bin"), HeaderOptions())) == 640
    result = run(runner, "inspect", "d.bin")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == [
        "d.bin: 640 sound records",
        "  format       Monolith data file, header sort_id (detected)",
        "  record type  Instance (detected)",
    ]


def test_pipe_between_real_processes(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent / "src")}
    writer = subprocess.Popen(
        [sys.executable, "-m", "monogen", "datafile", "--num-batch", "10", "--out", "-", "-q"],
        stdout=subprocess.PIPE,
        env=env,
    )
    reader = subprocess.run(
        [sys.executable, "-m", "monogen", "inspect", "-", "--format", "datafile"],
        stdin=writer.stdout,
        capture_output=True,
        env=env,
        check=False,
    )
    assert writer.stdout is not None
    writer.stdout.close()
    assert writer.wait() == 0
    assert reader.returncode == 0, reader.stderr
    assert reader.stdout.decode().splitlines()[0] == "stdin: 640 sound records"


def test_compressed_output(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "d.bin.gz"
    write_file(runner, path, "--num-batch", "2", "--compression", "gzip", "--variant", "example")
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert len(read_back(path, HeaderOptions())) == 128
    result = run(runner, "inspect", str(path))
    assert result.exit_code == 0
    assert "  format       Monolith data file, header sort_id (detected), gzip" in result.stdout


def test_summary_names_header_source_and_compression(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "d.bin"
    result = run(
        runner, "datafile", "--seed", "1", "--num-batch", "1", "--batch-size", "2",
        "--lagrangex", "--source", "abc", "--compression", "zlib", "--out", str(path),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    summary = result.stderr.splitlines()[-1]
    size = path.stat().st_size
    assert summary.startswith(
        f"wrote 2 Instances in 1 batch to {path}: header lagrangex (source abc), {size} B zlib ("
    )


def test_same_seed_same_bytes_and_matches_the_library(runner: CliRunner, tmp_path: Path) -> None:
    from monogen.gen.generator import RecordGenerator
    from monogen.gen.schema import default_schema

    first, second = tmp_path / "a.bin", tmp_path / "b.bin"
    write_file(runner, first, "--num-batch", "2", "--batch-size", "5")
    write_file(runner, second, "--num-batch", "2", "--batch-size", "5")
    assert first.read_bytes() == second.read_bytes()
    # The command is the library call with the documented defaults (drop rate 0.5).
    generator = RecordGenerator(
        default_schema(), "instance", seed=1, batch_size=5, req_time=100, drop_rate=0.5
    )
    payloads = [r.payload for r in read_back(first, HeaderOptions())]
    batches = generator.batches()
    assert payloads == [*next(batches), *next(batches)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kafka-dump", "--no-sort-id"], "--kafka-dump needs --sort-id: its field follows the sort id"),
        (["--kafka-dump", "--kafka-dump-prefix"], "--kafka-dump and --kafka-dump-prefix cannot be used together"),
        (["--lagrangex", "--kafka-dump"], "--lagrangex cannot be combined with --kafka-dump or --kafka-dump-prefix: a lagrangex header has no other fields"),
        (["--source", "abc"], "--source needs --lagrangex: only a lagrangex header holds it"),
        (["--num-batch", "0"], "Invalid value for '--num-batch': 0 is not in the range x>=1."),
        (["--compression", "lz4"], "Invalid value for '--compression': 'lz4' is not one of 'none', 'gzip', 'zlib', 'snappy', 'zstd'."),
    ],
)  # fmt: skip
def test_refused_options_exit_2(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    path = tmp_path / "d.bin"
    result = run(runner, "datafile", "--out", str(path), *args)
    assert result.exit_code == 2
    assert f"Error: {message}" in result.stderr
    assert not path.exists()


def test_binary_is_not_written_to_a_terminal(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import monogen.cli.common as command

    class Terminal:
        stdout = type("Out", (), {"isatty": staticmethod(lambda: True)})()

    monkeypatch.setattr(command, "sys", Terminal)
    result = run(runner, "datafile", "--num-batch", "1")
    assert result.exit_code == 2
    assert (
        "Error: refusing to write binary output to a terminal; give --out FILE or pipe it"
        in result.stderr
    )
    assert result.stdout == ""


def test_failure_mid_stream_leaves_no_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monogen.errors import MonogenError

    calls = {"n": 0}
    original = datafile.DataFileWriter.write_many

    def failing_write(self: datafile.DataFileWriter, payloads: Sequence[bytes]) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # the third batch
            raise MonogenError("disk on fire")
        original(self, payloads)

    monkeypatch.setattr(datafile.DataFileWriter, "write_many", failing_write)
    path = tmp_path / "d.bin"
    result = run(runner, "datafile", "--num-batch", "5", "--out", str(path))
    assert result.exit_code == 1
    assert "Error: disk on fire" in result.stderr
    assert list(tmp_path.iterdir()) == []  # neither the target nor a temporary file


def test_existing_file_needs_force(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "d.bin"
    path.write_bytes(b"keep")
    result = run(runner, "datafile", "--num-batch", "1", "--out", str(path))
    assert result.exit_code == 1
    assert f"Error: {path} exists; pass --force to overwrite it" in result.stderr
    assert path.read_bytes() == b"keep"
    assert (
        run(runner, "datafile", *FIXED, "--num-batch", "1", "--out", str(path), "--force").exit_code
        == 0
    )
    assert len(read_back(path, HeaderOptions())) == 64


# --------------------------------------------------------------------------- inspect


@pytest.fixture
def small(runner: CliRunner, tmp_path: Path) -> Path:
    """A sort-id data file of 2 batches x 3 Instances."""
    path = tmp_path / "s.bin"
    write_file(runner, path, "--num-batch", "2", "--batch-size", "3")
    return path


def record_offsets(path: Path) -> list[int]:
    return [r.offset for r in read_back(path, HeaderOptions())]


def test_inspect_truncated(runner: CliRunner, small: Path) -> None:
    data = small.read_bytes()
    small.write_bytes(data[:-5])
    last = record_offsets_of(data)[-1]
    length = len(data) - last - 16
    result = run(runner, "inspect", str(small))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {small}: record 5 at offset {last}: payload length {length} runs past the end"
        f" of the data ({length - 5} bytes left) (reading with header sort_id)\n"
    )
    assert (
        result.stdout.splitlines()[0] == f"{small}: stopped at a bad record after 5 sound records"
    )


def record_offsets_of(data: bytes) -> list[int]:
    offsets, at = [], 0
    while at < len(data):
        offsets.append(at)
        (length,) = struct.unpack_from("<Q", data, at + 8)
        at += 16 + length
    return offsets


def test_inspect_garbage_length(runner: CliRunner, small: Path) -> None:
    data = bytearray(small.read_bytes())
    second = record_offsets_of(bytes(data))[1]
    data[second + 8 : second + 16] = u64(0xFEFEFEFE)
    small.write_bytes(bytes(data))
    result = run(runner, "inspect", str(small), "--keep-going")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {small}: record 1 at offset {second}: payload length 0xfefefefe is Monolith's"
        " corrupt-record marker (reading with header sort_id)\n"
    )
    assert result.stdout.splitlines()[0] == (
        f"{small}: 1 bad and 1 sound records; a framing error ended the reading"
    )


def test_inspect_corrupt_payloads_keep_going(runner: CliRunner, small: Path) -> None:
    data = bytearray(small.read_bytes())
    offsets = record_offsets_of(bytes(data))
    for index in (1, 4):
        data[offsets[index] + 16] = 0x0F  # first tag byte: wire type 7 does not exist
    small.write_bytes(bytes(data))
    expected = [
        f"{small}: record {i} at offset {offsets[i]}: does not parse as Instance" for i in (1, 4)
    ]
    result = run(runner, "inspect", str(small))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {expected[0]}\n"
    result = run(runner, "inspect", str(small), "--keep-going")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {expected[0]} (and 1 more bad record)\n"
    lines = result.stdout.splitlines()
    assert lines[0] == f"{small}: 2 bad and 4 sound records"
    assert lines[lines.index("bad records (2):") + 1 :][:2] == [f"  {e}" for e in expected]


def test_inspect_empty_file(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    result = run(runner, "inspect", str(path))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {path}: empty input, nothing to verify\n"
    assert result.stdout.splitlines()[0] == f"{path}: empty, no records"


def test_inspect_stdin(runner: CliRunner, small: Path) -> None:
    result = run(runner, "inspect", "-", stdin=small.read_bytes())
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "stdin: 6 sound records"
    result = run(runner, "inspect", "-", stdin=small.read_bytes()[:-1])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: stdin: record 5 at offset ")


def test_inspect_wrong_header_options_says_so_and_hints(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "k.bin"
    write_file(runner, path, "--num-batch", "1", "--batch-size", "2", "--kafka-dump-prefix")
    result = run(runner, "inspect", str(path), "--sort-id")
    assert result.exit_code == 1
    assert "(reading with header sort_id)" in result.stderr
    assert "hint: the first records read cleanly with --kafka-dump-prefix" in result.stdout
    assert run(runner, "inspect", str(path), "--kafka-dump-prefix").exit_code == 0
    detected = run(runner, "inspect", str(path))
    assert detected.exit_code == 0
    assert detected.stdout.splitlines()[1] == (
        "  format       Monolith data file, header sort_id+kafka_dump_prefix (detected)"
    )


def test_inspect_refuses_bad_header_flags(runner: CliRunner, small: Path) -> None:
    result = run(runner, "inspect", str(small), "--kafka-dump", "--no-sort-id")
    assert result.exit_code == 2
    assert "Error: --kafka-dump needs --sort-id: its field follows the sort id" in result.stderr


def test_inspect_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, "inspect", str(tmp_path / "nope.bin"))
    assert result.exit_code == 1
    assert (
        result.stderr == f"Error: cannot read {tmp_path / 'nope.bin'}: No such file or directory\n"
    )


def test_inspect_show_text(runner: CliRunner, small: Path) -> None:
    result = run(runner, "inspect", str(small), "--show", "2")
    assert result.exit_code == 0
    text = result.stdout.split(f"{small}: 6 sound records")[0]
    chunks = re.split(r"^# record \d+ at offset \d+\n", text, flags=re.M)
    assert re.findall(r"^# record (\d+) at offset (\d+)$", text, flags=re.M) == [
        ("0", "0"),
        ("1", str(record_offsets(small)[1])),
    ]
    payloads = [r.payload for r in read_back(small, HeaderOptions())]
    for chunk, payload in zip(chunks[1:], payloads, strict=False):
        parsed = text_format.Parse(chunk, proto_parser_pb2.Instance())
        assert parsed.SerializeToString() == payload


def test_inspect_show_json_puts_the_records_in_the_document(runner: CliRunner, small: Path) -> None:
    result = run(runner, "inspect", str(small), "--show", "3", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    shown = [entry["message"] for entry in document["shown"]]
    assert len(shown) == 3
    assert {row["line_id"]["req_time"] for row in shown} == {"100"}  # int64 as a JSON string
    assert result.stderr == ""
    quiet = run(runner, "inspect", str(small), "--show", "1", "--json", "-q")
    assert quiet.stderr == "" and len(json.loads(quiet.stdout)["shown"]) == 1


def test_inspect_warmup_file(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "w.tfrecord"
    result = run(
        runner, "warmup", "--seed", "1", "-q", "--variant", "instance", "--batch-size", "4",
        "--max-records", "12", "--signature", "a", "--out", str(path),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    result = run(runner, "inspect", str(path))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.splitlines()[:3] == [
        f"{path}: 3 sound records",
        "  format       TFRecord",
        "  record type  PredictionLog, a warmup file (detected)",
    ]
    assert "signatures: a (2 logs), serving_default (1 log)" in out
    assert "records per request: 4 (3 logs)" in out
    assert "records in the requests: Instance" in out


def test_inspect_tfrecord_with_header_flags_notes_they_are_ignored(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "e.tfrecord"
    assert (
        run(runner, "example", *FIXED, "-n", "3", "-f", "tfrecord", "-o", str(path)).exit_code == 0
    )
    result = run(runner, "inspect", str(path), "--kafka-dump")
    assert result.exit_code == 0
    assert "note: the header flags are ignored, the file is a TFRecord" in result.stderr
    assert result.stdout.splitlines()[0] == f"{path}: 3 sound records"


def test_inspect_fill_rates_follow_the_schema(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "e.bin"
    write_file(
        runner, path, "--variant", "example", "--num-batch", "1", "--batch-size", "8",
        "--slots", "1,7", "--dense", "emb:4", "--extra", "actions:2", "--drop-rate", "0",
    )  # fmt: skip
    out = run(runner, "inspect", str(path)).stdout
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("  ")}
    # 8 rows, one uniform 48-bit id each: 8 distinct, the top one (1 %) is 1/8 of them
    assert rows["slot_1"] == ["slot_1", "fid_v2_list", "100.0%", "1.0", "1", "8", "12.5%"]
    assert rows["slot_7"] == ["slot_7", "fid_v2_list", "100.0%", "1.0", "7", "8", "12.5%"]
    assert rows["emb"] == ["emb", "float_list", "100.0%", "4.0", "-", "-", "-"]
    assert rows["actions"] == ["actions", "100.0%", "2.0"]
