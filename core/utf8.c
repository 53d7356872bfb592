/* utf8.c: brine_utf8_check, the UTF-8 validator on every decoder's hot path
 * and in core's check of decoders' str events (build.c, codec.c).
 *
 * Well-formed means Unicode's table 3-7 (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF. Two implementations, one chosen at
 * the first call by the CPU (one function pointer, set once; threads that
 * race to set it store the same value):
 * - AVX2: Keiser and Lemire's lookup algorithm ("Validating UTF-8 in less
 *   than one instruction per byte", 2021; simdjson's lookup4): three
 *   16-entry pshufb tables classify each byte with the one before it, and
 *   the bytes two and three back say where continuations must be. 32 bytes
 *   a step, ASCII steps skipped on one movemask. It answers "valid or not"
 *   per step; at the first step with an error, and for the last partial
 *   step, the scalar validator takes over from the start of the sequence
 *   that straddles the step's start, so the offset returned is exactly the
 *   scalar one and nothing is read past the end.
 * - scalar, for other CPUs: ASCII runs 16 bytes a step with SSE2 (the
 *   x86-64 baseline), else 8 in a word; the last partial step of a run
 *   re-reads the string's last 16 (or 8) bytes in place; a 3-byte sequence
 *   is checked in one word (twitter.json's str values: 1.29 M instructions
 *   a pass by table 3-7 alone, 0.67 M with it); every other sequence goes
 *   through table 3-7 one lead byte at a time.
 * Whole files: AVX2 2.2x the scalar speed on twitter.json, 1.7x on citm,
 * 3.1x on CJK text. The same algorithm 16 bytes a step with SSSE3 (pshufb
 * is not in SSE2) was tried for CPUs without AVX2 and dropped: 1.2-1.5x
 * slower than the scalar validator on all three (docs/performance.md).
 * Strings shorter than U8_VECTOR_MIN go to the scalar validator directly:
 * most calls are short dict keys and values, for which the vector set-up
 * and the indirect call cost more than they save.
 * tests/test_text.c compares brine_utf8_check against a plain
 * byte-at-a-time validator, tests/test_utf8_simd.c AVX2 against scalar.
 */
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define U8_X86 1
#endif

#include "brine/brine.h"
#include "utf8.h"

/* Below this many bytes the scalar validator (whose ASCII runs are SSE2
 * already) is as fast as the dispatched AVX2 one. Validating each str of
 * the corpus files in turn, against all scalar: citm (26,604 strings,
 * mostly short) +2% from 32 bytes, +1.5% from 64, +0.3% from 128; twitter
 * (18,099, longer and Japanese) -6%, -9%, -11%. Overridable (-D) to measure.
 */
#ifndef U8_VECTOR_MIN
#define U8_VECTOR_MIN 64
#endif

/* The high bit of every byte of a word: a word is all ASCII when none is set. */
#define U8_HIGH_BITS 0x8080808080808080u

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define U8_LITTLE_ENDIAN 1
#endif

/* The first byte at or after i in u[0, len) that is not ASCII, or len. */
static inline size_t ascii_run(const unsigned char *u, size_t i, size_t len)
{
#if defined(__SSE2__)
    if (len >= 16) {
        while (len - i >= 16) {
            unsigned mask = (unsigned)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(u + i)));
            if (mask)
                return i + (size_t)__builtin_ctz(mask);
            i += 16;
        }
        if (i == len)
            return len;
        /* The last 16 bytes, in place: those before i are already known. */
        size_t skip = i - (len - 16);
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(u + len - 16)));
        mask >>= skip;
        return mask ? i + (size_t)__builtin_ctz(mask) : len;
    }
#endif
#if defined(U8_LITTLE_ENDIAN)
    if (len >= 8) {
        /* memcpy keeps the load legal at any alignment; compilers make it one move. */
        uint64_t w;
        while (len - i >= 8) {
            memcpy(&w, u + i, sizeof w);
            if (w & U8_HIGH_BITS)
                return i + (size_t)__builtin_ctzll(w & U8_HIGH_BITS) / 8;
            i += 8;
        }
        if (i == len)
            return len;
        size_t skip = i - (len - 8);
        memcpy(&w, u + len - 8, sizeof w);
        w = (w & U8_HIGH_BITS) >> (8 * skip);
        return w ? i + (size_t)__builtin_ctzll(w) / 8 : len;
    }
#endif
    while (i < len && u[i] < 0x80)
        i++;
    return i;
}

/* The scalar validator: the baseline where no vector unit is found, and
 * the tail of every input (fewer bytes than a vector step) and the exact
 * offset once a vector step has seen an error. */
static inline __attribute__((always_inline)) size_t u8_scalar(const unsigned char *u, size_t len)
{
    size_t i = 0;

    for (;;) {
        i = ascii_run(u, i, len);
        if (i == len)
            return len;
        /* A multibyte run: text that is not ASCII tends to stay so (CJK,
         * Cyrillic...), so no vector step between two such sequences. */
        do {
            unsigned b0 = u[i];
            size_t rem = len - i;
#if defined(U8_LITTLE_ENDIAN)
            /* The common sequence in such text (CJK): three bytes, 1110xxxx
             * 10xxxxxx 10xxxxxx, two at a time in one word, then one. An
             * overlong (E0 80..9F) or surrogate (ED A0..BF) form is told by
             * the lead's low nibble and the 0x20 bit of the byte after: 0
             * and 0, or D and 1. */
            if (rem >= 4) {
                uint64_t w, a, b;
                while (len - i >= 8) {
                    memcpy(&w, u + i, sizeof w);
                    a = w & 0x200F;
                    b = w >> 24 & 0x200F;
                    if ((w & UINT64_C(0xC0C0F0C0C0F0)) != UINT64_C(0x8080E08080E0) || !a || a == 0x200D || !b ||
                        b == 0x200D)
                        break;
                    i += 6;
                }
                if (len - i < 4 || u[i] < 0x80)
                    continue; /* the loop's test decides */
                uint32_t h;
                memcpy(&h, u + i, sizeof h);
                a = h & 0x200F;
                if ((h & 0xC0C0F0) == 0x8080E0 && a != 0 && a != 0x200D) {
                    i += 3;
                    continue;
                }
                b0 = u[i];
                rem = len - i;
            }
#endif
            if (b0 < 0xC2) {
                /* A stray continuation byte (80..BF) or an overlong 2-byte lead (C0, C1). */
                return i;
            } else if (b0 < 0xE0) {
                if (rem < 2 || (u[i + 1] & 0xC0) != 0x80)
                    return i;
                i += 2;
            } else if (b0 < 0xF0) {
                /* E0 needs A0..BF (else overlong), ED needs 80..9F (else a surrogate). */
                unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80;
                unsigned hi = b0 == 0xED ? 0x9F : 0xBF;
                if (rem < 3 || u[i + 1] < lo || u[i + 1] > hi || (u[i + 2] & 0xC0) != 0x80)
                    return i;
                i += 3;
            } else if (b0 < 0xF5) {
                /* F0 needs 90..BF (else overlong), F4 needs 80..8F (else above U+10FFFF). */
                unsigned lo = b0 == 0xF0 ? 0x90 : 0x80;
                unsigned hi = b0 == 0xF4 ? 0x8F : 0xBF;
                if (rem < 4 || u[i + 1] < lo || u[i + 1] > hi || (u[i + 2] & 0xC0) != 0x80 || (u[i + 3] & 0xC0) != 0x80)
                    return i;
                i += 4;
            } else {
                /* F5..FF would start code points above U+10FFFF or are never used. */
                return i;
            }
        } while (i < len && u[i] >= 0x80);
        if (i == len)
            return len;
    }
}

size_t brinep_utf8_check_scalar(const char *s, size_t len)
{
    return u8_scalar((const unsigned char *)s, len);
}

/* The exact answer once a vector step at start saw an error, or for the
 * tail: everything before start is valid except perhaps a sequence that
 * began in the three bytes before it and ends at or after it, so the scalar
 * validator resumes at that sequence's lead byte (the last one within three
 * bytes, unless ASCII comes first). */
static size_t u8_finish(const unsigned char *u, size_t len, size_t start)
{
    size_t b = start;
    for (size_t k = 1; k <= 3 && k <= start; k++) {
        unsigned c = u[start - k];
        if (c >= 0xC0) {
            b = start - k;
            break;
        }
        if (c < 0x80)
            break;
    }
    return b + u8_scalar(u + b, len - b);
}

#if defined(U8_X86)
/* Whether a sequence begun in the three bytes before i (i a step's start,
 * all before it checked) still wants continuation bytes: the vector check
 * of an ASCII step is skipped, so this is asked instead. */
static inline int u8_open(const unsigned char *u, size_t i)
{
    return (i >= 1 && u[i - 1] >= 0xC0) || (i >= 2 && u[i - 2] >= 0xE0) || (i >= 3 && u[i - 3] >= 0xF0);
}

/* Keiser-Lemire's error classes: a byte pair (the byte before, this one)
 * is an error when the three lookups of it share a bit. */
#define KL_TOO_SHORT 0x01      /* a lead byte or ASCII, then a lead byte or ASCII, where a continuation was due */
#define KL_TOO_LONG 0x02       /* ASCII, then a continuation */
#define KL_OVERLONG_3 0x04     /* E0 80..9F */
#define KL_TOO_LARGE 0x08      /* F4 90..BF, F5..FF 90..BF */
#define KL_SURROGATE 0x10      /* ED A0..BF */
#define KL_OVERLONG_2 0x20     /* C0..C1 then a continuation */
#define KL_TOO_LARGE_1000 0x40 /* F5..FF 80..8F */
#define KL_OVERLONG_4 0x40     /* F0 80..8F */
#define KL_TWO_CONTS 0x80      /* a continuation after a continuation (legal where the lead asks for it) */
#define KL_CARRY (KL_TOO_SHORT | KL_TOO_LONG | KL_TWO_CONTS)

/* The three tables, indexed by the high nibble of the byte before, its low
 * nibble and the high nibble of this byte. */
#define KL_BYTE_1_HIGH                                                                                                 \
    KL_TOO_LONG, KL_TOO_LONG, KL_TOO_LONG, KL_TOO_LONG, KL_TOO_LONG, KL_TOO_LONG, KL_TOO_LONG, KL_TOO_LONG,            \
        KL_TWO_CONTS, KL_TWO_CONTS, KL_TWO_CONTS, KL_TWO_CONTS, KL_TOO_SHORT | KL_OVERLONG_2, KL_TOO_SHORT,            \
        KL_TOO_SHORT | KL_OVERLONG_3 | KL_SURROGATE, KL_TOO_SHORT | KL_TOO_LARGE | KL_TOO_LARGE_1000 | KL_OVERLONG_4
#define KL_BYTE_1_LOW                                                                                                  \
    KL_CARRY | KL_OVERLONG_3 | KL_OVERLONG_2 | KL_OVERLONG_4, KL_CARRY | KL_OVERLONG_2, KL_CARRY, KL_CARRY,            \
        KL_CARRY | KL_TOO_LARGE, KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000,                                          \
        KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000, KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000,                      \
        KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000, KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000,                      \
        KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000, KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000,                      \
        KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000, KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000 | KL_SURROGATE,       \
        KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000, KL_CARRY | KL_TOO_LARGE | KL_TOO_LARGE_1000
#define KL_BYTE_2_HIGH                                                                                                 \
    KL_TOO_SHORT, KL_TOO_SHORT, KL_TOO_SHORT, KL_TOO_SHORT, KL_TOO_SHORT, KL_TOO_SHORT, KL_TOO_SHORT, KL_TOO_SHORT,    \
        KL_TOO_LONG | KL_OVERLONG_2 | KL_TWO_CONTS | KL_OVERLONG_3 | KL_TOO_LARGE_1000 | KL_OVERLONG_4,                \
        KL_TOO_LONG | KL_OVERLONG_2 | KL_TWO_CONTS | KL_OVERLONG_3 | KL_TOO_LARGE,                                     \
        KL_TOO_LONG | KL_OVERLONG_2 | KL_TWO_CONTS | KL_SURROGATE | KL_TOO_LARGE,                                      \
        KL_TOO_LONG | KL_OVERLONG_2 | KL_TWO_CONTS | KL_SURROGATE | KL_TOO_LARGE, KL_TOO_SHORT, KL_TOO_SHORT,          \
        KL_TOO_SHORT, KL_TOO_SHORT

#define U8_AVX2 __attribute__((target("avx2")))

/* The lookup tables, each twice (one per 128-bit lane), as unsigned bytes:
 * _mm256_setr_epi8 takes chars, and clang's -Wconstant-conversion refuses
 * 0xCB and the like there. */
#define KL_TABLE(name, bytes) static const unsigned char name[32] __attribute__((aligned(32))) = {bytes, bytes}
KL_TABLE(kl_byte_1_high, KL_BYTE_1_HIGH);
KL_TABLE(kl_byte_1_low, KL_BYTE_1_LOW);
KL_TABLE(kl_byte_2_high, KL_BYTE_2_HIGH);
#define KL_LOAD(table) _mm256_load_si256((const __m256i *)(const void *)(table))

U8_AVX2 static inline __m256i kl_check_32(__m256i in, __m256i prev)
{
    const __m256i nib = _mm256_set1_epi8(0x0F);
    /* The 32 bytes before each of in's: prev's high lane, then in's low lane. */
    __m256i before = _mm256_permute2x128_si256(prev, in, 0x21);
    __m256i prev1 = _mm256_alignr_epi8(in, before, 15);
    __m256i b1h = _mm256_shuffle_epi8(KL_LOAD(kl_byte_1_high),
                                      _mm256_and_si256(_mm256_srli_epi16(prev1, 4), nib));
    __m256i b1l = _mm256_shuffle_epi8(KL_LOAD(kl_byte_1_low), _mm256_and_si256(prev1, nib));
    __m256i b2h = _mm256_shuffle_epi8(KL_LOAD(kl_byte_2_high),
                                      _mm256_and_si256(_mm256_srli_epi16(in, 4), nib));
    __m256i sc = _mm256_and_si256(_mm256_and_si256(b1h, b1l), b2h);
    __m256i prev2 = _mm256_alignr_epi8(in, before, 14), prev3 = _mm256_alignr_epi8(in, before, 13);
    __m256i must23 = _mm256_or_si256(_mm256_subs_epu8(prev2, _mm256_set1_epi8((char)(0xE0 - 0x80))),
                                     _mm256_subs_epu8(prev3, _mm256_set1_epi8((char)(0xF0 - 0x80))));
    return _mm256_xor_si256(_mm256_and_si256(must23, _mm256_set1_epi8((char)0x80)), sc);
}

size_t U8_AVX2 brinep_utf8_check_avx2(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    __m256i prev = _mm256_setzero_si256();
    size_t i = 0;
    int after_ascii = 1;
    for (; len - i >= 32; i += 32) {
        __m256i in = _mm256_loadu_si256((const __m256i *)(const void *)(u + i));
        if (!_mm256_movemask_epi8(in)) {
            if (!after_ascii && u8_open(u, i))
                return u8_finish(u, len, i);
            after_ascii = 1;
        } else {
            __m256i err = kl_check_32(in, prev);
            if (!_mm256_testz_si256(err, err))
                return u8_finish(u, len, i);
            after_ascii = 0;
        }
        prev = in;
    }
    return u8_finish(u, len, i);
}
#endif

typedef size_t (*u8_fn)(const char *s, size_t len);

/* The implementation for this CPU, chosen at the first call. */
static u8_fn u8_impl;

static u8_fn u8_choose(void)
{
#if defined(U8_X86)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2"))
        return brinep_utf8_check_avx2;
#endif
    return brinep_utf8_check_scalar;
}

size_t brine_utf8_check(const char *s, size_t len)
{
    if (len < U8_VECTOR_MIN)
        return u8_scalar((const unsigned char *)s, len);
    /* Relaxed is enough: the pointer leads to code, not to data another
     * thread wrote, and every thread computes the same value. */
    u8_fn f = __atomic_load_n(&u8_impl, __ATOMIC_RELAXED);
    if (!f) {
        f = u8_choose();
        __atomic_store_n(&u8_impl, f, __ATOMIC_RELAXED);
    }
    return f(s, len);
}
