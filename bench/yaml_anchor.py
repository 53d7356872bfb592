#!/usr/bin/python3
"""yaml_anchor.py: `make bench-yaml`: brine's yaml format against PyYAML's
libyaml bindings (yaml.CSafeLoader, yaml.CSafeDumper) on the same
documents, from one Python process: libbrine is called through ctypes
(brine_decode_buffer, brine_encode_buffer), and the four operations take
turns within each round. The documents are the corpus's JSON files as
yaml.safe_dump writes them (block style), so both sides read the same
text. Prints the medians of REPS rounds and the ratios (#24's target:
brine >= 3x faster than PyYAML). Both sides parse with libyaml: the ratio
is what each does with the events.
Usage: yaml_anchor.py LIBBRINE.so CORPUS_DIR [REPS]
"""
import ctypes
import glob
import json
import os
import sys
import time

import yaml


def median(ts):
    ts = sorted(ts)
    n = len(ts)
    return ts[n // 2] if n % 2 else (ts[n // 2 - 1] + ts[n // 2]) / 2


def main():
    lib = ctypes.CDLL(sys.argv[1])
    corpus = sys.argv[2]
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    P = ctypes.c_void_p
    for name in ("brine_registry_new", "brine_registry_find", "brine_decode_buffer", "brine_doc_root"):
        getattr(lib, name).restype = P
    lib.brine_registry_find.argtypes = [P, ctypes.c_char_p]
    lib.brine_decode_buffer.argtypes = [P, ctypes.c_char_p, ctypes.c_size_t, P, P]
    lib.brine_doc_root.argtypes = [P]
    lib.brine_doc_free.argtypes = [P]
    lib.brine_encode_buffer.argtypes = [P, P, P, ctypes.POINTER(P), ctypes.POINTER(ctypes.c_size_t), P]
    lib.brine_free.argtypes = [P]
    err = ctypes.create_string_buffer(1024)  # a brine_error is smaller
    reg = lib.brine_registry_new(err)
    lib.brine_registry_load(P(reg), err)
    fmt = lib.brine_registry_find(reg, b"yaml")
    assert fmt, "no yaml format in " + sys.argv[1]
    print("yaml decode/encode, brine vs PyYAML %s (libyaml %s), medians of %d rounds:"
          % (yaml.__version__, yaml.__with_libyaml__ and ".".join(map(str, yaml._yaml.get_version())), reps))
    for path in sorted(glob.glob(os.path.join(corpus, "*.json"))):
        with open(path, "rb") as f:
            value = json.load(f)
        text = yaml.dump(value, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False).encode()
        t = {"py load": [], "brine load": [], "py dump": [], "brine dump": []}
        for _ in range(reps):
            t0 = time.perf_counter()
            v = yaml.load(text, Loader=yaml.CSafeLoader)
            t["py load"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            doc = lib.brine_decode_buffer(fmt, text, len(text), None, err)
            t["brine load"].append(time.perf_counter() - t0)
            assert doc, "brine could not read " + path
            t0 = time.perf_counter()
            yaml.dump(v, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
            t["py dump"].append(time.perf_counter() - t0)
            data, n = P(), ctypes.c_size_t()
            t0 = time.perf_counter()
            rc = lib.brine_encode_buffer(fmt, lib.brine_doc_root(doc), None, ctypes.byref(data), ctypes.byref(n), err)
            t["brine dump"].append(time.perf_counter() - t0)
            assert rc == 0, "brine could not write " + path
            lib.brine_free(data)
            lib.brine_doc_free(doc)
        m = {k: median(v) * 1e3 for k, v in t.items()}
        print("  %-18s %6.2f MB  load: PyYAML %8.1f ms, brine %7.1f ms, %5.1fx   dump: PyYAML %8.1f ms, brine %7.1f ms, %5.1fx"
              % (os.path.basename(path), len(text) / 1e6, m["py load"], m["brine load"], m["py load"] / m["brine load"],
                 m["py dump"], m["brine dump"], m["py dump"] / m["brine dump"]))


main()
