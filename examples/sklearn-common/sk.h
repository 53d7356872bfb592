/* sk.h: what the scikit-learn examples (sklearn-tree, sklearn-linear) share:
 * loading a pickled estimator with brine and checking the arrays and labels
 * in it (load.c), and the command line, the CSV rows and the prediction loop
 * (rows.c). Each example keeps only its estimator's arithmetic. Everything
 * here uses brine's public API; numpy arrays arrive as BRINE_ARRAY values. */
#ifndef SK_H
#define SK_H

#include <stddef.h>
#include <stdint.h>

#include <brine/format.h>

/* ---- errors (load.c) ---- */

/* Sets err (code BRINE_E_TYPE unless code is given) with a message and a
 * path in the model; returns -1. */
int sk_fail(brine_error *err, int code, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* base + suffix into out (cap bytes), truncated with "..." if too long. */
const char *sk_path(char *out, size_t cap, const char *base, const char *suffix);

/* What v is, for "found ..." in messages: "a str", "a model of type 'x'",
 * "a 2-d array of <f8". */
const char *sk_describe(const brine_value *v, char *buf, size_t cap);

/* Prints "PROG: WHAT: message (at byte N) (at PATH)" on stderr; returns 1. */
int sk_report(const char *prog, const char *what, const brine_error *err);

/* ---- the model file (load.c) ---- */

/* Decodes the file at path with the format its extension names, pickle
 * otherwise. A pickle may name only the globals in allow (the pickle
 * plugin's allow= option: "sklearn,module.Name,..."), so a file naming
 * os.system is refused with the name and its offset before any value is
 * built. The caller frees the document and the registry (*formats). */
brine_doc *sk_load(const char *path, const char *allow, brine_registry **formats, brine_error *err);

/* The int at path under root, which must lie in [min, max]; what names it
 * in the message. */
int sk_int_at(const brine_value *root, const char *path, int64_t min, int64_t max, const char *what, int64_t *out,
              brine_error *err);

/* Shapes passed to sk_array_at: an axis of any size. */
#define SK_ANY UINT64_MAX

/* The numpy array at path under root: a BRINE_ARRAY of ndim dimensions
 * whose sizes are those in shape (SK_ANY: any), else NULL with err naming
 * the path and what was found. */
const brine_value *sk_array_at(const brine_value *root, const char *path, unsigned ndim, const uint64_t *shape,
                               brine_error *err);

/* The elements of the numeric array at path (as sk_array_at checks it) as
 * native doubles, in C order: malloc'd into *out, free() it. */
int sk_doubles_at(const brine_value *root, const char *path, unsigned ndim, const uint64_t *shape, double **out,
                  brine_error *err);

/* ---- class labels (load.c) ---- */

typedef struct sk_labels {
    size_t count;
    char **text; /* malloc'd UTF-8, NUL-terminated; a label may hold NUL: */
    size_t *len; /* its length in bytes */
} sk_labels;

/* classes_ at path under root: a list (numpy's object array) of str or int
 * labels, or a 1-d array of str ('U'), bytes ('S'), ints or bools, printed
 * as Python's str() does. */
int sk_labels_read(const brine_value *root, const char *path, sk_labels *out, brine_error *err);
void sk_labels_free(sk_labels *l);

/* "B, L, R" on stdout. */
void sk_labels_print(const sk_labels *l);

/* ---- the command line and the rows (rows.c) ---- */

typedef struct sk_cli {
    const char *prog;  /* for messages */
    const char *model; /* the model file */
    const char *csv;   /* the rows; NULL: standard input */
    int header;        /* --header: the first line names the columns */
    int label;         /* a label column: 0 none, 1 first (--label-first), 2 last (--label-last) */
    int expect;        /* --expect: compare with the label column, report accuracy */
    int proba;         /* --proba: print each class's probability after the label */
} sk_cli;

/* Parses argv into cli; usage is the program's help text. Returns -1 to go
 * on, or the exit status (0 after --help, 2 for a bad command line). */
int sk_cli_parse(sk_cli *cli, int argc, char **argv, const char *usage);

/* The options' help, for the programs' usage texts. */
#define SK_CLI_OPTIONS                                                                                                 \
    "  --header       skip the first line (column names)\n"                                                            \
    "  --label-last   the last column is the class, not a feature (Python's\n"                                         \
    "                 natural CSV: the features, then the label)\n"                                                    \
    "  --label-first  the first column is the class (data/balance-scale.data)\n"                                       \
    "  --expect       compare each prediction with the class column and print\n"                                       \
    "                 the accuracy (implies --label-last unless --label-first)\n"                                      \
    "  --proba        print each class's probability after the prediction\n"

/* One model, as the prediction loop sees it. */
typedef struct sk_predictor {
    size_t n_features;
    const sk_labels *classes;
    const void *model;
    /* The class index of the row x (n_features doubles as the CSV holds
     * them); fills proba[0 .. classes->count) when it is not NULL. */
    size_t (*predict)(const void *model, const double *x, double *proba);
} sk_predictor;

/* Reads the rows of cli->csv and prints one line per row: the predicted
 * label, with --proba its probabilities (%.17g, comma-separated); then
 * with --expect "accuracy: P% (R of N)". Returns the exit status: 0, or 1
 * after a message for an unreadable file or a malformed row. */
int sk_predict_rows(const sk_predictor *p, const sk_cli *cli);

#endif /* SK_H */
