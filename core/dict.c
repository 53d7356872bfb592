/* dict.c: insertion-ordered dicts with Python's rules (a replaced key keeps
 * its first position, a deleted one leaves the others in order, a re-added
 * one goes last), and the hashing and comparison of keys (brinep_key_hash). */
#include <string.h>
#include <xxhash.h>

#include "internal.h"

/* Layout (after CPython's compact dict): entries[0..used) in insertion order,
 * deleted ones marked BRINEP_DELETED until the array is compacted, plus an
 * open-addressing index of uint32 (entry position + 1, 0 = empty) with linear
 * probing and a load of at most 1/2. Up to DICT_LINEAR_MAX entries there is
 * no index: a linear scan over cached hashes is faster. Entries and index
 * live in the document's arena.
 *
 * Keys compare by type and value (1, 1.0 and True are three keys; floats by
 * their bits; tuples element by element), and are hashed with XXH3 seeded
 * per document, so colliding keys cannot be prepared in advance. Tuples are
 * hashed and compared with explicit stacks, bounded by the depth limit. */

#define DICT_LINEAR_MAX 8
#define ENTRY_SIZE sizeof(brinep_entry)
#define NODE_SIZE(t) BRINEP_NODE_SIZE(t)
/* Index slots hold position + 1 in a uint32. */
#define DICT_MAX_ENTRIES ((size_t)UINT32_MAX - 1)
/* Entries allocated together with their node. */
#define DICT_INLINE_MAX 8

/* ---- hashing ------------------------------------------------------------ */

/* Per-type salts, so that e.g. 'a' and b'a' or 1 and 1.0 do not collide by
 * construction. */
enum { SALT_NULL = 1, SALT_BOOL, SALT_I64, SALT_U64, SALT_BIG, SALT_FLOAT, SALT_COMPLEX, SALT_STR, SALT_BYTES };

static inline uint64_t salted(uint64_t seed, unsigned salt)
{
    return seed ^ ((uint64_t)salt * UINT64_C(0x9E3779B97F4A7C15));
}

static inline uint64_t hash_bytes(uint64_t seed, unsigned salt, const void *p, size_t len)
{
    return XXH3_64bits_withSeed(p, len, salted(seed, salt));
}

static inline uint64_t hash_u64(uint64_t seed, unsigned salt, uint64_t u)
{
    return XXH3_64bits_withSeed(&u, sizeof u, salted(seed, salt));
}

/* Hash of a scalar key (callers send tuples and the unhashable containers
 * elsewhere first: anything else is taken for bytes). */
static uint64_t scalar_hash(uint64_t seed, const brine_value *k)
{
    switch (k->type) {
    case BRINE_NULL: return hash_u64(seed, SALT_NULL, 0);
    case BRINE_BOOL: return hash_u64(seed, SALT_BOOL, (uint64_t)(k->as.b != 0));
    case BRINE_INT:
        if (k->sub == BRINEP_INT_BIG)
            return hash_bytes(seed, SALT_BIG, k->as.blob->data, k->as.blob->len);
        return hash_u64(seed, k->sub == BRINEP_INT_U64 ? SALT_U64 : SALT_I64, k->as.u);
    case BRINE_FLOAT: {
        uint64_t bits;
        memcpy(&bits, &k->as.f, sizeof bits);
        return hash_u64(seed, SALT_FLOAT, bits);
    }
    case BRINE_COMPLEX: {
        double parts[2] = {k->as.cx->re, k->as.cx->im};
        return hash_bytes(seed, SALT_COMPLEX, parts, sizeof parts);
    }
    case BRINE_STR: {
        size_t len;
        const char *p = brinep_bytes_of(k, &len);
        return hash_bytes(seed, SALT_STR, p, len);
    }
    default: { /* bytes */
        size_t len;
        const char *p = brinep_bytes_of(k, &len);
        return hash_bytes(seed, SALT_BYTES, p, len);
    }
    }
}

static inline uint64_t combine(uint64_t acc, uint64_t h)
{
    acc ^= h + UINT64_C(0x9E3779B97F4A7C15) + (acc << 6) + (acc >> 2);
    return acc * UINT64_C(0xff51afd7ed558ccd);
}

/* A small stack of frames in local storage that moves to the heap when it
 * outgrows it: most keys are flat, so hashing them allocates nothing. */
typedef struct key_frame {
    const brinep_seq *a;
    const brinep_seq *b; /* comparisons only */
    size_t index;
    uint64_t acc;
} key_frame;

typedef struct key_stack {
    key_frame *frames;
    size_t count, cap;
    key_frame local[32];
} key_stack;

static void key_stack_init(key_stack *s)
{
    s->frames = s->local;
    s->count = 0;
    s->cap = sizeof s->local / sizeof s->local[0];
}

static void key_stack_destroy(key_stack *s)
{
    if (s->frames != s->local)
        brine_free(s->frames);
}

static key_frame *key_stack_push(key_stack *s)
{
    if (s->count == s->cap) {
        size_t cap = s->cap * 2;
        key_frame *f;
        if (s->frames == s->local) {
            f = brine_malloc(cap * sizeof *f);
            if (f)
                memcpy(f, s->local, sizeof s->local);
        } else {
            f = brine_realloc(s->frames, cap * sizeof *f);
        }
        if (!f)
            return NULL;
        s->frames = f;
        s->cap = cap;
    }
    return &s->frames[s->count++];
}

static int unhashable(const brine_value *k, brine_error *err)
{
    return brine_error_set(err, BRINE_E_KEY, "unhashable type: '%s'", brine_type_name((brine_type)k->type));
}

/* Tuples that share sub-tuples form a DAG, which a plain walk visits once
 * per path: t1 = (t0, t0), t2 = (t1, t1) ... t60 would take 2^60 steps. Past
 * MEMO_AFTER tuples (so that ordinary keys allocate nothing), finished
 * tuples are remembered by node, which makes the walk linear. */
#define MEMO_AFTER 32

int brinep_key_hash(const brine_doc *doc, const brine_value *key, size_t max_depth, uint64_t *out, brine_error *err)
{
    uint64_t seed = doc->seed;
    if (key->type != BRINE_TUPLE) {
        if (key->type == BRINE_LIST || key->type == BRINE_DICT || key->type == BRINE_MODEL || key->type == BRINE_ARRAY)
            return unhashable(key, err);
        *out = scalar_hash(seed, key);
        return BRINE_OK;
    }
    if (max_depth == 0)
        max_depth = doc->max_depth;
    key_stack st;
    key_stack_init(&st);
    brinep_map memo; /* tuple node -> its hash */
    brinep_map_init(&memo);
    size_t tuples = 0;
    int rc = BRINE_OK;
    const brine_value *v = key;
    uint64_t h = 0;
    for (;;) {
        uint64_t *known = v->type == BRINE_TUPLE ? brinep_map_find(&memo, (uint64_t)(uintptr_t)v->as.seq) : NULL;
        if (known) {
            h = *known;
            st.frames[st.count - 1].acc = combine(st.frames[st.count - 1].acc, h);
        } else if (v->type == BRINE_TUPLE) {
            if (st.count >= max_depth) {
                rc = brinep_depth_error(err, max_depth, "hashing a dict key");
                break;
            }
            key_frame *f = key_stack_push(&st);
            if (!f) {
                rc = brinep_nomem(err);
                break;
            }
            f->a = v->as.seq;
            f->index = 0;
            f->acc = salted(seed, 100) ^ (uint64_t)v->as.seq->count;
            tuples++;
        } else if (v->type == BRINE_LIST || v->type == BRINE_DICT || v->type == BRINE_MODEL || v->type == BRINE_ARRAY) {
            rc = unhashable(v, err);
            break;
        } else {
            h = scalar_hash(seed, v);
            key_frame *f = &st.frames[st.count - 1];
            f->acc = combine(f->acc, h);
        }
        /* Close finished tuples, folding each into its parent. */
        v = NULL;
        while (st.count) {
            key_frame *f = &st.frames[st.count - 1];
            if (f->index < f->a->count) {
                v = &f->a->items[f->index++];
                break;
            }
            h = f->acc;
            if (tuples > MEMO_AFTER && st.count > 1) {
                uint64_t *slot = brinep_map_upsert(&memo, (uint64_t)(uintptr_t)f->a, NULL);
                if (!slot) {
                    rc = brinep_nomem(err);
                    break;
                }
                *slot = h;
            }
            st.count--;
            if (st.count)
                st.frames[st.count - 1].acc = combine(st.frames[st.count - 1].acc, h);
        }
        if (!v || rc)
            break;
    }
    key_stack_destroy(&st);
    brinep_map_destroy(&memo);
    if (rc == BRINE_OK)
        *out = h;
    return rc;
}

/* 1 if keys a and b are equal, 0 if not, -1 when out of memory. Both keys
 * have been hashed, so they are finite trees (or DAGs) of tuples and
 * scalars; scalars of one type compare by value (brinep_scalar_equal,
 * equal.c: ints by representation, which is canonical, floats and
 * complexes by bits, str and bytes by content). Pairs of tuples found equal
 * are remembered past MEMO_AFTER, as in hashing. */
static int keys_equal(const brine_value *a, const brine_value *b)
{
    if (a->type != b->type)
        return 0;
    if (a->type != BRINE_TUPLE)
        return brinep_scalar_equal(a, b);
    key_stack st;
    key_stack_init(&st);
    brinep_map memo; /* a-side tuple node -> the b-side node it equals */
    brinep_map_init(&memo);
    size_t tuples = 0;
    int result = 1;
    for (;;) {
        if (a->type != b->type) {
            result = 0;
            break;
        }
        if (a->type == BRINE_TUPLE) {
            uint64_t *known = brinep_map_find(&memo, (uint64_t)(uintptr_t)a->as.seq);
            if (a->as.seq != b->as.seq && !(known && *known == (uint64_t)(uintptr_t)b->as.seq)) {
                if (a->as.seq->count != b->as.seq->count) {
                    result = 0;
                    break;
                }
                key_frame *f = key_stack_push(&st);
                if (!f) {
                    result = -1;
                    break;
                }
                f->a = a->as.seq;
                f->b = b->as.seq;
                f->index = 0;
                tuples++;
            }
        } else if (!brinep_scalar_equal(a, b)) {
            result = 0;
            break;
        }
        a = NULL;
        while (st.count) {
            key_frame *f = &st.frames[st.count - 1];
            if (f->index < f->a->count) {
                a = &f->a->items[f->index];
                b = &f->b->items[f->index];
                f->index++;
                break;
            }
            if (tuples > MEMO_AFTER) {
                uint64_t *slot = brinep_map_upsert(&memo, (uint64_t)(uintptr_t)f->a, NULL);
                if (!slot) {
                    result = -1;
                    break;
                }
                *slot = (uint64_t)(uintptr_t)f->b;
            }
            st.count--;
        }
        if (!a || result < 0)
            break;
    }
    key_stack_destroy(&st);
    brinep_map_destroy(&memo);
    return result;
}

/* ---- the table ---------------------------------------------------------- */

brinep_dict *brinep_dict_alloc(brine_doc *doc, size_t cap)
{
    if (cap > DICT_MAX_ENTRIES)
        cap = DICT_MAX_ENTRIES;
    int inline_entries = cap <= DICT_INLINE_MAX;
    brinep_dict *d = brinep_alloc(doc, NODE_SIZE(brinep_dict) + (inline_entries ? cap * ENTRY_SIZE : 0));
    if (!d)
        return NULL;
    memset(d, 0, sizeof *d);
    d->doc = doc;
    d->cap = cap;
    if (!cap)
        d->entries = NULL;
    else if (inline_entries)
        d->entries = (brinep_entry *)((char *)d + NODE_SIZE(brinep_dict));
    else if (!(d->entries = brinep_alloc(doc, cap * ENTRY_SIZE)))
        return NULL;
    return d;
}

/* Without an index (small dicts) hashes are not compared: keys are
 * compared directly, which for a handful of keys is cheaper. (The public
 * calls store a hash with every entry; the builder's scalar keys in a small
 * dict have none: brinep_dict_seal hashes them only to build an index.) */
static int entry_matches(const brinep_dict *d, const brinep_entry *e, uint64_t h, const brine_value *key, const char *s,
                         size_t len)
{
    if ((d->index && e->hash != h) || e->key.type == BRINEP_DELETED)
        return 0;
    if (key)
        return keys_equal(&e->key, key);
    if (e->key.type != BRINE_STR)
        return 0;
    size_t klen;
    const char *k = brinep_bytes_of(&e->key, &klen);
    return klen == len && !memcmp(k, s, len);
}

/* Position of the entry for key (or, when key is NULL, for the str s[0..len)),
 * -1 when absent, -2 when out of memory. */
static void index_lazy(const brinep_dict *d);

static ptrdiff_t dict_find(const brinep_dict *d, uint64_t h, const brine_value *key, const char *s, size_t len)
{
    if (!d->index && d->used > DICT_LINEAR_MAX)
        index_lazy(d);
    if (!d->index) {
        for (size_t i = 0; i < d->used; i++) {
            int m = entry_matches(d, &d->entries[i], h, key, s, len);
            if (m)
                return m < 0 ? -2 : (ptrdiff_t)i;
        }
        return -1;
    }
    size_t mask = d->index_cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        uint32_t slot = d->index[i];
        if (!slot)
            return -1;
        int m = entry_matches(d, &d->entries[slot - 1], h, key, s, len);
        if (m)
            return m < 0 ? -2 : (ptrdiff_t)(slot - 1);
    }
}

static void index_insert(brinep_dict *d, size_t pos)
{
    size_t mask = d->index_cap - 1;
    size_t i = (size_t)d->entries[pos].hash & mask;
    while (d->index[i])
        i = (i + 1) & mask;
    d->index[i] = (uint32_t)(pos + 1);
}

/* Rebuilds the index with cap slots from the live entries. */
static int index_rebuild(brinep_dict *d, size_t cap)
{
    if (cap > SIZE_MAX / sizeof(uint32_t))
        return -1;
    uint32_t *index = d->index ? brinep_grow(d->doc, d->index, d->index_cap * sizeof(uint32_t), cap * sizeof(uint32_t))
                               : brinep_alloc(d->doc, cap * sizeof(uint32_t));
    if (!index)
        return -1;
    if (!d->index) /* leaving the linear mode: the entries need their hashes now */
        for (size_t i = 0; i < d->used; i++)
            if (d->entries[i].key.type != BRINEP_DELETED &&
                brinep_key_hash(d->doc, &d->entries[i].key, SIZE_MAX, &d->entries[i].hash, NULL))
                return -1;
    memset(index, 0, cap * sizeof(uint32_t));
    d->index = index;
    d->index_cap = cap;
    for (size_t i = 0; i < d->used; i++)
        if (d->entries[i].key.type != BRINEP_DELETED)
            index_insert(d, i);
    return 0;
}

/* Drops deleted entries, keeping the order of the others. */
static void dict_compact(brinep_dict *d)
{
    size_t j = 0;
    for (size_t i = 0; i < d->used; i++)
        if (d->entries[i].key.type != BRINEP_DELETED)
            d->entries[j++] = d->entries[i];
    d->used = j;
    if (d->index) {
        memset(d->index, 0, d->index_cap * sizeof(uint32_t));
        for (size_t i = 0; i < d->used; i++)
            index_insert(d, i);
    }
}

/* Doubles the entry array: BRINE_OK, BRINE_E_RANGE past DICT_MAX_ENTRIES or
 * BRINE_E_NOMEM (without filling an error). */
static int entries_grow(brinep_dict *d)
{
    if (d->cap >= DICT_MAX_ENTRIES)
        return BRINE_E_RANGE;
    size_t cap = d->cap < 4 ? 4 : d->cap * 2;
    if (cap > DICT_MAX_ENTRIES)
        cap = DICT_MAX_ENTRIES;
    brinep_entry *e = brinep_grow(d->doc, d->entries, d->cap * ENTRY_SIZE, cap * ENTRY_SIZE);
    if (!e)
        return BRINE_E_NOMEM;
    d->entries = e;
    d->cap = cap;
    return BRINE_OK;
}

/* Makes room for one more entry (entries and index). */
static int dict_room(brinep_dict *d, brine_error *err)
{
    if (d->used == d->cap) {
        if (d->used >= DICT_LINEAR_MAX && d->count <= d->used / 2) {
            dict_compact(d); /* amortised: frees at least half the array */
        } else {
            int rc = entries_grow(d);
            if (rc == BRINE_E_RANGE)
                return brine_error_set(err, BRINE_E_RANGE, "a dict holds at most %zu entries", DICT_MAX_ENTRIES);
            if (rc)
                return brinep_nomem(err);
        }
    }
    size_t need = d->used + 1;
    if (need > DICT_LINEAR_MAX && (!d->index || need * 2 > d->index_cap)) {
        size_t cap = d->index_cap ? d->index_cap : 32;
        while (cap < need * 2 || cap < d->cap)
            cap *= 2;
        if (index_rebuild(d, cap))
            return brinep_nomem(err);
    }
    return BRINE_OK;
}

static void dict_append(brinep_dict *d, uint64_t h, const brine_value *key, const brine_value *val)
{
    brinep_entry *e = &d->entries[d->used];
    e->key = *key;
    e->val = *val;
    e->hash = h;
    brinep_link(key, 1);
    brinep_link(val, 1);
    if (d->index)
        index_insert(d, d->used);
    d->used++;
    d->count++;
}

int brinep_dict_put(brinep_dict *d, const brine_value *key, const brine_value *val, size_t max_depth, brine_error *err)
{
    /* key and val may point into d->entries, which may move. */
    brine_value k = *key, v = *val;
    uint64_t h = 0;
    int rc;
    if (d->index || d->used >= DICT_LINEAR_MAX || k.type == BRINE_TUPLE || brinep_node(&k)) {
        if ((rc = brinep_key_hash(d->doc, &k, max_depth, &h, err)))
            return rc;
    }
    ptrdiff_t pos = dict_find(d, h, &k, NULL, 0);
    if (pos == -2)
        return brinep_nomem(err);
    if (pos >= 0) {
        brinep_link(&v, 1);
        brinep_unlink(&d->entries[pos].val);
        d->entries[pos].val = v;
        return BRINE_OK;
    }
    rc = dict_room(d, err);
    if (rc)
        return rc;
    dict_append(d, h, &k, &v);
    return BRINE_OK;
}

/* ---- building in bulk (the builder) -------------------------------------- */

int brinep_dict_append_raw(brinep_dict *d, const brine_value *key, const brine_value *val, uint64_t hash)
{
    int rc;
    if (d->used == d->cap && (rc = entries_grow(d)))
        return rc;
    brinep_entry *e = &d->entries[d->used++];
    e->key = *key;
    e->val = *val;
    e->hash = hash;
    brinep_link(key, 1);
    brinep_link(val, 1);
    d->count++;
    return BRINE_OK;
}

/* Equal str keys, the common case, compared inline. */
static inline int keys_same(const brine_value *a, const brine_value *b)
{
    if (a->type == BRINE_STR && b->type == BRINE_STR) {
        if (BRINEP_LIKELY((a->sub | b->sub) == BRINEP_STR_BLOB)) /* a copying document's: as before #23 */
            return a->as.blob->len == b->as.blob->len && !memcmp(a->as.blob->data, b->as.blob->data, a->as.blob->len);
        /* Borrowed (#23): two borrowed heads hold type, representation
         * and length, compared in one go; then the data only when they
         * agree (the model's 100,000 dicts of 5 keys: reading both keys'
         * data and lengths up front cost 2% of its decode's instructions). */
        if ((a->sub & b->sub) == BRINEP_STR_BORROWED)
            return a->head == b->head &&
                   (a->as.ptr == b->as.ptr || !memcmp(a->as.ptr, b->as.ptr, (size_t)BRINEP_HEAD_PAD(a->head)));
        size_t alen = a->sub == BRINEP_STR_BORROWED ? (size_t)BRINEP_HEAD_PAD(a->head) : a->as.blob->len;
        size_t blen = b->sub == BRINEP_STR_BORROWED ? (size_t)BRINEP_HEAD_PAD(b->head) : b->as.blob->len;
        if (alen != blen)
            return 0;
        if (a->as.ptr == b->as.ptr) /* one interned key: the same slot */
            return 1;
        size_t n;
        return !memcmp(brinep_bytes_of(a, &n), brinep_bytes_of(b, &n), alen);
    }
    return keys_equal(a, b);
}

/* Entry e repeats the key of the kept entry k: Python's rule, the first
 * position with the last value. e's value keeps the link counted when it
 * was appended; e's key is dropped. */
static void fold_repeat(brinep_dict *d, brinep_entry *k, const brinep_entry *e)
{
    d->doc->folded = 1;
    brinep_unlink(&k->val);
    k->val = e->val;
    brinep_unlink(&e->key);
}

/* Out of memory comparing tuple keys at entry pos, with kept entries
 * folded: the rest moves down so that the dict stays whole (unindexed, which
 * dict_find handles) for whoever frees it. */
static int fold_nomem(brinep_dict *d, size_t kept, size_t pos, brine_error *err)
{
    memmove(&d->entries[kept], &d->entries[pos], (d->used - pos) * ENTRY_SIZE);
    d->used = d->count = kept + (d->used - pos);
    d->index = NULL;
    d->index_cap = 0;
    return brinep_nomem(err);
}

/* ---- sealing without an index (#23) ------------------------------------
 * A decoded dict is mostly read in order or not at all: its index is built
 * on the first lookup (dict_find), not at its end. The end still refuses
 * unhashable keys and must find repeated keys, which a throw-away table on
 * the stack does: positions of the entries by a cheap fingerprint of the
 * key (a str's length and first and last 8 bytes, mixed with the
 * document's seed), probed linearly, each hit compared in full. A repeat,
 * a dict too large for the table, or more probes than a fair table takes
 * (keys made to collide: the fingerprint reads only 16 bytes) hands over
 * to the full seal, which hashes with XXH3, folds and builds the index. */

#define LAZY_SLOTS 4096 /* 16 KB of stack: a slot holds a 16-bit tag of the fingerprint and position + 1 */
#define SEAL_FULL (-1)

/* MurmurHash3's finaliser over the two words: every input bit moves the
 * low bits the table uses and the high bits of the tag. (A multiply and a
 * shift alone left keys that differ only in their last bytes in one
 * cluster: citm_catalog's numeric keys overran the probe limit and paid
 * for both seals.) */
static inline uint64_t fp_mix(uint64_t seed, uint64_t a, uint64_t b)
{
    uint64_t h = a ^ seed ^ b * UINT64_C(0x9E3779B97F4A7C15);
    h ^= h >> 33;
    h *= UINT64_C(0xFF51AFD7ED558CCD);
    h ^= h >> 33;
    h *= UINT64_C(0xC4CEB9FE1A85EC53);
    return h ^ h >> 33;
}

static inline uint64_t fp_bytes(uint64_t seed, unsigned salt, const char *p, size_t len)
{
    uint64_t a = 0, b = 0;
    if (len >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + len - 8, 8);
    } else if (len >= 4) { /* two loads that overlap, not a call to memcpy of len bytes */
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + len - 4, 4);
        a = x;
        b = y;
    } else if (len) {
        a = (uint64_t)(unsigned char)p[0] | (uint64_t)(unsigned char)p[len / 2] << 8 |
            (uint64_t)(unsigned char)p[len - 1] << 16;
    }
    return fp_mix(seed ^ len ^ (uint64_t)salt << 56, a, b);
}

/* Equal keys (keys_equal) have equal fingerprints: the fields compared are
 * the fields read; a tuple's is the XXH3 hash the builder gave it. */
static inline uint64_t key_fp(uint64_t seed, const brinep_entry *e)
{
    const brine_value *k = &e->key;
    switch (k->type) {
    case BRINE_STR: {
        size_t len;
        const char *p = brinep_bytes_of(k, &len);
        return fp_bytes(seed, SALT_STR, p, len);
    }
    case BRINE_BYTES: {
        size_t len;
        const char *p = brinep_bytes_of(k, &len);
        return fp_bytes(seed, SALT_BYTES, p, len);
    }
    case BRINE_INT:
        if (k->sub == BRINEP_INT_BIG)
            return fp_bytes(seed, SALT_BIG, k->as.blob->data, k->as.blob->len);
        return fp_mix(seed, k->as.u, SALT_I64);
    case BRINE_FLOAT: return fp_mix(seed, k->as.u, SALT_FLOAT);
    case BRINE_BOOL: return fp_mix(seed, (uint64_t)(k->as.b != 0), SALT_BOOL);
    case BRINE_COMPLEX: {
        uint64_t re, im;
        memcpy(&re, &k->as.cx->re, sizeof re);
        memcpy(&im, &k->as.cx->im, sizeof im);
        return fp_mix(seed ^ im, re, SALT_COMPLEX);
    }
    case BRINE_TUPLE: return e->hash;
    default: return fp_mix(seed, 0, SALT_NULL);
    }
}

/* BRINE_OK: no repeated key, the dict stays unindexed; SEAL_FULL: let the
 * full seal decide; else an unhashable key's error (*bad the key). */
static int seal_lazy(brinep_dict *d, size_t max_depth, brine_value *bad, brine_error *err)
{
    size_t n = d->used;
    if (n > LAZY_SLOTS / 2 || d->index)
        return SEAL_FULL;
    uint32_t table[LAZY_SLOTS];
    size_t cap = 32;
    while (cap < 2 * n)
        cap *= 2;
    memset(table, 0, cap * sizeof table[0]);
    size_t mask = cap - 1, probes = 0, limit = 2 * n + 32;
    uint64_t seed = d->doc->seed;
    for (size_t pos = 0; pos < n; pos++) {
        brinep_entry *e = &d->entries[pos];
        if (e->key.type != BRINE_TUPLE && brinep_node(&e->key)) {
            uint64_t h;
            *bad = e->key; /* a list, dict, model or array: not hashable */
            return brinep_key_hash(d->doc, &e->key, max_depth, &h, err);
        }
        uint64_t fp = key_fp(seed, e);
        uint32_t tag = (uint32_t)(fp >> 48) << 16;
        size_t i = (size_t)fp & mask;
        /* Keys are compared only when their tags agree (a shared slot alone
         * cost a memcmp per collision: 3% of twitter's decode). */
        for (; table[i]; i = (i + 1) & mask)
            if (++probes > limit ||
                ((table[i] & 0xFFFF0000u) == tag && keys_same(&d->entries[(table[i] & 0xFFFF) - 1].key, &e->key)))
                return SEAL_FULL; /* a repeat (or out of memory comparing): folded there */
        table[i] = tag | (uint32_t)(pos + 1);
    }
    return BRINE_OK;
}

/* The index of an unindexed dict past DICT_LINEAR_MAX (a sealed one), built
 * at its first lookup; out of memory, lookups scan as in a small dict. */
static void index_lazy(const brinep_dict *d)
{
    size_t cap = 32;
    while (cap < d->used * 2 || cap < d->cap)
        cap *= 2;
    index_rebuild((brinep_dict *)d, cap); /* lookups may build indexes: brine.h, THREADS */
}

int brinep_dict_seal(brinep_dict *d, size_t max_depth, brine_value *bad, brine_error *err)
{
    size_t n = d->used, kept = 0;
    int rc;
    if (n > DICT_LINEAR_MAX && (rc = seal_lazy(d, max_depth, bad, err)) != SEAL_FULL)
        return rc;
    /* Every key of an indexed dict hashed: tuples were when appended, and a
     * nonzero hash is one an earlier seal computed (0 means none yet; a key
     * whose hash is 0 is merely hashed again). */
    int indexed = n > DICT_LINEAR_MAX;
    for (size_t i = 0; i < n; i++) {
        brinep_entry *e = &d->entries[i];
        if (e->key.type == BRINE_TUPLE || (indexed ? e->hash != 0 : !brinep_node(&e->key)))
            continue;
        if (e->key.type == BRINE_STR) {
            size_t len;
            const char *p = brinep_bytes_of(&e->key, &len);
            e->hash = hash_bytes(d->doc->seed, SALT_STR, p, len);
        } else if ((rc = brinep_key_hash(d->doc, &e->key, max_depth, &e->hash, err))) {
            *bad = e->key; /* a list, dict or model: not hashable */
            return rc;
        }
    }
    /* One pass keeps each key's first entry, folds the repeats into it and
     * moves the kept entries down over the folded ones. */
    if (!indexed) {
        d->index = NULL; /* an earlier fold's index, of entries since folded away */
        d->index_cap = 0;
        for (size_t pos = 0; pos < n; pos++) {
            brinep_entry *e = &d->entries[pos];
            int m = 0;
            size_t j;
            for (j = 0; j < kept && !m; j++)
                m = keys_same(&d->entries[j].key, &e->key);
            if (m < 0)
                return fold_nomem(d, kept, pos, err);
            if (m)
                fold_repeat(d, &d->entries[j - 1], e);
            else if (kept++ != pos) /* entries move only after a fold */
                d->entries[kept - 1] = *e;
        }
        d->used = d->count = kept;
        return BRINE_OK;
    }
    size_t cap = 32;
    while (cap < n * 2 || cap < d->cap)
        cap *= 2;
    if (!d->index || d->index_cap < cap) { /* else an earlier seal's index serves again */
        if (cap > SIZE_MAX / sizeof(uint32_t) || !(d->index = brinep_alloc(d->doc, cap * sizeof(uint32_t))))
            return brinep_nomem(err);
        d->index_cap = cap;
    }
    memset(d->index, 0, d->index_cap * sizeof(uint32_t));
    size_t mask = d->index_cap - 1;
    for (size_t pos = 0; pos < n; pos++) {
        brinep_entry *e = &d->entries[pos];
        size_t i = (size_t)e->hash & mask;
        int m = 0;
        for (; d->index[i]; i = (i + 1) & mask) {
            brinep_entry *o = &d->entries[d->index[i] - 1];
            if (o->hash == e->hash && (m = keys_same(&o->key, &e->key)) != 0)
                break;
        }
        if (m < 0)
            return fold_nomem(d, kept, pos, err);
        if (m) {
            fold_repeat(d, &d->entries[d->index[i] - 1], e);
        } else {
            if (kept != pos)
                d->entries[kept] = *e;
            d->index[i] = (uint32_t)(++kept);
        }
    }
    d->used = d->count = kept;
    return BRINE_OK;
}

/* ---- the public calls --------------------------------------------------- */

brine_value *brine_dict_new(brine_doc *doc, brine_error *err)
{
    brinep_enter(err);
    if (!doc) {
        brine_error_set(err, BRINE_E_INVALID, "a value needs a document");
        return NULL;
    }
    brine_value *v = brinep_alloc(doc, sizeof(brine_value) + NODE_SIZE(brinep_dict));
    if (!v) {
        brinep_nomem(err);
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->type = BRINE_DICT;
    brinep_dict *d = (brinep_dict *)((char *)v + sizeof(brine_value));
    memset(d, 0, sizeof *d);
    d->doc = doc;
    v->as.dict = d;
    return v;
}

static int is_dict(const brine_value *v)
{
    return v && v->type == BRINE_DICT;
}

static int not_dict(const brine_value *v, brine_error *err)
{
    return brine_error_set(err, v ? BRINE_E_TYPE : BRINE_E_INVALID, "a dict is needed, not %s",
                           v ? brine_type_name((brine_type)v->type) : "NULL");
}

/* As value.c's: *slot is v, or a copy of a str or bytes borrowed from
 * another input. */
static int check_link(const brinep_dict *d, const brine_value *v, brine_value *slot, const char *what, brine_error *err)
{
    if (!v)
        return brine_error_set(err, BRINE_E_INVALID, "the %s is NULL", what);
    brine_doc *owner = brine_value_doc(v);
    if (owner && owner != d->doc)
        return brine_error_set(err, BRINE_E_INVALID,
                               "a %s from another document cannot be stored here; copy it with brine_value_copy", what);
    if (brinep_adopt_borrowed(d->doc, v, slot))
        return brinep_nomem(err);
    brinep_note_store(d->doc, slot); /* v's blob may now be in two slots */
    return BRINE_OK;
}

size_t brine_dict_count(const brine_value *dict)
{
    return is_dict(dict) ? dict->as.dict->count : 0;
}

int brine_dict_set(brine_value *dict, const brine_value *key, const brine_value *val, brine_error *err)
{
    brinep_enter(err);
    if (!is_dict(dict))
        return not_dict(dict, err);
    brinep_dict *d = dict->as.dict;
    brine_value k, v;
    int rc = check_link(d, key, &k, "key", err);
    if (!rc)
        rc = check_link(d, val, &v, "value", err);
    if (!rc && key->type != BRINE_STR)
        d->doc->kinds |= BRINE_KIND_KEY;
    if (!rc)
        rc = brinep_dict_put(d, &k, &v, d->doc->max_depth, err);
    return rc;
}

int brine_dict_set_str(brine_value *dict, const char *key, const brine_value *val, brine_error *err)
{
    brinep_enter(err);
    if (!is_dict(dict))
        return not_dict(dict, err);
    if (!key)
        return brine_error_set(err, BRINE_E_INVALID, "the key is NULL");
    brinep_dict *d = dict->as.dict;
    brine_value v;
    int rc = check_link(d, val, &v, "value", err);
    if (rc)
        return rc;
    size_t len = strlen(key);
    size_t bad = brine_utf8_check(key, len);
    if (bad != len)
        return brine_error_set_at(err, BRINE_E_UTF8, bad, "invalid UTF-8 in a str at byte %zu", bad);
    uint64_t h = hash_bytes(d->doc->seed, SALT_STR, key, len);
    ptrdiff_t pos = dict_find(d, h, NULL, key, len);
    if (pos >= 0) {
        brinep_link(&v, 1);
        brinep_unlink(&d->entries[pos].val);
        d->entries[pos].val = v;
        return BRINE_OK;
    }
    /* The key blob first: if it fails, the dict is unchanged. */
    brine_value k;
    memset(&k, 0, sizeof k);
    k.type = BRINE_STR;
    if (!(k.as.blob = brinep_blob_new(d->doc, key, len)))
        return brinep_nomem(err);
    rc = dict_room(d, err);
    if (rc)
        return rc;
    dict_append(d, h, &k, &v);
    return BRINE_OK;
}

brine_value *brine_dict_get(const brine_value *dict, const brine_value *key)
{
    if (!is_dict(dict) || !key)
        return NULL;
    const brinep_dict *d = dict->as.dict;
    uint64_t h;
    if (!d->count || brinep_key_hash(d->doc, key, d->doc->max_depth, &h, NULL))
        return NULL;
    ptrdiff_t pos = dict_find(d, h, key, NULL, 0);
    return pos >= 0 ? &d->entries[pos].val : NULL;
}

brine_value *brinep_dict_get_strn(const brine_value *dict, const char *key, size_t len)
{
    if (!is_dict(dict) || !key || !dict->as.dict->count)
        return NULL;
    const brinep_dict *d = dict->as.dict;
    ptrdiff_t pos = dict_find(d, hash_bytes(d->doc->seed, SALT_STR, key, len), NULL, key, len);
    return pos >= 0 ? &d->entries[pos].val : NULL;
}

brine_value *brine_dict_get_str(const brine_value *dict, const char *key)
{
    return key ? brinep_dict_get_strn(dict, key, strlen(key)) : NULL;
}

int brine_dict_del(brine_value *dict, const brine_value *key, brine_error *err)
{
    brinep_enter(err);
    if (!is_dict(dict))
        return not_dict(dict, err);
    if (!key)
        return brine_error_set(err, BRINE_E_INVALID, "the key is NULL");
    brinep_dict *d = dict->as.dict;
    uint64_t h;
    int rc = brinep_key_hash(d->doc, key, d->doc->max_depth, &h, err);
    if (rc)
        return rc;
    ptrdiff_t pos = dict_find(d, h, key, NULL, 0);
    if (pos == -2)
        return brinep_nomem(err);
    if (pos < 0)
        return brine_error_set(err, BRINE_E_NOTFOUND, "key not found");
    /* The index keeps pointing at the dead entry, which probes skip. */
    brinep_unlink(&d->entries[pos].key);
    brinep_unlink(&d->entries[pos].val);
    d->entries[pos].key.type = BRINEP_DELETED;
    d->count--;
    return BRINE_OK;
}

int brine_dict_next(const brine_value *dict, size_t *iter, brine_value **key, brine_value **val)
{
    if (!is_dict(dict) || !iter)
        return 0;
    const brinep_dict *d = dict->as.dict;
    size_t i = *iter;
    while (i < d->used && d->entries[i].key.type == BRINEP_DELETED)
        i++;
    if (i >= d->used) {
        *iter = i;
        return 0;
    }
    if (key)
        *key = &d->entries[i].key;
    if (val)
        *val = &d->entries[i].val;
    *iter = i + 1;
    return 1;
}
