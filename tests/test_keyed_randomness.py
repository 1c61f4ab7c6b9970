"""Randomness keyed by batch: how the work is cut never changes the bytes.

Batch i's records depend only on the seed, i and the options, so a shorter run is
a prefix of a longer one, a run started at any batch matches the same batches of
a full run, and a seed alone (no --req-time) repeats a run byte for byte.
"""

from __future__ import annotations

import itertools
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from monogen.cli import cli
from monogen.formats import VARIANTS, Variant
from monogen.gen.generator import RecordGenerator
from monogen.gen.schema import Schema
from monogen.proto import example_pb2

SCHEMA = Schema.build(sparse=["slot_1", "slot_2", "user_recent_items"], dense=["ctr:2"])
INSTANCE_SCHEMA = Schema.build(fidv1_slots=[1, 5], fidv2=["slot_7"], dense=["ctr:1"])
SCHEMAS = {
    Variant.EXAMPLE: SCHEMA,
    Variant.INSTANCE: INSTANCE_SCHEMA,
    Variant.EXAMPLE_BATCH: SCHEMA,
}


def generator(variant: Variant, **kwargs: int) -> RecordGenerator:
    options = {"seed": 11, "batch_size": 5, "req_time": 100, **kwargs}
    return RecordGenerator(SCHEMAS[variant], variant, drop_rate=0.5, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("variant", VARIANTS)
def test_fewer_records_are_a_prefix_of_more(variant: Variant) -> None:
    more = list(generator(variant).serialized_records(13))
    for count in (1, 3, 5, 6, 12):
        assert list(generator(variant).serialized_records(count)) == more[:count]


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_run_started_at_any_batch_matches_the_full_run(variant: Variant) -> None:
    per_batch = generator(variant).records_per_batch
    whole = list(generator(variant).serialized_records(6 * per_batch))
    for first in range(6):
        tail = list(generator(variant, first_batch=first).serialized_records(per_batch))
        assert tail == whole[first * per_batch : (first + 1) * per_batch]


@given(cuts=st.lists(st.integers(min_value=0, max_value=8), max_size=4))
@settings(max_examples=25, deadline=None)
def test_any_split_into_batch_ranges_concatenates_to_one_run(cuts: list[int]) -> None:
    whole = list(generator(Variant.EXAMPLE).serialized_records(8 * 5))
    bounds = sorted({0, 8, *cuts})
    pieces: list[bytes] = []
    for start, stop in itertools.pairwise(bounds):
        piece = generator(Variant.EXAMPLE, first_batch=start)
        pieces += piece.serialized_records((stop - start) * 5)
    assert pieces == whole


def test_batches_differ_and_seeds_differ() -> None:
    batches = generator(Variant.EXAMPLE).batches()
    first, second = next(batches), next(batches)
    assert first != second
    assert next(generator(Variant.EXAMPLE, seed=12).batches()) != first


def test_protobuf_encoder_matches_wire_from_any_first_batch() -> None:
    wire = generator(Variant.INSTANCE, first_batch=3)
    reference = RecordGenerator(
        INSTANCE_SCHEMA, "instance", seed=11, batch_size=5, req_time=100, drop_rate=0.5,
        first_batch=3, encoder="protobuf",
    )  # fmt: skip
    assert list(wire.serialized_records(7)) == list(reference.serialized_records(7))


def test_req_time_without_a_flag_comes_from_the_seed_not_the_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = RecordGenerator(SCHEMA, "example", seed=3).req_time
    monkeypatch.setattr(time, "time", lambda: 4_000_000_000.0)
    assert RecordGenerator(SCHEMA, "example", seed=3).req_time == first
    assert RecordGenerator(SCHEMA, "example", seed=4).req_time != first
    assert 1_704_067_200 <= first < 1_704_067_200 + 366 * 86400  # a second of 2024


def test_source_date_epoch_sets_req_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    gen = RecordGenerator(SCHEMA, "example", seed=3)
    assert gen.req_time == 1234567890
    record = example_pb2.Example.FromString(next(gen.serialized_records(1)))
    assert record.line_id.req_time == 1234567890
    assert RecordGenerator(SCHEMA, "example", seed=3, req_time=5).req_time == 5


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout_bytes, result.stderr


def test_cli_count_10_is_a_prefix_of_count_20() -> None:
    args = ["example", "--seed", "9", "-f", "binary", "--slots", "1-5", "-o", "-"]
    code, ten, _ = run(*args, "--count", "10")
    assert code == 0
    code, twenty, _ = run(*args, "--count", "20")
    assert code == 0
    assert len(twenty) > len(ten) > 0 and twenty.startswith(ten)


def test_cli_datafile_fewer_batches_are_a_prefix(tmp_path: Path) -> None:
    args = ["datafile", "--seed", "9", "--variant", "example", "--slots", "1-5"]
    assert run(*args, "--num-batch", "2", "-o", str(tmp_path / "a.bin"))[0] == 0
    assert run(*args, "--num-batch", "5", "-o", str(tmp_path / "b.bin"))[0] == 0
    two, five = (tmp_path / "a.bin").read_bytes(), (tmp_path / "b.bin").read_bytes()
    assert len(five) > len(two) > 0 and five.startswith(two)


def test_cli_seed_alone_repeats_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    args = ["instance", "--seed", "21", "-f", "binary", "-n", "4", "-o", "-"]
    code, first, _ = run(*args)
    assert code == 0
    monkeypatch.setattr(time, "time", lambda: time.monotonic() + 4_000_000_000.0)
    assert run(*args)[:2] == (0, first)


def test_cli_the_seed_hint_repeats_an_unseeded_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    args = ["example", "-f", "binary", "-n", "3", "-o", "-"]
    code, first, stderr = run(*args)
    assert code == 0
    match = re.search(r"pass --seed (\d+) to repeat this run", stderr)
    assert match is not None, stderr
    monkeypatch.setattr(time, "time", lambda: time.monotonic() + 4_000_000_000.0)
    assert run(*args, "--seed", match.group(1))[:2] == (0, first)


def test_cli_bad_source_date_epoch_is_one_line() -> None:
    code, out, stderr = run("example", "--seed", "1", env={"SOURCE_DATE_EPOCH": "yesterday"})
    assert code == 2 and out == b""
    assert stderr.splitlines()[-1] == (
        "Error: SOURCE_DATE_EPOCH='yesterday' is not a time in epoch seconds"
    )
