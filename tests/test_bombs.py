"""Memory bombs: files whose lengths claim far more than they hold, or than is sane.

Each reader checks a claimed length before reading it (``monogen.io.limits``), so
memory follows the limit, never the claim. The CLI cases run in a subprocess under
``RLIMIT_AS`` (a gigabyte allocation fails there) and measure the child's peak RSS.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

import monogen
from monogen.errors import CorruptRecordError, TruncatedRecordError
from monogen.io import datafile, tfrecord
from monogen.io.deflate import GZIP_WBITS
from monogen.io.limits import DEFAULT_MAX_RECORD_SIZE, record_size_limit

SRC = str(Path(monogen.__file__).resolve().parents[1])
ADDRESS_SPACE_LIMIT = 512 << 20  # room for Python, numpy and protobuf; not for a GiB
PEAK_RSS_LIMIT = 100 << 20
GIB = 1 << 30
TERA_CLAIM = 1 << 40
MIB = 1 << 20


def tfrecord_header(length: int) -> bytes:
    """A frame header claiming ``length`` bytes, with a valid length CRC."""
    raw = struct.pack("<Q", length)
    return raw + struct.pack("<I", tfrecord.masked_crc32c(raw))


def gzip_of(prefix: bytes, zeros: int) -> bytes:
    """``prefix`` then ``zeros`` zero bytes, gzip-compressed a MiB at a time."""
    compressor = zlib.compressobj(wbits=GZIP_WBITS)
    parts = [compressor.compress(prefix)]
    block = bytes(MIB)
    for _ in range(zeros // MIB):
        parts.append(compressor.compress(block))
    parts.append(compressor.flush())
    return b"".join(parts)


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    where = tmp_path_factory.mktemp("bombs")
    files = {
        # 8 zero bytes (an empty sort id), a payload length of 2**30, then 1 GiB of zeros.
        "datafile.gz": gzip_of(bytes(8) + struct.pack("<Q", GIB), GIB),
        "tfrecord": tfrecord_header(TERA_CLAIM) + bytes(MIB),
        "tfrecord.gz": gzip_of(tfrecord_header(TERA_CLAIM), GIB),
    }
    paths = {}
    for name, data in files.items():
        paths[name] = where / name
        paths[name].write_bytes(data)
    assert paths["datafile.gz"].stat().st_size < 2 * MIB
    return paths


# Runs monogen under RLIMIT_AS, then writes the process's peak RSS (VmHWM, which
# belongs to this process image alone: a fork's pre-exec memory is not counted) to
# the file named by argv[1]. argv[2:] are monogen's arguments.
BOUNDED_MONOGEN = f"""
import atexit, resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE_LIMIT}, {ADDRESS_SPACE_LIMIT}))
report = sys.argv[1]

def peak():
    with open('/proc/self/status') as status, open(report, 'w') as out:
        out.write(next(line for line in status if line.startswith('VmHWM:')).split()[1])

atexit.register(peak)
sys.argv = ['monogen', *sys.argv[2:]]
runpy.run_module('monogen', run_name='__main__')
"""


def run_bounded(args: list[str], report: Path, stdin: Path | None = None) -> tuple[int, str, int]:
    """Run monogen under RLIMIT_AS; return exit status, stderr and peak RSS in bytes."""
    with open(stdin or os.devnull, "rb") as source:
        result = subprocess.run(
            [sys.executable, "-c", BOUNDED_MONOGEN, str(report), *args],
            env={**os.environ, "PYTHONPATH": SRC},
            stdin=source,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=300,
        )
    return result.returncode, result.stderr.decode(), int(report.read_text()) * 1024  # kB


CASES: dict[str, tuple[str, list[str], bool]] = {
    # id: (bomb, arguments (BOMB stands for its path), read from stdin)
    "inspect gzip data file": ("datafile.gz", ["inspect", "BOMB"], False),
    "inspect gzip data file, header given": (
        "datafile.gz",
        ["inspect", "BOMB", "--format", "datafile", "--sort-id", "--variant", "example"],
        False,
    ),
    "inspect gzip data file from stdin": (
        "datafile.gz",
        ["inspect", "-", "--format", "datafile", "--sort-id", "--variant", "example"],
        True,
    ),
    "warmup from gzip data file": (
        "datafile.gz",
        ["warmup", "--from-datafile", "BOMB", "--variant", "example", "--out", "-"],
        False,
    ),
    "inspect tfrecord": ("tfrecord", ["inspect", "BOMB"], False),
    "inspect tfrecord from stdin": ("tfrecord", ["inspect", "-", "--format", "tfrecord"], True),
    "inspect gzip tfrecord": ("tfrecord.gz", ["inspect", "BOMB"], False),
    "inspect gzip tfrecord from stdin": (
        "tfrecord.gz",
        ["inspect", "-", "--format", "tfrecord"],
        True,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bomb_is_refused_in_bounded_memory(
    bombs: dict[str, Path], case: str, tmp_path: Path
) -> None:
    bomb, args, from_stdin = CASES[case]
    path = bombs[bomb]
    status, stderr, peak = run_bounded(
        [str(path) if arg == "BOMB" else arg for arg in args],
        tmp_path / "peak",
        stdin=path if from_stdin else None,
    )
    assert status == 1, stderr
    assert "Traceback" not in stderr and "MemoryError" not in stderr, stderr
    (line,) = stderr.splitlines()
    assert line.startswith(f"Error: {'stdin' if from_stdin else path}")
    assert peak < PEAK_RSS_LIMIT, f"peak RSS {peak >> 20} MiB"


# --------------------------------------------------------------------------- library


class ReadSpy(io.BytesIO):
    """A seekable source that remembers the largest read asked of it."""

    largest = 0

    def read(self, size: int | None = -1, /) -> bytes:
        self.largest = max(self.largest, size if size is not None and size >= 0 else 1 << 62)
        return super().read(size)


class PipeSpy:
    """A non-seekable source (a pipe) that remembers the largest read asked of it."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.largest = 0

    def read(self, size: int = -1, /) -> bytes:
        self.largest = max(self.largest, size if size >= 0 else 1 << 62)
        return self._data.read(size)


def read_tfrecord(src: object) -> None:
    list(tfrecord.read_records(src))  # type: ignore[arg-type]


def read_datafile(src: object) -> None:
    list(datafile.read(src, compression="none"))  # type: ignore[arg-type]


READERS: dict[str, tuple[Callable[[object], None], Callable[[int], bytes]]] = {
    "tfrecord": (read_tfrecord, lambda n: tfrecord_header(n) + bytes(100)),
    "datafile": (read_datafile, lambda n: bytes(8) + struct.pack("<Q", n) + bytes(100)),
}


@pytest.mark.parametrize("kind", sorted(READERS))
def test_seekable_claim_past_the_end_fails_before_reading(kind: str) -> None:
    reader, make = READERS[kind]
    data = make(1000)
    src = ReadSpy(data)
    with pytest.raises(TruncatedRecordError, match=r"runs past the end|stream ends after 112 of"):
        reader(src)
    # Never more than the file holds: the 1000 claimed bytes were never asked for.
    assert src.largest <= len(data) < 1000


@pytest.mark.parametrize("kind", sorted(READERS))
def test_stream_claim_over_the_limit_fails_before_reading(kind: str) -> None:
    reader, make = READERS[kind]
    src = PipeSpy(make(DEFAULT_MAX_RECORD_SIZE + 1))
    with pytest.raises(CorruptRecordError, match=r"is over max_record_size \(134217728 bytes\)"):
        reader(src)
    assert src.largest <= datafile.READ_BLOCK  # a block at most, never the claim


VALID_100 = {
    "tfrecord": tfrecord.frame(bytes(100)),
    "datafile": bytes(8) + struct.pack("<Q", 100) + bytes(100),
}


@pytest.mark.parametrize("kind", sorted(READERS))
def test_limit_can_be_lowered_and_a_record_at_it_passes(kind: str) -> None:
    reader, _ = READERS[kind]
    with record_size_limit(99), pytest.raises(CorruptRecordError, match=r"\(99 bytes\)"):
        reader(PipeSpy(VALID_100[kind]))
    with record_size_limit(100):
        reader(PipeSpy(VALID_100[kind]))


def test_explicit_limit_beats_the_default() -> None:
    with pytest.raises(CorruptRecordError, match=r"\(99 bytes\)"):
        list(datafile.read(PipeSpy(VALID_100["datafile"]), max_record_size=99))  # type: ignore[arg-type]
    with pytest.raises(CorruptRecordError, match=r"\(99 bytes\)"):
        list(tfrecord.iter_frames(PipeSpy(VALID_100["tfrecord"]), max_record_size=99))  # type: ignore[arg-type]


@pytest.mark.parametrize("command", ["inspect", "warmup"])
def test_max_record_size_flag(tmp_path: Path, command: str) -> None:
    from click.testing import CliRunner

    from monogen.cli import cli

    data = tmp_path / "d.bin"
    data.write_bytes(VALID_100["datafile"])
    args = {
        "inspect": ["inspect", str(data), "--sort-id", "--variant", "example"],
        "warmup": ["warmup", "--from-datafile", str(data), "--variant", "example", "--out", "-"],
    }[command]
    result = CliRunner().invoke(cli, [*args, "--max-record-size", "99"])
    assert result.exit_code == 1
    assert "payload length 100 is over max_record_size (99 bytes)" in result.stderr
