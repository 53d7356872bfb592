#!/bin/sh
# array_mj_interop.sh: runs array_mj_interop.py (numpy and Python's msgpack
# as the other side of brine's msgpack and json arrays) with a Python that
# has both: $PYTHON3, python3, or Debian's /usr/bin/python3 (where
# python3-numpy and python3-msgpack install). Skips (77) when none has them.
srcdir=${BRINE_TEST_SRCDIR:-$(dirname "$0")}
brine=${BRINE:-../tools/brine}
for py in "$PYTHON3" python3 /usr/bin/python3; do
    [ -n "$py" ] || continue
    if "$py" -c 'import numpy, msgpack' 2>/dev/null; then
        exec "$py" "$srcdir/array_mj_interop.py" "$brine"
    fi
done
echo "array_mj_interop: SKIP: no python3 with numpy and msgpack (apt-get install python3-numpy python3-msgpack)"
exit 77
