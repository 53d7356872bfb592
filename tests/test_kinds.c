/* test_kinds.c: brine_value_kinds, the document's record of the kinds of
 * value beyond JSON's that it may hold (brine.h, KINDS): set by decoding
 * (the builder), by the value API's constructors and stores, by links past
 * one and by brine_value_copy; a superset, as the header says.
 */
#include <check.h>
#include <math.h>

#include "json_util.h"

#define ENV(x) "{\"$brine\":1,\"value\":" x "}"

/* "0x" and the hex digits of 2^bits - minus (minus 0 or 1). */
static char *pow2_hex(size_t bits, int minus)
{
    char *s = malloc(bits / 4 + 8);
    ck_assert_ptr_nonnull(s);
    size_t n = 0;
    s[n++] = '0';
    s[n++] = 'x';
    if (minus) { /* bits one-bits */
        if (bits % 4)
            s[n++] = "0137"[bits % 4];
        for (size_t i = 0; i < bits / 4; i++)
            s[n++] = 'f';
    } else {
        s[n++] = "1248"[bits % 4];
        for (size_t i = 0; i < bits / 4; i++)
            s[n++] = '0';
    }
    s[n] = '\0';
    return s;
}

static const struct {
    const char *text, *opts;
    unsigned want;
} decoded[] = {
    {"{\"a\":[1,2.5,\"s\",null,true,-7,18446744073709551616],\"$ref\":{}}", NULL, 0},
    {"[1e400]", NULL, BRINE_KIND_NONFINITE}, /* JSON's number, past double: inf */
    {"[-1e400]", NULL, BRINE_KIND_NONFINITE},
    {"[1.7976931348623157e308,5e-324]", NULL, 0}, /* the largest finite and the least subnormal */
    {ENV("[{\"$tuple\":[1]}]"), NULL, BRINE_KIND_TUPLE},
    {ENV("{\"a\":{\"$bytes\":\"AA==\"}}"), NULL, BRINE_KIND_BYTES},
    {ENV("[{\"$complex\":[1.0,2.0]}]"), NULL, BRINE_KIND_COMPLEX},
    {ENV("{\"$model\":\"m\",\"args\":[1],\"state\":null}"), NULL, BRINE_KIND_MODEL | BRINE_KIND_TUPLE},
    {ENV("[{\"x\":1,\"$1\":2}]"), NULL, BRINE_KIND_KEY},
    {ENV("[{\"$null\":2}]"), NULL, BRINE_KIND_KEY},
    {ENV("[{\"$$a\":2}]"), NULL, 0}, /* "$a", a str key */
    {ENV("[{\"$float\":\"nan\"}]"), NULL, BRINE_KIND_NONFINITE},
    {ENV("[{\"$anchor\":1,\"$list\":[]},{\"$alias\":1}]"), "refs", BRINE_KIND_SHARED},
    {ENV("{\"$anchor\":1,\"$list\":[{\"$alias\":1}]}"), "refs", BRINE_KIND_SHARED}, /* a cycle through the root */
    {ENV("[{\"$anchor\":1,\"$list\":[]}]"), "refs", 0},                             /* anchored, stored once */
};

START_TEST(test_decoding_records_the_kinds_it_builds)
{
    brine_error err;
    brine_doc *d = dec(decoded[_i].text, decoded[_i].opts, &err);
    ck_assert_msg(d != NULL, "%s: %s", decoded[_i].text, err.message);
    ck_assert_msg(brine_value_kinds(brine_doc_root(d)) == decoded[_i].want, "%s: kinds 0x%x, want 0x%x",
                  decoded[_i].text, brine_value_kinds(brine_doc_root(d)), decoded[_i].want);
    brine_doc_free(d);
}
END_TEST

/* Ints of 1786 bytes or more may have more than 4300 digits; 1785 bytes
 * (2^14279 - 1, 4299 digits) may not. */
START_TEST(test_ints_of_1786_bytes_and_up_are_huge)
{
    static const struct {
        size_t bits;
        int minus;
        size_t bytes;
        unsigned want;
    } ints[] = {{14279, 1, 1785, 0}, {14279, 0, 1786, BRINE_KIND_HUGE_INT}, {14300, 0, 1788, BRINE_KIND_HUGE_INT}};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        char *hex = pow2_hex(ints[i].bits, ints[i].minus);
        size_t len = strlen(hex) + 64;
        char *text = malloc(len);
        snprintf(text, len, ENV("[{\"$int\":\"%s\"}]"), hex);
        brine_error err;
        brine_doc *d = dec(text, NULL, &err);
        ck_assert_msg(d != NULL, "%s", err.message);
        const brine_value *v = brine_seq_get(brine_doc_root(d), 0);
        unsigned char le[1800];
        ck_assert_uint_eq(brine_int_to_bytes(v, le, sizeof le), ints[i].bytes);
        ck_assert_uint_eq(brine_value_kinds(brine_doc_root(d)), ints[i].want);
        ck_assert_uint_eq(brine_value_kinds(v), ints[i].want);
        /* The value API's constructor, in a document of its own. */
        brine_doc *d2 = brine_doc_new();
        brine_value *w = brine_int_new_bytes(d2, le, ints[i].bytes, NULL);
        ck_assert_ptr_nonnull(w);
        ck_assert_uint_eq(brine_value_kinds(w), ints[i].want);
        brine_doc_free(d2);
        brine_doc_free(d);
        free(hex);
        free(text);
    }
}
END_TEST

START_TEST(test_the_value_api_records_what_it_makes_and_stores)
{
    brine_doc *d = brine_doc_new();
    brine_value *root = brine_doc_root(d);
    brine_value *l = brine_list_new(d, NULL), *dict = brine_dict_new(d, NULL);
    ck_assert_uint_eq(brine_value_kinds(root), 0);
    ck_assert_int_eq(brine_seq_append(l, brine_float_new(d, 1.5, NULL), NULL), BRINE_OK);
    ck_assert_int_eq(brine_dict_set_str(dict, "$ref", brine_str_new_cstr(d, "x", NULL), NULL), BRINE_OK);
    ck_assert_int_eq(brine_seq_append(l, dict, NULL), BRINE_OK);
    ck_assert_uint_eq(brine_value_kinds(l), 0);
    static const unsigned steps[] = {BRINE_KIND_NONFINITE, BRINE_KIND_TUPLE, BRINE_KIND_BYTES, BRINE_KIND_COMPLEX,
                                     BRINE_KIND_MODEL,     BRINE_KIND_KEY,   BRINE_KIND_SHARED};
    unsigned want = 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        switch (i) {
        case 0: brine_float_new(d, NAN, NULL); break;
        case 1: brine_tuple_new(d, NULL); break;
        case 2: brine_bytes_new(d, "b", 1, NULL); break;
        case 3: brine_complex_new(d, 1, 2, NULL); break;
        case 4: brine_model_new(d, "m", 1, NULL); break;
        case 5: brine_dict_set(dict, brine_int_new(d, 5, NULL), brine_null_new(d, NULL), NULL); break;
        case 6: brine_seq_append(l, dict, NULL); break; /* dict in two places */
        }
        want |= steps[i];
        ck_assert_msg(brine_value_kinds(l) == want, "step %zu: 0x%x, want 0x%x", i, brine_value_kinds(l), want);
    }
    brine_doc_free(d);
}
END_TEST

START_TEST(test_stores_record_scalars_from_other_documents_and_links_past_one)
{
    /* A float carries no document: stored in another document's list, its
     * kind goes with it. */
    brine_doc *a = brine_doc_new(), *b = brine_doc_new();
    brine_value *inf = brine_float_new(a, INFINITY, NULL), *l = brine_list_new(b, NULL);
    ck_assert_uint_eq(brine_value_kinds(inf), BRINE_KIND_NONFINITE);
    ck_assert_uint_eq(brine_value_kinds(l), 0);
    ck_assert_int_eq(brine_seq_append(l, inf, NULL), BRINE_OK);
    ck_assert_uint_eq(brine_value_kinds(l), BRINE_KIND_NONFINITE);
    /* A list in itself: the root of a cycle, one link. */
    brine_doc *cd = brine_doc_new();
    brine_value *c = brine_list_new(cd, NULL);
    ck_assert_uint_eq(brine_value_kinds(c), 0);
    ck_assert_int_eq(brine_seq_append(c, c, NULL), BRINE_OK);
    ck_assert_uint_eq(brine_value_kinds(c), BRINE_KIND_SHARED);
    /* A list stored once, walked from itself, meets itself once more (the
     * walker anchors it with refs): shared; the document's root is not. */
    brine_doc *e = brine_doc_new();
    brine_value *outer = brine_list_new(e, NULL), *inner = brine_list_new(e, NULL);
    ck_assert_int_eq(brine_seq_append(outer, inner, NULL), BRINE_OK);
    ck_assert_int_eq(brine_doc_set_root(e, outer, NULL), BRINE_OK);
    ck_assert_uint_eq(brine_value_kinds(brine_doc_root(e)), 0);
    ck_assert_uint_eq(brine_value_kinds(inner), BRINE_KIND_SHARED);
    /* Over-approximation: a tuple stored and then replaced still counts. */
    ck_assert_int_eq(brine_seq_append(outer, brine_tuple_new(e, NULL), NULL), BRINE_OK);
    ck_assert_int_eq(brine_seq_set(outer, 1, brine_null_new(e, NULL), NULL), BRINE_OK);
    ck_assert_uint_eq(brine_value_kinds(brine_doc_root(e)), BRINE_KIND_TUPLE);
    ck_assert_uint_eq(brine_value_kinds(NULL), 0);
    brine_doc_free(a);
    brine_doc_free(b);
    brine_doc_free(cd);
    brine_doc_free(e);
}
END_TEST

START_TEST(test_a_copy_carries_the_kinds_and_its_own_sharing)
{
    brine_error err;
    brine_doc *src = dec(ENV("[{\"$anchor\":1,\"$list\":[]},{\"$alias\":1},[{\"$tuple\":[]}],[3]]"), "refs", &err);
    ck_assert_ptr_nonnull(src);
    ck_assert_uint_eq(brine_value_kinds(brine_doc_root(src)), BRINE_KIND_SHARED | BRINE_KIND_TUPLE);
    brine_doc *dst = brine_doc_new();
    /* [3] alone: the source's tuple counts (a superset), its sharing does not. */
    brine_value *copy = brine_value_copy(dst, brine_seq_get(brine_doc_root(src), 3), 0, &err);
    ck_assert_ptr_nonnull(copy);
    ck_assert_uint_eq(brine_value_kinds(copy), BRINE_KIND_TUPLE);
    brine_doc_free(dst);
    /* The whole value: the copy shares as the source does. */
    dst = brine_doc_new();
    copy = brine_value_copy(dst, brine_doc_root(src), 0, &err);
    ck_assert_ptr_nonnull(copy);
    ck_assert_uint_eq(brine_value_kinds(copy), BRINE_KIND_SHARED | BRINE_KIND_TUPLE);
    brine_doc_free(dst);
    brine_doc_free(src);
}
END_TEST

/* Ordinary JSON holds none: the corpus decodes with kinds 0, so auto
 * writes it as plain JSON without looking further. */
START_TEST(test_the_corpus_holds_no_kind_beyond_json)
{
    static const char *const files[] = {CORPUS "/twitter.json", CORPUS "/citm_catalog.json", CORPUS "/canada.json",
                                        BRINE_TEST_DATA "/json/schema.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char *text = slurp(files[i], &len);
        ck_assert_msg(text != NULL, "cannot read %s", files[i]);
        brine_error err;
        brine_doc *d = dec_n(text, len, NULL, 0, &err);
        ck_assert_msg(d != NULL, "%s: %s", files[i], err.message);
        ck_assert_msg(brine_value_kinds(brine_doc_root(d)) == 0, "%s", files[i]);
        brine_doc_free(d);
        free(text);
    }
}
END_TEST

static Suite *kinds_suite(void)
{
    Suite *s = suite_create("kinds");
    TCase *tc = tcase_create("kinds");
    registry_fixture(tc, &reg, fixture_formats);
    tcase_add_loop_test(tc, test_decoding_records_the_kinds_it_builds, 0, (int)(sizeof decoded / sizeof decoded[0]));
    tcase_add_test(tc, test_ints_of_1786_bytes_and_up_are_huge);
    tcase_add_test(tc, test_the_value_api_records_what_it_makes_and_stores);
    tcase_add_test(tc, test_stores_record_scalars_from_other_documents_and_links_past_one);
    tcase_add_test(tc, test_a_copy_carries_the_kinds_and_its_own_sharing);
    tcase_add_test(tc, test_the_corpus_holds_no_kind_beyond_json);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(kinds_suite)
