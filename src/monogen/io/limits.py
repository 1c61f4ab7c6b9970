"""How much a reader may allocate for one record, whatever the file claims.

A record's length comes from the file, so a damaged or hostile file can claim a
terabyte. Readers therefore check every claimed length before reading it:

* against ``max_record_size`` (``DEFAULT_MAX_RECORD_SIZE`` unless the caller or
  ``record_size_limit`` says otherwise): past it the record is an error, whatever
  the input. The default is what Monolith's own readers can take: they buffer
  64 MiB per record, 128 MiB for ExampleBatch, so anything larger could not be
  trained on anyway;
* on a regular file, against the bytes actually left: a length that runs past the
  end is reported as truncation before a byte of it is read.

Reads then come in pieces of at most ``READ_CHUNK`` (``monogen.io.streams``),
so memory follows the bytes that exist, never the number a header holds.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from monogen.errors import CorruptRecordError, TruncatedRecordError

MIB = 1 << 20
#: Largest record a reader accepts by default (and a data-file writer writes): the
#: size of Monolith's ExampleBatch input buffer, twice its buffer for other records.
DEFAULT_MAX_RECORD_SIZE = 128 * MIB

_max_record_size: contextvars.ContextVar[int] = contextvars.ContextVar(
    "max_record_size", default=DEFAULT_MAX_RECORD_SIZE
)


def max_record_size(explicit: int | None = None) -> int:
    """The limit a reader applies: ``explicit`` when given, else the current default."""
    return _max_record_size.get() if explicit is None else explicit


@contextlib.contextmanager
def record_size_limit(limit: int) -> Iterator[None]:
    """Within the block, readers not given ``max_record_size`` accept records up to ``limit``.

    For callers that reach the readers through layers which do not pass the limit
    along (the CLI's ``--max-record-size``).
    """
    if limit < 1:
        raise ValueError(f"max_record_size must be at least 1, not {limit}")
    token = _max_record_size.set(limit)
    try:
        yield
    finally:
        _max_record_size.reset(token)


def check_length(
    length: int, *, limit: int, left: int | None, where: str, field: str, hint: str = ""
) -> None:
    """Refuse a claimed ``length`` over ``limit``, or over ``left`` bytes when that is known.

    ``where`` (file, record index, offset) starts the message; ``hint`` ends it.
    """
    if length > limit:
        raise CorruptRecordError(
            f"{where}: {field} {length} is over max_record_size ({limit} bytes){hint}"
        )
    if left is not None and length > left:
        raise TruncatedRecordError(
            f"{where}: {field} {length} runs past the end of the data ({left} bytes left){hint}"
        )
