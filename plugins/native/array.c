/* array.c: the native format's array value (tag 0xD7, format 1.1;
 * docs/native-format.md section 4.9): the header that describes an array
 * (its dtype as numpy's type string, a record's fields after it, and the
 * shape) written into and parsed from a contiguous block. The encoder and
 * decoder place the data themselves (encode.c, decode.c): after the header
 * and 0-15 zero bytes, at a multiple of 16 from the file's start, so that
 * decoding it is one bounds-checked copy (and, later, a view).
 *
 *   header := dtype ndim:u8 shape:varint*ndim
 *   dtype  := len:u8 typestr[len]
 *             (if typestr's kind is 'V': nfields:varint, then per field:
 *              namelen:varint name offset:varint ndim:u8 shape:varint*ndim dtype)
 */
#include <stdio.h>

#include "native.h"

/* ---- writing ---- */

typedef struct nat_wbuf {
    unsigned char *p;
    size_t cap, len;
} nat_wbuf;

static void wput(nat_wbuf *w, const void *s, size_t n)
{
    if (w->len + n <= w->cap)
        memcpy(w->p + w->len, s, n);
    w->len += n;
}

static void wvarint(nat_wbuf *w, uint64_t v)
{
    unsigned char b[NAT_VARINT_MAX];
    wput(w, b, nat_put_varint(b, v));
}

static void wdtype(nat_wbuf *w, const brine_dtype *dt)
{
    char s[64];
    size_t n = brine_dtype_str(dt, s, sizeof s);
    unsigned char len = (unsigned char)n;
    wput(w, &len, 1);
    wput(w, s, n);
    if (s[1] != 'V')
        return;
    size_t nf = brine_dtype_field_count(dt);
    wvarint(w, nf);
    for (size_t k = 0; k < nf; k++) {
        const char *name;
        size_t nlen;
        const brine_dtype *f;
        uint64_t off;
        unsigned ndim;
        const uint64_t *shape;
        brine_dtype_field(dt, k, &name, &nlen, &f, &off, &ndim, &shape);
        wvarint(w, nlen);
        wput(w, name, nlen);
        wvarint(w, off);
        unsigned char d = (unsigned char)ndim;
        wput(w, &d, 1);
        for (unsigned i = 0; i < ndim; i++)
            wvarint(w, shape[i]);
        wdtype(w, f); /* nesting is bounded by BRINE_DTYPE_MAX_NESTING */
    }
}

size_t nat_array_header_write(const brine_array_header *h, unsigned char *out, size_t cap)
{
    nat_wbuf w = {out, cap, 0};
    wdtype(&w, h->dtype);
    unsigned char d = (unsigned char)h->ndim;
    wput(&w, &d, 1);
    for (unsigned i = 0; i < h->ndim; i++)
        wvarint(&w, h->shape[i]);
    return w.len;
}

/* ---- reading ---- */

typedef struct nat_rbuf {
    const unsigned char *p;
    size_t len, pos;
    uint64_t base; /* input offset of p[0] */
    brine_doc *doc;
    brine_error *err;
} nat_rbuf;

static int rfail(nat_rbuf *r, int code, const char *what)
{
    return brine_error_set_at(r->err, code, r->base + r->pos, "array header at offset %llu: %s",
                              (unsigned long long)(r->base + r->pos), what);
}

static int rvarint(nat_rbuf *r, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < NAT_VARINT_MAX; i++) {
        if (r->pos == r->len)
            return rfail(r, BRINE_E_CORRUPT, "it ends inside a varint");
        unsigned b = r->p[r->pos++];
        if (i == NAT_VARINT_MAX - 1 && b > 1)
            break;
        v |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            if (b == 0 && i > 0)
                return rfail(r, BRINE_E_CORRUPT, "an overlong varint");
            *out = v;
            return BRINE_OK;
        }
    }
    return rfail(r, BRINE_E_CORRUPT, "a varint overflows 64 bits");
}

static int rbyte(nat_rbuf *r, unsigned *out)
{
    if (r->pos == r->len)
        return rfail(r, BRINE_E_CORRUPT, "it ends early");
    *out = r->p[r->pos++];
    return BRINE_OK;
}

static int rshape(nat_rbuf *r, unsigned *ndim, uint64_t *shape)
{
    int rc;
    if ((rc = rbyte(r, ndim)))
        return rc;
    if (*ndim > BRINE_ARRAY_MAX_DIMS) {
        r->pos--;
        char what[64];
        snprintf(what, sizeof what, "%u dimensions (at most %d)", *ndim, BRINE_ARRAY_MAX_DIMS);
        return rfail(r, BRINE_E_CORRUPT, what);
    }
    for (unsigned i = 0; i < *ndim; i++)
        if ((rc = rvarint(r, &shape[i])))
            return rc;
    return BRINE_OK;
}

static int rdtype(nat_rbuf *r, const brine_dtype **out, unsigned level)
{
    unsigned len = 0;
    int rc;
    if (level > BRINE_DTYPE_MAX_NESTING)
        return rfail(r, BRINE_E_CORRUPT, "records nest too deep");
    if ((rc = rbyte(r, &len)))
        return rc;
    if (len > r->len - r->pos)
        return rfail(r, BRINE_E_CORRUPT, "a dtype string runs past the header");
    size_t at = r->pos;
    brine_error local;
    brine_error_clear(&local);
    brine_dtype *dt = brine_dtype_parse(r->doc, (const char *)r->p + at, len, &local);
    if (!dt) {
        if (local.code == BRINE_E_NOMEM)
            return brine_error_set(r->err, BRINE_E_NOMEM, "out of memory");
        r->pos = at + (local.offset <= len ? (size_t)local.offset : 0);
        return rfail(r, local.code == BRINE_E_UNSUPPORTED ? BRINE_E_UNSUPPORTED : BRINE_E_CORRUPT, local.message);
    }
    r->pos = at + len;
    if (brine_dtype_kind_of(dt) != BRINE_DT_VOID) {
        *out = dt;
        return BRINE_OK;
    }
    uint64_t nfields;
    if ((rc = rvarint(r, &nfields)))
        return rc;
    if (nfields == 0) {
        *out = dt;
        return BRINE_OK;
    }
    /* Each field takes at least 4 bytes: check before building anything. */
    if (nfields > (r->len - r->pos) / 4)
        return rfail(r, BRINE_E_CORRUPT, "more fields than the header has bytes for");
    brine_dtype *rec = brine_dtype_record_new(r->doc, brine_dtype_itemsize(dt), r->err);
    if (!rec)
        return BRINE_E_NOMEM;
    for (uint64_t k = 0; k < nfields; k++) {
        uint64_t nlen, off;
        unsigned ndim;
        uint64_t shape[BRINE_ARRAY_MAX_DIMS];
        const brine_dtype *f;
        size_t field_at = r->pos;
        if ((rc = rvarint(r, &nlen)))
            return rc;
        if (nlen > r->len - r->pos)
            return rfail(r, BRINE_E_CORRUPT, "a field name runs past the header");
        const char *name = (const char *)r->p + r->pos;
        r->pos += (size_t)nlen;
        if ((rc = rvarint(r, &off)) || (rc = rshape(r, &ndim, shape)) || (rc = rdtype(r, &f, level + 1)))
            return rc;
        brine_error_clear(&local);
        if (brine_dtype_record_add(rec, name, (size_t)nlen, f, off, ndim, shape, &local)) {
            if (local.code == BRINE_E_NOMEM)
                return brine_error_set(r->err, BRINE_E_NOMEM, "out of memory");
            r->pos = field_at;
            return rfail(r, BRINE_E_CORRUPT, local.message);
        }
    }
    *out = rec;
    return BRINE_OK;
}

int nat_array_header_parse(const unsigned char *p, size_t len, uint64_t base, brine_doc *doc, brine_array_header *h,
                           uint64_t *shape, brine_error *err)
{
    nat_rbuf r = {p, len, 0, base, doc, err};
    const brine_dtype *dt;
    unsigned ndim;
    int rc;
    if ((rc = rdtype(&r, &dt, 1)))
        return rc;
    size_t shape_at = r.pos;
    if ((rc = rshape(&r, &ndim, shape)))
        return rc;
    if (r.pos != len)
        return rfail(&r, BRINE_E_CORRUPT, "bytes left over after the shape");
    /* The element count and the byte size, overflow-checked before the
     * caller asks the input for that many bytes. */
    uint64_t count = 1;
    int zero = 0;
    for (unsigned i = 0; i < ndim; i++) {
        if (shape[i] == 0)
            zero = 1;
        else if (count > UINT64_MAX / shape[i]) {
            r.pos = shape_at;
            return rfail(&r, BRINE_E_CORRUPT, "the shape's element count overflows 64 bits");
        } else
            count *= shape[i];
    }
    if (zero)
        count = 0;
    r.pos = shape_at; /* size errors name the shape */
    size_t itemsize = brine_dtype_itemsize(dt);
    if (count > (uint64_t)(SIZE_MAX / 2) / itemsize)
        return rfail(&r, BRINE_E_CORRUPT, "the array's byte size overflows");
    h->dtype = dt;
    h->ndim = ndim;
    h->shape = shape;
    h->count = count;
    h->data = NULL;
    h->data_len = (size_t)(count * itemsize);
    h->chunks = 0;
    h->reserved_ = 0;
    return BRINE_OK;
}
