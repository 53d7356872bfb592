#!/bin/sh
# test_pickle_numpy.sh: numpy arrays through brine's pickle reader and
# writer, checked by numpy itself (pickle_numpy.py). Skips (77) without
# $BRINE or without numpy in Debian's /usr/bin/python3.
srcdir=${BRINE_TEST_SRCDIR:-$(dirname "$0")}
if [ -z "$BRINE" ] || [ ! -x "$BRINE" ]; then
    echo "test_pickle_numpy: SKIP: \$BRINE (the brine CLI) is not set"
    exit 77
fi
if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    echo "test_pickle_numpy: SKIP: no numpy in /usr/bin/python3 (apt-get install python3-numpy)"
    exit 77
fi
exec /usr/bin/python3 "$srcdir/pickle_numpy.py"
