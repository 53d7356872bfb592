#!/usr/bin/python3
"""train.py: fits scikit-learn linear classifiers on the UCI Balance Scale
data and writes what examples/sklearn-linear/sklearn-linear reads, into
data/sklearn-linear/:

  test.csv           the held-out rows as Python writes them: a header, the
                     four features, then the class
  NAME.pkl           pickle.dump of each fitted model (see MODELS)
  NAME.sklearn.csv   scikit-learn's predict and predict_proba for each test
                     row, floats as repr() writes them (exact)

Run it with Debian's python3 (python3-sklearn, python3-numpy) from anywhere:
    /usr/bin/python3 examples/sklearn-linear/train.py
Its outputs are checked in, so the tests never need Python.
"""
import csv
import os
import pickle
import sys

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA = os.path.join(TOP, "data", "balance-scale.data")
OUT = os.path.join(TOP, "data", "sklearn-linear")
FEATURES = ["left_weight", "left_distance", "right_weight", "right_distance"]

# name -> (estimator, pickle protocol, train on L and R rows only). Each
# exercises one path of the C predictor: multinomial (lbfgs's default for
# three classes), one-vs-rest (liblinear's), a scaler before the model,
# protocol 5's array form, a binary model (one row of coef_) and arrays in
# big-endian byte order.
MODELS = {
    "logistic": (lambda: LogisticRegression(max_iter=1000), 4, False),
    "logistic-ovr": (lambda: LogisticRegression(solver="liblinear", random_state=0), 4, False),
    "pipeline": (lambda: Pipeline([("scaler", StandardScaler()), ("logreg", LogisticRegression())]), 4, False),
    "pipeline-p5": (lambda: Pipeline([("scaler", StandardScaler()), ("logreg", LogisticRegression())]), 5, False),
    "binary": (lambda: Pipeline([("scaler", StandardScaler()), ("logreg", LogisticRegression())]), 4, True),
    "big-endian": (lambda: LogisticRegression(max_iter=1000), 4, False),
}


def big_endian(model):
    """The "big-endian" model: logistic's arrays stored as '>f8', as a
    model saved on a big-endian machine holds them (numpy computes with
    them unchanged)."""
    model.coef_ = model.coef_.astype(">f8")
    model.intercept_ = model.intercept_.astype(">f8")
    return model


def main():
    with open(DATA, newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    # Labels as pandas would give them: an object array of str, so classes_
    # is one too. The split is the sklearn-tree example's.
    Y = np.array([r[0] for r in rows], dtype=object)
    X = np.array([[int(v) for v in r[1:5]] for r in rows], dtype=np.int64)
    X_train, X_test, y_train, y_test = train_test_split(X, Y, test_size=0.3, random_state=100)

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "test.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(FEATURES + ["class"])
        for x, y in zip(X_test, y_test):
            w.writerow([int(v) for v in x] + [y])

    print("scikit-learn %s, numpy %s, Python %s" % (sklearn.__version__, np.__version__, sys.version.split()[0]))
    print("%d rows to train, %d to test" % (len(X_train), len(X_test)))
    for name, (make, protocol, binary) in MODELS.items():
        keep = (y_train != "B") if binary else np.ones(len(y_train), dtype=bool)
        model = make().fit(X_train[keep], y_train[keep])
        if name == "big-endian":
            model = big_endian(model)
        pred = model.predict(X_test)
        proba = model.predict_proba(X_test)
        # Protocols are named so the files do not change with the Python
        # that runs this.
        with open(os.path.join(OUT, name + ".pkl"), "wb") as f:
            pickle.dump(model, f, protocol=protocol)
        with open(os.path.join(OUT, name + ".sklearn.csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["predict"] + ["proba_" + str(c) for c in model.classes_])
            for p, pr in zip(pred, proba):
                w.writerow([p] + [repr(float(v)) for v in pr])
        correct = int(np.sum(pred == y_test))
        print("%s: classes %s, test accuracy %.2f%% (%d of %d)" % (name, ", ".join(model.classes_),
                                                                   100.0 * correct / len(y_test), correct,
                                                                   len(y_test)))


if __name__ == "__main__":
    main()
