#!/usr/bin/env python3
"""gen_joblib.py: writes the joblib golden files of data/joblib and their
expected.tsv (docs/pickle.md, "joblib"). Good files are joblib.dump's own
output (Debian's joblib 1.2: protocols 2, 4 and 5, joblib <= 1.1's layout
without the alignment, and 1.2's for an unseekable file, alignment None);
hostile ones are a NumpyArrayWrapper pickled by CPython (protocol 3: no
frames) with the bytes after its BUILD chosen here.

Each row of expected.tsv: file, then `ok` with the array brine must read
(dtype.descr as brine_dtype_descr prints it, the shape, the data in C
order as hex), `dict` with the keys of a dict of arrays, `model` with the
model an object array stays, or `error` with
the code and byte offset. Needs numpy and joblib; deterministic.
"""
import io
import os
import pickle

import joblib
import numpy as np
from joblib import numpy_pickle

HERE = os.path.dirname(os.path.abspath(__file__))
E_SYNTAX, E_TRUNCATED, E_CORRUPT, E_UNSUPPORTED = 8, 9, 10, 12
rows = []


def descr(dt):
    return str(dt.descr) if dt.fields else str([("", dt.str)])


def ok(name, a, data=None, **kw):
    path = os.path.join(HERE, name)
    if data is None:
        joblib.dump(a, path, **kw)
    else:
        open(path, "wb").write(data)
    c = np.ascontiguousarray(a)
    rows.append("%s\tok\t%s\t%s\t%s" % (name, descr(a.dtype), ",".join(str(n) for n in a.shape), c.tobytes().hex()))


def dump_with(a, alignment, **kw):
    """joblib.dump into memory with the wrapper's alignment attribute set
    (None: 1.2 on an unseekable file) or removed (joblib <= 1.1)."""
    orig = numpy_pickle.NumpyPickler._create_array_wrapper

    def create(self, array):
        w = orig(self, array)
        if alignment == "absent":
            del w.numpy_array_alignment_bytes
        else:
            w.numpy_array_alignment_bytes = alignment
        return w

    numpy_pickle.NumpyPickler._create_array_wrapper = create
    try:
        f = io.BytesIO()
        joblib.dump(a, f, **kw)
        return f.getvalue()
    finally:
        numpy_pickle.NumpyPickler._create_array_wrapper = orig


def crafted(name, code, raw=b"", state=None, at=0, **attrs):
    """A wrapper pickled by CPython with its attributes overridden, then raw
    after its BUILD, then STOP: the error is at the BUILD (or at bytes
    into raw)."""
    w = numpy_pickle.NumpyArrayWrapper(np.ndarray, (4,), "C", np.dtype("<f8"), allow_mmap=True)
    w.__dict__.update(attrs)
    p = pickle.dumps(w, protocol=3)
    assert p.endswith(b"b.")
    if state is not None:
        p = p[:p.index(b")\x81") + 2] + state + b"b."
    open(os.path.join(HERE, name), "wb").write(p[:-1] + raw + b".")
    rows.append("%s\terror\t%d\t%d" % (name, code, len(p) - 2 + at))


def main():
    for f in os.listdir(HERE):
        if f.endswith(".joblib"):
            os.remove(os.path.join(HERE, f))
    f8 = np.array([1.5, -2.0, 0.25])
    ok("f8.joblib", f8)
    ok("f8-p2.joblib", f8, protocol=2)
    ok("f8-p5.joblib", f8, protocol=5)
    ok("i4-be-2x3.joblib", np.arange(6, dtype=">i4").reshape(2, 3))
    ok("i2-fortran-2x3.joblib", np.asfortranarray(np.arange(6, dtype="<i2").reshape(2, 3)))
    ok("f4-fortran-2x3x2.joblib", np.asfortranarray(np.arange(12, dtype="<f4").reshape(2, 3, 2)))
    ok("zerod.joblib", np.array(3.0))
    ok("empty-0x3.joblib", np.zeros((0, 3), dtype="<f4"))
    ok("u2.joblib", np.array(["h", "é"], dtype="<U2"))
    ok("b1.joblib", np.array([True, False, True]))
    ok("c16.joblib", np.array([1 + 2j, -0.5j]))
    ok("m8-s.joblib", np.array([1, 2], dtype="<M8[s]"))
    rec = np.zeros(2, dtype=[("a", "<i4"), ("b", [("x", ">f8")]), ("c", "<f2", (2,))])
    rec["a"] = [1, -2]
    rec["b"]["x"] = [0.5, 1.5]
    rec["c"] = [[1, 2], [3, 4]]
    ok("record.joblib", rec)
    ok("align-none.joblib", f8, data=dump_with(f8, None))
    ok("align-absent.joblib", f8, data=dump_with(f8, "absent"))
    ok("align-absent-p2.joblib", f8, data=dump_with(f8, "absent", protocol=2))
    joblib.dump(np.array(["a", 1, None], dtype=object), os.path.join(HERE, "object.joblib"))
    rows.append("object.joblib\tmodel\tnumpy.core.multiarray._reconstruct")
    d = {"w": np.arange(4, dtype="<i8"), "b": np.ones((2, 2)), "n": 7, "w2": np.arange(3, dtype="u1")}
    joblib.dump(d, os.path.join(HERE, "dict.joblib"))
    rows.append("dict.joblib\tdict\tw,b,n,w2")

    # Hostile: each refused at the wrapper's BUILD.
    data = f8.tobytes()
    crafted("short-data.joblib", E_TRUNCATED, b"\x0f" + b"\xff" * 15 + data[:-2], shape=(3,))
    crafted("long-shape.joblib", E_TRUNCATED, b"\x0f" + b"\xff" * 15 + data, shape=(4,))
    crafted("padding-past-end.joblib", E_TRUNCATED, b"\xf0" + b"\xff" * 15, shape=(0,))
    crafted("shape-overflow.joblib", E_CORRUPT, b"\x01\xff", shape=(2**62, 2**62))
    crafted("shape-bytes-overflow.joblib", E_CORRUPT, b"\x01\xff", shape=(2**61,))
    crafted("shape-negative.joblib", E_CORRUPT, b"\x01\xff", shape=(-1,))
    crafted("shape-not-tuple.joblib", E_CORRUPT, b"\x01\xff", shape=[3])
    crafted("order-x.joblib", E_CORRUPT, b"\x01\xff" + data, shape=(3,), order="X")
    crafted("align-zero.joblib", E_CORRUPT, b"\x01\xff" + data, shape=(3,), numpy_array_alignment_bytes=0)
    crafted("dtype-not-dtype.joblib", E_CORRUPT, b"\x01\xff" + data, shape=(3,), dtype="f8")
    crafted("subclass-int.joblib", E_UNSUPPORTED, b"\x01\xff" + data, shape=(3,), subclass=int)
    crafted("subclass-matrix.joblib", E_UNSUPPORTED, b"\x01\xff" + data, shape=(1, 3), subclass=np.matrix)
    # An object array: a whole pickle after the wrapper, read as a pickle
    # (a wrapper in it is refused), so it nests once.
    obj = dict(shape=(2,), dtype=np.dtype(object))
    crafted("object-nested-bad-opcode.joblib", E_SYNTAX, b"\xff", at=1, **obj)
    inner = pickle.dumps(numpy_pickle.NumpyArrayWrapper(np.ndarray, (1,), "C", np.dtype("<f8")), 3)
    crafted("object-nested-wrapper.joblib", E_UNSUPPORTED, inner[:-1], at=1 + len(inner) - 2, **obj)
    crafted("state-list.joblib", E_CORRUPT, state=b"]")
    crafted("state-missing-dtype.joblib", E_CORRUPT, state=b"}X\x05\x00\x00\x00shape)s")
    # The data inside the wrapper's frame: joblib ends the frame first.
    p = bytearray(open(os.path.join(HERE, "f8.joblib"), "rb").read())
    assert p[2] == 0x95
    build = p.index(b"K\x10ub") + 3
    flen = int.from_bytes(p[3:11], "little")
    p[3:11] = (flen + 1 + p[build + 1] + 24).to_bytes(8, "little")
    open(os.path.join(HERE, "data-in-frame.joblib"), "wb").write(bytes(p))
    rows.append("data-in-frame.joblib\terror\t%d\t%d" % (E_CORRUPT, build))
    open(os.path.join(HERE, "zf-header.joblib"), "wb").write(b"ZF0x00000000000000030x\x9c\x03\x00\x00\x00\x00\x01")
    rows.append("zf-header.joblib\terror\t%d\t0" % E_UNSUPPORTED)

    with open(os.path.join(HERE, "expected.tsv"), "w") as f:
        f.write("# file\tok descr shape hexdata | dict keys | error code offset (gen_joblib.py writes this)\n")
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
