/* xor.c: a minimal brine byte filter, the model for a third-party one
 * (lz4, brotli...). It XORs every byte with a key, which is no compression
 * at all, so that all that is left is what a filter must do: the
 * descriptor with BRINE_CAP_FILTER and its brine_filter_ops, options, and
 * a run() that moves what it can from in to out and says when the stream
 * ends. libbrine does the rest: buffers, offsets in errors, the
 * decompression limit. docs/plugins.md, "Byte filters", walks through it.
 */
#include <stdlib.h>
#include <string.h>

#include <brine/plugin.h>

typedef struct xor_state {
    unsigned char key;
} xor_state;

static void *xor_create(int compress, const brine_options *opts, brine_error *err)
{
    (void)compress; /* the same transformation both ways */
    const char *v = brine_options_get(opts, "key");
    long key = 0x5a;
    if (v) {
        char *end;
        key = strtol(v, &end, 0);
        if (!*v || *end || key < 0 || key > 255) {
            brine_error_set(err, BRINE_E_OPTION, "xor: key wants a byte value 0-255, not '%s'", v);
            return NULL;
        }
    }
    xor_state *s = brine_malloc(sizeof *s);
    if (!s) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    s->key = (unsigned char)key;
    return s;
}

static int xor_run(void *state, brine_filter_io *io, brine_error *err)
{
    (void)err; /* every byte is valid input */
    const xor_state *s = state;
    size_t n = io->in_len < io->out_len ? io->in_len : io->out_len;
    for (size_t i = 0; i < n; i++)
        io->out[i] = io->in[i] ^ s->key;
    io->in += n;
    io->in_len -= n;
    io->out += n;
    io->out_len -= n;
    /* No framing: the stream ends where the input (or the writing) does. */
    io->end = io->finish && io->in_len == 0;
    return BRINE_OK;
}

static void xor_destroy(void *state)
{
    brine_free(state);
}

static const brine_filter_ops xor_ops = {
    .size = sizeof(brine_filter_ops),
    .create = xor_create,
    .run = xor_run,
    .destroy = xor_destroy,
    .magic = NULL, /* no magic: found by -F xor or the .xor extension */
};

static const char *const xor_extensions[] = {"xor", NULL};

static const brine_option_spec xor_options[] = {
    {"key", BRINE_OPT_DECODE | BRINE_OPT_ENCODE, "the byte to XOR with (default 0x5a)"},
    {NULL, 0, NULL},
};

static const brine_plugin xor_plugin = {
    .abi = BRINE_PLUGIN_ABI,
    .size = sizeof(brine_plugin),
    .name = "xor",
    .description = "XOR with a key byte (an example filter)",
    .version = "1.0",
    .extensions = xor_extensions,
    .caps = BRINE_CAP_FILTER,
    .options = xor_options,
    .filter = &xor_ops,
};

BRINE_PLUGIN_DEFINE(xor, xor_plugin)
