#!/usr/bin/python3
"""train.py: fits the classic scikit-learn tutorial's decision tree on the UCI
Balance Scale data and writes what examples/sklearn-tree/predict reads:
data/sklearn-tree/model.pkl (pickle.dump of the fitted classifier, default
protocol), model-p5.pkl (the same with protocol 5, numpy's other array
form), model-unicode.pkl (the same tree with its labels as a numpy str
array), model.joblib (joblib.dump of the first), test.csv (the held-out
rows as Python writes them: a header, the features, then the class) and
model.sklearn.csv (scikit-learn's predict and
predict_proba for each test row, floats as repr() writes them).

Run it with Debian's python3 (python3-sklearn, python3-numpy, python3-joblib)
from anywhere:
    /usr/bin/python3 examples/sklearn-tree/train.py
Its outputs are checked in, so the tests never need Python.
"""
import csv
import os
import pickle
import sys

import joblib
import numpy as np
import sklearn
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA = os.path.join(TOP, "data", "balance-scale.data")
OUT = os.path.join(TOP, "data", "sklearn-tree")
FEATURES = ["left_weight", "left_distance", "right_weight", "right_distance"]


def main():
    with open(DATA, newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    # The tutorial reads the file with pandas: its labels are then an object
    # array of str, so classes_ is one too (what this pickles).
    Y = np.array([r[0] for r in rows], dtype=object)
    X = np.array([[int(v) for v in r[1:5]] for r in rows], dtype=np.int64)
    X_train, X_test, y_train, y_test = train_test_split(X, Y, test_size=0.3, random_state=100)

    clf = DecisionTreeClassifier(criterion="gini", random_state=100, max_depth=3, min_samples_leaf=5)
    clf.fit(X_train, y_train)
    y_pred = clf.predict(X_test)

    os.makedirs(OUT, exist_ok=True)
    # Protocol 4 is Python 3.8+'s default; named so the file does not change
    # with the Python that runs this.
    with open(os.path.join(OUT, "model.pkl"), "wb") as f:
        pickle.dump(clf, f, protocol=4)
    with open(os.path.join(OUT, "model-p5.pkl"), "wb") as f:
        pickle.dump(clf, f, protocol=5)
    # The same tree with the labels as a numpy str array: classes_ is then
    # '<U1' (UCS-4 bytes), the other form the C program decodes.
    clf_u = DecisionTreeClassifier(criterion="gini", random_state=100, max_depth=3, min_samples_leaf=5)
    clf_u.fit(X_train, y_train.astype(str))
    assert clf_u.classes_.dtype.kind == "U" and (clf_u.predict(X_test) == y_pred).all()
    with open(os.path.join(OUT, "model-unicode.pkl"), "wb") as f:
        pickle.dump(clf_u, f, protocol=4)
    # The tutorials' other way to save it: joblib (arrays' bytes inline,
    # classes_ an object array pickled after its wrapper).
    joblib.dump(clf, os.path.join(OUT, "model.joblib"), protocol=4)
    with open(os.path.join(OUT, "test.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(FEATURES + ["class"])
        for x, y in zip(X_test, y_test):
            w.writerow([int(v) for v in x] + [y])
    with open(os.path.join(OUT, "model.sklearn.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["predict"] + ["proba_" + c for c in clf.classes_])
        for p, pr in zip(y_pred, clf.predict_proba(X_test)):
            w.writerow([p] + [repr(float(v)) for v in pr])

    correct = int(np.sum(y_pred == y_test))
    print("scikit-learn %s, numpy %s, Python %s" % (sklearn.__version__, np.__version__, sys.version.split()[0]))
    print("%d rows to train, %d to test" % (len(X_train), len(X_test)))
    print("fitted a tree of %d nodes, depth %d" % (clf.tree_.node_count, clf.get_depth()))
    print("test accuracy: %.2f%% (%d of %d)" % (100.0 * correct / len(y_test), correct, len(y_test)))


if __name__ == "__main__":
    main()
