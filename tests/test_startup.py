"""Start-up stays light: ``monogen --help`` loads neither numpy, protobuf nor rich.

Those three are most of a command's import time, so the CLI imports them inside the
commands that use them. A fresh interpreter is the only honest place to look.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("numpy", "google.protobuf", "rich", "tensorflow")


def loaded_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_help_loads_no_heavy_module() -> None:
    modules = loaded_after(
        "from monogen.cli import cli\n"
        "try:\n"
        "    cli.main(['--help'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass"
    )
    assert "monogen.cli" in modules  # the probe did load the CLI
    heavy = [name for name in modules if any(name == h or name.startswith(h + ".") for h in HEAVY)]
    assert heavy == []


def _threads_after_a_numpy_command(env_value: str | None) -> tuple[int, str | None]:
    """Threads of a fresh ``monogen fids`` process once numpy is loaded, and the
    OPENBLAS_NUM_THREADS it ran with."""
    probe = (
        "import json, os, sys\n"
        "from monogen.cli import main\n"
        "sys.argv = ['monogen', 'fids', '--slot', '1', '--count', '1', '--seed', '1']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "assert 'numpy' in sys.modules\n"
        "print(json.dumps([len(os.listdir('/proc/self/task')),"
        " os.environ.get('OPENBLAS_NUM_THREADS')]))"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if env_value is not None:
        env["OPENBLAS_NUM_THREADS"] = env_value
    done = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, env=env
    )
    threads, value = json.loads(done.stdout.splitlines()[-1])
    return threads, value


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux's /proc")
def test_the_cli_starts_no_blas_threads() -> None:
    """monogen does no linear algebra; OpenBLAS's thread pool, started when numpy is
    imported, is start-up time spent on threads that never run a job."""
    assert _threads_after_a_numpy_command(None) == (1, "1")


def test_a_users_blas_setting_is_kept() -> None:
    assert _threads_after_a_numpy_command("3")[1] == "3"


def test_a_command_loads_only_its_own_module() -> None:
    """Each command's module is imported when that command runs, so ``monogen inspect``
    does not pay for the generators' codecs or the TensorFlow commands."""
    modules = loaded_after(
        "from monogen.cli import cli\n"
        "try:\n"
        "    cli.main(['inspect', '--help'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass"
    )
    assert "monogen.cli.inspect" in modules
    others = {"monogen.cli.datafile", "monogen.cli.tf", "monogen.cli.records"}
    assert others & modules == set()


def test_the_command_table_names_each_modules_commands() -> None:
    import importlib

    from monogen.cli import COMMAND_MODULES

    for module_name in set(COMMAND_MODULES.values()):
        module = importlib.import_module(f"monogen.cli.{module_name}")
        exported = {command.name for command in module.COMMANDS}
        listed = {name for name, where in COMMAND_MODULES.items() if where == module_name}
        assert exported == listed, module_name
