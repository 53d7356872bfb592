/* npy.c: the npy format's descriptor, decoder and sniff: numpy's .npy
 * (NPY format 1.0, 2.0 and 3.0), one array per file. read.c reads the
 * array, write.c writes it; docs/npy.md describes the mapping.
 */
#include "npy.h"

static int npy_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err)
{
    (void)opts;
    brine_doc *dtypes = brine_doc_new();
    if (!dtypes)
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    int failed = 0;
    int rc = npy_read(src, sink, dtypes, &failed, err);
    /* One array per file: numpy.load would ignore what follows it, which
     * is how a second array appended to the file would go unseen. */
    if (rc == BRINE_OK && !brine_source_at_end(src))
        rc = brine_error_set_at(err, BRINE_E_SYNTAX, brine_source_offset(src),
                                "bytes after the array's data (a .npy file holds one array)");
    brine_doc_free(dtypes);
    return rc;
}

/* The magic decides; a shorter head that matches as far as it goes is a
 * likely npy file too short to be sure of. */
static int npy_sniff(const unsigned char *head, size_t len)
{
    if (len >= NPY_MAGIC_LEN)
        return memcmp(head, NPY_MAGIC, NPY_MAGIC_LEN) == 0 ? 100 : 0;
    return len > 0 && memcmp(head, NPY_MAGIC, len) == 0 ? 50 : 0;
}

static const char *const npy_extensions[] = {"npy", NULL};

static const brine_option_spec npy_options[] = {{NULL, 0, NULL}};

static const brine_plugin npy_plugin = {
    .abi = BRINE_PLUGIN_ABI,
    .size = sizeof(brine_plugin),
    .name = "npy",
    .description = "numpy's .npy: one typed array (NPY format 1.0-3.0, no pickled objects)",
    .version = "1.0",
    .extensions = npy_extensions,
    .mime_type = "application/x-npy",
    .caps = BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_BINARY,
    .options = npy_options,
    .sniff = npy_sniff,
    .decode = npy_decode,
    .encoder_new = npy_encoder_new,
};

BRINE_PLUGIN_DEFINE(npy, npy_plugin)
