#!/usr/bin/env bash
# fuzz.sh - build the libFuzzer targets (tests/fuzz/) with clang and run each for a while.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 10; scripts/test.sh's fuzz stage uses this), TARGETs among
# safetensors model_load image csv cli_sample (default: all). The long run:
#
#   TD_FUZZ_JOBS=2 bash scripts/fuzz.sh 3600        # an hour per target, 2 workers each
#
# With one worker per target (the default), two targets run at once (two cores).
#
# Build: build/fuzz (CC=clang, -DTD_FUZZ=ON: ASan + UBSan + libFuzzer). Seeds: regenerated
# by tests/fuzz/make_corpus.py into build/fuzz/seeds/TARGET, plus past findings in
# tests/fuzz/regressions/TARGET; what a run learns is kept in build/fuzz/corpus/TARGET,
# so the next run starts from there. A crash, leak, sanitizer
# report, timeout (10 s per input) or single allocation over 1 GiB fails the target and
# leaves the input in build/fuzz/artifacts/TARGET-*; replay it with
#   build/fuzz/fuzz_TARGET build/fuzz/artifacts/TARGET-crash-...
# Prints per target: executions, coverage (cov = edges, ft = features), corpus size, and
# "TARGET: N passed, N failed" lines that scripts/test.sh counts.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_PER=${1:-10}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(safetensors model_load image csv cli_sample)
BUILD=$ROOT/build/fuzz
JOBS=${TD_FUZZ_JOBS:-1}

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz.sh: clang not found (scripts/install-deps.sh installs clang, libclang-rt-14-dev)"
    echo "fuzz: 0 passed, 1 failed"
    exit 1
fi
mkdir -p "$BUILD"
if ! CC=clang cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DTD_FUZZ=ON \
        >"$BUILD/configure.log" 2>&1 ||
   ! cmake --build "$BUILD" -j2 >"$BUILD/build.log" 2>&1; then
    cat "$BUILD/configure.log" "$BUILD/build.log" 2>/dev/null | tail -30
    echo "fuzz.sh: the fuzz build FAILED"
    echo "fuzz: 0 passed, 1 failed"
    exit 1
fi
rm -rf "$BUILD/seeds"
python3 "$ROOT/tests/fuzz/make_corpus.py" "$BUILD/seeds"
mkdir -p "$BUILD/artifacts"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# run_target T: one target's run; prints its summary lines, returns non-zero on a finding.
run_target() {
    local t=$1 bin=$BUILD/fuzz_$1 rc=0 log=$BUILD/$1.log stats runs
    if [ ! -x "$bin" ]; then
        echo "fuzz_$t: no such target"
        echo "fuzz_$t: 0 passed, 1 failed"
        return 1
    fi
    local args=(-max_total_time="$SECONDS_PER" -timeout=10 -rss_limit_mb=2560 -malloc_limit_mb=1024
          -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$t-")
    case $t in
        safetensors|model_load) args+=(-dict="$ROOT/tests/fuzz/safetensors.dict") ;;
    esac
    # The shipped digit weights are up to 4.3 MB: let inputs be that long.
    [ "$t" = model_load ] && args+=(-max_len=5000000)
    # The CLI's usage errors go to stderr; keep them out of the log.
    [ "$t" = cli_sample ] && args+=(-close_fd_mask=2)
    [ "$JOBS" -gt 1 ] && args+=(-jobs="$JOBS" -workers="$JOBS")
    mkdir -p "$BUILD/corpus/$t"
    local dirs=("$BUILD/corpus/$t" "$BUILD/seeds/$t")
    # Past findings (tests/fuzz/regressions/TARGET) run first, with the seeds.
    [ -d "$ROOT/tests/fuzz/regressions/$t" ] && dirs+=("$ROOT/tests/fuzz/regressions/$t")
    (cd "$BUILD" && "$bin" "${args[@]}" "${dirs[@]}") >"$log" 2>&1 || rc=$?
    stats=$(grep -a -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 |
            sed -E 's/^#[0-9]+[[:space:]]+DONE[[:space:]]+//')
    runs=$(grep -a -E '^stat::number_of_executed_units:' "$log" | tail -1 | awk '{print $2}')
    if [ "$rc" -eq 0 ]; then
        echo "fuzz_$t: ${runs:-?} executions in ${SECONDS_PER} s; $stats"
        echo "fuzz_$t: 1 passed, 0 failed"
    else
        grep -a -E 'ERROR|SUMMARY|runtime error|Test unit written|==[0-9]+==' "$log" | head -20
        echo "fuzz_$t: FAILED (exit $rc; log $log)"
        echo "fuzz_$t: 0 passed, 1 failed"
        return 1
    fi
}

# The machine has two cores: with one worker per target, two targets run at once.
PARALLEL=$(( JOBS >= 2 ? 1 : 2 ))
for t in "${TARGETS[@]}"; do
    run_target "$t" >"$BUILD/$t.summary" &
    while [ "$(jobs -rp | wc -l)" -ge "$PARALLEL" ]; do wait -n || true; done
done
wait
failed=0
for t in "${TARGETS[@]}"; do
    cat "$BUILD/$t.summary"
    grep -q ': 0 passed, 1 failed$' "$BUILD/$t.summary" && failed=1
done
exit $failed
