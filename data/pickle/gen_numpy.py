#!/usr/bin/env python3
"""gen_numpy.py: writes the numpy golden pickles of data/pickle/numpy and
their expected.tsv, byte by byte (no numpy needed), in the forms numpy
writes (docs/pickle.md, "numpy arrays"): _reconstruct + BUILD (protocols
0-4), _frombuffer (protocol 5 in-band), scalar, and hostile variants.

Each row of expected.tsv: file, then `ok` with the array brine must read
(numpy's dtype.descr as brine_dtype_descr prints it, the shape, the data
in C order as hex), or `model` with the model name it stays, or `error`
with the code and byte offset. Run it from anywhere; the output is
deterministic.
"""
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "numpy")
E_CORRUPT = 10
E_UNSUPPORTED = 12

MARK, STOP, TUPLE, BUILD, REDUCE, NONE = b"(", b".", b"t", b"b", b"R", b"N"


def glob(mod, name):
    return b"c" + mod.encode() + b"\n" + name.encode() + b"\n"


def i(v):
    if 0 <= v < 256:
        return b"K" + bytes([v])
    if -2**31 <= v < 2**31:
        return b"J" + struct.pack("<i", v)
    n = (v.bit_length() + 8) // 8
    return b"\x8a" + bytes([n]) + v.to_bytes(n, "little", signed=True)


def u(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def by(b):
    return b"B" + struct.pack("<I", len(b)) + b


def tup(*items):
    return MARK + b"".join(items) + TUPLE


def boolean(v):
    return b"\x88" if v else b"\x89"


def dtype(name, order, elsize=-1, align=-1, flags=0, sub=None, names=None, fields=None, meta=None, nstate=None):
    state = [i(4 if meta is not None else 3), u(order), sub if sub is not None else NONE,
             tup(*[u(n) for n in names]) if names is not None else NONE,
             fields if fields is not None else NONE, i(elsize), i(align), i(flags)]
    if meta is not None:
        state.append(meta)
    if nstate is not None:
        state = state[:nstate]
    return glob("numpy", "dtype") + tup(u(name), boolean(False), boolean(True)) + REDUCE + tup(*state) + BUILD


def fields(*items):
    """(name, dtype bytes, offset) -> a fields dict."""
    out = b"}" + MARK
    for name, dt, off in items:
        out += u(name) + tup(dt, i(off))
    return out + b"u"


def reconstruct():
    return (glob("numpy.core.multiarray", "_reconstruct") +
            tup(glob("numpy", "ndarray"), tup(i(0)), by(b"b")) + REDUCE)


def ndarray(shape, dt, data, fortran=False, version=True, data_op=None):
    state = ([i(1)] if version else []) + [tup(*[i(s) for s in shape]), dt, boolean(fortran),
                                           data_op if data_op is not None else by(data)]
    return reconstruct() + tup(*state) + BUILD


def pickle(body, proto=3):
    return (b"\x80" + bytes([proto]) if proto >= 2 else b"") + body + STOP


F8 = dtype("f8", "<")
rows = []


def ok(name, body, descr, shape, data, proto=3):
    p = pickle(body, proto)
    open(os.path.join(HERE, name), "wb").write(p)
    rows.append("%s\tok\t%s\t%s\t%s" % (name, descr, ",".join(map(str, shape)), data.hex()))


def err(name, body, offset_from_end=2, proto=3, code=E_CORRUPT):
    p = pickle(body, proto)
    open(os.path.join(HERE, name), "wb").write(p)
    rows.append("%s\terror\t%d\t%d" % (name, code, len(p) - offset_from_end))


def model(name, body, model_name, proto=3):
    p = pickle(body, proto)
    open(os.path.join(HERE, name), "wb").write(p)
    rows.append("%s\tmodel\t%s" % (name, model_name))


def main():
    os.makedirs(HERE, exist_ok=True)
    f8 = struct.pack("<3d", 1.5, -2.0, 0.25)
    ok("f8.pkl", ndarray([3], F8, f8), "[('', '<f8')]", [3], f8)
    be = struct.pack(">6i", 0, 1, 2, 3, 4, 5)
    ok("i4-be-2x3.pkl", ndarray([2, 3], dtype("i4", ">"), be), "[('', '>i4')]", [2, 3], be)
    # Fortran order: the data lists columns first; brine keeps C order.
    fdata = struct.pack("<6h", 0, 3, 1, 4, 2, 5)
    ok("i2-fortran-2x3.pkl", ndarray([2, 3], dtype("i2", "<"), fdata, fortran=True), "[('', '<i2')]", [2, 3],
       struct.pack("<6h", 0, 1, 2, 3, 4, 5))
    f3 = bytes(range(24))
    want3 = b"".join(f3[2 * ((k % 2) + 2 * ((k // 2) % 3) + 6 * (k // 6)):][:2] for k in range(0))  # unused
    del want3
    rec = dtype("V16", "|", 16, 1, 16, names=["a", "b", "c"],
                fields=fields(("a", dtype("i4", "<"), 0),
                              ("b", dtype("V8", "|", 8, 1, 16, names=["x"], fields=fields(("x", dtype("f8", ">"), 0))),
                               4),
                              ("c", dtype("V4", "|", 4, 2, 0, sub=tup(dtype("f2", "<"), tup(i(2)))), 12)))
    rdata = bytes(range(32))
    ok("record.pkl", ndarray([2], rec, rdata),
       "[('a', '<i4'), ('b', [('x', '>f8')]), ('c', '<f2', (2,))]", [2], rdata)
    meta = tup(b"}", tup(by(b"ms"), i(10), i(1), i(1)))
    md = struct.pack("<2q", 1, 2)
    ok("m8-10ms.pkl", ndarray([2], dtype("m8", "<", meta=meta), md), "[('', '<m8[10ms]')]", [2], md)
    ud = "hé".encode("utf-32-le")
    ok("u2.pkl", ndarray([1], dtype("U2", "<", 8, 4, 8), ud), "[('', '<U2')]", [1], ud)
    ok("empty-0x3.pkl", ndarray([0, 3], dtype("f4", "<"), b""), "[('', '<f4')]", [0, 3], b"")
    ok("version0.pkl", ndarray([3], F8, f8, version=False), "[('', '<f8')]", [3], f8)
    # Protocol 0 from Python 2: the data is a str (here ASCII), latin-1.
    s = bytes(range(0x20, 0x28))
    ok("p0-str-data.pkl", ndarray([1], F8, None, data_op=b"S'" + s + b"'\n"), "[('', '<f8')]", [1], s, proto=0)
    # Protocol 5 in-band: _frombuffer(bytearray, dtype, shape, order).
    ba = b"\x96" + struct.pack("<Q", 6) + bytes([1, 2, 3, 4, 5, 6])
    ok("frombuffer-f.pkl", glob("numpy.core.numeric", "_frombuffer") + tup(ba, dtype("u1", "|"), tup(i(2), i(3)),
                                                                           u("F")) + REDUCE,
       "[('', '|u1')]", [2, 3], bytes([1, 3, 5, 2, 4, 6]), proto=5)
    ok("scalar.pkl", glob("numpy.core.multiarray", "scalar") + tup(F8, by(struct.pack("<d", 2.5))) + REDUCE,
       "[('', '<f8')]", [], struct.pack("<d", 2.5))
    # Object arrays stay models; so does a subclass. A _reconstruct linked
    # into a list before its BUILD is refused at the BUILD (as a model it
    # would be written back in numpy's order and read again as an array).
    model("object.pkl", ndarray([1], dtype("O8", "|", flags=63), None, data_op=b"]" + i(7) + b"a"),
          "numpy.core.multiarray._reconstruct")
    model("matrix.pkl", glob("numpy.core.multiarray", "_reconstruct") + tup(glob("numpy", "matrix"), tup(i(0)),
                                                                            by(b"b")) + REDUCE +
          tup(i(1), tup(i(1)), F8, boolean(False), by(f8[:8])) + BUILD, "numpy.core.multiarray._reconstruct")
    err("linked-before-build.pkl", b"]" + reconstruct() + b"q\x00a" + b"h\x00" +
        tup(i(1), tup(i(1)), F8, boolean(False), by(f8[:8])) + BUILD + b"0", offset_from_end=3, code=E_UNSUPPORTED)
    # Hostile: each fails at the array's BUILD (or _frombuffer's REDUCE).
    err("short-data.pkl", ndarray([3], F8, f8[:23]))
    err("long-data.pkl", ndarray([3], F8, f8 + b"\0"))
    err("shape-overflow.pkl", ndarray([2**62, 2**62, 16], F8, b""))
    err("shape-bytes-overflow.pkl", ndarray([2**61], F8, b""))
    err("shape-negative.pkl", ndarray([-1], F8, b""))
    err("shape-65-dims.pkl", ndarray([1] * 65, F8, f8[:8]))
    err("dtype-state-7.pkl", ndarray([1], dtype("f8", "<", nstate=7), f8[:8]))
    err("dtype-S0.pkl", ndarray([1], dtype("S0", "|", 0, 1, 0), b""))
    err("dtype-bad-order.pkl", ndarray([1], dtype("f8", "x"), f8[:8]))
    err("dtype-unknown-kind.pkl", ndarray([1], dtype("Q8", "<"), f8[:8]))
    err("record-overlap.pkl", ndarray([1], dtype("V8", "|", 8, 1, 16, names=["a", "b"],
                                                 fields=fields(("a", F8, 0), ("b", dtype("i4", "<"), 4))),
                                      bytes(8)))
    err("record-outside.pkl", ndarray([1], dtype("V8", "|", 8, 1, 16, names=["a"], fields=fields(("a", F8, 4))),
                                      bytes(8)))
    err("fortran-not-bool.pkl", ndarray([1], F8, f8[:8]).replace(b"\x89" + by(f8[:8]), i(2) + by(f8[:8])))
    err("state-not-tuple.pkl", reconstruct() + i(1) + BUILD)
    err("data-not-bytes.pkl", ndarray([1], F8, None, data_op=i(5)))
    err("frombuffer-order.pkl", glob("numpy.core.numeric", "_frombuffer") + tup(by(b"ab"), dtype("u1", "|"),
                                                                                tup(i(2)), u("X")) + REDUCE)
    with open(os.path.join(HERE, "expected.tsv"), "w") as f:
        f.write("# file\tok descr shape hexdata | model name | error code offset (gen_numpy.py writes this)\n")
        f.write("\n".join(rows) + "\n")


main()
