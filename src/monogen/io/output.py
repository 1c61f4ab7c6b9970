"""Output files that appear whole or not at all.

Every writer in monogen goes through ``open_output``: data is written to a
temporary file beside the target and renamed into place only when the ``with``
block ends without an exception, so an interrupted or failed run never leaves a
half-written file where a reader (or TF Serving) would pick it up. ``-`` means
standard output, where nothing can be taken back.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from monogen.errors import MonogenError, OutputExistsError

STDIO = "-"


@contextlib.contextmanager
def open_output(path: str | os.PathLike[str], *, force: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file object for ``path`` (``-`` for stdout), renamed into place on success.

    Parent directories are created. With ``force=False`` an existing file is an
    ``OutputExistsError`` and is left untouched.
    """
    if str(path) == STDIO:
        stream = sys.stdout.buffer
        yield stream
        stream.flush()
        return
    refuse_existing(path, force=force)
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise MonogenError(f"cannot write {target}: {exc.strerror or exc}") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def refuse_existing(path: str | os.PathLike[str], *, force: bool) -> None:
    """Raise ``OutputExistsError`` when ``path`` exists and ``force`` is off.

    ``open_output`` checks this itself; commands call it first as well, so that a
    kept file is reported before any work (or any note about it) is done.
    """
    if not force and str(path) != STDIO and Path(path).exists():
        raise OutputExistsError(f"{path} exists; pass --force to overwrite it")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def open_input(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open ``path`` for binary reading (``-`` for stdin) with a one-line error if it cannot be."""
    if str(path) == STDIO:
        yield sys.stdin.buffer
        return
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise MonogenError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with stream:
        yield stream
