/* audit.c: the pickle audit (<brine/pickle.h>): what CPython's pickle.load
 * would import and call, recorded by hooks in the reader's own opcode
 * machine (reader.c), so the list is exact for every stream the reader
 * accepts. After STOP, a walk of the returned value marks what reaches it.
 *
 * Identity: a container node never moves, and a getter's handle points
 * into it, so a model's args handle, a non-empty sequence's first element
 * handle and a dict's first key handle each name their container; a bytes
 * value's data block names the value (copies share it). Names are interned
 * once (a name fetched a million times from the memo costs one copy).
 */
#include <stdio.h>
#include <string.h>

#include <brine/pickle.h>
#include <xxhash.h>

#include "../seed.h"
#include "reader.h"

typedef struct pk_aent {
    int action;
    unsigned op;
    uint64_t offset;
    size_t name;     /* interned name id */
    const void *key; /* identity of what it made, or of its target; NULL: none known */
    size_t from;     /* CALL: the entry that made the callable, + 1; 0 none */
    uint64_t value;  /* CALL of a complex result: its bits hashed (complexes have no identity) */
    uint8_t reaches, overwritten;
} pk_aent;

/* A set of pointers, or a map from pointer to index (open addressing). */
typedef struct pk_pmap {
    const void **keys;
    size_t *vals;
    size_t count, cap;
} pk_pmap;

/* A value that reaches the returned value when user (a key) does: the
 * model an array replaced, the arguments of the call that made one. */
typedef struct pk_use {
    const void *user;
    const brine_value *used;
} pk_use;

struct pk_aud {
    pk_aent *ents;
    size_t count, cap;
    pk_buf names;     /* interned names, NUL-terminated */
    size_t *name_off; /* by id */
    uint8_t *name_seen;
    size_t name_count, name_cap;
    size_t *itab; /* id + 1 by hash; 0 empty */
    size_t itab_cap;
    uint64_t seed;
    pk_pmap results;   /* call results and globals: key -> entry */
    pk_pmap complexes; /* the walk: complex values seen, by pk_complex_key */
    size_t *builds;    /* by reader node: last BUILD's entry + 1 */
    size_t builds_cap;
    pk_use *uses; /* numpy arrays (pk_aud_uses) */
    size_t uses_count, uses_cap;
    char scratch[128];
};

/* ---- pointer maps --------------------------------------------------------- */

static size_t pk_phash(const void *p, size_t cap)
{
    uint64_t x = (uint64_t)(uintptr_t)p * UINT64_C(0x9e3779b97f4a7c15);
    return (size_t)(x >> 20) & (cap - 1);
}

static size_t *pk_pmap_find(const pk_pmap *m, const void *key)
{
    if (!m->cap || !key)
        return NULL;
    for (size_t i = pk_phash(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i])
            return NULL;
        if (m->keys[i] == key)
            return &m->vals[i];
    }
}

static int pk_pmap_put(pk_pmap *m, const void *key, size_t val)
{
    size_t *v = pk_pmap_find(m, key);
    if (!key)
        return BRINE_OK;
    if (v) {
        *v = val;
        return BRINE_OK;
    }
    if ((m->count + 1) * 4 > m->cap * 3) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        const void **keys = brine_malloc(cap * sizeof *keys);
        size_t *vals = brine_malloc(cap * sizeof *vals);
        if (!keys || !vals || cap > SIZE_MAX / sizeof *vals / 2) {
            brine_free(keys);
            brine_free(vals);
            return BRINE_E_NOMEM;
        }
        memset(keys, 0, cap * sizeof *keys);
        for (size_t j = 0; j < m->cap; j++)
            if (m->keys[j]) {
                size_t i = pk_phash(m->keys[j], cap);
                while (keys[i])
                    i = (i + 1) & (cap - 1);
                keys[i] = m->keys[j];
                vals[i] = m->vals[j];
            }
        brine_free(m->keys);
        brine_free(m->vals);
        m->keys = keys;
        m->vals = vals;
        m->cap = cap;
    }
    size_t i = pk_phash(key, m->cap);
    while (m->keys[i])
        i = (i + 1) & (m->cap - 1);
    m->keys[i] = key;
    m->vals[i] = val;
    m->count++;
    return BRINE_OK;
}

static void pk_pmap_free(pk_pmap *m)
{
    brine_free(m->keys);
    brine_free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- names ------------------------------------------------------------------ */

static size_t pk_ihome(const pk_aud *a, const char *s, size_t len)
{
    return (size_t)XXH3_64bits_withSeed(s, len, a->seed) & (a->itab_cap - 1);
}

/* The id of the name (s, len), or (size_t)-1; with add, interned if new
 * ((size_t)-2 when out of memory). */
static size_t pk_intern(pk_aud *a, const char *s, size_t len, int add)
{
    size_t i;
    if (a->itab_cap) {
        for (i = pk_ihome(a, s, len); a->itab[i]; i = (i + 1) & (a->itab_cap - 1)) {
            size_t id = a->itab[i] - 1;
            const char *n = (const char *)a->names.p + a->name_off[id];
            if (strlen(n) == len && memcmp(n, s, len) == 0 && !memchr(s, 0, len))
                return id;
        }
    }
    if (!add)
        return (size_t)-1;
    if ((a->name_count + 1) * 2 > a->itab_cap) {
        size_t cap = a->itab_cap ? a->itab_cap * 2 : 64, *t;
        if (cap > SIZE_MAX / sizeof *t || !(t = brine_malloc(cap * sizeof *t)))
            return (size_t)-2;
        memset(t, 0, cap * sizeof *t);
        brine_free(a->itab);
        a->itab = t;
        a->itab_cap = cap;
        for (size_t id = 0; id < a->name_count; id++) {
            const char *n = (const char *)a->names.p + a->name_off[id];
            for (i = pk_ihome(a, n, strlen(n)); a->itab[i]; i = (i + 1) & (cap - 1))
                ;
            a->itab[i] = id + 1;
        }
    }
    if (brine_plugin_grow((void **)&a->name_off, &a->name_cap, a->name_count + 1, sizeof *a->name_off) ||
        pk_buf_reserve(&a->names, len + 1))
        return (size_t)-2;
    if (!(a->name_seen = brine_realloc(a->name_seen, a->name_cap)))
        return (size_t)-2;
    a->name_off[a->name_count] = a->names.len;
    a->name_seen[a->name_count] = 0;
    memcpy(a->names.p + a->names.len, s, len);
    a->names.len += len;
    a->names.p[a->names.len++] = 0;
    for (i = pk_ihome(a, s, len); a->itab[i]; i = (i + 1) & (a->itab_cap - 1))
        ;
    a->itab[i] = a->name_count + 1;
    return a->name_count++;
}

/* ---- recording -------------------------------------------------------------- */

int pk_aud_new(pk_dec *d)
{
    d->aud = brine_malloc(sizeof *d->aud);
    if (!d->aud)
        return BRINE_E_NOMEM;
    memset(d->aud, 0, sizeof *d->aud);
    d->aud->seed = brine_plugin_seed(d->aud);
    return BRINE_OK;
}

void pk_aud_free(pk_dec *d)
{
    pk_aud *a = d->aud;
    if (!a)
        return;
    brine_free(a->ents);
    brine_free(a->names.p);
    brine_free(a->name_off);
    brine_free(a->name_seen);
    brine_free(a->itab);
    brine_free(a->builds);
    brine_free(a->uses);
    pk_pmap_free(&a->results);
    pk_pmap_free(&a->complexes);
    brine_free(a);
    d->aud = NULL;
}

/* A complex value has no identity the value API shows: builtins.complex's
 * result counts as reaching the value when an equal complex does (a pure
 * builtin; nothing else makes complexes). Never 0. */
static uint64_t pk_complex_key(const brine_value *v)
{
    double c[2];
    brine_complex_get(v, &c[0], &c[1]);
    return XXH3_64bits(c, sizeof c) | 1;
}

/* What identifies v: a model's node, a bytes value's data, an array's
 * data (which may be the bytes value's it adopted); else NULL. */
static const void *pk_key(const brine_value *v)
{
    size_t len;
    switch (brine_type_of(v)) {
    case BRINE_MODEL: return brine_model_args(v);
    case BRINE_ARRAY: return brine_array_data(v);
    case BRINE_BYTES: return len = 0, brine_bytes_get(v, &len);
    default: return NULL;
    }
}

static int pk_add(pk_dec *d, int action, const char *name, size_t len, const void *key, size_t *index)
{
    pk_aud *a = d->aud;
    pk_aent *e;
    size_t id = pk_intern(a, name, len, 1);
    if (id >= (size_t)-2 || brine_plugin_grow((void **)&a->ents, &a->cap, a->count + 1, sizeof *a->ents))
        return pk_fail(d, BRINE_E_NOMEM, "out of memory");
    e = &a->ents[a->count];
    memset(e, 0, sizeof *e);
    e->action = action;
    e->op = d->start[d->op_off - d->base];
    e->offset = d->op_off;
    e->name = id;
    e->key = key;
    if (index)
        *index = a->count;
    a->count++;
    return BRINE_OK;
}

/* Remembers that key was made by entry i (for "result of ..." names). */
static int pk_made(pk_dec *d, const void *key, size_t i)
{
    if (key && pk_pmap_put(&d->aud->results, key, i))
        return pk_fail(d, BRINE_E_NOMEM, "out of memory");
    return BRINE_OK;
}

int pk_aud_import(pk_dec *d, const brine_value *global, const char *name, size_t len)
{
    size_t i;
    int rc;
    if (!d->aud)
        return BRINE_OK;
    if ((rc = pk_add(d, BRINE_AUDIT_IMPORT, name, len, pk_key(global), &i)))
        return rc;
    return pk_made(d, pk_key(global), i);
}

int pk_aud_call(pk_dec *d, const brine_value *callable, const brine_value *result)
{
    pk_aud *a = d->aud;
    const char *name;
    size_t len, i, *from;
    int rc;
    if (!a)
        return BRINE_OK;
    len = pk_global_name(d, callable);
    if (len == (size_t)-2)
        return pk_fail(d, BRINE_E_NOMEM, "out of memory");
    if (len != (size_t)-1) {
        name = d->name;
    } else if ((from = pk_pmap_find(&a->results, pk_key(callable))) != NULL) {
        const pk_aent *f = &a->ents[*from];
        const char *fn = (const char *)a->names.p + a->name_off[f->name];
        int n = snprintf(a->scratch, sizeof a->scratch, "result of %.80s at offset %llu", fn,
                         (unsigned long long)f->offset);
        name = a->scratch;
        len = n < 0 ? 0 : (size_t)n < sizeof a->scratch ? (size_t)n : sizeof a->scratch - 1;
    } else if (brine_type_of(callable) == BRINE_MODEL) {
        name = brine_model_name(callable, &len); /* a model the stream built otherwise */
    } else {
        snprintf(a->scratch, sizeof a->scratch, "a %s", brine_type_name(brine_type_of(callable)));
        name = a->scratch;
        len = strlen(name);
    }
    from = pk_pmap_find(&a->results, pk_key(callable));
    size_t made_by = from ? *from + 1 : 0;
    if ((rc = pk_add(d, BRINE_AUDIT_CALL, name, len, pk_key(result), &i)))
        return rc;
    a->ents[i].from = made_by;
    if (brine_type_of(result) == BRINE_COMPLEX)
        a->ents[i].value = pk_complex_key(result);
    return pk_made(d, pk_key(result), i);
}

int pk_aud_build(pk_dec *d, const pk_slot *target)
{
    pk_aud *a = d->aud;
    const char *name;
    size_t len, i;
    int rc;
    if (!a)
        return BRINE_OK;
    name = brine_model_name(target->v, &len);
    if ((rc = pk_add(d, BRINE_AUDIT_BUILD, name, len, pk_key(target->v), &i)))
        return rc;
    /* A later BUILD replaces the state this one gave (the reader keeps the
     * last), though Python ran both. */
    size_t old_cap = a->builds_cap;
    if (brine_plugin_grow((void **)&a->builds, &a->builds_cap, target->node + 1, sizeof *a->builds))
        return pk_fail(d, BRINE_E_NOMEM, "out of memory");
    /* brine_plugin_grow leaves the new room as realloc does: a stale slot
     * would name a random entry as overwritten, a BUILD that reaches the
     * value as one that does not (heap layout differs from run to run:
     * file or stdin). */
    memset(a->builds + old_cap, 0, (a->builds_cap - old_cap) * sizeof *a->builds);
    if (a->builds[target->node] && a->builds[target->node] <= a->count && target->node)
        a->ents[a->builds[target->node] - 1].overwritten = 1;
    a->builds[target->node] = i + 1;
    return BRINE_OK;
}

int pk_aud_items(pk_dec *d, const pk_slot *target)
{
    const char *name;
    size_t len;
    if (!d->aud || brine_type_of(target->v) != BRINE_MODEL)
        return BRINE_OK;
    name = brine_model_name(target->v, &len);
    /* The reader's sets are Python's own set and frozenset: no method of
     * the stream's choosing runs. */
    if ((len == 12 && memcmp(name, "builtins.set", 12) == 0) ||
        (len == 18 && memcmp(name, "builtins.frozenset", 18) == 0))
        return BRINE_OK;
    return pk_add(d, BRINE_AUDIT_ITEMS, name, len, pk_key(target->v), NULL);
}

int pk_aud_made(pk_dec *d, int action, const brine_value *result)
{
    pk_aud *a = d->aud;
    const brine_value *arg;
    size_t len = 0;
    int rc;
    if (!a)
        return BRINE_OK;
    arg = brine_seq_get(brine_model_args(result), 0);
    if (brine_type_of(arg) == BRINE_STR) {
        const char *s = brine_str_get(arg, &len);
        if (len > 80)
            len = 80;
        memcpy(a->scratch, s, len);
    } else {
        brine_error e = {0};
        len = brine_value_repr(arg, a->scratch, sizeof a->scratch, 8, &e);
        if (len >= sizeof a->scratch)
            len = sizeof a->scratch - 1;
    }
    if ((rc = pk_add(d, action, a->scratch, len, pk_key(result), NULL)))
        return rc;
    return BRINE_OK;
}

int pk_aud_uses(pk_dec *d, const brine_value *user, const brine_value *used)
{
    pk_aud *a = d->aud;
    if (!a)
        return BRINE_OK;
    if (brine_plugin_grow((void **)&a->uses, &a->uses_cap, a->uses_count + 1, sizeof *a->uses))
        return pk_fail(d, BRINE_E_NOMEM, "out of memory");
    a->uses[a->uses_count].user = pk_key(user);
    a->uses[a->uses_count++].used = used;
    return BRINE_OK;
}

int pk_aud_array(pk_dec *d, const pk_slot *model, const brine_value *array)
{
    pk_aud *a = d->aud;
    const void *old = pk_key(model->v), *key = pk_key(array);
    size_t *i;
    if (!a)
        return BRINE_OK;
    /* The _reconstruct CALL made the array; its BUILD set the array. */
    if ((i = pk_pmap_find(&a->results, old)) != NULL) {
        a->ents[*i].key = key;
        if (pk_made(d, key, *i))
            return BRINE_E_NOMEM;
    }
    if (model->node < a->builds_cap && a->builds[model->node])
        a->ents[a->builds[model->node] - 1].key = key;
    return pk_aud_uses(d, array, model->v);
}

/* ---- what reaches the value --------------------------------------------- */

/* The identity of a container for the walk's visited set (NULL: empty). */
static const void *pk_node_key(const brine_value *v)
{
    brine_value *k, *val;
    size_t it = 0;
    switch (brine_type_of(v)) {
    case BRINE_MODEL: return brine_model_args(v);
    case BRINE_LIST:
    case BRINE_TUPLE: return brine_seq_count(v) ? brine_seq_get(v, 0) : NULL;
    case BRINE_DICT: return brine_dict_next(v, &it, &k, &val) ? (const void *)k : NULL;
    default: return NULL;
    }
}

/* Marks in seen every model and bytes of root, and the interned names of
 * the models (and of the globals) it holds. Iterative, each container once. */
static int pk_reach(pk_dec *d, const brine_value *root, pk_pmap *seen)
{
    pk_aud *a = d->aud;
    const brine_value **stack = NULL;
    size_t count = 0, cap = 0;
    int rc = BRINE_OK;
#define PK_PUSH(x)                                                                                                     \
    do {                                                                                                               \
        if (brine_plugin_grow((void **)&stack, &cap, count + 1, sizeof *stack)) {                                                \
            rc = BRINE_E_NOMEM;                                                                                        \
            goto out;                                                                                                  \
        }                                                                                                              \
        stack[count++] = (x);                                                                                          \
    } while (0)
    PK_PUSH(root);
    while (count) {
        const brine_value *v = stack[--count], *k, *val;
        const void *key;
        size_t n, it = 0, id;
        brine_type t = brine_type_of(v);
        if (t == BRINE_ARRAY) {
            if (pk_pmap_put(seen, pk_key(v), 1)) {
                rc = BRINE_E_NOMEM;
                goto out;
            }
            continue;
        }
        if (t == BRINE_BYTES || t == BRINE_COMPLEX) {
            if (t == BRINE_BYTES ? pk_pmap_put(seen, pk_key(v), 1)
                                 : pk_pmap_put(&a->complexes, (const void *)(uintptr_t)pk_complex_key(v), 1)) {
                rc = BRINE_E_NOMEM;
                goto out;
            }
            continue;
        }
        if (!(key = pk_node_key(v)) || pk_pmap_find(seen, key))
            continue;
        if (pk_pmap_put(seen, key, 1)) {
            rc = BRINE_E_NOMEM;
            goto out;
        }
        switch (t) {
        case BRINE_MODEL:
            n = pk_global_name(d, v);
            if (n == (size_t)-2) {
                rc = BRINE_E_NOMEM;
                goto out;
            }
            if (n == (size_t)-1) {
                const char *name = brine_model_name(v, &n);
                id = pk_intern(a, name, n, 0);
            } else {
                id = pk_intern(a, d->name, n, 0);
            }
            if (id < (size_t)-2)
                a->name_seen[id] = 1;
            PK_PUSH(brine_model_args(v));
            PK_PUSH(brine_model_state(v));
            break;
        case BRINE_LIST:
        case BRINE_TUPLE:
            for (n = brine_seq_count(v); n--;)
                PK_PUSH(brine_seq_get(v, n));
            break;
        case BRINE_DICT: {
            brine_value *kk, *vv;
            while (brine_dict_next(v, &it, &kk, &vv)) {
                k = kk;
                val = vv;
                PK_PUSH(k);
                PK_PUSH(val);
            }
            break;
        }
        default: break;
        }
    }
out:
#undef PK_PUSH
    brine_free(stack);
    return rc;
}

struct brine_audit_report *pk_aud_report(pk_dec *d, const brine_value *root, int status, const brine_error *err)
{
    pk_aud *a = d->aud;
    pk_pmap seen;
    brine_audit_report *r;
    brine_audit_entry *out;
    char *text;
    size_t size, i, ops = 0;
    memset(&seen, 0, sizeof seen);
    /* No entry, nothing to look for: the walk is most of an audit's time. */
    if (root && a->count && pk_reach(d, root, &seen) != BRINE_OK) {
        pk_pmap_free(&seen);
        return NULL;
    }
    /* What reaches through arrays: the models they replaced, the
     * arguments of the calls that made them (a used value may be an array
     * of another use, so later uses can enable earlier ones: repeat until
     * nothing changes; each use is walked once). */
    if (root && a->count) {
        int more = 1;
        while (more) {
            more = 0;
            for (i = 0; i < a->uses_count; i++) {
                if (!a->uses[i].used || !pk_pmap_find(&seen, a->uses[i].user))
                    continue;
                if (pk_reach(d, a->uses[i].used, &seen) != BRINE_OK) {
                    pk_pmap_free(&seen);
                    return NULL;
                }
                a->uses[i].used = NULL;
                more = 1;
            }
        }
    }
    for (i = 0; i < a->count; i++) {
        pk_aent *e = &a->ents[i];
        int hit = e->key && pk_pmap_find(&seen, e->key);
        if (e->action == BRINE_AUDIT_IMPORT)
            hit = hit || (root && a->name_seen[e->name]);
        if (e->action == BRINE_AUDIT_BUILD)
            hit = hit && !e->overwritten;
        if (e->value)
            hit = hit || pk_pmap_find(&a->complexes, (const void *)(uintptr_t)e->value);
        e->reaches = hit != 0;
        ops += strlen(pk_opname(e->op)) + 1;
    }
    /* A name a call used whose result reaches the value reaches it too,
     * though the value shows the result (bytes from _codecs.encode, say)
     * rather than the name. Callables come before their calls. */
    for (i = a->count; i-- > 0;)
        if (a->ents[i].reaches && a->ents[i].from)
            a->ents[a->ents[i].from - 1].reaches = 1;
    pk_pmap_free(&seen);
    /* One block: the report, its entries, the opcode names and the names
     * (the plugin may be unloaded before the report is freed). */
    size = sizeof *r + a->count * sizeof *out + ops + a->names.len;
    if (!(r = brine_malloc(size)))
        return NULL;
    memset(r, 0, sizeof *r);
    out = (brine_audit_entry *)(r + 1);
    text = (char *)(out + a->count);
    if (a->names.len)
        memcpy(text, a->names.p, a->names.len);
    char *optext = text + a->names.len;
    for (i = 0; i < a->count; i++) {
        const pk_aent *e = &a->ents[i];
        const char *on = pk_opname(e->op);
        size_t n = strlen(on) + 1;
        memcpy(optext, on, n);
        out[i].action = (brine_audit_action)e->action;
        out[i].offset = e->offset;
        out[i].opcode = optext;
        out[i].name = text + a->name_off[e->name];
        out[i].reaches = e->reaches;
        optext += n;
    }
    r->count = a->count;
    r->entries = out;
    r->status = status;
    if (status && err)
        r->error = *err;
    else
        brine_error_clear(&r->error);
    if (status && !r->error.code)
        r->error.code = status;
    return r;
}
