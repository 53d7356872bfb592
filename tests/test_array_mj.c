/* test_array_mj.c: arrays in the msgpack and json formats (#20, item 3):
 * round trips of every dtype (records with padding, sub-arrays and nesting
 * too), of 0-d to 5-d, empty and big-endian arrays, shared arrays with
 * refs, through msgpack's ext 86, msgpack-numpy's maps (the numpy option)
 * and json's $array tag in the envelope (json and jsonl); the exact bytes
 * and text docs/msgpack.md and docs/json.md show; `plain` giving numpy's
 * tolist(); hostile inputs refused with their code, offset and path. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

#include "check_util.h"

static brine_registry *reg;
static const brine_plugin *mp, *js, *jl, *nat;
static brine_doc *doc;
static brine_error err;

static const test_format formats[] = {
    {"msgpack", &mp, NULL}, {"json", &js, NULL}, {"jsonl", &jl, NULL}, {"native", &nat, NULL}, {0}};

static const char *const dtypes[] = {"|b1", "|i1", "<i2",     ">i4",    "<i8",       "|u1",     ">u2",  "<u4",
                                     "<u8", "<f2", "<f4",     ">f8",    "<f8",       "<c8",     ">c16", "|S10",
                                     "<U5", ">U1", "<M8[ns]", ">M8[D]", "<m8[10ms]", "<m8[as]", "|V16"};

static brine_dtype *dt_of(const char *s)
{
    brine_dtype *dt = brine_dtype_parse(doc, s, strlen(s), &err);
    ck_assert_msg(dt != NULL, "%s: %s", s, err.message);
    return dt;
}

/* A record with padding before, between and after its fields, a sub-array
 * field and a nested record: numpy's descr
 * [('', '|V2'), ('a', '<i2'), ('', '|V4'), ('v', '>f8', (2, 3)), ('n', [('x', '|u1'), ('', '|V1')]), ('', '|V3')]. */
static brine_dtype *record_dtype(void)
{
    brine_dtype *inner = brine_dtype_record_new(doc, 2, &err);
    ck_assert_int_eq(brine_dtype_record_add(inner, "x", 1, dt_of("|u1"), 0, 0, NULL, &err), BRINE_OK);
    brine_dtype *rec = brine_dtype_record_new(doc, 2 + 2 + 4 + 48 + 2 + 3, &err);
    uint64_t sub[] = {2, 3};
    ck_assert_int_eq(brine_dtype_record_add(rec, "a", 1, dt_of("<i2"), 2, 0, NULL, &err), BRINE_OK);
    ck_assert_int_eq(brine_dtype_record_add(rec, "v", 1, dt_of(">f8"), 8, 2, sub, &err), BRINE_OK);
    ck_assert_int_eq(brine_dtype_record_add(rec, "n", 1, inner, 56, 0, NULL, &err), BRINE_OK);
    return rec;
}

static brine_value *filled(const brine_dtype *dt, unsigned ndim, const uint64_t *shape, unsigned seed)
{
    brine_value *a = brine_array_new(doc, dt, ndim, shape, NULL, &err);
    ck_assert_msg(a != NULL, "%s", err.message);
    unsigned char *p = brine_array_data_mut(a);
    for (size_t k = 0; k < brine_array_nbytes(a); k++)
        p[k] = (unsigned char)(k * 37 + seed);
    return a;
}

/* v through fmt with the options of list and back: equal, same dtypes. */
static void roundtrip(const brine_plugin *fmt, const brine_value *v, const char *enc, const char *dec)
{
    size_t len;
    void *out = encode_with(fmt, v, enc, 0, &len, &err);
    ck_assert_msg(out != NULL, "%s encode: %s at %s", fmt->name, err.message, err.path);
    brine_doc *back = decode_with(fmt, out, len, dec, 0, &err);
    ck_assert_msg(back != NULL, "%s decode: %s at %s (offset %llu)", fmt->name, err.message, err.path,
                  (unsigned long long)err.offset);
    ck_assert_msg(brine_value_equal(brine_doc_root(back), v, 0, &err) == 1, "%s %s: not equal", fmt->name,
                  enc ? enc : "");
    brine_doc_free(back);
    brine_free(out);
}

static brine_value *every_array(void)
{
    brine_value *list = brine_list_new(doc, &err);
    uint64_t shapes[6][5] = {{0}, {3}, {2, 3}, {1, 2, 3}, {2, 1, 2, 1}, {1, 2, 1, 2, 2}};
    uint64_t empty[] = {0, 4};
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++) {
        for (unsigned ndim = 0; ndim <= 5; ndim++)
            brine_seq_append(list, filled(dt_of(dtypes[i]), ndim, shapes[ndim], (unsigned)i), &err);
        brine_seq_append(list, filled(dt_of(dtypes[i]), 2, empty, 0), &err);
    }
    for (unsigned ndim = 0; ndim <= 2; ndim++)
        brine_seq_append(list, filled(record_dtype(), ndim, shapes[ndim], 7), &err);
    return list;
}

START_TEST(test_every_dtype_and_shape_round_trips)
{
    brine_value *list = every_array();
    roundtrip(mp, list, NULL, NULL);
    roundtrip(mp, list, "numpy", "numpy");
    roundtrip(js, list, NULL, NULL);
    roundtrip(js, list, "pretty", NULL);
    roundtrip(js, list, "tagged", NULL);
    roundtrip(jl, list, NULL, NULL); /* each line its own envelope */
    /* Each array alone too: at the top, and as a dict's value. */
    for (size_t i = 0; i < brine_seq_count(list); i++) {
        brine_value *a = brine_seq_get(list, i);
        roundtrip(mp, a, NULL, NULL);
        roundtrip(js, a, NULL, NULL);
        brine_value *d = brine_dict_new(doc, &err);
        brine_dict_set(d, S("$array"), a, &err);
        roundtrip(js, d, "pretty", NULL);
        roundtrip(mp, d, "numpy", "numpy");
    }
}
END_TEST

START_TEST(test_shared_arrays_keep_identity_with_refs)
{
    uint64_t s[] = {2};
    brine_value *a = filled(dt_of("<f8"), 1, s, 1);
    brine_value *list = brine_list_new(doc, &err);
    brine_seq_append(list, a, &err);
    brine_seq_append(list, a, &err);
    const brine_plugin *fmts[] = {mp, js};
    for (int f = 0; f < 2; f++) {
        size_t len;
        void *out = encode_with(fmts[f], list, "refs", 0, &len, &err);
        ck_assert_msg(out != NULL, "%s", err.message);
        brine_doc *back = decode_with(fmts[f], out, len, "refs", 0, &err);
        ck_assert_msg(back != NULL, "%s: %s", fmts[f]->name, err.message);
        brine_value *r = brine_doc_root(back);
        ck_assert_ptr_eq(brine_array_data(brine_seq_get(r, 0)), brine_array_data(brine_seq_get(r, 1)));
        ck_assert_int_eq(brine_value_equal(r, list, 0, &err), 1);
        brine_doc_free(back);
        brine_free(out);
    }
    /* Without refs each place gets its copy. */
    for (int f = 0; f < 2; f++) {
        size_t len;
        void *out = encode_with(fmts[f], list, NULL, 0, &len, &err);
        brine_doc *back = decode_with(fmts[f], out, len, NULL, 0, &err);
        brine_value *r = brine_doc_root(back);
        ck_assert_ptr_ne(brine_array_data(brine_seq_get(r, 0)), brine_array_data(brine_seq_get(r, 1)));
        ck_assert_int_eq(brine_value_equal(brine_seq_get(r, 1), a, 0, &err), 1);
        brine_doc_free(back);
        brine_free(out);
    }
}
END_TEST

/* ---- the documented bytes ---------------------------------------------- */

static const unsigned char f8_data[] = {0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40}; /* 1.5, 2.0 */

static void expect_bytes(const void *got, size_t len, const unsigned char *want, size_t n)
{
    char a[512] = "", b[512] = "";
    for (size_t i = 0; i < len && i < 160; i++)
        snprintf(a + strlen(a), sizeof a - strlen(a), "%02x", ((const unsigned char *)got)[i]);
    for (size_t i = 0; i < n && i < 160; i++)
        snprintf(b + strlen(b), sizeof b - strlen(b), "%02x", want[i]);
    ck_assert_msg(len == n && memcmp(got, want, n) == 0, "got %s, want %s", a, b);
}

START_TEST(test_msgpack_ext_86_bytes)
{
    uint64_t s[] = {2};
    brine_value *a = brine_array_new(doc, dt_of("<f8"), 1, s, f8_data, &err);
    static const unsigned char want[] = {0xc7, 25, 86, 0x93, 0xa3, '<',  'f', '8', 0x91, 0x02, 0xc4, 16, 0, 0,
                                         0,    0,  0,  0,    0xf8, 0x3f, 0,   0,   0,    0,    0,    0,  0, 0x40};
    size_t len;
    void *out = encode_with(mp, a, NULL, 0, &len, &err);
    expect_bytes(out, len, want, sizeof want);
    brine_free(out);
    /* numpy: msgpack-numpy's map, bytes keys as bin. */
    static const unsigned char np[] = {
        0x85, 0xc4, 2,   'n',  'd', 0xc3, 0xc4, 4,   't', 'y',  'p',  'e', 0xa3, '<',  'f',  '8', 0xc4, 4,   'k',
        'i',  'n',  'd', 0xc4, 0,   0xc4, 5,    's', 'h', 'a',  'p',  'e', 0x91, 0x02, 0xc4, 4,   'd',  'a', 't',
        'a',  0xc4, 16,  0,    0,   0,    0,    0,   0,   0xf8, 0x3f, 0,   0,    0,    0,    0,   0,    0,   0x40};
    out = encode_with(mp, a, "numpy", 0, &len, &err);
    expect_bytes(out, len, np, sizeof np);
    brine_doc *back = decode_with(mp, out, len, "numpy", 0, &err);
    ck_assert_int_eq(brine_value_equal(brine_doc_root(back), a, 0, &err), 1);
    brine_doc_free(back);
    /* Without the option the map is a dict. */
    back = decode_with(mp, out, len, NULL, 0, &err);
    ck_assert_int_eq(brine_type_of(brine_doc_root(back)), BRINE_DICT);
    brine_doc_free(back);
    brine_free(out);
    /* msgpack-numpy as older writers wrote it: str keys, no kind; and a
     * numpy scalar (nd false) as a 0-d array. */
    static const unsigned char old[] = {0x84, 0xa2, 'n', 'd',  0xc3, 0xa4, 't', 'y',  'p', 'e',  0xa3,
                                        '<',  'i',  '2', 0xa5, 's',  'h',  'a', 'p',  'e', 0x91, 0x01,
                                        0xa4, 'd',  'a', 't',  'a',  0xc4, 2,   0x05, 0x00};
    back = decode_with(mp, old, sizeof old, "numpy", 0, &err);
    ck_assert_msg(back != NULL, "%s", err.message);
    int64_t x;
    ck_assert_int_eq(brine_array_get_int64(brine_doc_root(back), 0, &x, &err), BRINE_OK);
    ck_assert_int_eq(x, 5);
    brine_doc_free(back);
    static const unsigned char scalar[] = {0x83, 0xc4, 2,   'n',  'd', 0xc2, 0xc4, 4,   't', 'y',  'p', 'e', 0xa3,
                                           '|',  'u',  '1', 0xc4, 4,   'd',  'a',  't', 'a', 0xc4, 1,   200};
    back = decode_with(mp, scalar, sizeof scalar, "numpy", 0, &err);
    ck_assert_msg(back != NULL, "%s", err.message);
    ck_assert_int_eq(brine_array_ndim(brine_doc_root(back)), 0);
    ck_assert_int_eq(brine_array_get_int64(brine_doc_root(back), 0, &x, &err), BRINE_OK);
    ck_assert_int_eq(x, 200);
    brine_doc_free(back);
}
END_TEST

START_TEST(test_json_array_tag_text)
{
    uint64_t s[] = {2};
    brine_value *a = brine_array_new(doc, dt_of("<f8"), 1, s, f8_data, &err);
    size_t len;
    char *out = encode_with(js, a, NULL, 0, &len, &err);
    ck_assert_str_eq(out, "{\"$brine\":1,\"value\":{\"$array\":{\"dtype\":\"<f8\",\"shape\":[2],\"data\":"
                          "\"AAAAAAAA+D8AAAAAAAAAQA==\"}}}");
    brine_free(out);
    out = encode_with(js, a, "pretty", 0, &len, &err);
    ck_assert_str_eq(out, "{\n  \"$brine\": 1,\n  \"value\": {\n    \"$array\": {\n      \"dtype\": \"<f8\",\n"
                          "      \"shape\": [\n        2\n      ],\n      \"data\": \"AAAAAAAA+D8AAAAAAAAAQA==\"\n"
                          "    }\n  }\n}\n");
    brine_free(out);
    /* A record's dtype is its descr. */
    brine_value *r = brine_array_new(doc, record_dtype(), 0, NULL, NULL, &err);
    out = encode_with(js, r, NULL, 0, &len, &err);
    ck_assert_ptr_nonnull(strstr(out, "\"dtype\":[[\"\",\"|V2\"],[\"a\",\"<i2\"],[\"\",\"|V4\"],[\"v\",\">f8\",[2,3]],"
                                      "[\"n\",[[\"x\",\"|u1\"],[\"\",\"|V1\"]]],[\"\",\"|V3\"]],\"shape\":[]"));
    brine_free(out);
    /* plain: numpy's tolist(), exact floats. */
    out = encode_with(js, a, "plain", 0, &len, &err);
    ck_assert_str_eq(out, "[1.5,2.0]");
    brine_free(out);
    out = encode_with(mp, a, "plain", 0, &len, &err);
    static const unsigned char plain[] = {0x92, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xcb, 0x40, 0, 0, 0, 0, 0, 0, 0};
    expect_bytes(out, len, plain, sizeof plain);
    brine_free(out);
    /* An array after plain output began, streamed: refused with the path. */
    brine_value *l = brine_list_new(doc, &err);
    brine_seq_append(l, I(1), &err);
    brine_seq_append(l, a, &err);
    void *nb;
    size_t nl;
    ck_assert_int_eq(brine_encode_buffer(nat, l, NULL, &nb, &nl, &err), BRINE_OK);
    brine_source src;
    brine_source_init_buffer(&src, nb, nl);
    brine_output o;
    brine_output_init_buffer(&o, &err);
    int streamed = -1;
    int rc = brine_transcode(nat, &src, NULL, js, &o, NULL, &streamed, &err);
    if (streamed == 1) {
        ck_assert_int_eq(rc, BRINE_E_UNSUPPORTED);
        ck_assert_str_eq(err.path, "$[1]");
        ck_assert_ptr_nonnull(strstr(err.message, "an array cannot be written as plain JSON"));
    } else {
        ck_assert_int_eq(rc, BRINE_OK);
    }
    brine_output_destroy(&o);
    /* Streamed into msgpack: the ext passes through. */
    brine_source_init_buffer(&src, nb, nl);
    brine_output_init_buffer(&o, &err);
    ck_assert_int_eq(brine_transcode(nat, &src, NULL, mp, &o, NULL, &streamed, &err), BRINE_OK);
    size_t ml;
    void *m = brine_output_take(&o, &ml);
    brine_doc *back = decode_with(mp, m, ml, NULL, 0, &err);
    ck_assert_int_eq(brine_value_equal(brine_doc_root(back), l, 0, &err), 1);
    brine_doc_free(back);
    brine_free(m);
    brine_output_destroy(&o);
    brine_free(nb);
}
END_TEST

/* ---- hostile input ------------------------------------------------------ */

static const struct {
    const char *name, *text;
    int code;
    uint64_t offset;
    const char *path, *msg;
} json_bad[] = {
    {"bad base64",
     "{\"$brine\":1,\"value\":[{\"$array\":{\"dtype\":\"<f8\",\"shape\":[1],\"data\":\"AAAAAAA*AAA=\"}}]}",
     BRINE_E_SYNTAX, 65, "$[0]", "Invalid base64 in the $array tag: line 1 column 66 (char 65)"},
    {"short data",
     "{\"$brine\":1,\"value\":{\"a\":{\"$array\":{\"dtype\":\"<f8\",\"shape\":[2],\"data\":\"AAAAAAAA+D8=\"}}}}",
     BRINE_E_CORRUPT, 69, "$.a",
     "The data of the $array tag has 12 base64 characters; its shape and dtype need 24 (16 bytes): line 1 column 70 "
     "(char 69)"},
    {"huge shape",
     "{\"$brine\":1,\"value\":{\"$array\":{\"dtype\":\"<f8\",\"shape\":[4294967296,4294967296],\"data\":\"\"}}}",
     BRINE_E_CORRUPT, 53, "$",
     "The shape and dtype of the $array tag make more bytes than memory holds: line 1 column 54 (char 53)"},
    {"shape overflow",
     "{\"$brine\":1,\"value\":{\"$array\":{\"dtype\":\"|u1\",\"shape\":[18446744073709551616],\"data\":\"\"}}}",
     BRINE_E_CORRUPT, 54, "$", "An integer beyond 2**64-1 in the shape of the $array tag: line 1 column 55 (char 54)"},
    {"bad dtype", "{\"$brine\":1,\"value\":{\"$array\":{\"dtype\":\"<q8\",\"shape\":[],\"data\":\"\"}}}",
     BRINE_E_CORRUPT, 39, "$", NULL},
    {"object dtype", "{\"$brine\":1,\"value\":{\"$array\":{\"dtype\":\"|O8\",\"shape\":[],\"data\":\"\"}}}",
     BRINE_E_UNSUPPORTED, 39, "$", NULL},
    {"negative", "{\"$brine\":1,\"value\":{\"$array\":{\"dtype\":\"<f8\",\"shape\":[-1],\"data\":\"\"}}}",
     BRINE_E_SYNTAX, 54, "$",
     "Expecting a non-negative integer in the shape of the $array tag: line 1 column 55 (char 54)"},
    {"keys out of order", "{\"$brine\":1,\"value\":{\"$array\":{\"shape\":[],\"dtype\":\"<f8\",\"data\":\"\"}}}",
     BRINE_E_SYNTAX, 31, "$", "Expecting \"dtype\" in the $array tag: line 1 column 32 (char 31)"},
    {"overlap",
     "{\"$brine\":1,\"value\":{\"$array\":{\"dtype\":[[\"a\",\"<i4\"],[\"a\",\"<i4\"]],\"shape\":[],\"data\":\"\"}}}",
     BRINE_E_CORRUPT, 39, "$", NULL},
    {"empty record", "{\"$brine\":1,\"value\":{\"$array\":{\"dtype\":[],\"shape\":[],\"data\":\"\"}}}", BRINE_E_CORRUPT,
     39, "$", "A record dtype without entries in the $array tag: line 1 column 40 (char 39)"},
};

START_TEST(test_json_hostile_arrays_fail_cleanly)
{
    for (size_t i = 0; i < sizeof json_bad / sizeof json_bad[0]; i++) {
        brine_doc *d = decode_with(js, json_bad[i].text, strlen(json_bad[i].text), NULL, 0, &err);
        ck_assert_msg(d == NULL, "%s decoded", json_bad[i].name);
        expect_error(&err, json_bad[i].code, json_bad[i].offset, json_bad[i].path, json_bad[i].msg);
    }
    /* A 64 KiB shape of ones is read in bounded memory, ndim 65 refused. */
    char buf[512];
    size_t n = (size_t)snprintf(buf, sizeof buf, "{\"$brine\":1,\"value\":{\"$array\":{\"dtype\":\"|u1\",\"shape\":[");
    for (int k = 0; k < 65; k++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s1", k ? "," : "");
    n += (size_t)snprintf(buf + n, sizeof buf - n, "],\"data\":\"AA==\"}}}");
    ck_assert_ptr_null(decode_with(js, buf, n, NULL, 0, &err));
    expect_error(&err, BRINE_E_CORRUPT, 53, "$",
                 "More than 64 dimensions in the shape of the $array tag: line 1 column 54 (char 53)");
}
END_TEST

static const struct {
    const char *name;
    unsigned char in[64];
    size_t n;
    const char *opts;
    int code;
    uint64_t offset;
    const char *path, *msg;
} mp_bad[] = {
    /* [ext 86 ...]: the ext at 1, its payload at 4 */
    {"data short",
     {0x91, 0xc7, 10, 86, 0x93, 0xa3, '<', 'f', '8', 0x91, 2, 0xc4, 1, 0},
     14,
     NULL,
     BRINE_E_CORRUPT,
     11,
     "$[0]",
     "an array's data holds 1 bytes, its shape and dtype need 16"},
    {"huge shape",
     {0x91, 0xc7, 24, 86, 0x93, 0xa3, '<', 'f', '8', 0x92, 0xcf, 0, 0, 0,    1,
      0,    0,    0,  0,  0xcf, 0,    0,   0,   1,   0,    0,    0, 0, 0xc4, 0},
     30,
     NULL,
     BRINE_E_CORRUPT,
     9,
     "$[0]",
     "an array's shape and dtype make more bytes than memory holds"},
    {"payload not array",
     {0xc7, 1, 86, 0xc0},
     4,
     NULL,
     BRINE_E_CORRUPT,
     3,
     "$",
     "an array's payload has the wrong type (byte 0xc0)"},
    {"two parts",
     {0xc7, 2, 86, 0x92, 0xc0},
     5,
     NULL,
     BRINE_E_CORRUPT,
     3,
     "$",
     "an array (ext 86) must hold [dtype, shape, data]"},
    {"bad dtype", {0xc7, 9, 86, 0x93, 0xa3, '<', 'x', '8', 0x90, 0xc4, 1, 0}, 12, NULL, BRINE_E_CORRUPT, 6, "$", NULL},
    {"dtype overruns",
     {0xc7, 3, 86, 0x93, 0xa3, '<', 'f', '8', 0x90},
     9,
     NULL,
     BRINE_E_CORRUPT,
     5,
     "$",
     "an array's dtype overruns its ext payload"},
    {"extra",
     {0xc7, 10, 86, 0x93, 0xa3, '|', 'u', '1', 0x90, 0xc4, 1, 7, 0xc0},
     13,
     NULL,
     BRINE_E_CORRUPT,
     12,
     "$",
     NULL},
    {"65 dims",
     {0xc7, 20, 86, 0x93, 0xa3, '|', 'u', '1', 0xdc, 0, 65},
     11,
     NULL,
     BRINE_E_TRUNCATED,
     ANY_OFFSET,
     "$",
     NULL},
    {"ext truncated", {0xc7, 40, 86, 0x93}, 4, NULL, BRINE_E_TRUNCATED, 4, "$", NULL},
    /* msgpack-numpy maps */
    {"np data short",
     {0x84, 0xa2, 'n', 'd', 0xc3, 0xa4, 't',  'y', 'p', 'e', 0xa3, '<',  'i', '2',  0xa5, 's',
      'h',  'a',  'p', 'e', 0x91, 0x02, 0xa4, 'd', 'a', 't', 'a',  0xc4, 2,   0x05, 0x00},
     31,
     "numpy",
     BRINE_E_CORRUPT,
     27,
     "$",
     "an array's data holds 2 bytes, its shape and dtype need 4"},
    {"np huge bin",
     {0x84, 0xa2, 'n', 'd', 0xc3, 0xa4, 't',  'y', 'p', 'e', 0xa3, '<',  'i',  '2',  0xa5, 's',
      'h',  'a',  'p', 'e', 0x91, 0x02, 0xa4, 'd', 'a', 't', 'a',  0xc6, 0x7f, 0xff, 0xff, 0xff},
     32,
     "numpy",
     BRINE_E_CORRUPT,
     27,
     "$",
     NULL},
    {"np truncated",
     {0x84, 0xa2, 'n', 'd', 0xc3, 0xa4, 't', 'y', 'p', 'e', 0xa3, '<', 'i'},
     13,
     "numpy",
     BRINE_E_TRUNCATED,
     13,
     "$",
     NULL},
    {"np repeated key",
     {0x83, 0xa2, 'n',  'd', 0xc3, 0xa4, 't', 'y',  'p', 'e', 0xa3, '<',
      'i',  '2',  0xa4, 't', 'y',  'p',  'e', 0xa3, '<', 'i', '2'},
     23,
     "numpy",
     BRINE_E_CORRUPT,
     14,
     "$",
     "a msgpack-numpy map holds an unexpected or repeated key"},
    {"np object",
     {0x85, 0xa2, 'n', 'd', 0xc3, 0xa4, 't', 'y', 'p', 'e', 0xa3, '|', 'O', '8', 0xa4, 'k', 'i', 'n', 'd', 0xa1, 'O'},
     21,
     "numpy",
     BRINE_E_UNSUPPORTED,
     12,
     "$",
     NULL},
};

START_TEST(test_msgpack_hostile_arrays_fail_cleanly)
{
    for (size_t i = 0; i < sizeof mp_bad / sizeof mp_bad[0]; i++) {
        brine_doc *d = decode_with(mp, mp_bad[i].in, mp_bad[i].n, mp_bad[i].opts, 0, &err);
        ck_assert_msg(d == NULL, "%s decoded", mp_bad[i].name);
        ck_assert_msg(err.code == mp_bad[i].code, "%s: %d %s", mp_bad[i].name, err.code, err.message);
        expect_error(&err, mp_bad[i].code, mp_bad[i].offset, mp_bad[i].path, mp_bad[i].msg);
    }
    /* plain reads ext 86 as a foreign ext. */
    static const unsigned char a[] = {0xc7, 9, 86, 0x93, 0xa3, '|', 'u', '1', 0x90, 0xc4, 1, 7};
    brine_doc *d = decode_with(mp, a, sizeof a, "plain", 0, &err);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(brine_type_of(brine_doc_root(d)), BRINE_MODEL);
    brine_doc_free(d);
    d = decode_with(mp, a, sizeof a, NULL, 0, &err);
    ck_assert_int_eq(brine_array_get_int64(brine_doc_root(d), 0, &(int64_t){0}, &err), BRINE_OK);
    brine_doc_free(d);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("array_mj");
    TCase *tc = tcase_create("core");
    registry_fixture(tc, &reg, formats);
    doc_fixture(tc, &doc, &err);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_every_dtype_and_shape_round_trips);
    tcase_add_test(tc, test_shared_arrays_keep_identity_with_refs);
    tcase_add_test(tc, test_msgpack_ext_86_bytes);
    tcase_add_test(tc, test_json_array_tag_text);
    tcase_add_test(tc, test_json_hostile_arrays_fail_cleanly);
    tcase_add_test(tc, test_msgpack_hostile_arrays_fail_cleanly);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
