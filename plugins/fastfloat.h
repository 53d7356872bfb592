/* fastfloat.h: decimal text to the nearest double, by Eisel-Lemire (the
 * algorithm of fast_float and Go's strconv) with Clinger's fast path first.
 * Shared by the plugins that read decimal floats (compiled into each
 * module, like descr.c); each keeps its own syntax and its own fallback
 * (strtod_l in the "C" locale) for the few inputs this cannot decide.
 */
#ifndef BRINE_PLUGINS_FASTFLOAT_H
#define BRINE_PLUGINS_FASTFLOAT_H

#include <stdint.h>

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

#endif
