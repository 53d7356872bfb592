"""pickle_write.py: brine's pickle writer against CPython's pickle.loads.

Each case is a Python value (with M(...) standing for a brine model) and
the value pickle.loads must give back. The value is written as brine's
tagged JSON (docs/json.md: $tuple, $bytes, $model, $anchor/$alias ...),
converted with `$BRINE convert -f json -t pickle -I refs -O protocol=P`
for P in 2..5, loaded, and compared: same types, same values (floats bit
for bit), and the same sharing (a node shared or cyclic on one side is
shared the same way on the other, checked with `is`). Where the value
has no repeated str (CPython memoizes strs, brine copies them) the bytes
of protocols 4 and 5 must also equal pickletools.optimize(pickle.dumps()),
and brine's own reader must give the very graph back. With numpy and
sklearn installed, the saved model of examples/sklearn-tree goes through
brine and back into Python too. Run by pickle_write.sh with $BRINE set.
"""
import base64
import collections
import copyreg
import datetime
import json
import math
import os
import pickle
import pickletools
import struct
import subprocess
import sys

BRINE = os.environ["BRINE"]
failures = 0
sys.setrecursionlimit(20000)  # the encoder and comparison recurse on nesting
passed = 0


class M:
    """A brine model in a case's input: name, args tuple, state."""

    def __init__(self, name, args=(), state=None):
        self.name, self.args, self.state = name, tuple(args), state


# ---- classes the pickles name (module __main__: this script) ---------------

class Point:
    def __init__(self, *a):
        raise AssertionError("NEWOBJ must not call __init__")


class Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b


class Box:
    def __init__(self, items):
        self.items = items


Pt = collections.namedtuple("Pt", "x y")
Quad = collections.namedtuple("Quad", "a b c d")


class MyList(list):
    pass


class Outer:
    class Inner:
        pass


def make(cls, **attrs):
    o = cls.__new__(cls)
    o.__dict__.update(attrs)
    return o


# ---- Python value -> brine tagged JSON ---------------------------------------

def to_tagged(value):
    seen = {}

    def count(v):
        if isinstance(v, (list, tuple, dict, M)):
            seen[id(v)] = seen.get(id(v), 0) + 1
            if seen[id(v)] > 1:
                return
            if isinstance(v, dict):
                for k, x in v.items():
                    count(k)
                    count(x)
            elif isinstance(v, M):
                for x in v.args:
                    count(x)
                count(v.state)
            else:
                for x in v:
                    count(x)

    count(value)
    ids = {}

    def num(f):
        if math.isnan(f):
            return {"$float": "0x%016x" % struct.unpack("<Q", struct.pack("<d", f))[0]}
        if math.isinf(f):
            return {"$float": "inf" if f > 0 else "-inf"}
        return f

    def key(k):
        if isinstance(k, str):
            return "$" + k if k.startswith("$") else k
        return "$" + json.dumps(enc(k), separators=(",", ":"), ensure_ascii=False)

    def enc(v):
        if v is None or isinstance(v, (bool, int, str)):
            return v
        if isinstance(v, float):
            return num(v)
        if isinstance(v, complex):
            return {"$complex": [num(v.real), num(v.imag)]}
        if isinstance(v, bytes):
            return {"$bytes": base64.b64encode(v).decode()}
        shared = seen.get(id(v), 0) > 1
        if shared and id(v) in ids:
            return {"$alias": ids[id(v)]}
        out = {}
        if shared:
            ids[id(v)] = len(ids) + 1
            out["$anchor"] = ids[id(v)]
        if isinstance(v, list):
            out["$list"] = [enc(x) for x in v]
        elif isinstance(v, tuple):
            out["$tuple"] = [enc(x) for x in v]
        elif isinstance(v, dict):
            out["$dict"] = {key(k): enc(x) for k, x in v.items()}
        elif isinstance(v, M):
            out["$model"] = v.name
            out["args"] = [enc(x) for x in v.args]
            out["state"] = enc(v.state)
        else:
            raise TypeError(type(v))
        if not shared and "$list" in out:
            return out["$list"]
        return out

    # Tags are read inside brine's envelope only (docs/json.md).
    return json.dumps({"$brine": 1, "value": enc(value)}, ensure_ascii=False, allow_nan=False)


# ---- comparison with sharing -----------------------------------------------

def same(exp, got, pairs, path="$"):
    """None if got matches exp, else a description of the first difference."""
    if type(exp) is not type(got):
        return "%s: type %s, expected %s" % (path, type(got).__name__, type(exp).__name__)
    if isinstance(exp, float):
        if struct.pack("<d", exp) != struct.pack("<d", got):
            return "%s: %r, expected %r" % (path, got, exp)
        return None
    if isinstance(exp, complex):
        return same(exp.real, got.real, pairs, path + ".real") or same(exp.imag, got.imag, pairs, path + ".imag")
    if isinstance(exp, (type(None), bool, int, str, bytes, type, type(len))):
        return None if exp == got or exp is got else "%s: %r, expected %r" % (path, got, exp)
    # Containers and instances: the same sharing on both sides.
    if id(exp) in pairs:
        return None if pairs[id(exp)] is got else "%s: not the shared node it should be" % path
    if any(g is got for g in pairs.values()):
        return "%s: shared, expected a distinct node" % path
    pairs[id(exp)] = got
    if isinstance(exp, (list, tuple)):
        if isinstance(exp, MyList):
            d = same(vars(exp), vars(got), pairs, path + ".__dict__")
            if d:
                return d
        if len(exp) != len(got):
            return "%s: %d items, expected %d" % (path, len(got), len(exp))
        for i, (a, b) in enumerate(zip(exp, got)):
            d = same(a, b, pairs, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    if isinstance(exp, dict):
        if list(map(repr, exp)) != list(map(repr, got)):
            return "%s: keys %r, expected %r" % (path, list(got), list(exp))
        for k in exp:
            d = same(exp[k], got[k], pairs, "%s[%r]" % (path, k))
            if d:
                return d
        return None
    if isinstance(exp, (set, frozenset, bytearray, datetime.date, collections.OrderedDict)):
        return None if exp == got else "%s: %r, expected %r" % (path, got, exp)
    return same(vars(exp), vars(got), pairs, path + ".__dict__")


def allow_for(tagged):
    """allow= naming the case's own model types: writing refuses types outside
    the allow-list (docs/pickle.md, Security), as a program allows what it
    registered. pickle.global(m, n) names m.n (m:n for a dotted qualname)."""
    names = set()

    def walk(v):
        if isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            name = v.get("$model")
            if isinstance(name, str):
                names.add(name)
                args = v.get("args")
                if name == "pickle.global" and isinstance(args, list) and len(args) == 2 and \
                        all(isinstance(a, str) for a in args):
                    names.add("%s%s%s" % (args[0], ":" if "." in args[1] else ".", args[1]))
            for x in v.values():
                walk(x)

    walk(json.loads(tagged))
    names = [n for n in names if "," not in n and ("." in n or ":" in n)]
    return ["-O", "allow=" + ",".join(sorted(names))] if names else []


def brine_pickle(tagged, proto):
    p = subprocess.run([BRINE, "convert", "-f", "json", "-t", "pickle", "-I", "refs", "-O", "protocol=%d" % proto] +
                       allow_for(tagged), input=tagged.encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace").strip()


def brine_run(args, data):
    p = subprocess.run([BRINE] + args, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace").strip()


def check(name, value, expected, exact=True, protos=(2, 3, 4, 5), load=pickle.loads, roundtrip=(2, 3, 4, 5)):
    global failures, passed
    tagged = to_tagged(value)
    # brine's own reader must give the very graph back: compare its JSON
    # with the input's, both written by brine (same anchor numbering).
    rc, canon, err = brine_run(["convert", "-f", "json", "-t", "json", "-I", "refs", "-O", "refs", "-O", "tagged"],
                               tagged.encode())
    if rc != 0:
        print("FAIL %s: brine cannot read its input: %s" % (name, err))
        failures += 1
        return
    for proto in protos:
        rc, data, err = brine_pickle(tagged, proto)
        if rc == 0 and proto in roundtrip:
            rc2, back, err2 = brine_run(["convert", "-f", "pickle", "-t", "json", "-O", "refs", "-O", "tagged"], data)
            if rc2 != 0 or back != canon:
                print("FAIL %s (protocol %d): brine reads its pickle back differently: %s\n  in   %s\n  back %s"
                      % (name, proto, err2, canon.decode()[:300], back.decode()[:300]))
                failures += 1
            else:
                passed += 1
        rc, data, err = brine_pickle(tagged, proto)
        if rc != 0:
            print("FAIL %s (protocol %d): brine failed: %s" % (name, proto, err))
            failures += 1
            continue
        try:
            got = load(data)
        except Exception as ex:  # a pickle Python cannot load is the failure
            print("FAIL %s (protocol %d): pickle.loads: %r\n  %s" % (name, proto, ex, data.hex()))
            failures += 1
            continue
        d = same(expected, got, {})
        if d is None and exact and proto >= 4:
            want = pickletools.optimize(pickle.dumps(expected, proto))
            if want != data:
                d = "bytes differ from CPython's\n  brine   %s\n  CPython %s" % (data.hex(), want.hex())
        if d:
            print("FAIL %s (protocol %d): %s" % (name, proto, d))
            failures += 1
        else:
            passed += 1


def check_error(name, value, message, protos=(2, 4)):
    global failures, passed
    for proto in protos:
        rc, data, err = brine_pickle(to_tagged(value), proto)
        if rc == 0 or message not in err:
            print("FAIL %s (protocol %d): expected an error with %r, got rc %d %r" % (name, proto, message, rc, err))
            failures += 1
        else:
            passed += 1


# ---- the cases ----------------------------------------------------------------

def scalar_cases():
    ints = [0, 1, 255, 256, 65535, 65536, -1, -128, -129, 2**31 - 1, -2**31, 2**31, -2**31 - 1,
            2**63 - 1, -2**63, 2**63, 2**64 - 1, 2**64, -2**64, -2**64 - 1, 2**200, -2**200, 2**2047 * 3, 127, 128]
    for i in ints:
        check("int %d" % i if abs(i) < 2**70 else "big int", i, i)
    check("ints in a list", ints, ints)
    floats = [0.0, -0.0, 1.5, -2.25, 1e308, 5e-324, float("inf"), float("-inf"), float("nan"),
              struct.unpack("<d", struct.pack("<Q", 0x7ff4000000000001))[0], 0.1]
    check("floats", floats, floats)
    check("None True False", [None, True, False], [None, True, False])
    for s in ["", "a", "héllo wörld", "日本語", "\U0001F600 astral", "nul\x00inside", "x" * 255, "y" * 256,
              "z" * 70000]:
        check("str of %d chars" % len(s), s, s)
    for b in [b"", b"\x00", bytes(range(256)), b"\xff" * 255, b"q" * 256, b"\x80" * 70000]:
        check("bytes of %d" % len(b), b, b)
    for c in [1 + 2j, -0.0 - 0.0j, complex(float("inf"), float("nan")), 1e300j]:
        check("complex %r" % c, c, c)


def container_cases():
    vals = [[], [1], [1, 2], list(range(1000)), list(range(1001)), list(range(2500)),
            (), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), tuple(range(1500)),
            {}, {"a": 1}, {"a": 1, "b": 2}, {i: i for i in range(1001)}, {str(i): i for i in range(2003)},
            {1: "int key", (1, "t"): "tuple key", b"k": "bytes key", None: 0, 2.5: 1, True: 2, "$x": 3},
            [[[[[["deep"]]]]]], {"nested": [(1, [2, {"x": ()}]), {"y": [b"z"]}]}]
    for v in vals:
        check("container %s" % (repr(v)[:40]), v, v)
    big = [bytes([i % 256]) * 1000 for i in range(300)]  # several frames
    check("several frames", big, big)
    deep = []
    cur = deep
    for _ in range(900):
        cur.append([])
        cur = cur[0]
    check("900 nested lists", deep, deep, exact=False, protos=(4,))


def sharing_cases():
    a = [1, 2]
    check("shared list", [a, a, [a]], [a, a, [a]])
    d = {"k": "v"}
    check("shared dict", {"x": d, "y": d}, {"x": d, "y": d}, exact=False)
    t = (1, [2])
    check("shared tuple", [t, t], [t, t])
    e = ()
    check("shared empty tuple", [e, e, (e,)], [e, e, (e,)], exact=False)  # memoized, unlike CPython
    loop = [1]
    loop.append(loop)
    check("list containing itself", loop, loop)
    dl = {"a": 1}
    dl["self"] = dl
    check("dict containing itself", dl, dl)
    lst = []
    tup = (lst, 5, "after")
    lst.append(tup)
    check("tuple in a cycle through a list", tup, tup, exact=False)  # CPython GETs the str it re-saves
    inner = []
    t2 = ([inner], inner, 7, (8, 9), "x2")
    inner.append(t2)
    check("big tuple in a cycle", t2, t2, exact=False)
    l1, l2 = [], []
    t3 = (l2,)
    t1 = (l1, t3)
    l1.append(t1)
    l2.append(t1)
    check("tuple re-entered twice", t1, t1)
    shared_in_cycle = []
    tt = ([shared_in_cycle], shared_in_cycle)
    shared_in_cycle.append(tt)
    check("tuple cycle with a node defined later", [tt, shared_in_cycle], [tt, shared_in_cycle])
    lst = []
    tup = (lst,)
    lst.append(tup)
    check("tuple cycle inside a list", [1, tup, lst], [1, tup, lst])


def model_cases():
    check("instance without args (NEWOBJ + BUILD)", M("__main__.Point", (), {"x": 1, "y": [2]}),
          make(Point, x=1, y=[2]))
    fst = M("builtins.frozenset", ([],))
    fst.args[0].append(M("pickle.global", ("builtins", "len")))
    check("frozenset of a global", fst, frozenset([len]), exact=False)
    check("instance with args (REDUCE)", M("__main__.Pair", (1, "b"), None), Pair(1, "b"), exact=False)
    p = Pair(1, 2)
    p.extra = 3
    check("args and state", M("__main__.Pair", (1, 2), {"a": 1, "b": 2, "extra": 3}), p, exact=False)
    check("datetime.date", M("datetime.date", (b"\x07\xe4\x02\x1d",)), datetime.date(2020, 2, 29), exact=False)
    check("OrderedDict", M("collections.OrderedDict", ([("a", 1), ("b", 2)],)),
          collections.OrderedDict([("a", 1), ("b", 2)]), exact=False)
    check("set", M("builtins.set", ([1, 2, "x"],)), {1, 2, "x"}, exact=False)
    check("empty set", M("builtins.set", ([],)), set(), exact=False)
    check("frozenset", M("builtins.frozenset", ([3, (4, 5)],)), frozenset([3, (4, 5)]), exact=False)
    check("bytearray", M("builtins.bytearray", (b"\x00abc",)), bytearray(b"\x00abc"), exact=False)
    check("global", [M("pickle.global", ("builtins", "len")), M("pickle.global", ("__main__", "Pair"))],
          [len, Pair], exact=False)
    # The reader names a nested class module:Outer.Inner: the colon says
    # where the module ends.
    # (Protocols 2 and 3 reach it through getattr, read back as such.)
    check("nested class with module:qualname", M("__main__:Outer.Inner", (), {"v": 1}), make(Outer.Inner, v=1),
          exact=False, roundtrip=(4, 5))
    # Protocols 2 and 3 reach a nested class through getattr, as CPython.
    check("global of a nested class", M("pickle.global", ("__main__", "Outer.Inner")), Outer.Inner, exact=False,
          roundtrip=(4, 5))
    check("call of a call's result", M("pickle.call", (M("builtins.getattr", (M("pickle.global", ("builtins", "str")),
                                                                               "upper")), ("abc",))), "ABC",
          exact=False)
    check("call of a global", M("builtins.divmod", (7, 2)), (3, 1), exact=False)
    check("copyreg.__newobj__", M("copyreg.__newobj__", (M("pickle.global", ("builtins", "int")), 42)), 42,
          exact=False)
    check("copyreg.__newobj__ of a non-global stays a call", M("copyreg.__newobj__", (M("builtins.type", (3,)), 42)),
          42, exact=False)
    # Items given to a model (the reader's pickle.reduce_state as state).
    check("OrderedDict with dict items", M("collections.OrderedDict", (),
                                           M("pickle.reduce_state", (None, None, [("a", 1), ("b", [2])]))),
          collections.OrderedDict([("a", 1), ("b", [2])]), exact=False)  # CPython: REDUCE with (), brine: NEWOBJ
    check("defaultdict with one item", M("collections.defaultdict", (M("pickle.global", ("builtins", "list")),),
                                         M("pickle.reduce_state", (None, None, [("k", [1])]))),
          collections.defaultdict(list, {"k": [1]}))
    big = [(str(i), i) for i in range(2001)]
    check("defaultdict with 2001 items", M("collections.defaultdict", (M("pickle.global", ("builtins", "int")),),
                                           M("pickle.reduce_state", (None, None, big))),
          collections.defaultdict(int, big))
    ml = MyList([1, "two", (3,)])
    ml.attr = {"x": 1}
    check("list subclass with items and state", M("__main__.MyList", (),
                                                    M("pickle.reduce_state", ({"attr": {"x": 1}}, [1, "two", (3,)], None))),
          ml)
    ml1 = MyList([5])
    check("list subclass with one item", M("__main__.MyList", (), M("pickle.reduce_state", (None, [5], None))), ml1)
    shared_od = M("collections.OrderedDict", (), M("pickle.reduce_state", (None, None, [("z", 0)])))
    od = collections.OrderedDict(z=0)
    check("shared OrderedDict", [shared_od, shared_od], [od, od], exact=False)
    g = M("pickle.global", ("__main__", "Pt"))
    check("namedtuple (copyreg.__newobj__ as NEWOBJ)", M("copyreg.__newobj__", (g, 1, "y")), Pt(1, "y"))
    check("namedtuple of 4", M("copyreg.__newobj__", (M("pickle.global", ("__main__", "Quad")), 1, 2, 3, 4)),
          Quad(1, 2, 3, 4))
    copyreg.add_extension("__main__", "Pair", 240)
    copyreg.add_extension("__main__", "Box", 70000)
    check("ext codes", [M("pickle.ext", (240,)), M("pickle.ext", (70000,))], [Pair, Box], exact=False)

    class PersLoader(pickle.Unpickler):
        def persistent_load(self, pid):
            return ("loaded", pid)

    import io
    check("persistent id", [M("pickle.persistent_id", ("key-1",))], [("loaded", "key-1")], exact=False,
          load=lambda d: PersLoader(io.BytesIO(d)).load())
    # Identity: a shared instance, an instance whose state holds itself,
    # and an instance reachable from its own args through a list.
    m = M("__main__.Point", (), {"n": 1})
    pt = make(Point, n=1)
    check("shared instance", [m, m], [pt, pt], exact=False)
    state = {"name": "me"}
    ms = M("__main__.Point", (), state)
    state["me"] = ms
    ps = make(Point, name="me")
    ps.me = ps
    check("instance whose state holds itself", ms, ps, exact=False)
    items = []
    mb = M("__main__.Box", (items,))
    items.append(mb)
    pb = Box([])
    pb.items.append(pb)
    # Not compared with brine's reading: the reader's graph keeps the popped
    # outer call's reference to the list, and the walker then anchors it (an
    # $anchor with no $alias), with CPython's own pickle of it too.
    check("instance in its own args through a list", mb, pb, exact=False, roundtrip=())
    ss = M("builtins.set", ([1, 2],))
    pset = {1, 2}
    check("shared set", [ss, ss], [pset, pset], exact=False)
    fs = M("builtins.frozenset", ([1, 2],))
    sfs = frozenset([1, 2])
    check("shared frozenset", [fs, fs], [sfs, sfs], exact=False, protos=(4, 5))


def error_cases():
    check_error("model name without a module", M("Point", ()), "is not module.qualname")
    # A tuple containing itself directly: tagged JSON can say it.
    global failures, passed
    tagged = '{"$brine":1,"value":{"$anchor":1,"$tuple":[1,{"$alias":1}]}}'
    rc, data, err = brine_pickle(tagged, 4)
    if rc == 0 or "contains itself through tuples" not in err:
        print("FAIL tuple containing itself: rc %d %r" % (rc, err))
        failures += 1
    else:
        passed += 1
    rc, data, err = brine_pickle("[1]", 6)
    if rc == 0 or "protocol" not in err:
        print("FAIL protocol=6 accepted: rc %d %r" % (rc, err))
        failures += 1
    else:
        passed += 1


def sklearn_cases():
    """The saved model of examples/sklearn-tree, read by brine and written
    back at each protocol: Python must load an estimator equal to the one
    it pickled (same pickle.dumps), where numpy and sklearn are installed."""
    global failures, passed
    data = os.environ.get("BRINE_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))
    try:
        import numpy  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError:
        print("pickle_write: note: no numpy/sklearn in this Python, the saved-model cases are skipped")
        return
    for name in ("model.pkl", "model-p5.pkl", "model-unicode.pkl"):
        path = os.path.join(data, "sklearn-tree", name)
        with open(path, "rb") as f:
            raw = f.read()
        want = pickle.dumps(pickle.loads(raw), 4)
        for proto in (2, 3, 4, 5):
            rc, out, err = brine_run(["convert", "-f", "pickle", "-t", "pickle", "-O", "protocol=%d" % proto,
                                      "-O", "allow=sklearn"], raw)
            if rc != 0 or pickle.dumps(pickle.loads(out), 4) != want:
                print("FAIL %s (protocol %d): not the same estimator back %s" % (name, proto, err))
                failures += 1
            else:
                passed += 1


def shared_scalar_cases():
    """A str or bytes CPython memoized and fetched again stays one object
    through brine's pickle -> pickle (the walker anchors it, the writer
    memoizes it), and brine's output is no bigger than CPython's."""
    global failures, passed
    s = "a str longer than sixteen bytes, " * 4
    b = bytes(range(40))
    value = [s, s, (s, b), (s, b), b, {s: s}, [s] * 5]
    for proto in (2, 3, 4, 5):
        raw = pickle.dumps(value, proto)
        for out_proto in (2, 3, 4, 5):
            rc, out, err = brine_run(["convert", "-f", "pickle", "-t", "pickle", "-O", "protocol=%d" % out_proto], raw)
            name = "shared scalars (protocol %d -> %d)" % (proto, out_proto)
            if rc != 0:
                print("FAIL %s: brine failed: %s" % (name, err))
                failures += 1
                continue
            got = pickle.loads(out)
            if got != value:
                print("FAIL %s: a different value back: %r" % (name, got))
                failures += 1
            elif not (got[1] is got[0] and got[2][0] is got[0] and got[6][4] is got[0] and next(iter(got[5])) is got[0]
                      and got[4] is got[2][1] and got[3][1] is got[4]):
                print("FAIL %s: the shared str or bytes came back as copies" % name)
                failures += 1
            elif len(out) > len(pickle.dumps(value, out_proto)) + 16:
                print("FAIL %s: %d bytes, CPython writes %d" % (name, len(out), len(pickle.dumps(value, out_proto))))
                failures += 1
            else:
                passed += 1


scalar_cases()
container_cases()
sharing_cases()
model_cases()
error_cases()
sklearn_cases()
shared_scalar_cases()
print("pickle_write: %d passed, %d failed" % (passed, failures))
sys.exit(1 if failures else 0)
