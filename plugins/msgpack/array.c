/* array.c: arrays in MessagePack (docs/msgpack.md, "Arrays"): brine's ext
 * 86, whose payload is the MessagePack array [dtype, shape, data], and
 * msgpack-numpy's map {"nd": true, "type": ..., "kind": ..., "shape": ...,
 * "data": ...} with the `numpy` option. Both keep the dtype as numpy does
 * (dtype.str, or a record's descr as arrays of [name, type(, shape)]) and
 * the data as one bin in the dtype's byte order. Here: everything but the
 * data bytes written into a buffer (the encoder appends the data), and
 * both forms parsed from bytes in memory with every length checked
 * against them. The decoder and encoder decide when (decode.c, encode.c).
 */
#include <stdarg.h>
#include <stdio.h>

#include "mp.h"

/* ---- writing ---- */

static void wput(mp_bytes *w, const void *s, size_t n)
{
    if (w->fail)
        return;
    if (n > w->cap - w->len) {
        size_t cap = w->cap ? w->cap : 64;
        while (cap - w->len < n)
            cap *= 2;
        unsigned char *p = brine_realloc(w->p, cap);
        if (!p) {
            w->fail = 1;
            return;
        }
        w->p = p;
        w->cap = cap;
    }
    memcpy(w->p + w->len, s, n);
    w->len += n;
}

static void whead(mp_bytes *w, unsigned fix, unsigned fixmax, unsigned b8, unsigned b16, unsigned b32, uint64_t n)
{
    unsigned char b[9];
    if (fix && n <= fixmax) {
        b[0] = (unsigned char)(fix | n);
        wput(w, b, 1);
    } else if (b8 && n <= 0xff) {
        b[0] = (unsigned char)b8;
        b[1] = (unsigned char)n;
        wput(w, b, 2);
    } else if (n <= 0xffff) {
        b[0] = (unsigned char)b16;
        b[1] = (unsigned char)(n >> 8);
        b[2] = (unsigned char)n;
        wput(w, b, 3);
    } else {
        b[0] = (unsigned char)b32;
        mp_store32(b + 1, (uint32_t)n);
        wput(w, b, 5);
    }
}

static void wstr(mp_bytes *w, const char *s, size_t n)
{
    whead(w, 0xa0, 31, 0xd9, 0xda, 0xdb, n);
    wput(w, s, n);
}

static void wbin(mp_bytes *w, const char *s, size_t n)
{
    whead(w, 0, 0, 0xc4, 0xc5, 0xc6, n);
    wput(w, s, n);
}

static void warray(mp_bytes *w, uint64_t n)
{
    whead(w, 0x90, 15, 0, 0xdc, 0xdd, n);
}

/* The smallest uint, as msgpack_pack_uint64 writes it. */
static void wuint(mp_bytes *w, uint64_t u)
{
    unsigned char b[9];
    if (u < 0x80) {
        b[0] = (unsigned char)u;
        wput(w, b, 1);
    } else if (u <= 0xff) {
        b[0] = 0xcc;
        b[1] = (unsigned char)u;
        wput(w, b, 2);
    } else if (u <= 0xffff) {
        b[0] = 0xcd;
        b[1] = (unsigned char)(u >> 8);
        b[2] = (unsigned char)u;
        wput(w, b, 3);
    } else if (u <= 0xffffffffu) {
        b[0] = 0xce;
        mp_store32(b + 1, (uint32_t)u);
        wput(w, b, 5);
    } else {
        b[0] = 0xcf;
        mp_store64(b + 1, u);
        wput(w, b, 9);
    }
}

static void wshape(mp_bytes *w, unsigned ndim, const uint64_t *shape)
{
    warray(w, ndim);
    for (unsigned i = 0; i < ndim; i++)
        wuint(w, shape[i]);
}

/* dtype.str for a type without fields, the descr's arrays for a record. */
static void wdtype(mp_bytes *w, const brine_dtype *dt)
{
    char s[64];
    if (brine_dtype_kind_of(dt) != BRINE_DT_RECORD) {
        wstr(w, s, brine_dtype_str(dt, s, sizeof s));
        return;
    }
    size_t n;
    pd_entry *e = pd_entries(dt, &n);
    if (!e) {
        w->fail = 1;
        return;
    }
    warray(w, n);
    for (size_t i = 0; i < n; i++) {
        if (e[i].field < 0) {
            int len = snprintf(s, sizeof s, "|V%llu", (unsigned long long)e[i].pad);
            warray(w, 2);
            wstr(w, "", 0);
            wstr(w, s, (size_t)len);
            continue;
        }
        const char *name;
        size_t nlen;
        const brine_dtype *f;
        unsigned ndim;
        const uint64_t *shape;
        brine_dtype_field(dt, (size_t)e[i].field, &name, &nlen, &f, NULL, &ndim, &shape);
        warray(w, ndim ? 3 : 2);
        wstr(w, name, nlen);
        wdtype(w, f); /* nesting is bounded by BRINE_DTYPE_MAX_NESTING */
        if (ndim)
            wshape(w, ndim, shape);
    }
    brine_free(e);
}

int mp_array_prefix(const brine_array_header *h, int numpy, mp_bytes *w)
{
    w->len = 0;
    w->fail = 0;
    if (numpy) {
        /* msgpack-numpy's encode(): bytes keys (bin with use_bin_type). */
        int rec = brine_dtype_kind_of(h->dtype) == BRINE_DT_RECORD;
        whead(w, 0x80, 15, 0, 0xde, 0xdf, 5);
        wbin(w, "nd", 2);
        wput(w, "\xc3", 1);
        wbin(w, "type", 4);
        wdtype(w, h->dtype);
        wbin(w, "kind", 4);
        wbin(w, "V", rec ? 1 : 0);
        wbin(w, "shape", 5);
        wshape(w, h->ndim, h->shape);
        wbin(w, "data", 4);
    } else {
        warray(w, 3);
        wdtype(w, h->dtype);
        wshape(w, h->ndim, h->shape);
    }
    whead(w, 0, 0, 0xc4, 0xc5, 0xc6, h->data_len);
    return w->fail ? BRINE_E_NOMEM : BRINE_OK;
}

/* ---- reading ---- */

typedef struct mp_rd {
    const unsigned char *p;
    size_t len, pos;
    uint64_t base; /* input offset of p[0] */
    brine_doc *doc;
    brine_error *err;
    int soft;    /* a map read from the stream: running out of bytes asks for more (MP_NEED_MORE) */
    size_t need; /* truncated: bytes from p[0] the reader needs (0: malformed) */
} mp_rd;

static int rfail(mp_rd *r, size_t at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int rfail(mp_rd *r, size_t at, const char *fmt, ...)
{
    char msg[BRINE_ERROR_TEXT];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    brine_error_set_at(r->err, BRINE_E_CORRUPT, r->base + at, "%s", msg);
    return BRINE_E_CORRUPT;
}

/* n more bytes at pos, or MP_NEED_MORE (in a map read from the stream) / an
 * error (in an ext payload, which is all in memory). */
static int rhave(mp_rd *r, size_t n, const char *what)
{
    if (r->len - r->pos >= n)
        return BRINE_OK;
    if (r->soft) {
        r->need = r->pos + n;
        return MP_NEED_MORE;
    }
    return rfail(r, r->pos, "an array's %s overruns its ext payload", what);
}

/* A header of one of the families: *n its count or length. */
static int rhead(mp_rd *r, int family, uint64_t *n, const char *what)
{
    int rc;
    if ((rc = rhave(r, 1, what)))
        return rc;
    unsigned b = r->p[r->pos];
    size_t w = 0;
    switch (family) {
    case 's': /* str or bin */
        if (b >= 0xa0 && b <= 0xbf) {
            *n = b & 0x1f;
            r->pos++;
            return BRINE_OK;
        }
        if (b >= 0xd9 && b <= 0xdb)
            w = (size_t)1 << (b - 0xd9);
        else if (b >= 0xc4 && b <= 0xc6)
            w = (size_t)1 << (b - 0xc4);
        break;
    case 'a':
        if (b >= 0x90 && b <= 0x9f) {
            *n = b & 0x0f;
            r->pos++;
            return BRINE_OK;
        }
        if (b == 0xdc || b == 0xdd)
            w = b == 0xdc ? 2 : 4;
        break;
    case 'u':
        if (b <= 0x7f) {
            *n = b;
            r->pos++;
            return BRINE_OK;
        }
        if (b >= 0xcc && b <= 0xcf)
            w = (size_t)1 << (b - 0xcc);
        else if (b >= 0xd0 && b <= 0xd3) /* a signed int that is not negative (Python writes some so) */
            w = (size_t)1 << (b - 0xd0);
        break;
    default: break;
    }
    if (!w)
        return rfail(r, r->pos, "an array's %s has the wrong type (byte 0x%02x)", what, b);
    if ((rc = rhave(r, 1 + w, what)))
        return rc;
    const unsigned char *q = r->p + r->pos + 1;
    uint64_t v = w == 1 ? q[0] : w == 2 ? mp_load16(q) : w == 4 ? mp_load32(q) : mp_load64(q);
    if (b >= 0xd0 && b <= 0xd3 && (v >> (8 * w - 1)) & 1)
        return rfail(r, r->pos, "an array's %s is negative", what);
    *n = v;
    r->pos += 1 + w;
    return BRINE_OK;
}

/* A str or bin: *s and *n its bytes (in r->p). */
static int rstr(mp_rd *r, const unsigned char **s, uint64_t *n, const char *what)
{
    int rc = rhead(r, 's', n, what);
    if (rc == BRINE_OK && (rc = rhave(r, (size_t)(*n > SIZE_MAX ? SIZE_MAX : *n), what)) == BRINE_OK) {
        *s = r->p + r->pos;
        r->pos += (size_t)*n;
    }
    return rc;
}

static int rshape(mp_rd *r, unsigned *ndim, uint64_t *shape, const char *what)
{
    uint64_t n;
    size_t at = r->pos;
    int rc = rhead(r, 'a', &n, what);
    if (rc)
        return rc;
    if (n > BRINE_ARRAY_MAX_DIMS)
        return rfail(r, at, "an array's %s has %llu dimensions (at most %d)", what, (unsigned long long)n,
                     BRINE_ARRAY_MAX_DIMS);
    for (uint64_t i = 0; i < n; i++)
        if ((rc = rhead(r, 'u', &shape[i], what)))
            return rc;
    *ndim = (unsigned)n;
    return BRINE_OK;
}

static int rdtype(mp_rd *r, const brine_dtype **out, unsigned level);

/* A record's descr: p at its array header. */
static int rrecord(mp_rd *r, const brine_dtype **out, unsigned level)
{
    uint64_t n;
    size_t at = r->pos;
    int rc = rhead(r, 'a', &n, "dtype");
    if (rc)
        return rc;
    /* Each entry takes at least 3 bytes (an array header, two strs). */
    if (n == 0)
        return rfail(r, at, "a record dtype without entries");
    if (n > (r->len - r->pos) / 3)
        return rhave(r, (size_t)(n > SIZE_MAX / 4 ? SIZE_MAX / 4 : n) * 3, "dtype");
    pd_record rec;
    memset(&rec, 0, sizeof rec);
    for (uint64_t i = 0; i < n && rc == BRINE_OK; i++) {
        uint64_t parts, nlen;
        const unsigned char *name;
        const brine_dtype *f;
        unsigned ndim = 0;
        uint64_t shape[BRINE_ARRAY_MAX_DIMS];
        size_t eat = r->pos;
        if ((rc = rhead(r, 'a', &parts, "dtype")))
            break;
        if (parts != 2 && parts != 3) {
            rc = rfail(r, eat, "a record dtype's entry must be [name, type] or [name, type, shape]");
            break;
        }
        if ((rc = rstr(r, &name, &nlen, "field name")) || (rc = rdtype(r, &f, level + 1)) ||
            (parts == 3 && (rc = rshape(r, &ndim, shape, "field shape"))))
            break;
        brine_error local;
        brine_error_clear(&local);
        if ((rc = pd_add(&rec, (const char *)name, (size_t)nlen, f, ndim, shape, &local))) {
            if (rc == BRINE_E_NOMEM)
                brine_error_set(r->err, rc, "out of memory");
            else
                rc = rfail(r, eat, "%s", local.message);
        }
    }
    if (rc == BRINE_OK) {
        brine_error local;
        brine_error_clear(&local);
        if (!(*out = pd_finish(&rec, r->doc, &local)))
            rc = local.code == BRINE_E_NOMEM ? brine_error_set(r->err, BRINE_E_NOMEM, "out of memory")
                                             : rfail(r, at, "%s", local.message);
    }
    pd_free(&rec);
    return rc;
}

static int rdtype(mp_rd *r, const brine_dtype **out, unsigned level)
{
    int rc;
    if (level > BRINE_DTYPE_MAX_NESTING)
        return rfail(r, r->pos, "records nest more than %d deep", BRINE_DTYPE_MAX_NESTING);
    if ((rc = rhave(r, 1, "dtype")))
        return rc;
    unsigned b = r->p[r->pos];
    if ((b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd)
        return rrecord(r, out, level);
    const unsigned char *s;
    uint64_t n;
    if ((rc = rstr(r, &s, &n, "dtype")))
        return rc;
    brine_error local;
    brine_error_clear(&local);
    brine_dtype *dt = brine_dtype_parse(r->doc, (const char *)s, (size_t)n, &local);
    if (!dt) {
        if (local.code == BRINE_E_NOMEM)
            return brine_error_set(r->err, BRINE_E_NOMEM, "out of memory");
        size_t off = (size_t)(s - r->p) + (local.offset <= n ? (size_t)local.offset : 0);
        brine_error_set_at(r->err, local.code == BRINE_E_UNSUPPORTED ? BRINE_E_UNSUPPORTED : BRINE_E_CORRUPT,
                           r->base + off, "an array's dtype '%.*s': %s", (int)(n > 32 ? 32 : n), (const char *)s,
                           local.message);
        return r->err && r->err->code ? r->err->code : BRINE_E_CORRUPT;
    }
    *out = dt;
    return BRINE_OK;
}

/* The data bin after the dtype and shape: its length must be the shape's. */
static int rdata(mp_rd *r, brine_array_header *h, const uint64_t *shape, size_t shape_at)
{
    uint64_t count, n;
    size_t nbytes;
    const unsigned char *s;
    int rc;
    if (pd_shape_size(h->ndim, shape, brine_dtype_itemsize(h->dtype), &count, &nbytes))
        return rfail(r, shape_at, "an array's shape and dtype make more bytes than memory holds");
    size_t at = r->pos;
    if ((rc = rhead(r, 's', &n, "data")))
        return rc;
    if (r->p[at] < 0xc4 || r->p[at] > 0xc6)
        return rfail(r, at, "an array's data must be a bin");
    if (n != nbytes)
        return rfail(r, at, "an array's data holds %llu bytes, its shape and dtype need %zu", (unsigned long long)n,
                     nbytes);
    r->pos = at;
    if ((rc = rstr(r, &s, &n, "data")))
        return rc;
    h->shape = shape;
    h->count = count;
    h->data = s;
    h->data_len = nbytes;
    h->chunks = 0;
    h->reserved_ = 0;
    return BRINE_OK;
}

int mp_array_ext(const unsigned char *p, size_t len, uint64_t base, brine_doc *doc, brine_array_header *h,
                 uint64_t *shape, brine_error *err)
{
    mp_rd r = {p, len, 0, base, doc, err, 0, 0};
    uint64_t n;
    int rc;
    memset(h, 0, sizeof *h);
    if ((rc = rhead(&r, 'a', &n, "payload")))
        return rc;
    if (n != 3)
        return rfail(&r, 0, "an array (ext %d) must hold [dtype, shape, data]", MP_EXT_ARRAY);
    if ((rc = rdtype(&r, &h->dtype, 1)))
        return rc;
    size_t shape_at = r.pos;
    if ((rc = rshape(&r, &h->ndim, shape, "shape")) || (rc = rdata(&r, h, shape, shape_at)))
        return rc;
    if (r.pos != len)
        return rfail(&r, r.pos, "an array (ext %d) has bytes after its data", MP_EXT_ARRAY);
    return BRINE_OK;
}

/* A key of the numpy map: str or bin, compared with name. */
static int rkey(mp_rd *r, const char *name, int *match)
{
    const unsigned char *s;
    uint64_t n;
    int rc = rstr(r, &s, &n, "key");
    if (rc == BRINE_OK)
        *match = n == strlen(name) && memcmp(s, name, (size_t)n) == 0;
    return rc;
}

int mp_array_numpy(const unsigned char *p, size_t avail, uint64_t base, uint64_t entries, brine_doc *doc,
                   brine_array_header *h, uint64_t *shape, size_t *used, size_t *need, brine_error *err)
{
    mp_rd r = {p, avail, 0, base, doc, err, 1, 0};
    static const char *const keys[] = {"type", "kind", "shape", "data"};
    int seen[4] = {0, 0, 0, 0}, match, rc, nd;
    size_t shape_at = 0;
    *need = 0;
    memset(h, 0, sizeof *h);
    /* The first key must be "nd" (str or bin) and its value a bool: else an
     * ordinary map, and nothing has failed. */
    if ((rc = rhave(&r, 1, "key")))
        goto out;
    if (!((p[0] >= 0xa0 && p[0] <= 0xbf) || (p[0] >= 0xd9 && p[0] <= 0xdb) || (p[0] >= 0xc4 && p[0] <= 0xc6)))
        return MP_NOT_NUMPY;
    if ((rc = rkey(&r, "nd", &match)) || !match || (rc = rhave(&r, 1, "key")))
        goto out;
    if (p[r.pos] != 0xc2 && p[r.pos] != 0xc3)
        goto out;
    nd = p[r.pos++] == 0xc3;
    /* Committed: from here a malformed map is an error, not a dict. */
    if (entries < 3 || entries > 5)
        return rfail(&r, 0, "a msgpack-numpy map has %llu entries (3 to 5)", (unsigned long long)entries);
    h->ndim = 0;
    for (uint64_t i = 1; i < entries; i++) {
        size_t at = r.pos;
        int k;
        for (k = 0; k < 4; k++) {
            r.pos = at;
            if ((rc = rkey(&r, keys[k], &match)))
                goto out;
            if (match)
                break;
        }
        if (k == 4 || seen[k] || (!nd && (k == 1 || k == 2)))
            return rfail(&r, at, "a msgpack-numpy map holds an unexpected or repeated key");
        seen[k] = 1;
        if (k == 0)
            rc = rdtype(&r, &h->dtype, 1);
        else if (k == 1) {
            const unsigned char *s;
            uint64_t n;
            rc = rstr(&r, &s, &n, "kind");
            if (rc == BRINE_OK && n == 1 && *s == 'O')
                return brine_error_set_at(err, BRINE_E_UNSUPPORTED, base + at,
                                          "a msgpack-numpy object array (kind 'O') holds a pickle: not read");
        } else if (k == 2) {
            shape_at = r.pos;
            rc = rshape(&r, &h->ndim, shape, "shape");
        } else {
            if (!seen[0] || (nd && !seen[2]))
                return rfail(&r, at, "a msgpack-numpy map's data must come after its type and shape");
            rc = rdata(&r, h, shape, shape_at);
        }
        if (rc)
            goto out;
    }
    if (!seen[0] || !seen[3] || (nd && !seen[2]))
        return rfail(&r, 0, "a msgpack-numpy map lacks its type, shape or data");
    *used = r.pos;
    return BRINE_OK;
out:
    if (rc == MP_NEED_MORE)
        *need = r.need;
    return rc ? rc : MP_NOT_NUMPY;
}
