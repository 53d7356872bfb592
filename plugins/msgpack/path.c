/* path.c: error paths in brine's syntax ($ root, [3] an index, .name an
 * identifier-like str key, ["a b"] another str key, [<repr>] other keys),
 * built by the decoder and the encoder from their own stacks when they fail.
 */
#include <stdio.h>

#include "mp.h"

void mp_path_append(char *path, size_t cap, const char *text)
{
    size_t have = strnlen(path, cap);
    size_t add = strlen(text);
    if (have + add + 1 > cap)
        return; /* a cut step would mislead: keep the path up to the last whole step */
    memcpy(path + have, text, add + 1);
}

void mp_path_index(char *path, size_t cap, uint64_t index)
{
    char step[32];
    snprintf(step, sizeof step, "[%llu]", (unsigned long long)index);
    mp_path_append(path, cap, step);
}

void mp_path_int_key(char *path, size_t cap, int neg, uint64_t mag)
{
    char step[32];
    snprintf(step, sizeof step, "[%s%llu]", neg ? "-" : "", (unsigned long long)mag);
    mp_path_append(path, cap, step);
}

static int mp_ident(const char *s, size_t len)
{
    if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

void mp_path_str_key(char *path, size_t cap, const char *s, size_t len)
{
    char step[BRINE_ERROR_PATH];
    size_t n = 0;
    if (mp_ident(s, len)) {
        if (len + 2 > sizeof step)
            return;
        step[n++] = '.';
        memcpy(step + n, s, len);
        n += len;
        step[n] = '\0';
        mp_path_append(path, cap, step);
        return;
    }
    /* JSON-style quoting: the path stays one printable line. */
    step[n++] = '[';
    step[n++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (n + 8 >= sizeof step)
            return;
        if (c == '"' || c == '\\') {
            step[n++] = '\\';
            step[n++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            n += (size_t)snprintf(step + n, sizeof step - n, "\\u%04x", c);
        } else {
            step[n++] = (char)c;
        }
    }
    step[n++] = '"';
    step[n++] = ']';
    step[n] = '\0';
    mp_path_append(path, cap, step);
}
