"""Whole-stream GZIP/ZLIB: names, sniffing, writing and reading.

Compressed bytes are checked with the standard library's own ``gzip``/``zlib``
decoders and produced by them for the reading tests, so monogen is never its own
oracle.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable

import pytest

from monogen.errors import CompressionError, CorruptRecordError, TruncatedRecordError
from monogen.io.compression import (
    SNIFF_SIZE,
    Compression,
    open_compressed_reader,
    open_compressed_writer,
    peek,
)

DATA = b"".join(b"record %d;" % i for i in range(2000))


class PipeReader:
    """Non-seekable, at most ``chunk`` bytes per read."""

    def __init__(self, data: bytes, chunk: int = 5) -> None:
        self._data = data
        self._pos = 0
        self._chunk = chunk

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = len(self._data)
        out = self._data[self._pos : self._pos + min(size, self._chunk)]
        self._pos += len(out)
        return out

    def seekable(self) -> bool:
        return False


def read_everything(stream: object) -> bytes:
    parts = []
    while chunk := stream.read(1000):  # type: ignore[attr-defined]
        parts.append(chunk)
    return b"".join(parts)


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gzip", Compression.GZIP),
        ("GZIP", Compression.GZIP),
        ("Zlib", Compression.ZLIB),
        ("none", Compression.NONE),
        ("", Compression.NONE),
        (None, Compression.NONE),
        (Compression.ZLIB, Compression.ZLIB),
    ],
)
def test_parse(text: str | Compression | None, expected: Compression) -> None:
    assert Compression.parse(text) is expected


def test_parse_unknown_lists_the_valid_names() -> None:
    with pytest.raises(CompressionError, match=r"unknown compression 'snappy'; .*none, gzip, zlib"):
        Compression.parse("snappy")


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize("level", [0, 1, 4, 6, 9])
def test_sniff_zlib_every_level(level: int) -> None:
    assert Compression.sniff(zlib.compress(DATA, level)[:SNIFF_SIZE]) is Compression.ZLIB


def test_sniff_gzip_and_plain() -> None:
    assert Compression.sniff(gzip.compress(DATA)[:SNIFF_SIZE]) is Compression.GZIP
    assert Compression.sniff(DATA[:SNIFF_SIZE]) is Compression.NONE
    assert Compression.sniff(b"") is Compression.NONE


@pytest.mark.parametrize(
    "head",
    [
        bytes.fromhex("7801000000000000") + b"x" * 376,  # a 376-byte length, LE
        bytes.fromhex("789c000000000000") + b"x" * 40056,
        bytes.fromhex("1f8b000000000000") + b"x" * 35615,
    ],
)
def test_magic_bytes_that_do_not_inflate_are_not_compression(head: bytes) -> None:
    assert Compression.from_magic(head) is not Compression.NONE
    assert Compression.sniff(head[:SNIFF_SIZE]) is Compression.NONE


def test_peek_rewinds_a_seekable_stream() -> None:
    fo = io.BytesIO(b"abcdef")
    fo.read(1)
    head, stream = peek(fo, 3)
    assert head == b"bcd"
    assert stream is fo
    assert fo.read() == b"bcdef"


@pytest.mark.parametrize("size", [-1, 2, 100])
def test_peek_replays_a_pipe(size: int) -> None:
    head, stream = peek(PipeReader(b"abcdefghij", chunk=3), 4)
    assert head == b"abcd"
    got = b""
    while chunk := stream.read(size):
        got += chunk
    assert got == b"abcdefghij"


# --------------------------------------------------------------------------- writing


@pytest.mark.parametrize(
    ("compression", "decode"),
    [(Compression.GZIP, gzip.decompress), (Compression.ZLIB, zlib.decompress)],
)
def test_writer_output_decodes_with_the_standard_library(
    compression: Compression, decode: Callable[[bytes], bytes]
) -> None:
    out = io.BytesIO()
    with open_compressed_writer(out, compression) as sink:
        for i in range(0, len(DATA), 7):
            sink.write(DATA[i : i + 7])
    assert not out.closed
    assert decode(out.getvalue()) == DATA


def test_gzip_output_is_reproducible() -> None:
    outputs = []
    for _ in range(2):
        out = io.BytesIO()
        out.name = "somefile.gz"  # a file name must not leak into the header
        with open_compressed_writer(out, "gzip") as sink:
            sink.write(DATA)
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]
    header = outputs[0][:10]
    assert header[:3] == bytes.fromhex("1f8b08")  # magic, deflate
    assert header[3] == 0  # FLG: no file name, comment or extra field
    assert header[4:8] == bytes(4)  # MTIME unset


def test_uncompressed_writer_is_the_file_itself() -> None:
    out = io.BytesIO()
    with open_compressed_writer(out, None) as sink:
        assert sink is out


def test_writer_leaves_no_trailer_when_the_block_fails() -> None:
    out = io.BytesIO()
    with pytest.raises(RuntimeError), open_compressed_writer(out, "gzip") as sink:
        sink.write(DATA)
        raise RuntimeError("boom")
    with pytest.raises(EOFError):
        gzip.decompress(out.getvalue())


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("said", [None, "gzip"])
@pytest.mark.parametrize("pipe", [False, True], ids=["seekable", "pipe"])
def test_reader_inflates_gzip(said: str | None, pipe: bool) -> None:
    packed = gzip.compress(DATA)
    fo = PipeReader(packed) if pipe else io.BytesIO(packed)
    assert read_everything(open_compressed_reader(fo, said)) == DATA


@pytest.mark.parametrize("said", [None, Compression.ZLIB])
def test_reader_inflates_zlib(said: Compression | None) -> None:
    stream = open_compressed_reader(io.BytesIO(zlib.compress(DATA, 9)), said)
    assert read_everything(stream) == DATA


def test_reader_passes_plain_data_through() -> None:
    assert read_everything(open_compressed_reader(PipeReader(DATA))) == DATA
    fo = io.BytesIO(DATA)
    assert open_compressed_reader(fo, "none") is fo


def test_concatenated_gzip_members_read_as_one() -> None:
    packed = gzip.compress(b"first|") + gzip.compress(b"second")
    assert read_everything(open_compressed_reader(io.BytesIO(packed), "gzip")) == b"first|second"


def test_empty_compressed_input_is_empty() -> None:
    assert read_everything(open_compressed_reader(io.BytesIO(b""), "zlib")) == b""


def test_truncated_stream() -> None:
    packed = zlib.compress(DATA)
    stream = open_compressed_reader(io.BytesIO(packed[:-3]), "zlib")
    with pytest.raises(TruncatedRecordError, match="ZLIB stream ends at compressed offset"):
        read_everything(stream)


def test_garbage_after_a_zlib_stream_is_corrupt() -> None:
    stream = open_compressed_reader(io.BytesIO(zlib.compress(DATA) + b"junk"), "zlib")
    with pytest.raises(CorruptRecordError, match="ZLIB stream is corrupt"):
        read_everything(stream)
