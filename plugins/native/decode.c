/* decode.c: the native format reader (docs/native-format.md). One loop over
 * the tags with an explicit stack of open containers; each value becomes one
 * sink event, strings point straight into the source window. Depth, memo
 * tables and the graph are the sink's business.
 *
 * The checksum is verified before the first event when the source can come
 * back (a buffer or a regular file): one XXH3 pass over the bytes (the
 * window stays one chunk; a file is read twice, never held whole), then the
 * decode, which hashes nothing. A transcode to stdout so writes nothing
 * from a corrupt file; the time is that of the old interleaved hashing (the
 * same bytes go through XXH3 once). If the pass finds a mismatch, a second
 * one decodes without sending events to find the first error as the
 * interleaved reader words it (truncation, a bad tag, the checksum). A pipe
 * cannot come back: there the checksum is fed the window's bytes just
 * before the window moves, and checked after the last event.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "xxh3.h" /* XXH3 through its dispatching entry where it links */

#include "native.h"

/* Frame kinds. Open forms count their children down from NAT_OPEN_REM so
 * that the same decrement serves both, and never reach zero. */
enum {
    NAT_K_TOP = 0,
    NAT_K_LIST,
    NAT_K_TUPLE,
    NAT_K_DICT,
    NAT_K_MODEL,
    NAT_K_ARRAY,    /* for anchors only: an array is a leaf */
    NAT_K_OPEN = 8, /* or'ed with LIST, TUPLE, DICT */
};
#define NAT_OPEN_REM UINT64_MAX
#define NAT_INLINE_FRAMES 64

typedef struct nat_frame {
    uint64_t rem;  /* children still to read */
    unsigned kind; /* NAT_K_* */
} nat_frame;

typedef struct nat_dec {
    brine_source *src;
    brine_error *err;
    XXH3_state_t *xx;
    const unsigned char *hashed; /* window bytes before this are in xx */
    nat_frame *stack;            /* inline_stack, or brine_malloc'ed when deep */
    size_t cap;                  /* frames in stack */
    unsigned char *akind;        /* NAT_K_* of anchor id i + 1 (brine_malloc) */
    size_t anchors;              /* anchors read so far */
    size_t acap;
    unsigned minor;    /* the file's minor version */
    uint64_t start;    /* input offset of the magic number: arrays align from it */
    brine_doc *dtypes; /* the arrays' dtypes (made on the first array) */
    int verified;      /* the checksum was verified before decoding: hash nothing */
    nat_frame inline_stack[NAT_INLINE_FRAMES];
} nat_dec;

static uint64_t nat_off(const brine_source *src, const unsigned char *p)
{
    return src->base + (uint64_t)(p - src->start);
}

static int nat_fail(nat_dec *d, int code, uint64_t off, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int nat_fail(nat_dec *d, int code, uint64_t off, const char *fmt, ...)
{
    char msg[BRINE_ERROR_TEXT];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return brine_error_set_at(d->err, code, off, "%s", msg);
}

/* Slow path of NEED: feeds the consumed bytes to the checksum (the window
 * may move), then asks the source for more. `what` names the value being
 * read, for the message when the input ends first. */
static int nat_more(nat_dec *d, uint64_t need, const char *what, uint64_t vstart)
{
    brine_source *src = d->src;
    brine_error local;
    int rc;

    if (!d->verified)
        XXH3_64bits_update(d->xx, d->hashed, (size_t)(src->cur - d->hashed));
    brine_error_clear(&local);
    /* A need beyond SIZE_MAX cannot be met either: ask for all there is. */
    rc = brine_source_more(src, need > SIZE_MAX ? SIZE_MAX : (size_t)need, &local);
    d->hashed = src->cur;
    if (rc == BRINE_OK)
        return BRINE_OK;
    if (rc != BRINE_E_TRUNCATED) {
        if (d->err && d->err->code == BRINE_OK)
            *d->err = local;
        return rc;
    }
    return nat_fail(d, rc, local.offset, "input ends at offset %llu inside %s that starts at offset %llu",
                    (unsigned long long)local.offset, what, (unsigned long long)vstart);
}

/* Reads a varint byte by byte (the fast path of one byte below 0x80 is
 * inline in the loop). */
static int nat_varint_slow(nat_dec *d, uint64_t *out, const char *what, uint64_t vstart)
{
    brine_source *src = d->src;
    uint64_t v = 0;
    unsigned i;
    int rc;

    for (i = 0; i < NAT_VARINT_MAX; i++) {
        unsigned b;
        if (src->cur == src->end && (rc = nat_more(d, 1, what, vstart)) != BRINE_OK)
            return rc;
        b = *src->cur++;
        if (i == NAT_VARINT_MAX - 1 && b > 1)
            break;
        v |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            if (b == 0 && i > 0)
                return nat_fail(d, BRINE_E_CORRUPT, vstart, "overlong varint in %s at offset %llu", what,
                                (unsigned long long)vstart);
            *out = v;
            return BRINE_OK;
        }
    }
    return nat_fail(d, BRINE_E_CORRUPT, vstart, "varint in %s at offset %llu overflows 64 bits", what,
                    (unsigned long long)vstart);
}

/* The header: the magic number (with a diagnosis of the usual transfer
 * damage) and the version. */
static int nat_header(nat_dec *d)
{
    static const char crlf_to_lf[] = "\x89"
                                     "BRN\n\x1a\n";
    static const char lf_to_crlf[] = "\x89"
                                     "BRN\r\r\n\x1a\r\n";
    brine_source *src = d->src;
    uint64_t off = brine_source_offset(src);
    const unsigned char *p;
    size_t avail;
    brine_error local;
    int rc = BRINE_OK;

    brine_error_clear(&local);
    if ((size_t)(src->end - src->cur) < NAT_HEADER_LEN) {
        /* Nothing is consumed yet, so nothing needs hashing first. */
        rc = brine_source_more(src, NAT_HEADER_LEN, &local);
        d->hashed = src->cur;
        if (rc != BRINE_OK && rc != BRINE_E_TRUNCATED) {
            if (d->err && d->err->code == BRINE_OK)
                *d->err = local;
            return rc;
        }
    }
    p = src->cur;
    avail = (size_t)(src->end - p);
    if (avail >= 7 && memcmp(p, crlf_to_lf, 7) == 0)
        return nat_fail(d, BRINE_E_CORRUPT, off, "bad magic number: a text-mode transfer changed CRLF to LF");
    if (avail >= 10 && memcmp(p, lf_to_crlf, 10) == 0)
        return nat_fail(d, BRINE_E_CORRUPT, off, "bad magic number: a text-mode transfer changed LF to CRLF");
    if (avail >= NAT_MAGIC_LEN && p[0] == 0x09 && memcmp(p + 1, &NAT_MAGIC[1], NAT_MAGIC_LEN - 1) == 0)
        return nat_fail(d, BRINE_E_CORRUPT, off, "bad magic number: a 7-bit transfer stripped the high bit");
    if (memcmp(p, NAT_MAGIC, avail < NAT_MAGIC_LEN ? avail : NAT_MAGIC_LEN) != 0)
        return nat_fail(d, BRINE_E_SYNTAX, off, "not a native file: bad magic number");
    if (rc != BRINE_OK) {
        if (local.offset == off)
            return nat_fail(d, rc, off, "empty input: not a native file");
        return nat_fail(d, rc, local.offset, "input ends at offset %llu inside the header",
                        (unsigned long long)local.offset);
    }
    if (p[8] > NAT_MAJOR)
        return nat_fail(d, BRINE_E_VERSION, off + 8,
                        "native format version %u.%u is newer than this reader supports (%d.%d)", p[8], p[9], NAT_MAJOR,
                        NAT_MINOR);
    if (p[8] == 0)
        return nat_fail(d, BRINE_E_VERSION, off + 8, "native format version 0.%u is not supported", p[9]);
    d->minor = p[9];
    src->cur = p + NAT_HEADER_LEN;
    return BRINE_OK;
}

/* Doubles the frame stack (the inline frames first move to the heap). */
static int nat_grow(nat_dec *d)
{
    nat_frame *bigger;
    size_t cap = d->cap * 2;

    if (d->stack == d->inline_stack) {
        bigger = brine_malloc(cap * sizeof *bigger);
        if (bigger)
            memcpy(bigger, d->stack, d->cap * sizeof *bigger);
    } else {
        bigger = brine_realloc(d->stack, cap * sizeof *bigger);
    }
    if (!bigger)
        return brine_error_set(d->err, BRINE_E_NOMEM, "out of memory");
    d->stack = bigger;
    d->cap = cap;
    return BRINE_OK;
}

static int nat_anchor_add(nat_dec *d, unsigned kind)
{
    if (d->anchors == d->acap) {
        size_t cap = d->acap ? d->acap * 2 : 64;
        unsigned char *bigger = brine_realloc(d->akind, cap);
        if (!bigger)
            return brine_error_set(d->err, BRINE_E_NOMEM, "out of memory");
        d->akind = bigger;
        d->acap = cap;
    }
    d->akind[d->anchors++] = (unsigned char)kind;
    return BRINE_OK;
}

/* The frame kind a container tag opens, or NAT_K_TOP for other tags. */
static unsigned nat_container_kind(unsigned tag)
{
    if (tag >= NAT_FIXLIST && tag <= NAT_FIXLIST + NAT_FIXLIST_MAX)
        return NAT_K_LIST;
    if (tag >= NAT_FIXDICT && tag <= NAT_FIXDICT + NAT_FIXDICT_MAX)
        return NAT_K_DICT;
    switch (tag) {
    case NAT_LIST: return NAT_K_LIST;
    case NAT_TUPLE: return NAT_K_TUPLE;
    case NAT_DICT: return NAT_K_DICT;
    case NAT_MODEL: return NAT_K_MODEL;
    case NAT_LIST_OPEN: return NAT_K_LIST | NAT_K_OPEN;
    case NAT_TUPLE_OPEN: return NAT_K_TUPLE | NAT_K_OPEN;
    case NAT_DICT_OPEN: return NAT_K_DICT | NAT_K_OPEN;
    default: return NAT_K_TOP;
    }
}

/* A bigint payload must be minimal and outside int64 and uint64, so that
 * each int has one encoding and consumers can trust BIGINT events. */
static int nat_bigint_ok(const unsigned char *b, size_t len)
{
    unsigned last, prev;
    if (len < 9)
        return 0;
    last = b[len - 1];
    prev = b[len - 2];
    if ((last == 0x00 && !(prev & 0x80)) || (last == 0xFF && (prev & 0x80)))
        return 0;
    /* Nine bytes ending in 00: a positive value below 2^64 fits uint64. */
    return !(len == 9 && last == 0x00);
}

/* A model's args must be a tuple: looks at their tag at src->cur (past an
 * anchor) without consuming it; a ref's target is checked once its id is
 * read, so *args_ref asks the loop to. */
static BRINEP_NOINLINE int nat_model_args(nat_dec *d, int *args_ref)
{
    brine_source *src = d->src;
    uint64_t vstart = nat_off(src, src->cur);
    unsigned args;
    int rc;
    if (src->cur == src->end && (rc = nat_more(d, 1, "a model's args", vstart)) != BRINE_OK)
        return rc;
    args = src->cur[0];
    if (args == NAT_ANCHOR) {
        if ((size_t)(src->end - src->cur) < 2 && (rc = nat_more(d, 2, "a model's args", vstart)) != BRINE_OK)
            return rc;
        args = src->cur[1];
    }
    if (args == NAT_REF)
        *args_ref = 1;
    else if (args != NAT_TUPLE && args != NAT_TUPLE_OPEN)
        return nat_fail(d, BRINE_E_CORRUPT, vstart, "model args at offset %llu are not a tuple (tag 0x%02X)",
                        (unsigned long long)vstart, args);
    return BRINE_OK;
}

/* A tag that no version of the format defines, or that a newer one does. */
static BRINEP_NOINLINE int nat_bad_tag(nat_dec *d, unsigned tag, uint64_t vstart)
{
    if (d->minor > NAT_MINOR)
        return nat_fail(d, BRINE_E_VERSION, vstart,
                        "tag 0x%02X at offset %llu is not defined in native format %d.%d (the file is version %d.%u)",
                        tag, (unsigned long long)vstart, NAT_MAJOR, NAT_MINOR, NAT_MAJOR, d->minor);
    return nat_fail(d, BRINE_E_CORRUPT, vstart, "unknown tag 0x%02X at offset %llu", tag, (unsigned long long)vstart);
}

/* The checksum trailer after the last value, which ends at p, then the end
 * of the input. Verified: the last 8 bytes hold the checksum of all before
 * them, and the check of the end of input makes sure that they are these.
 * (Out of the loop since a check there cost 1% of decode instructions: it
 * changed how the compiler allocated the loop's registers.) */
static BRINEP_NOINLINE int nat_trailer(nat_dec *d, const unsigned char *p)
{
    brine_source *src = d->src;
    uint64_t stored, computed = 0, vstart = nat_off(src, p);
    int rc;
    if (!d->verified) {
        XXH3_64bits_update(d->xx, d->hashed, (size_t)(p - d->hashed));
        computed = XXH3_64bits_digest(d->xx);
    }
    d->hashed = p;
    src->cur = p;
    if ((size_t)(src->end - p) < NAT_TRAILER_LEN) {
        if ((rc = nat_more(d, NAT_TRAILER_LEN, "the checksum trailer", vstart)) != BRINE_OK)
            return rc;
        p = src->cur;
    }
    stored = nat_load64(p);
    if (!d->verified && stored != computed)
        return nat_fail(d, BRINE_E_CORRUPT, vstart,
                        "checksum mismatch: the file is corrupt (stored %016llx, computed %016llx over %llu bytes)",
                        (unsigned long long)stored, (unsigned long long)computed, (unsigned long long)vstart);
    p += NAT_TRAILER_LEN;
    src->cur = p;
    d->hashed = p;
    /* brine_source_at_end may move the window: vstart was fixed before. */
    if (!brine_source_at_end(src)) {
        src->cur = p;
        return nat_fail(d, BRINE_E_CORRUPT, vstart + NAT_TRAILER_LEN,
                        "unexpected bytes after the end of the document at offset %llu",
                        (unsigned long long)(vstart + NAT_TRAILER_LEN));
    }
    /* The caller calls sink->finish (brine_decode, brine_transcode). */
    return BRINE_OK;
}

/* An array (tag NAT_ARRAY, format 1.1) whose tag src->cur has just
 * passed, at input offset vstart: the header parsed (its sizes checked
 * before the input is asked for the data), the zero bytes before the data
 * checked, then one event pointing at the data in the window. The input
 * must hold all of it (brine_source_more grows with what arrives, never
 * with a hostile length alone). Returns a status; the sink's own failure
 * is flagged in *sink_failed. */
static BRINEP_NOINLINE int nat_array(nat_dec *d, brine_sink *sink, uint64_t anchor, uint64_t vstart, int *sink_failed)
{
    brine_source *src = d->src;
    uint64_t hlen;
    uint64_t shape[BRINE_ARRAY_MAX_DIMS];
    brine_array_header h;
    int rc;
    if (BRINEP_LIKELY(src->cur < src->end && *src->cur < 0x80))
        hlen = *src->cur++;
    else if ((rc = nat_varint_slow(d, &hlen, "an array", vstart)) != BRINE_OK)
        return rc;
    if ((uint64_t)(src->end - src->cur) < hlen && (rc = nat_more(d, hlen, "an array header", vstart)) != BRINE_OK)
        return rc;
    if (!d->dtypes && !(d->dtypes = brine_doc_new()))
        return brine_error_set(d->err, BRINE_E_NOMEM, "out of memory");
    if ((rc = nat_array_header_parse(src->cur, (size_t)hlen, nat_off(src, src->cur), d->dtypes, &h, shape, d->err)))
        return rc;
    src->cur += hlen;
    size_t pad = nat_array_pad(nat_off(src, src->cur) - d->start);
    uint64_t need = (uint64_t)pad + h.data_len;
    if ((uint64_t)(src->end - src->cur) < need && (rc = nat_more(d, need, "an array's data", vstart)) != BRINE_OK)
        return rc;
    for (size_t i = 0; i < pad; i++)
        if (src->cur[i] != 0)
            return nat_fail(d, BRINE_E_CORRUPT, nat_off(src, src->cur + i),
                            "array at offset %llu: a nonzero byte in the padding before its data",
                            (unsigned long long)vstart);
    src->cur += pad;
    h.data = src->cur;
    src->cur += h.data_len;
    brine_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = BRINE_EV_ARRAY;
    ev.anchor = anchor;
    ev.v.array = &h;
    if ((rc = sink->event(sink, &ev)) != BRINE_OK)
        *sink_failed = 1;
    return rc;
}

/* The offset of the value being read. vp points at it while the window
 * holds it; before the window moves its offset is saved in vsaved. */
#define VSTART (vp ? nat_off(src, vp) : vsaved)
#define SAVE_VSTART()                                                                                                  \
    do {                                                                                                               \
        if (vp) {                                                                                                      \
            vsaved = nat_off(src, vp);                                                                                 \
            vp = NULL;                                                                                                 \
        }                                                                                                              \
    } while (0)

/* Ensures n bytes at p, refilling the window (and reloading p and e). */
#define NEED(n, what)                                                                                                  \
    do {                                                                                                               \
        if (BRINEP_UNLIKELY((uint64_t)(e - p) < (uint64_t)(n))) {                                                      \
            src->cur = p;                                                                                              \
            SAVE_VSTART();                                                                                             \
            if ((rc = nat_more(&d, (n), what, vsaved)) != BRINE_OK)                                                    \
                goto out;                                                                                              \
            p = src->cur;                                                                                              \
            e = src->end;                                                                                              \
        }                                                                                                              \
    } while (0)

#define VARINT(dst, what)                                                                                              \
    do {                                                                                                               \
        if (BRINEP_LIKELY(p < e && *p < 0x80)) {                                                                       \
            dst = *p++;                                                                                                \
        } else {                                                                                                       \
            src->cur = p;                                                                                              \
            SAVE_VSTART();                                                                                             \
            if ((rc = nat_varint_slow(&d, &dst, what, vsaved)) != BRINE_OK)                                            \
                goto out;                                                                                              \
            p = src->cur;                                                                                              \
            e = src->end;                                                                                              \
        }                                                                                                              \
    } while (0)

#define EMIT()                                                                                                         \
    do {                                                                                                               \
        if (BRINEP_UNLIKELY((rc = nat_put(direct, sink, &ev)) != BRINE_OK))                                            \
            goto sink_failed;                                                                                          \
    } while (0)

/* Fails with a message; `off` and the message may use vstart, the offset
 * of the value being read. */
#define FAIL(code, off, ...)                                                                                           \
    do {                                                                                                               \
        src->cur = p;                                                                                                  \
        vstart = VSTART;                                                                                               \
        rc = nat_fail(&d, code, off, __VA_ARGS__);                                                                     \
        goto out;                                                                                                      \
    } while (0)

/* Saves the innermost container's frame and makes a new one innermost. */
#define PUSH(rem_, kind_)                                                                                              \
    do {                                                                                                               \
        if (BRINEP_UNLIKELY(depth == d.cap) && (rc = nat_grow(&d)) != BRINE_OK)                                        \
            goto out;                                                                                                  \
        d.stack[depth].rem = top_rem;                                                                                  \
        d.stack[depth].kind = top_kind;                                                                                \
        depth++;                                                                                                       \
        top_rem = (rem_);                                                                                              \
        top_kind = (kind_);                                                                                            \
    } while (0)

/* One value's event to the builder: on the direct path (#23) the
 * builder's call for its kind, else the sink. */
static BRINEP_INLINE int nat_put(brine_direct *b, brine_sink *sink, const brine_event *ev)
{
    if (!b)
        return sink->event(sink, ev);
    switch (ev->kind) {
    case BRINE_EV_INT: return brine_direct_int(b, ev->v.i);
    case BRINE_EV_UINT: return brine_direct_uint(b, ev->v.u);
    case BRINE_EV_FLOAT: return brine_direct_float(b, ev->v.f);
    case BRINE_EV_NULL: return brine_direct_null(b);
    case BRINE_EV_BOOL: return brine_direct_bool(b, ev->v.boolean);
    case BRINE_EV_STR: return brine_direct_str(b, ev->v.s.ptr, ev->v.s.len);
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE:
    case BRINE_EV_DICT: return brine_direct_open(b, ev->kind, ev->v.count, ev->anchor);
    case BRINE_EV_END: return brine_direct_close(b);
    default: return brine_direct_event(b, ev);
    }
}

/* The decode proper. When verified (the checksum was checked over the
 * whole input) it hashes nothing. direct, when not NULL, is the builder
 * behind sink, called directly. */
static int nat_run(brine_source *src, brine_sink *sink, brine_direct *direct, int verified, brine_error *err)
{
    XXH3_state_t xx;
    nat_dec d;
    const unsigned char *p, *e;
    brine_event ev;
    const unsigned char *vp = NULL; /* the value being read, see VSTART */
    uint64_t vsaved = 0, vstart, count, u;
    uint64_t top_rem = 1; /* children left in the innermost container */
    unsigned top_kind = NAT_K_TOP;
    size_t depth = 0; /* frames saved in d.stack below the innermost */
    int args_ref = 0; /* a model's args are a ref: check its target */
    unsigned tag, kind;
    int rc;

    memset(&d, 0, offsetof(nat_dec, inline_stack));
    d.src = src;
    d.err = err;
    d.xx = &xx;
    d.verified = verified;
    d.stack = d.inline_stack;
    d.cap = NAT_INLINE_FRAMES;
    XXH3_INITSTATE(&xx);
    XXH3_64bits_reset(&xx);
    d.hashed = src->cur;

    d.start = brine_source_offset(src);
    if ((rc = nat_header(&d)) != BRINE_OK)
        goto out;
    p = src->cur;
    e = src->end;
    ev.anchor = 0; /* set by an anchor tag, cleared once its container began */

    for (;;) {
        vp = p;
        NEED(1, "a value");
        tag = *p++;
    dispatch:
        /* One jump table over all 256 tags (GNU case ranges). */
        switch (tag) {
        case 0x00 ... NAT_FIXINT_MAX:
            ev.kind = BRINE_EV_INT;
            ev.v.i = tag;
            break;
        case NAT_NEGFIXINT ... 0xFF:
            ev.kind = BRINE_EV_INT;
            ev.v.i = (int64_t)tag - 256;
            break;
        case NAT_FIXSTR ... NAT_FIXSTR + NAT_FIXSTR_MAX: count = tag - NAT_FIXSTR; goto str;
        case NAT_FIXLIST ... NAT_FIXLIST + NAT_FIXLIST_MAX:
            count = tag - NAT_FIXLIST;
            ev.kind = BRINE_EV_LIST;
            kind = NAT_K_LIST;
            goto seq;
        case NAT_FIXDICT ... NAT_FIXDICT + NAT_FIXDICT_MAX: count = tag - NAT_FIXDICT; goto dict;
        case NAT_NULL: ev.kind = BRINE_EV_NULL; break;
        case NAT_FALSE:
        case NAT_TRUE:
            ev.kind = BRINE_EV_BOOL;
            ev.v.boolean = tag == NAT_TRUE;
            break;
        case NAT_INT8:
            NEED(1, "an int8");
            ev.kind = BRINE_EV_INT;
            ev.v.i = (int8_t)p[0];
            p += 1;
            break;
        case NAT_INT16:
            NEED(2, "an int16");
            ev.kind = BRINE_EV_INT;
            ev.v.i = (int16_t)nat_load16(p);
            p += 2;
            break;
        case NAT_INT32:
            NEED(4, "an int32");
            ev.kind = BRINE_EV_INT;
            ev.v.i = (int32_t)nat_load32(p);
            p += 4;
            break;
        case NAT_INT64:
            NEED(8, "an int64");
            ev.kind = BRINE_EV_INT;
            ev.v.i = (int64_t)nat_load64(p);
            p += 8;
            break;
        case NAT_UINT64:
            NEED(8, "a uint64");
            ev.kind = BRINE_EV_UINT;
            ev.v.u = nat_load64(p);
            p += 8;
            break;
        case NAT_FLOAT:
            NEED(8, "a float");
            ev.kind = BRINE_EV_FLOAT;
            u = nat_load64(p);
            memcpy(&ev.v.f, &u, 8);
            p += 8;
            break;
        case NAT_COMPLEX:
            NEED(16, "a complex");
            ev.kind = BRINE_EV_COMPLEX;
            u = nat_load64(p);
            memcpy(&ev.v.c.re, &u, 8);
            u = nat_load64(p + 8);
            memcpy(&ev.v.c.im, &u, 8);
            p += 16;
            break;
        case NAT_STR: VARINT(count, "a str"); goto str;
        case NAT_BYTES:
            VARINT(count, "a bytes");
            NEED(count, "a bytes");
            ev.kind = BRINE_EV_BYTES;
            ev.v.s.ptr = (const char *)p;
            ev.v.s.len = (size_t)count;
            p += count;
            break;
        case NAT_BIGINT:
            VARINT(count, "a bigint");
            NEED(count, "a bigint");
            if (!nat_bigint_ok(p, (size_t)count))
                FAIL(BRINE_E_CORRUPT, vstart, "bigint at offset %llu is not in its minimal form",
                     (unsigned long long)vstart);
            ev.kind = BRINE_EV_BIGINT;
            ev.v.s.ptr = (const char *)p;
            ev.v.s.len = (size_t)count;
            p += count;
            break;
        case NAT_LIST:
            VARINT(count, "a list");
            ev.kind = BRINE_EV_LIST;
            kind = NAT_K_LIST;
            goto seq;
        case NAT_TUPLE:
            VARINT(count, "a tuple");
            ev.kind = BRINE_EV_TUPLE;
            kind = NAT_K_TUPLE;
            goto seq;
        case NAT_DICT: VARINT(count, "a dict"); goto dict;
        case NAT_MODEL: {
            size_t bad;
            VARINT(count, "a model");
            NEED(count, "a model");
            bad = brine_utf8_check((const char *)p, (size_t)count);
            if (bad != count)
                FAIL(BRINE_E_UTF8, nat_off(src, p) + bad, "invalid UTF-8 in the model name at offset %llu",
                     (unsigned long long)vstart);
            ev.kind = BRINE_EV_MODEL;
            ev.v.s.ptr = (const char *)p;
            ev.v.s.len = (size_t)count;
            p += count;
            EMIT();
            ev.anchor = 0;
            PUSH(2, NAT_K_MODEL);
            src->cur = p;
            if ((rc = nat_model_args(&d, &args_ref)) != BRINE_OK)
                goto out;
            p = src->cur;
            e = src->end;
            continue;
        }
        case NAT_ARRAY:
            if (d.minor < NAT_MINOR_ARRAYS)
                goto unknown_tag;
            src->cur = p;
            SAVE_VSTART();
            {
                int failed = 0;
                rc = nat_array(&d, sink, ev.anchor, vsaved, &failed);
                p = src->cur;
                e = src->end;
                ev.anchor = 0;
                if (rc && failed)
                    goto sink_failed;
                if (rc)
                    goto out;
            }
            goto value_done;
        case NAT_ANCHOR:
            NEED(1, "an anchor");
            tag = *p++;
            kind = tag == NAT_ARRAY && d.minor >= NAT_MINOR_ARRAYS ? NAT_K_ARRAY : nat_container_kind(tag);
            if (kind == NAT_K_TOP)
                FAIL(BRINE_E_CORRUPT, vstart, "anchor at offset %llu is not followed by a container (tag 0x%02X)",
                     (unsigned long long)vstart, tag);
            if ((rc = nat_anchor_add(&d, kind & ~(unsigned)NAT_K_OPEN)) != BRINE_OK)
                goto out;
            ev.anchor = d.anchors;
            goto dispatch;
        case NAT_REF:
            VARINT(u, "a ref");
            if (u == 0 || u > d.anchors)
                FAIL(BRINE_E_REF, vstart, "ref at offset %llu names anchor %llu, but %zu anchors precede it",
                     (unsigned long long)vstart, (unsigned long long)u, d.anchors);
            if (BRINEP_UNLIKELY(args_ref)) {
                if (d.akind[u - 1] != NAT_K_TUPLE)
                    FAIL(BRINE_E_CORRUPT, vstart,
                         "model args at offset %llu refer to anchor %llu, which is not a tuple",
                         (unsigned long long)vstart, (unsigned long long)u);
                args_ref = 0;
            }
            ev.kind = BRINE_EV_REF;
            ev.v.ref = u;
            break;
        case NAT_LIST_OPEN:
        case NAT_TUPLE_OPEN:
        case NAT_DICT_OPEN:
            ev.kind = tag == NAT_LIST_OPEN ? BRINE_EV_LIST : tag == NAT_TUPLE_OPEN ? BRINE_EV_TUPLE : BRINE_EV_DICT;
            ev.v.count = BRINE_COUNT_UNKNOWN;
            EMIT();
            ev.anchor = 0;
            PUSH(NAT_OPEN_REM, nat_container_kind(tag));
            continue;
        case NAT_END:
            if (!(top_kind & NAT_K_OPEN))
                FAIL(BRINE_E_CORRUPT, vstart, "end at offset %llu closes no open container",
                     (unsigned long long)vstart);
            if (top_kind == (NAT_K_DICT | NAT_K_OPEN) && ((NAT_OPEN_REM - top_rem) & 1))
                FAIL(BRINE_E_CORRUPT, vstart, "end at offset %llu follows a dict key without its value",
                     (unsigned long long)vstart);
            ev.kind = BRINE_EV_END;
            EMIT();
            depth--;
            top_rem = d.stack[depth].rem;
            top_kind = d.stack[depth].kind;
            goto value_done;
        default:
        unknown_tag:
            src->cur = p;
            rc = nat_bad_tag(&d, tag, VSTART);
            goto out;
        }
        EMIT();
        goto value_done;

    str:
        NEED(count, "a str");
        /* Core checks the UTF-8 of every str event where its bytes are hot
         * (a second pass here cost 15% of a decode); when it refuses one,
         * the error names the input's bad byte. */
        ev.kind = BRINE_EV_STR;
        ev.v.s.ptr = (const char *)p;
        ev.v.s.len = (size_t)count;
        if (BRINEP_UNLIKELY((rc = direct ? brine_direct_str(direct, ev.v.s.ptr, ev.v.s.len) : sink->event(sink, &ev)) !=
                            BRINE_OK)) {
            size_t bad = brine_utf8_check((const char *)p, (size_t)count);
            if (bad != count) {
                brine_error_clear(err);
                FAIL(BRINE_E_UTF8, nat_off(src, p) + bad, "invalid UTF-8 in the str at offset %llu",
                     (unsigned long long)vstart);
            }
            p += count;
            goto sink_failed;
        }
        p += count;
        goto value_done;

    dict:
        /* Every entry takes at least two bytes: check the count against the
         * input before the sink sizes anything by it. */
        NEED(count > UINT64_MAX / 2 ? UINT64_MAX : count * 2, "a dict");
        ev.kind = BRINE_EV_DICT;
        kind = NAT_K_DICT;
        ev.v.count = (size_t)count;
        count *= 2;
        goto begin;

    seq:
        NEED(count, kind == NAT_K_LIST ? "a list" : "a tuple");
        ev.v.count = (size_t)count;

    begin:
        EMIT();
        ev.anchor = 0;
        if (count == 0) {
            ev.kind = BRINE_EV_END;
            EMIT();
            goto value_done;
        }
        PUSH(count, kind);
        continue;

    value_done:
        /* Close every container this value completes. */
        while (--top_rem == 0) {
            if (depth == 0)
                goto trailer;
            ev.kind = BRINE_EV_END;
            EMIT();
            depth--;
            top_rem = d.stack[depth].rem;
            top_kind = d.stack[depth].kind;
        }
    }

trailer:
    rc = nat_trailer(&d, p);
    goto out;

sink_failed:
    /* The sink knows the path but not where in the input we are. */
    src->cur = p;
    brine_error_merge_sink(err, sink, rc, VSTART, NULL);

out:
    brine_doc_free(d.dtypes);
    if (d.stack != d.inline_stack)
        brine_free(d.stack);
    brine_free(d.akind);
    return rc;
}

/* ---- verifying first ------------------------------------------------------ */

enum { NAT_UNVERIFIED = -1, NAT_MISMATCH = -2 };

/* Reads the input from cur to its end once, hashing all but the last 8
 * bytes, and compares them with those 8. BRINE_OK (*trailer_at set), or
 * NAT_MISMATCH, or NAT_UNVERIFIED when the source cannot come back or does
 * not start with the magic number (the decode words that), or an I/O
 * error. The source is back at its starting offset in every case but the
 * last. */
static int nat_verify(brine_source *src, uint64_t *trailer_at, brine_error *err)
{
    XXH3_state_t xx;
    brine_error local;
    uint64_t start = brine_source_offset(src);
    int rc;

    if (!brine_source_can_rewind(src))
        return NAT_UNVERIFIED;
    brine_error_clear(&local);
    if (brine_source_need(src, NAT_HEADER_LEN, &local) != BRINE_OK || memcmp(src->cur, NAT_MAGIC, NAT_MAGIC_LEN) != 0)
        return brine_source_rewind(src, start, err) == BRINE_OK ? NAT_UNVERIFIED : BRINE_E_IO;
    XXH3_INITSTATE(&xx);
    XXH3_64bits_reset(&xx);
    for (;;) {
        size_t avail = (size_t)(src->end - src->cur);
        if (avail > NAT_TRAILER_LEN) {
            XXH3_64bits_update(&xx, src->cur, avail - NAT_TRAILER_LEN);
            src->cur += avail - NAT_TRAILER_LEN;
        }
        rc = brine_source_more(src, NAT_TRAILER_LEN + 1, &local);
        if (rc == BRINE_E_TRUNCATED)
            break;
        if (rc != BRINE_OK) {
            if (err && err->code == BRINE_OK)
                *err = local;
            return rc;
        }
    }
    int match = src->end - src->cur == NAT_TRAILER_LEN && nat_load64(src->cur) == XXH3_64bits_digest(&xx);
    *trailer_at = brine_source_offset(src);
    if ((rc = brine_source_rewind(src, start, err)) != BRINE_OK)
        return rc;
    return match ? BRINE_OK : NAT_MISMATCH;
}

/* The sink of the search for the first error in a corrupt input: it keeps
 * nothing, but stops at the depth limit as the real sink would, so that a
 * deep hostile input does not grow the decoder's stack. */
typedef struct nat_null_sink {
    brine_sink sink;
    size_t depth, max_depth;
} nat_null_sink;

static int nat_null_event(brine_sink *self, const brine_event *ev)
{
    nat_null_sink *n = (nat_null_sink *)self;
    switch (ev->kind) {
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE:
    case BRINE_EV_DICT:
    case BRINE_EV_MODEL: return ++n->depth > n->max_depth ? BRINE_E_DEPTH : BRINE_OK;
    case BRINE_EV_END: n->depth--; return BRINE_OK;
    default: return BRINE_OK;
    }
}

static int nat_decode_with(brine_source *src, brine_sink *sink, brine_direct *direct, const brine_options *opts,
                           brine_error *err)
{
    uint64_t start = brine_source_offset(src), trailer_at = 0;
    int rc = nat_verify(src, &trailer_at, err);
    if (rc == BRINE_OK)
        return nat_run(src, sink, direct, 1, err);
    if (rc == NAT_UNVERIFIED)
        return nat_run(src, sink, direct, 0, err);
    if (rc != NAT_MISMATCH)
        return rc;
    /* Corrupt: find the first error without sending a single event. */
    nat_null_sink null = {{nat_null_event, NULL, NULL, 0, NULL}, 0, brine_options_max_depth(opts)};
    if ((rc = brine_source_rewind(src, start, err)) != BRINE_OK)
        return rc;
    rc = nat_run(src, &null.sink, NULL, 0, err);
    if (rc == BRINE_OK || rc == BRINE_E_DEPTH) {
        /* Too deep to search further (or the file changed under us). */
        if (err)
            brine_error_clear(err);
        rc = brine_error_set_at(err, BRINE_E_CORRUPT, trailer_at,
                                "checksum mismatch: the file is corrupt (the checksum of the %llu bytes before "
                                "offset %llu differs from the one stored there)",
                                (unsigned long long)(trailer_at - start), (unsigned long long)trailer_at);
    }
    return rc;
}

int nat_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err)
{
    return nat_decode_with(src, sink, NULL, opts, err);
}

int nat_decode_direct(brine_source *src, brine_direct *b, const brine_options *opts, brine_error *err)
{
    return nat_decode_with(src, brine_direct_sink(b), b, opts, err);
}
