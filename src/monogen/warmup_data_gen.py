"""Monolith's ``warmup_data_gen`` under a short import path.

The module lives in :mod:`monogen.compat.warmup_data_gen`; ``from monogen import
warmup_data_gen`` mirrors ``from monogen import data_gen_utils``.
"""

import sys

from monogen.compat import warmup_data_gen as _module

sys.modules[__name__] = _module
