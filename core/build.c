/* build.c: the builder, a sink that turns events into a graph in a document.
 * It owns the semantics every decoder shares: the depth limit, anchors and
 * references (a REF may name a container that is still open: a cycle, or
 * an anchored str, bytes or big int: the same blob again), the
 * dict's Python rules (a repeated key keeps its first position and takes the
 * last value: checked once per dict, at its end), and the shape of models
 * (args tuple, then state). */
#include <string.h>

#include "internal.h"
#include "events.h"
#include "dtype.h"
#include "recount.h"
#include "short.h"

typedef struct build_frame {
    brine_value slot; /* the open container; a deferred one's node is NULL */
    brine_value key;  /* dict: the key waiting for its value */
    size_t children;  /* children received (dict: keys and values) */
    size_t folded;    /* dict: its entries after the last fold of repeated keys */
    size_t base;      /* deferred: its children so far are scratch[base..] */
    size_t expect;    /* children its begin event promised (dict: 2 per entry), or SIZE_MAX */
} build_frame;

/* Short str dict keys are shared within the document (citm_catalog.json
 * has 26,000 keys and few distinct names): a str is immutable, so slots may
 * point at one copy. The copies kept are the last key seen of each of the
 * 2^INTERN_BITS hash buckets. This is for memory and locality, not identity:
 * a walk over the document touches fewer cache lines. (Str values too cost
 * more lookups than they saved memory on the corpus.) */
#define INTERN_MAX 32
#define INTERN_BITS 8
_Static_assert(INTERN_MAX <= BRINEP_SHORT_MAX, "an interned key is compared by brinep_short_equal");

typedef struct builder {
    brine_sink sink;
    brine_doc *doc;
    size_t max_depth;
    brinep_stack stack;
    build_frame *top;     /* the innermost open container, or NULL */
    brinep_map anchors;   /* anchor id -> node address | type (nodes are 16-byte aligned), or
                             for a scalar (BRINE_SINK_SCALAR_REFS) its index in scalars << 4 | type */
    brinep_stack scalars; /* anchored scalar slots: a REF stores the same blob again */
    brine_value *result;
    /* Deferred containers: a list, tuple or dict of unknown count (a JSON
     * array, say) gets its node only at its END, at its exact size, with its
     * items or entries inside the node and after its children's memory; its
     * first DEFER_MAX slots wait here (a dict's as key, value, ...). Grown
     * in place instead, a container of a few children had its node in one
     * place, its items in another, and the slack of each doubling between
     * (a walk of such a graph touched 50% more memory than of the same data
     * decoded with counts). */
    brinep_stack scratch;
    union {
        brinep_blob *blobs[1u << INTERN_BITS]; /* a copying document's */
        brine_value slots[1u << INTERN_BITS];  /* a borrowing one's (#23): borrowed or blob, null for none */
    } interned;
    int borrows;          /* the document borrows from the input: blob_borrowed */
    const char *producer; /* the decoder's format, for errors; NULL if unknown */
} builder;

/* Initial room for a container whose count a decoder announced: trusted
 * only up to a bound, since a plugin's count is a promise, not a fact. */
#define RESERVE_MAX ((size_t)1 << 16)

/* Dicts this large fold repeated keys whenever their entries fill up. */
#define DICT_FOLD_MIN 64

/* Slots a deferred container keeps in the scratch stack; past them it gets
 * its node and grows as any other. */
#define DEFER_MAX 64

static void frames_path(builder *b, char *path, size_t cap)
{
    snprintf(path, cap, "$");
    for (size_t i = 0; i < b->stack.count; i++) {
        build_frame *f = brinep_stack_at(&b->stack, i);
        switch (f->slot.type) {
        case BRINE_LIST:
        case BRINE_TUPLE: brinep_path_index(path, cap, f->children); break;
        case BRINE_DICT:
            if (f->children % 2)
                brinep_path_key(path, cap, &f->key);
            break;
        case BRINE_MODEL: brinep_path_name(path, cap, f->children == 0 ? "args" : "state"); break;
        }
    }
}

/* Gives an error that a callee filled (code rc) the builder's path, unless
 * it has one already; returns rc. */
static int with_path(builder *b, int rc)
{
    brine_error *err = b->sink.err;
    if (err && err->path[0] == '\0')
        frames_path(b, err->path, sizeof err->path);
    return rc;
}

static int fail(builder *b, int code, const char *fmt, const char *what)
{
    brine_error_set(b->sink.err, code, fmt, what);
    return with_path(b, code);
}

/* The producer broke the event contract (events.h). */
static BRINEP_NOINLINE int fault(builder *b, const char *what)
{
    brinep_fault_error(b->sink.err, b->producer, what);
    return with_path(b, BRINE_E_PLUGIN);
}

/* The content of ev breaks the contract: its error. */
static BRINEP_NOINLINE int event_fault(builder *b, const brine_event *ev)
{
    char what[BRINEP_FAULT_TEXT];
    if (brinep_event_fault(ev, what, sizeof what) == BRINE_OK)
        return BRINE_OK;
    return fault(b, what);
}

static BRINEP_NOINLINE int attach_slow(builder *b, build_frame *f, brine_value slot);
static int seal(builder *b, build_frame *f);

/* Puts a finished value into the open container, or makes it the result.
 * The common cases, a list or tuple with room and a dict's scalar key and
 * its value, are inlined into every event. The slot travels by value, in
 * registers (brinep_slot). A container arrives here once at its END and
 * again for each REF, which records the sharing (ref). */
static BRINEP_INLINE int attach(builder *b, brine_value slot)
{
    build_frame *f = b->top;
    if (!f)
        return attach_slow(b, f, slot);
    brinep_stack *scratch = &b->scratch;
    if (f->slot.type == BRINE_LIST || f->slot.type == BRINE_TUPLE) {
        brinep_seq *s = f->slot.as.seq;
        if (!s) {
            if (scratch->count < scratch->cap && scratch->count - f->base < DEFER_MAX) {
                ((brine_value *)scratch->data)[scratch->count++] = slot;
                brinep_link_first(&slot);
                f->children++;
                return BRINE_OK;
            }
        } else if (s->count < s->cap) {
            s->items[s->count++] = slot;
            brinep_link_first(&slot);
            f->children++;
            return BRINE_OK;
        }
    } else if (f->slot.type == BRINE_DICT) {
        brinep_dict *d = f->slot.as.dict;
        if (f->children % 2 == 0) {
            f->key = slot;
            f->children++;
            if (slot.type != BRINE_STR) /* known here in each event's copy of attach */
                b->doc->kinds |= BRINE_KIND_KEY;
            return BRINE_OK;
        }
        if (!d) {
            if (scratch->cap - scratch->count >= 2 && scratch->count - f->base + 2 <= DEFER_MAX &&
                !brinep_node(&f->key)) {
                brine_value *top = (brine_value *)scratch->data + scratch->count;
                top[0] = f->key;
                top[1] = slot;
                scratch->count += 2;
                brinep_link_first(&slot);
                f->children++;
                return BRINE_OK;
            }
        } else if (d->used < d->cap && !brinep_node(&f->key)) {
            brinep_entry *e = &d->entries[d->used++];
            e->key = f->key;
            e->val = slot;
            e->hash = 0;
            brinep_link_first(&slot);
            d->count++;
            f->children++;
            return BRINE_OK;
        }
    }
    return attach_slow(b, f, slot);
}

/* Is frame f a deferred container, still without its node? */
static inline int deferred(const build_frame *f)
{
    return f->slot.type != BRINE_MODEL && !f->slot.as.seq; /* seq and dict share the pointer */
}

/* Gives deferred frame f its node, holding its children so far, with room
 * for cap (at least their number); they leave the scratch stack. */
static int materialize(builder *b, build_frame *f, size_t cap)
{
    size_t n = b->scratch.count - f->base;
    const brine_value *items = n ? (const brine_value *)b->scratch.data + f->base : NULL; /* data may be NULL */
    if (f->slot.type == BRINE_DICT) {
        brinep_dict *d = brinep_dict_alloc(b->doc, cap / 2);
        if (!d)
            return brinep_nomem(b->sink.err);
        for (size_t i = 0; i < n / 2; i++) {
            d->entries[i].key = items[2 * i];
            d->entries[i].val = items[2 * i + 1];
            d->entries[i].hash = 0;
        }
        d->used = d->count = n / 2;
        f->slot.as.dict = d;
    } else {
        brinep_seq *s = brinep_seq_alloc(b->doc, cap);
        if (!s)
            return brinep_nomem(b->sink.err);
        if (n)
            memcpy(s->items, items, n * sizeof *items);
        s->count = n;
        f->slot.as.seq = s;
    }
    b->scratch.count = f->base;
    return BRINE_OK;
}

static int attach_slow(builder *b, build_frame *f, brine_value slot)
{
    const brine_value *v = &slot;
    if (f && deferred(f)) {
        int dict = f->slot.type == BRINE_DICT, rc;
        size_t held = b->scratch.count - f->base;
        if (held + 1 + (size_t)dict <= DEFER_MAX && !(dict && brinep_node(&f->key))) {
            brine_value *p = brinep_stack_push(&b->scratch);
            if (!p || (dict && !brinep_stack_push(&b->scratch)))
                return brinep_nomem(b->sink.err);
            p = (brine_value *)b->scratch.data + b->scratch.count - 1 - (size_t)dict;
            if (dict)
                *p++ = f->key;
            *p = slot;
            brinep_link(&slot, 1);
            f->children++;
            return BRINE_OK;
        }
        /* Too many to hold back, or a container key (checked and hashed
         * as in any dict): the node now, with room to grow. */
        if ((rc = materialize(b, f, 2 * (held + 2))))
            return rc;
    }
    if (!f) {
        if (b->result)
            return fault(b, "a second value after a complete one");
        b->result = brinep_alloc(b->doc, sizeof *b->result);
        if (!b->result)
            return brinep_nomem(b->sink.err);
        *b->result = *v;
        return BRINE_OK;
    }
    switch (f->slot.type) {
    case BRINE_LIST:
    case BRINE_TUPLE:
        if (brinep_seq_push(f->slot.as.seq, v))
            return brinep_nomem(b->sink.err);
        break;
    case BRINE_DICT:
        /* Appended unchecked: end() checks and indexes the dict in one pass
         * (brinep_dict_seal). */
        if (f->children % 2 == 0) {
            f->key = *v;
        } else {
            /* Container keys are checked here, when their value arrives, not at
             * the seal: an error then names the first bad key, with the offset
             * where its value ends. */
            uint64_t hash = 0;
            if (f->key.type == BRINE_TUPLE) {
                int rc = brinep_key_hash(b->doc, &f->key, b->max_depth, &hash, b->sink.err);
                if (rc)
                    return with_path(b, rc);
            } else if (brinep_node(&f->key)) {
                return fail(b, BRINE_E_KEY, "unhashable type: '%s'", brine_type_name((brine_type)f->key.type));
            }
            /* A dict that repeats its keys would hold every repetition until
             * its end: fold them when the entries fill up and at least half
             * of them came since the last fold (so each fold is paid for by
             * as many appends as it checks; else the array just grows). */
            brinep_dict *d = f->slot.as.dict;
            if (d->used == d->cap && d->used >= DICT_FOLD_MIN && d->used >= 2 * f->folded) {
                int rc = seal(b, f);
                if (rc)
                    return rc;
                f->folded = d->used;
            }
            int rc = brinep_dict_append_raw(d, &f->key, v, hash);
            if (rc == BRINE_E_NOMEM)
                return brinep_nomem(b->sink.err);
            if (rc)
                return fail(b, rc, "%s", "a dict holds at most 2^32 - 2 entries");
        }
        break;
    case BRINE_MODEL:
        if (f->children == 0) {
            if (v->type != BRINE_TUPLE)
                /* Data can say this (a reference to a list in args position). */
                return fail(b, BRINE_E_CORRUPT, "a model's args must be a tuple, not %s",
                            brine_type_name((brine_type)v->type));
            brinep_unlink(&f->slot.as.model->args);
            f->slot.as.model->args = *v;
            brinep_link(v, 1);
        } else if (f->children == 1) {
            f->slot.as.model->state = *v;
            brinep_link(v, 1);
        } else {
            return fault(b, "a third child in a model (it has args and state)");
        }
        break;
    }
    f->children++;
    return BRINE_OK;
}

static BRINEP_NOINLINE int begin(builder *b, const brine_event *ev)
{
    if (b->stack.count >= b->max_depth) {
        brinep_depth_error(b->sink.err, b->max_depth, "decoding");
        return with_path(b, BRINE_E_DEPTH);
    }
    brine_value slot = {0};
    size_t reserve = ev->v.count == BRINE_COUNT_UNKNOWN ? 0 : ev->v.count;
    if (reserve > RESERVE_MAX)
        reserve = RESERVE_MAX;
    /* Deferred (see builder): an anchored one needs its node now, for the
     * references that may come before its END. */
    int defer = ev->v.count == BRINE_COUNT_UNKNOWN && !ev->anchor;
    void *node;
    switch (ev->kind) {
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE:
        slot.type = ev->kind == BRINE_EV_LIST ? BRINE_LIST : BRINE_TUPLE;
        node = slot.as.seq = defer ? NULL : brinep_seq_alloc(b->doc, reserve);
        b->doc->kinds |= brinep_slot_kinds(&slot);
        break;
    case BRINE_EV_DICT:
        slot.type = BRINE_DICT;
        node = slot.as.dict = defer ? NULL : brinep_dict_alloc(b->doc, reserve);
        break;
    default:
        if (event_fault(b, ev))
            return BRINE_E_PLUGIN;
        slot.type = BRINE_MODEL;
        node = slot.as.model = brinep_model_alloc(b->doc, ev->v.s.ptr, ev->v.s.len);
        b->doc->kinds |= BRINE_KIND_MODEL;
        break;
    }
    if (!node && !(defer && ev->kind != BRINE_EV_MODEL))
        return brinep_nomem(b->sink.err);
    if (ev->anchor) {
        int added;
        uint64_t *a = brinep_map_upsert(&b->anchors, ev->anchor, &added);
        if (!a)
            return brinep_nomem(b->sink.err);
        if (!added)
            return fail(b, BRINE_E_REF, "%s", "an anchor id is defined twice");
        *a = (uint64_t)(uintptr_t)node | slot.type;
    }
    brinep_stack *st = &b->stack;
    build_frame *f = st->count < st->cap ? (build_frame *)st->data + st->count++ : brinep_stack_push(st);
    if (!f)
        return brinep_nomem(b->sink.err);
    f->slot = slot;
    f->children = 0; /* f->key is read only once a key has been stored */
    f->folded = 0;
    f->base = b->scratch.count;
    f->expect = ev->kind == BRINE_EV_MODEL           ? 2
                : ev->v.count == BRINE_COUNT_UNKNOWN ? SIZE_MAX
                : ev->kind != BRINE_EV_DICT          ? ev->v.count
                : ev->v.count < SIZE_MAX / 2         ? 2 * ev->v.count
                                                     : SIZE_MAX - 1; /* more entries than memory: never met */
    b->top = f;
    return BRINE_OK;
}

/* Checks and indexes the dict of frame f (brinep_dict_seal). */
static int seal(builder *b, build_frame *f)
{
    brine_value bad;
    memset(&bad, 0, sizeof bad);
    bad.type = BRINEP_DELETED; /* no key at fault (out of memory) */
    int rc = brinep_dict_seal(f->slot.as.dict, b->max_depth, &bad, b->sink.err);
    if (rc && bad.type != BRINEP_DELETED) {
        f->key = bad; /* the path names the key at fault */
        f->children |= 1;
    }
    return rc ? with_path(b, rc) : BRINE_OK;
}

static BRINEP_NOINLINE int end(builder *b)
{
    build_frame *f = b->top;
    if (!f)
        return fault(b, "an END event that closes nothing");
    if (f->slot.type == BRINE_DICT && f->children % 2)
        return fault(b, "a dict key without a value");
    if (f->slot.type == BRINE_MODEL && f->children != 2)
        return fault(b, "a model without its args and its state");
    if (f->expect != SIZE_MAX && f->children != f->expect) {
        /* A count is a promise: an encoder may have written it already. */
        char what[BRINEP_FAULT_TEXT];
        size_t per = f->slot.type == BRINE_DICT ? 2 : 1;
        snprintf(what, sizeof what, "a %s whose begin event announced %zu %s, and %zu came",
                 brine_type_name((brine_type)f->slot.type), f->expect / per, per == 2 ? "entries" : "elements",
                 f->children / per);
        return fault(b, what);
    }
    int rc;
    if (deferred(f) && (rc = materialize(b, f, b->scratch.count - f->base)))
        return rc;
    if (f->slot.type == BRINE_DICT && (rc = seal(b, f)))
        return rc;
    brine_value slot = f->slot;
    brinep_stack_pop(&b->stack);
    b->top = brinep_stack_top(&b->stack);
    return attach(b, slot);
}

static BRINEP_NOINLINE int ref(builder *b, uint64_t id)
{
    uint64_t *a = id ? brinep_map_find(&b->anchors, id) : NULL;
    if (!a) {
        char what[32];
        snprintf(what, sizeof what, "%llu", (unsigned long long)id);
        return fail(b, BRINE_E_REF, "a reference names anchor %s, which does not exist", what);
    }
    if ((*a & 15) < BRINE_LIST) { /* an equal scalar: the same immutable blob in one more slot */
        b->doc->shared_blobs = 1;
        return attach(b, *(brine_value *)brinep_stack_at(&b->scalars, (size_t)(*a >> 4)));
    }
    brine_value slot = {0};
    slot.type = (uint8_t)(*a & 15);
    void *node = (void *)(uintptr_t)(*a & ~(uint64_t)15);
    /* A second place for the container (attach's link does not test). */
    b->doc->kinds |= BRINE_KIND_SHARED;
    switch (slot.type) {
    case BRINE_LIST:
    case BRINE_TUPLE: slot.as.seq = node; break;
    case BRINE_DICT: slot.as.dict = node; break;
    case BRINE_ARRAY: slot.as.array = node; break;
    default: slot.as.model = node; break;
    }
    return attach(b, slot);
}

/* An ARRAY event: its header checked (a plugin's promise, as counts are),
 * then the array copied into the document, its dtype too unless it is
 * the document's own. The data goes in one memcpy into 16-byte aligned
 * arena memory. */
static BRINEP_NOINLINE int array_event(builder *b, const brine_event *ev)
{
    char what[BRINEP_FAULT_TEXT];
    const brine_array_header *h = ev->v.array;
    if (brinep_array_header_fault(h, what, sizeof what))
        return fault(b, what);
    const brine_dtype *dt = brine_dtype_copy(b->doc, h->dtype, b->sink.err);
    brinep_array *a = dt ? brinep_array_alloc(b->doc, dt, h->ndim, h->shape, b->sink.err) : NULL;
    if (a && !(a->data = brinep_array_data_alloc(b->doc, a->nbytes)))
        brinep_nomem(b->sink.err);
    if (!a || !a->data)
        return with_path(b, b->sink.err && b->sink.err->code ? b->sink.err->code : BRINE_E_NOMEM);
    if (a->nbytes)
        memcpy(a->data, h->data, a->nbytes);
    if (ev->anchor) {
        int added;
        uint64_t *at = brinep_map_upsert(&b->anchors, ev->anchor, &added);
        if (!at)
            return brinep_nomem(b->sink.err);
        if (!added)
            return fail(b, BRINE_E_REF, "%s", "an anchor id is defined twice");
        *at = (uint64_t)(uintptr_t)a | BRINE_ARRAY;
    }
    brine_value slot = brinep_slot(BRINE_ARRAY, 0, 0);
    slot.as.array = a;
    return attach(b, slot);
}

static BRINEP_INLINE brine_value pointer_slot(int type, void *p)
{
    brine_value v;
    v.head = BRINEP_HEAD(type, 0);
    v.as.blob = p;
    return v;
}

/* The bucket of a short str: its first and last 8 bytes (or 4, or 3 of
 * them) mixed; a collision costs only a copy that is not shared. */
static inline size_t intern_bucket(const char *s, size_t len)
{
    uint64_t a, b;
    if (len >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + len - 8, 8);
    } else if (len >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + len - 4, 4);
        a = x;
        b = y;
    } else {
        a = len ? (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[len / 2] << 8 |
                      (uint64_t)(unsigned char)s[len - 1] << 16
                : 0;
        b = 0;
    }
    uint64_t h = (a ^ (b * UINT64_C(0x9E3779B97F4A7C15)) ^ len) * UINT64_C(0xFF51AFD7ED558CCD);
    return (size_t)(h >> (64 - INTERN_BITS));
}

/* A str, bytes or big int with an anchor (BRINE_SINK_SCALAR_REFS): its
 * slot is kept for the REFs that name it, then attached. */
static BRINEP_NOINLINE int anchored(builder *b, uint64_t id, brine_value slot)
{
    int added;
    uint64_t *a = brinep_map_upsert(&b->anchors, id, &added);
    brine_value *kept = a ? brinep_stack_push(&b->scalars) : NULL;
    if (!kept)
        return brinep_nomem(b->sink.err);
    if (!added) {
        brinep_stack_pop(&b->scalars);
        return fail(b, BRINE_E_REF, "%s", "an anchor id is defined twice");
    }
    *kept = slot;
    *a = (uint64_t)(b->scalars.count - 1) << 4 | slot.type;
    return attach(b, slot);
}

static BRINEP_NOINLINE int anchored_blob(builder *b, const brine_event *ev)
{
    brinep_blob *blob = brinep_blob_new(b->doc, ev->v.s.ptr, ev->v.s.len);
    if (!blob)
        return brinep_nomem(b->sink.err);
    return anchored(b, ev->anchor, pointer_slot(ev->kind == BRINE_EV_STR ? BRINE_STR : BRINE_BYTES, blob));
}

/* A str a borrowing document takes as a slot at once: short, ASCII (so
 * valid UTF-8) and inside its input (blob_borrowed, brine_direct_str). */
static BRINEP_INLINE int short_borrowable(const builder *b, const char *s, size_t len)
{
    return len <= BRINEP_SHORT_MAX && brinep_doc_borrows(b->doc, s, len) && brinep_short_ascii(s, len);
}

/* blob() for a document that borrows from its input (#23): a str or bytes
 * inside it stays there, a slot and no copy; one outside (an escaped JSON
 * str) is copied. A short ASCII str inside it is a slot at once (the
 * ASCII test is its UTF-8 check); other keys are interned as in blob(): a
 * hit skips the UTF-8 check (without the table, citm_catalog's decode was
 * 2% slower borrowed than copied, before the ASCII test). A function of
 * its own, chosen by its callers, so that a copying document pays one
 * predictable test per string: sharing blob()'s
 * code cost it 4.5% of twitter's msgpack decode instructions (the range
 * test and a slot-sized table per string), and the test inside blob() 2%
 * more of a borrowing one's (blob()'s register saves, then its own). */
static BRINEP_NOINLINE int blob_borrowed(builder *b, const brine_event *ev)
{
    size_t len = ev->v.s.len;
    brine_value *bucket = NULL;
    build_frame *f = b->top;
    /* Most strs: short, ASCII, inside the input. A slot and nothing else:
     * interning them saved only the UTF-8 check, which the ASCII test
     * replaces at a quarter of the probe's instructions. */
    if (ev->kind == BRINE_EV_STR && !ev->anchor && short_borrowable(b, ev->v.s.ptr, len))
        return attach(b, brinep_borrowed_slot(BRINE_STR, ev->v.s.ptr, len));
    if (ev->kind == BRINE_EV_STR && len <= INTERN_MAX && !ev->anchor && f && f->slot.type == BRINE_DICT &&
        f->children % 2 == 0 && (ev->v.s.ptr || !len)) {
        bucket = &b->interned.slots[intern_bucket(ev->v.s.ptr, len)];
        /* A borrowed key's head is its type, representation and length:
         * one compare; a blob's (a key that was copied) has no length. */
        uint64_t head = bucket->head;
        if (head == (BRINEP_HEAD(BRINE_STR, BRINEP_STR_BORROWED) | BRINEP_PAD_HEAD(len))
                ? brinep_short_equal(bucket->as.ptr, ev->v.s.ptr, len)
                : head == BRINEP_HEAD(BRINE_STR, BRINEP_STR_BLOB) && bucket->as.blob->len == len &&
                      brinep_short_equal(bucket->as.blob->data, ev->v.s.ptr, len))
            return attach(b, *bucket);
    }
    if (!brinep_doc_borrows(b->doc, ev->v.s.ptr, len)) {
        if (BRINEP_UNLIKELY(!ev->v.s.ptr && len) ||
            (ev->kind == BRINE_EV_STR && BRINEP_UNLIKELY(brine_utf8_check(ev->v.s.ptr, len) != len)))
            return event_fault(b, ev);
        if (ev->anchor)
            return anchored_blob(b, ev);
        brinep_blob *blob = brinep_blob_new(b->doc, ev->v.s.ptr, len);
        if (!blob)
            return brinep_nomem(b->sink.err);
        brine_value slot = pointer_slot(ev->kind == BRINE_EV_STR ? BRINE_STR : BRINE_BYTES, blob);
        if (bucket)
            *bucket = slot;
        return attach(b, slot);
    }
    if (ev->kind == BRINE_EV_STR && BRINEP_UNLIKELY(brine_utf8_check(ev->v.s.ptr, len) != len))
        return event_fault(b, ev);
    brine_value slot = brinep_borrowed_slot(ev->kind == BRINE_EV_STR ? BRINE_STR : BRINE_BYTES, ev->v.s.ptr, len);
    if (bucket)
        *bucket = slot;
    return ev->anchor ? anchored(b, ev->anchor, slot) : attach(b, slot);
}

/* Out of builder_event, whose scalar path then calls nothing and saves no
 * registers (the copy needs them). */
static BRINEP_NOINLINE int blob(builder *b, const brine_event *ev)
{
    size_t len = ev->v.s.len;
    brinep_blob **bucket = NULL, *blob;
    build_frame *f = b->top;
    if (ev->kind == BRINE_EV_STR && len <= INTERN_MAX && !ev->anchor && f && f->slot.type == BRINE_DICT &&
        f->children % 2 == 0 && (ev->v.s.ptr || !len)) {
        bucket = &b->interned.blobs[intern_bucket(ev->v.s.ptr, len)];
        blob = *bucket;
        /* Equal to a key already checked: valid UTF-8, nothing to check. */
        if (blob && blob->len == len && brinep_short_equal(blob->data, ev->v.s.ptr, len))
            return attach(b, pointer_slot(BRINE_STR, blob));
    }
    /* The bytes are hot here, just before the copy; decoders validate
     * too, but core cannot tell a decoder that does from one that does
     * not (a plugin of the same name may replace a built-in one). */
    if (BRINEP_UNLIKELY(!ev->v.s.ptr && len) ||
        (ev->kind == BRINE_EV_STR && !(len <= BRINEP_SHORT_MAX && brinep_short_ascii(ev->v.s.ptr, len)) &&
         BRINEP_UNLIKELY(brine_utf8_check(ev->v.s.ptr, len) != len)))
        return event_fault(b, ev);
    if (ev->anchor) /* a shared str or bytes: its own blob, kept for the REFs */
        return anchored_blob(b, ev);
    if (!(blob = brinep_blob_new(b->doc, ev->v.s.ptr, len)))
        return brinep_nomem(b->sink.err);
    if (bucket)
        *bucket = blob;
    return attach(b, pointer_slot(ev->kind == BRINE_EV_STR ? BRINE_STR : BRINE_BYTES, blob));
}

/* Big ints and complex numbers: rare, so out of the event loop's way. */
static BRINEP_NOINLINE int boxed(builder *b, const brine_event *ev)
{
    brine_value v;
    if (ev->kind == BRINE_EV_BIGINT) {
        if (event_fault(b, ev))
            return BRINE_E_PLUGIN;
        if (brinep_int_from_bytes(b->doc, ev->v.s.ptr, ev->v.s.len, &v))
            return brinep_nomem(b->sink.err);
        return ev->anchor ? anchored(b, ev->anchor, v) : attach(b, v);
    }
    brinep_complex *cx = brinep_alloc(b->doc, sizeof *cx);
    if (!cx)
        return brinep_nomem(b->sink.err);
    cx->doc = b->doc;
    cx->re = ev->v.c.re;
    cx->im = ev->v.c.im;
    b->doc->kinds |= BRINE_KIND_COMPLEX;
    return attach(b, pointer_slot(BRINE_COMPLEX, cx));
}

static int builder_event(brine_sink *sink, const brine_event *ev)
{
    builder *b = (builder *)sink;
    switch (ev->kind) {
    case BRINE_EV_NULL: return attach(b, brinep_slot(BRINE_NULL, 0, 0));
    case BRINE_EV_BOOL: {
        brine_value v = brinep_slot(BRINE_BOOL, 0, 0);
        v.as.b = ev->v.boolean != 0;
        return attach(b, v);
    }
    case BRINE_EV_INT: return attach(b, brinep_slot(BRINE_INT, BRINEP_INT_I64, (uint64_t)ev->v.i));
    case BRINE_EV_UINT:
        return attach(b, brinep_slot(BRINE_INT, ev->v.u > INT64_MAX ? BRINEP_INT_U64 : BRINEP_INT_I64, ev->v.u));
    case BRINE_EV_BIGINT:
    case BRINE_EV_COMPLEX: return boxed(b, ev);
    case BRINE_EV_FLOAT: {
        uint64_t bits;
        memcpy(&bits, &ev->v.f, sizeof bits);
        if (brinep_float_kinds(bits)) /* a test, not a store per float */
            b->doc->kinds |= BRINE_KIND_NONFINITE;
        return attach(b, brinep_slot(BRINE_FLOAT, 0, bits));
    }
    case BRINE_EV_BYTES: b->doc->kinds |= BRINE_KIND_BYTES; /* fall through */
    case BRINE_EV_STR: return BRINEP_UNLIKELY(b->borrows) ? blob_borrowed(b, ev) : blob(b, ev);
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE:
    case BRINE_EV_DICT:
    case BRINE_EV_MODEL: return begin(b, ev);
    case BRINE_EV_END: return end(b);
    case BRINE_EV_REF: return ref(b, ev->v.ref);
    case BRINE_EV_ARRAY: return array_event(b, ev);
    default: return event_fault(b, ev);
    }
}

static int builder_finish(brine_sink *sink)
{
    builder *b = (builder *)sink;
    if (!b->result || b->stack.count)
        return fail(b, BRINE_E_TRUNCATED, "%s", "the input ended before the value was complete");
    /* A repeated key moved a value that references a shared container
     * ahead of that container's first place: the walk may now meet the
     * container deeper than the limit the decode kept (fuzz: CBOR
     * {0: [x], 1: tag 28 [...], 0: tag 1 [[tag 29 ...]]}). The depth is
     * checked on the graph, as for a root made with the value API. */
    if (b->doc->folded && (b->doc->kinds & BRINE_KIND_SHARED))
        return brinep_recount(b->doc, b->result, b->max_depth, b->sink.err);
    return BRINE_OK;
}

static void builder_destroy(brine_sink *sink)
{
    builder *b = (builder *)sink;
    if (!b)
        return;
    brinep_stack_destroy(&b->stack);
    brinep_stack_destroy(&b->scratch);
    brinep_stack_destroy(&b->scalars);
    brinep_map_destroy(&b->anchors);
    brine_free(b);
}

brine_sink *brine_builder_new(brine_doc *doc, size_t max_depth, brine_error *err)
{
    brinep_enter(err);
    if (!doc) {
        brine_error_set(err, BRINE_E_INVALID, "brine_builder_new needs a document");
        return NULL;
    }
    builder *b = brine_malloc(sizeof *b);
    if (!b) {
        brinep_nomem(err);
        return NULL;
    }
    memset(b, 0, sizeof *b);
    b->sink.event = builder_event;
    b->sink.finish = builder_finish;
    b->sink.destroy = builder_destroy;
    b->sink.flags =
        BRINE_SINK_REFS | BRINE_SINK_SCALAR_REFS | BRINE_SINK_ARRAYS; /* it restores anchors and references */
    b->sink.err = err;
    b->doc = doc;
    b->borrows = doc->borrow_lo != doc->borrow_hi;
    b->max_depth = max_depth ? max_depth : doc->max_depth;
    brinep_stack_init(&b->stack, sizeof(build_frame));
    brinep_stack_init(&b->scratch, sizeof(brine_value));
    brinep_stack_init(&b->scalars, sizeof(brine_value));
    brinep_map_init(&b->anchors);
    return &b->sink;
}

void brinep_builder_producer(brine_sink *sink, const char *name)
{
    ((builder *)sink)->producer = name;
}

brine_value *brine_builder_value(brine_sink *sink)
{
    builder *b = (builder *)sink;
    return b && b->result && b->stack.count == 0 ? b->result : NULL;
}

/* ---- the direct builder (#23) --------------------------------------------
 * A decoder's decode_direct calls the builder's own steps, each the event
 * of the same kind without the event or the sink's indirect call: the
 * checks and errors are the event path's, not a copy of them. */

static inline builder *direct_builder(brine_direct *d)
{
    return (builder *)(void *)d;
}

int brine_direct_null(brine_direct *d)
{
    return attach(direct_builder(d), brinep_slot(BRINE_NULL, 0, 0));
}

int brine_direct_bool(brine_direct *d, int v)
{
    brine_value slot = brinep_slot(BRINE_BOOL, 0, 0);
    slot.as.b = v != 0;
    return attach(direct_builder(d), slot);
}

int brine_direct_int(brine_direct *d, int64_t v)
{
    return attach(direct_builder(d), brinep_slot(BRINE_INT, BRINEP_INT_I64, (uint64_t)v));
}

int brine_direct_uint(brine_direct *d, uint64_t v)
{
    return attach(direct_builder(d), brinep_slot(BRINE_INT, v > INT64_MAX ? BRINEP_INT_U64 : BRINEP_INT_I64, v));
}

int brine_direct_float(brine_direct *d, double v)
{
    builder *b = direct_builder(d);
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    if (brinep_float_kinds(bits))
        b->doc->kinds |= BRINE_KIND_NONFINITE;
    return attach(b, brinep_slot(BRINE_FLOAT, 0, bits));
}

int brine_direct_str(brine_direct *d, const char *s, size_t len)
{
    brine_event ev;
    builder *b = direct_builder(d);
    /* blob_borrowed's first case, here with no call and no event. */
    if (b->borrows && short_borrowable(b, s, len))
        return attach(b, brinep_borrowed_slot(BRINE_STR, s, len));
    ev.kind = BRINE_EV_STR;
    ev.anchor = 0;
    ev.v.s.ptr = s;
    ev.v.s.len = len;
    return BRINEP_UNLIKELY(b->borrows) ? blob_borrowed(b, &ev) : blob(b, &ev);
}

int brine_direct_bytes(brine_direct *d, const void *p, size_t len)
{
    builder *b = direct_builder(d);
    brine_event ev;
    ev.kind = BRINE_EV_BYTES;
    ev.anchor = 0;
    ev.v.s.ptr = p;
    ev.v.s.len = len;
    b->doc->kinds |= BRINE_KIND_BYTES;
    return BRINEP_UNLIKELY(b->borrows) ? blob_borrowed(b, &ev) : blob(b, &ev);
}

int brine_direct_open(brine_direct *d, brine_event_kind kind, size_t count, uint64_t anchor)
{
    builder *b = direct_builder(d);
    brine_event ev;
    if (kind != BRINE_EV_LIST && kind != BRINE_EV_TUPLE && kind != BRINE_EV_DICT)
        return fault(b, "brine_direct_open of a kind that is not a list, tuple or dict");
    ev.kind = kind;
    ev.anchor = anchor;
    ev.v.count = count;
    return begin(b, &ev);
}

int brine_direct_close(brine_direct *d)
{
    return end(direct_builder(d));
}

int brine_direct_event(brine_direct *d, const brine_event *ev)
{
    return builder_event(&direct_builder(d)->sink, ev);
}

brine_sink *brine_direct_sink(brine_direct *d)
{
    return &direct_builder(d)->sink;
}

/* ---- a root made with the value API (#23) ----------------------------------
 * For a decoder whose format changes containers after they are referenced
 * (pickle): it makes its values in the builder's document with the value
 * API, and names the root; recount.c then does what the walk of a private
 * document into the builder did (depth, link counts, kinds). Included here,
 * at the end, so that this section stays apart from the builder's own. */

brine_doc *brine_direct_doc(brine_direct *d)
{
    return direct_builder(d)->doc;
}

int brine_direct_root(brine_direct *d, const brine_value *v)
{
    builder *b = direct_builder(d);
    if (!v || (brine_value_doc(v) && brine_value_doc(v) != b->doc))
        return fault(b, "brine_direct_root of a value that is not in the document being built");
    if (b->result || b->stack.count)
        return fault(b, "brine_direct_root after other values were built");
    int rc = brinep_recount(b->doc, v, b->max_depth, b->sink.err);
    if (rc)
        return rc;
    if (!(b->result = brinep_alloc(b->doc, sizeof *b->result)))
        return brinep_nomem(b->sink.err);
    /* A str borrowed from another document's input (brine_value_doc is
     * NULL for it) is copied in, as any store into a document does. */
    if (brinep_adopt_borrowed(b->doc, v, b->result) != BRINE_OK)
        return brinep_nomem(b->sink.err);
    return BRINE_OK;
}

int brine_direct_reserve(brine_direct *d, brine_value *v, size_t count)
{
    builder *b = direct_builder(d);
    brinep_node_head *n = v ? brinep_node(v) : NULL;
    if (!n || n->doc != b->doc || v->type == BRINE_MODEL || v->type == BRINE_ARRAY)
        return fault(b, "brine_direct_reserve of a value that is not a container of the document being built");
    /* Exact room for the first items only: later ones grow by doubling,
     * so that a container filled in many batches is not copied at each. */
    if (v->type == BRINE_DICT) {
        brinep_dict *x = v->as.dict;
        if (x->used || x->cap >= count || count > (size_t)UINT32_MAX - 1 || count > SIZE_MAX / sizeof *x->entries)
            return BRINE_OK;
        if (!(x->entries = brinep_alloc(b->doc, count * sizeof *x->entries)))
            return brinep_nomem(b->sink.err);
        x->cap = count;
        return BRINE_OK;
    }
    brinep_seq *s = v->as.seq;
    if (s->count || s->cap >= count || count > SIZE_MAX / sizeof *s->items)
        return BRINE_OK;
    if (!(s->items = brinep_alloc(b->doc, count * sizeof *s->items)))
        return brinep_nomem(b->sink.err);
    s->cap = count;
    return BRINE_OK;
}
