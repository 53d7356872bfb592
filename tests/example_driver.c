/* example_driver.c: Check tests of the example bencode plugin
 * (examples/plugin), run by test_example_plugin.sh after it has built the
 * plugin out of tree. The plugin is found the way a user finds it: through
 * BRINE_PLUGIN_PATH; BRINE_EXAMPLE_SO names the file expected to provide it.
 * Conversions through the brine command are tested by the script. */
#include <check.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

#include "check_util.h"

static brine_registry *reg;
static const brine_plugin *bc;
static const test_format fixture_formats[] = {{"bencode", &bc, NULL}, {0}};

/* ---- helpers ------------------------------------------------------------ */

#define S(lit) lit, sizeof lit - 1 /* a string literal as pointer, length */

static brine_value *str(brine_doc *doc, const char *s)
{
    brine_value *v = brine_str_new_cstr(doc, s, NULL);
    ck_assert_ptr_nonnull(v);
    return v;
}

static brine_value *integer(brine_doc *doc, int64_t i)
{
    brine_value *v = brine_int_new(doc, i, NULL);
    ck_assert_ptr_nonnull(v);
    return v;
}

static brine_value *decimal(brine_doc *doc, const char *text)
{
    brine_value *v = brine_int_new_decimal(doc, text, strlen(text), NULL);
    ck_assert_ptr_nonnull(v);
    return v;
}

static void append(brine_value *seq, const brine_value *item)
{
    ck_assert_int_eq(brine_seq_append(seq, item, NULL), BRINE_OK);
}

static void set(brine_value *dict, const char *key, const brine_value *val)
{
    ck_assert_int_eq(brine_dict_set_str(dict, key, val, NULL), BRINE_OK);
}

/* Encodes v and checks the bytes; returns nothing, fails the test. */
static void expect_encoding(const brine_value *v, const brine_options *opts, const char *want, size_t want_len)
{
    brine_error err;
    void *data = NULL;
    size_t len = 0;
    brine_error_clear(&err);
    int rc = brine_encode_buffer(bc, v, opts, &data, &len, &err);
    ck_assert_msg(rc == BRINE_OK, "encoding failed: %s at %s", err.message, err.path);
    ck_assert_uint_eq(len, want_len);
    ck_assert_mem_eq(data, want, len);
    brine_free(data);
}

/* Decodes input, which must succeed; the caller frees the document. */
static brine_doc *decode_ok(const char *input, size_t len, const brine_options *opts)
{
    brine_error err;
    brine_error_clear(&err);
    brine_doc *doc = brine_decode_buffer(bc, input, len, opts, &err);
    ck_assert_msg(doc != NULL, "decoding failed: %s at offset %llu", err.message, (unsigned long long)err.offset);
    return doc;
}

static void expect_decode_error(const char *input, size_t len, const brine_options *opts, int code, uint64_t offset,
                                const char *message)
{
    brine_error err;
    brine_error_clear(&err);
    brine_doc *doc = brine_decode_buffer(bc, input, len, opts, &err);
    ck_assert_msg(doc == NULL, "'%.*s' decoded without error", (int)len, input);
    ck_assert_msg(err.code == code, "'%.*s': code %d (%s), want %d", (int)len, input, err.code, err.message, code);
    ck_assert_msg(err.offset == offset, "'%.*s': offset %llu (%s), want %llu", (int)len, input,
                  (unsigned long long)err.offset, err.message, (unsigned long long)offset);
    if (message)
        ck_assert_str_eq(err.message, message);
}

static void expect_equal(const brine_value *a, const brine_value *b)
{
    brine_error err;
    brine_error_clear(&err);
    int eq = brine_value_equal(a, b, 0, &err);
    if (eq != 1) {
        char ra[512], rb[512];
        brine_value_repr(a, ra, sizeof ra, 0, NULL);
        brine_value_repr(b, rb, sizeof rb, 0, NULL);
        ck_abort_msg("values differ (%d, %s):\n  %s\n  %s", eq, err.message, ra, rb);
    }
}

/* Encodes v, which must fail with code at path, with message. */
static void expect_encode_error(const brine_value *v, int code, const char *path, const char *message)
{
    brine_error err;
    void *data = NULL;
    size_t len = 0;
    brine_error_clear(&err);
    int rc = brine_encode_buffer(bc, v, NULL, &data, &len, &err);
    ck_assert_int_eq(rc, code);
    ck_assert_int_eq(err.code, code);
    ck_assert_ptr_null(data);
    ck_assert_str_eq(err.path, path);
    ck_assert_str_eq(err.message, message);
}

static const char torrent[] =
    "d8:announce35:http://tracker.example.org:6969/ann"
    "7:comment13:brine example"
    "4:infod6:lengthi1048576e4:name9:hello.txt12:piece lengthi262144e"
    "6:pieces20:\x01\x02\x03\x04\x05\x06\x07\x08\x09\x00\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6"
    "ee";

/* ---- loading ------------------------------------------------------------ */

START_TEST(test_registry_loads_bencode_from_the_plugin_path)
{
    const char *want = getenv("BRINE_EXAMPLE_SO");
    ck_assert_ptr_nonnull(want);
    for (size_t i = 0; i < brine_registry_count(reg); i++)
        if (brine_registry_get(reg, i) == bc)
            ck_assert_str_eq(brine_registry_origin(reg, i), want);
    ck_assert_str_eq(bc->version, "1.0.0");
    ck_assert_uint_eq(bc->caps, BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_BINARY);
    ck_assert_ptr_eq(brine_registry_find_extension(reg, "files/ubuntu.TORRENT"), bc);
    ck_assert_ptr_eq(brine_registry_find_extension(reg, ".bencode"), bc);
    ck_assert_ptr_eq(brine_registry_find_mime(reg, "application/x-bittorrent"), bc);
    ck_assert_ptr_eq(brine_registry_sniff(reg, torrent, sizeof torrent - 1), bc);
    ck_assert_ptr_eq(brine_registry_sniff(reg, S("li1ei2ei3ee")), bc);
}
END_TEST

START_TEST(test_sniff_accepts_bencode_prefixes_and_rejects_other_text)
{
    ck_assert_int_eq(bc->sniff((const unsigned char *)torrent, 16), 90);
    ck_assert_int_eq(bc->sniff((const unsigned char *)"d4:infod", 8), 80);
    ck_assert_int_eq(bc->sniff((const unsigned char *)"li1ei-2e3:ab", 12), 60);
    ck_assert_int_eq(bc->sniff((const unsigned char *)"i42e", 4), 50);
    ck_assert_int_eq(bc->sniff((const unsigned char *)"", 0), 0);
    ck_assert_int_eq(bc->sniff((const unsigned char *)"done: yes", 9), 0);
    ck_assert_int_eq(bc->sniff((const unsigned char *)"list of things", 14), 0);
    ck_assert_int_eq(bc->sniff((const unsigned char *)"{\"a\": 1}", 8), 0);
    ck_assert_int_eq(bc->sniff((const unsigned char *)"i42e trailing", 13), 0);
    ck_assert_int_eq(bc->sniff((const unsigned char *)"e", 1), 0);
}
END_TEST

/* ---- encoding ----------------------------------------------------------- */

START_TEST(test_encoding_sorts_dict_keys_by_their_bytes)
{
    brine_doc *doc = brine_doc_new();
    brine_value *d = brine_dict_new(doc, NULL), *l = brine_list_new(doc, NULL);
    append(l, integer(doc, 1));
    append(l, str(doc, "x"));
    set(d, "b", l);
    set(d, "a", integer(doc, -5));
    set(d, "c", brine_bytes_new(doc, S("\xff\x00"), NULL));
    set(d, "ab", str(doc, ""));
    set(d, "B", integer(doc, 0));
    expect_encoding(d, NULL,
                    S("d1:Bi0e1:ai-5e2:ab0:1:bli1e1:xe1:c2:\xff\x00"
                      "e"));
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_nested_unsorted_dicts_are_sorted_at_every_level)
{
    brine_doc *doc = brine_doc_new();
    brine_value *top = brine_dict_new(doc, NULL), *z = brine_dict_new(doc, NULL), *in = brine_dict_new(doc, NULL);
    brine_value *l = brine_list_new(doc, NULL), *empty = brine_dict_new(doc, NULL);
    set(z, "y", integer(doc, 1));
    set(z, "x", in);
    set(in, "q", integer(doc, 2));
    set(in, "p", empty);
    set(top, "z", z);
    append(l, z);
    append(l, integer(doc, 7));
    set(top, "a", l);
    set(top, "m", integer(doc, 3));
    expect_encoding(top, NULL, S("d1:ald1:xd1:pde1:qi2ee1:yi1eei7ee1:mi3e1:zd1:xd1:pde1:qi2ee1:yi1eee"));
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_ints_of_every_size_round_trip)
{
    static const char want[] = "li0ei-1ei9223372036854775807ei-9223372036854775808ei18446744073709551615e"
                               "i18446744073709551616ei-9223372036854775809e"
                               "i-100000000000000000000000000000000000000000000000000ee";
    brine_doc *doc = brine_doc_new();
    brine_value *l = brine_list_new(doc, NULL);
    append(l, integer(doc, 0));
    append(l, integer(doc, -1));
    append(l, integer(doc, INT64_MAX));
    append(l, integer(doc, INT64_MIN));
    append(l, brine_uint_new(doc, UINT64_MAX, NULL));
    append(l, decimal(doc, "18446744073709551616"));
    append(l, decimal(doc, "-9223372036854775809"));
    append(l, decimal(doc, "-100000000000000000000000000000000000000000000000000"));
    expect_encoding(l, NULL, S(want));
    brine_doc *back = decode_ok(S(want), NULL);
    expect_equal(brine_doc_root(back), l);
    brine_doc_free(back);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_random_big_ints_match_libbrines_decimal_text)
{
    /* The plugin converts big ints itself; libbrine's conversion is the
     * reference. Lengths cover 9 bytes (just past uint64) to 1700 (close
     * to 4300 digits), both signs, and runs of 0x00 and 0xFF. */
    uint32_t seed = 99;
    for (int round = 0; round < 400; round++) {
        unsigned char le[1700];
        seed = seed * 1103515245u + 12345u;
        size_t len = 9 + (seed >> 8) % (round < 300 ? 64 : sizeof le - 9);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            le[i] = round % 5 == 0   ? (unsigned char)(i + 1 < len ? 0xFF : 0x80 | (seed >> 16))
                    : round % 5 == 1 ? (unsigned char)(i + 1 < len ? 0x00 : 0x7F & (seed >> 16))
                                     : (unsigned char)(seed >> 16);
        }
        brine_doc *doc = brine_doc_new();
        brine_value *v = brine_int_new_bytes(doc, le, len, NULL);
        ck_assert_ptr_nonnull(v);
        char *text = brine_int_to_decimal(v);
        ck_assert_ptr_nonnull(text);
        char *want = malloc(strlen(text) + 3);
        ck_assert_ptr_nonnull(want);
        size_t want_len = (size_t)sprintf(want, "i%se", text);
        expect_encoding(v, NULL, want, want_len);
        brine_doc *back = decode_ok(want, want_len, NULL);
        expect_equal(brine_doc_root(back), v);
        brine_doc_free(back);
        free(want);
        brine_free(text);
        brine_doc_free(doc);
    }
}
END_TEST

START_TEST(test_tuples_encode_as_lists)
{
    brine_doc *doc = brine_doc_new();
    brine_value *t = brine_tuple_new(doc, NULL), *empty = brine_tuple_new(doc, NULL);
    append(t, integer(doc, 1));
    append(t, empty);
    expect_encoding(t, NULL, S("li1elee"));
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_shared_lists_are_written_again_and_cycles_refused)
{
    brine_doc *doc = brine_doc_new();
    brine_value *a = brine_list_new(doc, NULL), *top = brine_list_new(doc, NULL);
    append(a, integer(doc, 1));
    append(top, a);
    append(top, a);
    expect_encoding(top, NULL, S("lli1eeli1eee"));
    append(a, top);
    expect_encode_error(top, BRINE_E_CYCLE, "$[0][1]", "circular reference detected");
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_values_bencode_cannot_hold_are_refused_with_their_path)
{
    brine_doc *doc = brine_doc_new();
    brine_value *d = brine_dict_new(doc, NULL), *l = brine_list_new(doc, NULL);
    set(d, "a", l);
    append(l, integer(doc, 1));
    append(l, brine_float_new(doc, 1.5, NULL));
    expect_encode_error(d, BRINE_E_UNSUPPORTED, "$.a[1]", "bencode cannot represent a float");
    ck_assert_int_eq(brine_seq_set(l, 1, brine_null_new(doc, NULL), NULL), BRINE_OK);
    expect_encode_error(d, BRINE_E_UNSUPPORTED, "$.a[1]", "bencode cannot represent None (null)");
    ck_assert_int_eq(brine_seq_set(l, 1, brine_bool_new(doc, 1, NULL), NULL), BRINE_OK);
    expect_encode_error(d, BRINE_E_UNSUPPORTED, "$.a[1]", "bencode cannot represent a bool");
    ck_assert_int_eq(brine_seq_set(l, 1, brine_complex_new(doc, 1, 2, NULL), NULL), BRINE_OK);
    expect_encode_error(d, BRINE_E_UNSUPPORTED, "$.a[1]", "bencode cannot represent a complex");
    ck_assert_int_eq(brine_seq_set(l, 1, brine_model_new(doc, S("Point"), NULL), NULL), BRINE_OK);
    expect_encode_error(d, BRINE_E_UNSUPPORTED, "$.a[1]", "bencode cannot represent a model");

    brine_value *k = brine_dict_new(doc, NULL);
    ck_assert_int_eq(brine_dict_set(k, integer(doc, 7), str(doc, "x"), NULL), BRINE_OK);
    expect_encode_error(k, BRINE_E_UNSUPPORTED, "$[7]",
                        "bencode dict keys are byte strings (str or bytes), not an int");
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_str_and_bytes_keys_with_the_same_bytes_are_refused)
{
    brine_doc *doc = brine_doc_new();
    brine_value *d = brine_dict_new(doc, NULL), *inner = brine_dict_new(doc, NULL);
    set(d, "z", inner);
    set(inner, "k", integer(doc, 1));
    ck_assert_int_eq(brine_dict_set(inner, brine_bytes_new(doc, S("k"), NULL), integer(doc, 2), NULL), BRINE_OK);
    brine_error err;
    void *data = NULL;
    size_t len;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_encode_buffer(bc, d, NULL, &data, &len, &err), BRINE_E_UNSUPPORTED);
    ck_assert_str_eq(err.message, "two dict keys are both the byte string 'k' in bencode (a str and a bytes key)");
    ck_assert_str_eq(err.path, "$.z");
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_integer_digit_limit_applies_both_ways)
{
    char big[4400];
    big[0] = 'i';
    big[1] = '1';
    memset(big + 2, '0', 4299);
    big[4301] = 'e';
    /* 4300 digits pass; 4301 do not, unless the limit is raised or off. */
    brine_doc *doc = decode_ok(big, 4302, NULL);
    char *text = brine_int_to_decimal(brine_doc_root(doc));
    ck_assert_uint_eq(strlen(text), 4300);
    brine_free(text);
    expect_encoding(brine_doc_root(doc), NULL, big, 4302);
    brine_doc_free(doc);

    big[4301] = '0';
    big[4302] = 'e';
    expect_decode_error(big, 4303, NULL, BRINE_E_RANGE, 0,
                        "integer has more than 4300 digits (see the max_digits option)");
    const char *raised[] = {"max_digits=4301"}, *off[] = {"max_digits=0"}, *bad[] = {"max_digits=lots"};
    brine_options o_raised = {.count = 1, .items = raised}, o_off = {.count = 1, .items = off},
                  o_bad = {.count = 1, .items = bad};
    doc = decode_ok(big, 4303, &o_raised);
    brine_doc_free(doc);
    doc = decode_ok(big, 4303, &o_off);

    brine_error err;
    void *data = NULL;
    size_t len;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_encode_buffer(bc, brine_doc_root(doc), NULL, &data, &len, &err), BRINE_E_RANGE);
    ck_assert_str_eq(err.message, "integer has more than 4300 digits (see the max_digits option)");
    ck_assert_str_eq(err.path, "$");
    expect_encoding(brine_doc_root(doc), &o_raised, big, 4303);
    brine_doc_free(doc);

    expect_decode_error(S("i1e"), &o_bad, BRINE_E_OPTION, 0,
                        "the bencode option max_digits takes a number, not 'lots'");
}
END_TEST

/* ---- decoding ----------------------------------------------------------- */

START_TEST(test_byte_strings_decode_as_str_when_utf8_and_as_bytes_otherwise)
{
    static const char in[] = "l3:abc2:\xc3\xa9"
                             "2:\xff\xfe"
                             "0:3:\xed\xa0\x80"
                             "e";
    brine_doc *doc = decode_ok(S(in), NULL);
    brine_value *l = brine_doc_root(doc);
    static const brine_type want[] = {BRINE_STR, BRINE_STR, BRINE_BYTES, BRINE_STR, BRINE_BYTES};
    ck_assert_uint_eq(brine_seq_count(l), 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_int_eq(brine_type_of(brine_seq_get(l, i)), want[i]);
    size_t len;
    ck_assert_str_eq(brine_str_get(brine_seq_get(l, 1), &len), "\xc3\xa9");
    expect_encoding(l, NULL, S(in));
    brine_doc_free(doc);

    const char *items[] = {"bytes"};
    brine_options opts = {.count = 1, .items = items};
    doc = decode_ok(S(in), &opts);
    for (size_t i = 0; i < 5; i++)
        ck_assert_int_eq(brine_type_of(brine_seq_get(brine_doc_root(doc), i)), BRINE_BYTES);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_a_torrent_file_decodes_and_encodes_to_the_same_bytes)
{
    brine_doc *doc = decode_ok(S(torrent), NULL);
    brine_value *info = brine_dict_get_str(brine_doc_root(doc), "info");
    ck_assert_ptr_nonnull(info);
    int64_t piece;
    ck_assert_int_eq(brine_int_get_i64(brine_dict_get_str(info, "piece length"), &piece), BRINE_OK);
    ck_assert_int_eq(piece, 262144);
    ck_assert_int_eq(brine_type_of(brine_dict_get_str(info, "pieces")), BRINE_BYTES);
    expect_encoding(brine_doc_root(doc), NULL, S(torrent));
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_malformed_input_fails_with_code_and_offset)
{
    static const struct {
        const char *in;
        size_t len;
        int code;
        uint64_t offset;
        const char *message;
    } cases[] = {
        {S(""), BRINE_E_TRUNCATED, 0, "the input is empty"},
        {S("x"), BRINE_E_SYNTAX, 0, "unexpected 'x'"},
        {S("\x80"), BRINE_E_SYNTAX, 0, "unexpected byte 0x80"},
        {S("e"), BRINE_E_SYNTAX, 0, "unexpected 'e'"},
        {S("ie"), BRINE_E_SYNTAX, 1, "integer without digits"},
        {S("i-e"), BRINE_E_SYNTAX, 2, "integer without digits"},
        {S("i01e"), BRINE_E_SYNTAX, 1, "integer with a leading zero"},
        {S("i-0e"), BRINE_E_SYNTAX, 1, "negative zero is not a bencode integer"},
        {S("i1.5e"), BRINE_E_SYNTAX, 2, "expected 'e' after the integer's digits"},
        {S("i12"), BRINE_E_TRUNCATED, 3, "the input ends inside an integer"},
        {S("01:a"), BRINE_E_SYNTAX, 0, "byte string length with a leading zero"},
        {S("3x"), BRINE_E_SYNTAX, 1, "expected ':' after a byte string's length"},
        {S("5:ab"), BRINE_E_TRUNCATED, 4, "the input ends inside a byte string"},
        {S("99999999999999999999:"), BRINE_E_RANGE, 0, "byte string length is too large"},
        {S("l"), BRINE_E_TRUNCATED, 1, "the input ends inside a list"},
        {S("li1e"), BRINE_E_TRUNCATED, 4, "the input ends inside a list"},
        {S("d1:a"), BRINE_E_TRUNCATED, 4, "the input ends inside a dict"},
        {S("d1:ae"), BRINE_E_SYNTAX, 4, "dict key without a value"},
        {S("di1ei2ee"), BRINE_E_SYNTAX, 1, "dict key is not a byte string"},
        {S("dlei2ee"), BRINE_E_SYNTAX, 1, "dict key is not a byte string"},
        {S("d1:bi1e1:ai2ee"), BRINE_E_SYNTAX, 7, "dict key 'a' is out of order after 'b' (see the unsorted option)"},
        {S("d1:ai1e1:ai2ee"), BRINE_E_SYNTAX, 7, "duplicate dict key 'a'"},
        {S("d2:\x00\x01i1e0:i2ee"), BRINE_E_SYNTAX, 8,
         "dict key '' is out of order after '\\x00\\x01' (see the unsorted option)"},
        {S("i1ei2e"), BRINE_E_SYNTAX, 3, "trailing data after the value"},
        {S("le "), BRINE_E_SYNTAX, 2, "trailing data after the value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_decode_error(cases[i].in, cases[i].len, NULL, cases[i].code, cases[i].offset, cases[i].message);
}
END_TEST

START_TEST(test_keys_are_ordered_per_dict_not_across_nesting)
{
    /* The inner dict's keys ("z") do not take part in the outer order. */
    brine_doc *doc = decode_ok(S("d1:ad1:zi1ee1:bd1:ai2eee"), NULL);
    brine_doc_free(doc);
    doc = decode_ok(S("d1:ald1:bi0ee1:ci1eee"), NULL);
    brine_doc_free(doc);
    expect_decode_error(S("d1:bd1:ai1ee1:ai0ee"), NULL, BRINE_E_SYNTAX, 12,
                        "dict key 'a' is out of order after 'b' (see the unsorted option)");
}
END_TEST

START_TEST(test_unsorted_option_accepts_keys_out_of_order)
{
    const char *items[] = {"unsorted"};
    brine_options opts = {.count = 1, .items = items};
    brine_doc *doc = decode_ok(S("d1:bi1e1:ai2ee"), &opts);
    brine_value *d = brine_doc_root(doc);
    size_t it = 0, len;
    brine_value *k;
    ck_assert(brine_dict_next(d, &it, &k, NULL));
    ck_assert_str_eq(brine_str_get(k, &len), "b");
    expect_encoding(d, NULL, S("d1:ai2e1:bi1ee"));
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_every_truncation_of_a_valid_input_fails_where_it_ends)
{
    for (size_t len = 0; len < sizeof torrent - 1; len++) {
        brine_error err;
        brine_error_clear(&err);
        brine_doc *doc = brine_decode_buffer(bc, torrent, len, NULL, &err);
        ck_assert_ptr_null(doc);
        ck_assert_msg(err.code == BRINE_E_TRUNCATED && err.offset == len, "prefix %zu: %d at %llu: %s", len, err.code,
                      (unsigned long long)err.offset, err.message);
    }
}
END_TEST

START_TEST(test_random_corruptions_give_errors_not_crashes)
{
    unsigned char buf[sizeof torrent];
    uint32_t seed = 12345;
    size_t ok = 0, failed = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, torrent, sizeof torrent - 1);
        for (int flips = 1 + round % 4; flips > 0; flips--) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % (sizeof torrent - 1);
            seed = seed * 1103515245u + 12345u;
            buf[at] = (unsigned char)(seed >> 16);
        }
        brine_error err;
        brine_error_clear(&err);
        brine_doc *doc = brine_decode_buffer(bc, buf, sizeof torrent - 1, NULL, &err);
        if (doc) {
            ok++;
            brine_doc_free(doc);
            continue;
        }
        failed++;
        ck_assert_msg(err.code == BRINE_E_SYNTAX || err.code == BRINE_E_TRUNCATED || err.code == BRINE_E_RANGE,
                      "code %d: %s", err.code, err.message);
        ck_assert_uint_le(err.offset, sizeof torrent - 1);
        ck_assert(err.message[0] != '\0');
    }
    ck_assert_uint_gt(ok, 0);
    ck_assert_uint_gt(failed, 0);
}
END_TEST

/* ---- depth -------------------------------------------------------------- */

static char *nested(size_t depth, size_t *len)
{
    char *s = malloc(2 * depth);
    ck_assert_ptr_nonnull(s);
    memset(s, 'l', depth);
    memset(s + depth, 'e', depth);
    *len = 2 * depth;
    return s;
}

START_TEST(test_nesting_1000_decodes_and_1001_exceeds_the_depth_limit)
{
    size_t len;
    char *s = nested(1000, &len);
    brine_doc *doc = decode_ok(s, len, NULL);
    expect_encoding(brine_doc_root(doc), NULL, s, len);
    brine_doc_free(doc);
    free(s);

    s = nested(1001, &len);
    brine_error err;
    brine_error_clear(&err);
    ck_assert_ptr_null(brine_decode_buffer(bc, s, len, NULL, &err));
    expect_error(&err, BRINE_E_DEPTH, 1000, NULL, NULL);
    ck_assert_msg(strncmp(err.message, "maximum recursion depth exceeded while decoding", 47) == 0, "%s", err.message);
    free(s);
}
END_TEST

START_TEST(test_a_million_levels_round_trip_with_the_limit_raised)
{
    size_t len;
    char *s = nested(1000000, &len);
    brine_options opts = {.max_depth = 1000000};
    brine_doc *doc = decode_ok(s, len, &opts);
    expect_encoding(brine_doc_root(doc), &opts, s, len);
    brine_doc_free(doc);

    /* The same depth in dicts: {"k": {"k": ...}} buffers and closes a
     * million dicts. */
    size_t dlen = 4 * 999999 + 2 + 999999;
    char *d = malloc(dlen);
    ck_assert_ptr_nonnull(d);
    for (size_t i = 0; i < 999999; i++)
        memcpy(d + 4 * i, "d1:k", 4);
    memcpy(d + 4 * 999999, "de", 2);
    memset(d + 4 * 999999 + 2, 'e', 999999);
    doc = decode_ok(d, dlen, &opts);
    expect_encoding(brine_doc_root(doc), &opts, d, dlen);
    brine_doc_free(doc);
    free(d);
    free(s);
}
END_TEST

/* ---- sources, outputs, transcoding -------------------------------------- */

/* A list of count entries mixing byte strings of growing length and ints,
 * big enough to cross many refills of a file source's window. */
static char *big_input(size_t count, size_t *len)
{
    size_t cap = 64 + count * 40, n = 0;
    char *s = malloc(cap);
    ck_assert_ptr_nonnull(s);
    s[n++] = 'l';
    for (size_t i = 0; i < count; i++) {
        if (i % 3 == 0)
            n += (size_t)snprintf(s + n, cap - n, "i%zue", i * 7919);
        else {
            size_t sl = i % 29;
            n += (size_t)snprintf(s + n, cap - n, "%zu:", sl);
            for (size_t k = 0; k < sl; k++)
                s[n++] = (char)('a' + (i + k) % 26);
        }
    }
    s[n++] = 'e';
    *len = n;
    return s;
}

START_TEST(test_decoding_from_a_file_matches_decoding_from_memory)
{
    size_t len;
    char *s = big_input(200000, &len);
    FILE *fp = tmpfile();
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(s, 1, len, fp), len);
    rewind(fp);
    brine_source src;
    brine_error err;
    brine_error_clear(&err);
    brine_source_init_file(&src, fp);
    brine_doc *from_file = brine_decode(bc, &src, NULL, &err);
    ck_assert_msg(from_file != NULL, "%s at %llu", err.message, (unsigned long long)err.offset);
    brine_source_destroy(&src);
    fclose(fp);
    brine_doc *from_mem = decode_ok(s, len, NULL);
    ck_assert_uint_eq(brine_seq_count(brine_doc_root(from_file)), 200000);
    expect_equal(brine_doc_root(from_file), brine_doc_root(from_mem));
    brine_doc_free(from_file);
    brine_doc_free(from_mem);
    free(s);
}
END_TEST

/* Counts the bytes the process holds through brine's allocator. */
static long long held, peak;

static void *count_malloc(size_t size)
{
    void *p = malloc(size);
    if (p && (held += (long long)malloc_usable_size(p)) > peak)
        peak = held;
    return p;
}

static void *count_realloc(void *p, size_t size)
{
    long long old = p ? (long long)malloc_usable_size(p) : 0;
    void *q = realloc(p, size);
    if (q) {
        held = held - old + (long long)malloc_usable_size(q);
        if (held > peak)
            peak = held;
    }
    return q;
}

static void count_free(void *p)
{
    if (p)
        held -= (long long)malloc_usable_size(p);
    free(p);
}

START_TEST(test_a_huge_declared_length_costs_only_the_bytes_that_arrive)
{
    static const char in[] = "l4000000000000:abcdefgh";
    FILE *fp = tmpfile();
    ck_assert_ptr_nonnull(fp);
    fputs(in, fp);
    for (int i = 0; i < 1000; i++)
        fputs("0123456789", fp);
    rewind(fp);
    /* Allocations from here on are counted (the registry came before, so
     * what it frees later may make `held` dip: only the peak matters). */
    brine_set_allocator(count_malloc, count_realloc, count_free);
    brine_source src;
    brine_error err;
    brine_error_clear(&err);
    brine_source_init_file(&src, fp);
    ck_assert_ptr_null(brine_decode(bc, &src, NULL, &err));
    brine_source_destroy(&src);
    fclose(fp);
    brine_set_allocator(NULL, NULL, NULL);
    expect_error(&err, BRINE_E_TRUNCATED, sizeof in - 1 + 10000, NULL, "the input ends inside a byte string");
    ck_assert_msg(peak < 1 << 20, "peak %lld bytes", peak);

    expect_decode_error(S("4000000000000:abc"), NULL, BRINE_E_TRUNCATED, 17, "the input ends inside a byte string");
}
END_TEST

START_TEST(test_transcoding_bencode_to_bencode_streams_and_keeps_the_bytes)
{
    brine_source src;
    brine_output out;
    brine_error err;
    int streamed = -1;
    brine_error_clear(&err);
    brine_source_init_buffer(&src, torrent, sizeof torrent - 1);
    ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
    ck_assert_int_eq(brine_transcode(bc, &src, NULL, bc, &out, NULL, &streamed, &err), BRINE_OK);
    ck_assert_int_eq(streamed, 1);
    size_t len;
    char *data = brine_output_take(&out, &len);
    ck_assert_uint_eq(len, sizeof torrent - 1);
    ck_assert_mem_eq(data, torrent, len);
    brine_free(data);
    brine_output_destroy(&out);

    /* Unsorted input comes out sorted. */
    const char *items[] = {"unsorted"};
    brine_options opts = {.count = 1, .items = items};
    brine_source_init_buffer(&src, S("d1:bi1e1:ali2eee"));
    ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
    ck_assert_int_eq(brine_transcode(bc, &src, &opts, bc, &out, NULL, &streamed, &err), BRINE_OK);
    data = brine_output_take(&out, &len);
    ck_assert_uint_eq(len, 16);
    ck_assert_mem_eq(data, "d1:ali2ee1:bi1ee", 16);
    brine_free(data);
    brine_output_destroy(&out);
}
END_TEST

static Suite *example_suite(void)
{
    Suite *s = suite_create("example plugin");
    TCase *tc = tcase_create("bencode");
    registry_fixture(tc, &reg, fixture_formats);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_registry_loads_bencode_from_the_plugin_path);
    tcase_add_test(tc, test_sniff_accepts_bencode_prefixes_and_rejects_other_text);
    tcase_add_test(tc, test_encoding_sorts_dict_keys_by_their_bytes);
    tcase_add_test(tc, test_nested_unsorted_dicts_are_sorted_at_every_level);
    tcase_add_test(tc, test_ints_of_every_size_round_trip);
    tcase_add_test(tc, test_random_big_ints_match_libbrines_decimal_text);
    tcase_add_test(tc, test_tuples_encode_as_lists);
    tcase_add_test(tc, test_shared_lists_are_written_again_and_cycles_refused);
    tcase_add_test(tc, test_values_bencode_cannot_hold_are_refused_with_their_path);
    tcase_add_test(tc, test_str_and_bytes_keys_with_the_same_bytes_are_refused);
    tcase_add_test(tc, test_integer_digit_limit_applies_both_ways);
    tcase_add_test(tc, test_byte_strings_decode_as_str_when_utf8_and_as_bytes_otherwise);
    tcase_add_test(tc, test_a_torrent_file_decodes_and_encodes_to_the_same_bytes);
    tcase_add_test(tc, test_malformed_input_fails_with_code_and_offset);
    tcase_add_test(tc, test_keys_are_ordered_per_dict_not_across_nesting);
    tcase_add_test(tc, test_unsorted_option_accepts_keys_out_of_order);
    tcase_add_test(tc, test_every_truncation_of_a_valid_input_fails_where_it_ends);
    tcase_add_test(tc, test_random_corruptions_give_errors_not_crashes);
    tcase_add_test(tc, test_nesting_1000_decodes_and_1001_exceeds_the_depth_limit);
    tcase_add_test(tc, test_a_million_levels_round_trip_with_the_limit_raised);
    tcase_add_test(tc, test_decoding_from_a_file_matches_decoding_from_memory);
    tcase_add_test(tc, test_a_huge_declared_length_costs_only_the_bytes_that_arrive);
    tcase_add_test(tc, test_transcoding_bencode_to_bencode_streams_and_keeps_the_bytes);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(example_suite)
