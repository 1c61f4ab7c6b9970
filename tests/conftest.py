"""Helpers the test modules share: fixtures and stream shims, each defined once."""

from __future__ import annotations

import sys

import pytest


@pytest.fixture
def no_tensorflow(monkeypatch: pytest.MonkeyPatch) -> None:
    """TensorFlow as if not installed: a None entry in sys.modules makes its import fail."""
    monkeypatch.setitem(sys.modules, "tensorflow", None)
