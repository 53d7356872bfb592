#!/usr/bin/env python3
"""gen_golden.py: writes the golden pickles of data/pickle and expected.tsv.

Python-made files are pickled by CPython (the protocol in the name); the
hostile ones are written byte by byte. Each row of expected.tsv gives the
repr brine must print (brine_value_repr), written here by hand from
docs/pickle.md, or the error code and offset. Run it from anywhere with
python3 3.8+; the output is deterministic.
"""
import collections
import os
import pickle
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Codes of brine.h.
E_TRUNCATED, E_CORRUPT, E_SYNTAX, E_UTF8, E_DEPTH, E_UNSUPPORTED, E_VERSION = 9, 10, 8, 5, 6, 12, 11


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


Pair = collections.namedtuple("Pair", "a b")
Pair.__module__ = "golden"
Point.__module__ = "golden"
Point.__qualname__ = "Point"
sys.modules["golden"] = sys.modules[__name__]
golden = sys.modules[__name__]
golden.Pair = Pair
golden.Point = Point


def recursive():
    l = [1]
    l.append(l)
    return l


def shared():
    s = [0]
    return [s, s, (s,)]


ROWS = []


def made(name, value, proto, want):
    data = pickle.dumps(value, proto)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    ROWS.append((name, "ok", want))


def hostile(name, data, code, offset):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    ROWS.append((name, "error", "%d\t%d" % (code, offset)))


made("scalars-p0.pkl", [None, True, -1, 2**70, 1.5, "h\u00e9\U0001f600", b"\x00\xff"], 0,
     "[None, True, -1, 1180591620717411303424, 1.5, 'h\u00e9\U0001f600', b'\\x00\\xff']")
made("scalars-p2.pkl", [None, False, 255, -2**64, float("-inf"), "", b""], 2,
     "[None, False, 255, -18446744073709551616, -inf, '', b'']")
made("scalars-p5.pkl", [2**63, -0.0, 1 + 2j, bytearray(b"ab"), "x" * 3], 5,
     "[9223372036854775808, -0.0, (1+2j), builtins.bytearray(b'ab'), 'xxx']")
made("containers-p1.pkl", {"t": (1, (2,)), "l": [[], {}], 3: {4: 5}}, 1,
     "{'t': (1, (2,)), 'l': [[], {}], 3: {4: 5}}")
made("sets-p3.pkl", [{1}, frozenset([2])], 3, "[builtins.set([1]), builtins.frozenset([2])]")
made("sets-p4.pkl", [{1}, frozenset([2])], 4, "[builtins.set([1]), builtins.frozenset([2])]")
made("recursive-p2.pkl", recursive(), 2, "[1, [...]]")
made("shared-p4.pkl", shared(), 4, "[[0], [0], ([0],)]")
made("instance-p0.pkl", Point(1, 2), 0, "golden.Point(state={'x': 1, 'y': 2})")
made("instance-p4.pkl", Point(1, 2), 4, "golden.Point(state={'x': 1, 'y': 2})")
made("namedtuple-p2.pkl", Pair(1, "b"), 2, "copyreg.__newobj__(pickle.global('golden', 'Pair'), 1, 'b')")
made("ordereddict-p4.pkl", collections.OrderedDict(a=1), 4,
     "collections.OrderedDict(state=pickle.reduce_state(None, None, [('a', 1)]))")
made("os-system-p0.pkl", Evil(), 0, "posix.system('echo pwned')")
made("os-system-p5.pkl", Evil(), 5, "posix.system('echo pwned')")

hostile("huge-binunicode.pkl", b"X\xff\xff\xff\xffabc.", E_TRUNCATED, 0)
hostile("huge-long4.pkl", b"\x80\x02\x8b\xff\xff\xff\x7f\x01.", E_TRUNCATED, 2)
hostile("underflow.pkl", b"\x80\x02K\x01a.", E_CORRUPT, 4)
hostile("no-mark.pkl", b"\x80\x02K\x01K\x02e.", E_CORRUPT, 6)
hostile("missing-memo.pkl", b"\x80\x02]q\x00h\x01.", E_CORRUPT, 5)
hostile("left-on-stack.pkl", b"\x80\x02K\x01K\x02.", E_CORRUPT, 6)
hostile("no-stop.pkl", b"\x80\x02K\x01", E_TRUNCATED, 4)
hostile("surrogate.pkl", b"\x80\x04\x8c\x03\xed\xb0\x80.", E_UTF8, 4)
hostile("build-on-list.pkl", b"\x80\x02]}b.", E_CORRUPT, 4)
hostile("next-buffer.pkl", b"\x80\x05\x97.", E_UNSUPPORTED, 2)
hostile("protocol-9.pkl", b"\x80\x09N.", E_VERSION, 0)
hostile("deep-lists.pkl", b"]" * 2000 + b"a" * 1999 + b".", E_DEPTH, 2000 + 999)
hostile("frame-overrun.pkl", b"\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00K\x01.", E_CORRUPT, 11)

with open(os.path.join(HERE, "expected.tsv"), "w", encoding="utf-8") as f:
    f.write("# file\tok + the repr brine prints, or error + code + offset (gen_golden.py writes this)\n")
    for row in ROWS:
        f.write("\t".join(row) + "\n")
