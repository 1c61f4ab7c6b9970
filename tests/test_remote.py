"""URLs for --out and the readers, through fsspec: memory://, file://, and one-line
errors for unknown schemes and missing filesystems (S3 is in test_remote_s3.py)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monogen.cli import cli

fsspec = pytest.importorskip("fsspec")

DATAFILE = ["datafile", "--seed", "3", "--variant", "example", "--slots", "1-6", "--num-batch", "6"]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """hdfs:// as on a machine without its filesystem package (pyarrow)."""
    registry = importlib.import_module("fsspec.registry")
    monkeypatch.setitem(
        registry.known_implementations,
        "hdfs",
        {"class": "monogen_absent_module.HadoopFileSystem", "err": "pyarrow is required"},
    )
    monkeypatch.delitem(registry._registry, "hdfs", raising=False)


def test_out_hdfs_without_its_filesystem_is_one_line_and_writes_nothing_local(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, not_installed: None
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("example", "-n", "2", "-f", "binary", "-o", "hdfs://nn/models/w.bin")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: hdfs://nn/models/w.bin: the hdfs:// filesystem is not installed"
        " (pyarrow is required); pip install 'monogen[remote]'"
    )
    assert list(tmp_path.iterdir()) == []  # no local directory named 'hdfs:'


def test_unknown_scheme_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*DATAFILE, "-o", "nosuchfs://bucket/x.bin")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: nosuchfs://bucket/x.bin: unknown URL scheme 'nosuchfs'"
        " (with pip install 'monogen[remote]': s3://, gs://, hdfs://, memory://, file://)"
    )
    assert list(tmp_path.iterdir()) == []


def test_inspect_reads_an_unknown_scheme_as_an_error(not_installed: None) -> None:
    result = invoke("inspect", "hdfs://nn/x.bin")
    assert result.exit_code == 2
    assert "the hdfs:// filesystem is not installed" in result.stderr


def test_memory_and_file_urls_hold_the_local_bytes(tmp_path: Path) -> None:
    local = tmp_path / "local.bin"
    assert invoke(*DATAFILE, "-o", str(local)).exit_code == 0
    assert invoke(*DATAFILE, "-o", "memory://monogen-test/m.bin").exit_code == 0
    with fsspec.open("memory://monogen-test/m.bin", "rb") as fo:
        assert fo.read() == local.read_bytes()
    url = f"file://{tmp_path}/sub/f.bin"
    assert invoke(*DATAFILE, "-o", url).exit_code == 0
    assert (tmp_path / "sub" / "f.bin").read_bytes() == local.read_bytes()
    assert invoke("inspect", "memory://monogen-test/m.bin").exit_code == 0
    kept = invoke(*DATAFILE, "-o", "memory://monogen-test/m.bin")
    assert kept.exit_code == 1
    assert kept.stderr.splitlines()[-1] == (
        "Error: memory://monogen-test/m.bin exists; pass --force to overwrite it"
    )
