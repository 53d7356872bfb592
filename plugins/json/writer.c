/* writer.c: the json encoder, a sink that writes events as JSON text:
 * compact by default, or indented (pretty: 2 spaces, like python -m
 * json.tool; indent=N spaces or indent=tab, like jq --indent N / --tab),
 * with sorted keys or ASCII-only text on request. A value made of JSON's
 * types is written as plain JSON; one holding anything else goes inside the
 * {"$brine": 1, "value": ...} envelope, where values JSON lacks become tags
 * (tags.c, docs/json.md). With `plain`, it writes what Python's json.dumps
 * writes (a tuple as an array, a number's key as its text) and refuses what
 * json.dumps refuses: bytes, complex, models, NaN.
 *
 * Text goes straight into the output's buffer; a sorted dict, or a non-str
 * key (written as "$" + its JSON), is rendered into a side buffer first.
 *
 * The default ("auto") mode chooses per document (per line with `lines`)
 * and holds nothing. Encoding a graph (js_encode_value, the descriptor's
 * encode_value), it reads the document's kinds (brine_value_kinds, kept by
 * the builder and the value API at O(1)) and writes plain JSON or the
 * envelope from the first byte. Fed events alone (a streamed transcode), it
 * writes a document whose first event JSON lacks in the envelope, any
 * other as plain JSON, and fails on a value JSON lacks met later, naming
 * the tagged option. The writer held each document's text before (up to
 * 64 MiB) and rewrote it into the envelope on such a value: +34% of
 * canada's encode time and +36% of citm's (fresh pages), and memory that a
 * bounded conversion cannot spare (#21).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "descr.h"
#include "json.h"
#include "private/attrs.h"
#include "shortcopy.h"
#include "walkfind.h"

#define W_PLAIN 1u
#define W_PRETTY 2u
#define W_SORT 4u
#define W_ASCII 8u
#define W_REFS 16u
#define W_LINES 32u
#define W_TAGGED 64u /* the envelope always; neither this nor W_PLAIN: auto */

enum { JW_ARRAY, JW_OBJECT, JW_MODEL, JW_LINES };
enum { T_OUT, T_SORT, T_KEY }; /* where text goes */

typedef struct js_wframe {
    uint8_t kind;       /* JW_* */
    uint8_t closers;    /* '}' of tag wrappers to write after the bracket */
    uint8_t expect_key; /* objects: the next child is a key */
    uint8_t stage;      /* models: children seen */
    uint8_t sorted;     /* objects: entries are buffered and sorted at the end */
    uint8_t deferred;   /* objects: "{" not yet written (a document's dict in auto mode, see open_deferred) */
    size_t level;       /* pretty: indentation of the children's lines */
    size_t count;       /* children written (dicts: entries) */
    size_t first_entry; /* sorted: this dict's first entry in w->entries */
    size_t body;        /* sorted: offset in w->sort where the entries begin */
} js_wframe;

/* A sorted dict's entry: its text in w->sort, its key text in w->raw. */
typedef struct js_entry {
    size_t start;
    size_t key_off, key_len;
} js_entry;

typedef struct js_writer {
    brine_sink sink;
    brine_output *out;
    unsigned char *cur, *end; /* free space of the current target */
    int target;               /* T_* */
    unsigned opts;            /* W_* */
    int status;               /* sticky: the first error */
    int done;                 /* a whole value was written */
    js_buf sort;              /* text of the open sorted dicts */
    js_buf key;               /* a non-str key being captured */
    js_buf raw;               /* sorted entries' key texts */
    js_buf tmp;               /* scratch: big int digits, sorted assembly */
    int env;                  /* the current document is inside the envelope (tags on) */
    size_t envelopes;         /* envelopes opened: a probe (needs_envelope) reads it */
    size_t unit_depth;        /* depth of a document's first event: 0, or 1 with lines */
    const brine_value *lines; /* a graph's list written with lines in auto mode, each line chosen by line_probe */
    size_t line_next;         /* the element of `lines` that the next line writes */
    js_entry *entries;
    size_t entry_count, entry_cap;
    js_wframe *stack;
    size_t depth, cap;
    size_t key_frame;          /* capturing a key of the dict at depth key_frame (1-based); 0 when not */
    size_t sorted_open;        /* sorted dicts open */
    unsigned char indent_char; /* W_PRETTY: ' ' or '\t' */
    size_t indent_width;       /* W_PRETTY: indent_chars a level (1 to JS_INDENT_MAX) */
} js_writer;

static int fail(js_writer *w, int code, const char *msg)
{
    return brine_error_set(w->sink.err, code, "%s", msg);
}

/* ---- targets ------------------------------------------------------------------ */

static js_buf *target_buf(js_writer *w)
{
    return w->target == T_SORT ? &w->sort : &w->key;
}

static void save_target(js_writer *w)
{
    if (w->target == T_OUT)
        w->out->cur = w->cur;
    else
        target_buf(w)->len = (size_t)(w->cur - target_buf(w)->data);
}

static int set_target(js_writer *w, int t)
{
    save_target(w);
    w->target = t;
    if (t == T_OUT) {
        w->cur = w->out->cur;
        w->end = w->out->end;
        return BRINE_OK;
    }
    js_buf *b = target_buf(w);
    if (js_buf_grow(b, 256, w->sink.err))
        return BRINE_E_NOMEM;
    w->cur = b->data + b->len;
    w->end = b->data + b->cap;
    return BRINE_OK;
}

static int reserve_slow(js_writer *w, size_t n)
{
    int rc;
    if (w->target == T_OUT) {
        w->out->cur = w->cur;
        rc = brine_output_reserve(w->out, n, w->sink.err);
        w->cur = w->out->cur;
        w->end = w->out->end;
        return rc;
    }
    js_buf *b = target_buf(w);
    b->len = (size_t)(w->cur - b->data);
    if ((rc = js_buf_grow(b, n, w->sink.err)))
        return rc;
    w->cur = b->data + b->len;
    w->end = b->data + b->cap;
    return BRINE_OK;
}

static BRINEP_INLINE int reserve(js_writer *w, size_t n)
{
    return (size_t)(w->end - w->cur) >= n ? BRINE_OK : reserve_slow(w, n);
}

static BRINEP_INLINE int put(js_writer *w, const void *p, size_t n)
{
    int rc = reserve(w, n);
    if (rc == BRINE_OK) {
        memcpy(w->cur, p, n);
        w->cur += n;
    }
    return rc;
}

#define PUTS(w, lit) put((w), (lit), sizeof(lit) - 1)

static BRINEP_INLINE int pretty(const js_writer *w)
{
    return (w->opts & W_PRETTY) && !w->key_frame;
}

/* A new line at an indentation level, when pretty. */
static int nl(js_writer *w, size_t level)
{
    if (!pretty(w))
        return BRINE_OK;
    size_t n = 1 + w->indent_width * level;
    int rc = reserve(w, n);
    if (rc == BRINE_OK) {
        *w->cur = '\n';
        memset(w->cur + 1, w->indent_char, n - 1);
        w->cur += n;
    }
    return rc;
}

static BRINEP_INLINE int colon(js_writer *w)
{
    return pretty(w) ? PUTS(w, ": ") : PUTS(w, ":");
}

/* ---- scalars ----------------------------------------------------------------- */

static char *u64_text(uint64_t v, char *end)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    char *p = end;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        *--p = pairs[d + 1];
        *--p = pairs[d];
    }
    if (v >= 10) {
        *--p = pairs[v * 2 + 1];
        *--p = pairs[v * 2];
    } else
        *--p = (char)('0' + v);
    return p;
}

static int write_int(js_writer *w, int neg, uint64_t mag)
{
    char buf[24], *end = buf + sizeof buf, *p = u64_text(mag, end);
    if (neg)
        *--p = '-';
    return put(w, p, (size_t)(end - p));
}

/* Does byte c need an escape? 1: always; 2: in ascii mode (0x7f and up). */
static const unsigned char esc_class[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/* The bytes of v that need an escape outside ascii mode ('"', '\\' or below
 * 0x20): bit i for byte i (every x86-64 has SSE2). */
#if defined(__SSE2__)
static inline int sse_escape_mask(__m128i v)
{
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1f);
    return _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                          _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v)));
}
#endif

/* The same for 8 bytes in a word: the high bit of each byte that needs one,
 * exact up to the first such byte (a borrow can only mark bytes above a true
 * hit), so both "any?" and "the first" are right. */
static inline uint64_t swar_escape_mask(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
    return (((q - ones) & ~q) | ((b - ones) & ~b) | ((v - ones * 0x20) & ~v)) & highs;
}

/* The first byte in [p, end) that needs an escape outside ascii mode. */
static inline const unsigned char *find_escape(const unsigned char *p, const unsigned char *end)
{
#if defined(__SSE2__)
    while (end - p >= 16) { /* 16 bytes a step */
        int mask = sse_escape_mask(_mm_loadu_si128((const __m128i *)(const void *)p));
        if (mask)
            return p + __builtin_ctz((unsigned)mask);
        p += 16;
    }
#endif
    const unsigned char *start = p;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (end - p >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        uint64_t t = swar_escape_mask(v);
        if (t)
            return p + (__builtin_ctzll(t) >> 3);
        p += 8;
    }
    if (p > start && p < end) { /* the last 0..7 bytes: the 8 ending at end, the checked ones shifted out */
        size_t shift = (size_t)(8 - (end - p)) * 8;
        uint64_t v;
        memcpy(&v, end - 8, 8);
        uint64_t t = swar_escape_mask(v) >> shift;
        return t ? p + (__builtin_ctzll(t) >> 3) : end;
    }
#endif
    while (p < end && esc_class[*p] != 1)
        p++;
    return p;
}

static int write_escape(js_writer *w, unsigned cp)
{
    static const char hex[] = "0123456789abcdef";
    int rc = reserve(w, 12);
    if (rc)
        return rc;
    unsigned char *o = w->cur;
    *o++ = '\\';
    switch (cp) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '\b': *o++ = 'b'; break;
    case '\f': *o++ = 'f'; break;
    case '\n': *o++ = 'n'; break;
    case '\r': *o++ = 'r'; break;
    case '\t': *o++ = 't'; break;
    default:
        if (cp >= 0x10000) { /* a surrogate pair, as Python's ensure_ascii */
            unsigned hi = 0xd800 + ((cp - 0x10000) >> 10), lo = 0xdc00 + ((cp - 0x10000) & 0x3ff);
            *o++ = 'u';
            for (int s = 12; s >= 0; s -= 4)
                *o++ = (unsigned char)hex[(hi >> s) & 15];
            *o++ = '\\';
            cp = lo;
        }
        *o++ = 'u';
        for (int s = 12; s >= 0; s -= 4)
            *o++ = (unsigned char)hex[(cp >> s) & 15];
    }
    w->cur = o;
    return BRINE_OK;
}

/* The code point of the UTF-8 sequence at p, advancing *pp; -1 if invalid. */
static long utf8_next(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    unsigned c = *p;
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    if (n == 0 || (size_t)(end - p) < n)
        return -1;
    long cp = c & (0x3f >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return -1;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    static const long min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *pp = p + n;
    return cp;
}

/* A JSON string: prefix (ASCII, not escaped) then s[0..len). */
static int write_str(js_writer *w, const char *prefix, size_t plen, const unsigned char *s, size_t len)
{
    const unsigned char *end = s + len;
    int ascii = (w->opts & W_ASCII) != 0;
    int rc = reserve(w, plen + 2 + (ascii || len > 65536 ? 0 : len));
    if (rc)
        return rc;
    *w->cur++ = '"';
    brine_short_copy(w->cur, (const unsigned char *)prefix, plen);
    w->cur += plen;
    if (!ascii && len <= 65536) { /* the usual case: nothing to escape, room reserved */
        const unsigned char *q = find_escape(s, end);
        brine_short_copy(w->cur, s, (size_t)(q - s));
        w->cur += q - s;
        if (q == end) {
            *w->cur++ = '"';
            return BRINE_OK;
        }
        s = q;
    }
    while (s < end) {
        const unsigned char *run = s;
        if (ascii)
            while (s < end && !esc_class[*s])
                s++;
        else
            s = find_escape(s, end);
        if (s > run && (rc = put(w, run, (size_t)(s - run))))
            return rc;
        if (s == end)
            break;
        long cp = *s;
        if (cp >= 0x80) {
            if ((cp = utf8_next(&s, end)) < 0)
                return fail(w, BRINE_E_UTF8, "invalid UTF-8 in a str");
        } else
            s++;
        if ((rc = write_escape(w, (unsigned)cp)))
            return rc;
    }
    rc = reserve(w, 1);
    if (rc == BRINE_OK)
        *w->cur++ = '"';
    return rc;
}

static int out_of_range(js_writer *w)
{
    return fail(w, BRINE_E_UNSUPPORTED, "Out of range float values are not JSON compliant");
}

/* What plain mode refuses, in json.dumps's words: bytes, complex and the
 * instance of a class (a model, by its name's last part) are "Object of
 * type X is not JSON serializable" (#17). */
static int not_serializable(js_writer *w, const char *type, size_t len)
{
    for (size_t i = len; i-- > 0;) {
        if (type[i] == '.') {
            type += i + 1;
            len -= i + 1;
            break;
        }
    }
    return brine_error_set(w->sink.err, BRINE_E_UNSUPPORTED, "Object of type %.*s is not JSON serializable",
                           (int)(len > 200 ? 200 : len), type);
}

/* {"name": ... with the tag's value to follow, for a value on a line at level. */
static int tag_open(js_writer *w, size_t level, js_tag tag)
{
    const char *name = js_tag_names[tag];
    int rc;
    if ((rc = PUTS(w, "{")) || (rc = nl(w, level + 1)) || (rc = put(w, "\"", 1)) || (rc = put(w, name, strlen(name))) ||
        (rc = put(w, "\"", 1)))
        return rc;
    return colon(w);
}

static int tag_close(js_writer *w, size_t level)
{
    int rc = nl(w, level);
    return rc ? rc : PUTS(w, "}");
}

static int write_float(js_writer *w, double d, size_t level)
{
    int rc;
    if (d - d == 0) { /* finite */
        if ((rc = reserve(w, BRINE_DTOA_SIZE)))
            return rc;
        w->cur += brine_dtoa(d, (char *)w->cur);
        return BRINE_OK;
    }
    if (w->opts & W_PLAIN)
        return out_of_range(w);
    char text[24];
    size_t n = js_float_tag_text(d, text);
    if ((rc = tag_open(w, level, JS_TAG_FLOAT)) || (rc = write_str(w, "", 0, (unsigned char *)text, n)))
        return rc;
    return tag_close(w, level);
}

static int refuse_plain(js_writer *w, const char *what);

static int write_bigint(js_writer *w, const unsigned char *le, size_t len, size_t level)
{
    int rc;
    w->tmp.len = 0;
    rc = js_le_to_dec(le, len, &w->tmp, w->sink.err);
    if (rc == BRINE_OK)
        return put(w, w->tmp.data, w->tmp.len);
    if (rc != BRINE_E_RANGE)
        return rc;
    if (w->opts & W_PLAIN)
        return fail(w, BRINE_E_RANGE, "Exceeds the limit (4300 digits) for integer string conversion");
    /* Auto mode, plain so far: the $int tag would read back as a dict. */
    if (!(w->opts & W_TAGGED) && !w->env)
        return refuse_plain(w, "an int of more than 4300 digits");
    if ((rc = js_le_to_hex(le, len, &w->tmp, w->sink.err)) || (rc = tag_open(w, level, JS_TAG_INT)) ||
        (rc = write_str(w, "", 0, w->tmp.data, w->tmp.len)))
        return rc;
    return tag_close(w, level);
}

static int write_bytes(js_writer *w, const unsigned char *p, size_t len, size_t level)
{
    int rc;
    if (w->opts & W_PLAIN)
        return not_serializable(w, "bytes", 5);
    if ((rc = tag_open(w, level, JS_TAG_BYTES)))
        return rc;
    if ((rc = reserve(w, js_b64_len(len) + 2)))
        return rc;
    *w->cur++ = '"';
    js_b64_encode(p, len, w->cur);
    w->cur += js_b64_len(len);
    *w->cur++ = '"';
    return tag_close(w, level);
}

static int write_complex(js_writer *w, double re, double im, size_t level)
{
    int rc;
    size_t inner = level + 1;
    if (w->opts & W_PLAIN)
        return not_serializable(w, "complex", 7);
    if ((rc = tag_open(w, level, JS_TAG_COMPLEX)))
        return rc;
    if ((rc = PUTS(w, "[")) || (rc = nl(w, inner + 1)) || (rc = write_float(w, re, inner + 1)) || (rc = PUTS(w, ",")) ||
        (rc = nl(w, inner + 1)) || (rc = write_float(w, im, inner + 1)) || (rc = nl(w, inner)) || (rc = PUTS(w, "]")))
        return rc;
    return tag_close(w, level);
}

static int write_alias(js_writer *w, uint64_t id, size_t level)
{
    int rc;
    if (!(w->opts & W_REFS))
        return fail(w, BRINE_E_UNSUPPORTED, "a shared or cyclic value needs the refs option");
    if ((rc = tag_open(w, level, JS_TAG_ALIAS)) || (rc = write_int(w, 0, id)))
        return rc;
    return tag_close(w, level);
}

/* ---- arrays: {"$array": {"dtype": ..., "shape": [...], "data": "base64"}} ---- */

/* "key": with its line break before, when pretty. */
static int member(js_writer *w, const char *key, size_t level, int first)
{
    int rc;
    if ((!first && (rc = PUTS(w, ","))) || (rc = nl(w, level)) || (rc = put(w, "\"", 1)) ||
        (rc = put(w, key, strlen(key))) || (rc = put(w, "\"", 1)))
        return rc;
    return colon(w);
}

/* A JSON array of sizes at level (pretty: one per line, as json.tool). */
static int write_sizes(js_writer *w, unsigned ndim, const uint64_t *shape, size_t level)
{
    int rc = PUTS(w, "[");
    for (unsigned i = 0; i < ndim && rc == BRINE_OK; i++)
        if (!(i && (rc = PUTS(w, ","))) && !(rc = nl(w, level + 1)))
            rc = write_int(w, 0, shape[i]);
    if (rc == BRINE_OK && ndim)
        rc = nl(w, level);
    return rc ? rc : PUTS(w, "]");
}

/* numpy's dtype.str, or a record's descr as arrays (plugins/descr.h). */
static int write_dtype(js_writer *w, const brine_dtype *dt, size_t level)
{
    char s[64];
    int rc;
    if (brine_dtype_kind_of(dt) != BRINE_DT_RECORD)
        return write_str(w, "", 0, (const unsigned char *)s, brine_dtype_str(dt, s, sizeof s));
    size_t n;
    pd_entry *e = pd_entries(dt, &n);
    if (!e)
        return fail(w, BRINE_E_NOMEM, "out of memory");
    rc = PUTS(w, "[");
    for (size_t i = 0; i < n && rc == BRINE_OK; i++) {
        if ((i && (rc = PUTS(w, ","))) || (rc = nl(w, level + 1)) || (rc = PUTS(w, "[")) || (rc = nl(w, level + 2)))
            break;
        if (e[i].field < 0) {
            int len = snprintf(s, sizeof s, "|V%llu", (unsigned long long)e[i].pad);
            if ((rc = PUTS(w, "\"\"")) || (rc = PUTS(w, ",")) || (rc = nl(w, level + 2)) ||
                (rc = write_str(w, "", 0, (const unsigned char *)s, (size_t)len)))
                break;
        } else {
            const char *name;
            size_t nlen;
            const brine_dtype *f;
            unsigned ndim;
            const uint64_t *shape;
            brine_dtype_field(dt, (size_t)e[i].field, &name, &nlen, &f, NULL, &ndim, &shape);
            if ((rc = write_str(w, "", 0, (const unsigned char *)name, nlen)) || (rc = PUTS(w, ",")) ||
                (rc = nl(w, level + 2)) || (rc = write_dtype(w, f, level + 2)))
                break;
            if (ndim &&
                ((rc = PUTS(w, ",")) || (rc = nl(w, level + 2)) || (rc = write_sizes(w, ndim, shape, level + 2))))
                break;
        }
        if (!(rc = nl(w, level + 1)))
            rc = PUTS(w, "]");
    }
    brine_free(e);
    if (rc == BRINE_OK && n)
        rc = nl(w, level);
    return rc ? rc : PUTS(w, "]");
}

/* The data as base64, in pieces of 48 KiB of input (no single reservation
 * of an array's whole text). */
static int write_b64(js_writer *w, const unsigned char *p, size_t len)
{
    int rc = PUTS(w, "\"");
    for (size_t at = 0; at < len && rc == BRINE_OK; at += 49152) {
        size_t n = len - at < 49152 ? len - at : 49152;
        if ((rc = reserve(w, js_b64_len(n))) == BRINE_OK) {
            js_b64_encode(p + at, n, w->cur);
            w->cur += js_b64_len(n);
        }
    }
    return rc ? rc : PUTS(w, "\"");
}

static int write_array(js_writer *w, const brine_event *ev, size_t level)
{
    const brine_array_header *h = ev->v.array;
    uint64_t anchor = (w->opts & W_REFS) ? ev->anchor : 0;
    size_t inner = level + 1;
    int rc;
    if (w->key_frame)
        return fail(w, BRINE_E_KEY, "unhashable dict key");
    if (anchor) {
        if ((rc = tag_open(w, level, JS_TAG_ANCHOR)) || (rc = write_int(w, 0, anchor)) ||
            (rc = member(w, js_tag_names[JS_TAG_ARRAY], level + 1, 0)))
            return rc;
    } else if ((rc = tag_open(w, level, JS_TAG_ARRAY))) {
        return rc;
    }
    if ((rc = PUTS(w, "{")) || (rc = member(w, "dtype", inner + 1, 1)) || (rc = write_dtype(w, h->dtype, inner + 1)) ||
        (rc = member(w, "shape", inner + 1, 0)) || (rc = write_sizes(w, h->ndim, h->shape, inner + 1)) ||
        (rc = member(w, "data", inner + 1, 0)) || (rc = write_b64(w, h->data, h->data_len)) || (rc = nl(w, inner)) ||
        (rc = PUTS(w, "}")))
        return rc;
    return tag_close(w, level);
}

/* ---- containers --------------------------------------------------------------- */

static js_wframe *push(js_writer *w, int kind, size_t level, int closers)
{
    if (w->depth == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        js_wframe *s = cap < SIZE_MAX / sizeof *s ? brine_realloc(w->stack, cap * sizeof *s) : NULL;
        if (!s) {
            fail(w, BRINE_E_NOMEM, "out of memory");
            return NULL;
        }
        w->stack = s;
        w->cap = cap;
    }
    js_wframe *f = &w->stack[w->depth++];
    memset(f, 0, sizeof *f);
    f->kind = (uint8_t)kind;
    f->level = level;
    f->closers = (uint8_t)closers;
    f->expect_key = 1;
    return f;
}

/* {"$anchor": id, "<tag>": */
static int anchor_open(js_writer *w, uint64_t id, size_t level, js_tag tag)
{
    int rc;
    if ((rc = tag_open(w, level, JS_TAG_ANCHOR)) || (rc = write_int(w, 0, id)) || (rc = PUTS(w, ",")) ||
        (rc = nl(w, level + 1)) || (rc = put(w, "\"", 1)) ||
        (rc = put(w, js_tag_names[tag], strlen(js_tag_names[tag]))) || (rc = put(w, "\"", 1)))
        return rc;
    return colon(w);
}

static int begin_container(js_writer *w, const brine_event *ev, size_t level, int as_array)
{
    int tagged = !(w->opts & W_PLAIN), rc;
    uint64_t anchor = (w->opts & W_REFS) ? ev->anchor : 0;
    if (w->key_frame && (ev->kind == BRINE_EV_LIST || ev->kind == BRINE_EV_DICT || ev->kind == BRINE_EV_MODEL))
        return fail(w, BRINE_E_KEY, "unhashable dict key");
    js_wframe *f;
    switch (ev->kind) {
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE: {
        js_tag tag = ev->kind == BRINE_EV_LIST ? JS_TAG_LIST : JS_TAG_TUPLE;
        int wrap = anchor || (tag == JS_TAG_TUPLE && tagged && !as_array && !w->key_frame);
        if (anchor)
            rc = anchor_open(w, anchor, level, tag);
        else if (wrap)
            rc = tag_open(w, level, tag);
        else
            rc = BRINE_OK;
        if (rc || (rc = PUTS(w, "[")))
            return rc;
        return push(w, JW_ARRAY, level + 1 + (size_t)wrap, wrap) ? BRINE_OK : BRINE_E_NOMEM;
    }
    case BRINE_EV_DICT: {
        if (anchor && (rc = anchor_open(w, anchor, level, JS_TAG_DICT)))
            return rc;
        if ((w->opts & W_SORT) && w->sorted_open++ == 0) {
            w->sort.len = 0;
            if ((rc = set_target(w, T_SORT)))
                return rc;
        }
        /* A document's dict in auto mode waits for its first key: if that
         * is "$brine", plain JSON would read back as the envelope, so the
         * dict goes inside one (open_deferred). */
        int defer = !(w->opts & (W_PLAIN | W_TAGGED | W_SORT)) && !w->env && w->depth == w->unit_depth;
        if (!defer && (rc = PUTS(w, "{")))
            return rc;
        if (!(f = push(w, JW_OBJECT, level + 1 + (anchor != 0), anchor != 0)))
            return BRINE_E_NOMEM;
        f->deferred = (uint8_t)defer;
        if (w->opts & W_SORT) {
            f->sorted = 1;
            f->first_entry = w->entry_count;
            f->body = (size_t)(w->cur - w->sort.data);
        }
        return BRINE_OK;
    }
    case BRINE_EV_MODEL:
        if (!tagged)
            return not_serializable(w, ev->v.s.ptr, ev->v.s.len);
        rc = anchor ? anchor_open(w, anchor, level, JS_TAG_MODEL) : tag_open(w, level, JS_TAG_MODEL);
        if (rc || (rc = write_str(w, "", 0, (const unsigned char *)ev->v.s.ptr, ev->v.s.len)) || (rc = PUTS(w, ",")) ||
            (rc = nl(w, level + 1)) || (rc = PUTS(w, "\"args\"")) || (rc = colon(w)))
            return rc;
        return push(w, JW_MODEL, level + 1, 0) ? BRINE_OK : BRINE_E_NOMEM;
    default: return fail(w, BRINE_E_INVALID, "not a container event");
    }
}

static int check_first_key(js_writer *w, size_t fi, const unsigned char *s, size_t len);

/* Sorts the entries of the sorted dict f by key text and rewrites its body. */
static int sort_entries(js_writer *w, js_wframe *f)
{
    size_t n = w->entry_count - f->first_entry, len = (size_t)(w->cur - w->sort.data);
    if (n == 0)
        return BRINE_OK;
    js_entry *e = w->entries + f->first_entry;
    /* A stable merge sort of entry indexes by key text (UTF-8 byte order is
     * code point order, as Python sorts str keys). */
    size_t *order = brine_malloc(n * sizeof *order);
    if (!order)
        return fail(w, BRINE_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    size_t *scratch = brine_malloc(n * sizeof *scratch);
    if (!scratch) {
        brine_free(order);
        return fail(w, BRINE_E_NOMEM, "out of memory");
    }
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                const js_entry *a = &e[order[i]], *b = &e[order[j]];
                size_t m = a->key_len < b->key_len ? a->key_len : b->key_len;
                int c = memcmp(w->raw.data + a->key_off, w->raw.data + b->key_off, m);
                if (c == 0)
                    c = a->key_len < b->key_len ? -1 : a->key_len > b->key_len;
                scratch[k++] = c <= 0 ? order[i++] : order[j++];
            }
            while (i < mid)
                scratch[k++] = order[i++];
            while (j < hi)
                scratch[k++] = order[j++];
        }
        memcpy(order, scratch, n * sizeof *order);
    }
    brine_free(scratch);
    const js_entry *first = &e[order[0]];
    int rc = check_first_key(w, (size_t)(f - w->stack), w->raw.data + first->key_off, first->key_len);
    if (rc) {
        brine_free(order);
        return rc;
    }
    w->tmp.len = 0;
    for (size_t i = 0; i < n && rc == BRINE_OK; i++) {
        size_t k = order[i], start = e[k].start, stop = k + 1 < n ? e[k + 1].start : len;
        if (i && (rc = js_buf_put(&w->tmp, ",", 1, w->sink.err)))
            break;
        if (w->opts & W_PRETTY) {
            size_t pad = w->indent_width * f->level;
            if ((rc = js_buf_grow(&w->tmp, 1 + pad, w->sink.err)))
                break;
            w->tmp.data[w->tmp.len] = '\n';
            memset(w->tmp.data + w->tmp.len + 1, w->indent_char, pad);
            w->tmp.len += 1 + pad;
        }
        rc = js_buf_put(&w->tmp, w->sort.data + start, stop - start, w->sink.err);
    }
    brine_free(order);
    if (rc)
        return rc;
    w->cur = w->sort.data + f->body;
    if ((rc = put(w, w->tmp.data, w->tmp.len)))
        return rc;
    w->raw.len = e[0].key_off;
    w->entry_count = f->first_entry;
    return BRINE_OK;
}

static int finish_key(js_writer *w);
static int unit_end(js_writer *w);
static int open_deferred(js_writer *w, js_wframe *f, const brine_event *key);

static int end_container(js_writer *w)
{
    if (!w->depth)
        return fail(w, BRINE_E_INVALID, "an END event closes nothing");
    js_wframe *f = &w->stack[w->depth - 1];
    int rc = BRINE_OK;
    if ((f->kind == JW_OBJECT && !f->expect_key) || (f->kind == JW_MODEL && f->stage != 2))
        return fail(w, BRINE_E_INVALID, "a container ends in the middle of an entry");
    if (f->kind == JW_LINES) {
        if (f->count)
            rc = PUTS(w, "\n");
    } else {
        if (f->deferred && (rc = open_deferred(w, f, NULL)))
            return rc;
        if (f->sorted && (rc = sort_entries(w, f)))
            return rc;
        if (f->count && (rc = nl(w, f->level - 1)))
            return rc;
        rc = put(w, f->kind == JW_ARRAY ? "]" : "}", 1);
        for (size_t j = 1; j <= f->closers && rc == BRINE_OK; j++)
            if (!(rc = nl(w, f->level - 1 - j)))
                rc = PUTS(w, "}");
    }
    if (rc)
        return rc;
    int sorted = f->sorted;
    w->depth--;
    if (sorted && --w->sorted_open == 0) { /* the outermost sorted dict: to the output */
        if (!(rc = set_target(w, T_OUT)) &&
            !(rc = brine_output_write(w->out, w->sort.data, w->sort.len, w->sink.err))) {
            w->cur = w->out->cur;
            w->end = w->out->end;
        }
        if (rc)
            return rc;
    }
    if (w->depth == w->unit_depth && (rc = unit_end(w)))
        return rc;
    if (w->depth == 0)
        w->done = 1;
    else if (w->key_frame && w->depth == w->key_frame)
        return finish_key(w);
    return BRINE_OK;
}

/* ---- keys --------------------------------------------------------------------- */

/* Starts entry bookkeeping for a key of dict f: separators, or a sorted entry. */
static int key_prefix(js_writer *w, js_wframe *f)
{
    int rc;
    if (f->sorted) {
        if (w->entry_count == w->entry_cap) {
            size_t cap = w->entry_cap ? w->entry_cap * 2 : 32;
            js_entry *e = cap < SIZE_MAX / sizeof *e ? brine_realloc(w->entries, cap * sizeof *e) : NULL;
            if (!e)
                return fail(w, BRINE_E_NOMEM, "out of memory");
            w->entries = e;
            w->entry_cap = cap;
        }
        js_entry *e = &w->entries[w->entry_count++];
        e->start = (size_t)(w->cur - w->sort.data);
        e->key_off = w->raw.len;
        e->key_len = 0;
        f->count++;
        return BRINE_OK;
    }
    if (f->count++ && (rc = PUTS(w, ",")))
        return rc;
    return nl(w, f->level);
}

/* The key text prefix + s, with its colon; recorded for sorting. */
static int write_key_text(js_writer *w, js_wframe *f, const char *prefix, size_t plen, const unsigned char *s,
                          size_t len)
{
    int rc;
    if (f->sorted) {
        js_entry *e = &w->entries[w->entry_count - 1];
        if ((rc = js_buf_put(&w->raw, prefix, plen, w->sink.err)) || (rc = js_buf_put(&w->raw, s, len, w->sink.err)))
            return rc;
        e->key_len = plen + len;
    }
    if ((rc = write_str(w, prefix, plen, s, len)))
        return rc;
    return colon(w);
}

/* A captured non-str key is complete: write it as "$" + its JSON text. */
static int finish_key(js_writer *w)
{
    js_wframe *f = &w->stack[w->key_frame - 1];
    save_target(w);
    w->key_frame = 0;
    int rc = set_target(w, w->sorted_open ? T_SORT : T_OUT);
    return rc ? rc : write_key_text(w, f, "$", 1, w->key.data, w->key.len);
}

static int write_plain_key(js_writer *w, js_wframe *f, const brine_event *ev)
{
    char buf[BRINE_DTOA_SIZE + 24], *end = buf + sizeof buf, *p;
    switch (ev->kind) {
    case BRINE_EV_NULL: return write_key_text(w, f, "", 0, (const unsigned char *)"null", 4);
    case BRINE_EV_BOOL:
        return write_key_text(w, f, "", 0, (const unsigned char *)(ev->v.boolean ? "true" : "false"),
                              ev->v.boolean ? 4 : 5);
    case BRINE_EV_INT:
    case BRINE_EV_UINT: {
        int neg = ev->kind == BRINE_EV_INT && ev->v.i < 0;
        uint64_t mag = ev->kind == BRINE_EV_UINT ? ev->v.u : neg ? 0 - (uint64_t)ev->v.i : (uint64_t)ev->v.i;
        p = u64_text(mag, end);
        if (neg)
            *--p = '-';
        return write_key_text(w, f, "", 0, (unsigned char *)p, (size_t)(end - p));
    }
    case BRINE_EV_BIGINT: {
        w->tmp.len = 0;
        int rc = js_le_to_dec((const unsigned char *)ev->v.s.ptr, ev->v.s.len, &w->tmp, w->sink.err);
        if (rc == BRINE_E_RANGE)
            return fail(w, BRINE_E_RANGE, "Exceeds the limit (4300 digits) for integer string conversion");
        return rc ? rc : write_key_text(w, f, "", 0, w->tmp.data, w->tmp.len);
    }
    case BRINE_EV_FLOAT:
        if (ev->v.f - ev->v.f != 0)
            return out_of_range(w);
        return write_key_text(w, f, "", 0, (unsigned char *)buf, brine_dtoa(ev->v.f, buf));
    default: {
        static const char *const names[] = {"?",   "null",  "bool", "int",   "int",  "int",   "float", "complex",
                                            "str", "bytes", "list", "tuple", "dict", "model", "?",     "?"};
        char msg[96];
        snprintf(msg, sizeof msg, "keys must be str, int, float, bool or None, not %s",
                 names[(unsigned)ev->kind < 16 ? (unsigned)ev->kind : 0]);
        return fail(w, BRINE_E_UNSUPPORTED, msg);
    }
    }
}

/* The key event of dict frame f (depth index fi). */
static int write_key(js_writer *w, size_t fi, const brine_event *ev)
{
    js_wframe *f = &w->stack[fi];
    int rc = f->deferred ? open_deferred(w, f, ev) : BRINE_OK;
    if (rc || (rc = key_prefix(w, f)))
        return rc;
    if (ev->kind == BRINE_EV_STR) {
        const unsigned char *s = (const unsigned char *)ev->v.s.ptr;
        int dollar = w->env && ev->v.s.len && s[0] == '$'; /* escaped in the envelope only */
        return write_key_text(w, f, "$", (size_t)dollar, s, ev->v.s.len);
    }
    if (w->opts & W_PLAIN)
        return write_plain_key(w, f, ev);
    if (ev->kind == BRINE_EV_END)
        return fail(w, BRINE_E_INVALID, "an END event where a key was due");
    /* Capture the key's JSON text, then write it as a string. */
    w->key_frame = fi + 1;
    w->key.len = 0;
    return set_target(w, T_KEY);
}

/* ---- events ------------------------------------------------------------------- */

static int write_value(js_writer *w, const brine_event *ev, size_t level, int as_array)
{
    switch (ev->kind) {
    case BRINE_EV_NULL: return PUTS(w, "null");
    case BRINE_EV_BOOL: return ev->v.boolean ? PUTS(w, "true") : PUTS(w, "false");
    case BRINE_EV_INT: return write_int(w, ev->v.i < 0, ev->v.i < 0 ? 0 - (uint64_t)ev->v.i : (uint64_t)ev->v.i);
    case BRINE_EV_UINT: return write_int(w, 0, ev->v.u);
    case BRINE_EV_BIGINT: return write_bigint(w, (const unsigned char *)ev->v.s.ptr, ev->v.s.len, level);
    case BRINE_EV_FLOAT: return write_float(w, ev->v.f, level);
    case BRINE_EV_COMPLEX: return write_complex(w, ev->v.c.re, ev->v.c.im, level);
    case BRINE_EV_STR: return write_str(w, "", 0, (const unsigned char *)ev->v.s.ptr, ev->v.s.len);
    case BRINE_EV_BYTES: return write_bytes(w, (const unsigned char *)ev->v.s.ptr, ev->v.s.len, level);
    case BRINE_EV_REF: return write_alias(w, ev->v.ref, level);
    case BRINE_EV_ARRAY: return write_array(w, ev, level);
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE:
    case BRINE_EV_DICT:
    case BRINE_EV_MODEL: return begin_container(w, ev, level, as_array);
    default: return fail(w, BRINE_E_INVALID, "unknown event kind");
    }
}

/* ---- documents: plain, or the envelope ----------------------------------------- */

static const char env_open[] = "{\"$brine\":1,\"value\":";

/* The envelope's opening, up to its value, at the writer's indentation. */
static int put_env_open(js_writer *w)
{
    int rc;
    w->envelopes++;
    if (!(w->opts & W_PRETTY))
        return PUTS(w, env_open);
    if ((rc = PUTS(w, "{")) || (rc = nl(w, 1)) || (rc = PUTS(w, "\"$brine\": 1,")) || (rc = nl(w, 1)))
        return rc;
    return PUTS(w, "\"value\": ");
}

/* The kind of value plain JSON lacks that ev is, or NULL: tuple, bytes,
 * complex, model, a shared node written as a reference, a non-finite float,
 * an int too long for decimal text, or a dict key that is not a str. */
static const char *lacked(const js_writer *w, const brine_event *ev, int key)
{
    if (key && ev->kind != BRINE_EV_STR)
        return "a dict key that is not a str";
    switch (ev->kind) {
    case BRINE_EV_TUPLE: return "a tuple";
    case BRINE_EV_BYTES: return "bytes";
    case BRINE_EV_COMPLEX: return "a complex";
    case BRINE_EV_MODEL: return "a model";
    case BRINE_EV_REF: return "a shared value";
    case BRINE_EV_ARRAY: return "an array";
    case BRINE_EV_BIGINT: return ev->v.s.len > JS_MAX_DEC_BYTES ? "an int of more than 4299 digits" : NULL;
    case BRINE_EV_FLOAT: return ev->v.f - ev->v.f != 0 ? "a NaN or infinite float" : NULL;
    case BRINE_EV_LIST:
    case BRINE_EV_DICT: return ev->anchor && (w->opts & W_REFS) ? "a shared value" : NULL;
    default: return NULL;
    }
}

/* Auto mode, outside the envelope: ev may need it, and the document has
 * started as plain JSON. */
static int refuse_plain(js_writer *w, const char *what)
{
    return brine_error_set(w->sink.err, BRINE_E_UNSUPPORTED,
                           "%s cannot be written as plain JSON, and the output has started as plain JSON: write it "
                           "with the tagged option (-O tagged)",
                           what);
}

static int check_lacked(js_writer *w, const brine_event *ev, int key)
{
    if (w->opts & (W_PLAIN | W_TAGGED) || w->env)
        return BRINE_OK;
    const char *what = lacked(w, ev, key);
    return what ? refuse_plain(w, what) : BRINE_OK;
}

/* Auto mode, outside the envelope: a document's dict (depth index fi)
 * whose first key is "$brine" would read back as the envelope, so plain
 * JSON cannot hold it (inside the envelope the key is escaped). */
static int check_first_key(js_writer *w, size_t fi, const unsigned char *s, size_t len)
{
    if (w->opts & (W_PLAIN | W_TAGGED) || w->env || fi != w->unit_depth || len != 6 || memcmp(s, "$brine", 6) != 0)
        return BRINE_OK;
    return refuse_plain(w, "a dict whose first key is \"$brine\"");
}

static int is_envelope_key(const brine_event *key)
{
    return key && key->kind == BRINE_EV_STR && key->v.s.len == 6 && memcmp(key->v.s.ptr, "$brine", 6) == 0;
}

/* Writes the "{" of a document's dict that waited for its first key (key,
 * or NULL when the dict is empty): inside the envelope if that key is
 * "$brine", since nothing of the document is written yet. */
static int open_deferred(js_writer *w, js_wframe *f, const brine_event *key)
{
    int rc;
    f->deferred = 0;
    if (is_envelope_key(key)) {
        w->env = 1;
        f->level++;
        if ((rc = put_env_open(w)))
            return rc;
    }
    return PUTS(w, "{");
}

/* A graph's dict that a sorted writer (W_SORT, whose first key is known
 * only at the end) may not write as a plain document: one with the key
 * "$brine". */
static int envelope_like(const js_writer *w, const brine_value *v)
{
    return (w->opts & W_SORT) && v && brine_type_of(v) == BRINE_DICT && brine_dict_get_str(v, "$brine") != NULL;
}

static int line_probe(const js_writer *w, const brine_value *v);

/* A document (the value, or one line's value) begins with ev: in the
 * envelope if tagged, or in auto mode if ev itself is a value JSON lacks
 * (nothing is written yet, so the choice is still open), or if the line's
 * element of a graph needs it. */
static int unit_begin(js_writer *w, const brine_event *ev)
{
    int env = (w->opts & W_TAGGED) || (!(w->opts & W_PLAIN) && lacked(w, ev, 0));
    if (w->lines && w->depth) { /* the next element: every line takes one */
        const brine_value *line = brine_seq_get(w->lines, w->line_next++);
        if (!env)
            env = line_probe(w, line);
    }
    if (!env)
        return BRINE_OK;
    w->env = 1;
    return put_env_open(w);
}

/* A document ended: the envelope closes. */
static int unit_end(js_writer *w)
{
    if (!w->env)
        return BRINE_OK;
    w->env = 0;
    return (w->opts & W_PRETTY) ? PUTS(w, "\n}") : PUTS(w, "}");
}

/* After a value event: a scalar completes the document or a captured key. */
static int after_scalar(js_writer *w, const brine_event *ev)
{
    if (ev->kind >= BRINE_EV_LIST && ev->kind <= BRINE_EV_MODEL)
        return BRINE_OK;
    if (w->depth == w->unit_depth && !w->key_frame) {
        int rc = unit_end(w);
        if (rc)
            return rc;
    }
    if (w->depth == 0)
        w->done = 1;
    else if (w->key_frame && w->depth == w->key_frame)
        return finish_key(w);
    return BRINE_OK;
}

static int write_captured(js_writer *w, const brine_event *ev)
{
    int rc = write_value(w, ev, 0, 1);
    return rc ? rc : after_scalar(w, ev);
}

static int write_event(js_writer *w, const brine_event *ev)
{
    if (ev->kind == BRINE_EV_END)
        return end_container(w);
    if (w->done)
        return fail(w, BRINE_E_INVALID, "the event stream holds more than one value");
    size_t level = 0;
    int as_array = 0, rc = BRINE_OK;
    if (w->depth == 0) {
        if (w->opts & W_LINES) {
            if (ev->kind != BRINE_EV_LIST && ev->kind != BRINE_EV_TUPLE)
                return fail(w, BRINE_E_UNSUPPORTED, "the lines option writes a list, one element per line");
            if (ev->anchor && (w->opts & W_REFS))
                return fail(w, BRINE_E_UNSUPPORTED, "the lines option cannot write a list that contains itself");
            return push(w, JW_LINES, 0, 0) ? BRINE_OK : BRINE_E_NOMEM;
        }
        if ((rc = unit_begin(w, ev)))
            return rc;
    } else {
        js_wframe *f = &w->stack[w->depth - 1];
        switch (f->kind) {
        case JW_ARRAY:
            if (f->count++ && (rc = PUTS(w, ",")))
                return rc;
            rc = nl(w, f->level);
            break;
        case JW_LINES:
            if (f->count++)
                rc = PUTS(w, "\n");
            if (rc == BRINE_OK)
                rc = unit_begin(w, ev);
            break;
        case JW_OBJECT:
            if (f->expect_key) {
                if ((rc = check_lacked(w, ev, 1)))
                    return rc;
                f->expect_key = 0;
                if ((rc = write_key(w, w->depth - 1, ev)) || !w->key_frame)
                    return rc;
                /* A non-str key: its value is written into the key buffer. */
                return write_captured(w, ev);
            }
            f->expect_key = 1;
            break;
        case JW_MODEL:
            if (f->stage == 0)
                as_array = 1; /* the args tuple */
            else if (f->stage == 1) {
                if (!(rc = PUTS(w, ",")) && !(rc = nl(w, f->level)) && !(rc = PUTS(w, "\"state\"")))
                    rc = colon(w);
            } else
                return fail(w, BRINE_E_INVALID, "a model has more than two children");
            f->stage++;
            f->count++;
            break;
        }
    }
    if (rc == BRINE_OK)
        rc = check_lacked(w, ev, 0);
    if (w->depth)
        level = w->stack[w->depth - 1].kind == JW_LINES ? 0 : w->stack[w->depth - 1].level;
    else
        level = w->env && (w->opts & W_PRETTY) ? 1 : 0;
    if (rc || (rc = write_value(w, ev, level, as_array)))
        return rc;
    return after_scalar(w, ev);
}

/* Copies src[0..n) to dst and returns 1 if none of it needs an escape; else
 * returns 0, with dst[0..n) undefined. One pass that checks and copies (a
 * scan, then a copy, cost twice the loads on the short strings JSON is
 * mostly made of). Reads and writes only [src, src + n) and [dst, dst + n). */
static BRINEP_INLINE int copy_clean(unsigned char *dst, const unsigned char *src, size_t n)
{
#if defined(__SSE2__)
    if (n > 16) {
        size_t i = 0;
        for (; i + 16 < n; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
            if (sse_escape_mask(v))
                return 0;
            _mm_storeu_si128((__m128i *)(void *)(dst + i), v);
        }
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(src + n - 16)); /* the last 16, overlapping */
        if (sse_escape_mask(v))
            return 0;
        _mm_storeu_si128((__m128i *)(void *)(dst + n - 16), v);
        return 1;
    }
    if (n >= 8) { /* the first 8 and the last 8, overlapping, in one register */
        __m128i a = _mm_loadl_epi64((const __m128i *)(const void *)src);
        __m128i b = _mm_loadl_epi64((const __m128i *)(const void *)(src + n - 8));
        __m128i v = _mm_unpacklo_epi64(a, b);
        if (sse_escape_mask(v))
            return 0;
        _mm_storel_epi64((__m128i *)(void *)dst, a);
        _mm_storel_epi64((__m128i *)(void *)(dst + n - 8), b);
        return 1;
    }
#else
    if (n > 16) {
        for (size_t i = 0; i < n; i += 8) {
            uint64_t v;
            memcpy(&v, src + (i + 8 <= n ? i : n - 8), 8);
            if (swar_escape_mask(v))
                return 0;
        }
        memcpy(dst, src, n);
        return 1;
    }
    if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, src, 8);
        memcpy(&b, src + n - 8, 8);
        if (swar_escape_mask(a) || swar_escape_mask(b))
            return 0;
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
        return 1;
    }
#endif
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, src, 4);
        memcpy(&b, src + n - 4, 4);
        if (swar_escape_mask(a | (uint64_t)b << 32))
            return 0;
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    } else if (n) { /* 1 to 3 bytes: these three positions cover them */
        if (esc_class[src[0]] == 1 || esc_class[src[n / 2]] == 1 || esc_class[src[n - 1]] == 1)
            return 0;
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    }
    return 1;
}

static unsigned u64_digits(uint64_t v)
{
    unsigned n = 1;
    for (; v >= 10000; v /= 10000)
        n += 4;
    return v >= 1000 ? n + 3 : v >= 100 ? n + 2 : v >= 10 ? n + 1 : n;
}

/* Compact output's most common events, written in place with one check for
 * room, without write_event's general path (which they would take to the
 * same bytes): a str key; a str, int, finite float, bool, null, list or dict
 * inside a list or dict; the END of such a list or dict. -1 for anything
 * else, or for a str that needs escaping, with nothing written. */
static int write_common(js_writer *w, const brine_event *ev)
{
    if ((w->opts & (W_PRETTY | W_SORT | W_ASCII | W_LINES)) || !w->depth || w->key_frame)
        return -1;
    js_wframe *f = &w->stack[w->depth - 1];
    int key = 0;
    if (ev->kind == BRINE_EV_END) { /* a plain list or dict that closes into its parent */
        if (w->depth == 1 || f->closers || (f->kind == JW_OBJECT ? !f->expect_key : f->kind != JW_ARRAY) ||
            (w->end == w->cur && reserve_slow(w, 1)))
            return -1;
        *w->cur++ = f->kind == JW_ARRAY ? ']' : '}';
        w->depth--;
        return BRINE_OK;
    }
    if (f->kind == JW_OBJECT) {
        key = f->expect_key;
        if (key && (ev->kind != BRINE_EV_STR || (ev->v.s.len && ev->v.s.ptr[0] == '$') || f->deferred))
            return -1;
    } else if (f->kind != JW_ARRAY) {
        return -1;
    }
    /* Room for a separator and the longest scalar, or a str, its quotes and colon. */
    size_t need = BRINE_DTOA_SIZE + 2;
    if (ev->kind == BRINE_EV_STR) {
        if (ev->v.s.len > 65536) /* write_str copies long ones in parts */
            return -1;
        need = ev->v.s.len + 4;
    }
    int rc;
    if ((size_t)(w->end - w->cur) < need && (rc = reserve_slow(w, need)))
        return rc;
    unsigned char *o = w->cur;
    if (f->kind == JW_ARRAY ? f->count != 0 : key && f->count != 0)
        *o++ = ',';
    switch (ev->kind) {
    case BRINE_EV_STR: {
        size_t len = ev->v.s.len;
        *o++ = '"';
        if (!copy_clean(o, (const unsigned char *)ev->v.s.ptr, len))
            return -1;
        o += len;
        *o++ = '"';
        if (key)
            *o++ = ':';
        break;
    }
    case BRINE_EV_INT:
    case BRINE_EV_UINT: {
        uint64_t mag = ev->kind == BRINE_EV_UINT ? ev->v.u : ev->v.i < 0 ? 0 - (uint64_t)ev->v.i : (uint64_t)ev->v.i;
        if (ev->kind == BRINE_EV_INT && ev->v.i < 0)
            *o++ = '-';
        o += u64_digits(mag);
        u64_text(mag, (char *)o);
        break;
    }
    case BRINE_EV_BOOL:
        if (ev->v.boolean) {
            memcpy(o, "true", 4);
            o += 4;
        } else {
            memcpy(o, "false", 5);
            o += 5;
        }
        break;
    case BRINE_EV_NULL:
        memcpy(o, "null", 4);
        o += 4;
        break;
    case BRINE_EV_FLOAT:
        if (ev->v.f - ev->v.f != 0)
            return -1; /* NaN and the infinities: write_value tags or refuses them */
        o += brine_dtoa(ev->v.f, (char *)o);
        break;
    case BRINE_EV_LIST:
    case BRINE_EV_DICT:
        if (ev->anchor && (w->opts & W_REFS))
            return -1;
        *o++ = ev->kind == BRINE_EV_LIST ? '[' : '{';
        break;
    default: return -1;
    }
    w->cur = o;
    if (f->kind == JW_ARRAY)
        f->count++;
    else if (key) {
        f->count++;
        f->expect_key = 0;
    } else {
        f->expect_key = 1;
    }
    if (ev->kind == BRINE_EV_LIST || ev->kind == BRINE_EV_DICT) /* f may move */
        return push(w, ev->kind == BRINE_EV_LIST ? JW_ARRAY : JW_OBJECT, f->level + 1, 0) ? BRINE_OK : BRINE_E_NOMEM;
    return BRINE_OK;
}

/* Apart, so that the fast path's caller saves no registers for it. */
static __attribute__((noinline)) int enc_event_general(js_writer *w, const brine_event *ev)
{
    int rc = write_event(w, ev);
    if (rc)
        w->status = rc;
    return rc;
}

static int enc_event(brine_sink *sink, const brine_event *ev)
{
    js_writer *w = (js_writer *)sink;
    if (w->status)
        return w->status;
    int rc = write_common(w, ev);
    if (rc < 0)
        return enc_event_general(w, ev);
    if (rc)
        w->status = rc;
    return rc;
}

static int enc_finish(brine_sink *sink)
{
    js_writer *w = (js_writer *)sink;
    if (w->status)
        return w->status;
    if (!w->done)
        return w->status = fail(w, BRINE_E_INVALID, "the event stream ended inside a value");
    int rc = (w->opts & W_PRETTY) && !(w->opts & W_LINES) ? PUTS(w, "\n") : BRINE_OK;
    save_target(w);
    return w->status = rc;
}

static void enc_destroy(brine_sink *sink)
{
    js_writer *w = (js_writer *)sink;
    if (w->target == T_OUT)
        w->out->cur = w->cur;
    js_buf_free(&w->sort);
    js_buf_free(&w->key);
    js_buf_free(&w->raw);
    js_buf_free(&w->tmp);
    brine_free(w->entries);
    brine_free(w->stack);
    brine_free(w);
}

/* The indent option: "tab", or a number of spaces from 0 (compact, as jq's
 * --indent 0, where Python's indent=0 still breaks lines) to JS_INDENT_MAX.
 * Sets *width (0: not given) and *c; -1 for any other value. */
static int indent_option(const brine_options *opts, size_t *width, unsigned char *c)
{
    const char *v = brine_options_get(opts, "indent");
    *width = 0;
    *c = ' ';
    if (!v)
        return 0;
    if (strcmp(v, "tab") == 0) {
        *width = 1;
        *c = '\t';
        return 0;
    }
    size_t n = 0, i = 0;
    for (; v[i] >= '0' && v[i] <= '9' && i < 3; i++)
        n = n * 10 + (size_t)(v[i] - '0');
    if (i == 0 || v[i] || n > JS_INDENT_MAX)
        return -1;
    *width = n ? n : SIZE_MAX; /* SIZE_MAX: given as 0 */
    return 0;
}

static js_writer *writer_new(brine_output *out, const brine_options *opts, brine_error *err, int lines)
{
    unsigned o = js_lines_option(opts, lines) ? W_LINES : 0;
    size_t indent;
    unsigned char indent_char;
    if (indent_option(opts, &indent, &indent_char) != 0) {
        brine_error_set(err, BRINE_E_OPTION, "indent takes a number of spaces from 0 to %d, or tab; not '%s'",
                        JS_INDENT_MAX, brine_options_get(opts, "indent"));
        return NULL;
    }
    static const struct {
        const char *name;
        unsigned bit;
    } flags[] = {{"plain", W_PLAIN}, {"pretty", W_PRETTY}, {"sort_keys", W_SORT},
                 {"ascii", W_ASCII}, {"refs", W_REFS},     {"tagged", W_TAGGED}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (brine_options_flag(opts, flags[i].name))
            o |= flags[i].bit;
    /* indent=N says how, and wins over pretty (2 spaces); indent=0 is compact. */
    if (indent == SIZE_MAX)
        o &= ~W_PRETTY;
    else if (indent)
        o |= W_PRETTY;
    if ((o & W_PLAIN) && (o & W_REFS)) {
        brine_error_set(err, BRINE_E_OPTION, "the json options plain and refs cannot be combined");
        return NULL;
    }
    if ((o & W_PLAIN) && (o & W_TAGGED)) {
        brine_error_set(err, BRINE_E_OPTION, "the json options plain and tagged cannot be combined");
        return NULL;
    }
    if ((o & W_PRETTY) && (o & W_LINES)) {
        brine_error_set(err, BRINE_E_OPTION, "the json options %s and lines cannot be combined",
                        indent ? "indent" : "pretty");
        return NULL;
    }
    js_writer *w = brine_malloc(sizeof *w);
    if (!w) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    memset(w, 0, sizeof *w);
    w->sink.event = enc_event;
    w->sink.finish = enc_finish;
    w->sink.destroy = enc_destroy;
    /* Arrays as $array tags; plain leaves them to core, which sends
     * numpy's tolist() as nested lists. */
    w->sink.flags = ((o & W_REFS) ? BRINE_SINK_REFS : 0) | ((o & W_PLAIN) ? 0 : BRINE_SINK_ARRAYS);
    w->sink.err = err;
    w->out = out;
    w->opts = o;
    w->indent_char = indent_char;
    w->indent_width = indent && indent != SIZE_MAX ? indent : 2;
    w->unit_depth = (o & W_LINES) ? 1 : 0;
    w->target = T_OUT;
    w->cur = out->cur;
    w->end = out->end;
    return w;
}

brine_sink *js_encoder_new_as(brine_output *out, const brine_options *opts, brine_error *err, int lines)
{
    js_writer *w = writer_new(out, opts, err, lines);
    return w ? &w->sink : NULL;
}

brine_sink *js_encoder_new(brine_output *out, const brine_options *opts, brine_error *err)
{
    return js_encoder_new_as(out, opts, err, 0);
}

/* The kinds of value plain JSON lacks (shared containers only when written
 * as references). */
#define JS_LACKED_KINDS                                                                                                \
    (BRINE_KIND_TUPLE | BRINE_KIND_BYTES | BRINE_KIND_COMPLEX | BRINE_KIND_MODEL | BRINE_KIND_KEY |                    \
     BRINE_KIND_NONFINITE | BRINE_KIND_HUGE_INT | BRINE_KIND_ARRAY)

static int discard(void *ctx, const void *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    return 0;
}

/* Does v, written in auto mode with opts (NULL: the defaults) as one
 * document, need the envelope? It is written into nothing: an auto-mode
 * writer opens the envelope when the document starts with a value JSON
 * lacks and refuses one met later (refuse_plain), so either says yes. A
 * second pass, exact where the document's kinds are a superset: a value
 * folded away or removed leaves its kind behind, and output must be a
 * function of the graph alone, not of its history (equal graphs, equal
 * bytes: the round-trip fuzzers check it). BRINE_OK with *need set, or
 * the error that stopped the probe (out of memory, a cycle, the depth
 * limit: the real walk would meet it too), in err. */
static int probe_envelope(const js_writer *real, const brine_value *v, const brine_options *opts, int *need,
                          brine_error *err)
{
    brine_output o;
    brine_error e;
    brine_error_clear(&e);
    *need = 1;
    if (!v || envelope_like(real, v))
        return BRINE_OK;
    int rc = brine_output_init_callback(&o, discard, NULL, &e);
    if (rc) {
        if (err && !err->code)
            *err = e;
        return rc;
    }
    js_writer *w = writer_new(&o, opts, &e, 0);
    if (!w) {
        rc = e.code ? e.code : BRINE_E_NOMEM;
    } else {
        w->opts &= ~(W_LINES | W_PRETTY); /* one document; layout changes no choice */
        rc = brine_walk_options(v, &w->sink, opts, &e);
        *need = rc == BRINE_E_UNSUPPORTED || (rc == BRINE_OK && w->envelopes);
        if (rc == BRINE_E_UNSUPPORTED)
            rc = BRINE_OK;
        enc_destroy(&w->sink);
    }
    brine_output_destroy(&o);
    if (rc && err && !err->code)
        *err = e;
    return rc;
}

/* Does the line holding v need the envelope? Probed alone, without refs
 * (probe_envelope): only for lines of a graph whose kinds say that some
 * value may need it. An error (out of memory) says yes: the line's own
 * walk then meets it. */
static int line_probe(const js_writer *real, const brine_value *v)
{
    int need;
    return probe_envelope(real, v, NULL, &need, NULL) != BRINE_OK || need;
}

/* A reference or an anchored node: writing with references sends one for
 * a container really shared, or in a cycle (brine_walk_finds; the
 * document's SHARED kind is a superset). */
static int is_ref(const brine_event *ev)
{
    return ev->anchor || ev->kind == BRINE_EV_REF;
}

/* Is a document of v (v, or with lines each of its elements) a dict that a
 * sorted writer cannot write plain (envelope_like)? One lookup a document. */
static int envelope_in(const js_writer *w, const brine_value *v)
{
    if (!(w->opts & W_SORT))
        return 0;
    if (!(w->opts & W_LINES) || brine_type_of(v) != BRINE_LIST)
        return envelope_like(w, v);
    for (size_t i = 0, n = brine_seq_count(v); i < n; i++)
        if (envelope_like(w, brine_seq_get(v, i)))
            return 1;
    return 0;
}

/* Encoding a graph: auto mode decides before the first byte. The kinds of
 * v (O(1), a superset: brine.h) settle the common case, a document with
 * nothing JSON lacks, which is written plain at once. Otherwise a probe
 * decides exactly, so that the envelope comes only for a graph that needs
 * it: needs_envelope for one document; with `lines` each line is a
 * document of its own, probed as it starts (line_probe), unless references
 * are written and really join lines (sends_refs): then every line takes
 * the envelope. */
int js_encode_value_as(const brine_value *v, brine_output *out, const brine_options *opts, brine_error *err, int lines)
{
    js_writer *w = writer_new(out, opts, err, lines);
    if (!w)
        return err && err->code ? err->code : BRINE_E_NOMEM;
    unsigned kinds = brine_value_kinds(v), shared = (w->opts & W_REFS) ? kinds & BRINE_KIND_SHARED : 0;
    if (!(w->opts & (W_PLAIN | W_TAGGED)) && ((kinds & JS_LACKED_KINDS) || shared || envelope_in(w, v))) {
        if (!(w->opts & W_LINES)) {
            int need, rc = probe_envelope(w, v, opts, &need, err);
            if (rc != BRINE_OK) {
                enc_destroy(&w->sink);
                return rc;
            }
            if (need)
                w->opts |= W_TAGGED;
        } else if (shared && brine_walk_finds(v, opts, BRINE_SINK_REFS, is_ref)) {
            w->opts |= W_TAGGED;
        } else {
            w->lines = v;
        }
    }
    int rc = brine_walk_options(v, &w->sink, opts, err);
    enc_destroy(&w->sink);
    return rc;
}

int js_encode_value(const brine_value *v, brine_output *out, const brine_options *opts, brine_error *err)
{
    return js_encode_value_as(v, out, opts, err, 0);
}
