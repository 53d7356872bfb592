/* test_array.c: array values and their element types (<brine/array.h>):
 * dtype strings parsed and printed for every kind, the record builder's
 * refusals, creation, getters and bounds, byte-swapped access, equality,
 * copy and numpy's repr (expected texts from python3-numpy 1.24's repr,
 * see tests/array_repr.py), the tolist() fallback for sinks without
 * BRINE_SINK_ARRAYS, the native format's round trip of every dtype and of
 * shapes 0-d to 5-d with its version and alignment, and hostile native
 * inputs. */
#define _GNU_SOURCE /* memmem */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include <brine/format.h>

#include "check_util.h"

static brine_registry *reg;
static const brine_plugin *nat;

static const test_format formats[] = {{"native", &nat, NULL}, {0}};

/* ---- dtypes ------------------------------------------------------------- */

static const struct {
    const char *in, *str; /* parsed, printed back (numpy's dtype.str) */
    brine_dtype_kind kind;
    size_t itemsize;
    char order;
    const char *descr;
} dtype_cases[] = {
    {"|b1", "|b1", BRINE_DT_BOOL, 1, '|', "[('', '|b1')]"},
    {"<b1", "|b1", BRINE_DT_BOOL, 1, '|', NULL},
    {"|i1", "|i1", BRINE_DT_INT, 1, '|', NULL},
    {"<i2", "<i2", BRINE_DT_INT, 2, '<', NULL},
    {">i4", ">i4", BRINE_DT_INT, 4, '>', "[('', '>i4')]"},
    {"<i8", "<i8", BRINE_DT_INT, 8, '<', NULL},
    {"|u1", "|u1", BRINE_DT_UINT, 1, '|', NULL},
    {">u2", ">u2", BRINE_DT_UINT, 2, '>', NULL},
    {"<u4", "<u4", BRINE_DT_UINT, 4, '<', NULL},
    {"<u8", "<u8", BRINE_DT_UINT, 8, '<', NULL},
    {"<f2", "<f2", BRINE_DT_FLOAT, 2, '<', NULL},
    {"<f4", "<f4", BRINE_DT_FLOAT, 4, '<', NULL},
    {">f8", ">f8", BRINE_DT_FLOAT, 8, '>', NULL},
    {"<c8", "<c8", BRINE_DT_COMPLEX, 8, '<', NULL},
    {">c16", ">c16", BRINE_DT_COMPLEX, 16, '>', NULL},
    {"|S10", "|S10", BRINE_DT_BYTES, 10, '|', NULL},
    {"<S3", "|S3", BRINE_DT_BYTES, 3, '|', NULL},
    {"<U5", "<U5", BRINE_DT_STR, 20, '<', "[('', '<U5')]"},
    {">U1", ">U1", BRINE_DT_STR, 4, '>', NULL},
    {"<M8[ns]", "<M8[ns]", BRINE_DT_DATETIME, 8, '<', NULL},
    {">M8[D]", ">M8[D]", BRINE_DT_DATETIME, 8, '>', NULL},
    {"<m8[10ms]", "<m8[10ms]", BRINE_DT_TIMEDELTA, 8, '<', NULL},
    {"<m8[as]", "<m8[as]", BRINE_DT_TIMEDELTA, 8, '<', NULL},
    {"|V16", "|V16", BRINE_DT_VOID, 16, '|', NULL},
};

START_TEST(test_dtype_parses_and_prints_every_kind)
{
    brine_doc *doc = brine_doc_new();
    brine_error err;
    char s[64];
    for (size_t i = 0; i < sizeof dtype_cases / sizeof dtype_cases[0]; i++) {
        brine_error_clear(&err);
        brine_dtype *dt = brine_dtype_parse(doc, dtype_cases[i].in, strlen(dtype_cases[i].in), &err);
        ck_assert_msg(dt != NULL, "%s: %s", dtype_cases[i].in, err.message);
        ck_assert_int_eq(brine_dtype_kind_of(dt), dtype_cases[i].kind);
        ck_assert_uint_eq(brine_dtype_itemsize(dt), dtype_cases[i].itemsize);
        ck_assert_int_eq(brine_dtype_byteorder(dt), dtype_cases[i].order);
        ck_assert_uint_eq(brine_dtype_str(dt, s, sizeof s), strlen(dtype_cases[i].str));
        ck_assert_str_eq(s, dtype_cases[i].str);
        if (dtype_cases[i].descr) {
            brine_dtype_descr(dt, s, sizeof s);
            ck_assert_str_eq(s, dtype_cases[i].descr);
        }
        /* The printed form parses to an equal dtype. */
        brine_dtype *again = brine_dtype_parse(doc, s, brine_dtype_str(dt, s, sizeof s), &err);
        ck_assert_ptr_nonnull(again);
        ck_assert_int_eq(brine_dtype_equal(dt, again), 1);
    }
    uint64_t count;
    brine_dtype *m = brine_dtype_parse(doc, "<m8[10ms]", 9, &err);
    ck_assert_int_eq(brine_dtype_unit_of(m, &count), BRINE_UNIT_ms);
    ck_assert_uint_eq(count, 10);
    brine_dtype *nat_order = brine_dtype_parse(doc, "=f8", 3, &err);
    ck_assert_int_eq(brine_dtype_byteorder(nat_order), '<' + (1 - *(const unsigned char *)&(uint16_t){1}) * 2);
    brine_doc_free(doc);
}
END_TEST

static const struct {
    const char *in;
    int code;
    uint64_t offset;
} bad_dtypes[] = {
    {"", BRINE_E_SYNTAX, 0},
    {"f8", BRINE_E_SYNTAX, 2},
    {"*f8", BRINE_E_SYNTAX, 0},
    {"<x8", BRINE_E_SYNTAX, 1},
    {"|O8", BRINE_E_UNSUPPORTED, 1},
    {"<f3", BRINE_E_UNSUPPORTED, 2},
    {"<f", BRINE_E_SYNTAX, 2},
    {"|S0", BRINE_E_UNSUPPORTED, 2},
    {"|V0", BRINE_E_UNSUPPORTED, 2},
    {"|f8", BRINE_E_SYNTAX, 0},
    {"<M8", BRINE_E_UNSUPPORTED, 3},
    {"<M8[xs]", BRINE_E_UNSUPPORTED, 4},
    {"<M8[ns", BRINE_E_SYNTAX, 4},
    {"<M8(ns)", BRINE_E_SYNTAX, 3},
    {"<f8 ", BRINE_E_SYNTAX, 3},
    {"<i16", BRINE_E_UNSUPPORTED, 2},
    {"|S99999999999999", BRINE_E_UNSUPPORTED, 2},
    {"<m8[0s]", BRINE_E_UNSUPPORTED, 5},
};

START_TEST(test_dtype_parse_refuses_with_code_and_offset)
{
    brine_doc *doc = brine_doc_new();
    brine_error err;
    for (size_t i = 0; i < sizeof bad_dtypes / sizeof bad_dtypes[0]; i++) {
        brine_error_clear(&err);
        ck_assert_msg(brine_dtype_parse(doc, bad_dtypes[i].in, strlen(bad_dtypes[i].in), &err) == NULL, "%s parsed",
                      bad_dtypes[i].in);
        ck_assert_msg(err.code == bad_dtypes[i].code && err.offset == bad_dtypes[i].offset,
                      "'%s': code %d offset %llu (%s)", bad_dtypes[i].in, err.code, (unsigned long long)err.offset,
                      err.message);
    }
    brine_doc_free(doc);
}
END_TEST

/* sklearn's tree node dtype (sklearn 1.3): 8 fields, 64 bytes, padding at
 * the end. */
static brine_dtype *node_dtype(brine_doc *doc)
{
    brine_error err = {0};
    brine_dtype *i8 = brine_dtype_parse(doc, "<i8", 3, &err), *f8 = brine_dtype_parse(doc, "<f8", 3, &err);
    brine_dtype *u1 = brine_dtype_parse(doc, "|u1", 3, &err);
    brine_dtype *rec = brine_dtype_record_new(doc, 64, &err);
    static const char *names[] = {"left_child",
                                  "right_child",
                                  "feature",
                                  "threshold",
                                  "impurity",
                                  "n_node_samples",
                                  "weighted_n_node_samples",
                                  "missing_go_to_left"};
    for (int k = 0; k < 8; k++)
        brine_dtype_record_add(rec, names[k], strlen(names[k]),
                               k < 3 || k == 5 ? i8
                               : k == 7        ? u1
                                               : f8,
                               8 * k, 0, NULL, &err);
    ck_assert_int_eq(err.code, BRINE_OK);
    return rec;
}

START_TEST(test_record_builder_descr_and_refusals)
{
    brine_doc *doc = brine_doc_new();
    brine_error err = {0};
    brine_dtype *rec = node_dtype(doc);
    char s[512];
    brine_dtype_descr(rec, s, sizeof s);
    ck_assert_str_eq(s, "[('left_child', '<i8'), ('right_child', '<i8'), ('feature', '<i8'), ('threshold', '<f8'), "
                        "('impurity', '<f8'), ('n_node_samples', '<i8'), ('weighted_n_node_samples', '<f8'), "
                        "('missing_go_to_left', '|u1'), ('', '|V7')]");
    brine_dtype_str(rec, s, sizeof s);
    ck_assert_str_eq(s, "|V64");
    ck_assert_uint_eq(brine_dtype_field_count(rec), 8);
    ck_assert_int_eq(brine_dtype_field_index(rec, "threshold", 9), 3);
    ck_assert_int_eq(brine_dtype_field_index(rec, "nope", 4), -1);
    /* Sub-array and nested fields, in numpy's descr text. */
    brine_dtype *f4 = brine_dtype_parse(doc, ">f4", 3, &err);
    brine_dtype *inner = brine_dtype_record_new(doc, 8, &err);
    brine_dtype_record_add(inner, "a", 1, f4, 4, 0, NULL, &err);
    brine_dtype *outer = brine_dtype_record_new(doc, 32, &err);
    uint64_t shape[] = {2, 3};
    brine_dtype_record_add(outer, "m", 1, f4, 0, 2, shape, &err);
    brine_dtype_record_add(outer, "in", 2, inner, 24, 0, NULL, &err);
    ck_assert_int_eq(err.code, BRINE_OK);
    brine_dtype_descr(outer, s, sizeof s);
    ck_assert_str_eq(s, "[('m', '>f4', (2, 3)), ('in', [('', '|V4'), ('a', '>f4')])]");

    static const struct {
        const char *name;
        uint64_t offset;
        unsigned ndim;
        uint64_t shape0;
        int code;
        const char *msg;
    } bad[] = {
        {"x", 60, 0, 0, BRINE_E_RANGE, "does not fit in the record's 64 bytes"},
        {"x", 20, 0, 0, BRINE_E_RANGE, "overlaps field 'feature'"},
        {"x", 56, 1, 2, BRINE_E_RANGE, "does not fit"},
        {"x", 57, 1, UINT64_MAX / 2, BRINE_E_RANGE, "overflows"},
        {"feature", 100, 0, 0, BRINE_E_RANGE, "does not fit"},
        {"", 56, 0, 0, BRINE_E_INVALID, "non-empty"},
    };
    brine_dtype *big = brine_dtype_record_new(doc, 64, &err);
    brine_dtype *i8 = brine_dtype_parse(doc, "<i8", 3, &err);
    brine_dtype_record_add(big, "feature", 7, i8, 16, 0, NULL, &err);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        brine_error_clear(&err);
        uint64_t sh[] = {bad[i].shape0};
        ck_assert_int_eq(
            brine_dtype_record_add(big, bad[i].name, strlen(bad[i].name), i8, bad[i].offset, bad[i].ndim, sh, &err),
            bad[i].code);
        ck_assert_msg(strstr(err.message, bad[i].msg), "%zu: %s", i, err.message);
    }
    brine_error_clear(&err);
    ck_assert_int_eq(brine_dtype_record_add(big, "feature", 7, i8, 40, 0, NULL, &err), BRINE_E_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "repeated"));
    ck_assert_ptr_null(brine_dtype_record_new(doc, 0, &err));
    /* A dtype of another document, and a record an array uses. */
    brine_doc *other = brine_doc_new();
    brine_dtype *foreign = brine_dtype_parse(other, "<i8", 3, &err);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_dtype_record_add(big, "y", 1, foreign, 48, 0, NULL, &err), BRINE_E_INVALID);
    ck_assert_ptr_nonnull(brine_array_new(doc, big, 0, NULL, NULL, &err));
    brine_error_clear(&err);
    ck_assert_int_eq(brine_dtype_record_add(big, "y", 1, i8, 48, 0, NULL, &err), BRINE_E_INVALID);
    /* Nesting is bounded. */
    brine_dtype *nest = i8;
    int rc = BRINE_OK;
    for (int level = 0; level < 20 && rc == BRINE_OK; level++) {
        brine_dtype *r = brine_dtype_record_new(doc, 8, &err);
        brine_error_clear(&err);
        rc = brine_dtype_record_add(r, "n", 1, nest, 0, 0, NULL, &err);
        nest = r;
    }
    ck_assert_int_eq(rc, BRINE_E_RANGE);
    brine_doc_free(other);
    brine_doc_free(doc);
}
END_TEST

/* ---- creation, getters, access ----------------------------------------- */

START_TEST(test_array_new_getters_and_bounds)
{
    brine_doc *doc = brine_doc_new();
    brine_error err = {0};
    brine_dtype *f8 = brine_dtype_parse(doc, "<f8", 3, &err);
    uint64_t shape[] = {2, 3};
    double d[6] = {1, 2, 3, 4.5, 5, -6};
    brine_value *a = brine_array_new(doc, f8, 2, shape, d, &err);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(brine_type_of(a), BRINE_ARRAY);
    ck_assert_str_eq(brine_type_name(BRINE_ARRAY), "array");
    ck_assert_uint_eq(brine_array_ndim(a), 2);
    ck_assert_uint_eq(brine_array_shape(a)[1], 3);
    ck_assert_uint_eq(brine_array_count(a), 6);
    ck_assert_uint_eq(brine_array_nbytes(a), 48);
    ck_assert_uint_eq((uintptr_t)brine_array_data(a) % 16, 0);
    ck_assert_ptr_eq(brine_array_dtype(a), f8);
    ck_assert(brine_value_kinds(a) & BRINE_KIND_ARRAY);
    uint64_t idx[] = {1, 0}, flat;
    ck_assert_int_eq(brine_array_index(a, 2, idx, &flat, &err), BRINE_OK);
    ck_assert_uint_eq(flat, 3);
    double x;
    ck_assert_int_eq(brine_array_get_double(a, flat, &x, &err), BRINE_OK);
    ck_assert(x == 4.5);
    int64_t i;
    ck_assert_int_eq(brine_array_get_int64(a, 5, &i, &err), BRINE_OK);
    ck_assert_int_eq(i, -6);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_array_get_int64(a, 3, &i, &err), BRINE_E_RANGE); /* 4.5 */
    brine_error_clear(&err);
    ck_assert_int_eq(brine_array_get_double(a, 6, &x, &err), BRINE_E_RANGE);
    ck_assert_str_eq(err.message, "index 6 is out of bounds for an array of 6 elements");
    idx[1] = 3;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_array_index(a, 2, idx, &flat, &err), BRINE_E_RANGE);
    ck_assert_str_eq(err.message, "index 3 is out of bounds for axis 1 with size 3");
    brine_error_clear(&err);
    ck_assert_int_eq(brine_array_index(a, 1, idx, &flat, &err), BRINE_E_INVALID);
    /* Zeros, 0-d, and sizes that overflow before any allocation. */
    brine_value *z = brine_array_new(doc, f8, 0, NULL, NULL, &err);
    ck_assert_uint_eq(brine_array_count(z), 1);
    ck_assert_int_eq(brine_array_get_double(z, 0, &x, &err), BRINE_OK);
    ck_assert(x == 0);
    size_t before = brine_doc_memory(doc);
    uint64_t huge[] = {UINT64_C(1) << 32, UINT64_C(1) << 32};
    brine_error_clear(&err);
    ck_assert_ptr_null(brine_array_new(doc, f8, 2, huge, NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_RANGE);
    uint64_t big1[] = {UINT64_C(1) << 60};
    brine_error_clear(&err);
    ck_assert_ptr_null(brine_array_new(doc, f8, 1, big1, NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_RANGE);
    uint64_t dims[65] = {0};
    brine_error_clear(&err);
    ck_assert_ptr_null(brine_array_new(doc, f8, 65, dims, NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_RANGE);
    ck_assert_uint_eq(brine_doc_memory(doc), before);
    /* An empty array with a huge other dimension is fine. */
    uint64_t empty[] = {0, UINT64_C(1) << 62};
    ck_assert_ptr_nonnull(brine_array_new(doc, f8, 2, empty, NULL, &err));
    /* Not an array. */
    brine_value *n = brine_int_new(doc, 1, &err);
    ck_assert_ptr_null(brine_array_dtype(n));
    brine_error_clear(&err);
    ck_assert_int_eq(brine_array_get_double(n, 0, &x, &err), BRINE_E_TYPE);
    /* Arrays are unhashable, and shared like lists. */
    brine_value *dict = brine_dict_new(doc, &err);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_dict_set(dict, a, n, &err), BRINE_E_KEY);
    ck_assert_str_eq(err.message, "unhashable type: 'array'");
    brine_value *list = brine_list_new(doc, &err);
    brine_seq_append(list, a, &err);
    brine_seq_append(list, a, &err);
    ((double *)brine_array_data_mut(brine_seq_get(list, 0)))[0] = 42;
    ck_assert_int_eq(brine_array_get_double(brine_seq_get(list, 1), 0, &x, &err), BRINE_OK);
    ck_assert(x == 42);
    brine_doc_free(doc);
}
END_TEST

static int frees;
static void count_free(void *p)
{
    frees++;
    free(p);
}

START_TEST(test_array_adopt_calls_free_at_doc_free_and_copies_misaligned)
{
    brine_doc *doc = brine_doc_new();
    brine_error err = {0};
    brine_dtype *i4 = brine_dtype_parse(doc, "<i4", 3, &err);
    uint64_t shape[] = {4};
    int32_t *mem = aligned_alloc(16, 16);
    for (int k = 0; k < 4; k++)
        mem[k] = k * 10;
    frees = 0;
    brine_value *a = brine_array_adopt(doc, i4, 1, shape, mem, count_free, &err);
    ck_assert_ptr_eq(brine_array_data(a), mem);
    /* Misaligned: copied, and freed at once. */
    char *raw = malloc(17);
    memcpy(raw + 1, mem, 16);
    brine_value *b = brine_array_adopt(doc, i4, 1, shape, raw + 1, NULL, &err);
    ck_assert_ptr_ne(brine_array_data(b), raw + 1);
    ck_assert_uint_eq((uintptr_t)brine_array_data(b) % 16, 0);
    ck_assert_int_eq(brine_value_equal(a, b, 0, &err), 1);
    free(raw);
    ck_assert_int_eq(frees, 0);
    brine_doc_free(doc);
    ck_assert_int_eq(frees, 1);
}
END_TEST

START_TEST(test_big_endian_reads_native_and_stays_big_endian)
{
    brine_doc *doc = brine_doc_new();
    brine_error err = {0};
    const unsigned char be[] = {0x3F, 0xF8, 0, 0, 0, 0, 0, 0, 0xC0, 0x04, 0, 0, 0, 0, 0, 0}; /* 1.5, -2.5 */
    uint64_t shape[] = {2};
    brine_dtype *bf8 = brine_dtype_parse(doc, ">f8", 3, &err);
    brine_value *a = brine_array_new(doc, bf8, 1, shape, be, &err);
    double x;
    ck_assert_int_eq(brine_array_get_double(a, 1, &x, &err), BRINE_OK);
    ck_assert(x == -2.5);
    double nat2[2];
    ck_assert_int_eq(brine_array_to_native(a, nat2, sizeof nat2, &err), BRINE_OK);
    ck_assert(nat2[0] == 1.5 && nat2[1] == -2.5);
    ck_assert_int_eq(memcmp(brine_array_data(a), be, 16), 0); /* the value itself is not swapped */
    brine_error_clear(&err);
    ck_assert_int_eq(brine_array_to_native(a, nat2, 8, &err), BRINE_E_RANGE);
    /* ints, float16, complex and a record with big-endian fields */
    const unsigned char bi[] = {0xFF, 0xFF, 0xFF, 0xFE};
    uint64_t one[] = {1};
    brine_value *i = brine_array_new(doc, brine_dtype_parse(doc, ">i4", 3, &err), 1, one, bi, &err);
    int64_t v;
    ck_assert_int_eq(brine_array_get_int64(i, 0, &v, &err), BRINE_OK);
    ck_assert_int_eq(v, -2);
    uint64_t u;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_array_get_uint64(i, 0, &u, &err), BRINE_E_RANGE);
    const unsigned char h[] = {0x3C, 0x00}; /* 1.0 in float16, big endian */
    brine_value *f2 = brine_array_new(doc, brine_dtype_parse(doc, ">f2", 3, &err), 1, one, h, &err);
    ck_assert_int_eq(brine_array_get_double(f2, 0, &x, &err), BRINE_OK);
    ck_assert(x == 1.0);
    const unsigned char c[] = {0x3F, 0x80, 0, 0, 0xC0, 0, 0, 0}; /* 1 - 2j as >c8 */
    brine_value *cx = brine_array_new(doc, brine_dtype_parse(doc, ">c8", 3, &err), 1, one, c, &err);
    double re, im;
    ck_assert_int_eq(brine_array_get_complex(cx, 0, &re, &im, &err), BRINE_OK);
    ck_assert(re == 1 && im == -2);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_array_get_double(cx, 0, &x, &err), BRINE_E_TYPE);
    brine_dtype *rec = brine_dtype_record_new(doc, 12, &err);
    brine_dtype_record_add(rec, "n", 1, brine_dtype_parse(doc, ">i4", 3, &err), 0, 0, NULL, &err);
    brine_dtype_record_add(rec, "x", 1, bf8, 4, 0, NULL, &err);
    unsigned char r[12] = {0, 0, 0, 7, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0};
    brine_value *ra = brine_array_new(doc, rec, 1, one, r, &err);
    ck_assert_int_eq(brine_array_field_int64(ra, 0, "n", &v, &err), BRINE_OK);
    ck_assert_int_eq(v, 7);
    ck_assert_int_eq(brine_array_field_double(ra, 0, "x", &x, &err), BRINE_OK);
    ck_assert(x == 1.5);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_array_field_double(ra, 0, "y", &x, &err), BRINE_E_NOTFOUND);
    unsigned char rn[12];
    ck_assert_int_eq(brine_array_to_native(ra, rn, sizeof rn, &err), BRINE_OK);
    int32_t n32;
    memcpy(&n32, rn, 4);
    memcpy(&x, rn + 4, 8);
    ck_assert(n32 == 7 && x == 1.5);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_equality_copy_and_nan)
{
    brine_doc *doc = brine_doc_new(), *other = brine_doc_new();
    brine_error err = {0};
    uint64_t shape[] = {2};
    double d[] = {NAN, -0.0};
    brine_value *a = brine_array_new(doc, brine_dtype_parse(doc, "<f8", 3, &err), 1, shape, d, &err);
    brine_value *b = brine_array_new(doc, brine_dtype_parse(doc, "<f8", 3, &err), 1, shape, d, &err);
    ck_assert_int_eq(brine_value_equal(a, b, 0, &err), 1); /* bytewise: a NaN equals the same NaN */
    double d2[] = {NAN, 0.0};
    brine_value *c = brine_array_new(doc, brine_dtype_parse(doc, "<f8", 3, &err), 1, shape, d2, &err);
    ck_assert_int_eq(brine_value_equal(a, c, 0, &err), 0); /* -0.0 differs from 0.0 */
    uint64_t shape2[] = {1, 2};
    brine_value *e = brine_array_new(doc, brine_dtype_parse(doc, "<f8", 3, &err), 2, shape2, d, &err);
    ck_assert_int_eq(brine_value_equal(a, e, 0, &err), 0); /* shape */
    brine_value *f = brine_array_new(doc, brine_dtype_parse(doc, "<i8", 3, &err), 1, shape, d, &err);
    ck_assert_int_eq(brine_value_equal(a, f, 0, &err), 0); /* dtype */
    /* Copy into another document, sharing kept. */
    brine_value *list = brine_list_new(doc, &err);
    brine_seq_append(list, a, &err);
    brine_seq_append(list, a, &err);
    brine_seq_append(list, b, &err);
    brine_value *copy = brine_value_copy(other, list, 0, &err);
    ck_assert_ptr_nonnull(copy);
    ck_assert_int_eq(brine_value_equal(list, copy, 0, &err), 1);
    ck_assert_ptr_eq(brine_array_data(brine_seq_get(copy, 0)), brine_array_data(brine_seq_get(copy, 1)));
    ck_assert_ptr_ne(brine_array_data(brine_seq_get(copy, 0)), brine_array_data(brine_seq_get(copy, 2)));
    ck_assert_ptr_eq(brine_value_doc(brine_seq_get(copy, 0)), other);
    ck_assert(brine_value_kinds(copy) & BRINE_KIND_ARRAY);
    brine_doc_free(doc); /* the copy does not depend on it */
    double x;
    ck_assert_int_eq(brine_array_get_double(brine_seq_get(copy, 0), 1, &x, &err), BRINE_OK);
    ck_assert(x == 0 && signbit(x));
    brine_doc_free(other);
}
END_TEST

/* ---- repr, against numpy ------------------------------------------------ */

/* Expected texts: repr() of the same arrays in python3-numpy 1.24
 * (tests/array_repr.py prints them). Data: vals, or i * mul / div. */
static const struct {
    const char *dtype;
    unsigned ndim;
    uint64_t shape[2];
    int n; /* values in vals; 0: generated */
    double vals[4];
    double mul, div;
    const char *expect;
} repr_cases[] = {
    {"<f8", 1, {2}, 2, {1.5, 2.0}, 0, 0, "array([1.5, 2. ])"},
    {"<f8", 1, {3}, 3, {1.5, 2.0, 3.25}, 0, 0, "array([1.5 , 2.  , 3.25])"},
    {"<i8", 2, {2, 2}, 4, {1, 2, 3, 4}, 0, 0, "array([[1, 2],\n       [3, 4]])"},
    {"|b1", 1, {3}, 3, {1, 0, 1}, 0, 0, "array([ True, False,  True])"},
    {"<i4", 1, {3}, 3, {1, 2, 3}, 0, 0, "array([1, 2, 3], dtype=int32)"},
    {"<f4", 1, {3}, 3, {0.1f, 0.2f, 0.3f}, 0, 0, "array([0.1, 0.2, 0.3], dtype=float32)"},
    {"<f8",
     1,
     {2000},
     0,
     {0},
     1,
     1,
     "array([0.000e+00, 1.000e+00, 2.000e+00, ..., 1.997e+03, 1.998e+03,\n       1.999e+03])"},
    {"<f8", 1, {2}, 2, {1e8, 1.5}, 0, 0, "array([1.0e+08, 1.5e+00])"},
    {"<f8", 1, {2}, 2, {1e-5, 1.0}, 0, 0, "array([1.e-05, 1.e+00])"},
    {"<f8", 1, {3}, 3, {NAN, 1.0, -INFINITY}, 0, 0, "array([ nan,   1., -inf])"},
    {"<f8", 0, {0}, 1, {2.5}, 0, 0, "array(2.5)"},
    {"<i8", 0, {0}, 1, {7}, 0, 0, "array(7)"},
    {"<f8", 1, {0}, 0, {0}, 0, 1, "array([], dtype=float64)"},
    {"<f8", 2, {0, 3}, 0, {0}, 0, 1, "array([], shape=(0, 3), dtype=float64)"},
    {">f8", 1, {2}, 2, {1.0, 2.0}, 0, 0, "array([1., 2.])"},
    {"<i8",
     2,
     {5, 6},
     0,
     {0},
     1000,
     1,
     "array([[    0,  1000,  2000,  3000,  4000,  5000],\n       [ 6000,  7000,  8000,  9000, 10000, 11000],\n       "
     "[12000, 13000, 14000, 15000, 16000, 17000],\n       [18000, 19000, 20000, 21000, 22000, 23000],\n       [24000, "
     "25000, 26000, 27000, 28000, 29000]])"},
    {"<f8", 1, {3}, 3, {-1.0, 0.0, 12.5}, 0, 0, "array([-1. ,  0. , 12.5])"},
    {"|u1", 1, {2}, 2, {255, 0}, 0, 0, "array([255,   0], dtype=uint8)"},
    {"<i8",
     2,
     {2, 1001},
     0,
     {0},
     1,
     1,
     "array([[   0,    1,    2, ...,  998,  999, 1000],\n       [1001, 1002, 1003, ..., 1999, 2000, 2001]])"},
    {"<f8",
     1,
     {12},
     0,
     {0},
     1,
     7,
     "array([0.        , 0.14285714, 0.28571429, 0.42857143, 0.57142857,\n       0.71428571, 0.85714286, 1.        , "
     "1.14285714, 1.28571429,\n       1.42857143, 1.57142857])"},
};

/* Stores v as one element of the dtype's kind and size, in its order. */
static void store(const brine_dtype *dt, unsigned char *p, double v)
{
    unsigned char tmp[8];
    size_t n = brine_dtype_itemsize(dt);
    switch (brine_dtype_kind_of(dt)) {
    case BRINE_DT_FLOAT:
        if (n == 4) {
            float f = (float)v;
            memcpy(tmp, &f, 4);
        } else {
            memcpy(tmp, &v, 8);
        }
        break;
    case BRINE_DT_BOOL: tmp[0] = v != 0; break;
    default: {
        int64_t i = (int64_t)v;
        memcpy(tmp, &i, 8); /* little endian: the low bytes first */
        break;
    }
    }
    if (brine_dtype_byteorder(dt) == '>')
        for (size_t k = 0; k < n; k++)
            p[k] = tmp[n - 1 - k];
    else
        memcpy(p, tmp, n);
}

START_TEST(test_repr_matches_numpy)
{
    for (size_t c = 0; c < sizeof repr_cases / sizeof repr_cases[0]; c++) {
        brine_doc *doc = brine_doc_new();
        brine_error err = {0};
        brine_dtype *dt = brine_dtype_parse(doc, repr_cases[c].dtype, strlen(repr_cases[c].dtype), &err);
        brine_value *a = brine_array_new(doc, dt, repr_cases[c].ndim, repr_cases[c].shape, NULL, &err);
        ck_assert_ptr_nonnull(a);
        unsigned char *data = brine_array_data_mut(a);
        for (uint64_t i = 0; i < brine_array_count(a); i++)
            store(dt, data + i * brine_dtype_itemsize(dt),
                  repr_cases[c].n ? repr_cases[c].vals[i] : (double)i * repr_cases[c].mul / repr_cases[c].div);
        char buf[4096];
        brine_value_repr(a, buf, sizeof buf, 0, &err);
        ck_assert_msg(strcmp(buf, repr_cases[c].expect) == 0, "case %zu:\n%s\nexpected\n%s", c, buf,
                      repr_cases[c].expect);
        brine_doc_free(doc);
    }
}
END_TEST

START_TEST(test_repr_of_strings_and_complex_matches_numpy)
{
    brine_doc *doc = brine_doc_new();
    brine_error err = {0};
    char buf[256];
    uint64_t two[] = {2};
    brine_value *s = brine_array_new(doc, brine_dtype_parse(doc, "|S2", 3, &err), 1, two, "abc\0", &err);
    brine_value_repr(s, buf, sizeof buf, 0, &err);
    ck_assert_str_eq(buf, "array([b'ab', b'c'], dtype='|S2')");
    const uint32_t u[] = {'a', 'b', 'c', 0};
    brine_value *us = brine_array_new(doc, brine_dtype_parse(doc, "<U2", 3, &err), 1, two, u, &err);
    brine_value_repr(us, buf, sizeof buf, 0, &err);
    ck_assert_str_eq(buf, "array(['ab', 'c'], dtype='<U2')");
    const double cx[] = {1, 2, 3, -4.5};
    brine_value *c = brine_array_new(doc, brine_dtype_parse(doc, "<c16", 4, &err), 1, two, cx, &err);
    brine_value_repr(c, buf, sizeof buf, 0, &err);
    ck_assert_str_eq(buf, "array([1.+2.j , 3.-4.5j])");
    /* In a container, like any value. */
    brine_value *l = brine_list_new(doc, &err);
    brine_seq_append(l, s, &err);
    brine_value_repr(l, buf, sizeof buf, 0, &err);
    ck_assert_str_eq(buf, "[array([b'ab', b'c'], dtype='|S2')]");
    brine_doc_free(doc);
}
END_TEST

/* Dates as numpy prints them, and counts no calendar can hold (the
 * extremes of int64, a multiplier that overflows) as the count, with no
 * arithmetic overflow on the way (the sanitizer builds run this). */
START_TEST(test_repr_of_datetimes_far_out_prints_counts)
{
    static const struct {
        const char *dtype;
        int64_t v[2];
        const char *want;
    } rows[] = {
        {"<M8[D]", {0, -1}, "array(['1970-01-01', '1969-12-31'], dtype='datetime64[D]')"},
        {"<M8[D]",
         {INT64_MAX, INT64_MIN + 1},
         "array([ 9223372036854775807, -9223372036854775807], dtype='datetime64[D]')"},
        {"<M8[h]", {INT64_MAX / 2, 1}, "array([4611686018427387903,     '1970-01-01T01'], dtype='datetime64[h]')"},
        {"<M8[7D]", {INT64_MAX / 3, 0}, "array([3074457345618258602,        '1970-01-01'], dtype='datetime64[7D]')"},
        {"<M8[ns]",
         {INT64_MIN, 0},
         "array([                          'NaT', '1970-01-01T00:00:00.000000000'],\n      dtype='datetime64[ns]')"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        brine_doc *doc = brine_doc_new();
        brine_error err = {0};
        char buf[256];
        uint64_t two[] = {2};
        brine_value *a = brine_array_new(doc, brine_dtype_parse(doc, rows[i].dtype, strlen(rows[i].dtype), &err), 1,
                                         two, rows[i].v, &err);
        ck_assert_ptr_nonnull(a);
        brine_value_repr(a, buf, sizeof buf, 0, &err);
        ck_assert_msg(strcmp(buf, rows[i].want) == 0, "%s: %s", rows[i].dtype, buf);
        brine_doc_free(doc);
    }
}
END_TEST

/* ---- tolist(): sinks without BRINE_SINK_ARRAYS ------------------------- */

/* A sink that writes events as text and declares flags. */
typedef struct text_sink {
    brine_sink sink;
    char buf[2048];
    size_t len;
} text_sink;

static int text_event(brine_sink *self, const brine_event *ev)
{
    text_sink *t = (text_sink *)self;
    char *o = t->buf + t->len;
    size_t room = sizeof t->buf - t->len;
    int n = 0;
    switch (ev->kind) {
    case BRINE_EV_NULL: n = snprintf(o, room, "N "); break;
    case BRINE_EV_BOOL: n = snprintf(o, room, "%s ", ev->v.boolean ? "T" : "F"); break;
    case BRINE_EV_INT: n = snprintf(o, room, "%lld ", (long long)ev->v.i); break;
    case BRINE_EV_UINT: n = snprintf(o, room, "u%llu ", (unsigned long long)ev->v.u); break;
    case BRINE_EV_FLOAT: n = snprintf(o, room, "%g ", ev->v.f); break;
    case BRINE_EV_COMPLEX: n = snprintf(o, room, "%g%+gj ", ev->v.c.re, ev->v.c.im); break;
    case BRINE_EV_STR: n = snprintf(o, room, "'%.*s' ", (int)ev->v.s.len, ev->v.s.ptr); break;
    case BRINE_EV_BYTES: n = snprintf(o, room, "b%zu'%.*s' ", ev->v.s.len, (int)ev->v.s.len, ev->v.s.ptr); break;
    case BRINE_EV_LIST: n = snprintf(o, room, "%s[%zu ", ev->anchor ? "&" : "", ev->v.count); break;
    case BRINE_EV_TUPLE: n = snprintf(o, room, "(%zu ", ev->v.count); break;
    case BRINE_EV_END: n = snprintf(o, room, "] "); break;
    case BRINE_EV_REF: n = snprintf(o, room, "*%llu ", (unsigned long long)ev->v.ref); break;
    case BRINE_EV_ARRAY: n = snprintf(o, room, "A%u ", ev->v.array->ndim); break;
    default: n = snprintf(o, room, "? "); break;
    }
    t->len += (size_t)n < room ? (size_t)n : room - 1;
    return BRINE_OK;
}

static const char *walk_text(const brine_value *v, unsigned flags, size_t max_depth, int *rc)
{
    static text_sink t;
    memset(&t, 0, sizeof t);
    t.sink.event = text_event;
    t.sink.flags = flags;
    brine_error err;
    *rc = brine_walk(v, &t.sink, max_depth, &err);
    return t.buf;
}

START_TEST(test_tolist_for_sinks_without_arrays)
{
    brine_doc *doc = brine_doc_new();
    brine_error err = {0};
    int rc;
    uint64_t s23[] = {2, 3}, s2[] = {2}, s0[] = {2, 0};
    const int16_t i2[] = {1, -2, 3, -4, 5, -6};
    brine_value *a = brine_array_new(doc, brine_dtype_parse(doc, "<i2", 3, &err), 2, s23, i2, &err);
    ck_assert_str_eq(walk_text(a, 0, 0, &rc), "[2 [3 1 -2 3 ] [3 -4 5 -6 ] ] ");
    ck_assert_int_eq(rc, BRINE_OK);
    ck_assert_str_eq(walk_text(a, BRINE_SINK_ARRAYS, 0, &rc), "A2 ");
    /* Depth: two dimensions are two levels. */
    walk_text(a, 0, 1, &rc);
    ck_assert_int_eq(rc, BRINE_E_DEPTH);
    ck_assert_str_eq(
        walk_text(brine_array_new(doc, brine_dtype_parse(doc, "<f8", 3, &err), 2, s0, NULL, &err), 0, 0, &rc),
        "[2 [0 ] [0 ] ] ");
    const uint64_t u8[] = {UINT64_MAX, 1};
    ck_assert_str_eq(
        walk_text(brine_array_new(doc, brine_dtype_parse(doc, "<u8", 3, &err), 1, s2, u8, &err), 0, 0, &rc),
        "[2 u18446744073709551615 u1 ] ");
    ck_assert_str_eq(
        walk_text(brine_array_new(doc, brine_dtype_parse(doc, "|b1", 3, &err), 1, s2, "\1\0", &err), 0, 0, &rc),
        "[2 T F ] ");
    ck_assert_str_eq(
        walk_text(brine_array_new(doc, brine_dtype_parse(doc, "|S3", 3, &err), 1, s2, "a\0\0b\0c", &err), 0, 0, &rc),
        "[2 b1'a' b3'b' ] "); /* trailing NULs stripped, inner ones kept */
    const uint32_t u[] = {0xe9, 'x', 0, 0x1F600, 0xD800, 0x110000};
    ck_assert_str_eq(walk_text(brine_array_new(doc, brine_dtype_parse(doc, "<U3", 3, &err), 1, s2, u, &err), 0, 0, &rc),
                     "[2 '\xc3\xa9x' '\xf0\x9f\x98\x80\xef\xbf\xbd\xef\xbf\xbd' ] "); /* no character: U+FFFD */
    ck_assert_int_eq(rc, BRINE_OK);
    const int64_t dt[] = {1, INT64_MIN};
    ck_assert_str_eq(
        walk_text(brine_array_new(doc, brine_dtype_parse(doc, "<M8[s]", 6, &err), 1, s2, dt, &err), 0, 0, &rc),
        "[2 1 N ] "); /* NaT is None */
    const float cx[] = {1, -2};
    ck_assert_str_eq(
        walk_text(brine_array_new(doc, brine_dtype_parse(doc, "<c8", 3, &err), 0, NULL, cx, &err), 0, 0, &rc),
        "1-2j "); /* 0-d: the element itself */
    /* Records: tuples of fields, sub-arrays as lists. */
    brine_dtype *rec = brine_dtype_record_new(doc, 8, &err);
    uint64_t sub[] = {2};
    brine_dtype_record_add(rec, "a", 1, brine_dtype_parse(doc, "|i1", 3, &err), 0, 0, NULL, &err);
    brine_dtype_record_add(rec, "b", 1, brine_dtype_parse(doc, "<i2", 3, &err), 2, 1, sub, &err);
    const unsigned char rd[] = {5, 0, 1, 0, 2, 0, 0, 0};
    ck_assert_str_eq(
        walk_text(brine_array_new(doc, rec, 1, sub + 0,
                                  (unsigned char[16]){5, 0, 1, 0, 2, 0, 0, 0, 6, 0, 3, 0, 4, 0, 0, 0}, &err),
                  0, 0, &rc),
        "[2 (2 5 [2 1 2 ] ] (2 6 [2 3 4 ] ] ] ");
    (void)rd;
    /* A shared array: anchored as a list for a sink with references, sent
     * again for one without. */
    brine_value *l = brine_list_new(doc, &err);
    brine_seq_append(l, a, &err);
    brine_seq_append(l, a, &err);
    ck_assert_str_eq(walk_text(l, BRINE_SINK_REFS, 0, &rc), "[2 &[2 [3 1 -2 3 ] [3 -4 5 -6 ] ] *1 ] ");
    ck_assert_str_eq(walk_text(l, 0, 0, &rc), "[2 [2 [3 1 -2 3 ] [3 -4 5 -6 ] ] [2 [3 1 -2 3 ] [3 -4 5 -6 ] ] ] ");
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_tolist_through_plugins_without_arrays)
{
    /* json and msgpack with plain, and pickle, do not take arrays: they
     * get nested lists (docs/formats.md). */
    brine_doc *doc = brine_doc_new();
    brine_error err = {0};
    uint64_t s[] = {2, 2};
    const double d[] = {1.5, 2, -0.25, 1e300};
    brine_value *a = brine_array_new(doc, brine_dtype_parse(doc, "<f8", 3, &err), 2, s, d, &err);
    const brine_plugin *json = brine_registry_find(reg, "json");
    void *out;
    size_t len;
    const brine_options *plain = &BRINE_OPTIONS(BRINE_OPTION_ITEMS("plain"));
    ck_assert_int_eq(brine_encode_buffer(json, a, plain, &out, &len, &err), BRINE_OK);
    ck_assert_str_eq(out, "[[1.5,2.0],[-0.25,1e+300]]");
    brine_free(out);
    const brine_plugin *mp = brine_registry_find(reg, "msgpack");
    ck_assert_int_eq(brine_encode_buffer(mp, a, plain, &out, &len, &err), BRINE_OK);
    brine_doc *back = brine_decode_buffer(mp, out, len, NULL, &err);
    char buf[128];
    brine_value_repr(brine_doc_root(back), buf, sizeof buf, 0, &err);
    ck_assert_str_eq(buf, "[[1.5, 2.0], [-0.25, 1e+300]]");
    brine_doc_free(back);
    brine_free(out);
    brine_doc_free(doc);
}
END_TEST

/* ---- the builder and the event contract ------------------------------- */

START_TEST(test_builder_checks_array_headers)
{
    brine_doc *src = brine_doc_new();
    brine_error err = {0};
    const brine_dtype *f8 = brine_dtype_parse(src, "<f8", 3, &err);
    uint64_t shape[] = {3};
    double d[3] = {1, 2, 3};
    static const struct {
        unsigned ndim;
        uint64_t count;
        size_t len;
        uint32_t chunks;
        int null_data;
        const char *msg;
    } cases[] = {
        {1, 3, 24, 0, 0, NULL},       {1, 3, 16, 0, 0, "disagree"},
        {1, 2, 24, 0, 0, "disagree"}, {65, 3, 24, 0, 0, "65 dimensions"},
        {1, 3, 24, 1, 0, "chunked"},  {1, 3, 24, 0, 1, "disagree"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        brine_doc *doc = brine_doc_new();
        brine_error_clear(&err);
        brine_sink *b = brine_builder_new(doc, 0, &err);
        ck_assert(b->flags & BRINE_SINK_ARRAYS);
        brine_array_header h = {f8,           cases[i].ndim,   shape, cases[i].count, cases[i].null_data ? NULL : d,
                                cases[i].len, cases[i].chunks, 0};
        brine_event ev = {.kind = BRINE_EV_ARRAY};
        ev.v.array = &h;
        int rc = b->event(b, &ev);
        if (!cases[i].msg) {
            ck_assert_int_eq(rc, BRINE_OK);
            brine_value *v = brine_builder_value(b);
            ck_assert_int_eq(brine_type_of(v), BRINE_ARRAY);
            ck_assert_ptr_ne(brine_array_dtype(v), f8); /* copied into doc */
            ck_assert_int_eq(memcmp(brine_array_data(v), d, 24), 0);
        } else {
            ck_assert_int_eq(rc, BRINE_E_PLUGIN);
            ck_assert_msg(strstr(err.message, cases[i].msg), "%zu: %s", i, err.message);
        }
        b->destroy(b);
        brine_doc_free(doc);
    }
    brine_doc_free(src);
}
END_TEST

/* ---- native ------------------------------------------------------------- */

static void roundtrip(brine_value *v, int expect_minor)
{
    brine_error err = {0};
    void *out;
    size_t len;
    ck_assert_msg(brine_encode_buffer(nat, v, NULL, &out, &len, &err) == BRINE_OK, "%s", err.message);
    ck_assert_int_eq(((unsigned char *)out)[9], expect_minor);
    brine_doc *back = brine_decode_buffer(nat, out, len, NULL, &err);
    ck_assert_msg(back != NULL, "%s", err.message);
    ck_assert_int_eq(brine_value_equal(brine_doc_root(back), v, 0, &err), 1);
    brine_doc_free(back);
    brine_free(out);
}

START_TEST(test_native_round_trips_every_dtype_and_shape)
{
    brine_doc *doc = brine_doc_new();
    brine_error err = {0};
    brine_value *list = brine_list_new(doc, &err);
    uint64_t shapes[6][5] = {{0}, {3}, {2, 3}, {1, 2, 3}, {2, 1, 2, 1}, {1, 2, 1, 2, 2}};
    for (size_t i = 0; i < sizeof dtype_cases / sizeof dtype_cases[0]; i++) {
        for (unsigned ndim = 0; ndim <= 5; ndim++) {
            const brine_dtype *dt = brine_dtype_parse(doc, dtype_cases[i].in, strlen(dtype_cases[i].in), &err);
            brine_value *a = brine_array_new(doc, dt, ndim, shapes[ndim], NULL, &err);
            ck_assert_ptr_nonnull(a);
            unsigned char *p = brine_array_data_mut(a);
            for (size_t k = 0; k < brine_array_nbytes(a); k++)
                p[k] = (unsigned char)(k * 37 + i);
            ck_assert_int_eq(brine_seq_append(list, a, &err), BRINE_OK);
            roundtrip(a, 1);
        }
        uint64_t empty[] = {0, 4};
        brine_seq_append(
            list, brine_array_new(doc, brine_dtype_parse(doc, dtype_cases[i].in, 3, &err), 2, empty, NULL, &err), &err);
    }
    brine_seq_append(list, brine_array_new(doc, node_dtype(doc), 1, shapes[1], NULL, &err), &err);
    brine_seq_append(list, brine_seq_get(list, 3), &err); /* shared */
    roundtrip(list, 1);
    /* Data aligned to 16 in the file. */
    void *out;
    size_t len;
    uint64_t s7[] = {7};
    brine_value *one = brine_array_new(doc, brine_dtype_parse(doc, "<f8", 3, &err), 1, s7, NULL, &err);
    for (int k = 0; k < 7; k++)
        ((double *)brine_array_data_mut(one))[k] = 0.5 + k;
    ck_assert_int_eq(brine_encode_buffer(nat, one, NULL, &out, &len, &err), BRINE_OK);
    unsigned char *hit = memmem(out, len, brine_array_data(one), 56);
    ck_assert_ptr_nonnull(hit);
    ck_assert_uint_eq((size_t)(hit - (unsigned char *)out) % 16, 0);
    brine_free(out);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_native_without_arrays_writes_version_1_0_bytes)
{
    /* The golden files 0.1 wrote come back byte for byte, as 1.0. */
    static const char *const names[] = {"scalars", "containers", "cycles", "int", "models"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/native/%s.brn", BRINE_TEST_DATA, names[i]);
        FILE *fp = fopen(path, "rb");
        ck_assert_ptr_nonnull(fp);
        unsigned char file[1 << 16];
        size_t n = fread(file, 1, sizeof file, fp);
        fclose(fp);
        brine_error err = {0};
        brine_doc *doc = brine_decode_buffer(nat, file, n, NULL, &err);
        ck_assert_msg(doc != NULL, "%s: %s", names[i], err.message);
        void *out;
        size_t len;
        ck_assert_int_eq(brine_encode_buffer(nat, brine_doc_root(doc), NULL, &out, &len, &err), BRINE_OK);
        ck_assert_uint_eq(len, n);
        ck_assert_int_eq(memcmp(out, file, n), 0);
        ck_assert_int_eq(((unsigned char *)out)[9], 0);
        brine_free(out);
        brine_doc_free(doc);
    }
}
END_TEST

/* A native file around body (format 1.1), with its checksum. */
static size_t make_file(unsigned char *f, const unsigned char *body, size_t n, int minor)
{
    memcpy(f,
           "\x89"
           "BRN\r\n\x1a\n",
           8);
    f[8] = 1;
    f[9] = (unsigned char)minor;
    memcpy(f + 10, body, n);
    uint64_t h = XXH3_64bits(f, 10 + n);
    for (int k = 0; k < 8; k++)
        f[10 + n + k] = (unsigned char)(h >> (8 * k));
    return 18 + n;
}

static const struct {
    const char *name;
    unsigned char body[48];
    size_t n;
    int code;
    uint64_t offset;
    const char *msg;
} hostile[] = {
    /* D7 hlen | len "<f8" ndim shape... | pad to 16 (offset 16) | data */
    {"good", {0xD7, 5, 3, '<', 'f', '8', 0}, 7, BRINE_OK, 0, NULL},
    {"ndim 65", {0xD7, 5, 3, '<', 'f', '8', 65}, 7, BRINE_E_CORRUPT, 16, "65 dimensions"},
    {"shape overflow",
     {0xD7, 25,   3, '<',  'f',  '8',  2,    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1},
     27,
     BRINE_E_CORRUPT,
     16,
     "overflows 64 bits"},
    {"bytes overflow",
     {0xD7, 14, 3, '<', 'f', '8', 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F},
     16,
     BRINE_E_CORRUPT,
     16,
     "byte size overflows"},
    {"short data", {0xD7, 6, 3, '<', 'f', '8', 1, 100}, 8, BRINE_E_TRUNCATED, 26, "an array's data"},
    {"itemsize 0", {0xD7, 6, 3, '|', 'S', '0', 1, 1}, 8, BRINE_E_UNSUPPORTED, 15, "itemsize"},
    {"bad dtype", {0xD7, 6, 3, '<', 'q', '8', 1, 1}, 8, BRINE_E_CORRUPT, 14, "unknown kind"},
    {"object", {0xD7, 6, 3, '|', 'O', '8', 1, 1}, 8, BRINE_E_UNSUPPORTED, 14, "object arrays"},
    {"dtype past header", {0xD7, 3, 9, '<', 'f'}, 5, BRINE_E_CORRUPT, 13, "runs past"},
    /* |V8 with fields a <i4 at 0 and b <i4 at 2: overlapping */
    {"overlap",
     {0xD7, 22, 3, '|', 'V', '8', 2, 1, 'a', 0, 0, 3, '<', 'i', '4', 1, 'b', 2, 0, 3, '<', 'i', '4', 0},
     24,
     BRINE_E_CORRUPT,
     25,
     "overlaps field 'a'"},
    {"field out of range",
     {0xD7, 14, 3, '|', 'V', '4', 1, 1, 'a', 2, 0, 3, '<', 'i', '4', 0},
     16,
     BRINE_E_CORRUPT,
     17,
     "does not fit"},
    {"nonzero pad", {0xD7, 5, 3, '<', 'f', '8', 0, 0, 0, 0, 1}, 11, BRINE_E_CORRUPT, 20, "padding"},
    {"leftover", {0xD7, 6, 3, '<', 'f', '8', 0, 0}, 8, BRINE_E_CORRUPT, 17, "left over"},
};

START_TEST(test_native_hostile_arrays_fail_cleanly)
{
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        unsigned char body[128] = {0}, file[256];
        size_t n = hostile[i].n;
        memcpy(body, hostile[i].body, n);
        if (i == 0 || i == sizeof hostile / sizeof hostile[0] - 2) { /* pad to 32 and a double */
            size_t data_at = 32 - 10;
            if (i == 0)
                memset(body + n, 0, data_at - n);
            double v = 2.5;
            memcpy(body + data_at, &v, 8);
            n = data_at + 8;
        }
        size_t len = make_file(file, body, n, 1);
        brine_error err = {0};
        brine_doc *doc = brine_decode_buffer(nat, file, len, NULL, &err);
        if (hostile[i].code == BRINE_OK) {
            ck_assert_msg(doc != NULL, "%s: %s", hostile[i].name, err.message);
            double x;
            ck_assert_int_eq(brine_array_get_double(brine_doc_root(doc), 0, &x, &err), BRINE_OK);
            ck_assert(x == 2.5);
            brine_doc_free(doc);
            /* The same bytes labelled 1.0: the tag is not in that version. */
            len = make_file(file, body, n, 0);
            ck_assert_ptr_null(brine_decode_buffer(nat, file, len, NULL, &err));
            ck_assert_int_eq(err.code, BRINE_E_CORRUPT);
            ck_assert_ptr_nonnull(strstr(err.message, "unknown tag 0xD7"));
            continue;
        }
        ck_assert_msg(doc == NULL, "%s decoded", hostile[i].name);
        ck_assert_msg(
            err.code == hostile[i].code && err.offset == hostile[i].offset && strstr(err.message, hostile[i].msg),
            "%s: code %d offset %llu: %s", hostile[i].name, err.code, (unsigned long long)err.offset, err.message);
    }
}
END_TEST

START_TEST(test_native_array_in_dict_key_and_model_args_refused)
{
    /* A dict whose key is an array: the builder's unhashable key. */
    unsigned char body[64] = {0xB1, 0xD7, 5, 3, '<', 'f', '8', 0}, file[128];
    size_t n = 8 + (32 - 18) + 8 + 1; /* pad to 32, a double, then the value null */
    memset(body + 8, 0, 32 - 18);
    double v = 1;
    memcpy(body + 22, &v, 8);
    body[30] = 0xC0;
    n = 31;
    size_t len = make_file(file, body, n, 1);
    brine_error err = {0};
    ck_assert_ptr_null(brine_decode_buffer(nat, file, len, NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_KEY);
    ck_assert_str_eq(err.message, "unhashable type: 'array'");
    /* Model args that are an array. */
    unsigned char m[64] = {0xD0, 1, 'M', 0xD7, 5, 3, '<', 'f', '8', 0};
    len = make_file(file, m, 10, 1);
    ck_assert_ptr_null(brine_decode_buffer(nat, file, len, NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(err.message, "not a tuple"));
}
END_TEST

START_TEST(test_native_transcode_to_formats_without_arrays)
{
    brine_doc *doc = brine_doc_new();
    brine_error err = {0};
    uint64_t s[] = {3};
    const int32_t d[] = {1, 2, 3};
    brine_value *a = brine_array_new(doc, brine_dtype_parse(doc, "<i4", 3, &err), 1, s, d, &err);
    void *out;
    size_t len;
    ck_assert_int_eq(brine_encode_buffer(nat, a, NULL, &out, &len, &err), BRINE_OK);
    const brine_plugin *json = brine_registry_find(reg, "json");
    brine_source src;
    brine_source_init_buffer(&src, out, len);
    brine_output o;
    brine_output_init_buffer(&o, &err);
    int streamed = -1;
    const brine_options *plain = &BRINE_OPTIONS(BRINE_OPTION_ITEMS("plain"));
    ck_assert_int_eq(brine_transcode(nat, &src, NULL, json, &o, plain, &streamed, &err), BRINE_OK);
    size_t jl;
    char *text = brine_output_take(&o, &jl);
    ck_assert_str_eq(text, "[1,2,3]");
    brine_free(text);
    brine_output_destroy(&o);
    /* Streamed into native itself (the checker passes arrays through). */
    const brine_plugin *mp = brine_registry_find(reg, "msgpack");
    brine_source_init_buffer(&src, out, len);
    brine_output_init_buffer(&o, &err);
    ck_assert_int_eq(brine_transcode(nat, &src, NULL, nat, &o, NULL, &streamed, &err), BRINE_OK);
    size_t nl;
    void *again = brine_output_take(&o, &nl);
    ck_assert_uint_eq(nl, len);
    ck_assert_int_eq(memcmp(again, out, len), 0);
    ck_assert_int_eq(streamed, 1);
    brine_free(again);
    brine_output_destroy(&o);
    (void)mp;
    brine_free(out);

    /* Streamed, an array after a list's first element: the 1.0 header is
     * still in the output buffer, and becomes 1.1. */
    brine_value *l = brine_list_new(doc, &err);
    brine_seq_append(l, brine_int_new(doc, 5, &err), &err);
    brine_seq_append(l, a, &err);
    ck_assert_int_eq(brine_encode_buffer(nat, l, NULL, &out, &len, &err), BRINE_OK);
    ck_assert_int_eq(((unsigned char *)out)[9], 1);
    brine_source_init_buffer(&src, out, len);
    brine_output_init_buffer(&o, &err);
    ck_assert_int_eq(brine_transcode(nat, &src, NULL, nat, &o, NULL, &streamed, &err), BRINE_OK);
    ck_assert_int_eq(streamed, 1);
    again = brine_output_take(&o, &nl);
    ck_assert_uint_eq(nl, len);
    ck_assert_int_eq(memcmp(again, out, len), 0);
    brine_free(again);
    brine_output_destroy(&o);
    brine_free(out);
    /* After a megabyte: the header has been hashed, so the streamed writer
     * refuses rather than mislabel the file (the CLI then converts through
     * a graph); brine_encode of the same graph writes 1.1 from the start. */
    static char mb[1 << 20];
    brine_value *l2 = brine_list_new(doc, &err);
    brine_seq_append(l2, brine_bytes_new(doc, mb, sizeof mb, &err), &err);
    brine_seq_append(l2, a, &err);
    ck_assert_int_eq(brine_encode_buffer(nat, l2, NULL, &out, &len, &err), BRINE_OK);
    ck_assert_int_eq(((unsigned char *)out)[9], 1);
    brine_source_init_buffer(&src, out, len);
    brine_output_init_buffer(&o, &err);
    ck_assert_int_eq(brine_transcode(nat, &src, NULL, nat, &o, NULL, &streamed, &err), BRINE_E_UNSUPPORTED);
    ck_assert_msg(strncmp(err.message, "an array arrived after", 22) == 0, "%s", err.message);
    ck_assert_str_eq(err.path, "$[1]");
    brine_output_destroy(&o);
    brine_free(out);
    brine_doc_free(doc);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("array");
    TCase *tc = tcase_create("array");
    registry_fixture(tc, &reg, formats);
    tcase_add_test(tc, test_dtype_parses_and_prints_every_kind);
    tcase_add_test(tc, test_dtype_parse_refuses_with_code_and_offset);
    tcase_add_test(tc, test_record_builder_descr_and_refusals);
    tcase_add_test(tc, test_array_new_getters_and_bounds);
    tcase_add_test(tc, test_array_adopt_calls_free_at_doc_free_and_copies_misaligned);
    tcase_add_test(tc, test_big_endian_reads_native_and_stays_big_endian);
    tcase_add_test(tc, test_equality_copy_and_nan);
    tcase_add_test(tc, test_repr_matches_numpy);
    tcase_add_test(tc, test_repr_of_strings_and_complex_matches_numpy);
    tcase_add_test(tc, test_repr_of_datetimes_far_out_prints_counts);
    tcase_add_test(tc, test_tolist_for_sinks_without_arrays);
    tcase_add_test(tc, test_tolist_through_plugins_without_arrays);
    tcase_add_test(tc, test_builder_checks_array_headers);
    tcase_add_test(tc, test_native_round_trips_every_dtype_and_shape);
    tcase_add_test(tc, test_native_without_arrays_writes_version_1_0_bytes);
    tcase_add_test(tc, test_native_hostile_arrays_fail_cleanly);
    tcase_add_test(tc, test_native_array_in_dict_key_and_model_args_refused);
    tcase_add_test(tc, test_native_transcode_to_formats_without_arrays);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
