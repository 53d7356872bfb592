#!/bin/sh
# test_joblib_interop.sh: joblib files between brine and Debian's joblib
# (joblib_interop.py). Skips (77) without $BRINE, numpy or joblib in
# /usr/bin/python3.
srcdir=${BRINE_TEST_SRCDIR:-$(dirname "$0")}
if [ -z "$BRINE" ] || [ ! -x "$BRINE" ]; then
    echo "test_joblib_interop: SKIP: \$BRINE (the brine CLI) is not set"
    exit 77
fi
if ! /usr/bin/python3 -c 'import numpy, joblib' 2>/dev/null; then
    echo "test_joblib_interop: SKIP: no numpy or joblib in /usr/bin/python3 (apt-get install python3-numpy python3-joblib)"
    exit 77
fi
exec /usr/bin/python3 "$srcdir/joblib_interop.py"
