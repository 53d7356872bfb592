#!/bin/sh
# msgpack_interop.sh: runs msgpack_interop.py (Python's msgpack module as the
# other side of brine's msgpack plugin) with a Python that has the module:
# $PYTHON3 from configure, else python3, else Debian's /usr/bin/python3 (the
# python3-msgpack package installs there, which a python3 earlier in PATH may
# not see). Skips (77) only when none has it.
srcdir=${BRINE_TEST_SRCDIR:-$(dirname "$0")}
peer=./msgpack_peer
[ -x "$peer" ] || peer=$(dirname "$0")/msgpack_peer
for py in "$PYTHON3" python3 /usr/bin/python3; do
    [ -n "$py" ] || continue
    if "$py" -c 'import msgpack' 2>/dev/null; then
        exec "$py" "$srcdir/msgpack_interop.py" "$peer"
    fi
done
echo "msgpack_interop: SKIP: no python3 with the msgpack module (apt-get install python3-msgpack)"
exit 77
