/* check.c: the checked getters (brine_get_int64 and the others), in the
 * manner of Lua's luaL_checkinteger: a base value and a path in
 * brine_path_get's syntax lead to a value that must have the expected type,
 * and a failure says what was expected, what was found and where. The path
 * parser stays in path.c; this file words its "not found" errors for a
 * reader ("no key 'id' at $.users[0]") and owns the type and range checks
 * that brine_unpack (pack.c) shares through check.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

void brinep_error_path(brine_error *err, const char *at)
{
    if (err && err->code != BRINE_OK && !err->path[0] && at)
        snprintf(err->path, sizeof err->path, "%s", at);
}

/* The type name a message shows for what was found. */
static const char *found_name(const brine_value *v)
{
    return v ? brine_type_name(brine_type_of(v)) : "nothing";
}

static int wrong_type(const brine_value *v, const char *want, const char *at, brine_error *err)
{
    brine_error_set(err, BRINE_E_TYPE, "expected %s, found %s at %s", want, found_name(v), at);
    brinep_error_path(err, at);
    return BRINE_E_TYPE;
}

static int out_of_range(const char *want, const char *at, brine_error *err)
{
    brine_error_set(err, BRINE_E_RANGE, "expected %s, found an int out of its range at %s", want, at);
    brinep_error_path(err, at);
    return BRINE_E_RANGE;
}

int brinep_want_type(const brine_value *v, brine_type want, const char *at, brine_error *err)
{
    if (v && brine_type_of(v) == want)
        return BRINE_OK;
    return wrong_type(v, brine_type_name(want), at, err);
}

int brinep_want_i64(const brine_value *v, int64_t *out, const char *at, brine_error *err)
{
    int64_t i;
    if (!v || brine_type_of(v) != BRINE_INT)
        return wrong_type(v, "int", at, err);
    if (brine_int_get_i64(v, &i) != BRINE_OK)
        return out_of_range("int64", at, err);
    if (out)
        *out = i;
    return BRINE_OK;
}

int brinep_want_u64(const brine_value *v, uint64_t *out, const char *at, brine_error *err)
{
    uint64_t u;
    if (!v || brine_type_of(v) != BRINE_INT)
        return wrong_type(v, "int", at, err);
    if (brine_int_get_u64(v, &u) != BRINE_OK)
        return out_of_range("uint64", at, err);
    if (out)
        *out = u;
    return BRINE_OK;
}

/* An int as the nearest double, as Python's float(int) rounds it; an int
 * beyond the double range is BRINE_E_RANGE (Python: OverflowError). */
static int int_to_double(const brine_value *v, double *out, const char *at, brine_error *err)
{
    int64_t i;
    uint64_t u;
    if (brine_int_get_i64(v, &i) == BRINE_OK) {
        *out = (double)i;
        return BRINE_OK;
    }
    if (brine_int_get_u64(v, &u) == BRINE_OK) {
        *out = (double)u;
        return BRINE_OK;
    }
    /* 2^1024 needs 129 bytes; anything longer is out of range for sure,
     * and the decimal text of what is shorter has at most 311 digits. */
    if (brine_int_to_bytes(v, NULL, 0) > 130)
        return out_of_range("float", at, err);
    char *text = brine_int_to_decimal(v);
    if (!text)
        return brinep_nomem(err);
    /* strtod rounds decimal text correctly; the text has no radix point, so
     * the locale does not matter. */
    double d = strtod(text, NULL);
    brine_free(text);
    if (isinf(d))
        return out_of_range("float", at, err);
    *out = d;
    return BRINE_OK;
}

int brinep_want_double(const brine_value *v, double *out, const char *at, brine_error *err)
{
    double d = 0;
    if (v && brine_type_of(v) == BRINE_FLOAT)
        d = brine_float_get(v);
    else if (v && brine_type_of(v) == BRINE_INT) {
        int rc = int_to_double(v, &d, at, err);
        if (rc != BRINE_OK)
            return rc;
    } else
        return wrong_type(v, "float", at, err);
    if (out)
        *out = d;
    return BRINE_OK;
}

int brinep_want_complex(const brine_value *v, double *re, double *im, const char *at, brine_error *err)
{
    double r, i = 0;
    if (v && brine_type_of(v) == BRINE_COMPLEX)
        brine_complex_get(v, &r, &i);
    else if (!v || (brine_type_of(v) != BRINE_FLOAT && brine_type_of(v) != BRINE_INT))
        return wrong_type(v, "complex", at, err);
    else if (brinep_want_double(v, &r, at, err) != BRINE_OK)
        return err && err->code ? err->code : BRINE_E_RANGE;
    if (re)
        *re = r;
    if (im)
        *im = i;
    return BRINE_OK;
}

int brinep_want_model(const brine_value *v, const char *name, const char *at, brine_error *err)
{
    if (!v || brine_type_of(v) != BRINE_MODEL) {
        if (!name)
            return wrong_type(v, "model", at, err);
        brine_error_set(err, BRINE_E_TYPE, "expected a model of type '%.80s', found %s at %s", name, found_name(v), at);
        brinep_error_path(err, at);
        return BRINE_E_TYPE;
    }
    size_t len;
    const char *got = brine_model_name(v, &len);
    if (!name || (strlen(name) == len && memcmp(got, name, len) == 0))
        return BRINE_OK;
    brine_error_set(err, BRINE_E_TYPE, "expected a model of type '%.80s', found a model of type '%.*s' at %s", name,
                    (int)(len > 80 ? 80 : len), got, at);
    brinep_error_path(err, at);
    return BRINE_E_TYPE;
}

/* ---- lookup ---------------------------------------------------------------- */

/* The end of the step that starts at s: ".name", ["key"], ['key'] or [N]. */
static const char *step_end(const char *s)
{
    if (*s == '.') {
        s++;
        while (*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9'))
            s++;
        return s;
    }
    if (*s == '[' && (s[1] == '"' || s[1] == '\'')) {
        char quote = s[1];
        for (s += 2; *s && *s != quote; s++)
            if (*s == '\\' && s[1])
                s++;
        return *s ? s + 2 : s;
    }
    while (*s && *s != ']')
        s++;
    return *s ? s + 1 : s;
}

/* path_get says "no such key .id" with err->path at the part found; a
 * checked getter says "no key 'id' at $.users[0]", and what stood there
 * when it was no container. */
static void reword_not_found(const brine_value *root, const char *path, brine_error *err)
{
    size_t found = strlen(err->path);
    if (strncmp(path, err->path, found) != 0)
        return; /* the found part was cut to fit: keep path.c's words */
    const char *step = path + found, *end = step_end(step);
    int n = (int)(end - step);
    char key[96];
    int is_index = 0;
    if (*step == '.') /* a name: shown quoted, as the key it stands for */
        snprintf(key, sizeof key, "'%.*s'", n - 1 > 80 ? 80 : n - 1, step + 1);
    else if (n >= 2) { /* [...]: shown as written, without the brackets */
        snprintf(key, sizeof key, "%.*s", n - 2 > 80 ? 80 : n - 2, step + 1);
        is_index = key[0] == '-' || (key[0] >= '0' && key[0] <= '9');
    } else
        return;
    brine_error scratch;
    const brine_value *at = brine_path_get(root, err->path, &scratch);
    if (!at)
        return;
    char where[BRINE_ERROR_PATH];
    snprintf(where, sizeof where, "%s", err->path);
    /* A message longer than fits is cut, as every message is. */
    int w = (int)(sizeof err->message / 2);
    brine_type t = brine_type_of(at);
    if (t == BRINE_DICT)
        snprintf(err->message, sizeof err->message, "no key %s at %.*s", key, w, where);
    else if (is_index && (t == BRINE_LIST || t == BRINE_TUPLE))
        snprintf(err->message, sizeof err->message, "no index %s at %.*s, a %s of %zu", key, w, where,
                 brine_type_name(t), brine_seq_count(at));
    else
        snprintf(err->message, sizeof err->message, "no %s %s at %.*s, which is %s %s", is_index ? "index" : "key",
                 key, w, where, brinep_article(brine_type_name(t)), brine_type_name(t));
}

/* The value at path under v (v itself for NULL or "$"), or NULL with err
 * filled. *at receives the path the messages show. */
static const brine_value *lookup(const brine_value *v, const char *path, const char **at, const char *what,
                                 brine_error *err)
{
    *at = path && *path ? path : "$";
    if (!v) {
        brine_error_set(err, BRINE_E_INVALID, "%s needs a value", what);
        return NULL;
    }
    if (!path || !*path || strcmp(path, "$") == 0)
        return v;
    const brine_value *found = brine_path_get(v, path, err);
    if (!found && err->code == BRINE_E_NOTFOUND)
        reword_not_found(v, path, err);
    return found;
}

/* Each getter: clear err, find the value, check it, store it. A local
 * error stands in for a NULL err, as the lookup needs its code. */
#define GETTER_START(what)                                                                                             \
    brine_error local;                                                                                                 \
    if (!err)                                                                                                          \
        err = &local;                                                                                                  \
    brine_error_clear(err);                                                                                            \
    const char *at;                                                                                                    \
    const brine_value *found = lookup(v, path, &at, what, err);                                                        \
    if (!found)                                                                                                        \
        return err->code ? err->code : BRINE_E_NOTFOUND;

int brine_get_bool(const brine_value *v, const char *path, int *out, brine_error *err)
{
    GETTER_START("brine_get_bool")
    if (brinep_want_type(found, BRINE_BOOL, at, err) != BRINE_OK)
        return err->code;
    if (out)
        *out = brine_bool_get(found);
    return BRINE_OK;
}

int brine_get_int64(const brine_value *v, const char *path, int64_t *out, brine_error *err)
{
    GETTER_START("brine_get_int64")
    return brinep_want_i64(found, out, at, err);
}

int brine_get_uint64(const brine_value *v, const char *path, uint64_t *out, brine_error *err)
{
    GETTER_START("brine_get_uint64")
    return brinep_want_u64(found, out, at, err);
}

int brine_get_double(const brine_value *v, const char *path, double *out, brine_error *err)
{
    GETTER_START("brine_get_double")
    return brinep_want_double(found, out, at, err);
}

int brine_get_complex(const brine_value *v, const char *path, double *re, double *im, brine_error *err)
{
    GETTER_START("brine_get_complex")
    return brinep_want_complex(found, re, im, at, err);
}

int brine_get_str(const brine_value *v, const char *path, const char **s, size_t *len, brine_error *err)
{
    GETTER_START("brine_get_str")
    if (brinep_want_type(found, BRINE_STR, at, err) != BRINE_OK)
        return err->code;
    const char *p = brine_str_get(found, len);
    if (s)
        *s = p;
    return BRINE_OK;
}

int brine_get_bytes(const brine_value *v, const char *path, const void **p, size_t *len, brine_error *err)
{
    GETTER_START("brine_get_bytes")
    if (brinep_want_type(found, BRINE_BYTES, at, err) != BRINE_OK)
        return err->code;
    const void *data = brine_bytes_get(found, len);
    if (p)
        *p = data;
    return BRINE_OK;
}

/* The containers: the handle itself, of the type wanted. */
static int get_container(const brine_value *v, const char *path, brine_type want, brine_value **out, brine_error *err,
                         const char *what)
{
    GETTER_START(what)
    if (brinep_want_type(found, want, at, err) != BRINE_OK)
        return err->code;
    if (out)
        *out = (brine_value *)found;
    return BRINE_OK;
}

int brine_get_list(const brine_value *v, const char *path, brine_value **out, brine_error *err)
{
    return get_container(v, path, BRINE_LIST, out, err, "brine_get_list");
}

int brine_get_tuple(const brine_value *v, const char *path, brine_value **out, brine_error *err)
{
    return get_container(v, path, BRINE_TUPLE, out, err, "brine_get_tuple");
}

int brine_get_dict(const brine_value *v, const char *path, brine_value **out, brine_error *err)
{
    return get_container(v, path, BRINE_DICT, out, err, "brine_get_dict");
}

int brine_get_model(const brine_value *v, const char *path, const char *name, brine_value **out, brine_error *err)
{
    GETTER_START("brine_get_model")
    if (brinep_want_model(found, name, at, err) != BRINE_OK)
        return err->code;
    if (out)
        *out = (brine_value *)found;
    return BRINE_OK;
}
