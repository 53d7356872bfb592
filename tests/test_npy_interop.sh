#!/bin/sh
# test_npy_interop.sh: .npy and .npz through numpy and back: numpy.save ->
# brine convert npy -> native -> npy -> numpy.load gives an equal array
# (dtype and values, NaN included), and numpy.savez / savez_compressed ->
# brine -> npz (stored and deflated) -> numpy.load likewise. Skipped (77)
# without Debian's python3-numpy.
set -eu
PY=/usr/bin/python3
"$PY" -c 'import numpy' 2>/dev/null || { echo "no numpy for $PY: skipped"; exit 77; }
BRINE=${BRINE:-../tools/brine}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$PY" - "$tmp" <<'PYEOF'
import os, sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(7)
arrays = {
    "f8": rng.random((3, 4)), "f4_be": rng.random(5).astype(">f4"), "f2": rng.random(3).astype("<f2"),
    "i1": np.arange(-3, 3, dtype="i1"), "u8": np.array([0, 2**64 - 1], dtype="<u8"), "i8_be": np.arange(4, dtype=">i8"),
    "b1": np.array([[True, False], [False, True]]), "c16": np.array([1 + 2j, np.nan]), "c8_be": np.array([1j], dtype=">c8"),
    "S": np.array([b"a", b"bcd"]), "U": np.array(["x", "\u00e9\U0001f600"]), "M8": np.array(["2001-01-01", "NaT"], dtype="M8[D]"),
    "m8": np.array([1, 2], dtype="m8[us]"), "V": np.array([b"ab", b"cd"], dtype="V2"),
    "d0": np.array(1.25), "d5": np.arange(32, dtype="<i2").reshape(2, 2, 2, 2, 2), "empty": np.zeros((0, 3)),
    "fortran": np.asfortranarray(rng.random((3, 5))), "fortran3": np.asfortranarray(np.arange(24).reshape(2, 3, 4)),
    "rec": np.array([(1, 2.5, [1, 2]), (3, 4.5, [5, 6])], dtype=[("a", "<i4"), ("b", ">f8"), ("c", "<u2", (2,))]),
    "rec_padded": np.array([(1, 2.0)], dtype=np.dtype([("c", "u1"), ("d", "<f8")], align=True)),
    "rec_nested": np.array([((1, 2), 3)], dtype=[("p", [("x", "<f4"), ("y", "<f4")]), ("n", "u1")]),
    "rec_utf8": np.array([(1,)], dtype=[("\u6570", "<i4")]),
}
for k, a in arrays.items():
    np.save(os.path.join(d, k + ".npy"), a)
np.savez(os.path.join(d, "all.npz"), **{k: a for k, a in arrays.items()})
np.savez_compressed(os.path.join(d, "allz.npz"), **{k: a for k, a in arrays.items()})
PYEOF

for f in "$tmp"/*.npy; do
    b=${f%.npy}
    "$BRINE" convert "$f" -o "$b.brn"
    "$BRINE" convert "$b.brn" -o "$b.back.npy"
done
for z in all allz; do
    "$BRINE" convert "$tmp/$z.npz" -o "$tmp/$z.brn"
    "$BRINE" convert "$tmp/$z.brn" -o "$tmp/$z.stored.npz"
    "$BRINE" convert -O compress "$tmp/$z.brn" -o "$tmp/$z.deflated.npz"
done

"$PY" - "$tmp" <<'PYEOF'
import glob, os, sys, zipfile
import numpy as np
d = sys.argv[1]

def same(a, b, what):
    assert a.dtype == b.dtype, "%s: dtype %r, numpy wrote %r" % (what, b.dtype, a.dtype)
    assert a.shape == b.shape, "%s: shape %r, numpy wrote %r" % (what, b.shape, a.shape)
    assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes(), what + ": values differ"

n = 0
for f in sorted(glob.glob(os.path.join(d, "*.back.npy"))):
    orig = f.replace(".back.npy", ".npy")
    same(np.load(orig), np.load(f, allow_pickle=False), os.path.basename(orig))
    n += 1
for z in ("all", "allz"):
    orig = np.load(os.path.join(d, z + ".npz"))
    for kind, method in (("stored", zipfile.ZIP_STORED), ("deflated", zipfile.ZIP_DEFLATED)):
        path = os.path.join(d, "%s.%s.npz" % (z, kind))
        assert all(i.compress_type == method for i in zipfile.ZipFile(path).infolist()), path
        back = np.load(path, allow_pickle=False)
        assert back.files == orig.files, (back.files, orig.files)
        for k in orig.files:
            same(orig[k], back[k], "%s.%s[%s]" % (z, kind, k))
            n += 1
print("test_npy_interop: %d arrays equal after the round trip" % n)
PYEOF
