/* utf8.c: brine_utf8_check, the UTF-8 validator on every decoder's hot path
 * and in core's check of decoders' str events (build.c, codec.c).
 *
 * Well-formed means Unicode's table 3-7 (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF. ASCII runs are checked 16 bytes a step
 * with SSE2 (the x86-64 baseline), else 8 bytes in a word; the last partial
 * step of a run re-reads the string's last 16 (or 8) bytes in place rather
 * than going byte by byte, which is what most calls (short dict keys and
 * values) spend their time on. A 3-byte sequence is checked in one word
 * (twitter.json's str values: 1.29 M instructions a pass by table 3-7
 * alone, 0.67 M with it); every other sequence goes through table 3-7 one
 * lead byte at a time. A Keiser-Lemire lookup would need SSSE3's pshufb,
 * not in the baseline: that belongs with runtime dispatch (issue #23).
 * tests/test_text.c compares this against a plain byte-at-a-time validator.
 */
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "brine/brine.h"

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

size_t brine_utf8_check(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
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
