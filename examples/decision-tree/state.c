/* state.c: the example.DecisionTree model type. to_state writes the tree as
 * plain data, so that `brine show model.json` shows it to a reader:
 *
 *   {'classes': ['B', 'L', 'R'],
 *    'features': ['left_weight', 'left_distance', 'right_weight', 'right_distance'],
 *    'params': {'criterion': 'gini', 'max_depth': 3, 'min_samples_leaf': 5,
 *               'split_seed': 100, 'test_percent': 30, 'train_rows': 437},
 *    'nodes': {'feature': [3, 1, ...], 'threshold': [2.5, 1.5, ..., None],
 *              'left': [1, 3, ..., -1], 'right': [2, 4, ..., -1],
 *              'counts': [[34, 203, 200], ...]}}
 *
 * A leaf has feature, left and right -1 and threshold None. from_state reads
 * a file's state, so it trusts nothing: every type, length and index is
 * checked, and errors carry the path of the offending value. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"

/* ---- to_state ------------------------------------------------------------ */

static brine_value *int_list(brine_doc *doc, const int64_t *v, size_t count, brine_error *err)
{
    brine_value *list = brine_list_new(doc, err);
    if (!list || brine_seq_reserve(list, count, err))
        return NULL;
    for (size_t i = 0; i < count; i++) {
        brine_value *item = brine_int_new(doc, v[i], err);
        if (!item || brine_seq_append(list, item, err))
            return NULL;
    }
    return list;
}

static brine_value *str_list(brine_doc *doc, char *const *v, size_t count, brine_error *err)
{
    brine_value *list = brine_list_new(doc, err);
    for (size_t i = 0; list && i < count; i++) {
        brine_value *item = brine_str_new_cstr(doc, v[i], err);
        if (!item || brine_seq_append(list, item, err))
            return NULL;
    }
    return list;
}

/* Sets key to an int (uint64) in dict. */
static int set_uint(brine_doc *doc, brine_value *dict, const char *key, uint64_t u, brine_error *err)
{
    brine_value *v = brine_uint_new(doc, u, err);
    return v ? brine_dict_set_str(dict, key, v, err) : BRINE_E_NOMEM;
}

static brine_value *params_value(brine_doc *doc, const dt_tree *t, brine_error *err)
{
    brine_value *params = brine_dict_new(doc, err);
    brine_value *gini = params ? brine_str_new_cstr(doc, "gini", err) : NULL;
    if (!gini || brine_dict_set_str(params, "criterion", gini, err) ||
        set_uint(doc, params, "max_depth", t->params.max_depth, err) ||
        set_uint(doc, params, "min_samples_leaf", t->params.min_samples_leaf, err) ||
        set_uint(doc, params, "split_seed", t->params.seed, err) ||
        set_uint(doc, params, "test_percent", t->params.test_percent, err) ||
        set_uint(doc, params, "train_rows", t->train_rows, err))
        return NULL;
    return params;
}

static brine_value *nodes_value(brine_doc *doc, const dt_tree *t, brine_error *err)
{
    brine_value *nodes = brine_dict_new(doc, err);
    brine_value *threshold = nodes ? brine_list_new(doc, err) : NULL;
    brine_value *counts = threshold ? brine_list_new(doc, err) : NULL;
    if (!counts)
        return NULL;
    for (size_t i = 0; i < t->n_nodes; i++) {
        brine_value *thr =
            t->feature[i] == DT_LEAF ? brine_null_new(doc, err) : brine_float_new(doc, t->threshold[i], err);
        brine_value *row = thr ? brine_list_new(doc, err) : NULL;
        if (!row || brine_seq_append(threshold, thr, err))
            return NULL;
        for (size_t k = 0; k < t->n_classes; k++) {
            brine_value *c = brine_uint_new(doc, t->counts[i * t->n_classes + k], err);
            if (!c || brine_seq_append(row, c, err))
                return NULL;
        }
        if (brine_seq_append(counts, row, err))
            return NULL;
    }
    brine_value *feature = int_list(doc, t->feature, t->n_nodes, err);
    brine_value *left = feature ? int_list(doc, t->left, t->n_nodes, err) : NULL;
    brine_value *right = left ? int_list(doc, t->right, t->n_nodes, err) : NULL;
    if (!right || brine_dict_set_str(nodes, "feature", feature, err) ||
        brine_dict_set_str(nodes, "threshold", threshold, err) || brine_dict_set_str(nodes, "left", left, err) ||
        brine_dict_set_str(nodes, "right", right, err) || brine_dict_set_str(nodes, "counts", counts, err))
        return NULL;
    return nodes;
}

static brine_value *tree_to_state(const void *obj, brine_doc *doc, brine_error *err)
{
    const dt_tree *t = obj;
    brine_value *state = brine_dict_new(doc, err);
    brine_value *classes = state ? str_list(doc, t->classes, t->n_classes, err) : NULL;
    brine_value *features = classes ? str_list(doc, t->features, t->n_features, err) : NULL;
    brine_value *params = features ? params_value(doc, t, err) : NULL;
    brine_value *nodes = params ? nodes_value(doc, t, err) : NULL;
    if (!nodes || brine_dict_set_str(state, "classes", classes, err) ||
        brine_dict_set_str(state, "features", features, err) || brine_dict_set_str(state, "params", params, err) ||
        brine_dict_set_str(state, "nodes", nodes, err))
        return NULL;
    return state;
}

/* ---- from_state ------------------------------------------------------------ */

/* The checked getters of <brine/brine.h> find each value by its path in
 * the state and refuse a wrong type or a missing key with that path
 * ("expected int, found str at $.nodes.left[3]"; brine puts it under
 * $.state). What they cannot know is the tree's own rules: the ranges and
 * counts below. */

/* A rule of the tree broken at path: code, a message and the path. */
static int refuse(brine_error *err, int code, const char *path, const char *msg)
{
    brine_error_clear(err);
    brine_error_set(err, code, "%s", msg);
    snprintf(err->path, sizeof err->path, "%s", path);
    return code;
}

/* The int at path, which must lie in [lo, hi]. */
static int int_at(const brine_value *state, const char *path, int64_t lo, int64_t hi, int64_t *out, brine_error *err)
{
    int rc = brine_get_int64(state, path, out, err);
    if (rc == BRINE_E_RANGE || (rc == BRINE_OK && (*out < lo || *out > hi))) {
        char msg[96];
        snprintf(msg, sizeof msg, "expected an int from %lld to %lld", (long long)lo, (long long)hi);
        return refuse(err, BRINE_E_RANGE, path, msg);
    }
    return rc;
}

static int uint_at(const brine_value *state, const char *path, uint64_t hi, uint64_t *out, brine_error *err)
{
    int rc = brine_get_uint64(state, path, out, err);
    if (rc == BRINE_E_RANGE || (rc == BRINE_OK && *out > hi)) {
        char msg[96];
        snprintf(msg, sizeof msg, "expected an int from 0 to %llu", (unsigned long long)hi);
        return refuse(err, BRINE_E_RANGE, path, msg);
    }
    return rc;
}

/* A list of non-empty strs without NUL bytes, copied into out[count]. */
static int get_strs(const brine_value *state, const char *key, char ***out, size_t *count, brine_error *err)
{
    char at[128];
    brine_value *list;
    snprintf(at, sizeof at, "$.%s", key);
    if (brine_get_list(state, at, &list, err))
        return err->code;
    size_t n = brine_seq_count(list);
    if (n == 0)
        return refuse(err, BRINE_E_MODEL, at, "the tree needs at least one entry");
    *out = calloc(n, sizeof **out);
    if (!*out)
        return refuse(err, BRINE_E_NOMEM, at, "out of memory");
    *count = n;
    for (size_t i = 0; i < n; i++) {
        const char *text;
        size_t len;
        snprintf(at, sizeof at, "$.%s[%zu]", key, i);
        if (brine_get_str(state, at, &text, &len, err))
            return err->code;
        if (len == 0 || memchr(text, '\0', len))
            return refuse(err, BRINE_E_MODEL, at, "a name must be non-empty and free of NUL bytes");
        if (!((*out)[i] = strdup(text)))
            return refuse(err, BRINE_E_NOMEM, at, "out of memory");
    }
    return BRINE_OK;
}

/* Reads node i's feature, threshold, children and counts into t. */
static int read_node(dt_tree *t, size_t i, const brine_value *state, brine_error *err)
{
    char at[128];
    int64_t feature, left, right, n = (int64_t)t->n_nodes;
    snprintf(at, sizeof at, "$.nodes.feature[%zu]", i);
    if (int_at(state, at, -1, (int64_t)t->n_features - 1, &feature, err))
        return err->code;
    /* Children after their parent: the walk down a loaded tree must end. */
    int64_t lo = feature == DT_LEAF ? -1 : (int64_t)i + 1, hi = feature == DT_LEAF ? -1 : n - 1;
    snprintf(at, sizeof at, "$.nodes.left[%zu]", i);
    if (int_at(state, at, lo, hi, &left, err))
        return err->code;
    snprintf(at, sizeof at, "$.nodes.right[%zu]", i);
    if (int_at(state, at, lo, hi, &right, err))
        return err->code;
    snprintf(at, sizeof at, "$.nodes.threshold[%zu]", i);
    if (feature == DT_LEAF) {
        brine_value *thr = brine_path_get(state, at, err);
        if (brine_type_of(thr) != BRINE_NULL) {
            char msg[64];
            snprintf(msg, sizeof msg, "a leaf's threshold is None, not a %s", brine_type_name(brine_type_of(thr)));
            return refuse(err, BRINE_E_TYPE, at, msg);
        }
    } else {
        /* Some tools write 3.0 as 3: brine_get_double takes an int as
         * Python's float() does; the threshold must also be finite. */
        double d;
        if (brine_get_double(state, at, &d, err))
            return err->code;
        if (!isfinite(d))
            return refuse(err, BRINE_E_TYPE, at, "a threshold is a finite float");
        t->threshold[i] = d;
    }
    snprintf(at, sizeof at, "$.nodes.counts[%zu]", i);
    brine_value *row;
    if (brine_get_list(state, at, &row, err))
        return err->code;
    if (brine_seq_count(row) != t->n_classes) {
        char msg[64];
        snprintf(msg, sizeof msg, "expected a list of %zu class counts", t->n_classes);
        return refuse(err, BRINE_E_MODEL, at, msg);
    }
    for (size_t k = 0; k < t->n_classes; k++) {
        int64_t c;
        snprintf(at, sizeof at, "$.nodes.counts[%zu][%zu]", i, k);
        if (int_at(state, at, 0, INT64_MAX, &c, err))
            return err->code;
        t->counts[i * t->n_classes + k] = (uint64_t)c;
    }
    t->feature[i] = feature;
    t->left[i] = left;
    t->right[i] = right;
    return BRINE_OK;
}

static void *tree_from_state(const brine_value *state, brine_error *err)
{
    static const char *const keys[5] = {"feature", "threshold", "left", "right", "counts"};
    char **classes = NULL, **features = NULL;
    size_t n_classes = 0, n_features = 0, n_nodes = 0;
    dt_tree *t = NULL;
    dt_params p;
    uint64_t u, train_rows;
    const char *criterion;
    if (brine_get_dict(state, NULL, NULL, err) || get_strs(state, "classes", &classes, &n_classes, err) ||
        get_strs(state, "features", &features, &n_features, err) ||
        brine_get_str(state, "$.params.criterion", &criterion, NULL, err))
        goto fail;
    if (strcmp(criterion, "gini") != 0) {
        refuse(err, BRINE_E_MODEL, "$.params.criterion", "this program only knows the 'gini' criterion");
        goto fail;
    }
    if (uint_at(state, "$.params.max_depth", UINT32_MAX, &u, err))
        goto fail;
    p.max_depth = (uint32_t)u;
    if (uint_at(state, "$.params.min_samples_leaf", UINT32_MAX, &u, err))
        goto fail;
    p.min_samples_leaf = (uint32_t)u;
    if (uint_at(state, "$.params.split_seed", UINT64_MAX, &p.seed, err) ||
        uint_at(state, "$.params.test_percent", 100, &u, err))
        goto fail;
    p.test_percent = (uint32_t)u;
    if (uint_at(state, "$.params.train_rows", UINT64_MAX, &train_rows, err))
        goto fail;
    for (int k = 0; k < 5; k++) {
        char at[64], msg[128];
        brine_value *list;
        snprintf(at, sizeof at, "$.nodes.%s", keys[k]);
        if (brine_get_list(state, at, &list, err))
            goto fail;
        if (k == 0 && (n_nodes = brine_seq_count(list)) == 0) {
            refuse(err, BRINE_E_MODEL, at, "a tree has at least one node");
            goto fail;
        }
        if (brine_seq_count(list) != n_nodes) {
            snprintf(msg, sizeof msg, "'%s' has %zu entries but 'feature' has %zu", keys[k], brine_seq_count(list),
                     n_nodes);
            refuse(err, BRINE_E_MODEL, at, msg);
            goto fail;
        }
    }
    if (!(t = dt_tree_alloc(n_features, n_classes, n_nodes))) {
        refuse(err, BRINE_E_NOMEM, "$.nodes", "out of memory");
        goto fail;
    }
    /* The tree takes over the names (dt_tree_free frees them). */
    free(t->classes);
    free(t->features);
    t->classes = classes;
    t->features = features;
    classes = features = NULL;
    t->params = p;
    t->train_rows = train_rows;
    for (size_t i = 0; i < n_nodes; i++)
        if (read_node(t, i, state, err))
            goto fail;
    return t;
fail:
    if (t) {
        dt_tree_free(t);
    } else {
        for (size_t i = 0; classes && i < n_classes; i++)
            free(classes[i]);
        for (size_t i = 0; features && i < n_features; i++)
            free(features[i]);
        free(classes);
        free(features);
    }
    return NULL;
}

int dt_register(brine_models *models, brine_error *err)
{
    static const brine_model_type type = {
        .name = DT_TYPE_NAME,
        .version = DT_VERSION,
        .to_state = tree_to_state,
        .from_state = tree_from_state,
        .destroy = dt_tree_free,
    };
    return brine_models_register(models, &type, err);
}
