# tests/shtest.sh: what the shell tests of make check share, sourced as
#     . "$BRINE_TEST_SRCDIR/shtest.sh" NAME
# $BRINE is required; sanitizer reports exit 86, so that one never passes for
# an expected exit status 1; $T is a temporary directory removed at exit;
# pass and fail count the checks, and shtest_done prints the closing line
# ("N passed, N failed") and gives the script's status.
: "${BRINE:?BRINE must name the built brine command}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=86"
unset BRINE_PLUGIN_PATH

T=$(mktemp -d "${TMPDIR:-/tmp}/brine-$1.XXXXXX") || exit 99
# Some tests take write permission away inside $T.
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
passed=0
failed=0

pass() {
    passed=$((passed + 1))
    echo "ok - $1"
}

# fail DESC [DETAIL...]
fail() {
    failed=$((failed + 1))
    echo "FAIL - $1"
    shift
    for line in "$@"; do echo "    $line"; done
}

shtest_done() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
