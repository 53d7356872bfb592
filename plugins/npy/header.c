/* header.c: the NPY header, a Python dict literal such as
 *   {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and a newline. Reading is a small strict parser of
 * exactly that grammar (numpy's own reader calls ast.literal_eval, which we
 * do not want to imitate beyond it): the three keys, each once; descr a
 * dtype string or a list of (name, descr[, shape]) tuples for a record;
 * shape a tuple of ints. Records nest at most BRINE_DTYPE_MAX_NESTING deep,
 * which bounds the parser's recursion. Writing reproduces numpy.save's
 * header byte for byte, padding included.
 */
#include <stdarg.h>
#include <stdio.h>

#include "npy.h"

typedef struct hp {
    const unsigned char *p;
    size_t len, pos;
    uint64_t base; /* input offset of p[0] */
    int utf8;      /* 3.0 headers are UTF-8, older ones latin-1 */
    brine_doc *doc;
    brine_error *err;
    char *str; /* the last string literal, decoded to UTF-8 */
    size_t str_len, str_cap;
    char *names; /* field names of the records being built */
    size_t names_len, names_cap;
} hp;

static int hfail(hp *h, int code, size_t at, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return brine_error_set_at(h->err, code, h->base + at, "npy header: %s", msg);
}

static int nomem(hp *h)
{
    return brine_error_set(h->err, BRINE_E_NOMEM, "out of memory");
}

static void ws(hp *h)
{
    while (h->pos < h->len &&
           (h->p[h->pos] == ' ' || h->p[h->pos] == '\t' || h->p[h->pos] == '\n' || h->p[h->pos] == '\r'))
        h->pos++;
}

/* The next byte after whitespace, or -1 at the end. */
static int peek(hp *h)
{
    ws(h);
    return h->pos < h->len ? h->p[h->pos] : -1;
}

static int expect(hp *h, char c, const char *where)
{
    int got = peek(h);
    if (got != c) {
        if (got < 0)
            return hfail(h, BRINE_E_SYNTAX, h->pos, "it ends where '%c' was expected %s", c, where);
        return hfail(h, BRINE_E_SYNTAX, h->pos, "'%c' expected %s", c, where);
    }
    h->pos++;
    return BRINE_OK;
}

static int str_put(hp *h, uint32_t cp)
{
    if (h->str_len + 4 > h->str_cap) {
        size_t cap = h->str_cap ? h->str_cap * 2 : 64;
        char *s = brine_realloc(h->str, cap);
        if (!s)
            return nomem(h);
        h->str = s;
        h->str_cap = cap;
    }
    char *o = h->str + h->str_len;
    if (cp < 0x80) {
        o[0] = (char)cp;
        h->str_len += 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        h->str_len += 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        h->str_len += 3;
    } else {
        o[0] = (char)(0xF0 | cp >> 18);
        o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[3] = (char)(0x80 | (cp & 0x3F));
        h->str_len += 4;
    }
    return BRINE_OK;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A Python str literal in ' or " quotes, with Python's escapes, into h->str
 * (UTF-8). Raw bytes are latin-1 characters, or UTF-8 in a 3.0 header. */
static int string(hp *h)
{
    int q = peek(h);
    if (q != '\'' && q != '"')
        return hfail(h, BRINE_E_SYNTAX, h->pos, "a string expected");
    size_t open = h->pos++;
    h->str_len = 0;
    int rc;
    for (;;) {
        if (h->pos >= h->len)
            return hfail(h, BRINE_E_SYNTAX, open, "a string that does not end");
        size_t at = h->pos;
        unsigned c = h->p[h->pos++];
        uint32_t cp = c;
        if (c == (unsigned)q)
            break;
        if (c < 0x20 || c == 0x7f)
            return hfail(h, BRINE_E_SYNTAX, at, "a control byte 0x%02x in a string", c);
        if (c >= 0x80 && h->utf8) {
            /* Validate one UTF-8 sequence and copy it as it is. */
            size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (at + n > h->len || brine_utf8_check((const char *)h->p + at, n) != n)
                return hfail(h, BRINE_E_UTF8, at, "invalid UTF-8 in a 3.0 header");
            for (size_t i = 1; i < n; i++)
                cp = cp << 6 | (h->p[at + i] & 0x3F);
            cp &= n == 2 ? 0x7FF : n == 3 ? 0xFFFF : 0x1FFFFF;
            h->pos = at + n;
        } else if (c == '\\') {
            if (h->pos >= h->len)
                return hfail(h, BRINE_E_SYNTAX, open, "a string that does not end");
            unsigned e = h->p[h->pos++];
            int digits = 0;
            switch (e) {
            case '\\':
            case '\'':
            case '"': cp = e; break;
            case 'n': cp = '\n'; break;
            case 't': cp = '\t'; break;
            case 'r': cp = '\r'; break;
            case 'a': cp = 7; break;
            case 'b': cp = 8; break;
            case 'f': cp = 12; break;
            case 'v': cp = 11; break;
            case 'x': digits = 2; break;
            case 'u': digits = 4; break;
            case 'U': digits = 8; break;
            default:
                if (e >= '0' && e <= '7') {
                    /* Up to three octal digits. */
                    cp = e - '0';
                    for (int i = 0; i < 2 && h->pos < h->len && h->p[h->pos] >= '0' && h->p[h->pos] <= '7'; i++)
                        cp = cp * 8 + (h->p[h->pos++] - '0');
                    break;
                }
                return hfail(h, BRINE_E_SYNTAX, at, "an unknown escape '\\%c'", e >= 0x20 && e < 0x7f ? e : '?');
            }
            if (digits) {
                cp = 0;
                for (int i = 0; i < digits; i++) {
                    int v = h->pos < h->len ? hexval(h->p[h->pos]) : -1;
                    if (v < 0)
                        return hfail(h, BRINE_E_SYNTAX, at, "a truncated \\%c escape", e);
                    cp = cp << 4 | (uint32_t)v;
                    h->pos++;
                }
            }
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
                return hfail(h, BRINE_E_UTF8, at, "an escape that is no character (U+%04X)", (unsigned)cp);
        }
        if ((rc = str_put(h, cp)))
            return rc;
    }
    return BRINE_OK;
}

/* A non-negative Python int (a trailing L, as Python 2 wrote longs, allowed). */
static int integer(hp *h, uint64_t *out)
{
    int c = peek(h);
    size_t at = h->pos;
    if (c < '0' || c > '9')
        return hfail(h, BRINE_E_SYNTAX, at, "a non-negative integer expected");
    uint64_t v = 0;
    while (h->pos < h->len && h->p[h->pos] >= '0' && h->p[h->pos] <= '9') {
        unsigned d = h->p[h->pos] - '0';
        if (v > (UINT64_MAX - d) / 10)
            return hfail(h, BRINE_E_RANGE, at, "an integer too large for 64 bits");
        v = v * 10 + d;
        h->pos++;
    }
    if (h->p[at] == '0' && h->pos - at > 1)
        return hfail(h, BRINE_E_SYNTAX, at, "an integer with a leading zero");
    if (h->pos < h->len && (h->p[h->pos] == 'L' || h->p[h->pos] == 'l'))
        h->pos++;
    *out = v;
    return BRINE_OK;
}

/* A tuple of ints, "()", "(3,)", "(2, 3)": a single element needs its
 * comma, as in Python, where "(3)" is the int 3. */
static int shape_tuple(hp *h, unsigned *ndim, uint64_t *shape)
{
    int rc;
    peek(h);
    size_t open = h->pos;
    if ((rc = expect(h, '(', "for a shape")))
        return rc;
    unsigned n = 0;
    int comma = 0;
    while (peek(h) != ')') {
        if (n == BRINE_ARRAY_MAX_DIMS)
            return hfail(h, BRINE_E_RANGE, h->pos, "a shape of more than %d dimensions", BRINE_ARRAY_MAX_DIMS);
        if ((rc = integer(h, &shape[n++])))
            return rc;
        comma = 0;
        if (peek(h) == ',') {
            h->pos++;
            comma = 1;
        } else if (peek(h) != ')') {
            return hfail(h, BRINE_E_SYNTAX, h->pos, "',' or ')' expected in a shape");
        }
    }
    if (n == 1 && !comma)
        return hfail(h, BRINE_E_SYNTAX, open, "a shape that is an int in parentheses, not a tuple");
    h->pos++;
    *ndim = n;
    return BRINE_OK;
}

/* dtype.str of a plain type, in h->str; the literal's opening quote at at. */
static int dtype_from_str(hp *h, size_t at, const brine_dtype **out)
{
    const char *s = h->str;
    size_t n = h->str_len;
    char kind = n && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=') ? (n > 1 ? s[1] : 0) : (n ? s[0] : 0);
    if (kind == 'O')
        return hfail(h, BRINE_E_UNSUPPORTED, at,
                     "dtype '%.*s': object arrays need pickle, numpy.load(allow_pickle=False) refuses them too",
                     (int)(n > 16 ? 16 : n), s);
    brine_error local;
    brine_error_clear(&local);
    brine_dtype *dt = brine_dtype_parse(h->doc, s, n, &local);
    if (!dt) {
        if (local.code == BRINE_E_NOMEM)
            return nomem(h);
        size_t off = local.offset <= n ? (size_t)local.offset : 0;
        return hfail(h, local.code == BRINE_E_UNSUPPORTED ? BRINE_E_UNSUPPORTED : BRINE_E_SYNTAX, at + 1 + off,
                     "dtype '%.*s': %s", (int)(n > 32 ? 32 : n), s, local.message);
    }
    *out = dt;
    return BRINE_OK;
}

typedef struct hfield {
    size_t name_off, name_len; /* in h->names */
    const brine_dtype *dtype;
    unsigned ndim;
    uint64_t shape[4]; /* sub-array shapes of more dimensions are refused */
    size_t at;         /* the tuple's offset, for errors */
} hfield;

static int descr(hp *h, unsigned level, const brine_dtype **out);

/* A record: [(name, descr[, shape]), ...], fields placed one after the
 * other as numpy's descr_to_dtype places them; ('', '|V<n>') is padding. */
static int record(hp *h, unsigned level, const brine_dtype **out)
{
    size_t open = h->pos;
    if (level > BRINE_DTYPE_MAX_NESTING)
        return hfail(h, BRINE_E_RANGE, open, "records nest deeper than %d levels", BRINE_DTYPE_MAX_NESTING);
    h->pos++; /* '[' */
    hfield *fields = NULL;
    size_t count = 0, cap = 0, names_mark = h->names_len;
    uint64_t total = 0;
    int rc = BRINE_OK;
    while (peek(h) != ']') {
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            hfield *f = brine_realloc(fields, ncap * sizeof *f);
            if (!f) {
                rc = nomem(h);
                goto out;
            }
            fields = f;
            cap = ncap;
        }
        hfield *f = &fields[count];
        memset(f, 0, sizeof *f);
        f->at = h->pos;
        if ((rc = expect(h, '(', "for a record field")))
            goto out;
        if (peek(h) == '(') {
            rc = hfail(h, BRINE_E_UNSUPPORTED, h->pos, "a field with a title (a (title, name) pair)");
            goto out;
        }
        if ((rc = string(h)))
            goto out;
        if (h->names_len + h->str_len > h->names_cap) {
            size_t ncap = (h->names_cap ? h->names_cap * 2 : 256) + h->str_len;
            char *nb = brine_realloc(h->names, ncap);
            if (!nb) {
                rc = nomem(h);
                goto out;
            }
            h->names = nb;
            h->names_cap = ncap;
        }
        f->name_off = h->names_len;
        f->name_len = h->str_len;
        if (h->str_len)
            memcpy(h->names + h->names_len, h->str, h->str_len);
        h->names_len += h->str_len;
        if ((rc = expect(h, ',', "after a field's name")) || (rc = descr(h, level + 1, &f->dtype)))
            goto out;
        uint64_t size = brine_dtype_itemsize(f->dtype);
        if (peek(h) == ',') {
            h->pos++;
            int c = peek(h);
            if (c == '(' || (c >= '0' && c <= '9')) {
                uint64_t shape[BRINE_ARRAY_MAX_DIMS];
                unsigned nd = 1;
                size_t sat = h->pos;
                if (c == '(')
                    rc = shape_tuple(h, &nd, shape);
                else
                    rc = integer(h, &shape[0]);
                if (rc)
                    goto out;
                if (nd > 4) {
                    rc = hfail(h, BRINE_E_UNSUPPORTED, sat, "a sub-array field of more than 4 dimensions");
                    goto out;
                }
                f->ndim = nd;
                for (unsigned d = 0; d < nd; d++) {
                    f->shape[d] = shape[d];
                    if (shape[d] && size > (uint64_t)(SIZE_MAX / 4) / shape[d]) {
                        rc = hfail(h, BRINE_E_RANGE, sat, "a field's size overflows");
                        goto out;
                    }
                    size *= shape[d];
                }
                if (peek(h) == ',')
                    h->pos++;
            }
        }
        if ((rc = expect(h, ')', "after a record field")))
            goto out;
        if (total > (uint64_t)(SIZE_MAX / 4) - size) {
            rc = hfail(h, BRINE_E_RANGE, f->at, "the record's size overflows");
            goto out;
        }
        total += size;
        count++;
        if (peek(h) == ',')
            h->pos++;
        else if (peek(h) != ']') {
            rc = hfail(h, BRINE_E_SYNTAX, h->pos, "',' or ']' expected after a record field");
            goto out;
        }
    }
    h->pos++; /* ']' */
    if (total == 0) {
        rc = hfail(h, BRINE_E_UNSUPPORTED, open, "a record of no bytes");
        goto out;
    }
    brine_dtype *rec = brine_dtype_record_new(h->doc, (size_t)total, h->err);
    if (!rec) {
        rc = h->err && h->err->code ? h->err->code : BRINE_E_NOMEM;
        goto out;
    }
    uint64_t at = 0;
    for (size_t k = 0; k < count; k++) {
        hfield *f = &fields[k];
        uint64_t size = brine_dtype_itemsize(f->dtype);
        for (unsigned d = 0; d < f->ndim; d++)
            size *= f->shape[d];
        /* numpy's padding: an unnamed plain void. */
        int pad = f->name_len == 0 && f->ndim == 0 && brine_dtype_kind_of(f->dtype) == BRINE_DT_VOID;
        if (!pad) {
            if (f->name_len == 0) {
                rc = hfail(h, BRINE_E_SYNTAX, f->at, "a field without a name");
                goto out;
            }
            brine_error local;
            brine_error_clear(&local);
            if (brine_dtype_record_add(rec, h->names + f->name_off, f->name_len, f->dtype, at, f->ndim,
                                       f->ndim ? f->shape : NULL, &local)) {
                if (local.code == BRINE_E_NOMEM)
                    rc = nomem(h);
                else
                    rc = hfail(h, BRINE_E_SYNTAX, f->at, "field '%.*s': %s", (int)(f->name_len > 40 ? 40 : f->name_len),
                               h->names + f->name_off, local.message);
                goto out;
            }
        }
        at += size;
    }
    *out = rec;
out:
    brine_free(fields);
    h->names_len = names_mark;
    return rc;
}

static int descr(hp *h, unsigned level, const brine_dtype **out)
{
    int c = peek(h);
    if (c == '[')
        return record(h, level, out);
    size_t at = h->pos;
    int rc = string(h);
    return rc ? rc : dtype_from_str(h, at, out);
}

static int boolean(hp *h, int *out)
{
    ws(h);
    size_t rest = h->len - h->pos;
    if (rest >= 4 && memcmp(h->p + h->pos, "True", 4) == 0) {
        h->pos += 4;
        *out = 1;
    } else if (rest >= 5 && memcmp(h->p + h->pos, "False", 5) == 0) {
        h->pos += 5;
        *out = 0;
    } else {
        return hfail(h, BRINE_E_SYNTAX, h->pos, "True or False expected for fortran_order");
    }
    return BRINE_OK;
}

int npy_header_parse(const unsigned char *text, size_t len, int utf8, uint64_t base, brine_doc *doc, npy_info *info,
                     brine_error *err)
{
    hp h;
    memset(&h, 0, sizeof h);
    h.p = text;
    h.len = len;
    h.base = base;
    h.utf8 = utf8;
    h.doc = doc;
    h.err = err;
    int rc, seen[3] = {0, 0, 0};
    static const char *const names[] = {"descr", "fortran_order", "shape"};
    memset(info, 0, sizeof *info);
    if ((rc = expect(&h, '{', "at the start of the header")))
        goto out;
    while (peek(&h) != '}') {
        size_t at = h.pos;
        if ((rc = string(&h)))
            goto out;
        int key = h.str_len == 5 && memcmp(h.str, "descr", 5) == 0             ? 0
                  : h.str_len == 13 && memcmp(h.str, "fortran_order", 13) == 0 ? 1
                  : h.str_len == 5 && memcmp(h.str, "shape", 5) == 0           ? 2
                                                                               : -1;
        if (key < 0) {
            rc = hfail(&h, BRINE_E_SYNTAX, at, "an unknown key '%.*s'", (int)(h.str_len > 32 ? 32 : h.str_len), h.str);
            goto out;
        }
        if (seen[key]++) {
            rc = hfail(&h, BRINE_E_SYNTAX, at, "the key '%s' twice", names[key]);
            goto out;
        }
        if ((rc = expect(&h, ':', "after a key")))
            goto out;
        if (key == 0)
            rc = descr(&h, 1, &info->dtype);
        else if (key == 1)
            rc = boolean(&h, &info->fortran);
        else
            rc = shape_tuple(&h, &info->ndim, info->shape);
        if (rc)
            goto out;
        if (peek(&h) == ',')
            h.pos++;
        else if (peek(&h) != '}') {
            rc = hfail(&h, BRINE_E_SYNTAX, h.pos, "',' or '}' expected after a value");
            goto out;
        }
    }
    size_t close = h.pos++;
    for (int k = 0; k < 3; k++)
        if (!seen[k]) {
            rc = hfail(&h, BRINE_E_SYNTAX, close, "no '%s' key", names[k]);
            goto out;
        }
    ws(&h);
    if (h.pos != h.len) {
        rc = hfail(&h, BRINE_E_SYNTAX, h.pos, "bytes after the dict");
        goto out;
    }
    /* The sizes, overflow-checked before anyone asks the input for them. */
    uint64_t count = 1;
    int zero = 0;
    for (unsigned d = 0; d < info->ndim; d++) {
        if (info->shape[d] == 0)
            zero = 1;
        else if (count > UINT64_MAX / info->shape[d]) {
            rc =
                brine_error_set_at(err, BRINE_E_RANGE, base, "npy header: the shape's element count overflows 64 bits");
            goto out;
        } else
            count *= info->shape[d];
    }
    if (zero)
        count = 0;
    size_t itemsize = brine_dtype_itemsize(info->dtype);
    if (count > (uint64_t)(SIZE_MAX / 2) / itemsize) {
        rc = brine_error_set_at(err, BRINE_E_RANGE, base, "npy header: the array's byte size overflows");
        goto out;
    }
    info->count = count;
    info->nbytes = (size_t)(count * itemsize);
out:
    brine_free(h.str);
    brine_free(h.names);
    return rc;
}

/* ---- writing ---- */

int npy_header_build(const brine_dtype *dt, unsigned ndim, const uint64_t *shape, unsigned char **out, size_t *len,
                     brine_error *err)
{
    /* The dict as numpy.save writes it: keys sorted, a trailing ", ", and
     * room to grow the first axis to 21 digits in place. */
    size_t dlen =
        brine_dtype_kind_of(dt) == BRINE_DT_RECORD ? brine_dtype_descr(dt, NULL, 0) : brine_dtype_str(dt, NULL, 0) + 2;
    size_t cap = dlen + 64 + (size_t)ndim * 24 + 32;
    char *text = brine_malloc(cap);
    if (!text)
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    size_t n = (size_t)snprintf(text, cap, "{'descr': ");
    if (brine_dtype_kind_of(dt) == BRINE_DT_RECORD) {
        n += brine_dtype_descr(dt, text + n, cap - n);
    } else {
        text[n++] = '\'';
        n += brine_dtype_str(dt, text + n, cap - n);
        text[n++] = '\'';
    }
    n += (size_t)snprintf(text + n, cap - n, ", 'fortran_order': False, 'shape': (");
    for (unsigned d = 0; d < ndim; d++)
        n += (size_t)snprintf(text + n, cap - n, "%s%llu", d ? ", " : "", (unsigned long long)shape[d]);
    n += (size_t)snprintf(text + n, cap - n, "%s), }", ndim == 1 ? "," : "");
    if (ndim) {
        char digits[24];
        int w = snprintf(digits, sizeof digits, "%llu", (unsigned long long)shape[0]);
        for (int i = w; i < 21; i++)
            text[n++] = ' ';
    }
    /* latin-1 when every character fits (1.0, or 2.0 when long), else 3.0. */
    int latin1 = 1;
    size_t enc_len = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x80)
            enc_len++;
        else if ((c == 0xC2 || c == 0xC3) && i + 1 < n) {
            enc_len++;
            i++;
        } else if (c >= 0xC0) {
            latin1 = 0;
            break;
        }
    }
    if (!latin1)
        enc_len = n;
    unsigned major = latin1 ? 1 : 3;
    size_t prefix = major == 1 ? NPY_PREFIX_V1 : NPY_PREFIX_V2;
    size_t hlen = enc_len + 1, pad = NPY_ALIGN - (prefix + hlen) % NPY_ALIGN;
    if (major == 1 && hlen + pad > 0xFFFF) {
        major = 2;
        prefix = NPY_PREFIX_V2;
        pad = NPY_ALIGN - (prefix + hlen) % NPY_ALIGN;
    }
    if (hlen + pad > 0xFFFFFFFFu) {
        brine_free(text);
        return brine_error_set(err, BRINE_E_RANGE, "an npy header of %zu bytes is too long", hlen + pad);
    }
    unsigned char *buf = brine_malloc(prefix + hlen + pad);
    if (!buf) {
        brine_free(text);
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    }
    memcpy(buf, NPY_MAGIC, NPY_MAGIC_LEN);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    if (major == 1)
        npy_put16(buf + 8, (uint32_t)(hlen + pad));
    else
        npy_put32(buf + 8, (uint32_t)(hlen + pad));
    unsigned char *o = buf + prefix;
    if (latin1) {
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)text[i];
            if (c >= 0xC2) {
                *o++ = (unsigned char)((c & 0x03) << 6 | ((unsigned char)text[i + 1] & 0x3F));
                i++;
            } else {
                *o++ = c;
            }
        }
    } else {
        memcpy(o, text, n);
        o += n;
    }
    memset(o, ' ', pad);
    o[pad] = '\n';
    brine_free(text);
    *out = buf;
    *len = prefix + hlen + pad;
    return BRINE_OK;
}
