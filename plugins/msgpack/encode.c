/* encode.c: the MessagePack encoder, a sink that writes events with
 * msgpack-c's packer (msgpack_pack_*, smallest forms) into a brine_output.
 * A header whose length is not known when its container opens (brine's ext
 * types carry their content inside the payload; a stream may not announce
 * counts) gets room reserved in a side buffer, is filled in at END, and the
 * unused room is skipped when the buffer is flushed: no payload ever moves.
 * Models named msgpack.timestamp and msgpack.ext are held back until they
 * are complete and written as the ext values they stand for.
 * The one exception is the top list or dict of unknown count into an output
 * that can be rewritten (a file): once MP_SPILL bytes of it wait in the
 * side buffer, its header takes the widest form (array 32 / map 32), the
 * buffer goes out, and its count is patched in at END, so that a stream of
 * records never waits whole in the side buffer, while a small document
 * keeps its smallest header; each record still passes through the buffer
 * when its own count is unknown (docs/formats.md).
 */
#include <stdarg.h>
#include <stdio.h>

#include <msgpack.h>

#include "mp.h"
#include "../grow.h"
#include "shortcopy.h"

enum { EF_LIST, EF_DICT, EF_TUPLE, EF_MODEL, EF_PMODEL, EF_SEQ };
enum { SLOT_EXT, SLOT_ARRAY, SLOT_MAP };
enum { CAP_NONE, CAP_TS, CAP_EXT };

#define MP_NO_SLOT SIZE_MAX

/* Side-buffer bytes of the top container past which it is written with
 * the widest header and patched (an output that can be rewritten only). */
#define MP_SPILL ((size_t)256 << 10)

typedef struct mp_slot {
    size_t off;    /* first reserved byte in buf */
    size_t start;  /* first payload byte: off + reserve */
    size_t slack0; /* the encoder's slack when the payload started */
    uint8_t reserve;
    uint8_t skip; /* once filled: reserved bytes left unused, skipped on flush */
    uint8_t what; /* SLOT_* */
    int8_t ext_type;
} mp_slot;

typedef struct mp_eframe {
    uint64_t children; /* child values written so far */
    uint64_t count;    /* children announced (a dict: entries), or UINT64_MAX when unknown */
    size_t slot_hdr;   /* deferred array or map header, or MP_NO_SLOT */
    size_t slot_ext;   /* deferred ext header of a tuple or model */
    size_t slot_anchor;
    uint64_t patch_at; /* a widest header written to the output at this offset, or UINT64_MAX */
    uint8_t kind;      /* EF_* */
    uint8_t spill;     /* the top container, into a patchable output: may go out before its END */
    /* For mp_event's short path, set once the frame is open: */
    uint8_t fast;  /* its children's scalars and plain containers may take it */
    uint8_t plain; /* a list or dict with its header written: its END may take it */
} mp_eframe;

typedef struct mp_enc {
    brine_sink sink; /* first: the sink handle is the encoder */
    brine_output *out;
    mp_opts o;
    msgpack_packer pk;
    int status;    /* the first failure; every later event returns it */
    int done;      /* the top value is complete */
    int patchable; /* brine_output_can_patch */
    mp_eframe *stack;
    size_t depth, cap;
    /* Deferred writing: while a slot is open, bytes go to buf. */
    unsigned char *buf;
    size_t len, buf_cap;
    mp_slot *slots;
    size_t nslots, slots_cap;
    size_t open_slots;
    size_t slack; /* skip of every slot filled so far */
    /* A msgpack.timestamp or msgpack.ext model being captured. */
    int cap_kind;
    size_t cap_n;
    brine_event cap_ev[7];
    unsigned char *cap_bytes;
    size_t cap_bytes_cap;
    unsigned char *scratch; /* big int bytes reversed */
    size_t scratch_cap;
    mp_bytes arr; /* an array's bytes before its data */
} mp_enc;

static int mp_dispatch(mp_enc *e, const brine_event *ev);

/* ---- errors -------------------------------------------------------------- */

static int mp_efail(mp_enc *e, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int mp_efail(mp_enc *e, int code, const char *fmt, ...)
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

/* A write failed (the output filled err) or ran out of memory. */
static int mp_write_failed(mp_enc *e, int rc)
{
    brine_error *err = e->sink.err;
    if (!e->status)
        e->status = rc;
    if (err && err->code == BRINE_OK)
        return mp_efail(e, rc, "writing the output failed");
    return rc;
}

/* ---- bytes out ------------------------------------------------------------ */

static int mp_buf_put(mp_enc *e, const void *p, size_t len)
{
    if (len > e->buf_cap - e->len) {
        if (len > SIZE_MAX - e->len || brine_plugin_grow((void **)&e->buf, &e->buf_cap, e->len + len, 1) != BRINE_OK) {
            brine_error_set(e->sink.err, BRINE_E_NOMEM, "out of memory");
            return BRINE_E_NOMEM;
        }
    }
    memcpy(e->buf + e->len, p, len);
    e->len += len;
    return BRINE_OK;
}

/* msgpack-c's write callback: to the side buffer while a header is
 * pending, else straight to the output. Returns a brine status. */
static int mp_write(void *data, const char *p, size_t len)
{
    mp_enc *e = data;
    brine_output *out = e->out;
    if (len == 0)
        return BRINE_OK; /* an empty body may come with a NULL pointer, which memcpy must not see */
    if (e->open_slots)
        return mp_buf_put(e, p, len);
    /* Most writes are headers and scalars of 1 to 9 bytes: copies of a
     * constant size compile to moves, where a call to memcpy would cost
     * more than the copy. */
    if ((size_t)(out->end - out->cur) >= 9) {
        switch (len) {
        case 1: *out->cur++ = (unsigned char)p[0]; return BRINE_OK;
        case 2:
            memcpy(out->cur, p, 2);
            out->cur += 2;
            return BRINE_OK;
        case 3:
            memcpy(out->cur, p, 3);
            out->cur += 3;
            return BRINE_OK;
        case 5:
            memcpy(out->cur, p, 5);
            out->cur += 5;
            return BRINE_OK;
        case 9:
            memcpy(out->cur, p, 9);
            out->cur += 9;
            return BRINE_OK;
        default: break;
        }
    }
    return brine_output_put(out, p, len, e->sink.err);
}

/* Reserves room for a header to be filled by mp_slot_fill. */
static int mp_slot_open(mp_enc *e, int what, int ext_type, size_t *idx)
{
    static const unsigned char zero[6];
    unsigned reserve = what == SLOT_EXT ? 6 : 5;
    mp_slot *s;
    int rc;
    if (e->nslots == e->slots_cap &&
        brine_plugin_grow((void **)&e->slots, &e->slots_cap, e->nslots + 1, sizeof *e->slots) != BRINE_OK)
        return mp_efail(e, BRINE_E_NOMEM, "out of memory");
    if ((rc = mp_buf_put(e, zero, reserve)) != BRINE_OK)
        return mp_write_failed(e, rc);
    s = &e->slots[e->nslots];
    s->off = e->len - reserve;
    s->start = e->len;
    s->slack0 = e->slack;
    s->reserve = (uint8_t)reserve;
    s->skip = 0;
    s->what = (uint8_t)what;
    s->ext_type = (int8_t)ext_type;
    *idx = e->nslots++;
    e->open_slots++;
    return BRINE_OK;
}

/* Writes the buffer out, skipping the unused room of every header. */
static int mp_flush_buf(mp_enc *e)
{
    size_t pos = 0;
    int rc = BRINE_OK;
    for (size_t i = 0; i < e->nslots && rc == BRINE_OK; i++) {
        const mp_slot *s = &e->slots[i];
        if (!s->skip)
            continue;
        rc = brine_output_write(e->out, e->buf + pos, s->off - pos, e->sink.err);
        pos = s->off + s->skip;
    }
    if (rc == BRINE_OK)
        rc = brine_output_write(e->out, e->buf + pos, e->len - pos, e->sink.err);
    e->len = 0;
    e->nslots = 0;
    e->slack = 0;
    return rc ? mp_write_failed(e, rc) : BRINE_OK;
}

/* Fills a header now that its content is written: count children for an
 * array or map, the payload length for an ext. */
static int mp_slot_fill(mp_enc *e, size_t idx, uint64_t count)
{
    mp_slot *s = &e->slots[idx];
    unsigned char hdr[6];
    size_t h;
    if (s->what == SLOT_EXT) {
        uint64_t len = (uint64_t)(e->len - s->start) - (uint64_t)(e->slack - s->slack0);
        if (len > UINT32_MAX)
            return mp_efail(e, BRINE_E_UNSUPPORTED, "an ext payload of %llu bytes exceeds MessagePack's 4 GiB limit",
                            (unsigned long long)len);
        h = mp_ext_header(hdr, mp_ext_form(len), s->ext_type, len);
    } else {
        unsigned fix = s->what == SLOT_ARRAY ? 0x90 : 0x80;
        if (count > UINT32_MAX)
            return mp_efail(e, BRINE_E_UNSUPPORTED, "%llu values exceed MessagePack's limit of 2^32-1",
                            (unsigned long long)count);
        if (count < 16) {
            hdr[0] = (unsigned char)(fix | count);
            h = 1;
        } else if (count <= 0xffff) {
            hdr[0] = s->what == SLOT_ARRAY ? 0xdc : 0xde;
            hdr[1] = (unsigned char)(count >> 8);
            hdr[2] = (unsigned char)count;
            h = 3;
        } else {
            hdr[0] = s->what == SLOT_ARRAY ? 0xdd : 0xdf;
            mp_store32(hdr + 1, (uint32_t)count);
            h = 5;
        }
    }
    memcpy(e->buf + s->start - h, hdr, h); /* right-aligned: the room left is skipped */
    s->skip = (uint8_t)(s->reserve - h);
    e->slack += s->skip;
    if (--e->open_slots == 0)
        return mp_flush_buf(e);
    return BRINE_OK;
}

/* ---- values ---------------------------------------------------------------- */

/* The top container has MP_SPILL bytes waiting: its header becomes the
 * widest form (the slot's 5 bytes, no room skipped), everything buffered
 * goes out, and END patches the count in (mp_close). */
static int mp_spill(mp_enc *e, mp_eframe *f)
{
    mp_slot *s = &e->slots[f->slot_hdr];
    unsigned char *hdr = e->buf + s->off;
    hdr[0] = s->what == SLOT_ARRAY ? 0xdd : 0xdf;
    mp_store32(hdr + 1, 0);
    s->skip = 0;
    f->patch_at = brine_output_total(e->out) + s->off;
    f->slot_hdr = MP_NO_SLOT;
    f->spill = 0;
    e->open_slots--;
    return mp_flush_buf(e);
}

static int mp_value_done(mp_enc *e)
{
    mp_eframe *top;
    if (e->depth == 0) {
        e->done = 1;
        return BRINE_OK;
    }
    top = &e->stack[e->depth - 1];
    top->children++;
    if (e->depth == 1 && top->spill && e->open_slots == 1 && e->len >= MP_SPILL)
        return mp_spill(e, top);
    return BRINE_OK;
}

static unsigned char *mp_scratch(mp_enc *e, size_t len)
{
    if (len > e->scratch_cap && brine_plugin_grow((void **)&e->scratch, &e->scratch_cap, len, 1) != BRINE_OK)
        return NULL;
    return e->scratch;
}

static int mp_put_bigint(mp_enc *e, const brine_event *ev)
{
    const unsigned char *le = (const unsigned char *)ev->v.s.ptr;
    size_t len = ev->v.s.len;
    unsigned char *be;
    int rc;
    if (e->o.plain)
        return mp_efail(e, BRINE_E_UNSUPPORTED, "plain MessagePack has no integers beyond 64 bits");
    if (len > UINT32_MAX)
        return mp_efail(e, BRINE_E_UNSUPPORTED, "an integer of %zu bytes exceeds MessagePack's 4 GiB limit", len);
    if (!(be = mp_scratch(e, len ? len : 1)))
        return mp_efail(e, BRINE_E_NOMEM, "out of memory");
    for (size_t i = 0; i < len; i++)
        be[i] = le[len - 1 - i];
    rc = msgpack_pack_ext(&e->pk, len, MP_EXT_BIGINT);
    if (!rc)
        rc = msgpack_pack_ext_body(&e->pk, be, len);
    return rc;
}

static int mp_put_complex(mp_enc *e, const brine_event *ev)
{
    unsigned char p[16];
    int rc;
    if (e->o.plain) {
        rc = msgpack_pack_array(&e->pk, 2);
        if (!rc)
            rc = msgpack_pack_double(&e->pk, ev->v.c.re);
        if (!rc)
            rc = msgpack_pack_double(&e->pk, ev->v.c.im);
        return rc;
    }
    mp_store_double(p, ev->v.c.re);
    mp_store_double(p + 8, ev->v.c.im);
    rc = msgpack_pack_ext(&e->pk, 16, MP_EXT_COMPLEX);
    return rc ? rc : msgpack_pack_ext_body(&e->pk, p, 16);
}

static int mp_put_ref(mp_enc *e, const brine_event *ev)
{
    unsigned char p[8];
    size_t w;
    int rc;
    if (!e->o.refs)
        return mp_efail(e, BRINE_E_UNSUPPORTED, "a shared reference needs the refs option%s",
                        e->o.plain ? " (plain MessagePack has none)" : "");
    w = ev->v.ref <= 0xff ? 1 : ev->v.ref <= 0xffff ? 2 : ev->v.ref <= 0xffffffffu ? 4 : 8;
    for (size_t i = 0; i < w; i++)
        p[i] = (unsigned char)(ev->v.ref >> (8 * (w - 1 - i)));
    rc = msgpack_pack_ext(&e->pk, w, MP_EXT_REF);
    return rc ? rc : msgpack_pack_ext_body(&e->pk, p, w);
}

/* An ARRAY event: ext 86 ([dtype, shape, data] in its payload), or with
 * numpy msgpack-numpy's map; anchored (ext 84 around it) when shared and
 * refs is on. The data is written from the event as it is: in the
 * dtype's byte order, which the dtype spells. */
static int mp_put_array(mp_enc *e, const brine_event *ev)
{
    const brine_array_header *h = ev->v.array;
    unsigned char hdr[6];
    size_t slot = MP_NO_SLOT;
    int rc;
    if (h->data_len > UINT32_MAX)
        return mp_efail(e, BRINE_E_UNSUPPORTED, "an array of %zu bytes exceeds MessagePack's 4 GiB limit", h->data_len);
    if (mp_array_prefix(h, e->o.numpy, &e->arr) != BRINE_OK)
        return mp_efail(e, BRINE_E_NOMEM, "out of memory");
    uint64_t len = (uint64_t)e->arr.len + h->data_len;
    if (!e->o.numpy && len > UINT32_MAX)
        return mp_efail(e, BRINE_E_UNSUPPORTED, "an array of %llu bytes exceeds MessagePack's 4 GiB ext limit",
                        (unsigned long long)len);
    if (ev->anchor && e->o.refs) {
        if ((rc = mp_slot_open(e, SLOT_EXT, MP_EXT_ANCHOR, &slot)) != BRINE_OK)
            return rc;
        if ((rc = msgpack_pack_array(&e->pk, 2)) || (rc = msgpack_pack_uint64(&e->pk, ev->anchor)))
            return rc;
    }
    if (!e->o.numpy && (rc = mp_write(e, (const char *)hdr, mp_ext_header(hdr, mp_ext_form(len), MP_EXT_ARRAY, len))))
        return rc;
    if ((rc = mp_write(e, (const char *)e->arr.p, e->arr.len)) ||
        (rc = mp_write(e, (const char *)h->data, h->data_len)))
        return rc;
    return slot == MP_NO_SLOT ? BRINE_OK : mp_slot_fill(e, slot, 0);
}

static int mp_put_str(mp_enc *e, const brine_event *ev)
{
    int rc;
    if (ev->v.s.len > UINT32_MAX)
        return mp_efail(e, BRINE_E_UNSUPPORTED, "a str or bytes of %zu bytes exceeds MessagePack's 4 GiB limit",
                        ev->v.s.len);
    if (ev->kind == BRINE_EV_STR) {
        rc = msgpack_pack_str(&e->pk, ev->v.s.len);
        return rc ? rc : msgpack_pack_str_body(&e->pk, ev->v.s.ptr, ev->v.s.len);
    }
    rc = msgpack_pack_bin(&e->pk, ev->v.s.len);
    return rc ? rc : msgpack_pack_bin_body(&e->pk, ev->v.s.ptr, ev->v.s.len);
}

static int mp_put_key(mp_enc *e, const char *key)
{
    size_t n = strlen(key);
    int rc = msgpack_pack_str(&e->pk, n);
    return rc ? rc : msgpack_pack_str_body(&e->pk, key, n);
}

/* ---- containers -------------------------------------------------------------- */

static int mp_header(mp_enc *e, mp_eframe *f, int what, uint64_t count)
{
    if (count == UINT64_MAX && e->depth == 1 && !e->open_slots && e->patchable)
        f->spill = 1; /* its slot is the first byte of the side buffer */
    if (count == UINT64_MAX)
        return mp_slot_open(e, what, 0, &f->slot_hdr);
    if (count > UINT32_MAX)
        return mp_efail(e, BRINE_E_UNSUPPORTED, "%llu values exceed MessagePack's limit of 2^32-1",
                        (unsigned long long)count);
    return what == SLOT_ARRAY ? msgpack_pack_array(&e->pk, (size_t)count) : msgpack_pack_map(&e->pk, (size_t)count);
}

/* The next frame on the stack (room checked by the caller), opened for a
 * container of count children (UINT64_MAX: unknown). */
static mp_eframe *mp_frame_open(mp_enc *e, uint64_t count)
{
    mp_eframe *f = &e->stack[e->depth++];
    memset(f, 0, sizeof *f);
    f->slot_hdr = f->slot_ext = f->slot_anchor = MP_NO_SLOT;
    f->patch_at = UINT64_MAX;
    f->count = count;
    return f;
}

static int mp_open(mp_enc *e, const brine_event *ev)
{
    mp_eframe *f;
    int rc = BRINE_OK;
    if (e->depth == e->cap && brine_plugin_grow((void **)&e->stack, &e->cap, e->depth + 1, sizeof *e->stack) != BRINE_OK)
        return mp_efail(e, BRINE_E_NOMEM, "out of memory");
    f = mp_frame_open(e, ev->kind == BRINE_EV_MODEL           ? 2
                         : ev->v.count == BRINE_COUNT_UNKNOWN ? UINT64_MAX
                                                              : (uint64_t)ev->v.count);
    if (e->depth == 1 && e->o.sequence) {
        f->kind = EF_SEQ; /* its values are written one after another */
        return BRINE_OK;
    }
    if (ev->anchor && e->o.refs) {
        if ((rc = mp_slot_open(e, SLOT_EXT, MP_EXT_ANCHOR, &f->slot_anchor)) != BRINE_OK)
            return rc;
        if ((rc = msgpack_pack_array(&e->pk, 2)) || (rc = msgpack_pack_uint64(&e->pk, ev->anchor)))
            return rc;
    }
    switch (ev->kind) {
    case BRINE_EV_LIST: f->kind = EF_LIST; return mp_header(e, f, SLOT_ARRAY, f->count);
    case BRINE_EV_DICT: f->kind = EF_DICT; return mp_header(e, f, SLOT_MAP, f->count);
    case BRINE_EV_TUPLE:
        f->kind = EF_TUPLE;
        if (!e->o.plain && (rc = mp_slot_open(e, SLOT_EXT, MP_EXT_TUPLE, &f->slot_ext)) != BRINE_OK)
            return rc;
        return mp_header(e, f, SLOT_ARRAY, f->count);
    default: break;
    }
    if (ev->v.s.len > UINT32_MAX)
        return mp_efail(e, BRINE_E_UNSUPPORTED, "a model name of %zu bytes is too long", ev->v.s.len);
    if (e->o.plain) {
        /* {"type": name, "args": [...], "state": ...}, like the json plugin's plain mode */
        f->kind = EF_PMODEL;
        if ((rc = msgpack_pack_map(&e->pk, 3)) || (rc = mp_put_key(e, "type")))
            return rc;
    } else {
        f->kind = EF_MODEL;
        if ((rc = mp_slot_open(e, SLOT_EXT, MP_EXT_MODEL, &f->slot_ext)) != BRINE_OK ||
            (rc = msgpack_pack_array(&e->pk, 3)))
            return rc;
    }
    rc = msgpack_pack_str(&e->pk, ev->v.s.len);
    return rc ? rc : msgpack_pack_str_body(&e->pk, ev->v.s.ptr, ev->v.s.len);
}

static int mp_close(mp_enc *e)
{
    mp_eframe f;
    uint64_t n;
    int rc;
    if (e->depth == 0)
        return mp_efail(e, BRINE_E_INVALID, "END without an open container");
    f = e->stack[--e->depth]; /* popped first: an error now names the container itself */
    n = f.kind == EF_DICT ? f.children / 2 : f.children;
    if (f.kind == EF_DICT && (f.children & 1))
        return mp_efail(e, BRINE_E_INVALID, "a dict ended after a key without its value");
    if ((f.kind == EF_MODEL || f.kind == EF_PMODEL) && f.children != 2)
        return mp_efail(e, BRINE_E_INVALID, "a model needs exactly two children (args and state), not %llu",
                        (unsigned long long)f.children);
    if (f.count != UINT64_MAX && f.count != n)
        return mp_efail(e, BRINE_E_INVALID, "a container announced %llu values but got %llu",
                        (unsigned long long)f.count, (unsigned long long)n);
    if (f.slot_hdr != MP_NO_SLOT && (rc = mp_slot_fill(e, f.slot_hdr, n)) != BRINE_OK)
        return rc;
    if (f.patch_at != UINT64_MAX) {
        unsigned char be[4];
        if (n > UINT32_MAX)
            return mp_efail(e, BRINE_E_UNSUPPORTED, "%llu values exceed MessagePack's limit of 2^32-1",
                            (unsigned long long)n);
        mp_store32(be, (uint32_t)n);
        if ((rc = brine_output_patch(e->out, f.patch_at + 1, be, sizeof be, e->sink.err)) != BRINE_OK)
            return mp_write_failed(e, rc);
    }
    if (f.slot_ext != MP_NO_SLOT && (rc = mp_slot_fill(e, f.slot_ext, 0)) != BRINE_OK)
        return rc;
    if (f.slot_anchor != MP_NO_SLOT && (rc = mp_slot_fill(e, f.slot_anchor, 0)) != BRINE_OK)
        return rc;
    return mp_value_done(e);
}

static int mp_generic(mp_enc *e, const brine_event *ev)
{
    msgpack_packer *pk = &e->pk;
    int rc;
    switch (ev->kind) {
    case BRINE_EV_NULL: rc = msgpack_pack_nil(pk); break;
    case BRINE_EV_BOOL: rc = ev->v.boolean ? msgpack_pack_true(pk) : msgpack_pack_false(pk); break;
    case BRINE_EV_INT: rc = msgpack_pack_int64(pk, ev->v.i); break;
    case BRINE_EV_UINT: rc = msgpack_pack_uint64(pk, ev->v.u); break;
    case BRINE_EV_BIGINT: rc = mp_put_bigint(e, ev); break;
    case BRINE_EV_FLOAT: rc = msgpack_pack_double(pk, ev->v.f); break;
    case BRINE_EV_COMPLEX: rc = mp_put_complex(e, ev); break;
    case BRINE_EV_STR:
    case BRINE_EV_BYTES: rc = mp_put_str(e, ev); break;
    case BRINE_EV_REF: rc = mp_put_ref(e, ev); break;
    case BRINE_EV_ARRAY: rc = mp_put_array(e, ev); break;
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE:
    case BRINE_EV_DICT:
    case BRINE_EV_MODEL: {
        if ((rc = mp_open(e, ev)))
            return mp_write_failed(e, rc);
        mp_eframe *f = &e->stack[e->depth - 1];
        f->fast = f->kind != EF_PMODEL && !e->open_slots;
        f->plain = (f->kind == EF_LIST || f->kind == EF_DICT) && f->slot_hdr == MP_NO_SLOT &&
                   f->slot_ext == MP_NO_SLOT && f->slot_anchor == MP_NO_SLOT && f->patch_at == UINT64_MAX;
        return BRINE_OK;
    }
    case BRINE_EV_END: return mp_close(e);
    default: return mp_efail(e, BRINE_E_INVALID, "unknown event kind %d", (int)ev->kind);
    }
    if (rc)
        return mp_write_failed(e, rc);
    return mp_value_done(e);
}

/* ---- msgpack.timestamp and msgpack.ext models -------------------------------- */

static int mp_is_model(const brine_event *ev, const char *name)
{
    size_t n = strlen(name);
    return ev->v.s.len == n && memcmp(ev->v.s.ptr, name, n) == 0;
}

/* The captured model is not the ext value it names: send its events on as
 * a model's (they are few and shallow), then the event that broke the
 * shape, if any. */
static int mp_capture_fallback(mp_enc *e, const brine_event *cur)
{
    size_t n = e->cap_n;
    int rc;
    e->cap_kind = CAP_NONE;
    e->cap_n = 0;
    rc = mp_generic(e, &e->cap_ev[0]); /* mp_dispatch's checks ran when it arrived */
    for (size_t i = 1; i < n && rc == BRINE_OK; i++)
        rc = mp_dispatch(e, &e->cap_ev[i]);
    if (rc == BRINE_OK && cur)
        rc = mp_dispatch(e, cur);
    return rc;
}

static int mp_ev_int(const brine_event *ev, int64_t lo, int64_t hi, int64_t *out)
{
    if (ev->kind == BRINE_EV_INT && ev->v.i >= lo && ev->v.i <= hi) {
        *out = ev->v.i;
        return 1;
    }
    if (ev->kind == BRINE_EV_UINT && ev->v.u <= (uint64_t)hi && hi >= 0) {
        *out = (int64_t)ev->v.u;
        return 1;
    }
    return 0;
}

/* The whole model is here: write it as its ext value if its parts are
 * valid, else as an ordinary model. */
static int mp_capture_write(mp_enc *e)
{
    const brine_event *ev = e->cap_ev;
    unsigned char hdr[6], ts[12];
    const unsigned char *payload;
    size_t h, len;
    int64_t a, b, st = 0;
    int rc;
    if (e->cap_kind == CAP_TS) {
        /* A state names a width other than the usual one (a null state
         * reads back for that): anything else is not a timestamp's. */
        if (!mp_ev_int(&ev[2], INT64_MIN, INT64_MAX, &a) || !mp_ev_int(&ev[3], 0, 999999999, &b) ||
            (ev[5].kind != BRINE_EV_NULL && !mp_ev_int(&ev[5], 4, 12, &st)))
            return mp_capture_fallback(e, NULL);
        len = mp_ts_width(a, (uint32_t)b);
        if (ev[5].kind != BRINE_EV_NULL) {
            if ((size_t)st == len || !mp_ts_fits(a, (uint32_t)b, (uint64_t)st))
                return mp_capture_fallback(e, NULL);
            len = (size_t)st;
        }
        mp_ts_write(ts, a, (uint32_t)b, len);
        payload = ts;
        h = mp_ext_header(hdr, mp_ext_form(len), MP_EXT_TIMESTAMP, len);
    } else {
        len = ev[3].v.s.len;
        if (!mp_ev_int(&ev[2], -128, 127, &a) || (ev[5].kind != BRINE_EV_NULL && !mp_ev_int(&ev[5], 0, 255, &st)))
            return mp_capture_fallback(e, NULL);
        if (ev[5].kind == BRINE_EV_NULL)
            st = mp_ext_form(len);
        else if ((st != MP_EXT8 && st != MP_EXT16 && st != MP_EXT32) || st == (int64_t)mp_ext_form(len))
            return mp_capture_fallback(e, NULL);
        if (!mp_ext_form_fits((unsigned)st, len))
            return mp_capture_fallback(e, NULL);
        payload = e->cap_bytes;
        h = mp_ext_header(hdr, (unsigned)st, (int)a, len);
    }
    e->cap_kind = CAP_NONE;
    e->cap_n = 0;
    if (ev[0].anchor && e->o.refs) {
        size_t slot;
        if ((rc = mp_slot_open(e, SLOT_EXT, MP_EXT_ANCHOR, &slot)) != BRINE_OK)
            return rc;
        if ((rc = msgpack_pack_array(&e->pk, 2)) || (rc = msgpack_pack_uint64(&e->pk, ev[0].anchor)) ||
            (rc = mp_write(e, (const char *)hdr, h)) || (rc = mp_write(e, (const char *)payload, len)))
            return mp_write_failed(e, rc);
        if ((rc = mp_slot_fill(e, slot, 0)) != BRINE_OK)
            return rc;
    } else if ((rc = mp_write(e, (const char *)hdr, h)) || (rc = mp_write(e, (const char *)payload, len))) {
        return mp_write_failed(e, rc);
    }
    return mp_value_done(e);
}

/* Events 1..6 of a captured model: a 2-tuple of scalars, END, a scalar
 * state, END. Anything else and it is an ordinary model. */
static int mp_capture(mp_enc *e, const brine_event *ev)
{
    size_t i = e->cap_n;
    brine_event *slot = &e->cap_ev[i];
    int ok;
    switch (i) {
    case 1:
        ok = ev->kind == BRINE_EV_TUPLE && ev->anchor == 0 && (ev->v.count == 2 || ev->v.count == BRINE_COUNT_UNKNOWN);
        break;
    case 2: ok = ev->kind == BRINE_EV_INT || ev->kind == BRINE_EV_UINT; break;
    case 3:
        ok = e->cap_kind == CAP_TS ? ev->kind == BRINE_EV_INT || ev->kind == BRINE_EV_UINT : ev->kind == BRINE_EV_BYTES;
        break;
    case 5: ok = ev->kind == BRINE_EV_NULL || ev->kind == BRINE_EV_INT || ev->kind == BRINE_EV_UINT; break;
    default: ok = ev->kind == BRINE_EV_END; break;
    }
    if (!ok)
        return mp_capture_fallback(e, ev);
    *slot = *ev;
    if (ev->kind == BRINE_EV_BYTES) {
        /* The event's bytes live only during the call. */
        if (ev->v.s.len > e->cap_bytes_cap &&
            brine_plugin_grow((void **)&e->cap_bytes, &e->cap_bytes_cap, ev->v.s.len, 1) != BRINE_OK)
            return mp_efail(e, BRINE_E_NOMEM, "out of memory");
        if (ev->v.s.len)
            memcpy(e->cap_bytes, ev->v.s.ptr, ev->v.s.len);
        slot->v.s.ptr = (const char *)e->cap_bytes;
    }
    e->cap_n++;
    return i == 6 ? mp_capture_write(e) : BRINE_OK;
}

/* ---- the sink ------------------------------------------------------------------ */

/* Before a new value: its place in the sequence, the plain model's key for
 * it. (Error paths are the walker's: it knows the keys without copies.) */
static int mp_before(mp_enc *e, const brine_event *ev)
{
    mp_eframe *f;
    if (e->done)
        return mp_efail(e, BRINE_E_INVALID, "an event after the end of the value");
    if (e->depth == 0) {
        if (e->o.sequence && ev->kind != BRINE_EV_LIST)
            return mp_efail(e, BRINE_E_TYPE, "the sequence option writes a list as concatenated values, not a %s",
                            ev->kind == BRINE_EV_DICT    ? "dict"
                            : ev->kind == BRINE_EV_TUPLE ? "tuple"
                            : ev->kind == BRINE_EV_MODEL ? "model"
                                                         : "scalar");
        if (e->o.sequence && ev->anchor)
            return mp_efail(e, BRINE_E_UNSUPPORTED, "the top list of a sequence cannot be shared or contain itself");
        return BRINE_OK;
    }
    f = &e->stack[e->depth - 1];
    if (f->kind == EF_PMODEL) {
        int rc = mp_put_key(e, f->children == 0 ? "args" : "state");
        if (rc)
            return mp_write_failed(e, rc);
    }
    return BRINE_OK;
}

/* After mp_before: a model that may stand for an ext value is captured,
 * anything else written. */
static int mp_write_event(mp_enc *e, const brine_event *ev)
{
    if (ev->kind == BRINE_EV_MODEL && (mp_is_model(ev, MP_MODEL_TIMESTAMP) || mp_is_model(ev, MP_MODEL_EXT))) {
        e->cap_kind = mp_is_model(ev, MP_MODEL_TIMESTAMP) ? CAP_TS : CAP_EXT;
        e->cap_ev[0] = *ev;
        e->cap_n = 1;
        return BRINE_OK;
    }
    return mp_generic(e, ev);
}

static int mp_dispatch(mp_enc *e, const brine_event *ev)
{
    int rc;
    if (ev->kind != BRINE_EV_END && (rc = mp_before(e, ev)) != BRINE_OK)
        return rc;
    return mp_write_event(e, ev);
}

static inline unsigned char *mp_be16(unsigned char *p, uint64_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
    return p + 2;
}

static inline unsigned char *mp_be32(unsigned char *p, uint64_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    return mp_be16(p + 2, v);
}

static inline unsigned char *mp_be64(unsigned char *p, uint64_t v)
{
    return mp_be32(mp_be32(p, v >> 32), v);
}

/* A non-negative int in its smallest form, as msgpack_pack_uint64 writes it. */
static inline unsigned char *mp_fast_uint(unsigned char *p, uint64_t u)
{
    if (u < 0x80) {
        *p++ = (unsigned char)u;
    } else if (u <= 0xFF) {
        *p++ = 0xcc;
        *p++ = (unsigned char)u;
    } else if (u <= 0xFFFF) {
        *p++ = 0xcd;
        p = mp_be16(p, u);
    } else if (u <= 0xFFFFFFFFu) {
        *p++ = 0xce;
        p = mp_be32(p, u);
    } else {
        *p++ = 0xcf;
        p = mp_be64(p, u);
    }
    return p;
}

/* The scalars of mp_event written straight into the output, in the very
 * bytes msgpack-c's packer gives them (test_msgpack's vectors check each
 * width): its packer hands every value to a write callback, an indirect
 * call per scalar that was a third of encoding time. Returns the new end,
 * or NULL for what the packer should write (long strings, or while a
 * header is pending in the side buffer). */
static inline unsigned char *mp_fast_scalar(unsigned char *p, const unsigned char *end, const brine_event *ev)
{
    uint64_t u;
    switch (ev->kind) {
    case BRINE_EV_NULL: *p++ = 0xc0; return p;
    case BRINE_EV_BOOL: *p++ = ev->v.boolean ? 0xc3 : 0xc2; return p;
    case BRINE_EV_UINT: return mp_fast_uint(p, ev->v.u);
    case BRINE_EV_INT: {
        int64_t i = ev->v.i;
        if (i >= 0)
            return mp_fast_uint(p, (uint64_t)i);
        if (i >= -32) {
            *p++ = (unsigned char)(int8_t)i;
        } else if (i >= INT8_MIN) {
            *p++ = 0xd0;
            *p++ = (unsigned char)(int8_t)i;
        } else if (i >= INT16_MIN) {
            *p++ = 0xd1;
            p = mp_be16(p, (uint64_t)i);
        } else if (i >= INT32_MIN) {
            *p++ = 0xd2;
            p = mp_be32(p, (uint64_t)i);
        } else {
            *p++ = 0xd3;
            p = mp_be64(p, (uint64_t)i);
        }
        return p;
    }
    case BRINE_EV_FLOAT:
        memcpy(&u, &ev->v.f, sizeof u);
        *p++ = 0xcb;
        return mp_be64(p, u);
    case BRINE_EV_STR:
    case BRINE_EV_BYTES: {
        size_t n = ev->v.s.len;
        if (n > 0xFFFF || (size_t)(end - p) < 3 + n)
            return NULL;
        if (ev->kind == BRINE_EV_STR && n < 32) {
            *p++ = (unsigned char)(0xa0 | n);
        } else if (n <= 0xFF) {
            *p++ = ev->kind == BRINE_EV_STR ? 0xd9 : 0xc4;
            *p++ = (unsigned char)n;
        } else {
            *p++ = ev->kind == BRINE_EV_STR ? 0xda : 0xc5;
            p = mp_be16(p, n);
        }
        brine_short_copy(p, ev->v.s.ptr, n);
        return p + n;
    }
    default: return NULL;
    }
}

/* Every event the short path of mp_event leaves: the same bytes, through
 * msgpack-c's packer. Apart, so that the short path saves no registers. */
static __attribute__((noinline)) int mp_event_general(mp_enc *e, const brine_event *ev)
{
    if (e->status)
        return e->status;
    if (e->cap_kind)
        return mp_capture(e, ev);
    return mp_dispatch(e, ev);
}

/* The sink's event(). Scalars inside a list or dict, by far the most
 * events, and lists and dicts of known count take a short path. */
static int mp_event(brine_sink *sink, const brine_event *ev)
{
    mp_enc *e = (mp_enc *)sink;
    if (e->status || e->cap_kind || !e->depth)
        return mp_event_general(e, ev);
    mp_eframe *f = &e->stack[e->depth - 1];
    if (ev->kind == BRINE_EV_END) {
        /* A list or dict that got its announced count and no deferred header. */
        uint64_t n = f->kind == EF_DICT ? f->children / 2 : f->children;
        if (f->plain && !(f->kind == EF_DICT && (f->children & 1)) && f->count == n && e->depth > 1 &&
            !f[-1].spill) {
            e->depth--;
            f[-1].children++;
            return BRINE_OK;
        }
        return mp_event_general(e, ev);
    }
    brine_output *out = e->out;
    if (!f->fast || (size_t)(out->end - out->cur) < 9)
        return mp_event_general(e, ev);
    if (ev->kind == BRINE_EV_LIST || ev->kind == BRINE_EV_DICT) {
        /* Known count: the frame and header of mp_open. */
        size_t n = ev->v.count;
        if ((ev->anchor && e->o.refs) || n > 0xFFFF || e->depth == e->cap)
            return mp_event_general(e, ev);
        unsigned char *q = out->cur;
        int list = ev->kind == BRINE_EV_LIST;
        if (n < 16) {
            *q++ = (unsigned char)((list ? 0x90 : 0x80) | n);
        } else {
            *q++ = list ? 0xdc : 0xde;
            q = mp_be16(q, n);
        }
        out->cur = q;
        f = mp_frame_open(e, n);
        f->kind = list ? EF_LIST : EF_DICT;
        f->fast = f->plain = 1;
        return BRINE_OK;
    }
    unsigned char *q = mp_fast_scalar(out->cur, out->end, ev);
    if (!q)
        return mp_event_general(e, ev);
    out->cur = q;
    f->children++;
    return BRINE_OK;
}

static int mp_finish(brine_sink *sink)
{
    mp_enc *e = (mp_enc *)sink;
    int rc;
    if (e->status)
        return e->status;
    if (!e->done)
        return mp_efail(e, BRINE_E_INVALID, "the events ended before the value was complete");
    if ((rc = brine_output_flush(e->out, e->sink.err)) != BRINE_OK)
        return mp_write_failed(e, rc);
    return BRINE_OK;
}

static void mp_destroy(brine_sink *sink)
{
    mp_enc *e = (mp_enc *)sink;
    if (!e)
        return;
    brine_free(e->stack);
    brine_free(e->buf);
    brine_free(e->slots);
    brine_free(e->cap_bytes);
    brine_free(e->scratch);
    brine_free(e->arr.p);
    brine_free(e);
}

brine_sink *mp_encoder_new(brine_output *out, const brine_options *opts, brine_error *err)
{
    mp_opts o;
    mp_enc *e;
    if (mp_opts_parse(opts, &o, err) != BRINE_OK)
        return NULL;
    if (o.refs && o.plain) {
        brine_error_set(err, BRINE_E_OPTION, "plain and refs cannot be combined: plain MessagePack has no references");
        return NULL;
    }
    e = brine_malloc(sizeof *e);
    if (!e) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    memset(e, 0, sizeof *e);
    e->sink.event = mp_event;
    e->sink.finish = mp_finish;
    e->sink.destroy = mp_destroy;
    /* Arrays as ext 86 or msgpack-numpy maps; plain leaves them to core,
     * which sends numpy's tolist() as nested lists. */
    e->sink.flags = (o.refs ? BRINE_SINK_REFS : 0) | (!o.plain || o.numpy ? BRINE_SINK_ARRAYS : 0);
    e->sink.err = err;
    e->out = out;
    e->o = o;
    e->patchable = brine_output_can_patch(out);
    msgpack_packer_init(&e->pk, e, mp_write);
    return &e->sink;
}
