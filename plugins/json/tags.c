/* tags.c: the small texts of the lossless mode: the tag names, base64 for
 * $bytes, the $float forms of non-finite doubles (NaN payloads included),
 * and the growable buffers both directions use. The structure of tags is
 * read in reader.c and written in writer.c.
 */
#include <string.h>

#include "json.h"

const char *const js_tag_names[] = {
    NULL, "$tuple", "$list", "$dict", "$bytes", "$complex", "$float", "$int", "$model", "$anchor", "$alias", "$array",
};

js_tag js_tag_find(const unsigned char *s, size_t len)
{
    if (len < 4 || len > 8 || s[0] != '$')
        return JS_TAG_NONE;
    for (int t = JS_TAG_TUPLE; t <= JS_TAG_ARRAY; t++)
        if (strlen(js_tag_names[t]) == len && memcmp(js_tag_names[t], s, len) == 0)
            return (js_tag)t;
    return JS_TAG_NONE;
}

/* ---- buffers ---------------------------------------------------------------- */

int js_buf_grow(js_buf *b, size_t extra, brine_error *err)
{
    if (b->cap - b->len >= extra)
        return BRINE_OK;
    if (extra > SIZE_MAX / 2 - b->len)
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra)
        cap *= 2;
    unsigned char *p = brine_realloc(b->data, cap);
    if (!p)
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    b->data = p;
    b->cap = cap;
    return BRINE_OK;
}

int js_buf_put(js_buf *b, const void *p, size_t len, brine_error *err)
{
    int rc = js_buf_grow(b, len, err);
    if (rc)
        return rc;
    if (len)
        memcpy(b->data + b->len, p, len);
    b->len += len;
    return BRINE_OK;
}

void js_buf_free(js_buf *b)
{
    brine_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- base64 ----------------------------------------------------------------- */

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void js_b64_encode(const unsigned char *in, size_t len, unsigned char *out)
{
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *out++ = (unsigned char)b64_alphabet[v >> 18];
        *out++ = (unsigned char)b64_alphabet[(v >> 12) & 63];
        *out++ = (unsigned char)b64_alphabet[(v >> 6) & 63];
        *out++ = (unsigned char)b64_alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
        *out++ = (unsigned char)b64_alphabet[v >> 18];
        *out++ = (unsigned char)b64_alphabet[(v >> 12) & 63];
        *out++ = i + 1 < len ? (unsigned char)b64_alphabet[(v >> 6) & 63] : '=';
        *out++ = '=';
    }
}

/* The value of each base64 character, 64 for the others: one load per
 * character (a chain of range tests cost 4x on an array's megabytes). */
static const unsigned char b64_table[256] = {
#define X64 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64
    X64, X64, 64,  64,  64,  64,  64,  64,  64, 64, 64, 64, 64, 62, 64, 64, 64, 63, /* '+' 43, '/' 47 */
    52,  53,  54,  55,  56,  57,  58,  59,  60, 61, 64, 64, 64, 64, 64, 64,         /* '0'..'9' */
    64,  0,   1,   2,   3,   4,   5,   6,   7,  8,  9,  10, 11, 12, 13, 14,         /* 'A'.. */
    15,  16,  17,  18,  19,  20,  21,  22,  23, 24, 25, 64, 64, 64, 64, 64,         /* ..'Z' */
    64,  26,  27,  28,  29,  30,  31,  32,  33, 34, 35, 36, 37, 38, 39, 40,         /* 'a'.. */
    41,  42,  43,  44,  45,  46,  47,  48,  49, 50, 51, 64, 64, 64, 64, 64,         /* ..'z' */
    X64, X64, X64, X64, X64, X64, X64, X64,
#undef X64
};

int js_b64_decode(const unsigned char *in, size_t len, unsigned char *out, size_t *out_len)
{
    if (len % 4)
        return -1;
    size_t n = 0, full = len && in[len - 1] == '=' ? len - 4 : len;
    /* Whole quads first: four loads, one test of the or of their values. */
    for (size_t i = 0; i < full; i += 4) {
        unsigned a = b64_table[in[i]], b = b64_table[in[i + 1]], c = b64_table[in[i + 2]], d = b64_table[in[i + 3]];
        if ((a | b | c | d) & 64)
            return -1;
        uint32_t v = a << 18 | b << 12 | c << 6 | d;
        out[n++] = (unsigned char)(v >> 16);
        out[n++] = (unsigned char)(v >> 8);
        out[n++] = (unsigned char)v;
    }
    if (full < len) { /* the last quad, with one or two '=' */
        const unsigned char *q = in + full;
        int pad = q[2] == '=' ? 2 : 1;
        uint32_t v = 0;
        for (int j = 0; j < 4 - pad; j++) {
            unsigned x = b64_table[q[j]];
            if (x & 64)
                return -1;
            v = v << 6 | x;
        }
        v <<= 6 * pad;
        out[n++] = (unsigned char)(v >> 16);
        if (pad < 2)
            out[n++] = (unsigned char)(v >> 8);
    }
    *out_len = n;
    return 0;
}

/* ---- $float ----------------------------------------------------------------- */

#define JS_DEFAULT_NAN 0x7ff8000000000000ull

size_t js_float_tag_text(double d, char buf[24])
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    if (d != d) {
        if (bits == JS_DEFAULT_NAN) {
            memcpy(buf, "nan", 4);
            return 3;
        }
        static const char hex[] = "0123456789abcdef";
        buf[0] = '0';
        buf[1] = 'x';
        for (int i = 0; i < 16; i++)
            buf[2 + i] = hex[(bits >> (60 - 4 * i)) & 15];
        buf[18] = '\0';
        return 18;
    }
    if (d > 0) {
        memcpy(buf, "inf", 4);
        return 3;
    }
    memcpy(buf, "-inf", 5);
    return 4;
}

int js_float_tag_parse(const unsigned char *s, size_t len, double *out)
{
    uint64_t bits;
    if (len == 3 && memcmp(s, "nan", 3) == 0)
        bits = JS_DEFAULT_NAN;
    else if (len == 3 && memcmp(s, "inf", 3) == 0)
        bits = 0x7ff0000000000000ull;
    else if (len == 4 && memcmp(s, "-inf", 4) == 0)
        bits = 0xfff0000000000000ull;
    else if (len == 18 && s[0] == '0' && s[1] == 'x') {
        bits = 0;
        for (size_t i = 2; i < len; i++) {
            unsigned c = s[i], d;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else
                return -1;
            bits = bits << 4 | d;
        }
    } else {
        int is_float;
        const unsigned char *e = js_number_end(s, s + len, &is_float);
        if (e == s || e != s + len)
            return -1;
        return js_number_to_double(s, len, out) == BRINE_OK ? 0 : -1;
    }
    memcpy(out, &bits, sizeof bits);
    return 0;
}
