/* level.c: the level option every filter takes (filter.h). */
#include <errno.h>
#include <stdlib.h>

#include "filter.h"

int flt_level(const char *filter, const brine_options *opts, int lo, int hi, int def, int *level, brine_error *err)
{
    const char *v = brine_options_get(opts, "level");
    *level = def;
    if (!v)
        return BRINE_OK;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < lo || n > hi)
        return brine_error_set(err, BRINE_E_OPTION, "%s: level wants an integer from %d to %d, not '%s'", filter, lo,
                               hi, v);
    *level = (int)n;
    return BRINE_OK;
}
