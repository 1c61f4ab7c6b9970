"""Monolith's ``data_gen_utils`` under its old import path.

The module lives in :mod:`monogen.compat.data_gen_utils`; this name is kept so that
``from monogen import data_gen_utils`` goes on working for existing scripts.
"""

import sys

from monogen.compat import data_gen_utils as _module

sys.modules[__name__] = _module
