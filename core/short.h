/* short.h: inline tests on strings of at most BRINEP_SHORT_MAX bytes (most
 * dict keys and many values), for the builder's str path: whether one is
 * all ASCII (so valid UTF-8 with no call to the validator) and whether two
 * are equal (with no call to memcmp). Each reads two to four words that
 * overlap inside the string, never a byte outside it. On twitter.json's
 * msgpack, calls to brine_utf8_check and memcmp for such strings cost more
 * than the tests themselves (#23: 30 instructions a str key of call set-up
 * and return alone).
 */
#ifndef BRINE_CORE_SHORT_H
#define BRINE_CORE_SHORT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BRINEP_SHORT_MAX 32

/* The words of s[0, len), len <= BRINEP_SHORT_MAX, folded by op into w[0]
 * and w[1]: two loads for up to 16 bytes, four for up to 32; strings under
 * 8 bytes read 4-byte halves, under 4 their first, middle and last bytes.
 * Together the loads cover every byte. */
static inline void brinep_short_words(const char *s, size_t len, uint64_t w[4])
{
    if (len >= 8) {
        size_t mid = len > 16 ? 8 : len - 8;
        memcpy(&w[0], s, 8);
        memcpy(&w[1], s + mid, 8);
        memcpy(&w[2], s + (len > 16 ? len - 16 : 0), 8);
        memcpy(&w[3], s + len - 8, 8);
    } else if (len >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + len - 4, 4);
        w[0] = w[2] = x;
        w[1] = w[3] = y;
    } else {
        w[0] = w[2] = len ? (unsigned char)s[0] : 0;
        w[1] = w[3] = len ? (uint64_t)(unsigned char)s[len / 2] << 8 | (uint64_t)(unsigned char)s[len - 1] << 16 : 0;
    }
}

/* Is s[0, len), len <= BRINEP_SHORT_MAX, all ASCII? */
static inline int brinep_short_ascii(const char *s, size_t len)
{
    uint64_t w[4];
    brinep_short_words(s, len, w);
    return ((w[0] | w[1] | w[2] | w[3]) & UINT64_C(0x8080808080808080)) == 0;
}

/* Are a[0, len) and b[0, len), len <= BRINEP_SHORT_MAX, equal? */
static inline int brinep_short_equal(const char *a, const char *b, size_t len)
{
    uint64_t x[4], y[4];
    brinep_short_words(a, len, x);
    brinep_short_words(b, len, y);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
}

#endif /* BRINE_CORE_SHORT_H */
