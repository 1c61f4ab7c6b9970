"""The one place monogen imports TensorFlow, which only the ``tf`` extra installs.

Modules that need TensorFlow call ``require_tensorflow`` inside the function that
uses it, so importing any monogen module stays TensorFlow-free and a missing install
becomes a one-line ``TensorFlowMissingError`` that says how to add it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from monogen.errors import TensorFlowMissingError

INSTALL_HINT = "pip install 'monogen[tf]'"


def require_tensorflow() -> ModuleType:
    """Import TensorFlow, or raise ``TensorFlowMissingError`` saying how to install it."""
    try:
        return importlib.import_module("tensorflow")
    except ImportError as exc:
        if exc.name != "tensorflow":  # installed, but something inside it fails
            raise TensorFlowMissingError(
                f"TensorFlow is installed but fails to import: {exc}"
            ) from exc
        raise TensorFlowMissingError(
            f"this command needs TensorFlow, which is not installed; run: {INSTALL_HINT}"
        ) from exc
