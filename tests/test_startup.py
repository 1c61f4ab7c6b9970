"""Start-up stays light: ``monogen --help`` loads neither numpy, protobuf nor rich.

Those three are most of a command's import time, so the CLI imports them inside the
commands that use them. A fresh interpreter is the only honest place to look.
"""

from __future__ import annotations

import json
import subprocess
import sys

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
