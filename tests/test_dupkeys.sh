#!/bin/bash
# test_dupkeys.sh: repeated dict keys through `brine convert`, which streams:
# when a streamed conversion meets a repeated key it is done again through a
# graph, which folds like Python (and like `show`) for every format, from a
# file or a pipe, to a file or to stdout. Past what the command keeps of a
# pipe (64 MiB) or holds back of stdout (16 MiB) it stops instead, with a
# message in the command's terms, exit status 1 and no output file. json ->
# X -> json agrees for every X. Run by make check with $BRINE.
set -u

. "${BRINE_TEST_SRCDIR:?BRINE_TEST_SRCDIR must name tests/ in the source tree}/shtest.sh" dupkeys
check() { # NAME CONDITION...
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

printf '{"a": 1, "b": 2, "a": 3}' >"$T/top.json"
printf '{"x": {"k": 1, "k": 2}}' >"$T/nested.json"
printf '[{"id": 1, "v": 1}, {"id": 2, "v": 1, "v": 2}]' >"$T/records.json"
printf '\x82\x01\xa1a\x01\xa1b' >"$T/intkeys.msgpack"

# quiet FILE: empty, or at least no C function named to a command-line user.
quiet() { [ ! -s "$1" ]; }

for file in top.json nested.json records.json intkeys.msgpack; do
    want=$("$BRINE" show "$T/$file") # the graph route folds like Python
    for to in native msgpack json pickle; do
        [ "$to" = json ] && [ "${file##*.}" = msgpack ] && continue # json keys are str only
        out=$T/out.$to
        # File to file: the streamed attempt is refused, then redone through a graph.
        "$BRINE" convert -t "$to" "$T/$file" -o "$out" 2>"$T/err"
        status=$?
        check "$file -> $to from a file exits 0" test "$status" -eq 0
        check "$file -> $to from a file folds like show" test "$("$BRINE" show "$out" 2>&1)" = "$want"
        check "$file -> $to from a file says nothing" quiet "$T/err"
        # From a pipe to a file: the pipe's bytes were kept, read again.
        cat "$T/$file" | "$BRINE" convert -f "${file##*.}" -t "$to" -o "$T/pipe.$to" 2>"$T/err2"
        status=${PIPESTATUS[1]}
        check "$file -> $to from a pipe exits 0 and says nothing" bash -c '[ $0 -eq 0 ] && [ ! -s "$1" ]' $status "$T/err2"
        check "$file -> $to from a pipe writes what from a file does" cmp -s "$out" "$T/pipe.$to"
        # To stdout (held back until the end), from a file and from a pipe.
        "$BRINE" convert -t "$to" "$T/$file" >"$T/stdout.$to" 2>"$T/err3"
        status=$?
        check "$file -> $to to stdout exits 0 and says nothing" bash -c '[ $0 -eq 0 ] && [ ! -s "$1" ]' $status "$T/err3"
        cp "$out" "$T/want.$to"
        check "$file -> $to to stdout writes what -o does" cmp -s "$T/want.$to" "$T/stdout.$to"
        cat "$T/$file" | "$BRINE" convert -f "${file##*.}" -t "$to" 2>"$T/err4" | cat >"$T/pipes.$to"
        check "$file -> $to from a pipe to a pipe folds too" bash -c '[ ! -s "$0" ] && cmp -s "$1" "$2"' "$T/err4" \
            "$T/want.$to" "$T/pipes.$to"
        rm -f "$out" "$T/pipe.$to" "$T/stdout.$to" "$T/pipes.$to" "$T/want.$to"
    done
done

# A file given as standard input (< FILE) is read again like a named one.
"$BRINE" convert -f json -t msgpack <"$T/top.json" >"$T/stdin.msgpack" 2>"$T/err"
check "< FILE with a repeated key folds" bash -c '[ $0 -eq 0 ] && [ ! -s "$1" ]' $? "$T/err"
check "< FILE folds like show" test "$("$BRINE" show "$T/stdin.msgpack")" = "$("$BRINE" show "$T/top.json")"

# Past the limits: a repeated key after 16 MiB of output to stdout, or after
# 64 MiB of a pipe, is an error that says what to do, in the command's terms.
"${PYTHON3:-python3}" - "$T" <<'PY'
import sys
t = sys.argv[1]
line = '"' + "x" * 1022 + '",\n'
with open(t + "/late.json", "w") as f:  # 17 MiB of strings, then {"a": 1, "a": 2}
    f.write("[" + line * (17 << 10) + '{"a": 1, "a": 2}]')
with open(t + "/later.json", "w") as f:  # 65 MiB
    f.write("[" + line * (65 << 10) + '{"a": 1, "a": 2}]')
PY
"$BRINE" convert -t json "$T/late.json" >/dev/null 2>"$T/err"
status=$?
check "a repeated key after 16 MiB of stdout exits 1" test "$status" -eq 1
check "... saying to give -o FILE, naming no C call" bash -c \
    'grep -qF "a dict key repeats at \$[17408].a; brine folds it as Python does (first position, last value) by converting again, but the output had passed 16 MiB: write to a file with -o FILE" "$0" && ! grep -q brine_ "$0"' \
    "$T/err"
"$BRINE" convert -t json "$T/late.json" -o "$T/late.out.json" 2>"$T/err"
check "the same file to -o FILE folds" bash -c '[ $0 -eq 0 ] && [ ! -s "$1" ]' $? "$T/err"
cat "$T/later.json" | "$BRINE" convert -f json -t msgpack -o "$T/later.msgpack" 2>"$T/err"
status=${PIPESTATUS[1]}
check "a repeated key after 64 MiB of a pipe exits 1 and leaves no file" \
    bash -c '[ $0 -eq 1 ] && [ ! -e "$1" ]' $status "$T/later.msgpack"
check "... saying to convert from a file" grep -qF \
    "but the input had passed 64 MiB: save the input to a file and convert that" "$T/err"
"$BRINE" convert -t msgpack "$T/later.json" -o "$T/later.msgpack" 2>"$T/err"
check "the same bytes from a file fold" bash -c '[ $0 -eq 0 ] && [ ! -s "$1" ]' $? "$T/err"
rm -f "$T"/late*

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
