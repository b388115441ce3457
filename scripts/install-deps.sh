#!/usr/bin/env bash
# Installs every Debian bookworm package Sotto needs to build, test, fuzz and
# run. Idempotent; needs root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  cmake ninja-build g++ clang-19 libclang-rt-19-dev pkg-config git \
  libssl-dev libsqlite3-dev \
  qt6-base-dev qt6-declarative-dev qt6-tools-dev libqrencode-dev libzxing-dev \
  xvfb xauth fonts-dejavu-core ca-certificates >/dev/null
