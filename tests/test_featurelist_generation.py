"""A 1,000-feature list in Monolith's own style, through every generating command.

With ``--feature-list`` and no feature options, every feature of the list is
generated on the slot Monolith's lookup gives it: Examples and ExampleBatches carry
all of them as fid v2 (``NamedFeature.id`` / ``NamedFeatureList.id`` = slot);
Instances carry the fid-v1 features in ``Instance.fid`` (one entry per slot) and the
fid-v2 ones as feature columns. The expected slots come from the test helper that
wrote the list, not from the parser under test.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from monolith_lists import Expected, write_monolith_feature_list

from monogen.cli import cli
from monogen.gen import fids
from monogen.io import datafile
from monogen.io.tfrecord import read_records
from monogen.proto import example_pb2, prediction_log_pb2, proto_parser_pb2

FIXED = ["--seed", "3", "--req-time", "100"]


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Expected]]:
    path = tmp_path_factory.mktemp("fl") / "feature_list.conf"
    return path, write_monolith_feature_list(path)


def invoke(*args: str) -> None:
    result = CliRunner().invoke(cli, [*args, *FIXED, "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def frames(data: bytes) -> Iterator[bytes]:
    """Header-less data-file framing: an 8-byte little-endian length, then the payload."""
    offset = 0
    while offset < len(data):
        (size,) = struct.unpack_from("<Q", data, offset)
        yield data[offset + 8 : offset + 8 + size]
        offset += 8 + size


def check_example(example: example_pb2.Example, expected: list[Expected]) -> None:
    assert [(nf.name, nf.id) for nf in example.named_feature] == [
        (e.name, e.slot) for e in expected
    ]
    for nf in example.named_feature:
        assert all(fid >> fids.HASH_BITS_V2 == nf.id for fid in nf.feature.fid_v2_list.value)


def check_batch(batch: example_pb2.ExampleBatch, expected: list[Expected]) -> None:
    sparse = [(fl.name, fl.id) for fl in batch.named_feature_list][: len(expected)]
    assert sparse == [(e.name, e.slot) for e in expected]


def check_instance(instance: proto_parser_pb2.Instance, expected: list[Expected]) -> None:
    v1_slots = {e.slot for e in expected if e.version == 1}
    v2 = {e.name: e.slot for e in expected if e.version == 2}
    assert {fid >> fids.HASH_BITS_V1 for fid in instance.fid} <= v1_slots
    assert [f.name for f in instance.feature] == list(v2)
    for column in instance.feature:
        assert all(fid >> fids.HASH_BITS_V2 == v2[column.name] for fid in column.fid)


def test_example_command(listed: tuple[Path, list[Expected]], tmp_path: Path) -> None:
    path, expected = listed
    out = tmp_path / "ex.bin"
    invoke("example", "--feature-list", str(path), "-n", "2", "-f", "binary", "-o", str(out))
    records = [example_pb2.Example.FromString(p) for p in frames(out.read_bytes())]
    assert len(records) == 2
    for record in records:
        check_example(record, expected)


def test_instance_command(listed: tuple[Path, list[Expected]], tmp_path: Path) -> None:
    path, expected = listed
    out = tmp_path / "in.bin"
    invoke("instance", "--feature-list", str(path), "-n", "20", "-f", "binary", "-o", str(out))
    records = [proto_parser_pb2.Instance.FromString(p) for p in frames(out.read_bytes())]
    assert len(records) == 20
    for record in records:
        check_instance(record, expected)
    # Over 20 records each fid-v1 slot shows up (slots 1 and 200 always, others 0..3 fids).
    seen = {fid >> fids.HASH_BITS_V1 for r in records for fid in r.fid}
    assert seen == {e.slot for e in expected if e.version == 1}


def test_batch_command(listed: tuple[Path, list[Expected]], tmp_path: Path) -> None:
    path, expected = listed
    out = tmp_path / "b.bin"
    invoke("batch", "--feature-list", str(path), "-n", "1", "--batch-size", "3",
           "-f", "binary", "-o", str(out))  # fmt: skip
    (payload,) = frames(out.read_bytes())
    check_batch(example_pb2.ExampleBatch.FromString(payload), expected)


@pytest.mark.parametrize("variant", ["example", "instance", "example_batch"])
def test_datafile_command(
    listed: tuple[Path, list[Expected]], tmp_path: Path, variant: str
) -> None:
    path, expected = listed
    out = tmp_path / "d.bin"
    invoke("datafile", "--feature-list", str(path), "--variant", variant,
           "--num-batch", "2", "--batch-size", "2", "--out", str(out))  # fmt: skip
    with out.open("rb") as fo:
        payloads = [r.payload for r in datafile.read(fo)]
    assert payloads
    for payload in payloads:
        if variant == "example":
            check_example(example_pb2.Example.FromString(payload), expected)
        elif variant == "instance":
            check_instance(proto_parser_pb2.Instance.FromString(payload), expected)
        else:
            check_batch(example_pb2.ExampleBatch.FromString(payload), expected)


@pytest.mark.parametrize("variant", ["example", "instance", "example_batch"])
def test_warmup_command(listed: tuple[Path, list[Expected]], tmp_path: Path, variant: str) -> None:
    path, expected = listed
    out = tmp_path / "w.tfrecord"
    invoke("warmup", "--feature-list", str(path), "--variant", variant,
           "--batch-size", "2", "--max-records", "4", "--out", str(out))  # fmt: skip
    with out.open("rb") as fo:
        logs = [prediction_log_pb2.PredictionLog.FromString(r) for r in read_records(fo)]
    assert len(logs) == 2
    for log in logs:
        (tensor,) = log.predict_log.request.inputs.values()
        for payload in tensor.string_val:
            if variant == "example":
                check_example(example_pb2.Example.FromString(payload), expected)
            elif variant == "instance":
                check_instance(proto_parser_pb2.Instance.FromString(payload), expected)
            else:
                check_batch(example_pb2.ExampleBatch.FromString(payload), expected)
