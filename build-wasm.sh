#!/usr/bin/env bash
# build-wasm.sh - build the page's WebAssembly module into web/ and, optionally, serve web/.
#
#   ./build-wasm.sh                 build web/thinkdiff.js + web/thinkdiff.wasm + web/build-info.json
#   ./build-wasm.sh --serve [PORT]  build, then serve web/ on http://127.0.0.1:PORT (default 8000)
#
# The module is the same C library the native build makes (every src/**/*.c except the CLI and
# the x86 kernel files), plus the page's binding in src/wasm/, compiled with Emscripten at -O3
# with WebAssembly SIMD128. Its exports are listed explicitly in src/wasm/exports.txt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${TD_WASM_OUT:-$ROOT/web}"
SERVE=0
PORT=8000
while [ $# -gt 0 ]; do
  case "$1" in
    --serve)
      SERVE=1
      if [ $# -gt 1 ] && [[ "$2" =~ ^[0-9]+$ ]]; then PORT="$2"; shift; fi ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "build-wasm.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

# ---- toolchain: Debian's Emscripten 3.1.6 ------------------------------------------------
if ! command -v emcc >/dev/null 2>&1; then
  echo "build-wasm.sh: emcc not found; installing Debian's emscripten package" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq emscripten >/dev/null
fi
# Emscripten 3.1.6's JS optimiser needs Debian's node modules (acorn, ...).
export NODE_PATH="/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}"

# ---- sources: the library as CMake globs it, minus x86 kernels and the CLI ------------------
mapfile -t SOURCES < <(cd "$ROOT" && find src -name '*.c' \
  ! -path 'src/cli/*' ! -name '*_sse2.c' ! -name '*_avx2.c' ! -name '*_avx512.c' | sort)
CFLAGS=(-std=c11 -O3 -msimd128 -I"$ROOT/src" -isystem /usr/include/stb
        -Wall -Wextra -Wshadow -Wconversion -Wdouble-promotion)

# The explicit export list: one C name per line in exports.txt, '#' starts a comment.
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
sed -e 's/#.*//' -e 's/[[:space:]]//g' "$ROOT/src/wasm/exports.txt" | grep -v '^$' \
  | sed 's/^/_/' > "$TMP/exports"
printf '_malloc\n_free\n' >> "$TMP/exports"

LDFLAGS=(
  -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=createThinkdiff
  -sENVIRONMENT=web,worker
  -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=16MB -sMAXIMUM_MEMORY=512MB
  -sABORTING_MALLOC=0          # malloc returns NULL; the library reports TD_ERR_NOMEM
  -sFILESYSTEM=0 -sDYNAMIC_EXECUTION=0   # no eval: the page runs under a strict CSP
  -sEXPORTED_FUNCTIONS=@"$TMP/exports"
  -sEXPORTED_RUNTIME_METHODS=UTF8ToString,HEAPU8,HEAPF32,HEAPF64,HEAP32
)

mkdir -p "$OUT"
start=$(date +%s)
(cd "$ROOT" && emcc "${CFLAGS[@]}" "${SOURCES[@]}" "${LDFLAGS[@]}" -o "$OUT/thinkdiff.js")

# ---- stamp the build: the page shows which commit it runs ----------------------------------
hash="$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
dirty=false
if [ "$hash" != unknown ] && ! git -C "$ROOT" diff --quiet HEAD -- src web 2>/dev/null; then dirty=true; fi
emver="$(emcc --version | sed -n 1p | sed -E 's/.* ([0-9]+\.[0-9]+\.[0-9]+).*/\1/')"
cat > "$OUT/build-info.json" <<EOF
{"git": "$hash", "dirty": $dirty, "built": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "emscripten": "$emver"}
EOF
wasm_bytes=$(stat -c %s "$OUT/thinkdiff.wasm")
gz_bytes=$(gzip -9 -c "$OUT/thinkdiff.wasm" | wc -c)
echo "build-wasm.sh: web/thinkdiff.wasm $wasm_bytes bytes ($gz_bytes gzipped), commit $hash," \
     "${#SOURCES[@]} sources, $(( $(date +%s) - start )) s"

if [ "$SERVE" = 1 ]; then
  echo "build-wasm.sh: serving $OUT on http://127.0.0.1:$PORT/ (Ctrl-C stops)"
  exec node "$ROOT/scripts/serve-web.mjs" "$PORT" "$OUT"
fi
