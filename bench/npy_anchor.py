#!/usr/bin/python3
"""npy_anchor.py: `make bench-npy`: brine's npy format against numpy.load and
numpy.save on the same 80 MB file (10^7 float64, in the page cache), from
one Python process: libbrine is called through ctypes, and the four
operations take turns within each round, so that the page cache's
writeback, which can slow a write several-fold, falls on both alike.
Prints the medians of REPS rounds (#20's target: brine within 1.5x).
Usage: npy_anchor.py LIBBRINE.so [DIR] [REPS]
"""
import ctypes
import os
import sys
import tempfile
import time

import numpy as np


def median(ts):
    ts = sorted(ts)
    n = len(ts)
    return ts[n // 2] if n % 2 else (ts[n // 2 - 1] + ts[n // 2]) / 2


def main():
    lib = ctypes.CDLL(sys.argv[1])
    d = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else tempfile.mkdtemp()
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    P = ctypes.c_void_p
    for name in ("brine_registry_new", "brine_registry_find", "brine_load_file", "brine_doc_root"):
        getattr(lib, name).restype = P
    lib.brine_registry_find.argtypes = [P, ctypes.c_char_p]
    lib.brine_load_file.argtypes = [P, P, ctypes.c_char_p, P, P]
    lib.brine_doc_root.argtypes = [P]
    lib.brine_doc_free.argtypes = [P]
    lib.brine_encode.argtypes = [P, P, P, P, P]
    lib.brine_output_init_fd.argtypes = [P, ctypes.c_int, P]
    lib.brine_output_flush.argtypes = [P, P]
    lib.brine_output_destroy.argtypes = [P]
    err = ctypes.create_string_buffer(1024)  # a brine_error is smaller
    out = ctypes.create_string_buffer(1024)  # a brine_output likewise
    reg = lib.brine_registry_new(err)
    lib.brine_registry_load(P(reg), err)
    npy = lib.brine_registry_find(reg, b"npy")
    assert npy, "no npy format in " + sys.argv[1]

    src = os.path.join(d, "bench-1e7.npy")
    np_out, br_out = os.path.join(d, "bench-numpy.npy"), os.path.join(d, "bench-brine.npy")
    a = np.random.default_rng(20).random(10**7)
    np.save(src, a)
    t = {"numpy load": [], "brine load": [], "numpy save": [], "brine save": []}
    doc = None
    for _ in range(reps):
        t0 = time.perf_counter()
        b = np.load(src)
        t["numpy load"].append(time.perf_counter() - t0)
        del b
        if doc:
            lib.brine_doc_free(doc)
        t0 = time.perf_counter()
        doc = lib.brine_load_file(reg, npy, src.encode(), None, err)
        t["brine load"].append(time.perf_counter() - t0)
        assert doc, "brine could not load " + src
        t0 = time.perf_counter()
        np.save(np_out, a)
        t["numpy save"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fd = os.open(br_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        rc = lib.brine_output_init_fd(out, fd, err)
        rc = rc or lib.brine_encode(npy, lib.brine_doc_root(doc), out, None, err)
        rc = rc or lib.brine_output_flush(out, err)
        lib.brine_output_destroy(out)
        os.close(fd)
        t["brine save"].append(time.perf_counter() - t0)
        assert rc == 0, "brine could not save"
    m = {k: median(v) * 1e3 for k, v in t.items()}
    print("10^7 float64 (80 MB), numpy %s, medians of %d rounds:" % (np.__version__, reps))
    for op in ("load", "save"):
        print("  %s: numpy %.1f ms, brine %.1f ms, brine/numpy %.2fx"
              % (op, m["numpy " + op], m["brine " + op], m["brine " + op] / m["numpy " + op]))
    assert np.array_equal(np.load(br_out), a), "brine wrote different values"
    lib.brine_doc_free(doc)
    for f in (src, np_out, br_out):
        os.remove(f)


if __name__ == "__main__":
    main()
