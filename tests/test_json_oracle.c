/* test_json_oracle.c: the json plugin against references: cJSON_Parse as
 * the oracle on valid documents (where cJSON is exact, brine's values agree
 * with it), the corpus files (bench/corpus) round tripped semantically,
 * canada.json's floats bit-exact, and twitter.json's ids digit for digit.
 */
#include <cjson/cJSON.h>
#include <math.h>

#include "json_util.h"

/* The corpus is in the tree (bench/corpus): a missing file is a failure. */
static void require_corpus(void)
{
    FILE *fp = fopen(CORPUS "/twitter.json", "rb");
    ck_assert_msg(fp != NULL, "cannot read %s/twitter.json", CORPUS);
    fclose(fp);
}

static const char *const corpus_files[] = {"twitter.json", "citm_catalog.json", "canada.json"};

/* Compares a cJSON tree with a brine value decoded with "plain". The
 * corpus nests a few levels only, so this test helper may recurse. */
static void same_as_cjson(const cJSON *c, const brine_value *v, const char *where)
{
    brine_type t = brine_type_of(v);
    size_t len;
    if (cJSON_IsNull(c))
        ck_assert_msg(t == BRINE_NULL, "%s: null", where);
    else if (cJSON_IsBool(c)) {
        ck_assert_msg(t == BRINE_BOOL, "%s: bool", where);
        ck_assert_int_eq(brine_bool_get(v), cJSON_IsTrue(c) ? 1 : 0);
    } else if (cJSON_IsString(c)) {
        ck_assert_msg(t == BRINE_STR, "%s: str", where);
        const char *s = brine_str_get(v, &len);
        ck_assert_msg(len == strlen(c->valuestring) && memcmp(s, c->valuestring, len) == 0, "%s: '%s' vs '%s'", where,
                      s, c->valuestring);
    } else if (cJSON_IsNumber(c)) {
        if (t == BRINE_FLOAT) { /* the same bits, -0.0 included */
            double d = brine_float_get(v);
            ck_assert_msg(memcmp(&d, &c->valuedouble, sizeof d) == 0, "%s: %.17g vs %.17g", where, d, c->valuedouble);
        } else { /* an exact int, which strtod rounds as cJSON did ("-0" is the int 0) */
            ck_assert_msg(t == BRINE_INT, "%s: number", where);
            char *digits = brine_int_to_decimal(v);
            double d = strtod(digits, NULL);
            brine_free(digits);
            ck_assert_msg(d == c->valuedouble, "%s: %.17g vs %.17g", where, d, c->valuedouble);
        }
    } else if (cJSON_IsArray(c)) {
        ck_assert_msg(t == BRINE_LIST, "%s: list", where);
        ck_assert_uint_eq(brine_seq_count(v), (size_t)cJSON_GetArraySize(c));
        size_t i = 0;
        for (const cJSON *e = c->child; e; e = e->next, i++)
            same_as_cjson(e, brine_seq_get(v, i), where);
    } else {
        ck_assert_msg(cJSON_IsObject(c) && t == BRINE_DICT, "%s: dict", where);
        ck_assert_uint_eq(brine_dict_count(v), (size_t)cJSON_GetArraySize(c));
        size_t it = 0;
        brine_value *k, *val;
        for (const cJSON *e = c->child; e; e = e->next) {
            ck_assert(brine_dict_next(v, &it, &k, &val));
            const char *s = brine_str_get(k, &len);
            ck_assert_msg(len == strlen(e->string) && memcmp(s, e->string, len) == 0, "%s: key %s", where, e->string);
            same_as_cjson(e, val, e->string);
        }
    }
}

static void differential(const char *text, size_t len, const char *where)
{
    cJSON *c = cJSON_ParseWithLength(text, len);
    ck_assert_msg(c != NULL, "cJSON refuses %s", where);
    brine_error err;
    brine_doc *d = dec_n(text, len, "plain", 0, &err);
    ck_assert_msg(d != NULL, "%s: %s", where, err.message);
    same_as_cjson(c, brine_doc_root(d), where);
    brine_doc_free(d);
    cJSON_Delete(c);
}

START_TEST(test_values_agree_with_cjson_on_valid_documents)
{
    static const char *const docs[] = {
        "[0.1, 1e-7, 1E+2, -0, 0.0, 123456789, 9007199254740993, 123456789012345678901234, -1.5e-300, "
        "2.2250738585072011e-308,"
        " 4.9406564584124654e-324, 1.7976931348623157e308, 0.30000000000000004, 3.141592653589793238462643383279]",
        "{\"a\": \"\\u00e9\\u65e5\\ud83d\\ude00\\t\\\"\\\\\\/\", \"b\": [true, false, null, {}, []], \"c\": \"\"}",
        "  [ [ [ 1 ] , { \"x\" : { \"y\" : [ ] } } ] ]  ",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        differential(docs[i], strlen(docs[i]), docs[i]);
    require_corpus();
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", CORPUS, corpus_files[i]);
        char *text = slurp(path, &len);
        ck_assert_ptr_nonnull(text);
        differential(text, len, corpus_files[i]);
        free(text);
    }
}
END_TEST

START_TEST(test_corpus_files_round_trip_through_json_semantically)
{
    require_corpus();
    /* Encoding options, and the decoding options that go with them. */
    static const char *const forms[][2] = {{NULL, NULL},     {"pretty", NULL},   {"ascii", NULL},
                                           {"refs", "refs"}, {"plain", "plain"}, {"sort_keys", NULL}};
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", CORPUS, corpus_files[i]);
        char *text = slurp(path, &len);
        brine_error err;
        brine_doc *d = dec_n(text, len, NULL, 0, &err);
        ck_assert_msg(d != NULL, "%s: %s", corpus_files[i], err.message);
        for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
            size_t out_len;
            char *out = enc_d(brine_doc_root(d), forms[f][0], 0, &out_len, &err);
            ck_assert_msg(out != NULL, "%s: %s", corpus_files[i], err.message);
            brine_doc *back = dec_n(out, out_len, forms[f][1], 0, &err);
            ck_assert_msg(back != NULL, "%s (%s): %s", corpus_files[i], forms[f][0], err.message);
            if (f == 5) { /* sorted: the same entries in another order, and sorting again changes nothing */
                ck_assert_uint_eq(brine_dict_count(brine_doc_root(back)), brine_dict_count(brine_doc_root(d)));
                char *again = enc(brine_doc_root(back), "sort_keys", &err);
                ck_assert_str_eq(again, out);
                brine_free(again);
            } else
                ck_assert_int_eq(brine_value_equal(brine_doc_root(d), brine_doc_root(back), 0, &err), 1);
            brine_doc_free(back);
            brine_free(out);
        }
        brine_doc_free(d);
        free(text);
    }
}
END_TEST

START_TEST(test_canada_floats_come_back_bit_exact)
{
    require_corpus();
    size_t len;
    char *text = slurp(CORPUS "/canada.json", &len);
    brine_error err;
    brine_doc *d = dec_n(text, len, NULL, 0, &err);
    ck_assert_ptr_nonnull(d);
    /* brine_value_equal compares floats by their bits. */
    char *out = enc(brine_doc_root(d), NULL, &err);
    brine_doc *back = dec(out, NULL, &err);
    ck_assert_int_eq(brine_value_equal(brine_doc_root(d), brine_doc_root(back), 0, &err), 1);
    /* And the floats agree with strtod of each token (cJSON's values). */
    cJSON *c = cJSON_ParseWithLength(text, len);
    brine_doc *plain = dec_n(out, strlen(out), "plain", 0, &err);
    same_as_cjson(c, brine_doc_root(plain), "canada");
    cJSON_Delete(c);
    brine_doc_free(plain);
    brine_doc_free(back);
    brine_free(out);
    brine_doc_free(d);
    free(text);
}
END_TEST

/* The digits of every `"id": <digits>` in text, in order, NUL-separated. */
static size_t id_tokens(const char *text, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = strstr(text, "\"id\":"); p; p = strstr(p + 1, "\"id\":")) {
        const char *q = p + 5;
        while (*q == ' ')
            q++;
        while (*q >= '0' && *q <= '9' && n + 2 < cap)
            out[n++] = *q++;
        out[n++] = '\0';
    }
    return n;
}

START_TEST(test_twitter_ids_come_back_digit_for_digit)
{
    require_corpus();
    size_t len;
    char *text = slurp(CORPUS "/twitter.json", &len);
    brine_error err;
    brine_doc *d = dec_n(text, len, NULL, 0, &err);
    ck_assert_ptr_nonnull(d);
    brine_value *first = brine_seq_get(brine_dict_get_str(brine_doc_root(d), "statuses"), 0);
    uint64_t id;
    ck_assert_int_eq(brine_int_get_u64(brine_dict_get_str(first, "id"), &id), BRINE_OK);
    ck_assert(id == 505874924095815700ull); /* a double would hold 505874924095815680 */
    char *out = enc(brine_doc_root(d), NULL, &err);
    size_t cap = len, n_in, n_out;
    char *a = malloc(cap), *b = malloc(cap);
    n_in = id_tokens(text, a, cap);
    n_out = id_tokens(out, b, cap);
    ck_assert_uint_gt(n_in, 2000);
    ck_assert_uint_eq(n_in, n_out);
    ck_assert_mem_eq(a, b, n_in);
    free(a);
    free(b);
    brine_free(out);
    brine_doc_free(d);
    free(text);
}
END_TEST

static Suite *oracle_suite(void)
{
    Suite *s = suite_create("json_oracle");
    TCase *tc = tcase_create("json_oracle");
    registry_fixture(tc, &reg, fixture_formats);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_values_agree_with_cjson_on_valid_documents);
    tcase_add_test(tc, test_corpus_files_round_trip_through_json_semantically);
    tcase_add_test(tc, test_canada_floats_come_back_bit_exact);
    tcase_add_test(tc, test_twitter_ids_come_back_digit_for_digit);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(oracle_suite)
