/* json_util.h: what the json test programs share: the json plugin for the
 * registry fixture (check_util.h), and decode/encode helpers that work on
 * C strings. */
#ifndef BRINE_TEST_JSON_UTIL_H
#define BRINE_TEST_JSON_UTIL_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

#include "check_util.h"
#include "json_chunks.h"

#define CORPUS BRINE_TEST_DATA "/../bench/corpus" /* in the tree: bench/corpus/README.md */

static brine_registry *reg;
static const brine_plugin *js;
static const test_format fixture_formats[] = {{"json", &js, NULL}, {0}};

/* Decodes len bytes of text (len -1: strlen) with options. Each text is
 * first read in chunks of 1 to 64 bytes too (json_chunks.h), which must
 * give the same value or error: every json test input tests streaming. */
static inline brine_doc *dec_n(const char *text, size_t len, const char *opts, size_t max_depth, brine_error *err)
{
    size_t n = len == (size_t)-1 ? strlen(text) : len;
    char why[4096];
    test_opts t;
    ck_assert_msg(n > 60000 || chunked_agrees(js, text, n, opts_of(&t, opts, max_depth), why, sizeof why),
                  "streaming %.300s (options %s): %s", text, opts ? opts : "none", why);
    return decode_with(js, text, n, opts, max_depth, err);
}

static inline brine_doc *dec(const char *text, const char *opts, brine_error *err)
{
    return dec_n(text, (size_t)-1, opts, 0, err);
}

/* Encodes v to a NUL-terminated string (free with brine_free), or NULL. */
static inline char *enc_d(const brine_value *v, const char *opts, size_t max_depth, size_t *len, brine_error *err)
{
    return encode_with(js, v, opts, max_depth, len, err);
}

static inline char *enc(const brine_value *v, const char *opts, brine_error *err)
{
    return enc_d(v, opts, 0, NULL, err);
}

/* Asserts that text decodes (with dopts), then encodes (with eopts) to want. */
#define ck_assert_reencodes(text, dopts, eopts, want)                                                                  \
    do {                                                                                                               \
        brine_error e_;                                                                                                \
        brine_doc *d_ = dec((text), (dopts), &e_);                                                                     \
        ck_assert_msg(d_ != NULL, "decoding %s: %s", (text), e_.message);                                              \
        char *s_ = enc(brine_doc_root(d_), (eopts), &e_);                                                              \
        ck_assert_msg(s_ != NULL, "encoding %s: %s", (text), e_.message);                                              \
        ck_assert_str_eq(s_, (want));                                                                                  \
        brine_free(s_);                                                                                                \
        brine_doc_free(d_);                                                                                            \
    } while (0)

/* A whole file, NUL-terminated, or NULL if it cannot be read. */
static inline char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    *len = 0;
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

#endif /* BRINE_TEST_JSON_UTIL_H */
