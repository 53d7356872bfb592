/* shortcopy.h: a memcpy for the short copies encoders make most (keys and
 * small strings), shared by the in-tree plugins; not installed.
 *
 * For up to 16 bytes it moves two overlapping words instead of calling
 * memcpy, whose call cost more than such a copy (the json and msgpack
 * encoders' profiles). Reads and writes only [src, src + n) and
 * [dst, dst + n). */
#ifndef BRINE_PLUGINS_SHORTCOPY_H
#define BRINE_PLUGINS_SHORTCOPY_H

#include <stdint.h>
#include <string.h>

static inline void brine_short_copy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (n > 16) {
        memcpy(d, s, n);
    } else if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else if (n) {
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}

#endif
