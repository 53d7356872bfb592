#!/bin/sh
# instructions.sh: instructions executed per operation, brine's cells next to
# the raw libraries', counted by valgrind (cachegrind): a figure that does not
# change with the machine's load, for comparing builds on a busy machine.
# Each count is (the instructions of 10 runs - those of 0 runs) / 10, so
# the preparation (decoding the JSON file, encoding each format) cancels out.
# Usage (from `make instructions` in bench/):
#     instructions.sh OPCOUNT FILE.json...
# LIBTOOL names libtool, to run the uninstalled OPCOUNT under valgrind.
set -eu

if ! command -v valgrind >/dev/null 2>&1; then
    echo "instructions.sh: valgrind is not installed (apt-get install -y valgrind)" >&2
    exit 1
fi
prog=$1
shift

count() { # FILE OP N -> instructions
    ${LIBTOOL:-libtool} --mode=execute valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        "$prog" "$1" "$2" "$3" 2>&1 | sed -n 's/.*I *refs: *//p' | tr -d ,
}

per_run() { # FILE OP -> instructions per run
    a=$(count "$1" "$2" 0)
    b=$(count "$1" "$2" 10)
    [ -n "$a" ] && [ -n "$b" ] || { echo "instructions.sh: $2 on $1 failed" >&2; exit 1; }
    echo $(((b - a) / 10))
}

printf '%-14s %-16s %14s %14s %7s\n' file operation brine raw ratio
for f in "$@"; do
    name=$(basename "$f" .json)
    for pair in decode-native:raw-unpack encode-native:raw-pack decode-msgpack:raw-unpack \
        encode-msgpack:raw-pack decode-json:raw-parse encode-json:raw-print; do
        op=${pair%%:*} raw=${pair#*:}
        mine=$(per_run "$f" "$op")
        theirs=$(per_run "$f" "$raw")
        printf '%-14s %-16s %14s %14s %7s\n' "$name" "$op" "$mine" "$theirs" \
            "$(awk -v a="$mine" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }')"
    done
done
