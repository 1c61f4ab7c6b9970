"""--engine dask: the same shard tasks on a real Dask cluster give the local run's bytes.

The cluster is a ``distributed.LocalCluster`` with worker processes on 127.0.0.1,
started and stopped here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from monogen.cli import cli

distributed = pytest.importorskip("distributed")

ARGS = ["datafile", "--seed", "6", "--variant", "instance", "--num-batch", "9", "--shards", "3"]


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        worker_dashboard_address=None,
    ) as cluster:
        yield cluster.scheduler_address


def shard_bytes(folder: Path) -> list[bytes]:
    return [(folder / f"t-0000{i}-of-00003.bin").read_bytes() for i in range(3)]


def test_dask_shards_equal_local_shards(tmp_path: Path, scheduler: str) -> None:
    local = CliRunner().invoke(cli, [*ARGS, "--jobs", "1", "-o", str(tmp_path / "l" / "t.bin")])
    assert local.exit_code == 0, local.stderr
    remote = CliRunner().invoke(
        cli,
        [*ARGS, "--engine", "dask", "--scheduler", scheduler, "-o", str(tmp_path / "d" / "t.bin")],
    )
    assert remote.exit_code == 0, remote.stderr
    assert shard_bytes(tmp_path / "d") == shard_bytes(tmp_path / "l")
    manifests = [json.loads((tmp_path / d / "t.manifest.json").read_text()) for d in "dl"]
    for part in ("generator", "layout", "shards"):
        assert manifests[0][part] == manifests[1][part]
    verified = CliRunner().invoke(
        cli, ["inspect", "--manifest", str(tmp_path / "d" / "t.manifest.json")]
    )
    assert verified.exit_code == 0, verified.output


def test_a_failed_dask_shard_leaves_nothing(tmp_path: Path, scheduler: str) -> None:
    out = tmp_path / "t.bin"
    (tmp_path / "t-00001-of-00003.bin").mkdir()  # a worker cannot put its shard there
    result = CliRunner().invoke(
        cli, [*ARGS, "--force", "--engine", "dask", "--scheduler", scheduler, "-o", str(out)]
    )
    assert result.exit_code != 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t-00001-of-00003.bin"]
    assert (tmp_path / "t-00001-of-00003.bin").is_dir()


def test_unreachable_scheduler_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("monogen.run.dask.CONNECT_TIMEOUT", "1s")
    result = CliRunner().invoke(
        cli,
        [
            *ARGS,
            "--engine",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:9",
            "-o",
            str(tmp_path / "t.bin"),
        ],
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(
        "Error: cannot reach the Dask scheduler at tcp://127.0.0.1:9: "
    )
    assert list(tmp_path.iterdir()) == []
