/* encode.c: the native format writer (docs/native-format.md), a sink that
 * turns events into bytes as they come, so the output never has to be held
 * whole. It checks the event stream's shape (counts, END, model args) with a
 * small explicit stack, renumbers anchors to the format's implicit ids, and
 * hashes the output buffer's bytes just before the output drains them.
 */
#include <stdint.h>

#include "xxh3.h" /* XXH3 through its dispatching entry where it links */

#include "../seed.h"
#include "../walkfind.h"
#include "native.h"

/* Frame kinds, as in decode.c: open forms count down from NAT_OPEN_REM. */
enum { NAT_E_TOP = 0, NAT_E_LIST, NAT_E_TUPLE, NAT_E_DICT, NAT_E_MODEL, NAT_E_OPEN = 8 };
#define NAT_OPEN_REM UINT64_MAX

/* status before the first event: the header is not written yet (its
 * version depends on what comes), and the fast path takes the slow one. */
#define NAT_PENDING (-1)

/* Room asked for in one go for a tag, a varint and a fixed payload. */
#define NAT_SMALL_ROOM (1 + NAT_VARINT_MAX + 16)

typedef struct nat_eframe {
    uint64_t rem;  /* children still expected */
    unsigned kind; /* NAT_E_* */
} nat_eframe;

/* Incoming anchor ids that are not 1, 2, 3... map to file ids here: open
 * addressing, linear probing, keys nonzero. A program feeding the sink
 * directly chooses the ids, and the fixed multiply that placed them was
 * invertible: 100,000 colliding ids took 8.4 s instead of 0.013 s
 * (tests/test_flood.c). So each table draws a random key when it is first
 * allocated and mixes ids with it as core/map.c does (XXH3's rrmxmx). */
typedef struct nat_idmap {
    uint64_t *keys;
    uint64_t *vals;
    size_t cap; /* a power of two, or 0 */
    size_t count;
    uint64_t seed; /* drawn when cap first becomes nonzero */
} nat_idmap;

typedef struct nat_enc {
    brine_sink sink; /* first: the sink pointer is the encoder */
    brine_output *out;
    XXH3_state_t *xx;      /* inside xx_mem, 64-byte aligned */
    void *xx_mem;          /* brine_malloc'ed */
    unsigned char *hashed; /* output bytes from here to out->cur are not hashed yet */
    nat_eframe *stack;     /* the containers open below the innermost */
    size_t depth, cap;
    uint64_t top_rem; /* children the innermost container still expects */
    unsigned top_kind;
    int status; /* sticky: the first error */
    int finished;
    uint64_t anchors; /* anchors written, which is the last file id given */
    uint64_t seq_ids; /* incoming ids 1..seq_ids are file ids 1..seq_ids */
    int mapped;       /* an incoming id broke the sequence: later ones use map */
    nat_idmap map;
    unsigned char *header; /* the header's bytes while no byte has left the buffer (hashed == header) */
    unsigned minor;        /* the minor version in the header */
    uint64_t start;        /* brine_output_total when the header was written: the file's offset 0 */
} nat_enc;

static int nat_efail(nat_enc *en, int code, const char *msg)
{
    if (code == BRINE_E_NOMEM)
        brine_error_set(en->sink.err, code, "out of memory");
    else
        brine_error_set(en->sink.err, code, "%s", msg);
    en->status = code;
    return code;
}

/* ---- anchor ids ---- */

static uint64_t *nat_idmap_slot(const nat_idmap *m, uint64_t key)
{
    size_t mask = m->cap - 1;
    uint64_t h = key ^ m->seed;
    h ^= (h << 49 | h >> 15) ^ (h << 24 | h >> 40);
    h *= UINT64_C(0x9FB21C651E98DF25);
    h ^= (h >> 35) + 8;
    h *= UINT64_C(0x9FB21C651E98DF25);
    h ^= h >> 28;
    size_t i = (size_t)h & mask;
    while (m->keys[i] != 0 && m->keys[i] != key)
        i = (i + 1) & mask;
    return &m->keys[i];
}

static int nat_idmap_put(nat_idmap *m, uint64_t key, uint64_t val)
{
    uint64_t *slot;
    if ((m->count + 1) * 2 > m->cap) {
        nat_idmap bigger;
        size_t i;
        bigger.cap = m->cap ? m->cap * 2 : 64;
        bigger.count = m->count;
        bigger.seed = m->cap ? m->seed : brine_plugin_seed(m);
        bigger.keys = brine_malloc(bigger.cap * sizeof(uint64_t));
        bigger.vals = brine_malloc(bigger.cap * sizeof(uint64_t));
        if (!bigger.keys || !bigger.vals) {
            brine_free(bigger.keys);
            brine_free(bigger.vals);
            return BRINE_E_NOMEM;
        }
        memset(bigger.keys, 0, bigger.cap * sizeof(uint64_t));
        for (i = 0; i < m->cap; i++) {
            if (m->keys[i]) {
                slot = nat_idmap_slot(&bigger, m->keys[i]);
                *slot = m->keys[i];
                bigger.vals[slot - bigger.keys] = m->vals[i];
            }
        }
        brine_free(m->keys);
        brine_free(m->vals);
        *m = bigger;
    }
    slot = nat_idmap_slot(m, key);
    if (*slot == key)
        return BRINE_E_INVALID;
    *slot = key;
    m->vals[slot - m->keys] = val;
    m->count++;
    return BRINE_OK;
}

/* Gives the next file id to incoming anchor id. The walker numbers anchors
 * 1, 2, 3... which map to themselves without a table. */
static int nat_anchor_define(nat_enc *en, uint64_t id)
{
    uint64_t file_id = ++en->anchors;
    int rc;
    if (!en->mapped && id == file_id) {
        en->seq_ids = id;
        return BRINE_OK;
    }
    en->mapped = 1;
    if (id <= en->seq_ids)
        return nat_efail(en, BRINE_E_INVALID, "an anchor id is used twice in the event stream");
    rc = nat_idmap_put(&en->map, id, file_id);
    if (rc != BRINE_OK)
        return nat_efail(en, rc, "an anchor id is used twice in the event stream");
    return BRINE_OK;
}

static int nat_anchor_lookup(nat_enc *en, uint64_t id, uint64_t *file_id)
{
    if (id != 0 && id <= en->seq_ids) {
        *file_id = id;
        return BRINE_OK;
    }
    if (id != 0 && en->map.cap) {
        uint64_t *slot = nat_idmap_slot(&en->map, id);
        if (*slot == id) {
            *file_id = en->map.vals[slot - en->map.keys];
            return BRINE_OK;
        }
    }
    return nat_efail(en, BRINE_E_REF, "a ref names an anchor that no earlier container has");
}

/* ---- output ---- */

/* Slow path of nat_room: the output is about to drain or move its buffer,
 * so the bytes written since the last call go into the checksum first. */
static int nat_room_slow(nat_enc *en, size_t n)
{
    brine_output *out = en->out;
    int rc;
    XXH3_64bits_update(en->xx, en->hashed, (size_t)(out->cur - en->hashed));
    rc = brine_output_reserve(out, n, en->sink.err);
    en->hashed = out->cur;
    if (rc != BRINE_OK)
        en->status = rc;
    return rc;
}

static inline int nat_room(nat_enc *en, size_t n)
{
    return BRINEP_LIKELY((size_t)(en->out->end - en->out->cur) >= n) ? BRINE_OK : nat_room_slow(en, n);
}

/* Appends a payload: copied when it fits the free space, else hashed and
 * handed to the output directly (big strings never grow the buffer). */
static int nat_payload(nat_enc *en, const void *data, size_t len)
{
    brine_output *out = en->out;
    int rc;
    if (BRINEP_LIKELY((size_t)(out->end - out->cur) >= len)) {
        if (len)
            memcpy(out->cur, data, len);
        out->cur += len;
        return BRINE_OK;
    }
    XXH3_64bits_update(en->xx, en->hashed, (size_t)(out->cur - en->hashed));
    XXH3_64bits_update(en->xx, data, len);
    rc = brine_output_write(out, data, len, en->sink.err);
    en->hashed = out->cur;
    if (rc != BRINE_OK)
        en->status = rc;
    return rc;
}

/* The smallest int form (section 4.1). */
static inline unsigned char *nat_put_int(unsigned char *p, int64_t v)
{
    if (v >= -32 && v <= NAT_FIXINT_MAX) {
        *p++ = (unsigned char)v;
    } else if (v >= INT8_MIN && v <= INT8_MAX) {
        *p++ = NAT_INT8;
        *p++ = (unsigned char)v;
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
        *p++ = NAT_INT16;
        nat_store16(p, (uint16_t)v);
        p += 2;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        *p++ = NAT_INT32;
        nat_store32(p, (uint32_t)v);
        p += 4;
    } else {
        *p++ = NAT_INT64;
        nat_store64(p, (uint64_t)v);
        p += 8;
    }
    return p;
}

static inline unsigned char *nat_put_uint(unsigned char *p, uint64_t u)
{
    if (u <= INT64_MAX)
        return nat_put_int(p, (int64_t)u);
    *p++ = NAT_UINT64;
    nat_store64(p, u);
    return p + 8;
}

/* A BIGINT event should already be minimal and beyond 64 bits; normalise it
 * anyway, since readers refuse any other form (section 4.2). */
static int nat_put_bigint(nat_enc *en, const unsigned char *b, size_t len)
{
    unsigned char *p;
    int rc;
    while (len > 1 && ((b[len - 1] == 0x00 && !(b[len - 2] & 0x80)) || (b[len - 1] == 0xFF && (b[len - 2] & 0x80))))
        len--;
    if ((rc = nat_room(en, NAT_SMALL_ROOM)) != BRINE_OK)
        return rc;
    p = en->out->cur;
    if (len <= 8 || (len == 9 && b[8] == 0x00)) {
        uint64_t u = 0;
        size_t i;
        for (i = 0; i < len && i < 8; i++)
            u |= (uint64_t)b[i] << (8 * i);
        if (len == 9)
            p = nat_put_uint(p, u);
        else {
            if (len > 0 && len < 8 && (b[len - 1] & 0x80))
                u |= ~(uint64_t)0 << (8 * len); /* sign-extend */
            p = nat_put_int(p, (int64_t)u);
        }
        en->out->cur = p;
        return BRINE_OK;
    }
    *p++ = NAT_BIGINT;
    p += nat_put_varint(p, len);
    en->out->cur = p;
    return nat_payload(en, b, len);
}

static int nat_push(nat_enc *en, uint64_t rem, unsigned kind)
{
    if (en->depth == en->cap) {
        size_t cap = en->cap ? en->cap * 2 : 64;
        nat_eframe *bigger = brine_realloc(en->stack, cap * sizeof *bigger);
        if (!bigger)
            return nat_efail(en, BRINE_E_NOMEM, NULL);
        en->stack = bigger;
        en->cap = cap;
    }
    en->stack[en->depth].rem = en->top_rem;
    en->stack[en->depth].kind = en->top_kind;
    en->depth++;
    en->top_rem = rem;
    en->top_kind = kind;
    return BRINE_OK;
}

static int nat_end(nat_enc *en)
{
    int rc;
    if (en->top_kind == NAT_E_TOP)
        return nat_efail(en, BRINE_E_INVALID, "END event without an open container");
    if (en->top_kind & NAT_E_OPEN) {
        if (en->top_kind == (NAT_E_DICT | NAT_E_OPEN) && ((NAT_OPEN_REM - en->top_rem) & 1))
            return nat_efail(en, BRINE_E_INVALID, "END event after a dict key without its value");
        if ((rc = nat_room(en, 1)) != BRINE_OK)
            return rc;
        *en->out->cur++ = NAT_END;
    } else if (en->top_rem != 0) {
        return nat_efail(en, BRINE_E_INVALID, "END event before the container's announced count of children");
    }
    en->depth--;
    en->top_rem = en->stack[en->depth].rem;
    en->top_kind = en->stack[en->depth].kind;
    return BRINE_OK;
}

/* A begin event: the anchor prefix, the tag and count, and a new frame. */
static int nat_begin(nat_enc *en, const brine_event *ev)
{
    unsigned char *p;
    size_t count = ev->v.count;
    unsigned kind;
    uint64_t rem;
    int rc;

    if ((rc = nat_room(en, NAT_SMALL_ROOM)) != BRINE_OK)
        return rc;
    p = en->out->cur;
    if (ev->anchor) {
        if ((rc = nat_anchor_define(en, ev->anchor)) != BRINE_OK)
            return rc;
        *p++ = NAT_ANCHOR;
    }
    switch (ev->kind) {
    case BRINE_EV_LIST:
        kind = NAT_E_LIST;
        if (count == BRINE_COUNT_UNKNOWN)
            *p++ = NAT_LIST_OPEN;
        else if (count <= NAT_FIXLIST_MAX)
            *p++ = (unsigned char)(NAT_FIXLIST + count);
        else {
            *p++ = NAT_LIST;
            p += nat_put_varint(p, count);
        }
        break;
    case BRINE_EV_TUPLE:
        kind = NAT_E_TUPLE;
        if (count == BRINE_COUNT_UNKNOWN)
            *p++ = NAT_TUPLE_OPEN;
        else {
            *p++ = NAT_TUPLE;
            p += nat_put_varint(p, count);
        }
        break;
    case BRINE_EV_DICT:
        kind = NAT_E_DICT;
        if (count == BRINE_COUNT_UNKNOWN)
            *p++ = NAT_DICT_OPEN;
        else if ((uint64_t)count > UINT64_MAX / 2)
            return nat_efail(en, BRINE_E_INVALID, "dict count out of range");
        else if (count <= NAT_FIXDICT_MAX)
            *p++ = (unsigned char)(NAT_FIXDICT + count);
        else {
            *p++ = NAT_DICT;
            p += nat_put_varint(p, count);
        }
        break;
    default: /* BRINE_EV_MODEL */
        kind = NAT_E_MODEL;
        *p++ = NAT_MODEL;
        p += nat_put_varint(p, ev->v.s.len);
        en->out->cur = p;
        if ((rc = nat_payload(en, ev->v.s.ptr, ev->v.s.len)) != BRINE_OK)
            return rc;
        return nat_push(en, 2, kind);
    }
    en->out->cur = p;
    if (count == BRINE_COUNT_UNKNOWN) {
        kind |= NAT_E_OPEN;
        rem = NAT_OPEN_REM;
    } else {
        rem = kind == NAT_E_DICT ? (uint64_t)count * 2 : count;
    }
    return nat_push(en, rem, kind);
}

/* The checks that only a container's edge or a model needs, off the fast
 * path: a child beyond the announced count, a model's args. */
static int nat_child_check(nat_enc *en, const brine_event *ev)
{
    if (en->top_rem == 0)
        return nat_efail(en, BRINE_E_INVALID,
                         en->top_kind == NAT_E_TOP ? "an event after the end of the document"
                                                   : "more children than the container announced");
    if (en->top_kind == NAT_E_MODEL && en->top_rem == 2 && ev->kind != BRINE_EV_TUPLE && ev->kind != BRINE_EV_REF)
        return nat_efail(en, BRINE_E_INVALID, "a model's args are not a tuple");
    return BRINE_OK;
}

/* The header (section 2), written at the first event: 1.0, or 1.1 when
 * the graph (nat_encode_value) or the first event says arrays come. */
static int nat_header(nat_enc *en)
{
    brine_output *out = en->out;
    int rc;
    en->status = 0;
    en->hashed = out->cur;
    if ((rc = nat_room(en, NAT_HEADER_LEN)) != BRINE_OK)
        return rc;
    unsigned char *p = out->cur;
    en->hashed = en->header = p;
    en->start = brine_output_total(out);
    memcpy(p, NAT_MAGIC, NAT_MAGIC_LEN);
    p[8] = NAT_MAJOR;
    p[9] = (unsigned char)en->minor;
    out->cur = p + NAT_HEADER_LEN;
    return BRINE_OK;
}

/* An ARRAY event (format 1.1): the tag, the header's length and bytes,
 * zero bytes to a multiple of 16 from the file's start, and the data in
 * one piece. A file that holds arrays says 1.1 in its header: chosen from
 * the graph by nat_encode_value, or, when events are streamed to an
 * encoder that began as 1.0, by patching the header while it is still in
 * the output buffer (no byte has been hashed or drained); after that the
 * array is refused rather than written under the wrong version. */
static BRINEP_NOINLINE int nat_array(nat_enc *en, const brine_event *ev)
{
    const brine_array_header *h = ev->v.array;
    unsigned char small[256], *hdr = small;
    int rc;
    if (en->minor < NAT_MINOR_ARRAYS) {
        if (en->hashed != en->header)
            return nat_efail(en, BRINE_E_UNSUPPORTED,
                             "an array arrived after the native writer had flushed a 1.0 header; encode the graph "
                             "(brine_encode), which writes 1.1 from the start");
        en->header[9] = NAT_MINOR_ARRAYS;
        en->minor = NAT_MINOR_ARRAYS;
    }
    if (ev->anchor && (rc = nat_anchor_define(en, ev->anchor)) != BRINE_OK)
        return rc;
    size_t hlen = nat_array_header_write(h, NULL, 0);
    if (hlen > sizeof small && !(hdr = brine_malloc(hlen)))
        return nat_efail(en, BRINE_E_NOMEM, NULL);
    nat_array_header_write(h, hdr, hlen);
    if ((rc = nat_room(en, 2 + NAT_VARINT_MAX)) == BRINE_OK) {
        unsigned char *p = en->out->cur;
        if (ev->anchor)
            *p++ = NAT_ANCHOR;
        *p++ = NAT_ARRAY;
        p += nat_put_varint(p, hlen);
        en->out->cur = p;
        rc = nat_payload(en, hdr, hlen);
    }
    if (hdr != small)
        brine_free(hdr);
    if (rc != BRINE_OK)
        return rc;
    static const unsigned char zeros[16] = {0};
    size_t pad = nat_array_pad(brine_output_total(en->out) - en->start);
    if ((rc = nat_payload(en, zeros, pad)) != BRINE_OK)
        return rc;
    return nat_payload(en, h->data, h->data_len);
}

/* Every event, every case: the general path (nat_event below takes the
 * common ones faster). Kept out of line so that the fast path stays a leaf. */
static BRINEP_NOINLINE int nat_event_any(nat_enc *en, const brine_event *ev)
{
    brine_output *out = en->out;
    unsigned char *p;
    size_t len;
    int rc;

    if (BRINEP_UNLIKELY(en->status)) {
        if (en->status != NAT_PENDING)
            return en->status;
        if (ev->kind == BRINE_EV_ARRAY)
            en->minor = NAT_MINOR_ARRAYS;
        if ((rc = nat_header(en)) != BRINE_OK)
            return rc;
    }
    if (ev->kind == BRINE_EV_END)
        return nat_end(en);
    if (BRINEP_UNLIKELY(en->top_rem == 0 || en->top_kind == NAT_E_MODEL) && (rc = nat_child_check(en, ev)) != BRINE_OK)
        return rc;
    en->top_rem--;
    if ((rc = nat_room(en, NAT_SMALL_ROOM)) != BRINE_OK)
        return rc;
    p = out->cur;

    switch (ev->kind) {
    case BRINE_EV_STR:
    case BRINE_EV_BYTES:
        len = ev->v.s.len;
        if (ev->kind == BRINE_EV_STR && len <= NAT_FIXSTR_MAX) {
            *p++ = (unsigned char)(NAT_FIXSTR + len);
        } else {
            *p++ = ev->kind == BRINE_EV_STR ? NAT_STR : NAT_BYTES;
            p += nat_put_varint(p, len);
        }
        out->cur = p;
        if (BRINEP_LIKELY((size_t)(out->end - p) >= len)) {
            memcpy(p, ev->v.s.ptr, len);
            out->cur = p + len;
            return BRINE_OK;
        }
        return nat_payload(en, ev->v.s.ptr, len);
    case BRINE_EV_INT: p = nat_put_int(p, ev->v.i); break;
    case BRINE_EV_FLOAT: {
        uint64_t u;
        memcpy(&u, &ev->v.f, 8);
        *p++ = NAT_FLOAT;
        nat_store64(p, u);
        p += 8;
        break;
    }
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE:
    case BRINE_EV_DICT:
    case BRINE_EV_MODEL: return nat_begin(en, ev);
    case BRINE_EV_NULL: *p++ = NAT_NULL; break;
    case BRINE_EV_BOOL: *p++ = ev->v.boolean ? NAT_TRUE : NAT_FALSE; break;
    case BRINE_EV_UINT: p = nat_put_uint(p, ev->v.u); break;
    case BRINE_EV_BIGINT: return nat_put_bigint(en, (const unsigned char *)ev->v.s.ptr, ev->v.s.len);
    case BRINE_EV_COMPLEX: {
        uint64_t re, im;
        memcpy(&re, &ev->v.c.re, 8);
        memcpy(&im, &ev->v.c.im, 8);
        *p++ = NAT_COMPLEX;
        nat_store64(p, re);
        nat_store64(p + 8, im);
        p += 16;
        break;
    }
    case BRINE_EV_ARRAY: return nat_array(en, ev);
    case BRINE_EV_REF: {
        uint64_t id;
        if ((rc = nat_anchor_lookup(en, ev->v.ref, &id)) != BRINE_OK)
            return rc;
        *p++ = NAT_REF;
        p += nat_put_varint(p, id);
        break;
    }
    default: return nat_efail(en, BRINE_E_INVALID, "unknown event kind");
    }
    out->cur = p;
    return BRINE_OK;
}

/* Copies a short string (at most NAT_FIXSTR_MAX bytes) without a call and
 * without reading past its end: words that overlap at the tail. */
static inline void nat_copy_short(unsigned char *dst, const char *src, size_t len)
{
    if (len >= 8) {
        size_t i;
        for (i = 0; i + 8 < len; i += 8)
            memcpy(dst + i, src + i, 8);
        memcpy(dst + len - 8, src + len - 8, 8);
    } else if (len >= 4) {
        memcpy(dst, src, 4);
        memcpy(dst + len - 4, src + len - 4, 4);
    } else if (len > 0) {
        dst[0] = (unsigned char)src[0];
        dst[len / 2] = (unsigned char)src[len / 2];
        dst[len - 1] = (unsigned char)src[len - 1];
    }
}

/* The sink's event function. The common cases are written here: scalars,
 * short strs, counted containers without an anchor, and their END, when no
 * error is pending, the container expects another child and the buffer has
 * room. Everything else (anchors, refs, open forms, models, long payloads,
 * errors, the edges of the buffer) goes the general way. */
static int nat_event(brine_sink *self, const brine_event *ev)
{
    nat_enc *en = (nat_enc *)self;
    brine_output *out = en->out;
    unsigned char *p = out->cur;
    size_t len;
    unsigned kind;

    if (ev->kind == BRINE_EV_END) {
        /* A counted container that got all its children: nothing to write. */
        if (BRINEP_UNLIKELY(en->status != 0 || en->top_rem != 0 || en->top_kind == NAT_E_TOP ||
                            (en->top_kind & NAT_E_OPEN)))
            return nat_event_any(en, ev);
        en->depth--;
        en->top_rem = en->stack[en->depth].rem;
        en->top_kind = en->stack[en->depth].kind;
        return BRINE_OK;
    }
    if (BRINEP_UNLIKELY(en->status != 0 || en->top_rem == 0 || en->top_kind == NAT_E_MODEL ||
                        (size_t)(out->end - p) < NAT_SMALL_ROOM + NAT_FIXSTR_MAX))
        return nat_event_any(en, ev);
    switch (ev->kind) {
    case BRINE_EV_STR:
        len = ev->v.s.len;
        if (len > NAT_FIXSTR_MAX)
            return nat_event_any(en, ev);
        *p++ = (unsigned char)(NAT_FIXSTR + len);
        nat_copy_short(p, ev->v.s.ptr, len);
        p += len;
        break;
    case BRINE_EV_INT: p = nat_put_int(p, ev->v.i); break;
    case BRINE_EV_FLOAT: {
        uint64_t u;
        memcpy(&u, &ev->v.f, 8);
        *p++ = NAT_FLOAT;
        nat_store64(p, u);
        p += 8;
        break;
    }
    case BRINE_EV_NULL: *p++ = NAT_NULL; break;
    case BRINE_EV_BOOL: *p++ = ev->v.boolean ? NAT_TRUE : NAT_FALSE; break;
    case BRINE_EV_LIST:
    case BRINE_EV_DICT:
        len = ev->v.count;
        if (ev->anchor || len > NAT_FIXLIST_MAX || en->depth == en->cap)
            return nat_event_any(en, ev);
        /* The fix forms of both hold 0..15 (NAT_FIXLIST_MAX == NAT_FIXDICT_MAX). */
        if (ev->kind == BRINE_EV_LIST) {
            *p++ = (unsigned char)(NAT_FIXLIST + len);
            kind = NAT_E_LIST;
        } else {
            *p++ = (unsigned char)(NAT_FIXDICT + len);
            kind = NAT_E_DICT;
            len *= 2;
        }
        out->cur = p;
        en->top_rem--;
        en->stack[en->depth].rem = en->top_rem;
        en->stack[en->depth].kind = en->top_kind;
        en->depth++;
        en->top_rem = len;
        en->top_kind = kind;
        return BRINE_OK;
    default: return nat_event_any(en, ev);
    }
    out->cur = p;
    en->top_rem--;
    return BRINE_OK;
}

/* After the value: the checksum trailer (section 7). */
static int nat_finish(brine_sink *self)
{
    nat_enc *en = (nat_enc *)self;
    brine_output *out = en->out;
    int rc;

    if (en->status && en->status != NAT_PENDING)
        return en->status;
    if (en->finished)
        return nat_efail(en, BRINE_E_INVALID, "finish called twice");
    if (en->depth != 0 || en->top_rem != 0)
        return nat_efail(en, BRINE_E_INVALID, "the document ended before its value was complete");
    XXH3_64bits_update(en->xx, en->hashed, (size_t)(out->cur - en->hashed));
    en->hashed = out->cur;
    if ((rc = nat_room(en, NAT_TRAILER_LEN)) != BRINE_OK)
        return rc;
    nat_store64(out->cur, XXH3_64bits_digest(en->xx));
    out->cur += NAT_TRAILER_LEN;
    en->hashed = out->cur;
    en->finished = 1;
    return BRINE_OK;
}

static void nat_destroy(brine_sink *self)
{
    nat_enc *en = (nat_enc *)self;
    if (!en)
        return;
    brine_free(en->stack);
    brine_free(en->map.keys);
    brine_free(en->map.vals);
    brine_free(en->xx_mem);
    brine_free(en);
}

brine_sink *nat_encoder_new(brine_output *out, const brine_options *opts, brine_error *err)
{
    nat_enc *en;
    (void)opts;

    en = brine_malloc(sizeof *en);
    if (!en) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    memset(en, 0, sizeof *en);
    en->sink.event = nat_event;
    en->sink.finish = nat_finish;
    en->sink.destroy = nat_destroy;
    en->sink.flags = BRINE_SINK_REFS | BRINE_SINK_ARRAYS;
    en->sink.err = err;
    en->out = out;
    en->top_rem = 1;
    en->top_kind = NAT_E_TOP;
    /* xxhash wants its state 64-byte aligned; brine_malloc promises less. */
    en->xx_mem = brine_malloc(sizeof(XXH3_state_t) + 63);
    if (!en->xx_mem) {
        nat_destroy(&en->sink);
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    en->xx = (XXH3_state_t *)(((uintptr_t)en->xx_mem + 63) & ~(uintptr_t)63);
    XXH3_INITSTATE(en->xx);
    XXH3_64bits_reset(en->xx);
    /* The header waits for the first event: a graph without arrays is
     * 1.0, as 0.1 wrote it, and nothing reaches out before that event
     * (a transcode may create an encoder it then does not use). */
    en->status = NAT_PENDING;
    en->hashed = out->cur;
    return &en->sink;
}

/* An array: the version written follows the graph, not its kinds (a
 * superset: an array folded away by a repeated key leaves its kind
 * behind), so that equal graphs give equal bytes (brine_walk_finds, each
 * node once, arrays as arrays). */
static int is_array(const brine_event *ev)
{
    return ev->kind == BRINE_EV_ARRAY;
}

int nat_encode_value(const brine_value *v, brine_output *out, const brine_options *opts, brine_error *err)
{
    brine_sink *sink = nat_encoder_new(out, opts, err);
    if (!sink)
        return err && err->code ? err->code : BRINE_E_NOMEM;
    nat_enc *en = (nat_enc *)sink;
    if ((brine_value_kinds(v) & BRINE_KIND_ARRAY) &&
        brine_walk_finds(v, opts, BRINE_SINK_REFS | BRINE_SINK_ARRAYS, is_array)) {
        en->minor = NAT_MINOR_ARRAYS;
        /* Array data is most of such a document, and the file holds it
         * once: a memory output takes its size in one allocation, not a
         * chain of doubling copies (8 arrays of 8 MB: encode 8x memcpy's
         * time before, see docs/performance.md). */
        brine_doc *doc = brine_value_doc(v);
        if (doc)
            brine_output_expect(out, brine_doc_memory(doc), NULL); /* a hint: a failure is the first write's */
    }
    int rc = brine_walk_options(v, sink, opts, err);
    sink->destroy(sink);
    return rc;
}
