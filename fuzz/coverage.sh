#!/bin/sh
# fuzz/coverage.sh: line and branch coverage of core/ and plugins/ by the
# test suite (what `make coverage` runs). Configures a --coverage build with
# gcc in OUTDIR/build (from a copy of the tree when needed, srccopy.sh), runs
# make check there and prints gcovr's summary and per-file table; the
# line-by-line report is OUTDIR/html/index.html. Needs gcovr (Debian: gcovr).
# Usage: fuzz/coverage.sh [SRCDIR [OUTDIR]]  (defaults: this tree, ./_build-coverage)
# Exits non-zero when make check fails (after printing the coverage anyway).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "${1:-$here/..}" && pwd)
outdir=${2:-$PWD/_build-coverage}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
jobs=${COVERAGE_JOBS:-2}

say() { echo "fuzz/coverage.sh: $*"; }
if ! command -v gcovr >/dev/null 2>&1; then
    say "gcovr is missing; on Debian: apt-get install gcovr" >&2
    exit 1
fi

src=$(sh "$here/srccopy.sh" "$srcdir" "$outdir/src")
build=$outdir/build
mkdir -p "$build"
if [ ! -f "$build/config.status" ]; then
    say "configuring a --coverage build in $build"
    # Atomic counters: test_threads runs libbrine on 16 threads, and plain
    # counters racing there give gcov negative branch counts, which gcovr
    # refuses to parse.
    (cd "$build" && "$src/configure" -q CC=gcc CFLAGS="-O0 -g --coverage -fprofile-update=atomic" LDFLAGS="--coverage")
fi
say "building"
make -s -C "$build" -j"$jobs" >/dev/null
# Counts from an earlier run would add up with this one's.
find "$build" -name '*.gcda' -exec rm -f {} +
say "running make check"
status=0
make -s -C "$build" -j"$jobs" check >"$outdir/check.log" 2>&1 || status=$?
[ $status -eq 0 ] || { tail -40 "$outdir/check.log"; say "make check failed (log: $outdir/check.log)"; }

mkdir -p "$outdir/html"
# gcov runs once, over the objects of core/ and plugins/ only (configure's
# conftest leftovers at the top would only add warnings); the tables and the
# HTML report read its output.
gcovr -r "$src" --filter "$src/core/" --filter "$src/plugins/" --json "$outdir/coverage.json" \
    "$build/core" "$build/plugins" >/dev/null
report() { gcovr --add-tracefile "$outdir/coverage.json" -r "$src" "$@"; }
report --html-details "$outdir/html/index.html" >/dev/null
echo "== line coverage of core/ and plugins/ by make check"
report --sort-percentage
echo "== branch coverage"
report --branches --sort-percentage
for area in core plugins; do
    echo "== $area/"
    # Never -o /dev/null: gcovr replaces its output file, and as root that
    # turned /dev/null into a regular file for the whole machine.
    report --filter "$src/$area/" --print-summary -o "$outdir/$area.txt"
done
echo "== core/ and plugins/"
report --print-summary -o "$outdir/all.txt"
say "line-by-line report: $outdir/html/index.html"
exit $status
