/* json.c: the json format's descriptor and entry point, in a file of its
 * own: jsonl.la is built from the same sources (plugin.c, reader.c ...) and
 * must not carry json's entry point too, or a static build preloads two
 * formats named json (libltdl lists each module's symbols).
 */
#include "json.h"

static const char *const js_extensions[] = {"json", NULL};

static const brine_plugin js_plugin = {
    .abi = BRINE_PLUGIN_ABI,
    .size = sizeof(brine_plugin),
    .name = "json",
    .description = "JSON (RFC 8259), exact and strict; what JSON lacks in a {\"$brine\": 1} envelope",
    .version = "2.0.0",
    .extensions = js_extensions,
    .mime_type = "application/json",
    .caps = BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_TEXT | BRINE_CAP_REFS_OPTION,
    .depth_ceiling = 0,
    .options = js_options,
    .sniff = js_sniff,
    .decode = js_decode,
    .encoder_new = js_encoder_new,
    .encode_value = js_encode_value,
};

BRINE_PLUGIN_DEFINE(json, js_plugin)
