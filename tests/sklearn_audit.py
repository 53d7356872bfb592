"""sklearn_audit.py: issue #19's own case, a real scikit-learn tree with one
extra attribute whose value is an os.system(...) call, against CPython and
brine.

The tree is fitted here with Debian's scikit-learn (as
examples/sklearn-tree/train.py does) and pickled by CPython's pickler; the
tampering splices the opcodes of `state['evil'] = os.system('touch MARKER')`
before the estimator's final BUILD, as an attacker editing the file would.
Then:
  1. CPython loads the tampered pickle, which runs the command (the marker
     appears) and still predicts: the threat is real;
  2. `brine audit --json` lists the import and the call at the offsets
     pickletools gives, reaching the value; `brine show` prints the call in
     the value (the attribute holds it), and a variant whose call is
     overwritten by a second SETITEM gets the notice from show and check,
     and fails check --strict;
  3. the example predictor (examples/sklearn-tree, which reads with
     allow=sklearn) predicts the clean pickle as scikit-learn does and
     refuses both tampered ones, naming os.system and its offset, as
     `brine check -I allow=sklearn` does (without listing the allowed
     actions before it); nothing runs.
Skips (77) without numpy and scikit-learn.
"""
import csv
import json
import os
import pickle
import pickletools
import shutil
import subprocess
import sys
import tempfile

BRINE = os.environ["BRINE"]
SKLEARN_TREE = os.environ["SKLEARN_TREE"]
DATA = os.environ["BRINE_TEST_DATA"]
failures = 0

try:
    import numpy as np
    from sklearn.model_selection import train_test_split
    from sklearn.tree import DecisionTreeClassifier
except ImportError as e:
    print("sklearn_audit: SKIP: %s (apt-get install python3-sklearn)" % e)
    sys.exit(77)


def fail(msg):
    global failures
    failures += 1
    print("sklearn_audit: FAIL: " + msg)


def run(args, data=None):
    p = subprocess.run(args, input=data, capture_output=True)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def u(s):
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


def fit():
    with open(os.path.join(DATA, "balance-scale.data"), newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    Y = np.array([r[0] for r in rows], dtype=object)
    X = np.array([[int(v) for v in r[1:5]] for r in rows], dtype=np.int64)
    X_train, X_test, y_train, y_test = train_test_split(X, Y, test_size=0.3, random_state=100)
    clf = DecisionTreeClassifier(criterion="gini", random_state=100, max_depth=3, min_samples_leaf=5)
    clf.fit(X_train, y_train)
    return clf, X_test


def splice(data, payload):
    """data with payload inserted before its last opcode but STOP, which
    must be the estimator's BUILD (the state dict is then on top), and the
    protocol 4 frame holding that place grown to hold the payload."""
    ops = list(pickletools.genops(data))
    assert ops[-1][0].name == "STOP" and ops[-2][0].name == "BUILD", [op.name for op, _, _ in ops[-3:]]
    at = ops[-2][2]
    frames = [(pos, arg) for op, arg, pos in ops if op.name == "FRAME" and pos < at]
    if frames:
        pos, size = frames[-1]
        assert pos + 9 + size > at
        data = data[:pos + 1] + (size + len(payload)).to_bytes(8, "little") + data[pos + 9:]
    return data[:at] + payload + data[at:]


def golden_calls(data):
    """(offset, opcode) of each os.system import and call in data."""
    out, strings = [], []
    for op, arg, pos in pickletools.genops(data):
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE"):
            strings.append(arg)
        elif op.name == "STACK_GLOBAL" and strings[-2:] == ["os", "system"]:
            out.append(pos)
        elif op.name == "REDUCE" and out and len(out) % 2 == 1:
            out.append(pos)
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="brine-skaudit-")
    try:
        marker = os.path.join(tmp, "MARKER")
        clf, X_test = fit()
        clean = pickle.dumps(clf, protocol=4)
        call = b"\x8c\x02os\x8c\x06system\x93" + u("touch " + marker) + b"\x85R"
        shown = splice(clean, u("evil") + call + b"s")
        hidden = splice(clean, u("evil") + call + b"s" + u("evil") + b"Ns")
        paths = {}
        for name, data in (("clean", clean), ("shown", shown), ("hidden", hidden)):
            paths[name] = os.path.join(tmp, name + ".pkl")
            with open(paths[name], "wb") as f:
                f.write(data)
        # 1. CPython runs the command and still predicts.
        code = ("import pickle,sys; m = pickle.load(open(%r, 'rb')); print(len(m.predict([[1, 2, 3, 4]])))"
                % paths["shown"])
        rc, out, err = run([sys.executable, "-c", code])
        if rc != 0 or out.strip() != "1" or not os.path.exists(marker):
            fail("CPython did not load, predict and run the tampered tree: rc %d %s %s" % (rc, out, err))
        if os.path.exists(marker):
            os.unlink(marker)

        # 2. The audit lists the call, show prints it, the hidden one gets the notice.
        for name in ("shown", "hidden"):
            with open(paths[name], "rb") as f:
                want = golden_calls(f.read())
            if len(want) != 2:
                fail("%s: pickletools finds %r, not one import and one call" % (name, want))
                continue
            rc, out, err = run([BRINE, "audit", "--json", paths[name]])
            try:
                got = json.loads(out)
            except ValueError:
                fail("%s: brine audit --json printed no JSON (rc %d): %s" % (name, rc, err))
                continue
            reaches = name == "shown"
            for offset, opcode, action in ((want[0], "STACK_GLOBAL", "import"), (want[1], "REDUCE", "call")):
                entry = {"offset": offset, "opcode": opcode, "action": action, "name": "os.system",
                         "reaches": reaches}
                if entry not in got["actions"]:
                    fail("%s: the audit does not list %s: %s" % (name, entry, got["actions"]))
            hidden_count = sum(1 for a in got["actions"] if not a["reaches"])
            if rc != 0 or got["status"] != "ok" or hidden_count != (0 if reaches else 2):
                fail("%s: audit rc %d, status %s, %d hidden" % (name, rc, got["status"], hidden_count))
            for cmd in ("show", "check"):
                rc, out, err = run([BRINE, cmd, paths[name]])
                lines = ["offset %d: import os.system (STACK_GLOBAL)" % want[0],
                         "offset %d: call os.system (REDUCE)" % want[1]]
                if reaches and ("would also run" in err or rc != 0):
                    fail("%s: brine %s gives a notice for a call the value shows: %s" % (name, cmd, err))
                if not reaches and not all(line in err for line in lines):
                    fail("%s: brine %s does not name %s: %s" % (name, cmd, lines, err))
            rc, out, err = run([BRINE, "show", paths[name]])
            if ("'evil': os.system('touch " in out) != reaches:
                fail("%s: brine show %s the call in the value: %s" % (name, "does not show" if reaches else "shows",
                                                                      out[-300:]))
            rc, out, err = run([BRINE, "check", "--strict", paths[name]])
            if (rc == 0) != reaches:
                fail("%s: check --strict exits %d" % (name, rc))

        # 3. The predictor reads with allow=sklearn: clean predicts, tampered is refused.
        features = "".join("%d,%d,%d,%d\n" % tuple(x) for x in X_test).encode()
        rc, out, err = run([SKLEARN_TREE, paths["clean"]], features)
        want = [str(p) for p in clf.predict(X_test)]
        if rc != 0 or out.splitlines()[1:] != want:
            fail("the predictor does not predict the fresh tree as scikit-learn: rc %d %s %s" % (rc, out[:200], err))
        for name in ("shown", "hidden"):
            rc, out, err = run([SKLEARN_TREE, paths[name]], features)
            at = golden_calls(open(paths[name], "rb").read())[0]
            msg = "STACK_GLOBAL at offset %d: global 'os.system' is not allowed" % at
            if rc != 1 or msg not in err:
                fail("the predictor does not refuse the %s tampered tree: rc %d %s" % (name, rc, err))
            rc, out, err = run([BRINE, "check", "-I", "allow=sklearn", paths[name]])
            if rc != 1 or msg not in out:
                fail("check -I allow=sklearn does not refuse %s: rc %d %s" % (name, rc, out))
            if err:
                fail("check -I allow=sklearn lists actions after the refusal of %s: %s" % (name, err))
        rc, out, err = run([BRINE, "check", "--strict", "-I", "allow=sklearn", paths["clean"]])
        if rc != 0 or err:
            fail("the fresh tree does not pass check --strict -I allow=sklearn: rc %d %s %s" % (rc, out, err))
        if os.path.exists(marker):
            fail("brine or the predictor ran the command")
    finally:
        shutil.rmtree(tmp)
    if failures:
        print("sklearn_audit: %d failure(s)" % failures)
        return 1
    print("sklearn_audit: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
