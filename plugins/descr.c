/* descr.c: the part of numpy's record descr that the msgpack and json
 * plugins share (descr.h): the entries in offset order with padding when
 * writing, and the record built from its entries when reading.
 */
#include <stdio.h>
#include <string.h>

#include "descr.h"

pd_entry *pd_entries(const brine_dtype *dt, size_t *count)
{
    size_t n = brine_dtype_field_count(dt);
    /* At most a padding entry before each field and one after the last. */
    pd_entry *e = brine_malloc((2 * n + 1) * sizeof *e);
    long *order = brine_malloc((n ? n : 1) * sizeof *order);
    uint64_t *offs = brine_malloc((n ? n : 1) * sizeof *offs);
    size_t k = 0;
    if (!e || !order || !offs) {
        brine_free(e);
        brine_free(order);
        brine_free(offs);
        return NULL;
    }
    /* Insertion sort by offset (records are small: at most 1024 fields),
     * stable, as brine_dtype_descr orders them. */
    for (size_t i = 0; i < n; i++) {
        uint64_t off;
        brine_dtype_field(dt, i, NULL, NULL, NULL, &off, NULL, NULL);
        size_t j = i;
        while (j > 0 && offs[j - 1] > off) {
            offs[j] = offs[j - 1];
            order[j] = order[j - 1];
            j--;
        }
        offs[j] = off;
        order[j] = (long)i;
    }
    uint64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        const brine_dtype *f;
        unsigned ndim;
        const uint64_t *shape;
        brine_dtype_field(dt, (size_t)order[i], NULL, NULL, &f, NULL, &ndim, &shape);
        uint64_t size = brine_dtype_itemsize(f);
        for (unsigned d = 0; d < ndim; d++)
            size *= shape[d]; /* the record builder checked that it fits the record */
        if (offs[i] > at)
            e[k++] = (pd_entry){-1, offs[i] - at};
        e[k++] = (pd_entry){order[i], 0};
        if (offs[i] + size > at)
            at = offs[i] + size;
    }
    if (at < brine_dtype_itemsize(dt))
        e[k++] = (pd_entry){-1, brine_dtype_itemsize(dt) - at};
    brine_free(order);
    brine_free(offs);
    *count = k;
    return e;
}

int pd_add(pd_record *r, const char *name, size_t len, const brine_dtype *dt, unsigned ndim, const uint64_t *shape,
           brine_error *err)
{
    uint64_t size = brine_dtype_itemsize(dt);
    for (unsigned d = 0; d < ndim; d++) {
        if (shape[d] && size > BRINE_PD_MAX_SIZE / shape[d])
            return brine_error_set(err, BRINE_E_RANGE, "a record field's sub-array is too large");
        size *= shape[d];
    }
    if (size > BRINE_PD_MAX_SIZE - r->size)
        return brine_error_set(err, BRINE_E_RANGE, "a record of more than 2**40 bytes");
    int padding = len == 0 && ndim == 0 && brine_dtype_kind_of(dt) == BRINE_DT_VOID;
    if (!padding) {
        if (r->count == BRINE_PD_MAX_FIELDS)
            return brine_error_set(err, BRINE_E_RANGE, "a record of more than %d fields", BRINE_PD_MAX_FIELDS);
        if (r->count == r->cap) {
            size_t cap = r->cap ? 2 * r->cap : 8;
            pd_field *f = brine_realloc(r->fields, cap * sizeof *f);
            if (!f)
                return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
            r->fields = f;
            r->cap = cap;
        }
        if (ndim > r->shapes_cap - r->nshapes) {
            size_t cap = r->shapes_cap ? 2 * r->shapes_cap : 16;
            while (cap - r->nshapes < ndim)
                cap *= 2;
            uint64_t *s = brine_realloc(r->shapes, cap * sizeof *s);
            if (!s)
                return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
            r->shapes = s;
            r->shapes_cap = cap;
        }
        pd_field *f = &r->fields[r->count++];
        f->name = name;
        f->len = len;
        f->dtype = dt;
        f->offset = r->size;
        f->ndim = ndim;
        f->shape_at = r->nshapes;
        if (ndim)
            memcpy(r->shapes + r->nshapes, shape, ndim * sizeof *shape);
        r->nshapes += ndim;
    }
    r->size += size;
    return BRINE_OK;
}

brine_dtype *pd_finish(pd_record *r, brine_doc *doc, brine_error *err)
{
    brine_dtype *rec = brine_dtype_record_new(doc, (size_t)r->size, err);
    if (!rec)
        return NULL;
    for (size_t i = 0; i < r->count; i++) {
        const pd_field *f = &r->fields[i];
        if (brine_dtype_record_add(rec, f->name, f->len, f->dtype, f->offset, f->ndim,
                                   f->ndim ? r->shapes + f->shape_at : NULL, err))
            return NULL;
    }
    return rec;
}

void pd_free(pd_record *r)
{
    brine_free(r->fields);
    brine_free(r->shapes);
    memset(r, 0, sizeof *r);
}

int pd_shape_size(unsigned ndim, const uint64_t *shape, size_t itemsize, uint64_t *count, size_t *nbytes)
{
    uint64_t n = 1;
    int zero = 0;
    for (unsigned i = 0; i < ndim; i++) {
        if (shape[i] == 0)
            zero = 1;
        else if (n > UINT64_MAX / shape[i])
            return -1;
        else
            n *= shape[i];
    }
    if (zero)
        n = 0;
    if (itemsize && n > (uint64_t)(SIZE_MAX / 2) / itemsize)
        return -1;
    *count = n;
    *nbytes = (size_t)(n * itemsize);
    return 0;
}
