/* audit.c: the audit subcommand, which lists what loading a pickle in
 * Python would import and call (brine_audit, <brine/pickle.h>), as text or
 * JSON, and the notice that show and check print when a pickle would run
 * something its value does not show. Decoding itself is inspect.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <brine/pickle.h>

#include "cli.h"

/* The reader refused a global that allow= does not list: that import is
 * the last entry, at the error's offset (the pickle reader's only
 * BRINE_E_MODEL). */
static int refused_by_allow(const brine_audit_report *r)
{
    const brine_audit_entry *last = r->count ? &r->entries[r->count - 1] : NULL;
    return r->status == BRINE_E_MODEL && last && last->action == BRINE_AUDIT_IMPORT && last->offset == r->error.offset;
}

size_t cli_audit_notice(const char *name, const brine_audit_report *report, uint64_t base)
{
    size_t hidden = 0;
    /* After an allow= refusal no value exists to hide anything, every
     * earlier global passed the list, and the error names the one that
     * did not: listing the rest as hidden was noise (29 lines for a
     * tampered sklearn tree). */
    if (!report || refused_by_allow(report))
        return 0;
    for (size_t i = 0; i < report->count; i++)
        hidden += !report->entries[i].reaches;
    if (!hidden)
        return 0;
    if (report->status == BRINE_OK)
        cli_msg("%s: loading this pickle in Python would also run what the value does not show:", name);
    else
        cli_msg("%s: loading this pickle in Python would run this before the error (and may go further):", name);
    for (size_t i = 0; i < report->count; i++) {
        const brine_audit_entry *e = &report->entries[i];
        if (!e->reaches)
            cli_msg("  offset %llu: %s %s (%s)", (unsigned long long)(base + e->offset),
                    brine_audit_action_name(e->action), e->name, e->opcode);
    }
    cli_msg("%s: 'brine audit' lists all it would run", name);
    return hidden;
}

static void json_str(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void print_json(const char *name, const brine_plugin *fmt, const brine_audit_report *r, uint64_t base)
{
    size_t hidden = 0;
    printf("{\"file\": ");
    json_str(name);
    printf(", \"format\": ");
    json_str(fmt->name);
    printf(", \"actions\": [");
    for (size_t i = 0; i < r->count; i++) {
        const brine_audit_entry *e = &r->entries[i];
        hidden += !e->reaches;
        printf("%s\n  {\"offset\": %llu, \"opcode\": ", i ? "," : "", (unsigned long long)(base + e->offset));
        json_str(e->opcode);
        printf(", \"action\": ");
        json_str(brine_audit_action_name(e->action));
        printf(", \"name\": ");
        json_str(e->name);
        printf(", \"reaches\": %s}", e->reaches ? "true" : "false");
    }
    printf("%s], \"hidden\": %zu, \"status\": ", r->count ? "\n" : "", hidden);
    if (r->status == BRINE_OK) {
        printf("\"ok\"}\n");
        return;
    }
    printf("\"error\", \"error\": {\"code\": %d, \"offset\": ", r->status);
    if (r->error.offset == BRINE_NO_OFFSET)
        printf("null");
    else
        printf("%llu", (unsigned long long)r->error.offset);
    printf(", \"message\": ");
    json_str(r->error.message[0] ? r->error.message : brine_strerror(r->status));
    printf("}}\n");
}

/* --json for an input that gave no report (it could not be opened, or the
 * audit failed before reading it): the same object, with no actions. */
static void print_json_failure(const char *name, const brine_plugin *fmt, int code, const char *message)
{
    printf("{\"file\": ");
    json_str(name);
    printf(", \"format\": ");
    if (fmt)
        json_str(fmt->name);
    else
        printf("null");
    printf(", \"actions\": [], \"hidden\": 0, \"status\": \"error\", \"error\": {\"code\": %d, \"offset\": null, "
           "\"message\": ",
           code);
    json_str(message[0] ? message : brine_strerror(code));
    printf("}}\n");
}

static void print_text(const char *name, const brine_plugin *fmt, const brine_audit_report *r, uint64_t base)
{
    size_t hidden = 0;
    for (size_t i = 0; i < r->count; i++) {
        const brine_audit_entry *e = &r->entries[i];
        hidden += !e->reaches;
        printf("%10llu  %-15s %-7s %s%s\n", (unsigned long long)(base + e->offset), e->opcode,
               brine_audit_action_name(e->action), e->name, e->reaches ? "" : "  [not in the value]");
    }
    if (r->status == BRINE_OK) {
        printf("%s: %zu action%s, %zu not in the value\n", name, r->count, r->count == 1 ? "" : "s", hidden);
    } else {
        char where[64];
        cli_format_location(where, sizeof where, fmt, &r->error);
        printf("%s: error: %s%s (%zu action%s before it)\n", name, where,
               r->error.message[0] ? r->error.message : brine_strerror(r->status), r->count, r->count == 1 ? "" : "s");
    }
}

int cmd_audit(cli *c, int argc, char **argv)
{
    int rc = cli_parse(c, argc, argv, OPT_FROM | OPT_FMT | OPT_READER | OPT_DEPTH | OPT_JSON | OPT_FILTER);
    if (rc >= 0)
        return rc;
    if (c->arg_count > 1)
        return cli_usage(c, "one input at a time (got %d)", c->arg_count);
    if ((rc = cli_load_registry(c)) != CLI_OK)
        return rc;

    cli_input in;
    const char *path = c->arg_count ? c->args[0] : "-";
    if (cli_input_open(&in, path) != CLI_OK) {
        if (c->json)
            print_json_failure(in.name, NULL, in.read_errno == ENOENT ? BRINE_E_NOTFOUND : BRINE_E_IO, in.why);
        else
            cli_msg("%s: %s", in.name, in.why);
        return CLI_FAIL;
    }
    int status;
    const brine_plugin *fmt = cli_input_format(c, &in, &status);
    if (!fmt) {
        if (status < 0)
            status = cli_usage(c, "%s: cannot tell the format: give -f pickle", in.name);
        cli_input_close(&in);
        return status;
    }
    const char **items, **unused;
    size_t count, unused_count;
    status = cli_route_options(c, fmt, NULL, &items, &count, &unused, &unused_count);
    free(unused);
    if (status >= 0) {
        free(items);
        cli_input_close(&in);
        return status;
    }
    brine_options opts = {.max_depth = c->max_depth, .count = count, .items = items};
    brine_audit_report *report = NULL;
    brine_error err;
    brine_error_clear(&err);
    if ((status = cli_input_start(&in, NULL)) == CLI_OK) {
        uint64_t base = brine_source_offset(&in.src);
        rc = brine_audit(fmt, &in.src, &opts, &report, &err);
        if (!report) {
            if (rc == BRINE_E_UNSUPPORTED)
                status = cli_usage(c, "%s: %s (audit reads pickles)", in.name, err.message);
            else if (rc == BRINE_E_OPTION)
                status = cli_option_error(c, &err);
            else if (c->json)
                print_json_failure(in.name, fmt, rc, err.message), status = CLI_FAIL;
            else
                cli_report(in.name, fmt, &err), status = CLI_FAIL;
        } else {
            if (c->json)
                print_json(in.name, fmt, report, base);
            else
                print_text(in.name, fmt, report, base);
            status = report->status == BRINE_OK ? CLI_OK : CLI_FAIL;
        }
    }
    brine_audit_report_free(report);
    free(items);
    cli_input_close(&in);
    return status;
}
