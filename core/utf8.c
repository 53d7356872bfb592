/* utf8.c: brine_utf8_check, the UTF-8 validator on every decoder's hot path.
 *
 * Well-formed means Unicode's table 3-7 (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF. ASCII runs are checked 8 bytes at a time;
 * every other sequence goes through the table one lead byte at a time.
 */
#include <stdint.h>
#include <string.h>

#include "brine/brine.h"

/* The high bit of every byte of a word: a word is all ASCII when none is set. */
#define U8_HIGH_BITS 0x8080808080808080u

size_t brine_utf8_check(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    for (;;) {
        /* memcpy keeps the load legal at any alignment; compilers make it one move. */
        while (len - i >= 8) {
            uint64_t w;
            memcpy(&w, u + i, sizeof w);
            if (w & U8_HIGH_BITS)
                break;
            i += 8;
        }
        /* At most 7 ASCII bytes before the non-ASCII one, or the tail. */
        while (i < len && u[i] < 0x80)
            i++;
        if (i == len)
            return len;
    multibyte:;
        unsigned b0 = u[i];
        size_t rem = len - i;
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
        /* Text that is not ASCII tends to stay so (CJK, Cyrillic...): no
         * word test between two such sequences. */
        if (i < len && u[i] >= 0x80)
            goto multibyte;
    }
}
