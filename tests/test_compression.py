"""Whole-stream compression: names, detection, and GZIP/ZLIB writing and reading.

Compressed bytes are checked with the standard library's own ``gzip``/``zlib``
decoders and produced by them for the reading tests, so monogen is never its own
oracle. Snappy and zstd have their own test modules; detection of every codec is
here.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
import snappy
import zstandard
from click.testing import CliRunner
from conftest import PipeReader, read_everything
from hypothesis import given, settings
from hypothesis import strategies as st

from monogen.cli import cli
from monogen.errors import CompressionError, CorruptRecordError, TruncatedRecordError
from monogen.io import datafile
from monogen.io.compression import (
    Compression,
    detect_compression,
    open_compressed_reader,
    open_compressed_writer,
)
from monogen.io.streams import peek, position, remaining

DATA = b"".join(b"record %d;" % i for i in range(2000))


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
    with pytest.raises(
        CompressionError, match=r"unknown compression 'lz4'; .*none, gzip, zlib, snappy, zstd"
    ):
        Compression.parse("lz4")


# --------------------------------------------------------------------------- detection


def detected(data: bytes) -> Compression:
    return detect_compression(io.BytesIO(data)).compression


@pytest.mark.parametrize("level", [0, 1, 4, 6, 9])
def test_detect_zlib_every_level(level: int) -> None:
    assert detected(zlib.compress(DATA, level)) is Compression.ZLIB


@pytest.mark.parametrize("wbits", [9, 12, 15])
def test_detect_zlib_every_window(wbits: int) -> None:
    packer = zlib.compressobj(wbits=wbits)
    assert detected(packer.compress(DATA) + packer.flush()) is Compression.ZLIB


def test_detect_gzip_and_plain() -> None:
    assert detected(gzip.compress(DATA)) is Compression.GZIP
    assert detected(DATA) is Compression.NONE
    assert detected(b"") is Compression.NONE


@pytest.mark.parametrize(
    "head",
    [
        bytes.fromhex("7801000000000000") + b"x" * 376,  # a 376-byte length, LE
        bytes.fromhex("789c000000000000") + b"x" * 40056,
        bytes.fromhex("1f8b000000000000") + b"x" * 35615,
    ],
)
def test_magic_bytes_that_do_not_inflate_are_not_compression(head: bytes) -> None:
    detected = detect_compression(io.BytesIO(head))
    assert detected.compression is Compression.NONE
    assert detected.looks_like is Compression.from_magic(head) is not Compression.NONE


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("789c", Compression.ZLIB),  # TensorFlow's default level
        ("7801", Compression.ZLIB),
        ("785e", Compression.ZLIB),
        ("78da", Compression.ZLIB),
        ("081d", Compression.ZLIB),  # a 256-byte window: 0x081d = 31 * 67
        ("783f", Compression.NONE),  # 0x783f = 31 * 993, but FDICT (a preset dictionary)
        ("789d", Compression.NONE),  # not a multiple of 31
        ("7f01", Compression.NONE),  # method 15, not deflate
        ("88", Compression.NONE),  # too short to tell
        ("1f8b", Compression.GZIP),
        ("28b52ffd", Compression.ZSTD),
        ("28b52f", Compression.NONE),
    ],
)
def test_magic_bytes(head: str, expected: Compression) -> None:
    """Hand-read against RFC 1950 §2.2, RFC 1952 §2.3.1 and RFC 8878 §3.1.1."""
    assert Compression.from_magic(bytes.fromhex(head)) is expected


def test_replay_and_detection_share_one_magic_rule() -> None:
    """replay's "looks compressed" verdict is detection's, for every two-byte header."""
    from monogen.serving.replay import _compression_reason

    for cmf in range(256):
        for flg in range(256):
            head = bytes([cmf, flg]) + bytes(10)
            says_compressed = bool(_compression_reason(head))
            assert says_compressed == (Compression.from_magic(head) is not Compression.NONE), head


def test_peek_rewinds_a_seekable_stream() -> None:
    fo = io.BytesIO(b"abcdef")
    fo.read(1)
    head, stream = peek(fo, 3)
    assert head == b"bcd"
    assert stream is fo
    assert fo.read() == b"bcdef"


def test_position_and_remaining() -> None:
    fo = io.BytesIO(b"abcdef")
    fo.read(2)
    assert (position(fo), remaining(fo)) == (2, 4)
    assert fo.read() == b"cdef"  # remaining() put the position back
    assert position(PipeReader(b"abc")) is None
    assert remaining(PipeReader(b"abc")) is None


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


def test_a_writer_refuses_what_its_readers_cannot_read() -> None:
    with pytest.raises(
        CompressionError,
        match=r"^compression 'zstd' does not apply here; expected one of: none, gzip, zlib$",
    ):
        Compression.parse("ZSTD", choices=(Compression.NONE, Compression.GZIP, Compression.ZLIB))


# --------------------------------------------------------------------------- data files and the CLI

# An independent decoder for every codec: the standard library, python-snappy, zstandard.
INDEPENDENT_DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.decompress,
    "zlib": zlib.decompress,
    "snappy": lambda data: snappy.HadoopStreamDecompressor().decompress(data),
    "zstd": lambda data: read_everything(
        zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True)
    ),
}


def cli_datafile(tmp_path: Path, name: str, *args: str) -> Path:
    path = tmp_path / name
    result = CliRunner().invoke(
        cli, ["datafile", "--seed", "3", "--req-time", "100", "-q", "--out", str(path), *args]
    )
    assert result.exit_code == 0, result.stderr
    return path


@pytest.mark.parametrize("codec", sorted(INDEPENDENT_DECODERS))
def test_cli_datafile_decodes_independently_to_the_uncompressed_file(
    tmp_path: Path, codec: str
) -> None:
    plain = cli_datafile(tmp_path, "plain.bin", "--num-batch", "40")
    packed = cli_datafile(tmp_path, f"d.{codec}", "--num-batch", "40", "--compression", codec)
    assert INDEPENDENT_DECODERS[codec](packed.read_bytes()) == plain.read_bytes()
    assert len(plain.read_bytes()) > 256 * 1024  # several snappy blocks
    with packed.open("rb") as fo:
        detected = detect_compression(fo)
        assert detected.compression is Compression(codec)


@pytest.mark.parametrize("codec", ["snappy", "zstd"])
def test_inspect_and_warmup_read_snappy_and_zstd_data_files(tmp_path: Path, codec: str) -> None:
    packed = cli_datafile(
        tmp_path, "d.bin", "--num-batch", "3", "--batch-size", "4", "--compression", codec
    )
    result = CliRunner().invoke(cli, ["inspect", str(packed)])
    assert result.exit_code == 0, result.stdout
    assert f"  format       Monolith data file, header sort_id (detected), {codec}" in result.stdout
    assert result.stdout.splitlines()[0] == f"{packed}: 12 sound records"
    warmup = tmp_path / "w.tfrecord"
    result = CliRunner().invoke(
        cli,
        [
            "warmup",
            "-q",
            "--from-datafile",
            str(packed),
            "--variant",
            "instance",
            "--out",
            str(warmup),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert CliRunner().invoke(cli, ["inspect", str(warmup)]).exit_code == 0


def test_a_snappy_name_reads_as_snappy_even_when_detection_could_not_tell(tmp_path: Path) -> None:
    """A file whose first block is damaged: the name still says snappy, and the error is snappy's."""
    path = tmp_path / "part-00000.snappy"
    path.write_bytes(bytes.fromhex("00000003 00000005 05086162 63"))
    with path.open("rb") as fo, pytest.raises(CorruptRecordError) as caught:
        list(datafile.read(fo))
    assert str(caught.value) == (
        f"{path} (SNAPPY, offsets uncompressed): record 0 at offset 0: snappy chunk at"
        " compressed offset 4 holds 5 bytes, more than the 3 left in its block"
    )


@pytest.mark.parametrize("codec", ["snappy", "zstd"])
def test_cut_snappy_and_zstd_data_files_fail_with_one_line_and_the_offset(
    tmp_path: Path, codec: str
) -> None:
    packed = cli_datafile(tmp_path, "d.bin", "--num-batch", "10", "--compression", codec)
    data = packed.read_bytes()
    packed.write_bytes(data[: len(data) // 2])
    result = CliRunner().invoke(cli, ["inspect", str(packed)])
    assert result.exit_code == 1
    assert re.search(
        rf"{codec} stream ends at compressed offset {len(data) // 2}, inside", result.stdout
    ), result.stdout


@settings(max_examples=200, deadline=None)
@given(codec=st.sampled_from(["gzip", "zlib"]), data=st.data())
def test_damaged_deflate_is_an_error_naming_an_offset_or_decodes(
    codec: str, data: st.DataObject
) -> None:
    out = io.BytesIO()
    with open_compressed_writer(out, codec) as sink:
        sink.write(DATA[:5000])
    packed = bytearray(out.getvalue())
    for _ in range(data.draw(st.integers(1, 4))):
        packed[data.draw(st.integers(0, len(packed) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(packed)))
    try:
        read_everything(open_compressed_reader(io.BytesIO(bytes(packed[:cut])), codec))
    except (CorruptRecordError, TruncatedRecordError) as exc:
        assert "compressed offset" in str(exc)


@pytest.mark.parametrize("codec", ["snappy", "zstd"])
def test_monoliths_reader_module_reads_snappy_and_zstd(tmp_path: Path, codec: str) -> None:
    """The library's drop-in for Monolith's PBReader detects the codec like every reader."""
    from monogen.compat.warmup_data_gen import PBReader

    packed = cli_datafile(
        tmp_path, "d.bin", "--num-batch", "3", "--batch-size", "4", "--compression", codec
    )
    plain = cli_datafile(tmp_path, "plain.bin", "--num-batch", "3", "--batch-size", "4")
    with plain.open("rb") as fo:
        expected = [record.payload for record in datafile.read(fo)]
    reader = PBReader(packed, batch_size=4, has_sort_id=True)
    assert [payload for batch in reader.batches() for payload in batch] == expected


@pytest.mark.parametrize("codec", ["snappy", Compression.ZSTD])
def test_tfrecord_writer_takes_only_tensorflows_compressions(codec: str | Compression) -> None:
    from monogen.io.tfrecord import TFRecordWriter

    name = Compression.parse(codec).value
    with pytest.raises(CompressionError) as caught:
        TFRecordWriter(io.BytesIO(), compression=codec)
    assert str(caught.value) == (
        f"compression {name!r} does not apply here; expected one of: none, gzip, zlib"
    )
