/* schema.c: the YAML 1.2 core schema (YAML 1.2.2, 10.3.2) for plain
 * scalars read, the quoting rule for strs written, and the conversions of
 * scalars to and from text (ints of any size, floats, base64, complex).
 * The reader resolves by 1.2 rules only (`yes` is a str, `017` is 17);
 * the writer quotes whatever 1.1 or 1.2 would read as no str, because most
 * readers (PyYAML, Debian's python3-yaml) are YAML 1.1 (docs/yaml.md).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ym.h"

void ym_scalar_free(ym_scalar *s)
{
    brine_free(s->buf);
    brine_doc_free(s->doc);
    memset(s, 0, sizeof *s);
}

static int reserve(ym_scalar *out, size_t n)
{
    if (n <= out->cap)
        return BRINE_OK;
    unsigned char *b = brine_realloc(out->buf, n);
    if (!b)
        return BRINE_E_NOMEM;
    out->buf = b;
    out->cap = n;
    return BRINE_OK;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int is_word(const char *s, size_t len, const char *lower, const char *title, const char *upper)
{
    size_t n = strlen(lower);
    return len == n && (!memcmp(s, lower, n) || !memcmp(s, title, n) || !memcmp(s, upper, n));
}

static int is_null_word(const char *s, size_t len)
{
    return len == 0 || (len == 1 && s[0] == '~') || is_word(s, len, "null", "Null", "NULL");
}

/* 1 true, 0 false, -1 neither. */
static int bool_word(const char *s, size_t len)
{
    if (is_word(s, len, "true", "True", "TRUE"))
        return 1;
    if (is_word(s, len, "false", "False", "FALSE"))
        return 0;
    return -1;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, or the infinities
 * and NaNs: 1 when s is a core-schema float. */
static int is_float_text(const char *s, size_t len)
{
    const char *p = s, *end = s + len;
    if (p < end && (*p == '-' || *p == '+'))
        p++;
    size_t rest = (size_t)(end - p);
    if (is_word(p, rest, ".inf", ".Inf", ".INF"))
        return 1;
    if (p == s && is_word(p, rest, ".nan", ".NaN", ".NAN"))
        return 1;
    size_t a = 0, b = 0;
    while (p < end && is_digit(*p))
        p++, a++;
    int dot = p < end && *p == '.';
    if (dot) {
        p++;
        while (p < end && is_digit(*p))
            p++, b++;
    }
    if (!a && !(dot && b))
        return 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '-' || *p == '+'))
            p++;
        size_t e = 0;
        while (p < end && is_digit(*p))
            p++, e++;
        if (!e)
            return 0;
    }
    return p == end;
}

static double float_value(const char *s, size_t len)
{
    const char *p = s;
    int neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if (p[0] == '.' && (p[1] == 'i' || p[1] == 'I'))
        return neg ? -HUGE_VAL : HUGE_VAL;
    if (p[0] == '.' && (p[1] == 'n' || p[1] == 'N'))
        return NAN;
    (void)len;
    return strtod(s, NULL); /* s is NUL-terminated; the syntax is checked */
}

/* 0x.. and 0o.. (64 bits at most), or [-+]?[0-9]+. Returns 1 and fills
 * out when s is a core-schema int, 0 when it is none, or a negated status. */
static int int_value(const char *s, size_t len, ym_scalar *out)
{
    const char *p = s, *end = s + len;
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
        unsigned shift = s[1] == 'x' ? 4 : 3;
        uint64_t u = 0;
        for (p = s + 2; p < end; p++) {
            int d = hexval(*p);
            if (d < 0 || (shift == 3 && d > 7))
                return 0;
            if (u >> (64 - shift))
                return -BRINE_E_RANGE;
            u = (u << shift) | (unsigned)d;
        }
        out->ev.kind = BRINE_EV_UINT;
        out->ev.v.u = u;
        return 1;
    }
    int neg = 0;
    if (p < end && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    if (p == end)
        return 0;
    const char *digits = p;
    uint64_t u = 0;
    int big = 0;
    for (; p < end; p++) {
        if (!is_digit(*p))
            return 0;
        unsigned d = (unsigned)(*p - '0');
        if (u > (UINT64_MAX - d) / 10)
            big = 1;
        else
            u = u * 10 + d;
    }
    if (!big && !neg) {
        out->ev.kind = u <= INT64_MAX ? BRINE_EV_INT : BRINE_EV_UINT;
        if (u <= INT64_MAX)
            out->ev.v.i = (int64_t)u;
        else
            out->ev.v.u = u;
        return 1;
    }
    if (!big && u <= (uint64_t)INT64_MAX + 1) {
        out->ev.kind = BRINE_EV_INT;
        out->ev.v.i = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
        return 1;
    }
    /* Past 64 bits: core's decimal conversion (it refuses more than 4300
     * digits, as Python does, because the conversion is quadratic). */
    while (digits < end - 1 && *digits == '0')
        digits++;
    if ((size_t)(end - digits) > YM_MAX_INT_DIGITS)
        return -BRINE_E_RANGE;
    if (!out->doc && !(out->doc = brine_doc_new()))
        return -BRINE_E_NOMEM;
    char text[YM_MAX_INT_DIGITS + 2];
    size_t n = 0;
    if (neg)
        text[n++] = '-';
    memcpy(text + n, digits, (size_t)(end - digits));
    n += (size_t)(end - digits);
    brine_value *v = brine_int_new_decimal(out->doc, text, n, NULL);
    if (!v)
        return -BRINE_E_NOMEM;
    size_t need = brine_int_to_bytes(v, NULL, 0);
    if (reserve(out, need ? need : 1))
        return -BRINE_E_NOMEM;
    brine_int_to_bytes(v, out->buf, need);
    out->ev.kind = BRINE_EV_BIGINT;
    out->ev.v.s.ptr = (const char *)out->buf;
    out->ev.v.s.len = need;
    return 1;
}

int ym_resolve_plain(const char *s, size_t len, ym_scalar *out)
{
    out->ev.anchor = 0;
    if (is_null_word(s, len)) {
        out->ev.kind = BRINE_EV_NULL;
        return BRINE_OK;
    }
    int b = bool_word(s, len);
    if (b >= 0) {
        out->ev.kind = BRINE_EV_BOOL;
        out->ev.v.boolean = b;
        return BRINE_OK;
    }
    /* Only text that starts like a number can be one: the common str
     * leaves here after one test. */
    char c = s[0];
    if (is_digit(c) || c == '-' || c == '+' || c == '.') {
        int r = int_value(s, len, out);
        if (r < 0)
            return -r;
        if (r)
            return BRINE_OK;
        if (is_float_text(s, len)) {
            out->ev.kind = BRINE_EV_FLOAT;
            out->ev.v.f = float_value(s, len);
            return BRINE_OK;
        }
    }
    out->ev.kind = BRINE_EV_STR;
    out->ev.v.s.ptr = s;
    out->ev.v.s.len = len;
    return BRINE_OK;
}

int ym_resolve_as(const char *s, size_t len, brine_event_kind kind, ym_scalar *out)
{
    out->ev.anchor = 0;
    switch (kind) {
    case BRINE_EV_NULL:
        if (!is_null_word(s, len))
            return BRINE_E_SYNTAX;
        out->ev.kind = BRINE_EV_NULL;
        return BRINE_OK;
    case BRINE_EV_BOOL: {
        int b = bool_word(s, len);
        if (b < 0)
            return BRINE_E_SYNTAX;
        out->ev.kind = BRINE_EV_BOOL;
        out->ev.v.boolean = b;
        return BRINE_OK;
    }
    case BRINE_EV_INT: {
        int r = len ? int_value(s, len, out) : 0;
        return r < 0 ? -r : r ? BRINE_OK : BRINE_E_SYNTAX;
    }
    case BRINE_EV_FLOAT: {
        ym_scalar tmp = {0};
        int r = len ? int_value(s, len, &tmp) : 0;
        int ok = r == 1 || is_float_text(s, len);
        double d = r == 1 && tmp.ev.kind == BRINE_EV_INT    ? (double)tmp.ev.v.i
                   : r == 1 && tmp.ev.kind == BRINE_EV_UINT ? (double)tmp.ev.v.u
                                                            : 0;
        if (r == 1 && tmp.ev.kind == BRINE_EV_BIGINT)
            d = strtod(s, NULL);
        ym_scalar_free(&tmp);
        if (!ok)
            return r < 0 ? -r : BRINE_E_SYNTAX;
        out->ev.kind = BRINE_EV_FLOAT;
        out->ev.v.f = r == 1 ? d : float_value(s, len);
        return BRINE_OK;
    }
    default: return BRINE_E_INVALID;
    }
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int ym_base64_decode(const char *s, size_t len, ym_scalar *out)
{
    /* At most 3 bytes per 4 characters of the scalar already in memory. */
    if (reserve(out, len / 4 * 3 + 3))
        return BRINE_E_NOMEM;
    uint32_t acc = 0;
    unsigned bits = 0, pad = 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = b64val(c);
        if (v < 0 || pad)
            return BRINE_E_SYNTAX;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->buf[n++] = (unsigned char)(acc >> bits);
        }
    }
    /* Whole groups of 4: 0, 2 or 1 leftover characters need 0, 2 or 1 '='. */
    if (pad > 2 || (bits == 6) || (pad && (bits / 2 != pad)))
        return BRINE_E_SYNTAX;
    out->ev.kind = BRINE_EV_BYTES;
    out->ev.anchor = 0;
    out->ev.v.s.ptr = (const char *)out->buf;
    out->ev.v.s.len = n;
    return BRINE_OK;
}

int ym_complex_parse(const char *s, size_t len, double *re, double *im)
{
    char buf[96];
    if (len < 2 || len >= sizeof buf || s[len - 1] != 'j')
        return BRINE_E_SYNTAX;
    memcpy(buf, s, len - 1);
    buf[len - 1] = 0;
    size_t split = 0;
    for (size_t i = len - 2; i > 0; i--)
        if ((buf[i] == '+' || buf[i] == '-') && buf[i - 1] != 'e' && buf[i - 1] != 'E') {
            split = i;
            break;
        }
    char *end;
    *re = 0;
    if (split) {
        char c = buf[split];
        buf[split] = 0;
        errno = 0;
        *re = strtod(buf, &end);
        if (end != buf + split || end == buf)
            return BRINE_E_SYNTAX;
        buf[split] = c;
    }
    *im = strtod(buf + split, &end);
    return end == buf + len - 1 && end != buf + split ? BRINE_OK : BRINE_E_SYNTAX;
}

int ym_needs_quotes(const char *s, size_t len)
{
    if (len == 0)
        return 1;
    char c = s[0];
    /* Numbers of both versions, 1.1's sexagesimals (1:20), 1_000, 0b1, 017
     * and timestamps (2001-12-14) all start so; quoting a few strs that
     * are none ("1st") costs two quotes. */
    if (is_digit(c))
        return 1;
    if ((c == '-' || c == '+' || c == '.') && len > 1 && (is_digit(s[1]) || s[1] == '.'))
        return 1;
    if (len <= 5) {
        char low[6];
        for (size_t i = 0; i < len; i++)
            low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
        low[len] = 0;
        static const char *const words[] = {"y", "n", "yes", "no",   "on",    "off",   "true", "false", "null",
                                            "~", "=", "<<",  ".inf", "-.inf", "+.inf", ".nan", NULL};
        for (size_t i = 0; words[i]; i++)
            if (!strcmp(low, words[i]))
                return 1;
    }
    return 0;
}

size_t ym_float_text(double d, char buf[BRINE_DTOA_SIZE + 4])
{
    if (isnan(d))
        return (size_t)(stpcpy(buf, ".nan") - buf);
    if (isinf(d))
        return (size_t)(stpcpy(buf, d < 0 ? "-.inf" : ".inf") - buf);
    size_t n = brine_dtoa(d, buf);
    if (memchr(buf, '.', n))
        return n;
    /* YAML 1.1 (PyYAML) reads a float only with a dot: 1e+16 -> 1.0e+16. */
    char *e = memchr(buf, 'e', n);
    if (!e) {
        memcpy(buf + n, ".0", 3);
        return n + 2;
    }
    memmove(e + 2, e, (size_t)(buf + n - e) + 1);
    memcpy(e, ".0", 2);
    return n + 2;
}

char *ym_base64_encode(const unsigned char *p, size_t len, size_t *out_len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = (len + 2) / 3 * 4;
    char *o = brine_malloc(n + 1), *q = o;
    if (!o)
        return NULL;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *q++ = tab[v >> 18];
        *q++ = tab[(v >> 12) & 63];
        *q++ = tab[(v >> 6) & 63];
        *q++ = tab[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
        *q++ = tab[v >> 18];
        *q++ = tab[(v >> 12) & 63];
        *q++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        *q++ = '=';
    }
    *q = 0;
    *out_len = n;
    return o;
}

char *ym_bigint_decimal(brine_doc **doc, const unsigned char *le, size_t len, size_t *out_len)
{
    if (!*doc && !(*doc = brine_doc_new()))
        return NULL;
    brine_value *v = brine_int_new_bytes(*doc, le, len, NULL);
    char *t = v ? brine_int_to_decimal(v) : NULL;
    if (t)
        *out_len = strlen(t);
    return t;
}
