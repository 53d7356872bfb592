"""pickle_audit.py: brine's pickle audit and allow-lists against CPython.

Each payload family and each hiding technique of issue #19 is a pickle
built here, and items on a model (APPEND(S), SETITEM(S)) are also pickles
that CPython's pickler writes of real objects (collections' types, and
subclasses whose overridden methods the load calls); the test
  1. derives the golden audit from pickletools.genops at test time (the
     offset and opcode of every import, call, BUILD, items, PERSID and EXT),
     completed with the case's expected names and whether each reaches the
     value, and compares `brine audit --json` with it;
  2. loads the pickle in CPython in a sandboxed subprocess (a temporary
     directory holding a harmless module, auditprobe, whose functions only
     create a marker file there) and checks that the family really runs
     (the marker appears) or really does not (EXT, PERSID fail in a fresh
     interpreter), so the audit is checked against what Python does;
  3. checks that `brine show` and `brine check` name every action the value
     does not show (and `check --strict` fails), and say nothing for a
     pickle that names no global;
  4. checks the allow-lists: allow= refuses an unlisted global with its
     offset, patterns stay within one component, writing refuses unlisted
     types by default and names the allow= option.
"""
import json
import os
import pickle
import pickletools
import shutil
import subprocess
import sys
import tempfile

BRINE = os.environ["BRINE"]
DATA = os.environ.get("BRINE_TEST_DATA", "")
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("pickle_audit: FAIL: " + msg)


def brine(args, data=None):
    p = subprocess.run([BRINE] + args, input=data, capture_output=True)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


PROBE = '''
"""auditprobe: a module the test payloads call; each call only creates a marker."""
def touch(path):
    open(path, "w").close()
    return 0

class Quiet:
    pass

class PList(list):
    """Python's unpickler calls append and extend of a list subclass."""
    def append(self, x):
        touch(x)
        list.append(self, x)
    def extend(self, xs):
        for x in xs:
            touch(x)
        list.extend(self, xs)

class PDict(dict):
    def __setitem__(self, k, v):
        touch(v)
        dict.__setitem__(self, k, v)

class PSet(set):
    """_pickle adds to a set subclass with PySet_Add: add is not called."""
    def add(self, x):
        touch(x)
        set.add(self, x)

class PBag:
    """ADDITEMS on an object that is no set calls its add."""
    def add(self, x):
        touch(x)

class Probe:
    def __new__(cls, path=None, **kw):
        if path:
            touch(path)
        return object.__new__(cls)
    def __setstate__(self, state):
        touch(state)
'''


def u(s):
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


def sg(mod, name):
    return u(mod) + u(name) + b"\x93"


# An items opcode on brine's own list, dict or set, which calls no method
# of the stream's choosing: pickletools lists it, the audit does not.
PLAIN = None


def cases(marker):
    """(name, pickle bytes, expected [(action, name, reaches) or PLAIN], runs):
    runs is True when CPython's load touches the marker, False when it
    fails, None when it loads without touching it."""
    m = u(marker)
    touch = sg("auditprobe", "touch")
    call = touch + m + b"\x85R"  # auditprobe.touch(marker)
    P = b"\x80\x04"
    T = [("import", "auditprobe.touch", 0), ("call", "auditprobe.touch", 0)]
    Tr = [("import", "auditprobe.touch", 1), ("call", "auditprobe.touch", 1)]
    q = marker.encode()
    yield "global_reduce", b"cauditprobe\ntouch\n(S'" + q + b"'\ntR.", Tr, True
    yield "stack_global", P + call + b".", Tr, True
    yield "inst", b"(S'" + q + b"'\niauditprobe\ntouch\n.", Tr, True
    yield "obj", b"(cauditprobe\ntouch\nS'" + q + b"'\no.", Tr, True
    yield ("newobj_ex", P + sg("auditprobe", "Probe") + b")}" + u("path") + m + b"s\x92.",
           [("import", "auditprobe.Probe", 1), PLAIN, ("call", "auditprobe.Probe", 1)], True)
    yield ("build_setstate", P + sg("auditprobe", "Probe") + b")\x81" + m + b"b.",
           [("import", "auditprobe.Probe", 1), ("call", "auditprobe.Probe", 1), ("build", "auditprobe.Probe", 1)], True)
    yield "ext1", P + b"\x82\x07.", [("ext", "7", 1)], False
    yield "ext2", P + b"\x83\x00\x01.", [("ext", "256", 1)], False
    yield "ext4", P + b"\x84\x00\x00\x01\x00.", [("ext", "65536", 1)], False
    yield "persid", b"Pabc\n.", [("persid", "abc", 1)], False
    yield "binpersid", P + u("abc") + b"Q.", [("persid", "abc", 1)], False
    # brine refuses a model inside a dict key (unhashable); Python runs the
    # call first, and the audit lists it before the error.
    yield "call_in_dict_key", P + b"}" + call + b"\x85K\x01s.", T + [PLAIN], True
    yield "call_in_tuple_key", P + b"}" + call + b"K\x01\x86K\x02s.", T + [PLAIN], True
    # getattr(Probe, '__setstate__')(Quiet(), marker): a callable that a call returned.
    yield ("getattr_chain", P + sg("builtins", "getattr") + b"cauditprobe\nProbe\n" + u("__setstate__") + b"\x86R" +
           b"cauditprobe\nQuiet\n)\x81" + m + b"\x86R.",
           [("import", "builtins.getattr", 1), ("import", "auditprobe.Probe", 1), ("call", "builtins.getattr", 1),
            ("import", "auditprobe.Quiet", 1), ("call", "auditprobe.Quiet", 1),
            ("call", "result of builtins.getattr at offset {2}", 1)], True)
    # The seven hiding techniques: the value shown holds none of the call.
    yield "hide_pop", P + call + b"0N.", T, True
    yield "hide_setitem", P + b"}" + u("k") + call + b"s" + u("k") + b"K\x01s.", T + [PLAIN, PLAIN], True
    yield "hide_dict_dupkey", b"(S'k'\n" + b"cauditprobe\ntouch\n(S'" + q + b"'\ntRS'k'\nI1\nd.", T, True
    yield "hide_setitems_dupkey", P + b"}(" + u("k") + call + u("k") + b"K\x01u.", T + [PLAIN], True
    yield "hide_memo", P + call + b"\x940N.", T, True
    yield "hide_pop_mark", P + b"(" + call + b"1N.", T, True
    yield ("hide_double_build", P + sg("argparse", "Namespace") + b")\x81}" + u("__setstate__") + touch + b"sb" + m +
           b"b.", [("import", "argparse.Namespace", 1), ("call", "argparse.Namespace", 1),
                   ("import", "auditprobe.touch", 0), PLAIN, ("build", "argparse.Namespace", 0),
                   ("build", "argparse.Namespace", 1)], True)
    # Items on a model that CPython's pickler cannot write: ADDITEMS on an
    # object (its add runs) and on a set subclass (_pickle adds without
    # add; brine refuses both and lists the items before the error), and
    # APPENDS on a list subclass whose result is popped.
    yield ("additems_object", P + sg("auditprobe", "PBag") + b")\x81(" + m + b"\x90.",
           [("import", "auditprobe.PBag", 0), ("call", "auditprobe.PBag", 0), ("items", "auditprobe.PBag", 0)], True)
    yield ("additems_set_subclass", P + sg("auditprobe", "PSet") + b")\x81(" + m + b"\x90.",
           [("import", "auditprobe.PSet", 0), ("call", "auditprobe.PSet", 0), ("items", "auditprobe.PSet", 0)], None)
    yield ("hide_appends_pop", P + sg("auditprobe", "PList") + b")\x81(" + m + b"e0N.",
           [("import", "auditprobe.PList", 0), ("call", "auditprobe.PList", 0), ("items", "auditprobe.PList", 0)], True)


def pickled_cases(marker):
    """Items on a model as CPython's own pickler writes them (protocols 2
    and 4: GLOBAL and STACK_GLOBAL), from real objects: the collections
    types, and auditprobe's subclasses whose overridden methods the load
    calls. Same form as cases()."""
    import collections
    import auditprobe
    def model(name, *more):
        return [("import", name, 1)] + list(more) + [("call", name, 1), ("items", name, 1)]
    objects = [
        ("deque_append", collections.deque([marker]), model("collections.deque"), None),
        ("deque_appends", collections.deque([marker, "x"], maxlen=5), model("collections.deque"), None),
        ("ordereddict_setitems", collections.OrderedDict(a=marker, b=2), model("collections.OrderedDict"), None),
        ("defaultdict_setitem", collections.defaultdict(int, a=1),
         model("collections.defaultdict", ("import", "builtins.int", 1)), None),
        ("list_subclass_append", auditprobe.PList([marker]), model("auditprobe.PList"), True),
        ("list_subclass_appends", auditprobe.PList([marker, marker]), model("auditprobe.PList"), True),
        ("dict_subclass_setitem", auditprobe.PDict(a=marker), model("auditprobe.PDict"), True),
        ("dict_subclass_setitems", auditprobe.PDict(a=marker, b=marker), model("auditprobe.PDict"), True),
        # A set subclass reduces to cls([items]): an APPEND on brine's own
        # list, then the call; no method of the set runs.
        ("set_subclass", auditprobe.PSet([marker]),
         [("import", "auditprobe.PSet", 1), PLAIN, ("call", "auditprobe.PSet", 1)], None),
    ]
    for name, obj, expected, runs in objects:
        for protocol in (2, 4):
            yield "%s_p%d" % (name, protocol), pickle.dumps(obj, protocol=protocol), expected, runs


AUDITED = {"GLOBAL": "import", "STACK_GLOBAL": "import", "REDUCE": "call", "NEWOBJ": "call", "NEWOBJ_EX": "call",
           "OBJ": "call", "BUILD": "build", "PERSID": "persid", "BINPERSID": "persid", "EXT1": "ext", "EXT2": "ext",
           "EXT4": "ext", "APPEND": "items", "APPENDS": "items", "SETITEM": "items", "SETITEMS": "items",
           "ADDITEMS": "items"}


def golden(data, expected):
    """The offsets and opcodes pickletools finds, with the case's names;
    a PLAIN items opcode is checked for its place and left out."""
    ops = []
    for op, arg, pos in pickletools.genops(data):
        if op.name == "INST":
            ops += [(pos, "INST", "import"), (pos, "INST", "call")]
        elif op.name in AUDITED:
            ops.append((pos, op.name, AUDITED[op.name]))
    if len(ops) != len(expected):
        return None
    out = []
    offsets = [pos for pos, _, _ in ops]
    for (pos, opname, action), e in zip(ops, expected):
        if e is PLAIN:
            if action != "items":
                return None
            continue
        eaction, name, reaches = e
        if action != eaction:
            return None
        out.append({"offset": pos, "opcode": opname, "action": action, "name": name.format(*offsets),
                    "reaches": bool(reaches)})
    return out


def sandbox_load(tmp, path):
    """pickle.load in a fresh CPython whose only extra module is auditprobe."""
    code = "import pickle,sys; sys.path.insert(0, %r); pickle.load(open(%r, 'rb'))" % (tmp, path)
    p = subprocess.run([sys.executable, "-S", "-c", code], cwd=tmp, capture_output=True,
                       env={"PATH": "/usr/bin:/bin"}, timeout=60)
    return p.returncode


def main():
    tmp = tempfile.mkdtemp(prefix="brine-audit-")
    try:
        with open(os.path.join(tmp, "auditprobe.py"), "w") as f:
            f.write(PROBE)
        marker = os.path.join(tmp, "marker")
        sys.path.insert(0, tmp)
        for name, data, expected, runs in list(cases(marker)) + list(pickled_cases(marker)):
            path = os.path.join(tmp, name + ".pkl")
            with open(path, "wb") as f:
                f.write(data)
            # 1. The golden audit.
            want = golden(data, expected)
            if want is None:
                fail("%s: the case's expected actions do not match pickletools' opcodes" % name)
                continue
            rc, out, err = brine(["audit", "--json", path])
            try:
                got = json.loads(out)
            except ValueError:
                fail("%s: brine audit --json printed no JSON (rc %d): %s %s" % (name, rc, out, err))
                continue
            if got["actions"] != want:
                fail("%s: audit\n  got  %s\n  want %s" % (name, got["actions"], want))
            # 2. What CPython does with it.
            if os.path.exists(marker):
                os.unlink(marker)
            rc = sandbox_load(tmp, path)
            ran = os.path.exists(marker)
            if ran != bool(runs):
                fail("%s: CPython %s the payload (rc %d)" % (name, "ran" if ran else "did not run", rc))
            if runs is False and rc == 0:
                fail("%s: CPython loaded it without the error a fresh interpreter gives" % name)
            if runs is not False and rc != 0:
                fail("%s: CPython failed to load it (rc %d)" % (name, rc))
            # 3. show and check name what the value does not show.
            hidden = [a for a in want if not a["reaches"]]
            for cmd in (["show"], ["check"]):
                rc, out, err = brine(cmd + [path])
                for a in hidden:
                    line = "offset %d: %s %s (%s)" % (a["offset"], a["action"], a["name"], a["opcode"])
                    if line not in err:
                        fail("%s: brine %s does not name '%s' on stderr: %s" % (name, cmd[0], line, err))
                if not hidden and "would also run" in err:
                    fail("%s: brine %s lists actions the value shows: %s" % (name, cmd[0], err))
            rc, out, err = brine(["check", "--strict", path])
            if (rc != 0) != bool(hidden) and got["status"] == "ok":
                fail("%s: brine check --strict exits %d with %d hidden actions" % (name, rc, len(hidden)))
            if name.startswith("hide_"):
                print("pickle_audit: %s:\n%s" % (name, brine(["audit", path])[1]))
        plain = os.path.join(tmp, "plain.pkl")
        with open(plain, "wb") as f:
            f.write(pickle.dumps({"a": [1, 2.5, b"x", (None, True)]}, protocol=2))
        rc, out, err = brine(["check", "--strict", plain])
        if rc != 0 or err:
            fail("a pickle without globals: check --strict exits %d, stderr %r" % (rc, err))
        allow_lists(tmp, marker)
    finally:
        shutil.rmtree(tmp)
    if failures:
        print("pickle_audit: %d failure(s)" % failures)
        return 1
    print("pickle_audit: ok")
    return 0


def allow_lists(tmp, marker):
    evil = os.path.join(tmp, "evil.pkl")
    with open(evil, "wb") as f:
        f.write(b"\x80\x04" + b"\x8c\x05posix\x8c\x06system\x93" + b"\x8c\x04true\x85R.")
    # Reading: refused with the name and the offset.
    rc, out, err = brine(["show", "-I", "allow=safe", evil])
    if rc != 1 or "STACK_GLOBAL at offset 17: global 'posix.system' is not allowed" not in err:
        fail("allow=safe does not refuse posix.system at offset 17: rc %d %s" % (rc, err))
    rc, out, err = brine(["show", "-I", "allow=posix.system", evil])
    if rc != 0:
        fail("allow=posix.system refuses it: %s" % err)
    rc, out, err = brine(["show", "-I", "allow=posix.*", evil])
    if rc != 0:
        fail("allow=posix.* refuses posix.system: %s" % err)
    deep = os.path.join(tmp, "deep.pkl")
    with open(deep, "wb") as f:
        f.write(b"\x80\x04" + sg("sklearn.utils._testing", "assert_run_python_script") + b".")
    rc, out, err = brine(["check", "-I", "allow=sklearn.*", "-I", "allow=sklearn.utils.*", deep])
    if rc != 1 or "sklearn.utils._testing.assert_run_python_script' is not allowed" not in out:
        fail("a * pattern crosses a dotted component: rc %d %s" % (rc, out))
    rc, out, err = brine(["check", "-I", "allow=sklearn", deep])
    if rc != 1:
        fail("the sklearn preset admits sklearn.utils._testing: %s" % out)
    rc, out, err = brine(["check", "-I", "allow=bogus", deep])
    if rc != 2 or "neither module.name nor a preset" not in out + err:
        fail("allow=bogus is not refused as an option: rc %d %s %s" % (rc, out, err))
    # A refusal leaves no value: the notice does not call the allowed
    # actions before it hidden (the error names the refused global); a
    # stream that fails otherwise still lists what Python would run first.
    mixed = os.path.join(tmp, "mixed.pkl")
    data = b"\x80\x04" + sg("collections", "OrderedDict") + b")R0" + sg("posix", "system") + u("true") + b"\x85R."
    with open(mixed, "wb") as f:
        f.write(data)
    for cmd in ("show", "check"):
        rc, out, err = brine([cmd, "-I", "allow=safe", mixed])
        if rc != 1 or "STACK_GLOBAL at offset 47: global 'posix.system' is not allowed" not in out + err:
            fail("allow=safe does not refuse posix.system in %s: rc %d %s %s" % (cmd, rc, out, err))
        if "would" in err or "offset 28" in err:
            fail("%s lists the allowed actions before an allow= refusal: %s" % (cmd, err))
    trunc = os.path.join(tmp, "trunc.pkl")
    with open(trunc, "wb") as f:
        f.write(data[:-1])
    rc, out, err = brine(["show", trunc])
    if (rc != 1 or "would run this before the error" not in err or
            "offset 28: import collections.OrderedDict (STACK_GLOBAL)" not in err or
            "offset 55: call posix.system (REDUCE)" not in err):
        fail("a truncated pickle's notice: rc %d %s" % (rc, err))
    # audit takes the reader's -I options, as its synopsis says.
    rc, out, err = brine(["audit", "-I", "allow=safe", mixed])
    if rc != 1 or "global 'posix.system' is not allowed" not in out:
        fail("brine audit -I allow=safe: rc %d %s %s" % (rc, out, err))
    rc, out, err = brine(["audit", "--json", "-I", "allow=bogus", mixed])
    if rc != 2 or "neither module.name nor a preset" not in err or out:
        fail("brine audit -I allow=bogus: rc %d %s %s" % (rc, out, err))
    # --json prints its object also for a file that cannot be opened.
    missing = os.path.join(tmp, "missing.pkl")
    rc, out, err = brine(["audit", "--json", missing])
    try:
        got = json.loads(out)
    except ValueError:
        got = None
    if rc != 1 or not got or got["file"] != missing or got["format"] is not None or got["actions"] != [] or \
            got["status"] != "error" or got["error"]["message"] != "No such file or directory" or \
            got["error"]["offset"] is not None:
        fail("brine audit --json of a missing file: rc %d %r %r" % (rc, out, err))
    # Writing: unlisted types are refused by default, with the way out.
    copy = os.path.join(tmp, "copy.pkl")
    rc, out, err = brine(["convert", evil, "-o", copy])
    if rc != 1 or "would import 'posix.system', which is not allowed" not in err or os.path.exists(copy):
        fail("brine convert evil.pkl -o copy.pkl is not refused: rc %d %s" % (rc, err))
    env = b'{"$brine":1,"value":{"$model":"posix.system","args":["touch %s"],"state":null}}' % marker.encode()
    rc, out, err = brine(["convert", "-f", "json", "-t", "pickle", "-o", copy], env)
    if rc != 1 or "allow=posix.system" not in err or os.path.exists(copy):
        fail("a JSON posix.system model converts to pickle: rc %d %s" % (rc, err))
    rc, out, err = brine(["convert", "-f", "json", "-t", "pickle", "-O", "allow=collections.OrderedDict"],
                         b'{"$brine":1,"value":{"$model":"collections.OrderedDict","args":[],"state":null}}')
    if rc != 0:
        fail("writing a safe type fails: %s" % err)
    if DATA:
        model = os.path.join(DATA, "sklearn-tree", "model.pkl")
        rc, out, err = brine(["convert", model, "-o", copy])
        if rc != 1 or "sklearn.tree._classes.DecisionTreeClassifier" not in err:
            fail("a sklearn pickle converts without allow=: rc %d %s" % (rc, err))
        rc, out, err = brine(["convert", "-O", "allow=sklearn", model, "-o", copy])
        if rc != 0:
            fail("a sklearn pickle does not convert with allow=sklearn: %s" % err)
        rc, out, err = brine(["check", "--strict", "-I", "allow=sklearn", model])
        if rc != 0 or err:
            fail("the sklearn pickle reads with a notice or fails under allow=sklearn: %s %s" % (out, err))


if __name__ == "__main__":
    sys.exit(main())
