/* diag.c: the brine command's messages on stderr. Data errors read
 * "brine: FILE:LINE:COL: message" for text formats and "brine: FILE: offset
 * N: message" for binary ones, with " at $.path" when the library knows
 * where in the value it failed; usage errors point at --help.
 */
#include <stdarg.h>
#include <string.h>

#include "cli.h"

void cli_msg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("brine: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_usage(cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(c->command ? "brine " : "brine: ", stderr);
    if (c->command)
        fprintf(stderr, "%s: ", c->command);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (c->command)
        fprintf(stderr, "Try 'brine %s --help'.\n", c->command);
    else
        fputs("Try 'brine --help'.\n", stderr);
    return CLI_USAGE;
}

void cli_oom(void)
{
    cli_msg("out of memory");
}

const char *cli_display_name(const char *path)
{
    return !path || strcmp(path, "-") == 0 ? "<stdin>" : path;
}

/* "LINE:COL: " or "offset N: " (or nothing) for err, as fmt reports. */
void cli_format_location(char *buf, size_t cap, const brine_plugin *fmt, const brine_error *err)
{
    buf[0] = 0;
    if (err->line && (!fmt || (fmt->caps & BRINE_CAP_TEXT)))
        snprintf(buf, cap, "%llu:%llu: ", (unsigned long long)err->line, (unsigned long long)err->column);
    else if (err->offset != BRINE_NO_OFFSET)
        snprintf(buf, cap, "offset %llu: ", (unsigned long long)err->offset);
}

void cli_report(const char *name, const brine_plugin *fmt, const brine_error *err)
{
    char where[64];
    cli_format_location(where, sizeof where, fmt, err);
    /* "FILE:3:5: msg" but "FILE: offset 17: msg" and "FILE: msg". */
    const char *sep = where[0] >= '0' && where[0] <= '9' ? "" : " ";
    const char *message = err->message[0] ? err->message : brine_strerror(err->code);
    if (err->path[0] && strcmp(err->path, "$") != 0)
        cli_msg("%s:%s%s%s at %s", name, sep, where, message, err->path);
    else
        cli_msg("%s:%s%s%s", name, sep, where, message);
}
