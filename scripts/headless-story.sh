#!/usr/bin/env bash
# The whole Sotto story through sotto-cli, on a local onion network, with a
# transcript: Bob invites Alice (QR code), Alice scans it, they chat both
# ways (delivery times), Bob hides his presence, Bob silently revokes Alice,
# and Alice now sees Bob offline for good.
# Usage: scripts/headless-story.sh BUILD_DIR   (binaries in BUILD_DIR/app)
set -euo pipefail
build=${1:-build}
bin="$build/app"
dir=${SOTTO_DEMO_DIR:-$(mktemp -d /tmp/sotto-story.XXXXXX)}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$dir/run}
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
t0=$(date +%s%N)
say() {
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  printf '[%4d.%02ds] %s\n' $((ms / 1000)) $((ms % 1000 / 10)) "$*"
}
cli() { local who=$1; shift; SOTTO_PASSPHRASE="$who-secret-passphrase" "$bin/sotto-cli" --profile "$dir/$who" "$@"; }
cleanup() {
  cli alice lock >/dev/null 2>&1 || true
  cli bob lock >/dev/null 2>&1 || true
  "$bin/sotto-localnet" stop --dir "$dir/net" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# A free block of ports (another local network may be running).
port_used() { (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
base=${BASE_PORT:-}
if [[ -z $base ]]; then
  for candidate in $(seq 5001 100 9901); do
    busy=0
    for i in $(seq 0 $(( ${RELAYS:-5} + 3 ))); do port_used $((candidate + i)) && busy=1 && break; done
    [[ $busy == 0 ]] && base=$candidate && break
  done
fi
say "starting a local onion network (3 authorities, ${RELAYS:-5} relays, ports from $base)"
"$bin/sotto-localnet" start --dir "$dir/net" --relays "${RELAYS:-5}" --base-port "$base" >/dev/null
for who in alice bob; do
  name=${who^}
  cli $who init --name "$name" --network "$dir/net/network.txt" >/dev/null
  cli $who unlock --fast-publication --consensus-interval 5 >/dev/null
  say "$who: profile created (encrypted) and unlocked"
done
cli bob status --timeout 60 >/dev/null
code=$(cli bob invite --expires 1d --qr "$dir/bob-invite.png" 2>/dev/null)
say "bob: one-time invite (QR in $dir/bob-invite.png): ${code:0:40}…"
say "alice: scans the QR code → $(cli alice accept --image "$dir/bob-invite.png" --wait --timeout 120)"
say "bob sees: $(cli bob contacts | head -1)"
say "alice → bob \"Hi Bob! It's Alice.\": $(cli alice send Bob "Hi Bob! It's Alice." --wait --timeout 120)"
say "bob → alice \"Hello Alice 👋\": $(cli bob send Alice "Hello Alice 👋" --wait --timeout 120)"
say "bob's history with alice:"
cli bob history Alice | sed 's/^/            /'
say "alice: safety number $(cli alice safety-number Bob)"
say "bob:   safety number $(cli bob safety-number Alice)"
say "bob: hides his presence → $(cli bob presence invisible)"
say "alice sees bob: $(cli alice wait-offline Bob --timeout 120)"
say "bob: visible again → $(cli bob presence visible)"
say "alice sees bob: $(cli alice wait-online Bob --timeout 180)"
say "bob: revokes alice (silently: nothing is sent)"
cli bob revoke Alice --yes >/dev/null
say "alice sees bob: $(cli alice wait-offline Bob --timeout 120)"
if out=$(cli alice send Bob "Are you there?" --wait --timeout 30 2>&1); then
  say "UNEXPECTED: a revoked contact's message was delivered: $out"; exit 1
fi
say "alice → bob \"Are you there?\": stays queued (bob looks offline, exactly as if he were)"
say "alice's contacts: $(cli alice contacts)"
say "done; profiles and logs in $dir"
