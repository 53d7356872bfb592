/* array.h: typed n-dimensional arrays (BRINE_ARRAY) and their element
 * types (brine_dtype), numpy's model of both. Included by <brine/brine.h>;
 * this section of the reference manual is kept in its own header so that
 * the array API reads as one piece.
 *
 * ELEMENT TYPES. A brine_dtype is numpy's dtype: a kind (bool, int, uint,
 * float, complex, fixed-size bytes 'S', UTF-32 text 'U', datetime64 and
 * timedelta64 with a unit, raw bytes 'V', or a record of named fields), an
 * itemsize in bytes and a byte order. The byte order is part of the type:
 * '<' little endian, '>' big endian, '|' for types of one byte and for
 * those without one (S, V, records). A big-endian '>f8' read from a file
 * stays '>f8', writes back as '>f8', and its accessors give native values.
 * Dtypes are made from numpy's type strings ("<f8", ">i4", "|b1", "|S10",
 * "<U5", "<M8[ns]", "<m8[10ms]", "<c16", "|V16"; '=' means the machine's
 * order and is stored as '<' or '>') or, for records, with the record
 * builder. A dtype is owned by a document, like a value: it lives until the
 * document is freed and may be used by any number of arrays of that
 * document. A record is complete once an array uses it: adding fields
 * after that is BRINE_E_INVALID.
 *
 * ARRAYS. An array value has a dtype, a shape of 0 to BRINE_ARRAY_MAX_DIMS
 * dimensions (each a uint64; a 0-d array holds one element) and its
 * elements contiguous in C order (the last index varies fastest), in the
 * dtype's byte order. The data starts at a 16-byte boundary. The element
 * count and the byte size are checked for overflow before anything is
 * allocated (BRINE_E_RANGE). An array is a value like a list: storing it
 * in two places shares it (writes through brine_array_data_mut are seen
 * through both), it may sit in lists, dicts and models, it is not hashable
 * (BRINE_E_KEY as a dict key), equality, copying, printing and every
 * format handle it. Data is owned by the document: copied in by
 * brine_array_new, or adopted by brine_array_adopt with a free function
 * called when the document is freed.
 *
 * EQUALITY. Two arrays are equal when their dtypes are equal (kind,
 * itemsize, byte order, unit, fields), their shapes are equal and their
 * data bytes are equal. Comparing bytes means a NaN equals the same NaN
 * (numpy's array_equal says False for NaN) and -0.0 differs from 0.0, as
 * for floats elsewhere in brine (brine_value_equal): round trips are
 * exact. '<f8' and '>f8' arrays with the same values are not equal.
 *
 * ELEMENT ACCESS. Getters take a flat index (0 .. count-1, C order; see
 * brine_array_index for a multi-index) and return BRINE_E_RANGE for an
 * index out of bounds, BRINE_E_TYPE for an element type that does not
 * convert (a str element as a double), BRINE_E_RANGE for a value that does
 * not fit (an int64 from 1e300 or from 2.5). Values are read in the
 * machine's order whatever the array's.
 */
#ifndef BRINE_ARRAY_H
#define BRINE_ARRAY_H

#ifdef __cplusplus
extern "C" {
#endif

/* At most this many dimensions (numpy's own limit is 32 or 64). */
#define BRINE_ARRAY_MAX_DIMS 64

/* Records nest at most this deep (a field whose dtype is a record counts
 * one level), so that everything that walks a dtype has a small bound. */
#define BRINE_DTYPE_MAX_NESTING 16

typedef struct brine_dtype brine_dtype;

/* Kinds, with numpy's kind characters beside them. */
typedef enum brine_dtype_kind {
    BRINE_DT_BOOL = 1,      /* 'b': itemsize 1 */
    BRINE_DT_INT = 2,       /* 'i': 1, 2, 4, 8 */
    BRINE_DT_UINT = 3,      /* 'u': 1, 2, 4, 8 */
    BRINE_DT_FLOAT = 4,     /* 'f': 2, 4, 8 */
    BRINE_DT_COMPLEX = 5,   /* 'c': 8, 16 (two floats) */
    BRINE_DT_BYTES = 6,     /* 'S': n bytes, NUL-padded */
    BRINE_DT_STR = 7,       /* 'U': n UTF-32 code units (4n bytes), NUL-padded */
    BRINE_DT_DATETIME = 8,  /* 'M': int64 count of units since 1970-01-01 */
    BRINE_DT_TIMEDELTA = 9, /* 'm': int64 count of units */
    BRINE_DT_VOID = 10,     /* 'V': n raw bytes */
    BRINE_DT_RECORD = 11    /* 'V' with named fields */
} brine_dtype_kind;

/* datetime64/timedelta64 units, numpy's letters beside them. */
typedef enum brine_dtype_unit {
    BRINE_UNIT_NONE = 0,
    BRINE_UNIT_Y, /* Y: years */
    BRINE_UNIT_M, /* M: months */
    BRINE_UNIT_W, /* W: weeks */
    BRINE_UNIT_D, /* D: days */
    BRINE_UNIT_h,
    BRINE_UNIT_m,
    BRINE_UNIT_s,
    BRINE_UNIT_ms,
    BRINE_UNIT_us,
    BRINE_UNIT_ns,
    BRINE_UNIT_ps,
    BRINE_UNIT_fs,
    BRINE_UNIT_as
} brine_dtype_unit;

/* A dtype from numpy's type string (the array interface's typestr, or
 * dtype.str): an order character ('<', '>', '|' or '='), a kind character
 * and a size: bytes, except for 'U', which counts characters ("<U5" is 5
 * characters, 20 bytes), and for 'M' and 'm' a unit in brackets with an optional count
 * ("<M8[ns]", "<m8[10ms]"). The order must be '|' for one-byte kinds and
 * S/V, and '<', '>' or '=' for the others (numpy accepts '|' only there).
 * BRINE_E_SYNTAX, with err->offset at the first bad character, for a
 * malformed string; BRINE_E_UNSUPPORTED (offset likewise) for a well-formed
 * one that brine does not hold (object 'O', generic datetime "<M8", an
 * itemsize numpy does not have such as "<f3", S0). */
BRINE_API brine_dtype *brine_dtype_parse(brine_doc *doc, const char *str, size_t len, brine_error *err);

/* A record of itemsize bytes (padding included) without fields yet:
 * numpy's structured dtype. BRINE_E_RANGE for itemsize 0. */
BRINE_API brine_dtype *brine_dtype_record_new(brine_doc *doc, size_t itemsize, brine_error *err);

/* Adds a field: its name (UTF-8, unique in the record), its dtype (of the
 * same document; a record nests one level deeper, at most
 * BRINE_DTYPE_MAX_NESTING), its byte offset, and for a sub-array field its
 * shape (ndim 0 and shape NULL for a plain field; numpy's ('f', '<f8',
 * (2, 3))). The field's bytes, offset to offset + itemsize x shape
 * product, must lie inside the record and overlap no other field's:
 * BRINE_E_RANGE otherwise, BRINE_E_INVALID for a repeated name, a record
 * that an array already uses, or a dtype of another document. */
BRINE_API int brine_dtype_record_add(brine_dtype *record, const char *name, size_t len, const brine_dtype *field,
                                     uint64_t offset, unsigned ndim, const uint64_t *shape, brine_error *err);

BRINE_API brine_dtype_kind brine_dtype_kind_of(const brine_dtype *dt);

/* Bytes per element. */
BRINE_API size_t brine_dtype_itemsize(const brine_dtype *dt);

/* '<', '>' or '|'. */
BRINE_API char brine_dtype_byteorder(const brine_dtype *dt);

/* datetime64/timedelta64: the unit and its count (1 for "[ns]", 10 for
 * "[10ms]"); BRINE_UNIT_NONE and 0 for other kinds. */
BRINE_API brine_dtype_unit brine_dtype_unit_of(const brine_dtype *dt, uint64_t *count);

/* Records: the number of fields, and field i in the order they were added
 * (its name and length, dtype, offset and sub-array shape: *ndim 0 and
 * *shape NULL for a plain field); any out pointer may be NULL.
 * BRINE_E_RANGE past the last field, BRINE_E_TYPE for other kinds. */
BRINE_API size_t brine_dtype_field_count(const brine_dtype *dt);
BRINE_API int brine_dtype_field(const brine_dtype *dt, size_t i, const char **name, size_t *len,
                                const brine_dtype **field, uint64_t *offset, unsigned *ndim, const uint64_t **shape);

/* The index of the field named name in a record, or -1. */
BRINE_API long brine_dtype_field_index(const brine_dtype *dt, const char *name, size_t len);

/* numpy's dtype.str ("<f8", "|S10", "<M8[ns]", "|V16" for a record),
 * NUL-terminated, into out (cap bytes, 0 allowed); returns the length it
 * needs. */
BRINE_API size_t brine_dtype_str(const brine_dtype *dt, char *out, size_t cap);

/* numpy's dtype.descr as Python text: "[('', '<f8')]" for a plain dtype,
 * "[('left', '<i8'), ('v', '<f8', (2,)), ('', '|V4')]" for a record
 * (padding appears as unnamed '|V<n>' entries, as numpy writes it), into
 * out like brine_dtype_str. */
BRINE_API size_t brine_dtype_descr(const brine_dtype *dt, char *out, size_t cap);

/* 1 if a and b are the same type (kind, itemsize, byte order, unit and
 * count, fields with their names, offsets, shapes and types), else 0.
 * They may belong to different documents. */
BRINE_API int brine_dtype_equal(const brine_dtype *a, const brine_dtype *b);

/* A copy of dt (of any document) owned by doc. */
BRINE_API brine_dtype *brine_dtype_copy(brine_doc *doc, const brine_dtype *dt, brine_error *err);

/* ---- array values ---- */

/* A new array of dtype dt (of doc), ndim dimensions of the sizes in shape
 * (ndim 0: one element, shape may be NULL), its data copied from data
 * (count x itemsize bytes, in dt's byte order, C order) or zeroed when
 * data is NULL. BRINE_E_RANGE when ndim > BRINE_ARRAY_MAX_DIMS or the
 * element count or byte size overflows (checked before allocating),
 * BRINE_E_INVALID for a dtype of another document. */
BRINE_API brine_value *brine_array_new(brine_doc *doc, const brine_dtype *dt, unsigned ndim, const uint64_t *shape,
                                       const void *data, brine_error *err);

/* Like brine_array_new, adopting data instead of copying it: the document
 * calls free_fn(data) once when it is freed (free_fn may be NULL for
 * memory the caller keeps alive longer than the document). data must start
 * at a 16-byte boundary (as malloc's on 64-bit systems); if it does not,
 * the bytes are copied into the document and free_fn(data) is called
 * before returning. On failure free_fn is not called: data stays the
 * caller's. */
BRINE_API brine_value *brine_array_adopt(brine_doc *doc, const brine_dtype *dt, unsigned ndim, const uint64_t *shape,
                                         void *data, void (*free_fn)(void *), brine_error *err);

/* The dtype, NULL for a value that is not an array. */
BRINE_API const brine_dtype *brine_array_dtype(const brine_value *a);

/* Number of dimensions and their sizes (shape: ndim entries, NULL for a
 * 0-d array); the pointer lives as long as the document. */
BRINE_API unsigned brine_array_ndim(const brine_value *a);
BRINE_API const uint64_t *brine_array_shape(const brine_value *a);

/* Element count (the product of the shape; 1 for 0-d) and bytes of data. */
BRINE_API uint64_t brine_array_count(const brine_value *a);
BRINE_API size_t brine_array_nbytes(const brine_value *a);

/* The data (16-byte aligned, nbytes long, in the dtype's byte order), or
 * NULL for a value that is not an array. The mutable form lets a program
 * fill an array in place; every slot that shares the array sees it. */
BRINE_API const void *brine_array_data(const brine_value *a);
BRINE_API void *brine_array_data_mut(brine_value *a);

/* The flat (C order) index of the multi-index idx (ndim entries) in *flat:
 * BRINE_E_RANGE, naming the axis, when an index is outside its dimension,
 * BRINE_E_INVALID when ndim is not the array's. */
BRINE_API int brine_array_index(const brine_value *a, unsigned ndim, const uint64_t *idx, uint64_t *flat,
                                brine_error *err);

/* Element flat as a double (bool, int, uint, float; float16 too), int64
 * (bool, int, uint, datetime and timedelta counts, integral floats), uint64
 * likewise, complex (any numeric kind), or bool (bool, and numbers: nonzero). */
BRINE_API int brine_array_get_double(const brine_value *a, uint64_t flat, double *out, brine_error *err);
BRINE_API int brine_array_get_int64(const brine_value *a, uint64_t flat, int64_t *out, brine_error *err);
BRINE_API int brine_array_get_uint64(const brine_value *a, uint64_t flat, uint64_t *out, brine_error *err);
BRINE_API int brine_array_get_complex(const brine_value *a, uint64_t flat, double *re, double *im, brine_error *err);
BRINE_API int brine_array_get_bool(const brine_value *a, uint64_t flat, int *out, brine_error *err);

/* Field `name` of record element flat, as a double or an int64 (the field
 * must be a plain numeric field: BRINE_E_TYPE for a sub-array or a nested
 * record, BRINE_E_NOTFOUND for no such field). */
BRINE_API int brine_array_field_double(const brine_value *a, uint64_t flat, const char *name, double *out,
                                       brine_error *err);
BRINE_API int brine_array_field_int64(const brine_value *a, uint64_t flat, const char *name, int64_t *out,
                                      brine_error *err);

/* Copies the data into out (cap bytes, at least nbytes) in the machine's
 * byte order: each number (each field's, in a record; each UTF-32 unit of
 * a 'U' array) byte-swapped when the dtype's order is not the machine's.
 * BRINE_E_RANGE when cap is too small. */
BRINE_API int brine_array_to_native(const brine_value *a, void *out, size_t cap, brine_error *err);

#ifdef __cplusplus
}
#endif
#endif /* BRINE_ARRAY_H */
