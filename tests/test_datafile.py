"""Monolith binary data files: headers, framing, reader semantics, errors.

Every expected header is a byte literal worked out from docs/formats.md §5; the javahash
vectors were computed with Java's own ``String.hashCode`` (OpenJDK) and printed
unsigned. Framing built by hand in these tests uses ``struct.pack("<Q", n)``.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import os
import random
import re
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PipeReader
from hypothesis import given, settings
from hypothesis import strategies as st

from monogen.errors import (
    CorruptRecordError,
    HeaderOptionsError,
    MonogenError,
    RecordTooLargeError,
    TruncatedRecordError,
)
from monogen.io import datafile
from monogen.io.compression import SNIFF_SIZE, Compression
from monogen.io.datafile import (
    DataFileWriter,
    DataRecord,
    HeaderOptions,
    header_bytes,
    javahash,
    lg_header,
    read,
    sort_header,
    write,
)
from monogen.proto import example_pb2, proto_parser_pb2


def u64(n: int) -> bytes:
    return struct.pack("<Q", n)


def read_all(data: bytes, options: HeaderOptions, *, pipe: bool = False) -> list[DataRecord]:
    stream: PipeReader | io.BytesIO = PipeReader(data, chunk=3) if pipe else io.BytesIO(data)
    return list(read(stream, header=options))


# --------------------------------------------------------------------------- javahash

# (string, Java's "s".hashCode() taken unsigned) - from OpenJDK.
JAVA_HASHES = [
    ("", 0),
    ("a", 97),
    ("abc", 96354),  # 97*31*31 + 98*31 + 99
    ("Hello World", 3432422020),  # Java: -862545276, overflows 32 bits
    ("polygenelubricants", 2147483648),  # Java: Integer.MIN_VALUE
    ("caf\u00e9", 3045921),
    ("\u4f60\u597d", 652829),
    # U+1F600 is the surrogate pair D83D DE00: 0xD83D*31 + 0xDE00 = 1772899.
    ("\U0001f600", 1772899),
    ("a\U0001f600b", 57849694),
]


@pytest.mark.parametrize(("text", "expected"), JAVA_HASHES)
def test_javahash_matches_java(text: str, expected: int) -> None:
    assert javahash(text) == expected


def test_javahash_hashes_utf16_units_not_code_points() -> None:
    # Hashing the code point 0x1F600 as one unit (the original Python) gives 128512.
    assert javahash("\U0001f600") != 0x1F600
    # A lone surrogate is one UTF-16 unit in Java too.
    assert javahash("\ud83d") == 0xD83D


# --------------------------------------------------------------------------- headers

SORT_ID = HeaderOptions()
SORT_ID_KAFKA = HeaderOptions(kafka_dump=True)
SORT_ID_PREFIX = HeaderOptions(kafka_dump_prefix=True)
LAGRANGEX = HeaderOptions(lagrangex=True)
NO_HEADER = HeaderOptions(sort_id=False)
ALL_OPTIONS = [SORT_ID, SORT_ID_KAFKA, SORT_ID_PREFIX, LAGRANGEX, NO_HEADER]

# What the generator writes before each length, per format (no source given).
EXPECTED_HEADERS = {
    "sort_id": bytes.fromhex("0000000000000000"),
    "sort_id+kafka_dump": bytes.fromhex("00000000000000000000000000000000"),
    "sort_id+kafka_dump_prefix": bytes.fromhex("00" * 24),
    "lagrangex": bytes.fromhex("0000000000000000"),
    "none": b"",
}


@pytest.mark.parametrize("options", ALL_OPTIONS, ids=HeaderOptions.describe)
def test_header_bytes_per_format(options: HeaderOptions) -> None:
    assert header_bytes(options) == EXPECTED_HEADERS[options.describe()]


# (source, lagrangex header): 00, low three bytes of javahash LE, four zero bytes.
LAGRANGEX_HEADERS = [
    ("abc", bytes.fromhex("0062780100000000")),  # 96354 = 0x00017862
    ("Hello World", bytes.fromhex("00849a9600000000")),  # 0xCC969A84
    ("\U0001f600", bytes.fromhex("00630d1b00000000")),  # 0x001B0D63
    ("polygenelubricants", bytes.fromhex("0000000000000000")),  # 0x80000000
]


@pytest.mark.parametrize(("source", "expected"), LAGRANGEX_HEADERS)
def test_lagrangex_header_bytes(source: str, expected: bytes) -> None:
    assert header_bytes(LAGRANGEX, source=source) == expected
    assert lg_header(source) == expected


@pytest.mark.parametrize("source", [None, ""])
def test_lg_header_without_source_is_zero(source: str | None) -> None:
    assert lg_header(source) == bytes(8)


# The original sort_header for every combination: bytes, or it raised.
SORT_HEADER_TABLE = [
    # (sort_id, kafka_dump, kafka_dump_prefix) -> bytes or None for "refused"
    ((True, False, False), bytes(8)),
    ((True, True, False), bytes(16)),
    ((True, False, True), bytes(24)),
    ((False, False, False), b""),
    ((True, True, True), None),
    ((False, True, False), None),
    ((False, False, True), None),
    ((False, True, True), None),
]


@pytest.mark.parametrize(("flags", "expected"), SORT_HEADER_TABLE)
def test_sort_header_compat(flags: tuple[bool, bool, bool], expected: bytes | None) -> None:
    if expected is None:
        with pytest.raises(HeaderOptionsError):
            sort_header(*flags)
    else:
        assert sort_header(*flags) == expected


def test_source_outside_lagrangex_is_refused() -> None:
    with pytest.raises(HeaderOptionsError, match=r"\(lagrangex\).*sort_id header"):
        header_bytes(SORT_ID, source="abc")
    with pytest.raises(HeaderOptionsError):
        write(io.BytesIO(), [b"x"], header=NO_HEADER, source="abc")


# --------------------------------------------------------------------------- options

REFUSED = [
    (dict(kafka_dump=True, kafka_dump_prefix=True), ["kafka_dump", "kafka_dump_prefix"]),
    (dict(sort_id=False, kafka_dump=True), ["kafka_dump", "sort_id"]),
    (dict(sort_id=False, kafka_dump_prefix=True), ["kafka_dump_prefix", "sort_id"]),
    (dict(lagrangex=True, kafka_dump=True), ["lagrangex", "kafka_dump"]),
    (dict(lagrangex=True, kafka_dump_prefix=True), ["lagrangex", "kafka_dump_prefix"]),
]


@pytest.mark.parametrize(("kwargs", "params"), REFUSED)
def test_refused_combinations_name_the_parameters(
    kwargs: dict[str, bool], params: list[str]
) -> None:
    with pytest.raises(HeaderOptionsError) as info:
        HeaderOptions(**kwargs)
    assert isinstance(info.value, (MonogenError, ValueError))
    assert set(params) <= set(info.value.params)
    for param in params:
        assert re.search(rf"(?<![\w-]){param}(?!\w)", str(info.value))


def test_every_flag_combination_is_accepted_or_refused_as_documented() -> None:
    accepted = {}
    for sort_id in (False, True):
        for kafka_dump in (False, True):
            for prefix in (False, True):
                for lagrangex in (False, True):
                    try:
                        options = HeaderOptions(sort_id, kafka_dump, prefix, lagrangex)
                    except HeaderOptionsError:
                        continue
                    accepted[(sort_id, kafka_dump, prefix, lagrangex)] = options.describe()
    assert accepted == {
        (False, False, False, False): "none",
        (True, False, False, False): "sort_id",
        (True, True, False, False): "sort_id+kafka_dump",
        (True, False, True, False): "sort_id+kafka_dump_prefix",
        (False, False, False, True): "lagrangex",
        (True, False, False, True): "lagrangex",
    }


def test_lagrangex_options_are_canonical() -> None:
    assert HeaderOptions(lagrangex=True) == HeaderOptions(sort_id=False, lagrangex=True)
    assert HeaderOptions(lagrangex=True).sort_id is False


@pytest.mark.parametrize("options", ALL_OPTIONS, ids=HeaderOptions.describe)
def test_describe_parse_round_trip(options: HeaderOptions) -> None:
    assert HeaderOptions.parse(options.describe()) == options


def test_parse_spellings_and_errors() -> None:
    assert HeaderOptions.parse("Sort-Id + Kafka-Dump") == SORT_ID_KAFKA
    with pytest.raises(HeaderOptionsError, match="unknown header format 'sort_id\\+snappy'"):
        HeaderOptions.parse("sort_id+snappy")
    with pytest.raises(HeaderOptionsError, match="kafka_dump needs sort_id"):
        HeaderOptions.parse("kafka_dump")


def test_options_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        SORT_ID.sort_id = False  # type: ignore[misc]


# --------------------------------------------------------------------------- round trips


def sample_payloads() -> list[bytes]:
    instance = proto_parser_pb2.Instance(
        fid=[(5 << 54) | 123, (7 << 54) | 456], label=[1.0], data_source_key=7
    )
    example = example_pb2.Example(label=[0.5])
    named = example.named_feature.add(name="f1")
    named.feature.fid_v2_list.value.extend([(3 << 48) | 9, (3 << 48) | 10])
    batch = example_pb2.ExampleBatch(batch_size=2)
    column = batch.named_feature_list.add(name="f1")
    column.feature.add().fid_v2_list.value.append((3 << 48) | 1)
    column.feature.add().fid_v2_list.value.append((3 << 48) | 2)
    return [
        instance.SerializeToString(),
        example.SerializeToString(),
        batch.SerializeToString(),
        b"",  # an empty message is a valid record
    ]


def test_sample_instance_bytes_are_what_we_think() -> None:
    assert sample_payloads()[0] == bytes.fromhex(
        "0a10"  # field 1 (fid), packed fixed64, 16 bytes
        "7b00000000004001"  # (5 << 54) | 123
        "c80100000000c001"  # (7 << 54) | 456
        "1a04"  # field 3 (label), packed float, 4 bytes
        "0000803f"  # 1.0
        "a006"  # field 100 (data_source_key), varint
        "07"
    )


@pytest.mark.parametrize("options", ALL_OPTIONS, ids=HeaderOptions.describe)
def test_round_trip_with_real_protos(options: HeaderOptions) -> None:
    payloads = sample_payloads()
    out = io.BytesIO()
    assert write(out, iter(payloads), header=options) == len(payloads)
    head = EXPECTED_HEADERS[options.describe()]
    assert out.getvalue() == b"".join(head + u64(len(p)) + p for p in payloads)

    records = read_all(out.getvalue(), options)
    assert [r.payload for r in records] == payloads
    offsets = [0]
    for p in payloads[:-1]:
        offsets.append(offsets[-1] + len(head) + 8 + len(p))
    assert [r.offset for r in records] == offsets
    assert proto_parser_pb2.Instance.FromString(records[0].payload).fid[1] == (7 << 54) | 456
    assert example_pb2.ExampleBatch.FromString(records[2].payload).batch_size == 2
    if options.lagrangex:
        assert {(r.data_source_key, r.pb_type) for r in records} == {(0, 0)}
    else:
        assert {(r.data_source_key, r.pb_type) for r in records} == {(None, None)}


@pytest.mark.parametrize(("source", "header"), LAGRANGEX_HEADERS)
def test_lagrangex_data_source_key_read_back(source: str, header: bytes) -> None:
    out = io.BytesIO()
    write(out, [b"p1", b"p2"], header=LAGRANGEX, source=source)
    assert out.getvalue() == header + u64(2) + b"p1" + header + u64(2) + b"p2"
    records = read_all(out.getvalue(), LAGRANGEX)
    expected_key = {
        "abc": 0x01786200,
        "Hello World": 0x969A8400,
        "\U0001f600": 0x1B0D6300,
        "polygenelubricants": 0,
    }[source]
    assert [(r.data_source_key, r.pb_type) for r in records] == [(expected_key, 0)] * 2


def test_lagrangex_reader_fields_from_hand_built_header() -> None:
    # h = 0xAABBCCDD11223344: pb_type = 0x44, key = ((h & 0xffffffff) >> 8) << 8 = 0x11223300.
    data = bytes.fromhex("44332211ddccbbaa") + u64(3) + b"xyz"
    (record,) = read_all(data, LAGRANGEX)
    assert record == DataRecord(0, b"xyz", 0x11223300, 0x44)


@settings(max_examples=60, deadline=None)
@given(
    payloads=st.lists(st.binary(max_size=300), max_size=8),
    options=st.sampled_from(ALL_OPTIONS),
    compression=st.sampled_from(list(Compression)),
    pipe=st.booleans(),
)
def test_round_trip_property(
    payloads: list[bytes], options: HeaderOptions, compression: Compression, pipe: bool
) -> None:
    out = io.BytesIO()
    source = "src" if options.lagrangex else None
    assert write(out, payloads, header=options, source=source, compression=compression) == len(
        payloads
    )
    stream: PipeReader | io.BytesIO = (
        PipeReader(out.getvalue(), chunk=7) if pipe else io.BytesIO(out.getvalue())
    )
    assert [r.payload for r in read(stream, header=options)] == payloads


# --------------------------------------------------------------------------- reader semantics


def test_sort_id_with_content_is_skipped() -> None:
    data = u64(4) + b"SORT" + u64(3) + b"one" + u64(0) + u64(3) + b"two"
    assert [r.payload for r in read_all(data, SORT_ID)] == [b"one", b"two"]


def test_kafka_dump_field_is_ignored() -> None:
    data = u64(2) + b"id" + u64(0xDEADBEEF) + u64(3) + b"one"
    assert [r.payload for r in read_all(data, SORT_ID_KAFKA)] == [b"one"]


def test_kafka_dump_prefix_zero_reads_the_next_field_and_forgets_it() -> None:
    # prefix 0 -> read another uint64 (12345, forgotten) -> sort-id size 3 -> "xyz" skipped.
    data = (
        bytes.fromhex(
            "0000000000000000"  # prefix = 0
            "3930000000000000"  # 12345, read and forgotten
            "0300000000000000"  # sort-id size = 3
            "78797a"  # the sort id "xyz"
            "0500000000000000"  # payload length 5
        )
        + b"hello"
    )
    assert [r.payload for r in read_all(data, SORT_ID_PREFIX)] == [b"hello"]


def test_kafka_dump_prefix_nonzero_is_the_sort_id_size() -> None:
    data = (
        bytes.fromhex(
            "0500000000000000"  # prefix = 5: the sort-id size itself
            "534f525449"  # the sort id "SORTI"
            "0200000000000000"  # payload length 2
        )
        + b"ok"
    )
    second = u64(0) + u64(0) + u64(0) + u64(1) + b"!"  # the generator's own form
    records = read_all(data + second, SORT_ID_PREFIX)
    assert [(r.offset, r.payload) for r in records] == [(0, b"ok"), (23, b"!")]


@pytest.mark.parametrize("pipe", [False, True], ids=["seekable", "pipe"])
@pytest.mark.parametrize("options", ALL_OPTIONS, ids=HeaderOptions.describe)
def test_empty_file_has_no_records(options: HeaderOptions, pipe: bool) -> None:
    assert read_all(b"", options, pipe=pipe) == []


def test_reading_does_not_seek_a_pipe() -> None:
    payloads = sample_payloads()
    out = io.BytesIO()
    write(out, payloads, header=SORT_ID_PREFIX)
    records = read_all(out.getvalue(), SORT_ID_PREFIX, pipe=True)
    assert [r.payload for r in records] == payloads


@pytest.mark.parametrize("compression", [Compression.NONE, Compression.GZIP])
def test_reading_a_real_os_pipe(compression: Compression) -> None:
    payloads = sample_payloads() * 50
    out = io.BytesIO()
    write(out, payloads, header=SORT_ID_KAFKA, compression=compression)
    read_fd, write_fd = os.pipe()

    def feed() -> None:
        with open(write_fd, "wb") as sink:
            sink.write(out.getvalue())

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        with open(read_fd, "rb") as pipe:
            assert not pipe.seekable()
            assert [r.payload for r in read(pipe, header=SORT_ID_KAFKA)] == payloads
    finally:
        feeder.join()


def test_a_record_in_a_pipe_is_read_before_the_writer_is_done() -> None:
    framed = io.BytesIO()
    write(framed, [b"abc"], header=SORT_ID)
    read_fd, write_fd = os.pipe()
    os.write(write_fd, framed.getvalue())  # one record, and the writer stays open
    got: list[bytes] = []
    with open(read_fd, "rb") as pipe:
        records = read(pipe, header=SORT_ID, compression="none")
        reader = threading.Thread(target=lambda: got.append(next(records).payload))
        reader.start()
        reader.join(timeout=60)  # a bound against hanging, not a measure of speed
        waiting = reader.is_alive()  # for more bytes than the record needs
        os.close(write_fd)
        reader.join()
    assert not waiting
    assert got == [b"abc"]


def test_reader_is_lazy() -> None:
    data = u64(0) + u64(1) + b"a" + b"\xff" * 5  # second record is garbage
    records = read(io.BytesIO(data), header=SORT_ID)
    assert next(records).payload == b"a"
    with pytest.raises(TruncatedRecordError):
        next(records)


def test_ambiguous_all_zero_header_reads_either_way() -> None:
    # Documented: 8 zero bytes are an empty sort id and a lagrangex header with key 0.
    out = io.BytesIO()
    write(out, [b"abc"], header=SORT_ID)
    assert read_all(out.getvalue(), LAGRANGEX) == [DataRecord(0, b"abc", 0, 0)]


# --------------------------------------------------------------------------- damaged files


def framed_file(options: HeaderOptions) -> tuple[bytes, list[int]]:
    """Two records written with ``options``; also the record boundaries."""
    out = io.BytesIO()
    source = "abc" if options.lagrangex else None
    write(out, [b"first", b"second!"], header=options, source=source)
    size = len(header_bytes(options, source=source)) + 8
    return out.getvalue(), [0, size + 5, 2 * size + 12]


@pytest.mark.parametrize("pipe", [False, True], ids=["seekable", "pipe"])
@pytest.mark.parametrize("options", ALL_OPTIONS, ids=HeaderOptions.describe)
def test_truncated_at_every_cut_point(options: HeaderOptions, pipe: bool) -> None:
    data, boundaries = framed_file(options)
    assert boundaries[-1] == len(data)
    for cut in range(len(data)):
        if cut in boundaries:
            records = read_all(data[:cut], options, pipe=pipe)
            assert len(records) == boundaries.index(cut)
            continue
        index = 0 if cut < boundaries[1] else 1
        with pytest.raises(TruncatedRecordError, match=f"record {index} at offset") as info:
            read_all(data[:cut], options, pipe=pipe)
        assert f"at offset {boundaries[index]}:" in str(info.value)
        assert f"reading with header {options.describe()}" in str(info.value)


def test_corrupt_marker_length() -> None:
    data = u64(0) + u64(1) + b"a" + u64(0) + bytes.fromhex("fefefefe00000000") + b"x" * 16
    with pytest.raises(CorruptRecordError, match=r"record 1 at offset 17: .*0xfefefefe"):
        read_all(data, SORT_ID)


@pytest.mark.parametrize("pipe", [False, True], ids=["seekable", "pipe"])
def test_absurd_length_is_corrupt(pipe: bool) -> None:
    data = u64(0) + u64(2**64 - 1) + b"tail"
    with pytest.raises(
        CorruptRecordError, match=r"record 0 at offset 0: payload length .* max_record_size"
    ):
        read_all(data, SORT_ID, pipe=pipe)


@pytest.mark.parametrize("pipe", [False, True], ids=["seekable", "pipe"])
def test_absurd_sort_id_size_is_corrupt(pipe: bool) -> None:
    data = u64(2**40) + b"whatever"
    with pytest.raises(CorruptRecordError, match="sort id 1099511627776 is over"):
        read_all(data, SORT_ID, pipe=pipe)


def test_length_past_the_end_is_caught_before_reading() -> None:
    data = u64(0) + u64(1000) + b"short"
    with pytest.raises(TruncatedRecordError, match=r"payload length 1000 runs past .*5 bytes left"):
        read_all(data, SORT_ID)


def test_wrong_options_are_reported_with_the_options_used() -> None:
    # A lagrangex file for "abc" read as sort_id: the header looks like a 24 MB sort id.
    out = io.BytesIO()
    write(out, [b"payload"], header=LAGRANGEX, source="abc")
    with pytest.raises(TruncatedRecordError, match=r"sort id 24666624 .*header sort_id\)"):
        read_all(out.getvalue(), SORT_ID)
    # A sort_id file read as sort_id+kafka_dump takes the length for the kafka field,
    # then the payload's first bytes for the length.
    out = io.BytesIO()
    write(out, [b"\xff" * 16], header=SORT_ID)
    with pytest.raises(CorruptRecordError, match=r"header sort_id\+kafka_dump"):
        read_all(out.getvalue(), SORT_ID_KAFKA)


def test_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.bin"
    path.write_bytes(u64(0) + u64(10) + b"abc")
    with path.open("rb") as fo, pytest.raises(TruncatedRecordError, match=r"broken\.bin: record 0"):
        list(read(fo))


def test_limit_applies_to_reading_and_writing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(datafile, "DEFAULT_MAX_RECORD_SIZE", 4)
    with pytest.raises(RecordTooLargeError, match="record 1: a payload of 5 bytes"):
        write(io.BytesIO(), [b"1234", b"12345"])
    with pytest.raises(
        CorruptRecordError, match=r"payload length 5 is over max_record_size \(4 bytes"
    ):
        list(read(io.BytesIO(u64(0) + u64(5) + b"12345"), max_record_size=4))


# --------------------------------------------------------------------------- writer


def test_writer_consumes_records_lazily() -> None:
    out = io.BytesIO()
    seen: list[int] = []

    def records() -> Iterator[bytes]:
        for payload in (b"a", b"bb", b"ccc"):
            seen.append(len(out.getvalue()))
            yield payload
        seen.append(len(out.getvalue()))

    write(out, records())
    # Each record is on the file before the next one is asked for (8 + 8 + len each).
    assert seen == [0, 17, 35, 54]


def test_writer_context_manager_counts_and_leaves_file_open() -> None:
    out = io.BytesIO()
    with DataFileWriter(out, header=LAGRANGEX, source="abc") as writer:
        writer.write(b"one")
        writer.write(b"")
        assert writer.records_written == 2
        assert writer.bytes_written == (16 + 3) + 16
    assert not out.closed
    with pytest.raises(ValueError, match="closed"):
        writer.write(b"late")
    assert out.getvalue() == (
        bytes.fromhex("0062780100000000")
        + u64(3)
        + b"one"
        + bytes.fromhex("0062780100000000")
        + u64(0)
    )


@pytest.mark.parametrize("options", ALL_OPTIONS, ids=HeaderOptions.describe)
def test_write_many_frames_each_record_as_written_alone(options: HeaderOptions) -> None:
    # More records than one framing call packs, of sizes 0 up, read back by hand.
    payloads = [bytes([i % 251]) * (i % 37) for i in range(600)]
    out = io.BytesIO()
    with DataFileWriter(out, header=options) as writer:
        writer.write_many(payloads[:1])
        writer.write_many([])
        writer.write_many(payloads[1:])
        assert writer.records_written == 600
    header = EXPECTED_HEADERS[options.describe()]
    expected = b"".join(header + u64(len(p)) + p for p in payloads)
    assert out.getvalue() == expected
    assert writer.bytes_written == len(expected)


# --------------------------------------------------------------------------- compression


@pytest.mark.parametrize("compression", [Compression.GZIP, Compression.ZLIB])
@pytest.mark.parametrize("options", ALL_OPTIONS, ids=HeaderOptions.describe)
def test_compressed_round_trip(options: HeaderOptions, compression: Compression) -> None:
    payloads = sample_payloads()
    plain, packed = io.BytesIO(), io.BytesIO()
    write(plain, payloads, header=options)
    write(packed, payloads, header=options, compression=compression)
    # Decoded by the standard library, not by monogen.
    decode = gzip.decompress if compression is Compression.GZIP else zlib.decompress
    assert decode(packed.getvalue()) == plain.getvalue()
    for said in (None, compression):
        got = list(read(io.BytesIO(packed.getvalue()), header=options, compression=said))
        assert [r.payload for r in got] == payloads
    got = list(read(PipeReader(packed.getvalue(), chunk=5), header=options))
    assert [r.payload for r in got] == payloads


@pytest.mark.parametrize("level", [0, 1, 4, 6, 9])  # zlib FLG bytes 01, 01, 5e, 9c, da
def test_reads_zlib_of_any_level_without_being_told(level: int) -> None:
    plain = u64(0) + u64(3) + b"abc" + u64(0) + u64(2) + b"de"
    records = read_all(zlib.compress(plain, level), SORT_ID)
    assert [r.payload for r in records] == [b"abc", b"de"]


@pytest.mark.parametrize("length", [0x0178, 0x9C78, 0x8B1F])  # starts 78 01 / 78 9c / 1f 8b
@pytest.mark.parametrize("pipe", [False, True], ids=["seekable", "pipe"])
def test_uncompressed_file_that_starts_like_a_magic_number(length: int, pipe: bool) -> None:
    payloads = [b"\x07" * length, b"tail"]
    out = io.BytesIO()
    write(out, payloads, header=NO_HEADER)
    assert out.getvalue()[:2] in (b"\x78\x01", b"\x78\x9c", b"\x1f\x8b")
    assert [r.payload for r in read_all(out.getvalue(), NO_HEADER, pipe=pipe)] == payloads


def test_compressed_errors_carry_record_context() -> None:
    packed = io.BytesIO()
    write(packed, [b"x" * 100, b"y" * 100], compression=Compression.GZIP)
    data = packed.getvalue()
    with pytest.raises(TruncatedRecordError, match=r"\(GZIP, offsets uncompressed\): record"):
        read_all(data[:-4], SORT_ID)


def flip_gzip_crc(data: bytes) -> bytes:
    """``data`` with the CRC in its gzip trailer (8 bytes before the end) inverted."""
    return data[:-8] + bytes(b ^ 0xFF for b in data[-8:-4]) + data[-4:]


def test_corrupt_gzip_beyond_the_sniffed_head() -> None:
    packed = io.BytesIO()
    rng = random.Random(7)
    payloads = [rng.randbytes(3000) for _ in range(3)]  # incompressible
    write(packed, payloads, compression=Compression.GZIP)
    assert len(packed.getvalue()) > SNIFF_SIZE
    # The body inflates; the trailer check fails (records are inflated ahead of use, so
    # the error can surface on an earlier record than the last).
    with pytest.raises(CorruptRecordError, match=r"\(GZIP, offsets uncompressed\): record \d+ "):
        read_all(flip_gzip_crc(packed.getvalue()), SORT_ID)


def test_corrupt_gzip_within_the_sniffed_head_says_what_it_looked_like() -> None:
    packed = io.BytesIO()
    write(packed, [b"x" * 100], compression=Compression.GZIP)
    with pytest.raises(MonogenError, match=r"starts like GZIP data but does not decompress"):
        read_all(flip_gzip_crc(packed.getvalue()), SORT_ID)


def test_told_compression_on_plain_data_is_corrupt() -> None:
    with pytest.raises(CorruptRecordError, match="ZLIB stream is corrupt"):
        list(read(io.BytesIO(u64(0) + u64(1) + b"a"), compression="zlib"))


def test_failed_compressed_write_leaves_no_end_marker() -> None:
    out = io.BytesIO()
    with pytest.raises(RuntimeError), DataFileWriter(out, compression="gzip") as writer:
        writer.write(b"abc")
        raise RuntimeError("generator failed")
    with pytest.raises(TruncatedRecordError):
        read_all(out.getvalue(), SORT_ID)
