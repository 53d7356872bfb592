#!/bin/bash
# test_example_plugin.sh: builds examples/plugin (the bencode plugin) outside
# the brine tree the way a third party would -- its own Makefile, flags from
# brine.pc through pkg-config -- against the just-built headers and libbrine,
# installs it into a temporary plugin directory, then runs example_driver and
# converts data through it with the brine command, via BRINE_PLUGIN_PATH.
# It also builds and runs the code of docs/plugins.md. Exit 77 without a C
# compiler.
set -u

: "${BRINE:?BRINE must name the built brine command}"
: "${BRINE_TEST_SRCDIR:?BRINE_TEST_SRCDIR must name tests/ in the source tree}"
: "${BRINE_TOP_BUILDDIR:?BRINE_TOP_BUILDDIR must name the top of the build tree}"
CC=${BRINE_CC:-cc}
CFLAGS=${BRINE_EXAMPLE_CFLAGS:--g -O2}
LDFLAGS=${BRINE_EXAMPLE_LDFLAGS:-}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
PYTHON3=${PYTHON3:-python3}
TOP_SRCDIR=$(cd "$BRINE_TEST_SRCDIR/.." && pwd)
BUILDDIR=$BRINE_TOP_BUILDDIR
. "$BRINE_TEST_SRCDIR/shtest.sh" example

read -r cc_prog _ <<<"$CC"
if ! command -v "$cc_prog" >/dev/null 2>&1; then
    echo "SKIP: no C compiler ($CC)"
    exit 77
fi

# run WANT CMD...: runs CMD with stdout in $T/out and stderr in $T/err; sets
# RUN_OK=1 when it exits with WANT and no sanitizer spoke, else RUN_WHY.
run() {
    local want=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    local status=$?
    RUN_OK=0
    if grep -q -e 'Sanitizer' -e 'runtime error:' "$T/err"; then
        RUN_WHY="sanitizer report: $(head -c 800 "$T/err")"
    elif [ "$status" -ne "$want" ]; then
        RUN_WHY="exit status $status, wanted $want; stderr: $(head -c 800 "$T/err")"
    else
        RUN_OK=1
    fi
}

# check DESC WANT CMD... [-- TEST...]: runs CMD; each TEST (a shell snippet
# that may use $T/out and $T/err) must hold too.
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
    if [ "$RUN_OK" -ne 1 ]; then
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

# ---- the guide's code compiles ----------------------------------------------
# Every C block of docs/plugins.md is a complete translation unit.

GUIDE=$TOP_SRCDIR/docs/plugins.md
mkdir -p "$T/guide" "$T/guide-plugins" || exit 99
awk -v dir="$T/guide" '
    /^```c$/ { n++; file = sprintf("%s/block%02d.c", dir, n); inside = 1; next }
    /^```/ { inside = 0; next }
    inside { print > file }
' "$GUIDE"
blocks=$(ls "$T/guide"/block*.c 2>/dev/null | wc -l)
if [ "$blocks" -ge 3 ]; then
    pass "docs/plugins.md has $blocks C blocks"
else
    fail "docs/plugins.md has C blocks" "found $blocks"
fi
for f in "$T/guide"/block*.c; do
    [ -f "$f" ] || continue
    check "guide $(basename "$f") compiles" 0 \
        $CC -std=c11 -Wall -Wextra -Werror -Wno-unused-function -I"$TOP_SRCDIR/include" -c "$f" -o "$f.o"
done

# A plugin file needs a shared libbrine to link against: with a static one
# (--disable-shared) it would carry its own copy of libbrine's code.
if [ ! -e "$BUILDDIR/core/.libs/libbrine.so" ]; then
    echo "$passed passed, $failed failed"
    echo "SKIP: libbrine is built static only; third-party plugin files need the shared library"
    [ "$failed" -eq 0 ] && exit 77
    exit 1
fi

# ---- build and install the example as an outsider --------------------------

# An outsider's checkout of the example, away from the brine tree.
mkdir -p "$T/src" "$T/plugins" || exit 99
cp "$TOP_SRCDIR/examples/plugin/bencode.c" "$TOP_SRCDIR/examples/plugin/Makefile" \
    "$TOP_SRCDIR/examples/plugin/sample.json" "$T/src/" || exit 99

# brine.pc from this build, pointed at the build tree instead of the install
# prefix: same Cflags, Libs and plugindir variable a user's pkg-config sees.
PC="$PKG_CONFIG --define-variable=includedir=$TOP_SRCDIR/include"
PC="$PC --define-variable=libdir=$BUILDDIR/core/.libs --define-variable=plugindir=$T/plugins"
export PKG_CONFIG_PATH=$BUILDDIR
check "brine.pc gives the flags to build a plugin" 0 \
    $PKG_CONFIG --cflags --libs brine -- \
    'grep -q -- "-I.* -L.* -lbrine" "$T/out"'
check "brine.pc names the installed plugin directory" 0 \
    $PKG_CONFIG --variable=plugindir brine -- \
    'grep -q "/brine/plugins$" "$T/out"'

check "the example builds out of tree with its Makefile and pkg-config" 0 \
    make -C "$T/src" PKG_CONFIG="$PC" CC="$CC" CFLAGS="$CFLAGS -Wall -Wextra -Werror" LDFLAGS="$LDFLAGS" \
    install -- \
    '[ -f "$T/plugins/bencode.so" ]'
SO=$T/plugins/bencode.so

# Only the entry point is exported: the plugin's statics cannot clash with
# another plugin's.
check "the plugin exports its entry point and nothing of its own" 0 \
    nm -D --defined-only "$SO" -- \
    'grep -q " T bencode_LTX_brine_plugin_entry$" "$T/out"' \
    '! grep -q " bc_" "$T/out"'

# ---- the Check driver ----------------------------------------------------------

check "example_driver passes (round trips, errors, depth, hostile input)" 0 \
    env BRINE_PLUGIN_PATH="$T/plugins" BRINE_EXAMPLE_SO="$SO" "$BUILDDIR/tests/example_driver" -- \
    'grep -q -E "^100%: Checks: [1-9][0-9]*, Failures: 0, Errors: 0" "$T/out"'

# ---- the brine command ------------------------------------------------------

export BRINE_PLUGIN_PATH=$T/plugins
SAMPLE=$T/src/sample.json
# sample.json in bencode: keys sorted by their bytes, ints exact.
printf '%s' 'd3:bigi123456789012345678901234567890e4:name5:brine8:negativei-42e6:nestedd1:ade1:blee' \
    '4:tagsl9:serialize7:plugins9:ünïcodee7:versionli0ei1ei0eee' >"$T/want.torrent"

check "brine formats lists bencode with the file it came from" 0 \
    "$BRINE" formats -- \
    'grep -q "^bencode 1.0.0: " "$T/out"' 'grep -q -E "^ +file: +$SO\$" "$T/out"'
check "brine formats --plugin-path finds it without the variable" 0 \
    env -u BRINE_PLUGIN_PATH "$BRINE" formats --plugin-path "$T/plugins" -- \
    'grep -q -E "^ +file: +$SO\$" "$T/out"'
check "without the plugin path brine does not know bencode" 0 \
    env -u BRINE_PLUGIN_PATH "$BRINE" formats -- \
    '! grep -q bencode "$T/out"'

check "json converts to bencode with -t" 0 \
    "$BRINE" convert -t bencode "$SAMPLE" -o "$T/sample.torrent" -- \
    'cmp -s "$T/sample.torrent" "$T/want.torrent"'
check "bencode converts back to json with -f" 0 \
    "$BRINE" convert -f bencode -t json "$T/sample.torrent" -o "$T/back.json" -- \
    '[ -s "$T/back.json" ]'
if command -v "$PYTHON3" >/dev/null 2>&1; then
    check "the json that comes back holds the same data" 0 \
        "$PYTHON3" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
        "$SAMPLE" "$T/back.json"
fi
check "the json that comes back converts to the same bencode bytes" 0 \
    "$BRINE" convert -t bencode "$T/back.json" -o "$T/again.torrent" -- \
    'cmp -s "$T/again.torrent" "$T/want.torrent"'
check "the output format follows the .torrent extension" 0 \
    "$BRINE" convert "$SAMPLE" -o "$T/by-extension.torrent" -- \
    'cmp -s "$T/by-extension.torrent" "$T/want.torrent"'
check "bencode on stdin is recognised by sniffing" 0 \
    sh -c '"$1" convert -t json <"$2" >"$3"' sh "$BRINE" "$T/sample.torrent" "$T/sniffed.json" -- \
    'cmp -s "$T/sniffed.json" "$T/back.json"'
check "brine check reports a bencode file" 0 \
    "$BRINE" check "$T/sample.torrent" -- \
    'grep -q "ok (bencode, " "$T/out"'
check "brine show prints the decoded value" 0 \
    "$BRINE" show "$T/sample.torrent" -- \
    "grep -q -F \"'negative': -42\" \"\$T/out\"" \
    "grep -q -F \"'big': 123456789012345678901234567890\" \"\$T/out\""

printf 'd1:bi1e1:ai2ee' >"$T/unsorted.torrent"
check "an unsorted dict is an error with its offset" 1 \
    "$BRINE" convert -t json "$T/unsorted.torrent" -- \
    'grep -q -F "unsorted.torrent: offset 7: dict key '"'a'"' is out of order after '"'b'"'" "$T/err"'
check "the unsorted option reaches the bencode decoder" 0 \
    "$BRINE" convert -I unsorted -t bencode "$T/unsorted.torrent" -- \
    '[ "$(cat "$T/out")" = "d1:ai2e1:bi1ee" ]'
# Its flags are declared BRINE_OPT_FLAG: libbrine checks their values.
check "-I unsorted=no turns the flag off" 1 "$BRINE" convert -I unsorted=no -t bencode "$T/unsorted.torrent" -- \
    'grep -q -F "out of order" "$T/err"'
check "-I unsorted=maybe is a usage error naming a flag's values" 2 \
    "$BRINE" convert -I unsorted=maybe -t bencode "$T/unsorted.torrent" -- \
    "grep -q -F \"unsorted takes no value or one of 1, true, yes, on, 0, false, no, off; not 'maybe'\" \"\$T/err\""
# Streamed from the json decoder, an error is located in the input; through
# a graph (json's refs option makes brine build one), by its path.
printf '{"a": [1, 2.5]}' >"$T/float.json"
check "a float is refused where the input holds it" 1 \
    "$BRINE" convert -t bencode "$T/float.json" -o "$T/float.torrent" -- \
    'grep -q -F "float.json:1:11: bencode cannot represent a float" "$T/err"' \
    '[ ! -e "$T/float.torrent" ]'
# (A document without a shared value streams all the same: #21.)
printf '{"$brine": 1, "value": {"a": [{"$anchor": 1, "$list": [1]}, {"$alias": 1}, 2.5]}}' >"$T/float.json"
check "a float is refused with its path in the graph" 1 \
    "$BRINE" convert -I refs -t bencode "$T/float.json" -o "$T/float.torrent" -- \
    'grep -q -F "float.json: bencode cannot represent a float at \$.a[2]" "$T/err"' \
    '[ ! -e "$T/float.torrent" ]'

# ---- the same plugin built from the 0.1 headers (docs/abi.md) ----------------
# tests/abi1/include holds the public headers 0.1 installed, never edited. A
# plugin compiled from them must load into this library and convert exactly
# like the one compiled from the current headers.

ABI1_INCLUDE=$TOP_SRCDIR/tests/abi1/include
mkdir -p "$T/plugins-abi1" || exit 99
check "the example builds from the 0.1 headers against this library" 0 \
    $CC -std=c11 $CFLAGS -Wall -Wextra -Werror -fPIC -fvisibility=hidden -shared -I"$ABI1_INCLUDE" \
    -o "$T/plugins-abi1/bencode.so" "$TOP_SRCDIR/examples/plugin/bencode.c" $LDFLAGS -L"$BUILDDIR/core/.libs" -lbrine
check "the 0.1 plugin loads" 0 \
    env BRINE_PLUGIN_PATH="$T/plugins-abi1" "$BRINE" formats -- \
    'grep -q "^bencode 1.0.0: " "$T/out"' 'grep -q -E "^ +file: +$T/plugins-abi1/bencode.so\$" "$T/out"'
check "the 0.1 plugin writes the same bencode bytes" 0 \
    env BRINE_PLUGIN_PATH="$T/plugins-abi1" "$BRINE" convert -t bencode "$SAMPLE" -o "$T/abi1.torrent" -- \
    'cmp -s "$T/abi1.torrent" "$T/want.torrent"'
check "the 0.1 plugin reads them back to the same json" 0 \
    env BRINE_PLUGIN_PATH="$T/plugins-abi1" "$BRINE" convert -f bencode -t json "$T/abi1.torrent" -o "$T/abi1.json" -- \
    'cmp -s "$T/abi1.json" "$T/back.json"'
check "the 0.1 plugin passes example_driver" 0 \
    env BRINE_PLUGIN_PATH="$T/plugins-abi1" BRINE_EXAMPLE_SO="$T/plugins-abi1/bencode.so" "$BUILDDIR/tests/example_driver" -- \
    'grep -q -E "^100%: Checks: [1-9][0-9]*, Failures: 0, Errors: 0" "$T/out"'
unset ABI1_INCLUDE

# ---- the guide's plugin and test program --------------------------------------

plugin=$(grep -l 'BRINE_PLUGIN_DEFINE(lines' "$T/guide"/block*.c | head -1)
program=$(grep -l 'int main(' "$T/guide"/block*.c | head -1)
if [ -n "$plugin" ] && [ -n "$program" ]; then
    check "the guide's plugin builds as lines.so" 0 \
        $CC -std=c11 $CFLAGS -fPIC -fvisibility=hidden -shared -I"$TOP_SRCDIR/include" -o "$T/guide-plugins/lines.so" \
        "$plugin" $LDFLAGS -L"$BUILDDIR/core/.libs" -lbrine
    check "the guide's test program builds" 0 \
        $CC -std=c11 $CFLAGS -I"$TOP_SRCDIR/include" -o "$T/guide/test_lines" "$program" $LDFLAGS \
        -L"$BUILDDIR/core/.libs" -lbrine -Wl,-rpath,"$BUILDDIR/core/.libs"
    check "the guide's test program passes against its plugin" 0 \
        env BRINE_PLUGIN_PATH="$T/guide-plugins" "$T/guide/test_lines" -- \
        'grep -q "all lines tests passed" "$T/out"'
    printf 'one\ntwo words\n\nthree\n' >"$T/words.txt"
    check "the guide's plugin converts text lines to json and back" 0 \
        sh -c 'BRINE_PLUGIN_PATH="$1" "$2" convert -f lines -t json "$3" | BRINE_PLUGIN_PATH="$1" "$2" convert -f json -t lines' \
        sh "$T/guide-plugins" "$BRINE" "$T/words.txt" -- \
        'cmp -s "$T/out" "$T/words.txt"'
else
    fail "the guide shows a lines plugin and a test program" "plugin: '$plugin', program: '$program'"
fi

shtest_done
