"""cbor_interop.py: brine's cbor plugin against Python's cbor2 (Debian's
python3-cbor2), both ways, through the brine CLI given as argv[1]. Python's
pickle is the neutral ground: cbor2 writes CBOR that brine converts to a
pickle, which must load to the value cbor2 started from; Python pickles
converted by brine to CBOR must load in cbor2 to the value pickled. Shared
and cyclic values go through tags 28/29 (cbor2's value_sharing=True) and
must keep their identity both ways."""
import math
import pickle
import subprocess
import sys

import cbor2

BRINE = sys.argv[1] if len(sys.argv) > 1 else "brine"
failures = 0


def brine(data, src, dst, *opts):
    r = subprocess.run([BRINE, "convert", "-f", src, "-t", dst, *opts, "-", "-o", "-"], input=data, capture_output=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.decode())
    return r.stdout


def same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a.keys()) == list(b.keys()) and all(same(a[k], b[k]) for k in a)
    return a == b


def check(name, ok, detail=""):
    global failures
    if not ok:
        failures += 1
        print("FAIL", name, detail)


values = [
    0, 1, 23, 24, 255, 256, 65535, 65536, 2**32, 2**63, 2**64 - 1, 2**64, 2**200, -1, -24, -25, -2**63,
    -2**64, -2**64 - 1, -2**300,
    0.0, -0.0, 1.0, 1.5, 1.1, 65504.0, 100000.0, 3.4028234663852886e38, 1e300, 5.960464477539063e-8, float("inf"),
    float("-inf"), float("nan"),
    True, False, None, "", "a", "ü水𐅑", "x" * 1000, b"", b"\x00\xff" * 300,
    [], [1, [2, 3]], list(range(30)), {}, {"a": 1, "b": [2, 3]}, {1: "x", -2: "y", b"k": None, 1.5: 2},
    {(1, 2): "tuple key"}, [{"deep": [[[["x"]]]]}],
]

# cbor2 -> brine -> pickle -> Python
for v in values:
    data = cbor2.dumps(v)
    try:
        back = pickle.loads(brine(data, "cbor", "pickle"))
        check("cbor2->brine %r" % (v,), same(back, v), "got %r" % (back,))
    except Exception as e:  # noqa: BLE001
        check("cbor2->brine %r" % (v,), False, str(e))
    # and brine's CBOR back to cbor2: the same value (plain: a tuple key is
    # an array, which cbor2 reads as a tuple in a key)
    try:
        again = cbor2.loads(brine(data, "cbor", "cbor", "-O", "plain"))
        check("cbor2->brine->cbor2 %r" % (v,), same(again, v), "got %r" % (again,))
    except Exception as e:  # noqa: BLE001
        check("cbor2->brine->cbor2 %r" % (v,), False, str(e))

# canonical: brine writes what cbor2's canonical=True writes
for v in [{"b": 1, "a": 2, 10: 3, "aa": 4, -1: 5}, {"z": {"y": 1, "x": 2}}, [1.5, 1.1, 100000.0]]:
    got = brine(cbor2.dumps(v), "cbor", "cbor", "-O", "canonical")
    check("canonical %r" % (v,), got == cbor2.dumps(v, canonical=True), got.hex())

# Python -> pickle -> brine -> CBOR -> cbor2 (plain: tuples as arrays, read back as lists)
for v in values + [(1, 2, "three"), 1 + 2j]:
    want = v
    if isinstance(v, tuple):
        want = list(v)
    if isinstance(v, complex):
        want = [v.real, v.imag]
    try:
        got = cbor2.loads(brine(pickle.dumps(v, protocol=4), "pickle", "cbor", "-O", "plain"))
        check("python->brine->cbor2 %r" % (v,), same(got, want), "got %r" % (got,))
    except Exception as e:  # noqa: BLE001
        check("python->brine->cbor2 %r" % (v,), False, str(e))

# brine's own tags, as cbor2 sees them
got = cbor2.loads(brine(pickle.dumps((1, 2)), "pickle", "cbor"))
check("tuple tag", isinstance(got, cbor2.CBORTag) and got.tag == 51880 and got.value == [1, 2], repr(got))

# value sharing, cbor2 -> brine: identity kept
x = [1]
shared = [x, x, {"k": x}]
back = pickle.loads(brine(cbor2.dumps(shared, value_sharing=True), "cbor", "pickle"))
check("shared from cbor2", back[0] is back[1] and back[2]["k"] is back[0] and back == shared, repr(back))
cyc = []
cyc.append(cyc)
back = pickle.loads(brine(cbor2.dumps(cyc, value_sharing=True), "cbor", "pickle"))
check("cycle from cbor2", back[0] is back, repr(back))
d = {}
d["self"] = d
back = pickle.loads(brine(cbor2.dumps(d, value_sharing=True), "cbor", "pickle"))
check("dict cycle from cbor2", back["self"] is back, repr(back))

# value sharing, brine -> cbor2
got = cbor2.loads(brine(pickle.dumps(shared), "pickle", "cbor", "-O", "refs"))
check("shared to cbor2", got[0] is got[1] and got[2]["k"] is got[0] and got == shared, repr(got))
got = cbor2.loads(brine(pickle.dumps(cyc), "pickle", "cbor", "-O", "refs"))
check("cycle to cbor2", got[0] is got, repr(got))

# cbor2's tags kept by brine byte for byte (datetime, decimal, uuid, regex...)
import datetime
import decimal
import uuid

for v in [datetime.datetime(2013, 3, 21, 20, 4, tzinfo=datetime.timezone.utc), decimal.Decimal("1.5"),
          uuid.UUID(int=5), cbor2.CBORTag(4000, [1, "x"]), cbor2.CBORSimpleValue(99), cbor2.undefined]:
    data = cbor2.dumps(v, datetime_as_timestamp=False)
    got = brine(data, "cbor", "cbor")
    check("tag kept %r" % (v,), got == data, "%s != %s" % (got.hex(), data.hex()))

# RFC 8746 typed arrays, with numpy when it is there: brine's arrays as
# cbor2 sees them (tags it leaves to the application), and back
try:
    import numpy as np
except ImportError:
    np = None
if np is not None:
    TYPED = {64: "|u1", 65: ">u2", 66: ">u4", 67: ">u8", 69: "<u2", 70: "<u4", 71: "<u8", 72: "|i1", 73: ">i2",
             74: ">i4", 75: ">i8", 77: "<i2", 78: "<i4", 79: "<i8", 80: ">f2", 81: ">f4", 82: ">f8", 84: "<f2",
             85: "<f4", 86: "<f8"}

    def from_cbor2(v):
        shape = None
        if v.tag == 40:
            shape, v = v.value
        a = np.frombuffer(v.value, dtype=TYPED[v.tag])
        return a.reshape(shape) if shape is not None else a

    for a in [np.arange(6, dtype="<f8").reshape(2, 3), np.array([1, -2, 3], dtype=">i2"), np.array([1.5], "<f2"),
              np.arange(5, dtype="u1"), np.arange(24, dtype="<u8").reshape(2, 3, 4), np.array(7, dtype="<i4")]:
        got = cbor2.loads(brine(pickle.dumps(a), "pickle", "cbor"))
        back = from_cbor2(got)
        check("typed array to cbor2 %s %s" % (a.dtype.str, a.shape),
              back.dtype == a.dtype and back.shape == a.shape and (back == a).all(), repr(got))
        data = cbor2.dumps(cbor2.CBORTag(40, [list(a.shape), cbor2.CBORTag(
            {v: k for k, v in TYPED.items()}[a.dtype.str], a.tobytes())]))
        # (the pickle writer stores a big-endian array in native order: compare kind, size and values)
        back = pickle.loads(brine(data, "cbor", "pickle"))
        check("typed array from cbor2 %s %s" % (a.dtype.str, a.shape),
              back.dtype.kind == a.dtype.kind and back.dtype.itemsize == a.dtype.itemsize and back.shape == a.shape
              and (back == a).all(), repr(back))
        # brine writes a 1-d array without tag 40 around it
        if a.ndim != 1:
            check("typed array kept by brine %s" % a.dtype.str, brine(data, "cbor", "cbor") == data)

if failures:
    print("%d failures" % failures)
    sys.exit(1)
print("cbor_interop: ok")
