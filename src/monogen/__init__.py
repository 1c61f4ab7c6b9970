"""monogen: synthetic data in ByteDance Monolith's formats, without TensorFlow."""

from monogen.errors import MonogenError

__version__ = "0.1.0"
__all__ = ["MonogenError", "__version__"]
