/* numpy.c: numpy's arrays in pickles become array values (docs/pickle.md,
 * "numpy arrays"). Three reduce forms: _reconstruct(ndarray, (0,), b'b')
 * whose BUILD state (version, shape, dtype, is_fortran, raw bytes) gives
 * the array (protocols 0-4); _frombuffer(buffer, dtype, shape, order)
 * (protocol 5 in-band); scalar(dtype, bytes), a 0-d array. Dtypes are
 * numpy.dtype(str, align, copy) models whose BUILD state is read here when
 * an array uses them. Object arrays (dtype 'O', or records holding
 * objects) stay models: their items are Python objects.
 *
 * The _reconstruct model is made at REDUCE like any call and replaced by
 * the array at its BUILD, in the stack and the memo (the only places a
 * CPython pickle holds it before BUILD; one linked into a container before
 * its BUILD is refused, see PKN_LINKED). The array adopts the bytes
 * value's block in place (blobs start 16 bytes into a 16-byte aligned
 * allocation), so the data is copied once from the input, and once more
 * by whatever consumes the decoded events.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "reader.h"

/* The module spellings numpy 1 and 2 write. */
static const char *const np_reconstruct[] = {
    "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
    "numpy.core._multiarray_umath._reconstruct", "numpy._core._multiarray_umath._reconstruct", NULL};
static const char *const np_scalar[] = {"numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
                                        "numpy.core._multiarray_umath.scalar", "numpy._core._multiarray_umath.scalar",
                                        NULL};
static const char *const np_frombuffer[] = {"numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer", NULL};

static int np_in(const char *name, size_t len, const char *const *list)
{
    for (; *list; list++)
        if (strlen(*list) == len && memcmp(*list, name, len) == 0)
            return 1;
    return 0;
}

static int np_model_is(const brine_value *v, const char *name)
{
    size_t len;
    const char *n = brine_type_of(v) == BRINE_MODEL ? brine_model_name(v, &len) : NULL;
    return n && len == strlen(name) && memcmp(n, name, len) == 0;
}

/* A global model naming exactly module.name. */
static int np_global_is(const brine_value *v, const char *module, const char *name)
{
    const brine_value *args = brine_model_args(v);
    size_t ml, nl;
    const char *m, *n;
    if (!np_model_is(v, "pickle.global") || brine_seq_count(args) != 2)
        return 0;
    m = brine_str_get(brine_seq_get(args, 0), &ml);
    n = brine_str_get(brine_seq_get(args, 1), &nl);
    return m && n && ml == strlen(module) && nl == strlen(name) && !memcmp(m, module, ml) && !memcmp(n, name, nl);
}

/* The error for the opcode being run, "OP at offset N: numpy ...". */
static int np_fail(pk_dec *d, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int np_fail(pk_dec *d, int code, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return pk_fail(d, code, "%s at offset %llu: %s", pk_opname(d->start[d->op_off - d->base]),
                   (unsigned long long)d->op_off, msg);
}

/* The element count and byte size of a shape, checked for overflow before
 * anything is allocated (at most half the address space, as core's). */
static int np_count(unsigned ndim, const uint64_t *shape, size_t itemsize, uint64_t *count, size_t *nbytes)
{
    uint64_t c = 1;
    int zero = 0;
    for (unsigned i = 0; i < ndim; i++) {
        if (shape[i] == 0)
            zero = 1;
        else if (c > UINT64_MAX / shape[i])
            return 1;
        else
            c *= shape[i];
    }
    if (zero)
        c = 0;
    if (itemsize && c > (uint64_t)(SIZE_MAX / 2) / itemsize)
        return 1;
    *count = c;
    *nbytes = (size_t)(c * itemsize);
    return 0;
}

/* A small non-negative int (shape sizes, offsets, versions). */
static int np_uint(const brine_value *v, uint64_t *out)
{
    int64_t i;
    if (brine_type_of(v) != BRINE_INT || brine_int_get_i64(v, &i) != BRINE_OK || i < 0)
        return 0;
    *out = (uint64_t)i;
    return 1;
}

static int np_int(const brine_value *v, int64_t *out)
{
    if (brine_type_of(v) == BRINE_BOOL) {
        *out = brine_bool_get(v);
        return 1;
    }
    return brine_type_of(v) == BRINE_INT && brine_int_get_i64(v, out) == BRINE_OK;
}

/* A shape tuple of non-negative ints, at most BRINE_ARRAY_MAX_DIMS. */
static int np_shape(pk_dec *d, const brine_value *t, unsigned *ndim, uint64_t *shape)
{
    size_t n = brine_seq_count(t);
    if (brine_type_of(t) != BRINE_TUPLE)
        return np_fail(d, BRINE_E_CORRUPT, "numpy shape is a %s, not a tuple", brine_type_name(brine_type_of(t)));
    if (n > BRINE_ARRAY_MAX_DIMS)
        return np_fail(d, BRINE_E_CORRUPT, "numpy shape of %zu dimensions (at most %d)", n, BRINE_ARRAY_MAX_DIMS);
    for (size_t i = 0; i < n; i++)
        if (!np_uint(brine_seq_get(t, i), &shape[i]))
            return np_fail(d, BRINE_E_CORRUPT, "numpy shape entry %zu is not a non-negative int", i);
    *ndim = (unsigned)n;
    return BRINE_OK;
}

/* ---- dtypes -------------------------------------------------------------- */

/* A small cache of dtypes read, by the numpy.dtype model's node and the
 * state it had then (a tree of 500 estimators shares a handful). */
#define NP_CACHE 64

typedef struct np_cached {
    const void *args, *state;
    const brine_dtype *dt;
    unsigned ndim;
    uint64_t shape[4];
} np_cached;

struct pk_np {
    np_cached cache[NP_CACHE];
};

void pk_np_free(pk_dec *d)
{
    brine_free(d->np);
    d->np = NULL;
}

/* The result of reading a dtype: a brine dtype, or NP_OBJECT for one
 * numpy has and brine does not hold (objects, titles, metadata), which
 * leaves its array a model. */
#define NP_OBJECT 1

typedef struct np_sub {
    unsigned ndim; /* a sub-array dtype's shape; 0 for a plain one */
    uint64_t shape[BRINE_ARRAY_MAX_DIMS];
} np_sub;

static int np_dtype(pk_dec *d, const brine_value *v, unsigned level, const brine_dtype **out, np_sub *sub);

/* The unit of a datetime64/timedelta64 state's metadata ({}, (b'ns', 1,
 * 1, 1)) as "[ns]" or "[10ms]" into buf. */
static int np_unit(pk_dec *d, const brine_value *md, char *buf, size_t cap)
{
    const brine_value *info = brine_seq_get(md, 1);
    const char *u;
    size_t ulen;
    int64_t num, den, events;
    if (brine_type_of(md) != BRINE_TUPLE || brine_seq_count(md) != 2 || brine_type_of(info) != BRINE_TUPLE ||
        brine_seq_count(info) != 4 || brine_type_of(brine_seq_get(info, 0)) != BRINE_BYTES ||
        !np_int(brine_seq_get(info, 1), &num) || !np_int(brine_seq_get(info, 2), &den) ||
        !np_int(brine_seq_get(info, 3), &events))
        return np_fail(d, BRINE_E_CORRUPT, "numpy datetime dtype metadata is not (dict, (unit, num, den, events))");
    u = brine_bytes_get(brine_seq_get(info, 0), &ulen);
    if (den != 1 || events != 1 || num < 1 || ulen == 0 || ulen > 8)
        return np_fail(d, BRINE_E_CORRUPT, "numpy datetime unit out of range");
    if (ulen == 7 && memcmp(u, "generic", 7) == 0)
        return NP_OBJECT; /* a unitless datetime64 */
    if (num == 1)
        snprintf(buf, cap, "[%.*s]", (int)ulen, u);
    else
        snprintf(buf, cap, "[%lld%.*s]", (long long)num, (int)ulen, u);
    return BRINE_OK;
}

/* A record's fields from the state's names tuple and fields dict. */
static int np_fields(pk_dec *d, brine_dtype *rec, const brine_value *names, const brine_value *fields, unsigned level)
{
    size_t n = brine_seq_count(names);
    if (brine_type_of(names) != BRINE_TUPLE || brine_type_of(fields) != BRINE_DICT || brine_dict_count(fields) != n)
        return np_fail(d, BRINE_E_CORRUPT, "numpy record dtype: names and fields do not match");
    for (size_t i = 0; i < n; i++) {
        const brine_value *name = brine_seq_get(names, i), *f = brine_dict_get(fields, name);
        const brine_dtype *fdt;
        uint64_t off;
        np_sub sub;
        brine_error e;
        size_t len;
        const char *s = brine_str_get(name, &len);
        int rc;
        if (!s || !f || brine_type_of(f) != BRINE_TUPLE || brine_seq_count(f) < 2)
            return np_fail(d, BRINE_E_CORRUPT, "numpy record dtype: field %zu is not (dtype, offset)", i);
        if (brine_seq_count(f) != 2)
            return NP_OBJECT; /* a title */
        if (!np_uint(brine_seq_get(f, 1), &off))
            return np_fail(d, BRINE_E_CORRUPT, "numpy record dtype: field %zu has a bad offset", i);
        if ((rc = np_dtype(d, brine_seq_get(f, 0), level + 1, &fdt, &sub)) != BRINE_OK)
            return rc;
        brine_error_clear(&e);
        if (brine_dtype_record_add(rec, s, len, fdt, off, sub.ndim, sub.ndim ? sub.shape : NULL, &e) != BRINE_OK)
            return e.code == BRINE_E_NOMEM ? pk_fail(d, BRINE_E_NOMEM, "out of memory")
                                           : np_fail(d, BRINE_E_CORRUPT, "numpy record dtype: %s", e.message);
    }
    return BRINE_OK;
}

/* Reads the dtype model v: numpy.dtype(str, align, copy) with its BUILD
 * state (version 3: order, subarray, names, fields, elsize, alignment,
 * flags; version 4 adds metadata). A sub-array dtype ((base, shape))
 * gives its base and fills sub; only record fields may have one. */
static int np_dtype_read(pk_dec *d, const brine_value *v, unsigned level, const brine_dtype **out, np_sub *sub)
{
    const brine_value *args = brine_model_args(v), *st = brine_model_state(v);
    const brine_value *names, *fields, *subarr;
    char ts[48], unit[32] = "";
    const char *s, *ord;
    size_t slen, olen, nst = brine_seq_count(st);
    int64_t version, elsize, align, flags;
    brine_error e;
    int rc;
    sub->ndim = 0;
    if (level > BRINE_DTYPE_MAX_NESTING)
        return np_fail(d, BRINE_E_CORRUPT, "numpy record dtypes nest deeper than %d", BRINE_DTYPE_MAX_NESTING);
    if (!np_model_is(v, "numpy.dtype") || brine_seq_count(args) != 3 ||
        !(s = brine_str_get(brine_seq_get(args, 0), &slen)) || slen < 2 || slen > 24)
        return np_fail(d, BRINE_E_CORRUPT, "numpy array dtype is not numpy.dtype(str, align, copy)");
    if (s[0] == 'O')
        return NP_OBJECT;
    if (brine_type_of(st) != BRINE_TUPLE || (nst != 8 && nst != 9) || !np_int(brine_seq_get(st, 0), &version) ||
        version != (nst == 8 ? 3 : 4) || !(ord = brine_str_get(brine_seq_get(st, 1), &olen)) || olen != 1 ||
        !np_int(brine_seq_get(st, 5), &elsize) || !np_int(brine_seq_get(st, 6), &align) ||
        !np_int(brine_seq_get(st, 7), &flags))
        return np_fail(d, BRINE_E_CORRUPT, "numpy dtype '%.*s' has a state numpy does not write", (int)slen, s);
    (void)align;
    if (flags & 1)
        return NP_OBJECT; /* holds Python objects */
    subarr = brine_seq_get(st, 2);
    names = brine_seq_get(st, 3);
    fields = brine_seq_get(st, 4);
    if (nst == 9) {
        const brine_value *md = brine_seq_get(st, 8);
        if (s[0] == 'M' || s[0] == 'm') {
            if ((rc = np_unit(d, md, unit, sizeof unit)) != BRINE_OK)
                return rc;
        } else if (brine_type_of(md) != BRINE_DICT) {
            return np_fail(d, BRINE_E_CORRUPT, "numpy dtype metadata is not a dict");
        } else if (brine_dict_count(md)) {
            return NP_OBJECT; /* metadata brine does not keep */
        }
    } else if (s[0] == 'M' || s[0] == 'm') {
        return np_fail(d, BRINE_E_CORRUPT, "numpy datetime dtype without its unit");
    }
    if (brine_type_of(subarr) != BRINE_NULL) {
        /* A sub-array dtype: (base, shape). */
        const brine_value *base = brine_seq_get(subarr, 0);
        np_sub inner;
        uint64_t count;
        size_t nbytes;
        if (brine_type_of(subarr) != BRINE_TUPLE || brine_seq_count(subarr) != 2 || s[0] != 'V' ||
            brine_type_of(names) != BRINE_NULL)
            return np_fail(d, BRINE_E_CORRUPT, "numpy sub-array dtype is not (dtype, shape)");
        if ((rc = np_shape(d, brine_seq_get(subarr, 1), &sub->ndim, sub->shape)) != BRINE_OK ||
            (rc = np_dtype(d, base, level + 1, out, &inner)) != BRINE_OK)
            return rc;
        if (inner.ndim)
            return np_fail(d, BRINE_E_CORRUPT, "numpy sub-array dtype of a sub-array dtype");
        if (np_count(sub->ndim, sub->shape, brine_dtype_itemsize(*out), &count, &nbytes) || (uint64_t)elsize != nbytes)
            return np_fail(d, BRINE_E_CORRUPT, "numpy sub-array dtype of %lld bytes does not match its shape",
                           (long long)elsize);
        return BRINE_OK;
    }
    brine_error_clear(&e);
    if (brine_type_of(names) != BRINE_NULL) {
        brine_dtype *rec;
        if (s[0] != 'V' || elsize <= 0)
            return np_fail(d, BRINE_E_CORRUPT, "numpy record dtype '%.*s' of %lld bytes", (int)slen, s,
                           (long long)elsize);
        if (!(rec = brine_dtype_record_new(d->doc, (size_t)elsize, &e)))
            return e.code == BRINE_E_NOMEM ? pk_fail(d, BRINE_E_NOMEM, "out of memory")
                                           : np_fail(d, BRINE_E_CORRUPT, "numpy record dtype: %s", e.message);
        if ((rc = np_fields(d, rec, names, fields, level)) != BRINE_OK)
            return rc;
        *out = rec;
        return BRINE_OK;
    }
    if (brine_type_of(fields) != BRINE_NULL)
        return np_fail(d, BRINE_E_CORRUPT, "numpy dtype with fields but no names");
    /* A plain type: the order, numpy's kind and size, the unit. */
    int n = snprintf(ts, sizeof ts, "%c%.*s%s", ord[0], (int)slen, s, unit);
    if (!(*out = brine_dtype_parse(d->doc, ts, (size_t)n, &e)))
        return e.code == BRINE_E_NOMEM ? pk_fail(d, BRINE_E_NOMEM, "out of memory")
                                       : np_fail(d, BRINE_E_CORRUPT, "numpy dtype '%s': %s", ts, e.message);
    /* Flexible types carry their byte size in the state too. */
    if (elsize != -1 && (uint64_t)elsize != brine_dtype_itemsize(*out))
        return np_fail(d, BRINE_E_CORRUPT, "numpy dtype '%s' says %lld bytes", ts, (long long)elsize);
    return BRINE_OK;
}

static int np_dtype(pk_dec *d, const brine_value *v, unsigned level, const brine_dtype **out, np_sub *sub)
{
    const brine_value *st = brine_model_state(v);
    const void *args = brine_model_args(v), *skey = brine_seq_count(st) ? brine_seq_get(st, 0) : NULL;
    size_t h = ((uintptr_t)args >> 4) % NP_CACHE;
    np_cached *c;
    int rc;
    if (!args)
        return np_fail(d, BRINE_E_CORRUPT, "numpy array dtype is a %s, not numpy.dtype",
                       brine_type_name(brine_type_of(v)));
    if (!d->np && !(d->np = brine_malloc(sizeof *d->np)))
        return pk_fail(d, BRINE_E_NOMEM, "out of memory");
    if (!d->np_init) {
        memset(d->np, 0, sizeof *d->np);
        d->np_init = 1;
    }
    c = &d->np->cache[h];
    if (c->args == args && c->state == skey && c->dt) {
        *out = c->dt;
        sub->ndim = c->ndim;
        memcpy(sub->shape, c->shape, c->ndim * sizeof *c->shape);
        return BRINE_OK;
    }
    if ((rc = np_dtype_read(d, v, level, out, sub)) != BRINE_OK)
        return rc;
    if (sub->ndim <= 4) {
        c->args = args;
        c->state = skey;
        c->dt = *out;
        c->ndim = sub->ndim;
        memcpy(c->shape, sub->shape, sub->ndim * sizeof *c->shape);
    }
    return BRINE_OK;
}

/* ---- arrays ------------------------------------------------------------- */

/* The array of dtype dt and shape from data (len bytes, adopted in place
 * when adopt is set, else copied), C order, or Fortran order transposed
 * into C order. */
static int np_array(pk_dec *d, const brine_dtype *dt, unsigned ndim, const uint64_t *shape, int fortran,
                    const unsigned char *data, size_t len, int adopt, brine_value **out)
{
    brine_error e;
    uint64_t count;
    size_t nbytes, itemsize = brine_dtype_itemsize(dt);
    brine_value *a;
    brine_error_clear(&e);
    if (np_count(ndim, shape, itemsize, &count, &nbytes))
        return np_fail(d, BRINE_E_CORRUPT, "numpy array shape's byte size overflows");
    if (len != nbytes)
        return np_fail(d, BRINE_E_CORRUPT, "numpy array data of %zu bytes where its shape and dtype need %zu", len,
                       nbytes);
    if (!fortran || ndim < 2 || count < 2) {
        a = adopt ? brine_array_adopt(d->doc, dt, ndim, shape, (void *)data, NULL, &e)
                  : brine_array_new(d->doc, dt, ndim, shape, data, &e);
    } else if ((a = brine_array_new(d->doc, dt, ndim, shape, NULL, &e)) != NULL) {
        /* Fortran order: the first index varies fastest in data. Walk it in
         * that order, keeping the C-order offset of the current element. */
        unsigned char *dst = brine_array_data_mut(a);
        uint64_t idx[BRINE_ARRAY_MAX_DIMS] = {0}, stride[BRINE_ARRAY_MAX_DIMS], off = 0;
        stride[ndim - 1] = itemsize;
        for (unsigned k = ndim - 1; k > 0; k--)
            stride[k - 1] = stride[k] * shape[k];
        for (uint64_t i = 0; i < count; i++) {
            memcpy(dst + off, data + i * itemsize, itemsize);
            for (unsigned k = 0; k < ndim; k++) {
                if (++idx[k] < shape[k]) {
                    off += stride[k];
                    break;
                }
                off -= stride[k] * (shape[k] - 1);
                idx[k] = 0;
            }
        }
    }
    if (!a)
        return pk_api_fail(d, &e);
    *out = a;
    return BRINE_OK;
}

/* The raw data of a state or a _frombuffer: bytes (adopted), a
 * bytearray (the reader's builtins.bytearray model of bytes), or a str of
 * code points below 256 (protocols 0-2 from Python 2: latin-1). */
static int np_data(pk_dec *d, const brine_value *v, const unsigned char **p, size_t *len, int *adopt)
{
    if (np_model_is(v, "builtins.bytearray") && brine_seq_count(brine_model_args(v)) == 1)
        v = brine_seq_get(brine_model_args(v), 0);
    if (brine_type_of(v) == BRINE_BYTES) {
        *p = brine_bytes_get(v, len);
        *adopt = 1;
        return BRINE_OK;
    }
    if (brine_type_of(v) == BRINE_STR) {
        size_t slen, i;
        const unsigned char *s = (const unsigned char *)brine_str_get(v, &slen);
        d->buf.len = 0;
        if (pk_buf_reserve(&d->buf, slen + 1))
            return pk_fail(d, BRINE_E_NOMEM, "out of memory");
        for (i = 0; i < slen; i++) {
            if (s[i] < 0x80)
                d->buf.p[d->buf.len++] = s[i];
            else if ((s[i] == 0xc2 || s[i] == 0xc3) && i + 1 < slen)
                d->buf.p[d->buf.len++] = (unsigned char)(((s[i] & 3) << 6) | (s[i + 1] & 0x3f)), i++;
            else
                return np_fail(d, BRINE_E_CORRUPT, "numpy array data is a str with a character above U+00FF");
        }
        *p = d->buf.p;
        *len = d->buf.len;
        *adopt = 0;
        return BRINE_OK;
    }
    return np_fail(d, BRINE_E_CORRUPT, "numpy array data is a %s, not bytes", brine_type_name(brine_type_of(v)));
}

/* After REDUCE: a _reconstruct(numpy.ndarray, ...) result waits for its
 * BUILD (a subclass, numpy.matrix say, stays a model). */
void pk_np_reduced(pk_dec *d, const pk_slot *s)
{
    size_t len;
    const char *name = brine_type_of(s->v) == BRINE_MODEL ? brine_model_name(s->v, &len) : NULL;
    const brine_value *args;
    if (!name || len < 20 || memcmp(name, "numpy.", 6) != 0 || !np_in(name, len, np_reconstruct))
        return;
    args = brine_model_args(s->v);
    if (brine_seq_count(args) == 3 && np_global_is(brine_seq_get(args, 0), "numpy", "ndarray") && s->node)
        d->nodes[s->node].flags |= PKN_NDARRAY;
}

/* ---- the data's one copy -------------------------------------------------
 * A BINBYTES payload that is the data of a numpy state being built (the
 * stack holds M, MARK, 1, shape, dtype, False: numpy's protocol 2-4 form)
 * is copied once, straight into the array (whose block core allocates
 * with huge-page advice), not into a bytes value first: a bytes value of
 * 8 MB took its 2,048 page faults fresh, as much time as CPython's whole
 * pickle.loads of it. The array stands for the bytes (PKN_RAWDATA) while
 * the TUPLE and BUILD consume it as numpy's pickles do; anything else
 * that meets it (a GET of its memo entry, DUP, a container, the STOP)
 * gets the bytes made from it (pk_np_materialize), so every value is what
 * Python has there. */

int pk_np_rawdata(pk_dec *d, const unsigned char *s, size_t len, int *done)
{
    size_t first = d->marks[d->mark_count - 1];
    const pk_slot *st = &d->stack[first];
    brine_error *saved = d->err, quiet, e;
    const brine_dtype *dt;
    np_sub sub;
    unsigned ndim;
    uint64_t shape[BRINE_ARRAY_MAX_DIMS], count, version;
    size_t nbytes;
    int ok;
    *done = 0;
    if (first == 0 || d->count - first != 4 || !d->stack[first - 1].node ||
        (d->nodes[d->stack[first - 1].node].flags & (PKN_NDARRAY | PKN_LINKED | PKN_ITEMS)) != PKN_NDARRAY ||
        !np_uint(st[0].v, &version) || version != 1 || brine_type_of(st[3].v) != BRINE_BOOL || brine_bool_get(st[3].v))
        return BRINE_OK;
    /* A trial: a shape or dtype that does not fit fails at the BUILD, with
     * its offset, not here. */
    brine_error_clear(&quiet);
    d->err = &quiet;
    ok = np_shape(d, st[1].v, &ndim, shape) == BRINE_OK && np_dtype(d, st[2].v, 1, &dt, &sub) == BRINE_OK &&
         !sub.ndim && !np_count(ndim, shape, brine_dtype_itemsize(dt), &count, &nbytes) && nbytes == len;
    d->err = saved;
    if (!ok)
        return BRINE_OK;
    brine_error_clear(&e);
    brine_value *a = brine_array_new(d->doc, dt, ndim, shape, s, &e);
    if (!a)
        return pk_api_fail(d, &e);
    pk_slot slot = {a, 0};
    if (d->node_count == 0)
        d->node_count = 1;
    if (brine_plugin_grow((void **)&d->nodes, &d->node_cap, d->node_count + 1, sizeof *d->nodes))
        return pk_fail(d, BRINE_E_NOMEM, "out of memory");
    slot.node = d->node_count++;
    d->nodes[slot.node].height = 0;
    d->nodes[slot.node].flags = PKN_RAWDATA;
    d->nodes[slot.node].memo_key = 0;
    *done = 1;
    return pk_push_slot(d, slot);
}

int pk_np_materialize(pk_dec *d, pk_slot *s)
{
    brine_error e;
    unsigned flags = s->node ? d->nodes[s->node].flags : 0;
    brine_error_clear(&e);
    if (flags & PKN_RAWDATA) {
        brine_value *b = brine_bytes_new(d->doc, brine_array_data(s->v), brine_array_nbytes(s->v), &e);
        if (!b)
            return pk_api_fail(d, &e);
        s->v = b;
        s->node = 0;
    } else if (flags & PKN_RAWSTATE) {
        size_t n = brine_seq_count(s->v);
        const brine_value *a = brine_seq_get(s->v, n - 1);
        if (brine_type_of(a) == BRINE_ARRAY) {
            brine_value *b = brine_bytes_new(d->doc, brine_array_data(a), brine_array_nbytes(a), &e);
            if (!b || brine_seq_set(s->v, n - 1, b, &e))
                return pk_api_fail(d, &e);
        }
        d->nodes[s->node].flags &= ~PKN_RAWSTATE;
    }
    return BRINE_OK;
}

int pk_np_link_slow(pk_dec *d, pk_slot *s)
{
    if (d->nodes[s->node].flags & PKN_NDARRAY) {
        d->nodes[s->node].flags |= PKN_LINKED;
        return BRINE_OK;
    }
    return pk_np_materialize(d, s);
}

/* BUILD on a waiting _reconstruct model: the array replaces it. */
/* For the audit, a BUILD that made an array: the audit sees the BUILD on
 * the model (numpy's _reconstruct or joblib's wrapper), which it then
 * knows as the array, and what the array stands for: the model with its
 * state (the dtype's calls reach the value through the array). */
static int np_audit_array(pk_dec *d, const pk_slot *m, const brine_value *st, const brine_value *array)
{
    brine_error e;
    int rc;
    brine_error_clear(&e);
    if ((rc = pk_aud_build(d, m)) != BRINE_OK)
        return rc;
    if (brine_model_set_state(m->v, st, &e))
        return pk_api_fail(d, &e);
    return pk_aud_array(d, m, array);
}

int pk_np_build(pk_dec *d, const pk_slot *target, const pk_slot *state, int *done)
{
    const brine_value *st = state->v, *dtv, *shv, *fv, *data;
    const brine_dtype *dt;
    unsigned ndim;
    uint64_t shape[BRINE_ARRAY_MAX_DIMS];
    int64_t version = 1, fortran;
    np_sub sub;
    const unsigned char *p;
    size_t len, n = brine_seq_count(st), k;
    int adopt, rc;
    pk_slot m = *target, a;
    *done = 0;
    if (target->node &&
        (d->nodes[target->node].flags & (PKN_NDARRAY | PKN_LINKED | PKN_ITEMS)) == (PKN_NDARRAY | PKN_LINKED))
        /* CPython gives an ndarray here too, but the container already
         * holds the model: read as a model, it would be written back as
         * numpy's form and read again as an array (a changed graph), so it
         * is refused, as a form numpy never writes. */
        return np_fail(d, BRINE_E_UNSUPPORTED,
                       "numpy array put in a container before its BUILD (brine reads the order numpy writes)");
    if (!target->node || (d->nodes[target->node].flags & (PKN_NDARRAY | PKN_LINKED | PKN_ITEMS)) != PKN_NDARRAY)
        return BRINE_OK;
    /* Version 1: (1, shape, dtype, is_fortran, data); version 0 has no
     * version number. */
    if (brine_type_of(st) != BRINE_TUPLE || (n != 5 && n != 4) ||
        (n == 5 && (!np_int(brine_seq_get(st, 0), &version) || version != 1)))
        return np_fail(d, BRINE_E_CORRUPT, "numpy array state is not (version, shape, dtype, is_fortran, data)");
    k = n - 4;
    shv = brine_seq_get(st, k);
    dtv = brine_seq_get(st, k + 1);
    fv = brine_seq_get(st, k + 2);
    data = brine_seq_get(st, k + 3);
    if ((rc = np_shape(d, shv, &ndim, shape)) != BRINE_OK)
        return rc;
    if ((rc = np_dtype(d, dtv, 1, &dt, &sub)) == NP_OBJECT)
        return BRINE_OK; /* an object array: a model, its items the state's list */
    if (rc != BRINE_OK)
        return rc;
    if (sub.ndim)
        return np_fail(d, BRINE_E_CORRUPT, "numpy array of a sub-array dtype");
    if (!np_int(fv, &fortran) || (fortran != 0 && fortran != 1))
        return np_fail(d, BRINE_E_CORRUPT, "numpy array is_fortran is not a bool");
    if (state->node && (d->nodes[state->node].flags & PKN_RAWSTATE) && brine_type_of(data) == BRINE_ARRAY && !fortran &&
        brine_dtype_equal(brine_array_dtype(data), dt) && brine_array_ndim(data) == ndim &&
        (!ndim || !memcmp(brine_array_shape(data), shape, ndim * sizeof *shape))) {
        a.v = (brine_value *)data; /* made at the data's BINBYTES, copied once */
    } else {
        if (state->node && (d->nodes[state->node].flags & PKN_RAWSTATE) &&
            brine_type_of(data) == BRINE_ARRAY) { /* the bytes it stands for */
            p = brine_array_data(data);
            len = brine_array_nbytes(data);
            adopt = 1;
        } else if ((rc = np_data(d, data, &p, &len, &adopt)) != BRINE_OK) {
            return rc;
        }
        if ((rc = np_array(d, dt, ndim, shape, (int)fortran, p, len, adopt, &a.v)) != BRINE_OK)
            return rc;
    }
    a.node = 0;
    if (d->aud && (rc = np_audit_array(d, &m, st, a.v)) != BRINE_OK)
        return rc;
    pk_np_replace(d, &m, a);
    *done = 1;
    return BRINE_OK;
}

/* REDUCE of numpy's _frombuffer and scalar: an array value (*done 1),
 * NULL with *done 1 and e set after an error, or NULL with *done 0 for a
 * call that stays a model (another name, an object dtype). */
brine_value *pk_np_call(pk_dec *d, const char *name, size_t len, const pk_slot *args, brine_error *e, int *done)
{
    const brine_value *t = args->v;
    size_t n = brine_seq_count(t), data_i;
    const brine_dtype *dt;
    np_sub sub;
    const unsigned char *p;
    size_t plen;
    int adopt, rc, fortran = 0;
    unsigned ndim = 0;
    uint64_t shape[BRINE_ARRAY_MAX_DIMS];
    brine_value *a = NULL;
    *done = 0;
    if (len < 12 || memcmp(name, "numpy.", 6) != 0)
        return NULL;
    if (np_in(name, len, np_frombuffer)) {
        /* _frombuffer(buffer, dtype, shape, order) */
        const char *o = NULL;
        size_t olen;
        data_i = 0;
        if (n != 4 || !(o = brine_str_get(brine_seq_get(t, 3), &olen)) || olen != 1 || (o[0] != 'C' && o[0] != 'F'))
            rc = np_fail(d, BRINE_E_CORRUPT, "numpy _frombuffer arguments are not (buffer, dtype, shape, 'C' or 'F')");
        else if ((rc = np_shape(d, brine_seq_get(t, 2), &ndim, shape)) == BRINE_OK)
            rc = np_dtype(d, brine_seq_get(t, 1), 1, &dt, &sub);
        fortran = rc == BRINE_OK && o[0] == 'F';
    } else if (np_in(name, len, np_scalar)) {
        /* scalar(dtype, bytes): a 0-d array */
        data_i = 1;
        if (n != 2)
            return NULL; /* not numpy's form: the call stays a model */
        rc = np_dtype(d, brine_seq_get(t, 0), 1, &dt, &sub);
    } else {
        return NULL;
    }
    if (rc == NP_OBJECT)
        return NULL;
    *done = 1;
    if (rc == BRINE_OK && sub.ndim)
        rc = np_fail(d, BRINE_E_CORRUPT, "numpy array of a sub-array dtype");
    if (rc == BRINE_OK && (rc = np_data(d, brine_seq_get(t, data_i), &p, &plen, &adopt)) == BRINE_OK &&
        (rc = np_array(d, dt, ndim, shape, fortran, p, plen, adopt, &a)) == BRINE_OK)
        rc = pk_aud_uses(d, a, t);
    if (rc != BRINE_OK) {
        brine_error_set(e, rc, "numpy");
        return NULL;
    }
    return a;
}

/* ---- joblib ----------------------------------------------------------------
 * joblib.dump writes each array as a joblib.numpy_pickle.NumpyArrayWrapper
 * (NEWOBJ with no args, then BUILD with the dict subclass, shape, order,
 * dtype, allow_mmap and, from joblib 1.2, numpy_array_alignment_bytes)
 * and the array's bytes right after the BUILD, outside the pickle: a
 * padding length byte and that many bytes first when the alignment is
 * set, then the items in the wrapper's order. joblib's BUILD pops the
 * wrapper and pushes the array; the memo keeps the wrapper (a model with
 * no state here: joblib never fetches it again). docs/pickle.md, "joblib". */

static const char jl_wrapper[] = "joblib.numpy_pickle.NumpyArrayWrapper";

/* 1 if target is a NumpyArrayWrapper (or joblib < 0.10's wrappers, *old
 * set) made by NEWOBJ with no args and waiting for its state. */
static int jl_is_wrapper(pk_dec *d, const pk_slot *target, int *old)
{
    size_t len;
    const char *name = brine_type_of(target->v) == BRINE_MODEL ? brine_model_name(target->v, &len) : NULL;
    *old = 0;
    if (!name || len < 20 || memcmp(name, "joblib.numpy_pickle", 19) != 0 || !target->node ||
        (d->nodes[target->node].flags & PKN_ITEMS) || brine_seq_count(brine_model_args(target->v)) != 0)
        return 0;
    if (len == sizeof jl_wrapper - 1 && memcmp(name, jl_wrapper, len) == 0)
        return 1;
    *old = np_model_is(target->v, "joblib.numpy_pickle.NDArrayWrapper") ||
           np_model_is(target->v, "joblib.numpy_pickle.ZNDArrayWrapper") ||
           np_model_is(target->v, "joblib.numpy_pickle_compat.NDArrayWrapper") ||
           np_model_is(target->v, "joblib.numpy_pickle_compat.ZNDArrayWrapper");
    return *old;
}

int pk_jl_build(pk_dec *d, const pk_slot *target, const pk_slot *state, int *done)
{
    const brine_value *st = state->v, *sub, *shv, *ordv, *dtv, *alv;
    const brine_dtype *dt;
    const char *ord;
    size_t olen, nbytes, left;
    uint64_t shape[BRINE_ARRAY_MAX_DIMS], count, align = 0;
    unsigned ndim;
    np_sub subdt;
    int old, rc;
    pk_slot m = *target, a;
    *done = 0;
    if (!jl_is_wrapper(d, target, &old))
        return BRINE_OK;
    if (d->joblib == 2)
        return np_fail(d, BRINE_E_UNSUPPORTED,
                       "%s inside the pickle of an object array (joblib reads that with pickle.load, which would not "
                       "read the array bytes either)",
                       old ? "an old joblib array wrapper" : jl_wrapper);
    if (!d->joblib)
        return np_fail(d, BRINE_E_UNSUPPORTED,
                       "%s is joblib's: array bytes follow it outside the pickle; read the file as joblib "
                       "(-f joblib, or a .joblib name)",
                       old ? "an old joblib array wrapper" : jl_wrapper);
    if (old)
        return np_fail(d, BRINE_E_UNSUPPORTED,
                       "joblib < 0.10 array wrapper (its array is in a companion file or a zlib block): "
                       "load and dump it again with joblib >= 0.10");
    if (brine_type_of(st) != BRINE_DICT || !(sub = brine_dict_get_str(st, "subclass")) ||
        !(shv = brine_dict_get_str(st, "shape")) || !(ordv = brine_dict_get_str(st, "order")) ||
        !(dtv = brine_dict_get_str(st, "dtype")))
        return np_fail(d, BRINE_E_CORRUPT, "joblib array wrapper state is not a dict of subclass, shape, order, dtype");
    if (!np_global_is(sub, "numpy", "ndarray") && !np_global_is(sub, "numpy", "memmap"))
        return np_fail(d, BRINE_E_UNSUPPORTED, "joblib array of a subclass other than numpy.ndarray or numpy.memmap");
    if ((rc = np_shape(d, shv, &ndim, shape)) != BRINE_OK)
        return rc;
    if (!(ord = brine_str_get(ordv, &olen)) || olen != 1 || (ord[0] != 'C' && ord[0] != 'F'))
        return np_fail(d, BRINE_E_CORRUPT, "joblib array order is not 'C' or 'F'");
    /* joblib reads the bytes from the file itself, past the frame that
     * holds the BUILD: joblib ends every frame there. */
    if (d->frame_end && d->p != d->frame_end)
        return np_fail(d, BRINE_E_CORRUPT, "joblib array bytes inside a pickle frame (joblib ends the frame first)");
    if ((rc = np_dtype(d, dtv, 1, &dt, &subdt)) == NP_OBJECT) {
        /* An object array: joblib pickles it (numpy's own form, a model
         * here) as a second pickle after the wrapper, read by
         * pickle.load. */
        if (d->aud) {
            brine_error e;
            brine_error_clear(&e);
            if ((rc = pk_aud_build(d, &m)) != BRINE_OK)
                return rc;
            if (brine_model_set_state(m.v, st, &e))
                return pk_api_fail(d, &e);
        }
        d->frame_end = NULL;
        if ((rc = pk_run_nested(d, &a)) != BRINE_OK)
            return rc;
        if ((rc = pk_aud_uses(d, a.v, m.v)) != BRINE_OK)
            return rc;
        d->stack[d->count - 2] = a;
        *done = 1;
        return BRINE_OK;
    }
    if (rc != BRINE_OK)
        return rc;
    if (subdt.ndim)
        return np_fail(d, BRINE_E_CORRUPT, "numpy array of a sub-array dtype");
    /* joblib 1.2 writes the alignment (16, or None for an unseekable
     * file); earlier versions have no such key and no padding. */
    if ((alv = brine_dict_get_str(st, "numpy_array_alignment_bytes")) != NULL && brine_type_of(alv) != BRINE_NULL &&
        (!np_uint(alv, &align) || align == 0 || align > 255))
        return np_fail(d, BRINE_E_CORRUPT, "joblib numpy_array_alignment_bytes is not an int from 1 to 255");
    d->frame_end = NULL;
    if (np_count(ndim, shape, brine_dtype_itemsize(dt), &count, &nbytes))
        return np_fail(d, BRINE_E_CORRUPT, "numpy array shape's byte size overflows");
    left = (size_t)(d->end - d->p);
    if (align) {
        if (left < 1 || left - 1 < d->p[0])
            return np_fail(d, BRINE_E_TRUNCATED, "joblib array padding at offset %llu runs past the end of the input",
                           (unsigned long long)(d->base + (uint64_t)(d->p - d->start)));
        left -= 1 + (size_t)d->p[0];
        d->p += 1 + (size_t)d->p[0];
    }
    if (nbytes > left)
        return np_fail(d, BRINE_E_TRUNCATED,
                       "joblib array data of %zu bytes at offset %llu, but the input has %zu left", nbytes,
                       (unsigned long long)(d->base + (uint64_t)(d->p - d->start)), left);
    if ((rc = np_array(d, dt, ndim, shape, ord[0] == 'F', d->p, nbytes, 0, &a.v)) != BRINE_OK)
        return rc;
    d->p += nbytes;
    a.node = 0;
    if (d->aud && (rc = np_audit_array(d, &m, st, a.v)) != BRINE_OK) /* as for numpy's form, on the wrapper */
        return rc;
    d->stack[d->count - 2] = a;
    *done = 1;
    return BRINE_OK;
}
