/* test_joblib.c: the joblib format (docs/pickle.md, "joblib"). The golden
 * files of data/joblib (joblib.dump's own, and hostile wrappers; written by
 * data/joblib/gen_joblib.py with expected.tsv beside them) read as arrays
 * of the expected dtype, shape and bytes, or fail with the expected code
 * at the wrapper's BUILD; every truncation and many bit flips of the good
 * ones fail cleanly; the pickle plugin refuses them naming joblib; the
 * sniffers tell them from pickles; the writer's data lies 16-byte aligned
 * after its wrapper and reads back equal. joblib_interop.sh checks the
 * same against joblib itself. */
#define _GNU_SOURCE /* strtok_r, memmem */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>
#include <brine/pickle.h>

#include "check_util.h"

static brine_registry *reg;
static const brine_plugin *jl, *pk;

static const test_format formats[] = {{"joblib", &jl, NULL}, {"pickle", &pk, NULL}, {0}};

static void hex(const void *p, size_t len, char *out)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < len; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * len] = 0;
}

/* The audit of the same bytes ends as decoding did. */
static void expect_audit_status(const unsigned char *data, size_t len, int status)
{
    brine_source src;
    brine_audit_report *r = NULL;
    brine_error err;
    brine_source_init_buffer(&src, data, len);
    brine_audit(jl, &src, NULL, &r, &err);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->status, status);
    brine_audit_report_free(r);
    brine_source_destroy(&src);
}

static unsigned char *golden(const char *file, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/joblib/%s", BRINE_TEST_DATA, file);
    return read_test_file(path, len);
}

/* Every truncation fails with an error, the audit with it; flipped bytes
 * read or fail, never crash (CK_FORK, ASan in CI). */
static void sweep(const char *file, const unsigned char *data, size_t len)
{
    unsigned char *copy = malloc(len ? len : 1);
    for (size_t cut = 0; cut < len; cut++) {
        brine_error e;
        brine_doc *d = decode_with(jl, data, cut, NULL, 0, &e);
        ck_assert_msg(d == NULL, "%s cut at %zu decoded", file, cut);
        ck_assert_int_ne(e.code, BRINE_OK);
        ck_assert_msg(e.message[0] != 0, "%s cut at %zu: no message", file, cut);
        expect_audit_status(data, cut, e.code);
    }
    for (size_t at = 0; at < len; at++) {
        static const unsigned char flips[] = {0x01, 0x80, 0xff};
        for (size_t f = 0; f < sizeof flips; f++) {
            brine_error e;
            memcpy(copy, data, len);
            copy[at] ^= flips[f];
            brine_doc *d = decode_with(jl, copy, len, NULL, 0, &e);
            REQUIRE(d != NULL || (e.code != BRINE_OK && e.message[0]));
            brine_doc_free(d);
        }
    }
    free(copy);
}

START_TEST(test_golden_joblib_files_read_as_expected)
{
    char path[1024], line[4096];
    int rows = 0;
    snprintf(path, sizeof path, "%s/joblib/expected.tsv", BRINE_TEST_DATA);
    FILE *fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    while (fgets(line, sizeof line, fp)) {
        char *save = NULL, *file = strtok_r(line, "\t\n", &save), *kind = strtok_r(NULL, "\t\n", &save);
        size_t len;
        brine_error err;
        if (!file || file[0] == '#')
            continue;
        unsigned char *data = golden(file, &len);
        brine_doc *doc = decode_with(jl, data, len, NULL, 0, &err);
        const brine_value *root = doc ? brine_doc_root(doc) : NULL;
        if (strcmp(kind, "ok") == 0) {
            char *descr = strtok_r(NULL, "\t", &save), *shape = strtok_r(NULL, "\t\n", &save),
                 *want = strtok_r(NULL, "\t\n", &save);
            char got[1024], shp[256] = "";
            ck_assert_msg(doc != NULL, "%s: %s", file, err.message);
            ck_assert_msg(brine_type_of(root) == BRINE_ARRAY, "%s: a %s, not an array", file,
                          brine_type_name(brine_type_of(root)));
            brine_dtype_descr(brine_array_dtype(root), got, sizeof got);
            ck_assert_str_eq(got, descr);
            if (brine_array_ndim(root) == 0) { /* the empty shape column was skipped */
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
            ck_assert_msg(strcmp(h, want ? want : "") == 0, "%s: data %s, expected %s", file, h, want);
            free(h);
            expect_audit_status(data, len, BRINE_OK);
            sweep(file, data, len);
        } else if (strcmp(kind, "dict") == 0) {
            char *keys = strtok_r(NULL, "\t\n", &save), *ksave = NULL;
            size_t i = 0;
            ck_assert_msg(doc != NULL, "%s: %s", file, err.message);
            ck_assert_int_eq(brine_type_of(root), BRINE_DICT);
            for (char *k = strtok_r(keys, ",", &ksave); k; k = strtok_r(NULL, ",", &ksave), i++) {
                const brine_value *v = brine_dict_get_str(root, k);
                ck_assert_msg(v != NULL, "%s: no key %s", file, k);
                ck_assert_int_eq(brine_type_of(v), strcmp(k, "n") == 0 ? BRINE_INT : BRINE_ARRAY);
            }
            ck_assert_int_eq(brine_dict_count(root), i);
            expect_audit_status(data, len, BRINE_OK);
            sweep(file, data, len);
        } else if (strcmp(kind, "model") == 0) {
            /* An object array, from the pickle nested after its wrapper. */
            char *name = strtok_r(NULL, "\t\n", &save);
            size_t nlen;
            ck_assert_msg(doc != NULL, "%s: %s", file, err.message);
            const char *got = brine_model_name(root, &nlen);
            ck_assert_msg(got && nlen == strlen(name) && memcmp(got, name, nlen) == 0, "%s: not a %s model", file,
                          name);
            expect_audit_status(data, len, BRINE_OK);
            sweep(file, data, len);
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

START_TEST(test_pickle_refuses_a_joblib_file_naming_joblib)
{
    size_t len;
    brine_error err;
    unsigned char *data = golden("f8.joblib", &len);
    brine_doc *doc = decode_with(pk, data, len, NULL, 0, &err);
    ck_assert_ptr_null(doc);
    ck_assert_int_eq(err.code, BRINE_E_UNSUPPORTED);
    ck_assert_msg(strstr(err.message, "read the file as joblib") != NULL, "%s", err.message);
    free(data);
}
END_TEST

START_TEST(test_sniff_tells_joblib_from_pickle_and_compressed_bytes)
{
    size_t len;
    unsigned char *data = golden("dict.joblib", &len);
    static const unsigned char pickle[] = "\x80\x04\x95\x06\x00\x00\x00\x00\x00\x00\x00}\x94.";
    static const unsigned char gz[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00", zz[] = "\x78\x9c\x6b\x60\x99\x1a";
    ck_assert_ptr_eq(brine_registry_sniff(reg, data, len), jl);
    ck_assert_int_eq(jl->sniff(data, len), 100);
    ck_assert_int_eq(pk->sniff(data, len), 90);
    ck_assert_ptr_eq(brine_registry_sniff(reg, pickle, sizeof pickle - 1), pk);
    ck_assert_int_eq(jl->sniff(pickle, sizeof pickle - 1), 5);
    ck_assert_int_eq(jl->sniff(gz, sizeof gz - 1), 0);
    ck_assert_int_eq(jl->sniff(zz, sizeof zz - 1), 0);
    free(data);
}
END_TEST

/* Where the writer put the data of its only array: after the padding. */
static size_t data_offset(const unsigned char *out, size_t len, const void *data, size_t n)
{
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(out + i, data, n) == 0)
            return i;
    return (size_t)-1;
}

START_TEST(test_writer_aligns_data_after_the_wrapper_and_reads_back)
{
    brine_error err;
    brine_error_clear(&err);
    for (int proto = 2; proto <= 5; proto++) {
        for (size_t n = 1; n <= 40; n += 13) {
            brine_doc *doc = brine_doc_new();
            uint64_t shape[2] = {n, 3};
            const brine_dtype *dt = brine_dtype_parse(doc, ">f8", 3, &err);
            brine_value *root = brine_dict_new(doc, &err), *a = brine_array_new(doc, dt, 2, shape, NULL, &err);
            double *p = brine_array_data_mut(a);
            char opt[32];
            size_t len;
            for (size_t i = 0; i < n * 3; i++)
                p[i] = 0.5 + (double)i * 1e6;
            /* A key of n bytes moves the array's offset in the file. */
            char key[64];
            memset(key, 'k', n);
            key[n] = 0;
            brine_dict_set_str(root, key, a, &err);
            brine_dict_set_str(root, "tail", brine_str_new(doc, "end", 3, &err), &err);
            brine_doc_set_root(doc, root, &err);
            snprintf(opt, sizeof opt, "protocol=%d", proto);
            unsigned char *out = encode_with(jl, root, opt, 0, &len, &err);
            ck_assert_msg(out != NULL, "%s", err.message);
            size_t at = data_offset(out, len, p, n * 3 * 8);
            ck_assert_msg(at != (size_t)-1 && at % 16 == 0, "protocol %d, n %zu: data at %zu", proto, n, at);
            /* [pad length n][n bytes 0xff][data], n from 1 to 16 as joblib 1.2 */
            size_t pad = 1;
            while (pad <= 16 && pad < at && out[at - pad - 1] != pad)
                pad++;
            ck_assert_msg(pad <= 16, "protocol %d, n %zu: no padding length byte", proto, n);
            for (size_t i = at - pad; i < at; i++)
                ck_assert_int_eq(out[i], 0xff);
            ck_assert_ptr_nonnull(memmem(out, len, "NumpyArrayWrapper", 17));
            brine_doc *back = decode_with(jl, out, len, NULL, 0, &err);
            ck_assert_msg(back != NULL, "%s", err.message);
            ck_assert_int_eq(brine_value_equal(root, brine_doc_root(back), 16, &err), 1);
            brine_doc_free(back);
            brine_free(out);
            brine_doc_free(doc);
        }
    }
}
END_TEST

START_TEST(test_writer_options)
{
    brine_error err;
    brine_doc *doc = brine_doc_new();
    uint64_t shape[1] = {2};
    size_t len;
    brine_error_clear(&err);
    brine_value *a = brine_array_new(doc, brine_dtype_parse(doc, "<i4", 3, &err), 1, shape, NULL, &err);
    ck_assert_ptr_null(encode_with(jl, a, "mmap=maybe", 0, &len, &err));
    expect_error(&err, BRINE_E_OPTION, BRINE_NO_OFFSET, NULL, "mmap takes yes or no, not 'maybe'");
    /* allow_mmap True by default, False with mmap=no: the byte after its key. */
    static const char key[] = "\x8c\x0a"
                              "allow_mmap";
    for (int no = 0; no <= 1; no++) {
        unsigned char *out = encode_with(jl, a, no ? "mmap=no" : NULL, 0, &len, &err);
        ck_assert_msg(out != NULL, "%s", err.message);
        const unsigned char *k = memmem(out, len, key, sizeof key - 1);
        ck_assert_ptr_nonnull(k);
        ck_assert_int_eq(k[sizeof key - 1], no ? 0x89 : 0x88);
        brine_free(out);
    }
    /* A 0-d array: a numpy scalar by default (as joblib writes np.float64),
     * wrapped with zerod=array. */
    brine_value *z = brine_array_new(doc, brine_dtype_parse(doc, "<f8", 3, &err), 0, NULL, NULL, &err);
    for (int wrapped = 0; wrapped <= 1; wrapped++) {
        unsigned char *out = encode_with(jl, z, wrapped ? "zerod=array" : NULL, 0, &len, &err);
        ck_assert_msg(out != NULL, "%s", err.message);
        ck_assert_int_eq(memmem(out, len, "NumpyArrayWrapper", 17) != NULL, wrapped);
        brine_doc *back = decode_with(jl, out, len, NULL, 0, &err);
        ck_assert_msg(back != NULL, "%s", err.message);
        ck_assert_int_eq(brine_value_equal(z, brine_doc_root(back), 16, &err), 1);
        brine_doc_free(back);
        brine_free(out);
    }
    brine_doc_free(doc);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("joblib");
    TCase *tc = tcase_create("joblib");
    registry_fixture(tc, &reg, formats);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_golden_joblib_files_read_as_expected);
    tcase_add_test(tc, test_pickle_refuses_a_joblib_file_naming_joblib);
    tcase_add_test(tc, test_sniff_tells_joblib_from_pickle_and_compressed_bytes);
    tcase_add_test(tc, test_writer_aligns_data_after_the_wrapper_and_reads_back);
    tcase_add_test(tc, test_writer_options);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
