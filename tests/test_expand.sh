#!/bin/bash
# test_expand.sh: the expansion limit from the outside. A 1 MB native file
# whose list of 4,096 slots shares one list holding a 1 MiB str stands for
# 4 GiB of JSON; converting it must fail fast with a message naming the
# limit and --max-expand, leaving no file, and --max-expand must raise (and
# lower) the limit. Run by make check with $BRINE set. The conversions run
# under ulimit -f and a timeout, so that a build without the limit fails
# here instead of filling the disk.
set -u
. "${BRINE_TEST_SRCDIR:?BRINE_TEST_SRCDIR must name tests/ in the source tree}/shtest.sh" expand

# shared COPIES FILE: native FILE holding [x, x, ...] (COPIES slots) with
# one shared x = ["xxx...": 1 MiB].
shared() {
    {
        printf '{"$brine": 1, "value": [{"$anchor": 1, "$list": ["'
        head -c 1048576 /dev/zero | tr '\0' x
        printf '"]}'
        for _ in $(seq 2 "$1"); do printf ', {"$alias": 1}'; done
        printf ']}'
    } >"$T/src.json"
    "$BRINE" convert -I refs "$T/src.json" -o "$2" || exit 99
}

# convert_limited ARGS...: brine convert with at most 256 MiB per file and
# 60 s; sets $status, $seconds (wall clock), stdout in $T/out, stderr in $T/err.
convert_limited() {
    local start end
    start=$(date +%s%N)
    (
        ulimit -f 262144
        exec timeout 60 "$BRINE" convert "$@"
    ) >"$T/out" 2>"$T/err"
    status=$?
    end=$(date +%s%N)
    seconds=$(((end - start) / 1000000000))
}

# expect DESC STATUS TEST...: $status must be STATUS, stderr free of
# sanitizer reports, and every TEST (a shell snippet) must hold.
expect() {
    local desc=$1 want=$2
    shift 2
    if grep -q -e 'Sanitizer' -e 'runtime error:' "$T/err"; then
        fail "$desc" "sanitizer report: $(head -c 600 "$T/err")"
        return
    fi
    if [ "$status" -ne "$want" ]; then
        fail "$desc" "exit status $status, wanted $want; stderr: $(head -c 600 "$T/err")"
        return
    fi
    for t in "$@"; do
        if ! eval "$t"; then
            fail "$desc" "does not hold: $t" "stderr: $(head -c 600 "$T/err")"
            return
        fi
    done
    pass "$desc"
}
has_err() { grep -q -F -e "$1" "$T/err"; }
no_files_in() { [ -z "$(ls -A "$1")" ]; }

mkdir "$T/w" "$T/in"
shared 4096 "$T/in/bomb.brn"
shared 100 "$T/in/hundred.brn"
size=$(stat -c %s "$T/in/bomb.brn")
[ "$size" -lt 1200000 ] && pass "the 4,096-copy file is about 1 MB ($size bytes)" ||
    fail "the 4,096-copy file is about 1 MB" "$size bytes"

# The limit: 8 x the document's memory (about 1.1 MB) + 64 MiB, about 73 MiB
# of the 4 GiB; each copy is 1 MiB and two values.
convert_limited "$T/in/bomb.brn" -o "$T/w/bomb.json"
expect "4,096 copies of a 1 MiB str refused when converting to JSON" 1 \
    'has_err "bomb.brn: "' 'has_err "writing shared values out again would send over"' \
    'has_err "(brine --max-expand) or use a format option that keeps references (refs)"' \
    'grep -q -E " at \\\$\[[0-9]{2}\]\[0\]$" "$T/err"' \
    '[ "$seconds" -lt 10 ]' 'no_files_in "$T/w"'
convert_limited "$T/in/bomb.brn" -t json
expect "to standard output it stops after the limit, not 4 GiB" 1 \
    '[ "$(stat -c %s "$T/out")" -lt 100000000 ]' 'has_err "--max-expand"'
convert_limited -t msgpack "$T/in/bomb.brn" -o "$T/w/bomb.msgpack"
expect "to msgpack without refs likewise" 1 'has_err "writing shared values out again"' 'no_files_in "$T/w"'
convert_limited -O refs -O tagged "$T/in/bomb.brn" -o "$T/w/bomb.json"
expect "with refs the file converts as it is, small" 0 '[ "$(stat -c %s "$T/w/bomb.json")" -lt 1200000 ]'
rm -f "$T/w/bomb.json"

# 100 copies: 100 MiB, over the default; --max-expand raises or lowers it.
convert_limited "$T/in/hundred.brn" -o "$T/w/hundred.json"
expect "100 copies of 1 MiB go past the default limit" 1 'has_err "--max-expand"' 'no_files_in "$T/w"'
convert_limited --max-expand 100 "$T/in/hundred.brn" -o "$T/w/hundred.json"
expect "--max-expand 100 lets 100 copies through, in full" 0 \
    '[ "$(stat -c %s "$T/w/hundred.json")" = $((100 * (1048576 + 4) + 99 + 2 + 1)) ]' # and the final newline
rm -f "$T/w/hundred.json"
convert_limited --max-expand 8:128M "$T/in/hundred.brn" -o "$T/w/hundred.json"
expect "--max-expand 8:128M lets them through too" 0 '[ -s "$T/w/hundred.json" ]'
rm -f "$T/w/hundred.json"
shared 10 "$T/in/ten.brn"
convert_limited "$T/in/ten.brn" -o "$T/w/ten.json"
expect "10 copies are within the default" 0 '[ -s "$T/w/ten.json" ]'
rm -f "$T/w/ten.json"
convert_limited --max-expand 1:1M "$T/in/ten.brn" -o "$T/w/ten.json"
expect "--max-expand 1:1M refuses them, naming the limit" 1 \
    'has_err "(limit: 1 x the document'"'"'s "' 'has_err " bytes + 1048576)"' 'no_files_in "$T/w"'

for bad in 0 abc 8: :5 8:0 8:12X 4294967296 8:99999999999T; do
    convert_limited --max-expand "$bad" "$T/in/ten.brn" -o "$T/w/ten.json"
    expect "--max-expand $bad is a usage error" 2 'has_err "--max-expand wants RATIO[:BYTES]"'
done

shtest_done
