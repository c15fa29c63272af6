#!/usr/bin/env bash
# Benchmark rampart's watermark against invisible-watermark (dwtDct, dwtDctSvd), side by side.
# Usage: bench/watermark/run.sh IMAGES_DIR [NEGATIVES (default 1000)]
# Builds rampart-watermark in release, creates a virtualenv with invisible-watermark from PyPI,
# and prints the quality/speed/robustness table and the false-positive table.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
images="${1:?usage: run.sh IMAGES_DIR [NEGATIVES]}"
negatives="${2:-1000}"
venv="${BENCH_VENV:-$here/.venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  # invisible-watermark declares torch (only for rivaGan, which we do not run): install it
  # without dependencies and add the ones dwtDct/dwtDctSvd need.
  "$venv/bin/pip" install -q --no-deps invisible-watermark==0.2.0
  "$venv/bin/pip" install -q numpy opencv-python-headless PyWavelets Pillow
fi
(cd "$root" && cargo build --release -q -p rampart-watermark --example wmbench)
target="${CARGO_TARGET_DIR:-$root/target}"
exec "$venv/bin/python" "$here/bench.py" --wmbench "$target/release/examples/wmbench" \
  --images "$images" --negatives "$negatives"
