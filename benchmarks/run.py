"""Throughput and peak memory of monogen's main jobs, as ratios to the reference path.

Every job is a TOML file in ``benchmarks/configs/``. Each measurement runs in a fresh
Python process, so its peak RSS (``getrusage``) is its own, and calls the library
APIs a user would: ``monogen.serving.warmup`` for warmup files, ``monogen.io.datafile`` for data
files, ``monogen.io.tfrecord`` for framing. A job runs twice: with the default encoder
(``encoder="wire"``) and with the straightforward one (``encoder="protobuf"``: the
same draws, one protobuf message per record), measured in the same run,
so the speed-up does not depend on the machine. The data-file job also runs at a
20-times larger size to show that memory stays flat. When TensorFlow is installed,
its ``tf.io.TFRecordWriter`` and ``tf.data.TFRecordDataset`` are timed against
monogen's writer and reader on the same records.

Times are the best of ``--repeat`` runs after one untimed run (imports, caches), and
the output file is a real file in a temporary directory.

Usage: ``python benchmarks/run.py [--jobs NAME ...] [--repeat 5] [--no-tf] [--quick]``
(``make bench BENCH_ARGS="--quick"``).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

CONFIGS = Path(__file__).parent / "configs"
# ru_maxrss is in KiB on Linux, bytes on macOS.
RSS_UNIT = 1 if sys.platform == "darwin" else 1024
MIB = 2**20
MB = 10**6
HELP_RUNS = 5
HELP_LIMIT_S = 0.3
QUICK_BATCHES = 20  # --quick: data files this many times smaller
REFERENCE = "protobuf"
FAST = "wire"


@dataclass
class Measurement:
    """One timed job: ``records`` (rows for ExampleBatch) and ``bytes`` per run."""

    records: int
    bytes: int
    seconds: float
    peak_rss: int = 0
    extra: dict[str, float] | None = None

    @property
    def records_per_s(self) -> float:
        return self.records / self.seconds

    @property
    def mb_per_s(self) -> float:
        return self.bytes / self.seconds / MB


# --------------------------------------------------------------------------- child side


def best_of(
    repeat: int, run: Callable[[int], tuple[int, int]], out: Path | None = None
) -> Measurement:
    """One untimed run, then the fastest of ``repeat`` (run(i) -> records, bytes).

    ``out`` is removed between runs (untimed), so each run writes a new file as a user
    would, rather than truncating the last run's.
    """
    run(0)
    best = None
    for i in range(repeat):
        if out is not None:
            out.unlink(missing_ok=True)
        start = time.perf_counter()
        records, size = run(i + 1)
        seconds = time.perf_counter() - start
        if best is None or seconds < best.seconds:
            best = Measurement(records, size, seconds)
    assert best is not None
    return best


def build_generator(cfg: dict[str, Any], encoder: str, seed: int) -> Any:
    from monogen.gen.generator import RecordGenerator
    from monogen.gen.schema import schema_from_inputs

    schema, _ = schema_from_inputs(
        slots=cfg.get("slots"), fidv1_slots=cfg.get("fidv1_slots"), dense=cfg.get("dense", [])
    )
    return RecordGenerator(
        schema,
        cfg["variant"],
        seed=cfg["seed"] + seed,
        batch_size=cfg["batch_size"],
        drop_rate=cfg["drop_rate"],
        req_time=cfg["req_time"],
        encoder=encoder,
    )


def warmup_job(cfg: dict[str, Any], encoder: str, out: Path, repeat: int) -> Measurement:
    from monogen.serving import warmup

    def run(seed: int) -> tuple[int, int]:
        generator = build_generator(cfg, encoder, seed)
        plan = warmup.plan_requests(
            variant=cfg["variant"], batch_size=cfg["batch_size"], max_records=cfg["max_records"]
        )
        with out.open("wb") as fo:
            summary = warmup.write_warmup(fo, plan, generator.batches())
        rows = summary.records * generator.variant.rows_per_record(cfg["batch_size"])
        return rows, summary.bytes

    return best_of(repeat, run, out)


def datafile_job(
    cfg: dict[str, Any], encoder: str, out: Path, repeat: int, num_batch: int
) -> Measurement:
    from monogen.io import datafile

    header = datafile.HeaderOptions.parse(cfg["header"])

    def run(seed: int) -> tuple[int, int]:
        generator = build_generator(cfg, encoder, seed)
        with out.open("wb") as fo:
            summary = datafile.generate(fo, generator, num_batch=num_batch, header=header)
        return summary.records, summary.bytes

    return best_of(repeat, run, out)


def framing_job(cfg: dict[str, Any], out: Path, repeat: int, use_tf: bool) -> Measurement:
    """monogen's TFRecord writer and reader; TensorFlow's too when asked and installed."""
    from monogen.io.tfrecord import TFRecordWriter, read_records

    rng = random.Random(0)
    records = [rng.randbytes(cfg["record_bytes"]) for _ in range(cfg["records"])]
    size = sum(len(r) for r in records)
    ours, theirs = out.with_suffix(".monogen"), out.with_suffix(".tf")

    def write(_: int) -> tuple[int, int]:
        with ours.open("wb") as fo, TFRecordWriter(fo) as writer:
            writer.write_all(records)
        return len(records), size

    def read(_: int) -> tuple[int, int]:
        with ours.open("rb") as fo:
            count = sum(1 for _ in read_records(fo))
        return count, size

    result = best_of(repeat, write, ours)
    extra = {"read_s": best_of(repeat, read).seconds}
    if use_tf:
        extra.update(tensorflow_framing(records, size, theirs, repeat))
        extra["identical"] = float(ours.read_bytes() == theirs.read_bytes())
    result.extra = extra
    return result


def tensorflow_framing(
    records: list[bytes], size: int, path: Path, repeat: int
) -> dict[str, float]:
    import tensorflow as tf

    def write(_: int) -> tuple[int, int]:
        with tf.io.TFRecordWriter(str(path)) as writer:
            for record in records:
                writer.write(record)
        return len(records), size

    def iterate(_: int) -> tuple[int, int]:
        count = sum(1 for _ in tf.data.TFRecordDataset(str(path)))
        return count, size

    @tf.function  # traced once (in the untimed run), then pure graph execution
    def count() -> Any:
        return tf.data.TFRecordDataset(str(path)).reduce(0, lambda n, _: n + 1)

    def count_in_graph(_: int) -> tuple[int, int]:
        return int(count()), size

    return {
        "tf_write_s": best_of(repeat, write, path).seconds,
        "tf_read_s": best_of(repeat, iterate).seconds,
        "tf_count_s": best_of(repeat, count_in_graph).seconds,
    }


def child(spec: dict[str, Any]) -> None:
    """Run one measurement in this process and print it as JSON."""
    cfg = load(Path(spec["config"]))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        if cfg["job"] == "warmup":
            result = warmup_job(cfg, spec["encoder"], out, spec["repeat"])
        elif cfg["job"] == "datafile":
            result = datafile_job(cfg, spec["encoder"], out, spec["repeat"], spec["num_batch"])
        else:
            result = framing_job(cfg, out, spec["repeat"], spec["tf"])
    result.peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * RSS_UNIT
    print(json.dumps(asdict(result)))


# --------------------------------------------------------------------------- parent side


def load(path: Path) -> dict[str, Any]:
    with path.open("rb") as fo:
        return tomllib.load(fo)


def measure(spec: dict[str, Any]) -> Measurement:
    """Run ``spec`` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        check=True,
        capture_output=True,
        text=True,
    )
    return Measurement(**json.loads(done.stdout.strip().splitlines()[-1]))


def tensorflow_installed() -> bool:
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('tensorflow') is None)"
    return subprocess.run([sys.executable, "-c", probe], check=False).returncode == 0


def help_startup() -> float:
    """Best wall time of ``monogen --help`` in a fresh process."""
    script = Path(sys.executable).parent / "monogen"
    argv = [str(script)] if script.exists() else [sys.executable, "-m", "monogen"]
    best = float("inf")
    for _ in range(HELP_RUNS):
        start = time.perf_counter()
        subprocess.run([*argv, "--help"], check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


ROW = "{:<38} {:>8} {:>10} {:>7} {:>9} {:>10} {:>9} {:>9} {:>6}"


def header() -> None:
    print(
        ROW.format(
            "job",
            "records",
            "records/s",
            "MB/s",
            "peak RSS",
            "reference",
            "speed-up",
            "original",
            "goal",
        )
    )
    print(ROW.format("", "", "", "", "MiB", "records/s", "vs ref", "x orig", "x orig"))


def report(title: str, cfg: dict[str, Any], fast: Measurement, ref: Measurement | None) -> None:
    original = cfg.get("original_records_per_s")
    goal = cfg.get("target_speedup")
    vs_original = fast.records_per_s / original if original else None
    met = "" if vs_original is None or goal is None else (" ok" if vs_original >= goal else " NO")
    print(
        ROW.format(
            title,
            fmt(fast.records),
            fmt(fast.records_per_s),
            fmt(fast.mb_per_s, 1),
            fmt(fast.peak_rss / MIB),
            fmt(ref.records_per_s) if ref else "-",
            f"{fast.records_per_s / ref.records_per_s:.1f}x" if ref else "-",
            f"{vs_original:.1f}x" if vs_original else "-",
            f"{goal}x{met}" if goal else "-",
        )
    )


def run_config(path: Path, args: argparse.Namespace, use_tf: bool) -> None:
    cfg = load(path)
    spec = {"config": str(path), "repeat": args.repeat, "tf": use_tf}
    if cfg["job"] == "warmup":
        fast = measure({**spec, "encoder": FAST})
        ref = measure({**spec, "encoder": REFERENCE, "repeat": 1})
        report(f"{cfg['title']} (batch {cfg['batch_size']})", cfg, fast, ref)
    elif cfg["job"] == "datafile":
        sizes = (
            [max(1, n // QUICK_BATCHES) for n in cfg["num_batch"]]
            if args.quick
            else cfg["num_batch"]
        )
        ref = measure({**spec, "encoder": REFERENCE, "repeat": 1, "num_batch": sizes[0]})
        for n in sizes:
            fast = measure({**spec, "encoder": FAST, "repeat": 1, "num_batch": n})
            report(f"{cfg['title']} ({n} x {cfg['batch_size']})", cfg, fast, ref)
    else:
        framing(cfg, measure(spec), use_tf)


def framing(cfg: dict[str, Any], result: Measurement, use_tf: bool) -> None:
    extra = result.extra or {}
    size = result.bytes / MB
    write_mb, read_mb = size / result.seconds, size / extra["read_s"]
    what = f"{cfg['records']:,} records x {cfg['record_bytes']:,} B"
    print(f"\n{cfg['title']}: {what}, peak RSS {result.peak_rss / MIB:,.0f} MiB")
    print(f"  monogen TFRecordWriter        {write_mb:8,.0f} MB/s")
    print(f"  monogen read_records          {read_mb:8,.0f} MB/s")
    if not use_tf:
        print("  (TensorFlow not installed or --no-tf: no comparison)")
        return
    tf_write, tf_read = size / extra["tf_write_s"], size / extra["tf_read_s"]
    tf_count = size / extra["tf_count_s"]
    goal = cfg["target_speedup"]
    met = "ok" if write_mb / tf_write >= goal else "NO"
    same = "identical" if extra.get("identical") else "DIFFERENT"
    print(
        f"  tf.io.TFRecordWriter          {tf_write:8,.0f} MB/s"
        f"   monogen/TF {write_mb / tf_write:.2f}x (goal >= {goal}x: {met}; files {same})"
    )
    print(
        f"  tf.data.TFRecordDataset       {tf_read:8,.0f} MB/s"
        f"   monogen/TF {read_mb / tf_read:.2f}x (iterated in Python)"
    )
    print(
        f"  TFRecordDataset.reduce (graph){tf_count:8,.0f} MB/s"
        f"   monogen/TF {read_mb / tf_count:.2f}x (records counted in TF's graph)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = sorted(p.stem for p in CONFIGS.glob("*.toml"))
    parser.add_argument("--jobs", nargs="+", choices=names, default=names)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per job (best kept)")
    parser.add_argument("--no-tf", action="store_true", help="skip the TensorFlow comparison")
    parser.add_argument("--quick", action="store_true", help="smaller data files, 2 repeats")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    if args.quick:
        args.repeat = min(args.repeat, 2)
    use_tf = not args.no_tf and tensorflow_installed()
    print(f"monogen benchmarks: python {sys.version.split()[0]}, best of {args.repeat} runs")
    print("reference = the same job with encoder='protobuf', measured in this run\n")
    header()
    framing_configs = []
    for name in args.jobs:
        path = CONFIGS / f"{name}.toml"
        if load(path)["job"] == "framing":
            framing_configs.append(path)
        else:
            run_config(path, args, use_tf)
    for path in framing_configs:
        run_config(path, args, use_tf)
    startup = help_startup()
    verdict = "ok" if startup < HELP_LIMIT_S else "over"
    print(f"\nmonogen --help: {startup:.2f} s ({verdict}; goal < {HELP_LIMIT_S} s)")


if __name__ == "__main__":
    main()
