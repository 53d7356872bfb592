#!/usr/bin/env python3
"""array_mj_interop.py: numpy arrays through brine's msgpack and json, with
Python (numpy, msgpack) on the other side, through `brine convert`
(tools/brine, path in argv[1]):

- numpy -> ext 86 (packed here as docs/msgpack.md describes it) -> brine
  -> msgpack-numpy's map (-O numpy) -> numpy, decoded the way
  msgpack_numpy.decode does it (the package is not in Debian; its decode
  is a few lines, written out below from msgpack-numpy 0.4.8);
- numpy -> msgpack-numpy's map (as msgpack_numpy.encode writes it) ->
  brine (-I numpy) -> ext 86 -> numpy;
- numpy -> ext 86 -> brine -> JSON's $array tag -> numpy (base64 data,
  dtype string or descr), and JSON -> ext 86 back;
- -O plain gives numpy's tolist().

Every array compares with np.array_equal (NaN-free data) and an equal
dtype. Prints one line per failure; exits 1 if any failed.
"""
import base64
import json
import subprocess
import sys

import msgpack
import numpy as np

brine = sys.argv[1]
failures = 0


def check(name, ok, detail=""):
    global failures
    if not ok:
        failures += 1
        print("FAIL %s %s" % (name, detail))


def convert(data, *args):
    r = subprocess.run([brine, "convert"] + list(args), input=data, capture_output=True)
    if r.returncode != 0:
        raise RuntimeError("brine convert %s: %s" % (" ".join(args), r.stderr.decode()))
    return r.stdout


def dtype_spec(dt):
    """numpy's dtype.str, or a record's descr as lists (docs/msgpack.md)."""
    if dt.names is None:
        return dt.str
    return [[e[0], dtype_spec_descr(e[1])] + ([list(e[2])] if len(e) > 2 else []) for e in dt.descr]


def dtype_spec_descr(t):
    return t if isinstance(t, str) else [[e[0], dtype_spec_descr(e[1])] + ([list(e[2])] if len(e) > 2 else []) for e in t]


def from_spec(spec):
    """numpy.lib.format.descr_to_dtype's reading of a descr: unnamed |V entries are padding."""
    if isinstance(spec, str):
        return np.dtype(spec)
    names, formats, offsets, off = [], [], [], 0
    for e in spec:
        t = from_spec(e[1])
        if len(e) > 2:
            t = np.dtype((t, tuple(e[2])))
        if e[0] == "" and t.type is np.void and t.names is None:
            off += t.itemsize
            continue
        names.append(e[0])
        formats.append(t)
        offsets.append(off)
        off += t.itemsize
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": off})


def ext86(a):
    payload = msgpack.packb([dtype_spec(a.dtype), list(a.shape), a.tobytes()], use_bin_type=True)
    return msgpack.ExtType(86, payload)


def read_ext86(code, data):
    assert code == 86, code
    spec, shape, raw = msgpack.unpackb(data, raw=False)
    return np.frombuffer(raw, dtype=from_spec(spec)).reshape(shape)


# msgpack_numpy 0.4.8's encode and decode, for arrays (msgpack_numpy.py).
def mn_encode(obj):
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in ("V", "O"):
            kind, descr = bytes(obj.dtype.kind, "ascii"), obj.dtype.descr
        else:
            kind, descr = b"", obj.dtype.str
        return {b"nd": True, b"type": descr, b"kind": kind, b"shape": obj.shape, b"data": obj.tobytes()}
    return obj


def mn_unpack_dtype(dtype):
    if isinstance(dtype, (list, tuple)):
        dtype = [(sub[0], mn_unpack_dtype(sub[1])) + tuple(sub[2:]) for sub in dtype]
    return np.dtype(dtype)


def mn_decode(obj):
    if b"nd" in obj and obj[b"nd"] is True:
        if b"kind" in obj and obj[b"kind"] == b"V":
            descr = [tuple(t.decode() if type(t) is bytes else t for t in d) for d in obj[b"type"]]
        else:
            descr = obj[b"type"]
        return np.ndarray(buffer=obj[b"data"], dtype=mn_unpack_dtype(descr), shape=obj[b"shape"])
    return obj


def same(name, a, b):
    check(name, isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b),
          "%r (%s) != %r (%s)" % (a, a.dtype, b, getattr(b, "dtype", type(b))))


rng = np.random.default_rng(20)
arrays = []
for t in ["|b1", "|i1", "<i2", ">i4", "<i8", "|u1", ">u2", "<u4", "<u8", "<f2", "<f4", ">f8", "<f8", "<c8",
          ">c16", "|S5", "<U3", ">U2", "<M8[ns]", ">M8[D]", "<m8[ms]"]:
    for shape in [(), (3,), (2, 3), (1, 2, 3), (0, 4), (2, 1, 2, 1, 2)]:
        n = int(np.prod(shape))
        raw = rng.integers(0, 256, size=n * np.dtype(t).itemsize, dtype=np.uint8).tobytes()
        a = np.frombuffer(raw, dtype=t).reshape(shape).copy()
        if a.dtype.kind in "fc":
            a[np.isnan(a)] = 0.5
        if a.dtype.kind == "b":
            a = np.asarray(a.view(np.uint8) % 2).astype(bool)
        if a.dtype.kind == "U":
            a = np.array(["ab", "é", "z"][: n] + ["x"] * max(0, n - 3), dtype=t).reshape(shape)
        arrays.append(a)
node = np.dtype({"names": ["left", "thr", "v"], "formats": ["<i8", "<f8", ("<i4", (2,))],
                 "offsets": [0, 8, 20], "itemsize": 32})
rec = np.zeros(3, dtype=node)
rec["left"] = [1, -1, 2]
rec["thr"] = [0.5, 1.5, -2.25]
rec["v"] = [[1, 2], [3, 4], [5, 6]]
arrays.append(rec)
arrays.append(np.zeros((2, 2), dtype=[("a", "<f4"), ("b", [("x", "|u1"), ("y", ">i2")])]))

# numpy -> ext 86 -> brine -> msgpack-numpy map -> numpy.
packed = msgpack.packb(arrays, default=ext86, use_bin_type=True)
out = convert(packed, "-f", "msgpack", "-t", "msgpack", "-O", "numpy")
back = msgpack.unpackb(out, object_hook=mn_decode, raw=False)
for i, (a, b) in enumerate(zip(arrays, back)):
    if a.dtype.names and a.dtype.itemsize != sum(a.dtype[n].itemsize for n in a.dtype.names):
        # msgpack-numpy reads a descr with np.dtype(list), which turns
        # padding entries into fields (f2, f4): its own round trip loses
        # them too. The fields compare.
        check("ext86->numpy[%d]" % i, all(np.array_equal(a[n], b[n]) for n in a.dtype.names))
        continue
    same("ext86->numpy[%d]" % i, a, b)
# ... and brine's own ext 86 back, byte for byte.
check("ext86 identity", convert(packed, "-f", "msgpack", "-t", "msgpack") == packed)

# msgpack-numpy map -> brine -> ext 86 -> numpy.
mn = msgpack.packb(arrays, default=mn_encode, use_bin_type=True)
out = convert(mn, "-f", "msgpack", "-t", "msgpack", "-I", "numpy")
back = msgpack.unpackb(out, ext_hook=read_ext86, raw=False)
for i, (a, b) in enumerate(zip(arrays, back)):
    same("numpy->ext86[%d]" % i, a, b)

# ext 86 -> JSON's $array -> numpy, and back to ext 86.
text = convert(packed, "-f", "msgpack", "-t", "json", "-O", "tagged")  # streamed: auto would start plain
doc = json.loads(text)
check("json envelope", doc.get("$brine") == 1, text[:80])
for i, (a, tag) in enumerate(zip(arrays, doc["value"])):
    t = tag["$array"]
    b = np.frombuffer(base64.b64decode(t["data"]), dtype=from_spec(t["dtype"])).reshape(t["shape"])
    same("json[%d]" % i, a, b)
check("json -> ext86", convert(text, "-f", "json", "-t", "msgpack") == packed)

# plain: numpy's tolist().
plain = [a for a in arrays if a.dtype.kind in "biuf"]
text = convert(msgpack.packb(plain, default=ext86, use_bin_type=True), "-f", "msgpack", "-t", "json", "-O", "plain")
check("plain json", json.loads(text) == [a.tolist() for a in plain], text[:200])

print("array_mj_interop: %d arrays, %d failures" % (len(arrays), failures))
sys.exit(1 if failures else 0)
