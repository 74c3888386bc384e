#!/usr/bin/env bash
# build.sh - build our side of the WebAssembly benchmark: the library (every src/**/*.c
# but the CLI, the x86 kernels and the page's binding) plus bench_ours.c, with the
# flags the page uses (emcc -O3 -msimd128), as a classic Node module:
#   OUT/ours.js + OUT/ours.wasm    (OUT: $1, default build-wasmbench/ at the repository root)
# run.mjs loads it with wasmBinary passed in, as tests/wasm/loader.mjs does.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${1:-$ROOT/build-wasmbench}"
command -v emcc >/dev/null || { echo "build.sh: emcc not found (./build-wasm.sh installs it)" >&2; exit 1; }
# Emscripten 3.1.6's JS optimiser needs Debian's node modules (acorn, ...).
export NODE_PATH="/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}"

mapfile -t SOURCES < <(cd "$ROOT" && find src -name '*.c' ! -path 'src/cli/*' ! -path 'src/wasm/*' \
  ! -name '*_sse2.c' ! -name '*_avx2.c' ! -name '*_avx512.c' | sort)
CFLAGS=(-std=c11 -O3 -msimd128 -I"$ROOT/src" -isystem /usr/include/stb
        -Wall -Wextra -Wshadow -Wconversion -Wdouble-promotion)
EXPORTS='_malloc,_free,_bench_error,_bench_dense_path,_bench_dense,_bench_model_new,_bench_model_load,'
EXPORTS+='_bench_model_free,_bench_model_info,_bench_model_tensor,_bench_model_forward,'
EXPORTS+='_bench_model_grid,_bench_model_ddim,_bench_digits_load,_bench_digits_free,_bench_digits_info,'
EXPORTS+='_bench_digits_tensor,_bench_digits_grid,_bench_digits_generate,_bench_peak'
LDFLAGS=(-sMODULARIZE=1 -sEXPORT_NAME=createOurs -sENVIRONMENT=node
         -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=64MB -sMAXIMUM_MEMORY=1GB -sFILESYSTEM=0
         -sEXPORTED_FUNCTIONS="$EXPORTS" -sEXPORTED_RUNTIME_METHODS=UTF8ToString,HEAPU8)

mkdir -p "$OUT"
(cd "$ROOT" && emcc "${CFLAGS[@]}" "${SOURCES[@]}" bench/wasm/bench_ours.c "${LDFLAGS[@]}" -o "$OUT/ours.js")
echo "build.sh: $OUT/ours.wasm ($(stat -c %s "$OUT/ours.wasm") bytes, ${#SOURCES[@]} library sources)"
