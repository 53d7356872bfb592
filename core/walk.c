/* walk.c: the walker, which turns a graph into events for a sink, and the
 * value statistics. Both traverse with an explicit heap stack, so a graph a
 * million levels deep costs memory, not C stack.
 *
 * References: for a sink that stores them, only containers that more than
 * one slot points at (the link count every store keeps, internal.h) get an
 * anchor, ids 1, 2, ... in order of first visit, and are sent as REF when
 * met again. Unshared containers cost no lookup; only shared ones have an
 * entry in the table of ids. (A container linked from outside the walked
 * value too may get an anchor no REF uses: harmless, and deterministic.)
 * For other sinks a shared container is simply sent again each time it is
 * met, and a cycle is found where it must end up: a walk around a cycle
 * never ends, so it reaches the depth limit, and only then is the path
 * checked for a container that is open twice (BRINE_E_CYCLE, with the path
 * where it was first met again). That costs nothing per node on the common
 * path and one pass over the stack on failure; a set of open containers
 * kept up to date at every begin and end cost a third of encoding time.
 *
 * Shared scalars (BRINE_SINK_SCALAR_REFS): strs, bytes and big ints whose
 * data two slots share get anchors too, found by a counting pass that runs
 * only when the document's shared_blobs flag is set (never for decoded
 * documents, so ordinary encodes cost one test). A link count in each blob
 * was rejected: the borrowed strings planned in #23 have no header. Data
 * under BRINEP_SHARE_MIN (16) bytes is sent again: each repeat then costs
 * the builder one block of at most 32 bytes besides its slot, while an
 * anchor costs ~80 bytes of tables once (pickle, 10^6 distinct strs each
 * fetched once more: 251 MB at 15 bytes, 333 MB at 16; a 20 MB pickle of
 * 10^7 BINGETs of one str: 803 MB at 15 bytes, 491 MB at 16, of which the
 * slots of the reader's and the built document are most).
 *
 * Sorted keys (brine_options.sort_keys, order.c): a dict of two or more
 * entries gets an array of its entries in key order when it opens, in one
 * buffer shared by the open dicts; other walks never look at it. */
#include <stddef.h>
#include <string.h>

#include "internal.h"
#include "dtype.h"
#include "brine/format.h"

typedef struct walk_frame {
    const brine_value *slot; /* the open container */
    /* The next child, read straight from the container's memory (re-reading
     * the slot and node for every child was a third of the walk's time):
     * lists and tuples: the next slot of [first, end); dicts: the next
     * entry of [first, end), whose value is next if at_val (its key was
     * sent); models: &args, &state, then NULL. */
    const void *cur;
    const void *end;
    const void *first;
    int type; /* the container's brine_type */
    int at_val;
    /* sort_keys: a dict's live entries in key order (in the walk's order
     * buffer), the count and the next one; NULL in insertion order. */
    const brinep_entry **order;
    size_t order_count, order_pos;
} walk_frame;

/* Opens frame f on container v and, unless ev is NULL, fills in ev's begin
 * event (its kind and count, or a model's name). */
static BRINEP_INLINE void frame_open(walk_frame *f, const brine_value *v, brine_event *ev)
{
    f->slot = v;
    f->type = v->type;
    f->at_val = 0;
    f->order = NULL;
    switch (v->type) {
    case BRINE_LIST:
    case BRINE_TUPLE: {
        const brinep_seq *s = v->as.seq;
        f->first = f->cur = s->items;
        f->end = s->count ? s->items + s->count : s->items; /* items is NULL when empty */
        if (ev) {
            ev->kind = v->type == BRINE_LIST ? BRINE_EV_LIST : BRINE_EV_TUPLE;
            ev->v.count = s->count;
        }
        break;
    }
    case BRINE_DICT: {
        const brinep_dict *d = v->as.dict;
        f->first = f->cur = d->entries;
        f->end = d->used ? d->entries + d->used : d->entries;
        if (ev) {
            ev->kind = BRINE_EV_DICT;
            ev->v.count = d->count;
        }
        break;
    }
    default:
        f->first = f->cur = &v->as.model->args;
        f->end = NULL;
        if (ev) {
            ev->kind = BRINE_EV_MODEL;
            ev->v.s.ptr = v->as.model->name->data;
            ev->v.s.len = v->as.model->name->len;
        }
        break;
    }
}

/* A new top frame (frame_open fills it), or NULL when out of memory. */
static inline walk_frame *frame_push(brinep_stack *stack)
{
    if (stack->count < stack->cap)
        return (walk_frame *)stack->data + stack->count++;
    return brinep_stack_push(stack);
}

/* The next child slot of frame f, or NULL when f is exhausted. Dict
 * entries that were deleted are skipped. */
static inline const brine_value *frame_next(walk_frame *f)
{
    if (f->type == BRINE_DICT) {
        if (f->order) {
            if (f->at_val) {
                f->at_val = 0;
                return &f->order[f->order_pos++]->val;
            }
            if (f->order_pos == f->order_count)
                return NULL;
            f->at_val = 1;
            return &f->order[f->order_pos]->key;
        }
        const brinep_entry *e = f->cur;
        if (f->at_val) {
            f->at_val = 0;
            f->cur = e + 1;
            return &e->val;
        }
        while (e != f->end && e->key.type == BRINEP_DELETED)
            e++;
        f->cur = e;
        if (e == f->end)
            return NULL;
        f->at_val = 1;
        return &e->key;
    }
    const brine_value *v = f->cur;
    if (v == f->end)
        return NULL;
    if (f->type == BRINE_MODEL) /* args, then state */
        f->cur = v == &f->slot->as.model->args ? &f->slot->as.model->state : NULL;
    else
        f->cur = v + 1;
    return v;
}

/* How many children frame f has: slots (a dict: keys and values). */
static inline size_t frame_children(const walk_frame *f)
{
    if (!f->first)
        return 0; /* an empty list or dict: no items array (a model always has one) */
    switch (f->type) {
    case BRINE_DICT: return 2 * (size_t)((const brinep_entry *)f->end - (const brinep_entry *)f->first);
    case BRINE_MODEL: return 2;
    default: return (size_t)((const brine_value *)f->end - (const brine_value *)f->first);
    }
}

/* How many children frame f has sent (a dict: entries begun). */
static size_t frame_taken(const walk_frame *f)
{
    if (!f->first)
        return 0;
    switch (f->type) {
    case BRINE_DICT:
        if (f->order)
            return f->order_pos + (size_t)f->at_val;
        return (size_t)((const brinep_entry *)f->cur - (const brinep_entry *)f->first) + (size_t)f->at_val;
    case BRINE_MODEL: return f->cur == f->first ? 0 : f->cur ? 1 : 2;
    default: return (size_t)((const brine_value *)f->cur - (const brine_value *)f->first);
    }
}

/* Writes the path of the child most recently taken from each frame. */
static void frames_path(brinep_stack *stack, char *path, size_t cap)
{
    snprintf(path, cap, "$");
    for (size_t i = 0; i < stack->count; i++) {
        walk_frame *f = brinep_stack_at(stack, i);
        size_t taken = frame_taken(f);
        if (taken == 0)
            break;
        switch (f->type) {
        case BRINE_LIST:
        case BRINE_TUPLE: brinep_path_index(path, cap, taken - 1); break;
        case BRINE_DICT:
            brinep_path_key(path, cap,
                            f->order ? &f->order[taken - 1]->key : &((const brinep_entry *)f->first)[taken - 1].key);
            break;
        case BRINE_MODEL: brinep_path_name(path, cap, taken == 1 ? "args" : "state"); break;
        }
    }
}

static int path_error(brinep_stack *stack, brine_error *err)
{
    if (err && err->code != BRINE_OK && err->path[0] == '\0')
        frames_path(stack, err->path, sizeof err->path);
    return err ? err->code : BRINE_E_INVALID;
}

/* Fills ev for scalar v; returns the bytes of data it carries (a str's,
 * bytes' or big int's), which the expansion budget counts. */
static inline size_t scalar_event(const brine_value *v, brine_event *ev)
{
    switch (v->type) {
    case BRINE_NULL: ev->kind = BRINE_EV_NULL; break;
    case BRINE_BOOL:
        ev->kind = BRINE_EV_BOOL;
        ev->v.boolean = v->as.b;
        break;
    case BRINE_INT:
        if (v->sub == BRINEP_INT_I64) {
            ev->kind = BRINE_EV_INT;
            ev->v.i = v->as.i;
        } else if (v->sub == BRINEP_INT_U64) {
            ev->kind = BRINE_EV_UINT;
            ev->v.u = v->as.u;
        } else {
            ev->kind = BRINE_EV_BIGINT;
            ev->v.s.ptr = v->as.blob->data;
            return ev->v.s.len = v->as.blob->len;
        }
        break;
    case BRINE_FLOAT:
        ev->kind = BRINE_EV_FLOAT;
        ev->v.f = v->as.f;
        break;
    case BRINE_COMPLEX:
        ev->kind = BRINE_EV_COMPLEX;
        ev->v.c.re = v->as.cx->re;
        ev->v.c.im = v->as.cx->im;
        break;
    case BRINE_STR:
    case BRINE_BYTES:
        ev->kind = v->type == BRINE_STR ? BRINE_EV_STR : BRINE_EV_BYTES;
        ev->v.s.ptr = brinep_bytes_of(v, &ev->v.s.len);
        return ev->v.s.len;
    }
    return 0;
}

static size_t value_depth_limit(const brine_value *v, size_t max_depth)
{
    if (max_depth)
        return max_depth;
    brine_doc *doc = brine_value_doc(v);
    return doc ? doc->max_depth : BRINE_DEFAULT_MAX_DEPTH;
}

/* The walk is at the depth limit with pending about to open: a cycle if some
 * container is open twice on the path (reported where it was first met
 * again, as an eager check would have), else a depth error. */
static int depth_or_cycle(brinep_stack *stack, const brine_value *pending, size_t max_depth, brine_error *err)
{
    brinep_map open;
    size_t n = stack->count, cut = SIZE_MAX;
    brinep_map_init(&open);
    for (size_t j = 0; j <= n && cut == SIZE_MAX; j++) {
        const brine_value *slot = j < n ? ((walk_frame *)brinep_stack_at(stack, j))->slot : pending;
        int added;
        if (!brinep_map_upsert(&open, (uint64_t)(uintptr_t)brinep_node(slot), &added)) {
            brinep_map_destroy(&open);
            return brinep_nomem(err);
        }
        if (!added)
            cut = j;
    }
    brinep_map_destroy(&open);
    if (cut != SIZE_MAX) {
        stack->count = cut; /* the path to where the open container is met again */
        brine_error_set(err, BRINE_E_CYCLE, "circular reference detected");
    } else {
        brinep_depth_error(err, max_depth, "encoding");
    }
    return path_error(stack, err);
}

/* Sends array v (a leaf of the walk, at nesting depth) to sink: one ARRAY
 * event for a sink that takes them, else numpy's tolist() as nested lists
 * (brinep_array_tolist), the outermost list anchored when v is. */
static int send_array(const brine_value *v, brine_sink *sink, uint64_t anchor, size_t depth, size_t max_depth,
                      brine_error *err)
{
    const brinep_array *a = v->as.array;
    brine_array_header h = {a->dtype, a->ndim, a->shape, a->count, a->data, a->nbytes, 0, 0};
    if (sink->flags & BRINE_SINK_ARRAYS) {
        brine_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = BRINE_EV_ARRAY;
        ev.anchor = anchor;
        ev.v.array = &h;
        return sink->event(sink, &ev);
    }
    return brinep_array_tolist(&h, anchor, sink, depth, max_depth, err);
}

/* Whether a shared array is anchored for sink: not when it reaches it as
 * a bare scalar (a 0-d array to a sink without arrays), which has no
 * anchor; it is sent again each time instead. */
static inline int array_anchorable(const brine_value *v, const brine_sink *sink)
{
    return v->type != BRINE_ARRAY || (sink->flags & BRINE_SINK_ARRAYS) || v->as.array->ndim > 0;
}

/* The expansion budget of a walk over doc's values. Written out again each
 * time it is met, a chain of shared containers grows exponentially (a
 * 300-byte file can stand for 2^64 lists), and a 1 MB str in a list shared
 * 4,096 times is 4 GiB. The budget counts what the walk sends, in bytes: 16
 * a value (its slot: a container counts itself and all its children when it
 * opens) plus the data of every str, bytes, big int and model name, at
 * every visit. Sent once, a graph costs at most about three times its
 * document's memory (each value has a slot there and each blob is stored
 * once; short dict keys shared between dicts cost less than their entry's
 * slots), so past ratio x memory + extra (defaults 8 and 64 MiB) the output
 * can only come from repetition, and the walk stops instead of filling a
 * disk. It applies to every sink: one that stores references is sent a
 * shared str again too. */
typedef struct expand_budget {
    uint64_t limit; /* bytes: ratio x memory + extra, saturated */
    uint32_t ratio; /* N */
    uint64_t extra; /* C */
    size_t memory;  /* the document's */
} expand_budget;

static void expand_budget_init(expand_budget *b, const brine_doc *doc, const brine_options *opts)
{
    b->ratio = opts && opts->expand_ratio ? opts->expand_ratio : BRINE_DEFAULT_EXPAND_RATIO;
    b->extra = opts && opts->expand_bytes ? opts->expand_bytes : BRINE_DEFAULT_EXPAND_BYTES;
    /* A borrowing document's data is partly its input's (#23): counted
     * as its own, or the budget would shrink by what borrowing saved. */
    b->memory = brine_doc_memory(doc) + (doc ? (size_t)(doc->borrow_hi - doc->borrow_lo) : 0);
    uint64_t scaled = (uint64_t)b->memory > UINT64_MAX / b->ratio ? UINT64_MAX : (uint64_t)b->memory * b->ratio;
    b->limit = scaled > UINT64_MAX - b->extra ? UINT64_MAX : scaled + b->extra;
}

/* The walk went past the budget: the error names the limit, both ways to
 * raise it, and the path of the value where it stopped. */
static int expand_error(brinep_stack *stack, const expand_budget *b, int refs, brine_error *err)
{
    brine_error_set(err, BRINE_E_RANGE,
                    "writing shared values out again would send over %llu bytes (limit: %u x the document's %zu "
                    "bytes + %llu); raise expand_ratio/expand_bytes (brine --max-expand)%s",
                    (unsigned long long)b->limit, (unsigned)b->ratio, b->memory, (unsigned long long)b->extra,
                    refs ? "" : " or use a format option that keeps references (refs)");
    return path_error(stack, err);
}

/* Scalar anchors (BRINE_SINK_SCALAR_REFS): the blobs of at least
 * BRINEP_SHARE_MIN bytes that two or more slots of the walk point at,
 * found by this pass before the walk and only when the document says a
 * blob may be shared (brine_doc.shared_blobs; decoded documents never
 * set it, so their encodes pay nothing). It visits each container once,
 * as the walk with references does, and leaves in blobs each such blob's
 * slot count (the walk then swaps in BLOB_ANCHORED | its id). It stops
 * descending at the depth limit, where the walk itself fails. */
#define BLOB_ANCHORED (UINT64_C(1) << 63)

/* A borrowed str or bytes (#23) has no blob: its key in the map is where
 * a blob's header would be before its data, which no blob can have (its
 * data is in the input, not the arena). Two borrowed slots share only with
 * the same data and length: lens maps each key to the first length seen,
 * and a slot of another length is not counted. */
static uint64_t data_key(const char *data)
{
    return (uint64_t)((uintptr_t)data - offsetof(brinep_blob, data));
}

static int count_blobs(const brine_value *root, size_t max_depth, brinep_map *blobs, brinep_map *lens, brine_error *err)
{
    brinep_map seen; /* shared containers already counted */
    brinep_stack stack;
    const void *root_node = brinep_node(root);
    const brine_value *v = root;
    int rc = BRINE_OK;
    brinep_map_init(&seen);
    brinep_stack_init(&stack, sizeof(walk_frame));
    while (v) {
        brinep_blob *blob = brinep_slot_blob(v);
        brinep_node_head *node = brinep_node(v);
        int added = 1;
        uint64_t key = (uint64_t)(uintptr_t)blob;
        size_t len = blob ? blob->len : 0;
        if (brinep_borrowed(v) && (key = data_key(brinep_bytes_of(v, &len)), len >= BRINEP_SHARE_MIN)) {
            uint64_t *l = brinep_map_upsert(lens, key, &added);
            if (!l) {
                rc = brinep_nomem(err);
                break;
            }
            if (added)
                *l = len;
            else if (*l != len)
                key = 0; /* the same start, other data: not shared */
        }
        if (key && len >= BRINEP_SHARE_MIN) {
            uint64_t *n = brinep_map_upsert(blobs, key, &added);
            if (!n) {
                rc = brinep_nomem(err);
                break;
            }
            ++*n;
        } else if (node && node->links + ((const void *)node == root_node) > 1 &&
                   !brinep_map_upsert(&seen, (uint64_t)(uintptr_t)node, &added)) {
            rc = brinep_nomem(err);
            break;
        }
        if (node && added && v->type != BRINE_ARRAY && stack.count < max_depth) {
            walk_frame *f = brinep_stack_push(&stack);
            if (!f) {
                rc = brinep_nomem(err);
                break;
            }
            frame_open(f, v, NULL);
        }
        v = NULL;
        while (stack.count && !(v = frame_next(brinep_stack_top(&stack))))
            brinep_stack_pop(&stack);
    }
    brinep_stack_destroy(&stack);
    brinep_map_destroy(&seen);
    return rc;
}

/* The filter in front of a sink for which count_blobs ran: a str, bytes or
 * big int whose blob it found shared gets an anchor at its first event and
 * becomes a REF afterwards. The event's data is the blob's (scalar_event).
 * The walk counts every visit's data against the expansion budget before
 * the event reaches this filter, so when a blob is anchored the filter
 * raises the limit by what its REFs to come will be counted for: they send
 * no data. (Crediting each REF as it passes would be too late: the walk
 * tests the limit first.) */
typedef struct blob_sink {
    brine_sink sink; /* a copy of the sink's, with event replaced */
    brine_sink *next;
    brinep_map *blobs;
    brinep_map *lens;  /* count_blobs' lengths of borrowed data */
    uint64_t *next_id; /* the walk's: one id space with containers */
    uint64_t *limit;   /* the walk's expansion limit, in bytes */
} blob_sink;

static int blob_sink_event(brine_sink *self, const brine_event *ev);

/* The filter in front of next; the sink the walk then sends to. */
static brine_sink *blob_sink_init(blob_sink *f, brine_sink *next, brinep_map *blobs, brinep_map *lens,
                                  uint64_t *next_id, uint64_t *limit)
{
    f->sink = *next;
    f->sink.event = blob_sink_event;
    f->sink.finish = NULL;
    f->sink.destroy = NULL;
    f->next = next;
    f->blobs = blobs;
    f->lens = lens;
    f->next_id = next_id;
    f->limit = limit;
    return &f->sink;
}

static int blob_sink_event(brine_sink *self, const brine_event *ev)
{
    blob_sink *f = (blob_sink *)self;
    if ((ev->kind == BRINE_EV_STR || ev->kind == BRINE_EV_BYTES || ev->kind == BRINE_EV_BIGINT) &&
        ev->v.s.len >= BRINEP_SHARE_MIN) {
        uint64_t key = data_key(ev->v.s.ptr), *first;
        uint64_t *n = brinep_map_find(f->blobs, key);
        if (n && *n >= 2 && (!f->lens->count || !(first = brinep_map_find(f->lens, key)) || *first == ev->v.s.len)) {
            brine_event out = *ev;
            if (*n & BLOB_ANCHORED) {
                out.kind = BRINE_EV_REF;
                out.v.ref = *n & ~BLOB_ANCHORED;
            } else {
                uint64_t refs = *n - 1, len = ev->v.s.len;
                uint64_t credit = refs > UINT64_MAX / len ? UINT64_MAX : refs * len;
                *f->limit = credit > UINT64_MAX - *f->limit ? UINT64_MAX : *f->limit + credit;
                out.anchor = *f->next_id;
                *n = BLOB_ANCHORED | (*f->next_id)++;
            }
            return f->next->event(f->next, &out);
        }
    }
    return f->next->event(f->next, ev);
}

/* sort_keys: the entry orders of the open dicts, one block after another
 * in one buffer (dicts close in the reverse order they open). Sorting in
 * the walker, not in each plugin, gives every format the same order. */
typedef struct order_buf {
    const brinep_entry **data;
    size_t used, cap;
} order_buf;

/* Gives the top frame f, a dict just opened, its entries in key order. */
static int order_open(order_buf *b, brinep_stack *stack, walk_frame *f, brine_error *err)
{
    const brinep_dict *d = f->slot->as.dict;
    if (d->count < 2)
        return BRINE_OK;
    if (d->count > b->cap - b->used) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap - b->used < d->count)
            if (cap > SIZE_MAX / 2 / sizeof *b->data)
                return brinep_nomem(err);
            else
                cap *= 2;
        const brinep_entry **grown = brine_realloc(b->data, cap * sizeof *grown);
        if (!grown)
            return brinep_nomem(err);
        /* The open dicts' orders moved with the buffer. */
        for (size_t i = 0; i < stack->count; i++) {
            walk_frame *g = brinep_stack_at(stack, i);
            if (g->order)
                g->order = grown + (g->order - b->data);
        }
        b->data = grown;
        b->cap = cap;
    }
    f->order = b->data + b->used;
    f->order_count = brinep_dict_order(d, f->order);
    f->order_pos = 0;
    b->used += f->order_count;
    return BRINE_OK;
}

static int walk(const brine_value *root, brine_sink *sink, size_t max_depth, const brine_options *opts,
                brine_error *err)
{
    brine_error_clear(err); /* an operation: err reports this call only */
    if (!root || !sink)
        return brine_error_set(err, BRINE_E_INVALID, "brine_walk needs a value and a sink");
    max_depth = value_depth_limit(root, max_depth);
    const int refs = (sink->flags & BRINE_SINK_REFS) != 0;
    brinep_map seen; /* refs: shared container -> its anchor id */
    brinep_map lens; /* see count_blobs */
    brinep_stack stack;
    uint64_t next_id = 1;
    int rc = BRINE_OK;
    const int sort = opts && opts->sort_keys;
    order_buf order = {NULL, 0, 0};
    brinep_map_init(&seen);
    brinep_map_init(&lens);
    brinep_stack_init(&stack, sizeof(walk_frame));
    brine_doc *doc = brine_value_doc(root);
    expand_budget budget; /* see expand_budget */
    expand_budget_init(&budget, doc, opts);
    /* Shared blobs share the table of ids, under their own addresses. */
    const int blobs =
        refs && (sink->flags & BRINE_SINK_SCALAR_REFS) && doc && doc->shared_blobs && root->type >= BRINE_LIST;
    /* The shared blobs' anchors are added by a filter in front of the
     * sink, so that the walk's own loop is the same for every sink. */
    brine_sink *const target = sink; /* which finish() is called */
    blob_sink filter;
    if (blobs) {
        if ((rc = count_blobs(root, max_depth, &seen, &lens, err)) != BRINE_OK) {
            brinep_stack_destroy(&stack);
            brinep_map_destroy(&seen);
            brinep_map_destroy(&lens);
            return rc;
        }
        sink = blob_sink_init(&filter, sink, &seen, &lens, &next_id, &budget.limit);
    }
    uint64_t sent = 0; /* bytes counted against budget.limit */

    /* The walk itself reaches the root once more than its links say. */
    const void *root_node = brinep_node(root);
    const brine_value *v = root;
    walk_frame *top = NULL; /* kept in a register: the stack's own fields are reloaded after every call */
    if (root->type < BRINE_LIST) {
        brine_event ev;
        ev.anchor = 0;
        scalar_event(root, &ev);
        if ((rc = sink->event(sink, &ev)) != BRINE_OK)
            path_error(&stack, err);
        v = NULL;
    } else if (root->type == BRINE_ARRAY) {
        if ((rc = send_array(root, sink, 0, 0, max_depth, err)) != BRINE_OK)
            path_error(&stack, err);
        v = NULL;
    }
    while (v) {
        brine_event ev;
        ev.anchor = 0;
        int opened = 0;
        if (v->type < BRINE_LIST) {
            /* Tested only for data: the kinds without any skip the test
             * (a test per scalar cost 1.5% of canada's encode instructions;
             * this way 0%, and 1-2% on twitter's strings). */
            size_t len = scalar_event(v, &ev);
            if (len && (sent += len) > budget.limit) {
                rc = expand_error(&stack, &budget, refs, err);
                break;
            }
        } else {
            brinep_node_head *node = brinep_node(v);
            int ref = 0;
            if (refs && node->links + ((const void *)node == root_node) > 1 && array_anchorable(v, sink)) {
                int added;
                uint64_t *id = brinep_map_upsert(&seen, (uint64_t)(uintptr_t)node, &added);
                if (!id) {
                    rc = brinep_nomem(err);
                    break;
                }
                if (added) {
                    ev.anchor = *id = next_id++;
                } else {
                    ev.kind = BRINE_EV_REF;
                    ev.v.ref = *id;
                    ref = 1;
                }
            }
            if (!ref && v->type == BRINE_ARRAY) {
                /* A leaf: its data counts once a visit, like a str's. */
                if ((sent += 16 + v->as.array->nbytes) > budget.limit) {
                    rc = expand_error(&stack, &budget, refs, err);
                    break;
                }
                if ((rc = send_array(v, sink, ev.anchor, stack.count, max_depth, err)) != BRINE_OK) {
                    path_error(&stack, err);
                    break;
                }
                goto next_child;
            }
            if (!ref) {
                if (stack.count >= max_depth) {
                    rc = refs ? (brinep_depth_error(err, max_depth, "encoding"), path_error(&stack, err))
                              : depth_or_cycle(&stack, v, max_depth, err);
                    break;
                }
                if (!(top = frame_push(&stack))) {
                    rc = brinep_nomem(err);
                    break;
                }
                frame_open(top, v, &ev);
                opened = 1;
                sent += 16 * (1 + (uint64_t)frame_children(top));
                if (ev.kind == BRINE_EV_MODEL)
                    sent += ev.v.s.len;
                if (sent > budget.limit) {
                    brinep_stack_pop(&stack); /* the path ends at the container itself */
                    rc = expand_error(&stack, &budget, refs, err);
                    break;
                }
                if (sort && ev.kind == BRINE_EV_DICT && (rc = order_open(&order, &stack, top, err)) != BRINE_OK) {
                    brinep_stack_pop(&stack);
                    path_error(&stack, err);
                    break;
                }
            }
        }
        if ((rc = sink->event(sink, &ev)) != BRINE_OK) {
            if (opened)
                brinep_stack_pop(&stack); /* the path ends at the container itself */
            path_error(&stack, err);
            break;
        }
        /* The next child, closing every exhausted container on the way (top
         * is set: the root is a container, which closes last). */
    next_child:
        for (;;) {
            if (top->type == BRINE_LIST || top->type == BRINE_TUPLE) {
                v = top->cur;
                if (v != top->end) {
                    top->cur = v + 1;
                    break;
                }
            } else if ((v = frame_next(top))) {
                break;
            }
            if (top->order)
                order.used -= top->order_count;
            brinep_stack_pop(&stack);
            brine_event end = {.kind = BRINE_EV_END};
            if ((rc = sink->event(sink, &end)) != BRINE_OK) {
                path_error(&stack, err);
                break;
            }
            if (!stack.count) {
                v = NULL; /* the root closed */
                break;
            }
            top--;
        }
        if (rc)
            break;
    }
    if (rc == BRINE_OK && target->finish)
        rc = target->finish(target);
    brine_free(order.data);
    brinep_stack_destroy(&stack);
    brinep_map_destroy(&seen);
    brinep_map_destroy(&lens);
    return rc;
}

int brine_walk(const brine_value *root, brine_sink *sink, size_t max_depth, brine_error *err)
{
    brinep_enter(err);
    return walk(root, sink, max_depth, NULL, err);
}

int brine_walk_options(const brine_value *root, brine_sink *sink, const brine_options *opts, brine_error *err)
{
    brinep_enter(err);
    return walk(root, sink, opts ? opts->max_depth : 0, opts, err);
}

int brine_value_stats(const brine_value *root, size_t max_depth, size_t *count, size_t *depth, brine_error *err)
{
    brine_error_clear(err); /* an operation: err reports this call only */
    if (!root)
        return brine_error_set(err, BRINE_E_INVALID, "brine_value_stats needs a value");
    max_depth = value_depth_limit(root, max_depth);
    brinep_map seen;
    brinep_stack stack;
    size_t values = 0, deepest = 0;
    int rc = BRINE_OK;
    brinep_map_init(&seen);
    brinep_stack_init(&stack, sizeof(walk_frame));
    const brine_value *v = root;
    while (v) {
        void *node = brinep_node(v);
        int added = 1;
        if (node && !brinep_map_upsert(&seen, (uint64_t)(uintptr_t)node, &added)) {
            rc = brinep_nomem(err);
            break;
        }
        if (added)
            values++;
        if (node && added && v->type != BRINE_ARRAY) {
            if (stack.count >= max_depth) {
                brinep_depth_error(err, max_depth, "counting");
                rc = path_error(&stack, err);
                break;
            }
            walk_frame *f = brinep_stack_push(&stack);
            if (!f) {
                rc = brinep_nomem(err);
                break;
            }
            frame_open(f, v, NULL);
            if (stack.count > deepest)
                deepest = stack.count;
        }
        v = NULL;
        while (stack.count && !(v = frame_next(brinep_stack_top(&stack))))
            brinep_stack_pop(&stack);
    }
    brinep_stack_destroy(&stack);
    brinep_map_destroy(&seen);
    if (rc == BRINE_OK) {
        if (count)
            *count = values;
        if (depth)
            *depth = deepest;
    }
    return rc;
}
