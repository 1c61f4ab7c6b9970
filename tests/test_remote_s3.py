"""URLs on S3: a real S3-compatible server (moto's) on 127.0.0.1, started and stopped
here, reached through s3fs with dummy credentials; nothing leaves the machine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from monogen.cli import cli

fsspec = pytest.importorskip("fsspec")
moto_server = pytest.importorskip("moto.server")
s3fs = pytest.importorskip("s3fs")
BUCKET = "monogen-test"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh bucket; s3fs pointed at the local server with dummy credentials."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",  # never ask a cloud for credentials
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setitem(fsspec.config.conf, "s3", {"endpoint_url": s3_endpoint})
    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem(endpoint_url=s3_endpoint)
    if fs.exists(BUCKET):
        fs.rm(BUCKET, recursive=True)
    fs.mkdir(BUCKET)
    return fs


def test_s3_shards_equal_local_shards_and_verify(tmp_path: Path, s3: Any) -> None:
    local = invoke(*DATAFILE, "--shards", "3", "--jobs", "2", "-o", str(tmp_path / "t.bin"))
    assert local.exit_code == 0, local.stderr
    remote = invoke(*DATAFILE, "--shards", "3", "--jobs", "1", "-o", f"s3://{BUCKET}/d/t.bin")
    assert remote.exit_code == 0, remote.stderr
    names = [f"t-0000{i}-of-00003.bin" for i in range(3)]
    assert sorted(p.rsplit("/", 1)[1] for p in s3.ls(f"{BUCKET}/d")) == [*names, "t.manifest.json"]
    for name in names:
        assert s3.cat(f"{BUCKET}/d/{name}") == (tmp_path / name).read_bytes()
    manifest = json.loads(s3.cat(f"{BUCKET}/d/t.manifest.json"))
    assert [s["path"] for s in manifest["shards"]] == names
    verified = invoke("inspect", "--manifest", f"s3://{BUCKET}/d/t.manifest.json")
    assert verified.exit_code == 0, verified.output
    assert invoke("inspect", f"s3://{BUCKET}/d/{names[0]}").exit_code == 0


def test_s3_failed_write_leaves_no_object(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from monogen.io.output import open_output

    url = f"s3://{BUCKET}/partial.bin"
    with pytest.raises(RuntimeError, match="boom"), open_output(url) as fo:
        fo.write(b"x" * (6 << 20))  # more than a multipart part: parts go up before the failure
        fo.flush()
        raise RuntimeError("boom")
    s3.invalidate_cache()
    assert not s3.exists(url)
    assert s3.ls(BUCKET) == []
    uploads = s3.call_s3("list_multipart_uploads", Bucket=BUCKET).get("Uploads", [])
    assert uploads == []


def test_s3_warmup_from_datafile_reads_the_url(tmp_path: Path, s3: Any) -> None:
    url = f"s3://{BUCKET}/src.bin"
    assert invoke(*DATAFILE, "-o", url).exit_code == 0
    result = invoke("warmup", "--from-datafile", url, "--variant", "example",
                    "-o", str(tmp_path / "w.tfrecord"))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "w.tfrecord").stat().st_size > 0


def test_missing_s3_object_is_one_line(s3: Any) -> None:
    result = invoke("inspect", f"s3://{BUCKET}/nothing.bin")
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot read s3://{BUCKET}/nothing.bin: no such file\n"


DATAFILE = ["datafile", "--seed", "3", "--variant", "example", "--slots", "1-6", "--num-batch", "6"]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))
