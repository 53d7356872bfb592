#!/usr/bin/env python3
"""make_golden.py: writes the golden native files of data/native/ from
docs/native-format.md alone, independently of the C plugin, so that
tests/test_native.c checks the plugin against the specification (it decodes
each .brn, compares the graph's repr with the .repr beside it, and requires
that re-encoding gives the same bytes).

Run once when adding a golden file; the files are checked in and must never
change for format 1.x. The checksum comes from the system's libxxhash
(XXH3_64bits) through ctypes. Not run by the build.
"""
import ctypes
import ctypes.util
import math
import os
import struct
import sys

_xx = ctypes.CDLL(ctypes.util.find_library("xxhash") or "libxxhash.so.0")
_xx.XXH3_64bits.restype = ctypes.c_uint64
_xx.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]

MAGIC = b"\x89BRN\r\n\x1a\n"


class Pairs:
    """A dict given as (key, value) pairs: brine keeps 1, 1.0 and True (and
    0.0 and -0.0) apart, which a Python dict cannot."""

    def __init__(self, pairs):
        self.pairs = list(pairs)


class Model:
    """A model value: type name, args tuple, state."""

    def __init__(self, name, args=(), state=None):
        self.name, self.args, self.state = name, args, state


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def encode_int(v):
    if -32 <= v <= 127:
        return bytes([v & 0xFF])
    for tag, fmt, lo, hi in ((0xC3, "<b", -2**7, 2**7), (0xC4, "<h", -2**15, 2**15),
                             (0xC5, "<i", -2**31, 2**31), (0xC6, "<q", -2**63, 2**63)):
        if lo <= v < hi:
            return bytes([tag]) + struct.pack(fmt, v)
    if 0 <= v < 2**64:
        return b"\xc7" + struct.pack("<Q", v)
    n = 1
    while not (-(1 << (8 * n - 1)) <= v < (1 << (8 * n - 1))):
        n += 1
    return b"\xc8" + varint(n) + v.to_bytes(n, "little", signed=True)


def is_container(v):
    return isinstance(v, (list, tuple, dict, Pairs, Model))


def children(v):
    if isinstance(v, (list, tuple)):
        return list(v)
    if isinstance(v, dict):
        return [x for kv in v.items() for x in kv]
    if isinstance(v, Pairs):
        return [x for kv in v.pairs for x in kv]
    if isinstance(v, Model):
        return [v.args, v.state]
    return []


def count_refs(root):
    """Incoming edges per container (the walker's counting pass)."""
    seen, stack = {}, [root]
    seen[id(root)] = 1 if is_container(root) else 0
    while stack:
        v = stack.pop()
        for c in children(v):
            if is_container(c):
                seen[id(c)] = seen.get(id(c), 0) + 1
                if seen[id(c)] == 1:
                    stack.append(c)
    return seen


def encode_value(root):
    counts = count_refs(root)
    anchors = {}
    out = bytearray()

    def enc(v):
        if is_container(v):
            if id(v) in anchors:
                out.extend(b"\xd2" + varint(anchors[id(v)]))
                return
            if counts.get(id(v), 0) > 1:
                anchors[id(v)] = len(anchors) + 1
                out.append(0xD1)
        if v is None:
            out.append(0xC0)
        elif v is False:
            out.append(0xC1)
        elif v is True:
            out.append(0xC2)
        elif isinstance(v, int):
            out.extend(encode_int(v))
        elif isinstance(v, float):
            out.extend(b"\xc9" + struct.pack("<d", v))
        elif isinstance(v, complex):
            out.extend(b"\xca" + struct.pack("<dd", v.real, v.imag))
        elif isinstance(v, str):
            b = v.encode("utf-8")
            out.extend((bytes([0x80 + len(b)]) if len(b) <= 31 else b"\xcb" + varint(len(b))) + b)
        elif isinstance(v, bytes):
            out.extend(b"\xcc" + varint(len(v)) + v)
        elif isinstance(v, list):
            out.extend(bytes([0xA0 + len(v)]) if len(v) <= 15 else b"\xcd" + varint(len(v)))
            for x in v:
                enc(x)
        elif isinstance(v, tuple):
            out.extend(b"\xce" + varint(len(v)))
            for x in v:
                enc(x)
        elif isinstance(v, (dict, Pairs)):
            items = list(v.items()) if isinstance(v, dict) else v.pairs
            out.extend(bytes([0xB0 + len(items)]) if len(items) <= 15 else b"\xcf" + varint(len(items)))
            for k, x in items:
                enc(k)
                enc(x)
        elif isinstance(v, Model):
            name = v.name.encode("utf-8")
            out.extend(b"\xd0" + varint(len(name)) + name)
            enc(v.args)
            enc(v.state)
        else:
            raise TypeError(type(v))

    enc(root)
    return bytes(out)


def document(root):
    body = MAGIC + bytes([1, 0]) + encode_value(root)
    return body + struct.pack("<Q", _xx.XXH3_64bits(body, len(body)))


def golden():
    nan_payload = struct.unpack("<d", struct.pack("<Q", 0xFFF4000000000123))[0]
    scalars = [None, False, True, 0, 127, -32, -33, 128, -129, 32767, 32768, -32769, 2**31 - 1, 2**31,
               -2**31 - 1, 2**63 - 1, -2**63, 2**63, 2**64 - 1, 2**64, -2**63 - 1, 2**200, -2**200,
               1.5, -0.0, math.inf, -math.inf, nan_payload, 5e-324, 1.7976931348623157e308,
               complex(1.0, -2.5), "", "h\u00e9llo \u2603 \U0001F600", "x" * 31, "y" * 32, "a\x00b",
               b"", bytes(range(256))]
    containers = Pairs([
        ("list16", list(range(16))),
        ("nested", [1, [2, [3, []]]]),
        ("tuple", (1, "a", ())),
        ("empty", [[], (), {}]),
        (1, "int key"),
        (1.0, "float key"),
        (True, "bool key"),
        (0.0, "zero key"),
        (-0.0, "negative zero key"),
        ((1, (2, "t")), "tuple key"),
        (None, "null key"),
        (b"k", "bytes key"),
        ("big dict", {str(i): i for i in range(20)}),
    ])
    models = [Model("geo.Point", (1.0, 2.0), {"label": "origin"}),
              Model("Empty"),
              Model("caf\u00e9.Order", ("A-1", 3), [Model("Line", ("x",), None)])]
    x = [1]
    shared = {"a": x, "b": [x, -1.5]}
    loop = []
    loop.append(loop)
    selfdict = {}
    selfdict["self"] = selfdict
    args = (1, 2)
    node = Model("Node", args, None)
    node.state = {"me": node, "again": Model("Node", args, None)}
    cycles = [loop, selfdict, node]
    return {"scalars": scalars, "containers": containers, "models": models, "shared": shared,
            "cycles": cycles, "int": 300, "str": "brine"}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for name, value in golden().items():
        path = os.path.join(here, name + ".brn")
        with open(path, "wb") as f:
            f.write(document(value))
        print(path, file=sys.stderr)


if __name__ == "__main__":
    main()
