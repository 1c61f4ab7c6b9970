"""--shards/--jobs: shard names, splitting, same bytes as one file, manifest, clean failure."""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pytest
from click.testing import CliRunner, Result

from monogen.cli import cli
from monogen.encode.dump import OutputFormat
from monogen.errors import ShardOptionsError
from monogen.gen.generator import RecordGenerator
from monogen.gen.schema import Schema
from monogen.run.local import run_local
from monogen.run.sharded import ShardedRun, write_shards
from monogen.run.shards import Span, manifest_path, shard_path, split_batches, split_name
from monogen.run.task import DataFileLayout, FramedLayout, write_shard

DATAFILE = ["datafile", "--seed", "4", "--variant", "example", "--slots", "1-8", "--dense", "d:3"]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        ("train.bin", ("train", ".bin")),
        ("data/train.tfrecord", ("data/train", ".tfrecord")),
        ("d.bin.gz", ("d", ".bin.gz")),
        ("s3://bucket/x/part.v2.bin", ("s3://bucket/x/part.v2", ".bin")),
        ("noext", ("noext", "")),
        (".hidden", (".hidden", "")),
        ("dir.d/name", ("dir.d/name", "")),
    ],
)
def test_split_name(out: str, expected: tuple[str, str]) -> None:
    assert split_name(out) == expected


def test_shard_and_manifest_names() -> None:
    assert shard_path("train.bin", 0, 4) == "train-00000-of-00004.bin"
    assert shard_path("out/d.bin.gz", 11, 12) == "out/d-00011-of-00012.bin.gz"
    assert manifest_path("out/train.bin") == "out/train.manifest.json"
    assert manifest_path("train") == "train.manifest.json"


def test_split_batches_is_contiguous_and_even() -> None:
    spans = split_batches(10 * 64 + 5, 64, 4)  # 11 batches, the last holding 5 records
    assert [s.batches for s in spans] == [3, 3, 3, 2]
    assert [s.first_batch for s in spans] == [0, 3, 6, 9]
    assert [s.records for s in spans] == [192, 192, 192, 64 + 5]
    assert split_batches(3, 1, 5) == [Span(0, 1, 1), Span(1, 1, 1), Span(2, 1, 1),
                                      Span(3, 0, 0), Span(3, 0, 0)]  # fmt: skip
    with pytest.raises(ShardOptionsError, match=r"^shards must be within \[1, 99999\], not 0$"):
        split_batches(3, 1, 0)


def test_too_many_shards_names_the_flag(tmp_path: Path) -> None:
    result = invoke(*DATAFILE, "--shards", "100000", "-o", str(tmp_path / "t.bin"))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: --shards must be within [1, 99999], not 100000"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_datafile_shards_concatenate_to_the_one_file_output(tmp_path: Path, jobs: str) -> None:
    one = invoke(*DATAFILE, "--num-batch", "7", "--kafka-dump", "-o", str(tmp_path / "one.bin"))
    assert one.exit_code == 0, one.stderr
    out = tmp_path / "sh" / "train.bin"
    result = invoke(*DATAFILE, "--num-batch", "7", "--kafka-dump", "--shards", "3",
                    "--jobs", jobs, "-o", str(out))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    names = [f"train-0000{i}-of-00003.bin" for i in range(3)]
    assert files(out.parent) == [*names, "train.manifest.json"]
    joined = b"".join((out.parent / name).read_bytes() for name in names)
    assert joined == (tmp_path / "one.bin").read_bytes()

    manifest = json.loads((out.parent / "train.manifest.json").read_text())
    assert manifest["generator"]["seed"] == 4
    assert manifest["layout"] == {
        "format": "datafile", "header": "sort_id+kafka_dump", "source": None, "compression": "none"
    }  # fmt: skip
    assert manifest["options"]["shards"] == 3 and manifest["options"]["kafka_dump"] is True
    for entry, name, batches in zip(manifest["shards"], names, (3, 2, 2), strict=True):
        data = (out.parent / name).read_bytes()
        assert entry == {
            "path": name,
            "batches": batches,
            "records": batches * 64,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    verified = invoke("inspect", "--manifest", str(out.parent / "train.manifest.json"))
    assert verified.exit_code == 0, verified.output
    assert "3 shards verified, 448 records" in verified.stdout


def test_tfrecord_shards_concatenate_to_the_one_file_output(tmp_path: Path) -> None:
    args = ["instance", "--seed", "2", "-n", "150", "--batch-size", "16", "-f", "tfrecord"]
    assert invoke(*args, "-o", str(tmp_path / "one.tfrecord")).exit_code == 0
    result = invoke(*args, "--shards", "4", "--jobs", "2", "-o", str(tmp_path / "i.tfrecord"))
    assert result.exit_code == 0, result.stderr
    joined = b"".join((tmp_path / f"i-0000{i}-of-00004.tfrecord").read_bytes() for i in range(4))
    assert joined == (tmp_path / "one.tfrecord").read_bytes()
    manifest = json.loads((tmp_path / "i.manifest.json").read_text())
    assert [s["records"] for s in manifest["shards"]] == [48, 48, 32, 22]  # 10 batches of 16
    assert invoke("inspect", "--manifest", str(tmp_path / "i.manifest.json")).exit_code == 0


def test_gzip_shards_are_each_a_gzip_file_of_the_same_records(tmp_path: Path) -> None:
    plain = tmp_path / "plain.bin"
    assert invoke(*DATAFILE, "--num-batch", "5", "-o", str(plain)).exit_code == 0
    out = tmp_path / "z.bin.gz"
    result = invoke(*DATAFILE, "--num-batch", "5", "--compression", "gzip", "--shards", "2",
                    "--jobs", "1", "-o", str(out))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    shards = [tmp_path / f"z-0000{i}-of-00002.bin.gz" for i in range(2)]
    assert b"".join(gzip.decompress(p.read_bytes()) for p in shards) == plain.read_bytes()
    assert invoke("inspect", "--manifest", str(tmp_path / "z.manifest.json")).exit_code == 0


def test_more_shards_than_batches_gives_empty_shards(tmp_path: Path) -> None:
    result = invoke(*DATAFILE, "--num-batch", "2", "--shards", "3", "--jobs", "1",
                    "-o", str(tmp_path / "t.bin"))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "t-00002-of-00003.bin").read_bytes() == b""
    assert invoke("inspect", "--manifest", str(tmp_path / "t.manifest.json")).exit_code == 0


def test_inspect_manifest_reports_a_changed_and_a_missing_shard(tmp_path: Path) -> None:
    result = invoke(*DATAFILE, "--num-batch", "4", "--shards", "3", "--jobs", "1",
                    "-o", str(tmp_path / "t.bin"))  # fmt: skip
    assert result.exit_code == 0
    first = tmp_path / "t-00000-of-00003.bin"
    data = bytearray(first.read_bytes())
    data[-1] ^= 0xFF  # same size and framing, other bytes
    first.write_bytes(bytes(data))
    (tmp_path / "t-00002-of-00003.bin").unlink()
    verified = invoke("inspect", "--manifest", str(tmp_path / "t.manifest.json"))
    assert verified.exit_code == 1
    lines = verified.stderr.splitlines()
    assert lines[0] == f"{first}: SHA-256 differs from the manifest's"
    assert lines[1].startswith(f"{tmp_path / 't-00002-of-00003.bin'}: cannot read")
    assert (
        lines[-1]
        == f"Error: {tmp_path / 't.manifest.json'}: 2 of 3 shards do not match the manifest"
    )


def test_inspect_manifest_reports_a_truncated_shard(tmp_path: Path) -> None:
    assert invoke("example", "--seed", "1", "-n", "20", "--batch-size", "5", "-f", "tfrecord", "--shards", "2",
                  "--jobs", "1", "-o", str(tmp_path / "e.tfrecord")).exit_code == 0  # fmt: skip
    shard = tmp_path / "e-00001-of-00002.tfrecord"
    shard.write_bytes(shard.read_bytes()[:-3])
    verified = invoke("inspect", "--manifest", str(tmp_path / "e.manifest.json"))
    assert verified.exit_code == 1
    assert verified.stderr.startswith(f"{shard}: record 9 at offset 4347: stream ends after")


def test_inspect_manifest_refuses_a_file_that_is_not_one(tmp_path: Path) -> None:
    bogus = tmp_path / "m.json"
    bogus.write_text("[1, 2]")
    result = invoke("inspect", "--manifest", str(bogus))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {bogus}: not a monogen manifest (no shard list)\n"


def test_existing_shard_is_refused_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "t-00001-of-00002.bin").write_bytes(b"keep")
    result = invoke(*DATAFILE, "--shards", "2", "-o", str(tmp_path / "t.bin"))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: {tmp_path / 't-00001-of-00002.bin'} exists; pass --force to overwrite it"
    )
    assert files(tmp_path) == ["t-00001-of-00002.bin"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["datafile", "--shards", "2", "-o", "-"],
         "--shards writes files; give --out NAME (shards are NAME-*)"),
        (["example", "--shards", "2", "-f", "json", "-o", "x.json"],
         "--shards needs --format binary or tfrecord"),
        (["datafile", "--engine", "dask", "-o", "x.bin"],
         "--engine dask runs shards; give --shards N"),
        (["batch", "-f", "tfrecord", "--shards", "2", "--engine", "dask", "-o", "x.tfrecord"],
         "--engine dask needs --scheduler ADDRESS (a running Dask scheduler)"),
    ],
)  # fmt: skip
def test_sharding_usage_errors(args: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: {message}"


# --------------------------------------------------------------------------- library

SCHEMA = Schema.build(sparse=["slot_1", "slot_2"], dense=["ctr:2"])


def make_run(out: Path, layout: object = None, *, shards: int = 4) -> ShardedRun:
    generator = RecordGenerator(SCHEMA, "example", seed=8, batch_size=8, req_time=5)
    return ShardedRun(str(out), generator, layout or DataFileLayout(), shards, 8 * 10)  # type: ignore[arg-type]


def test_one_shard_can_be_regenerated_alone(tmp_path: Path) -> None:
    run = make_run(tmp_path / "full" / "t.bin")
    manifest = write_shards(run, lambda tasks, advance: run_local(tasks, advance, jobs=2))
    again = make_run(tmp_path / "again" / "t.bin").tasks()[2]
    entry = write_shard(again)
    assert entry == manifest.shards[2]
    name = "t-00002-of-00004.bin"
    assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "full" / name).read_bytes()


def test_progress_from_workers_adds_up_to_the_whole_run(tmp_path: Path) -> None:
    run = make_run(tmp_path / "t.tfrecord", FramedLayout(OutputFormat.TFRECORD))
    steps: list[int] = []
    write_shards(
        run, lambda tasks, advance: run_local(tasks, advance, jobs=2), advance=steps.append
    )
    assert sum(steps) == run.units == 80


@dataclass(frozen=True)
class FailingLayout(DataFileLayout):
    """A data-file layout whose shard starting at ``fail_at`` fails after writing a batch."""

    fail_at: int = 0

    def write(self, fo: BinaryIO, generator: RecordGenerator, span: Span, advance: object) -> int:
        if span.first_batch != self.fail_at:
            return super().write(fo, generator, span, advance)  # type: ignore[arg-type]
        fo.write(b"partial")
        raise OSError("disk on fire")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failed_shard_leaves_no_shard_and_no_manifest(tmp_path: Path, jobs: int) -> None:
    run = make_run(tmp_path / "t.bin", FailingLayout(fail_at=6))  # the third of four shards
    with pytest.raises(OSError, match="disk on fire"):
        write_shards(run, lambda tasks, advance: run_local(tasks, advance, jobs=jobs))
    assert files(tmp_path) == []


def test_an_interrupted_run_leaves_no_shard_and_no_manifest(tmp_path: Path) -> None:
    run = make_run(tmp_path / "t.bin", shards=4)

    def interrupt(step: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_shards(run, lambda tasks, advance: run_local(tasks, advance, jobs=2),
                     advance=interrupt)  # fmt: skip
    assert files(tmp_path) == []


@pytest.mark.tf
def test_tensorflow_reads_the_shard_set_as_the_one_file(tmp_path: Path) -> None:
    tf = pytest.importorskip("tensorflow")
    args = ["example", "--seed", "5", "-n", "40", "--batch-size", "6", "-f", "tfrecord"]
    assert invoke(*args, "-o", str(tmp_path / "one.tfrecord")).exit_code == 0
    assert (
        invoke(*args, "--shards", "3", "--jobs", "2", "-o", str(tmp_path / "s.tfrecord")).exit_code
        == 0
    )
    shards = [str(tmp_path / f"s-0000{i}-of-00003.tfrecord") for i in range(3)]
    from_shards = [r.numpy() for r in tf.data.TFRecordDataset(shards)]
    one = [r.numpy() for r in tf.data.TFRecordDataset(str(tmp_path / "one.tfrecord"))]
    assert len(one) == 40 and from_shards == one
