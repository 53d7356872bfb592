"""yaml_interop.py: brine's yaml plugin against PyYAML (SafeLoader/safe_dump).

PyYAML writes values that brine reads and writes back, and PyYAML reads
brine's text again: the values must survive both ways, shared and cyclic
nodes included. Strs that YAML 1.1 reads as something else ('yes', '017',
'1_000', '2001-12-14' ...) must come back as strs from brine's output. The
JSON corpus goes json -> yaml -> json through `brine convert` byte for byte
like json -> json, and PyYAML reads brine's YAML of it as json reads the
JSON. Run by yaml_interop.sh; $BRINE is the brine command.
"""
import glob
import json
import math
import os
import random
import subprocess
import sys
import tempfile

import yaml

BRINE = os.environ.get("BRINE", "brine")
DATA = os.environ.get("BRINE_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
failures = 0
passed = 0


def check(ok, what):
    global failures, passed
    if ok:
        passed += 1
    else:
        failures += 1
        print("FAIL:", what)


def brine(args, data):
    p = subprocess.run([BRINE, "convert"] + args, input=data, capture_output=True)
    if p.returncode:
        raise RuntimeError("brine convert %s: %s" % (" ".join(args), p.stderr.decode()))
    return p.stdout


def same(a, b):
    """Equality that also holds for NaN and tells 0.0 from -0.0."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a.keys()) == list(b.keys()) and all(same(a[k], b[k]) for k in a)
    return a == b


TRICKY = ["yes", "No", "ON", "off", "y", "n", "Y", "true", "False", "null", "~", "", "0o17", "017", "0x1f",
          "1_000", "0b11", "1:20", "190:20:30", ".inf", "-.Inf", ".NaN", "1.5", "-1", "+1", "1e3", "1.0e+3",
          "2001-12-14", "2001-12-14t21:59:43.10-05:00", "=", "<<", ".5", "- x", "a: b", "#", "&a", "*a", "!t",
          "|", ">", "'", '"', "%", "@", "`", "a #b", " lead", "trail ", "multi\nline", "tab\there", "é", "\u2028",
          "\x85", "\x00", "\U0001F600"]

# What PyYAML writes plain because YAML 1.1 reads it as a str, and YAML 1.2
# (brine) reads as a number: 0o17 and 1e3 (docs/yaml.md). And U+0085, which
# PyYAML writes raw in single quotes and cannot read back itself (a 1.1
# line break). brine's own output of them is checked below.
DIVERGE = {"0o17", "1e3", "\x85"}

VALUES = [
    None, True, False, 0, -1, 2**63 - 1, -2**63, 2**64 - 1, 2**64, -2**100, 10**60,
    0.0, -0.0, 1.5, 1e16, 1e-7, 5e-324, 1.7976931348623157e308, float("inf"), float("-inf"), float("nan"),
    "plain", [s for s in TRICKY if s not in DIVERGE], b"\x00\x01\xff", b"",
    {"a": 1, "b": [1, 2, {"c": None}], "d": {}, "e": []},
    {1: "int key", 1.5: "float key", None: "null key", True: "bool key", "yes": "str key"},
    [[[[[]]]]], {"nested": {"deeper": {"deepest": [1, "two", 3.0]}}},
]


def roundtrip(v, flow):
    text = yaml.safe_dump(v, default_flow_style=flow, allow_unicode=True).encode()
    back = brine(["-f", "yaml", "-t", "yaml"], text)
    return yaml.load(back, Loader=Loader), back


for flow in (False, True):
    for v in VALUES:
        try:
            got, text = roundtrip(v, flow)
            check(same(got, v), "safe_dump -> brine -> safe_load: %r gave %r via %r" % (v, got, text))
        except Exception as e:  # noqa: BLE001 - report and go on
            check(False, "%r: %s" % (v, e))

# brine's own output for each tricky str read by PyYAML: a str again.
for s in TRICKY:
    js = json.dumps([s]).encode()
    text = brine(["-f", "json", "-t", "yaml"], js)
    got = yaml.load(text, Loader=Loader)
    check(got == [s], "brine wrote %r as %r, PyYAML read %r" % (s, text, got))

# Floats brine writes read back exactly in PyYAML (a 1.1 reader needs the dot).
rng = random.Random(24)
floats = [rng.uniform(-1e300, 1e300) for _ in range(200)] + [rng.random() * 10 ** rng.randint(-300, 300)
                                                              for _ in range(200)] + [1e16, 1e22, 5e-324, 123.0]
text = brine(["-f", "json", "-t", "yaml", "-O", "flow"], json.dumps(floats).encode())
check(same(yaml.load(text, Loader=Loader), floats), "floats through brine's yaml")

# Shared and cyclic nodes: anchors both ways, identity kept.
shared = [1, 2]
v = {"x": shared, "y": shared}
got, text = roundtrip(v, False)
check(got == v and got["x"] is got["y"] and b"&id001" in text and b"*id001" in text, "shared node: %r" % text)
cyc = []
cyc.append(cyc)
text = brine(["-f", "yaml", "-t", "yaml"], yaml.safe_dump(cyc).encode())
got = yaml.load(text, Loader=Loader)
check(isinstance(got, list) and got[0] is got, "cycle: %r" % text)

# Multi-document streams.
text = brine(["-f", "yaml", "-I", "stream", "-t", "yaml", "-O", "stream"],
             yaml.safe_dump_all([1, {"a": [2]}, "x"]).encode())
check(list(yaml.load_all(text, Loader=Loader)) == [1, {"a": [2]}, "x"], "stream: %r" % text)

# The JSON corpus: json -> yaml -> json exactly, and PyYAML reads the YAML.
files = sorted(glob.glob(os.path.join(DATA, "json", "*.json")))
corpus = os.path.join(DATA, "..", "bench", "corpus")
files += sorted(glob.glob(os.path.join(corpus, "*.json")))
with tempfile.TemporaryDirectory() as tmp:
    for f in files:
        name = os.path.splitext(os.path.basename(f))[0]
        y, j = os.path.join(tmp, name + ".yaml"), os.path.join(tmp, name + ".json")
        subprocess.run([BRINE, "convert", f, "-o", y], check=True)
        subprocess.run([BRINE, "convert", y, "-o", j], check=True)
        direct = brine(["-f", "json", "-t", "json"], open(f, "rb").read())
        check(open(j, "rb").read() == direct, "%s: json -> yaml -> json differs from json -> json" % name)
        with open(f, "rb") as fh:
            want = json.load(fh)
        with open(y, "rb") as fh:
            check(same(yaml.load(fh, Loader=Loader), want), "%s: PyYAML reads brine's YAML differently" % name)

print("yaml_interop: %d passed, %d failed (corpus files: %d)" % (passed, failures, len(files)))
sys.exit(1 if failures else 0)
