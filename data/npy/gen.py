#!/usr/bin/python3
"""gen.py: writes the golden .npy/.npz files of tests/test_npy.c with numpy
(Debian's python3-numpy 1.24), and beside each NAME.npy a NAME.expect:

    line 1: the dtype's descr, as repr(dtype.descr)
    line 2: the shape, its sizes separated by spaces (empty for 0-d)
    line 3: the data in C order and the file's byte order, as hex
    line 4: 1 when brine must write the file back byte for byte (C order,
            version chosen as numpy.save chooses it), else 0

The outputs are committed; run it again (from any directory) only to change
them: python3 data/npy/gen.py
"""
import io
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20)


def save(name, a, same=True, version=None):
    path = os.path.join(here, name + ".npy")
    if version is None:
        np.save(path, a)
    else:
        with open(path, "wb") as f:
            np.lib.format.write_array(f, a, version=version)
    c = np.ascontiguousarray(a)
    with open(os.path.join(here, name + ".expect"), "w") as f:
        f.write(repr(a.dtype.descr) + "\n")
        f.write(" ".join(str(n) for n in a.shape) + "\n")
        f.write(c.tobytes(order="C").hex() + "\n")
        f.write(("1" if same else "0") + "\n")


# Every element type, little and big endian where it has an order.
save("b1", np.array([True, False, True]))
for t in ["i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"]:
    info = np.iinfo(t)
    save(t, np.array([info.min, -1 if info.min else 7, 0, 1, info.max], dtype=t))
for t in ["f2", "f4", "f8"]:
    save(t, np.array([1.5, -0.0, np.inf, -np.inf, np.nan, 1e-3], dtype=t))
save("c8", np.array([1 + 2j, -0.5j, np.nan], dtype="c8"))
save("c16", np.array([1 + 2j, -0.5j, complex(np.inf, 1)], dtype="c16"))
save("S5", np.array([b"ab", b"", b"hello"], dtype="S5"))
save("U3", np.array(["a", "\u00e9t\u00e9", "\U0001f600"], dtype="U3"))
save("M8ns", np.array(["2020-01-01T00:00:00.5", "NaT"], dtype="M8[ns]"))
save("M8D", np.array(["1969-12-31", "2024-02-29"], dtype="M8[D]"))
save("m8_10ms", np.array([3, -4], dtype="m8[10ms]"))
save("V4", np.array([b"\x00\x01\x02\x03", b"wxyz"], dtype="V4"))
for t in [">i2", ">i4", ">u8", ">f4", ">f8", ">c16", ">U2", ">M8[s]"]:
    name = "be_" + t[1:].replace("[", "_").replace("]", "")
    save(name, np.arange(1, 4).astype(t) if "U" not in t else np.array(["x", "yz", ""], dtype=t))

# Shapes 0-d to 5-d, empty ones, Fortran order.
save("d0", np.array(2.5))
save("d1", np.arange(4, dtype="<i4"))
save("d2", np.arange(6, dtype="<f8").reshape(2, 3))
save("d3", np.arange(24, dtype="<i2").reshape(2, 3, 4))
save("d4", np.arange(24, dtype="<u1").reshape(1, 2, 3, 4))
save("d5", np.arange(64, dtype="<f4").reshape(2, 2, 2, 2, 4))
save("empty1", np.zeros(0, dtype="<f8"))
save("empty3", np.zeros((2, 0, 3), dtype=">i4"))
save("fortran2", np.asfortranarray(np.arange(6, dtype="<f8").reshape(2, 3)), same=False)
save("fortran3", np.asfortranarray(np.arange(24, dtype="<i4").reshape(2, 3, 4)), same=False)
frec = np.array([[(1, 1.5), (2, 2.5)], [(3, 3.5), (4, 4.5)]], dtype=[("a", "<i2"), ("b", "<f4")])
save("fortran_rec", np.asfortranarray(frec), same=False)

# Records: plain, with a sub-array field, nested, with padding (align).
rec = np.array([(1, 2.5), (-3, 4.0)], dtype=[("a", "<i4"), ("b", ">f8")])
save("rec", rec)
save("rec_sub", np.array([(1, [1.0, 2.0, 3.0])], dtype=[("id", "<u2"), ("v", "<f8", (3,))]))
nested = np.dtype([("p", [("x", "<f4"), ("y", "<f4")]), ("n", "|u1")])
save("rec_nested", np.array([((1, 2), 3), ((4, 5), 6)], dtype=nested))
aligned = np.dtype([("c", "|u1"), ("d", "<f8")], align=True)
save("rec_padded", np.array([(1, 2.0)], dtype=aligned))
save("rec_latin1", np.array([(7,)], dtype=[("\u00e9", "<i4")]))  # a latin-1 name: version 1.0
save("rec_utf8", np.array([(7,)], dtype=[("\u6570", "<i4")]))  # not latin-1: numpy writes 3.0

# Version 2.0 forced (numpy writes it only for headers past 64 KiB).
save("v2", np.arange(3, dtype="<i8"), same=False, version=(2, 0))
# A header that needs 2.0: a record of 1,000 fields (brine's most is 1,024)
# with long names.
wide = np.dtype([("a_field_with_a_long_name_to_make_the_header_pass_64_KiB_%04d" % i, "<u1") for i in range(1000)])
save("v2_wide", np.zeros(1, dtype=wide))

# npz: the same arrays as d2 and d1, stored and deflated.
np.savez(os.path.join(here, "pair.npz"), d2=np.arange(6, dtype="<f8").reshape(2, 3), d1=np.arange(4, dtype="<i4"))
np.savez_compressed(os.path.join(here, "pair_deflated.npz"), d2=np.arange(6, dtype="<f8").reshape(2, 3),
                    d1=np.arange(4, dtype="<i4"))
