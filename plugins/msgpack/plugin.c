/* plugin.c: the msgpack plugin's descriptor, its options and their parsing.
 * The decoder is decode.c (our own state machine), the encoder encode.c
 * (msgpack-c's packer), the sniffer sniff.c; docs/msgpack.md tells why.
 */
#include <string.h>
#include <strings.h>

#include "mp.h"

static const char *const mp_extensions[] = {"msgpack", "mpk", NULL};

static const brine_option_spec mp_options[] = {
    {"refs", BRINE_OPT_DECODE | BRINE_OPT_ENCODE | BRINE_OPT_FLAG,
     "store shared and cyclic containers as ext 84/85 and restore their identity"},
    {"plain", BRINE_OPT_DECODE | BRINE_OPT_ENCODE | BRINE_OPT_FLAG,
     "no brine ext types: tuple as array, complex as [re, im], model as a map; decode them as msgpack.ext"},
    {"sequence", BRINE_OPT_DECODE | BRINE_OPT_ENCODE | BRINE_OPT_FLAG,
     "a top-level list is a stream of concatenated values"},
    {"numpy", BRINE_OPT_DECODE | BRINE_OPT_ENCODE | BRINE_OPT_FLAG,
     "arrays as msgpack-numpy's {\"nd\": true, \"type\": ..., \"shape\": ..., \"data\": ...} maps"},
    {"invalid_utf8", BRINE_OPT_DECODE, "error (default) or bytes: read a str that is not UTF-8 as bytes"},
    {NULL, 0, NULL}};

static const brine_plugin mp_plugin = {
    .abi = BRINE_PLUGIN_ABI,
    .size = sizeof(brine_plugin),
    .name = "msgpack",
    .description = "MessagePack, with ext types for tuple, complex, big int, model, array and references",
    .version = "1.0.0",
    .extensions = mp_extensions,
    .mime_type = "application/vnd.msgpack",
    .caps = BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_BINARY | BRINE_CAP_REFS_OPTION,
    .depth_ceiling = 0,
    .options = mp_options,
    .sniff = mp_sniff,
    .decode = mp_decode,
    .decode_direct = mp_decode_direct,
    .encoder_new = mp_encoder_new,
};

BRINE_PLUGIN_DEFINE(msgpack, mp_plugin)

int mp_opts_parse(const brine_options *opts, mp_opts *out, brine_error *err)
{
    const char *v;
    memset(out, 0, sizeof *out);
    /* Flags: libbrine refused any other value than a flag's before we run
     * (BRINE_OPT_FLAG in the table above). */
    out->refs = brine_options_flag(opts, "refs");
    out->plain = brine_options_flag(opts, "plain");
    out->sequence = brine_options_flag(opts, "sequence");
    out->numpy = brine_options_flag(opts, "numpy");
    v = brine_options_get(opts, "invalid_utf8");
    if (v) {
        if (strcmp(v, "bytes") == 0)
            out->utf8_bytes = 1;
        else if (strcmp(v, "error") != 0)
            return brine_error_set(err, BRINE_E_OPTION, "invalid_utf8 takes error or bytes, not '%s'", v);
    }
    return BRINE_OK;
}
