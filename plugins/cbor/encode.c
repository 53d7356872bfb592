/* encode.c: the CBOR encoder, a sink that writes events in preferred
 * serialisation (the shortest head, the shortest float that holds the
 * value exactly) into a brine_output. Heads and floats are written here,
 * not with libcbor's cbor_encode_* (docs/cbor.md says why). A container
 * whose count is not announced, and every map under `canonical`, is
 * written to a side buffer and gets its definite head at END (a canonical
 * map's entries sorted by their encoded keys there); everything else goes
 * straight to the output, scalars in lists and dicts of known count by a
 * short path. Models named cbor.tag, cbor.simple and cbor.undefined are
 * held back until they are known to be the CBOR items they stand for.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cb.h"

enum { EF_LIST, EF_DICT, EF_MODEL, EF_PMODEL, EF_TAGM, EF_TAGARGS, EF_SEQ };
enum { CAP_NONE, CAP_SIMPLE, CAP_UNDEF, CAP_TAG };

#define CB_NO_BUF SIZE_MAX

typedef struct cb_eframe {
    uint64_t children; /* child values written so far */
    uint64_t count;    /* announced children (a dict: keys and values), or UINT64_MAX */
    size_t start;      /* buffered: where the content starts in buf; else CB_NO_BUF */
    size_t mark0;      /* canonical map: its first entry in marks */
    char *name;        /* plain model under canonical: the type, written after args */
    size_t name_len;
    uint8_t kind;   /* EF_* */
    uint8_t major;  /* buffered: CB_ARRAY or CB_MAP */
    uint8_t sorted; /* a canonical map */
} cb_eframe;

typedef struct cb_id {
    uint64_t anchor; /* 0: a free slot */
    uint64_t index;  /* its tag 28's index, in the order written */
} cb_id;

typedef struct cb_enc {
    brine_sink sink; /* first: the sink handle is the encoder */
    brine_output *out;
    cb_opts o;
    int status; /* the first failure; every later event returns it */
    int done;   /* the top value is complete */
    int replay; /* sending captured events: no capture */
    cb_eframe *stack;
    size_t depth, cap;
    unsigned char *buf; /* the side buffer, while a buffered frame is open */
    size_t len, buf_cap;
    size_t nbuffered; /* buffered frames open */
    size_t *marks;    /* canonical maps: buf offsets where each child starts */
    size_t nmarks, marks_cap;
    cb_id *ids; /* anchor -> shareable index, open addressing */
    size_t ids_cap, nids;
    uint64_t nshared;
    int cap_kind; /* CAP_*: a cbor.* model being captured */
    size_t cap_n;
    brine_event cap_ev[6];
} cb_enc;

static int cb_dispatch(cb_enc *e, const brine_event *ev);

static int cb_efail(cb_enc *e, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int cb_efail(cb_enc *e, int code, const char *fmt, ...)
{
    brine_error *err = e->sink.err;
    char msg[BRINE_ERROR_TEXT];
    va_list ap;
    if (!e->status)
        e->status = code;
    if (!err || err->code != BRINE_OK)
        return code;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    brine_error_set(err, code, "%s", msg); /* the walker adds the path */
    return code;
}

/* Bytes out: to the side buffer while a buffered frame is open. */
static int cb_put(cb_enc *e, const void *p, size_t len)
{
    int rc;
    if (e->nbuffered) {
        if (len > e->buf_cap - e->len &&
            (len > SIZE_MAX - e->len || brine_plugin_grow((void **)&e->buf, &e->buf_cap, e->len + len, 1) != BRINE_OK))
            return cb_efail(e, BRINE_E_NOMEM, "out of memory");
        if (len)
            memcpy(e->buf + e->len, p, len);
        e->len += len;
        return BRINE_OK;
    }
    if ((rc = brine_output_put(e->out, p, len, e->sink.err)) != BRINE_OK) {
        if (!e->status)
            e->status = rc;
        return rc;
    }
    return BRINE_OK;
}

/* Writes the shortest head of major type `major` with argument arg at q
 * (9 bytes of room) and returns where it ends. libcbor's cbor_encode_uint
 * and its siblings write the same bytes, but each is a call into a shared
 * library that checks the room again; written inline, heads let scalars
 * take the short path of cb_event (docs/cbor.md has the figures). */
static inline unsigned char *cb_head_raw(unsigned char *q, unsigned major, uint64_t arg)
{
    unsigned m = major << 5;
    if (arg < 24) {
        *q++ = (unsigned char)(m | arg);
    } else if (arg <= 0xff) {
        *q++ = (unsigned char)(m | 24);
        *q++ = (unsigned char)arg;
    } else if (arg <= 0xffff) {
        *q++ = (unsigned char)(m | 25);
        *q++ = (unsigned char)(arg >> 8);
        *q++ = (unsigned char)arg;
    } else if (arg <= 0xffffffffu) {
        *q++ = (unsigned char)(m | 26);
        for (int i = 3; i >= 0; i--)
            *q++ = (unsigned char)(arg >> (8 * i));
    } else {
        *q++ = (unsigned char)(m | 27);
        for (int i = 7; i >= 0; i--)
            *q++ = (unsigned char)(arg >> (8 * i));
    }
    return q;
}

static int cb_head(cb_enc *e, unsigned major, uint64_t arg)
{
    unsigned char h[9];
    return cb_put(e, h, (size_t)(cb_head_raw(h, major, arg) - h));
}

/* The bits of an IEEE binary16 that holds d exactly, or -1. */
static long cb_double_to_half(double d)
{
    uint64_t bits;
    unsigned sign;
    int exp;
    memcpy(&bits, &d, sizeof bits);
    sign = (unsigned)(bits >> 48) & 0x8000;
    exp = (int)((bits >> 52) & 0x7ff);
    if (exp == 0x7ff) /* inf or NaN: the payload must fit 10 bits */
        return bits & ((UINT64_C(1) << 42) - 1) ? -1 : (long)(sign | 0x7c00 | (unsigned)((bits >> 42) & 0x3ff));
    if ((bits & ~(UINT64_C(1) << 63)) == 0)
        return (long)sign;
    if (d < 0)
        d = -d;
    if (d < 1.0 / 16384) { /* subnormal half: m x 2^-24 */
        double m = d * 16777216.0;
        return m == (double)(unsigned)m && m < 1024 ? (long)(sign | (unsigned)m) : -1;
    }
    if (d > 65504.0 || (bits & ((UINT64_C(1) << 42) - 1)))
        return -1;
    return (long)(sign | (unsigned)(exp - 1023 + 15) << 10 | (unsigned)((bits >> 42) & 0x3ff));
}

/* Writes the shortest of float16/32/64 that holds d exactly (RFC 8949
 * 4.2.2), NaN payloads included, at q (9 bytes of room). */
static inline unsigned char *cb_float_raw(unsigned char *q, double d)
{
    long half;
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    /* Most measured values use all 52 bits of the mantissa: one with any of
     * the low 29 set fits neither float32 nor float16 (nor does a NaN whose
     * payload has them), so it is written at once: encoding canada.json
     * (coordinates) went from 1.66x msgpack's time to 1.47x (fastest of 24
     * runs each; msgpack writes every float as float64). */
    if (bits & ((UINT64_C(1) << 29) - 1))
        goto wide;
    half = cb_double_to_half(d);
    if (half >= 0) {
        *q++ = 0xf9;
        *q++ = (unsigned char)(half >> 8);
        *q++ = (unsigned char)half;
        return q;
    }
    /* A float32 that holds d; a NaN (its payload fits, as tested above) from
     * its bits: a conversion may quieten or canonicalise it. */
    if (d != d || (double)(float)d == d) {
        uint32_t f;
        if (d != d) {
            f = (uint32_t)(bits >> 32 & 0x80000000u) | 0x7f800000u | (uint32_t)(bits >> 29 & 0x7fffff);
        } else {
            float x = (float)d;
            memcpy(&f, &x, sizeof f);
        }
        *q++ = 0xfa;
        for (int i = 3; i >= 0; i--)
            *q++ = (unsigned char)(f >> (8 * i));
        return q;
    }
wide:
    *q++ = 0xfb;
    for (int i = 7; i >= 0; i--)
        *q++ = (unsigned char)(bits >> (8 * i));
    return q;
}

static int cb_float(cb_enc *e, double d)
{
    unsigned char h[9];
    return cb_put(e, h, (size_t)(cb_float_raw(h, d) - h));
}

static int cb_text(cb_enc *e, const char *s, size_t len)
{
    int rc = cb_head(e, CB_TEXT, len);
    return rc ? rc : cb_put(e, s, len);
}

/* ---- anchors -------------------------------------------------------------- */

static cb_id *cb_id_slot(cb_enc *e, uint64_t anchor)
{
    size_t mask = e->ids_cap - 1, i = (size_t)(anchor * UINT64_C(0x9e3779b97f4a7c15) >> 20) & mask;
    while (e->ids[i].anchor && e->ids[i].anchor != anchor)
        i = (i + 1) & mask;
    return &e->ids[i];
}

/* Writes tag 28 for a value anchored `anchor` and remembers its index. */
static int cb_anchor(cb_enc *e, uint64_t anchor)
{
    cb_id *slot;
    if (!anchor || !e->o.refs)
        return BRINE_OK;
    if ((e->nids + 1) * 2 > e->ids_cap) {
        cb_id *old = e->ids;
        size_t old_cap = e->ids_cap, cap = old_cap ? old_cap * 2 : 64;
        e->ids = brine_malloc(cap * sizeof *e->ids);
        if (!e->ids) {
            e->ids = old;
            return cb_efail(e, BRINE_E_NOMEM, "out of memory");
        }
        memset(e->ids, 0, cap * sizeof *e->ids);
        e->ids_cap = cap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].anchor)
                *cb_id_slot(e, old[i].anchor) = old[i];
        brine_free(old);
    }
    slot = cb_id_slot(e, anchor);
    slot->anchor = anchor;
    slot->index = e->nshared++;
    e->nids++;
    return cb_head(e, CB_TAG, CB_TAG_SHAREABLE);
}

static int cb_ref(cb_enc *e, uint64_t anchor)
{
    cb_id *slot;
    int rc;
    if (!e->o.refs || !e->ids_cap || !(slot = cb_id_slot(e, anchor))->anchor)
        return cb_efail(e, BRINE_E_REF, "a reference to anchor %llu, which was not written",
                        (unsigned long long)anchor);
    if ((rc = cb_head(e, CB_TAG, CB_TAG_SHAREDREF)) != BRINE_OK)
        return rc;
    return cb_head(e, CB_UINT, slot->index);
}

/* ---- frames --------------------------------------------------------------- */

/* A value starts in the innermost frame: count it, mark a canonical map's
 * entries, and write what a plain model puts between its children. */
static int cb_child(cb_enc *e)
{
    cb_eframe *f;
    int rc;
    if (!e->depth) {
        if (e->done)
            return cb_efail(e, BRINE_E_INVALID, "a second value after the first was complete");
        return BRINE_OK;
    }
    f = &e->stack[e->depth - 1];
    if (f->count != UINT64_MAX && f->children >= f->count)
        return cb_efail(e, BRINE_E_INVALID, "more children than the container announced (%llu)",
                        (unsigned long long)f->count);
    if (f->kind == EF_TAGM && f->children == 1)
        return cb_efail(e, BRINE_E_UNSUPPORTED, "a %s model with a state cannot be written as a CBOR tag",
                        CB_MODEL_TAG);
    if (f->sorted) {
        if (e->nmarks == e->marks_cap &&
            brine_plugin_grow((void **)&e->marks, &e->marks_cap, e->nmarks + 1, sizeof *e->marks) != BRINE_OK)
            return cb_efail(e, BRINE_E_NOMEM, "out of memory");
        e->marks[e->nmarks++] = e->len;
    }
    if (f->kind == EF_PMODEL) {
        if (f->children == 0 && e->o.canonical)
            rc = cb_text(e, "args", 4);
        else if (f->children == 1 && e->o.canonical && (rc = cb_text(e, "type", 4)) == BRINE_OK &&
                 (rc = cb_text(e, f->name, f->name_len)) == BRINE_OK)
            rc = cb_text(e, "state", 5);
        else if (f->children == 1)
            rc = cb_text(e, "state", 5);
        else
            rc = BRINE_OK;
        if (rc)
            return rc;
    }
    f->children++;
    return BRINE_OK;
}

/* Pushes a frame; buffered ones (major CB_ARRAY or CB_MAP) get their head
 * at END. */
static cb_eframe *cb_push(cb_enc *e, int kind, uint64_t count, int buffered, unsigned major)
{
    cb_eframe *f;
    if (e->depth == e->cap && brine_plugin_grow((void **)&e->stack, &e->cap, e->depth + 1, sizeof *e->stack) != BRINE_OK) {
        cb_efail(e, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    f = &e->stack[e->depth++];
    memset(f, 0, sizeof *f);
    f->kind = (uint8_t)kind;
    f->count = count;
    f->start = CB_NO_BUF;
    if (buffered) {
        e->nbuffered++;
        f->start = e->len;
        f->major = (uint8_t)major;
        f->sorted = major == CB_MAP && e->o.canonical;
        f->mark0 = e->nmarks;
    }
    return f;
}

typedef struct cb_entry {
    size_t key, key_end, end; /* offsets in buf */
    const unsigned char *base;
} cb_entry;

static int cb_entry_cmp(const void *a, const void *b)
{
    const cb_entry *x = a, *y = b;
    size_t lx = x->key_end - x->key, ly = y->key_end - y->key;
    int c = memcmp(x->base + x->key, y->base + y->key, lx < ly ? lx : ly);
    return c ? c : lx < ly ? -1 : lx > ly;
}

/* Ends a buffered frame: sorts a canonical map's entries, puts the head
 * before the content, and drains the buffer once no buffered frame is open. */
static int cb_close_buffered(cb_enc *e, cb_eframe *f)
{
    size_t content = e->len - f->start, hlen, n = f->children;
    unsigned char h[9];
    int rc;
    if (f->sorted && n >= 4) {
        size_t entries = n / 2;
        cb_entry *ent = brine_malloc(entries * sizeof *ent);
        unsigned char *tmp = brine_malloc(content);
        size_t at = 0;
        if (!ent || !tmp) {
            brine_free(ent);
            brine_free(tmp);
            return cb_efail(e, BRINE_E_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < entries; i++) {
            ent[i].key = e->marks[f->mark0 + 2 * i];
            ent[i].key_end = e->marks[f->mark0 + 2 * i + 1];
            ent[i].end = i + 1 < entries ? e->marks[f->mark0 + 2 * i + 2] : e->len;
            ent[i].base = e->buf;
        }
        qsort(ent, entries, sizeof *ent, cb_entry_cmp);
        for (size_t i = 0; i < entries; i++) {
            memcpy(tmp + at, e->buf + ent[i].key, ent[i].end - ent[i].key);
            at += ent[i].end - ent[i].key;
        }
        memcpy(e->buf + f->start, tmp, content);
        brine_free(ent);
        brine_free(tmp);
    }
    if (f->sorted)
        e->nmarks = f->mark0;
    hlen = (size_t)(cb_head_raw(h, f->major, f->major == CB_MAP ? n / 2 : n) - h);
    if (hlen > e->buf_cap - e->len && brine_plugin_grow((void **)&e->buf, &e->buf_cap, e->len + hlen, 1) != BRINE_OK)
        return cb_efail(e, BRINE_E_NOMEM, "out of memory");
    memmove(e->buf + f->start + hlen, e->buf + f->start, content);
    memcpy(e->buf + f->start, h, hlen);
    e->len += hlen;
    if (--e->nbuffered == 0) {
        rc = brine_output_put(e->out, e->buf, e->len, e->sink.err);
        e->len = 0;
        if (rc) {
            e->status = rc;
            return rc;
        }
    }
    return BRINE_OK;
}

static int cb_close(cb_enc *e)
{
    cb_eframe *f;
    int rc = BRINE_OK;
    if (!e->depth)
        return cb_efail(e, BRINE_E_INVALID, "an END with no open container");
    f = &e->stack[e->depth - 1];
    if (f->count != UINT64_MAX && f->children != f->count)
        return cb_efail(e, BRINE_E_INVALID, "an END after %llu of the %llu children announced",
                        (unsigned long long)f->children, (unsigned long long)f->count);
    if (f->kind == EF_DICT && (f->children & 1))
        return cb_efail(e, BRINE_E_INVALID, "a dict ends after a key without its value");
    if (f->kind == EF_TAGM && f->children != 2)
        return cb_efail(e, BRINE_E_INVALID, "a %s model ends without its args and state", CB_MODEL_TAG);
    if (f->kind == EF_TAGARGS && f->children != 2)
        return cb_efail(e, BRINE_E_UNSUPPORTED, "a %s model's args must be (tag number, item)", CB_MODEL_TAG);
    if (f->start != CB_NO_BUF)
        rc = cb_close_buffered(e, f);
    brine_free(f->name);
    e->depth--;
    if (rc == BRINE_OK && e->depth == 0)
        e->done = 1;
    return rc;
}

/* A list, tuple or dict opens (tuple: brine's tag first, unless plain). */
static int cb_open_seq(cb_enc *e, const brine_event *ev)
{
    int dict = ev->kind == BRINE_EV_DICT, rc;
    size_t count = ev->v.count;
    int buffered = count == BRINE_COUNT_UNKNOWN || (dict && e->o.canonical);
    if (ev->kind == BRINE_EV_TUPLE && !e->o.plain && (rc = cb_head(e, CB_TAG, CB_TAG_TUPLE)) != BRINE_OK)
        return rc;
    if (!buffered && (rc = cb_head(e, dict ? CB_MAP : CB_ARRAY, count)) != BRINE_OK)
        return rc;
    if (!cb_push(e, dict ? EF_DICT : EF_LIST,
                 count == BRINE_COUNT_UNKNOWN ? UINT64_MAX
                 : dict                       ? (uint64_t)count * 2
                                              : count,
                 buffered, dict ? CB_MAP : CB_ARRAY))
        return e->status;
    return BRINE_OK;
}

static int cb_open_model(cb_enc *e, const brine_event *ev)
{
    cb_eframe *f;
    int rc;
    if (!e->o.plain) {
        if ((rc = cb_head(e, CB_TAG, CB_TAG_MODEL)) || (rc = cb_head(e, CB_ARRAY, 3)) ||
            (rc = cb_text(e, ev->v.s.ptr, ev->v.s.len)))
            return rc;
        return cb_push(e, EF_MODEL, 2, 0, 0) ? BRINE_OK : e->status;
    }
    /* {"type": name, "args": [...], "state": state}; canonical order is
     * args, type, state (keys sorted by their encoded bytes). */
    if ((rc = cb_head(e, CB_MAP, 3)) != BRINE_OK)
        return rc;
    if (!e->o.canonical &&
        ((rc = cb_text(e, "type", 4)) || (rc = cb_text(e, ev->v.s.ptr, ev->v.s.len)) || (rc = cb_text(e, "args", 4))))
        return rc;
    if (!(f = cb_push(e, EF_PMODEL, 2, 0, 0)))
        return e->status;
    if (e->o.canonical) {
        if (!(f->name = brine_malloc(ev->v.s.len + 1)))
            return cb_efail(e, BRINE_E_NOMEM, "out of memory");
        memcpy(f->name, ev->v.s.ptr, ev->v.s.len);
        f->name_len = ev->v.s.len;
    }
    return BRINE_OK;
}

/* A big int: two's-complement little-endian bytes. Major type 0 or 1 when
 * it fits 64 bits, else a bignum (tag 2 or 3) of the magnitude's minimal
 * big-endian bytes (for a negative v, the magnitude is -1 - v, ~v). */
static int cb_bigint(cb_enc *e, const unsigned char *p, size_t len)
{
    int neg = len && (p[len - 1] & 0x80);
    unsigned char inv = neg ? 0xff : 0x00;
    size_t n = len;
    int rc;
    while (n && (unsigned char)(p[n - 1] ^ inv) == 0)
        n--;
    if (n <= 8) {
        uint64_t u = 0;
        for (size_t i = n; i-- > 0;)
            u = u << 8 | (unsigned char)(p[i] ^ inv);
        return cb_head(e, neg ? CB_NEGINT : CB_UINT, u);
    }
    if ((rc = cb_head(e, CB_TAG, neg ? CB_TAG_NEGBIGNUM : CB_TAG_BIGNUM)) || (rc = cb_head(e, CB_BYTES, n)))
        return rc;
    for (size_t i = n; i-- > 0;) {
        unsigned char b = (unsigned char)(p[i] ^ inv);
        if ((rc = cb_put(e, &b, 1)) != BRINE_OK)
            return rc;
    }
    return BRINE_OK;
}

unsigned cb_typed_tag(const brine_dtype *dt)
{
    brine_dtype_kind k = brine_dtype_kind_of(dt);
    size_t size = brine_dtype_itemsize(dt);
    char order = brine_dtype_byteorder(dt);
    const uint16_t probe = 1;
    int little;
    unsigned lg = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : size == 8 ? 3 : 9;
    if (order == '=' || order == '|')
        little = *(const unsigned char *)&probe == 1;
    else
        little = order == '<';
    if (lg > 3)
        return 0;
    if (k == BRINE_DT_UINT)
        return lg == 0 ? 64 : 64 + lg + (little ? 4 : 0);
    if (k == BRINE_DT_INT)
        return lg == 0 ? 72 : 72 + lg + (little ? 4 : 0);
    if (k == BRINE_DT_FLOAT && lg >= 1)
        return 80 + (lg - 1) + (little ? 4 : 0);
    return 0;
}

/* An array: an RFC 8746 typed array (tag 40 around it unless 1-d) for
 * ints and floats, else brine's array tag [dtype, shape, data]. */
static int cb_array(cb_enc *e, const brine_array_header *h)
{
    unsigned tag = cb_typed_tag(h->dtype);
    char dts[64];
    size_t dlen;
    int rc;
    if (tag) {
        if (h->ndim != 1) {
            if ((rc = cb_head(e, CB_TAG, CB_TAG_NDARRAY)) || (rc = cb_head(e, CB_ARRAY, 2)) ||
                (rc = cb_head(e, CB_ARRAY, h->ndim)))
                return rc;
            for (unsigned i = 0; i < h->ndim; i++)
                if ((rc = cb_head(e, CB_UINT, h->shape[i])) != BRINE_OK)
                    return rc;
        }
        if ((rc = cb_head(e, CB_TAG, tag)) || (rc = cb_head(e, CB_BYTES, h->data_len)))
            return rc;
        return cb_put(e, h->data, h->data_len);
    }
    if (brine_dtype_kind_of(h->dtype) == BRINE_DT_RECORD)
        return cb_efail(e, BRINE_E_UNSUPPORTED,
                        "an array of records cannot be written to CBOR yet (decode with plain "
                        "for nested lists)");
    dlen = brine_dtype_str(h->dtype, dts, sizeof dts);
    if (dlen == 0 || dlen >= sizeof dts)
        return cb_efail(e, BRINE_E_UNSUPPORTED, "an array's dtype has no short type string");
    if ((rc = cb_head(e, CB_TAG, CB_TAG_ARRAY)) || (rc = cb_head(e, CB_ARRAY, 3)) || (rc = cb_text(e, dts, dlen)) ||
        (rc = cb_head(e, CB_ARRAY, h->ndim)))
        return rc;
    for (unsigned i = 0; i < h->ndim; i++)
        if ((rc = cb_head(e, CB_UINT, h->shape[i])) != BRINE_OK)
            return rc;
    if ((rc = cb_head(e, CB_BYTES, h->data_len)) != BRINE_OK)
        return rc;
    return cb_put(e, h->data, h->data_len);
}

/* Writes one event, captures aside. */
static int cb_write_event(cb_enc *e, const brine_event *ev)
{
    unsigned char b;
    int rc;
    if (ev->kind == BRINE_EV_END)
        return cb_close(e);
    if (e->depth && e->stack[e->depth - 1].kind == EF_TAGM && e->stack[e->depth - 1].children == 1 &&
        ev->kind == BRINE_EV_NULL) {
        e->stack[e->depth - 1].children = 2; /* a cbor.tag model's null state: nothing to write */
        return BRINE_OK;
    }
    if (e->o.sequence && e->depth == 0 && !e->done) {
        /* The values of the top-level list, one after another (RFC 8742). */
        if (ev->kind != BRINE_EV_LIST)
            return cb_efail(e, BRINE_E_TYPE, "with sequence, the value to write must be a list");
        return cb_push(e, EF_SEQ, UINT64_MAX, 0, 0) ? BRINE_OK : e->status;
    }
    if ((rc = cb_child(e)) != BRINE_OK)
        return rc;
    if (ev->kind >= BRINE_EV_LIST && ev->kind <= BRINE_EV_MODEL) {
        if ((rc = cb_anchor(e, ev->anchor)) != BRINE_OK)
            return rc;
        return ev->kind == BRINE_EV_MODEL ? cb_open_model(e, ev) : cb_open_seq(e, ev);
    }
    switch (ev->kind) {
    case BRINE_EV_NULL:
        b = 0xf6;
        rc = cb_put(e, &b, 1);
        break;
    case BRINE_EV_BOOL:
        b = ev->v.boolean ? 0xf5 : 0xf4;
        rc = cb_put(e, &b, 1);
        break;
    case BRINE_EV_INT:
        rc = ev->v.i >= 0 ? cb_head(e, CB_UINT, (uint64_t)ev->v.i) : cb_head(e, CB_NEGINT, ~(uint64_t)ev->v.i);
        break;
    case BRINE_EV_UINT: rc = cb_head(e, CB_UINT, ev->v.u); break;
    case BRINE_EV_BIGINT: rc = cb_bigint(e, (const unsigned char *)ev->v.s.ptr, ev->v.s.len); break;
    case BRINE_EV_FLOAT: rc = cb_float(e, ev->v.f); break;
    case BRINE_EV_COMPLEX:
        if ((!e->o.plain && (rc = cb_head(e, CB_TAG, CB_TAG_COMPLEX))) || (rc = cb_head(e, CB_ARRAY, 2)) ||
            (rc = cb_float(e, ev->v.c.re)))
            break;
        rc = cb_float(e, ev->v.c.im);
        break;
    case BRINE_EV_STR: rc = cb_text(e, ev->v.s.ptr, ev->v.s.len); break;
    case BRINE_EV_BYTES:
        if ((rc = cb_head(e, CB_BYTES, ev->v.s.len)) == BRINE_OK)
            rc = cb_put(e, ev->v.s.ptr, ev->v.s.len);
        break;
    case BRINE_EV_REF: rc = cb_ref(e, ev->v.ref); break;
    case BRINE_EV_ARRAY:
        if ((rc = cb_anchor(e, ev->anchor)) == BRINE_OK)
            rc = cb_array(e, ev->v.array);
        break;
    default: rc = cb_efail(e, BRINE_E_INVALID, "unknown event kind %d", (int)ev->kind); break;
    }
    if (rc == BRINE_OK && e->depth == 0)
        e->done = 1;
    return rc;
}

/* ---- cbor.* models ------------------------------------------------------- */

static int cb_is_model(const brine_event *ev, const char *name)
{
    size_t n = strlen(name);
    return ev->kind == BRINE_EV_MODEL && ev->v.s.len == n && memcmp(ev->v.s.ptr, name, n) == 0;
}

static int cb_ev_uint(const brine_event *ev, uint64_t *u)
{
    if (ev->kind == BRINE_EV_UINT || (ev->kind == BRINE_EV_INT && ev->v.i >= 0)) {
        *u = ev->kind == BRINE_EV_UINT ? ev->v.u : (uint64_t)ev->v.i;
        return 1;
    }
    return 0;
}

/* The captured events were not the item they name: write them as the
 * ordinary model they are, then the current event. */
static int cb_capture_fallback(cb_enc *e, const brine_event *cur)
{
    static const char *const names[] = {NULL, CB_MODEL_SIMPLE, CB_MODEL_UNDEFINED, CB_MODEL_TAG};
    size_t n = e->cap_n;
    int rc = BRINE_OK;
    e->cap_ev[0].v.s.ptr = names[e->cap_kind];
    e->cap_kind = CAP_NONE;
    e->cap_n = 0;
    e->replay = 1;
    for (size_t i = 0; i < n && rc == BRINE_OK; i++)
        rc = cb_dispatch(e, &e->cap_ev[i]);
    e->replay = 0;
    return rc ? rc : cb_dispatch(e, cur);
}

/* One more event of a captured model. The item is written once the
 * events are known to form it: cbor.undefined (), cbor.simple (n,) with
 * n in 0..19 or 32..255, cbor.tag (t, item) with null state (the tag head
 * is written when t arrives; the item then flows as usual). */
static int cb_capture(cb_enc *e, const brine_event *ev)
{
    const brine_event *m = &e->cap_ev[0];
    size_t i = e->cap_n;
    uint64_t u;
    int ok, rc;
    if (i == 1) {
        size_t want = e->cap_kind == CAP_SIMPLE ? 1 : e->cap_kind == CAP_UNDEF ? 0 : 2;
        ok = ev->kind == BRINE_EV_TUPLE && !ev->anchor && (ev->v.count == want || ev->v.count == BRINE_COUNT_UNKNOWN);
    } else if (e->cap_kind == CAP_SIMPLE && i == 2) {
        ok = cb_ev_uint(ev, &u) && (u < 20 || (u >= 32 && u <= 255));
    } else if (e->cap_kind == CAP_TAG) { /* i == 2 */
        if (!cb_ev_uint(ev, &u))
            return cb_capture_fallback(e, ev);
        e->cap_kind = CAP_NONE;
        e->cap_n = 0;
        if ((rc = cb_child(e)) || (rc = cb_anchor(e, m->anchor)))
            return rc;
        if (!cb_push(e, EF_TAGM, 2, 0, 0) || !cb_push(e, EF_TAGARGS, 2, 0, 0))
            return e->status;
        e->stack[e->depth - 2].children = 1;
        e->stack[e->depth - 1].children = 1;
        return cb_head(e, CB_TAG, u);
    } else {
        static const brine_event_kind tail[] = {BRINE_EV_END, BRINE_EV_NULL, BRINE_EV_END};
        size_t at = i - (e->cap_kind == CAP_SIMPLE ? 3 : 2);
        ok = ev->kind == tail[at];
        if (ok && at == 2) {
            unsigned char b[2];
            size_t n = 1;
            u = 23; /* undefined */
            if (e->cap_kind == CAP_SIMPLE)
                cb_ev_uint(&e->cap_ev[2], &u);
            if (u < 24) {
                b[0] = (unsigned char)(0xe0 | u);
            } else {
                b[0] = 0xf8;
                b[1] = (unsigned char)u;
                n = 2;
            }
            e->cap_kind = CAP_NONE;
            e->cap_n = 0;
            if ((rc = cb_child(e)) || (rc = cb_anchor(e, m->anchor)) || (rc = cb_put(e, b, n)))
                return rc;
            if (e->depth == 0)
                e->done = 1;
            return BRINE_OK;
        }
    }
    if (!ok)
        return cb_capture_fallback(e, ev);
    e->cap_ev[e->cap_n++] = *ev;
    return BRINE_OK;
}

static int cb_dispatch(cb_enc *e, const brine_event *ev)
{
    if (e->cap_kind != CAP_NONE)
        return cb_capture(e, ev);
    if (!e->replay && ev->kind == BRINE_EV_MODEL) {
        int k = cb_is_model(ev, CB_MODEL_TAG)         ? CAP_TAG
                : cb_is_model(ev, CB_MODEL_SIMPLE)    ? CAP_SIMPLE
                : cb_is_model(ev, CB_MODEL_UNDEFINED) ? CAP_UNDEF
                                                      : CAP_NONE;
        if (k != CAP_NONE) {
            e->cap_kind = k;
            e->cap_ev[0] = *ev;
            e->cap_n = 1;
            return BRINE_OK;
        }
    }
    return cb_write_event(e, ev);
}

static __attribute__((noinline)) int cb_event_general(cb_enc *e, const brine_event *ev)
{
    int rc;
    if (e->status)
        return e->status;
    rc = cb_dispatch(e, ev);
    if (rc && !e->status)
        e->status = rc;
    return rc;
}

/* The sink's event(). Scalars in a list or dict of known count, by far the
 * most events, lists and dicts of known count and their ENDs take a short
 * path straight into the output when nothing is buffered or captured. */
static int cb_event(brine_sink *sink, const brine_event *ev)
{
    cb_enc *e = (cb_enc *)sink;
    brine_output *out = e->out;
    cb_eframe *f;
    unsigned char *q;
    if (e->status || e->cap_kind || e->nbuffered || !e->depth)
        return cb_event_general(e, ev);
    f = &e->stack[e->depth - 1];
    if (f->kind > EF_DICT)
        return cb_event_general(e, ev);
    if (ev->kind == BRINE_EV_END) {
        if (f->children != f->count || e->depth == 1)
            return cb_event_general(e, ev);
        e->depth--;
        return BRINE_OK;
    }
    if (f->children >= f->count || (size_t)(out->end - out->cur) < 9)
        return cb_event_general(e, ev);
    q = out->cur;
    switch (ev->kind) {
    case BRINE_EV_NULL: *q++ = 0xf6; break;
    case BRINE_EV_BOOL: *q++ = ev->v.boolean ? 0xf5 : 0xf4; break;
    case BRINE_EV_INT:
        q = cb_head_raw(q, ev->v.i >= 0 ? CB_UINT : CB_NEGINT, ev->v.i >= 0 ? (uint64_t)ev->v.i : ~(uint64_t)ev->v.i);
        break;
    case BRINE_EV_UINT: q = cb_head_raw(q, CB_UINT, ev->v.u); break;
    case BRINE_EV_FLOAT: q = cb_float_raw(q, ev->v.f); break;
    case BRINE_EV_STR:
    case BRINE_EV_BYTES:
        if (ev->v.s.len > (size_t)(out->end - out->cur) - 9)
            return cb_event_general(e, ev);
        q = cb_head_raw(q, ev->kind == BRINE_EV_STR ? CB_TEXT : CB_BYTES, ev->v.s.len);
        if (ev->v.s.len)
            memcpy(q, ev->v.s.ptr, ev->v.s.len);
        q += ev->v.s.len;
        break;
    case BRINE_EV_LIST:
    case BRINE_EV_DICT: {
        int dict = ev->kind == BRINE_EV_DICT;
        cb_eframe *g;
        if ((ev->anchor && e->o.refs) || ev->v.count == BRINE_COUNT_UNKNOWN || (dict && e->o.canonical) ||
            e->depth == e->cap)
            return cb_event_general(e, ev);
        q = cb_head_raw(q, dict ? CB_MAP : CB_ARRAY, ev->v.count);
        f->children++;
        g = &e->stack[e->depth++];
        memset(g, 0, sizeof *g);
        g->kind = dict ? EF_DICT : EF_LIST;
        g->count = dict ? (uint64_t)ev->v.count * 2 : ev->v.count;
        g->start = CB_NO_BUF;
        out->cur = q;
        return BRINE_OK;
    }
    default: return cb_event_general(e, ev);
    }
    out->cur = q;
    f->children++;
    return BRINE_OK;
}

static int cb_finish(brine_sink *sink)
{
    cb_enc *e = (cb_enc *)sink;
    int rc;
    if (e->status)
        return e->status;
    if (!e->done || e->cap_kind != CAP_NONE)
        return cb_efail(e, BRINE_E_INVALID, "the events ended before the value was complete");
    if ((rc = brine_output_flush(e->out, e->sink.err)) != BRINE_OK) {
        e->status = rc;
        return rc;
    }
    return BRINE_OK;
}

static void cb_destroy(brine_sink *sink)
{
    cb_enc *e = (cb_enc *)sink;
    if (!e)
        return;
    for (size_t i = 0; i < e->depth; i++)
        brine_free(e->stack[i].name);
    brine_free(e->stack);
    brine_free(e->buf);
    brine_free(e->marks);
    brine_free(e->ids);
    brine_free(e);
}

brine_sink *cb_encoder_new(brine_output *out, const brine_options *opts, brine_error *err)
{
    cb_opts o;
    cb_enc *e;
    if (cb_opts_parse(opts, &o, err) != BRINE_OK)
        return NULL;
    e = brine_malloc(sizeof *e);
    if (!e) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    memset(e, 0, sizeof *e);
    e->sink.event = cb_event;
    e->sink.finish = cb_finish;
    e->sink.destroy = cb_destroy;
    /* Arrays as RFC 8746 typed arrays or brine's array tag; plain leaves
     * them to core, which sends numpy's tolist() as nested lists. */
    e->sink.flags = (o.refs ? BRINE_SINK_REFS : 0) | (!o.plain ? BRINE_SINK_ARRAYS : 0);
    e->sink.err = err;
    e->out = out;
    e->o = o;
    return &e->sink;
}
