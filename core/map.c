/* map.c: the scratch structures of traversals: brinep_map, an open-addressing
 * hash map from nonzero uint64 keys (node addresses, anchor ids) to uint64
 * values, and brinep_stack, a growable array of fixed-size frames. Both live
 * on the heap (brine_malloc), never in a document. */
#include <string.h>

#include "internal.h"

/* The map probes linearly and deletes by backward shift, so it never holds
 * tombstones: a walker that adds and removes every open container keeps
 * finding its keys in a few probes however long it runs. */

/* Keys are node addresses (mostly 16-byte aligned) but also anchor ids
 * read from input. A fixed mix (MurmurHash3's finaliser, used here before)
 * is invertible, so a file could name 131,072 anchors that all land in one
 * probe run: 18 s to check instead of 0.1 s. Each map therefore draws a
 * random 64-bit key and hashes k as XXH3_64bits_withSeed hashes the 8 bytes
 * of a dict key: k xored with a key derived from the seed, then XXH3's
 * rrmxmx mix. Here the key is drawn directly, once per map, instead of
 * being derived from the seed at every lookup: XXH3_64bits_withSeed, even
 * inlined, made a native encode of 16,384 shared lists 6% more
 * instructions; this mix, 0.1% (cachegrind). */
static inline size_t map_home(const brinep_map *m, uint64_t k, size_t mask)
{
    uint64_t h = k ^ m->seed;
    h ^= (h << 49 | h >> 15) ^ (h << 24 | h >> 40);
    h *= UINT64_C(0x9FB21C651E98DF25);
    h ^= (h >> 35) + 8;
    h *= UINT64_C(0x9FB21C651E98DF25);
    h ^= h >> 28;
    return (size_t)h & mask;
}

void brinep_map_init(brinep_map *m)
{
    m->keys = NULL;
    m->vals = NULL;
    m->cap = 0;
    m->count = 0;
    m->seed = 0;
}

void brinep_map_destroy(brinep_map *m)
{
    brine_free(m->keys);
    brine_free(m->vals);
    brinep_map_init(m);
}

uint64_t *brinep_map_find(const brinep_map *m, uint64_t key)
{
    if (!m->count || !key)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = map_home(m, key, mask);; i = (i + 1) & mask) {
        if (m->keys[i] == key)
            return &m->vals[i];
        if (m->keys[i] == 0)
            return NULL;
    }
}

/* Rehashes into a table of new_cap slots (a power of two). */
static int map_resize(brinep_map *m, size_t new_cap)
{
    if (new_cap > SIZE_MAX / sizeof(uint64_t))
        return -1;
    uint64_t *keys = brine_malloc(new_cap * sizeof *keys);
    uint64_t *vals = brine_malloc(new_cap * sizeof *vals);
    if (!keys || !vals) {
        brine_free(keys);
        brine_free(vals);
        return -1;
    }
    memset(keys, 0, new_cap * sizeof *keys);
    if (!m->cap)
        m->seed = brinep_seed();
    size_t mask = new_cap - 1;
    for (size_t j = 0; j < m->cap; j++) {
        uint64_t k = m->keys[j];
        if (!k)
            continue;
        size_t i = map_home(m, k, mask);
        while (keys[i])
            i = (i + 1) & mask;
        keys[i] = k;
        vals[i] = m->vals[j];
    }
    brine_free(m->keys);
    brine_free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = new_cap;
    return 0;
}

uint64_t *brinep_map_upsert(brinep_map *m, uint64_t key, int *added)
{
    if (added)
        *added = 0;
    if (!key)
        return NULL;
    size_t i = 0;
    if (m->cap) {
        size_t mask = m->cap - 1;
        for (i = map_home(m, key, mask); m->keys[i]; i = (i + 1) & mask)
            if (m->keys[i] == key)
                return &m->vals[i];
    }
    /* Keep the load at most 1/2: linear probing slows down sharply above
     * that, and traversals of a million nodes look up every node. Without
     * a resize, the empty slot that ended the search is the key's. */
    if ((m->count + 1) * 2 > m->cap) {
        if (map_resize(m, m->cap ? m->cap * 2 : 16))
            return NULL;
        size_t mask = m->cap - 1;
        for (i = map_home(m, key, mask); m->keys[i]; i = (i + 1) & mask)
            ;
    }
    m->keys[i] = key;
    m->vals[i] = 0;
    m->count++;
    if (added)
        *added = 1;
    return &m->vals[i];
}

void brinep_map_remove(brinep_map *m, uint64_t key)
{
    uint64_t *v = brinep_map_find(m, key);
    if (!v)
        return;
    size_t mask = m->cap - 1;
    size_t hole = (size_t)(v - m->vals);
    /* Backward shift: move later members of the probe run into the hole when
     * their home slot does not lie strictly between the hole and them. */
    for (size_t i = (hole + 1) & mask; m->keys[i]; i = (i + 1) & mask) {
        size_t home = map_home(m, m->keys[i], mask);
        int movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
        if (movable) {
            m->keys[hole] = m->keys[i];
            m->vals[hole] = m->vals[i];
            hole = i;
        }
    }
    m->keys[hole] = 0;
    m->count--;
}

void brinep_stack_init(brinep_stack *s, size_t frame_size)
{
    s->data = NULL;
    s->size = frame_size;
    s->count = 0;
    s->cap = 0;
}

void brinep_stack_destroy(brinep_stack *s)
{
    brine_free(s->data);
    s->data = NULL;
    s->count = 0;
    s->cap = 0;
}

void *brinep_stack_push(brinep_stack *s)
{
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        if (cap > SIZE_MAX / s->size)
            return NULL;
        unsigned char *data = brine_realloc(s->data, cap * s->size);
        if (!data)
            return NULL;
        s->data = data;
        s->cap = cap;
    }
    void *f = s->data + s->count * s->size;
    memset(f, 0, s->size);
    s->count++;
    return f;
}
