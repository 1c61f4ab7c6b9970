"""Output files that appear whole or not at all, and never clobber what they should not.

Every writer in monogen goes through ``open_output``. What it promises, by target:

* **A regular file (new or replaced).** Data goes to a temporary file beside the
  target, named ``.<name>.<random>.monogen-tmp`` (``TEMP_SUFFIX``), which is
  flushed, fsynced, given its final permission bits and only then put in place;
  the directory is fsynced after, so "complete or absent" survives a crash or a
  power cut. While the file grows, each full ``WRITEBACK_WINDOW`` of it is handed
  to the kernel to write back (``posix_fadvise(DONTNEED)``, which starts the
  writeback without waiting), so the closing fsync finds little left to do instead
  of waiting for the whole file, and a large output does not push the rest of the
  page cache out. On any failure or signal the temporary file is removed, and so are
  the directories the run created for it. Only SIGKILL (or a power cut before the
  rename) can leave the temporary file behind; its name says where it came from.
* **No clobbering** (``force=False``): an existing path, a dangling symlink
  included, is refused. The final step is atomic, not check-then-rename: the file
  is hard-linked into place (``link`` fails if the name exists), or renamed with
  ``renameat2(RENAME_NOREPLACE)`` where the filesystem has no hard links. Of two
  runs racing for one name, exactly one succeeds.
* **``force=True``** replaces a regular file, keeping its permission bits. A
  symlink is replaced by the new file; the file it pointed to is left alone.
* **A character device, a FIFO, or one of this process's own descriptors**
  (``/dev/stdout``, ``/dev/fd/N``): written in place, as shell redirection
  does, with no temporary file and no ``force`` needed; such a file is never
  replaced. Directories, block devices and sockets are refused.
* ``-`` is standard output, where nothing can be taken back.

Write errors (ENOSPC, EIO, ...) become one ``OutputError`` naming the path. A
broken pipe (EPIPE) is left as ``BrokenPipeError``: the reader went away, which
the CLI reports differently from a failure.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from monogen.errors import MonogenError, OutputError, OutputExistsError
from monogen.io import remote

if TYPE_CHECKING:  # only for annotations; typing_extensions is not a runtime dependency
    from typing_extensions import Buffer

STDIO = "-"
STDOUT_LABEL = "standard output"
STDIN_LABEL = "stdin"

#: Suffix of every temporary output file: ``find . -name '*.monogen-tmp'`` lists
#: what a killed run left behind.
TEMP_SUFFIX = ".monogen-tmp"

# Paths that name a descriptor of this process rather than a file: /dev/fd/N,
# /proc/self/fd/N (and /proc/<our pid>/fd/N), which /dev/stdout and /dev/stderr link to.
_FD_PATH = re.compile(r"^/(?:dev/fd|proc/(?:self|thread-self|(?P<pid>\d+))/fd)/(?P<fd>\d+)$")
# Linux's limit on symlinks followed while resolving one path.
_MAX_SYMLINK_HOPS = 40
# renameat2 flag (linux/fs.h) and the "current directory" dirfd (fcntl.h).
_RENAME_NOREPLACE = 1
_AT_FDCWD = -100
# errnos of ``link`` that mean "this filesystem has no hard links", not "name taken".
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK})
#: Bytes of a durable output file written between two requests for early writeback.
WRITEBACK_WINDOW = 8 << 20
_REFUSED_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


@contextlib.contextmanager
def open_output(
    path: str | os.PathLike[str], *, force: bool = True, sync: bool = True
) -> Iterator[BinaryIO]:
    """Yield a binary file object for ``path`` (``-`` for stdout); see the module docstring.

    Parent directories are created. With ``force=False`` an existing file is an
    ``OutputExistsError`` and is left untouched. ``sync=False`` skips the fsyncs
    (the file still appears atomically, but a power cut may then leave it empty).
    """
    path = remote.as_local(path)
    if remote.is_url(path):
        with remote.open_output(str(path), force=force) as stream:
            yield stream
        return
    if str(path) == STDIO:
        with _writing(STDOUT_LABEL):
            stream = _stdout()
            yield stream
            stream.flush()
        return
    target = Path(path)
    in_place = _in_place_fd(target)
    if in_place is not None:
        with _writing(str(target)), io.BufferedWriter(_StreamFile(in_place)) as stream:
            yield stream
        return
    refuse_existing(target, force=force)
    mode = _final_mode(target)
    created: list[Path] = []
    tmp: Path | None = None
    try:
        with _writing(str(target)):
            created = _make_parents(target.parent)
            import tempfile  # here: readers import this module, only writers need it

            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent
            )
            tmp = Path(tmp_name)
            with io.BufferedWriter(_temp_file(fd, sync=sync)) as stream:
                yield stream
                stream.flush()
                os.fchmod(fd, mode)
                if sync:
                    os.fsync(fd)
            _publish(tmp, target, force=force)
            tmp = None
            if sync:
                _sync_directory(target.parent)
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        for directory in reversed(created):
            with contextlib.suppress(OSError):  # another run may have put files there
                directory.rmdir()
        raise


def _temp_file(fd: int, *, sync: bool) -> io.FileIO:
    """The raw file under a temporary output: with early writeback when it will be fsynced."""
    if sync and hasattr(os, "posix_fadvise"):
        return _WritebackFile(fd)
    return io.FileIO(fd, "wb")


class _WritebackFile(io.FileIO):
    """A new regular file that asks the kernel to start writing back each full
    ``WRITEBACK_WINDOW`` as soon as it is written (see the module docstring)."""

    def __init__(self, fd: int) -> None:
        super().__init__(fd, "wb")
        self._written = 0
        self._advised = 0

    def write(self, data: Buffer, /) -> int:
        count = super().write(data) or 0
        self._written += count
        pending = self._written - self._advised
        if pending >= WRITEBACK_WINDOW:
            os.posix_fadvise(self.fileno(), self._advised, pending, os.POSIX_FADV_DONTNEED)
            self._advised = self._written
        return count


class _StreamFile(io.FileIO):
    """A device or pipe opened for writing; ``tell`` counts the bytes written, since a
    position means nothing there (and ``lseek`` fails on a pipe)."""

    def __init__(self, fd: int) -> None:
        super().__init__(fd, "wb")
        self._written = 0

    def write(self, data: Buffer, /) -> int:
        count = super().write(data)
        self._written += count or 0
        return count or 0

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._written


def refuse_existing(path: str | os.PathLike[str], *, force: bool) -> None:
    """Raise unless ``path`` may be written: ``OutputExistsError`` for an existing file
    (or symlink, dangling or not) without ``force``, ``OutputError`` for a directory,
    block device or socket. Character devices and FIFOs are always writable in place.

    ``open_output`` checks this itself; commands call it first as well, so that a
    kept file is reported before any work (or any note about it) is done.
    """
    path = remote.as_local(path)
    if remote.is_url(path):
        return remote.refuse_existing(str(path), force=force)
    if str(path) == STDIO or _is_own_descriptor(str(path)):
        return
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if not force and os.path.lexists(path):
            raise OutputExistsError(
                f"{path} exists (a dangling symlink); pass {{force}} to overwrite it",
                param="force",
            ) from None
        return
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}", exc.errno) from exc
    kind = stat.S_IFMT(info.st_mode)
    if kind in _REFUSED_KINDS:
        raise OutputError(f"cannot write {path}: it is {_REFUSED_KINDS[kind]}")
    if kind == stat.S_IFREG and not force:
        raise OutputExistsError(f"{path} exists; pass {{force}} to overwrite it", param="force")


@contextlib.contextmanager
def _writing(label: str) -> Iterator[None]:
    """Turn an I/O error in the block into one ``OutputError`` naming ``label``.

    Errors that already name their own file (``filename`` set, e.g. an input that
    could not be opened) and broken pipes pass through unchanged.
    """
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        if isinstance(exc, MonogenError) or exc.filename is not None:
            raise
        raise OutputError(f"cannot write {label}: {exc.strerror or exc}", exc.errno) from exc


def _stdout() -> BinaryIO:
    stdout = sys.stdout
    if stdout is None:  # the process was started with descriptor 1 closed
        raise OutputError(f"cannot write {STDOUT_LABEL}: it is closed", errno.EBADF)
    return stdout.buffer


def _is_own_descriptor(path: str) -> bool:
    return _own_descriptor(path) is not None


def _own_descriptor(path: str) -> int | None:
    """The descriptor number when ``path`` (or a symlink chain from it) names one of ours."""
    current = os.path.abspath(path)
    for _ in range(_MAX_SYMLINK_HOPS):
        match = _FD_PATH.match(current)
        if match:
            pid = match["pid"]
            return int(match["fd"]) if pid is None or int(pid) == os.getpid() else None
        try:
            link = os.readlink(current)
        except OSError:
            return None
        current = os.path.normpath(os.path.join(os.path.dirname(current), link))
    return None


def _in_place_fd(target: Path) -> int | None:
    """An open descriptor to write into when ``target`` is written in place, else None."""
    own = _own_descriptor(str(target))
    if own is not None:
        if sys.stdout is not None:  # what was printed so far goes first, as in a shell
            sys.stdout.flush()
        try:
            return os.dup(own)
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror}", exc.errno) from exc
    try:
        info = os.stat(target)
    except OSError:
        return None
    if not (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        return None
    try:
        return os.open(target, os.O_WRONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror}", exc.errno) from exc


def _final_mode(target: Path) -> int:
    """A replaced regular file's permission bits; otherwise what ``open`` would give."""
    with contextlib.suppress(OSError):
        info = os.lstat(target)
        if stat.S_ISREG(info.st_mode):
            return stat.S_IMODE(info.st_mode)
    return 0o666 & ~_umask()


def _make_parents(directory: Path) -> list[Path]:
    """Create ``directory`` and missing ancestors; return those created, outermost first."""
    missing: list[Path] = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    created: list[Path] = []
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            continue  # made by a concurrent run: not ours to remove
        created.append(path)
    return created


def _publish(tmp: Path, target: Path, *, force: bool) -> None:
    """Put the finished ``tmp`` at ``target``: replace it with ``force``, else never."""
    if force:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise OutputExistsError(
            f"{target} exists; pass {{force}} to overwrite it", param="force"
        ) from None
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        _rename_noreplace(tmp, target)
        return
    tmp.unlink()


def _rename_noreplace(tmp: Path, target: Path) -> None:
    """``rename`` that fails when ``target`` exists (Linux ``renameat2``, via libc)."""
    import ctypes  # here: only filesystems without hard links need it

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        raise OutputError(
            f"cannot create {target} without risking a clobber: the filesystem has no hard"
            " links and the system no renameat2; pass {force}",
            errno.ENOTSUP,
            param="force",
        )
    status = renameat2(
        _AT_FDCWD, os.fsencode(tmp), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE
    )
    if status != 0:
        code = ctypes.get_errno()
        if code == errno.EEXIST:
            raise OutputExistsError(
                f"{target} exists; pass {{force}} to overwrite it", param="force"
            )
        raise OSError(code, os.strerror(code))


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def open_input(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open ``path`` for binary reading (``-`` for stdin) with a one-line error if it cannot be."""
    path = remote.as_local(path)
    if remote.is_url(path):
        with remote.open_input(str(path)) as stream:
            yield stream
        return
    if str(path) == STDIO:
        if sys.stdin is None:  # the process was started with descriptor 0 closed
            raise MonogenError(f"cannot read {STDIN_LABEL}: it is closed")
        yield sys.stdin.buffer
        return
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise MonogenError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with stream:
        yield stream
