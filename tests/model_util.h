/* model_util.h: what test_model.c and test_model_errors.c share: three
 * model types (test.Point, a plain struct; test.Counter version 2, with an
 * upgrade from 1; test.Graph, an object that is a brine graph), callback
 * counters, the fixtures (the three formats and a set with the types) and
 * helpers. Static: each test program gets its own copy. */
#ifndef BRINE_TEST_MODEL_UTIL_H
#define BRINE_TEST_MODEL_UTIL_H

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <brine/model.h>

#include "check_util.h"

static brine_registry *reg;
static const brine_plugin *native, *json, *msgpack;
static const test_format fixture_formats[] = {
    {"native", &native, NULL}, {"json", &json, NULL}, {"msgpack", &msgpack, NULL}, {0}};
static brine_models *models;

static const char *const refs_items[] = {"refs"};
static const brine_options refs = {.count = 1, .items = refs_items};

/* The options that keep shared references in fmt. */
static inline const brine_options *refs_for(const brine_plugin *fmt)
{
    return fmt == native ? NULL : &refs;
}

/* Calls of every callback, to show which ones a load runs. */
static int to_state_calls, from_state_calls, upgrade_calls, destroy_calls;

/* ---- test.Point: a plain C struct ----------------------------------------- */

typedef struct point {
    double x, y;
    char *label;
} point;

static brine_value *point_to_state(const void *obj, brine_doc *doc, brine_error *err)
{
    const point *p = obj;
    to_state_calls++;
    brine_value *d = brine_dict_new(doc, err);
    brine_value *x = brine_float_new(doc, p->x, err), *y = brine_float_new(doc, p->y, err);
    brine_value *label = brine_str_new_cstr(doc, p->label, err);
    if (!d || !x || !y || !label || brine_dict_set_str(d, "x", x, err) || brine_dict_set_str(d, "y", y, err) ||
        brine_dict_set_str(d, "label", label, err))
        return NULL;
    return d;
}

static void *point_from_state(const brine_value *state, brine_error *err)
{
    from_state_calls++;
    const brine_value *x = brine_dict_get_str(state, "x"), *y = brine_dict_get_str(state, "y");
    const brine_value *label = brine_dict_get_str(state, "label");
    if (brine_type_of(x) != BRINE_FLOAT || brine_type_of(y) != BRINE_FLOAT || brine_type_of(label) != BRINE_STR) {
        brine_error_set(err, BRINE_E_TYPE, "a point needs float x and y and a str label");
        return NULL;
    }
    point *p = malloc(sizeof *p);
    if (!p || !(p->label = strdup(brine_str_get(label, NULL)))) {
        free(p);
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    p->x = brine_float_get(x);
    p->y = brine_float_get(y);
    return p;
}

static void point_destroy(void *obj)
{
    point *p = obj;
    destroy_calls++;
    free(p->label);
    free(p);
}

static const brine_model_type point_type = {
    .name = "test.Point",
    .version = 1,
    .to_state = point_to_state,
    .from_state = point_from_state,
    .destroy = point_destroy,
};

/* ---- test.Counter: versions 1 (state: the count) and 2 ({'count', 'step'}) - */

typedef struct counter {
    int64_t count, step;
} counter;

static brine_value *counter_v2_to_state(const void *obj, brine_doc *doc, brine_error *err)
{
    const counter *c = obj;
    to_state_calls++;
    brine_value *d = brine_dict_new(doc, err);
    if (!d || brine_dict_set_str(d, "count", brine_int_new(doc, c->count, err), err) ||
        brine_dict_set_str(d, "step", brine_int_new(doc, c->step, err), err))
        return NULL;
    return d;
}

static void *counter_v2_from_state(const brine_value *state, brine_error *err)
{
    from_state_calls++;
    counter *c = malloc(sizeof *c);
    if (!c || brine_int_get_i64(brine_dict_get_str(state, "count"), &c->count) ||
        brine_int_get_i64(brine_dict_get_str(state, "step"), &c->step)) {
        free(c);
        brine_error_set(err, BRINE_E_TYPE, "a counter's state is {'count': int, 'step': int}");
        snprintf(err->path, sizeof err->path, "$.count");
        return NULL;
    }
    return c;
}

/* Version 1 saved only the count; version 2 adds the step, 1 before. */
static brine_value *counter_upgrade(brine_doc *doc, const brine_value *state, uint32_t from_version, brine_error *err)
{
    upgrade_calls++;
    int64_t count;
    if (from_version != 1 || brine_int_get_i64(state, &count)) {
        brine_error_set(err, BRINE_E_TYPE, "cannot upgrade this counter state");
        return NULL;
    }
    brine_value *d = brine_dict_new(doc, err);
    if (!d || brine_dict_set_str(d, "count", state, err) ||
        brine_dict_set_str(d, "step", brine_int_new(doc, 1, err), err))
        return NULL;
    return d;
}

static void counter_destroy(void *obj)
{
    destroy_calls++;
    free(obj);
}

static const brine_model_type counter_v2 = {
    .name = "test.Counter",
    .version = 2,
    .to_state = counter_v2_to_state,
    .from_state = counter_v2_from_state,
    .upgrade = counter_upgrade,
    .destroy = counter_destroy,
};

/* ---- test.Graph: an object that is a brine graph (to test sharing) -------- */

typedef struct graph {
    brine_doc *doc;
    brine_value *value;
} graph;

static brine_value *graph_to_state(const void *obj, brine_doc *doc, brine_error *err)
{
    to_state_calls++;
    const graph *g = obj;
    return brine_value_copy(doc, g->value, 0, err);
}

/* Keeps a copy of the state: brine_value_copy preserves sharing and cycles,
 * so the copy shows what the load produced. */
static void *graph_from_state(const brine_value *state, brine_error *err)
{
    from_state_calls++;
    graph *g = malloc(sizeof *g);
    if (!g || !(g->doc = brine_doc_new())) {
        free(g);
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    if (!(g->value = brine_value_copy(g->doc, state, 0, err))) {
        brine_doc_free(g->doc);
        free(g);
        return NULL;
    }
    return g;
}

static void graph_destroy(void *obj)
{
    graph *g = obj;
    destroy_calls++;
    brine_doc_free(g->doc);
    free(g);
}

static const brine_model_type graph_type = {
    .name = "test.Graph",
    .version = 1,
    .to_state = graph_to_state,
    .from_state = graph_from_state,
    .destroy = graph_destroy,
};

/* ---- fixtures and helpers ------------------------------------------------- */

/* The registry fixture (check_util.h) and then this one: the model set. */
static void models_setup(void)
{
    brine_error err;
    brine_error_clear(&err);
    models = brine_models_new(&err);
    ck_assert_ptr_nonnull(models);
    ck_assert_int_eq(brine_models_register(models, &point_type, &err), BRINE_OK);
    ck_assert_int_eq(brine_models_register(models, &counter_v2, &err), BRINE_OK);
    ck_assert_int_eq(brine_models_register(models, &graph_type, &err), BRINE_OK);
    to_state_calls = from_state_calls = upgrade_calls = destroy_calls = 0;
}

static void models_teardown(void)
{
    brine_models_free(models);
}

static inline void model_fixtures(TCase *tc)
{
    registry_fixture(tc, &reg, fixture_formats);
    tcase_add_checked_fixture(tc, models_setup, models_teardown);
}

static inline const brine_plugin *const *all_formats(void)
{
    static const brine_plugin *list[4];
    list[0] = native;
    list[1] = json;
    list[2] = msgpack;
    list[3] = NULL;
    return list;
}

/* Encodes v with fmt (and opts) into a new buffer. */
static inline void *encode(const brine_plugin *fmt, const brine_value *v, const brine_options *opts, size_t *len)
{
    void *data;
    brine_error err;
    brine_error_clear(&err);
    ck_assert_msg(brine_encode_buffer(fmt, v, opts, &data, len, &err) == BRINE_OK, "%s: %s", fmt->name, err.message);
    return data;
}

/* Saves the bytes of v in fmt to a temporary directory under name, returns
 * the path (static storage). */
static char tmpdir[64];

static inline void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/brine-model-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static inline const char *tmp_path(const char *name)
{
    static char path[4][128];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", tmpdir, name);
    return p;
}

static inline void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

/* A model value for an unregistered type, with every kind of value and a
 * shared list in its args and state. */
static inline brine_value *foreign_model(brine_doc *doc)
{
    brine_value *m = brine_model_new(doc, "other.Thing", 11, NULL);
    brine_value *args = brine_tuple_new(doc, NULL), *state = brine_dict_new(doc, NULL);
    brine_value *shared = brine_list_new(doc, NULL), *inner = brine_model_new(doc, "other.Inner", 11, NULL);
    brine_seq_append(shared, brine_int_new(doc, -7, NULL), NULL);
    brine_seq_append(args, brine_int_new(doc, 3, NULL), NULL);
    brine_seq_append(args, brine_str_new_cstr(doc, "caf\xc3\xa9", NULL), NULL);
    brine_seq_append(args, shared, NULL);
    brine_model_set_args(m, args, NULL);
    brine_dict_set_str(state, "bytes", brine_bytes_new(doc, "\x00\xff", 2, NULL), NULL);
    brine_dict_set_str(state, "big", brine_int_new_decimal(doc, "-123456789012345678901234567890", 31, NULL), NULL);
    brine_dict_set_str(state, "u64", brine_uint_new(doc, UINT64_MAX, NULL), NULL);
    brine_dict_set_str(state, "neg0", brine_float_new(doc, -0.0, NULL), NULL);
    brine_dict_set_str(state, "z", brine_complex_new(doc, 1.5, -2.0, NULL), NULL);
    brine_dict_set_str(state, "again", shared, NULL);
    brine_dict_set(state, brine_int_new(doc, 1, NULL), brine_bool_new(doc, 1, NULL), NULL);
    brine_model_set_state(inner, brine_null_new(doc, NULL), NULL);
    brine_dict_set_str(state, "inner", inner, NULL);
    brine_model_set_state(m, state, NULL);
    return m;
}

#endif /* BRINE_TEST_MODEL_UTIL_H */
