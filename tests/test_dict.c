/* test_dict.c: dicts (core/dict.c): Python's ordering rules, keys compared
 * by type and value, unhashable keys, tuple keys, large dicts, and a long
 * random sequence of operations checked against a naive model. */
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

static int64_t get_int(const brine_value *v)
{
    int64_t i = -999;
    REQUIRE(v != NULL);
    REQUIRE(brine_int_get_i64(v, &i) == BRINE_OK);
    return i;
}

/* The dict's keys (str keys) in order, joined with commas. */
static const char *key_order(const brine_value *d)
{
    static char buf[256];
    buf[0] = '\0';
    size_t it = 0;
    brine_value *k;
    while (brine_dict_next(d, &it, &k, NULL)) {
        if (buf[0])
            strcat(buf, ",");
        strcat(buf, brine_str_get(k, NULL));
    }
    return buf;
}

START_TEST(test_dict_iterates_in_insertion_order)
{
    brine_value *d = brine_dict_new(doc, &err);
    const char *keys[] = {"z", "a", "m", "b", "y"};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(brine_dict_set(d, S(keys[i]), I(i), &err), BRINE_OK);
    ck_assert_uint_eq(brine_dict_count(d), 5);
    ck_assert_str_eq(key_order(d), "z,a,m,b,y");
    size_t it = 0;
    brine_value *v;
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(brine_dict_next(d, &it, NULL, &v), 1);
        ck_assert_int_eq(get_int(v), i);
    }
    ck_assert_int_eq(brine_dict_next(d, &it, NULL, &v), 0);
}
END_TEST

START_TEST(test_dict_replacement_keeps_the_first_position)
{
    brine_value *d = brine_dict_new(doc, &err);
    brine_dict_set(d, S("a"), I(1), &err);
    brine_dict_set(d, S("b"), I(2), &err);
    brine_dict_set(d, S("c"), I(3), &err);
    ck_assert_int_eq(brine_dict_set(d, S("a"), I(10), &err), BRINE_OK);
    ck_assert_int_eq(brine_dict_set_str(d, "b", I(20), &err), BRINE_OK);
    ck_assert_uint_eq(brine_dict_count(d), 3);
    ck_assert_str_eq(key_order(d), "a,b,c");
    ck_assert_int_eq(get_int(brine_dict_get(d, S("a"))), 10);
    ck_assert_int_eq(get_int(brine_dict_get_str(d, "b")), 20);
    ck_assert_int_eq(err.code, BRINE_OK);
}
END_TEST

START_TEST(test_dict_delete_keeps_order_and_reinsert_goes_last)
{
    brine_value *d = brine_dict_new(doc, &err);
    for (const char *k = "abcde"; *k; k++) {
        char key[2] = {*k, 0};
        brine_dict_set_str(d, key, I(*k), &err);
    }
    ck_assert_int_eq(brine_dict_del(d, S("b"), &err), BRINE_OK);
    ck_assert_int_eq(brine_dict_del(d, S("d"), &err), BRINE_OK);
    ck_assert_str_eq(key_order(d), "a,c,e");
    ck_assert_uint_eq(brine_dict_count(d), 3);
    ck_assert_ptr_null(brine_dict_get(d, S("b")));
    brine_dict_set(d, S("b"), I(0), &err);
    ck_assert_str_eq(key_order(d), "a,c,e,b");
    ck_assert_int_eq(brine_dict_del(d, S("zz"), &err), BRINE_E_NOTFOUND);
    expect_error(&err, BRINE_E_NOTFOUND, BRINE_NO_OFFSET, "", "key not found");
}
END_TEST

/* ---- key equality: a table of keys set in order and keys looked up ---- */

/* A key, made fresh for each use: keys compare by type and value, never by
 * identity. */
typedef enum { K_END, K_INT, K_UINT, K_FLOAT, K_BOOL, K_COMPLEX, K_STR, K_BYTES, K_NULL, K_DECIMAL, K_INT_BYTES } kkind;
typedef struct key_spec {
    kkind kind;
    int64_t i;     /* K_INT, K_BOOL (any nonzero is True) */
    uint64_t u;    /* K_UINT */
    double re, im; /* K_FLOAT (re), K_COMPLEX */
    const char *s; /* K_STR (looked up with brine_dict_get_str), K_BYTES, K_DECIMAL, K_INT_BYTES */
    size_t len;    /* of s: K_BYTES, K_INT_BYTES */
} key_spec;

static const unsigned char int64_min_bytes[] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0xff};
#define BIG "123456789012345678901234567890123456789"

static const struct key_case {
    const char *what;
    key_spec set[8]; /* set in order, the i-th with the value i + 1 */
    size_t count;    /* the dict's count afterwards */
    struct {
        key_spec key;
        int64_t want; /* 0: not found */
    } get[9];
} key_cases[] = {
    {"1, 1.0, True, 1+0j, '1' and b'1' are six keys (Python merges the first four), None a seventh",
     {{K_INT, .i = 1},
      {K_FLOAT, .re = 1.0},
      {K_BOOL, .i = 1},
      {K_COMPLEX, .re = 1.0},
      {K_STR, .s = "1"},
      {K_BYTES, .s = "1", .len = 1},
      {K_NULL, .i = 0}},
     7,
     {{{K_UINT, .u = 1}, 1},
      {{K_FLOAT, .re = 1.0}, 2},
      {{K_BOOL, .i = 7}, 3},
      {{K_COMPLEX, .re = 1.0}, 4},
      {{K_STR, .s = "1"}, 5},
      {{K_BYTES, .s = "1", .len = 1}, 6},
      {{K_NULL, .i = 0}, 7},
      {{K_BOOL, .i = 0}, 0}}},
    {"float keys compare by bits: the same NaN replaces, 0.0 and -0.0 differ",
     {{K_FLOAT, .re = NAN}, {K_FLOAT, .re = 0.0}, {K_FLOAT, .re = -0.0}, {K_FLOAT, .re = NAN}},
     3,
     {{{K_FLOAT, .re = NAN}, 4}, {{K_FLOAT, .re = -0.0}, 3}, {{K_FLOAT, .re = 0.0}, 2}}},
    {"big ints compare by value, however they were made",
     {{K_DECIMAL, .s = BIG}, {K_UINT, .u = UINT64_MAX}, {K_INT, .i = INT64_MIN}},
     3,
     {{{K_DECIMAL, .s = BIG}, 1},
      {{K_DECIMAL, .s = "18446744073709551615"}, 2},
      {{K_INT_BYTES, .s = (const char *)int64_min_bytes, .len = sizeof int64_min_bytes}, 3}}},
};

static brine_value *make_key(const key_spec *k)
{
    switch (k->kind) {
    case K_INT: return I(k->i);
    case K_UINT: return brine_uint_new(doc, k->u, NULL);
    case K_FLOAT: return F(k->re);
    case K_BOOL: return brine_bool_new(doc, (int)k->i, NULL);
    case K_COMPLEX: return brine_complex_new(doc, k->re, k->im, NULL);
    case K_STR: return S(k->s);
    case K_BYTES: return brine_bytes_new(doc, k->s, k->len, NULL);
    case K_NULL: return brine_null_new(doc, NULL);
    case K_DECIMAL: return brine_int_new_decimal(doc, k->s, strlen(k->s), NULL);
    case K_INT_BYTES: return brine_int_new_bytes(doc, (const unsigned char *)k->s, k->len, NULL);
    case K_END: break;
    }
    ck_abort_msg("no key kind %d", (int)k->kind);
    return NULL;
}

START_TEST(test_keys_compare_by_type_and_value)
{
    const struct key_case *c = &key_cases[_i];
    brine_value *d = brine_dict_new(doc, &err);
    for (size_t i = 0; c->set[i].kind != K_END; i++)
        brine_dict_set(d, make_key(&c->set[i]), I((int64_t)i + 1), &err);
    ck_assert_msg(brine_dict_count(d) == c->count, "%s: %zu keys", c->what, brine_dict_count(d));
    for (size_t i = 0; c->get[i].key.kind != K_END; i++) {
        const key_spec *k = &c->get[i].key;
        brine_value *v = k->kind == K_STR ? brine_dict_get_str(d, k->s) : brine_dict_get(d, make_key(k));
        if (c->get[i].want)
            ck_assert_msg(v && get_int(v) == c->get[i].want, "%s: lookup %zu", c->what, i);
        else
            ck_assert_msg(v == NULL, "%s: lookup %zu found a value", c->what, i);
    }
    expect_error(&err, BRINE_OK, BRINE_NO_OFFSET, "", "");
}
END_TEST

START_TEST(test_unhashable_keys_are_refused)
{
    brine_value *d = brine_dict_new(doc, &err);
    brine_value *keys[] = {brine_list_new(doc, NULL), brine_dict_new(doc, NULL), brine_model_new(doc, "M", 1, NULL)};
    const char *msgs[] = {"unhashable type: 'list'", "unhashable type: 'dict'", "unhashable type: 'model'"};
    for (int i = 0; i < 3; i++) {
        brine_error_clear(&err);
        ck_assert_int_eq(brine_dict_set(d, keys[i], I(1), &err), BRINE_E_KEY);
        expect_error(&err, BRINE_E_KEY, BRINE_NO_OFFSET, "", msgs[i]);
        ck_assert_ptr_null(brine_dict_get(d, keys[i]));
    }
    /* A tuple holding a list, deep inside, is unhashable too. */
    brine_value *t = brine_tuple_new(doc, NULL), *inner = brine_tuple_new(doc, NULL);
    brine_seq_append(t, I(1), NULL);
    brine_seq_append(t, inner, NULL);
    brine_seq_append(inner, brine_list_new(doc, NULL), NULL);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_dict_set(d, t, I(1), &err), BRINE_E_KEY);
    expect_error(&err, BRINE_E_KEY, BRINE_NO_OFFSET, "", "unhashable type: 'list'");
    brine_error_clear(&err);
    ck_assert_int_eq(brine_dict_del(d, t, &err), BRINE_E_KEY);
    ck_assert_uint_eq(brine_dict_count(d), 0);
}
END_TEST

/* (a, (b, c)) as a fresh tuple. */
static brine_value *pair_key(int64_t a, int64_t b, const char *c)
{
    brine_value *t = brine_tuple_new(doc, NULL), *inner = brine_tuple_new(doc, NULL);
    brine_seq_append(t, I(a), NULL);
    brine_seq_append(inner, I(b), NULL);
    brine_seq_append(inner, S(c), NULL);
    brine_seq_append(t, inner, NULL);
    return t;
}

START_TEST(test_tuple_keys_compare_element_by_element)
{
    brine_value *d = brine_dict_new(doc, &err);
    for (int i = 0; i < 50; i++)
        ck_assert_int_eq(brine_dict_set(d, pair_key(i, -i, "x"), I(i), &err), BRINE_OK);
    brine_dict_set(d, brine_tuple_new(doc, NULL), I(-1), &err);
    ck_assert_uint_eq(brine_dict_count(d), 51);
    for (int i = 0; i < 50; i++)
        ck_assert_int_eq(get_int(brine_dict_get(d, pair_key(i, -i, "x"))), i);
    ck_assert_ptr_null(brine_dict_get(d, pair_key(1, -1, "y")));
    ck_assert_ptr_null(brine_dict_get(d, pair_key(1, 1, "x")));
    ck_assert_int_eq(get_int(brine_dict_get(d, brine_tuple_new(doc, NULL))), -1);
    /* A list with the same elements is a different (unhashable) key. */
    brine_value *l = brine_list_new(doc, NULL);
    ck_assert_ptr_null(brine_dict_get(d, l));
    /* Replacing through an equal tuple keeps the first position. */
    brine_dict_set(d, pair_key(0, 0, "x"), I(100), &err);
    size_t it = 0;
    brine_value *v;
    brine_dict_next(d, &it, NULL, &v);
    ck_assert_int_eq(get_int(v), 100);
    ck_assert_int_eq(err.code, BRINE_OK);
}
END_TEST

START_TEST(test_tuple_keys_deeper_than_the_limit_fail_with_depth)
{
    brine_doc_set_max_depth(doc, 50);
    brine_value *d = brine_dict_new(doc, &err);
    brine_value *key = brine_tuple_new(doc, NULL), *t = key;
    for (int i = 1; i < 50; i++) {
        brine_value *n = brine_tuple_new(doc, NULL);
        brine_seq_append(t, n, NULL);
        t = n;
    }
    ck_assert_int_eq(brine_dict_set(d, key, I(1), &err), BRINE_OK); /* depth 50 */
    ck_assert_int_eq(get_int(brine_dict_get(d, key)), 1);
    brine_seq_append(t, brine_tuple_new(doc, NULL), NULL); /* now 51: a new key */
    ck_assert_int_eq(brine_dict_set(d, key, I(1), &err), BRINE_E_DEPTH);
    expect_error(&err, BRINE_E_DEPTH, BRINE_NO_OFFSET, "",
                 "maximum recursion depth exceeded while hashing a dict key (limit 50)");
    /* A tuple that contains itself never hashes: depth error, no hang. */
    brine_value *self = brine_tuple_new(doc, NULL);
    brine_seq_append(self, self, NULL);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_dict_set(d, self, I(1), &err), BRINE_E_DEPTH);
    ck_assert_uint_eq(brine_dict_count(d), 1);
}
END_TEST

/* t0 = (), t(i+1) = (t(i), t(i)): 2^levels paths through levels + 1 nodes. */
static brine_value *tuple_dag(int levels, int64_t leaf)
{
    brine_value *t = brine_tuple_new(doc, NULL);
    brine_seq_append(t, I(leaf), NULL);
    for (int i = 0; i < levels; i++) {
        brine_value *up = brine_tuple_new(doc, NULL);
        brine_seq_append(up, t, NULL);
        brine_seq_append(up, t, NULL);
        t = up;
    }
    return t;
}

START_TEST(test_tuple_keys_sharing_sub_tuples_hash_and_compare_in_linear_time)
{
    /* Walked path by path, these keys would take 2^80 steps. */
    brine_value *d = brine_dict_new(doc, &err);
    ck_assert_int_eq(brine_dict_set(d, tuple_dag(80, 1), I(1), &err), BRINE_OK);
    ck_assert_int_eq(brine_dict_set(d, tuple_dag(80, 2), I(2), &err), BRINE_OK);
    ck_assert_int_eq(brine_dict_set(d, tuple_dag(80, 1), I(3), &err), BRINE_OK); /* equal: replaces */
    ck_assert_uint_eq(brine_dict_count(d), 2);
    ck_assert_int_eq(get_int(brine_dict_get(d, tuple_dag(80, 1))), 3);
    ck_assert_int_eq(get_int(brine_dict_get(d, tuple_dag(80, 2))), 2);
    ck_assert_ptr_null(brine_dict_get(d, tuple_dag(80, 3)));
    ck_assert_ptr_null(brine_dict_get(d, tuple_dag(79, 1)));
    /* Keys compare by value: the same tree without sharing is the same key. */
    brine_value *tree = brine_tuple_new(doc, NULL);
    for (int i = 0; i < 2; i++) {
        brine_value *mid = brine_tuple_new(doc, NULL);
        for (int j = 0; j < 2; j++) {
            brine_value *leaf = brine_tuple_new(doc, NULL);
            brine_seq_append(leaf, I(7), NULL);
            brine_seq_append(mid, leaf, NULL);
        }
        brine_seq_append(tree, mid, NULL);
    }
    ck_assert_int_eq(brine_dict_set(d, tuple_dag(2, 7), I(4), &err), BRINE_OK);
    ck_assert_int_eq(get_int(brine_dict_get(d, tree)), 4);
    ck_assert_int_eq(err.code, BRINE_OK);
}
END_TEST

START_TEST(test_dict_calls_refuse_other_types_and_documents)
{
    brine_value *l = brine_list_new(doc, &err);
    ck_assert_int_eq(brine_dict_set(l, I(1), I(1), &err), BRINE_E_TYPE);
    expect_error(&err, BRINE_E_TYPE, BRINE_NO_OFFSET, "", "a dict is needed, not list");
    ck_assert_uint_eq(brine_dict_count(l), 0);
    ck_assert_ptr_null(brine_dict_get(l, I(1)));
    size_t it = 0;
    ck_assert_int_eq(brine_dict_next(l, &it, NULL, NULL), 0);
    brine_doc *other = brine_doc_new();
    brine_value *d = brine_dict_new(doc, &err);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_dict_set(d, brine_str_new_cstr(other, "k", NULL), I(1), &err), BRINE_E_INVALID);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_dict_set(d, I(1), brine_list_new(other, NULL), &err), BRINE_E_INVALID);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_dict_set_str(d, "k", brine_list_new(other, NULL), &err), BRINE_E_INVALID);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_dict_set_str(d, "bad\xc3", I(1), &err), BRINE_E_UTF8);
    expect_error(&err, BRINE_E_UTF8, 3, "", "invalid UTF-8 in a str at byte 3");
    ck_assert_uint_eq(brine_dict_count(d), 0);
    /* Looking up with a key of another document is fine: nothing is stored. */
    brine_dict_set_str(d, "k", I(5), NULL);
    ck_assert_int_eq(get_int(brine_dict_get(d, brine_str_new_cstr(other, "k", NULL))), 5);
    brine_doc_free(other);
}
END_TEST

START_TEST(test_str_keys_set_either_way_are_the_same_key)
{
    brine_value *d = brine_dict_new(doc, &err);
    brine_dict_set_str(d, "alpha", I(1), &err);
    brine_dict_set(d, S("alpha"), I(2), &err);
    ck_assert_uint_eq(brine_dict_count(d), 1);
    ck_assert_int_eq(get_int(brine_dict_get_str(d, "alpha")), 2);
    /* Also once the dict has an index (more than 8 entries). */
    char key[16];
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof key, "k%d", i);
        brine_dict_set_str(d, key, I(i), &err);
    }
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(get_int(brine_dict_get(d, S(key))), i);
        brine_dict_set(d, S(key), I(i * 2), &err);
        ck_assert_int_eq(get_int(brine_dict_get_str(d, key)), i * 2);
    }
    ck_assert_uint_eq(brine_dict_count(d), 41);
    ck_assert_int_eq(err.code, BRINE_OK);
}
END_TEST

START_TEST(test_a_dict_can_contain_itself)
{
    brine_value *d = brine_dict_new(doc, &err);
    ck_assert_int_eq(brine_dict_set_str(d, "self", d, &err), BRINE_OK);
    brine_value *v = brine_dict_get_str(d, "self");
    ck_assert_int_eq(brine_type_of(v), BRINE_DICT);
    ck_assert_ptr_nonnull(brine_dict_get_str(v, "self"));
    /* Storing a value read from the dict itself, while the dict grows. */
    for (int i = 0; i < 100; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(brine_dict_set_str(d, key, brine_dict_get_str(d, "self"), &err), BRINE_OK);
    }
    ck_assert_uint_eq(brine_dict_count(brine_dict_get_str(d, "k99")), 101);
}
END_TEST

START_TEST(test_a_hundred_thousand_keys_are_found)
{
    brine_value *d = brine_dict_new(doc, &err);
    char key[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        REQUIRE(brine_dict_set_str(d, key, I(i), &err) == BRINE_OK);
        REQUIRE(brine_dict_set(d, I(i), I(-i), &err) == BRINE_OK);
    }
    ck_assert_uint_eq(brine_dict_count(d), 200000);
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        REQUIRE(get_int(brine_dict_get_str(d, key)) == i);
        REQUIRE(get_int(brine_dict_get(d, I(i))) == -i);
    }
    ck_assert_ptr_null(brine_dict_get_str(d, "key-100000"));
    ck_assert_ptr_null(brine_dict_get(d, I(100000)));
    /* Delete every other one; the rest keep their order. */
    for (int i = 0; i < 100000; i += 2)
        REQUIRE(brine_dict_del(d, I(i), &err) == BRINE_OK);
    ck_assert_uint_eq(brine_dict_count(d), 150000);
    size_t it = 0, n = 0;
    brine_value *k, *v;
    int64_t last_int = -1;
    while (brine_dict_next(d, &it, &k, &v)) {
        n++;
        if (brine_type_of(k) == BRINE_INT) {
            int64_t x = get_int(k);
            REQUIRE(x % 2 == 1);
            REQUIRE(x > last_int);
            last_int = x;
        }
    }
    ck_assert_uint_eq(n, 150000);
}
END_TEST

/* A naive model: parallel arrays of int keys and values in order. */
typedef struct model {
    int64_t keys[4096], vals[4096];
    size_t count;
} model;

static ptrdiff_t model_find(const model *m, int64_t k)
{
    for (size_t i = 0; i < m->count; i++)
        if (m->keys[i] == k)
            return (ptrdiff_t)i;
    return -1;
}

START_TEST(test_random_operations_match_a_naive_model)
{
    static model m;
    m.count = 0;
    brine_value *d = brine_dict_new(doc, &err);
    uint64_t rng = 12345;
    for (int step = 0; step < 60000; step++) {
        rng = rng * 6364136223846793005u + 1442695040888963407u;
        int64_t k = (int64_t)((rng >> 33) % 600);
        int op = (int)((rng >> 20) % 3);
        ptrdiff_t at = model_find(&m, k);
        if (op < 2) {
            REQUIRE(brine_dict_set(d, I(k), I(step), &err) == BRINE_OK);
            if (at >= 0) {
                m.vals[at] = step;
            } else {
                m.keys[m.count] = k;
                m.vals[m.count++] = step;
            }
        } else {
            REQUIRE(brine_dict_del(d, I(k), NULL) == (at >= 0 ? BRINE_OK : BRINE_E_NOTFOUND));
            if (at >= 0) {
                memmove(&m.keys[at], &m.keys[at + 1], (m.count - (size_t)at - 1) * sizeof m.keys[0]);
                memmove(&m.vals[at], &m.vals[at + 1], (m.count - (size_t)at - 1) * sizeof m.vals[0]);
                m.count--;
            }
        }
        if (step % 997 == 0 || step > 59000) {
            ck_assert_uint_eq(brine_dict_count(d), m.count);
            size_t it = 0, i = 0;
            brine_value *kv, *vv;
            while (brine_dict_next(d, &it, &kv, &vv)) {
                REQUIRE(get_int(kv) == m.keys[i]);
                REQUIRE(get_int(vv) == m.vals[i]);
                i++;
            }
            ck_assert_uint_eq(i, m.count);
            for (int64_t q = 0; q < 600; q += 7) {
                ptrdiff_t a = model_find(&m, q);
                brine_value *got = brine_dict_get(d, I(q));
                if (a < 0)
                    REQUIRE(got == NULL);
                else
                    REQUIRE(get_int(got) == m.vals[a]);
            }
        }
    }
    REQUIRE(err.code == BRINE_OK);
}
END_TEST

static Suite *dict_suite(void)
{
    Suite *s = suite_create("dict");
    TCase *tc = tcase_create("order");
    doc_fixture(tc, &doc, &err);
    tcase_add_test(tc, test_dict_iterates_in_insertion_order);
    tcase_add_test(tc, test_dict_replacement_keeps_the_first_position);
    tcase_add_test(tc, test_dict_delete_keeps_order_and_reinsert_goes_last);
    suite_add_tcase(s, tc);

    tc = tcase_create("keys");
    doc_fixture(tc, &doc, &err);
    tcase_add_loop_test(tc, test_keys_compare_by_type_and_value, 0, (int)(sizeof key_cases / sizeof key_cases[0]));
    tcase_add_test(tc, test_unhashable_keys_are_refused);
    tcase_add_test(tc, test_tuple_keys_compare_element_by_element);
    tcase_add_test(tc, test_tuple_keys_deeper_than_the_limit_fail_with_depth);
    tcase_add_test(tc, test_tuple_keys_sharing_sub_tuples_hash_and_compare_in_linear_time);
    tcase_add_test(tc, test_dict_calls_refuse_other_types_and_documents);
    tcase_add_test(tc, test_str_keys_set_either_way_are_the_same_key);
    tcase_add_test(tc, test_a_dict_can_contain_itself);
    suite_add_tcase(s, tc);

    tc = tcase_create("scale");
    doc_fixture(tc, &doc, &err);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_hundred_thousand_keys_are_found);
    tcase_add_test(tc, test_random_operations_match_a_naive_model);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dict_suite)
