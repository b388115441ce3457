#!/usr/bin/env bash
# The main job: build, start a local onion network (3 authorities, 5 relays on
# 127.0.0.1) with sotto-localnet, run two clients that exchange messages over
# 3-hop circuits, then stop the network.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"$(nproc)" sotto-node sotto-localnet sotto-demo
dir=${SOTTO_DEMO_DIR:-$(mktemp -d /tmp/sotto-demo.XXXXXX)}
trap 'build/app/sotto-localnet stop --dir "$dir" >/dev/null 2>&1 || true' EXIT
build/app/sotto-localnet start --dir "$dir" --relays "${RELAYS:-5}"
build/app/sotto-demo --network "$dir/network.txt" "$@"
echo "network logs: $dir/*/node.log"
