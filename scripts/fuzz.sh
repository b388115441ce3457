#!/usr/bin/env bash
# Builds every libFuzzer target with clang (ASan+UBSan) and runs each for
# the given number of seconds (default 60), printing executions per target.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-19 -DSOTTO_FUZZ=ON >/dev/null
ninja -C build-fuzz -j"$(nproc)"
mkdir -p build-fuzz/corpus
for f in build-fuzz/tests/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  mkdir -p "build-fuzz/corpus/$name"
  "$f" -max_total_time="$secs" -print_final_stats=1 "build-fuzz/corpus/$name" 2>"build-fuzz/$name.log" || {
    echo "$name: FAILED (see build-fuzz/$name.log)"; continue; }
  execs=$(grep -m1 'stat::number_of_executed_units' "build-fuzz/$name.log" | awk '{print $2}')
  echo "$name: $execs executions in ${secs}s, no crash"
done
