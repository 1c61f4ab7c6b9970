#!/usr/bin/env bash
# monogen in a shell pipeline: data on stdout, progress and summaries on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

# 1. Reproducible records: the same seed and req_time give byte-identical output.
monogen example --config examples/monogen.toml --seed 7 --req-time 1700000000 -n 1 -f json \
  | cut -c 1-120

# 2. Every fid of 100 Instances, decoded into slot and hash, counted per slot.
monogen instance --fidv1-slots 1-8 --seed 7 -n 100 -f json -q \
  | python3 -c 'import json,sys; [print(f) for l in sys.stdin for f in json.loads(l).get("fid", [])]' \
  | monogen fids --decode --version 1 | cut -f 2 | sort -n | uniq -c

# 3. A warmup file for TensorFlow Serving, and a training data file checked end to end.
monogen warmup --config examples/monogen.toml --seed 7 --out /tmp/monogen-warmup.tfrecord --force
monogen datafile --config examples/monogen.toml --seed 7 --num-batch 10 --out - \
  | monogen inspect - --format datafile
