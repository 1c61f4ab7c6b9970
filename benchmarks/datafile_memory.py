"""Peak memory and throughput of ``monogen datafile`` (and ``monogen inspect``) by batch count.

Each measurement runs in a fresh Python process that invokes the command in-process
and reports its own peak RSS (``getrusage``), so runs do not share a high-water mark.
Streaming shows as a peak RSS that stays flat while ``--num-batch`` grows 20-fold.

Usage: ``python benchmarks/datafile_memory.py [--batches 100 2000] [--variant instance]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# ru_maxrss is in KiB on Linux (bytes on macOS).
RSS_UNIT = 1 if sys.platform == "darwin" else 1024
MIB = 2**20


def _child(argv: list[str]) -> None:
    """Run one monogen command here and print its seconds and this process's peak RSS."""
    from monogen.cli import cli

    start = time.perf_counter()
    try:
        cli.main(args=argv, prog_name="monogen", standalone_mode=False)
    finally:
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * RSS_UNIT
    print(json.dumps({"seconds": seconds, "peak_rss": peak}))


def _measure(argv: list[str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(argv)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[100, 2000])
    parser.add_argument("--variant", default="instance")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(json.loads(args.child))
        return
    print(f"monogen datafile --variant {args.variant} --batch-size {args.batch_size}")
    print(f"{'batches':>8} {'records':>9} {'MB':>8} {'write s':>8} {'MB/s':>7} {'peak RSS':>9}"
          f" {'inspect s':>10} {'MB/s':>7} {'peak RSS':>9}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for batches in args.batches:
            path = Path(tmp) / f"d{batches}.bin"
            write = _measure(
                ["datafile", "-q", "--seed", "1", "--req-time", "0", "--variant", args.variant,
                 "--batch-size", str(args.batch_size), "--num-batch", str(batches),
                 "--out", str(path)]
            )  # fmt: skip
            check = _measure(["inspect", str(path)])
            size = path.stat().st_size
            records = batches * (1 if args.variant == "example_batch" else args.batch_size)
            print(
                f"{batches:>8} {records:>9} {size / 1e6:>8.1f} {write['seconds']:>8.2f}"
                f" {size / 1e6 / write['seconds']:>7.1f} {write['peak_rss'] / MIB:>6.1f} MiB"
                f" {check['seconds']:>10.2f} {size / 1e6 / check['seconds']:>7.1f}"
                f" {check['peak_rss'] / MIB:>6.1f} MiB"
            )


if __name__ == "__main__":
    main()
