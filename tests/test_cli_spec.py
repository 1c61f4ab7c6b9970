"""Generation specs through the CLI: --profile, a config file's tables, and the shorthands."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from monogen.cli import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def fids_by_feature(stdout: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for line in stdout.splitlines():
        for nf in json.loads(line)["named_feature"]:
            values = nf.get("feature", {}).get("fid_v2_list", {}).get("value", [])
            found.setdefault(nf["name"], []).extend(int(v) for v in values)
    return found


def test_shorthands_give_every_sparse_feature_zipf_ids_over_a_vocabulary() -> None:
    code, out, err = run(
        "example", "--slots", "2-4", "--ids", "zipf:1.3", "--vocabulary", "6",
        "--ids-per-row", "2", "-n", "400", "--seed", "5", "-f", "json", "-q",
    )  # fmt: skip
    assert code == 0, err
    for name, values in fids_by_feature(out).items():
        assert len(values) == 800, name
        counts = Counter(values).most_common()
        assert len(counts) <= 6
        assert counts[0][1] > counts[-1][1] * 2  # skewed, rank 0 most frequent


def test_a_profile_file_sets_per_feature_tables(tmp_path: Path) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text('[features.slot_3]\nids = "uniform"\nvocabulary = 2\nfill = 1.0\n')
    code, out, err = run(
        "example", "--slots", "2-3", "--drop-rate", "1", "--profile", str(spec),
        "-n", "100", "--seed", "1", "-f", "json", "-q",
    )  # fmt: skip
    assert code == 0, err
    found = fids_by_feature(out)
    assert found["slot_2"] == []  # dropped at rate 1, as without a spec
    assert len(found["slot_3"]) == 100 and len(set(found["slot_3"])) == 2


def test_a_config_file_with_spec_tables_is_the_spec(tmp_path: Path) -> None:
    config = tmp_path / "monogen.toml"
    config.write_text(
        'slots = "7"\nseed = 3\n[features.slot_7]\nids = "uniform"\nvocabulary = 1\n'
        "[labels]\npositive_rate = 0.0\n"
    )
    code, out, err = run("example", "--config", str(config), "-n", "50", "-f", "json", "-q")
    assert code == 0, err
    assert len(set(fids_by_feature(out)["slot_7"])) == 1
    assert all(json.loads(line)["label"] == [0.0] for line in out.splitlines())


def test_the_same_spec_and_seed_give_the_same_bytes(tmp_path: Path) -> None:
    args = ["instance", "--fidv1-slots", "1-5", "--ids", "lognormal:2", "--vocabulary", "1000"]
    outputs = []
    for name in ("a.bin", "b.bin"):
        code, _, err = run(
            *args, "-n", "300", "--seed", "9", "-f", "binary", "-o", str(tmp_path / name), "-q"
        )
        assert code == 0, err
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ids", "pareto", "--vocabulary", "5"], "ids must be one of uniform, zipf, lognormal"),
        (["--ids", "zipf"], "needs a vocabulary size"),
        (["--ids", "zipf:x", "--vocabulary", "5"], "'x' is not a number"),
        (["--ids", "uniform:2", "--vocabulary", "5"], "uniform takes no parameter"),
        (["--ids-per-row", "3..1"], "MIN above MAX"),
        (["--positive-rate", "0.1,2"], "within [0, 1]"),
        (["--positive-rate", "0.1,0.2"], "2 positive rates for 1 label(s)"),
        (["--profile", "missing.toml"], "cannot read spec file missing.toml"),
    ],
)
def test_bad_spec_options_are_one_line_errors(args: list[str], message: str) -> None:
    code, _, err = run("example", "--slots", "2", "-n", "1", *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
