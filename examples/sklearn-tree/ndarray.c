/* ndarray.c: decodes numpy arrays and dtypes, as read from a pickle, into
 * sk_array (ndarray.h). Every field a hostile file controls is checked:
 * model names, tuple sizes, dtype kind, size and byte order, shape, and that
 * the raw bytes are exactly product(shape) * itemsize. Anything numpy can
 * express but this reader does not need (subarrays, nested records,
 * complex, datetimes...) is refused by name. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndarray.h"

int sk_fail(brine_error *err, int code, const char *path, const char *fmt, ...)
{
    char msg[BRINE_ERROR_TEXT];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (err && err->code == BRINE_OK) {
        brine_error_set(err, code ? code : BRINE_E_TYPE, "%s", msg);
        sk_path(err->path, sizeof err->path, path, "");
    }
    return -1;
}

const char *sk_path(char *out, size_t cap, const char *base, const char *suffix)
{
    int n = snprintf(out, cap, "%s%s", base, suffix);
    if (n < 0 || (size_t)n >= cap) {
        if (cap >= 4)
            memcpy(out + cap - 4, "...", 4);
        else if (cap)
            out[0] = 0;
    }
    return out;
}

const char *sk_describe(const brine_value *v, char *buf, size_t cap)
{
    if (brine_type_of(v) != BRINE_MODEL)
        snprintf(buf, cap, "%s %s", brine_type_of(v) == BRINE_INT ? "an" : "a", brine_type_name(brine_type_of(v)));
    else {
        size_t len;
        const char *name = brine_model_name(v, &len);
        snprintf(buf, cap, "a model of type '%.*s'", (int)(len > 120 ? 120 : len), name);
    }
    return buf;
}

static int is_model(const brine_value *v, const char *name)
{
    size_t len;
    const char *got = brine_type_of(v) == BRINE_MODEL ? brine_model_name(v, &len) : NULL;
    return got && len == strlen(name) && memcmp(got, name, len) == 0;
}

static int is_str(const brine_value *v, const char *s)
{
    size_t len;
    const char *got = brine_type_of(v) == BRINE_STR ? brine_str_get(v, &len) : NULL;
    return got && len == strlen(s) && memcmp(got, s, len) == 0;
}

/* A tuple of count elements (0: any count), else an error. */
static const brine_value *expect_tuple(const brine_value *v, size_t count, const char *path, const char *what,
                                       brine_error *err)
{
    char found[160];
    if (brine_type_of(v) != BRINE_TUPLE) {
        sk_fail(err, 0, path, "expected %s (a tuple), found %s", what, sk_describe(v, found, sizeof found));
        return NULL;
    }
    if (count && brine_seq_count(v) != count) {
        sk_fail(err, 0, path, "expected %s (a tuple of %zu), found a tuple of %zu", what, count, brine_seq_count(v));
        return NULL;
    }
    return v;
}

static int expect_int(const brine_value *v, int64_t min, int64_t max, const char *path, const char *what, int64_t *out,
                      brine_error *err)
{
    char found[160];
    if (brine_type_of(v) != BRINE_INT)
        return sk_fail(err, 0, path, "expected %s (an int), found %s", what, sk_describe(v, found, sizeof found));
    if (brine_int_get_i64(v, out) != BRINE_OK || *out < min || *out > max)
        return sk_fail(err, BRINE_E_RANGE, path, "expected %s from %lld to %lld", what, (long long)min, (long long)max);
    return 0;
}

static int host_big_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 0;
}

/* The kinds this reader takes, and the sizes it takes them in. */
static int scalar_ok(char kind, size_t size)
{
    switch (kind) {
    case 'i':
    case 'u': return size == 1 || size == 2 || size == 4 || size == 8;
    case 'b': return size == 1;
    case 'f': return size == 4 || size == 8;
    case 'U': return size > 0 && size % 4 == 0;
    case 'S': return size > 0;
    case 'O': return size == 4 || size == 8;
    case 'V': return size > 0;
    default: return 0;
    }
}

static int dtype_read(const brine_value *v, const char *path, int nested, sk_dtype *out, brine_error *err);

/* names (a tuple of str) and fields (name -> (dtype, offset[, title])) of a
 * structured dtype into out->fields. */
static int fields_read(const brine_value *names, const brine_value *fields, const char *path, sk_dtype *out,
                       brine_error *err)
{
    char sub[BRINE_ERROR_PATH], found[160];
    if (brine_type_of(names) != BRINE_TUPLE || brine_type_of(fields) != BRINE_DICT)
        return sk_fail(err, BRINE_E_UNSUPPORTED, path,
                       "a void dtype without fields (names and fields are %s and %s) is not supported",
                       brine_type_name(brine_type_of(names)), brine_type_name(brine_type_of(fields)));
    size_t n = brine_seq_count(names);
    /* Names are checked pairwise for duplicates: a bound keeps that cheap. */
    if (n > SK_MAX_FIELDS)
        return sk_fail(err, BRINE_E_UNSUPPORTED, path,
                       "a structured dtype of %zu fields (more than %d) is not supported", n, SK_MAX_FIELDS);
    if (n == 0 || n != brine_dict_count(fields))
        return sk_fail(err, BRINE_E_CORRUPT, path, "a structured dtype with %zu names and %zu fields", n,
                       brine_dict_count(fields));
    out->fields = calloc(n, sizeof *out->fields);
    if (!out->fields)
        return sk_fail(err, BRINE_E_NOMEM, path, "out of memory");
    out->n_fields = n;
    for (size_t i = 0; i < n; i++) {
        char at[48];
        snprintf(at, sizeof at, "[3][%zu]", i);
        const brine_value *name = brine_seq_get(names, i);
        if (brine_type_of(name) != BRINE_STR)
            return sk_fail(err, 0, sk_path(sub, sizeof sub, path, at), "expected a field name (a str), found %s",
                           sk_describe(name, found, sizeof found));
        sk_field *f = &out->fields[i];
        f->name = brine_str_get(name, &f->name_len);
        for (size_t j = 0; j < i; j++)
            if (out->fields[j].name_len == f->name_len && !memcmp(out->fields[j].name, f->name, f->name_len))
                return sk_fail(err, BRINE_E_CORRUPT, sub, "field '%.*s' is named twice", (int)f->name_len, f->name);
        /* The entry's path: fields.NAME for identifier-like names (all that
         * numpy records have in practice), else the dict itself. */
        int ident = f->name_len > 0 && f->name_len < 40 && !(f->name[0] >= '0' && f->name[0] <= '9');
        for (size_t j = 0; ident && j < f->name_len; j++)
            ident = f->name[j] == '_' || (f->name[j] >= 'a' && f->name[j] <= 'z') ||
                    (f->name[j] >= 'A' && f->name[j] <= 'Z') || (f->name[j] >= '0' && f->name[j] <= '9');
        if (ident)
            snprintf(at, sizeof at, "[4].%.*s", (int)f->name_len, f->name);
        else
            snprintf(at, sizeof at, "[4]");
        sk_path(sub, sizeof sub, path, at);
        const brine_value *entry = brine_dict_get(fields, name);
        if (!entry)
            return sk_fail(err, BRINE_E_CORRUPT, path, "field '%.*s' is named but not described", (int)f->name_len,
                           f->name);
        if (brine_type_of(entry) != BRINE_TUPLE || brine_seq_count(entry) < 2 || brine_seq_count(entry) > 3)
            return sk_fail(err, 0, sub, "expected a field (a tuple (dtype, offset[, title])), found %s",
                           sk_describe(entry, found, sizeof found));
        sk_dtype fd = {{0, 0, 0}, 0, NULL};
        char sub2[BRINE_ERROR_PATH];
        if (dtype_read(brine_seq_get(entry, 0), sk_path(sub2, sizeof sub2, sub, "[0]"), 1, &fd, err))
            return -1;
        f->type = fd.scalar;
        int64_t off;
        if (expect_int(brine_seq_get(entry, 1), 0, INT32_MAX, sk_path(sub2, sizeof sub2, sub, "[1]"), "a field offset",
                       &off, err))
            return -1;
        if ((size_t)off > out->scalar.size || f->type.size > out->scalar.size - (size_t)off)
            return sk_fail(err, BRINE_E_CORRUPT, sub2,
                           "field '%.*s' (%zu bytes at offset %lld) overruns an item of %zu bytes", (int)f->name_len,
                           f->name, f->type.size, (long long)off, out->scalar.size);
        f->offset = (size_t)off;
    }
    return 0;
}

/* model numpy.dtype, args (typestr, align, copy), state (version 3 or 4,
 * byte order, subarray, names, fields, elsize, alignment, flags[, metadata]).
 * nested: a field's dtype, which must be a plain scalar. */
static int dtype_read(const brine_value *v, const char *path, int nested, sk_dtype *out, brine_error *err)
{
    char sub[BRINE_ERROR_PATH], found[160];
    memset(out, 0, sizeof *out);
    if (!is_model(v, "numpy.dtype"))
        return sk_fail(err, 0, path, "expected a numpy dtype (a model of type 'numpy.dtype'), found %s",
                       sk_describe(v, found, sizeof found));
    const brine_value *args = brine_model_args(v);
    if (brine_seq_count(args) < 1 || brine_type_of(brine_seq_get(args, 0)) != BRINE_STR)
        return sk_fail(err, 0, sk_path(sub, sizeof sub, path, ".args"),
                       "expected the dtype's arguments (a tuple starting with a type string)");
    size_t len;
    const char *ts = brine_str_get(brine_seq_get(args, 0), &len);
    sk_path(sub, sizeof sub, path, ".args[0]");
    /* A kind letter then a decimal size: 'f8', 'V56', 'U1', 'O8'. */
    size_t digits = 0, num = 0;
    while (1 + digits < len && ts[1 + digits] >= '0' && ts[1 + digits] <= '9' && digits < 9)
        num = num * 10 + (size_t)(ts[1 + digits++] - '0');
    if (len < 2 || 1 + digits != len)
        return sk_fail(err, BRINE_E_UNSUPPORTED, sub, "numpy type string '%.*s' is not supported",
                       (int)(len > 40 ? 40 : len), ts);
    out->scalar.kind = ts[0];

    const brine_value *state = brine_model_state(v);
    sk_path(sub, sizeof sub, path, ".state");
    if (!expect_tuple(state, 0, sub, "the dtype's state", err))
        return -1;
    int64_t version, elsize;
    size_t n = brine_seq_count(state);
    if (n < 1 || expect_int(brine_seq_get(state, 0), 0, INT32_MAX, sk_path(sub, sizeof sub, path, ".state[0]"),
                            "a dtype pickle version", &version, err))
        return n < 1 ? sk_fail(err, 0, sub, "the dtype's state is empty") : -1;
    if (!((version == 3 && n == 8) || (version == 4 && n == 9)))
        return sk_fail(err, BRINE_E_VERSION, sub, "dtype pickle version %lld with %zu fields is not supported",
                       (long long)version, n);
    const brine_value *order = brine_seq_get(state, 1);
    sk_path(sub, sizeof sub, path, ".state[1]");
    if (is_str(order, "<") || is_str(order, "|"))
        out->scalar.big_endian = 0;
    else if (is_str(order, ">"))
        out->scalar.big_endian = 1;
    else if (is_str(order, "="))
        out->scalar.big_endian = host_big_endian();
    else
        return sk_fail(err, 0, sub, "expected a byte order ('<', '>', '|' or '='), found %s",
                       sk_describe(order, found, sizeof found));
    if (brine_type_of(brine_seq_get(state, 2)) != BRINE_NULL)
        return sk_fail(err, BRINE_E_UNSUPPORTED, sk_path(sub, sizeof sub, path, ".state[2]"),
                       "subarray dtypes are not supported");
    if (expect_int(brine_seq_get(state, 5), -1, INT32_MAX, sk_path(sub, sizeof sub, path, ".state[5]"), "an item size",
                   &elsize, err))
        return -1;
    /* Flexible kinds carry their item size in the state, the others in the
     * type string ('U1' is one character of 4 bytes). */
    char k = out->scalar.kind;
    int flexible = k == 'V' || k == 'U' || k == 'S';
    if (flexible) {
        if (elsize <= 0 || (size_t)elsize != (k == 'U' ? num * 4 : num))
            return sk_fail(err, BRINE_E_CORRUPT, sub, "item size %lld does not match type string '%.*s'",
                           (long long)elsize, (int)len, ts);
        out->scalar.size = (size_t)elsize;
    } else {
        if (elsize != -1)
            return sk_fail(err, BRINE_E_CORRUPT, sub, "item size %lld given for fixed-size type '%.*s'",
                           (long long)elsize, (int)len, ts);
        out->scalar.size = num;
    }
    sk_path(sub, sizeof sub, path, ".args[0]");
    if (!scalar_ok(k, out->scalar.size))
        return sk_fail(err, BRINE_E_UNSUPPORTED, sub, "numpy dtype '%.*s' is not supported", (int)len, ts);
    if (is_str(order, "|") && out->scalar.size > 1 && (k == 'i' || k == 'u' || k == 'f' || k == 'U'))
        return sk_fail(err, BRINE_E_CORRUPT, sk_path(sub, sizeof sub, path, ".state[1]"),
                       "dtype '%.*s' needs a byte order, found '|'", (int)len, ts);
    const brine_value *names = brine_seq_get(state, 3), *fields = brine_seq_get(state, 4);
    if (k != 'V') {
        if (brine_type_of(names) != BRINE_NULL || brine_type_of(fields) != BRINE_NULL)
            return sk_fail(err, BRINE_E_CORRUPT, sk_path(sub, sizeof sub, path, ".state[3]"), "dtype '%.*s' has fields",
                           (int)len, ts);
        return 0;
    }
    if (nested)
        return sk_fail(err, BRINE_E_UNSUPPORTED, path, "nested structured dtypes are not supported");
    return fields_read(names, fields, sk_path(sub, sizeof sub, path, ".state"), out, err);
}

static int shape_read(const brine_value *v, const char *path, sk_array *out, brine_error *err)
{
    char sub[BRINE_ERROR_PATH];
    if (!expect_tuple(v, 0, path, "a shape", err))
        return -1;
    out->ndim = brine_seq_count(v);
    if (out->ndim > SK_MAX_DIMS)
        return sk_fail(err, BRINE_E_RANGE, path, "an array of %zu dimensions (numpy allows %d)", out->ndim,
                       SK_MAX_DIMS);
    out->count = 1;
    for (size_t i = 0; i < out->ndim; i++) {
        char at[32];
        int64_t d;
        snprintf(at, sizeof at, "[%zu]", i);
        if (expect_int(brine_seq_get(v, i), 0, INT64_MAX, sk_path(sub, sizeof sub, path, at), "a dimension", &d, err))
            return -1;
        if ((uint64_t)d > SIZE_MAX)
            return sk_fail(err, BRINE_E_RANGE, sub, "dimension %lld is too large", (long long)d);
        out->shape[i] = (size_t)d;
        if (out->shape[i] && out->count > SIZE_MAX / out->shape[i])
            return sk_fail(err, BRINE_E_RANGE, path, "the shape's element count overflows");
        out->count *= out->shape[i];
    }
    return 0;
}

/* The raw bytes (or, for object arrays, the list) against shape and dtype. */
static int data_check(const brine_value *data, const char *path, sk_array *out, brine_error *err)
{
    char found[160];
    if (out->dtype.scalar.kind == 'O') {
        if (brine_type_of(data) != BRINE_LIST)
            return sk_fail(err, 0, path, "expected the elements of an object array (a list), found %s",
                           sk_describe(data, found, sizeof found));
        if (brine_seq_count(data) != out->count)
            return sk_fail(err, BRINE_E_CORRUPT, path, "an object array of %zu elements holds %zu", out->count,
                           brine_seq_count(data));
        if (out->fortran && out->ndim > 1)
            return sk_fail(err, BRINE_E_UNSUPPORTED, path, "Fortran-ordered object arrays are not supported");
        out->objects = data;
        return 0;
    }
    if (brine_type_of(data) != BRINE_BYTES)
        return sk_fail(err, 0, path, "expected the array's data (bytes), found %s",
                       sk_describe(data, found, sizeof found));
    size_t len, item = out->dtype.scalar.size;
    out->data = brine_bytes_get(data, &len);
    if (item && out->count > SIZE_MAX / item)
        return sk_fail(err, BRINE_E_RANGE, path, "the array's byte size overflows");
    if (len != out->count * item)
        return sk_fail(err, BRINE_E_CORRUPT, path, "an array of %zu elements of %zu bytes holds %zu bytes, not %zu",
                       out->count, item, len, out->count * item);
    return 0;
}

/* numpy 1 and numpy 2 name the same functions in different modules. */
static int is_numpy(const brine_value *v, const char *module, const char *name)
{
    char full[96];
    snprintf(full, sizeof full, "numpy.core.%s.%s", module, name);
    if (is_model(v, full))
        return 1;
    snprintf(full, sizeof full, "numpy._core.%s.%s", module, name);
    return is_model(v, full);
}

/* _reconstruct(ndarray, (0,), b'b') with state (1, shape, dtype, is_fortran, data). */
static int reconstruct_read(const brine_value *v, const char *path, sk_array *out, brine_error *err)
{
    char sub[BRINE_ERROR_PATH], found[160];
    const brine_value *args = brine_model_args(v), *cls = brine_seq_get(args, 0);
    sk_path(sub, sizeof sub, path, ".args[0]");
    if (!is_model(cls, "pickle.global"))
        return sk_fail(err, 0, sub, "expected the array's class (a model of type 'pickle.global'), found %s",
                       sk_describe(cls, found, sizeof found));
    const brine_value *cargs = brine_model_args(cls);
    if (brine_seq_count(cargs) != 2 || !is_str(brine_seq_get(cargs, 0), "numpy") ||
        !is_str(brine_seq_get(cargs, 1), "ndarray"))
        return sk_fail(err, BRINE_E_UNSUPPORTED, sub, "only plain numpy.ndarray arrays are supported, not subclasses");
    const brine_value *st = brine_model_state(v);
    if (!expect_tuple(st, 5, sk_path(sub, sizeof sub, path, ".state"), "the array's state", err))
        return -1;
    int64_t version;
    if (expect_int(brine_seq_get(st, 0), 1, 1, sk_path(sub, sizeof sub, path, ".state[0]"), "an array pickle version",
                   &version, err))
        return -1;
    if (shape_read(brine_seq_get(st, 1), sk_path(sub, sizeof sub, path, ".state[1]"), out, err) ||
        dtype_read(brine_seq_get(st, 2), sk_path(sub, sizeof sub, path, ".state[2]"), 0, &out->dtype, err))
        return -1;
    const brine_value *fortran = brine_seq_get(st, 3);
    if (brine_type_of(fortran) != BRINE_BOOL)
        return sk_fail(err, 0, sk_path(sub, sizeof sub, path, ".state[3]"), "expected is_fortran (a bool), found %s",
                       sk_describe(fortran, found, sizeof found));
    out->fortran = brine_bool_get(fortran);
    return data_check(brine_seq_get(st, 4), sk_path(sub, sizeof sub, path, ".state[4]"), out, err);
}

/* _frombuffer(buffer, dtype, shape, order): protocol 5's in-band form. */
static int frombuffer_read(const brine_value *v, const char *path, sk_array *out, brine_error *err)
{
    char sub[BRINE_ERROR_PATH], found[160];
    const brine_value *args = brine_model_args(v);
    if (!expect_tuple(args, 4, sk_path(sub, sizeof sub, path, ".args"), "_frombuffer's arguments", err))
        return -1;
    if (shape_read(brine_seq_get(args, 2), sk_path(sub, sizeof sub, path, ".args[2]"), out, err) ||
        dtype_read(brine_seq_get(args, 1), sk_path(sub, sizeof sub, path, ".args[1]"), 0, &out->dtype, err))
        return -1;
    const brine_value *order = brine_seq_get(args, 3);
    if (!is_str(order, "C") && !is_str(order, "F"))
        return sk_fail(err, 0, sk_path(sub, sizeof sub, path, ".args[3]"), "expected an order ('C' or 'F'), found %s",
                       sk_describe(order, found, sizeof found));
    out->fortran = is_str(order, "F");
    if (out->dtype.scalar.kind == 'O')
        return sk_fail(err, BRINE_E_CORRUPT, path, "an object array cannot be read from a buffer");
    const brine_value *buf = brine_seq_get(args, 0);
    sk_path(sub, sizeof sub, path, ".args[0]");
    if (is_model(buf, "builtins.bytearray")) {
        const brine_value *bargs = brine_model_args(buf);
        if (brine_seq_count(bargs) != 1)
            return sk_fail(err, 0, sub, "expected a bytearray of one argument");
        buf = brine_seq_get(bargs, 0);
        sk_path(sub, sizeof sub, path, ".args[0].args[0]");
    }
    if (brine_type_of(brine_model_state(v)) != BRINE_NULL)
        return sk_fail(err, BRINE_E_CORRUPT, sk_path(sub, sizeof sub, path, ".state"),
                       "_frombuffer's result has no state");
    return data_check(buf, sub, out, err);
}

int sk_array_read(const brine_value *v, const char *path, sk_array *out, brine_error *err)
{
    char found[160];
    memset(out, 0, sizeof *out);
    int rc;
    if (is_numpy(v, "multiarray", "_reconstruct"))
        rc = reconstruct_read(v, path, out, err);
    else if (is_numpy(v, "numeric", "_frombuffer"))
        rc = frombuffer_read(v, path, out, err);
    else
        rc = sk_fail(err, 0, path,
                     "expected a numpy array (numpy.core.multiarray._reconstruct or "
                     "numpy.core.numeric._frombuffer), found %s",
                     sk_describe(v, found, sizeof found));
    if (rc)
        sk_array_free(out);
    return rc;
}

void sk_array_free(sk_array *a)
{
    free(a->dtype.fields);
    a->dtype.fields = NULL;
    a->dtype.n_fields = 0;
}

const sk_field *sk_dtype_field(const sk_dtype *dt, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < dt->n_fields; i++)
        if (dt->fields[i].name_len == len && memcmp(dt->fields[i].name, name, len) == 0)
            return &dt->fields[i];
    return NULL;
}

size_t sk_array_offset(const sk_array *a, const size_t *idx)
{
    size_t off = 0;
    if (a->fortran)
        for (size_t i = a->ndim; i-- > 0;)
            off = off * a->shape[i] + idx[i];
    else
        for (size_t i = 0; i < a->ndim; i++)
            off = off * a->shape[i] + idx[i];
    return off;
}

static uint64_t load_bits(const unsigned char *p, size_t size, int big_endian)
{
    uint64_t u = 0;
    for (size_t i = 0; i < size; i++)
        u |= (uint64_t)p[big_endian ? size - 1 - i : i] << (8 * i);
    return u;
}

int sk_load_int(const unsigned char *p, const sk_scalar *t, int64_t *out)
{
    if (t->kind != 'i' && t->kind != 'u' && t->kind != 'b')
        return -1;
    uint64_t u = load_bits(p, t->size, t->big_endian);
    if (t->kind == 'i' && t->size < 8 && (u >> (8 * t->size - 1)) & 1)
        u |= ~(uint64_t)0 << (8 * t->size); /* sign-extend */
    if (t->kind == 'u' && u > INT64_MAX)
        return -1;
    memcpy(out, &u, sizeof u);
    return 0;
}

int sk_load_float(const unsigned char *p, const sk_scalar *t, double *out)
{
    int64_t i;
    if (t->kind == 'f') {
        uint64_t u = load_bits(p, t->size, t->big_endian);
        if (t->size == 8)
            memcpy(out, &u, sizeof *out);
        else {
            uint32_t w = (uint32_t)u;
            float f;
            memcpy(&f, &w, sizeof f);
            *out = f;
        }
        return 0;
    }
    if (sk_load_int(p, t, &i))
        return -1;
    *out = (double)i;
    return 0;
}

const char *sk_scalar_describe(const sk_scalar *t, char *buf, size_t cap)
{
    const char *name = t->kind == 'i' ? "int" : t->kind == 'u' ? "uint" : t->kind == 'f' ? "float" : NULL;
    if (name)
        snprintf(buf, cap, "%s%zu", name, t->size * 8);
    else if (t->kind == 'b')
        snprintf(buf, cap, "bool");
    else if (t->kind == 'O')
        snprintf(buf, cap, "object");
    else
        snprintf(buf, cap, "%c%zu", t->kind, t->kind == 'U' ? t->size / 4 : t->size);
    return buf;
}
