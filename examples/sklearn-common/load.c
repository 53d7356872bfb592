/* load.c: the scikit-learn examples' model side. Decodes a pickled
 * estimator (an allow-list keeps a pickle from naming anything the model
 * does not need), and checks the parts an example uses: ints in range,
 * numpy arrays of the expected shape (brine's pickle reader gives them as
 * BRINE_ARRAY values: dtype, byte order and sizes are already checked
 * against the bytes), and class labels in numpy's forms. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sk.h"

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

int sk_report(const char *prog, const char *what, const brine_error *err)
{
    fprintf(stderr, "%s: %s: %s", prog, what, err->message);
    if (err->offset != BRINE_NO_OFFSET)
        fprintf(stderr, " (at byte %llu)", (unsigned long long)err->offset);
    if (err->path[0] && strcmp(err->path, "$") != 0)
        fprintf(stderr, " (at %s)", err->path);
    fputc('\n', stderr);
    return 1;
}

const char *sk_describe(const brine_value *v, char *buf, size_t cap)
{
    size_t len;
    char dt[32];
    switch (brine_type_of(v)) {
    case BRINE_MODEL: {
        const char *name = brine_model_name(v, &len);
        snprintf(buf, cap, "a model of type '%.*s'", (int)(len > 120 ? 120 : len), name);
        break;
    }
    case BRINE_ARRAY:
        brine_dtype_str(brine_array_dtype(v), dt, sizeof dt);
        snprintf(buf, cap, "a %u-d array of %s", brine_array_ndim(v), dt);
        break;
    default: snprintf(buf, cap, "%s %s", brine_type_of(v) == BRINE_INT ? "an" : "a", brine_type_name(brine_type_of(v)));
    }
    return buf;
}

brine_doc *sk_load(const char *path, const char *allow, brine_registry **formats, brine_error *err)
{
    *formats = brine_registry_new(err);
    if (!*formats || brine_registry_load(*formats, err))
        return NULL;
    const brine_plugin *fmt = brine_registry_find_extension(*formats, path);
    if (!fmt)
        fmt = brine_registry_find(*formats, "pickle");
    if (!fmt) {
        brine_error_set(err, BRINE_E_NOTFOUND, "no format plugin reads it (is the pickle plugin installed?)");
        return NULL;
    }
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        brine_error_set(err, BRINE_E_IO, "%s", strerror(errno));
        return NULL;
    }
    char opt[1024];
    snprintf(opt, sizeof opt, "allow=%s", allow);
    const char *items[] = {opt};
    brine_options opts = {.count = strcmp(fmt->name, "pickle") == 0, .items = items};
    brine_source src;
    brine_source_init_file(&src, fp);
    brine_doc *doc = brine_decode(fmt, &src, &opts, err);
    brine_source_destroy(&src);
    fclose(fp);
    return doc;
}

int sk_int_at(const brine_value *root, const char *path, int64_t min, int64_t max, const char *what, int64_t *out,
              brine_error *err)
{
    int rc = brine_get_int64(root, path, out, err);
    if (rc == BRINE_E_RANGE || (rc == BRINE_OK && (*out < min || *out > max))) {
        brine_error_clear(err);
        return sk_fail(err, BRINE_E_RANGE, path, "expected %s from %lld to %lld", what, (long long)min, (long long)max);
    }
    return rc ? -1 : 0;
}

const brine_value *sk_array_at(const brine_value *root, const char *path, unsigned ndim, const uint64_t *shape,
                               brine_error *err)
{
    char found[160], want[160] = "", got[160] = "";
    const brine_value *a = brine_path_get(root, path, err);
    if (!a)
        return NULL;
    if (brine_type_of(a) != BRINE_ARRAY) {
        sk_fail(err, 0, path, "expected a numpy array, found %s", sk_describe(a, found, sizeof found));
        return NULL;
    }
    const uint64_t *have = brine_array_shape(a);
    int ok = brine_array_ndim(a) == ndim;
    for (unsigned i = 0; ok && i < ndim; i++)
        ok = shape[i] == SK_ANY || shape[i] == have[i];
    if (ok)
        return a;
    for (unsigned i = 0; i < ndim; i++) {
        size_t n = strlen(want);
        if (shape[i] == SK_ANY)
            snprintf(want + n, sizeof want - n, "%sn", i ? ", " : "");
        else
            snprintf(want + n, sizeof want - n, "%s%llu", i ? ", " : "", (unsigned long long)shape[i]);
    }
    for (unsigned i = 0; i < brine_array_ndim(a) && i < 8; i++) {
        size_t n = strlen(got);
        snprintf(got + n, sizeof got - n, "%s%llu", i ? ", " : "", (unsigned long long)have[i]);
    }
    sk_fail(err, BRINE_E_CORRUPT, path, "expected an array of shape (%s%s), found shape (%s%s)", want,
            ndim == 1 ? "," : "", got, brine_array_ndim(a) == 1 ? "," : "");
    return NULL;
}

int sk_doubles_at(const brine_value *root, const char *path, unsigned ndim, const uint64_t *shape, double **out,
                  brine_error *err)
{
    char found[160];
    const brine_value *a = sk_array_at(root, path, ndim, shape, err);
    if (!a)
        return -1;
    brine_dtype_kind k = brine_dtype_kind_of(brine_array_dtype(a));
    if (k != BRINE_DT_FLOAT && k != BRINE_DT_INT && k != BRINE_DT_UINT)
        return sk_fail(err, 0, path, "expected an array of numbers, found %s", sk_describe(a, found, sizeof found));
    /* The count is bounded by the array's own bytes, already in memory. */
    uint64_t count = brine_array_count(a);
    double *d = malloc((count ? count : 1) * sizeof *d);
    if (!d)
        return sk_fail(err, BRINE_E_NOMEM, path, "out of memory");
    for (uint64_t i = 0; i < count; i++)
        if (brine_array_get_double(a, i, &d[i], err)) {
            free(d);
            sk_path(err->path, sizeof err->path, path, "");
            return -1;
        }
    *out = d;
    return 0;
}

/* ---- class labels ---- */

static int label_set(sk_labels *l, size_t i, const char *s, size_t len, const char *path, brine_error *err)
{
    if (!(l->text[i] = malloc(len + 1)))
        return sk_fail(err, BRINE_E_NOMEM, path, "out of memory");
    memcpy(l->text[i], s, len);
    l->text[i][len] = 0;
    l->len[i] = len;
    return 0;
}

/* UTF-32 code units in native order (numpy's 'U' items, trailing NULs
 * dropped as numpy's str() does) to UTF-8. */
static int label_utf32(sk_labels *l, size_t i, const uint32_t *u, size_t n, const char *path, brine_error *err)
{
    while (n > 0 && u[n - 1] == 0)
        n--;
    char *s = malloc(4 * n + 1), *o = s;
    if (!s)
        return sk_fail(err, BRINE_E_NOMEM, path, "out of memory");
    for (size_t j = 0; j < n; j++) {
        uint32_t c = u[j];
        if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
            free(s);
            return sk_fail(err, BRINE_E_UTF8, path, "class label holds U+%lX, not a Unicode scalar value",
                           (unsigned long)c);
        }
        if (c < 0x80)
            *o++ = (char)c;
        else if (c < 0x800) {
            *o++ = (char)(0xC0 | (c >> 6));
            *o++ = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            *o++ = (char)(0xE0 | (c >> 12));
            *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (char)(0x80 | (c & 0x3F));
        } else {
            *o++ = (char)(0xF0 | (c >> 18));
            *o++ = (char)(0x80 | ((c >> 12) & 0x3F));
            *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *o = 0;
    l->text[i] = s;
    l->len[i] = (size_t)(o - s);
    return 0;
}

/* Label i of the object array (a list) items. */
static int label_object(sk_labels *l, size_t i, const brine_value *item, const char *path, brine_error *err)
{
    char found[160];
    size_t len;
    if (brine_type_of(item) == BRINE_STR) {
        const char *s = brine_str_get(item, &len);
        return label_set(l, i, s, len, path, err);
    }
    if (brine_type_of(item) == BRINE_INT) {
        char *dec = brine_int_to_decimal(item);
        int rc =
            dec ? label_set(l, i, dec, strlen(dec), path, err) : sk_fail(err, BRINE_E_NOMEM, path, "out of memory");
        brine_free(dec);
        return rc;
    }
    return sk_fail(err, BRINE_E_UNSUPPORTED, path, "expected a class label (a str or an int), found %s",
                   sk_describe(item, found, sizeof found));
}

/* Label i of a typed array a: U, S, int, uint or bool. */
static int label_typed(sk_labels *l, size_t i, const brine_value *a, const unsigned char *native, const char *path,
                       brine_error *err)
{
    const brine_dtype *dt = brine_array_dtype(a);
    size_t size = brine_dtype_itemsize(dt);
    const unsigned char *p = native + i * size;
    char num[32];
    int64_t n;
    uint64_t u;
    switch (brine_dtype_kind_of(dt)) {
    case BRINE_DT_STR: {
        uint32_t *units = malloc(size ? size : 1);
        if (!units)
            return sk_fail(err, BRINE_E_NOMEM, path, "out of memory");
        memcpy(units, p, size);
        int rc = label_utf32(l, i, units, size / 4, path, err);
        free(units);
        return rc;
    }
    case BRINE_DT_BYTES:
        while (size > 0 && p[size - 1] == 0)
            size--;
        return label_set(l, i, (const char *)p, size, path, err);
    case BRINE_DT_BOOL:
        snprintf(num, sizeof num, "%s", p[0] ? "True" : "False");
        return label_set(l, i, num, strlen(num), path, err);
    case BRINE_DT_INT:
        if (brine_array_get_int64(a, i, &n, err))
            return -1;
        snprintf(num, sizeof num, "%lld", (long long)n);
        return label_set(l, i, num, strlen(num), path, err);
    case BRINE_DT_UINT:
        if (brine_array_get_uint64(a, i, &u, err))
            return -1;
        snprintf(num, sizeof num, "%llu", (unsigned long long)u);
        return label_set(l, i, num, strlen(num), path, err);
    default: {
        char dts[32];
        brine_dtype_str(dt, dts, sizeof dts);
        return sk_fail(err, BRINE_E_UNSUPPORTED, path, "class labels of type %s are not supported", dts);
    }
    }
}

/* An object array (dtype 'O': the labels were Python objects, as pandas
 * gives str columns) is no BRINE_ARRAY: brine's pickle reader keeps it as
 * numpy's _reconstruct model, whose state (version, shape, dtype,
 * is_fortran, items) holds the items as a list. The 1-d one's list. */
static const brine_value *object_items(const brine_value *root, const char *path, brine_error *err)
{
    char p[BRINE_ERROR_PATH], found[160];
    brine_value *m, *items;
    int64_t n;
    size_t len;
    if (brine_get_model(root, path, NULL, &m, err))
        return NULL;
    const char *name = brine_model_name(m, &len);
    if (!((len == 34 && memcmp(name, "numpy.core.multiarray._reconstruct", len) == 0) ||
          (len == 35 && memcmp(name, "numpy._core.multiarray._reconstruct", len) == 0))) {
        sk_fail(err, 0, path, "expected a numpy array, found %s", sk_describe(m, found, sizeof found));
        return NULL;
    }
    if (brine_get_list(root, sk_path(p, sizeof p, path, ".state[4]"), &items, err) ||
        brine_get_int64(root, sk_path(p, sizeof p, path, ".state[1][0]"), &n, err))
        return NULL;
    if (brine_get_tuple(root, sk_path(p, sizeof p, path, ".state[1]"), &m, err) || brine_seq_count(m) != 1 ||
        n != (int64_t)brine_seq_count(items)) {
        sk_fail(err, BRINE_E_CORRUPT, path, "expected a 1-d object array of %zu labels", brine_seq_count(items));
        return NULL;
    }
    return items;
}

int sk_labels_read(const brine_value *root, const char *path, sk_labels *out, brine_error *err)
{
    char sub[BRINE_ERROR_PATH], at[48];
    const brine_value *v = brine_path_get(root, path, err), *a = NULL;
    unsigned char *native = NULL;
    memset(out, 0, sizeof *out);
    if (!v)
        return -1;
    size_t count;
    if (brine_type_of(v) == BRINE_MODEL && !(v = object_items(root, path, err)))
        return -1;
    if (brine_type_of(v) == BRINE_LIST || brine_type_of(v) == BRINE_TUPLE)
        count = brine_seq_count(v);
    else {
        const uint64_t any[] = {SK_ANY};
        if (!(a = sk_array_at(root, path, 1, any, err)))
            return -1;
        count = (size_t)brine_array_count(a);
    }
    if (count == 0)
        return sk_fail(err, BRINE_E_CORRUPT, path, "expected class labels, found none");
    out->text = calloc(count, sizeof *out->text);
    out->len = calloc(count, sizeof *out->len);
    if (a && !(native = malloc(brine_array_nbytes(a) ? brine_array_nbytes(a) : 1)))
        goto nomem;
    if (!out->text || !out->len)
        goto nomem;
    out->count = count;
    if (a && brine_array_to_native(a, native, brine_array_nbytes(a), err))
        goto fail;
    for (size_t i = 0; i < count; i++) {
        snprintf(at, sizeof at, "[%zu]", i);
        sk_path(sub, sizeof sub, path, at);
        if (a ? label_typed(out, i, a, native, sub, err) : label_object(out, i, brine_seq_get(v, i), sub, err))
            goto fail;
    }
    free(native);
    return 0;
nomem:
    sk_fail(err, BRINE_E_NOMEM, path, "out of memory");
fail:
    free(native);
    if (!out->count) {
        free(out->text);
        free(out->len);
        memset(out, 0, sizeof *out);
    } else
        sk_labels_free(out);
    return -1;
}

void sk_labels_free(sk_labels *l)
{
    for (size_t i = 0; l->text && i < l->count; i++)
        free(l->text[i]);
    free(l->text);
    free(l->len);
    memset(l, 0, sizeof *l);
}

void sk_labels_print(const sk_labels *l)
{
    for (size_t k = 0; k < l->count; k++) {
        fputs(k ? ", " : "", stdout);
        fwrite(l->text[k], 1, l->len[k], stdout);
    }
}
