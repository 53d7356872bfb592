/* test_npy.c: the npy and npz formats (plugins/npy, docs/npy.md). Golden
 * files written by numpy (data/npy/gen.py, with NAME.expect beside each
 * NAME.npy) decode to the dtype, shape and C-order bytes numpy reports, and
 * brine writes the C-order ones back byte for byte; npz files of numpy's
 * read as dicts and round-trip stored and deflated; encoders refuse what
 * the formats cannot hold; hostile headers and zips give clean errors with
 * their offsets, and nothing is allocated for a size the input does not
 * back. */
#define _GNU_SOURCE /* memmem */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <brine/format.h>

#include "check_util.h"

#define NPY_DIR BRINE_TEST_DATA "/npy"

static brine_registry *reg;
static const brine_plugin *npy, *npz;

static const test_format formats[] = {{"npy", &npy, NULL}, {"npz", &npz, NULL}, {0}};

static int hexval(int c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* Checks one golden file against its .expect (see data/npy/gen.py). */
static void check_golden(const char *name)
{
    char path[512];
    size_t len, elen;
    snprintf(path, sizeof path, "%s/%s.npy", NPY_DIR, name);
    unsigned char *file = read_test_file(path, &len);
    snprintf(path, sizeof path, "%s/%s.expect", NPY_DIR, name);
    char *expect = (char *)read_test_file(path, &elen);
    /* Four lines, any of them empty (a 0-d shape, an empty array's data). */
    char *line[4];
    char *p = expect;
    for (int i = 0; i < 4; i++) {
        line[i] = p;
        char *nl = strchr(p, '\n');
        ck_assert_msg(nl != NULL, "%s: line %d missing", name, i + 1);
        *nl = '\0';
        p = nl + 1;
    }

    brine_error err;
    brine_doc *doc = decode_with(npy, file, len, NULL, 0, &err);
    ck_assert_msg(doc != NULL, "%s: %s at %llu", name, err.message, (unsigned long long)err.offset);
    brine_value *a = brine_doc_root(doc);
    ck_assert_int_eq(brine_type_of(a), BRINE_ARRAY);
    size_t dlen = brine_dtype_descr(brine_array_dtype(a), NULL, 0);
    char *descr = malloc(dlen + 1);
    brine_dtype_descr(brine_array_dtype(a), descr, dlen + 1);
    ck_assert_msg(strcmp(descr, line[0]) == 0, "%s: descr %.200s, numpy says %.200s", name, descr, line[0]);
    free(descr);

    char shape[512] = "";
    size_t at = 0;
    for (unsigned d = 0; d < brine_array_ndim(a); d++)
        at += (size_t)snprintf(shape + at, sizeof shape - at, "%s%llu", d ? " " : "",
                               (unsigned long long)brine_array_shape(a)[d]);
    ck_assert_msg(strcmp(shape, line[1]) == 0, "%s: shape %s, numpy says %s", name, shape, line[1]);

    size_t nbytes = brine_array_nbytes(a);
    ck_assert_uint_eq(strlen(line[2]), 2 * nbytes);
    const unsigned char *data = brine_array_data(a);
    for (size_t i = 0; i < nbytes; i++)
        REQUIRE(data[i] == (hexval(line[2][2 * i]) << 4 | hexval(line[2][2 * i + 1])));

    if (line[3][0] == '1') {
        size_t olen;
        unsigned char *out = encode_with(npy, a, NULL, 0, &olen, &err);
        ck_assert_msg(out != NULL, "%s: %s", name, err.message);
        ck_assert_msg(olen == len && memcmp(out, file, len) == 0, "%s: written back differently (%zu bytes, not %zu)",
                      name, olen, len);
        brine_free(out);
    }
    brine_doc_free(doc);
    free(expect);
    free(file);
}

START_TEST(test_npy_golden_files_read_as_numpy_wrote_them)
{
    DIR *dir = opendir(NPY_DIR);
    ck_assert(dir != NULL);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(dir))) {
        size_t l = strlen(de->d_name);
        if (l > 7 && strcmp(de->d_name + l - 7, ".expect") == 0) {
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(l - 7), de->d_name);
            check_golden(name);
            n++;
        }
    }
    closedir(dir);
    ck_assert_int_ge(n, 40);
}
END_TEST

START_TEST(test_npy_reads_from_a_file_source)
{
    /* The same bytes through a file descriptor as through a buffer. */
    brine_error err;
    brine_doc *doc = brine_load_file(reg, NULL, NPY_DIR "/d5.npy", NULL, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    size_t len;
    unsigned char *file = read_test_file(NPY_DIR "/d5.npy", &len);
    brine_doc *ref = decode_with(npy, file, len, NULL, 0, &err);
    ck_assert(brine_value_equal(brine_doc_root(doc), brine_doc_root(ref), 0, NULL));
    brine_doc_free(doc);
    brine_doc_free(ref);
    free(file);
}
END_TEST

/* A .npy of n float64 (i * 0.5) written after `skip` bytes of junk and
 * followed by `extra` bytes, into a temporary file; returns its descriptor
 * at offset skip. */
static int big_npy_file(size_t n, size_t skip, size_t extra, size_t *data_at)
{
    char header[128];
    snprintf(header, sizeof header, "{'descr': '<f8', 'fortran_order': False, 'shape': (%zu,), }", n);
    size_t hl = strlen(header) + 1, pad = 64 - (10 + hl) % 64;
    FILE *f = tmpfile();
    ck_assert(f != NULL);
    for (size_t i = 0; i < skip; i++)
        fputc('j', f);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc((int)((hl + pad) & 0xFF), f);
    fputc((int)((hl + pad) >> 8), f);
    fputs(header, f);
    for (size_t i = 0; i < pad; i++)
        fputc(' ', f);
    fputc('\n', f);
    *data_at = skip + 10 + hl + pad;
    for (size_t i = 0; i < n; i++) {
        double v = (double)i * 0.5;
        fwrite(&v, 8, 1, f);
    }
    for (size_t i = 0; i < extra; i++)
        fputc('x', f);
    fflush(f);
    int fd = dup(fileno(f));
    fclose(f);
    ck_assert(lseek(fd, (off_t)skip, SEEK_SET) == (off_t)skip);
    return fd;
}

START_TEST(test_npy_large_data_is_read_from_a_mapping_of_the_file)
{
    /* 4 MiB of data: brine_source_view maps it. The descriptor starts 100
     * bytes into the file, so the mapping's file offset is not the
     * input's. */
    size_t n = 1 << 19, data_at;
    int fd = big_npy_file(n, 100, 0, &data_at);
    brine_source src;
    brine_source_init_fd(&src, fd);
    brine_error err;
    brine_doc *doc = brine_decode(npy, &src, NULL, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    brine_value *a = brine_doc_root(doc);
    ck_assert_uint_eq(brine_array_count(a), n);
    const double *d = brine_array_data(a);
    for (size_t i = 0; i < n; i++)
        REQUIRE(d[i] == (double)i * 0.5);
    ck_assert_uint_eq(brine_source_offset(&src), data_at - 100 + n * 8);
    brine_doc_free(doc);
    brine_source_destroy(&src);
    close(fd);

    /* Bytes after the data: found after the view, at their offset. */
    fd = big_npy_file(n, 0, 3, &data_at);
    brine_source_init_fd(&src, fd);
    ck_assert_ptr_null(brine_decode(npy, &src, NULL, &err));
    expect_error(&err, BRINE_E_SYNTAX, data_at + n * 8, "",
                 "bytes after the array's data (a .npy file holds one array)");
    brine_source_destroy(&src);
    close(fd);

    /* A file shorter than its shape says: nothing mapped, the window's
     * error at the end of the input. */
    fd = big_npy_file(n, 0, 0, &data_at);
    ck_assert_int_eq(ftruncate(fd, (off_t)(data_at + n * 4)), 0);
    brine_source_init_fd(&src, fd);
    ck_assert_ptr_null(brine_decode(npy, &src, NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_TRUNCATED);
    ck_assert_uint_eq(err.offset, data_at + n * 4);
    brine_source_destroy(&src);
    close(fd);
}
END_TEST

static brine_doc *decode_file(const brine_plugin *fmt, const char *name)
{
    char path[512];
    size_t len;
    snprintf(path, sizeof path, "%s/%s", NPY_DIR, name);
    unsigned char *file = read_test_file(path, &len);
    brine_error err;
    brine_doc *doc = decode_with(fmt, file, len, NULL, 0, &err);
    ck_assert_msg(doc != NULL, "%s: %s", name, err.message);
    free(file);
    return doc;
}

START_TEST(test_npz_golden_files_read_as_dicts_of_their_members)
{
    brine_doc *d2 = decode_file(npy, "d2.npy"), *d1 = decode_file(npy, "d1.npy");
    static const char *const files[] = {"pair.npz", "pair_deflated.npz"};
    for (int i = 0; i < 2; i++) {
        brine_doc *doc = decode_file(npz, files[i]);
        brine_value *root = brine_doc_root(doc);
        ck_assert_int_eq(brine_type_of(root), BRINE_DICT);
        ck_assert_uint_eq(brine_dict_count(root), 2);
        brine_value *k, *v;
        /* numpy.savez keeps the keyword order. */
        size_t it = 0;
        ck_assert(brine_dict_next(root, &it, &k, &v));
        ck_assert_str_eq(brine_str_get(k, NULL), "d2");
        ck_assert(brine_value_equal(v, brine_doc_root(d2), 0, NULL));
        ck_assert(brine_dict_next(root, &it, &k, &v));
        ck_assert_str_eq(brine_str_get(k, NULL), "d1");
        ck_assert(brine_value_equal(v, brine_doc_root(d1), 0, NULL));
        brine_doc_free(doc);
    }
    brine_doc_free(d1);
    brine_doc_free(d2);
}
END_TEST

/* A dict of three arrays: the golden d2, rec_nested and empty3. */
static brine_doc *three_arrays(void)
{
    brine_doc *doc = brine_doc_new();
    brine_error err;
    brine_value *dict = brine_dict_new(doc, &err);
    static const char *const names[] = {"d2", "rec_nested", "empty3"};
    for (int i = 0; i < 3; i++) {
        char file[64];
        snprintf(file, sizeof file, "%s.npy", names[i]);
        brine_doc *one = decode_file(npy, file);
        brine_value *copy = brine_value_copy(doc, brine_doc_root(one), 0, &err);
        ck_assert(copy != NULL);
        ck_assert_int_eq(brine_dict_set(dict, brine_str_new(doc, names[i], strlen(names[i]), &err), copy, &err),
                         BRINE_OK);
        brine_doc_free(one);
    }
    brine_doc_set_root(doc, dict, NULL);
    return doc;
}

START_TEST(test_npz_round_trips_stored_and_deflated)
{
    brine_doc *doc = three_arrays();
    static const char *const opts[] = {NULL, "compress", "compress=1", "compress=0"};
    size_t sizes[4];
    for (int i = 0; i < 4; i++) {
        brine_error err;
        size_t len;
        unsigned char *out = encode_with(npz, brine_doc_root(doc), opts[i], 0, &len, &err);
        ck_assert_msg(out != NULL, "%s: %s", opts[i] ? opts[i] : "stored", err.message);
        sizes[i] = len;
        brine_doc *back = decode_with(npz, out, len, NULL, 0, &err);
        ck_assert_msg(back != NULL, "%s", err.message);
        ck_assert(brine_value_equal(brine_doc_root(back), brine_doc_root(doc), 0, NULL));
        brine_doc_free(back);
        brine_free(out);
    }
    ck_assert_uint_lt(sizes[1], sizes[0]); /* deflated is smaller */
    ck_assert_uint_eq(sizes[3], sizes[0]); /* compress=0 stores */
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_npy_encoder_refuses_what_is_not_one_array)
{
    brine_doc *doc = brine_doc_new();
    brine_error err;
    brine_value *list = brine_list_new(doc, &err);
    size_t len;
    ck_assert_ptr_null(encode_with(npy, list, NULL, 0, &len, &err));
    expect_error(&err, BRINE_E_TYPE, BRINE_NO_OFFSET, "$", "npy holds one array, not a list");
    ck_assert_ptr_null(encode_with(npy, brine_int_new(doc, 3, &err), NULL, 0, &len, &err));
    expect_error(&err, BRINE_E_TYPE, BRINE_NO_OFFSET, "$", "npy holds one array, not an int");
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_npz_encoder_refuses_what_is_not_a_dict_of_arrays)
{
    brine_doc *doc = three_arrays();
    brine_error err;
    size_t len;
    brine_value *root = brine_doc_root(doc);
    ck_assert_int_eq(brine_dict_set(root, brine_str_new(doc, "n", 1, &err), brine_int_new(doc, 1, &err), &err),
                     BRINE_OK);
    ck_assert_ptr_null(encode_with(npz, root, NULL, 0, &len, &err));
    expect_error(&err, BRINE_E_TYPE, BRINE_NO_OFFSET, "$.n", "npz holds a dict of str to arrays: a value is an int");
    brine_value *d = brine_dict_new(doc, &err);
    ck_assert_int_eq(brine_dict_set(d, brine_int_new(doc, 1, &err), brine_int_new(doc, 1, &err), &err), BRINE_OK);
    ck_assert_ptr_null(encode_with(npz, d, NULL, 0, &len, &err));
    expect_error(&err, BRINE_E_TYPE, BRINE_NO_OFFSET, "$[1]", "npz keys are str (member names), not an int");
    ck_assert_ptr_null(encode_with(npz, brine_list_new(doc, &err), NULL, 0, &len, &err));
    expect_error(&err, BRINE_E_TYPE, BRINE_NO_OFFSET, "$", "npz holds a dict of str to arrays, not a list");
    ck_assert_ptr_null(encode_with(npz, root, "compress=x", 0, &len, &err));
    expect_error(&err, BRINE_E_OPTION, BRINE_NO_OFFSET, "", "the npz option compress takes a level 0-9, not 'x'");
    brine_doc_free(doc);
}
END_TEST

/* ---- hostile .npy ----------------------------------------------------- */

/* A .npy 1.0 file of the header text (padded like numpy's) and data. */
static unsigned char *npy_file(const char *header, const void *data, size_t data_len, size_t *len)
{
    size_t h = strlen(header), hl = h + 1, pad = 64 - (10 + hl) % 64;
    unsigned char *f = malloc(10 + hl + pad + data_len);
    memcpy(f, "\x93NUMPY\x01\x00", 8);
    f[8] = (unsigned char)((hl + pad) & 0xFF);
    f[9] = (unsigned char)((hl + pad) >> 8);
    memcpy(f + 10, header, h);
    memset(f + 10 + h, ' ', pad);
    f[10 + h + pad] = '\n';
    if (data_len)
        memcpy(f + 10 + hl + pad, data, data_len);
    *len = 10 + hl + pad + data_len;
    return f;
}

static const struct {
    const char *header;
    size_t data_len;
    int code;
    uint64_t offset; /* in the file: the header starts at 10 */
    const char *message;
} bad_headers[] = {
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 8, BRINE_E_TRUNCATED, 136,
     "unexpected end of input at byte 136"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 2), }", 0, BRINE_E_RANGE, 10,
     "npy header: the shape's element count overflows 64 bits"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,), }", 0, BRINE_E_RANGE, 10,
     "npy header: the array's byte size overflows"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", 0, BRINE_E_RANGE, 61,
     "npy header: an integer too large for 64 bits"},
    {"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", 8, BRINE_E_UNSUPPORTED, 20,
     "npy header: dtype '|O': object arrays need pickle, numpy.load(allow_pickle=False) refuses them too"},
    {"{'descr': [('a', '<i4'), ('b', 'O')], 'fortran_order': False, 'shape': (1,), }", 12, BRINE_E_UNSUPPORTED, 41,
     "npy header: dtype 'O': object arrays need pickle, numpy.load(allow_pickle=False) refuses them too"},
    {"{'descr': '<f3', 'fortran_order': False, 'shape': (1,), }", 3, BRINE_E_UNSUPPORTED, 23,
     "npy header: dtype '<f3': an itemsize numpy does not have for this kind in dtype string '<f3' at offset 2"},
    {"{'descr': 42, 'fortran_order': False, 'shape': (1,), }", 0, BRINE_E_SYNTAX, 20, "npy header: a string expected"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (3), }", 24, BRINE_E_SYNTAX, 60,
     "npy header: a shape that is an int in parentheses, not a tuple"},
    {"{'descr': '<f8', 'fortran_order': 0, 'shape': (3,), }", 24, BRINE_E_SYNTAX, 44,
     "npy header: True or False expected for fortran_order"},
    {"{'descr': '<f8', 'shape': (3,), }", 24, BRINE_E_SYNTAX, 42, "npy header: no 'fortran_order' key"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'x': 1}", 24, BRINE_E_SYNTAX, 66,
     "npy header: an unknown key 'x'"},
    {"{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (3,)}", 24, BRINE_E_SYNTAX, 27,
     "npy header: the key 'descr' twice"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (3,)} x", 24, BRINE_E_SYNTAX, 66,
     "npy header: bytes after the dict"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (-3,)}", 0, BRINE_E_SYNTAX, 61,
     "npy header: a non-negative integer expected"},
    {"{'descr': '<f8\\q', 'fortran_order': False, 'shape': (1,)}", 8, BRINE_E_SYNTAX, 24,
     "npy header: an unknown escape '\\q'"},
    {"{'descr': '<f8, 'fortran_order': False, 'shape': (1,)}", 8, BRINE_E_SYNTAX, 24,
     "npy header: dtype '<f8, ': unexpected characters in dtype string '<f8, ' at offset 3"},
    {"{'descr': [], 'fortran_order': False, 'shape': (1,)}", 8, BRINE_E_UNSUPPORTED, 20,
     "npy header: a record of no bytes"},
    {"{'descr': [('a', '<i4'), ('a', '<i4')], 'fortran_order': False, 'shape': (1,)}", 8, BRINE_E_SYNTAX, 35,
     "npy header: field 'a': field name 'a' is repeated"},
    {"{'descr': [(('t', 'a'), '<i4')], 'fortran_order': False, 'shape': (1,)}", 4, BRINE_E_UNSUPPORTED, 22,
     "npy header: a field with a title (a (title, name) pair)"},
};

START_TEST(test_npy_hostile_headers_give_clean_errors)
{
    for (size_t i = 0; i < sizeof bad_headers / sizeof bad_headers[0]; i++) {
        unsigned char zeros[64] = {0};
        size_t len;
        unsigned char *f = npy_file(bad_headers[i].header, zeros, bad_headers[i].data_len, &len);
        brine_error err;
        brine_doc *doc = decode_with(npy, f, len, NULL, 0, &err);
        ck_assert_msg(doc == NULL, "case %zu decoded", i);
        expect_error(&err, bad_headers[i].code, bad_headers[i].offset, "", bad_headers[i].message);
        free(f);
    }
}
END_TEST

START_TEST(test_npy_hostile_prefixes_give_clean_errors)
{
    brine_error err;
    ck_assert_ptr_null(decode_with(npy, "\x93NUMPZ\x01\x00\x10\x00", 10, NULL, 0, &err));
    expect_error(&err, BRINE_E_SYNTAX, 0, "", "not an npy file: no \\x93NUMPY magic");
    ck_assert_ptr_null(decode_with(npy, "\x93NUM", 4, NULL, 0, &err));
    expect_error(&err, BRINE_E_TRUNCATED, 4, "", "unexpected end of input at byte 4");
    ck_assert_ptr_null(decode_with(npy, "\x93NUMPY\x04\x00\x10\x00", 10, NULL, 0, &err));
    expect_error(&err, BRINE_E_VERSION, 6, "", "npy format version 4.0 (1.0, 2.0 and 3.0 are read)");
    /* A header length past the end of the input. */
    ck_assert_ptr_null(decode_with(npy, "\x93NUMPY\x01\x00\xff\xff{'descr'", 17, NULL, 0, &err));
    expect_error(&err, BRINE_E_TRUNCATED, 17, "", "unexpected end of input at byte 17");
    ck_assert_ptr_null(decode_with(npy, "\x93NUMPY\x02\x00\xff\xff\xff\x7f{", 13, NULL, 0, &err));
    expect_error(&err, BRINE_E_RANGE, 8, "", "an npy header of 2147483647 bytes (at most 16777216)");
    /* Bytes after the data. */
    size_t len;
    unsigned char zeros[16] = {0};
    unsigned char *f = npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", zeros, 9, &len);
    ck_assert_ptr_null(decode_with(npy, f, len, NULL, 0, &err));
    expect_error(&err, BRINE_E_SYNTAX, len - 1, "", "bytes after the array's data (a .npy file holds one array)");
    free(f);
}
END_TEST

START_TEST(test_npy_records_nested_too_deep_are_refused)
{
    char header[2048] = "{'descr': ";
    for (int i = 0; i < 20; i++)
        strcat(header, "[('a', ");
    strcat(header, "'<i4'");
    for (int i = 0; i < 20; i++)
        strcat(header, ")]");
    strcat(header, ", 'fortran_order': False, 'shape': (1,)}");
    size_t len;
    unsigned char *f = npy_file(header, "abcd", 4, &len);
    brine_error err;
    ck_assert_ptr_null(decode_with(npy, f, len, NULL, 0, &err));
    expect_error(&err, BRINE_E_RANGE, 10 + 10 + 16 * 7, "", "npy header: records nest deeper than 16 levels");
    free(f);
}
END_TEST

/* An allocator that refuses any block over 1 MiB: a decoder that sized a
 * buffer by a hostile header would fail with NOMEM instead of TRUNCATED. */
static void *capped_malloc(size_t n)
{
    return n > (1u << 20) ? NULL : malloc(n);
}
static void *capped_realloc(void *p, size_t n)
{
    return n > (1u << 20) ? NULL : realloc(p, n);
}

START_TEST(test_npy_allocates_nothing_for_a_size_the_input_does_not_back)
{
    size_t len;
    unsigned char *f = npy_file("{'descr': '<f8', 'fortran_order': True, 'shape': (1000000, 1000), }", "x", 1, &len);
    brine_error err;
    brine_set_allocator(capped_malloc, capped_realloc, free);
    brine_doc *doc = decode_with(npy, f, len, NULL, 0, &err);
    brine_set_allocator(NULL, NULL, NULL);
    ck_assert_ptr_null(doc);
    expect_error(&err, BRINE_E_TRUNCATED, len, "", "unexpected end of input at byte 129");
    free(f);
}
END_TEST

/* ---- hostile .npz ----------------------------------------------------- */

static void npz_fails(const unsigned char *f, size_t len, int code, uint64_t offset, const char *message)
{
    brine_error err;
    brine_doc *doc = decode_with(npz, f, len, NULL, 0, &err);
    ck_assert_msg(doc == NULL, "decoded, expected: %s", message);
    expect_error(&err, code, offset, "", message);
}

START_TEST(test_npz_hostile_zips_give_clean_errors)
{
    size_t len;
    unsigned char *good = read_test_file(NPY_DIR "/pair.npz", &len);
    unsigned char *f = malloc(len);
    size_t end = len - 22; /* the end record, no comment */
    uint32_t cd_at = good[end + 16] | good[end + 17] << 8 | good[end + 18] << 16 | (uint32_t)good[end + 19] << 24;

    npz_fails((const unsigned char *)"PK\3\4", 4, BRINE_E_TRUNCATED, 4,
              "npz: not a zip file: too short for its end record");
    npz_fails((const unsigned char *)"hello, this is not a zip file", 29, BRINE_E_SYNTAX, 0,
              "npz: not a zip file: no end of central directory record");
    /* The directory placed past the end. */
    memcpy(f, good, len);
    f[end + 19] = 0x7f;
    npz_fails(f, len, BRINE_E_CORRUPT, end, "npz: the central directory lies outside the file");
    /* More entries than the directory can hold. */
    memcpy(f, good, len);
    f[end + 8] = f[end + 10] = 0xfe;
    npz_fails(f, len, BRINE_E_CORRUPT, end, "npz: more entries than the central directory has bytes for");
    /* A local header offset that points nowhere. */
    memcpy(f, good, len);
    f[cd_at + 42] = 0x05;
    npz_fails(f, len, BRINE_E_CORRUPT, cd_at, "npz: a member's local header is not where the directory says");
    /* A method brine does not read (bzip2). */
    memcpy(f, good, len);
    f[cd_at + 10] = 12;
    npz_fails(f, len, BRINE_E_UNSUPPORTED, cd_at,
              "npz: member compression method 12 (stored 0 and deflate 8 are read)");
    /* A flipped data byte: the CRC catches it. */
    memcpy(f, good, len);
    f[len / 4] ^= 1;
    npz_fails(f, len, BRINE_E_CORRUPT, 0, "npz member 'd2.npy': its CRC-32 does not match its data");
    /* A member whose data is shorter than its directory says. */
    memcpy(f, good, len);
    f[cd_at + 22] = f[cd_at + 26] = 1;
    npz_fails(f, len, BRINE_E_CORRUPT, 0, "npz: a member's data runs past the start of the directory");
    /* Two directory entries naming one member: a decompression bomb's
     * trick (the second entry's offset set to the first's). */
    memcpy(f, good, len);
    {
        size_t second = cd_at + 46 + (f[cd_at + 28] | f[cd_at + 29] << 8) + (f[cd_at + 30] | f[cd_at + 31] << 8);
        memcpy(f + second + 42, f + cd_at + 42, 4);
        memcpy(f + second + 16, f + cd_at + 16, 12); /* the same CRC and sizes */
        memcpy(f + second + 46, f + cd_at + 46, 6);  /* and name, as the local header says */
        npz_fails(f, len, BRINE_E_CORRUPT, 0, "npz: two members share bytes of the file");
    }
    free(f);
    free(good);

    /* A deflated member: garbage data, and a size deflate cannot reach. */
    good = read_test_file(NPY_DIR "/pair_deflated.npz", &len);
    f = malloc(len);
    end = len - 22;
    cd_at = good[end + 16] | good[end + 17] << 8 | good[end + 18] << 16 | (uint32_t)good[end + 19] << 24;
    memcpy(f, good, len);
    memset(f + 30 + (good[26] | good[27] << 8) + (good[28] | good[29] << 8), 0xff, 8);
    npz_fails(f, len, BRINE_E_CORRUPT, 0, "npz: a deflated member is not valid deflate data");
    memcpy(f, good, len);
    f[cd_at + 27] = 0x7f;
    npz_fails(f, len, BRINE_E_CORRUPT, 0, "npz: a deflated member declares more than its data can hold");
    free(f);
    free(good);
}
END_TEST

/* zip's CRC-32, bit by bit: the test does not link zlib. */
static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

START_TEST(test_npz_member_errors_name_the_member)
{
    /* A stored member whose .npy says '<i3': the error is located in the
     * zip, at the dtype's byte, and names the member. */
    brine_doc *doc = brine_doc_new();
    brine_error err;
    brine_value *d = brine_dict_new(doc, &err);
    brine_doc *one = decode_file(npy, "d1.npy");
    brine_dict_set(d, brine_str_new(doc, "x", 1, &err), brine_value_copy(doc, brine_doc_root(one), 0, &err), &err);
    brine_doc_free(one);
    size_t len;
    unsigned char *out = encode_with(npz, d, NULL, 0, &len, &err);
    ck_assert(out != NULL);
    unsigned char *fmt = memmem(out, len, "'<i4'", 5);
    ck_assert(fmt != NULL);
    fmt[3] = '3';
    /* The member's data: after the 30-byte local header and "x.npy". */
    size_t data_at = 30 + 5, size = out[18] | out[19] << 8;
    uint32_t crc = crc32_of(out + data_at, size);
    size_t cd_at = data_at + size;
    put32(out + 14, crc);
    put32(out + cd_at + 16, crc);
    ck_assert_ptr_null(decode_with(npz, out, len, NULL, 0, &err));
    expect_error(&err, BRINE_E_UNSUPPORTED, (uint64_t)(fmt - out) + 3, "",
                 "npz member 'x.npy': npy header: dtype '<i3': an itemsize numpy does not have for this kind in dtype "
                 "string '<i3' at offset 2");
    brine_free(out);
    brine_doc_free(doc);
}
END_TEST

static Suite *npy_suite(void)
{
    Suite *s = suite_create("npy");
    TCase *tc = tcase_create("npy");
    registry_fixture(tc, &reg, formats);
    tcase_add_test(tc, test_npy_golden_files_read_as_numpy_wrote_them);
    tcase_add_test(tc, test_npy_reads_from_a_file_source);
    tcase_add_test(tc, test_npy_large_data_is_read_from_a_mapping_of_the_file);
    tcase_add_test(tc, test_npz_golden_files_read_as_dicts_of_their_members);
    tcase_add_test(tc, test_npz_round_trips_stored_and_deflated);
    tcase_add_test(tc, test_npy_encoder_refuses_what_is_not_one_array);
    tcase_add_test(tc, test_npz_encoder_refuses_what_is_not_a_dict_of_arrays);
    tcase_add_test(tc, test_npy_hostile_headers_give_clean_errors);
    tcase_add_test(tc, test_npy_hostile_prefixes_give_clean_errors);
    tcase_add_test(tc, test_npy_records_nested_too_deep_are_refused);
    tcase_add_test(tc, test_npy_allocates_nothing_for_a_size_the_input_does_not_back);
    tcase_add_test(tc, test_npz_hostile_zips_give_clean_errors);
    tcase_add_test(tc, test_npz_member_errors_name_the_member);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(npy_suite)
