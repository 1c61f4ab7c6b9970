"""The ``monogen`` command line: a thin shell over the library.

Commands parse options, call the core and render output. Core modules are
imported inside command bodies so that ``monogen --help`` stays fast (numpy and
protobuf are not loaded until a command needs them).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from monogen import __version__
from monogen.errors import MonogenError

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class CliError(click.ClickException):
    """A library error shown as one line, with the error's own exit status."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares a class default


class MonogenGroup(click.Group):
    """Turns every ``MonogenError`` into ``Error: <message>`` and its exit status.

    Each command added gets its options' MONOGEN_* variables and ``--config``.
    """

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        from monogen.cli.options import attach_settings

        attach_settings(cmd)
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MonogenError as exc:
            raise CliError(str(exc), exc.exit_code) from None
        except click.NoSuchOption as exc:
            from monogen.cli.options import foreign_option

            raise foreign_option(self, exc) from None


@click.group(cls=MonogenGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="monogen")
def cli() -> None:
    """Synthetic data in ByteDance Monolith's formats, without TensorFlow.

    Generates Example, Instance and ExampleBatch records, TensorFlow Serving
    warmup files and Monolith data files, reproducibly (--seed) and streaming.

    \b
    Example:
      monogen example --seed 1 --count 2
      monogen warmup --out warmup.tfrecord
      monogen datafile --num-batch 10 --out train.bin
    """


def _register() -> None:
    """Each command module exports ``COMMANDS``; they appear in ``monogen --help``."""
    from monogen.cli import datafile, inspect, records, tf, warmup

    for module in (records, warmup, tf, datafile, inspect):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="monogen")
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
