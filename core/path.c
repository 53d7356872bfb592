/* path.c: brine_path_get, which finds the value a path names, in the
 * syntax brine's errors print (pathstep.c builds them): $ for the root,
 * .name for a str key that is an identifier, ["key"] or ['key'] for any
 * other str key (backslash escapes the quote and itself), [3] for an
 * element of a list or tuple (negative counts from the end, as in
 * Python) or an int key of a dict, [None], [True], [False] for those
 * keys, and .args / .state inside a model. pathstep.c writes these
 * paths; a quoted key's \xNN, \n, \r and \t escapes are undone here, and
 * a key the renderer cut (no closing quote, "...]") is refused.
 */
#include <stdlib.h>

#include "internal.h"

typedef struct step {
    enum { STEP_NAME, STEP_STR, STEP_INT, STEP_NULL, STEP_BOOL } kind;
    const char *text; /* STEP_NAME: the name; STEP_STR: the quoted text (escapes undone in buf) */
    size_t len;
    int64_t i;
    int b;
} step;

static int is_name_char(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int path_syntax(const char *path, const char *at, const char *what, brine_error *err)
{
    brine_error_set_at(err, BRINE_E_SYNTAX, (uint64_t)(at - path), "bad path '%s' at offset %zu: %s", path,
                       (size_t)(at - path), what);
    return BRINE_E_SYNTAX;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Undoes the escape at *p (a backslash) into buf[*n...]: \xNN (the code
 * point U+00NN, in UTF-8), \n, \r, \t, or any other character as itself
 * (the quote, the backslash). The path is at least as long as what it
 * writes, so buf has room. */
static int read_escape(const char *path, const char **p, char *buf, size_t *n, brine_error *err)
{
    const char *s = *p + 1;
    if (*s == 'x') {
        int hi = hex_digit(s[1]), lo = hi < 0 ? -1 : hex_digit(s[2]);
        if (hi < 0 || lo < 0)
            return path_syntax(path, s, "two hex digits must follow '\\x'", err);
        unsigned cp = (unsigned)(hi << 4 | lo);
        if (cp < 0x80) {
            buf[(*n)++] = (char)cp;
        } else {
            buf[(*n)++] = (char)(0xc0 | cp >> 6);
            buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
        }
        *p = s + 3;
        return BRINE_OK;
    }
    buf[(*n)++] = *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s == 't' ? '\t' : *s;
    *p = s + 1;
    return BRINE_OK;
}

/* Reads one step at *p (after the $): fills st, advances *p. A quoted key
 * is unescaped into buf (as long as the path). */
static int read_step(const char *path, const char **p, step *st, char *buf, brine_error *err)
{
    const char *s = *p;
    if (*s == '.') {
        const char *name = ++s;
        while (is_name_char(*s))
            s++;
        if (s == name)
            return path_syntax(path, name, "a name must follow '.'", err);
        st->kind = STEP_NAME;
        st->text = name;
        st->len = (size_t)(s - name);
        *p = s;
        return BRINE_OK;
    }
    if (*s != '[')
        return path_syntax(path, s, "expected '.name' or '[...]'", err);
    s++;
    if (*s == '"' || *s == '\'') {
        char quote = *s++;
        size_t n = 0;
        while (*s && *s != quote) {
            if (*s == '\\' && s[1]) {
                int rc = read_escape(path, &s, buf, &n, err);
                if (rc)
                    return rc;
                continue;
            }
            buf[n++] = *s++;
        }
        if (*s != quote)
            return path_syntax(path, s, "unterminated quoted key", err);
        s++;
        st->kind = STEP_STR;
        st->text = buf;
        st->len = n;
    } else if (*s == '-' || (*s >= '0' && *s <= '9')) {
        int neg = *s == '-';
        const char *digits = s + neg;
        uint64_t u = 0;
        s = digits;
        const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        while (*s >= '0' && *s <= '9') {
            unsigned d = (unsigned)(*s++ - '0');
            if (u > (limit - d) / 10)
                return path_syntax(path, digits, "index out of range", err);
            u = u * 10 + d;
        }
        if (s == digits)
            return path_syntax(path, digits, "digits must follow '-'", err);
        st->kind = STEP_INT;
        st->i = neg ? (int64_t)(0 - u) : (int64_t)u;
    } else if (strncmp(s, "None", 4) == 0) {
        st->kind = STEP_NULL;
        s += 4;
    } else if (strncmp(s, "True", 4) == 0 || strncmp(s, "False", 5) == 0) {
        st->kind = STEP_BOOL;
        st->b = *s == 'T';
        s += st->b ? 4 : 5;
    } else {
        return path_syntax(path, s, "expected an index, a quoted key, None, True or False inside '[...]'", err);
    }
    if (*s != ']')
        return path_syntax(path, s, "expected ']'", err);
    *p = s + 1;
    return BRINE_OK;
}

/* The step as a key of doc, for a dict lookup; NULL when out of memory. */
static brine_value *step_key(brine_doc *doc, const step *st, brine_error *err)
{
    switch (st->kind) {
    case STEP_NAME:
    case STEP_STR: return brine_str_new(doc, st->text, st->len, err);
    case STEP_INT: return brine_int_new(doc, st->i, err);
    case STEP_NULL: return brine_null_new(doc, err);
    default: return brine_bool_new(doc, st->b, err);
    }
}

/* Fails with BRINE_E_NOTFOUND, naming the step and where the path stopped
 * (err->path: the part of the path that was found). */
static int not_found(const char *path, const char *from, const char *to, const char *what, brine_error *err)
{
    brine_error_set(err, BRINE_E_NOTFOUND, "%s %.*s", what, (int)(to - from), from);
    if (err && err->code == BRINE_E_NOTFOUND) {
        size_t n = (size_t)(from - path);
        if (n >= sizeof err->path)
            n = sizeof err->path - 1;
        memcpy(err->path, path, n);
        err->path[n] = '\0';
    }
    return BRINE_E_NOTFOUND;
}

brine_value *brine_path_get(const brine_value *root, const char *path, brine_error *err)
{
    brine_error_clear(err); /* an operation: err reports this call only */
    if (!root || !path) {
        brine_error_set(err, BRINE_E_INVALID, "brine_path_get needs a value and a path");
        return NULL;
    }
    const char *p = path;
    while (*p == ' ')
        p++;
    if (*p != '$') {
        path_syntax(path, p, "a path starts with '$'", err);
        return NULL;
    }
    p++;
    /* Unescaped step text fits a stack buffer for most paths; a key that is
     * not a str is made in a scratch document, only when a step needs one
     * (checked getters call this per value: no allocation on their path). */
    char small[256];
    size_t need = strlen(path) + 1;
    char *buf = need <= sizeof small ? small : brine_malloc(need);
    brine_doc *keys = NULL;
    brine_value *v = (brine_value *)root;
    if (!buf) {
        brinep_nomem(err);
        v = NULL;
    }
    while (v && *p) {
        const char *begin = p;
        step st = {STEP_NAME, NULL, 0, 0, 0};
        if (read_step(path, &p, &st, buf, err) != BRINE_OK) {
            v = NULL;
            break;
        }
        brine_value *next = NULL;
        const char *what = "no such key";
        if (v->type == BRINE_DICT && (st.kind == STEP_NAME || st.kind == STEP_STR)) {
            next = brinep_dict_get_strn(v, st.text, st.len);
        } else if (v->type == BRINE_DICT) {
            brine_value *key = (keys || (keys = brine_doc_new())) ? step_key(keys, &st, err) : NULL;
            if (!keys)
                brinep_nomem(err);
            if (!key) {
                v = NULL;
                break;
            }
            next = brine_dict_get(v, key);
        } else if ((v->type == BRINE_LIST || v->type == BRINE_TUPLE) && st.kind == STEP_INT) {
            size_t count = brine_seq_count(v);
            uint64_t i = st.i < 0 ? (uint64_t)count - (0 - (uint64_t)st.i) : (uint64_t)st.i;
            if (st.i < 0 && 0 - (uint64_t)st.i > count)
                i = UINT64_MAX;
            next = i < count ? brine_seq_get(v, (size_t)i) : NULL;
            what = "index out of range";
        } else if (v->type == BRINE_MODEL && st.kind == STEP_NAME && st.len == 4 && memcmp(st.text, "args", 4) == 0) {
            next = brine_model_args(v);
        } else if (v->type == BRINE_MODEL && st.kind == STEP_NAME && st.len == 5 && memcmp(st.text, "state", 5) == 0) {
            next = brine_model_state(v);
        } else {
            char msg[64];
            const char *tn = brine_type_name(brine_type_of(v));
            snprintf(msg, sizeof msg, "%s %s has no", brinep_article(tn), tn);
            not_found(path, begin, p, msg, err);
            v = NULL;
            break;
        }
        if (!next) {
            not_found(path, begin, p, what, err);
            v = NULL;
            break;
        }
        v = next;
    }
    brine_doc_free(keys);
    if (buf != small)
        brine_free(buf);
    return v;
}
