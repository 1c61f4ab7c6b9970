"""Byte-stream plumbing shared by every reader and writer: exact reads, peeking, seeking.

monogen reads from files, pipes and stdin alike, and writes to files or stdout. A
pipe gives short reads and cannot seek, so every question a reader asks of its
input ("read exactly n bytes", "look at the first bytes, then start over", "where
am I", "how much is left") is answered here once, for both kinds of stream.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from typing import Protocol

# Reads are made in pieces of at most this size, so a garbage length in a damaged
# file costs no more memory than the bytes that actually exist.
READ_CHUNK = 16 << 20


class BinarySink(Protocol):
    """Anything bytes can be written to: a binary file, ``sys.stdout.buffer``, a compressor."""

    def write(self, data: bytes, /) -> object: ...


class BinarySource(Protocol):
    """Anything bytes can be read from, possibly in short reads (pipes)."""

    def read(self, size: int = -1, /) -> bytes: ...


def read_exact(read: Callable[[int], bytes | None], size: int) -> bytes:
    """``size`` bytes from ``read``, fewer only at the end of the stream.

    Loops over short reads, as pipes give them, in pieces of at most ``READ_CHUNK``.
    """
    parts: list[bytes] = []
    got = 0
    while got < size:
        chunk = read(min(size - got, READ_CHUNK))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def reader_into(src: BinarySource) -> Callable[[memoryview], int]:
    """A function that fills the front of a buffer from ``src`` with one read and says how
    many bytes it put there (0 at the end of the stream).

    One read, not a loop until the buffer is full: a regular file fills it anyway, and a
    pipe hands over what it holds, so its reader can work on that while the writer
    refills the pipe. ``readinto1`` and ``readinto`` fill in place; ``read`` is copied in.
    """
    readinto = getattr(src, "readinto1", None) or getattr(src, "readinto", None)
    if readinto is not None:
        return lambda view: int(readinto(view) or 0)
    read = src.read

    def read_into(view: memoryview) -> int:
        data = read(len(view))
        view[: len(data)] = data
        return len(data)

    return read_into


def drain_whole(pending: bytearray, size: int, emit: Callable[[memoryview], object]) -> None:
    """Hand ``emit`` every whole ``size``-byte piece at the front of ``pending``, then drop them.

    Block and frame writers buffer what they are given and compress fixed-size
    pieces; the remainder stays in ``pending`` for the next write or the finish.
    """
    if len(pending) < size:
        return
    start = 0
    with memoryview(pending) as view:
        while len(pending) - start >= size:
            emit(view[start : start + size])
            start += size
    del pending[:start]


def position(fo: object) -> int | None:
    """Where ``fo`` is now, if it can seek back there; None for pipes and the like."""
    seekable, tell = getattr(fo, "seekable", None), getattr(fo, "tell", None)
    if seekable is None or tell is None or getattr(fo, "seek", None) is None:
        return None
    try:
        return int(tell()) if seekable() else None
    except (OSError, ValueError):
        return None


def remaining(fo: object) -> int | None:
    """Bytes from ``fo``'s position to its end, if it can tell without reading."""
    here = position(fo)
    if here is None or not _regular_file(fo):
        return None
    seek = fo.seek  # type: ignore[attr-defined]
    try:
        end = int(seek(0, os.SEEK_END))
        seek(here)
    except (OSError, ValueError):
        return None
    return end - here


def _regular_file(fo: object) -> bool:
    """False for a device such as /dev/zero: it seeks, but its "end" is not where data ends."""
    fileno = getattr(fo, "fileno", None)
    try:
        return fileno is None or stat.S_ISREG(os.fstat(fileno()).st_mode)
    except (OSError, ValueError, AttributeError):  # BytesIO and wrappers have no descriptor
        return True


class _ReplayingSource:
    """Gives back ``head`` (bytes already taken from ``fo``), then the rest of ``fo``.

    Used after peeking at a stream that cannot seek back. Reads may come up short at
    the seam between ``head`` and ``fo``; readers loop, as they must for pipes anyway.
    """

    def __init__(self, head: bytes, fo: BinarySource) -> None:
        self._head = head
        self._fo = fo
        self._fo_into = reader_into(fo)
        self.name = getattr(fo, "name", None)

    def readinto1(self, view: memoryview, /) -> int:
        """What one read gives: the rest of ``head`` that fits, else one read of ``fo``."""
        if not self._head:
            return self._fo_into(view)
        size = min(len(view), len(self._head))
        view[:size] = self._head[:size]
        self._head = self._head[size:]
        return size

    def read(self, size: int = -1, /) -> bytes:
        if not self._head:
            return self._fo.read(size)
        if size < 0:
            data, self._head = self._head + self._fo.read(), b""
            return data
        data, self._head = self._head[:size], self._head[size:]
        return data


def peek(fo: BinarySource, size: int) -> tuple[bytes, BinarySource]:
    """The first ``size`` bytes of ``fo`` (fewer if it is shorter), and a stream that still
    yields every byte: ``fo`` itself rewound when it can seek, otherwise a stream that
    replays the peeked bytes first. Read from the returned stream only.
    """
    start = position(fo)
    head = read_exact(fo.read, size)
    if start is not None:
        fo.seek(start)  # type: ignore[attr-defined]
        return head, fo
    return head, _ReplayingSource(head, fo)
