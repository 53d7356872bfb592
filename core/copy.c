/* copy.c: deep copy of a graph into a document (brine_value_copy),
 * preserving sharing and cycles. Immutable blocks (str, bytes, big ints,
 * complexes) are shared when copying within one document, else copied
 * (a blob shared in the source once, see copy_blob). */
#include <string.h>

#include "internal.h"
#include "dtype.h"

/* A map from old container nodes to new ones makes every container copied
 * once; a new container is linked into its parent as soon as it exists and
 * filled later from an explicit stack, so cycles close by themselves. Dict
 * keys are hashed when inserted, so a key tuple is filled completely before
 * its entry goes in: the dict's frame waits for the key's frame. */

typedef struct copy_frame {
    const void *src; /* node being copied */
    void *dst;       /* its copy */
    size_t cursor;   /* next child (dicts: half-entries) */
    brine_value key; /* dicts: the copied key waiting for its value */
    uint8_t type;
    uint8_t key_ready; /* dicts: key holds a complete key */
} copy_frame;

#define FRAME_DONE (-1)

typedef struct copier {
    brine_doc *doc;
    size_t max_depth;
    brinep_map nodes; /* old node -> new node */
    brinep_stack stack;
    brine_error *err;
} copier;

/* A new empty container like src, with room for all of src's elements
 * (they exist: the count is a fact, not a decoder's promise). */
static void *new_node(brine_doc *doc, const brine_value *src)
{
    switch (src->type) {
    case BRINE_LIST:
    case BRINE_TUPLE: return brinep_seq_alloc(doc, src->as.seq->count);
    case BRINE_DICT: return brinep_dict_alloc(doc, src->as.dict->count);
    default: return brinep_model_alloc(doc, src->as.model->name->data, src->as.model->name->len);
    }
}

static void frames_path(brinep_stack *stack, char *path, size_t cap)
{
    snprintf(path, cap, "$");
    for (size_t i = 0; i < stack->count; i++) {
        copy_frame *f = brinep_stack_at(stack, i);
        if (f->cursor == 0)
            break;
        switch (f->type) {
        case BRINE_LIST:
        case BRINE_TUPLE: brinep_path_index(path, cap, f->cursor - 1); break;
        case BRINE_DICT: {
            const brinep_dict *d = f->src;
            brinep_path_key(path, cap, &d->entries[(f->cursor - 1) / 2].key);
            break;
        }
        default: brinep_path_name(path, cap, f->cursor == 1 ? "args" : "state"); break;
        }
    }
}

/* Copies a blob of another document into c's. A blob the source may share
 * between slots (its shared_blobs flag) is copied once, through the map of
 * nodes (blob and node addresses never coincide), and shared again: a
 * million slots of one 1 MB str must not become a million copies. */
static int copy_blob(copier *c, brinep_blob *src, brinep_blob **dst)
{
    uint64_t *known = NULL;
    int added = 1;
    if (src->doc->shared_blobs && src->len >= BRINEP_SHARE_MIN) {
        if (!(known = brinep_map_upsert(&c->nodes, (uint64_t)(uintptr_t)src, &added)))
            return brinep_nomem(c->err);
        if (!added) {
            *dst = (brinep_blob *)(uintptr_t)*known;
            c->doc->shared_blobs = 1;
            return BRINE_OK;
        }
    }
    if (!(*dst = brinep_blob_new(c->doc, src->data, src->len))) {
        if (known)
            brinep_map_remove(&c->nodes, (uint64_t)(uintptr_t)src);
        return brinep_nomem(c->err);
    }
    if (known)
        *known = (uint64_t)(uintptr_t)*dst;
    return BRINE_OK;
}

/* A borrowed str or bytes (#23): kept borrowed if it lies in c's
 * document's borrowed range, else a blob, one per data and length (the
 * source's slots may share it: a walk sends such data once with refs). */
static int copy_borrowed(copier *c, const brine_value *src, brine_value *dst)
{
    size_t len;
    const char *p = brinep_bytes_of(src, &len);
    if (brinep_doc_borrows(c->doc, p, len)) {
        c->doc->shared_blobs = 1; /* the same data in a second slot */
        return BRINE_OK;
    }
    uint64_t *known = NULL;
    int added = 1;
    uint64_t key = (uint64_t)((uintptr_t)p - offsetof(brinep_blob, data)); /* as walk.c's: no blob's address */
    if (len >= BRINEP_SHARE_MIN) {
        if (!(known = brinep_map_upsert(&c->nodes, key, &added)))
            return brinep_nomem(c->err);
        brinep_blob *had = (brinep_blob *)(uintptr_t)*known;
        if (!added && had->len == len) {
            dst->head = BRINEP_HEAD(src->type, BRINEP_STR_BLOB);
            dst->as.blob = had;
            c->doc->shared_blobs = 1;
            return BRINE_OK;
        }
    }
    brinep_blob *b = brinep_blob_new(c->doc, p, len);
    if (!b) {
        if (known && added)
            brinep_map_remove(&c->nodes, key);
        return brinep_nomem(c->err);
    }
    if (known && added)
        *known = (uint64_t)(uintptr_t)b;
    dst->head = BRINEP_HEAD(src->type, BRINEP_STR_BLOB);
    dst->as.blob = b;
    return BRINE_OK;
}

/* Copies the slot src into *dst: scalars by value, containers by finding
 * or creating their copy (a new one gets a frame to be filled). *pushed is
 * set when a frame was pushed. */
static int copy_slot(copier *c, const brine_value *src, brine_value *dst, int *pushed)
{
    *pushed = 0;
    *dst = *src;
    switch (src->type) {
    case BRINE_INT:
        if (src->sub != BRINEP_INT_BIG)
            return BRINE_OK;
        /* fall through */
    case BRINE_STR:
    case BRINE_BYTES:
        if (src->sub == BRINEP_STR_BORROWED)
            return copy_borrowed(c, src, dst);
        if (src->as.blob->doc == c->doc) {
            c->doc->shared_blobs = 1; /* the same blob in a second slot */
            return BRINE_OK;
        }
        return copy_blob(c, src->as.blob, &dst->as.blob);
    case BRINE_COMPLEX:
        if (src->as.cx->doc != c->doc) {
            if (!(dst->as.cx = brinep_alloc(c->doc, sizeof *dst->as.cx)))
                return brinep_nomem(c->err);
            dst->as.cx->doc = c->doc;
            dst->as.cx->re = src->as.cx->re;
            dst->as.cx->im = src->as.cx->im;
        }
        return BRINE_OK;
    case BRINE_LIST:
    case BRINE_TUPLE:
    case BRINE_DICT:
    case BRINE_MODEL:
    case BRINE_ARRAY: break;
    default: return BRINE_OK;
    }
    const void *node = brinep_node(src);
    int added;
    uint64_t *slot = brinep_map_upsert(&c->nodes, (uint64_t)(uintptr_t)node, &added);
    if (!slot)
        return brinep_nomem(c->err);
    if (src->type == BRINE_ARRAY) { /* a leaf: copied whole, once, shared as the source shares it */
        if (added) {
            brinep_array *copy = brinep_array_copy(c->doc, src->as.array, c->err);
            if (!copy) {
                brinep_map_remove(&c->nodes, (uint64_t)(uintptr_t)node);
                return c->err && c->err->code ? c->err->code : BRINE_E_NOMEM;
            }
            *slot = (uint64_t)(uintptr_t)copy;
        }
        dst->as.array = (brinep_array *)(uintptr_t)*slot;
        return BRINE_OK;
    }
    if (!added) {
        void *copy = (void *)(uintptr_t)*slot;
        switch (src->type) {
        case BRINE_LIST:
        case BRINE_TUPLE: dst->as.seq = copy; break;
        case BRINE_DICT: dst->as.dict = copy; break;
        default: dst->as.model = copy; break;
        }
        return BRINE_OK;
    }
    if (c->stack.count >= c->max_depth) {
        brinep_map_remove(&c->nodes, (uint64_t)(uintptr_t)node);
        brinep_depth_error(c->err, c->max_depth, "copying");
        if (c->err && c->err->code == BRINE_E_DEPTH && c->err->path[0] == '\0')
            frames_path(&c->stack, c->err->path, sizeof c->err->path);
        return BRINE_E_DEPTH;
    }
    void *copy = new_node(c->doc, src);
    copy_frame *f = copy ? brinep_stack_push(&c->stack) : NULL;
    if (!f) {
        brinep_map_remove(&c->nodes, (uint64_t)(uintptr_t)node);
        return brinep_nomem(c->err);
    }
    *slot = (uint64_t)(uintptr_t)copy;
    f->src = node;
    f->dst = copy;
    f->type = src->type;
    switch (src->type) {
    case BRINE_LIST:
    case BRINE_TUPLE: dst->as.seq = copy; break;
    case BRINE_DICT: dst->as.dict = copy; break;
    default: dst->as.model = copy; break;
    }
    *pushed = 1;
    return BRINE_OK;
}

/* Advances the top frame by one child. Returns BRINE_OK, FRAME_DONE when
 * the frame was finished and popped, or an error status. */
static int step(copier *c)
{
    copy_frame *f = brinep_stack_top(&c->stack);
    brine_value v;
    int pushed, rc;
    switch (f->type) {
    case BRINE_LIST:
    case BRINE_TUPLE: {
        const brinep_seq *s = f->src;
        if (f->cursor >= s->count) {
            brinep_stack_pop(&c->stack);
            return FRAME_DONE;
        }
        brinep_seq *d = f->dst;
        const brine_value *child = &s->items[f->cursor++];
        if ((rc = copy_slot(c, child, &v, &pushed)))
            return rc;
        /* d has room for s->count items: this never allocates. */
        return brinep_seq_push(d, &v) ? brinep_nomem(c->err) : BRINE_OK;
    }
    case BRINE_DICT: {
        const brinep_dict *s = f->src;
        if (!f->key_ready) {
            while (f->cursor / 2 < s->used && s->entries[f->cursor / 2].key.type == BRINEP_DELETED)
                f->cursor += 2;
            if (f->cursor / 2 >= s->used) {
                brinep_stack_pop(&c->stack);
                return FRAME_DONE;
            }
            const brine_value *key = &s->entries[f->cursor / 2].key;
            f->cursor++;
            f->key_ready = 1;
            /* A new key tuple is filled by its own frame before we go on. */
            if ((rc = copy_slot(c, key, &v, &pushed)))
                return rc;
            f = brinep_stack_at(&c->stack, c->stack.count - 1 - (size_t)pushed);
            f->key = v;
            if (pushed)
                return BRINE_OK;
        }
        const brine_value *val = &s->entries[f->cursor / 2].val;
        f->cursor++;
        f->key_ready = 0;
        brinep_dict *d = f->dst;
        brine_value key = f->key;
        if ((rc = copy_slot(c, val, &v, &pushed)))
            return rc;
        return brinep_dict_put(d, &key, &v, c->max_depth, c->err);
    }
    default: {
        const brinep_model *s = f->src;
        brinep_model *d = f->dst;
        if (f->cursor >= 2) {
            brinep_stack_pop(&c->stack);
            return FRAME_DONE;
        }
        const brine_value *child = f->cursor == 0 ? &s->args : &s->state;
        brine_value *target = f->cursor == 0 ? &d->args : &d->state;
        f->cursor++;
        if ((rc = copy_slot(c, child, &v, &pushed)))
            return rc;
        brinep_unlink(target);
        *target = v;
        brinep_link(&v, 1);
        return BRINE_OK;
    }
    }
}

brine_value *brine_value_copy(brine_doc *doc, const brine_value *v, size_t max_depth, brine_error *err)
{
    brine_error_clear(err); /* an operation: err reports this call only */
    if (!doc || !v) {
        brine_error_set(err, BRINE_E_INVALID, "brine_value_copy needs a document and a value");
        return NULL;
    }
    if (!max_depth) {
        brine_doc *src = brine_value_doc(v);
        max_depth = src ? src->max_depth : doc->max_depth;
    }
    brine_value *out = brinep_alloc(doc, sizeof *out);
    if (!out) {
        brinep_nomem(err);
        return NULL;
    }
    /* The source's kinds, but sharing: the copy links its containers as
     * the source does, which sets that bit (brinep_link). */
    brine_doc *src = brine_value_doc(v);
    doc->kinds |= brinep_slot_kinds(v) | (src ? src->kinds & ~BRINE_KIND_SHARED : 0);
    copier c = {.doc = doc, .max_depth = max_depth, .err = err};
    brinep_map_init(&c.nodes);
    brinep_stack_init(&c.stack, sizeof(copy_frame));
    int pushed;
    int rc = copy_slot(&c, v, out, &pushed);
    while (rc == BRINE_OK && c.stack.count) {
        rc = step(&c);
        if (rc == FRAME_DONE)
            rc = BRINE_OK;
    }
    brinep_stack_destroy(&c.stack);
    brinep_map_destroy(&c.nodes);
    return rc == BRINE_OK ? out : NULL;
}
