"""open_output: whole-or-absent files, special files written in place, atomic no-clobber."""

from __future__ import annotations

import errno
import io
import itertools
import os
import stat
import threading
from pathlib import Path

import pytest

from monogen.errors import MonogenError, OutputExistsError
from monogen.io import output
from monogen.io.output import TEMP_SUFFIX, open_output

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(TEMP_SUFFIX))


def test_writes_the_file_when_the_block_ends(tmp_path: Path) -> None:
    target = tmp_path / "d.bin"
    with open_output(target) as fo:
        fo.write(b"abc")
        assert not target.exists()
        assert len(leftovers(tmp_path)) == 1
    assert target.read_bytes() == b"abc"
    assert leftovers(tmp_path) == []


def test_temp_file_has_the_documented_name(tmp_path: Path) -> None:
    with open_output(tmp_path / "d.bin") as fo:
        fo.write(b"x")
        (name,) = leftovers(tmp_path)
    assert name.startswith(".d.bin.") and name.endswith(".monogen-tmp")


def test_failure_leaves_nothing_and_removes_directories_it_created(tmp_path: Path) -> None:
    (tmp_path / "kept").mkdir()
    with pytest.raises(RuntimeError), open_output(tmp_path / "kept/new/sub/d.bin") as fo:
        fo.write(b"x")
        raise RuntimeError("boom")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["kept"]


def test_new_file_mode_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        with open_output(tmp_path / "d.bin") as fo:
            fo.write(b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "d.bin").stat().st_mode) == 0o640


def test_replaced_file_keeps_its_permission_bits(tmp_path: Path) -> None:
    target = tmp_path / "d.bin"
    target.write_bytes(b"old")
    target.chmod(0o604)
    with open_output(target, force=True) as fo:
        fo.write(b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o604


def test_no_clobber_holds_against_a_file_created_during_the_run(tmp_path: Path) -> None:
    """The final step refuses an existing file atomically, not only the check before it."""
    target = tmp_path / "d.bin"
    with pytest.raises(OutputExistsError, match="exists"), open_output(target, force=False) as fo:
        fo.write(b"mine")
        target.write_bytes(b"theirs")  # another run finished first
    assert target.read_bytes() == b"theirs"
    assert leftovers(tmp_path) == []


def test_no_clobber_without_hard_links_uses_rename_noreplace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(output.os, "link", no_links)
    target = tmp_path / "d.bin"
    with open_output(target, force=False) as fo:
        fo.write(b"one")
    assert target.read_bytes() == b"one"
    with pytest.raises(OutputExistsError), open_output(target, force=False) as fo:
        fo.write(b"two")
    assert target.read_bytes() == b"one"
    assert leftovers(tmp_path) == []


def test_dangling_symlink_counts_as_existing(tmp_path: Path) -> None:
    link = tmp_path / "d.bin"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputExistsError), open_output(link, force=False) as fo:
        fo.write(b"x")
    assert link.is_symlink() and not (tmp_path / "nowhere").exists()


def test_force_replaces_a_symlink_not_the_file_it_points_to(tmp_path: Path) -> None:
    real = tmp_path / "real.bin"
    real.write_bytes(b"keep me")
    link = tmp_path / "d.bin"
    link.symlink_to(real)
    with open_output(link, force=True) as fo:
        fo.write(b"new")
    assert not link.is_symlink() and link.read_bytes() == b"new"
    assert real.read_bytes() == b"keep me"


def test_data_and_directory_are_synced_before_the_file_appears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "d.bin"
    synced: list[tuple[str, bool]] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        kind = "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        synced.append((kind, target.exists()))
        real_fsync(fd)

    monkeypatch.setattr(output.os, "fsync", spy)
    with open_output(target) as fo:
        fo.write(b"x")
    assert synced == [("file", False), ("dir", True)]


def test_write_error_names_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An injected ENOSPC (a full disk) becomes one MonogenError naming the output."""

    class FullDisk(io.FileIO):
        def write(self, data: object, /) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    target = tmp_path / "d.bin"
    monkeypatch.setattr(output, "_temp_file", lambda fd, sync: FullDisk(fd, "wb"))
    with pytest.raises(MonogenError) as info, open_output(target) as fo:
        fo.write(b"x" * 100)
    assert str(info.value) == f"cannot write {target}: No space left on device"
    assert list(tmp_path.iterdir()) == []


@needs_root
@pytest.mark.parametrize("force", [False, True])
def test_character_device_is_written_in_place(tmp_path: Path, force: bool) -> None:
    device = tmp_path / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a copy of /dev/null
    with open_output(device, force=force) as fo:
        fo.write(b"x" * 10)
    assert stat.S_ISCHR(device.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_dev_full_reports_no_space() -> None:
    with pytest.raises(MonogenError) as info, open_output("/dev/full", force=False) as fo:
        fo.write(b"x" * 100)
    assert str(info.value) == "cannot write /dev/full: No space left on device"


def test_fifo_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    with open_output(fifo, force=False) as fo:
        fo.write(b"through the pipe")
    reader.join(timeout=10)
    assert received == [b"through the pipe"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_directory_as_output_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MonogenError, match="is a directory"), open_output(tmp_path, force=True):
        pass


def _record_writeback(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The (offset, length) ranges handed to the kernel for early writeback."""
    calls: list[tuple[int, int]] = []

    def fadvise(fd: int, offset: int, length: int, advice: int) -> None:
        assert advice == os.POSIX_FADV_DONTNEED
        calls.append((offset, length))

    monkeypatch.setattr(os, "posix_fadvise", fadvise)
    return calls


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="no posix_fadvise here")
def test_a_durable_file_is_written_back_while_it_grows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # So the closing fsync finds little left to write: every full window already
    # written is handed to the kernel, each byte once, in order.
    calls = _record_writeback(monkeypatch)
    window = output.WRITEBACK_WINDOW
    piece = os.urandom(window // 3 + 1)
    target = tmp_path / "d.bin"
    with open_output(target) as fo:
        for _ in range(10):
            fo.write(piece)
    assert target.read_bytes() == piece * 10
    size = len(piece) * 10
    assert calls, "no writeback was started"
    assert calls[0][0] == 0
    assert all(a + n == b for (a, n), (b, _) in itertools.pairwise(calls))
    assert all(n >= window for _, n in calls)
    assert calls[-1][0] + calls[-1][1] <= size


def test_no_writeback_without_fsync_or_for_a_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _record_writeback(monkeypatch)
    big = bytes(2 * output.WRITEBACK_WINDOW + 1)
    with open_output(tmp_path / "d.bin", sync=False) as fo:
        fo.write(big)
    with open_output("/dev/null") as fo:
        fo.write(big)
    assert calls == []
