#!/usr/bin/env bash
# Builds every libFuzzer target with clang (ASan+UBSan) and runs each for
# the given number of seconds (default 60), printing executions per target.
# FUZZ_JOBS=N runs N targets at a time (default: one per core). A crash
# leaves its input in build-fuzz/crash-<target>-*; the script exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
jobs=${FUZZ_JOBS:-$(nproc)}
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-19 -DSOTTO_FUZZ=ON >/dev/null
ninja -C build-fuzz -j"$(nproc)"
mkdir -p build-fuzz/corpus

run_one() { # target path
  local f=$1 name
  name=$(basename "$f")
  mkdir -p "build-fuzz/corpus/$name"
  if ! "$f" -max_total_time="$secs" -print_final_stats=1 \
      -artifact_prefix="build-fuzz/crash-$name-" "build-fuzz/corpus/$name" \
      2>"build-fuzz/$name.log"; then
    echo "$name: FAILED (see build-fuzz/$name.log)"
    return 1
  fi
  local execs
  execs=$(grep -m1 'stat::number_of_executed_units' "build-fuzz/$name.log" | awk '{print $2}')
  echo "$name: $execs executions in ${secs}s, no crash"
}

status=0
pids=()
for f in build-fuzz/tests/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  run_one "$f" &
  pids+=($!)
  if [ "${#pids[@]}" -ge "$jobs" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
