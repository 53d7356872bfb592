/* test_events.c: what core checks in the events a plugin's decoder sends
 * (the event contract of docs/plugins.md, section 3), on both routes: a
 * decode (the builder) and a streamed conversion (the checker) into every
 * encoder; and repeated dict keys, which a graph folds and a streamed
 * conversion refuses, the same way for every output format. The decoder
 * here is a scripted plugin that replays one case's events. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

#include "check_util.h"

/* ---- a decoder that sends whatever a case says ---------------------------- */

#define MAX_EVENTS 8

typedef struct ev_case {
    const char *name;
    brine_event events[MAX_EVENTS];
    size_t count;
    int code;            /* expected status; BRINE_OK for a stream that keeps the contract */
    const char *message; /* expected start of the message (a decode's and a conversion's) */
    const char *path;
    const char *repr;  /* BRINE_OK cases: the value read back from every format */
    const char *dpath; /* a decode's path where it differs from a conversion's */
    /* Only a count is wrong (1; 2 for an extra child, which msgpack, like
     * the builder, notices only at the END, at dpath): the builder and every
     * encoder that writes counts refuse it, naming the decoder; json writes
     * no counts, so it writes what came, which reads back as repr. */
    int counts;
} ev_case;

static const ev_case *current;

static int script_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err)
{
    (void)src;
    (void)opts;
    (void)err;
    for (size_t i = 0; i < current->count; i++) {
        int rc = sink->event(sink, &current->events[i]);
        if (rc)
            return rc;
    }
    return BRINE_OK;
}

static const brine_plugin script = {
    .abi = BRINE_PLUGIN_ABI,
    .size = sizeof(brine_plugin),
    .name = "script",
    .description = "replays a test case's events",
    .version = "1",
    .caps = BRINE_CAP_DECODE | BRINE_CAP_BINARY,
    .decode = script_decode,
};

#define EV(K)                                                                                                          \
    {                                                                                                                  \
        .kind = BRINE_EV_##K                                                                                           \
    }
#define EVN(K, N)                                                                                                      \
    {                                                                                                                  \
        .kind = BRINE_EV_##K, .v.count = (N)                                                                           \
    }
#define EVS(K, P, L)                                                                                                   \
    {                                                                                                                  \
        .kind = BRINE_EV_##K, .v.s = {(P), (L) }                                                                       \
    }
#define EVI(I)                                                                                                         \
    {                                                                                                                  \
        .kind = BRINE_EV_INT, .v.i = (I)                                                                               \
    }
#define U BRINE_COUNT_UNKNOWN
#define PFX "the script decoder sent "

static const ev_case cases[] = {
    {"invalid UTF-8 in a str",
     {EVN(LIST, 1), EVS(STR, "a\xff", 2), EV(END)},
     3,
     BRINE_E_PLUGIN,
     PFX "a str event with invalid UTF-8 at byte 1 of 2",
     "$[0]",
     NULL,
     NULL,
     0},
    {"a surrogate in a str",
     {EVS(STR, "\xed\xa0\x80", 3)},
     1,
     BRINE_E_PLUGIN,
     PFX "a str event with invalid UTF-8 at byte 0 of 3",
     "$",
     NULL,
     NULL,
     0},
    {"invalid UTF-8 in a dict key",
     {EVN(DICT, U), EVS(STR, "\xc0\x80", 2), EVI(1), EV(END)},
     4,
     BRINE_E_PLUGIN,
     PFX "a str event with invalid UTF-8 at byte 0 of 2",
     "$[...]",
     NULL,
     "$",
     0},
    {"invalid UTF-8 in a model's name",
     {EVN(LIST, U), EVS(MODEL, "M\xc3(", 3), EVN(TUPLE, 0), EV(END), EV(NULL), EV(END), EV(END)},
     7,
     BRINE_E_PLUGIN,
     PFX "a model event with invalid UTF-8 at byte 1 of 3",
     "$[0]",
     NULL,
     NULL,
     0},
    {"a NULL str of length 5",
     {EVN(LIST, U), EVS(STR, NULL, 5), EV(END)},
     3,
     BRINE_E_PLUGIN,
     PFX "a str event with a NULL pointer and length 5",
     "$[0]",
     NULL,
     NULL,
     0},
    {"a NULL bytes of length 5",
     {EVS(BYTES, NULL, 5)},
     1,
     BRINE_E_PLUGIN,
     PFX "a bytes event with a NULL pointer and length 5",
     "$",
     NULL,
     NULL,
     0},
    {"a NULL model name of length 5",
     {EVS(MODEL, NULL, 5)},
     1,
     BRINE_E_PLUGIN,
     PFX "a model event with a NULL pointer and length 5",
     "$",
     NULL,
     NULL,
     0},
    {"a NULL bigint of length 9",
     {EVS(BIGINT, NULL, 9)},
     1,
     BRINE_E_PLUGIN,
     PFX "a bigint event with a NULL pointer and length 9",
     "$",
     NULL,
     NULL,
     0},
    {"a bigint that fits a UINT",
     {EVS(BIGINT, "\0\0\0\0\0\0\0\x80\0", 9)},
     1,
     BRINE_E_PLUGIN,
     PFX "a bigint event of 9 bytes whose value fits an INT or UINT event",
     "$",
     NULL,
     NULL,
     0},
    {"a bigint with a redundant sign byte",
     {EVS(BIGINT, "\0\0\0\0\0\0\0\0\x01\0", 10)},
     1,
     BRINE_E_PLUGIN,
     PFX "a bigint event of 10 bytes that is not minimal",
     "$",
     NULL,
     NULL,
     0},
    {"an unknown kind",
     {EVN(LIST, U), {.kind = (brine_event_kind)99}, EV(END)},
     3,
     BRINE_E_PLUGIN,
     PFX "an event of unknown kind 99",
     "$[0]",
     NULL,
     NULL,
     0},
    {"an END without a begin",
     {EV(END)},
     1,
     BRINE_E_PLUGIN,
     PFX "an END event that closes nothing",
     "$",
     NULL,
     NULL,
     0},
    {"a second value",
     {EVI(1), EVI(2)},
     2,
     BRINE_E_PLUGIN,
     PFX "a second value after a complete one",
     "$",
     NULL,
     NULL,
     0},
    {"a dict key without a value",
     {EVN(DICT, U), EVS(STR, "k", 1), EV(END)},
     3,
     BRINE_E_PLUGIN,
     PFX "a dict key without a value",
     "$.k",
     NULL,
     NULL,
     0},
    {"a model without its state",
     {EVS(MODEL, "M", 1), EVN(TUPLE, 0), EV(END), EV(END)},
     4,
     BRINE_E_PLUGIN,
     PFX "a model without its args and its state",
     "$.state",
     NULL,
     NULL,
     0},
    {"a model with a third child",
     {EVS(MODEL, "M", 1), EVN(TUPLE, 0), EV(END), EV(NULL), EV(NULL), EV(END)},
     6,
     BRINE_E_PLUGIN,
     PFX "a third child in a model (it has args and state)",
     "$.state",
     NULL,
     NULL,
     0},
    {"more elements than announced",
     {EVN(LIST, 2), EVI(1), EVI(2), EVI(3), EV(END)},
     5,
     BRINE_E_PLUGIN,
     PFX "a list whose begin event announced 2 elements, and ",
     "$[2]",
     "[1, 2, 3]",
     "$[3]",
     2},
    {"fewer elements than announced",
     {EVN(LIST, 2), EVI(1), EV(END)},
     3,
     BRINE_E_PLUGIN,
     PFX "a list whose begin event announced 2 elements, and ",
     "$[1]",
     "[1]",
     NULL,
     1},
    {"fewer entries than announced",
     {EVN(DICT, 2), EVS(STR, "k", 1), EVI(1), EV(END)},
     4,
     BRINE_E_PLUGIN,
     PFX "a dict whose begin event announced 2 entries, and ",
     "$.k",
     "{'k': 1}",
     "$",
     1},
    {"a 9-byte bigint (2^64)",
     {EVS(BIGINT, "\0\0\0\0\0\0\0\0\x01", 9)},
     1,
     BRINE_OK,
     NULL,
     NULL,
     "18446744073709551616",
     NULL,
     0},
    {"a negative 9-byte bigint (-2^64)",
     {EVS(BIGINT, "\0\0\0\0\0\0\0\0\xff", 9)},
     1,
     BRINE_OK,
     NULL,
     NULL,
     "-18446744073709551616",
     NULL,
     0},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static const char *const encoders[] = {"native", "msgpack", "json", "pickle", "evtext", "evplain"};
#define N_ENCODERS (sizeof encoders / sizeof encoders[0])

static brine_registry *reg;
/* Loaded for the streamed conversions into them; found by name there. */
static const test_format fixture_formats[] = {
    {"evtext", NULL, BRINE_TEST_BUILDDIR "/evtext.la"}, {"evplain", NULL, BRINE_TEST_BUILDDIR "/evplain.la"}, {0}};

static void repr_of(const brine_value *v, char *out, size_t cap)
{
    brine_error err;
    ck_assert_msg(brine_value_repr(v, out, cap, 0, &err) < cap, "%s", err.message);
}

static void assert_fault(const ev_case *t, const char *route, const brine_error *err)
{
    ck_assert_msg(err->code == t->code, "%s, %s: code %d (%s)", t->name, route, err->code, err->message);
    ck_assert_msg(strncmp(err->message, t->message, strlen(t->message)) == 0, "%s, %s: message '%s'", t->name, route,
                  err->message);
    /* The builder names the slot it was filling, the checker the slot of
     * the event it refused: they differ for a key and for an extra child. */
    int at_end = strcmp(route, "decode") == 0 || (t->counts == 2 && strcmp(route, "script -> msgpack") == 0);
    const char *path = at_end && t->dpath ? t->dpath : t->path;
    ck_assert_msg(strcmp(err->path, path) == 0, "%s, %s: path '%s'", t->name, route, err->path);
}

/* Each case into the builder (a decode) and into each encoder (a streamed
 * conversion): the same code, message and path; or, for a stream that
 * keeps the contract, output that reads back as the case's value. */
START_TEST(test_bad_events_are_refused_on_every_route_and_good_ones_read_back)
{
    const ev_case *t = &cases[_i];
    current = t;
    brine_error err;
    brine_source src;
    brine_source_init_buffer(&src, "", 0);
    brine_doc *doc = brine_decode(&script, &src, NULL, &err);
    if (t->code) {
        ck_assert_ptr_null(doc);
        assert_fault(t, "decode", &err);
    } else {
        ck_assert_msg(doc != NULL, "%s: %s", t->name, err.message);
        char repr[128];
        repr_of(brine_doc_root(doc), repr, sizeof repr);
        ck_assert_str_eq(repr, t->repr);
        brine_doc_free(doc);
    }
    for (size_t e = 0; e < N_ENCODERS; e++) {
        const brine_plugin *to = brine_registry_find(reg, encoders[e]);
        ck_assert_ptr_nonnull(to);
        brine_output out;
        ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
        brine_source_init_buffer(&src, "", 0);
        int streamed = 0;
        int rc = brine_transcode(&script, &src, NULL, to, &out, NULL, &streamed, &err);
        ck_assert_int_eq(streamed, 1);
        char route[64];
        snprintf(route, sizeof route, "script -> %s", encoders[e]);
        if (t->code && rc == BRINE_E_UNSUPPORTED && t->events[0].kind == BRINE_EV_MODEL) {
            brine_output_destroy(&out); /* an encoder without models refuses one at its begin */
            continue;
        }
        if (t->code && !(t->counts && strcmp(encoders[e], "json") == 0)) {
            ck_assert_int_eq(rc, t->code);
            assert_fault(t, route, &err);
        } else {
            ck_assert_msg(rc == BRINE_OK, "%s, %s: %s", t->name, route, err.message);
            if (e >= 4) { /* evtext and evplain read no big ints back */
                brine_output_destroy(&out);
                continue;
            }
            size_t len;
            void *bytes = brine_output_take(&out, &len);
            brine_doc *back = brine_decode_buffer(to, bytes, len, NULL, &err);
            ck_assert_msg(back != NULL, "%s, %s: read back: %s", t->name, route, err.message);
            char repr[128];
            repr_of(brine_doc_root(back), repr, sizeof repr);
            ck_assert_msg(strcmp(repr, t->repr) == 0, "%s, %s: read back %s", t->name, route, repr);
            brine_doc_free(back);
            brine_free(bytes);
        }
        brine_output_destroy(&out);
    }
}
END_TEST

/* ---- repeated dict keys ---------------------------------------------------- */

typedef struct dup_case {
    const char *from; /* the input's format */
    const char *input;
    size_t len;
    const char *folded; /* repr after a graph round trip through any format */
    const char *path;   /* where a streamed conversion stops */
} dup_case;

static const dup_case dups[] = {
    {"json", "{\"a\": 1, \"b\": 2, \"a\": 3}", 0, "{'a': 3, 'b': 2}", "$.a"},
    {"json", "{\"x\": {\"k\": 1, \"j\": [], \"k\": {\"z\": 2}}}", 0, "{'x': {'k': {'z': 2}, 'j': []}}", "$.x.k"},
    {"json", "[{\"id\": 1, \"v\": 1}, {\"id\": 2, \"v\": 1, \"v\": 2}]", 0, "[{'id': 1, 'v': 1}, {'id': 2, 'v': 2}]",
     "$[1].v"},
    /* Past the checker's linear keys (8): its hash index finds the repeat. */
    {"json", "{\"a\":0,\"b\":0,\"c\":0,\"d\":0,\"e\":0,\"f\":0,\"g\":0,\"h\":0,\"i\":0,\"j\":0,\"c\":1}", 0,
     "{'a': 0, 'b': 0, 'c': 1, 'd': 0, 'e': 0, 'f': 0, 'g': 0, 'h': 0, 'i': 0, 'j': 0}", "$.c"},
    /* msgpack {1: 'a', 1: 'b'} and {(1, 2): 1, (1, 2): 2} */
    {"msgpack",
     "\x82\x01\xa1"
     "a"
     "\x01\xa1"
     "b",
     7, "{1: 'b'}", "$[1]"},
};
#define N_DUPS (sizeof dups / sizeof dups[0])

static const char *const outputs[] = {"native", "msgpack", "json", "pickle"};
#define N_OUTPUTS (sizeof outputs / sizeof outputs[0])

/* A document with a repeated key: through a graph, every format gives the
 * folded value (first position, last value); streamed into any format, the
 * conversion stops at the repeated key with the documented message. */
START_TEST(test_repeated_keys_fold_through_a_graph_and_stop_a_streamed_conversion_for_every_format)
{
    const dup_case *t = &dups[_i];
    const brine_plugin *from = brine_registry_find(reg, t->from);
    size_t len = t->len ? t->len : strlen(t->input);
    brine_error err;
    brine_doc *doc = brine_decode_buffer(from, t->input, len, NULL, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    for (size_t x = 0; x < N_OUTPUTS; x++) {
        const brine_plugin *to = brine_registry_find(reg, outputs[x]);
        if (!strcmp(outputs[x], "json") && !strcmp(t->from, "msgpack"))
            continue; /* json keys are str only */
        void *bytes;
        size_t n;
        ck_assert_int_eq(brine_encode_buffer(to, brine_doc_root(doc), NULL, &bytes, &n, &err), BRINE_OK);
        brine_doc *back = brine_decode_buffer(to, bytes, n, NULL, &err);
        ck_assert_msg(back != NULL, "%s", err.message);
        char repr[256];
        repr_of(brine_doc_root(back), repr, sizeof repr);
        ck_assert_msg(strcmp(repr, t->folded) == 0, "%s via %s: %s", t->input, outputs[x], repr);
        brine_doc_free(back);
        brine_free(bytes);

        brine_source src;
        brine_output out;
        brine_source_init_buffer(&src, t->input, len);
        ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
        int streamed = 0;
        int rc = brine_transcode(from, &src, NULL, to, &out, NULL, &streamed, &err);
        ck_assert_int_eq(streamed, 1);
        ck_assert_msg(rc == BRINE_E_UNSUPPORTED, "%s -> %s: %d %s", t->input, outputs[x], rc, err.message);
        ck_assert_str_eq(err.message, "a dict key repeats, and a streamed conversion cannot fold it as decoding "
                                      "does (first position, last value): decode to a graph, then encode it "
                                      "(brine_decode, brine_encode)");
        ck_assert_str_eq(err.path, t->path);
        brine_output_destroy(&out);
    }
    brine_doc_free(doc);
}
END_TEST

/* Keys that only look alike are not repeats: 1 and 1.0 and True, 'a' and
 * b'a' (the graph's rule: by type and value). */
START_TEST(test_keys_that_differ_in_type_or_shape_stream_as_they_are)
{
    static const unsigned char input[] = {0x85, 0x01, 0x00, 0xcb, 0x3f, 0xf0, 0,    0,
                                          0,    0,    0,    0,    0x00, 0xc3, 0x00, /* 1, 1.0, True */
                                          0xa1, 'a',  0x00, 0xc4, 0x01, 'a',  0x00};
    /* 'a', b'a' */ /* (1, 2), (1, (2,)) */
    const brine_plugin *mp = brine_registry_find(reg, "msgpack"), *native = brine_registry_find(reg, "native");
    brine_error err;
    brine_source src;
    brine_output out;
    brine_source_init_buffer(&src, input, sizeof input);
    ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
    ck_assert_msg(brine_transcode(mp, &src, NULL, native, &out, NULL, NULL, &err) == BRINE_OK, "%s", err.message);
    size_t len;
    void *bytes = brine_output_take(&out, &len);
    brine_doc *back = brine_decode_buffer(native, bytes, len, NULL, &err);
    ck_assert_msg(back != NULL, "%s", err.message);
    char repr[256];
    repr_of(brine_doc_root(back), repr, sizeof repr);
    ck_assert_str_eq(repr, "{1: 0, 1.0: 0, True: 0, 'a': 0, b'a': 0}");
    brine_doc_free(back);
    brine_free(bytes);
    brine_output_destroy(&out);
}
END_TEST

/* ---- many keys, and keys that are not str ---------------------------------- */

static const char *const dup_message = "a dict key repeats, and a streamed conversion cannot fold it as decoding does "
                                       "(first position, last value): decode to a graph, then encode it "
                                       "(brine_decode, brine_encode)";

/* Key i of a generated dict: "k" and i zero-padded to 0..38 digits, so
 * that lengths cross the checker's 8, 16 and 32-byte steps and many keys
 * share their first or last 8 bytes. */
static int gen_key(char *buf, size_t cap, size_t i)
{
    return snprintf(buf, cap, "k%0*zu", (int)(i * 7 % 39), i);
}

/* A json list of `siblings` dicts of n keys k0..k(n-1) (their slots go
 * stale in the checker's table), then one more whose key `at` comes again
 * at its end (none when at == n). */
static char *gen_doc(size_t n, size_t siblings, size_t at, size_t *len)
{
    size_t cap = (siblings + 1) * (n + 1) * 56 + 16, used = 0;
    char *doc = malloc(cap), key[48];
    used += (size_t)snprintf(doc + used, cap - used, "[");
    for (size_t d = 0; d <= siblings; d++) {
        used += (size_t)snprintf(doc + used, cap - used, "%s{", d ? "," : "");
        for (size_t i = 0; i < n; i++) {
            gen_key(key, sizeof key, i);
            used += (size_t)snprintf(doc + used, cap - used, "%s\"%s\":%zu", i ? "," : "", key, i);
        }
        if (d == siblings && at < n) {
            gen_key(key, sizeof key, at);
            used += (size_t)snprintf(doc + used, cap - used, ",\"%s\":-1", key);
        }
        used += (size_t)snprintf(doc + used, cap - used, "}");
    }
    used += (size_t)snprintf(doc + used, cap - used, "]");
    *len = used;
    return doc;
}

/* Dicts of 40 keys (filter and scan), 70 (the table past 64 keys) and 300
 * (the table grown and rebuilt), each after sibling dicts of the same keys:
 * a repeat of the key at every position stops a streamed conversion into
 * every format at that key, and the same dicts without it stream whole. */
START_TEST(test_a_repeat_at_every_position_of_large_dicts_is_found_for_every_format)
{
    static const size_t sizes[] = {40, 70, 300};
    size_t n = sizes[_i], siblings = n > 100 ? 3 : 8;
    const brine_plugin *json = brine_registry_find(reg, "json");
    for (size_t x = 0; x < N_OUTPUTS; x++) {
        const brine_plugin *to = brine_registry_find(reg, outputs[x]);
        for (size_t at = 0; at <= n; at++) {
            size_t len;
            char *doc = gen_doc(n, siblings, at, &len), key[48], path[64];
            brine_source src;
            brine_output out;
            brine_error err;
            brine_source_init_buffer(&src, doc, len);
            ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
            int rc = brine_transcode(json, &src, NULL, to, &out, NULL, NULL, &err);
            if (at == n) {
                ck_assert_msg(rc == BRINE_OK, "%zu keys into %s: %s at %s", n, outputs[x], err.message, err.path);
            } else {
                ck_assert_msg(rc == BRINE_E_UNSUPPORTED, "%zu keys, repeat of %zu into %s: %d", n, at, outputs[x], rc);
                ck_assert_str_eq(err.message, dup_message);
                gen_key(key, sizeof key, at);
                snprintf(path, sizeof path, "$[%zu].%s", siblings, key);
                ck_assert_str_eq(err.path, path);
            }
            brine_output_destroy(&out);
            free(doc);
        }
    }
}
END_TEST

/* A decoder that replays a longer script than a case holds. */
static const brine_event *long_script;
static size_t long_count;

static int long_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err)
{
    (void)src;
    (void)opts;
    (void)err;
    for (size_t i = 0; i < long_count; i++) {
        int rc = sink->event(sink, &long_script[i]);
        if (rc)
            return rc;
    }
    return BRINE_OK;
}

static const brine_plugin long_plugin = {
    .abi = BRINE_PLUGIN_ABI,
    .size = sizeof(brine_plugin),
    .name = "script",
    .description = "replays a longer script",
    .version = "1",
    .caps = BRINE_CAP_DECODE | BRINE_CAP_BINARY,
    .decode = long_decode,
};

#define EVA(K, N, A)                                                                                                   \
    {                                                                                                                  \
        .kind = BRINE_EV_##K, .v.count = (N), .anchor = (A)                                                            \
    }
#define EVR(A)                                                                                                         \
    {                                                                                                                  \
        .kind = BRINE_EV_REF, .v.ref = (A)                                                                             \
    }

typedef struct key_case {
    const char *name;
    brine_event events[24];
    size_t count;
    const char *path; /* where the repeat stops a streamed conversion; NULL: no repeat */
    const char *repr; /* the graph's value (folded) */
} key_case;

/* [(1, 2) anchored as 1, {key: 0, key: 1}] with tuple keys, nested tuple
 * keys, and REFs to the anchored tuple, which compare by its value. */
static const key_case key_cases[] = {
    {"a tuple key twice",
     {EVN(LIST, 2), EVA(TUPLE, 2, 1), EVI(1), EVI(2), EV(END), EVN(DICT, 2), EVN(TUPLE, 2), EVI(1), EVI(2), EV(END),
      EVI(0), EVN(TUPLE, 2), EVI(1), EVI(2), EV(END), EVI(1), EV(END), EV(END)},
     18,
     "$[1][...]",
     "[(1, 2), {(1, 2): 1}]"},
    {"a tuple key, then a REF to an equal tuple",
     {EVN(LIST, 2), EVA(TUPLE, 2, 1), EVI(1), EVI(2), EV(END), EVN(DICT, 2), EVN(TUPLE, 2), EVI(1), EVI(2), EV(END),
      EVI(0), EVR(1), EVI(1), EV(END), EV(END)},
     15,
     "$[1][...]",
     "[(1, 2), {(1, 2): 1}]"},
    {"a REF key twice",
     {EVN(LIST, 2), EVA(TUPLE, 2, 1), EVI(1), EVI(2), EV(END), EVN(DICT, 2), EVR(1), EVI(0), EVR(1), EVI(1), EV(END),
      EV(END)},
     12,
     "$[1][...]",
     "[(1, 2), {(1, 2): 1}]"},
    {"a nested tuple key twice",
     {EVN(DICT, 2), EVN(TUPLE, 2), EVI(1), EVN(TUPLE, 1), EVI(2), EV(END), EV(END), EVI(0), EVN(TUPLE, 2), EVI(1),
      EVN(TUPLE, 1), EVI(2), EV(END), EV(END), EVI(1), EV(END)},
     16,
     "$[...]",
     "{(1, (2,)): 1}"},
    {"tuple keys that differ by nesting, and a REF to another tuple",
     {EVN(LIST, 2), EVA(TUPLE, 2, 1), EVI(1), EVI(3),        EV(END), EVN(DICT, 3),  EVN(TUPLE, 2), EVI(1),
      EVI(2),       EV(END),          EVI(0), EVN(TUPLE, 2), EVI(1),  EVN(TUPLE, 1), EVI(2),        EV(END),
      EV(END),      EVI(1),           EVR(1), EVI(2),        EV(END), EV(END)},
     22,
     NULL,
     "[(1, 3), {(1, 2): 0, (1, (2,)): 1, (1, 3): 2}]"},
};
#define N_KEY_CASES (sizeof key_cases / sizeof key_cases[0])

/* Tuple keys and keys that are REFs: a graph folds a repeat (an equal
 * tuple, however sent, is one key), and a streamed conversion into a
 * format that holds tuple keys stops at it; different tuples stream. */
START_TEST(test_tuple_and_ref_keys_repeat_by_value)
{
    static const char *const tuple_outputs[] = {"native", "msgpack", "pickle"};
    const key_case *t = &key_cases[_i];
    long_script = t->events;
    long_count = t->count;
    brine_error err;
    brine_source src;
    brine_source_init_buffer(&src, "", 0);
    brine_doc *doc = brine_decode(&long_plugin, &src, NULL, &err);
    ck_assert_msg(doc != NULL, "%s: %s", t->name, err.message);
    char repr[256];
    repr_of(brine_doc_root(doc), repr, sizeof repr);
    ck_assert_msg(strcmp(repr, t->repr) == 0, "%s: decoded %s", t->name, repr);
    brine_doc_free(doc);
    for (size_t x = 0; x < 3; x++) {
        const brine_plugin *to = brine_registry_find(reg, tuple_outputs[x]);
        if (!strcmp(tuple_outputs[x], "msgpack") && strstr(t->name, "REF"))
            continue; /* msgpack holds no references (without its refs option) */
        brine_output out;
        brine_source_init_buffer(&src, "", 0);
        ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
        int rc = brine_transcode(&long_plugin, &src, NULL, to, &out, NULL, NULL, &err);
        if (t->path) {
            ck_assert_msg(rc == BRINE_E_UNSUPPORTED, "%s into %s: %d %s", t->name, tuple_outputs[x], rc, err.message);
            ck_assert_str_eq(err.message, dup_message);
            ck_assert_str_eq(err.path, t->path);
        } else {
            ck_assert_msg(rc == BRINE_OK, "%s into %s: %s", t->name, tuple_outputs[x], err.message);
        }
        brine_output_destroy(&out);
    }
}
END_TEST

/* Shared strs (scalar anchors, for encoders that declare
 * BRINE_SINK_SCALAR_REFS): a streamed conversion renumbers their ids with
 * the containers', keeps a REF to one as a key comparable by value, and
 * refuses them for an encoder that does not take them. */
#define K20 "a key of twenty bytes"
#define EVK(A)                                                                                                         \
    {                                                                                                                  \
        .kind = BRINE_EV_STR, .v.s = {K20, sizeof K20 - 1}, .anchor = (A)                                              \
    }

START_TEST(test_shared_strs_stream_to_encoders_that_take_them)
{
    static const brine_event list[] = {EVN(LIST, 3), EVK(907), EVR(907), EVA(LIST, 0, 3), EV(END), EV(END)};
    static const brine_event keys[] = {EVN(DICT, 2), EVK(5), EVI(0), EVR(5), EVI(1), EV(END)};
    const brine_plugin *pickle = brine_registry_find(reg, "pickle"), *native = brine_registry_find(reg, "native");
    brine_error err;
    brine_source src;
    brine_output out;
    size_t len;

    /* Into pickle: the str written once and fetched, read back as two equal strs. */
    long_script = list;
    long_count = sizeof list / sizeof list[0];
    brine_source_init_buffer(&src, "", 0);
    ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
    ck_assert_msg(brine_transcode(&long_plugin, &src, NULL, pickle, &out, NULL, NULL, &err) == BRINE_OK, "%s",
                  err.message);
    void *bytes = brine_output_take(&out, &len);
    brine_output_destroy(&out);
    size_t copies = 0;
    for (size_t at = 0; at + sizeof K20 - 1 <= len; at++)
        copies += memcmp((const char *)bytes + at, K20, sizeof K20 - 1) == 0;
    ck_assert_uint_eq(copies, 1);
    brine_doc *back = brine_decode_buffer(pickle, bytes, len, NULL, &err);
    ck_assert_msg(back != NULL, "%s", err.message);
    char repr[256];
    repr_of(brine_doc_root(back), repr, sizeof repr);
    ck_assert_str_eq(repr, "['" K20 "', '" K20 "', []]");
    brine_doc_free(back);
    brine_free(bytes);

    /* Into native, which does not take them: refused, naming why. */
    brine_source_init_buffer(&src, "", 0);
    ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
    ck_assert_int_eq(brine_transcode(&long_plugin, &src, NULL, native, &out, NULL, NULL, &err), BRINE_E_REF);
    ck_assert_str_eq(err.message, "an anchor on a scalar, which the encoder does not take");
    brine_output_destroy(&out);

    /* A REF to the shared str as a second key is a repeat, as in a graph. */
    long_script = keys;
    long_count = sizeof keys / sizeof keys[0];
    brine_source_init_buffer(&src, "", 0);
    back = brine_decode(&long_plugin, &src, NULL, &err);
    ck_assert_msg(back != NULL, "%s", err.message);
    repr_of(brine_doc_root(back), repr, sizeof repr);
    ck_assert_str_eq(repr, "{'" K20 "': 1}");
    brine_doc_free(back);
    brine_source_init_buffer(&src, "", 0);
    ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
    ck_assert_int_eq(brine_transcode(&long_plugin, &src, NULL, pickle, &out, NULL, NULL, &err), BRINE_E_UNSUPPORTED);
    ck_assert_str_eq(err.message, dup_message);
    brine_output_destroy(&out);
}
END_TEST

/* ---- records: dicts with the keys of the one before ----------------------- */

/* The checker takes a dict's keys as distinct while they follow, in order,
 * the keys of the last dict with its depth and first key (a subsequence:
 * records without their optional keys); any other key goes to the keyset
 * with the keys so far. A repeat is found wherever it comes, and keys
 * that only follow the shape loosely are not taken for repeats. */
START_TEST(test_repeated_keys_in_records_that_follow_a_shape_are_found)
{
    static const struct {
        const char *doc;
        const char *path; /* where the streamed conversion stops, or NULL */
    } docs[] = {
        /* The 5th record repeats its key at position 3 (index 2). */
        {"[{\"a\":1,\"b\":2,\"c\":3,\"d\":4},{\"a\":1,\"b\":2,\"c\":3,\"d\":4},"
         "{\"a\":1,\"b\":2,\"c\":3,\"d\":4},{\"a\":1,\"b\":2,\"c\":3,\"d\":4},"
         "{\"a\":1,\"b\":2,\"c\":3,\"c\":4}]",
         "$[4].c"},
        /* Keys that leave the shape, then repeat one from before it. */
        {"[{\"a\":1,\"b\":2,\"c\":3},{\"a\":1,\"b\":2,\"x\":3,\"b\":4}]", "$[1].b"},
        {"[{\"a\":1,\"b\":2,\"c\":3},{\"a\":1,\"b\":2,\"x\":3,\"y\":4,\"a\":5}]", "$[1].a"},
        /* A key skipped (absent), one further on, then a repeat: of a key
         * taken before the skip, of the one after it, and of the skipped
         * one, which is new (no repeat). */
        {"[{\"a\":1,\"b\":2,\"c\":3,\"d\":4},{\"a\":1,\"c\":3,\"a\":5}]", "$[1].a"},
        {"[{\"a\":1,\"b\":2,\"c\":3,\"d\":4},{\"a\":1,\"c\":3,\"c\":5}]", "$[1].c"},
        {"[{\"a\":1,\"b\":2,\"c\":3,\"d\":4},{\"a\":1,\"c\":3,\"b\":5,\"d\":6}]", NULL},
        /* A skip, then a key off the shape, then a repeat of the skipped
         * key (new) and of a taken one. */
        {"[{\"a\":1,\"b\":2,\"c\":3,\"d\":4},{\"a\":1,\"c\":3,\"x\":0,\"b\":5,\"d\":6}]", NULL},
        {"[{\"a\":1,\"b\":2,\"c\":3,\"d\":4},{\"a\":1,\"c\":3,\"x\":0,\"b\":5,\"c\":6}]", "$[1].c"},
        /* Records of two shapes in turn, nested records inside them, and
         * a repeat in the last of each. */
        {"[{\"a\":1,\"b\":{\"p\":1,\"q\":2}},{\"x\":1,\"y\":2},{\"a\":1,\"b\":{\"p\":1,\"q\":2}},"
         "{\"x\":1,\"y\":2},{\"a\":1,\"b\":{\"p\":1,\"q\":2,\"p\":3}}]",
         "$[4].b.p"},
        {"[{\"a\":1,\"b\":2},{\"x\":1,\"y\":2},{\"a\":1,\"b\":2},{\"x\":1,\"y\":2,\"x\":3}]", "$[3].x"},
        {"[{\"a\":1,\"b\":2},{\"x\":1,\"y\":2},{\"a\":1,\"b\":2,\"c\":3},{\"x\":1},{\"a\":1},{\"b\":2,\"a\":1}]", NULL},
        /* A record longer than its shape, then one that repeats the extra
         * key; the same keys in another order; a record whose first key
         * is its shape's last. */
        {"[{\"a\":1,\"b\":2},{\"a\":1,\"b\":2,\"c\":3},{\"a\":1,\"b\":2,\"c\":3,\"c\":4}]", "$[2].c"},
        {"[{\"a\":1,\"b\":2,\"c\":3},{\"a\":1,\"c\":2,\"b\":3},{\"a\":1,\"c\":2,\"b\":3,\"a\":4}]", "$[2].a"},
        {"[{\"a\":1,\"b\":2},{\"b\":1,\"a\":2},{\"b\":1,\"b\":2}]", "$[2].b"},
        /* Long keys (past 32 bytes) and the empty key follow shapes too. */
        {"[{\"\":0,\"a_key_that_is_longer_than_thirty_two_bytes\":1,\"k\":2},"
         "{\"\":0,\"a_key_that_is_longer_than_thirty_two_bytes\":1,\"k\":2},"
         "{\"\":0,\"a_key_that_is_longer_than_thirty_two_bytes\":1,\"a_key_that_is_longer_than_thirty_two_bytes\":2}]",
         "$[2].a_key_that_is_longer_than_thirty_two_bytes"},
        {"[{\"\":0,\"k\":1},{\"\":0,\"k\":1,\"\":2}]", "$[1][\"\"]"},
    };
    const brine_plugin *json = brine_registry_find(reg, "json");
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        brine_error err;
        size_t len = strlen(docs[i].doc);
        brine_doc *doc = brine_decode_buffer(json, docs[i].doc, len, NULL, &err);
        ck_assert_msg(doc != NULL, "%zu: %s", i, err.message);
        char want[512];
        repr_of(brine_doc_root(doc), want, sizeof want);
        brine_doc_free(doc);
        for (size_t x = 0; x < N_OUTPUTS; x++) {
            const brine_plugin *to = brine_registry_find(reg, outputs[x]);
            brine_source src;
            brine_output out;
            brine_source_init_buffer(&src, docs[i].doc, len);
            ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
            int rc = brine_transcode(json, &src, NULL, to, &out, NULL, NULL, &err);
            if (docs[i].path) {
                ck_assert_msg(rc == BRINE_E_UNSUPPORTED, "%zu into %s: %d %s", i, outputs[x], rc, err.message);
                ck_assert_str_eq(err.message, dup_message);
                ck_assert_msg(strcmp(err.path, docs[i].path) == 0, "%zu into %s: path %s", i, outputs[x], err.path);
            } else {
                ck_assert_msg(rc == BRINE_OK, "%zu into %s: %s", i, outputs[x], err.message);
                size_t n;
                void *bytes = brine_output_take(&out, &n);
                brine_doc *back = brine_decode_buffer(to, bytes, n, NULL, &err);
                ck_assert_msg(back != NULL, "%zu from %s: %s", i, outputs[x], err.message);
                char got[512];
                repr_of(brine_doc_root(back), got, sizeof got);
                ck_assert_msg(strcmp(got, want) == 0, "%zu via %s: %s", i, outputs[x], got);
                brine_doc_free(back);
                brine_free(bytes);
            }
            brine_output_destroy(&out);
        }
    }
}
END_TEST

/* The keyset's table and its random seed come only when a dict passes 64
 * keys; the keys the open dicts have by then are hashed again: a repeat in
 * an enclosing dict, in a dict that follows a shape, or in a later dict is
 * still found. */
START_TEST(test_repeats_are_found_around_the_first_dict_past_64_keys)
{
    static const struct {
        const char *before, *after, *path;
    } docs[] = {
        {"{\"a\":1,\"b\":2,\"c\":", ",\"b\":3}", "$.b"},
        {"{\"a\":1,\"b\":2,\"c\":", ",\"d\":3}", NULL},
        {"[{\"a\":1,\"b\":2,\"c\":3},{\"a\":1,\"b\":", ",\"x\":0,\"a\":5}]", "$[1].a"},
        {"[{\"a\":1,\"b\":2},{\"a\":1,\"b\":", "},{\"a\":1,\"b\":2,\"b\":3}]", "$[2].b"},
        {"{\"x\":[", ",{\"p\":1,\"q\":2,\"p\":3}]}", "$.x[1].p"},
    };
    const brine_plugin *json = brine_registry_find(reg, "json");
    size_t big_len;
    char *big = gen_doc(70, 0, 70, &big_len); /* [{70 keys}] */
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        char doc[8192];
        int n = snprintf(doc, sizeof doc, "%s%.*s%s", docs[i].before, (int)(big_len - 2), big + 1, docs[i].after);
        ck_assert(n > 0 && (size_t)n < sizeof doc);
        for (size_t x = 0; x < N_OUTPUTS; x++) {
            brine_error err;
            brine_source src;
            brine_output out;
            brine_source_init_buffer(&src, doc, (size_t)n);
            ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
            int rc = brine_transcode(json, &src, NULL, brine_registry_find(reg, outputs[x]), &out, NULL, NULL, &err);
            if (docs[i].path) {
                ck_assert_msg(rc == BRINE_E_UNSUPPORTED, "%zu into %s: %d %s", i, outputs[x], rc, err.message);
                ck_assert_str_eq(err.message, dup_message);
                ck_assert_msg(strcmp(err.path, docs[i].path) == 0, "%zu into %s: path %s", i, outputs[x], err.path);
            } else {
                ck_assert_msg(rc == BRINE_OK, "%zu into %s: %s", i, outputs[x], err.message);
            }
            brine_output_destroy(&out);
        }
    }
    free(big);
}
END_TEST

/* ---- a decoder that leaves UTF-8 to core ------------------------------------ */

/* json sends a str value's bytes unchecked and, when core refuses the
 * event, reports the input's bad byte itself: a decode and a streamed
 * conversion into every format give json's own error (code, message,
 * offset, line, column, path), as when it validated first. */
START_TEST(test_json_reports_its_own_utf8_error_on_every_route)
{
    static const struct {
        const char *doc;
        unsigned long long offset, line, column;
        const char *path, *message;
    } docs[] = {
        {"{\"a\": [1, {\"b\": \"x\xe3\x81\"}]}", 18, 1, 19, "$.a[1].b",
         "Invalid UTF-8 byte 0xe3 in string: line 1 column 19 (char 18)"},
        {"[\n \"\xe6\x97\xa5\xe6\x97\"]", 7, 2, 4, "$[0]",
         "Invalid UTF-8 byte 0xe6 in string: line 2 column 4 (char 5)"},
        {"[\"ok\xff\x01\"]", 4, 1, 5, "$[0]", "Invalid UTF-8 byte 0xff in string: line 1 column 5 (char 4)"},
        {"{\"k\": \"\\n\xe6\x97\"}", 9, 1, 10, "$.k", "Invalid UTF-8 byte 0xe6 in string: line 1 column 10 (char 9)"},
    };
    const brine_plugin *json = brine_registry_find(reg, "json");
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        for (size_t x = 0; x <= N_OUTPUTS; x++) {
            brine_error err;
            brine_source src;
            brine_source_init_buffer(&src, docs[i].doc, strlen(docs[i].doc));
            const char *route = x < N_OUTPUTS ? outputs[x] : "decode";
            if (x == N_OUTPUTS) {
                ck_assert_ptr_null(brine_decode(json, &src, NULL, &err));
            } else {
                brine_output out;
                ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
                int rc =
                    brine_transcode(json, &src, NULL, brine_registry_find(reg, outputs[x]), &out, NULL, NULL, &err);
                ck_assert_int_eq(rc, BRINE_E_UTF8);
                brine_output_destroy(&out);
            }
            ck_assert_msg(err.code == BRINE_E_UTF8, "%zu %s: %d %s", i, route, err.code, err.message);
            ck_assert_msg(strcmp(err.message, docs[i].message) == 0, "%zu %s: %s", i, route, err.message);
            ck_assert_msg(err.offset == docs[i].offset, "%zu %s: offset %llu", i, route,
                          (unsigned long long)err.offset);
            ck_assert_uint_eq(err.line, docs[i].line);
            ck_assert_uint_eq(err.column, docs[i].column);
            ck_assert_msg(strcmp(err.path, docs[i].path) == 0, "%zu %s: path %s", i, route, err.path);
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("events");
    TCase *tc = tcase_create("contract");
    registry_fixture(tc, &reg, fixture_formats);
    tcase_add_loop_test(tc, test_bad_events_are_refused_on_every_route_and_good_ones_read_back, 0, (int)N_CASES);
    tcase_add_loop_test(tc, test_repeated_keys_fold_through_a_graph_and_stop_a_streamed_conversion_for_every_format, 0,
                        (int)N_DUPS);
    tcase_add_test(tc, test_keys_that_differ_in_type_or_shape_stream_as_they_are);
    tcase_add_loop_test(tc, test_a_repeat_at_every_position_of_large_dicts_is_found_for_every_format, 0, 3);
    tcase_add_loop_test(tc, test_tuple_and_ref_keys_repeat_by_value, 0, (int)N_KEY_CASES);
    tcase_add_test(tc, test_shared_strs_stream_to_encoders_that_take_them);
    tcase_add_test(tc, test_json_reports_its_own_utf8_error_on_every_route);
    tcase_add_test(tc, test_repeated_keys_in_records_that_follow_a_shape_are_found);
    tcase_add_test(tc, test_repeats_are_found_around_the_first_dict_past_64_keys);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
