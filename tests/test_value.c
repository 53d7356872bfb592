/* test_value.c: documents, scalar values, ints of any size, lists, tuples
 * and models (core/arena.c, value.c, int.c). Expected int bytes and decimal
 * strings were checked with python3 (int.to_bytes(n, "little",
 * signed=True), str(n)). */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brine/brine.h"

#include "check_util.h"

static brine_doc *doc;
static brine_error err;

/* Parses lowercase hex into bytes; returns the count. */
static size_t unhex(const char *hex, unsigned char *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned b;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &b), 1);
        out[i] = (unsigned char)b;
    }
    return n;
}

static void assert_bytes(const brine_value *v, const char *hex)
{
    unsigned char want[64], got[64];
    size_t n = unhex(hex, want);
    ck_assert_uint_eq(brine_int_to_bytes(v, NULL, 0), n);
    ck_assert_uint_eq(brine_int_to_bytes(v, got, sizeof got), n);
    ck_assert_mem_eq(got, want, n);
}

static void assert_decimal(const brine_value *v, const char *want)
{
    char *s = brine_int_to_decimal(v);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, want);
    brine_free(s);
}

/* ---- documents ---------------------------------------------------------- */

START_TEST(test_new_document_has_null_root_and_default_depth)
{
    brine_value *root = brine_doc_root(doc);
    ck_assert_ptr_nonnull(root);
    ck_assert_int_eq(brine_type_of(root), BRINE_NULL);
    ck_assert_uint_eq(brine_doc_max_depth(doc), BRINE_DEFAULT_MAX_DEPTH);
    ck_assert_uint_gt(brine_doc_memory(doc), 0);
    brine_doc_set_max_depth(doc, 5);
    ck_assert_uint_eq(brine_doc_max_depth(doc), 5);
    brine_doc_set_max_depth(doc, 0);
    ck_assert_uint_eq(brine_doc_max_depth(doc), BRINE_DEFAULT_MAX_DEPTH);
    brine_doc_free(NULL);
}
END_TEST

START_TEST(test_set_root_accepts_own_values_and_refuses_foreign_ones)
{
    brine_value *l = brine_list_new(doc, &err);
    ck_assert_int_eq(brine_doc_set_root(doc, l, &err), BRINE_OK);
    ck_assert_int_eq(brine_type_of(brine_doc_root(doc)), BRINE_LIST);
    brine_doc *other = brine_doc_new();
    brine_value *s = brine_str_new_cstr(other, "x", &err);
    ck_assert_int_eq(brine_doc_set_root(doc, s, &err), BRINE_E_INVALID);
    expect_error(&err, BRINE_E_INVALID, BRINE_NO_OFFSET, "", NULL);
    /* Scalars without pointers belong to no document and go anywhere. */
    brine_value *i = brine_int_new(other, 7, NULL);
    ck_assert_ptr_null(brine_value_doc(i));
    brine_error_clear(&err);
    ck_assert_int_eq(brine_doc_set_root(doc, i, &err), BRINE_OK);
    brine_doc_free(other);
}
END_TEST

START_TEST(test_memory_grows_with_the_values_allocated)
{
    size_t before = brine_doc_memory(doc);
    for (int i = 0; i < 10000; i++)
        REQUIRE(brine_str_new_cstr(doc, "some text of a few dozen bytes, repeated", NULL) != NULL);
    ck_assert_uint_gt(brine_doc_memory(doc), before + 10000 * 40);
    /* A block above the dedicated size gets its own chunk. */
    brine_value *b = brine_bytes_new(doc, NULL, 0, NULL);
    ck_assert_ptr_nonnull(b);
    static char big[1 << 20];
    memset(big, 'q', sizeof big);
    size_t mid = brine_doc_memory(doc);
    brine_value *bb = brine_bytes_new(doc, big, sizeof big, &err);
    ck_assert_ptr_nonnull(bb);
    ck_assert_uint_ge(brine_doc_memory(doc), mid + sizeof big);
    size_t len;
    const char *p = brine_bytes_get(bb, &len);
    ck_assert_uint_eq(len, sizeof big);
    ck_assert_mem_eq(p, big, sizeof big);
}
END_TEST

/* ---- scalars ------------------------------------------------------------ */

START_TEST(test_type_names_are_the_python_like_names)
{
    static const char *const names[] = {"null",  "bool", "int",   "float", "complex", "str",
                                        "bytes", "list", "tuple", "dict",  "model"};
    for (int t = BRINE_NULL; t <= BRINE_MODEL; t++)
        ck_assert_str_eq(brine_type_name((brine_type)t), names[t]);
    ck_assert_str_eq(brine_type_name((brine_type)99), "unknown");
}
END_TEST

START_TEST(test_scalars_keep_their_type_and_value)
{
    brine_value *n = brine_null_new(doc, &err);
    brine_value *t = brine_bool_new(doc, 42, &err);
    brine_value *f = brine_bool_new(doc, 0, &err);
    brine_value *x = brine_float_new(doc, 2.5, &err);
    brine_value *c = brine_complex_new(doc, 1.5, -2.0, &err);
    ck_assert_int_eq(brine_type_of(n), BRINE_NULL);
    ck_assert_int_eq(brine_type_of(t), BRINE_BOOL);
    ck_assert_int_eq(brine_bool_get(t), 1);
    ck_assert_int_eq(brine_bool_get(f), 0);
    ck_assert_int_eq(brine_type_of(x), BRINE_FLOAT);
    ck_assert(brine_float_get(x) == 2.5);
    double re, im;
    brine_complex_get(c, &re, &im);
    ck_assert(re == 1.5 && im == -2.0);
    ck_assert_ptr_eq(brine_value_doc(c), doc);
    ck_assert_ptr_null(brine_value_doc(x));
    /* Getters on the wrong type give zeros, not crashes. */
    ck_assert_int_eq(brine_bool_get(x), 0);
    ck_assert(brine_float_get(t) == 0.0);
    brine_complex_get(x, &re, &im);
    ck_assert(re == 0.0 && im == 0.0);
    size_t len = 99;
    ck_assert_ptr_null(brine_str_get(x, &len));
    ck_assert_uint_eq(len, 0);
    ck_assert_ptr_null(brine_bytes_get(NULL, &len));
    ck_assert_int_eq(err.code, BRINE_OK);
}
END_TEST

START_TEST(test_constructors_refuse_a_null_document)
{
    ck_assert_ptr_null(brine_int_new(NULL, 1, &err));
    ck_assert_int_eq(err.code, BRINE_E_INVALID);
    brine_error_clear(&err);
    ck_assert_ptr_null(brine_list_new(NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_INVALID);
    brine_error_clear(&err);
    ck_assert_ptr_null(brine_str_new(NULL, "a", 1, &err));
    ck_assert_int_eq(err.code, BRINE_E_INVALID);
}
END_TEST

START_TEST(test_floats_keep_nan_inf_and_negative_zero_bits)
{
    double nan1 = NAN, ninf = -INFINITY, nz = -0.0;
    uint64_t payload = UINT64_C(0x7ff8000000000123);
    double nan2;
    memcpy(&nan2, &payload, sizeof nan2);
    double vals[] = {nan1, nan2, ninf, INFINITY, nz, 0.0, 5e-324, 1.7976931348623157e308};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        brine_value *v = brine_float_new(doc, vals[i], &err);
        double got = brine_float_get(v);
        ck_assert_mem_eq(&got, &vals[i], sizeof got);
    }
}
END_TEST

START_TEST(test_str_holds_nul_and_is_nul_terminated)
{
    brine_value *s = brine_str_new(doc, "a\0b", 3, &err);
    ck_assert_ptr_nonnull(s);
    size_t len;
    const char *p = brine_str_get(s, &len);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(p, "a\0b", 4);
    brine_value *e = brine_str_new(doc, NULL, 0, &err);
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(brine_str_get(e, &len), "");
    ck_assert_uint_eq(len, 0);
    brine_value *u = brine_str_new_cstr(doc, "h\xc3\xa9llo \xf0\x9f\x98\x80", &err);
    ck_assert_str_eq(brine_str_get(u, &len), "h\xc3\xa9llo \xf0\x9f\x98\x80");
    ck_assert_uint_eq(len, 11);
}
END_TEST

START_TEST(test_invalid_utf8_is_rejected_with_the_offset_of_the_first_bad_byte)
{
    static const struct {
        const char *s;
        size_t len;
        uint64_t offset;
    } cases[] = {
        {"ab\xc0\x80", 4, 2},              /* overlong NUL */
        {"\xed\xa0\x80", 3, 0},            /* surrogate U+D800 */
        {"abc\xf4\x90\x80\x80", 7, 3},     /* above U+10FFFF */
        {"a\xe2\x82", 3, 1},               /* truncated */
        {"xyz\x80", 4, 3},                 /* stray continuation */
        {"ok \xc3\xa9 then \xff", 12, 11}, /* 0xFF never appears */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        brine_error_clear(&err);
        ck_assert_ptr_null(brine_str_new(doc, cases[i].s, cases[i].len, &err));
        expect_error(&err, BRINE_E_UTF8, cases[i].offset, "", NULL);
    }
    brine_error_clear(&err);
    ck_assert_ptr_null(brine_model_new(doc, "Bad\xff", 4, &err));
    expect_error(&err, BRINE_E_UTF8, 3, NULL, NULL);
}
END_TEST

START_TEST(test_bytes_are_copied)
{
    unsigned char raw[4] = {0, 1, 0xff, 0x80};
    brine_value *b = brine_bytes_new(doc, raw, sizeof raw, &err);
    raw[0] = 9;
    size_t len;
    const unsigned char *p = brine_bytes_get(b, &len);
    ck_assert_uint_eq(len, 4);
    ck_assert_int_eq(p[0], 0);
    ck_assert_int_eq(p[2], 0xff);
    ck_assert_int_eq(brine_type_of(b), BRINE_BYTES);
    ck_assert_ptr_null(brine_str_get(b, NULL));
}
END_TEST

/* ---- ints --------------------------------------------------------------- */

START_TEST(test_int64_boundaries_round_trip)
{
    static const struct {
        int64_t i;
        const char *hex, *dec;
    } cases[] = {
        {INT64_MIN, "0000000000000080", "-9223372036854775808"},
        {-129, "7fff", "-129"},
        {-128, "80", "-128"},
        {-1, "ff", "-1"},
        {0, "", "0"},
        {1, "01", "1"},
        {127, "7f", "127"},
        {128, "8000", "128"},
        {255, "ff00", "255"},
        {INT64_MAX, "ffffffffffffff7f", "9223372036854775807"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        brine_value *v = brine_int_new(doc, cases[k].i, &err);
        int64_t i;
        ck_assert_int_eq(brine_int_get_i64(v, &i), BRINE_OK);
        ck_assert_int_eq(i, cases[k].i);
        uint64_t u;
        ck_assert_int_eq(brine_int_get_u64(v, &u), cases[k].i < 0 ? BRINE_E_RANGE : BRINE_OK);
        ck_assert_int_eq(brine_int_sign(v), cases[k].i < 0 ? -1 : cases[k].i > 0);
        assert_bytes(v, cases[k].hex);
        assert_decimal(v, cases[k].dec);
        ck_assert_ptr_null(brine_value_doc(v));
        /* Back from bytes and from decimal: the same value. */
        unsigned char b[16];
        size_t n = unhex(cases[k].hex, b);
        brine_value *w = brine_int_new_bytes(doc, b, n, &err);
        ck_assert_int_eq(brine_value_equal(v, w, 0, &err), 1);
        brine_value *d = brine_int_new_decimal(doc, cases[k].dec, strlen(cases[k].dec), &err);
        ck_assert_int_eq(brine_value_equal(v, d, 0, &err), 1);
        ck_assert_ptr_null(brine_value_doc(d));
    }
    ck_assert_int_eq(err.code, BRINE_OK);
}
END_TEST

START_TEST(test_uint64_range_round_trips)
{
    brine_value *v = brine_uint_new(doc, (uint64_t)INT64_MAX + 1, &err);
    int64_t i;
    uint64_t u;
    ck_assert_int_eq(brine_int_get_i64(v, &i), BRINE_E_RANGE);
    ck_assert_int_eq(brine_int_get_u64(v, &u), BRINE_OK);
    ck_assert_uint_eq(u, (uint64_t)INT64_MAX + 1);
    assert_bytes(v, "000000000000008000");
    assert_decimal(v, "9223372036854775808");
    ck_assert_int_eq(brine_int_sign(v), 1);

    brine_value *m = brine_uint_new(doc, UINT64_MAX, &err);
    ck_assert_int_eq(brine_int_get_u64(m, &u), BRINE_OK);
    ck_assert_uint_eq(u, UINT64_MAX);
    assert_bytes(m, "ffffffffffffffff00");
    assert_decimal(m, "18446744073709551615");

    /* A small uint is the same int as the int64 of the same value. */
    brine_value *small = brine_uint_new(doc, 5, &err);
    ck_assert_int_eq(brine_int_get_i64(small, &i), BRINE_OK);
    ck_assert_int_eq(i, 5);
    ck_assert_int_eq(brine_value_equal(small, brine_int_new(doc, 5, NULL), 0, &err), 1);

    unsigned char b[16];
    size_t n = unhex("ffffffffffffffff00", b);
    ck_assert_int_eq(brine_value_equal(m, brine_int_new_bytes(doc, b, n, &err), 0, &err), 1);
    ck_assert_int_eq(brine_value_equal(m, brine_int_new_decimal(doc, "18446744073709551615", 20, &err), 0, &err), 1);
    ck_assert_int_eq(err.code, BRINE_OK);
}
END_TEST

START_TEST(test_ints_beyond_64_bits_are_big_and_exact)
{
    static const struct {
        const char *hex, *dec;
        int sign;
    } cases[] = {
        {"000000000000000001", "18446744073709551616", 1},                                    /* UINT64_MAX + 1 */
        {"ffffffffffffff7fff", "-9223372036854775809", -1},                                   /* INT64_MIN - 1 */
        {"0000000000000000ff", "-18446744073709551616", -1},                                  /* -2^64 */
        {"0000000000000000000000000000008000", "170141183460469231731687303715884105728", 1}, /* 2^127 */
        {"0000000000000000000000000000000000000000000000000001",
         "1606938044258990275541962092341162602522202993782792835301376", 1}, /* 2^200 */
        {"00000000000000000000000000000000000000000000000000ff",
         "-1606938044258990275541962092341162602522202993782792835301376", -1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        unsigned char b[64];
        size_t n = unhex(cases[k].hex, b);
        brine_value *v = brine_int_new_bytes(doc, b, n, &err);
        ck_assert_ptr_nonnull(v);
        ck_assert_ptr_eq(brine_value_doc(v), doc);
        int64_t i;
        uint64_t u;
        ck_assert_int_eq(brine_int_get_i64(v, &i), BRINE_E_RANGE);
        ck_assert_int_eq(brine_int_get_u64(v, &u), BRINE_E_RANGE);
        ck_assert_int_eq(brine_int_sign(v), cases[k].sign);
        assert_bytes(v, cases[k].hex);
        assert_decimal(v, cases[k].dec);
        brine_value *d = brine_int_new_decimal(doc, cases[k].dec, strlen(cases[k].dec), &err);
        ck_assert_int_eq(brine_value_equal(v, d, 0, &err), 1);
        assert_bytes(d, cases[k].hex);
    }
    ck_assert_int_eq(err.code, BRINE_OK);
}
END_TEST

START_TEST(test_int_bytes_are_normalised_to_the_minimal_form)
{
    unsigned char padded[] = {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    brine_value *v = brine_int_new_bytes(doc, padded, sizeof padded, &err);
    int64_t i;
    ck_assert_int_eq(brine_int_get_i64(v, &i), BRINE_OK);
    ck_assert_int_eq(i, 1);
    unsigned char neg[] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    v = brine_int_new_bytes(doc, neg, sizeof neg, &err);
    ck_assert_int_eq(brine_int_get_i64(v, &i), BRINE_OK);
    ck_assert_int_eq(i, -2);
    v = brine_int_new_bytes(doc, NULL, 0, &err);
    ck_assert_int_eq(brine_int_get_i64(v, &i), BRINE_OK);
    ck_assert_int_eq(i, 0);
    unsigned char zero[] = {0, 0, 0};
    v = brine_int_new_bytes(doc, zero, 3, &err);
    ck_assert_uint_eq(brine_int_to_bytes(v, NULL, 0), 0);
    ck_assert_int_eq(brine_int_sign(v), 0);
    /* Padding on a big value is dropped as well. */
    unsigned char big[] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    v = brine_int_new_bytes(doc, big, sizeof big, &err);
    assert_bytes(v, "000000000000000001");
    ck_assert_int_eq(err.code, BRINE_OK);
}
END_TEST

START_TEST(test_int_to_bytes_writes_at_most_cap_bytes)
{
    brine_value *v = brine_uint_new(doc, UINT64_MAX, &err);
    unsigned char buf[4] = {0xAA, 0xAA, 0xAA, 0xAA};
    ck_assert_uint_eq(brine_int_to_bytes(v, buf, 3), 9);
    ck_assert_int_eq(buf[2], 0xff);
    ck_assert_int_eq(buf[3], 0xAA);
    ck_assert_uint_eq(brine_int_to_bytes(brine_float_new(doc, 1.0, NULL), buf, 4), 0);
    int64_t i;
    ck_assert_int_eq(brine_int_get_i64(brine_str_new_cstr(doc, "1", NULL), &i), BRINE_E_TYPE);
    ck_assert_ptr_null(brine_int_to_decimal(NULL));
}
END_TEST

START_TEST(test_decimal_text_is_validated_with_offsets)
{
    static const struct {
        const char *s;
        uint64_t offset;
    } bad[] = {{"", 0}, {"-", 1}, {"+1", 0}, {"12a", 2}, {" 1", 0}, {"1 ", 1}, {"--1", 1}, {"0x10", 1}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        brine_error_clear(&err);
        ck_assert_ptr_null(brine_int_new_decimal(doc, bad[k].s, strlen(bad[k].s), &err));
        expect_error(&err, BRINE_E_SYNTAX, bad[k].offset, NULL, NULL);
    }
    brine_error_clear(&err);
    brine_value *v = brine_int_new_decimal(doc, "-0", 2, &err);
    int64_t i;
    ck_assert_int_eq(brine_int_get_i64(v, &i), BRINE_OK);
    ck_assert_int_eq(i, 0);
    v = brine_int_new_decimal(doc, "000000000000000000000000000000042", 33, &err);
    ck_assert_int_eq(brine_int_get_i64(v, &i), BRINE_OK);
    ck_assert_int_eq(i, 42);
    ck_assert_int_eq(err.code, BRINE_OK);
}
END_TEST

START_TEST(test_decimal_conversion_stops_at_4300_digits)
{
    char *text = malloc(10000001);
    ck_assert_ptr_nonnull(text);
    /* 4300 nines: accepted, and printed back exactly. */
    memset(text, '9', 4300);
    brine_value *v = brine_int_new_decimal(doc, text, 4300, &err);
    ck_assert_ptr_nonnull(v);
    char *back = brine_int_to_decimal(v);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(strlen(back), 4300);
    ck_assert_mem_eq(back, text, 4300);
    brine_free(back);
    /* Its negation too (4300 digits and a sign). */
    text[0] = '-';
    memset(text + 1, '9', 4300);
    v = brine_int_new_decimal(doc, text, 4301, &err);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(brine_int_sign(v), -1);
    back = brine_int_to_decimal(v);
    ck_assert_uint_eq(strlen(back), 4301);
    brine_free(back);
    /* 4301 digits: refused like Python's int_max_str_digits. */
    text[0] = '1';
    memset(text + 1, '0', 4300);
    ck_assert_ptr_null(brine_int_new_decimal(doc, text, 4301, &err));
    ck_assert_int_eq(err.code, BRINE_E_RANGE);
    ck_assert_str_eq(err.message,
                     "exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits");
    /* A hostile 10 MB number fails at once. */
    memset(text, '7', 10000000);
    brine_error_clear(&err);
    ck_assert_ptr_null(brine_int_new_decimal(doc, text, 10000000, &err));
    ck_assert_int_eq(err.code, BRINE_E_RANGE);
    free(text);
    ck_assert_int_eq(err.code, BRINE_E_RANGE);
}
END_TEST

/* Multiplies the little-endian magnitude b[0..n) by 10 in place. */
static void times_ten(unsigned char *b, size_t n)
{
    unsigned carry = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned x = b[i] * 10u + carry;
        b[i] = (unsigned char)x;
        carry = x >> 8;
    }
    ck_assert_uint_eq(carry, 0);
}

START_TEST(test_to_decimal_refuses_ints_of_more_than_4300_digits)
{
    /* 10^4299 from its 4300-digit decimal, then 10^4300 (4301 digits) from
     * its bytes times ten: the exact boundary. */
    char *text = malloc(4301);
    ck_assert_ptr_nonnull(text);
    text[0] = '1';
    memset(text + 1, '0', 4299);
    brine_value *v = brine_int_new_decimal(doc, text, 4300, &err);
    ck_assert_ptr_nonnull(v);
    unsigned char b[2000] = {0};
    size_t n = brine_int_to_bytes(v, b, sizeof b);
    ck_assert_uint_lt(n, 1790);
    times_ten(b, n + 1);
    brine_value *w = brine_int_new_bytes(doc, b, n + 1, &err);
    ck_assert_ptr_nonnull(w);
    ck_assert_ptr_null(brine_int_to_decimal(w));
    char *back = brine_int_to_decimal(v);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(strlen(back), 4300);
    ck_assert_mem_eq(back, text, 4300);
    brine_free(back);
    free(text);
    /* A 100 kB int is fine as bytes and refused as decimal, quickly. */
    unsigned char *huge = malloc(100000);
    ck_assert_ptr_nonnull(huge);
    memset(huge, 0x33, 100000);
    v = brine_int_new_bytes(doc, huge, 100000, &err);
    ck_assert_uint_eq(brine_int_to_bytes(v, NULL, 0), 100000);
    ck_assert_ptr_null(brine_int_to_decimal(v));
    free(huge);
    ck_assert_int_eq(err.code, BRINE_OK);
}
END_TEST

/* ---- sequences ---------------------------------------------------------- */

START_TEST(test_list_append_get_set_and_count)
{
    brine_value *l = brine_list_new(doc, &err);
    ck_assert_int_eq(brine_type_of(l), BRINE_LIST);
    ck_assert_uint_eq(brine_seq_count(l), 0);
    ck_assert_ptr_null(brine_seq_get(l, 0));
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(brine_seq_append(l, brine_int_new(doc, i, NULL), &err), BRINE_OK);
    ck_assert_uint_eq(brine_seq_count(l), 100);
    for (int i = 0; i < 100; i++) {
        int64_t x;
        ck_assert_int_eq(brine_int_get_i64(brine_seq_get(l, (size_t)i), &x), BRINE_OK);
        ck_assert_int_eq(x, i);
    }
    ck_assert_int_eq(brine_seq_set(l, 5, brine_str_new_cstr(doc, "five", NULL), &err), BRINE_OK);
    ck_assert_str_eq(brine_str_get(brine_seq_get(l, 5), NULL), "five");
    ck_assert_int_eq(brine_seq_set(l, 100, brine_null_new(doc, NULL), &err), BRINE_E_RANGE);
    expect_error(&err, BRINE_E_RANGE, ANY_OFFSET, NULL, "index 100 out of range for a list of 100 elements");
    /* Containers are stored by reference: the same node, seen through both. */
    brine_value *inner = brine_list_new(doc, NULL);
    brine_seq_append(l, inner, NULL);
    brine_seq_append(inner, brine_null_new(doc, NULL), NULL);
    ck_assert_uint_eq(brine_seq_count(brine_seq_get(l, 100)), 1);
}
END_TEST

START_TEST(test_appending_an_element_of_the_same_list_survives_growth)
{
    brine_value *l = brine_list_new(doc, &err);
    brine_seq_append(l, brine_str_new_cstr(doc, "first", NULL), &err);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(brine_seq_append(l, brine_seq_get(l, 0), &err), BRINE_OK);
    for (size_t i = 0; i <= 1000; i++)
        ck_assert_str_eq(brine_str_get(brine_seq_get(l, i), NULL), "first");
}
END_TEST

START_TEST(test_tuples_are_built_like_lists)
{
    brine_value *t = brine_tuple_new(doc, &err);
    ck_assert_int_eq(brine_type_of(t), BRINE_TUPLE);
    ck_assert_int_eq(brine_seq_reserve(t, 3, &err), BRINE_OK);
    brine_seq_append(t, brine_int_new(doc, 1, NULL), &err);
    brine_seq_append(t, brine_bool_new(doc, 1, NULL), &err);
    ck_assert_uint_eq(brine_seq_count(t), 2);
    ck_assert_int_eq(err.code, BRINE_OK);
}
END_TEST

START_TEST(test_sequence_calls_refuse_other_types_and_documents)
{
    brine_value *d = brine_dict_new(doc, &err);
    ck_assert_int_eq(brine_seq_append(d, brine_null_new(doc, NULL), &err), BRINE_E_TYPE);
    ck_assert_str_eq(err.message, "append needs a list or a tuple, not dict");
    ck_assert_uint_eq(brine_seq_count(d), 0);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_seq_reserve(d, 10, &err), BRINE_E_TYPE);
    brine_error_clear(&err);
    brine_value *l = brine_list_new(doc, &err);
    brine_doc *other = brine_doc_new();
    brine_value *foreign_list = brine_list_new(other, &err);
    brine_value *foreign_str = brine_str_new_cstr(other, "x", &err);
    brine_value *foreign_big = brine_uint_new(other, UINT64_MAX, &err);
    ck_assert_int_eq(brine_seq_append(l, foreign_list, &err), BRINE_E_INVALID);
    ck_assert_int_eq(err.code, BRINE_E_INVALID);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_seq_append(l, foreign_str, &err), BRINE_E_INVALID);
    brine_error_clear(&err);
    /* A uint64 carries no pointer: it is accepted. */
    ck_assert_int_eq(brine_seq_append(l, foreign_big, &err), BRINE_OK);
    ck_assert_int_eq(brine_seq_append(l, NULL, &err), BRINE_E_INVALID);
    ck_assert_uint_eq(brine_seq_count(l), 1);
    brine_doc_free(other);
}
END_TEST

START_TEST(test_a_million_element_list_grows_and_keeps_its_elements)
{
    brine_value *l = brine_list_new(doc, &err);
    for (int64_t i = 0; i < 1000000; i++)
        REQUIRE(brine_seq_append(l, brine_int_new(doc, i, NULL), &err) == BRINE_OK);
    ck_assert_uint_eq(brine_seq_count(l), 1000000);
    for (size_t i = 0; i < 1000000; i += 9999) {
        int64_t x;
        brine_int_get_i64(brine_seq_get(l, i), &x);
        ck_assert_int_eq(x, (int64_t)i);
    }
    /* 16 MB of elements plus 16 MB of int slots, without keeping every old
     * copy of the array: well under 3 times the live data. */
    ck_assert_uint_lt(brine_doc_memory(doc), (size_t)3 * 32000000);
}
END_TEST

/* ---- models ------------------------------------------------------------- */

START_TEST(test_model_has_name_empty_args_and_null_state)
{
    brine_value *m = brine_model_new(doc, "Point", 5, &err);
    ck_assert_int_eq(brine_type_of(m), BRINE_MODEL);
    size_t len;
    ck_assert_str_eq(brine_model_name(m, &len), "Point");
    ck_assert_uint_eq(len, 5);
    brine_value *args = brine_model_args(m);
    ck_assert_int_eq(brine_type_of(args), BRINE_TUPLE);
    ck_assert_uint_eq(brine_seq_count(args), 0);
    ck_assert_int_eq(brine_type_of(brine_model_state(m)), BRINE_NULL);
    /* The args handle is a real tuple: appending to it changes the model. */
    brine_seq_append(args, brine_int_new(doc, 1, NULL), &err);
    ck_assert_uint_eq(brine_seq_count(brine_model_args(m)), 1);
    ck_assert_ptr_null(brine_model_args(args));
    ck_assert_ptr_null(brine_model_name(args, &len));
    ck_assert_int_eq(err.code, BRINE_OK);
}
END_TEST

START_TEST(test_models_made_in_turn_keep_their_own_names)
{
    /* A model of the last model's name shares its copy (value.c): names
     * that differ in length, in a last byte, or are empty stay apart. */
    static const struct {
        const char *name;
        size_t len;
    } names[] = {{"mod.Point", 9}, {"mod.Point", 9}, {"mod.Poinu", 9},     {"mod.Poin", 8}, {"", 0},
                 {"", 0},          {"mod.Point", 9}, {"mod.Point\0x", 11}, {"mod.Point", 9}};
    enum { N = sizeof names / sizeof names[0] };
    brine_value *m[N];
    for (size_t i = 0; i < N; i++)
        ck_assert_ptr_nonnull(m[i] = brine_model_new(doc, names[i].name, names[i].len, &err));
    for (size_t i = 0; i < N; i++) {
        size_t len;
        const char *got = brine_model_name(m[i], &len);
        ck_assert_msg(len == names[i].len && memcmp(got, names[i].name, len) == 0 && got[len] == '\0',
                      "model %zu: its name changed", i);
    }
    brine_value *copy = brine_value_copy(doc, m[7], 0, &err);
    size_t len;
    ck_assert_ptr_nonnull(copy);
    ck_assert_int_eq(memcmp(brine_model_name(copy, &len), "mod.Point\0x", 11), 0);
    ck_assert_uint_eq(len, 11);
}
END_TEST

START_TEST(test_model_args_must_be_a_tuple_of_the_same_document)
{
    brine_value *m = brine_model_new(doc, "P", 1, &err);
    brine_value *t = brine_tuple_new(doc, &err);
    brine_seq_append(t, brine_int_new(doc, 3, NULL), &err);
    ck_assert_int_eq(brine_model_set_args(m, t, &err), BRINE_OK);
    /* The tuple is shared, not copied. */
    brine_seq_append(t, brine_int_new(doc, 4, NULL), &err);
    ck_assert_uint_eq(brine_seq_count(brine_model_args(m)), 2);
    ck_assert_int_eq(brine_model_set_args(m, brine_list_new(doc, NULL), &err), BRINE_E_TYPE);
    ck_assert_str_eq(err.message, "a model's args must be a tuple, not list");
    brine_error_clear(&err);
    brine_doc *other = brine_doc_new();
    ck_assert_int_eq(brine_model_set_args(m, brine_tuple_new(other, NULL), &err), BRINE_E_INVALID);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_set_state(m, brine_dict_new(other, NULL), &err), BRINE_E_INVALID);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_set_state(m, brine_float_new(other, 1.5, NULL), &err), BRINE_OK);
    ck_assert(brine_float_get(brine_model_state(m)) == 1.5);
    ck_assert_int_eq(brine_model_set_state(t, brine_null_new(doc, NULL), &err), BRINE_E_TYPE);
    ck_assert_uint_eq(brine_seq_count(brine_model_args(m)), 2);
    brine_doc_free(other);
}
END_TEST

static Suite *value_suite(void)
{
    Suite *s = suite_create("value");
    TCase *tc = tcase_create("documents");
    doc_fixture(tc, &doc, &err);
    tcase_add_test(tc, test_new_document_has_null_root_and_default_depth);
    tcase_add_test(tc, test_set_root_accepts_own_values_and_refuses_foreign_ones);
    tcase_add_test(tc, test_memory_grows_with_the_values_allocated);
    suite_add_tcase(s, tc);

    tc = tcase_create("scalars");
    doc_fixture(tc, &doc, &err);
    tcase_add_test(tc, test_type_names_are_the_python_like_names);
    tcase_add_test(tc, test_scalars_keep_their_type_and_value);
    tcase_add_test(tc, test_constructors_refuse_a_null_document);
    tcase_add_test(tc, test_floats_keep_nan_inf_and_negative_zero_bits);
    tcase_add_test(tc, test_str_holds_nul_and_is_nul_terminated);
    tcase_add_test(tc, test_invalid_utf8_is_rejected_with_the_offset_of_the_first_bad_byte);
    tcase_add_test(tc, test_bytes_are_copied);
    suite_add_tcase(s, tc);

    tc = tcase_create("ints");
    doc_fixture(tc, &doc, &err);
    tcase_add_test(tc, test_int64_boundaries_round_trip);
    tcase_add_test(tc, test_uint64_range_round_trips);
    tcase_add_test(tc, test_ints_beyond_64_bits_are_big_and_exact);
    tcase_add_test(tc, test_int_bytes_are_normalised_to_the_minimal_form);
    tcase_add_test(tc, test_int_to_bytes_writes_at_most_cap_bytes);
    tcase_add_test(tc, test_decimal_text_is_validated_with_offsets);
    tcase_add_test(tc, test_decimal_conversion_stops_at_4300_digits);
    tcase_add_test(tc, test_to_decimal_refuses_ints_of_more_than_4300_digits);
    suite_add_tcase(s, tc);

    tc = tcase_create("sequences");
    doc_fixture(tc, &doc, &err);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_list_append_get_set_and_count);
    tcase_add_test(tc, test_appending_an_element_of_the_same_list_survives_growth);
    tcase_add_test(tc, test_tuples_are_built_like_lists);
    tcase_add_test(tc, test_sequence_calls_refuse_other_types_and_documents);
    tcase_add_test(tc, test_a_million_element_list_grows_and_keeps_its_elements);
    suite_add_tcase(s, tc);

    tc = tcase_create("models");
    doc_fixture(tc, &doc, &err);
    tcase_add_test(tc, test_model_has_name_empty_args_and_null_state);
    tcase_add_test(tc, test_models_made_in_turn_keep_their_own_names);
    tcase_add_test(tc, test_model_args_must_be_a_tuple_of_the_same_document);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(value_suite)
