/* test_engine.c: the walker, the builder, transcoding, byte sources and
 * outputs, and options, through the test-only evtext (stores references)
 * and evplain (does not) formats. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <brine/format.h>

#include "check_util.h"

static brine_registry *reg;
static const brine_plugin *evtext, *evplain;
static const test_format fixture_formats[] = {{"evtext", &evtext, BRINE_TEST_BUILDDIR "/evtext.la"},
                                              {"evplain", &evplain, BRINE_TEST_BUILDDIR "/evplain.la"},
                                              {0}};

/* Encodes v with fmt into a NUL-terminated string (caller frees), or NULL
 * with err filled. */
static char *encode(const brine_plugin *fmt, const brine_value *v, size_t max_depth, brine_error *err)
{
    brine_options opts = {.max_depth = max_depth};
    void *data = NULL;
    size_t len;
    brine_error_clear(err);
    if (brine_encode_buffer(fmt, v, &opts, &data, &len, err) != BRINE_OK)
        return NULL;
    return data;
}

static brine_doc *decode(const brine_plugin *fmt, const char *text, size_t max_depth, brine_error *err)
{
    brine_options opts = {.max_depth = max_depth};
    brine_error_clear(err);
    return brine_decode_buffer(fmt, text, strlen(text), &opts, err);
}

/* [x, x, 3] with one shared x = [1]. */
static brine_value *shared_pair(brine_doc *doc)
{
    brine_value *outer = brine_list_new(doc, NULL), *x = brine_list_new(doc, NULL);
    brine_seq_append(x, brine_int_new(doc, 1, NULL), NULL);
    brine_seq_append(outer, x, NULL);
    brine_seq_append(outer, x, NULL);
    brine_seq_append(outer, brine_int_new(doc, 3, NULL), NULL);
    return outer;
}

START_TEST(test_walker_anchors_only_shared_containers_when_the_sink_stores_refs)
{
    brine_doc *doc = brine_doc_new();
    brine_error err;
    char *text = encode(evtext, shared_pair(doc), 0, &err);
    ck_assert_msg(text, "%s", err.message);
    ck_assert_str_eq(text, "[3 &1[1 i1 ] *1 i3 ] ");
    brine_free(text);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_walker_expands_shared_containers_for_a_sink_without_refs)
{
    brine_doc *doc = brine_doc_new();
    brine_error err;
    char *text = encode(evplain, shared_pair(doc), 0, &err);
    ck_assert_msg(text, "%s", err.message);
    ck_assert_str_eq(text, "[3 [1 i1 ] [1 i1 ] i3 ] ");
    brine_free(text);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_walker_refuses_a_cycle_for_a_sink_without_refs_and_names_the_path)
{
    brine_doc *doc = brine_doc_new();
    brine_error err;
    brine_value *d = brine_dict_new(doc, NULL), *l = brine_list_new(doc, NULL);
    brine_seq_append(l, brine_int_new(doc, 7, NULL), NULL);
    brine_seq_append(l, d, NULL);
    brine_dict_set_str(d, "users", l, NULL);
    ck_assert_ptr_null(encode(evplain, d, 0, &err));
    expect_error(&err, BRINE_E_CYCLE, ANY_OFFSET, "$.users[1]", "circular reference detected");
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_walker_writes_a_cycle_as_a_reference_for_a_sink_with_refs)
{
    brine_doc *doc = brine_doc_new();
    brine_error err;
    brine_value *l = brine_list_new(doc, NULL);
    brine_seq_append(l, l, NULL);
    char *text = encode(evtext, l, 0, &err);
    ck_assert_msg(text, "%s", err.message);
    ck_assert_str_eq(text, "&1[1 *1 ] ");
    brine_free(text);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_walker_sends_every_scalar_kind)
{
    brine_doc *doc = brine_doc_new();
    brine_error err;
    brine_value *t = brine_tuple_new(doc, NULL);
    brine_seq_append(t, brine_null_new(doc, NULL), NULL);
    brine_seq_append(t, brine_bool_new(doc, 1, NULL), NULL);
    brine_seq_append(t, brine_int_new(doc, INT64_MIN, NULL), NULL);
    brine_seq_append(t, brine_uint_new(doc, UINT64_MAX, NULL), NULL);
    brine_seq_append(t, brine_float_new(doc, -0.0, NULL), NULL);
    brine_seq_append(t, brine_complex_new(doc, 1.0, 2.0, NULL), NULL);
    brine_seq_append(t, brine_str_new(doc, "a\0b", 3, NULL), NULL);
    brine_seq_append(t, brine_bytes_new(doc, "\xff", 1, NULL), NULL);
    brine_value *m = brine_model_new(doc, "pkg.T", 5, NULL);
    brine_model_set_state(m, brine_int_new(doc, 5, NULL), NULL);
    brine_seq_append(t, m, NULL);
    char *text = encode(evtext, t, 0, &err);
    ck_assert_msg(text, "%s", err.message);
    const char expect[] = "(9 N T i-9223372036854775808 u18446744073709551615 f8000000000000000 "
                          "c3ff0000000000000,4000000000000000 s3:a\0b y1:\xff M5:pkg.T (0 ] i5 ] ] ";
    ck_assert_mem_eq(text, expect, sizeof expect - 1);
    brine_free(text);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_exponential_expansion_of_shared_containers_stops_with_an_error)
{
    /* l[i+1] = [l[i], l[i]]: 64 levels stand for 2^64 lists without refs. */
    brine_doc *doc = brine_doc_new();
    brine_value *l = brine_list_new(doc, NULL);
    for (int i = 0; i < 64; i++) {
        brine_value *up = brine_list_new(doc, NULL);
        brine_seq_append(up, l, NULL);
        brine_seq_append(up, l, NULL);
        l = up;
    }
    brine_error err;
    ck_assert_ptr_null(encode(evplain, l, 0, &err));
    ck_assert_int_eq(err.code, BRINE_E_RANGE);
    ck_assert_ptr_nonnull(strstr(err.message, "use a format option that keeps references (refs)"));
    /* With references it is 65 small lists. */
    char *text = encode(evtext, l, 0, &err);
    ck_assert_msg(text, "%s", err.message);
    ck_assert_uint_lt(strlen(text), 2000);
    brine_free(text);
    brine_doc_free(doc);

    /* Wide sharing: 100,000 ints in one list, shared 1,000 times, would
     * be 10^8 values. The budget counts a container's children when it
     * opens, so this stops within a few copies. */
    doc = brine_doc_new();
    brine_value *big = brine_list_new(doc, NULL), *root = brine_list_new(doc, NULL);
    for (int i = 0; i < 100000; i++)
        ck_assert_int_eq(brine_seq_append(big, brine_int_new(doc, i, NULL), NULL), BRINE_OK);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(brine_seq_append(root, big, NULL), BRINE_OK);
    ck_assert_ptr_null(encode(evplain, root, 0, &err));
    ck_assert_int_eq(err.code, BRINE_E_RANGE);
    ck_assert_int_eq(strncmp(err.path, "$[", 2), 0);
    ck_assert_int_lt(atoi(err.path + 2), 100);
    /* Moderate sharing is written out: a 3-int list shared 100,000 times. */
    brine_value *small = brine_list_new(doc, NULL), *many = brine_list_new(doc, NULL);
    for (int i = 0; i < 3; i++)
        brine_seq_append(small, brine_int_new(doc, i, NULL), NULL);
    for (int i = 0; i < 100000; i++)
        brine_seq_append(many, small, NULL);
    text = encode(evplain, many, 0, &err);
    ck_assert_msg(text, "%s", err.message);
    brine_free(text);
    brine_doc_free(doc);
}
END_TEST

/* ---- the expansion limit in bytes ------------------------------------------ */

/* A sink that keeps only the bytes of str data it is sent. */
typedef struct counting_sink {
    brine_sink sink;
    uint64_t str_bytes;
} counting_sink;

static int counting_event(brine_sink *sink, const brine_event *ev)
{
    if (ev->kind == BRINE_EV_STR)
        ((counting_sink *)sink)->str_bytes += ev->v.s.len;
    return BRINE_OK;
}

START_TEST(test_expanding_a_shared_str_stops_at_the_byte_limit_with_the_path)
{
    /* 4,096 slots of one 1 MiB str, directly (its blob is shared, so even
     * a sink with references is sent it 4,096 times) or in one shared
     * list [s] (a sink with references gets REFs): 4 GiB without a limit.
     * The walk counts 16 bytes a value and every str's data; the root
     * opens with 4,097 values, then each copy adds its values and 1 MiB. */
    enum { COPIES = 4096, MIB = 1 << 20 };
    static const struct {
        int in_list, refs;
        uint32_t ratio;
        uint64_t bytes;
        int code;
    } cases[] = {
        {1, 0, 0, 0, BRINE_E_RANGE},            /* the defaults: 8 x memory + 64 MiB */
        {1, 0, 5000, 0, BRINE_OK},              /* the ratio raised */
        {1, 0, 0, (uint64_t)5 << 30, BRINE_OK}, /* the bytes raised */
        {1, 0, 10, MIB, BRINE_E_RANGE},         /* lowered */
        {1, 1, 0, 0, BRINE_OK},                 /* the list is sent once, then REFs */
        {0, 1, 0, 0, BRINE_E_RANGE},            /* the str itself is sent again */
        {0, 0, 0, 0, BRINE_E_RANGE},
        {0, 1, 5000, 0, BRINE_OK},
    };
    brine_doc *doc = brine_doc_new();
    char *data = malloc(MIB);
    memset(data, 'x', MIB);
    brine_value *s = brine_str_new(doc, data, MIB, NULL), *inner = brine_list_new(doc, NULL);
    brine_value *roots[2] = {brine_list_new(doc, NULL), brine_list_new(doc, NULL)};
    ck_assert_int_eq(brine_seq_append(inner, s, NULL), BRINE_OK);
    for (int i = 0; i < COPIES; i++) {
        ck_assert_int_eq(brine_seq_append(roots[0], s, NULL), BRINE_OK);
        ck_assert_int_eq(brine_seq_append(roots[1], inner, NULL), BRINE_OK);
    }
    free(data);
    uint64_t memory = brine_doc_memory(doc);
    ck_assert_uint_lt(memory, 2 * MIB);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        counting_sink c = {.sink = {.event = counting_event, .flags = cases[k].refs ? BRINE_SINK_REFS : 0}};
        brine_options opts = {.expand_ratio = cases[k].ratio, .expand_bytes = cases[k].bytes};
        brine_error err;
        int rc = cases[k].ratio || cases[k].bytes ? brine_walk_options(roots[cases[k].in_list], &c.sink, &opts, &err)
                                                  : brine_walk(roots[cases[k].in_list], &c.sink, 0, &err);
        ck_assert_msg(rc == cases[k].code, "case %zu: %d, %s", k, rc, err.message);
        if (rc == BRINE_OK) {
            ck_assert_uint_eq(c.str_bytes, (uint64_t)(cases[k].refs && cases[k].in_list ? 1 : COPIES) * MIB);
            continue;
        }
        uint64_t limit = (cases[k].ratio ? cases[k].ratio : 8) * memory + (cases[k].bytes ? cases[k].bytes : 64 * MIB);
        uint64_t per_copy = MIB + (cases[k].in_list ? 2 * 16 : 0), stop = (limit - 16 * (1 + COPIES)) / per_copy;
        char want[64], over[64];
        snprintf(want, sizeof want, cases[k].in_list ? "$[%llu][0]" : "$[%llu]", (unsigned long long)stop);
        ck_assert_str_eq(err.path, want);
        ck_assert_uint_eq(c.str_bytes, stop * MIB); /* the str where it stopped was not sent */
        snprintf(over, sizeof over, "would send over %llu bytes", (unsigned long long)limit);
        ck_assert_msg(strstr(err.message, over) && strstr(err.message, "(brine --max-expand)"), "%s", err.message);
        ck_assert_int_eq(strstr(err.message, "keeps references (refs)") != NULL, !cases[k].refs);
    }
    brine_doc_free(doc);
}
END_TEST

/* ---- containers of unknown count (deferred by the builder) ---------------- */

static int64_t int_of(const brine_value *v)
{
    int64_t i = -1;
    ck_assert_int_eq(brine_int_get_i64(v, &i), BRINE_OK);
    return i;
}

static int ev_int(brine_sink *s, int64_t i)
{
    brine_event ev = {.kind = BRINE_EV_INT};
    ev.v.i = i;
    return s->event(s, &ev);
}

static int ev_str(brine_sink *s, const char *text)
{
    brine_event ev = {.kind = BRINE_EV_STR};
    ev.v.s.ptr = text;
    ev.v.s.len = strlen(text);
    return s->event(s, &ev);
}

static int ev_begin(brine_sink *s, brine_event_kind kind, size_t count)
{
    brine_event ev = {.kind = kind};
    ev.v.count = count;
    return s->event(s, &ev);
}

static int ev_end(brine_sink *s)
{
    brine_event ev = {.kind = BRINE_EV_END};
    return s->event(s, &ev);
}

/* [[], [0], [0, 1], ... n lists, {"k0": .., "k1": .., ...}], with the given
 * count for every container or none: the dict gets `entries` entries, its
 * keys repeating after 40 (the last value wins: sent with counts, only the
 * winners). The document's memory through *memory. */
static brine_doc *build_lists_and_dict(size_t n, int entries, int known, size_t *memory)
{
    brine_error err;
    brine_doc *doc = brine_doc_new();
    brine_sink *s = brine_builder_new(doc, 0, &err);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(ev_begin(s, BRINE_EV_LIST, known ? n + 1 : BRINE_COUNT_UNKNOWN), BRINE_OK);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(ev_begin(s, BRINE_EV_LIST, known ? i : BRINE_COUNT_UNKNOWN), BRINE_OK);
        for (size_t j = 0; j < i; j++)
            ck_assert_int_eq(ev_int(s, (int64_t)j), BRINE_OK);
        ck_assert_int_eq(ev_end(s), BRINE_OK);
    }
    int keys = entries < 40 ? entries : 40;
    ck_assert_int_eq(ev_begin(s, BRINE_EV_DICT, known ? (size_t)keys : BRINE_COUNT_UNKNOWN), BRINE_OK);
    for (int i = 0; i < (known ? keys : entries); i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i % 40);
        ck_assert_int_eq(ev_str(s, key), BRINE_OK);
        ck_assert_int_eq(ev_int(s, known ? i + (entries - 1 - i) / 40 * 40 : i), BRINE_OK);
    }
    ck_assert_int_eq(ev_end(s), BRINE_OK);
    ck_assert_int_eq(ev_end(s), BRINE_OK);
    ck_assert_int_eq(s->finish(s), BRINE_OK);
    brine_value *root = brine_builder_value(s);
    ck_assert_ptr_nonnull(root);
    ck_assert_int_eq(brine_doc_set_root(doc, root, &err), BRINE_OK);
    s->destroy(s);
    *memory = brine_doc_memory(doc);
    return doc;
}

START_TEST(test_containers_of_unknown_count_are_built_whole_and_exact)
{
    /* Lists of 0 to 199 elements cross the builder's hold-back limit (64
     * slots) at every size around it; the dict crosses it too, with
     * repeated keys (first position, last value). The graph equals the one
     * built with counts. */
    size_t mem_unknown, mem_known;
    brine_error err;
    brine_doc *a = build_lists_and_dict(200, 100, 0, &mem_unknown);
    brine_doc *b = build_lists_and_dict(200, 100, 1, &mem_known);
    brine_value *ra = brine_doc_root(a);
    ck_assert_int_eq(brine_value_equal(ra, brine_doc_root(b), 0, &err), 1);
    ck_assert_uint_eq(brine_seq_count(ra), 201);
    ck_assert_uint_eq(brine_seq_count(brine_seq_get(ra, 64)), 64);
    ck_assert_int_eq(int_of(brine_seq_get(brine_seq_get(ra, 65), 64)), 64);
    brine_value *d = brine_seq_get(ra, 200);
    ck_assert_uint_eq(brine_dict_count(d), 40);
    ck_assert_int_eq(int_of(brine_dict_get_str(d, "k5")), 85); /* the last of 5, 45, 85 */
    /* Built whole, they still grow. */
    brine_value *l1 = brine_seq_get(ra, 1);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(brine_seq_append(l1, brine_int_new(a, i, NULL), NULL), BRINE_OK);
    ck_assert_uint_eq(brine_seq_count(l1), 101);
    ck_assert_int_eq(brine_dict_set_str(d, "new", brine_null_new(a, NULL), NULL), BRINE_OK);
    ck_assert_uint_eq(brine_dict_count(d), 41);
    brine_doc_free(a);
    brine_doc_free(b);

    /* Containers within the limit cost what they cost with counts: no
     * slack from growing. */
    a = build_lists_and_dict(60, 30, 0, &mem_unknown);
    b = build_lists_and_dict(60, 30, 1, &mem_known);
    ck_assert_int_eq(brine_value_equal(brine_doc_root(a), brine_doc_root(b), 0, &err), 1);
    ck_assert_uint_eq(mem_unknown, mem_known);
    brine_doc_free(a);
    brine_doc_free(b);
}
END_TEST

START_TEST(test_a_container_key_in_a_dict_of_unknown_count)
{
    brine_error err;
    brine_error_clear(&err); /* a sink reports the first error into err */
    brine_doc *doc = brine_doc_new();
    brine_sink *s = brine_builder_new(doc, 0, &err);
    /* {"a": 1, (1, 2): 2, "b": 3, [..]: 4}: the tuple is a key, the list is not. */
    ck_assert_int_eq(ev_begin(s, BRINE_EV_DICT, BRINE_COUNT_UNKNOWN), BRINE_OK);
    ck_assert_int_eq(ev_str(s, "a"), BRINE_OK);
    ck_assert_int_eq(ev_int(s, 1), BRINE_OK);
    ck_assert_int_eq(ev_begin(s, BRINE_EV_TUPLE, BRINE_COUNT_UNKNOWN), BRINE_OK);
    ck_assert_int_eq(ev_int(s, 1), BRINE_OK);
    ck_assert_int_eq(ev_int(s, 2), BRINE_OK);
    ck_assert_int_eq(ev_end(s), BRINE_OK);
    ck_assert_int_eq(ev_int(s, 2), BRINE_OK);
    ck_assert_int_eq(ev_str(s, "b"), BRINE_OK);
    ck_assert_int_eq(ev_int(s, 3), BRINE_OK);
    ck_assert_int_eq(ev_begin(s, BRINE_EV_LIST, BRINE_COUNT_UNKNOWN), BRINE_OK);
    ck_assert_int_eq(ev_end(s), BRINE_OK);
    ck_assert_int_eq(ev_int(s, 4), BRINE_E_KEY);
    ck_assert_str_eq(err.message, "unhashable type: 'list'");
    ck_assert_str_eq(err.path, "$[[]]");
    s->destroy(s);
    brine_doc_free(doc);
}
END_TEST

/* ---- shared scalars (BRINE_SINK_SCALAR_REFS) ------------------------------ */

#define STR20 "twenty bytes of text"
#define STR20_TOKEN "s20:" STR20

/* Transcodes in with evtext's decoder into `to` (options opts); the text
 * written, or NULL with err filled. */
static char *transcode_text(const char *in, const brine_plugin *to, const brine_options *opts, brine_error *err)
{
    brine_source src;
    brine_output out;
    size_t len;
    brine_error_clear(err);
    brine_source_init_buffer(&src, in, strlen(in));
    brine_output_init_buffer(&out, err);
    char *text = NULL;
    if (brine_transcode(evtext, &src, NULL, to, &out, opts, NULL, err) == BRINE_OK)
        text = brine_output_take(&out, &len);
    brine_output_destroy(&out);
    return text;
}

START_TEST(test_walker_anchors_a_shared_str_for_a_sink_that_takes_scalar_refs)
{
    /* [s, s, t, t, b, b, u]: s and b (20 bytes) shared, t shared but short,
     * u (20 bytes) stored once: only s and b get an anchor, at their first
     * visit, in one id space with containers. */
    brine_error err;
    brine_doc *doc = brine_doc_new();
    brine_value *root = brine_list_new(doc, NULL), *inner = brine_list_new(doc, NULL);
    brine_value *s = brine_str_new_cstr(doc, STR20, NULL), *t = brine_str_new_cstr(doc, "short", NULL);
    brine_value *b = brine_bytes_new(doc, STR20, 20, NULL), *u = brine_str_new_cstr(doc, STR20, NULL);
    brine_value *items[] = {s, s, t, t, inner, inner, b, b, u};
    for (size_t i = 0; i < sizeof items / sizeof *items; i++)
        ck_assert_int_eq(brine_seq_append(root, items[i], &err), BRINE_OK);
    char *text = encode(evtext, root, 0, &err);
    ck_assert_msg(text, "%s", err.message);
    ck_assert_str_eq(text, "[9 &1" STR20_TOKEN " *1 s5:short s5:short &2[0 ] *2 &3y20:" STR20 " *3 " STR20_TOKEN " ] ");
    brine_free(text);
    /* A sink without the flag gets every copy and no anchor on a scalar. */
    text = encode(evplain, root, 0, &err);
    ck_assert_msg(text, "%s", err.message);
    ck_assert_str_eq(text, "[9 " STR20_TOKEN " " STR20_TOKEN " s5:short s5:short [0 ] [0 ] y20:" STR20 " y20:" STR20
                           " " STR20_TOKEN " ] ");
    brine_free(text);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_equal_strs_decoded_from_events_are_not_anchored)
{
    /* Two equal strs built from two events are two blobs: the walker sends
     * them as they came (and, the document never having stored a blob
     * twice, does not even look). */
    brine_error err;
    const char *in = "[2 " STR20_TOKEN " " STR20_TOKEN " ] ";
    brine_doc *doc = decode(evtext, in, 0, &err);
    ck_assert_msg(doc, "%s", err.message);
    char *text = encode(evtext, brine_doc_root(doc), 0, &err);
    ck_assert_msg(text, "%s", err.message);
    ck_assert_str_eq(text, in);
    brine_free(text);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_builder_stores_a_scalar_ref_as_the_same_blob)
{
    /* A 100,000-byte str anchored once and referenced 1,000 times: the
     * document grows by one 16-byte slot per reference, not by a copy. */
    enum { LEN = 100000, REFS = 1000 };
    brine_error err;
    size_t cap = LEN + 64 + REFS * 4, n = 0;
    char *in = malloc(cap);
    ck_assert_ptr_nonnull(in);
    n += (size_t)snprintf(in + n, cap - n, "[%d &1s%d:", REFS + 1, LEN);
    memset(in + n, 'x', LEN);
    n += LEN;
    for (int i = 0; i < REFS; i++)
        n += (size_t)snprintf(in + n, cap - n, " *1");
    snprintf(in + n, cap - n, " ] ");
    brine_doc *doc = decode(evtext, in, 0, &err);
    ck_assert_msg(doc, "%s", err.message);
    ck_assert_uint_lt(brine_doc_memory(doc), LEN + (REFS + 1) * 16 + 64 * 1024);
    brine_value *root = brine_doc_root(doc);
    ck_assert_uint_eq(brine_seq_count(root), REFS + 1);
    size_t first_len, last_len;
    const char *first = brine_str_get(brine_seq_get(root, 0), &first_len);
    const char *last = brine_str_get(brine_seq_get(root, REFS), &last_len);
    ck_assert_uint_eq(last_len, LEN);
    ck_assert_ptr_eq(first, last); /* one immutable block */
    ck_assert_int_eq(brine_value_equal(brine_seq_get(root, 0), brine_seq_get(root, REFS), 0, &err), 1);
    /* Encoded again for a sink that takes scalar refs: the same stream. */
    char *text = encode(evtext, root, 0, &err);
    ck_assert_msg(text, "%s", err.message);
    ck_assert_str_eq(text, in);
    brine_free(text);
    /* A copy into another document keeps one block too. */
    brine_doc *other = brine_doc_new();
    brine_value *copy = brine_value_copy(other, root, 0, &err);
    ck_assert_msg(copy, "%s", err.message);
    ck_assert_uint_lt(brine_doc_memory(other), LEN + (REFS + 1) * 16 + 64 * 1024);
    ck_assert_int_eq(brine_value_equal(copy, root, 0, &err), 1);
    brine_doc_free(other);
    brine_doc_free(doc);
    free(in);
}
END_TEST

START_TEST(test_scalar_refs_reach_only_encoders_that_take_them)
{
    brine_error err;
    const char *in = "[2 &1" STR20_TOKEN " *1 ] ";
    /* Streamed into an encoder that takes them: through the checker as is. */
    char *text = transcode_text(in, evtext, NULL, &err);
    ck_assert_msg(text, "%s", err.message);
    ck_assert_str_eq(text, in);
    brine_free(text);
    /* Into one without references: through a graph, written out twice. */
    text = transcode_text(in, evplain, NULL, &err);
    ck_assert_msg(text, "%s", err.message);
    ck_assert_str_eq(text, "[2 " STR20_TOKEN " " STR20_TOKEN " ] ");
    brine_free(text);
    /* Into one that stores container references only (msgpack -O refs), a
     * decoder that anchors a scalar anyway is refused, with the path. */
    const brine_plugin *msgpack = brine_registry_find(reg, "msgpack");
    ck_assert_ptr_nonnull(msgpack);
    const char *refs[] = {"refs"};
    brine_options opts = {.count = 1, .items = refs};
    ck_assert_ptr_null(transcode_text(in, msgpack, &opts, &err));
    expect_error(&err, BRINE_E_REF, ANY_OFFSET, "$[0]", NULL);
    /* A REF naming an anchor no str, bytes or big int may carry (an int's)
     * names nothing. */
    ck_assert_ptr_null(decode(evtext, "[2 &1i5 *1 ] ", 0, &err));
    expect_error(&err, BRINE_E_REF, ANY_OFFSET, "$[1]", NULL);
}
END_TEST

START_TEST(test_builder_restores_shared_identity)
{
    brine_error err;
    brine_doc *doc = decode(evtext, "[3 &1[1 i1 ] *1 i3 ] ", 0, &err);
    ck_assert_msg(doc, "%s", err.message);
    brine_value *root = brine_doc_root(doc);
    ck_assert_uint_eq(brine_seq_count(root), 3);
    /* Appending through a[0] shows through a[1]: the same list. */
    ck_assert_int_eq(brine_seq_append(brine_seq_get(root, 0), brine_int_new(doc, 2, NULL), NULL), BRINE_OK);
    ck_assert_uint_eq(brine_seq_count(brine_seq_get(root, 1)), 2);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_builder_restores_a_list_that_contains_itself)
{
    brine_error err;
    brine_doc *doc = decode(evtext, "&1[1 *1 ] ", 0, &err);
    ck_assert_msg(doc, "%s", err.message);
    brine_value *root = brine_doc_root(doc);
    brine_value *inner = brine_seq_get(root, 0);
    ck_assert_uint_eq(brine_seq_count(inner), 1);
    brine_seq_append(inner, brine_null_new(doc, NULL), NULL);
    ck_assert_uint_eq(brine_seq_count(root), 2);
    char repr[32];
    brine_value_repr(root, repr, sizeof repr, 0, NULL);
    ck_assert_str_eq(repr, "[[...], None]");
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_builder_refuses_a_reference_to_an_unknown_anchor_with_its_path)
{
    brine_error err;
    ck_assert_ptr_null(decode(evtext, "[2 i1 *9 ] ", 0, &err));
    expect_error(&err, BRINE_E_REF, ANY_OFFSET, "$[1]", NULL);
    ck_assert_uint_eq(err.offset, 8); /* just after the *9 token */
}
END_TEST

START_TEST(test_builder_refuses_malformed_streams)
{
    brine_error err;
    ck_assert_ptr_null(decode(evtext, "] ", 0, &err));
    expect_error(&err, BRINE_E_PLUGIN, ANY_OFFSET, NULL, "the evtext decoder sent an END event that closes nothing");

    ck_assert_ptr_null(decode(evtext, "M1:T i1 N ] ", 0, &err));
    expect_error(&err, BRINE_E_CORRUPT, ANY_OFFSET, NULL, "a model's args must be a tuple, not int");

    ck_assert_ptr_null(decode(evtext, "{1 s1:k ] ", 0, &err));
    expect_error(&err, BRINE_E_PLUGIN, ANY_OFFSET, NULL, "the evtext decoder sent a dict key without a value");

    ck_assert_ptr_null(decode(evtext, "{1 [0 ] i1 ] ", 0, &err));
    ck_assert_int_eq(err.code, BRINE_E_KEY);

    ck_assert_ptr_null(decode(evtext, "[1 i1 ", 0, &err));
    ck_assert_int_eq(err.code, BRINE_E_TRUNCATED);
}
END_TEST

START_TEST(test_builder_keeps_python_dict_semantics_for_repeated_keys)
{
    brine_error err;
    brine_doc *doc = decode(evtext, "{3 s1:a i1 s1:b i2 s1:a i3 ] ", 0, &err);
    ck_assert_msg(doc, "%s", err.message);
    char repr[64];
    brine_value_repr(brine_doc_root(doc), repr, sizeof repr, 0, NULL);
    ck_assert_str_eq(repr, "{'a': 3, 'b': 2}");
    brine_doc_free(doc);
}
END_TEST

/* A dict of n entries as evtext tokens: entry i has the str key k<i % distinct>
 * and the int i, except that entry `dup` (when below n) is k3: 99. */
static char *dict_text(size_t n, size_t distinct, size_t dup)
{
    char *text = malloc(n * 24 + 16), *p = text;
    p += sprintf(p, "{%zu ", n);
    for (size_t i = 0; i < n; i++) {
        char key[32];
        int len = sprintf(key, "k%zu", i == dup ? (size_t)3 : i % distinct);
        p += sprintf(p, "s%d:%s i%zu ", len, key, i == dup ? (size_t)99 : i);
    }
    strcpy(p, "] ");
    return text;
}

START_TEST(test_builder_keeps_python_dict_semantics_in_indexed_dicts)
{
    /* Past 8 entries a dict is indexed; the builder checks all its keys at
     * its end, so the rules must hold there too, and lookups must work. */
    brine_error err;
    char *text = dict_text(12, 12, 10);
    brine_doc *doc = decode(evtext, text, 0, &err);
    free(text);
    ck_assert_msg(doc, "%s", err.message);
    brine_value *d = brine_doc_root(doc);
    char repr[256];
    brine_value_repr(d, repr, sizeof repr, 0, NULL);
    ck_assert_str_eq(repr, "{'k0': 0, 'k1': 1, 'k2': 2, 'k3': 99, 'k4': 4, 'k5': 5, 'k6': 6, 'k7': 7, 'k8': 8, "
                           "'k9': 9, 'k11': 11}");
    ck_assert_uint_eq(brine_dict_count(d), 11);
    for (int i = 0; i < 12; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%d", i);
        brine_value *v = brine_dict_get_str(d, key);
        if (i == 10) {
            ck_assert_ptr_null(v);
            continue;
        }
        ck_assert_ptr_nonnull(v);
        int64_t n = -1;
        ck_assert_int_eq(brine_int_get_i64(v, &n), BRINE_OK);
        ck_assert_int_eq(n, i == 3 ? 99 : i);
    }
    /* The decoded dict takes new keys and replaces old ones as any other. */
    ck_assert_int_eq(brine_dict_set_str(d, "k10", brine_int_new(doc, 10, NULL), &err), BRINE_OK);
    ck_assert_int_eq(brine_dict_set_str(d, "k0", brine_int_new(doc, -1, NULL), &err), BRINE_OK);
    ck_assert_uint_eq(brine_dict_count(d), 12);
    int64_t n = 0;
    ck_assert_int_eq(brine_int_get_i64(brine_dict_get_str(d, "k10"), &n), BRINE_OK);
    ck_assert_int_eq(n, 10);
    ck_assert_int_eq(brine_int_get_i64(brine_dict_get_str(d, "k0"), &n), BRINE_OK);
    ck_assert_int_eq(n, -1);
    brine_doc_free(doc);

    /* Repeated tuple keys, small and indexed. */
    doc = decode(evtext, "{3 (2 i1 i2 ] i1 s1:x i2 (2 i1 i2 ] i3 ] ", 0, &err);
    ck_assert_msg(doc, "%s", err.message);
    brine_value_repr(brine_doc_root(doc), repr, sizeof repr, 0, NULL);
    ck_assert_str_eq(repr, "{(1, 2): 3, 'x': 2}");
    brine_doc_free(doc);
    doc = decode(evtext,
                 "{10 (1 i0 ] i0 (1 i1 ] i1 (1 i2 ] i2 (1 i3 ] i3 (1 i4 ] i4 (1 i5 ] i5 (1 i6 ] i6 "
                 "(1 i7 ] i7 (1 i8 ] i8 (1 i3 ] i9 ] ",
                 0, &err);
    ck_assert_msg(doc, "%s", err.message);
    ck_assert_uint_eq(brine_dict_count(brine_doc_root(doc)), 9);
    brine_value_repr(brine_doc_root(doc), repr, sizeof repr, 0, NULL);
    ck_assert_str_eq(repr, "{(0,): 0, (1,): 1, (2,): 2, (3,): 9, (4,): 4, (5,): 5, (6,): 6, (7,): 7, (8,): 8}");
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_builder_folds_repeated_keys_while_a_dict_grows)
{
    /* Large dicts fold their repeats as their entries fill up; the result
     * must be Python's whatever the number of folds, also when the folds
     * leave a small dict. */
    static const size_t shapes[][2] = {{200, 10}, {5000, 3}, {70, 1}, {300, 300}, {4096, 100}};
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        size_t n = shapes[t][0], distinct = shapes[t][1];
        brine_error err;
        char *text = dict_text(n, distinct, SIZE_MAX);
        brine_doc *doc = decode(evtext, text, 0, &err);
        free(text);
        ck_assert_msg(doc, "%s", err.message);
        brine_value *d = brine_doc_root(doc);
        ck_assert_uint_eq(brine_dict_count(d), distinct);
        size_t iter = 0, i = 0;
        brine_value *key, *val;
        while (brine_dict_next(d, &iter, &key, &val)) {
            char want[32];
            snprintf(want, sizeof want, "k%zu", i);
            const char *got = brine_str_get(key, NULL);
            ck_assert_str_eq(got, want); /* first positions */
            int64_t v = -1;
            ck_assert_int_eq(brine_int_get_i64(val, &v), BRINE_OK);
            ck_assert_int_eq(v, (int64_t)(n - 1 - (n - 1 - i) % distinct)); /* last values */
            ck_assert_ptr_eq(brine_dict_get_str(d, want), val);             /* and found by lookup */
            i++;
        }
        ck_assert_uint_eq(i, distinct);
        /* New keys past the small-dict size still index correctly. */
        for (size_t j = 0; j < 12; j++) {
            char key_text[32];
            snprintf(key_text, sizeof key_text, "new%zu", j);
            ck_assert_int_eq(brine_dict_set_str(d, key_text, brine_int_new(doc, (int64_t)j, NULL), &err), BRINE_OK);
        }
        ck_assert_uint_eq(brine_dict_count(d), distinct + 12);
        for (size_t j = 0; j < distinct; j++) {
            char want[32];
            snprintf(want, sizeof want, "k%zu", j);
            ck_assert_ptr_nonnull(brine_dict_get_str(d, want));
        }
        brine_doc_free(doc);
    }
}
END_TEST

START_TEST(test_builder_refuses_an_unhashable_key_inside_a_tuple_with_its_path)
{
    brine_error err;
    /* Found at the dict's end, in a small and in an indexed dict. */
    ck_assert_ptr_null(decode(evtext, "[1 {2 s1:a i1 (2 i1 [0 ] ] i2 ] ] ", 0, &err));
    expect_error(&err, BRINE_E_KEY, ANY_OFFSET, "$[0][(1, [])]", "unhashable type: 'list'");
    char *text = dict_text(12, 12, SIZE_MAX), *p = strstr(text, "s2:k9 i9 ");
    ck_assert_ptr_nonnull(p);
    char *bad = malloc(strlen(text) + 16);
    sprintf(bad, "%.*s(2 i1 [0 ] ] i9 %s", (int)(p - text), text, p + strlen("s2:k9 i9 "));
    free(text);
    ck_assert_ptr_null(decode(evtext, bad, 0, &err));
    free(bad);
    expect_error(&err, BRINE_E_KEY, ANY_OFFSET, "$[(1, [])]", NULL);
}
END_TEST

/* n nested lists around an int, as evtext tokens. */
static char *nested_text(size_t n)
{
    char *text = malloc(n * 6 + 8), *p = text;
    for (size_t i = 0; i < n; i++)
        memcpy(p, "[1 ", 3), p += 3;
    memcpy(p, "i0 ", 3), p += 3;
    for (size_t i = 0; i < n; i++)
        memcpy(p, "] ", 2), p += 2;
    *p = '\0';
    return text;
}

START_TEST(test_depth_limit_allows_1000_and_refuses_1001_levels_when_decoding)
{
    brine_error err;
    char *ok = nested_text(1000), *deep = nested_text(1001);
    brine_doc *doc = decode(evtext, ok, 0, &err);
    ck_assert_msg(doc, "%s", err.message);
    brine_doc_free(doc);
    ck_assert_ptr_null(decode(evtext, deep, 0, &err));
    expect_error(&err, BRINE_E_DEPTH, ANY_OFFSET, NULL, "maximum recursion depth exceeded while decoding (limit 1000)");
    ck_assert_uint_eq(err.offset, 3002); /* just after the 1001st "[1" */
    free(ok);
    free(deep);
}
END_TEST

START_TEST(test_depth_limit_refuses_1001_levels_when_encoding)
{
    brine_error err;
    char *deep = nested_text(1001);
    brine_doc *doc = decode(evtext, deep, 2000, &err);
    ck_assert_msg(doc, "%s", err.message);
    char *text = encode(evplain, brine_doc_root(doc), 1000, &err);
    ck_assert_ptr_null(text);
    expect_error(&err, BRINE_E_DEPTH, ANY_OFFSET, NULL, "maximum recursion depth exceeded while encoding (limit 1000)");
    text = encode(evplain, brine_doc_root(doc), 1001, &err);
    ck_assert_msg(text, "%s", err.message);
    ck_assert_str_eq(text, deep);
    brine_free(text);
    brine_doc_free(doc);
    free(deep);
}
END_TEST

START_TEST(test_a_million_levels_decode_encode_and_transcode_with_the_limit_raised)
{
    const size_t n = 1000000;
    brine_error err;
    char *deep = nested_text(n);
    brine_doc *doc = decode(evtext, deep, n + 1, &err);
    ck_assert_msg(doc, "%s", err.message);
    char *text = encode(evplain, brine_doc_root(doc), n + 1, &err);
    ck_assert_msg(text, "%s", err.message);
    ck_assert_str_eq(text, deep);
    brine_free(text);
    brine_doc_free(doc);

    brine_source src;
    brine_output out;
    brine_options opts = {.max_depth = n + 1};
    int streamed = -1;
    brine_source_init_buffer(&src, deep, strlen(deep));
    ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
    ck_assert_int_eq(brine_transcode(evplain, &src, &opts, evtext, &out, &opts, &streamed, &err), BRINE_OK);
    ck_assert_int_eq(streamed, 1);
    ck_assert_uint_eq(brine_output_total(&out), strlen(deep));
    brine_output_destroy(&out);
    free(deep);
}
END_TEST

START_TEST(test_transcode_streams_when_no_reference_can_arrive)
{
    brine_error err;
    brine_source src;
    brine_output out;
    int streamed = -1;
    const char *in = "[2 s2:hi {1 i1 F ] ] ";
    brine_error_clear(&err);
    brine_source_init_buffer(&src, in, strlen(in));
    brine_output_init_buffer(&out, &err);
    ck_assert_int_eq(brine_transcode(evplain, &src, NULL, evtext, &out, NULL, &streamed, &err), BRINE_OK);
    ck_assert_int_eq(streamed, 1);
    size_t len;
    char *text = brine_output_take(&out, &len);
    ck_assert_str_eq(text, in);
    brine_free(text);
    brine_output_destroy(&out);
}
END_TEST

START_TEST(test_transcode_goes_through_a_graph_to_expand_references)
{
    brine_error err;
    brine_source src;
    brine_output out;
    int streamed = -1;
    const char *in = "[3 &1[1 i1 ] *1 i3 ] ";
    brine_error_clear(&err);
    brine_source_init_buffer(&src, in, strlen(in));
    brine_output_init_buffer(&out, &err);
    ck_assert_int_eq(brine_transcode(evtext, &src, NULL, evplain, &out, NULL, &streamed, &err), BRINE_OK);
    ck_assert_int_eq(streamed, 0);
    char *text = brine_output_take(&out, NULL);
    ck_assert_str_eq(text, "[3 [1 i1 ] [1 i1 ] i3 ] ");
    brine_free(text);
    brine_output_destroy(&out);

    /* A cycle cannot be expanded. */
    const char *cycle = "&1[1 *1 ] ";
    brine_error_clear(&err);
    brine_source_init_buffer(&src, cycle, strlen(cycle));
    brine_output_init_buffer(&out, &err);
    ck_assert_int_eq(brine_transcode(evtext, &src, NULL, evplain, &out, NULL, &streamed, &err), BRINE_E_CYCLE);
    ck_assert_str_eq(err.path, "$[0]");
    brine_output_destroy(&out);
}
END_TEST

START_TEST(test_streamed_transcode_keeps_the_depth_limit_and_reference_checks)
{
    brine_error err;
    brine_source src;
    brine_output out;
    char *deep = nested_text(1001);
    brine_error_clear(&err);
    brine_source_init_buffer(&src, deep, strlen(deep));
    brine_output_init_buffer(&out, &err);
    ck_assert_int_eq(brine_transcode(evplain, &src, NULL, evtext, &out, NULL, NULL, &err), BRINE_E_DEPTH);
    ck_assert_uint_eq(err.offset, 3002);
    brine_output_destroy(&out);
    free(deep);

    const char *bad = "[1 *4 ] ";
    brine_error_clear(&err);
    brine_source_init_buffer(&src, bad, strlen(bad));
    brine_output_init_buffer(&out, &err);
    ck_assert_int_eq(brine_transcode(evtext, &src, NULL, evtext, &out, NULL, NULL, &err), BRINE_E_REF);
    ck_assert_str_eq(err.path, "$[0]");
    brine_output_destroy(&out);
}
END_TEST

START_TEST(test_streamed_transcode_refuses_keys_a_graph_could_not_hold)
{
    const char *bad[] = {"{1 [0 ] i1 ] ", "{1 (1 {0 ] ] i1 ] "};
    for (size_t i = 0; i < 2; i++) {
        brine_error err;
        brine_source src;
        brine_output out;
        int streamed = -1;
        brine_source_init_buffer(&src, bad[i], strlen(bad[i]));
        brine_output_init_buffer(&out, &err);
        ck_assert_int_eq(brine_transcode(evplain, &src, NULL, evtext, &out, NULL, &streamed, &err), BRINE_E_KEY);
        ck_assert_int_eq(streamed, 1);
        ck_assert_str_eq(err.message, i ? "unhashable type: 'dict'" : "unhashable type: 'list'");
        brine_output_destroy(&out);
    }
}
END_TEST

START_TEST(test_decoding_from_a_pipe_in_chunks_equals_decoding_a_buffer)
{
    /* A long input so the source's 64 KiB window refills many times. */
    size_t n = 50000;
    brine_doc *doc = brine_doc_new();
    brine_value *l = brine_list_new(doc, NULL);
    for (size_t i = 0; i < n; i++)
        brine_seq_append(l, brine_str_new_cstr(doc, "some text", NULL), NULL);
    brine_error err;
    char *text = encode(evtext, l, 0, &err);
    ck_assert_ptr_nonnull(text);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        size_t len = strlen(text), off = 0;
        while (off < len) {
            ssize_t w = write(fds[1], text + off, len - off > 1000 ? 1000 : len - off);
            if (w <= 0)
                _exit(1);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    brine_source src;
    brine_source_init_fd(&src, fds[0]);
    brine_error_clear(&err);
    brine_doc *piped = brine_decode(evtext, &src, NULL, &err);
    brine_source_destroy(&src);
    close(fds[0]);
    ck_assert_msg(piped, "%s", err.message);
    ck_assert_int_eq(brine_value_equal(l, brine_doc_root(piped), 0, NULL), 1);
    brine_doc_free(piped);
    brine_free(text);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_a_source_reports_truncation_with_the_offset_where_input_ended)
{
    brine_source src;
    brine_error err;
    brine_error_clear(&err);
    brine_source_init_buffer(&src, "abc", 3);
    src.cur += 2;
    ck_assert_int_eq(brine_source_need(&src, 1, &err), BRINE_OK);
    ck_assert_int_eq(brine_source_need(&src, 4, &err), BRINE_E_TRUNCATED);
    ck_assert_uint_eq(err.offset, 3);
}
END_TEST

START_TEST(test_a_file_source_does_not_allocate_for_a_length_the_input_lacks)
{
    FILE *fp = tmpfile();
    fputs("tiny", fp);
    rewind(fp);
    brine_source src;
    brine_error err;
    brine_error_clear(&err);
    brine_source_init_file(&src, fp);
    ck_assert_int_eq(brine_source_more(&src, (size_t)1 << 40, &err), BRINE_E_TRUNCATED);
    ck_assert_uint_eq(err.offset, 4);
    brine_source_destroy(&src);
    fclose(fp);
}
END_TEST

START_TEST(test_writing_to_a_full_device_is_an_error)
{
    int fd = open("/dev/full", O_WRONLY);
    if (fd < 0)
        return; /* no /dev/full here */
    brine_output out;
    brine_error err;
    brine_error_clear(&err);
    brine_output_init_fd(&out, fd, &err);
    char big[100000];
    memset(big, 'x', sizeof big);
    int rc = brine_output_write(&out, big, sizeof big, &err);
    if (rc == BRINE_OK)
        rc = brine_output_flush(&out, &err);
    ck_assert_int_eq(rc, BRINE_E_IO);
    ck_assert_str_eq(err.message, "write error: No space left on device");
    /* Sticky: later calls fail too. */
    ck_assert_int_eq(brine_output_put(&out, "x", 1, NULL), BRINE_E_IO);
    brine_output_destroy(&out);
    close(fd);
}
END_TEST

static int failing_write(void *ctx, const void *data, size_t len)
{
    (void)data;
    (void)len;
    return ++*(int *)ctx > 1;
}

START_TEST(test_a_failing_callback_output_is_an_error)
{
    int calls = 0;
    brine_output out;
    brine_error err;
    brine_error_clear(&err);
    brine_output_init_callback(&out, failing_write, &calls, &err);
    ck_assert_int_eq(brine_output_write(&out, "a", 1, &err), BRINE_OK);
    ck_assert_int_eq(brine_output_flush(&out, &err), BRINE_OK);
    ck_assert_int_eq(brine_output_write(&out, "b", 1, &err), BRINE_OK);
    ck_assert_int_eq(brine_output_flush(&out, &err), BRINE_E_IO);
    ck_assert_uint_eq(brine_output_total(&out), 1);
    brine_output_destroy(&out);
}
END_TEST

START_TEST(test_options_read_flags_values_and_the_last_occurrence)
{
    const char *items[] = {"pretty", "indent=2", "refs=no", "indent=4"};
    brine_options opts = {.count = 4, .items = items};
    ck_assert_str_eq(brine_options_get(&opts, "pretty"), "");
    ck_assert_str_eq(brine_options_get(&opts, "indent"), "4");
    ck_assert_ptr_null(brine_options_get(&opts, "ind"));
    ck_assert_int_eq(brine_options_flag(&opts, "pretty"), 1);
    ck_assert_int_eq(brine_options_flag(&opts, "refs"), 0);
    ck_assert_int_eq(brine_options_flag(&opts, "absent"), 0);
    ck_assert_uint_eq(brine_options_max_depth(&opts), 1000);
    ck_assert_uint_eq(brine_options_max_depth(NULL), 1000);
}
END_TEST

START_TEST(test_unknown_options_are_refused_naming_the_format)
{
    const char *items[] = {"refs", "pretty"};
    brine_options opts = {.count = 2, .items = items};
    brine_error err;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_options_check(evtext, &opts, 1, &err), BRINE_E_OPTION);
    ck_assert_str_eq(err.message, "the evtext format has no encoding option 'pretty'");
    brine_doc *doc = brine_doc_new();
    void *data = NULL;
    size_t len;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_encode_buffer(evtext, brine_doc_root(doc), &opts, &data, &len, &err), BRINE_E_OPTION);
    ck_assert_ptr_null(data);
    brine_doc_free(doc);
}
END_TEST

/* Every flag of the built-in formats takes only a flag's spellings: a typo
 * ("pretty=yesplease") is refused before the plugin runs, not read as on. */
START_TEST(test_flag_options_refuse_values_no_flag_takes)
{
    static const struct {
        const char *format, *name;
        int for_encode;
    } flags[] = {
        {"json", "plain", 1},       {"json", "tagged", 1},    {"json", "refs", 1},     {"json", "lines", 1},
        {"json", "pretty", 1},      {"json", "sort_keys", 1}, {"json", "ascii", 1},    {"json", "plain", 0},
        {"json", "legacy_tags", 0}, {"json", "refs", 0},      {"json", "lines", 0},    {"json", "replace_invalid", 0},
        {"jsonl", "pretty", 1},     {"jsonl", "lines", 0},    {"msgpack", "refs", 1},  {"msgpack", "plain", 1},
        {"msgpack", "sequence", 1}, {"msgpack", "refs", 0},   {"msgpack", "plain", 0}, {"msgpack", "sequence", 0},
    };
    static const char *const good[] = {"", "=1", "=true", "=Yes", "=ON", "=0", "=false", "=no", "=Off"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        const brine_plugin *fmt = brine_registry_find(reg, flags[i].format);
        char item[64], msg[160];
        brine_error err;
        ck_assert_ptr_nonnull(fmt);
        snprintf(item, sizeof item, "%s=maybe", flags[i].name);
        const char *items[] = {item};
        brine_options opts = {.count = 1, .items = items};
        brine_error_clear(&err);
        ck_assert_msg(brine_options_check(fmt, &opts, flags[i].for_encode, &err) == BRINE_E_OPTION,
                      "%s %s: %s accepted", flags[i].format, flags[i].for_encode ? "-O" : "-I", item);
        snprintf(msg, sizeof msg, "%s takes no value or one of 1, true, yes, on, 0, false, no, off; not 'maybe'",
                 flags[i].name);
        expect_error(&err, BRINE_E_OPTION, BRINE_NO_OFFSET, "", msg);
        for (size_t g = 0; g < sizeof good / sizeof good[0]; g++) {
            snprintf(item, sizeof item, "%s%s", flags[i].name, good[g]);
            brine_error_clear(&err);
            ck_assert_msg(brine_options_check(fmt, &opts, flags[i].for_encode, &err) == BRINE_OK, "%s: %s refused: %s",
                          flags[i].format, item, err.message);
        }
    }
}
END_TEST

static Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("engine");
    registry_fixture(tc, &reg, fixture_formats);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_walker_anchors_only_shared_containers_when_the_sink_stores_refs);
    tcase_add_test(tc, test_walker_expands_shared_containers_for_a_sink_without_refs);
    tcase_add_test(tc, test_walker_refuses_a_cycle_for_a_sink_without_refs_and_names_the_path);
    tcase_add_test(tc, test_walker_writes_a_cycle_as_a_reference_for_a_sink_with_refs);
    tcase_add_test(tc, test_walker_sends_every_scalar_kind);
    tcase_add_test(tc, test_exponential_expansion_of_shared_containers_stops_with_an_error);
    tcase_add_test(tc, test_expanding_a_shared_str_stops_at_the_byte_limit_with_the_path);
    tcase_add_test(tc, test_walker_anchors_a_shared_str_for_a_sink_that_takes_scalar_refs);
    tcase_add_test(tc, test_equal_strs_decoded_from_events_are_not_anchored);
    tcase_add_test(tc, test_builder_stores_a_scalar_ref_as_the_same_blob);
    tcase_add_test(tc, test_scalar_refs_reach_only_encoders_that_take_them);
    tcase_add_test(tc, test_builder_restores_shared_identity);
    tcase_add_test(tc, test_builder_restores_a_list_that_contains_itself);
    tcase_add_test(tc, test_builder_refuses_a_reference_to_an_unknown_anchor_with_its_path);
    tcase_add_test(tc, test_builder_refuses_malformed_streams);
    tcase_add_test(tc, test_builder_keeps_python_dict_semantics_for_repeated_keys);
    tcase_add_test(tc, test_builder_keeps_python_dict_semantics_in_indexed_dicts);
    tcase_add_test(tc, test_builder_folds_repeated_keys_while_a_dict_grows);
    tcase_add_test(tc, test_builder_refuses_an_unhashable_key_inside_a_tuple_with_its_path);
    tcase_add_test(tc, test_depth_limit_allows_1000_and_refuses_1001_levels_when_decoding);
    tcase_add_test(tc, test_depth_limit_refuses_1001_levels_when_encoding);
    tcase_add_test(tc, test_a_million_levels_decode_encode_and_transcode_with_the_limit_raised);
    tcase_add_test(tc, test_containers_of_unknown_count_are_built_whole_and_exact);
    tcase_add_test(tc, test_a_container_key_in_a_dict_of_unknown_count);
    tcase_add_test(tc, test_transcode_streams_when_no_reference_can_arrive);
    tcase_add_test(tc, test_transcode_goes_through_a_graph_to_expand_references);
    tcase_add_test(tc, test_streamed_transcode_keeps_the_depth_limit_and_reference_checks);
    tcase_add_test(tc, test_streamed_transcode_refuses_keys_a_graph_could_not_hold);
    tcase_add_test(tc, test_decoding_from_a_pipe_in_chunks_equals_decoding_a_buffer);
    tcase_add_test(tc, test_a_source_reports_truncation_with_the_offset_where_input_ended);
    tcase_add_test(tc, test_a_file_source_does_not_allocate_for_a_length_the_input_lacks);
    tcase_add_test(tc, test_writing_to_a_full_device_is_an_error);
    tcase_add_test(tc, test_a_failing_callback_output_is_an_error);
    tcase_add_test(tc, test_options_read_flags_values_and_the_last_occurrence);
    tcase_add_test(tc, test_unknown_options_are_refused_naming_the_format);
    tcase_add_test(tc, test_flag_options_refuse_values_no_flag_takes);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(engine_suite)
