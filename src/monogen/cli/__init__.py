"""The ``monogen`` command line: a thin shell over the library.

Commands parse options, call the core and render output. Core modules are
imported inside command bodies so that ``monogen --help`` stays fast (numpy and
protobuf are not loaded until a command needs them).

How a run ends, besides success (exit 0) and click's usage errors (exit 2):

* a ``MonogenError``: ``Error: <message>``, the parameters it names written as
  their flags (``cli/flags.py``), and the error's exit status: 2 for a usage
  mistake (``SchemaError``, ``ParameterError``), 1 for a failure of the data, a
  file, a model or the environment;
* any other I/O error: one line naming the file (or standard output), exit 1;
* SIGINT, SIGTERM, SIGHUP: the output being written is removed (``open_output``),
  ``Error: interrupted by SIGTERM``, exit 128 + the signal number (130, 143, 129);
* a reader that went away (``monogen ... | head``): no message, exit 141, which is
  128 + SIGPIPE, what a shell reports for a writer the pipe killed.
"""

from __future__ import annotations

import errno
import importlib
import os
import signal
import sys
from types import FrameType
from typing import Any, NoReturn

import click

from monogen import __version__
from monogen.errors import MonogenError

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class CliError(click.ClickException):
    """A library error shown as one line, with the error's own exit status."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares a class default


# Signals that end a run the way Ctrl-C does. A run started with one of them
# ignored (``nohup`` ignores SIGHUP) keeps ignoring it.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
SIGNAL_EXIT_BASE = 128  # a shell's exit status for a process ended by signal N is 128 + N


class Stop(BaseException):
    """Ends the run with ``status`` and an optional one-line ``message``.

    A ``BaseException`` so that click's own handlers (which turn Ctrl-C into
    "Aborted!" and exit 1) let it through to ``main``.
    """

    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message


# The module under monogen.cli that defines each command. A command's module is
# imported when the command runs (or for the full --help listing), so one command does
# not pay for the imports of the others (tests/test_startup.py checks this table
# against each module's COMMANDS).
COMMAND_MODULES = {
    "fids": "records",
    "example": "records",
    "instance": "records",
    "batch": "records",
    "schema": "records",
    "warmup": "warmup",
    "export-demo": "tf",
    "replay": "tf",
    "datafile": "datafile",
    "inspect": "inspect",
    "profile": "profile",
}


class MonogenGroup(click.Group):
    """Turns every ``MonogenError`` into ``Error: <message>`` and its exit status,
    other I/O errors into one line, and signals and broken pipes into ``Stop``.

    Commands are loaded on first use (``COMMAND_MODULES``); each one added gets its
    options' MONOGEN_* variables and ``--config``.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if cmd_name not in self.commands and module is not None:
            for command in importlib.import_module(f"monogen.cli.{module}").COMMANDS:
                self.add_command(command)
        return self.commands.get(cmd_name)

    def all_commands(self) -> dict[str, click.Command]:
        """Every command, each module loaded: for what looks across commands."""
        for name in COMMAND_MODULES:
            self.get_command(click.Context(self), name)
        return dict(self.commands)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        from monogen.cli.settings import attach_settings

        attach_settings(cmd)
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MonogenError as exc:
            from monogen.cli.flags import cli_message

            name = ctx.invoked_subcommand
            command = self.get_command(ctx, name) if name else None
            raise CliError(cli_message(exc, command), exc.exit_code) from None
        except click.NoSuchOption as exc:
            from monogen.cli.options import foreign_option

            raise foreign_option(self.all_commands(), exc, self.name) from None
        except click.BadParameter as exc:
            from monogen.cli.settings import name_the_source

            name_the_source(exc)
            raise
        except KeyboardInterrupt as exc:
            signum = exc.args[0] if exc.args else signal.SIGINT
            name = signal.Signals(signum).name
            raise Stop(SIGNAL_EXIT_BASE + signum, f"Error: interrupted by {name}") from None
        except BrokenPipeError:
            raise Stop(SIGNAL_EXIT_BASE + signal.SIGPIPE) from None
        except OSError as exc:
            # Files monogen opens report their own errors; what is left names its
            # file, or is a write to stdout (click.echo, rich) that failed.
            where = exc.filename if exc.filename is not None else "cannot write standard output"
            raise CliError(f"{where}: {exc.strerror or exc}", 1) from None


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


def _interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    """Raise ``KeyboardInterrupt(signum)``; later signals are ignored so cleanup can finish."""
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    raise KeyboardInterrupt(signum)


def _catch_stop_signals() -> None:
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _interrupt)


def _occupy_closed_standard_descriptors() -> None:
    """Put /dev/null on any of descriptors 0, 1, 2 the process was started without.

    Otherwise the next file opened takes that number, and output meant for stdout
    lands in it. Descriptor 1 gets /dev/null opened read-only, so that writing to
    stdout still fails with EBADF, as writing to a closed descriptor does; stdin
    (write-only) likewise cannot be read; stderr is writable so errors can be "shown".
    """
    for fd, flags in ((0, os.O_WRONLY), (1, os.O_RDONLY), (2, os.O_WRONLY)):
        try:
            os.fstat(fd)
        except OSError as exc:
            if exc.errno != errno.EBADF:
                raise
            opened = os.open(os.devnull, flags)
            if opened != fd:
                os.dup2(opened, fd)
                os.close(opened)
    if sys.stdout is None:
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - the interpreter's own stream
    if sys.stderr is None:
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115 - the interpreter's own stream


def _end(stop: Stop) -> NoReturn:
    """Exit as ``stop`` says. Descriptor 1 is pointed at /dev/null first, so the
    interpreter's last flush of output nobody can take cannot fail a second time."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    if stop.message:
        click.echo(stop.message, err=True)
    sys.exit(stop.status)


def _flush_stdout(status: int) -> None:
    """Flush stdout before exiting with ``status``, turning a failure into a ``Stop``.

    If the run already failed, its message was shown; the flush failing too (the
    same closed stdout, most likely) adds no second line.
    """
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        raise Stop(SIGNAL_EXIT_BASE + signal.SIGPIPE) from None
    except OSError as exc:
        message = f"Error: cannot write standard output: {exc.strerror}"
        raise Stop(1, None if status else message) from None


# monogen does no linear algebra, so OpenBLAS's thread pool, which numpy starts on
# import, would be start-up time (about 50 ms of CPU here) for threads that never
# run a job. A value the user set is kept. Set before any command imports numpy.
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "1")


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault(*BLAS_THREADS)
    _occupy_closed_standard_descriptors()
    _catch_stop_signals()
    try:
        try:
            cli.main(prog_name="monogen")
        except SystemExit as done:
            _flush_stdout(done.code if isinstance(done.code, int) else 1)
            raise
    except Stop as stop:
        _end(stop)
