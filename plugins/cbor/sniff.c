/* sniff.c: how confident the cbor plugin is that some bytes are CBOR. The
 * self-described CBOR tag (d9 d9 f7) is a magic number; without it the
 * sniffer walks the structure of the first item. Scores stay below
 * msgpack's for the same structure (a CBOR array head 0x80..0x97 is also a
 * MessagePack fixmap or fixarray), so that msgpack files keep their format.
 */
#include "cb.h"

#define CB_SNIFF_DEPTH 64

int cb_sniff(const unsigned char *head, size_t len)
{
    const unsigned char *p = head, *end = head + len;
    uint64_t stack[CB_SNIFF_DEPTH]; /* items left in each open container; UINT64_MAX: indefinite */
    int depth = 0, container;
    if (len >= 3 && head[0] == 0xd9 && head[1] == 0xd9 && head[2] == 0xf7)
        return 100;
    if (len == 0)
        return 0;
    container = head[0] >> 5 == CB_ARRAY || head[0] >> 5 == CB_MAP || head[0] >> 5 == CB_TAG;
    while (p < end) {
        unsigned major = p[0] >> 5, ai = p[0] & 0x1f;
        size_t w = ai < 24 || ai == 31 ? 0 : ai <= 27 ? (size_t)1 << (ai - 24) : 0;
        uint64_t arg = ai;
        if (ai >= 28 && ai <= 30)
            return 0;
        if (p[0] == CB_BREAK) {
            if (!depth || stack[depth - 1] != UINT64_MAX)
                return 0;
            p++;
            depth--;
            goto done;
        }
        if (ai == 31 && (major < CB_BYTES || major > CB_MAP))
            return 0;
        if ((size_t)(end - p) < 1 + w)
            return container ? 40 : 5;
        if (w)
            arg = w == 1 ? p[1] : w == 2 ? cb_load16(p + 1) : w == 4 ? cb_load32(p + 1) : cb_load64(p + 1);
        p += 1 + w;
        if (major == CB_TAG)
            continue; /* the tagged item follows */
        if ((major == CB_BYTES || major == CB_TEXT) && ai != 31) {
            if (arg > (uint64_t)(end - p))
                return container ? 40 : 5;
            if (major == CB_TEXT && brine_utf8_check((const char *)p, (size_t)arg) != arg)
                return 0;
            p += arg;
        } else if (major == CB_ARRAY || major == CB_MAP || ai == 31) {
            uint64_t items = ai == 31 ? UINT64_MAX : major == CB_MAP ? arg * 2 : arg;
            if (items) {
                if (depth == CB_SNIFF_DEPTH)
                    return 40;
                stack[depth++] = items;
                continue;
            }
        }
    done:
        while (depth && stack[depth - 1] != UINT64_MAX && --stack[depth - 1] == 0)
            depth--;
        if (depth == 0)
            break;
    }
    if (depth)
        return container ? 40 : 5;
    if (p < end)
        return 0; /* an item and more: text, or another format */
    return container ? 60 : 20;
}
