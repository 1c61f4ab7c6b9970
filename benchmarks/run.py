"""Throughput, peak memory and start-up of monogen's main jobs.

Every job is a TOML file in ``benchmarks/configs/`` whose ``job`` names an entry of
``JOBS`` (one function per kind of job, each printing its own table):

- ``datafile``: whole ``monogen datafile`` processes, start-up included, at two
  sizes (memory must stay flat), as rows/s and as a ratio to Monolith's original
  generator (``original_records_per_s``); beside them, the same rows through the
  reference encoder (``encoder="protobuf"``: one protobuf message per record),
  measured in this run in process, so the speed-up does not depend on the machine.
- ``warmup``: ``monogen.serving.warmup`` in process, the default encoder against the
  reference one.
- ``command``: a whole ``monogen`` command (``--help``, a default warmup file)
  against a wall-time limit.
- ``framing``: monogen's TFRecord writer and reader, and TensorFlow's when installed.
- ``durability``: one data file written through ``open_output`` with its fsyncs
  (data, then directory, before the file appears) and without them.
- ``inspect``: each data-file config's file written by a whole ``monogen datafile``
  process and verified by whole ``monogen inspect`` processes (with its summary, and
  with ``-q``), MB/s side by side.
- ``specs``: a data-file job with generation specs (``--ids`` and friends) against
  the same job without, whole processes paired in this run, as a ratio to a goal.
- ``scaling``: one data file cut into ``--shards``, whole processes with ``--jobs``
  1 up to the number of cores, then on a Dask ``LocalCluster`` (Dask's overhead).

Whole processes run as an installed package does: with bytecode caches (the
variable that turns them off is removed from the child's environment). Their times
are the median of ``--repeat`` runs after one untimed run; in-process times are the
best of ``--repeat``. Peak RSS is the process's own (``wait4``/``getrusage``).
Output files are real files in a temporary directory.

Usage: ``python benchmarks/run.py [--jobs NAME ...] [--repeat 5] [--no-tf] [--quick]``
(``make bench BENCH_ARGS="--quick"``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
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
QUICK_BATCHES = 20  # --quick: data files this many times smaller
REFERENCE = "protobuf"
FAST = "wire"
MONOGEN = [sys.executable, "-m", "monogen"]


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


@dataclass(frozen=True)
class Options:
    repeat: int
    quick: bool
    tf: bool


# --------------------------------------------------------------------------- in process


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


def measure_warmup(cfg: dict[str, Any], spec: dict[str, Any], out: Path) -> Measurement:
    from monogen.serving import warmup

    def run(seed: int) -> tuple[int, int]:
        generator = build_generator(cfg, spec["encoder"], seed)
        plan = warmup.plan_requests(
            variant=cfg["variant"], batch_size=cfg["batch_size"], max_records=cfg["max_records"]
        )
        with out.open("wb") as fo:
            summary = warmup.write_warmup(fo, plan, generator.batches())
        rows = summary.records * generator.variant.rows_per_record(cfg["batch_size"])
        return rows, summary.bytes

    return best_of(spec["repeat"], run, out)


def measure_datafile(cfg: dict[str, Any], spec: dict[str, Any], out: Path) -> Measurement:
    """The data-file job in process (what the reference encoder is timed with)."""
    from monogen.io import datafile

    def run(seed: int) -> tuple[int, int]:
        generator = build_generator(cfg, spec["encoder"], seed)
        with out.open("wb") as fo:
            summary = datafile.generate(fo, generator, num_batch=spec["num_batch"])
        rows = summary.records * generator.variant.rows_per_record(cfg["batch_size"])
        return rows, summary.bytes

    return best_of(spec["repeat"], run, out)


def measure_framing(cfg: dict[str, Any], spec: dict[str, Any], out: Path) -> Measurement:
    """monogen's TFRecord writer and reader; TensorFlow's too when asked and installed."""
    from monogen.io.tfrecord import TFRecordWriter, read_records

    repeat = spec["repeat"]
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
    if spec["tf"]:
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


def measure_codecs(cfg: dict[str, Any], spec: dict[str, Any], out: Path) -> Measurement:
    """One data file written and read back with each compression (``extra`` per codec)."""
    from monogen.io import datafile
    from monogen.io.compression import Compression

    batches = build_generator(cfg, FAST, 0).batches()
    num_batch = max(1, cfg["num_batch"] // QUICK_BATCHES) if spec["quick"] else cfg["num_batch"]
    drawn = [next(batches) for _ in range(num_batch)]  # written batch by batch, as generated
    size = 0
    extra: dict[str, float] = {}
    for codec in Compression:

        def write(_: int, codec: Compression = codec) -> tuple[int, int]:
            with out.open("wb") as fo, datafile.DataFileWriter(fo, compression=codec) as writer:
                for batch in drawn:
                    writer.write_many(batch)
                return writer.records_written, writer.bytes_written

        def read(_: int) -> tuple[int, int]:
            with out.open("rb") as fo:
                return sum(1 for _ in datafile.read(fo)), 0  # bytes: the write's

        written = best_of(spec["repeat"], write, out)
        size = written.bytes
        extra[f"{codec.value}_write_s"] = written.seconds
        extra[f"{codec.value}_stored"] = out.stat().st_size
        extra[f"{codec.value}_read_s"] = best_of(spec["repeat"], read).seconds
    return Measurement(sum(map(len, drawn)), size, 0.0, extra=extra)


def measure_durability(cfg: dict[str, Any], spec: dict[str, Any], out: Path) -> Measurement:
    """One data file through ``open_output`` with and without its fsyncs (``extra``)."""
    from monogen.io import datafile
    from monogen.io.output import open_output

    batches = build_generator(cfg, FAST, 0).batches()
    num_batch = max(1, cfg["num_batch"] // QUICK_BATCHES) if spec["quick"] else cfg["num_batch"]
    drawn = [next(batches) for _ in range(num_batch)]
    extra: dict[str, float] = {}
    size = 0
    for sync in (False, True):

        def write(_: int, sync: bool = sync) -> tuple[int, int]:
            with open_output(out, sync=sync) as fo, datafile.DataFileWriter(fo) as writer:
                for batch in drawn:
                    writer.write_many(batch)
                return writer.records_written, writer.bytes_written

        written = best_of(spec["repeat"], write, out)
        size = written.bytes
        extra[f"sync_{sync}_s"] = written.seconds
    return Measurement(sum(map(len, drawn)), size, 0.0, extra=extra)


MEASURES: dict[str, Callable[[dict[str, Any], dict[str, Any], Path], Measurement]] = {
    "warmup": measure_warmup,
    "datafile": measure_datafile,
    "framing": measure_framing,
    "codecs": measure_codecs,
    "durability": measure_durability,
}


def child(spec: dict[str, Any]) -> None:
    """Run one in-process measurement in this (fresh) process and print it as JSON."""
    cfg = load(Path(spec["config"]))
    with tempfile.TemporaryDirectory() as tmp:
        result = MEASURES[cfg["job"]](cfg, spec, Path(tmp) / "out")
    result.peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * RSS_UNIT
    print(json.dumps(asdict(result)))


def measure(path: Path, **spec: Any) -> Measurement:
    """Run the in-process measurement of config ``path`` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps({"config": str(path), **spec})],
        check=True,
        capture_output=True,
        text=True,
    )
    return Measurement(**json.loads(done.stdout.strip().splitlines()[-1]))


# --------------------------------------------------------------------------- whole processes


def installed_env() -> dict[str, str]:
    """The environment with bytecode caches on, as for an installed package."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


@dataclass(frozen=True)
class ProcessRun:
    """One whole process: wall and CPU (user + system) seconds, peak RSS in bytes."""

    wall: float
    cpu: float
    peak_rss: int


def run_process(argv: list[str], out: Path | None) -> ProcessRun:
    """One process, its output to /dev/null (or ``out``, removed first)."""
    if out is not None:
        out.unlink(missing_ok=True)
    start = time.perf_counter()
    with subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=installed_env()
    ) as proc:
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        error = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {error.strip()}")
    return ProcessRun(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * RSS_UNIT)


def median_process(argv: list[str], repeat: int, out: Path | None = None) -> ProcessRun:
    """Median wall and CPU seconds of ``repeat`` runs after one untimed run, and the
    largest peak RSS."""
    run_process(argv, out)
    runs = [run_process(argv, out) for _ in range(repeat)]
    return ProcessRun(
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        max(r.peak_rss for r in runs),
    )


def datafile_argv(cfg: dict[str, Any], num_batch: int, out: Path) -> list[str]:
    features = (
        ["--slots", cfg["slots"]] if "slots" in cfg else ["--fidv1-slots", cfg["fidv1_slots"]]
    )
    dense = [arg for spec in cfg.get("dense", []) for arg in ("--dense", spec)]
    return [
        *MONOGEN,
        "datafile",
        "-q",
        "--variant",
        cfg["variant"],
        *features,
        *dense,
        "--batch-size",
        str(cfg["batch_size"]),
        "--num-batch",
        str(num_batch),
        "--drop-rate",
        str(cfg["drop_rate"]),
        "--seed",
        str(cfg["seed"]),
        "--req-time",
        str(cfg["req_time"]),
        "--out",
        str(out),
    ]


# --------------------------------------------------------------------------- jobs


def fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


ROW = "{:<36} {:>8} {:>9} {:>10} {:>7} {:>8} {:>10} {:>7} {:>8} {:>8}"


def table(title: str, *header: str) -> None:
    """A job kind's title and column headings (``|`` between columns)."""
    print(f"\n{title}")
    for line in header:
        columns = line.split("|")
        print((ROW if len(columns) == 10 else SPECS_ROW).format(*columns))


def verdict(value: float, goal: float | None, *, below: bool = False) -> str:
    if goal is None:
        return "-"
    met = value < goal if below else value >= goal
    return "ok" if met else "NO"


def datafile_job(path: Path, cfg: dict[str, Any], opts: Options) -> None:
    """Whole ``monogen datafile`` processes at each size, beside the reference encoder.

    The goal is judged at the largest size; the smaller one is there to show that
    peak memory does not grow with the number of batches (start-up sets its rate)."""
    sizes = cfg["num_batch"]
    if opts.quick:
        sizes = [max(1, n // QUICK_BATCHES) for n in sizes]
    ref = measure(path, encoder=REFERENCE, repeat=1, num_batch=sizes[0])
    original, goal = cfg.get("original_records_per_s"), cfg.get("target_speedup")
    rows_per_batch = cfg["batch_size"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.bin"
        for n in sizes:
            run = median_process(datafile_argv(cfg, n, out), opts.repeat, out)
            rows = n * rows_per_batch
            size = out.stat().st_size
            rate = rows / run.wall
            x_orig = rate / original if original else 0.0
            print(
                ROW.format(
                    f"{cfg['title']} ({n} x {rows_per_batch})",
                    fmt(rows),
                    f"{run.wall:.2f}/{run.cpu:.2f}",
                    fmt(rate),
                    fmt(size / run.wall / MB, 1),
                    fmt(run.peak_rss / MIB),
                    fmt(ref.records_per_s),
                    f"{rate / ref.records_per_s:.1f}x",
                    f"{x_orig:.1f}x" if original else "-",
                    f"{goal}x {verdict(x_orig, goal)}" if goal and n == sizes[-1] else "-",
                )
            )


DATAFILE_HEADER = (
    "job (whole process)|records|wall/cpu|records/s|MB/s|peak|reference|x ref|x orig|goal",
    "||s median|||MiB|records/s|||x orig",
)


def warmup_job(path: Path, cfg: dict[str, Any], opts: Options) -> None:
    """The warmup library call in process, default encoder against the reference."""
    fast = measure(path, encoder=FAST, repeat=opts.repeat)
    ref = measure(path, encoder=REFERENCE, repeat=1)
    original, goal = cfg.get("original_records_per_s"), cfg.get("target_speedup")
    x_orig = fast.records_per_s / original if original else 0.0
    print(
        ROW.format(
            f"{cfg['title']} (batch {cfg['batch_size']})",
            fmt(fast.records),
            fmt(fast.seconds, 2),
            fmt(fast.records_per_s),
            fmt(fast.mb_per_s, 1),
            fmt(fast.peak_rss / MIB),
            fmt(ref.records_per_s),
            f"{fast.records_per_s / ref.records_per_s:.1f}x",
            f"{x_orig:.1f}x" if original else "-",
            f"{goal}x {verdict(x_orig, goal)}" if goal else "-",
        )
    )


WARMUP_HEADER = (
    "job (in process)|records|best s|records/s|MB/s|peak|reference|x ref|x orig|goal",
    "|||||MiB|records/s|||x orig",
)


def command_job(path: Path, cfg: dict[str, Any], opts: Options) -> None:
    """A whole ``monogen`` command against a wall-time limit."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        argv = [*MONOGEN, *(arg.replace("{out}", str(out)) for arg in cfg["args"])]
        run = median_process(argv, max(opts.repeat, 5), out)
    limit = cfg["limit_s"]
    print(
        f"{cfg['title']:<32} wall {run.wall:.2f} s, cpu {run.cpu:.2f} s (medians),"
        f" peak {run.peak_rss / MIB:,.0f} MiB; goal < {limit} s wall:"
        f" {verdict(run.wall, limit, below=True)}"
    )


def framing_job(path: Path, cfg: dict[str, Any], opts: Options) -> None:
    result = measure(path, repeat=opts.repeat, tf=opts.tf)
    extra = result.extra or {}
    size = result.bytes / MB
    write_mb, read_mb = size / result.seconds, size / extra["read_s"]
    what = f"{cfg['records']:,} records x {cfg['record_bytes']:,} B"
    print(f"\n{cfg['title']}: {what}, peak RSS {result.peak_rss / MIB:,.0f} MiB")
    print(f"  monogen TFRecordWriter        {write_mb:8,.0f} MB/s")
    print(f"  monogen read_records          {read_mb:8,.0f} MB/s")
    if not opts.tf:
        print("  (TensorFlow not installed or --no-tf: no comparison)")
        return
    tf_write, tf_read = size / extra["tf_write_s"], size / extra["tf_read_s"]
    tf_count = size / extra["tf_count_s"]
    goal = cfg["target_speedup"]
    same = "identical" if extra.get("identical") else "DIFFERENT"
    print(
        f"  tf.io.TFRecordWriter          {tf_write:8,.0f} MB/s"
        f"   monogen/TF {write_mb / tf_write:.2f}x"
        f" (goal >= {goal}x: {verdict(write_mb / tf_write, goal)}; files {same})"
    )
    print(
        f"  tf.data.TFRecordDataset       {tf_read:8,.0f} MB/s"
        f"   monogen/TF {read_mb / tf_read:.2f}x (iterated in Python)"
    )
    print(
        f"  TFRecordDataset.reduce (graph){tf_count:8,.0f} MB/s"
        f"   monogen/TF {read_mb / tf_count:.2f}x (records counted in TF's graph)"
    )


def codecs_job(path: Path, cfg: dict[str, Any], opts: Options) -> None:
    """Write and read MB/s of one data file under each compression, side by side."""
    from monogen.io.compression import Compression

    result = measure(path, repeat=opts.repeat, quick=opts.quick)
    extra = result.extra or {}
    size = result.bytes / MB
    print(f"{cfg['title']}: {result.records:,} records, {size:,.1f} MB uncompressed")
    print(f"  {'codec':<8} {'stored':>9} {'ratio':>6} {'write MB/s':>11} {'read MB/s':>10}")
    for codec in Compression:
        stored = extra[f"{codec.value}_stored"]
        write_mb = size / extra[f"{codec.value}_write_s"]
        read_mb = size / extra[f"{codec.value}_read_s"]
        print(
            f"  {codec.value:<8} {stored / MB:>6,.1f} MB {result.bytes / stored:>5.1f}x"
            f" {write_mb:>11,.0f} {read_mb:>10,.0f}"
        )


def durability_job(path: Path, cfg: dict[str, Any], opts: Options) -> None:
    """What fsyncing data and directory before the file appears costs a whole write."""
    result = measure(path, repeat=opts.repeat, quick=opts.quick)
    extra = result.extra or {}
    plain, synced = extra["sync_False_s"], extra["sync_True_s"]
    size = result.bytes / MB
    print(
        f"  {cfg['title']}: {size:,.1f} MB, {size / plain:,.0f} MB/s without fsync,"
        f" {size / synced:,.0f} MB/s with it: {synced / plain - 1:+.1%}"
    )


def inspect_job(path: Path, cfg: dict[str, Any], opts: Options) -> None:
    """Whole ``monogen datafile`` and ``monogen inspect`` processes on the same file:
    inspect with its statistics and summary (the goal), and ``-q`` (verifying only)."""
    num_batch = cfg["num_batch"] // QUICK_BATCHES if opts.quick else cfg["num_batch"]
    goal = cfg["goal_mb_per_s"]
    for name in cfg["datafiles"]:
        data_cfg = load(path.parent / f"{name}.toml")
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "d.bin"
            write = median_process(datafile_argv(data_cfg, num_batch, out), opts.repeat, out)
            size = out.stat().st_size / MB
            read = median_process([*MONOGEN, "inspect", str(out)], opts.repeat)
            quiet = median_process([*MONOGEN, "inspect", str(out), "-q"], opts.repeat)
        met = size / read.wall >= goal and read.wall <= write.wall
        print(
            ROW.format(
                f"{data_cfg['variant']} ({num_batch} x {data_cfg['batch_size']})",
                fmt(size, 1),
                f"{write.wall:.2f}/{write.cpu:.2f}",
                fmt(size / write.wall, 1),
                f"{read.wall:.2f}/{read.cpu:.2f}",
                fmt(size / read.wall, 1),
                f"{write.wall / read.wall:.2f}x",
                fmt(read.peak_rss / MIB),
                f"{goal} {'ok' if met else 'NO'}",
                fmt(size / quiet.wall, 1),
            ).rstrip()
        )


INSPECT_HEADER = (
    "file (whole processes)|MB|write s|write MB/s|inspect s|read MB/s|x write|peak|goal MB/s"
    "|-q MB/s",
    "||wall/cpu||wall/cpu|||MiB||no stats",
)


def scaling_job(path: Path, cfg: dict[str, Any], opts: Options) -> None:
    """Records/s of sharded data files with 1 .. all cores, and Dask's cost per shard."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    jobs_range = range(1, (cores or 1) + 1)
    print(f"{cfg['title']}, --jobs 1 to {cores}; rows/s (rows of example_batch)")
    print(f"  {'job':<48} {'wall s':>7} {'rows/s':>10} {'x jobs 1':>9} {'x orig':>7}  goal")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.bin"
        for index, name in enumerate(cfg["configs"]):
            job = load(CONFIGS / f"{name}.toml")
            rows, argv = sharded_argv(job, cfg["shards"], out, quick=opts.quick)
            runs = {jobs: median_process([*argv, "--jobs", str(jobs)], opts.repeat)
                    for jobs in jobs_range}  # fmt: skip
            for jobs, run in runs.items():
                scaling, x_orig = (
                    runs[1].wall / run.wall,
                    rows / run.wall / job["original_records_per_s"],
                )
                goals = [
                    f"{goal}x {verdict(value, goal)}"
                    for goal, value in (
                        (cfg.get(f"target_scaling_{jobs}") if index == 0 else None, scaling),
                        (cfg.get(f"target_speedup_{jobs}"), x_orig),
                    )
                    if goal
                ]
                label = f"{job['title']}, {rows:,} rows, --jobs {jobs}"
                print(
                    f"  {label:<48} {run.wall:>7.2f} {fmt(rows / run.wall):>10} {scaling:>8.2f}x"
                    f" {x_orig:>6.1f}x  {', '.join(goals) or '-'}"
                )
        job = load(CONFIGS / f"{cfg['configs'][0]}.toml")
        rows, argv = sharded_argv(job, cfg["shards"], out, quick=opts.quick)
        local = median_process([*argv, "--jobs", str(cores)], opts.repeat)
        dask = dask_run(argv, cores or 1, opts.repeat)
    if dask is None:
        print("  (dask.distributed not installed: no Dask figures)")
        return
    per_shard = (dask.wall - local.wall) / cfg["shards"] * 1000
    print(
        f"  {job['title']} on a Dask LocalCluster of {cores} worker processes:"
        f" {dask.wall:.2f} s against {local.wall:.2f} s with --jobs {cores},"
        f" {per_shard:+,.0f} ms per shard"
    )


def sharded_argv(
    job: dict[str, Any], shards: int, out: Path, *, quick: bool
) -> tuple[int, list[str]]:
    """Rows and command of a data-file job's larger size, cut into ``shards``."""
    num_batch = max(job["num_batch"])
    if quick:
        num_batch = max(shards, num_batch // QUICK_BATCHES)
    argv = [*datafile_argv(job, num_batch, out), "--shards", str(shards), "--force"]
    return num_batch * job["batch_size"], argv


def dask_run(argv: list[str], workers: int, repeat: int) -> ProcessRun | None:
    """``argv`` on a Dask LocalCluster of ``workers`` processes on 127.0.0.1 (started here)."""
    try:
        import distributed
    except ImportError:
        return None
    with distributed.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:  # fmt: skip
        return median_process(
            [*argv, "--engine", "dask", "--scheduler", cluster.scheduler_address], repeat
        )


def specs_job(path: Path, cfg: dict[str, Any], opts: Options) -> None:
    """Records/s of a data-file job with each spec's flags, as a share of the job without."""
    base_cfg = load(CONFIGS / cfg["base"])
    n = max(1, cfg["num_batch"] // QUICK_BATCHES) if opts.quick else cfg["num_batch"]
    rows = n * base_cfg["batch_size"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.bin"
        argv = datafile_argv(base_cfg, n, out)
        plain = median_process(argv, opts.repeat, out)
        print(
            SPECS_ROW.format(
                base_cfg["title"], fmt(rows), f"{plain.cpu:.2f}", fmt(rows / plain.cpu), "1.00", "-"
            )
        )
        for name, job in cfg["specs"].items():
            run = median_process([*argv, *job["flags"]], opts.repeat, out)
            share = plain.cpu / run.cpu
            goal = job.get("goal_share")
            print(
                SPECS_ROW.format(
                    name, fmt(rows), f"{run.cpu:.2f}", fmt(rows / run.cpu), f"{share:.2f}",
                    f"{goal} {verdict(share, goal)}" if goal else "-",
                )
            )  # fmt: skip


SPECS_ROW = "{:<44} {:>8} {:>8} {:>10} {:>9} {:>8}"
SPECS_HEADER = ("job (whole process, CPU)|records|cpu s|records/s|x no spec|goal",)


@dataclass(frozen=True)
class Job:
    """A kind of job: how one config runs, and the table it prints under."""

    run: Callable[[Path, dict[str, Any], Options], None]
    title: str
    header: tuple[str, ...] = ()


JOBS: dict[str, Job] = {
    "datafile": Job(datafile_job, "Data files (rows for example_batch)", DATAFILE_HEADER),
    "warmup": Job(warmup_job, "Warmup files", WARMUP_HEADER),
    "command": Job(command_job, "Whole commands"),
    "framing": Job(framing_job, "Framing"),
    "codecs": Job(codecs_job, "Compression (best of the timed runs, uncompressed MB/s)"),
    "durability": Job(durability_job, "fsync before the output appears (best of the timed runs)"),
    "inspect": Job(inspect_job, "inspect beside the writer (medians)", INSPECT_HEADER),
    "specs": Job(specs_job, "Generation specs beside uniform ids (medians)", SPECS_HEADER),
    "scaling": Job(scaling_job, "Shards over cores and over Dask (whole processes, medians)"),
}


# --------------------------------------------------------------------------- main


def load(path: Path) -> dict[str, Any]:
    with path.open("rb") as fo:
        return tomllib.load(fo)


def tensorflow_installed() -> bool:
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('tensorflow') is None)"
    return subprocess.run([sys.executable, "-c", probe], check=False).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = sorted(p.stem for p in CONFIGS.glob("*.toml"))
    parser.add_argument("--jobs", nargs="+", choices=names, default=names)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per job")
    parser.add_argument("--no-tf", action="store_true", help="skip the TensorFlow comparison")
    parser.add_argument("--quick", action="store_true", help="smaller data files, 2 repeats")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    repeat = min(args.repeat, 2) if args.quick else args.repeat
    opts = Options(repeat, args.quick, not args.no_tf and tensorflow_installed())
    print(f"monogen benchmarks: python {sys.version.split()[0]}, {repeat} timed runs per job")
    print("reference = the same rows through encoder='protobuf', measured in this run")
    by_kind: dict[str, list[Path]] = {kind: [] for kind in JOBS}
    for name in args.jobs:
        path = CONFIGS / f"{name}.toml"
        by_kind[load(path)["job"]].append(path)
    for kind, paths in by_kind.items():
        if not paths:
            continue
        job = JOBS[kind]
        table(job.title, *job.header)
        for path in paths:
            job.run(path, load(path), opts)


if __name__ == "__main__":
    main()
