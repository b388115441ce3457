#!/usr/bin/env bash
# Builds the benchmarks in a Release build and prints their tables.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build-release -j"$(nproc)"
for b in build-release/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "## $(basename "$b")"
  "$b"
  echo
done
