#!/bin/sh
# test_decision_tree.sh: the decision-tree example end to end. Trains once,
# saves the tree in every format, converts each file to every other format
# with the library (brine convert, i.e. brine_transcode), then runs predict
# on every file in a fresh process and asserts identical predictions and
# accuracy. Also: the tree matches an independent Python CART (when python3
# is there), a tampered model is refused with the path of the bad value, and
# a model of another type is refused without running anything.
set -eu
: "${DECISION_TREE:?}" "${BRINE:?}" "${BRINE_TEST_DATA:?}"

data=$BRINE_TEST_DATA/balance-scale.data
work=$(mktemp -d "${TMPDIR:-/tmp}/brine-dt.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# The data set is the UCI file, byte for byte.
echo "5611187ef7345d807aa8ae22615945ade52a190537c0b1434bd44c3e877c5bb4  $data" | sha256sum -c --quiet - ||
    fail "balance-scale.data is not the UCI file"

# Train once, save in the three formats.
"$DECISION_TREE" train "$data" -o tree.brn -o tree.json -o tree.msgpack --test-rows test.csv >train.out ||
    fail "train failed"
grep -qx 'read 625 rows from .*: 4 features, 3 classes (B, L, R)' train.out || fail "train read: $(cat train.out)"
grep -qx 'split with seed 100: 437 rows to train, 188 to test' train.out || fail "train split: $(cat train.out)"
accuracy=$(sed -n 's/^test accuracy: //p' train.out)
[ "$accuracy" = "68.62% (129 of 188)" ] || fail "train accuracy is '$accuracy'"
[ "$(wc -l <test.csv)" -eq 188 ] || fail "test.csv has $(wc -l <test.csv) rows"

# The C tree is the one an independent implementation grows.
if [ -n "${PYTHON3:-}" ]; then
    oracle=$("$PYTHON3" "${BRINE_TEST_SRCDIR:-.}/decision_tree_oracle.py" "$data" tree.json 3 5 100) ||
        fail "the Python CART disagrees: $oracle"
    [ "$oracle" = "test accuracy: $accuracy" ] || fail "python says '$oracle', C says '$accuracy'"
fi

# Convert every file to every other format with the library.
for a in brn json msgpack; do
    for b in brn json msgpack; do
        [ "$a" = "$b" ] && continue
        "$BRINE" convert -q "tree.$a" -o "conv-$a.$b" || fail "convert tree.$a -> conv-$a.$b"
    done
done
# Every file holds the same value: written as JSON, each gives tree.json's
# bytes. (Native bytes may differ: a streamed conversion writes containers
# whose count the JSON decoder does not know in advance.)
for f in tree.brn tree.msgpack conv-*; do
    "$BRINE" convert -q -t json "$f" -o "$f.as.json" || fail "convert $f to json"
    # The command ends JSON with a newline; the library's encoder does not.
    { cat tree.json && echo; } | cmp -s - "$f.as.json" || fail "$f does not hold the value of tree.json"
done

# Predict with each file in its own process: same predictions, same accuracy.
"$DECISION_TREE" predict tree.brn test.csv >expect.out || fail "predict tree.brn"
[ "$(wc -l <expect.out)" -eq 189 ] || fail "predict printed $(wc -l <expect.out) lines, not 188 + 1"
[ "$(tail -n 1 expect.out)" = "accuracy: $accuracy" ] || fail "predict says '$(tail -n 1 expect.out)'"
for f in tree.json tree.msgpack conv-*; do
    "$DECISION_TREE" predict "$f" test.csv >got.out || fail "predict $f"
    cmp -s expect.out got.out || fail "predictions from $f differ"
done
# Unlabelled rows from standard input: predictions only.
cut -d, -f2- test.csv | "$DECISION_TREE" predict tree.msgpack >unlabelled.out || fail "predict from stdin"
head -n 188 expect.out | cmp -s - unlabelled.out || fail "unlabelled predictions differ"

# brine shows the tree to a reader.
"$BRINE" show tree.json >show.out || fail "brine show"
grep -q "^example.DecisionTree(1, state={'classes': \['B', 'L', 'R'\], 'features': \['left_weight'" show.out ||
    fail "brine show: $(cat show.out)"
grep -q "'params': {'criterion': 'gini', 'max_depth': 3, 'min_samples_leaf': 5, 'split_seed': 100" show.out ||
    fail "brine show params: $(cat show.out)"

# A tampered tree is refused, with the path of the bad value.
sed 's/"left":\[1,/"left":[0,/' tree.json >loop.json
cmp -s tree.json loop.json && fail "the tampering did not change tree.json"
if "$DECISION_TREE" predict loop.json test.csv >/dev/null 2>err.out; then
    fail "a tree whose root is its own child was accepted"
fi
grep -qx 'decision-tree: loop.json: expected an int from 1 to 14 (at $.state.nodes.left\[0\])' err.out ||
    fail "tampered tree: $(cat err.out)"

# A model of another type: refused before any callback runs.
echo '{"$brine": 1, "value": {"$model": "other.Thing", "args": [1], "state": null}}' >other.json
if "$DECISION_TREE" predict other.json test.csv >/dev/null 2>err.out; then
    fail "a model of another type was accepted"
fi
grep -qx "decision-tree: other.json: expected a model of type 'example.DecisionTree', found a model of type 'other.Thing'" err.out ||
    fail "other type: $(cat err.out)"

# A newer version than the program knows.
sed 's/"args":\[1\]/"args":[2]/' tree.json >v2.json
if "$DECISION_TREE" predict v2.json test.csv >/dev/null 2>err.out; then
    fail "a version 2 tree was accepted"
fi
grep -qx 'decision-tree: v2.json: example.DecisionTree version 2 is newer than version 1, the newest this program reads (at $.args\[0\])' err.out ||
    fail "newer version: $(cat err.out)"

[ "$failures" -eq 0 ] || exit 1
echo "decision tree: train, 3 formats, 6 conversions, 9 predictions agree"
