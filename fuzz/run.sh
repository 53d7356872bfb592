#!/bin/sh
# fuzz/run.sh: runs every harness fuzz/build.sh built, each for FUZZ_SECONDS
# (default 60), FUZZ_JOBS at a time (default 2), and fails if any of them
# found a crash, a leak, a sanitizer report, a timeout or an out-of-memory.
# Usage: fuzz/run.sh [OUTDIR [HARNESS...]]   (default ./_build-fuzz, all)
# Inputs that grow coverage collect in OUTDIR/corpus/<harness> (seeds stay in
# OUTDIR/seeds), failing inputs in OUTDIR/artifacts/<harness> (emptied at the
# start of each run), the libFuzzer output in OUTDIR/logs/<harness>.log.
# Reproduce one with
#     OUTDIR/bin/<harness> OUTDIR/artifacts/<harness>/crash-...
set -eu

here=$(cd "$(dirname "$0")" && pwd)

# One harness (run through xargs below): prints one summary line.
if [ "${1:-}" = --one ]; then
    out=$2 h=$3
    # Failing inputs of an earlier run would read as this run's.
    rm -rf "$out/artifacts/$h"
    mkdir -p "$out/corpus/$h" "$out/artifacts/$h" "$out/logs"
    dict=
    case $h in *json | *jsonl) dict=-dict=$here/json.dict ;; esac
    log=$out/logs/$h.log
    status=0
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:symbolize=1 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$out/bin/$h" -max_total_time="${FUZZ_SECONDS:-60}" -max_len="${FUZZ_MAX_LEN:-16384}" \
        -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/artifacts/$h/" $dict "$out/corpus/$h" "$out/seeds/$h" >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    if [ "$status" -ne 0 ] || grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
        -e 'runtime error:' -e '^fuzz: ' "$log"; then
        echo "FAIL $h (exit $status, ${runs:-?} runs): see $log"
        grep -m1 -e '^==.*ERROR' -e 'runtime error:' -e '^fuzz: ' -e 'ALARM' "$log" | sed 's/^/    /'
        ls "$out/artifacts/$h" | sed "s|^|    $out/artifacts/$h/|"
        exit 1
    fi
    echo "ok   $h: ${runs:-?} runs, $cov, $(ls "$out/corpus/$h" | wc -l) new corpus inputs"
    exit 0
fi

out=${1:-$PWD/_build-fuzz}
[ $# -gt 0 ] && shift
out=$(cd "$out" && pwd)
if [ ! -d "$out/bin" ]; then
    echo "fuzz/run.sh: no harnesses in $out/bin: run make fuzz first" >&2
    exit 1
fi
if [ $# -gt 0 ]; then
    harnesses=$*
else
    harnesses=$(cd "$out/bin" && for f in *; do [ -f "$f" ] && [ -x "$f" ] && echo "$f"; done)
fi
echo "fuzz/run.sh: ${FUZZ_SECONDS:-60} s per harness, ${FUZZ_JOBS:-2} at a time"
failed=0
printf '%s\n' $harnesses | xargs -P "${FUZZ_JOBS:-2}" -I{} sh "$0" --one "$out" {} || failed=1
if [ $failed -ne 0 ]; then
    for log in "$out"/logs/*.log; do
        if grep -q -e 'ERROR: ' -e 'runtime error:' -e '^fuzz: ' "$log"; then
            echo "==== $log"
            grep -B2 -A25 -m1 -e '^==[0-9]*==ERROR' -e 'runtime error:' -e '^fuzz: ' "$log" | head -40
        fi
    done
    echo "fuzz/run.sh: FAILED" >&2
    exit 1
fi
echo "fuzz/run.sh: all harnesses clean"
