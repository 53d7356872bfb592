#!/bin/sh
# test_sklearn_linear.sh: the sklearn-linear example end to end. The C
# program loads the LogisticRegression models and Pipelines(StandardScaler,
# LogisticRegression) that Python pickled (data/sklearn-linear/, written by
# examples/sklearn-linear/train.py: multinomial, one-vs-rest with a
# Fortran-order coef_, protocol 5, two classes, big-endian arrays) and must predict every test
# row as scikit-learn did, with the same probabilities (within 1e-12: the
# dot products may add in another order than BLAS). With Debian's
# python3-sklearn it also checks that the expectations are what
# scikit-learn predicts from those pickles today. Skipped (77) when the
# pickle plugin is not built.
set -eu
: "${SKLEARN_LINEAR:?}" "${BRINE:?}" "${BRINE_TEST_DATA:?}" "${BRINE_TEST_SRCDIR:?}"

if ! "$BRINE" formats 2>/dev/null | grep -q '^pickle '; then
    echo "SKIP: 'brine formats' lists no pickle plugin"
    exit 77
fi

d=$BRINE_TEST_DATA/sklearn-linear
models="logistic logistic-ovr pipeline pipeline-p5 binary big-endian"
work=$(mktemp -d "${TMPDIR:-/tmp}/brine-sklin.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
run() {
    want=$1
    shift
    set +e
    "$SKLEARN_LINEAR" "$@" >out 2>err
    got=$?
    set -e
    [ "$got" -eq "$want" ] || fail "sklearn-linear $* exited with $got, not $want: $(head -c 400 err)"
    ! grep -q 'Sanitizer\|runtime error' err || fail "sklearn-linear $*: $(head -c 400 err)"
}
# compare OUT EXPECTED: same labels row for row, probabilities within 1e-12.
compare() {
    paste -d, "$1" "$2" | awk -F, '{
        n = NF / 2
        if ($1 != $(n + 1)) bad++
        for (i = 2; i <= n; i++) {
            e = $i - $(n + i)
            if (e < 0) e = -e
            if (e > 1e-12) bad++
        }
    } END { exit bad > 0 || NR != 188 }'
}

# Live check: scikit-learn predicts the checked-in expectations from the
# checked-in pickles (skipped without Debian's python3-sklearn), within
# 1e-12 as below: BLAS's kernels, chosen by CPU, add in their own order.
set +e
/usr/bin/python3 "${BRINE_TEST_SRCDIR:?}/sklearn_expect.py" --within 1e-12 "$d" $models 2>live.err
live=$?
set -e
case $live in
0) ;;
77 | 126 | 127) echo "note: no python3-sklearn in /usr/bin/python3; comparing with the checked-in predictions only" ;;
*) fail "scikit-learn's predictions are not the checked-in ones: $(head -c 400 live.err)" ;;
esac

for m in $models; do
    run 0 --header --expect --proba "$d/$m.pkl" "$d/test.csv"
    tail -n +2 "$d/$m.sklearn.csv" >expected
    sed -n '2,189p' out >got
    compare got expected || fail "$m: predictions differ from scikit-learn's: $(head -n 2 got)"
    [ "$(sed -n '190p' out)" = "accuracy: 87.23% (164 of 188)" ] || fail "$m accuracy: $(sed -n '190p' out)"
    [ "$(wc -l <out)" -eq 190 ] || fail "$m printed $(wc -l <out) lines"
    [ ! -s err ] || fail "$m wrote to stderr: $(cat err)"
    head -n 1 out >>summaries
    # Without --proba, the labels alone; the same from the native form.
    run 0 --header --label-last "$d/$m.pkl" "$d/test.csv"
    tail -n +2 out | cmp -s - "$(cut -d, -f1 expected >labels && echo labels)" || fail "$m: labels alone differ"
    "$BRINE" convert -q "$d/$m.pkl" -o "$m.brn" || fail "brine convert $m.pkl"
    run 0 --header --label-last "$m.brn" "$d/test.csv"
    tail -n +2 out | cmp -s - labels || fail "$m.brn: labels differ"
done
cat >summaries.want <<EOF
$d/logistic.pkl: LogisticRegression (multinomial) from scikit-learn 1.2.1: 4 features, classes B, L, R
$d/logistic-ovr.pkl: LogisticRegression (one-vs-rest) from scikit-learn 1.2.1: 4 features, classes B, L, R
$d/pipeline.pkl: StandardScaler + LogisticRegression (multinomial) from scikit-learn 1.2.1: 4 features, classes B, L, R
$d/pipeline-p5.pkl: StandardScaler + LogisticRegression (multinomial) from scikit-learn 1.2.1: 4 features, classes B, L, R
$d/binary.pkl: StandardScaler + LogisticRegression (one-vs-rest) from scikit-learn 1.2.1: 4 features, classes L, R
$d/big-endian.pkl: LogisticRegression (multinomial) from scikit-learn 1.2.1: 4 features, classes B, L, R
EOF
diff summaries.want summaries >&2 || fail "model summaries differ"

# The big-endian model's arrays stay '>f8' in brine (the byte order is part
# of the dtype: the native file spells it), and the program reads them in
# the machine's order.
LC_ALL=C grep -q -a ">f8" big-endian.brn || fail "big-endian.brn holds no '>f8' array"
! LC_ALL=C grep -q -a ">f8" logistic.brn || fail "logistic.brn holds a '>f8' array"

# One-vs-rest and multinomial differ in the probabilities, not the labels:
# read as the other, the probabilities would not match.
[ "$(sed -n 2p "$d/logistic.sklearn.csv" | cut -d, -f2)" != "$(sed -n 2p "$d/logistic-ovr.sklearn.csv" | cut -d, -f2)" ] ||
    fail "the multinomial and one-vs-rest expectations do not differ"

# Hostile and wrong models: refused with the path of the bad value.
printf "cos\nsystem\n(S'touch pwned'\ntR." >evil.pkl
run 1 evil.pkl "$d/test.csv"
grep -q "^sklearn-linear: evil.pkl: GLOBAL at offset 0: global 'os.system' is not allowed" err ||
    fail "os.system pickle: $(cat err)"
[ ! -e pwned ] || fail "the pickle ran a command"
run 1 "$BRINE_TEST_DATA/sklearn-tree/model.pkl" "$d/test.csv"
grep -qx "sklearn-linear: $BRINE_TEST_DATA/sklearn-tree/model.pkl: expected a LogisticRegression or a Pipeline ending in one, found a model of type 'sklearn.tree._classes.DecisionTreeClassifier'" err ||
    fail "a tree: $(cat err)"
# n_features_in_ (BININT1 4) made 5: coef_ no longer fits.
off=$(LC_ALL=C grep -obUa 'n_features_in_' "$d/logistic.pkl" | head -n 1 | cut -d: -f1)
cp "$d/logistic.pkl" five.pkl
printf '\005' | dd of=five.pkl bs=1 seek=$((off + 16)) conv=notrunc 2>/dev/null
run 1 five.pkl "$d/test.csv"
grep -qx 'sklearn-linear: five.pkl: expected an array of shape (3, 5), found shape (3, 4) (at $.state.coef_)' err ||
    fail "5 features: $(cat err)"
LC_ALL=C sed 's/\x8c\x04auto/\x8c\x04otua/' "$d/logistic.pkl" >multi.pkl
run 1 multi.pkl "$d/test.csv"
grep -qx "sklearn-linear: multi.pkl: expected multi_class 'auto', 'ovr' or 'multinomial' (at \$.state.multi_class)" err ||
    fail "multi_class: $(cat err)"
head -c 700 "$d/pipeline.pkl" >short.pkl
run 1 short.pkl "$d/test.csv"
grep -q '^sklearn-linear: short.pkl: .* (at byte [0-9]*)' err || fail "truncated pickle: $(cat err)"

[ "$failures" -eq 0 ] || exit 1
echo "sklearn linear: 6 models (multinomial, one-vs-rest, pipelines, binary, big-endian) predict 188 of 188 rows as scikit-learn (87.23%), probabilities within 1e-12; 5 bad inputs refused"
