"""Generating data files: ``datafile.generate`` streams, ``gen_random_data_file`` is the original's.

Expected header bytes are worked out by hand from docs/formats.md §5
(javahash("abc") = 96354 = 0x00017862); records are read back with
``datafile.read`` and parsed with the generated protobuf classes.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from monogen.compat import data_gen_utils
from monogen.compat.data_gen_utils import ParserArgs, gen_random_data_file
from monogen.errors import HeaderOptionsError
from monogen.gen.generator import RecordGenerator
from monogen.gen.schema import Schema
from monogen.io import datafile
from monogen.io.datafile import GenerateSummary, HeaderOptions, generate, read
from monogen.proto import example_pb2, proto_parser_pb2

ABC_LAGRANGEX = bytes.fromhex("0062780100000000")
ABC_DATA_SOURCE_KEY = 0x01786200  # 96354 << 8, within 32 bits


class CountingSource:
    """A BatchSource that records how many batches were drawn when ``fo`` first gets bytes."""

    def __init__(self, batch: Sequence[bytes]) -> None:
        self.batch = batch
        self.drawn = 0

    def batches(self) -> Iterator[Sequence[bytes]]:
        while True:
            self.drawn += 1
            yield self.batch


class WatchingFile(io.BytesIO):
    def __init__(self, source: CountingSource) -> None:
        super().__init__()
        self.source = source
        self.drawn_at_first_write: int | None = None

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.drawn_at_first_write is None:
            self.drawn_at_first_write = self.source.drawn
        return super().write(data)


# --------------------------------------------------------------------------- generate


def test_generate_draws_one_batch_before_writing_and_no_more_than_asked() -> None:
    source = CountingSource([b"a", b"bb"])
    out = WatchingFile(source)
    summary = generate(out, source, num_batch=1000)
    assert out.drawn_at_first_write == 1  # bytes reach the file after one batch, not 1000
    assert source.drawn == 1000  # islice stops without drawing a 1001st batch
    assert summary == GenerateSummary(records=2000, batches=1000, bytes=1000 * (16 + 1 + 16 + 2))


def test_generate_reports_progress_per_batch() -> None:
    steps: list[int] = []
    generate(io.BytesIO(), CountingSource([b"x"]), num_batch=3, progress=steps.append)
    assert steps == [1, 1, 1]


def test_generate_zero_batches_writes_nothing() -> None:
    out = io.BytesIO()
    assert generate(out, CountingSource([b"x"]), num_batch=0) == GenerateSummary(0, 0, 0)
    assert out.getvalue() == b""
    with pytest.raises(ValueError, match="num_batch must be >= 0, not -1"):
        generate(out, CountingSource([b"x"]), num_batch=-1)


def test_generate_with_a_real_generator_and_lagrangex_source() -> None:
    schema = Schema.build(fidv1_slots=[1, 2], fidv2=["slot_3"])
    generator = RecordGenerator(schema, "instance", seed=3, batch_size=4, req_time=100)
    out = io.BytesIO()
    summary = generate(
        out,
        generator,
        num_batch=2,
        header=HeaderOptions(lagrangex=True),
        source_name="abc",
    )
    assert summary.records == 8 and summary.batches == 2
    data = out.getvalue()
    assert data[:8] == ABC_LAGRANGEX
    records = list(read(io.BytesIO(data), header=HeaderOptions(lagrangex=True)))
    assert len(records) == 8
    assert {r.data_source_key for r in records} == {ABC_DATA_SOURCE_KEY}
    for record in records:
        instance = proto_parser_pb2.Instance.FromString(record.payload)
        assert {f >> 54 for f in instance.fid} <= {1, 2}
        assert [f.name for f in instance.feature] == ["slot_3"]
        assert instance.line_id.req_time == 100


# --------------------------------------------------------------------------- gen_random_data_file


def example_args(**kwargs: object) -> ParserArgs:
    settings: dict[str, object] = {
        "sparse_features": ["slot_1", "slot_5"],
        "dense_features": ["ctr"],
        "dense_feature_shapes": [2],
        "batch_size": 3,
        "variant_type": "example",
        "seed": 11,
        "req_time": 1000,
    }
    settings.update(kwargs)
    return ParserArgs(**settings)  # type: ignore[arg-type]


def test_lg_header_and_sort_header_are_re_exported() -> None:
    assert data_gen_utils.lg_header is datafile.lg_header
    assert data_gen_utils.sort_header is datafile.sort_header
    assert data_gen_utils.lg_header("abc") == ABC_LAGRANGEX
    assert data_gen_utils.sort_header(False, False, False) == b""  # as the original
    assert data_gen_utils.sort_header(True, True, False) == bytes(16)
    with pytest.raises(HeaderOptionsError):
        data_gen_utils.sort_header(True, True, True)
    for name in ("gen_random_data_file", "lg_header", "sort_header"):
        assert name in data_gen_utils.__all__


@pytest.mark.parametrize(
    ("kwargs", "header", "prefix"),
    [
        ({}, HeaderOptions(), bytes(8)),
        ({"kafka_dump": True}, HeaderOptions(kafka_dump=True), bytes(16)),
        ({"kafka_dump_prefix": True}, HeaderOptions(kafka_dump_prefix=True), bytes(24)),
        ({"sort_id": False, "source": "abc"}, HeaderOptions(lagrangex=True), ABC_LAGRANGEX),
        ({"sort_id": False}, HeaderOptions(lagrangex=True), bytes(8)),
    ],
)
def test_gen_random_data_file_headers(
    tmp_path: Path, kwargs: dict[str, object], header: HeaderOptions, prefix: bytes
) -> None:
    path = tmp_path / "sub" / "d.bin"  # parent created, unlike the original
    summary = gen_random_data_file(str(path), example_args(), 4, **kwargs)  # type: ignore[arg-type]
    assert summary == GenerateSummary(12, 4, path.stat().st_size)
    data = path.read_bytes()
    assert data.startswith(prefix)
    (length,) = struct.unpack_from("<Q", data, len(prefix))
    example_pb2.Example.FromString(data[len(prefix) + 8 : len(prefix) + 8 + length])
    with path.open("rb") as fo:
        records = list(read(fo, header=header))
    assert len(records) == 12
    for record in records:
        example = example_pb2.Example.FromString(record.payload)
        names = [f.name for f in example.named_feature]
        assert names == ["slot_1", "slot_5", "ctr"]
        assert len(example.named_feature[2].feature.float_list.value) == 2
        assert example.line_id.req_time == 1000


@pytest.mark.parametrize(
    ("variant", "message", "per_batch"),
    [
        ("example", example_pb2.Example, 3),
        ("instance", proto_parser_pb2.Instance, 3),
        ("example_batch", example_pb2.ExampleBatch, 1),
        (None, example_pb2.ExampleBatch, 1),  # the original's fall-through branch
    ],
)
def test_gen_random_data_file_variants(
    tmp_path: Path, variant: str | None, message: type, per_batch: int
) -> None:
    args = example_args(variant_type=variant, fidv1_features=[1, 2], fidv2_features=["slot_7"])
    path = tmp_path / "d.bin"
    gen_random_data_file(path, args, num_batch=5)
    with path.open("rb") as fo:
        payloads = [r.payload for r in read(fo)]
    assert len(payloads) == 5 * per_batch
    parsed = [message.FromString(p) for p in payloads]
    if message is example_pb2.ExampleBatch:
        assert {b.batch_size for b in parsed} == {3}
    if message is proto_parser_pb2.Instance:
        assert {f.name for inst in parsed for f in inst.feature} == {"slot_7", "ctr"}


def test_gen_random_data_file_is_reproducible_and_uses_actions(tmp_path: Path) -> None:
    first, second = tmp_path / "a.bin", tmp_path / "b.bin"
    args = example_args(extra_features=["actions"], extra_feature_shapes=[3])
    gen_random_data_file(first, args, 6, actions=[7, 9])
    gen_random_data_file(second, args, 6, actions=[7, 9])
    assert first.read_bytes() == second.read_bytes()
    with first.open("rb") as fo:
        actions = [
            a for r in read(fo) for a in example_pb2.Example.FromString(r.payload).line_id.actions
        ]
    assert len(actions) == 6 * 3 * 3
    assert set(actions) == {7, 9}


def test_gen_random_data_file_compressed(tmp_path: Path) -> None:
    path = tmp_path / "d.bin"
    gen_random_data_file(path, example_args(variant_type="instance"), 1, compression="gzip")
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    with path.open("rb") as fo:
        assert len(list(read(fo))) == 3


@pytest.mark.parametrize("flag", ["kafka_dump", "kafka_dump_prefix"])
def test_kafka_options_without_sort_id_are_refused(tmp_path: Path, flag: str) -> None:
    path = tmp_path / "d.bin"
    with pytest.raises(HeaderOptionsError, match="sort_id=False writes a lagrangex header"):
        gen_random_data_file(path, example_args(), 1, sort_id=False, **{flag: True})  # type: ignore[arg-type]
    assert not path.exists()
