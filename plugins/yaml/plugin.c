/* plugin.c: the yaml format's descriptor, options and sniffer. The
 * decoder is reader.c, the encoder writer.c; docs/yaml.md is the user's
 * reference.
 */
#include <string.h>

#include "ym.h"

const brine_option_spec ym_options[] = {
    {"stream", BRINE_OPT_DECODE | BRINE_OPT_ENCODE | BRINE_OPT_FLAG,
     "a stream of documents: read every document into a list; write a top-level list one document per item"},
    {"plain", BRINE_OPT_ENCODE | BRINE_OPT_FLAG,
     "write only what YAML's core schema has (tuple as a sequence) and refuse brine's !brine/ tags (complex, "
     "models)"},
    {"flow", BRINE_OPT_ENCODE | BRINE_OPT_FLAG, "write flow style ({a: 1, b: [1, 2]}) instead of block style"},
    {"indent", BRINE_OPT_ENCODE, "indent block style by N spaces, 2 to 9 (default 2)"},
    {NULL, 0, NULL}};

/* A line that opens a block mapping: a plain key then ": " or ":" at the
 * end of the line. */
static int mapping_line(const unsigned char *p, const unsigned char *end)
{
    if (p == end || !((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_'))
        return 0;
    for (; p < end && *p != '\n'; p++) {
        if (*p == ':')
            return p + 1 == end || p[1] == ' ' || p[1] == '\n' || p[1] == '\r';
        if (*p < 0x20 && *p != '\t')
            return 0;
    }
    return 0;
}

/* How likely the first bytes are YAML. JSON is YAML too, and the json
 * plugin claims {...} and [...] with more confidence; YAML's own marks are
 * a directive, a document marker, a block sequence or mapping. */
int ym_sniff(const unsigned char *head, size_t len)
{
    const unsigned char *p = head, *end = head + len;
    if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
        p += 3;
    for (;;) { /* comments and blank lines */
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
        if (p < end && *p == '#') {
            while (p < end && *p != '\n')
                p++;
            continue;
        }
        break;
    }
    size_t n = (size_t)(end - p);
    if (n >= 5 && !memcmp(p, "%YAML", 5))
        return 100;
    if (n >= 3 && !memcmp(p, "---", 3) && (n == 3 || p[3] == ' ' || p[3] == '\n' || p[3] == '\r'))
        return 80;
    if (n >= 2 && p[0] == '-' && (p[1] == ' ' || p[1] == '\n'))
        return 50;
    return mapping_line(p, end) ? 50 : 0;
}

static const char *const ym_extensions[] = {"yaml", "yml", NULL};

static const brine_plugin ym_plugin = {
    .abi = BRINE_PLUGIN_ABI,
    .size = sizeof(brine_plugin),
    .name = "yaml",
    .description = "YAML 1.2 (core schema), anchors and aliases as shared references; brine's types as !brine/ tags",
    .version = "1.0.0",
    .extensions = ym_extensions,
    .mime_type = "application/yaml",
    .caps = BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_TEXT | BRINE_CAP_REFS,
    .depth_ceiling = 0,
    .options = ym_options,
    .sniff = ym_sniff,
    .decode = ym_decode,
    .encoder_new = ym_encoder_new,
};

BRINE_PLUGIN_DEFINE(yaml, ym_plugin)
