/* fastfloat.h: decimal text to the nearest double, by Eisel-Lemire (the
 * algorithm of fast_float and Go's strconv) with Clinger's fast path first.
 * Shared by the plugins that read decimal floats (compiled into each
 * module, like descr.c); each keeps its own syntax and its own fallback
 * (strtod_l in the "C" locale) for the few inputs this cannot decide.
 */
#ifndef BRINE_PLUGINS_FASTFLOAT_H
#define BRINE_PLUGINS_FASTFLOAT_H

#include <stdint.h>
#include <string.h>

/* Reads [+-]digits[.digits][(e|E)[+-]digits] (at least one digit before
 * the exponent; "1." and ".5" are accepted, a caller with a stricter syntax
 * checks it first) from [s, end). Returns 1 and the correctly rounded
 * double (round half to even, overflow to infinity, underflow to a signed
 * zero) in *out; returns 0, *out untouched, when the text is not of that
 * form or has more than 19 significant digits whose rounding depends on
 * the digits beyond the 19th: the caller then asks strtod_l. */
int ff_parse_decimal(const unsigned char *s, const unsigned char *end, double *out);

/* w * 10^q, correctly rounded, as IEEE bits without the sign: the core of
 * ff_parse_decimal for callers that scan digits themselves. w must be
 * nonzero. Always decides (no fallback needed when w is exact). */
uint64_t ff_compute_bits(uint64_t w, int64_t q);

/* w * 10^q (w exact: at most 19 digits), negated if neg, correctly
 * rounded into *out: Clinger's fast path, else ff_compute_bits. Returns 1,
 * or 0 where this build has no 128-bit multiply (the caller falls back). */
int ff_exact_to_double(uint64_t w, int64_t q, int neg, double *out);

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Eight ASCII digits in a little-endian word, as fast_float tests and
 * reads them (SWAR): canada's 15-digit fractions take two steps, not 15. */
static inline int ff_eight_digits(uint64_t v)
{
    return (((v + UINT64_C(0x4646464646464646)) | (v - UINT64_C(0x3030303030303030))) & UINT64_C(0x8080808080808080)) ==
           0;
}

static inline uint64_t ff_parse_eight(uint64_t v)
{
    const uint64_t mask = UINT64_C(0x000000FF000000FF);
    const uint64_t mul1 = UINT64_C(0x000F424000000064); /* 100 + (1000000 << 32) */
    const uint64_t mul2 = UINT64_C(0x0000271000000001); /* 1 + (10000 << 32) */
    v -= UINT64_C(0x3030303030303030);
    v = v * 10 + (v >> 8);
    return (((v & mask) * mul1) + (((v >> 16) & mask) * mul2)) >> 32;
}
#define FF_SWAR 1
#endif

/* Reads the run of decimal digits at p (up to end) into *w, w * 10 + d a
 * digit; past 19 digits *w wraps, which callers that count the digits
 * ignore. Returns the end of the run. Where the byte order allows: eight
 * digits a step (canada's 15-digit fractions take two steps, not 15);
 * then the last 1-7 in one step as well, from the word at p when 8 bytes
 * remain (its bytes after the digits shifted out, '0's shifted in as
 * leading zeros), else, when 8 digits were read before them and every
 * byte left is a digit, from the word that ends at end (its bytes already
 * read made '0's). It reads no byte outside [p, end). For fractions:
 * read so, canada's 2-3 digit integer parts cost its json decode 14% more
 * instructions than a digit at a time, so callers loop over those. */
static inline const unsigned char *ff_read_digits(const unsigned char *p, const unsigned char *end, uint64_t *wp)
{
    uint64_t w = *wp;
#if defined(FF_SWAR)
    static const uint64_t pow10[8] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};
    const unsigned char *start = p;
    uint64_t v;
    while (end - p >= 8) {
        memcpy(&v, p, sizeof v);
        if (!ff_eight_digits(v))
            break;
        w = w * 100000000 + ff_parse_eight(v);
        p += 8;
    }
    if (end - p >= 8) {
        memcpy(&v, p, sizeof v);
        uint64_t bad =
            ((v + UINT64_C(0x4646464646464646)) | (v - UINT64_C(0x3030303030303030))) & UINT64_C(0x8080808080808080);
        unsigned n = (unsigned)__builtin_ctzll(bad) / 8; /* bad != 0: the loop stopped */
        if (n) {
            unsigned pad = 8 * (8 - n);
            v = v << pad | UINT64_C(0x3030303030303030) >> (64 - pad);
            w = w * pow10[n] + ff_parse_eight(v);
            p += n;
        }
    } else if (p < end && p - start >= 8) {
        unsigned n = (unsigned)(end - p), pad = 8 * (8 - n);
        memcpy(&v, end - 8, sizeof v);
        v = v >> pad << pad | UINT64_C(0x3030303030303030) >> (64 - pad);
        if (ff_eight_digits(v)) {
            w = w * pow10[n] + ff_parse_eight(v);
            p = end;
        }
    }
#endif
    for (; p < end && (unsigned)(*p - '0') < 10; p++)
        w = w * 10 + (unsigned)(*p - '0');
    *wp = w;
    return p;
}

#endif
