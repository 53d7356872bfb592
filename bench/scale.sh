#!/bin/bash
# scale.sh: `make bench-scale`, brine convert and check at growing sizes
# (#21): peak RSS and throughput of the conversions that need no graph,
# with Python's json.load + msgpack.packb on the same file in the same run.
# It generates its own files (records of mixed values, no shared values)
# into a temporary directory, removed at the end:
#
#   BENCH_SCALE_SIZES   JSON sizes in MB (default "10 100 1000"; "10" is quick)
#   BENCH_SCALE_PICKLE  the pickle -> json row's size in MB (default 500,
#                       capped by the largest size; 0 skips it)
#   BENCH_SCALE_DIR     where the files go (default $TMPDIR or /tmp)
#   BENCH_SCALE_PYTHON  the Python anchor (default /usr/bin/python3; "" skips it)
#
# Each row runs once (these are long runs: a second brings little); peak
# RSS is GNU time's %M (else the children's ru_maxrss, see measure), MB/s
# the input's size over wall time.
# Usage: scale.sh BRINE (the brine command to run).
set -u
BRINE=${1:?usage: scale.sh BRINE}
SIZES=${BENCH_SCALE_SIZES:-10 100 1000}
PICKLE_MB=${BENCH_SCALE_PICKLE:-500}
PY=${BENCH_SCALE_PYTHON-/usr/bin/python3}
RUNNER=/usr/bin/python3
[ -x "$RUNNER" ] || RUNNER=python3

D=$(mktemp -d "${BENCH_SCALE_DIR:-${TMPDIR:-/tmp}}/brine-scale.XXXXXX") || exit 1
trap 'rm -rf "$D"' EXIT

# gen MB FILE: a JSON list of records of about MB megabytes.
gen() {
    awk -v target="$(($1 * 1000000))" 'BEGIN {
        srand(11); printf "["; size = 1;
        split("alpha beta gamma delta épsilon zeta eta θήτα", w, " ");
        for (i = 0; size < target; i++) {
            r = sprintf("%s{\"id\":%d,\"name\":\"user %d\",\"score\":%.17g,\"big\":%d,\"neg\":%d,\"active\":%s,\"note\":null,\"tags\":[\"%s\",\"%s\"],\"pos\":[%.6f,%.6f],\"meta\":{\"k\":\"%s\",\"depth\":{\"x\":%d}}}",
                i ? "," : "", i, i, rand() * 1000, int(rand() * 4e15), -int(rand() * 1e6), (i % 3 ? "false" : "true"),
                w[i % 8 + 1], w[(i + 3) % 8 + 1], rand(), rand(), w[(i * 7) % 8 + 1], i % 7);
            printf "%s", r; size += length(r);
        }
        printf "]\n" }' >"$2"
}

# measure LABEL MB CMD...: one row, CMD's stdout to /dev/null. GNU time
# when there is one (a small process: its fork adds nothing to the peak);
# else Python, whose forked child has Python's 10 MB before its exec.
measure() {
    local label=$1 mb=$2 s rss rc
    shift 2
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f "%e %M %x" -o "$D/time" "$@" >/dev/null 2>"$D/stderr"
        read -r s rss rc <"$D/time" # rss in KB
    else
        read -r s rss rc < <("$RUNNER" -c '
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
print("%.2f %d %d" % (time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc))' "$@")
    fi
    awk -v l="$label" -v mb="$mb" -v s="$s" -v rss="$rss" -v rc="$rc" 'BEGIN {
        rate = (s > 0) ? mb / s : 0; note = (rc == 0) ? "" : "  (exit " rc ")";
        printf "| %-34s | %7.0f | %8.2f | %8.0f | %11.1f |%s\n", l, mb, s, rate, rss / 1024, note }'
}

mb_of() { "$RUNNER" -c 'import os, sys; print("%.1f" % (os.path.getsize(sys.argv[1]) / 1e6))' "$1"; }

echo "brine bench-scale: $(uname -m), $(nproc) cores, $("$BRINE" --version | head -1)"
echo "sizes (MB of JSON): $SIZES; files in $D"
echo
echo "| conversion                         |      MB |        s |     MB/s | peak RSS MB |"
echo "|------------------------------------|---------|----------|----------|-------------|"
largest=0
for size in $SIZES; do
    j="$D/in$size.json"
    gen "$size" "$j"
    "$BRINE" convert -q "$j" -o "$D/in$size.msgpack"
    "$BRINE" convert -q "$j" -o "$D/in$size.brn"
    "$BRINE" convert -q -t jsonl "$j" -o "$D/in$size.jsonl"
    "$BRINE" convert -q -O sequence "$D/in$size.msgpack" -o "$D/seq$size.msgpack"
    jm=$(mb_of "$j")
    mm=$(mb_of "$D/in$size.msgpack")
    nm=$(mb_of "$D/in$size.brn")
    lm=$(mb_of "$D/in$size.jsonl")
    sm=$(mb_of "$D/seq$size.msgpack")
    measure "json -> msgpack" "$jm" "$BRINE" convert -q "$j" -o "$D/out.msgpack"
    measure "json -> native" "$jm" "$BRINE" convert -q "$j" -o "$D/out.brn"
    measure "json -> json" "$jm" "$BRINE" convert -q "$j" -o "$D/out.json"
    measure "msgpack -> json" "$mm" "$BRINE" convert -q "$D/in$size.msgpack" -o "$D/out.json"
    measure "msgpack -> native" "$mm" "$BRINE" convert -q "$D/in$size.msgpack" -o "$D/out.brn"
    measure "native -> json" "$nm" "$BRINE" convert -q "$D/in$size.brn" -o "$D/out.json"
    measure "native -> msgpack" "$nm" "$BRINE" convert -q "$D/in$size.brn" -o "$D/out.msgpack"
    measure "lines -> sequence" "$lm" "$BRINE" convert -q -t msgpack -O sequence "$D/in$size.jsonl" -o "$D/out.seq"
    measure "sequence -> lines" "$sm" "$BRINE" convert -q -f msgpack -I sequence -t jsonl "$D/seq$size.msgpack" \
        -o "$D/out.jsonl"
    measure "lines -> msgpack (one list)" "$lm" "$BRINE" convert -q -t msgpack "$D/in$size.jsonl" -o "$D/out.msgpack"
    measure "lines -> native (one list)" "$lm" "$BRINE" convert -q -t native "$D/in$size.jsonl" -o "$D/out.brn"
    measure "check json" "$jm" "$BRINE" check -q "$j"
    measure "check msgpack" "$mm" "$BRINE" check -q "$D/in$size.msgpack"
    measure "check native" "$nm" "$BRINE" check -q "$D/in$size.brn"
    if [ -n "$PY" ] && "$PY" -c 'import msgpack' 2>/dev/null; then
        measure "python json.load + msgpack.packb" "$jm" "$PY" -c \
            'import json, msgpack, sys; open(sys.argv[2], "wb").write(msgpack.packb(json.load(open(sys.argv[1]))))' \
            "$j" "$D/py.msgpack"
    elif [ -n "$PY" ]; then
        measure "python json.load" "$jm" "$PY" -c 'import json, sys; json.load(open(sys.argv[1]))' "$j"
    fi
    rm -f "$D"/out.* "$D/py.msgpack" "$D/in$size.jsonl" "$D/seq$size.msgpack"
    [ "$size" -gt "$largest" ] && largest=$size
done

if [ "$PICKLE_MB" -gt 0 ]; then
    # A pickle of about PICKLE_MB MB (pickle is denser than JSON: grow the
    # JSON until its pickle is large enough).
    p=$PICKLE_MB
    [ "$p" -gt "$largest" ] && p=$largest
    json_mb=$((p * 13 / 10))
    gen "$json_mb" "$D/pk.json"
    "$BRINE" convert -q -t pickle "$D/pk.json" -o "$D/in.pkl"
    rm -f "$D/pk.json" "$D"/in*.msgpack "$D"/in*.brn
    pm=$(mb_of "$D/in.pkl")
    measure "pickle -> json" "$pm" "$BRINE" convert -q "$D/in.pkl" -o "$D/out.json"
    [ -n "$PY" ] && measure "python pickle.load" "$pm" "$PY" -c 'import pickle, sys; pickle.load(open(sys.argv[1], "rb"))' \
        "$D/in.pkl"
fi

if [ "$PICKLE_MB" -gt 0 ] && [ -n "$PY" ]; then
    # Objects (#23): 300,000 instances of one class with 4 attributes, the
    # pickle Python writes for them (protocol 4, about 13 MB); Python loads
    # them with the class defined, brine as models.
    rm -f "$D/in.pkl"
    "$PY" -c 'import pickle, sys
class Point:
    def __init__(s, i): s.x = i; s.y = 2 * i; s.label = "p%d" % (i % 100); s.w = i / 3.0
pickle.dump([Point(i) for i in range(300000)], open(sys.argv[1], "wb"), protocol=4)' "$D/obj.pkl"
    om=$(mb_of "$D/obj.pkl")
    measure "pickle of objects -> json" "$om" "$BRINE" convert -q "$D/obj.pkl" -o "$D/out.json"
    measure "python pickle.load (objects)" "$om" "$PY" -c 'import pickle, sys
class Point: pass
pickle.load(open(sys.argv[1], "rb"))' "$D/obj.pkl"
fi
