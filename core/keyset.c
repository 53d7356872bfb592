/* keyset.c: the keys of every open dict of a streamed conversion (see
 * keyset.h), for the checker's repeated-key rule.
 *
 * Layout: one byte buffer holds the keys of all open dicts, innermost last,
 * each at a multiple of 8 and zero-padded to the next; a dict's END drops
 * its keys by truncating the buffer and the record stack, not key by key.
 * A str key is its bytes; any other key its brinep_key_encode form (a
 * record's length carries a tag bit, so the two never meet). Each record
 * keeps a signature: the key's first and last 8 bytes and its length,
 * mixed by two multiplies (exact for keys up to 8 bytes). A new key is
 * compared with the earlier ones only when its bit in the dict's 64-bit
 * filter is already set, then by signature and length before memcmp; past
 * BRINEP_KEYSET_LINEAR keys the dict gets a hash index with a random seed,
 * so that keys cannot be chosen to collide.
 *
 * Measured (valgrind instructions per run, bench/opcount, twitter.json
 * msgpack->json, 13,345 keys in 1,264 dicts, 173 of more than 32 keys):
 * 10.38 M before any check; the first version (a copy and, past 8 keys, an
 * XXH3 hash and a brinep_map insert per key) +82%; this one with the index
 * past 32 keys +38%, past 64 keys +25%. STILL OVER the 5% budget of issue
 * #16: per key, brinep_keyset_str + check + the checker's key dispatch cost
 * ~170 instructions; the next step is to fold them into checker_event.
 */
#include <string.h>
#include <sys/random.h>
#include <xxhash.h>

#include "keyset.h"

/* A key's length carries this bit when the key is in brinep_key_encode form. */
#define KEY_ENCODED ((size_t)1 << (sizeof(size_t) * 8 - 1))

typedef struct keyset_rec {
    uint64_t sig;   /* head, tail and length mixed (see top) */
    uint64_t hash;  /* seeded XXH3 of the bytes, once the dict is indexed */
    size_t pos;     /* in keys.data */
    size_t len_tag; /* bytes, | KEY_ENCODED */
} keyset_rec;

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
    brinep_stack_init(&ks->recs, sizeof(keyset_rec));
    brinep_stack_init(&ks->maps, sizeof(brinep_map));
}

void brinep_keyset_destroy(brinep_keyset *ks)
{
    for (size_t i = 0; i < ks->maps.count; i++)
        brinep_map_destroy(brinep_stack_at(&ks->maps, i));
    brinep_stack_destroy(&ks->maps);
    brinep_stack_destroy(&ks->recs);
    brinep_bytes_destroy(&ks->keys);
}

void brinep_keyset_open(brinep_keyset *ks, brinep_keyset_dict *d)
{
    d->rec_base = ks->recs.count;
    d->bytes_base = ks->keys.len;
    d->level = ks->dicts++;
    d->filter = 0;
    d->indexed = 0;
}

void brinep_keyset_close(brinep_keyset *ks, brinep_keyset_dict *d)
{
    if (d->indexed) {
        brinep_map *map = brinep_stack_at(&ks->maps, d->level);
        for (size_t i = d->rec_base; i < ks->recs.count; i++)
            brinep_map_remove(map, ((keyset_rec *)brinep_stack_at(&ks->recs, i))->hash);
    }
    ks->recs.count = d->rec_base;
    ks->keys.len = d->bytes_base;
    ks->dicts--;
}

static uint64_t key_hash(const brinep_keyset *ks, const keyset_rec *r)
{
    return XXH3_64bits_withSeed(ks->keys.data + r->pos, r->len_tag & ~KEY_ENCODED, ks->seed ^ r->len_tag) |
           1; /* map keys are nonzero */
}

static int same_key(const brinep_keyset *ks, const keyset_rec *a, const keyset_rec *b)
{
    return a->sig == b->sig && a->len_tag == b->len_tag &&
           memcmp(ks->keys.data + a->pos, ks->keys.data + b->pos, a->len_tag & ~KEY_ENCODED) == 0;
}

/* Dict d has more than BRINEP_KEYSET_LINEAR keys: new (the key's record,
 * not pushed yet) goes through d's hash index, built on first use. */
static BRINEP_NOINLINE int indexed_check(brinep_keyset *ks, brinep_keyset_dict *d, keyset_rec *new)
{
    if (!ks->seed) {
        /* Random per conversion, so colliding keys cannot be prepared. */
        if (getrandom(&ks->seed, sizeof ks->seed, GRND_NONBLOCK) != (ssize_t)sizeof ks->seed)
            ks->seed = XXH3_64bits(&ks, sizeof ks) ^ (uint64_t)(uintptr_t)ks->keys.data;
        ks->seed |= 1;
    }
    while (ks->maps.count <= d->level) {
        brinep_map *m = brinep_stack_push(&ks->maps);
        if (!m)
            return BRINE_E_NOMEM;
        brinep_map_init(m);
    }
    brinep_map *map = brinep_stack_at(&ks->maps, d->level);
    int added;
    if (!d->indexed) {
        for (size_t i = d->rec_base; i < ks->recs.count; i++) {
            keyset_rec *r = brinep_stack_at(&ks->recs, i);
            r->hash = key_hash(ks, r);
            uint64_t *at = brinep_map_upsert(map, r->hash, &added);
            if (!at)
                return BRINE_E_NOMEM;
            if (added)
                *at = i + 1;
        }
        d->indexed = 1;
    }
    new->hash = key_hash(ks, new);
    uint64_t *at = brinep_map_upsert(map, new->hash, &added);
    if (!at)
        return BRINE_E_NOMEM;
    if (added) {
        *at = ks->recs.count + 1;
        return BRINE_OK;
    }
    /* Equal hashes: the key itself decides (any record, if two keys ever
     * share a hash). */
    for (size_t i = d->rec_base; i < ks->recs.count; i++) {
        keyset_rec *r = brinep_stack_at(&ks->recs, i);
        if (r->hash == new->hash && same_key(ks, r, new))
            return BRINEP_KEYSET_REPEAT;
    }
    return BRINE_OK;
}

/* The key at pos (len_tag), zero-padded to a multiple of 8, against dict d's
 * keys: BRINEP_KEYSET_REPEAT if repeated, else recorded. */
static inline int check(brinep_keyset *ks, brinep_keyset_dict *d, size_t pos, size_t len_tag)
{
    const unsigned char *p = ks->keys.data + pos;
    size_t len = len_tag & ~KEY_ENCODED;
    uint64_t head, tail = 0;
    memcpy(&head, p, sizeof head);
    if (len > 8)
        memcpy(&tail, p + len - 8, sizeof tail);
    keyset_rec new = {((head ^ len_tag) * UINT64_C(0x9E3779B97F4A7C15) ^ tail) * UINT64_C(0xD6E8FEB86659FD93), 0, pos,
                      len_tag};
    int rc;
    if (d->indexed || ks->recs.count - d->rec_base >= BRINEP_KEYSET_LINEAR) {
        if ((rc = indexed_check(ks, d, &new)))
            return rc;
    } else {
        uint64_t bit = (uint64_t)1 << (new.sig >> 58);
        if (d->filter & bit) {
            keyset_rec *r = (keyset_rec *)ks->recs.data + d->rec_base,
                       *end = (keyset_rec *)ks->recs.data + ks->recs.count;
            for (; r != end; r++)
                if (same_key(ks, r, &new))
                    return BRINEP_KEYSET_REPEAT;
        }
        d->filter |= bit;
    }
    brinep_stack *st = &ks->recs;
    keyset_rec *r = st->count < st->cap ? (keyset_rec *)st->data + st->count++ : brinep_stack_push(st);
    if (!r)
        return BRINE_E_NOMEM;
    *r = new;
    return BRINE_OK;
}

int brinep_keyset_str(brinep_keyset *ks, brinep_keyset_dict *d, const char *s, size_t len, size_t *at)
{
    brinep_bytes *b = &ks->keys;
    size_t pos = b->len;
    if (len + 8 > b->cap - pos) {
        if (len > SIZE_MAX / 2 || brinep_bytes_add(b, NULL, len + 8))
            return BRINE_E_NOMEM;
        b->len = pos;
    }
    /* The word that holds the key's last bytes gets its padding first. */
    static const uint64_t zero = 0;
    memcpy(b->data + pos + (len & ~(size_t)7), &zero, sizeof zero);
    if (len)
        memcpy(b->data + pos, s, len);
    b->len = pos + ((len + 7) & ~(size_t)7);
    *at = pos;
    return check(ks, d, pos, len);
}

void brinep_keyset_begin(brinep_keyset *ks)
{
    ks->key = ks->keys.len;
}

int brinep_keyset_end(brinep_keyset *ks, brinep_keyset_dict *d)
{
    brinep_bytes *b = &ks->keys;
    size_t len = b->len - ks->key, pad = (8 - len % 8) % 8;
    static const unsigned char zeros[8];
    if (brinep_bytes_add(b, zeros, len < 8 ? 8 - len : pad)) /* at least one word */
        return BRINE_E_NOMEM;
    return check(ks, d, ks->key, len | KEY_ENCODED);
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
