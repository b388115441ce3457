#!/usr/bin/env bash
# Renders the scalable icon to the PNG sizes the package installs. The PNGs
# are committed, so a build never needs a renderer; run this after editing
# org.sotto.Sotto.svg (needs rsvg-convert: apt-get install librsvg2-bin).
set -euo pipefail
cd "$(dirname "$0")"
for size in 48 128 256; do
  mkdir -p "${size}x${size}"
  rsvg-convert -w "$size" -h "$size" org.sotto.Sotto.svg -o "${size}x${size}/org.sotto.Sotto.png"
done
