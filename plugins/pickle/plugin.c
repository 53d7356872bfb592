/* plugin.c: the pickle plugin's descriptor (its sniffer is sniff.c,
 * shared with joblib's). The reader is reader.c (with text.c and
 * compat.c), the writer writer.c; docs/pickle.md is the manual.
 */
#include <string.h>

#include "pickle.h"

static const char *const pk_extensions[] = {"pkl", "pickle", NULL};

static const brine_option_spec pk_options[] = {
    {"protocol", BRINE_OPT_ENCODE, "the pickle protocol to write, 2 to 5 (default 4)"},
    {"zerod", BRINE_OPT_ENCODE,
     "how a 0-d array is written: scalar (a numpy scalar, np.float64(2.5); the default) or array (a 0-d ndarray)"},
    {"allow", BRINE_OPT_DECODE | BRINE_OPT_ENCODE,
     "globals a pickle may name: module.name, patterns (* within one component), presets safe, sklearn"},
    {NULL, 0, NULL}};

static const brine_plugin pk_plugin = {
    .abi = BRINE_PLUGIN_ABI,
    .size = sizeof(brine_plugin),
    .name = "pickle",
    .description = "Python's pickle, protocols 0-5; reading never imports or calls anything",
    .version = "1.0.0",
    .extensions = pk_extensions,
    .mime_type = "application/x-python-pickle",
    .caps = BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_BINARY | BRINE_CAP_REFS | BRINE_CAP_GRAPH_READER,
    .depth_ceiling = 0,
    .options = pk_options,
    .sniff = pk_sniff,
    .decode = pk_decode,
    .encoder_new = pk_encoder_new,
    .audit = pk_audit,
    .decode_direct = pk_decode_direct,
};

BRINE_PLUGIN_DEFINE(pickle, pk_plugin)
