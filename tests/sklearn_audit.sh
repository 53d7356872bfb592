#!/bin/sh
# sklearn_audit.sh: runs sklearn_audit.py (a real scikit-learn tree tampered
# with an os.system call, against CPython, brine and the sklearn-tree
# example) with the first Python that has numpy and scikit-learn.
# Skips (77) when there is none, or no $BRINE / $SKLEARN_TREE to run.
srcdir=${BRINE_TEST_SRCDIR:-$(dirname "$0")}
if [ -z "$BRINE" ] || [ ! -x "$BRINE" ] || [ -z "$SKLEARN_TREE" ] || [ ! -x "$SKLEARN_TREE" ]; then
    echo "sklearn_audit: SKIP: \$BRINE or \$SKLEARN_TREE is not set"
    exit 77
fi
for py in /usr/bin/python3 "$PYTHON3" python3; do
    [ -n "$py" ] || continue
    if "$py" -c 'import numpy, sklearn' 2>/dev/null; then
        exec "$py" "$srcdir/sklearn_audit.py"
    fi
done
echo "sklearn_audit: SKIP: no python3 with numpy and scikit-learn (apt-get install python3-sklearn)"
exit 77
