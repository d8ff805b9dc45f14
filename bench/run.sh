#!/usr/bin/env bash
# `npm run bench`: builds, makes sure the engine and images exist, runs every benchmark and prints
# figures against targets and same-run baselines. Knobs: BENCH_CONTAINERS, BENCH_RUNS,
# BENCH_IDLE_SECONDS, BENCH_SOAK_SECONDS (default 300).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
bash test/env/setup.sh
for b in dist/bench/*.bench.js; do
  echo "== $b"
  node "$b"
done
