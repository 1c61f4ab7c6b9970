"""Settings from a TOML config file, for the CLI's precedence chain.

Precedence, highest first: command-line flag > ``MONOGEN_*`` environment variable >
config file > built-in default. Flags and environment variables are click's job;
this module turns a config file into click's ``default_map``, which click consults
only when neither a flag nor an environment variable gave a value.

A config file holds top-level keys shared by every command and optional tables
named after a command, whose keys win for that command::

    sparse = ["user_id", "item_id"]
    dense = ["user_embedding:16"]
    feature_list = "feature_list.conf"   # relative to this file
    seed = 7

    [warmup]
    batch_size = 32

Values are checked strictly against the kind of setting they give: TOML has
booleans, integers, floats, strings, dates and arrays, and a value of another kind
is an error naming the file, the key, the kind expected and the value found
(``batch_size = 1.5`` is not silently 1). Paths are relative to the config file,
so a config works from any directory.
"""

from __future__ import annotations

import datetime
import math
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from monogen.errors import ConfigError, MonogenError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_ENV = "MONOGEN_CONFIG"
# Tables that hold a generation spec (docs/generation.md, "Generation specs"), not a
# command's settings: a config file with them is the spec of the commands that take
# one (the setting SPEC_KEY), unless the file names another spec file.
SPEC_TABLES = frozenset({"features", "labels"})
SPEC_KEY = "profile"
# A path setting whose value is this means stdin/stdout, not a file next to the config.
STDIO = "-"


class Kind(Enum):
    """What a setting's value must be in a config file; the value is its description."""

    BOOL = "a boolean"
    INT = "an integer"
    NUMBER = "a number"
    STRING = "a string"
    STRINGS = "a string or an array of strings"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


_ACCEPTS: dict[Kind, Callable[[object], bool]] = {
    Kind.BOOL: lambda v: isinstance(v, bool),
    Kind.INT: _is_int,
    Kind.NUMBER: _is_number,
    Kind.STRING: lambda v: isinstance(v, str),
    Kind.STRINGS: lambda v: (
        isinstance(v, str) or (isinstance(v, list) and all(isinstance(item, str) for item in v))
    ),
}


@dataclass(frozen=True)
class Setting:
    """One config key: the parameter it sets, its kind, and whether it names a file."""

    param: str
    kind: Kind
    is_path: bool = False


def load_config(
    path: str | os.PathLike[str],
    *,
    command: str,
    settings: Mapping[str, Mapping[str, Setting]],
) -> dict[str, Any]:
    """Read ``path`` and return ``{parameter: value}`` for the settings of ``command``.

    ``settings`` maps every command name to its config keys. Keys use the option's
    long name with ``_`` or ``-`` (``batch_size``/``batch-size``). A top-level key
    that only other commands know is skipped; a key no command knows, or a key in
    ``[command]`` that this command lacks, is an error, so a typo does not pass
    silently. A value of the wrong kind is an error, except a top-level value
    that suits another command's option of that name (it is left to that one);
    a path is made relative to the config file's directory; a single string for a
    list setting is a list of one.
    """
    data = read_toml(path, "config file", ConfigError)
    tables = {k for k, v in data.items() if isinstance(v, dict)}
    spec_tables = tables & SPEC_TABLES
    tables -= spec_tables
    unknown_tables = sorted(tables - set(settings))
    if unknown_tables:
        raise ConfigError(f"config file {path}: unknown command table(s) {unknown_tables}")
    known = settings.get(command, {})
    known_anywhere = set().union(*(keys.keys() for keys in settings.values()))
    base = Path(path).parent
    result = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if key in tables or key in spec_tables:
            continue
        if name not in known_anywhere:
            raise ConfigError(f"config file {path}: unknown key {key!r}")
        if name in known:
            setting = known[name]
            if not _ACCEPTS[setting.kind](value) and _fits_elsewhere(name, value, settings):
                continue  # e.g. export-demo's flag `warmup = true` is not replay's path
            result[setting.param] = _checked(path, "", key, value, setting, base)
    for key, value in data.get(command, {}).items():
        name = key.replace("-", "_")
        if name not in known:
            raise ConfigError(f"config file {path}: [{command}] unknown key {key!r}")
        setting = known[name]
        result[setting.param] = _checked(path, f"[{command}] ", key, value, setting, base)
    if spec_tables and SPEC_KEY in known:
        result.setdefault(known[SPEC_KEY].param, str(path))
    return result


def read_toml(path: str | os.PathLike[str], kind: str, error: type[MonogenError]) -> dict[str, Any]:
    """The TOML file ``path`` as a dict; a file that cannot be read is one ``error``
    naming ``kind`` and the path."""
    try:
        with open(path, "rb") as stream:
            return tomllib.load(stream)
    except OSError as exc:
        raise error(f"cannot read {kind} {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{kind} {path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{kind} {path}: not UTF-8 text ({exc.reason})") from None


def _fits_elsewhere(
    name: str, value: object, settings: Mapping[str, Mapping[str, Setting]]
) -> bool:
    """Whether a top-level value suits another command whose option of this name differs."""
    return any(name in keys and _ACCEPTS[keys[name].kind](value) for keys in settings.values())


def _checked(
    path: str | os.PathLike[str], table: str, key: str, value: object, setting: Setting, base: Path
) -> object:
    if not _ACCEPTS[setting.kind](value):
        raise ConfigError(
            f"config file {path}: {table}key {key!r} must be {setting.kind.value}, "
            f"found {_toml(value)} ({_toml_type(value)})"
        )
    if setting.kind is Kind.STRINGS and isinstance(value, str):
        return [value]
    if setting.is_path and isinstance(value, str) and value != STDIO:
        return str(base / value) if not os.path.isabs(value) else value
    return value


def _toml(value: object) -> str:
    """``value`` written as in the TOML file (``true``, ``"yes"``, ``[1, 2]``, ``inf``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


# TOML's own names for its value types; datetime is checked before date (a subclass).
_TOML_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a float"),
    (str, "a string"),
    (list, "an array"),
    (dict, "a table"),
    (datetime.datetime, "a date-time"),
    (datetime.date, "a date"),
    (datetime.time, "a time"),
)


def _toml_type(value: object) -> str:
    return next((name for cls, name in _TOML_TYPES if isinstance(value, cls)), "a value")
