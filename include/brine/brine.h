/* brine.h: the object graph, errors and allocator of libbrine.
 *
 * This header is the reference manual for the value API. Formats, plugins
 * and the registry are declared in <brine/plugin.h> and <brine/format.h>;
 * including this header alone is enough to build, inspect, compare, copy and
 * print graphs.
 *
 * OWNERSHIP. Every value lives in a document (brine_doc), an arena that owns
 * all values allocated in it and frees them together with brine_doc_free().
 * Shared references and cycles are plain pointers between containers, so they
 * cannot leak. Every call that creates a value takes the document it goes
 * into. A value from one document is never linked into another: such calls
 * fail with BRINE_E_INVALID; use brine_value_copy() to copy across documents.
 *
 * VALUES AND HANDLES. A brine_value * is a handle to a value slot. Scalars
 * (null, bool, int, float, complex, str, bytes) are stored by value in the
 * slot; containers (list, tuple, dict, model) are nodes that slots point at.
 * Storing a container in two places shares the node, as in Python; storing a
 * scalar copies it. Arrays (<brine/array.h>) are nodes too: shared like a
 * list, but leaves of every traversal (their elements are data, not
 * values). (The data of a str, bytes or big int is an immutable
 * block that several slots of one document may share: a value stored
 * twice, a copy within the document, a string the input stores once and
 * references many times. This is invisible to users, as equality,
 * printing and encoding are unchanged, but keeps memory proportional to
 * the input. A document decoded with brine_decode_buffer_borrowed
 * (<brine/format.h>) goes further: its str and bytes may point into the
 * caller's input instead of the arena; see BORROWED STRINGS.) Handles
 * returned by constructors stay valid as long as the document lives.
 * Handles returned by getters on a container
 * (brine_seq_get, brine_dict_get, brine_dict_next, brine_model_args ...)
 * point into that container and stay valid until the container is next
 * modified. Containers themselves never move: any handle to a container
 * keeps working after it is modified.
 *
 * STRINGS. `len` is always a length in bytes, `count` always a number of
 * elements. Strings and bytes passed in are copied into the document. str
 * values are UTF-8 (checked at construction; they may contain NUL). The
 * data of a str is followed by a NUL byte, except in a document that
 * borrows (below): use the length, never strlen.
 *
 * BORROWED STRINGS (#23). brine_decode_buffer_borrowed and
 * brine_decode_buffer_take decode into a document that may point into the
 * input buffer: a str or bytes found there stays there, uncopied. The
 * caller keeps that buffer alive and unchanged until brine_doc_free (or
 * hands it over with _take). Such str data is not followed by a NUL, and
 * brine_value_doc of a borrowed str or bytes is NULL (like an int's: the
 * slot holds no pointer to its document). Everything else is unchanged:
 * equality, printing, encoding, errors. Storing a borrowed value into a
 * container, a root or a brine_value_copy of a document that does not
 * borrow the same buffer copies its data there, so a document never points
 * into an input it was not given.
 *
 * ERRORS. Calls that can fail return a brine_status (BRINE_OK is 0) or NULL,
 * and fill an optional brine_error * (NULL is allowed). Nothing in libbrine
 * prints, exits or aborts on bad input. Every call that takes err clears it
 * when it starts, so after the call err describes that call alone: the
 * code it returned (or the reason it returned NULL) and its message, or
 * no error when it succeeded. One brine_error may be reused for any number
 * of calls; check each call's result (or stop at the first NULL), as a
 * later call that succeeds leaves err clear. Within one call the first
 * error wins. The exceptions are the calls that report into an error an
 * operation already holds: brine_error_set and brine_error_set_at, and the
 * stream primitives of <brine/plugin.h> that plugins call in the middle of
 * an operation (brine_source_more, _read_all, _rewind, brine_output_write,
 * _reserve, _flush); they keep the first error.
 *
 * FILTERS. Compressed bytes (gzip, zlib, bz2, xz, lzma, zstd; #22) are
 * not a format but a layer beneath one: a byte filter plugin
 * (<brine/plugin.h>, BRINE_CAP_FILTER) decompresses a source
 * (brine_source_init_filter) or compresses an output
 * (brine_output_init_filter, ended by brine_output_finish), and any format
 * decodes or encodes through it unchanged. The registry keeps filters in a
 * list of their own and finds them by name, by a file name's outer
 * extension ("model.pkl.gz") and by magic (<brine/format.h>).
 * Decompression is bounded (brine_options.filter_ratio, filter_bytes).
 *
 * DEPTH. Every traversal (equality, copy, print, hashing of tuple keys,
 * encoding and decoding) is iterative, uses an explicit stack and stops with
 * BRINE_E_DEPTH when containers nest deeper than the document's max depth
 * (default BRINE_DEFAULT_MAX_DEPTH, like Python's recursion limit). `[]` has
 * depth 1, `[[]]` depth 2; a model counts as one level and its args tuple as
 * another. Limits of millions are safe: no traversal recurses on the C stack.
 *
 * THREADS. libbrine may be used from any number of threads at once, on
 * these terms. Each thread may create, load, use and free registries and
 * documents of its own, concurrently with the others: plugin loading and
 * unloading (libltdl keeps process-wide state) is serialised inside
 * libbrine, and a registry's plugins stay loaded until that registry is
 * freed, whatever other registries unload. One registry may be shared by
 * threads once brine_registry_load (and any brine_registry_add_dir, _add,
 * _load_file) has returned: lookups, sniffing and every codec call with its
 * plugins are safe concurrently; loading more into it, or freeing it,
 * while others use it is not. A document, and every value in it, is used
 * by one thread at a time, reads included (lookups may build indexes):
 * hand it over with the usual synchronisation, after which any thread may
 * free it. An error, source, output, options or sink belongs to one thread
 * at a time too. brine_set_allocator is global: call it before any other
 * thread uses libbrine. Freed document memory is cached per thread
 * (brine_release_memory). Plugin code runs in the calling thread; plugins
 * must allow concurrent calls (all built-in ones do). libbrine does not
 * lock against other users of libltdl in the same process, nor against
 * setenv of BRINE_PLUGIN_PATH during a load.
 */
#ifndef BRINE_BRINE_H
#define BRINE_BRINE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BRINE_VERSION_MAJOR 0
#define BRINE_VERSION_MINOR 2
#define BRINE_VERSION_PATCH 0
#define BRINE_VERSION_STRING "0.2.0"

#define BRINE_DEFAULT_MAX_DEPTH 1000

#if defined(__GNUC__) && __GNUC__ >= 4
#define BRINE_API __attribute__((visibility("default")))
#else
#define BRINE_API
#endif

/* The version of the library actually linked, e.g. "0.2.0". */
BRINE_API const char *brine_version(void);

/* ------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------ */

/* Status codes. The numbers are fixed and only ever appended to. */
typedef enum brine_status {
    BRINE_OK = 0,
    BRINE_E_NOMEM = 1,       /* an allocation failed */
    BRINE_E_INVALID = 2,     /* a bad argument: NULL, wrong document, ... */
    BRINE_E_TYPE = 3,        /* a value of the wrong type for the call */
    BRINE_E_RANGE = 4,       /* an integer does not fit, an index is out of range */
    BRINE_E_UTF8 = 5,        /* invalid UTF-8 in a str */
    BRINE_E_DEPTH = 6,       /* maximum recursion depth exceeded */
    BRINE_E_CYCLE = 7,       /* circular reference detected */
    BRINE_E_SYNTAX = 8,      /* malformed input */
    BRINE_E_TRUNCATED = 9,   /* input ends in the middle of a value */
    BRINE_E_CORRUPT = 10,    /* checksum mismatch or impossible structure */
    BRINE_E_VERSION = 11,    /* data or plugin of an unsupported version */
    BRINE_E_UNSUPPORTED = 12, /* a value the target format cannot represent */
    BRINE_E_IO = 13,         /* reading or writing failed */
    BRINE_E_PLUGIN = 14,     /* a plugin could not be loaded or misbehaved */
    BRINE_E_NOTFOUND = 15,   /* no such format, key or file */
    BRINE_E_KEY = 16,        /* an unhashable dict key */
    BRINE_E_REF = 17,        /* a reference to an anchor that does not exist */
    BRINE_E_OPTION = 18,     /* an unknown or malformed format option */
    BRINE_E_MODEL = 19       /* a model type is not registered or refused its state */
} brine_status;

#define BRINE_ERROR_TEXT 256
#define BRINE_ERROR_PATH 256
#define BRINE_NO_OFFSET UINT64_MAX

/* What went wrong, where. A call that takes an error clears it first, so
 * it describes that call (see ERRORS above); within the call the first
 * failure wins and later failures in the same call do not overwrite it. */
typedef struct brine_error {
    int code;                         /* a brine_status */
    uint64_t offset;                  /* byte offset in the input, or BRINE_NO_OFFSET */
    uint64_t line;                    /* 1-based line for text formats, 0 if unknown */
    uint64_t column;                  /* 1-based column for text formats, 0 if unknown */
    char path[BRINE_ERROR_PATH];      /* "$.users[3].name", or "" if unknown */
    char message[BRINE_ERROR_TEXT];   /* one sentence, no trailing newline */
} brine_error;

/* A short fixed name for a status ("out of memory", "maximum recursion depth
 * exceeded", ...). Never NULL. */
BRINE_API const char *brine_strerror(int code);

/* Resets *err to "no error" (code BRINE_OK, no offset, empty path). */
BRINE_API void brine_error_clear(brine_error *err);

/* Fills *err (if err is not NULL and holds no error yet) with a code and a
 * printf-style message, and returns code. Offset, line and path are left
 * unknown; set the fields directly when known. For plugins and
 * applications that report through brine's error type. */
BRINE_API int brine_error_set(brine_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Like brine_error_set, with the byte offset in the input. */
BRINE_API int brine_error_set_at(brine_error *err, int code, uint64_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* ------------------------------------------------------------------------
 * Allocator
 * ------------------------------------------------------------------------ */

typedef void *(*brine_malloc_fn)(size_t size);
typedef void *(*brine_realloc_fn)(void *ptr, size_t size);
typedef void (*brine_free_fn)(void *ptr);

/* Installs the allocator every later allocation of libbrine (and of plugins
 * that use brine_malloc) goes through. Pass NULLs to restore malloc, realloc
 * and free. Call it before any document or registry exists; it is global and
 * not thread-safe. A NULL return is reported as BRINE_E_NOMEM, never a crash. */
BRINE_API void brine_set_allocator(brine_malloc_fn m, brine_realloc_fn r, brine_free_fn f);

/* Freed documents leave up to 4 MiB of their memory in a cache of the
 * calling thread, for the next document to reuse (this spares the page
 * faults of asking the kernel again; the cache is emptied when the thread
 * exits and by brine_set_allocator). This returns that memory to the
 * allocator now and gives the number of bytes released. */
BRINE_API size_t brine_release_memory(void);

/* The installed allocator, for plugins and for buffers libbrine hands over
 * (brine_encode_buffer's result is freed with brine_free). */
BRINE_API void *brine_malloc(size_t size);
BRINE_API void *brine_realloc(void *ptr, size_t size);
BRINE_API void brine_free(void *ptr);

/* ------------------------------------------------------------------------
 * Documents
 * ------------------------------------------------------------------------ */

typedef struct brine_doc brine_doc;
typedef struct brine_value brine_value;

/* A new empty document (root null, max depth BRINE_DEFAULT_MAX_DEPTH), or
 * NULL when out of memory. Free it with brine_doc_free. */
BRINE_API brine_doc *brine_doc_new(void);

/* Frees the document and every value in it. NULL is allowed. */
BRINE_API void brine_doc_free(brine_doc *doc);

/* The root value (a null value in a new document). Never NULL for a valid doc. */
BRINE_API brine_value *brine_doc_root(brine_doc *doc);

/* Makes v (a value of this document) the root. BRINE_E_INVALID if v belongs
 * to another document. */
BRINE_API int brine_doc_set_root(brine_doc *doc, const brine_value *v, brine_error *err);

/* The depth limit that traversals of this document use (see DEPTH above). */
BRINE_API size_t brine_doc_max_depth(const brine_doc *doc);

/* 0 restores the default. */
BRINE_API void brine_doc_set_max_depth(brine_doc *doc, size_t max_depth);

/* Bytes the document has taken from the allocator, for statistics. */
BRINE_API size_t brine_doc_memory(const brine_doc *doc);

/* The document a value belongs to, or NULL for values that carry no
 * pointer (null, bool, int within 64 bits, float) and for a str or bytes
 * borrowed from the input (BORROWED STRINGS). */
BRINE_API brine_doc *brine_value_doc(const brine_value *v);

/* KINDS. A document keeps, at no cost to read, which kinds of value beyond
 * JSON's it may hold, so that a writer can choose its form before writing
 * a byte (the json writer: plain JSON, or its envelope). The bits are set
 * when such a value is made or stored in the document (decoding, the
 * constructors and setters, brine_value_copy) and never cleared: a tuple
 * since deleted, a container stored twice and then once again, or a value
 * made but never stored, still count. A superset, never a subset. */
#define BRINE_KIND_TUPLE 0x01u     /* a tuple (a model's args too) */
#define BRINE_KIND_BYTES 0x02u     /* bytes */
#define BRINE_KIND_COMPLEX 0x04u   /* a complex */
#define BRINE_KIND_MODEL 0x08u     /* a model */
#define BRINE_KIND_KEY 0x10u       /* a dict key that is not a str */
#define BRINE_KIND_NONFINITE 0x20u /* a NaN or infinite float */
#define BRINE_KIND_SHARED 0x40u    /* a container stored in two places (shared, or in a cycle) */
#define BRINE_KIND_HUGE_INT 0x80u  /* an int of 1786 bytes or more: it may have more than 4300 digits */
#define BRINE_KIND_ARRAY 0x100u    /* an array (#20) */

/* The BRINE_KIND_* bits of v's document together with v's own: a superset
 * of what a walk from v can meet. A container v that is stored somewhere
 * (in its document, or in itself) counts as BRINE_KIND_SHARED, as a walk
 * from it meets it once more than its links say. A float, or an int within
 * 64 bits, has no document: its own kind alone. 0 for NULL. */
BRINE_API unsigned brine_value_kinds(const brine_value *v);

/* ------------------------------------------------------------------------
 * Types
 * ------------------------------------------------------------------------ */

typedef enum brine_type {
    BRINE_NULL = 0,
    BRINE_BOOL = 1,
    BRINE_INT = 2,      /* any size: int64, uint64 and beyond */
    BRINE_FLOAT = 3,    /* IEEE double */
    BRINE_COMPLEX = 4,  /* two doubles */
    BRINE_STR = 5,      /* UTF-8 */
    BRINE_BYTES = 6,
    BRINE_LIST = 7,
    BRINE_TUPLE = 8,
    BRINE_DICT = 9,     /* insertion-ordered, hashable keys */
    BRINE_MODEL = 10,   /* type name, args tuple, state */
    BRINE_ARRAY = 11    /* typed n-dimensional array: <brine/array.h> */
} brine_type;

BRINE_API brine_type brine_type_of(const brine_value *v);

/* "null", "bool", "int", ... */
BRINE_API const char *brine_type_name(brine_type t);

/* Arrays and their element types: ownership, alignment and byte order
 * are described at the top of that header. */
#include <brine/array.h>

/* ------------------------------------------------------------------------
 * Scalars. Constructors return a handle valid for the document's lifetime,
 * or NULL on error (BRINE_E_NOMEM, BRINE_E_UTF8).
 * ------------------------------------------------------------------------ */

BRINE_API brine_value *brine_null_new(brine_doc *doc, brine_error *err);
BRINE_API brine_value *brine_bool_new(brine_doc *doc, int b, brine_error *err);
BRINE_API brine_value *brine_int_new(brine_doc *doc, int64_t i, brine_error *err);
BRINE_API brine_value *brine_uint_new(brine_doc *doc, uint64_t u, brine_error *err);

/* An integer of any size from its two's-complement little-endian bytes (the
 * layout of pickle's LONG1 and Python's int.to_bytes(n, "little",
 * signed=True)). len 0 means 0. Values that fit int64 or uint64 are stored
 * as such: an int's representation never depends on how it was made. */
BRINE_API brine_value *brine_int_new_bytes(brine_doc *doc, const void *le, size_t len, brine_error *err);

/* An integer of any size from decimal text: an optional '-' then digits.
 * BRINE_E_SYNTAX, with err->offset at the first bad byte, for anything
 * else. Text of more than 4300 digits (the sign not counted) is refused
 * with BRINE_E_RANGE, like Python 3.11's int_max_str_digits, because
 * decimal conversion is quadratic; use brine_int_new_bytes for larger
 * ints. */
BRINE_API brine_value *brine_int_new_decimal(brine_doc *doc, const char *text, size_t len, brine_error *err);

BRINE_API brine_value *brine_float_new(brine_doc *doc, double f, brine_error *err);
BRINE_API brine_value *brine_complex_new(brine_doc *doc, double re, double im, brine_error *err);

/* A str from UTF-8 bytes (copied). BRINE_E_UTF8, with the offset of the
 * first bad byte in err->offset, if s is not valid UTF-8 (overlong forms,
 * surrogates and code points above U+10FFFF are invalid). */
BRINE_API brine_value *brine_str_new(brine_doc *doc, const char *s, size_t len, brine_error *err);
BRINE_API brine_value *brine_str_new_cstr(brine_doc *doc, const char *s, brine_error *err);
BRINE_API brine_value *brine_bytes_new(brine_doc *doc, const void *p, size_t len, brine_error *err);

/* Getters, unchecked: for a value already known to have the type. On
 * another type (or NULL) they cannot tell failure from a real 0, so they
 * say nothing: brine_bool_get returns 0, brine_float_get 0.0,
 * brine_complex_get stores 0.0 in both, brine_str_get and brine_bytes_get
 * return NULL and store 0 in *len (when len is not NULL). To check the
 * type and learn what went wrong, use the checked forms (brine_get_bool,
 * brine_get_double ... under CHECKED ACCESS below), which return a status
 * and fill err with "expected float, found str at $.x". */
BRINE_API int brine_bool_get(const brine_value *v);

/* Stores the int in *out and returns BRINE_OK; BRINE_E_RANGE if it does
 * not fit, BRINE_E_TYPE if v is no int (then *out is left alone). err is
 * not filled: brine_get_int64 and brine_get_uint64 are the forms that say
 * why. */
BRINE_API int brine_int_get_i64(const brine_value *v, int64_t *out);
BRINE_API int brine_int_get_u64(const brine_value *v, uint64_t *out);

/* -1, 0 or 1 (0 also for a value that is no int). */
BRINE_API int brine_int_sign(const brine_value *v);

/* The int's minimal two's-complement little-endian bytes: writes up to cap
 * bytes to out and returns the number needed (call with cap 0 to size).
 * 0 has no bytes (returns 0). */
BRINE_API size_t brine_int_to_bytes(const brine_value *v, void *out, size_t cap);

/* Decimal text of the int, NUL-terminated, allocated with brine_malloc (the
 * caller frees it with brine_free); NULL when out of memory or when the int
 * has more than 4300 digits (brine_int_to_bytes has no limit). */
BRINE_API char *brine_int_to_decimal(const brine_value *v);

BRINE_API double brine_float_get(const brine_value *v);
BRINE_API void brine_complex_get(const brine_value *v, double *re, double *im);

/* The bytes of a str or bytes value and their length. The pointer stays
 * valid as long as the document (and, for a document that borrows, its
 * input buffer). str data is followed by a NUL byte, except a str
 * borrowed from the input (BORROWED STRINGS): there the byte after it is
 * the input's next byte, or past its end. */
BRINE_API const char *brine_str_get(const brine_value *v, size_t *len);
BRINE_API const void *brine_bytes_get(const brine_value *v, size_t *len);

/* ------------------------------------------------------------------------
 * Sequences: lists and tuples. A tuple is built like a list; once it is used
 * as a dict key it must not change (it is hashed at that moment).
 * ------------------------------------------------------------------------ */

BRINE_API brine_value *brine_list_new(brine_doc *doc, brine_error *err);
BRINE_API brine_value *brine_tuple_new(brine_doc *doc, brine_error *err);

/* Number of elements of a list or tuple (0 for other types). */
BRINE_API size_t brine_seq_count(const brine_value *seq);

/* Element i, or NULL when i is out of range or seq is not a sequence. */
BRINE_API brine_value *brine_seq_get(const brine_value *seq, size_t i);

/* Appends item (stored as described under VALUES AND HANDLES). A list may
 * contain itself. */
BRINE_API int brine_seq_append(brine_value *seq, const brine_value *item, brine_error *err);

/* Replaces element i (BRINE_E_RANGE when i >= count). */
BRINE_API int brine_seq_set(brine_value *seq, size_t i, const brine_value *item, brine_error *err);

/* Reserves room for count elements in total, so appends up to it do not
 * reallocate. */
BRINE_API int brine_seq_reserve(brine_value *seq, size_t count, brine_error *err);

/* ------------------------------------------------------------------------
 * Dicts: insertion-ordered like Python's. Keys are hashable values: null,
 * bool, int, float, complex, str, bytes and tuples of hashables. Keys compare
 * by type and value: 1, 1.0 and true are three different keys (unlike
 * Python), NaN equals NaN, and -0.0 differs from 0.0, so that every key
 * survives a round trip through any format. Keys are hashed with a random
 * seed per document, so keys chosen to collide cannot be computed in advance
 * (nor anchor ids: docs/formats.md).
 * ------------------------------------------------------------------------ */

BRINE_API brine_value *brine_dict_new(brine_doc *doc, brine_error *err);

/* Number of entries (0 for other types). */
BRINE_API size_t brine_dict_count(const brine_value *dict);

/* Sets key to val. A key already present keeps its position and gets the new
 * value, like Python. BRINE_E_KEY for an unhashable key. */
BRINE_API int brine_dict_set(brine_value *dict, const brine_value *key, const brine_value *val, brine_error *err);

/* Same with a UTF-8 C string key. */
BRINE_API int brine_dict_set_str(brine_value *dict, const char *key, const brine_value *val, brine_error *err);

/* The value for key, or NULL when absent (or key unhashable). */
BRINE_API brine_value *brine_dict_get(const brine_value *dict, const brine_value *key);
BRINE_API brine_value *brine_dict_get_str(const brine_value *dict, const char *key);

/* Removes key; BRINE_E_NOTFOUND when absent. Later entries keep their order. */
BRINE_API int brine_dict_del(brine_value *dict, const brine_value *key, brine_error *err);

/* Iterates in insertion order. Start with *iter = 0; returns 1 and sets *key
 * and *val (either may be NULL) while entries remain, then 0.
 *     size_t it = 0; brine_value *k, *v;
 *     while (brine_dict_next(d, &it, &k, &v)) ...
 * Deleting entries while iterating is safe; setting them is not. */
BRINE_API int brine_dict_next(const brine_value *dict, size_t *iter, brine_value **key, brine_value **val);

/* ------------------------------------------------------------------------
 * Models: a named object, what pickle stores for a class instance with
 * __reduce__: a type name (UTF-8), constructor args (a tuple) and a state
 * (any value; null means no state).
 * ------------------------------------------------------------------------ */

/* A model with empty args and a null state. */
BRINE_API brine_value *brine_model_new(brine_doc *doc, const char *name, size_t len, brine_error *err);

BRINE_API const char *brine_model_name(const brine_value *model, size_t *len);

/* The args tuple (never NULL for a model) and the state. */
BRINE_API brine_value *brine_model_args(const brine_value *model);
BRINE_API brine_value *brine_model_state(const brine_value *model);

/* args must be a tuple of the same document. */
BRINE_API int brine_model_set_args(brine_value *model, const brine_value *args, brine_error *err);
BRINE_API int brine_model_set_state(brine_value *model, const brine_value *state, brine_error *err);

/* ------------------------------------------------------------------------
 * Whole-graph operations. All are iterative, safe on shared and cyclic
 * graphs, and bounded by max_depth (0 means the document's limit).
 * ------------------------------------------------------------------------ */

/* 1 if a and b are deeply equal, 0 if not, or a negative brine_status
 * negated (-BRINE_E_DEPTH, -BRINE_E_NOMEM) if the comparison could not
 * finish (err says why). Equal means the same shape, including which
 * containers are shared: [x, x] with one shared x differs from [x, y] with
 * equal but distinct x and y. Floats compare by their bits, for round-trip
 * purposes: a NaN equals a NaN with the same payload, -0.0 differs from 0.0.
 * Ints compare by value. Dicts compare entry by entry, in order. */
BRINE_API int brine_value_equal(const brine_value *a, const brine_value *b, size_t max_depth, brine_error *err);

/* A deep copy of v into doc (which may be v's own document), preserving
 * sharing and cycles. NULL on error. */
BRINE_API brine_value *brine_value_copy(brine_doc *doc, const brine_value *v, size_t max_depth, brine_error *err);

/* Writes a Python-repr style rendering of v: [1, 2.5, 'x', (1,), {'a':
 * b'\x00'}], models as Type(args..., state=...), a container met again while
 * it is being printed as [...], (...), {...} or Type(...). Arrays print as
 * numpy 1.24's repr() does (array([1.5, 2. ]), dtype=..., ISO datetime64,
 * records as tuples, '...' past 1000 elements), but for a record's float,
 * complex and bool fields, which print as Python's repr of tolist() (4.0
 * where numpy aligns 4. across the array). Ints of more than
 * 4300 digits print in hex (0x..., -0x...). A shared container prints in
 * full each time it is met, as in Python; printing fails with BRINE_E_RANGE
 * when that would repeat beyond 16 times the document's slots plus
 * 1,000,000 values (a small hostile file can stand for 2^64 lists). Writes at most cap
 * bytes including the NUL to out (when cap > 0) and returns the full length
 * the rendering needs, or (size_t)-1 on error. */
BRINE_API size_t brine_value_repr(const brine_value *v, char *out, size_t cap, size_t max_depth, brine_error *err);

/* The same rendering written to a stream; returns a brine_status. */
BRINE_API int brine_value_print(const brine_value *v, FILE *fp, size_t max_depth, brine_error *err);

/* Like brine_value_print, indented for reading, as Python's pprint does:
 * a container whose rendering fits in width columns (0: 80) at its
 * indentation is printed on one line; a longer one has each element (each
 * dict entry) on a line of its own, indented 4 spaces a level, with a
 * trailing comma, so the text is still a Python expression. */
BRINE_API int brine_value_print_pretty(const brine_value *v, FILE *fp, size_t width, size_t max_depth,
                                       brine_error *err);

/* ------------------------------------------------------------------------
 * Paths: the syntax brine's errors print (brine_error.path).
 * ------------------------------------------------------------------------ */

/* The value at path inside root, or NULL. The syntax: "$" for root, then
 * steps: .name (a str key made of letters, digits and _), ["key"] or
 * ['key'] (any str key; a backslash escapes the quote and itself), [N]
 * (an element of a list or tuple, negative from the end as in Python, or
 * an int key of a dict), [None], [True], [False] (those dict keys), and
 * .args and .state inside a model: "$.users[1].name", "$['odd key'][0]".
 * BRINE_E_SYNTAX with err->offset at the bad character for a malformed
 * path; BRINE_E_NOTFOUND naming the step, with err->path set to the part
 * of the path that was found, when a key or index is missing or the value
 * there is not a container. The result is a handle into root's document,
 * valid like any getter's (see VALUES AND HANDLES). */
BRINE_API brine_value *brine_path_get(const brine_value *root, const char *path, brine_error *err);

/* ------------------------------------------------------------------------
 * CHECKED ACCESS, in the manner of Lua's luaL_checkinteger. A value handle
 * does not know its parent, so each call takes a base value and a path in
 * brine_path_get's syntax ("$.users[0].id"; NULL or "$" for the base
 * itself) and finds, checks and stores the value in one step. They are
 * named brine_get_<what> because they get the value at a path, which
 * the unchecked brine_<type>_get getters above do not.
 *
 * Each returns a brine_status and fills err (cleared first, so it reports
 * this call alone):
 *   BRINE_E_NOTFOUND  "no key 'id' at $.users[0]", "no index 5 at $.users,
 *                     a list of 2", "no key 'x' at $.n, which is a int";
 *                     err->path is the deepest part of the path that exists;
 *   BRINE_E_TYPE      "expected int, found str at $.users[0].id";
 *                     err->path is the full path;
 *   BRINE_E_RANGE     "expected int64, found an int out of its range at ...";
 *   BRINE_E_SYNTAX    a malformed path (as brine_path_get);
 *   BRINE_E_INVALID   v is NULL.
 * On failure the outputs are left alone; any output pointer may be NULL
 * to check without storing. Results are handles and pointers into v's
 * document, valid as brine_path_get's are.
 *
 * Types are brine's: a bool is not an int (JSON's true is no 1), and an
 * int is not read from a float. brine_get_double accepts an int too, as
 * Python's float() does: rounded to the nearest double, BRINE_E_RANGE for
 * an int beyond the double range (Python's OverflowError); a bool it
 * refuses, where Python would take it. brine_get_complex accepts a
 * complex, a float or an int (imaginary part 0), as Python's complex()
 * does.
 * ------------------------------------------------------------------------ */

BRINE_API int brine_get_bool(const brine_value *v, const char *path, int *out, brine_error *err);
BRINE_API int brine_get_int64(const brine_value *v, const char *path, int64_t *out, brine_error *err);
BRINE_API int brine_get_uint64(const brine_value *v, const char *path, uint64_t *out, brine_error *err);
BRINE_API int brine_get_double(const brine_value *v, const char *path, double *out, brine_error *err);
BRINE_API int brine_get_complex(const brine_value *v, const char *path, double *re, double *im, brine_error *err);

/* The bytes of a str (followed by a NUL unless borrowed from the input,
 * see BORROWED STRINGS; it may hold NULs: use *len) or of a bytes value,
 * and their length. */
BRINE_API int brine_get_str(const brine_value *v, const char *path, const char **s, size_t *len, brine_error *err);
BRINE_API int brine_get_bytes(const brine_value *v, const char *path, const void **p, size_t *len, brine_error *err);

/* The container itself, which must have that type. */
BRINE_API int brine_get_list(const brine_value *v, const char *path, brine_value **out, brine_error *err);
BRINE_API int brine_get_tuple(const brine_value *v, const char *path, brine_value **out, brine_error *err);
BRINE_API int brine_get_dict(const brine_value *v, const char *path, brine_value **out, brine_error *err);

/* A model; with name not NULL, a model of that type name exactly, else
 * BRINE_E_TYPE "expected a model of type 'T', found a model of type 'U'
 * at $.m" (a model of another type is a value of the wrong type here). */
BRINE_API int brine_get_model(const brine_value *v, const char *path, const char *name, brine_value **out,
                              brine_error *err);

/* ------------------------------------------------------------------------
 * PACK AND UNPACK, in the manner of jansson's json_pack/json_unpack: build
 * a nested value from a format string and C arguments in one call, or read
 * one into C variables.
 *
 *     brine_value *v = brine_pack(doc, &err, "{s: [{s: i, s: s}]}",
 *                                 "users", "id", 1, "name", "Ada");
 *     int64_t id; const char *name;
 *     rc = brine_unpack(v, &err, "{s: [{s: I, s?: s}]}", "users", "id", &id, "name", &name);
 *
 * code     value    pack takes                   unpack takes
 * n        null     nothing                      nothing
 * b        bool     int                          int *
 * i        int      int                          int * (BRINE_E_RANGE if it does not fit)
 * I        int      int64_t                      int64_t *
 * U        int      uint64_t                     uint64_t *
 * N        int      const char * decimal text    char ** decimal text (brine_malloc'd:
 *                   of any size (brine_int_new_  free with brine_free; freed and set to
 *                   decimal's rules)             NULL again when unpack fails)
 * f        float    double                       double * (an int too, as brine_get_double)
 * c        complex  double re, double im         double *re, double *im (as brine_get_complex)
 * s        str      const char * (NUL-ended)     const char ** (NUL-ended; may hold NULs;
 *                                                BRINE_E_INVALID for a str borrowed from
 *                                                the input, which has no NUL: use s#)
 * s#       str      const char *, size_t len     const char **, size_t *len
 * y        bytes    const char * (NUL-ended)     (refused: use y#)
 * y#       bytes    const void *, size_t len     const void **, size_t *len
 * O        any      brine_value * (of doc)       brine_value ** (the handle)
 * [...]    list     the items' arguments         the items' arguments, in order
 * (...)    tuple    the items' arguments         the items' arguments, in order
 * {K V...} dict     each key's, then its value's each key's (as pack takes them), then
 *                                                the value's
 * M A S    model    const char *type name, then  const char *type name (NULL: any),
 *                   the args item A (a tuple)    then A and S as unpack reads them
 *                   and the state item S
 * A        reserved for arrays (a later version); BRINE_E_INVALID today
 *
 * Spaces, tabs, newlines, ',' and ':' between items are ignored. A dict
 * key K is any item, usually s (a C string key); i, (...) and the others
 * make keys of other types. In pack, '?' after s, s#, y, y#, N or O packs
 * None for a NULL pointer (without it, NULL is BRINE_E_INVALID). In
 * unpack, '?' after a dict key makes it optional: when the key is absent
 * its value's outputs are left alone (its arguments are still consumed).
 * '!' just before the closing ']', ')' or '}' makes unpack fail with
 * BRINE_E_TYPE when the list or tuple has more items than the format, or
 * the dict keys the format did not name ("unexpected key 'x' at $.a");
 * '*' (the default) allows them. Unpack output pointers may be NULL to
 * check without storing.
 *
 * Errors fill err (cleared first) with the path of the value: pack
 * "invalid UTF-8 ..." with err->path "$.users[0].name"; unpack as the
 * checked getters, "expected str, found int at $.users[0].name",
 * "no key 'name' at $.users[0]". A mistake in the format itself is
 * BRINE_E_INVALID with err->offset at the offending character of fmt.
 * On failure, unpack may have stored some outputs already; pack returns
 * NULL (the values it made stay in doc until doc is freed). Formats nest
 * at most 64 containers deep.
 * ------------------------------------------------------------------------ */

/* A new value in doc built from fmt and the arguments, or NULL. */
BRINE_API brine_value *brine_pack(brine_doc *doc, brine_error *err, const char *fmt, ...);
BRINE_API brine_value *brine_vpack(brine_doc *doc, brine_error *err, const char *fmt, va_list ap);

/* Reads v as fmt says into the arguments' pointers; a brine_status. */
BRINE_API int brine_unpack(const brine_value *v, brine_error *err, const char *fmt, ...);
BRINE_API int brine_vunpack(const brine_value *v, brine_error *err, const char *fmt, va_list ap);

/* ------------------------------------------------------------------------
 * Text utilities shared with plugins.
 * ------------------------------------------------------------------------ */

/* Returns len if s[0..len) is valid UTF-8, else the offset of the first
 * byte of the first invalid sequence. */
BRINE_API size_t brine_utf8_check(const char *s, size_t len);

/* Writes the shortest decimal form of d that reads back to the same double
 * (Python's repr: "1.1", "1e+16", "5e-324", "nan", "inf", "-inf", "-0.0"),
 * NUL-terminated, into buf (BRINE_DTOA_SIZE bytes), and returns its length. */
#define BRINE_DTOA_SIZE 32
BRINE_API size_t brine_dtoa(double d, char buf[BRINE_DTOA_SIZE]);

#ifdef __cplusplus
}
#endif
#endif /* BRINE_BRINE_H */
