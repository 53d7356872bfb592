/* array.c: array values (BRINE_ARRAY): creation (copying or adopting the
 * data), getters, typed element access in the machine's byte order, the
 * native-order copy, equality and copying of array nodes, the checks of an
 * ARRAY event's header, and the tolist() fallback that sends an array as
 * nested lists to a sink that does not take arrays. Element types are in
 * dtype.c, numpy's repr in array_repr.c.
 *
 * Sizes are checked before any allocation: the element count is the
 * product of the shape, checked for overflow step by step, and the byte
 * size is that times the itemsize, which must stay below SIZE_MAX minus
 * the arena's slack, so a hostile shape costs an error, never memory. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "dtype.h"

void brinep_array_advise(void *data, size_t nbytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    /* Fresh memory costs a page fault per 4 KiB, and for a large array
     * those faults are most of a decode (8 x 8 MB of float64: decode 6x
     * memcpy's time with 4 KiB pages). Asking for transparent huge pages
     * where the block spans them cuts the faults 512-fold; it is advice
     * only (ignored where THP is off), on whole 2 MiB pages inside the
     * block. */
    const uintptr_t huge = (uintptr_t)2 << 20;
    if (nbytes < 2 * huge)
        return;
    uintptr_t start = ((uintptr_t)data + huge - 1) & ~(huge - 1);
    uintptr_t end = ((uintptr_t)data + nbytes) & ~(huge - 1);
    if (end > start)
        madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
    (void)data;
    (void)nbytes;
#endif
}

unsigned char *brinep_array_data_alloc(brine_doc *doc, size_t nbytes)
{
    unsigned char *p = brinep_alloc(doc, nbytes ? nbytes : 16);
    /* (Placing large blocks at a 2 MiB boundary, 2 MiB of address space
     * more each, was tried: 8 x 8 MB decoded no faster.) */
    if (p)
        brinep_array_advise(p, nbytes);
    return p;
}

int brinep_shape_count(unsigned ndim, const uint64_t *shape, size_t itemsize, uint64_t *count, size_t *nbytes)
{
    uint64_t n = 1;
    int zero = 0;
    for (unsigned d = 0; d < ndim; d++) {
        if (shape[d] == 0)
            zero = 1;
        else if (n > UINT64_MAX / shape[d])
            return BRINE_E_RANGE;
        else
            n *= shape[d];
    }
    if (zero)
        n = 0;
    /* Bytes: at most half the address space, so later sums cannot wrap. */
    const uint64_t limit = (uint64_t)(SIZE_MAX / 2);
    if (itemsize && n > limit / itemsize)
        return BRINE_E_RANGE;
    *count = n;
    *nbytes = (size_t)(n * itemsize);
    return BRINE_OK;
}

static const brinep_array *array_of(const brine_value *a)
{
    return a && a->type == BRINE_ARRAY ? a->as.array : NULL;
}

brinep_array *brinep_array_alloc(brine_doc *doc, const brine_dtype *dt, unsigned ndim, const uint64_t *shape,
                                 brine_error *err)
{
    if (ndim > BRINE_ARRAY_MAX_DIMS) {
        brine_error_set(err, BRINE_E_RANGE, "an array of %u dimensions (at most %d)", ndim, BRINE_ARRAY_MAX_DIMS);
        return NULL;
    }
    uint64_t count;
    size_t nbytes;
    if (brinep_shape_count(ndim, shape, dt->itemsize, &count, &nbytes)) {
        brine_error_set(err, BRINE_E_RANGE, "an array shape whose size overflows (%u dimensions of %zu-byte items)",
                        ndim, dt->itemsize);
        return NULL;
    }
    brinep_array *a = brinep_alloc(doc, sizeof *a);
    uint64_t *dims = ndim ? brinep_alloc(doc, ndim * sizeof *dims) : NULL;
    if (!a || (ndim && !dims)) {
        brinep_nomem(err);
        return NULL;
    }
    if (ndim)
        memcpy(dims, shape, ndim * sizeof *dims);
    a->doc = doc;
    a->links = 0;
    a->dtype = dt;
    a->ndim = ndim;
    a->shape = dims;
    a->count = count;
    a->nbytes = nbytes;
    a->data = NULL;
    ((brine_dtype *)dt)->sealed = 1;
    doc->kinds |= BRINE_KIND_ARRAY;
    return a;
}

static brine_value *array_slot(brine_doc *doc, brinep_array *a, brine_error *err)
{
    brine_value *v = brinep_alloc(doc, sizeof *v);
    if (!v) {
        brinep_nomem(err);
        return NULL;
    }
    *v = brinep_slot(BRINE_ARRAY, 0, 0);
    v->as.array = a;
    return v;
}

static int check_args(brine_doc *doc, const brine_dtype *dt, unsigned ndim, const uint64_t *shape, brine_error *err)
{
    if (!doc || !dt || (ndim && !shape))
        return brine_error_set(err, BRINE_E_INVALID, "an array needs a document, a dtype and a shape");
    if (dt->doc != doc)
        return brine_error_set(err, BRINE_E_INVALID, "the dtype belongs to another document");
    return BRINE_OK;
}

brine_value *brine_array_new(brine_doc *doc, const brine_dtype *dt, unsigned ndim, const uint64_t *shape,
                             const void *data, brine_error *err)
{
    brinep_enter(err);
    if (check_args(doc, dt, ndim, shape, err))
        return NULL;
    brinep_array *a = brinep_array_alloc(doc, dt, ndim, shape, err);
    if (!a)
        return NULL;
    if (!(a->data = brinep_array_data_alloc(doc, a->nbytes))) {
        brinep_nomem(err);
        return NULL;
    }
    if (data)
        memcpy(a->data, data, a->nbytes);
    else
        memset(a->data, 0, a->nbytes);
    return array_slot(doc, a, err);
}

brine_value *brine_array_adopt(brine_doc *doc, const brine_dtype *dt, unsigned ndim, const uint64_t *shape, void *data,
                               void (*free_fn)(void *), brine_error *err)
{
    brinep_enter(err);
    if (check_args(doc, dt, ndim, shape, err))
        return NULL;
    if (!data) {
        brine_error_set(err, BRINE_E_INVALID, "brine_array_adopt needs data");
        return NULL;
    }
    brinep_array *a = brinep_array_alloc(doc, dt, ndim, shape, err);
    if (!a)
        return NULL;
    brine_value *v = array_slot(doc, a, err);
    if (!v)
        return NULL;
    if ((uintptr_t)data % 16) {
        if (!(a->data = brinep_array_data_alloc(doc, a->nbytes))) {
            brinep_nomem(err);
            return NULL;
        }
        memcpy(a->data, data, a->nbytes);
        if (free_fn)
            free_fn(data);
        return v;
    }
    if (free_fn) {
        brinep_finalizer *f = brinep_alloc(doc, sizeof *f);
        if (!f) {
            brinep_nomem(err);
            return NULL;
        }
        f->fn = free_fn;
        f->arg = data;
        f->next = doc->finalizers;
        doc->finalizers = f;
    }
    a->data = data;
    return v;
}

const brine_dtype *brine_array_dtype(const brine_value *a)
{
    const brinep_array *x = array_of(a);
    return x ? x->dtype : NULL;
}

unsigned brine_array_ndim(const brine_value *a)
{
    const brinep_array *x = array_of(a);
    return x ? x->ndim : 0;
}

const uint64_t *brine_array_shape(const brine_value *a)
{
    const brinep_array *x = array_of(a);
    return x ? x->shape : NULL;
}

uint64_t brine_array_count(const brine_value *a)
{
    const brinep_array *x = array_of(a);
    return x ? x->count : 0;
}

size_t brine_array_nbytes(const brine_value *a)
{
    const brinep_array *x = array_of(a);
    return x ? x->nbytes : 0;
}

const void *brine_array_data(const brine_value *a)
{
    const brinep_array *x = array_of(a);
    return x ? x->data : NULL;
}

void *brine_array_data_mut(brine_value *a)
{
    const brinep_array *x = array_of(a);
    return x ? x->data : NULL;
}

int brine_array_index(const brine_value *a, unsigned ndim, const uint64_t *idx, uint64_t *flat, brine_error *err)
{
    brinep_enter(err);
    const brinep_array *x = array_of(a);
    if (!x || !flat || (ndim && !idx))
        return brine_error_set(err, x ? BRINE_E_INVALID : BRINE_E_TYPE, "brine_array_index needs an array");
    if (ndim != x->ndim)
        return brine_error_set(err, BRINE_E_INVALID, "a %u-d index for a %u-d array", ndim, x->ndim);
    uint64_t f = 0;
    for (unsigned d = 0; d < ndim; d++) {
        if (idx[d] >= x->shape[d])
            return brine_error_set(err, BRINE_E_RANGE, "index %llu is out of bounds for axis %u with size %llu",
                                   (unsigned long long)idx[d], d, (unsigned long long)x->shape[d]);
        f = f * x->shape[d] + idx[d];
    }
    *flat = f;
    return BRINE_OK;
}

/* ---- reading one element ---- */

/* An element as a number: its class and value. */
enum { NUM_BOOL, NUM_INT, NUM_UINT, NUM_FLOAT, NUM_COMPLEX, NUM_NONE };

typedef struct num {
    int cls;
    int64_t i;
    uint64_t u;
    double re, im;
} num;

static double half_to_double(uint16_t h)
{
    int exp = h >> 10 & 0x1f;
    unsigned mant = h & 0x3ff;
    double v;
    if (exp == 0)
        v = (double)mant / 1024.0 / 16384.0; /* subnormal: mant x 2^-24 */
    else if (exp == 31)
        v = mant ? (double)NAN : (double)INFINITY;
    else {
        v = 1.0 + (double)mant / 1024.0;
        for (int e = exp - 15; e > 0; e--)
            v *= 2;
        for (int e = exp - 15; e < 0; e++)
            v /= 2;
    }
    return h & 0x8000 ? -v : v;
}

/* Reads the number at p (one element of dt, a plain kind). */
static void read_num(const brine_dtype *dt, const unsigned char *p, num *n)
{
    unsigned char buf[16];
    if (dt->order != '|' && brinep_dtype_swapped(dt) && dt->itemsize <= 16) {
        brinep_dtype_swap(dt, buf, p);
        p = buf;
    }
    n->cls = NUM_NONE;
    switch (dt->kind) {
    case BRINE_DT_BOOL:
        n->cls = NUM_BOOL;
        n->i = p[0] != 0;
        break;
    case BRINE_DT_INT:
    case BRINE_DT_DATETIME:
    case BRINE_DT_TIMEDELTA:
        n->cls = NUM_INT;
        switch (dt->itemsize) {
        case 1: n->i = (int8_t)p[0]; break;
        case 2: {
            int16_t x;
            memcpy(&x, p, 2);
            n->i = x;
            break;
        }
        case 4: {
            int32_t x;
            memcpy(&x, p, 4);
            n->i = x;
            break;
        }
        default: memcpy(&n->i, p, 8); break;
        }
        break;
    case BRINE_DT_UINT:
        n->cls = NUM_UINT;
        switch (dt->itemsize) {
        case 1: n->u = p[0]; break;
        case 2: {
            uint16_t x;
            memcpy(&x, p, 2);
            n->u = x;
            break;
        }
        case 4: {
            uint32_t x;
            memcpy(&x, p, 4);
            n->u = x;
            break;
        }
        default: memcpy(&n->u, p, 8); break;
        }
        break;
    case BRINE_DT_FLOAT:
    case BRINE_DT_COMPLEX: {
        size_t part = dt->kind == BRINE_DT_COMPLEX ? dt->itemsize / 2 : dt->itemsize;
        double v[2] = {0, 0};
        for (int k = 0; k < (dt->kind == BRINE_DT_COMPLEX ? 2 : 1); k++) {
            const unsigned char *q = p + k * part;
            if (part == 2) {
                uint16_t h;
                memcpy(&h, q, 2);
                v[k] = half_to_double(h);
            } else if (part == 4) {
                float f;
                memcpy(&f, q, 4);
                v[k] = f;
            } else {
                memcpy(&v[k], q, 8);
            }
        }
        n->cls = dt->kind == BRINE_DT_COMPLEX ? NUM_COMPLEX : NUM_FLOAT;
        n->re = v[0];
        n->im = v[1];
        break;
    }
    default: break;
    }
}

static int elem_at(const brine_value *a, uint64_t flat, const unsigned char **p, const brine_dtype **dt,
                   brine_error *err)
{
    const brinep_array *x = array_of(a);
    if (!x)
        return brine_error_set(err, BRINE_E_TYPE, "not an array");
    if (flat >= x->count)
        return brine_error_set(err, BRINE_E_RANGE, "index %llu is out of bounds for an array of %llu elements",
                               (unsigned long long)flat, (unsigned long long)x->count);
    *p = x->data + flat * x->dtype->itemsize;
    *dt = x->dtype;
    return BRINE_OK;
}

static int type_error(const brine_dtype *dt, const char *as, brine_error *err)
{
    char s[64];
    brine_dtype_str(dt, s, sizeof s);
    return brine_error_set(err, BRINE_E_TYPE, "an element of dtype %s cannot be read as %s", s, as);
}

static int get_double(const brine_dtype *dt, const unsigned char *p, double *out, brine_error *err)
{
    num n;
    read_num(dt, p, &n);
    switch (n.cls) {
    case NUM_BOOL:
    case NUM_INT: *out = (double)n.i; break;
    case NUM_UINT: *out = (double)n.u; break;
    case NUM_FLOAT: *out = n.re; break;
    default: return type_error(dt, "a double", err);
    }
    if (dt->kind == BRINE_DT_DATETIME || dt->kind == BRINE_DT_TIMEDELTA)
        return type_error(dt, "a double", err);
    return BRINE_OK;
}

static int get_int64(const brine_dtype *dt, const unsigned char *p, int64_t *out, brine_error *err)
{
    num n;
    read_num(dt, p, &n);
    switch (n.cls) {
    case NUM_BOOL:
    case NUM_INT: *out = n.i; return BRINE_OK;
    case NUM_UINT:
        if (n.u > INT64_MAX)
            return brine_error_set(err, BRINE_E_RANGE, "%llu does not fit an int64", (unsigned long long)n.u);
        *out = (int64_t)n.u;
        return BRINE_OK;
    case NUM_FLOAT:
        if (!(n.re >= -9223372036854775808.0 && n.re < 9223372036854775808.0) || n.re != (double)(int64_t)n.re)
            return brine_error_set(err, BRINE_E_RANGE, "%.17g is not an int64", n.re);
        *out = (int64_t)n.re;
        return BRINE_OK;
    default: return type_error(dt, "an int64", err);
    }
}

static int field_elem(const brine_value *a, uint64_t flat, const char *name, const unsigned char **p,
                      const brine_dtype **dt, brine_error *err)
{
    int rc = elem_at(a, flat, p, dt, err);
    if (rc)
        return rc;
    if (!name)
        return brine_error_set(err, BRINE_E_INVALID, "a field name is needed");
    long k = brine_dtype_field_index(*dt, name, strlen(name));
    if (k < 0)
        return brine_error_set(err, BRINE_E_NOTFOUND, "no field named '%s'", name);
    const brinep_field *f = &(*dt)->fields[k];
    if (f->ndim || f->dtype->kind == BRINE_DT_RECORD)
        return brine_error_set(err, BRINE_E_TYPE, "field '%s' is a sub-array or a record, not a number", name);
    *p += f->offset;
    *dt = f->dtype;
    return BRINE_OK;
}

int brine_array_get_double(const brine_value *a, uint64_t flat, double *out, brine_error *err)
{
    brinep_enter(err);
    const unsigned char *p = NULL;
    const brine_dtype *dt = NULL;
    int rc = elem_at(a, flat, &p, &dt, err);
    return rc ? rc : get_double(dt, p, out, err);
}

int brine_array_get_int64(const brine_value *a, uint64_t flat, int64_t *out, brine_error *err)
{
    brinep_enter(err);
    const unsigned char *p = NULL;
    const brine_dtype *dt = NULL;
    int rc = elem_at(a, flat, &p, &dt, err);
    return rc ? rc : get_int64(dt, p, out, err);
}

int brine_array_get_uint64(const brine_value *a, uint64_t flat, uint64_t *out, brine_error *err)
{
    brinep_enter(err);
    const unsigned char *p = NULL;
    const brine_dtype *dt = NULL;
    int rc = elem_at(a, flat, &p, &dt, err);
    if (rc)
        return rc;
    num n;
    read_num(dt, p, &n);
    switch (n.cls) {
    case NUM_UINT: *out = n.u; return BRINE_OK;
    case NUM_BOOL:
    case NUM_INT:
        if (n.i < 0)
            return brine_error_set(err, BRINE_E_RANGE, "%lld does not fit a uint64", (long long)n.i);
        *out = (uint64_t)n.i;
        return BRINE_OK;
    case NUM_FLOAT:
        if (!(n.re >= 0 && n.re < 18446744073709551616.0) || n.re != (double)(uint64_t)n.re)
            return brine_error_set(err, BRINE_E_RANGE, "%.17g is not a uint64", n.re);
        *out = (uint64_t)n.re;
        return BRINE_OK;
    default: return type_error(dt, "a uint64", err);
    }
}

int brine_array_get_complex(const brine_value *a, uint64_t flat, double *re, double *im, brine_error *err)
{
    brinep_enter(err);
    const unsigned char *p = NULL;
    const brine_dtype *dt = NULL;
    int rc = elem_at(a, flat, &p, &dt, err);
    if (rc)
        return rc;
    num n;
    read_num(dt, p, &n);
    if (n.cls == NUM_COMPLEX) {
        *re = n.re;
        *im = n.im;
        return BRINE_OK;
    }
    *im = 0;
    return get_double(dt, p, re, err);
}

int brine_array_get_bool(const brine_value *a, uint64_t flat, int *out, brine_error *err)
{
    brinep_enter(err);
    const unsigned char *p = NULL;
    const brine_dtype *dt = NULL;
    int rc = elem_at(a, flat, &p, &dt, err);
    if (rc)
        return rc;
    num n;
    read_num(dt, p, &n);
    switch (n.cls) {
    case NUM_BOOL:
    case NUM_INT: *out = n.i != 0; return BRINE_OK;
    case NUM_UINT: *out = n.u != 0; return BRINE_OK;
    case NUM_FLOAT: *out = n.re != 0; return BRINE_OK;
    case NUM_COMPLEX: *out = n.re != 0 || n.im != 0; return BRINE_OK;
    default: return type_error(dt, "a bool", err);
    }
}

int brine_array_field_double(const brine_value *a, uint64_t flat, const char *name, double *out, brine_error *err)
{
    brinep_enter(err);
    const unsigned char *p = NULL;
    const brine_dtype *dt = NULL;
    int rc = field_elem(a, flat, name, &p, &dt, err);
    return rc ? rc : get_double(dt, p, out, err);
}

int brine_array_field_int64(const brine_value *a, uint64_t flat, const char *name, int64_t *out, brine_error *err)
{
    brinep_enter(err);
    const unsigned char *p = NULL;
    const brine_dtype *dt = NULL;
    int rc = field_elem(a, flat, name, &p, &dt, err);
    return rc ? rc : get_int64(dt, p, out, err);
}

/* 1 if an element of dt needs any swapping to be native. */
static int needs_swap(const brine_dtype *dt)
{
    if (dt->kind == BRINE_DT_RECORD) {
        for (size_t k = 0; k < dt->nfields; k++)
            if (needs_swap(dt->fields[k].dtype))
                return 1;
        return 0;
    }
    return dt->order != '|' && brinep_dtype_swapped(dt);
}

int brine_array_to_native(const brine_value *a, void *out, size_t cap, brine_error *err)
{
    brinep_enter(err);
    const brinep_array *x = array_of(a);
    if (!x || (!out && cap))
        return brine_error_set(err, x ? BRINE_E_INVALID : BRINE_E_TYPE, "brine_array_to_native needs an array");
    if (cap < x->nbytes)
        return brine_error_set(err, BRINE_E_RANGE, "the array needs %zu bytes, the buffer has %zu", x->nbytes, cap);
    if (!needs_swap(x->dtype)) {
        if (x->nbytes)
            memcpy(out, x->data, x->nbytes);
        return BRINE_OK;
    }
    size_t size = x->dtype->itemsize;
    for (uint64_t i = 0; i < x->count; i++)
        brinep_dtype_swap(x->dtype, (unsigned char *)out + i * size, x->data + i * size);
    return BRINE_OK;
}

/* ---- equality and copy ---- */

int brinep_array_equal(const brinep_array *a, const brinep_array *b)
{
    return a == b || (brine_dtype_equal(a->dtype, b->dtype) && a->ndim == b->ndim &&
                      (a->ndim == 0 || memcmp(a->shape, b->shape, a->ndim * sizeof *a->shape) == 0) &&
                      (a->nbytes == 0 || memcmp(a->data, b->data, a->nbytes) == 0));
}

brinep_array *brinep_array_copy(brine_doc *doc, const brinep_array *src, brine_error *err)
{
    const brine_dtype *dt = brine_dtype_copy(doc, src->dtype, err);
    brinep_array *a = dt ? brinep_array_alloc(doc, dt, src->ndim, src->shape, err) : NULL;
    if (!a)
        return NULL;
    if (!(a->data = brinep_array_data_alloc(doc, a->nbytes))) {
        brinep_nomem(err);
        return NULL;
    }
    if (a->nbytes)
        memcpy(a->data, src->data, a->nbytes);
    return a;
}

/* ---- the event's header ---- */

int brinep_array_header_fault(const brine_array_header *h, char *what, size_t cap)
{
    if (!h) {
        snprintf(what, cap, "an array event without a header");
        return BRINE_E_PLUGIN;
    }
    if (brinep_dtype_fault(h->dtype, what, cap))
        return BRINE_E_PLUGIN;
    if (h->ndim > BRINE_ARRAY_MAX_DIMS || (h->ndim && !h->shape)) {
        snprintf(what, cap, "an array event of %u dimensions%s", h->ndim, h->ndim > 64 ? "" : " without a shape");
        return BRINE_E_PLUGIN;
    }
    if (h->chunks || h->reserved_) {
        snprintf(what, cap, "an array event in the chunked form, which no sink has asked for");
        return BRINE_E_PLUGIN;
    }
    uint64_t count;
    size_t nbytes;
    if (brinep_shape_count(h->ndim, h->shape, h->dtype->itemsize, &count, &nbytes) || count != h->count ||
        nbytes != h->data_len || (!h->data && h->data_len)) {
        snprintf(what, cap, "an array event whose shape, count and data length (%zu bytes) disagree", h->data_len);
        return BRINE_E_PLUGIN;
    }
    return BRINE_OK;
}

/* ---- tolist(): an array as nested list events ---- */

typedef struct tolist {
    brine_sink *sink;
    size_t max_depth;
    brine_error *err;
    char *utf8; /* scratch for a 'U' element */
    size_t utf8_cap;
} tolist;

static int emit(tolist *t, const brine_event *ev)
{
    return t->sink->event(t->sink, ev);
}

static int depth_fail(tolist *t)
{
    brinep_depth_error(t->err, t->max_depth, "encoding");
    return BRINE_E_DEPTH;
}

static int emit_items(tolist *t, const brine_dtype *dt, unsigned ndim, const uint64_t *shape, const unsigned char *p,
                      uint64_t anchor, size_t depth);

/* One element of dt at p, at nesting depth (containers open). */
static int emit_elem(tolist *t, const brine_dtype *dt, const unsigned char *p, size_t depth)
{
    brine_event ev;
    memset(&ev, 0, sizeof ev);
    switch (dt->kind) {
    case BRINE_DT_RECORD: {
        if (depth >= t->max_depth)
            return depth_fail(t);
        ev.kind = BRINE_EV_TUPLE;
        ev.v.count = dt->nfields;
        int rc = emit(t, &ev);
        for (size_t k = 0; rc == BRINE_OK && k < dt->nfields; k++) {
            const brinep_field *f = &dt->fields[k];
            rc = emit_items(t, f->dtype, f->ndim, f->shape, p + f->offset, 0, depth + 1);
        }
        if (rc)
            return rc;
        ev.kind = BRINE_EV_END;
        return emit(t, &ev);
    }
    case BRINE_DT_BYTES:
    case BRINE_DT_VOID: {
        size_t len = dt->itemsize;
        if (dt->kind == BRINE_DT_BYTES)
            while (len && p[len - 1] == 0)
                len--;
        ev.kind = BRINE_EV_BYTES;
        ev.v.s.ptr = (const char *)p;
        ev.v.s.len = len;
        return emit(t, &ev);
    }
    case BRINE_DT_STR: {
        size_t units = dt->itemsize / 4, len = 0;
        if (t->utf8_cap < dt->itemsize) { /* UTF-8 takes at most the 4 bytes of UTF-32 */
            char *grown = brine_realloc(t->utf8, dt->itemsize);
            if (!grown)
                return brinep_nomem(t->err);
            t->utf8 = grown;
            t->utf8_cap = dt->itemsize;
        }
        while (units) { /* numpy drops trailing NULs */
            uint32_t c;
            memcpy(&c, p + (units - 1) * 4, 4);
            if (c)
                break;
            units--;
        }
        for (size_t i = 0; i < units; i++) {
            uint32_t c;
            memcpy(&c, p + i * 4, 4);
            if (brinep_dtype_swapped(dt))
                c = __builtin_bswap32(c);
            unsigned char *o = (unsigned char *)t->utf8 + len;
            if (c < 0x80) {
                o[0] = (unsigned char)c;
                len += 1;
            } else if (c < 0x800) {
                o[0] = (unsigned char)(0xC0 | c >> 6);
                o[1] = (unsigned char)(0x80 | (c & 0x3F));
                len += 2;
            } else if (c < 0x10000 && (c < 0xD800 || c > 0xDFFF)) {
                o[0] = (unsigned char)(0xE0 | c >> 12);
                o[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
                o[2] = (unsigned char)(0x80 | (c & 0x3F));
                len += 3;
            } else if (c >= 0x10000 && c <= 0x10FFFF) {
                o[0] = (unsigned char)(0xF0 | c >> 18);
                o[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
                o[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
                o[3] = (unsigned char)(0x80 | (c & 0x3F));
                len += 4;
            } else {
                /* A surrogate or a value past U+10FFFF: numpy's tolist()
                 * gives a str Python cannot encode, or fails; brine's str
                 * is UTF-8, so it becomes U+FFFD, and the walk goes on. */
                o[0] = 0xEF;
                o[1] = 0xBF;
                o[2] = 0xBD;
                len += 3;
            }
        }
        ev.kind = BRINE_EV_STR;
        ev.v.s.ptr = t->utf8;
        ev.v.s.len = len;
        return emit(t, &ev);
    }
    default: {
        num n;
        read_num(dt, p, &n);
        switch (n.cls) {
        case NUM_BOOL:
            ev.kind = BRINE_EV_BOOL;
            ev.v.boolean = (int)n.i;
            break;
        case NUM_INT:
            /* NaT is numpy's None in tolist(). */
            if ((dt->kind == BRINE_DT_DATETIME || dt->kind == BRINE_DT_TIMEDELTA) && n.i == INT64_MIN) {
                ev.kind = BRINE_EV_NULL;
            } else {
                ev.kind = BRINE_EV_INT;
                ev.v.i = n.i;
            }
            break;
        case NUM_UINT:
            ev.kind = BRINE_EV_UINT;
            ev.v.u = n.u;
            break;
        case NUM_FLOAT:
            ev.kind = BRINE_EV_FLOAT;
            ev.v.f = n.re;
            break;
        default:
            ev.kind = BRINE_EV_COMPLEX;
            ev.v.c.re = n.re;
            ev.v.c.im = n.im;
            break;
        }
        return emit(t, &ev);
    }
    }
}

/* The elements of a (sub-)array of ndim dimensions at p: nested lists in
 * C order, iterated with an odometer (no recursion on the dimensions). */
static int emit_items(tolist *t, const brine_dtype *dt, unsigned ndim, const uint64_t *shape, const unsigned char *p,
                      uint64_t anchor, size_t depth)
{
    if (ndim == 0)
        return emit_elem(t, dt, p, depth);
    if (depth + ndim > t->max_depth)
        return depth_fail(t);
    uint64_t idx[BRINE_ARRAY_MAX_DIMS];
    brine_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = BRINE_EV_LIST;
    ev.anchor = anchor;
    ev.v.count = (size_t)shape[0];
    int rc = emit(t, &ev);
    ev.anchor = 0;
    unsigned lvl = 0;
    idx[0] = 0;
    while (rc == BRINE_OK) {
        if (idx[lvl] == shape[lvl]) {
            ev.kind = BRINE_EV_END;
            if ((rc = emit(t, &ev)) || lvl == 0)
                break;
            idx[--lvl]++;
        } else if (lvl == ndim - 1) {
            rc = emit_elem(t, dt, p, depth + ndim);
            p += dt->itemsize;
            idx[lvl]++;
        } else {
            lvl++;
            idx[lvl] = 0;
            ev.kind = BRINE_EV_LIST;
            ev.v.count = (size_t)shape[lvl];
            rc = emit(t, &ev);
        }
    }
    return rc;
}

int brinep_array_tolist(const brine_array_header *h, uint64_t anchor, brine_sink *sink, size_t depth, size_t max_depth,
                        brine_error *err)
{
    tolist t = {sink, max_depth, err, NULL, 0};
    int rc = emit_items(&t, h->dtype, h->ndim, h->shape, h->data, anchor, depth);
    brine_free(t.utf8);
    return rc;
}
