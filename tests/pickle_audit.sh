#!/bin/sh
# pickle_audit.sh: runs pickle_audit.py (the pickle audit and allow-lists against
# CPython) with $PYTHON3 from configure, else python3.
# Skips (77) when there is no Python 3 or no $BRINE to run.
srcdir=${BRINE_TEST_SRCDIR:-$(dirname "$0")}
if [ -z "$BRINE" ] || [ ! -x "$BRINE" ]; then
    echo "pickle_audit: SKIP: \$BRINE (the brine CLI) is not set"
    exit 77
fi
for py in "$PYTHON3" python3 /usr/bin/python3; do
    [ -n "$py" ] || continue
    if "$py" -c 'import pickle, pickletools' 2>/dev/null; then
        exec "$py" "$srcdir/pickle_audit.py"
    fi
done
echo "pickle_audit: SKIP: no python3 found (set PYTHON3, or apt-get install python3)"
exit 77
