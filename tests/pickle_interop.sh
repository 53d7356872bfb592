#!/bin/sh
# pickle_interop.sh: runs pickle_interop.py (CPython's pickle as the other
# side of brine's pickle reader) with $PYTHON3 from configure, else python3.
# Skips (77) only when there is no Python 3.
srcdir=${BRINE_TEST_SRCDIR:-$(dirname "$0")}
brine=${BRINE:-../tools/brine}
for py in "$PYTHON3" python3 /usr/bin/python3; do
    [ -n "$py" ] || continue
    if "$py" -c 'import pickle, sys; sys.exit(sys.version_info < (3, 8))' 2>/dev/null; then
        exec "$py" "$srcdir/pickle_interop.py" "$brine"
    fi
done
echo "pickle_interop: SKIP: no python3 (3.8 or later) found; set PYTHON3 or install python3"
exit 77
