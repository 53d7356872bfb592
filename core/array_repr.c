/* array_repr.c: numpy's repr of an array value, for brine_value_repr and
 * brine_value_print: `array([1.5, 2. ])`, `array([[1, 2],\n       [3,
 * 4]], dtype=int32)`. It follows numpy's arrayprint (numpy 1.2x, default
 * options): floats in 'maxprec' mode with 8 digits, aligned on the point,
 * scientific when the largest magnitude is >= 1e8 or the smallest below
 * 1e-4 or the ratio above 1000; ints right-aligned; bools as ' True'; lines
 * wrapped at 75 columns; more than 1000 elements summarised with '...' and
 * 3 edge items; the dtype shown unless it is float64, int64, complex128 or
 * bool. Strings, bytes and records print their elements with Python's
 * repr of the tolist() value (array_text.c), without numpy's padding and
 * per-field float alignment; datetime64 as numpy's ISO dates, timedelta64
 * as counts: the aim is a readable text, exact for the numeric kinds, not
 * a parser's input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtype.h"

/* Element texts go into fixed buffers far larger than any number's text;
 * a cut is harmless (it only shortens what is printed). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define LINE_WIDTH 75
#define EDGE 3
#define THRESHOLD 1000

/* Float format state, per part (real or imaginary). */
typedef struct ffmt {
    int any_finite, exp_format, precision, pad_left, pad_right, exp_size, has_nonfinite, neg_inf;
    double max_val, min_val;
    int sign_plus;
    int part;
    int pass;
    int size; /* bytes of one float: 2, 4 or 8 */
} ffmt;

typedef struct rp {
    const brinep_array *a;
    brinep_put_fn put;
    void *ctx;
    int summarize;
    /* numeric formats */
    int is_float, exp_format, precision, pad_left, pad_right, exp_size, unique;
    int sign_plus;
    int int_width;
    ffmt re_fmt, im_fmt; /* floats and complex parts */
    ffmt *cur_ff;        /* the one ff_scan fills */
} rp;

static void put(rp *r, const char *s)
{
    r->put(r->ctx, s, strlen(s));
}

/* ---- float text, dragon4's forms through the shortest repr ---- */

/* Shortest digits of |d| and its decimal exponent: d = 0.DIGITS x 10^exp.
 * size is the element's float size: a float32 (or float16, approximated
 * by float32) prints its own shortest digits, as numpy's dragon4 does. */
static int shortest_digits(double d, char *digits, int *exp10, int size)
{
    char buf[BRINE_DTOA_SIZE + 8];
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.17e", fabs(d));
    if (size < 8 && isfinite(d)) {
        for (int prec = 1; prec <= 9; prec++) {
            snprintf(buf, sizeof buf, "%.*e", prec - 1, fabs(d));
            if (strtof(buf, NULL) == (float)fabs(d))
                break;
        }
    } else {
        brine_dtoa(fabs(d), buf); /* the shortest round-trip text of a double */
    }
    int n = 0, e = 0, seen_point = 0, lead = 1, exp_part = 0, exp_sign = 1;
    int point_at = -1;
    for (const char *p = buf; *p; p++) {
        if (*p == 'e') {
            p++;
            if (*p == '-')
                exp_sign = -1, p++;
            else if (*p == '+')
                p++;
            while (*p >= '0' && *p <= '9')
                exp_part = exp_part * 10 + (*p++ - '0');
            break;
        }
        if (*p == '.') {
            seen_point = 1;
            point_at = n;
            continue;
        }
        if (lead && *p == '0') {
            if (seen_point)
                e--;
            continue;
        }
        lead = 0;
        digits[n++] = *p;
    }
    if (point_at < 0)
        point_at = n;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    (void)tmp;
    /* value = 0.digits x 10^(exp) */
    *exp10 = (seen_point ? (point_at + e) : point_at + 0) + exp_sign * exp_part;
    if (lead) { /* zero */
        digits[0] = '0';
        digits[1] = '\0';
        *exp10 = 1;
        return 1;
    }
    return n;
}

/* Positional text of d with at most precision fractional digits (shortest
 * digits, rounded if longer): integer part and fraction, without padding. */
static void positional(double d, int precision, char *ip, char *fp, int size)
{
    char digits[40];
    int e10;
    int n = shortest_digits(d, digits, &e10, size);
    int frac = n - e10; /* fractional digits of the shortest form */
    if (frac > precision) {
        char buf[400];
        snprintf(buf, sizeof buf, "%.*f", precision, fabs(d));
        char *dot = strchr(buf, '.');
        size_t flen = dot ? strlen(dot + 1) : 0;
        while (flen && dot[flen] == '0')
            dot[flen--] = '\0';
        if (dot)
            *dot = '\0';
        snprintf(ip, 400, "%s%s", signbit(d) ? "-" : "", buf);
        snprintf(fp, 40, "%s", dot ? dot + 1 : "");
        return;
    }
    char *o = ip;
    if (signbit(d))
        *o++ = '-';
    if (e10 <= 0) {
        *o++ = '0';
    } else {
        for (int i = 0; i < e10; i++)
            *o++ = i < n ? digits[i] : '0';
    }
    *o = '\0';
    o = fp;
    for (int i = e10; i < n; i++)
        *o++ = i < 0 ? '0' : digits[i];
    if (e10 < 0) { /* leading zeros after the point */
        o = fp;
        int z = -e10;
        memmove(fp + z, fp, 0);
        for (int i = 0; i < z; i++)
            *o++ = '0';
        for (int i = 0; i < n; i++)
            *o++ = digits[i];
    }
    *o = '\0';
    if (!strcmp(digits, "0"))
        fp[0] = '\0';
}

/* Scientific: mantissa integer digit, fraction (at most precision digits),
 * exponent text ("+08"). */
static void scientific(double d, int precision, char *ip, char *fp, char *ep, int size)
{
    char digits[40];
    int e10;
    int n = shortest_digits(d, digits, &e10, size);
    int exp = e10 - 1;
    if (n - 1 > precision) {
        char buf[64];
        snprintf(buf, sizeof buf, "%.*e", precision, fabs(d));
        char *dot = strchr(buf, '.'), *e = strchr(buf, 'e');
        *e = '\0';
        exp = atoi(e + 1);
        if (dot) {
            *dot = '\0';
            size_t flen = strlen(dot + 1);
            while (flen && dot[flen] == '0')
                dot[flen--] = '\0';
        }
        snprintf(ip, 40, "%s%s", signbit(d) ? "-" : "", buf);
        snprintf(fp, 40, "%s", dot ? dot + 1 : "");
    } else {
        snprintf(ip, 40, "%s%c", signbit(d) ? "-" : "", digits[0]);
        snprintf(fp, 40, "%s", digits + 1);
        if (!strcmp(digits, "0"))
            exp = 0;
    }
    snprintf(ep, 16, "%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

/* ---- visiting the elements that are shown ---- */

typedef void (*visit_fn)(rp *r, const unsigned char *p);

static void visit_shown(rp *r, visit_fn fn)
{
    const brinep_array *a = r->a;
    if (a->count == 0)
        return;
    if (a->ndim == 0) {
        fn(r, a->data);
        return;
    }
    uint64_t idx[BRINE_ARRAY_MAX_DIMS] = {0};
    for (;;) {
        uint64_t flat = 0;
        for (unsigned d = 0; d < a->ndim; d++)
            flat = flat * a->shape[d] + idx[d];
        fn(r, a->data + flat * a->dtype->itemsize);
        int d = (int)a->ndim - 1;
        for (; d >= 0; d--) {
            uint64_t n = a->shape[d];
            idx[d]++;
            if (r->summarize && n > 2 * EDGE && idx[d] == EDGE)
                idx[d] = n - EDGE;
            if (idx[d] < n)
                break;
            idx[d] = 0;
        }
        if (d < 0)
            return;
    }
}

static double elem_double(const rp *r, const unsigned char *p, int imag)
{
    return brinep_elem_double(r->a->dtype, p, imag);
}

static void ff_scan(rp *r, const unsigned char *p)
{
    ffmt *f = r->cur_ff;
    double x = elem_double(r, p, f->part);
    if (!isfinite(x)) {
        f->has_nonfinite = 1;
        if (isinf(x) && x < 0)
            f->neg_inf = 1;
        return;
    }
    if (f->pass == 0) {
        if (x != 0) {
            double ax = fabs(x);
            if (!f->any_finite || ax > f->max_val)
                f->max_val = ax;
            if (!f->any_finite || ax < f->min_val)
                f->min_val = ax;
            f->any_finite = 1;
        }
        return;
    }
    char ip[400], fp[40], ep[16];
    if (f->exp_format) {
        scientific(x, 8, ip, fp, ep, f->size);
        int el = (int)strlen(ep) - 1;
        if (el > f->exp_size)
            f->exp_size = el;
    } else {
        positional(x, 8, ip, fp, f->size);
    }
    int il = (int)strlen(ip) + (f->sign_plus && !signbit(x));
    if (il > f->pad_left)
        f->pad_left = il;
    int fl = (int)strlen(fp);
    if (fl > f->precision)
        f->precision = fl;
    f->any_finite = 2;
}

static void ff_fill(rp *r, ffmt *f)
{
    r->cur_ff = f;
    f->pass = 0;
    visit_shown(r, ff_scan);
    f->exp_format = f->any_finite && (f->max_val >= 1e8 || f->min_val < 0.0001 || f->max_val / f->min_val > 1000.);
    f->pass = 1;
    f->pad_left = f->precision = 0;
    f->exp_size = -1;
    visit_shown(r, ff_scan);
    if (f->exp_format)
        f->pad_right = f->exp_size + 2 + f->precision;
    else
        f->pad_right = f->precision;
    if (f->has_nonfinite) {
        int neginf = f->sign_plus || f->neg_inf;
        int offset = f->pad_right + 1;
        if (3 - offset > f->pad_left)
            f->pad_left = 3 - offset;
        if (3 + neginf - offset > f->pad_left)
            f->pad_left = 3 + neginf - offset;
    }
}

/* One float formatted as numpy would, into out. */
static void ff_format(const ffmt *f, double x, char *out, size_t cap)
{
    char ip[400], fp[40], ep[16], body[500];
    if (!isfinite(x)) {
        const char *s = isnan(x) ? (f->sign_plus ? "+nan" : "nan") : x < 0 ? "-inf" : f->sign_plus ? "+inf" : "inf";
        int w = f->pad_left + f->pad_right + 1;
        snprintf(out, cap, "%*s", w, s);
        return;
    }
    const char *sign = f->sign_plus && !signbit(x) ? "+" : "";
    if (f->exp_format) {
        scientific(x, 8, ip, fp, ep, f->size);
        char frac[64];
        snprintf(frac, sizeof frac, "%-*s", f->precision, fp);
        for (char *c = frac; *c; c++)
            if (*c == ' ')
                *c = '0';
        char e2[16];
        int ed = atoi(ep + 1);
        snprintf(e2, sizeof e2, "%c%0*d", ep[0], f->exp_size, ed);
        snprintf(body, sizeof body, "%s%s.%se%s", sign, ip, frac, e2);
        snprintf(out, cap, "%*s", f->pad_left + (int)strlen(body) - (int)strlen(sign) - (int)strlen(ip), body);
    } else {
        positional(x, 8, ip, fp, f->size);
        snprintf(body, sizeof body, "%s%s", sign, ip);
        snprintf(out, cap, "%*s.%-*s", f->pad_left, body, f->pad_right, fp);
    }
}

/* ---- ints ---- */

static int64_t elem_i64(const rp *r, const unsigned char *p, uint64_t *u, int *is_u)
{
    return brinep_elem_i64(r->a->dtype, p, u, is_u);
}

static void int_text(const rp *r, const unsigned char *p, char *out, size_t cap)
{
    uint64_t u;
    int is_u;
    if (r->a->dtype->kind == BRINE_DT_DATETIME) {
        brinep_elem_text(r->a->dtype, p, out, cap); /* '2020-01-01', as numpy */
        return;
    }
    int64_t i = elem_i64(r, p, &u, &is_u);
    if (is_u)
        snprintf(out, cap, "%llu", (unsigned long long)u);
    else
        snprintf(out, cap, "%lld", (long long)i);
}

static void int_scan(rp *r, const unsigned char *p)
{
    char buf[32];
    int_text(r, p, buf, sizeof buf);
    int w = (int)strlen(buf);
    if (w > r->int_width)
        r->int_width = w;
}

/* ---- elements ---- */

static void elem_text(rp *r, const unsigned char *p, char *out, size_t cap)
{
    const brine_dtype *dt = r->a->dtype;
    switch (dt->kind) {
    case BRINE_DT_BOOL: snprintf(out, cap, "%s", p[0] ? (r->a->ndim ? " True" : "True") : "False"); break;
    case BRINE_DT_INT:
    case BRINE_DT_UINT:
    case BRINE_DT_DATETIME:
    case BRINE_DT_TIMEDELTA: {
        char buf[64];
        int_text(r, p, buf, sizeof buf);
        snprintf(out, cap, "%*s", r->a->ndim ? r->int_width : 0, buf);
        break;
    }
    case BRINE_DT_FLOAT: {
        double x = elem_double(r, p, 0);
        if (r->a->ndim == 0 && dt->itemsize == 8) {
            char buf[BRINE_DTOA_SIZE];
            brine_dtoa(x, buf);
            snprintf(out, cap, "%s", buf);
        } else if (r->a->ndim == 0) { /* a float32 scalar's repr: its own shortest digits */
            int prec = 1;
            do
                snprintf(out, cap, "%.*g", prec, x);
            while (isfinite(x) && strtof(out, NULL) != (float)x && ++prec <= 9);
            if (isfinite(x) && !strpbrk(out, ".e"))
                snprintf(out + strlen(out), cap - strlen(out), ".0");
        } else {
            ff_format(&r->re_fmt, x, out, cap);
        }
        break;
    }
    case BRINE_DT_COMPLEX: {
        char re[128], im[128];
        ff_format(&r->re_fmt, elem_double(r, p, 0), re, sizeof re);
        ff_format(&r->im_fmt, elem_double(r, p, 1), im, sizeof im);
        size_t sp = strlen(im);
        while (sp && im[sp - 1] == ' ')
            sp--;
        snprintf(out, cap, "%s%.*sj%*s", re, (int)sp, im, (int)(strlen(im) - sp), "");
        break;
    }
    default: brinep_elem_text(dt, p, out, cap); break; /* str, bytes, records: Python's repr of tolist() */
    }
}

/* ---- layout (numpy's _formatArray) ---- */

typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *g = brine_realloc(b->s, cap);
        if (!g)
            return; /* out of memory: the text is cut short */
        b->s = g;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_adds(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* _extendLine: adds word to line, moving line to s first when too long. */
static void extend_line(sbuf *s, sbuf *line, const char *word, size_t width, size_t indent)
{
    size_t wl = strlen(word);
    int wrap = line->len + wl > width && line->len > indent;
    if (wrap) {
        size_t l = line->len;
        while (l && line->s[l - 1] == ' ')
            l--;
        sb_add(s, line->s, l);
        sb_add(s, "\n", 1);
        line->len = 0;
        for (size_t i = 0; i < indent; i++)
            sb_add(line, " ", 1);
    }
    sb_add(line, word, wl);
}

static void recurse(rp *r, sbuf *out, unsigned axis, uint64_t base, size_t indent, size_t width)
{
    const brinep_array *a = r->a;
    unsigned axes_left = a->ndim - axis;
    uint64_t n = a->shape[axis];
    uint64_t stride = 1;
    for (unsigned d = axis + 1; d < a->ndim; d++)
        stride *= a->shape[d];
    int summary = r->summarize && n > 2 * EDGE;
    uint64_t lead = summary ? EDGE : n, trail = summary ? EDGE : 0;
    if (!summary) {
        lead = n;
        trail = 0;
    }
    sbuf s = {0};
    size_t next_indent = indent + 1, next_width = width - 1;
    char word[512];
    if (axes_left == 1) {
        size_t elem_width = width - 1; /* max(len(', '.rstrip()), len(']')) */
        sbuf line = {0};
        for (size_t i = 0; i < indent; i++)
            sb_add(&line, " ", 1);
        /* numpy: leading items, summary, trailing items but the last, the last. */
        uint64_t total = summary ? lead + trail : n;
        for (uint64_t k = 0; k < total; k++) {
            uint64_t i = k < lead ? k : n - (total - k);
            if (summary && k == lead) {
                extend_line(&s, &line, "...", elem_width, indent);
                sb_adds(&line, ", ");
            }
            elem_text(r, a->data + (base + i * stride) * a->dtype->itemsize, word, sizeof word);
            extend_line(&s, &line, word, elem_width, indent);
            if (k + 1 < total)
                sb_adds(&line, ", ");
        }
        if (line.s)
            sb_add(&s, line.s, line.len);
        brine_free(line.s);
    } else {
        char sep[72];
        size_t seplen = 1;
        sep[0] = ',';
        for (unsigned k = 0; k + 1 < axes_left && seplen < sizeof sep - 1; k++)
            sep[seplen++] = '\n';
        sep[seplen] = '\0';
        uint64_t total = summary ? lead + trail : n;
        for (uint64_t k = 0; k < total; k++) {
            uint64_t i = k < lead ? k : n - (total - k);
            if (summary && k == lead) {
                for (size_t j = 0; j < indent; j++)
                    sb_add(&s, " ", 1);
                sb_adds(&s, "...");
                sb_adds(&s, sep);
            }
            for (size_t j = 0; j < indent; j++)
                sb_add(&s, " ", 1);
            recurse(r, &s, axis + 1, base + i * stride, next_indent, next_width);
            if (k + 1 < total)
                sb_adds(&s, sep);
        }
    }
    sb_add(out, "[", 1);
    if (s.s && s.len > indent)
        sb_add(out, s.s + indent, s.len - indent);
    sb_add(out, "]", 1);
    brine_free(s.s);
}

/* numpy's dtype_is_implied: the scalar type alone decides, so a
 * big-endian '>f8' array prints without its dtype too. */
static int typeless(const brine_dtype *dt)
{
    return dt->kind == BRINE_DT_BOOL || (dt->kind == BRINE_DT_INT && dt->itemsize == 8) ||
           (dt->kind == BRINE_DT_FLOAT && dt->itemsize == 8) || (dt->kind == BRINE_DT_COMPLEX && dt->itemsize == 16);
}

static void dtype_text(const brine_dtype *dt, char *out, size_t cap)
{
    char s[64];
    if (dt->kind == BRINE_DT_RECORD) {
        brinep_dtype_record_repr(dt, out, cap);
        return;
    }
    if (dt->kind == BRINE_DT_BYTES || dt->kind == BRINE_DT_STR || dt->kind == BRINE_DT_VOID ||
        (dt->order != '|' && brinep_dtype_swapped(dt))) {
        brine_dtype_str(dt, s, sizeof s);
        snprintf(out, cap, "'%s'", s);
        return;
    }
    brinep_dtype_name(dt, s, sizeof s);
    if (dt->kind == BRINE_DT_DATETIME || dt->kind == BRINE_DT_TIMEDELTA)
        snprintf(out, cap, "'%s'", s);
    else
        snprintf(out, cap, "%s", s);
}

void brinep_array_repr(const brinep_array *a, brinep_put_fn putf, void *ctx)
{
    rp r;
    memset(&r, 0, sizeof r);
    r.a = a;
    r.put = putf;
    r.ctx = ctx;
    r.summarize = a->count > THRESHOLD;
    const brine_dtype *dt = a->dtype;
    int skip_dtype = typeless(dt) && a->count > 0;
    if (dt->kind == BRINE_DT_FLOAT || dt->kind == BRINE_DT_COMPLEX) {
        r.re_fmt.part = 0;
        r.re_fmt.size = r.im_fmt.size = (int)(dt->kind == BRINE_DT_COMPLEX ? dt->itemsize / 2 : dt->itemsize);
        ff_fill(&r, &r.re_fmt);
        if (dt->kind == BRINE_DT_COMPLEX) {
            r.im_fmt.part = 1;
            r.im_fmt.sign_plus = 1;
            ff_fill(&r, &r.im_fmt);
        }
    } else if (dt->kind == BRINE_DT_INT || dt->kind == BRINE_DT_UINT || dt->kind == BRINE_DT_DATETIME ||
               dt->kind == BRINE_DT_TIMEDELTA) {
        visit_shown(&r, int_scan);
    }
    put(&r, "array(");
    sbuf body = {0};
    if (a->ndim == 0) {
        char word[512];
        elem_text(&r, a->data, word, sizeof word);
        sb_adds(&body, word);
    } else if (a->count == 0) {
        sb_adds(&body, "[]");
    } else {
        size_t suffix = skip_dtype ? 1 : 1;               /* ")" or "," */
        recurse(&r, &body, 0, 0, 7, LINE_WIDTH - suffix); /* "array([" */
    }
    if (body.s)
        r.put(r.ctx, body.s, body.len);
    if (!skip_dtype) {
        char small[256], shape[1400];
        /* A record's text has no bound but its fields'. */
        size_t dts_cap = dt->kind == BRINE_DT_RECORD ? brinep_dtype_record_repr(dt, NULL, 0) + 3 : sizeof small;
        char *dts = dts_cap > sizeof small ? brine_malloc(dts_cap) : small;
        if (!dts) {
            dts = small;
            dts_cap = sizeof small;
        }
        dtype_text(dt, dts, dts_cap);
        size_t last_nl = 0;
        for (size_t i = 0; i < body.len; i++)
            if (body.s[i] == '\n')
                last_nl = i + 1;
        size_t line_len = body.len - last_nl + (last_nl ? 0 : 6) + 1; /* "array(" on the first, "," */
        if (a->count == 0 && !(a->ndim == 1)) {
            size_t o = (size_t)snprintf(shape, sizeof shape, ", shape=(");
            for (unsigned d = 0; d < a->ndim && o < sizeof shape - 40; d++)
                o += (size_t)snprintf(shape + o, sizeof shape - o, "%s%llu", d ? ", " : "",
                                      (unsigned long long)a->shape[d]);
            snprintf(shape + o, sizeof shape - o, "%s)", a->ndim == 1 ? "," : "");
            put(&r, shape);
        }
        put(&r, ",");
        if (line_len + strlen(dts) + 7 + 1 > LINE_WIDTH) /* numpy: last line + len("dtype=...)") + 1 > 75 */
            put(&r, "\n      ");
        else
            put(&r, " ");
        put(&r, "dtype=");
        put(&r, dts);
        if (dts != small)
            brine_free(dts);
    }
    put(&r, ")");
    brine_free(body.s);
}
