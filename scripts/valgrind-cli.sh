#!/usr/bin/env bash
# valgrind-cli.sh - the native CLI's smoke tests under Valgrind's memcheck.
#
#   bash scripts/valgrind-cli.sh [BUILD_DIR]      (default build/native)
#
# Each row runs `thinkdiff ARGS` under `valgrind --leak-check=full --error-exitcode=99`
# and expects the program's own exit status (0, 1 for a bad file, 2 for a usage error):
# memcheck's 99 (an invalid read or write, a use of uninitialised memory, a leak) or
# any other status fails the row. Rows cover info, short samples of every 2-D model
# family, a trajectory, a small eval, a digit model, and the error paths (missing
# file, directory, corrupt file, wrong family, wrong version, bad arguments, hostile
# reference image). Last line: "valgrind_cli: N passed, N failed".
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build/native}
BIN=$BUILD/thinkdiff
W=$ROOT/web/weights
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

if ! command -v valgrind >/dev/null 2>&1 || [ ! -x "$BIN" ]; then
    echo "valgrind-cli.sh: needs valgrind and $BIN"
    echo "valgrind_cli: 0 passed, 1 failed"
    exit 1
fi

# row EXPECTED_STATUS ARGS...
row() {
    local want=$1 rc=0
    shift
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        "$BIN" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    if [ "$rc" -eq "$want" ]; then
        passed=$((passed + 1))
        echo "ok   [$rc] thinkdiff $*"
    else
        failed=$((failed + 1))
        echo "FAIL [$rc, expected $want] thinkdiff $*"
        sed 's/^/    /' "$TMP/err" | head -30
    fi
}

# Bad files made on the spot: junk, a cut-off checkpoint, a future format version.
printf 'not a safetensors file' >"$TMP/junk.safetensors"
head -c 4000 "$W/ring8-vp.safetensors" >"$TMP/cut.safetensors"
sed 's/"format_version":"1"/"format_version":"9"/' "$W/ring8-vp.safetensors" >"$TMP/v9.safetensors"
printf '\x89PNG\r\n\x1a\n' >"$TMP/truncated.png"

row 0 info "$W/vae.safetensors"
row 0 info "$W/ring8-vp.safetensors"
row 0 sample --model exact --steps 5 --n 50 --out "$TMP/a.npy"
row 0 sample --model "$W/ring8-vp.safetensors" --sampler ode-heun --steps 4 --n 50 --out "$TMP/b.png"
row 0 sample --model "$W/ring8-ve.safetensors" --sampler pc --steps 4 --n 20 --trajectory "$TMP/t.npy" --out "$TMP/c.npy"
row 0 sample --model "$W/vae.safetensors" --n 50 --out "$TMP/d.npy"
row 0 sample --model "$W/hvae.safetensors" --n 50 --out "$TMP/e.npy"
row 0 eval --model exact --steps 5 --n 100
row 0 sample --model "$W/digit_cvae.safetensors" --class 3 --color '#ff8000' --n 2 --out "$TMP/f.png"
row 1 info "$TMP/missing.safetensors"
row 1 info "$ROOT/web"
row 1 info "$TMP/junk.safetensors"
row 1 sample --model "$TMP/cut.safetensors" --out "$TMP/x.npy"
row 1 sample --model "$TMP/v9.safetensors" --out "$TMP/x.npy"
row 1 sample --model "$W/classifier.safetensors" --out "$TMP/x.npy"
row 1 sample --model exact --sde bogus --out "$TMP/x.npy"
row 2 sample --model exact --sampler bogus --out "$TMP/x.npy"
row 2 sample --model exact --steps 0 --out "$TMP/x.npy"
row 2 sample --model exact --seed -1 --out "$TMP/x.npy"
row 2 sample --model "$W/digit_cvae.safetensors" --class 3 --color '#12345' --out "$TMP/x.png"
row 1 sample --model "$W/digit_cvae.safetensors" --class 3 --color '#ff8000' --style "$TMP/truncated.png" --out "$TMP/x.png"
row 1 sample --model "$W/digit_cvae.safetensors" --class 3 --color '#ff8000' \
    --style "$ROOT/tests/fuzz/regressions/image/idat-claims-1.2GB.png" --out "$TMP/x.png"
row 0 sample --model "$W/digit_cvae.safetensors" --class 5 --color '#2080ff' --n 2 \
    --style "$ROOT/docs/digits-grid.png" --out "$TMP/g.png"
row 2 bogus-command

echo "valgrind_cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
