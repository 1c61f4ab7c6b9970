"""Every option's environment variable and config key, and strict config files.

One test walks every command's parameters, so an option added later is checked
without anyone remembering to list it here.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from monogen.cli import cli

FIXED = ["--seed", "1", "--req-time", "100"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(cli, list(args), env=env, catch_exceptions=False)


def _options(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option)]


def _long(option: click.Option) -> str:
    return next(o for o in option.opts if o.startswith("--"))


@pytest.mark.parametrize("name", sorted(cli.all_commands()))
def test_every_option_has_its_variable_and_config_key(name: str, tmp_path: Path) -> None:
    """MONOGEN_<LONG_NAME> and the config key <long_name> reach every option of every command."""
    command = cli.all_commands()[name]
    options = _options(command)
    assert any(_long(o) == "--config" for o in options), f"{name} has no --config"
    for option in options:
        key = _long(option)[2:].replace("-", "_")
        assert option.envvar == "MONOGEN_" + key.upper(), (name, key)
    # The config file's keys: each option's long name sets that option (and nothing else).
    from monogen.cli.settings import settings_of

    settings = settings_of(command)
    expected = {_long(o)[2:].replace("-", "_"): o.name for o in options if _long(o) != "--config"}
    assert {key: s.param for key, s in settings.items()} == expected


# --- the variables the README promised and click ignored ----------------------------------


def test_count_format_and_quiet_from_the_environment(runner: CliRunner) -> None:
    env = {"MONOGEN_COUNT": "3", "MONOGEN_FORMAT": "json", "MONOGEN_QUIET": "1"}
    result = run(runner, "example", *FIXED, "--slots", "1", env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert json.loads(lines[0])["named_feature"][0]["name"] == "slot_1"
    assert result.stderr == ""


def test_out_and_force_from_the_environment(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "e.txt"
    out.write_text("keep me")
    env = {"MONOGEN_OUT": str(out)}
    refused = run(runner, "example", *FIXED, "-q", env=env)
    assert refused.exit_code != 0
    assert out.read_text() == "keep me"
    forced = run(runner, "example", *FIXED, "-q", env={**env, "MONOGEN_FORCE": "true"})
    assert forced.exit_code == 0, forced.output
    assert out.read_text().startswith("# record 1")


def test_show_and_keep_going_from_the_environment(runner: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "d.bin"
    made = run(runner, "datafile", *FIXED, "--num-batch", "1", "--batch-size", "2", "-o", str(data))
    assert made.exit_code == 0, made.output
    shown = run(runner, "inspect", str(data), env={"MONOGEN_SHOW": "1", "MONOGEN_QUIET": "1"})
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.count("# record") == 1
    assert "Traceback" not in shown.output


# --- paths in a config file ----------------------------------------------------------------


def test_config_paths_resolve_against_the_config_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "features.conf").write_text("feature_name=f_uid depend=uid slot=7\n")
    (conf_dir / "monogen.toml").write_text(
        'feature_list = "features.conf"\nsparse = ["uid"]\n[example]\nout = "out/e.txt"\n'
    )
    (conf_dir / "out").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = str(conf_dir / "monogen.toml")
    result = run(runner, "schema", "--config", config)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].split()[:3] == ["uid", "sparse", "7"]
    written = run(runner, "example", "--config", config, *FIXED, "-q")
    assert written.exit_code == 0, written.output
    assert (conf_dir / "out" / "e.txt").read_text().startswith("# record 1")


def test_the_shipped_example_config_works_from_any_directory(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = Path(__file__).resolve().parent.parent / "examples" / "monogen.toml"
    monkeypatch.chdir(tmp_path)
    result = run(runner, "schema", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "user_id" in result.stdout


# --- config value types: one line, file, key, expected type and found value; exit 2 ------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("batch_size = 1.5\n", "key 'batch_size' must be an integer, found 1.5 (a float)"),
        ("batch_size = true\n", "key 'batch_size' must be an integer, found true (a boolean)"),
        ("batch_size = [1, 2]\n", "key 'batch_size' must be an integer, found [1, 2] (an array)"),
        ("seed = 1e400\n", "key 'seed' must be an integer, found inf (a float)"),
        ("[datafile]\nnum_batch = 2021-01-01\n", "must be an integer, found 2021-01-01 (a date)"),
        ('dense = [["a"]]\n', "key 'dense' must be a string or an array of strings"),
        ("[datafile]\nout = 5\n", "[datafile] key 'out' must be a string, found 5 (an integer)"),
        ('[datafile]\nforce = "yes"\n', "key 'force' must be a boolean, found \"yes\" (a string)"),
        ('drop_rate = "0.5"\n', "key 'drop_rate' must be a number, found \"0.5\" (a string)"),
        ("[datafile]\nbatch_size = 0\n", "key 'batch_size': 0 is not in the range x>=1"),
    ],
)
def test_config_values_of_the_wrong_type(
    runner: CliRunner, tmp_path: Path, text: str, message: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    result = run(runner, "datafile", "--config", str(config), "-o", str(tmp_path / "d.bin"))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: config file {config}: ")
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "d.bin").exists()


def test_config_values_of_the_right_type_still_work(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "ok.toml"
    config.write_text(
        'sparse = "a,b"\ndrop_rate = 1\n[example]\ncount = 2\nformat = "json"\nquiet = true\n'
    )
    result = run(runner, "example", "--config", str(config), *FIXED)
    assert result.exit_code == 0, result.output
    assert [len(json.loads(line)["named_feature"]) for line in result.stdout.splitlines()] == [2, 2]
    assert result.stderr == ""


def test_a_bad_value_from_the_environment_names_the_variable(runner: CliRunner) -> None:
    result = run(runner, "example", env={"MONOGEN_BATCH_SIZE": "abc"})
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(
        "Error: Invalid value for '--batch-size' (from MONOGEN_BATCH_SIZE): 'abc'"
    )


def test_a_bad_value_from_a_config_file_names_the_file(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('dense = ["x:abc"]\n')
    result = run(runner, "example", "--config", str(config))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(
        f"Error: Invalid value for '--dense' (from {config}): bad shape"
    )


def test_a_top_level_key_of_another_kind_elsewhere_is_left_to_that_command(
    runner: CliRunner, tmp_path: Path
) -> None:
    """`warmup = true` is export-demo's flag; replay's --warmup (a path) does not take it."""
    config = tmp_path / "c.toml"
    config.write_text("warmup = true\n")
    missing = tmp_path / "no-model"
    result = run(
        runner, "replay", "--config", str(config), "--saved-model", str(missing), "--check-only"
    )
    assert "config file" not in result.stderr
    assert str(missing) in result.stderr
    table = tmp_path / "t.toml"
    table.write_text("[replay]\nwarmup = true\n")
    refused = run(
        runner, "replay", "--config", str(table), "--saved-model", str(missing), "--check-only"
    )
    assert refused.exit_code == 2
    assert "[replay] key 'warmup' must be a string, found true (a boolean)" in refused.stderr


# --- every option really reads its variable and its config key ------------------------------

# Values to try for an option, by the kind of value it takes; the first one its type and
# callback accept is used (a feature spec, a slot range, a name...).
_TRIES = {
    "BOOL": ["1"],
    "INT": ["1", "2"],
    "NUMBER": ["0.5"],
    "STRING": ["1", "x:1", "uid", "f", "d"],
    "STRINGS": ["1", "x:1", "uid", "f", "d"],
}
# Made in the working directory: a file and a directory for options that must exist.
_FILE, _DIR = "f", "d"


def _required(command: click.Command, tested: str) -> list[str]:
    """Values for the command's required parameters other than ``tested``."""
    args: list[str] = []
    for param in command.params:
        if not param.required or param.name == tested:
            continue
        if isinstance(param, click.Option):
            args += [param.opts[0], _DIR]
        else:
            args.append(_FILE)
    return args


def _parsed(
    name: str, args: list[str], monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> click.Context | None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    try:
        with cli.make_context("monogen", [name]) as parent:
            return cli.all_commands()[name].make_context(name, list(args), parent=parent)
    except click.UsageError:
        return None
    finally:
        for key in env:
            monkeypatch.delenv(key)


def _choices(option: click.Option, kind: str) -> list[str]:
    if isinstance(option.type, click.Choice):
        return [str(c) for c in option.type.choices]
    return _TRIES[kind]


@pytest.mark.parametrize("name", sorted(cli.all_commands()))
def test_every_option_reads_its_variable_and_its_config_key(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monogen.cli.settings import settings_of

    monkeypatch.chdir(tmp_path)
    (tmp_path / _FILE).write_text("")
    (tmp_path / _DIR).mkdir()
    command = cli.all_commands()[name]
    options = {o.name: o for o in _options(command)}
    for key, setting in settings_of(command).items():
        option = options[setting.param]
        variable = "MONOGEN_" + key.upper()
        base = _required(command, setting.param)
        for value in _choices(option, setting.kind.name):
            ctx = _parsed(name, base, monkeypatch, {variable: value})
            if ctx is not None:
                break
        assert ctx is not None, f"{name}: no value of {variable} was accepted"
        source = ctx.get_parameter_source(setting.param)
        assert source is click.core.ParameterSource.ENVIRONMENT, (name, variable)
        # the same value from a config file, written as TOML of the option's kind
        toml = {"BOOL": "true", "INT": value, "NUMBER": value}.get(setting.kind.name)
        config = tmp_path / "c.toml"
        config.write_text(f"[{name}]\n{key} = {toml or json.dumps(value)}\n")
        ctx = _parsed(name, [*base, "--config", str(config)], monkeypatch, {})
        assert ctx is not None, f"{name}: config key {key} = {value} was refused"
        source = ctx.get_parameter_source(setting.param)
        assert source is click.core.ParameterSource.DEFAULT_MAP, (name, key)
