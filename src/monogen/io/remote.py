"""Outputs and inputs named by URL (``s3://``, ``gs://``, ``hdfs://``, ``memory://``,
``file://``), through fsspec (the ``remote`` extra: ``pip install 'monogen[remote]'``).

``io.output`` hands every URL here, so a URL can go wherever a path can: ``--out``,
shards and their manifest, ``inspect`` and ``--from-datafile``. The promise of
``open_output`` holds for URLs too, nothing partial is ever visible:

* ``file://`` is a local path and goes back to ``io.output`` with all its guarantees;
* object stores (S3, GCS) upload in parts that become an object only when the
  upload is completed, at the end; on failure the upload is aborted (``discard``);
* other filesystems (HDFS, memory) get a temporary name beside the target, moved
  into place at the end and removed on failure.

A URL whose scheme fsspec does not know, or whose filesystem package is not
installed, is a ``RemoteError`` (one line naming the extra to install), never a
local directory named ``hdfs:``.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

from monogen.errors import MonogenError, OutputExistsError

EXTRA = "pip install 'monogen[remote]'"
SCHEMES = ("s3", "gs", "hdfs", "memory", "file")
# Filesystems whose uploads become visible only when completed: written in place.
OBJECT_STORES = frozenset({"s3", "s3a", "gs", "gcs"})
TEMP_SUFFIX = ".monogen-tmp"
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")


class RemoteError(MonogenError, ValueError):
    """A URL monogen cannot open: unknown scheme, or its filesystem is not installed."""

    exit_code = 2


def is_url(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a URL (``scheme://...``) rather than a local path."""
    return isinstance(path, str) and _URL.match(path) is not None


def as_local(path: str | os.PathLike[str]) -> str | os.PathLike[str]:
    """The local path a ``file://`` URL names; any other path or URL unchanged."""
    if not isinstance(path, str):
        return path
    match = _URL.match(path)
    if match is None or match["scheme"].lower() != "file":
        return path
    return path[match.end() :] or "/"


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem for ``url`` and the path within it; ``RemoteError`` if unusable."""
    match = _URL.match(url)
    scheme = match["scheme"].lower() if match else ""
    try:
        import fsspec
    except ImportError:
        raise RemoteError(f"{url}: URLs need fsspec; {EXTRA}") from None
    try:
        cls = fsspec.get_filesystem_class(scheme)
    except ValueError:
        known = ", ".join(f"{s}://" for s in SCHEMES)
        raise RemoteError(f"{url}: unknown URL scheme {scheme!r} (with {EXTRA}: {known})") from None
    except ImportError as exc:
        raise RemoteError(
            f"{url}: the {scheme}:// filesystem is not installed ({exc}); {EXTRA}"
        ) from None
    options = cls._get_kwargs_from_urls(url)
    try:
        fs = cls(**options)
    except Exception as exc:
        raise MonogenError(f"cannot open {url}: {exc}") from exc
    return fs, cls._strip_protocol(url)


def refuse_existing(url: str, *, force: bool) -> None:
    """``OutputExistsError`` when the object exists and ``force`` is off."""
    if force:
        filesystem(url)  # still refuse a URL that cannot be written at all
        return
    fs, path = filesystem(url)
    if fs.exists(path):
        raise OutputExistsError(f"{url} exists; pass {{force}} to overwrite it", param="force")


@contextlib.contextmanager
def open_output(url: str, *, force: bool) -> Iterator[BinaryIO]:
    """``io.output.open_output`` for a URL: the object appears whole at the end, or never."""
    refuse_existing(url, force=force)
    fs, path = filesystem(url)
    protocols = {fs.protocol} if isinstance(fs.protocol, str) else set(fs.protocol)
    writer = _upload if protocols & OBJECT_STORES else _move_into_place
    with _remote_errors("write", url), writer(fs, path) as stream:
        yield stream


@contextlib.contextmanager
def _upload(fs: Any, path: str) -> Iterator[BinaryIO]:
    """Completed on close, aborted by ``discard``: an object store's upload."""
    stream = fs.open(path, "wb")
    try:
        yield cast(BinaryIO, stream)
    except BaseException:
        stream.discard()
        stream.closed = True  # discarded: closing would try to complete the upload
        raise
    stream.close()


@contextlib.contextmanager
def _move_into_place(fs: Any, path: str) -> Iterator[BinaryIO]:
    folder, _, name = path.rpartition("/")
    temp = f"{folder}/.{name}.{uuid.uuid4().hex}{TEMP_SUFFIX}"
    try:
        fs.makedirs(folder, exist_ok=True)
        with fs.open(temp, "wb") as stream:
            yield cast(BinaryIO, stream)
        fs.mv(temp, path)
    except BaseException:
        with contextlib.suppress(Exception):
            fs.rm(temp)
        raise


@contextlib.contextmanager
def open_input(url: str) -> Iterator[BinaryIO]:
    """``io.output.open_input`` for a URL: a one-line error if it cannot be read."""
    fs, path = filesystem(url)
    with _remote_errors("read", url):
        stream = fs.open(path, "rb")
    with stream:
        yield cast(BinaryIO, stream)


def remove(path: str) -> None:
    """Delete the file or object ``path`` (a path or URL) if it exists: a failed run's shards."""
    if not is_url(path):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return
    fs, inner = filesystem(path)
    with contextlib.suppress(FileNotFoundError):
        fs.rm(inner)


@contextlib.contextmanager
def _remote_errors(verb: str, url: str) -> Iterator[None]:
    """A filesystem's OSError as one line naming the URL."""
    try:
        yield
    except FileNotFoundError:
        raise MonogenError(f"cannot {verb} {url}: no such file") from None
    except PermissionError as exc:
        raise MonogenError(f"cannot {verb} {url}: permission denied ({exc})") from None
    except OSError as exc:
        if isinstance(exc, MonogenError):
            raise
        raise MonogenError(f"cannot {verb} {url}: {exc.strerror or exc}") from exc
