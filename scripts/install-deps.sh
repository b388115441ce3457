#!/usr/bin/env bash
# Installs every Debian bookworm package Sotto needs to build, test, fuzz and
# run. Idempotent; needs root. (dbus-daemon: the screenshot-portal test runs
# a private D-Bus bus; tor: Sotto's own tor, and the private Tor networks of
# the tests labelled tor.)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  cmake ninja-build g++ clang-19 libclang-rt-19-dev pkg-config git \
  libssl-dev libsodium-dev libsqlite3-dev \
  qt6-base-dev qt6-declarative-dev qt6-tools-dev libqrencode-dev libzxing-dev \
  xvfb xauth dbus-daemon fonts-dejavu-core fonts-noto-color-emoji ca-certificates \
  qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-templates \
  qml6-module-qtquick-layouts qml6-module-qtquick-window qml6-module-qtquick-dialogs \
  qml6-module-qt-labs-folderlistmodel qml6-module-qtqml qml6-module-qtqml-models \
  qml6-module-qtqml-workerscript \
  qt6-multimedia-dev qml6-module-qtmultimedia gstreamer1.0-plugins-base \
  gstreamer1.0-plugins-good tor >/dev/null
