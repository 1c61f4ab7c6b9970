"""``monogen profile``: fitted parameters against known specs, a round trip, and the CLI."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from monogen.cli import cli
from monogen.formats import HASH_BITS_V1, RecordType
from monogen.gen.spec import load_spec
from monogen.profile import Profiler, fit_truncated_poisson, fit_zipf, to_toml
from monogen.proto import proto_parser_pb2

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROWS = 20_000
SPEC = """\
[features.slot_2]
ids = "zipf"
alpha = 1.1
vocabulary = 1000
ids_per_row = "poisson:3"
fill = 0.7

[labels]
positive_rate = 0.1
"""
# The tolerances docs/generation.md, "Fitting a profile", states for ROWS rows.
ALPHA_TOLERANCE = 0.1
POISSON_TOLERANCE = 0.05  # relative
SIGMAS = 5.0


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def generate(out: Path, profile: Path, seed: int) -> None:
    result = run(
        "datafile", "--variant", "example", "--num-batch", "20", "--batch-size", "1000",
        "--seed", str(seed), "--profile", str(profile), "--out", str(out), "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def profile_of(data: Path, out: Path) -> dict[str, Any]:
    result = run("profile", str(data), "--out", str(out), "-q")
    assert result.exit_code == 0, result.output
    with out.open("rb") as stream:
        return tomllib.load(stream)


def within_sigmas(observed: float, expected: float, rows: int) -> bool:
    sigma = math.sqrt(expected * (1 - expected) / rows)
    return abs(observed - expected) <= SIGMAS * sigma


def check(profile: dict[str, Any], alpha: float, mean: float, fill: float, rate: float) -> None:
    table = profile["features"]["slot_2"]
    assert table["ids"] == "zipf"
    assert abs(table["alpha"] - alpha) <= ALPHA_TOLERANCE
    assert table["ids_per_row"].startswith("poisson:")
    fitted_mean = float(table["ids_per_row"].split(":")[1])
    assert abs(fitted_mean - mean) <= POISSON_TOLERANCE * mean
    assert within_sigmas(table["fill"], fill, ROWS)
    assert within_sigmas(profile["labels"]["positive_rate"], rate, ROWS)
    assert table["vocabulary"] <= 1000  # distinct ids seen: never above the truth
    assert table["observed"]["distinct_ids"] == table["vocabulary"]


def test_round_trip_generate_profile_generate_profile(tmp_path: Path) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    generate(tmp_path / "a.bin", spec, seed=1)
    first = profile_of(tmp_path / "a.bin", tmp_path / "a.toml")
    check(first, alpha=1.1, mean=3.0, fill=0.7, rate=0.1)
    dense = frozenset({"user_embedding", "item_ctr", "item_price"})
    spec_read = load_spec(str(tmp_path / "a.toml"), dense_names=dense)  # a spec the parser takes
    assert spec_read.for_dense("item_price") is not None

    generate(tmp_path / "b.bin", tmp_path / "a.toml", seed=2)
    second = profile_of(tmp_path / "b.bin", tmp_path / "b.toml")
    slot = first["features"]["slot_2"]
    check(
        second,
        alpha=slot["alpha"],
        mean=float(slot["ids_per_row"].split(":")[1]),
        fill=slot["fill"],
        rate=first["labels"]["positive_rate"],
    )
    # Uniform raw hashes never repeat: uniform ids without a vocabulary, one per row.
    assert second["features"]["slot_1"] == first["features"]["slot_1"] | {
        "observed": second["features"]["slot_1"]["observed"]
    }
    assert first["features"]["slot_1"]["ids"] == "uniform"
    assert "vocabulary" not in first["features"]["slot_1"]
    dense = second["features"]["item_price"]
    assert dense["values"] == "normal"
    low, high = dense["clip"]
    assert first["features"]["item_price"]["clip"][0] <= low <= high


@pytest.mark.parametrize("alpha", [0.6, 1.1, 1.5])
def test_fit_zipf_recovers_the_exponent_of_exact_counts(alpha: float) -> None:
    ranks = np.arange(1, 501, dtype=np.float64)
    counts = np.round(1e7 * ranks**-alpha / (ranks**-alpha).sum())
    assert abs(fit_zipf(counts.astype(int).tolist()) - alpha) < 0.01


def test_fit_zipf_of_flat_counts_is_zero() -> None:
    assert fit_zipf([5] * 100) == 0.0


def test_truncated_poisson_mean_inverts_its_formula() -> None:
    mean = 2.5
    assert fit_truncated_poisson(mean / -math.expm1(-mean)) == pytest.approx(mean, rel=1e-6)


def test_cli_writes_stdout_with_dash_and_refuses_a_bad_file(tmp_path: Path) -> None:
    data = tmp_path / "d.bin"
    assert (
        run("datafile", "--num-batch", "2", "--seed", "1", "--out", str(data), "-q").exit_code == 0
    )
    result = run("profile", str(data), "--out", "-", "-q")
    assert result.exit_code == 0, result.output
    parsed = tomllib.loads(result.stdout)
    assert "slot_1" in parsed["features"]

    garbage = tmp_path / "g.bin"
    garbage.write_bytes(b"\x00" * 3)
    out = tmp_path / "g.toml"
    bad = run("profile", str(garbage), "--out", str(out))
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Error: ") and "Traceback" not in bad.output
    assert not out.exists()  # no half-written profile


def test_cli_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    data = tmp_path / "d.bin"
    assert (
        run("datafile", "--num-batch", "1", "--seed", "1", "--out", str(data), "-q").exit_code == 0
    )
    out = tmp_path / "p.toml"
    out.write_text("keep")
    assert run("profile", str(data), "--out", str(out), "-q").exit_code != 0
    assert out.read_text() == "keep"
    assert run("profile", str(data), "--out", str(out), "--force", "-q").exit_code == 0
    assert out.read_text().startswith("# monogen profile")


@pytest.mark.parametrize("variant", ["instance", "example_batch"])
def test_instance_and_example_batch_files_give_the_same_fit(tmp_path: Path, variant: str) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    data = tmp_path / "d.bin"
    result = run(
        "datafile", "--variant", variant, "--num-batch", "20", "--batch-size", "1000",
        "--seed", "4", "--profile", str(spec), "--out", str(data), "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    check(profile_of(data, tmp_path / "p.toml"), alpha=1.1, mean=3.0, fill=0.7, rate=0.1)


def test_warmup_files_are_profiled_from_the_records_in_their_requests(tmp_path: Path) -> None:
    warmup = tmp_path / "w.tfrecord"
    assert run("warmup", "--out", str(warmup), "--seed", "1", "-q").exit_code == 0
    profile = profile_of(warmup, tmp_path / "w.toml")
    rows = profile["features"]["slot_1"]["observed"]["rows"]
    assert rows > 1  # every record in every request, not one row per PredictionLog
    assert profile["features"]["slot_1"]["fill"] == 1.0


def test_fid_v1_slots_are_named_slot_n_with_their_slot() -> None:
    profiler = Profiler()
    for i in range(50):
        instance = proto_parser_pb2.Instance()
        instance.fid.extend([(7 << HASH_BITS_V1) | (i % 5), (7 << HASH_BITS_V1) | 9])
        instance.label.append(float(i % 2))
        profiler.add(RecordType.INSTANCE, instance)
    parsed = tomllib.loads(to_toml(profiler, source="made"))
    table = parsed["features"]["slot_7"]
    assert table["observed"]["slot"] == 7
    assert table["ids_per_row"] == 2
    assert table["fill"] == 1.0
    assert table["observed"]["distinct_ids"] == 6
    assert parsed["labels"]["positive_rate"] == 0.5
