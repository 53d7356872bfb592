/* joblib.c: the joblib plugin's descriptor. A joblib file is a pickle
 * whose numpy arrays are NumpyArrayWrapper objects followed by the
 * array's bytes outside the pickle: the pickle reader and writer do the
 * work, told by pk_decode_joblib / the encoder's joblib flag (numpy.c,
 * writer_joblib.c). A joblib file begins as any pickle does: the sniff
 * is sure (100) only when the head names joblib.numpy_pickle (pickle's
 * then says 90), says 5 for other pickle heads (so that a compressed
 * .joblib, which it rejects, goes to the filters) and 0 otherwise; the
 * .joblib extension or -f joblib selects it too, and the pickle reader
 * names joblib when it meets a wrapper beyond the head. docs/pickle.md,
 * "joblib", is the manual.
 */
#include <string.h>

#include "writer.h"

static const char *const jl_extensions[] = {"joblib", NULL};

static const brine_option_spec jl_options[] = {
    {"protocol", BRINE_OPT_ENCODE, "the pickle protocol to write, 2 to 5 (default 4, as joblib 1.2 on Python 3)"},
    {"mmap", BRINE_OPT_ENCODE,
     "yes or no: whether joblib.load(mmap_mode=...) may map the arrays (default: yes, and no into a compressing "
     "filter, as joblib does for a compressed file)"},
    {"zerod", BRINE_OPT_ENCODE,
     "how a 0-d array is written: scalar (a numpy scalar, as joblib writes np.float64(2.5); the default) or array "
     "(a 0-d ndarray, wrapped)"},
    {"allow", BRINE_OPT_DECODE | BRINE_OPT_ENCODE,
     "globals a pickle may name: module.name, patterns (* within one component), presets safe, sklearn"},
    {NULL, 0, NULL}};

static int jl_sniff(const unsigned char *head, size_t len)
{
    if (pk_sniff(head, len) == 0)
        return 0;
    return len >= 2 && head[0] == PKOP_PROTO && pk_names_joblib(head, len) ? 100 : 5;
}

static brine_sink *jl_encoder_new(brine_output *out, const brine_options *opts, brine_error *err)
{
    const char *m = brine_options_get(opts, "mmap");
    brine_sink *s;
    pk_enc *e;
    if (m && strcmp(m, "yes") && strcmp(m, "no")) {
        brine_error_set(err, BRINE_E_OPTION, "mmap takes yes or no, not '%s'", m);
        return NULL;
    }
    if (!(s = pk_encoder_new(out, opts, err)))
        return NULL;
    e = (pk_enc *)s; /* the sink is the encoder's first member */
    /* 2: no mmap. A compressed file cannot be mapped: joblib writes
     * allow_mmap=False into it, and so do we. */
    e->joblib = (m ? !strcmp(m, "no") : brine_output_filtered(out)) ? 2 : 1;
    e->out_base = brine_output_total(out);
    return s;
}

static const brine_plugin jl_plugin = {
    .abi = BRINE_PLUGIN_ABI,
    .size = sizeof(brine_plugin),
    .name = "joblib",
    .description = "joblib.dump's files: a pickle with numpy arrays' bytes inline; reading never imports or calls "
                   "anything",
    .version = "1.0.0",
    .extensions = jl_extensions,
    .mime_type = "application/x-joblib",
    .caps = BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_BINARY | BRINE_CAP_REFS | BRINE_CAP_GRAPH_READER,
    .depth_ceiling = 0,
    .options = jl_options,
    .sniff = jl_sniff,
    .decode = pk_decode_joblib,
    .decode_direct = pk_decode_joblib_direct,
    .encoder_new = jl_encoder_new,
    .audit = pk_audit_joblib,
};

BRINE_PLUGIN_DEFINE(joblib, jl_plugin)
