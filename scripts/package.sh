#!/usr/bin/env bash
# Builds the Debian package: a Release build in build-pkg/ of the packaged
# binaries only (no tests, no benchmarks), then `cpack -G DEB`. Prints the
# .deb's path, its control information and its contents. Run as root on
# Debian bookworm after scripts/install-deps.sh; installs the packaging tools
# it needs (dpkg-shlibdeps from dpkg-dev, file for CPack) if missing.
#   BUILD_DIR=... JOBS=... bash scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-pkg}
JOBS=${JOBS:-$(nproc)}

need=()
command -v dpkg-shlibdeps >/dev/null || need+=(dpkg-dev)
command -v file >/dev/null || need+=(file)
if ((${#need[@]})); then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# -O2 as Debian builds its packages (GCC 12 at -O3 also reports a false
# -Wstringop-overflow in core/store, an error under -Werror).
# CMAKE_SKIP_INSTALL_ALL_DEPENDENCY: cpack installs what sotto-package-binaries
# built instead of building `all` (tests, benchmarks) first.
nice -n 10 cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DCMAKE_INSTALL_PREFIX=/usr \
  -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON >/dev/null
nice -n 10 cmake --build "$BUILD_DIR" -j "$JOBS" --target sotto-package-binaries
rm -f "$BUILD_DIR"/sotto_*.deb
(cd "$BUILD_DIR" && nice -n 10 cpack -G DEB)

deb=$(ls "$BUILD_DIR"/sotto_*.deb)
echo
echo "package: $PWD/$deb ($(du -h "$deb" | cut -f1))"
echo
dpkg-deb -I "$deb"
echo
dpkg-deb -c "$deb"
