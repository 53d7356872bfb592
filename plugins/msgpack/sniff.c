/* sniff.c: how confident the msgpack plugin is that some bytes are
 * MessagePack. The format has no magic, so it walks the structure of the
 * first bytes: a byte never used, invalid UTF-8 or a value followed by more
 * bytes (text starts with a byte that is a complete fixint) lowers it.
 */
#include "mp.h"

#define MP_SNIFF_DEPTH 64

/* Size of the header at p (end - p >= 1 bytes) and what follows it: `data`
 * bytes of payload, or `items` child values. 0 when the header does not fit
 * in the head, -1 for a byte MessagePack never uses. */
static int mp_head(const unsigned char *p, const unsigned char *end, size_t *hdr, uint64_t *data, uint64_t *items,
                   int *is_str)
{
    unsigned b = p[0];
    size_t avail = (size_t)(end - p), w;
    *data = *items = 0;
    *is_str = 0;
    *hdr = 1;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return 1;
    if (b <= 0x8f) {
        *items = (uint64_t)(b & 0x0f) * 2;
        return 1;
    }
    if (b <= 0x9f) {
        *items = b & 0x0f;
        return 1;
    }
    if (b <= 0xbf) {
        *data = b & 0x1f;
        *is_str = 1;
        return 1;
    }
    if (b == 0xc1)
        return -1;
    if (b >= 0xca && b <= 0xd3) {
        static const unsigned char size[] = {4, 8, 1, 2, 4, 8, 1, 2, 4, 8};
        *data = size[b - 0xca];
        return 1;
    }
    if (b >= 0xd4 && b <= 0xd8) {
        *hdr = 2;
        *data = (uint64_t)1 << (b - 0xd4);
        return avail >= 2;
    }
    if (b >= 0xc4 && b <= 0xc6)
        w = (size_t)1 << (b - 0xc4);
    else if (b >= 0xc7 && b <= 0xc9)
        w = (size_t)1 << (b - 0xc7);
    else if (b >= 0xd9 && b <= 0xdb)
        w = (size_t)1 << (b - 0xd9);
    else
        w = b & 1 ? 4 : 2; /* 0xdc..0xdf */
    *hdr = 1 + w + (b >= 0xc7 && b <= 0xc9);
    if (avail < *hdr)
        return 0;
    {
        uint64_t n = w == 1 ? p[1] : w == 2 ? mp_load16(p + 1) : mp_load32(p + 1);
        if (b >= 0xdc)
            *items = b >= 0xde ? n * 2 : n;
        else
            *data = n;
    }
    *is_str = b >= 0xd9 && b <= 0xdb;
    return 1;
}

int mp_sniff(const unsigned char *head, size_t len)
{
    const unsigned char *p = head, *end = head + len;
    uint64_t stack[MP_SNIFF_DEPTH];
    int depth = 0, container;
    if (len == 0)
        return 0;
    container = (head[0] >= 0x80 && head[0] <= 0x9f) || (head[0] >= 0xdc && head[0] <= 0xdf);
    while (p < end) {
        size_t hdr;
        uint64_t data, items;
        int is_str, rc = mp_head(p, end, &hdr, &data, &items, &is_str);
        if (rc < 0)
            return 0;
        if (rc == 0 || data > (uint64_t)(end - p) - hdr)
            return container ? 50 : 10; /* consistent as far as the head goes */
        if (is_str && brine_utf8_check((const char *)p + hdr, (size_t)data) != data)
            return 0;
        p += hdr + data;
        if (items) {
            if (depth == MP_SNIFF_DEPTH)
                return 50;
            stack[depth++] = items;
            continue;
        }
        while (depth && --stack[depth - 1] == 0)
            depth--;
        if (depth == 0)
            break;
    }
    if (depth)
        return container ? 50 : 10;
    if (p < end)
        return 5; /* a value and more: concatenated values, or more likely text */
    return container ? 70 : 30;
}
