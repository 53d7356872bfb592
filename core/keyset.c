/* keyset.c: the keys of every open dict of a streamed conversion (see
 * keyset.h), for the checker's repeated-key rule.
 *
 * Shapes first: records repeat dicts with the same keys in the same order.
 * The keys of the last dict to close with a given depth and first key are
 * kept (a shape: distinct, since they were checked); a new dict starts out
 * following the shape that came after its depth's last one last time, and
 * while its keys are a subsequence of the shape's, in order, each costs a
 * length and a short comparison (no copy, no hash, and no UTF-8 check: it
 * equals a checked key). A key that leaves the shape sends the dict to the
 * keyset below, seeded with the keys it had; when such a dict closes, its
 * keys become a shape.
 *
 * The keyset: one byte buffer holds the keys of the open dicts that left
 * their shapes, innermost last, each at a multiple of 8 and zero-padded to
 * the next, and a record per key (its hash, place and length) on one
 * array. A str key is its bytes; any other key its brinep_key_encode form
 * (a record's length carries a tag bit, so the two never meet). Up to 64
 * keys a dict's 256-bit filter (in the checker's frame) sends a new key to
 * a scan of the dict's hashes only when its bit is set; past 64, the dict's
 * keys go into one open-addressing table of slots (the hash's high half and
 * the record's index) shared by all dicts, and from then on the hash is
 * seeded at random per conversion (it covers every byte, so keys cannot be
 * chosen to collide). A dict's END drops its keys by truncating the buffer
 * and the records, not key by key: their slots stay taken until a key of
 * the same hash takes one over (see brinep_keyset_insert_indexed) or the
 * table is rebuilt from the open dicts' records, when half its slots are
 * taken.
 *
 * Measured (valgrind instructions per run, bench/opcount, twitter.json
 * msgpack->json, 13,345 keys in 1,264 dicts of up to ~40 keys): 10.38 M
 * before any check; a copy and, past 8 keys, an XXH3 hash and a brinep_map
 * insert per key 18.9 M; a 64-bit filter per dict with a full key
 * comparison on a hit and an index past 64 keys 13.03 M; the keyset alone
 * as above 11.91 M (~60 instructions a key more than the copy the checker
 * made before); shapes kept per depth only 12.65 M (a status's sibling
 * dicts took turns in one slot), per depth and first key 11.93 M, with a
 * hint per depth and the shape's next key inline 11.24 M, with absent keys
 * skipped (twitter's statuses have 23 to 25 keys) 11.06 M, predicting the
 * next sibling's shape 9.87 M, and with the rest of the checker's work per
 * event trimmed 9.58 M: all but ~870 of the 13,345 keys take the inline
 * path. citm_catalog.json msgpack->json: 25.21 M before, 29.49 M with the
 * keyset alone, 24.95 M now. */
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
    if (ks->shapes)
        for (size_t i = 0; i < BRINEP_SHAPES; i++)
            brinep_bytes_destroy(&ks->shapes[i].keys);
    brine_free(ks->shapes);
    brine_free(ks->skips);
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

/* brinep_keyset_hash of record r's key, reading none of the bytes after
 * it (by now another key's): its last pair of words from a zeroed copy. */
static uint64_t hash_recorded(const brinep_keyset *ks, const brinep_keyset_rec *r)
{
    size_t len = r->len_tag & ~BRINEP_KEY_ENCODED, at = len > 16 ? (len - 1) / 16 * 16 : 0;
    const unsigned char *p = ks->keys.data + r->pos, *q;
    unsigned char last[16] = {0};
    uint64_t a, b, h;
    memcpy(last, p + at, len - at);
    q = at ? p : last;
    memcpy(&a, q, sizeof a);
    memcpy(&b, q + 8, sizeof b);
    h = brinep_keyset_mix(a ^ ks->seed[0], b ^ ks->seed[1] ^ r->len_tag);
    for (size_t i = 16; i < len; i += 16) {
        q = i == at ? last : p + i;
        memcpy(&a, q, sizeof a);
        memcpy(&b, q + 8, sizeof b);
        h = brinep_keyset_mix(a ^ ks->seed[2], b ^ h);
    }
    return h;
}

void brinep_keyset_refilter(const brinep_keyset *ks, brinep_keyset_dict *d)
{
    memset(d->filter, 0, sizeof d->filter);
    for (size_t r = d->rec_base; r < ks->count; r++)
        d->filter[ks->recs[r].sig >> 62] |= (uint64_t)1 << (ks->recs[r].sig >> 56 & 63);
    d->epoch = ks->seeded;
}

/* Rebuilds the table from the open dicts' records (its slots half taken,
 * many by closed dicts' keys), growing it first when the live keys would
 * fill it. The first call, when a dict first passes BRINEP_KEYSET_LINEAR
 * keys, draws the seed: until then no work depends on the hash's quality
 * (a dict's scan is bounded), so most conversions never pay for it or for
 * the table's zeroing. The open dicts' records then get their hashes again
 * and each dict its filter (at its next key: brinep_keyset_refilter). */
static int rebuild(brinep_keyset *ks)
{
    if (!ks->seeded) {
        /* Random per conversion, so colliding keys cannot be prepared. */
        if (getrandom(ks->seed, sizeof ks->seed, GRND_NONBLOCK) != (ssize_t)sizeof ks->seed) {
            uint64_t s = XXH3_64bits(&ks, sizeof ks) ^ (uint64_t)(uintptr_t)ks->recs;
            for (int i = 0; i < 3; i++)
                ks->seed[i] = s = XXH3_64bits_withSeed(&s, sizeof s, (uint64_t)i);
        }
        ks->seeded = 1;
        for (size_t r = 0; r < ks->count; r++)
            ks->recs[r].sig = hash_recorded(ks, &ks->recs[r]);
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
    if (ks->slots && ks->used >= ks->limit) {
        int rc = rebuild(ks);
        if (rc)
            return rc;
    }
    size_t room = ks->slots ? ks->limit - ks->used : SIZE_MAX; /* no table yet: no slots to use up */
    if (room > ks->rec_cap - ks->count)
        room = ks->rec_cap - ks->count;
    ks->room = room < ROOM_MAX ? room : ROOM_MAX;
    return BRINE_OK;
}

int brinep_keyset_index(brinep_keyset *ks, brinep_keyset_dict *d)
{
    d->indexed = 1;
    ks->room = 0; /* make_room looks again before the next insert */
    if (!ks->slots || ks->used + (ks->count - d->rec_base) >= ks->limit)
        return rebuild(ks) ? BRINE_E_NOMEM : BRINE_OK; /* which places d's keys too */
    for (size_t r = d->rec_base; r < ks->count; r++)
        place(ks, r);
    return BRINE_OK;
}

/* The key of len_tag bytes at pos (recorded, zero-padded to 8) into d. */
static int insert(brinep_keyset *ks, brinep_keyset_dict *d, size_t pos, size_t len_tag)
{
    size_t len = len_tag & ~BRINEP_KEY_ENCODED;
    /* The hash reads whole pairs of words, at least one (the empty key
     * too): zero up to the next 16. */
    size_t padded = len ? (len + 15) & ~(size_t)15 : 16, end = ks->keys.len;
    if (brinep_bytes_add(&ks->keys, NULL, pos + padded - end))
        return BRINE_E_NOMEM;
    memset(ks->keys.data + pos + len, 0, padded - len);
    ks->keys.len = pos + ((len + 7) & ~(size_t)7);
    if (!ks->room && make_room(ks))
        return BRINE_E_NOMEM;
    ks->room--;
    return brinep_keyset_insert(ks, d, brinep_keyset_hash(ks, ks->keys.data + pos, len_tag), pos, len_tag);
}

/* ---- shapes ---------------------------------------------------------------- */

/* A stored shape keeps at most this many keys and bytes (a prefix of the
 * dict's keys is as good a shape): the 256 shapes stay within 2 MB. */
#define SHAPE_MAX_KEYS 256
#define SHAPE_MAX_BYTES 8192

/* The first of the two shape slots for a dict at depth whose first key is
 * s (len bytes, read exactly): a hash of the depth, the length and the
 * key's ends. Two ways, so that two shapes with one hash do not take turns
 * in one slot. */
static size_t shape_slots(size_t depth, const char *s, size_t len)
{
    uint64_t a = 0, b = 0;
    uint32_t x, y;
    if (len >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + len - 8, 8);
    } else if (len >= 4) {
        memcpy(&x, s, 4);
        memcpy(&y, s + len - 4, 4);
        a = x;
        b = y;
    } else if (len) {
        a = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[len / 2] << 8 |
            (uint64_t)(unsigned char)s[len - 1] << 16;
    }
    uint64_t h =
        brinep_keyset_mix(a ^ (uint64_t)len * UINT64_C(0x9E3779B97F4A7C15), b ^ depth ^ UINT64_C(0xD6E8FEB86659FD93));
    return (size_t)(h >> 32) & (BRINEP_SHAPES - 2);
}

/* 1 if shape sh is for a dict at depth whose first key is s. */
static int shape_is(const brinep_shape *sh, size_t depth, const char *s, size_t len)
{
    size_t klen;
    if (!sh->keys.len || sh->depth != depth)
        return 0;
    memcpy(&klen, sh->keys.data, sizeof klen);
    return klen == len && brinep_key_equal(sh->keys.data + sizeof klen, s, len);
}

int brinep_keyset_remember(brinep_keyset *ks, const brinep_keyset_dict *d)
{
    const brinep_keyset_rec *first = &ks->recs[d->rec_base];
    if (first->len_tag & BRINEP_KEY_ENCODED)
        return -1; /* shapes hold str keys */
    if (!ks->shapes) {
        if (!(ks->shapes = brine_malloc(BRINEP_SHAPES * sizeof *ks->shapes)))
            return -1; /* no shapes: every dict takes the records' path */
        memset(ks->shapes, 0, BRINEP_SHAPES * sizeof *ks->shapes);
    }
    const char *key0 = (const char *)ks->keys.data + first->pos;
    brinep_shape *way = &ks->shapes[shape_slots(d->depth, key0, first->len_tag)], *sh;
    /* Its own slot if it has one, else the one used least lately that no
     * open dict follows. */
    if (shape_is(&way[0], d->depth, key0, first->len_tag) || shape_is(&way[1], d->depth, key0, first->len_tag))
        sh = shape_is(&way[0], d->depth, key0, first->len_tag) ? &way[0] : &way[1];
    else
        sh = way[0].busy || (!way[1].busy && way[1].used < way[0].used) ? &way[1] : &way[0];
    if (sh->busy)
        return -1;
    size_t n = 0, bytes = 0, end = d->rec_base;
    for (; end < ks->count && n < SHAPE_MAX_KEYS; end++, n++) {
        size_t len = ks->recs[end].len_tag, size = sizeof len + ((len + 7) & ~(size_t)7);
        if ((len & BRINEP_KEY_ENCODED) || bytes + size > SHAPE_MAX_BYTES)
            break;
        bytes += size;
    }
    sh->keys.len = 0;
    sh->follow = 0;
    if (brinep_bytes_add(&sh->keys, NULL, bytes))
        return -1;
    sh->depth = d->depth;
    sh->used = ++ks->shape_clock;
    unsigned char *p = sh->keys.data;
    for (size_t r = d->rec_base; r < end; r++) {
        size_t len = ks->recs[r].len_tag, padded = (len + 7) & ~(size_t)7;
        memcpy(p, &len, sizeof len);
        /* Keys in the records are zero-padded to 8, as a shape's are. */
        memcpy(p + sizeof len, ks->keys.data + ks->recs[r].pos, padded);
        p += sizeof len + padded;
    }
    return (int)(sh - ks->shapes);
}

int brinep_keyset_unshape(brinep_keyset *ks, brinep_keyset_dict *d)
{
    int shape = d->shape;
    const unsigned char *matched = d->next;
    d->shape = BRINEP_SHAPE_OFF;
    d->next = d->end = NULL;
    memset(d->filter, 0, sizeof d->filter);
    d->epoch = ks->seeded;
    d->indexed = 0;
    if (shape < 0)
        return BRINE_OK;
    brinep_shape *sh = &ks->shapes[shape];
    sh->busy = 0;
    /* The keys matched so far, distinct: into the records, as if they had
     * come that way. */
    const size_t *skip = NULL, *skip_end = NULL;
    if (ks->skips) { /* NULL until a dict first skips a key */
        skip = ks->skips + 2 * d->skip_base;
        skip_end = ks->skips + 2 * ks->skip_count;
    }
    for (const unsigned char *k = sh->keys.data; k < matched;) {
        size_t len;
        if (skip != skip_end && k == sh->keys.data + skip[0]) {
            k = sh->keys.data + skip[1];
            skip += 2;
            continue;
        }
        memcpy(&len, k, sizeof len);
        if (brinep_keyset_str_recorded(ks, d, (const char *)k + sizeof len, len))
            return BRINE_E_NOMEM;
        k += sizeof len + ((len + 7) & ~(size_t)7);
    }
    ks->skip_count = d->skip_base;
    return BRINE_OK;
}

/* Dict d follows shape `shape`, whose first key (len bytes) it has just
 * sent. */
static int take_shape(brinep_keyset *ks, brinep_keyset_dict *d, int shape, size_t len, size_t *at)
{
    brinep_shape *sh = &ks->shapes[shape];
    sh->busy = 1;
    sh->used = ++ks->shape_clock;
    d->shape = shape;
    d->base = sh->keys.data;
    d->next = sh->keys.data + sizeof len + ((len + 7) & ~(size_t)7);
    d->end = sh->keys.data + sh->keys.len;
    *at = sizeof len | BRINEP_KEY_IN_SHAPE;
    return BRINE_OK;
}

int brinep_keyset_str_other(brinep_keyset *ks, brinep_keyset_dict *d, const char *s, size_t len, size_t *at)
{
    if (d->shape >= 0 && d->next == d->base) {
        /* The shape that came after the depth's last one last time starts
         * otherwise: the last one itself, then any, by the first key. */
        brinep_shape *sh = &ks->shapes[d->shape];
        sh->busy = 0;
        d->shape = BRINEP_SHAPE_NONE;
        d->base = d->next = d->end = NULL;
        if (d->prev >= 0 && sh != &ks->shapes[d->prev] && shape_is(&ks->shapes[d->prev], d->depth, s, len))
            return take_shape(ks, d, d->prev, len, at);
    }
    if (d->shape >= 0) {
        /* A key further on in the shape: the keys between are absent (a
         * record without its optional keys), and the keys stay distinct
         * while they are a subsequence of the shape's. */
        const unsigned char *k = d->next;
        size_t klen;
        while (k != d->end) {
            memcpy(&klen, k, sizeof klen);
            if (klen == len && brinep_key_equal(k + sizeof klen, s, len))
                break;
            k += sizeof klen + ((klen + 7) & ~(size_t)7);
        }
        if (k != d->end) {
            if (k != d->next) {
                if (ks->skip_count == ks->skip_cap) {
                    size_t cap = ks->skip_cap ? 2 * ks->skip_cap : 16;
                    size_t *skips =
                        cap < SIZE_MAX / (2 * sizeof *skips) ? brine_realloc(ks->skips, 2 * cap * sizeof *skips) : NULL;
                    if (!skips)
                        return BRINE_E_NOMEM;
                    ks->skips = skips;
                    ks->skip_cap = cap;
                }
                ks->skips[2 * ks->skip_count] = (size_t)(d->next - d->base);
                ks->skips[2 * ks->skip_count + 1] = (size_t)(k - d->base);
                ks->skip_count++;
            }
            *at = (size_t)(k + sizeof klen - d->base) | BRINEP_KEY_IN_SHAPE;
            d->next = k + sizeof klen + ((len + 7) & ~(size_t)7);
            return BRINE_OK;
        }
    }
    if (d->shape == BRINEP_SHAPE_NONE && ks->shapes) {
        size_t slot = shape_slots(d->depth, s, len);
        slot += !shape_is(&ks->shapes[slot], d->depth, s, len);
        brinep_shape *sh = &ks->shapes[slot];
        if (!sh->busy && shape_is(sh, d->depth, s, len))
            return take_shape(ks, d, (int)slot, len, at);
    }
    if (d->shape != BRINEP_SHAPE_OFF && brinep_keyset_unshape(ks, d))
        return BRINE_E_NOMEM;
    *at = ks->keys.len;
    return brinep_keyset_str_recorded(ks, d, s, len);
}

int brinep_keyset_str_slow(brinep_keyset *ks, brinep_keyset_dict *d, const char *s, size_t len)
{
    size_t pos = ks->keys.len;
    if (len > SIZE_MAX / 4 || brinep_bytes_add(&ks->keys, s, len))
        return BRINE_E_NOMEM;
    return insert(ks, d, pos, len);
}

int brinep_keyset_begin(brinep_keyset *ks, brinep_keyset_dict *d)
{
    if (d->shape != BRINEP_SHAPE_OFF && brinep_keyset_unshape(ks, d))
        return BRINE_E_NOMEM;
    ks->key = ks->keys.len;
    return BRINE_OK;
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
