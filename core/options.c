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

/* The spellings of a flag's value (BRINE_OPT_FLAG), on then off; "" is a
 * bare name. One list for every format, so `-O pretty=yes` means the same
 * wherever a flag is taken, and a typo is refused rather than read as on. */
static const char *const flag_values[] = {"", "1", "true", "yes", "on", "0", "false", "no", "off"};

static int flag_value_ok(const char *v)
{
    for (size_t i = 0; i < sizeof flag_values / sizeof flag_values[0]; i++)
        if (strcasecmp(v, flag_values[i]) == 0)
            return 1;
    return 0;
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
        const brine_option_spec *spec = NULL;
        for (const brine_option_spec *o = fmt->options; o && o->name && !spec; o++)
            if ((o->flags & want) && strlen(o->name) == len && strncmp(o->name, item, len) == 0)
                spec = o;
        if (!spec)
            return brine_error_set(err, BRINE_E_OPTION, "the %s format has no %s option '%.*s'", fmt->name,
                                   for_encode ? "encoding" : "decoding", (int)len, item);
        if ((spec->flags & BRINE_OPT_FLAG) && item[len] == '=' && !flag_value_ok(item + len + 1))
            return brine_error_set(err, BRINE_E_OPTION,
                                   "%s takes no value or one of 1, true, yes, on, 0, false, no, off; not '%s'",
                                   spec->name, item + len + 1);
    }
    return BRINE_OK;
}
