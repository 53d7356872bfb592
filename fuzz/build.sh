#!/bin/sh
# fuzz/build.sh: builds the libFuzzer harnesses and their seed corpora (what
# `make fuzz` runs). libbrine and the plugins are configured afresh with clang
# and -fsanitize=fuzzer-no-link,address,undefined in OUTDIR/lib, statically
# (the harnesses link every format in, no dlopen), from a copy of the tree
# in OUTDIR/src when needed (srccopy.sh). Usage:
#     fuzz/build.sh [SRCDIR [OUTDIR]]     (defaults: this tree, ./_build-fuzz)
# Then fuzz/run.sh OUTDIR runs the harnesses. Needs clang and its sanitizer
# and libFuzzer runtimes: apt-get install clang libclang-rt-14-dev. Corpus
# snippets come from FUZZ_CORPUS (default: bench/corpus of the tree).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "${1:-$here/..}" && pwd)
outdir=${2:-$PWD/_build-fuzz}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
CC=${FUZZ_CC:-clang}
jobs=${FUZZ_JOBS:-2}
# -fno-sanitize-recover: a UBSan report must stop the run like a crash.
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $san"

say() { echo "fuzz/build.sh: $*"; }

# A compiler without libFuzzer fails here, not halfway through.
probe=$outdir/probe.c
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n); int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return d && n ? d[0] == 1 : 0; }' >"$probe"
if ! "$CC" -fsanitize=fuzzer $san -o "$outdir/probe" "$probe" >/dev/null 2>&1; then
    say "$CC cannot build libFuzzer programs; on Debian: apt-get install clang libclang-rt-14-dev" >&2
    exit 1
fi
rm -f "$probe" "$outdir/probe"

say "sources"
src=$(sh "$here/srccopy.sh" "$srcdir" "$outdir/src")
mkdir -p "$outdir/lib" "$outdir/bin"
if [ ! -f "$outdir/lib/config.status" ]; then
    say "configuring libbrine with $CC and the fuzzer instrumentation"
    (cd "$outdir/lib" && "$src/configure" -q --disable-shared CC="$CC" CFLAGS="$CFLAGS" LDFLAGS="$san")
fi
say "building libbrine and the plugins"
make -s -C "$outdir/lib/core" -j"$jobs" >/dev/null
make -s -C "$outdir/lib/plugins" -j"$jobs" >/dev/null

# Link flags of the libraries, as configure found them.
var() { sed -n "s/^$1 = //p" "$outdir/lib/Makefile"; }
libs="$outdir/lib/plugins/native/.libs/native.a $outdir/lib/plugins/msgpack/.libs/msgpack.a"
libs="$libs $outdir/lib/plugins/json/.libs/json.a $outdir/lib/plugins/json/.libs/jsonl.a"
libs="$libs $outdir/lib/plugins/pickle/.libs/pickle.a $outdir/lib/plugins/pickle/.libs/joblib.a"
libs="$libs $outdir/lib/plugins/npy/.libs/npy.a $outdir/lib/plugins/npy/.libs/npz.a"
for f in gzip zlib bz2 xz lzma zstd lz4; do libs="$libs $outdir/lib/plugins/filters/.libs/$f.a"; done
libs="$libs $outdir/lib/plugins/cbor/.libs/cbor.a $outdir/lib/plugins/yaml/.libs/yaml.a"
libs="$libs $outdir/lib/core/.libs/libbrine.a"
libs="$libs $(var MSGPACK_LIBS) $(var XXHASH_LIBS) $(var ZLIB_LIBS) $(var BZ2_LIBS) $(var LZMA_LIBS) $(var ZSTD_LIBS) $(var LZ4_LIBS)"
libs="$libs $(var YAML_LIBS) $(var LIBLTDL) -lm"
cflags="$CFLAGS -I$src/include -I$here"

# The bencode example plugin is compiled into every harness as a fourth format.
obj=$outdir/bin/obj
mkdir -p "$obj"
$CC $cflags -fvisibility=hidden -c "$src/examples/plugin/bencode.c" -o "$obj/bencode.o"

build() { # NAME SOURCE [CFLAGS...]
    name=$1 source=$2
    shift 2
    $CC $cflags "$@" -c "$here/$source" -o "$obj/$name.o"
    $CC -fsanitize=fuzzer $san -o "$outdir/bin/$name" "$obj/$name.o" "$obj/bencode.o" $libs
}
say "linking the harnesses into $outdir/bin"
for f in native msgpack json jsonl pickle bencode npy npz joblib cbor yaml; do
    build "decode_$f" decode.c -DFZ_FORMAT="\"$f\""
    build "roundtrip_$f" roundtrip.c -DFZ_FORMAT="\"$f\""
done
build sniff sniff.c
build filter filter.c
build transcode transcode.c
# text: UTF-8 validators and float parsing against their references (#23);
# it includes private headers, hence -iquote (core/check.h is not Check's).
$CC $cflags -iquote "$src/core" -iquote "$src/plugins" -c "$here/text.c" -o "$obj/text.o"
$CC -fsanitize=fuzzer $san -o "$outdir/bin/text" "$obj/text.o" $libs

# The seed generator links the same objects but has its own main.
$CC $cflags -c "$here/seedgen.c" -o "$obj/seedgen.o"
$CC -fsanitize=fuzzer-no-link $san -o "$obj/seedgen" "$obj/seedgen.o" "$obj/bencode.o" $libs
rm -rf "$outdir/seeds"
corpus=${FUZZ_CORPUS:-$srcdir/bench/corpus}
[ -d "$corpus" ] || corpus=
ASAN_OPTIONS=detect_leaks=1 "$obj/seedgen" "$srcdir/data" "$outdir" $corpus
mkdir -p "$outdir/seeds/text"
for seed in 1.5 -0.0 2.2250738585072011e-308 9007199254740993 1e23 123456789012345678901e-5 "$(printf 'caf\303\251 \346\227\245\346\234\254 \360\237\230\200')"; do
    printf '%s' "$seed" >"$outdir/seeds/text/$(printf '%s' "$seed" | cksum | cut -d' ' -f1)"
done
# The filter harness's seeds: its first byte picks the filter (fuzz/filter.c:
# 0 gzip, 2 bz2, 3 xz, 5 zstd, 6 lz4), the rest is a stream the tools wrote.
mkdir -p "$outdir/seeds/filter"
for pick in "0 gzip" "2 bzip2" "3 xz" "5 zstd" "6 lz4"; do
    set -- $pick
    command -v "$2" >/dev/null 2>&1 || continue
    { printf "\\$(printf %03o "$1")"; "$2" -c <"$srcdir/data/cli/sample.json"; } >"$outdir/seeds/filter/$2" 2>/dev/null || true
done
say "done: $(ls "$outdir/bin" | grep -vc obj) harnesses; run them with $here/run.sh $outdir"
