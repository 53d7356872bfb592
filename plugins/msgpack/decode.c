/* decode.c: the MessagePack decoder, an iterative state machine over the
 * spec that turns bytes into brine events (one frame per open container on
 * a heap stack). Every declared length is checked against the input before
 * it is used or announced to the sink, so a hostile length costs nothing.
 * It does not use msgpack_unpack: docs/msgpack.md says why. For
 * brine_decode it runs on the direct builder (d->direct, #23): the common
 * values, containers and their ends are builder calls, the rare ones
 * (models, big ints, complex numbers, arrays, refs) the same events as
 * ever, sent to the builder's sink.
 */
#include <stdarg.h>
#include <stdio.h>

#include "mp.h"

enum { MPF_LIST, MPF_DICT, MPF_TUPLE, MPF_MODEL, MPF_SEQ };

typedef struct mp_frame {
    uint64_t remaining; /* child values still to read; a dict counts keys and values */
    uint64_t total;     /* child values in all: the current child is total - remaining */
    uint64_t ext_end;   /* input offset where the ext payload holding the container ends, 0 if none */
    uint64_t key_off;   /* dicts: input offset of the current key, for error paths */
    int kind;           /* MPF_* */
    int in_key;         /* the container is (inside) a dict key */
} mp_frame;

typedef struct mp_dec {
    brine_source *src;
    brine_sink *sink;
    brine_direct *direct; /* the builder, called directly; NULL on the event path */
    brine_error *err;
    mp_opts o;
    size_t max_depth;
    mp_frame *stack;
    size_t depth; /* frames in use */
    size_t cap;
    unsigned char *scratch; /* big int bytes, reversed to little-endian */
    size_t scratch_cap;
    uint64_t value_off;  /* input offset of the value being read */
    uint64_t anchor;     /* id of an ext 84 read just before, for the next container; 0 for none */
    uint64_t anchor_end; /* where that anchor's payload ends */
    brine_doc *dtypes;   /* the arrays' dtypes (made on the first array) */
} mp_dec;

static uint64_t mp_off(const mp_dec *d)
{
    return brine_source_offset(d->src);
}

/* The key at input offset off, read back from the input as the event it
 * was (a key that is a container, an ext, or no longer in the window of a
 * file source: none, rendered [...]). */
static void mp_key_step(const mp_dec *d, char *path, size_t cap, uint64_t off)
{
    const brine_source *s = d->src;
    const unsigned char *p, *end = s->end;
    brine_event key = {.kind = BRINE_EV_END};
    uint64_t len = 0, u = 0;
    unsigned b;
    if (off < s->base || off - s->base >= (uint64_t)(end - s->start))
        goto out;
    p = s->start + (off - s->base);
    b = *p++;
    if (b <= 0x7f || b >= 0xe0) {
        key.kind = BRINE_EV_INT;
        key.v.i = (int8_t)b;
    } else if (b == 0xc0) {
        key.kind = BRINE_EV_NULL;
    } else if (b == 0xc2 || b == 0xc3) {
        key.kind = BRINE_EV_BOOL;
        key.v.boolean = b == 0xc3;
    } else if (b >= 0xcc && b <= 0xd3) {
        size_t w = (size_t)1 << ((b - 0xcc) & 3);
        if ((size_t)(end - p) < w)
            goto out;
        u = w == 1 ? p[0] : w == 2 ? mp_load16(p) : w == 4 ? mp_load32(p) : mp_load64(p);
        if (b >= 0xd0 && w < 8 && (u >> (w * 8 - 1)) & 1)
            u |= ~((UINT64_C(1) << (w * 8)) - 1); /* sign-extended */
        key.kind = b >= 0xd0 ? BRINE_EV_INT : BRINE_EV_UINT;
        key.v.u = u;
    } else if (b == 0xca || b == 0xcb) {
        size_t w = b == 0xca ? 4 : 8;
        if ((size_t)(end - p) < w)
            goto out;
        key.kind = BRINE_EV_FLOAT;
        if (w == 4) {
            uint32_t bits = mp_load32(p);
            float f;
            memcpy(&f, &bits, sizeof f);
            key.v.f = f;
        } else {
            uint64_t bits = mp_load64(p);
            memcpy(&key.v.f, &bits, sizeof key.v.f);
        }
    } else if ((b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb) || (b >= 0xc4 && b <= 0xc6)) {
        size_t w = b <= 0xbf ? 0 : b >= 0xd9 ? (size_t)1 << (b - 0xd9) : (size_t)1 << (b - 0xc4);
        if ((size_t)(end - p) < w)
            goto out;
        len = w == 0 ? (b & 0x1f) : w == 1 ? p[0] : w == 2 ? mp_load16(p) : mp_load32(p);
        p += w;
        if ((uint64_t)(end - p) < len)
            goto out;
        key.kind = b <= 0xc6 && b >= 0xc4 ? BRINE_EV_BYTES : BRINE_EV_STR;
        key.v.s.ptr = (const char *)p;
        key.v.s.len = (size_t)len;
    }
out:
    brine_path_append_key(path, cap, &key);
}

/* Writes the path of the value being read: the child index of every open
 * frame, a dict's key read back from the input. */
static void mp_fill_path(const mp_dec *d, char *path, size_t cap)
{
    snprintf(path, cap, "$");
    for (size_t i = 0; i < d->depth; i++) {
        const mp_frame *f = &d->stack[i];
        uint64_t idx = f->total - f->remaining;
        if (f->kind == MPF_DICT) {
            if (!(idx & 1))
                return; /* inside a key: the path of the dict */
            mp_key_step(d, path, cap, f->key_off);
        } else if (f->kind == MPF_MODEL) {
            brine_path_append_name(path, cap, idx == 0 ? "args" : "state");
        } else {
            brine_path_append_index(path, cap, idx);
        }
    }
}

/* Fills err (first error wins) with the message, offset and path. */
static int mp_fail(mp_dec *d, int code, uint64_t off, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int mp_fail(mp_dec *d, int code, uint64_t off, const char *fmt, ...)
{
    char msg[BRINE_ERROR_TEXT];
    va_list ap;
    if (!d->err || d->err->code != BRINE_OK)
        return code;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    brine_error_set_at(d->err, code, off, "%s", msg);
    mp_fill_path(d, d->err->path, sizeof d->err->path);
    return code;
}

/* The sink has filled its error; add the offset it cannot know (and the
 * path, when the sink gave none). */
static int mp_sink_failed(mp_dec *d, int rc)
{
    brine_error *err = d->err;
    int had = err && err->code != BRINE_OK;
    brine_error_merge_sink(err, d->sink, rc, d->value_off, NULL);
    if (err && !had && err->path[0] == '\0')
        mp_fill_path(d, err->path, sizeof err->path);
    return rc;
}

/* The slow path of mp_need: read more input, or fail naming what needed it. */
static int mp_need_more(mp_dec *d, uint64_t n, const char *what)
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
            mp_fill_path(d, d->err->path, sizeof d->err->path);
        }
        return rc;
    }
    return mp_fail(d, rc, s->base + (uint64_t)(s->end - s->start),
                   "truncated input: the %s at byte %llu needs %llu more bytes, %llu remain", what,
                   (unsigned long long)d->value_off, (unsigned long long)n, (unsigned long long)(s->end - s->cur));
}

/* Makes n bytes available at cur. */
static inline int mp_need(mp_dec *d, uint64_t n, const char *what)
{
    return (uint64_t)(d->src->end - d->src->cur) >= n ? BRINE_OK : mp_need_more(d, n, what);
}

static inline int mp_emit(mp_dec *d, const brine_event *ev)
{
    int rc = d->sink->event(d->sink, ev);
    return rc ? mp_sink_failed(d, rc) : BRINE_OK;
}

/* Scalars: an anchor before one is a broken stream (only containers can be
 * shared). */
static inline int mp_scalar(mp_dec *d, const brine_event *ev)
{
    if (d->anchor)
        return mp_fail(d, BRINE_E_CORRUPT, d->value_off, "an anchor (ext %d) must wrap a container", MP_EXT_ANCHOR);
    return mp_emit(d, ev);
}

/* The outcome of a direct builder call (the builder has filled err). */
static inline int mp_direct_rc(mp_dec *d, int rc)
{
    return rc ? mp_sink_failed(d, rc) : BRINE_OK;
}

/* The common scalars: a builder call on the direct path (unless an anchor
 * waits, which mp_scalar refuses), else an event. */
static inline int mp_int(mp_dec *d, int64_t i)
{
    brine_event ev;
    if (d->direct && !d->anchor)
        return mp_direct_rc(d, brine_direct_int(d->direct, i));
    ev.kind = BRINE_EV_INT;
    ev.anchor = 0;
    ev.v.i = i;
    return mp_scalar(d, &ev);
}

static inline int mp_uint(mp_dec *d, uint64_t u)
{
    brine_event ev;
    if (d->direct && !d->anchor)
        return mp_direct_rc(d, brine_direct_uint(d->direct, u));
    ev.kind = u > INT64_MAX ? BRINE_EV_UINT : BRINE_EV_INT;
    ev.anchor = 0;
    ev.v.u = u;
    return mp_scalar(d, &ev);
}

static inline int mp_float(mp_dec *d, double x)
{
    brine_event ev;
    if (d->direct && !d->anchor)
        return mp_direct_rc(d, brine_direct_float(d->direct, x));
    ev.kind = BRINE_EV_FLOAT;
    ev.anchor = 0;
    ev.v.f = x;
    return mp_scalar(d, &ev);
}

static int mp_null_bool(mp_dec *d, unsigned b)
{
    brine_event ev;
    if (d->direct && !d->anchor)
        return mp_direct_rc(d, b == 0xc0 ? brine_direct_null(d->direct) : brine_direct_bool(d->direct, b == 0xc3));
    ev.kind = b == 0xc0 ? BRINE_EV_NULL : BRINE_EV_BOOL;
    ev.anchor = 0;
    ev.v.boolean = b == 0xc3;
    return mp_scalar(d, &ev);
}

static int mp_end(mp_dec *d)
{
    brine_event ev;
    if (d->direct)
        return mp_direct_rc(d, brine_direct_close(d->direct));
    ev.kind = BRINE_EV_END;
    ev.anchor = 0;
    return mp_emit(d, &ev);
}

/* Takes a pending anchor for a container whose ext payload (if any) ends at
 * *ext_end: both must end at the same byte. */
static int mp_take_anchor(mp_dec *d, uint64_t *ext_end, uint64_t *anchor)
{
    *anchor = d->anchor;
    if (!d->anchor)
        return BRINE_OK;
    if (*ext_end && *ext_end != d->anchor_end)
        return mp_fail(d, BRINE_E_CORRUPT, d->value_off, "the anchored value does not fill the anchor's payload");
    *ext_end = d->anchor_end;
    d->anchor = 0;
    return BRINE_OK;
}

/* Opens a container of `items` child values (a dict's keys and values both
 * count). *open is 1 when children follow, 0 when it was empty and is
 * closed already. */
static int mp_open(mp_dec *d, int kind, uint64_t items, uint64_t ext_end, const char *name, size_t name_len, int *open)
{
    static const brine_event_kind kinds[] = {BRINE_EV_LIST, BRINE_EV_DICT, BRINE_EV_TUPLE, BRINE_EV_MODEL,
                                             BRINE_EV_LIST};
    brine_event ev;
    mp_frame *f = d->depth ? &d->stack[d->depth - 1] : NULL;
    int rc;
    /* An array in a dict key reads as a tuple, as msgpack-python's
     * use_list=False reads it: a list is never hashable, and this is how
     * plain msgpack (ours and others') writes a tuple key. */
    int in_key = f && (f->in_key || (f->kind == MPF_DICT && !((f->total - f->remaining) & 1)));
    if (kind == MPF_LIST && in_key)
        kind = MPF_TUPLE;
    /* Every child takes at least one byte, so the input must hold as many
     * bytes as children before the count reaches the sink (which may
     * reserve memory for it). */
    if (items && (rc = mp_need(d, items, kind == MPF_DICT ? "map" : "array")) != BRINE_OK)
        return rc;
    ev.kind = kinds[kind];
    if ((rc = mp_take_anchor(d, &ext_end, &ev.anchor)) != BRINE_OK)
        return rc;
    if (ext_end && (mp_off(d) > ext_end || items > ext_end - mp_off(d)))
        return mp_fail(d, BRINE_E_CORRUPT, d->value_off, "a container of %llu values does not fit its ext payload",
                       (unsigned long long)items);
    if (kind == MPF_MODEL) {
        ev.v.s.ptr = name;
        ev.v.s.len = name_len;
    } else {
        ev.v.count = (size_t)(kind == MPF_DICT ? items / 2 : items);
    }
    if (d->depth >= d->max_depth + 2)
        return mp_fail(d, BRINE_E_DEPTH, d->value_off, "maximum recursion depth exceeded while decoding");
    if (d->direct && kind != MPF_MODEL)
        rc = mp_direct_rc(d, brine_direct_open(d->direct, ev.kind, ev.v.count, ev.anchor));
    else
        rc = mp_emit(d, &ev);
    if (rc != BRINE_OK)
        return rc;
    if (items == 0) {
        *open = 0;
        if (ext_end && ext_end != mp_off(d))
            return mp_fail(d, BRINE_E_CORRUPT, mp_off(d),
                           "an ext payload ends at byte %llu but its content at byte %llu", (unsigned long long)ext_end,
                           (unsigned long long)mp_off(d));
        return mp_end(d);
    }
    if (d->depth == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 32;
        mp_frame *st = brine_realloc(d->stack, cap * sizeof *st);
        if (!st)
            return mp_fail(d, BRINE_E_NOMEM, d->value_off, "out of memory");
        d->stack = st;
        d->cap = cap;
    }
    f = &d->stack[d->depth++];
    f->remaining = f->total = items;
    f->ext_end = ext_end;
    f->key_off = 0;
    f->kind = kind;
    f->in_key = in_key;
    *open = 1;
    return BRINE_OK;
}

/* The sequence option: a list of unknown length around the values, whose
 * frame counts the values read (in total) for error paths. */
static int mp_open_seq(mp_dec *d)
{
    brine_event ev;
    int rc;
    ev.kind = BRINE_EV_LIST;
    ev.anchor = 0;
    ev.v.count = BRINE_COUNT_UNKNOWN;
    d->value_off = mp_off(d);
    if ((rc = mp_emit(d, &ev)) != BRINE_OK)
        return rc;
    d->stack = brine_malloc(32 * sizeof *d->stack);
    if (!d->stack)
        return mp_fail(d, BRINE_E_NOMEM, d->value_off, "out of memory");
    d->cap = 32;
    d->depth = 1;
    memset(d->stack, 0, sizeof *d->stack);
    d->stack[0].kind = MPF_SEQ;
    return BRINE_OK;
}

static int mp_str(mp_dec *d, uint64_t len)
{
    brine_source *s = d->src;
    brine_event ev;
    size_t bad;
    int rc;
    if ((rc = mp_need(d, len, "str")) != BRINE_OK)
        return rc;
    ev.kind = BRINE_EV_STR;
    ev.anchor = 0;
    ev.v.s.ptr = (const char *)s->cur;
    ev.v.s.len = (size_t)len;
    /* Core checks the UTF-8 of every str event where its bytes are hot (a
     * second pass here cost 15% of a decode); invalid_utf8=bytes needs the
     * answer before the event, to choose its kind. */
    if (d->o.utf8_bytes && brine_utf8_check(ev.v.s.ptr, ev.v.s.len) != ev.v.s.len)
        ev.kind = BRINE_EV_BYTES;
    if (d->anchor)
        return mp_scalar(d, &ev); /* refused: only containers take anchors */
    rc = !d->direct                ? d->sink->event(d->sink, &ev)
         : ev.kind == BRINE_EV_STR ? brine_direct_str(d->direct, ev.v.s.ptr, ev.v.s.len)
                                   : brine_direct_bytes(d->direct, ev.v.s.ptr, ev.v.s.len);
    if (rc == BRINE_OK) {
        s->cur += len;
        return BRINE_OK;
    }
    /* Refused: if for its UTF-8, the error names the input's bad byte. */
    bad = brine_utf8_check(ev.v.s.ptr, ev.v.s.len);
    if (ev.kind == BRINE_EV_STR && bad != ev.v.s.len) {
        brine_error_clear(d->err);
        return mp_fail(d, BRINE_E_UTF8, mp_off(d) + bad,
                       "invalid UTF-8 at byte %zu of a str (decode with invalid_utf8=bytes to read it as bytes)", bad);
    }
    s->cur += len;
    return mp_sink_failed(d, rc);
}

static int mp_bin(mp_dec *d, uint64_t len)
{
    brine_source *s = d->src;
    brine_event ev;
    int rc;
    if ((rc = mp_need(d, len, "bin")) != BRINE_OK)
        return rc;
    ev.kind = BRINE_EV_BYTES;
    ev.anchor = 0;
    ev.v.s.ptr = (const char *)s->cur;
    ev.v.s.len = (size_t)len;
    s->cur += len;
    return mp_scalar(d, &ev);
}

/* A big int: strip redundant sign bytes, then send INT or UINT when it fits
 * 64 bits (an int's form never depends on how it was written), else BIGINT
 * with the bytes little-endian. */
static int mp_bigint(mp_dec *d, const unsigned char *p, size_t len)
{
    brine_event ev;
    ev.anchor = 0;
    while (len > 1 && ((p[0] == 0x00 && !(p[1] & 0x80)) || (p[0] == 0xff && (p[1] & 0x80)))) {
        p++;
        len--;
    }
    if (len <= 8) {
        uint64_t u = len && (p[0] & 0x80) ? UINT64_MAX : 0;
        for (size_t i = 0; i < len; i++)
            u = u << 8 | p[i];
        ev.kind = BRINE_EV_INT;
        ev.v.i = (int64_t)u;
        return mp_scalar(d, &ev);
    }
    if (len == 9 && p[0] == 0x00) {
        ev.kind = BRINE_EV_UINT;
        ev.v.u = mp_load64(p + 1);
        return mp_scalar(d, &ev);
    }
    if (len > d->scratch_cap) {
        unsigned char *n = brine_realloc(d->scratch, len);
        if (!n)
            return mp_fail(d, BRINE_E_NOMEM, d->value_off, "out of memory");
        d->scratch = n;
        d->scratch_cap = len;
    }
    for (size_t i = 0; i < len; i++)
        d->scratch[i] = p[len - 1 - i];
    ev.kind = BRINE_EV_BIGINT;
    ev.v.s.ptr = (const char *)d->scratch;
    ev.v.s.len = len;
    return mp_scalar(d, &ev);
}

/* Sends a model with a 2-tuple of args and a state: how timestamps and
 * foreign ext values read. `state` is NULL for none. */
static int mp_model2(mp_dec *d, const char *name, uint64_t end, const brine_event *a, const brine_event *b,
                     const brine_event *state)
{
    brine_event ev;
    int rc;
    ev.kind = BRINE_EV_MODEL;
    ev.v.s.ptr = name;
    ev.v.s.len = strlen(name);
    if ((rc = mp_take_anchor(d, &end, &ev.anchor)) != BRINE_OK)
        return rc;
    if ((rc = mp_emit(d, &ev)) != BRINE_OK)
        return rc;
    ev.kind = BRINE_EV_TUPLE;
    ev.anchor = 0;
    ev.v.count = 2;
    if ((rc = mp_emit(d, &ev)) || (rc = mp_emit(d, a)) || (rc = mp_emit(d, b)) || (rc = mp_end(d)))
        return rc;
    if (state) {
        rc = mp_emit(d, state);
    } else {
        ev.kind = BRINE_EV_NULL;
        rc = mp_emit(d, &ev);
    }
    return rc ? rc : mp_end(d);
}

/* Reads an array header inside an ext payload [cur, end). */
static int mp_inner_array(mp_dec *d, uint64_t end, uint64_t *count)
{
    brine_source *s = d->src;
    uint64_t left = end - mp_off(d);
    unsigned b;
    if (left < 1)
        goto bad;
    b = *s->cur;
    if (b >= 0x90 && b <= 0x9f) {
        *count = b & 0x0f;
        s->cur += 1;
    } else if (b == 0xdc && left >= 3) {
        *count = mp_load16(s->cur + 1);
        s->cur += 3;
    } else if (b == 0xdd && left >= 5) {
        *count = mp_load32(s->cur + 1);
        s->cur += 5;
    } else {
        goto bad;
    }
    return BRINE_OK;
bad:
    return mp_fail(d, BRINE_E_CORRUPT, mp_off(d), "an ext payload of brine's must hold an array");
}

static int mp_ext_model(mp_dec *d, uint64_t end, int *open)
{
    brine_source *s = d->src;
    uint64_t count, len, left;
    const unsigned char *p;
    size_t bad;
    int rc;
    if ((rc = mp_inner_array(d, end, &count)) != BRINE_OK)
        return rc;
    if (count != 3)
        return mp_fail(d, BRINE_E_CORRUPT, d->value_off, "a model (ext %d) must hold [name, args, state]",
                       MP_EXT_MODEL);
    p = s->cur;
    left = end - mp_off(d);
    if (left >= 1 && p[0] >= 0xa0 && p[0] <= 0xbf) {
        len = p[0] & 0x1f;
        p += 1;
    } else if (left >= 2 && p[0] == 0xd9) {
        len = p[1];
        p += 2;
    } else if (left >= 3 && p[0] == 0xda) {
        len = mp_load16(p + 1);
        p += 3;
    } else if (left >= 5 && p[0] == 0xdb) {
        len = mp_load32(p + 1);
        p += 5;
    } else {
        return mp_fail(d, BRINE_E_CORRUPT, mp_off(d), "a model's name must be a str");
    }
    if (len > left - (uint64_t)(p - s->cur))
        return mp_fail(d, BRINE_E_CORRUPT, mp_off(d), "a model's name overruns its ext payload");
    bad = brine_utf8_check((const char *)p, (size_t)len);
    if (bad != len)
        return mp_fail(d, BRINE_E_UTF8, mp_off(d) + (uint64_t)(p - s->cur) + bad, "invalid UTF-8 in a model's name");
    s->cur = p + len;
    return mp_open(d, MPF_MODEL, 2, end, (const char *)p, (size_t)len, open);
}

/* An ext 84 payload: [id, container]. The container is read next, as the
 * next value, and takes the id as its anchor. */
static int mp_ext_anchor(mp_dec *d, uint64_t end)
{
    brine_source *s = d->src;
    const unsigned char *p = s->cur;
    uint64_t left = end - mp_off(d), id;
    if (left < 2 || p[0] != 0x92)
        goto bad;
    if (p[1] <= 0x7f) {
        id = p[1];
        s->cur += 2;
    } else if (p[1] >= 0xcc && p[1] <= 0xcf && left >= 2 + ((uint64_t)1 << (p[1] - 0xcc))) {
        size_t w = (size_t)1 << (p[1] - 0xcc);
        id = w == 1 ? p[2] : w == 2 ? mp_load16(p + 2) : w == 4 ? mp_load32(p + 2) : mp_load64(p + 2);
        s->cur += 2 + w;
    } else {
        goto bad;
    }
    if (id == 0)
        goto bad;
    if (d->anchor)
        return mp_fail(d, BRINE_E_CORRUPT, d->value_off, "an anchor (ext %d) must wrap a container", MP_EXT_ANCHOR);
    d->anchor = id;
    d->anchor_end = end;
    return BRINE_OK;
bad:
    return mp_fail(d, BRINE_E_CORRUPT, d->value_off, "an anchor (ext %d) must hold [id, container] with an id above 0",
                   MP_EXT_ANCHOR);
}

/* The array of h has been parsed (its dtype in d->dtypes, data in the
 * window): one event, taking a pending anchor, whose ext payload (or, for
 * a msgpack-numpy map, the bytes up to `end`) it must fill. */
static int mp_array_event(mp_dec *d, const brine_array_header *h, uint64_t end)
{
    brine_event ev;
    uint64_t ext_end = end;
    int rc;
    memset(&ev, 0, sizeof ev);
    if ((rc = mp_take_anchor(d, &ext_end, &ev.anchor)) != BRINE_OK)
        return rc;
    if (ext_end != end)
        return mp_fail(d, BRINE_E_CORRUPT, d->value_off, "the anchored value does not fill the anchor's payload");
    ev.kind = BRINE_EV_ARRAY;
    ev.v.array = h;
    return mp_emit(d, &ev);
}

/* array.c filled the error: add the path. */
static int mp_array_failed(mp_dec *d, int rc)
{
    if (d->err && d->err->code != BRINE_OK && d->err->path[0] == '\0')
        mp_fill_path(d, d->err->path, sizeof d->err->path);
    return rc;
}

static int mp_dtypes(mp_dec *d)
{
    if (!d->dtypes && !(d->dtypes = brine_doc_new()))
        return mp_fail(d, BRINE_E_NOMEM, d->value_off, "out of memory");
    return BRINE_OK;
}

/* Ext 86: the payload of len bytes (in the window at cur) ending at end. */
static int mp_array(mp_dec *d, uint64_t len, uint64_t end)
{
    brine_source *s = d->src;
    brine_array_header h;
    uint64_t shape[BRINE_ARRAY_MAX_DIMS];
    int rc;
    if ((rc = mp_dtypes(d)) != BRINE_OK)
        return rc;
    if ((rc = mp_array_ext(s->cur, (size_t)len, mp_off(d), d->dtypes, &h, shape, d->err)) != BRINE_OK)
        return mp_array_failed(d, rc);
    s->cur += len;
    return mp_array_event(d, &h, end);
}

/* With the numpy option, a map of `entries` pairs whose header was just
 * read: a msgpack-numpy array is read whole (*done 1), anything else is
 * left to be read as a map (*done 0). Parsed again with more input until
 * the map's bytes are all in the window (each try asks for what the last
 * one missed, so a file source grows only with bytes that exist). */
static int mp_numpy_map(mp_dec *d, uint64_t entries, int *done)
{
    brine_source *s = d->src;
    brine_array_header h;
    uint64_t shape[BRINE_ARRAY_MAX_DIMS];
    size_t used, need;
    int rc;
    *done = 0;
    if (entries < 3 || entries > 5)
        return BRINE_OK;
    if ((rc = mp_dtypes(d)) != BRINE_OK)
        return rc;
    for (;;) {
        rc = mp_array_numpy(s->cur, (size_t)(s->end - s->cur), mp_off(d), entries, d->dtypes, &h, shape, &used, &need,
                            d->err);
        if (rc == MP_NOT_NUMPY)
            return BRINE_OK;
        if (rc != MP_NEED_MORE)
            break;
        if ((rc = mp_need(d, need, "map")) != BRINE_OK)
            return rc;
    }
    if (rc != BRINE_OK)
        return mp_array_failed(d, rc);
    *done = 1;
    s->cur += used;
    return mp_array_event(d, &h, mp_off(d));
}

/* An ext value: `form` is its header byte, the payload of len bytes is at
 * cur. *open is 1 when it opened a container whose children follow, or
 * when it was an anchor (the container follows). */
static int mp_ext(mp_dec *d, unsigned form, int type, uint64_t len, int *open)
{
    brine_source *s = d->src;
    brine_event a, b, st;
    const unsigned char *p;
    uint64_t start, end;
    int64_t sec;
    uint32_t nsec;
    int rc;
    if ((rc = mp_need(d, len, "ext")) != BRINE_OK)
        return rc;
    start = mp_off(d);
    end = start + len;
    p = s->cur;
    *open = 0;
    if (!d->o.plain && type >= MP_EXT_TUPLE && type <= MP_EXT_ARRAY) {
        uint64_t count;
        switch (type) {
        case MP_EXT_ARRAY: return mp_array(d, len, end);
        case MP_EXT_TUPLE:
            if ((rc = mp_inner_array(d, end, &count)) != BRINE_OK)
                return rc;
            return mp_open(d, MPF_TUPLE, count, end, NULL, 0, open);
        case MP_EXT_MODEL: return mp_ext_model(d, end, open);
        case MP_EXT_COMPLEX:
            if (len != 16)
                return mp_fail(d, BRINE_E_CORRUPT, d->value_off, "a complex (ext %d) must hold 16 bytes, not %llu",
                               MP_EXT_COMPLEX, (unsigned long long)len);
            a.kind = BRINE_EV_COMPLEX;
            a.anchor = 0;
            a.v.c.re = mp_load_double(p);
            a.v.c.im = mp_load_double(p + 8);
            s->cur += 16;
            return mp_scalar(d, &a);
        case MP_EXT_BIGINT: s->cur += len; return mp_bigint(d, p, (size_t)len);
        default: break;
        }
        if (!d->o.refs)
            return mp_fail(d, BRINE_E_UNSUPPORTED, d->value_off,
                           "the input holds shared references (ext %d): decode with the refs option", type);
        if (type == MP_EXT_ANCHOR) {
            if ((rc = mp_ext_anchor(d, end)) != BRINE_OK)
                return rc;
            *open = 1;
            return BRINE_OK;
        }
        if (len != 1 && len != 2 && len != 4 && len != 8)
            return mp_fail(d, BRINE_E_CORRUPT, d->value_off, "a reference (ext %d) must hold 1, 2, 4 or 8 bytes",
                           MP_EXT_REF);
        a.kind = BRINE_EV_REF;
        a.anchor = 0;
        a.v.ref = len == 1 ? p[0] : len == 2 ? mp_load16(p) : len == 4 ? mp_load32(p) : mp_load64(p);
        if (a.v.ref == 0)
            return mp_fail(d, BRINE_E_CORRUPT, d->value_off, "a reference (ext %d) to anchor 0", MP_EXT_REF);
        s->cur += len;
        return mp_scalar(d, &a);
    }
    s->cur += len;
    a.anchor = b.anchor = st.anchor = 0;
    if (type == MP_EXT_TIMESTAMP && form == mp_ext_form(len) && mp_ts_read(p, (size_t)len, &sec, &nsec)) {
        a.kind = BRINE_EV_INT;
        a.v.i = sec;
        b.kind = BRINE_EV_INT;
        b.v.i = nsec;
        st.kind = BRINE_EV_INT;
        st.v.i = (int64_t)len;
        return mp_model2(d, MP_MODEL_TIMESTAMP, end, &a, &b, mp_ts_width(sec, nsec) == len ? NULL : &st);
    }
    a.kind = BRINE_EV_INT;
    a.v.i = type;
    b.kind = BRINE_EV_BYTES;
    b.v.s.ptr = (const char *)p;
    b.v.s.len = (size_t)len;
    st.kind = BRINE_EV_INT;
    st.v.i = form;
    return mp_model2(d, MP_MODEL_EXT, end, &a, &b, form == mp_ext_form(len) ? NULL : &st);
}

/* A complete value was read: count it in its container and close every
 * container that is now complete. *top is 1 once the top value is done. */
static int mp_value_done(mp_dec *d, int *top)
{
    int rc;
    *top = 0;
    while (d->depth) {
        mp_frame *f = &d->stack[d->depth - 1];
        if (f->kind == MPF_SEQ) {
            f->total++;
            return BRINE_OK;
        }
        if (--f->remaining)
            return BRINE_OK;
        d->depth--; /* popped first: an error now names the container itself */
        if (f->ext_end && f->ext_end != mp_off(d))
            return mp_fail(d, BRINE_E_CORRUPT, mp_off(d),
                           "an ext payload ends at byte %llu but its content at byte %llu",
                           (unsigned long long)f->ext_end, (unsigned long long)mp_off(d));
        if ((rc = mp_end(d)) != BRINE_OK)
            return rc;
    }
    *top = 1;
    return BRINE_OK;
}

#define MP_NEED(n, what)                                                                                               \
    do {                                                                                                               \
        if ((size_t)(s->end - s->cur) < (n) && (rc = mp_need(d, (n), (what))) != BRINE_OK)                             \
            return rc;                                                                                                 \
    } while (0)

static int mp_run_rare(mp_dec *d, unsigned b, int *open);

static int mp_run(mp_dec *d)
{
    brine_source *s = d->src;
    int rc, open, top;
    uint64_t n;
    if (d->o.sequence && (rc = mp_open_seq(d)) != BRINE_OK)
        return rc;
    for (;;) {
        mp_frame *f = d->depth ? &d->stack[d->depth - 1] : NULL;
        const unsigned char *p;
        unsigned b;
        d->value_off = mp_off(d);
        if (f && f->kind == MPF_SEQ && !d->anchor && brine_source_at_end(s)) {
            d->depth--;
            return mp_end(d);
        }
        if (f && f->kind == MPF_DICT && !((f->total - f->remaining) & 1))
            f->key_off = d->value_off;
        MP_NEED(1, "value");
        b = *s->cur++;
        open = 0;
        rc = BRINE_OK;
        if (b <= 0x7f) {
            rc = mp_int(d, b);
        } else if (b >= 0xe0) {
            rc = mp_int(d, (int8_t)b);
        } else if (b <= 0x8f) {
            int done = 0;
            if (d->o.numpy && (rc = mp_numpy_map(d, b & 0x0f, &done)) != BRINE_OK)
                return rc;
            if (!done)
                rc = mp_open(d, MPF_DICT, (uint64_t)(b & 0x0f) * 2, 0, NULL, 0, &open);
        } else if (b <= 0x9f) {
            rc = mp_open(d, MPF_LIST, b & 0x0f, 0, NULL, 0, &open);
        } else if (b <= 0xbf) {
            rc = mp_str(d, b & 0x1f);
        } else {
            switch (b) {
            case 0xc0:
            case 0xc2:
            case 0xc3: rc = mp_null_bool(d, b); break;
            case 0xc1:
            case 0xc4 ... 0xca:
            case 0xd4 ... 0xd8: rc = mp_run_rare(d, b, &open); break;
            case 0xcb:
                MP_NEED(8, "float 64");
                p = s->cur;
                s->cur += 8;
                rc = mp_float(d, mp_load_double(p));
                break;
            case 0xcc:
            case 0xcd:
            case 0xce:
            case 0xcf:
                n = (size_t)1 << (b - 0xcc);
                MP_NEED(n, "uint");
                p = s->cur;
                s->cur += n;
                rc = mp_uint(d, n == 1 ? p[0] : n == 2 ? mp_load16(p) : n == 4 ? mp_load32(p) : mp_load64(p));
                break;
            case 0xd0:
            case 0xd1:
            case 0xd2:
            case 0xd3:
                n = (size_t)1 << (b - 0xd0);
                MP_NEED(n, "int");
                p = s->cur;
                s->cur += n;
                rc = mp_int(d, n == 1   ? (int8_t)p[0]
                               : n == 2 ? (int16_t)mp_load16(p)
                               : n == 4 ? (int32_t)mp_load32(p)
                                        : (int64_t)mp_load64(p));
                break;
            case 0xd9:
            case 0xda:
            case 0xdb:
                n = (size_t)1 << (b - 0xd9);
                MP_NEED(n, "str header");
                p = s->cur;
                s->cur += n;
                rc = mp_str(d, n == 1 ? p[0] : n == 2 ? mp_load16(p) : mp_load32(p));
                break;
            case 0xdc:
            case 0xdd:
            case 0xde:
            case 0xdf:
                n = b & 1 ? 4 : 2;
                MP_NEED(n, b < 0xde ? "array header" : "map header");
                p = s->cur;
                s->cur += n;
                n = n == 2 ? mp_load16(p) : mp_load32(p);
                if (b >= 0xde && d->o.numpy) {
                    int done = 0;
                    if ((rc = mp_numpy_map(d, n, &done)) != BRINE_OK)
                        return rc;
                    if (done)
                        break;
                }
                rc = b < 0xde ? mp_open(d, MPF_LIST, n, 0, NULL, 0, &open)
                              : mp_open(d, MPF_DICT, n * 2, 0, NULL, 0, &open);
                break;
            default: break; /* every byte is handled above */
            }
        }
        if (rc != BRINE_OK)
            return rc;
        if (open)
            continue;
        if ((rc = mp_value_done(d, &top)) != BRINE_OK)
            return rc;
        if (top)
            return BRINE_OK;
    }
}

/* The type bytes mp_run leaves out of its loop: 0xc1, bin, ext and float
 * 32, which brine's encoder never writes (a float is always 64 bits, bytes
 * and models have their own events) and other writers write rarely. */
static int mp_run_rare(mp_dec *d, unsigned b, int *open)
{
    brine_source *s = d->src;
    const unsigned char *p;
    size_t n;
    int rc;
    if (b == 0xc1)
        return mp_fail(d, BRINE_E_SYNTAX, d->value_off, "byte 0xc1 is never used in MessagePack");
    if (b >= 0xc4 && b <= 0xc6) {
        n = (size_t)1 << (b - 0xc4);
        MP_NEED(n, "bin header");
        p = s->cur;
        s->cur += n;
        return mp_bin(d, n == 1 ? p[0] : n == 2 ? mp_load16(p) : mp_load32(p));
    }
    if (b >= 0xc7 && b <= 0xc9) {
        n = (size_t)1 << (b - 0xc7);
        MP_NEED(n + 1, "ext header");
        p = s->cur;
        s->cur += n + 1;
        return mp_ext(d, b, (int8_t)p[n], n == 1 ? p[0] : n == 2 ? mp_load16(p) : mp_load32(p), open);
    }
    if (b == 0xca) {
        brine_event ev;
        uint32_t u;
        float x;
        MP_NEED(4, "float 32");
        u = mp_load32(s->cur);
        memcpy(&x, &u, sizeof x);
        s->cur += 4;
        ev.anchor = 0;
        ev.kind = BRINE_EV_FLOAT;
        ev.v.f = x;
        return mp_scalar(d, &ev);
    }
    /* 0xd4 to 0xd8: fixext 1 to 16. */
    MP_NEED(1, "ext header");
    p = s->cur;
    s->cur += 1;
    return mp_ext(d, b, (int8_t)p[0], (uint64_t)1 << (b - 0xd4), open);
}

static int mp_decode_with(brine_source *src, brine_sink *sink, brine_direct *direct, const brine_options *opts,
                          brine_error *err)
{
    mp_dec d;
    int rc;
    memset(&d, 0, sizeof d);
    d.src = src;
    d.sink = sink;
    d.direct = direct;
    d.err = err;
    d.max_depth = brine_options_max_depth(opts);
    if ((rc = mp_opts_parse(opts, &d.o, err)) != BRINE_OK)
        return rc;
    rc = mp_run(&d);
    if (rc == BRINE_OK && !d.o.sequence && !brine_source_at_end(src))
        rc = mp_fail(&d, BRINE_E_SYNTAX, mp_off(&d),
                     "extra data after the MessagePack value (decode with the sequence option to read them all)");
    brine_free(d.stack);
    brine_free(d.scratch);
    brine_doc_free(d.dtypes);
    return rc;
}

int mp_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err)
{
    return mp_decode_with(src, sink, NULL, opts, err);
}

int mp_decode_direct(brine_source *src, brine_direct *b, const brine_options *opts, brine_error *err)
{
    return mp_decode_with(src, brine_direct_sink(b), b, opts, err);
}
