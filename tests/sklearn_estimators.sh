#!/bin/sh
# sklearn_estimators.sh: runs sklearn_estimators.py (the sklearn preset's 15
# estimators, protocols 2-5: check --strict from a file and from stdin, and
# a convert that CPython loads into an estimator predicting as the original)
# with the first Python that has numpy and scikit-learn.
# Skips (77) when there is none, or no $BRINE to run.
srcdir=${BRINE_TEST_SRCDIR:-$(dirname "$0")}
if [ -z "$BRINE" ] || [ ! -x "$BRINE" ]; then
    echo "sklearn_estimators: SKIP: \$BRINE is not set"
    exit 77
fi
for py in /usr/bin/python3 "$PYTHON3" python3; do
    [ -n "$py" ] || continue
    if "$py" -c 'import numpy, sklearn' 2>/dev/null; then
        exec "$py" "$srcdir/sklearn_estimators.py"
    fi
done
echo "sklearn_estimators: SKIP: no python3 with numpy and scikit-learn (apt-get install python3-sklearn)"
exit 77
