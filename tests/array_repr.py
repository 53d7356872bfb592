#!/usr/bin/python3
"""array_repr.py: prints numpy's repr() of the arrays of test_array.c's
repr_cases table and string/complex test, in order: the expected texts
stored there (python3-numpy 1.24, Debian 12). Run it with Debian's
/usr/bin/python3 after changing the table, and compare."""
import numpy as np

cases = [
    np.array([1.5, 2.0]),
    np.array([1.5, 2.0, 3.25]),
    np.array([[1, 2], [3, 4]]),
    np.array([True, False, True]),
    np.array([1, 2, 3], dtype=np.int32),
    np.array([0.1, 0.2, 0.3], dtype=np.float32),
    np.arange(2000, dtype=np.float64),
    np.array([1e8, 1.5]),
    np.array([1e-5, 1.0]),
    np.array([np.nan, 1.0, -np.inf]),
    np.array(2.5),
    np.array(7),
    np.array([], dtype=np.float64),
    np.zeros((0, 3)),
    np.array([1.0, 2.0], dtype=">f8"),
    np.arange(30, dtype=np.int64).reshape(5, 6) * 1000,
    np.array([-1.0, 0.0, 12.5]),
    np.array([255, 0], dtype=np.uint8),
    np.arange(2002).reshape(2, 1001),
    np.arange(12) / 7,
    # test_repr_of_strings_and_complex_matches_numpy
    np.array([b"ab", b"c"]),
    np.array(["ab", "c"]),
    np.array([1 + 2j, 3 - 4.5j]),
]
for c in cases:
    print(repr(repr(c)))
