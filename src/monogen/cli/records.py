"""``monogen fids | example | instance | batch | schema``: records to look at or pipe on."""

from __future__ import annotations

import sys
from typing import Any

import click

from monogen.cli.common import (
    refuse_binary_to_terminal,
    resolve_schema_origin,
    start,
    start_generating,
)
from monogen.cli.options import (
    SchemaArgs,
    ShardArgs,
    batch_size_option,
    force_option,
    given_on_command_line,
    out_option,
    quiet_option,
    schema_options,
    seed_option,
    shard_options,
)
from monogen.cli.ui import counted, human_bytes, plural
from monogen.formats import RecordType

FORMATS = ("text", "json", "binary", "tfrecord")

count_option = click.option(
    "-n",
    "--count",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="How many records to generate.",
)
format_option = click.option(
    "-f",
    "--format",
    "output_format",
    type=click.Choice(FORMATS, case_sensitive=False),
    default="text",
    show_default=True,
    help="text (protobuf text), json (one object per line), binary (8-byte LE length + "
    "record, i.e. a header-less Monolith data file) or tfrecord.",
)


def _record_command(name: str, variant: RecordType, noun: str, example: str) -> click.Command:
    """One generating command per variant; they differ only in record type and help."""
    nouns = plural(noun)

    @click.command(name)
    @count_option
    @format_option
    @out_option()
    @force_option
    @batch_size_option(
        "Rows per ExampleBatch."
        if variant is RecordType.EXAMPLE_BATCH
        else "Records drawn per vectorised batch (output is the same stream for a given value)."
    )
    @schema_options(drop_rate=0.0, instance=variant == "instance")
    @shard_options
    @quiet_option
    def command(count: int, output_format: str, out: str, force: bool, batch_size: int, quiet: bool,
                **kwargs: Any) -> None:  # fmt: skip
        from monogen.cli.shards import check_shard_args, run_sharded
        from monogen.encode.dump import OutputFormat, write_records
        from monogen.io.output import open_output

        sharding = ShardArgs.pop(kwargs)
        check_shard_args(sharding, out=out)
        binary = OutputFormat(output_format).is_binary
        if sharding.shards and not binary:
            raise click.UsageError("--shards needs --format binary or tfrecord")
        if binary:
            refuse_binary_to_terminal(out)
        reporter, generator = start_generating(
            kwargs, out=out, force=force, sharded=bool(sharding.shards), quiet=quiet,
            variant=variant, batch_size=batch_size,
        )  # fmt: skip
        if sharding.shards:
            from monogen.run.task import FramedLayout

            layout = FramedLayout(OutputFormat(output_format))
            run_sharded(sharding, reporter, out=out, force=force, generator=generator,
                        layout=layout, records=count)  # fmt: skip
            return
        with open_output(out, force=force) as stream:
            written = write_records(
                stream,
                generator,
                count,
                fmt=output_format,
                wrap=lambda records: reporter.track(records, total=count, description=nouns),
            )
            size = [] if out == "-" else [human_bytes(stream.tell())]
        target = "stdout" if out == "-" else out
        what = counted(written, noun)
        reporter.summary(f"wrote {what} to {target}", *size, reporter.seconds())

    command.help = (
        f"Generate {nouns} ({variant.value} records).\n\n"
        "Features come from --slots/--sparse/--dense/... flags, MONOGEN_* variables or a "
        "--config file; with none, a built-in default schema is used.\n\n"
        f"\b\nExample:\n  {example}"
    )
    command.short_help = f"Generate {nouns}."
    return command


example_cmd = _record_command(
    "example",
    RecordType.EXAMPLE,
    "Example",
    "monogen example --seed 1 --count 2 --slots 1-10 --dense user_embedding:16",
)
instance_cmd = _record_command(
    "instance",
    RecordType.INSTANCE,
    "Instance",
    "monogen instance --fidv1-slots 1-20 --dense ctr:1 --count 100 -f binary -o inst.bin",
)
batch_cmd = _record_command(
    "batch",
    RecordType.EXAMPLE_BATCH,
    "ExampleBatch",
    "monogen batch --batch-size 128 --count 10 -f tfrecord -o batches.tfrecord\n"
    "  monogen batch -n 1000 -f tfrecord --shards 4 -o b.tfrecord  # b-0000N-of-00004.tfrecord",
)


@click.command("fids")
@click.argument("fid_args", metavar="[FID]...", nargs=-1)
@click.option("--slot", type=int, help="Slot to generate fids in.")
@click.option("-n", "--count", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "-v", "--version", "version", type=click.IntRange(1, 2),
    help="fid layout: 1 = 10-bit slot + 54-bit hash, 2 = 16-bit slot + 48-bit hash. "
    "Generating: default 2. Decoding: without it, the v2 reading and, when it differs, "
    "the v1 reading.",
)  # fmt: skip
@click.option(
    "-d", "--decode", is_flag=True, help="Decode fids (arguments or stdin) into slot and hash."
)
@seed_option
@quiet_option
def fids_cmd(
    fid_args: tuple[str, ...],
    slot: int | None,
    count: int,
    version: int | None,
    decode: bool,
    seed: int | None,
    quiet: bool,
) -> None:
    """Generate random fids for a slot, or decode fids into slot and hash.

    Generating prints one fid per line. Decoding prints `fid<TAB>slot<TAB>hash`;
    a fid does not record its layout, so without --version the line is the v2
    reading followed, when the v1 reading differs, by `<TAB>v1: slot S, hash H`.

    \b
    Example:
      monogen fids --slot 5 --count 3 --version 2
      monogen fids --decode 1441151880758558721
      monogen fids --decode --version 1 90071992547409921
      monogen example -f json | jq -r '.named_feature[].feature.fid_v2_list.value[]?' | monogen fids -d
    """  # noqa: E501
    from monogen.gen import fids

    if decode or fid_args:
        given = given_on_command_line(click.get_current_context(), "slot", "count", "seed")
        if given:
            raise click.UsageError(
                f"{given[0]} generates fids; it cannot be combined with decoding"
            )
        tokens = fid_args or tuple(tok for line in sys.stdin for tok in line.split())
        values = [_parse_fid(tok) for tok in tokens]
        for line in _decoded(values, version):
            click.echo(line)
        return
    if slot is None:
        raise click.UsageError("give --slot N to generate fids, or fids to decode (--decode)")
    import numpy as np

    from monogen.gen.generator import fresh_seed

    layout = fids.fid_version(version or fids.V2.version)
    reporter = start(quiet=quiet)
    if seed is None:
        seed = fresh_seed()
        reporter.note(f"seed {seed} (pass --seed {seed} to repeat this run)")
    for fid in layout.random(np.random.default_rng(seed), slot, count).tolist():
        click.echo(fid)


def _decoded(values: list[int], version: int | None) -> list[str]:
    """One line per fid: its reading in ``version``, or v2 plus v1 where they differ."""
    from monogen.gen import fids

    def reading(layout: fids.FidVersion) -> list[tuple[int, int]]:
        return list(
            zip(layout.slot_of(values).tolist(), layout.hash_of(values).tolist(), strict=True)
        )

    main = reading(fids.fid_version(version or fids.V2.version))
    other = reading(fids.V1) if version is None else main
    lines = []
    for value, (s, h), (s1, h1) in zip(values, main, other, strict=True):
        line = f"{value}\t{s}\t{h}"
        if (s1, h1) != (s, h):
            line += f"\tv1: slot {s1}, hash {h1}"
        lines.append(line)
    return lines


def _parse_fid(token: str) -> int:
    try:
        value = int(token, 0)
    except ValueError:
        raise click.BadParameter(f"{token!r} is not an integer fid", param_hint="FID") from None
    if not 0 <= value < 2**64:
        raise click.BadParameter(f"{token} is not an unsigned 64-bit fid", param_hint="FID")
    return value


@click.command("schema")
@schema_options(drop_rate=None)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON document (its shape is versioned: schema_json_version).",
)
@quiet_option
def schema_cmd(as_json: bool, quiet: bool, **kwargs: Any) -> None:
    """Show the features the given options resolve to (slots, shapes, dtypes).

    Useful to check what a config file, MONOGEN_* variables and flags add up to.
    --json prints one document: schema_json_version, default_schema, sparse (name,
    slot, dtype, sequence), instance (fidv1_slots, fidv2_columns), dense (name,
    shape, dtype), label_shape and line_id (name, shape).

    \b
    Example:
      monogen schema --slots 1-3 --sparse user_recent_items --dense ctr:1
      MONOGEN_SLOTS=1-5 monogen schema --config examples/monogen.toml
      monogen schema --config examples/monogen.toml --json | jq '.sparse[].slot'
    """
    args = SchemaArgs.pop(kwargs)
    schema, is_default = resolve_schema_origin(args, start(quiet=quiet))
    if as_json:
        import json

        from monogen.gen.schema import schema_document

        click.echo(json.dumps(schema_document(schema, is_default=is_default)))
        return
    rows = [("name", "kind", "slot", "shape", "dtype", "sequence")]
    rows += [
        (m.name, "sparse", str(m.slot), "-1", m.dtype.value, "yes" if m.is_sequence else "")
        for m in schema.sparse
    ]
    if schema.fidv2:
        rows += [(m.name, "fidv2", str(m.slot), "-1", m.dtype.value, "") for m in schema.fidv2]
    rows += [("fid v1", "fidv1", str(s), "-1", "int64", "") for s in schema.fidv1_slots]
    rows += [(m.name, "dense", "", str(m.shape), m.dtype.value, "") for m in schema.dense]
    if schema.label_shape:
        rows.append(("label", "label", "", str(schema.label_shape), "float32", ""))
    rows += [(e.name, "line_id", "", str(e.shape), "", "") for e in schema.extra]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


COMMANDS = (fids_cmd, example_cmd, instance_cmd, batch_cmd, schema_cmd)
