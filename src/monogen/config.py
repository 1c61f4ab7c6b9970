"""Settings from a TOML config file, for the CLI's precedence chain.

Precedence, highest first: command-line flag > ``MONOGEN_*`` environment variable >
config file > built-in default. Flags and environment variables are click's job;
this module turns a config file into click's ``default_map``, which click consults
only when neither a flag nor an environment variable gave a value.

A config file holds top-level keys shared by every command and optional tables
named after a command, whose keys win for that command::

    sparse = ["user_id", "item_id"]
    dense = ["user_embedding:16"]
    seed = 7

    [warmup]
    batch_size = 32
"""

from __future__ import annotations

import os
import sys
from collections.abc import Collection, Mapping
from typing import Any

from monogen.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_ENV = "MONOGEN_CONFIG"


def load_config(
    path: str | os.PathLike[str], *, command: str, known: Collection[str], commands: Collection[str]
) -> dict[str, Any]:
    """Read ``path`` and return the settings that apply to ``command``.

    Keys use the option's long name with ``_`` or ``-`` (``batch_size``/``batch-size``).
    A key no option of ``command`` knows is an error, so a typo does not pass silently;
    tables for other commands are ignored.
    """
    try:
        with open(path, "rb") as stream:
            data = tomllib.load(stream)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    settings = {k: v for k, v in data.items() if not isinstance(v, dict)}
    table = data.get(command, {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"config file {path}: [{command}] must be a table")
    settings.update(table)
    tables = {k for k, v in data.items() if isinstance(v, dict)}
    unknown_tables = sorted(tables - set(commands))
    if unknown_tables:
        raise ConfigError(f"config file {path}: unknown command table(s) {unknown_tables}")
    result = {}
    for key, value in settings.items():
        name = key.replace("-", "_")
        if name not in known:
            hint = f" for `monogen {command}`" if command else ""
            raise ConfigError(f"config file {path}: unknown key {key!r}{hint}")
        result[name] = value
    return result
