/* array_text.c: one array element as text, for the array repr
 * (array_repr.c): its numbers in native order, a str element as Python's
 * repr of it, a datetime64 as numpy's ISO text, and any element as Python's
 * repr of its tolist() value (a record as a tuple of its fields), which
 * is how numpy shows a record array's elements. Texts go into the caller's
 * fixed buffer; one that does not fit is cut at a character's end. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtype.h"

/* The element at p in native order, in buf when it had to be swapped. */
static const unsigned char *native_elem(const brine_dtype *dt, const unsigned char *p, unsigned char buf[16])
{
    if (dt->order == '|' || !brinep_dtype_swapped(dt) || dt->itemsize > 16)
        return p;
    brinep_dtype_swap(dt, buf, p);
    return buf;
}

double brinep_elem_double(const brine_dtype *dt, const unsigned char *p, int imag)
{
    unsigned char buf[16];
    p = native_elem(dt, p, buf);
    size_t part = dt->kind == BRINE_DT_COMPLEX ? dt->itemsize / 2 : dt->itemsize;
    p += imag ? part : 0;
    if (part == 8) {
        double x;
        memcpy(&x, p, 8);
        return x;
    }
    if (part == 4) {
        float x;
        memcpy(&x, p, 4);
        return x;
    }
    uint16_t h;
    memcpy(&h, p, 2);
    int e = h >> 10 & 0x1f;
    double m = h & 0x3ff;
    double x = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
    return h & 0x8000 ? -x : x;
}

int64_t brinep_elem_i64(const brine_dtype *dt, const unsigned char *p, uint64_t *u, int *is_u)
{
    unsigned char buf[16];
    p = native_elem(dt, p, buf);
    int64_t i = 0;
    *is_u = dt->kind == BRINE_DT_UINT;
    *u = 0;
    switch (dt->itemsize) {
    case 1:
        *u = p[0];
        i = (int8_t)p[0];
        break;
    case 2: {
        uint16_t x;
        memcpy(&x, p, 2);
        *u = x;
        i = (int16_t)x;
        break;
    }
    case 4: {
        uint32_t x;
        memcpy(&x, p, 4);
        *u = x;
        i = (int32_t)x;
        break;
    }
    default:
        memcpy(&i, p, 8);
        memcpy(u, p, 8);
        break;
    }
    return i;
}

/* ---- a bounded writer ---- */

typedef struct tb {
    char *s;
    size_t len, cap; /* cap includes the NUL */
    int full;
} tb;

/* Appends n bytes whole or not at all (a cut never splits a character). */
static void tb_add(tb *b, const char *s, size_t n)
{
    if (b->full || b->len + n + 1 > b->cap) {
        b->full = 1;
        return;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void tb_adds(tb *b, const char *s)
{
    tb_add(b, s, strlen(s));
}

/* ---- str and bytes: Python's repr ---- */

static size_t utf8_put(uint32_t c, char *o)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | c >> 6);
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | c >> 12);
        o[1] = (char)(0x80 | (c >> 6 & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | c >> 18);
    o[1] = (char)(0x80 | (c >> 12 & 0x3F));
    o[2] = (char)(0x80 | (c >> 6 & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* One code point as Python's str repr writes it inside quote. */
static void str_char(tb *b, uint32_t c, char quote)
{
    char e[12];
    switch (c) {
    case '\t': tb_add(b, "\\t", 2); return;
    case '\n': tb_add(b, "\\n", 2); return;
    case '\r': tb_add(b, "\\r", 2); return;
    case '\\': tb_add(b, "\\\\", 2); return;
    default: break;
    }
    if (c == (uint32_t)(unsigned char)quote) {
        e[0] = '\\';
        e[1] = quote;
        tb_add(b, e, 2);
    } else if (c < 0x110000 && !(c >= 0xD800 && c < 0xE000) && brinep_is_printable(c)) {
        tb_add(b, e, utf8_put(c, e));
    } else {
        int n = snprintf(e, sizeof e, c <= 0xFF ? "\\x%02x" : c <= 0xFFFF ? "\\u%04x" : "\\U%08x", (unsigned)c);
        tb_add(b, e, (size_t)n);
    }
}

/* A U element: its UTF-32 units up to the trailing NULs (tolist()'s str). */
static void str_text(const brine_dtype *dt, const unsigned char *p, tb *b)
{
    size_t units = dt->itemsize / 4;
    uint32_t c;
    while (units) {
        memcpy(&c, p + (units - 1) * 4, 4);
        if (c)
            break;
        units--;
    }
    int has_single = 0, has_double = 0;
    for (size_t i = 0; i < units; i++) {
        memcpy(&c, p + i * 4, 4);
        if (brinep_dtype_swapped(dt))
            c = __builtin_bswap32(c);
        has_single |= c == '\'';
        has_double |= c == '"';
    }
    char quote = has_single && !has_double ? '"' : '\'';
    tb_add(b, &quote, 1);
    for (size_t i = 0; i < units; i++) {
        memcpy(&c, p + i * 4, 4);
        if (brinep_dtype_swapped(dt))
            c = __builtin_bswap32(c);
        str_char(b, c, quote);
    }
    tb_add(b, &quote, 1);
}

static void bytes_text(const unsigned char *p, size_t len, tb *b)
{
    char quote = memchr(p, '\'', len) && !memchr(p, '"', len) ? '"' : '\'';
    char e[5] = {'b', quote, 0};
    tb_add(b, e, 2);
    for (size_t i = 0; i < len; i++) {
        unsigned c = p[i];
        if (c == '\t' || c == '\n' || c == '\r' || c == '\\' || c == (unsigned char)quote) {
            str_char(b, c, quote);
        } else if (c >= 0x20 && c < 0x7F) {
            e[0] = (char)c;
            tb_add(b, e, 1);
        } else {
            snprintf(e, sizeof e, "\\x%02x", c);
            tb_add(b, e, 4);
        }
    }
    tb_add(b, &quote, 1);
}

/* ---- datetime64: numpy's ISO text ---- */

/* The civil date of a day count from 1970-01-01 (proleptic Gregorian;
 * Howard Hinnant's days_from_civil, inverted). */
static void civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Floor division, for counts before 1970. */
static int64_t floordiv(int64_t a, int64_t b, int64_t *rem)
{
    int64_t q = a / b, r = a % b;
    if (r < 0) {
        r += b;
        q--;
    }
    *rem = r;
    return q;
}

/* Units below a day, per second: h m s are 1 (handled apart), then the
 * fractions and their digit counts. */
static const struct {
    uint8_t unit, digits;
    int64_t per_second;
} fractions[] = {
    {BRINE_UNIT_ms, 3, 1000},
    {BRINE_UNIT_us, 6, 1000000},
    {BRINE_UNIT_ns, 9, 1000000000},
};

/* v units (of dt's unit x unit_count) as numpy prints them: '2020-01-01',
 * '2020-01-01T12:30:00.500', 'NaT'. */
static void datetime_text(const brine_dtype *dt, int64_t v, tb *b)
{
    char s[64];
    if (v == INT64_MIN) {
        tb_adds(b, "'NaT'");
        return;
    }
    int64_t n;
    /* Far out counts (no calendar arithmetic may overflow) and units
     * without a calendar print as the count. */
    int by_days = dt->unit <= BRINE_UNIT_D; /* Y, M, W, D: n + 1970 and days + 719468 below */
    if (__builtin_mul_overflow(v, (int64_t)(dt->unit_count ? dt->unit_count : 1), &n) ||
        (by_days && (n > INT64_MAX / 8 || n < -(INT64_MAX / 8))) || dt->unit == BRINE_UNIT_NONE ||
        dt->unit > BRINE_UNIT_ns) {
        snprintf(s, sizeof s, "%" PRId64, v);
        tb_adds(b, s);
        return;
    }
    int64_t y, rem;
    unsigned mo, d;
    switch (dt->unit) {
    case BRINE_UNIT_Y: snprintf(s, sizeof s, "'%" PRId64 "'", n + 1970); break;
    case BRINE_UNIT_M: {
        int64_t years = floordiv(n, 12, &rem);
        snprintf(s, sizeof s, "'%" PRId64 "-%02d'", years + 1970, (int)rem + 1);
        break;
    }
    case BRINE_UNIT_W:
    case BRINE_UNIT_D:
        if (dt->unit == BRINE_UNIT_W && __builtin_mul_overflow(n, 7, &n)) {
            snprintf(s, sizeof s, "%" PRId64, v);
            break;
        }
        civil(n, &y, &mo, &d);
        snprintf(s, sizeof s, "'%04" PRId64 "-%02u-%02u'", y, mo, d);
        break;
    default: {
        int64_t per_second = 1, secs;
        unsigned digits = 0;
        for (size_t i = 0; i < sizeof fractions / sizeof *fractions; i++)
            if (fractions[i].unit == dt->unit) {
                per_second = fractions[i].per_second;
                digits = fractions[i].digits;
            }
        int64_t frac = 0;
        if (dt->unit == BRINE_UNIT_h || dt->unit == BRINE_UNIT_m) {
            if (__builtin_mul_overflow(n, dt->unit == BRINE_UNIT_h ? 3600 : 60, &secs)) {
                snprintf(s, sizeof s, "%" PRId64, v);
                break;
            }
        } else {
            secs = floordiv(n, per_second, &frac);
        }
        int64_t tod;
        int64_t days = floordiv(secs, 86400, &tod);
        civil(days, &y, &mo, &d);
        int o = snprintf(s, sizeof s, "'%04" PRId64 "-%02u-%02uT%02d", y, mo, d, (int)(tod / 3600));
        if (dt->unit != BRINE_UNIT_h)
            o += snprintf(s + o, sizeof s - (size_t)o, ":%02d", (int)(tod / 60 % 60));
        if (dt->unit != BRINE_UNIT_h && dt->unit != BRINE_UNIT_m)
            o += snprintf(s + o, sizeof s - (size_t)o, ":%02d", (int)(tod % 60));
        if (digits)
            o += snprintf(s + o, sizeof s - (size_t)o, ".%0*" PRId64, (int)digits, frac);
        snprintf(s + o, sizeof s - (size_t)o, "'");
        break;
    }
    }
    tb_adds(b, s);
}

/* ---- any element: Python's repr of its tolist() value ---- */

static void scalar_text(const brine_dtype *dt, const unsigned char *p, tb *b);

/* A field of shape (dims): nested lists of its elements. */
static void field_text(const brinep_field *f, const unsigned char *p, unsigned dim, tb *b)
{
    if (dim == f->ndim) {
        scalar_text(f->dtype, p, b);
        return;
    }
    uint64_t stride = f->dtype->itemsize;
    for (unsigned d = dim + 1; d < f->ndim; d++)
        stride *= f->shape[d];
    tb_add(b, "[", 1);
    for (uint64_t i = 0; i < f->shape[dim] && !b->full; i++) {
        if (i)
            tb_add(b, ", ", 2);
        field_text(f, p + i * stride, dim + 1, b);
    }
    tb_add(b, "]", 1);
}

static void float_scalar(const brine_dtype *dt, double x, tb *b)
{
    char s[BRINE_DTOA_SIZE + 8];
    if (dt->itemsize == 8 || !isfinite(x)) {
        brine_dtoa(x, s);
    } else { /* a float32 or float16's own shortest digits */
        int prec = 1;
        do
            snprintf(s, sizeof s, "%.*g", prec, x);
        while (strtof(s, NULL) != (float)x && ++prec <= 9);
        if (!strpbrk(s, ".en"))
            strcat(s, ".0");
    }
    tb_adds(b, s);
}

static void scalar_text(const brine_dtype *dt, const unsigned char *p, tb *b)
{
    char s[64];
    uint64_t u;
    int is_u;
    switch (dt->kind) {
    case BRINE_DT_BOOL: tb_adds(b, p[0] ? "True" : "False"); break;
    case BRINE_DT_INT:
    case BRINE_DT_UINT:
    case BRINE_DT_TIMEDELTA: {
        int64_t i = brinep_elem_i64(dt, p, &u, &is_u);
        if (is_u)
            snprintf(s, sizeof s, "%" PRIu64, u);
        else
            snprintf(s, sizeof s, "%" PRId64, i);
        tb_adds(b, s);
        break;
    }
    case BRINE_DT_DATETIME: datetime_text(dt, brinep_elem_i64(dt, p, &u, &is_u), b); break;
    case BRINE_DT_FLOAT: float_scalar(dt, brinep_elem_double(dt, p, 0), b); break;
    case BRINE_DT_COMPLEX: {
        double re = brinep_elem_double(dt, p, 0), im = brinep_elem_double(dt, p, 1);
        brine_dtype part = *dt;
        part.kind = BRINE_DT_FLOAT;
        part.itemsize = dt->itemsize / 2;
        int bare = re == 0.0 && !signbit(re);
        if (!bare) {
            tb_add(b, "(", 1);
            float_scalar(&part, re, b);
            if (!signbit(im) || isnan(im))
                tb_add(b, "+", 1);
        }
        size_t at = b->len;
        float_scalar(&part, im, b);
        /* Python writes 2j, not 2.0j */
        if (!b->full && b->len >= at + 2 && b->s[b->len - 2] == '.' && b->s[b->len - 1] == '0')
            b->s[b->len -= 2] = '\0';
        tb_add(b, bare ? "j" : "j)", bare ? 1 : 2);
        break;
    }
    case BRINE_DT_BYTES: {
        size_t len = dt->itemsize;
        while (len && p[len - 1] == 0)
            len--;
        bytes_text(p, len, b);
        break;
    }
    case BRINE_DT_STR: str_text(dt, p, b); break;
    case BRINE_DT_RECORD:
        tb_add(b, "(", 1);
        for (size_t i = 0; i < dt->nfields && !b->full; i++) {
            if (i)
                tb_add(b, ", ", 2);
            field_text(&dt->fields[i], p + dt->fields[i].offset, 0, b);
        }
        tb_add(b, dt->nfields == 1 ? ",)" : ")", dt->nfields == 1 ? 2 : 1);
        break;
    default: bytes_text(p, dt->itemsize, b); break;
    }
}

size_t brinep_elem_text(const brine_dtype *dt, const unsigned char *p, char *out, size_t cap)
{
    tb b = {out, 0, cap, cap == 0};
    if (cap)
        out[0] = '\0';
    scalar_text(dt, p, &b);
    return b.len;
}
