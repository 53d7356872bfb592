/* descr.h: numpy's dtype.descr of a record, as the msgpack and json
 * plugins store an array's element type (docs/msgpack.md, docs/json.md):
 * the record's fields in offset order, each a name, a type and an optional
 * sub-array shape, with the gaps between them as unnamed '|V<n>' padding
 * entries, as numpy writes it. Each plugin reads and writes the entries in
 * its own syntax; this file holds what they share: the order of the
 * entries when writing, and building the record from them when reading
 * (offsets follow from the sizes, like numpy.lib.format's descr_to_dtype).
 * Compiled into both modules (plugins/Makefile.am files).
 */
#ifndef BRINE_PLUGINS_DESCR_H
#define BRINE_PLUGINS_DESCR_H

#include <stddef.h>
#include <stdint.h>

#include <brine/plugin.h>

/* One entry of a descr when writing: a field (field >= 0, its index in the
 * record) or padding of pad bytes (field -1). */
typedef struct pd_entry {
    long field;
    uint64_t pad;
} pd_entry;

/* The entries of record dt in numpy's order, into a brine_malloc'd array
 * (free with brine_free) of *count entries; NULL when out of memory. */
pd_entry *pd_entries(const brine_dtype *dt, size_t *count);

/* A record being read from its descr: entries are added in order, each
 * field placed after the bytes of those before it. */
typedef struct pd_field {
    const char *name; /* in the caller's input: valid until pd_finish */
    size_t len;
    const brine_dtype *dtype;
    uint64_t offset;
    unsigned ndim;
    size_t shape_at; /* its shape in shapes[shape_at .. + ndim) */
} pd_field;

typedef struct pd_record {
    pd_field *fields;
    size_t count, cap;
    uint64_t *shapes;
    size_t nshapes, shapes_cap;
    uint64_t size; /* bytes so far: where the next entry starts */
} pd_record;

/* Adds an entry: an unnamed (len 0) entry of kind 'V' without fields and
 * without a shape is padding (only its bytes count), anything else a
 * field. BRINE_E_RANGE (with a message in err) when the record's size
 * would pass BRINE_PD_MAX_SIZE or it would have more than
 * BRINE_PD_MAX_FIELDS fields, BRINE_E_NOMEM. */
#define BRINE_PD_MAX_FIELDS 1024
#define BRINE_PD_MAX_SIZE ((uint64_t)1 << 40)
int pd_add(pd_record *r, const char *name, size_t len, const brine_dtype *dt, unsigned ndim, const uint64_t *shape,
           brine_error *err);

/* The record of the entries added, owned by doc (NULL with err filled:
 * BRINE_E_RANGE for a record of 0 bytes, a repeated name as the record
 * builder reports it). The entries stay for pd_free. */
brine_dtype *pd_finish(pd_record *r, brine_doc *doc, brine_error *err);
void pd_free(pd_record *r);

/* The element count of a shape and the bytes it takes at itemsize,
 * overflow-checked (both must fit in SIZE_MAX / 2): 0, or -1. */
int pd_shape_size(unsigned ndim, const uint64_t *shape, size_t itemsize, uint64_t *count, size_t *nbytes);

#endif /* BRINE_PLUGINS_DESCR_H */
