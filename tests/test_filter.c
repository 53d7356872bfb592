/* test_filter.c: byte filters (#22, core/filter.c, plugins/filters). Each
 * built-in filter round-trips values through brine_output_init_filter and
 * brine_source_init_filter; gzip reads concatenated members; the registry
 * finds filters by name, extension chain and magic (zlib's weak magic only
 * when the known format rejects the raw bytes); truncated and bit-flipped
 * streams fail cleanly, naming the filter and the compressed offset; lz4
 * reads concatenated frames and every level; a bomb stops at the
 * decompression limit; callback sources pull. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <brine/format.h>

#include "check_util.h"

static brine_registry *reg;
static const brine_plugin *json, *msgpack;

static const test_format formats[] = {{"json", &json, NULL}, {"msgpack", &msgpack, NULL}, {0}};

/* The filters built in this tree; each test loops over those present. */
static const char *const filter_names[] = {"gzip", "zlib", "bz2", "xz", "lzma", "zstd", "lz4", NULL};

static const brine_plugin *filter(const char *name)
{
    const brine_plugin *f = brine_registry_find_filter(reg, name);
    ck_assert_msg(f != NULL, "filter %s is not loaded", name);
    return f;
}

/* data compressed by f with the options of list, into a brine_malloc'd buffer. */
static unsigned char *compress(const brine_plugin *f, const void *data, size_t len, const char *list, size_t *out_len)
{
    brine_output mem, z;
    brine_error err;
    test_opts t;
    ck_assert_int_eq(brine_output_init_buffer(&mem, &err), BRINE_OK);
    ck_assert_msg(brine_output_init_filter(&z, f, opts_of(&t, list, 0), &mem, &err) == BRINE_OK, "%s: %s", f->name,
                  err.message);
    ck_assert_int_eq(brine_output_write(&z, data, len, &err), BRINE_OK);
    ck_assert_msg(brine_output_finish(&z, &err) == BRINE_OK, "%s: %s", f->name, err.message);
    brine_output_destroy(&z);
    unsigned char *bytes = brine_output_take(&mem, out_len);
    brine_output_destroy(&mem);
    ck_assert_ptr_nonnull(bytes);
    return bytes;
}

/* Decompresses len bytes with f to the end (under opts), returning the
 * status; the bytes in *out (brine_malloc'd) when out is not NULL. */
static int drain(const brine_plugin *f, const void *data, size_t len, const brine_options *opts, unsigned char **out,
                 size_t *out_len, brine_error *err)
{
    brine_source raw, src;
    brine_source_init_buffer(&raw, data, len);
    brine_error_clear(err);
    int rc = brine_source_init_filter(&src, f, opts, &raw, err);
    if (!rc)
        rc = brine_source_read_all(&src, err);
    if (!rc && out) {
        *out_len = (size_t)(src.end - src.cur);
        *out = brine_malloc(*out_len + 1);
        memcpy(*out, src.cur, *out_len);
    }
    brine_source_destroy(&src);
    brine_source_destroy(&raw);
    return rc;
}

START_TEST(test_filter_round_trips_bytes_for_every_filter)
{
    size_t len = 300000;
    unsigned char *data = malloc(len);
    for (size_t i = 0; i < len; i++) /* some repetition, some noise */
        data[i] = (unsigned char)(i % 251 < 100 ? 'a' + i % 7 : (i * 2654435761u) >> 24);
    int seen = 0;
    for (const char *const *n = filter_names; *n; n++) {
        const brine_plugin *f = brine_registry_find_filter(reg, *n);
        if (!f)
            continue;
        seen++;
        size_t zlen, back_len;
        unsigned char *z = compress(f, data, len, "level=1", &zlen), *back;
        ck_assert_msg(zlen > 0 && zlen < len, "%s: %zu bytes", *n, zlen);
        ck_assert_int_ge(f->filter->magic ? f->filter->magic(z, zlen) : 1, 1);
        brine_error err;
        ck_assert_msg(drain(f, z, zlen, NULL, &back, &back_len, &err) == BRINE_OK, "%s: %s", *n, err.message);
        ck_assert_uint_eq(back_len, len);
        ck_assert(memcmp(back, data, len) == 0);
        brine_free(back);
        brine_free(z);
    }
    ck_assert_int_ge(seen, 2);
    free(data);
}
END_TEST

START_TEST(test_filter_decodes_json_through_gzip)
{
    const char text[] = "{\"model\": [1, 2.5, \"tree\"], \"ok\": true}";
    size_t zlen;
    unsigned char *z = compress(filter("gzip"), text, strlen(text), NULL, &zlen);
    ck_assert(z[0] == 0x1f && z[1] == 0x8b);
    brine_source raw, src;
    brine_error err;
    brine_source_init_buffer(&raw, z, zlen);
    ck_assert_int_eq(brine_source_init_filter(&src, filter("gzip"), NULL, &raw, &err), BRINE_OK);
    brine_doc *doc = brine_decode(json, &src, NULL, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    char repr[128];
    brine_value_repr(brine_doc_root(doc), repr, sizeof repr, 0, NULL);
    ck_assert_str_eq(repr, "{'model': [1, 2.5, 'tree'], 'ok': True}");
    brine_doc_free(doc);
    brine_source_destroy(&src);
    brine_source_destroy(&raw);
    brine_free(z);
}
END_TEST

START_TEST(test_filter_gzip_reads_concatenated_members_like_zcat)
{
    size_t alen, blen;
    unsigned char *a = compress(filter("gzip"), "[1, ", 4, NULL, &alen);
    unsigned char *b = compress(filter("gzip"), "2]", 2, NULL, &blen);
    unsigned char *both = malloc(alen + blen);
    memcpy(both, a, alen);
    memcpy(both + alen, b, blen);
    unsigned char *out;
    size_t out_len;
    brine_error err;
    ck_assert_int_eq(drain(filter("gzip"), both, alen + blen, NULL, &out, &out_len, &err), BRINE_OK);
    ck_assert_uint_eq(out_len, 6);
    ck_assert(memcmp(out, "[1, 2]", 6) == 0);
    brine_free(out);
    /* Garbage after a member is an error at its compressed offset. */
    memcpy(both + alen, "junk", 4);
    ck_assert_int_eq(drain(filter("gzip"), both, alen + 4, NULL, NULL, NULL, &err), BRINE_E_CORRUPT);
    ck_assert_msg(strncmp(err.message, "gzip: ", 6) == 0, "%s", err.message);
    ck_assert_uint_ge(err.offset, alen);
    ck_assert_uint_le(err.offset, alen + 4);
    free(both);
    brine_free(a);
    brine_free(b);
}
END_TEST

/* lz4: frames concatenated read as one, as lz4 -d does; a skippable frame
 * between them is skipped; the HC levels (3-12) write frames the same
 * decoder reads; the frame magic is 04 22 4d 18. */
START_TEST(test_filter_lz4_reads_concatenated_frames_and_every_level)
{
    const brine_plugin *f = filter("lz4");
    size_t alen, blen;
    unsigned char *a = compress(f, "[1, ", 4, "level=12", &alen);
    unsigned char *b = compress(f, "2]", 2, "level=3", &blen);
    ck_assert(a[0] == 0x04 && a[1] == 0x22 && a[2] == 0x4d && a[3] == 0x18);
    static const unsigned char skip[] = {0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 'x', 'y', 'z'};
    unsigned char *both = malloc(alen + sizeof skip + blen);
    memcpy(both, a, alen);
    memcpy(both + alen, skip, sizeof skip);
    memcpy(both + alen + sizeof skip, b, blen);
    unsigned char *out;
    size_t out_len;
    brine_error err;
    ck_assert_msg(drain(f, both, alen + sizeof skip + blen, NULL, &out, &out_len, &err) == BRINE_OK, "%s", err.message);
    ck_assert_uint_eq(out_len, 6);
    ck_assert(memcmp(out, "[1, 2]", 6) == 0);
    brine_free(out);
    /* Garbage after a frame is an error at its compressed offset (once
     * there are the 7 bytes of the smallest frame header to look at). */
    memcpy(both + alen, "junk...", 7);
    ck_assert_int_eq(drain(f, both, alen + 7, NULL, NULL, NULL, &err), BRINE_E_CORRUPT);
    ck_assert_msg(strncmp(err.message, "lz4: corrupt data", 17) == 0, "%s", err.message);
    ck_assert_uint_ge(err.offset, alen);
    ck_assert_uint_le(err.offset, alen + 7);
    /* A second frame cut short is an error, not the end. */
    ck_assert_int_eq(drain(f, both, alen + 2, NULL, NULL, NULL, &err), BRINE_E_CORRUPT);
    char want[96];
    snprintf(want, sizeof want, "lz4: the compressed data ends early, at compressed byte %zu", alen + 2);
    ck_assert_str_eq(err.message, want);
    free(both);
    brine_free(a);
    brine_free(b);

    brine_output mem, z;
    test_opts t;
    ck_assert_int_eq(brine_output_init_buffer(&mem, &err), BRINE_OK);
    ck_assert_int_eq(brine_output_init_filter(&z, f, opts_of(&t, "level=13", 0), &mem, &err), BRINE_E_OPTION);
    expect_error(&err, BRINE_E_OPTION, BRINE_NO_OFFSET, "", "lz4: level wants an integer from 1 to 12, not '13'");
    ck_assert_int_eq(brine_output_init_filter(&z, f, opts_of(&t, "level=0", 0), &mem, &err), BRINE_E_OPTION);
    brine_output_destroy(&mem);
}
END_TEST

START_TEST(test_filter_zlib_refuses_data_after_its_stream)
{
    size_t zlen;
    unsigned char *z = compress(filter("zlib"), "12345", 5, NULL, &zlen);
    unsigned char *more = malloc(zlen + 3);
    memcpy(more, z, zlen);
    memcpy(more + zlen, "abc", 3);
    brine_error err;
    ck_assert_int_eq(drain(filter("zlib"), more, zlen + 3, NULL, NULL, NULL, &err), BRINE_E_CORRUPT);
    char want[160];
    snprintf(want, sizeof want, "zlib: data after the end of the compressed stream at compressed byte %zu", zlen);
    expect_error(&err, BRINE_E_CORRUPT, zlen, "", want);
    free(more);
    brine_free(z);
}
END_TEST

/* Every 1/64 of every filter's stream, and a bit flipped in every 1/64:
 * an error naming the filter (or, for a flip the checksum misses, the
 * right bytes), never a crash or a hang. */
START_TEST(test_filter_truncation_and_bit_flips_fail_cleanly)
{
    size_t len = 100000;
    unsigned char *data = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = (unsigned char)((i * 7) % 13 + (i >> 9));
    for (const char *const *n = filter_names; *n; n++) {
        const brine_plugin *f = brine_registry_find_filter(reg, *n);
        if (!f)
            continue;
        size_t zlen;
        unsigned char *z = compress(f, data, len, NULL, &zlen);
        for (int k = 0; k < 64; k++) {
            size_t cut = zlen * (size_t)k / 64;
            brine_error err;
            int rc = drain(f, z, cut, NULL, NULL, NULL, &err);
            ck_assert_msg(rc == BRINE_E_TRUNCATED || rc == BRINE_E_CORRUPT, "%s cut at %zu: %d %s", *n, cut, rc,
                          err.message);
            ck_assert_msg(strncmp(err.message, f->name, strlen(f->name)) == 0, "%s", err.message);
            ck_assert_uint_le(err.offset, cut);

            unsigned char *flip = malloc(zlen);
            memcpy(flip, z, zlen);
            flip[zlen * (size_t)k / 64] ^= (unsigned char)(1u << (k % 8));
            unsigned char *out = NULL;
            size_t out_len = 0;
            rc = drain(f, flip, zlen, NULL, &out, &out_len, &err);
            /* Each stream but lzma's (no checksum) catches a flip that changes the data. */
            if (rc == BRINE_OK && strcmp(*n, "lzma") != 0)
                ck_assert_msg(out_len == len && memcmp(out, data, len) == 0, "%s: flip %d went unnoticed", *n, k);
            if (rc)
                ck_assert_msg(strncmp(err.message, f->name, strlen(f->name)) == 0, "%s", err.message);
            brine_free(out);
            free(flip);
        }
        brine_free(z);
    }
    free(data);
}
END_TEST

/* Bombs: one member (stream, frame) of 4 MiB of zeros repeated 1024
 * times, 4 GiB in all, for each filter that reads concatenated streams
 * (deflate tops out near 1030:1, lz4 near 255:1, bzip2 and zstd far beyond). The default
 * limit stops each after about BRINE_DEFAULT_FILTER_BYTES; a small limit
 * stops it at once. */
START_TEST(test_filter_bombs_stop_at_the_limit)
{
    static const char *const bombers[] = {"gzip", "bz2", "xz", "zstd", "lz4", NULL};
    size_t zeros = (size_t)4 << 20;
    unsigned char *zero = calloc(1, zeros);
    for (const char *const *n = bombers; *n; n++) {
        const brine_plugin *f = brine_registry_find_filter(reg, *n);
        if (!f)
            continue;
        size_t mlen;
        unsigned char *member = compress(f, zero, zeros, NULL, &mlen);
        size_t copies = 1024, blen = mlen * copies;
        unsigned char *bomb = malloc(blen);
        for (size_t i = 0; i < copies; i++)
            memcpy(bomb + i * mlen, member, mlen);
        brine_free(member);

        brine_source raw, src;
        brine_error err;
        brine_source_init_buffer(&raw, bomb, blen);
        ck_assert_int_eq(brine_source_init_filter(&src, f, NULL, &raw, &err), BRINE_OK);
        /* Read and drop, as a streaming decoder would. */
        uint64_t got = 0;
        int rc;
        while ((rc = brine_source_more(&src, 1, &err)) == BRINE_OK) {
            got += (uint64_t)(src.end - src.cur);
            src.cur = src.end;
        }
        ck_assert_msg(rc == BRINE_E_RANGE, "%s: %d %s", *n, rc, err.message);
        char want[64];
        snprintf(want, sizeof want, "%s: the data expands past the decompression limit", *n);
        ck_assert_msg(strstr(err.message, want) == err.message, "%s", err.message);
        uint64_t consumed = err.offset;
        ck_assert_uint_le(got, BRINE_DEFAULT_FILTER_BYTES + (uint64_t)BRINE_DEFAULT_FILTER_RATIO * consumed);
        ck_assert_uint_ge(got + (1u << 20), BRINE_DEFAULT_FILTER_BYTES);
        ck_assert_uint_lt(consumed, blen / 8); /* stopped early, not at the end */
        /* The error is sticky. */
        ck_assert_int_eq(brine_source_more(&src, 1, NULL), BRINE_E_RANGE);
        brine_source_destroy(&src);

        brine_options small = BRINE_OPTIONS(.filter_ratio = 10, .filter_bytes = 1 << 20);
        ck_assert_int_eq(drain(f, bomb, blen, &small, NULL, NULL, &err), BRINE_E_RANGE);
        ck_assert_uint_le(err.offset, 1 << 20);
        free(bomb);
    }
    free(zero);
}
END_TEST

START_TEST(test_filter_registry_finds_filters_by_name_extension_and_magic)
{
    size_t stem = 0;
    ck_assert_ptr_eq(brine_registry_find_filter_extension(reg, "dir.x/model.pkl.gz", &stem), filter("gzip"));
    ck_assert_uint_eq(stem, strlen("dir.x/model.pkl"));
    ck_assert_ptr_eq(brine_registry_find_filter_extension(reg, "a.ZLIB", NULL), filter("zlib"));
    ck_assert_ptr_eq(brine_registry_find_filter_extension(reg, "a.zz", NULL), filter("zlib"));
    ck_assert_ptr_null(brine_registry_find_filter_extension(reg, "a.json", NULL));
    ck_assert_ptr_null(brine_registry_find_filter_extension(reg, "dir/.gz", NULL));
    ck_assert_ptr_null(brine_registry_find(reg, "gzip")); /* formats and filters are apart */
    ck_assert_ptr_null(brine_registry_find_extension(reg, "x.gz"));
    ck_assert_uint_ge(brine_registry_filter_count(reg), 2);

    size_t glen, zlen;
    unsigned char *g = compress(filter("gzip"), "[]", 2, NULL, &glen);
    unsigned char *z = compress(filter("zlib"), "[]", 2, NULL, &zlen);
    ck_assert_ptr_eq(brine_registry_sniff_filter(reg, g, glen, NULL), filter("gzip"));
    /* zlib: not by magic alone, nor when the known format takes the bytes
     * (0x78 is a msgpack fixint), only when the known format rejects them. */
    ck_assert_ptr_null(brine_registry_sniff_filter(reg, z, zlen, NULL));
    ck_assert_int_gt(msgpack->sniff(z, zlen), 0);
    ck_assert_ptr_null(brine_registry_sniff_filter(reg, z, zlen, msgpack));
    ck_assert_ptr_eq(brine_registry_sniff_filter(reg, z, zlen, json), filter("zlib"));
    const unsigned char plain[] = "{\"a\": 1}";
    ck_assert_ptr_null(brine_registry_sniff_filter(reg, plain, sizeof plain - 1, json));
    brine_free(g);
    brine_free(z);
}
END_TEST

START_TEST(test_filter_options_are_checked)
{
    brine_output mem, z;
    brine_error err;
    test_opts t;
    ck_assert_int_eq(brine_output_init_buffer(&mem, &err), BRINE_OK);
    ck_assert_int_eq(brine_output_init_filter(&z, filter("gzip"), opts_of(&t, "level=10", 0), &mem, &err),
                     BRINE_E_OPTION);
    expect_error(&err, BRINE_E_OPTION, BRINE_NO_OFFSET, "", "gzip: level wants an integer from 0 to 9, not '10'");
    ck_assert_int_eq(brine_output_init_filter(&z, filter("gzip"), opts_of(&t, "speed=1", 0), &mem, &err),
                     BRINE_E_OPTION);
    ck_assert_int_eq(brine_output_init_filter(&z, json, NULL, &mem, &err), BRINE_E_INVALID);
    expect_error(&err, BRINE_E_INVALID, BRINE_NO_OFFSET, "", "'json' is not a byte filter");
    brine_source src, raw;
    brine_source_init_buffer(&raw, "", 0);
    ck_assert_int_eq(brine_source_init_filter(&src, json, NULL, &raw, &err), BRINE_E_INVALID);
    brine_source_destroy(&src); /* safe after a failed init */
    brine_output_destroy(&mem);
}
END_TEST

/* A callback source that gives its text a few bytes at a time. */
typedef struct trickle {
    const char *text;
    size_t pos, step;
    int fail_at_end;
} trickle;

static int trickle_read(void *ctx, void *buf, size_t room, size_t *got)
{
    trickle *t = ctx;
    size_t left = strlen(t->text) - t->pos;
    if (!left && t->fail_at_end)
        return -1;
    *got = left < t->step ? left : t->step;
    if (*got > room)
        *got = room;
    memcpy(buf, t->text + t->pos, *got);
    t->pos += *got;
    return 0;
}

START_TEST(test_filter_callback_source_pulls_as_the_decoder_reads)
{
    trickle t = {"[1, [2, 3], {\"k\": \"v\"}]", 0, 3, 0};
    brine_source src;
    brine_error err;
    ck_assert_int_eq(brine_source_init_callback(&src, trickle_read, &t, &err), BRINE_OK);
    ck_assert_int_eq(brine_source_can_rewind(&src), 0);
    brine_doc *doc = brine_decode(json, &src, NULL, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    char repr[128];
    brine_value_repr(brine_doc_root(doc), repr, sizeof repr, 0, NULL);
    ck_assert_str_eq(repr, "[1, [2, 3], {'k': 'v'}]");
    brine_doc_free(doc);
    brine_source_destroy(&src);

    trickle bad = {"[1, 2", 0, 2, 1};
    ck_assert_int_eq(brine_source_init_callback(&src, trickle_read, &bad, &err), BRINE_OK);
    ck_assert_ptr_null(brine_decode(json, &src, NULL, &err));
    expect_error(&err, BRINE_E_IO, 5, NULL, "read error: the input callback failed");
    brine_source_destroy(&src);
}
END_TEST

/* brine_save_file and brine_load_file take a filter's extension as the
 * command does: model.pkl.gz is a pickle compressed by gzip. */
START_TEST(test_filter_save_and_load_file_follow_the_extension_chain)
{
    brine_error err;
    brine_doc *doc = brine_doc_new();
    brine_value *list = brine_list_new(doc, &err);
    brine_seq_append(list, brine_int_new(doc, 7, &err), &err);
    brine_seq_append(list, brine_str_new(doc, "seven", 5, &err), &err);
    char path[256];
    snprintf(path, sizeof path, "%s/filter-save-%d.pkl.gz", BRINE_TEST_BUILDDIR, (int)getpid());
    ck_assert_msg(brine_save_file(reg, NULL, list, path, NULL, &err) == BRINE_OK, "%s", err.message);
    size_t len;
    unsigned char *bytes = read_test_file(path, &len);
    ck_assert(len > 3 && bytes[0] == 0x1f && bytes[1] == 0x8b);
    free(bytes);
    brine_doc *back = brine_load_file(reg, NULL, path, NULL, &err);
    ck_assert_msg(back != NULL, "%s", err.message);
    char repr[64];
    brine_value_repr(brine_doc_root(back), repr, sizeof repr, 0, NULL);
    ck_assert_str_eq(repr, "[7, 'seven']");
    brine_doc_free(back);
    /* Renamed without the extension: found by magic, the format by sniffing. */
    char plain[300];
    snprintf(plain, sizeof plain, "%s.data", path);
    ck_assert_int_eq(rename(path, plain), 0);
    back = brine_load_file(reg, NULL, plain, NULL, &err);
    ck_assert_msg(back != NULL, "%s", err.message);
    brine_doc_free(back);
    unlink(plain);
    brine_doc_free(doc);
}
END_TEST

/* brine_load_file applies the caller's decompression limit, as a source
 * made with brine_source_init_filter does. */
START_TEST(test_filter_load_file_takes_the_decompression_limit_of_its_options)
{
    brine_error err;
    brine_doc *doc = brine_doc_new();
    size_t n = (size_t)1 << 20;
    char *text = malloc(n);
    ck_assert_ptr_nonnull(text);
    memset(text, 'a', n);
    brine_value *s = brine_str_new(doc, text, n, &err);
    char path[256];
    snprintf(path, sizeof path, "%s/filter-limit-%d.json.gz", BRINE_TEST_BUILDDIR, (int)getpid());
    ck_assert_msg(brine_save_file(reg, NULL, s, path, NULL, &err) == BRINE_OK, "%s", err.message);
    brine_options small = BRINE_OPTIONS(.filter_ratio = 10, .filter_bytes = 64 << 10);
    ck_assert_ptr_null(brine_load_file(reg, NULL, path, &small, &err));
    ck_assert_int_eq(err.code, BRINE_E_RANGE);
    ck_assert_msg(strstr(err.message, "gzip: the data expands past the decompression limit") == err.message, "%s",
                  err.message);
    brine_doc *back = brine_load_file(reg, NULL, path, NULL, &err); /* the default limit allows it */
    ck_assert_msg(back != NULL, "%s", err.message);
    ck_assert_int_eq(brine_value_equal(brine_doc_root(back), s, 0, &err), 1);
    brine_doc_free(back);
    unlink(path);
    free(text);
    brine_doc_free(doc);
}
END_TEST

static Suite *filter_suite(void)
{
    Suite *s = suite_create("filter");
    TCase *tc = tcase_create("filters");
    registry_fixture(tc, &reg, formats);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_filter_round_trips_bytes_for_every_filter);
    tcase_add_test(tc, test_filter_decodes_json_through_gzip);
    tcase_add_test(tc, test_filter_gzip_reads_concatenated_members_like_zcat);
    tcase_add_test(tc, test_filter_lz4_reads_concatenated_frames_and_every_level);
    tcase_add_test(tc, test_filter_zlib_refuses_data_after_its_stream);
    tcase_add_test(tc, test_filter_truncation_and_bit_flips_fail_cleanly);
    tcase_add_test(tc, test_filter_bombs_stop_at_the_limit);
    tcase_add_test(tc, test_filter_registry_finds_filters_by_name_extension_and_magic);
    tcase_add_test(tc, test_filter_options_are_checked);
    tcase_add_test(tc, test_filter_callback_source_pulls_as_the_decoder_reads);
    tcase_add_test(tc, test_filter_save_and_load_file_follow_the_extension_chain);
    tcase_add_test(tc, test_filter_load_file_takes_the_decompression_limit_of_its_options);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(filter_suite)
