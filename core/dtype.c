/* dtype.c: array element types (brine_dtype): numpy's type strings parsed
 * and printed, the record builder with its bounds and overlap checks,
 * equality, copying, byte swapping of one element, and the checks core
 * makes on a dtype a plugin sent. The array values themselves are in
 * array.c. A dtype is immutable once an array uses it, so arrays and
 * events may point at it without copying. */
#include <stdio.h>
#include <string.h>

#include "dtype.h"

static const char *const unit_names[] = {"", "Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as"};

/* The largest itemsize a type string may give: far beyond any memory, far
 * below every overflow in size computations. */
#define ITEMSIZE_MAX ((uint64_t)1 << 40)

static brine_dtype *dtype_alloc(brine_doc *doc, brine_error *err)
{
    brine_dtype *dt = brinep_alloc(doc, sizeof *dt);
    if (!dt) {
        brinep_nomem(err);
        return NULL;
    }
    memset(dt, 0, sizeof *dt);
    dt->doc = doc;
    dt->depth = 1;
    return dt;
}

static int syntax_at(brine_error *err, int code, size_t at, const char *what, const char *str, size_t len)
{
    brine_error_set_at(err, code, at, "%s in dtype string '%.*s' at offset %zu", what, (int)(len > 40 ? 40 : len), str,
                       at);
    return code;
}

/* The itemsizes numpy has for each numeric kind. */
static int size_ok(int kind, uint64_t n)
{
    switch (kind) {
    case BRINE_DT_BOOL: return n == 1;
    case BRINE_DT_INT:
    case BRINE_DT_UINT: return n == 1 || n == 2 || n == 4 || n == 8;
    case BRINE_DT_FLOAT: return n == 2 || n == 4 || n == 8;
    case BRINE_DT_COMPLEX: return n == 8 || n == 16;
    case BRINE_DT_DATETIME:
    case BRINE_DT_TIMEDELTA: return n == 8;
    default: return n >= 1 && n <= ITEMSIZE_MAX;
    }
}

static int kind_of_char(char c)
{
    switch (c) {
    case 'b': return BRINE_DT_BOOL;
    case 'i': return BRINE_DT_INT;
    case 'u': return BRINE_DT_UINT;
    case 'f': return BRINE_DT_FLOAT;
    case 'c': return BRINE_DT_COMPLEX;
    case 'S': return BRINE_DT_BYTES;
    case 'U': return BRINE_DT_STR;
    case 'M': return BRINE_DT_DATETIME;
    case 'm': return BRINE_DT_TIMEDELTA;
    case 'V': return BRINE_DT_VOID;
    default: return 0;
    }
}

static const char kind_chars[] = {0, 'b', 'i', 'u', 'f', 'c', 'S', 'U', 'M', 'm', 'V', 'V'};

/* Reads decimal digits at s[*i..len) into *out (at most ITEMSIZE_MAX);
 * 0 when there are none or too many. */
static int read_digits(const char *s, size_t len, size_t *i, uint64_t *out)
{
    uint64_t n = 0;
    size_t start = *i;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
        n = n * 10 + (uint64_t)(s[*i] - '0');
        if (n > ITEMSIZE_MAX)
            return 0;
        ++*i;
    }
    *out = n;
    return *i > start;
}

brine_dtype *brine_dtype_parse(brine_doc *doc, const char *s, size_t len, brine_error *err)
{
    brinep_enter(err);
    if (!doc || (!s && len)) {
        brine_error_set(err, BRINE_E_INVALID, "brine_dtype_parse needs a document and a string");
        return NULL;
    }
    size_t i = 0;
    if (len < 3) {
        syntax_at(err, BRINE_E_SYNTAX, len, "too short (order, kind and size expected)", s, len);
        return NULL;
    }
    char order = s[0];
    if (order != '<' && order != '>' && order != '|' && order != '=') {
        syntax_at(err, BRINE_E_SYNTAX, 0, "a byte order other than '<', '>', '|' or '='", s, len);
        return NULL;
    }
    if (order == '=')
        order = brinep_native_order();
    int kind = kind_of_char(s[1]);
    if (!kind) {
        syntax_at(err, s[1] == 'O' ? BRINE_E_UNSUPPORTED : BRINE_E_SYNTAX, 1,
                  s[1] == 'O' ? "object arrays are not array values" : "an unknown kind character", s, len);
        return NULL;
    }
    uint64_t n;
    i = 2;
    if (!read_digits(s, len, &i, &n)) {
        syntax_at(err, i < len && s[i] >= '0' && s[i] <= '9' ? BRINE_E_UNSUPPORTED : BRINE_E_SYNTAX, 2,
                  "a missing or absurd size", s, len);
        return NULL;
    }
    uint64_t itemsize = kind == BRINE_DT_STR ? n * 4 : n;
    if (!size_ok(kind, itemsize)) {
        syntax_at(err, BRINE_E_UNSUPPORTED, 2, "an itemsize numpy does not have for this kind", s, len);
        return NULL;
    }
    int one_byte = itemsize == 1 || kind == BRINE_DT_BYTES || kind == BRINE_DT_VOID;
    if (one_byte && kind != BRINE_DT_STR)
        order = '|'; /* numpy's own: '<i1' is '|i1' */
    else if (order == '|') {
        syntax_at(err, BRINE_E_SYNTAX, 0, "'|' (no byte order) for a type of several bytes", s, len);
        return NULL;
    }
    unsigned unit = 0;
    uint64_t unit_count = 0;
    if (kind == BRINE_DT_DATETIME || kind == BRINE_DT_TIMEDELTA) {
        if (i == len) {
            syntax_at(err, BRINE_E_UNSUPPORTED, i, "a datetime64/timedelta64 without a unit", s, len);
            return NULL;
        }
        if (s[i] != '[') {
            syntax_at(err, BRINE_E_SYNTAX, i, "'[' expected", s, len);
            return NULL;
        }
        i++;
        if (!read_digits(s, len, &i, &unit_count))
            unit_count = 1;
        if (unit_count == 0 || unit_count > UINT32_MAX) {
            syntax_at(err, BRINE_E_UNSUPPORTED, i, "a unit count of 0 or above 2^32", s, len);
            return NULL;
        }
        size_t u0 = i;
        while (i < len && s[i] != ']')
            i++;
        for (unsigned k = 1; k < sizeof unit_names / sizeof unit_names[0] && !unit; k++)
            if (strlen(unit_names[k]) == i - u0 && memcmp(unit_names[k], s + u0, i - u0) == 0)
                unit = k;
        if (!unit || i == len) {
            syntax_at(err, unit ? BRINE_E_SYNTAX : BRINE_E_UNSUPPORTED, u0, unit ? "']' expected" : "an unknown unit",
                      s, len);
            return NULL;
        }
        i++;
    }
    if (i != len) {
        syntax_at(err, BRINE_E_SYNTAX, i, "unexpected characters", s, len);
        return NULL;
    }
    brine_dtype *dt = dtype_alloc(doc, err);
    if (!dt)
        return NULL;
    dt->kind = (uint8_t)kind;
    dt->order = order;
    dt->itemsize = (size_t)itemsize;
    dt->unit = (uint8_t)unit;
    dt->unit_count = unit_count;
    return dt;
}

brine_dtype *brine_dtype_record_new(brine_doc *doc, size_t itemsize, brine_error *err)
{
    brinep_enter(err);
    if (!doc) {
        brine_error_set(err, BRINE_E_INVALID, "brine_dtype_record_new needs a document");
        return NULL;
    }
    if (itemsize == 0 || itemsize > ITEMSIZE_MAX) {
        brine_error_set(err, BRINE_E_RANGE, "a record's itemsize must be 1 to 2^40 bytes, not %zu", itemsize);
        return NULL;
    }
    brine_dtype *dt = dtype_alloc(doc, err);
    if (!dt)
        return NULL;
    dt->kind = BRINE_DT_RECORD;
    dt->order = '|';
    dt->itemsize = itemsize;
    return dt;
}

int brine_dtype_record_add(brine_dtype *rec, const char *name, size_t len, const brine_dtype *field, uint64_t offset,
                           unsigned ndim, const uint64_t *shape, brine_error *err)
{
    brinep_enter(err);
    if (!rec || rec->kind != BRINE_DT_RECORD || !field || (!name && len) || (ndim && !shape))
        return brine_error_set(err, BRINE_E_INVALID, "brine_dtype_record_add needs a record, a name and a dtype");
    if (rec->sealed)
        return brine_error_set(err, BRINE_E_INVALID, "the record is used by an array: it cannot change");
    if (field->doc != rec->doc)
        return brine_error_set(err, BRINE_E_INVALID, "the field's dtype belongs to another document");
    if (len == 0 || brine_utf8_check(name, len) != len)
        return brine_error_set(err, BRINE_E_INVALID, "a field name must be non-empty UTF-8");
    if (field->depth >= BRINE_DTYPE_MAX_NESTING)
        return brine_error_set(err, BRINE_E_RANGE, "records nest deeper than %d levels", BRINE_DTYPE_MAX_NESTING);
    if (rec->nfields >= BRINEP_DTYPE_MAX_FIELDS)
        return brine_error_set(err, BRINE_E_RANGE, "a record has more than %d fields", BRINEP_DTYPE_MAX_FIELDS);
    if (ndim > BRINE_ARRAY_MAX_DIMS)
        return brine_error_set(err, BRINE_E_RANGE, "a sub-array field of %u dimensions (at most %d)", ndim,
                               BRINE_ARRAY_MAX_DIMS);
    uint64_t count;
    size_t bytes;
    if (brinep_shape_count(ndim, shape, field->itemsize, &count, &bytes))
        return brine_error_set(err, BRINE_E_RANGE, "field '%.*s': its shape's size overflows", (int)len, name);
    if (offset > rec->itemsize || bytes > rec->itemsize - offset)
        return brine_error_set(err, BRINE_E_RANGE,
                               "field '%.*s' (bytes %llu to %llu) does not fit in the record's %zu bytes", (int)len,
                               name, (unsigned long long)offset, (unsigned long long)(offset + bytes), rec->itemsize);
    for (size_t k = 0; k < rec->nfields; k++) {
        const brinep_field *f = &rec->fields[k];
        if (f->len == len && memcmp(f->name, name, len) == 0)
            return brine_error_set(err, BRINE_E_INVALID, "field name '%.*s' is repeated", (int)len, name);
        if (bytes && f->size && offset < f->offset + f->size && f->offset < offset + bytes)
            return brine_error_set(err, BRINE_E_RANGE, "field '%.*s' (bytes %llu to %llu) overlaps field '%s'",
                                   (int)len, name, (unsigned long long)offset, (unsigned long long)(offset + bytes),
                                   f->name);
    }
    if (rec->nfields == rec->cap) {
        size_t cap = rec->cap ? rec->cap * 2 : 4;
        brinep_field *grown = brinep_grow(rec->doc, rec->fields, rec->cap * sizeof *grown, cap * sizeof *grown);
        if (!grown)
            return brinep_nomem(err);
        rec->fields = grown;
        rec->cap = cap;
    }
    char *copy = brinep_alloc(rec->doc, len + 1);
    uint64_t *dims = ndim ? brinep_alloc(rec->doc, ndim * sizeof *dims) : NULL;
    if (!copy || (ndim && !dims))
        return brinep_nomem(err);
    memcpy(copy, name, len);
    copy[len] = '\0';
    if (ndim)
        memcpy(dims, shape, ndim * sizeof *dims);
    brinep_field *f = &rec->fields[rec->nfields++];
    f->name = copy;
    f->len = len;
    f->dtype = field;
    f->offset = offset;
    f->ndim = ndim;
    f->shape = dims;
    f->count = count;
    f->size = bytes;
    if (field->depth + 1 > rec->depth)
        rec->depth = (uint8_t)(field->depth + 1);
    if (field->kind == BRINE_DT_RECORD)
        ((brine_dtype *)field)->sealed = 1; /* nested: its layout is now part of this one */
    return BRINE_OK;
}

brine_dtype_kind brine_dtype_kind_of(const brine_dtype *dt)
{
    return dt ? (brine_dtype_kind)dt->kind : (brine_dtype_kind)0;
}

size_t brine_dtype_itemsize(const brine_dtype *dt)
{
    return dt ? dt->itemsize : 0;
}

char brine_dtype_byteorder(const brine_dtype *dt)
{
    return dt ? dt->order : '|';
}

brine_dtype_unit brine_dtype_unit_of(const brine_dtype *dt, uint64_t *count)
{
    if (count)
        *count = dt ? dt->unit_count : 0;
    return dt ? (brine_dtype_unit)dt->unit : BRINE_UNIT_NONE;
}

size_t brine_dtype_field_count(const brine_dtype *dt)
{
    return dt && dt->kind == BRINE_DT_RECORD ? dt->nfields : 0;
}

int brine_dtype_field(const brine_dtype *dt, size_t i, const char **name, size_t *len, const brine_dtype **field,
                      uint64_t *offset, unsigned *ndim, const uint64_t **shape)
{
    if (!dt || dt->kind != BRINE_DT_RECORD)
        return BRINE_E_TYPE;
    if (i >= dt->nfields)
        return BRINE_E_RANGE;
    const brinep_field *f = &dt->fields[i];
    if (name)
        *name = f->name;
    if (len)
        *len = f->len;
    if (field)
        *field = f->dtype;
    if (offset)
        *offset = f->offset;
    if (ndim)
        *ndim = f->ndim;
    if (shape)
        *shape = f->shape;
    return BRINE_OK;
}

long brine_dtype_field_index(const brine_dtype *dt, const char *name, size_t len)
{
    if (!dt || dt->kind != BRINE_DT_RECORD || !name)
        return -1;
    for (size_t k = 0; k < dt->nfields; k++)
        if (dt->fields[k].len == len && memcmp(dt->fields[k].name, name, len) == 0)
            return (long)k;
    return -1;
}

/* ---- text ---- */

typedef struct textbuf {
    char *out;
    size_t cap, len;
} textbuf;

static void tput(textbuf *t, const char *s, size_t n)
{
    if (t->len < t->cap) {
        size_t room = t->cap - t->len;
        memcpy(t->out + t->len, s, n < room ? n : room);
    }
    t->len += n;
}

static void tputs(textbuf *t, const char *s)
{
    tput(t, s, strlen(s));
}

static size_t tfinish(textbuf *t)
{
    if (t->cap)
        t->out[t->len < t->cap ? t->len : t->cap - 1] = '\0';
    return t->len;
}

static void str_into(textbuf *t, const brine_dtype *dt)
{
    char buf[64];
    uint64_t n = dt->kind == BRINE_DT_STR ? dt->itemsize / 4 : dt->itemsize;
    snprintf(buf, sizeof buf, "%c%c%llu", dt->order, kind_chars[dt->kind], (unsigned long long)n);
    tputs(t, buf);
    if (dt->unit) {
        if (dt->unit_count != 1)
            snprintf(buf, sizeof buf, "[%llu%s]", (unsigned long long)dt->unit_count, unit_names[dt->unit]);
        else
            snprintf(buf, sizeof buf, "[%s]", unit_names[dt->unit]);
        tputs(t, buf);
    }
}

size_t brine_dtype_str(const brine_dtype *dt, char *out, size_t cap)
{
    textbuf t = {out, cap, 0};
    if (dt)
        str_into(&t, dt);
    return tfinish(&t);
}

static void name_literal(textbuf *t, const char *s, size_t len)
{
    /* Python's repr of a str, for names made of printable characters;
     * others are escaped byte by byte (names are UTF-8: readable enough). */
    tput(t, "'", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char buf[8];
        if (c == '\'' || c == '\\') {
            buf[0] = '\\';
            buf[1] = (char)c;
            tput(t, buf, 2);
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(buf, sizeof buf, "\\x%02x", c);
            tputs(t, buf);
        } else {
            tput(t, (const char *)&c, 1);
        }
    }
    tput(t, "'", 1);
}

static void descr_into(textbuf *t, const brine_dtype *dt);

static void pad_entry(textbuf *t, uint64_t n, int *first)
{
    char buf[48];
    snprintf(buf, sizeof buf, "%s('', '|V%llu')", *first ? "" : ", ", (unsigned long long)n);
    tputs(t, buf);
    *first = 0;
}

static void descr_into(textbuf *t, const brine_dtype *dt)
{
    tput(t, "[", 1);
    if (dt->kind != BRINE_DT_RECORD) {
        tputs(t, "('', '");
        str_into(t, dt);
        tputs(t, "')");
    } else {
        /* In offset order, gaps as padding, as numpy's descr lists them. */
        size_t n = dt->nfields;
        const brinep_field **order = brine_malloc((n ? n : 1) * sizeof *order);
        if (!order) {
            tput(t, "]", 1);
            return;
        }
        for (size_t k = 0; k < n; k++) {
            size_t j = k;
            while (j > 0 && order[j - 1]->offset > dt->fields[k].offset) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = &dt->fields[k];
        }
        uint64_t at = 0;
        int first = 1;
        for (size_t k = 0; k < n; k++) {
            const brinep_field *f = order[k];
            if (f->offset > at)
                pad_entry(t, f->offset - at, &first);
            tputs(t, first ? "(" : ", (");
            first = 0;
            name_literal(t, f->name, f->len);
            tputs(t, ", ");
            if (f->dtype->kind == BRINE_DT_RECORD) {
                descr_into(t, f->dtype);
            } else {
                tput(t, "'", 1);
                str_into(t, f->dtype);
                tput(t, "'", 1);
            }
            if (f->ndim) {
                tputs(t, ", (");
                for (unsigned d = 0; d < f->ndim; d++) {
                    char buf[32];
                    snprintf(buf, sizeof buf, "%s%llu", d ? ", " : "", (unsigned long long)f->shape[d]);
                    tputs(t, buf);
                }
                tputs(t, f->ndim == 1 ? ",)" : ")");
            }
            tput(t, ")", 1);
            if (f->offset + f->size > at)
                at = f->offset + f->size;
        }
        if (at < dt->itemsize)
            pad_entry(t, dt->itemsize - at, &first);
        brine_free(order);
    }
    tput(t, "]", 1);
}

size_t brine_dtype_descr(const brine_dtype *dt, char *out, size_t cap)
{
    textbuf t = {out, cap, 0};
    if (dt)
        descr_into(&t, dt);
    return tfinish(&t);
}

/* ---- numpy's repr of a record dtype (the array repr's dtype=) ---- */

/* A field's type as numpy's repr writes it in a record: no '|' order,
 * bool as '?' ('u1', 'S2', '<f8'). */
static void short_type_into(textbuf *t, const brine_dtype *dt)
{
    char buf[80];
    textbuf s = {buf, sizeof buf, 0};
    str_into(&s, dt);
    tfinish(&s);
    tput(t, "'", 1);
    tputs(t, dt->kind == BRINE_DT_BOOL ? "?" : buf[0] == '|' ? buf + 1 : buf);
    tput(t, "'", 1);
}

static void record_repr_into(textbuf *t, const brine_dtype *dt);

static void shape_into(textbuf *t, const brinep_field *f)
{
    tputs(t, "(");
    for (unsigned d = 0; d < f->ndim; d++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%s%llu", d ? ", " : "", (unsigned long long)f->shape[d]);
        tputs(t, buf);
    }
    tputs(t, f->ndim == 1 ? ",)" : ")");
}

static void field_type_into(textbuf *t, const brinep_field *f, int as_format)
{
    if (as_format && f->ndim)
        tput(t, "(", 1);
    if (f->dtype->kind == BRINE_DT_RECORD)
        record_repr_into(t, f->dtype);
    else
        short_type_into(t, f->dtype);
    if (f->ndim) {
        tputs(t, ", ");
        shape_into(t, f);
        if (as_format)
            tput(t, ")", 1);
    }
}

/* numpy's _is_packed: each field right after the one before, in the
 * order added, and nothing after the last. */
static int record_packed(const brine_dtype *dt)
{
    uint64_t at = 0;
    for (size_t i = 0; i < dt->nfields; i++) {
        if (dt->fields[i].offset != at)
            return 0;
        at += dt->fields[i].size;
    }
    return at == dt->itemsize;
}

/* [('a', '<i4'), ('b', 'u1', (2,))], or, with gaps or another order,
 * numpy's dict form {'names': [...], 'formats': [...], 'offsets': [...],
 * 'itemsize': n}. */
static void record_repr_into(textbuf *t, const brine_dtype *dt)
{
    if (record_packed(dt)) {
        tput(t, "[", 1);
        for (size_t i = 0; i < dt->nfields; i++) {
            tputs(t, i ? ", (" : "(");
            name_literal(t, dt->fields[i].name, dt->fields[i].len);
            tputs(t, ", ");
            field_type_into(t, &dt->fields[i], 0);
            tput(t, ")", 1);
        }
        tput(t, "]", 1);
        return;
    }
    char buf[48];
    tputs(t, "{'names': [");
    for (size_t i = 0; i < dt->nfields; i++) {
        tputs(t, i ? ", " : "");
        name_literal(t, dt->fields[i].name, dt->fields[i].len);
    }
    tputs(t, "], 'formats': [");
    for (size_t i = 0; i < dt->nfields; i++) {
        tputs(t, i ? ", " : "");
        field_type_into(t, &dt->fields[i], 1);
    }
    tputs(t, "], 'offsets': [");
    for (size_t i = 0; i < dt->nfields; i++) {
        snprintf(buf, sizeof buf, "%s%llu", i ? ", " : "", (unsigned long long)dt->fields[i].offset);
        tputs(t, buf);
    }
    snprintf(buf, sizeof buf, "], 'itemsize': %llu}", (unsigned long long)dt->itemsize);
    tputs(t, buf);
}

size_t brinep_dtype_record_repr(const brine_dtype *dt, char *out, size_t cap)
{
    textbuf t = {out, cap, 0};
    record_repr_into(&t, dt);
    return tfinish(&t);
}

size_t brinep_dtype_name(const brine_dtype *dt, char *out, size_t cap)
{
    static const char *const base[] = {"",      "bool", "int",        "uint",        "float", "complex",
                                       "bytes", "str",  "datetime64", "timedelta64", "void",  "void"};
    char buf[64];
    textbuf t = {out, cap, 0};
    if (dt->kind == BRINE_DT_BOOL) {
        tputs(&t, "bool");
    } else if (dt->kind == BRINE_DT_DATETIME || dt->kind == BRINE_DT_TIMEDELTA) {
        tputs(&t, base[dt->kind]);
        if (dt->unit_count != 1)
            snprintf(buf, sizeof buf, "[%llu%s]", (unsigned long long)dt->unit_count, unit_names[dt->unit]);
        else
            snprintf(buf, sizeof buf, "[%s]", unit_names[dt->unit]);
        tputs(&t, buf);
    } else {
        snprintf(buf, sizeof buf, "%s%zu", base[dt->kind], dt->itemsize * 8);
        tputs(&t, buf);
    }
    return tfinish(&t);
}

/* ---- equality, copy, swap ---- */

int brine_dtype_equal(const brine_dtype *a, const brine_dtype *b)
{
    if (a == b)
        return 1;
    if (!a || !b || a->kind != b->kind || a->order != b->order || a->itemsize != b->itemsize || a->unit != b->unit ||
        a->unit_count != b->unit_count || a->nfields != b->nfields)
        return 0;
    for (size_t k = 0; k < a->nfields; k++) { /* nesting is bounded (BRINE_DTYPE_MAX_NESTING) */
        const brinep_field *f = &a->fields[k], *g = &b->fields[k];
        if (f->len != g->len || memcmp(f->name, g->name, f->len) != 0 || f->offset != g->offset || f->ndim != g->ndim ||
            (f->ndim && memcmp(f->shape, g->shape, f->ndim * sizeof *f->shape) != 0) ||
            !brine_dtype_equal(f->dtype, g->dtype))
            return 0;
    }
    return 1;
}

brine_dtype *brine_dtype_copy(brine_doc *doc, const brine_dtype *dt, brine_error *err)
{
    brinep_enter(err);
    if (!doc || !dt) {
        brine_error_set(err, BRINE_E_INVALID, "brine_dtype_copy needs a document and a dtype");
        return NULL;
    }
    if (dt->doc == doc)
        return (brine_dtype *)dt; /* immutable once used; a record still being built is shared on purpose */
    brine_dtype *c = dtype_alloc(doc, err);
    if (!c)
        return NULL;
    *c = *dt;
    c->doc = doc;
    c->nfields = c->cap = 0;
    c->fields = NULL;
    c->sealed = 0;
    for (size_t k = 0; k < dt->nfields; k++) {
        const brinep_field *f = &dt->fields[k];
        const brine_dtype *fd = brine_dtype_copy(doc, f->dtype, err);
        if (!fd || brine_dtype_record_add(c, f->name, f->len, fd, f->offset, f->ndim, f->shape, err))
            return NULL;
    }
    c->sealed = dt->sealed;
    return c;
}

static void swap_n(unsigned char *dst, const unsigned char *src, size_t n)
{
    unsigned char tmp[16];
    for (size_t i = 0; i < n; i++)
        tmp[i] = src[n - 1 - i];
    memcpy(dst, tmp, n);
}

void brinep_dtype_swap(const brine_dtype *dt, unsigned char *dst, const unsigned char *src)
{
    switch (dt->kind) {
    case BRINE_DT_RECORD:
        if (dst != src)
            memcpy(dst, src, dt->itemsize); /* padding too */
        for (size_t k = 0; k < dt->nfields; k++) {
            const brinep_field *f = &dt->fields[k];
            for (uint64_t e = 0; e < f->count; e++) {
                size_t at = (size_t)(f->offset + e * f->dtype->itemsize);
                brinep_dtype_swap(f->dtype, dst + at, src + at);
            }
        }
        break;
    case BRINE_DT_COMPLEX:
        swap_n(dst, src, dt->itemsize / 2);
        swap_n(dst + dt->itemsize / 2, src + dt->itemsize / 2, dt->itemsize / 2);
        break;
    case BRINE_DT_STR:
        for (size_t i = 0; i < dt->itemsize; i += 4)
            swap_n(dst + i, src + i, 4);
        break;
    case BRINE_DT_BYTES:
    case BRINE_DT_VOID:
    case BRINE_DT_BOOL:
        if (dst != src)
            memcpy(dst, src, dt->itemsize);
        break;
    default:
        if (dt->order == '|' || !brinep_dtype_swapped(dt)) {
            if (dst != src)
                memcpy(dst, src, dt->itemsize);
        } else {
            swap_n(dst, src, dt->itemsize);
        }
        break;
    }
}

/* ---- checks of a plugin's dtype ---- */

int brinep_dtype_fault(const brine_dtype *dt, char *what, size_t cap)
{
    if (!dt) {
        snprintf(what, cap, "an array event without a dtype");
        return BRINE_E_PLUGIN;
    }
    int ok = dt->kind >= BRINE_DT_BOOL && dt->kind <= BRINE_DT_RECORD && dt->itemsize > 0 &&
             dt->itemsize <= ITEMSIZE_MAX && (dt->order == '<' || dt->order == '>' || dt->order == '|') &&
             dt->depth >= 1 && dt->depth <= BRINE_DTYPE_MAX_NESTING && dt->nfields <= BRINEP_DTYPE_MAX_FIELDS &&
             (dt->kind == BRINE_DT_RECORD || dt->nfields == 0) && (dt->nfields == 0 || dt->fields) &&
             (dt->kind == BRINE_DT_RECORD || dt->kind == BRINE_DT_VOID || size_ok(dt->kind, dt->itemsize));
    for (size_t k = 0; ok && k < dt->nfields; k++) {
        const brinep_field *f = &dt->fields[k];
        ok = f->dtype && f->dtype->depth < dt->depth && f->offset <= dt->itemsize &&
             f->size <= dt->itemsize - f->offset && brinep_dtype_fault(f->dtype, what, cap) == BRINE_OK;
    }
    if (!ok) {
        snprintf(what, cap, "an array event whose dtype is malformed");
        return BRINE_E_PLUGIN;
    }
    return BRINE_OK;
}
