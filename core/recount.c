/* recount.c: a graph made with the value API taken as a decode's result
 * (brine_direct_root, #23). A decoder whose format changes containers after
 * they are referenced (pickle) makes its values in the document being
 * built and drops some on the way (an args tuple, a popped list): those
 * still link what they held, so link counts and kinds bits would read as
 * shared, or as kinds the value does not hold. Here core does what the walk
 * into the builder did: the depth limit on the graph, in the walk's order
 * and with its error path (references from the memo can join containers
 * into a chain deeper than any opcode made), then exact link counts and
 * kinds bits for what the root reaches.
 *
 * Two passes over the reachable graph, each with an explicit stack of at
 * most max_depth frames and no per-node memory: the first marks every
 * reachable node (links = MARK), the second counts the slots that point at
 * each one (the first slot to reach a marked node resets it). What the
 * decoder dropped stays in the arena, unlinked and unreached. */
#include <string.h>

#include "recount.h"

#define MARK SIZE_MAX /* a node reached by the first pass, not yet by the second */

typedef struct rc_frame {
    const brine_value *slot; /* the open container */
    size_t next;             /* list, tuple: the next item; dict: the next entry; model: 0 args, 1 state, 2 done */
    int at_val;              /* dict: the key of entry next - 1 was taken, its value comes next */
} rc_frame;

/* The next child slot of f, or NULL when f is exhausted (deleted dict
 * entries skipped, as the walk skips them). */
static const brine_value *rc_next(rc_frame *f)
{
    const brine_value *v = f->slot;
    switch (v->type) {
    case BRINE_LIST:
    case BRINE_TUPLE: return f->next < v->as.seq->count ? &v->as.seq->items[f->next++] : NULL;
    case BRINE_DICT: {
        const brinep_dict *d = v->as.dict;
        if (f->at_val) {
            f->at_val = 0;
            return &d->entries[f->next - 1].val;
        }
        while (f->next < d->used && d->entries[f->next].key.type == BRINEP_DELETED)
            f->next++;
        if (f->next == d->used)
            return NULL;
        f->at_val = 1;
        return &d->entries[f->next++].key;
    }
    default: /* a model: args, then state */
        if (f->next == 2)
            return NULL;
        return f->next++ == 0 ? &v->as.model->args : &v->as.model->state;
    }
}

/* The path of the child last taken from each frame: the walk's (walk.c,
 * frames_path), so that both paths of a decode name the same place. */
static void rc_path(brinep_stack *stack, char *path, size_t cap)
{
    snprintf(path, cap, "$");
    for (size_t i = 0; i < stack->count; i++) {
        const rc_frame *f = brinep_stack_at(stack, i);
        if (f->next == 0)
            break;
        switch (f->slot->type) {
        case BRINE_LIST:
        case BRINE_TUPLE: brinep_path_index(path, cap, f->next - 1); break;
        case BRINE_DICT: brinep_path_key(path, cap, &f->slot->as.dict->entries[f->next - 1].key); break;
        default: brinep_path_name(path, cap, f->next == 1 ? "args" : "state"); break;
        }
    }
}

/* Pass 1: marks what root reaches, in the walk's order, refusing a
 * container first met max_depth containers deep. */
static int rc_mark(const brine_value *root, size_t max_depth, brinep_stack *stack, brine_error *err)
{
    const brine_value *v = root;
    while (v) {
        brinep_node_head *n = brinep_node(v);
        if (n && n->links != MARK) {
            if (v->type != BRINE_ARRAY) {
                if (stack->count >= max_depth) {
                    brinep_depth_error(err, max_depth, "decoding");
                    if (err && err->path[0] == '\0')
                        rc_path(stack, err->path, sizeof err->path);
                    return BRINE_E_DEPTH;
                }
                rc_frame *f = brinep_stack_push(stack);
                if (!f)
                    return brinep_nomem(err);
                f->slot = v;
            }
            n->links = MARK;
        }
        v = NULL;
        while (stack->count && !(v = rc_next(brinep_stack_top(stack))))
            brinep_stack_pop(stack);
    }
    return BRINE_OK;
}

/* Pass 2: the link counts and kinds bits of what pass 1 marked. */
static int rc_count(const brine_value *root, brinep_stack *stack, unsigned *kinds, brine_error *err)
{
    const brine_value *v = root;
    unsigned k = brinep_slot_kinds(root);
    brinep_node_head *n = brinep_node(root);
    if (n) {
        n->links = 0; /* the root's slot is the document's, not a link */
        if (root->type != BRINE_ARRAY) {
            rc_frame *f = brinep_stack_push(stack);
            if (!f)
                return brinep_nomem(err);
            f->slot = root;
        }
    }
    for (;;) {
        v = NULL;
        while (stack->count) {
            rc_frame *f = brinep_stack_top(stack);
            if ((v = rc_next(f))) {
                if (f->slot->type == BRINE_DICT && f->at_val && v->type != BRINE_STR)
                    k |= BRINE_KIND_KEY;
                break;
            }
            brinep_stack_pop(stack);
        }
        if (!v)
            break;
        k |= brinep_slot_kinds(v);
        if (!(n = brinep_node(v)))
            continue;
        if (n->links != MARK) {
            n->links++; /* met again: shared, or a cycle */
            k |= BRINE_KIND_SHARED;
            continue;
        }
        n->links = 1;
        if (v->type != BRINE_ARRAY) {
            rc_frame *f = brinep_stack_push(stack);
            if (!f)
                return brinep_nomem(err);
            f->slot = v;
        }
    }
    *kinds = k;
    return BRINE_OK;
}

int brinep_recount(brine_doc *doc, const brine_value *root, size_t max_depth, brine_error *err)
{
    brinep_stack stack;
    unsigned kinds = 0;
    brinep_stack_init(&stack, sizeof(rc_frame));
    int rc = rc_mark(root, max_depth, &stack, err);
    stack.count = 0;
    if (rc == BRINE_OK)
        rc = rc_count(root, &stack, &kinds, err);
    brinep_stack_destroy(&stack);
    if (rc == BRINE_OK)
        doc->kinds = kinds;
    return rc;
}
