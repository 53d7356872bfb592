/* msgpack_util.h: what the msgpack test programs share: the msgpack plugin
 * for the registry fixture (check_util.h), decode/encode helpers and
 * assertions on bytes, errors and round trips, and small graph builders. */
#ifndef BRINE_TEST_MSGPACK_UTIL_H
#define BRINE_TEST_MSGPACK_UTIL_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

#include "check_util.h"

static brine_registry *reg;
static const brine_plugin *mp;
static const test_format fixture_formats[] = {{"msgpack", &mp, NULL}, {0}};

/* ---- helpers ------------------------------------------------------------ */

static inline brine_doc *dec(const void *data, size_t len, const char *opts, size_t max_depth, brine_error *err)
{
    return decode_with(mp, data, len, opts, max_depth, err);
}

static inline unsigned char *enc(const brine_value *v, const char *opts, size_t max_depth, size_t *len,
                                 brine_error *err)
{
    return encode_with(mp, v, opts, max_depth, len, err);
}

static inline size_t unhex(const char *s, unsigned char *out, size_t cap)
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

static inline void hex_of(const unsigned char *p, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < len && n + 4 < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%02x", i ? " " : "", p[i]);
}

static inline void repr_of(const brine_value *v, char *out, size_t cap)
{
    brine_error err;
    brine_error_clear(&err);
    ck_assert_msg(brine_value_repr(v, out, cap, 0, &err) != (size_t)-1, "repr failed: %s", err.message);
}

/* Decodes and expects an error with this code, offset and path. */
static inline void expect_decode_error(const void *data, size_t len, const char *opts, int code, uint64_t offset,
                                       const char *path)
{
    brine_error err;
    brine_doc *doc = dec(data, len, opts, 0, &err);
    ck_assert_msg(doc == NULL, "decoding succeeded, expected error %d", code);
    expect_error(&err, code, offset, path, NULL);
}

/* Encodes v and expects exactly these bytes (hex). */
static inline void expect_bytes(const brine_value *v, const char *opts, const char *hex)
{
    unsigned char want[512];
    char got_hex[2048], want_hex[2048];
    size_t want_len = unhex(hex, want, sizeof want), len;
    brine_error err;
    unsigned char *got = enc(v, opts, 0, &len, &err);
    ck_assert_msg(got != NULL, "encoding failed: %s at %s", err.message, err.path);
    hex_of(got, len, got_hex, sizeof got_hex);
    hex_of(want, want_len, want_hex, sizeof want_hex);
    ck_assert_msg(len == want_len && memcmp(got, want, len) == 0, "wrote %s, expected %s", got_hex, want_hex);
    brine_free(got);
}

/* Decodes bytes, encodes the value, and expects the same bytes. */
static inline brine_doc *expect_round_trip(const unsigned char *data, size_t len, const char *opts)
{
    brine_error err;
    brine_doc *doc = dec(data, len, opts, 0, &err);
    size_t out_len;
    unsigned char *out;
    ck_assert_msg(doc != NULL, "decoding failed: %s at %llu %s", err.message, (unsigned long long)err.offset, err.path);
    out = enc(brine_doc_root(doc), opts, 0, &out_len, &err);
    ck_assert_msg(out != NULL, "encoding failed: %s", err.message);
    ck_assert_msg(out_len == len && memcmp(out, data, len) == 0, "wrote back %zu bytes, read %zu, or other bytes",
                  out_len, len);
    brine_free(out);
    return doc;
}

/* Encodes v, decodes the bytes, and expects an equal graph (sharing
 * included). */
static inline void expect_lossless(const brine_value *v, const char *opts)
{
    brine_error err;
    size_t len;
    unsigned char *data = enc(v, opts, 0, &len, &err);
    brine_doc *back;
    ck_assert_msg(data != NULL, "encoding failed: %s at %s", err.message, err.path);
    back = dec(data, len, opts, 0, &err);
    ck_assert_msg(back != NULL, "decoding failed: %s at %llu %s", err.message, (unsigned long long)err.offset,
                  err.path);
    ck_assert_int_eq(brine_value_equal(v, brine_doc_root(back), 0, &err), 1);
    brine_doc_free(back);
    brine_free(data);
}

static inline brine_value *model(brine_doc *doc, const char *name, brine_value *args, brine_value *state)
{
    brine_value *m = brine_model_new(doc, name, strlen(name), NULL);
    ck_assert_ptr_nonnull(m);
    if (args)
        ck_assert_int_eq(brine_model_set_args(m, args, NULL), BRINE_OK);
    if (state)
        ck_assert_int_eq(brine_model_set_state(m, state, NULL), BRINE_OK);
    return m;
}

static inline brine_value *tuple2(brine_doc *doc, brine_value *a, brine_value *b)
{
    brine_value *t = brine_tuple_new(doc, NULL);
    brine_seq_append(t, a, NULL);
    brine_seq_append(t, b, NULL);
    return t;
}

#endif /* BRINE_TEST_MSGPACK_UTIL_H */
