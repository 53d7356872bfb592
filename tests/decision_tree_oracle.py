#!/usr/bin/env python3
"""decision_tree_oracle.py: an independent Python CART for the decision-tree
example. Re-does the seeded split (splitmix64 Fisher-Yates) and the fit
(Gini, exact fractions) from scratch, compares the tree with the one the C
program saved as JSON, and prints the test accuracy line the C program
prints. Usage: decision_tree_oracle.py DATA MODEL.json MAX_DEPTH MIN_LEAF SEED"""
import json
import sys
from fractions import Fraction

MASK = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def split(n, seed, test_percent=30):
    order, state = list(range(n)), seed
    for i in range(n, 1, -1):
        state, r = splitmix64(state)
        j = r % i
        order[i - 1], order[j] = order[j], order[i - 1]
    return order, (n * test_percent + 99) // 100


def fit(rows, classes, max_depth, min_leaf):
    def counts(rs):
        return [sum(1 for r in rs if r[0] == c) for c in classes]

    def score(rs):  # sum(c_k^2) / n: higher is purer
        return Fraction(sum(c * c for c in counts(rs)), len(rs))

    nodes = [None]
    stack = [(0, rows, 0)]
    while stack:
        idx, rs, depth = stack.pop()
        c, best = counts(rs), None
        if depth < max_depth and len(rs) >= 2 * min_leaf and max(c) != len(rs):
            parent = score(rs)
            for f in range(len(rs[0]) - 1):
                values = sorted(set(r[f + 1] for r in rs))
                for a, b in zip(values, values[1:]):
                    t = (a + b) / 2
                    left = [r for r in rs if r[f + 1] <= t]
                    right = [r for r in rs if r[f + 1] > t]
                    if len(left) < min_leaf or len(right) < min_leaf:
                        continue
                    s = score(left) + score(right)
                    if s > parent and (best is None or s > best[0]):
                        best = (s, f, t, left, right)
        if best is None:
            nodes[idx] = (-1, None, -1, -1, c)
            continue
        child = len(nodes)
        nodes += [None, None]
        nodes[idx] = (best[1], best[2], child, child + 1, c)
        stack.append((child + 1, best[4], depth + 1))
        stack.append((child, best[3], depth + 1))
    return nodes


def main():
    data_path, model_path = sys.argv[1], sys.argv[2]
    max_depth, min_leaf, seed = (int(a) for a in sys.argv[3:6])
    rows = []
    for line in open(data_path):
        if line.strip():
            fields = line.strip().split(",")
            rows.append([fields[0]] + [float(x) for x in fields[1:]])
    classes = sorted(set(r[0] for r in rows))
    order, n_test = split(len(rows), seed)
    test = [rows[i] for i in order[:n_test]]
    train = [rows[i] for i in order[n_test:]]
    nodes = fit(train, classes, max_depth, min_leaf)

    model = json.load(open(model_path))
    if next(iter(model), None) == "$brine":  # brine's envelope (docs/json.md)
        model = model["value"]
    assert model["$model"] == "example.DecisionTree", model["$model"]
    assert model["args"] == [1], model["args"]
    state = model["state"]
    saved = state["nodes"]
    assert state["classes"] == classes, state["classes"]
    assert state["params"]["train_rows"] == len(train)
    expect = {
        "feature": [n[0] for n in nodes],
        "threshold": [n[1] for n in nodes],
        "left": [n[2] for n in nodes],
        "right": [n[3] for n in nodes],
        "counts": [n[4] for n in nodes],
    }
    for key, want in expect.items():
        if saved[key] != want:
            sys.exit("%s differs:\n  C:      %s\n  python: %s" % (key, saved[key], want))

    def predict(x):
        i = 0
        while nodes[i][0] != -1:
            i = nodes[i][2] if x[nodes[i][0] + 1] <= nodes[i][1] else nodes[i][3]
        c = nodes[i][4]
        return classes[c.index(max(c))]

    right = sum(predict(r) == r[0] for r in test)
    print("test accuracy: %.2f%% (%d of %d)" % (100.0 * right / len(test), right, len(test)))


main()
