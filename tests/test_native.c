/* test_native.c: the native format plugin against docs/native-format.md:
 * round trips of every type and boundary, canonical bytes, sharing and
 * cycles with identity, the golden files of data/native/, truncation and
 * bit-flip sweeps, hostile lengths, versions, depth, chunked input,
 * streaming output, and the encoder's handling of odd event streams. */
#define _GNU_SOURCE /* memmem, fmemopen */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xxhash.h>

#include <brine/format.h>

#include "check_util.h"

#define HEADER 10
#define TRAILER 8

static brine_registry *reg;
static const brine_plugin *nat;
static const test_format fixture_formats[] = {{"native", &nat, NULL}, {0}};

/* ---- helpers ------------------------------------------------------------ */

static unsigned char *enc(const brine_value *v, size_t max_depth, size_t *len, brine_error *err)
{
    brine_options opts = {.max_depth = max_depth};
    void *data = NULL;
    brine_error_clear(err);
    if (brine_encode_buffer(nat, v, &opts, &data, len, err) != BRINE_OK)
        return NULL;
    return data;
}

static brine_doc *dec(const void *data, size_t len, size_t max_depth, brine_error *err)
{
    brine_options opts = {.max_depth = max_depth};
    brine_error_clear(err);
    return brine_decode_buffer(nat, data, len, &opts, err);
}

/* A native file around body: header with the given version, checksum. The
 * caller frees it. */
static unsigned char *file_of(unsigned major, unsigned minor, const void *body, size_t body_len, size_t *len)
{
    unsigned char *f = malloc(HEADER + body_len + TRAILER);
    uint64_t h;
    memcpy(f,
           "\x89"
           "BRN\r\n\x1a\n",
           8);
    f[8] = (unsigned char)major;
    f[9] = (unsigned char)minor;
    memcpy(f + HEADER, body, body_len);
    h = XXH3_64bits(f, HEADER + body_len);
    for (int i = 0; i < 8; i++)
        f[HEADER + body_len + i] = (unsigned char)(h >> (8 * i));
    *len = HEADER + body_len + TRAILER;
    return f;
}

/* Decodes a hand-made body (version 1.0) and expects failure. */
static void expect_body_error(const char *body, size_t body_len, int code, uint64_t offset, const char *needle)
{
    size_t len;
    unsigned char *f = file_of(1, 0, body, body_len, &len);
    brine_error err;
    brine_doc *doc = dec(f, len, 0, &err);
    ck_assert_msg(doc == NULL, "body %s decoded", needle);
    ck_assert_msg(err.code == code, "expected code %d, got %d (%s)", code, err.code, err.message);
    ck_assert_msg(err.offset == offset, "expected offset %llu, got %llu (%s)", (unsigned long long)offset,
                  (unsigned long long)err.offset, err.message);
    ck_assert_msg(strstr(err.message, needle) != NULL, "message '%s' lacks '%s'", err.message, needle);
    free(f);
}

static char *repr(const brine_value *v)
{
    static char buf[8192];
    brine_error err;
    size_t n = brine_value_repr(v, buf, sizeof buf, 0, &err);
    ck_assert_msg(n != (size_t)-1 && n < sizeof buf, "repr failed: %s", err.message);
    return buf;
}

/* Encodes v, decodes it, checks deep equality and that the loaded graph
 * encodes to the same bytes. */
static void assert_round_trip(const brine_value *v)
{
    brine_error err;
    size_t len, len2;
    unsigned char *data = enc(v, 0, &len, &err), *again;
    brine_doc *doc;
    ck_assert_msg(data != NULL, "encode: %s", err.message);
    doc = dec(data, len, 0, &err);
    ck_assert_msg(doc != NULL, "decode: %s at %llu", err.message, (unsigned long long)err.offset);
    ck_assert_int_eq(brine_value_equal(v, brine_doc_root(doc), 0, &err), 1);
    again = enc(brine_doc_root(doc), 0, &len2, &err);
    ck_assert_ptr_nonnull(again);
    ck_assert_uint_eq(len, len2);
    ck_assert_mem_eq(data, again, len);
    brine_free(again);
    brine_free(data);
    brine_doc_free(doc);
}

static double bits_to_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static uint64_t double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

/* data/native/NAME.EXT, NUL-terminated (not counted in *len); free it. */
static unsigned char *read_data(const char *name, const char *ext, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/native/%s.%s", BRINE_TEST_DATA, name, ext);
    return read_test_file(path, len);
}

/* ---- descriptor --------------------------------------------------------- */

START_TEST(test_the_plugin_is_found_by_name_extension_mime_type_and_magic)
{
    static const char json_head[] = "{\"a\": 1}";
    ck_assert_str_eq(nat->name, "native");
    ck_assert_uint_eq(nat->caps, BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_BINARY | BRINE_CAP_REFS);
    ck_assert_ptr_eq(brine_registry_find_extension(reg, "data/x.brn"), nat);
    ck_assert_ptr_eq(brine_registry_find_extension(reg, ".BRINE"), nat);
    ck_assert_ptr_eq(brine_registry_find_mime(reg, "application/x-brine"), nat);
    ck_assert_ptr_eq(brine_registry_sniff(reg,
                                          "\x89"
                                          "BRN\r\n\x1a\n\x01\x00\xc0",
                                          11),
                     nat);
    ck_assert_int_eq(nat->sniff((const unsigned char *)json_head, strlen(json_head)), 0);
    ck_assert_int_eq(nat->sniff((const unsigned char *)"\x89"
                                                       "BRN\n\x1a\n\x01",
                                8),
                     0);
}
END_TEST

/* ---- round trips and canonical bytes ------------------------------------ */

static brine_value *scalar_zoo(brine_doc *doc)
{
    static const char *const bigs[] = {"18446744073709551616", "-9223372036854775809",
                                       "1606938044258990275541962092341162602522202993782792835301376",
                                       "-1606938044258990275541962092341162602522202993782792835301376"};
    static const int64_t ints[] = {0,
                                   1,
                                   127,
                                   128,
                                   -1,
                                   -32,
                                   -33,
                                   -128,
                                   -129,
                                   255,
                                   256,
                                   32767,
                                   32768,
                                   -32768,
                                   -32769,
                                   INT32_MAX,
                                   (int64_t)INT32_MAX + 1,
                                   INT32_MIN,
                                   (int64_t)INT32_MIN - 1,
                                   INT64_MAX,
                                   INT64_MIN};
    static const uint64_t floats[] = {
        0x0000000000000000u, 0x8000000000000000u, 0x7FF0000000000000u, 0xFFF0000000000000u, 0x7FF8000000000000u,
        0xFFF4000000000123u, 0x7FF0000000000001u, 0x0000000000000001u, 0x7FEFFFFFFFFFFFFFu, 0x3FF8000000000000u};
    brine_value *list = brine_list_new(doc, NULL);
    char nul_str[] = {'a', 0, 'b'};
    char long_str[100000];
    unsigned char all_bytes[256];
    size_t i;

    brine_seq_append(list, brine_null_new(doc, NULL), NULL);
    brine_seq_append(list, brine_bool_new(doc, 0, NULL), NULL);
    brine_seq_append(list, brine_bool_new(doc, 1, NULL), NULL);
    for (i = 0; i < sizeof ints / sizeof ints[0]; i++)
        brine_seq_append(list, brine_int_new(doc, ints[i], NULL), NULL);
    brine_seq_append(list, brine_uint_new(doc, (uint64_t)INT64_MAX + 1, NULL), NULL);
    brine_seq_append(list, brine_uint_new(doc, UINT64_MAX, NULL), NULL);
    for (i = 0; i < 4; i++)
        brine_seq_append(list, brine_int_new_decimal(doc, bigs[i], strlen(bigs[i]), NULL), NULL);
    for (i = 0; i < sizeof floats / sizeof floats[0]; i++)
        brine_seq_append(list, brine_float_new(doc, bits_to_double(floats[i]), NULL), NULL);
    brine_seq_append(list, brine_complex_new(doc, 1.5, -0.0, NULL), NULL);
    brine_seq_append(list, brine_complex_new(doc, bits_to_double(0x7FF8000000000001u), INFINITY, NULL), NULL);
    brine_seq_append(list, brine_str_new(doc, "", 0, NULL), NULL);
    brine_seq_append(list, brine_str_new(doc, nul_str, 3, NULL), NULL);
    brine_seq_append(list, brine_str_new_cstr(doc, "h\xc3\xa9llo \xe2\x98\x83 \xf0\x9f\x98\x80", NULL), NULL);
    memset(long_str, 'z', sizeof long_str);
    for (i = 30; i <= 33; i++)
        brine_seq_append(list, brine_str_new(doc, long_str, i, NULL), NULL);
    brine_seq_append(list, brine_str_new(doc, long_str, sizeof long_str, NULL), NULL);
    for (i = 0; i < 256; i++)
        all_bytes[i] = (unsigned char)i;
    brine_seq_append(list, brine_bytes_new(doc, "", 0, NULL), NULL);
    brine_seq_append(list, brine_bytes_new(doc, all_bytes, 256, NULL), NULL);
    return list;
}

START_TEST(test_every_scalar_kind_and_boundary_round_trips_exactly)
{
    brine_doc *doc = brine_doc_new();
    brine_value *zoo = scalar_zoo(doc);
    size_t i;
    ck_assert_uint_eq(brine_seq_count(zoo), 52);
    assert_round_trip(zoo);
    /* Each alone as the document's root, too. */
    for (i = 0; i < brine_seq_count(zoo); i++)
        assert_round_trip(brine_seq_get(zoo, i));
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_float_bits_survive_nan_payloads_and_negative_zero)
{
    static const uint64_t pats[] = {0xFFF4000000000123u, 0x7FF0000000000001u, 0x8000000000000000u, 0x7FF8DEADBEEF0001u,
                                    0x000FFFFFFFFFFFFFu};
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++) {
        brine_doc *doc = brine_doc_new(), *back;
        brine_error err;
        size_t len;
        unsigned char *data = enc(brine_float_new(doc, bits_to_double(pats[i]), NULL), 0, &len, &err);
        ck_assert_ptr_nonnull(data);
        ck_assert_uint_eq(len, HEADER + 9 + TRAILER);
        ck_assert_uint_eq(data[HEADER], 0xC9);
        back = dec(data, len, 0, &err);
        ck_assert_ptr_nonnull(back);
        ck_assert_uint_eq(double_bits(brine_float_get(brine_doc_root(back))), pats[i]);
        brine_free(data);
        brine_doc_free(back);
        brine_doc_free(doc);
    }
}
END_TEST

/* The body bytes the writer must produce for one value (section 4.1). */
static void assert_body(const brine_value *v, const char *body, size_t body_len)
{
    brine_error err;
    size_t len;
    unsigned char *data = enc(v, 0, &len, &err);
    ck_assert_msg(data != NULL, "%s", err.message);
    ck_assert_uint_eq(len, HEADER + body_len + TRAILER);
    ck_assert_mem_eq(data + HEADER, body, body_len);
    /* The trailer is XXH3-64 of everything before it, little endian. */
    uint64_t h = XXH3_64bits(data, len - TRAILER), stored = 0;
    for (int i = 0; i < 8; i++)
        stored |= (uint64_t)data[len - TRAILER + i] << (8 * i);
    ck_assert_uint_eq(stored, h);
    brine_free(data);
}

START_TEST(test_ints_are_written_in_their_smallest_form)
{
    brine_doc *doc = brine_doc_new();
    static const char big64[] = "18446744073709551616", bigneg[] = "-9223372036854775809";
    assert_body(brine_int_new(doc, 0, NULL), "\x00", 1);
    assert_body(brine_int_new(doc, 127, NULL), "\x7f", 1);
    assert_body(brine_int_new(doc, -1, NULL), "\xff", 1);
    assert_body(brine_int_new(doc, -32, NULL), "\xe0", 1);
    assert_body(brine_int_new(doc, -33, NULL), "\xc3\xdf", 2);
    assert_body(brine_int_new(doc, 128, NULL), "\xc4\x80\x00", 3);
    assert_body(brine_int_new(doc, -129, NULL), "\xc4\x7f\xff", 3);
    assert_body(brine_int_new(doc, 32768, NULL), "\xc5\x00\x80\x00\x00", 5);
    assert_body(brine_int_new(doc, (int64_t)INT32_MIN - 1, NULL), "\xc6\xff\xff\xff\x7f\xff\xff\xff\xff", 9);
    assert_body(brine_uint_new(doc, 5, NULL), "\x05", 1);
    assert_body(brine_uint_new(doc, (uint64_t)1 << 63, NULL), "\xc7\x00\x00\x00\x00\x00\x00\x00\x80", 9);
    assert_body(brine_int_new_decimal(doc, big64, strlen(big64), NULL), "\xc8\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01",
                11);
    assert_body(brine_int_new_decimal(doc, bigneg, strlen(bigneg), NULL),
                "\xc8\x09\xff\xff\xff\xff\xff\xff\xff\x7f\xff", 11);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_strings_and_containers_use_fix_forms_up_to_their_limits)
{
    brine_doc *doc = brine_doc_new();
    brine_value *l15 = brine_list_new(doc, NULL), *l16 = brine_list_new(doc, NULL);
    brine_value *t = brine_tuple_new(doc, NULL), *d = brine_dict_new(doc, NULL);
    char s[40];
    memset(s, 'q', sizeof s);
    for (int i = 0; i < 16; i++) {
        if (i < 15)
            brine_seq_append(l15, brine_null_new(doc, NULL), NULL);
        brine_seq_append(l16, brine_null_new(doc, NULL), NULL);
    }
    brine_seq_append(t, brine_bool_new(doc, 1, NULL), NULL);
    brine_dict_set_str(d, "k", brine_bytes_new(doc, "\x01", 1, NULL), NULL);
    assert_body(brine_str_new(doc, s, 0, NULL), "\x80", 1);
    assert_body(brine_str_new(doc, s, 31, NULL), "\x9fqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", 32);
    assert_body(brine_str_new(doc, s, 32, NULL), "\xcb\x20qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", 34);
    assert_body(l15, "\xaf\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0", 16);
    assert_body(l16, "\xcd\x10\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0", 18);
    assert_body(t, "\xce\x01\xc2", 3);
    assert_body(d, "\xb1\x81k\xcc\x01\x01", 6);
    assert_body(brine_complex_new(doc, 1.0, -2.0, NULL),
                "\xca\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\x00\xc0", 17);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_containers_models_and_key_types_round_trip)
{
    brine_doc *doc = brine_doc_new();
    brine_value *root = brine_list_new(doc, NULL), *d = brine_dict_new(doc, NULL);
    brine_value *key = brine_tuple_new(doc, NULL), *m = brine_model_new(doc, "geo.Point", 9, NULL);
    brine_value *args = brine_tuple_new(doc, NULL), *big = brine_dict_new(doc, NULL);
    brine_value *deep = brine_list_new(doc, NULL);
    char name[8];

    brine_seq_append(key, brine_int_new(doc, 1, NULL), NULL);
    brine_seq_append(key, brine_str_new_cstr(doc, "t", NULL), NULL);
    brine_dict_set(d, brine_int_new(doc, 1, NULL), brine_str_new_cstr(doc, "int", NULL), NULL);
    brine_dict_set(d, brine_float_new(doc, 1.0, NULL), brine_str_new_cstr(doc, "float", NULL), NULL);
    brine_dict_set(d, brine_bool_new(doc, 1, NULL), brine_str_new_cstr(doc, "bool", NULL), NULL);
    brine_dict_set(d, brine_float_new(doc, 0.0, NULL), brine_str_new_cstr(doc, "zero", NULL), NULL);
    brine_dict_set(d, brine_float_new(doc, -0.0, NULL), brine_str_new_cstr(doc, "minus zero", NULL), NULL);
    brine_dict_set(d, brine_float_new(doc, NAN, NULL), brine_str_new_cstr(doc, "nan", NULL), NULL);
    brine_dict_set(d, brine_null_new(doc, NULL), brine_str_new_cstr(doc, "null", NULL), NULL);
    brine_dict_set(d, brine_bytes_new(doc, "1", 1, NULL), brine_str_new_cstr(doc, "bytes", NULL), NULL);
    brine_dict_set(d, brine_complex_new(doc, 0, 1, NULL), brine_str_new_cstr(doc, "complex", NULL), NULL);
    brine_dict_set(d, key, brine_str_new_cstr(doc, "tuple", NULL), NULL);
    ck_assert_uint_eq(brine_dict_count(d), 10);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "k%d", 39 - i); /* insertion order is not sorted order */
        brine_dict_set_str(big, name, brine_int_new(doc, i, NULL), NULL);
    }
    brine_seq_append(args, brine_float_new(doc, 1.0, NULL), NULL);
    brine_seq_append(args, brine_float_new(doc, 2.0, NULL), NULL);
    brine_model_set_args(m, args, NULL);
    brine_model_set_state(m, big, NULL);
    brine_seq_append(deep, brine_list_new(doc, NULL), NULL);
    brine_seq_append(root, d, NULL);
    brine_seq_append(root, m, NULL);
    brine_seq_append(root, brine_model_new(doc, "Empty", 5, NULL), NULL);
    brine_seq_append(root, brine_tuple_new(doc, NULL), NULL);
    brine_seq_append(root, brine_dict_new(doc, NULL), NULL);
    brine_seq_append(root, deep, NULL);
    assert_round_trip(root);
    brine_doc_free(doc);
}
END_TEST

/* ---- sharing and cycles ------------------------------------------------- */

START_TEST(test_a_shared_list_loads_as_one_list_and_costs_one_anchor)
{
    brine_doc *doc = brine_doc_new(), *back;
    brine_value *root = brine_list_new(doc, NULL), *x = brine_list_new(doc, NULL), *y = brine_list_new(doc, NULL);
    brine_error err;
    size_t len;
    unsigned char *data;
    brine_seq_append(x, brine_int_new(doc, 1, NULL), NULL);
    brine_seq_append(y, brine_int_new(doc, 1, NULL), NULL);
    brine_seq_append(root, x, NULL);
    brine_seq_append(root, x, NULL);
    brine_seq_append(root, y, NULL);
    data = enc(root, 0, &len, &err);
    ck_assert_ptr_nonnull(data);
    /* [x, x, y]: x anchored once and referenced; y, equal but distinct, not. */
    ck_assert_uint_eq(len, HEADER + 8 + TRAILER);
    ck_assert_mem_eq(data + HEADER, "\xa3\xd1\xa1\x01\xd2\x01\xa1\x01", 8);
    back = dec(data, len, 0, &err);
    ck_assert_ptr_nonnull(back);
    root = brine_doc_root(back);
    ck_assert_int_eq(brine_seq_append(brine_seq_get(root, 0), brine_int_new(back, 2, NULL), &err), BRINE_OK);
    ck_assert_uint_eq(brine_seq_count(brine_seq_get(root, 1)), 2);
    ck_assert_uint_eq(brine_seq_count(brine_seq_get(root, 2)), 1);
    brine_free(data);
    brine_doc_free(back);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_cycles_through_lists_dicts_and_models_load_as_cycles)
{
    brine_doc *doc = brine_doc_new(), *back;
    brine_value *root = brine_list_new(doc, NULL), *loop = brine_list_new(doc, NULL);
    brine_value *self = brine_dict_new(doc, NULL), *m = brine_model_new(doc, "Node", 4, NULL);
    brine_value *m2 = brine_model_new(doc, "Node", 4, NULL), *args = brine_tuple_new(doc, NULL);
    brine_value *r, *st;
    brine_error err;
    size_t len;
    unsigned char *data;

    brine_seq_append(loop, loop, NULL);
    brine_dict_set_str(self, "self", self, NULL);
    brine_seq_append(args, brine_int_new(doc, 7, NULL), NULL);
    brine_model_set_args(m, args, NULL);
    brine_model_set_args(m2, args, NULL);
    st = brine_dict_new(doc, NULL);
    brine_dict_set_str(st, "me", m, NULL);
    brine_dict_set_str(st, "other", m2, NULL);
    brine_model_set_state(m, st, NULL);
    brine_seq_append(root, loop, NULL);
    brine_seq_append(root, self, NULL);
    brine_seq_append(root, m, NULL);
    assert_round_trip(root);

    data = enc(root, 0, &len, &err);
    back = dec(data, len, 0, &err);
    ck_assert_ptr_nonnull(back);
    r = brine_doc_root(back);
    /* The list holds itself: growing it is seen through its element. */
    brine_seq_append(brine_seq_get(r, 0), brine_null_new(back, NULL), NULL);
    ck_assert_uint_eq(brine_seq_count(brine_seq_get(brine_seq_get(r, 0), 0)), 2);
    /* The dict holds itself. */
    brine_dict_set_str(brine_dict_get_str(brine_seq_get(r, 1), "self"), "new", brine_null_new(back, NULL), NULL);
    ck_assert_uint_eq(brine_dict_count(brine_seq_get(r, 1)), 2);
    /* Both models share one args tuple, and the model's state names the model. */
    st = brine_model_state(brine_seq_get(r, 2));
    brine_seq_append(brine_model_args(brine_seq_get(r, 2)), brine_int_new(back, 8, NULL), NULL);
    ck_assert_uint_eq(brine_seq_count(brine_model_args(brine_dict_get_str(st, "other"))), 2);
    brine_model_set_state(brine_dict_get_str(st, "me"), brine_int_new(back, 5, NULL), NULL);
    ck_assert_int_eq(brine_type_of(brine_model_state(brine_seq_get(r, 2))), BRINE_INT);
    brine_free(data);
    brine_doc_free(back);
    brine_doc_free(doc);
}
END_TEST

/* ---- golden files -------------------------------------------------------- */

START_TEST(test_golden_files_load_to_their_repr_and_reencode_to_the_same_bytes)
{
    static const char *const names[] = {"scalars", "containers", "models", "shared", "cycles", "int", "str"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t len, rlen, len2;
        unsigned char *data = read_data(names[i], "brn", &len), *want = read_data(names[i], "repr", &rlen), *again;
        brine_error err;
        brine_doc *doc = dec(data, len, 0, &err);
        while (rlen && want[rlen - 1] == '\n')
            want[--rlen] = 0;
        ck_assert_msg(doc != NULL, "%s: %s at %llu", names[i], err.message, (unsigned long long)err.offset);
        ck_assert_str_eq(repr(brine_doc_root(doc)), (char *)want);
        again = enc(brine_doc_root(doc), 0, &len2, &err);
        ck_assert_ptr_nonnull(again);
        ck_assert_msg(len2 == len && memcmp(again, data, len) == 0, "%s re-encodes differently", names[i]);
        if (strcmp(names[i], "shared") == 0) {
            /* {'a': x, 'b': [x, -1.5]}: one x, seen from both places. */
            brine_value *a = brine_dict_get_str(brine_doc_root(doc), "a");
            brine_seq_append(a, brine_int_new(doc, 2, NULL), NULL);
            ck_assert_uint_eq(brine_seq_count(brine_seq_get(brine_dict_get_str(brine_doc_root(doc), "b"), 0)), 2);
        }
        brine_free(again);
        brine_doc_free(doc);
        free(want);
        free(data);
    }
}
END_TEST

/* ---- integrity: truncation and bit flips --------------------------------- */

START_TEST(test_every_truncation_of_the_golden_files_is_reported_where_the_input_ends)
{
    static const char *const names[] = {"scalars", "cycles", "models", "containers"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t len;
        unsigned char *data = read_data(names[i], "brn", &len);
        for (size_t k = 0; k < len; k++) {
            brine_error err;
            brine_source src;
            FILE *fp;
            brine_doc *doc = dec(data, k, 0, &err);
            ck_assert_msg(doc == NULL, "%s: prefix %zu loaded", names[i], k);
            ck_assert_msg(err.code == BRINE_E_TRUNCATED && err.offset == k, "%s: prefix %zu: code %d at %llu: %s",
                          names[i], k, err.code, (unsigned long long)err.offset, err.message);
            /* The same through a FILE * source. */
            fp = fmemopen(data, k ? k : 1, "rb");
            ck_assert_ptr_nonnull(fp);
            if (k == 0)
                fgetc(fp);
            brine_source_init_file(&src, fp);
            brine_error_clear(&err);
            doc = brine_decode(nat, &src, NULL, &err);
            ck_assert_ptr_null(doc);
            expect_error(&err, BRINE_E_TRUNCATED, k, NULL, NULL);
            brine_source_destroy(&src);
            fclose(fp);
        }
        free(data);
    }
}
END_TEST

START_TEST(test_every_single_byte_change_of_the_golden_files_is_an_error)
{
    static const char *const names[] = {"scalars", "cycles", "models", "containers", "shared"};
    static const unsigned char pats[] = {0xFF, 0x01, 0x80, 0x20, 0x7F};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t len;
        unsigned char *data = read_data(names[i], "brn", &len);
        for (size_t pos = 0; pos < len; pos++) {
            for (size_t j = 0; j < sizeof pats; j++) {
                brine_error err;
                brine_doc *doc;
                data[pos] ^= pats[j];
                doc = dec(data, len, 0, &err);
                ck_assert_msg(doc == NULL, "%s: byte %zu ^ 0x%02X loaded", names[i], pos, pats[j]);
                ck_assert_msg(err.code != BRINE_OK && err.message[0] && err.offset <= len,
                              "%s: byte %zu ^ 0x%02X: code %d at %llu", names[i], pos, pats[j], err.code,
                              (unsigned long long)err.offset);
                if (pos < 8)
                    ck_assert(err.code == BRINE_E_SYNTAX || err.code == BRINE_E_CORRUPT);
                else if (pos == 8)
                    ck_assert_int_eq(err.code, BRINE_E_VERSION);
                else if (pos == 9 || pos >= len - TRAILER) {
                    /* A minor version or a checksum byte: only the checksum can tell. */
                    expect_error(&err, BRINE_E_CORRUPT, len - TRAILER, NULL, NULL);
                    ck_assert(strstr(err.message, "checksum mismatch") != NULL);
                }
                data[pos] ^= pats[j];
            }
        }
        free(data);
    }
}
END_TEST

START_TEST(test_transfer_damage_to_the_magic_number_is_diagnosed)
{
    brine_error err;
    brine_doc *doc = dec("\x89"
                         "BRN\n\x1a\n\x01\x00\xc0",
                         10, 0, &err);
    ck_assert_ptr_null(doc);
    expect_error(&err, BRINE_E_CORRUPT, 0, NULL, "bad magic number: a text-mode transfer changed CRLF to LF");
    doc = dec("\x09"
              "BRN\r\n\x1a\n\x01\x00\xc0",
              11, 0, &err);
    ck_assert_int_eq(err.code, BRINE_E_CORRUPT);
    ck_assert(strstr(err.message, "7-bit") != NULL);
    doc = dec("{\"a\": 1}", 8, 0, &err);
    expect_error(&err, BRINE_E_SYNTAX, 0, NULL, "not a native file: bad magic number");
    doc = dec("", 0, 0, &err);
    expect_error(&err, BRINE_E_TRUNCATED, ANY_OFFSET, NULL, "empty input: not a native file");
}
END_TEST

/* ---- hostile input -------------------------------------------------------- */

static size_t big_request;

static void *counting_malloc(size_t size)
{
    if (size > big_request)
        big_request = size;
    return malloc(size);
}

static void *counting_realloc(void *p, size_t size)
{
    if (size > big_request)
        big_request = size;
    return realloc(p, size);
}

START_TEST(test_a_length_bomb_fails_at_once_without_allocating_for_it)
{
    /* A str, a bytes, a bigint, a list and a dict claiming 4 GiB or more. */
    static const struct {
        const char *body;
        size_t len;
    } bombs[] = {
        {"\xcb\x80\x80\x80\x80\x10"
         "abc",
         9},
        {"\xcc\xff\xff\xff\xff\x0f"
         "abc",
         9},
        {"\xc8\x80\x80\x80\x80\x10"
         "abc",
         9},
        {"\xcd\x80\x80\x80\x80\x80\x80\x80\x80\x01", 10},
        {"\xcf\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10},
        {"\xd0\x80\x80\x80\x80\x10"
         "M",
         7},
    };
    brine_set_allocator(counting_malloc, counting_realloc, free);
    registry_setup();
    for (size_t i = 0; i < sizeof bombs / sizeof bombs[0]; i++) {
        size_t len;
        unsigned char *f = file_of(1, 0, bombs[i].body, bombs[i].len, &len);
        brine_error err;
        brine_source src;
        brine_doc *doc;
        int fds[2];
        big_request = 0;
        doc = dec(f, len, 0, &err);
        ck_assert_ptr_null(doc);
        expect_error(&err, BRINE_E_TRUNCATED, len, NULL, NULL);
        ck_assert_msg(strstr(err.message, "that starts at offset 10") != NULL, "%s", err.message);
        ck_assert_msg(big_request < (1u << 20), "bomb %zu allocated %zu bytes", i, big_request);
        /* The same from a pipe, which cannot tell its size in advance. */
        ck_assert_int_eq(pipe(fds), 0);
        ck_assert_int_eq(write(fds[1], f, len), (ssize_t)len);
        close(fds[1]);
        brine_source_init_fd(&src, fds[0]);
        brine_error_clear(&err);
        doc = brine_decode(nat, &src, NULL, &err);
        ck_assert_ptr_null(doc);
        expect_error(&err, BRINE_E_TRUNCATED, len, NULL, NULL);
        ck_assert_msg(big_request < (1u << 20), "bomb %zu allocated %zu bytes from a pipe", i, big_request);
        brine_source_destroy(&src);
        close(fds[0]);
        free(f);
    }
    registry_teardown();
    brine_set_allocator(NULL, NULL, NULL);
}
END_TEST

START_TEST(test_malformed_bodies_are_refused_with_code_and_offset)
{
    expect_body_error("\xd7", 1, BRINE_E_CORRUPT, 10, "unknown tag 0xD7 at offset 10");
    expect_body_error("\xa1\xdf", 2, BRINE_E_CORRUPT, 11, "unknown tag 0xDF");
    expect_body_error("\xd2\x01", 2, BRINE_E_REF, 10, "names anchor 1, but 0 anchors precede it");
    expect_body_error("\xd1\xa1\xd2\x02", 4, BRINE_E_REF, 12, "names anchor 2, but 1 anchors precede it");
    expect_body_error("\xd2\x00", 2, BRINE_E_REF, 10, "names anchor 0");
    expect_body_error("\xd1\x01", 2, BRINE_E_CORRUPT, 10, "is not followed by a container");
    expect_body_error("\xd1\xd1\xa0", 3, BRINE_E_CORRUPT, 10, "is not followed by a container");
    expect_body_error("\xd6", 1, BRINE_E_CORRUPT, 10, "closes no open container");
    expect_body_error("\xa1\xd6", 2, BRINE_E_CORRUPT, 11, "closes no open container");
    expect_body_error("\xd5\x81\x61\xd6", 4, BRINE_E_CORRUPT, 13, "follows a dict key without its value");
    expect_body_error("\xcb\x80\x00", 3, BRINE_E_CORRUPT, 10, "overlong varint");
    expect_body_error("\xcb\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 11, BRINE_E_CORRUPT, 10, "overflows 64 bits");
    expect_body_error("\xc8\x09\x01\x00\x00\x00\x00\x00\x00\x00\x00", 11, BRINE_E_CORRUPT, 10, "minimal form");
    expect_body_error("\xc8\x09\xff\xff\xff\xff\xff\xff\xff\xff\x00", 11, BRINE_E_CORRUPT, 10, "minimal form");
    expect_body_error("\xc8\x02\x01\x02", 4, BRINE_E_CORRUPT, 10, "minimal form");
    expect_body_error("\x84\x61\xff\x62\x63", 5, BRINE_E_UTF8, 12, "invalid UTF-8 in the str at offset 10");
    expect_body_error("\xa2\x00\x83\xed\xa0\x80", 6, BRINE_E_UTF8, 13, "invalid UTF-8 in the str at offset 12");
    expect_body_error("\xd0\x02\xc3\x28\xce\x00\xc0", 7, BRINE_E_UTF8, 12, "model name");
    expect_body_error("\xd0\x01M\xa0\xc0", 5, BRINE_E_CORRUPT, 13, "model args at offset 13 are not a tuple");
    expect_body_error("\xa2\xd1\xa0\xd0\x01M\xd2\x01\xc0", 9, BRINE_E_CORRUPT, 16, "which is not a tuple");
    expect_body_error("\xd0\x01M\xd1\xa0\xc0", 6, BRINE_E_CORRUPT, 13, "are not a tuple");
}
END_TEST

START_TEST(test_builder_errors_carry_the_offset_of_the_value_and_the_path)
{
    size_t len;
    /* {[]: null}: a list is not a hashable key; the builder says so at the value. */
    unsigned char *f = file_of(1, 0, "\xb1\xa0\xc0", 3, &len);
    brine_error err;
    brine_doc *doc = dec(f, len, 0, &err);
    ck_assert_ptr_null(doc);
    expect_error(&err, BRINE_E_KEY, 12, "$[[]]", NULL);
    free(f);
}
END_TEST

START_TEST(test_the_checksum_and_the_end_of_input_are_checked)
{
    size_t len;
    unsigned char *f = file_of(1, 0, "\xc0", 1, &len), *longer;
    brine_error err;
    brine_doc *doc;
    f[len - 1] ^= 0x10;
    doc = dec(f, len, 0, &err);
    ck_assert_ptr_null(doc);
    expect_error(&err, BRINE_E_CORRUPT, 11, NULL, NULL);
    ck_assert(strstr(err.message, "checksum mismatch: the file is corrupt") != NULL);
    ck_assert_str_eq(err.path, "");
    f[len - 1] ^= 0x10;
    longer = malloc(len + 1);
    memcpy(longer, f, len);
    longer[len] = 0;
    doc = dec(longer, len + 1, 0, &err);
    ck_assert_ptr_null(doc);
    expect_error(&err, BRINE_E_CORRUPT, len, NULL, NULL);
    ck_assert(strstr(err.message, "after the end of the document") != NULL);
    free(longer);
    free(f);
}
END_TEST

/* ---- versions ------------------------------------------------------------- */

START_TEST(test_a_newer_major_version_is_refused_and_a_newer_minor_read)
{
    size_t len;
    unsigned char *f = file_of(2, 0, "\xc0", 1, &len);
    brine_error err;
    brine_doc *doc = dec(f, len, 0, &err);
    ck_assert_ptr_null(doc);
    expect_error(&err, BRINE_E_VERSION, 8, NULL, "native format version 2.0 is newer than this reader supports (1.1)");
    free(f);
    f = file_of(0, 9, "\xc0", 1, &len);
    doc = dec(f, len, 0, &err);
    expect_error(&err, BRINE_E_VERSION, ANY_OFFSET, NULL, "native format version 0.9 is not supported");
    free(f);
    /* 1.7 using only 1.1's tags loads; a tag 1.1 reserves is a version error there. */
    f = file_of(1, 7, "\xa1\x05", 2, &len);
    doc = dec(f, len, 0, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    ck_assert_str_eq(repr(brine_doc_root(doc)), "[5]");
    brine_doc_free(doc);
    free(f);
    f = file_of(1, 7, "\xa1\xd9", 2, &len);
    doc = dec(f, len, 0, &err);
    ck_assert_ptr_null(doc);
    expect_error(&err, BRINE_E_VERSION, 11, NULL, NULL);
    ck_assert_str_eq(err.message,
                     "tag 0xD9 at offset 11 is not defined in native format 1.1 (the file is version 1.7)");
    free(f);
}
END_TEST

/* ---- depth ---------------------------------------------------------------- */

/* depth nested lists: [[[...[]...]]] as a native body. */
static unsigned char *nested_body(size_t depth, size_t *len)
{
    unsigned char *b = malloc(depth);
    memset(b, 0xA1, depth - 1);
    b[depth - 1] = 0xA0;
    *len = depth;
    return b;
}

static brine_value *nested_graph(brine_doc *doc, size_t depth)
{
    brine_value *root = brine_list_new(doc, NULL), *cur = root;
    for (size_t i = 1; i < depth; i++) {
        brine_seq_append(cur, brine_list_new(doc, NULL), NULL);
        cur = brine_seq_get(cur, 0);
    }
    return root;
}

START_TEST(test_depth_1000_loads_and_1001_is_refused_both_ways)
{
    size_t blen, len, elen;
    unsigned char *body = nested_body(1000, &blen), *f = file_of(1, 0, body, blen, &len), *data;
    brine_error err;
    brine_doc *doc = dec(f, len, 0, &err), *g;
    ck_assert_msg(doc != NULL, "%s", err.message);
    data = enc(brine_doc_root(doc), 0, &elen, &err);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_eq(elen, len);
    ck_assert_mem_eq(data, f, len);
    brine_free(data);
    brine_doc_free(doc);
    free(body);
    free(f);

    body = nested_body(1001, &blen);
    f = file_of(1, 0, body, blen, &len);
    doc = dec(f, len, 0, &err);
    ck_assert_ptr_null(doc);
    expect_error(&err, BRINE_E_DEPTH, HEADER + 1000, NULL, NULL);
    ck_assert(strstr(err.message, "maximum recursion depth exceeded while decoding") != NULL);
    free(body);
    free(f);

    g = brine_doc_new();
    brine_doc_set_max_depth(g, 2000);
    data = enc(nested_graph(g, 1001), 1000, &elen, &err);
    ck_assert_ptr_null(data);
    ck_assert_int_eq(err.code, BRINE_E_DEPTH);
    ck_assert(strstr(err.message, "maximum recursion depth exceeded while encoding") != NULL);
    brine_doc_free(g);
}
END_TEST

START_TEST(test_a_million_levels_load_and_save_with_the_limit_raised)
{
    const size_t million = 1000000;
    size_t blen, len, elen;
    unsigned char *body = nested_body(million, &blen), *f = file_of(1, 0, body, blen, &len), *data;
    brine_error err;
    brine_doc *doc = dec(f, len, million, &err), *g;
    ck_assert_msg(doc != NULL, "%s", err.message);
    data = enc(brine_doc_root(doc), million, &elen, &err);
    ck_assert_msg(data != NULL, "%s", err.message);
    ck_assert_uint_eq(elen, len);
    ck_assert_mem_eq(data, f, len);
    brine_free(data);
    /* One more level is refused at the offset of its tag. */
    g = dec(f, len, million - 1, &err);
    ck_assert_ptr_null(g);
    expect_error(&err, BRINE_E_DEPTH, HEADER + million - 1, NULL, NULL);
    brine_doc_free(doc);
    free(body);
    free(f);
}
END_TEST

/* ---- streaming ------------------------------------------------------------ */

/* A document of about 2 MB: many small values, a str longer than a source
 * window, shared nodes. */
static brine_value *big_graph(brine_doc *doc)
{
    brine_value *root = brine_dict_new(doc, NULL), *rows = brine_list_new(doc, NULL);
    brine_value *floats = brine_list_new(doc, NULL), *shared = brine_tuple_new(doc, NULL);
    static char text[300000];
    memset(text, 'w', sizeof text);
    brine_seq_append(shared, brine_str_new_cstr(doc, "shared", NULL), NULL);
    for (int i = 0; i < 20000; i++) {
        brine_value *row = brine_dict_new(doc, NULL);
        char name[32];
        snprintf(name, sizeof name, "row %d", i);
        brine_dict_set_str(row, "name", brine_str_new_cstr(doc, name, NULL), NULL);
        brine_dict_set_str(row, "n", brine_int_new(doc, (int64_t)i * 7919 - 50000, NULL), NULL);
        brine_dict_set_str(row, "tag", shared, NULL);
        brine_seq_append(rows, row, NULL);
        brine_seq_append(floats, brine_float_new(doc, i / 7.0, NULL), NULL);
    }
    brine_dict_set_str(root, "rows", rows, NULL);
    brine_dict_set_str(root, "floats", floats, NULL);
    brine_dict_set_str(root, "text", brine_str_new(doc, text, sizeof text, NULL), NULL);
    return root;
}

START_TEST(test_decoding_a_pipe_in_small_chunks_equals_decoding_the_buffer)
{
    brine_doc *doc = brine_doc_new(), *a;
    brine_value *v = big_graph(doc);
    brine_error err;
    size_t len;
    unsigned char *data = enc(v, 0, &len, &err);
    ck_assert_ptr_nonnull(data);
    a = dec(data, len, 0, &err);
    ck_assert_ptr_nonnull(a);
    /* Through the descriptor (reads return the writer's odd-sized pieces, so
     * values straddle every kind of window edge), then through a FILE *. */
    for (int use_file = 0; use_file < 2; use_file++) {
        brine_source src;
        brine_doc *b;
        FILE *fp = NULL;
        int fds[2];
        pid_t pid;
        ck_assert_int_eq(pipe(fds), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            close(fds[0]);
            for (size_t off = 0; off < len; off += 997) {
                size_t n = len - off < 997 ? len - off : 997;
                if (write(fds[1], data + off, n) != (ssize_t)n)
                    _exit(1);
            }
            _exit(0);
        }
        close(fds[1]);
        if (use_file) {
            fp = fdopen(fds[0], "rb");
            ck_assert_ptr_nonnull(fp);
            brine_source_init_file(&src, fp);
        } else {
            brine_source_init_fd(&src, fds[0]);
        }
        b = brine_decode(nat, &src, NULL, &err);
        ck_assert_msg(b != NULL, "%s at %llu", err.message, (unsigned long long)err.offset);
        ck_assert_int_eq(brine_value_equal(brine_doc_root(a), brine_doc_root(b), 0, &err), 1);
        ck_assert_int_eq(brine_value_equal(v, brine_doc_root(b), 0, &err), 1);
        brine_source_destroy(&src);
        if (fp)
            fclose(fp);
        else
            close(fds[0]);
        waitpid(pid, NULL, 0);
        brine_doc_free(b);
    }
    brine_doc_free(a);
    brine_free(data);
    brine_doc_free(doc);
}
END_TEST

/* ---- the checksum before the first event ------------------------------------ */

/* The ways a source can come back to its start: a buffer, a descriptor or
 * a FILE * over a regular file (also one that starts past other bytes), an
 * fmemopen stream (a FILE * with no descriptor). */
enum { SRC_BUFFER, SRC_FD, SRC_FILE, SRC_FD_PAST_PREFIX, SRC_FMEMOPEN, SRC_KINDS };
static const char *const src_kind_names[] = {"buffer", "fd", "FILE *", "fd past a prefix", "fmemopen"};

typedef struct test_source {
    brine_source src;
    FILE *fp;
    int fd;
} test_source;

/* Opens data[0..len) as a source of kind `kind`; the prefix kind puts 3
 * other bytes before it and starts reading after them. */
static void test_source_open(test_source *t, int kind, const unsigned char *data, size_t len)
{
    t->fp = NULL;
    t->fd = -1;
    if (kind == SRC_BUFFER) {
        brine_source_init_buffer(&t->src, data, len);
        return;
    }
    if (kind == SRC_FMEMOPEN) {
        t->fp = fmemopen((void *)data, len, "rb");
        ck_assert_ptr_nonnull(t->fp);
        brine_source_init_file(&t->src, t->fp);
        return;
    }
    t->fp = tmpfile();
    ck_assert_ptr_nonnull(t->fp);
    if (kind == SRC_FD_PAST_PREFIX)
        ck_assert_uint_eq(fwrite("pre", 1, 3, t->fp), 3);
    ck_assert_uint_eq(fwrite(data, 1, len, t->fp), len);
    ck_assert_int_eq(fflush(t->fp), 0);
    if (kind == SRC_FILE) {
        rewind(t->fp);
        brine_source_init_file(&t->src, t->fp);
    } else {
        t->fd = fileno(t->fp);
        ck_assert_int_eq(lseek(t->fd, kind == SRC_FD_PAST_PREFIX ? 3 : 0, SEEK_SET),
                         kind == SRC_FD_PAST_PREFIX ? 3 : 0);
        brine_source_init_fd(&t->src, t->fd);
    }
}

static void test_source_close(test_source *t)
{
    brine_source_destroy(&t->src);
    if (t->fp)
        fclose(t->fp);
}

static int count_bytes(void *ctx, const void *data, size_t len)
{
    (void)data;
    *(size_t *)ctx += len;
    return 0;
}

/* Transcodes data (native) to native through a callback that counts the
 * bytes it is given. */
static int transcode_counting(brine_source *src, size_t *written, brine_error *err)
{
    brine_output out;
    *written = 0;
    brine_error_clear(err);
    ck_assert_int_eq(brine_output_init_callback(&out, count_bytes, written, err), BRINE_OK);
    int rc = brine_transcode(nat, src, NULL, nat, &out, NULL, NULL, err);
    brine_output_destroy(&out);
    return rc;
}

/* 600 KB of native whose middle is damaged ("row 15000" becomes
 * "rox 15000"): valid structure, wrong checksum. */
static unsigned char *corrupt_big_file(size_t *len)
{
    brine_doc *doc = brine_doc_new();
    brine_error err;
    unsigned char *data = enc(big_graph(doc), 0, len, &err);
    ck_assert_ptr_nonnull(data);
    unsigned char *at = memmem(data, *len, "row 15000", 9);
    ck_assert_ptr_nonnull(at);
    at[2] = 'x';
    brine_doc_free(doc);
    return data;
}

START_TEST(test_a_corrupt_file_sends_no_byte_when_the_source_can_rewind)
{
    size_t len, written;
    unsigned char *data = corrupt_big_file(&len);
    test_source t;
    brine_error err;
    test_source_open(&t, _i, data, len);
    ck_assert_int_eq(brine_source_can_rewind(&t.src), 1);
    ck_assert_int_eq(transcode_counting(&t.src, &written, &err), BRINE_E_CORRUPT);
    ck_assert_msg(written == 0, "%s: %zu bytes written before the error", src_kind_names[_i], written);
    ck_assert_uint_eq(err.offset, len - TRAILER);
    ck_assert_msg(strstr(err.message, "checksum mismatch: the file is corrupt (stored") != NULL, "%s", err.message);
    test_source_close(&t);
    /* The same file repaired converts whole, byte for byte. */
    unsigned char *at = memmem(data, len, "rox 15000", 9);
    at[2] = 'w';
    test_source_open(&t, _i, data, len);
    brine_output out;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
    ck_assert_int_eq(brine_transcode(nat, &t.src, NULL, nat, &out, NULL, NULL, &err), BRINE_OK);
    size_t outlen;
    unsigned char *outdata = brine_output_take(&out, &outlen);
    ck_assert_uint_eq(outlen, len);
    ck_assert_mem_eq(outdata, data, len);
    brine_free(outdata);
    brine_output_destroy(&out);
    test_source_close(&t);
    free(data);
}
END_TEST

START_TEST(test_a_corrupt_file_through_a_pipe_still_fails_with_the_checksum_error)
{
    size_t len, written;
    unsigned char *data = corrupt_big_file(&len);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        _exit(write(fds[1], data, len) == (ssize_t)len ? 0 : 1);
    }
    close(fds[1]);
    brine_source src;
    brine_error err;
    brine_source_init_fd(&src, fds[0]);
    ck_assert_int_eq(brine_source_can_rewind(&src), 0);
    ck_assert_int_eq(transcode_counting(&src, &written, &err), BRINE_E_CORRUPT);
    ck_assert_uint_eq(err.offset, len - TRAILER);
    ck_assert(strstr(err.message, "checksum mismatch") != NULL);
    brine_source_destroy(&src);
    close(fds[0]);
    waitpid(pid, NULL, 0);
    free(data);
}
END_TEST

/* The first pass finds the checksum wrong; a second one, sending nothing,
 * names the first error as a single pass did: here where the input ends. */
START_TEST(test_a_corrupt_file_reports_the_first_error_the_decoder_meets)
{
    size_t len;
    unsigned char *f = file_of(1, 0, "\xcc\x02\x61\x62", 4, &len); /* the bytes b"ab" */
    brine_error err;
    f[HEADER + 1] = 3; /* 3 bytes long: the trailer's first byte is read as the third */
    brine_doc *doc = dec(f, len, 0, &err);
    ck_assert_ptr_null(doc);
    expect_error(&err, BRINE_E_TRUNCATED, len, NULL,
                 "input ends at offset 22 inside the checksum trailer that starts at offset 15");
    free(f);
}
END_TEST

/* With a checksum that matches, the document must still end at it: bytes
 * between the end of the value and the trailer are refused. */
START_TEST(test_bytes_between_the_value_and_a_matching_checksum_are_refused)
{
    size_t len;
    unsigned char *f = file_of(1, 0, "\xc0\xc0", 2, &len); /* null, then a stray null */
    brine_error err;
    brine_doc *doc = dec(f, len, 0, &err);
    ck_assert_ptr_null(doc);
    expect_error(&err, BRINE_E_CORRUPT, 19, NULL, "unexpected bytes after the end of the document at offset 19");
    free(f);
}
END_TEST

/* A corrupt file nested deeper than the limit is not searched past it (the
 * decoder's stack would grow with the input): the checksum is the error.
 * Searched to its end, this one would end inside its last str. */
START_TEST(test_a_corrupt_deep_file_is_a_checksum_error_at_bounded_cost)
{
    size_t depth = 1000000, len;
    unsigned char *body = malloc(depth + 2);
    memset(body, 0xA1, depth); /* a list of one element, a million times */
    body[depth] = 0xCB /* str */;
    body[depth + 1] = 100; /* 100 bytes of str, with 8 left */
    unsigned char *f = file_of(1, 0, body, depth + 2, &len);
    brine_error err;
    f[len - 1] ^= 1;
    brine_doc *doc = dec(f, len, 0, &err);
    ck_assert_ptr_null(doc);
    expect_error(&err, BRINE_E_CORRUPT, len - TRAILER, NULL, NULL);
    ck_assert_msg(strstr(err.message, "checksum mismatch: the file is corrupt") != NULL, "%s", err.message);
    free(f);
    free(body);
}
END_TEST

typedef struct sink_bytes {
    unsigned char *data;
    size_t len, calls, largest;
} sink_bytes;

static int collect(void *ctx, const void *data, size_t len)
{
    sink_bytes *s = ctx;
    s->data = realloc(s->data, s->len + len);
    memcpy(s->data + s->len, data, len);
    s->len += len;
    s->calls++;
    if (len > s->largest)
        s->largest = len;
    return 0;
}

START_TEST(test_encoding_streams_to_a_callback_and_is_deterministic)
{
    brine_doc *doc = brine_doc_new();
    brine_value *v = big_graph(doc), *copy;
    brine_error err;
    size_t len, len2;
    unsigned char *data = enc(v, 0, &len, &err), *again;
    brine_output out;
    sink_bytes s = {0};
    ck_assert_ptr_nonnull(data);
    again = enc(v, 0, &len2, &err);
    ck_assert_uint_eq(len, len2);
    ck_assert_mem_eq(data, again, len);
    brine_free(again);
    /* A deep copy is another graph with the same shape: the same bytes. */
    copy = brine_value_copy(doc, v, 0, &err);
    again = enc(copy, 0, &len2, &err);
    ck_assert_uint_eq(len, len2);
    ck_assert_mem_eq(data, again, len);
    brine_free(again);

    ck_assert_int_eq(brine_output_init_callback(&out, collect, &s, &err), BRINE_OK);
    ck_assert_int_eq(brine_encode(nat, v, &out, NULL, &err), BRINE_OK);
    brine_output_destroy(&out);
    ck_assert_uint_eq(s.len, len);
    ck_assert_mem_eq(s.data, data, len);
    ck_assert_uint_gt(s.calls, 4);
    ck_assert_uint_lt(s.largest, len / 2);
    free(s.data);
    brine_free(data);
    brine_doc_free(doc);
}
END_TEST

/* ---- the encoder fed by other producers ------------------------------------ */

/* One event: n is the count, the ref or the int; s the str or model name. */
typedef struct spec {
    brine_event_kind kind; /* 0 ends a list of specs */
    uint64_t anchor, n;
    const char *s;
} spec;

#define UNKNOWN BRINE_COUNT_UNKNOWN

/* Feeds specs to a fresh native encoder, then finish. Returns the first
 * failure, else BRINE_OK with the bytes in *data (brine_free them). */
static int encode_specs(const spec *sp, unsigned char **data, size_t *len, brine_error *err)
{
    brine_output out;
    brine_sink *sink;
    int rc = BRINE_OK;
    brine_error_clear(err);
    *data = NULL;
    ck_assert_int_eq(brine_output_init_buffer(&out, err), BRINE_OK);
    sink = nat->encoder_new(&out, NULL, err);
    ck_assert_ptr_nonnull(sink);
    ck_assert_uint_eq(sink->flags & BRINE_SINK_REFS, BRINE_SINK_REFS);
    for (; sp->kind && rc == BRINE_OK; sp++) {
        brine_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = sp->kind;
        ev.anchor = sp->anchor;
        if (sp->kind == BRINE_EV_STR || sp->kind == BRINE_EV_MODEL) {
            ev.v.s.ptr = sp->s;
            ev.v.s.len = strlen(sp->s);
        } else if (sp->kind == BRINE_EV_REF) {
            ev.v.ref = sp->n;
        } else if (sp->kind == BRINE_EV_INT) {
            ev.v.i = (int64_t)sp->n;
        } else {
            ev.v.count = (size_t)sp->n;
        }
        rc = sink->event(sink, &ev);
    }
    if (rc == BRINE_OK)
        rc = sink->finish(sink);
    sink->destroy(sink);
    if (rc == BRINE_OK)
        *data = brine_output_take(&out, len);
    brine_output_destroy(&out);
    return rc;
}

START_TEST(test_unknown_counts_are_written_as_open_forms_and_read_back)
{
    static const spec evs[] = {{BRINE_EV_LIST, 0, UNKNOWN, NULL},
                               {BRINE_EV_INT, 0, 1, NULL},
                               {BRINE_EV_TUPLE, 0, UNKNOWN, NULL},
                               {BRINE_EV_STR, 0, 0, "a"},
                               {BRINE_EV_END, 0, 0, NULL},
                               {BRINE_EV_DICT, 0, UNKNOWN, NULL},
                               {BRINE_EV_STR, 0, 0, "k"},
                               {BRINE_EV_INT, 0, 2, NULL},
                               {BRINE_EV_END, 0, 0, NULL},
                               {BRINE_EV_END, 0, 0, NULL},
                               {0, 0, 0, NULL}};
    brine_error err;
    size_t len;
    unsigned char *data;
    brine_doc *doc;
    ck_assert_int_eq(encode_specs(evs, &data, &len, &err), BRINE_OK);
    ck_assert_uint_eq(len, HEADER + 12 + TRAILER);
    ck_assert_mem_eq(data + HEADER, "\xd3\x01\xd4\x81\x61\xd6\xd5\x81\x6b\x02\xd6\xd6", 12);
    doc = dec(data, len, 0, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    ck_assert_str_eq(repr(brine_doc_root(doc)), "[1, ('a',), {'k': 2}]");
    brine_doc_free(doc);
    brine_free(data);
}
END_TEST

START_TEST(test_the_encoder_renumbers_anchors_from_any_producer)
{
    /* L = [L, M] with M = [M]; the producer calls them 7 and 3. */
    static const spec evs[] = {{BRINE_EV_LIST, 7, 2, NULL},
                               {BRINE_EV_REF, 0, 7, NULL},
                               {BRINE_EV_LIST, 3, 1, NULL},
                               {BRINE_EV_REF, 0, 3, NULL},
                               {BRINE_EV_END, 0, 0, NULL},
                               {BRINE_EV_END, 0, 0, NULL},
                               {0, 0, 0, NULL}};
    brine_error err;
    size_t len;
    unsigned char *data;
    brine_doc *doc;
    brine_value *r;
    ck_assert_int_eq(encode_specs(evs, &data, &len, &err), BRINE_OK);
    ck_assert_uint_eq(len, HEADER + 8 + TRAILER);
    ck_assert_mem_eq(data + HEADER, "\xd1\xa2\xd2\x01\xd1\xa1\xd2\x02", 8);
    doc = dec(data, len, 0, &err);
    ck_assert_ptr_nonnull(doc);
    r = brine_doc_root(doc);
    brine_seq_append(brine_seq_get(r, 0), brine_null_new(doc, NULL), NULL);
    ck_assert_uint_eq(brine_seq_count(r), 3);
    brine_seq_append(brine_seq_get(brine_seq_get(r, 1), 0), brine_null_new(doc, NULL), NULL);
    ck_assert_uint_eq(brine_seq_count(brine_seq_get(r, 1)), 2);
    brine_doc_free(doc);
    brine_free(data);
}
END_TEST

START_TEST(test_the_encoder_refuses_malformed_event_streams)
{
    static const struct {
        int code;
        const char *needle;
        spec evs[4];
    } cases[] = {
        {BRINE_E_INVALID,
         "before the container's announced count",
         {{BRINE_EV_LIST, 0, 2, NULL}, {BRINE_EV_NULL, 0, 0, NULL}, {BRINE_EV_END, 0, 0, NULL}}},
        {BRINE_E_INVALID,
         "more children than the container announced",
         {{BRINE_EV_LIST, 0, 1, NULL}, {BRINE_EV_NULL, 0, 0, NULL}, {BRINE_EV_NULL, 0, 0, NULL}}},
        {BRINE_E_REF,
         "names an anchor that no earlier container has",
         {{BRINE_EV_LIST, 5, 1, NULL}, {BRINE_EV_REF, 0, 6, NULL}}},
        {BRINE_E_INVALID, "used twice", {{BRINE_EV_LIST, 1, 1, NULL}, {BRINE_EV_LIST, 1, 0, NULL}}},
        {BRINE_E_INVALID, "args are not a tuple", {{BRINE_EV_MODEL, 0, 0, "M"}, {BRINE_EV_LIST, 0, 0, NULL}}},
        {BRINE_E_INVALID, "before its value was complete", {{BRINE_EV_LIST, 0, 1, NULL}}},
        {BRINE_E_INVALID, "after the end of the document", {{BRINE_EV_NULL, 0, 0, NULL}, {BRINE_EV_NULL, 0, 0, NULL}}},
        {BRINE_E_INVALID, "without an open container", {{BRINE_EV_END, 0, 0, NULL}}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        brine_error err;
        size_t len;
        unsigned char *data;
        ck_assert_int_eq(encode_specs(cases[i].evs, &data, &len, &err), cases[i].code);
        ck_assert_int_eq(err.code, cases[i].code);
        ck_assert_msg(strstr(err.message, cases[i].needle) != NULL, "message '%s' lacks '%s'", err.message,
                      cases[i].needle);
        ck_assert_ptr_null(data);
    }
}
END_TEST

/* The version a graph is written as follows the graph, not its history:
 * a list whose array was replaced is written as 1.0, byte for byte as an
 * equal list built without one (the document's kinds still name arrays). */
START_TEST(test_a_graph_that_lost_its_array_is_written_as_1_0)
{
    brine_error err;
    brine_doc *had = brine_doc_new(), *never = brine_doc_new();
    ck_assert_ptr_nonnull(had);
    ck_assert_ptr_nonnull(never);
    brine_value *list = brine_list_new(had, &err), *fresh = brine_list_new(never, &err);
    const brine_dtype *dt = brine_dtype_parse(had, "<f8", 3, &err);
    uint64_t shape[1] = {2};
    brine_value *arr = brine_array_new(had, dt, 1, shape, NULL, &err);
    ck_assert_ptr_nonnull(arr);
    ck_assert_int_eq(brine_seq_append(list, arr, &err), BRINE_OK);
    ck_assert_int_eq(brine_seq_set(list, 0, brine_int_new(had, 7, &err), &err), BRINE_OK);
    ck_assert_int_eq(brine_seq_append(fresh, brine_int_new(never, 7, &err), &err), BRINE_OK);
    ck_assert(brine_value_kinds(list) & BRINE_KIND_ARRAY); /* the premise */
    size_t n1, n2;
    unsigned char *a = encode_with(nat, list, NULL, 0, &n1, &err), *b = encode_with(nat, fresh, NULL, 0, &n2, &err);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(n1, n2);
    ck_assert_mem_eq(a, b, n1);
    brine_free(a);
    brine_free(b);
    brine_doc_free(had);
    brine_doc_free(never);
}
END_TEST

START_TEST(test_transcoding_native_to_native_streams_and_keeps_the_bytes)
{
    size_t len, outlen;
    unsigned char *data = read_data("cycles", "brn", &len), *outdata;
    brine_source src;
    brine_output out;
    brine_error err;
    int streamed = 0;
    brine_source_init_buffer(&src, data, len);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
    ck_assert_int_eq(brine_transcode(nat, &src, NULL, nat, &out, NULL, &streamed, &err), BRINE_OK);
    ck_assert_int_eq(streamed, 1);
    outdata = brine_output_take(&out, &outlen);
    ck_assert_uint_eq(outlen, len);
    ck_assert_mem_eq(outdata, data, len);
    brine_free(outdata);
    brine_output_destroy(&out);
    free(data);
}
END_TEST

static Suite *native_suite(void)
{
    Suite *s = suite_create("native");
    TCase *tc = tcase_create("native");
    TCase *raw = tcase_create("allocator");
    registry_fixture(tc, &reg, fixture_formats);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_the_plugin_is_found_by_name_extension_mime_type_and_magic);
    tcase_add_test(tc, test_every_scalar_kind_and_boundary_round_trips_exactly);
    tcase_add_test(tc, test_float_bits_survive_nan_payloads_and_negative_zero);
    tcase_add_test(tc, test_ints_are_written_in_their_smallest_form);
    tcase_add_test(tc, test_strings_and_containers_use_fix_forms_up_to_their_limits);
    tcase_add_test(tc, test_containers_models_and_key_types_round_trip);
    tcase_add_test(tc, test_a_shared_list_loads_as_one_list_and_costs_one_anchor);
    tcase_add_test(tc, test_cycles_through_lists_dicts_and_models_load_as_cycles);
    tcase_add_test(tc, test_golden_files_load_to_their_repr_and_reencode_to_the_same_bytes);
    tcase_add_test(tc, test_every_truncation_of_the_golden_files_is_reported_where_the_input_ends);
    tcase_add_test(tc, test_every_single_byte_change_of_the_golden_files_is_an_error);
    tcase_add_test(tc, test_transfer_damage_to_the_magic_number_is_diagnosed);
    tcase_add_test(tc, test_malformed_bodies_are_refused_with_code_and_offset);
    tcase_add_test(tc, test_builder_errors_carry_the_offset_of_the_value_and_the_path);
    tcase_add_test(tc, test_the_checksum_and_the_end_of_input_are_checked);
    tcase_add_loop_test(tc, test_a_corrupt_file_sends_no_byte_when_the_source_can_rewind, 0, SRC_KINDS);
    tcase_add_test(tc, test_a_corrupt_file_through_a_pipe_still_fails_with_the_checksum_error);
    tcase_add_test(tc, test_a_corrupt_file_reports_the_first_error_the_decoder_meets);
    tcase_add_test(tc, test_bytes_between_the_value_and_a_matching_checksum_are_refused);
    tcase_add_test(tc, test_a_corrupt_deep_file_is_a_checksum_error_at_bounded_cost);
    tcase_add_test(tc, test_a_newer_major_version_is_refused_and_a_newer_minor_read);
    tcase_add_test(tc, test_depth_1000_loads_and_1001_is_refused_both_ways);
    tcase_add_test(tc, test_a_million_levels_load_and_save_with_the_limit_raised);
    tcase_add_test(tc, test_decoding_a_pipe_in_small_chunks_equals_decoding_the_buffer);
    tcase_add_test(tc, test_encoding_streams_to_a_callback_and_is_deterministic);
    tcase_add_test(tc, test_unknown_counts_are_written_as_open_forms_and_read_back);
    tcase_add_test(tc, test_the_encoder_renumbers_anchors_from_any_producer);
    tcase_add_test(tc, test_the_encoder_refuses_malformed_event_streams);
    tcase_add_test(tc, test_transcoding_native_to_native_streams_and_keeps_the_bytes);
    tcase_add_test(tc, test_a_graph_that_lost_its_array_is_written_as_1_0);
    suite_add_tcase(s, tc);
    /* Installs its own allocator before any registry exists. */
    tcase_add_test(raw, test_a_length_bomb_fails_at_once_without_allocating_for_it);
    suite_add_tcase(s, raw);
    return s;
}

TEST_MAIN(native_suite)
