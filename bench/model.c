/* model.c: the generated model-like workload: what a saved ML model looks
 * like to a serializer (a few metadata strings, big float vectors, many
 * small tree-node dicts). Deterministic: splitmix64 from a fixed seed, and
 * bench/pickle_anchor.py draws the same numbers in the same order, so both
 * benchmarks measure the very same value.
 */
#include <stdio.h>

#include "bench.h"

static uint64_t rng_state;

/* splitmix64 (Steele, Lea, Flood 2014): tiny, and easy to mirror exactly
 * in Python with 64-bit masking. */
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* A double in [-1, 1): every step is exact or correctly rounded, so Python
 * computes the same bits. */
static double rng_unit(void)
{
    return (double)(rng_next() >> 11) * 0x1.0p-53 * 2.0 - 1.0;
}

static int add_float(brine_doc *doc, brine_value *list, double f, brine_error *err)
{
    brine_value *v = brine_float_new(doc, f, err);
    return v ? brine_seq_append(list, v, err) : BRINE_E_NOMEM;
}

static int add_int(brine_doc *doc, brine_value *dict, const char *key, int64_t i, brine_error *err)
{
    brine_value *v = brine_int_new(doc, i, err);
    return v ? brine_dict_set_str(dict, key, v, err) : BRINE_E_NOMEM;
}

static int add_str(brine_doc *doc, brine_value *dict, const char *key, const char *s, brine_error *err)
{
    brine_value *v = brine_str_new_cstr(doc, s, err);
    return v ? brine_dict_set_str(dict, key, v, err) : BRINE_E_NOMEM;
}

static int make_node(brine_doc *doc, brine_value *nodes, int64_t i, brine_error *err)
{
    brine_value *node = brine_dict_new(doc, err);
    brine_value *value = brine_list_new(doc, err);
    brine_value *threshold;
    if (!node || !value)
        return BRINE_E_NOMEM;
    int rc = add_int(doc, node, "feature", (int64_t)(rng_next() % 256), err);
    if (rc)
        return rc;
    if (!(threshold = brine_float_new(doc, rng_unit(), err)))
        return BRINE_E_NOMEM;
    if ((rc = brine_dict_set_str(node, "threshold", threshold, err)) ||
        (rc = add_int(doc, node, "left", 2 * i + 1, err)) || (rc = add_int(doc, node, "right", 2 * i + 2, err)))
        return rc;
    for (int k = 0; k < 3; k++)
        if ((rc = add_float(doc, value, rng_unit(), err)))
            return rc;
    if ((rc = brine_dict_set_str(node, "value", value, err)))
        return rc;
    return brine_seq_append(nodes, node, err);
}

static int build(brine_doc *doc, brine_error *err)
{
    brine_value *root = brine_dict_new(doc, err);
    if (!root)
        return BRINE_E_NOMEM;
    int rc;
    if ((rc = add_str(doc, root, "name", "brine-bench-model", err)) ||
        (rc = add_str(doc, root, "framework", "gbdt", err)) || (rc = add_str(doc, root, "version", "1.0.3", err)) ||
        (rc = add_str(doc, root, "created", "2025-01-01T00:00:00Z", err)))
        return rc;

    rng_state = 0x6272696E65u; /* "brine" */
    for (int l = 0; l < BENCH_MODEL_LISTS; l++) {
        char key[32];
        snprintf(key, sizeof key, "layer_%d", l);
        brine_value *list = brine_list_new(doc, err);
        if (!list)
            return BRINE_E_NOMEM;
        if ((rc = brine_seq_reserve(list, BENCH_MODEL_FLOATS, err)))
            return rc;
        for (int i = 0; i < BENCH_MODEL_FLOATS; i++)
            if ((rc = add_float(doc, list, rng_unit(), err)))
                return rc;
        if ((rc = brine_dict_set_str(root, key, list, err)))
            return rc;
    }

    brine_value *nodes = brine_list_new(doc, err);
    if (!nodes)
        return BRINE_E_NOMEM;
    if ((rc = brine_seq_reserve(nodes, BENCH_MODEL_NODES, err)))
        return rc;
    for (int64_t i = 0; i < BENCH_MODEL_NODES; i++)
        if ((rc = make_node(doc, nodes, i, err)))
            return rc;
    if ((rc = brine_dict_set_str(root, "nodes", nodes, err)))
        return rc;
    return brine_doc_set_root(doc, root, err);
}

brine_doc *bench_model_new(brine_error *err)
{
    brine_doc *doc = brine_doc_new();
    if (!doc) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    if (build(doc, err) != BRINE_OK) {
        brine_doc_free(doc);
        return NULL;
    }
    return doc;
}
