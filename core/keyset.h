/* keyset.h: the keys of every open dict of a streamed conversion, so that
 * the checker (codec.c) can refuse a repeated key, which a graph's dict
 * would fold and a streamed encoder would write twice. The common case, a
 * short str key, is inline here (the checker calls it once per key); the
 * layout and the costs that chose it are in keyset.c. */
#ifndef BRINE_KEYSET_H
#define BRINE_KEYSET_H

#include "internal.h"
#include "events.h"
#include "brine/plugin.h"

/* Growable bytes. */
typedef struct brinep_bytes {
    unsigned char *data;
    size_t len, cap;
} brinep_bytes;

/* What a check returns for a key its dict has already (errors are > 0). */
#define BRINEP_KEYSET_REPEAT (-1)

/* str keys up to this many bytes take the inline path. */
#define BRINEP_KEYSET_SHORT 32

/* One key of an open dict. */
typedef struct brinep_keyset_rec {
    uint64_t sig;   /* the key's seeded hash */
    size_t pos;     /* in keys.data */
    size_t len_tag; /* bytes, | BRINEP_KEY_ENCODED */
} brinep_keyset_rec;

/* A key's length carries this bit when the key is in brinep_key_encode form. */
#define BRINEP_KEY_ENCODED ((size_t)1 << (sizeof(size_t) * 8 - 1))

typedef struct brinep_keyset {
    brinep_bytes keys;       /* each key at a multiple of 8, zero-padded to one */
    brinep_keyset_rec *recs; /* the keys of all open dicts, innermost last */
    size_t count, rec_cap;
    uint64_t *slots; /* open addressing: sig's high half << 32 | record + 1; 0 is free */
    size_t mask;     /* slots - 1 */
    size_t used;     /* slots taken, by open or closed dicts' keys */
    size_t limit;    /* used past this: rebuild (keyset.c) */
    size_t room;     /* inserts before keyset.c must see to records and slots */
    size_t key;      /* where the key being built starts in keys */
    uint64_t seed[3];
} brinep_keyset;

/* One open dict's part of the keyset; lives in the checker's frame. */
typedef struct brinep_keyset_dict {
    size_t rec_base, bytes_base;
    uint64_t filter[4]; /* bit sig >> 56 of each key, while not indexed */
    int indexed;        /* past BRINEP_KEYSET_LINEAR keys: in the table */
} brinep_keyset_dict;

/* Past this many keys a dict's keys go into the table. */
#define BRINEP_KEYSET_LINEAR 64

void brinep_keyset_init(brinep_keyset *ks);
void brinep_keyset_destroy(brinep_keyset *ks);

/* A dict opens (its keys start empty) or closes (they go, in one step:
 * their slots stay taken until the next rebuild, which drops them). */
static inline void brinep_keyset_open(brinep_keyset *ks, brinep_keyset_dict *d)
{
    d->rec_base = ks->count;
    d->bytes_base = ks->keys.len;
    memset(d->filter, 0, sizeof d->filter);
    d->indexed = 0;
}
static inline void brinep_keyset_close(brinep_keyset *ks, const brinep_keyset_dict *d)
{
    ks->count = d->rec_base;
    ks->keys.len = d->bytes_base;
}

/* Out of line (keyset.c): a str key off the inline path, a record of d
 * that matched the key at pos by hash (1 if the bytes are equal too). */
int brinep_keyset_str_slow(brinep_keyset *ks, brinep_keyset_dict *d, const char *s, size_t len);
int brinep_keyset_index(brinep_keyset *ks, brinep_keyset_dict *d);
int brinep_keyset_same(const brinep_keyset *ks, size_t rec, size_t pos, size_t len_tag);

/* A 64x64->128 multiply folded to 64 bits: every input bit moves every
 * output bit, so with seeded inputs the slots cannot be aimed at. */
static BRINEP_INLINE uint64_t brinep_keyset_mix(uint64_t a, uint64_t b)
{
#if defined(__SIZEOF_INT128__)
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    uint64_t r = a * (b | 1);
    return r ^ (r >> 29) ^ b * UINT64_C(0x9E3779B97F4A7C15);
#endif
}

/* The seeded hash of the key at p, len_tag bytes (without the tag bit),
 * read as zero-padded words two at a time (one multiply per 16 bytes): the
 * bytes from len up to the next multiple of 16 must be zero. */
static BRINEP_INLINE uint64_t brinep_keyset_hash(const brinep_keyset *ks, const unsigned char *p, size_t len_tag)
{
    size_t len = len_tag & ~BRINEP_KEY_ENCODED;
    uint64_t a, b, h;
    memcpy(&a, p, sizeof a);
    memcpy(&b, p + 8, sizeof b);
    h = brinep_keyset_mix(a ^ ks->seed[0], b ^ ks->seed[1] ^ len_tag);
    for (size_t i = 16; i < len; i += 16) {
        memcpy(&a, p + i, sizeof a);
        memcpy(&b, p + i + 8, sizeof b);
        h = brinep_keyset_mix(a ^ ks->seed[2], b ^ h);
    }
    return h;
}

/* The key at pos (recorded in keys, zero-padded, hashed to sig) into dict
 * d: BRINEP_KEYSET_REPEAT if d has it, else BRINE_OK and it is recorded.
 * There must be room for one more record and one more slot (ks->room was
 * nonzero, and has been counted down).
 *
 * A slot of the same hash half whose record has gone or holds another hash
 * is stale (its dict closed; typically a sibling dict's same key): the key
 * takes it over and the probe stops there. That is sound because a key is
 * always put in the first stale or free slot of its probe, and every slot
 * that was live then belonged to d or an enclosing dict (the only open
 * ones while d is the innermost), which are still open: so d's copy of the
 * key, if any, comes before the first stale slot. Slots are never emptied
 * but by a rebuild, so every probe still reaches its key. */
static BRINEP_INLINE int brinep_keyset_insert_indexed(brinep_keyset *ks, const brinep_keyset_dict *d, uint64_t sig,
                                                      size_t pos, size_t len_tag)
{
    size_t i = (size_t)sig & ks->mask;
    uint64_t high = sig >> 32, e;
    while ((e = ks->slots[i]) != 0) {
        if (e >> 32 == high) {
            size_t r = (uint32_t)e - 1;
            if (r >= ks->count || ks->recs[r].sig != sig)
                break;
            if (r >= d->rec_base && brinep_keyset_same(ks, r, pos, len_tag))
                return BRINEP_KEYSET_REPEAT;
        }
        i = (i + 1) & ks->mask;
    }
    ks->used += e == 0;
    ks->slots[i] = high << 32 | (uint64_t)(ks->count + 1);
    brinep_keyset_rec *rec = &ks->recs[ks->count++];
    rec->sig = sig;
    rec->pos = pos;
    rec->len_tag = len_tag;
    return BRINE_OK;
}

/* The key at pos (recorded in keys, zero-padded, hashed to sig) into dict
 * d: BRINEP_KEYSET_REPEAT if d has it, else BRINE_OK and it is recorded.
 * Up to BRINEP_KEYSET_LINEAR keys, d's 256-bit filter decides: a new key's
 * bit is clear for most keys (a 64-bit one, half set by a 40-key dict, sent
 * a quarter of twitter's keys to the scan), and a set bit costs a scan of
 * d's hashes; past
 * that, d's keys go into the table (brinep_keyset_insert_indexed). */
static BRINEP_INLINE int brinep_keyset_insert(brinep_keyset *ks, brinep_keyset_dict *d, uint64_t sig, size_t pos,
                                              size_t len_tag)
{
    if (BRINEP_UNLIKELY(d->indexed))
        return brinep_keyset_insert_indexed(ks, d, sig, pos, len_tag);
    uint64_t bit = (uint64_t)1 << (sig >> 56 & 63), *word = &d->filter[sig >> 62];
    if (*word & bit) {
        for (size_t r = d->rec_base; r < ks->count; r++)
            if (BRINEP_UNLIKELY(ks->recs[r].sig == sig) && brinep_keyset_same(ks, r, pos, len_tag))
                return BRINEP_KEYSET_REPEAT;
    }
    *word |= bit;
    brinep_keyset_rec *rec = &ks->recs[ks->count++];
    rec->sig = sig;
    rec->pos = pos;
    rec->len_tag = len_tag;
    if (BRINEP_UNLIKELY(ks->count - d->rec_base == BRINEP_KEYSET_LINEAR))
        return brinep_keyset_index(ks, d);
    return BRINE_OK;
}

/* A whole str key s of dict d, recorded at the end of ks->keys (where
 * brinep_keyset_at finds it until d closes): BRINEP_KEYSET_REPEAT if d has
 * it already, else BRINE_OK (and it is recorded), or BRINE_E_NOMEM (then
 * its bytes may be missing). Short keys are copied with a few word moves
 * (no memcpy call) into zeroed room and hashed with one multiply. */
static BRINEP_INLINE int brinep_keyset_str(brinep_keyset *ks, brinep_keyset_dict *d, const char *s, size_t len)
{
    brinep_bytes *b = &ks->keys;
    size_t pos = b->len;
    if (BRINEP_UNLIKELY(len > BRINEP_KEYSET_SHORT || !ks->room || b->cap - pos < BRINEP_KEYSET_SHORT))
        return brinep_keyset_str_slow(ks, d, s, len);
    ks->room--;
    unsigned char *p = b->data + pos;
    static const uint64_t zero[4];
    memcpy(p, zero, sizeof zero);
    uint64_t w0, w1;
    uint32_t h0, h1;
    if (len >= 16) { /* 16..32: two overlapping pairs of words */
        memcpy(&w0, s, 8);
        memcpy(&w1, s + 8, 8);
        memcpy(p, &w0, 8);
        memcpy(p + 8, &w1, 8);
        memcpy(&w0, s + len - 16, 8);
        memcpy(&w1, s + len - 8, 8);
        memcpy(p + len - 16, &w0, 8);
        memcpy(p + len - 8, &w1, 8);
    } else if (len >= 8) {
        memcpy(&w0, s, 8);
        memcpy(&w1, s + len - 8, 8);
        memcpy(p, &w0, 8);
        memcpy(p + len - 8, &w1, 8);
    } else if (len >= 4) {
        memcpy(&h0, s, 4);
        memcpy(&h1, s + len - 4, 4);
        memcpy(p, &h0, 4);
        memcpy(p + len - 4, &h1, 4);
    } else if (len) {
        p[0] = (unsigned char)s[0];
        p[len / 2] = (unsigned char)s[len / 2];
        p[len - 1] = (unsigned char)s[len - 1];
    }
    b->len = pos + ((len + 7) & ~(size_t)7);
    return brinep_keyset_insert(ks, d, brinep_keyset_hash(ks, p, len), pos, len);
}

/* Any other key is built from its events: brinep_keyset_begin, then
 * brinep_key_encode into ks->keys for each event of the key (one scalar,
 * or a tuple's events to its END; brinep_bytes_add for a referenced
 * tuple's recorded form), then brinep_keyset_end, whose result is
 * brinep_keyset_str's. */
void brinep_keyset_begin(brinep_keyset *ks);
int brinep_keyset_end(brinep_keyset *ks, brinep_keyset_dict *d);

static inline const char *brinep_keyset_at(const brinep_keyset *ks, size_t at)
{
    return (const char *)ks->keys.data + at;
}

/* Appends ev (a scalar, a TUPLE or an END) to b in a form where two keys
 * are equal exactly when a graph's dict takes them as one (core/dict.c): a
 * tag byte, then the value (an int however it was sent, floats by their
 * bits, bytes after their length). BRINE_OK or BRINE_E_NOMEM. */
int brinep_key_encode(brinep_bytes *b, const brine_event *ev);

int brinep_bytes_add(brinep_bytes *b, const void *data, size_t len);
void brinep_bytes_destroy(brinep_bytes *b);

#endif /* BRINE_KEYSET_H */
