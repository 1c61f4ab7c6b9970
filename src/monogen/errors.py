"""monogen's one error family.

Every failure the library can explain raises a ``MonogenError``; the CLI catches
that root once and prints a single line. Subclasses also inherit the natural
built-in so callers who never heard of monogen can still catch them.

Messages speak the library's terms. An error about a parameter carries its name
(``param``) and writes it in the message as ``{name}``: ``str(error)`` shows the
bare name (``batch_size``), and the CLI renders the same message with the flag
that sets it (``--batch-size``), so each side reads its own vocabulary.

One exit-code rule: 2 when what the caller asked cannot be done (a parameter's
value or a combination of parameters: ``SchemaError``, ``ParameterError`` and its
subclasses, as click's own usage errors), 1 when the data, a file, a model or the
environment is at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

# The exit status of a usage mistake, the same as click's usage errors.
USAGE_EXIT = 2


class MonogenError(Exception):
    """Root of every error monogen raises on purpose."""

    #: The CLI's exit status for this error: 1 for failures, 2 for usage mistakes.
    exit_code: int = 1

    def __init__(self, message: str = "", *, param: str | Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.params: tuple[str, ...] = (param,) if isinstance(param, str) else tuple(param or ())

    @property
    def param(self) -> str | None:
        """The parameter the error concerns first, None when it concerns none."""
        return self.params[0] if self.params else None

    def render(self, name_of: Callable[[str], str]) -> str:
        """The message with each ``{param}`` written as ``name_of(param)``."""
        text = str(self.args[0]) if self.args else ""
        if not self.params:
            return text
        pattern = re.compile("{(" + "|".join(map(re.escape, self.params)) + ")}")
        return pattern.sub(lambda match: name_of(match.group(1)), text)

    def __str__(self) -> str:
        return self.render(str)


class ParameterError(MonogenError, ValueError):
    """A parameter's value, or a combination of parameters, that cannot be used."""

    exit_code = USAGE_EXIT


class SchemaError(MonogenError, ValueError):
    """The feature schema given by the options is invalid (a usage error)."""

    exit_code = USAGE_EXIT


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


class WarmupPlanError(ParameterError, WarmupError):
    """The warmup parameters ask for a file TF Serving would refuse (too many or too few logs)."""


class SavedModelError(MonogenError, ValueError):
    """A SavedModel directory cannot be read, or its signatures cannot be served."""


class VariantMismatchError(ParameterError, SavedModelError):
    """The record variant asked for is not the one the model's serving input takes."""


class OutputExistsError(MonogenError, FileExistsError):
    """The output exists and overwriting it was not asked for."""


class OutputError(MonogenError, OSError):
    """An output cannot be written (disk full, I/O error, a directory); the message names it."""

    def __init__(
        self, message: str, errno: int | None = None, *, param: str | Sequence[str] | None = None
    ) -> None:
        super().__init__(message, param=param)
        self.errno = errno


class CompressionError(MonogenError, ValueError):
    """A compression name is not one monogen knows; the message lists the valid names."""


class HeaderOptionsError(ParameterError):
    """Data-file header options that cannot be used together; the message names them."""


class RecordTooLargeError(MonogenError, ValueError):
    """A record is too large for the format (or for the readers that must read it back)."""


class TensorFlowMissingError(MonogenError, ImportError):
    """TensorFlow is needed (the ``tf`` extra) and not installed; the message says how to add it."""


class ExportOptionsError(ParameterError):
    """Options for exporting the demo model that cannot be used; the message names them."""


class ShardOptionsError(ParameterError):
    """Options for a sharded run that cannot be used (shards, jobs, engine); names the parameter."""


class ManifestError(MonogenError, ValueError):
    """A shard manifest cannot be read, or the shards it lists do not match it."""
