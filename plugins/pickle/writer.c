/* writer.c: the pickle encoder, a sink writing what CPython's pickle.loads
 * rebuilds (protocol 4 by default, 2 to 5). Scalars, lists, dicts, unshared
 * tuples and plain models stream straight out; a shared tuple or model, or a
 * specially named model, is recorded and written by a port of CPython's
 * Pickler.save() (lookahead: a tuple met inside itself gets POP + GET). */
#include <xxhash.h>

#include "../seed.h"
#include "writer.h"

/* ---- errors and memory --------------------------------------------------- */

/* Appends a dict key to an error path; s: a str key's bytes (NULL when
 * not kept: [...]). */
static void pk_path_key(char *path, size_t cap, const brine_event *key, const char *s)
{
    brine_event k = *key;
    if (k.kind == BRINE_EV_STR || k.kind == BRINE_EV_BYTES || k.kind == BRINE_EV_BIGINT) {
        if (!s) {
            brine_path_append_key(path, cap, NULL);
            return;
        }
        k.v.s.ptr = s;
    }
    brine_path_append_key(path, cap, &k);
}

/* The path of the value being written: streamed frames, then the record. */
static void pk_path(const pk_enc *e, char *path, size_t cap)
{
    snprintf(path, cap, "$");
    for (size_t i = 0; i < e->depth; i++) {
        const pk_frame *f = &e->stack[i];
        if (f->kind == BRINE_EV_DICT) {
            brine_event key;
            if (!(f->n & 1))
                return; /* at a key: the path of the dict */
            memset(&key, 0, sizeof key);
            key.kind = (brine_event_kind)f->key_kind;
            key.v.u = f->key_u;
            if (f->key_kind == BRINE_EV_STR)
                key.v.s.len = f->key_len;
            pk_path_key(path, cap, &key, e->keys ? e->keys + f->key_pos : NULL); /* no keys kept yet: NULL */
        } else if (f->kind == BRINE_EV_MODEL) {
            brine_path_append_name(path, cap, f->n == 0 ? "args" : "state");
        } else {
            brine_path_append_index(path, cap, f->n);
        }
    }
    for (size_t i = 0; i < e->rec_depth; i++) {
        const pk_rec *r = &e->rec[e->rec_open[i]];
        size_t at = r->count ? r->count - 1 : 0; /* the child being recorded */
        if (r->ev.kind == BRINE_EV_DICT) {
            const pk_rec *k = r->memo != PK_NONE ? &e->rec[r->memo] : NULL;
            if ((at & 1) == 0)
                return;
            if (k)
                pk_path_key(path, cap, &k->ev, pkw_rec_str(e, k));
        } else if (r->ev.kind == BRINE_EV_MODEL) {
            brine_path_append_name(path, cap, at == 0 ? "args" : "state");
        } else {
            brine_path_append_index(path, cap, at);
        }
    }
}

int pkw_fail(pk_enc *e, int code, const char *fmt, ...)
{
    brine_error *err = e->sink.err;
    char msg[BRINE_ERROR_TEXT];
    va_list ap;
    if (!e->status)
        e->status = code;
    if (!err || err->code != BRINE_OK)
        return code;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    brine_error_set(err, code, "%s", msg);
    pk_path(e, err->path, sizeof err->path);
    return code;
}

int pkw_nomem(pk_enc *e)
{
    return pkw_fail(e, BRINE_E_NOMEM, "out of memory");
}

/* ---- bytes out: frames --------------------------------------------------- */

static int pk_out(pk_enc *e, const void *p, size_t len)
{
    int rc = brine_output_put(e->out, p, len, e->sink.err);
    if (rc) {
        if (!e->status)
            e->status = rc;
        return rc;
    }
    return BRINE_OK;
}

/* Writes the current frame, with a FRAME opcode if it holds enough bytes. */
static int pk_commit(pk_enc *e)
{
    unsigned char hdr[9];
    int rc;
    if (e->frame_len == 0)
        return BRINE_OK;
    if (e->frame_len >= PK_FRAME_MIN) {
        hdr[0] = PKOP_FRAME;
        for (int i = 0; i < 8; i++)
            hdr[1 + i] = (unsigned char)((uint64_t)e->frame_len >> (8 * i));
        if ((rc = pk_out(e, hdr, 9)) != BRINE_OK)
            return rc;
    }
    rc = pk_out(e, e->frame, e->frame_len);
    e->frame_len = 0;
    e->frame_gen++;
    return rc;
}

int pkw_put(pk_enc *e, const void *p, size_t len)
{
    if (e->dry)
        return BRINE_OK;
    if (e->proto < 4)
        return pk_out(e, p, len);
    if (len > e->frame_cap - e->frame_len &&
        brine_plugin_grow((void **)&e->frame, &e->frame_cap, e->frame_len + len, 1) != BRINE_OK)
        return pkw_nomem(e);
    if (len)
        memcpy(e->frame + e->frame_len, p, len);
    e->frame_len += len;
    return BRINE_OK;
}

int pkw_op(pk_enc *e, unsigned op)
{
    unsigned char c = (unsigned char)op;
    return pkw_put(e, &c, 1);
}

/* Before each value, like CPython's save(): a full frame is committed. */
int pkw_boundary(pk_enc *e)
{
    if (e->proto >= 4 && !e->dry && e->frame_len >= PK_FRAME_TARGET)
        return pk_commit(e);
    return BRINE_OK;
}

/* After a container closes: a long run of closing opcodes (deep nesting)
 * must not grow one frame without bound either. */
int pkw_boundary_close(pk_enc *e)
{
    if (e->proto >= 4 && !e->dry && e->frame_len >= 2 * PK_FRAME_TARGET)
        return pk_commit(e);
    return BRINE_OK;
}

/* A str or bytes payload: big ones go outside any frame, as CPython's
 * write_large_bytes does, so a reader can read them straight in. */
int pkw_payload(pk_enc *e, const unsigned char *hdr, size_t hlen, const void *p, size_t len)
{
    int rc;
    if (e->dry)
        return BRINE_OK;
    if (e->proto >= 4 && len >= PK_FRAME_TARGET) {
        if ((rc = pk_commit(e)) != BRINE_OK || (rc = pk_out(e, hdr, hlen)) != BRINE_OK)
            return rc;
        return pk_out(e, p, len);
    }
    if ((rc = pkw_put(e, hdr, hlen)) != BRINE_OK)
        return rc;
    return pkw_put(e, p, len);
}

int pkw_raw(pk_enc *e, const void *p, size_t len)
{
    int rc;
    if (e->dry)
        return BRINE_OK;
    if ((rc = pk_commit(e)) != BRINE_OK)
        return rc;
    return len ? pk_out(e, p, len) : BRINE_OK;
}

void pkw_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* ---- scalars ---------------------------------------------------------------- */

/* LONG1/LONG4 with minimal two's-complement little-endian bytes. */
static int pk_long(pk_enc *e, const unsigned char *le, size_t len)
{
    unsigned char hdr[5];
    if (len < 256) {
        hdr[0] = PKOP_LONG1;
        hdr[1] = (unsigned char)len;
        return pkw_payload(e, hdr, 2, le, len);
    }
    if (len > INT32_MAX)
        return pkw_fail(e, BRINE_E_UNSUPPORTED, "an integer of %zu bytes exceeds pickle's LONG4 limit", len);
    hdr[0] = PKOP_LONG4;
    pkw_le(hdr + 1, len, 4);
    return pkw_payload(e, hdr, 5, le, len);
}

static int pk_int(pk_enc *e, int64_t v)
{
    unsigned char b[9];
    size_t n = 8;
    if (v >= 0 && v <= 0xff) {
        b[0] = PKOP_BININT1;
        b[1] = (unsigned char)v;
        return pkw_put(e, b, 2);
    }
    if (v >= 0 && v <= 0xffff) {
        b[0] = PKOP_BININT2;
        pkw_le(b + 1, (uint64_t)v, 2);
        return pkw_put(e, b, 3);
    }
    if (v >= INT32_MIN && v <= INT32_MAX) {
        b[0] = PKOP_BININT;
        pkw_le(b + 1, (uint64_t)v, 4);
        return pkw_put(e, b, 5);
    }
    pkw_le(b, (uint64_t)v, 8);
    while (n > 1 && ((b[n - 1] == 0 && !(b[n - 2] & 0x80)) || (b[n - 1] == 0xff && (b[n - 2] & 0x80))))
        n--;
    return pk_long(e, b, n);
}

static int pk_uint(pk_enc *e, uint64_t u)
{
    unsigned char b[9];
    if (u <= INT64_MAX)
        return pk_int(e, (int64_t)u);
    pkw_le(b, u, 8);
    b[8] = 0; /* the top bit is set: a sign byte keeps it positive */
    return pk_long(e, b, 9);
}

static int pk_float(pk_enc *e, double f)
{
    unsigned char b[9];
    uint64_t bits;
    memcpy(&bits, &f, 8);
    b[0] = PKOP_BINFLOAT;
    for (int i = 0; i < 8; i++)
        b[1 + i] = (unsigned char)(bits >> (8 * (7 - i)));
    return pkw_put(e, b, 9);
}

/* A str or bytes payload with the smallest of its three length prefixes:
 * ops = the 1-byte, 4-byte and 8-byte length opcodes. */
static int pk_sized(pk_enc *e, int short_ok, const unsigned char ops[3], const char *what, const void *p, size_t len)
{
    unsigned char hdr[9];
    if (len < 256 && short_ok) {
        hdr[0] = ops[0];
        hdr[1] = (unsigned char)len;
        return pkw_payload(e, hdr, 2, p, len);
    }
    if (len <= 0xffffffffu) {
        hdr[0] = ops[1];
        pkw_le(hdr + 1, len, 4);
        return pkw_payload(e, hdr, 5, p, len);
    }
    if (e->proto < 4)
        return pkw_fail(e, BRINE_E_UNSUPPORTED, "%s of %zu bytes needs protocol 4", what, len);
    hdr[0] = ops[2];
    pkw_le(hdr + 1, len, 8);
    return pkw_payload(e, hdr, 9, p, len);
}

static int pk_str(pk_enc *e, const char *s, size_t len)
{
    static const unsigned char ops[3] = {PKOP_SHORT_BINUNICODE, PKOP_BINUNICODE, PKOP_BINUNICODE8};
    return pk_sized(e, e->proto >= 4, ops, "a str", s, len);
}

/* The global module.qualname: STACK_GLOBAL from protocol 4, else GLOBAL
 * (a dotted qualname through getattr, as CPython does for protocol 3). */
int pkw_global(pk_enc *e, const char *mod, size_t mlen, const char *qual, size_t qlen)
{
    const char *getattr_g = e->proto < 3 ? "c__builtin__\ngetattr\n" : "cbuiltins\ngetattr\n";
    size_t parts = 1, start;
    int rc;
    if (e->proto >= 4) {
        if ((rc = pk_str(e, mod, mlen)) || (rc = pk_str(e, qual, qlen)))
            return rc;
        return pkw_op(e, PKOP_STACK_GLOBAL);
    }
    if (e->proto < 3 && mlen == 8 && memcmp(mod, "builtins", 8) == 0) {
        mod = "__builtin__"; /* Python 2's name, as CPython writes it (fix_imports) */
        mlen = 11;
    }
    if (memchr(mod, '\n', mlen) || memchr(qual, '\n', qlen))
        return pkw_fail(e, BRINE_E_UNSUPPORTED, "a global name with a newline needs protocol 4");
    for (size_t i = 0; i < qlen; i++)
        parts += qual[i] == '.';
    for (size_t i = 1; i < parts; i++)
        if ((rc = pkw_put(e, getattr_g, strlen(getattr_g))))
            return rc;
    for (start = 0; start < qlen && qual[start] != '.'; start++)
        ;
    if ((rc = pkw_op(e, PKOP_GLOBAL)) || (rc = pkw_put(e, mod, mlen)) || (rc = pkw_op(e, '\n')) ||
        (rc = pkw_put(e, qual, start)) || (rc = pkw_op(e, '\n')))
        return rc;
    while (start < qlen) {
        size_t p = ++start;
        while (start < qlen && qual[start] != '.')
            start++;
        if ((rc = pk_str(e, qual + p, start - p)) || (rc = pkw_op(e, PKOP_TUPLE2)) || (rc = pkw_op(e, PKOP_REDUCE)))
            return rc;
    }
    return BRINE_OK;
}

/* Refuses a name the data asks to write that the allow-list does not
 * list: Python would import it, and call it if it is a model. The writer's
 * own globals (builtins.complex, _codecs.encode, getattr) are not data. */
int pkw_allowed(pk_enc *e, const char *name, size_t len)
{
    if (pk_allowed(&e->allow, name, len))
        return BRINE_OK;
    return pkw_fail(e, BRINE_E_MODEL,
                    "the pickle would import '%.*s', which is not allowed: add it to the encoder's "
                    "allow= option (allow=%.*s, a pattern, or a preset: safe, sklearn)",
                    (int)(len > 120 ? 120 : len), name, (int)(len > 120 ? 120 : len), name);
}

/* A pickle.global(module, qualname) the data holds, named as the reader
 * names models. */
int pkw_global_allowed(pk_enc *e, const char *mod, size_t mlen, const char *qual, size_t qlen)
{
    size_t len = mlen + 1 + qlen;
    if (len < mlen || brine_plugin_grow((void **)&e->scratch, &e->scratch_cap, len + 1, 1) != BRINE_OK)
        return pkw_nomem(e);
    memcpy(e->scratch, mod, mlen);
    e->scratch[mlen] = memchr(qual, '.', qlen) ? ':' : '.';
    memcpy(e->scratch + mlen + 1, qual, qlen);
    return pkw_allowed(e, (const char *)e->scratch, len);
}

/* A model's name as module and qualname: "module:qualname" when it has a
 * colon, else split at the last dot. */
int pkw_model_global(pk_enc *e, const char *name, size_t len)
{
    int rc;
    /* The reader writes module:qualname only when the qualname has a dot, so
     * a colon counts only with a dot after it; else the last dot splits.
     * Either way every name the reader makes splits back into the same. */
    size_t m;
    for (m = 0; m < len; m++)
        if (name[m] == ':' && memchr(name + m + 1, '.', len - m - 1))
            break;
    if (m < len) {
        if (m == 0)
            goto bad;
        if ((rc = pkw_allowed(e, name, len)))
            return rc;
        return pkw_global(e, name, m, name + m + 1, len - m - 1);
    }
    for (m = len; m > 0 && name[m - 1] != '.'; m--)
        ;
    if (m < 2 || m == len)
        goto bad;
    if ((rc = pkw_allowed(e, name, len)))
        return rc;
    return pkw_global(e, name, m - 1, name + m, len - m);
bad:
    return pkw_fail(e, BRINE_E_UNSUPPORTED, "model name '%.*s' is not module.qualname, which pickle needs",
                    (int)(len > 80 ? 80 : len), name);
}

static int pk_bytes(pk_enc *e, const unsigned char *p, size_t len)
{
    unsigned char *u;
    size_t n = 0;
    int rc;
    if (e->proto >= 3) {
        static const unsigned char ops[3] = {PKOP_SHORT_BINBYTES, PKOP_BINBYTES, PKOP_BINBYTES8};
        return pk_sized(e, 1, ops, "a bytes value", p, len);
    }
    /* Protocol 2 has no bytes: _codecs.encode(latin-1 text, 'latin1'), as
     * CPython writes it (also for b'', which CPython writes as bytes()). */
    if (len > SIZE_MAX / 2 || brine_plugin_grow((void **)&e->scratch, &e->scratch_cap, 2 * len + 1, 1) != BRINE_OK)
        return pkw_nomem(e);
    u = e->scratch;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < 0x80) {
            u[n++] = p[i];
        } else {
            u[n++] = (unsigned char)(0xc0 | (p[i] >> 6));
            u[n++] = (unsigned char)(0x80 | (p[i] & 0x3f));
        }
    }
    if ((rc = pkw_global(e, "_codecs", 7, "encode", 6)) || (rc = pk_str(e, (const char *)u, n)) ||
        (rc = pk_str(e, "latin1", 6)) || (rc = pkw_op(e, PKOP_TUPLE2)))
        return rc;
    return pkw_op(e, PKOP_REDUCE);
}

int pkw_scalar(pk_enc *e, const brine_event *ev, const char *s)
{
    int rc;
    switch (ev->kind) {
    case BRINE_EV_NULL: return pkw_op(e, PKOP_NONE);
    case BRINE_EV_BOOL: return pkw_op(e, ev->v.boolean ? PKOP_NEWTRUE : PKOP_NEWFALSE);
    case BRINE_EV_INT: return pk_int(e, ev->v.i);
    case BRINE_EV_UINT: return pk_uint(e, ev->v.u);
    case BRINE_EV_BIGINT: return pk_long(e, (const unsigned char *)s, ev->v.s.len);
    case BRINE_EV_FLOAT: return pk_float(e, ev->v.f);
    case BRINE_EV_COMPLEX:
        if ((rc = pkw_global(e, "builtins", 8, "complex", 7)) || (rc = pk_float(e, ev->v.c.re)) ||
            (rc = pk_float(e, ev->v.c.im)) || (rc = pkw_op(e, PKOP_TUPLE2)))
            return rc;
        return pkw_op(e, PKOP_REDUCE);
    case BRINE_EV_STR: return pk_str(e, s, ev->v.s.len);
    case BRINE_EV_BYTES: return pk_bytes(e, (const unsigned char *)s, ev->v.s.len);
    default: return pkw_fail(e, BRINE_E_INVALID, "unknown event kind %d", (int)ev->kind);
    }
}

int pkw_get(pk_enc *e, size_t idx)
{
    unsigned char b[5];
    if (idx < 256) {
        b[0] = PKOP_BINGET;
        b[1] = (unsigned char)idx;
        return pkw_put(e, b, 2);
    }
    if (idx > 0xffffffffu)
        return pkw_fail(e, BRINE_E_UNSUPPORTED, "more than 2^32 shared containers");
    b[0] = PKOP_LONG_BINGET;
    pkw_le(b + 1, idx, 4);
    return pkw_put(e, b, 5);
}

/* Writes a memo entry for the next index and returns it in *idx. */
int pkw_memoize(pk_enc *e, size_t *idx)
{
    unsigned char b[5];
    *idx = e->memo_count;
    if (e->dry)
        return BRINE_OK;
    e->memo_count++;
    if (e->proto >= 4)
        return pkw_op(e, PKOP_MEMOIZE);
    if (*idx < 256) {
        b[0] = PKOP_BINPUT;
        b[1] = (unsigned char)*idx;
        return pkw_put(e, b, 2);
    }
    if (*idx > 0xffffffffu)
        return pkw_fail(e, BRINE_E_UNSUPPORTED, "more than 2^32 shared containers");
    b[0] = PKOP_LONG_BINPUT;
    pkw_le(b + 1, *idx, 4);
    return pkw_put(e, b, 5);
}

/* ---- anchors ------------------------------------------------------------------ */

static size_t pk_hash(const pk_enc *e, uint64_t id)
{
    return (size_t)XXH3_64bits_withSeed(&id, sizeof id, e->anchors_seed);
}

static pk_anchor *pk_anchor_find(pk_enc *e, uint64_t id)
{
    size_t mask = e->anchors_cap - 1;
    if (!e->anchors_cap)
        return NULL;
    for (size_t i = pk_hash(e, id) & mask;; i = (i + 1) & mask) {
        if (e->anchors[i].where == AN_FREE)
            return NULL;
        if (e->anchors[i].id == id)
            return &e->anchors[i];
    }
}

int pkw_anchor_set(pk_enc *e, uint64_t id, int where, size_t val, size_t count)
{
    pk_anchor *a = pk_anchor_find(e, id);
    if (!a) {
        size_t mask;
        if (2 * (e->anchors_count + 1) > e->anchors_cap) {
            size_t ncap = e->anchors_cap ? 2 * e->anchors_cap : 64;
            if (!e->anchors_cap)
                e->anchors_seed = brine_plugin_seed(e);
            pk_anchor *old = e->anchors, *na;
            if (ncap > SIZE_MAX / sizeof *na || !(na = brine_malloc(ncap * sizeof *na)))
                return pkw_nomem(e);
            memset(na, 0, ncap * sizeof *na);
            for (size_t i = 0; i < e->anchors_cap; i++) {
                if (old[i].where == AN_FREE)
                    continue;
                for (size_t j = pk_hash(e, old[i].id) & (ncap - 1);; j = (j + 1) & (ncap - 1)) {
                    if (na[j].where == AN_FREE) {
                        na[j] = old[i];
                        break;
                    }
                }
            }
            brine_free(old);
            e->anchors = na;
            e->anchors_cap = ncap;
        }
        mask = e->anchors_cap - 1;
        for (size_t i = pk_hash(e, id) & mask;; i = (i + 1) & mask) {
            if (e->anchors[i].where == AN_FREE) {
                a = &e->anchors[i];
                break;
            }
        }
        e->anchors_count++;
        a->id = id;
    } else if ((a->where == AN_NODE && where == AN_NODE) || a->where == AN_SCALAR || where == AN_SCALAR) {
        return pkw_fail(e, BRINE_E_INVALID, "anchor %llu is defined twice", (unsigned long long)id);
    }
    a->where = where;
    a->val = val;
    a->count = count;
    return BRINE_OK;
}

/* ---- shared scalars --------------------------------------------------------------- */

static int pk_is_blob(brine_event_kind kind)
{
    return kind == BRINE_EV_STR || kind == BRINE_EV_BYTES || kind == BRINE_EV_BIGINT;
}

/* Keeps an anchored str, bytes or big int (BRINE_SINK_SCALAR_REFS) under
 * its anchor; *idx is its index in e->shared. */
static int pk_share(pk_enc *e, const brine_event *ev, size_t *idx)
{
    size_t len = ev->v.s.len;
    pk_shared *sh;
    if (e->shared_count == e->shared_cap &&
        brine_plugin_grow((void **)&e->shared, &e->shared_cap, e->shared_count + 1, sizeof *e->shared) != BRINE_OK)
        return pkw_nomem(e);
    if (len > SIZE_MAX - e->sbytes_len - 1 ||
        brine_plugin_grow((void **)&e->sbytes, &e->sbytes_cap, e->sbytes_len + len + 1, 1) != BRINE_OK)
        return pkw_nomem(e);
    *idx = e->shared_count;
    sh = &e->shared[e->shared_count++];
    sh->off = e->sbytes_len;
    sh->len = len;
    sh->memo = PK_NONE;
    sh->kind = ev->kind;
    if (len)
        memcpy(e->sbytes + e->sbytes_len, ev->v.s.ptr, len);
    e->sbytes[e->sbytes_len + len] = '\0';
    e->sbytes_len += len + 1;
    return pkw_anchor_set(e, ev->anchor, AN_SCALAR, *idx, PK_NONE);
}

/* Keeps array e->arrays[ai], met inside a record, as a shared value
 * (under its anchor, if any); *idx is its index in e->shared. */
static int pk_share_array(pk_enc *e, size_t ai, uint64_t anchor, size_t *idx)
{
    pk_shared *sh;
    if (e->shared_count == e->shared_cap &&
        brine_plugin_grow((void **)&e->shared, &e->shared_cap, e->shared_count + 1, sizeof *e->shared) != BRINE_OK)
        return pkw_nomem(e);
    *idx = e->shared_count;
    sh = &e->shared[e->shared_count++];
    sh->off = ai;
    sh->len = 0;
    sh->memo = PK_NONE;
    sh->kind = BRINE_EV_ARRAY;
    return anchor ? pkw_anchor_set(e, anchor, AN_SCALAR, *idx, PK_NONE) : BRINE_OK;
}

int pkw_shared(pk_enc *e, size_t idx)
{
    pk_shared *sh = &e->shared[idx];
    brine_event ev;
    int rc;
    if (sh->memo != PK_NONE)
        return pkw_get(e, sh->memo);
    if (sh->kind == BRINE_EV_ARRAY) {
        if ((rc = pkw_array_value(e, e->arrays[sh->off])) != BRINE_OK || e->dry)
            return rc;
        return pkw_memoize(e, &e->shared[idx].memo);
    }
    memset(&ev, 0, sizeof ev);
    ev.kind = sh->kind;
    ev.v.s.len = sh->len;
    if ((rc = pkw_scalar(e, &ev, e->sbytes + sh->off)) != BRINE_OK || e->dry)
        return rc;
    return pkw_memoize(e, &e->shared[idx].memo);
}

/* ---- recording ------------------------------------------------------------------ */

static int pk_depth_check(pk_enc *e)
{
    if (e->depth + e->rec_depth >= e->max_depth)
        return pkw_fail(e, BRINE_E_DEPTH, "maximum recursion depth exceeded while encoding (limit %zu)", e->max_depth);
    return BRINE_OK;
}

/* A model's children: args (a tuple, or a REF to one) then the state. */
static int pk_model_child(pk_enc *e, size_t n, const brine_event *ev, size_t ref_count)
{
    if (n >= 2)
        return pkw_fail(e, BRINE_E_INVALID, "a model has exactly two children, args and state");
    if (n == 0 && ev->kind != BRINE_EV_TUPLE && !(ev->kind == BRINE_EV_REF && ref_count != PK_NONE))
        return pkw_fail(e, BRINE_E_INVALID, "a model's args must be a tuple");
    return BRINE_OK;
}

static int pk_after_value(pk_enc *e);

static int pk_record(pk_enc *e, const brine_event *ev)
{
    pk_rec *r, *parent;
    size_t idx = e->rec_count, ref_count = PK_NONE;
    int rc;
    if (ev->kind == BRINE_EV_END) {
        size_t open = e->rec_open[e->rec_depth - 1];
        pk_rec *o = &e->rec[open];
        if (o->ev.kind == BRINE_EV_MODEL && o->count != 2)
            return pkw_fail(e, BRINE_E_INVALID, "a model has exactly two children, args and state");
        if (o->ev.kind == BRINE_EV_DICT && (o->count & 1))
            return pkw_fail(e, BRINE_E_INVALID, "a dict ended after a key");
        if (o->ev.kind != BRINE_EV_MODEL && o->ev.v.count != BRINE_COUNT_UNKNOWN &&
            o->count != (o->ev.kind == BRINE_EV_DICT ? 2 * o->ev.v.count : o->ev.v.count))
            return pkw_fail(e, BRINE_E_INVALID, "a container announced %zu values but got %zu", o->ev.v.count,
                            o->ev.kind == BRINE_EV_DICT ? o->count / 2 : o->count);
        if (o->ev.kind == BRINE_EV_DICT)
            o->count /= 2; /* pairs from now on */
    }
    if (e->rec_count == e->rec_cap &&
        brine_plugin_grow((void **)&e->rec, &e->rec_cap, e->rec_count + 1, sizeof *e->rec) != BRINE_OK)
        return pkw_nomem(e);
    r = &e->rec[idx];
    memset(r, 0, sizeof *r);
    r->ev = *ev;
    r->end = r->target = r->memo = r->shared = PK_NONE;
    if (ev->kind == BRINE_EV_END) {
        e->rec[e->rec_open[--e->rec_depth]].end = idx;
        e->rec_count++;
        if (e->rec_depth)
            return BRINE_OK;
        if ((rc = pkw_write_record(e)) != BRINE_OK)
            return rc;
        return pk_after_value(e);
    }
    parent = e->rec_depth ? &e->rec[e->rec_open[e->rec_depth - 1]] : NULL;
    if (ev->kind == BRINE_EV_REF) {
        pk_anchor *a = pk_anchor_find(e, ev->v.ref);
        if (!a)
            return pkw_fail(e, BRINE_E_REF, "a reference to anchor %llu, which was not defined before",
                            (unsigned long long)ev->v.ref);
        if (a->where == AN_SCALAR) { /* recorded as the scalar itself, which forms may read */
            r->shared = a->val;
            r->ev.kind = e->shared[a->val].kind;
            r->ev.v.s.len = e->shared[a->val].len;
            r->ev.v.s.ptr = NULL;
        } else if (a->where == AN_NODE) {
            r->target = a->val;
            ref_count = e->rec[a->val].ev.kind == BRINE_EV_TUPLE ? 0 : PK_NONE;
        } else {
            r->memo = a->val;
            r->count = ref_count = a->count;
        }
    }
    if (parent && parent->ev.kind == BRINE_EV_MODEL && (rc = pk_model_child(e, parent->count, ev, ref_count)))
        return rc;
    if (parent && parent->ev.kind != BRINE_EV_MODEL && parent->ev.v.count != BRINE_COUNT_UNKNOWN &&
        parent->count >= (parent->ev.kind == BRINE_EV_DICT ? 2 * parent->ev.v.count : parent->ev.v.count))
        return pkw_fail(e, BRINE_E_INVALID, "a container got more values than it announced");
    if (ev->kind == BRINE_EV_ARRAY) {
        size_t ai;
        if ((rc = pkw_array_keep(e, ev->v.array, &ai)) != BRINE_OK ||
            (rc = pk_share_array(e, ai, ev->anchor, &e->rec[idx].shared)) != BRINE_OK)
            return rc;
        r->ev.v.array = NULL;
    } else if (ev->anchor && pk_is_blob(ev->kind)) {
        if ((rc = pk_share(e, ev, &e->rec[idx].shared)) != BRINE_OK)
            return rc;
        r->ev.v.s.ptr = NULL;
    } else if (ev->kind == BRINE_EV_BIGINT || ev->kind == BRINE_EV_STR || ev->kind == BRINE_EV_BYTES ||
               ev->kind == BRINE_EV_MODEL) {
        size_t len = ev->v.s.len;
        if (len >= e->bytes_cap - e->bytes_len &&
            (len >= SIZE_MAX - e->bytes_len ||
             brine_plugin_grow((void **)&e->bytes, &e->bytes_cap, e->bytes_len + len + 1, 1) != BRINE_OK))
            return pkw_nomem(e);
        if (len)
            memcpy(e->bytes + e->bytes_len, ev->v.s.ptr, len);
        e->bytes[e->bytes_len + len] = '\0';
        r->str_off = e->bytes_len;
        e->bytes_len += len + 1;
        r->ev.v.s.ptr = NULL;
    }
    if (parent && parent->ev.kind == BRINE_EV_DICT && !(parent->count & 1))
        parent->memo = idx; /* the current key, for error paths */
    if (parent)
        parent->count++;
    e->rec_count++;
    if (ev->kind < BRINE_EV_LIST || ev->kind > BRINE_EV_MODEL)
        return BRINE_OK;
    if ((rc = pk_depth_check(e)) != BRINE_OK)
        return rc;
    r->end = idx; /* a begin: the real END index comes later */
    if (ev->anchor && (rc = pkw_anchor_set(e, ev->anchor, AN_NODE, idx, PK_NONE)) != BRINE_OK)
        return rc;
    if (e->rec_depth == e->rec_open_cap &&
        brine_plugin_grow((void **)&e->rec_open, &e->rec_open_cap, e->rec_depth + 1, sizeof *e->rec_open) != BRINE_OK)
        return pkw_nomem(e);
    e->rec_open[e->rec_depth++] = idx;
    return BRINE_OK;
}

/* ---- streaming -------------------------------------------------------------------- */

static int pk_is_special(const brine_event *ev)
{
    static const char *const names[] = {"builtins.set", "builtins.frozenset", "builtins.bytearray",
                                        "copyreg.__newobj__", NULL};
    const char *s = ev->v.s.ptr;
    size_t len = ev->v.s.len;
    if (len > 7 && memcmp(s, "pickle.", 7) == 0)
        return 1;
    for (size_t i = 0; names[i]; i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
            return 1;
    return 0;
}

/* A value is complete: its container counts it, closing a batch. */
static int pk_after_value(pk_enc *e)
{
    pk_frame *f;
    if (e->depth == 0) {
        e->done = 1;
        return BRINE_OK;
    }
    f = &e->stack[e->depth - 1];
    f->n++;
    switch (f->kind) {
    case BRINE_EV_LIST:
    case BRINE_EV_DICT:
        if (f->kind == BRINE_EV_DICT && (f->n & 1))
            return BRINE_OK;
        if (++f->batch == PK_BATCH ||
            (f->count != BRINE_COUNT_UNKNOWN && f->n == (f->kind == BRINE_EV_DICT ? 2 * f->count : f->count))) {
            f->batch = 0;
            if (f->kind == BRINE_EV_LIST)
                return pkw_op(e, f->marked ? PKOP_APPENDS : PKOP_APPEND);
            return pkw_op(e, f->marked ? PKOP_SETITEMS : PKOP_SETITEM);
        }
        return BRINE_OK;
    case BRINE_EV_MODEL:
        if (f->n == 1)
            return pkw_op(e, e->last_count == 0 ? PKOP_NEWOBJ : PKOP_REDUCE);
        return f->state_set ? pkw_op(e, PKOP_BUILD) : BRINE_OK;
    default: return BRINE_OK;
    }
}

/* A MARK for a batch or tuple whose size is not announced. */
static int pk_open_mark(pk_enc *e, pk_frame *f)
{
    f->marked = 1;
    f->mark_pos = e->frame_len;
    f->mark_gen = e->frame_gen;
    return pkw_op(e, PKOP_MARK);
}

/* Takes back that MARK when the batch or tuple turned out small enough
 * for CPython's one-item opcodes, if it is still in the frame being
 * filled (protocol 4+); otherwise the MARK form stays, which loads the
 * same. Returns 1 if it was taken back. */
static int pk_unmark(pk_enc *e, pk_frame *f)
{
    if (e->proto < 4 || f->mark_gen != e->frame_gen || f->mark_pos >= e->frame_len)
        return 0;
    memmove(e->frame + f->mark_pos, e->frame + f->mark_pos + 1, e->frame_len - f->mark_pos - 1);
    e->frame_len--;
    f->marked = 0;
    return 1;
}

/* Before a value inside a streamed container: its batch's MARK, checks. */
static int pk_before_value(pk_enc *e, const brine_event *ev)
{
    pk_frame *f = &e->stack[e->depth - 1];
    size_t ref_count = PK_NONE;
    int rc;
    if (f->kind == BRINE_EV_MODEL) {
        if (ev->kind == BRINE_EV_REF) {
            const pk_anchor *a = pk_anchor_find(e, ev->v.ref);
            ref_count = a ? a->count : PK_NONE;
        }
        if ((rc = pk_model_child(e, f->n, ev, ref_count)) != BRINE_OK)
            return rc;
        if (f->n == 1)
            f->state_set = ev->kind != BRINE_EV_NULL;
        return BRINE_OK;
    }
    if (f->count != BRINE_COUNT_UNKNOWN && f->n >= (f->kind == BRINE_EV_DICT ? 2 * f->count : f->count))
        return pkw_fail(e, BRINE_E_INVALID, "a container got more values than it announced");
    if (f->kind == BRINE_EV_DICT && !(f->n & 1)) {
        f->key_kind = (uint8_t)ev->kind;
        f->key_u = ev->v.u;
        e->keys_len = f->key_pos;
        if (ev->kind == BRINE_EV_STR) {
            /* A path shows at most BRINE_PATH_KEY_MAX bytes of a key: one
             * more tells the renderer to cut it. */
            size_t n = ev->v.s.len > BRINE_PATH_KEY_MAX ? BRINE_PATH_KEY_MAX + 1 : ev->v.s.len;
            if (n > e->keys_cap - e->keys_len &&
                brine_plugin_grow((void **)&e->keys, &e->keys_cap, e->keys_len + n, 1) != BRINE_OK)
                return pkw_nomem(e);
            if (n)
                memcpy(e->keys + e->keys_len, ev->v.s.ptr, n);
            e->keys_len += n;
            f->key_len = (uint32_t)n;
        } else if (ev->kind != BRINE_EV_INT && ev->kind != BRINE_EV_UINT && ev->kind != BRINE_EV_FLOAT &&
                   ev->kind != BRINE_EV_NULL && ev->kind != BRINE_EV_BOOL) {
            f->key_kind = 0; /* bytes, a big int, a complex, a tuple: [...] */
        }
    }
    if ((f->kind == BRINE_EV_LIST || (f->kind == BRINE_EV_DICT && !(f->n & 1))) && f->batch == 0) {
        if (f->count == BRINE_COUNT_UNKNOWN)
            return pk_open_mark(e, f);
        f->marked = f->count != 1; /* CPython: APPEND / SETITEM only for a single item */
        if (f->marked)
            return pkw_op(e, PKOP_MARK);
    }
    return BRINE_OK;
}

static int pk_end(pk_enc *e)
{
    pk_frame *f;
    int rc = BRINE_OK;
    if (e->depth == 0)
        return pkw_fail(e, BRINE_E_INVALID, "an END without an open container");
    f = &e->stack[e->depth - 1];
    if (f->kind == BRINE_EV_MODEL
            ? f->n != 2
            : f->count != BRINE_COUNT_UNKNOWN && f->n != (f->kind == BRINE_EV_DICT ? 2 * f->count : f->count))
        return pkw_fail(e, BRINE_E_INVALID, "a container ended after %zu of its values", f->n);
    e->last_count = f->n;
    switch (f->kind) {
    case BRINE_EV_DICT:
        if (f->n & 1)
            return pkw_fail(e, BRINE_E_INVALID, "a dict ended after a key");
        /* fall through */
    case BRINE_EV_LIST:
        if (f->batch) {
            int one = f->n == (f->kind == BRINE_EV_DICT ? 2u : 1u) && pk_unmark(e, f);
            if (f->kind == BRINE_EV_LIST)
                rc = pkw_op(e, one ? PKOP_APPEND : PKOP_APPENDS);
            else
                rc = pkw_op(e, one ? PKOP_SETITEM : PKOP_SETITEMS);
        }
        /* CPython's dict loop adds an empty batch after a full last one. */
        if (!rc && f->kind == BRINE_EV_DICT && f->n && (f->n / 2) % PK_BATCH == 0 && !(rc = pkw_op(e, PKOP_MARK)))
            rc = pkw_op(e, PKOP_SETITEMS);
        break;
    case BRINE_EV_TUPLE:
        if (f->marked && f->n <= 3 && f->count == BRINE_COUNT_UNKNOWN)
            pk_unmark(e, f);
        rc = pkw_op(e, f->marked ? PKOP_TUPLE : f->n == 0 ? PKOP_EMPTY_TUPLE : PKOP_TUPLE1 + (unsigned)f->n - 1);
        break;
    default: break;
    }
    if (rc || (rc = pkw_boundary_close(e)) != BRINE_OK)
        return rc;
    e->depth--;
    return pk_after_value(e);
}

static int pk_open(pk_enc *e, const brine_event *ev)
{
    pk_frame *f;
    int rc;
    if ((rc = pk_depth_check(e)) != BRINE_OK)
        return rc;
    if ((ev->kind == BRINE_EV_TUPLE && ev->anchor) || (ev->kind == BRINE_EV_MODEL && (ev->anchor || pk_is_special(ev))))
        return pk_record(e, ev);
    if (e->depth == e->cap && brine_plugin_grow((void **)&e->stack, &e->cap, e->depth + 1, sizeof *e->stack) != BRINE_OK)
        return pkw_nomem(e);
    f = &e->stack[e->depth];
    memset(f, 0, sizeof *f);
    f->kind = (uint8_t)ev->kind;
    f->count = ev->kind == BRINE_EV_MODEL ? 2 : ev->v.count;
    f->key_pos = e->keys_len;
    switch (ev->kind) {
    case BRINE_EV_LIST:
    case BRINE_EV_DICT:
        if ((rc = pkw_op(e, ev->kind == BRINE_EV_LIST ? PKOP_EMPTY_LIST : PKOP_EMPTY_DICT)) != BRINE_OK)
            return rc;
        if (ev->anchor) {
            size_t idx;
            if ((rc = pkw_memoize(e, &idx)) || (rc = pkw_anchor_set(e, ev->anchor, AN_MEMO, idx, PK_NONE)))
                return rc;
        }
        break;
    case BRINE_EV_TUPLE:
        if (ev->v.count == BRINE_COUNT_UNKNOWN)
            rc = pk_open_mark(e, f);
        else if (ev->v.count > 3 && (f->marked = 1))
            rc = pkw_op(e, PKOP_MARK);
        if (rc)
            return rc;
        break;
    default:
        if ((rc = pkw_model_global(e, ev->v.s.ptr, ev->v.s.len)) != BRINE_OK)
            return rc;
        break;
    }
    e->depth++;
    return BRINE_OK;
}

static int pk_event(brine_sink *sink, const brine_event *ev)
{
    pk_enc *e = (pk_enc *)sink;
    int rc;
    if (e->status)
        return e->status;
    if (e->done)
        return pkw_fail(e, BRINE_E_INVALID, "an event after the end of the value");
    if (!e->started) {
        unsigned char hdr[2] = {PKOP_PROTO, (unsigned char)e->proto};
        e->started = 1;
        if ((rc = pk_out(e, hdr, 2)) != BRINE_OK)
            return rc;
    }
    if (e->rec_depth)
        return pk_record(e, ev);
    if (ev->kind == BRINE_EV_END)
        return pk_end(e);
    if (e->depth && (rc = pk_before_value(e, ev)) != BRINE_OK)
        return rc;
    if ((rc = pkw_boundary(e)) != BRINE_OK)
        return rc;
    switch (ev->kind) {
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE:
    case BRINE_EV_DICT:
    case BRINE_EV_MODEL: return pk_open(e, ev);
    case BRINE_EV_REF: {
        const pk_anchor *a = pk_anchor_find(e, ev->v.ref);
        if (!a)
            return pkw_fail(e, BRINE_E_REF, "a reference to anchor %llu, which was not defined before",
                            (unsigned long long)ev->v.ref);
        rc = a->where == AN_SCALAR ? pkw_shared(e, a->val) : pkw_get(e, a->val);
        e->last_count = a->count;
        break;
    }
    case BRINE_EV_ARRAY:
        rc = pkw_array(e, ev->v.array);
        if (rc == BRINE_OK && ev->anchor) {
            size_t idx;
            if ((rc = pkw_memoize(e, &idx)) == BRINE_OK)
                rc = pkw_anchor_set(e, ev->anchor, AN_MEMO, idx, PK_NONE);
        }
        break;
    default:
        /* A model's null state is no state: nothing to write, no BUILD. */
        if (ev->kind == BRINE_EV_NULL && e->depth && e->stack[e->depth - 1].kind == BRINE_EV_MODEL) {
            rc = BRINE_OK;
        } else if (ev->anchor && pk_is_blob(ev->kind)) {
            size_t idx;
            if ((rc = pk_share(e, ev, &idx)) == BRINE_OK)
                rc = pkw_shared(e, idx);
        } else {
            rc = pkw_scalar(e, ev, ev->v.s.ptr);
        }
        break;
    }
    return rc ? rc : pk_after_value(e);
}

static int pk_finish(brine_sink *sink)
{
    pk_enc *e = (pk_enc *)sink;
    int rc;
    if (e->status)
        return e->status;
    if (!e->done)
        return pkw_fail(e, BRINE_E_INVALID, "the events ended before the value was complete");
    if ((rc = pkw_op(e, PKOP_STOP)) || (rc = pk_commit(e)))
        return rc;
    if ((rc = brine_output_flush(e->out, e->sink.err)) != BRINE_OK && !e->status)
        e->status = rc;
    return rc;
}

static void pk_destroy(brine_sink *sink)
{
    pk_enc *e = (pk_enc *)sink;
    if (!e)
        return;
    brine_free(e->frame);
    brine_free(e->keys);
    brine_free(e->stack);
    brine_free(e->anchors);
    brine_free(e->shared);
    brine_free(e->sbytes);
    brine_free(e->rec);
    brine_free(e->rec_open);
    brine_free(e->bytes);
    brine_free(e->gs);
    brine_free(e->scratch);
    brine_free(e->arrays);
    brine_doc_free(e->adoc);
    pk_allow_free(&e->allow);
    brine_free(e);
}

brine_sink *pk_encoder_new(brine_output *out, const brine_options *opts, brine_error *err)
{
    const char *p = brine_options_get(opts, "protocol");
    int proto = 4;
    pk_enc *e;
    if (p) {
        if (p[0] < '2' || p[0] > '5' || p[1] != '\0') {
            brine_error_set(err, BRINE_E_OPTION, "protocol takes 2, 3, 4 or 5, not '%s'", p);
            return NULL;
        }
        proto = p[0] - '0';
    }
    e = brine_malloc(sizeof *e);
    if (!e) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    memset(e, 0, sizeof *e);
    e->sink.event = pk_event;
    e->sink.finish = pk_finish;
    e->sink.destroy = pk_destroy;
    /* Pickle always has its memo; arrays go out as numpy writes them. */
    e->sink.flags = BRINE_SINK_REFS | BRINE_SINK_SCALAR_REFS | BRINE_SINK_ARRAYS;
    e->sink.err = err;
    e->out = out;
    e->proto = proto;
    e->max_depth = brine_options_max_depth(opts);
    if ((p = brine_options_get(opts, "zerod")) != NULL) {
        if (strcmp(p, "array") && strcmp(p, "scalar")) {
            brine_error_set(err, BRINE_E_OPTION, "zerod takes scalar or array, not '%s'", p);
            brine_free(e);
            return NULL;
        }
        e->zerod_array = strcmp(p, "array") == 0;
    }
    if (pk_allow_add(&e->allow, "safe", err) || pk_allow_options(&e->allow, opts, err)) {
        pk_allow_free(&e->allow);
        brine_free(e);
        return NULL;
    }
    return &e->sink;
}
