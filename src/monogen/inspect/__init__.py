"""Look inside TFRecord, warmup and Monolith data files: verify every record, summarise them.

One job per module: ``detect`` (what a file is: compression, container, record
type, a data file's header layout), ``validate`` (whether a payload is a sound
record of its type), ``stats`` (fill rates, slots, LineId fields, warmup requests)
and ``report`` (``inspect_stream``: one pass over the file, filling a ``Report``).
``monogen inspect`` renders the report.
"""

from monogen.formats import RecordType
from monogen.inspect.detect import FileFormat
from monogen.inspect.report import (
    MAX_BAD_RUN,
    MAX_PROBLEMS_KEPT,
    Problem,
    Report,
    Shown,
    inspect_stream,
)
from monogen.inspect.stats import FeatureStats, InputStats, RecordStats, WarmupStats
from monogen.inspect.validate import (
    DETECT_WINDOW,
    BadPayload,
    TypeDetection,
    detect_record_type,
    parse_record,
    parses_as,
)

__all__ = [
    "DETECT_WINDOW",
    "MAX_BAD_RUN",
    "MAX_PROBLEMS_KEPT",
    "BadPayload",
    "FeatureStats",
    "FileFormat",
    "InputStats",
    "Problem",
    "RecordStats",
    "RecordType",
    "Report",
    "Shown",
    "TypeDetection",
    "WarmupStats",
    "detect_record_type",
    "inspect_stream",
    "parse_record",
    "parses_as",
]
