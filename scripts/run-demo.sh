#!/usr/bin/env bash
# The main job, the embedded default: build, start a local onion network
# (3 authorities, 5 relays on 127.0.0.1) with sotto-localnet, and open two
# Sotto windows, Alice and Bob, each with its own encrypted profile, ready
# for the invite flow (Bob: "Invite a contact"; Alice: "Add contact", paste
# or scan). Closing both windows stops the network.
#
#   scripts/run-demo.sh              two app windows (needs a display)
#   scripts/run-demo.sh --headless   the whole story through sotto-cli, as a
#                                    transcript: invite, accept, chat both
#                                    ways, hide presence, silent revoke
#   scripts/run-demo.sh --engine     the protocol-level demo (sotto-demo)
#
# Without a display (no $DISPLAY or $WAYLAND_DISPLAY) it runs --headless.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=gui
case "${1:-}" in
  --headless) mode=headless; shift ;;
  --engine) mode=engine; shift ;;
esac
if [[ $mode == gui && -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
  echo "no display found: running the headless story instead (see --headless)"
  mode=headless
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets="sotto-node sotto-localnet sotto-cli sotto-demo"
[[ $mode == gui ]] && targets="$targets sotto"
ninja -C build -j"$(nproc)" $targets

case $mode in
  headless) exec bash scripts/headless-story.sh build ;;
  engine)
    dir=${SOTTO_DEMO_DIR:-$(mktemp -d /tmp/sotto-demo.XXXXXX)}
    trap 'build/app/sotto-localnet stop --dir "$dir" >/dev/null 2>&1 || true' EXIT
    build/app/sotto-localnet start --dir "$dir" --relays "${RELAYS:-5}"
    build/app/sotto-demo --network "$dir/network.txt" "$@"
    exit 0 ;;
esac

dir=${SOTTO_DEMO_DIR:-$(mktemp -d /tmp/sotto-demo.XXXXXX)}
trap 'build/app/sotto-localnet stop --dir "$dir/net" >/dev/null 2>&1 || true' EXIT
build/app/sotto-localnet start --dir "$dir/net" --relays "${RELAYS:-5}"
pids=()
for who in Alice Bob; do
  p="$dir/${who,,}"
  printf '%s-demo-passphrase\n' "${who,,}" >"$dir/${who,,}.pass"
  chmod 600 "$dir/${who,,}.pass"
  build/app/sotto-cli --profile "$p" --passphrase-file "$dir/${who,,}.pass" \
    init --name "$who" --network "$dir/net/network.txt" >/dev/null
  build/app/sotto --profile "$p" --passphrase-file "$dir/${who,,}.pass" --fast-publication \
    >"$dir/${who,,}.log" 2>&1 &
  pids+=($!)
  echo "$who: window open (profile $p, passphrase in $dir/${who,,}.pass)"
done
echo "In Bob's window: Invite a contact → copy the code. In Alice's: Add contact → paste."
wait "${pids[@]}" || true
