#!/usr/bin/env bash
# run.sh - the WebAssembly speed benchmark in one command (not part of the test suite):
# installs the pinned peers (npm ci) if missing, builds our module (build.sh), then runs
# run.mjs with any arguments given (--rounds N, --weights DIR, --no-sample).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/build-wasmbench"
[ -d "$HERE/node_modules/@tensorflow/tfjs-backend-wasm" ] && [ -d "$HERE/node_modules/onnxruntime-web" ] ||
  npm ci --prefix "$HERE" --no-audit --no-fund
bash "$HERE/build.sh" "$OUT"
exec node "$HERE/run.mjs" --ours "$OUT" "$@"
