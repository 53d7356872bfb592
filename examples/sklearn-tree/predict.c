/* predict.c: the sklearn-tree command. Loads a scikit-learn
 * DecisionTreeClassifier that Python pickled (brine's pickle plugin reads
 * it as plain values: nothing is ever called), checks it is a well-formed
 * tree, and predicts the rows of a CSV file, comparing each prediction with
 * the one scikit-learn wrote next to it. numpy arrays are decoded in
 * ndarray.c; this file knows the scikit-learn side. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

#include "ndarray.h"

#define CLASSIFIER "sklearn.tree._classes.DecisionTreeClassifier"
#define TREE "sklearn.tree._tree.Tree"
#define MAX_FEATURES 100000

static const char *progname = "sklearn-tree";

typedef struct sk_node {
    int64_t left, right, feature; /* left == -1: a leaf */
    double threshold;
    int nan_left; /* where NaN goes: scikit-learn >= 1.3's missing_go_to_left */
    size_t cls;   /* a leaf's class: the argmax of its value row */
} sk_node;

typedef struct sk_label {
    char *s; /* malloc'd, NUL-terminated (labels may hold NUL: use len) */
    size_t len;
} sk_label;

typedef struct sk_model {
    size_t n_nodes, n_features, n_classes, depth;
    sk_node *nodes;
    sk_label *classes;
    char version[32]; /* scikit-learn's, "" if not recorded */
} sk_model;

static void model_free(sk_model *m)
{
    for (size_t i = 0; m->classes && i < m->n_classes; i++)
        free(m->classes[i].s);
    free(m->classes);
    free(m->nodes);
    memset(m, 0, sizeof *m);
}

static int expect_model(const brine_value *v, const char *name, const char *path, brine_error *err)
{
    char found[160];
    size_t len;
    const char *got = brine_type_of(v) == BRINE_MODEL ? brine_model_name(v, &len) : NULL;
    if (!got || len != strlen(name) || memcmp(got, name, len) != 0)
        return sk_fail(err, 0, path, "expected a model of type '%s', found %s", name,
                       sk_describe(v, found, sizeof found));
    return 0;
}

/* The int at path under root (brine checks that it is there and is an
 * int), which must lie in [min, max]. */
static int int_at(const brine_value *root, const char *path, int64_t min, int64_t max, const char *what, int64_t *out,
                  brine_error *err)
{
    int rc = brine_get_int64(root, path, out, err);
    if (rc == BRINE_E_RANGE || (rc == BRINE_OK && (*out < min || *out > max))) {
        brine_error_clear(err);
        return sk_fail(err, BRINE_E_RANGE, path, "expected %s from %lld to %lld", what, (long long)min, (long long)max);
    }
    return rc ? -1 : 0;
}

static int label_set(sk_label *l, const char *s, size_t len, const char *path, brine_error *err)
{
    l->s = malloc(len + 1);
    if (!l->s)
        return sk_fail(err, BRINE_E_NOMEM, path, "out of memory");
    memcpy(l->s, s, len);
    l->s[len] = 0;
    l->len = len;
    return 0;
}

/* UCS-4 code units (numpy's 'U' items, trailing NULs dropped as numpy
 * does) to UTF-8. */
static int label_ucs4(sk_label *l, const unsigned char *p, const sk_scalar *t, const char *path, brine_error *err)
{
    size_t n = t->size / 4;
    sk_scalar u32 = {'u', 4, t->big_endian};
    int64_t c;
    while (n > 0 && (sk_load_int(p + 4 * (n - 1), &u32, &c), c == 0))
        n--;
    char *s = malloc(4 * n + 1), *o = s;
    if (!s)
        return sk_fail(err, BRINE_E_NOMEM, path, "out of memory");
    for (size_t i = 0; i < n; i++) {
        sk_load_int(p + 4 * i, &u32, &c);
        if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
            free(s);
            return sk_fail(err, BRINE_E_UTF8, path, "class label holds U+%llX, not a Unicode scalar value",
                           (unsigned long long)c);
        }
        if (c < 0x80)
            *o++ = (char)c;
        else if (c < 0x800) {
            *o++ = (char)(0xC0 | (c >> 6));
            *o++ = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            *o++ = (char)(0xE0 | (c >> 12));
            *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (char)(0x80 | (c & 0x3F));
        } else {
            *o++ = (char)(0xF0 | (c >> 18));
            *o++ = (char)(0x80 | ((c >> 12) & 0x3F));
            *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *o = 0;
    l->s = s;
    l->len = (size_t)(o - s);
    return 0;
}

/* classes_: sklearn writes an object array of the labels y held (str for
 * this data), or a typed array ('U', 'S', int, bool) when y was one. */
static int classes_read(const brine_value *v, const char *path, sk_model *m, brine_error *err)
{
    sk_array a;
    char sub[BRINE_ERROR_PATH], found[160], ty[32];
    if (sk_array_read(v, path, &a, err))
        return -1;
    int rc = -1;
    if (a.ndim != 1 || a.count == 0) {
        sk_fail(err, BRINE_E_CORRUPT, path, "expected a 1-d array of class labels, found %zu dimensions and %zu labels",
                a.ndim, a.count);
        goto done;
    }
    m->classes = calloc(a.count, sizeof *m->classes);
    if (!m->classes) {
        sk_fail(err, BRINE_E_NOMEM, path, "out of memory");
        goto done;
    }
    m->n_classes = a.count;
    const sk_scalar *t = &a.dtype.scalar;
    for (size_t i = 0; i < a.count; i++) {
        char at[48], num[32];
        sk_label *l = &m->classes[i];
        const unsigned char *p = t->kind == 'O' ? NULL : a.data + i * t->size;
        int64_t n;
        snprintf(at, sizeof at, "[%zu]", i);
        sk_path(sub, sizeof sub, path, at);
        if (t->kind == 'O') {
            const brine_value *item = brine_seq_get(a.objects, i);
            size_t len;
            const char *s;
            if (brine_type_of(item) == BRINE_STR) {
                s = brine_str_get(item, &len);
                if (label_set(l, s, len, sub, err))
                    goto done;
            } else if (brine_type_of(item) == BRINE_INT) {
                char *dec = brine_int_to_decimal(item);
                if (!dec || label_set(l, dec, strlen(dec), sub, err)) {
                    brine_free(dec);
                    sk_fail(err, BRINE_E_NOMEM, sub, "out of memory");
                    goto done;
                }
                brine_free(dec);
            } else {
                sk_fail(err, BRINE_E_UNSUPPORTED, sub, "expected a class label (a str or an int), found %s",
                        sk_describe(item, found, sizeof found));
                goto done;
            }
        } else if (t->kind == 'U') {
            if (label_ucs4(l, p, t, sub, err))
                goto done;
        } else if (t->kind == 'S') {
            size_t len = t->size;
            while (len > 0 && p[len - 1] == 0)
                len--;
            if (label_set(l, (const char *)p, len, sub, err))
                goto done;
        } else if (t->kind == 'b' || ((t->kind == 'i' || t->kind == 'u') && sk_load_int(p, t, &n) == 0)) {
            if (t->kind == 'b')
                snprintf(num, sizeof num, "%s", p[0] ? "True" : "False");
            else
                snprintf(num, sizeof num, "%lld", (long long)n);
            if (label_set(l, num, strlen(num), sub, err))
                goto done;
        } else {
            sk_fail(err, BRINE_E_UNSUPPORTED, path, "class labels of type %s are not supported",
                    sk_scalar_describe(t, ty, sizeof ty));
            goto done;
        }
    }
    rc = 0;
done:
    sk_array_free(&a);
    return rc;
}

/* A field of the node records that must be there, of an integer or a float
 * kind. */
static const sk_field *node_field(const sk_array *a, const char *name, int want_float, const char *path,
                                  brine_error *err)
{
    char ty[32];
    const sk_field *f = sk_dtype_field(&a->dtype, name);
    if (!f) {
        sk_fail(err, BRINE_E_NOTFOUND, path, "the node records have no field '%s'", name);
        return NULL;
    }
    char k = f->type.kind;
    if (want_float ? k != 'f' : k != 'i') {
        sk_fail(err, BRINE_E_UNSUPPORTED, path, "node field '%s' is %s, expected %s", name,
                sk_scalar_describe(&f->type, ty, sizeof ty), want_float ? "a float" : "a signed int");
        return NULL;
    }
    return f;
}

/* nodes: a 1-d structured array, one record per node; the layout comes
 * from the dtype's fields (it changed across scikit-learn versions). */
static int nodes_read(const brine_value *v, const char *path, sk_model *m, brine_error *err)
{
    sk_array a;
    if (sk_array_read(v, path, &a, err))
        return -1;
    int rc = -1;
    const sk_field *left, *right, *feature, *threshold, *nan_left;
    if (a.dtype.scalar.kind != 'V' || a.ndim != 1 || a.count != m->n_nodes) {
        sk_fail(err, BRINE_E_CORRUPT, path, "expected %zu node records, found a %zu-d array of %zu %s", m->n_nodes,
                a.ndim, a.count, a.dtype.scalar.kind == 'V' ? "records" : "scalars");
        goto done;
    }
    if (!(left = node_field(&a, "left_child", 0, path, err)) ||
        !(right = node_field(&a, "right_child", 0, path, err)) ||
        !(feature = node_field(&a, "feature", 0, path, err)) ||
        !(threshold = node_field(&a, "threshold", 1, path, err)))
        goto done;
    /* Added in scikit-learn 1.3 (uint8); older trees send NaN right, since
     * NaN <= threshold is false. */
    nan_left = sk_dtype_field(&a.dtype, "missing_go_to_left");
    if (nan_left && nan_left->type.kind != 'u' && nan_left->type.kind != 'b' && nan_left->type.kind != 'i') {
        sk_fail(err, BRINE_E_UNSUPPORTED, path, "node field 'missing_go_to_left' is not an integer");
        goto done;
    }
    m->nodes = calloc(m->n_nodes, sizeof *m->nodes);
    if (!m->nodes) {
        sk_fail(err, BRINE_E_NOMEM, path, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < m->n_nodes; i++) {
        const unsigned char *rec = a.data + i * a.dtype.scalar.size;
        sk_node *n = &m->nodes[i];
        sk_load_int(rec + left->offset, &left->type, &n->left);
        sk_load_int(rec + right->offset, &right->type, &n->right);
        sk_load_int(rec + feature->offset, &feature->type, &n->feature);
        sk_load_float(rec + threshold->offset, &threshold->type, &n->threshold);
        int64_t flag = 0;
        if (nan_left && sk_load_int(rec + nan_left->offset, &nan_left->type, &flag) == 0)
            n->nan_left = flag != 0;
    }
    rc = 0;
done:
    sk_array_free(&a);
    return rc;
}

/* The tree must be a tree: node 0 the root, every other node the child of
 * exactly one node with a smaller index (scikit-learn adds children after
 * their parent), so that a walk always ends. Depth comes for free. */
static int nodes_check(sk_model *m, const char *path, brine_error *err)
{
    size_t *depth = calloc(m->n_nodes, sizeof *depth);
    unsigned char *seen = calloc(m->n_nodes, 1);
    int rc = -1;
    if (!depth || !seen) {
        sk_fail(err, BRINE_E_NOMEM, path, "out of memory");
        goto done;
    }
    m->depth = 0;
    for (size_t i = 0; i < m->n_nodes; i++) {
        sk_node *n = &m->nodes[i];
        if (i > 0 && !seen[i]) {
            sk_fail(err, BRINE_E_CORRUPT, path, "node %zu is no node's child", i);
            goto done;
        }
        if (n->left == -1 && n->right == -1)
            continue;
        int64_t kids[2] = {n->left, n->right};
        for (int k = 0; k < 2; k++) {
            if (kids[k] <= (int64_t)i || kids[k] >= (int64_t)m->n_nodes) {
                sk_fail(err, BRINE_E_CORRUPT, path, "node %zu's %s child is %lld, not a node after it", i,
                        k ? "right" : "left", (long long)kids[k]);
                goto done;
            }
            if (seen[kids[k]]++) {
                sk_fail(err, BRINE_E_CORRUPT, path, "node %lld has two parents", (long long)kids[k]);
                goto done;
            }
            depth[kids[k]] = depth[i] + 1;
            if (depth[kids[k]] > m->depth)
                m->depth = depth[kids[k]];
        }
        if (n->feature < 0 || n->feature >= (int64_t)m->n_features) {
            sk_fail(err, BRINE_E_CORRUPT, path, "node %zu splits on feature %lld of %zu", i, (long long)n->feature,
                    m->n_features);
            goto done;
        }
    }
    rc = 0;
done:
    free(depth);
    free(seen);
    return rc;
}

/* values: node_count x n_outputs x n_classes; a leaf predicts the class of
 * its largest value, the first on ties (numpy's argmax). */
static int values_read(const brine_value *v, const char *path, sk_model *m, brine_error *err)
{
    sk_array a;
    char ty[32];
    if (sk_array_read(v, path, &a, err))
        return -1;
    int rc = -1;
    if (a.dtype.scalar.kind != 'f') {
        sk_fail(err, BRINE_E_UNSUPPORTED, path, "expected float values, found %s",
                sk_scalar_describe(&a.dtype.scalar, ty, sizeof ty));
        goto done;
    }
    if (a.ndim != 3 || a.shape[0] != m->n_nodes || a.shape[1] != 1 || a.shape[2] != m->n_classes) {
        sk_fail(err, BRINE_E_CORRUPT, path, "expected values of shape (%zu, 1, %zu)", m->n_nodes, m->n_classes);
        goto done;
    }
    for (size_t i = 0; i < m->n_nodes; i++) {
        double best = 0;
        for (size_t k = 0; k < m->n_classes; k++) {
            size_t idx[3] = {i, 0, k};
            double x;
            sk_load_float(a.data + sk_array_offset(&a, idx) * a.dtype.scalar.size, &a.dtype.scalar, &x);
            if (k == 0 || x > best || (isnan(x) && !isnan(best))) {
                best = x;
                m->nodes[i].cls = k;
            }
        }
    }
    rc = 0;
done:
    sk_array_free(&a);
    return rc;
}

/* tree_: Tree(n_features, n_classes, n_outputs) with state {max_depth,
 * node_count, nodes, values}, at path under root. */
static int tree_read(const brine_value *root, const char *path, sk_model *m, brine_error *err)
{
    char sub[BRINE_ERROR_PATH];
    int64_t n;
    const brine_value *tree = brine_path_get(root, path, err), *v;
    if (!tree || expect_model(tree, TREE, path, err))
        return -1;
    const brine_value *args = brine_model_args(tree);
    sk_path(sub, sizeof sub, path, ".args");
    if (brine_seq_count(args) != 3)
        return sk_fail(err, BRINE_E_CORRUPT, sub, "expected 3 arguments (n_features, n_classes, n_outputs), found %zu",
                       brine_seq_count(args));
    if (int_at(root, sk_path(sub, sizeof sub, path, ".args[0]"), (int64_t)m->n_features, (int64_t)m->n_features,
               "the number of features", &n, err) ||
        int_at(root, sk_path(sub, sizeof sub, path, ".args[2]"), 1, 1, "the number of outputs", &n, err))
        return -1;
    sk_array nc;
    if (sk_array_read(brine_seq_get(args, 1), sk_path(sub, sizeof sub, path, ".args[1]"), &nc, err))
        return -1;
    int64_t k = -1;
    int bad =
        nc.dtype.scalar.kind == 'O' || nc.ndim != 1 || nc.count != 1 || sk_load_int(nc.data, &nc.dtype.scalar, &k);
    sk_array_free(&nc);
    if (bad || k != (int64_t)m->n_classes)
        return sk_fail(err, BRINE_E_CORRUPT, sub, "expected n_classes [%zu], as many as classes_", m->n_classes);

    if (int_at(root, sk_path(sub, sizeof sub, path, ".state.node_count"), 1, INT32_MAX, "the node count", &n, err))
        return -1;
    m->n_nodes = (size_t)n;
    sk_path(sub, sizeof sub, path, ".state.nodes");
    if (!(v = brine_path_get(root, sub, err)) || nodes_read(v, sub, m, err) || nodes_check(m, sub, err))
        return -1;
    sk_path(sub, sizeof sub, path, ".state.values");
    if (!(v = brine_path_get(root, sub, err)) || values_read(v, sub, m, err))
        return -1;
    return 0;
}

static int model_read(const brine_value *root, sk_model *m, brine_error *err)
{
    int64_t n;
    const char *version;
    size_t len;
    const brine_value *v;
    memset(m, 0, sizeof *m);
    if (expect_model(root, CLASSIFIER, "$", err))
        return -1;
    if (brine_get_str(root, "$.state._sklearn_version", &version, &len, NULL) == BRINE_OK)
        snprintf(m->version, sizeof m->version, "%.*s", (int)(len < sizeof m->version ? len : sizeof m->version - 1),
                 version);
    if (int_at(root, "$.state.n_outputs_", 1, 1, "the number of outputs (multi-output trees are not supported)", &n,
               err))
        return -1;
    if (int_at(root, "$.state.n_features_in_", 1, MAX_FEATURES, "the number of features", &n, err))
        return -1;
    m->n_features = (size_t)n;
    if (!(v = brine_path_get(root, "$.state.classes_", err)) || classes_read(v, "$.state.classes_", m, err))
        return -1;
    if (tree_read(root, "$.state.tree_", m, err))
        return -1;
    return 0;
}

static brine_doc *load(const brine_registry *formats, const char *path, brine_error *err)
{
    const brine_plugin *fmt = brine_registry_find_extension(formats, path);
    if (!fmt)
        fmt = brine_registry_find(formats, "pickle");
    if (!fmt) {
        brine_error_set(err, BRINE_E_NOTFOUND, "no format plugin reads it (is the pickle plugin installed?)");
        return NULL;
    }
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        brine_error_set(err, BRINE_E_IO, "%s", strerror(errno));
        return NULL;
    }
    brine_source src;
    brine_source_init_file(&src, fp);
    /* A pickle may name only what a scikit-learn tree needs: anything else
     * (os.system, say) is refused with its name and offset. */
    static const char *const allow[] = {"allow=sklearn"};
    brine_options opts = {.count = strcmp(fmt->name, "pickle") == 0, .items = allow};
    brine_doc *doc = brine_decode(fmt, &src, &opts, err);
    brine_source_destroy(&src);
    fclose(fp);
    return doc;
}

static int failed(const char *what, const brine_error *err)
{
    fprintf(stderr, "%s: %s: %s", progname, what, err->message);
    if (err->offset != BRINE_NO_OFFSET)
        fprintf(stderr, " (at byte %llu)", (unsigned long long)err->offset);
    if (err->path[0] && strcmp(err->path, "$") != 0)
        fprintf(stderr, " (at %s)", err->path);
    fputc('\n', stderr);
    return 1;
}

/* Splits line at commas in place; returns the field count (up to cap). */
static size_t split(char *line, char **fields, size_t cap)
{
    size_t n = 0;
    line[strcspn(line, "\r\n")] = 0;
    for (char *p = line;; p++) {
        if (n < cap)
            fields[n] = p;
        n++;
        p += strcspn(p, ",");
        if (!*p)
            return n;
        *p = 0;
    }
}

/* A CSV value as scikit-learn sees it: numpy converts X to float32 before
 * walking the tree (out-of-range values become infinities, as in numpy). */
static int feature(const char *s, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (!*s || *end || end == s)
        return -1;
    if (d > FLT_MAX)
        *out = INFINITY;
    else if (d < -FLT_MAX)
        *out = -INFINITY;
    else
        *out = (double)(float)d;
    return 0;
}

static int same_label(const sk_label *l, const char *s)
{
    return strlen(s) == l->len && memcmp(l->s, s, l->len) == 0;
}

/* Predicts each row of fp: label, features, then scikit-learn's prediction
 * (the last column may be absent, the label too if the row is short by
 * two). A first row starting with "class," is a header. */
static int predict(const sk_model *m, FILE *fp, const char *name)
{
    size_t cap = m->n_features + 2, lineno = 0, rows = 0, right = 0, labelled = 0, compared = 0, agree = 0;
    char **fields = malloc(cap * sizeof *fields), *line = NULL;
    double *x = malloc(m->n_features * sizeof *x);
    size_t line_cap = 0;
    int rc = 1;
    if (!fields || !x) {
        fprintf(stderr, "%s: out of memory\n", progname);
        goto done;
    }
    while (getline(&line, &line_cap, fp) > 0) {
        lineno++;
        if (lineno == 1 && strncmp(line, "class,", 6) == 0)
            continue;
        size_t n = split(line, fields, cap);
        if (n == 1 && !fields[0][0])
            continue;
        /* features only; label + features; label + features + sklearn's */
        size_t first = n == m->n_features ? 0 : 1;
        if (n < m->n_features || n > cap) {
            fprintf(stderr, "%s: %s:%zu: expected %zu to %zu fields, found %zu\n", progname, name, lineno,
                    m->n_features, cap, n);
            goto done;
        }
        for (size_t j = 0; j < m->n_features; j++)
            if (feature(fields[first + j], &x[j])) {
                fprintf(stderr, "%s: %s:%zu: field %zu is not a number\n", progname, name, lineno, first + j + 1);
                goto done;
            }
        size_t i = 0;
        while (m->nodes[i].left != -1) { /* nodes_check: children come after */
            const sk_node *node = &m->nodes[i];
            double v = x[node->feature];
            i = (size_t)((isnan(v) ? node->nan_left : v <= node->threshold) ? node->left : node->right);
        }
        const sk_label *got = &m->classes[m->nodes[i].cls];
        fwrite(got->s, 1, got->len, stdout);
        putchar('\n');
        rows++;
        if (first) {
            labelled++;
            right += same_label(got, fields[0]);
        }
        if (n == cap) {
            compared++;
            if (same_label(got, fields[cap - 1]))
                agree++;
            else
                fprintf(stderr, "%s: %s:%zu: predicted %s, scikit-learn predicted %s\n", progname, name, lineno, got->s,
                        fields[cap - 1]);
        }
    }
    if (ferror(fp)) {
        fprintf(stderr, "%s: %s: %s\n", progname, name, strerror(errno));
        goto done;
    }
    if (labelled)
        printf("accuracy: %.2f%% (%zu of %zu)\n", 100.0 * (double)right / (double)labelled, right, labelled);
    if (compared)
        printf("scikit-learn agrees on %zu of %zu rows\n", agree, compared);
    rc = agree == compared ? 0 : 1;
done:
    free(line);
    free(fields);
    free(x);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || argv[1][0] == '-') {
        fprintf(argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr,
                "Usage: sklearn-tree MODEL [CSV]\n"
                "\n"
                "Loads MODEL, a scikit-learn DecisionTreeClassifier pickled by Python (or the\n"
                "same value in any format brine reads), and prints the predicted class of\n"
                "each row of CSV (default: standard input). Rows hold the features, with the\n"
                "class before them and scikit-learn's prediction after them when known; then\n"
                "it prints the accuracy, and how many of scikit-learn's predictions it\n"
                "matched (exit status 1 unless all of them).\n");
        return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
    }
    brine_error err;
    brine_error_clear(&err);
    brine_registry *formats = brine_registry_new(&err);
    if (!formats || brine_registry_load(formats, &err)) {
        brine_registry_free(formats);
        return failed("loading the format plugins", &err);
    }
    int rc = 1;
    sk_model m = {0};
    brine_doc *doc = load(formats, argv[1], &err);
    if (!doc)
        rc = failed(argv[1], &err);
    else if (model_read(brine_doc_root(doc), &m, &err))
        rc = failed(argv[1], &err);
    else {
        printf("%s: DecisionTreeClassifier%s%s: %zu nodes, depth %zu, %zu features, classes ", argv[1],
               m.version[0] ? " from scikit-learn " : "", m.version, m.n_nodes, m.depth, m.n_features);
        for (size_t k = 0; k < m.n_classes; k++)
            printf("%s%s", k ? ", " : "", m.classes[k].s);
        putchar('\n');
        FILE *fp = argc == 3 ? fopen(argv[2], "r") : stdin;
        if (!fp)
            fprintf(stderr, "%s: %s: %s\n", progname, argv[2], strerror(errno));
        else {
            rc = predict(&m, fp, argc == 3 ? argv[2] : "<stdin>");
            if (fp != stdin)
                fclose(fp);
        }
    }
    model_free(&m);
    brine_doc_free(doc);
    brine_registry_free(formats);
    return rc;
}
