/* window.c: the json reader's streaming window. The reader reads a window
 * of the source with plain pointers, as it reads a buffer; at token
 * boundaries (js_ensure) it checks that the window still holds JS_MARGIN
 * whole tokens ahead, and when it does not, drops what it has read and
 * asks the source for more. So no token is ever read cut at the window's
 * edge, the reader's code stays the same for streams and buffers, and the
 * memory is a chunk plus the largest run of JS_MARGIN tokens (or the
 * largest bounded tag), never the input. A buffer source reaches its end
 * at the first fill: safe becomes end and js_ensure never fires again.
 */
#define _GNU_SOURCE /* memrchr */
#include <string.h>

#include "json.h"

/* The most tokens of a bounded tag's layout the reader reads before it
 * fails: a $complex of two $float tags takes 17. */
#define JS_HOLD_TOKENS 64

/* ---- tokens ------------------------------------------------------------------ */

/* The bytes a number token is made of (a superset of its grammar: the
 * reader finds where the number really ends). */
static const unsigned char number_bytes[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['.'] = 1, ['e'] = 1, ['E'] = 1, ['+'] = 1, ['-'] = 1,
};

const unsigned char *js_token_end(const unsigned char *p, const unsigned char *end)
{
    unsigned c = *p;
    if (c == '"') {
        const unsigned char *q = p + 1;
        for (;;) {
            q = js_find_special_lazy(q, end);
            if (q == end)
                return NULL;
            if (*q == '"')
                return q + 1;
            if (*q != '\\')
                return q + 1; /* a control character: the reader fails here */
            if (end - q < 2)
                return NULL;
            q += 2;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        const unsigned char *q = p + 1;
        while (q < end && number_bytes[*q])
            q++;
        return q < end ? q : NULL;
    }
    if (c >= 'a' && c <= 'z') {
        /* true, false, null: the reader compares at most 5 bytes, so a run
         * of garbage letters is not held any longer. */
        const unsigned char *q = p + 1;
        while (q < end && q - p < 5 && *q >= 'a' && *q <= 'z')
            q++;
        return q < end ? q : NULL;
    }
    return p + 1;
}

/* The start of the JS_MARGIN-th last whole token in [p, end), or NULL when
 * there are fewer. */
static const unsigned char *scan_tokens(const unsigned char *p, const unsigned char *end)
{
    const unsigned char *ring[32];
    size_t m = 0;
    for (;;) {
        p = js_skip_ws(p, end);
        if (p == end)
            break;
        const unsigned char *e = js_token_end(p, end);
        if (!e)
            break;
        ring[m++ & 31] = p;
        p = e;
    }
    return m >= JS_MARGIN ? ring[(m - JS_MARGIN) & 31] : NULL;
}

/* The lines scanned back from the window's end before the whole window. */
#define JS_TAIL_LINES 32

/* scan_tokens(p, end), scanning only the window's last lines when it can:
 * a newline is never inside a token (a string cannot hold a raw one; the
 * reader stops at one with an error), so the tokens after a newline are
 * the same whether counted from there or from p, and a pretty-printed
 * document or JSON Lines is not lexed twice. */
static const unsigned char *horizon(const unsigned char *p, const unsigned char *end)
{
    const unsigned char *b = end;
    for (int i = 0; i < JS_TAIL_LINES && b > p; i++) {
        const unsigned char *nl = memrchr(p, '\n', (size_t)(b - p));
        if (!nl) {
            b = p;
            break;
        }
        b = nl;
    }
    if (b > p) {
        const unsigned char *safe = scan_tokens(b + 1, end);
        if (safe)
            return safe;
    }
    return scan_tokens(p, end);
}

/* ---- positions of dropped bytes -------------------------------------------------- */

/* UTF-8 continuation bytes in [p, p + n): they start no character. */
static uint64_t continuations(const unsigned char *p, size_t n)
{
    uint64_t k = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        /* A high bit per continuation byte, summed by the multiply into
         * the top byte (at most 8: no carry). */
        uint64_t m = (w & ~(w << 1) & 0x8080808080808080ull) >> 7;
        k += (m * 0x0101010101010101ull) >> 56;
    }
#endif
    for (; n; p++, n--)
        k += (*p & 0xc0) == 0x80;
    return k;
}

/* Adds the lines and characters of [R->start, p) to the counts that
 * positions start from (scan.c, position). */
static void count_dropped(js_reader *R, const unsigned char *p)
{
    const unsigned char *s = R->start;
    size_t n = (size_t)(p - s);
    if (!n)
        return;
    uint64_t chars = n - continuations(s, n);
    R->chars0 += chars;
    const unsigned char *nl = memrchr(s, '\n', n);
    if (!nl) {
        R->col0 += chars;
        return;
    }
    for (const unsigned char *q = s; (q = memchr(q, '\n', (size_t)(nl + 1 - q))) != NULL; q++)
        R->line0++;
    size_t tail = (size_t)(p - nl - 1);
    R->col0 = tail - continuations(nl + 1, tail);
}

/* ---- keys of open objects ------------------------------------------------------ */

/* Before the window drops the bytes before p: copies the keys there that
 * open objects still name in error paths into R->keys (rebuilt each time,
 * so it holds only the open objects' keys: depth times a key at most). */
static int save_keys(js_reader *R, const unsigned char *p)
{
    uint64_t drop = R->base + (uint64_t)(p - R->start);
    js_buf b = {NULL, 0, 0};
    int any = 0;
    for (size_t i = 0; i < R->depth; i++) {
        js_dframe *f = &R->stack[i];
        if (f->kind != JD_OBJECT || !f->index)
            continue;
        const unsigned char *k, *end;
        if (f->tag) {
            k = R->keys.data + f->index - 1;
            end = R->keys.data + R->keys.len;
        } else if (f->index - 1 < drop) {
            k = R->start + (f->index - 1 - R->base);
            end = R->end;
        } else
            continue;
        const unsigned char *e = js_token_end(k, end);
        size_t at = b.len;
        if (!e || js_buf_put(&b, k, (size_t)(e - k), NULL)) {
            js_buf_free(&b);
            return js_nomem(R);
        }
        f->index = at + 1;
        f->tag = 1;
        any = 1;
    }
    if (!any && !R->keys.data)
        return BRINE_OK;
    js_buf_free(&R->keys);
    R->keys = b;
    return BRINE_OK;
}

/* ---- filling ------------------------------------------------------------------- */

/* What lies ahead in the window before a refill may wait for it to double
 * (below, a refill takes what one read gives, so that a pipe fed line by
 * line is read as lines arrive). */
#define JS_GROW_FROM 65536

/* Drops the window before *pp (and, with skip, the whitespace after it),
 * reads at least one more byte (with grow, and a long token ahead, until
 * what lies ahead has doubled) or finds the end of input, and moves *pp into the new window.
 * Growing when a fill was not enough keeps a token larger than a chunk
 * from being scanned again at each read: its scans add up to twice its
 * length. */
static int fill(js_reader *R, const unsigned char **pp, int skip, int grow)
{
    const unsigned char *p = *pp;
    if (!R->src) { /* text in memory (an escaped key's) */
        R->safe = R->end;
        return BRINE_OK;
    }
    if (skip)
        p = js_skip_ws(p, R->end);
    if (save_keys(R, p))
        return R->status;
    count_dropped(R, p);
    R->src->cur = p;
    size_t have = (size_t)(R->end - p);
    brine_error e;
    brine_error_clear(&e);
    int rc = brine_source_more(R->src, grow && have >= JS_GROW_FROM && have < SIZE_MAX / 2 ? 2 * have : have + 1, &e);
    R->start = *pp = R->src->cur;
    R->end = R->src->end;
    R->base = brine_source_offset(R->src);
    if (rc == BRINE_E_TRUNCATED) { /* the end of input: all of it is in the window */
        R->safe = R->end;
        return BRINE_OK;
    }
    if (rc != BRINE_OK) {
        R->status = rc;
        if (R->err && R->err->code == BRINE_OK)
            *R->err = e;
        return rc;
    }
    R->safe = horizon(R->start, R->end);
    return BRINE_OK;
}

int js_refill(js_reader *R, const unsigned char **pp)
{
    int rc, grow = 0;
    do {
        if ((rc = fill(R, pp, 1, grow)) != BRINE_OK)
            return rc;
        grow = 1;
    } while (*pp > R->safe);
    return BRINE_OK;
}

int js_fill_more(js_reader *R, const unsigned char **pp)
{
    return R->safe == R->end && R->safe ? BRINE_OK : fill(R, pp, 0, 0);
}

/* ---- bounded tags ---------------------------------------------------------------- */

/* The token after the one ending at p, or NULL if not whole in the window;
 * *e its end. */
static const unsigned char *next_token(const unsigned char *p, const unsigned char *end, const unsigned char **e)
{
    p = js_skip_ws(p, end);
    if (p == end || !(*e = js_token_end(p, end)))
        return NULL;
    return p;
}

static int is_key(const unsigned char *t, const unsigned char *e, const char *quoted)
{
    size_t n = strlen(quoted);
    return (size_t)(e - t) == n && memcmp(t, quoted, n) == 0;
}

/* 1 if the reader, reading the tokens at t, fails there: a byte that
 * starts no JSON token, or a string cut by a control character. */
static int refused_token(const unsigned char *t, const unsigned char *e)
{
    unsigned c = *t;
    if (c == '"')
        return e[-1] != '"' || e - t < 2;
    return !(c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':' || c == '-' ||
             (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n');
}

/* 1 when the object at p can be read with the window as it is: not a tag
 * that the reader reads in one go (without refill checks), or one the
 * window holds whole; 0 when more input is needed. */
static int object_ready(const unsigned char *p, const unsigned char *end)
{
    const unsigned char *t, *e = p + 1;
    if (!(t = next_token(e, end, &e)))
        return 0;
    if (e - t < 2 || t[0] != '"' || t[1] != '$')
        return 1;
    size_t cap = JS_HOLD_TOKENS;             /* bounded by the tag's fixed layout */
    if (!memchr(t, '\\', (size_t)(e - t))) { /* a name spelt with escapes is held whole */
        js_tag tag = js_tag_find(t + 1, (size_t)(e - t - 2));
        if (tag == JS_TAG_NONE || tag == JS_TAG_LIST || tag == JS_TAG_TUPLE || tag == JS_TAG_DICT ||
            tag == JS_TAG_MODEL)
            return 1; /* a dict, or a container whose items are read one by one */
        if (tag == JS_TAG_ANCHOR) {
            for (int i = 0; i < 4; i++) /* ':' id ',' key */
                if (!(t = next_token(e, end, &e)))
                    return 0;
            if (!is_key(t, e, "\"$array\""))
                return 1;
        }
        if (tag == JS_TAG_ARRAY) {
            const unsigned char *v = e;
            for (int i = 0; i < 2; i++) /* ':' value */
                if (!(t = next_token(v, end, &v)))
                    return 0;
            if (*t != '{')
                return 1; /* not the tag's kind: a dict read item by item */
        }
        if (tag == JS_TAG_ANCHOR || tag == JS_TAG_ARRAY)
            cap = SIZE_MAX; /* a record dtype has as many fields as it likes */
    }
    /* $bytes, $float, $int, $complex, $alias, $array: the whole object. The
     * reader fails at the first token out of a tag's layout, so past cap
     * tokens, or at garbage, it needs no more of the window. */
    size_t depth = 0;
    e = p;
    for (size_t n = 0; n < cap; n++) {
        if (!(t = next_token(e, end, &e)))
            return 0;
        if (refused_token(t, e))
            return 1;
        if (*t == '{' || *t == '[')
            depth++;
        else if ((*t == '}' || *t == ']') && --depth == 0)
            return 1;
    }
    return 1;
}

int js_hold_object(js_reader *R, const unsigned char **pp)
{
    for (int grow = 0; R->safe != R->end && !object_ready(*pp, R->end); grow = 1) {
        int rc = fill(R, pp, 0, grow);
        if (rc)
            return rc;
    }
    return BRINE_OK;
}

/* ---- JSON Lines --------------------------------------------------------------- */

/* The start of the last token of the whole value at p if the window holds
 * it (or of the token where the reader fails in it), else NULL. */
static const unsigned char *record_last(const unsigned char *p, const unsigned char *end)
{
    const unsigned char *t, *e = p;
    size_t depth = 0;
    for (;;) {
        if (!(t = next_token(e, end, &e)))
            return NULL;
        if (refused_token(t, e))
            return t;
        if (*t == '{' || *t == '[')
            depth++;
        else if (*t == '}' || *t == ']' || depth == 0) {
            if (depth <= 1)
                return t;
            depth--;
        }
    }
}

int js_ensure_record(js_reader *R, const unsigned char **pp)
{
    for (int grow = 0; *pp > R->safe; grow = 1) {
        const unsigned char *t = record_last(js_skip_ws(*pp, R->end), R->end);
        if (t) {
            /* The reader reads this value to its end without a refill; past
             * its last token, the next check refills as usual. */
            R->safe = t;
            return BRINE_OK;
        }
        int rc = fill(R, pp, 1, grow);
        if (rc)
            return rc;
    }
    return BRINE_OK;
}
