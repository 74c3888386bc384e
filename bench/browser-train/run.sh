#!/usr/bin/env bash
# run.sh - the in-browser training benchmark in one command (not part of the test suite):
# installs the pinned TF.js packages (npm ci) if missing, builds the page's module if missing,
# then runs run.mjs with any arguments (--rounds N, --seconds S, --fresh N).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
[ -d "$HERE/node_modules/@tensorflow/tfjs-backend-wasm" ] || npm ci --prefix "$HERE" --no-audit --no-fund
[ -f "$ROOT/web/thinkdiff.wasm" ] || bash "$ROOT/build-wasm.sh"
[ -d "$ROOT/tests/node_modules/playwright-core" ] || npm ci --prefix "$ROOT/tests" --no-audit --no-fund
exec node "$HERE/run.mjs" "$@"
