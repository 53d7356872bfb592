/* inspect.c: the show and check subcommands, which decode into a graph and
 * look at it: show prints it (or the value at a path) with the core's
 * Python-repr printer, flat or pretty; check reports one line per input
 * (format, value count and depth, or the error and where it is), found by
 * brine_validate without a graph (brine_value_stats on one for a format
 * with an audit, or a dict key that repeats). The decoding is shared with diff.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <brine/pickle.h>

#include "cli.h"

typedef cli_decoded decoded;

/* The format has an audit hook (pickle). */
static int audited(const brine_plugin *fmt)
{
    return fmt->size >= offsetof(brine_plugin, audit) + sizeof fmt->audit && fmt->audit;
}

/* The status of a failed decoding (or validation), with d->why set when
 * the input, not the data, was the trouble. */
static int decode_failed(cli *c, decoded *d)
{
    if (d->err.code == BRINE_E_OPTION)
        return cli_option_error(c, &d->err);
    if (d->in.read_errno)
        snprintf(d->why, sizeof d->why, "read error: %s", strerror(d->in.read_errno));
    else
        cli_explain_failure(c, &d->in, d->fmt, &d->err, d->why, sizeof d->why);
    return CLI_FAIL;
}

/* Opens and decodes path. CLI_OK with d->doc; CLI_USAGE after a message;
 * CLI_FAIL with d->why set, or with d->err for a decoding error. */
static int decode_input(cli *c, const char *path, cli_progress *progress, decoded *d, int validate)
{
    const char **items, **unused;
    size_t count, unused_count;
    int status;

    memset(d, 0, sizeof *d);
    brine_error_clear(&d->err);
    if (cli_input_open(&d->in, path) != CLI_OK) {
        snprintf(d->why, sizeof d->why, "%s", d->in.why);
        return CLI_FAIL;
    }
    d->fmt = cli_input_format(c, &d->in, &status);
    if (!d->fmt) {
        if (status < 0) {
            char list[256];
            cli_format_list(c, BRINE_CAP_DECODE, list, sizeof list);
            snprintf(d->why, sizeof d->why, "cannot tell the format: give -f FORMAT (formats: %s)", list);
            d->unknown_format = 1;
            status = CLI_FAIL;
        }
        return status;
    }
    status = cli_route_options(c, d->fmt, NULL, &items, &count, &unused, &unused_count);
    free(unused);
    if (status >= 0) {
        free(items);
        return status;
    }
    brine_options opts = {.max_depth = c->max_depth, .count = count, .items = items};
    if (progress && progress->count) /* check's several inputs: one line */
        cli_progress_next(progress, d->in.name, d->in.size);
    else if (progress)
        cli_progress_init(progress, c, d->in.name, d->in.size);
    if ((status = cli_input_start(&d->in, progress)) == CLI_OK && validate && !audited(d->fmt)) {
        /* check: through the streaming checker, no graph. A repeated dict
         * key, which a graph folds as Python does, is checked again
         * through a graph (a pipe's first CLI_KEEP_MAX bytes are kept for
         * that), so the findings are the graph's. */
        static const char repeat[] = "a dict key repeats";
        cli_input_keep(&d->in);
        int rc = brine_validate(d->fmt, &d->in.src, &opts, &d->count, &d->depth, &d->err);
        if (rc == BRINE_OK) {
            d->validated = 1;
            if (progress)
                cli_progress_done(progress);
            free(items);
            return CLI_OK;
        }
        if (rc == BRINE_E_UNSUPPORTED && strncmp(d->err.message, repeat, sizeof repeat - 1) == 0 && !d->in.read_errno &&
            cli_input_can_reread(&d->in)) {
            brine_error_clear(&d->err);
            status = cli_input_reread(&d->in, progress);
        } else {
            if (progress)
                cli_progress_done(progress);
            status = decode_failed(c, d);
            free(items);
            return status;
        }
    }
    if (status == CLI_OK) {
        if (audited(d->fmt) && brine_source_read_all(&d->in.src, &d->err) == BRINE_OK) {
            /* The same bytes, audited first: a value never shows a call
             * whose result the stream dropped (docs/pickle.md, Security). */
            brine_source copy;
            brine_error ignored;
            brine_source_init_buffer(&copy, d->in.src.cur, (size_t)(d->in.src.end - d->in.src.cur));
            d->report_base = brine_source_offset(&d->in.src);
            brine_audit(d->fmt, &copy, &opts, &d->report, &ignored);
        }
        d->doc = brine_decode(d->fmt, &d->in.src, &opts, &d->err);
        if (progress)
            cli_progress_done(progress);
        if (!d->doc)
            status = decode_failed(c, d);
    }
    free(items);
    return status;
}

int cli_decode_input(cli *c, const char *path, cli_progress *progress, decoded *d)
{
    return decode_input(c, path, progress, d, 0);
}

void cli_decoded_free(decoded *d)
{
    brine_audit_report_free(d->report);
    brine_doc_free(d->doc);
    cli_input_close(&d->in);
}

/* Reports a failed cli_decode_input (rc its status) on stderr, as show and
 * diff do; returns the exit status. */
int cli_decoded_report(cli *c, decoded *d, int rc)
{
    if (rc == CLI_FAIL && d->unknown_format)
        return cli_usage(c, "%s: %s", d->in.name, d->why);
    if (rc == CLI_FAIL && d->why[0])
        cli_msg("%s: %s", d->in.name, d->why);
    else if (rc == CLI_FAIL) {
        cli_report(d->in.name, d->fmt, &d->err);
        cli_audit_notice(d->in.name, d->report, d->report_base); /* Python may get further */
    }
    return rc;
}

/* show's PATH: the value there, or NULL after a message (*rc set). */
static const brine_value *show_path(cli *c, decoded *d, const char *path, int *rc)
{
    brine_error err;
    const brine_value *v = brine_path_get(brine_doc_root(d->doc), path, &err);
    if (v)
        return v;
    if (err.code == BRINE_E_SYNTAX)
        *rc = cli_usage(c, "%s", err.message);
    else {
        cli_msg("%s: %s: %s (the path exists up to %s)", d->in.name, path, err.message, err.path[0] ? err.path : "$");
        *rc = CLI_FAIL;
    }
    return NULL;
}

int cmd_show(cli *c, int argc, char **argv)
{
    int rc = cli_parse(c, argc, argv, OPT_FROM | OPT_FMT | OPT_READER | OPT_DEPTH | OPT_PRETTY | OPT_FILTER);
    if (rc >= 0)
        return rc;
    if (c->arg_count > 2)
        return cli_usage(c, "one input (and one path) at a time (got %d operands)", c->arg_count);
    if (c->arg_count == 2 && c->args[1][0] != '$')
        return cli_usage(c, "one input at a time: '%s' is not a path (paths start with $: $.users[1].name)",
                         c->args[1]);
    if ((rc = cli_reader_only(c)) >= 0 || (rc = cli_load_registry(c)) != CLI_OK)
        return rc;

    decoded d;
    rc = cli_decode_input(c, c->arg_count ? c->args[0] : "-", NULL, &d);
    const brine_value *v = rc == CLI_OK ? brine_doc_root(d.doc) : NULL;
    if (v && c->arg_count == 2)
        v = show_path(c, &d, c->args[1], &rc);
    if (v) {
        brine_error err;
        brine_error_clear(&err);
        int printed = c->pretty ? brine_value_print_pretty(v, stdout, 0, c->max_depth, &err)
                                : brine_value_print(v, stdout, c->max_depth, &err);
        if (printed != BRINE_OK) {
            /* A write error is reported once, when stdout is closed; a
             * reader that went away ends quietly. */
            if (ferror(stdout) && cli_pipe_closed(errno))
                rc = CLI_PIPE;
            else if (!ferror(stdout)) {
                fflush(stdout);
                cli_report(d.in.name, NULL, &err);
            }
            if (rc != CLI_PIPE)
                rc = CLI_FAIL;
        } else {
            putchar('\n');
            fflush(stdout);
            cli_audit_notice(d.in.name, d.report, d.report_base);
        }
    } else if (!d.doc) {
        rc = cli_decoded_report(c, &d, rc);
    }
    cli_decoded_free(&d);
    return rc;
}

int cmd_check(cli *c, int argc, char **argv)
{
    int rc = cli_parse(c, argc, argv, OPT_FROM | OPT_FMT | OPT_READER | OPT_DEPTH | OPT_STRICT | OPT_FILTER);
    if (rc >= 0)
        return rc;
    if (c->arg_count == 0)
        return cli_usage(c, "name the files to check ('-' for standard input)");
    if ((rc = cli_reader_only(c)) >= 0 || (rc = cli_load_registry(c)) != CLI_OK)
        return rc;
    if (c->from_name && !cli_format_named(c, c->from_name, BRINE_CAP_DECODE, "input"))
        return CLI_USAGE;

    int status = CLI_OK;
    cli_progress progress;
    cli_progress_init(&progress, c, "", 0);
    if (c->arg_count > 1)
        cli_progress_all(&progress, c, (size_t)c->arg_count, cli_progress_sizes(c->args, (size_t)c->arg_count));
    for (int i = 0; i < c->arg_count; i++) {
        decoded d;
        rc = decode_input(c, c->args[i], &progress, &d, 1);
        size_t count = d.count, depth = d.depth;
        if (rc == CLI_OK && !d.validated &&
            brine_value_stats(brine_doc_root(d.doc), c->max_depth, &count, &depth, &d.err) != BRINE_OK)
            rc = CLI_FAIL;
        if (rc == CLI_OK) {
            if (!c->quiet)
                printf("%s: ok (%s, %zu value%s, depth %zu)\n", d.in.name, d.fmt->name, count, count == 1 ? "" : "s",
                       depth);
            fflush(stdout);
            if (cli_audit_notice(d.in.name, d.report, d.report_base) && c->strict)
                rc = CLI_FAIL;
        } else if (rc == CLI_FAIL && d.why[0]) {
            printf("%s: error: %s\n", d.in.name, d.why);
        } else if (rc == CLI_FAIL) {
            char where[64];
            cli_format_location(where, sizeof where, d.fmt, &d.err);
            int path = d.err.path[0] && strcmp(d.err.path, "$") != 0;
            printf("%s: error: %s%s%s%s\n", d.in.name, where,
                   d.err.message[0] ? d.err.message : brine_strerror(d.err.code), path ? " at " : "",
                   path ? d.err.path : "");
            fflush(stdout);
            cli_audit_notice(d.in.name, d.report, d.report_base); /* Python may get further */
        }
        cli_decoded_free(&d);
        if (rc == CLI_USAGE)
            return rc;
        if (rc != CLI_OK)
            status = CLI_FAIL;
        /* Each line as it is known, even when the output is a pipe. */
        fflush(stdout);
    }
    return status;
}
