/* dtype.h: the layout of array element types (core/dtype.c) and the
 * brinep_ calls that core's array files share. Private to core. */
#ifndef BRINE_DTYPE_H
#define BRINE_DTYPE_H

#include "internal.h"

/* Fields per record at most: the overlap and name checks of the record
 * builder are linear per field, so a hostile file cannot make a record
 * quadratic beyond this. numpy's structured dtypes in practice have tens. */
#define BRINEP_DTYPE_MAX_FIELDS 1024

typedef struct brinep_field {
    const char *name; /* UTF-8, NUL-terminated, arena memory */
    size_t len;
    const brine_dtype *dtype;
    uint64_t offset;
    unsigned ndim;   /* sub-array dimensions, 0 for a plain field */
    uint64_t *shape; /* ndim sizes, arena memory, or NULL */
    uint64_t count;  /* elements: the product of shape, 1 for a plain field */
    uint64_t size;   /* bytes: count x the field dtype's itemsize */
} brinep_field;

struct brine_dtype {
    brine_doc *doc;
    uint8_t kind;   /* brine_dtype_kind */
    char order;     /* '<', '>' or '|' */
    uint8_t unit;   /* brine_dtype_unit, datetime/timedelta only */
    uint8_t depth;  /* 1 for a plain type, 1 + the deepest field's for a record */
    uint8_t sealed; /* a record an array uses: no more fields */
    uint64_t unit_count;
    size_t itemsize;
    size_t nfields, cap;
    brinep_field *fields; /* arena memory, in the order added */
};

/* 1 when dt's byte order is not the machine's (numbers must be swapped). */
static inline int brinep_dtype_swapped(const brine_dtype *dt)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return dt->order == '<';
#else
    return dt->order == '>';
#endif
}

/* The machine's order character. */
static inline char brinep_native_order(void)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return '>';
#else
    return '<';
#endif
}

/* Swaps the bytes of one element of dt at src into dst (which may be src):
 * each number, each UTF-32 unit, each record field recursively. */
void brinep_dtype_swap(const brine_dtype *dt, unsigned char *dst, const unsigned char *src);

/* The numpy name of a simple dtype ("float64", "int8", "bool",
 * "datetime64[ns]", "bytes80", "str160"... as dtype.name), into out. */
size_t brinep_dtype_name(const brine_dtype *dt, char *out, size_t cap);

/* A record dtype as numpy's repr writes it: [('a', '<i4'), ('b', '?')],
 * or the {'names': ..., 'offsets': ...} form when it has gaps, into out. */
size_t brinep_dtype_record_repr(const brine_dtype *dt, char *out, size_t cap);

/* Checks a dtype a plugin sent (any document): kinds, sizes, nesting,
 * fields inside the record. BRINE_OK or BRINE_E_PLUGIN with what. */
int brinep_dtype_fault(const brine_dtype *dt, char *what, size_t cap);

/* The element count of a shape, or BRINE_E_RANGE when it, or it times
 * itemsize, overflows size_t (never allocates). */
int brinep_shape_count(unsigned ndim, const uint64_t *shape, size_t itemsize, uint64_t *count, size_t *nbytes);

/* Advice for the fresh memory of a large array (transparent huge pages
 * on Linux): call before the first write to it. */
void brinep_array_advise(void *data, size_t nbytes);

/* The data block of a new array of nbytes in doc (16-byte aligned, and
 * advised when large), or NULL. */
unsigned char *brinep_array_data_alloc(brine_doc *doc, size_t nbytes);

/* The node of a new array in doc (shape copied, dtype taken as is), data
 * left to the caller: uninitialised when data is NULL, else adopted. */
brinep_array *brinep_array_alloc(brine_doc *doc, const brine_dtype *dt, unsigned ndim, const uint64_t *shape,
                                 brine_error *err);

/* The walker's and checker's fallback for a sink without
 * BRINE_SINK_ARRAYS: the array of header h as nested list events
 * (numpy's tolist()), an anchor (nonzero) on the outermost list. depth is
 * the nesting already open; past max_depth it fails with BRINE_E_DEPTH. */
int brinep_array_tolist(const brine_array_header *h, uint64_t anchor, brine_sink *sink, size_t depth, size_t max_depth,
                        brine_error *err);

/* The checks core makes on an ARRAY event's header (plugin.h):
 * BRINE_OK, or BRINE_E_PLUGIN with what is wrong in what. */
int brinep_array_header_fault(const brine_array_header *h, char *what, size_t cap);

/* Equality and copying of array nodes (equal.c, copy.c). */
int brinep_array_equal(const brinep_array *a, const brinep_array *b);
brinep_array *brinep_array_copy(brine_doc *doc, const brinep_array *src, brine_error *err);

/* One element at p of dt (array_text.c): its number in native order,
 * and its text as Python's repr of its tolist() value (a str element as
 * Python's str repr, a datetime64 as numpy's ISO text, a record as a
 * tuple), into out (cut at a character's end); returns the length. */
double brinep_elem_double(const brine_dtype *dt, const unsigned char *p, int imag);
int64_t brinep_elem_i64(const brine_dtype *dt, const unsigned char *p, uint64_t *u, int *is_u);
size_t brinep_elem_text(const brine_dtype *dt, const unsigned char *p, char *out, size_t cap);

/* Whether Python's str.isprintable() holds for the code point (repr.c). */
int brinep_is_printable(uint32_t cp);

/* numpy's repr of the array (repr.c calls it), appended through put. */
typedef void (*brinep_put_fn)(void *ctx, const char *s, size_t len);
void brinep_array_repr(const brinep_array *a, brinep_put_fn put, void *ctx);

#endif /* BRINE_DTYPE_H */
