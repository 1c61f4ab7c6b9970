"""Time monogen's TFRecordWriter against TensorFlow's on pre-serialised records.

Both write the same records to a file in a temporary directory (uncompressed by
default), best of ``--repeat`` runs; the files are checked to be byte-identical
so the comparison is like for like. Needs the tf extra.

Usage: ``python benchmarks/tfrecord_write.py [--records 20000] [--size 2048]``
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from monogen.tfrecord import Compression, TFRecordWriter

TF_COMPRESSION_TYPE = {Compression.NONE: "", Compression.GZIP: "GZIP", Compression.ZLIB: "ZLIB"}


def _records(count: int, size: int) -> list[bytes]:
    rng = random.Random(0)
    return [rng.randbytes(size) for _ in range(count)]


def _write_monogen(path: Path, records: list[bytes], compression: Compression) -> None:
    with path.open("wb") as fo, TFRecordWriter(fo, compression=compression) as writer:
        writer.write_all(records)


def _write_tensorflow(path: Path, records: list[bytes], compression: Compression) -> None:
    import tensorflow as tf

    options = tf.io.TFRecordOptions(compression_type=TF_COMPRESSION_TYPE[compression])
    with tf.io.TFRecordWriter(str(path), options) as writer:
        write = writer.write
        for record in records:
            write(record)


def _best_of(repeat: int, run: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=2048, help="bytes per record")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--compression", default="none")
    args = parser.parse_args()
    compression = Compression.parse(args.compression)
    records = _records(args.records, args.size)
    import tensorflow  # noqa: F401 - import once, outside the timed runs

    with tempfile.TemporaryDirectory() as tmp:
        ours, theirs = Path(tmp) / "monogen.tfrecord", Path(tmp) / "tf.tfrecord"
        timings = {
            "monogen": _best_of(args.repeat, lambda: _write_monogen(ours, records, compression)),
            "tensorflow": _best_of(
                args.repeat, lambda: _write_tensorflow(theirs, records, compression)
            ),
        }
        same = ours.read_bytes() == theirs.read_bytes()
    mib = args.records * args.size / 2**20
    print(
        f"{args.records} records x {args.size} B, compression={compression.value}, "
        f"best of {args.repeat}; identical output: {same}"
    )
    for name, seconds in timings.items():
        print(
            f"  {name:<10} {seconds * 1e3:8.1f} ms  {args.records / seconds:10.0f} rec/s"
            f"  {mib / seconds:7.1f} MiB/s"
        )
    print(f"  monogen / tensorflow time: {timings['monogen'] / timings['tensorflow']:.2f}")


if __name__ == "__main__":
    main()
