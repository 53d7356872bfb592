/* keyset.c: the keys of every open dict of a streamed conversion (see
 * keyset.h), for the checker's repeated-key rule.
 *
 * Layout: one byte buffer holds the keys of all open dicts, innermost last,
 * each at a multiple of 8 and zero-padded to the next, and a record per key
 * (its hash, place and length) on one array. A str key is its bytes; any
 * other key its brinep_key_encode form (a record's length carries a tag
 * bit, so the two never meet). The hash is seeded at random per conversion
 * and covers every byte, so keys cannot be chosen to collide. Up to 64
 * keys a dict's 256-bit filter (in the checker's frame) sends a new key to
 * a scan of the dict's hashes only when its bit is set; past 64, the dict's
 * keys go into one open-addressing table of slots (the hash's high half and
 * the record's index) shared by all dicts. A dict's END drops its keys by
 * truncating the buffer and the records, not key by key: their slots stay
 * taken until a key of the same hash takes one over (see
 * brinep_keyset_insert_indexed) or the table is rebuilt from the open
 * dicts' records, when half its slots are taken.
 *
 * Measured (valgrind instructions per run, bench/opcount, twitter.json
 * msgpack->json, 13,345 keys in 1,264 dicts of up to ~40 keys): 10.38 M
 * before any check; a copy and, past 8 keys, an XXH3 hash and a brinep_map
 * insert per key 18.9 M; a 64-bit filter per dict with a full key
 * comparison on a hit and an index past 64 keys 13.03 M; one shared table
 * for every dict 12.77 M (stale slots of sibling dicts' same keys piled up
 * in one probe chain: 3.3 probes a key) and 12.26 M once they were taken
 * over; this layout (short keys copied and hashed inline, a 256-bit filter
 * with a scan of hashes, the table past 64 keys) 11.91-12.01 M: ~60
 * instructions a key more than the copy the checker made before. Still
 * over issue #16's 5% budget (10.90 M). */
#include <string.h>
#include <sys/random.h>
#include <xxhash.h>

#include "keyset.h"

/* The table's first size, and how sparse a rebuild leaves it: more slots
 * than 8 per live key make rebuilds rare (each is one memset and the live
 * keys' reinsertion) for 8 bytes a slot. */
#define SLOTS_MIN 1024
#define SLOTS_PER_LIVE 8
/* Inserts between two looks at the records and slots, at most. */
#define ROOM_MAX 1024

    int brinep_bytes_add(brinep_bytes *b, const void *data, size_t len)
{
    if (len > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < len) {
            if (cap > SIZE_MAX / 2)
                return BRINE_E_NOMEM;
            cap *= 2;
        }
        unsigned char *p = brine_realloc(b->data, cap);
        if (!p)
            return BRINE_E_NOMEM;
        b->data = p;
        b->cap = cap;
    }
    if (len && data)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    return BRINE_OK;
}

void brinep_bytes_destroy(brinep_bytes *b)
{
    brine_free(b->data);
    memset(b, 0, sizeof *b);
}

void brinep_keyset_init(brinep_keyset *ks)
{
    memset(ks, 0, sizeof *ks);
}

void brinep_keyset_destroy(brinep_keyset *ks)
{
    brine_free(ks->recs);
    brine_free(ks->slots);
    brinep_bytes_destroy(&ks->keys);
    memset(ks, 0, sizeof *ks);
}

int brinep_keyset_same(const brinep_keyset *ks, size_t rec, size_t pos, size_t len_tag)
{
    const brinep_keyset_rec *r = &ks->recs[rec];
    return r->len_tag == len_tag &&
           memcmp(ks->keys.data + r->pos, ks->keys.data + pos, len_tag & ~BRINEP_KEY_ENCODED) == 0;
}

/* Record r, distinct from its dict's other keys, into the table: the first
 * free or stale slot of its probe, as brinep_keyset_insert_indexed does. */
static void place(brinep_keyset *ks, size_t r)
{
    uint64_t sig = ks->recs[r].sig, high = sig >> 32, e;
    size_t i = (size_t)sig & ks->mask;
    while ((e = ks->slots[i]) != 0) {
        size_t o = (uint32_t)e - 1;
        if (e >> 32 == high && (o >= ks->count || ks->recs[o].sig != sig))
            break;
        i = (i + 1) & ks->mask;
    }
    ks->used += e == 0;
    ks->slots[i] = high << 32 | (uint64_t)(r + 1);
}

/* Rebuilds the table from the open dicts' records (its slots half taken,
 * many by closed dicts' keys), growing it first when the live keys would
 * fill it. The first call also draws the seed. */
static int rebuild(brinep_keyset *ks)
{
    if (!ks->slots) {
        /* Random per conversion, so colliding keys cannot be prepared. */
        if (getrandom(ks->seed, sizeof ks->seed, GRND_NONBLOCK) != (ssize_t)sizeof ks->seed) {
            uint64_t s = XXH3_64bits(&ks, sizeof ks) ^ (uint64_t)(uintptr_t)ks->recs;
            for (int i = 0; i < 3; i++)
                ks->seed[i] = s = XXH3_64bits_withSeed(&s, sizeof s, (uint64_t)i);
        }
    }
    size_t cap = ks->slots ? ks->mask + 1 : SLOTS_MIN;
    while (cap / SLOTS_PER_LIVE < ks->count + 1) {
        if (cap > SIZE_MAX / 2 / sizeof *ks->slots)
            return BRINE_E_NOMEM;
        cap *= 2;
    }
    if (cap != (ks->slots ? ks->mask + 1 : 0)) {
        uint64_t *slots = brine_realloc(ks->slots, cap * sizeof *slots);
        if (!slots)
            return BRINE_E_NOMEM;
        ks->slots = slots;
        ks->mask = cap - 1;
    }
    memset(ks->slots, 0, cap * sizeof *ks->slots);
    ks->used = 0;
    for (size_t r = 0; r < ks->count; r++) /* distinct within each dict: no comparing */
        place(ks, r);
    ks->limit = cap / 2;
    return BRINE_OK;
}

/* Sets ks->room to the inserts there is room for (at least one): grows the
 * records, and rebuilds the table when half its slots are taken. */
static BRINEP_NOINLINE int make_room(brinep_keyset *ks)
{
    if (ks->count == ks->rec_cap) {
        size_t cap = ks->rec_cap ? 2 * ks->rec_cap : 64;
        if (cap >= UINT32_MAX || cap > SIZE_MAX / sizeof *ks->recs) /* a slot holds a 32-bit index */
            return BRINE_E_NOMEM;
        brinep_keyset_rec *recs = brine_realloc(ks->recs, cap * sizeof *recs);
        if (!recs)
            return BRINE_E_NOMEM;
        ks->recs = recs;
        ks->rec_cap = cap;
    }
    if (ks->used >= ks->limit) {
        int rc = rebuild(ks);
        if (rc)
            return rc;
    }
    size_t room = ks->limit - ks->used;
    if (room > ks->rec_cap - ks->count)
        room = ks->rec_cap - ks->count;
    ks->room = room < ROOM_MAX ? room : ROOM_MAX;
    return BRINE_OK;
}

int brinep_keyset_index(brinep_keyset *ks, brinep_keyset_dict *d)
{
    d->indexed = 1;
    ks->room = 0; /* make_room looks again before the next insert */
    if (ks->used + (ks->count - d->rec_base) >= ks->limit)
        return rebuild(ks) ? BRINE_E_NOMEM : BRINE_OK; /* which places d's keys too */
    for (size_t r = d->rec_base; r < ks->count; r++)
        place(ks, r);
    return BRINE_OK;
}

/* The key of len_tag bytes at pos (recorded, zero-padded to 8) into d. */
static int insert(brinep_keyset *ks, brinep_keyset_dict *d, size_t pos, size_t len_tag)
{
    size_t len = len_tag & ~BRINEP_KEY_ENCODED;
    /* The hash reads whole pairs of words: zero up to the next 16. */
    size_t padded = (len + 15) & ~(size_t)15, end = ks->keys.len;
    if (brinep_bytes_add(&ks->keys, NULL, pos + padded - end))
        return BRINE_E_NOMEM;
    memset(ks->keys.data + pos + len, 0, padded - len);
    ks->keys.len = pos + ((len + 7) & ~(size_t)7);
    if (!ks->room && make_room(ks))
        return BRINE_E_NOMEM;
    ks->room--;
    return brinep_keyset_insert(ks, d, brinep_keyset_hash(ks, ks->keys.data + pos, len_tag), pos, len_tag);
}

int brinep_keyset_str_slow(brinep_keyset *ks, brinep_keyset_dict *d, const char *s, size_t len)
{
    size_t pos = ks->keys.len;
    if (len > SIZE_MAX / 4 || brinep_bytes_add(&ks->keys, s, len))
        return BRINE_E_NOMEM;
    return insert(ks, d, pos, len);
}

void brinep_keyset_begin(brinep_keyset *ks)
{
    ks->key = ks->keys.len;
}

int brinep_keyset_end(brinep_keyset *ks, brinep_keyset_dict *d)
{
    size_t len = ks->keys.len - ks->key;
    if (len > SIZE_MAX / 4)
        return BRINE_E_NOMEM;
    return insert(ks, d, ks->key, len | BRINEP_KEY_ENCODED);
}

int brinep_key_encode(brinep_bytes *b, const brine_event *ev)
{
    unsigned char buf[1 + 2 * sizeof(double)], tag;
    const void *data = NULL;
    size_t n = 0;
    int counted = 0;
    uint64_t word;
    switch (ev->kind) {
    case BRINE_EV_NULL: tag = 'N'; break;
    case BRINE_EV_BOOL: tag = ev->v.boolean ? 'T' : 'F'; break;
    case BRINE_EV_INT:
    case BRINE_EV_UINT:
        /* INT and UINT of one value are one key; UINTs past INT64_MAX differ from every INT. */
        tag = ev->kind == BRINE_EV_UINT && ev->v.u > INT64_MAX ? 'u' : 'i';
        word = ev->kind == BRINE_EV_INT ? (uint64_t)ev->v.i : ev->v.u;
        data = &word;
        n = sizeof word;
        break;
    case BRINE_EV_FLOAT:
        tag = 'f';
        data = &ev->v.f;
        n = sizeof ev->v.f;
        break;
    case BRINE_EV_COMPLEX:
        tag = 'c';
        memcpy(buf + 1, &ev->v.c.re, sizeof(double));
        memcpy(buf + 1 + sizeof(double), &ev->v.c.im, sizeof(double));
        data = buf + 1;
        n = 2 * sizeof(double);
        break;
    case BRINE_EV_BIGINT: /* minimal bytes (checked): one form per value */
    case BRINE_EV_STR:
    case BRINE_EV_BYTES:
        tag = ev->kind == BRINE_EV_BIGINT ? 'I' : ev->kind == BRINE_EV_STR ? 's' : 'b';
        data = ev->v.s.ptr;
        n = ev->v.s.len;
        counted = 1;
        break;
    case BRINE_EV_END: tag = ')'; break;
    case BRINE_EV_TUPLE: tag = '('; break;
    default: tag = '?'; break; /* other containers are refused as keys before this */
    }
    if (brinep_bytes_add(b, &tag, 1) || (counted && brinep_bytes_add(b, &n, sizeof n)) || brinep_bytes_add(b, data, n))
        return BRINE_E_NOMEM;
    return BRINE_OK;
}
