#!/bin/bash
# test_cli.sh: the brine command from the outside: every subcommand and exit
# status, format inference (extension, sniffing), pipes, atomic output, write
# errors (closed pipe, /dev/full), option routing, several inputs into a
# directory, progress. Run by make check with $BRINE and $BRINE_TEST_DATA set.
set -u

: "${BRINE:?BRINE must name the built brine command}"
: "${BRINE_TEST_DATA:?BRINE_TEST_DATA must name the data directory}"
PYTHON3=${PYTHON3:-python3}
# A sanitizer report must not pass for an expected exit status 1.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=86"
unset BRINE_PLUGIN_PATH

T=$(mktemp -d "${TMPDIR:-/tmp}/brine-cli.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
SAMPLE=$BRINE_TEST_DATA/cli/sample.json
passed=0
failed=0

pass() {
    passed=$((passed + 1))
    echo "ok - $1"
}
fail() {
    failed=$((failed + 1))
    echo "FAIL - $1"
    shift
    for line in "$@"; do echo "    $line"; done
}

# run STATUS CMD...: runs CMD with stdout in $T/out, stderr in $T/err and
# checks its exit status and that no sanitizer spoke. Sets $status.
run() {
    local want=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    status=$?
    if grep -q -e 'Sanitizer' -e 'runtime error:' "$T/err"; then
        RUN_OK=0
        RUN_WHY="sanitizer report: $(head -c 600 "$T/err")"
    elif [ "$status" -ne "$want" ]; then
        RUN_OK=0
        RUN_WHY="exit status $status, wanted $want; stderr: $(head -c 600 "$T/err")"
    else
        RUN_OK=1
        RUN_WHY=
    fi
}

# check DESC STATUS CMD... [-- TESTS...]: run, then every extra test (a
# shell snippet) must hold.
check() {
    local desc=$1 want=$2
    shift 2
    local cmd=() tests=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        cmd+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    tests=("$@")
    run "$want" "${cmd[@]}"
    if [ "$RUN_OK" != 1 ]; then
        fail "$desc" "$RUN_WHY"
        return
    fi
    for t in "${tests[@]}"; do
        if ! eval "$t"; then
            fail "$desc" "does not hold: $t" "stdout: $(head -c 400 "$T/out")" "stderr: $(head -c 400 "$T/err")"
            return
        fi
    done
    pass "$desc"
}

has_out() { grep -q -F -e "$1" "$T/out"; }
has_err() { grep -q -F -e "$1" "$T/err"; }
err_matches() { grep -q -E -e "$1" "$T/err"; }
no_temp_in() { [ -z "$(find "$1" -name '.*.??????' -print)" ]; }

# ---- help, version, usage errors -------------------------------------------

check "--version names the command and library versions" 0 "$BRINE" --version -- \
    'grep -q -E "^brine [0-9]+\.[0-9]+\.[0-9]+ \(libbrine [0-9]+\.[0-9]+\.[0-9]+\)$" "$T/out"'
check "--help shows the usage and the commands" 0 "$BRINE" --help -- \
    'has_out "Usage: brine"' 'has_out "convert"' 'has_out "formats"' 'has_out "show"' 'has_out "check"' \
    'has_out "Exit status"'
for cmd in convert formats show check; do
    check "$cmd --help shows the $cmd usage" 0 "$BRINE" "$cmd" --help -- "has_out 'Usage: brine $cmd'"
    "$BRINE" help "$cmd" >"$T/help2" 2>&1
    if cmp -s "$T/out" "$T/help2"; then pass "help $cmd equals $cmd --help"; else fail "help $cmd equals $cmd --help"; fi
done
check "no command is a usage error" 2 "$BRINE" -- 'has_err "no command given"' 'has_err "Try '"'"'brine --help'"'"'"'
check "an unknown command is a usage error" 2 "$BRINE" frobnicate -- 'has_err "unknown command '"'"'frobnicate'"'"'"'
check "an unknown long option is a usage error" 2 "$BRINE" convert --frobnicate -- \
    'has_err "unknown option '"'"'--frobnicate'"'"'"' 'has_err "Try '"'"'brine convert --help'"'"'"'
check "an unknown short option is a usage error" 2 "$BRINE" show -Z -- 'has_err "unknown option '"'"'-Z'"'"'"'
check "an option of another command is a usage error" 2 "$BRINE" formats -t json -- 'has_err "does not apply"'
check "an option without its value is a usage error" 2 "$BRINE" convert -t -- 'has_err "needs a value"'
check "--max-depth refuses a non-number" 2 "$BRINE" show --max-depth abc "$SAMPLE" -- 'has_err "positive integer"'
check "--max-depth refuses zero" 2 "$BRINE" show --max-depth 0 "$SAMPLE" -- 'has_err "positive integer"'
check "show takes one input" 2 "$BRINE" show "$SAMPLE" "$SAMPLE" -- 'has_err "one input"'
check "check wants an input" 2 "$BRINE" check -- 'has_err "name the files"'

# ---- formats -----------------------------------------------------------------

check "formats lists the built-in formats with their files" 0 "$BRINE" formats -- \
    'grep -q "^json " "$T/out"' 'grep -q "^msgpack " "$T/out"' 'grep -q "^native " "$T/out"' \
    'grep -q "^pickle " "$T/out"' 'grep -q "^jsonl " "$T/out"' 'grep -q "^npy " "$T/out"' 'grep -q "^npz " "$T/out"' 'grep -q "^yaml " "$T/out"' \
    'has_out ".json"' 'has_out "application/json"' 'has_out "decode, encode"' \
    '[ "$(grep -c -E "^  file: +(/.*/json\.(so|la)|preloaded \(json\))$" "$T/out")" = 1 ]'
check "formats --names prints one name per line" 0 "$BRINE" formats --names -- \
    '[ "$(sort "$T/out" | tr "\n" " ")" = "cbor joblib json jsonl msgpack native npy npz pickle yaml " ]'
check "formats --json is valid JSON naming each loaded file" 0 "$BRINE" formats --json -- \
    '"$PYTHON3" -c "
import json, os, sys
d = json.load(open(sys.argv[1]))
names = sorted(f[\"name\"] for f in d[\"formats\"])
assert names == [\"cbor\", \"joblib\", \"json\", \"jsonl\", \"msgpack\", \"native\", \"npy\", \"npz\", \"pickle\", \"yaml\"], names
for f in d[\"formats\"]:
    # A static build (--disable-shared) preloads the built-in formats.
    assert os.path.isfile(f[\"file\"]) or f[\"file\"] == \"preloaded (%s)\" % f[\"name\"], f[\"file\"]
    assert f[\"decode\"] and f[\"encode\"]
assert d[\"failures\"] == []
" "$T/out"'
check "formats --json and --names do not go together" 2 "$BRINE" formats --json --names
mkdir -p "$T/plugins"
echo "not a library" >"$T/plugins/junk.so"
check "formats lists a plugin file that failed to load (--plugin-path)" 0 "$BRINE" --plugin-path "$T/plugins" formats -- \
    'has_out "could not be loaded"' 'has_out "$T/plugins/junk.so: "' 'grep -q "^json " "$T/out"'
check "a --plugin-path that is not a directory is a warning, not a failure" 0 \
    "$BRINE" formats --names --plugin-path "$T/nonexistent" -- \
    'has_err "warning: --plugin-path $T/nonexistent: No such file or directory"' 'has_out json'
check "formats lists a plugin file that failed to load (BRINE_PLUGIN_PATH)" 0 \
    env BRINE_PLUGIN_PATH="$T/plugins" "$BRINE" formats --json -- \
    '"$PYTHON3" -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert [f[\"file\"] for f in d[\"failures\"]] == [sys.argv[2]], d[\"failures\"]
assert d[\"failures\"][0][\"reason\"]
" "$T/out" "$T/plugins/junk.so"'

# ---- convert: inference, round trips, pipes ---------------------------------

"$BRINE" show "$SAMPLE" >"$T/sample.repr" 2>"$T/err"
"$PYTHON3" -c 'import json, sys; print(repr(json.load(open(sys.argv[1]))))' "$SAMPLE" >"$T/sample.pyrepr"
if cmp -s "$T/sample.repr" "$T/sample.pyrepr"; then
    pass "show prints the sample as Python's repr does"
else
    fail "show prints the sample as Python's repr does" "brine:  $(cat "$T/sample.repr" "$T/err")" \
        "python: $(cat "$T/sample.pyrepr")"
fi
same_value() { # same_value FILE...: every file shows as the sample does
    local f
    for f in "$@"; do
        "$BRINE" show "$f" >"$T/cmp.repr" 2>&1 && cmp -s "$T/cmp.repr" "$T/sample.repr" || return 1
    done
}

check "convert json to msgpack by the output's extension" 0 "$BRINE" convert "$SAMPLE" -o "$T/s.msgpack" -- \
    '[ -s "$T/s.msgpack" ]' '[ ! -s "$T/out" ]' 'same_value "$T/s.msgpack"'
check "convert msgpack to native by both extensions" 0 "$BRINE" convert "$T/s.msgpack" -o "$T/s.brn" -- \
    'same_value "$T/s.brn"'
check "convert native back to json is lossless" 0 "$BRINE" convert "$T/s.brn" -o "$T/s.json" -- \
    'same_value "$T/s.json"'
cp "$T/s.msgpack" "$T/mystery.data"
cp "$T/s.brn" "$T/mystery2"
cp "$SAMPLE" "$T/mystery3.txt"
check "the input format is sniffed when the extension says nothing (msgpack)" 0 \
    "$BRINE" convert -t json "$T/mystery.data" -o "$T/m1.json" -- 'same_value "$T/m1.json"'
check "the input format is sniffed when there is no extension (native)" 0 \
    "$BRINE" convert -t json "$T/mystery2" -o "$T/m2.json" -- 'same_value "$T/m2.json"'
check "the input format is sniffed from a .txt name (json)" 0 \
    "$BRINE" convert -t msgpack "$T/mystery3.txt" -o "$T/m3.mpk" -- 'same_value "$T/m3.mpk"'
cp "$SAMPLE" "$T/lying.msgpack"
check "-f overrides the input's extension" 0 "$BRINE" convert -f json -t native "$T/lying.msgpack" -o "$T/l.brn" -- \
    'same_value "$T/l.brn"'
check "-t overrides the output's extension" 0 "$BRINE" convert -t json "$T/s.msgpack" -o "$T/x.msgpack" -- \
    'head -c1 "$T/x.msgpack" | grep -q "{"'

"$BRINE" convert -t msgpack <"$SAMPLE" 2>"$T/err" | "$BRINE" convert -t json >"$T/piped.json" 2>>"$T/err"
st=("${PIPESTATUS[@]}")
if [ "${st[0]}" = 0 ] && [ "${st[1]}" = 0 ] && [ ! -s "$T/err" ] && same_value "$T/piped.json"; then
    pass "stdin to stdout through a pipe, formats sniffed"
else
    fail "stdin to stdout through a pipe, formats sniffed" "status ${st[*]}" "$(cat "$T/err")"
fi
check "'-' names stdin and stdout" 0 sh -c '"$1" convert -t native -o - - <"$2" | "$1" show -f native -' sh "$BRINE" "$SAMPLE" -- \
    'cmp -s "$T/out" "$T/sample.repr"'

printf '[1, "two", 3.5, null, true, {"k": [[], {}]}, [1, [2, [3]]]]' >"$T/small.json"
check "show prints Python-repr style" 0 "$BRINE" show "$T/small.json" -- \
    '[ "$(cat "$T/out")" = "[1, '"'"'two'"'"', 3.5, None, True, {'"'"'k'"'"': [[], {}]}, [1, [2, [3]]]]" ]'
check "-O pretty reaches the json encoder" 0 "$BRINE" convert -t json -O pretty "$T/s.msgpack" -- \
    '[ "$(wc -l <"$T/out")" -gt 20 ]' 'grep -q "^  \"name\": \"brine sample\"" "$T/out"'
check "a writer option the writer lacks is a usage error naming its options" 2 \
    "$BRINE" convert -t msgpack -O frobnicate=1 "$SAMPLE" -o "$T/never.msgpack" -- \
    'has_err "unknown writer option '"'"'frobnicate'"'"' for msgpack (-O writer options: refs, plain, sequence, numpy)"' \
    '[ ! -e "$T/never.msgpack" ]'
check "an encoding-only option given to show is a usage error" 2 "$BRINE" show -I pretty "$SAMPLE" -- \
    'has_err "unknown reader option '"'"'pretty'"'"' for json"'

printf '\241\377' >"$T/badutf.msgpack"
check "a str that is not UTF-8 fails msgpack decoding, with its offset" 1 "$BRINE" show "$T/badutf.msgpack" -- \
    'err_matches "^brine: .*/badutf\.msgpack: offset [0-9]+: ."'
check "-O KEY=VALUE reaches the msgpack decoder" 0 "$BRINE" show -O invalid_utf8=bytes "$T/badutf.msgpack" -- \
    '[ "$(cat "$T/out")" = "b'"'"'\\xff'"'"'" ]'
printf '{"$brine": 1, "value": {"$anchor": 1, "$list": [1, {"$alias": 1}]}}' >"$T/cycle.json"
check "-I refs and -O refs: a cycle survives json -> msgpack" 0 \
    "$BRINE" convert -I refs -O refs "$T/cycle.json" -o "$T/cycle.msgpack" -- \
    '[ "$("$BRINE" show -I refs "$T/cycle.msgpack")" = "[1, [...]]" ]'
check "a cycle converts to native, which always stores references" 0 \
    "$BRINE" convert -I refs "$T/cycle.json" -o "$T/cycle.brn" -- '[ "$("$BRINE" show "$T/cycle.brn")" = "[1, [...]]" ]'
check "a cycle into a format without references is exit 1 naming the path" 1 \
    "$BRINE" convert -t json "$T/cycle.brn" -o "$T/cycle-out.json" -- \
    'err_matches "^brine: .*/cycle\.brn: circular reference detected at \\\$\\[1\\]$"' '[ ! -e "$T/cycle-out.json" ]'
check "an encoder error names the input location and the path" 1 \
    "$BRINE" convert -t msgpack -O plain "$SAMPLE" -o "$T/plain.msgpack" -- \
    'err_matches "^brine: .*/sample\.json:[0-9]+:[0-9]+: .* at \\\$\\[\"big integer\"\\]$"' \
    '[ ! -e "$T/plain.msgpack" ]' 'no_temp_in "$T"'
printf '\201\241a\222\001\313\177\370\000\000\000\000\000\000' >"$T/nan.msgpack" # {"a": [1, nan]}
check "a streamed conversion names the key path of any encoder's error" 1 \
    "$BRINE" convert -t json -O plain "$T/nan.msgpack" -o "$T/nan.json" -- \
    'err_matches "^brine: .*/nan\.msgpack: offset 5: Out of range float values are not JSON compliant at \\\$\.a\[1\]$"' \
    '[ ! -e "$T/nan.json" ]'
printf '\201\002\221\313\177\370\000\000\000\000\000\000' >"$T/nan2.msgpack" # {2: [nan]}
check "... and names int keys as the walker does" 1 "$BRINE" convert -t json -O plain "$T/nan2.msgpack" -o "$T/nan.json" -- \
    'err_matches " at \\\$\[2\]\[0\]$"'

# ---- convert: usage errors -----------------------------------------------------

check "an unknown output format is a usage error listing the formats" 2 "$BRINE" convert -t nosuch "$SAMPLE" -- \
    'has_err "unknown output format '"'"'nosuch'"'"'"' 'has_err "json"' 'has_err "native"'
check "an unknown input format is a usage error" 2 "$BRINE" convert -f nosuch -t json "$SAMPLE" -- \
    'has_err "unknown input format '"'"'nosuch'"'"'"'
check "no output format is a usage error that says how to choose" 2 "$BRINE" convert "$SAMPLE" -- \
    'has_err "give -t FORMAT"'
check "an output name with an unknown extension is a usage error" 2 "$BRINE" convert "$SAMPLE" -o "$T/out.xyz" -- \
    'has_err "cannot tell the output format"' '[ ! -e "$T/out.xyz" ]'
: >"$T/empty"
check "an input nothing recognises is a usage error asking for -f" 2 "$BRINE" convert -t json "$T/empty" -- \
    'has_err "cannot tell the format"' 'has_err "-f FORMAT"'
check "several inputs without a directory are a usage error" 2 "$BRINE" convert -t json "$SAMPLE" "$SAMPLE" "$SAMPLE" -- \
    'has_err "-o DIR"'

# ---- data errors: exit 1 and where ----------------------------------------------

printf '{"a": [1, 2,\n  3, }\n' >"$T/bad.json"
check "a JSON syntax error is reported as FILE:LINE:COL" 1 "$BRINE" convert -t msgpack "$T/bad.json" -o "$T/bad.msgpack" -- \
    'err_matches "^brine: .*/bad\.json:2:[0-9]+: ."' '[ ! -e "$T/bad.msgpack" ]' 'no_temp_in "$T"'
head -c 40 "$T/s.msgpack" >"$T/trunc.msgpack"
check "a truncated msgpack file is reported with its byte offset" 1 "$BRINE" convert -t json "$T/trunc.msgpack" -- \
    'err_matches "^brine: .*/trunc\.msgpack: offset [0-9]+: ."'
check "a missing input is exit 1" 1 "$BRINE" convert -t json "$T/nonexistent.json" -- \
    'has_err "nonexistent.json: No such file or directory"'
check "a directory as input is exit 1" 1 "$BRINE" convert -t json -f json "$T" -- 'has_err "Is a directory"'
awk 'BEGIN { for (i = 0; i < 1001; i++) printf "["; for (i = 0; i < 1001; i++) printf "]" }' >"$T/deep1001.json"
awk 'BEGIN { for (i = 0; i < 1000; i++) printf "["; for (i = 0; i < 1000; i++) printf "]" }' >"$T/deep1000.json"
check "1000 nested lists convert" 0 "$BRINE" convert -t msgpack "$T/deep1000.json" -o "$T/deep.msgpack"
check "1001 nested lists exceed the default depth: exit 1" 1 "$BRINE" convert -t msgpack "$T/deep1001.json" -- \
    'has_err "maximum recursion depth exceeded"'
check "--max-depth raises the limit" 0 "$BRINE" convert --max-depth 1001 -t msgpack "$T/deep1001.json" -o "$T/d.msgpack"
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; for (i = 0; i < 100000; i++) printf "]"; printf "\n" }' >"$T/deep1e5.json"
check "100,000 nested lists go json -> native -> json with --max-depth 1000000" 0 \
    sh -c '"$1" convert --max-depth 1000000 -t native "$2" | "$1" convert --max-depth 1000000 -t json' \
    sh "$BRINE" "$T/deep1e5.json" -- 'cmp -s "$T/out" "$T/deep1e5.json"'

# ---- atomic output -------------------------------------------------------------

# About 10 MB of JSON, valid, and the same with an error near its end.
awk 'BEGIN { printf "["; for (i = 0; i < 150000; i++) printf "%s{\"id\": %d, \"name\": \"item %d\", \"tags\": [\"a\", \"b\"], \"v\": %d.5}", (i ? ", " : ""), i, i, i; printf "]\n" }' >"$T/big.json"
sed 's/]$/, {"broken": }]/' "$T/big.json" >"$T/bigbad.json"
mkdir -p "$T/atomic"
printf 'old contents\n' >"$T/atomic/out.msgpack"
cp "$T/atomic/out.msgpack" "$T/atomic.orig"
check "a conversion failing near the end of a big input leaves OUT byte-identical" 1 \
    "$BRINE" convert "$T/bigbad.json" -o "$T/atomic/out.msgpack" -- \
    'cmp -s "$T/atomic/out.msgpack" "$T/atomic.orig"' '[ "$(ls -A "$T/atomic")" = "out.msgpack" ]' \
    'err_matches "bigbad\.json:1:[0-9]+: "'
check "a successful conversion replaces OUT and leaves no temporary file" 0 \
    "$BRINE" convert "$T/big.json" -o "$T/atomic/out.msgpack" -- \
    '! cmp -s "$T/atomic/out.msgpack" "$T/atomic.orig"' '[ "$(ls -A "$T/atomic")" = "out.msgpack" ]'
chmod 640 "$T/atomic/out.msgpack"
check "a replaced OUT keeps its permissions" 0 "$BRINE" convert "$SAMPLE" -o "$T/atomic/out.msgpack" -- \
    '[ "$(stat -c %a "$T/atomic/out.msgpack")" = 640 ]' 'same_value "$T/atomic/out.msgpack"'
ln -s out.msgpack "$T/atomic/link.msgpack"
check "writing through a symlink replaces its target and keeps the link" 0 \
    "$BRINE" convert "$T/small.json" -o "$T/atomic/link.msgpack" -- \
    '[ -L "$T/atomic/link.msgpack" ]' '"$BRINE" show "$T/atomic/out.msgpack" | grep -q "^\[1, '"'"'two'"'"'"'
rm -f "$T/atomic/absent.msgpack"
ln -s absent.msgpack "$T/atomic/dangling.msgpack"
check "a dangling symlink as OUT is followed: its target is created and the link kept" 0 \
    "$BRINE" convert "$T/small.json" -o "$T/atomic/dangling.msgpack" -- \
    '[ -L "$T/atomic/dangling.msgpack" ]' '[ "$(readlink "$T/atomic/dangling.msgpack")" = absent.msgpack ]' \
    '[ -f "$T/atomic/absent.msgpack" ] && [ ! -L "$T/atomic/absent.msgpack" ]' \
    '"$BRINE" show "$T/atomic/absent.msgpack" | grep -q "^\[1, '"'"'two'"'"'"'
mkdir -p "$T/atomic/sub"
ln -s ../absent2.msgpack "$T/atomic/sub/rel.msgpack"
ln -s sub/rel.msgpack "$T/atomic/chain.msgpack"
check "a chain of dangling relative symlinks is followed from each link's directory" 0 \
    "$BRINE" convert "$T/small.json" -o "$T/atomic/chain.msgpack" -- \
    '[ -L "$T/atomic/chain.msgpack" ] && [ -L "$T/atomic/sub/rel.msgpack" ]' '[ -f "$T/atomic/absent2.msgpack" ]'
ln -s loop.b "$T/atomic/loop.a"
ln -s loop.a "$T/atomic/loop.b"
check "a symlink loop as OUT is exit 1 and replaces neither link" 1 \
    "$BRINE" convert -t json "$T/small.json" -o "$T/atomic/loop.a" -- \
    'has_err "loop.a: Too many levels of symbolic links"' '[ -L "$T/atomic/loop.a" ] && [ -L "$T/atomic/loop.b" ]'
rm -f "$T/atomic/loop.a" "$T/atomic/loop.b" "$T/atomic/sub/rel.msgpack" "$T/atomic/chain.msgpack"
check "-o /dev/stdout writes the command's stdout" 0 "$BRINE" convert -t json "$T/small.json" -o /dev/stdout -- \
    'grep -q "two" "$T/out"'
for mode in 4755 2755 1755 6775; do
    printf 'old\n' >"$T/atomic/setid.msgpack"
    chmod "$mode" "$T/atomic/setid.msgpack"
    if [ "$(stat -c %a "$T/atomic/setid.msgpack")" != "$mode" ]; then
        echo "skip - chmod $mode is not allowed here"
        continue
    fi
    check "-o onto a file of mode $mode keeps its permission bits but not set-id or sticky bits" 0 \
        "$BRINE" convert "$SAMPLE" -o "$T/atomic/setid.msgpack" -- \
        '[ "$(stat -c %a "$T/atomic/setid.msgpack")" = "${mode#?}" ]' 'same_value "$T/atomic/setid.msgpack"'
done
check "an output directory that does not exist is exit 1" 1 "$BRINE" convert "$SAMPLE" -o "$T/no/such/dir/x.json" -- \
    'has_err "cannot create a temporary file"'

# ---- ints at the 4300-digit boundary --------------------------------------------------

# Python writes an int as digits up to 4300 of them (int_max_str_digits),
# the sign not counted; so must json output, with -O plain too. Each line of
# ints.txt: the int in hex for the $int tag, then its decimal digits. A
# longer one is written in the envelope: from a graph (the native file),
# which auto sees whole (converted from JSON it streams, and fails at it).
"$PYTHON3" -c '
import sys
sys.set_int_max_str_digits(0)
for v in (2**14279, 10**4299, 10**4300 - 1, 10**4300):
    for s in (v, -v):
        print(("-" if s < 0 else "") + hex(abs(s)), s)
' >"$T/ints.txt"
while read -r hex digits; do
    n=${#digits}
    [ "${digits#-}" != "$digits" ] && n=$((n - 1))
    printf '{"$brine": 1, "value": [{"$int": "%s"}]}' "$hex" >"$T/int.json"
    "$BRINE" convert "$T/int.json" -o "$T/int.brn" 2>"$T/err" || fail "$n digits: json to native" "$(cat "$T/err")"
    if [ "$n" -le 4300 ]; then
        check "an int of $n digits (${digits:0:1}...) is written as digits" 0 "$BRINE" convert -t json "$T/int.json" -- \
            '[ "$(cat "$T/out")" = "[$digits]" ]'
        check "an int of $n digits (${digits:0:1}...) is written as digits with -O plain" 0 \
            "$BRINE" convert -t json -O plain "$T/int.brn" -- '[ "$(cat "$T/out")" = "[$digits]" ]'
    else
        check "an int of $n digits (${digits:0:1}...) is written with the \$int tag" 0 \
            "$BRINE" convert -t json "$T/int.brn" -- \
            '[ "$(cat "$T/out")" = "{\"\$brine\":1,\"value\":[{\"\$int\":\"$hex\"}]}" ]'
        # Streamed, plain from its first byte: a $int tag there would read back as a dict.
        check "an int of $n digits (${digits:0:1}...) streamed into plain JSON is refused" 1 \
            "$BRINE" convert -t json "$T/int.json" -- \
            'has_err "an int of more than 4300 digits cannot be written as plain JSON"' '[ ! -s "$T/out" ]'
        check "an int of $n digits (${digits:0:1}...) is refused by -O plain" 1 \
            "$BRINE" convert -t json -O plain "$T/int.brn" -- \
            'has_err "Exceeds the limit (4300 digits) for integer string conversion"' '[ ! -s "$T/out" ]'
    fi
done <"$T/ints.txt"

# ---- a corrupt native file ------------------------------------------------------------

"$BRINE" convert "$T/big.json" -o "$T/big.brn" || fail "big.json to native"
"$PYTHON3" -c '
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.index(b"item 100000")
d[i + 3] = ord("x")
open(sys.argv[2], "wb").write(d)
' "$T/big.brn" "$T/bigbad.brn"
for to in native pickle msgpack json; do
    check "a corrupt native file converted to $to on stdout writes 0 bytes and exits with the checksum error" 1 \
        "$BRINE" convert -t $to "$T/bigbad.brn" -- '[ ! -s "$T/out" ]' \
        'err_matches "bigbad\.brn: offset [0-9]+: checksum mismatch: the file is corrupt"'
done
check "a corrupt native file on stdin from a file writes 0 bytes" 1 \
    sh -c '"$1" convert -f native -t native <"$2"' sh "$BRINE" "$T/bigbad.brn" -- '[ ! -s "$T/out" ]' \
    'has_err "<stdin>: offset "' 'has_err "checksum mismatch"'
check "a corrupt native file through a pipe still ends in the checksum error" 1 \
    sh -c 'cat "$2" | "$1" convert -f native -t native' sh "$BRINE" "$T/bigbad.brn" -- 'has_err "checksum mismatch"'
check "the intact native file converts to native byte for byte on stdout" 0 "$BRINE" convert -t native "$T/big.brn" -- \
    'cmp -s "$T/out" "$T/big.brn"'

# ---- write errors ------------------------------------------------------------------

# A reader that has seen enough (| head) ends brine quietly with 141, the
# status of a death by SIGPIPE, as jq and coreutils end (#17).
for cmd in "convert -t json" "show" "show --pretty"; do
    # shellcheck disable=SC2086
    "$BRINE" $cmd "$T/big.json" 2>"$T/err" | head -c1 >/dev/null
    st=("${PIPESTATUS[@]}")
    if [ "${st[0]}" = 141 ] && [ ! -s "$T/err" ]; then
        pass "brine $cmd into a closed pipe (| head -c1) ends quietly with 141"
    else
        fail "brine $cmd into a closed pipe (| head -c1) ends quietly with 141" "status ${st[*]}" "$(cat "$T/err")"
    fi
done
"$BRINE" formats --json 2>"$T/err" | head -c1 >/dev/null
st=("${PIPESTATUS[@]}")
# formats' output may fit the pipe before head exits: either it is all
# written (0) or it ends quietly (141).
if { [ "${st[0]}" = 0 ] || [ "${st[0]}" = 141 ]; } && [ ! -s "$T/err" ]; then
    pass "formats into a closed pipe ends quietly"
else
    fail "formats into a closed pipe ends quietly" "status ${st[*]}"
fi
if [ -w /dev/full ]; then
    check "-o /dev/full is exit 1: no space left" 1 "$BRINE" convert "$SAMPLE" -t json -o /dev/full -- \
        'has_err "/dev/full: write error: No space left on device"'
    check "stdout on /dev/full is exit 1" 1 sh -c '"$1" convert -t json "$2" >/dev/full' sh "$BRINE" "$SAMPLE" -- \
        'has_err "write error: No space left on device"'
    check "formats on /dev/full is exit 1" 1 sh -c '"$1" formats >/dev/full' sh "$BRINE" -- \
        'has_err "write error"'
else
    echo "skip - /dev/full is not writable here"
fi
check "a closed stdout descriptor is exit 1" 1 sh -c '"$1" convert -t json "$2" >&-' sh "$BRINE" "$SAMPLE" -- \
    'has_err "write error"'
check "-o /dev/null writes the device, not a temporary file in /dev" 0 "$BRINE" convert "$SAMPLE" -t json -o /dev/null -- \
    '[ -c /dev/null ]'

# ---- several inputs --------------------------------------------------------------

mkdir -p "$T/in" "$T/outdir"
cp "$SAMPLE" "$T/in/a.json"
cp "$T/s.msgpack" "$T/in/b.msgpack"
cp "$T/s.brn" "$T/in/c"
check "several inputs go into an existing directory with the new extension" 0 \
    "$BRINE" convert -t native -o "$T/outdir" "$T/in/a.json" "$T/in/b.msgpack" "$T/in/c" -- \
    '[ "$(ls "$T/outdir" | tr "\n" " ")" = "a.brn b.brn c.brn " ]' \
    'same_value "$T/outdir/a.brn" "$T/outdir/b.brn" "$T/outdir/c.brn"'
check "a directory named with a trailing slash takes a single input" 0 \
    "$BRINE" convert -t json -o "$T/outdir/" "$T/in/b.msgpack" -- 'same_value "$T/outdir/b.json"'
check "a directory needs -t" 2 "$BRINE" convert -o "$T/outdir/" "$T/in/a.json" -- 'has_err "give -t FORMAT"'
check "two inputs with one output name are a usage error" 2 \
    "$BRINE" convert -t json -o "$T/outdir/" "$T/in/a.json" "$T/a.json" -- 'has_err "both be written to"'
check "stdin cannot go into a directory" 2 "$BRINE" convert -t json -o "$T/outdir/" - -- 'has_err "standard input"'
rm -f "$T/outdir"/*
check "one bad input among several is exit 1 and the others are converted" 1 \
    "$BRINE" convert -t msgpack -o "$T/outdir/" "$T/in/a.json" "$T/bad.json" "$T/in/c" -- \
    '[ "$(ls -A "$T/outdir" | tr "\n" " ")" = "a.msgpack c.msgpack " ]' 'has_err "bad.json:2:"'

# ---- check ---------------------------------------------------------------------------

printf '{"a": [1, 2, {"b": null}]}' >"$T/stats.json"
check "check prints ok with the format, value count and depth" 0 "$BRINE" check "$T/stats.json" "$T/s.msgpack" -- \
    'grep -q -x ".*/stats\.json: ok (json, 8 values, depth 3)" "$T/out"' \
    'grep -q -x ".*/s\.msgpack: ok (msgpack, 63 values, depth 5)" "$T/out"'
check "check counts a scalar as one value at depth 0" 0 sh -c 'printf 42 | "$1" check -f json -' sh "$BRINE" -- \
    'grep -q -x "<stdin>: ok (json, 1 value, depth 0)" "$T/out"'
check "check reports each bad file with its location and exits 1" 1 \
    "$BRINE" check "$T/stats.json" "$T/bad.json" "$T/trunc.msgpack" "$T/nonexistent.json" -- \
    'grep -q "stats\.json: ok" "$T/out"' 'grep -q -E "bad\.json: error: 2:[0-9]+: ." "$T/out"' \
    'grep -q -E "trunc\.msgpack: error: offset [0-9]+: ." "$T/out"' \
    'grep -q "nonexistent\.json: error: No such file or directory" "$T/out"' '[ "$(wc -l <"$T/out")" = 4 ]'
check "check -q prints only the failures" 1 "$BRINE" check -q "$T/stats.json" "$T/bad.json" -- \
    '[ "$(wc -l <"$T/out")" = 1 ]' 'grep -q "bad\.json: error" "$T/out"'
check "check reads stdin" 0 sh -c '"$1" check - <"$2"' sh "$BRINE" "$T/s.msgpack" -- 'has_out "<stdin>: ok (msgpack"'
check "check with an unknown -f is a usage error" 2 "$BRINE" check -f nosuch "$SAMPLE"
check "check -f decodes with the named format" 1 "$BRINE" check -f msgpack "$SAMPLE" -- 'has_out "error"'

# ---- show ------------------------------------------------------------------------------

check "show reads stdin and sniffs it" 0 sh -c '"$1" show <"$2"' sh "$BRINE" "$T/s.brn" -- \
    'cmp -s "$T/out" "$T/sample.repr"'
check "show of bad data is exit 1 with the location" 1 "$BRINE" show "$T/bad.json" -- \
    'err_matches "bad\.json:2:[0-9]+: "' '[ ! -s "$T/out" ]'
check "show of a too deep value is exit 1" 1 "$BRINE" show "$T/deep1001.json" -- 'has_err "maximum recursion depth"'

# ---- progress ------------------------------------------------------------------------------

check "--progress shows bytes read and written" 0 "$BRINE" convert --progress "$SAMPLE" -o "$T/p.msgpack" -- \
    'grep -q -E "^brine: .*sample\.json: read [0-9.]+ [KMG]?i?B of [0-9.]+ [KMG]?i?B \(100%\), wrote [0-9.]+ [KMG]?i?B" "$T/err"'
check "-q silences --progress" 0 "$BRINE" convert -q --progress "$SAMPLE" -o "$T/p.msgpack" -- '[ ! -s "$T/err" ]'
check "no progress by default when stderr is not a terminal" 0 "$BRINE" convert "$T/big.json" -o "$T/p.msgpack" -- \
    '[ ! -s "$T/err" ]'

# ---- signals -----------------------------------------------------------------------------------

mkfifo "$T/fifo"
mkdir -p "$T/sig"
# A non-interactive shell starts background jobs with SIGINT and SIGQUIT
# ignored, and nohup (make check run under it) ignores SIGHUP; brine then
# keeps them ignored, as it should: env restores every signal's default
# where it can.
default_sig=()
env --default-signal true 2>/dev/null && default_sig=(env --default-signal)
# killed_by SIG: a conversion blocked on its input, with its temporary file
# open, is sent SIG; it must die of SIG (status 128 + its number) and leave
# no temporary file.
killed_by() {
    local sig=$1 desc="SIG$1 during a conversion removes the temporary file and ends brine with SIG$1"
    (
        ulimit -c 0
        exec "${default_sig[@]}" "$BRINE" convert -f json -t msgpack -o "$T/sig/out.msgpack" <"$T/fifo" 2>"$T/err"
    ) &
    local pid=$!
    exec 3>"$T/fifo"
    # More than the bytes peeked for sniffing, so the output file gets opened.
    printf '[%s' "$(seq -s ', ' 100)," >&3
    for _ in $(seq 300); do
        [ -n "$(ls -A "$T/sig")" ] && break
        sleep 0.05
    done
    local had_temp st
    had_temp=$(ls -A "$T/sig")
    kill -"$sig" "$pid"
    wait "$pid" 2>/dev/null
    st=$?
    exec 3>&-
    if grep -q -e 'Sanitizer' "$T/err"; then
        # A sanitizer keeps its own handler for the synchronous signals
        # (output.c leaves a handler someone else installed alone).
        echo "skip - SIG$sig: the sanitizer's handler took it"
    elif [ -n "$had_temp" ] && [ -z "$(ls -A "$T/sig")" ] && [ "$st" = $((128 + $(kill -l "$sig"))) ]; then
        pass "$desc"
    else
        fail "$desc" "temp: '$had_temp' left: '$(ls -A "$T/sig")' status $st"
    fi
    rm -f "$T/sig"/.out.msgpack.*
}
# The synchronous signals (SEGV, BUS, ILL, FPE, ABRT, TRAP, SYS: sent with
# kill here, as a crash in a plugin would raise them) and the real-time ones
# clean up too (#16).
for sig in TERM HUP QUIT USR1 USR2 ALRM VTALRM PROF INT SEGV BUS ILL FPE ABRT TRAP SYS RTMIN RTMIN+1 RTMAX; do
    if [ ${#default_sig[@]} = 0 ] && { [ $sig = INT ] || [ $sig = QUIT ]; }; then
        echo "skip - SIG$sig: env --default-signal is missing, a background job ignores it"
        continue
    fi
    killed_by $sig
done

# SIGXFSZ is ignored, so a file larger than `ulimit -f` is a write error
# (EFBIG) reported like a full disk.
mkdir -p "$T/fsize"
check "a file-size limit exceeded with -o is exit 1 with EFBIG and no temporary file" 1 \
    sh -c 'ulimit -f 64 && exec "$1" convert -t json "$2" -o "$3"' sh "$BRINE" "$T/big.json" "$T/fsize/out.json" -- \
    'has_err "fsize/out.json: write error: File too large"' '[ -z "$(ls -A "$T/fsize")" ]'
check "a file-size limit exceeded on stdout is exit 1 with EFBIG" 1 \
    sh -c 'ulimit -f 64 && exec "$1" convert -t json "$2" >"$3"' sh "$BRINE" "$T/big.json" "$T/fsize/stdout.json" -- \
    'has_err "<stdout>: write error: File too large"'

# ---- #17: the command line people already know (jq, remarshal, msgpack-tools) ----

printf '{"b": 1, "a": [1, 2], "users": [{"name": "ann"}, {"name": "bob"}], "odd key": 3}' >"$T/u.json"
# Text output ends with a newline (jq, json.tool); show too.
check "compact JSON output ends with a newline" 0 "$BRINE" convert -t json "$T/u.json" -- \
    '[ "$(tail -c1 "$T/out" | od -An -c | tr -d " ")" = "\\n" ]' '[ "$(wc -l <"$T/out")" = 1 ]'
check "compact JSON written to a file ends with a newline" 0 "$BRINE" convert "$T/u.json" -o "$T/nl.json" -- \
    '[ "$(tail -c1 "$T/nl.json" | od -An -c | tr -d " ")" = "\\n" ]'
check "binary output gets no newline" 0 "$BRINE" convert -t msgpack "$T/u.json" -- \
    '[ "$(tail -c1 "$T/out" | od -An -tx1 | tr -d " ")" = 03 ]'
check "show ends with a newline" 0 "$BRINE" show "$T/u.json" -- '[ "$(wc -l <"$T/out")" = 1 ]'

# Bad option values and names: exit 2 naming the option and what it
# takes. Rows: description | expected stderr text | arguments.
"$BRINE" convert -t msgpack "$T/u.json" -o "$T/u.msgpack"
while IFS='|' read -r desc want args; do
    # shellcheck disable=SC2086
    check "$desc" 2 "$BRINE" $args -- "has_err \"$want\"" 'has_err "Try '"'"'brine"'
done <<ROWS
-O protocol=9 for pickle is a usage error naming the values|protocol takes 2, 3, 4 or 5, not '9'|convert -t pickle -O protocol=9 $T/u.json
-O refs=yesplease for msgpack is a usage error naming the values|refs takes no value or one of 1, true, yes, on, 0, false, no, off; not 'yesplease'|convert -t msgpack -O refs=yesplease $T/u.json
-I sequence=maybe for the msgpack reader is a usage error|sequence takes no value or one of|show -I sequence=maybe $T/u.msgpack
-I invalid_utf8=maybe is a usage error naming the values|invalid_utf8 takes error or bytes, not 'maybe'|show -I invalid_utf8=maybe $T/u.msgpack
a misspelt output format gets a suggestion|unknown output format 'msgpak'; did you mean 'msgpack'?|convert -t msgpak $T/u.json
a misspelt input format gets a suggestion|unknown input format 'jsn'; did you mean 'json'?|show -f jsn $T/u.json
a name far from every format gets none|unknown output format 'toml' (formats:|convert -t toml $T/u.json
-O for the reader says to use -I|('lines' is an option of json's reader: use -I lines)|convert -t msgpack -O lines $T/u.json
-I for the writer says to use -O|('pretty' is an option of json's writer: use -O pretty)|convert -t json -I pretty $T/u.msgpack
--indent beyond 16 is a usage error|--indent wants a number of spaces from 0 to 16, not '17'|convert -t json --indent 17 $T/u.json
-O indent=17 is a usage error naming the values|indent takes a number of spaces from 0 to 16, or tab; not '17'|convert -t json -O indent=17 $T/u.json
--indent on JSON Lines is a usage error|the json options indent and lines cannot be combined|convert -t jsonl --indent 2 $T/u.json
--indent on a binary format is a usage error|--indent and --tab apply to text formats; msgpack has no indentation|convert -t msgpack --indent 2 $T/u.json
a malformed --select path is a usage error with its offset|bad path '\$.users[x' at offset 8|convert -t json --select \$.users[x $T/u.json
ROWS
# Every flag of every format takes only a flag's spellings (docs/plugins.md,
# "Options"): a typo is exit 2 naming the values, not read as on.
for flag in plain tagged refs lines pretty sort_keys ascii; do
    check "-O $flag=maybe for json is a usage error naming the values" 2 "$BRINE" convert -t json -O "$flag=maybe" \
        "$T/u.json" -- "has_err \"$flag takes no value or one of 1, true, yes, on, 0, false, no, off; not 'maybe'\"" \
        '[ ! -s "$T/out" ]'
done
for flag in plain legacy_tags refs lines replace_invalid; do
    check "-I $flag=maybe for json is a usage error naming the values" 2 "$BRINE" show -I "$flag=maybe" "$T/u.json" -- \
        "has_err \"$flag takes no value or one of 1, true, yes, on, 0, false, no, off; not 'maybe'\""
done
for flag in refs plain sequence; do
    check "-O $flag=maybe for msgpack is a usage error" 2 "$BRINE" convert -t msgpack -O "$flag=maybe" "$T/u.json" -- \
        "has_err \"$flag takes no value or one of\""
done
check "-O pretty=yesplease (#17's example) is a usage error" 2 "$BRINE" convert -t json -O pretty=yesplease "$T/u.json" \
    -- "has_err \"bad option value: pretty takes no value or one of 1, true, yes, on, 0, false, no, off; not 'yesplease'\""
check "-O pretty=Yes is a flag's spelling" 0 "$BRINE" convert -t json -O pretty=Yes "$T/u.json" -- \
    'grep -q "^  \"b\": 1,$" "$T/out"'
check "-O pretty=off turns it off" 0 "$BRINE" convert -t json -O pretty=off "$T/u.json" -- '[ "$(wc -l <"$T/out")" = 1 ]'
check "-O lines=maybe for jsonl is a usage error" 2 "$BRINE" convert -t jsonl -O lines=maybe "$T/u.json" -- \
    "has_err \"lines takes no value or one of\""
for name in JSON Json MsgPack NATIVE; do
    check "format names are case-insensitive: -t $name" 0 "$BRINE" convert -t "$name" "$T/u.json" -o "$T/case.out"
done
check "-f MSGPACK reads msgpack" 0 "$BRINE" show -f MSGPACK "$T/u.msgpack" -- 'has_out "'"'"'odd key'"'"': 3"'
check "-O on show is taken for -I with a warning" 0 "$BRINE" show -O invalid_utf8=bytes "$T/badutf.msgpack" -- \
    'has_err "warning: -O sets writer options"' 'has_err "use -I invalid_utf8=bytes"' \
    '[ "$(cat "$T/out")" = "b'"'"'\\xff'"'"'" ]'

# -O plain writes what json.dumps writes and refuses what it refuses (#17).
printf '\222\001\304\001x' >"$T/bytes.msgpack"           # [1, b'x']
check "-O plain refuses bytes as json.dumps does, with the path" 1 "$BRINE" convert -t json -O plain \
    "$T/bytes.msgpack" -o "$T/plain.json" -- 'has_err "Object of type bytes is not JSON serializable at \$[1]"' \
    '[ ! -e "$T/plain.json" ]'
if "$PYTHON3" -c 'import pickle' 2>/dev/null; then
    "$PYTHON3" -c 'import pickle, sys; pickle.dump({"t": (1, 2), 3: [1j]}, open(sys.argv[1], "wb"), 2)' "$T/c.pkl"
    check "-O plain refuses complex as json.dumps does, with the path" 1 "$BRINE" convert -t json -O plain "$T/c.pkl" \
        -- 'has_err "Object of type complex is not JSON serializable at \$[3][0]"'
    "$PYTHON3" -c 'import pickle, sys; pickle.dump({"t": (1, 2), 3: None}, open(sys.argv[1], "wb"), 2)' "$T/t.pkl"
    check "-O plain writes tuples as arrays and int keys as text, as json.dumps does" 0 "$BRINE" convert -t json \
        -O plain "$T/t.pkl" -- '[ "$(cat "$T/out")" = "{\"t\":[1,2],\"3\":null}" ]'
fi

# --indent, --tab, --sort-keys.
check "--indent 2 pretty-prints JSON" 0 "$BRINE" convert -t json --indent 2 "$T/u.json" -- \
    'grep -q "^  \"b\": 1,$" "$T/out"'
check "--indent 0 is compact" 0 "$BRINE" convert -t json --indent 0 "$T/u.json" -- '[ "$(wc -l <"$T/out")" = 1 ]'
check "--indent 4 indents by 4" 0 "$BRINE" convert -t json --indent 4 "$T/u.json" -- \
    'grep -q "^    \"b\": 1,$" "$T/out"' 'grep -q "^            \"name\": \"ann\"$" "$T/out"'
check "--tab indents by tabs" 0 "$BRINE" convert -t json --tab "$T/u.json" -- 'grep -q "^	\"b\": 1,$" "$T/out"' \
    'grep -q "^			\"name\": \"ann\"$" "$T/out"'
check "--indent 16 is the widest" 0 "$BRINE" convert -t json --indent 16 "$T/u.json" -o "$T/i16.json" -- \
    'grep -q "^                \"b\": 1,$" "$T/i16.json"'
check "-O indent=3 is the writer's option" 0 "$BRINE" convert -t json -O indent=3 "$T/u.json" -- \
    'grep -q "^   \"b\": 1,$" "$T/out"'
if "$PYTHON3" -c 'import json' 2>/dev/null; then
    for n in 1 4 7; do
        check "--indent $n writes what json.dumps(indent=$n) does" 0 "$BRINE" convert -t json --indent $n "$T/u.json" -- \
            "[ \"\$(cat \"\$T/out\")\" = \"\$(\"\$PYTHON3\" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), indent=$n))' \"\$T/u.json\")\" ]"
    done
    check "--tab writes what json.dumps(indent='\\t') does" 0 "$BRINE" convert -t json --tab --sort-keys "$T/u.json" -- \
        "[ \"\$(cat \"\$T/out\")\" = \"\$(\"\$PYTHON3\" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), indent=chr(9), sort_keys=True))' \"\$T/u.json\")\" ]"
fi
printf '\204\241b\001\241a\002\003\003\300\004' >"$T/mixed.msgpack" # {"b": 1, "a": 2, 3: 3, None: 4}
for fmt in json msgpack native pickle; do
    check "--sort-keys sorts the keys of $fmt output" 0 \
        sh -c '"$1" convert --sort-keys -t "$2" "$3" | "$1" show -f "$2"' sh "$BRINE" "$fmt" "$T/u.json" -- \
        '[ "$(cat "$T/out")" = "{'"'"'a'"'"': [1, 2], '"'"'b'"'"': 1, '"'"'odd key'"'"': 3, '"'"'users'"'"': [{'"'"'name'"'"': '"'"'ann'"'"'}, {'"'"'name'"'"': '"'"'bob'"'"'}]}" ]'
done
check "--sort-keys puts mixed keys in type order: None, numbers, str" 0 \
    sh -c '"$1" convert --sort-keys -t msgpack "$2" | "$1" show -f msgpack' sh "$BRINE" "$T/mixed.msgpack" -- \
    '[ "$(cat "$T/out")" = "{None: 4, 3: 3, '"'"'a'"'"': 2, '"'"'b'"'"': 1}" ]'
check "without --sort-keys the order is kept" 0 sh -c '"$1" convert -t msgpack "$2" | "$1" show -f msgpack' sh "$BRINE" \
    "$T/mixed.msgpack" -- '[ "$(cat "$T/out")" = "{'"'"'b'"'"': 1, '"'"'a'"'"': 2, 3: 3, None: 4}" ]'

# Select part of a document: show FILE PATH, convert --select PATH.
while IFS='|' read -r path want; do
    check "show FILE '$path'" 0 "$BRINE" show "$T/u.json" "$path" -- "[ \"\$(cat \"\$T/out\")\" = \"$want\" ]"
done <<ROWS
\$.users[1].name|'bob'
\$['odd key']|3
\$["odd key"]|3
\$.users[-1]|{'name': 'bob'}
\$.a[0]|1
\$|{'b': 1, 'a': [1, 2], 'users': [{'name': 'ann'}, {'name': 'bob'}], 'odd key': 3}
ROWS
check "convert --select writes the subtree alone" 0 "$BRINE" convert -t json --select '$.users[0]' "$T/u.json" -- \
    '[ "$(cat "$T/out")" = "{\"name\":\"ann\"}" ]'
check "a missing key is exit 1 saying how far the path exists" 1 "$BRINE" show "$T/u.json" '$.users[1].age' -- \
    'has_err "u.json: $.users[1].age: no such key .age (the path exists up to $.users[1])"'
check "an index out of range is exit 1" 1 "$BRINE" convert -t json --select '$.a[5]' "$T/u.json" -- \
    'has_err "index out of range [5] (the path exists up to $.a)"'
check "show's second operand must be a path" 2 "$BRINE" show "$T/u.json" "$T/u.json" -- 'has_err "is not a path"'

# show --pretty: one element a line where a line would be too long.
awk 'BEGIN { printf "{\"items\": ["; for (i = 0; i < 30; i++) printf "%s{\"id\": %d, \"tags\": [\"a\", \"b\"]}", (i ? ", " : ""), i; printf "], \"n\": 30}" }' >"$T/wide.json"
check "show --pretty breaks long containers over indented lines" 0 "$BRINE" show --pretty "$T/wide.json" -- \
    '[ "$(sed -n 1p "$T/out")" = "{" ]' '[ "$(sed -n 2p "$T/out")" = "    '"'"'items'"'"': [" ]' \
    '[ "$(sed -n 3p "$T/out")" = "        {'"'"'id'"'"': 0, '"'"'tags'"'"': ['"'"'a'"'"', '"'"'b'"'"']}," ]' \
    '[ "$(tail -n 1 "$T/out")" = "}" ]' '[ "$(wc -l <"$T/out")" = 35 ]'
check "show --pretty keeps a short value on one line" 0 "$BRINE" show --pretty "$T/u.json" "\$.users" -- \
    '[ "$(cat "$T/out")" = "[{'"'"'name'"'"': '"'"'ann'"'"'}, {'"'"'name'"'"': '"'"'bob'"'"'}]" ]'
if command -v "$PYTHON3" >/dev/null; then
    check "show --pretty prints a Python expression equal to show's" 0 sh -c \
        '"$1" show --pretty "$2" >"$3.p" && "$1" show "$2" >"$3.f" && "$4" -c "import sys; a = eval(open(sys.argv[1]).read()); b = eval(open(sys.argv[2]).read()); sys.exit(a != b)" "$3.p" "$3.f"' \
        sh "$BRINE" "$T/wide.json" "$T/pp" "$PYTHON3"
fi

# brine diff: 0 same, 1 different, 2 trouble.
printf '{"a": 1, "b": [1, 2.5], "c": "x"}' >"$T/d1.json"
printf '{"c": "x", "b": [1.0, 2.5], "a": 1}' >"$T/d2.json"
printf '{"a": 2, "b": [1, 2.5, 3], "d": null}' >"$T/d3.json"
"$BRINE" convert -t msgpack "$T/d1.json" -o "$T/d1.msgpack"
"$BRINE" convert -t pickle "$T/d1.json" -o "$T/d1.pkl"
check "diff of a file and its conversion is 0" 0 "$BRINE" diff "$T/d1.json" "$T/d1.msgpack" -- '[ ! -s "$T/out" ]'
check "diff json against pickle is 0" 0 "$BRINE" diff "$T/d1.pkl" "$T/d1.json"
check "diff: 1 == 1.0 and dict order does not matter" 0 "$BRINE" diff "$T/d1.json" "$T/d2.json"
check "diff --strict sees 1 != 1.0 and the order" 1 "$BRINE" diff --strict "$T/d1.json" "$T/d2.json" -- \
    'has_out "$: the same keys in another order"' 'has_out "$.b[0]: 1 != 1.0"'
check "diff prints the differing paths and exits 1" 1 "$BRINE" diff "$T/d1.json" "$T/d3.json" -- \
    'has_out "$.a: 1 != 2"' 'has_out "$.b: a list of 2 != a list of 3 (lengths differ)"' \
    'has_out "$.c: only in A ('"'"'x'"'"')"' 'has_out "$.d: only in B (None)"' '[ "$(wc -l <"$T/out")" = 4 ]'
printf '[[1, 2], [3]]' >"$T/lists.json"
printf '\222\222\001\002\221\003' >"$T/lists.msgpack"
printf '\200\004\225\014\000\000\000\000\000\000\000K\001K\002\206\224K\003\205\224\206\224.' >"$T/tuples.pkl" # ((1, 2), (3,))
check "diff: a tuple equals the list a format made of it" 0 "$BRINE" diff "$T/tuples.pkl" "$T/lists.msgpack"
check "diff --strict: a tuple is not a list" 1 "$BRINE" diff --strict "$T/tuples.pkl" "$T/lists.msgpack" -- \
    'has_out "$: a tuple of 2 != a list of 2"'
check "diff of a missing file is 2" 2 "$BRINE" diff "$T/d1.json" "$T/nonexistent.json" -- 'has_err "No such file"'
check "diff of one file is a usage error" 2 "$BRINE" diff "$T/d1.json" -- 'has_err "give two files"'
awk 'BEGIN { printf "["; for (i = 1; i <= 25; i++) printf "%s%d", (i > 1 ? ", " : ""), i; printf "]" }' >"$T/n25.json"
awk 'BEGIN { printf "["; for (i = 1; i <= 25; i++) printf "%s%d", (i > 1 ? ", " : ""), -i; printf "]" }' >"$T/m25.json"
check "diff shows the first 10 paths and counts the rest" 1 "$BRINE" diff "$T/n25.json" "$T/m25.json" -- \
    '[ "$(wc -l <"$T/out")" = 11 ]' 'has_out "\$[0]: 1 != -1"' 'has_out "... and 15 more differences"'

# A misnamed file and an empty one say so.
cp "$T/u.json" "$T/misnamed.msgpack"
check "a .msgpack file holding JSON says so" 1 "$BRINE" convert -t json "$T/misnamed.msgpack" -- \
    'has_err "misnamed.msgpack: looks like json, not msgpack as its extension says; use -f json"'
check "... and so does check" 1 "$BRINE" check "$T/misnamed.msgpack" -- \
    'has_out "misnamed.msgpack: error: looks like json, not msgpack"'
: >"$T/empty.json"
check "an empty input says empty input" 1 "$BRINE" convert -t msgpack "$T/empty.json" -- \
    'has_err "empty.json: empty input"'
check "an empty stdin says empty input" 1 sh -c '"$1" show -f json </dev/null' sh "$BRINE" -- 'has_err "<stdin>: empty input"'

# brine convert IN OUT like remarshal; an existing OUT needs -o.
rm -f "$T/pos.msgpack"
check "convert IN OUT writes OUT when it does not exist" 0 "$BRINE" convert "$T/u.json" "$T/pos.msgpack" -- \
    '[ -s "$T/pos.msgpack" ]' '[ "$("$BRINE" show "$T/pos.msgpack")" = "$("$BRINE" show "$T/u.json")" ]'
check "convert IN OUT refuses an existing OUT, showing the -o form" 2 "$BRINE" convert "$T/u.json" "$T/pos.msgpack" -- \
    'has_err "exists: to overwrite it, give '"'"'brine convert $T/u.json -o $T/pos.msgpack'"'"'"'
check "-o into a directory that does not exist says it must exist" 1 \
    "$BRINE" convert -t json -o "$T/nodir/" "$T/u.json" "$T/d1.json" -- 'has_err "nodir/: no such directory"'

# The man page and docs match the behaviour.
MAN=$(dirname "$BRINE")/brine.1 # made from brine.1.in with the configured plugin directory
check "the man page has no '-t brine' (the format is native)" 1 grep -q -e '-t brine' "$MAN"
check "the man page lists pickle and the diff command" 0 sh -c 'grep -q pickle "$1" && grep -q "^\.B diff$" "$1"' sh "$MAN"
check "the man page's FILES names the configured plugin directory" 0 grep -q -E '^\.I /.*/brine/plugins$' "$MAN"
check "the man page has no unsubstituted @pkglibdir@" 1 grep -q "@pkglibdir" "$MAN"
check "docs/plugins.md's -O example is not the indent=4 no format has" 1 \
    grep -q -e '-O indent=4' "$BRINE_TEST_SRCDIR/../docs/plugins.md"

# Bash completion offers the chosen format's option names.
COMP=$BRINE_TEST_SRCDIR/../tools/brine.bash-completion
complete_words() {
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _brine; echo "${COMPREPLY[*]}"' \
        sh "$COMP" "$@"
}
while IFS='|' read -r desc want words; do
    # shellcheck disable=SC2086
    got=$(complete_words "$BRINE" $words "")
    if [ "$got" = "$want" ]; then pass "completion: $desc"; else fail "completion: $desc" "got '$got', wanted '$want'"; fi
done <<ROWS
-O after -t msgpack lists msgpack's writer options|refs plain sequence numpy|convert -t msgpack -O
-O after -o x.msgpack lists them too|refs plain sequence numpy|convert in.json -o x.msgpack -O
-I after a .msgpack input lists its reader options|refs plain sequence numpy invalid_utf8|show in.msgpack -I
-O after -t pickle|protocol zerod allow|convert -t pickle -O
the commands include audit and diff|convert formats show check audit diff help|
ROWS

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
