/* test_json.c: the json plugin (docs/json.md): tags both ways, plain mode,
 * exact numbers and strings, the broken documents of data/json/errors.tsv,
 * depth, references, JSON Lines, pretty/sorted/ascii output. The corpus
 * round trips and the cJSON differential test are in test_json_oracle.c.
 */
#include <math.h>
#include <unistd.h>

#include "json_util.h"

/* ---- small graph builders ------------------------------------------------------ */

static brine_value *nan_bits(brine_doc *d, uint64_t bits)
{
    double f;
    memcpy(&f, &bits, sizeof f);
    return brine_float_new(d, f, NULL);
}

static brine_value *tuple2(brine_doc *d, brine_value *a, brine_value *b)
{
    brine_value *t = brine_tuple_new(d, NULL);
    ck_assert_int_eq(brine_seq_append(t, a, NULL), BRINE_OK);
    ck_assert_int_eq(brine_seq_append(t, b, NULL), BRINE_OK);
    return t;
}

/* 2**bits as a brine int. */
static brine_value *pow2(brine_doc *d, size_t bits)
{
    size_t len = bits / 8 + 1 + (bits % 8 == 7);
    unsigned char *le = calloc(len, 1);
    le[bits / 8] = (unsigned char)(1u << (bits % 8));
    brine_value *v = brine_int_new_bytes(d, le, len, NULL);
    free(le);
    return v;
}

static void append(brine_value *seq, brine_value *v)
{
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(brine_seq_append(seq, v, NULL), BRINE_OK);
}

static void assert_equal(const brine_value *a, const brine_value *b)
{
    brine_error err;
    brine_error_clear(&err);
    if (brine_value_equal(a, b, 0, &err) != 1) {
        char ra[200], rb[200];
        brine_value_repr(a, ra, sizeof ra, 0, NULL);
        brine_value_repr(b, rb, sizeof rb, 0, NULL);
        for (size_t i = 0; i < brine_seq_count(a) && i < brine_seq_count(b); i++)
            if (brine_value_equal(brine_seq_get(a, i), brine_seq_get(b, i), 0, NULL) != 1) {
                brine_value_repr(brine_seq_get(a, i), ra, sizeof ra, 0, NULL);
                brine_value_repr(brine_seq_get(b, i), rb, sizeof rb, 0, NULL);
                ck_abort_msg("element %zu differs: %s vs %s", i, ra, rb);
            }
        ck_abort_msg("values differ: %s vs %s", ra, rb);
    }
}

/* Decodes text and asserts it equals v. */
static void assert_decodes_to(const char *text, const char *opts, const brine_value *v)
{
    brine_error err;
    brine_doc *d = dec(text, opts, &err);
    ck_assert_msg(d != NULL, "decoding %s: %s", text, err.message);
    assert_equal(brine_doc_root(d), v);
    brine_doc_free(d);
}

/* A string literal inside brine's envelope, as the writer writes it. */
#define ENV(x) "{\"$brine\":1,\"value\":" x "}"

/* ---- tags ------------------------------------------------------------------------ */

START_TEST(test_every_type_json_lacks_is_written_as_its_tag_and_read_back)
{
    brine_doc *d = brine_doc_new();
    brine_value *l = brine_list_new(d, NULL);
    append(l, tuple2(d, brine_int_new(d, 1, NULL), brine_str_new_cstr(d, "a", NULL)));
    append(l, brine_tuple_new(d, NULL));
    append(l, brine_bytes_new(d, "\x00\x01\xff", 3, NULL));
    append(l, brine_complex_new(d, 1.5, -2, NULL));
    brine_value *m = brine_model_new(d, "pkg.Point", 9, NULL);
    ck_assert_int_eq(brine_model_set_args(m, tuple2(d, brine_int_new(d, 1, NULL), brine_int_new(d, 2, NULL)), NULL), 0);
    brine_value *state = brine_dict_new(d, NULL);
    ck_assert_int_eq(brine_dict_set_str(state, "z", brine_int_new(d, 3, NULL), NULL), BRINE_OK);
    ck_assert_int_eq(brine_model_set_state(m, state, NULL), BRINE_OK);
    append(l, m);
    append(l, brine_model_new(d, "M", 1, NULL));
    brine_value *keys = brine_dict_new(d, NULL);
    brine_value *one = brine_str_new_cstr(d, "x", NULL);
    ck_assert_int_eq(brine_dict_set(keys, brine_int_new(d, 1, NULL), one, NULL), BRINE_OK);
    ck_assert_int_eq(
        brine_dict_set(keys, tuple2(d, brine_int_new(d, 1, NULL), brine_str_new_cstr(d, "a", NULL)), one, NULL),
        BRINE_OK);
    ck_assert_int_eq(brine_dict_set(keys, brine_bytes_new(d, "k", 1, NULL), one, NULL), BRINE_OK);
    ck_assert_int_eq(brine_dict_set(keys, brine_float_new(d, 2.5, NULL), one, NULL), BRINE_OK);
    ck_assert_int_eq(brine_dict_set(keys, brine_null_new(d, NULL), one, NULL), BRINE_OK);
    ck_assert_int_eq(brine_dict_set(keys, brine_bool_new(d, 1, NULL), one, NULL), BRINE_OK);
    ck_assert_int_eq(brine_dict_set(keys, nan_bits(d, 0x7ff8000000000000ull), one, NULL), BRINE_OK);
    ck_assert_int_eq(brine_dict_set(keys, brine_complex_new(d, 0, 1, NULL), one, NULL), BRINE_OK);
    append(l, keys);
    append(l, nan_bits(d, 0x7ff8000000000000ull));
    append(l, nan_bits(d, 0x7ff4000000000001ull)); /* a signalling NaN with a payload */
    append(l, nan_bits(d, 0xfff8000000000000ull)); /* a negative NaN */
    append(l, brine_float_new(d, INFINITY, NULL));
    append(l, brine_float_new(d, -INFINITY, NULL));
    append(l, pow2(d, 100));
    append(l, pow2(d, 15000)); /* beyond 4300 decimal digits */
    ck_assert_int_eq(brine_doc_set_root(d, l, NULL), BRINE_OK);

    char want[8192];
    int n = snprintf(want, sizeof want,
                     "{\"$brine\":1,\"value\":[{\"$tuple\":[1,\"a\"]},{\"$tuple\":[]},{\"$bytes\":\"AAH/"
                     "\"},{\"$complex\":[1.5,-2.0]},"
                     "{\"$model\":\"pkg.Point\",\"args\":[1,2],\"state\":{\"z\":3}},"
                     "{\"$model\":\"M\",\"args\":[],\"state\":null},"
                     "{\"$1\":\"x\",\"$[1,\\\"a\\\"]\":\"x\",\"${\\\"$bytes\\\":\\\"aw==\\\"}\":\"x\",\"$2.5\":\"x\","
                     "\"$null\":\"x\",\"$true\":\"x\",\"${\\\"$float\\\":\\\"nan\\\"}\":\"x\","
                     "\"${\\\"$complex\\\":[0.0,1.0]}\":\"x\"},"
                     "{\"$float\":\"nan\"},{\"$float\":\"0x7ff4000000000001\"},{\"$float\":\"0xfff8000000000000\"},"
                     "{\"$float\":\"inf\"},{\"$float\":\"-inf\"},1267650600228229401496703205376,{\"$int\":\"0x1");
    for (int i = 0; i < 3750; i++)
        want[n++] = '0';
    snprintf(want + n, sizeof want - (size_t)n, "\"}]}");

    brine_error err;
    char *text = enc(l, NULL, &err);
    ck_assert_msg(text != NULL, "%s", err.message);
    ck_assert_str_eq(text, want);
    assert_decodes_to(text, NULL, l);
    brine_free(text);
    /* Pretty output reads back the same. */
    text = enc(l, "pretty", &err);
    ck_assert_ptr_nonnull(text);
    assert_decodes_to(text, NULL, l);
    brine_free(text);
    brine_doc_free(d);
}
END_TEST

START_TEST(test_tags_are_read_whatever_their_spacing_and_number_forms)
{
    brine_doc *d = brine_doc_new();
    brine_value *l = brine_list_new(d, NULL);
    append(l, tuple2(d, brine_int_new(d, 1, NULL), brine_tuple_new(d, NULL)));
    append(l, brine_complex_new(d, 1, NAN, NULL));
    append(l, brine_complex_new(d, 1e300, -0.0, NULL));
    append(l, brine_int_new(d, -31, NULL));
    append(l, brine_uint_new(d, UINT64_MAX, NULL));
    append(l, brine_float_new(d, 0.5, NULL));
    append(l, brine_bytes_new(d, "", 0, NULL));
    append(l, brine_bytes_new(d, "ab", 2, NULL));
    assert_decodes_to(" [ { \"$tuple\" : [ 1 , { \"$tuple\" : [ ] } ] } ,\n"
                      "{\"$complex\": [1, {\"$float\": \"nan\"}]}, {\"$complex\":[1e300,-0.0]},\n"
                      "{\"$int\": \"-0x1F\"}, {\"$int\": \"0xffffffffffffffff\"}, {\"$float\": \"0.5\"},"
                      "{\"$bytes\": \"\"}, {\"$bytes\": \"YWI=\"}]",
                      "legacy_tags", l);
    brine_doc_free(d);
}
END_TEST

START_TEST(test_a_user_dict_shaped_like_a_tag_round_trips)
{
    static const char *const cases[][2] = {
        {"{\"$tuple\":[1,2]}", "{\"$$tuple\":[1,2]}"},
        {"{\"$bytes\":\"AA==\",\"x\":1}", "{\"$$bytes\":\"AA==\",\"x\":1}"},
        {"{\"$anchor\":1,\"$list\":[]}", "{\"$$anchor\":1,\"$$list\":[]}"},
        {"{\"$\":1,\"$$\":2,\"a$\":3}", "{\"$$\":1,\"$$$\":2,\"a$\":3}"},
        {"{\"a\":1,\"$1\":2}", "{\"a\":1,\"$$1\":2}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* Read as the dict it is; written plain by default, escaped inside
         * the envelope (tagged): both read back equal. */
        brine_error err;
        brine_doc *d = dec(cases[i][0], NULL, &err);
        ck_assert_ptr_nonnull(d);
        ck_assert_int_eq(brine_type_of(brine_doc_root(d)), BRINE_DICT);
        char *text = enc(brine_doc_root(d), NULL, &err);
        ck_assert_str_eq(text, cases[i][0]);
        assert_decodes_to(text, NULL, brine_doc_root(d));
        brine_free(text);
        text = enc(brine_doc_root(d), "tagged", &err);
        char want[256];
        snprintf(want, sizeof want, "{\"$brine\":1,\"value\":%s}", cases[i][1]);
        ck_assert_str_eq(text, want);
        assert_decodes_to(text, NULL, brine_doc_root(d));
        brine_free(text);
        brine_doc_free(d);
    }
}
END_TEST

START_TEST(test_foreign_dollar_keys_read_as_written)
{
    /* JSON Schema, MongoDB and tags whose value is not of the tag's kind. */
    static const char *const docs[] = {
        "{\"$schema\":\"http://json-schema.org/schema#\",\"$ref\":\"#/a\",\"$id\":\"x\"}",
        "{\"$tuple\":5}",
        "{\"$anchor\":\"foo\",\"type\":\"string\"}",
        "{\"$oid\":\"5f0c\"}",
        "{\"$1x\":1,\"$ 1\":2,\"$[1\":3,\"$tru\":4}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        brine_error err;
        brine_doc *tagged = dec(docs[i], "legacy_tags", &err), *plain = dec(docs[i], NULL, &err);
        ck_assert_ptr_nonnull(tagged);
        ck_assert_ptr_nonnull(plain);
        ck_assert_int_eq(brine_type_of(brine_doc_root(tagged)), BRINE_DICT);
        assert_equal(brine_doc_root(tagged), brine_doc_root(plain));
        brine_doc_free(tagged);
        brine_doc_free(plain);
    }
}
END_TEST

/* ---- plain mode ------------------------------------------------------------------- */

/* json.dumps's output: tuples as arrays, number, bool and None keys as
 * their text. */
START_TEST(test_plain_writes_what_any_json_reader_expects)
{
    ck_assert_reencodes("[{\"$tuple\":[1,\"a\",{\"$tuple\":[]}]},"
                        "{\"$1\":\"one\",\"$2.5\":1,\"$null\":1,\"$true\":1,\"$false\":0,\"$-5\":1,"
                        "\"$123456789012345678901234567890\":2,\"$$x\":3}]",
                        "legacy_tags", "plain",
                        "[[1,\"a\",[]],"
                        "{\"1\":\"one\",\"2.5\":1,\"null\":1,\"true\":1,\"false\":0,\"-5\":1,"
                        "\"123456789012345678901234567890\":2,\"$x\":3}]");
}
END_TEST

/* Asserts that text (0.1's tagged JSON) refuses to encode with opts: code, path, message start. */
static void assert_encode_fails(const char *text, const char *opts, int code, const char *path, const char *msg)
{
    brine_error err;
    brine_doc *d = dec(text, "legacy_tags", &err);
    ck_assert_msg(d != NULL, "%s", err.message);
    char *out = enc(brine_doc_root(d), opts, &err);
    ck_assert_msg(out == NULL, "%s encoded to %s", text, out);
    ck_assert_int_eq(err.code, code);
    ck_assert_str_eq(err.path, path);
    ck_assert_msg(strncmp(err.message, msg, strlen(msg)) == 0, "message: %s", err.message);
    brine_doc_free(d);
}

START_TEST(test_plain_refuses_nan_infinities_and_unconvertible_keys_with_the_path)
{
    const char *nan_msg = "Out of range float values are not JSON compliant";
    assert_encode_fails("{\"a\":[1,{\"$float\":\"nan\"}]}", "plain", BRINE_E_UNSUPPORTED, "$.a[1]", nan_msg);
    assert_encode_fails("[{\"$float\":\"-inf\"}]", "plain", BRINE_E_UNSUPPORTED, "$[0]", nan_msg);
    /* What json.dumps refuses as it does (#17), with the path. */
    assert_encode_fails("{\"x\":{\"$complex\":[1,{\"$float\":\"inf\"}]}}", "plain", BRINE_E_UNSUPPORTED, "$.x",
                        "Object of type complex is not JSON serializable");
    assert_encode_fails("[1,{\"b\":{\"$complex\":[1.5,-2]}}]", "plain", BRINE_E_UNSUPPORTED, "$[1].b",
                        "Object of type complex is not JSON serializable");
    assert_encode_fails("{\"a\":[{\"$bytes\":\"AAH/\"}]}", "plain", BRINE_E_UNSUPPORTED, "$.a[0]",
                        "Object of type bytes is not JSON serializable");
    assert_encode_fails("[{\"$model\":\"pkg.mod.Point\",\"args\":[1],\"state\":{\"z\":3}}]", "plain",
                        BRINE_E_UNSUPPORTED, "$[0]", "Object of type Point is not JSON serializable");
    assert_encode_fails("{\"m\":{\"$model\":\"Bare\",\"args\":[],\"state\":null}}", "plain", BRINE_E_UNSUPPORTED, "$.m",
                        "Object of type Bare is not JSON serializable");
    assert_encode_fails("{\"k\":{\"${\\\"$float\\\":\\\"nan\\\"}\":1}}", "plain", BRINE_E_UNSUPPORTED, "$.k[nan]",
                        nan_msg);
    assert_encode_fails("{\"k\":{\"a\":1,\"$[1,2]\":1}}", "plain", BRINE_E_UNSUPPORTED, "$.k[(1, 2)]",
                        "keys must be str, int, float, bool or None, not tuple");
    assert_encode_fails("[{\"${\\\"$bytes\\\":\\\"AA==\\\"}\":1}]", "plain", BRINE_E_UNSUPPORTED, "$[0][b'\\x00']",
                        "keys must be str, int, float, bool or None, not bytes");
    /* The same documents are fine by default, in the envelope. */
    ck_assert_reencodes("{\"a\":[1,{\"$float\":\"nan\"}]}", "legacy_tags", NULL,
                        ENV("{\"a\":[1,{\"$float\":\"nan\"}]}"));
}
END_TEST

/* ---- numbers --------------------------------------------------------------------- */

START_TEST(test_integers_are_exact_at_every_size)
{
    brine_error err;
    brine_doc *d = dec("[-9223372036854775808, 9223372036854775807, 9223372036854775808, 18446744073709551615,"
                       " 18446744073709551616, -9223372036854775809, -0, 0, 123456789012345678901234567890123]",
                       NULL, &err);
    ck_assert_ptr_nonnull(d);
    brine_value *r = brine_doc_root(d);
    int64_t i;
    uint64_t u;
    ck_assert_int_eq(brine_int_get_i64(brine_seq_get(r, 0), &i), BRINE_OK);
    ck_assert(i == INT64_MIN);
    ck_assert_int_eq(brine_int_get_i64(brine_seq_get(r, 1), &i), BRINE_OK);
    ck_assert(i == INT64_MAX);
    ck_assert_int_eq(brine_int_get_u64(brine_seq_get(r, 2), &u), BRINE_OK);
    ck_assert(u == (uint64_t)INT64_MAX + 1);
    ck_assert_int_eq(brine_int_get_u64(brine_seq_get(r, 3), &u), BRINE_OK);
    ck_assert(u == UINT64_MAX);
    static const char *const big[] = {"18446744073709551616", "-9223372036854775809"};
    for (int k = 0; k < 2; k++) {
        char *s = brine_int_to_decimal(brine_seq_get(r, 4 + (size_t)k));
        ck_assert_str_eq(s, big[k]);
        brine_free(s);
    }
    ck_assert_int_eq(brine_type_of(brine_seq_get(r, 6)), BRINE_INT); /* -0 is the int 0, as in Python */
    ck_assert_int_eq(brine_int_sign(brine_seq_get(r, 6)), 0);
    char *text = enc(r, NULL, &err);
    ck_assert_str_eq(text, "[-9223372036854775808,9223372036854775807,9223372036854775808,18446744073709551615,"
                           "18446744073709551616,-9223372036854775809,0,0,123456789012345678901234567890123]");
    brine_free(text);
    brine_doc_free(d);
}
END_TEST

START_TEST(test_integer_tokens_beyond_4300_digits_are_refused)
{
    char *doc = malloc(4310);
    brine_error err;
    memset(doc, '7', 4300);
    strcpy(doc + 4300, "]");
    doc[0] = '[';
    doc[1] = '-';
    /* [-7...7] holds 4298 digits: fine. */
    brine_doc *d = dec(doc, NULL, &err);
    ck_assert_msg(d != NULL, "%s", err.message);
    brine_doc_free(d);
    memset(doc, '9', 4301);
    strcpy(doc + 4301, " ");
    d = dec(doc, NULL, &err); /* 4301 digits */
    ck_assert_ptr_null(d);
    ck_assert_int_eq(err.code, BRINE_E_RANGE);
    ck_assert_uint_eq(err.offset, 0);
    ck_assert_str_eq(err.message, "Exceeds the limit (4300 digits) for integer string conversion: value has 4301 "
                                  "digits: line 1 column 1 (char 0)");
    free(doc);
}
END_TEST

/* base**exp - minus, negated when neg, as a brine int: the magnitude is
 * built in little-endian bytes (base 2 or 10), then negated in two's
 * complement with room for the sign. */
static brine_value *power_int(brine_doc *d, unsigned base, size_t exp, unsigned minus, int neg)
{
    enum { CAP = 1800 };
    unsigned char le[CAP + 1] = {1};
    if (base == 2) {
        le[0] = 0;
        le[exp / 8] = (unsigned char)(1u << (exp % 8));
    } else {
        for (size_t k = 0; k < exp; k++) {
            unsigned carry = 0;
            for (size_t i = 0; i < CAP; i++) {
                unsigned v = le[i] * 10u + carry;
                le[i] = (unsigned char)v;
                carry = v >> 8;
            }
        }
    }
    for (size_t i = 0; minus && i < CAP; i++) { /* minus is 0 or 1 */
        minus = le[i] == 0;
        le[i]--;
    }
    if (neg) {
        unsigned carry = 1;
        for (size_t i = 0; i <= CAP; i++) {
            unsigned v = (unsigned char)~le[i] + carry;
            le[i] = (unsigned char)v;
            carry = v >> 8;
        }
    }
    return brine_int_new_bytes(d, le, CAP + 1, NULL);
}

/* Python writes an int as digits when it has at most 4300 of them, the sign
 * not counted (int_max_str_digits); brine's json writer does the same, and
 * gives longer ones the $int tag (plain mode refuses them). */
static const struct {
    const char *what;
    unsigned base;
    size_t exp;
    unsigned minus;
    size_t digits;
} boundary_ints[] = {
    {"2**14279", 2, 14279, 0, 4299}, {"10**4298", 10, 4298, 0, 4299},     {"10**4299", 10, 4299, 0, 4300},
    {"2**14284", 2, 14284, 0, 4300}, {"10**4300 - 1", 10, 4300, 1, 4300}, {"10**4300", 10, 4300, 0, 4301},
    {"2**14286", 2, 14286, 0, 4301},
};

START_TEST(test_ints_of_up_to_4300_digits_are_digits_and_longer_ones_the_int_tag)
{
    int neg = _i & 1;
    size_t k = (size_t)_i / 2;
    brine_doc *d = brine_doc_new();
    brine_value *l = brine_list_new(d, NULL);
    brine_value *v = power_int(d, boundary_ints[k].base, boundary_ints[k].exp, boundary_ints[k].minus, neg);
    append(l, v);
    brine_value *keyed = brine_dict_new(d, NULL);
    ck_assert_int_eq(brine_dict_set(keyed, v, brine_int_new(d, 1, NULL), NULL), BRINE_OK);
    append(l, keyed);
    brine_error err;
    char *text = enc(l, NULL, &err), *plain = enc(l, "plain", &err);
    ck_assert_msg(text != NULL, "%s%s: %s", neg ? "-" : "", boundary_ints[k].what, err.message);
    char *dec_text = brine_int_to_decimal(v); /* core's own conversion, NULL past 4300 digits */
    /* The int key puts auto's output in the envelope. */
    const char *open = "{\"$brine\":1,\"value\":[", *body = text + strlen(open);
    ck_assert_int_eq(strncmp(text, open, strlen(open)), 0);
    if (boundary_ints[k].digits <= 4300) {
        ck_assert_ptr_nonnull(dec_text);
        ck_assert_uint_eq(strlen(dec_text), boundary_ints[k].digits + (size_t)neg);
        ck_assert_int_eq(strncmp(body, dec_text, strlen(dec_text)), 0);
        ck_assert_int_eq(body[strlen(dec_text)], ',');
        ck_assert_msg(plain != NULL, "%s%s: %s", neg ? "-" : "", boundary_ints[k].what, err.message);
        /* Plain mode writes the key as its digits, like json.dumps. */
        ck_assert_msg(strncmp(plain + 1 + strlen(dec_text) + 3, dec_text, strlen(dec_text)) == 0, "%.20s", plain);
    } else {
        ck_assert_ptr_null(dec_text);
        const char *tag = neg ? "{\"$int\":\"-0x" : "{\"$int\":\"0x";
        ck_assert_int_eq(strncmp(body, tag, strlen(tag)), 0);
        ck_assert_ptr_null(plain);
        ck_assert_int_eq(err.code, BRINE_E_RANGE);
        ck_assert_str_eq(err.message, "Exceeds the limit (4300 digits) for integer string conversion");
        ck_assert_str_eq(err.path, "$[0]");
    }
    assert_decodes_to(text, NULL, l);
    brine_free(dec_text);
    brine_free(text);
    brine_free(plain);
    brine_doc_free(d);
}
END_TEST

START_TEST(test_floats_print_shortest_and_read_back_bit_exact)
{
    ck_assert_reencodes("[1.1, 0.1, 1e16, 1E-5, 5e-324, 1.7976931348623157e308, -0.0, 100.0, 1e400, -1e400, 2.5e-3]",
                        NULL, NULL,
                        ENV("[1.1,0.1,1e+16,1e-05,5e-324,1.7976931348623157e+308,-0.0,100.0,{\"$float\":\"inf\"},"
                            "{\"$float\":\"-inf\"},0.0025]"));
    /* Random bit patterns: parse(print(x)) == x. */
    brine_doc *d = brine_doc_new();
    brine_value *l = brine_list_new(d, NULL);
    uint64_t state = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 100000; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        append(l, nan_bits(d, state)); /* NaNs with payloads included */
    }
    brine_error err;
    char *text = enc(l, NULL, &err);
    ck_assert_ptr_nonnull(text);
    assert_decodes_to(text, NULL, l);
    brine_free(text);
    brine_doc_free(d);
}
END_TEST

/* ---- strings --------------------------------------------------------------------- */

START_TEST(test_nul_survives_in_strings_and_keys)
{
    brine_error err;
    brine_doc *d = dec("{\"k\\u0000ey\": \"a\\u0000b\", \"plain\": \"\\u0000\"}", NULL, &err);
    ck_assert_ptr_nonnull(d);
    brine_value *r = brine_doc_root(d), *k, *v;
    size_t it = 0, len;
    ck_assert(brine_dict_next(r, &it, &k, &v));
    const char *s = brine_str_get(k, &len);
    ck_assert_uint_eq(len, 4);
    ck_assert_mem_eq(s, "k\0ey", 4);
    s = brine_str_get(v, &len);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(s, "a\0b", 3);
    char *text = enc(r, NULL, &err);
    ck_assert_str_eq(text, "{\"k\\u0000ey\":\"a\\u0000b\",\"plain\":\"\\u0000\"}");
    brine_free(text);
    brine_doc_free(d);
}
END_TEST

/* The string scans step 16 and 8 bytes at a time: a control character, a
 * byte that is not UTF-8 or an escape at each position of keys and values
 * of 1 to 40 bytes is found exactly where it is. */
START_TEST(test_each_special_byte_in_strings_is_found_at_its_position)
{
    enum { MAX = 40 };
    for (int in_value = 0; in_value < 2; in_value++)
        for (size_t len = 1; len <= MAX; len++)
            for (size_t pos = 0; pos < len; pos++)
                for (int kind = 0; kind < 3; kind++) {
                    char str[MAX + 2], want[MAX + 1], text[2 * MAX + 16];
                    size_t n = 0;
                    for (size_t i = 0; i < len; i++) {
                        want[i] = (char)('a' + i % 26);
                        if (i != pos) {
                            str[n++] = want[i];
                        } else if (kind == 2) { /* an escape: one byte of the string, two of the text */
                            str[n++] = '\\';
                            str[n++] = 'n';
                            want[i] = '\n';
                        } else {
                            str[n++] = kind == 0 ? '\x01' : '\xff';
                        }
                    }
                    str[n] = '\0';
                    int at = snprintf(text, sizeof text, in_value ? "{\"k\":\"" : "{\"");
                    snprintf(text + at, sizeof text - (size_t)at, in_value ? "%s\"}" : "%s\":1}", str);
                    brine_error err;
                    brine_doc *d = dec(text, NULL, &err);
                    if (kind < 2) {
                        ck_assert_msg(!d, "%s: decoded", text);
                        ck_assert_int_eq(err.code, kind == 0 ? BRINE_E_SYNTAX : BRINE_E_UTF8);
                        ck_assert_msg(err.offset == (uint64_t)at + pos, "%s: error at %llu, not %zu (%s)", text,
                                      (unsigned long long)err.offset, (size_t)at + pos, err.message);
                        continue;
                    }
                    ck_assert_msg(d != NULL, "%s: %s", text, err.message);
                    size_t it = 0;
                    brine_value *k, *v;
                    REQUIRE(brine_dict_next(brine_doc_root(d), &it, &k, &v));
                    size_t got_len;
                    const char *got = brine_str_get(in_value ? v : k, &got_len);
                    ck_assert_msg(got && got_len == len && memcmp(got, want, len) == 0, "%s: read back wrong", text);
                    brine_doc_free(d);
                }
}
END_TEST

START_TEST(test_surrogate_pairs_decode_to_their_code_point)
{
    brine_error err;
    brine_doc *d = dec("[\"\\ud83d\\ude00\", \"\\uD83D\\uDE00x\", \"\\u00e9\\u65e5\", \"\\udbff\\udfff\"]", NULL, &err);
    ck_assert_ptr_nonnull(d);
    brine_value *r = brine_doc_root(d);
    static const char *const want[] = {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80x", "\xc3\xa9\xe6\x97\xa5",
                                       "\xf4\x8f\xbf\xbf"};
    for (size_t i = 0; i < 4; i++) {
        size_t len;
        const char *s = brine_str_get(brine_seq_get(r, i), &len);
        ck_assert_uint_eq(len, strlen(want[i]));
        ck_assert_mem_eq(s, want[i], len);
    }
    char *text = enc(r, "ascii", &err);
    ck_assert_str_eq(text, "[\"\\ud83d\\ude00\",\"\\ud83d\\ude00x\",\"\\u00e9\\u65e5\",\"\\udbff\\udfff\"]");
    brine_free(text);
    text = enc(r, NULL, &err);
    ck_assert_str_eq(text,
                     "[\"\xf0\x9f\x98\x80\",\"\xf0\x9f\x98\x80x\",\"\xc3\xa9\xe6\x97\xa5\",\"\xf4\x8f\xbf\xbf\"]");
    brine_free(text);
    brine_doc_free(d);
}
END_TEST

START_TEST(test_replace_invalid_substitutes_u_fffd_for_bad_utf8_and_lone_surrogates)
{
    static const char *const cases[][2] = {
        {"\"\xff\"", "\"\xef\xbf\xbd\""},
        {"\"a\xe2\x82z\"", "\"a\xef\xbf\xbdz\""}, /* one maximal subpart */
        {"\"\xf0\x80\x80\"", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
        {"\"\xed\xa0\x80\"", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
        {"\"x\\ud800y\\udc00\"", "\"x\xef\xbf\xbdy\xef\xbf\xbd\""},
        {"{\"k\xc3\":\"\\n\xc3\"}", "{\"k\xef\xbf\xbd\":\"\\n\xef\xbf\xbd\"}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        brine_error err;
        brine_doc *d = dec(cases[i][0], NULL, &err);
        ck_assert_ptr_null(d);
        ck_assert_int_eq(err.code, BRINE_E_UTF8);
        ck_assert_reencodes(cases[i][0], "replace_invalid", NULL, cases[i][1]);
    }
}
END_TEST

/* ---- errors ---------------------------------------------------------------------- */

static int status_of(const char *name)
{
    static const char *const names[] = {"OK",          "NOMEM", "INVALID", "TYPE",      "RANGE",   "UTF8",
                                        "DEPTH",       "CYCLE", "SYNTAX",  "TRUNCATED", "CORRUPT", "VERSION",
                                        "UNSUPPORTED", "IO",    "PLUGIN",  "NOTFOUND",  "KEY",     "REF"};
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(names[i], name) == 0)
            return i;
    ck_abort_msg("unknown status %s", name);
    return -1;
}

/* Undoes the escapes of errors.tsv's document column. */
static size_t unescape(const char *s, char *out)
{
    size_t n = 0;
    while (*s) {
        if (*s != '\\') {
            out[n++] = *s++;
            continue;
        }
        s++;
        if (*s == 'n')
            out[n++] = '\n', s++;
        else if (*s == 't')
            out[n++] = '\t', s++;
        else if (*s == 'x') {
            out[n++] = (char)strtol((char[]){s[1], s[2], 0}, NULL, 16);
            s += 3;
        } else
            out[n++] = *s++;
    }
    return n;
}

START_TEST(test_broken_documents_give_python_messages_with_line_column_offset_and_path)
{
    FILE *fp = fopen(BRINE_TEST_DATA "/json/errors.tsv", "r");
    ck_assert_ptr_nonnull(fp);
    char line[1024];
    int rows = 0;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char *field[7];
        char *p = line;
        for (int i = 0; i < 7; i++) {
            field[i] = p;
            p = strchr(p, '\t');
            if (i < 6) {
                ck_assert_msg(p != NULL, "row %d is short", rows);
                *p++ = '\0';
            }
        }
        char doc[1024];
        size_t len = unescape(field[0], doc);
        brine_error err;
        /* Rows about tags are 0.1's tagged JSON: read them as such. */
        brine_doc *d = dec_n(doc, len, strstr(doc, "\"$") ? "legacy_tags" : NULL, 0, &err);
        ck_assert_msg(d == NULL, "'%s' decoded", field[0]);
        ck_assert_msg(err.code == status_of(field[1]), "'%s': code %d, want %s (%s)", field[0], err.code, field[1],
                      err.message);
        ck_assert_msg(err.offset == strtoull(field[2], NULL, 10), "'%s': offset %llu, want %s", field[0],
                      (unsigned long long)err.offset, field[2]);
        ck_assert_uint_eq(err.line, strtoull(field[3], NULL, 10));
        ck_assert_uint_eq(err.column, strtoull(field[4], NULL, 10));
        ck_assert_msg(strcmp(err.path, field[5]) == 0, "'%s': path %s, want %s", field[0], err.path, field[5]);
        ck_assert_str_eq(err.message, field[6]);
        rows++;
    }
    fclose(fp);
    ck_assert_int_ge(rows, 70);
}
END_TEST

START_TEST(test_trailing_garbage_after_the_value_is_extra_data)
{
    brine_error err;
    ck_assert_ptr_null(dec("{\"a\": 1}\n\n  {\"b\": 2}", NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_SYNTAX);
    ck_assert_uint_eq(err.offset, 12);
    ck_assert_str_eq(err.message, "Extra data: line 3 column 3 (char 12)");
    brine_doc *d = dec(" \t\r\n[1]\n \r\n\t", NULL, &err); /* whitespace is fine */
    ck_assert_ptr_nonnull(d);
    brine_doc_free(d);
}
END_TEST

START_TEST(test_duplicate_keys_keep_the_last_value_in_the_first_position)
{
    ck_assert_reencodes("{\"a\": 1, \"b\": 2, \"a\": 3}", NULL, NULL, "{\"a\":3,\"b\":2}");
}
END_TEST

/* The graph path chooses the envelope from the graph, not from its history:
 * a value folded away (a repeated key), or a container no longer shared,
 * leaves its kind in the document's superset, and the output must still be
 * what an equal graph built fresh gives (the round-trip fuzzer found the
 * first case: equal graphs, 391 and 313 bytes). */
START_TEST(test_the_envelope_comes_only_for_a_graph_that_needs_it)
{
    static const struct {
        const char *text, *dopts, *eopts, *want;
    } cases[] = {
        {ENV("{\"a\": {\"$tuple\": [1]}, \"a\": 1}"), NULL, NULL, "{\"a\":1}"},
        {ENV("{\"a\": {\"$bytes\": \"AA==\"}, \"a\": [1.5]}"), NULL, "pretty", "{\n  \"a\": [\n    1.5\n  ]\n}\n"},
        {ENV("[{\"k\": {\"$float\": \"nan\"}, \"k\": 0}, 2]"), NULL, "ascii", "[{\"k\":0},2]"},
        /* a shared list whose second place was folded away: no references
         * left (core recounts a graph with a fold and a reference: its kinds
         * are exact, 0, so this case checks the output alone) */
        {ENV("{\"x\": {\"$anchor\": 1, \"$list\": [1]}, \"y\": {\"$alias\": 1}, \"y\": 2}"), "refs", "refs",
         "{\"x\":[1],\"y\":2}"},
        /* lines: each line alone, and no line in the envelope once nothing is shared */
        {ENV("[{\"x\": {\"$anchor\": 1, \"$list\": [1]}, \"y\": {\"$alias\": 1}, \"y\": 2}, {\"$tuple\": []}]"), "refs",
         "refs,lines", "{\"x\":[1],\"y\":2}\n{\"$brine\":1,\"value\":{\"$tuple\":[]}}\n"},
        /* and the envelope still comes where it is needed, late in the value */
        {ENV("{\"a\": 1, \"b\": [2, {\"$tuple\": [3]}]}"), NULL, NULL,
         "{\"$brine\":1,\"value\":{\"a\":1,\"b\":[2,{\"$tuple\":[3]}]}}"},
        {ENV("{\"x\": {\"$anchor\": 1, \"$list\": [1]}, \"y\": {\"$alias\": 1}}"), "refs", "refs",
         "{\"$brine\":1,\"value\":{\"x\":{\"$anchor\":1,\"$list\":[1]},\"y\":{\"$alias\":1}}}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        brine_error err;
        brine_doc *d = dec(cases[i].text, cases[i].dopts, &err);
        ck_assert_msg(d != NULL, "case %zu: %s", i, err.message);
        /* the premise: the kinds name more than the graph holds, or what it
         * holds (case 3: exact) */
        ck_assert_msg((brine_value_kinds(brine_doc_root(d)) & ~(unsigned)BRINE_KIND_KEY) != 0 || i == 3,
                      "case %zu: kinds %#x", i, brine_value_kinds(brine_doc_root(d)));
        char *text = enc(brine_doc_root(d), cases[i].eopts, &err);
        ck_assert_msg(text != NULL, "case %zu: %s", i, err.message);
        ck_assert_str_eq(text, cases[i].want);
        brine_free(text);
        brine_doc_free(d);
    }
}
END_TEST

/* ---- depth ----------------------------------------------------------------------- */

static char *nested(size_t depth, const char *open, const char *close)
{
    size_t lo = strlen(open), lc = strlen(close);
    char *s = malloc(depth * (lo + lc) + 1), *p = s;
    for (size_t i = 0; i < depth; i++, p += lo)
        memcpy(p, open, lo);
    for (size_t i = 0; i < depth; i++, p += lc)
        memcpy(p, close, lc);
    *p = '\0';
    return s;
}

START_TEST(test_depth_1000_is_read_and_1001_refused_naming_the_limit)
{
    brine_error err;
    char *ok = nested(1000, "[", "]"), *deep = nested(1001, "{\"a\":", "}");
    brine_doc *d = dec(ok, NULL, &err);
    ck_assert_msg(d != NULL, "%s", err.message);
    char *text = enc(brine_doc_root(d), NULL, &err);
    ck_assert_str_eq(text, ok);
    brine_free(text);
    brine_doc_free(d);
    ck_assert_ptr_null(dec(deep, NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_DEPTH);
    ck_assert_uint_eq(err.offset, 5000);
    ck_assert_uint_eq(err.column, 5001);
    ck_assert_ptr_nonnull(strstr(err.message, "maximum recursion depth exceeded while decoding"));
    ck_assert_ptr_nonnull(strstr(err.message, "1000"));
    ck_assert_int_eq(strncmp(err.path, "$.a.a.a.a", 9), 0);
    free(ok);
    free(deep);
}
END_TEST

START_TEST(test_100000_deep_input_is_refused_cleanly_and_read_with_the_limit_raised)
{
    static const char *const shapes[][2] = {{"[", "]"}, {"{\"$tuple\":[", "]}"}, {"{\"k\":[", "]}"}};
    for (size_t i = 0; i < 3; i++) {
        brine_error err;
        char *deep = nested(100000, shapes[i][0], shapes[i][1]);
        ck_assert_ptr_null(dec(deep, NULL, &err));
        ck_assert_int_eq(err.code, BRINE_E_DEPTH);
        brine_doc *d = dec_n(deep, (size_t)-1, NULL, 1000000, &err);
        ck_assert_msg(d != NULL, "%s", err.message);
        size_t len;
        char *text = enc_d(brine_doc_root(d), NULL, 1000000, &len, &err);
        ck_assert_msg(text != NULL, "%s", err.message);
        ck_assert_str_eq(text, deep);
        brine_free(text);
        brine_doc_free(d);
        free(deep);
    }
    char *deepest = nested(1000000, "[", "]");
    brine_error err;
    brine_doc *d = dec_n(deepest, (size_t)-1, NULL, 1000000, &err);
    ck_assert_msg(d != NULL, "%s", err.message);
    brine_doc_free(d);
    free(deepest);
}
END_TEST

/* ---- references ------------------------------------------------------------------ */

START_TEST(test_refs_write_anchors_and_aliases_and_restore_identity)
{
    brine_doc *d = brine_doc_new();
    brine_value *root = brine_list_new(d, NULL), *x = brine_list_new(d, NULL), *self = brine_dict_new(d, NULL);
    append(x, brine_int_new(d, 1, NULL));
    append(root, x);
    append(root, x);
    ck_assert_int_eq(brine_dict_set_str(self, "me", self, NULL), BRINE_OK);
    append(root, self);
    brine_value *args = tuple2(d, brine_int_new(d, 1, NULL), brine_int_new(d, 2, NULL));
    brine_value *m1 = brine_model_new(d, "P", 1, NULL), *m2 = brine_model_new(d, "P", 1, NULL);
    ck_assert_int_eq(brine_model_set_args(m1, args, NULL), BRINE_OK);
    ck_assert_int_eq(brine_model_set_args(m2, args, NULL), BRINE_OK);
    append(root, m1);
    append(root, m2);
    ck_assert_int_eq(brine_doc_set_root(d, root, NULL), BRINE_OK);

    brine_error err;
    char *text = enc(root, "refs", &err);
    ck_assert_msg(text != NULL, "%s", err.message);
    ck_assert_str_eq(
        text, ENV("[{\"$anchor\":1,\"$list\":[1]},{\"$alias\":1},{\"$anchor\":2,\"$dict\":{\"me\":{\"$alias\":2}}},"
                  "{\"$model\":\"P\",\"args\":{\"$anchor\":3,\"$tuple\":[1,2]},\"state\":null},"
                  "{\"$model\":\"P\",\"args\":{\"$alias\":3},\"state\":null}]"));
    assert_decodes_to(text, "refs", root);
    /* Pretty output reads back the same. */
    brine_free(text);
    text = enc(root, "refs,pretty,sort_keys", &err);
    assert_decodes_to(text, "refs", root);
    brine_free(text);

    /* Without refs: the shared list is written twice, the cycle refused. */
    ck_assert_ptr_null(enc(root, NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_CYCLE);
    ck_assert_str_eq(err.path, "$[2].me");
    ck_assert_int_eq(brine_seq_set(root, 2, brine_null_new(d, NULL), NULL), BRINE_OK);
    text = enc(root, NULL, &err);
    ck_assert_str_eq(text, ENV("[[1],[1],null,{\"$model\":\"P\",\"args\":[1,2],\"state\":null},"
                               "{\"$model\":\"P\",\"args\":[1,2],\"state\":null}]"));
    brine_free(text);
    brine_doc_free(d);
}
END_TEST

START_TEST(test_reference_tags_need_the_refs_option_and_known_anchors)
{
    brine_error err;
    brine_doc *d;
    ck_assert_ptr_null(dec(ENV("[{\"$anchor\":1,\"$list\":[]},{\"$alias\":1}]"), NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_UNSUPPORTED);
    ck_assert_ptr_null(dec(ENV("[{\"$alias\":7}]"), "refs", &err));
    ck_assert_int_eq(err.code, BRINE_E_REF);
    ck_assert_ptr_null(dec("[{\"$anchor\":0,\"$list\":[]}]", "refs,legacy_tags", &err));
    ck_assert_int_eq(err.code, BRINE_E_SYNTAX);
    ck_assert_uint_eq(err.offset, 12);
    ck_assert_ptr_null(dec("{\"$anchor\":1,\"$bytes\":\"\"}", "refs,legacy_tags", &err));
    ck_assert_int_eq(err.code, BRINE_E_SYNTAX);
    ck_assert_uint_eq(err.offset, 13);
    /* Outside the envelope they are ordinary keys. */
    ck_assert_ptr_nonnull(d = dec("[{\"$anchor\":1,\"$list\":[]},{\"$alias\":1}]", "refs", &err));
    brine_doc_free(d);
    ck_assert_ptr_null(dec("[1]", "refs,plain", &err));
    ck_assert_int_eq(err.code, BRINE_E_OPTION);
}
END_TEST

/* ---- JSON Lines ------------------------------------------------------------------- */

START_TEST(test_json_lines_read_and_write_one_value_per_line)
{
    ck_assert_reencodes("{\"a\": 1}\n[1, 2]\r\n\n  \"x\"  \n{\"$brine\": 1, \"value\": {\"b\":\n  {\"$tuple\": []}}}",
                        "lines", NULL, ENV("[{\"a\":1},[1,2],\"x\",{\"b\":{\"$tuple\":[]}}]"));
    ck_assert_reencodes("", "lines", NULL, "[]");
    ck_assert_reencodes(ENV("[{\"a\":1},[1,2],\"x\",{\"$tuple\":[]}]"), NULL, "lines",
                        "{\"a\":1}\n[1,2]\n\"x\"\n" ENV("{\"$tuple\":[]}") "\n");
    ck_assert_reencodes("[]", NULL, "lines", "");
    brine_error err;
    ck_assert_ptr_null(dec("1\n2 3\n", "lines", &err));
    ck_assert_int_eq(err.code, BRINE_E_SYNTAX);
    ck_assert_uint_eq(err.offset, 4);
    ck_assert_str_eq(err.message, "Extra data: line 2 column 3 (char 4)");
    ck_assert_ptr_null(dec("1\n[2,\n", "lines", &err));
    ck_assert_int_eq(err.code, BRINE_E_TRUNCATED);
    ck_assert_str_eq(err.path, "$[1][1]");
    brine_doc *d = dec("{\"a\":1}", NULL, &err);
    ck_assert_ptr_null(enc(brine_doc_root(d), "lines", &err));
    ck_assert_int_eq(err.code, BRINE_E_UNSUPPORTED);
    ck_assert_ptr_null(enc(brine_doc_root(d), "lines,pretty", &err));
    ck_assert_int_eq(err.code, BRINE_E_OPTION);
    brine_doc_free(d);
}
END_TEST

/* ---- output forms ------------------------------------------------------------------ */

static const char sample[] =
    "{\"name\": \"brine\", \"tags\": [\"fast\", \"exact\", \"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\"], \"empty\": {},"
    " \"none\": [], \"nested\": {\"a\": [1, 2.5, -0.0, 1e+16, 1e-05, null, true, false], \"b\": {\"c\":"
    " \"q\\\"uote\\\\ \\n\\t\\u0001 \\u007f \xc3\xa9 \xf0\x9f\x98\x80\"}}, \"big\": 123456789012345678901234567890}";

START_TEST(test_pretty_output_matches_python_json_tool)
{
    /* python3 -m json.tool --indent 2 --no-ensure-ascii (plus its final newline). */
    ck_assert_reencodes(sample, NULL, "pretty",
                        "{\n"
                        "  \"name\": \"brine\",\n"
                        "  \"tags\": [\n"
                        "    \"fast\",\n"
                        "    \"exact\",\n"
                        "    \"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\"\n"
                        "  ],\n"
                        "  \"empty\": {},\n"
                        "  \"none\": [],\n"
                        "  \"nested\": {\n"
                        "    \"a\": [\n"
                        "      1,\n"
                        "      2.5,\n"
                        "      -0.0,\n"
                        "      1e+16,\n"
                        "      1e-05,\n"
                        "      null,\n"
                        "      true,\n"
                        "      false\n"
                        "    ],\n"
                        "    \"b\": {\n"
                        "      \"c\": \"q\\\"uote\\\\ \\n\\t\\u0001 \x7f \xc3\xa9 \xf0\x9f\x98\x80\"\n"
                        "    }\n"
                        "  },\n"
                        "  \"big\": 123456789012345678901234567890\n"
                        "}\n");
}
END_TEST

/* The pretty text above with each level's 2 spaces made unit instead
 * (malloc'ed): what Python's json.dumps(indent=unit) writes. */
static char *reindent(const char *two, const char *unit)
{
    size_t cap = strlen(two) * (strlen(unit) + 1) + 1, n = 0;
    char *out = malloc(cap);
    ck_assert_ptr_nonnull(out);
    for (const char *p = two; *p;) {
        out[n++] = *p;
        if (*p++ != '\n')
            continue;
        for (; p[0] == ' ' && p[1] == ' '; p += 2)
            n += (size_t)sprintf(out + n, "%s", unit);
    }
    out[n] = '\0';
    return out;
}

/* Transcodes text (streamed: no graph) with the json writer's options. */
static char *transcode_json(const char *text, const char *eopts, brine_error *err)
{
    test_opts t;
    brine_source src;
    brine_output out;
    size_t len;
    brine_source_init_buffer(&src, text, strlen(text));
    brine_output_init_buffer(&out, err);
    int rc = brine_transcode(js, &src, NULL, js, &out, opts_of(&t, eopts, 0), NULL, err);
    char *data = rc == BRINE_OK ? brine_output_take(&out, &len) : NULL;
    brine_output_destroy(&out);
    brine_source_destroy(&src);
    if (!data)
        return NULL;
    char *z = malloc(len + 1);
    memcpy(z, data, len);
    z[len] = '\0';
    brine_free(data);
    return z;
}

START_TEST(test_indent_and_tab_match_python_json_dumps)
{
    /* json.dumps(d, indent=4) and indent="\t" (plus the final newline). */
    static const char small[] = "{\"b\":[1,{\"c\":[]}],\"a\":{}}";
    ck_assert_reencodes(small, NULL, "indent=4",
                        "{\n    \"b\": [\n        1,\n        {\n            \"c\": []\n        }\n    ],\n    \"a\": "
                        "{}\n}\n");
    ck_assert_reencodes(small, NULL, "indent=tab",
                        "{\n\t\"b\": [\n\t\t1,\n\t\t{\n\t\t\t\"c\": []\n\t\t}\n\t],\n\t\"a\": {}\n}\n");
    ck_assert_reencodes(small, NULL, "indent=1,sort_keys",
                        "{\n \"a\": {},\n \"b\": [\n  1,\n  {\n   \"c\": []\n  }\n ]\n}\n");
    /* indent=0 is compact, like jq's --indent 0, and wins over pretty. */
    ck_assert_reencodes(small, NULL, "pretty,indent=0", small);
    ck_assert_reencodes(small, NULL, "indent=2",
                        "{\n  \"b\": [\n    1,\n    {\n      \"c\": []\n    }\n  ],\n  \"a\": "
                        "{}\n}\n");
    /* The envelope indents the same way. */
    ck_assert_reencodes("{\"$brine\":1,\"value\":{\"$tuple\":[1,2]}}", NULL, "indent=tab",
                        "{\n\t\"$brine\": 1,\n\t\"value\": {\n\t\t\"$tuple\": [\n\t\t\t1,\n\t\t\t2\n\t\t]\n\t}\n}\n");

    /* The whole sample at every width, through a graph and streamed. */
    static const char pretty2[] =
        "{\n  \"name\": \"brine\",\n  \"tags\": [\n    \"fast\",\n    \"exact\",\n    "
        "\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa"
        "\x9e\"\n  ],\n  \"empty\": {},\n  \"none\": [],\n  \"nested\": {\n    \"a\": [\n      1,\n      2.5,\n      "
        "-0.0,\n      1e+16,\n      1e-05,\n      null,\n      true,\n      false\n    ],\n    \"b\": {\n      \"c\": "
        "\"q\\\"uote\\\\ \\n\\t\\u0001 \x7f \xc3\xa9 \xf0\x9f\x98\x80\"\n    }\n  },\n  \"big\": "
        "123456789012345678901234567890\n}\n";
    ck_assert_reencodes(sample, NULL, "pretty", pretty2);
    for (int width = 1; width <= 16; width++) {
        char opt[32], unit[17];
        snprintf(opt, sizeof opt, "indent=%d", width);
        memset(unit, ' ', (size_t)width);
        unit[width] = '\0';
        char *want = reindent(pretty2, unit);
        ck_assert_reencodes(sample, NULL, opt, want);
        brine_error err;
        char *streamed = transcode_json(sample, opt, &err);
        ck_assert_msg(streamed != NULL, "%s: %s", opt, err.message);
        ck_assert_str_eq(streamed, want);
        free(streamed);
        free(want);
    }
}
END_TEST

START_TEST(test_indent_takes_0_to_16_spaces_or_tab)
{
    static const char *const bad[] = {"indent=17", "indent=x",    "indent",     "indent=-1",
                                      "indent=4x", "indent=0004", "indent=tabs"};
    brine_error err;
    brine_doc *d = dec("[1]", NULL, &err);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char msg[128];
        ck_assert_ptr_null(enc(brine_doc_root(d), bad[i], &err));
        const char *eq = strchr(bad[i], '=');
        snprintf(msg, sizeof msg, "indent takes a number of spaces from 0 to 16, or tab; not '%s'", eq ? eq + 1 : "");
        expect_error(&err, BRINE_E_OPTION, BRINE_NO_OFFSET, "", msg);
    }
    ck_assert_ptr_null(enc(brine_doc_root(d), "lines,indent=4", &err));
    expect_error(&err, BRINE_E_OPTION, BRINE_NO_OFFSET, "", "the json options indent and lines cannot be combined");
    brine_doc_free(d);
}
END_TEST

START_TEST(test_ascii_and_sort_keys_match_python_json_dumps)
{
    /* json.dumps(d, sort_keys=True, separators=(',', ':')) with and
     * without ensure_ascii. */
    ck_assert_reencodes(
        sample, NULL, "sort_keys,ascii",
        "{\"big\":123456789012345678901234567890,\"empty\":{},\"name\":\"brine\",\"nested\":{\"a\":"
        "[1,2.5,-0.0,1e+16,1e-05,null,true,false],\"b\":{\"c\":\"q\\\"uote\\\\ \\n\\t\\u0001 \\u007f "
        "\\u00e9 \\ud83d\\ude00\"}},\"none\":[],\"tags\":[\"fast\",\"exact\",\"\\u65e5\\u672c\\u8a9e\"]}");
    ck_assert_reencodes(sample, NULL, "sort_keys",
                        "{\"big\":123456789012345678901234567890,\"empty\":{},\"name\":\"brine\",\"nested\":{\"a\":"
                        "[1,2.5,-0.0,1e+16,1e-05,null,true,false],\"b\":{\"c\":\"q\\\"uote\\\\ \\n\\t\\u0001 \x7f "
                        "\xc3\xa9 \xf0\x9f\x98\x80\"}},\"none\":[],\"tags\":[\"fast\",\"exact\",\"\xe6\x97\xa5\xe6\x9c"
                        "\xac\xe8\xaa\x9e\"]}");
    /* Keys sort by code point, not by their escaped text. */
    ck_assert_reencodes("{\"b\":1,\"\\n\":2,\"\xc3\xa9\":3,\" \":4,\"a\":{\"z\":1,\"y\":[{\"d\":1,\"c\":2}]}}", NULL,
                        "sort_keys",
                        "{\"\\n\":2,\" \":4,\"a\":{\"y\":[{\"c\":2,\"d\":1}],\"z\":1},\"b\":1,\"\xc3\xa9\":3}");
    ck_assert_reencodes("{\"b\":1,\"a\":2}", NULL, "sort_keys,pretty", "{\n  \"a\": 2,\n  \"b\": 1\n}\n");
    /* Escaped keys sort by their written text. */
    ck_assert_reencodes("{\"$2\":\"a\",\"$1\":\"b\",\"$$x\":1,\"a\":2,\"$[1]\":{\"$(\":0,\"$\\\"b\\\"\":1}}",
                        "legacy_tags", "sort_keys",
                        ENV("{\"$$x\":1,\"$1\":\"b\",\"$2\":\"a\",\"$[1]\":{\"$$(\":0,\"b\":1},\"a\":2}"));
}
END_TEST

/* ---- plugin ------------------------------------------------------------------------ */

START_TEST(test_the_plugin_describes_itself_and_sniffs_json)
{
    ck_assert_str_eq(js->mime_type, "application/json");
    ck_assert_str_eq(js->extensions[0], "json");
    ck_assert_uint_eq(js->caps, BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_TEXT | BRINE_CAP_REFS_OPTION);
    ck_assert_ptr_eq(brine_registry_find_extension(reg, "x/y.JSON"), js);
    static const struct {
        const char *head;
        int min, max;
    } cases[] = {{"  {\"a\": 1}", 90, 100},
                 {"\n[1, 2]", 90, 100},
                 {"\"text\"", 50, 70},
                 {"-12.5", 30, 50},
                 {"true", 50, 70},
                 {"nul", 50, 70},
                 {"", 0, 0},
                 {"\x93NUMPY", 0, 0},
                 {"{x", 0, 10},
                 {"hello", 0, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int c = js->sniff((const unsigned char *)cases[i].head, strlen(cases[i].head));
        ck_assert_msg(c >= cases[i].min && c <= cases[i].max, "'%s': %d", cases[i].head, c);
    }
    ck_assert_ptr_eq(brine_registry_sniff(reg, "\n  {\"id\": 1}", 12), js);
}
END_TEST

START_TEST(test_hostile_mutations_fail_cleanly)
{
    /* Byte flips, truncations and insertions of a tag-rich document: each
     * either decodes or fails with an error that has a position. */
    const char *base = "{\"a\":[1,-2.5e3,{\"$tuple\":[true,null]},{\"$bytes\":\"AAE=\"}],\"$1\":{\"$complex\":[1,2]},"
                       "\"s\":\"\\u00e9\\ud83d\\ude00\\n\",\"m\":{\"$model\":\"M\",\"args\":[],\"state\":{\"k\":"
                       "{\"$float\":\"nan\"}}},\"$[1,\\\"x\\\"]\":{\"$int\":\"-0x1f\"}}";
    size_t len = strlen(base);
    char *buf = malloc(len + 2);
    static const char alphabet[] = "{}[]\",:\\$01-.eEtfnu \x80\xff";
    uint32_t seed = 12345;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, base, len + 1);
        size_t n = len;
        seed = seed * 1103515245u + 12345u;
        size_t at = (seed >> 8) % len;
        char c = alphabet[(seed >> 20) % (sizeof alphabet - 1)];
        switch (round % 3) {
        case 0: buf[at] = c; break;
        case 1: n = at; break;
        default:
            memmove(buf + at + 1, buf + at, len - at + 1);
            buf[at] = c;
            n = len + 1;
        }
        brine_error err;
        /* Every 37th round (each kind of change, with and without refs) is
         * also read in chunks (dec_n): all 20000 would take a minute. */
        const char *opts = round % 2 ? "refs" : NULL;
        brine_doc *d = round % 37 == 0 ? dec_n(buf, n, opts, 0, &err) : decode_with(js, buf, n, opts, 0, &err);
        if (d)
            brine_doc_free(d);
        else
            ck_assert_msg(err.code != BRINE_OK && err.offset <= n && err.message[0], "round %d: %s", round,
                          err.message);
    }
    free(buf);
}
END_TEST

START_TEST(test_a_file_source_and_a_streamed_transcode_read_the_same)
{
    char path[] = "/tmp/brine-json-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *fp = fdopen(fd, "w+");
    fputs("[", fp);
    for (int i = 0; i < 50000; i++)
        fprintf(fp, "%s{\"i\":%d,\"s\":\"%s\\u00e9\"}", i ? "," : "", i, i % 2 ? "x" : "yy");
    fputs("]", fp);
    rewind(fp);
    brine_source src;
    brine_source_init_file(&src, fp);
    brine_error err;
    brine_error_clear(&err);
    brine_doc *d = brine_decode(js, &src, NULL, &err);
    brine_source_destroy(&src);
    ck_assert_msg(d != NULL, "%s", err.message);
    ck_assert_uint_eq(brine_seq_count(brine_doc_root(d)), 50000);
    rewind(fp);
    brine_source_init_file(&src, fp);
    brine_output out;
    ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
    int streamed = 0;
    ck_assert_int_eq(brine_transcode(js, &src, NULL, js, &out, NULL, &streamed, &err), BRINE_OK);
    ck_assert_int_eq(streamed, 1);
    size_t len;
    char *text = brine_output_take(&out, &len);
    assert_decodes_to(text, NULL, brine_doc_root(d));
    brine_free(text);
    brine_output_destroy(&out);
    brine_source_destroy(&src);
    brine_doc_free(d);
    fclose(fp);
    unlink(path);
}
END_TEST

static Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("json");
    registry_fixture(tc, &reg, fixture_formats);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_every_type_json_lacks_is_written_as_its_tag_and_read_back);
    tcase_add_test(tc, test_tags_are_read_whatever_their_spacing_and_number_forms);
    tcase_add_test(tc, test_a_user_dict_shaped_like_a_tag_round_trips);
    tcase_add_test(tc, test_foreign_dollar_keys_read_as_written);
    tcase_add_test(tc, test_plain_writes_what_any_json_reader_expects);
    tcase_add_test(tc, test_plain_refuses_nan_infinities_and_unconvertible_keys_with_the_path);
    tcase_add_test(tc, test_integers_are_exact_at_every_size);
    tcase_add_test(tc, test_integer_tokens_beyond_4300_digits_are_refused);
    tcase_add_loop_test(tc, test_ints_of_up_to_4300_digits_are_digits_and_longer_ones_the_int_tag, 0,
                        (int)(2 * sizeof boundary_ints / sizeof boundary_ints[0]));
    tcase_add_test(tc, test_floats_print_shortest_and_read_back_bit_exact);
    tcase_add_test(tc, test_nul_survives_in_strings_and_keys);
    tcase_add_test(tc, test_each_special_byte_in_strings_is_found_at_its_position);
    tcase_add_test(tc, test_surrogate_pairs_decode_to_their_code_point);
    tcase_add_test(tc, test_replace_invalid_substitutes_u_fffd_for_bad_utf8_and_lone_surrogates);
    tcase_add_test(tc, test_broken_documents_give_python_messages_with_line_column_offset_and_path);
    tcase_add_test(tc, test_trailing_garbage_after_the_value_is_extra_data);
    tcase_add_test(tc, test_duplicate_keys_keep_the_last_value_in_the_first_position);
    tcase_add_test(tc, test_the_envelope_comes_only_for_a_graph_that_needs_it);
    tcase_add_test(tc, test_depth_1000_is_read_and_1001_refused_naming_the_limit);
    tcase_add_test(tc, test_100000_deep_input_is_refused_cleanly_and_read_with_the_limit_raised);
    tcase_add_test(tc, test_refs_write_anchors_and_aliases_and_restore_identity);
    tcase_add_test(tc, test_reference_tags_need_the_refs_option_and_known_anchors);
    tcase_add_test(tc, test_json_lines_read_and_write_one_value_per_line);
    tcase_add_test(tc, test_pretty_output_matches_python_json_tool);
    tcase_add_test(tc, test_ascii_and_sort_keys_match_python_json_dumps);
    tcase_add_test(tc, test_indent_and_tab_match_python_json_dumps);
    tcase_add_test(tc, test_indent_takes_0_to_16_spaces_or_tab);
    tcase_add_test(tc, test_the_plugin_describes_itself_and_sniffs_json);
    tcase_add_test(tc, test_hostile_mutations_fail_cleanly);
    tcase_add_test(tc, test_a_file_source_and_a_streamed_transcode_read_the_same);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(json_suite)
