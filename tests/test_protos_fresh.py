"""The checked-in generated modules must be exactly what `make protos` produces."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED_IN = ROOT / "src" / "monogen" / "proto"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_protos", ROOT / "tools" / "gen_protos.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_protos"] = module
    spec.loader.exec_module(module)
    return module


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    pytest.importorskip("grpc_tools", reason="grpcio-tools (dev extra) generates the code")
    generated = {p.name: p.read_text() for p in _load_generator().generate(tmp_path)}
    checked_in = {p.name: p.read_text() for p in CHECKED_IN.glob("*_pb2.py*")}
    assert sorted(generated) == sorted(checked_in), "run `make protos`: module set differs"
    stale = [name for name in generated if generated[name] != checked_in[name]]
    assert not stale, f"run `make protos`: stale generated modules {stale}"


def test_gencode_version_matches_protobuf_lower_bound() -> None:
    """The protobuf lower bound in pyproject.toml must be the generated code's version."""
    header = (CHECKED_IN / "example_pb2.py").read_text()
    gencode = next(
        line.split(":", 1)[1].strip()
        for line in header.splitlines()
        if line.startswith("# Protobuf Python Version:")
    )
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'"protobuf>={gencode},' in pyproject
