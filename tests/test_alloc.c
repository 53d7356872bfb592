/* test_alloc.c: out-of-memory paths, the SQLite way: decoding, encoding and
 * transcoding a representative graph in native, msgpack and json, the graph
 * operations and registry loading, with allocation k failing (once, then from
 * k on) for every k the operation reaches. Each call must return
 * BRINE_E_NOMEM or the same result as without failures, and free all it took. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

#include "check_util.h"

/* ---- the failing allocator ------------------------------------------------ */

enum { FAIL_ONCE, FAIL_FROM };

static struct {
    unsigned long calls;   /* allocations (malloc and realloc) since armed */
    unsigned long fail_at; /* the failing call, 0 for none */
    int mode;
    int failed; /* a call was failed */
    long live;  /* blocks handed out and not yet freed */
} A;

static int should_fail(void)
{
    A.calls++;
    if (A.fail_at && (A.mode == FAIL_ONCE ? A.calls == A.fail_at : A.calls >= A.fail_at)) {
        A.failed = 1;
        return 1;
    }
    return 0;
}

static void *t_malloc(size_t size)
{
    if (should_fail())
        return NULL;
    void *p = malloc(size);
    if (p)
        A.live++;
    return p;
}

static void *t_realloc(void *ptr, size_t size)
{
    if (should_fail())
        return NULL;
    void *p = realloc(ptr, size);
    if (p && !ptr)
        A.live++;
    return p;
}

static void t_free(void *ptr)
{
    if (ptr)
        A.live--;
    free(ptr);
}

static void arm(unsigned long k, int mode)
{
    A.calls = 0;
    A.fail_at = k;
    A.mode = mode;
    A.failed = 0;
}

static void disarm(void)
{
    A.fail_at = 0;
}

/* ---- the representative data ---------------------------------------------- */

static brine_registry *reg;
static const brine_plugin *native, *msgpack, *json;
static const test_format fixture_formats[] = {
    {"native", &native, NULL}, {"msgpack", &msgpack, NULL}, {"json", &json, NULL}, {0}};
static brine_doc *gdoc;
static brine_value *g_refs; /* with a shared dict and a cycle */
static brine_value *g_tree; /* the same without them, for formats without refs */
static brine_doc *copydoc;  /* a copy of g_refs, its root */

/* Reference encodings of the graphs, made before any failure. */
static struct {
    void *native, *native_tree, *mp_refs, *mp_tree, *js_refs, *js_tree, *js_pretty;
    size_t native_len, native_tree_len, mp_refs_len, mp_tree_len, js_refs_len, js_tree_len, js_pretty_len;
} ref;

static const char *const o_refs[] = {"refs"};
static const char *const o_pretty[] = {"pretty", "sort_keys", "ascii"};
static const brine_options opts_refs = {.count = 1, .items = o_refs};
static const brine_options opts_pretty = {.count = 3, .items = o_pretty};

#define OK(x) ck_assert_msg((x), "building the graph failed: %s", #x)

static brine_value *str(const char *s)
{
    brine_value *v = brine_str_new_cstr(gdoc, s, NULL);
    OK(v);
    return v;
}

static void append(brine_value *seq, const brine_value *v)
{
    OK(v && brine_seq_append(seq, v, NULL) == BRINE_OK);
}

static void set(brine_value *dict, const char *key, const brine_value *v)
{
    OK(v && brine_dict_set_str(dict, key, v, NULL) == BRINE_OK);
}

/* Every type, big ints, a dict large enough to be hashed, nesting, a model,
 * and lists long enough to grow a few times. */
static brine_value *build_tree(void)
{
    static const unsigned char big[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x7f}; /* beyond 64 bits */
    brine_value *root = brine_dict_new(gdoc, NULL), *ints = brine_list_new(gdoc, NULL);
    brine_value *floats = brine_list_new(gdoc, NULL), *t = brine_tuple_new(gdoc, NULL);
    brine_value *keys = brine_dict_new(gdoc, NULL), *rows = brine_list_new(gdoc, NULL);
    brine_value *m = brine_model_new(gdoc, "pkg.Point", 9, NULL), *args = brine_tuple_new(gdoc, NULL);
    brine_value *state = brine_dict_new(gdoc, NULL), *kt = brine_tuple_new(gdoc, NULL);
    OK(root && ints && floats && t && keys && rows && m && args && state && kt);
    set(root, "name", str("h\xc3\xa9llo w\xc3\xb6rld \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \"quoted\"\n"));
    set(root, "empty", str(""));
    set(root, "null", brine_null_new(gdoc, NULL));
    set(root, "yes", brine_bool_new(gdoc, 1, NULL));
    for (int i = -40; i < 40; i++)
        append(ints, brine_int_new(gdoc, (int64_t)i * i * i * 1000003, NULL));
    append(ints, brine_int_new(gdoc, INT64_MIN, NULL));
    append(ints, brine_uint_new(gdoc, UINT64_MAX, NULL));
    append(ints, brine_int_new_bytes(gdoc, big, sizeof big, NULL));
    append(ints, brine_int_new_decimal(gdoc, "-1234567890123456789012345678901234567890", 41, NULL));
    set(root, "ints", ints);
    for (int i = 0; i < 40; i++)
        append(floats, brine_float_new(gdoc, i * 0.1 - 1.5, NULL));
    append(floats, brine_float_new(gdoc, -0.0, NULL));
    append(floats, brine_float_new(gdoc, 1e300, NULL));
    append(floats, brine_float_new(gdoc, INFINITY, NULL));
    append(floats, brine_float_new(gdoc, NAN, NULL));
    set(root, "floats", floats);
    set(root, "complex", brine_complex_new(gdoc, 1.5, -2.0, NULL));
    set(root, "bytes", brine_bytes_new(gdoc, "\x00\x01\xff binary", 10, NULL));
    append(t, brine_int_new(gdoc, 1, NULL));
    append(t, str("x"));
    set(root, "tuple", t);
    /* More than eight entries, so that the dict is hashed; keys of several types. */
    for (int i = 0; i < 20; i++) {
        char name[16];
        snprintf(name, sizeof name, "key%02d", i);
        set(keys, name, brine_int_new(gdoc, i, NULL));
    }
    append(kt, brine_int_new(gdoc, 1, NULL));
    append(kt, str("two"));
    OK(brine_dict_set(keys, kt, str("tuple key"), NULL) == BRINE_OK);
    OK(brine_dict_set(keys, brine_int_new(gdoc, 7, NULL), str("int key"), NULL) == BRINE_OK);
    set(root, "keys", keys);
    for (int i = 0; i < 30; i++) {
        brine_value *row = brine_dict_new(gdoc, NULL), *vals = brine_list_new(gdoc, NULL);
        OK(row && vals);
        set(row, "feature", brine_int_new(gdoc, i % 4, NULL));
        set(row, "threshold", brine_float_new(gdoc, i / 7.0, NULL));
        append(vals, brine_float_new(gdoc, 0.25, NULL));
        append(vals, brine_list_new(gdoc, NULL));
        set(row, "value", vals);
        append(rows, row);
    }
    set(root, "rows", rows);
    append(args, brine_int_new(gdoc, 3, NULL));
    append(args, brine_int_new(gdoc, 4, NULL));
    OK(brine_model_set_args(m, args, NULL) == BRINE_OK);
    set(state, "z", brine_float_new(gdoc, 5.0, NULL));
    OK(brine_model_set_state(m, state, NULL) == BRINE_OK);
    set(root, "model", m);
    return root;
}

static void encode_ref(const brine_plugin *fmt, const brine_value *v, const brine_options *opts, void **data,
                       size_t *len)
{
    brine_error err;
    brine_error_clear(&err);
    ck_assert_msg(brine_encode_buffer(fmt, v, opts, data, len, &err) == BRINE_OK, "%s: %s", fmt->name, err.message);
}

/* After the registry fixture: the graphs and their reference encodings. */
static void graphs_setup(void)
{
    brine_error err;
    brine_error_clear(&err);
    gdoc = brine_doc_new();
    ck_assert_ptr_nonnull(gdoc);
    g_tree = build_tree();
    /* g_refs: the tree, a dict it holds twice, and itself. */
    g_refs = brine_list_new(gdoc, NULL);
    OK(g_refs);
    brine_value *shared = brine_dict_get_str(g_tree, "keys");
    append(g_refs, g_tree);
    append(g_refs, shared);
    append(g_refs, g_refs);
    encode_ref(native, g_refs, NULL, &ref.native, &ref.native_len);
    encode_ref(native, g_tree, NULL, &ref.native_tree, &ref.native_tree_len);
    encode_ref(msgpack, g_refs, &opts_refs, &ref.mp_refs, &ref.mp_refs_len);
    encode_ref(msgpack, g_tree, NULL, &ref.mp_tree, &ref.mp_tree_len);
    encode_ref(json, g_refs, &opts_refs, &ref.js_refs, &ref.js_refs_len);
    encode_ref(json, g_tree, NULL, &ref.js_tree, &ref.js_tree_len);
    encode_ref(json, g_tree, &opts_pretty, &ref.js_pretty, &ref.js_pretty_len);
    copydoc = brine_doc_new();
    ck_assert_ptr_nonnull(copydoc);
    brine_value *copy = brine_value_copy(copydoc, g_refs, 0, &err);
    ck_assert_ptr_nonnull(copy);
    ck_assert_int_eq(brine_doc_set_root(copydoc, copy, &err), BRINE_OK);
}

static void graphs_teardown(void)
{
    brine_free(ref.native);
    brine_free(ref.native_tree);
    brine_free(ref.mp_refs);
    brine_free(ref.mp_tree);
    brine_free(ref.js_refs);
    brine_free(ref.js_tree);
    brine_free(ref.js_pretty);
    memset(&ref, 0, sizeof ref);
    brine_doc_free(gdoc);
    brine_doc_free(copydoc);
    gdoc = copydoc = NULL;
}

/* ---- operations ------------------------------------------------------------ */

/* What an operation produced; compared, with the allocator disarmed, to what
 * it produced without failures. */
typedef struct result {
    brine_doc *doc; /* a decoded or copied graph (root) */
    void *bytes;    /* encoded bytes (brine_malloc) */
    size_t len;
    long number; /* a count, a length or a truth value */
} result;

typedef struct op {
    const char *name;
    int (*run)(const struct op *o, result *r, brine_error *err);
    const brine_plugin **from, **to;
    void **input;
    size_t *input_len;
    const brine_options *from_opts, *to_opts;
    brine_value **value;
} op;

static int run_decode(const op *o, result *r, brine_error *err)
{
    r->doc = brine_decode_buffer(*o->from, *o->input, *o->input_len, o->from_opts, err);
    return r->doc ? BRINE_OK : err->code;
}

/* Decoding from a FILE, through the source's own refill buffer. */
static int run_decode_file(const op *o, result *r, brine_error *err)
{
    FILE *fp = tmpfile();
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(*o->input, 1, *o->input_len, fp), *o->input_len);
    rewind(fp);
    brine_source src;
    brine_source_init_file(&src, fp);
    r->doc = brine_decode(*o->from, &src, o->from_opts, err);
    brine_source_destroy(&src);
    fclose(fp);
    return r->doc ? BRINE_OK : err->code;
}

static int run_encode(const op *o, result *r, brine_error *err)
{
    return brine_encode_buffer(*o->to, *o->value, o->to_opts, &r->bytes, &r->len, err);
}

static int run_transcode(const op *o, result *r, brine_error *err)
{
    brine_source src;
    brine_output out;
    int streamed;
    brine_source_init_buffer(&src, *o->input, *o->input_len);
    int rc = brine_output_init_buffer(&out, err);
    if (rc == BRINE_OK)
        rc = brine_transcode(*o->from, &src, o->from_opts, *o->to, &out, o->to_opts, &streamed, err);
    if (rc == BRINE_OK && !(r->bytes = brine_output_take(&out, &r->len)))
        rc = brine_error_set(err, BRINE_E_NOMEM, "brine_output_take returned NULL");
    brine_output_destroy(&out);
    brine_source_destroy(&src);
    return rc;
}

static int run_copy(const op *o, result *r, brine_error *err)
{
    r->doc = brine_doc_new();
    if (!r->doc)
        return brine_error_set(err, BRINE_E_NOMEM, "brine_doc_new returned NULL");
    brine_value *copy = brine_value_copy(r->doc, *o->value, 0, err);
    if (!copy)
        return err->code;
    return brine_doc_set_root(r->doc, copy, err);
}

/* Against a copy, so that the whole graph is compared. */
static int run_equal(const op *o, result *r, brine_error *err)
{
    int eq = brine_value_equal(*o->value, brine_doc_root(copydoc), 0, err);
    if (eq < 0)
        return -eq;
    r->number = eq;
    return BRINE_OK;
}

static int run_repr(const op *o, result *r, brine_error *err)
{
    size_t len = brine_value_repr(*o->value, NULL, 0, 0, err);
    if (len == (size_t)-1)
        return err->code;
    r->number = (long)len;
    return BRINE_OK;
}

static int run_stats(const op *o, result *r, brine_error *err)
{
    size_t count, depth;
    int rc = brine_value_stats(*o->value, 0, &count, &depth, err);
    r->number = (long)(count * 1000 + depth);
    return rc;
}

static int run_registry(const op *o, result *r, brine_error *err)
{
    brine_registry *fresh = brine_registry_new(err);
    if (!fresh)
        return err->code;
    int rc = brine_registry_load(fresh, err);
    r->number = (long)brine_registry_count(fresh);
    if (rc == BRINE_OK && !brine_registry_find(fresh, "json"))
        rc = brine_error_set(err, BRINE_E_NOTFOUND, "the json format was not loaded");
    brine_registry_free(fresh);
    return rc;
}

static void result_free(result *r)
{
    brine_doc_free(r->doc);
    brine_free(r->bytes);
    memset(r, 0, sizeof *r);
}

/* The native encoding of a result's graph: how results are compared. */
static void canonical(result *r)
{
    if (!r->doc)
        return;
    brine_free(r->bytes);
    encode_ref(native, brine_doc_root(r->doc), NULL, &r->bytes, &r->len);
}

/* Runs o with allocation k failing for every k until it is no longer
 * reached, in both modes, and checks every outcome. */
static void exhaust(const op *o)
{
    result want = {0}, got = {0};
    brine_error err;
    long before = A.live, baseline;

    arm(0, FAIL_ONCE);
    brine_error_clear(&err);
    ck_assert_msg(o->run(o, &want, &err) == BRINE_OK, "%s fails without any failing allocation: %s", o->name,
                  err.message);
    disarm();
    /* Every run starts with an empty chunk cache, so that allocation k is
     * the same allocation in each, and cached chunks do not count as live. */
    brine_release_memory();
    canonical(&want);
    unsigned long total = A.calls;
    ck_assert_msg(total > 0, "%s allocated nothing, so nothing was tested", o->name);
    baseline = A.live; /* with want's blocks */

    for (int mode = FAIL_ONCE; mode <= FAIL_FROM; mode++) {
        for (unsigned long k = 1;; k++) {
            ck_assert_msg(k <= 100 * total + 1000, "%s: allocation %lu still fails the operation", o->name, k);
            brine_error_clear(&err);
            arm(k, mode);
            int rc = o->run(o, &got, &err);
            disarm();
            brine_release_memory();
            int reached = A.failed;
            const char *how = mode == FAIL_ONCE ? "once" : "from then on";
            if (rc == BRINE_OK) {
                ck_assert_msg(err.code == BRINE_OK, "%s succeeded with allocation %lu failing %s but left error %d",
                              o->name, k, how, err.code);
                canonical(&got);
                ck_assert_msg(got.len == want.len && got.number == want.number &&
                                  (got.len == 0 || memcmp(got.bytes, want.bytes, got.len) == 0),
                              "%s succeeded with allocation %lu failing %s, with another result", o->name, k, how);
            } else {
                ck_assert_msg(rc == BRINE_E_NOMEM && err.code == BRINE_E_NOMEM,
                              "%s with allocation %lu failing %s returned %d (error %d: %s), not BRINE_E_NOMEM",
                              o->name, k, how, rc, err.code, err.message);
                ck_assert_msg(err.message[0] != '\0', "%s: BRINE_E_NOMEM without a message", o->name);
            }
            result_free(&got);
            ck_assert_msg(A.live == baseline, "%s with allocation %lu failing %s leaked %ld blocks", o->name, k, how,
                          A.live - baseline);
            if (!reached)
                break; /* the operation made fewer than k allocations: all done */
        }
    }
    result_free(&want);
    ck_assert_msg(A.live == before, "%s leaked %ld blocks", o->name, A.live - before);
}

/* ---- the tests ------------------------------------------------------------- */

#define DECODE(n, f, in, o)                                                                                            \
    {                                                                                                                  \
        n, run_decode, &f, NULL, &ref.in, &ref.in##_len, o, NULL, NULL                                                 \
    }
#define ENCODE(n, f, v, o)                                                                                             \
    {                                                                                                                  \
        n, run_encode, NULL, &f, NULL, NULL, NULL, o, &v                                                               \
    }
#define TRANSCODE(n, f, in, fo, t, to)                                                                                 \
    {                                                                                                                  \
        n, run_transcode, &f, &t, &ref.in, &ref.in##_len, fo, to, NULL                                                 \
    }

static const op decode_ops[] = {
    DECODE("decoding native", native, native, NULL),
    DECODE("decoding msgpack with refs", msgpack, mp_refs, &opts_refs),
    DECODE("decoding msgpack", msgpack, mp_tree, NULL),
    DECODE("decoding json with refs", json, js_refs, &opts_refs),
    DECODE("decoding json", json, js_tree, NULL),
    DECODE("decoding pretty json", json, js_pretty, NULL),
    {"decoding native from a file", run_decode_file, &native, NULL, &ref.native, &ref.native_len, NULL, NULL, NULL},
    {"decoding json from a file", run_decode_file, &json, NULL, &ref.js_tree, &ref.js_tree_len, NULL, NULL, NULL},
};

static const op encode_ops[] = {
    ENCODE("encoding native", native, g_refs, NULL),
    ENCODE("encoding msgpack with refs", msgpack, g_refs, &opts_refs),
    ENCODE("encoding msgpack", msgpack, g_tree, NULL),
    ENCODE("encoding json with refs", json, g_refs, &opts_refs),
    ENCODE("encoding json", json, g_tree, NULL),
    ENCODE("encoding json pretty, sorted and ascii", json, g_tree, &opts_pretty),
};

static const op transcode_ops[] = {
    TRANSCODE("transcoding json to msgpack", json, js_tree, NULL, msgpack, NULL),
    TRANSCODE("transcoding msgpack to json, both with refs", msgpack, mp_refs, &opts_refs, json, &opts_refs),
    TRANSCODE("transcoding json with refs to native", json, js_refs, &opts_refs, native, NULL),
    TRANSCODE("transcoding native to msgpack with refs", native, native, NULL, msgpack, &opts_refs),
    /* A decoder that may produce references and an encoder that cannot store
     * them: the value goes through a graph. */
    TRANSCODE("transcoding msgpack read with refs to pretty json", msgpack, mp_tree, &opts_refs, json, &opts_pretty),
    TRANSCODE("transcoding native to json without refs", native, native_tree, NULL, json, NULL),
};

static const op graph_ops[] = {
    {"copying a graph", run_copy, NULL, NULL, NULL, NULL, NULL, NULL, &g_refs},
    {"comparing graphs", run_equal, NULL, NULL, NULL, NULL, NULL, NULL, &g_refs},
    {"printing a graph", run_repr, NULL, NULL, NULL, NULL, NULL, NULL, &g_refs},
    {"counting a graph", run_stats, NULL, NULL, NULL, NULL, NULL, NULL, &g_refs},
    {"loading the registry", run_registry, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};

START_TEST(test_decoding_each_format_fails_cleanly_at_every_allocation)
{
    exhaust(&decode_ops[_i]);
}
END_TEST

START_TEST(test_encoding_each_format_fails_cleanly_at_every_allocation)
{
    exhaust(&encode_ops[_i]);
}
END_TEST

START_TEST(test_transcoding_streamed_or_through_a_graph_fails_cleanly_at_every_allocation)
{
    exhaust(&transcode_ops[_i]);
}
END_TEST

START_TEST(test_graph_operations_and_the_registry_fail_cleanly_at_every_allocation)
{
    exhaust(&graph_ops[_i]);
}
END_TEST

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *alloc_suite(void)
{
    Suite *s = suite_create("alloc");
    TCase *tc = tcase_create("alloc");
    registry_fixture(tc, &reg, fixture_formats);
    tcase_add_checked_fixture(tc, graphs_setup, graphs_teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_decoding_each_format_fails_cleanly_at_every_allocation, 0, COUNT(decode_ops));
    tcase_add_loop_test(tc, test_encoding_each_format_fails_cleanly_at_every_allocation, 0, COUNT(encode_ops));
    tcase_add_loop_test(tc, test_transcoding_streamed_or_through_a_graph_fails_cleanly_at_every_allocation, 0,
                        COUNT(transcode_ops));
    tcase_add_loop_test(tc, test_graph_operations_and_the_registry_fail_cleanly_at_every_allocation, 0,
                        COUNT(graph_ops));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* Before any document or registry exists, as brine_set_allocator asks. */
    brine_set_allocator(t_malloc, t_realloc, t_free);
    return run_suite(alloc_suite());
}
