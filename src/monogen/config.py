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
from collections.abc import Mapping
from typing import Any

from monogen.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_ENV = "MONOGEN_CONFIG"


def load_config(
    path: str | os.PathLike[str],
    *,
    command: str,
    options: Mapping[str, Mapping[str, str]],
) -> dict[str, Any]:
    """Read ``path`` and return the settings that apply to ``command``.

    ``options`` maps every command name to its config keys, each mapped to the click
    parameter it sets. Keys use the option's
    long name with ``_`` or ``-`` (``batch_size``/``batch-size``). A top-level key
    that only other commands know is skipped; a key no command knows, or a key in
    ``[command]`` that this command lacks, is an error, so a typo does not pass
    silently.
    """
    try:
        with open(path, "rb") as stream:
            data = tomllib.load(stream)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    tables = {k for k, v in data.items() if isinstance(v, dict)}
    unknown_tables = sorted(tables - set(options))
    if unknown_tables:
        raise ConfigError(f"config file {path}: unknown command table(s) {unknown_tables}")
    known = options.get(command, {})
    known_anywhere = set().union(*(keys.keys() for keys in options.values()))
    result = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if key in tables:
            continue
        if name not in known_anywhere:
            raise ConfigError(f"config file {path}: unknown key {key!r}")
        if name in known:
            result[known[name]] = value
    for key, value in data.get(command, {}).items():
        name = key.replace("-", "_")
        if name not in known:
            raise ConfigError(f"config file {path}: [{command}] unknown key {key!r}")
        result[known[name]] = value
    return result
