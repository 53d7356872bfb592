#!/bin/sh
# test_filter_cli.sh: compressed files on the command line (#22): an input's
# filter found by -F, by its outer extension (x.json.gz, .jsonl.zst,
# .msgpack.xz, .zz) and by magic (also on a pipe); zlib only under a known
# format that rejects the raw bytes (a pickle compressed as joblib does,
# never a msgpack file that starts with fixint 0x78); output compressed by
# OUT's extension or -F, to a file (atomically) or stdout; interop both
# ways with Python's gzip, bz2, lzma, zlib and lz4.frame modules and the
# zstd and lz4 commands;
# a 4 MB gzip bomb (4 GiB inside) stops at the limit, quickly, in little
# memory; truncated input gives the filter's error with its offset.
. "$BRINE_TEST_SRCDIR/shtest.sh" filter-cli
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

printf '{"name": "tree", "depths": [1, 2, 3], "score": 0.5, "ok": true}' >"$T/d.json"
want="{'name': 'tree', 'depths': [1, 2, 3], 'score': 0.5, 'ok': True}"

expect_show() { # DESC WANT CMD...
    desc=$1 exp=$2
    shift 2
    got=$("$@" 2>"$T/err") && [ "$got" = "$exp" ] && pass "$desc" || fail "$desc" "got: $got" "stderr: $(cat "$T/err")"
}

# ---- reading: extension, magic, explicit ----------------------------------
gzip -c "$T/d.json" >"$T/d.json.gz"
expect_show "x.json.gz: gzip by extension, json by the inner one" "$want" "$BRINE" show "$T/d.json.gz"
cp "$T/d.json.gz" "$T/noname"
expect_show "gzip by magic, then json by the decompressed bytes" "$want" "$BRINE" show "$T/noname"
expect_show "gzip by magic on a pipe" "$want" sh -c "cat '$T/d.json.gz' | '$BRINE' show"
cat "$T/d.json.gz" "$T/d.json.gz" >"$T/two.json.gz"
printf '[1, 2]\n[3]\n' | gzip -c >"$T/a.gz"
printf '[4]\n' | gzip -c >>"$T/a.gz"
cp "$T/a.gz" "$T/lines.jsonl.gz"
expect_show "concatenated gzip members read as one (jsonl)" "[[1, 2], [3], [4]]" "$BRINE" show "$T/lines.jsonl.gz"
zstd -q -c "$T/d.json" >"$T/d.jsonl.zst"
expect_show ".jsonl.zst" "[$want]" "$BRINE" show "$T/d.jsonl.zst"
"$BRINE" convert "$T/d.json" -o "$T/d.msgpack" && xz -c "$T/d.msgpack" >"$T/d.msgpack.xz"
expect_show ".msgpack.xz" "$want" "$BRINE" show "$T/d.msgpack.xz"
expect_show "check through a filter" "$T/d.msgpack.xz: ok (msgpack, 12 values, depth 2)" "$BRINE" check "$T/d.msgpack.xz"
"$PY" -c "import sys, zlib; sys.stdout.buffer.write(zlib.compress(open(sys.argv[1], 'rb').read()))" "$T/d.json" >"$T/d.json.zz"
expect_show ".zz is zlib" "$want" "$BRINE" show "$T/d.json.zz"
cp "$T/d.json.zz" "$T/d.zraw"
expect_show "-F zlib -f json" "$want" "$BRINE" show -F zlib -f json "$T/d.zraw"
expect_show "diff reads compressed files" "" "$BRINE" diff "$T/d.json.gz" "$T/d.msgpack.xz"

# zlib by magic only under a known format that rejects the raw bytes.
"$PY" - "$T" <<'EOF'
import pickle, sys, zlib, lzma
d = sys.argv[1]
v = {"k": [1, 2, "x"]}
open(d + "/m.pkl", "wb").write(zlib.compress(pickle.dumps(v, protocol=4), 3))
open(d + "/l.pkl", "wb").write(lzma.compress(pickle.dumps(v, protocol=4), format=lzma.FORMAT_ALONE))
# A msgpack file whose first byte is fixint 0x78 and whose second makes a
# valid zlib header: two values, so msgpack's reader says "extra data".
open(d + "/fix.msgpack", "wb").write(bytes([0x78, 0x9c]))
EOF
expect_show "a zlib-compressed pickle (joblib's compress='zlib') under .pkl" "{'k': [1, 2, 'x']}" "$BRINE" show "$T/m.pkl"
expect_show "an lzma-alone pickle (joblib's compress='lzma') under .pkl" "{'k': [1, 2, 'x']}" "$BRINE" show "$T/l.pkl"
if "$BRINE" show "$T/fix.msgpack" >"$T/out" 2>"$T/err"; then
    fail "0x78 0x9c under .msgpack is msgpack, not zlib" "$(cat "$T/out")"
elif grep -q "zlib" "$T/err"; then
    fail "0x78 0x9c under .msgpack went to zlib" "$(cat "$T/err")"
else
    pass "0x78 0x9c under .msgpack is msgpack, not zlib"
fi
cp "$T/m.pkl" "$T/m.noext"
if "$BRINE" show "$T/m.noext" >/dev/null 2>"$T/err"; then
    fail "zlib is never found by magic alone"
else
    pass "zlib is never found by magic alone"
fi

# ---- writing ----------------------------------------------------------------
"$BRINE" convert "$T/d.json" -o "$T/o.msgpack.zst" && zstd -q -dc "$T/o.msgpack.zst" >"$T/o.plain" &&
    cmp -s "$T/o.plain" "$T/d.msgpack" && pass "convert -o x.msgpack.zst writes msgpack compressed by zstd" ||
    fail "convert -o x.msgpack.zst"
"$BRINE" convert -t msgpack -F zstd "$T/d.json" >"$T/o.stdout" && zstd -q -dc "$T/o.stdout" | cmp -s - "$T/d.msgpack" &&
    pass "-t msgpack -F zstd to stdout" || fail "-t msgpack -F zstd to stdout"
"$BRINE" convert "$T/d.json" -o "$T/o.json.gz" && gzip -dc "$T/o.json.gz" | tail -c 1 | od -An -c | grep -q '\\n' &&
    pass "a text format ends with a newline inside the compressed stream" || fail "final newline inside gzip"
"$BRINE" convert "$T/d.json" -o "$T/o.json.gz" -F none && "$BRINE" show -f json -F none "$T/o.json.gz" >/dev/null &&
    pass "-F none writes plain bytes whatever the name" || fail "-F none"
if "$BRINE" convert "$T/d.json" -o "$T/bad.json.gz" -F gzip:level=12 2>"$T/err"; then
    fail "a level out of range is refused"
else
    [ ! -e "$T/bad.json.gz" ] && grep -q "level wants an integer from 0 to 9, not '12'" "$T/err" &&
        pass "a level out of range is refused, nothing written" || fail "bad level" "$(cat "$T/err")"
fi
"$BRINE" convert "$T/d.json" -F unknown -o "$T/u.json" 2>"$T/err"
[ $? -eq 2 ] && grep -q "unknown filter 'unknown'" "$T/err" && pass "an unknown filter is a usage error" ||
    fail "unknown filter" "$(cat "$T/err")"
"$BRINE" convert --input-filter gzip -f json "$T/noname" -o "$T/i.msgpack" && "$BRINE" show "$T/i.msgpack" |
    grep -q tree && pass "convert --input-filter" || fail "convert --input-filter"

# ---- interop with Python's modules and the zstd, lz4 commands, both ways ---
"$PY" - "$T" <<'EOF'
import bz2, gzip, lzma, sys, zlib
d = sys.argv[1]
data = ('{"rows": [' + ", ".join('{"i": %d, "s": "%s"}' % (i, "ab" * (i % 7)) for i in range(3000)) + "]}").encode()
open(d + "/big.json", "wb").write(data)
open(d + "/py.json.gz", "wb").write(gzip.compress(data, 9))
open(d + "/py.json.bz2", "wb").write(bz2.compress(data, 9))
open(d + "/py.json.xz", "wb").write(lzma.compress(data))
open(d + "/py.json.lzma", "wb").write(lzma.compress(data, format=lzma.FORMAT_ALONE))
open(d + "/py.json.zz", "wb").write(zlib.compress(data, 9))
EOF
zstd -q -19 -c "$T/big.json" >"$T/py.json.zst"
"$BRINE" convert "$T/big.json" -o "$T/ref.msgpack"
for ext in gz bz2 xz lzma zz zst; do
    "$BRINE" convert "$T/py.json.$ext" -o "$T/from-$ext.msgpack" 2>"$T/err" && cmp -s "$T/from-$ext.msgpack" "$T/ref.msgpack" &&
        pass "reads .$ext written by Python / zstd" || fail "reads .$ext" "$(cat "$T/err")"
    "$BRINE" convert "$T/ref.msgpack" -t json -o "$T/back.json.$ext" 2>"$T/err" || fail "writes .$ext" "$(cat "$T/err")"
done
"$PY" - "$T" <<'EOF' && pass "Python's gzip, bz2, lzma and zlib read what brine wrote" || fail "Python reads brine's output"
import bz2, gzip, json, lzma, sys, zlib
d = sys.argv[1]
want = json.load(open(d + "/big.json"))
for ext, f in [("gz", gzip.decompress), ("bz2", bz2.decompress), ("xz", lzma.decompress),
               ("lzma", lambda b: lzma.decompress(b, format=lzma.FORMAT_ALONE)), ("zz", zlib.decompress)]:
    got = json.loads(f(open(d + "/back.json." + ext, "rb").read()))
    assert got == want, ext
EOF
zstd -q -dc "$T/back.json.zst" | "$BRINE" convert -f json -t msgpack | cmp -s - "$T/ref.msgpack" &&
    pass "the zstd command reads what brine wrote" || fail "zstd -d of brine's output"

# lz4: Python's lz4.frame (python3-lz4, as joblib uses it) and the lz4
# command, both ways; two frames (the second with 4 MiB blocks and HC
# level 9) read as one.
"$PY" - "$T" <<'EOF' || fail "python3-lz4 writes .lz4 (is python3-lz4 installed? ./bootstrap)"
import sys
import lz4.frame as f
d = sys.argv[1]
data = open(d + "/big.json", "rb").read()
half = len(data) // 2
open(d + "/py.json.lz4", "wb").write(f.compress(data[:half], content_checksum=True) +
                                     f.compress(data[half:], compression_level=9, block_size=f.BLOCKSIZE_MAX4MB))
EOF
"$BRINE" convert "$T/py.json.lz4" -o "$T/from-lz4.msgpack" 2>"$T/err" && cmp -s "$T/from-lz4.msgpack" "$T/ref.msgpack" &&
    pass "reads .lz4 written by Python's lz4.frame (two frames)" || fail "reads .lz4" "$(cat "$T/err")"
lz4 -q -12 -c "$T/big.json" | "$BRINE" convert -f json -t msgpack 2>"$T/err" | cmp -s - "$T/ref.msgpack" &&
    pass "reads lz4 -12 output on a pipe (by magic)" || fail "reads lz4 command output" "$(cat "$T/err")"
"$BRINE" convert "$T/ref.msgpack" -t json -o "$T/back.json.lz4" 2>"$T/err" || fail "writes .lz4" "$(cat "$T/err")"
"$BRINE" convert "$T/ref.msgpack" -t json -F lz4:level=12 >"$T/back12.lz4" 2>"$T/err" || fail "-F lz4:level=12" "$(cat "$T/err")"
"$PY" - "$T" <<'EOF' && pass "Python's lz4.frame reads what brine wrote (content checksum on)" || fail "lz4.frame reads brine's output"
import json, sys
import lz4.frame as f
d = sys.argv[1]
want = json.load(open(d + "/big.json"))
for name in ("back.json.lz4", "back12.lz4"):
    raw = open(d + "/" + name, "rb").read()
    assert raw[:4] == bytes([0x04, 0x22, 0x4D, 0x18]), name
    assert f.get_frame_info(raw)["content_checksum"], name
    assert json.loads(f.decompress(raw)) == want, name
EOF
[ "$(wc -c <"$T/back12.lz4")" -lt "$(wc -c <"$T/back.json.lz4")" ] &&
    pass "lz4 level 12 (HC) compresses smaller than the default 1" || fail "lz4 levels"
lz4 -q -dc "$T/back.json.lz4" | "$BRINE" convert -f json -t msgpack | cmp -s - "$T/ref.msgpack" &&
    pass "the lz4 command reads what brine wrote" || fail "lz4 -d of brine's output"

# ---- damage -------------------------------------------------------------------
size=$(wc -c <"$T/py.json.gz")
head -c $((size / 2)) "$T/py.json.gz" >"$T/cut.json.gz"
"$BRINE" check "$T/cut.json.gz" >"$T/out" 2>&1
grep -q "gzip: the compressed data ends early, at compressed byte $((size / 2))" "$T/out" &&
    pass "a truncated gzip file names the filter and the compressed offset" || fail "truncated gzip" "$(cat "$T/out")"
# JSON Lines and msgpack sequences end cleanly at the end of their input:
# a cut compressed stream must not pass for a shorter one.
"$PY" -c "
import gzip, sys
rows = b''.join(b'{\"i\": %d, \"pad\": \"%s\"}\n' % (i, bytes(range(97, 123)) * 4) for i in range(3000))
open(sys.argv[1], 'wb').write(gzip.compress(rows)[:-200])" "$T/cut.jsonl.gz"
if "$BRINE" check "$T/cut.jsonl.gz" >"$T/out" 2>&1; then
    fail "a cut .jsonl.gz is refused" "$(cat "$T/out")"
else
    grep -q "gzip: the compressed data ends early" "$T/out" && pass "a cut .jsonl.gz is refused, not read short" ||
        fail "a cut .jsonl.gz is refused" "$(cat "$T/out")"
fi

# ---- a bomb: 1024 members of 4 MiB of zeros, 4 MiB on disk, 4 GiB inside ---
"$PY" - "$T" <<'EOF'
import gzip, sys
member = gzip.compress(bytes(4 << 20), 9)
with open(sys.argv[1] + "/bomb.msgpack.gz", "wb") as f:
    # A msgpack bin32 of 4 GiB - 5 bytes: the reader asks for all of it.
    head = gzip.compress(b"\xc6" + ((4 << 30) - 5).to_bytes(4, "big"))
    f.write(head)
    for _ in range(1024):
        f.write(member)
EOF
start=$(date +%s)
/usr/bin/time -f "%M" -o "$T/rss" "$BRINE" check "$T/bomb.msgpack.gz" >"$T/out" 2>&1
status=$?
secs=$(($(date +%s) - start))
rss=$(tail -n 1 "$T/rss")
if [ $status -eq 1 ] && grep -q "gzip: the data expands past the decompression limit" "$T/out" && [ "$secs" -lt 30 ] &&
    [ "$rss" -lt 400000 ]; then
    pass "a 4 MiB gzip bomb stops at the limit (${secs}s, ${rss} KiB)"
else
    fail "gzip bomb" "status $status, ${secs}s, ${rss} KiB" "$(cat "$T/out")"
fi
"$BRINE" check --max-filter 2:1M "$T/d.json.gz" >/dev/null 2>&1 && pass "--max-filter takes RATIO:BYTES" ||
    fail "--max-filter"
"$BRINE" check --max-filter 1:1K "$T/big.json.gz" >/dev/null 2>&1
gzip -c "$T/big.json" >"$T/big.json.gz"
"$BRINE" check --max-filter 1:1K "$T/big.json.gz" >"$T/out" 2>&1
grep -q "decompression limit" "$T/out" && pass "--max-filter lowers the limit" || fail "--max-filter lowers" "$(cat "$T/out")"

shtest_done
