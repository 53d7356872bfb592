/* reader.c: the pickle decoder, a port of CPython's _Unpickler stack machine
 * that never imports or calls anything: globals become names, calls become
 * models (docs/pickle.md has the table). Pickle mutates containers after
 * they are referenced, so the value is built with the value API: for a
 * decode into a graph (decode_direct) in the document being built, which
 * core then takes as it is (brine_direct_root: depth, link counts, kinds);
 * for a sink, in a private document walked into the sink. The values
 * opcodes make are objects.c's, text arguments text.c's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <xxhash.h>

#include <brine/pickle.h>

#include "../seed.h"
#include "private/attrs.h"
#include "reader.h"

/* ------------------------------------------------------------------------
 * Errors and memory
 * ------------------------------------------------------------------------ */

int pk_fail(pk_dec *d, int code, const char *fmt, ...)
{
    char msg[BRINE_ERROR_TEXT];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return brine_error_set_at(d->err, code, d->op_off, "%s", msg);
}

static int pk_nomem(pk_dec *d)
{
    return pk_fail(d, BRINE_E_NOMEM, "out of memory");
}

/* The error of a value-API call made for the opcode at op_off. */
int pk_api_fail(pk_dec *d, const brine_error *e)
{
    return brine_error_set_at(d->err, e->code ? e->code : BRINE_E_NOMEM, d->op_off, "%s at offset %llu",
                              e->code ? e->message : "out of memory", (unsigned long long)d->op_off);
}

/* An error a helper reported in e, with its offset. */
static int pk_forward(pk_dec *d, const brine_error *e)
{
    int code = e->code ? e->code : BRINE_E_NOMEM;
    if (d->err && d->err->code == BRINE_OK) {
        *d->err = *e;
        d->err->code = code;
    }
    return code;
}

int pk_depth_fail(pk_dec *d)
{
    return pk_fail(d, BRINE_E_DEPTH, "maximum recursion depth exceeded while decoding (limit %zu)", d->max_depth);
}

/* ------------------------------------------------------------------------
 * Nodes, stack, marks
 * ------------------------------------------------------------------------ */

/* A slot for a new value; containers get a node of height 1. */
int pk_slot_make(pk_dec *d, brine_value *v, pk_slot *out)
{
    brine_type t = brine_type_of(v);
    out->v = v;
    out->node = 0;
    if (t == BRINE_LIST || t == BRINE_TUPLE || t == BRINE_DICT || t == BRINE_MODEL) {
        if (d->node_count == 0)
            d->node_count = 1;
        if (brine_plugin_grow((void **)&d->nodes, &d->node_cap, d->node_count + 1, sizeof *d->nodes))
            return pk_nomem(d);
        out->node = d->node_count++;
        d->nodes[out->node].height = 1;
        d->nodes[out->node].flags = 0;
        d->nodes[out->node].memo_key = 0;
    }
    return BRINE_OK;
}

size_t pk_height(const pk_dec *d, const pk_slot *s)
{
    return s->node ? d->nodes[s->node].height : 0;
}

/* Records that a value of height h now sits `levels` below container c. */
int pk_nest(pk_dec *d, const pk_slot *c, size_t h, size_t levels)
{
    pk_node *n;
    if (!c->node)
        return BRINE_OK;
    n = &d->nodes[c->node];
    if (h + levels > n->height) {
        n->height = pk_height_store(h + levels);
        if (h + levels > d->max_depth)
            return pk_depth_fail(d);
    }
    return BRINE_OK;
}

int pk_push_slot(pk_dec *d, pk_slot s)
{
    if (d->count == d->cap && brine_plugin_grow((void **)&d->stack, &d->cap, d->count + 1, sizeof *d->stack))
        return pk_nomem(d);
    d->stack[d->count++] = s;
    return BRINE_OK;
}

/* Pushes a value just made; NULL means the constructor failed with e. */
int pk_push(pk_dec *d, brine_value *v, const brine_error *e)
{
    pk_slot s;
    int rc;
    if (!v)
        return pk_api_fail(d, e);
    if ((rc = pk_slot_make(d, v, &s)) != BRINE_OK)
        return rc;
    return pk_push_slot(d, s);
}

/* EMPTY_TUPLE. Followed by NEWOBJ (in the same frame), which takes it as
 * the args of the model it makes and drops it, it is the decode's one
 * empty_args: the model keeps its own empty args tuple, and 300,000
 * instances of a class no longer make 300,000 tuples (64 bytes each) that
 * nothing holds. */
static int pk_empty_tuple(pk_dec *d)
{
    brine_error e = {0};
    const unsigned char *lim = d->frame_end ? d->frame_end : d->end;
    if (d->p == lim || *d->p != PKOP_NEWOBJ)
        return pk_push(d, brine_tuple_new(d->doc, &e), &e);
    if (!d->empty_args.v) {
        brine_value *t = brine_tuple_new(d->doc, &e);
        int rc;
        if (!t)
            return pk_api_fail(d, &e);
        if ((rc = pk_slot_make(d, t, &d->empty_args)) != BRINE_OK)
            return rc;
    }
    return pk_push_slot(d, d->empty_args);
}

/* The bottom of the values above the innermost MARK, which opcodes other
 * than the MARK ones may not reach below (Python's metastack). */
static size_t pk_fence(const pk_dec *d)
{
    return d->mark_count ? d->marks[d->mark_count - 1] : 0;
}

/* Checks that n values are available above the fence. */
static int pk_need(pk_dec *d, size_t n)
{
    if (d->count - pk_fence(d) < n)
        return pk_fail(d, BRINE_E_CORRUPT, "%s at offset %llu: %s", pk_opname(d->start[d->op_off - d->base]),
                       (unsigned long long)d->op_off,
                       d->count >= n ? "reaches below a MARK (the stack above it is too short)"
                                     : "unpickling stack underflow");
    return BRINE_OK;
}

/* Pops the values above the innermost MARK: they are stack[*first ..
 * d->count) until the next push, which may overwrite them. */
static int pk_pop_mark(pk_dec *d, size_t *first)
{
    if (!d->mark_count)
        return pk_fail(d, BRINE_E_CORRUPT, "%s at offset %llu: could not find MARK",
                       pk_opname(d->start[d->op_off - d->base]), (unsigned long long)d->op_off);
    *first = d->marks[--d->mark_count];
    return BRINE_OK;
}

/* ------------------------------------------------------------------------
 * Memo: a dense array for the keys pickles use (MEMOIZE, and PUT keys in
 * order), a keyed hash table for the others, since PUT may name any key.
 * A key joins the array when it is below twice the entries set plus 64,
 * so the array stays within a small factor of the entries it holds (the
 * old table of 32-byte entries at load 1/2 cost 150 bytes an entry at 2e7
 * MEMOIZEs, counting the copy made while it grew). The table's hash is
 * XXH3 with a seed drawn once per decode (and only if a sparse key comes):
 * the old fixed hash was invertible, so keys that all collide could be
 * computed offline (100k of them took seconds, each probing all others).
 * ------------------------------------------------------------------------ */

static size_t pk_sparse_home(const pk_dec *d, uint64_t key)
{
    return (size_t)XXH3_64bits_withSeed(&key, sizeof key, d->sparse_seed) & (d->sparse_cap - 1);
}

static pk_memo_entry *pk_sparse_find(const pk_dec *d, uint64_t key)
{
    size_t i;
    if (!d->sparse_count)
        return NULL;
    for (i = pk_sparse_home(d, key); d->sparse[i].slot.v; i = (i + 1) & (d->sparse_cap - 1))
        if (d->sparse[i].key == key)
            return &d->sparse[i];
    return NULL;
}

/* Inserts key, known absent, keeping the load at most 3/4. */
static int pk_sparse_add(pk_dec *d, uint64_t key, pk_slot s)
{
    size_t i;
    if (!d->sparse_cap)
        d->sparse_seed = brine_plugin_seed(d);
    if ((d->sparse_count + 1) * 4 > d->sparse_cap * 3) {
        size_t old_cap = d->sparse_cap, cap = old_cap ? old_cap * 2 : 64, j;
        pk_memo_entry *old = d->sparse, *n;
        if (cap > SIZE_MAX / sizeof *n || !(n = brine_malloc(cap * sizeof *n)))
            return pk_nomem(d);
        memset(n, 0, cap * sizeof *n);
        d->sparse = n;
        d->sparse_cap = cap;
        for (j = 0; j < old_cap; j++)
            if (old[j].slot.v) {
                for (i = pk_sparse_home(d, old[j].key); n[i].slot.v; i = (i + 1) & (cap - 1))
                    ;
                n[i] = old[j];
            }
        brine_free(old);
    }
    for (i = pk_sparse_home(d, key); d->sparse[i].slot.v; i = (i + 1) & (d->sparse_cap - 1))
        ;
    d->sparse[i].key = key;
    d->sparse[i].slot = s;
    d->sparse_count++;
    return BRINE_OK;
}

/* The slot stored under key, or NULL. An array entry shadows a sparse one
 * of the same key (set before the array reached it). */
static const pk_slot *pk_memo_find(const pk_dec *d, uint64_t key)
{
    const pk_memo_entry *e;
    if (key < d->memo_len && d->memo[key].v)
        return &d->memo[key];
    e = pk_sparse_find(d, key);
    return e ? &e->slot : NULL;
}

static int pk_memo_put(pk_dec *d, uint64_t key, pk_slot s)
{
    pk_memo_entry *e;
    if (key < d->memo_len) {
        d->memo_count += !d->memo[key].v && !pk_sparse_find(d, key);
        d->memo[key] = s;
        return BRINE_OK;
    }
    if ((e = pk_sparse_find(d, key)) != NULL) {
        e->slot = s;
        return BRINE_OK;
    }
    if (key < 2 * (uint64_t)d->memo_count + 64) {
        size_t len = (size_t)key + 1;
        if (brine_plugin_grow((void **)&d->memo, &d->memo_cap, len, sizeof *d->memo))
            return pk_nomem(d);
        memset(d->memo + d->memo_len, 0, (len - d->memo_len) * sizeof *d->memo);
        d->memo_len = len;
        d->memo[key] = s;
    } else if (pk_sparse_add(d, key, s) != BRINE_OK) {
        return BRINE_E_NOMEM;
    }
    d->memo_count++;
    return BRINE_OK;
}

/* ------------------------------------------------------------------------
 * Reading arguments
 * ------------------------------------------------------------------------ */

/* Makes n argument bytes available at d->p. A frame's opcodes lie wholly
 * inside it (CPython's _Unframer refuses a read past the frame's end). */
static int pk_arg(pk_dec *d, uint64_t n)
{
    const unsigned char *lim = d->frame_end ? d->frame_end : d->end;
    if ((uint64_t)(lim - d->p) >= n)
        return BRINE_OK;
    if (d->frame_end && (uint64_t)(d->end - d->p) >= n)
        return pk_fail(d, BRINE_E_CORRUPT, "%s at offset %llu runs past the end of its frame",
                       pk_opname(d->start[d->op_off - d->base]), (unsigned long long)d->op_off);
    return pk_fail(d, BRINE_E_TRUNCATED, "%s at offset %llu needs %llu bytes but the input has %llu left",
                   pk_opname(d->start[d->op_off - d->base]), (unsigned long long)d->op_off, (unsigned long long)n,
                   (unsigned long long)(d->end - d->p));
}

static uint64_t pk_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    while (n--)
        v = (v << 8) | p[n];
    return v;
}

/* Reads n bytes of little-endian unsigned integer. */
static int pk_uint(pk_dec *d, int n, uint64_t *out)
{
    int rc = pk_arg(d, (uint64_t)n);
    if (rc)
        return rc;
    *out = pk_le(d->p, n);
    d->p += n;
    return BRINE_OK;
}

/* A line: the bytes up to the next newline, which is consumed. */
static int pk_line(pk_dec *d, const unsigned char **s, size_t *len)
{
    const unsigned char *lim = d->frame_end ? d->frame_end : d->end;
    const unsigned char *nl = memchr(d->p, '\n', (size_t)(lim - d->p));
    if (!nl) {
        if (d->frame_end && memchr(d->p, '\n', (size_t)(d->end - d->p)))
            return pk_fail(d, BRINE_E_CORRUPT, "%s at offset %llu runs past the end of its frame",
                           pk_opname(d->start[d->op_off - d->base]), (unsigned long long)d->op_off);
        return pk_fail(d, BRINE_E_TRUNCATED, "%s at offset %llu: the input ends before the newline of its argument",
                       pk_opname(d->start[d->op_off - d->base]), (unsigned long long)d->op_off);
    }
    *s = d->p;
    *len = (size_t)(nl - d->p);
    d->p = nl + 1;
    return BRINE_OK;
}

/* A length-prefixed payload: checked against the input before anything is
 * allocated, so a hostile length costs nothing. */
static int pk_payload(pk_dec *d, int width, int is_signed, const unsigned char **s, size_t *len)
{
    uint64_t n;
    int rc = pk_uint(d, width, &n);
    if (rc)
        return rc;
    if (is_signed && width == 4 && (n & 0x80000000u))
        return pk_fail(d, BRINE_E_CORRUPT, "%s at offset %llu has a negative byte count",
                       pk_opname(d->start[d->op_off - d->base]), (unsigned long long)d->op_off);
    if ((rc = pk_arg(d, n)) != BRINE_OK)
        return rc;
    *s = d->p;
    *len = (size_t)n;
    d->p += n;
    return BRINE_OK;
}

/* A memo key from a text GET or PUT line: a non-negative decimal. */
static int pk_text_key(pk_dec *d, const unsigned char *s, size_t len, uint64_t *key)
{
    size_t i = 0;
    uint64_t k = 0;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\r'))
        len--;
    while (i < len && s[i] == ' ')
        i++;
    if (i < len && s[i] == '-')
        return pk_fail(d, BRINE_E_CORRUPT, "%s at offset %llu: negative memo key",
                       pk_opname(d->start[d->op_off - d->base]), (unsigned long long)d->op_off);
    if (i < len && s[i] == '+')
        i++;
    if (i == len)
        return pk_fail(d, BRINE_E_SYNTAX, "%s at offset %llu: the memo key is not a number",
                       pk_opname(d->start[d->op_off - d->base]), (unsigned long long)d->op_off);
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return pk_fail(d, BRINE_E_SYNTAX, "%s at offset %llu: the memo key is not a number",
                           pk_opname(d->start[d->op_off - d->base]), (unsigned long long)d->op_off);
        if (k > (UINT64_C(1) << 62) / 5)
            return pk_fail(d, BRINE_E_CORRUPT, "%s at offset %llu: memo key out of range (above 2**63)",
                           pk_opname(d->start[d->op_off - d->base]), (unsigned long long)d->op_off);
        k = k * 10 + (uint64_t)(s[i] - '0');
    }
    *key = k;
    return BRINE_OK;
}

static int pk_get(pk_dec *d, uint64_t key)
{
    const pk_slot *m = pk_memo_find(d, key);
    if (!m)
        return pk_fail(d, BRINE_E_CORRUPT, "%s at offset %llu: memo value not found at index %llu",
                       pk_opname(d->start[d->op_off - d->base]), (unsigned long long)d->op_off,
                       (unsigned long long)key);
    if (m->node && (d->nodes[m->node].flags & (PKN_RAWDATA | PKN_RAWSTATE)) &&
        pk_np_materialize(d, (pk_slot *)m) != BRINE_OK)
        return BRINE_E_NOMEM;
    return pk_push_slot(d, *m);
}

static int pk_put(pk_dec *d, uint64_t key)
{
    int rc = pk_need(d, 1);
    if (rc)
        return rc;
    pk_slot s = d->stack[d->count - 1];
    if (s.node && (d->nodes[s.node].flags & PKN_NDARRAY)) {
        /* Where numpy.c finds it again when its BUILD makes it an array. */
        pk_node *n = &d->nodes[s.node];
        if (n->memo_key && n->memo_key != key + 1)
            n->flags |= PKN_MEMO_MANY;
        n->memo_key = key + 1;
    }
    return pk_memo_put(d, key, s);
}

void pk_np_replace(pk_dec *d, const pk_slot *m, pk_slot a)
{
    const pk_node *n = &d->nodes[m->node];
    size_t i;
    for (i = 0; i < d->count; i++)
        if (d->stack[i].node == m->node)
            d->stack[i] = a;
    if (n->flags & PKN_MEMO_MANY) {
        for (i = 0; i < d->memo_len; i++)
            if (d->memo[i].v && d->memo[i].node == m->node)
                d->memo[i] = a;
        for (i = 0; i < d->sparse_cap; i++)
            if (d->sparse[i].slot.v && d->sparse[i].slot.node == m->node)
                d->sparse[i].slot = a;
    } else if (n->memo_key) {
        pk_slot *e = (pk_slot *)pk_memo_find(d, n->memo_key - 1);
        if (e && e->node == m->node)
            *e = a;
    }
}

static int pk_int64(pk_dec *d, int64_t i)
{
    return pk_push_int(d, i);
}

/* One model around an args tuple of the values above the last MARK (INST, OBJ). */
static int pk_instantiate(pk_dec *d, const pk_slot *cls, size_t first, size_t n, size_t replace_from)
{
    brine_error e = {0};
    size_t h, th;
    pk_slot args;
    brine_value *t = pk_tuple_of(d, first, n, &th, &e), *v;
    if (!t)
        return pk_api_fail(d, &e);
    args.v = t;
    args.node = 0;
    if (pk_slot_make(d, t, &args))
        return BRINE_E_NOMEM;
    d->nodes[args.node].height = pk_height_store(th);
    v = pk_call(d, cls, &args, &h, &e);
    {
        brine_value *callable = cls->v;
        int rc = pk_replace(d, replace_from, v, h, &e);
        return rc ? rc : pk_aud_call(d, callable, d->stack[d->count - 1].v);
    }
}

/* The opcodes below pk_step are the rare ones, each family in a function of
 * its own so that the dispatch loop holds only what a protocol 2-5 pickle of
 * plain data runs (docs/performance.md: the instruction counts before and
 * after the split). */

/* POP, POP_MARK and DUP, which CPython's pickler writes only for recursive
 * tuples (POP, POP_MARK) or never (DUP). */
static BRINEP_NOINLINE int pk_op_stack(pk_dec *d, unsigned op)
{
    size_t first;
    int rc;
    if (op == PKOP_DUP) {
        if ((rc = pk_need(d, 1)) != BRINE_OK || (rc = pk_np_materialize(d, &d->stack[d->count - 1])) != BRINE_OK)
            return rc;
        return pk_push_slot(d, d->stack[d->count - 1]);
    }
    if (op == PKOP_POP && d->count > pk_fence(d)) {
        d->dirty |= d->stack[--d->count].node != 0;
        return BRINE_OK;
    }
    /* POP_MARK, or Python's POP of an empty stack, which pops the mark. */
    if ((rc = pk_pop_mark(d, &first)) != BRINE_OK)
        return rc;
    d->dirty |= d->count > first;
    d->count = first;
    return BRINE_OK;
}

/* Python 2's BINSTRINGs and the buffer opcodes. */
static BRINEP_NOINLINE int pk_op_rare(pk_dec *d, unsigned op)
{
    const unsigned char *s;
    size_t len;
    int rc;
    if (op == PKOP_NEXT_BUFFER)
        return pk_fail(d, BRINE_E_UNSUPPORTED, "out-of-band buffer (NEXT_BUFFER) at offset %llu",
                       (unsigned long long)d->op_off);
    if (op == PKOP_READONLY_BUFFER)
        return pk_need(d, 1);
    if ((rc = pk_payload(d, op == PKOP_SHORT_BINSTRING ? 1 : 4, 1, &s, &len)) != BRINE_OK)
        return rc;
    return pk_push_str2(d, s, len);
}

/* PROTO, FRAME and STOP: the framing around the values. */
static BRINEP_NOINLINE int pk_op_frame(pk_dec *d, unsigned op)
{
    uint64_t u;
    int rc;
    if (op == PKOP_STOP) {
        if (d->mark_count)
            return pk_fail(d, BRINE_E_CORRUPT, "STOP at offset %llu inside a MARK", (unsigned long long)d->op_off);
        if (d->count != 1)
            return pk_fail(d, BRINE_E_CORRUPT, "STOP at offset %llu with %zu values on the stack (1 expected)",
                           (unsigned long long)d->op_off, d->count);
        return pk_np_materialize(d, &d->stack[0]) ? BRINE_E_NOMEM : -1;
    }
    if (op == PKOP_PROTO) {
        if ((rc = pk_uint(d, 1, &u)) != BRINE_OK)
            return rc;
        if (u > PK_HIGHEST_PROTOCOL)
            return pk_fail(d, BRINE_E_VERSION, "unsupported pickle protocol: %d (at offset %llu)", (int)u,
                           (unsigned long long)d->op_off);
        d->proto = (int)u;
        return BRINE_OK;
    }
    if ((rc = pk_uint(d, 8, &u)) != BRINE_OK)
        return rc;
    if (d->frame_end)
        return pk_fail(d, BRINE_E_CORRUPT, "FRAME at offset %llu: a new frame begins before the end of the current one",
                       (unsigned long long)d->op_off);
    if (u > (uint64_t)(d->end - d->p))
        return pk_fail(d, BRINE_E_TRUNCATED, "FRAME at offset %llu declares %llu bytes but the input has %llu left",
                       (unsigned long long)d->op_off, (unsigned long long)u, (unsigned long long)(d->end - d->p));
    d->frame_end = u ? d->p + u : NULL;
    return BRINE_OK;
}

/* Protocol 0's text opcodes whose argument is a line: PUT, GET, INT, LONG
 * and FLOAT (UNICODE and STRING, which unescape, have their own). */
static BRINEP_NOINLINE int pk_op_text(pk_dec *d, unsigned op)
{
    brine_error e = {0};
    const unsigned char *s;
    size_t len;
    uint64_t u = 0;
    brine_value *v;
    int rc;
    if ((rc = pk_line(d, &s, &len)) != BRINE_OK)
        return rc;
    switch (op) {
    case PKOP_PUT:
    case PKOP_GET:
        if ((rc = pk_text_key(d, s, len, &u)) != BRINE_OK)
            return rc;
        return op == PKOP_PUT ? pk_put(d, u) : pk_get(d, u);
    case PKOP_INT:
        if (len == 2 && s[0] == '0' && (s[1] == '0' || s[1] == '1'))
            return pk_push(d, brine_bool_new(d->doc, s[1] == '1', &e), &e); /* Python 2.2's bools */
        v = pk_text_int(d->doc, s, len, d->op_off, &e);
        break;
    case PKOP_LONG:
        if (len && s[len - 1] == 'L')
            len--;
        v = pk_text_int(d->doc, s, len, d->op_off, &e);
        break;
    default: /* PKOP_FLOAT */ v = pk_text_float(d->doc, s, len, d->op_off, &e); break;
    }
    return v ? pk_push(d, v, &e) : pk_forward(d, &e);
}

/* UNICODE: a raw-unicode-escaped line. */
static BRINEP_NOINLINE int pk_op_unicode(pk_dec *d)
{
    const unsigned char *s;
    size_t len, bad = 0;
    const char *why = "";
    int rc;
    if ((rc = pk_line(d, &s, &len)) != BRINE_OK)
        return rc;
    rc = pk_raw_unicode_decode(s, len, &d->buf, &bad, &why);
    if (rc == BRINE_E_NOMEM)
        return pk_nomem(d);
    if (rc)
        return brine_error_set_at(d->err, rc, d->base + (uint64_t)(s + bad - d->start), "UNICODE at offset %llu: %s",
                                  (unsigned long long)d->op_off, why);
    return pk_push_str(d, d->buf.p, d->buf.len, 0);
}

/* STRING: a quoted, escaped line. */
static BRINEP_NOINLINE int pk_op_string(pk_dec *d)
{
    const unsigned char *s;
    size_t len, bad = 0;
    const char *why = "";
    int rc;
    if ((rc = pk_line(d, &s, &len)) != BRINE_OK)
        return rc;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\r'))
        len--; /* Python 2 pickles written on Windows */
    if (len < 2 || s[0] != s[len - 1] || (s[0] != '\'' && s[0] != '"'))
        return pk_fail(d, BRINE_E_SYNTAX, "STRING at offset %llu: the argument must be quoted",
                       (unsigned long long)d->op_off);
    rc = pk_escape_decode(s + 1, len - 2, &d->buf, &bad, &why);
    if (rc == BRINE_E_NOMEM)
        return pk_nomem(d);
    if (rc)
        return brine_error_set_at(d->err, rc, d->base + (uint64_t)(s + 1 + bad - d->start), "STRING at offset %llu: %s",
                                  (unsigned long long)d->op_off, why);
    return pk_push_str2(d, d->buf.p ? d->buf.p : (const unsigned char *)"", d->buf.len);
}

/* TUPLE, LIST, FROZENSET and DICT: a container of the values above the
 * innermost MARK. */
static int pk_op_marked(pk_dec *d, unsigned op)
{
    brine_error e = {0};
    size_t first, len, h = 0;
    brine_value *v;
    int rc;
    if ((rc = pk_pop_mark(d, &first)) != BRINE_OK)
        return rc;
    len = d->count - first;
    if (op == PKOP_TUPLE) {
        d->np_tuple_ok = 1;
        d->np_rawstate = 0;
        v = pk_tuple_of(d, first, len, &h, &e);
        d->np_tuple_ok = 0;
        if (v && d->np_rawstate) {
            if ((rc = pk_replace(d, first, v, h, &e)) != BRINE_OK)
                return rc;
            d->nodes[d->stack[d->count - 1].node].flags |= PKN_RAWSTATE;
            return BRINE_OK;
        }
    } else if (op == PKOP_FROZENSET) {
        v = pk_set_model(d, "builtins.frozenset", first, len, &h, &e);
    } else {
        /* LIST and DICT: an empty container filled like APPENDS and SETITEMS. */
        pk_slot c;
        v = op == PKOP_LIST ? brine_list_new(d->doc, &e) : brine_dict_new(d->doc, &e);
        if (!v)
            return pk_api_fail(d, &e);
        if ((rc = pk_slot_make(d, v, &c)) != BRINE_OK)
            return rc;
        rc = op == PKOP_LIST ? pk_append(d, &c, first, len) : pk_setitems(d, &c, first, len);
        if (rc)
            return rc;
        d->count = first;
        return pk_push_slot(d, c);
    }
    return pk_replace(d, first, v, h, &e);
}

/* APPEND and SETITEM: one item into the container below it; APPENDS,
 * SETITEMS and ADDITEMS: the values above the innermost MARK into the
 * container below the MARK. */
static int pk_op_items(pk_dec *d, unsigned op)
{
    size_t first, len;
    int rc;
    if (op == PKOP_APPEND || op == PKOP_SETITEM) {
        len = op == PKOP_APPEND ? 1 : 2;
        if ((rc = pk_need(d, len + 1)) != BRINE_OK)
            return rc;
        first = d->count - len;
        rc = op == PKOP_APPEND ? pk_append(d, &d->stack[first - 1], first, 1)
                               : pk_setitems(d, &d->stack[first - 1], first, 2);
        if (rc || (rc = pk_aud_items(d, &d->stack[first - 1])) != BRINE_OK)
            return rc;
        d->count = first;
        return BRINE_OK;
    }
    if ((rc = pk_pop_mark(d, &first)) != BRINE_OK)
        return rc;
    if (first <= pk_fence(d))
        return pk_fail(d, BRINE_E_CORRUPT, "%s at offset %llu: no %s below the MARK", pk_opname(op),
                       (unsigned long long)d->op_off,
                       op == PKOP_APPENDS    ? "list"
                       : op == PKOP_SETITEMS ? "dict"
                                             : "set");
    len = d->count - first;
    rc = op == PKOP_APPENDS    ? pk_append(d, &d->stack[first - 1], first, len)
         : op == PKOP_SETITEMS ? pk_setitems(d, &d->stack[first - 1], first, len)
                               : pk_additems(d, &d->stack[first - 1], first, len);
    if (rc || (len && (rc = pk_aud_items(d, &d->stack[first - 1])) != BRINE_OK))
        return rc;
    d->count = first;
    return BRINE_OK;
}

/* GLOBAL, INST and STACK_GLOBAL: a name, which INST also calls. */
static BRINEP_NOINLINE int pk_op_global(pk_dec *d, unsigned op)
{
    const unsigned char *mod, *s;
    size_t mod_len, len, first;
    int rc;
    if (op == PKOP_STACK_GLOBAL) {
        const brine_value *m, *n;
        const char *ms, *ns;
        size_t ml, nl;
        if ((rc = pk_need(d, 2)) != BRINE_OK)
            return rc;
        m = d->stack[d->count - 2].v;
        n = d->stack[d->count - 1].v;
        if (brine_type_of(m) != BRINE_STR || brine_type_of(n) != BRINE_STR)
            return pk_fail(d, BRINE_E_CORRUPT, "STACK_GLOBAL at offset %llu requires str",
                           (unsigned long long)d->op_off);
        ms = brine_str_get(m, &ml);
        ns = brine_str_get(n, &nl);
        d->count -= 2;
        return pk_push_global(d, ms, ml, ns, nl);
    }
    if ((rc = pk_line(d, &mod, &mod_len)) != BRINE_OK || (rc = pk_line(d, &s, &len)) != BRINE_OK)
        return rc;
    if (op == PKOP_INST && (!pk_is_ascii(mod, mod_len) || !pk_is_ascii(s, len)))
        return pk_fail(d, BRINE_E_SYNTAX, "INST at offset %llu: the module and name must be ASCII",
                       (unsigned long long)d->op_off);
    if (op == PKOP_INST && !d->mark_count)
        return pk_pop_mark(d, &first); /* fails: no MARK */
    if ((rc = pk_push_global(d, (const char *)mod, mod_len, (const char *)s, len)) != BRINE_OK)
        return rc;
    if (op == PKOP_GLOBAL)
        return BRINE_OK;
    /* INST: the class just pushed sits above the MARK's args. */
    pk_slot cls = d->stack[--d->count];
    pk_pop_mark(d, &first);
    return pk_instantiate(d, &cls, first, d->count - first, first);
}

/* OBJ, REDUCE, NEWOBJ and NEWOBJ_EX: calls, which become models; BUILD:
 * the state set on one. */
static BRINEP_NOINLINE int pk_op_call(pk_dec *d, unsigned op)
{
    brine_error e = {0};
    size_t first, h = 0;
    brine_value *v;
    int rc;
    if (op == PKOP_BUILD) {
        if ((rc = pk_need(d, 2)) != BRINE_OK)
            return rc;
        int done;
        if ((rc = pk_np_build(d, &d->stack[d->count - 2], &d->stack[d->count - 1], &done)) != BRINE_OK ||
            (!done && (rc = pk_jl_build(d, &d->stack[d->count - 2], &d->stack[d->count - 1], &done)) != BRINE_OK))
            return rc;
        if (!done && ((rc = pk_build(d, &d->stack[d->count - 2], &d->stack[d->count - 1])) != BRINE_OK ||
                      (rc = pk_aud_build(d, &d->stack[d->count - 2])) != BRINE_OK))
            return rc;
        d->count--;
        return BRINE_OK;
    }
    if (op == PKOP_OBJ) {
        pk_slot cls;
        if ((rc = pk_pop_mark(d, &first)) != BRINE_OK)
            return rc;
        if (d->count == first)
            return pk_fail(d, BRINE_E_CORRUPT, "OBJ at offset %llu: no class after the MARK",
                           (unsigned long long)d->op_off);
        cls = d->stack[first];
        return pk_instantiate(d, &cls, first + 1, d->count - first - 1, first);
    }
    size_t n = op == PKOP_NEWOBJ_EX ? 3 : 2;
    const pk_slot *base;
    if ((rc = pk_need(d, n)) != BRINE_OK)
        return rc;
    base = &d->stack[d->count - n];
    if (brine_type_of(base[1].v) != BRINE_TUPLE)
        return pk_fail(d, BRINE_E_CORRUPT, "%s at offset %llu: the arguments are a %s, not a tuple", pk_opname(op),
                       (unsigned long long)d->op_off, brine_type_name(brine_type_of(base[1].v)));
    if (op == PKOP_NEWOBJ_EX && brine_type_of(base[2].v) != BRINE_DICT)
        return pk_fail(d, BRINE_E_CORRUPT, "NEWOBJ_EX at offset %llu: the keyword arguments are a %s, not a dict",
                       (unsigned long long)d->op_off, brine_type_name(brine_type_of(base[2].v)));
    v = op == PKOP_REDUCE ? pk_call(d, &base[0], &base[1], &h, &e)
                          : pk_newobj(d, &base[0], &base[1], op == PKOP_NEWOBJ_EX ? &base[2] : NULL, &h, &e);
    brine_value *callable = base[0].v;
    if ((rc = pk_replace(d, d->count - n, v, h, &e)) != BRINE_OK)
        return rc;
    if (op == PKOP_REDUCE)
        pk_np_reduced(d, &d->stack[d->count - 1]);
    return pk_aud_call(d, callable, d->stack[d->count - 1].v);
}

/* BYTEARRAY8, PERSID, BINPERSID, EXT1, EXT2 and EXT4: values Python builds
 * from the opcode's argument, which become models of a fixed name. */
static BRINEP_NOINLINE int pk_op_named(pk_dec *d, unsigned op)
{
    brine_error e = {0};
    const unsigned char *s;
    size_t len, h = 0;
    uint64_t u;
    brine_value *v, *t;
    int rc;
    if (op == PKOP_BYTEARRAY8) {
        brine_value *b;
        if ((rc = pk_payload(d, 8, 0, &s, &len)) != BRINE_OK)
            return rc;
        b = brine_bytes_new(d->doc, s, len, &e);
        t = brine_tuple_new(d->doc, &e);
        if (e.code == BRINE_OK)
            brine_seq_append(t, b, &e);
        v = e.code ? NULL : pk_model(d, "builtins.bytearray", 18, t, &e);
        return pk_replace(d, d->count, v, 2, &e);
    }
    if (op == PKOP_PERSID || op == PKOP_BINPERSID) {
        if (op == PKOP_PERSID) {
            if ((rc = pk_line(d, &s, &len)) != BRINE_OK)
                return rc;
            if (!pk_is_ascii(s, len))
                return pk_fail(d, BRINE_E_SYNTAX,
                               "PERSID at offset %llu: persistent IDs in protocol 0 must be ASCII strings",
                               (unsigned long long)d->op_off);
            if ((rc = pk_push_str(d, s, len, 1)) != BRINE_OK)
                return rc;
        } else if ((rc = pk_need(d, 1)) != BRINE_OK) {
            return rc;
        }
        v = pk_tuple_of(d, d->count - 1, 1, &h, &e);
        t = v;
        v = v ? pk_model(d, "pickle.persistent_id", 20, t, &e) : NULL;
        if ((rc = pk_replace(d, d->count - 1, v, h + 1, &e)) != BRINE_OK)
            return rc;
        return pk_aud_made(d, BRINE_AUDIT_PERSID, d->stack[d->count - 1].v);
    }
    /* EXT1, EXT2, EXT4. */
    brine_value *c;
    int64_t code;
    if ((rc = pk_uint(d, op == PKOP_EXT1 ? 1 : op == PKOP_EXT2 ? 2 : 4, &u)) != BRINE_OK)
        return rc;
    code = op == PKOP_EXT4 ? (int64_t)(int32_t)(uint32_t)u : (int64_t)u;
    if (code <= 0)
        return pk_fail(d, BRINE_E_CORRUPT, "%s at offset %llu specifies code <= 0", pk_opname(op),
                       (unsigned long long)d->op_off);
    t = brine_tuple_new(d->doc, &e);
    c = brine_int_new(d->doc, code, &e);
    if (e.code == BRINE_OK)
        brine_seq_append(t, c, &e);
    v = e.code ? NULL : pk_model(d, "pickle.ext", 10, t, &e);
    if ((rc = pk_replace(d, d->count, v, 2, &e)) != BRINE_OK)
        return rc;
    return pk_aud_made(d, BRINE_AUDIT_EXT, d->stack[d->count - 1].v);
}

/* Runs one opcode at d->p. Returns BRINE_OK, an error, or -1 after STOP. */
static int pk_step(pk_dec *d)
{
    /* Cleared, not zeroed: "= {0}" wrote all its bytes for every opcode,
     * half of this function's instructions. Here e only goes to value
     * constructors and pk_push/pk_replace, which read its code and, when
     * set, its message; it is never copied whole (pk_forward is for the
     * text opcodes). */
    brine_error e;
    const unsigned char *s;
    size_t len, first, h = 0;
    uint64_t u;
    unsigned op;
    int rc;
    brine_value *v;

    brine_error_clear(&e);
    if (d->frame_end && d->p >= d->frame_end)
        d->frame_end = NULL; /* the frame is used up */
    d->op_off = d->base + (uint64_t)(d->p - d->start);
    if (d->p == d->end)
        return pk_fail(d, BRINE_E_TRUNCATED, "the pickle ends without a STOP opcode"); /* offset: op_off */
    op = *d->p++;
    switch (op) {
    case PKOP_PROTO:
    case PKOP_FRAME:
    case PKOP_STOP: return pk_op_frame(d, op);

    /* The stack machine. */
    case PKOP_MARK:
        if (d->mark_count >= d->max_depth)
            return pk_depth_fail(d); /* each open MARK is a container being built */
        if (brine_plugin_grow((void **)&d->marks, &d->mark_cap, d->mark_count + 1, sizeof *d->marks))
            return pk_nomem(d);
        d->marks[d->mark_count++] = d->count;
        return BRINE_OK;
    case PKOP_POP:
    case PKOP_POP_MARK:
    case PKOP_DUP: return pk_op_stack(d, op);

    /* The memo. */
    case PKOP_MEMOIZE: return pk_put(d, d->memo_count);
    case PKOP_BINPUT:
    case PKOP_LONG_BINPUT:
        if ((rc = pk_uint(d, op == PKOP_BINPUT ? 1 : 4, &u)) != BRINE_OK)
            return rc;
        return pk_put(d, u);
    case PKOP_BINGET:
    case PKOP_LONG_BINGET:
        if ((rc = pk_uint(d, op == PKOP_BINGET ? 1 : 4, &u)) != BRINE_OK)
            return rc;
        return pk_get(d, u);

    /* Scalars. */
    case PKOP_NONE:
    case PKOP_NEWTRUE:
    case PKOP_NEWFALSE: return pk_push_const(d, op);
    case PKOP_BININT:
        if ((rc = pk_uint(d, 4, &u)) != BRINE_OK)
            return rc;
        return pk_int64(d, (int64_t)(int32_t)(uint32_t)u);
    case PKOP_BININT1:
    case PKOP_BININT2:
        if ((rc = pk_uint(d, op == PKOP_BININT1 ? 1 : 2, &u)) != BRINE_OK)
            return rc;
        return pk_int64(d, (int64_t)u);
    case PKOP_LONG1:
    case PKOP_LONG4:
        if ((rc = pk_payload(d, op == PKOP_LONG1 ? 1 : 4, 1, &s, &len)) != BRINE_OK)
            return rc;
        return pk_push(d, brine_int_new_bytes(d->doc, s, len, &e), &e);
    case PKOP_BINFLOAT: {
        double f;
        uint64_t bits = 0;
        int i;
        if ((rc = pk_arg(d, 8)) != BRINE_OK)
            return rc;
        for (i = 0; i < 8; i++) /* big-endian */
            bits = (bits << 8) | d->p[i];
        d->p += 8;
        memcpy(&f, &bits, sizeof f);
        return pk_push(d, brine_float_new(d->doc, f, &e), &e);
    }
    case PKOP_SHORT_BINUNICODE:
    case PKOP_BINUNICODE:
    case PKOP_BINUNICODE8:
        if ((rc = pk_payload(d, op == PKOP_SHORT_BINUNICODE ? 1 : op == PKOP_BINUNICODE ? 4 : 8, 0, &s, &len)))
            return rc;
        return pk_push_str(d, s, len, 1);
    case PKOP_SHORT_BINBYTES:
    case PKOP_BINBYTES:
    case PKOP_BINBYTES8:
        if ((rc = pk_payload(d, op == PKOP_SHORT_BINBYTES ? 1 : op == PKOP_BINBYTES ? 4 : 8, 0, &s, &len)))
            return rc;
        if (len >= PK_NP_RAW_MIN && d->mark_count) {
            int done;
            if ((rc = pk_np_rawdata(d, s, len, &done)) != BRINE_OK || done)
                return rc;
        }
        return pk_push(d, brine_bytes_new(d->doc, s, len, &e), &e);
    case PKOP_SHORT_BINSTRING:
    case PKOP_BINSTRING:
    case PKOP_NEXT_BUFFER:
    case PKOP_READONLY_BUFFER: return pk_op_rare(d, op);
    case PKOP_PUT:
    case PKOP_GET:
    case PKOP_INT:
    case PKOP_LONG:
    case PKOP_FLOAT: return pk_op_text(d, op);
    case PKOP_UNICODE: return pk_op_unicode(d);
    case PKOP_STRING: return pk_op_string(d);

    /* Containers. */
    case PKOP_EMPTY_LIST: return pk_push(d, brine_list_new(d->doc, &e), &e);
    case PKOP_EMPTY_DICT: return pk_push(d, brine_dict_new(d->doc, &e), &e);
    case PKOP_EMPTY_TUPLE: return pk_empty_tuple(d);
    case PKOP_EMPTY_SET:
        v = pk_set_model(d, "builtins.set", d->count, 0, &h, &e);
        return pk_replace(d, d->count, v, h, &e);
    case PKOP_TUPLE1:
    case PKOP_TUPLE2:
    case PKOP_TUPLE3:
        len = op - PKOP_TUPLE1 + 1;
        if ((rc = pk_need(d, len)) != BRINE_OK)
            return rc;
        first = d->count - len;
        v = pk_tuple_of(d, first, len, &h, &e);
        return pk_replace(d, first, v, h, &e);
    case PKOP_TUPLE:
    case PKOP_LIST:
    case PKOP_FROZENSET:
    case PKOP_DICT: return pk_op_marked(d, op);
    case PKOP_APPEND:
    case PKOP_SETITEM:
    case PKOP_APPENDS:
    case PKOP_SETITEMS:
    case PKOP_ADDITEMS: return pk_op_items(d, op);

    /* Names, calls and objects. */
    case PKOP_GLOBAL:
    case PKOP_INST:
    case PKOP_STACK_GLOBAL: return pk_op_global(d, op);
    case PKOP_OBJ:
    case PKOP_REDUCE:
    case PKOP_NEWOBJ:
    case PKOP_NEWOBJ_EX:
    case PKOP_BUILD: return pk_op_call(d, op);
    case PKOP_BYTEARRAY8:
    case PKOP_PERSID:
    case PKOP_BINPERSID:
    case PKOP_EXT1:
    case PKOP_EXT2:
    case PKOP_EXT4: return pk_op_named(d, op);
    default:
        return pk_fail(d, BRINE_E_SYNTAX, "invalid load key, '\\x%02x' (unknown opcode) at offset %llu", op,
                       (unsigned long long)d->op_off);
    }
}

static void pk_dec_free(pk_dec *d)
{
    pk_aud_free(d);
    pk_np_free(d);
    pk_cache_free(d);
    pk_allow_free(&d->allow);
    brine_free(d->stack);
    brine_free(d->marks);
    brine_free(d->memo);
    brine_free(d->sparse);
    brine_free(d->nodes);
    brine_free(d->buf.p);
    brine_free(d->name);
    if (!d->direct)
        brine_doc_free(d->doc);
}

int pk_run_nested(pk_dec *d, pk_slot *out)
{
    pk_dec sub;
    int rc;
    memset(&sub, 0, sizeof sub);
    sub.doc = d->doc;
    sub.err = d->err;
    sub.max_depth = d->max_depth;
    sub.start = sub.p = d->p;
    sub.end = d->end;
    sub.base = d->base + (uint64_t)(d->p - d->start);
    sub.allow = d->allow; /* borrowed, as the audit and the nodes: */
    sub.aud = d->aud;     /* the audit knows containers by node index */
    sub.joblib = 2;       /* a pickle in a joblib file: a wrapper in it is refused */
    sub.nodes = d->nodes;
    sub.node_count = d->node_count;
    sub.node_cap = d->node_cap;
    while ((rc = pk_step(&sub)) == BRINE_OK)
        ;
    d->nodes = sub.nodes;
    d->node_count = sub.node_count;
    d->node_cap = sub.node_cap;
    if (rc == -1) {
        rc = BRINE_OK;
        *out = sub.stack[0];
        d->p = sub.p;
        d->dirty |= sub.dirty;
    }
    pk_np_free(&sub);
    pk_cache_free(&sub);
    brine_free(sub.stack);
    brine_free(sub.marks);
    brine_free(sub.memo);
    brine_free(sub.sparse);
    brine_free(sub.buf.p);
    brine_free(sub.name);
    return rc;
}

/* The sink the walk goes through: pickle always stores references, so the
 * decoder sends anchors and REFs whatever the sink's flags say (the core
 * gives a decoder with BRINE_CAP_REFS a sink that takes them: the builder,
 * or an encoder that stores them), and the caller, not the walk, finishes
 * the sink. */
typedef struct pk_fwd {
    brine_sink sink;
    brine_sink *next;
} pk_fwd;

static int pk_fwd_event(brine_sink *self, const brine_event *ev)
{
    brine_sink *next = ((pk_fwd *)self)->next;
    return next->event(next, ev);
}

static int pk_fwd_finish(brine_sink *self)
{
    (void)self;
    return BRINE_OK;
}

/* Runs the machine over src to STOP: BRINE_OK with the value d->stack[0]
 * and src past the STOP, or the first error. d is zeroed but for d->aud,
 * d->joblib and d->direct (then the values go into its document). */
static int pk_run(pk_dec *d, brine_source *src, const brine_options *opts, brine_error *err)
{
    int rc;
    d->err = err;
    d->max_depth = brine_options_max_depth(opts);
    if ((rc = pk_allow_options(&d->allow, opts, err)) != BRINE_OK)
        return rc;
    /* joblib's wrapper is data to the joblib reader, as numpy's
     * reconstructors are to both. */
    if (d->joblib && d->allow.on && (rc = pk_allow_add(&d->allow, "joblib.numpy_pickle.NumpyArrayWrapper", err)))
        return rc;
    if ((rc = brine_source_read_all(src, err)) != BRINE_OK)
        return rc;
    if (d->joblib && src->end - src->cur >= 2 && src->cur[0] == 'Z' && src->cur[1] == 'F')
        return brine_error_set_at(err, BRINE_E_UNSUPPORTED, brine_source_offset(src),
                                  "a joblib < 0.10 compressed file (ZF header): load and dump it again with "
                                  "joblib >= 0.10");
    d->start = src->cur;
    d->p = src->cur;
    d->end = src->end;
    d->base = brine_source_offset(src);
    if (d->direct) {
        d->doc = brine_direct_doc(d->direct); /* its limit is max_depth already */
    } else {
        d->doc = brine_doc_new();
        if (!d->doc)
            return brine_error_set_at(err, BRINE_E_NOMEM, d->base, "out of memory");
        brine_doc_set_max_depth(d->doc, d->max_depth);
    }
    while ((rc = pk_step(d)) == BRINE_OK)
        ;
    if (rc != -1)
        return rc;
    src->cur = d->p; /* bytes after STOP are left unread, as pickle.loads ignores them */
    return BRINE_OK;
}

/* Sends the value the machine left on d's stack to sink, as decoding does:
 * through a copy of what is reachable when the run dropped containers (the
 * walker anchors containers by their link count, and a dropped container,
 * a NEWOBJ args tuple or a popped list, still links what it held: the copy
 * has exact counts), under the depth limit, which the walk enforces again
 * because memo references can join containers into a chain deeper than any
 * one opcode made. A sink that keeps nothing (the audit's) needs no copy:
 * inflated counts only add anchors, and a walk visits each node once
 * either way, in the same order, failing at the same depth and path. */
static int pk_emit(pk_dec *d, brine_sink *sink, const brine_options *opts, brine_error *err, int keeps)
{
    pk_fwd fwd;
    brine_doc *copy = NULL;
    brine_value *root = d->stack[0].v;
    uint64_t stop_off = d->op_off;
    int rc;
    if (d->dirty && keeps) {
        copy = brine_doc_new();
        if (!copy)
            return brine_error_set_at(err, BRINE_E_NOMEM, stop_off, "out of memory");
        brine_doc_set_max_depth(copy, d->max_depth);
        root = brine_value_copy(copy, root, d->max_depth, err);
    }
    memset(&fwd, 0, sizeof fwd);
    fwd.sink.event = pk_fwd_event;
    fwd.sink.finish = pk_fwd_finish;
    /* Shared strs, bytes and big ints (a str fetched from the memo again)
     * go out as anchors and REFs only if the sink takes them. */
    fwd.sink.flags = BRINE_SINK_REFS | (sink->flags & (BRINE_SINK_SCALAR_REFS | BRINE_SINK_ARRAYS));
    fwd.sink.err = sink->err;
    fwd.next = sink;
    rc = root ? brine_walk_options(root, &fwd.sink, opts, err) : (err && err->code ? err->code : BRINE_E_NOMEM);
    if (rc != BRINE_OK && err) {
        brine_error_merge_sink(err, sink, rc, stop_off, NULL);
        /* The walker words its depth error for encoding; this is a decode. */
        if (rc == BRINE_E_DEPTH)
            snprintf(err->message, sizeof err->message, "maximum recursion depth exceeded while decoding (limit %zu)",
                     d->max_depth);
    }
    brine_doc_free(copy);
    return rc;
}

static int pk_discard_event(brine_sink *self, const brine_event *ev)
{
    (void)self;
    (void)ev;
    return BRINE_OK;
}

static int pk_audit_as(brine_source *src, const brine_options *opts, struct brine_audit_report **report,
                       brine_error *err, int joblib)
{
    pk_dec d;
    brine_error local;
    int rc;
    memset(&d, 0, sizeof d);
    d.joblib = joblib;
    if (!err) {
        brine_error_clear(&local);
        err = &local;
    }
    *report = NULL;
    if (pk_aud_new(&d) != BRINE_OK)
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    rc = pk_run(&d, src, opts, err);
    if (rc == BRINE_OK) {
        /* The audit ends as decoding would: a value the walk refuses (too
         * deep) is a failed load, whose calls reach nothing. */
        brine_sink discard;
        memset(&discard, 0, sizeof discard);
        discard.event = pk_discard_event;
        discard.finish = pk_fwd_finish;
        discard.flags = BRINE_SINK_REFS | BRINE_SINK_SCALAR_REFS | BRINE_SINK_ARRAYS; /* as the builder */
        rc = pk_emit(&d, &discard, opts, err, 0);
    }
    *report = pk_aud_report(&d, rc == BRINE_OK ? d.stack[0].v : NULL, rc, err);
    if (!*report && rc == BRINE_OK)
        rc = brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    pk_dec_free(&d);
    return rc;
}

static int pk_decode_as(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err, int joblib)
{
    pk_dec d;
    memset(&d, 0, sizeof d);
    d.joblib = joblib;
    int rc = pk_run(&d, src, opts, err);
    if (rc == BRINE_OK)
        rc = pk_emit(&d, sink, opts, err, 1);
    pk_dec_free(&d);
    return rc;
}

/* Into the document being built: the value the machine left is the root
 * as it stands (core checks its depth and recounts its links, as pk_emit's
 * walk and copy did); an error there has the offset of the STOP. */
static int pk_decode_direct_as(brine_source *src, brine_direct *b, const brine_options *opts, brine_error *err,
                               int joblib)
{
    pk_dec d;
    memset(&d, 0, sizeof d);
    d.joblib = joblib;
    d.direct = b;
    int rc = pk_run(&d, src, opts, err);
    if (rc == BRINE_OK && (rc = brine_direct_root(b, d.stack[0].v)) != BRINE_OK)
        brine_error_merge_sink(err, brine_direct_sink(b), rc, d.op_off, NULL);
    pk_dec_free(&d);
    return rc;
}

int pk_decode_direct(brine_source *src, brine_direct *b, const brine_options *opts, brine_error *err)
{
    return pk_decode_direct_as(src, b, opts, err, 0);
}

int pk_decode_joblib_direct(brine_source *src, brine_direct *b, const brine_options *opts, brine_error *err)
{
    return pk_decode_direct_as(src, b, opts, err, 1);
}

int pk_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err)
{
    return pk_decode_as(src, sink, opts, err, 0);
}

int pk_decode_joblib(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err)
{
    return pk_decode_as(src, sink, opts, err, 1);
}

int pk_audit(brine_source *src, const brine_options *opts, struct brine_audit_report **report, brine_error *err)
{
    return pk_audit_as(src, opts, report, err, 0);
}

int pk_audit_joblib(brine_source *src, const brine_options *opts, struct brine_audit_report **report, brine_error *err)
{
    return pk_audit_as(src, opts, report, err, 1);
}
