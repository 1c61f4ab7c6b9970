"""Files named by path or URL: what monogen needs beyond ``open_output`` and ``open_input``."""

from __future__ import annotations

import contextlib
import os


def remove(path: str) -> None:
    """Delete ``path`` if it exists (a failed run's shards)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
