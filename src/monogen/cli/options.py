"""Options shared by several commands, each defined once as a decorator, and the
refusal of options a command cannot honour.

Every option also reads an environment variable ``MONOGEN_<NAME>`` and a key of
the ``--config`` TOML file, given to it when its command joins the group
(``monogen.cli.settings``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from monogen.formats import DEFAULT_BATCH_SIZE, VARIANT_CHOICES

if TYPE_CHECKING:
    from monogen.io.datafile import HeaderOptions

F = TypeVar("F", bound=Callable[..., Any])


def compose(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def foreign_option(
    commands: Mapping[str, click.Command], exc: click.NoSuchOption, group_name: str | None
) -> click.UsageError:
    """An option of other commands given to one that lacks it: name the commands that take it.

    Commands list only the options they honour, so ``monogen example --fidv2 x``
    is refused, and the message says where ``--fidv2`` belongs. A name no command
    knows keeps click's own message with its spelling suggestions.
    """
    takers = sorted(
        name
        for name, command in commands.items()
        if any(
            exc.option_name in (*param.opts, *param.secondary_opts)
            for param in command.params
            if isinstance(param, click.Option)
        )
    )
    if not takers:
        return exc
    where = exc.ctx.command_path if exc.ctx else group_name
    return click.UsageError(
        f"{where} has no option {exc.option_name}; it is taken by: {', '.join(takers)}",
        ctx=exc.ctx,
    )


def given_on_command_line(ctx: click.Context, *names: str) -> list[str]:
    """The long flags of the parameters ``names`` that were typed on the command line.

    For refusing an option in a mode that cannot use it: a value from a
    MONOGEN_* variable or a config file may be meant for the other mode, so only
    a typed flag is an error.
    """
    typed = click.core.ParameterSource.COMMANDLINE
    params = {p.name: p for p in ctx.command.params}
    return [
        next(o for o in params[name].opts if o.startswith("--"))
        for name in names
        if ctx.get_parameter_source(name) is typed
    ]


def split_names(
    _ctx: click.Context, _param: click.Parameter, value: Sequence[str] | None
) -> tuple[str, ...]:
    """Repeatable name options also accept comma-separated lists."""
    if isinstance(value, str):
        value = [value]
    return tuple(n.strip() for v in value or () for n in str(v).split(",") if n.strip())


def _check(parse: Callable[[str], object]) -> Callable[..., Any]:
    """A click callback that validates each value with a schema parser (exit 2 on error)."""

    def callback(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        from monogen.errors import MonogenError

        if value is None:
            return value
        values = (value,) if isinstance(value, str) else value
        try:
            for item in values:
                parse(str(item))
        except MonogenError as exc:
            raise click.BadParameter(str(exc)) from None
        return value

    return callback


def _parse_dense(text: str) -> object:
    from monogen.gen.schema import DenseSpec

    return DenseSpec.parse(text)


def _parse_extra(text: str) -> object:
    from monogen.gen.schema import ExtraSpec

    return ExtraSpec.parse(text)


def _parse_ranges(text: str) -> object:
    from monogen.gen.schema import parse_slot_ranges

    return parse_slot_ranges(text)


def _parse_actions(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> tuple[int, ...] | None:
    if value is None or value == "":
        return None
    try:
        return tuple(int(v) for v in str(value).split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of integers") from None


seed_option = click.option(
    "--seed",
    type=click.IntRange(min=0),
    help="Random seed; same arguments and seed give byte-identical output. "
    "Without it a fresh seed is drawn and reported.",
)
req_time_option = click.option(
    "--req-time",
    type=click.IntRange(min=0),
    help="LineId req_time in epoch seconds (default: SOURCE_DATE_EPOCH when set, else a "
    "time derived from the seed, so --seed alone repeats a run).",
)
quiet_option = click.option(
    "-q", "--quiet", is_flag=True, help="Print nothing on stderr except errors."
)
force_option = click.option("--force", is_flag=True, help="Overwrite an existing output file.")


def _limit_record_size(ctx: click.Context, _param: click.Parameter, value: int) -> int:
    from monogen.io.limits import record_size_limit

    ctx.with_resource(record_size_limit(value))  # for the rest of the command
    return value


def max_record_size_option(f: F) -> F:
    """``--max-record-size``: the readers' limit (``monogen.io.limits``) for this command."""
    from monogen.io.limits import DEFAULT_MAX_RECORD_SIZE

    return click.option(
        "--max-record-size",
        type=click.IntRange(min=1),
        default=DEFAULT_MAX_RECORD_SIZE,
        show_default=True,
        expose_value=False,
        callback=_limit_record_size,
        metavar="BYTES",
        help="Largest record read, in bytes: a longer length in the file is an error before "
        "anything is allocated for it. The default is what Monolith's readers buffer.",
    )(f)


def out_option(default: str | None = "-", **kwargs: Any) -> Callable[[F], F]:
    return click.option(
        "-o",
        "--out",
        default=default,
        show_default=default is not None,
        type=click.Path(dir_okay=False, allow_dash=True),
        help="Output file, or - for stdout. Files appear atomically when the run succeeds.",
        **kwargs,
    )


def variant_option(default: str | None) -> Callable[[F], F]:
    return click.option(
        "--variant",
        type=click.Choice(VARIANT_CHOICES, case_sensitive=False),
        default=default,
        show_default=default is not None,
        help="Record type: example, instance or example_batch.",
    )


def batch_size_option(help_text: str) -> Callable[[F], F]:
    return click.option(
        "--batch-size",
        type=click.IntRange(min=1),
        default=DEFAULT_BATCH_SIZE,
        show_default=True,
        help=help_text,
    )


# Options that describe parts of an Instance only; commands that never write one lack them.
INSTANCE_ONLY = ("fidv1_slots", "fidv2")
_INSTANCE_OPTIONS = (
    click.option(
        "--fidv1-slots",
        callback=_check(_parse_ranges),
        help="Instance fid-v1 slots, e.g. 1-100 (Instance records only).",
    ),
    click.option(
        "--fidv2",
        multiple=True,
        callback=split_names,
        help="Instance fid-v2 feature column name (default: the sparse features; Instance "
        "records only).",
    ),
)


def _generation_options(drop_rate: float) -> tuple[Callable[[F], F], ...]:
    """The knobs of record generation (not of the schema): drop rate, actions, seed, time."""
    return (
        click.option(
            "--drop-rate",
            type=click.FloatRange(0.0, 1.0),
            default=drop_rate,
            show_default=True,
            metavar="P",
            help="Probability P that an optional sparse feature is left empty: slots 1 and 200 "
            "always have one fid; other sparse features and Instance fid-v2 columns have one "
            "fid, or none with probability P; sequence-like ones (names with _recent or _cp, "
            "Instance column names with '-', feature-list methods Combine/VectorTopString) "
            "get 0-2 fids only when P > 0 "
            "and a draw exceeds P (Monolith's rule: at 0 they stay empty); Instance fid-v1 "
            "slots always draw 0-3 fids.",
        ),
        click.option(
            "--actions",
            callback=_parse_actions,
            metavar="A,B,...",
            help="LineId actions are drawn from this list (default: 0..10).",
        ),
        seed_option,
        req_time_option,
        *_SPEC_OPTIONS,
    )


# Generation specs (docs/generation.md, "Generation specs"): a TOML file, and shorthands
# for the table every sparse feature without its own follows and for the label rates.
_SPEC_OPTIONS = (
    click.option(
        "--profile",
        type=click.Path(dir_okay=False),
        help="Generation spec: a TOML file with [features.NAME], [features.default] and "
        "[labels] tables (what `monogen profile` writes) setting ids, ids per row, fill rate, "
        "dense values and label rates per feature. A --config file with such tables is one.",
    ),
    click.option(
        "--ids",
        metavar="DIST",
        help="Ids of every sparse feature without a spec table: uniform, zipf[:ALPHA] or "
        "lognormal[:SIGMA], over --vocabulary ranks hashed to fids (default: uniform raw "
        "hashes, as Monolith's generator).",
    ),
    click.option(
        "--vocabulary",
        type=click.IntRange(min=1),
        metavar="N",
        help="Distinct ids a sparse feature without a spec table can take.",
    ),
    click.option(
        "--ids-per-row",
        metavar="N|MIN..MAX|poisson:MEAN",
        help="Fids per row of a sparse feature without a spec table, when it is set.",
    ),
    click.option(
        "--positive-rate",
        metavar="P[,P...]",
        help="Share of positive labels, one rate or one per label head (default: 0/1 coin "
        "flips, as Monolith's generator).",
    ),
)


def schema_options(*, drop_rate: float | None, instance: bool = True) -> Callable[[F], F]:
    """The options that describe a record's features, plus generation knobs.

    ``instance=False`` leaves out the Instance-only options, for commands that
    never write an Instance; ``drop_rate=None`` leaves out the generation knobs
    (``--drop-rate`` with that default, ``--actions``, ``--seed``, ``--req-time``),
    for commands that generate nothing.
    """
    return compose(
        click.option(
            "--slots",
            callback=_check(_parse_ranges),
            help="Sparse features slot_N for the given slots, e.g. 1-100 or 1,5,200.",
        ),
        click.option(
            "--sparse",
            multiple=True,
            callback=split_names,
            help="Sparse feature name (fid v2). Repeatable or comma-separated.",
        ),
        *(_INSTANCE_OPTIONS if instance else ()),
        click.option(
            "--dense",
            multiple=True,
            callback=_check(_parse_dense),
            metavar="NAME:SHAPE[:DTYPE]",
            help="Dense feature, e.g. user_embedding:16:float32. A dense 'label' sets the "
            "label count. Repeatable.",
        ),
        click.option(
            "--extra",
            multiple=True,
            callback=_check(_parse_extra),
            metavar="FIELD[:SHAPE]",
            help="LineId field to fill, e.g. actions:3. Repeatable.",
        ),
        click.option(
            "--feature-list",
            type=click.Path(dir_okay=False),
            help="Monolith feature_list.conf: slots and methods for named features.",
        ),
        *(_generation_options(drop_rate) if drop_rate is not None else ()),
    )


# Data-file header flags: Monolith's four reader options.
HEADER_FLAGS = ("sort_id", "kafka_dump", "kafka_dump_prefix", "lagrangex")


# Help for the header flags, when writing a file and when reading one.
_WRITE_HELP = {
    "sort_id": "Write an 8-byte sort-id size (0: empty sort ids) before each record's length. "
    "--no-sort-id without --lagrangex writes no header at all.",
    "kafka_dump": "Write an 8-byte kafka-dump field after the sort id (needs --sort-id).",
    "kafka_dump_prefix": "Write a 16-byte kafka-dump prefix before the sort id (needs --sort-id).",
    "lagrangex": "Write an 8-byte lagrangex header with --source's hash instead of a sort id "
    "(what the original wrote with sort_id off).",
}
_READ_HELP = {
    "sort_id": "Records carry a sort id (an 8-byte size, then that many bytes). "
    "--no-sort-id without --lagrangex: records have no header.",
    "kafka_dump": "Records have an 8-byte kafka-dump field after the sort id.",
    "kafka_dump_prefix": "Records start with a kafka-dump prefix (zero: the sort-id size "
    "follows it; else it is the size).",
    "lagrangex": "Records have an 8-byte lagrangex header (data_source_key and pb_type).",
}


def header_options(*, reading: bool) -> Callable[[F], F]:
    """The four data-file header flags (Monolith's reader options), for writing or reading."""
    texts = _READ_HELP if reading else _WRITE_HELP
    return compose(
        click.option(
            "--sort-id/--no-sort-id",
            default=True,
            show_default=True,
            help=texts["sort_id"],
        ),
        click.option("--kafka-dump", is_flag=True, help=texts["kafka_dump"]),
        click.option(
            "--kafka-dump-prefix",
            is_flag=True,
            help=texts["kafka_dump_prefix"],
        ),
        click.option("--lagrangex", is_flag=True, help=texts["lagrangex"]),
    )


def pop_header(kwargs: dict[str, Any]) -> HeaderOptions:
    """Take the header flags out of a command's arguments; a refused combination exits 2."""
    from monogen.errors import HeaderOptionsError
    from monogen.io.datafile import HeaderOptions

    values = {name: kwargs.pop(name) for name in HEADER_FLAGS}
    try:
        return HeaderOptions(**values)
    except HeaderOptionsError as exc:
        from monogen.cli.flags import cli_message

        raise click.UsageError(cli_message(exc, click.get_current_context().command)) from None


ENGINES = ("local", "dask")


def shard_options(f: F) -> F:
    """--shards, --jobs, --engine and --scheduler: one output as many files, made in parallel."""
    return compose(
        click.option(
            "--shards",
            type=click.IntRange(min=1),
            help="Write N files NAME-00000-of-0000N.EXT (batches split in order; concatenated "
            "they are the one-file output) and NAME.manifest.json.",
        ),
        click.option(
            "--jobs",
            type=click.IntRange(min=1),
            help="Worker processes for --shards (default: the number of cores; 1: this process).",
        ),
        click.option(
            "--engine",
            type=click.Choice(ENGINES, case_sensitive=False),
            default="local",
            show_default=True,
            help="Where --shards run: local processes, or an existing Dask cluster (--scheduler).",
        ),
        click.option(
            "--scheduler",
            metavar="ADDRESS",
            help="Dask scheduler address for --engine dask, e.g. tcp://10.0.0.5:8786.",
        ),
    )(f)


@dataclass(frozen=True)
class ShardArgs:
    """The sharding options as a command received them."""

    shards: int | None
    jobs: int | None
    engine: str
    scheduler: str | None

    @classmethod
    def pop(cls, kwargs: dict[str, Any]) -> ShardArgs:
        """Take the sharding options out of a command's keyword arguments."""
        return cls(*(kwargs.pop(name) for name in ("shards", "jobs", "engine", "scheduler")))


@dataclass(frozen=True)
class SchemaArgs:
    """The schema options as a command received them."""

    slots: str | None
    sparse: tuple[str, ...]
    fidv1_slots: str | None
    fidv2: tuple[str, ...]
    dense: tuple[str, ...]
    extra: tuple[str, ...]
    feature_list: str | None
    drop_rate: float
    actions: tuple[int, ...] | None
    seed: int | None
    req_time: int | None
    profile: str | None = None
    ids: str | None = None
    vocabulary: int | None = None
    ids_per_row: str | None = None
    positive_rate: str | None = None

    @classmethod
    def pop(cls, kwargs: dict[str, Any]) -> SchemaArgs:
        """Take the schema options out of a command's keyword arguments.

        A command without the Instance-only or generation options gets them empty.
        """
        absent: dict[str, Any] = {"fidv1_slots": None, "fidv2": (), "drop_rate": 0.0}
        return cls(
            **{name: kwargs.pop(name, absent.get(name)) for name in cls.__dataclass_fields__}
        )

    def instance_only_given(self) -> list[str]:
        """The Instance-only options that were given, as flags."""
        return [f"--{name.replace('_', '-')}" for name in INSTANCE_ONLY if getattr(self, name)]
