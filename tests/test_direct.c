/* test_direct.c: the direct builder (#23) against the event path. A format
 * with decode_direct is decoded both ways, brine_decode (direct) and its
 * decode into brine_builder_new (events), on every input we have: the
 * msgpack vectors and fuzz files, msgpack written from every other sample
 * graph (native goldens, fuzz inputs of other formats, the corpus), and
 * truncations and byte changes of each. Both must give equal graphs with
 * the same sharing (brine_value_equal, and byte-equal native encodings,
 * which anchor every shared node), or the same error (code, offset, path,
 * and message unless a plugin fault, whose message names the producer).
 * The borrowing decode (brine_decode_buffer_borrowed) must agree too. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>
#include <xxhash.h>

#include "check_util.h"

#ifndef BRINE_TEST_DATA
#error "BRINE_TEST_DATA must name the data directory"
#endif

static brine_registry *reg;
static const brine_plugin *msgpack, *native, *json, *pickle;
static const test_format formats[] = {
    {"msgpack", &msgpack, NULL}, {"native", &native, NULL}, {"json", &json, NULL}, {"pickle", &pickle, NULL}, {0}};

/* Option sets every input is decoded with. */
static const char *const option_sets[] = {"", "refs", "invalid_utf8=bytes", "numpy", "plain", "sequence", "refs,numpy"};
#define OPTION_SETS (sizeof option_sets / sizeof option_sets[0])

static long compared, failed_both, native_compared;
static void differ_native(const unsigned char *data, size_t len, const char *what);

/* Decodes data three ways with the options list and asserts they agree:
 * direct, through events, and borrowing the input (#23); what names the
 * input in failure messages. */
static void differ(const brine_plugin *fmt, const void *data, size_t len, const char *list, const char *what)
{
    test_opts t;
    const brine_options *o = opts_of(&t, list, 0);
    test_decode direct = {.label = "direct"}, events = {.label = "events"}, borrowed = {.label = "borrowed"};
    char label[1200];
    snprintf(label, sizeof label, "%s [%s]", what, list);
    brine_error_clear(&direct.err);
    direct.doc = brine_decode_buffer(fmt, data, len, o, &direct.err);
    events.doc = decode_events(fmt, data, len, o, &events.err);
    borrowed.doc = brine_decode_buffer_borrowed(fmt, data, len, o, &borrowed.err);
    compared++;
    expect_same_decodes(label, native, &direct, &borrowed, 0);
    if (!expect_same_decodes(label, native, &direct, &events, 1)) {
        failed_both++;
    } else if (fmt == msgpack && native_compared < 150) {
        size_t n = 0;
        void *b = encode_with(native, brine_doc_root(direct.doc), NULL, 0, &n, NULL);
        if (b)
            differ_native(b, n, what); /* the same graph through native's two paths */
        brine_free(b);
    }
    brine_doc_free(direct.doc);
    brine_doc_free(events.doc);
    brine_doc_free(borrowed.doc);
}

/* Every option set on data, then its truncations and single-byte changes
 * (the first `budget` positions of each), with the default options. */
static void differ_all(const brine_plugin *fmt, const unsigned char *data, size_t len, const char *what, size_t budget)
{
    char name[512];
    for (size_t i = 0; i < OPTION_SETS; i++)
        differ(fmt, data, len, option_sets[i], what);
    unsigned char *copy = malloc(len + 1);
    REQUIRE(copy != NULL);
    size_t n = len < budget ? len : budget;
    for (size_t cut = 0; cut < n; cut++) {
        snprintf(name, sizeof name, "%s cut at %zu", what, cut);
        differ(fmt, data, cut, "refs", name);
    }
    static const unsigned char subst[] = {0x00, 0x7f, 0x80, 0x9f, 0xc0, 0xc1, 0xd4, 0xdc, 0xde, 0xdf, 0xff};
    for (size_t pos = 0; pos < n; pos++) {
        for (size_t k = 0; k < sizeof subst; k++) {
            memcpy(copy, data, len);
            if (copy[pos] == subst[k])
                continue;
            copy[pos] = subst[k];
            snprintf(name, sizeof name, "%s byte %zu = %#x", what, pos, subst[k]);
            differ(fmt, copy, len, k % 2 ? "refs" : "", name);
        }
    }
    free(copy);
}

/* Native: the file as it is, then truncations and byte changes of its
 * body with the trailer (XXH3-64 of all before it) made right again, so
 * that the changes reach the decoder rather than the checksum check. */
static void differ_native(const unsigned char *data, size_t len, const char *what)
{
    char name[600];
    snprintf(name, sizeof name, "%s as native", what);
    differ(native, data, len, "", name);
    native_compared++;
    if (len < 18)
        return;
    unsigned char *copy = malloc(len);
    REQUIRE(copy != NULL);
    static const unsigned char subst[] = {0x00, 0x80, 0xff};
    size_t n = len - 8 < 48 ? len - 8 : 48;
    for (size_t pos = 8; pos < n; pos++) {
        for (size_t k = 0; k < sizeof subst; k++) {
            memcpy(copy, data, len);
            if (copy[pos] == subst[k])
                continue;
            copy[pos] = subst[k];
            uint64_t h = XXH3_64bits(copy, len - 8);
            for (int i = 0; i < 8; i++)
                copy[len - 8 + i] = (unsigned char)(h >> (8 * i));
            snprintf(name, sizeof name, "%s as native, byte %zu = %#x", what, pos, subst[k]);
            differ(native, copy, len, "", name);
        }
    }
    free(copy);
}

static int hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

START_TEST(test_direct_and_events_agree_on_the_msgpack_vectors)
{
    ck_assert_msg(msgpack->decode_direct != NULL, "msgpack decodes on the direct path");
    FILE *fp = fopen(BRINE_TEST_DATA "/msgpack/vectors.txt", "r");
    ck_assert_ptr_nonnull(fp);
    char line[8192];
    unsigned char bytes[4096];
    int lineno = 0, cases = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        size_t n = 0;
        int hi = -1;
        char *p = line;
        for (; *p && *p != '|'; p++) {
            int v = hexval(*p);
            if (v < 0)
                continue;
            if (hi < 0) {
                hi = v;
            } else if (n < sizeof bytes) {
                bytes[n++] = (unsigned char)(hi << 4 | v);
                hi = -1;
            }
        }
        /* The options field, the fourth: every case runs with every set
         * anyway, so its own options only add one more. */
        char *opt = NULL, *bar = line;
        for (int field = 0; field < 3 && bar; field++)
            bar = strstr(bar + (field ? 1 : 0), " | ");
        if (bar) {
            opt = bar + 3;
            opt[strcspn(opt, "\n")] = '\0';
        }
        char what[64];
        snprintf(what, sizeof what, "vectors.txt:%d", lineno);
        differ_all(msgpack, bytes, n, what, 64);
        if (opt && *opt)
            differ(msgpack, bytes, n, opt, what);
        cases++;
    }
    fclose(fp);
    ck_assert_int_gt(cases, 100);
    fprintf(stderr, "vectors: %ld decodes compared, %ld failed both ways\n", compared, failed_both);
}
END_TEST

/* Each file of a directory decoded with from (if it decodes), written as
 * msgpack with and without refs, then both msgpack decoders compared on it;
 * a file of msgpack itself is compared as it is. */
typedef struct {
    const brine_plugin *from;
    size_t budget;
} differ_ctx;

static int differ_file(const char *path, const unsigned char *data, size_t len, void *ctx)
{
    const differ_ctx *c = ctx;
    if (c->from == msgpack) {
        differ_all(msgpack, data, len, path, c->budget);
        return 1;
    }
    brine_error err;
    brine_doc *d = brine_decode_buffer(c->from, data, len, NULL, &err);
    for (int refs = 0; d && refs < 2; refs++) {
        size_t mlen;
        brine_error e2;
        unsigned char *m = encode_with(msgpack, brine_doc_root(d), refs ? "refs" : "", 0, &mlen, &e2);
        if (m) {
            char what[1100];
            snprintf(what, sizeof what, "%s as msgpack%s", path, refs ? " with refs" : "");
            differ_all(msgpack, m, mlen, what, c->budget);
            brine_free(m);
        }
    }
    brine_doc_free(d);
    return 1;
}

static int differ_dir(const char *dir, const brine_plugin *from, size_t budget)
{
    differ_ctx c = {from, budget};
    return for_each_test_file(dir, NULL, 0, differ_file, &c);
}

START_TEST(test_direct_and_events_agree_on_the_fuzz_files)
{
    ck_assert_int_gt(differ_dir(BRINE_TEST_DATA "/fuzz/msgpack", msgpack, 256), 0);
    ck_assert_int_gt(differ_dir(BRINE_TEST_DATA "/fuzz/json", json, 64), 0);
    ck_assert_int_gt(differ_dir(BRINE_TEST_DATA "/fuzz/pickle", pickle, 64), 0);
    fprintf(stderr, "fuzz files: %ld decodes compared, %ld failed both ways\n", compared, failed_both);
}
END_TEST

/* A native golden: both native decoders compared on it, and both msgpack
 * decoders on its msgpack forms. */
static int differ_golden(const char *path, const unsigned char *data, size_t len, void *ctx)
{
    (void)ctx;
    brine_error err;
    brine_doc *d = brine_decode_buffer(native, data, len, NULL, &err);
    ck_assert_msg(d != NULL, "%s: %s", path, err.message);
    differ_native(data, len, path);
    for (int refs = 0; refs < 2; refs++) {
        size_t mlen;
        unsigned char *m = encode_with(msgpack, brine_doc_root(d), refs ? "refs" : "", 0, &mlen, &err);
        if (!m)
            continue; /* cycles without refs */
        char what[1100];
        snprintf(what, sizeof what, "%s as msgpack%s", path, refs ? " with refs" : "");
        differ_all(msgpack, m, mlen, what, 512);
        brine_free(m);
    }
    brine_doc_free(d);
    return 1;
}

START_TEST(test_direct_and_events_agree_on_the_native_goldens)
{
    ck_assert_int_gt(for_each_test_file(BRINE_TEST_DATA "/native", ".brn", 0, differ_golden, NULL), 3);
    fprintf(stderr, "native goldens: %ld decodes compared (%ld native files), %ld failed both ways\n", compared,
            native_compared, failed_both);
    ck_assert_msg(native->decode_direct != NULL, "native decodes on the direct path");
}
END_TEST

/* The benchmark corpus (bench/corpus, or $BRINE_CORPUS): whole files,
 * option sets only. */
START_TEST(test_direct_and_events_agree_on_the_corpus)
{
    static const char *const names[] = {"twitter.json", "citm_catalog.json", "canada.json"};
    const char *env = getenv("BRINE_CORPUS");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", env ? env : BRINE_TEST_DATA "/../bench/corpus");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[1100];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *fp = fopen(path, "rb");
        ck_assert_msg(fp != NULL, "cannot read %s", path);
        fclose(fp);
        size_t len, mlen;
        unsigned char *data = read_test_file(path, &len);
        brine_error err;
        brine_doc *d = brine_decode_buffer(json, data, len, NULL, &err);
        ck_assert_msg(d != NULL, "%s: %s", path, err.message);
        unsigned char *m = encode_with(msgpack, brine_doc_root(d), "", 0, &mlen, &err);
        ck_assert_ptr_nonnull(m);
        for (size_t k = 0; k < OPTION_SETS; k++)
            differ(msgpack, m, mlen, option_sets[k], path);
        brine_free(m);
        brine_doc_free(d);
        free(data);
    }
}
END_TEST

/* The direct path's own errors: what the event path reports, at the same
 * offset and path (a repeated key folds, an unhashable one fails). */
START_TEST(test_direct_path_folds_repeated_keys_and_refuses_unhashable_ones)
{
    brine_error err;
    /* {"a": 1, "b": 2, "a": 3} */
    static const unsigned char rep[] = {0x83, 0xa1, 'a', 0x01, 0xa1, 'b', 0x02, 0xa1, 'a', 0x03};
    brine_doc *d = brine_decode_buffer(msgpack, rep, sizeof rep, NULL, &err);
    ck_assert_ptr_nonnull(d);
    char repr[64];
    brine_value_repr(brine_doc_root(d), repr, sizeof repr, 0, &err);
    ck_assert_str_eq(repr, "{'a': 3, 'b': 2}");
    brine_doc_free(d);
    /* {0: {{}: 1}}: a dict key fails where its value ends. */
    static const unsigned char bad[] = {0x81, 0x00, 0x81, 0x80, 0x01};
    ck_assert_ptr_null(brine_decode_buffer(msgpack, bad, sizeof bad, NULL, &err));
    expect_error(&err, BRINE_E_KEY, 4, "$[0][{}]", "unhashable type: 'dict'");
    differ(msgpack, bad, sizeof bad, "", "unhashable dict key");
    /* An invalid str: the offset of its bad byte. */
    static const unsigned char utf8[] = {0x92, 0x01, 0xa3, 'a', 0xff, 'b'};
    ck_assert_ptr_null(brine_decode_buffer(msgpack, utf8, sizeof utf8, NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_UTF8);
    ck_assert_uint_eq(err.offset, 4);
    ck_assert_str_eq(err.path, "$[1]");
    differ(msgpack, utf8, sizeof utf8, "", "invalid UTF-8");
}
END_TEST

/* ---- dicts sealed without an index -------------------------------------- */

/* A msgpack map of n entries whose i-th key is keys[i] (str) and value i. */
static size_t map_bytes(unsigned char *out, const char *const *keys, size_t n)
{
    size_t len = 0;
    out[len++] = 0xde;
    out[len++] = (unsigned char)(n >> 8);
    out[len++] = (unsigned char)n;
    for (size_t i = 0; i < n; i++) {
        size_t kl = strlen(keys[i]);
        out[len++] = 0xd9;
        out[len++] = (unsigned char)kl;
        memcpy(out + len, keys[i], kl);
        len += kl;
        out[len++] = 0xcd;
        out[len++] = (unsigned char)(i >> 8);
        out[len++] = (unsigned char)i;
    }
    return len;
}

/* Decodes keys[0..n) as a map (both paths), then checks Python's result:
 * each distinct key once, at its first position, with its last value, and
 * every key found by lookup (the index built then). */
static void expect_python_dict(const char *const *keys, size_t n, const char *what)
{
    static unsigned char buf[1 << 16];
    size_t len = map_bytes(buf, keys, n);
    differ(msgpack, buf, len, "", what);
    brine_error err;
    brine_doc *d = brine_decode_buffer(msgpack, buf, len, NULL, &err);
    ck_assert_msg(d != NULL, "%s: %s", what, err.message);
    brine_value *root = brine_doc_root(d);
    size_t it = 0, distinct = 0;
    brine_value *k, *v;
    for (size_t i = 0; i < n; i++) {
        size_t first = i, last = i;
        for (size_t j = 0; j < n; j++)
            if (strcmp(keys[j], keys[i]) == 0) {
                first = j < first ? j : first;
                last = j;
            }
        if (first != i)
            continue;
        distinct++;
        ck_assert_msg(brine_dict_next(root, &it, &k, &v), "%s: entry %zu missing", what, i);
        ck_assert_str_eq(brine_str_get(k, NULL), keys[i]);
        int64_t got;
        ck_assert_int_eq(brine_int_get_i64(v, &got), BRINE_OK);
        ck_assert_msg(got == (int64_t)last, "%s: key %s has value %lld, not %zu", what, keys[i], (long long)got, last);
        v = brine_dict_get_str(root, keys[i]);
        ck_assert_msg(v && brine_int_get_i64(v, &got) == BRINE_OK && got == (int64_t)last, "%s: lookup of %s", what,
                      keys[i]);
    }
    ck_assert(!brine_dict_next(root, &it, &k, &v));
    ck_assert_uint_eq(brine_dict_count(root), distinct);
    ck_assert_ptr_null(brine_dict_get_str(root, "absent"));
    brine_doc_free(d);
}

START_TEST(test_dicts_fold_repeated_keys_as_python_does_without_an_index)
{
    static const char *const ten[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
    expect_python_dict(ten, 10, "ten distinct keys");
    static const char *const rep[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "c", "a", "k", "c"};
    expect_python_dict(rep, 14, "repeats of a and c");
    static const char *const last[] = {"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k9"};
    expect_python_dict(last, 11, "the last key repeated");
    /* Keys of one length with the same first and last 8 bytes: one
     * fingerprint, so every probe collides, and the full seal takes over. */
    static char made[200][24];
    static const char *collide[200];
    for (int i = 0; i < 200; i++) {
        snprintf(made[i], sizeof made[i], "prefix__%03dsuffix__", i % 150);
        collide[i] = made[i];
    }
    expect_python_dict(collide, 200, "colliding fingerprints");
    /* Past the stack table: 3000 keys, 100 of them repeated. */
    static char big[3000][16];
    static const char *many[3000];
    for (int i = 0; i < 3000; i++) {
        snprintf(big[i], sizeof big[i], "key%d", i < 2900 ? i : i * 7 % 2900);
        many[i] = big[i];
    }
    expect_python_dict(many, 3000, "3000 keys");
}
END_TEST

/* A dict sealed without its index, then changed: sets, deletes and
 * lookups build and keep the index. */
START_TEST(test_a_dict_sealed_without_an_index_takes_changes)
{
    static char names[40][16];
    static const char *keys[40];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "n%d", i);
        keys[i] = names[i];
    }
    static unsigned char buf[1024];
    size_t len = map_bytes(buf, keys, 40);
    brine_error err;
    brine_doc *d = brine_decode_buffer(msgpack, buf, len, NULL, &err);
    ck_assert_ptr_nonnull(d);
    brine_value *root = brine_doc_root(d);
    brine_value *nv = brine_int_new(d, 99, &err);
    ck_assert_int_eq(brine_dict_set_str(root, "n7", nv, &err), BRINE_OK);
    ck_assert_int_eq(brine_dict_set_str(root, "new", nv, &err), BRINE_OK);
    ck_assert_uint_eq(brine_dict_count(root), 41);
    brine_value *key = brine_str_new(d, "n3", 2, &err);
    ck_assert_int_eq(brine_dict_del(root, key, &err), BRINE_OK);
    ck_assert_ptr_null(brine_dict_get_str(root, "n3"));
    int64_t got;
    ck_assert_int_eq(brine_int_get_i64(brine_dict_get_str(root, "n7"), &got), BRINE_OK);
    ck_assert_int_eq(got, 99);
    ck_assert_int_eq(brine_int_get_i64(brine_dict_get_str(root, "n39"), &got), BRINE_OK);
    ck_assert_int_eq(got, 39);
    ck_assert_ptr_nonnull(brine_dict_get_str(root, "new"));
    ck_assert_uint_eq(brine_dict_count(root), 40);
    brine_doc_free(d);
}
END_TEST

/* An unhashable key in a dict past the linear size is still refused at
 * the dict's end, naming the key. */
START_TEST(test_a_large_dict_still_refuses_an_unhashable_key)
{
    /* {0: 0, 1: 1, ..., 9: 9, []: 0}: the list key reads as a tuple, so
     * a map key: {{}: 0}. */
    unsigned char buf[64];
    size_t len = 0;
    buf[len++] = 0x8b;
    for (int i = 0; i < 10; i++) {
        buf[len++] = (unsigned char)i;
        buf[len++] = (unsigned char)i;
    }
    buf[len++] = 0x80;
    buf[len++] = 0x00;
    brine_error err;
    ck_assert_ptr_null(brine_decode_buffer(msgpack, buf, len, NULL, &err));
    expect_error(&err, BRINE_E_KEY, len - 1, "$[{}]", "unhashable type: 'dict'");
    differ(msgpack, buf, len, "", "unhashable key in a large dict");
}
END_TEST

static Suite *direct_suite(void)
{
    Suite *s = suite_create("direct");
    TCase *tc = tcase_create("direct");
    registry_fixture(tc, &reg, formats);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_direct_and_events_agree_on_the_msgpack_vectors);
    tcase_add_test(tc, test_direct_and_events_agree_on_the_fuzz_files);
    tcase_add_test(tc, test_direct_and_events_agree_on_the_native_goldens);
    tcase_add_test(tc, test_direct_and_events_agree_on_the_corpus);
    tcase_add_test(tc, test_direct_path_folds_repeated_keys_and_refuses_unhashable_ones);
    tcase_add_test(tc, test_dicts_fold_repeated_keys_as_python_does_without_an_index);
    tcase_add_test(tc, test_a_dict_sealed_without_an_index_takes_changes);
    tcase_add_test(tc, test_a_large_dict_still_refuses_an_unhashable_key);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(direct_suite)
