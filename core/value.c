/* value.c: value slots, scalar constructors and getters, type names, lists
 * and tuples (brine_seq_*) and models; ints are in int.c, dicts in dict.c.
 * Links between documents are refused here (BRINE_E_INVALID): a container
 * and everything stored in it share one arena and one lifetime. */
#include <string.h>

#include "internal.h"

/* Items of a container no slot points at any more lose their link from it;
 * those left with none in turn, with a heap stack (a dropped value may be
 * a million levels deep). Counts never go below zero: a link not counted
 * (the builder links a container at its END) is not taken back. A cycle of
 * dropped values keeps its counts, as in any reference counting: nothing
 * walks it, and a live container it points at gets at worst an anchor no
 * REF uses. Out of memory for the stack, the rest keep their counts, with
 * the same worst case. */
typedef struct unlink_stack {
    brine_value *items;
    size_t depth, cap;
} unlink_stack;

/* One link less for the container kid points at; pushed if none is left. */
static void unlink_item(unlink_stack *st, const brine_value *kid)
{
    brinep_node_head *k = brinep_node(kid);
    if (!k || !k->links || --k->links)
        return;
    if (st->depth == st->cap) {
        size_t ncap = st->cap ? 2 * st->cap : 64;
        brine_value *grown =
            ncap <= SIZE_MAX / sizeof *st->items ? brine_realloc(st->items, ncap * sizeof *st->items) : NULL;
        if (!grown)
            return;
        st->items = grown;
        st->cap = ncap;
    }
    st->items[st->depth++] = *kid;
}

void brinep_unlink(const brine_value *v)
{
    brinep_node_head *n = brinep_node(v);
    if (!n || !n->links || --n->links)
        return;
    unlink_stack st = {NULL, 0, 0};
    brine_value top = *v;
    for (;;) {
        switch (top.type) {
        case BRINE_LIST:
        case BRINE_TUPLE:
            for (size_t i = 0; i < top.as.seq->count; i++)
                unlink_item(&st, &top.as.seq->items[i]);
            break;
        case BRINE_DICT:
            for (size_t i = 0; i < top.as.dict->used; i++) {
                const brinep_entry *e = &top.as.dict->entries[i];
                if (e->key.type != BRINEP_DELETED) {
                    unlink_item(&st, &e->key);
                    unlink_item(&st, &e->val);
                }
            }
            break;
        case BRINE_MODEL:
            unlink_item(&st, &top.as.model->args);
            unlink_item(&st, &top.as.model->state);
            break;
        default: break; /* arrays hold no slots */
        }
        if (!st.depth)
            break;
        top = st.items[--st.depth];
    }
    brine_free(st.items);
}

/* Every constructor returns a fresh 16-byte slot in the document's arena;
 * str/bytes data and container nodes are allocated with it in one block. */

#define SLOT_SIZE sizeof(brine_value)
#define NODE_SIZE(t) BRINEP_NODE_SIZE(t)

static const char *const type_names[] = {
    [BRINE_NULL] = "null",       [BRINE_BOOL] = "bool", [BRINE_INT] = "int",     [BRINE_FLOAT] = "float",
    [BRINE_COMPLEX] = "complex", [BRINE_STR] = "str",   [BRINE_BYTES] = "bytes", [BRINE_LIST] = "list",
    [BRINE_TUPLE] = "tuple",     [BRINE_DICT] = "dict", [BRINE_MODEL] = "model", [BRINE_ARRAY] = "array",
};

const char *brine_type_name(brine_type t)
{
    if ((unsigned)t < sizeof type_names / sizeof type_names[0])
        return type_names[t];
    return "unknown";
}

brine_type brine_type_of(const brine_value *v)
{
    return v ? (brine_type)v->type : BRINE_NULL;
}

unsigned brine_value_kinds(const brine_value *v)
{
    if (!v)
        return 0;
    brine_doc *doc = brine_value_doc(v);
    const brinep_node_head *node = brinep_node(v);
    /* A walk from a stored container meets it once more than its links
     * say: the walker anchors it (walk.c). */
    return brinep_slot_kinds(v) | (doc ? doc->kinds : 0) | (node && node->links ? BRINE_KIND_SHARED : 0);
}

brine_doc *brine_value_doc(const brine_value *v)
{
    if (!v)
        return NULL;
    switch (v->type) {
    case BRINE_INT: return v->sub == BRINEP_INT_BIG ? v->as.blob->doc : NULL;
    case BRINE_COMPLEX: return v->as.cx->doc;
    case BRINE_STR:
    case BRINE_BYTES: return v->sub == BRINEP_STR_BORROWED ? NULL : v->as.blob->doc; /* borrowed: no header */
    case BRINE_LIST:
    case BRINE_TUPLE: return v->as.seq->doc;
    case BRINE_DICT: return v->as.dict->doc;
    case BRINE_MODEL: return v->as.model->doc;
    case BRINE_ARRAY: return v->as.array->doc;
    default: return NULL;
    }
}

/* A zeroed slot of the given type, or NULL (err set). */
static brine_value *slot_new(brine_doc *doc, brine_type type, brine_error *err)
{
    if (!doc) {
        brine_error_set(err, BRINE_E_INVALID, "a value needs a document");
        return NULL;
    }
    brine_value *v = brinep_alloc(doc, SLOT_SIZE);
    if (!v) {
        brinep_nomem(err);
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->type = (uint8_t)type;
    return v;
}

brine_value *brine_null_new(brine_doc *doc, brine_error *err)
{
    brinep_enter(err);
    return slot_new(doc, BRINE_NULL, err);
}

brine_value *brine_bool_new(brine_doc *doc, int b, brine_error *err)
{
    brinep_enter(err);
    brine_value *v = slot_new(doc, BRINE_BOOL, err);
    if (v)
        v->as.b = b != 0;
    return v;
}

brine_value *brine_float_new(brine_doc *doc, double f, brine_error *err)
{
    brinep_enter(err);
    brine_value *v = slot_new(doc, BRINE_FLOAT, err);
    if (v) {
        v->as.f = f;
        doc->kinds |= brinep_float_kinds(v->as.u);
    }
    return v;
}

brine_value *brine_complex_new(brine_doc *doc, double re, double im, brine_error *err)
{
    brinep_enter(err);
    if (!doc) {
        brine_error_set(err, BRINE_E_INVALID, "a value needs a document");
        return NULL;
    }
    brine_value *v = brinep_alloc(doc, SLOT_SIZE + NODE_SIZE(brinep_complex));
    if (!v) {
        brinep_nomem(err);
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->type = BRINE_COMPLEX;
    v->as.cx = (brinep_complex *)((char *)v + SLOT_SIZE);
    v->as.cx->doc = doc;
    v->as.cx->re = re;
    v->as.cx->im = im;
    doc->kinds |= BRINE_KIND_COMPLEX;
    return v;
}

/* A slot and its blob in one block. */
static brine_value *blob_slot(brine_doc *doc, brine_type type, const void *p, size_t len, brine_error *err)
{
    if (!doc || (!p && len)) {
        brine_error_set(err, BRINE_E_INVALID, "a %s needs a document and data", brine_type_name(type));
        return NULL;
    }
    if (len > SIZE_MAX - SLOT_SIZE - sizeof(brinep_blob) - 64) {
        brinep_nomem(err);
        return NULL;
    }
    brine_value *v = brinep_alloc(doc, SLOT_SIZE + sizeof(brinep_blob) + len + 1);
    if (!v) {
        brinep_nomem(err);
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->type = (uint8_t)type;
    brinep_blob *b = (brinep_blob *)((char *)v + SLOT_SIZE);
    b->doc = doc;
    b->len = len;
    if (len)
        memcpy(b->data, p, len);
    b->data[len] = '\0';
    v->as.blob = b;
    doc->kinds |= brinep_slot_kinds(v);
    return v;
}

brine_value *brine_str_new(brine_doc *doc, const char *s, size_t len, brine_error *err)
{
    brinep_enter(err);
    if (s) {
        size_t bad = brine_utf8_check(s, len);
        if (bad != len) {
            brine_error_set_at(err, BRINE_E_UTF8, bad, "invalid UTF-8 in a str at byte %zu", bad);
            return NULL;
        }
    }
    return blob_slot(doc, BRINE_STR, s, len, err);
}

brine_value *brine_str_new_cstr(brine_doc *doc, const char *s, brine_error *err)
{
    brinep_enter(err);
    if (!s) {
        brine_error_set(err, BRINE_E_INVALID, "a str needs data");
        return NULL;
    }
    return brine_str_new(doc, s, strlen(s), err);
}

brine_value *brine_bytes_new(brine_doc *doc, const void *p, size_t len, brine_error *err)
{
    brinep_enter(err);
    return blob_slot(doc, BRINE_BYTES, p, len, err);
}

int brine_bool_get(const brine_value *v)
{
    return v && v->type == BRINE_BOOL ? v->as.b : 0;
}

double brine_float_get(const brine_value *v)
{
    return v && v->type == BRINE_FLOAT ? v->as.f : 0.0;
}

void brine_complex_get(const brine_value *v, double *re, double *im)
{
    int ok = v && v->type == BRINE_COMPLEX;
    if (re)
        *re = ok ? v->as.cx->re : 0.0;
    if (im)
        *im = ok ? v->as.cx->im : 0.0;
}

const char *brine_str_get(const brine_value *v, size_t *len)
{
    size_t n = 0;
    const char *p = v && v->type == BRINE_STR ? brinep_bytes_of(v, &n) : NULL;
    if (len)
        *len = n;
    return p;
}

const void *brine_bytes_get(const brine_value *v, size_t *len)
{
    size_t n = 0;
    const char *p = v && v->type == BRINE_BYTES ? brinep_bytes_of(v, &n) : NULL;
    if (len)
        *len = n;
    return p;
}

int brinep_adopt_borrowed(brine_doc *doc, const brine_value *v, brine_value *out)
{
    *out = *v;
    if (!brinep_borrowed(v))
        return BRINE_OK;
    size_t len;
    const char *p = brinep_bytes_of(v, &len);
    if (brinep_doc_borrows(doc, p, len))
        return BRINE_OK;
    /* Another input's bytes, which may go away before doc does. */
    brinep_blob *b = brinep_blob_new(doc, p, len);
    if (!b)
        return BRINE_E_NOMEM;
    out->head = BRINEP_HEAD(v->type, BRINEP_STR_BLOB);
    out->as.blob = b;
    return BRINE_OK;
}

/* BRINE_OK if item may be stored in a container of doc, with *slot the
 * slot to store: item, or a copy of a str or bytes borrowed from another
 * input. The store may put item's blob in a second slot
 * (brinep_note_store). */
static int check_link(brine_doc *doc, const brine_value *item, brine_value *slot, brine_error *err)
{
    if (!item)
        return brine_error_set(err, BRINE_E_INVALID, "the value to store is NULL");
    brine_doc *owner = brine_value_doc(item);
    if (owner && owner != doc)
        return brine_error_set(err, BRINE_E_INVALID,
                               "a %s from another document cannot be stored here; copy it with brine_value_copy",
                               brine_type_name((brine_type)item->type));
    if (brinep_adopt_borrowed(doc, item, slot))
        return brinep_nomem(err);
    brinep_note_store(doc, slot);
    return BRINE_OK;
}

/* ---- sequences ---------------------------------------------------------- */

/* Room for at least want elements. */
static int seq_reserve(brinep_seq *s, size_t want)
{
    if (want <= s->cap)
        return 0;
    size_t cap = s->cap < 4 ? 4 : s->cap;
    while (cap < want)
        cap = cap > SIZE_MAX / 2 ? want : cap * 2;
    if (cap > SIZE_MAX / SLOT_SIZE)
        return -1;
    brine_value *items = brinep_grow(s->doc, s->items, s->cap * SLOT_SIZE, cap * SLOT_SIZE);
    if (!items)
        return -1;
    s->items = items;
    s->cap = cap;
    return 0;
}

int brinep_seq_push(brinep_seq *s, const brine_value *item)
{
    brine_value copy = *item; /* item may point into s->items, which may move */
    if (s->count == s->cap && seq_reserve(s, s->count + 1))
        return BRINE_E_NOMEM;
    s->items[s->count++] = copy;
    brinep_link(&copy, 1);
    return BRINE_OK;
}

static brine_value *seq_new(brine_doc *doc, brine_type type, brine_error *err)
{
    if (!doc) {
        brine_error_set(err, BRINE_E_INVALID, "a value needs a document");
        return NULL;
    }
    brine_value *v = brinep_alloc(doc, SLOT_SIZE + NODE_SIZE(brinep_seq));
    if (!v) {
        brinep_nomem(err);
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->type = (uint8_t)type;
    brinep_seq *s = (brinep_seq *)((char *)v + SLOT_SIZE);
    memset(s, 0, sizeof *s);
    s->doc = doc;
    v->as.seq = s;
    doc->kinds |= brinep_slot_kinds(v);
    return v;
}

brine_value *brine_list_new(brine_doc *doc, brine_error *err)
{
    brinep_enter(err);
    return seq_new(doc, BRINE_LIST, err);
}

brine_value *brine_tuple_new(brine_doc *doc, brine_error *err)
{
    brinep_enter(err);
    return seq_new(doc, BRINE_TUPLE, err);
}

static int is_seq(const brine_value *v)
{
    return v && (v->type == BRINE_LIST || v->type == BRINE_TUPLE);
}

size_t brine_seq_count(const brine_value *seq)
{
    return is_seq(seq) ? seq->as.seq->count : 0;
}

brine_value *brine_seq_get(const brine_value *seq, size_t i)
{
    if (!is_seq(seq) || i >= seq->as.seq->count)
        return NULL;
    return &seq->as.seq->items[i];
}

int brine_seq_append(brine_value *seq, const brine_value *item, brine_error *err)
{
    brinep_enter(err);
    if (!is_seq(seq))
        return brine_error_set(err, seq ? BRINE_E_TYPE : BRINE_E_INVALID, "append needs a list or a tuple, not %s",
                               seq ? brine_type_name((brine_type)seq->type) : "NULL");
    brine_value slot;
    int rc = check_link(seq->as.seq->doc, item, &slot, err);
    if (rc)
        return rc;
    if (brinep_seq_push(seq->as.seq, &slot))
        return brinep_nomem(err);
    return BRINE_OK;
}

int brine_seq_set(brine_value *seq, size_t i, const brine_value *item, brine_error *err)
{
    brinep_enter(err);
    if (!is_seq(seq))
        return brine_error_set(err, seq ? BRINE_E_TYPE : BRINE_E_INVALID, "set needs a list or a tuple, not %s",
                               seq ? brine_type_name((brine_type)seq->type) : "NULL");
    brine_value slot;
    int rc = check_link(seq->as.seq->doc, item, &slot, err);
    if (rc)
        return rc;
    if (i >= seq->as.seq->count)
        return brine_error_set(err, BRINE_E_RANGE, "index %zu out of range for a %s of %zu elements", i,
                               brine_type_name((brine_type)seq->type), seq->as.seq->count);
    brinep_link(&slot, 1);
    brinep_unlink(&seq->as.seq->items[i]);
    seq->as.seq->items[i] = slot;
    return BRINE_OK;
}

int brine_seq_reserve(brine_value *seq, size_t count, brine_error *err)
{
    brinep_enter(err);
    if (!is_seq(seq))
        return brine_error_set(err, seq ? BRINE_E_TYPE : BRINE_E_INVALID, "reserve needs a list or a tuple, not %s",
                               seq ? brine_type_name((brine_type)seq->type) : "NULL");
    brinep_seq *s = seq->as.seq;
    if (count <= s->cap)
        return BRINE_OK;
    if (count > SIZE_MAX / SLOT_SIZE)
        return brinep_nomem(err);
    brine_value *items = brinep_grow(s->doc, s->items, s->cap * SLOT_SIZE, count * SLOT_SIZE);
    if (!items)
        return brinep_nomem(err);
    s->items = items;
    s->cap = count;
    return BRINE_OK;
}

/* ---- models ------------------------------------------------------------- */

brinep_model *brinep_model_alloc(brine_doc *doc, const char *name, size_t len)
{
    /* The node, its empty args tuple and its name in one block; the name
     * only when it is not the last model's (doc->model_name). */
    size_t head = NODE_SIZE(brinep_model) + NODE_SIZE(brinep_seq);
    if (len > SIZE_MAX - head - sizeof(brinep_blob) - 64 || (!name && len))
        return NULL;
    brinep_blob *same = doc->model_name;
    if (same && !(same->len == len && (len == 0 || memcmp(same->data, name, len) == 0)))
        same = NULL;
    brinep_model *m = brinep_alloc(doc, head + (same ? 0 : sizeof(brinep_blob) + len + 1));
    if (!m)
        return NULL;
    memset(m, 0, head);
    m->doc = doc;
    brinep_seq *args = (brinep_seq *)((char *)m + NODE_SIZE(brinep_model));
    args->doc = doc;
    m->args.type = BRINE_TUPLE;
    m->args.as.seq = args;
    args->links = 1;
    m->state.type = BRINE_NULL;
    if (same) {
        m->name = same;
        return m;
    }
    brinep_blob *b = (brinep_blob *)((char *)m + head);
    b->doc = doc;
    b->len = len;
    if (len)
        memcpy(b->data, name, len);
    b->data[len] = '\0';
    m->name = b;
    doc->model_name = b;
    return m;
}

brine_value *brine_model_new(brine_doc *doc, const char *name, size_t len, brine_error *err)
{
    brinep_enter(err);
    if (!doc || (!name && len)) {
        brine_error_set(err, BRINE_E_INVALID, "a model needs a document and a name");
        return NULL;
    }
    size_t bad = name ? brine_utf8_check(name, len) : 0;
    if (bad != len) {
        brine_error_set_at(err, BRINE_E_UTF8, bad, "invalid UTF-8 in a model name at byte %zu", bad);
        return NULL;
    }
    brine_value *v = slot_new(doc, BRINE_MODEL, err);
    if (!v)
        return NULL;
    v->as.model = brinep_model_alloc(doc, name, len);
    if (!v->as.model) {
        brinep_nomem(err);
        return NULL;
    }
    doc->kinds |= BRINE_KIND_MODEL;
    return v;
}

const char *brine_model_name(const brine_value *model, size_t *len)
{
    int ok = model && model->type == BRINE_MODEL;
    if (len)
        *len = ok ? model->as.model->name->len : 0;
    return ok ? model->as.model->name->data : NULL;
}

brine_value *brine_model_args(const brine_value *model)
{
    return model && model->type == BRINE_MODEL ? &model->as.model->args : NULL;
}

brine_value *brine_model_state(const brine_value *model)
{
    return model && model->type == BRINE_MODEL ? &model->as.model->state : NULL;
}

int brine_model_set_args(brine_value *model, const brine_value *args, brine_error *err)
{
    brinep_enter(err);
    if (!model || model->type != BRINE_MODEL)
        return brine_error_set(err, model ? BRINE_E_TYPE : BRINE_E_INVALID, "set_args needs a model");
    if (!args || args->type != BRINE_TUPLE)
        return brine_error_set(err, args ? BRINE_E_TYPE : BRINE_E_INVALID, "a model's args must be a tuple, not %s",
                               args ? brine_type_name((brine_type)args->type) : "NULL");
    brine_value slot;
    int rc = check_link(model->as.model->doc, args, &slot, err);
    if (rc)
        return rc;
    brinep_link(args, 1);
    brinep_unlink(&model->as.model->args);
    model->as.model->args = *args;
    return BRINE_OK;
}

int brine_model_set_state(brine_value *model, const brine_value *state, brine_error *err)
{
    brinep_enter(err);
    if (!model || model->type != BRINE_MODEL)
        return brine_error_set(err, model ? BRINE_E_TYPE : BRINE_E_INVALID, "set_state needs a model");
    brine_value slot;
    int rc = check_link(model->as.model->doc, state, &slot, err);
    if (rc)
        return rc;
    brinep_link(&slot, 1);
    brinep_unlink(&model->as.model->state);
    model->as.model->state = slot;
    return BRINE_OK;
}
