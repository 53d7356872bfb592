/* decode.c: the CBOR decoder, an iterative state machine over RFC 8949 that
 * turns bytes into brine events (one frame per open container on a heap
 * stack, so no input recurses on the C stack). Every declared length is
 * checked against the input before it is used or announced to the sink.
 * Tags that wrap one item without opening a container (28, 55799, bignums,
 * complex, typed arrays) are read inline. It does not use libcbor's
 * decoders: docs/cbor.md says why.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cb.h"

enum { CF_LIST, CF_DICT, CF_TUPLE, CF_MODEL, CF_WRAP, CF_SEQ };

#define CB_INDEF UINT64_MAX

typedef struct cb_frame {
    uint64_t count;   /* child items expected (a dict counts keys and values), or CB_INDEF */
    uint64_t idx;     /* child items read */
    uint64_t key_off; /* dicts: input offset of the current key, for error paths */
    uint8_t kind;     /* CF_* */
    uint8_t in_key;   /* the container is (inside) a dict key */
} cb_frame;

/* A value marked shareable (tag 28), by index in the order met. A
 * container is referenced by its anchor (index + 1); a scalar is sent
 * again, its bytes kept here. */
/* A part of an array (its dims, its typed array), which is no value of
 * its own. */
#define CB_SHARE_PART 3

typedef struct cb_share {
    int state; /* 0 being read, 1 container, 2 scalar, CB_SHARE_PART */
    brine_event ev;
    unsigned char *bytes; /* brine_malloc'd copy of a scalar's bytes */
} cb_share;

typedef struct cb_dec {
    brine_source *src;
    brine_sink *sink;
    brine_error *err;
    cb_opts o;
    size_t max_depth;
    cb_frame *stack;
    size_t depth, cap;
    unsigned char *scratch; /* indefinite strings joined, big ints */
    size_t scratch_cap;
    uint64_t value_off; /* input offset of the item being read */
    uint64_t pending;   /* a tag 28 was read: index + 1 of the next item; 0 for none */
    cb_share *shares;
    size_t nshares, shares_cap;
    int sink_refs;   /* the sink takes anchors and REF events (the builder does) */
    uint64_t resent; /* bytes of shared scalars sent again, against the expansion budget */
    brine_doc *dtypes;
} cb_dec;

static uint64_t cb_off(const cb_dec *d)
{
    return brine_source_offset(d->src);
}

/* The key at input offset off read back as the event it was, for a path:
 * ints and definite strings; anything else (or no longer in the window)
 * renders as [...]. */
static void cb_key_step(const cb_dec *d, char *path, size_t cap, uint64_t off)
{
    const brine_source *s = d->src;
    const unsigned char *p, *end = s->end;
    brine_event key = {.kind = BRINE_EV_END};
    unsigned major, ai;
    uint64_t arg;
    size_t w;
    if (off < s->base || off - s->base >= (uint64_t)(end - s->start))
        goto out;
    p = s->start + (off - s->base);
    major = p[0] >> 5;
    ai = p[0] & 0x1f;
    p++;
    if (ai > 27 || major > CB_TEXT)
        goto out;
    w = ai < 24 ? 0 : (size_t)1 << (ai - 24);
    if ((size_t)(end - p) < w)
        goto out;
    arg = w == 0 ? ai : w == 1 ? p[0] : w == 2 ? cb_load16(p) : w == 4 ? cb_load32(p) : cb_load64(p);
    p += w;
    if (major == CB_UINT) {
        key.kind = BRINE_EV_UINT;
        key.v.u = arg;
    } else if (major == CB_NEGINT) {
        if (arg > INT64_MAX)
            goto out;
        key.kind = BRINE_EV_INT;
        key.v.i = -1 - (int64_t)arg;
    } else {
        if ((uint64_t)(end - p) < arg)
            goto out;
        key.kind = major == CB_TEXT ? BRINE_EV_STR : BRINE_EV_BYTES;
        key.v.s.ptr = (const char *)p;
        key.v.s.len = (size_t)arg;
    }
out:
    brine_path_append_key(path, cap, &key);
}

static void cb_fill_path(const cb_dec *d, char *path, size_t cap)
{
    snprintf(path, cap, "$");
    for (size_t i = 0; i < d->depth; i++) {
        const cb_frame *f = &d->stack[i];
        if (f->kind == CF_DICT) {
            if (!(f->idx & 1))
                return; /* inside a key: the path of the dict */
            cb_key_step(d, path, cap, f->key_off);
        } else if (f->kind == CF_MODEL) {
            brine_path_append_name(path, cap, f->idx == 0 ? "args" : "state");
        } else if (f->kind == CF_WRAP) {
            brine_path_append_name(path, cap, "args");
            brine_path_append_index(path, cap, 1);
        } else {
            brine_path_append_index(path, cap, f->idx);
        }
    }
}

static int cb_fail(cb_dec *d, int code, uint64_t off, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int cb_fail(cb_dec *d, int code, uint64_t off, const char *fmt, ...)
{
    char msg[BRINE_ERROR_TEXT];
    va_list ap;
    if (!d->err || d->err->code != BRINE_OK)
        return code;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    brine_error_set_at(d->err, code, off, "%s", msg);
    cb_fill_path(d, d->err->path, sizeof d->err->path);
    return code;
}

static int cb_sink_failed(cb_dec *d, int rc)
{
    brine_error *err = d->err;
    int had = err && err->code != BRINE_OK;
    brine_error_merge_sink(err, d->sink, rc, d->value_off, NULL);
    if (err && !had && err->path[0] == '\0')
        cb_fill_path(d, err->path, sizeof err->path);
    return rc;
}

static int cb_need_more(cb_dec *d, uint64_t n, const char *what)
{
    brine_source *s = d->src;
    brine_error tmp;
    int rc;
    brine_error_clear(&tmp);
    rc = n > SIZE_MAX ? BRINE_E_TRUNCATED : brine_source_more(s, (size_t)n, &tmp);
    if (rc == BRINE_OK)
        return BRINE_OK;
    if (rc != BRINE_E_TRUNCATED) {
        if (d->err && d->err->code == BRINE_OK) {
            *d->err = tmp;
            cb_fill_path(d, d->err->path, sizeof d->err->path);
        }
        return rc;
    }
    return cb_fail(d, rc, s->base + (uint64_t)(s->end - s->start),
                   "truncated input: the %s at byte %llu needs %llu more bytes, %llu remain", what,
                   (unsigned long long)d->value_off, (unsigned long long)n, (unsigned long long)(s->end - s->cur));
}

/* Makes n bytes available at cur. */
static inline int cb_need(cb_dec *d, uint64_t n, const char *what)
{
    return (uint64_t)(d->src->end - d->src->cur) >= n ? BRINE_OK : cb_need_more(d, n, what);
}

/* Makes head + len bytes available at cur: a length from the input may
 * be anything up to 2^64 - 1, so the sum saturates instead of wrapping. */
static inline int cb_need_len(cb_dec *d, uint64_t head, uint64_t len, const char *what)
{
    return cb_need(d, len > UINT64_MAX - head ? UINT64_MAX : head + len, what);
}

static inline int cb_emit(cb_dec *d, const brine_event *ev)
{
    int rc = d->sink->event(d->sink, ev);
    return rc ? cb_sink_failed(d, rc) : BRINE_OK;
}

static int cb_emit_kind(cb_dec *d, brine_event_kind kind)
{
    brine_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    return cb_emit(d, &ev);
}

/* A pending tag 28 is taken by the item that follows it: its anchor. */
static uint64_t cb_take_share(cb_dec *d, int state)
{
    uint64_t id = d->pending;
    if (id) {
        d->shares[id - 1].state = state;
        d->pending = 0;
    }
    return d->sink_refs ? id : 0;
}

/* A scalar item: sent, and kept when it was marked shareable. */
static int cb_scalar(cb_dec *d, const brine_event *ev)
{
    if (d->pending) {
        cb_share *sh = &d->shares[d->pending - 1];
        sh->ev = *ev;
        if (ev->kind == BRINE_EV_STR || ev->kind == BRINE_EV_BYTES || ev->kind == BRINE_EV_BIGINT) {
            sh->bytes = brine_malloc(ev->v.s.len ? ev->v.s.len : 1);
            if (!sh->bytes)
                return cb_fail(d, BRINE_E_NOMEM, d->value_off, "out of memory");
            memcpy(sh->bytes, ev->v.s.ptr, ev->v.s.len);
            sh->ev.v.s.ptr = (const char *)sh->bytes;
        }
        cb_take_share(d, 2);
    }
    return cb_emit(d, ev);
}

/* Opens a container of `items` child items (CB_INDEF: until a break). For
 * CF_MODEL, name is its type; *open is 0 when it was empty and is closed
 * already. */
static int cb_open(cb_dec *d, int kind, uint64_t items, const char *name, size_t name_len, int *open)
{
    static const brine_event_kind kinds[] = {BRINE_EV_LIST,  BRINE_EV_DICT,  BRINE_EV_TUPLE,
                                             BRINE_EV_MODEL, BRINE_EV_MODEL, BRINE_EV_LIST};
    brine_event ev;
    cb_frame *f = d->depth ? &d->stack[d->depth - 1] : NULL;
    int rc;
    /* An array in a dict key reads as a tuple (a list is never hashable,
     * and this is how cbor2 reads one: immutable). */
    int in_key = f && (f->in_key || (f->kind == CF_DICT && !(f->idx & 1)));
    if (kind == CF_LIST && in_key)
        kind = CF_TUPLE;
    /* Every child takes at least one byte: the input must hold them before
     * the count reaches the sink, which may reserve memory for it. */
    if (items != CB_INDEF && items && (rc = cb_need(d, items, kind == CF_DICT ? "map" : "array")) != BRINE_OK)
        return rc;
    memset(&ev, 0, sizeof ev);
    ev.kind = kinds[kind];
    if (kind == CF_MODEL || kind == CF_WRAP) {
        ev.v.s.ptr = name;
        ev.v.s.len = name_len;
    } else {
        ev.v.count = items == CB_INDEF ? BRINE_COUNT_UNKNOWN : (size_t)(kind == CF_DICT ? items / 2 : items);
    }
    if (d->depth >= d->max_depth + 2)
        return cb_fail(d, BRINE_E_DEPTH, d->value_off, "maximum recursion depth exceeded while decoding");
    ev.anchor = cb_take_share(d, 1);
    if ((rc = cb_emit(d, &ev)) != BRINE_OK)
        return rc;
    if (items == 0) {
        *open = 0;
        return cb_emit_kind(d, BRINE_EV_END);
    }
    if (d->depth == d->cap && brine_plugin_grow((void **)&d->stack, &d->cap, d->depth + 1, sizeof *d->stack) != BRINE_OK)
        return cb_fail(d, BRINE_E_NOMEM, d->value_off, "out of memory");
    f = &d->stack[d->depth++];
    f->count = items;
    f->idx = 0;
    f->key_off = 0;
    f->kind = (uint8_t)kind;
    f->in_key = (uint8_t)in_key;
    *open = 1;
    return BRINE_OK;
}

/* A model with args of n scalars and no state: cbor.simple, cbor.undefined. */
static int cb_model_scalars(cb_dec *d, const char *name, const brine_event *args, size_t n)
{
    brine_event ev;
    int rc;
    memset(&ev, 0, sizeof ev);
    ev.kind = BRINE_EV_MODEL;
    ev.v.s.ptr = name;
    ev.v.s.len = strlen(name);
    ev.anchor = cb_take_share(d, 1);
    if ((rc = cb_emit(d, &ev)) != BRINE_OK)
        return rc;
    memset(&ev, 0, sizeof ev);
    ev.kind = BRINE_EV_TUPLE;
    ev.v.count = n;
    if ((rc = cb_emit(d, &ev)) != BRINE_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = cb_emit(d, &args[i])) != BRINE_OK)
            return rc;
    if ((rc = cb_emit_kind(d, BRINE_EV_END)) || (rc = cb_emit_kind(d, BRINE_EV_NULL)))
        return rc;
    return cb_emit_kind(d, BRINE_EV_END);
}

/* Reads the head at cur + at: major type, additional information and
 * argument (0 for an indefinite length), and its length. Reserved
 * additional information (28..30) is malformed. */
static int cb_head_at(cb_dec *d, size_t at, unsigned *major, unsigned *ai, uint64_t *arg, size_t *hlen,
                      const char *what)
{
    const unsigned char *p;
    size_t w;
    int rc;
    if ((rc = cb_need(d, (uint64_t)at + 1, what)) != BRINE_OK)
        return rc;
    p = d->src->cur + at;
    *major = p[0] >> 5;
    *ai = p[0] & 0x1f;
    if (*ai >= 28 && *ai <= 30)
        return cb_fail(d, BRINE_E_SYNTAX, cb_off(d) + at, "reserved additional information %u in byte 0x%02x", *ai,
                       p[0]);
    w = *ai < 24 || *ai == 31 ? 0 : (size_t)1 << (*ai - 24);
    if (w && (rc = cb_need(d, (uint64_t)at + 1 + w, what)) != BRINE_OK)
        return rc;
    p = d->src->cur + at + 1;
    *arg = *ai < 24    ? *ai
           : *ai == 31 ? 0
           : w == 1    ? p[0]
           : w == 2    ? cb_load16(p)
           : w == 4    ? cb_load32(p)
                       : cb_load64(p);
    *hlen = 1 + w;
    return BRINE_OK;
}

/* A big int from the magnitude n (len bytes, big-endian) of a bignum or a
 * negative int: n itself, or -1 - n when neg. Sent as INT or UINT when it
 * fits 64 bits (an int keeps no trace of its encoding), else as BIGINT
 * (two's complement, little-endian: -1 - n is ~n). */
static int cb_bigint(cb_dec *d, const unsigned char *p, uint64_t len, int neg)
{
    brine_event ev;
    size_t n;
    memset(&ev, 0, sizeof ev);
    while (len && p[0] == 0) {
        p++;
        len--;
    }
    if (len <= 8) {
        uint64_t u = 0;
        for (size_t i = 0; i < len; i++)
            u = u << 8 | p[i];
        if (!neg) {
            ev.kind = BRINE_EV_UINT;
            ev.v.u = u;
            return cb_scalar(d, &ev);
        }
        if (u <= INT64_MAX) {
            ev.kind = BRINE_EV_INT;
            ev.v.i = -1 - (int64_t)u;
            return cb_scalar(d, &ev);
        }
    }
    /* One more byte when the top bit is set, for the sign. */
    n = (size_t)len + (p[0] & 0x80 ? 1 : 0);
    if (n > d->scratch_cap && brine_plugin_grow((void **)&d->scratch, &d->scratch_cap, n, 1) != BRINE_OK)
        return cb_fail(d, BRINE_E_NOMEM, d->value_off, "out of memory");
    for (size_t i = 0; i < len; i++)
        d->scratch[i] = neg ? (unsigned char)~p[len - 1 - i] : p[len - 1 - i];
    if (n > len)
        d->scratch[len] = neg ? 0xff : 0x00;
    ev.kind = BRINE_EV_BIGINT;
    ev.v.s.ptr = (const char *)d->scratch;
    ev.v.s.len = n;
    return cb_scalar(d, &ev);
}

/* A text or byte string of len bytes at cur. */
static int cb_string(cb_dec *d, int text, const unsigned char *p, uint64_t len, uint64_t at)
{
    brine_event ev;
    size_t bad;
    int rc;
    memset(&ev, 0, sizeof ev);
    ev.kind = text ? BRINE_EV_STR : BRINE_EV_BYTES;
    ev.v.s.ptr = (const char *)p;
    ev.v.s.len = (size_t)len;
    if (text && d->o.utf8_bytes && brine_utf8_check(ev.v.s.ptr, ev.v.s.len) != ev.v.s.len)
        ev.kind = BRINE_EV_BYTES;
    if ((rc = cb_scalar(d, &ev)) == BRINE_OK || !text)
        return rc;
    /* Refused: if for its UTF-8, the error names the input's bad byte. */
    bad = brine_utf8_check(ev.v.s.ptr, ev.v.s.len);
    if (bad != ev.v.s.len && ev.kind == BRINE_EV_STR) {
        brine_error_clear(d->err);
        return cb_fail(
            d, BRINE_E_UTF8, at + bad,
            "invalid UTF-8 at byte %zu of a text string (decode with invalid_utf8=bytes to read it as bytes)", bad);
    }
    return rc;
}

/* Joins the chunks of an indefinite-length string of major type major
 * whose first chunk is at cur + *at into scratch (*used bytes); *at ends
 * past its break. Each chunk must be a definite string of that type.
 * consume: each chunk is consumed once copied (*at stays 0), so that a
 * streamed window never holds the whole string beside its copy. */
static int cb_join_at(cb_dec *d, unsigned major, size_t *at, size_t *used, int consume)
{
    const char *what = major == CB_TEXT ? "text string" : "byte string";
    int rc;
    *used = 0;
    for (;;) {
        unsigned m, a;
        uint64_t n;
        size_t h;
        if ((rc = cb_head_at(d, *at, &m, &a, &n, &h, what)) != BRINE_OK)
            return rc;
        if (d->src->cur[*at] == CB_BREAK) {
            *at += 1;
            return BRINE_OK;
        }
        if (m != major || a == 31)
            return cb_fail(d, BRINE_E_SYNTAX, cb_off(d) + *at,
                           "a chunk of an indefinite-length %s must be a definite-length %s", what, what);
        if ((rc = cb_need_len(d, (uint64_t)*at + h, n, what)) != BRINE_OK)
            return rc;
        if (n > d->scratch_cap - *used &&
            brine_plugin_grow((void **)&d->scratch, &d->scratch_cap, *used + (size_t)n, 1) != BRINE_OK)
            return cb_fail(d, BRINE_E_NOMEM, d->value_off, "out of memory");
        if (n) /* an empty chunk: scratch may still be NULL, which memcpy must not see */
            memcpy(d->scratch + *used, d->src->cur + *at + h, (size_t)n);
        *used += (size_t)n;
        if (consume)
            d->src->cur += h + (size_t)n;
        else
            *at += h + (size_t)n;
    }
}

/* A string whose head (hlen bytes, argument len) is at cur. */
static int cb_str(cb_dec *d, unsigned major, unsigned ai, uint64_t len, size_t hlen)
{
    brine_source *s = d->src;
    size_t used, at = 0;
    int rc;
    if (ai != 31) {
        if ((rc = cb_need_len(d, hlen, len, major == CB_TEXT ? "text string" : "byte string")) != BRINE_OK)
            return rc;
        s->cur += hlen;
        rc = cb_string(d, major == CB_TEXT, s->cur, len, cb_off(d));
        s->cur += len;
        return rc;
    }
    s->cur += hlen;
    if ((rc = cb_join_at(d, major, &at, &used, 1)) != BRINE_OK)
        return rc;
    s->cur += at; /* the break */
    return cb_string(d, major == CB_TEXT, used ? d->scratch : (const unsigned char *)"", used, d->value_off);
}

/* Floats and simple values (major type 7) whose head is at cur. */
static int cb_simple(cb_dec *d, unsigned ai, uint64_t arg, size_t hlen)
{
    brine_event ev;
    memset(&ev, 0, sizeof ev);
    if (ai == 24 && arg < 32)
        return cb_fail(d, BRINE_E_SYNTAX, d->value_off, "simple value %u must be written in one byte", (unsigned)arg);
    d->src->cur += hlen;
    switch (ai) {
    case 20:
    case 21:
        ev.kind = BRINE_EV_BOOL;
        ev.v.boolean = ai == 21;
        return cb_scalar(d, &ev);
    case 22: ev.kind = BRINE_EV_NULL; return cb_scalar(d, &ev);
    case 23: return cb_model_scalars(d, CB_MODEL_UNDEFINED, NULL, 0);
    case 25:
        ev.kind = BRINE_EV_FLOAT;
        ev.v.f = cb_half_to_double((unsigned)arg);
        return cb_scalar(d, &ev);
    case 26: {
        uint32_t u = (uint32_t)arg;
        float x;
        memcpy(&x, &u, sizeof x);
        ev.kind = BRINE_EV_FLOAT;
        ev.v.f = x;
        return cb_scalar(d, &ev);
    }
    case 27:
        ev.kind = BRINE_EV_FLOAT;
        memcpy(&ev.v.f, &arg, sizeof ev.v.f);
        return cb_scalar(d, &ev);
    default:
        ev.kind = BRINE_EV_UINT;
        ev.v.u = arg;
        return cb_model_scalars(d, CB_MODEL_SIMPLE, &ev, 1);
    }
}

/* The bytes a shared scalar sends again. */
static uint64_t cb_resent_size(const cb_share *sh)
{
    return 16 + (sh->ev.kind == BRINE_EV_STR || sh->ev.kind == BRINE_EV_BYTES || sh->ev.kind == BRINE_EV_BIGINT
                     ? sh->ev.v.s.len
                     : 0);
}

/* A shared scalar is sent again (n bytes); the bytes sent so count
 * against the expansion budget (docs/formats.md), so that 3-byte
 * references to one large string cannot grow the output without bound. */
static int cb_resend(cb_dec *d, uint64_t n)
{
    d->resent += n;
    if (d->resent > BRINE_DEFAULT_EXPAND_BYTES + (uint64_t)BRINE_DEFAULT_EXPAND_RATIO * cb_off(d))
        return cb_fail(d, BRINE_E_RANGE, d->value_off,
                       "shared references repeat %llu bytes of strings: past the expansion limit",
                       (unsigned long long)d->resent);
    return BRINE_OK;
}

/* Tag 29: a reference to the index-th shareable. */
static int cb_sharedref(cb_dec *d, uint64_t index)
{
    brine_event ev;
    cb_share *sh;
    if (index >= d->nshares || d->shares[index].state == 0)
        return cb_fail(d, BRINE_E_REF, d->value_off, "shared reference %llu names no shareable value before it",
                       (unsigned long long)index);
    sh = &d->shares[index];
    if (sh->state == CB_SHARE_PART)
        return cb_fail(d, BRINE_E_REF, d->value_off,
                       "shared reference %llu names a part of an array (its shape, its data), which is no value of its "
                       "own",
                       (unsigned long long)index);
    if (sh->state == 1) {
        /* A stream into a sink that stores no references (a transcode to
         * a format without them) cannot send the container again: it has
         * gone by. Decoding with refs makes core build the graph first. */
        if (!d->sink_refs)
            return cb_fail(d, BRINE_E_UNSUPPORTED, d->value_off,
                           "the input holds a shared reference (tag 29) the output cannot store: convert with the "
                           "reader option refs to write shared values out again");
        memset(&ev, 0, sizeof ev);
        ev.kind = BRINE_EV_REF;
        ev.v.ref = index + 1;
        return cb_scalar(d, &ev);
    }
    int rc = cb_resend(d, cb_resent_size(sh));
    return rc ? rc : cb_scalar(d, &sh->ev);
}

static int cb_dtypes(cb_dec *d)
{
    if (!d->dtypes && !(d->dtypes = brine_doc_new()))
        return cb_fail(d, BRINE_E_NOMEM, d->value_off, "out of memory");
    return BRINE_OK;
}

/* numpy's dtype.str of RFC 8746 typed array tag t (64..87), or NULL for
 * those brine has no type for (76 is unassigned; 83 and 87 are binary128). */
static const char *cb_typed_dtype(uint64_t t)
{
    static const char *const names[24] = {"|u1", ">u2", ">u4", ">u8", "|u1", "<u2", "<u4", "<u8",
                                          "|i1", ">i2", ">i4", ">i8", NULL,  "<i2", "<i4", "<i8",
                                          ">f2", ">f4", ">f8", NULL,  "<f2", "<f4", "<f8", NULL};
    return t >= CB_TAG_TYPED_LO && t <= CB_TAG_TYPED_HI ? names[t - CB_TAG_TYPED_LO] : NULL;
}

/* 1 if shape (ndim sizes) holds exactly len bytes of item-byte elements
 * (shape NULL: 1-d, any whole number of elements). A typed array whose
 * bytes do not fit is kept as the tag it came as, so that it writes back
 * the same (a text string under tag 77 read with invalid_utf8=bytes is
 * written back as a byte string). */
static int cb_array_fits(size_t item, unsigned ndim, const uint64_t *shape, uint64_t len)
{
    uint64_t count = 1;
    if (!shape)
        return len % item == 0;
    for (unsigned i = 0; i < ndim; i++) {
        if (shape[i] && count > UINT64_MAX / shape[i])
            return 0;
        count *= shape[i];
    }
    return count <= len / item && count * item == len;
}

/* The parts of an array read ahead of cur, before anything is consumed:
 * offsets from cur (the window may move while reading ahead, so pointers
 * are taken only at the end), and the tag 28s met inside. */
typedef struct cb_look {
    size_t at;                 /* the next item */
    size_t data_at;            /* a definite byte string's bytes */
    uint64_t data_len;         /* its length */
    const unsigned char *held; /* or the bytes outside the window: joined into scratch, or a shared scalar's */
    unsigned shares;           /* tag 28s around parts */
    uint64_t resent;           /* bytes of shared scalars named by tag 29s in it (cb_resend) */
} cb_look;

/* A tag 29 at look->at naming a shared scalar of event kind kind: *sh that
 * share (its bytes counted to resend), else NULL. */
static int cb_look_ref(cb_dec *d, cb_look *look, brine_event_kind kind, const cb_share **sh)
{
    unsigned m, a;
    uint64_t t, index;
    size_t h, h2;
    int rc;
    *sh = NULL;
    if ((rc = cb_head_at(d, look->at, &m, &a, &t, &h, "tag")) != BRINE_OK)
        return rc;
    if (m != CB_TAG || a == 31 || t != CB_TAG_SHAREDREF)
        return BRINE_OK;
    if ((rc = cb_head_at(d, look->at + h, &m, &a, &index, &h2, "shared reference")) != BRINE_OK)
        return rc;
    /* A tag 28 met earlier in this look marks a part of the array: no
     * value to name (read as values instead, the same items would be an
     * array after a round trip). */
    if (m == CB_UINT && index >= d->nshares && index - d->nshares < look->shares)
        return cb_fail(d, BRINE_E_REF, cb_off(d) + look->at,
                       "shared reference %llu names a part of an array (its shape, its data), which is no value of "
                       "its own",
                       (unsigned long long)index);
    if (m != CB_UINT || index >= d->nshares || d->shares[index].state != 2 || d->shares[index].ev.kind != kind)
        return BRINE_OK;
    look->at += h + h2;
    *sh = &d->shares[index];
    look->resent += cb_resent_size(*sh);
    return BRINE_OK;
}

/* Skips what does not change the item at look->at: tags 55799, and one
 * tag 28, counted (the regular reader refuses a second). */
static int cb_look_skip(cb_dec *d, cb_look *look, int *ok)
{
    int marked = 0, rc;
    for (;;) {
        unsigned m, a;
        uint64_t t;
        size_t h;
        if ((rc = cb_head_at(d, look->at, &m, &a, &t, &h, "tag")) != BRINE_OK)
            return rc;
        if (m != CB_TAG || a == 31 || (t != CB_TAG_SELF && t != CB_TAG_SHAREABLE))
            break;
        if (t == CB_TAG_SHAREABLE && marked++) {
            *ok = 0;
            return BRINE_OK;
        }
        look->at += h;
    }
    look->shares += (unsigned)marked;
    *ok = 1;
    return BRINE_OK;
}

/* A byte string at look->at, definite or indefinite (its chunks joined
 * into scratch). *ok 0 when it is none; malformed chunks are an error. */
static int cb_look_bytes(cb_dec *d, cb_look *look, int *ok)
{
    unsigned m, a;
    uint64_t n;
    size_t h, used;
    int rc;
    *ok = 0;
    const cb_share *sh;
    if ((rc = cb_look_skip(d, look, ok)) != BRINE_OK || !*ok)
        return rc;
    *ok = 0;
    if ((rc = cb_look_ref(d, look, BRINE_EV_BYTES, &sh)) != BRINE_OK)
        return rc;
    if (sh) {
        look->held = sh->bytes;
        look->data_len = sh->ev.v.s.len;
        *ok = 1;
        return BRINE_OK;
    }
    if ((rc = cb_head_at(d, look->at, &m, &a, &n, &h, "typed array")) != BRINE_OK)
        return rc;
    if (m != CB_BYTES)
        return BRINE_OK;
    look->at += h;
    if (a != 31) {
        if ((rc = cb_need_len(d, look->at, n, "typed array")) != BRINE_OK)
            return rc;
        look->data_at = look->at;
        look->data_len = n;
        look->at += (size_t)n;
        *ok = 1;
        return BRINE_OK;
    }
    if ((rc = cb_join_at(d, CB_BYTES, &look->at, &used, 0)) != BRINE_OK)
        return rc;
    look->data_len = used;
    look->held = used ? d->scratch : (const unsigned char *)"";
    *ok = 1;
    return BRINE_OK;
}

/* An array head at look->at: *items its count, or CB_INDEF. */
static int cb_look_array(cb_dec *d, cb_look *look, uint64_t *items, int *ok)
{
    unsigned m, a;
    size_t h;
    int rc;
    if ((rc = cb_look_skip(d, look, ok)) != BRINE_OK || !*ok)
        return rc;
    if ((rc = cb_head_at(d, look->at, &m, &a, items, &h, "array")) != BRINE_OK)
        return rc;
    *ok = m == CB_ARRAY;
    if (a == 31)
        *items = CB_INDEF;
    look->at += h;
    return BRINE_OK;
}

/* 1 in *end when the indefinite array being read ends at look->at. */
static int cb_look_break(cb_dec *d, cb_look *look, uint64_t items, uint64_t i, int *end)
{
    int rc;
    if (items != CB_INDEF) {
        *end = i == items;
        return BRINE_OK;
    }
    if ((rc = cb_need(d, (uint64_t)look->at + 1, "array")) != BRINE_OK)
        return rc;
    *end = d->src->cur[look->at] == CB_BREAK;
    look->at += (size_t)*end;
    return BRINE_OK;
}

/* A dimension at look->at: a uint, a bignum that fits 64 bits, or a
 * reference to a shared uint (an int keeps no trace of its encoding, so
 * each reads as the same shape). */
static int cb_look_dim(cb_dec *d, cb_look *look, uint64_t *dim, int *ok)
{
    unsigned m, a;
    uint64_t n;
    size_t h;
    const cb_share *sh;
    int rc;
    if ((rc = cb_look_skip(d, look, ok)) != BRINE_OK || !*ok)
        return rc;
    if ((rc = cb_look_ref(d, look, BRINE_EV_UINT, &sh)) != BRINE_OK || sh) {
        *dim = sh ? sh->ev.v.u : 0;
        return rc;
    }
    *ok = 0;
    if ((rc = cb_head_at(d, look->at, &m, &a, dim, &h, "array shape")) != BRINE_OK)
        return rc;
    if (m == CB_UINT) {
        look->at += h;
        *ok = 1;
        return BRINE_OK;
    }
    if (m != CB_TAG || *dim != CB_TAG_BIGNUM)
        return BRINE_OK;
    look->at += h;
    if ((rc = cb_head_at(d, look->at, &m, &a, &n, &h, "bignum")) != BRINE_OK)
        return rc;
    if (m != CB_BYTES || a == 31 || (rc = cb_need_len(d, (uint64_t)look->at + h, n, "bignum")) != BRINE_OK)
        return rc;
    look->at += h;
    *dim = 0;
    for (uint64_t i = 0; i < n; i++, look->at++) {
        if (*dim >> 56)
            return BRINE_OK; /* past 64 bits */
        *dim = *dim << 8 | d->src->cur[look->at];
    }
    *ok = 1;
    return BRINE_OK;
}

/* An array of at most BRINE_ARRAY_MAX_DIMS dimensions at look->at into
 * shape. *ok 0 when it is no such array. */
static int cb_look_shape(cb_dec *d, cb_look *look, uint64_t *shape, unsigned *ndim, int *ok)
{
    uint64_t items, i;
    int rc, end;
    if ((rc = cb_look_array(d, look, &items, ok)) != BRINE_OK || !*ok)
        return rc;
    for (i = 0;; i++) {
        if ((rc = cb_look_break(d, look, items, i, &end)) != BRINE_OK)
            return rc;
        if (end)
            break;
        if (i == BRINE_ARRAY_MAX_DIMS) {
            *ok = 0;
            return BRINE_OK;
        }
        if ((rc = cb_look_dim(d, look, &shape[i], ok)) != BRINE_OK || !*ok)
            return rc;
    }
    *ndim = (unsigned)i;
    return BRINE_OK;
}

/* The bytes of typed array tag t (64..87), whose content is at look->at:
 * *dt its type, or NULL when it is no typed array. */
static int cb_look_typed(cb_dec *d, cb_look *look, uint64_t t, const brine_dtype **dt)
{
    const char *name = cb_typed_dtype(t);
    int rc, ok;
    *dt = NULL;
    if (!name || (rc = cb_look_bytes(d, look, &ok)) != BRINE_OK || !ok || (rc = cb_dtypes(d)) != BRINE_OK)
        return name ? rc : BRINE_OK;
    if (!(*dt = brine_dtype_parse(d->dtypes, name, strlen(name), d->err)))
        return cb_fail(d, BRINE_E_NOMEM, d->value_off, "out of memory");
    return BRINE_OK;
}

/* The content of brine's array tag at look->at: [dtype, shape, data]. *dt
 * NULL when it is malformed: an error when report, else nothing. */
static int cb_look_brine(cb_dec *d, cb_look *look, int report, const brine_dtype **dt, uint64_t *shape,
                         unsigned *ndim)
{
    uint64_t n, len;
    unsigned m, a;
    size_t h;
    brine_error tmp;
    const brine_dtype *parsed;
    int rc, ok;
    *dt = NULL;
    if ((rc = cb_head_at(d, look->at, &m, &a, &n, &h, "array")) != BRINE_OK)
        return rc;
    if (m != CB_ARRAY || a == 31 || n != 3)
        goto bad;
    look->at += h;
    if ((rc = cb_head_at(d, look->at, &m, &a, &len, &h, "array")) != BRINE_OK)
        return rc;
    if (m != CB_TEXT || a == 31 || len > 64)
        goto bad;
    if ((rc = cb_need_len(d, (uint64_t)look->at + h, len, "array")) != BRINE_OK || (rc = cb_dtypes(d)) != BRINE_OK)
        return rc;
    brine_error_clear(&tmp);
    parsed = brine_dtype_parse(d->dtypes, (const char *)d->src->cur + look->at + h, (size_t)len, &tmp);
    if (!parsed)
        return !report ? BRINE_OK
                       : cb_fail(d, tmp.code == BRINE_E_UNSUPPORTED ? BRINE_E_UNSUPPORTED : BRINE_E_CORRUPT,
                                 cb_off(d) + look->at, "an array's dtype: %s", tmp.message);
    look->at += h + (size_t)len;
    if ((rc = cb_look_shape(d, look, shape, ndim, &ok)) != BRINE_OK)
        return rc;
    if (!ok)
        goto bad;
    if ((rc = cb_look_bytes(d, look, &ok)) != BRINE_OK)
        return rc;
    if (!ok)
        goto bad;
    if (!cb_array_fits(brine_dtype_itemsize(parsed), *ndim, shape, look->data_len))
        return !report ? BRINE_OK
                       : cb_fail(d, BRINE_E_CORRUPT, d->value_off,
                                 "an array's shape does not hold its data of %llu bytes of %zu-byte elements",
                                 (unsigned long long)look->data_len, brine_dtype_itemsize(parsed));
    *dt = parsed;
    return BRINE_OK;
bad:
    return !report ? BRINE_OK
                   : cb_fail(d, BRINE_E_CORRUPT, d->value_off, "an array (tag %d) must hold [dtype, shape, data]",
                             CB_TAG_ARRAY);
}

/* How deep tag 40s may nest in a tag 40's data (more is refused, so that
 * the look-ahead of each level stays bounded). */
#define CB_NDARRAY_NEST 16

/* The data of a tag 40 at look->at, as the writer could give a 1-d array
 * of it: a typed array; brine's array tag around a 1-d array of a type
 * with a typed array tag; or a tag 40 around a 1-d array of these. *dt
 * NULL when it is none of these. */
static int cb_look_data(cb_dec *d, cb_look *look, const brine_dtype **dt)
{
    uint64_t shape[BRINE_ARRAY_MAX_DIMS], want = CB_INDEF, items, t;
    unsigned m, a, ndim, breaks = 0;
    size_t h;
    int rc, ok, end;
    *dt = NULL;
    for (unsigned level = 0;; level++) {
        if ((rc = cb_look_skip(d, look, &ok)) != BRINE_OK || !ok)
            return rc;
        if ((rc = cb_head_at(d, look->at, &m, &a, &t, &h, "tag 40")) != BRINE_OK)
            return rc;
        if (m != CB_TAG || a == 31)
            return BRINE_OK;
        look->at += h;
        if (cb_typed_dtype(t)) {
            if ((rc = cb_look_typed(d, look, t, dt)) != BRINE_OK || !*dt)
                return rc;
            break;
        }
        if (t == CB_TAG_ARRAY && !d->o.plain) {
            if ((rc = cb_look_brine(d, look, 0, dt, shape, &ndim)) != BRINE_OK || !*dt)
                return rc;
            if (ndim != 1 || !cb_typed_tag(*dt)) {
                *dt = NULL; /* written back as it came, not as a typed array */
                return BRINE_OK;
            }
            break;
        }
        if (t != CB_TAG_NDARRAY)
            return BRINE_OK;
        if (level == CB_NDARRAY_NEST)
            return cb_fail(d, BRINE_E_UNSUPPORTED, d->value_off, "tag 40 nested more than %d deep in its data",
                           CB_NDARRAY_NEST);
        if ((rc = cb_look_array(d, look, &items, &ok)) != BRINE_OK || !ok || (items != 2 && items != CB_INDEF))
            return rc;
        if ((rc = cb_look_break(d, look, items, 0, &end)) != BRINE_OK || end ||
            (rc = cb_look_shape(d, look, shape, &ndim, &ok)) != BRINE_OK || !ok || ndim != 1 ||
            (want != CB_INDEF && shape[0] != want))
            return rc;
        want = shape[0];
        if ((rc = cb_look_break(d, look, items, 1, &end)) != BRINE_OK || end)
            return rc;
        breaks += items == CB_INDEF;
    }
    if (want != CB_INDEF && !cb_array_fits(brine_dtype_itemsize(*dt), 1, &want, look->data_len)) {
        *dt = NULL;
        return BRINE_OK;
    }
    /* The data is the last item of each tag 40 around it: their breaks follow. */
    for (; breaks; breaks--) {
        if ((rc = cb_look_break(d, look, CB_INDEF, 0, &end)) != BRINE_OK || !end) {
            *dt = NULL;
            return rc;
        }
    }
    return BRINE_OK;
}

/* Sends the array read ahead (shape NULL: 1-d), and consumes it. Its
 * tag 28s marked parts that are no values of their own: a reference to
 * one is an error (cb_sharedref). */
static int cb_array_event(cb_dec *d, const brine_dtype *dt, unsigned ndim, const uint64_t *shape,
                          const cb_look *look)
{
    brine_array_header h;
    brine_event ev;
    uint64_t one[1], count = 1;
    size_t item = brine_dtype_itemsize(dt);
    int rc;
    if (!shape) {
        one[0] = look->data_len / item;
        shape = one;
        ndim = 1;
    }
    for (unsigned i = 0; i < ndim; i++)
        count *= shape[i]; /* cb_array_fits: no overflow */
    if (look->resent && (rc = cb_resend(d, look->resent)) != BRINE_OK)
        return rc;
    memset(&h, 0, sizeof h);
    h.dtype = dt;
    h.ndim = ndim;
    h.shape = shape;
    h.count = count;
    h.data = look->held ? look->held : d->src->cur + look->data_at;
    h.data_len = (size_t)look->data_len;
    memset(&ev, 0, sizeof ev);
    ev.kind = BRINE_EV_ARRAY;
    ev.v.array = &h;
    ev.anchor = cb_take_share(d, 1);
    for (unsigned i = 0; i < look->shares; i++) {
        if (d->nshares == d->shares_cap &&
            brine_plugin_grow((void **)&d->shares, &d->shares_cap, d->nshares + 1, sizeof *d->shares) != BRINE_OK)
            return cb_fail(d, BRINE_E_NOMEM, d->value_off, "out of memory");
        memset(&d->shares[d->nshares], 0, sizeof *d->shares);
        d->shares[d->nshares++].state = CB_SHARE_PART;
    }
    rc = cb_emit(d, &ev);
    d->src->cur += look->at;
    return rc;
}

/* A typed array tag t (64..87) at cur (head hlen bytes), its bytes in
 * any serialisation (definite or not, tag 28 or 55799 before them, a
 * reference to shared bytes). *done 0 when it is no array: then it reads
 * as an ordinary tag. */
static int cb_typed(cb_dec *d, uint64_t t, size_t hlen, int *done)
{
    cb_look look = {.at = hlen};
    const brine_dtype *dt;
    int rc;
    *done = 0;
    if ((rc = cb_look_typed(d, &look, t, &dt)) != BRINE_OK || !dt)
        return rc;
    if (!cb_array_fits(brine_dtype_itemsize(dt), 0, NULL, look.data_len))
        return BRINE_OK; /* not whole elements: kept as a tag, as it came (and written back so) */
    *done = 1;
    return cb_array_event(d, dt, 0, NULL, &look);
}

/* Tag 40 at cur (head hlen bytes): [dims, data], in any serialisation
 * that means an array (definite or indefinite lengths, dims as bignums or
 * shared uints, tags 28 and 55799 around parts, the data in any form
 * cb_look_data takes), since the writer gives each in one form: reading
 * the same meaning two ways would not round-trip. *done 0 when the item
 * is another form (elements as a plain array): then it reads as an
 * ordinary tag. */
static int cb_ndarray(cb_dec *d, size_t hlen, int *done)
{
    uint64_t shape[BRINE_ARRAY_MAX_DIMS], items;
    unsigned ndim;
    cb_look look = {.at = hlen};
    const brine_dtype *dt;
    int rc, ok, end;
    *done = 0;
    if ((rc = cb_look_array(d, &look, &items, &ok)) != BRINE_OK || !ok || (items != 2 && items != CB_INDEF))
        return rc;
    if ((rc = cb_look_break(d, &look, items, 0, &end)) != BRINE_OK || end ||
        (rc = cb_look_shape(d, &look, shape, &ndim, &ok)) != BRINE_OK || !ok)
        return rc;
    if ((rc = cb_look_break(d, &look, items, 1, &end)) != BRINE_OK || end ||
        (rc = cb_look_data(d, &look, &dt)) != BRINE_OK || !dt)
        return rc;
    if ((rc = cb_look_break(d, &look, items, 2, &end)) != BRINE_OK || !end)
        return rc;
    if (!cb_array_fits(brine_dtype_itemsize(dt), ndim, shape, look.data_len))
        return BRINE_OK; /* not an array: kept as a tag, as it came */
    *done = 1;
    return cb_array_event(d, dt, ndim, shape, &look);
}

/* brine's array tag at cur (head hlen bytes): [dtype, shape, data]. */
static int cb_brine_array(cb_dec *d, size_t hlen)
{
    uint64_t shape[BRINE_ARRAY_MAX_DIMS];
    unsigned ndim;
    cb_look look = {.at = hlen};
    const brine_dtype *dt;
    int rc;
    if ((rc = cb_look_brine(d, &look, 1, &dt, shape, &ndim)) != BRINE_OK)
        return rc;
    return cb_array_event(d, dt, ndim, shape, &look);
}

/* brine's complex tag at cur: [re, im], each a float16/32/64. */
static int cb_complex(cb_dec *d, size_t hlen)
{
    brine_event ev;
    double part[2];
    unsigned m, a;
    uint64_t n;
    size_t at = hlen, h;
    int rc;
    if ((rc = cb_head_at(d, at, &m, &a, &n, &h, "complex")) != BRINE_OK)
        return rc;
    if (m != CB_ARRAY || a == 31 || n != 2)
        goto bad;
    at += h;
    for (int i = 0; i < 2; i++) {
        if ((rc = cb_head_at(d, at, &m, &a, &n, &h, "complex")) != BRINE_OK)
            return rc;
        if (m != CB_SIMPLE || a < 25 || a > 27)
            goto bad;
        if (a == 25) {
            part[i] = cb_half_to_double((unsigned)n);
        } else if (a == 26) {
            uint32_t u = (uint32_t)n;
            float x;
            memcpy(&x, &u, sizeof x);
            part[i] = x;
        } else {
            memcpy(&part[i], &n, sizeof part[i]);
        }
        at += h;
    }
    d->src->cur += at;
    memset(&ev, 0, sizeof ev);
    ev.kind = BRINE_EV_COMPLEX;
    ev.v.c.re = part[0];
    ev.v.c.im = part[1];
    return cb_scalar(d, &ev);
bad:
    return cb_fail(d, BRINE_E_CORRUPT, d->value_off, "a complex (tag %d) must hold [re, im], two floats",
                   CB_TAG_COMPLEX);
}

/* brine's model tag at cur: [name, args, state]; the name is read here,
 * args and state as the model's two children. */
static int cb_model(cb_dec *d, size_t hlen, int *open)
{
    brine_source *s = d->src;
    unsigned m, a;
    uint64_t n, len;
    size_t at = hlen, h, bad;
    int rc;
    if ((rc = cb_head_at(d, at, &m, &a, &n, &h, "model")) != BRINE_OK)
        return rc;
    if (m != CB_ARRAY || a == 31 || n != 3)
        goto corrupt;
    at += h;
    if ((rc = cb_head_at(d, at, &m, &a, &len, &h, "model")) != BRINE_OK)
        return rc;
    if (m != CB_TEXT || a == 31)
        goto corrupt;
    if ((rc = cb_need_len(d, (uint64_t)at + h, len, "model name")) != BRINE_OK)
        return rc;
    bad = brine_utf8_check((const char *)s->cur + at + h, (size_t)len);
    if (bad != len)
        return cb_fail(d, BRINE_E_UTF8, cb_off(d) + at + h + bad, "invalid UTF-8 in a model's name");
    s->cur += at + h + len;
    return cb_open(d, CF_MODEL, 2, (const char *)s->cur - len, (size_t)len, open);
corrupt:
    return cb_fail(d, BRINE_E_CORRUPT, d->value_off, "a model (tag %d) must hold [name, args, state]", CB_TAG_MODEL);
}

/* Any other tag (number t, head hlen bytes at cur): the model cbor.tag
 * with args (t, item), the item read next as the wrapper's child. */
static int cb_wrap(cb_dec *d, uint64_t t, size_t hlen, int *open)
{
    brine_event ev;
    int rc;
    d->src->cur += hlen;
    if ((rc = cb_open(d, CF_WRAP, 1, CB_MODEL_TAG, strlen(CB_MODEL_TAG), open)) != BRINE_OK)
        return rc;
    memset(&ev, 0, sizeof ev);
    ev.kind = BRINE_EV_TUPLE;
    ev.v.count = 2;
    if ((rc = cb_emit(d, &ev)) != BRINE_OK)
        return rc;
    ev.kind = BRINE_EV_UINT;
    ev.v.u = t;
    return cb_emit(d, &ev);
}

/* A tag whose head is at cur. *open is 1 when it opened a container (or
 * left a pending tag 28) whose content follows. */
static int cb_tag(cb_dec *d, uint64_t t, size_t hlen, int *open)
{
    brine_source *s = d->src;
    unsigned m, a;
    uint64_t n;
    size_t h;
    int rc, done;
    *open = 0;
    switch (t) {
    case CB_TAG_SELF:
        s->cur += hlen;
        *open = 1;
        return BRINE_OK;
    case CB_TAG_SHAREABLE:
        if (d->pending)
            return cb_fail(d, BRINE_E_CORRUPT, d->value_off, "a shareable (tag 28) must not wrap another");
        if (d->nshares == d->shares_cap &&
            brine_plugin_grow((void **)&d->shares, &d->shares_cap, d->nshares + 1, sizeof *d->shares) != BRINE_OK)
            return cb_fail(d, BRINE_E_NOMEM, d->value_off, "out of memory");
        memset(&d->shares[d->nshares], 0, sizeof *d->shares);
        d->pending = ++d->nshares;
        s->cur += hlen;
        *open = 1;
        return BRINE_OK;
    case CB_TAG_SHAREDREF:
        if ((rc = cb_head_at(d, hlen, &m, &a, &n, &h, "shared reference")) != BRINE_OK)
            return rc;
        if (m != CB_UINT)
            return cb_fail(d, BRINE_E_CORRUPT, d->value_off, "a shared reference (tag 29) must hold a uint");
        s->cur += hlen + h;
        return cb_sharedref(d, n);
    case CB_TAG_BIGNUM:
    case CB_TAG_NEGBIGNUM:
        if ((rc = cb_head_at(d, hlen, &m, &a, &n, &h, "bignum")) != BRINE_OK)
            return rc;
        if (m != CB_BYTES || a == 31)
            return cb_fail(d, BRINE_E_CORRUPT, d->value_off, "a bignum (tag %u) must hold a definite byte string",
                           (unsigned)t);
        if ((rc = cb_need_len(d, (uint64_t)hlen + h, n, "bignum")) != BRINE_OK)
            return rc;
        s->cur += hlen + h + n;
        return cb_bigint(d, s->cur - n, n, t == CB_TAG_NEGBIGNUM);
    case CB_TAG_NDARRAY:
        if ((rc = cb_ndarray(d, hlen, &done)) != BRINE_OK || done)
            return rc;
        break;
    default:
        if (cb_typed_dtype(t)) {
            if ((rc = cb_typed(d, t, hlen, &done)) != BRINE_OK || done)
                return rc;
            break; /* not a typed array: kept as a tag */
        }
        if (d->o.plain || t < CB_TAG_TUPLE || t > CB_TAG_ARRAY)
            break;
        if (t == CB_TAG_COMPLEX)
            return cb_complex(d, hlen);
        if (t == CB_TAG_MODEL)
            return cb_model(d, hlen, open);
        if (t == CB_TAG_ARRAY)
            return cb_brine_array(d, hlen);
        /* A tuple: the array that follows. */
        if ((rc = cb_head_at(d, hlen, &m, &a, &n, &h, "tuple")) != BRINE_OK)
            return rc;
        if (m != CB_ARRAY)
            return cb_fail(d, BRINE_E_CORRUPT, d->value_off, "a tuple (tag %d) must hold an array", CB_TAG_TUPLE);
        s->cur += hlen + h;
        return cb_open(d, CF_TUPLE, a == 31 ? CB_INDEF : n, NULL, 0, open);
    }
    return cb_wrap(d, t, hlen, open);
}

/* Closes the innermost frame. */
static int cb_close(cb_dec *d)
{
    cb_frame *f = &d->stack[--d->depth];
    int rc;
    if (f->kind == CF_WRAP) {
        if ((rc = cb_emit_kind(d, BRINE_EV_END)) || (rc = cb_emit_kind(d, BRINE_EV_NULL)))
            return rc;
    }
    return cb_emit_kind(d, BRINE_EV_END);
}

/* A complete item was read: count it and close every container now
 * complete. *top is 1 once the top value is done. */
static int cb_value_done(cb_dec *d, int *top)
{
    int rc;
    *top = 0;
    while (d->depth) {
        cb_frame *f = &d->stack[d->depth - 1];
        f->idx++;
        if (f->kind == CF_SEQ || f->count == CB_INDEF || f->idx < f->count)
            return BRINE_OK;
        if ((rc = cb_close(d)) != BRINE_OK)
            return rc;
    }
    *top = 1;
    return BRINE_OK;
}

static int cb_open_seq(cb_dec *d)
{
    int rc;
    brine_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = BRINE_EV_LIST;
    ev.v.count = BRINE_COUNT_UNKNOWN;
    d->value_off = cb_off(d);
    if ((rc = cb_emit(d, &ev)) != BRINE_OK)
        return rc;
    if (brine_plugin_grow((void **)&d->stack, &d->cap, 1, sizeof *d->stack) != BRINE_OK)
        return cb_fail(d, BRINE_E_NOMEM, d->value_off, "out of memory");
    memset(d->stack, 0, sizeof *d->stack);
    d->stack[0].kind = CF_SEQ;
    d->depth = 1;
    return BRINE_OK;
}

static int cb_run(cb_dec *d)
{
    brine_source *s = d->src;
    brine_event ev;
    int rc, open, top;
    if (d->o.sequence && (rc = cb_open_seq(d)) != BRINE_OK)
        return rc;
    memset(&ev, 0, sizeof ev);
    for (;;) {
        cb_frame *f = d->depth ? &d->stack[d->depth - 1] : NULL;
        unsigned major, ai;
        uint64_t arg;
        size_t hlen;
        d->value_off = cb_off(d);
        if (f && f->kind == CF_SEQ && !d->pending && brine_source_at_end(s)) {
            d->depth--;
            return cb_emit_kind(d, BRINE_EV_END);
        }
        if ((rc = cb_need(d, 1, "item")) != BRINE_OK)
            return rc;
        if (s->cur[0] == CB_BREAK) {
            if (!f || f->count != CB_INDEF || d->pending || (f->kind == CF_DICT && (f->idx & 1)))
                return cb_fail(d, BRINE_E_SYNTAX, d->value_off,
                               f && f->kind == CF_DICT && (f->idx & 1)
                                   ? "a map ends (break) after a key without its value"
                                   : "a break (0xff) outside an indefinite-length item");
            s->cur++;
            if ((rc = cb_close(d)) != BRINE_OK)
                return rc;
            goto done;
        }
        if (f && f->kind == CF_DICT && !(f->idx & 1))
            f->key_off = d->value_off;
        if ((size_t)(s->end - s->cur) >= 9 && (s->cur[0] & 0x1f) < 28) {
            /* The head is in the window: read it here (most items). */
            const unsigned char *p = s->cur;
            major = p[0] >> 5;
            ai = p[0] & 0x1f;
            if (ai < 24) {
                arg = ai;
                hlen = 1;
            } else {
                hlen = (size_t)1 << (ai - 24);
                arg = hlen == 1 ? p[1] : hlen == 2 ? cb_load16(p + 1) : hlen == 4 ? cb_load32(p + 1) : cb_load64(p + 1);
                hlen++;
            }
        } else if ((rc = cb_head_at(d, 0, &major, &ai, &arg, &hlen, "item")) != BRINE_OK) {
            return rc;
        }
        if (ai == 31 && (major == CB_UINT || major == CB_NEGINT || major == CB_TAG || major == CB_SIMPLE))
            return cb_fail(d, BRINE_E_SYNTAX, d->value_off, "byte 0x%02x is not well-formed CBOR", s->cur[0]);
        open = 0;
        switch (major) {
        case CB_UINT:
            s->cur += hlen;
            ev.kind = BRINE_EV_UINT;
            ev.v.u = arg;
            rc = cb_scalar(d, &ev);
            break;
        case CB_NEGINT:
            if (arg <= INT64_MAX) {
                s->cur += hlen;
                ev.kind = BRINE_EV_INT;
                ev.v.i = -1 - (int64_t)arg;
                rc = cb_scalar(d, &ev);
            } else {
                unsigned char be[8];
                for (int i = 0; i < 8; i++)
                    be[i] = (unsigned char)(arg >> (56 - 8 * i));
                s->cur += hlen;
                rc = cb_bigint(d, be, 8, 1);
            }
            break;
        case CB_BYTES:
        case CB_TEXT: rc = cb_str(d, major, ai, arg, hlen); break;
        case CB_ARRAY:
            if (ai != 31 && arg == CB_INDEF) /* 2^64 - 1 items: more than any input holds */
                return cb_need(d, UINT64_MAX, "array");
            s->cur += hlen;
            rc = cb_open(d, CF_LIST, ai == 31 ? CB_INDEF : arg, NULL, 0, &open);
            break;
        case CB_MAP:
            if (ai != 31 && arg > UINT64_MAX / 2)
                return cb_need(d, UINT64_MAX, "map");
            s->cur += hlen;
            rc = cb_open(d, CF_DICT, ai == 31 ? CB_INDEF : arg * 2, NULL, 0, &open);
            break;
        case CB_TAG: rc = cb_tag(d, arg, hlen, &open); break;
        default: rc = cb_simple(d, ai, arg, hlen); break;
        }
        if (rc != BRINE_OK)
            return rc;
        if (open)
            continue;
    done:
        if ((rc = cb_value_done(d, &top)) != BRINE_OK)
            return rc;
        if (top)
            return BRINE_OK;
    }
}

int cb_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err)
{
    cb_dec d;
    int rc;
    memset(&d, 0, sizeof d);
    d.src = src;
    d.sink = sink;
    d.err = err;
    d.sink_refs = (sink->flags & BRINE_SINK_REFS) != 0;
    d.max_depth = brine_options_max_depth(opts);
    if ((rc = cb_opts_parse(opts, &d.o, err)) != BRINE_OK)
        return rc;
    rc = cb_run(&d);
    if (rc == BRINE_OK && !d.o.sequence && !brine_source_at_end(src))
        rc = cb_fail(&d, BRINE_E_SYNTAX, cb_off(&d),
                     "extra data after the CBOR item (decode with the sequence option to read them all)");
    for (size_t i = 0; i < d.nshares; i++)
        brine_free(d.shares[i].bytes);
    brine_free(d.shares);
    brine_free(d.stack);
    brine_free(d.scratch);
    brine_doc_free(d.dtypes);
    return rc;
}
