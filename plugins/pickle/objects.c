/* objects.c: the values the pickle reader's opcodes make: strs, globals,
 * tuples, sets, the models of calls (REDUCE, NEWOBJ, INST, OBJ) with the
 * exact builtin forms of docs/pickle.md, the items and state given to
 * containers and models (APPEND(S), SETITEM(S), ADDITEMS, BUILD), and the
 * opcode names of error messages. The machine itself is reader.c.
 */
#include <string.h>

#include "reader.h"

/* ------------------------------------------------------------------------
 * Values
 * ------------------------------------------------------------------------ */

int pk_is_ascii(const unsigned char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        if (s[i] >= 0x80)
            return 0;
    return 1;
}

/* Scalars made once per decode: a short str, an int, None, True and False
 * are immutable, so the value made for the first can stand for the next
 * equal one, pushed again as the memo pushes one (a value costs a 16-byte
 * handle besides its slot in a container, and a str its blob: brine's own
 * writer, like json.load's data, repeats every dict key in every record,
 * 13 keys of 17 strs a record in bench-scale's pickle). Strs only under
 * 16 bytes (BRINEP_SHARE_MIN): a walk never anchors shorter ones, so the
 * sharing changes no encoding. Direct-mapped tables: a miss makes a new
 * value, as before. */
#define PK_CACHE_STR_MAX 15
#define PK_CACHE_BITS 10 /* 256 buckets: 8% more document on bench-scale's records, unique strs evicting keys */
/* The tables (24 KiB, zeroed) are made once this much input is read: a
 * small pickle, decoded in a few microseconds, does not pay for them. */
#define PK_CACHE_AFTER 16384

struct pk_cache {
    brine_value *str[1u << PK_CACHE_BITS];
    brine_value *ints[1u << PK_CACHE_BITS];
    int64_t int_keys[1u << PK_CACHE_BITS];
    brine_value *consts[3]; /* None, True, False */
};

static pk_cache *pk_cache_of(pk_dec *d)
{
    if (!d->cache && d->p - d->start >= PK_CACHE_AFTER && (d->cache = brine_malloc(sizeof *d->cache)) != NULL)
        memset(d->cache, 0, sizeof *d->cache);
    return d->cache;
}

void pk_cache_free(pk_dec *d)
{
    brine_free(d->cache);
    d->cache = NULL;
}

static size_t pk_cache_slot(uint64_t x)
{
    return (size_t)((x * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - PK_CACHE_BITS));
}

/* The bucket of a short str: its bytes, read as two overlapping words. */
static size_t pk_str_slot(const unsigned char *s, size_t len)
{
    uint64_t a = 0, b = 0;
    if (len >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + len - 8, 8);
    } else {
        memcpy(&a, s, len);
    }
    return pk_cache_slot(a ^ (b * UINT64_C(0xFF51AFD7ED558CCD)) ^ len);
}

static int pk_push_cached(pk_dec *d, brine_value *v)
{
    pk_slot s = {v, 0};
    return pk_push_slot(d, s);
}

int pk_push_int(pk_dec *d, int64_t i)
{
    brine_error e = {0};
    pk_cache *c = pk_cache_of(d);
    size_t k = pk_cache_slot((uint64_t)i);
    if (c && c->ints[k] && c->int_keys[k] == i)
        return pk_push_cached(d, c->ints[k]);
    brine_value *v = brine_int_new(d->doc, i, &e);
    if (v && c) {
        c->ints[k] = v;
        c->int_keys[k] = i;
    }
    return pk_push(d, v, &e);
}

int pk_push_const(pk_dec *d, unsigned op)
{
    brine_error e = {0};
    pk_cache *c = pk_cache_of(d);
    int k = op == PKOP_NONE ? 0 : op == PKOP_NEWTRUE ? 1 : 2;
    if (c && c->consts[k])
        return pk_push_cached(d, c->consts[k]);
    brine_value *v = k ? brine_bool_new(d->doc, k == 1, &e) : brine_null_new(d->doc, &e);
    if (v && c)
        c->consts[k] = v;
    return pk_push(d, v, &e);
}

/* A str from UTF-8 at s (an offset into the input when from_input). */
int pk_push_str(pk_dec *d, const unsigned char *s, size_t len, int from_input)
{
    brine_error e = {0};
    pk_cache *c = NULL;
    size_t k = 0;
    if (len <= PK_CACHE_STR_MAX && (c = pk_cache_of(d)) != NULL) {
        k = pk_str_slot(s, len);
        if (c->str[k]) {
            size_t n;
            const char *p = brine_str_get(c->str[k], &n);
            if (n == len && memcmp(p, s, len) == 0) /* checked when it was made */
                return pk_push_cached(d, c->str[k]);
        }
    }
    size_t bad = brine_utf8_check((const char *)s, len);
    if (bad != len) {
        uint64_t off = from_input ? d->base + (uint64_t)(s + bad - d->start) : d->op_off;
        return brine_error_set_at(
            d->err, BRINE_E_UTF8, off, "%s at offset %llu: invalid UTF-8 (or a surrogate) at offset %llu",
            pk_opname(d->start[d->op_off - d->base]), (unsigned long long)d->op_off, (unsigned long long)off);
    }
    brine_value *v = brine_str_new(d->doc, (const char *)s, len, &e);
    if (v && c)
        c->str[k] = v;
    return pk_push(d, v, &e);
}

/* Python 2 str: str if ASCII (pickle.loads' default encoding), else bytes. */
int pk_push_str2(pk_dec *d, const unsigned char *s, size_t len)
{
    brine_error e = {0};
    if (pk_is_ascii(s, len))
        return pk_push(d, brine_str_new(d->doc, (const char *)s, len, &e), &e);
    return pk_push(d, brine_bytes_new(d->doc, s, len, &e), &e);
}

static int pk_name_is(const brine_value *m, const char *name)
{
    size_t len;
    const char *n = brine_model_name(m, &len);
    return n && len == strlen(name) && memcmp(n, name, len) == 0;
}

static int pk_str_is(const brine_value *v, const char *s)
{
    size_t len;
    const char *p;
    if (!v || brine_type_of(v) != BRINE_STR)
        return 0;
    p = brine_str_get(v, &len);
    return len == strlen(s) && memcmp(p, s, len) == 0;
}

/* If v is a pickle.global(module, qualname) model, "module.qualname" in
 * d->name (NUL-terminated) and its length; else (size_t)-1. A nested
 * qualname (Outer.Inner) takes a colon, "module:Outer.Inner", so that the
 * writer knows where the module ends. */
size_t pk_global_name(pk_dec *d, const brine_value *v)
{
    const brine_value *args, *m, *q;
    const char *ms, *qs;
    size_t ml, ql;
    if (brine_type_of(v) != BRINE_MODEL || !pk_name_is(v, "pickle.global"))
        return (size_t)-1;
    args = brine_model_args(v);
    if (brine_seq_count(args) != 2)
        return (size_t)-1;
    m = brine_seq_get(args, 0);
    q = brine_seq_get(args, 1);
    if (brine_type_of(m) != BRINE_STR || brine_type_of(q) != BRINE_STR)
        return (size_t)-1;
    ms = brine_str_get(m, &ml);
    qs = brine_str_get(q, &ql);
    if (brine_plugin_grow((void **)&d->name, &d->name_cap, ml + ql + 2, 1))
        return (size_t)-2;
    memcpy(d->name, ms, ml);
    d->name[ml] = memchr(qs, '.', ql) ? ':' : '.';
    memcpy(d->name + ml + 1, qs, ql);
    d->name[ml + 1 + ql] = 0;
    return ml + 1 + ql;
}

/* Nonempty dot-separated parts, none empty, without a colon or a newline. */
static int pk_dotted_name(const char *s, size_t len)
{
    size_t part = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == ':' || s[i] == '\n')
            return 0;
        if (s[i] == '.') {
            if (part == 0)
                return 0;
            part = 0;
        } else {
            part++;
        }
    }
    return part > 0;
}

/* GLOBAL, STACK_GLOBAL: a pickle.global(module, qualname) model, with the
 * Python 2 renames Python 3 applies to protocols 0-2. */
int pk_push_global(pk_dec *d, const char *mod, size_t mod_len, const char *name, size_t name_len)
{
    brine_error e = {0};
    const char *nm = NULL, *nn = NULL;
    brine_value *g, *args, *a, *b;
    size_t bad;
    if (d->proto < 3 && pk_compat_map(mod, mod_len, name, name_len, &nm, &nn)) {
        mod = nm;
        mod_len = strlen(nm);
        if (nn) {
            name = nn;
            name_len = strlen(nn);
        }
    }
    if ((bad = brine_utf8_check(mod, mod_len)) != mod_len || (bad = brine_utf8_check(name, name_len)) != name_len)
        return pk_fail(d, BRINE_E_UTF8, "%s: the module or name is not UTF-8",
                       pk_opname(d->start[d->op_off - d->base]));
    /* Names Python could never import are refused, so that every model name
     * the reader makes splits back into its module and name (writer.c). */
    if (!pk_dotted_name(mod, mod_len) || !pk_dotted_name(name, name_len))
        return pk_fail(d, BRINE_E_CORRUPT, "%s: '%.*s' '%.*s' is not a module and a name Python could import",
                       pk_opname(d->start[d->op_off - d->base]), (int)(mod_len > 60 ? 60 : mod_len), mod,
                       (int)(name_len > 60 ? 60 : name_len), name);
    g = brine_model_new(d->doc, "pickle.global", 13, &e);
    args = brine_tuple_new(d->doc, &e);
    a = brine_str_new(d->doc, mod, mod_len, &e);
    b = brine_str_new(d->doc, name, name_len, &e);
    if (e.code == BRINE_OK) {
        brine_seq_append(args, a, &e);
        brine_seq_append(args, b, &e);
        brine_model_set_args(g, args, &e);
    }
    if (e.code)
        return pk_api_fail(d, &e);
    if (!d->allow.on && !d->aud)
        return pk_push(d, g, &e);
    /* The name Python imports, after the renames, as models are named. */
    size_t len = pk_global_name(d, g);
    int rc;
    if (len >= (size_t)-2)
        return pk_fail(d, BRINE_E_NOMEM, "out of memory");
    if ((rc = pk_aud_import(d, g, d->name, len)) != BRINE_OK)
        return rc;
    if (d->allow.on && !pk_allowed(&d->allow, d->name, len))
        return pk_fail(d, BRINE_E_MODEL,
                       "%s at offset %llu: global '%.*s' is not allowed (the allow= option lists what is)",
                       pk_opname(d->start[d->op_off - d->base]), (unsigned long long)d->op_off,
                       (int)(len > 200 ? 200 : len), d->name);
    return pk_push(d, g, &e);
}

/* A tuple of the values first .. first+n-1 of the stack. */
brine_value *pk_tuple_of(pk_dec *d, size_t first, size_t n, size_t *height, brine_error *e)
{
    brine_value *t = brine_tuple_new(d->doc, e);
    size_t i, h = 0;
    if (!t)
        return NULL;
    /* numpy's state (1, shape, dtype, False, data) holds the array made at
     * the data's BINBYTES as is, for the BUILD to take (numpy.c). */
    if (d->np_tuple_ok && n == 5 && d->stack[first + 4].node &&
        (d->nodes[d->stack[first + 4].node].flags & PKN_RAWDATA)) {
        brine_seq_reserve(t, n, e);
        for (i = 0; i < 4; i++)
            if (pk_np_link(d, &d->stack[first + i]))
                return brine_error_set(e, BRINE_E_NOMEM, "out of memory"), NULL;
        for (i = 0; i < n; i++)
            brine_seq_append(t, d->stack[first + i].v, e);
        for (i = 0, h = 0; i < n; i++)
            if (pk_height(d, &d->stack[first + i]) > h)
                h = pk_height(d, &d->stack[first + i]);
        d->np_rawstate = 1;
        *height = h + 1;
        return e->code ? NULL : t;
    }
    brine_seq_reserve(t, n, e);
    for (i = 0; i < n; i++) {
        if (pk_np_link(d, &d->stack[first + i]))
            return brine_error_set(e, BRINE_E_NOMEM, "out of memory"), NULL;
        brine_seq_append(t, d->stack[first + i].v, e);
        if (pk_height(d, &d->stack[first + i]) > h)
            h = pk_height(d, &d->stack[first + i]);
    }
    *height = h + 1;
    return e->code ? NULL : t;
}

/* Replaces stack[first..count) with one new container of the given height. */
int pk_replace(pk_dec *d, size_t first, brine_value *v, size_t height, const brine_error *e)
{
    int rc;
    pk_slot s;
    if (!v)
        return pk_api_fail(d, e);
    if ((rc = pk_slot_make(d, v, &s)) != BRINE_OK)
        return rc;
    d->count = first;
    d->nodes[s.node].height = pk_height_store(height);
    if (height > d->max_depth)
        return pk_depth_fail(d);
    return pk_push_slot(d, s);
}

/* A model name args: models a call whose callable and args tuple are known. */
brine_value *pk_model(pk_dec *d, const char *name, size_t len, brine_value *args, brine_error *e)
{
    brine_value *m = brine_model_new(d->doc, name, len, e);
    if (m && args)
        brine_model_set_args(m, args, e);
    return e->code ? NULL : m;
}

/* ([items],): the args of a set or frozenset model. */
brine_value *pk_set_model(pk_dec *d, const char *name, size_t first, size_t n, size_t *height, brine_error *e)
{
    brine_value *list = brine_list_new(d->doc, e), *args = brine_tuple_new(d->doc, e);
    size_t i, h = 0;
    if (e->code)
        return NULL;
    brine_seq_reserve(list, n, e);
    for (i = 0; i < n; i++) {
        if (pk_np_link(d, &d->stack[first + i]))
            return brine_error_set(e, BRINE_E_NOMEM, "out of memory"), NULL;
        brine_seq_append(list, d->stack[first + i].v, e);
        if (pk_height(d, &d->stack[first + i]) > h)
            h = pk_height(d, &d->stack[first + i]);
    }
    brine_seq_append(args, list, e);
    *height = h + 3;
    return e->code ? NULL : pk_model(d, name, strlen(name), args, e);
}

/* The code point < 256 string s as latin-1 bytes in d->buf; 0 if it has a
 * larger code point. */
static int pk_latin1(pk_dec *d, const brine_value *s)
{
    size_t len, i;
    const unsigned char *p = (const unsigned char *)brine_str_get(s, &len);
    d->buf.len = 0;
    if (pk_buf_reserve(&d->buf, len + 1))
        return -1;
    for (i = 0; i < len; i++) {
        if (p[i] < 0x80)
            d->buf.p[d->buf.len++] = p[i];
        else if ((p[i] == 0xc2 || p[i] == 0xc3) && i + 1 < len)
            d->buf.p[d->buf.len++] = (unsigned char)(((p[i] & 3) << 6) | (p[i + 1] & 0x3f)), i++;
        else
            return 0;
    }
    return 1;
}

/* The value of calling callable (a stack slot) with the args tuple: a
 * model, or one of the exact builtin forms of docs/pickle.md. */
brine_value *pk_call(pk_dec *d, const pk_slot *callable, const pk_slot *args, size_t *height, brine_error *e)
{
    size_t n = brine_seq_count(args->v), len = pk_global_name(d, callable->v);
    const brine_value *a0 = brine_seq_get(args->v, 0), *a1 = brine_seq_get(args->v, 1);
    brine_value *t;
    *height = pk_height(d, args) + 1;
    if (pk_np_link(d, args))
        return brine_error_set(e, BRINE_E_NOMEM, "out of memory"), NULL;
    if (len == (size_t)-2) {
        brine_error_set(e, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    if (len == (size_t)-1) {
        /* Not a global: pickle.call(callable, args). */
        if (pk_np_link(d, callable))
            return brine_error_set(e, BRINE_E_NOMEM, "out of memory"), NULL;
        t = brine_tuple_new(d->doc, e);
        if (t) {
            brine_seq_append(t, callable->v, e);
            brine_seq_append(t, args->v, e);
        }
        *height = (pk_height(d, callable) > pk_height(d, args) ? pk_height(d, callable) : pk_height(d, args)) + 2;
        return e->code ? NULL : pk_model(d, "pickle.call", 11, t, e);
    }
    if (len > 6 && !memcmp(d->name, "numpy.", 6)) {
        int done;
        brine_value *a = pk_np_call(d, d->name, len, args, e, &done);
        if (done) {
            *height = 0;
            return a;
        }
        len = pk_global_name(d, callable->v); /* d->name again */
    }
    if (!strcmp(d->name, "_codecs.encode") && n == 2 && brine_type_of(a0) == BRINE_STR &&
        (pk_str_is(a1, "latin1") || pk_str_is(a1, "latin-1"))) {
        int ok = pk_latin1(d, a0);
        if (ok < 0) {
            brine_error_set(e, BRINE_E_NOMEM, "out of memory");
            return NULL;
        }
        if (ok) {
            *height = 0;
            return brine_bytes_new(d->doc, d->buf.p, d->buf.len, e);
        }
    }
    if (!strcmp(d->name, "builtins.bytes") && n == 0) {
        *height = 0;
        return brine_bytes_new(d->doc, "", 0, e);
    }
    if (!strcmp(d->name, "builtins.complex") && n == 2 && brine_type_of(a0) == BRINE_FLOAT &&
        brine_type_of(a1) == BRINE_FLOAT) {
        *height = 0;
        return brine_complex_new(d->doc, brine_float_get(a0), brine_float_get(a1), e);
    }
    if (!strcmp(d->name, "builtins.bytearray") && (n == 0 || (n == 2 && brine_type_of(a0) == BRINE_STR &&
                                                              (pk_str_is(a1, "latin-1") || pk_str_is(a1, "latin1"))))) {
        int ok = n == 0 ? (d->buf.len = 0, 1) : pk_latin1(d, a0);
        if (ok < 0) {
            brine_error_set(e, BRINE_E_NOMEM, "out of memory");
            return NULL;
        }
        if (ok) {
            brine_value *b = brine_bytes_new(d->doc, d->buf.p ? (const void *)d->buf.p : "", d->buf.len, e);
            t = brine_tuple_new(d->doc, e);
            if (b && t)
                brine_seq_append(t, b, e);
            *height = 2;
            return e->code ? NULL : pk_model(d, "builtins.bytearray", 18, t, e);
        }
    }
    if (!strcmp(d->name, "copyreg._reconstructor") && n == 3 &&
        brine_type_of(brine_seq_get(args->v, 2)) == BRINE_NULL) {
        /* copyreg._reconstructor(cls, object, None) is cls.__new__(cls). */
        size_t base_len = pk_global_name(d, a1);
        if (base_len == (size_t)-2) {
            brine_error_set(e, BRINE_E_NOMEM, "out of memory");
            return NULL;
        }
        if (base_len != (size_t)-1 && !strcmp(d->name, "builtins.object") &&
            (len = pk_global_name(d, a0)) < (size_t)-2) {
            t = brine_tuple_new(d->doc, e);
            *height = 2;
            d->dirty = 1; /* the args tuple, holding the globals, is dropped */
            return e->code ? NULL : pk_model(d, d->name, len, t, e);
        }
        len = pk_global_name(d, callable->v); /* d->name again */
    }
    return pk_model(d, d->name, len, args->v, e);
}

/* NEWOBJ and NEWOBJ_EX: cls.__new__(cls, *args, **kwargs). */
brine_value *pk_newobj(pk_dec *d, const pk_slot *cls, const pk_slot *args, const pk_slot *kwargs, size_t *height,
                       brine_error *e)
{
    size_t n = brine_seq_count(args->v), i, len = pk_global_name(d, cls->v), h;
    brine_value *t;
    if (pk_np_link(d, args) || (kwargs && pk_np_link(d, kwargs)))
        return brine_error_set(e, BRINE_E_NOMEM, "out of memory"), NULL;
    if (len == (size_t)-2) {
        brine_error_set(e, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    if (len != (size_t)-1 && n == 0 && (!kwargs || brine_dict_count(kwargs->v) == 0)) {
        *height = pk_height(d, args) + 1;
        return pk_model(d, d->name, len, pk_is_empty_args(d, args->v) ? NULL : args->v, e);
    }
    h = pk_height(d, cls) > pk_height(d, args) ? pk_height(d, cls) : pk_height(d, args);
    if (pk_np_link(d, cls))
        return brine_error_set(e, BRINE_E_NOMEM, "out of memory"), NULL;
    t = brine_tuple_new(d->doc, e);
    if (!t)
        return NULL;
    brine_seq_append(t, cls->v, e);
    if (kwargs && brine_dict_count(kwargs->v)) {
        /* copyreg.__newobj_ex__(cls, args, kwargs) */
        brine_seq_append(t, args->v, e);
        brine_seq_append(t, kwargs->v, e);
        if (pk_height(d, kwargs) > h)
            h = pk_height(d, kwargs);
        *height = h + 2;
        return e->code ? NULL : pk_model(d, "copyreg.__newobj_ex__", 21, t, e);
    }
    /* copyreg.__newobj__(cls, *args): the args tuple is dropped. */
    d->dirty = 1;
    for (i = 0; i < n; i++)
        brine_seq_append(t, brine_seq_get(args->v, i), e);
    *height = h + 1; /* the elements of args sit one level higher than in args */
    return e->code ? NULL : pk_model(d, "copyreg.__newobj__", 18, t, e);
}

/* ------------------------------------------------------------------------
 * Items given to a model (APPEND(S), SETITEM(S)): pickle.reduce_state.
 * ------------------------------------------------------------------------ */

/* The args tuple of the model's pickle.reduce_state(state, listitems,
 * dictitems), made on first use. */
static brine_value *pk_items_args(pk_dec *d, const pk_slot *m, brine_error *e)
{
    brine_value *rs, *t, *nul;
    if (d->nodes[m->node].flags & PKN_ITEMS)
        return brine_model_args(brine_model_state(m->v));
    rs = brine_model_new(d->doc, "pickle.reduce_state", 19, e);
    t = brine_tuple_new(d->doc, e);
    nul = brine_null_new(d->doc, e);
    if (e->code)
        return NULL;
    brine_seq_append(t, brine_model_state(m->v), e);
    brine_seq_append(t, nul, e);
    brine_seq_append(t, nul, e);
    brine_model_set_args(rs, t, e);
    brine_model_set_state(m->v, rs, e);
    if (e->code)
        return NULL;
    d->nodes[m->node].flags |= PKN_ITEMS;
    return t;
}

/* The list at index i of the reduce_state args (made if still null). */
static brine_value *pk_items_list(pk_dec *d, brine_value *t, size_t i, brine_error *e)
{
    brine_value *l = brine_seq_get(t, i);
    if (brine_type_of(l) == BRINE_LIST)
        return l;
    l = brine_list_new(d->doc, e);
    if (l)
        brine_seq_set(t, i, l, e);
    return e->code ? NULL : brine_seq_get(t, i);
}

/* APPEND(S): items first..first+n-1 of the stack into the list or model at
 * target. */
int pk_append(pk_dec *d, const pk_slot *target, size_t first, size_t n)
{
    brine_error e = {0};
    int rc;
    brine_type t = brine_type_of(target->v);
    brine_value *list = target->v;
    size_t i, h = 0, levels = 1;
    if (n == 0)
        return BRINE_OK; /* as Python: nothing to append, whatever the target */
    if (t == BRINE_MODEL) {
        brine_value *args = pk_items_args(d, target, &e);
        list = args ? pk_items_list(d, args, 1, &e) : NULL;
        if (!list)
            return pk_api_fail(d, &e);
        levels = 4; /* model, reduce_state, its args, the list */
    } else if (t != BRINE_LIST) {
        return pk_fail(d, BRINE_E_CORRUPT, "%s at offset %llu: cannot append to a %s",
                       pk_opname(d->start[d->op_off - d->base]), (unsigned long long)d->op_off, brine_type_name(t));
    }
    if (d->direct && (rc = brine_direct_reserve(d->direct, list, n)) != BRINE_OK)
        return brine_error_merge_sink(d->err, brine_direct_sink(d->direct), rc, d->op_off, NULL);
    for (i = 0; i < n; i++) {
        const pk_slot *s = &d->stack[first + i];
        if (pk_np_link(d, s))
            return BRINE_E_NOMEM;
        if (brine_seq_append(list, s->v, &e))
            return pk_api_fail(d, &e);
        /* A list that holds itself does not get deeper for it. */
        if (s->node != target->node && pk_height(d, s) > h)
            h = pk_height(d, s);
    }
    return pk_nest(d, target, h, levels);
}

/* SETITEM(S): n/2 key, value pairs from first into the dict or model. */
int pk_setitems(pk_dec *d, const pk_slot *target, size_t first, size_t n)
{
    brine_error e = {0};
    int rc;
    brine_type t = brine_type_of(target->v);
    brine_value *list = NULL;
    size_t i, h = 0;
    if (n == 0)
        return BRINE_OK; /* as Python: nothing to set, whatever the target */
    if (n % 2)
        return pk_fail(d, BRINE_E_CORRUPT, "%s at offset %llu: an odd number of items (a key without a value)",
                       pk_opname(d->start[d->op_off - d->base]), (unsigned long long)d->op_off);
    if (t == BRINE_MODEL) {
        brine_value *args = pk_items_args(d, target, &e);
        list = args ? pk_items_list(d, args, 2, &e) : NULL;
        if (!list)
            return pk_api_fail(d, &e);
    } else if (t != BRINE_DICT) {
        return pk_fail(d, BRINE_E_CORRUPT, "%s at offset %llu: cannot set an item of a %s",
                       pk_opname(d->start[d->op_off - d->base]), (unsigned long long)d->op_off, brine_type_name(t));
    }
    /* Model targets keep their items as a list of (key, value) pairs. */
    if (d->direct && (rc = brine_direct_reserve(d->direct, list ? list : target->v, n / 2)) != BRINE_OK)
        return brine_error_merge_sink(d->err, brine_direct_sink(d->direct), rc, d->op_off, NULL);
    for (i = 0; i < n; i += 2) {
        const pk_slot *k = &d->stack[first + i], *v = &d->stack[first + i + 1];
        if (pk_np_link(d, k) || pk_np_link(d, v))
            return BRINE_E_NOMEM;
        if (list) {
            brine_value *pair = brine_tuple_new(d->doc, &e);
            if (pair) {
                brine_seq_append(pair, k->v, &e);
                brine_seq_append(pair, v->v, &e);
                brine_seq_append(list, pair, &e);
            }
        } else {
            brine_dict_set(target->v, k->v, v->v, &e);
        }
        if (e.code)
            return pk_api_fail(d, &e);
        if (k->node != target->node && pk_height(d, k) > h)
            h = pk_height(d, k);
        if (v->node != target->node && pk_height(d, v) > h)
            h = pk_height(d, v);
    }
    return pk_nest(d, target, h, list ? 5 : 1);
}

/* BUILD: the state of the model on top. */
int pk_build(pk_dec *d, const pk_slot *target, const pk_slot *state)
{
    brine_error e = {0};
    if (brine_type_of(target->v) != BRINE_MODEL)
        return pk_fail(d, BRINE_E_CORRUPT, "BUILD at offset %llu: cannot set the state of a %s (only of an object)",
                       (unsigned long long)d->op_off, brine_type_name(brine_type_of(target->v)));
    if (pk_np_link(d, state))
        return BRINE_E_NOMEM;
    if (d->nodes[target->node].flags & PKN_ITEMS)
        brine_seq_set(brine_model_args(brine_model_state(target->v)), 0, state->v, &e);
    else
        brine_model_set_state(target->v, state->v, &e);
    if (e.code)
        return pk_api_fail(d, &e);
    if (state->node == target->node)
        return BRINE_OK;
    return pk_nest(d, target, pk_height(d, state), d->nodes[target->node].flags & PKN_ITEMS ? 3 : 1);
}

/* ADDITEMS: into a set model's list. */
int pk_additems(pk_dec *d, const pk_slot *target, size_t first, size_t n)
{
    brine_error e = {0};
    brine_value *args = brine_type_of(target->v) == BRINE_MODEL ? brine_model_args(target->v) : NULL;
    brine_value *list = args && brine_seq_count(args) == 1 ? brine_seq_get(args, 0) : NULL;
    size_t i, h = 0;
    if (n == 0)
        return BRINE_OK; /* as Python: nothing to add, whatever the target */
    if (!list || !pk_name_is(target->v, "builtins.set") || brine_type_of(list) != BRINE_LIST) {
        /* Python calls an object's add here: the audit lists it before the
         * refusal, as the last thing Python would run. */
        int rc = pk_aud_items(d, target);
        return rc ? rc
                  : pk_fail(d, BRINE_E_UNSUPPORTED, "ADDITEMS at offset %llu: the target is not a set",
                            (unsigned long long)d->op_off);
    }
    for (i = 0; i < n; i++) {
        if (pk_np_link(d, &d->stack[first + i]))
            return BRINE_E_NOMEM;
        if (brine_seq_append(list, d->stack[first + i].v, &e))
            return pk_api_fail(d, &e);
        if (d->stack[first + i].node != target->node && pk_height(d, &d->stack[first + i]) > h)
            h = pk_height(d, &d->stack[first + i]);
    }
    return pk_nest(d, target, h, 3);
}

const char *pk_opname(unsigned op)
{
    switch (op) {
    case PKOP_MARK: return "MARK";
    case PKOP_STOP: return "STOP";
    case PKOP_POP: return "POP";
    case PKOP_POP_MARK: return "POP_MARK";
    case PKOP_DUP: return "DUP";
    case PKOP_FLOAT: return "FLOAT";
    case PKOP_INT: return "INT";
    case PKOP_BININT: return "BININT";
    case PKOP_BININT1: return "BININT1";
    case PKOP_LONG: return "LONG";
    case PKOP_BININT2: return "BININT2";
    case PKOP_NONE: return "NONE";
    case PKOP_PERSID: return "PERSID";
    case PKOP_BINPERSID: return "BINPERSID";
    case PKOP_REDUCE: return "REDUCE";
    case PKOP_STRING: return "STRING";
    case PKOP_BINSTRING: return "BINSTRING";
    case PKOP_SHORT_BINSTRING: return "SHORT_BINSTRING";
    case PKOP_UNICODE: return "UNICODE";
    case PKOP_BINUNICODE: return "BINUNICODE";
    case PKOP_APPEND: return "APPEND";
    case PKOP_BUILD: return "BUILD";
    case PKOP_GLOBAL: return "GLOBAL";
    case PKOP_DICT: return "DICT";
    case PKOP_EMPTY_DICT: return "EMPTY_DICT";
    case PKOP_APPENDS: return "APPENDS";
    case PKOP_GET: return "GET";
    case PKOP_BINGET: return "BINGET";
    case PKOP_INST: return "INST";
    case PKOP_LONG_BINGET: return "LONG_BINGET";
    case PKOP_LIST: return "LIST";
    case PKOP_EMPTY_LIST: return "EMPTY_LIST";
    case PKOP_OBJ: return "OBJ";
    case PKOP_PUT: return "PUT";
    case PKOP_BINPUT: return "BINPUT";
    case PKOP_LONG_BINPUT: return "LONG_BINPUT";
    case PKOP_SETITEM: return "SETITEM";
    case PKOP_TUPLE: return "TUPLE";
    case PKOP_EMPTY_TUPLE: return "EMPTY_TUPLE";
    case PKOP_SETITEMS: return "SETITEMS";
    case PKOP_BINFLOAT: return "BINFLOAT";
    case PKOP_PROTO: return "PROTO";
    case PKOP_NEWOBJ: return "NEWOBJ";
    case PKOP_EXT1: return "EXT1";
    case PKOP_EXT2: return "EXT2";
    case PKOP_EXT4: return "EXT4";
    case PKOP_TUPLE1: return "TUPLE1";
    case PKOP_TUPLE2: return "TUPLE2";
    case PKOP_TUPLE3: return "TUPLE3";
    case PKOP_NEWTRUE: return "NEWTRUE";
    case PKOP_NEWFALSE: return "NEWFALSE";
    case PKOP_LONG1: return "LONG1";
    case PKOP_LONG4: return "LONG4";
    case PKOP_BINBYTES: return "BINBYTES";
    case PKOP_SHORT_BINBYTES: return "SHORT_BINBYTES";
    case PKOP_SHORT_BINUNICODE: return "SHORT_BINUNICODE";
    case PKOP_BINUNICODE8: return "BINUNICODE8";
    case PKOP_BINBYTES8: return "BINBYTES8";
    case PKOP_EMPTY_SET: return "EMPTY_SET";
    case PKOP_ADDITEMS: return "ADDITEMS";
    case PKOP_FROZENSET: return "FROZENSET";
    case PKOP_NEWOBJ_EX: return "NEWOBJ_EX";
    case PKOP_STACK_GLOBAL: return "STACK_GLOBAL";
    case PKOP_MEMOIZE: return "MEMOIZE";
    case PKOP_FRAME: return "FRAME";
    case PKOP_BYTEARRAY8: return "BYTEARRAY8";
    case PKOP_NEXT_BUFFER: return "NEXT_BUFFER";
    case PKOP_READONLY_BUFFER: return "READONLY_BUFFER";
    default: return "opcode";
    }
}
