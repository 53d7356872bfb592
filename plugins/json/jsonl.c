/* jsonl.c: the jsonl format, JSON Lines (https://jsonlines.org): the json
 * plugin's code with the `lines` option on by default, so that .jsonl and
 * .ndjson files read as a list of their lines' values and a list writes
 * one value per line. A module of its own (jsonl.la, built from the same
 * sources as json.la) because a module's one entry point returns one
 * descriptor (core/registry.c, docs/plugins.md).
 */
#include "json.h"

static const char *const jsl_extensions[] = {"jsonl", "ndjson", NULL};

static int jsl_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err)
{
    return js_decode_as(src, sink, opts, err, 1);
}

static brine_sink *jsl_encoder_new(brine_output *out, const brine_options *opts, brine_error *err)
{
    return js_encoder_new_as(out, opts, err, 1);
}

/* A JSON Lines file is also a JSON document when it has one line, and the
 * two cannot be told apart by content: the extension chooses jsonl, and
 * the sniffer never claims a file. */
static int jsl_encode_value(const brine_value *v, brine_output *out, const brine_options *opts, brine_error *err)
{
    return js_encode_value_as(v, out, opts, err, 1);
}

static int jsl_sniff(const unsigned char *head, size_t len)
{
    (void)head;
    (void)len;
    return 0;
}

static const brine_plugin jsl_plugin = {
    .abi = BRINE_PLUGIN_ABI,
    .size = sizeof(brine_plugin),
    .name = "jsonl",
    .description = "JSON Lines: one JSON value per line, read as a list (json with lines on; lines=0 turns it off)",
    .version = "2.0.0",
    .extensions = jsl_extensions,
    .mime_type = "application/jsonl",
    .caps = BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_TEXT | BRINE_CAP_REFS_OPTION,
    .depth_ceiling = 0,
    .options = js_options,
    .sniff = jsl_sniff,
    .decode = jsl_decode,
    .encoder_new = jsl_encoder_new,
    .encode_value = jsl_encode_value,
};

BRINE_PLUGIN_DEFINE(jsonl, jsl_plugin)
