/* attrs.h: the compiler hints that core and the in-tree plugins share,
 * defined once here (core/internal.h, the json writer and the native
 * plugin each had their own copy). Private: not installed, and nothing in
 * include/brine/ may include it, so third-party plugins never see it. */
#ifndef BRINEP_ATTRS_H
#define BRINEP_ATTRS_H

/* For hot loops: keep the common path small (fewer registers saved per
 * call) and the rare paths out of line. */
#if defined(__GNUC__)
#define BRINEP_INLINE inline __attribute__((always_inline))
#define BRINEP_NOINLINE __attribute__((noinline))
#define BRINEP_LIKELY(x) __builtin_expect(!!(x), 1)
#define BRINEP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define BRINEP_INLINE inline
#define BRINEP_NOINLINE
#define BRINEP_LIKELY(x) (x)
#define BRINEP_UNLIKELY(x) (x)
#endif

#endif /* BRINEP_ATTRS_H */
