/* test_pickle_write.c: the pickle writer, byte for byte against CPython.
 * Values are built from brine's tagged JSON (json plugin, refs and legacy_tags) or with
 * the value API, written with the pickle plugin, and compared with the bytes
 * CPython writes: the vectors below were generated with
 *     pickletools.optimize(pickle.dumps(value, protocol)).hex()
 * (Python 3.11; optimize drops the memo entries nothing fetches, since
 * brine memoizes shared containers only). tests/pickle_write.py checks that
 * pickle.loads gives the values back.
 */
#define _GNU_SOURCE /* memmem */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/brine.h>
#include <brine/format.h>
#include <brine/model.h>
#include <brine/plugin.h>

#include "check_util.h"

static brine_registry *reg;
static const brine_plugin *pk, *js;
static const test_format fixture_formats[] = {{"pickle", &pk, NULL}, {"json", &js, NULL}, {0}};

typedef struct vector {
    const char *json;
    int proto;
    const char *hex;
} vector;

static const vector vectors[] = {
    {"null", 2, "80024e2e"},
    {"null", 3, "80034e2e"},
    {"null", 4, "80044e2e"},
    {"null", 5, "80054e2e"},
    {"true", 4, "8004882e"},
    {"false", 2, "8002892e"},
    {"0", 4, "80044b002e"},
    {"255", 4, "80044bff2e"},
    {"256", 4, "80049504000000000000004d00012e"},
    {"65535", 4, "80049504000000000000004dffff2e"},
    {"65536", 4, "80049506000000000000004a000001002e"},
    {"-1", 4, "80049506000000000000004affffffff2e"},
    {"2147483647", 4, "80049506000000000000004affffff7f2e"},
    {"-2147483648", 4, "80049506000000000000004a000000802e"},
    {"2147483648", 4, "80049508000000000000008a0500000080002e"},
    {"-2147483649", 4, "80049508000000000000008a05ffffff7fff2e"},
    {"9223372036854775807", 4, "8004950b000000000000008a08ffffffffffffff7f2e"},
    {"-9223372036854775808", 4, "8004950b000000000000008a0800000000000000802e"},
    {"18446744073709551615", 4, "8004950c000000000000008a09ffffffffffffffff002e"},
    {"18446744073709551616", 4, "8004950c000000000000008a090000000000000000012e"},
    {"-18446744073709551616", 4, "8004950c000000000000008a090000000000000000ff2e"},
    {"1.5", 4, "8004950a00000000000000473ff80000000000002e"},
    {"-0.0", 4, "8004950a000000000000004780000000000000002e"},
    {"\"\"", 4, "80048c002e"},
    {"\"h\u00e9llo\"", 2, "8002580600000068c3a96c6c6f2e"},
    {"\"h\u00e9llo\"", 3, "8003580600000068c3a96c6c6f2e"},
    {"\"h\u00e9llo\"", 4, "80049509000000000000008c0668c3a96c6c6f2e"},
    {"\"h\u00e9llo\"", 5, "80059509000000000000008c0668c3a96c6c6f2e"},
    {"\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
     4,
     "8004953201000000000000582c010000787878787878787878787878787878787878787878787878787878787878787878787878787878787"
     "87878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878"
     "78787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787"
     "87878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878"
     "78787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787"
     "87878787878787878787878787878787878787878787878787878787878787878782e"},
    {"{\"$bytes\": \"AP8=\"}", 2, "8002635f636f646563730a656e636f64650a580300000000c3bf58060000006c6174696e3186522e"},
    {"{\"$bytes\": \"AP8=\"}", 3, "8003430200ff2e"},
    {"{\"$bytes\": \"AP8=\"}", 4, "8004950500000000000000430200ff2e"},
    {"{\"$bytes\": \"AP8=\"}", 5, "8005950500000000000000430200ff2e"},
    {"{\"$bytes\": \"\"}", 3, "800343002e"},
    {"{\"$bytes\": \"\"}", 4, "800443002e"},
    {"{\"$complex\": [1.5, -2.0]}", 2,
     "8002635f5f6275696c74696e5f5f0a636f6d706c65780a473ff800000000000047c00000000000000086522e"},
    {"{\"$complex\": [1.5, -2.0]}", 4,
     "80049529000000000000008c086275696c74696e738c07636f6d706c657893473ff800000000000047c00000000000000086522e"},
    {"[]", 4, "80045d2e"},
    {"[1]", 4, "80049505000000000000005d4b01612e"},
    {"[1, [2, 3]]", 2, "80025d284b015d284b024b0365652e"},
    {"[1, [2, 3]]", 4, "8004950d000000000000005d284b015d284b024b0365652e"},
    {"{\"$tuple\": []}", 4, "8004292e"},
    {"{\"$tuple\": [1]}", 4, "80049504000000000000004b01852e"},
    {"{\"$tuple\": [1, 2, 3]}", 4, "80049508000000000000004b014b024b03872e"},
    {"{\"$tuple\": [1, 2, 3, 4]}", 2, "8002284b014b024b034b04742e"},
    {"{\"$tuple\": [1, 2, 3, 4]}", 4, "8004950b00000000000000284b014b024b034b04742e"},
    {"{\"$dict\": {}}", 4, "80047d2e"},
    {"{\"$dict\": {\"a\": 1}}", 4, "80049508000000000000007d8c01614b01732e"},
    {"{\"$dict\": {\"a\": 1, \"b\": {\"$tuple\": [2]}}}", 3, "80037d285801000000614b015801000000624b0285752e"},
    {"{\"$dict\": {\"a\": 1, \"b\": {\"$tuple\": [2]}}}", 4, "8004950f000000000000007d288c01614b018c01624b0285752e"},
    {"[{\"$anchor\": 1, \"$list\": [1, 2]}, {\"$alias\": 1}]", 2, "80025d285d7100284b014b02656800652e"},
    {"[{\"$anchor\": 1, \"$list\": [1, 2]}, {\"$alias\": 1}]", 4, "8004950e000000000000005d285d94284b014b02656800652e"},
    {"{\"$anchor\": 1, \"$list\": [1, {\"$alias\": 1}]}", 2, "80025d7100284b016800652e"},
    {"{\"$anchor\": 1, \"$list\": [1, {\"$alias\": 1}]}", 4, "80049509000000000000005d94284b016800652e"},
    {"{\"$anchor\": 1, \"$tuple\": [[{\"$alias\": 1}], 5]}", 2, "80025d710068004b05867101614b05303068012e"},
    {"{\"$anchor\": 1, \"$tuple\": [[{\"$alias\": 1}], 5]}", 4,
     "80049510000000000000005d9468004b058694614b05303068012e"},
    {"{\"$model\": \"__main__.Point\", \"args\": [], \"state\": {\"x\": 1}}", 2,
     "8002635f5f6d61696e5f5f0a506f696e740a29817d5801000000784b0173622e"},
    {"{\"$model\": \"__main__.Point\", \"args\": [], \"state\": {\"x\": 1}}", 4,
     "8004951d000000000000008c085f5f6d61696e5f5f8c05506f696e749329817d8c01784b0173622e"},
    {"{\"$model\": \"datetime.date\", \"args\": [{\"$bytes\": \"B+QCHQ==\"}], \"state\": null}", 4,
     "8004951a000000000000008c086461746574696d658c046461746593430407e4021d85522e"},
    {"{\"$model\": \"builtins.set\", \"args\": [[1, 2]], \"state\": null}", 2,
     "8002635f5f6275696c74696e5f5f0a7365740a5d284b014b026585522e"},
    {"{\"$model\": \"builtins.set\", \"args\": [[1, 2]], \"state\": null}", 4,
     "80049508000000000000008f284b014b02902e"},
    {"{\"$model\": \"builtins.frozenset\", \"args\": [[1, 2]], \"state\": null}", 4,
     "8004950700000000000000284b014b02912e"},
    {"{\"$model\": \"builtins.bytearray\", \"args\": [{\"$bytes\": \"AGI=\"}], \"state\": null}", 3,
     "8003636275696c74696e730a6279746561727261790a4302006285522e"},
    {"{\"$model\": \"builtins.bytearray\", \"args\": [{\"$bytes\": \"AGI=\"}], \"state\": null}", 5,
     "8005950c0000000000000096020000000000000000622e"},
    {"{\"$model\": \"pickle.global\", \"args\": [\"builtins\", \"len\"], \"state\": null}", 2,
     "8002635f5f6275696c74696e5f5f0a6c656e0a2e"},
    {"{\"$model\": \"pickle.global\", \"args\": [\"builtins\", \"len\"], \"state\": null}", 4,
     "80049511000000000000008c086275696c74696e738c036c656e932e"},
};

static char *to_hex(const unsigned char *p, size_t len)
{
    char *s = malloc(2 * len + 1);
    for (size_t i = 0; i < len; i++)
        sprintf(s + 2 * i, "%02x", p[i]);
    s[2 * len] = '\0';
    return s;
}

/* Writes v with the given protocol (0: no option) and returns its hex. */
static char *pickle_hex(const brine_value *v, int proto, brine_error *err, int *rc)
{
    char opt[32];
    /* The vectors' own types, allowed as a program allows what it writes. */
    const char *items[2] = {"allow=__main__.Point,builtins.len", opt};
    brine_options o = {.count = proto ? 2 : 1, .items = items};
    void *data = NULL;
    size_t len = 0;
    char *hex;
    snprintf(opt, sizeof opt, "protocol=%d", proto);
    *rc = brine_encode_buffer(pk, v, &o, &data, &len, err);
    if (*rc != BRINE_OK)
        return NULL;
    hex = to_hex(data, len);
    brine_free(data);
    return hex;
}

static brine_doc *from_json(const char *json)
{
    const char *items[2] = {"refs", "legacy_tags"}; /* the vectors are 0.1's tagged JSON */
    brine_options o = {.count = 2, .items = items};
    brine_error err;
    brine_doc *doc = brine_decode_buffer(js, json, strlen(json), &o, &err);
    ck_assert_msg(doc != NULL, "%s: %s", json, err.message);
    return doc;
}

START_TEST(test_values_are_written_as_cpython_writes_them)
{
    const vector *t = &vectors[_i];
    brine_doc *doc = from_json(t->json);
    brine_error err;
    int rc;
    char *hex = pickle_hex(brine_doc_root(doc), t->proto, &err, &rc);
    ck_assert_msg(rc == BRINE_OK, "%s: %s", t->json, err.message);
    ck_assert_msg(strcmp(hex, t->hex) == 0, "%s protocol %d:\n got  %s\n want %s", t->json, t->proto, hex, t->hex);
    free(hex);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_protocol_4_is_the_default)
{
    brine_doc *doc = brine_doc_new();
    brine_error err;
    int rc;
    char *hex = pickle_hex(brine_doc_root(doc), 0, &err, &rc);
    ck_assert_int_eq(rc, BRINE_OK);
    ck_assert_str_eq(hex, "80044e2e");
    free(hex);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_a_list_that_contains_itself_gets_one_memo_entry)
{
    brine_doc *doc = brine_doc_new();
    brine_error err = {0};
    brine_value *l = brine_list_new(doc, &err);
    char *hex;
    int rc;
    brine_seq_append(l, brine_int_new(doc, 1, &err), &err);
    brine_seq_append(l, l, &err);
    ck_assert_int_eq(err.code, BRINE_OK);
    /* EMPTY_LIST MEMOIZE MARK 1 BINGET 0 APPENDS: CPython's bytes. */
    hex = pickle_hex(l, 4, &err, &rc);
    ck_assert_int_eq(rc, BRINE_OK);
    ck_assert_str_eq(hex, "80049509000000000000005d94284b016800652e");
    free(hex);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_a_tuple_met_again_inside_itself_is_written_twice_then_fetched)
{
    /* t = ([t], 5): CPython writes t again inside the list (that copy is
     * memoized and kept), then POPs the outer elements and GETs it. */
    brine_doc *doc = brine_doc_new();
    brine_error err = {0};
    brine_value *t = brine_tuple_new(doc, &err), *l = brine_list_new(doc, &err);
    char *hex;
    int rc;
    brine_seq_append(l, t, &err);
    brine_seq_append(t, l, &err);
    brine_seq_append(t, brine_int_new(doc, 5, &err), &err);
    ck_assert_int_eq(err.code, BRINE_OK);
    hex = pickle_hex(t, 4, &err, &rc);
    ck_assert_int_eq(rc, BRINE_OK);
    ck_assert_str_eq(hex, "80049510000000000000005d9468004b058694614b05303068012e");
    free(hex);
    hex = pickle_hex(t, 2, &err, &rc);
    ck_assert_int_eq(rc, BRINE_OK);
    ck_assert_str_eq(hex, "80025d710068004b05867101614b05303068012e");
    free(hex);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_a_tuple_that_contains_itself_through_tuples_only_is_refused)
{
    brine_doc *doc = brine_doc_new();
    brine_error err = {0};
    brine_value *top = brine_list_new(doc, &err), *t = brine_tuple_new(doc, &err), *u = brine_tuple_new(doc, &err);
    int rc;
    brine_seq_append(t, u, &err);
    brine_seq_append(u, t, &err);
    brine_seq_append(top, brine_null_new(doc, &err), &err);
    brine_seq_append(top, t, &err);
    ck_assert_int_eq(err.code, BRINE_OK);
    ck_assert_ptr_null(pickle_hex(top, 4, &err, &rc));
    ck_assert_int_eq(rc, BRINE_E_UNSUPPORTED);
    expect_error(&err, BRINE_E_UNSUPPORTED, BRINE_NO_OFFSET, "$[1]",
                 "a tuple that contains itself through tuples and model args only cannot be pickled");
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_a_model_name_without_a_module_is_refused)
{
    brine_doc *doc = brine_doc_new();
    brine_error err = {0};
    brine_value *top = brine_dict_new(doc, &err), *l = brine_list_new(doc, &err);
    int rc;
    brine_seq_append(l, brine_int_new(doc, 1, &err), &err);
    brine_seq_append(l, brine_model_new(doc, "Point", 5, &err), &err);
    brine_dict_set_str(top, "k", l, &err);
    ck_assert_int_eq(err.code, BRINE_OK);
    ck_assert_ptr_null(pickle_hex(top, 4, &err, &rc));
    ck_assert_int_eq(rc, BRINE_E_UNSUPPORTED);
    expect_error(&err, BRINE_E_UNSUPPORTED, BRINE_NO_OFFSET, "$.k[1]",
                 "model name 'Point' is not module.qualname, which pickle needs");
    brine_doc_free(doc);
}
END_TEST

/* Issue #19: pickle output naming a type outside the allow-list (the safe
 * preset plus allow=) is refused, naming the type, the option and the path. */
START_TEST(test_an_unlisted_model_type_is_refused_by_default)
{
    static const struct {
        const char *json, *allow;
        int rc;
        const char *path;
    } cases[] = {
        {"[1, {\"$model\": \"posix.system\", \"args\": [\"touch x\"], \"state\": null}]", NULL, BRINE_E_MODEL, "$[1]"},
        {"{\"$model\": \"pickle.global\", \"args\": [\"os\", \"system\"], \"state\": null}", NULL, BRINE_E_MODEL, "$"},
        {"{\"$model\": \"builtins.getattr\", \"args\": [], \"state\": null}", "allow=builtins.get*", BRINE_OK, NULL},
        {"{\"$model\": \"posix.system\", \"args\": [\"touch x\"], \"state\": null}", "allow=posix.system", BRINE_OK,
         NULL},
        {"{\"$model\": \"collections.OrderedDict\", \"args\": [], \"state\": null}", NULL, BRINE_OK, NULL},
        {"{\"$model\": \"sklearn.utils._testing.f\", \"args\": [], \"state\": null}", "allow=sklearn.*", BRINE_E_MODEL,
         "$"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        brine_doc *doc = from_json(cases[i].json);
        const char *items[1] = {cases[i].allow};
        brine_options o = {.count = cases[i].allow ? 1 : 0, .items = items};
        brine_error err;
        void *data = NULL;
        size_t len;
        int rc = brine_encode_buffer(pk, brine_doc_root(doc), &o, &data, &len, &err);
        ck_assert_msg(rc == cases[i].rc, "%s: rc %d: %s", cases[i].json, rc, err.message);
        if (rc) {
            ck_assert_ptr_nonnull(strstr(err.message, "which is not allowed: add it to the encoder's allow= option"));
            ck_assert_str_eq(err.path, cases[i].path);
        }
        brine_free(data);
        brine_doc_free(doc);
    }
}
END_TEST

typedef struct point {
    int64_t x;
} point;

static brine_value *point_to_state(const void *obj, brine_doc *doc, brine_error *err)
{
    return brine_int_new(doc, ((const point *)obj)->x, err);
}

static void *point_from_state(const brine_value *state, brine_error *err)
{
    point *p = malloc(sizeof *p);
    (void)err;
    if (p && brine_int_get_i64(state, &p->x) != BRINE_OK)
        p->x = 0;
    return p;
}

/* Saving through <brine/model.h> allows the registered types (and those
 * brine_models_allow names) without any option; a strict set with the
 * names allowed reads a pickle whose args are not (version,) as data. */
START_TEST(test_registered_and_allowed_types_are_written_and_read_strictly)
{
    brine_models *models = brine_models_new(NULL);
    brine_model_type t = {.name = "myapp.Point",
                          .version = 1,
                          .to_state = point_to_state,
                          .from_state = point_from_state,
                          .destroy = free};
    point p = {42};
    brine_error err;
    void *data = NULL;
    size_t len;
    brine_loaded out;
    ck_assert_int_eq(brine_models_register(models, &t, &err), BRINE_OK);
    ck_assert_int_eq(brine_model_save_buffer(models, reg, "pickle", "myapp.Point", &p, NULL, &data, &len, &err),
                     BRINE_OK);
    ck_assert_int_eq(brine_model_load_buffer(models, reg, "pickle", data, len, "myapp.Point", NULL, &out, &err),
                     BRINE_OK);
    ck_assert_int_eq(((point *)out.obj)->x, 42);
    brine_loaded_destroy(&out);
    brine_free(data);
    /* A pickle of a class whose args Python's reduce chose: (3, 'x'). */
    static const unsigned char foreign[] = "\x80\x04\x8c\x03lib\x8c\x03Vec\x93K\x03\x8c\x01x\x86R.";
    brine_models_set_strict(models, 1);
    ck_assert_int_eq(
        brine_model_load_buffer(models, reg, "pickle", foreign, sizeof foreign - 1, NULL, NULL, &out, &err),
        BRINE_E_MODEL);
    ck_assert_str_eq(err.message, "model type 'lib.Vec' is not registered");
    ck_assert_int_eq(brine_models_allow(models, "lib.Vec", &err), BRINE_OK);
    ck_assert_ptr_null(brine_models_find(models, "lib.Vec")); /* allowed, not registered */
    ck_assert_int_eq(
        brine_model_load_buffer(models, reg, "pickle", foreign, sizeof foreign - 1, NULL, NULL, &out, &err), BRINE_OK);
    ck_assert_ptr_null(out.obj);
    ck_assert_ptr_nonnull(out.data);
    brine_loaded_destroy(&out);
    brine_models_free(models);
}
END_TEST

START_TEST(test_an_unknown_protocol_is_an_option_error)
{
    static const char *const bad[] = {"protocol=6", "protocol=1", "protocol=", "protocol=44", "protocol=x"};
    brine_doc *doc = brine_doc_new();
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        brine_options o = {.count = 1, .items = &bad[i]};
        brine_error err;
        void *data = NULL;
        size_t len;
        ck_assert_int_eq(brine_encode_buffer(pk, brine_doc_root(doc), &o, &data, &len, &err), BRINE_E_OPTION);
        ck_assert_int_eq(err.code, BRINE_E_OPTION);
        ck_assert_ptr_null(data);
    }
    brine_doc_free(doc);
}
END_TEST

static brine_value *nest_lists(brine_doc *doc, size_t depth)
{
    brine_error err = {0};
    brine_value *top = brine_list_new(doc, &err), *cur = top;
    for (size_t i = 1; i < depth; i++) {
        brine_value *next = brine_list_new(doc, &err);
        brine_seq_append(cur, next, &err);
        cur = next;
    }
    ck_assert_int_eq(err.code, BRINE_OK);
    return top;
}

START_TEST(test_nesting_beyond_the_depth_limit_fails_cleanly)
{
    brine_doc *doc = brine_doc_new();
    brine_error err;
    int rc;
    char *hex = pickle_hex(nest_lists(doc, 1000), 4, &err, &rc);
    ck_assert_int_eq(rc, BRINE_OK);
    free(hex);
    ck_assert_ptr_null(pickle_hex(nest_lists(doc, 1001), 4, &err, &rc));
    ck_assert_int_eq(rc, BRINE_E_DEPTH);
    ck_assert_int_eq(err.code, BRINE_E_DEPTH);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_deep_shared_tuples_are_written_without_recursion)
{
    /* 200,000 nested tuples, shared: the whole chain is recorded and
     * written by the explicit-stack port of save(). */
    const size_t n = 200000;
    brine_doc *doc = brine_doc_new();
    brine_error err = {0};
    brine_value *top = brine_list_new(doc, &err), *t = brine_tuple_new(doc, &err), *cur = t;
    const char *items[1] = {"protocol=4"};
    brine_options o = {.max_depth = n + 10, .count = 1, .items = items};
    unsigned char *data = NULL;
    size_t len = 0, body = 0;
    for (size_t i = 1; i < n; i++) {
        brine_value *next = brine_tuple_new(doc, &err);
        brine_seq_append(next, brine_int_new(doc, 7, &err), &err);
        brine_seq_append(cur, next, &err);
        cur = next;
    }
    brine_seq_append(top, t, &err);
    brine_seq_append(top, t, &err);
    ck_assert_int_eq(err.code, BRINE_OK);
    brine_doc_set_max_depth(doc, n + 10);
    ck_assert_int_eq(brine_encode_buffer(pk, top, &o, (void **)&data, &len, &err), BRINE_OK);
    /* 2 + 199,999 BININT1 + 200,000 TUPLE1/TUPLE2 + MEMOIZE, BINGET 0,
     * APPENDS, STOP: 600,005 bytes; the 200,000 closing opcodes in a row
     * are cut into frames of at most 128 KiB, the last one "h\0e.". */
    ck_assert_int_eq(memcmp(data + len - 13, "\x95\x04\0\0\0\0\0\0\0h\0e.", 13), 0);
    for (size_t pos = 2, flen; pos < len; pos += 9 + flen) {
        ck_assert_uint_eq(data[pos], 0x95);
        flen = 0;
        for (int i = 0; i < 8; i++)
            flen |= (size_t)data[pos + 1 + i] << (8 * i);
        ck_assert_uint_le(flen, 2 * 65536 + 16);
        body += flen;
    }
    ck_assert_uint_eq(body, 600005);
    brine_free(data);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_big_payloads_are_written_outside_frames)
{
    static unsigned char big[70000];
    brine_doc *doc = brine_doc_new();
    brine_error err = {0};
    brine_value *l = brine_list_new(doc, &err);
    const char *items[1] = {"protocol=4"};
    brine_options o = {.count = 1, .items = items};
    unsigned char *data = NULL;
    size_t len = 0;
    memset(big, 'x', sizeof big);
    brine_seq_append(l, brine_bytes_new(doc, big, sizeof big, &err), &err);
    brine_seq_append(l, brine_int_new(doc, 1, &err), &err);
    ck_assert_int_eq(brine_encode_buffer(pk, l, &o, (void **)&data, &len, &err), BRINE_OK);
    /* CPython: the 2 bytes "](" before it are too few for a FRAME; BINBYTES
     * and its payload unframed; then FRAME(4) "K\x01e.". */
    ck_assert_uint_eq(len, 70022);
    ck_assert_int_eq(memcmp(data, "\x80\x04](B\x70\x11\x01\x00xxx", 12), 0);
    ck_assert_int_eq(memcmp(data + len - 14,
                            "x\x95\x04\0\0\0\0\0\0\0K\x01"
                            "e.",
                            14),
                     0);
    brine_free(data);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_frames_hold_about_64_kib)
{
    brine_doc *doc = brine_doc_new();
    brine_error err = {0};
    brine_value *l = brine_list_new(doc, &err);
    unsigned char chunk[1000], *data = NULL;
    size_t len = 0, pos = 2, frames = 0;
    for (int i = 0; i < 300; i++) {
        memset(chunk, i, sizeof chunk);
        brine_seq_append(l, brine_bytes_new(doc, chunk, sizeof chunk, &err), &err);
    }
    ck_assert_int_eq(brine_encode_buffer(pk, l, NULL, (void **)&data, &len, &err), BRINE_OK);
    while (pos < len) {
        uint64_t flen = 0;
        ck_assert_uint_eq(data[pos], 0x95);
        for (int i = 0; i < 8; i++)
            flen |= (uint64_t)data[pos + 1 + i] << (8 * i);
        pos += 9 + flen;
        frames++;
        if (pos < len) /* every frame but the last: just past 64 KiB */
            ck_assert(flen >= 65536 && flen < 65536 + 1100);
    }
    ck_assert_uint_eq(pos, len);
    ck_assert_uint_eq(frames, 5); /* 300 * 1005 bytes */
    brine_free(data);
    brine_doc_free(doc);
}
END_TEST

/* ---- the encoder as a sink: streams a decoder might send --------------------- */

static brine_event ev_begin(brine_event_kind k, size_t count, uint64_t anchor)
{
    brine_event e;
    memset(&e, 0, sizeof e);
    e.kind = k;
    e.anchor = anchor;
    e.v.count = count;
    return e;
}

static brine_event ev_int(int64_t i)
{
    brine_event e;
    memset(&e, 0, sizeof e);
    e.kind = BRINE_EV_INT;
    e.v.i = i;
    return e;
}

static brine_event ev_kind(brine_event_kind k)
{
    brine_event e;
    memset(&e, 0, sizeof e);
    e.kind = k;
    return e;
}

static brine_event ev_model(const char *name)
{
    brine_event e = ev_kind(BRINE_EV_MODEL);
    e.v.s.ptr = name;
    e.v.s.len = strlen(name);
    return e;
}

static brine_event ev_ref(uint64_t id)
{
    brine_event e = ev_kind(BRINE_EV_REF);
    e.v.ref = id;
    return e;
}

/* Sends n events (and finish if all pass); returns the first failure. */
static int run_events(const brine_event *evs, size_t n, char **hex, brine_error *err)
{
    brine_output out;
    brine_sink *s;
    int rc = BRINE_OK;
    size_t i, len;
    void *data;
    static const char *const allow[] = {"allow=m.*"}; /* the models of these streams */
    brine_options opts = {.count = 1, .items = allow};
    brine_error_clear(err);
    ck_assert_int_eq(brine_output_init_buffer(&out, err), BRINE_OK);
    s = pk->encoder_new(&out, &opts, err);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(s->flags & BRINE_SINK_REFS, BRINE_SINK_REFS);
    for (i = 0; i < n && rc == BRINE_OK; i++)
        rc = s->event(s, &evs[i]);
    if (rc == BRINE_OK)
        rc = s->finish(s);
    s->destroy(s);
    data = brine_output_take(&out, &len);
    *hex = rc == BRINE_OK ? to_hex(data, len) : NULL;
    brine_free(data);
    brine_output_destroy(&out);
    return rc;
}

START_TEST(test_unannounced_counts_get_cpython_forms)
{
    const size_t U = BRINE_COUNT_UNKNOWN;
    brine_event one[] = {ev_begin(BRINE_EV_LIST, U, 0), ev_int(1), ev_kind(BRINE_EV_END)};
    brine_event pair[] = {ev_begin(BRINE_EV_TUPLE, U, 0), ev_int(1), ev_int(2), ev_kind(BRINE_EV_END)};
    brine_event dict[] = {ev_begin(BRINE_EV_DICT, U, 0), ev_int(1), ev_int(2), ev_kind(BRINE_EV_END)};
    brine_event two[] = {ev_begin(BRINE_EV_LIST, U, 0), ev_int(1), ev_int(2), ev_kind(BRINE_EV_END)};
    brine_error err;
    char *hex;
    ck_assert_int_eq(run_events(one, 3, &hex, &err), BRINE_OK);
    ck_assert_str_eq(hex, "80049505000000000000005d4b01612e");
    free(hex);
    ck_assert_int_eq(run_events(pair, 4, &hex, &err), BRINE_OK);
    ck_assert_str_eq(hex, "80049506000000000000004b014b02862e");
    free(hex);
    ck_assert_int_eq(run_events(dict, 4, &hex, &err), BRINE_OK);
    ck_assert_str_eq(hex, "80049507000000000000007d4b014b02732e");
    free(hex);
    ck_assert_int_eq(run_events(two, 4, &hex, &err), BRINE_OK);
    ck_assert_str_eq(hex, "80049508000000000000005d284b014b02652e");
    free(hex);
}
END_TEST

START_TEST(test_malformed_event_streams_are_refused)
{
    brine_event end_only[] = {ev_kind(BRINE_EV_END)};
    brine_event bad_args[] = {ev_model("m.M"), ev_int(1)};
    brine_event three[] = {ev_model("m.M"), ev_begin(BRINE_EV_TUPLE, 0, 0), ev_kind(BRINE_EV_END),
                           ev_kind(BRINE_EV_NULL), ev_int(3)};
    brine_event bad_ref[] = {ev_begin(BRINE_EV_LIST, 1, 0), ev_ref(9)};
    brine_event extra[] = {ev_begin(BRINE_EV_LIST, 1, 0), ev_int(1), ev_int(2)};
    brine_event after[] = {ev_int(1), ev_int(2)};
    brine_event early[] = {ev_begin(BRINE_EV_LIST, 2, 0), ev_int(1)};
#define EVS(a) (a), sizeof(a) / sizeof((a)[0])
    const struct {
        const brine_event *evs;
        size_t count;
        int code;
        const char *path, *message; /* NULL: not checked */
    } cases[] = {
        {EVS(end_only), BRINE_E_INVALID, NULL, "an END without an open container"},
        {EVS(bad_args), BRINE_E_INVALID, "$.args", "a model's args must be a tuple"},
        {EVS(three), BRINE_E_INVALID, NULL, "a model has exactly two children, args and state"},
        {EVS(bad_ref), BRINE_E_REF, "$[0]", "a reference to anchor 9, which was not defined before"},
        {EVS(extra), BRINE_E_INVALID, "$[1]", NULL},
        {EVS(after), BRINE_E_INVALID, NULL, "an event after the end of the value"},
        {EVS(early), BRINE_E_INVALID, NULL, "the events ended before the value was complete"},
    };
#undef EVS
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        brine_error err;
        char *hex;
        ck_assert_msg(run_events(cases[i].evs, cases[i].count, &hex, &err) == cases[i].code, "case %zu: %s", i,
                      err.message);
        expect_error(&err, cases[i].code, BRINE_NO_OFFSET, cases[i].path, cases[i].message);
    }
}
END_TEST

START_TEST(test_a_model_met_again_inside_its_own_args_is_fetched_back)
{
    /* m = M(lst) with lst = [m]: recorded, m written again inside lst,
     * then the outer REDUCE result is thrown away (POP) and m fetched. */
    brine_event evs[] = {
        ev_model("m.Box"),     ev_begin(BRINE_EV_TUPLE, 1, 0), ev_begin(BRINE_EV_LIST, 1, 0), ev_ref(1),
        ev_kind(BRINE_EV_END), ev_kind(BRINE_EV_END),          ev_kind(BRINE_EV_NULL),        ev_kind(BRINE_EV_END)};
    brine_error err;
    char *hex;
    evs[0].anchor = 1;
    ck_assert_int_eq(run_events(evs, 8, &hex, &err), BRINE_OK);
    /* STACK_GLOBAL m Box; EMPTY_LIST MEMOIZE(0); [inner: STACK_GLOBAL,
     * BINGET 0, TUPLE1, REDUCE, MEMOIZE(1)]; APPEND; TUPLE1 REDUCE; the
     * outer result is thrown away: POP BINGET 1. CPython writes the same
     * for class Box with __reduce__ returning (Box, (self.items,)), but
     * for memoizing the class and fetching it the second time. */
    ck_assert_str_eq(hex, "80049520000000000000008c016d8c03426f78935d948c016d8c03426f789368008552946185523068012e");
    free(hex);
}
END_TEST

START_TEST(test_shared_strs_bytes_and_big_ints_are_written_once_and_fetched)
{
    /* [s, t, t, g1, g2, m, s, b, b, n, n]: s a 24-byte str also inside the
     * shared tuple t (a record); g1 and g2 pickle.global models whose args
     * share the module name m, which GLOBAL writes as text (the writer
     * keeps m's bytes for that); b shared bytes, n a shared big int. Every
     * protocol gives the very values back, s and b as one block each. */
    static const unsigned char big[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
    brine_error err;
    brine_doc *doc = brine_doc_new();
    brine_value *root = brine_list_new(doc, &err), *t = brine_tuple_new(doc, &err);
    brine_value *s = brine_str_new_cstr(doc, "a str shared by 4 slots", &err);
    brine_value *m = brine_str_new_cstr(doc, "a.long.module.name", &err);
    brine_value *b = brine_bytes_new(doc, "twenty shared bytes.", 20, &err);
    brine_value *n = brine_int_new_bytes(doc, big, sizeof big, &err);
    brine_value *g[2];
    for (int i = 0; i < 2; i++) {
        g[i] = brine_model_new(doc, "pickle.global", 13, &err);
        brine_value *args = brine_tuple_new(doc, &err);
        ck_assert_int_eq(brine_seq_append(args, m, &err), BRINE_OK);
        ck_assert_int_eq(brine_seq_append(args, brine_str_new_cstr(doc, i ? "Two" : "One", &err), &err), BRINE_OK);
        ck_assert_int_eq(brine_model_set_args(g[i], args, &err), BRINE_OK);
    }
    ck_assert_int_eq(brine_seq_append(t, s, &err), BRINE_OK);
    ck_assert_int_eq(brine_seq_append(t, s, &err), BRINE_OK);
    brine_value *items[] = {s, t, t, g[0], g[1], m, s, b, b, n, n};
    for (size_t i = 0; i < sizeof items / sizeof *items; i++)
        ck_assert_int_eq(brine_seq_append(root, items[i], &err), BRINE_OK);
    for (int proto = 2; proto <= 5; proto++) {
        char p[32];
        const char *items_opt[] = {p, "allow=a.long.module.name.*"};
        brine_options opts = {.count = 2, .items = items_opt};
        void *data;
        size_t len, slen;
        snprintf(p, sizeof p, "protocol=%d", proto);
        ck_assert_msg(brine_encode_buffer(pk, root, &opts, &data, &len, &err) == BRINE_OK, "protocol %d: %s", proto,
                      err.message);
        /* The str and the bytes once each (not four and two times). */
        ck_assert_ptr_nonnull(memmem(data, len, "a str shared by 4 slots", 23));
        const char *after = (const char *)memmem(data, len, "a str shared by 4 slots", 23) + 23;
        ck_assert_ptr_null(memmem(after, len - (size_t)(after - (const char *)data), "a str shared", 12));
        brine_doc *back = brine_decode_buffer(pk, data, len, NULL, &err);
        ck_assert_msg(back != NULL, "protocol %d: %s", proto, err.message);
        brine_value *r = brine_doc_root(back);
        ck_assert_msg(brine_value_equal(r, root, 0, &err) == 1, "protocol %d: not the same value back", proto);
        const char *first = brine_str_get(brine_seq_get(r, 0), &slen);
        ck_assert_ptr_eq(first, brine_str_get(brine_seq_get(r, 6), NULL));
        ck_assert_ptr_eq(first, brine_str_get(brine_seq_get(brine_seq_get(r, 1), 1), NULL));
        ck_assert_ptr_eq(brine_bytes_get(brine_seq_get(r, 7), NULL), brine_bytes_get(brine_seq_get(r, 8), NULL));
        brine_doc_free(back);
        brine_free(data);
    }
    brine_doc_free(doc);
}
END_TEST

/* ---- allocation failures ------------------------------------------------------ */

static long fail_countdown = -1; /* allocations left before one fails; -1: never */

static void *fail_malloc(size_t n)
{
    if (fail_countdown == 0)
        return NULL;
    if (fail_countdown > 0)
        fail_countdown--;
    return malloc(n);
}

static void *fail_realloc(void *p, size_t n)
{
    if (fail_countdown == 0)
        return NULL;
    if (fail_countdown > 0)
        fail_countdown--;
    return realloc(p, n);
}

START_TEST(test_every_allocation_failure_is_reported_cleanly)
{
    /* A shared tuple in a cycle (recorded), a set model, a streamed list
     * and dict, a big str: each allocation of the writer fails in turn. */
    static const char json[] = "[{\"$anchor\": 1, \"$tuple\": [[{\"$alias\": 1}], 5, \"s\"]}, {\"$alias\": 1}, "
                               "{\"$model\": \"builtins.set\", \"args\": [[1, 2]], \"state\": null}, "
                               "{\"k\": [1, 2, 3], \"big\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}]";
    brine_doc *doc;
    char *want, *got;
    brine_error err;
    int rc, failed = 0;
    brine_set_allocator(fail_malloc, fail_realloc, free);
    doc = from_json(json);
    want = pickle_hex(brine_doc_root(doc), 4, &err, &rc);
    ck_assert_int_eq(rc, BRINE_OK);
    for (long n = 0;; n++) {
        fail_countdown = n;
        got = pickle_hex(brine_doc_root(doc), 4, &err, &rc);
        fail_countdown = -1;
        if (rc == BRINE_OK) {
            ck_assert_str_eq(got, want);
            free(got);
            break;
        }
        ck_assert_int_eq(rc, BRINE_E_NOMEM);
        ck_assert_int_eq(err.code, BRINE_E_NOMEM);
        failed++;
    }
    ck_assert_int_gt(failed, 5);
    free(want);
    brine_doc_free(doc);
    brine_set_allocator(NULL, NULL, NULL);
}
END_TEST

static Suite *pickle_write_suite(void)
{
    Suite *s = suite_create("pickle_write");
    TCase *tc = tcase_create("write");
    registry_fixture(tc, &reg, fixture_formats);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_values_are_written_as_cpython_writes_them, 0, (int)(sizeof vectors / sizeof *vectors));
    tcase_add_test(tc, test_protocol_4_is_the_default);
    tcase_add_test(tc, test_a_list_that_contains_itself_gets_one_memo_entry);
    tcase_add_test(tc, test_a_tuple_met_again_inside_itself_is_written_twice_then_fetched);
    tcase_add_test(tc, test_a_tuple_that_contains_itself_through_tuples_only_is_refused);
    tcase_add_test(tc, test_a_model_name_without_a_module_is_refused);
    tcase_add_test(tc, test_an_unknown_protocol_is_an_option_error);
    tcase_add_test(tc, test_an_unlisted_model_type_is_refused_by_default);
    tcase_add_test(tc, test_registered_and_allowed_types_are_written_and_read_strictly);
    tcase_add_test(tc, test_nesting_beyond_the_depth_limit_fails_cleanly);
    tcase_add_test(tc, test_deep_shared_tuples_are_written_without_recursion);
    tcase_add_test(tc, test_big_payloads_are_written_outside_frames);
    tcase_add_test(tc, test_frames_hold_about_64_kib);
    tcase_add_test(tc, test_unannounced_counts_get_cpython_forms);
    tcase_add_test(tc, test_malformed_event_streams_are_refused);
    tcase_add_test(tc, test_a_model_met_again_inside_its_own_args_is_fetched_back);
    tcase_add_test(tc, test_shared_strs_bytes_and_big_ints_are_written_once_and_fetched);
    tcase_add_test(tc, test_every_allocation_failure_is_reported_cleanly);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(pickle_write_suite)
