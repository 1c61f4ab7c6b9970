"""Library parameter names as the command line's flags: the CLI's one translation point.

A ``MonogenError`` names the parameters it concerns (``errors.py``); here each
becomes the flag that sets it in the command that failed, so ``batch_size``
reads ``--batch-size``, ``sort_id`` reads ``--sort-id`` and ``output_heads``
reads ``--output-head``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from monogen.errors import MonogenError

if TYPE_CHECKING:
    from monogen.io.datafile import HeaderOptions
    from monogen.io.detect import Detection


def flag_for(param: str, command: click.Command | None) -> str:
    """The long flag of ``command``'s option for ``param``, else ``--param-name``."""
    for option in command.params if command is not None else ():
        if isinstance(option, click.Option) and option.name == param:
            longs = [opt for opt in option.opts if opt.startswith("--")]
            if longs:
                return longs[0]
    return "--" + param.replace("_", "-")


def cli_message(exc: MonogenError, command: click.Command | None) -> str:
    """``exc``'s message with each parameter it names written as its flag."""
    return exc.render(lambda param: flag_for(param, command))


def header_flags(options: HeaderOptions) -> str:
    """The ``monogen inspect`` / ``monogen datafile`` flag that selects ``options``."""
    if options.lagrangex:
        return "--lagrangex"
    if not options.sort_id:
        return "--no-sort-id"
    if options.kafka_dump:
        return "--kafka-dump"
    if options.kafka_dump_prefix:
        return "--kafka-dump-prefix"
    return "--sort-id"


def pin_flags(detection: Detection) -> str:
    """``--sort-id or --lagrangex``: the flags that pin each header layout a reading fits."""
    return " or ".join(header_flags(h) for h in (detection.header, *detection.other_headers))
