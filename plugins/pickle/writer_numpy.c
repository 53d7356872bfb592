/* writer_numpy.c: array values written as numpy writes them, so that
 * CPython's pickle.load gives an equal numpy array (docs/pickle.md, "numpy
 * arrays"): protocols 2-4 as numpy.core.multiarray._reconstruct(ndarray,
 * (0,), b'b') with the BUILD state (1, shape, dtype, False, data);
 * protocol 5 as numpy's in-band numpy.core.numeric._frombuffer(bytearray,
 * dtype, shape, 'C'). A dtype is numpy.dtype(str, False, True) with its
 * BUILD state (numpy's version 3, or 4 with a datetime unit). The data
 * bytes go out once, outside any frame when large (pkw_payload). Arrays
 * met inside a record (writer_save.c) are kept until it is written.
 */
#include "writer.h"

/* Python values as the writer's scalars. */
static int np_int(pk_enc *e, int64_t v)
{
    brine_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = BRINE_EV_INT;
    ev.v.i = v;
    return pkw_scalar(e, &ev, NULL);
}

static int np_blob(pk_enc *e, brine_event_kind kind, const void *p, size_t len)
{
    brine_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.v.s.len = len;
    return pkw_scalar(e, &ev, p);
}

static int np_str(pk_enc *e, const char *s)
{
    return np_blob(e, BRINE_EV_STR, s, strlen(s));
}

static int np_tuple_end(pk_enc *e, size_t n, int marked)
{
    if (marked)
        return pkw_op(e, PKOP_TUPLE);
    return pkw_op(e, n == 0 ? PKOP_EMPTY_TUPLE : PKOP_TUPLE1 + (unsigned)n - 1);
}

static int np_shape(pk_enc *e, unsigned ndim, const uint64_t *shape)
{
    int rc;
    if (ndim > 3 && (rc = pkw_op(e, PKOP_MARK)))
        return rc;
    for (unsigned i = 0; i < ndim; i++)
        if ((rc = np_int(e, (int64_t)shape[i])))
            return rc;
    return np_tuple_end(e, ndim, ndim > 3);
}

/* numpy's alignment and flags of a dtype, as its own states carry them
 * (the flags: 8 NEEDS_INIT for 'U', 16 NEEDS_PYAPI for records). */
static int64_t np_align(const brine_dtype *dt)
{
    switch (brine_dtype_kind_of(dt)) {
    case BRINE_DT_COMPLEX: return (int64_t)brine_dtype_itemsize(dt) / 2;
    case BRINE_DT_STR: return 4;
    case BRINE_DT_BYTES:
    case BRINE_DT_VOID:
    case BRINE_DT_RECORD: return 1;
    default: return (int64_t)brine_dtype_itemsize(dt);
    }
}

static int64_t np_flags(const brine_dtype *dt)
{
    int64_t f = 0;
    if (brine_dtype_kind_of(dt) == BRINE_DT_STR)
        return 8;
    if (brine_dtype_kind_of(dt) != BRINE_DT_RECORD)
        return 0;
    for (size_t i = 0, n = brine_dtype_field_count(dt); i < n; i++) {
        const brine_dtype *f_dt;
        brine_dtype_field(dt, i, NULL, NULL, &f_dt, NULL, NULL, NULL);
        f |= np_flags(f_dt);
    }
    return f | 16;
}

/* numpy.dtype(str, False, True) and, after its BUILD, the dtype on the
 * stack. A sub-array field's dtype (ndim > 0) is the 'V' dtype numpy
 * makes of (base, shape). Nesting is bounded by BRINE_DTYPE_MAX_NESTING. */
static int np_dtype(pk_enc *e, const brine_dtype *dt, unsigned ndim, const uint64_t *shape)
{
    char ts[64], name[48];
    brine_dtype_kind kind = brine_dtype_kind_of(dt);
    size_t itemsize = brine_dtype_itemsize(dt), nbytes = itemsize;
    int rc;
    for (unsigned i = 0; i < ndim; i++)
        nbytes *= (size_t)shape[i]; /* a field inside its record: no overflow */
    brine_dtype_str(dt, ts, sizeof ts);
    if (ndim)
        snprintf(name, sizeof name, "V%zu", nbytes);
    else if (kind == BRINE_DT_DATETIME || kind == BRINE_DT_TIMEDELTA)
        snprintf(name, sizeof name, "%c8", ts[1]);
    else
        snprintf(name, sizeof name, "%.*s", (int)strcspn(ts + 1, "["), ts + 1);
    if ((rc = pkw_global(e, "numpy", 5, "dtype", 5)) || (rc = np_str(e, name)) || (rc = pkw_op(e, PKOP_NEWFALSE)) ||
        (rc = pkw_op(e, PKOP_NEWTRUE)) || (rc = pkw_op(e, PKOP_TUPLE3)) || (rc = pkw_op(e, PKOP_REDUCE)))
        return rc;
    /* The state: (version, order, subarray, names, fields, elsize,
     * alignment, flags[, metadata]). */
    int dated = !ndim && (kind == BRINE_DT_DATETIME || kind == BRINE_DT_TIMEDELTA);
    char order[2] = {ndim ? '|' : ts[0], 0};
    if ((rc = pkw_op(e, PKOP_MARK)) || (rc = np_int(e, dated ? 4 : 3)) || (rc = np_str(e, order)))
        return rc;
    if (ndim) {
        if ((rc = np_dtype(e, dt, 0, NULL)) || (rc = np_shape(e, ndim, shape)) || (rc = pkw_op(e, PKOP_TUPLE2)))
            return rc;
    } else if ((rc = pkw_op(e, PKOP_NONE))) {
        return rc;
    }
    if (!ndim && kind == BRINE_DT_RECORD) {
        size_t n = brine_dtype_field_count(dt);
        if ((rc = pkw_op(e, PKOP_MARK)))
            return rc;
        for (size_t i = 0; i < n; i++) {
            const char *fname;
            size_t flen;
            brine_dtype_field(dt, i, &fname, &flen, NULL, NULL, NULL, NULL);
            if ((rc = np_blob(e, BRINE_EV_STR, fname, flen)))
                return rc;
        }
        if ((rc = pkw_op(e, PKOP_TUPLE)) || (rc = pkw_op(e, PKOP_EMPTY_DICT)) || (n && (rc = pkw_op(e, PKOP_MARK))))
            return rc;
        for (size_t i = 0; i < n; i++) {
            const char *fname;
            size_t flen;
            const brine_dtype *fdt;
            uint64_t off;
            unsigned fnd;
            const uint64_t *fshape;
            brine_dtype_field(dt, i, &fname, &flen, &fdt, &off, &fnd, &fshape);
            if ((rc = np_blob(e, BRINE_EV_STR, fname, flen)) || (rc = np_dtype(e, fdt, fnd, fshape)) ||
                (rc = np_int(e, (int64_t)off)) || (rc = pkw_op(e, PKOP_TUPLE2)))
                return rc;
        }
        if (n && (rc = pkw_op(e, PKOP_SETITEMS)))
            return rc;
    } else if ((rc = pkw_op(e, PKOP_NONE)) || (rc = pkw_op(e, PKOP_NONE))) {
        return rc;
    }
    int flexible =
        ndim || kind == BRINE_DT_BYTES || kind == BRINE_DT_STR || kind == BRINE_DT_VOID || kind == BRINE_DT_RECORD;
    if ((rc = np_int(e, flexible ? (int64_t)nbytes : -1)) || (rc = np_int(e, flexible ? np_align(dt) : -1)) ||
        (rc = np_int(e, np_flags(dt))))
        return rc;
    if (dated) {
        /* ({}, (unit, count, 1, 1)) */
        uint64_t count;
        const char *u = strchr(ts, '[') + 1;
        size_t ulen = strcspn(u, "]");
        brine_dtype_unit_of(dt, &count);
        while (ulen && u[0] >= '0' && u[0] <= '9')
            u++, ulen--;
        if ((rc = pkw_op(e, PKOP_EMPTY_DICT)) || (rc = pkw_op(e, PKOP_MARK)) ||
            (rc = np_blob(e, BRINE_EV_BYTES, u, ulen)) || (rc = np_int(e, (int64_t)count)) || (rc = np_int(e, 1)) ||
            (rc = np_int(e, 1)) || (rc = pkw_op(e, PKOP_TUPLE)) || (rc = pkw_op(e, PKOP_TUPLE2)))
            return rc;
    }
    if ((rc = pkw_op(e, PKOP_TUPLE)))
        return rc;
    return pkw_op(e, PKOP_BUILD);
}

int pkw_array(pk_enc *e, const brine_array_header *h)
{
    int rc;
    if (e->joblib && (h->ndim || e->zerod_array))
        return pkw_array_joblib(e, h);
    if (h->ndim == 0 && !e->zerod_array) {
        /* numpy.core.multiarray.scalar(dtype, bytes): the reader makes 0-d
         * arrays of numpy scalars, which pickles hold far more often than
         * 0-d ndarrays (sklearn's n_classes_), so they go back as scalars. */
        if ((rc = pkw_global(e, "numpy.core.multiarray", 21, "scalar", 6)) || (rc = np_dtype(e, h->dtype, 0, NULL)) ||
            (rc = np_blob(e, BRINE_EV_BYTES, h->data, h->data_len)) || (rc = pkw_op(e, PKOP_TUPLE2)))
            return rc;
        return pkw_op(e, PKOP_REDUCE);
    }
    if (e->proto >= 5) {
        unsigned char hdr[9];
        hdr[0] = PKOP_BYTEARRAY8;
        pkw_le(hdr + 1, h->data_len, 8);
        if ((rc = pkw_global(e, "numpy.core.numeric", 18, "_frombuffer", 11)) || (rc = pkw_op(e, PKOP_MARK)) ||
            (rc = pkw_payload(e, hdr, 9, h->data, h->data_len)) || (rc = np_dtype(e, h->dtype, 0, NULL)) ||
            (rc = np_shape(e, h->ndim, h->shape)) || (rc = np_str(e, "C")) || (rc = pkw_op(e, PKOP_TUPLE)))
            return rc;
        return pkw_op(e, PKOP_REDUCE);
    }
    if ((rc = pkw_global(e, "numpy.core.multiarray", 21, "_reconstruct", 12)) ||
        (rc = pkw_global(e, "numpy", 5, "ndarray", 7)) || (rc = np_int(e, 0)) || (rc = pkw_op(e, PKOP_TUPLE1)) ||
        (rc = np_blob(e, BRINE_EV_BYTES, "b", 1)) || (rc = pkw_op(e, PKOP_TUPLE3)) || (rc = pkw_op(e, PKOP_REDUCE)))
        return rc;
    if ((rc = pkw_op(e, PKOP_MARK)) || (rc = np_int(e, 1)) || (rc = np_shape(e, h->ndim, h->shape)) ||
        (rc = np_dtype(e, h->dtype, 0, NULL)) || (rc = pkw_op(e, PKOP_NEWFALSE)) ||
        (rc = np_blob(e, BRINE_EV_BYTES, h->data_len ? h->data : "", h->data_len)) || (rc = pkw_op(e, PKOP_TUPLE)))
        return rc;
    return pkw_op(e, PKOP_BUILD);
}

int pkw_array_value(pk_enc *e, const brine_value *a)
{
    brine_array_header h;
    memset(&h, 0, sizeof h);
    h.dtype = brine_array_dtype(a);
    h.ndim = brine_array_ndim(a);
    h.shape = brine_array_shape(a);
    h.count = brine_array_count(a);
    h.data = brine_array_data(a);
    h.data_len = brine_array_nbytes(a);
    return pkw_array(e, &h);
}

int pkw_array_keep(pk_enc *e, const brine_array_header *h, size_t *idx)
{
    brine_error err;
    brine_error_clear(&err);
    if (!e->adoc && !(e->adoc = brine_doc_new()))
        return pkw_nomem(e);
    const brine_dtype *dt = brine_dtype_copy(e->adoc, h->dtype, &err);
    brine_value *v = dt ? brine_array_new(e->adoc, dt, h->ndim, h->shape, h->data, &err) : NULL;
    if (!v || brine_plugin_grow((void **)&e->arrays, &e->arrays_cap, e->arrays_count + 1, sizeof *e->arrays))
        return err.code && err.code != BRINE_E_NOMEM ? pkw_fail(e, err.code, "%s", err.message) : pkw_nomem(e);
    *idx = e->arrays_count;
    e->arrays[e->arrays_count++] = v;
    return BRINE_OK;
}

int pkw_dtype(pk_enc *e, const brine_dtype *dt)
{
    return np_dtype(e, dt, 0, NULL);
}

int pkw_shape(pk_enc *e, unsigned ndim, const uint64_t *shape)
{
    return np_shape(e, ndim, shape);
}
