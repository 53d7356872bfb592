/* plugin.c: the cbor plugin's descriptor, its options and their parsing.
 * The decoder is decode.c, the encoder encode.c, the sniffer sniff.c;
 * docs/cbor.md tells why neither uses libcbor.
 */
#include <string.h>

#include "cb.h"

static const char *const cb_extensions[] = {"cbor", NULL};

static const brine_option_spec cb_options[] = {
    {"refs", BRINE_OPT_DECODE | BRINE_OPT_ENCODE | BRINE_OPT_FLAG,
     "write shared and cyclic containers with tags 28/29 (value sharing); read: always, this makes a conversion go "
     "through a graph"},
    {"plain", BRINE_OPT_DECODE | BRINE_OPT_ENCODE | BRINE_OPT_FLAG,
     "no brine tags: tuple as array, complex as [re, im], model as a map; decode them as cbor.tag"},
    {"canonical", BRINE_OPT_ENCODE | BRINE_OPT_FLAG,
     "RFC 8949 4.2 deterministic encoding: map keys sorted by their encoded bytes"},
    {"sequence", BRINE_OPT_DECODE | BRINE_OPT_ENCODE | BRINE_OPT_FLAG,
     "a top-level list is a CBOR sequence (RFC 8742) of concatenated items"},
    {"invalid_utf8", BRINE_OPT_DECODE, "error (default) or bytes: read a text string that is not UTF-8 as bytes"},
    {NULL, 0, NULL}};

static const brine_plugin cb_plugin = {
    .abi = BRINE_PLUGIN_ABI,
    .size = sizeof(brine_plugin),
    .name = "cbor",
    .description = "CBOR (RFC 8949), with value sharing (tags 28/29), typed arrays (RFC 8746) and brine's tags",
    .version = "1.0.0",
    .extensions = cb_extensions,
    .mime_type = "application/cbor",
    .caps = BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_BINARY | BRINE_CAP_REFS_OPTION | BRINE_CAP_REFS_READ,
    .depth_ceiling = 0,
    .options = cb_options,
    .sniff = cb_sniff,
    .decode = cb_decode,
    .encoder_new = cb_encoder_new,
};

BRINE_PLUGIN_DEFINE(cbor, cb_plugin)

int cb_opts_parse(const brine_options *opts, cb_opts *out, brine_error *err)
{
    const char *v;
    memset(out, 0, sizeof *out);
    out->refs = brine_options_flag(opts, "refs");
    out->plain = brine_options_flag(opts, "plain");
    out->canonical = brine_options_flag(opts, "canonical");
    out->sequence = brine_options_flag(opts, "sequence");
    v = brine_options_get(opts, "invalid_utf8");
    if (v) {
        if (strcmp(v, "bytes") == 0)
            out->utf8_bytes = 1;
        else if (strcmp(v, "error") != 0)
            return brine_error_set(err, BRINE_E_OPTION, "invalid_utf8 takes error or bytes, not '%s'", v);
    }
    return BRINE_OK;
}
