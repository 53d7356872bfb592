/* number.c: JSON number tokens to doubles, exactly and whatever the C
 * locale. Most short tokens take Clinger's fast path (an exact significand
 * times an exact power of ten is correctly rounded by one IEEE operation);
 * the rest go to strtod_l in the "C" locale, which glibc rounds correctly.
 * Integer tokens are scanned in scan.c; they never become doubles there.
 */
#define _GNU_SOURCE 1
#include <float.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

const unsigned char *js_number_end(const unsigned char *p, const unsigned char *end, int *is_float)
{
    const unsigned char *s = p;
    *is_float = 0;
    if (p < end && *p == '-')
        p++;
    if (p == end || *p < '0' || *p > '9')
        return s;
    if (*p == '0')
        p++;
    else
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    if (end - p >= 2 && *p == '.' && p[1] >= '0' && p[1] <= '9') {
        p += 2;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        *is_float = 1;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        const unsigned char *q = p + 1;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        if (q < end && *q >= '0' && *q <= '9') {
            while (q < end && *q >= '0' && *q <= '9')
                q++;
            p = q;
            *is_float = 1;
        }
    }
    return p;
}

/* The "C" locale for strtod_l, made once; freed when the plugin unloads. */
static locale_t c_locale;

static locale_t get_c_locale(void)
{
    locale_t loc = __atomic_load_n(&c_locale, __ATOMIC_ACQUIRE);
    if (loc)
        return loc;
    locale_t made = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (!made)
        return (locale_t)0;
    locale_t expected = (locale_t)0;
    if (!__atomic_compare_exchange_n(&c_locale, &expected, made, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        freelocale(made);
        return expected;
    }
    return made;
}

__attribute__((destructor)) static void free_c_locale(void)
{
    if (c_locale)
        freelocale(c_locale);
    c_locale = (locale_t)0;
}

/* Clinger's fast path: digits (at most 19 significant) and a decimal
 * exponent small enough that both the significand (< 2^53) and 10^|e|
 * (e <= 22) are exact doubles. Returns 1 and sets *out when it applies. */
static int fast_path(const unsigned char *s, const unsigned char *end, double *out)
{
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    int neg = *s == '-';
    const unsigned char *p = s + neg;
    uint64_t m = 0;
    int digits = 0, exp10 = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        if (digits || *p != '0')
            digits++;
        m = m * 10 + (uint64_t)(*p++ - '0');
        if (digits > 19)
            return 0;
    }
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
            if (digits || *p != '0')
                digits++;
            if (digits > 19)
                return 0;
            m = m * 10 + (uint64_t)(*p - '0');
            exp10--;
        }
    if (p < end) { /* the exponent */
        p++;
        int eneg = 0, e = 0;
        if (*p == '+' || *p == '-')
            eneg = *p++ == '-';
        for (; p < end; p++) {
            e = e * 10 + (*p - '0');
            if (e > 400)
                return 0;
        }
        exp10 += eneg ? -e : e;
    }
    if (m > (1ull << 53) || exp10 < -22 || exp10 > 22)
        return 0;
    double d = (double)m;
    d = exp10 < 0 ? d / pow10[-exp10] : d * pow10[exp10];
    *out = neg ? -d : d;
    return 1;
#else
    (void)s;
    (void)end;
    (void)out;
    return 0;
#endif
}

int js_number_to_double(const unsigned char *s, size_t len, double *out)
{
    if (fast_path(s, s + len, out))
        return BRINE_OK;
    char small[64];
    char *buf = len < sizeof small ? small : brine_malloc(len + 1);
    if (!buf)
        return BRINE_E_NOMEM;
    memcpy(buf, s, len);
    buf[len] = '\0';
    locale_t loc = get_c_locale();
    /* Without a locale object (out of memory) strtod is still right in the
     * usual "C" locale of a process that never called setlocale. */
    *out = loc ? strtod_l(buf, NULL, loc) : strtod(buf, NULL);
    if (buf != small)
        brine_free(buf);
    return BRINE_OK;
}
