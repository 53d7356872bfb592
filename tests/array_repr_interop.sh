#!/bin/sh
# array_repr_interop.sh: runs array_repr_interop.py (brine show of .npy files
# against numpy's repr) with a Python that has numpy: $PYTHON3, python3, or
# Debian's /usr/bin/python3. Skips (77) when none has it.
srcdir=${BRINE_TEST_SRCDIR:-$(dirname "$0")}
brine=${BRINE:-../tools/brine}
for py in "$PYTHON3" python3 /usr/bin/python3; do
    [ -n "$py" ] || continue
    if "$py" -c 'import numpy' 2>/dev/null; then
        exec "$py" "$srcdir/array_repr_interop.py" "$brine"
    fi
done
echo "array_repr_interop: SKIP: no python3 with numpy (apt-get install python3-numpy)"
exit 77
