/* filter.h: what the byte filter modules share (#22): reading the level
 * option, and the descriptor boilerplate. Each module wraps one
 * compression library; libbrine's core/filter.c runs the loop around it.
 */
#ifndef BRINE_FILTERS_FILTER_H
#define BRINE_FILTERS_FILTER_H

#include <brine/plugin.h>

/* *level from opts' "level=N" (def when absent): BRINE_E_OPTION naming
 * the filter and the range when it is not an integer in [lo, hi]. */
int flt_level(const char *filter, const brine_options *opts, int lo, int hi, int def, int *level, brine_error *err);

/* A filter's descriptor: name, description, extensions, options, ops. */
#define FLT_DESCRIPTOR(NAME, DESCRIPTION, EXTENSIONS, MIME, OPTIONS, OPS)                                              \
    {                                                                                                                  \
        .abi = BRINE_PLUGIN_ABI, .size = sizeof(brine_plugin), .name = NAME, .description = DESCRIPTION,               \
        .version = "1.0", .extensions = EXTENSIONS, .mime_type = MIME, .caps = BRINE_CAP_FILTER, .options = OPTIONS,   \
        .filter = &OPS                                                                                                 \
    }

#endif /* BRINE_FILTERS_FILTER_H */
