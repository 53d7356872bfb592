"""joblib_interop.py: joblib files between brine and Debian's joblib 1.2.

1. Files joblib.dump writes (several dtypes, Fortran order, 0-d and empty
   arrays, object arrays, a dict and a list of arrays, protocols 2-5) read in brine
   exactly: converted to pickles by brine, pickle.load gives the originals
   back (type, dtype with its byte order, shape, bytes).
2. Files brine writes (from pickles CPython wrote) load in joblib equal to
   the originals, and with mmap_mode='r' as np.memmap arrays mapped from
   the file (joblib.load takes only what allow_mmap permits).
3. A DecisionTreeClassifier and a LogisticRegression dumped by joblib:
   brine check --strict -I allow=sklearn passes (the wrapper is data), the
   audit lists no call beyond the value, the converted pickle predicts as
   sklearn does, and brine's joblib of the pickle loads in joblib and
   predicts the same; the seed's C tree predictor (examples/sklearn-tree)
   reads the joblib file and predicts as sklearn.
4. Compressed joblib files (compress=3 and each (method, level) of
   zlib, gzip, bz2, xz, lzma, lz4; lz4 needs python3-lz4, which
   ./bootstrap installs): read through brine's filters, written with -F
   (no mmap then, as joblib's own); each case skips with a message
   when `brine formats --json` lists no filter for it.
Run by test_joblib_interop.sh with $BRINE set.
"""
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile

import joblib
import numpy as np

BRINE = os.environ["BRINE"]
TREE = os.environ.get("SKLEARN_TREE", "")
failures = passed = skipped = 0


def run(args, data=None):
    p = subprocess.run([BRINE] + args, input=data, capture_output=True)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def check(name, ok, why=""):
    global failures, passed
    if ok:
        passed += 1
    else:
        failures += 1
        print("FAIL %s %s" % (name, why))


def zerod(x):
    return isinstance(x, np.generic) or (isinstance(x, np.ndarray) and x.ndim == 0)


def native(x):
    """numpy's own unpickling (protocols 2-4) and joblib.load give
    big-endian arrays in native order; brine keeps the order it read."""
    return x.astype(x.dtype.newbyteorder("=")) if x.dtype.byteorder == ">" and not x.dtype.fields else x


def same(a, b, memmap=False):
    """Deep equality: arrays by type, dtype, shape and bytes (in native
    order); np.memmap wanted where memmap is set. A 0-d array and a numpy
    scalar are one brine value (docs/pickle.md, "numpy arrays"): equal
    when dtype and bytes are."""
    if zerod(a) and zerod(b):
        a, b = np.asarray(a), np.asarray(b)
        return native(a).dtype == native(b).dtype and native(a).tobytes() == native(b).tobytes()
    if isinstance(a, np.ndarray) and a.dtype.hasobject:
        return type(b) is np.ndarray and b.dtype == a.dtype and a.shape == b.shape and a.tolist() == b.tolist()
    if isinstance(a, np.ndarray):
        want = np.memmap if memmap else np.ndarray
        a, b2 = native(a), native(b) if isinstance(b, np.ndarray) else b
        return (type(b) is want and a.dtype == b2.dtype and a.dtype.str == b2.dtype.str and a.shape == b2.shape and
                np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b2).tobytes())
    if isinstance(a, dict):
        return type(b) is dict and list(a) == list(b) and all(same(a[k], b[k], memmap) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y, memmap) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def values():
    rng = np.random.default_rng(22)
    out = []
    for dt in ("?", "i1", "<i2", "<i4", "<i8", "u1", "<u8", "<f2", "<f4", "<f8", "<c16", ">i4", ">f8", "S5", "<U3",
               "<M8[s]", "<m8[ms]"):
        a = np.frombuffer(rng.bytes(6 * np.dtype(dt).itemsize), dtype=dt).reshape(2, 3).copy()
        if np.dtype(dt).kind in "Mm":
            a = np.arange(6, dtype="<i8").astype(dt).reshape(2, 3)
        if np.dtype(dt).kind == "U":
            a = np.array([["a", "bé", "c😀"], ["", "xyz", "q"]], dtype=dt)
        if np.dtype(dt).kind == "b":
            a = a.view("u1") & 1 == 1
        if np.dtype(dt).kind in "fc":
            a = np.arange(6, dtype=dt).reshape(2, 3) / 3
        out.append(("dtype %s" % dt, a))
    rec = np.zeros(3, dtype=[("a", "<i4"), ("b", [("x", ">f8"), ("y", "S2")]), ("c", "<f4", (2, 3))])
    rec["a"] = [1, -2, 3]
    rec["c"] = np.arange(18, dtype="<f4").reshape(3, 2, 3)
    out.append(("record", rec))
    out.append(("fortran 3x4", np.asfortranarray(np.arange(12.0).reshape(3, 4))))
    out.append(("fortran 2x3x4 i2", np.asfortranarray(np.arange(24, dtype="<i2").reshape(2, 3, 4))))
    out.append(("0-d array", np.array(2.5)))
    out.append(("empty 0x3", np.zeros((0, 3), dtype="<f4")))
    out.append(("empty 0", np.array([], dtype="<i8")))
    out.append(("object array", np.array(["a", 1, None, [2.5]], dtype=object)))
    out.append(("object 2x2 in a dict", {"o": np.array([[1, "x"], [None, 2]], dtype=object), "f": np.ones(2)}))
    out.append(("5-d", np.arange(32, dtype="<u2").reshape(2, 2, 2, 2, 2)))
    out.append(("large", np.arange(300000, dtype="<f8")))
    out.append(("dict of arrays", {"w": np.arange(4.0), "b": np.ones((2, 2), dtype="<f4"), "n": 3, "s": "x",
                                   "z": np.array(7, dtype="<i8")}))
    out.append(("list of arrays and scalars", [np.arange(3), np.float64(1.5), None, [np.zeros(2)], (1, "a")]))
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="brine-joblib-")
    try:
        read_joblib(tmp)
        write_joblib(tmp)
        sklearn_models(tmp)
        compressed(tmp)
    finally:
        shutil.rmtree(tmp)
    print("joblib_interop: %d passed, %d failed, %d skipped" % (passed, failures, skipped))
    return 1 if failures else 0


def read_joblib(tmp):
    for proto in (2, 3, 4, 5):
        for name, v in values():
            src = os.path.join(tmp, "v.joblib")
            joblib.dump(v, src, protocol=proto)
            rc, out, err = run(["convert", "-O", "zerod=array", src, "-o", os.path.join(tmp, "v.pkl")])
            if rc:
                check("read %s p%d" % (name, proto), False, err)
                continue
            with open(os.path.join(tmp, "v.pkl"), "rb") as f:
                back = pickle.load(f)
            check("read %s p%d" % (name, proto), same(v, back), "%r" % (back,))


def write_joblib(tmp):
    for proto in (2, 4, 5):
        for name, v in values():
            src, dst = os.path.join(tmp, "v.pkl"), os.path.join(tmp, "v.joblib")
            with open(src, "wb") as f:
                pickle.dump(v, f, protocol=4)
            rc, out, err = run(["convert", "-O", "protocol=%d" % proto, "-O", "zerod=array", src, "-o", dst])
            if rc:
                check("write %s p%d" % (name, proto), False, err)
                continue
            check("write %s p%d: joblib.load" % (name, proto), same(v, joblib.load(dst)))
            # Mapped: every array with ndim > 0 comes back as a memmap.
            m = joblib.load(dst, mmap_mode="r")
            check("write %s p%d: mmap_mode='r'" % (name, proto), mapped(v, m), "%r" % (m,))
            rc, out, err = run(["convert", "-O", "mmap=no", src, "-o", dst])
            m = joblib.load(dst, mmap_mode="r")
            check("write %s mmap=no: not mapped" % name, rc == 0 and not any_memmap(m), err)


def mapped(a, b):
    if isinstance(a, np.ndarray) and a.ndim and not a.dtype.hasobject:
        return same(a, b, memmap=True)
    if isinstance(a, dict):
        return type(b) is dict and all(mapped(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and all(mapped(x, y) for x, y in zip(a, b))
    return same(a, b)


def any_memmap(v):
    if isinstance(v, np.memmap):
        return True
    if isinstance(v, dict):
        return any(any_memmap(x) for x in v.values())
    if isinstance(v, (list, tuple)):
        return any(any_memmap(x) for x in v)
    return False


def sklearn_models(tmp):
    global skipped
    try:
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression
        from sklearn.tree import DecisionTreeClassifier
    except ImportError as e:
        print("SKIP sklearn models: %s (apt-get install python3-sklearn)" % e)
        skipped += 1
        return
    X, y = load_iris(return_X_y=True)
    for name, model in (("tree", DecisionTreeClassifier(random_state=0, max_depth=4)),
                        ("logistic", LogisticRegression(max_iter=1000))):
        model.fit(X, y)
        want = model.predict(X)
        src = os.path.join(tmp, name + ".joblib")
        joblib.dump(model, src)
        rc, out, err = run(["check", "--strict", "-I", "allow=sklearn", src])
        check("%s: check --strict -I allow=sklearn" % name, rc == 0 and not err, out + err)
        rc, out, err = run(["audit", "--json", src])
        try:
            got = json.loads(out)
            hidden = [a for a in got["actions"] if not a["reaches"]]
            check("%s: audit" % name, got["status"] == "ok" and not hidden and
                  any(a["name"] == "joblib.numpy_pickle.NumpyArrayWrapper" for a in got["actions"]), out[:300])
        except ValueError:
            check("%s: audit --json" % name, False, out + err)
        pkl = os.path.join(tmp, name + ".pkl")
        rc, out, err = run(["convert", "-I", "allow=sklearn", "-O", "allow=sklearn", src, "-o", pkl])
        if rc == 0:
            with open(pkl, "rb") as f:
                back = pickle.load(f)
            check("%s: joblib -> pickle predicts" % name, (back.predict(X) == want).all())
        else:
            check("%s: joblib -> pickle" % name, False, err)
        with open(pkl, "wb") as f:
            pickle.dump(model, f)
        dst = os.path.join(tmp, name + "-brine.joblib")
        rc, out, err = run(["convert", "-O", "allow=sklearn", pkl, "-o", dst])
        check("%s: pickle -> joblib predicts" % name, rc == 0 and (joblib.load(dst).predict(X) == want).all() and
              (joblib.load(dst, mmap_mode="r").predict(X) == want).all(), err)
        if name == "tree" and TREE and os.access(TREE, os.X_OK):
            Xi = (X * 10).astype(int)  # the predictor reads integer features? no: floats as text
            features = "".join(",".join(repr(float(v)) for v in row) + "\n" for row in X).encode()
            p = subprocess.run([TREE, src], input=features, capture_output=True)
            lines = p.stdout.decode().splitlines()
            check("tree: examples/sklearn-tree predicts the joblib file", p.returncode == 0 and
                  lines[1:] == [str(v) for v in want], p.stderr.decode()[:300] + repr(lines[:3]))
            del Xi


def filters():
    rc, out, err = run(["formats", "--json"])
    return {f["name"] for f in json.loads(out)["filters"]} if rc == 0 else set()


# joblib 1.2's compressors and the names brine's filters may go by.
METHODS = {"zlib": ("zlib",), "gzip": ("gzip",), "bz2": ("bzip2", "bz2"), "xz": ("xz",), "lzma": ("lzma", "xz")}


def compressed(tmp):
    global skipped
    names = filters()
    v = {"w": np.arange(1000.0), "b": np.ones((20, 3), dtype="<f4"), "n": 3}
    cases = [(3, "zlib")] + [((m, lvl), m) for m in METHODS for lvl in (1, 3, 9)]
    try:
        import lz4  # noqa: F401
        METHODS["lz4"] = ("lz4",)
        cases += [("lz4", "lz4")] + [(("lz4", lvl), "lz4") for lvl in (1, 3, 9)]
    except ImportError:
        print("SKIP compress lz4: no python3-lz4 in /usr/bin/python3")
        skipped += 1
    for compress, method in cases:
        have = [n for n in METHODS[method] if n in names]
        if not have:
            print("SKIP compress=%r: brine formats --names lists no %s filter yet" % (compress, "/".join(
                METHODS[method])))
            skipped += 1
            continue
        src = os.path.join(tmp, "c.joblib")
        joblib.dump(v, src, compress=compress)
        rc, out, err = run(["convert", "-O", "zerod=array", src, "-o", os.path.join(tmp, "c.pkl")])
        ok = rc == 0
        if ok:
            with open(os.path.join(tmp, "c.pkl"), "rb") as f:
                ok = same(v, pickle.load(f))
        check("read compress=%r" % (compress,), ok, err)
        pkl = os.path.join(tmp, "c.pkl")
        with open(pkl, "wb") as f:
            pickle.dump(v, f)
        dst = os.path.join(tmp, "c-brine.joblib")
        rc, out, err = run(["convert", "-F", have[0], pkl, "-o", dst])
        check("write -F %s" % have[0], rc == 0 and same(v, joblib.load(dst)), err)
        # compressed, so written with allow_mmap=False (the default into a
        # filter): mmap_mode gives plain arrays, as for joblib's own files
        m = joblib.load(dst, mmap_mode="r") if rc == 0 else None
        check("write -F %s: not mapped" % have[0], rc == 0 and same(v, m) and not any_memmap(m), err)


if __name__ == "__main__":
    sys.exit(main())
