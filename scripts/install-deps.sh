#!/usr/bin/env bash
# install-deps.sh - install what building and testing thinkdiff needs, on Debian 12.
#
# Idempotent: asks apt only for the packages that are missing, and runs
# `apt-get update` only when something is. Without apt (another distribution,
# a container without it), or without root, it says what is missing and
# returns 0: the stages of scripts/test.sh that need a missing tool then fail
# with their own message.
set -euo pipefail

# What each package is for:
#   build-essential cmake pkg-config  the native build
#   libstb-dev                        stb_image / stb_image_write (PNG in and out)
#   libopenblas-dev                   only the benchmark's OpenBLAS peer
#   emscripten                        the WebAssembly build (emcc 3.1.6) and its tests in Node
#   nodejs npm                        Node runs the wasm tests; npm installs playwright-core
#   chromium                          the browser tests drive Debian's Chromium (never a download)
#   python3-numpy                     independent cross-checks (safetensors reader)
#   clang libclang-rt-14-dev          clang and its sanitizer runtimes (LeakSanitizer, fuzzers)
#   valgrind                          instruction counts and memory checks
PACKAGES=(build-essential cmake pkg-config libstb-dev libopenblas-dev emscripten
          nodejs npm chromium python3-numpy clang libclang-rt-14-dev valgrind)

is_installed() {
    # A Node.js from another source (e.g. NodeSource's nodejs package) bundles npm
    # and conflicts with Debian's npm package: a working command counts as installed.
    case "$1" in
        nodejs) command -v node >/dev/null 2>&1 && return 0 ;;
        npm) command -v npm >/dev/null 2>&1 && return 0 ;;
    esac
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-deps: no apt-get here; install these yourself if missing: ${PACKAGES[*]}"
    exit 0
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#PACKAGES[@]} packages present"
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        echo "install-deps: not root and no password-less sudo; missing: ${missing[*]}"
        exit 0
    fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q </dev/null
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
