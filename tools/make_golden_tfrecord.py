"""Write the golden TFRecord files in ``tests/data`` with TensorFlow (run once; needs the tf extra).

The files are checked in so that ``tests/test_tfrecord.py`` can prove, without
TensorFlow installed, that monogen reads what TensorFlow writes. They contain the
records of ``golden_records()``, in this order:

  0. ``b""``                       the empty record (a frame of only header and footer)
  1. ``b"a"``                      one byte
  2. ``b"hello, TFRecord"``        short ASCII text
  3. ``bytes(range(256))``         every byte value once
  4. 70,000 bytes of ``_pattern``  longer than 64 KiB, so lengths above 16 bits are covered
  5. ``b"\\x00" * 16``             zeros, including where a header would be

Files written:

  golden.tfrecord        no compression           (tf.io.TFRecordWriter, compression_type "")
  golden_gzip.tfrecord   compression_type "GZIP"
  golden_zlib.tfrecord   compression_type "ZLIB"

Usage: ``python tools/make_golden_tfrecord.py [--out tests/data]``. The test loads
``golden_records`` from this file, so change both together.
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "tests" / "data"

BIG_RECORD_SIZE = 70_000  # > 64 KiB
PATTERN_PERIOD = 251  # prime, so the big record is not a whole number of 256-byte blocks

# file name -> TensorFlow compression_type
GOLDEN_FILES = {
    "golden.tfrecord": "",
    "golden_gzip.tfrecord": "GZIP",
    "golden_zlib.tfrecord": "ZLIB",
}


def _pattern(size: int) -> bytes:
    """Deterministic bytes that vary along the record, so a misplaced slice shows up."""
    return bytes((i % PATTERN_PERIOD + i // PATTERN_PERIOD) % 256 for i in range(size))


def golden_records() -> list[bytes]:
    """The records every golden file holds (see the module docstring)."""
    return [
        b"",
        b"a",
        b"hello, TFRecord",
        bytes(range(256)),
        _pattern(BIG_RECORD_SIZE),
        b"\x00" * 16,
    ]


def write_golden(out: Path) -> list[Path]:
    import tensorflow as tf  # imported here so the test can import golden_records without TF

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, compression_type in GOLDEN_FILES.items():
        path = out / name
        options = tf.io.TFRecordOptions(compression_type=compression_type)
        with tf.io.TFRecordWriter(str(path), options) as writer:
            for record in golden_records():
                writer.write(record)
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args()
    for path in write_golden(args.out):
        print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
