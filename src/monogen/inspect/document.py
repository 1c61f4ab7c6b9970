"""A ``Report`` as one JSON document (``monogen inspect --json``); the shape is in the README.

Everything the text summary says is here, under stable keys, so a CI job can read
the verdict, the counts and the fill rates without scraping text. Records (shown
ones, and the records inside shown warmup requests) use the one JSON encoding of
records (``monogen.encode.dump.record_dict``: 64-bit integers as strings).
``INSPECT_JSON_VERSION`` changes when a key changes meaning or goes away; new keys
may appear without it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from monogen.encode.dump import record_dict
from monogen.inspect.report import Report, Shown
from monogen.inspect.stats import FeatureStats, RecordStats, WarmupStats
from monogen.inspect.validate import without_records
from monogen.io.detect import Detection

__all__ = ["INSPECT_JSON_VERSION", "report_document"]

INSPECT_JSON_VERSION = 1


def report_document(report: Report) -> dict[str, Any]:
    """The JSON-ready document of ``report``."""
    return {
        "inspect_json_version": INSPECT_JSON_VERSION,
        "input": report.label,
        "ok": report.ok,
        "records": report.records,
        "sound": report.sound,
        "bad": report.problem_count,
        "stopped_early": report.stopped_early,
        "format": None if report.format is None else report.format.value,
        "compression": report.compression.value,
        "header": _header(report),
        "record_type": _record_type(report),
        "bytes": {"read": report.file_bytes, "uncompressed": report.data_bytes},
        "statistics": _statistics(report),
        "problems": [{"message": p.message, "fatal": p.fatal} for p in report.problems],
        "warnings": list(report.warnings),
        "suggested_headers": [h.describe() for h in report.suggestions],
        "shown": [_shown(s) for s in report.shown],
    }


def _header(report: Report) -> dict[str, Any] | None:
    if report.header is None:
        return None
    detection = report.detection
    found: dict[str, Any] = {
        "layout": report.header.describe(),
        "how": _how_header(detection),
        "ambiguous": bool(detection and detection.ambiguous),
        "also_reads_as": [],
        "detection": None,
        "data_source_keys": _keys(report.header_keys, hexadecimal=True),
        "pb_types": _keys(report.pb_types),
    }
    if detection is not None:
        found["also_reads_as"] = [
            {
                "layout": r.header.describe(),
                "record_type": r.record_type.value,
                "records": r.records,
            }
            for r in detection.others
        ]
        if detection.examined:
            found["detection"] = {
                "examined_bytes": detection.examined,
                "whole_input": detection.whole,
                "records": detection.records,
            }
    return found


def _how_header(detection: Detection | None) -> str:
    """given (pinned and fitting, or pinned and not checkable), detected, or closest."""
    if detection is None:
        return "given or closest"
    return "given" if detection.header_given else "detected"


def _record_type(report: Report) -> dict[str, Any] | None:
    if report.record_type is None:
        return None
    how = "detected" if report.detected else "given"
    if report.assumed:
        how = "assumed"
    return {
        "name": report.record_type.value,
        "message": report.record_type.record_name,
        "how": how,
        "also_parses_as": [t.value for t in report.also_parses_as],
    }


def _statistics(report: Report) -> dict[str, Any] | None:
    stats = report.stats
    if stats is None:
        return None
    sample = report.sample
    found: dict[str, Any] = {
        "sampled": not sample.complete,
        "records": sample.taken,
        "of_records": sample.seen,
        "bytes": sample.taken_bytes,
        "of_bytes": sample.seen_bytes,
    }
    if isinstance(stats, WarmupStats):
        found["warmup"] = _warmup(stats)
    elif isinstance(stats, RecordStats):
        found.update(_records(stats))
    return found


def _records(stats: RecordStats) -> dict[str, Any]:
    rows = stats.rows
    return {
        "record_type": stats.record_type.value,
        "rows": rows,
        "features": {name: _feature(s, rows) for name, s in stats.features.items()},
        "fid_v1_slots": {
            str(slot): _feature(s, rows) for slot, s in sorted(stats.fidv1_slots.items())
        },
        "line_id": {name: _feature(s, rows) for name, s in stats.line_id.items()},
        "labels_per_row": _keys(stats.label_widths),
        "data_source_keys": _keys(stats.data_source_keys, hexadecimal=True),
    }


def _feature(stats: FeatureStats, rows: int) -> dict[str, Any]:
    """One feature, slot or LineId field; fill is a fraction of all rows (None without rows)."""
    ids = stats.ids
    return {
        "kinds": sorted(stats.kinds),
        "present_rows": stats.rows,
        "filled_rows": stats.filled,
        "fill": stats.filled / rows if rows else None,
        "values": stats.values,
        "values_per_filled_row": stats.values / stats.filled if stats.filled else None,
        "slots": sorted(stats.slots),
        "ids": ids.total,
        "distinct_ids": ids.distinct if ids.total else None,
        "distinct_ids_complete": ids.complete,
        "top1pct_share": ids.top_share(),
    }


def _warmup(stats: WarmupStats) -> dict[str, Any]:
    return {
        "logs": stats.logs,
        "signatures": dict(stats.signatures),
        "model_names": dict(stats.model_names),
        "records_per_request": _keys(stats.records_per_request),
        "output_filter_logs": stats.output_filter_logs,
        "output_filters": dict(stats.output_filters),
        "inputs": {
            name: {
                "requests": s.requests,
                "dtypes": dict(s.dtypes),
                "values_per_request": _keys(s.sizes),
            }
            for name, s in stats.inputs.items()
        },
        "records": {t.value: _records(s) for t, s in stats.records.items()},
    }


def _shown(shown: Shown) -> dict[str, Any]:
    found: dict[str, Any] = {
        "record": shown.number,
        "offset": shown.offset,
        "data_source_key": shown.data_source_key,
        "message": record_dict(without_records(shown.message, shown.embedded)),
    }
    if shown.embedded:
        found["records"] = [
            {
                "input": e.input,
                "record_type": e.record_type.value,
                "message": record_dict(e.message),
            }
            for e in shown.embedded
        ]
    return found


def _keys(counter: Counter[int], *, hexadecimal: bool = False) -> dict[str, int]:
    """Integer keys as JSON object keys (strings), most common first."""
    return {(f"{k:#010x}" if hexadecimal else str(k)): n for k, n in counter.most_common()}
