/* filter.c: the byte filters on the command line (#22): -F NAME[:KEY=VALUE,
 * ...] and --input-filter parsed into a filter and its options, the
 * decompression limit of --max-filter, and the list of filters for
 * messages. input.c decides which filter an input goes through (explicit,
 * extension, magic) and output.c wraps an output in one.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* "gzip, zlib, bz2 ...": the filters found. */
void cli_filter_list(cli *c, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < brine_registry_filter_count(c->reg); i++) {
        int n = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", brine_registry_filter_get(c->reg, i)->name);
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
    }
    if (!used)
        snprintf(buf, cap, "none");
}

/* The limits of --max-filter (0: the library's defaults). */
void cli_filter_limits(const cli *c, cli_filter *f)
{
    f->opts.filter_ratio = c->filter_ratio;
    f->opts.filter_bytes = c->filter_bytes;
}

int cli_filter_parse(cli *c, const char *spec, int compress, cli_filter *f)
{
    memset(f, 0, sizeof *f);
    f->explicit_ = 1;
    if (strlen(spec) >= sizeof f->buf)
        return cli_usage(c, "-F '%.40s...' is too long", spec);
    strcpy(f->buf, spec);
    char *colon = strchr(f->buf, ':');
    if (colon)
        *colon = '\0';
    cli_filter_limits(c, f);
    if (strcmp(f->buf, "none") == 0) {
        if (colon)
            return cli_usage(c, "-F none takes no options");
        return CLI_OK;
    }
    f->plugin = brine_registry_find_filter(c->reg, f->buf);
    if (!f->plugin) {
        char list[256];
        cli_filter_list(c, list, sizeof list);
        return cli_usage(c, "unknown filter '%s' (filters: %s, or none)", f->buf, list);
    }
    for (char *item = colon ? colon + 1 : NULL; item && *item;) {
        char *comma = strchr(item, ',');
        if (comma)
            *comma = '\0';
        if (f->opts.count == sizeof f->items / sizeof f->items[0])
            return cli_usage(c, "-F %s: too many options", f->plugin->name);
        f->items[f->opts.count++] = item;
        item = comma ? comma + 1 : NULL;
    }
    f->opts.items = f->items;
    /* The library checks the names when the filter starts; the values
     * (a level out of range) only the filter knows. */
    for (size_t i = 0; i < f->opts.count; i++) {
        size_t len = strcspn(f->items[i], "=");
        const brine_option_spec *o = f->plugin->options;
        unsigned want = compress ? BRINE_OPT_ENCODE : BRINE_OPT_DECODE;
        while (o && o->name && !((o->flags & want) && strlen(o->name) == len && !strncmp(o->name, f->items[i], len)))
            o++;
        if (!o || !o->name)
            return cli_usage(c, "the %s filter has no %s option '%.*s'", f->plugin->name,
                             compress ? "compression" : "decompression", (int)len, f->items[i]);
    }
    return CLI_OK;
}
