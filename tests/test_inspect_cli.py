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
