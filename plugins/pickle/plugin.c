/* plugin.c: the pickle plugin's descriptor and its sniffer. The reader is
 * reader.c (with text.c and compat.c), the writer writer.c; docs/pickle.md
 * is the manual.
 */
#include <string.h>

#include "pickle.h"

static const char *const pk_extensions[] = {"pkl", "pickle", NULL};

static const brine_option_spec pk_options[] = {
    {"protocol", BRINE_OPT_ENCODE, "the pickle protocol to write, 2 to 5 (default 4)"},
    {"zerod", BRINE_OPT_ENCODE,
     "how a 0-d array is written: scalar (a numpy scalar, np.float64(2.5); the default) or array (a 0-d ndarray)"},
    {"allow", BRINE_OPT_DECODE | BRINE_OPT_ENCODE,
     "globals a pickle may name: module.name, patterns (* within one component), presets safe, sklearn"},
    {NULL, 0, NULL}};

/* Opcodes a protocol 0 or 1 pickle (which has no PROTO header) can start
 * with: a MARK, an empty container, a global, a scalar. */
static int pk_first_opcode(unsigned char c)
{
    return strchr("(]})cNIJKLMFGSTUVX", c) != NULL && c != 0;
}

int pk_sniff(const unsigned char *head, size_t len)
{
    if (len >= 2 && head[0] == PKOP_PROTO)
        return head[1] >= 2 && head[1] <= PK_HIGHEST_PROTOCOL ? 100 : head[1] <= 1 ? 30 : 0;
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

static const brine_plugin pk_plugin = {
    .abi = BRINE_PLUGIN_ABI,
    .size = sizeof(brine_plugin),
    .name = "pickle",
    .description = "Python's pickle, protocols 0-5; reading never imports or calls anything",
    .version = "1.0.0",
    .extensions = pk_extensions,
    .mime_type = "application/x-python-pickle",
    .caps = BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_BINARY | BRINE_CAP_REFS,
    .depth_ceiling = 0,
    .options = pk_options,
    .sniff = pk_sniff,
    .decode = pk_decode,
    .encoder_new = pk_encoder_new,
    .audit = pk_audit,
};

BRINE_PLUGIN_DEFINE(pickle, pk_plugin)
