#!/bin/bash
# test_dupkeys.sh: repeated dict keys through `brine convert`, which streams:
# into every format it stops at the first repeated key with the same message,
# path and exit status, and leaves no output file; documents without repeats
# go json -> X -> json unchanged for every X. Run by make check with $BRINE.
set -u

: "${BRINE:?BRINE must name the built brine command}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=86"
unset BRINE_PLUGIN_PATH

T=$(mktemp -d "${TMPDIR:-/tmp}/brine-dupkeys.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
failed=0
check() { # NAME CONDITION...
    local name=$1
    shift
    if "$@"; then echo "ok - $name"; else echo "FAIL - $name"; failed=$((failed + 1)); fi
}

MSG='a dict key repeats, and a streamed conversion cannot fold it as decoding does'
printf '{"a": 1, "b": 2, "a": 3}' >"$T/top.json"
printf '{"x": {"k": 1, "k": 2}}' >"$T/nested.json"
printf '[{"id": 1, "v": 1}, {"id": 2, "v": 1, "v": 2}]' >"$T/records.json"
printf '\x82\x01\xa1a\x01\xa1b' >"$T/intkeys.msgpack"

for case in top.json:'$.a' nested.json:'$.x.k' records.json:'$[1].v' intkeys.msgpack:'$[1]'; do
    file=${case%%:*} path=${case#*:}
    for to in native msgpack json pickle; do
        [ "$to" = json ] && [ "${file##*.}" = msgpack ] && continue # json keys are str only
        out=$T/out.$to
        "$BRINE" convert -t "$to" "$T/$file" -o "$out" 2>"$T/err"
        status=$?
        check "$file -> $to exits 1" test "$status" -eq 1
        check "$file -> $to names the message and the path $path" grep -qF -- "$MSG" "$T/err"
        check "$file -> $to says where" grep -qF -- " at $path" "$T/err"
        check "$file -> $to leaves no file" test ! -e "$out"
        # From a pipe to stdout: the same refusal.
        "$BRINE" convert -f "${file##*.}" -t "$to" <"$T/$file" >/dev/null 2>"$T/err2"
        check "$file -> $to from a pipe exits 1 with the message" \
            bash -c '[ $0 -eq 1 ] && grep -qF -- "$1" "$2"' $? "$MSG" "$T/err2"
    done
done

# Without repeated keys, json -> X -> json gives the same document for every X.
printf '{"a": 1, "b": [{"x": 1, "y": "z"}, {"x": 2}], "c": {"d": null}}' >"$T/plain.json"
"$BRINE" convert -t json "$T/plain.json" -o "$T/ref.json" || failed=$((failed + 1))
for to in native msgpack json pickle; do
    "$BRINE" convert -t "$to" "$T/plain.json" -o "$T/mid.$to" && "$BRINE" convert -t json "$T/mid.$to" -o "$T/back.json"
    check "plain json -> $to -> json is unchanged" cmp -s "$T/ref.json" "$T/back.json"
    rm -f "$T/back.json"
done

[ "$failed" -eq 0 ]
