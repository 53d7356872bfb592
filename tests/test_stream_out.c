/* test_stream_out.c: bounded memory on the output side (#21). Outputs that
 * patch bytes already written (memory, descriptor, FILE *, a patchable
 * callback; a pipe cannot), msgpack's top list of unknown count written
 * with the widest header and patched into such an output but kept
 * canonical into memory, a native document without shared values streamed
 * to json and msgpack (a probe pass) while one with them goes through a
 * graph, and brine_validate's count and depth against brine_value_stats
 * on the golden native and pickle files and every ending of the checker. */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <brine/format.h>

#include "check_util.h"

static brine_registry *reg;
static const brine_plugin *nat, *mp, *js, *pk;

static const test_format formats[] = {
    {"native", &nat, NULL}, {"msgpack", &mp, NULL}, {"json", &js, NULL}, {"pickle", &pk, NULL}, {0}};

/* ---- patching ------------------------------------------------------------ */

/* Writes n bytes of 'a' (more than the output's buffer holds), patches
 * "XYZ" at offset 1, flushes. */
static int write_and_patch(brine_output *out, size_t n, brine_error *err)
{
    unsigned char *a = malloc(n);
    ck_assert_ptr_nonnull(a);
    memset(a, 'a', n);
    int rc = brine_output_write(out, a, n, err);
    free(a);
    if (rc == BRINE_OK)
        rc = brine_output_patch(out, 1, "XYZ", 3, err);
    if (rc == BRINE_OK)
        rc = brine_output_patch(out, n - 1, "E", 1, err); /* still buffered */
    if (rc == BRINE_OK)
        rc = brine_output_flush(out, err);
    return rc;
}

static void expect_patched(const unsigned char *b, size_t len, size_t n)
{
    ck_assert_uint_eq(len, n);
    ck_assert(memcmp(b, "aXYZa", 5) == 0);
    ck_assert_int_eq(b[n - 1], 'E');
    ck_assert_int_eq(b[n - 2], 'a');
}

static unsigned char *slurp(int fd, size_t *len)
{
    off_t size = lseek(fd, 0, SEEK_END);
    unsigned char *b = malloc((size_t)size + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(pread(fd, b, (size_t)size, 0), size);
    *len = (size_t)size;
    return b;
}

START_TEST(test_a_file_descriptor_output_patches_what_it_has_written)
{
    brine_output out;
    brine_error err;
    size_t len, n = 300000;
    FILE *tmp = tmpfile();
    ck_assert_ptr_nonnull(tmp);
    int fd = fileno(tmp);
    ck_assert_int_eq(write(fd, "head", 4), 4); /* offsets count from the output's first byte */
    ck_assert_int_eq(brine_output_init_fd(&out, fd, &err), BRINE_OK);
    ck_assert_int_eq(brine_output_can_patch(&out), 1);
    ck_assert_int_eq(write_and_patch(&out, n, &err), BRINE_OK);
    brine_output_destroy(&out);
    unsigned char *b = slurp(fd, &len);
    ck_assert(memcmp(b, "head", 4) == 0);
    expect_patched(b + 4, len - 4, n);
    free(b);
    fclose(tmp);
}
END_TEST

START_TEST(test_a_file_output_patches_and_keeps_its_position)
{
    brine_output out;
    brine_error err;
    size_t len, n = 200000;
    FILE *tmp = tmpfile();
    ck_assert_ptr_nonnull(tmp);
    ck_assert_int_eq(brine_output_init_file(&out, tmp, &err), BRINE_OK);
    ck_assert_int_eq(brine_output_can_patch(&out), 1);
    ck_assert_int_eq(write_and_patch(&out, n, &err), BRINE_OK);
    ck_assert_int_eq(brine_output_write(&out, "tail", 4, &err), BRINE_OK);
    ck_assert_int_eq(brine_output_flush(&out, &err), BRINE_OK);
    brine_output_destroy(&out);
    unsigned char *b = slurp(fileno(tmp), &len);
    expect_patched(b, len - 4, n);
    ck_assert(memcmp(b + n, "tail", 4) == 0);
    free(b);
    fclose(tmp);
}
END_TEST

typedef struct sink_buf {
    unsigned char data[1 << 20];
    size_t len;
    int patches;
} sink_buf;

static int buf_write(void *ctx, const void *data, size_t len)
{
    sink_buf *s = ctx;
    memcpy(s->data + s->len, data, len);
    s->len += len;
    return 0;
}

static int buf_patch(void *ctx, uint64_t offset, const void *data, size_t len)
{
    sink_buf *s = ctx;
    ck_assert_uint_le(offset + len, s->len); /* only bytes it has had */
    memcpy(s->data + offset, data, len);
    s->patches++;
    return 0;
}

START_TEST(test_a_patchable_callback_gets_the_flushed_part_only)
{
    static sink_buf s;
    brine_output out;
    brine_error err;
    size_t n = 500000;
    s.len = 0;
    s.patches = 0;
    ck_assert_int_eq(brine_output_init_patchable(&out, buf_write, buf_patch, &s, &err), BRINE_OK);
    ck_assert_int_eq(brine_output_can_patch(&out), 1);
    ck_assert_int_eq(write_and_patch(&out, n, &err), BRINE_OK);
    brine_output_destroy(&out);
    expect_patched(s.data, s.len, n);
    ck_assert_int_eq(s.patches, 2); /* a write this large goes straight through */
    /* bytes still in the buffer are patched there */
    ck_assert_int_eq(brine_output_init_patchable(&out, buf_write, buf_patch, &s, &err), BRINE_OK);
    ck_assert_int_eq(brine_output_write(&out, "tail", 4, &err), BRINE_OK);
    ck_assert_int_eq(brine_output_patch(&out, 0, "T", 1, &err), BRINE_OK);
    ck_assert_int_eq(brine_output_flush(&out, &err), BRINE_OK);
    brine_output_destroy(&out);
    ck_assert_int_eq(s.patches, 2);
    ck_assert(memcmp(s.data + n, "Tail", 4) == 0);
}
END_TEST

START_TEST(test_a_pipe_cannot_patch_what_it_has_sent)
{
    brine_output out;
    brine_error err;
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(brine_output_init_fd(&out, fds[1], &err), BRINE_OK);
    ck_assert_int_eq(brine_output_can_patch(&out), 0);
    ck_assert_int_eq(brine_output_write(&out, "abcd", 4, &err), BRINE_OK);
    ck_assert_int_eq(brine_output_patch(&out, 0, "x", 1, &err), BRINE_OK); /* still buffered */
    ck_assert_int_eq(brine_output_flush(&out, &err), BRINE_OK);
    ck_assert_int_eq(brine_output_patch(&out, 0, "y", 1, &err), BRINE_E_UNSUPPORTED);
    expect_error(&err, BRINE_E_UNSUPPORTED, BRINE_NO_OFFSET, "", "this output cannot rewrite bytes it has sent");
    ck_assert_int_eq(brine_output_patch(&out, 3, "zz", 2, &err), BRINE_E_INVALID); /* past the end */
    brine_output_destroy(&out);
    char got[4];
    ck_assert_int_eq(read(fds[0], got, 4), 4);
    ck_assert(memcmp(got, "xbcd", 4) == 0);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

START_TEST(test_a_memory_output_patches_but_says_it_need_not)
{
    brine_output out;
    brine_error err;
    size_t len, n = 300000;
    ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
    ck_assert_int_eq(brine_output_can_patch(&out), 0);
    ck_assert_int_eq(write_and_patch(&out, n, &err), BRINE_OK);
    unsigned char *b = brine_output_take(&out, &len);
    expect_patched(b, len, n);
    brine_free(b);
    brine_output_destroy(&out);
}
END_TEST

/* ---- msgpack: the top list of unknown count ----------------------------- */

/* A short top list of records, as JSON text. */
static const char records[] =
    "[{\"id\":1,\"tags\":[\"a\",\"b\"]},{\"id\":2,\"tags\":[]},3,4,5,6,7,8,9,10,11,12,13,14,15,16,"
    "17]";

/* n records [{"id":0,"tags":["a","b"]},{"id":1,...}...] as JSON text
 * (malloc'ed): a top list whose count the JSON reader learns at its end. */
static char *records_json(unsigned n, size_t *len)
{
    size_t cap = 16 + (size_t)n * 40, used = 0;
    char *t = malloc(cap);
    ck_assert_ptr_nonnull(t);
    t[used++] = '[';
    for (unsigned i = 0; i < n; i++)
        used += (size_t)snprintf(t + used, cap - used, "%s{\"id\":%u,\"tags\":[\"a\",\"b\"]}", i ? "," : "", i);
    t[used++] = ']';
    *len = used;
    return t;
}

/* msgpack of json into a file (patchable) and into memory. */
static void transcode_both(const char *json, size_t jlen, unsigned char **file, size_t *flen, unsigned char **mem,
                           size_t *mlen)
{
    brine_error err;
    brine_source src;
    brine_output out;
    int streamed = 0;
    FILE *tmp = tmpfile();
    ck_assert_ptr_nonnull(tmp);
    brine_source_init_buffer(&src, json, jlen);
    ck_assert_int_eq(brine_output_init_fd(&out, fileno(tmp), &err), BRINE_OK);
    ck_assert_int_eq(brine_transcode(js, &src, NULL, mp, &out, NULL, &streamed, &err), BRINE_OK);
    ck_assert_int_eq(streamed, 1);
    brine_output_destroy(&out);
    *file = slurp(fileno(tmp), flen);
    fclose(tmp);
    brine_source_init_buffer(&src, json, jlen);
    ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
    ck_assert_int_eq(brine_transcode(js, &src, NULL, mp, &out, NULL, &streamed, &err), BRINE_OK);
    *mem = brine_output_take(&out, mlen);
    brine_output_destroy(&out);
}

/* A small top list stays canonical in a file too: it waits in the side
 * buffer (under 256 KiB) and gets its smallest header at its end. */
START_TEST(test_msgpack_small_top_list_is_canonical_in_a_file)
{
    size_t jlen, flen, mlen;
    unsigned char *b, *m;
    char *json = records_json(17, &jlen);
    transcode_both(json, jlen, &b, &flen, &m, &mlen);
    static const unsigned char head[] = {0xdc, 0, 17, 0x82, 0xa2, 'i', 'd', 0};
    ck_assert(memcmp(b, head, sizeof head) == 0);
    ck_assert_uint_eq(flen, mlen);
    ck_assert(memcmp(b, m, mlen) == 0);
    free(json);
    free(b);
    brine_free(m);
}
END_TEST

/* A large one goes out as it comes: the widest header, its count patched
 * in at the end; into memory the canonical array 16. Same value. */
START_TEST(test_msgpack_large_top_list_is_patched_into_a_file)
{
    brine_error err;
    size_t jlen, flen, mlen;
    unsigned char *b, *m;
    const unsigned n = 30000; /* about 600 KiB of msgpack, fewer than 65,536 values */
    char *json = records_json(n, &jlen);
    transcode_both(json, jlen, &b, &flen, &m, &mlen);
    static const unsigned char head[] = {0xdd, 0, 0, n >> 8, n & 0xff, 0x82, 0xa2, 'i', 'd', 0};
    ck_assert(memcmp(b, head, sizeof head) == 0);
    ck_assert_int_eq(m[0], 0xdc);
    ck_assert_int_eq((m[1] << 8) | m[2], n);
    ck_assert_uint_eq(flen, mlen + 2);
    ck_assert(memcmp(b + 5, m + 3, mlen - 3) == 0);
    brine_doc *d1 = brine_decode_buffer(mp, b, flen, NULL, &err);
    brine_doc *d2 = brine_decode_buffer(mp, m, mlen, NULL, &err);
    ck_assert_ptr_nonnull(d1);
    ck_assert_ptr_nonnull(d2);
    ck_assert_int_eq(brine_value_equal(brine_doc_root(d1), brine_doc_root(d2), 0, &err), 1);
    brine_doc_free(d1);
    brine_doc_free(d2);
    free(json);
    free(b);
    brine_free(m);
}
END_TEST

/* ---- native without shared values streams ------------------------------- */

/* The native bytes of json text, through a graph. */
static void *native_of(const char *json, size_t *len)
{
    brine_error err;
    brine_doc *doc = brine_decode_buffer(js, json, strlen(json), NULL, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    void *data;
    ck_assert_int_eq(brine_encode_buffer(nat, brine_doc_root(doc), NULL, &data, len, &err), BRINE_OK);
    brine_doc_free(doc);
    return data;
}

static char *transcode_text(const brine_plugin *from, const void *data, size_t len, const brine_plugin *to,
                            int *streamed)
{
    brine_error err;
    brine_source src;
    brine_output out;
    brine_source_init_buffer(&src, data, len);
    ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
    ck_assert_msg(brine_transcode(from, &src, NULL, to, &out, NULL, streamed, &err) == BRINE_OK, "%s", err.message);
    char *text = brine_output_take(&out, NULL);
    brine_output_destroy(&out);
    return text;
}

START_TEST(test_native_without_shared_values_streams_and_with_them_does_not)
{
    size_t len;
    int streamed = -1;
    void *plain = native_of(records, &len);
    char *text = transcode_text(nat, plain, len, js, &streamed);
    ck_assert_int_eq(streamed, 1);
    ck_assert_str_eq(text, records);
    brine_free(text);
    brine_free(transcode_text(nat, plain, len, mp, &streamed));
    ck_assert_int_eq(streamed, 1);
    brine_free(plain);

    /* a tuple: json's auto mode chooses the envelope from the graph */
    void *tagged = native_of("{\"$brine\":1,\"value\":[{\"$tuple\":[1,2]},3]}", &len);
    text = transcode_text(nat, tagged, len, js, &streamed);
    ck_assert_int_eq(streamed, 0);
    ck_assert_str_eq(text, "{\"$brine\":1,\"value\":[{\"$tuple\":[1,2]},3]}");
    brine_free(text);
    /* msgpack has the tuple without a graph */
    brine_free(transcode_text(nat, tagged, len, mp, &streamed));
    ck_assert_int_eq(streamed, 1);
    brine_free(tagged);

    /* a shared list: a graph, and json writes it twice */
    brine_error err;
    brine_doc *doc = brine_doc_new();
    brine_value *inner = brine_list_new(doc, &err), *root = brine_list_new(doc, &err);
    ck_assert_int_eq(brine_seq_append(inner, brine_int_new(doc, 7, &err), &err), BRINE_OK);
    ck_assert_int_eq(brine_seq_append(root, inner, &err), BRINE_OK);
    ck_assert_int_eq(brine_seq_append(root, inner, &err), BRINE_OK);
    ck_assert_int_eq(brine_doc_set_root(doc, root, &err), BRINE_OK);
    void *shared;
    ck_assert_int_eq(brine_encode_buffer(nat, brine_doc_root(doc), NULL, &shared, &len, &err), BRINE_OK);
    brine_doc_free(doc);
    text = transcode_text(nat, shared, len, js, &streamed);
    ck_assert_int_eq(streamed, 0);
    ck_assert_str_eq(text, "[[7],[7]]");
    brine_free(text);
    brine_free(shared);
}
END_TEST

/* ---- brine_validate ------------------------------------------------------ */

/* brine_validate and decode + brine_value_stats agree on the file: the
 * same count and depth, or both fail with the same code. Returns 1 if the
 * file decoded. */
static int agree(const brine_plugin *fmt, const char *path)
{
    size_t len, count = 0, depth = 0, gcount = 0, gdepth = 0;
    unsigned char *data = read_test_file(path, &len);
    brine_error err, gerr;
    brine_source src;
    brine_source_init_buffer(&src, data, len);
    int rc = brine_validate(fmt, &src, NULL, &count, &depth, &err);
    brine_doc *doc = brine_decode_buffer(fmt, data, len, NULL, &gerr);
    int grc = doc ? brine_value_stats(brine_doc_root(doc), 0, &gcount, &gdepth, &gerr) : gerr.code;
    if (rc == BRINE_E_UNSUPPORTED && strstr(err.message, "a dict key repeats"))
        rc = grc; /* check decodes these through a graph */
    ck_assert_msg(rc == grc, "%s: validate %d (%s), decode %d (%s)", path, rc, err.message, grc, gerr.message);
    if (rc == BRINE_OK && count != gcount)
        ck_abort_msg("%s: %zu values streamed, %zu in the graph", path, count, gcount);
    if (rc == BRINE_OK && depth != gdepth)
        ck_abort_msg("%s: depth %zu streamed, %zu in the graph", path, depth, gdepth);
    brine_doc_free(doc);
    free(data);
    return rc == BRINE_OK;
}

static int agree_dir(const brine_plugin *fmt, const char *dir, const char *ext)
{
    char path[1024];
    int ok = 0;
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "%s", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name), m = strlen(ext);
        if (n <= m || strcmp(e->d_name + n - m, ext) != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ok += agree(fmt, path);
    }
    closedir(d);
    return ok;
}

START_TEST(test_validate_counts_what_the_graph_holds)
{
    /* shared and cyclic containers, models, scalars of every kind */
    ck_assert_int_ge(agree_dir(nat, BRINE_TEST_DATA "/native", ".brn"), 6);
    /* memo references to containers and to strs, and malformed ones */
    ck_assert_int_ge(agree_dir(pk, BRINE_TEST_DATA "/pickle", ".pkl"), 5);
    ck_assert_int_ge(agree_dir(js, BRINE_TEST_DATA "/json", ".json"), 1);
}
END_TEST

START_TEST(test_validate_refuses_what_decoding_refuses)
{
    brine_error err;
    brine_source src;
    size_t count = 99, depth = 99;
    static const char deep[] = "[[[[1]]]]", cut[] = "[1, 2", dup[] = "{\"a\": 1, \"a\": 2}";
    test_opts t;
    brine_source_init_buffer(&src, deep, sizeof deep - 1);
    ck_assert_int_eq(brine_validate(js, &src, opts_of(&t, NULL, 3), &count, &depth, &err), BRINE_E_DEPTH);
    expect_error(&err, BRINE_E_DEPTH, ANY_OFFSET, NULL, "maximum recursion depth exceeded while decoding (limit 3)");
    ck_assert_uint_eq(count, 99); /* untouched on failure */
    brine_source_init_buffer(&src, cut, sizeof cut - 1);
    ck_assert_int_eq(brine_validate(js, &src, NULL, &count, &depth, &err), BRINE_E_TRUNCATED);
    brine_source_init_buffer(&src, dup, sizeof dup - 1);
    ck_assert_int_eq(brine_validate(js, &src, NULL, &count, &depth, &err), BRINE_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.message, "a dict key repeats"));
    brine_source_init_buffer(&src, deep, sizeof deep - 1);
    ck_assert_int_eq(brine_validate(js, &src, NULL, &count, &depth, &err), BRINE_OK);
    ck_assert_uint_eq(count, 5);
    ck_assert_uint_eq(depth, 4);
}
END_TEST

static Suite *stream_out_suite(void)
{
    Suite *s = suite_create("stream_out");
    TCase *tc = tcase_create("outputs");
    registry_fixture(tc, &reg, formats);
    tcase_add_test(tc, test_a_file_descriptor_output_patches_what_it_has_written);
    tcase_add_test(tc, test_a_file_output_patches_and_keeps_its_position);
    tcase_add_test(tc, test_a_patchable_callback_gets_the_flushed_part_only);
    tcase_add_test(tc, test_a_pipe_cannot_patch_what_it_has_sent);
    tcase_add_test(tc, test_a_memory_output_patches_but_says_it_need_not);
    tcase_add_test(tc, test_msgpack_small_top_list_is_canonical_in_a_file);
    tcase_add_test(tc, test_msgpack_large_top_list_is_patched_into_a_file);
    tcase_add_test(tc, test_native_without_shared_values_streams_and_with_them_does_not);
    tcase_add_test(tc, test_validate_counts_what_the_graph_holds);
    tcase_add_test(tc, test_validate_refuses_what_decoding_refuses);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(stream_out_suite)
