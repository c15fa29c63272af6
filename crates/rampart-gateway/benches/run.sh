#!/usr/bin/env bash
# Gateway load benchmark: installs the load generator (Debian's wrk) when missing, then runs the
# release-build benchmark. Not a test. Knobs: RAMPART_BENCH_SECS (per cell, default 8),
# RAMPART_BENCH_SOAK_SECS (memory soak, default 60; the goal is checked over 300),
# RAMPART_BENCH_CONNECTIONS (default 16).
set -euo pipefail
cd "$(dirname "$0")/../../.."
if ! command -v wrk >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq wrk
fi
exec cargo bench -p rampart-gateway --bench gateway_load
