"""``monogen profile``: fit a generation spec to a data or warmup file (``monogen.profile``)."""

from __future__ import annotations

import click

from monogen.cli.common import start
from monogen.cli.options import force_option, out_option, quiet_option
from monogen.formats import RECORD_TYPE_CHOICES
from monogen.io.compression import Compression

RECORD_TYPES = ("auto", *RECORD_TYPE_CHOICES)
COMPRESSIONS = ("auto", *(member.value for member in Compression))


@click.command("profile")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@out_option()
@force_option
@click.option(
    "--variant",
    type=click.Choice(RECORD_TYPES, case_sensitive=False),
    default="auto",
    show_default=True,
    help="Record type; auto detects it as `monogen inspect` does.",
)
@click.option(
    "--compression",
    type=click.Choice(COMPRESSIONS, case_sensitive=False),
    default="auto",
    show_default=True,
    help="Whole-file compression; auto detects it.",
)
@quiet_option
def profile_cmd(
    path: str, out: str, force: bool, variant: str, compression: str, quiet: bool
) -> None:
    """Write a generation spec (TOML) that makes generated data look like PATH.

    Reads a Monolith data file or a TFRecord / warmup file (PATH, or - for stdin),
    with the same detection as `monogen inspect`, and fits per sparse feature its
    fill rate, ids per row (N, MIN..MAX or poisson:MEAN) and ids (a Zipf exponent by
    maximum likelihood over the distinct ids seen, or uniform); per dense feature a
    normal clipped to the observed range; per label head the positive rate. Each
    table keeps what was seen under `observed`. Pass the file to --profile of a
    generating command, with the same schema options.

    \b
    Example:
      monogen profile train.bin --out profile.toml
      monogen datafile --num-batch 100 --profile profile.toml --out alike.bin
      monogen profile warmup.tfrecord --out -
    """
    from monogen.cli.inspect import input_size
    from monogen.io.output import open_input, open_output
    from monogen.profile import profile_stream

    reporter = start(quiet=quiet)
    label = "stdin" if path == "-" else path
    with open_input(path) as stream, reporter.progress("profiling", input_size(path)) as advance:
        text = profile_stream(
            stream,
            label=label,
            progress=advance,
            record_type=None if variant == "auto" else variant,
            compression=None if compression == "auto" else compression,
        )
    with open_output(out, force=force) as sink:
        sink.write(text.encode("utf-8"))
    reporter.summary(f"profiled {label} to {'stdout' if out == '-' else out}")


COMMANDS = (profile_cmd,)
