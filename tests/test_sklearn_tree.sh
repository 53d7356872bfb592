#!/bin/sh
# test_sklearn_tree.sh: the sklearn-tree example end to end. The C program
# loads the scikit-learn DecisionTreeClassifier that Python pickled
# (data/sklearn-tree/, written by examples/sklearn-tree/train.py: protocol
# 4, protocol 5, and labels as a numpy str array) and must predict every
# test row as scikit-learn did. The pickle converts to readable JSON, which
# predicts the same. Tampered and hostile pickles are refused with a clear
# message naming the bad value, and nothing in a pickle is ever run.
# Skipped (77) only when the pickle plugin is not built.
set -eu
: "${SKLEARN_TREE:?}" "${BRINE:?}" "${BRINE_TEST_DATA:?}"

if ! "$BRINE" formats 2>/dev/null | grep -q '^pickle '; then
    echo "SKIP: 'brine formats' lists no pickle plugin"
    exit 77
fi

d=$BRINE_TEST_DATA/sklearn-tree
work=$(mktemp -d "${TMPDIR:-/tmp}/brine-sk.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
# runs the program, expecting exit status $1; stdout to out, stderr to err
run() {
    want=$1
    shift
    set +e
    "$SKLEARN_TREE" "$@" >out 2>err
    got=$?
    set -e
    [ "$got" -eq "$want" ] || fail "sklearn-tree $* exited with $got, not $want: $(head -c 400 err)"
    # Sanitizer builds exit 1 on a report too: a refusal must be clean.
    ! grep -q 'Sanitizer\|runtime error' err || fail "sklearn-tree $*: $(head -c 400 err)"
}

# scikit-learn's predictions, one per test row, from the checked-in CSV.
[ "$(head -n 1 "$d/test.csv")" = "class,left_weight,left_distance,right_weight,right_distance,sklearn" ] ||
    fail "test.csv header: $(head -n 1 "$d/test.csv")"
tail -n +2 "$d/test.csv" | cut -d, -f6 >sklearn.pred
[ "$(wc -l <sklearn.pred)" -eq 188 ] || fail "test.csv has $(wc -l <sklearn.pred) rows, not 188"

# Each pickle predicts every row as scikit-learn did.
for m in model.pkl model-p5.pkl model-unicode.pkl; do
    run 0 "$d/$m" "$d/test.csv"
    [ "$(head -n 1 out)" = "$d/$m: DecisionTreeClassifier from scikit-learn 1.2.1: 15 nodes, depth 3, 4 features, classes B, L, R" ] ||
        fail "$m summary: $(head -n 1 out)"
    sed -n '2,189p' out | cmp -s - sklearn.pred || fail "$m: predictions differ from scikit-learn's"
    [ "$(sed -n '190p' out)" = "accuracy: 73.40% (138 of 188)" ] || fail "$m accuracy: $(sed -n '190p' out)"
    [ "$(sed -n '191p' out)" = "scikit-learn agrees on 188 of 188 rows" ] || fail "$m agreement: $(sed -n '191p' out)"
    [ "$(wc -l <out)" -eq 191 ] || fail "$m printed $(wc -l <out) lines"
    [ ! -s err ] || fail "$m wrote to stderr: $(cat err)"
    tail -n +2 out >"$m.out"
done

# Unlabelled rows from standard input: the predictions alone.
tail -n +2 "$d/test.csv" | cut -d, -f2-5 >features.csv
"$SKLEARN_TREE" "$d/model.pkl" <features.csv >out || fail "predict from stdin"
tail -n +2 out | cmp -s - sklearn.pred || fail "unlabelled predictions differ"

# A row where scikit-learn said otherwise: reported, and the exit status is 1.
sed '2s/,[BLR]$/,X/' "$d/test.csv" >other.csv
run 1 "$d/model.pkl" other.csv
[ "$(tail -n 1 out)" = "scikit-learn agrees on 187 of 188 rows" ] || fail "disagreement: $(tail -n 1 out)"
grep -qx "sklearn-tree: other.csv:2: predicted $(head -n 1 sklearn.pred), scikit-learn predicted X" err ||
    fail "disagreement message: $(cat err)"

# The pickle as JSON: brine convert reads it, the JSON is readable and
# holds the tree, and the same program predicts the same from it.
"$BRINE" convert -q "$d/model.pkl" -o model.json || fail "brine convert model.pkl model.json"
grep -q '"tree_":{"\$model":"sklearn.tree._tree.Tree",' model.json || fail "model.json has no tree_"
grep -q '"node_count":15,' model.json || fail "model.json has no node_count"
if [ -n "${PYTHON3:-}" ]; then
    "$PYTHON3" -m json.tool model.json >/dev/null || fail "python3 -m json.tool cannot read model.json"
fi
run 0 model.json "$d/test.csv"
tail -n +2 out | cmp -s - model.pkl.out || fail "predictions from model.json differ"
"$BRINE" convert -q "$d/model-p5.pkl" -o model-p5.json || fail "brine convert model-p5.pkl"
grep -q '"\$model":"numpy.core.numeric._frombuffer"' model-p5.json || fail "model-p5.json has no _frombuffer array"

# Tampered pickles: byte 1013 starts the node records (node 0's left_child,
# then right_child, feature, threshold as int64, int64, int64, float64).
tamper() { # FILE OFFSET OCTAL-BYTE
    cp "$d/model.pkl" "$1"
    printf "\\$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
    cmp -s "$d/model.pkl" "$1" && fail "tampering did not change $1"
    return 0
}
nodes='$.state.tree_.state.nodes'
tamper loop.pkl 1013 000
run 1 loop.pkl "$d/test.csv"
grep -qx "sklearn-tree: loop.pkl: node 0's left child is 0, not a node after it (at $nodes)" err ||
    fail "node 0 its own child: $(cat err)"
tamper feature.pkl 1029 011
run 1 feature.pkl "$d/test.csv"
grep -qx "sklearn-tree: feature.pkl: node 0 splits on feature 9 of 4 (at $nodes)" err || fail "feature 9: $(cat err)"
head -c 1500 "$d/model.pkl" >short.pkl
run 1 short.pkl "$d/test.csv"
grep -q '^sklearn-tree: short.pkl: .* (at byte [0-9]*)' err || fail "truncated pickle: $(cat err)"

# Tampered arrays, through JSON: a shape that does not match the bytes, a
# dtype numpy has but this reader refuses, a missing node field.
sed 's/{"\$tuple":\[15\]}/{"$tuple":[14]}/' model.json >shape.json
run 1 shape.json "$d/test.csv"
grep -qx "sklearn-tree: shape.json: an array of 14 elements of 56 bytes holds 840 bytes, not 784 (at $nodes.state\\[4\\])" err ||
    fail "wrong shape: $(cat err)"
sed 's/"args":\["f8",/"args":["f2",/g' model.json >half.json
run 1 half.json "$d/test.csv"
grep -qx "sklearn-tree: half.json: numpy dtype 'f2' is not supported (at $nodes.state\\[2\\].state\\[4\\].threshold\\[0\\].args\\[0\\])" err ||
    fail "float16: $(cat err)"
sed 's/"threshold"/"threshol_"/g' model.json >field.json
run 1 field.json "$d/test.csv"
grep -qx "sklearn-tree: field.json: the node records have no field 'threshold' (at $nodes)" err ||
    fail "missing field: $(cat err)"

# Not a tree: refused by type, and a pickle that would run a command in
# Python runs nothing here.
printf "cos\nsystem\n(S'touch pwned'\ntR." >evil.pkl
run 1 evil.pkl "$d/test.csv"
# Refused while reading (allow=sklearn), before any value is built.
grep -qx "sklearn-tree: evil.pkl: GLOBAL at offset 0: global 'os.system' is not allowed (the allow= option lists what is) (at byte 0)" err ||
    fail "os.system pickle: $(cat err)"
[ ! -e pwned ] || fail "the pickle ran a command"

[ "$failures" -eq 0 ] || exit 1
echo "sklearn tree: 3 pickles and their JSON predict 188 of 188 rows as scikit-learn (73.40%); 8 bad inputs refused"
