/* test_pickle_arrays.c: numpy arrays in pickles (docs/pickle.md, "numpy
 * arrays"). The golden files of data/pickle/numpy (written byte by byte by
 * data/pickle/gen_numpy.py in the forms numpy writes, with expected.tsv
 * beside them) read as arrays of the expected dtype, shape and bytes, stay
 * models where brine cannot hold them, or fail with the expected code at
 * the expected opcode; every truncation of a good one fails cleanly. The
 * writer's output reads back equal for every dtype and protocol, shared
 * arrays stay shared, and the audit agrees with decoding.
 * test_pickle_numpy.sh checks the same against numpy itself. */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>
#include <brine/pickle.h>

#include "check_util.h"

static brine_registry *reg;
static const brine_plugin *pk;

static const test_format formats[] = {{"pickle", &pk, NULL}, {0}};

static void hex(const void *p, size_t len, char *out)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < len; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * len] = 0;
}

/* The audit of the same bytes ends as decoding did (fuzz/decode.c's rule). */
static void expect_audit_status(const unsigned char *data, size_t len, int status)
{
    brine_source src;
    brine_audit_report *r = NULL;
    brine_error err;
    brine_source_init_buffer(&src, data, len);
    brine_audit(pk, &src, NULL, &r, &err);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->status, status);
    brine_audit_report_free(r);
    brine_source_destroy(&src);
}

START_TEST(test_golden_numpy_pickles_read_as_expected)
{
    char path[1024], line[4096];
    int rows = 0;
    snprintf(path, sizeof path, "%s/pickle/numpy/expected.tsv", BRINE_TEST_DATA);
    FILE *fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    while (fgets(line, sizeof line, fp)) {
        char *save = NULL, *file = strtok_r(line, "\t\n", &save), *kind = strtok_r(NULL, "\t\n", &save);
        size_t len;
        brine_error err;
        if (!file || file[0] == '#')
            continue;
        snprintf(path, sizeof path, "%s/pickle/numpy/%s", BRINE_TEST_DATA, file);
        unsigned char *data = read_test_file(path, &len);
        brine_doc *doc = decode_with(pk, data, len, NULL, 0, &err);
        const brine_value *root = doc ? brine_doc_root(doc) : NULL;
        if (strcmp(kind, "ok") == 0) {
            /* descr, shape (may be empty: 0-d), data (may be empty) */
            char *descr = strtok_r(NULL, "\t", &save), *shape = strtok_r(NULL, "\t\n", &save),
                 *want = strtok_r(NULL, "\t\n", &save);
            char got[1024], shp[256] = "";
            ck_assert_msg(doc != NULL, "%s: %s", file, err.message);
            ck_assert_msg(brine_type_of(root) == BRINE_ARRAY, "%s: a %s, not an array", file,
                          brine_type_name(brine_type_of(root)));
            brine_dtype_descr(brine_array_dtype(root), got, sizeof got);
            ck_assert_str_eq(got, descr);
            /* An empty shape column: strtok skipped it, so the data moved. */
            if (brine_array_ndim(root) == 0) {
                want = shape;
                shape = "";
            }
            for (unsigned i = 0; i < brine_array_ndim(root); i++)
                snprintf(shp + strlen(shp), sizeof shp - strlen(shp), "%s%llu", i ? "," : "",
                         (unsigned long long)brine_array_shape(root)[i]);
            ck_assert_msg(strcmp(shp, shape) == 0, "%s: shape %s, expected %s", file, shp, shape);
            size_t n = brine_array_nbytes(root);
            char *h = malloc(2 * n + 1);
            hex(brine_array_data(root), n, h);
            if (n == 0)
                want = want && strlen(want) ? want : "";
            ck_assert_msg(strcmp(h, want ? want : "") == 0, "%s: data %s, expected %s", file, h, want);
            free(h);
            expect_audit_status(data, len, BRINE_OK);
            /* Every truncation fails cleanly, the audit with it. */
            for (size_t cut = 0; cut < len; cut++) {
                brine_error e2;
                brine_doc *d2 = decode_with(pk, data, cut, NULL, 0, &e2);
                ck_assert_msg(d2 == NULL, "%s cut at %zu decoded", file, cut);
                ck_assert_int_ne(e2.code, BRINE_OK);
                expect_audit_status(data, cut, e2.code);
            }
        } else if (strcmp(kind, "model") == 0) {
            char *name = strtok_r(NULL, "\t\n", &save);
            size_t nlen;
            ck_assert_msg(doc != NULL, "%s: %s", file, err.message);
            if (brine_type_of(root) == BRINE_LIST) {
                ck_assert_str_eq(name, "builtins.list");
                root = brine_seq_get(root, 0);
                name = "numpy.core.multiarray._reconstruct";
            }
            const char *got = brine_model_name(root, &nlen);
            ck_assert_msg(got && nlen == strlen(name) && memcmp(got, name, nlen) == 0, "%s: not a %s model", file,
                          name);
            expect_audit_status(data, len, BRINE_OK);
        } else {
            long code = strtol(strtok_r(NULL, "\t", &save), NULL, 10);
            unsigned long long off = strtoull(strtok_r(NULL, "\t\n", &save), NULL, 10);
            ck_assert_msg(doc == NULL, "%s decoded", file);
            expect_error(&err, (int)code, off, NULL, NULL);
            expect_audit_status(data, len, (int)code);
        }
        brine_doc_free(doc);
        free(data);
        rows++;
    }
    fclose(fp);
    ck_assert_int_ge(rows, 30);
}
END_TEST

/* An array of every kind, written at each protocol and read back equal. */
START_TEST(test_writer_round_trips_every_dtype_at_every_protocol)
{
    static const char *const types[] = {"|b1", "|i1", ">i2", "<i4",  "<i8", "|u1", "<u2", ">u4",    "<u8",       "<f2",
                                        ">f4", "<f8", "<c8", ">c16", "|S5", "<U3", ">U2", "<M8[s]", ">m8[10ms]", "|V4"};
    brine_error err;
    for (size_t t = 0; t <= sizeof types / sizeof *types; t++) {
        brine_doc *doc = brine_doc_new();
        brine_error_clear(&err);
        const brine_dtype *dt;
        if (t < sizeof types / sizeof *types) {
            dt = brine_dtype_parse(doc, types[t], strlen(types[t]), &err);
        } else {
            /* A record with a nested record, a sub-array and padding. */
            brine_dtype *inner = brine_dtype_record_new(doc, 8, &err), *rec = brine_dtype_record_new(doc, 40, &err);
            uint64_t sub[] = {2, 3};
            brine_dtype_record_add(inner, "x", 1, brine_dtype_parse(doc, ">f8", 3, &err), 0, 0, NULL, &err);
            brine_dtype_record_add(rec, "a", 1, brine_dtype_parse(doc, "<i4", 3, &err), 0, 0, NULL, &err);
            brine_dtype_record_add(rec, "b", 1, inner, 4, 0, NULL, &err);
            brine_dtype_record_add(rec, "c", 1, brine_dtype_parse(doc, "<f4", 3, &err), 12, 2, sub, &err);
            dt = rec;
        }
        ck_assert_msg(dt != NULL && err.code == BRINE_OK, "%zu: %s", t, err.message);
        uint64_t shape[] = {2, 3};
        brine_value *a = brine_array_new(doc, dt, 2, shape, NULL, &err);
        unsigned char *p = brine_array_data_mut(a);
        for (size_t i = 0; i < brine_array_nbytes(a); i++)
            p[i] = (unsigned char)(i * 7 + 1);
        if (brine_dtype_kind_of(dt) == BRINE_DT_BOOL)
            for (size_t i = 0; i < brine_array_nbytes(a); i++)
                p[i] &= 1;
        if (brine_dtype_kind_of(dt) == BRINE_DT_STR)
            memset(p, 0, brine_array_nbytes(a)), p[0] = 'a', p[brine_dtype_itemsize(dt)] = 'b';
        for (int proto = 2; proto <= 5; proto++) {
            char opt[32];
            size_t len;
            snprintf(opt, sizeof opt, "protocol=%d", proto);
            void *bytes = encode_with(pk, a, opt, 0, &len, &err);
            ck_assert_msg(bytes != NULL, "%zu at %d: %s", t, proto, err.message);
            brine_doc *back = decode_with(pk, bytes, len, NULL, 0, &err);
            ck_assert_msg(back != NULL, "%zu at %d: %s", t, proto, err.message);
            ck_assert_msg(brine_value_equal(a, brine_doc_root(back), 16, &err) == 1, "%zu at protocol %d differs", t,
                          proto);
            brine_doc_free(back);
            brine_free(bytes);
        }
        brine_doc_free(doc);
    }
}
END_TEST

/* [a, a, (a,)] written and read back: one array, however often it is met,
 * also from inside a record the writer takes (a shared tuple). */
START_TEST(test_shared_arrays_stay_shared)
{
    brine_error err;
    brine_doc *doc = brine_doc_new();
    brine_error_clear(&err);
    uint64_t shape[] = {3};
    brine_value *a = brine_array_new(doc, brine_dtype_parse(doc, "<f8", 3, &err), 1, shape, NULL, &err);
    brine_value *t = brine_tuple_new(doc, &err), *l = brine_list_new(doc, &err);
    brine_seq_append(t, a, &err);
    brine_seq_append(l, a, &err);
    brine_seq_append(l, a, &err);
    brine_seq_append(l, t, &err);
    brine_seq_append(l, t, &err);
    for (int proto = 2; proto <= 5; proto++) {
        char opt[32];
        size_t len;
        snprintf(opt, sizeof opt, "protocol=%d", proto);
        void *bytes = encode_with(pk, l, opt, 0, &len, &err);
        ck_assert_msg(bytes != NULL, "%s", err.message);
        brine_doc *back = decode_with(pk, bytes, len, NULL, 0, &err);
        ck_assert_msg(back != NULL, "%s", err.message);
        const brine_value *r = brine_doc_root(back);
        const void *d0 = brine_array_data(brine_seq_get(r, 0));
        ck_assert_ptr_nonnull(d0);
        ck_assert_ptr_eq(d0, brine_array_data(brine_seq_get(r, 1)));
        ck_assert_ptr_eq(d0, brine_array_data(brine_seq_get(brine_seq_get(r, 2), 0)));
        ck_assert_int_eq(brine_value_equal(l, r, 16, &err), 1);
        brine_doc_free(back);
        brine_free(bytes);
    }
    brine_doc_free(doc);
}
END_TEST

/* numpy's protocol 3 form of a float64 array of n elements whose data is
 * data, the array appended to a list, then what `tail` adds; data large
 * enough for the reader's one-copy path (PK_NP_RAW_MIN). The bytes are
 * BINPUT 9, the state tuple BINPUT 10, the array BINPUT 8. */
static unsigned char *big_pickle(const unsigned char *data, size_t n, const char *tail, size_t tail_len, int reduce,
                                 size_t *len)
{
    static const char head[] = "\x80\x03]q\x00"
                               "cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85"
                               "C\x01"
                               "b"
                               "\x87Rq\x08(K\x01J";
    static const char dt[] = "\x85"
                             "cnumpy\ndtype\nX\x02\x00\x00\x00"
                             "f8\x89\x88\x87R(K\x03X\x01\x00\x00\x00<NNNJ"
                             "\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89"
                             "B";
    /* BUILD, or (reduce) REDUCE: the state tuple as the args of a call. */
    const char *mid = reduce ? "q\x09tq\x0aRa"
                             : "q\x09tq\x0a"
                               "bq\x08"
                               "a";
    size_t nbytes = n * 8, hl = sizeof head - 1, dl = sizeof dt - 1, ml = strlen(mid);
    unsigned char *p = malloc(hl + 4 + dl + 4 + nbytes + ml + tail_len + 1), *q = p;
    memcpy(q, head, hl), q += hl;
    for (int i = 0; i < 4; i++)
        *q++ = (unsigned char)(n >> (8 * i));
    memcpy(q, dt, dl), q += dl;
    for (int i = 0; i < 4; i++)
        *q++ = (unsigned char)(nbytes >> (8 * i));
    memcpy(q, data, nbytes), q += nbytes;
    memcpy(q, mid, ml), q += ml;
    memcpy(q, tail, tail_len), q += tail_len;
    *q++ = '.';
    *len = (size_t)(q - p);
    return p;
}

/* The reader copies a large array's data once, making the array at the
 * BINBYTES; a stream that fetches those bytes (or the state tuple holding
 * them) from the memo again gets the bytes, as Python would. */
START_TEST(test_large_data_read_once_and_bytes_still_bytes)
{
    size_t n = 16384, len;
    unsigned char *data = malloc(n * 8);
    for (size_t i = 0; i < n * 8; i++)
        data[i] = (unsigned char)(i * 13 + 5);
    static const struct {
        const char *tail;
        size_t len;
    } tails[] = {{"", 0},
                 {"h\x09"
                  "a",
                  3},
                 {"h\x0a"
                  "a",
                  3},
                 {"h\x09h\x0a\x86"
                  "a",
                  6}};
    for (size_t t = 0; t < sizeof tails / sizeof *tails; t++) {
        brine_error err;
        unsigned char *p = big_pickle(data, n, tails[t].tail, tails[t].len, 0, &len);
        brine_doc *doc = decode_with(pk, p, len, NULL, 0, &err);
        ck_assert_msg(doc != NULL, "%zu: %s", t, err.message);
        const brine_value *l = brine_doc_root(doc), *a = brine_seq_get(l, 0), *x = brine_seq_get(l, 1);
        ck_assert_int_eq(brine_type_of(a), BRINE_ARRAY);
        ck_assert_uint_eq(brine_array_nbytes(a), n * 8);
        ck_assert(memcmp(brine_array_data(a), data, n * 8) == 0);
        ck_assert_uint_eq(brine_seq_count(l), t == 0 ? 1 : 2);
        if (t == 3) {
            ck_assert_int_eq(brine_type_of(x), BRINE_TUPLE);
            ck_assert_int_eq(brine_type_of(brine_seq_get(x, 0)), BRINE_BYTES);
            x = brine_seq_get(brine_seq_get(x, 1), 4);
        }
        if (t == 2) {
            ck_assert_int_eq(brine_type_of(x), BRINE_TUPLE);
            ck_assert_uint_eq(brine_seq_count(x), 5);
            x = brine_seq_get(x, 4);
        }
        if (t) {
            size_t blen;
            const void *b = brine_bytes_get(x, &blen);
            ck_assert_msg(b != NULL, "%zu: a %s, not bytes", t, brine_type_name(brine_type_of(x)));
            ck_assert_uint_eq(blen, n * 8);
            ck_assert(memcmp(b, data, blen) == 0);
        }
        expect_audit_status(p, len, BRINE_OK);
        brine_doc_free(doc);
        free(p);
    }
    /* The state tuple given to a call instead of BUILD: its data is bytes. */
    brine_error err;
    unsigned char *p = big_pickle(data, n, "", 0, 1, &len);
    brine_doc *doc = decode_with(pk, p, len, NULL, 0, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    const brine_value *call = brine_seq_get(brine_doc_root(doc), 0);
    const brine_value *st = brine_seq_get(brine_model_args(call), 1);
    size_t blen;
    ck_assert_int_eq(brine_type_of(st), BRINE_TUPLE);
    const void *b = brine_bytes_get(brine_seq_get(st, 4), &blen);
    ck_assert_msg(b && blen == n * 8 && memcmp(b, data, blen) == 0, "the call's data is a %s",
                  brine_type_name(brine_type_of(brine_seq_get(st, 4))));
    expect_audit_status(p, len, BRINE_OK);
    brine_doc_free(doc);
    free(p);
    free(data);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("pickle_arrays");
    TCase *tc = tcase_create("pickle_arrays");
    registry_fixture(tc, &reg, formats);
    tcase_add_test(tc, test_golden_numpy_pickles_read_as_expected);
    tcase_add_test(tc, test_writer_round_trips_every_dtype_at_every_protocol);
    tcase_add_test(tc, test_shared_arrays_stay_shared);
    tcase_add_test(tc, test_large_data_read_once_and_bytes_still_bytes);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
