/* scan.c: the decoder's lexer: strings (escapes, surrogate pairs, \u0000,
 * UTF-8 validation or replacement), number tokens (exact integers of any
 * size, floats through number.c), and error reports in Python's words with
 * line, column, offset and path. The structure is read in reader.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fastfloat.h"
#include "json.h"

/* ---- errors ------------------------------------------------------------------ */

/* The path of the value being read, from the open frames. */
static void reader_path(js_reader *R, char *path, size_t cap)
{
    snprintf(path, cap, "$");
    for (size_t i = 0; i < R->depth; i++) {
        js_dframe *f = &R->stack[i];
        if (f->kind == JD_ARRAY) {
            brine_path_append_index(path, cap, f->index);
        } else if (f->kind == JD_ARGS || f->kind == JD_STATE) {
            brine_path_append_name(path, cap, f->kind == JD_ARGS ? "args" : "state");
        } else if (f->kind == JD_OBJECT && f->index) {
            /* Scan the key again, in a scratch reader: errors are impossible
             * (it was read once) but memory may run out. */
            js_reader tmp;
            memset(&tmp, 0, sizeof tmp);
            const unsigned char *at;
            if (f->tag) { /* saved before the window dropped it */
                tmp.start = R->keys.data;
                tmp.end = R->keys.data + R->keys.len;
                at = tmp.start + f->index - 1;
            } else {
                tmp.start = R->start;
                tmp.end = R->end;
                at = R->start + (f->index - 1 - R->base);
            }
            tmp.flags = R->flags & JS_R_REPLACE;
            const unsigned char *k;
            size_t len;
            brine_event key = {.kind = BRINE_EV_STR};
            if (js_scan_string(&tmp, at, &k, &len)) {
                key.v.s.ptr = (const char *)k;
                key.v.s.len = len;
                brine_path_append_key(path, cap, &key);
            }
            js_buf_free(&tmp.str);
        }
    }
}

/* Line, column (in characters, like Python) and character index of at,
 * counting on from what the window dropped before R->start (window.c). */
static void position(const js_reader *R, const unsigned char *at, uint64_t *line, uint64_t *column, uint64_t *chars)
{
    uint64_t l = 1 + R->line0, c = R->col0, n = R->chars0;
    for (const unsigned char *p = R->start; p < at; p++) {
        if ((*p & 0xc0) == 0x80)
            continue; /* a UTF-8 continuation byte: not a new character */
        n++;
        c++;
        if (*p == '\n') {
            l++;
            c = 0;
        }
    }
    *line = l;
    *column = c + 1;
    *chars = n;
}

int js_fail(js_reader *R, int code, const unsigned char *at, const char *fmt, ...)
{
    R->status = code;
    while (R->outer) { /* inside an escaped key: report at the key */
        at = R->outer_at;
        R = R->outer;
    }
    brine_error *err = R->err;
    if (!err || err->code != BRINE_OK)
        return code;
    char msg[BRINE_ERROR_TEXT];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    uint64_t line, column, chars;
    position(R, at, &line, &column, &chars);
    brine_error_set_at(err, code, R->base + (uint64_t)(at - R->start), "%s: line %llu column %llu (char %llu)", msg,
                       (unsigned long long)line, (unsigned long long)column, (unsigned long long)chars);
    err->line = line;
    err->column = column;
    reader_path(R, err->path, sizeof err->path);
    return code;
}

int js_sink_failed(js_reader *R, int st, const unsigned char *at)
{
    R->status = st;
    while (R->outer) {
        at = R->outer_at;
        R = R->outer;
    }
    brine_error *err = R->err;
    uint64_t offset = R->base + (uint64_t)(at - R->start);
    brine_error_merge_sink(err, R->sink, st, offset, NULL);
    if (err && err->offset == offset && err->line == 0) {
        uint64_t chars;
        position(R, at, &err->line, &err->column, &chars);
    }
    return st;
}

int js_nomem(js_reader *R)
{
    R->status = BRINE_E_NOMEM;
    while (R->outer)
        R = R->outer;
    return brine_error_set(R->err, BRINE_E_NOMEM, "out of memory");
}

/* ---- whitespace --------------------------------------------------------------- */

const unsigned char *js_skip_ws_run(const unsigned char *p, const unsigned char *end)
{
    for (;;) {
#if defined(__SSE2__)
        /* Indentation: a newline, then spaces or tabs, 16 bytes a step. */
        const __m128i sp = _mm_set1_epi8(' '), nl = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'),
                      tab = _mm_set1_epi8('\t');
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            __m128i ws = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, nl)),
                                      _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, tab)));
            unsigned m = ~(unsigned)_mm_movemask_epi8(ws) & 0xFFFF;
            if (m)
                return p + __builtin_ctz(m);
            p += 16;
        }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            w ^= 0x2020202020202020ull; /* spaces become zero bytes */
            if (w) {
                p += __builtin_ctzll(w) >> 3;
                break;
            }
            p += 8;
        }
#endif
        if (p == end)
            return p;
        unsigned c = *p;
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
            return p;
        p++;
    }
}

/* ---- strings ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at p (*p >= 0x80), or 0 if invalid. */
static inline size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n = (size_t)(end - p);
    if (c < 0xc2)
        return 0;
    if (c < 0xe0)
        return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c < 0xf0) {
        if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f))
            return 0; /* overlong, or a surrogate */
        return 3;
    }
    if (c < 0xf5) {
        if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
            return 0; /* overlong, or above U+10FFFF */
        return 4;
    }
    return 0;
}

/* Bytes of the maximal subpart of the invalid sequence at p (Unicode's
 * "U+FFFD substitution of maximal subparts", as Python's errors="replace"). */
static size_t utf8_bad_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    unsigned lo = 0x80, hi = 0xbf;
    size_t need;
    if (c >= 0xc2 && c <= 0xdf)
        need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        if (c == 0xe0)
            lo = 0xa0;
        if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        if (c == 0xf0)
            lo = 0x90;
        if (c == 0xf4)
            hi = 0x8f;
    } else
        return 1;
    size_t n = 1;
    while (n <= need && p + n < end && p[n] >= lo && p[n] <= hi) {
        n++;
        lo = 0x80;
        hi = 0xbf;
    }
    return n;
}

static inline int hex4(const unsigned char *p, const unsigned char *end, unsigned *out)
{
    if (end - p < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

static inline size_t utf8_put(unsigned char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* The first byte in [p, end) that is '"', '\\', a control character or
 * non-ASCII: 8 bytes at a time where the byte order allows. */
static inline const unsigned char *find_special(const unsigned char *p, const unsigned char *end)
{
#if defined(__SSE2__)
    /* 16 bytes a step: '"', '\\', and as signed bytes those below 0x20
     * (the negative ones are the non-ASCII). */
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i hit =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)), _mm_cmplt_epi8(v, space));
        unsigned m = (unsigned)_mm_movemask_epi8(hit);
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
        uint64_t t = (((q - ones) & ~q) | ((b - ones) & ~b) | (w - ones * 0x20) | w) & highs;
        /* (w - 0x20..) has its high bit set for bytes < 0x20 (and >= 0xa0,
         * which w itself flags anyway); a borrow only disturbs bytes above
         * the first hit, so the lowest flagged byte is exact. */
        if (t)
            return p + (__builtin_ctzll(t) >> 3);
        p += 8;
    }
#endif
    while (p < end && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x80)
        p++;
    return p;
}

/* The slow path, from the first escape or replaced byte at p: decodes the
 * rest of the string into R->str, which already holds [s0, p). */
static const unsigned char *scan_string_slow(js_reader *R, const unsigned char *quote, const unsigned char *p,
                                             const unsigned char **s, size_t *len)
{
    const unsigned char *end = R->end;
    js_buf *b = &R->str;
    for (;;) {
        const unsigned char *run = p;
        p = find_special(p, end);
        if (js_buf_put(b, run, (size_t)(p - run), NULL))
            return js_nomem(R), NULL;
        if (p == end) {
            js_fail(R, BRINE_E_TRUNCATED, quote, "Unterminated string starting at");
            return NULL;
        }
        unsigned c = *p;
        if (c == '"') {
            *s = b->data;
            *len = b->len;
            return p + 1;
        }
        if (b->cap - b->len < 8 && js_buf_grow(b, 8, NULL))
            return js_nomem(R), NULL;
        unsigned char *o = b->data + b->len;
        if (c >= 0x80) {
            const unsigned char *text = p;
            size_t n;
            while ((n = utf8_seq(p, end)) != 0) {
                p += n;
                if (p == end || *p < 0x80)
                    break;
            }
            if (p > text) {
                if (js_buf_put(b, text, (size_t)(p - text), NULL))
                    return js_nomem(R), NULL;
                continue;
            }
            if (!(R->flags & JS_R_REPLACE)) {
                js_fail(R, BRINE_E_UTF8, p, "Invalid UTF-8 byte 0x%02x in string", c);
                return NULL;
            }
            b->len += utf8_put(o, 0xfffd);
            p += utf8_bad_len(p, end);
            continue;
        }
        if (c < 0x20) {
            js_fail(R, JS_SYNTAX(R, p), p, "Invalid control character at");
            return NULL;
        }
        /* A backslash. */
        const unsigned char *bs = p;
        if (end - p < 2) {
            js_fail(R, BRINE_E_TRUNCATED, quote, "Unterminated string starting at");
            return NULL;
        }
        unsigned e = p[1], cp;
        p += 2;
        switch (e) {
        case '"':
        case '\\':
        case '/': *o = (unsigned char)e; break;
        case 'b': *o = '\b'; break;
        case 'f': *o = '\f'; break;
        case 'n': *o = '\n'; break;
        case 'r': *o = '\r'; break;
        case 't': *o = '\t'; break;
        case 'u':
            if (hex4(p, end, &cp)) {
                const unsigned char *h = p;
                while (h < end && h < p + 4 && ((*h >= '0' && *h <= '9') || ((*h | 0x20) >= 'a' && (*h | 0x20) <= 'f')))
                    h++;
                js_fail(R, h == end ? BRINE_E_TRUNCATED : BRINE_E_SYNTAX, bs + 1, "Invalid \\uXXXX escape");
                return NULL;
            }
            p += 4;
            if (cp >= 0xd800 && cp <= 0xdfff) {
                unsigned lo;
                if (cp <= 0xdbff && end - p >= 6 && p[0] == '\\' && p[1] == 'u' && !hex4(p + 2, end, &lo) &&
                    lo >= 0xdc00 && lo <= 0xdfff) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    p += 6;
                } else if (R->flags & JS_R_REPLACE) {
                    cp = 0xfffd;
                } else {
                    js_fail(R, BRINE_E_UTF8, bs, "Lone surrogate \\u%04x in string", cp);
                    return NULL;
                }
            }
            b->len += utf8_put(o, cp);
            continue;
        default: js_fail(R, JS_SYNTAX(R, p), bs, "Invalid \\escape"); return NULL;
        }
        b->len++;
    }
}

const unsigned char *js_scan_string(js_reader *R, const unsigned char *p, const unsigned char **s, size_t *len)
{
    const unsigned char *quote = p, *end = R->end;
    const unsigned char *s0 = ++p;
    for (;;) {
        p = find_special(p, end);
        if (p == end) {
            js_fail(R, BRINE_E_TRUNCATED, quote, "Unterminated string starting at");
            return NULL;
        }
        unsigned c = *p;
        if (c == '"') {
            *s = s0;
            *len = (size_t)(p - s0);
            return p + 1;
        }
        if (c >= 0x80) {
            /* A run of non-ASCII text (CJK, say) is validated in one go. */
            size_t n;
            while ((n = utf8_seq(p, end)) != 0) {
                p += n;
                if (p == end || *p < 0x80)
                    break;
            }
            if (n)
                continue;
            if (!(R->flags & JS_R_REPLACE)) {
                js_fail(R, BRINE_E_UTF8, p, "Invalid UTF-8 byte 0x%02x in string", c);
                return NULL;
            }
        } else if (c < 0x20) {
            js_fail(R, JS_SYNTAX(R, p), p, "Invalid control character at");
            return NULL;
        }
        /* An escape or a byte to replace: decode from here into R->str. */
        R->str.len = 0;
        if (js_buf_put(&R->str, s0, (size_t)(p - s0), NULL))
            return js_nomem(R), NULL;
        return scan_string_slow(R, quote, p, s, len);
    }
}

/* Core validates a STR event's UTF-8 where its bytes are hot, so a second
 * pass here cost 12% of decoding twitter.json (mostly non-ASCII text).
 * Only a string without escapes goes to the sink unchecked (its bytes are
 * the input's); any other, and any error, takes js_scan_string from the
 * quote, which reports the first fault in input order as before. */
const unsigned char *js_scan_str_value(js_reader *R, const unsigned char *p, const unsigned char **s, size_t *len)
{
    if (R->flags & JS_R_REPLACE)
        return js_scan_string(R, p, s, len);
    const unsigned char *s0 = p + 1, *q = js_find_special_lazy(s0, R->end);
    if (q == R->end || *q != '"')
        return js_scan_string(R, p, s, len);
    *s = s0;
    *len = (size_t)(q - s0);
    return q + 1;
}

int js_str_refused(js_reader *R, int st, const unsigned char *quote, const unsigned char *s, size_t len)
{
    if (brine_utf8_check((const char *)s, len) == len)
        return st;
    /* Not UTF-8 (so unescaped: its bytes are the input's): the error is the
     * one the validating scan gives, in place of core's. */
    js_reader *top = R;
    while (top->outer)
        top = top->outer;
    brine_error_clear(top->err);
    const unsigned char *k;
    size_t n;
    return js_scan_string(R, quote, &k, &n) ? st : R->status;
}

/* ---- numbers ------------------------------------------------------------------ */

/* The common number in one pass, scanned and converted at once: an int of
 * at most 18 digits, or a float of at most 19 digits in all (a lone
 * leading 0 and a fraction's leading zeros count) with an exponent of at
 * most 5 digits. NULL for anything else, which js_scan_number reads as
 * before (js_number_end, then js_number_to_double); both stop where JSON's
 * grammar does, and give the same value: w and q are the ones
 * ff_parse_decimal would find.
 * (canada.json: scanning each float twice, once for its end and once for
 * its digits, cost 12% of its decode.) */
static const unsigned char *js_number_fast(const unsigned char *p, const unsigned char *end, brine_event *ev)
{
    const unsigned char *q = p, *d;
    int neg = q < end && *q == '-';
    uint64_t w = 0;
    int64_t exp10 = 0;
    q += neg;
    d = q;
    if (q == end)
        return NULL;
    if (*q == '0') { /* 0, 0.5: one digit; 01 ends at the 0, for the general path to say so */
        if (++q < end && (unsigned)(*q - '0') < 10)
            return NULL;
    } else {
        while (q < end && (unsigned)(*q - '0') < 10)
            w = w * 10 + (unsigned)(*q++ - '0');
    }
    size_t digits = (size_t)(q - d);
    if (digits == 0 || digits > 18)
        return NULL;
    if (q == end || (*q != '.' && *q != 'e' && *q != 'E')) {
        ev->kind = BRINE_EV_INT;
        ev->v.i = neg ? -(int64_t)w : (int64_t)w;
        return q;
    }
    if (*q == '.') {
        const unsigned char *f = ++q;
        q = ff_read_digits(q, end, &w); /* past 19 digits w is garbage, and unused */
        if (q == f || digits + (size_t)(q - f) > 19)
            return NULL;
        exp10 = -(int64_t)(q - f);
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        const unsigned char *es;
        int eneg = 0;
        int64_t e = 0;
        q++;
        if (q < end && (*q == '+' || *q == '-'))
            eneg = *q++ == '-';
        for (es = q; q < end && (unsigned)(*q - '0') < 10 && q - es < 5; q++)
            e = e * 10 + (*q - '0');
        if (q == es || (q < end && (unsigned)(*q - '0') < 10))
            return NULL;
        exp10 += eneg ? -e : e;
    }
    if (!ff_exact_to_double(w, exp10, neg, &ev->v.f))
        return NULL;
    ev->kind = BRINE_EV_FLOAT;
    return q;
}

const unsigned char *js_scan_number(js_reader *R, const unsigned char *p, brine_event *ev)
{
    int is_float;
    const unsigned char *e = js_number_fast(p, R->end, ev);
    if (e)
        return e;
    e = js_number_end(p, R->end, &is_float);
    if (e == p) {
        js_fail(R, JS_SYNTAX(R, p + 1), p, "Expecting value");
        return NULL;
    }
    if (is_float) {
        ev->kind = BRINE_EV_FLOAT;
        if (js_number_to_double(p, (size_t)(e - p), &ev->v.f))
            return js_nomem(R), NULL;
        return e;
    }
    int neg = *p == '-';
    const unsigned char *d = p + neg;
    size_t count = (size_t)(e - d);
    if (count <= 20) {
        uint64_t m = 0;
        int over = 0;
        for (const unsigned char *q = d; q < e; q++) {
            unsigned digit = (unsigned)(*q - '0');
            if (m > (UINT64_MAX - digit) / 10)
                over = 1;
            m = m * 10 + digit;
        }
        if (!over) {
            if (!neg && m <= (uint64_t)INT64_MAX) {
                ev->kind = BRINE_EV_INT;
                ev->v.i = (int64_t)m;
                return e;
            }
            if (!neg) {
                ev->kind = BRINE_EV_UINT;
                ev->v.u = m;
                return e;
            }
            if (m <= (uint64_t)INT64_MAX + 1) {
                ev->kind = BRINE_EV_INT;
                ev->v.i = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
                return e;
            }
        }
    }
    if (count > JS_MAX_DIGITS) {
        js_fail(R, BRINE_E_RANGE, p,
                "Exceeds the limit (%d digits) for integer string conversion: value has %zu digits", JS_MAX_DIGITS,
                count);
        return NULL;
    }
    if (js_dec_to_le(d, count, neg, &R->aux, NULL))
        return js_nomem(R), NULL;
    js_le_event(R->aux.data, R->aux.len, ev);
    return e;
}
