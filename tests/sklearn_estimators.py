"""sklearn_estimators.py: the 15 estimators of the sklearn allow preset
(plugins/pickle/gen_sklearn_allow.py, imported by path), each pickled by
CPython with protocols 2-5, against brine:
  1. `brine check --strict -I allow=sklearn` passes with nothing on stderr,
     reading the file and reading the same bytes from standard input (a
     forest once got a false "would also run what the value does not show"
     on a numpy.dtype BUILD, from the audit reading memory it never set,
     so the answer changed with the heap: file or stdin);
  2. `brine convert -I allow=sklearn -O allow=sklearn -O protocol=P` writes
     a pickle that CPython loads into an estimator that predicts (or, for
     PCA, transforms) the training data exactly as the original does.
Skips (77) without numpy and scikit-learn.
"""
import importlib.util
import os
import pickle
import subprocess
import sys
import tempfile
import warnings

BRINE = os.environ["BRINE"]
SRCDIR = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(SRCDIR, "..", "plugins", "pickle", "gen_sklearn_allow.py")
failures = 0

try:
    import numpy as np
    import sklearn  # noqa: F401
except ImportError as e:
    print("sklearn_estimators: SKIP: %s (apt-get install python3-sklearn)" % e)
    sys.exit(77)


def fail(msg):
    global failures
    failures += 1
    print("sklearn_estimators: FAIL: " + msg)


def run(args, data=None):
    p = subprocess.run(args, input=data, capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def outputs(est, X):
    """What the estimator gives for X: its predictions, or its transform."""
    return est.predict(X) if hasattr(est, "predict") else est.transform(X)


def main():
    spec = importlib.util.spec_from_file_location("gen_sklearn_allow", GEN)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    X, _ = gen.balance_scale()
    warnings.simplefilter("ignore")  # convergence warnings of the tiny fits
    count = 0
    with tempfile.TemporaryDirectory() as tmp:
        for est in gen.estimators():
            kind = type(est).__name__
            want = outputs(est, X)
            for proto in range(2, 6):
                what = "%s protocol %d" % (kind, proto)
                data = pickle.dumps(est, protocol=proto)
                path = os.path.join(tmp, "est%d-%d.pkl" % (count, proto))
                with open(path, "wb") as f:
                    f.write(data)
                for src, args, stdin in (
                    ("file", [path], None),
                    ("stdin", ["-f", "pickle", "-"], data),
                ):
                    rc, _, err = run([BRINE, "check", "--strict", "-I", "allow=sklearn"] + args, stdin)
                    if rc != 0 or err:
                        fail("%s: check --strict from %s: rc %d, stderr %r" % (what, src, rc, err))
                out = os.path.join(tmp, "out%d-%d.pkl" % (count, proto))
                rc, _, err = run([BRINE, "convert", "-I", "allow=sklearn", "-O", "allow=sklearn", "-O",
                                  "protocol=%d" % proto, "-t", "pickle", "-o", out, path])
                if rc != 0:
                    fail("%s: convert: rc %d, stderr %r" % (what, rc, err))
                    continue
                with open(out, "rb") as f:
                    back = pickle.load(f)
                if type(back) is not type(est):
                    fail("%s: converted pickle loads as a %s" % (what, type(back).__name__))
                    continue
                got = outputs(back, X)
                if got.dtype != want.dtype or not np.array_equal(got, want):
                    fail("%s: the converted estimator's outputs differ from the original's" % what)
            count += 1
    if count != 15:
        fail("%d estimators from gen_sklearn_allow.py, not 15" % count)
    print("sklearn_estimators: %d estimators x protocols 2-5, %d failures" % (count, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
