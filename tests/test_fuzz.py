"""Seeded mutation fuzzing of every reader: hostile bytes end in a result or a MonogenError.

Seeds are small files of every kind monogen reads: TFRecords (plain, gzip, zlib), a
warmup file, and data files of each record type, each header layout and each
compression. Each mutant is one seeded mutation of a seed: a bit flip, a few bytes
overwritten, a truncation, an insertion, or a length field set to a huge value,
zero, or Monolith's 0xFEFEFEFE marker. Mutations land either in the stored bytes
(so the codec sees them) or in the uncompressed stream, recompressed (so the
framing does). Every reader monogen has then reads the mutant:

* the format's own reader (``tfrecord.iter_frames`` / ``datafile.read``);
* ``inspect_stream`` with everything detected (what ``monogen inspect`` runs);
* for TFRecords, replay's ``WarmupCheck`` (``monogen replay --check-only``);
* the CLI itself (``inspect`` and ``warmup --from-datafile``), for every mutant
  with valid framing and a sample of the rest.

The outcomes allowed are success and ``MonogenError`` (exit 0 or 1, no traceback);
a TFRecord whose records changed is never accepted. The suite runs
``DEFAULT_MUTANTS`` (about 30 s); ``make fuzz`` runs ``MONOGEN_FUZZ_MUTANTS``
(100k) and prints the figures.
"""

from __future__ import annotations

import dataclasses
import io
import os
import random
import struct
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from warmup_models import ranking_model

from monogen.cli import cli
from monogen.errors import MonogenError
from monogen.inspect import inspect_stream
from monogen.io import datafile, tfrecord
from monogen.io.compression import Compression, open_compressed_writer
from monogen.io.limits import DEFAULT_MAX_RECORD_SIZE
from monogen.serving.replay import WarmupCheck
from monogen.serving.savedmodel import ModelSignatures, read_signatures

DEFAULT_MUTANTS = 5000
MUTANTS = int(os.environ.get("MONOGEN_FUZZ_MUTANTS", DEFAULT_MUTANTS))
FUZZ_SEED = int(os.environ.get("MONOGEN_FUZZ_SEED", "20240917"))
# Mutants that reach the parsers (valid framing) all go through the CLI as well, which
# renders what they hold; of the others, one in this many.
CLI_EVERY = 20
TFRECORD_CODECS = (Compression.NONE, Compression.GZIP, Compression.ZLIB)
LAYOUTS = ("sort_id", "sort_id+kafka_dump", "sort_id+kafka_dump_prefix", "lagrangex", "none")
VARIANTS = ("example", "instance", "example_batch")
# Values a length field is set to: huge, just past what is left, zero, the corrupt marker.
HOSTILE_LENGTHS = (
    2**64 - 1,
    2**63,
    2**40,
    2**32 - 1,
    DEFAULT_MAX_RECORD_SIZE + 1,
    0xFEFEFEFE,
    0,
    1,
)
U64 = struct.Struct("<Q")


@dataclasses.dataclass(frozen=True)
class Seed:
    name: str
    kind: str  # "tfrecord" or "datafile"
    codec: Compression
    plain: bytes  # the uncompressed stream
    stored: bytes  # the file as written
    length_fields: tuple[int, ...]  # offsets of u64 length fields in ``plain``
    payloads: tuple[tuple[int, int], ...]  # (start, end) of each record's payload in ``plain``
    header: datafile.HeaderOptions | None = None
    records: tuple[bytes, ...] = ()  # TFRecord payloads, for the acceptance check


def compress(plain: bytes, codec: Compression) -> bytes:
    out = io.BytesIO()
    with open_compressed_writer(out, codec) as sink:
        sink.write(plain)
    return out.getvalue()


def cli_bytes(*args: str) -> bytes:
    result = CliRunner().invoke(cli, [*args, "--seed", "1", "-q", "--out", "-"])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def tfrecord_seed(name: str, plain: bytes, codec: Compression) -> Seed:
    frames = list(tfrecord.iter_frames(io.BytesIO(plain)))
    return Seed(
        name=f"{name} {codec.value}",
        kind="tfrecord",
        codec=codec,
        plain=plain,
        stored=compress(plain, codec),
        length_fields=tuple(f.offset for f in frames),
        payloads=tuple(
            (f.offset + tfrecord.HEADER_SIZE, f.offset + tfrecord.HEADER_SIZE + len(f.data))
            for f in frames
        ),
        records=tuple(f.data for f in frames),
    )


def datafile_seed(variant: str, layout: str, codec: Compression) -> Seed:
    header = datafile.HeaderOptions.parse(layout)
    flags = {
        "sort_id": [],
        "sort_id+kafka_dump": ["--kafka-dump"],
        "sort_id+kafka_dump_prefix": ["--kafka-dump-prefix"],
        "lagrangex": ["--lagrangex", "--source", "fuzz"],
        "none": ["--no-sort-id"],
    }[layout]
    plain = cli_bytes(
        "datafile", "--variant", variant, "--num-batch", "1", "--batch-size", "3",
        "--req-time", "100", "--slots", "1-3", *flags,
    )  # fmt: skip
    header_size = len(datafile.header_bytes(header, source="fuzz" if header.lagrangex else None))
    fields, payloads = [], []
    for record in datafile.read(io.BytesIO(plain), header=header, compression="none"):
        fields.append(record.offset + header_size)  # the payload length
        if header.sort_id:
            fields.append(record.offset + header_size - datafile.U64_SIZE)  # sort-id size
        start = record.offset + header_size + datafile.U64_SIZE
        payloads.append((start, start + len(record.payload)))
    return Seed(
        name=f"datafile {variant} {layout} {codec.value}",
        kind="datafile",
        codec=codec,
        plain=plain,
        stored=compress(plain, codec),
        length_fields=tuple(fields),
        payloads=tuple(payloads),
        header=header,
    )


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ModelSignatures]:
    directory = ranking_model(tmp_path_factory.mktemp("model") / "m")
    return directory, read_signatures(directory)


@pytest.fixture(scope="module")
def seeds(model: tuple[Path, ModelSignatures]) -> list[Seed]:
    examples = cli_bytes("example", "-n", "3", "-f", "tfrecord", "--req-time", "100")
    warmup = cli_bytes("warmup", "--saved-model", str(model[0]), "--max-records", "6",
                       "--batch-size", "2", "--req-time", "100")  # fmt: skip
    found = [tfrecord_seed("tfrecord", examples, codec) for codec in TFRECORD_CODECS]
    found.append(tfrecord_seed("warmup", warmup, Compression.NONE))
    found += [datafile_seed(v, layout, Compression.NONE) for v in VARIANTS for layout in LAYOUTS]
    found += [
        datafile_seed(v, "sort_id", codec)
        for v in VARIANTS
        for codec in Compression
        if codec is not Compression.NONE
    ]
    return found


# --------------------------------------------------------------------------- mutations


def bit_flip(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    at = rng.randrange(len(data))
    return data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1 :]


def overwrite(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    at = rng.randrange(len(data))
    size = min(rng.randint(1, 8), len(data) - at)
    return data[:at] + rng.randbytes(size) + data[at + size :]


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))] if data else data


def insert(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.randbytes(rng.randint(1, 16)) + data[at:]


BYTE_MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "bit flip": bit_flip,
    "overwrite": overwrite,
    "truncate": truncate,
    "insert": insert,
}


def hostile_length(seed: Seed, rng: random.Random) -> tuple[str, bytes]:
    at = rng.choice(seed.length_fields)
    value = rng.choice(HOSTILE_LENGTHS)
    plain = seed.plain[:at] + U64.pack(value) + seed.plain[at + U64.size :]
    if seed.kind == "tfrecord" and rng.random() < 0.5:  # with a valid length CRC
        crc = struct.pack("<I", tfrecord.masked_crc32c(U64.pack(value)))
        plain = plain[: at + U64.size] + crc + plain[at + U64.size + len(crc) :]
    return f"length field at {at} := {value:#x}", plain


def poison_name(payload: bytes, rng: random.Random) -> bytes:
    """A feature name made invalid UTF-8 (``slot_2`` -> ``slot\\xff2``); else a bit flip."""
    names = [i for i in range(len(payload)) if payload.startswith(b"slot_", i)]
    if not names:
        return bit_flip(payload, rng)
    at = rng.choice(names) + len(b"slot")
    return payload[:at] + b"\xff" + payload[at + 1 :]


PAYLOAD_MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "bit flip": bit_flip,
    "overwrite": overwrite,
    "non-UTF-8 name": poison_name,
}


def damaged_payload(seed: Seed, rng: random.Random) -> tuple[str, bytes]:
    """One record's payload damaged in place, its framing (and CRC) kept valid, so the
    damage reaches the parsers and the report instead of stopping at the framing."""
    start, end = rng.choice(seed.payloads)
    name, mutation = rng.choice(list(PAYLOAD_MUTATIONS.items()))
    payload = mutation(seed.plain[start:end], rng)
    plain = seed.plain[:start] + payload + seed.plain[end:]
    if seed.kind == "tfrecord":
        crc = struct.pack("<I", tfrecord.masked_crc32c(payload))
        plain = plain[:end] + crc + plain[end + len(crc) :]
    return f"payload {name} in [{start}, {end}), framing valid", plain


@dataclasses.dataclass(frozen=True)
class Mutant:
    description: str
    stored: bytes  # the file given to the readers
    plain: bytes | None  # its uncompressed stream when the mutation was made there
    truncation: bool
    reframed: bool = False  # a valid frame around a damaged payload: TFRecord accepts it


def mutate(seed: Seed, rng: random.Random) -> Mutant:
    draw = rng.random()
    if seed.length_fields and draw < 0.2:
        what, plain = hostile_length(seed, rng)
        return Mutant(what, compress(plain, seed.codec), plain, truncation=False)
    if seed.payloads and draw < 0.4:
        what, plain = damaged_payload(seed, rng)
        return Mutant(what, compress(plain, seed.codec), plain, truncation=False, reframed=True)
    name, mutation = rng.choice(list(BYTE_MUTATIONS.items()))
    if seed.codec is not Compression.NONE and rng.random() < 0.5:
        plain = mutation(seed.plain, rng)
        return Mutant(
            f"{name} (uncompressed)", compress(plain, seed.codec), plain, name == "truncate"
        )
    stored = mutation(seed.stored, rng)
    plain_or_none = stored if seed.codec is Compression.NONE else None
    return Mutant(name, stored, plain_or_none, name == "truncate")


# --------------------------------------------------------------------------- readers


def read_tfrecord(seed: Seed, mutant: Mutant) -> tuple[bytes, ...]:
    frames = tfrecord.iter_frames(io.BytesIO(mutant.stored), compression=seed.codec)
    return tuple(frame.data for frame in frames)


def accepted_corrupt(seed: Seed, mutant: Mutant, records: tuple[bytes, ...]) -> bool:
    """A TFRecord read without error whose records are not the seed's: CRCs let it through.

    Fine only when nothing read changed (a gzip header's timestamp was flipped) or a
    truncation at a record boundary left the first records whole.
    """
    if records == seed.records:
        return False
    cut_at_boundary = mutant.truncation and records == seed.records[: len(records)]
    return not cut_at_boundary


def read_datafile(seed: Seed, mutant: Mutant) -> None:
    for _ in datafile.read(io.BytesIO(mutant.stored), header=seed.header, compression=seed.codec):
        pass


def replay_check(mutant: Mutant, model: ModelSignatures) -> None:
    for _ in WarmupCheck(io.BytesIO(mutant.stored), model):
        pass


def through_cli(seed: Seed, mutant: Mutant, where: Path) -> None:
    """``monogen inspect`` (and ``warmup --from-datafile``): exit 0 or 1, one error line."""
    path = where / "mutant.snappy" if seed.codec is Compression.SNAPPY else where / "mutant"
    path.write_bytes(mutant.stored)
    commands = [["inspect", str(path)]]
    if seed.kind == "datafile":
        commands.append(
            ["warmup", "--from-datafile", str(path), "--variant", "instance", "--out", "-", "-q"]
        )
    for args in commands:
        result = CliRunner().invoke(cli, args)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        if result.exit_code not in (0, 1) or (result.exit_code and "Traceback" in result.stderr):
            raise AssertionError(f"{args[0]}: exit {result.exit_code}: {result.stderr}")


@dataclasses.dataclass
class Tally:
    outcomes: Counter[str] = dataclasses.field(default_factory=Counter)
    failures: list[str] = dataclasses.field(default_factory=list)

    def fail(self, kind: str, seed: Seed, index: int, mutant: Mutant, detail: str) -> None:
        self.outcomes[kind] += 1
        if len(self.failures) < 10:
            self.failures.append(
                f"{kind}: {seed.name}, mutant {index} ({mutant.description}): {detail}"
            )


def run_one(
    seed: Seed, index: int, mutant: Mutant, model: ModelSignatures, tally: Tally, where: Path
) -> None:
    checks: list[tuple[str, Callable[[], object]]] = [
        ("inspect", lambda: inspect_stream(io.BytesIO(mutant.stored))),
    ]
    if seed.kind == "tfrecord":
        checks += [
            ("reader", lambda: read_tfrecord(seed, mutant)),
            ("replay", lambda: replay_check(mutant, model)),
        ]
    else:
        checks.append(("reader", lambda: read_datafile(seed, mutant)))
    if mutant.reframed or index % CLI_EVERY == 0:
        checks.append(("cli", lambda: through_cli(seed, mutant, where)))
    for name, check in checks:
        try:
            result = check()
        except MonogenError:
            tally.outcomes[f"{name}: monogen error"] += 1
            continue
        except Exception:
            tally.fail("traceback", seed, index, mutant, traceback.format_exc(limit=-3))
            continue
        tally.outcomes[f"{name}: success"] += 1
        if name == "reader" and seed.kind == "tfrecord" and not mutant.reframed:
            assert isinstance(result, tuple)
            if accepted_corrupt(seed, mutant, result):
                tally.fail("tfrecord accepted corrupt", seed, index, mutant, "read without error")


def test_seeds_cover_every_kind(seeds: list[Seed]) -> None:
    kinds = {(s.kind, s.codec) for s in seeds}
    assert {("tfrecord", c) for c in TFRECORD_CODECS} <= kinds
    assert {("datafile", c) for c in Compression} <= kinds
    assert {str(s.header.describe()) for s in seeds if s.header} == set(LAYOUTS)
    for seed in seeds:  # every seed reads cleanly before it is mutated
        report = inspect_stream(io.BytesIO(seed.stored))
        assert report.ok, (seed.name, report.problems)


def test_fuzz_readers(
    seeds: list[Seed], model: tuple[Path, ModelSignatures], tmp_path: Path
) -> None:
    rng = random.Random(FUZZ_SEED)
    tally = Tally()
    for index in range(MUTANTS):
        seed = seeds[index % len(seeds)]
        mutant = mutate(seed, rng)
        tally.outcomes["mutants"] += 1
        run_one(seed, index, mutant, model[1], tally, tmp_path)
    figures = ", ".join(f"{key} {value}" for key, value in sorted(tally.outcomes.items()))
    print(f"\nfuzz (seed {FUZZ_SEED}, {len(seeds)} seed files): {figures}")
    assert tally.failures == [], "\n".join(tally.failures)
    assert tally.outcomes["traceback"] == tally.outcomes["tfrecord accepted corrupt"] == 0
