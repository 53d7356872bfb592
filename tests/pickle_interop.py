#!/usr/bin/env python3
"""pickle_interop.py: Python -> brine for the pickle reader (docs/pickle.md).

Pickles a set of values with every protocol 0..5, converts each with
`$BRINE convert -f pickle -t json -O refs`, and compares brine's tagged JSON
(docs/json.md) with what this file's own encoder of the same tag scheme
makes of the value Python meant, following docs/pickle.md's mapping through
each object's __reduce_ex__. Then every truncation of a few pickles must
fail with exit status 1 and a message, never crash.

Usage: pickle_interop.py BRINE   (exit 0 pass, 1 fail)
"""
import base64
import collections
import json
import math
import os
import pickle
import struct
import subprocess
import sys

# ---- the values --------------------------------------------------------------


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


class WithGetState:
    def __init__(self):
        self.v = 5

    def __getstate__(self):
        return {"vv": self.v, "t": (1, [2])}

    def __setstate__(self, state):
        self.v = state["vv"]


class Slots:
    __slots__ = ("a", "b")

    def __init__(self):
        self.a, self.b = 1, [2]


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


class ListSub(list):
    pass


class DictSub(dict):
    pass


def make_thing(a, b):
    return (a, b)


class Reduced:
    def __reduce__(self):
        return (make_thing, ([1], {"k": None}))


Pair = collections.namedtuple("Pair", "a b")


def values():
    nan, inf = float("nan"), float("inf")
    s = [1]
    l = [0]
    l.append(l)
    d = {}
    d["self"] = d
    t = ([],)
    t[0].append(t)
    p = Point(1, s)
    lsub = ListSub([1, 2])
    lsub.attr = 3
    dsub = DictSub(a=1)
    return [
        ("none-bools", [None, True, False]),
        ("ints", [0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, -2**31, 2**31, 2**63 - 1, 2**63,
                  2**64 - 1, 2**64, -2**64, -2**64 - 1, 2**200, -2**200]),
        ("floats", [0.0, -0.0, 1.5, 1e300, 5e-324, 0.1, nan, inf, -inf]),
        ("strs", ["", "abc", "h\u00e9", "\U0001f600 astral", "a\\b\n\r\x1a\x00 ctl", "$dollar", "\u20ac" * 3]),
        ("bytes", [b"", b"\x00\xff", bytes(range(256))]),
        ("bytearrays", [bytearray(b"xy"), bytearray()]),
        ("complex", [1 + 2j, complex(-0.0, inf)]),
        ("tuples", [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), ((1,), ((2,),))]),
        ("lists-dicts", [[], [1, [2, [3]]], {}, {"a": 1, 2: "b", (1, "x"): None, None: 0, 2.5: 1,
                                                 b"k": 2, "$k": 3, True: 4, -7: (), 0.5: [1]}]),
        ("sets", [{1, 2, 3}, frozenset(), frozenset({"a"}), set()]),
        ("shared", [s, s, (s, s), {"x": s, "y": s}]),
        ("recursive-list", l),
        ("recursive-dict", d),
        ("recursive-tuple", t),
        ("instance", [p, p, Point(2, 3)]),
        ("getstate", WithGetState()),
        ("slots", Slots()),
        ("namedtuple", [Pair(1, "b"), Pair([1], [2])]),
        ("ordereddict", collections.OrderedDict(a=1, b=[2])),
        ("defaultdict", collections.defaultdict(list, k=[1])),
        ("counter", collections.Counter("aab")),
        ("os-system", [Evil(), Evil()]),
        ("subclasses", [lsub, dsub]),
        ("reduce-function", Reduced()),
        ("globals", [int, Point, os.system, len]),
        ("nested-deep", [[[[[[[[[[1]]]]]]]]]]),
    ]


# ---- the expected brine graph ------------------------------------------------


class Node:
    """A brine container: kind list|tuple|dict|model."""

    def __init__(self, kind, name=None):
        self.kind = kind
        self.items = []  # list, tuple: values; dict: (key, value) pairs
        self.name = name  # model
        self.args = None  # model: a tuple Node
        self.state = None  # model: any value


def global_name(obj):
    return obj.__module__, obj.__qualname__


class Mapper:
    """The brine graph pickle.loads-without-calling makes of a Python value."""

    def __init__(self, proto):
        self.proto = proto
        self.memo = {}
        self.keep = []  # keeps temporaries alive so that their ids stay unique

    def tuple_of(self, items):
        n = Node("tuple")
        n.items = [self.conv(x) for x in items]
        return n

    def model(self, name, args, state=None):
        m = Node("model", name)
        m.args = args if isinstance(args, Node) else self.tuple_of(args)
        m.state = state
        return m

    def glob(self, obj):
        key = id(obj)
        if key not in self.memo:
            self.memo[key] = self.model("pickle.global", list(global_name(obj)))
        return self.memo[key]

    def conv(self, obj):
        if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
            return obj
        if type(obj) is tuple and not obj:
            return Node("tuple")  # () is never memoized: each one is new
        key = id(obj)
        if key in self.memo:
            return self.memo[key]
        self.keep.append(obj)
        if isinstance(obj, type) or callable(obj) and not hasattr(obj, "__reduce_ex__") or type(obj).__name__ in (
                "function", "builtin_function_or_method"):
            return self.glob(obj)
        if type(obj) is list:
            n = self.memo[key] = Node("list")
            n.items = [self.conv(x) for x in obj]
            return n
        if type(obj) is tuple:
            n = Node("tuple")
            items = [self.conv(x) for x in obj]
            if key in self.memo:  # reached again through its items: pickle's POP + GET
                return self.memo[key]
            n.items = items
            self.memo[key] = n
            return n
        if type(obj) is dict:
            n = self.memo[key] = Node("dict")
            n.items = [(self.conv(k), self.conv(v)) for k, v in obj.items()]
            return n
        if type(obj) in (set, frozenset):
            name = "builtins." + type(obj).__name__
            lst = Node("list")
            lst.items = [self.conv(x) for x in obj]
            args = Node("tuple")
            args.items = [lst]
            n = self.memo[key] = self.model(name, args)
            return n
        if type(obj) is bytearray:
            n = self.memo[key] = self.model("builtins.bytearray", [bytes(obj)])
            return n
        return self.instance(obj, key)

    def instance(self, obj, key):
        rv = obj.__reduce_ex__(self.proto)
        self.keep.append(rv)
        func, args, state, listitems, dictitems = (tuple(rv) + (None,) * 5)[:5]
        import copyreg
        fname = "%s.%s" % global_name(func)
        if fname == "copyreg.__newobj__" and self.proto >= 2:
            cls, rest = args[0], args[1:]
            if rest:
                n = self.model("copyreg.__newobj__", Node("tuple"))
                n.args.items = [self.glob(cls)] + [self.conv(a) for a in rest]
            else:
                n = self.model("%s.%s" % global_name(cls), [])
        elif func is copyreg._reconstructor and args[1] is object and args[2] is None:
            n = self.model("%s.%s" % global_name(args[0]), [])
        else:
            n = self.model(fname, self.conv(args))
        self.memo[key] = n
        li = list(listitems) if listitems is not None else []
        di = list(dictitems) if dictitems is not None else []
        self.keep.extend([li, di])
        st = self.conv(state) if state is not None else None
        if li or di:
            lnode = None
            if li:
                lnode = Node("list")
                lnode.items = [self.conv(x) for x in li]
            dnode = None
            if di:
                dnode = Node("list")
                for k, v in di:
                    pair = Node("tuple")
                    pair.items = [self.conv(k), self.conv(v)]
                    dnode.items.append(pair)
            st = self.model("pickle.reduce_state", Node("tuple"))
            st.args.items = [self.conv(state) if state is not None else None, lnode, dnode]
        n.state = st
        return n


# ---- the tagged JSON of a brine graph (docs/json.md, with refs) --------------


def float_json(f):
    if math.isnan(f):
        bits = struct.unpack("<Q", struct.pack("<d", f))[0]
        return {"$float": "nan"} if bits == 0x7FF8000000000000 else {"$float": "0x%016x" % bits}
    if math.isinf(f):
        return {"$float": "inf" if f > 0 else "-inf"}
    return f


def scalar_json(v):
    if isinstance(v, float):
        return float_json(v)
    if isinstance(v, complex):
        return {"$complex": [float_json(v.real), float_json(v.imag)]}
    if isinstance(v, bytes):
        return {"$bytes": base64.b64encode(v).decode()}
    return v  # None, bool, int, str


def key_json(k):
    """A dict key as the json writer escapes it."""
    if isinstance(k, str):
        return "$" + k if k.startswith("$") else k
    return "$" + json.dumps(plain_key(k), separators=(",", ":"), ensure_ascii=False)


def plain_key(k):
    if isinstance(k, Node):  # a tuple key: an array
        return [plain_key(x) for x in k.items]
    return scalar_json(k)


def to_json(root):
    links = collections.Counter()
    seen = set()
    stack = [root]
    links[id(root)] += 1
    while stack:  # count the slots pointing at each container
        n = stack.pop()
        if not isinstance(n, Node) or id(n) in seen:
            continue
        seen.add(id(n))
        kids = []
        if n.kind in ("list", "tuple"):
            kids = n.items
        elif n.kind == "dict":
            kids = [x for kv in n.items for x in kv]
        else:
            kids = [n.args, n.state]
        for k in kids:
            if isinstance(k, Node):
                links[id(k)] += 1
                stack.append(k)
    ids = {}

    def emit(v, as_args=False):
        if not isinstance(v, Node):
            return scalar_json(v)
        shared = links[id(v)] > 1
        if shared and id(v) in ids:
            return {"$alias": ids[id(v)]}
        if shared:
            ids[id(v)] = len(ids) + 1
        if v.kind in ("list", "tuple"):
            body = [emit(x) for x in v.items]
            if not shared:
                return body if (v.kind == "list" or as_args) else {"$tuple": body}
            return {"$anchor": ids[id(v)], "$" + v.kind: body}
        if v.kind == "dict":
            body = {}
            for k, x in v.items:
                body[key_json(k)] = emit(x)
            return {"$anchor": ids[id(v)], "$dict": body} if shared else body
        out = {}
        if shared:
            out["$anchor"] = ids[id(v)]
        out["$model"] = v.name
        out["args"] = emit(v.args, as_args=True)
        out["state"] = emit(v.state)
        return out

    return emit(root)


def canon(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# ---- the run -----------------------------------------------------------------


def brine_json(brine, data):
    r = subprocess.run([brine, "convert", "-f", "pickle", "-t", "json", "-O", "refs", "-O", "tagged"], input=data,
                       capture_output=True)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def main():
    brine = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BRINE", "brine")
    failures = checked = skipped = 0
    truncation_inputs = []
    for name, value in values():
        for proto in range(6):
            try:
                data = pickle.dumps(value, proto)
            except (TypeError, pickle.PicklingError):
                skipped += 1  # e.g. __slots__ without __getstate__ below protocol 2
                continue
            want = canon(to_json(Mapper(proto).conv(value)))
            rc, out, err = brine_json(brine, data)
            checked += 1
            if rc != 0:
                failures += 1
                print("FAIL %s protocol %d: brine exited %d: %s" % (name, proto, rc, err.strip()))
                continue
            got = canon(json.loads(out)["value"])  # the envelope's value (docs/json.md)
            if got != want:
                failures += 1
                print("FAIL %s protocol %d:\n  brine: %s\n  want:  %s" % (name, proto, got, want))
            if name in ("instance", "shared", "sets", "strs", "recursive-tuple") and proto in (0, 2, 5):
                truncation_inputs.append((name, proto, data))
    cuts = 0
    for name, proto, data in truncation_inputs:
        for cut in range(len(data) - 1):  # the last byte is STOP
            r = subprocess.run([brine, "convert", "-f", "pickle", "-t", "json", "-O", "refs"], input=data[:cut],
                               capture_output=True)
            cuts += 1
            if r.returncode != 1 or not r.stderr or b"Sanitizer" in r.stderr or b"runtime error" in r.stderr:
                failures += 1
                print("FAIL %s protocol %d cut at %d: exit %d: %s" % (name, proto, cut, r.returncode,
                                                                       r.stderr.decode("utf-8", "replace")[:300]))
    print("pickle_interop: %d values x protocols checked, %d skipped, %d truncations, %d failures" %
          (checked, skipped, cuts, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
