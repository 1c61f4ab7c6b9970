"""``monogen datafile``: a Monolith binary data file, streamed batch by batch."""

from __future__ import annotations

from typing import Any

import click

from monogen.cli.common import refuse_binary_to_terminal, start_generating
from monogen.cli.options import (
    ShardArgs,
    batch_size_option,
    force_option,
    header_options,
    out_option,
    pop_header,
    quiet_option,
    schema_options,
    shard_options,
    variant_option,
)
from monogen.cli.ui import counted, human_bytes
from monogen.formats import PARSER_ARGS_DROP_RATE, RecordType
from monogen.io.compression import Compression

# The original generator's default, and a file a quick test can still read at a glance.
DEFAULT_NUM_BATCH = 128
# Monolith's data-file reader (FilePBDataset) defaults to Instance records.
DEFAULT_VARIANT = RecordType.INSTANCE.value
COMPRESSIONS = tuple(member.value for member in Compression)


@click.command("datafile")
@out_option()
@force_option
@click.option(
    "--num-batch",
    type=click.IntRange(min=1),
    default=DEFAULT_NUM_BATCH,
    show_default=True,
    help="Batches to write: --batch-size Examples or Instances each, or one ExampleBatch.",
)
@variant_option(DEFAULT_VARIANT)
@batch_size_option("Records per batch (rows of each ExampleBatch).")
@header_options(reading=False)
@click.option(
    "--source",
    help="Data source name whose Java hash goes into the lagrangex header (needs --lagrangex).",
)
@click.option(
    "--compression",
    type=click.Choice(COMPRESSIONS, case_sensitive=False),
    default="none",
    show_default=True,
    help="Compress the whole file; Monolith's reader takes each (snappy: Hadoop's block framing).",
)
@schema_options(drop_rate=PARSER_ARGS_DROP_RATE)
@shard_options
@quiet_option
def datafile_cmd(
    out: str,
    force: bool,
    num_batch: int,
    variant: str,
    batch_size: int,
    source: str | None,
    compression: str,
    quiet: bool,
    **kwargs: Any,
) -> None:
    """Write a Monolith binary data file (training data for Monolith's readers).

    Each record is a header, an 8-byte little-endian length and a serialized
    Instance (the default, as in Monolith's reader), Example or ExampleBatch. The
    header follows the flags below; the reader must be given the same ones.
    Records stream to the output, so memory stays flat however many batches are
    written. A file appears only when complete; binary data is not written to a
    terminal (give --out or pipe it). Read it back with `monogen inspect`.

    \b
    Example:
      monogen datafile --num-batch 10 --out train.bin
      monogen datafile --variant example --slots 1-50 --kafka-dump --out d.bin
      monogen datafile --lagrangex --source my_source --compression gzip --out d.bin.gz
      monogen datafile --compression snappy --out part-00000.snappy
      monogen datafile --num-batch 10 --out - | monogen inspect - --format datafile
      monogen datafile --num-batch 1000 --shards 8 --out train.bin   # train-0000N-of-00008.bin
    """
    from monogen.cli.shards import check_shard_args, run_sharded
    from monogen.io import datafile
    from monogen.io.output import open_output

    header = pop_header(kwargs)
    sharding = ShardArgs.pop(kwargs)
    check_shard_args(sharding, out=out)
    if source is not None and not header.lagrangex:
        raise click.UsageError("--source needs --lagrangex: only a lagrangex header holds it")
    refuse_binary_to_terminal(out)
    reporter, generator = start_generating(
        kwargs, out=out, force=force, sharded=bool(sharding.shards), quiet=quiet,
        variant=variant, batch_size=batch_size,
    )  # fmt: skip
    if sharding.shards:
        from monogen.run.task import DataFileLayout

        layout = DataFileLayout(header, source, compression)
        total = num_batch * generator.records_per_batch
        run_sharded(sharding, reporter, out=out, force=force, generator=generator,
                    layout=layout, records=total)  # fmt: skip
        return
    with (
        open_output(out, force=force) as stream,
        reporter.progress("batches", num_batch) as advance,
    ):
        summary = datafile.generate(
            stream,
            generator,
            num_batch=num_batch,
            header=header,
            source_name=source,
            compression=compression,
            progress=advance,
        )
        stored = None if out == "-" else stream.tell()
    records = counted(summary.records, generator.variant.record_name)
    rows = f" of {batch_size} rows" if generator.variant is RecordType.EXAMPLE_BATCH else ""
    target = "stdout" if out == "-" else out
    header_fact = f"header {header.describe()}" + (f" (source {source})" if source else "")
    reporter.summary(
        f"wrote {records}{rows} in {counted(summary.batches, 'batch')} to {target}",
        header_fact,
        _size_fact(summary.bytes, stored, compression),
        reporter.seconds(),
    )


def _size_fact(data_bytes: int, stored: int | None, compression: str) -> str:
    """Bytes on disk, and the uncompressed size when they differ."""
    if compression == "none":
        return human_bytes(stored if stored is not None else data_bytes)
    if stored is None:
        return f"{compression}, {human_bytes(data_bytes)} before compression"
    return f"{human_bytes(stored)} {compression} ({human_bytes(data_bytes)} uncompressed)"


COMMANDS = (datafile_cmd,)
