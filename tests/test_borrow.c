/* test_borrow.c: documents that borrow their strings from the input (#23,
 * brine_decode_buffer_borrowed and _take). Every sample we have (native
 * goldens, pickle files, fuzz inputs, the corpus as json, msgpack, native
 * and cbor) decodes to the same graph both ways, re-encodes to the same
 * bytes, and fails with the same error; msgpack and native strings point
 * into the input, escaped JSON ones do not; a borrowed string stored into
 * or copied to another document survives the input (run under ASan). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

#include "check_util.h"

#ifndef BRINE_TEST_DATA
#error "BRINE_TEST_DATA must name the data directory"
#endif

static brine_registry *reg;
static const brine_plugin *msgpack, *native, *json, *pickle, *cbor;
static const test_format formats[] = {{"msgpack", &msgpack, NULL}, {"native", &native, NULL}, {"json", &json, NULL},
                                      {"pickle", &pickle, NULL},   {"cbor", &cbor, NULL},     {0}};

static long compared, failed_both;

/* The encoding of v with fmt and options list, or NULL. */
static void *encoded(const brine_plugin *fmt, const brine_value *v, const char *list, size_t *len)
{
    brine_error err;
    return encode_with(fmt, v, list, 0, len, &err);
}

/* Both encodings of a and b with fmt and list are equal (or both fail). */
static void same_bytes(const brine_plugin *fmt, const brine_value *a, const brine_value *b, const char *list,
                       const char *what)
{
    size_t n1 = 0, n2 = 0;
    void *e1 = encoded(fmt, a, list, &n1), *e2 = encoded(fmt, b, list, &n2);
    if ((e1 == NULL) != (e2 == NULL) || n1 != n2 || (e1 && memcmp(e1, e2, n1) != 0))
        ck_abort_msg("%s: %s [%s] encodings differ (%zu and %zu bytes)", what, fmt->name, list, n1, n2);
    brine_free(e1);
    brine_free(e2);
}

/* Decodes data with fmt copied and borrowed and asserts they agree: equal
 * graphs, equal native (with references) and same-format encodings, or
 * the same error. The borrowed decode reads a copy of data of exactly len
 * bytes, so that ASan sees a read past its end. */
static void differ(const brine_plugin *fmt, const void *data, size_t len, const char *list, const char *what)
{
    test_opts t;
    const brine_options *o = opts_of(&t, list, 0);
    test_decode copied = {.label = "copied"}, borrowed = {.label = "borrowed"};
    char label[1200];
    unsigned char *input = malloc(len ? len : 1);
    REQUIRE(input != NULL);
    if (len)
        memcpy(input, data, len);
    snprintf(label, sizeof label, "%s [%s]", what, list);
    copied.doc = brine_decode_buffer(fmt, data, len, o, &copied.err);
    borrowed.doc = brine_decode_buffer_borrowed(fmt, input, len, o, &borrowed.err);
    compared++;
    if (!expect_same_decodes(label, native, &copied, &borrowed, 0))
        failed_both++;
    else if (fmt != native)
        same_bytes(fmt, brine_doc_root(copied.doc), brine_doc_root(borrowed.doc), "", what);
    brine_doc_free(copied.doc);
    brine_doc_free(borrowed.doc);
    free(input);
}

/* The whole input, then its first `cuts` truncations (the errors). */
static void differ_cuts(const brine_plugin *fmt, const unsigned char *data, size_t len, const char *what, size_t cuts)
{
    char name[1200];
    differ(fmt, data, len, "", what);
    differ(fmt, data, len, "refs", what);
    for (size_t cut = 0; cut < len && cut < cuts; cut++) {
        snprintf(name, sizeof name, "%s cut at %zu", what, cut);
        differ(fmt, data, cut, "", name);
    }
}

/* A file decoded with fmt both ways, and its msgpack, native and cbor
 * encodings (when it decodes) too. */
typedef struct {
    const brine_plugin *fmt;
    size_t cuts;
} differ_ctx;

static int differ_file(const char *path, const unsigned char *data, size_t len, void *ctx)
{
    const differ_ctx *c = ctx;
    char what[1100];
    differ_cuts(c->fmt, data, len, path, c->cuts);
    brine_error err;
    brine_doc *d = brine_decode_buffer(c->fmt, data, len, NULL, &err);
    const brine_plugin *to[] = {msgpack, native, cbor};
    for (size_t k = 0; d && k < sizeof to / sizeof to[0]; k++) {
        size_t mlen;
        unsigned char *m = encoded(to[k], brine_doc_root(d), "refs", &mlen);
        if (!m)
            continue;
        snprintf(what, sizeof what, "%s as %s", path, to[k]->name);
        differ_cuts(to[k], m, mlen, what, c->cuts);
        brine_free(m);
    }
    brine_doc_free(d);
    return 1;
}

/* Every file of dir ending in suffix (NULL: any). */
static int differ_dir(const char *dir, const brine_plugin *fmt, const char *suffix, size_t cuts)
{
    differ_ctx c = {fmt, cuts};
    return for_each_test_file(dir, suffix, 0, differ_file, &c);
}

START_TEST(test_borrowed_and_copied_decodes_agree_on_the_samples)
{
    ck_assert_int_gt(differ_dir(BRINE_TEST_DATA "/native", native, ".brn", 64), 3);
    ck_assert_int_gt(differ_dir(BRINE_TEST_DATA "/pickle", pickle, ".pkl", 16), 3);
    ck_assert_int_gt(differ_dir(BRINE_TEST_DATA "/fuzz/msgpack", msgpack, NULL, 32), 0);
    ck_assert_int_gt(differ_dir(BRINE_TEST_DATA "/fuzz/json", json, NULL, 16), 0);
    ck_assert_int_gt(differ_dir(BRINE_TEST_DATA "/fuzz/pickle", pickle, NULL, 16), 0);
    fprintf(stderr, "samples: %ld decodes compared, %ld failed both ways\n", compared, failed_both);
}
END_TEST

/* The corpus (bench/corpus or $BRINE_CORPUS) as json, msgpack, native and
 * cbor: whole files, sorted keys too. */
START_TEST(test_borrowed_and_copied_decodes_agree_on_the_corpus)
{
    static const char *const names[] = {"twitter.json", "citm_catalog.json", "canada.json"};
    const char *env = getenv("BRINE_CORPUS");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", env ? env : BRINE_TEST_DATA "/../bench/corpus");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[1100], what[1200];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len;
        unsigned char *data = read_test_file(path, &len);
        differ(json, data, len, "", path);
        brine_error err;
        brine_doc *d = brine_decode_buffer(json, data, len, NULL, &err);
        ck_assert_msg(d != NULL, "%s: %s", path, err.message);
        const brine_plugin *to[] = {msgpack, native, cbor};
        for (size_t k = 0; k < sizeof to / sizeof to[0]; k++) {
            size_t mlen;
            unsigned char *m = encoded(to[k], brine_doc_root(d), "", &mlen);
            ck_assert_ptr_nonnull(m);
            snprintf(what, sizeof what, "%s as %s", path, to[k]->name);
            differ(to[k], m, mlen, "", what);
            brine_doc *b = brine_decode_buffer_borrowed(to[k], m, mlen, NULL, &err);
            ck_assert_ptr_nonnull(b);
            same_bytes(json, brine_doc_root(d), brine_doc_root(b), "sort_keys", what);
            brine_doc_free(b);
            brine_free(m);
        }
        brine_doc_free(d);
        free(data);
    }
}
END_TEST

/* A small document, as msgpack in a malloc'd buffer of exactly its size:
 * {"name": "a str long enough to share", "tags": ["x", "h\xc3\xa9"],
 *  "blob": b"\x00\x01\x02"}. */
static unsigned char *sample_msgpack(size_t *len)
{
    brine_error err;
    static const char text[] = "{\"name\": \"a str long enough to share\", \"tags\": [\"x\", \"h\\u00e9\"]}";
    brine_doc *d = decode_with(json, text, sizeof text - 1, "", 0, &err);
    ck_assert_msg(d != NULL, "%s", err.message);
    brine_value *b = brine_bytes_new(d, "\x00\x01\x02", 3, &err);
    ck_assert_int_eq(brine_dict_set_str(brine_doc_root(d), "blob", b, &err), BRINE_OK);
    size_t n;
    void *m = encode_with(msgpack, brine_doc_root(d), "", 0, &n, &err);
    ck_assert_ptr_nonnull(m);
    unsigned char *out = malloc(n);
    memcpy(out, m, n);
    brine_free(m);
    brine_doc_free(d);
    *len = n;
    return out;
}

static int inside(const void *p, const unsigned char *buf, size_t len)
{
    return (const unsigned char *)p >= buf && (const unsigned char *)p < buf + len;
}

START_TEST(test_msgpack_and_native_strings_point_into_the_input)
{
    size_t len, slen;
    unsigned char *buf = sample_msgpack(&len);
    brine_error err;
    brine_doc *d = brine_decode_buffer_borrowed(msgpack, buf, len, NULL, &err);
    ck_assert_msg(d != NULL, "%s", err.message);
    brine_value *root = brine_doc_root(d);
    const char *s = brine_str_get(brine_dict_get_str(root, "name"), &slen);
    ck_assert_uint_eq(slen, 26);
    ck_assert(inside(s, buf, len));
    ck_assert(memcmp(s, "a str long enough to share", 26) == 0);
    ck_assert_ptr_null(brine_value_doc(brine_dict_get_str(root, "name"))); /* no header: no document */
    const void *y = brine_bytes_get(brine_dict_get_str(root, "blob"), &slen);
    ck_assert(inside(y, buf, len));
    ck_assert_uint_eq(slen, 3);
    /* The keys too, and a key lookup finds them. */
    brine_value *k = NULL;
    size_t it = 0;
    ck_assert(brine_dict_next(root, &it, &k, NULL));
    ck_assert(inside(brine_str_get(k, NULL), buf, len));
    /* Not NUL-terminated: the byte after "x" is the next string's header. */
    const char *x = brine_str_get(brine_seq_get(brine_dict_get_str(root, "tags"), 0), &slen);
    ck_assert(inside(x, buf, len));
    ck_assert_uint_eq(slen, 1);
    ck_assert_int_ne(x[1], '\0');

    /* Native, from the same graph. */
    size_t nlen;
    unsigned char *n = encode_with(native, root, "", 0, &nlen, &err);
    ck_assert_ptr_nonnull(n);
    brine_doc *nd = brine_decode_buffer_borrowed(native, n, nlen, NULL, &err);
    ck_assert_msg(nd != NULL, "%s", err.message);
    s = brine_str_get(brine_dict_get_str(brine_doc_root(nd), "name"), &slen);
    ck_assert(inside(s, n, nlen));
    ck_assert_int_eq(brine_value_equal(root, brine_doc_root(nd), 0, &err), 1);
    brine_doc_free(nd);
    brine_free(n);

    /* The copying decode copies. */
    brine_doc *c = brine_decode_buffer(msgpack, buf, len, NULL, &err);
    s = brine_str_get(brine_dict_get_str(brine_doc_root(c), "name"), &slen);
    ck_assert(!inside(s, buf, len));
    ck_assert_int_eq(s[slen], '\0');
    brine_doc_free(c);
    brine_doc_free(d);
    free(buf);
}
END_TEST

START_TEST(test_escaped_json_strings_are_copied_and_plain_ones_borrowed)
{
    static const char text[] = "{\"esc\": \"a\\nb\", \"plain\": \"ab\"}";
    brine_error err;
    brine_doc *d = brine_decode_buffer_borrowed(json, text, sizeof text - 1, NULL, &err);
    ck_assert_msg(d != NULL, "%s", err.message);
    size_t len;
    const char *e = brine_str_get(brine_dict_get_str(brine_doc_root(d), "esc"), &len);
    ck_assert_uint_eq(len, 3);
    ck_assert(memcmp(e, "a\nb", 3) == 0);
    ck_assert(!inside(e, (const unsigned char *)text, sizeof text));
    ck_assert_int_eq(e[len], '\0'); /* a blob, as always */
    const char *p = brine_str_get(brine_dict_get_str(brine_doc_root(d), "plain"), &len);
    ck_assert(memcmp(p, "ab", 2) == 0);
    ck_assert(inside(p, (const unsigned char *)text, sizeof text));
    brine_doc_free(d);
}
END_TEST

/* Overwrites and frees the input of a borrowed document after freeing
 * the document: what was stored elsewhere must not point there. */
static void drop(brine_doc *d, unsigned char *buf, size_t len)
{
    brine_doc_free(d);
    memset(buf, 'Z', len);
    free(buf);
}

START_TEST(test_a_borrowed_str_stored_into_another_document_is_copied)
{
    size_t len, slen;
    unsigned char *buf = sample_msgpack(&len);
    brine_error err;
    brine_doc *d = brine_decode_buffer_borrowed(msgpack, buf, len, NULL, &err);
    brine_value *root = brine_doc_root(d);
    brine_value *name = brine_dict_get_str(root, "name"), *blob = brine_dict_get_str(root, "blob");
    brine_value *tags = brine_dict_get_str(root, "tags");
    brine_doc *other = brine_doc_new();
    brine_value *list = brine_list_new(other, &err);
    brine_value *dict = brine_dict_new(other, &err);
    brine_value *model = brine_model_new(other, "m.M", 3, &err);
    ck_assert_int_eq(brine_seq_append(list, name, &err), BRINE_OK);
    ck_assert_int_eq(brine_seq_append(list, blob, &err), BRINE_OK);
    ck_assert_int_eq(brine_seq_set(list, 1, blob, &err), BRINE_OK);
    ck_assert_int_eq(brine_dict_set(dict, name, blob, &err), BRINE_OK); /* a borrowed key */
    ck_assert_int_eq(brine_dict_set_str(dict, "k", name, &err), BRINE_OK);
    ck_assert_int_eq(brine_model_set_state(model, name, &err), BRINE_OK);
    brine_value *copy = brine_value_copy(other, root, 0, &err);
    ck_assert_ptr_nonnull(copy);
    brine_value *tag = brine_value_copy(other, brine_seq_get(tags, 1), 0, &err);
    ck_assert_ptr_nonnull(tag);
    /* Within its own document a borrowed str stays borrowed. */
    ck_assert_int_eq(brine_seq_append(tags, name, &err), BRINE_OK);
    ck_assert(inside(brine_str_get(brine_seq_get(tags, 2), NULL), buf, len));
    brine_value *same = brine_value_copy(d, name, 0, &err);
    ck_assert(inside(brine_str_get(same, NULL), buf, len));
    /* The root of another document. */
    brine_doc *third = brine_doc_new();
    ck_assert_int_eq(brine_doc_set_root(third, name, &err), BRINE_OK);
    drop(d, buf, len);

    const char *s = brine_str_get(brine_seq_get(list, 0), &slen);
    ck_assert(slen == 26 && memcmp(s, "a str long enough to share", 26) == 0);
    ck_assert_int_eq(s[slen], '\0');
    ck_assert_ptr_eq(brine_value_doc(brine_seq_get(list, 0)), other);
    const void *y = brine_bytes_get(brine_seq_get(list, 1), &slen);
    ck_assert(slen == 3 && memcmp(y, "\x00\x01\x02", 3) == 0);
    brine_value *v = brine_dict_get_str(dict, "a str long enough to share");
    ck_assert_ptr_nonnull(v);
    ck_assert(brine_bytes_get(v, &slen) && slen == 3);
    s = brine_str_get(brine_dict_get_str(dict, "k"), &slen);
    ck_assert(slen == 26 && memcmp(s, "a str long enough to share", 26) == 0);
    s = brine_str_get(brine_model_state(model), &slen);
    ck_assert(slen == 26 && memcmp(s, "a str long enough to share", 26) == 0);
    s = brine_str_get(brine_dict_get_str(copy, "name"), &slen);
    ck_assert(slen == 26 && memcmp(s, "a str long enough to share", 26) == 0);
    s = brine_str_get(brine_seq_get(brine_dict_get_str(copy, "tags"), 1), &slen);
    ck_assert(slen == 3 && memcmp(s, "h\xc3\xa9", 3) == 0);
    s = brine_str_get(tag, &slen);
    ck_assert(slen == 3 && memcmp(s, "h\xc3\xa9", 3) == 0);
    s = brine_str_get(brine_doc_root(third), &slen);
    ck_assert(slen == 26 && memcmp(s, "a str long enough to share", 26) == 0);
    char text[256];
    brine_value_repr(copy, text, sizeof text, 0, &err);
    ck_assert_str_eq(text,
                     "{'name': 'a str long enough to share', 'tags': ['x', 'h\xc3\xa9'], 'blob': b'\\x00\\x01\\x02'}");
    brine_doc_free(third);
    brine_doc_free(other);
}
END_TEST

START_TEST(test_a_borrowing_document_looks_up_prints_sorts_and_shares_as_a_copying_one)
{
    size_t len;
    unsigned char *buf = sample_msgpack(&len);
    brine_error err;
    brine_doc *b = brine_decode_buffer_borrowed(msgpack, buf, len, NULL, &err);
    brine_doc *c = brine_decode_buffer(msgpack, buf, len, NULL, &err);
    brine_value *rb = brine_doc_root(b), *rc = brine_doc_root(c);
    char t1[256], t2[256];
    brine_value_repr(rb, t1, sizeof t1, 0, &err);
    brine_value_repr(rc, t2, sizeof t2, 0, &err);
    ck_assert_str_eq(t1, t2);
    /* Lookups with a borrowed key, a blob key and a C string. */
    brine_value *k = NULL;
    size_t it = 0;
    ck_assert(brine_dict_next(rb, &it, &k, NULL));
    ck_assert_ptr_nonnull(brine_dict_get(rb, k));
    ck_assert_ptr_nonnull(brine_dict_get(rc, k));
    it = 0;
    ck_assert(brine_dict_next(rc, &it, &k, NULL));
    ck_assert_ptr_nonnull(brine_dict_get(rb, k));
    ck_assert_ptr_nonnull(brine_dict_get_str(rb, "tags"));
    /* A dict keyed by borrowed strs, one repeated: Python's rules. */
    brine_value *tags = brine_dict_get_str(rb, "tags");
    brine_value *dd = brine_dict_new(b, &err);
    ck_assert_int_eq(brine_dict_set(dd, brine_seq_get(tags, 1), brine_seq_get(tags, 0), &err), BRINE_OK);
    ck_assert_int_eq(brine_dict_set(dd, brine_seq_get(tags, 0), brine_seq_get(tags, 1), &err), BRINE_OK);
    ck_assert_int_eq(brine_dict_set(dd, brine_seq_get(tags, 1), brine_seq_get(tags, 1), &err), BRINE_OK);
    ck_assert_uint_eq(brine_dict_count(dd), 2);
    brine_value_repr(dd, t1, sizeof t1, 0, &err);
    ck_assert_str_eq(t1, "{'h\xc3\xa9': 'h\xc3\xa9', 'x': 'h\xc3\xa9'}");
    /* The same long str twice in each: one anchor for it with refs. */
    brine_value *name_b = brine_dict_get_str(rb, "name"), *name_c = brine_dict_get_str(rc, "name");
    ck_assert_int_eq(brine_seq_append(brine_dict_get_str(rb, "tags"), name_b, &err), BRINE_OK);
    ck_assert_int_eq(brine_seq_append(brine_dict_get_str(rc, "tags"), name_c, &err), BRINE_OK);
    same_bytes(native, rb, rc, "", "shared str");
    same_bytes(json, rb, rc, "sort_keys", "sorted");
    same_bytes(msgpack, rb, rc, "sort_keys", "sorted");
    size_t n;
    unsigned char *nat = encode_with(native, rb, "", 0, &n, &err);
    ck_assert_ptr_nonnull(nat);
    brine_free(nat);
    brine_doc_free(b);
    brine_doc_free(c);
    free(buf);
}
END_TEST

START_TEST(test_a_document_takes_its_buffer)
{
    size_t len;
    unsigned char *buf = sample_msgpack(&len);
    brine_error err;
    unsigned char *mine = brine_malloc(len);
    memcpy(mine, buf, len);
    brine_doc *d = brine_decode_buffer_take(msgpack, mine, len, NULL, &err);
    ck_assert_msg(d != NULL, "%s", err.message);
    size_t slen;
    const char *s = brine_str_get(brine_dict_get_str(brine_doc_root(d), "name"), &slen);
    ck_assert(inside(s, mine, len));
    brine_doc_free(d); /* frees mine: ASan reports a leak or a double free otherwise */
    /* A failure frees the buffer too, with the error of a copying decode. */
    mine = brine_malloc(len);
    memcpy(mine, buf, len - 1);
    ck_assert_ptr_null(brine_decode_buffer_take(msgpack, mine, len - 1, NULL, &err));
    brine_error e2;
    ck_assert_ptr_null(brine_decode_buffer(msgpack, buf, len - 1, NULL, &e2));
    expect_error(&err, e2.code, e2.offset, e2.path, e2.message);
    free(buf);
}
END_TEST

START_TEST(test_errors_are_those_of_a_copying_decode)
{
    /* Invalid UTF-8 in a str the document would borrow, a truncated str. */
    static const unsigned char bad_utf8[] = {0x91, 0xa3, 'a', 0xff, 'b'};
    static const unsigned char cut[] = {0x92, 0xa1, 'a', 0xa5, 'b', 'c'};
    brine_error e1, e2;
    ck_assert_ptr_null(brine_decode_buffer(msgpack, bad_utf8, sizeof bad_utf8, NULL, &e1));
    ck_assert_ptr_null(brine_decode_buffer_borrowed(msgpack, bad_utf8, sizeof bad_utf8, NULL, &e2));
    expect_error(&e2, e1.code, e1.offset, e1.path, e1.message);
    ck_assert_int_eq(e2.code, BRINE_E_UTF8);
    ck_assert_ptr_null(brine_decode_buffer(msgpack, cut, sizeof cut, NULL, &e1));
    ck_assert_ptr_null(brine_decode_buffer_borrowed(msgpack, cut, sizeof cut, NULL, &e2));
    expect_error(&e2, e1.code, e1.offset, e1.path, e1.message);
    ck_assert_int_eq(e2.code, BRINE_E_TRUNCATED);
    /* "invalid_utf8=bytes": the bad str is bytes, borrowed as well. */
    test_opts t;
    brine_doc *d =
        brine_decode_buffer_borrowed(msgpack, bad_utf8, sizeof bad_utf8, opts_of(&t, "invalid_utf8=bytes", 0), &e1);
    ck_assert_msg(d != NULL, "%s", e1.message);
    const void *y = brine_bytes_get(brine_seq_get(brine_doc_root(d), 0), NULL);
    ck_assert(inside(y, bad_utf8, sizeof bad_utf8));
    brine_doc_free(d);
    /* An empty input. */
    ck_assert_ptr_null(brine_decode_buffer(msgpack, "", 0, NULL, &e1));
    ck_assert_ptr_null(brine_decode_buffer_borrowed(msgpack, NULL, 0, NULL, &e2));
    expect_error(&e2, e1.code, e1.offset, e1.path, e1.message);
}
END_TEST

START_TEST(test_unpack_gives_a_borrowed_str_with_its_length_only)
{
    size_t len, slen = 0;
    unsigned char *buf = sample_msgpack(&len);
    brine_error err;
    brine_doc *d = brine_decode_buffer_borrowed(msgpack, buf, len, NULL, &err);
    const char *s = NULL;
    ck_assert_int_eq(brine_unpack(brine_doc_root(d), &err, "{s: s#}", "name", &s, &slen), BRINE_OK);
    ck_assert(slen == 26 && inside(s, buf, len));
    ck_assert_int_eq(brine_unpack(brine_doc_root(d), &err, "{s: s}", "name", &s), BRINE_E_INVALID);
    expect_error(&err, BRINE_E_INVALID, BRINE_NO_OFFSET, "$.name",
                 "a str borrowed from the input is not NUL-ended: unpack it with 's#'");
    ck_assert_int_eq(brine_get_str(brine_doc_root(d), "$.name", &s, &slen, &err), BRINE_OK);
    ck_assert(slen == 26 && inside(s, buf, len));
    brine_doc_free(d);
    free(buf);
}
END_TEST

static Suite *borrow_suite(void)
{
    Suite *s = suite_create("borrow");
    TCase *tc = tcase_create("borrow");
    registry_fixture(tc, &reg, formats);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_borrowed_and_copied_decodes_agree_on_the_samples);
    tcase_add_test(tc, test_borrowed_and_copied_decodes_agree_on_the_corpus);
    tcase_add_test(tc, test_msgpack_and_native_strings_point_into_the_input);
    tcase_add_test(tc, test_escaped_json_strings_are_copied_and_plain_ones_borrowed);
    tcase_add_test(tc, test_a_borrowed_str_stored_into_another_document_is_copied);
    tcase_add_test(tc, test_a_borrowing_document_looks_up_prints_sorts_and_shares_as_a_copying_one);
    tcase_add_test(tc, test_a_document_takes_its_buffer);
    tcase_add_test(tc, test_errors_are_those_of_a_copying_decode);
    tcase_add_test(tc, test_unpack_gives_a_borrowed_str_with_its_length_only);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(borrow_suite)
