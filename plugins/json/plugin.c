/* plugin.c: the options and the sniffer that the json descriptor (json.c)
 * and the jsonl descriptor (jsonl.c) share. The decoder is reader.c (our
 * own strict parser, not cJSON's: docs/json.md says why), the encoder
 * writer.c.
 */
#include <string.h>

#include "json.h"

/* Reader and writer options are separate (BRINE_OPT_DECODE, _ENCODE): a
 * name that applies to both means one thing for each side, and each side
 * reads only its own options. */
const brine_option_spec js_options[] = {
    {"plain", BRINE_OPT_DECODE | BRINE_OPT_ENCODE | BRINE_OPT_FLAG,
     "read: even a {\"$brine\": ...} envelope is plain JSON; write: what Python's json.dumps writes (tuple as "
     "array, numbers as keys' text) and refuses what it refuses (bytes, complex, models, NaN)"},
    {"tagged", BRINE_OPT_ENCODE | BRINE_OPT_FLAG,
     "always write the {\"$brine\": 1, \"value\": ...} envelope, with $ tags inside"},
    {"legacy_tags", BRINE_OPT_DECODE | BRINE_OPT_FLAG,
     "read brine 0.1's tagged JSON: $ tags and escaped keys everywhere"},
    {"refs", BRINE_OPT_DECODE | BRINE_OPT_ENCODE | BRINE_OPT_FLAG,
     "store shared and cyclic containers as $anchor/$alias tags and restore their identity"},
    {"lines", BRINE_OPT_DECODE | BRINE_OPT_ENCODE | BRINE_OPT_FLAG,
     "JSON Lines: read one value per line into a list; write a top-level list one value per line"},
    {"pretty", BRINE_OPT_ENCODE | BRINE_OPT_FLAG, "indent by 2 spaces, like python -m json.tool --indent 2"},
    {"indent", BRINE_OPT_ENCODE,
     "indent by N spaces, 0 to 16 (0: compact), or indent=tab by tabs, like jq --indent N / --tab"},
    {"sort_keys", BRINE_OPT_ENCODE | BRINE_OPT_FLAG, "write dict entries sorted by key"},
    {"ascii", BRINE_OPT_ENCODE | BRINE_OPT_FLAG, "escape everything outside ASCII as \\u escapes"},
    {"replace_invalid", BRINE_OPT_DECODE | BRINE_OPT_FLAG,
     "replace invalid UTF-8 and lone surrogates in strings with U+FFFD"},
    {NULL, 0, NULL}};

static const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* How likely the first bytes are JSON: by the first non-space byte and,
 * for containers, the byte after it. */
int js_sniff(const unsigned char *head, size_t len)
{
    const unsigned char *end = head + len, *p = skip_ws(head, end), *q;
    if (p == end)
        return 0;
    switch (*p) {
    case '{': q = skip_ws(p + 1, end); return q == end ? 60 : (*q == '"' || *q == '}') ? 95 : 5;
    case '[':
        q = skip_ws(p + 1, end);
        if (q == end)
            return 60;
        return strchr("[{]\"-0123456789tfn", *q) && *q ? 90 : 5;
    case '"':
        for (q = p + 1; q < end && *q != '"'; q++)
            if (*q < 0x20)
                return 5;
        return 60;
    case 't':
    case 'f':
    case 'n': {
        const char *word = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
        size_t n = strlen(word), have = (size_t)(end - p);
        if (memcmp(p, word, have < n ? have : n) != 0)
            return 0;
        return have <= n || skip_ws(p + n, end) == end ? 60 : 10;
    }
    default:
        if (*p == '-' || (*p >= '0' && *p <= '9')) {
            int is_float;
            q = js_number_end(p, end, &is_float);
            if (q == p)
                return 0;
            return skip_ws(q, end) == end ? 40 : 5;
        }
        return 0;
    }
}
