/* native.c: the native format plugin's descriptor and its sniff function.
 * The format is specified in docs/native-format.md; decode.c reads it and
 * encode.c writes it. The native format has no options: it always stores
 * shared and cyclic containers (BRINE_CAP_REFS) and always checksums.
 */
#include "native.h"

static const char *const nat_extensions[] = {"brn", "brine", NULL};

static const brine_option_spec nat_options[] = {{NULL, 0, NULL}};

/* The 8-byte magic number decides alone. A shorter head that matches as far
 * as it goes is a likely native file too short to be sure of. */
static int nat_sniff(const unsigned char *head, size_t len)
{
    if (len >= NAT_MAGIC_LEN)
        return memcmp(head, NAT_MAGIC, NAT_MAGIC_LEN) == 0 ? 100 : 0;
    if (len > 0 && memcmp(head, NAT_MAGIC, len) == 0)
        return 50;
    return 0;
}

static const brine_plugin nat_plugin = {
    .abi = BRINE_PLUGIN_ABI,
    .size = sizeof(brine_plugin),
    .name = "native",
    .description = "brine's own binary format: lossless, shared and cyclic nodes, checksummed",
    .version = "1.1",
    .extensions = nat_extensions,
    .mime_type = "application/x-brine",
    .caps = BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_BINARY | BRINE_CAP_REFS,
    .depth_ceiling = 0,
    .options = nat_options,
    .sniff = nat_sniff,
    .decode = nat_decode,
    .decode_direct = nat_decode_direct,
    .encoder_new = nat_encoder_new,
    .encode_value = nat_encode_value, /* picks the file version from the graph: 1.1 only with arrays */
};

BRINE_PLUGIN_DEFINE(native, nat_plugin)
