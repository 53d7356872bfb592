/* options.c: reading "name" / "name=value" format options and checking them
 * against the names a plugin declares. */
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "brine/format.h"

/* The length of an option item's name part. */
static size_t option_name_len(const char *item)
{
    const char *eq = strchr(item, '=');
    return eq ? (size_t)(eq - item) : strlen(item);
}

const char *brine_options_get(const brine_options *opts, const char *name)
{
    if (!opts || !name)
        return NULL;
    size_t len = strlen(name);
    for (size_t i = opts->count; i-- > 0;) {
        const char *item = opts->items[i];
        if (item && option_name_len(item) == len && strncmp(item, name, len) == 0)
            return item[len] == '=' ? item + len + 1 : "";
    }
    return NULL;
}

int brine_options_flag(const brine_options *opts, const char *name)
{
    const char *v = brine_options_get(opts, name);
    if (!v)
        return 0;
    return !(strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 ||
             strcasecmp(v, "off") == 0);
}

size_t brine_options_max_depth(const brine_options *opts)
{
    return opts && opts->max_depth ? opts->max_depth : BRINE_DEFAULT_MAX_DEPTH;
}

int brine_options_check(const brine_plugin *fmt, const brine_options *opts, int for_encode, brine_error *err)
{
    brinep_enter(err);
    unsigned want = for_encode ? BRINE_OPT_ENCODE : BRINE_OPT_DECODE;
    if (!opts)
        return BRINE_OK;
    for (size_t i = 0; i < opts->count; i++) {
        const char *item = opts->items[i];
        if (!item)
            return brine_error_set(err, BRINE_E_INVALID, "option %zu is NULL", i);
        size_t len = option_name_len(item);
        int known = 0;
        for (const brine_option_spec *o = fmt->options; o && o->name && !known; o++)
            known = (o->flags & want) && strlen(o->name) == len && strncmp(o->name, item, len) == 0;
        if (!known)
            return brine_error_set(err, BRINE_E_OPTION, "the %s format has no %s option '%.*s'", fmt->name,
                                   for_encode ? "encoding" : "decoding", (int)len, item);
    }
    return BRINE_OK;
}
