/* test_graph.c: whole-graph operations (core/equal.c, copy.c, repr.c):
 * equality with sharing and cycles, deep copy, the Python-repr printer
 * (every expected string checked with python3 -c 'print(repr(...))'), the
 * depth limit at exactly 1000/1001, a list a million levels deep, and
 * allocation failures injected at every allocation of a small workload. */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brine/brine.h"

#include "check_util.h"

static brine_doc *doc;
static brine_error err;

static brine_value *list_of(int n, ...)
{
    va_list ap;
    brine_value *l = brine_list_new(doc, NULL);
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(brine_seq_append(l, va_arg(ap, brine_value *), NULL), BRINE_OK);
    va_end(ap);
    return l;
}

static brine_value *tuple_of(int n, ...)
{
    va_list ap;
    brine_value *t = brine_tuple_new(doc, NULL);
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(brine_seq_append(t, va_arg(ap, brine_value *), NULL), BRINE_OK);
    va_end(ap);
    return t;
}

/* The repr of v (static buffer), checked against the length returned. */
static const char *repr(const brine_value *v)
{
    static char buf[16384];
    brine_error e;
    brine_error_clear(&e);
    size_t n = brine_value_repr(v, buf, sizeof buf, 0, &e);
    ck_assert_msg(n != (size_t)-1, "repr failed: %s", e.message);
    ck_assert_uint_lt(n, sizeof buf);
    ck_assert_uint_eq(strlen(buf), n);
    return buf;
}

static int eq(const brine_value *a, const brine_value *b)
{
    brine_error e;
    brine_error_clear(&e);
    int r = brine_value_equal(a, b, 0, &e);
    ck_assert_msg(r >= 0, "equal failed: %s", e.message);
    return r;
}

/* A chain of lists n deep: [[[...]]] with the innermost empty. */
static brine_value *nested_lists(brine_doc *d, size_t n)
{
    brine_value *root = brine_list_new(d, NULL), *cur = root;
    for (size_t i = 1; i < n; i++) {
        brine_value *next = brine_list_new(d, NULL);
        REQUIRE(next != NULL);
        REQUIRE(brine_seq_append(cur, next, NULL) == BRINE_OK);
        cur = next;
    }
    return root;
}

/* ---- equality ----------------------------------------------------------- */

START_TEST(test_scalars_of_different_types_are_not_equal)
{
    ck_assert_int_eq(eq(I(1), F(1.0)), 0);
    ck_assert_int_eq(eq(I(1), brine_bool_new(doc, 1, NULL)), 0);
    ck_assert_int_eq(eq(S("a"), brine_bytes_new(doc, "a", 1, NULL)), 0);
    ck_assert_int_eq(eq(brine_null_new(doc, NULL), brine_null_new(doc, NULL)), 1);
    ck_assert_int_eq(eq(S("a\0b"), brine_str_new(doc, "a\0c", 3, NULL)), 0);
    ck_assert_int_eq(eq(brine_complex_new(doc, 1, 2, NULL), brine_complex_new(doc, 1, 2, NULL)), 1);
    ck_assert_int_eq(eq(brine_complex_new(doc, 1, 2, NULL), brine_complex_new(doc, 1, -2, NULL)), 0);
    ck_assert_int_eq(eq(brine_uint_new(doc, 7, NULL), I(7)), 1);
}
END_TEST

START_TEST(test_floats_compare_by_bits_nan_equal_and_negative_zero_distinct)
{
    ck_assert_int_eq(eq(F(NAN), F(NAN)), 1);
    uint64_t bits = UINT64_C(0x7ff8000000000001);
    double other_nan;
    memcpy(&other_nan, &bits, sizeof bits);
    ck_assert_int_eq(eq(F(NAN), F(other_nan)), 0);
    ck_assert_int_eq(eq(F(-0.0), F(0.0)), 0);
    ck_assert_int_eq(eq(F(-0.0), F(-0.0)), 1);
    ck_assert_int_eq(eq(F(INFINITY), F(INFINITY)), 1);
    ck_assert_int_eq(eq(F(INFINITY), F(-INFINITY)), 0);
    ck_assert_int_eq(eq(list_of(1, F(NAN)), list_of(1, F(NAN))), 1);
}
END_TEST

START_TEST(test_containers_compare_deeply_and_dicts_in_order)
{
    ck_assert_int_eq(eq(list_of(2, I(1), S("x")), list_of(2, I(1), S("x"))), 1);
    ck_assert_int_eq(eq(list_of(2, I(1), S("x")), list_of(2, I(1), S("y"))), 0);
    ck_assert_int_eq(eq(list_of(1, I(1)), list_of(2, I(1), I(1))), 0);
    ck_assert_int_eq(eq(list_of(1, I(1)), tuple_of(1, I(1))), 0);
    brine_value *d1 = brine_dict_new(doc, NULL), *d2 = brine_dict_new(doc, NULL), *d3 = brine_dict_new(doc, NULL);
    brine_dict_set_str(d1, "a", I(1), NULL);
    brine_dict_set_str(d1, "b", I(2), NULL);
    brine_dict_set_str(d2, "a", I(1), NULL);
    brine_dict_set_str(d2, "b", I(2), NULL);
    brine_dict_set_str(d3, "b", I(2), NULL);
    brine_dict_set_str(d3, "a", I(1), NULL);
    ck_assert_int_eq(eq(d1, d2), 1);
    ck_assert_int_eq(eq(d1, d3), 0);
    /* Deleted entries do not count. */
    brine_dict_set_str(d2, "c", I(3), NULL);
    ck_assert_int_eq(eq(d1, d2), 0);
    brine_dict_del(d2, S("c"), NULL);
    ck_assert_int_eq(eq(d1, d2), 1);
    brine_dict_del(d2, S("a"), NULL);
    brine_dict_set_str(d2, "a", I(1), NULL);
    ck_assert_int_eq(eq(d1, d2), 0); /* now b, a */
}
END_TEST

START_TEST(test_models_compare_name_args_and_state)
{
    brine_value *a = brine_model_new(doc, "Point", 5, NULL), *b = brine_model_new(doc, "Point", 5, NULL);
    ck_assert_int_eq(eq(a, b), 1);
    ck_assert_int_eq(eq(a, brine_model_new(doc, "Pointy", 6, NULL)), 0);
    brine_model_set_args(a, tuple_of(2, I(1), I(2)), NULL);
    ck_assert_int_eq(eq(a, b), 0);
    brine_model_set_args(b, tuple_of(2, I(1), I(2)), NULL);
    ck_assert_int_eq(eq(a, b), 1);
    brine_model_set_state(a, S("s"), NULL);
    ck_assert_int_eq(eq(a, b), 0);
    brine_model_set_state(b, S("s"), NULL);
    ck_assert_int_eq(eq(a, b), 1);
}
END_TEST

START_TEST(test_equality_distinguishes_shared_from_equal_but_distinct)
{
    brine_value *x = list_of(1, I(1)), *y = list_of(1, I(1)), *z = list_of(1, I(1));
    brine_value *shared = list_of(2, x, x), *distinct = list_of(2, y, z), *shared2 = list_of(2, y, y);
    ck_assert_int_eq(eq(shared, distinct), 0);
    ck_assert_int_eq(eq(distinct, shared), 0);
    ck_assert_int_eq(eq(shared, shared2), 1);
    /* Even empty containers have an identity. */
    brine_value *e = brine_list_new(doc, NULL);
    ck_assert_int_eq(eq(list_of(2, e, e), list_of(2, brine_list_new(doc, NULL), brine_list_new(doc, NULL))), 0);
    /* Sharing across a dict key and a list element counts too. */
    brine_value *k = tuple_of(1, I(5)), *k2 = tuple_of(1, I(5));
    brine_value *d1 = brine_dict_new(doc, NULL), *d2 = brine_dict_new(doc, NULL);
    brine_dict_set(d1, k, I(0), NULL);
    brine_dict_set(d2, k2, I(0), NULL);
    ck_assert_int_eq(eq(list_of(2, d1, k), list_of(2, d2, k2)), 1);
    ck_assert_int_eq(eq(list_of(2, d1, k), list_of(2, d2, tuple_of(1, I(5)))), 0);
}
END_TEST

START_TEST(test_self_containing_lists_compare_by_shape)
{
    brine_value *a = brine_list_new(doc, NULL), *b = brine_list_new(doc, NULL);
    brine_seq_append(a, a, NULL);
    brine_seq_append(b, b, NULL);
    ck_assert_int_eq(eq(a, b), 1);
    /* b2 = [[b2]] unrolls to the same infinite tree but has two nodes. */
    brine_value *b2 = brine_list_new(doc, NULL), *m = brine_list_new(doc, NULL);
    brine_seq_append(b2, m, NULL);
    brine_seq_append(m, b2, NULL);
    ck_assert_int_eq(eq(a, b2), 0);
    ck_assert_int_eq(eq(a, a), 1);
}
END_TEST

START_TEST(test_equality_works_across_documents)
{
    brine_doc *other = brine_doc_new();
    brine_value *a = list_of(2, S("x"), brine_complex_new(doc, 1, 2, NULL));
    brine_value *b = brine_value_copy(other, a, 0, &err);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_eq(brine_value_doc(b), other);
    ck_assert_int_eq(eq(a, b), 1);
    brine_seq_append(b, brine_null_new(other, NULL), NULL);
    ck_assert_int_eq(eq(a, b), 0);
    brine_doc_free(other);
}
END_TEST

/* ---- copy --------------------------------------------------------------- */

START_TEST(test_copy_preserves_sharing)
{
    brine_doc *other = brine_doc_new();
    brine_value *x = list_of(1, I(1));
    brine_value *src = list_of(2, x, x);
    brine_value *c = brine_value_copy(other, src, 0, &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(eq(src, c), 1);
    /* The two elements of the copy are one node: a change shows in both. */
    brine_seq_append(brine_seq_get(c, 0), brine_null_new(other, NULL), NULL);
    ck_assert_uint_eq(brine_seq_count(brine_seq_get(c, 1)), 2);
    ck_assert_uint_eq(brine_seq_count(x), 1);
    ck_assert_ptr_eq(brine_value_doc(brine_seq_get(c, 0)), other);
    brine_doc_free(other);
}
END_TEST

START_TEST(test_copy_preserves_a_self_containing_list)
{
    brine_value *l = brine_list_new(doc, NULL);
    brine_seq_append(l, I(1), NULL);
    brine_seq_append(l, l, NULL);
    brine_value *c = brine_value_copy(doc, l, 0, &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(eq(l, c), 1);
    ck_assert_str_eq(repr(c), "[1, [...]]");
    brine_seq_append(c, I(2), NULL);
    ck_assert_uint_eq(brine_seq_count(brine_seq_get(c, 1)), 3);
    ck_assert_uint_eq(brine_seq_count(l), 2);
}
END_TEST

START_TEST(test_a_mutual_cycle_through_a_dict_and_a_model)
{
    /* d = {'name': 'n1', 'node': Node(1, state=d)} */
    brine_value *d = brine_dict_new(doc, NULL), *m = brine_model_new(doc, "Node", 4, NULL);
    brine_model_set_args(m, tuple_of(1, I(1)), NULL);
    brine_model_set_state(m, d, NULL);
    brine_dict_set_str(d, "name", S("n1"), NULL);
    brine_dict_set_str(d, "node", m, NULL);
    ck_assert_str_eq(repr(d), "{'name': 'n1', 'node': Node(1, state={...})}");
    ck_assert_str_eq(repr(m), "Node(1, state={'name': 'n1', 'node': Node(...)})");

    brine_doc *other = brine_doc_new();
    brine_value *c = brine_value_copy(other, d, 0, &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(eq(d, c), 1);
    ck_assert_int_eq(eq(c, d), 1);
    ck_assert_str_eq(repr(c), "{'name': 'n1', 'node': Node(1, state={...})}");
    /* The cycle is real in the copy: the model's state is the copy itself. */
    brine_dict_set_str(c, "extra", brine_null_new(other, NULL), NULL);
    ck_assert_uint_eq(brine_dict_count(brine_model_state(brine_dict_get_str(c, "node"))), 3);
    ck_assert_uint_eq(brine_dict_count(d), 2);
    ck_assert_int_eq(eq(d, c), 0);
    /* A second copy of m alone. */
    brine_value *cm = brine_value_copy(other, m, 0, &err);
    ck_assert_int_eq(eq(m, cm), 1);
    ck_assert_int_eq(eq(d, cm), 0);
    brine_doc_free(other);
}
END_TEST

START_TEST(test_copy_rehashes_keys_into_the_target_document)
{
    brine_value *d = brine_dict_new(doc, NULL);
    char key[16];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "k%d", i);
        brine_dict_set_str(d, key, I(i), NULL);
        brine_dict_set(d, tuple_of(2, I(i), S(key)), I(-i), NULL);
    }
    for (int i = 0; i < 100; i += 3) {
        snprintf(key, sizeof key, "k%d", i);
        brine_dict_del(d, S(key), NULL);
    }
    brine_doc *other = brine_doc_new();
    brine_value *c = brine_value_copy(other, d, 0, &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(brine_dict_count(c), brine_dict_count(d));
    ck_assert_int_eq(eq(d, c), 1);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "k%d", i);
        brine_value *v = brine_dict_get_str(c, key);
        if (i % 3 == 0) {
            ck_assert_ptr_null(v);
        } else {
            int64_t x;
            brine_int_get_i64(v, &x);
            ck_assert_int_eq(x, i);
        }
        brine_value *k = brine_tuple_new(other, NULL);
        brine_seq_append(k, brine_int_new(other, i, NULL), NULL);
        brine_seq_append(k, brine_str_new_cstr(other, key, NULL), NULL);
        int64_t x;
        ck_assert_int_eq(brine_int_get_i64(brine_dict_get(c, k), &x), BRINE_OK);
        ck_assert_int_eq(x, -i);
    }
    brine_doc_free(other);
}
END_TEST

START_TEST(test_copy_of_scalars_lands_in_the_target_document)
{
    brine_doc *other = brine_doc_new();
    unsigned char big[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    brine_value *vals[] = {S("text"), brine_bytes_new(doc, "\0\1", 2, NULL),
                           brine_int_new_bytes(doc, big, sizeof big, NULL), brine_complex_new(doc, 1, -1, NULL)};
    for (size_t i = 0; i < 4; i++) {
        brine_value *c = brine_value_copy(other, vals[i], 0, &err);
        ck_assert_ptr_nonnull(c);
        ck_assert_ptr_eq(brine_value_doc(c), other);
        ck_assert_int_eq(eq(vals[i], c), 1);
        /* The copy outlives the source document's values being linked elsewhere. */
        ck_assert_int_eq(brine_doc_set_root(other, c, &err), BRINE_OK);
    }
    brine_value *c = brine_value_copy(other, F(2.5), 0, &err);
    ck_assert(brine_float_get(c) == 2.5);
    brine_doc_free(other);
}
END_TEST

START_TEST(test_copy_and_equal_refuse_null_arguments)
{
    ck_assert_ptr_null(brine_value_copy(NULL, I(1), 0, &err));
    ck_assert_int_eq(err.code, BRINE_E_INVALID);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_value_equal(NULL, I(1), 0, &err), -BRINE_E_INVALID);
    brine_error_clear(&err);
    ck_assert_uint_eq(brine_value_repr(NULL, NULL, 0, 0, &err), (size_t)-1);
    ck_assert_int_eq(err.code, BRINE_E_INVALID);
}
END_TEST

/* ---- repr --------------------------------------------------------------- */

START_TEST(test_repr_of_the_issue_example)
{
    brine_value *d = brine_dict_new(doc, NULL);
    brine_dict_set_str(d, "a", brine_bytes_new(doc, "\0", 1, NULL), NULL);
    brine_value *v = list_of(5, I(1), F(2.5), S("x"), tuple_of(1, I(1)), d);
    ck_assert_str_eq(repr(v), "[1, 2.5, 'x', (1,), {'a': b'\\x00'}]");
}
END_TEST

START_TEST(test_repr_of_scalars_matches_python)
{
    unsigned char b200[26] = {0};
    b200[25] = 1; /* 2**200 */
    unsigned char m64[] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff};
    brine_value *v =
        list_of(7, brine_bool_new(doc, 1, NULL), brine_bool_new(doc, 0, NULL), brine_null_new(doc, NULL), I(INT64_MIN),
                brine_uint_new(doc, UINT64_MAX, NULL), brine_int_new_bytes(doc, m64, sizeof m64, NULL),
                brine_int_new_bytes(doc, b200, sizeof b200, NULL));
    ck_assert_str_eq(repr(v), "[True, False, None, -9223372036854775808, 18446744073709551615, "
                              "-18446744073709551616, "
                              "1606938044258990275541962092341162602522202993782792835301376]");
    v = list_of(8, F(1e16), F(-0.0), F(NAN), F(INFINITY), F(-INFINITY), F(0.1), F(5e-324), F(1.0));
    ck_assert_str_eq(repr(v), "[1e+16, -0.0, nan, inf, -inf, 0.1, 5e-324, 1.0]");
    ck_assert_str_eq(repr(I(0)), "0");
    ck_assert_str_eq(repr(I(-1)), "-1");
}
END_TEST

START_TEST(test_repr_of_complex_matches_python)
{
    static const struct {
        double re, im;
        const char *want;
    } cases[] = {
        {1, 2, "(1+2j)"},
        {0, 2, "2j"},
        {-0.0, -2, "(-0-2j)"},
        {0, 0, "0j"},
        {-0.0, 1, "(-0+1j)"},
        {0, -0.0, "-0j"},
        {-0.0, -0.0, "(-0-0j)"},
        {NAN, INFINITY, "(nan+infj)"},
        {1, NAN, "(1+nanj)"},
        {0, NAN, "nanj"},
        {1.5, 2.25, "(1.5+2.25j)"},
        {1e16, 1e-5, "(1e+16+1e-05j)"},
        {INFINITY, -INFINITY, "(inf-infj)"},
        {0, 1e16, "1e+16j"},
        {-1, 0, "(-1+0j)"},
        {1, -0.0, "(1-0j)"},
        {123456789012345.0, 1e300, "(123456789012345+1e+300j)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_str_eq(repr(brine_complex_new(doc, cases[i].re, cases[i].im, NULL)), cases[i].want);
    /* A NaN with its sign bit set still prints as nan. */
    ck_assert_str_eq(repr(brine_complex_new(doc, 1, -NAN, NULL)), "(1+nanj)");
    ck_assert_str_eq(repr(brine_complex_new(doc, -NAN, 1, NULL)), "(nan+1j)");
}
END_TEST

START_TEST(test_repr_of_str_quotes_and_escapes_like_python)
{
    ck_assert_str_eq(repr(S("it's")), "\"it's\"");
    ck_assert_str_eq(repr(S("a\"b")), "'a\"b'");
    ck_assert_str_eq(repr(S("'\"")), "'\\'\"'");
    ck_assert_str_eq(repr(S("\\")), "'\\\\'");
    ck_assert_str_eq(repr(S("a\tb\nc\rd\\e")), "'a\\tb\\nc\\rd\\\\e'");
    ck_assert_str_eq(repr(brine_str_new(doc, "a\0b", 3, NULL)), "'a\\x00b'");
    ck_assert_str_eq(repr(S("")), "''");
    /* python3: repr('\x00\x1f\x7f\x80\x9f\xa0\xa1\xad\u0378\u00e9\u200b\u2028\u3000\ue000\uffff'
     *               '\U0001F600\U000E0001\U0010FFFF') */
    const char *s = "\x01\x1f\x7f\xc2\x80\xc2\x9f\xc2\xa0\xc2\xa1\xc2\xad\xcd\xb8\xc3\xa9\xe2\x80\x8b\xe2\x80\xa8"
                    "\xe3\x80\x80\xee\x80\x80\xef\xbf\xbf\xf0\x9f\x98\x80\xf3\xa0\x80\x81\xf4\x8f\xbf\xbf";
    ck_assert_str_eq(repr(S(s)), "'\\x01\\x1f\\x7f\\x80\\x9f\\xa0\xc2\xa1\\xad\\u0378\xc3\xa9\\u200b\\u2028\\u3000"
                                 "\\ue000\\uffff\xf0\x9f\x98\x80\\U000e0001\\U0010ffff'");
    /* python3: repr('\u00e9\u0301'), repr('\u0600'), repr(' ') */
    ck_assert_str_eq(repr(S("\xc3\xa9\xcc\x81")), "'\xc3\xa9\xcc\x81'");
    ck_assert_str_eq(repr(S("\xd8\x80")), "'\\u0600'");
    ck_assert_str_eq(repr(S(" ")), "' '");
}
END_TEST

START_TEST(test_repr_of_bytes_quotes_and_escapes_like_python)
{
    ck_assert_str_eq(repr(brine_bytes_new(doc, "\0a'\"\\\t\n\r\x7f\xff", 10, NULL)),
                     "b'\\x00a\\'\"\\\\\\t\\n\\r\\x7f\\xff'");
    ck_assert_str_eq(repr(brine_bytes_new(doc, "it's", 4, NULL)), "b\"it's\"");
    ck_assert_str_eq(repr(brine_bytes_new(doc, "'", 1, NULL)), "b\"'\"");
    ck_assert_str_eq(repr(brine_bytes_new(doc, "\"", 1, NULL)), "b'\"'");
    ck_assert_str_eq(repr(brine_bytes_new(doc, NULL, 0, NULL)), "b''");
}
END_TEST

START_TEST(test_repr_of_containers_matches_python)
{
    ck_assert_str_eq(repr(brine_tuple_new(doc, NULL)), "()");
    ck_assert_str_eq(repr(tuple_of(2, I(1), I(2))), "(1, 2)");
    ck_assert_str_eq(repr(brine_list_new(doc, NULL)), "[]");
    ck_assert_str_eq(repr(brine_dict_new(doc, NULL)), "{}");
    /* python3: repr({(1,2):[None], 'k':(), 3:{}}) */
    brine_value *d = brine_dict_new(doc, NULL);
    brine_dict_set(d, tuple_of(2, I(1), I(2)), list_of(1, brine_null_new(doc, NULL)), NULL);
    brine_dict_set(d, S("k"), brine_tuple_new(doc, NULL), NULL);
    brine_dict_set(d, I(3), brine_dict_new(doc, NULL), NULL);
    ck_assert_str_eq(repr(d), "{(1, 2): [None], 'k': (), 3: {}}");
    brine_dict_del(d, S("k"), NULL);
    ck_assert_str_eq(repr(d), "{(1, 2): [None], 3: {}}");
    /* Shared but not cyclic: printed in full each time, like Python. */
    brine_value *x = list_of(1, I(1));
    ck_assert_str_eq(repr(list_of(2, x, x)), "[[1], [1]]");
}
END_TEST

START_TEST(test_repr_of_cycles_matches_python)
{
    /* python3: l=[]; l.append(l); t=([],); t[0].append(t); d={}; d['a']=d */
    brine_value *l = brine_list_new(doc, NULL);
    brine_seq_append(l, l, NULL);
    ck_assert_str_eq(repr(l), "[[...]]");
    brine_value *inner = brine_list_new(doc, NULL), *t = tuple_of(1, inner);
    brine_seq_append(inner, t, NULL);
    ck_assert_str_eq(repr(t), "([(...)],)");
    brine_value *d = brine_dict_new(doc, NULL);
    brine_dict_set_str(d, "a", d, NULL);
    ck_assert_str_eq(repr(d), "{'a': {...}}");
}
END_TEST

START_TEST(test_repr_of_models)
{
    brine_value *m = brine_model_new(doc, "Point", 5, NULL);
    ck_assert_str_eq(repr(m), "Point()");
    brine_model_set_args(m, tuple_of(2, I(1), I(2)), NULL);
    ck_assert_str_eq(repr(m), "Point(1, 2)");
    brine_value *st = brine_dict_new(doc, NULL);
    brine_dict_set_str(st, "x", I(1), NULL);
    brine_model_set_state(m, st, NULL);
    ck_assert_str_eq(repr(m), "Point(1, 2, state={'x': 1})");
    brine_model_set_args(m, tuple_of(1, I(1)), NULL);
    ck_assert_str_eq(repr(m), "Point(1, state={'x': 1})");
    brine_model_set_args(m, brine_tuple_new(doc, NULL), NULL);
    ck_assert_str_eq(repr(m), "Point(state={'x': 1})");
    /* A model in its own args, and in its own state. */
    brine_value *a = brine_model_new(doc, "A", 1, NULL);
    brine_model_set_args(a, tuple_of(1, a), NULL);
    ck_assert_str_eq(repr(a), "A(A(...))");
    brine_value *b = brine_model_new(doc, "B", 1, NULL);
    brine_model_set_state(b, list_of(1, b), NULL);
    ck_assert_str_eq(repr(b), "B(state=[B(...)])");
    /* Args tuple that contains the model's args tuple itself. */
    brine_value *c = brine_model_new(doc, "C", 1, NULL);
    brine_value *args = brine_tuple_new(doc, NULL);
    brine_value *holder = list_of(1, args);
    brine_seq_append(args, holder, NULL);
    brine_model_set_args(c, args, NULL);
    ck_assert_str_eq(repr(c), "C([(...)])");
    ck_assert_str_eq(repr(args), "([(...)],)");
}
END_TEST

START_TEST(test_repr_of_huge_ints_is_hex)
{
    /* python3: hex(2**14300), hex(-(2**14300 + 0x1234)) */
    unsigned char *b = calloc(1, 1789);
    ck_assert_ptr_nonnull(b);
    b[1787] = 0x10;
    brine_value *v = brine_int_new_bytes(doc, b, 1789, NULL);
    char *want = malloc(3580);
    ck_assert_ptr_nonnull(want);
    strcpy(want, "0x1");
    memset(want + 3, '0', 3575);
    want[3578] = '\0';
    ck_assert_str_eq(repr(v), want);
    /* Negate 2**14300 + 0x1234 in two's complement. */
    b[0] = 0x34;
    b[1] = 0x12;
    unsigned carry = 1;
    for (size_t i = 0; i < 1789; i++) {
        unsigned x = (~(unsigned)b[i] & 0xff) + carry;
        b[i] = (unsigned char)x;
        carry = x >> 8;
    }
    v = brine_int_new_bytes(doc, b, 1789, NULL);
    ck_assert_int_eq(brine_int_sign(v), -1);
    strcpy(want, "-0x1");
    memset(want + 4, '0', 3575);
    memcpy(want + 4 + 3575 - 4, "1234", 5);
    ck_assert_str_eq(repr(v), want);
    free(want);
    free(b);
}
END_TEST

START_TEST(test_repr_refuses_to_expand_a_heavily_shared_graph_forever)
{
    /* x(i+1) = [x(i), x(i)]: 2^64 lists in full, from 65 nodes. */
    brine_value *x = brine_list_new(doc, NULL);
    for (int i = 0; i < 64; i++)
        x = list_of(2, x, x);
    ck_assert_uint_eq(brine_value_repr(x, NULL, 0, 0, &err), (size_t)-1);
    ck_assert_int_eq(err.code, BRINE_E_RANGE);
    static const char msg[] = "printing in full would repeat shared containers too often (over ";
    ck_assert_int_eq(strncmp(err.message, msg, sizeof msg - 1), 0);
    ck_assert_int_eq(strncmp(err.path, "$[0][0][0]", 10), 0);
    /* Moderate sharing prints in full: one list shared 400000 times, 1.6
     * million values (the budget grows with the document). */
    brine_value *shared = list_of(3, I(1), I(2), I(3));
    brine_value *many = brine_list_new(doc, NULL);
    for (int i = 0; i < 400000; i++)
        REQUIRE(brine_seq_append(many, shared, NULL) == BRINE_OK);
    brine_error_clear(&err);
    ck_assert_uint_eq(brine_value_repr(many, NULL, 0, 0, &err), 400000 * 11);
    ck_assert_int_eq(err.code, BRINE_OK);
}
END_TEST

START_TEST(test_repr_is_snprintf_like)
{
    brine_value *v = list_of(3, I(100), I(200), I(300));
    char buf[8];
    memset(buf, 'z', sizeof buf);
    ck_assert_uint_eq(brine_value_repr(v, buf, 5, 0, &err), 15);
    ck_assert_str_eq(buf, "[100");
    ck_assert_int_eq(buf[5], 'z');
    ck_assert_uint_eq(brine_value_repr(v, NULL, 0, 0, &err), 15);
    ck_assert_uint_eq(brine_value_repr(v, buf, 1, 0, &err), 15);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(err.code, BRINE_OK);
}
END_TEST

START_TEST(test_print_writes_to_a_stream_and_reports_write_errors)
{
    brine_value *d = brine_dict_new(doc, NULL);
    brine_dict_set_str(d, "k", list_of(2, S("v"), brine_null_new(doc, NULL)), NULL);
    FILE *fp = tmpfile();
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(brine_value_print(d, fp, 0, &err), BRINE_OK);
    rewind(fp);
    char buf[64] = {0};
    ck_assert_uint_eq(fread(buf, 1, sizeof buf - 1, fp), 18);
    ck_assert_str_eq(buf, "{'k': ['v', None]}");
    fclose(fp);
    FILE *full = fopen("/dev/full", "w");
    if (full) {
        setvbuf(full, NULL, _IONBF, 0);
        ck_assert_int_eq(brine_value_print(d, full, 0, &err), BRINE_E_IO);
        ck_assert_int_eq(err.code, BRINE_E_IO);
        fclose(full);
    }
}
END_TEST

/* ---- depth -------------------------------------------------------------- */

START_TEST(test_depth_1000_is_fine_and_1001_fails_for_equal_copy_and_print)
{
    brine_doc *other = brine_doc_new();
    brine_value *a = nested_lists(doc, 1000), *b = nested_lists(other, 1000);
    ck_assert_int_eq(brine_value_equal(a, b, 0, &err), 1);
    ck_assert_ptr_nonnull(brine_value_copy(other, a, 0, &err));
    ck_assert_uint_eq(brine_value_repr(a, NULL, 0, 0, &err), 2000);
    ck_assert_int_eq(err.code, BRINE_OK);

    brine_value *a2 = nested_lists(doc, 1001), *b2 = nested_lists(other, 1001);
    ck_assert_int_eq(brine_value_equal(a2, b2, 0, &err), -BRINE_E_DEPTH);
    expect_error(&err, BRINE_E_DEPTH, BRINE_NO_OFFSET, NULL,
                 "maximum recursion depth exceeded while comparing (limit 1000)");
    ck_assert_int_eq(strncmp(err.path, "$[0][0][0]", 10), 0);
    ck_assert_uint_gt(strlen(err.path), 250); /* cut to fit BRINE_ERROR_PATH */

    brine_error_clear(&err);
    ck_assert_ptr_null(brine_value_copy(other, a2, 0, &err));
    expect_error(&err, BRINE_E_DEPTH, ANY_OFFSET, NULL, "maximum recursion depth exceeded while copying (limit 1000)");
    ck_assert_int_eq(strncmp(err.path, "$[0][0][0]", 10), 0);

    brine_error_clear(&err);
    ck_assert_uint_eq(brine_value_repr(a2, NULL, 0, 0, &err), (size_t)-1);
    expect_error(&err, BRINE_E_DEPTH, ANY_OFFSET, NULL, "maximum recursion depth exceeded while printing (limit 1000)");

    /* An explicit limit overrides the document's. */
    brine_error_clear(&err);
    ck_assert_int_eq(brine_value_equal(a2, b2, 1001, &err), 1);
    ck_assert_ptr_nonnull(brine_value_copy(other, a2, 1001, &err));
    ck_assert_uint_eq(brine_value_repr(a2, NULL, 0, 1001, &err), 2002);
    ck_assert_int_eq(err.code, BRINE_OK);
    brine_doc_free(other);
}
END_TEST

START_TEST(test_depth_errors_carry_the_path_to_the_value)
{
    /* {'a': [1, Node(2, state={'k': [[]]})]}, limit 5: the innermost list
     * is at depth 6. */
    brine_value *inner = list_of(1, brine_list_new(doc, NULL));
    brine_value *st = brine_dict_new(doc, NULL);
    brine_dict_set_str(st, "k", inner, NULL);
    brine_value *m = brine_model_new(doc, "Node", 4, NULL);
    brine_model_set_args(m, tuple_of(1, I(2)), NULL);
    brine_model_set_state(m, st, NULL);
    brine_value *d = brine_dict_new(doc, NULL);
    brine_dict_set_str(d, "a", list_of(2, I(1), m), NULL);
    ck_assert_uint_eq(brine_value_repr(d, NULL, 0, 5, &err), (size_t)-1);
    expect_error(&err, BRINE_E_DEPTH, ANY_OFFSET, "$.a[1].state.k[0]", NULL);
    brine_error_clear(&err);
    ck_assert_ptr_null(brine_value_copy(doc, d, 5, &err));
    ck_assert_str_eq(err.path, "$.a[1].state.k[0]");
    brine_error_clear(&err);
    ck_assert_int_eq(brine_value_equal(d, brine_value_copy(doc, d, 6, NULL), 5, &err), -BRINE_E_DEPTH);
    ck_assert_str_eq(err.path, "$.a[1].state.k[0]");
    /* A model is one level and its args tuple another. */
    brine_value *p = brine_model_new(doc, "P", 1, NULL);
    brine_error_clear(&err);
    ck_assert_uint_eq(brine_value_repr(p, NULL, 0, 1, &err), (size_t)-1);
    ck_assert_str_eq(err.path, "$.args");
    ck_assert_uint_eq(brine_value_repr(p, NULL, 0, 2, NULL), 3);
}
END_TEST

START_TEST(test_a_million_levels_are_built_compared_copied_printed_and_freed)
{
    const size_t n = 1000000;
    brine_doc_set_max_depth(doc, n);
    brine_value *root = nested_lists(doc, n);
    brine_doc *other = brine_doc_new();
    ck_assert_ptr_nonnull(other);
    brine_value *c = brine_value_copy(other, root, 0, &err);
    ck_assert_msg(c != NULL, "copy failed: %s", err.message);
    ck_assert_int_eq(brine_value_equal(root, c, 0, &err), 1);
    ck_assert_uint_eq(brine_value_repr(root, NULL, 0, 0, &err), 2 * n);
    FILE *null = fopen("/dev/null", "w");
    ck_assert_ptr_nonnull(null);
    ck_assert_int_eq(brine_value_print(c, null, n, &err), BRINE_OK);
    fclose(null);
    ck_assert_int_eq(err.code, BRINE_OK);
    /* One level more than the limit fails cleanly. */
    brine_value *top = brine_list_new(doc, NULL);
    brine_seq_append(top, root, NULL);
    ck_assert_uint_eq(brine_value_repr(top, NULL, 0, 0, &err), (size_t)-1);
    ck_assert_int_eq(err.code, BRINE_E_DEPTH);
    brine_doc_free(other);
}
END_TEST

/* ---- allocation failures ------------------------------------------------ */

#define TRY(cond)                                                                                                      \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            rc = e.code;                                                                                               \
            goto out;                                                                                                  \
        }                                                                                                              \
    } while (0)

/* Builds a small graph with every kind of value, a cycle and sharing, copies
 * it to a second document, compares and prints. Returns the first error. */
static int workload(char *text, size_t cap)
{
    brine_error e;
    brine_error_clear(&e);
    int rc = BRINE_OK;
    brine_doc *a = brine_doc_new(), *b = NULL;
    if (!a)
        return BRINE_E_NOMEM;
    brine_value *l, *d, *m, *t, *v, *c;
    TRY(l = brine_list_new(a, &e));
    TRY(d = brine_dict_new(a, &e));
    TRY(m = brine_model_new(a, "Thing", 5, &e));
    TRY(t = brine_tuple_new(a, &e));
    for (int i = 0; i < 40; i++) {
        TRY(v = brine_int_new(a, i, &e));
        TRY(!brine_seq_append(l, v, &e));
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        TRY(!brine_dict_set_str(d, key, v, &e));
    }
    TRY(v = brine_int_new_decimal(a, "-123456789012345678901234567890", 31, &e));
    TRY(!brine_seq_append(t, v, &e));
    TRY(v = brine_str_new_cstr(a, "caf\xc3\xa9", &e));
    TRY(!brine_seq_append(t, v, &e));
    TRY(!brine_dict_set(d, t, l, &e));
    TRY(v = brine_complex_new(a, 1, 2, &e));
    TRY(!brine_seq_append(l, v, &e));
    TRY(v = brine_bytes_new(a, "\0\1", 2, &e));
    TRY(!brine_dict_set(d, v, v, &e));
    TRY(!brine_model_set_args(m, t, &e));
    TRY(!brine_model_set_state(m, d, &e));
    TRY(!brine_seq_append(l, m, &e));
    TRY(!brine_seq_append(l, l, &e));
    TRY(!brine_seq_append(l, t, &e));
    TRY(!brine_doc_set_root(a, l, &e));
    if (!(b = brine_doc_new()))
        return brine_doc_free(a), BRINE_E_NOMEM;
    TRY(c = brine_value_copy(b, l, 0, &e));
    int r = brine_value_equal(l, c, 0, &e);
    TRY(r >= 0);
    ck_assert_int_eq(r, 1);
    TRY(brine_value_repr(c, text, cap, 0, &e) != (size_t)-1);
    char *dec = brine_int_to_decimal(brine_seq_get(t, 0));
    if (!dec) {
        rc = BRINE_E_NOMEM;
        goto out;
    }
    brine_free(dec);
    /* Bigger: new chunks, dedicated blocks, map and stack growth. */
    brine_value *big, *chain, *cur;
    TRY(big = brine_dict_new(a, &e));
    TRY(chain = brine_list_new(a, &e));
    cur = chain;
    for (int i = 0; i < 1500; i++) {
        TRY(v = brine_int_new(a, i, &e));
        TRY(!brine_dict_set(big, v, v, &e));
        if (i < 60) {
            TRY(v = brine_list_new(a, &e));
            TRY(!brine_seq_append(cur, v, &e));
            TRY(!brine_seq_append(cur, big, &e));
            cur = v;
        }
    }
    TRY(c = brine_value_copy(b, chain, 0, &e));
    r = brine_value_equal(chain, c, 0, &e);
    TRY(r >= 0);
    ck_assert_int_eq(r, 1);
    TRY(brine_value_repr(big, NULL, 0, 0, &e) != (size_t)-1);
out:
    if (rc)
        ck_assert_int_eq(e.code == BRINE_OK ? rc : e.code, rc);
    brine_doc_free(a);
    brine_doc_free(b);
    return rc;
}

/* A document of about 1 MiB of strings (chunks of the largest size). */
static void fill_and_free(void)
{
    brine_error e;
    brine_error_clear(&e);
    brine_doc *big = brine_doc_new();
    ck_assert_ptr_nonnull(big);
    brine_value *list = brine_list_new(big, &e);
    static const char text[1000] = "x";
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(brine_seq_append(list, brine_str_new(big, text, sizeof text, &e), &e), BRINE_OK);
    brine_doc_free(big);
}

START_TEST(test_freed_documents_leave_memory_for_reuse_until_released)
{
    brine_release_memory();
    alloc_calls = 0;
    alloc_fail_at = 0;
    alloc_live = 0;
    brine_set_allocator(failing_malloc, failing_realloc, counting_free);
    fill_and_free();
    long first = alloc_calls, cached = alloc_live;
    ck_assert_msg(cached > 0 && cached <= 64, "%ld chunks cached (at most 64)", cached);
    /* The second document takes its large chunks from the cache. */
    alloc_calls = 0;
    fill_and_free();
    ck_assert_msg(alloc_calls + cached <= first, "%ld allocations the second time, %ld the first, %ld cached",
                  alloc_calls, first, cached);
    ck_assert_int_eq(alloc_live, cached);
    ck_assert_uint_gt(brine_release_memory(), 0);
    ck_assert_int_eq(alloc_live, 0);
    ck_assert_uint_eq(brine_release_memory(), 0);
    brine_set_allocator(NULL, NULL, NULL);
}
END_TEST

START_TEST(test_every_allocation_failure_is_reported_and_leaks_nothing)
{
    static char expect[4096], text[4096];
    ck_assert_int_eq(workload(expect, sizeof expect), BRINE_OK);
    brine_set_allocator(failing_malloc, failing_realloc, counting_free);
    long k;
    for (k = 1;; k++) {
        alloc_calls = 0;
        alloc_fail_at = k;
        alloc_live = 0;
        int rc = workload(text, sizeof text);
        brine_release_memory(); /* freed documents' cached chunks count as live */
        ck_assert_msg(alloc_live == 0, "allocation %ld failing leaked %ld blocks", k, alloc_live);
        if (alloc_calls < k) {
            /* No failure was injected: the whole workload ran. */
            ck_assert_int_eq(rc, BRINE_OK);
            ck_assert_str_eq(text, expect);
            break;
        }
        ck_assert_msg(rc == BRINE_E_NOMEM, "allocation %ld failing gave status %d", k, rc);
    }
    brine_set_allocator(NULL, NULL, NULL);
    ck_assert_int_gt(k, 40); /* 59 allocations when written */
    /* Checked against the same graph built in python3 (the model printed by hand). */
    static const char tail[] = "'k39': 39, (-123456789012345678901234567890, 'caf\xc3\xa9'): [...], "
                               "b'\\x00\\x01': b'\\x00\\x01'}), [...], "
                               "(-123456789012345678901234567890, 'caf\xc3\xa9')]";
    ck_assert_uint_eq(strlen(expect), 763);
    ck_assert_str_eq(expect + strlen(expect) - (sizeof tail - 1), tail);
    ck_assert_int_eq(strncmp(expect, "[0, 1, 2, 3, ", 13), 0);
}
END_TEST

static Suite *graph_suite(void)
{
    Suite *s = suite_create("graph");
    TCase *tc = tcase_create("equal");
    doc_fixture(tc, &doc, &err);
    tcase_add_test(tc, test_scalars_of_different_types_are_not_equal);
    tcase_add_test(tc, test_floats_compare_by_bits_nan_equal_and_negative_zero_distinct);
    tcase_add_test(tc, test_containers_compare_deeply_and_dicts_in_order);
    tcase_add_test(tc, test_models_compare_name_args_and_state);
    tcase_add_test(tc, test_equality_distinguishes_shared_from_equal_but_distinct);
    tcase_add_test(tc, test_self_containing_lists_compare_by_shape);
    tcase_add_test(tc, test_equality_works_across_documents);
    suite_add_tcase(s, tc);

    tc = tcase_create("copy");
    doc_fixture(tc, &doc, &err);
    tcase_add_test(tc, test_copy_preserves_sharing);
    tcase_add_test(tc, test_copy_preserves_a_self_containing_list);
    tcase_add_test(tc, test_a_mutual_cycle_through_a_dict_and_a_model);
    tcase_add_test(tc, test_copy_rehashes_keys_into_the_target_document);
    tcase_add_test(tc, test_copy_of_scalars_lands_in_the_target_document);
    tcase_add_test(tc, test_copy_and_equal_refuse_null_arguments);
    suite_add_tcase(s, tc);

    tc = tcase_create("repr");
    doc_fixture(tc, &doc, &err);
    tcase_add_test(tc, test_repr_of_the_issue_example);
    tcase_add_test(tc, test_repr_of_scalars_matches_python);
    tcase_add_test(tc, test_repr_of_complex_matches_python);
    tcase_add_test(tc, test_repr_of_str_quotes_and_escapes_like_python);
    tcase_add_test(tc, test_repr_of_bytes_quotes_and_escapes_like_python);
    tcase_add_test(tc, test_repr_of_containers_matches_python);
    tcase_add_test(tc, test_repr_of_cycles_matches_python);
    tcase_add_test(tc, test_repr_of_models);
    tcase_add_test(tc, test_repr_of_huge_ints_is_hex);
    tcase_add_test(tc, test_repr_refuses_to_expand_a_heavily_shared_graph_forever);
    tcase_add_test(tc, test_repr_is_snprintf_like);
    tcase_add_test(tc, test_print_writes_to_a_stream_and_reports_write_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("depth");
    doc_fixture(tc, &doc, &err);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_depth_1000_is_fine_and_1001_fails_for_equal_copy_and_print);
    tcase_add_test(tc, test_depth_errors_carry_the_path_to_the_value);
    tcase_add_test(tc, test_a_million_levels_are_built_compared_copied_printed_and_freed);
    suite_add_tcase(s, tc);

    tc = tcase_create("nomem");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_every_allocation_failure_is_reported_and_leaks_nothing);
    tcase_add_test(tc, test_freed_documents_leave_memory_for_reuse_until_released);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(graph_suite)
