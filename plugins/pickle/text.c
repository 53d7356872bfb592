/* text.c: the text arguments of protocol 0 opcodes, read as CPython reads
 * them: INT and LONG (int()), FLOAT (float()), STRING (codecs.escape_decode)
 * and UNICODE (raw-unicode-escape). The opcode machine is reader.c; these
 * work on one line already cut out of the input.
 */
#define _GNU_SOURCE 1

#include <locale.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "pickle.h"

int pk_buf_reserve(pk_buf *buf, size_t extra)
{
    size_t need, cap;
    unsigned char *p;
    if (extra <= buf->cap - buf->len)
        return BRINE_OK;
    if (extra > SIZE_MAX / 2 - buf->len)
        return BRINE_E_NOMEM;
    need = buf->len + extra;
    cap = buf->cap ? buf->cap : 64;
    while (cap < need)
        cap *= 2;
    p = brine_realloc(buf->p, cap);
    if (!p)
        return BRINE_E_NOMEM;
    buf->p = p;
    buf->cap = cap;
    return BRINE_OK;
}

static int pk_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Python's int() and float() ignore surrounding whitespace. */
static void pk_trim(const unsigned char **s, size_t *len)
{
    while (*len && pk_space(**s))
        (*s)++, (*len)--;
    while (*len && pk_space((*s)[*len - 1]))
        (*len)--;
}

/* Up to 40 bytes of s for an error message, printable ASCII as is and any
 * other byte as \xNN (like Python's bytes repr): the message stays UTF-8
 * whatever the input holds. */
static const char *pk_quote(char out[4 * 40 + 1], const unsigned char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len && i < 40; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
            out[n++] = (char)s[i];
        else
            n += (size_t)snprintf(out + n, 5, "\\x%02x", s[i]);
    }
    out[n] = '\0';
    return out;
}

brine_value *pk_text_int(brine_doc *doc, const unsigned char *s, size_t len, uint64_t off, brine_error *err)
{
    size_t i, start;
    int neg = 0;
    brine_value *v;
    brine_error e = {0};
    pk_trim(&s, &len);
    i = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    start = i;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == start || i != len) {
        char q[4 * 40 + 1];
        brine_error_set_at(err, BRINE_E_SYNTAX, off, "invalid integer literal '%s'", pk_quote(q, s, len));
        return NULL;
    }
    /* brine_int_new_decimal takes '-' and digits: drop a '+'. */
    if (!neg && start)
        s++, len--;
    v = brine_int_new_decimal(doc, (const char *)s, len, &e);
    if (!v) {
        brine_error_set_at(err, e.code, off, "%s", e.message);
        return NULL;
    }
    return v;
}

static int pk_word(const unsigned char *s, size_t len, const char *w)
{
    size_t i;
    if (strlen(w) != len)
        return 0;
    for (i = 0; i < len; i++)
        if ((s[i] | 0x20) != (unsigned char)w[i])
            return 0;
    return 1;
}

brine_value *pk_text_float(brine_doc *doc, const unsigned char *s, size_t len, uint64_t off, brine_error *err)
{
    char buf[512];
    const unsigned char *body;
    size_t i, blen;
    double d;
    char *end = NULL;
    locale_t loc;
    pk_trim(&s, &len);
    body = s;
    blen = len;
    if (blen && (*body == '+' || *body == '-'))
        body++, blen--;
    if (pk_word(body, blen, "nan") || pk_word(body, blen, "inf") || pk_word(body, blen, "infinity")) {
        d = (body[0] | 0x20) == 'n' ? __builtin_nan("") : __builtin_inf();
        return brine_float_new(doc, s[0] == '-' ? -d : d, err);
    }
    /* Only what a decimal literal holds: strtod would also take hex floats
     * and nan(...) payloads, which Python's float() refuses. */
    for (i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' || s[i] == 'E' || s[i] == '+' || s[i] == '-'))
            break;
    if (len == 0 || i != len || len >= sizeof buf)
        goto bad;
    memcpy(buf, s, len);
    buf[len] = 0;
    /* strtod follows the process's locale; Python's decimal point is '.'. */
    loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (!loc) {
        brine_error_set_at(err, BRINE_E_NOMEM, off, "out of memory");
        return NULL;
    }
    d = strtod_l(buf, &end, loc);
    freelocale(loc);
    if (end != buf + len)
        goto bad;
    return brine_float_new(doc, d, err);
bad:;
    char q[4 * 40 + 1];
    brine_error_set_at(err, BRINE_E_SYNTAX, off, "could not convert string to float: '%s'", pk_quote(q, s, len));
    return NULL;
}

static int pk_hex(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int pk_escape_decode(const unsigned char *s, size_t len, pk_buf *out, size_t *bad, const char **why)
{
    size_t i = 0;
    out->len = 0;
    if (pk_buf_reserve(out, len + 1))
        return BRINE_E_NOMEM;
    /* The result is never longer than s. */
    while (i < len) {
        unsigned char c = s[i];
        int h1, h2;
        if (c != '\\') {
            out->p[out->len++] = c;
            i++;
            continue;
        }
        if (i + 1 == len) {
            *bad = i;
            *why = "Trailing \\ in string";
            return BRINE_E_SYNTAX;
        }
        c = s[i + 1];
        i += 2;
        switch (c) {
        case '\n': break; /* a line continuation */
        case '\\':
        case '\'':
        case '"': out->p[out->len++] = c; break;
        case 'b': out->p[out->len++] = '\b'; break;
        case 'f': out->p[out->len++] = '\f'; break;
        case 't': out->p[out->len++] = '\t'; break;
        case 'n': out->p[out->len++] = '\n'; break;
        case 'r': out->p[out->len++] = '\r'; break;
        case 'v': out->p[out->len++] = '\v'; break;
        case 'a': out->p[out->len++] = '\a'; break;
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7': {
            unsigned v = c - '0';
            int n;
            for (n = 1; n < 3 && i < len && s[i] >= '0' && s[i] <= '7'; n++)
                v = v * 8 + (s[i++] - '0');
            out->p[out->len++] = (unsigned char)v; /* CPython keeps the low byte of \400-\777 */
            break;
        }
        case 'x':
            h1 = i < len ? pk_hex(s[i]) : -1;
            h2 = i + 1 < len ? pk_hex(s[i + 1]) : -1;
            if (h1 < 0 || h2 < 0) {
                *bad = i - 2;
                *why = "invalid \\x escape";
                return BRINE_E_SYNTAX;
            }
            out->p[out->len++] = (unsigned char)(h1 * 16 + h2);
            i += 2;
            break;
        default:
            /* Unknown escapes stay as they are, backslash included. */
            out->p[out->len++] = '\\';
            out->p[out->len++] = c;
            break;
        }
    }
    return BRINE_OK;
}

static void pk_put_utf8(pk_buf *out, uint32_t cp)
{
    unsigned char *p = out->p + out->len;
    if (cp < 0x80) {
        p[0] = (unsigned char)cp;
        out->len += 1;
    } else if (cp < 0x800) {
        p[0] = (unsigned char)(0xc0 | (cp >> 6));
        p[1] = (unsigned char)(0x80 | (cp & 0x3f));
        out->len += 2;
    } else if (cp < 0x10000) {
        p[0] = (unsigned char)(0xe0 | (cp >> 12));
        p[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        p[2] = (unsigned char)(0x80 | (cp & 0x3f));
        out->len += 3;
    } else {
        p[0] = (unsigned char)(0xf0 | (cp >> 18));
        p[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        p[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        p[3] = (unsigned char)(0x80 | (cp & 0x3f));
        out->len += 4;
    }
}

/* Reads the \u or \U escape whose 'u' is at s[i]: *cp, and the index after
 * it in *next. -1 if the hex digits are missing. */
static int pk_uescape(const unsigned char *s, size_t len, size_t i, uint32_t *cp, size_t *next)
{
    size_t n = s[i] == 'u' ? 4 : 8, k;
    uint32_t v = 0;
    if (len - (i + 1) < n)
        return -1;
    for (k = 0; k < n; k++) {
        int h = pk_hex(s[i + 1 + k]);
        if (h < 0)
            return -1;
        if (v > 0x10ffff)
            return -2;
        v = v * 16 + (uint32_t)h;
    }
    *cp = v;
    *next = i + 1 + n;
    return v > 0x10ffff ? -2 : 0;
}

int pk_raw_unicode_decode(const unsigned char *s, size_t len, pk_buf *out, size_t *bad, const char **why)
{
    size_t i = 0;
    out->len = 0;
    /* Each input byte gives at most 2 bytes of UTF-8 (a latin-1 byte), an
     * escape of 6 or 10 bytes at most 4. */
    if (len > SIZE_MAX / 2 - 8 || pk_buf_reserve(out, 2 * len + 8))
        return BRINE_E_NOMEM;
    while (i < len) {
        size_t run = 0, next;
        uint32_t cp;
        int rc;
        if (s[i] != '\\') {
            pk_put_utf8(out, s[i++]); /* every other byte is a latin-1 code point */
            continue;
        }
        /* Only a \u or \U after an odd run of backslashes is an escape. */
        while (i + run < len && s[i + run] == '\\')
            run++;
        if ((run & 1) == 0 || i + run == len || (s[i + run] != 'u' && s[i + run] != 'U')) {
            memset(out->p + out->len, '\\', run);
            out->len += run;
            i += run;
            continue;
        }
        memset(out->p + out->len, '\\', run - 1);
        out->len += run - 1;
        i += run - 1; /* at the escape's backslash */
        rc = pk_uescape(s, len, i + 1, &cp, &next);
        if (rc < 0) {
            *bad = i;
            *why = rc == -1 ? "truncated \\uXXXX escape" : "\\Uxxxxxxxx out of range";
            return BRINE_E_SYNTAX;
        }
        if (cp >= 0xd800 && cp <= 0xdbff && next + 1 < len && s[next] == '\\' &&
            (s[next + 1] == 'u' || s[next + 1] == 'U')) {
            uint32_t lo;
            size_t after;
            if (pk_uescape(s, len, next + 1, &lo, &after) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                next = after;
            }
        }
        if (cp >= 0xd800 && cp <= 0xdfff) {
            *bad = i;
            *why = "lone surrogate escape in UNICODE";
            return BRINE_E_UTF8;
        }
        pk_put_utf8(out, cp);
        i = next;
    }
    return BRINE_OK;
}
