"""Where an option's value comes from besides the command line: MONOGEN_* and --config.

Every option of every command gets its environment variable and config key from
its long name, when the command joins the ``monogen`` group (``attach_settings``):
``--batch-size`` reads MONOGEN_BATCH_SIZE and the config key ``batch_size``. An
option added to any command is covered without naming it anywhere. The exceptions:
``--config`` has a variable (MONOGEN_CONFIG) but no key, ``-h/--help`` has neither,
and positional arguments (files to read, fids to decode) are data, not settings.
click applies the precedence flag > environment > config file (its
``default_map``) > default.
"""

from __future__ import annotations

import click

from monogen.config import Kind, Setting
from monogen.errors import USAGE_EXIT

ENV_PREFIX = "MONOGEN_"


def env(name: str) -> str:
    """``batch_size`` -> ``MONOGEN_BATCH_SIZE``."""
    return ENV_PREFIX + name.upper()


CONFIG = "config"
# Where the context keeps the config file's path, for messages about its values.
CONFIG_META = "monogen.config"


def long_name(param: click.Parameter) -> str | None:
    """``--batch-size`` -> ``batch_size``: the option's variable and config key, unprefixed."""
    if not isinstance(param, click.Option):
        return None
    flag = next((o for o in param.opts if o.startswith("--")), None)
    return flag[2:].replace("-", "_") if flag else None


def _kind(option: click.Option) -> Kind:
    if option.multiple:
        return Kind.STRINGS
    if option.is_flag or isinstance(option.type, click.types.BoolParamType):
        return Kind.BOOL
    if isinstance(option.type, click.types.IntParamType):
        return Kind.INT
    if isinstance(option.type, click.types.FloatParamType):
        return Kind.NUMBER
    return Kind.STRING


def settings_of(command: click.Command) -> dict[str, Setting]:
    """A command's config keys, each with the parameter it sets and the kind it takes."""
    settings = {}
    for param in command.params:
        key = long_name(param)
        if key is None or key == CONFIG or not isinstance(param, click.Option):
            continue
        is_path = isinstance(param.type, click.Path)
        settings[key] = Setting(param.name or key, _kind(param), is_path=is_path)
    return settings


def attach_settings(command: click.Command) -> None:
    """Give each option of ``command`` its MONOGEN_* variable, and the command ``--config``."""
    for param in command.params:
        key = long_name(param)
        if key is not None:
            param.envvar = env(key)
    if not any(long_name(p) == CONFIG for p in command.params):
        command.params.append(_config_param())


def _config_param() -> click.Option:
    return click.Option(
        ["--config"],
        type=click.Path(dir_okay=False),
        envvar=env(CONFIG),
        is_eager=True,
        expose_value=False,
        callback=_load_config,
        help="TOML file of option defaults (flags and MONOGEN_* variables win over it).",
    )


def _load_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """Eager: turn the config file into click's default_map before other options are read."""
    if value:
        from monogen.cli import CliError, MonogenGroup
        from monogen.config import load_config
        from monogen.errors import ConfigError

        command = ctx.info_name or ""
        group = ctx.parent.command if ctx.parent else None
        siblings = group.all_commands() if isinstance(group, MonogenGroup) else {}
        settings = {name: settings_of(cmd) for name, cmd in siblings.items()}
        settings[command] = settings_of(ctx.command)
        try:
            values = load_config(value, command=command, settings=settings)
        except ConfigError as exc:
            raise CliError(str(exc), USAGE_EXIT) from None
        keys = {s.param: key for key, s in settings[command].items()}
        params = {p.name: p for p in ctx.command.params}
        for name, setting in values.items():
            try:
                params[name].type_cast_value(ctx, setting)
            except click.BadParameter as exc:
                raise CliError(
                    f"config file {value}: key {keys[name]!r}: {exc.message}", USAGE_EXIT
                ) from None
        ctx.default_map = {**(ctx.default_map or {}), **values}
        ctx.meta[CONFIG_META] = value
    return value


def name_the_source(exc: click.BadParameter) -> None:
    """Say where a bad value came from when it was not typed: a variable or the config file."""
    ctx, param = exc.ctx, exc.param
    if ctx is None or not isinstance(param, click.Option) or param.name is None:
        return
    source = ctx.get_parameter_source(param.name)
    origin = None
    if source is click.core.ParameterSource.ENVIRONMENT:
        origin = param.envvar
    elif source is click.core.ParameterSource.DEFAULT_MAP:
        origin = ctx.meta.get(CONFIG_META)
    if origin:
        exc.param_hint = f"{param.get_error_hint(ctx)} (from {origin})"
