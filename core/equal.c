/* equal.c: deep equality of two graphs (brine_value_equal): the same shape,
 * scalars and sharing. Scalars compare by type and value, floats by their
 * bits (NaN equals the same NaN, -0.0 differs from 0.0). */
#include <string.h>

#include "internal.h"
#include "dtype.h"

/* Both graphs are walked in lockstep with an explicit stack, building a
 * bijection between their containers (a-node to b-node and back). A
 * container met again must meet its partner again, which also makes cycles
 * terminate. */

typedef struct eq_frame {
    const void *na, *nb; /* the paired container nodes */
    size_t ca, cb;       /* child cursors (dicts: half-entries, skipping deleted ones) */
    uint8_t type;
} eq_frame;

/* The next child of node (of the given type) at *cursor, or NULL. Dict
 * children alternate key and value; a model's are its args and its state. */
static const brine_value *next_child(uint8_t type, const void *node, size_t *cursor)
{
    switch (type) {
    case BRINE_LIST:
    case BRINE_TUPLE: {
        const brinep_seq *s = node;
        return *cursor < s->count ? &s->items[(*cursor)++] : NULL;
    }
    case BRINE_DICT: {
        const brinep_dict *d = node;
        while (*cursor / 2 < d->used && d->entries[*cursor / 2].key.type == BRINEP_DELETED)
            *cursor += 2;
        if (*cursor / 2 >= d->used)
            return NULL;
        const brinep_entry *e = &d->entries[*cursor / 2];
        return (*cursor)++ % 2 ? &e->val : &e->key;
    }
    default: {
        const brinep_model *m = node;
        if (*cursor == 0)
            return (*cursor)++, &m->args;
        if (*cursor == 1)
            return (*cursor)++, &m->state;
        return NULL;
    }
    }
}

/* Scalars of the same type: ints by value, floats by bits (NaN equals the
 * same NaN, -0.0 differs from 0.0), str and bytes by content. Shared by
 * deep equality and dict keys. */
int brinep_scalar_equal(const brine_value *a, const brine_value *b)
{
    switch (a->type) {
    case BRINE_NULL: return 1;
    case BRINE_BOOL: return (a->as.b != 0) == (b->as.b != 0);
    case BRINE_INT:
        if (a->sub != b->sub)
            return 0;
        if (a->sub != BRINEP_INT_BIG)
            return a->as.u == b->as.u;
        return a->as.blob->len == b->as.blob->len && !memcmp(a->as.blob->data, b->as.blob->data, a->as.blob->len);
    case BRINE_FLOAT: return !memcmp(&a->as.f, &b->as.f, sizeof(double));
    case BRINE_COMPLEX:
        return !memcmp(&a->as.cx->re, &b->as.cx->re, sizeof(double)) &&
               !memcmp(&a->as.cx->im, &b->as.cx->im, sizeof(double));
    case BRINE_STR:
    case BRINE_BYTES: {
        size_t alen, blen;
        const char *ap = brinep_bytes_of(a, &alen), *bp = brinep_bytes_of(b, &blen);
        return alen == blen && !memcmp(ap, bp, alen);
    }
    default: return 0;
    }
}

/* Same counts and names: what can be compared before the children. */
static int shallow_equal(const brine_value *a, const brine_value *b)
{
    switch (a->type) {
    case BRINE_LIST:
    case BRINE_TUPLE: return a->as.seq->count == b->as.seq->count;
    case BRINE_DICT: return a->as.dict->count == b->as.dict->count;
    case BRINE_ARRAY: return brinep_array_equal(a->as.array, b->as.array); /* a leaf: all of it */
    default: {
        const brinep_blob *x = a->as.model->name, *y = b->as.model->name;
        return x->len == y->len && !memcmp(x->data, y->data, x->len);
    }
    }
}

/* The path (on the a side) of the child most recently taken from each frame. */
static void frames_path(brinep_stack *stack, char *path, size_t cap)
{
    snprintf(path, cap, "$");
    for (size_t i = 0; i < stack->count; i++) {
        eq_frame *f = brinep_stack_at(stack, i);
        if (f->ca == 0)
            break;
        switch (f->type) {
        case BRINE_LIST:
        case BRINE_TUPLE: brinep_path_index(path, cap, f->ca - 1); break;
        case BRINE_DICT: {
            const brinep_dict *d = f->na;
            brinep_path_key(path, cap, &d->entries[(f->ca - 1) / 2].key);
            break;
        }
        default: brinep_path_name(path, cap, f->ca == 1 ? "args" : "state"); break;
        }
    }
}

int brine_value_equal(const brine_value *a, const brine_value *b, size_t max_depth, brine_error *err)
{
    brine_error_clear(err); /* an operation: err reports this call only */
    if (!a || !b) {
        brine_error_set(err, BRINE_E_INVALID, "brine_value_equal needs two values");
        return -BRINE_E_INVALID;
    }
    if (!max_depth) {
        brine_doc *doc = brine_value_doc(a) ? brine_value_doc(a) : brine_value_doc(b);
        max_depth = doc ? doc->max_depth : BRINE_DEFAULT_MAX_DEPTH;
    }
    /* A graph equals itself: the identity is a bijection. */
    if (a == b || (brinep_node(a) && brinep_node(a) == brinep_node(b) && a->type == b->type))
        return 1;

    brinep_map ab, ba;
    brinep_stack stack;
    brinep_map_init(&ab);
    brinep_map_init(&ba);
    brinep_stack_init(&stack, sizeof(eq_frame));
    int result = 1;
    for (;;) {
        if (a->type != b->type) {
            result = 0;
            break;
        }
        const void *na = brinep_node(a), *nb = brinep_node(b);
        if (!na) {
            if (!brinep_scalar_equal(a, b)) {
                result = 0;
                break;
            }
        } else {
            uint64_t ka = (uint64_t)(uintptr_t)na, kb = (uint64_t)(uintptr_t)nb;
            int added_a, added_b;
            uint64_t *pa = brinep_map_upsert(&ab, ka, &added_a);
            uint64_t *pb = pa ? brinep_map_upsert(&ba, kb, &added_b) : NULL;
            if (!pb) {
                result = -brinep_nomem(err);
                break;
            }
            if (!added_a || !added_b) {
                /* Seen before: it must be the same pairing. A half-made
                 * pairing is harmless, the walk stops here. */
                if (added_a || added_b || *pa != kb || *pb != ka) {
                    result = 0;
                    break;
                }
            } else {
                *pa = kb;
                *pb = ka;
                if (!shallow_equal(a, b)) {
                    result = 0;
                    break;
                }
                if (a->type == BRINE_ARRAY) {
                    /* compared whole: no children */
                } else if (stack.count >= max_depth) {
                    result = -brinep_depth_error(err, max_depth, "comparing");
                    if (err && err->code == BRINE_E_DEPTH && err->path[0] == '\0')
                        frames_path(&stack, err->path, sizeof err->path);
                    break;
                } else {
                    eq_frame *f = brinep_stack_push(&stack);
                    if (!f) {
                        result = -brinep_nomem(err);
                        break;
                    }
                    f->na = na;
                    f->nb = nb;
                    f->type = a->type;
                }
            }
        }
        /* The next pair of children; finished containers are popped. */
        a = NULL;
        while (stack.count) {
            eq_frame *f = brinep_stack_top(&stack);
            a = next_child(f->type, f->na, &f->ca);
            b = next_child(f->type, f->nb, &f->cb);
            if (a && b)
                break;
            if (a || b) { /* cannot happen with equal counts; be safe */
                result = 0;
                a = NULL;
                stack.count = 0;
                break;
            }
            brinep_stack_pop(&stack);
        }
        if (!a)
            break;
    }
    brinep_stack_destroy(&stack);
    brinep_map_destroy(&ab);
    brinep_map_destroy(&ba);
    return result;
}
