#!/usr/bin/python3
"""sklearn_expect.py: checks that the expectations checked in beside the
scikit-learn examples' pickles are what scikit-learn says today: each
MODEL.pkl of DIR, loaded by Python's pickle, predicts the rows of
DIR/test.csv (a header, the features, then the class) with the labels and
probabilities of EXPECTED.sklearn.csv: exactly, or within D with
--within D (a linear model's dot products go through BLAS, whose kernels
add in an order that depends on the CPU: the last bits differ between
machines).

    sklearn_expect.py [--within D] DIR MODEL[=EXPECTED]...

Exit status 0 when all agree, 1 otherwise (each difference on stderr), 77
when this Python has no numpy or scikit-learn (Debian's python3-sklearn).
Run by tests/test_sklearn_tree.sh and tests/test_sklearn_linear.sh.
"""
import csv
import pickle
import sys

try:
    import numpy as np
    import sklearn  # noqa: F401
except ImportError:
    sys.exit(77)


def main():
    args = sys.argv[1:]
    within = 0.0
    if args[:1] == ["--within"]:
        within = float(args[1])
        args = args[2:]
    d = args[0]
    with open(d + "/test.csv", newline="") as f:
        X = np.array([[float(v) for v in r[:-1]] for r in list(csv.reader(f))[1:]])
    bad = 0
    for arg in args[1:]:
        name, _, expected = arg.partition("=")
        with open("%s/%s.pkl" % (d, name), "rb") as f:
            model = pickle.load(f)
        with open("%s/%s.sklearn.csv" % (d, expected or name), newline="") as f:
            rows = list(csv.reader(f))[1:]
        pred, proba = model.predict(X), model.predict_proba(X)
        if len(rows) != len(X):
            bad += 1
            print("%s: %d expectations for %d rows" % (name, len(rows), len(X)), file=sys.stderr)
        for r, p, pr in zip(rows, pred, proba):
            want = [float(v) for v in r[1:]]
            if r[0] != str(p) or len(want) != len(pr) or any(abs(w - g) > within for w, g in zip(want, pr)):
                bad += 1
                print("%s: expected %s, scikit-learn says %s %s" % (name, r, p, list(pr)), file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
