/* pathstep.c: the one renderer of error paths ($.users[3].name), used by
 * core's builder, walker and checker and by every plugin through the
 * brine_path_* calls of <brine/plugin.h>: one escaping and cutting rule
 * (documented there and in docs/plugins.md), the push/pop brine_path for
 * plugins without a frame stack of their own, and brine_error_merge_sink.
 * path.c parses what this file writes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

/* ---- appending a step -------------------------------------------------- */

static int path_is_cut(const char *path, size_t used)
{
    return used >= 3 && memcmp(path + used - 3, "...", 3) == 0;
}

/* Appends one whole step, or, when it does not fit with room left for a
 * closing "...", that "..." once: a cut path says so, and ends there. */
static void put_step(char *path, size_t cap, const char *text, size_t len)
{
    if (!path || cap < 4)
        return;
    size_t used = strnlen(path, cap);
    if (used >= cap)
        return; /* not a NUL-terminated path: leave it alone */
    if (path_is_cut(path, used))
        return;
    if (used + len + 4 <= cap) {
        memcpy(path + used, text, len);
        path[used + len] = '\0';
        return;
    }
    if (used + 4 > cap)
        used = cap - 4; /* a caller's text took all the room */
    memcpy(path + used, "...", 4);
}

/* ---- rendering one key into a step ------------------------------------- */

/* A step: '[', at most BRINE_PATH_KEY_MAX bytes of key text (quotes
 * included), then ']', or "...]" when the key text was cut. */
typedef struct step_buf {
    char text[BRINE_PATH_KEY_MAX + 8];
    size_t len;
    size_t key; /* bytes of key text so far */
    int cut;
} step_buf;

/* Adds one character's rendering (never split); 0 once the key is cut. */
static int step_add(step_buf *b, const char *s, size_t n)
{
    if (b->cut)
        return 0;
    if (b->key + n > BRINE_PATH_KEY_MAX) {
        b->cut = 1;
        return 0;
    }
    memcpy(b->text + b->len, s, n);
    b->len += n;
    b->key += n;
    return 1;
}

static void step_close(step_buf *b, char *path, size_t cap)
{
    if (b->cut) {
        memcpy(b->text + b->len, "...]", 4);
        b->len += 4;
    } else {
        b->text[b->len++] = ']';
    }
    put_step(path, cap, b->text, b->len);
}

static int is_identifier(const unsigned char *s, size_t len)
{
    if (len == 0 || len > BRINE_PATH_KEY_MAX || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

/* Bytes in the UTF-8 character at s (n bytes left), or 0 when s does not
 * start a valid one. */
static size_t utf8_char(const unsigned char *s, size_t n)
{
    size_t want = s[0] < 0x80 ? 1 : s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
    if (!want || want > n)
        return 0;
    return brine_utf8_check((const char *)s, want) == want ? want : 0;
}

void brinep_path_str_key(char *path, size_t cap, const char *text, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)text;
    if (is_identifier(s, len)) {
        char step[BRINE_PATH_KEY_MAX + 2];
        step[0] = '.';
        memcpy(step + 1, s, len);
        put_step(path, cap, step, len + 1);
        return;
    }
    step_buf b = {.len = 2, .key = 1}; /* the opening quote counts */
    b.text[0] = '[';
    b.text[1] = '"';
    for (size_t i = 0; i < len && !b.cut;) {
        unsigned char c = s[i];
        char esc[4] = {'\\', 0, 0, 0};
        size_t n = utf8_char(s + i, len - i);
        if (c == '"' || c == '\\') {
            esc[1] = (char)c;
            step_add(&b, esc, 2);
        } else if (c == '\n' || c == '\r' || c == '\t') {
            esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            step_add(&b, esc, 2);
        } else if (c < 0x20 || c == 0x7f || n == 0) {
            /* A control character, or a byte that is not UTF-8 (a key a
             * decoder has not checked yet): the path stays printable. */
            esc[1] = 'x';
            esc[2] = hex[c >> 4];
            esc[3] = hex[c & 15];
            step_add(&b, esc, 4);
            n = 1;
        } else {
            step_add(&b, text + i, n);
        }
        i += n;
    }
    if (!b.cut)
        step_add(&b, "\"", 1);
    step_close(&b, path, cap);
}

/* A key other than a str: Python's repr of it, cut as a str key is. */
static void repr_key(char *path, size_t cap, const brine_value *key)
{
    char repr[BRINE_PATH_KEY_MAX + 8];
    size_t need = brine_value_repr(key, repr, sizeof repr, 8, NULL);
    if (need == (size_t)-1) {
        brinep_path_unnamed(path, cap);
        return;
    }
    step_buf b = {.len = 1};
    b.text[0] = '[';
    size_t have = need < sizeof repr ? need : sizeof repr - 1;
    for (size_t i = 0; i < have && !b.cut;) {
        size_t n = utf8_char((const unsigned char *)repr + i, have - i);
        if (!n) { /* a character cut by repr's buffer: the key is longer */
            b.cut = 1;
            break;
        }
        step_add(&b, repr + i, n);
        i += n;
    }
    if (need > have)
        b.cut = 1;
    step_close(&b, path, cap);
}

void brinep_path_key(char *path, size_t cap, const brine_value *key)
{
    if (key->type == BRINE_STR) {
        size_t len;
        const char *s = brinep_bytes_of(key, &len);
        brinep_path_str_key(path, cap, s, len);
    } else
        repr_key(path, cap, key);
}

void brinep_path_unnamed(char *path, size_t cap)
{
    put_step(path, cap, "[...]", 5);
}

void brinep_path_index(char *path, size_t cap, size_t index)
{
    brine_path_append_index(path, cap, index);
}

void brinep_path_name(char *path, size_t cap, const char *name)
{
    brine_path_append_name(path, cap, name);
}

/* ---- the public calls --------------------------------------------------- */

void brine_path_append_index(char *path, size_t cap, uint64_t index)
{
    char step[32];
    int n = snprintf(step, sizeof step, "[%llu]", (unsigned long long)index);
    put_step(path, cap, step, (size_t)n);
}

void brine_path_append_name(char *path, size_t cap, const char *name)
{
    char step[BRINE_PATH_KEY_MAX + 2];
    size_t len = name ? strlen(name) : 0;
    if (!is_identifier((const unsigned char *)name, len)) {
        brinep_path_unnamed(path, cap);
        return;
    }
    step[0] = '.';
    memcpy(step + 1, name, len);
    put_step(path, cap, step, len + 1);
}

/* Bytes keys longer than this are rendered from their first bytes only
 * (the rendering keeps BRINE_PATH_KEY_MAX bytes, each at least one). */
#define BYTES_KEEP (BRINE_PATH_KEY_MAX + 1)

void brine_path_append_key(char *path, size_t cap, const brine_event *key)
{
    if (!key) {
        brinep_path_unnamed(path, cap);
        return;
    }
    brine_value v;
    brinep_complex cx;
    switch (key->kind) {
    case BRINE_EV_STR: brinep_path_str_key(path, cap, key->v.s.ptr, key->v.s.len); return;
    case BRINE_EV_NULL: v = brinep_slot(BRINE_NULL, 0, 0); break;
    case BRINE_EV_BOOL: v = brinep_slot(BRINE_BOOL, 0, 0), v.as.b = key->v.boolean != 0; break;
    case BRINE_EV_INT: v = brinep_slot(BRINE_INT, BRINEP_INT_I64, (uint64_t)key->v.i); break;
    case BRINE_EV_UINT:
        v = brinep_slot(BRINE_INT, key->v.u > INT64_MAX ? BRINEP_INT_U64 : BRINEP_INT_I64, key->v.u);
        break;
    case BRINE_EV_FLOAT: v = brinep_slot(BRINE_FLOAT, 0, 0), v.as.f = key->v.f; break;
    case BRINE_EV_COMPLEX:
        cx.doc = NULL;
        cx.re = key->v.c.re;
        cx.im = key->v.c.im;
        v = brinep_slot(BRINE_COMPLEX, 0, 0);
        v.as.cx = &cx;
        break;
    case BRINE_EV_BYTES:
    case BRINE_EV_BIGINT: {
        /* A blob needs a document: a scratch one, on an error path only. */
        brine_doc *doc = brine_doc_new();
        size_t len = key->v.s.len;
        if (key->kind == BRINE_EV_BYTES && len > BYTES_KEEP)
            len = BYTES_KEEP;
        brine_value *k = NULL;
        if (doc && key->kind == BRINE_EV_BYTES)
            k = brine_bytes_new(doc, key->v.s.ptr, len, NULL);
        else if (doc && (k = brine_null_new(doc, NULL)) &&
                 brinep_int_from_bytes(doc, key->v.s.ptr, key->v.s.len, k) != BRINE_OK)
            k = NULL;
        if (k)
            repr_key(path, cap, k);
        else
            brinep_path_unnamed(path, cap);
        brine_doc_free(doc);
        return;
    }
    default: brinep_path_unnamed(path, cap); return;
    }
    repr_key(path, cap, &v);
}

/* ---- brine_path: a stack of steps for plugins without one --------------- */

enum { STEP_INDEX, STEP_NAME, STEP_KEY };

/* Each step is a record in data: its kind byte, then an index (uint64_t),
 * a name (NUL-terminated), or a key event followed by its bytes (str and
 * bytes keys kept to what the rendering can show, so a push never copies
 * a long key whole). Rendered only when asked: a push costs a copy. */
struct brine_path {
    unsigned char *data;
    size_t len, cap;
    size_t *starts; /* where each step's record begins */
    size_t count, starts_cap;
};

brine_path *brine_path_new(void)
{
    brine_path *p = brine_malloc(sizeof *p);
    if (p)
        memset(p, 0, sizeof *p);
    return p;
}

void brine_path_free(brine_path *p)
{
    if (!p)
        return;
    brine_free(p->data);
    brine_free(p->starts);
    brine_free(p);
}

static int grow(void **block, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return BRINE_OK;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = n > SIZE_MAX / elem ? NULL : brine_realloc(*block, n * elem);
    if (!q)
        return BRINE_E_NOMEM;
    *block = q;
    *cap = n;
    return BRINE_OK;
}

/* Pushes a record of kind with len bytes of payload a (and b after it). */
static int push(brine_path *p, int kind, const void *a, size_t alen, const void *b, size_t blen)
{
    if (!p)
        return BRINE_E_INVALID;
    size_t need = p->len + 1 + alen + blen;
    if (need < p->len || grow((void **)&p->data, &p->cap, need, 1) ||
        grow((void **)&p->starts, &p->starts_cap, p->count + 1, sizeof *p->starts))
        return BRINE_E_NOMEM;
    p->starts[p->count++] = p->len;
    p->data[p->len] = (unsigned char)kind;
    if (alen)
        memcpy(p->data + p->len + 1, a, alen);
    if (blen)
        memcpy(p->data + p->len + 1 + alen, b, blen);
    p->len = need;
    return BRINE_OK;
}

int brine_path_push_index(brine_path *p, uint64_t index)
{
    return push(p, STEP_INDEX, &index, sizeof index, NULL, 0);
}

int brine_path_push_name(brine_path *p, const char *name)
{
    return push(p, STEP_NAME, name, name ? strlen(name) + 1 : 0, NULL, 0);
}

int brine_path_push_key(brine_path *p, const brine_event *key)
{
    brine_event ev = {.kind = BRINE_EV_END}; /* no key: [...] */
    const void *bytes = NULL;
    size_t n = 0;
    if (key)
        ev = *key;
    if (ev.kind == BRINE_EV_STR || ev.kind == BRINE_EV_BYTES || ev.kind == BRINE_EV_BIGINT) {
        bytes = ev.v.s.ptr;
        n = ev.v.s.len;
        if (ev.kind != BRINE_EV_BIGINT && n > BYTES_KEEP)
            n = BYTES_KEEP; /* longer than any rendering shows */
        ev.v.s.len = n;
        ev.v.s.ptr = NULL;
    }
    return push(p, STEP_KEY, &ev, sizeof ev, bytes, n);
}

void brine_path_pop(brine_path *p)
{
    if (p && p->count)
        p->len = p->starts[--p->count];
}

size_t brine_path_depth(const brine_path *p)
{
    return p ? p->count : 0;
}

void brine_path_render(const brine_path *p, char *path, size_t cap)
{
    if (!path || cap == 0)
        return;
    snprintf(path, cap, "$");
    for (size_t i = 0; p && i < p->count; i++) {
        const unsigned char *r = p->data + p->starts[i];
        if (r[0] == STEP_INDEX) {
            uint64_t index;
            memcpy(&index, r + 1, sizeof index);
            brine_path_append_index(path, cap, index);
        } else if (r[0] == STEP_NAME) {
            brine_path_append_name(path, cap, (const char *)r + 1);
        } else {
            brine_event ev;
            memcpy(&ev, r + 1, sizeof ev);
            if (ev.kind == BRINE_EV_STR || ev.kind == BRINE_EV_BYTES || ev.kind == BRINE_EV_BIGINT)
                ev.v.s.ptr = (const char *)r + 1 + sizeof ev;
            brine_path_append_key(path, cap, &ev);
        }
    }
}

/* ---- a sink's error into its caller's ----------------------------------- */

int brine_error_merge_sink(brine_error *err, const brine_sink *sink, int rc, uint64_t offset, const char *prefix)
{
    if (!err || rc == BRINE_OK)
        return rc;
    const brine_error *from = sink ? sink->err : NULL;
    if (err->code == BRINE_OK && from && from != err && from->code != BRINE_OK) {
        *err = *from;
        if (prefix && prefix[0] && err->path[0] == '$') {
            /* The sink's $ is the caller's prefix. */
            char rest[BRINE_ERROR_PATH];
            snprintf(rest, sizeof rest, "%s", err->path + 1);
            snprintf(err->path, sizeof err->path, "%s", prefix);
            put_step(err->path, sizeof err->path, rest, strlen(rest));
        }
    }
    if (err->code == BRINE_OK)
        brine_error_set(err, rc, "the consumer of the decoded values failed (%s)", brine_strerror(rc));
    if (err->code == rc && err->offset == BRINE_NO_OFFSET)
        err->offset = offset;
    return rc;
}
