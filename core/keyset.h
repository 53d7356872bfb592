/* keyset.h: the keys of every open dict of a streamed conversion, so that
 * the checker (codec.c) can refuse a repeated key, which a graph's dict
 * would fold and a streamed encoder would write twice. The common case, a
 * str key that is the next key of its dict's shape (records have the same
 * keys in the same order), is inline here, a leaf; the layout and the
 * costs that chose it are in keyset.c. */
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

/* The str keys of a dict that closed (distinct, in their order): for each,
 * its length (a size_t) and its bytes zero-padded to 8. A later dict at the
 * same depth with the same first key checks its keys against these while
 * they come in the same order. */
typedef struct brinep_shape {
    brinep_bytes keys;
    size_t depth;
    uint64_t used; /* brinep_keyset.shape_clock when last taken or stored */
    int busy;      /* an open dict is matching it: not to be replaced */
    int follow;    /* the shape (+ 1) of the dict after the last one of this shape at its depth */
} brinep_shape;

/* Remembered shapes: two slots per hash of (depth, first key), each the
 * last dict to close with its depth and first key. */
#define BRINEP_SHAPES 256
#define BRINEP_SHAPE_HINTS 64

typedef struct brinep_keyset {
    brinep_shape *shapes; /* BRINEP_SHAPES, or NULL until a dict closes */
    uint64_t shape_clock;
    /* Per depth, the shape (+ 1; 0: none) of the last dict there: a new
     * dict starts out following the shape that came after that one last
     * time (its follow: sibling dicts of a record come in an order), or
     * that one (records in a list), so its first key costs what the others
     * do. */
    int hint[BRINEP_SHAPE_HINTS];
    /* The shape keys each open dict has skipped (absent optional keys), as
     * pairs of offsets [from, to) in its shape, innermost dict's last. */
    size_t *skips;
    size_t skip_count, skip_cap; /* pairs */
    brinep_bytes keys;           /* each key at a multiple of 8, zero-padded to one */
    brinep_keyset_rec *recs;     /* the keys of all open dicts, innermost last */
    size_t count, rec_cap;
    uint64_t *slots;  /* open addressing: sig's high half << 32 | record + 1; 0 is free */
    size_t mask;      /* slots - 1 */
    size_t used;      /* slots taken, by open or closed dicts' keys */
    size_t limit;     /* used past this: rebuild (keyset.c) */
    size_t room;      /* inserts before keyset.c must see to records and slots */
    size_t key;       /* where the key being built starts in keys */
    uint64_t seed[3]; /* zero until the table is first needed, then random */
    unsigned seeded;  /* 1 once the seed is drawn (and every record's hash redone) */
} brinep_keyset;

/* One open dict's part of the keyset; lives in the checker's frame. */
typedef struct brinep_keyset_dict {
    size_t rec_base, bytes_base;
    /* A shape's index while the keys so far are its first ones, with its
     * keys' start, its next key and its end (the shape is not changed
     * while an open dict follows it); BRINEP_SHAPE_NONE before the first
     * key; BRINEP_SHAPE_OFF once the keys are in the keyset's records
     * (then next == end). */
    int shape;
    const unsigned char *base, *next, *end;
    size_t depth, skip_base;
    int prev;           /* the shape of the dict before it at its depth, or -1 */
    uint64_t filter[4]; /* bit sig >> 56 of each key, while not indexed */
    unsigned epoch;     /* ks->seeded when filter was made: else make it again */
    int indexed;        /* past BRINEP_KEYSET_LINEAR keys: in the table */
} brinep_keyset_dict;

#define BRINEP_SHAPE_NONE (-1)
#define BRINEP_SHAPE_OFF (-2)

/* A key's place (brinep_keyset_str's *at) carries this bit when it is in
 * its dict's shape rather than in keys (brinep_keyset_key finds both). */
#define BRINEP_KEY_IN_SHAPE ((size_t)1 << (sizeof(size_t) * 8 - 1))

/* Past this many keys a dict's keys go into the table. */
#define BRINEP_KEYSET_LINEAR 64

void brinep_keyset_init(brinep_keyset *ks);
void brinep_keyset_destroy(brinep_keyset *ks);

/* Out of line (keyset.c): a dict's keys into its shape's slot, or its
 * keys from the shape it matched so far into the records. */
int brinep_keyset_remember(brinep_keyset *ks, const brinep_keyset_dict *d);
int brinep_keyset_unshape(brinep_keyset *ks, brinep_keyset_dict *d);

/* A dict opens at depth (its keys start empty) or closes (they go, in one
 * step: their slots stay taken until the next rebuild, which drops them;
 * its keys become its depth's shape if they did not follow one). */
static inline void brinep_keyset_open(brinep_keyset *ks, brinep_keyset_dict *d, size_t depth)
{
    int hint = depth < BRINEP_SHAPE_HINTS ? ks->hint[depth] - 1 : -1;
    d->prev = hint;
    if (hint >= 0 && ks->shapes[hint].follow)
        hint = ks->shapes[hint].follow - 1;
    d->rec_base = ks->count;
    d->bytes_base = ks->keys.len;
    d->shape = BRINEP_SHAPE_NONE;
    d->depth = depth;
    d->skip_base = ks->skip_count;
    d->base = d->next = d->end = NULL;
    /* Only a dict at its depth follows a shape: so it is not busy. */
    if (hint >= 0 && ks->shapes[hint].depth == depth && ks->shapes[hint].keys.len) {
        brinep_shape *sh = &ks->shapes[hint];
        d->shape = hint;
        d->base = d->next = sh->keys.data;
        d->end = sh->keys.data + sh->keys.len;
        sh->busy = 1;
    }
}
static inline void brinep_keyset_close(brinep_keyset *ks, const brinep_keyset_dict *d)
{
    int shape = d->shape;
    if (shape >= 0)
        ks->shapes[shape].busy = 0;
    else if (ks->count != d->rec_base)
        shape = brinep_keyset_remember(ks, d);
    if (shape >= 0 && d->depth < BRINEP_SHAPE_HINTS) {
        if (d->prev >= 0)
            ks->shapes[d->prev].follow = shape + 1;
        ks->hint[d->depth] = shape + 1;
    }
    ks->count = d->rec_base;
    ks->keys.len = d->bytes_base;
    ks->skip_count = d->skip_base;
}

/* The bytes of the key at `at` (a brinep_keyset_str place) of dict d. */
static inline const char *brinep_keyset_key(const brinep_keyset *ks, const brinep_keyset_dict *d, size_t at)
{
    if (at & BRINEP_KEY_IN_SHAPE)
        return (const char *)d->base + (at & ~BRINEP_KEY_IN_SHAPE);
    return (const char *)ks->keys.data + at;
}

/* Out of line (keyset.c): a str key off the inline path, a record of d
 * that matched the key at pos by hash (1 if the bytes are equal too). */
int brinep_keyset_str_slow(brinep_keyset *ks, brinep_keyset_dict *d, const char *s, size_t len);
int brinep_keyset_index(brinep_keyset *ks, brinep_keyset_dict *d);
int brinep_keyset_same(const brinep_keyset *ks, size_t rec, size_t pos, size_t len_tag);
void brinep_keyset_refilter(const brinep_keyset *ks, brinep_keyset_dict *d);

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
    if (BRINEP_UNLIKELY(d->epoch != ks->seeded))
        brinep_keyset_refilter(ks, d);
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

/* 1 if the len bytes at s equal those at k (zero-padded to 8): keys up to
 * 32 bytes by overlapping words, no memcmp call. */
static BRINEP_INLINE int brinep_key_equal(const unsigned char *k, const char *s, size_t len)
{
    uint64_t a, b, x, y;
    uint32_t h0, h1, g0, g1;
    if (len > 32)
        return memcmp(k, s, len) == 0;
    if (len >= 16) {
        memcpy(&a, s, 8);
        memcpy(&b, s + 8, 8);
        memcpy(&x, k, 8);
        memcpy(&y, k + 8, 8);
        if ((a ^ x) | (b ^ y))
            return 0;
        memcpy(&a, s + len - 16, 8);
        memcpy(&b, s + len - 8, 8);
        memcpy(&x, k + len - 16, 8);
        memcpy(&y, k + len - 8, 8);
        return !((a ^ x) | (b ^ y));
    }
    if (len >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + len - 8, 8);
        memcpy(&x, k, 8);
        memcpy(&y, k + len - 8, 8);
        return !((a ^ x) | (b ^ y));
    }
    if (len >= 4) {
        memcpy(&h0, s, 4);
        memcpy(&h1, s + len - 4, 4);
        memcpy(&g0, k, 4);
        memcpy(&g1, k + len - 4, 4);
        return !((h0 ^ g0) | (h1 ^ g1));
    }
    return !len || (k[0] == (unsigned char)s[0] && k[len / 2] == (unsigned char)s[len / 2] &&
                    k[len - 1] == (unsigned char)s[len - 1]);
}

/* The first key, a key off its dict's shape, or a key of a dict whose keys
 * are in the records: keyset.c, out of line. */
int brinep_keyset_str_other(brinep_keyset *ks, brinep_keyset_dict *d, const char *s, size_t len, size_t *at);

/* 1 if str key s of dict d is the next key of the shape d follows, which
 * is then taken (*at: where brinep_keyset_key finds it until d closes): one
 * length and one short comparison, nothing copied or hashed, since the
 * shape's keys are distinct. 0 for any other key (long ones too), which
 * brinep_keyset_str_other takes. A leaf, for the checker's hot path. */
static BRINEP_INLINE int brinep_keyset_str_next(brinep_keyset_dict *d, const char *s, size_t len, size_t *at)
{
    const unsigned char *k = d->next;
    size_t klen;
    if (k == d->end)
        return 0;
    memcpy(&klen, k, sizeof klen);
    if (klen != len || len > 32 || !brinep_key_equal(k + sizeof klen, s, len))
        return 0;
    *at = (size_t)(k + sizeof klen - d->base) | BRINEP_KEY_IN_SHAPE;
    d->next = k + sizeof klen + ((len + 7) & ~(size_t)7);
    return 1;
}

/* A whole str key s of dict d: BRINEP_KEYSET_REPEAT if d has it already,
 * else BRINE_OK (*at is where brinep_keyset_key finds it until d closes),
 * or BRINE_E_NOMEM. */
static inline int brinep_keyset_str(brinep_keyset *ks, brinep_keyset_dict *d, const char *s, size_t len, size_t *at)
{
    return brinep_keyset_str_next(d, s, len, at) ? BRINE_OK : brinep_keyset_str_other(ks, d, s, len, at);
}

/* A str key s of dict d whose keys are in the records (d->shape is
 * BRINEP_SHAPE_OFF), recorded at the end of ks->keys: as brinep_keyset_str.
 * Short keys are copied with a few word moves (no memcpy call) into zeroed
 * room and hashed with one multiply. */
static BRINEP_INLINE int brinep_keyset_str_recorded(brinep_keyset *ks, brinep_keyset_dict *d, const char *s, size_t len)
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
 * brinep_keyset_str's. begin fails only for memory (BRINE_E_NOMEM). */
int brinep_keyset_begin(brinep_keyset *ks, brinep_keyset_dict *d);
int brinep_keyset_end(brinep_keyset *ks, brinep_keyset_dict *d);

/* Appends ev (a scalar, a TUPLE or an END) to b in a form where two keys
 * are equal exactly when a graph's dict takes them as one (core/dict.c): a
 * tag byte, then the value (an int however it was sent, floats by their
 * bits, bytes after their length). BRINE_OK or BRINE_E_NOMEM. */
int brinep_key_encode(brinep_bytes *b, const brine_event *ev);

int brinep_bytes_add(brinep_bytes *b, const void *data, size_t len);
void brinep_bytes_destroy(brinep_bytes *b);

#endif /* BRINE_KEYSET_H */
