#!/usr/bin/env bash
# Builds the benchmarks in a Release build and prints their tables.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build-release -j"$(nproc)"
# The published figures are from an idle machine; a busy one shows up in the
# latency tails first (docs/performance.md). Record how busy this one was.
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
for b in build-release/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "## $(basename "$b")"
  "$b"
  echo
done
