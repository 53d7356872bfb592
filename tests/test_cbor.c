/* test_cbor.c: the cbor plugin against docs/cbor.md: the vectors of
 * data/cbor/vectors.txt (RFC 8949 appendix A, brine's tags, refs, typed
 * arrays, errors), canonical output, shared and cyclic graphs, streams of
 * unknown counts, depth, hostile lengths, truncation at every byte and a
 * bit-flip sweep (clean errors only), sniffing, and libcbor as the oracle
 * (random libcbor documents read as the same values; brine's output loads
 * whole in cbor_load) and as the reason the decoder is our own. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>
#include <cbor.h>

#include "check_util.h"

static brine_registry *reg;
static const brine_plugin *cb;
static const brine_plugin *mp;
static const test_format fixture_formats[] = {{"cbor", &cb, NULL}, {"msgpack", &mp, NULL}, {0}};

static brine_doc *dec(const void *data, size_t len, const char *opts, size_t max_depth, brine_error *err)
{
    return decode_with(cb, data, len, opts, max_depth, err);
}

static unsigned char *enc(const brine_value *v, const char *opts, size_t *len, brine_error *err)
{
    return encode_with(cb, v, opts, 0, len, err);
}

static size_t unhex(const char *s, unsigned char *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; *s; s++) {
        int c = *s, v;
        if (c == ' ' || c == '-')
            continue;
        v = c <= '9' ? c - '0' : (c | 32) - 'a' + 10;
        ck_assert_msg(v >= 0 && v < 16, "bad hex '%s'", s);
        if (hi < 0) {
            hi = v;
        } else {
            ck_assert(n < cap);
            out[n++] = (unsigned char)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

static void hex_of(const unsigned char *p, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < len && n + 3 < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%02x", p[i]);
}

static void repr_of(const brine_value *v, char *out, size_t cap)
{
    brine_error err;
    brine_error_clear(&err);
    ck_assert_msg(brine_value_repr(v, out, cap, 0, &err) != (size_t)-1, "repr failed: %s", err.message);
}

/* Encodes v with opts and compares with the hex want. */
static void expect_bytes(const brine_value *v, const char *opts, const char *want_hex)
{
    unsigned char want[512], *out;
    char got[1100];
    size_t want_len = unhex(want_hex, want, sizeof want), len;
    brine_error err;
    out = enc(v, opts, &len, &err);
    ck_assert_msg(out != NULL, "encoding failed: %s", err.message);
    hex_of(out, len, got, sizeof got);
    ck_assert_msg(len == want_len && memcmp(out, want, len) == 0, "wrote %s, expected %s", got, want_hex);
    brine_free(out);
}

START_TEST(test_descriptor_names_module_extension_mime_and_caps)
{
    ck_assert_str_eq(cb->name, "cbor");
    ck_assert_str_eq(cb->mime_type, "application/cbor");
    ck_assert_str_eq(cb->extensions[0], "cbor");
    ck_assert_ptr_null(cb->extensions[1]);
    /* tags 28/29 are read always, written with refs */
    ck_assert_uint_eq(cb->caps, BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_BINARY | BRINE_CAP_REFS_OPTION |
                                    BRINE_CAP_REFS_READ);
    ck_assert_ptr_eq(brine_registry_find_extension(reg, "x.cbor"), cb);
    ck_assert_ptr_eq(brine_registry_find_mime(reg, "application/cbor"), cb);
}
END_TEST

START_TEST(test_vectors_decode_and_write_back_as_listed)
{
    char path[1024], line[4096], where[64];
    unsigned lineno = 0, cases = 0;
    FILE *fp;
    snprintf(path, sizeof path, "%s/cbor/vectors.txt", BRINE_TEST_DATA);
    fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    while (fgets(line, sizeof line, fp)) {
        char *field[4] = {NULL, NULL, NULL, NULL}, *p = line;
        unsigned char in[1024], want[1024];
        size_t in_len, want_len, nf = 0;
        brine_error err;
        brine_doc *doc;
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        while (nf < 4) {
            char *sep = strstr(p, " | ");
            field[nf++] = p;
            if (!sep)
                break;
            *sep = '\0';
            p = sep + 3;
        }
        snprintf(where, sizeof where, "vectors.txt:%u", lineno);
        ck_assert_msg(nf >= 2, "%s: needs at least two fields", where);
        in_len = unhex(field[0], in, sizeof in);
        if (strncmp(field[1], "error ", 6) == 0) {
            int code, used = 0;
            char off_s[32];
            const char *epath;
            ck_assert_msg(sscanf(field[1] + 6, "%d %31s %n", &code, off_s, &used) == 2 && used > 0, "%s: bad error",
                          where);
            epath = field[1] + 6 + used;
            doc = dec(in, in_len, nf > 2 ? field[2] : NULL, 0, &err);
            ck_assert_msg(doc == NULL, "%s: decoded, expected error %d", where, code);
            ck_assert_msg(err.code == code && (strcmp(off_s, "ANY") == 0 || err.offset == strtoull(off_s, NULL, 10)) &&
                              strcmp(err.path, epath) == 0,
                          "%s: error %d at %llu path '%s' (%s), expected %d at %s path '%s'", where, err.code,
                          (unsigned long long)err.offset, err.path, err.message, code, off_s, epath);
            cases++;
            continue;
        }
        ck_assert_msg(nf >= 3, "%s: needs the written bytes", where);
        {
            const char *opts = nf > 3 ? field[3] : NULL;
            char repr[2048], got_hex[4096], want_hex[4096];
            unsigned char *out;
            size_t out_len;
            doc = dec(in, in_len, opts, 0, &err);
            ck_assert_msg(doc != NULL, "%s: %s at %llu %s", where, err.message, (unsigned long long)err.offset,
                          err.path);
            repr_of(brine_doc_root(doc), repr, sizeof repr);
            ck_assert_msg(strcmp(repr, field[1]) == 0, "%s: read %s, expected %s", where, repr, field[1]);
            want_len =
                strcmp(field[2], "=") == 0 ? unhex(field[0], want, sizeof want) : unhex(field[2], want, sizeof want);
            /* invalid_utf8 is the one decode-only option of the table */
            out = enc(brine_doc_root(doc), opts && strncmp(opts, "invalid_utf8", 12) == 0 ? NULL : opts, &out_len,
                      &err);
            ck_assert_msg(out != NULL, "%s: encoding failed: %s", where, err.message);
            hex_of(out, out_len, got_hex, sizeof got_hex);
            hex_of(want, want_len, want_hex, sizeof want_hex);
            ck_assert_msg(out_len == want_len && memcmp(out, want, out_len) == 0, "%s: wrote %s, expected %s", where,
                          got_hex, want_hex);
            brine_free(out);
            brine_doc_free(doc);
            cases++;
        }
    }
    fclose(fp);
    ck_assert_uint_ge(cases, 150);
}
END_TEST

START_TEST(test_big_ints_beyond_64_bits_round_trip_as_bignums)
{
    static const char *const hex[] = {
        "c249010000000000000000",                 /* 2^64 */
        "c349010000000000000000",                 /* -2^64 - 1 */
        "c25101000000000000000000000000000000ff", /* 17 bytes */
        "c3518000000000000000000000000000000000", /* the top bit set: a sign byte is needed in brine's form */
    };
    for (size_t i = 0; i < sizeof hex / sizeof *hex; i++) {
        unsigned char in[64];
        size_t n = unhex(hex[i], in, sizeof in);
        brine_error err;
        brine_doc *doc = dec(in, n, NULL, 0, &err);
        ck_assert_msg(doc != NULL, "%s: %s", hex[i], err.message);
        {
            int64_t i64;
            uint64_t u64;
            ck_assert_int_eq(brine_type_of(brine_doc_root(doc)), BRINE_INT);
            ck_assert_int_ne(brine_int_get_i64(brine_doc_root(doc), &i64), BRINE_OK);
            ck_assert_int_ne(brine_int_get_u64(brine_doc_root(doc), &u64), BRINE_OK);
        }
        expect_bytes(brine_doc_root(doc), NULL, hex[i]);
        brine_doc_free(doc);
    }
}
END_TEST

START_TEST(test_canonical_sorts_map_keys_by_their_encoded_bytes)
{
    /* {"b": 1, "a": 2, 10: 3, "aa": 4, -1: 5}: keys sort as 0a, 20, 6161, 6162, 626161 (RFC 8949 4.2.1). */
    static const char in_hex[] = "a5616201616102 0a03 62616104 2005";
    unsigned char in[64];
    size_t n = unhex(in_hex, in, sizeof in);
    brine_error err;
    brine_doc *doc = dec(in, n, NULL, 0, &err);
    ck_assert_ptr_nonnull(doc);
    expect_bytes(brine_doc_root(doc), NULL, in_hex);
    expect_bytes(brine_doc_root(doc), "canonical", "a5 0a03 2005 616102 616201 62616104");
    brine_doc_free(doc);
    /* Nested maps are sorted too; a plain model's keys in the order args, type, state. */
    n = unhex("a2 6162 a2 6179 01 6178 02 6161 d9caaa 83 63666f6f d9caa88101 f6", in, sizeof in);
    doc = dec(in, n, NULL, 0, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    expect_bytes(brine_doc_root(doc), "canonical", "a2 6161 d9caaa 83 63666f6f d9caa88101 f6 6162 a2 6178 02 6179 01");
    expect_bytes(brine_doc_root(doc), "canonical,plain",
                 "a2 6161 a3 6461726773 8101 6474797065 63666f6f 657374617465 f6 6162 a2 6178 02 6179 01");
    expect_bytes(brine_doc_root(doc), "plain",
                 "a2 6162 a2 6179 01 6178 02 6161 a3 6474797065 63666f6f 6461726773 8101 657374617465 f6");
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_refs_restore_shared_and_cyclic_containers)
{
    unsigned char in[64];
    size_t n = unhex("83 d81c 8101 d81d 00 d81c 82 01 d81d 01", in, sizeof in);
    brine_error err;
    brine_doc *doc = dec(in, n, NULL, 0, &err);
    brine_value *root, *cyc;
    ck_assert_msg(doc != NULL, "%s", err.message);
    root = brine_doc_root(doc);
    /* Element handles point into the node: the same address, the same list. */
    ck_assert_ptr_eq(brine_seq_get(brine_seq_get(root, 0), 0), brine_seq_get(brine_seq_get(root, 1), 0));
    cyc = brine_seq_get(root, 2);
    brine_seq_append(brine_seq_get(cyc, 1), brine_null_new(doc, NULL), NULL);
    ck_assert_uint_eq(brine_seq_count(cyc), 3);
    expect_bytes(root, "refs", "83 d81c 8101 d81d 00 d81c 83 01 d81d 01 f6");
    brine_seq_set(cyc, 2, brine_int_new(doc, 7, NULL), NULL);
    ck_assert_int_eq(brine_seq_set(cyc, 2, brine_null_new(doc, NULL), NULL), BRINE_OK);
    n = 0;
    ck_assert_ptr_null(enc(root, NULL, &n, &err));
    ck_assert_int_eq(err.code, BRINE_E_CYCLE);
    brine_doc_free(doc);
}
END_TEST

/* Tags 28/29 are standard CBOR, not brine's: plain writes them with refs. */
START_TEST(test_plain_with_refs_writes_standard_value_sharing)
{
    unsigned char in[32];
    size_t n = unhex("82 d81c d9caa8 8101 d81d 00", in, sizeof in);
    brine_error err;
    brine_doc *doc = dec(in, n, NULL, 0, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    expect_bytes(brine_doc_root(doc), "plain,refs", "82 d81c 8101 d81d 00");
    expect_bytes(brine_doc_root(doc), "plain", "82 8101 8101");
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_containers_of_unknown_count_get_definite_heads)
{
    /* msgpack -> cbor streams; a JSON-like stream of unknown counts is the
     * same path: an indefinite CBOR input decoded and written again. */
    unsigned char in[64], *out;
    size_t n = unhex("9f 01 bf 6161 9f f6 ff ff d9caa8 9f 01 ff ff", in, sizeof in), len;
    brine_source src;
    brine_output o;
    brine_error err;
    char got[256];
    brine_error_clear(&err);
    brine_source_init_buffer(&src, in, n);
    ck_assert_int_eq(brine_output_init_buffer(&o, &err), BRINE_OK);
    int streamed = 0;
    ck_assert_int_eq(brine_transcode(cb, &src, NULL, cb, &o, NULL, &streamed, &err), BRINE_OK);
    ck_assert_int_eq(streamed, 1);
    out = brine_output_take(&o, &len);
    hex_of(out, len, got, sizeof got);
    ck_assert_str_eq(got, "8301a1616181f6d9caa88101");
    brine_free(out);
    brine_output_destroy(&o);
    brine_source_destroy(&src);
}
END_TEST

START_TEST(test_depth_is_the_engines_and_tags_count_as_levels)
{
    size_t n = 200000;
    unsigned char *in = malloc(n + 1);
    brine_error err;
    brine_doc *doc;
    memset(in, 0x81, n);
    in[n] = 0x00;
    ck_assert_ptr_null(dec(in, n + 1, NULL, 0, &err));
    ck_assert_int_eq(err.code, BRINE_E_DEPTH);
    doc = dec(in, n + 1, NULL, n + 10, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    brine_doc_free(doc);
    /* Nested unknown tags: each is a model, so the depth limit stops them. */
    memset(in, 0xc1, n);
    ck_assert_ptr_null(dec(in, n + 1, NULL, 0, &err));
    ck_assert_int_eq(err.code, BRINE_E_DEPTH);
    /* The self-describe tag has no level: any number of them reads. */
    for (size_t i = 0; i + 3 <= n; i += 3)
        memcpy(in + i, "\xd9\xd9\xf7", 3);
    doc = dec(in, n - n % 3 + 0, NULL, 0, &err);
    ck_assert_ptr_null(doc); /* no item after the tags */
    ck_assert_int_eq(err.code, BRINE_E_TRUNCATED);
    free(in);
}
END_TEST

START_TEST(test_hostile_lengths_fail_before_anything_is_allocated)
{
    static const char *const hex[] = {"5b ffffffffffffffff",
                                      "7b 00000001 00000000",
                                      "9b 00000000 ffffffff",
                                      "bb 7fffffff ffffffff",
                                      "9a ffffffff 00",
                                      "c2 5b ffffffffffffffff",
                                      "d9caab 83 63 3c6638 81 1b ffffffffffffffff 40"};
    for (size_t i = 0; i < sizeof hex / sizeof *hex; i++) {
        unsigned char in[64];
        size_t n = unhex(hex[i], in, sizeof in);
        brine_error err;
        brine_doc *doc;
        alloc_calls = 0;
        alloc_fail_at = 0;
        alloc_live = 0;
        brine_set_allocator(failing_malloc, failing_realloc, counting_free);
        doc = dec(in, n, NULL, 0, &err);
        brine_set_allocator(NULL, NULL, NULL);
        ck_assert_msg(doc == NULL, "%s decoded", hex[i]);
        ck_assert_msg(err.code == BRINE_E_TRUNCATED || err.code == BRINE_E_CORRUPT, "%s: %d %s", hex[i], err.code,
                      err.message);
        ck_assert_msg(alloc_live == 0, "%s: %ld blocks left", hex[i], alloc_live);
    }
}
END_TEST

/* A document holding every kind of item the decoder reads. */
static const char rich_hex[] = "d9d9f7 a9 6161 83 01 20 3903e7 6162 9f f93e00 fa47c35000 fb3ff199999999999a ff"
                               "6163 5f 4201 02 41 03 ff 6164 7f 6261 62 ff 6165 c2 49 010000000000000000"
                               "6166 d81c 82 f4 f5 6167 d81d 00 6168 d840 43 010203"
                               "6169 d9caaa 83 63666f6f d9caa8 82 f6 f7 a2 01 c1 1a514b67b0 02 f0";

START_TEST(test_truncation_at_every_byte_is_a_clean_error)
{
    unsigned char in[256];
    size_t n = unhex(rich_hex, in, sizeof in);
    brine_error err;
    brine_doc *doc = dec(in, n, NULL, 0, &err);
    ck_assert_msg(doc != NULL, "%s at %llu", err.message, (unsigned long long)err.offset);
    brine_doc_free(doc);
    for (size_t cut = 0; cut < n; cut++) {
        doc = dec(in, cut, NULL, 0, &err);
        REQUIRE(doc == NULL);
        REQUIRE(err.code == BRINE_E_TRUNCATED);
        REQUIRE(err.offset == cut);
    }
}
END_TEST

START_TEST(test_bit_flips_give_values_or_clean_errors)
{
    unsigned char in[256], flipped[256];
    size_t n = unhex(rich_hex, in, sizeof in);
    unsigned ok = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            brine_error err;
            brine_doc *doc;
            memcpy(flipped, in, n);
            flipped[i] ^= (unsigned char)(1u << bit);
            doc = dec(flipped, n, NULL, 0, &err);
            if (doc) {
                /* What reads must write and read again. */
                size_t len;
                unsigned char *out = enc(brine_doc_root(doc), "refs", &len, &err);
                REQUIRE(out != NULL || err.code == BRINE_E_UNSUPPORTED);
                if (out) {
                    brine_doc *again = dec(out, len, NULL, 0, &err);
                    REQUIRE(again != NULL);
                    brine_doc_free(again);
                    brine_free(out);
                }
                brine_doc_free(doc);
                ok++;
            } else {
                REQUIRE(err.code != BRINE_OK && err.message[0] != '\0');
                REQUIRE(err.offset <= n);
                bad++;
            }
        }
    }
    ck_assert_uint_gt(ok, 0);
    ck_assert_uint_gt(bad, 0);
}
END_TEST

START_TEST(test_sniff_finds_cbor_and_leaves_msgpack_and_json_alone)
{
    unsigned char in[256];
    size_t n = unhex(rich_hex, in, sizeof in);
    ck_assert_int_eq(cb->sniff(in, n), 100);
    ck_assert_int_ge(cb->sniff(in + 3, n - 3), 40); /* without the self-describe tag */
    ck_assert_int_le(cb->sniff((const unsigned char *)"{\"a\": 1}", 8), 5);
    ck_assert_int_le(cb->sniff((const unsigned char *)"[1, 2, 3]", 9), 5);
    ck_assert_int_le(cb->sniff((const unsigned char *)"hello world", 11), 5);
    ck_assert_int_eq(cb->sniff((const unsigned char *)"\x1c", 1), 0);
    /* A msgpack map ({"a": 1}) is a CBOR array of 1: msgpack must score higher. */
    ck_assert_int_lt(cb->sniff((const unsigned char *)"\x81\xa1"
                                                      "a\x01",
                               4),
                     mp->sniff((const unsigned char *)"\x81\xa1"
                                                      "a\x01",
                               4));
}
END_TEST

START_TEST(test_sequence_reads_and_writes_concatenated_items)
{
    unsigned char in[16];
    size_t n = unhex("01 8102 6161", in, sizeof in);
    brine_error err;
    char repr[128];
    brine_doc *doc = dec(in, n, "sequence", 0, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    repr_of(brine_doc_root(doc), repr, sizeof repr);
    ck_assert_str_eq(repr, "[1, [2], 'a']");
    expect_bytes(brine_doc_root(doc), "sequence", "01 8102 6161");
    brine_doc_free(doc);
    doc = dec("", 0, "sequence", 0, &err);
    ck_assert_ptr_nonnull(doc);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_cbor_models_that_are_not_their_item_are_written_as_models)
{
    /* cbor.simple(20) would be false, cbor.tag('x', 1) has no tag number:
     * both are ordinary models, and read back as the same models. */
    static const char *const hex[] = {"d9caaa 83 6b63626f722e73696d706c65 d9caa8 81 14 f6",
                                      "d9caaa 83 68 63626f722e746167 d9caa8 82 6178 01 f6",
                                      "d9caaa 83 6e63626f722e756e646566696e6564 d9caa8 80 01"};
    for (size_t i = 0; i < sizeof hex / sizeof *hex; i++) {
        unsigned char in[64];
        size_t n = unhex(hex[i], in, sizeof in);
        brine_error err;
        brine_doc *doc = dec(in, n, NULL, 0, &err);
        ck_assert_msg(doc != NULL, "%s: %s", hex[i], err.message);
        expect_bytes(brine_doc_root(doc), NULL, hex[i]);
        brine_doc_free(doc);
    }
}
END_TEST

/* ---- libcbor as the oracle ------------------------------------------------ */

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A random item made with libcbor: every major type brine reads as a plain
 * value, heads of every width, floats of every width. */
static cbor_item_t *random_item(int depth)
{
    static const uint64_t edges[] = {0, 23, 24, 255, 256, 65535, 65536, 4294967295u, 4294967296u, UINT64_MAX};
    int kind = (int)(rnd() % (depth > 6 ? 7 : 9));
    char text[64];
    switch (kind) {
    case 0: {
        uint64_t u = rnd() % 2 ? edges[rnd() % 10] : rnd() >> (rnd() % 64);
        return u <= 0xff          ? cbor_build_uint8((uint8_t)u)
               : u <= 0xffff      ? cbor_build_uint16((uint16_t)u)
               : u <= 0xffffffffu ? cbor_build_uint32((uint32_t)u)
                                  : cbor_build_uint64(u);
    }
    case 1: return cbor_build_negint64(rnd() % 2 ? edges[rnd() % 10] : rnd() >> (rnd() % 64));
    case 2: {
        double d = (double)(int64_t)rnd() / (double)(1 + rnd() % 1000000);
        int w = (int)(rnd() % 3);
        return w == 0   ? cbor_build_float2((float)(int)(d / 1e12))
               : w == 1 ? cbor_build_float4((float)d)
                        : cbor_build_float8(d);
    }
    case 3: {
        size_t n = rnd() % 40;
        for (size_t i = 0; i < n; i++)
            text[i] = (char)('a' + rnd() % 26);
        text[n] = '\0';
        return cbor_build_string(text);
    }
    case 4: {
        unsigned char b[300];
        size_t n = rnd() % 300;
        for (size_t i = 0; i < n; i++)
            b[i] = (unsigned char)rnd();
        return cbor_build_bytestring(b, n);
    }
    case 5: return cbor_build_bool(rnd() % 2);
    case 6: return cbor_new_null();
    case 7: {
        size_t n = rnd() % 8;
        cbor_item_t *a = cbor_new_definite_array(n);
        for (size_t i = 0; i < n; i++)
            cbor_array_push(a, cbor_move(random_item(depth + 1)));
        return a;
    }
    default: {
        size_t n = rnd() % 6;
        cbor_item_t *m = cbor_new_definite_map(n);
        for (size_t i = 0; i < n; i++) {
            snprintf(text, sizeof text, "k%zu", i);
            cbor_map_add(m, (struct cbor_pair){.key = cbor_move(cbor_build_string(text)),
                                               .value = cbor_move(random_item(depth + 1))});
        }
        return m;
    }
    }
}

/* 1 if brine's v is the value of libcbor's item. */
static int same_value(const brine_value *v, cbor_item_t *item)
{
    size_t len;
    switch (cbor_typeof(item)) {
    case CBOR_TYPE_UINT: {
        uint64_t u;
        return brine_int_get_u64(v, &u) == BRINE_OK && u == cbor_get_int(item);
    }
    case CBOR_TYPE_NEGINT: {
        uint64_t n = cbor_get_int(item);
        int64_t i;
        if (n > INT64_MAX)
            return brine_type_of(v) == BRINE_INT && brine_int_sign(v) < 0; /* a big int */
        return brine_int_get_i64(v, &i) == BRINE_OK && i == -1 - (int64_t)n;
    }
    case CBOR_TYPE_STRING: {
        const char *p = brine_str_get(v, &len);
        return p && len == cbor_string_length(item) && memcmp(p, cbor_string_handle(item), len) == 0;
    }
    case CBOR_TYPE_BYTESTRING: {
        const void *p = brine_bytes_get(v, &len);
        return p && len == cbor_bytestring_length(item) &&
               (len == 0 || memcmp(p, cbor_bytestring_handle(item), len) == 0);
    }
    case CBOR_TYPE_ARRAY:
        if (brine_type_of(v) != BRINE_LIST || brine_seq_count(v) != cbor_array_size(item))
            return 0;
        for (size_t i = 0; i < cbor_array_size(item); i++)
            if (!same_value(brine_seq_get(v, i), cbor_array_handle(item)[i]))
                return 0;
        return 1;
    case CBOR_TYPE_MAP: {
        size_t iter = 0, i = 0;
        brine_value *k, *val;
        if (brine_type_of(v) != BRINE_DICT || brine_dict_count(v) != cbor_map_size(item))
            return 0;
        while (brine_dict_next(v, &iter, &k, &val)) {
            if (!same_value(k, cbor_map_handle(item)[i].key) || !same_value(val, cbor_map_handle(item)[i].value))
                return 0;
            i++;
        }
        return 1;
    }
    case CBOR_TYPE_FLOAT_CTRL:
        if (cbor_float_ctrl_is_ctrl(item)) {
            if (cbor_is_null(item))
                return brine_type_of(v) == BRINE_NULL;
            return brine_type_of(v) == BRINE_BOOL && brine_bool_get(v) == cbor_get_bool(item);
        }
        return brine_type_of(v) == BRINE_FLOAT && brine_float_get(v) == cbor_float_get_float(item);
    default: return 0;
    }
}

/* Random documents written by libcbor read in brine as the same values;
 * brine writes them back in a form libcbor's cbor_load reads whole, to the
 * same values, with and without canonical. */
START_TEST(test_libcbor_documents_read_and_brines_output_loads_in_libcbor)
{
    for (int round = 0; round < 400; round++) {
        cbor_item_t *item = random_item(0), *back;
        unsigned char *bytes = NULL, *out;
        size_t size = 0, len = cbor_serialize_alloc(item, &bytes, &size), out_len;
        struct cbor_load_result r;
        brine_error err;
        brine_doc *doc;
        REQUIRE(len > 0);
        doc = dec(bytes, len, NULL, 0, &err);
        ck_assert_msg(doc != NULL, "round %d: %s at %llu", round, err.message, (unsigned long long)err.offset);
        REQUIRE(same_value(brine_doc_root(doc), item));
        for (int canonical = 0; canonical < 2; canonical++) {
            out = enc(brine_doc_root(doc), canonical ? "canonical" : NULL, &out_len, &err);
            REQUIRE(out != NULL);
            back = cbor_load(out, out_len, &r);
            ck_assert_msg(back != NULL && r.read == out_len, "round %d: libcbor cannot load brine's output", round);
            if (!canonical) /* canonical reorders maps: their values are checked by reading back */
                REQUIRE(same_value(brine_doc_root(doc), back));
            cbor_decref(&back);
            brine_free(out);
        }
        brine_doc_free(doc);
        free(bytes);
        cbor_decref(&item);
    }
}
END_TEST

/* Why the decoder is our own (docs/cbor.md): libcbor 0.8's cbor_load
 * refuses nesting deeper than 2048 (CBOR_MAX_STACK_SIZE, compiled in) and
 * its streaming decoder refuses simple values other than false, true,
 * null and undefined, which RFC 8949 allows; brine reads both. */
START_TEST(test_libcbor_limits_that_brine_does_not_have)
{
    static unsigned char deep[3000];
    struct cbor_load_result r;
    struct cbor_callbacks none = cbor_empty_callbacks;
    struct cbor_decoder_result res;
    cbor_item_t *item;
    brine_error err;
    brine_doc *doc;
    memset(deep, 0x81, 2049);
    deep[2049] = 0x00;
    item = cbor_load(deep, 2050, &r);
    ck_assert_ptr_null(item);
    ck_assert_int_eq(r.error.code, CBOR_ERR_MEMERROR);
    doc = dec(deep, 2050, NULL, 5000, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    brine_doc_free(doc);
    res = cbor_stream_decode((const unsigned char *)"\xf0", 1, &none, NULL);
    ck_assert_int_eq(res.status, CBOR_DECODER_ERROR);
    doc = dec("\xf0", 1, NULL, 0, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    brine_doc_free(doc);
}
END_TEST

static Suite *cbor_suite(void)
{
    Suite *s = suite_create("cbor");
    TCase *tc = tcase_create("cbor");
    registry_fixture(tc, &reg, fixture_formats);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_descriptor_names_module_extension_mime_and_caps);
    tcase_add_test(tc, test_vectors_decode_and_write_back_as_listed);
    tcase_add_test(tc, test_big_ints_beyond_64_bits_round_trip_as_bignums);
    tcase_add_test(tc, test_canonical_sorts_map_keys_by_their_encoded_bytes);
    tcase_add_test(tc, test_refs_restore_shared_and_cyclic_containers);
    tcase_add_test(tc, test_plain_with_refs_writes_standard_value_sharing);
    tcase_add_test(tc, test_containers_of_unknown_count_get_definite_heads);
    tcase_add_test(tc, test_depth_is_the_engines_and_tags_count_as_levels);
    tcase_add_test(tc, test_hostile_lengths_fail_before_anything_is_allocated);
    tcase_add_test(tc, test_truncation_at_every_byte_is_a_clean_error);
    tcase_add_test(tc, test_bit_flips_give_values_or_clean_errors);
    tcase_add_test(tc, test_sniff_finds_cbor_and_leaves_msgpack_and_json_alone);
    tcase_add_test(tc, test_sequence_reads_and_writes_concatenated_items);
    tcase_add_test(tc, test_cbor_models_that_are_not_their_item_are_written_as_models);
    tcase_add_test(tc, test_libcbor_limits_that_brine_does_not_have);
    tcase_add_test(tc, test_libcbor_documents_read_and_brines_output_loads_in_libcbor);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(cbor_suite)
