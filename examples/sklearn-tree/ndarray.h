/* ndarray.h: numpy arrays as the pickle plugin reads them (models holding a
 * dtype, a shape and the raw bytes; see docs of the pickle mapping), decoded
 * into something C can index. Nothing here knows about scikit-learn; the
 * checks are those any reader of untrusted arrays needs. */
#ifndef SK_NDARRAY_H
#define SK_NDARRAY_H

#include <stddef.h>
#include <stdint.h>

#include <brine/brine.h>

#define SK_MAX_DIMS 32     /* numpy's NPY_MAXDIMS */
#define SK_MAX_FIELDS 4096 /* fields of a structured dtype this reader takes */

/* A scalar type: numpy's kind letter ('i', 'u', 'b', 'f', 'U', 'S', 'O'),
 * its size in bytes and its byte order. */
typedef struct sk_scalar {
    char kind;
    size_t size;
    int big_endian;
} sk_scalar;

/* One field of a structured dtype. name points into the document. */
typedef struct sk_field {
    const char *name;
    size_t name_len;
    sk_scalar type;
    size_t offset;
} sk_field;

typedef struct sk_dtype {
    sk_scalar scalar; /* kind 'V' for structured dtypes */
    size_t n_fields;
    sk_field *fields; /* malloc'd, n_fields entries */
} sk_dtype;

typedef struct sk_array {
    sk_dtype dtype;
    size_t ndim;
    size_t shape[SK_MAX_DIMS];
    size_t count;               /* product of shape */
    int fortran;                /* elements stored in Fortran order */
    const unsigned char *data;  /* count * itemsize bytes (not for 'O') */
    const brine_value *objects; /* kind 'O': the list of count elements */
} sk_array;

/* Reads the numpy array v (the _reconstruct form of protocols <= 4 or the
 * _frombuffer form of protocol 5, numpy 1 or 2 module names) into *out.
 * path names v in errors. Returns 0, or -1 with err filled (message and
 * path); *out then needs no sk_array_free. */
int sk_array_read(const brine_value *v, const char *path, sk_array *out, brine_error *err);
void sk_array_free(sk_array *a);

/* The field called name, or NULL. */
const sk_field *sk_dtype_field(const sk_dtype *dt, const char *name);

/* The position of element idx (ndim indexes, each below its dimension) in
 * storage order. */
size_t sk_array_offset(const sk_array *a, const size_t *idx);

/* Load one scalar of type t from p (any alignment, either byte order).
 * sk_load_int takes kinds 'i', 'u' and 'b' and fails (-1) for a 'u' value
 * above INT64_MAX; sk_load_float takes 'f' and the integer kinds. */
int sk_load_int(const unsigned char *p, const sk_scalar *t, int64_t *out);
int sk_load_float(const unsigned char *p, const sk_scalar *t, double *out);

/* What v is, for "found ..." in messages: "a str", "a model of type 'x'". */
const char *sk_describe(const brine_value *v, char *buf, size_t cap);

/* "int64", "float64", "<U1"... for messages. */
const char *sk_scalar_describe(const sk_scalar *t, char *buf, size_t cap);

/* Sets err (code BRINE_E_TYPE unless code is given) with a message and a
 * path; returns -1. */
int sk_fail(brine_error *err, int code, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* base + suffix into out (cap bytes), truncated with "..." if too long. */
const char *sk_path(char *out, size_t cap, const char *base, const char *suffix);

#endif /* SK_NDARRAY_H */
