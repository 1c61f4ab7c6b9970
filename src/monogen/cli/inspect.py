"""``monogen inspect``: verify every record of a TFRecord, warmup or data file and summarise it."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import click

from monogen.cli.common import start
from monogen.cli.options import (
    HEADER_FLAGS,
    header_options,
    max_record_size_option,
    pop_header,
    quiet_option,
)
from monogen.cli.ui import counted, human_bytes
from monogen.formats import RECORD_TYPE_CHOICES, RecordType
from monogen.io.compression import Compression

if TYPE_CHECKING:
    from monogen.inspect import FeatureStats, RecordStats, Report, WarmupStats
    from monogen.inspect.stats import IdCounts
    from monogen.io.detect import Detection

FORMATS = ("auto", "tfrecord", "datafile")
COMPRESSIONS = ("auto", *(member.value for member in Compression))
RECORD_TYPES = ("auto", *RECORD_TYPE_CHOICES)
PERCENT = 100.0


@click.command("inspect")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS, case_sensitive=False),
    default="auto",
    show_default=True,
    help="Container: auto detects a TFRecord by its length CRC, else reads a data file.",
)
@click.option(
    "--variant",
    type=click.Choice(RECORD_TYPES, case_sensitive=False),
    default="auto",
    show_default=True,
    help="Record type; auto tries each on the first records (prediction_log: a warmup file).",
)
@header_options(reading=True)
@click.option(
    "--compression",
    type=click.Choice(COMPRESSIONS, case_sensitive=False),
    default="auto",
    show_default=True,
    help="Whole-file compression; auto detects each (a name ending .snappy means snappy).",
)
@click.option(
    "--show",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="Print the first N sound records as protobuf text (a warmup request's records "
    "decoded after it); with --json they go into the document.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON document on stdout instead of the summary: verdict, counts, format, "
    "header, record type, statistics, problems (shape in the README).",
)
@click.option(
    "--keep-going",
    is_flag=True,
    help="List every bad record instead of stopping at the first (a framing error still "
    "ends the reading).",
)
@click.option(
    "--manifest",
    is_flag=True,
    help="PATH is a shard set's manifest: check every shard it lists (present, sound, "
    "its record count, size and SHA-256).",
)
@max_record_size_option
@quiet_option
@click.pass_context
def inspect_cmd(
    ctx: click.Context,
    path: str,
    file_format: str,
    variant: str,
    compression: str,
    show: int,
    as_json: bool,
    keep_going: bool,
    manifest: bool,
    quiet: bool,
    **kwargs: Any,
) -> None:
    """Verify every record of a file and summarise what it holds.

    Reads TFRecord files (TF Serving warmup files included) and Monolith data
    files, compressed (gzip, zlib, zstd, snappy) or not, from PATH or stdin (-).
    Every record is checked: framing and CRCs, then the payload must parse as the
    record type with no unknown top-level field. The summary gives record count,
    size, record type, per-feature fill rate and fid slots, LineId fields, and for
    warmup files signatures, inputs and records per request. A data file does not
    record its header layout or record type: both are detected (the summary says
    how, and whether the file also reads another way); the header flags and
    --variant pin them.

    Exits 0 when every record is sound, 1 naming the offset and reason of the
    first bad record (--keep-going lists them all), 2 on bad options.

    \b
    Example:
      monogen inspect train.bin
      monogen inspect warmup.tfrecord --show 1
      monogen inspect d.bin --kafka-dump --variant example --show 2 --json | jq .line_id
      monogen datafile --num-batch 10 --out - | monogen inspect - --format datafile
      monogen inspect --manifest train.manifest.json
    """
    if manifest:
        from monogen.cli.shards import verify_manifest

        return verify_manifest(path)
    from monogen.errors import MonogenError
    from monogen.inspect import FileFormat, inspect_stream
    from monogen.io.output import open_input

    header = pop_header(kwargs) if _header_flags_given(ctx) else None
    reporter = start(quiet=quiet)
    label = "stdin" if path == "-" else path
    total = input_size(path)
    with open_input(path) as stream, reporter.progress("inspecting", total) as advance:
        report = inspect_stream(
            stream,
            label=label,
            file_format=None if file_format == "auto" else file_format,
            header=header,
            record_type=None if variant == "auto" else variant,
            compression=None if compression == "auto" else compression,
            keep_going=keep_going,
            show=show,
            progress=advance,
            stats=as_json or not quiet,  # -q prints no summary to compute them for
        )
    if report.format is FileFormat.TFRECORD and _header_flags_given(ctx):
        reporter.note("note: the header flags are ignored, the file is a TFRecord")
    if as_json:
        from monogen.inspect.document import report_document

        click.echo(json.dumps(report_document(report), indent=2))
    else:
        _print_shown(report)
        if not quiet:
            _render(report)
    if not report.ok:
        raise MonogenError(report.error_message())


def input_size(path: str) -> int | None:
    """The size of the file at ``path`` for progress; None for stdin or when unknown."""
    if path == "-":
        return None
    try:
        return os.path.getsize(path)
    except OSError:
        return None  # open_input reports it


def _header_flags_given(ctx: click.Context) -> bool:
    """Whether the header layout was pinned (flag or environment); else it is detected."""
    given = (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)
    return any(ctx.get_parameter_source(name) in given for name in HEADER_FLAGS)


def _print_shown(report: Report) -> None:
    """The shown records as protobuf text, each after a ``#`` comment line (text format
    comments), a warmup request's records decoded after the request."""
    from google.protobuf import text_format

    from monogen.inspect.validate import without_records

    for shown in report.shown:
        key = "" if shown.data_source_key is None else f", data_source_key {shown.data_source_key}"
        click.echo(f"# record {shown.number} at offset {shown.offset}{key}")
        message = without_records(shown.message, shown.embedded)
        click.echo(text_format.MessageToString(message), nl=False)
        per_input: Counter[str] = Counter()
        for embedded in shown.embedded:
            title, index = embedded.record_type.record_name, per_input[embedded.input]
            per_input[embedded.input] += 1
            click.echo(f"# record {shown.number}, input {embedded.input!r} value {index}: {title}")
            click.echo(text_format.MessageToString(embedded.message), nl=False)


# --------------------------------------------------------------------------- the summary


def _render(report: Report) -> None:
    """The summary, as plain lines (no styles) through click.echo: rich's import and
    per-line rendering would cost the summary more than its statistics do."""
    from monogen.cli.flags import header_flags
    from monogen.inspect import RecordStats, WarmupStats

    click.echo(_headline(report))
    for name, value in _facts(report):
        click.echo(f"  {name:<12} {value}")
    if isinstance(report.stats, WarmupStats):
        _render_warmup(report.stats)
    elif isinstance(report.stats, RecordStats):
        _render_records(report.stats)
    if report.problems:
        count, kept = report.problem_count, len(report.problems)
        listed = "" if kept == count else f", the first {kept} listed"
        click.echo(f"\nbad records ({count}{listed}):")
        for problem in report.problems:
            click.echo(f"  {problem.message}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}")
    if report.suggestions:
        flags = " or ".join(header_flags(h) for h in report.suggestions)
        click.echo(f"hint: the first records read cleanly with {flags}")


def _headline(report: Report) -> str:
    label, sound = report.label, report.sound
    if report.ok:
        return f"{label}: {sound} sound records"
    if not report.records and report.format is None:
        return f"{label}: empty, no records"
    if report.keep_going:
        text = f"{label}: {report.problem_count} bad and {sound} sound records"
        if report.ended_by_run:
            return f"{text}; reading stopped after {report.bad_run} bad records in a row"
        return text + ("; a framing error ended the reading" * report.ended_by_framing)
    return f"{label}: stopped at a bad record after {sound} sound records"


def _facts(report: Report) -> list[tuple[str, str]]:
    from monogen.inspect import FileFormat

    facts = []
    if report.format is not None:
        container = report.format.display
        if report.format is FileFormat.DATAFILE and report.header is not None:
            container += f", header {report.header.describe()}"
            detection = report.detection
            if detection is not None:
                container += " (given)" if detection.header_given else " (detected)"
        if report.compression is not Compression.NONE:
            container += f", {report.compression.value}"
        facts.append(("format", container))
    if report.record_type is not None:
        how = "detected" if report.detected else "given"
        if report.assumed:
            how = "assumed: no sound record to tell from"
        if report.also_parses_as:
            how += "; also parses as " + ", ".join(t.record_name for t in report.also_parses_as)
        kind = report.record_type.record_name
        if report.record_type is RecordType.PREDICTION_LOG:
            kind += ", a warmup file"
        facts.append(("record type", f"{kind} ({how})"))
    if report.detection is not None and report.detection.examined:
        facts.append(("detection", _detection(report.detection)))
    if report.stats is not None and not report.sample.complete:
        sample = report.sample
        facts.append(
            (
                "statistics",
                f"on {sample.taken} of {sample.seen} sound records"
                f" ({human_bytes(sample.taken_bytes)} of {human_bytes(sample.seen_bytes)}:"
                " a fixed sample, every record was verified)",
            )
        )
    size = f"{human_bytes(report.file_bytes)} read"
    if report.data_bytes != report.file_bytes:
        size += f", {human_bytes(report.data_bytes)} uncompressed"
    facts.append(("size", size))
    if report.header_keys:
        keys = _counts(report.header_keys, "record", fmt=lambda k: f"{k:#010x}")
        facts.append(("source keys", keys))
    if report.pb_types:
        facts.append(("pb_type", _counts(report.pb_types, "record")))
    return facts


def _detection(detection: Detection) -> str:
    """What the data file's reading rests on; when ambiguous, the others and how to pin one."""
    from monogen.cli.flags import pin_flags

    where = "whole input" if detection.whole else f"first {human_bytes(detection.examined)}"
    text = f"on the {where} ({counted(detection.records, 'record')})"
    if not detection.ambiguous:
        return text
    others = ", ".join(
        f"header {r.header.describe()} ({counted(r.records, r.record_type.record_name)})"
        for r in detection.others
    )
    return f"{text}; ambiguous: also reads as {others}; pin it with {pin_flags(detection)}"


def _counts(counter: Counter[Any], unit: str = "", fmt: Any = str, limit: int = 8) -> str:
    """``64 (15 requests), 32 (1 request)``: the most common values first."""
    items = counter.most_common(limit)
    text = ", ".join(f"{fmt(k)} ({_plural(n, unit)})" for k, n in items)
    more = len(counter) - len(items)
    return text + (f" and {more} more" if more > 0 else "")


def _plural(n: int, unit: str) -> str:
    if not unit:
        return str(n)
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _render_records(stats: RecordStats) -> None:
    rows = stats.rows
    noun = "ExampleBatches" if stats.record_type is RecordType.EXAMPLE_BATCH else "records"
    click.echo(f"  {'rows':<12} {rows}" + (f" in {stats.records} {noun}" * (stats.records != rows)))
    if stats.fidv1_slots:
        slots = sorted(stats.fidv1_slots)
        click.echo(f"\nfid v1 slots ({len(slots)}): {_ranges(slots)}")
        _table(
            (("slot", "<"), ("fill", ">"), ("fids/row", ">"), *SKEW_COLUMNS),
            [
                (str(slot), _rate(s.filled, rows), _mean(s.values, s.filled), *_skew(s.ids))
                for slot, s in sorted(stats.fidv1_slots.items())
            ],
        )
    if stats.features:
        click.echo(f"\nfeatures ({len(stats.features)}):")
        _table(
            (
                ("name", "<"),
                ("kind", "<"),
                ("fill", ">"),
                ("values/row", ">"),
                ("slots", "<"),
                *SKEW_COLUMNS,
            ),
            [_feature_row(name, s, rows) for name, s in stats.features.items()],
        )
    if stats.line_id:
        click.echo("\nline_id fields:")
        _table(
            (("field", "<"), ("fill", ">"), ("values/row", ">")),
            [
                (name, _rate(s.filled, rows), _mean(s.values, s.filled))
                for name, s in stats.line_id.items()
            ],
        )
    if stats.label_widths:
        click.echo(f"\nlabels per row: {_counts(stats.label_widths, 'row')}")
    if stats.data_source_keys:
        keys = _counts(stats.data_source_keys, "row", fmt=lambda k: f"{k:#010x}")
        click.echo(f"data_source_key: {keys}")


def _feature_row(name: str, s: FeatureStats, rows: int) -> tuple[str, ...]:
    return (
        name,
        ",".join(sorted(s.kinds)) or "-",
        _rate(s.filled, rows),
        _mean(s.values, s.filled),
        _ranges(sorted(s.slots)) or "-",
        *_skew(s.ids),
    )


# Beside fill rates: how many distinct fids, and the share of all occurrences that the
# most frequent 1 % of them take (1 % for uniform ids that never repeat).
SKEW_COLUMNS = (("distinct", ">"), ("top 1%", ">"))


def _skew(ids: IdCounts) -> tuple[str, str]:
    if not ids.total:
        return "-", "-"
    share = ids.top_share()
    distinct = f"{ids.distinct}" if ids.complete else f">{ids.distinct}"
    return distinct, "-" if share is None else f"{PERCENT * share:.1f}%"


def _render_warmup(stats: WarmupStats) -> None:
    click.echo(f"\nsignatures: {_counts(stats.signatures, 'log', limit=32)}")
    click.echo(f"model names: {_counts(stats.model_names, 'log')}")
    per_request = _counts(stats.records_per_request, "log")
    click.echo(f"records per request: {per_request}")
    if stats.output_filter_logs:
        click.echo(
            f"output_filter copies: {stats.output_filter_logs}"
            f" ({_counts(stats.output_filters, 'log', limit=32)})"
        )
    if stats.inputs:
        click.echo("\ninputs:")
        _table(
            (("name", "<"), ("dtype", "<"), ("requests", ">"), ("values/request", "<")),
            [
                (name, _counts(s.dtypes), str(s.requests), _counts(s.sizes, "log"))
                for name, s in stats.inputs.items()
            ],
        )
    for record_stats in stats.records.values():
        noun = record_stats.record_type.record_name
        click.echo(f"\nrecords in the requests: {noun}")
        _render_records(record_stats)


# Table columns: a header, and "<" (text, left-aligned) or ">" (numbers, right-aligned).
Column = tuple[str, str]
TABLE_INDENT = "  "
COLUMN_GAP = "  "


def _table(columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> None:
    """Plain aligned columns (no box, no trailing spaces): readable and easy to grep."""
    lines = [tuple(header for header, _ in columns), *(tuple(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    text = [
        TABLE_INDENT
        + COLUMN_GAP.join(
            cell.ljust(width) if align == "<" else cell.rjust(width)
            for cell, width, (_, align) in zip(line, widths, columns, strict=True)
        ).rstrip()
        for line in lines
    ]
    click.echo("\n".join(text))


def _rate(part: int, whole: int) -> str:
    return f"{PERCENT * part / whole:.1f}%" if whole else "-"


def _mean(total: int, count: int) -> str:
    return f"{total / count:.1f}" if count else "-"


def _ranges(values: Sequence[int]) -> str:
    """``1-9,200``: sorted ints with runs collapsed."""
    parts: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        parts.append(str(values[i]) if i == j else f"{values[i]}-{values[j]}")
        i = j + 1
    return ",".join(parts)


COMMANDS = (inspect_cmd,)
