"""msgpack_interop.py: brine's msgpack plugin against Python's msgpack module.

Python packs values and brine reads them; brine writes values and Python
reads them, decoding brine's ext types from the payloads docs/msgpack.md
documents (so the documentation is checked too). brine is reached through
tests/msgpack_peer (path in argv[1]), which prints a decoded graph as event
lines and encodes a graph given as event lines. Run by msgpack_interop.sh.
"""
import io
import math
import struct
import subprocess
import sys

import msgpack

PEER = sys.argv[1]
sys.setrecursionlimit(20000)  # the comparisons below recurse on nesting
failures = 0
passed = 0


class Model:
    """A brine model: type name, args tuple, state."""

    def __init__(self, name, args=(), state=None):
        self.name, self.args, self.state = name, tuple(args), state

    def __repr__(self):
        return "Model(%r, %r, %r)" % (self.name, self.args, self.state)


def ts_model(sec, nsec, state=None):
    return Model("msgpack.timestamp", (sec, nsec), state)


def ext_model(code, data, state=None):
    return Model("msgpack.ext", (code, data), state)


# ---- Python values <-> peer event lines ------------------------------------

def to_events(value):
    """Event lines for a value; containers met twice get an anchor."""
    seen, out, ids = {}, [], {}

    def count(v):
        if isinstance(v, (list, tuple, dict, Model)):
            seen[id(v)] = seen.get(id(v), 0) + 1
            if seen[id(v)] > 1:
                return
            kids = v.items() if isinstance(v, dict) else (v.args, v.state) if isinstance(v, Model) else v
            for k in kids:
                if isinstance(v, dict):
                    count(k[0])
                    count(k[1])
                else:
                    count(k)

    def anchor(v):
        if seen.get(id(v), 0) > 1:
            ids[id(v)] = len(ids) + 1
            return " @%d" % ids[id(v)]
        return ""

    def walk(v):
        if isinstance(v, (list, tuple, dict, Model)) and id(v) in ids:
            out.append("ref %d" % ids[id(v)])
            return
        if v is None:
            out.append("null")
        elif isinstance(v, bool):
            out.append("bool %d" % v)
        elif isinstance(v, int):
            if -(1 << 63) <= v < (1 << 64):
                out.append("int %d" % v)
            else:
                n = (v.bit_length() + 8) // 8
                out.append("bigint " + v.to_bytes(n, "little", signed=True).hex())
        elif isinstance(v, float):
            out.append("float " + struct.pack(">d", v).hex())
        elif isinstance(v, complex):
            out.append("complex %s %s" % (struct.pack(">d", v.real).hex(), struct.pack(">d", v.imag).hex()))
        elif isinstance(v, str):
            out.append("str " + (v.encode().hex() or "-"))
        elif isinstance(v, bytes):
            out.append("bytes " + (v.hex() or "-"))
        elif isinstance(v, Model):
            out.append("model " + v.name.encode().hex() + anchor(v))
            walk(v.args)
            walk(v.state)
            out.append("end")
        elif isinstance(v, dict):
            out.append("dict %d%s" % (len(v), anchor(v)))
            for k, x in v.items():
                walk(k)
                walk(x)
            out.append("end")
        else:
            out.append("%s %d%s" % ("tuple" if isinstance(v, tuple) else "list", len(v), anchor(v)))
            for x in v:
                walk(x)
            out.append("end")

    count(value)
    walk(value)
    return "\n".join(out) + "\n"


def from_events(text):
    """The value of event lines; anchors restore identity."""
    lines = iter(text.splitlines())
    anchors = {}

    def hexb(s):
        return b"" if s == "-" else bytes.fromhex(s)

    def value(line):
        word, _, arg = line.partition(" ")
        parts = arg.split()
        anchor = int(parts[-1][1:]) if parts and parts[-1].startswith("@") else None
        if word == "null":
            return None
        if word == "bool":
            return arg == "1"
        if word == "int":
            return int(arg)
        if word == "bigint":
            return int.from_bytes(hexb(arg), "little", signed=True)
        if word == "float":
            return struct.unpack(">d", bytes.fromhex(arg))[0]
        if word == "complex":
            return complex(struct.unpack(">d", bytes.fromhex(parts[0]))[0], struct.unpack(">d", bytes.fromhex(parts[1]))[0])
        if word == "str":
            return hexb(arg).decode()
        if word == "bytes":
            return hexb(arg)
        if word == "ref":
            return anchors[int(arg)]
        if word == "list":
            v = []
            anchors[anchor] = v
            for line2 in lines:
                if line2 == "end":
                    return v
                v.append(value(line2))
        if word == "tuple":
            items = []
            for line2 in lines:
                if line2 == "end":
                    break
                items.append(value(line2))
            anchors[anchor] = tuple(items)
            return anchors[anchor]
        if word == "dict":
            v = {}
            anchors[anchor] = v
            for line2 in lines:
                if line2 == "end":
                    return v
                k = value(line2)
                v[k] = value(next(lines))
        if word == "model":
            m = Model(hexb(parts[0]).decode())
            anchors[anchor] = m
            m.args = value(next(lines))
            m.state = value(next(lines))
            assert next(lines) == "end"
            return m
        raise ValueError("bad event line " + line)

    return value(next(lines))


def same(a, b, memo=None):
    """Deep equality with strict types (1, 1.0 and True differ), float bits."""
    memo = {} if memo is None else memo
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack(">d", a) == struct.pack(">d", b)
    if isinstance(a, complex):
        return same(a.real, b.real) and same(a.imag, b.imag)
    if isinstance(a, (list, tuple, dict, Model)):
        if id(a) in memo:
            return memo[id(a)] is b
        memo[id(a)] = b
        if isinstance(a, Model):
            return a.name == b.name and same(a.args, b.args, memo) and same(a.state, b.state, memo)
        if len(a) != len(b):
            return False
        if isinstance(a, dict):
            return all(same(ka, kb, memo) and same(va, vb, memo) for (ka, va), (kb, vb) in zip(a.items(), b.items()))
        return all(same(x, y, memo) for x, y in zip(a, b))
    return a == b


# ---- the peer ------------------------------------------------------------------

def peer(mode, data, *options):
    p = subprocess.run([PEER, mode, *options], input=data, capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode()


def check(name, ok, detail=""):
    global failures, passed
    if ok:
        passed += 1
    else:
        failures += 1
        print("FAIL: %s %s" % (name, detail))


def brine_reads(name, packed, expected, *options):
    rc, out, err = peer("dump", packed, *options)
    if rc != 0:
        check(name, False, err)
        return
    got = from_events(out.decode())
    check(name, same(got, expected), "read %r, expected %r" % (got, expected))


def brine_writes(value, *options):
    rc, out, err = peer("load", to_events(value).encode(), *options)
    if rc != 0:
        raise RuntimeError(err)
    return out


# ---- Python packs, brine reads --------------------------------------------------

def python_to_brine():
    ints = [0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1,
            -1, -32, -33, -128, -129, -32768, -32769, -2**31, -2**31 - 1, -2**63]
    for i in ints:
        brine_reads("int %d" % i, msgpack.packb(i), i)
    for f in [0.0, -0.0, 1.5, 1e300, -1e-300, 5e-324, math.inf, -math.inf, math.nan]:
        brine_reads("float %r" % f, msgpack.packb(f), f)
    # float32 reads as the double it stands for
    for f in [0.1, 1.5, -2.75, 3.4e38]:
        want = struct.unpack(">f", struct.pack(">f", f))[0]
        brine_reads("float32 %r" % f, msgpack.packb(f, use_single_float=True), want)
    for s in ["", "a", "é", "日本語", "😀", "x" * 31, "x" * 32, "y" * 255, "y" * 256, "z" * 65535, "z" * 65536, "\0nul"]:
        brine_reads("str of %d" % len(s), msgpack.packb(s), s)
    for b in [b"", b"\0", b"\xff" * 255, b"\x01" * 256, b"\x02" * 65536]:
        brine_reads("bin of %d" % len(b), msgpack.packb(b), b)
    for n in [0, 15, 16, 65535, 65536]:
        brine_reads("array of %d" % n, msgpack.packb(list(range(n))), list(range(n)))
        d = {i: str(i) for i in range(n)}
        brine_reads("map of %d" % n, msgpack.packb(d), d)
    nested = {"users": [{"name": "ann", "age": 31, "tags": ["a", "b"], "score": 9.5, "raw": b"\x00\x01"},
                        {"name": "bob", "age": None, "tags": [], "score": -1.0, "raw": b""}],
              "count": 2, "ok": True, b"bytes key": {1: [2, [3, [4]]]}, 7: False}
    brine_reads("nested document", msgpack.packb(nested), nested)
    deep = []
    for _ in range(300):
        deep = [deep]
    brine_reads("300 levels", msgpack.packb(deep), deep)
    # timestamps in every width Python writes, and ext types Python made up
    for sec, ns in [(0, 0), (1, 0), (2**32 - 1, 0), (1, 1), (2**34 - 1, 999999999), (2**34, 0), (-1, 5),
                    (-2**63, 0)]:
        brine_reads("timestamp %d.%09d" % (sec, ns), msgpack.packb(msgpack.Timestamp(sec, ns)), ts_model(sec, ns))
    for code, data in [(0, b"\x01"), (1, b"ab"), (5, b"1234"), (42, b"x" * 8), (127, b"y" * 16), (9, b""),
                       (10, b"abc"), (11, b"q" * 300), (12, b"r" * 70000)]:
        brine_reads("ext %d of %d" % (code, len(data)), msgpack.packb(msgpack.ExtType(code, data)), ext_model(code, data))
    # records logged one after another
    records = [{"id": i, "msg": "line %d" % i} for i in range(100)]
    packed = b"".join(msgpack.packb(r) for r in records)
    brine_reads("a sequence of 100 records", packed, records, "sequence")
    # invalid UTF-8 in a str: refused, or bytes on request
    bad = b"\xa2\xc3\x28"
    rc, _, err = peer("dump", bad)
    check("invalid UTF-8 is an error", rc == 1 and "error 5 at offset 1" in err, err)
    brine_reads("invalid UTF-8 as bytes", bad, b"\xc3\x28", "invalid_utf8=bytes")
    rc, _, err = peer("dump", msgpack.packb(nested)[:-1])
    check("truncated input is an error", rc == 1 and "error 9 at offset" in err, err)


# ---- brine writes, Python reads -----------------------------------------------------

def brine_ext_hook(anchors):
    """Python's reading of brine's ext types, from docs/msgpack.md."""

    def hook(code, data):
        if code == 80:
            return tuple(unpack(data))
        if code == 81:
            return complex(*struct.unpack(">dd", data))
        if code == 82:
            return int.from_bytes(data, "big", signed=True)
        if code == 83:
            name, args, state = unpack(data)
            return Model(name, args, state)
        if code == 84:
            ident, value = unpack(data)
            anchors[ident] = value
            return value
        if code == 85:
            return anchors[int.from_bytes(data, "big")]
        if code == -1:
            ts = msgpack.Timestamp.from_bytes(data)
            return ts_model(ts.seconds, ts.nanoseconds)
        return ext_model(code, data)

    def unpack(data):
        return msgpack.unpackb(data, ext_hook=hook, strict_map_key=False, timestamp=0)

    return unpack


def python_reads(name, value, expected, *options, exts=True):
    data = brine_writes(value, *options)
    if exts:
        got = brine_ext_hook({})(data)
    else:
        got = msgpack.unpackb(data, strict_map_key=False)
    check(name, same(got, expected), "read %r, expected %r" % (got, expected))
    return data


def brine_to_python():
    # what MessagePack has: brine writes the bytes Python's packer writes
    plainly = [0, 1, -1, 127, 128, -33, 65536, 2**63, 2**64 - 1, -2**63, 1.5, -0.0, math.inf, "", "é" * 40, "s" * 300,
               "t" * 70000, b"", b"b" * 300, [], [1, [2, [3]]], list(range(70000)), {}, {"a": 1, 2: [None, True]},
               {str(i): i for i in range(20)}, [None, False, True]]
    for v in plainly:
        data = python_reads("writes %r" % (v if len(repr(v)) < 40 else type(v).__name__), v, v)
        check("same bytes as Python for %r" % (v if len(repr(v)) < 40 else type(v).__name__),
              data == msgpack.packb(v), data[:20].hex())
    # brine's own types, through the documented ext payloads
    point = Model("geo.Point", (1, 2.5), {"label": "p"})
    for v in [(1, "two", (3.0,)), (), 3 - 4j, complex(0, -0.0), 2**64, -2**64 - 1, 12345678901234567890123456789,
              point, Model("Empty"), [point, (point,)], {(1, 2): "tuple key"}]:
        python_reads("ext types %r" % (v,), v, v)
    # timestamps and foreign ext values go back as Python's own objects
    for sec, ns in [(0, 0), (1, 1), (2**34, 5), (-1, 0)]:
        data = brine_writes(ts_model(sec, ns))
        check("timestamp %d.%d" % (sec, ns), msgpack.unpackb(data) == msgpack.Timestamp(sec, ns), data.hex())
        check("timestamp %d.%d bytes" % (sec, ns), data == msgpack.packb(msgpack.Timestamp(sec, ns)), data.hex())
    for code, payload in [(3, b"\x01"), (4, b"abc"), (5, b"z" * 300)]:
        data = brine_writes(ext_model(code, payload))
        check("ext %d" % code, msgpack.unpackb(data) == msgpack.ExtType(code, payload), data.hex())
    # plain: what another program expects
    python_reads("plain tuple", (1, (2, 3)), [1, [2, 3]], "plain", exts=False)
    python_reads("plain complex", 1 + 2j, [1.0, 2.0], "plain", exts=False)
    python_reads("plain model", point, {"type": "geo.Point", "args": [1, 2.5], "state": {"label": "p"}}, "plain",
                 exts=False)
    rc, _, err = peer("load", to_events(2**70).encode(), "plain")
    check("plain refuses big ints", rc == 1 and "error 12" in err, err)
    # shared containers: expanded by default, one object with refs
    shared = [1, 2]
    doc = {"a": shared, "b": shared, "c": (shared,)}
    got = msgpack.unpackb(brine_writes(doc), strict_map_key=False, ext_hook=lambda c, d: ("ext", c))
    check("shared expands without refs", got["a"] == [1, 2] and got["a"] is not got["b"], repr(got))
    got = brine_ext_hook({})(brine_writes(doc, "refs"))
    check("refs restore identity", got["a"] is got["b"] and got["c"][0] is got["a"], repr(got))
    rc, _, err = peer("load", "list 1 @1\nref 1\nend\n".encode())
    check("a cycle without refs is an error", rc == 1 and "error 7" in err, err)
    # a sequence of records, as a log writer would
    records = [{"n": i} for i in range(50)]
    data = brine_writes(records, "sequence")
    check("sequence", list(msgpack.Unpacker(io.BytesIO(data), strict_map_key=False)) == records, data[:20].hex())


# ---- through the brine command, when it is built ----------------------------------

def through_cli():
    import os
    brine = os.environ.get("BRINE", "")
    if not (brine and os.access(brine, os.X_OK)):
        print("note: no brine command at $BRINE; its checks are skipped")
        return
    doc = {"when": msgpack.Timestamp(1700000000, 5), "blob": msgpack.ExtType(7, b"\x00\x01"),
           "rows": [[1, -2, 3.5, "x"], {"k": None}], "n": 2**64 - 1}
    packed = msgpack.packb(doc)
    # wider headers than needed (another writer's choice) are kept too
    odd = bytes.fromhex("83a161c70401000000ffa162c8000305010203a163d7ff0000000000000001")
    for name, data in [("python's document", packed), ("odd ext headers", odd)]:
        native = subprocess.run([brine, "convert", "-f", "msgpack", "-t", "native"], input=data, capture_output=True)
        back = subprocess.run([brine, "convert", "-f", "native", "-t", "msgpack"], input=native.stdout,
                              capture_output=True)
        check("msgpack -> native -> msgpack keeps %s byte-identical" % name,
              native.returncode == 0 and back.returncode == 0 and back.stdout == data,
              native.stderr.decode() + back.stderr.decode())
    # recognised without -f from its first bytes
    sniffed = subprocess.run([brine, "convert", "-t", "msgpack"], input=packed, capture_output=True)
    check("msgpack recognised by its first bytes", sniffed.returncode == 0 and sniffed.stdout == packed,
          sniffed.stderr.decode())


python_to_brine()
brine_to_python()
through_cli()
print("%d passed, %d failed" % (passed, failures))
sys.exit(1 if failures else 0)
