"""monogen's one error family.

Every failure the library can explain raises a ``MonogenError``; the CLI catches
that root once and prints a single line. Subclasses also inherit the natural
built-in so callers who never heard of monogen can still catch them.
"""

from __future__ import annotations


class MonogenError(Exception):
    """Root of every error monogen raises on purpose."""

    #: The CLI's exit status for this error: 1 for failures, 2 for bad options.
    exit_code: int = 1


class SchemaError(MonogenError, ValueError):
    """The feature schema given by the options is invalid (a usage error)."""

    exit_code = 2


class ConfigError(MonogenError, ValueError):
    """A config file or environment variable cannot be used."""


class FeatureListError(SchemaError):
    """A ``feature_list.conf`` line cannot be parsed; the message names file and line."""

    exit_code = 1


class UnknownFeatureError(FeatureListError, KeyError):
    """A feature list has no feature of that name or slot."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class SlotError(SchemaError):
    """A slot is outside the range its fid version can encode."""


class CorruptRecordError(MonogenError, ValueError):
    """A record's framing, checksum or payload is wrong; the message gives its byte offset."""


class TruncatedRecordError(MonogenError, EOFError):
    """A file ends inside a record; the message gives the record's byte offset."""


class WarmupError(MonogenError, ValueError):
    """A warmup file would fail TensorFlow Serving's checks, so it is not written."""


class SavedModelError(MonogenError, ValueError):
    """A SavedModel directory cannot be read, or its signatures cannot be served."""


class OutputExistsError(MonogenError, FileExistsError):
    """The output exists and overwriting it was not asked for."""


class OutputError(MonogenError, OSError):
    """An output cannot be written (disk full, I/O error, a directory); the message names it."""

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno


class CompressionError(MonogenError, ValueError):
    """A compression name is not one monogen knows; the message lists the valid names."""


class HeaderOptionsError(MonogenError, ValueError):
    """Data-file header options that cannot be used together; the message names the flags."""


class RecordTooLargeError(MonogenError, ValueError):
    """A record is too large for the format (or for the readers that must read it back)."""


class TensorFlowMissingError(MonogenError, ImportError):
    """TensorFlow is needed (the ``tf`` extra) and not installed; the message says how to add it."""


class ExportOptionsError(MonogenError, ValueError):
    """Options for exporting the demo model that cannot be used; the message names the flag."""

    exit_code = 2


class ShardOptionsError(MonogenError, ValueError):
    """Options for a sharded run that cannot be used (shards, jobs, engine); names the parameter."""

    exit_code = 2


class ManifestError(MonogenError, ValueError):
    """A shard manifest cannot be read, or the shards it lists do not match it."""
