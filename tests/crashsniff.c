/* crashsniff.c: a test-only plugin whose sniff function and decoder crash
 * the process, for test_plugin_safety.sh: a plugin runs in-process, so
 * only commands that call into it may die of it: those reading an input
 * that neither -f nor its extension (.crash) assigns to a format. */
#include <signal.h>

#include <brine/plugin.h>

static int cs_sniff(const unsigned char *head, size_t len)
{
    (void)head;
    (void)len;
    raise(SIGSEGV);
    return 0;
}

static int cs_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err)
{
    (void)src;
    (void)sink;
    (void)opts;
    (void)err;
    raise(SIGSEGV);
    return BRINE_E_PLUGIN;
}

static const char *const cs_extensions[] = {"crash", NULL};

static const brine_plugin cs_plugin = {
    .abi = BRINE_PLUGIN_ABI,
    .size = sizeof(brine_plugin),
    .name = "crashsniff",
    .description = "crashes when asked to sniff or decode, for tests",
    .version = "1",
    .extensions = cs_extensions,
    .caps = BRINE_CAP_DECODE | BRINE_CAP_BINARY,
    .sniff = cs_sniff,
    .decode = cs_decode,
};

BRINE_PLUGIN_DEFINE(crashsniff, cs_plugin)
