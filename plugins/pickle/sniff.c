/* sniff.c: how sure the pickle and joblib plugins are that bytes start
 * their format (plugin.c's and joblib.c's .sniff): the opcodes a pickle
 * starts with, and joblib's module name in the head.
 */
#include <string.h>

#include "pickle.h"

/* Opcodes a protocol 0 or 1 pickle (which has no PROTO header) can start
 * with: a MARK, an empty container, a global, a scalar. */
static int pk_first_opcode(unsigned char c)
{
    return strchr("(]})cNIJKLMFGSTUVX", c) != NULL && c != 0;
}

/* 1 if the head names joblib's array wrapper: a joblib file, whose array
 * bytes follow the wrapper outside the pickle (joblib.c). */
int pk_names_joblib(const unsigned char *head, size_t len)
{
    static const char mod[] = "joblib.numpy_pickle";
    const unsigned char *p = head, *end = head + len;
    while ((size_t)(end - p) >= sizeof mod - 1 && (p = memchr(p, 'j', (size_t)(end - p) - (sizeof mod - 2)))) {
        if (memcmp(p, mod, sizeof mod - 1) == 0)
            return 1;
        p++;
    }
    return 0;
}

int pk_sniff(const unsigned char *head, size_t len)
{
    if (len >= 2 && head[0] == PKOP_PROTO) {
        /* A joblib file is not a pickle pickle.load reads: the joblib
         * plugin says 100 for it. */
        if (head[1] >= 2 && head[1] <= PK_HIGHEST_PROTOCOL)
            return pk_names_joblib(head, len) ? 90 : 100;
        return head[1] <= 1 ? 30 : 0;
    }
    if (len < 2 || !pk_first_opcode(head[0]))
        return 0;
    /* Text pickles are mostly lines ("(dp0\nS'a'\n..."): a guess only. A
     * pickle of one scalar ends in '.' soon after. */
    if (head[0] == '(' && (pk_first_opcode(head[1]) || head[1] == 'd' || head[1] == 'l' || head[1] == 't' ||
                           head[1] == 'i' || head[1] == '('))
        return 10;
    if ((head[0] == ']' || head[0] == '}' || head[0] == ')') &&
        (head[1] == 'q' || head[1] == 'p' || head[1] == '(' || head[1] == '.' || head[1] == 0x94))
        return 10;
    if (head[0] == 'c' && memchr(head, '\n', len) != NULL) {
        size_t i;
        for (i = 1; i < len && head[i] != '\n'; i++)
            if (!((head[i] >= 'a' && head[i] <= 'z') || (head[i] >= 'A' && head[i] <= 'Z') ||
                  (head[i] >= '0' && head[i] <= '9') || head[i] == '_' || head[i] == '.'))
                return 0;
        return 10;
    }
    return 0;
}
