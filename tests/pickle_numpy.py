"""pickle_numpy.py: numpy arrays through brine's pickle reader and writer.

Every dtype of #20 (bool, ints, uints, floats, complex, S, U, datetime64,
timedelta64, records with nested and sub-array fields, V), shapes 0-d to
5-d, Fortran order, big-endian input and empty arrays, pickled by CPython
with protocols 0-5, then: pickle -> brine -> pickle (each output
protocol) must load as an equal array (np.array_equal on the bytes, equal
dtype, shape); pickle -> native -> pickle likewise; `brine show` prints
numpy's repr style; the audit shows nothing hidden. Run by
test_pickle_numpy.sh with $BRINE set.
"""
import os
import pickle
import subprocess
import sys
import tempfile

import numpy as np

BRINE = os.environ["BRINE"]
failures = passed = 0


def run(args, data):
    p = subprocess.run([BRINE] + args, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def same(a, b):
    """Equal arrays: type, dtype (byte order and fields included), shape
    and bytes (so NaN and -0.0 compare exactly). A 0-d array comes back as
    the numpy scalar of its dtype (the writer's default, zerod=scalar)."""
    if a.ndim == 0 and isinstance(b, np.generic):
        b = np.array(b, dtype=b.dtype)
    return (type(b) is np.ndarray and a.dtype == b.dtype and a.dtype.str == b.dtype.str and
            a.dtype.fields == b.dtype.fields and a.shape == b.shape and
            a.copy(order="C").tobytes() == b.copy(order="C").tobytes())


def numpy_gives(a, proto):
    """What numpy itself loads from its own pickle of a (C order) at this
    protocol: protocols 2-4 load big-endian arrays in native order (numpy's
    __setstate__ swaps them), protocol 5 keeps the byte order. brine's
    writer must give the same."""
    return pickle.loads(pickle.dumps(a.copy(order="C"), proto))


def check(name, ok, why=""):
    global failures, passed
    if ok:
        passed += 1
    else:
        failures += 1
        print("FAIL %s %s" % (name, why))


def arrays():
    rng = np.random.default_rng(20)
    out = []
    for dt in ("?", "i1", "<i2", "<i4", "<i8", "u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8", "<c8", "<c16",
               ">i4", ">f8", ">c16", ">u2", "S5", "<U3", ">U3", "<M8[s]", "<m8[ms]", ">M8[10ms]", "V4"):
        a = np.frombuffer(rng.bytes(6 * np.dtype(dt).itemsize), dtype=dt).reshape(2, 3).copy()
        if np.dtype(dt).kind in "Mm":
            a = np.arange(6, dtype="<i8").astype(dt).reshape(2, 3)
        if np.dtype(dt).kind == "U":
            a = np.array([["a", "bé", "c😀"], ["", "xyz", "q"]], dtype=dt)
        if np.dtype(dt).kind == "b":
            a = a.view("u1") & 1 == 1
        out.append(("dtype %s" % dt, a))
    rec = np.dtype([("a", "<i4"), ("b", [("x", ">f8"), ("y", "S2")]), ("c", "<f4", (2, 3))])
    r = np.zeros(3, dtype=rec)
    r["a"] = [1, -2, 3]
    r["b"]["x"] = [0.5, 1.5, -2.0]
    r["b"]["y"] = [b"ab", b"c", b""]
    r["c"] = np.arange(18, dtype="<f4").reshape(3, 2, 3)
    out.append(("record with nested and sub-array fields", r))
    padded = np.zeros(2, dtype=np.dtype({"names": ["a", "b"], "formats": ["<i4", "<f8"], "offsets": [8, 0],
                                         "itemsize": 24}))
    padded["a"] = [7, 8]
    out.append(("record with padding and offsets out of order", padded))
    tree = np.dtype([("left_child", "<i8"), ("right_child", "<i8"), ("feature", "<i8"), ("threshold", "<f8"),
                     ("impurity", "<f8"), ("n_node_samples", "<i8"), ("weighted_n_node_samples", "<f8")])
    out.append(("sklearn-like tree nodes", np.ones(4, dtype=tree)))
    for nd in range(6):
        shape = tuple(range(2, 2 + nd))
        out.append(("shape %r" % (shape,), np.arange(int(np.prod(shape)), dtype="<f8").reshape(shape)))
    out.append(("0-d int", np.array(7, dtype="<i8")))
    out.append(("empty", np.zeros((0,), dtype="<f8")))
    out.append(("empty 2-d", np.zeros((3, 0), dtype=">i2")))
    out.append(("Fortran 2-d", np.asfortranarray(np.arange(12, dtype="<i4").reshape(3, 4))))
    out.append(("Fortran 3-d big-endian", np.asfortranarray(np.arange(24, dtype=">f8").reshape(2, 3, 4))))
    out.append(("non-contiguous view", np.arange(20, dtype="<i2").reshape(4, 5)[:, ::2]))
    nan = np.array([np.nan, -0.0, np.inf], dtype="<f8")
    out.append(("NaN and -0.0", nan))
    out.append(("large (one copy on read)", np.arange(20000, dtype="<f8").reshape(100, 200)))
    return out


def main():
    cases = arrays()
    with tempfile.TemporaryDirectory() as tmp:
        for name, a in cases:
            for proto in range(6):
                raw = pickle.dumps(a, proto)
                label = "%s (protocol %d)" % (name, proto)
                # pickle -> brine -> pickle
                # every output protocol from protocol 4 input, one from the others
                for outp in ((2, 3, 4, 5) if proto == 4 else (2 + proto % 4,)):
                    rc, out, err = run(["convert", "-f", "pickle", "-t", "pickle", "-O", "protocol=%d" % outp], raw)
                    if rc:
                        check(label, False, "-> protocol %d: brine failed: %s" % (outp, err))
                        continue
                    got = pickle.loads(out)
                    # numpy's own load, or the array itself (brine keeps a
                    # byte order where numpy's protocol 5 does not always)
                    check(label + " -> pickle %d" % outp, same(numpy_gives(a, outp), got) or (outp == 5 and same(a, got)),
                          "got %r" % (got,))
                # pickle -> native -> pickle
                nat = os.path.join(tmp, "x.brn")
                rc, out, err = run(["convert", "-f", "pickle", "-o", nat], raw)
                if rc == 0:
                    rc, out, err = run(["convert", "-t", "pickle", nat], b"")
                check(label + " -> native -> pickle", rc == 0 and same(numpy_gives(a, 4), pickle.loads(out)), err)
                # nothing the stream calls is hidden from brine show
                if proto not in (0, 2, 5):
                    continue
                rc, out, err = run(["show", "-f", "pickle"], raw)
                check(label + " show", rc == 0 and out.startswith(b"array(") and err == "", err + repr(out[:80]))
    # brine show prints numpy's repr style for simple arrays
    for a in (np.array([1.5, 2.0]), np.arange(6, dtype="<i4").reshape(2, 3), np.array([1, 2], dtype="<i2")):
        rc, out, err = run(["show", "-f", "pickle"], pickle.dumps(a, 4))
        want = repr(a)
        check("show %s" % want, rc == 0 and out.decode().strip() == want, "%r != %r" % (out, want))
    # brine keeps the byte order it read (numpy would load '<u2' here)
    rc, out, err = run(["convert", "-f", "pickle", "-t", "pickle", "-O", "protocol=5"],
                       pickle.dumps(np.arange(3, dtype=">u2"), 2))
    got = pickle.loads(out) if rc == 0 else None
    check("big-endian kept", got is not None and got.dtype.str == ">u2" and list(got) == [0, 1, 2], err)
    # shared arrays stay shared
    a = np.arange(3.0)
    rc, out, err = run(["convert", "-f", "pickle", "-t", "pickle"], pickle.dumps([a, a, {"k": a}], 4))
    got = pickle.loads(out) if rc == 0 else None
    check("shared array", got is not None and got[0] is got[1] and got[2]["k"] is got[0] and same(a, got[0]), err)
    # object arrays stay models and round-trip
    o = np.array([1, "x", None], dtype=object)
    rc, out, err = run(["convert", "-f", "pickle", "-t", "pickle"], pickle.dumps(o, 4))
    got = pickle.loads(out) if rc == 0 else None
    check("object array", got is not None and got.dtype == object and list(got) == list(o), err)
    # numpy scalars read as 0-d arrays and go back as numpy scalars; with
    # zerod=array, as 0-d arrays
    for outp in (2, 5):
        raw = pickle.dumps(np.float32(1.25), 2)
        rc, out, err = run(["convert", "-f", "pickle", "-t", "pickle", "-O", "protocol=%d" % outp], raw)
        got = pickle.loads(out) if rc == 0 else None
        check("numpy scalar", type(got) is np.float32 and got == 1.25, err + repr(got))
        rc, out, err = run(["convert", "-f", "pickle", "-t", "pickle", "-O", "protocol=%d" % outp, "-O", "zerod=array"],
                           raw)
        got = pickle.loads(out) if rc == 0 else None
        check("zerod=array", type(got) is np.ndarray and got.shape == () and got.dtype == np.float32 and got == 1.25,
              err + repr(got))
    print("pickle_numpy: %d passed, %d failed" % (passed, failures))
    return 1 if failures else 0


sys.exit(main())
