/* internal.h: the layout of documents and values, and the brinep_ calls that
 * core files share. Nothing here is exported from libbrine.
 *
 * A value slot (struct brine_value) is 16 bytes: a type tag and a payload.
 * Scalars live in the slot; str, bytes, big ints and complex numbers point
 * at an immutable arena block that records its document; containers point
 * at a node (seq, dict, model) that records its document. Container nodes
 * never move, so their address is their identity (used for sharing, cycle
 * detection and anchors); their element arrays may move when they grow.
 */
#ifndef BRINE_INTERNAL_H
#define BRINE_INTERNAL_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "brine/brine.h"
#include "brine/plugin.h"

#include "private/attrs.h"

/* Int representations inside BRINE_INT: the payload field in use. */
enum { BRINEP_INT_I64 = 0, BRINEP_INT_U64 = 1, BRINEP_INT_BIG = 2 };

/* Str and bytes representations (#23): a blob (0), or data borrowed from
 * the decoded input: as.ptr points into the document's borrowed range
 * (brine_doc.borrow_lo/hi), the length sits in the slot's 6 spare bytes,
 * and no NUL follows. Read either through brinep_bytes_of. */
enum { BRINEP_STR_BLOB = 0, BRINEP_STR_BORROWED = 1 };

typedef struct brinep_blob {
    brine_doc *doc;
    size_t len;  /* bytes in data, not counting the NUL that follows */
    char data[]; /* str: UTF-8; bytes; big int: minimal two's-complement LE */
} brinep_blob;

typedef struct brinep_complex {
    brine_doc *doc;
    double re, im;
} brinep_complex;

/* Every container node starts with its document and its link count: how
 * many slots point at it (its in-degree in the document). Each call that
 * stores, replaces or removes a slot keeps it, so the walker knows the
 * shared containers without a counting pass or a table lookup per node. */
typedef struct brinep_node_head {
    brine_doc *doc;
    size_t links;
} brinep_node_head;

typedef struct brinep_seq {
    brine_doc *doc;
    size_t links;       /* slots pointing here */
    size_t count;       /* elements in use */
    size_t cap;         /* elements allocated in items */
    brine_value *items; /* arena memory */
} brinep_seq;

typedef struct brinep_entry brinep_entry;

typedef struct brinep_dict {
    brine_doc *doc;
    size_t links;          /* slots pointing here */
    size_t count;          /* live entries */
    size_t used;           /* entries[0..used) in order, deleted ones included */
    size_t cap;            /* entries allocated */
    brinep_entry *entries; /* arena memory */
    uint32_t *index;       /* open-addressing table of entry index + 1, 0 = empty; NULL while small */
    size_t index_cap;      /* slots in index, a power of two */
} brinep_dict;

typedef struct brinep_model brinep_model;

/* An array node (core/array.c): a container for sharing (doc and links
 * first, like the others), a leaf for traversals. Its data is 16-byte
 * aligned arena memory, or memory adopted with a finalizer. */
typedef struct brinep_array {
    brine_doc *doc;
    size_t links; /* slots pointing here */
    const brine_dtype *dtype;
    unsigned ndim;
    uint64_t *shape; /* ndim sizes, arena memory; NULL for 0-d */
    uint64_t count;  /* elements */
    size_t nbytes;   /* count x itemsize */
    unsigned char *data;
} brinep_array;

struct brine_value {
    union {
        struct {
            uint8_t type; /* brine_type */
            uint8_t sub;  /* BRINEP_INT_* for ints */
            uint8_t pad_[6];
        };
        uint64_t head; /* the same bytes as one word: see brinep_slot */
    };
    union {
        int b;
        int64_t i;
        uint64_t u;
        double f;
        brinep_blob *blob;  /* str, bytes, big int */
        const char *ptr;    /* str, bytes with sub BRINEP_STR_BORROWED */
        brinep_complex *cx; /* complex */
        brinep_seq *seq;    /* list, tuple */
        brinep_dict *dict;
        brinep_model *model;
        brinep_array *array;
    } as;
};

/* A slot built from two words, which compilers keep in registers: built
 * field by field in memory and then copied with a wide load, a slot stalls
 * on store forwarding (a quarter of the builder's time once). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define BRINEP_HEAD(type, sub) ((uint64_t)(type) << 56 | (uint64_t)(sub) << 48)
#define BRINEP_HEAD_PAD(head) ((head) & BRINEP_BORROW_MAX)
#define BRINEP_PAD_HEAD(len) ((uint64_t)(len))
#else
#define BRINEP_HEAD(type, sub) ((uint64_t)(type) | (uint64_t)(sub) << 8)
#define BRINEP_HEAD_PAD(head) ((head) >> 16)
#define BRINEP_PAD_HEAD(len) ((uint64_t)(len) << 16)
#endif

/* The longest str or bytes a slot can borrow: its length fills the 48 bits
 * of pad_. Longer ones are copied, as in a document that borrows nothing. */
#define BRINEP_BORROW_MAX ((UINT64_C(1) << 48) - 1)

static inline brine_value brinep_slot(unsigned type, unsigned sub, uint64_t bits)
{
    brine_value v;
    v.head = BRINEP_HEAD(type, sub);
    v.as.u = bits;
    return v;
}

struct brinep_model {
    brine_doc *doc;
    size_t links;      /* slots pointing here */
    brinep_blob *name; /* UTF-8 type name */
    brine_value args;  /* a tuple slot */
    brine_value state; /* any value; null for none */
};

struct brinep_entry {
    brine_value key;
    brine_value val;
    uint64_t hash; /* of key; entry deleted when key.type == BRINEP_DELETED */
};

#define BRINEP_DELETED 0xFF

/* ---- arena (core/arena.c) -------------------------------------------- */

typedef struct brinep_chunk brinep_chunk;

struct brine_doc {
    brinep_chunk *chunks; /* newest first; bump allocation in the newest */
    unsigned char *top;   /* next free byte of the newest chunk */
    unsigned char *limit; /* end of the newest chunk */
    void *last;           /* the last block allocated, which may grow in place */
    size_t memory;        /* bytes taken from the allocator */
    size_t max_depth;
    uint64_t seed; /* hash seed, random per document */
    brine_value root;
    /* A str, bytes or big-int blob may be pointed at by two slots: set by
     * the paths that store an existing blob again (value API stores, a copy
     * within the document, the builder's scalar REF), never by decoding
     * fresh events. The walker looks for shared blobs only when it is set
     * (walk.c). A flag, not a link count in each blob: the borrowed
     * strings planned in #23 point into the input and have no header. */
    int shared_blobs;
    /* BRINE_KIND_* bits: the kinds of value beyond JSON's that the document
     * may hold, set where such a value is made or stored (the builder's
     * events, the value API, brinep_link, brine_value_copy) and never
     * cleared, so a superset (brine_value_kinds). */
    unsigned kinds;
    /* Called at brine_doc_free, newest first: adopted array memory. */
    struct brinep_finalizer *finalizers;
    /* The caller's input that str and bytes slots may point into
     * (brine_decode_buffer_borrowed, #23): [borrow_lo, borrow_hi), both
     * NULL when the document borrows nothing. */
    const char *borrow_lo, *borrow_hi;
    /* A repeated dict key replaced a kept entry's value (dict.c): a walk
     * now meets that value before what was decoded between, so a reference
     * in it may take a shared container deeper than it was decoded
     * (builder_finish checks the depth again). */
    int folded;
    /* The name of the last model made (value.c): the next model of the
     * same name points at it instead of a copy of its own (a name is
     * immutable; a pickle of 300,000 instances of one class made 300,000
     * copies of its name, 32 bytes each). */
    struct brinep_blob *model_name;
};

typedef struct brinep_finalizer {
    struct brinep_finalizer *next;
    void (*fn)(void *);
    void *arg;
} brinep_finalizer;

/* Blocks above this many bytes get a chunk of their own. */
#define BRINEP_DEDICATED_MIN ((size_t)16 << 10)

void *brinep_alloc_slow(brine_doc *doc, size_t size);

/* size bytes aligned to 16, or NULL when out of memory. The bump is inline:
 * decoders allocate once per string or container. */
static inline void *brinep_alloc(brine_doc *doc, size_t size)
{
    size_t aligned = (size + 15) & ~(size_t)15;
    if (size - 1 < BRINEP_DEDICATED_MIN && (size_t)(doc->limit - doc->top) >= aligned) {
        void *p = doc->top;
        doc->top += aligned;
        doc->last = p;
        return p;
    }
    return brinep_alloc_slow(doc, size); /* a new chunk, a dedicated block, 0 or absurd sizes */
}

/* Grows a block from old_size to new_size bytes (in place when it is the
 * last block), copying its contents; NULL when out of memory (the old block
 * stays valid). old_size must be exactly the size the block was allocated
 * or last grown with: large blocks live in chunks of their own and are
 * resized with brine_realloc. */
void *brinep_grow(brine_doc *doc, void *block, size_t old_size, size_t new_size);

/* A blob of len bytes copied from p (p may be NULL to leave it unfilled),
 * NUL-terminated. */
static inline brinep_blob *brinep_blob_new(brine_doc *doc, const void *p, size_t len)
{
    if (len > SIZE_MAX - sizeof(brinep_blob) - 64)
        return NULL;
    brinep_blob *b = brinep_alloc(doc, sizeof(brinep_blob) + len + 1);
    if (!b)
        return NULL;
    b->doc = doc;
    b->len = len;
    if (p && len)
        memcpy(b->data, p, len);
    b->data[len] = '\0';
    return b;
}

/* ---- values (core/value.c, core/dict.c) ------------------------------- */

/* A str or bytes slot borrowed from the input (BRINEP_STR_BORROWED). */
static BRINEP_INLINE int brinep_borrowed(const brine_value *v)
{
    return (v->type == BRINE_STR || v->type == BRINE_BYTES) && v->sub == BRINEP_STR_BORROWED;
}

/* A borrowed str or bytes slot for len bytes at p (len <= BRINEP_BORROW_MAX). */
static BRINEP_INLINE brine_value brinep_borrowed_slot(unsigned type, const char *p, size_t len)
{
    brine_value v;
    v.head = BRINEP_HEAD(type, BRINEP_STR_BORROWED) | BRINEP_PAD_HEAD(len);
    v.as.ptr = p;
    return v;
}

/* The data and length of a str or bytes slot, blob or borrowed: the one
 * way core reads them. A borrowed one's data is not followed by a NUL. */
static BRINEP_INLINE const char *brinep_bytes_of(const brine_value *v, size_t *len)
{
    if (v->sub == BRINEP_STR_BORROWED) {
        *len = (size_t)BRINEP_HEAD_PAD(v->head);
        return v->as.ptr;
    }
    *len = v->as.blob->len;
    return v->as.blob->data;
}

/* Does doc borrow the len bytes at p: may a slot of doc point at them? */
static BRINEP_INLINE int brinep_doc_borrows(const brine_doc *doc, const void *p, size_t len)
{
    /* One unsigned compare for "inside": an empty range (NULL, NULL)
     * holds nothing, not even NULL. */
    uintptr_t at = (uintptr_t)p - (uintptr_t)doc->borrow_lo;
    uintptr_t span = (uintptr_t)doc->borrow_hi - (uintptr_t)doc->borrow_lo;
    return at < span && len <= span - at && (uint64_t)len <= BRINEP_BORROW_MAX;
}

/* A slot that may be stored in doc as v is: a borrowed one whose data lies
 * outside doc's borrowed range (another document's input) becomes a blob
 * of doc. BRINE_E_NOMEM, else BRINE_OK. */
int brinep_adopt_borrowed(brine_doc *doc, const brine_value *v, brine_value *out);

/* The blob a str, bytes or big-int slot points at, or NULL (borrowed
 * slots have none). */
static inline brinep_blob *brinep_slot_blob(const brine_value *v)
{
    return ((v->type == BRINE_STR || v->type == BRINE_BYTES) && v->sub != BRINEP_STR_BORROWED) ||
                   (v->type == BRINE_INT && v->sub == BRINEP_INT_BIG)
               ? v->as.blob
               : NULL;
}

/* Ints of this many bytes (two's complement) or more may have more than
 * 4300 decimal digits (10^4300 takes 14,286 bits with the sign); shorter
 * ones have at most 4299. */
#define BRINEP_HUGE_INT_BYTES 1786

/* BRINE_KIND_NONFINITE for the bits of a NaN or an infinity (all exponent
 * bits set), else 0. */
static BRINEP_INLINE unsigned brinep_float_kinds(uint64_t bits)
{
    return (bits >> 52 & 0x7ff) == 0x7ff ? BRINE_KIND_NONFINITE : 0;
}

/* The BRINE_KIND_* bits of the slot itself (not of what it contains). */
static BRINEP_INLINE unsigned brinep_slot_kinds(const brine_value *v)
{
    switch (v->type) {
    case BRINE_INT:
        return v->sub == BRINEP_INT_BIG && v->as.blob->len >= BRINEP_HUGE_INT_BYTES ? BRINE_KIND_HUGE_INT : 0;
    case BRINE_FLOAT: return brinep_float_kinds(v->as.u);
    case BRINE_COMPLEX: return BRINE_KIND_COMPLEX;
    case BRINE_BYTES: return BRINE_KIND_BYTES;
    case BRINE_TUPLE: return BRINE_KIND_TUPLE;
    case BRINE_MODEL: return BRINE_KIND_MODEL;
    case BRINE_ARRAY: return BRINE_KIND_ARRAY;
    default: return 0;
    }
}

/* A slot of doc is about to be stored into another slot of doc: if it
 * points at a blob, that blob may now be shared (brine_doc.shared_blobs);
 * its kind joins the document's (a float or an int has no document of its
 * own to say so). */
static inline void brinep_note_store(brine_doc *doc, const brine_value *v)
{
    if (brinep_slot_blob(v) || brinep_borrowed(v))
        doc->shared_blobs = 1;
    doc->kinds |= brinep_slot_kinds(v);
}

/* Blobs shorter than this are never anchored (BRINE_SINK_SCALAR_REFS):
 * the walker sends them again and the builder copies them again. See
 * walk.c for the measurement behind the figure. */
#define BRINEP_SHARE_MIN 16

/* The container node a slot points at, or NULL for scalars. */
static inline void *brinep_node(const brine_value *v)
{
    switch (v->type) {
    case BRINE_LIST:
    case BRINE_TUPLE: return v->as.seq;
    case BRINE_DICT: return v->as.dict;
    case BRINE_MODEL: return v->as.model;
    case BRINE_ARRAY: return v->as.array;
    default: return NULL;
    }
}

/* Adds delta to the link count of the container v points at (no-op for
 * scalars). Called whenever a slot inside a document starts or stops
 * pointing at a container; past one link the container is shared
 * (BRINE_KIND_SHARED). */
static BRINEP_INLINE void brinep_link(const brine_value *v, int delta)
{
    brinep_node_head *n = brinep_node(v);
    if (n) {
        n->links += (size_t)(ptrdiff_t)delta;
        if (delta > 0 && n->links > 1)
            n->doc->kinds |= BRINE_KIND_SHARED;
    }
}

/* brinep_link(v, -1) for a slot that stops pointing at v for good (a
 * value replaced, removed, or folded away as a repeated key): a container
 * left with no link drops the links of its own items in turn (core/value.c),
 * so that a container pointed at only from dropped values is not taken for
 * shared, and gets no anchor that no REF uses. */
void brinep_unlink(const brine_value *v);

/* brinep_link(v, 1) for a container that no slot points at yet (the
 * builder's containers at their END): its first link shares nothing, so
 * the test for BRINE_KIND_SHARED is left out (a test per container cost
 * 1.5% of canada's decode instructions, 111k lists of two floats). */
static BRINEP_INLINE void brinep_link_first(const brine_value *v)
{
    brinep_node_head *n = brinep_node(v);
    if (n)
        n->links++;
}

/* A node's size rounded to the arena's alignment. */
#define BRINEP_NODE_SIZE(t) ((sizeof(t) + 15) & ~(size_t)15)

/* Up to this many items are allocated in the same block as their node. */
#define BRINEP_SEQ_INLINE_MAX 32

/* Container nodes (containers are allocated in doc). A few items share the
 * node's block; the items move out when they grow, the node never moves.
 * Larger arrays get a block of their own, which brinep_grow can extend in
 * place. Inline: decoders allocate one per list. */
static inline brinep_seq *brinep_seq_alloc(brine_doc *doc, size_t cap)
{
    if (cap > SIZE_MAX / sizeof(brine_value) - BRINEP_NODE_SIZE(brinep_seq))
        return NULL;
    int inline_items = cap <= BRINEP_SEQ_INLINE_MAX;
    brinep_seq *s = brinep_alloc(doc, BRINEP_NODE_SIZE(brinep_seq) + (inline_items ? cap * sizeof(brine_value) : 0));
    if (!s)
        return NULL;
    s->doc = doc;
    s->links = 0;
    s->count = 0;
    s->cap = cap;
    if (!cap)
        s->items = NULL;
    else if (inline_items)
        s->items = (brine_value *)((char *)s + BRINEP_NODE_SIZE(brinep_seq));
    else if (!(s->items = brinep_alloc(doc, cap * sizeof(brine_value))))
        return NULL;
    return s;
}
brinep_dict *brinep_dict_alloc(brine_doc *doc, size_t cap);
brinep_model *brinep_model_alloc(brine_doc *doc, const char *name, size_t len);

/* Appends without the checks of the public calls (same document assumed). */
int brinep_seq_push(brinep_seq *seq, const brine_value *item);

/* Sets key to val in d (the Python semantics of brine_dict_set). */
/* "an" before a type name that starts with a vowel ("an int"), else "a". */
static inline const char *brinep_article(const char *noun)
{
    return noun[0] && strchr("aeiou", noun[0]) ? "an" : "a";
}

/* brine_dict_get_str with a key of len bytes (not NUL-terminated). */
brine_value *brinep_dict_get_strn(const brine_value *dict, const char *key, size_t len);
int brinep_dict_put(brinep_dict *d, const brine_value *key, const brine_value *val, size_t max_depth, brine_error *err);

/* Building a dict in bulk (the builder): entries are appended as they come
 * (BRINE_E_NOMEM or BRINE_E_RANGE), scalar keys unchecked, tuple keys with
 * their hash from brinep_key_hash (which checked them), and nothing may look
 * the dict up until brinep_dict_seal has checked the other keys, applied the
 * rules for repeated keys and built the index in one pass. On failure *bad
 * is the key at fault. */
int brinep_dict_append_raw(brinep_dict *d, const brine_value *key, const brine_value *val, uint64_t hash);
int brinep_dict_seal(brinep_dict *d, size_t max_depth, brine_value *bad, brine_error *err);

/* Hash of a hashable key; BRINE_E_KEY (or BRINE_E_DEPTH for absurdly
 * nested tuples) when not hashable. */
int brinep_key_hash(const brine_doc *doc, const brine_value *key, size_t max_depth, uint64_t *out, brine_error *err);

/* A slot for a big int from minimal two's-complement LE bytes, normalised
 * to I64/U64 when it fits. */
int brinep_int_from_bytes(brine_doc *doc, const void *le, size_t len, brine_value *out);

/* Decimal text of an int (brine_malloc'd, NUL-terminated, its length in
 * *len if len is not NULL): BRINE_OK, BRINE_E_RANGE past 4300 digits, or
 * BRINE_E_NOMEM. */
int brinep_int_decimal(const brine_value *v, char **out, size_t *len);

/* Two scalars of the same type are equal (core/equal.c). */
int brinep_scalar_equal(const brine_value *a, const brine_value *b);

/* The sort_keys order of two hashable keys (core/order.c): <0, 0 or >0. */
int brinep_key_compare(const brine_value *a, const brine_value *b);

/* Fills order (room for d->count pointers) with d's live entries in
 * sort_keys order and returns their count. */
size_t brinep_dict_order(const brinep_dict *d, const brinep_entry **order);

/* ---- shared utilities ------------------------------------------------- */

/* A fresh random hash seed (core/arena.c): for a document's dicts and for
 * each brinep_map. Thread-safe, no system call after the first. */
uint64_t brinep_seed(void);

/* An open-addressing map from nonzero uint64 keys to uint64 values
 * (core/map.c): node addresses to counts or ids, anchor ids to nodes. Keys
 * may come from input (anchor ids), so each map hashes with its own seed. */
typedef struct brinep_map {
    uint64_t *keys; /* 0 = empty */
    uint64_t *vals;
    size_t cap; /* a power of two, or 0 */
    size_t count;
    uint64_t seed; /* drawn when the map first gets room */
} brinep_map;

void brinep_map_init(brinep_map *m);
void brinep_map_destroy(brinep_map *m);
/* Pointer to the value for key, inserting it with value 0 when absent
 * (*added set to 1 then); NULL when out of memory. */
uint64_t *brinep_map_upsert(brinep_map *m, uint64_t key, int *added);
/* Pointer to the value for key, or NULL. */
uint64_t *brinep_map_find(const brinep_map *m, uint64_t key);
/* Removes key if present. */
void brinep_map_remove(brinep_map *m, uint64_t key);

/* A growable array of fixed-size frames on the heap (explicit traversal
 * stacks). */
typedef struct brinep_stack {
    unsigned char *data;
    size_t size; /* bytes per frame */
    size_t count;
    size_t cap;
} brinep_stack;

void brinep_stack_init(brinep_stack *s, size_t frame_size);
void brinep_stack_destroy(brinep_stack *s);
/* A new zeroed frame on top, or NULL when out of memory. */
void *brinep_stack_push(brinep_stack *s);
static inline void *brinep_stack_top(brinep_stack *s)
{
    return s->count ? s->data + (s->count - 1) * s->size : NULL;
}
static inline void *brinep_stack_at(brinep_stack *s, size_t i)
{
    return s->data + i * s->size;
}
static inline void brinep_stack_pop(brinep_stack *s)
{
    s->count--;
}

/* Path building (core/pathstep.c, the renderer behind brine_path_append_*
 * in <brine/plugin.h>): appends a step to a path. */
void brinep_path_index(char *path, size_t cap, size_t index);
void brinep_path_key(char *path, size_t cap, const brine_value *key);
void brinep_path_str_key(char *path, size_t cap, const char *s, size_t len);
void brinep_path_name(char *path, size_t cap, const char *name); /* .args, .state */
void brinep_path_unnamed(char *path, size_t cap);                /* [...]: a key not at hand */

/* The message for depth errors, like Python's. */
int brinep_depth_error(brine_error *err, size_t max_depth, const char *while_doing);

/* Fills err with BRINE_E_NOMEM. */
/* The first statement of every public call that takes err: err reports
 * that call alone (brine.h, ERRORS), and within the call the first error
 * wins. The stream primitives that plugins call in the middle of an
 * operation (brine_source_more, brine_output_write ... in io.c) and
 * brine_error_set* do not clear: they keep the operation's first error. */
static inline void brinep_enter(brine_error *err)
{
    if (err) {
        err->code = BRINE_OK;
        err->offset = BRINE_NO_OFFSET;
        err->line = err->column = 0;
        err->path[0] = err->message[0] = '\0';
    }
}

int brinep_nomem(brine_error *err);

/* Pulling sources and filtered outputs (core/filter.c, #22). A pulling
 * source has fd_ BRINEP_PULL_FD and its state in pull_; io.c refills its
 * window with brinep_pull_read (the count, 0 at the end, or -status with
 * err filled). A filtered output is io.c's OUT_FILTER kind, whose drained
 * bytes go to brinep_push_write. */
#define BRINEP_PULL_FD (-2)
struct brinep_pull;
long brinep_pull_read(brine_source *src, unsigned char *buf, size_t room, brine_error *err);
void brinep_pull_free(struct brinep_pull *p);
int brinep_output_init_filter(brine_output *out, void *impl, brine_error *err);
int brinep_push_write(void *impl, const void *data, size_t len, brine_error *err);
int brinep_push_flush(void *impl, brine_error *err);
int brinep_push_finish(void *impl, brine_error *err);
void brinep_push_free(void *impl);

#endif /* BRINE_INTERNAL_H */
