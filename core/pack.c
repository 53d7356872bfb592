/* pack.c: brine_pack and brine_unpack, which build or read a nested value
 * from a format string and C arguments in one call, in the manner of
 * jansson's json_pack/json_unpack (the grammar is the table in brine.h).
 *
 * Both are recursive descents over the format, which the program writes, not
 * its input: nesting is capped at PACK_MAX_DEPTH so that the C stack stays
 * small whatever the format. A value read by unpack is only looked at, never
 * walked, so no depth limit of the document applies. Unpack reads dict keys
 * with pack's grammar, built into a scratch document, so that any hashable
 * key (an int, a tuple) can be asked for. Errors carry the path of the value
 * being built or read, rendered by error.c as every other path. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "check.h"

#define PACK_MAX_DEPTH 64
#define STRICT_SEEN 32 /* dict keys remembered for '!' to name the first one not read */

typedef struct packer {
    const char *fmt;             /* the whole format, for offsets in messages */
    const char *p;               /* the next format character */
    va_list ap;                  /* a copy of the caller's arguments */
    brine_error *err;            /* never NULL: a local one stands in */
    brine_doc *doc;              /* pack: where values go; unpack: scratch for keys (lazy) */
    int depth;                   /* containers open in the format */
    char path[BRINE_ERROR_PATH]; /* of the value being built or read */
    char **owned[16];            /* unpack: N outputs to free on failure */
    size_t n_owned;
} packer;

static void skip_sep(packer *st)
{
    while (*st->p == ' ' || *st->p == '\t' || *st->p == '\n' || *st->p == ',' || *st->p == ':')
        st->p++;
}

/* A mistake in the format itself: BRINE_E_INVALID at its offset. */
static int bad_format(packer *st, const char *at, const char *what)
{
    size_t off = (size_t)(at - st->fmt);
    brine_error_set_at(st->err, BRINE_E_INVALID, off, "bad format \"%.60s\" at offset %zu: %s", st->fmt, off, what);
    return BRINE_E_INVALID;
}

static size_t path_push_index(packer *st, size_t i)
{
    size_t mark = strlen(st->path);
    brinep_path_index(st->path, sizeof st->path, i);
    return mark;
}

static size_t path_push_key(packer *st, const brine_value *key)
{
    size_t mark = strlen(st->path);
    brinep_path_key(st->path, sizeof st->path, key);
    return mark;
}

static size_t path_push_name(packer *st, const char *name)
{
    size_t mark = strlen(st->path);
    brinep_path_str_key(st->path, sizeof st->path, name, strlen(name));
    return mark;
}

/* A failure of a brine_ call: the path of the value, if the call set none. */
static int failed(packer *st)
{
    if (st->err->code == BRINE_OK)
        brine_error_set(st->err, BRINE_E_NOMEM, "out of memory");
    brinep_error_path(st->err, st->path);
    return st->err->code;
}

/* Reads the suffixes '#' (a length follows the pointer) and '?' (NULL
 * stands for None; off where '?' means an optional key instead). */
static void suffixes(packer *st, int *len_form, int *nullable, int nullable_ok)
{
    *len_form = *nullable = 0;
    if (*st->p == '#') {
        *len_form = 1;
        st->p++;
    }
    if (nullable_ok && *st->p == '?') {
        *nullable = 1;
        st->p++;
    }
}

/* ---- pack ---------------------------------------------------------------- */

static brine_value *pack_item(packer *st, int nullable_ok);

/* The items of a list or tuple up to close. */
static brine_value *pack_seq(packer *st, brine_value *seq, char close)
{
    for (size_t i = 0;; i++) {
        skip_sep(st);
        if (*st->p == close) {
            st->p++;
            return seq;
        }
        size_t mark = path_push_index(st, i);
        brine_value *item = pack_item(st, 1);
        if (!item || brine_seq_append(seq, item, st->err) != BRINE_OK) {
            if (item)
                failed(st);
            return NULL;
        }
        st->path[mark] = '\0';
    }
}

static brine_value *pack_dict(packer *st, brine_value *dict)
{
    for (;;) {
        skip_sep(st);
        if (*st->p == '}') {
            st->p++;
            return dict;
        }
        brine_value *key = pack_item(st, 1);
        if (!key)
            return NULL;
        skip_sep(st);
        if (*st->p == '}' || !*st->p) {
            bad_format(st, st->p, "a dict key without a value");
            return NULL;
        }
        size_t mark = path_push_key(st, key);
        brine_value *val = pack_item(st, 1);
        if (!val)
            return NULL;
        st->path[mark] = '\0'; /* an unhashable key is the dict's fault */
        if (brine_dict_set(dict, key, val, st->err) != BRINE_OK) {
            failed(st);
            return NULL;
        }
    }
}

/* M: the name, then the args item (a tuple) and the state item. */
static brine_value *pack_model(packer *st)
{
    const char *name = va_arg(st->ap, const char *);
    if (!name) {
        brine_error_set(st->err, BRINE_E_INVALID, "format code 'M' needs a type name, not NULL");
        failed(st);
        return NULL;
    }
    brine_value *m = brine_model_new(st->doc, name, strlen(name), st->err);
    if (!m) {
        failed(st);
        return NULL;
    }
    skip_sep(st);
    size_t mark = path_push_name(st, "args");
    brine_value *args = pack_item(st, 1);
    if (!args)
        return NULL;
    if (brinep_want_type(args, BRINE_TUPLE, st->path, st->err) != BRINE_OK ||
        brine_model_set_args(m, args, st->err) != BRINE_OK) {
        failed(st);
        return NULL;
    }
    st->path[mark] = '\0';
    skip_sep(st);
    mark = path_push_name(st, "state");
    brine_value *state = pack_item(st, 1);
    if (!state)
        return NULL;
    if (brine_model_set_state(m, state, st->err) != BRINE_OK) {
        failed(st);
        return NULL;
    }
    st->path[mark] = '\0';
    return m;
}

/* Strings and bytes: s, s#, y, y#, N, each with an optional '?'. */
static brine_value *pack_text(packer *st, char code, const char *at, int nullable_ok)
{
    int len_form, nullable;
    suffixes(st, &len_form, &nullable, nullable_ok);
    if (len_form && code == 'N')
        return bad_format(st, at + 1, "'N' takes a NUL-terminated text, without '#'"), NULL;
    const char *s = va_arg(st->ap, const char *);
    size_t len = len_form ? va_arg(st->ap, size_t) : 0;
    if (!s && nullable)
        return brine_null_new(st->doc, st->err);
    if (!s && !(len_form && len == 0)) {
        brine_error_set(st->err, BRINE_E_INVALID, "format code '%c' got NULL (add '?' to pack None)", code);
        failed(st);
        return NULL;
    }
    if (!len_form)
        len = strlen(s);
    brine_value *v = code == 's'   ? brine_str_new(st->doc, s ? s : "", len, st->err)
                     : code == 'y' ? brine_bytes_new(st->doc, s, len, st->err)
                                   : brine_int_new_decimal(st->doc, s, len, st->err);
    if (!v)
        failed(st);
    return v;
}

static brine_value *pack_item(packer *st, int nullable_ok)
{
    skip_sep(st);
    const char *at = st->p;
    char code = *st->p;
    if (!code) {
        bad_format(st, at, "expected a value, found the end of the format");
        return NULL;
    }
    st->p++;
    brine_value *v = NULL;
    switch (code) {
    case 'n': v = brine_null_new(st->doc, st->err); break;
    case 'b': v = brine_bool_new(st->doc, va_arg(st->ap, int) != 0, st->err); break;
    case 'i': v = brine_int_new(st->doc, va_arg(st->ap, int), st->err); break;
    case 'I': v = brine_int_new(st->doc, va_arg(st->ap, int64_t), st->err); break;
    case 'U': v = brine_uint_new(st->doc, va_arg(st->ap, uint64_t), st->err); break;
    case 'f': v = brine_float_new(st->doc, va_arg(st->ap, double), st->err); break;
    case 'c': {
        double re = va_arg(st->ap, double);
        v = brine_complex_new(st->doc, re, va_arg(st->ap, double), st->err);
        break;
    }
    case 's':
    case 'y':
    case 'N': return pack_text(st, code, at, nullable_ok);
    case 'O': {
        int len_form, nullable;
        suffixes(st, &len_form, &nullable, nullable_ok);
        if (len_form)
            return bad_format(st, at + 1, "'O' takes no '#'"), NULL;
        v = va_arg(st->ap, brine_value *);
        if (!v && nullable)
            v = brine_null_new(st->doc, st->err);
        else if (!v)
            brine_error_set(st->err, BRINE_E_INVALID, "format code 'O' got NULL (add '?' to pack None)");
        break;
    }
    case 'A': return bad_format(st, at, "'A' (arrays) is reserved for a later version"), NULL;
    case '[':
    case '(':
    case '{':
    case 'M':
        if (st->depth >= PACK_MAX_DEPTH)
            return bad_format(st, at, "the format nests too deep"), NULL;
        st->depth++;
        if (code == 'M')
            v = pack_model(st);
        else if (code == '{')
            v = (v = brine_dict_new(st->doc, st->err)) ? pack_dict(st, v) : NULL;
        else
            v = (v = code == '[' ? brine_list_new(st->doc, st->err) : brine_tuple_new(st->doc, st->err))
                    ? pack_seq(st, v, code == '[' ? ']' : ')')
                    : NULL;
        st->depth--;
        if (!v && st->err->code == BRINE_OK)
            bad_format(st, st->p, "a container is not closed");
        return v;
    default: {
        char what[48];
        snprintf(what, sizeof what, "unknown format code '%c'", code);
        return bad_format(st, at, what), NULL;
    }
    }
    if (!v)
        failed(st);
    return v;
}

brine_value *brine_vpack(brine_doc *doc, brine_error *err, const char *fmt, va_list ap)
{
    brine_error local;
    if (!err)
        err = &local;
    brine_error_clear(err);
    if (!doc || !fmt) {
        brine_error_set(err, BRINE_E_INVALID, "brine_pack needs a document and a format");
        return NULL;
    }
    packer st = {.fmt = fmt, .p = fmt, .err = err, .doc = doc, .path = "$"};
    va_copy(st.ap, ap);
    brine_value *v = pack_item(&st, 1);
    skip_sep(&st);
    if (v && *st.p) {
        bad_format(&st, st.p, "more than one value at the top level");
        v = NULL;
    }
    va_end(st.ap);
    return v;
}

brine_value *brine_pack(brine_doc *doc, brine_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    brine_value *v = brine_vpack(doc, err, fmt, ap);
    va_end(ap);
    return v;
}

/* ---- unpack --------------------------------------------------------------- */

/* Each reader takes v NULL to mean "absent optional key": the format is
 * still read and the arguments consumed, and nothing is stored. */
static int unpack_item(packer *st, const brine_value *v);

static int missing_index(packer *st, const brine_value *seq, size_t i)
{
    brine_error_set(st->err, BRINE_E_NOTFOUND, "no index %zu at %s, a %s of %zu", i, st->path,
                    brine_type_name(brine_type_of(seq)), brine_seq_count(seq));
    brinep_error_path(st->err, st->path);
    return BRINE_E_NOTFOUND;
}

/* '!' before the closing bracket asks that nothing be left unread. */
static int strict_mark(packer *st, int *strict)
{
    if (*st->p == '!' || *st->p == '*') {
        *strict = *st->p == '!';
        st->p++;
        skip_sep(st);
    }
    return BRINE_OK;
}

static int unpack_seq(packer *st, const brine_value *v, char close)
{
    int strict = 0;
    size_t i;
    for (i = 0;; i++) {
        skip_sep(st);
        strict_mark(st, &strict);
        if (*st->p == close)
            break;
        if (!*st->p)
            return bad_format(st, st->p, "a container is not closed");
        if (v && i >= brine_seq_count(v))
            return missing_index(st, v, i);
        size_t mark = path_push_index(st, i);
        int rc = unpack_item(st, v ? brine_seq_get(v, i) : NULL);
        if (rc != BRINE_OK)
            return rc;
        st->path[mark] = '\0';
    }
    st->p++;
    if (strict && v && brine_seq_count(v) > i) {
        brine_error_set(st->err, BRINE_E_TYPE, "expected a %s of %zu, found %zu items at %s",
                        brine_type_name(brine_type_of(v)), i, brine_seq_count(v), st->path);
        brinep_error_path(st->err, st->path);
        return BRINE_E_TYPE;
    }
    return BRINE_OK;
}

/* A key as a message shows it: 'id', 5, (1, 2). */
static void key_text(const brine_value *key, char *out, size_t cap)
{
    size_t need = brine_value_repr(key, out, cap, 4, NULL);
    if (need == (size_t)-1)
        snprintf(out, cap, "<%s>", brine_type_name(brine_type_of(key)));
    else if (need >= cap)
        memcpy(out + cap - 4, "...", 4);
}

/* With '!': fails naming the first key of dict whose value was not read. */
static int strict_dict(packer *st, const brine_value *dict, const brine_value *const *seen, size_t n_seen,
                       size_t n_found)
{
    if (n_found >= brine_dict_count(dict))
        return BRINE_OK;
    size_t it = 0;
    brine_value *k, *val;
    char shown[96] = "";
    while (n_seen <= STRICT_SEEN && !shown[0] && brine_dict_next(dict, &it, &k, &val)) {
        size_t j = 0;
        while (j < n_seen && seen[j] != val)
            j++;
        if (j == n_seen)
            key_text(k, shown, sizeof shown);
    }
    if (shown[0])
        brine_error_set(st->err, BRINE_E_TYPE, "unexpected key %s at %s", shown, st->path);
    else
        brine_error_set(st->err, BRINE_E_TYPE, "%zu keys not unpacked at %s", brine_dict_count(dict) - n_found,
                        st->path);
    brinep_error_path(st->err, st->path);
    return BRINE_E_TYPE;
}

static int unpack_dict(packer *st, const brine_value *v)
{
    const brine_value *seen[STRICT_SEEN];
    size_t n_seen = 0, n_found = 0;
    int strict = 0;
    for (;;) {
        skip_sep(st);
        strict_mark(st, &strict);
        if (*st->p == '}')
            break;
        if (!*st->p)
            return bad_format(st, st->p, "a container is not closed");
        if (!st->doc && !(st->doc = brine_doc_new()))
            return brinep_nomem(st->err);
        char path[BRINE_ERROR_PATH]; /* the key is read with pack's grammar, errors at the dict */
        memcpy(path, st->path, sizeof path);
        const brine_value *key = pack_item(st, 0);
        if (!key)
            return st->err->code;
        memcpy(st->path, path, sizeof path);
        int optional = *st->p == '?';
        st->p += optional;
        skip_sep(st);
        if (*st->p == '}' || !*st->p)
            return bad_format(st, st->p, "a dict key without a value");
        const brine_value *val = v ? brine_dict_get(v, key) : NULL;
        if (v && !val && !optional) {
            char shown[96];
            key_text(key, shown, sizeof shown);
            brine_error_set(st->err, BRINE_E_NOTFOUND, "no key %s at %s", shown, st->path);
            brinep_error_path(st->err, st->path);
            return BRINE_E_NOTFOUND;
        }
        if (val) {
            size_t j = 0;
            while (j < n_seen && seen[j] != val)
                j++;
            if (j == n_seen) {
                n_found++;
                if (n_seen < STRICT_SEEN)
                    seen[n_seen++] = val;
                else
                    n_seen = STRICT_SEEN + 1; /* too many to name the one left */
            }
        }
        size_t mark = path_push_key(st, key);
        int rc = unpack_item(st, val);
        if (rc != BRINE_OK)
            return rc;
        st->path[mark] = '\0';
    }
    st->p++;
    return strict && v ? strict_dict(st, v, seen, n_seen, n_found) : BRINE_OK;
}

static int unpack_model(packer *st, const brine_value *v)
{
    const char *name = va_arg(st->ap, const char *);
    if (v && brinep_want_model(v, name, st->path, st->err) != BRINE_OK)
        return st->err->code;
    skip_sep(st);
    size_t mark = path_push_name(st, "args");
    int rc = unpack_item(st, v ? brine_model_args(v) : NULL);
    if (rc != BRINE_OK)
        return rc;
    st->path[mark] = '\0';
    skip_sep(st);
    mark = path_push_name(st, "state");
    rc = unpack_item(st, v ? brine_model_state(v) : NULL);
    st->path[mark] = '\0';
    return rc;
}

static int unpack_container(packer *st, const brine_value *v, char code, const char *at)
{
    static const brine_type types[] = {['['] = BRINE_LIST, ['('] = BRINE_TUPLE, ['{'] = BRINE_DICT};
    if (st->depth >= PACK_MAX_DEPTH)
        return bad_format(st, at, "the format nests too deep");
    if (v && code != 'M' && brinep_want_type(v, types[(unsigned char)code], st->path, st->err) != BRINE_OK)
        return st->err->code;
    st->depth++;
    int rc = code == 'M'   ? unpack_model(st, v)
             : code == '{' ? unpack_dict(st, v)
                           : unpack_seq(st, v, code + 1 + (code == '['));
    st->depth--;
    return rc;
}

/* s, s#, y#: the data and, with '#', its length. */
static int unpack_text(packer *st, const brine_value *v, char code, const char *at)
{
    int len_form = *st->p == '#';
    st->p += len_form;
    if (code == 'y' && !len_form)
        return bad_format(st, at + 1, "bytes are unpacked with 'y#' (a pointer and a length)");
    /* Read with the type the caller passed: const char ** for s. */
    const char **s_out = code == 's' ? va_arg(st->ap, const char **) : NULL;
    const void **y_out = code == 'y' ? va_arg(st->ap, const void **) : NULL;
    size_t *len_out = len_form ? va_arg(st->ap, size_t *) : NULL;
    if (!v)
        return BRINE_OK;
    if (brinep_want_type(v, code == 's' ? BRINE_STR : BRINE_BYTES, st->path, st->err) != BRINE_OK)
        return st->err->code;
    if (code == 's' && !len_form && brinep_borrowed(v)) { /* no NUL after it: a C string would overrun */
        brine_error_set(st->err, BRINE_E_INVALID, "a str borrowed from the input is not NUL-ended: unpack it with 's#'");
        if (st->err)
            snprintf(st->err->path, sizeof st->err->path, "%s", st->path);
        return BRINE_E_INVALID;
    }
    size_t len;
    if (s_out)
        *s_out = brine_str_get(v, &len);
    else if (code == 's')
        brine_str_get(v, &len);
    if (y_out)
        *y_out = brine_bytes_get(v, &len);
    else if (code == 'y')
        brine_bytes_get(v, &len);
    if (len_out)
        *len_out = len;
    return BRINE_OK;
}

/* N: the int's decimal text, allocated; freed again if unpack fails. */
static int unpack_decimal(packer *st, const brine_value *v)
{
    char **out = va_arg(st->ap, char **);
    if (!v)
        return BRINE_OK;
    if (brinep_want_type(v, BRINE_INT, st->path, st->err) != BRINE_OK)
        return st->err->code;
    if (st->n_owned == sizeof st->owned / sizeof st->owned[0]) {
        brine_error_set(st->err, BRINE_E_INVALID, "more than %zu 'N' codes in one format",
                        sizeof st->owned / sizeof st->owned[0]);
        return BRINE_E_INVALID;
    }
    char *text = brine_int_to_decimal(v);
    if (!text) {
        if (brine_int_to_bytes(v, NULL, 0) >= 1786) /* the ints that may exceed 4300 digits */
            brine_error_set(st->err, BRINE_E_RANGE, "an int of more than 4300 digits has no decimal text at %s",
                            st->path);
        else
            brinep_nomem(st->err);
        brinep_error_path(st->err, st->path);
        return st->err->code;
    }
    if (out) {
        *out = text;
        st->owned[st->n_owned++] = out;
    } else {
        brine_free(text);
    }
    return BRINE_OK;
}

static int unpack_item(packer *st, const brine_value *v)
{
    skip_sep(st);
    const char *at = st->p;
    char code = *st->p;
    if (!code)
        return bad_format(st, at, "expected a value, found the end of the format");
    st->p++;
    switch (code) {
    case 'n': return v ? brinep_want_type(v, BRINE_NULL, st->path, st->err) : BRINE_OK;
    case 'b': {
        int *out = va_arg(st->ap, int *);
        if (v && brinep_want_type(v, BRINE_BOOL, st->path, st->err) != BRINE_OK)
            return st->err->code;
        if (v && out)
            *out = brine_bool_get(v);
        return BRINE_OK;
    }
    case 'i': {
        int *out = va_arg(st->ap, int *);
        int64_t i;
        if (!v)
            return BRINE_OK;
        if (brinep_want_i64(v, &i, st->path, st->err) != BRINE_OK)
            return st->err->code;
        if (i < INT_MIN || i > INT_MAX) {
            brine_error_set(st->err, BRINE_E_RANGE, "expected a C int, found an int out of its range at %s", st->path);
            brinep_error_path(st->err, st->path);
            return BRINE_E_RANGE;
        }
        if (out)
            *out = (int)i;
        return BRINE_OK;
    }
    case 'I': {
        int64_t *out = va_arg(st->ap, int64_t *);
        return v ? brinep_want_i64(v, out, st->path, st->err) : BRINE_OK;
    }
    case 'U': {
        uint64_t *out = va_arg(st->ap, uint64_t *);
        return v ? brinep_want_u64(v, out, st->path, st->err) : BRINE_OK;
    }
    case 'f': {
        double *out = va_arg(st->ap, double *);
        return v ? brinep_want_double(v, out, st->path, st->err) : BRINE_OK;
    }
    case 'c': {
        double *re = va_arg(st->ap, double *), *im = va_arg(st->ap, double *);
        return v ? brinep_want_complex(v, re, im, st->path, st->err) : BRINE_OK;
    }
    case 's':
    case 'y': return unpack_text(st, v, code, at);
    case 'N': return unpack_decimal(st, v);
    case 'O': {
        brine_value **out = va_arg(st->ap, brine_value **);
        if (v && out)
            *out = (brine_value *)v;
        return BRINE_OK;
    }
    case 'A': return bad_format(st, at, "'A' (arrays) is reserved for a later version");
    case '[':
    case '(':
    case '{':
    case 'M': return unpack_container(st, v, code, at);
    default: {
        char what[48];
        snprintf(what, sizeof what, "unknown format code '%c'", code);
        return bad_format(st, at, what);
    }
    }
}

int brine_vunpack(const brine_value *v, brine_error *err, const char *fmt, va_list ap)
{
    brine_error local;
    if (!err)
        err = &local;
    brine_error_clear(err);
    if (!v || !fmt)
        return brine_error_set(err, BRINE_E_INVALID, "brine_unpack needs a value and a format");
    packer st = {.fmt = fmt, .p = fmt, .err = err, .path = "$"};
    va_copy(st.ap, ap);
    int rc = unpack_item(&st, v);
    skip_sep(&st);
    if (rc == BRINE_OK && *st.p)
        rc = bad_format(&st, st.p, "more than one value at the top level");
    va_end(st.ap);
    brine_doc_free(st.doc);
    for (size_t i = 0; rc != BRINE_OK && i < st.n_owned; i++) {
        brine_free(*st.owned[i]);
        *st.owned[i] = NULL;
    }
    return rc;
}

int brine_unpack(const brine_value *v, brine_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = brine_vunpack(v, err, fmt, ap);
    va_end(ap);
    return rc;
}
