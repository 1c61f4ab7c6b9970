"""zstd: writing, reading, detection and bad input, checked against the zstandard package.

zstandard (python bindings of the reference C library) reads what monogen writes
and writes what monogen reads, including single frames without a content size,
checksummed frames and several frames back to back. Small frames are also built
by hand from RFC 8878, and zstandard confirms them.
"""

from __future__ import annotations

import io
import random
import tracemalloc

import pytest
import zstandard
from conftest import PipeReader, damage, read_decompressed, read_everything, write_in_pieces
from hypothesis import given, settings
from hypothesis import strategies as st

from monogen.errors import CorruptRecordError, TruncatedRecordError
from monogen.io.compression import Compression, detect_compression, open_compressed_reader
from monogen.io.zstd import FRAME_SIZE, MAX_FRAME_BYTES, ZstdFrameWriter

_rng = random.Random(5)
DATA = b"".join(b"record %d:%s;" % (i, bytes(_rng.choices(b"abcd", k=20))) for i in range(60000))

# Frames worked out by hand (RFC 8878 §3.1.1): magic 28 B5 2F FD; descriptor 0x20
# (single segment, so a 1-byte content size and no window byte); the content size;
# then one last block, its 3-byte little-endian header (size << 3 | type << 1 | last).
RAW_FRAME = bytes.fromhex("28b52ffd 20 03 190000 616263")  # raw block "abc"
RLE_FRAME = bytes.fromhex("28b52ffd 20 05 2b0000 78")  # RLE block: "x" five times
EMPTY_FRAME = bytes.fromhex("28b52ffd 20 00 010000")  # an empty raw block
SKIPPABLE_FRAME = bytes.fromhex("502a4d18 03000000 010203")


def written(data: bytes, *, frame_size: int = FRAME_SIZE, piece: int = 1000) -> bytes:
    out = io.BytesIO()
    write_in_pieces(ZstdFrameWriter(out, frame_size), data, piece)
    return out.getvalue()


def read(data: bytes, *, pipe: bool = False) -> bytes:
    return read_decompressed(data, Compression.ZSTD, pipe=pipe)


def zstandard_reads(data: bytes) -> bytes:
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True)
    return read_everything(reader)


# --------------------------------------------------------------------------- hand vectors


@pytest.mark.parametrize(
    ("frame", "content"),
    [(RAW_FRAME, b"abc"), (RLE_FRAME, b"xxxxx"), (EMPTY_FRAME, b"")],
    ids=["raw", "rle", "empty"],
)
def test_hand_made_frames(frame: bytes, content: bytes) -> None:
    assert zstandard_reads(frame) == content  # the vector is right
    assert read(frame) == content
    assert read(SKIPPABLE_FRAME + frame + SKIPPABLE_FRAME + frame) == content * 2


def test_empty_input_is_one_empty_frame() -> None:
    packed = written(b"")
    assert packed == EMPTY_FRAME
    assert zstandard_reads(packed) == b""
    assert read(packed) == b""
    assert read(b"") == b""


# --------------------------------------------------------------------------- zstandard


@pytest.mark.parametrize("size", [1, FRAME_SIZE, FRAME_SIZE + 1, len(DATA)])
def test_zstandard_reads_monogen_files(size: int) -> None:
    assert zstandard_reads(written(DATA[:size])) == DATA[:size]


def test_frames_are_frame_size() -> None:
    rest = written((DATA * 2)[: 2 * FRAME_SIZE + 5])
    sizes = []
    while rest:
        frame = zstandard.ZstdDecompressor().decompressobj()  # stops at a frame's end
        sizes.append(len(frame.decompress(rest)))
        rest = frame.unused_data
    assert sizes == [FRAME_SIZE, FRAME_SIZE, 5]


@pytest.mark.parametrize(
    "compress",
    [
        lambda data: zstandard.ZstdCompressor().compress(data),
        lambda data: zstandard.ZstdCompressor(level=9, write_checksum=True).compress(data),
        lambda data: zstandard.ZstdCompressor(write_content_size=False).compress(data),
        lambda data: zstandard.ZstdCompressor(level=-5).compress(data),
    ],
    ids=["default", "checksum", "no-content-size", "fast"],
)
@pytest.mark.parametrize("pipe", [False, True], ids=["seekable", "pipe"])
def test_monogen_reads_zstandard_frames(compress: object, pipe: bool) -> None:
    packed = compress(DATA)  # type: ignore[operator]
    assert read(packed, pipe=pipe) == DATA


def test_monogen_reads_a_zstandard_stream_writer() -> None:
    """A streaming writer: one frame, no content size, blocks of every kind."""
    out = io.BytesIO()
    with zstandard.ZstdCompressor().stream_writer(out, closefd=False) as writer:
        for start in range(0, len(DATA), 10_000):
            writer.write(DATA[start : start + 10_000])
            writer.write(b"y" * 5000)  # RLE-friendly
            writer.write(random.Random(start).randbytes(200))  # raw-friendly
    expected = b"".join(
        DATA[start : start + 10_000] + b"y" * 5000 + random.Random(start).randbytes(200)
        for start in range(0, len(DATA), 10_000)
    )
    assert read(out.getvalue()) == expected


def test_monogen_reads_concatenated_zstandard_frames() -> None:
    parts = [DATA[i : i + 300_000] for i in range(0, len(DATA), 300_000)]
    packed = b"".join(zstandard.ZstdCompressor().compress(part) for part in parts)
    assert read(packed) == DATA


# --------------------------------------------------------------------------- bad input


def test_every_truncation_is_reported_with_its_offset() -> None:
    packed = RAW_FRAME + RLE_FRAME
    for cut in range(1, len(packed)):
        if cut == len(RAW_FRAME):
            continue  # a frame boundary: a shorter stream, not a damaged one
        with pytest.raises(TruncatedRecordError, match=r"^zstd stream ends at compressed offset"):
            read(packed[:cut])


def test_a_cut_names_the_frame() -> None:
    with pytest.raises(TruncatedRecordError) as caught:
        read(RAW_FRAME + RLE_FRAME[:-1])
    assert str(caught.value) == (
        "zstd stream ends at compressed offset 21, inside the frame at offset 12"
    )


def test_garbage_after_a_frame() -> None:
    with pytest.raises(CorruptRecordError) as caught:
        read(RAW_FRAME + b"junk")
    assert str(caught.value) == (
        "zstd stream has no frame at compressed offset 12 (it starts 6a756e6b, not 28b52ffd)"
    )


def test_a_huge_content_size_is_refused_not_allocated() -> None:
    # descriptor 0xe0: an 8-byte content size of 2**40, single segment.
    frame = bytes.fromhex("28b52ffd e0") + (1 << 40).to_bytes(8, "little") + bytes(3)
    tracemalloc.start()
    try:
        with pytest.raises(CorruptRecordError) as caught:
            read(RAW_FRAME + frame)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(caught.value) == (
        f"zstd frame at compressed offset 12 can hold more than the {MAX_FRAME_BYTES}"
        " bytes monogen decompresses at once; decompress the file first (zstd -dc) and"
        " read it uncompressed"
    )
    assert peak < 1 << 20


class EndlessFrame:
    """A frame header (no content size) followed by 128 KiB compressed blocks, forever."""

    BLOCK = (1 << 17 << 3 | 2 << 1).to_bytes(3, "little") + bytes(1 << 17)

    def __init__(self) -> None:
        self._pending = bytes.fromhex("28b52ffd 00 58")

    def read(self, size: int = -1) -> bytes:
        if not self._pending:
            self._pending = self.BLOCK
        out, self._pending = self._pending[:size], self._pending[size:]
        return out


def test_a_frame_of_too_many_blocks_is_refused() -> None:
    stream = open_compressed_reader(EndlessFrame(), Compression.ZSTD)
    with pytest.raises(CorruptRecordError, match=r"^zstd frame at compressed offset 0 can hold"):
        stream.read(1)


def test_reserved_bit_and_bad_block_headers() -> None:
    with pytest.raises(CorruptRecordError, match=r"reserved header bit"):
        read(bytes.fromhex("28b52ffd 28 03 190000 616263"))
    with pytest.raises(CorruptRecordError, match=r"bad block header at offset 6"):
        read(bytes.fromhex("28b52ffd 20 03 070000 616263"))  # block type 3 is reserved


def test_a_frame_that_does_not_decompress() -> None:
    packed = bytearray(zstandard.ZstdCompressor(write_checksum=True).compress(DATA[:5000]))
    packed[-1] ^= 0xFF  # the checksum
    with pytest.raises(CorruptRecordError, match=r"^zstd frame at compressed offset 0 does not"):
        read(bytes(packed))


def test_reading_holds_one_frame_not_the_file() -> None:
    packed = written(DATA * 5)
    stream = open_compressed_reader(io.BytesIO(packed), Compression.ZSTD)
    tracemalloc.start()
    try:
        while stream.read(64 * 1024):
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(DATA) * 5 > 8 * (1 << 20)
    assert peak < 3 * FRAME_SIZE


# --------------------------------------------------------------------------- detection


def test_detected_in_monogen_and_zstandard_files() -> None:
    assert detect_compression(io.BytesIO(written(DATA))).compression is Compression.ZSTD
    theirs = zstandard.ZstdCompressor().compress(DATA)
    assert detect_compression(PipeReader(theirs)).compression is Compression.ZSTD
    assert detect_compression(io.BytesIO(RAW_FRAME)).compression is Compression.ZSTD


def test_zstd_magic_with_a_bad_descriptor_is_not_zstd() -> None:
    detected = detect_compression(io.BytesIO(bytes.fromhex("28b52ffd 28 03 190000 616263")))
    assert detected.compression is Compression.NONE
    assert detected.looks_like is Compression.ZSTD


# --------------------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=5000),
    frame_size=st.integers(1, 700),
    piece=st.integers(1, 900),
    read_size=st.integers(1, 1000),
)
def test_round_trip_at_any_frame_write_and_read_size(
    data: bytes, frame_size: int, piece: int, read_size: int
) -> None:
    packed = written(data, frame_size=frame_size, piece=piece)
    assert zstandard_reads(packed) == data
    stream = open_compressed_reader(PipeReader(packed, chunk=read_size), Compression.ZSTD)
    assert read_everything(stream, read_size) == data


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_damage_is_an_error_naming_an_offset_or_decodes(data: st.DataObject) -> None:
    try:
        read(damage(data, written(DATA[:3000], frame_size=500)))
    except (CorruptRecordError, TruncatedRecordError) as exc:
        assert "compressed offset" in str(exc)
