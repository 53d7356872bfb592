/* formats.c: the formats subcommand (as text, JSON or bare names) and the
 * format questions the other subcommands ask the registry: a format by
 * name or by a file's extension, and which format each -O option belongs
 * to (the one whose options table declares it for that direction).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static int tolower_ascii(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch + 'a' - 'A' : ch;
}

int cli_can(const brine_plugin *fmt, unsigned cap)
{
    if (cap == BRINE_CAP_DECODE)
        return (fmt->caps & BRINE_CAP_DECODE) && fmt->decode;
    if (cap == BRINE_CAP_ENCODE)
        return (fmt->caps & BRINE_CAP_ENCODE) && fmt->encoder_new;
    return (fmt->caps & cap) != 0;
}

/* Where fmt came from in the registry, or -1. */
static long entry_of(cli *c, const brine_plugin *fmt)
{
    for (size_t i = 0; i < brine_registry_count(c->reg); i++)
        if (brine_registry_get(c->reg, i) == fmt)
            return (long)i;
    return -1;
}

/* Says on stderr, once per format and run, that the plugin used for fmt
 * hides another of the same name: a json.so on BRINE_PLUGIN_PATH replaces
 * the installed json, and the user should hear which file runs. */
void cli_note_shadowing(cli *c, const brine_plugin *fmt)
{
    static const brine_plugin *told[16];
    long i = fmt ? entry_of(c, fmt) : -1;
    const char *hidden = i >= 0 ? brine_registry_shadowed(c->reg, (size_t)i) : NULL;
    if (!hidden || c->quiet)
        return;
    size_t n = 0;
    while (n < sizeof told / sizeof told[0] && told[n] && told[n] != fmt)
        n++;
    if (n < sizeof told / sizeof told[0] && told[n] == fmt)
        return;
    if (n < sizeof told / sizeof told[0])
        told[n] = fmt;
    cli_msg("warning: format '%s' comes from %s, which shadows %s (the earlier in the plugin search path wins)",
            fmt->name, brine_registry_origin(c->reg, (size_t)i), hidden);
}

/* "json, msgpack, native": the formats that can do need_cap (0: all). */
void cli_format_list(cli *c, unsigned need_cap, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < brine_registry_count(c->reg); i++) {
        const brine_plugin *fmt = brine_registry_get(c->reg, i);
        if (need_cap && !cli_can(fmt, need_cap))
            continue;
        int n = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", fmt->name);
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
    }
    if (!used)
        snprintf(buf, cap, "none found");
}

static const char *role_verb(unsigned need_cap)
{
    return need_cap == BRINE_CAP_ENCODE ? "encode" : "decode";
}

/* The edit distance between a and b, ignoring case, capped at 9 (names
 * are short; anything further is no typo). */
static unsigned edit_distance(const char *a, const char *b)
{
    unsigned row[32], prev;
    size_t la = strlen(a), lb = strlen(b);
    if (la >= sizeof row / sizeof row[0] || lb >= sizeof row / sizeof row[0])
        return 9;
    for (size_t j = 0; j <= lb; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        prev = row[0];
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned del = row[j] + 1, ins = row[j - 1] + 1;
            unsigned sub = prev + (tolower_ascii(a[i - 1]) != tolower_ascii(b[j - 1]));
            prev = row[j];
            row[j] = del < ins ? (del < sub ? del : sub) : (ins < sub ? ins : sub);
        }
    }
    return row[lb] < 9 ? row[lb] : 9;
}

/* The format called name, ignoring case ("JSON"), or NULL. */
static const brine_plugin *find_named(cli *c, const char *name)
{
    const brine_plugin *fmt = brine_registry_find(c->reg, name);
    for (size_t i = 0; !fmt && i < brine_registry_count(c->reg); i++)
        if (strcasecmp(brine_registry_get(c->reg, i)->name, name) == 0)
            fmt = brine_registry_get(c->reg, i);
    return fmt;
}

/* The closest format name to a misspelt one (within a third of its
 * length, at least 1: "mspack", "jsn", "pickel"), or NULL. */
static const char *closest_name(cli *c, const char *name, unsigned need_cap)
{
    const char *best = NULL;
    unsigned best_d = 9, most = (unsigned)(strlen(name) / 3 > 1 ? strlen(name) / 3 : 1);
    for (size_t i = 0; i < brine_registry_count(c->reg); i++) {
        const brine_plugin *fmt = brine_registry_get(c->reg, i);
        unsigned d = edit_distance(name, fmt->name);
        if (cli_can(fmt, need_cap) && d <= most && d < best_d) {
            best = fmt->name;
            best_d = d;
        }
    }
    return best;
}

/* The format called name that can do need_cap; NULL after a usage message. */
const brine_plugin *cli_format_named(cli *c, const char *name, unsigned need_cap, const char *role)
{
    char list[512];
    const brine_plugin *fmt = find_named(c, name);
    cli_format_list(c, need_cap, list, sizeof list);
    if (!fmt) {
        size_t failed = brine_registry_failure_count(c->reg);
        const char *near = closest_name(c, name, need_cap);
        char hint[96] = "";
        if (near)
            snprintf(hint, sizeof hint, "; did you mean '%s'?", near);
        if (failed)
            cli_usage(c,
                      "unknown %s format '%s'%s (formats: %s; %zu plugin file%s failed to load: see 'brine formats')",
                      role, name, hint, list, failed, failed == 1 ? "" : "s");
        else
            cli_usage(c, "unknown %s format '%s'%s (formats: %s)", role, name, hint, list);
        return NULL;
    }
    if (!cli_can(fmt, need_cap)) {
        cli_usage(c, "format '%s' cannot %s (formats that can: %s)", name, role_verb(need_cap), list);
        return NULL;
    }
    cli_note_shadowing(c, fmt);
    return fmt;
}

/* The format registered for path's extension, if it can do need_cap; past
 * a filter's extension, the one before it (data.msgpack.zst: msgpack). */
const brine_plugin *cli_format_for_name(cli *c, const char *path, unsigned need_cap)
{
    if (!path || strcmp(path, "-") == 0)
        return NULL;
    size_t stem;
    char inner[4096];
    if (brine_registry_find_filter_extension(c->reg, path, &stem) && stem < sizeof inner) {
        memcpy(inner, path, stem);
        inner[stem] = '\0';
        path = inner;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base || !dot[1])
        return NULL;
    const brine_plugin *fmt = brine_registry_find_extension(c->reg, dot);
    if (!fmt || !cli_can(fmt, need_cap))
        return NULL;
    cli_note_shadowing(c, fmt);
    return fmt;
}

static const brine_option_spec *declared(const brine_plugin *fmt, const char *name, size_t len, unsigned flag)
{
    for (const brine_option_spec *o = fmt ? fmt->options : NULL; o && o->name; o++)
        if ((o->flags & flag) && strlen(o->name) == len && memcmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

/* "pretty, sort_keys" or "none". */
static void option_names(const brine_plugin *fmt, unsigned flag, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = 0;
    for (const brine_option_spec *o = fmt->options; o && o->name; o++) {
        if (!(o->flags & flag))
            continue;
        int n = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", o->name);
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
    }
    if (!used)
        snprintf(buf, cap, "none");
}

/* An item of -I or -O that fmt does not declare for its side: a usage
 * error naming the side's options, and the other flag when the other side
 * takes it (-O lines meant for the reader, -I pretty for the writer). */
static int unknown_option(cli *c, const char *item, size_t len, int reader, const brine_plugin *fmt,
                          const brine_plugin *other)
{
    char names[256], hint[128] = "";
    unsigned flag = reader ? BRINE_OPT_DECODE : BRINE_OPT_ENCODE;
    option_names(fmt, flag, names, sizeof names);
    if (other && declared(other, item, len, reader ? BRINE_OPT_ENCODE : BRINE_OPT_DECODE))
        snprintf(hint, sizeof hint, " ('%.*s' is an option of %s's %s: use %s %.*s)", (int)len, item, other->name,
                 reader ? "writer" : "reader", reader ? "-O" : "-I", (int)len, item);
    return cli_usage(c, "unknown %s option '%.*s' for %s (%s options: %s)%s", reader ? "reader" : "writer", (int)len,
                     item, fmt->name, reader ? "-I reader" : "-O writer", names, hint);
}

/* --indent N / --tab for the writer fmt: indent=N (or tab) where it has an
 * indent option, else pretty (2 spaces) for --indent 2 where it has that
 * only. NULL for --indent 0 (compact: the default), or after a usage
 * error (*status set). */
static const char *indent_item(cli *c, const brine_plugin *fmt, int *status)
{
    *status = -1;
    if (c->indent < 0 && !c->tab)
        return NULL;
    if (declared(fmt, "indent", 6, BRINE_OPT_ENCODE)) {
        if (c->tab)
            snprintf(c->indent_item, sizeof c->indent_item, "indent=tab");
        else
            snprintf(c->indent_item, sizeof c->indent_item, "indent=%d", c->indent);
        return c->indent_item;
    }
    if (c->indent == 0)
        return NULL;
    if (declared(fmt, "pretty", 6, BRINE_OPT_ENCODE)) {
        if (c->indent == 2)
            return "pretty";
        char given[16];
        snprintf(given, sizeof given, c->tab ? "--tab" : "--indent %d", c->indent);
        *status =
            cli_usage(c, "the %s writer indents by 2 spaces only (--indent 2, -O pretty), not %s", fmt->name, given);
        return NULL;
    }
    *status = cli_usage(c, "--indent and --tab apply to text formats; %s has no indentation", fmt->name);
    return NULL;
}

/* The -I items for the decoder (from) and the -O items, with --indent's,
 * for the encoder (to; NULL for show, check and diff). Each must be one
 * its side declares. Returns -1 when done (the caller frees the two
 * arrays), else an exit status. */
int cli_route_options(cli *c, const brine_plugin *from, const brine_plugin *to, const char ***from_items,
                      size_t *from_count, const char ***to_items, size_t *to_count)
{
    *from_items = *to_items = NULL;
    *from_count = *to_count = 0;
    *from_items = calloc(c->in_opt_count + 1, sizeof **from_items);
    *to_items = calloc(c->fmt_opt_count + 1, sizeof **to_items);
    if (!*from_items || !*to_items) {
        cli_oom();
        return CLI_FAIL;
    }
    for (size_t i = 0; i < c->in_opt_count; i++) {
        const char *item = c->in_opts[i];
        size_t len = strcspn(item, "=");
        if (!declared(from, item, len, BRINE_OPT_DECODE))
            return unknown_option(c, item, len, 1, from, to);
        (*from_items)[(*from_count)++] = item;
    }
    if (!to)
        return -1;
    for (size_t i = 0; i < c->fmt_opt_count; i++) {
        const char *item = c->fmt_opts[i];
        size_t len = strcspn(item, "=");
        if (!declared(to, item, len, BRINE_OPT_ENCODE))
            return unknown_option(c, item, len, 0, to, from);
        (*to_items)[(*to_count)++] = item;
    }
    int status;
    const char *indent = indent_item(c, to, &status);
    if (status >= 0)
        return status;
    if (indent)
        (*to_items)[(*to_count)++] = indent;
    return -1;
}

/* show, check and diff only read: -O there is taken for -I (as brine 0.1
 * did) with a warning, until 0.3. Returns -1, or an exit status. */
int cli_reader_only(cli *c)
{
    if (!c->fmt_opt_count)
        return -1;
    cli_msg("warning: -O sets writer options, and '%s' only reads: use -I %s (taken as -I for now)", c->command,
            c->fmt_opts[0]);
    for (size_t i = 0; i < c->fmt_opt_count; i++) {
        const char **grown = realloc(c->in_opts, (c->in_opt_count + 1) * sizeof *grown);
        if (!grown) {
            cli_oom();
            return CLI_FAIL;
        }
        grown[c->in_opt_count++] = c->fmt_opts[i];
        c->in_opts = grown;
    }
    c->fmt_opt_count = 0;
    return -1;
}

/* A plugin refused an option's value (BRINE_E_OPTION): a usage error, with
 * the plugin's message, which names the values it takes. */
int cli_option_error(cli *c, const brine_error *err)
{
    return cli_usage(c, "bad option value: %s", err->message[0] ? err->message : brine_strerror(err->code));
}

/* ---- the formats subcommand --------------------------------------------- */

static void json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", stdout);
        else if (*p == '\t')
            fputs("\\t", stdout);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static const char *refs_kind(const brine_plugin *fmt)
{
    if (fmt->caps & BRINE_CAP_REFS)
        return "always";
    if (fmt->caps & BRINE_CAP_REFS_OPTION)
        return "option";
    return "none";
}

/* How a filter is recognised without its name: "strong", "weak" (only
 * under a known format that rejects the raw bytes) or "none". */
static const char *filter_magic(const brine_plugin *f)
{
    if (!f->filter->magic)
        return "none";
    return f->filter->flags & BRINE_FILTER_WEAK_MAGIC ? "weak" : "strong";
}

static void list_json(cli *c)
{
    printf("{\"formats\": [");
    for (size_t i = 0; i < brine_registry_count(c->reg); i++) {
        const brine_plugin *fmt = brine_registry_get(c->reg, i);
        printf("%s\n  {\"name\": ", i ? "," : "");
        json_string(fmt->name);
        printf(", \"version\": ");
        json_string(fmt->version);
        printf(", \"description\": ");
        json_string(fmt->description);
        printf(", \"extensions\": [");
        for (size_t j = 0; fmt->extensions && fmt->extensions[j]; j++) {
            printf("%s", j ? ", " : "");
            json_string(fmt->extensions[j]);
        }
        printf("], \"mime_type\": ");
        json_string(fmt->mime_type);
        printf(", \"decode\": %s, \"encode\": %s, \"kind\": \"%s\", \"references\": \"%s\"",
               cli_can(fmt, BRINE_CAP_DECODE) ? "true" : "false", cli_can(fmt, BRINE_CAP_ENCODE) ? "true" : "false",
               fmt->caps & BRINE_CAP_TEXT     ? "text"
               : fmt->caps & BRINE_CAP_BINARY ? "binary"
                                              : "unknown",
               refs_kind(fmt));
        printf(", \"depth_ceiling\": %lu, \"options\": [", (unsigned long)fmt->depth_ceiling);
        for (const brine_option_spec *o = fmt->options; o && o->name; o++) {
            printf("%s{\"name\": ", o == fmt->options ? "" : ", ");
            json_string(o->name);
            printf(", \"decode\": %s, \"encode\": %s, \"help\": ", o->flags & BRINE_OPT_DECODE ? "true" : "false",
                   o->flags & BRINE_OPT_ENCODE ? "true" : "false");
            json_string(o->help);
            putchar('}');
        }
        printf("], \"file\": ");
        json_string(brine_registry_origin(c->reg, i));
        printf(", \"shadows\": ");
        if (brine_registry_shadowed(c->reg, i))
            json_string(brine_registry_shadowed(c->reg, i));
        else
            printf("null");
        putchar('}');
    }
    printf("%s],\n \"filters\": [", brine_registry_count(c->reg) ? "\n" : "");
    for (size_t i = 0; i < brine_registry_filter_count(c->reg); i++) {
        const brine_plugin *f = brine_registry_filter_get(c->reg, i);
        printf("%s\n  {\"name\": ", i ? "," : "");
        json_string(f->name);
        printf(", \"version\": ");
        json_string(f->version);
        printf(", \"description\": ");
        json_string(f->description);
        printf(", \"extensions\": [");
        for (size_t j = 0; f->extensions && f->extensions[j]; j++) {
            printf("%s", j ? ", " : "");
            json_string(f->extensions[j]);
        }
        printf("], \"magic\": \"%s\", \"options\": [", filter_magic(f));
        for (const brine_option_spec *o = f->options; o && o->name; o++) {
            printf("%s{\"name\": ", o == f->options ? "" : ", ");
            json_string(o->name);
            printf(", \"help\": ");
            json_string(o->help);
            putchar('}');
        }
        printf("], \"file\": ");
        json_string(brine_registry_filter_origin(c->reg, i));
        putchar('}');
    }
    printf("%s],\n \"failures\": [", brine_registry_filter_count(c->reg) ? "\n" : "");
    for (size_t i = 0; i < brine_registry_failure_count(c->reg); i++) {
        const char *file = NULL;
        const char *reason = brine_registry_failure(c->reg, i, &file);
        printf("%s\n  {\"file\": ", i ? "," : "");
        json_string(file);
        printf(", \"reason\": ");
        json_string(reason);
        putchar('}');
    }
    printf("%s]}\n", brine_registry_failure_count(c->reg) ? "\n" : "");
}

static void list_text(cli *c)
{
    size_t count = brine_registry_count(c->reg);
    if (!count)
        printf("No formats found.\n");
    for (size_t i = 0; i < count; i++) {
        const brine_plugin *fmt = brine_registry_get(c->reg, i);
        printf("%s%s %s: %s\n", i ? "\n" : "", fmt->name, fmt->version ? fmt->version : "?",
               fmt->description ? fmt->description : "");
        printf("  extensions:  ");
        for (size_t j = 0; fmt->extensions && fmt->extensions[j]; j++)
            printf("%s.%s", j ? " " : "", fmt->extensions[j]);
        printf("%s\n", fmt->extensions && fmt->extensions[0] ? "" : "none");
        printf("  mime type:   %s\n", fmt->mime_type ? fmt->mime_type : "none");
        int dec = cli_can(fmt, BRINE_CAP_DECODE), enc = cli_can(fmt, BRINE_CAP_ENCODE);
        printf("  can:         %s%s%s", dec ? "decode" : "", dec && enc ? ", " : "", enc ? "encode" : "");
        if (fmt->caps & (BRINE_CAP_TEXT | BRINE_CAP_BINARY))
            printf("; %s", fmt->caps & BRINE_CAP_TEXT ? "text" : "binary");
        if (fmt->caps & BRINE_CAP_REFS)
            printf("; stores shared and cyclic values");
        else if (fmt->caps & BRINE_CAP_REFS_OPTION)
            printf("; stores shared and cyclic values with -O refs");
        if (fmt->depth_ceiling)
            printf("; at most %lu levels deep", (unsigned long)fmt->depth_ceiling);
        printf("\n");
        const char *label = "  options:     ";
        for (const brine_option_spec *o = fmt->options; o && o->name; o++) {
            unsigned both = BRINE_OPT_DECODE | BRINE_OPT_ENCODE;
            const char *dir = (o->flags & both) == both       ? "decode, encode"
                              : (o->flags & BRINE_OPT_ENCODE) ? "encode"
                                                              : "decode";
            printf("%s-O %-14s (%s) %s\n", label, o->name, dir, o->help ? o->help : "");
            label = "               ";
        }
        printf("  file:        %s\n", brine_registry_origin(c->reg, i));
        if (brine_registry_shadowed(c->reg, i))
            printf("  shadows:     %s (a later plugin of the same name, not used)\n",
                   brine_registry_shadowed(c->reg, i));
    }
    size_t filters = brine_registry_filter_count(c->reg);
    if (filters)
        printf("\nFilters (compression; -F NAME[:KEY=VALUE,...]):\n");
    for (size_t i = 0; i < filters; i++) {
        const brine_plugin *f = brine_registry_filter_get(c->reg, i);
        printf("%s  %s %s: %s\n", i ? "\n" : "", f->name, f->version ? f->version : "?",
               f->description ? f->description : "");
        printf("    extensions:  ");
        for (size_t j = 0; f->extensions && f->extensions[j]; j++)
            printf("%s.%s", j ? " " : "", f->extensions[j]);
        printf("%s\n", f->extensions && f->extensions[0] ? "" : "none");
        const char *magic = filter_magic(f);
        const char *how = strcmp(magic, "strong") == 0 ? "recognised by its first bytes"
                          : strcmp(magic, "weak") == 0
                              ? "by its first bytes only under a known format that rejects them"
                              : "none (by name or extension only)";
        printf("    magic:       %s\n", how);
        for (const brine_option_spec *o = f->options; o && o->name; o++)
            printf("%s%s=N %s\n", o == f->options ? "    options:     " : "                 ", o->name,
                   o->help ? o->help : "");
        printf("    file:        %s\n", brine_registry_filter_origin(c->reg, i));
    }
    size_t failed = brine_registry_failure_count(c->reg);
    if (failed)
        printf("\nPlugin files that could not be loaded:\n");
    for (size_t i = 0; i < failed; i++) {
        const char *file = NULL;
        const char *reason = brine_registry_failure(c->reg, i, &file);
        printf("  %s: %s\n", file ? file : "?", reason ? reason : "?");
    }
}

int cmd_formats(cli *c, int argc, char **argv)
{
    int rc = cli_parse(c, argc, argv, OPT_JSON | OPT_NAMES);
    if (rc >= 0)
        return rc;
    if (c->arg_count)
        return cli_usage(c, "unexpected argument '%s'", c->args[0]);
    if (c->json && c->names)
        return cli_usage(c, "--json and --names do not go together");
    if ((rc = cli_load_registry(c)) != CLI_OK)
        return rc;
    if (c->names) {
        for (size_t i = 0; i < brine_registry_count(c->reg); i++)
            printf("%s\n", brine_registry_get(c->reg, i)->name);
    } else if (c->json) {
        list_json(c);
    } else {
        list_text(c);
    }
    return CLI_OK;
}
