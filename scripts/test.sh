#!/usr/bin/env bash
# Builds Sotto and runs the whole test suite with ctest. With SANITIZE=1 the
# build uses ASan+UBSan (build-asan/).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
extra=()
if [ "${SANITIZE:-0}" = 1 ]; then dir=build-asan; extra=(-DSOTTO_SANITIZE=ON); fi
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${extra[@]}" >/dev/null
ninja -C "$dir" -j"$(nproc)"
export QT_QPA_PLATFORM=offscreen
ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" ${CTEST_ARGS:-}
