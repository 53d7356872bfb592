/* number.c: JSON number tokens to doubles, exactly and whatever the C
 * locale. Tokens of at most 19 significant digits (nearly all) are
 * converted by ../fastfloat.c (Clinger's fast path, else Eisel-Lemire),
 * correctly rounded; the rare longer token whose rounding depends on its
 * later digits goes to strtod_l in the "C" locale, which glibc rounds
 * correctly. Integer tokens are scanned in scan.c; they never become
 * doubles there.
 */
#define _GNU_SOURCE 1
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "fastfloat.h"
#include "json.h"

/* The end of a run of digits at p. Long fractions (canada.json's are 15
 * digits) are skipped eight bytes a step. */
static inline const unsigned char *digits_end(const unsigned char *p, const unsigned char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (end - p >= 8) {
        uint64_t v;
        memcpy(&v, p, sizeof v);
        /* The bytes that are not '0'..'9' get their high bit set. */
        uint64_t bad =
            ((v + UINT64_C(0x4646464646464646)) | (v - UINT64_C(0x3030303030303030))) & UINT64_C(0x8080808080808080);
        if (bad)
            return p + __builtin_ctzll(bad) / 8;
        p += 8;
    }
#endif
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p;
}

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
        p = digits_end(p, end);
    if (end - p >= 2 && *p == '.' && p[1] >= '0' && p[1] <= '9') {
        p = digits_end(p + 2, end);
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

int js_number_to_double(const unsigned char *s, size_t len, double *out)
{
    if (ff_parse_decimal(s, s + len, out))
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
