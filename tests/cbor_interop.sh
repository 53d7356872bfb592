#!/bin/sh
# cbor_interop.sh: runs cbor_interop.py (Python's cbor2 as the other side of
# brine's cbor plugin, through the brine CLI) with a Python that has cbor2:
# $PYTHON3 from configure, else python3, else Debian's /usr/bin/python3.
# Skips (77) only when none has it.
srcdir=${BRINE_TEST_SRCDIR:-$(dirname "$0")}
for py in "$PYTHON3" python3 /usr/bin/python3; do
    [ -n "$py" ] || continue
    if "$py" -c 'import cbor2' 2>/dev/null; then
        exec "$py" "$srcdir/cbor_interop.py" "${BRINE:-../tools/brine}"
    fi
done
echo "cbor_interop: SKIP: no python3 with the cbor2 module (apt-get install python3-cbor2)"
exit 77
