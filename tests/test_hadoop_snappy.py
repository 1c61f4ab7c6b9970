"""Hadoop-framed snappy: writing, reading, detection and bad input.

The oracles are independent of monogen's framing code: python-snappy's Hadoop
stream classes (which read and write one chunk per block), blocks of many chunks
assembled here from python-snappy's raw ``snappy.compress``, and raw snappy and
block bytes worked out by hand from the snappy format description.
"""

from __future__ import annotations

import io
import random
import struct
import tracemalloc

import pytest
import snappy
from conftest import PipeReader, damage, read_decompressed, read_everything, write_in_pieces
from hypothesis import given, settings
from hypothesis import strategies as st

from monogen.errors import CorruptRecordError, TruncatedRecordError
from monogen.io import hadoop_snappy
from monogen.io.compression import Compression, detect_compression, open_compressed_reader
from monogen.io.hadoop_snappy import BLOCK_SIZE, MAX_BLOCK_BYTES, SnappyBlockWriter

# Compressible but not trivial: snappy finds matches in it, and no two blocks are alike.
_rng = random.Random(7)
DATA = b"".join(b"record %d:%s;" % (i, bytes(_rng.choices(b"abcd", k=20))) for i in range(60000))

# Raw snappy worked out by hand (varint preamble, then elements): "abc" is one literal
# (tag (3-1)<<2 = 0x08); "abcabcabcabc" is that literal and a copy of 9 bytes from 3
# back (1-byte-offset copy tag ((9-4)<<2) | 0b01 = 0x15, offset byte 0x03).
RAW_ABC = bytes.fromhex("03 08 616263")
RAW_ABC_X4 = bytes.fromhex("0c 08 616263 15 03")


def block(*chunks: bytes) -> bytes:
    """A Hadoop block of raw snappy chunks; its length is what they decompress to."""
    size = sum(len(snappy.uncompress(chunk)) for chunk in chunks)
    return struct.pack(">I", size) + b"".join(struct.pack(">I", len(c)) + c for c in chunks)


def written(data: bytes, *, block_size: int = BLOCK_SIZE, piece: int = 1000) -> bytes:
    out = io.BytesIO()
    write_in_pieces(SnappyBlockWriter(out, block_size), data, piece)
    return out.getvalue()


def read(data: bytes, *, pipe: bool = False) -> bytes:
    return read_decompressed(data, Compression.SNAPPY, pipe=pipe)


# --------------------------------------------------------------------------- hand vectors


def test_a_tiny_block_is_exactly_the_hand_computed_bytes() -> None:
    expected = bytes.fromhex("00000003 00000005") + RAW_ABC
    assert written(b"abc") == expected


def test_hand_made_chunks_decode() -> None:
    assert read(block(RAW_ABC_X4)) == b"abc" * 4
    assert read(block(RAW_ABC, RAW_ABC_X4) + block(RAW_ABC)) == b"abc" * 6


def test_empty_input_is_an_empty_file() -> None:
    assert written(b"") == b""
    assert read(b"") == b""


# --------------------------------------------------------------------------- python-snappy


@pytest.mark.parametrize("size", [1, BLOCK_SIZE - 1, BLOCK_SIZE, BLOCK_SIZE + 1, len(DATA)])
def test_python_snappy_reads_monogen_files(size: int) -> None:
    decompressor = snappy.HadoopStreamDecompressor()
    packed = written(DATA[:size])
    got = b"".join(
        decompressor.decompress(packed[i : i + 4096]) for i in range(0, len(packed), 4096)
    )
    assert got == DATA[:size]


def test_blocks_are_block_size_as_hadoop_writes_them() -> None:
    packed = written(DATA[: 2 * BLOCK_SIZE + 5])
    sizes = []
    offset = 0
    while offset < len(packed):
        block_size, chunk_size = struct.unpack_from(">II", packed, offset)
        sizes.append(block_size)
        offset += 8 + chunk_size
    assert sizes == [BLOCK_SIZE, BLOCK_SIZE, 5]


@pytest.mark.parametrize("pipe", [False, True], ids=["seekable", "pipe"])
def test_monogen_reads_python_snappy_files(pipe: bool) -> None:
    compressor = snappy.HadoopStreamCompressor()
    step = 100_000
    packed = b"".join(compressor.add_chunk(DATA[i : i + step]) for i in range(0, len(DATA), step))
    assert read(packed, pipe=pipe) == DATA


@pytest.mark.parametrize("pipe", [False, True], ids=["seekable", "pipe"])
def test_blocks_of_many_chunks_from_another_compressor(pipe: bool) -> None:
    """Many blocks, each of 1..20 chunks of random sizes, raw-compressed by python-snappy."""
    rng = random.Random(11)
    blocks = []
    start = 0
    while start < len(DATA):
        chunks = []
        for _ in range(rng.randint(1, 20)):
            size = rng.randint(1, 10_000)
            chunks.append(snappy.compress(DATA[start : start + size]))
            start += size
            if start >= len(DATA):
                break
        blocks.append(block(*chunks))
    assert len(blocks) > 20
    assert read(b"".join(blocks), pipe=pipe) == DATA


def test_empty_chunks_and_blocks() -> None:
    empty_chunk = snappy.compress(b"")
    packed = block(empty_chunk, RAW_ABC) + bytes(4) + block(empty_chunk, empty_chunk, RAW_ABC)
    assert read(packed) == b"abcabc"


# --------------------------------------------------------------------------- bad input


def test_every_truncation_is_reported_with_its_offset() -> None:
    packed = block(RAW_ABC, RAW_ABC_X4) + block(RAW_ABC)
    for cut in range(1, len(packed)):
        if cut == len(block(RAW_ABC, RAW_ABC_X4)):
            continue  # a block boundary: a shorter file, not a damaged one
        with pytest.raises(TruncatedRecordError, match=r"^snappy stream ends at compressed offset"):
            read(packed[:cut])


def test_a_cut_inside_a_chunk_names_the_offsets() -> None:
    packed = block(RAW_ABC, RAW_ABC_X4)
    with pytest.raises(TruncatedRecordError) as caught:
        read(packed[:-2])
    assert str(caught.value) == (
        "snappy stream ends at compressed offset 22, inside a 7-byte chunk of the block at offset 0"
    )


def test_a_huge_block_length_is_refused_not_allocated() -> None:
    packed = block(RAW_ABC) + bytes.fromhex("ffffffff 00000005") + RAW_ABC
    tracemalloc.start()
    try:
        with pytest.raises(CorruptRecordError) as caught:
            read(packed)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(caught.value) == (
        f"snappy block at compressed offset 13 claims 4294967295 bytes,"
        f" over the {MAX_BLOCK_BYTES}-byte limit"
    )
    assert peak < 1 << 20


def test_a_chunk_longer_than_its_block_can_need() -> None:
    packed = bytes.fromhex("00000003 7fffffff") + RAW_ABC
    with pytest.raises(CorruptRecordError) as caught:
        read(packed)
    assert str(caught.value) == (
        "snappy chunk at compressed offset 4 claims 2147483647 compressed bytes,"
        " more than the 3 bytes left in its block can need"
    )


def test_a_chunk_holding_more_than_its_block() -> None:
    packed = bytes.fromhex("00000002 00000005") + RAW_ABC
    with pytest.raises(CorruptRecordError, match=r"^snappy chunk at compressed offset 4 holds 3"):
        read(packed)


def test_raw_snappy_that_does_not_decompress() -> None:
    bad = bytes.fromhex("05 08 616263")  # claims 5 bytes, holds a 3-byte literal
    with pytest.raises(CorruptRecordError, match=r"^snappy chunk at compressed offset 4 does not"):
        read(struct.pack(">II", 5, len(bad)) + bad)


def test_reading_holds_one_chunk_not_the_file() -> None:
    packed = written(DATA * 5)
    stream = open_compressed_reader(io.BytesIO(packed), Compression.SNAPPY)
    tracemalloc.start()
    try:
        while stream.read(64 * 1024):
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(DATA) * 5 > 8 * (1 << 20)
    assert peak < 2 * BLOCK_SIZE + (1 << 20)


# --------------------------------------------------------------------------- detection


def test_detected_in_monogen_and_python_snappy_files() -> None:
    theirs = snappy.HadoopStreamCompressor().add_chunk(DATA[:50_000])
    assert detect_compression(io.BytesIO(written(DATA))).compression is Compression.SNAPPY
    assert detect_compression(io.BytesIO(theirs)).compression is Compression.SNAPPY
    assert (
        detect_compression(io.BytesIO(block(RAW_ABC, RAW_ABC_X4))).compression is Compression.SNAPPY
    )


def test_detection_replays_a_pipe_past_a_long_first_chunk() -> None:
    packed = written(DATA)
    detected = detect_compression(PipeReader(packed, chunk=1000))
    assert detected.compression is Compression.SNAPPY
    assert read_everything(detected.stream) == packed


@pytest.mark.parametrize(
    "head",
    [
        bytes(8) + b"payload",  # an empty sort id: block length 0
        bytes.fromhex("00627801 00000000") + b"x" * 40,  # a lagrangex header: chunk length 0
        bytes.fromhex("78010000 00000000") + b"x" * 376,  # a header-less data file: too long
        bytes.fromhex("00000003 00000005 05086162"),  # cut short, and claims 5 bytes of 3
        bytes.fromhex("00000003 00000005 0a08616263"),  # decompresses to more than its block
        bytes.fromhex("00000005 00000005 0508616263"),  # raw snappy that does not decompress
    ],
)
def test_not_snappy(head: bytes) -> None:
    assert detect_compression(io.BytesIO(head)).compression is Compression.NONE


def test_a_first_chunk_cut_by_the_end_of_the_file_is_still_snappy() -> None:
    """So that the reader, not a misreading, reports the truncation."""
    packed = written(DATA)
    detected = detect_compression(io.BytesIO(packed[:5000]))
    assert detected.compression is Compression.SNAPPY
    assert len(packed) > 5000 + BLOCK_SIZE // 10


def test_a_sane_block_header_with_a_bad_chunk_is_reported_as_looking_like_snappy() -> None:
    detected = detect_compression(io.BytesIO(bytes.fromhex("00000005 00000005 05086162 63")))
    assert detected.compression is Compression.NONE
    assert detected.looks_like is Compression.SNAPPY


def test_a_snappy_name_means_snappy() -> None:
    fo = io.BytesIO(b"anything")
    fo.name = "part-00000.snappy"
    assert detect_compression(fo).compression is Compression.SNAPPY
    fo.name = "part-00000.snappy.bin"
    assert detect_compression(fo).compression is Compression.NONE


def test_max_compressed_length_is_snappys_bound() -> None:
    incompressible = random.Random(3).randbytes(100_000)
    assert len(snappy.compress(incompressible)) <= hadoop_snappy.max_compressed_length(100_000)
    assert hadoop_snappy.max_compressed_length(6000) == 32 + 6000 + 1000


# --------------------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=5000),
    block_size=st.integers(1, 700),
    piece=st.integers(1, 900),
    read_size=st.integers(1, 1000),
)
def test_round_trip_at_any_block_write_and_read_size(
    data: bytes, block_size: int, piece: int, read_size: int
) -> None:
    packed = written(data, block_size=block_size, piece=piece)
    assert snappy.HadoopStreamDecompressor().decompress(packed) == data
    stream = open_compressed_reader(PipeReader(packed, chunk=read_size), Compression.SNAPPY)
    assert read_everything(stream, read_size) == data


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_damage_is_an_error_naming_an_offset_or_decodes(data: st.DataObject) -> None:
    try:
        read(damage(data, written(DATA[:3000], block_size=500)))
    except (CorruptRecordError, TruncatedRecordError) as exc:
        assert "compressed offset" in str(exc)
