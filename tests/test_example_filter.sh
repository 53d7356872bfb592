#!/bin/bash
# test_example_filter.sh: builds examples/filter (the xor byte filter) out of
# the tree, as a third party would (its Makefile, brine.pc through
# pkg-config), installs it into a temporary plugin directory and runs the
# brine command through it: `brine formats` lists it under filters, the
# .xor extension and -F xor:key=N compress and decompress, and the bytes are
# the input XORed with the key. Exit 77 without a C compiler or a shared
# libbrine.
set -u
: "${BRINE_TEST_SRCDIR:?BRINE_TEST_SRCDIR must name tests/ in the source tree}"
: "${BRINE_TOP_BUILDDIR:?BRINE_TOP_BUILDDIR must name the top of the build tree}"
CC=${BRINE_CC:-cc}
CFLAGS=${BRINE_EXAMPLE_CFLAGS:--g -O2}
LDFLAGS=${BRINE_EXAMPLE_LDFLAGS:-}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
TOP_SRCDIR=$(cd "$BRINE_TEST_SRCDIR/.." && pwd)
BUILDDIR=$BRINE_TOP_BUILDDIR
. "$BRINE_TEST_SRCDIR/shtest.sh" example-filter

read -r cc_prog _ <<<"$CC"
command -v "$cc_prog" >/dev/null 2>&1 || { echo "SKIP: no C compiler ($CC)"; exit 77; }
[ -e "$BUILDDIR/core/.libs/libbrine.so" ] || { echo "SKIP: libbrine is static only"; exit 77; }

mkdir -p "$T/src" "$T/plugins" || exit 99
cp "$TOP_SRCDIR/examples/filter/xor.c" "$TOP_SRCDIR/examples/filter/Makefile" "$T/src/" || exit 99
PC="$PKG_CONFIG --define-variable=includedir=$TOP_SRCDIR/include"
PC="$PC --define-variable=libdir=$BUILDDIR/core/.libs --define-variable=plugindir=$T/plugins"
export PKG_CONFIG_PATH=$BUILDDIR
if make -C "$T/src" PKG_CONFIG="$PC" CC="$CC" CFLAGS="$CFLAGS -Wall -Wextra -Werror" LDFLAGS="$LDFLAGS" install \
    >"$T/make.log" 2>&1 && [ -f "$T/plugins/xor.so" ]; then
    pass "the example filter builds out of tree with its Makefile and pkg-config"
else
    fail "the example filter builds" "$(tail -n 20 "$T/make.log")"
    shtest_done
    exit
fi
export BRINE_PLUGIN_PATH=$T/plugins

"$BRINE" formats >"$T/formats" 2>&1
grep -q "^  xor 1.0: XOR with a key byte" "$T/formats" && pass "brine formats lists it under filters" ||
    fail "formats lists xor" "$(cat "$T/formats")"

printf '{"a": [1, 2, "three"]}' >"$T/d.json"
"$BRINE" convert "$T/d.json" -o "$T/d.json.xor" && "$BRINE" convert "$T/d.json" -t json -o "$T/plain.json" &&
    "$BRINE" convert "$T/d.json.xor" -f json -t json -F none -o "$T/raw.json" 2>/dev/null
# The .xor file is the plain output XORed with 0x5a, byte for byte.
if cmp -s <(od -An -v -tu1 "$T/d.json.xor" | tr -s ' ' '\n' | grep . | while read -r b; do echo $((b ^ 0x5a)); done) \
    <(od -An -v -tu1 "$T/plain.json" | tr -s ' ' '\n' | grep .); then
    pass "-o x.json.xor writes the json XORed with the default key"
else
    fail "xor output" "$(od -An -tx1 "$T/d.json.xor" | head -2)"
fi
got=$("$BRINE" show "$T/d.json.xor" 2>&1)
[ "$got" = "{'a': [1, 2, 'three']}" ] && pass "show reads x.json.xor by its extension" || fail "show .xor" "$got"
"$BRINE" convert "$T/d.json" -t msgpack -F xor:key=0x21 -o "$T/k.bin" &&
    got=$("$BRINE" show -F xor:key=33 -f msgpack "$T/k.bin" 2>&1)
[ "$got" = "{'a': [1, 2, 'three']}" ] && pass "-F xor:key=N both ways" || fail "-F xor:key" "$got"
"$BRINE" convert "$T/d.json" -F xor:key=300 -o "$T/bad.json.xor" 2>"$T/err"
grep -q "xor: key wants a byte value 0-255, not '300'" "$T/err" && [ ! -e "$T/bad.json.xor" ] &&
    pass "a bad key is the filter's error, nothing written" || fail "bad key" "$(cat "$T/err")"

shtest_done
