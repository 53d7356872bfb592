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

#endif
