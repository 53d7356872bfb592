/* text.c: the libFuzzer harness for the leaf text routines of #23, each
 * held to its reference on the same bytes: core/utf8.c's AVX2 validator
 * (when the CPU has AVX2) and brine_utf8_check against the scalar
 * validator, and plugins/fastfloat.c against strtod_l in the "C" locale,
 * bit for bit, whenever it decides the input as a decimal. A disagreement
 * aborts. It calls private functions (core/utf8.h, plugins/fastfloat.h),
 * which the static libraries the harnesses link keep visible.
 */
#define _GNU_SOURCE 1
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/brine.h>

#include "fastfloat.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static locale_t c_locale;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    size_t want = brinep_utf8_check_scalar(s, size);
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx2") && brinep_utf8_check_avx2(s, size) != want) {
        fprintf(stderr, "fuzz: avx2 UTF-8 check %zu, scalar %zu\n", brinep_utf8_check_avx2(s, size), want);
        abort();
    }
#endif
    if (brine_utf8_check(s, size) != want) {
        fprintf(stderr, "fuzz: brine_utf8_check %zu, scalar %zu\n", brine_utf8_check(s, size), want);
        abort();
    }

    double got;
    if (size > 4096 || !ff_parse_decimal(data, data + size, &got))
        return 0;
    if (!c_locale && !(c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0)))
        return 0;
    char *z = malloc(size + 1);
    if (!z)
        return 0;
    memcpy(z, data, size);
    z[size] = '\0';
    char *end;
    double ref = strtod_l(z, &end, c_locale);
    if (end != z + size || memcmp(&ref, &got, sizeof ref) != 0) {
        fprintf(stderr, "fuzz: \"%s\": fastfloat %a, strtod_l %a (read %td of %zu bytes)\n", z, got, ref, end - z,
                size);
        abort();
    }
    free(z);
    return 0;
}
