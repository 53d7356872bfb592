/* writer.c: the pickle encoder, a sink writing what CPython's pickle.loads
 * rebuilds (protocol 4 by default, 2 to 5). Scalars, lists, dicts, unshared
 * tuples and plain models stream straight out; a shared tuple or model, or a
 * specially named model, is recorded and written by a port of CPython's
 * Pickler.save() (lookahead: a tuple met inside itself gets POP + GET). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "pickle.h"

#define PK_FRAME_TARGET (64 * 1024) /* CPython's _Framer.FRAME_SIZE_TARGET */
#define PK_FRAME_MIN 4              /* smaller frames get no FRAME opcode */
#define PK_BATCH 1000               /* CPython's Pickler._BATCHSIZE */
#define PK_NONE SIZE_MAX

/* Models recognised by name (each only in its exact shape, see pk_form). */
enum {
    FORM_GENERIC,
    FORM_SET,
    FORM_FROZENSET,
    FORM_BYTEARRAY,
    FORM_GLOBAL,
    FORM_CALL,
    FORM_PERSID,
    FORM_EXT,
    FORM_NEWOBJ, /* copyreg.__newobj__(cls, *args) as CPython writes it: cls, args, NEWOBJ */
    FORM_RSTATE  /* pickle.reduce_state as a model's state: items, then BUILD */
};

/* Where an anchor lives: a memo index, or a node of the record being taken. */
enum { AN_FREE, AN_MEMO, AN_NODE };

typedef struct pk_anchor {
    uint64_t id;
    size_t val;   /* memo index or node index */
    size_t count; /* a tuple's element count, else PK_NONE */
    int where;    /* AN_* */
} pk_anchor;

/* One recorded event. Strings point into the record's byte arena by
 * offset (it moves when it grows). */
typedef struct pk_rec {
    brine_event ev;
    size_t str_off;
    size_t end;    /* begin events: index of the matching END */
    size_t count;  /* begin events: children */
    size_t target; /* REF: node index, or PK_NONE for an anchor outside */
    size_t memo;   /* REF outside: its memo index; nodes: their memo index */
    size_t mark;   /* nodes: pk_g.progress when last entered */
    uint8_t state; /* nodes: 0 unseen, 1 open, 2 memoized */
    uint8_t need;  /* nodes: gets a memo entry (shared, or fetched by GET) */
} pk_rec;

/* A container being streamed. */
typedef struct pk_frame {
    size_t count;      /* announced children (a dict: pairs), or BRINE_COUNT_UNKNOWN */
    size_t n;          /* children written (a dict: keys and values) */
    size_t batch;      /* items in the current APPENDS / SETITEMS batch */
    size_t mark_pos;   /* count unknown: where the MARK went in the frame */
    uint64_t mark_gen; /* ... and which frame that was */
    size_t key_pos;    /* dicts: the current key's copy in keys, for error paths */
    uint64_t key_u;    /* dicts: the current key if it is an int */
    uint32_t key_len;
    uint8_t key_kind; /* dicts: the current key's event kind (0: not kept) */
    uint8_t kind;     /* BRINE_EV_LIST ... */
    uint8_t marked;
    uint8_t state_set; /* models: the state is not null */
} pk_frame;

/* A node being written from the record. */
typedef struct pk_gframe {
    size_t node;
    size_t slot;  /* next child's record index */
    size_t i;     /* children done */
    size_t batch; /* items in the current batch */
    size_t saved_mark;
    size_t aux;  /* reduce_state: the items list being iterated */
    size_t pend; /* reduce_state: the (key, value) tuple being written */
    int form;
    int phase;
    uint8_t marked;
    uint8_t rstate;     /* models: the state is a reduce_state, which BUILDs itself */
    uint8_t dict_items; /* reduce_state: at the dict items */
} pk_gframe;

typedef struct pk_enc {
    brine_sink sink; /* first: the sink handle is the encoder */
    brine_output *out;
    int proto;
    int status;
    int started, done;
    size_t max_depth;
    size_t memo_count;    /* memo entries written */
    size_t last_count;    /* elements of the tuple last completed */
    unsigned char *frame; /* protocol 4+: the current frame's bytes */
    size_t frame_len, frame_cap;
    uint64_t frame_gen; /* frames committed */
    char *keys;         /* str keys along the streamed path, for error paths */
    size_t keys_len, keys_cap;
    pk_frame *stack; /* streamed containers */
    size_t depth, cap;
    pk_anchor *anchors; /* open addressing, cap a power of two */
    size_t anchors_count, anchors_cap;
    /* The record being taken (rec_depth > 0) */
    pk_rec *rec;
    size_t rec_count, rec_cap;
    size_t *rec_open; /* indices of open recorded begins */
    size_t rec_depth, rec_open_cap;
    char *bytes;
    size_t bytes_len, bytes_cap;
    /* Writing the record */
    pk_gframe *gs;
    size_t gdepth, gcap;
    size_t progress; /* memoizations so far: a re-entry must see one */
    int dry;
    unsigned char *scratch;
    size_t scratch_cap;
} pk_enc;

/* ---- errors and memory --------------------------------------------------- */

static int pk_fail(pk_enc *e, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Appends a dict key to an error path: .name, ["other str"], [int]. */
static void pk_path_key(char *path, size_t cap, const brine_event *key, const char *s)
{
    size_t len = strlen(path), n = key->v.s.len;
    int ident = key->kind == BRINE_EV_STR && n > 0 && !(s[0] >= '0' && s[0] <= '9');
    if (len + 4 >= cap)
        return;
    if (key->kind == BRINE_EV_INT || key->kind == BRINE_EV_UINT) {
        if (key->kind == BRINE_EV_INT)
            snprintf(path + len, cap - len, "[%lld]", (long long)key->v.i);
        else
            snprintf(path + len, cap - len, "[%llu]", (unsigned long long)key->v.u);
        return;
    }
    if (key->kind != BRINE_EV_STR || n > 200) {
        snprintf(path + len, cap - len, "[...]");
        return;
    }
    for (size_t i = 0; i < n && ident; i++)
        ident =
            s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9');
    if (ident) {
        snprintf(path + len, cap - len, ".%.*s", (int)n, s);
        return;
    }
    path[len++] = '[';
    path[len++] = '"';
    for (size_t i = 0; i < n && len + 4 < cap; i++) {
        if (s[i] == '"' || s[i] == '\\')
            path[len++] = '\\';
        path[len++] = s[i];
    }
    if (len + 3 <= cap) {
        path[len++] = '"';
        path[len++] = ']';
    }
    path[len] = '\0';
}

/* The path of the value being written: streamed frames, then the record. */
static void pk_path(const pk_enc *e, char *path, size_t cap)
{
    size_t len;
    snprintf(path, cap, "$");
    for (size_t i = 0; i < e->depth; i++) {
        const pk_frame *f = &e->stack[i];
        len = strlen(path);
        if (f->kind == BRINE_EV_DICT) {
            brine_event key;
            if (!(f->n & 1))
                return; /* at a key: the path of the dict */
            memset(&key, 0, sizeof key);
            key.kind = (brine_event_kind)f->key_kind;
            key.v.u = f->key_u;
            if (f->key_kind == BRINE_EV_STR)
                key.v.s.len = f->key_len;
            pk_path_key(path, cap, &key, e->keys + f->key_pos);
        } else if (f->kind == BRINE_EV_MODEL) {
            snprintf(path + len, cap - len, "%s", f->n == 0 ? ".args" : ".state");
        } else {
            snprintf(path + len, cap - len, "[%zu]", f->n);
        }
    }
    for (size_t i = 0; i < e->rec_depth; i++) {
        const pk_rec *r = &e->rec[e->rec_open[i]];
        size_t at = r->count ? r->count - 1 : 0; /* the child being recorded */
        len = strlen(path);
        if (r->ev.kind == BRINE_EV_DICT) {
            const pk_rec *k = r->memo != PK_NONE ? &e->rec[r->memo] : NULL;
            if ((at & 1) == 0)
                return;
            if (k)
                pk_path_key(path, cap, &k->ev, e->bytes + k->str_off);
        } else if (r->ev.kind == BRINE_EV_MODEL) {
            snprintf(path + len, cap - len, "%s", at == 0 ? ".args" : ".state");
        } else {
            snprintf(path + len, cap - len, "[%zu]", at);
        }
    }
}

static int pk_fail(pk_enc *e, int code, const char *fmt, ...)
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

static int pk_nomem(pk_enc *e)
{
    return pk_fail(e, BRINE_E_NOMEM, "out of memory");
}

static int pk_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t n = *cap ? *cap : 16;
    void *q;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem)
            return BRINE_E_NOMEM;
        n *= 2;
    }
    if (n == *cap)
        return BRINE_OK;
    q = brine_realloc(*p, n * elem);
    if (!q)
        return BRINE_E_NOMEM;
    *p = q;
    *cap = n;
    return BRINE_OK;
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

static int pk_put(pk_enc *e, const void *p, size_t len)
{
    if (e->dry)
        return BRINE_OK;
    if (e->proto < 4)
        return pk_out(e, p, len);
    if (len > e->frame_cap - e->frame_len &&
        pk_grow((void **)&e->frame, &e->frame_cap, e->frame_len + len, 1) != BRINE_OK)
        return pk_nomem(e);
    if (len)
        memcpy(e->frame + e->frame_len, p, len);
    e->frame_len += len;
    return BRINE_OK;
}

static int pk_op(pk_enc *e, unsigned op)
{
    unsigned char c = (unsigned char)op;
    return pk_put(e, &c, 1);
}

/* Before each value, like CPython's save(): a full frame is committed. */
static int pk_boundary(pk_enc *e)
{
    if (e->proto >= 4 && !e->dry && e->frame_len >= PK_FRAME_TARGET)
        return pk_commit(e);
    return BRINE_OK;
}

/* After a container closes: a long run of closing opcodes (deep nesting)
 * must not grow one frame without bound either. */
static int pk_boundary_close(pk_enc *e)
{
    if (e->proto >= 4 && !e->dry && e->frame_len >= 2 * PK_FRAME_TARGET)
        return pk_commit(e);
    return BRINE_OK;
}

/* A str or bytes payload: big ones go outside any frame, as CPython's
 * write_large_bytes does, so a reader can read them straight in. */
static int pk_payload(pk_enc *e, const unsigned char *hdr, size_t hlen, const void *p, size_t len)
{
    int rc;
    if (e->dry)
        return BRINE_OK;
    if (e->proto >= 4 && len >= PK_FRAME_TARGET) {
        if ((rc = pk_commit(e)) != BRINE_OK || (rc = pk_out(e, hdr, hlen)) != BRINE_OK)
            return rc;
        return pk_out(e, p, len);
    }
    if ((rc = pk_put(e, hdr, hlen)) != BRINE_OK)
        return rc;
    return pk_put(e, p, len);
}

static void pk_le(unsigned char *p, uint64_t v, int n)
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
        return pk_payload(e, hdr, 2, le, len);
    }
    if (len > INT32_MAX)
        return pk_fail(e, BRINE_E_UNSUPPORTED, "an integer of %zu bytes exceeds pickle's LONG4 limit", len);
    hdr[0] = PKOP_LONG4;
    pk_le(hdr + 1, len, 4);
    return pk_payload(e, hdr, 5, le, len);
}

static int pk_int(pk_enc *e, int64_t v)
{
    unsigned char b[9];
    size_t n = 8;
    if (v >= 0 && v <= 0xff) {
        b[0] = PKOP_BININT1;
        b[1] = (unsigned char)v;
        return pk_put(e, b, 2);
    }
    if (v >= 0 && v <= 0xffff) {
        b[0] = PKOP_BININT2;
        pk_le(b + 1, (uint64_t)v, 2);
        return pk_put(e, b, 3);
    }
    if (v >= INT32_MIN && v <= INT32_MAX) {
        b[0] = PKOP_BININT;
        pk_le(b + 1, (uint64_t)v, 4);
        return pk_put(e, b, 5);
    }
    pk_le(b, (uint64_t)v, 8);
    while (n > 1 && ((b[n - 1] == 0 && !(b[n - 2] & 0x80)) || (b[n - 1] == 0xff && (b[n - 2] & 0x80))))
        n--;
    return pk_long(e, b, n);
}

static int pk_uint(pk_enc *e, uint64_t u)
{
    unsigned char b[9];
    if (u <= INT64_MAX)
        return pk_int(e, (int64_t)u);
    pk_le(b, u, 8);
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
    return pk_put(e, b, 9);
}

static int pk_str(pk_enc *e, const char *s, size_t len)
{
    unsigned char hdr[9];
    if (len < 256 && e->proto >= 4) {
        hdr[0] = PKOP_SHORT_BINUNICODE;
        hdr[1] = (unsigned char)len;
        return pk_payload(e, hdr, 2, s, len);
    }
    if (len <= 0xffffffffu) {
        hdr[0] = PKOP_BINUNICODE;
        pk_le(hdr + 1, len, 4);
        return pk_payload(e, hdr, 5, s, len);
    }
    if (e->proto < 4)
        return pk_fail(e, BRINE_E_UNSUPPORTED, "a str of %zu bytes needs protocol 4", len);
    hdr[0] = PKOP_BINUNICODE8;
    pk_le(hdr + 1, len, 8);
    return pk_payload(e, hdr, 9, s, len);
}

/* The global module.qualname: STACK_GLOBAL from protocol 4, else GLOBAL
 * (a dotted qualname through getattr, as CPython does for protocol 3). */
static int pk_global(pk_enc *e, const char *mod, size_t mlen, const char *qual, size_t qlen)
{
    const char *getattr_g = e->proto < 3 ? "c__builtin__\ngetattr\n" : "cbuiltins\ngetattr\n";
    size_t parts = 1, start;
    int rc;
    if (e->proto >= 4) {
        if ((rc = pk_str(e, mod, mlen)) || (rc = pk_str(e, qual, qlen)))
            return rc;
        return pk_op(e, PKOP_STACK_GLOBAL);
    }
    if (e->proto < 3 && mlen == 8 && memcmp(mod, "builtins", 8) == 0) {
        mod = "__builtin__"; /* Python 2's name, as CPython writes it (fix_imports) */
        mlen = 11;
    }
    if (memchr(mod, '\n', mlen) || memchr(qual, '\n', qlen))
        return pk_fail(e, BRINE_E_UNSUPPORTED, "a global name with a newline needs protocol 4");
    for (size_t i = 0; i < qlen; i++)
        parts += qual[i] == '.';
    for (size_t i = 1; i < parts; i++)
        if ((rc = pk_put(e, getattr_g, strlen(getattr_g))))
            return rc;
    for (start = 0; start < qlen && qual[start] != '.'; start++)
        ;
    if ((rc = pk_op(e, PKOP_GLOBAL)) || (rc = pk_put(e, mod, mlen)) || (rc = pk_op(e, '\n')) ||
        (rc = pk_put(e, qual, start)) || (rc = pk_op(e, '\n')))
        return rc;
    while (start < qlen) {
        size_t p = ++start;
        while (start < qlen && qual[start] != '.')
            start++;
        if ((rc = pk_str(e, qual + p, start - p)) || (rc = pk_op(e, PKOP_TUPLE2)) || (rc = pk_op(e, PKOP_REDUCE)))
            return rc;
    }
    return BRINE_OK;
}

/* A model's name as module and qualname: "module:qualname" when it has a
 * colon, else split at the last dot. */
static int pk_model_global(pk_enc *e, const char *name, size_t len)
{
    const char *colon = memchr(name, ':', len);
    size_t m;
    if (colon) {
        m = (size_t)(colon - name);
        if (m == 0 || m + 1 == len)
            goto bad;
        return pk_global(e, name, m, colon + 1, len - m - 1);
    }
    for (m = len; m > 0 && name[m - 1] != '.'; m--)
        ;
    if (m < 2 || m == len)
        goto bad;
    return pk_global(e, name, m - 1, name + m, len - m);
bad:
    return pk_fail(e, BRINE_E_UNSUPPORTED, "model name '%.*s' is not module.qualname, which pickle needs",
                   (int)(len > 80 ? 80 : len), name);
}

static int pk_bytes(pk_enc *e, const unsigned char *p, size_t len)
{
    unsigned char hdr[9];
    unsigned char *u;
    size_t n = 0;
    int rc;
    if (e->proto >= 3) {
        if (len < 256) {
            hdr[0] = PKOP_SHORT_BINBYTES;
            hdr[1] = (unsigned char)len;
            return pk_payload(e, hdr, 2, p, len);
        }
        if (len <= 0xffffffffu) {
            hdr[0] = PKOP_BINBYTES;
            pk_le(hdr + 1, len, 4);
            return pk_payload(e, hdr, 5, p, len);
        }
        if (e->proto < 4)
            return pk_fail(e, BRINE_E_UNSUPPORTED, "bytes of %zu bytes need protocol 4", len);
        hdr[0] = PKOP_BINBYTES8;
        pk_le(hdr + 1, len, 8);
        return pk_payload(e, hdr, 9, p, len);
    }
    /* Protocol 2 has no bytes: _codecs.encode(latin-1 text, 'latin1'), as
     * CPython writes it (also for b'', which CPython writes as bytes()). */
    if (len > SIZE_MAX / 2 || pk_grow((void **)&e->scratch, &e->scratch_cap, 2 * len + 1, 1) != BRINE_OK)
        return pk_nomem(e);
    u = e->scratch;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < 0x80) {
            u[n++] = p[i];
        } else {
            u[n++] = (unsigned char)(0xc0 | (p[i] >> 6));
            u[n++] = (unsigned char)(0x80 | (p[i] & 0x3f));
        }
    }
    if ((rc = pk_global(e, "_codecs", 7, "encode", 6)) || (rc = pk_str(e, (const char *)u, n)) ||
        (rc = pk_str(e, "latin1", 6)) || (rc = pk_op(e, PKOP_TUPLE2)))
        return rc;
    return pk_op(e, PKOP_REDUCE);
}

static int pk_scalar(pk_enc *e, const brine_event *ev, const char *s)
{
    int rc;
    switch (ev->kind) {
    case BRINE_EV_NULL: return pk_op(e, PKOP_NONE);
    case BRINE_EV_BOOL: return pk_op(e, ev->v.boolean ? PKOP_NEWTRUE : PKOP_NEWFALSE);
    case BRINE_EV_INT: return pk_int(e, ev->v.i);
    case BRINE_EV_UINT: return pk_uint(e, ev->v.u);
    case BRINE_EV_BIGINT: return pk_long(e, (const unsigned char *)s, ev->v.s.len);
    case BRINE_EV_FLOAT: return pk_float(e, ev->v.f);
    case BRINE_EV_COMPLEX:
        if ((rc = pk_global(e, "builtins", 8, "complex", 7)) || (rc = pk_float(e, ev->v.c.re)) ||
            (rc = pk_float(e, ev->v.c.im)) || (rc = pk_op(e, PKOP_TUPLE2)))
            return rc;
        return pk_op(e, PKOP_REDUCE);
    case BRINE_EV_STR: return pk_str(e, s, ev->v.s.len);
    case BRINE_EV_BYTES: return pk_bytes(e, (const unsigned char *)s, ev->v.s.len);
    default: return pk_fail(e, BRINE_E_INVALID, "unknown event kind %d", (int)ev->kind);
    }
}

static int pk_get(pk_enc *e, size_t idx)
{
    unsigned char b[5];
    if (idx < 256) {
        b[0] = PKOP_BINGET;
        b[1] = (unsigned char)idx;
        return pk_put(e, b, 2);
    }
    if (idx > 0xffffffffu)
        return pk_fail(e, BRINE_E_UNSUPPORTED, "more than 2^32 shared containers");
    b[0] = PKOP_LONG_BINGET;
    pk_le(b + 1, idx, 4);
    return pk_put(e, b, 5);
}

/* Writes a memo entry for the next index and returns it in *idx. */
static int pk_memoize(pk_enc *e, size_t *idx)
{
    unsigned char b[5];
    *idx = e->memo_count;
    if (e->dry)
        return BRINE_OK;
    e->memo_count++;
    if (e->proto >= 4)
        return pk_op(e, PKOP_MEMOIZE);
    if (*idx < 256) {
        b[0] = PKOP_BINPUT;
        b[1] = (unsigned char)*idx;
        return pk_put(e, b, 2);
    }
    if (*idx > 0xffffffffu)
        return pk_fail(e, BRINE_E_UNSUPPORTED, "more than 2^32 shared containers");
    b[0] = PKOP_LONG_BINPUT;
    pk_le(b + 1, *idx, 4);
    return pk_put(e, b, 5);
}

/* ---- anchors ------------------------------------------------------------------ */

static size_t pk_hash(uint64_t id)
{
    id ^= id >> 33;
    id *= 0xff51afd7ed558ccdULL;
    id ^= id >> 33;
    return (size_t)id;
}

static pk_anchor *pk_anchor_find(pk_enc *e, uint64_t id)
{
    size_t mask = e->anchors_cap - 1;
    if (!e->anchors_cap)
        return NULL;
    for (size_t i = pk_hash(id) & mask;; i = (i + 1) & mask) {
        if (e->anchors[i].where == AN_FREE)
            return NULL;
        if (e->anchors[i].id == id)
            return &e->anchors[i];
    }
}

static int pk_anchor_set(pk_enc *e, uint64_t id, int where, size_t val, size_t count)
{
    pk_anchor *a = pk_anchor_find(e, id);
    if (!a) {
        size_t mask;
        if (2 * (e->anchors_count + 1) > e->anchors_cap) {
            size_t ncap = e->anchors_cap ? 2 * e->anchors_cap : 64;
            pk_anchor *old = e->anchors, *na;
            if (ncap > SIZE_MAX / sizeof *na || !(na = brine_malloc(ncap * sizeof *na)))
                return pk_nomem(e);
            memset(na, 0, ncap * sizeof *na);
            for (size_t i = 0; i < e->anchors_cap; i++) {
                if (old[i].where == AN_FREE)
                    continue;
                for (size_t j = pk_hash(old[i].id) & (ncap - 1);; j = (j + 1) & (ncap - 1)) {
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
        for (size_t i = pk_hash(id) & mask;; i = (i + 1) & mask) {
            if (e->anchors[i].where == AN_FREE) {
                a = &e->anchors[i];
                break;
            }
        }
        e->anchors_count++;
        a->id = id;
    } else if (a->where == AN_NODE && where == AN_NODE) {
        return pk_fail(e, BRINE_E_INVALID, "anchor %llu is defined twice", (unsigned long long)id);
    }
    a->where = where;
    a->val = val;
    a->count = count;
    return BRINE_OK;
}

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
    return e->bytes ? e->bytes + r->str_off : NULL; /* no strings recorded: scalars need none */
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
    if (e->gdepth == e->gcap && pk_grow((void **)&e->gs, &e->gcap, e->gdepth + 1, sizeof *e->gs) != BRINE_OK)
        return pk_nomem(e);
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
    return pk_memoize(e, &r->memo);
}

/* The value in a child slot: written, fetched, or pushed to be written. */
static int pk_gsave(pk_enc *e, size_t slot)
{
    pk_rec *r = &e->rec[slot];
    size_t node;
    int rc;
    if ((rc = pk_boundary(e)) != BRINE_OK)
        return rc;
    if (r->ev.kind == BRINE_EV_REF && r->target == PK_NONE)
        return pk_get(e, r->memo);
    node = pk_slot_node(e, slot);
    if (node == PK_NONE)
        return pk_scalar(e, &r->ev, pk_rec_str(e, r));
    r = &e->rec[node];
    if (r->state == 2) {
        if (e->dry) {
            r->need = 1;
            return BRINE_OK;
        }
        return pk_get(e, r->memo);
    }
    if (r->ev.kind == BRINE_EV_TUPLE && r->count == 0) {
        /* CPython never memoizes (), a singleton in Python; a shared one
         * is memoized all the same, so that brine reads it back shared. */
        int rc2 = pk_op(e, PKOP_EMPTY_TUPLE);
        return rc2 || !r->ev.anchor ? rc2 : pk_gmemo(e, node);
    }
    /* Met again while open: CPython writes it again here, and this inner
     * copy is the one kept. Unless something was memoized since it was
     * last entered, it contains itself through tuples only, which no
     * pickle can express (Python cannot build such a value either). */
    if (r->state == 1 && r->mark == e->progress)
        return pk_fail(e, BRINE_E_UNSUPPORTED,
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
        rc = pk_op(e, r->ev.kind == BRINE_EV_LIST ? PKOP_EMPTY_LIST : PKOP_EMPTY_DICT);
        return rc ? rc : pk_gmemo(e, g->node);
    case BRINE_EV_TUPLE:
        if (r->count > 3) {
            g->marked = 1;
            return pk_op(e, PKOP_MARK);
        }
        return BRINE_OK;
    default: break;
    }
    g->form = pk_form(e, g->node);
    switch (g->form) {
    case FORM_SET:
        g->slot = args + 2; /* the list's items */
        if ((rc = pk_op(e, PKOP_EMPTY_SET)) == BRINE_OK)
            rc = pk_gmemo(e, g->node);
        return rc;
    case FORM_FROZENSET:
        g->slot = args + 2;
        g->marked = 1;
        return pk_op(e, PKOP_MARK);
    case FORM_BYTEARRAY: {
        const pk_rec *b = &e->rec[args + 1];
        unsigned char hdr[9];
        hdr[0] = PKOP_BYTEARRAY8;
        pk_le(hdr + 1, b->ev.v.s.len, 8);
        g->phase = PH_SPECIAL_DONE;
        return pk_payload(e, hdr, 9, pk_rec_str(e, b), b->ev.v.s.len);
    }
    case FORM_GLOBAL: {
        const pk_rec *m = &e->rec[args + 1], *q = &e->rec[args + 2];
        g->phase = PH_SPECIAL_DONE;
        return pk_global(e, pk_rec_str(e, m), m->ev.v.s.len, pk_rec_str(e, q), q->ev.v.s.len);
    }
    case FORM_EXT: {
        const brine_event *c = &e->rec[args + 1].ev;
        uint64_t code = c->kind == BRINE_EV_INT ? (uint64_t)c->v.i : c->v.u;
        unsigned char b[5];
        int w = code <= 0xff ? 1 : code <= 0xffff ? 2 : 4;
        b[0] = (unsigned char)(w == 1 ? PKOP_EXT1 : w == 2 ? PKOP_EXT2 : PKOP_EXT4);
        pk_le(b + 1, code, w);
        g->phase = PH_SPECIAL_DONE;
        return pk_put(e, b, 1 + (size_t)w);
    }
    case FORM_CALL:
    case FORM_NEWOBJ:
    case FORM_PERSID: g->slot = args + 1; return BRINE_OK;
    default: g->slot = args; return pk_model_global(e, pk_rec_str(e, r), r->ev.v.s.len);
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
        return pk_op(e, op);
    }
    if (r->state == 2) {
        if (g->marked)
            rc = pk_op(e, PKOP_POP_MARK);
        for (size_t i = 0; !g->marked && i < pops && rc == BRINE_OK; i++)
            rc = pk_op(e, PKOP_POP);
        if (rc)
            return rc;
        if (e->dry) {
            r->need = 1;
            return BRINE_OK;
        }
        return pk_get(e, r->memo);
    }
    if (op && (rc = pk_op(e, op)) != BRINE_OK)
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
            if (g->marked && (rc = pk_op(e, PKOP_MARK)) != BRINE_OK)
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
            return pk_op(e, g->marked ? PKOP_SETITEMS : PKOP_SETITEM);
        return pk_op(e, g->marked ? PKOP_APPENDS : PKOP_APPEND);
    case PH_RS_STATE:
        g->phase = PH_RS_BUILD;
        if (e->rec[g->node + 2].ev.kind == BRINE_EV_NULL) /* S: the args tuple's first element */
            return BRINE_OK;
        return pk_gsave(e, g->node + 2);
    default: /* PH_RS_BUILD */
        if (e->rec[g->node + 2].ev.kind != BRINE_EV_NULL && (rc = pk_op(e, PKOP_BUILD)) != BRINE_OK)
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
        if ((rc = pk_op(e, n == 0 ? PKOP_NEWOBJ : PKOP_REDUCE)) || (rc = pk_gclose(e, g, 1, 0)) != BRINE_OK)
            return rc;
        goto state;
    }
    case PH_CALL_ARGS:
        if (g->form == FORM_NEWOBJ) { /* the args after cls, as a tuple */
            size_t rest = e->rec[node + 1].count - 1;
            if ((rc = pk_op(e, rest > 3 ? PKOP_TUPLE : PKOP_TUPLE1 + (unsigned)rest - 1)) != BRINE_OK)
                return rc;
        }
        if ((rc = pk_op(e, g->form == FORM_CALL     ? PKOP_REDUCE
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
            (rc = pk_op(e, PKOP_BUILD)) != BRINE_OK)
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
                (rc = pk_op(e, PKOP_MARK)) != BRINE_OK)
                return rc;
            rc = pk_gsave(e, g->slot);
            g->slot = pk_next_slot(e, g->slot);
            return rc;
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
                if (g->marked && (rc = pk_op(e, PKOP_MARK)) != BRINE_OK)
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
            ((rc = pk_op(e, PKOP_MARK)) || (rc = pk_op(e, g->form == FORM_SET ? PKOP_ADDITEMS : PKOP_SETITEMS))))
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
    return pk_boundary_close(e);
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
    return pk_op(e, op);
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
static int pk_write_record(pk_enc *e)
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
        rc = pk_anchor_set(e, r->ev.anchor, AN_MEMO, r->memo, r->ev.kind == BRINE_EV_TUPLE ? r->count : PK_NONE);
    }
    if (rstate)
        f->state_set = 0; /* it wrote its own BUILD */
    e->last_count = e->rec[0].count;
    e->rec_count = 0;
    e->bytes_len = 0;
    return rc;
}

/* ---- recording ------------------------------------------------------------------ */

static int pk_depth_check(pk_enc *e)
{
    if (e->depth + e->rec_depth >= e->max_depth)
        return pk_fail(e, BRINE_E_DEPTH, "maximum recursion depth exceeded while encoding (limit %zu)", e->max_depth);
    return BRINE_OK;
}

/* A model's children: args (a tuple, or a REF to one) then the state. */
static int pk_model_child(pk_enc *e, size_t n, const brine_event *ev, size_t ref_count)
{
    if (n >= 2)
        return pk_fail(e, BRINE_E_INVALID, "a model has exactly two children, args and state");
    if (n == 0 && ev->kind != BRINE_EV_TUPLE && !(ev->kind == BRINE_EV_REF && ref_count != PK_NONE))
        return pk_fail(e, BRINE_E_INVALID, "a model's args must be a tuple");
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
            return pk_fail(e, BRINE_E_INVALID, "a model has exactly two children, args and state");
        if (o->ev.kind == BRINE_EV_DICT && (o->count & 1))
            return pk_fail(e, BRINE_E_INVALID, "a dict ended after a key");
        if (o->ev.kind != BRINE_EV_MODEL && o->ev.v.count != BRINE_COUNT_UNKNOWN &&
            o->count != (o->ev.kind == BRINE_EV_DICT ? 2 * o->ev.v.count : o->ev.v.count))
            return pk_fail(e, BRINE_E_INVALID, "a container announced %zu values but got %zu", o->ev.v.count,
                           o->ev.kind == BRINE_EV_DICT ? o->count / 2 : o->count);
        if (o->ev.kind == BRINE_EV_DICT)
            o->count /= 2; /* pairs from now on */
    }
    if (e->rec_count == e->rec_cap &&
        pk_grow((void **)&e->rec, &e->rec_cap, e->rec_count + 1, sizeof *e->rec) != BRINE_OK)
        return pk_nomem(e);
    r = &e->rec[idx];
    memset(r, 0, sizeof *r);
    r->ev = *ev;
    r->end = r->target = r->memo = PK_NONE;
    if (ev->kind == BRINE_EV_END) {
        e->rec[e->rec_open[--e->rec_depth]].end = idx;
        e->rec_count++;
        if (e->rec_depth)
            return BRINE_OK;
        if ((rc = pk_write_record(e)) != BRINE_OK)
            return rc;
        return pk_after_value(e);
    }
    parent = e->rec_depth ? &e->rec[e->rec_open[e->rec_depth - 1]] : NULL;
    if (ev->kind == BRINE_EV_REF) {
        pk_anchor *a = pk_anchor_find(e, ev->v.ref);
        if (!a)
            return pk_fail(e, BRINE_E_REF, "a reference to anchor %llu, which was not defined before",
                           (unsigned long long)ev->v.ref);
        if (a->where == AN_NODE) {
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
        return pk_fail(e, BRINE_E_INVALID, "a container got more values than it announced");
    if (ev->kind == BRINE_EV_BIGINT || ev->kind == BRINE_EV_STR || ev->kind == BRINE_EV_BYTES ||
        ev->kind == BRINE_EV_MODEL) {
        size_t len = ev->v.s.len;
        if (len + 1 > e->bytes_cap - e->bytes_len &&
            (len >= SIZE_MAX - e->bytes_len ||
             pk_grow((void **)&e->bytes, &e->bytes_cap, e->bytes_len + len + 1, 1) != BRINE_OK))
            return pk_nomem(e);
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
    if (ev->anchor && (rc = pk_anchor_set(e, ev->anchor, AN_NODE, idx, PK_NONE)) != BRINE_OK)
        return rc;
    if (e->rec_depth == e->rec_open_cap &&
        pk_grow((void **)&e->rec_open, &e->rec_open_cap, e->rec_depth + 1, sizeof *e->rec_open) != BRINE_OK)
        return pk_nomem(e);
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
                return pk_op(e, f->marked ? PKOP_APPENDS : PKOP_APPEND);
            return pk_op(e, f->marked ? PKOP_SETITEMS : PKOP_SETITEM);
        }
        return BRINE_OK;
    case BRINE_EV_MODEL:
        if (f->n == 1)
            return pk_op(e, e->last_count == 0 ? PKOP_NEWOBJ : PKOP_REDUCE);
        return f->state_set ? pk_op(e, PKOP_BUILD) : BRINE_OK;
    default: return BRINE_OK;
    }
}

/* A MARK for a batch or tuple whose size is not announced. */
static int pk_open_mark(pk_enc *e, pk_frame *f)
{
    f->marked = 1;
    f->mark_pos = e->frame_len;
    f->mark_gen = e->frame_gen;
    return pk_op(e, PKOP_MARK);
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
        return pk_fail(e, BRINE_E_INVALID, "a container got more values than it announced");
    if (f->kind == BRINE_EV_DICT && !(f->n & 1)) {
        f->key_kind = (uint8_t)ev->kind;
        f->key_u = ev->v.u;
        e->keys_len = f->key_pos;
        if (ev->kind == BRINE_EV_STR) {
            if (ev->v.s.len > 200) {
                f->key_kind = 0;
            } else {
                if (ev->v.s.len > e->keys_cap - e->keys_len &&
                    pk_grow((void **)&e->keys, &e->keys_cap, e->keys_len + ev->v.s.len, 1) != BRINE_OK)
                    return pk_nomem(e);
                if (ev->v.s.len)
                    memcpy(e->keys + e->keys_len, ev->v.s.ptr, ev->v.s.len);
                e->keys_len += ev->v.s.len;
                f->key_len = (uint32_t)ev->v.s.len;
            }
        } else if (ev->kind != BRINE_EV_INT && ev->kind != BRINE_EV_UINT) {
            f->key_kind = 0;
        }
    }
    if ((f->kind == BRINE_EV_LIST || (f->kind == BRINE_EV_DICT && !(f->n & 1))) && f->batch == 0) {
        if (f->count == BRINE_COUNT_UNKNOWN)
            return pk_open_mark(e, f);
        f->marked = f->count != 1; /* CPython: APPEND / SETITEM only for a single item */
        if (f->marked)
            return pk_op(e, PKOP_MARK);
    }
    return BRINE_OK;
}

static int pk_end(pk_enc *e)
{
    pk_frame *f;
    int rc = BRINE_OK;
    if (e->depth == 0)
        return pk_fail(e, BRINE_E_INVALID, "an END without an open container");
    f = &e->stack[e->depth - 1];
    if (f->kind == BRINE_EV_MODEL
            ? f->n != 2
            : f->count != BRINE_COUNT_UNKNOWN && f->n != (f->kind == BRINE_EV_DICT ? 2 * f->count : f->count))
        return pk_fail(e, BRINE_E_INVALID, "a container ended after %zu of its values", f->n);
    e->last_count = f->n;
    switch (f->kind) {
    case BRINE_EV_DICT:
        if (f->n & 1)
            return pk_fail(e, BRINE_E_INVALID, "a dict ended after a key");
        /* fall through */
    case BRINE_EV_LIST:
        if (f->batch) {
            int one = f->n == (f->kind == BRINE_EV_DICT ? 2u : 1u) && pk_unmark(e, f);
            if (f->kind == BRINE_EV_LIST)
                rc = pk_op(e, one ? PKOP_APPEND : PKOP_APPENDS);
            else
                rc = pk_op(e, one ? PKOP_SETITEM : PKOP_SETITEMS);
        }
        /* CPython's dict loop adds an empty batch after a full last one. */
        if (!rc && f->kind == BRINE_EV_DICT && f->n && (f->n / 2) % PK_BATCH == 0 && !(rc = pk_op(e, PKOP_MARK)))
            rc = pk_op(e, PKOP_SETITEMS);
        break;
    case BRINE_EV_TUPLE:
        if (f->marked && f->n <= 3 && f->count == BRINE_COUNT_UNKNOWN)
            pk_unmark(e, f);
        rc = pk_op(e, f->marked ? PKOP_TUPLE : f->n == 0 ? PKOP_EMPTY_TUPLE : PKOP_TUPLE1 + (unsigned)f->n - 1);
        break;
    default: break;
    }
    if (rc || (rc = pk_boundary_close(e)) != BRINE_OK)
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
    if (e->depth == e->cap && pk_grow((void **)&e->stack, &e->cap, e->depth + 1, sizeof *e->stack) != BRINE_OK)
        return pk_nomem(e);
    f = &e->stack[e->depth];
    memset(f, 0, sizeof *f);
    f->kind = (uint8_t)ev->kind;
    f->count = ev->kind == BRINE_EV_MODEL ? 2 : ev->v.count;
    f->key_pos = e->keys_len;
    switch (ev->kind) {
    case BRINE_EV_LIST:
    case BRINE_EV_DICT:
        if ((rc = pk_op(e, ev->kind == BRINE_EV_LIST ? PKOP_EMPTY_LIST : PKOP_EMPTY_DICT)) != BRINE_OK)
            return rc;
        if (ev->anchor) {
            size_t idx;
            if ((rc = pk_memoize(e, &idx)) || (rc = pk_anchor_set(e, ev->anchor, AN_MEMO, idx, PK_NONE)))
                return rc;
        }
        break;
    case BRINE_EV_TUPLE:
        if (ev->v.count == BRINE_COUNT_UNKNOWN)
            rc = pk_open_mark(e, f);
        else if (ev->v.count > 3 && (f->marked = 1))
            rc = pk_op(e, PKOP_MARK);
        if (rc)
            return rc;
        break;
    default:
        if ((rc = pk_model_global(e, ev->v.s.ptr, ev->v.s.len)) != BRINE_OK)
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
        return pk_fail(e, BRINE_E_INVALID, "an event after the end of the value");
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
    if ((rc = pk_boundary(e)) != BRINE_OK)
        return rc;
    switch (ev->kind) {
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE:
    case BRINE_EV_DICT:
    case BRINE_EV_MODEL: return pk_open(e, ev);
    case BRINE_EV_REF: {
        const pk_anchor *a = pk_anchor_find(e, ev->v.ref);
        if (!a)
            return pk_fail(e, BRINE_E_REF, "a reference to anchor %llu, which was not defined before",
                           (unsigned long long)ev->v.ref);
        rc = pk_get(e, a->val);
        e->last_count = a->count;
        break;
    }
    default:
        /* A model's null state is no state: nothing to write, no BUILD. */
        if (ev->kind == BRINE_EV_NULL && e->depth && e->stack[e->depth - 1].kind == BRINE_EV_MODEL)
            rc = BRINE_OK;
        else
            rc = pk_scalar(e, ev, ev->v.s.ptr);
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
        return pk_fail(e, BRINE_E_INVALID, "the events ended before the value was complete");
    if ((rc = pk_op(e, PKOP_STOP)) || (rc = pk_commit(e)))
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
    brine_free(e->rec);
    brine_free(e->rec_open);
    brine_free(e->bytes);
    brine_free(e->gs);
    brine_free(e->scratch);
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
    e->sink.flags = BRINE_SINK_REFS; /* pickle always has its memo */
    e->sink.err = err;
    e->out = out;
    e->proto = proto;
    e->max_depth = brine_options_max_depth(opts);
    return &e->sink;
}
