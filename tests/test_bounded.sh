#!/bin/bash
# test_bounded.sh: conversions that need no graph run in bounded memory
# (#21). A generated list of 220,000 records (31 MB of JSON, 20 MB of
# msgpack, no shared values) is converted under `ulimit -v` with a ceiling
# of 12 MiB of address space, well below the input: msgpack -> native,
# native -> msgpack into a file and a pipe, native written by a streamed
# transcode (open forms) -> msgpack into a file (its count patched) and ->
# pickle, native -> json, msgpack sequence <-> msgpack, sequence -> jsonl,
# and `brine check` of native and msgpack. A conversion that built a graph
# or held its output needs 100-200 MiB here. Each result is compared with
# the same conversion run without the ceiling. Then the progress line: it
# counts the bytes the decoder consumed, overall for several inputs.
# Skipped (77) where the ceiling cannot work: a sanitizer build reserves
# terabytes of address space.
set -u
. "${BRINE_TEST_SRCDIR:?BRINE_TEST_SRCDIR must name tests/ in the source tree}/shtest.sh" bounded

CEILING_KB=${BRINE_BOUNDED_KB:-12288}

if ! (ulimit -v "$CEILING_KB" && "$BRINE" --version) >/dev/null 2>&1; then
    echo "skip: brine --version does not run under ulimit -v $CEILING_KB (a sanitizer build?)"
    exit 77
fi

awk 'BEGIN {
    srand(3); printf "[";
    for (i = 0; i < 220000; i++) {
        if (i) printf ",";
        printf "{\"id\":%d,\"name\":\"user %d\",\"score\":%.6f,\"big\":%d,\"ok\":%s,\"none\":null,", i, i, rand() * 1000, i * 982451653, (i % 2 ? "true" : "false");
        printf "\"tags\":[\"a%d\",\"b\",%d],\"pos\":{\"x\":%.3f,\"y\":-%d}}", i % 10, i % 7, rand(), i
    }
    printf "]\n" }' >"$T/in.json" || exit 99
"$BRINE" convert "$T/in.json" -o "$T/in.msgpack" || exit 99
"$BRINE" convert "$T/in.json" -o "$T/open.brn" || exit 99 # streamed: open forms
"$BRINE" convert -O sequence "$T/in.msgpack" -o "$T/seq.msgpack" || exit 99
"$BRINE" convert "$T/in.msgpack" -o "$T/ref.json" || exit 99

# bounded DESC EXPECTED CMD...: CMD's stdout under the ceiling (into $T/out)
# must succeed and equal EXPECTED (a file), byte for byte.
bounded() {
    local desc=$1 expected=$2
    shift 2
    if ! (
        ulimit -v "$CEILING_KB"
        exec "$@"
    ) >"$T/out" 2>"$T/err"; then
        fail "$desc" "failed under ulimit -v $CEILING_KB: $(head -c 300 "$T/err")"
    elif ! cmp -s "$T/out" "$expected"; then
        fail "$desc" "differs from the conversion without a ceiling"
    else
        pass "$desc"
    fi
}

# bounded_file DESC EXPECTED OUT CMD...: as bounded, for a command writing OUT.
bounded_file() {
    local desc=$1 expected=$2 out=$3
    shift 3
    rm -f "$out"
    if ! (
        ulimit -v "$CEILING_KB"
        exec "$@"
    ) >"$T/out" 2>"$T/err"; then
        fail "$desc" "failed under ulimit -v $CEILING_KB: $(head -c 300 "$T/err")"
    elif ! cmp -s "$out" "$expected"; then
        fail "$desc" "differs from the conversion without a ceiling"
    else
        pass "$desc"
    fi
}

[ "$(stat -c %s "$T/in.msgpack")" -gt $((CEILING_KB * 1024 * 3 / 2)) ] || fail "the input is well above the ceiling"

"$BRINE" convert "$T/in.msgpack" -o "$T/nat.brn" || exit 99
bounded_file "msgpack -> native into a file" "$T/nat.brn" "$T/x.brn" "$BRINE" convert "$T/in.msgpack" -o "$T/x.brn"
bounded_file "native -> msgpack into a file" "$T/in.msgpack" "$T/x.msgpack" "$BRINE" convert "$T/nat.brn" -o "$T/x.msgpack"
bounded "native -> msgpack into a pipe" "$T/in.msgpack" "$BRINE" convert -t msgpack "$T/nat.brn"
bounded "native -> json" "$T/ref.json" "$BRINE" convert -t json "$T/nat.brn"

# open forms: the top list's count is not known until its end
"$BRINE" convert "$T/open.brn" -o "$T/open.msgpack" || exit 99
bounded_file "native of open forms -> msgpack into a file (count patched)" "$T/open.msgpack" "$T/y.msgpack" \
    "$BRINE" convert "$T/open.brn" -o "$T/y.msgpack"
head -c 5 "$T/y.msgpack" | od -An -tx1 | grep -q 'dd 00 03 5b 60' && pass "... with an array 32 header of 220000" ||
    fail "... with an array 32 header of 220000" "$(head -c 5 "$T/y.msgpack" | od -An -tx1)"
"$BRINE" convert -t json "$T/y.msgpack" | cmp -s - "$T/ref.json" && pass "... which reads back" ||
    fail "... which reads back"

# pickle: MARK ... APPENDS batches in frames of at most 128 KiB
"$BRINE" convert "$T/open.brn" -o "$T/open.pkl" || exit 99
bounded_file "native of open forms -> pickle into a file" "$T/open.pkl" "$T/y.pkl" \
    "$BRINE" convert "$T/open.brn" -o "$T/y.pkl"

bounded_file "msgpack sequence -> msgpack into a file (count patched)" "$T/open.msgpack" "$T/z.msgpack" \
    "$BRINE" convert -f msgpack -I sequence -t msgpack "$T/seq.msgpack" -o "$T/z.msgpack"
"$BRINE" convert -f msgpack -I sequence -t jsonl "$T/seq.msgpack" -o "$T/ref.jsonl" || exit 99
bounded "msgpack sequence -> json lines" "$T/ref.jsonl" "$BRINE" convert -f msgpack -I sequence -t jsonl \
    "$T/seq.msgpack"
bounded "msgpack -> msgpack sequence" "$T/seq.msgpack" "$BRINE" convert -t msgpack -O sequence "$T/in.msgpack"

printf '%s: ok (native, 5280001 values, depth 3)\n' "$T/nat.brn" >"$T/check.expected"
bounded "check of native" "$T/check.expected" "$BRINE" check "$T/nat.brn"
printf '%s: ok (msgpack, 5280001 values, depth 3)\n' "$T/in.msgpack" >"$T/check.expected"
bounded "check of msgpack" "$T/check.expected" "$BRINE" check "$T/in.msgpack"

# ---- progress: bytes the decoder consumed, overall for several inputs ----

{
    printf '\223\001\002\301'
    head -c 1000000 /dev/zero
} >"$T/bad.msgpack"
"$BRINE" convert --progress -t json "$T/bad.msgpack" >/dev/null 2>"$T/err"
grep -q 'bad.msgpack: read 4 B of 976.6 KiB (0%)' "$T/err" && pass "progress counts what the decoder consumed" ||
    fail "progress counts what the decoder consumed" "$(cat "$T/err")" # not the reader's 256 KiB read ahead
mkdir "$T/dir"
"$BRINE" convert --progress -t json "$T/in.msgpack" "$T/nat.brn" -o "$T/dir" 2>"$T/err"
total=$(($(stat -c %s "$T/in.msgpack") + $(stat -c %s "$T/nat.brn")))
grep -q "in.msgpack (1/2): read .* of $((total / 1024 / 1024))\.[0-9] MiB (50%)" "$T/err" &&
    grep -q "nat.brn (2/2): read .* (100%)" "$T/err" && pass "progress of several inputs is overall" ||
    fail "progress of several inputs is overall" "$(cat "$T/err")"

shtest_done
