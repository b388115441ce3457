#!/usr/bin/env bash
# Installs the Debian package made by scripts/package.sh and shows that what
# it installed starts: the CLI tools answer, sotto-localnet starts a local
# onion network of installed sotto-node processes, sotto-cli creates a
# profile on it and bootstraps, and the desktop app (when the package has it)
# unlocks that profile and shows its main window (offscreen) until it is told
# to quit. Then it removes the package again.
#
#   bash scripts/check-package.sh [DEB]
#       on this machine (apt-get install --no-install-recommends ./DEB;
#       apt-get remove sotto)
#   bash scripts/check-package.sh --clean-root DIR [DEB]
#       in a minimal Debian bookworm made by debootstrap in DIR (kept, and
#       returned to its bare state afterwards), installing with
#       --no-install-recommends: proves that the package's Depends alone are
#       enough on a clean system
#
# DEB defaults to build-pkg/sotto_*.deb. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

root=""
deb=""
while (($#)); do
  case $1 in
    --clean-root) root=$(realpath -m "$2"); shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) deb=$1; shift ;;
  esac
done
if [[ -z $deb ]]; then
  deb=$(ls build-pkg/sotto_*.deb 2>/dev/null | head -1 || true)
  [[ -n $deb ]] || { echo "no build-pkg/sotto_*.deb: run scripts/package.sh first" >&2; exit 1; }
fi
deb=$(realpath "$deb")
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q -o DPkg::Lock::Timeout=600)

# What "starts" means; runs on the machine or inside the clean root.
run_checks() {
  set -euo pipefail
  local d port=23710 rc
  d=$(mktemp -d /tmp/sotto-check.XXXXXX)
  export XDG_RUNTIME_DIR=$d/run HOME=$d/home
  mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$HOME"
  echo "--- installed files"
  dpkg -L sotto | while read -r f; do [[ -f $f ]] && echo "$f"; done
  echo "--- Depends: $(dpkg-query -W -f '${Depends}' sotto)"
  for b in sotto-cli sotto-node sotto-localnet; do
    echo "\$ $b --help | head -3"
    "/usr/bin/$b" --help | head -3
  done

  echo "\$ sotto-localnet start --dir $d/net --relays 3 --base-port $port"
  sotto-localnet start --dir "$d/net" --relays 3 --base-port $port
  trap "sotto-cli --profile '$d/alice' lock >/dev/null 2>&1 || true;
        sotto-localnet stop --dir '$d/net' >/dev/null 2>&1 || true" EXIT
  sotto-localnet status --dir "$d/net"

  export SOTTO_PASSPHRASE=check-package-passphrase
  echo "\$ sotto-cli init / unlock / status (profile on that network)"
  sotto-cli --profile "$d/alice" init --name Alice --network "$d/net/network.txt"
  sotto-cli --profile "$d/alice" unlock --fast-publication --consensus-interval 5
  sotto-cli --profile "$d/alice" status --timeout 90
  sotto-cli --profile "$d/alice" lock

  if [[ -x /usr/bin/sotto ]]; then
    echo "\$ QT_QPA_PLATFORM=offscreen sotto --version"
    QT_QPA_PLATFORM=offscreen sotto --version
    echo "\$ QT_QPA_PLATFORM=offscreen sotto --profile $d/alice --passphrase-file ... (15 s, then SIGTERM)"
    printf '%s\n' "$SOTTO_PASSPHRASE" >"$d/pass"
    QT_QPA_PLATFORM=offscreen sotto --profile "$d/alice" --passphrase-file "$d/pass" \
      >"$d/sotto.log" 2>&1 &
    local pid=$!
    sleep 15
    if ! kill -0 "$pid" 2>/dev/null; then
      rc=0; wait "$pid" || rc=$?
      echo "FAIL: sotto exited by itself (status $rc):"; cat "$d/sotto.log"; return 1
    fi
    kill -TERM "$pid"
    rc=0; wait "$pid" || rc=$?
    echo "sotto ran for 15 s with its main window, then quit on SIGTERM with status $rc; its output:"
    sed 's/^/    /' "$d/sotto.log"
    if grep -Eq 'is not installed|module ".*" plugin ".*" not found|Cannot load library' "$d/sotto.log"; then
      echo "FAIL: a QML module or plugin is missing"; return 1
    fi
    [[ $rc -eq 0 ]] || { echo "FAIL: sotto's exit status $rc"; return 1; }
  else
    echo "(no /usr/bin/sotto: this package was built without the desktop app)"
  fi
  sotto-localnet stop --dir "$d/net"
  trap - EXIT
  rm -rf "$d"
  echo "--- OK: installed and started"
}

if [[ -z $root ]]; then
  # Without Recommends: the check is that Depends are enough, and this
  # (shared) machine keeps only what the package needs.
  echo "=== apt-get install --no-install-recommends $deb"
  apt-get install "${apt_opts[@]}" --no-install-recommends "$deb" |
    grep -E '^(The following|Recommended|  |Need to get|After this|[0-9]+ upgraded|Setting up sotto)' || true
  dpkg-query -W sotto >/dev/null
  status=0
  run_checks || status=$?
  echo "=== apt-get remove sotto"
  apt-get remove "${apt_opts[@]}" sotto | tail -2
  exit $status
fi

# A clean bookworm: debootstrap once, then install the package with only its
# Depends into it and run the checks there.
command -v debootstrap >/dev/null ||
  apt-get install "${apt_opts[@]}" -qq --no-install-recommends debootstrap >/dev/null
if [[ ! -f $root/etc/debian_version ]]; then
  echo "=== debootstrap --variant=minbase bookworm $root"
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian | tail -1
fi
# The same suites as this machine (bookworm-updates, -security), so the
# library versions the binaries were built against are there.
rm -f "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*
cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null || true
cp /etc/apt/sources.list "$root/etc/apt/" 2>/dev/null || true
cp /etc/resolv.conf "$root/etc/resolv.conf"
mounts=()
for m in proc dev dev/pts sys; do
  mountpoint -q "$root/$m" && continue
  case $m in
    proc) mount -t proc proc "$root/proc" ;;
    *) mount --bind "/$m" "$root/$m" ;;
  esac
  mounts=("$root/$m" "${mounts[@]}")
done
cleanup() { for m in "${mounts[@]}"; do umount "$m" || true; done; }
trap cleanup EXIT

cp "$deb" "$root/tmp/"
name=$(basename "$deb")
echo "=== in $root: apt-get install --no-install-recommends ./$name"
chroot "$root" apt-get update -qq
chroot "$root" apt-get install "${apt_opts[@]}" --no-install-recommends "/tmp/$name" |
  grep -E '^(The following NEW|Need to get|After this|[0-9]+ upgraded|Setting up sotto)' || true
status=0
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
  bash -c "$(declare -f run_checks); run_checks" || status=$?
# Back to the bare system (downloads stay in its apt cache), so the next run
# checks the Depends from scratch again.
echo "=== in $root: apt-get purge sotto; apt-get autoremove --purge"
chroot "$root" apt-get purge "${apt_opts[@]}" sotto | tail -1
chroot "$root" apt-get autoremove --purge "${apt_opts[@]}" | grep -E '^[0-9]+ upgraded' || true
exit $status
