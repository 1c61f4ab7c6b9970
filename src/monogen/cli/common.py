"""Glue every generating command shares: options in, a seeded generator out."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from monogen.cli.options import SchemaArgs
from monogen.cli.ui import Reporter, route_warnings

if TYPE_CHECKING:
    from monogen.gen.generator import RecordGenerator
    from monogen.gen.schema import Schema


TERMINAL_REFUSAL = "refusing to write binary output to a terminal; give --out FILE or pipe it"


def refuse_binary_to_terminal(out: str | None) -> None:
    """Binary bytes on a terminal garble it and help nobody: every command refuses alike."""
    if out == "-" and sys.stdout.isatty():
        raise click.UsageError(TERMINAL_REFUSAL)


def start(*, quiet: bool) -> Reporter:
    reporter = Reporter(quiet=quiet)
    route_warnings(reporter)
    return reporter


def resolve_schema(args: SchemaArgs, reporter: Reporter) -> Schema:
    """Build the schema the options describe; say so on stderr when the default is used."""
    return resolve_schema_origin(args, reporter)[0]


def resolve_schema_origin(args: SchemaArgs, reporter: Reporter) -> tuple[Schema, bool]:
    """``resolve_schema``, and whether it is the built-in default schema."""
    from monogen.gen.featurelist import load_feature_list
    from monogen.gen.schema import DEFAULT_DESCRIPTION, schema_from_inputs

    feature_list = load_feature_list(args.feature_list) if args.feature_list else None
    schema, is_default = schema_from_inputs(
        sparse=args.sparse,
        slots=args.slots,
        fidv1_slots=args.fidv1_slots,
        fidv2=args.fidv2,
        dense=args.dense,
        extra=args.extra,
        feature_list=feature_list,
    )
    schema = apply_spec(schema, args)
    if is_default:
        added = f"; with --extra {', '.join(args.extra)}" if args.extra else ""
        reporter.note(f"no features given; using the {DEFAULT_DESCRIPTION}{added}")
    if schema.missing_from_feature_list:
        missing = ", ".join(schema.missing_from_feature_list)
        reporter.note(f"warning: not in the feature list (slots assigned by name): {missing}")
    return schema, is_default


def apply_spec(schema: Schema, args: SchemaArgs) -> Schema:
    """The schema drawn as --profile and the spec shorthands say; unchanged without them."""
    from dataclasses import replace

    from monogen.gen.spec import GenSpec, SparseGen, load_spec, parse_ids, parse_length, parse_rates

    spec = load_spec(args.profile, dense_names=schema.dense_names) if args.profile else GenSpec()
    if args.ids or args.vocabulary:
        dist, _, parameter = (args.ids or "uniform").partition(":")
        number = _number(parameter, "--ids") if parameter else None
        ids = parse_ids(
            dist,
            vocabulary=args.vocabulary,
            alpha=number if dist.strip().lower() == "zipf" else None,
            sigma=number if dist.strip().lower() == "lognormal" else None,
            where="--ids/--vocabulary",
        )
        if parameter and dist.strip().lower() == "uniform":
            raise _usage("--ids: uniform takes no parameter")
        spec = spec.with_default(SparseGen(ids=ids))
    if args.ids_per_row:
        spec = spec.with_default(
            SparseGen(length=parse_length(args.ids_per_row, where="--ids-per-row"))
        )
    if args.positive_rate:
        rates = [_number(part, "--positive-rate") for part in args.positive_rate.split(",")]
        spec = replace(spec, positive_rate=parse_rates(rates, "--positive-rate"))
    return schema.with_spec(spec, source=args.profile or "the spec options")


def _number(text: str, flag: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise _usage(f"{flag}: {text!r} is not a number") from None


def _usage(message: str) -> click.ClickException:
    """A one-line usage error, as the library's spec errors are shown."""
    from monogen.cli import CliError
    from monogen.errors import USAGE_EXIT

    return CliError(message, USAGE_EXIT)


def make_generator(
    args: SchemaArgs,
    reporter: Reporter,
    *,
    variant: str,
    batch_size: int,
    schema: Schema | None = None,
) -> RecordGenerator:
    """A generator for the options; reports a freshly drawn seed so the run can be repeated.

    Instance-only options for records of another type are refused rather than ignored.
    """
    from monogen.formats import Variant
    from monogen.gen.generator import RecordGenerator, fresh_seed

    record_type = Variant.parse(variant)
    given = args.instance_only_given()
    if given and record_type is not Variant.INSTANCE:
        raise click.UsageError(
            f"{given[0]} applies to Instance records only, and these are "
            f"{record_type.value} records (give --variant instance)"
        )
    schema = schema or resolve_schema(args, reporter)
    seed = args.seed
    if seed is None:
        seed = fresh_seed()
        reporter.note(f"seed {seed} (pass --seed {seed} to repeat this run)")
    return RecordGenerator(
        schema,
        variant,
        seed=seed,
        batch_size=batch_size,
        drop_rate=args.drop_rate,
        req_time=args.req_time,
        actions=args.actions,
    )


def start_generating(
    kwargs: dict[str, Any],
    *,
    out: str,
    force: bool,
    sharded: bool,
    quiet: bool,
    variant: str,
    batch_size: int,
) -> tuple[Reporter, RecordGenerator]:
    """What a generating command does before its first record: refuse to clobber ``out``
    (a sharded run checks its own files), start the reporter, build the generator from
    the schema options left in ``kwargs``."""
    from monogen.io.output import refuse_existing

    if not sharded:
        refuse_existing(out, force=force)
    reporter = start(quiet=quiet)
    generator = make_generator(
        SchemaArgs.pop(kwargs), reporter, variant=variant, batch_size=batch_size
    )
    return reporter, generator
