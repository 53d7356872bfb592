/* writer_save.c: the pickle writer's recorded half, a port of CPython's
 * Pickler.save() over the record of a shared tuple or model or a specially
 * named model (pickle needs lookahead there: a tuple met inside itself is
 * written again inside and the outer copy popped, then fetched with GET). */
#include "writer.h"

/* ---- the recorded writer: CPython's save() over the record -------------------- */

enum {
    PH_START,
    PH_CHILDREN,
    PH_BATCH_END,
    PH_ARGS_DONE,
    PH_STATE_DONE,
    PH_CALL_ARGS,
    PH_SPECIAL_DONE,
    PH_RS_LIST,  /* reduce_state: the next list item */
    PH_RS_DICT,  /* the next (key, value) pair's key */
    PH_RS_VALUE, /* its value */
    PH_RS_NEXT,  /* after an item: close a batch */
    PH_RS_STATE, /* S, then BUILD */
    PH_RS_BUILD
};

static const char *pk_rec_str(const pk_enc *e, const pk_rec *r)
{
    return pkw_rec_str(e, r);
}

static size_t pk_next_slot(const pk_enc *e, size_t slot)
{
    const pk_rec *r = &e->rec[slot];
    return r->end != PK_NONE ? r->end + 1 : slot + 1;
}

/* The node a child slot stands for (a begin or a REF inside), or PK_NONE. */
static size_t pk_slot_node(const pk_enc *e, size_t slot)
{
    const pk_rec *r = &e->rec[slot];
    if (r->ev.kind == BRINE_EV_REF)
        return r->target;
    return r->end != PK_NONE ? slot : PK_NONE;
}

static int pk_name_is(const pk_enc *e, const pk_rec *r, const char *name)
{
    size_t n = strlen(name);
    return r->ev.v.s.len == n && memcmp(pk_rec_str(e, r), name, n) == 0;
}

/* A child slot that is an unshared begin of the given kind and count. */
static int pk_plain_child(const pk_enc *e, size_t slot, int kind, size_t count)
{
    const pk_rec *r = &e->rec[slot];
    return (int)r->ev.kind == kind && r->ev.anchor == 0 && (count == PK_NONE || r->count == count);
}

/* A model "pickle.reduce_state" of the reader's exact shape, unshared:
 * args (S, listitems list or null, dictitems list of 2-tuples or null),
 * state null. Only meaningful as another model's state. */
static int pk_is_rstate(const pk_enc *e, size_t slot)
{
    const pk_rec *m = &e->rec[slot];
    size_t args = slot + 1, a, li, di;
    if (m->ev.kind != BRINE_EV_MODEL || m->ev.anchor || !pk_name_is(e, m, "pickle.reduce_state") ||
        !pk_plain_child(e, args, BRINE_EV_TUPLE, 3) || e->rec[pk_next_slot(e, args)].ev.kind != BRINE_EV_NULL)
        return 0;
    li = pk_next_slot(e, args + 1);
    di = pk_next_slot(e, li);
    if (e->rec[li].ev.kind != BRINE_EV_NULL && !pk_plain_child(e, li, BRINE_EV_LIST, PK_NONE))
        return 0;
    if (e->rec[di].ev.kind == BRINE_EV_NULL)
        return 1;
    if (!pk_plain_child(e, di, BRINE_EV_LIST, PK_NONE))
        return 0;
    for (a = di + 1; a != e->rec[di].end; a = pk_next_slot(e, a))
        if (!pk_plain_child(e, a, BRINE_EV_TUPLE, 2))
            return 0;
    return 1;
}

/* Which form a recorded model takes. The special names are recognised
 * only in the exact shapes the reader produces; anything else is generic. */
static int pk_form(const pk_enc *e, size_t node) /* recurses once, for NEWOBJ's cls */
{
    const pk_rec *m = &e->rec[node];
    size_t args = node + 1, state = pk_next_slot(e, args), a0 = args + 1, a1;
    int null_state = e->rec[state].ev.kind == BRINE_EV_NULL;
    if (!pk_plain_child(e, args, BRINE_EV_TUPLE, PK_NONE))
        return FORM_GENERIC;
    a1 = e->rec[args].count >= 2 ? pk_next_slot(e, a0) : PK_NONE;
    if (e->proto >= 4 && null_state && e->rec[args].count == 1 && pk_plain_child(e, a0, BRINE_EV_LIST, PK_NONE)) {
        if (pk_name_is(e, m, "builtins.set"))
            return FORM_SET;
        if (pk_name_is(e, m, "builtins.frozenset"))
            return FORM_FROZENSET;
    }
    if (e->proto >= 5 && null_state && e->rec[args].count == 1 && e->rec[a0].ev.kind == BRINE_EV_BYTES &&
        pk_name_is(e, m, "builtins.bytearray"))
        return FORM_BYTEARRAY;
    if (null_state && e->rec[args].count == 2 && e->rec[a0].ev.kind == BRINE_EV_STR &&
        e->rec[a1].ev.kind == BRINE_EV_STR && pk_name_is(e, m, "pickle.global"))
        return FORM_GLOBAL;
    if (e->rec[args].count == 2 && pk_name_is(e, m, "pickle.call")) {
        size_t t = pk_slot_node(e, a1);
        if (t != PK_NONE ? e->rec[t].ev.kind == BRINE_EV_TUPLE
                         : e->rec[a1].ev.kind == BRINE_EV_REF && e->rec[a1].count != PK_NONE)
            return FORM_CALL;
    }
    if (e->rec[args].count >= 2 && pk_name_is(e, m, "copyreg.__newobj__") && e->rec[a0].ev.kind == BRINE_EV_MODEL &&
        e->rec[a0].ev.anchor == 0 && pk_form(e, a0) == FORM_GLOBAL)
        return FORM_NEWOBJ;
    if (e->rec[args].count == 1 && pk_name_is(e, m, "pickle.persistent_id"))
        return FORM_PERSID;
    if (null_state && e->rec[args].count == 1 && pk_name_is(e, m, "pickle.ext")) {
        const brine_event *c = &e->rec[a0].ev;
        if ((c->kind == BRINE_EV_INT && c->v.i >= 1 && c->v.i <= INT32_MAX) ||
            (c->kind == BRINE_EV_UINT && c->v.u >= 1 && c->v.u <= INT32_MAX))
            return FORM_EXT;
    }
    return FORM_GENERIC;
}

static int pk_gpush(pk_enc *e, size_t node)
{
    pk_gframe *g;
    if (e->gdepth == e->gcap && brine_plugin_grow((void **)&e->gs, &e->gcap, e->gdepth + 1, sizeof *e->gs) != BRINE_OK)
        return pkw_nomem(e);
    g = &e->gs[e->gdepth++];
    memset(g, 0, sizeof *g);
    g->node = node;
    g->slot = node + 1;
    g->saved_mark = e->rec[node].mark;
    e->rec[node].mark = e->progress;
    if (e->rec[node].state == 0)
        e->rec[node].state = 1;
    return BRINE_OK;
}

static int pk_gmemo(pk_enc *e, size_t node)
{
    pk_rec *r = &e->rec[node];
    r->state = 2;
    e->progress++;
    if (e->dry || !(r->need || r->ev.anchor))
        return BRINE_OK;
    return pkw_memoize(e, &r->memo);
}

/* The value in a child slot: written, fetched, or pushed to be written. */
static int pk_gsave(pk_enc *e, size_t slot)
{
    pk_rec *r = &e->rec[slot];
    size_t node;
    int rc;
    if ((rc = pkw_boundary(e)) != BRINE_OK)
        return rc;
    if (r->ev.kind == BRINE_EV_REF && r->target == PK_NONE)
        return pkw_get(e, r->memo);
    node = pk_slot_node(e, slot);
    if (node == PK_NONE)
        return r->shared != PK_NONE ? pkw_shared(e, r->shared) : pkw_scalar(e, &r->ev, pk_rec_str(e, r));
    r = &e->rec[node];
    if (r->state == 2) {
        if (e->dry) {
            r->need = 1;
            return BRINE_OK;
        }
        return pkw_get(e, r->memo);
    }
    if (r->ev.kind == BRINE_EV_TUPLE && r->count == 0) {
        /* CPython never memoizes (), a singleton in Python; a shared one
         * is memoized all the same, so that brine reads it back shared. */
        int rc2 = pkw_op(e, PKOP_EMPTY_TUPLE);
        return rc2 || !r->ev.anchor ? rc2 : pk_gmemo(e, node);
    }
    /* Met again while open: CPython writes it again here, and this inner
     * copy is the one kept. Unless something was memoized since it was
     * last entered, it contains itself through tuples only, which no
     * pickle can express (Python cannot build such a value either). */
    if (r->state == 1 && r->mark == e->progress)
        return pkw_fail(e, BRINE_E_UNSUPPORTED,
                        "a %s that contains itself through tuples and model args only cannot be pickled",
                        r->ev.kind == BRINE_EV_TUPLE ? "tuple" : "model");
    return pk_gpush(e, node);
}

/* Starts a node pushed by pk_gsave. */
static int pk_gstart(pk_enc *e, pk_gframe *g)
{
    pk_rec *r = &e->rec[g->node];
    size_t args = g->node + 1;
    int rc = BRINE_OK;
    g->phase = PH_CHILDREN;
    switch (r->ev.kind) {
    case BRINE_EV_LIST:
    case BRINE_EV_DICT:
        rc = pkw_op(e, r->ev.kind == BRINE_EV_LIST ? PKOP_EMPTY_LIST : PKOP_EMPTY_DICT);
        return rc ? rc : pk_gmemo(e, g->node);
    case BRINE_EV_TUPLE:
        if (r->count > 3) {
            g->marked = 1;
            return pkw_op(e, PKOP_MARK);
        }
        return BRINE_OK;
    default: break;
    }
    g->form = pk_form(e, g->node);
    switch (g->form) {
    case FORM_SET:
        g->slot = args + 2; /* the list's items */
        if ((rc = pkw_op(e, PKOP_EMPTY_SET)) == BRINE_OK)
            rc = pk_gmemo(e, g->node);
        return rc;
    case FORM_FROZENSET:
        g->slot = args + 2;
        g->marked = 1;
        return pkw_op(e, PKOP_MARK);
    case FORM_BYTEARRAY: {
        const pk_rec *b = &e->rec[args + 1];
        unsigned char hdr[9];
        hdr[0] = PKOP_BYTEARRAY8;
        pkw_le(hdr + 1, b->ev.v.s.len, 8);
        g->phase = PH_SPECIAL_DONE;
        return pkw_payload(e, hdr, 9, pk_rec_str(e, b), b->ev.v.s.len);
    }
    case FORM_GLOBAL: {
        const pk_rec *m = &e->rec[args + 1], *q = &e->rec[args + 2];
        rc = pkw_global_allowed(e, pk_rec_str(e, m), m->ev.v.s.len, pk_rec_str(e, q), q->ev.v.s.len);
        g->phase = PH_SPECIAL_DONE;
        return rc ? rc : pkw_global(e, pk_rec_str(e, m), m->ev.v.s.len, pk_rec_str(e, q), q->ev.v.s.len);
    }
    case FORM_EXT: {
        const brine_event *c = &e->rec[args + 1].ev;
        uint64_t code = c->kind == BRINE_EV_INT ? (uint64_t)c->v.i : c->v.u;
        unsigned char b[5];
        int w = code <= 0xff ? 1 : code <= 0xffff ? 2 : 4;
        b[0] = (unsigned char)(w == 1 ? PKOP_EXT1 : w == 2 ? PKOP_EXT2 : PKOP_EXT4);
        pkw_le(b + 1, code, w);
        g->phase = PH_SPECIAL_DONE;
        return pkw_put(e, b, 1 + (size_t)w);
    }
    case FORM_CALL:
    case FORM_NEWOBJ:
    case FORM_PERSID: g->slot = args + 1; return BRINE_OK;
    default: g->slot = args; return pkw_model_global(e, pk_rec_str(e, r), r->ev.v.s.len);
    }
}

/* Closes a tuple or model whose parts are on the stack: its opcode (op,
 * 0 when already written) and a memo entry; or, when a copy of it written
 * inside it got memoized meanwhile, CPython's "throw away and fetch": POP
 * each of the `pops` stack items (POP_MARK when marked), then GET. */
static int pk_gclose(pk_enc *e, pk_gframe *g, size_t pops, unsigned op)
{
    pk_rec *r = &e->rec[g->node];
    int rc = BRINE_OK;
    if (g->node > 0 && !r->ev.anchor && r->ev.kind == BRINE_EV_TUPLE && e->rec[g->node - 1].ev.kind == BRINE_EV_MODEL) {
        /* A model's unshared args: CPython's __reduce__ makes a new tuple
         * each time it is called, so a model written again inside itself
         * writes its args again, and nothing fetches them. */
        r->state = 0;
        return pkw_op(e, op);
    }
    if (r->state == 2) {
        if (g->marked)
            rc = pkw_op(e, PKOP_POP_MARK);
        for (size_t i = 0; !g->marked && i < pops && rc == BRINE_OK; i++)
            rc = pkw_op(e, PKOP_POP);
        if (rc)
            return rc;
        if (e->dry) {
            r->need = 1;
            return BRINE_OK;
        }
        return pkw_get(e, r->memo);
    }
    if (op && (rc = pkw_op(e, op)) != BRINE_OK)
        return rc;
    return pk_gmemo(e, g->node);
}

/* A reduce_state as its model's state: the model is on the stack, so its
 * list items go as APPEND(S), its dict items as SETITEM(S) (batches of
 * 1000, a lone item without MARK, as CPython's batch_list / batch_dict for
 * __reduce__ items), then S with BUILD, CPython's save_reduce order. */
static int pk_rstate_push(pk_enc *e, size_t node)
{
    size_t li = pk_next_slot(e, node + 2);
    pk_gframe *g;
    int rc;
    if ((rc = pk_gpush(e, node)) != BRINE_OK)
        return rc;
    g = &e->gs[e->gdepth - 1];
    g->form = FORM_RSTATE;
    g->aux = li;
    g->slot = e->rec[li].ev.kind == BRINE_EV_NULL ? PK_NONE : li + 1;
    g->phase = PH_RS_LIST;
    return BRINE_OK;
}

static int pk_rstate_step(pk_enc *e, pk_gframe *g)
{
    const pk_rec *list = &e->rec[g->aux];
    size_t item;
    int rc;
    switch (g->phase) {
    case PH_RS_LIST:
        if (g->slot == PK_NONE || g->slot == list->end) {
            if (g->dict_items) {
                g->phase = PH_RS_STATE;
                return BRINE_OK;
            }
            g->aux = pk_next_slot(e, g->aux); /* on to the dict items */
            g->slot = e->rec[g->aux].ev.kind == BRINE_EV_NULL ? PK_NONE : g->aux + 1;
            g->dict_items = 1;
            g->i = g->batch = 0;
            return BRINE_OK;
        }
        if (g->batch == 0) {
            g->marked = list->count - g->i > 1;
            if (g->marked && (rc = pkw_op(e, PKOP_MARK)) != BRINE_OK)
                return rc;
        }
        item = g->slot;
        g->slot = pk_next_slot(e, item);
        if (!g->dict_items) {
            g->phase = PH_RS_NEXT;
            return pk_gsave(e, item);
        }
        g->pend = item; /* a (key, value) tuple: the key now, the value next */
        g->phase = PH_RS_VALUE;
        return pk_gsave(e, item + 1);
    case PH_RS_VALUE: g->phase = PH_RS_NEXT; return pk_gsave(e, pk_next_slot(e, g->pend + 1));
    case PH_RS_NEXT:
        g->phase = PH_RS_LIST;
        g->i++;
        if (++g->batch < PK_BATCH && g->i < list->count)
            return BRINE_OK;
        g->batch = 0;
        if (g->dict_items)
            return pkw_op(e, g->marked ? PKOP_SETITEMS : PKOP_SETITEM);
        return pkw_op(e, g->marked ? PKOP_APPENDS : PKOP_APPEND);
    case PH_RS_STATE:
        g->phase = PH_RS_BUILD;
        if (e->rec[g->node + 2].ev.kind == BRINE_EV_NULL) /* S: the args tuple's first element */
            return BRINE_OK;
        return pk_gsave(e, g->node + 2);
    default: /* PH_RS_BUILD */
        if (e->rec[g->node + 2].ev.kind != BRINE_EV_NULL && (rc = pkw_op(e, PKOP_BUILD)) != BRINE_OK)
            return rc;
        e->rec[g->node].mark = g->saved_mark;
        e->gdepth--;
        return BRINE_OK;
    }
}

static int pk_gstep(pk_enc *e)
{
    pk_gframe *g = &e->gs[e->gdepth - 1];
    pk_rec *r = &e->rec[g->node];
    size_t end = r->end, node = g->node;
    int rc = BRINE_OK;
    switch (g->phase) {
    case PH_START: return pk_gstart(e, g);
    case PH_CHILDREN: break;
    case PH_BATCH_END: return BRINE_E_INVALID; /* pk_gpass handles it */
    case PH_ARGS_DONE: {
        size_t args = node + 1, t = pk_slot_node(e, args);
        size_t n = t != PK_NONE ? e->rec[t].count : e->rec[args].count; /* a REF outside: count kept */
        if ((rc = pkw_op(e, n == 0 ? PKOP_NEWOBJ : PKOP_REDUCE)) || (rc = pk_gclose(e, g, 1, 0)) != BRINE_OK)
            return rc;
        goto state;
    }
    case PH_CALL_ARGS:
        if (g->form == FORM_NEWOBJ) { /* the args after cls, as a tuple */
            size_t rest = e->rec[node + 1].count - 1;
            if ((rc = pkw_op(e, rest > 3 ? PKOP_TUPLE : PKOP_TUPLE1 + (unsigned)rest - 1)) != BRINE_OK)
                return rc;
        }
        if ((rc = pkw_op(e, g->form == FORM_CALL     ? PKOP_REDUCE
                            : g->form == FORM_NEWOBJ ? PKOP_NEWOBJ
                                                     : PKOP_BINPERSID)) ||
            (rc = pk_gclose(e, g, 1, 0)) != BRINE_OK)
            return rc;
        goto state;
    case PH_SPECIAL_DONE:
        if ((rc = pk_gmemo(e, node)) != BRINE_OK)
            return rc;
        goto pop;
    case PH_STATE_DONE:
        if (!g->rstate && e->rec[pk_next_slot(e, node + 1)].ev.kind != BRINE_EV_NULL &&
            (rc = pkw_op(e, PKOP_BUILD)) != BRINE_OK)
            return rc;
        goto pop;
    default: return pk_rstate_step(e, g);
    }
    /* PH_CHILDREN: lists, dicts, tuples, sets, frozensets, call and persid args. */
    if (r->ev.kind == BRINE_EV_MODEL) {
        if (g->form == FORM_GENERIC) {
            g->phase = PH_ARGS_DONE;
            return pk_gsave(e, node + 1);
        }
        if (g->form == FORM_CALL || g->form == FORM_PERSID || g->form == FORM_NEWOBJ) {
            size_t args = node + 1, limit = e->rec[args].end;
            if (g->slot == limit) {
                g->phase = PH_CALL_ARGS;
                return BRINE_OK;
            }
            if (g->form == FORM_NEWOBJ && g->i++ == 1 && e->rec[args].count - 1 > 3 &&
                (rc = pkw_op(e, PKOP_MARK)) != BRINE_OK)
                return rc;
            /* pk_gsave may move e->gs, and g with it: step first. */
            size_t slot = g->slot;
            g->slot = pk_next_slot(e, slot);
            return pk_gsave(e, slot);
        }
        end = e->rec[node + 2].end; /* set and frozenset: the list's END */
    }
    if (g->slot != end && r->ev.kind != BRINE_EV_TUPLE && g->form != FORM_FROZENSET) {
        /* Batches: MARK ... APPENDS/SETITEMS/ADDITEMS, a lone item with
         * APPEND/SETITEM (sets always get their MARK, as in CPython). */
        int dict = r->ev.kind == BRINE_EV_DICT, set = g->form == FORM_SET;
        size_t total = set ? e->rec[node + 2].count : r->count;
        if (!(dict && (g->i & 1))) {
            if (g->batch == 0) {
                g->marked = set || total != 1;
                if (g->marked && (rc = pkw_op(e, PKOP_MARK)) != BRINE_OK)
                    return rc;
            }
        }
    }
    if (g->slot != end) {
        size_t slot = g->slot;
        g->slot = pk_next_slot(e, slot);
        g->i++;
        if (r->ev.kind == BRINE_EV_LIST || r->ev.kind == BRINE_EV_DICT || g->form == FORM_SET) {
            int dict = r->ev.kind == BRINE_EV_DICT;
            size_t total = g->form == FORM_SET ? e->rec[node + 2].count : r->count;
            size_t items = dict ? total * 2 : total;
            if (!dict || !(g->i & 1))
                g->batch++;
            /* The batch's closing opcode follows its last item: written at
             * this frame's next step, once the item is done. */
            if ((!dict || !(g->i & 1)) && (g->batch == PK_BATCH || g->i == items))
                g->phase = PH_BATCH_END;
        }
        return pk_gsave(e, slot);
    }
    /* All children written. */
    if (r->ev.kind == BRINE_EV_TUPLE) {
        unsigned op = g->marked ? PKOP_TUPLE : r->count == 1 ? PKOP_TUPLE1 : r->count == 2 ? PKOP_TUPLE2 : PKOP_TUPLE3;
        if ((rc = pk_gclose(e, g, r->count, op)) != BRINE_OK)
            return rc;
        goto pop;
    }
    if (g->form == FORM_FROZENSET) {
        if ((rc = pk_gclose(e, g, 0, PKOP_FROZENSET)) != BRINE_OK)
            return rc;
        goto pop;
    }
    /* Lists, dicts and sets closed their last batch already; CPython's
     * dict and set loops add an empty batch after a full last one. */
    if (r->ev.kind == BRINE_EV_DICT || g->form == FORM_SET) {
        size_t total = g->form == FORM_SET ? e->rec[node + 2].count : r->count;
        if (total && total % PK_BATCH == 0 &&
            ((rc = pkw_op(e, PKOP_MARK)) || (rc = pkw_op(e, g->form == FORM_SET ? PKOP_ADDITEMS : PKOP_SETITEMS))))
            return rc;
    }
    goto pop;
state:
    g = &e->gs[e->gdepth - 1];
    g->phase = PH_STATE_DONE;
    {
        size_t st = pk_next_slot(e, node + 1);
        if (e->rec[st].ev.kind == BRINE_EV_NULL)
            return BRINE_OK;
        if (pk_is_rstate(e, st)) {
            g->rstate = 1;
            return pk_rstate_push(e, st);
        }
        return pk_gsave(e, st);
    }
pop:
    e->rec[node].mark = e->gs[e->gdepth - 1].saved_mark;
    e->gdepth--;
    return pkw_boundary_close(e);
}

/* A batch ends after its last item: the step after that item's save. */
static int pk_gbatch_end(pk_enc *e, pk_gframe *g)
{
    const pk_rec *r = &e->rec[g->node];
    unsigned op;
    g->phase = PH_CHILDREN;
    if (g->form == FORM_SET)
        op = PKOP_ADDITEMS;
    else if (r->ev.kind == BRINE_EV_DICT)
        op = g->marked ? PKOP_SETITEMS : PKOP_SETITEM;
    else
        op = g->marked ? PKOP_APPENDS : PKOP_APPEND;
    g->batch = 0;
    return pkw_op(e, op);
}

/* One pass over the record from its root (a model's reduce_state when
 * rstate is set). */
static int pk_gpass(pk_enc *e, size_t root, int rstate)
{
    int rc = rstate ? pk_rstate_push(e, root) : pk_gsave(e, root);
    while (rc == BRINE_OK && e->gdepth) {
        pk_gframe *g = &e->gs[e->gdepth - 1];
        if (g->phase == PH_BATCH_END)
            rc = pk_gbatch_end(e, g);
        else
            rc = pk_gstep(e);
    }
    return rc;
}

/* Writes a complete record: a dry run finds the nodes fetched again
 * (shared ones, and what a re-entered tuple fetches), then the real run. */
int pkw_write_record(pk_enc *e)
{
    pk_frame *f = e->depth ? &e->stack[e->depth - 1] : NULL;
    int rc, rstate = f && f->kind == BRINE_EV_MODEL && f->n == 1 && pk_is_rstate(e, 0);
    for (size_t i = 0; i < e->rec_count; i++)
        e->rec[i].state = 0, e->rec[i].mark = 0;
    e->dry = 1;
    e->progress = 1;
    rc = pk_gpass(e, 0, rstate);
    e->dry = 0;
    e->gdepth = 0;
    if (rc)
        return rc;
    for (size_t i = 0; i < e->rec_count; i++)
        e->rec[i].state = 0, e->rec[i].mark = 0;
    e->progress = 1;
    if ((rc = pk_gpass(e, 0, rstate)) != BRINE_OK)
        return rc;
    for (size_t i = 0; i < e->rec_count && rc == BRINE_OK; i++) {
        const pk_rec *r = &e->rec[i];
        if (r->end == PK_NONE || !r->ev.anchor)
            continue;
        rc = pkw_anchor_set(e, r->ev.anchor, AN_MEMO, r->memo, r->ev.kind == BRINE_EV_TUPLE ? r->count : PK_NONE);
    }
    if (rstate)
        f->state_set = 0; /* it wrote its own BUILD */
    e->last_count = e->rec[0].count;
    e->rec_count = 0;
    e->bytes_len = 0;
    return rc;
}
