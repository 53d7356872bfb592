#!/bin/bash
# test_dupkeys.sh: repeated dict keys through `brine convert`, which streams:
# from a file to a file it redoes a refused conversion through a graph and
# folds like Python (and like `show`) for every format; from a pipe or to
# stdout it stops at the first repeated key with the same message, path and
# exit status, and leaves no output file; json -> X -> json agrees for every
# X. Run by make check with $BRINE.
set -u

. "${BRINE_TEST_SRCDIR:?BRINE_TEST_SRCDIR must name tests/ in the source tree}/shtest.sh" dupkeys
check() { # NAME CONDITION...
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

MSG='a dict key repeats, and a streamed conversion cannot fold it as decoding does'
printf '{"a": 1, "b": 2, "a": 3}' >"$T/top.json"
printf '{"x": {"k": 1, "k": 2}}' >"$T/nested.json"
printf '[{"id": 1, "v": 1}, {"id": 2, "v": 1, "v": 2}]' >"$T/records.json"
printf '\x82\x01\xa1a\x01\xa1b' >"$T/intkeys.msgpack"

for case in top.json:'$.a' nested.json:'$.x.k' records.json:'$[1].v' intkeys.msgpack:'$[1]'; do
    file=${case%%:*} path=${case#*:}
    want=$("$BRINE" show "$T/$file") # the graph route folds like Python
    for to in native msgpack json pickle; do
        [ "$to" = json ] && [ "${file##*.}" = msgpack ] && continue # json keys are str only
        out=$T/out.$to
        # File to file: the streamed attempt is refused, then redone through a graph.
        "$BRINE" convert -t "$to" "$T/$file" -o "$out" 2>"$T/err"
        status=$?
        check "$file -> $to from a file exits 0" test "$status" -eq 0
        check "$file -> $to from a file folds like show" test "$("$BRINE" show "$out" 2>&1)" = "$want"
        check "$file -> $to from a file says nothing" test ! -s "$T/err"
        rm -f "$out"
        # From a pipe, or to stdout: the refusal stands, with its path.
        "$BRINE" convert -f "${file##*.}" -t "$to" <"$T/$file" -o "$out" 2>"$T/err2"
        check "$file -> $to from a pipe exits 1 with the message and $path" \
            bash -c '[ $0 -eq 1 ] && grep -qF -- "$1" "$2" && grep -qF -- " at $3" "$2"' $? "$MSG" "$T/err2" "$path"
        check "$file -> $to from a pipe leaves no file" test ! -e "$out"
        "$BRINE" convert -t "$to" "$T/$file" >/dev/null 2>"$T/err3"
        check "$file -> $to to stdout exits 1 with the message" \
            bash -c '[ $0 -eq 1 ] && grep -qF -- "$1" "$2"' $? "$MSG" "$T/err3"
    done
done

# json -> X -> json of documents with repeated keys gives the same result
# for every X (from files), and it is Python's.
for file in top.json nested.json records.json; do
    py=$(python3 -c 'import json, sys; print(repr(json.load(open(sys.argv[1]))))' "$T/$file")
    for to in native msgpack json pickle; do
        "$BRINE" convert -t "$to" "$T/$file" -o "$T/mid.$to" && "$BRINE" convert -t json "$T/mid.$to" -o "$T/back.json"
        check "$file -> $to -> json folds like Python" test "$("$BRINE" show "$T/back.json" 2>&1)" = "$py"
        rm -f "$T/back.json" "$T/mid.$to"
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

shtest_done
