/* utf8.h: the implementations behind brine_utf8_check (utf8.c), private to
 * core and named so tests/test_utf8_simd.c can hold each one to the others
 * on a machine that would only ever pick one. Each has brine_utf8_check's
 * contract: the offset of the first byte of the first ill-formed sequence,
 * or len. The vector ones need their CPU feature (the caller checks).
 */
#ifndef BRINE_CORE_UTF8_H
#define BRINE_CORE_UTF8_H

#include <stddef.h>

size_t brinep_utf8_check_scalar(const char *s, size_t len);
#if defined(__x86_64__) && defined(__GNUC__)
size_t brinep_utf8_check_avx2(const char *s, size_t len);
#endif

#endif /* BRINE_CORE_UTF8_H */
