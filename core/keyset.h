/* keyset.h: the keys of every open dict of a streamed conversion, so that
 * the checker (codec.c) can refuse a repeated key, which a graph's dict
 * would fold and a streamed encoder would write twice. The layout and the
 * costs that chose it are in keyset.c. */
#ifndef BRINE_KEYSET_H
#define BRINE_KEYSET_H

#include "internal.h"
#include "brine/plugin.h"

/* Growable bytes. */
typedef struct brinep_bytes {
    unsigned char *data;
    size_t len, cap;
} brinep_bytes;

/* What a check returns for a key its dict has already (errors are > 0). */
#define BRINEP_KEYSET_REPEAT (-1)

/* Past this many keys a dict's keys get a seeded hash index. */
#define BRINEP_KEYSET_LINEAR 64

typedef struct brinep_keyset {
    brinep_bytes keys; /* each key at a multiple of 8, zero-padded to one */
    brinep_stack recs; /* keyset_rec, the keys of all open dicts in order */
    brinep_stack maps; /* brinep_map per indexed dict level: hash -> record index + 1 */
    size_t key;        /* where the key being read starts in keys */
    size_t dicts;      /* open dicts */
    uint64_t seed;     /* of the index's hashes: random, set on first use */
} brinep_keyset;

/* One open dict's part of the keyset; lives in the checker's frame. */
typedef struct brinep_keyset_dict {
    size_t rec_base, bytes_base, level;
    uint64_t filter; /* bit (sig >> 58) of each key: most new keys miss it */
    int indexed;
} brinep_keyset_dict;

void brinep_keyset_init(brinep_keyset *ks);
void brinep_keyset_destroy(brinep_keyset *ks);

/* A dict opens (its keys start empty) or closes (they go, in one step). */
void brinep_keyset_open(brinep_keyset *ks, brinep_keyset_dict *d);
void brinep_keyset_close(brinep_keyset *ks, brinep_keyset_dict *d);

/* A whole str key s of dict d: BRINEP_KEYSET_REPEAT if d has it already, else BRINE_OK (and
 * it is recorded), or BRINE_E_NOMEM. *at receives where its bytes are kept
 * (brinep_keyset_at), valid until d closes. */
int brinep_keyset_str(brinep_keyset *ks, brinep_keyset_dict *d, const char *s, size_t len, size_t *at);

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
