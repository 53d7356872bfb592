/* predict.c: the sklearn-tree command. Loads a scikit-learn
 * DecisionTreeClassifier that Python pickled (brine's pickle reader gives
 * its numpy arrays as BRINE_ARRAY values and calls nothing), checks that
 * it is a well-formed tree, and walks it for each CSV row. Loading, labels
 * and rows are shared with sklearn-linear (../sklearn-common); this file
 * knows the tree: tree_.nodes, a record array (left_child, right_child,
 * feature, threshold, ...), and tree_.value, node_count x 1 x n_classes. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sklearn-common/sk.h"

#define CLASSIFIER "sklearn.tree._classes.DecisionTreeClassifier"
#define TREE "sklearn.tree._tree.Tree"
#define MAX_FEATURES 100000

typedef struct tree_node {
    int64_t left, right, feature; /* left == -1: a leaf */
    double threshold;
    int nan_left; /* where NaN goes: scikit-learn >= 1.3's missing_go_to_left */
    size_t cls;   /* a leaf's class: the argmax of its value row */
} tree_node;

typedef struct tree_model {
    size_t n_nodes, n_features, depth;
    tree_node *nodes;
    double *values; /* n_nodes x n_classes: tree_.value */
    sk_labels classes;
    char version[32]; /* scikit-learn's, "" if not recorded */
} tree_model;

static void model_free(tree_model *m)
{
    sk_labels_free(&m->classes);
    free(m->nodes);
    free(m->values);
    memset(m, 0, sizeof *m);
}

/* The node record fields the walk needs, as native numbers: brine reads
 * each in the array's byte order and refuses a value that does not fit
 * (a threshold of 2.5 as a child index). */
static int nodes_read(const brine_value *root, const char *path, tree_model *m, brine_error *err)
{
    static const char *const need[] = {"left_child", "right_child", "feature", "threshold"};
    const uint64_t shape[] = {m->n_nodes};
    const brine_value *a = sk_array_at(root, path, 1, shape, err);
    if (!a)
        return -1;
    const brine_dtype *dt = brine_array_dtype(a);
    if (brine_dtype_kind_of(dt) != BRINE_DT_RECORD)
        return sk_fail(err, 0, path, "expected node records, found an array of %c%zu", brine_dtype_byteorder(dt),
                       brine_dtype_itemsize(dt));
    for (size_t f = 0; f < sizeof need / sizeof *need; f++)
        if (brine_dtype_field_index(dt, need[f], strlen(need[f])) < 0)
            return sk_fail(err, BRINE_E_NOTFOUND, path, "the node records have no field '%s'", need[f]);
    /* Added in scikit-learn 1.3 (uint8); older trees send NaN right, since
     * NaN <= threshold is false. */
    int has_nan_left = brine_dtype_field_index(dt, "missing_go_to_left", 18) >= 0;
    if (!(m->nodes = calloc(m->n_nodes, sizeof *m->nodes)))
        return sk_fail(err, BRINE_E_NOMEM, path, "out of memory");
    for (size_t i = 0; i < m->n_nodes; i++) {
        tree_node *n = &m->nodes[i];
        int64_t flag = 0;
        if (brine_array_field_int64(a, i, "left_child", &n->left, err) ||
            brine_array_field_int64(a, i, "right_child", &n->right, err) ||
            brine_array_field_int64(a, i, "feature", &n->feature, err) ||
            brine_array_field_double(a, i, "threshold", &n->threshold, err) ||
            (has_nan_left && brine_array_field_int64(a, i, "missing_go_to_left", &flag, err))) {
            char at[48];
            snprintf(at, sizeof at, "[%zu]", i);
            sk_path(err->path, sizeof err->path, path, at);
            return -1;
        }
        n->nan_left = flag != 0;
    }
    return 0;
}

/* The tree must be a tree: node 0 the root, every other node the child of
 * exactly one node with a smaller index (scikit-learn adds children after
 * their parent), so that a walk always ends. Depth comes for free. */
static int nodes_check(tree_model *m, const char *path, brine_error *err)
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
        tree_node *n = &m->nodes[i];
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

/* tree_.value: node_count x n_outputs (1) x n_classes; a leaf predicts the
 * class of its largest value, the first on ties (numpy's argmax). */
static int values_read(const brine_value *root, const char *path, tree_model *m, brine_error *err)
{
    size_t k = m->classes.count;
    const uint64_t shape[] = {m->n_nodes, 1, k};
    if (sk_doubles_at(root, path, 3, shape, &m->values, err))
        return -1;
    for (size_t i = 0; i < m->n_nodes; i++) {
        const double *row = m->values + i * k;
        for (size_t c = 1; c < k; c++)
            if (row[c] > row[m->nodes[i].cls] || (isnan(row[c]) && !isnan(row[m->nodes[i].cls])))
                m->nodes[i].cls = c;
    }
    return 0;
}

/* tree_: Tree(n_features, n_classes, n_outputs) with state {max_depth,
 * node_count, nodes, values}. */
static int tree_read(const brine_value *root, tree_model *m, brine_error *err)
{
    int64_t n;
    const uint64_t one[] = {1};
    const brine_value *nc;
    if (brine_get_model(root, "$.state.tree_", TREE, NULL, err))
        return -1;
    if (brine_get_tuple(root, "$.state.tree_.args", NULL, err))
        return -1;
    if (brine_seq_count(brine_path_get(root, "$.state.tree_.args", NULL)) != 3)
        return sk_fail(err, BRINE_E_CORRUPT, "$.state.tree_.args",
                       "expected 3 arguments (n_features, n_classes, n_outputs)");
    if (sk_int_at(root, "$.state.tree_.args[0]", (int64_t)m->n_features, (int64_t)m->n_features,
                  "the number of features", &n, err) ||
        sk_int_at(root, "$.state.tree_.args[2]", 1, 1, "the number of outputs", &n, err))
        return -1;
    if (!(nc = sk_array_at(root, "$.state.tree_.args[1]", 1, one, err)))
        return -1;
    if (brine_array_get_int64(nc, 0, &n, NULL) || n != (int64_t)m->classes.count)
        return sk_fail(err, BRINE_E_CORRUPT, "$.state.tree_.args[1]", "expected n_classes [%zu], as many as classes_",
                       m->classes.count);
    if (sk_int_at(root, "$.state.tree_.state.node_count", 1, INT32_MAX, "the node count", &n, err))
        return -1;
    m->n_nodes = (size_t)n;
    return nodes_read(root, "$.state.tree_.state.nodes", m, err) || nodes_check(m, "$.state.tree_.state.nodes", err) ||
                   values_read(root, "$.state.tree_.state.values", m, err)
               ? -1
               : 0;
}

static int model_read(const brine_value *root, tree_model *m, brine_error *err)
{
    int64_t n;
    const char *version;
    size_t len;
    memset(m, 0, sizeof *m);
    if (brine_get_model(root, "$", CLASSIFIER, NULL, err))
        return -1;
    if (brine_get_str(root, "$.state._sklearn_version", &version, &len, NULL) == BRINE_OK)
        snprintf(m->version, sizeof m->version, "%.*s", (int)(len < sizeof m->version ? len : sizeof m->version - 1),
                 version);
    if (sk_int_at(root, "$.state.n_outputs_", 1, 1, "the number of outputs (multi-output trees are not supported)", &n,
                  err))
        return -1;
    if (sk_int_at(root, "$.state.n_features_in_", 1, MAX_FEATURES, "the number of features", &n, err))
        return -1;
    m->n_features = (size_t)n;
    if (sk_labels_read(root, "$.state.classes_", &m->classes, err))
        return -1;
    return tree_read(root, m, err);
}

/* scikit-learn converts X to float32 before the walk (out-of-range values
 * become infinities, as numpy's conversion makes them). */
static double as_float32(double d)
{
    if (d > FLT_MAX)
        return INFINITY;
    if (d < -FLT_MAX)
        return -INFINITY;
    return (double)(float)d;
}

static size_t tree_predict(const void *model, const double *x, double *proba)
{
    const tree_model *m = model;
    size_t i = 0, k = m->classes.count;
    while (m->nodes[i].left != -1) { /* nodes_check: children come after */
        const tree_node *node = &m->nodes[i];
        double v = as_float32(x[node->feature]);
        i = (size_t)((isnan(v) ? node->nan_left : v <= node->threshold) ? node->left : node->right);
    }
    if (proba) { /* predict_proba: the leaf's values over their sum */
        double sum = 0;
        for (size_t c = 0; c < k; c++)
            sum += m->values[i * k + c];
        for (size_t c = 0; c < k; c++)
            proba[c] = m->values[i * k + c] / (sum == 0 ? 1 : sum);
    }
    return m->nodes[i].cls;
}

static const char usage[] = "Usage: sklearn-tree [OPTIONS] MODEL [CSV]\n"
                            "\n"
                            "Loads MODEL, a scikit-learn DecisionTreeClassifier pickled by Python (or the\n"
                            "same value in any format brine reads), and prints the predicted class of\n"
                            "each row of CSV (default: standard input), one line a row.\n"
                            "\n" SK_CLI_OPTIONS;

int main(int argc, char **argv)
{
    sk_cli cli;
    int rc = sk_cli_parse(&cli, argc, argv, usage);
    if (rc >= 0)
        return rc;
    brine_error err;
    brine_error_clear(&err);
    brine_registry *formats = NULL;
    tree_model m = {0};
    /* A pickle may name only what a scikit-learn tree needs. */
    brine_doc *doc = sk_load(cli.model, "sklearn", &formats, &err);
    if (!doc || model_read(brine_doc_root(doc), &m, &err))
        rc = sk_report(cli.prog, cli.model, &err);
    else {
        printf("%s: DecisionTreeClassifier%s%s: %zu nodes, depth %zu, %zu features, classes ", cli.model,
               m.version[0] ? " from scikit-learn " : "", m.version, m.n_nodes, m.depth, m.n_features);
        sk_labels_print(&m.classes);
        putchar('\n');
        sk_predictor p = {m.n_features, &m.classes, &m, tree_predict};
        rc = sk_predict_rows(&p, &cli);
    }
    model_free(&m);
    brine_doc_free(doc);
    brine_registry_free(formats);
    return rc;
}
