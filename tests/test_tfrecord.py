"""TFRecord framing: known answers, TensorFlow's files, corruption, truncation, streams."""

from __future__ import annotations

import importlib.util
import io
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import crc32c
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monogen.errors import (
    CompressionError,
    CorruptRecordError,
    MonogenError,
    TruncatedRecordError,
)
from monogen.io.tfrecord import (
    WRITE_BATCH_SIZE,
    Compression,
    Frame,
    TFRecordWriter,
    frame,
    iter_frames,
    looks_like_tfrecord,
    masked_crc32c,
    read_records,
    write_records,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
COMPRESSIONS = ["none", "gzip", "zlib"]
TF_COMPRESSION_TYPE = {"none": "", "gzip": "GZIP", "zlib": "ZLIB"}
GOLDEN_FILES = {
    "none": DATA / "golden.tfrecord",
    "gzip": DATA / "golden_gzip.tfrecord",
    "zlib": DATA / "golden_zlib.tfrecord",
}


def _load_golden_script():
    path = ROOT / "tools" / "make_golden_tfrecord.py"
    spec = importlib.util.spec_from_file_location("make_golden_tfrecord", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_golden_tfrecord"] = module
    spec.loader.exec_module(module)
    return module


GOLDEN_RECORDS = _load_golden_script().golden_records()


class NonSeekable(io.RawIOBase):
    """A pipe-like stream: no seek or tell, and reads return at most ``chunk`` bytes."""

    def __init__(self, data: bytes = b"", chunk: int = 7) -> None:
        super().__init__()
        self._data = io.BytesIO(data)
        self._chunk = chunk
        self.written = bytearray()

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def seek(self, *args: object) -> int:
        raise io.UnsupportedOperation("seek")

    def tell(self) -> int:
        raise io.UnsupportedOperation("tell")

    def readinto(self, buffer) -> int:
        data = self._data.read(min(len(buffer), self._chunk))
        buffer[: len(data)] = data
        return len(data)

    def write(self, data) -> int:
        self.written += data
        return len(data)


def _roundtrip(records: list[bytes], compression: str = "none") -> list[bytes]:
    buffer = io.BytesIO()
    write_records(buffer, records, compression=compression)
    return list(read_records(io.BytesIO(buffer.getvalue()), compression=compression))


def _framed(records: list[bytes]) -> bytes:
    buffer = io.BytesIO()
    write_records(buffer, records)
    return buffer.getvalue()


# --------------------------------------------------------------------------- known answers


def test_crc32c_check_value() -> None:
    # The standard CRC-32C check value (RFC 3720, appendix B.4).
    assert crc32c.crc32c(b"123456789") == 0xE3069283


def test_masked_crc_by_hand() -> None:
    crc = 0xE3069283  # crc32c(b"123456789")
    # rotate right by 15: low 15 bits move to the top.
    #   crc >> 15          = 0x0001C60D
    #   (crc << 17) mod 2**32: low 15 bits 0x1283 << 17 = 0x25060000
    #   rotated            = 0x0001C60D | 0x25060000 = 0x2507C60D
    # plus the delta:      0x2507C60D + 0xA282EAD8 = 0xC78AB0E5 (no carry out of 32 bits)
    assert crc >> 15 == 0x0001C60D
    assert (crc << 17) & 0xFFFFFFFF == 0x25060000
    assert masked_crc32c(b"123456789") == 0xC78AB0E5


def test_masked_crc_wraps_mod_2_32() -> None:
    # crc32c(b"") == 0, so masked == 0 + delta; crc32c(b"a") needs the modulo:
    #   crc32c(b"a") = 0xC1D04330; rotated = (0xC1D04330 >> 15) | (0x4330 << 17)
    #   = 0x000183A0 | 0x86600000 = 0x866183A0; + 0xA282EAD8 = 0x1_28E46E78 -> 0x28E46E78
    assert masked_crc32c(b"") == 0xA282EAD8
    assert crc32c.crc32c(b"a") == 0xC1D04330
    assert masked_crc32c(b"a") == 0x28E46E78


@settings(max_examples=300)
@given(st.binary(min_size=8, max_size=8), st.integers(0, 0xFFFFFFFF))
def test_header_check_agrees_with_the_crc32c_package(length: bytes, other: int) -> None:
    # The header check computes the length CRC itself; the crc32c package is the judge.
    crc = (crc32c.crc32c(length) >> 15 | crc32c.crc32c(length) << 17) + 0xA282EAD8
    header = length + struct.pack("<I", crc & 0xFFFFFFFF)
    assert looks_like_tfrecord(header)
    wrong = length + struct.pack("<I", other)
    assert looks_like_tfrecord(wrong) == (other == crc & 0xFFFFFFFF)


def test_frame_bytes_by_hand() -> None:
    # Record b"a": length 1 as uint64 LE, masked crc of those 8 bytes, the data,
    # masked crc of the data (0x28E46E78 above, stored little-endian).
    length = b"\x01\x00\x00\x00\x00\x00\x00\x00"
    length_crc = masked_crc32c(length).to_bytes(4, "little")
    expected = length + length_crc + b"a" + b"\x78\x6e\xe4\x28"
    assert len(expected) == 16 + 1
    assert frame(b"a") == expected
    assert _framed([b"a"]) == expected
    # TensorFlow wrote the same bytes: golden record 1 is b"a" after the 16-byte empty record.
    assert GOLDEN_FILES["none"].read_bytes()[16 : 16 + 17] == expected


def test_empty_record_frame_matches_tensorflow() -> None:
    # length 0, crc of eight zero bytes, no data, masked crc of b"" == the delta.
    golden = GOLDEN_FILES["none"].read_bytes()
    assert frame(b"") == golden[:16]
    assert golden[:8] == bytes(8)
    assert golden[12:16] == struct.pack("<I", 0xA282EAD8)


# --------------------------------------------------------------------------- TensorFlow's files


def test_golden_records_are_as_documented() -> None:
    assert len(GOLDEN_RECORDS) == 6
    assert GOLDEN_RECORDS[0] == b""
    assert len(GOLDEN_RECORDS[4]) == 70_000 > 64 * 1024
    assert sum(path.stat().st_size for path in GOLDEN_FILES.values()) < 200_000


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_reads_tensorflow_golden_file(compression: str) -> None:
    with GOLDEN_FILES[compression].open("rb") as fo:
        assert list(read_records(fo, compression=compression)) == GOLDEN_RECORDS


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_reads_tensorflow_golden_file_from_a_pipe(compression: str) -> None:
    stream = NonSeekable(GOLDEN_FILES[compression].read_bytes(), chunk=1000)
    assert list(read_records(stream, compression=compression)) == GOLDEN_RECORDS


def test_writes_exactly_what_tensorflow_writes() -> None:
    assert _framed(GOLDEN_RECORDS) == GOLDEN_FILES["none"].read_bytes()


def test_frame_offsets_of_golden_file() -> None:
    with GOLDEN_FILES["none"].open("rb") as fo:
        frames = list(iter_frames(fo))
    expected, offset = [], 0
    for record in GOLDEN_RECORDS:
        expected.append(Frame(offset, record))
        offset += 16 + len(record)
    assert frames == expected


@pytest.mark.tf
@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_tensorflow_reads_monogen_output(tmp_path: Path, compression: str) -> None:
    tf = pytest.importorskip("tensorflow")
    path = tmp_path / f"out-{compression}.tfrecord"
    with path.open("wb") as fo:
        assert write_records(fo, GOLDEN_RECORDS, compression=compression) == len(GOLDEN_RECORDS)
    dataset = tf.data.TFRecordDataset(str(path), compression_type=TF_COMPRESSION_TYPE[compression])
    assert [tensor.numpy() for tensor in dataset] == GOLDEN_RECORDS


# --------------------------------------------------------------------------- corruption


def _flip(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


# Three records; corruption goes into record 2, whose frame starts at 16+3 + 16+5 = 40.
CORRUPT_RECORDS = [b"abc", b"defgh", b"ijklmnop"]
RECORD_2_OFFSET = 40


@pytest.mark.parametrize(
    ("position_in_frame", "message"),
    [
        (0, "length CRC mismatch"),  # low byte of the length
        (7, "length CRC mismatch"),  # high byte of the length
        (9, "length CRC mismatch"),  # inside the length CRC
        (12, "data CRC mismatch"),  # first data byte
        (12 + 7, "data CRC mismatch"),  # last data byte
        (12 + 8 + 2, "data CRC mismatch"),  # inside the data CRC
    ],
)
def test_corruption_names_record_and_offset(position_in_frame: int, message: str) -> None:
    corrupt = _flip(_framed(CORRUPT_RECORDS), RECORD_2_OFFSET + position_in_frame)
    records = read_records(io.BytesIO(corrupt))
    assert next(records) == b"abc"
    assert next(records) == b"defgh"
    with pytest.raises(CorruptRecordError) as caught:
        next(records)
    assert str(caught.value) == f"record 2 at offset {RECORD_2_OFFSET}: {message}"
    assert isinstance(caught.value, ValueError)


def test_verify_false_skips_data_crc() -> None:
    corrupt = _flip(_framed(CORRUPT_RECORDS), RECORD_2_OFFSET + 12)
    assert list(read_records(io.BytesIO(corrupt), verify=False))[2] == b"hjklmnop"


def test_corrupt_compressed_stream() -> None:
    data = GOLDEN_FILES["gzip"].read_bytes()
    with pytest.raises(CorruptRecordError, match="GZIP stream is corrupt"):
        list(read_records(io.BytesIO(data + b"not gzip"), compression="gzip"))


def test_truncated_compressed_stream() -> None:
    data = GOLDEN_FILES["zlib"].read_bytes()
    with pytest.raises(TruncatedRecordError, match="ZLIB stream ends at compressed offset"):
        list(read_records(io.BytesIO(data[: len(data) // 2]), compression="zlib"))


@pytest.mark.parametrize("compression", ["gzip", "zlib"])
def test_concatenated_compressed_streams_read_as_one(compression: str) -> None:
    # `cat a.gz b.gz` is one gzip file; TensorFlow reads both parts too.
    data = GOLDEN_FILES[compression].read_bytes()
    stream = NonSeekable(data * 2, chunk=500)
    assert list(read_records(stream, compression=compression)) == GOLDEN_RECORDS * 2


# --------------------------------------------------------------------------- truncation

TWO_RECORDS = [b"first", b"second!"]
TWO_FRAMED = _framed(TWO_RECORDS)
FIRST_END = 16 + len(b"first")


@pytest.mark.parametrize("cut", range(len(TWO_FRAMED) + 1))
def test_truncation_at_every_cut_point(cut: int) -> None:
    stream = io.BytesIO(TWO_FRAMED[:cut])
    if cut in (0, FIRST_END, len(TWO_FRAMED)):
        whole = {0: [], FIRST_END: TWO_RECORDS[:1], len(TWO_FRAMED): TWO_RECORDS}
        assert list(read_records(stream)) == whole[cut]
        return
    record, start = (0, 0) if cut < FIRST_END else (1, FIRST_END)
    with pytest.raises(TruncatedRecordError) as caught:
        list(read_records(stream))
    have = cut - start
    if have < 12:
        expected = f"record {record} at offset {start}: {have} trailing bytes are not a record (a frame header is 12 bytes)"
    else:
        total = 16 + len(TWO_RECORDS[record])
        expected = f"record {record} at offset {start}: stream ends after {have} of {total} bytes"
    assert str(caught.value) == expected
    assert isinstance(caught.value, EOFError)


def test_trailing_garbage_shorter_than_a_header() -> None:
    with pytest.raises(
        TruncatedRecordError, match=r"^record 1 at offset 21: 5 trailing bytes are not"
    ):
        list(read_records(io.BytesIO(frame(b"12345") + b"junk!")))


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_empty_file_has_zero_records(compression: str) -> None:
    # TensorFlow reads an empty file as zero records whatever the compression_type.
    assert list(read_records(io.BytesIO(b""), compression=compression)) == []


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_zero_records_written(compression: str) -> None:
    assert _roundtrip([], compression) == []


# --------------------------------------------------------------------------- round-trips

records_strategy = st.lists(st.binary(max_size=300), max_size=20)


@settings(max_examples=150, deadline=None)
@given(records=records_strategy, compression=st.sampled_from(COMPRESSIONS))
def test_roundtrip(records: list[bytes], compression: str) -> None:
    assert _roundtrip(records, compression) == records


@settings(max_examples=100, deadline=None)
@given(
    records=records_strategy,
    compression=st.sampled_from(COMPRESSIONS),
    chunk=st.integers(min_value=1, max_value=64),
)
def test_roundtrip_over_non_seekable_streams(
    records: list[bytes], compression: str, chunk: int
) -> None:
    sink = NonSeekable()
    with TFRecordWriter(sink, compression=compression) as writer:
        writer.write_all(records)
    source = NonSeekable(bytes(sink.written), chunk=chunk)
    assert list(read_records(source, compression=compression)) == records


@settings(max_examples=50, deadline=None)
@given(records=records_strategy)
def test_frame_offsets_point_at_headers(records: list[bytes]) -> None:
    framed = _framed(records)
    frames = list(iter_frames(io.BytesIO(framed)))
    assert [frame.data for frame in frames] == records
    assert all(frame.data_ok for frame in frames)
    starts = [sum(16 + len(r) for r in records[:i]) for i in range(len(records))]
    assert [frame.offset for frame in frames] == starts
    assert all(looks_like_tfrecord(framed[offset:]) for offset in starts)


# --------------------------------------------------------------------------- writer behaviour


class TrackedFile(io.BytesIO):
    def close(self) -> None:
        raise AssertionError("the writer must not close the caller's file")


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_writer_leaves_file_open(compression: str) -> None:
    fo = TrackedFile()
    with TFRecordWriter(fo, compression=compression) as writer:
        writer.write(b"x")
    assert writer.closed
    fo.write(b"")  # still usable
    assert list(read_records(io.BytesIO(fo.getvalue()), compression=compression)) == [b"x"]


def test_close_flushes_a_buffered_file() -> None:
    raw = NonSeekable()
    buffered = io.BufferedWriter(raw, buffer_size=1 << 20)
    with TFRecordWriter(buffered) as writer:
        writer.write(b"payload")
    assert bytes(raw.written) == frame(b"payload")
    assert not buffered.closed


@pytest.mark.parametrize("compression", ["gzip", "zlib"])
def test_failed_write_leaves_compressed_stream_unfinished(compression: str) -> None:
    fo = io.BytesIO()
    with pytest.raises(RuntimeError), TFRecordWriter(fo, compression=compression) as writer:
        writer.write(b"complete record")
        raise RuntimeError("generation failed")
    with pytest.raises(TruncatedRecordError, match="stream ends at compressed offset"):
        list(read_records(io.BytesIO(fo.getvalue()), compression=compression))


def test_write_after_close_is_an_error() -> None:
    writer = TFRecordWriter(io.BytesIO())
    writer.close()
    writer.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        writer.write(b"x")


def test_write_all_consumes_lazily() -> None:
    # The writer may batch frames, but never runs more than one batch ahead of the
    # file: a writer that materialised the iterable first would fail the check below.
    fo = io.BytesIO()
    record = bytes(range(256)) * 40  # 10 KiB
    frame_size = 16 + len(record)
    total = 200  # ~2 MB, several batches
    consumed: list[int] = []

    def records() -> Iterator[bytes]:
        for i in range(total):
            produced = i * frame_size
            assert produced - len(fo.getvalue()) <= WRITE_BATCH_SIZE + frame_size
            consumed.append(i)
            yield record

    with TFRecordWriter(fo) as writer:
        assert writer.write_all(records()) == total
    assert consumed == list(range(total))
    assert len(fo.getvalue()) == total * frame_size


def test_write_all_keeps_records_produced_before_a_failure() -> None:
    def records() -> Iterator[bytes]:
        yield b"abc"
        yield b"defg"
        raise RuntimeError("source failed")

    fo = io.BytesIO()
    writer = TFRecordWriter(fo)
    with pytest.raises(RuntimeError):
        writer.write_all(records())
    assert fo.getvalue() == frame(b"abc") + frame(b"defg")
    assert writer.bytes_written == (16 + 3) + (16 + 4)


def test_write_all_rejects_a_bad_record_without_a_partial_frame() -> None:
    fo = io.BytesIO()
    writer = TFRecordWriter(fo)
    with pytest.raises(TypeError):
        writer.write_all([b"ok", "not bytes"])  # type: ignore[list-item]
    assert fo.getvalue() == frame(b"ok")


def test_bytes_written_counts_uncompressed_frames() -> None:
    fo = io.BytesIO()
    with TFRecordWriter(fo, compression="gzip") as writer:
        writer.write(b"abc")
        writer.write_all([b"", b"12345"])
        assert writer.bytes_written == (16 + 3) + 16 + (16 + 5)
    assert fo.getvalue()[:2] == b"\x1f\x8b"  # gzip magic, so it really was compressed


# --------------------------------------------------------------------------- detection, options


def test_looks_like_tfrecord() -> None:
    golden = GOLDEN_FILES["none"].read_bytes()
    assert looks_like_tfrecord(golden[:12])
    assert looks_like_tfrecord(frame(b"payload"))
    assert not looks_like_tfrecord(golden[:11])
    assert not looks_like_tfrecord(_flip(golden, 9))
    assert not looks_like_tfrecord(GOLDEN_FILES["gzip"].read_bytes())
    assert not looks_like_tfrecord(b"")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, Compression.NONE),
        ("", Compression.NONE),
        ("none", Compression.NONE),
        ("GZIP", Compression.GZIP),
        ("Zlib", Compression.ZLIB),
        (Compression.GZIP, Compression.GZIP),
    ],
)
def test_compression_parse(value: Compression | str | None, expected: Compression) -> None:
    assert Compression.parse(value) is expected


def test_unknown_compression_lists_valid_names() -> None:
    with pytest.raises(CompressionError) as caught:
        TFRecordWriter(io.BytesIO(), compression="bz2")
    assert str(caught.value) == "unknown compression 'bz2'; expected one of: none, gzip, zlib"
    assert isinstance(caught.value, MonogenError)
    assert isinstance(caught.value, ValueError)
