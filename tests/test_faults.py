"""The CLI under faults: signals mid-write, a full disk, closed or vanished stdout, races.

Every case runs ``monogen`` in a subprocess, because signals, file descriptors and
exit statuses are properties of a real process. The promise checked each time:
one line on stderr, no traceback, the documented exit status, nothing left behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import monogen
from monogen.io.output import TEMP_SUFFIX

SRC = str(Path(monogen.__file__).resolve().parents[1])  # the code under test, not an installed copy
ENV = {**os.environ, "PYTHONPATH": SRC}
MONOGEN = [sys.executable, "-m", "monogen"]
# Enough work that a run is still writing when the signal arrives.
LONG_DATAFILE = ["datafile", "--num-batch", "1000000", "--seed", "1", "-q"]


def monogen(*args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*MONOGEN, *args], env=ENV, capture_output=True, timeout=120, **kwargs)  # type: ignore[call-overload, no-any-return]


def one_line(stderr: bytes) -> str:
    text = stderr.decode()
    assert "Traceback" not in text, text
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


def everything_under(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def wait_for_temp_file(directory: Path, process: subprocess.Popen[bytes]) -> None:
    """Block until the run has a temp file with data in it (it is mid-write)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        temps = [p for p in directory.rglob("*" + TEMP_SUFFIX) if p.stat().st_size > 0]
        if temps:
            return
        time.sleep(0.02)
    raise AssertionError("the run never started writing")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signal_mid_write_leaves_nothing(tmp_path: Path, signum: signal.Signals) -> None:
    out = tmp_path / "made" / "by" / "run" / "d.bin"
    process = subprocess.Popen(
        [*MONOGEN, *LONG_DATAFILE, "--out", str(out)], env=ENV, stderr=subprocess.PIPE
    )
    wait_for_temp_file(tmp_path, process)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum
    assert one_line(stderr) == f"Error: interrupted by {signum.name}"
    assert everything_under(tmp_path) == []


def test_sigkill_leaves_a_recognisable_temp_file(tmp_path: Path) -> None:
    """What the README says about SIGKILL: only a temp file named ``.NAME.*.monogen-tmp``."""
    out = tmp_path / "d.bin"
    process = subprocess.Popen([*MONOGEN, *LONG_DATAFILE, "--out", str(out)], env=ENV)
    wait_for_temp_file(tmp_path, process)
    process.kill()
    process.wait(timeout=60)
    (left,) = everything_under(tmp_path)
    assert left.startswith(".d.bin.") and left.endswith(TEMP_SUFFIX)


@contextlib.contextmanager
def small_tmpfs(where: Path) -> Iterator[Path]:
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (the injected-ENOSPC test in test_output covers it)")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


FULL_DISK_COMMANDS = {
    "datafile": ["datafile", "--num-batch", "200"],
    "warmup": ["warmup", "--max-records", "2000"],
    "example": ["example", "-n", "2000", "-f", "tfrecord"],
    "instance": ["instance", "-n", "2000", "-f", "tfrecord"],
    "batch": ["batch", "-n", "100", "-f", "tfrecord"],
}


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
@pytest.mark.parametrize("command", sorted(FULL_DISK_COMMANDS))
def test_full_disk(tmp_path: Path, command: str) -> None:
    with small_tmpfs(tmp_path / "small") as disk:
        out = disk / "new" / "dir" / "out.bin"
        result = monogen(*FULL_DISK_COMMANDS[command], "--seed", "1", "-q", "--out", str(out))
        assert result.returncode == 1
        assert one_line(result.stderr) == f"Error: cannot write {out}: No space left on device"
        assert everything_under(disk) == []


@pytest.mark.parametrize("command", sorted(FULL_DISK_COMMANDS))
def test_dev_full(command: str) -> None:
    result = monogen(*FULL_DISK_COMMANDS[command], "--seed", "1", "-q", "--out", "/dev/full")
    assert result.returncode == 1
    assert one_line(result.stderr) == "Error: cannot write /dev/full: No space left on device"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_stdout_to_dev_full() -> None:
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [*MONOGEN, "example", "-n", "2000", "-q", "--out", "-"],
            env=ENV, stdout=full, stderr=subprocess.PIPE, timeout=120,
        )  # fmt: skip
    assert result.returncode == 1
    message = "Error: cannot write standard output: No space left on device"
    assert one_line(result.stderr) == message


@pytest.mark.parametrize(
    "args",
    [
        ["example", "-n", "5", "-q"],
        ["datafile", "--num-batch", "2", "-q", "--out", "-"],
    ],
)
def test_closed_stdout(args: list[str]) -> None:
    result = monogen(*args, "--seed", "1", preexec_fn=lambda: os.close(1))
    assert result.returncode == 1
    assert one_line(result.stderr) == "Error: cannot write standard output: Bad file descriptor"


def test_inspect_with_closed_stdout_fails(tmp_path: Path) -> None:
    data = tmp_path / "d.bin"
    assert (
        monogen("datafile", "--num-batch", "1", "--seed", "1", "-q", "--out", str(data)).returncode
        == 0
    )
    result = monogen("inspect", str(data), "--show", "1", preexec_fn=lambda: os.close(1))
    assert result.returncode == 1
    assert one_line(result.stderr) == "Error: cannot write standard output: Bad file descriptor"


def test_downstream_head_ends_the_run_quietly() -> None:
    """``monogen ... | head``: exit 141 (128 + SIGPIPE, as a shell reports a writer the
    pipe killed), nothing on stderr."""
    process = subprocess.Popen(
        [*MONOGEN, "example", "-n", "1000000", "-f", "json", "--seed", "1", "-q"],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stdout.read(100)
    process.stdout.close()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGPIPE
    assert stderr == b""


def test_two_concurrent_writers_exactly_one_succeeds(tmp_path: Path) -> None:
    out = tmp_path / "d.bin"
    args = ["datafile", "--num-batch", "300", "-q", "--out", str(out), "--seed"]
    results = []
    for attempt in range(3):
        out.unlink(missing_ok=True)
        runs = [
            subprocess.Popen([*MONOGEN, *args, str(seed)], env=ENV, stderr=subprocess.PIPE)
            for seed in (1, 2)
        ]
        outcomes = [(run.wait(timeout=120), run.stderr.read()) for run in runs]  # type: ignore[union-attr]
        results.append(sorted(code for code, _ in outcomes))
        for code, stderr in outcomes:
            if code:
                assert one_line(stderr) == f"Error: {out} exists; pass --force to overwrite it"
        assert everything_under(tmp_path) == ["d.bin"], attempt
    assert results == [[0, 1]] * 3


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
def test_character_device_as_out(tmp_path: Path) -> None:
    device = tmp_path / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    for extra in ([], ["--force"]):
        result = monogen("datafile", "--num-batch", "2", "-q", "--out", str(device), *extra)
        assert result.returncode == 0, result.stderr
        assert stat.S_ISCHR(device.stat().st_mode)
    assert everything_under(tmp_path) == ["null"]


def test_dev_stdout_as_out() -> None:
    args = ["example", "-n", "3", "--seed", "1", "--req-time", "100", "-q", "-f", "binary"]
    via_dash = monogen(*args, "--out", "-")
    via_dev = monogen(*args, "--out", "/dev/stdout")
    assert via_dev.returncode == 0, via_dev.stderr
    assert via_dev.stdout == via_dash.stdout != b""
