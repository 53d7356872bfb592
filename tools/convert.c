/* convert.c: the convert subcommand. Chooses the output format (-t, else
 * OUT's extension) and, per input, the input format (-f, extension, sniff),
 * gives -I options to the reader and -O options to the writer, and runs
 * brine_transcode from a streaming source into an atomic output (or, with
 * --select, decodes, picks the value at the path and encodes it). Several
 * inputs go into a directory, each under its own name with the output
 * format's extension.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static int is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* DIR/NAME.EXT for input path: its file name without its last extension. */
static char *path_in_directory(const char *dir, const char *input, const brine_plugin *to)
{
    const char *base = strrchr(input, '/');
    base = base ? base + 1 : input;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    const char *ext = to->extensions && to->extensions[0] ? to->extensions[0] : to->name;
    size_t dir_len = strlen(dir);
    int slash = dir_len && dir[dir_len - 1] != '/';
    char *path = malloc(dir_len + 1 + stem + 1 + strlen(ext) + 1);
    if (path)
        sprintf(path, "%s%s%.*s.%s", dir, slash ? "/" : "", (int)stem, base, ext);
    return path;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A usage error if two inputs would be written to the same file. */
static int check_distinct(cli *c, char **paths, size_t count)
{
    char **sorted = malloc(count * sizeof *sorted);
    if (!sorted) {
        cli_oom();
        return CLI_FAIL;
    }
    memcpy(sorted, paths, count * sizeof *sorted);
    qsort(sorted, count, sizeof *sorted, compare_strings);
    for (size_t i = 1; i < count; i++) {
        if (strcmp(sorted[i - 1], sorted[i]) == 0) {
            int rc = cli_usage(c, "two inputs would both be written to %s", sorted[i]);
            free(sorted);
            return rc;
        }
    }
    free(sorted);
    return CLI_OK;
}

static int report_failure(cli *c, const cli_input *in, const cli_output *out, const brine_plugin *from,
                          const brine_error *err, int in_path)
{
    char why[512];
    if (out->write_errno && out->is_pipe && cli_pipe_closed(out->write_errno))
        return CLI_PIPE;
    if (out->write_errno)
        cli_msg("%s: write error: %s", out->name, strerror(out->write_errno));
    else if (in->read_errno)
        cli_msg("%s: read error: %s", in->name, strerror(in->read_errno));
    else if (err->code == BRINE_E_OPTION)
        return cli_option_error(c, err);
    else if (in_path && err->code == BRINE_E_SYNTAX)
        return cli_usage(c, "--select: %s", err->message);
    else if (in_path)
        cli_msg("%s: --select %s: %s (the path exists up to %s)", in->name, c->select, err->message,
                err->path[0] ? err->path : "$");
    else if (cli_explain_failure(c, in, from, err, why, sizeof why))
        cli_msg("%s: %s", in->name, why);
    else
        cli_report(in->name, from, err);
    return CLI_FAIL;
}

/* --select: the value at the path, decoded into a graph and encoded alone.
 * *in_path is set when the path was the trouble. */
static int convert_selected(cli *c, const brine_plugin *from, brine_source *src, const brine_options *from_opts,
                            const brine_plugin *to, brine_output *out, const brine_options *to_opts, int *in_path,
                            brine_error *err)
{
    brine_doc *doc = brine_decode(from, src, from_opts, err);
    if (!doc)
        return err->code;
    int rc;
    brine_value *v = brine_path_get(brine_doc_root(doc), c->select, err);
    if (!v) {
        *in_path = 1;
        rc = err->code;
    } else {
        rc = brine_encode(to, v, out, to_opts, err);
    }
    brine_doc_free(doc);
    return rc;
}

/* A streamed conversion refuses a repeated dict key (core/codec.c), where
 * decoding folds it as Python does (first position, last value). A user
 * converting an ordinary file expects what `show` gives, so the conversion
 * runs again through a graph: the input is read again (a file from its
 * start, a pipe from the bytes it kept) and the output starts again
 * (nothing reached it: a temporary file, or output still held back). Past
 * CLI_KEEP_MAX or CLI_HOLD_MAX that cannot be, and the message says what
 * to do in the command's terms. Returns the new status, or -1 to keep the
 * first error. */
static int retry_through_graph(cli *c, cli_input *in, cli_output *out, const brine_plugin *from, const brine_plugin *to,
                               const brine_options *from_opts, const brine_options *to_opts, const brine_error *first,
                               cli_progress *progress)
{
    static const char repeat[] = "a dict key repeats";
    static const char late_array[] = "an array arrived after"; /* native's 1.0 header had left (#20) */
    int repeated = strncmp(first->message, repeat, sizeof repeat - 1) == 0;
    if (first->code != BRINE_E_UNSUPPORTED ||
        (!repeated && strncmp(first->message, late_array, sizeof late_array - 1) != 0) || in->read_errno ||
        out->write_errno)
        return -1;
    if (!cli_input_can_reread(in) || !cli_output_can_restart(out)) {
        if (!repeated)
            return -1;
        char where[64];
        int input_ok = cli_input_can_reread(in);
        cli_format_location(where, sizeof where, from, first);
        cli_msg("%s: %sa dict key repeats at %s; brine folds it as Python does (first position, last value) by "
                "converting again, but %s had passed %zu MiB: %s",
                in->name, where, first->path[0] ? first->path : "$", input_ok ? "the output" : "the input",
                (input_ok ? CLI_HOLD_MAX : CLI_KEEP_MAX) >> 20,
                input_ok ? "write to a file with -o FILE" : "save the input to a file and convert that");
        cli_output_abort(out);
        return CLI_FAIL;
    }
    int status;
    if ((status = cli_output_restart(out)) != CLI_OK)
        return status;
    if ((status = cli_input_reread(in, progress)) != CLI_OK) {
        if (in->read_errno)
            cli_msg("%s: read error: %s", in->name, strerror(in->read_errno));
        cli_output_abort(out);
        return CLI_FAIL;
    }
    brine_error err;
    brine_error_clear(&err);
    brine_doc *doc = brine_decode(from, &in->src, from_opts, &err);
    if (!doc || brine_encode(to, brine_doc_root(doc), &out->out, to_opts, &err) != BRINE_OK) {
        status = report_failure(c, in, out, from, &err, 0);
        cli_output_abort(out);
    } else {
        if (to->caps & BRINE_CAP_TEXT)
            cli_output_newline(out);
        status = cli_output_commit(out);
    }
    brine_doc_free(doc);
    return status;
}

/* all: the progress line of several inputs, or NULL for one input. */
static int convert_one(cli *c, const char *in_path, const char *out_path, const brine_plugin *to, cli_progress *all)
{
    cli_input in;
    cli_output out;
    cli_progress one, *progress = all ? all : &one;
    const char **from_items, **to_items;
    size_t from_count, to_count;
    int status;

    if (cli_input_open(&in, in_path) != CLI_OK) {
        cli_msg("%s: %s", in.name, in.why);
        return CLI_FAIL;
    }
    const brine_plugin *from = cli_input_format(c, &in, &status);
    if (!from) {
        if (status < 0) {
            char list[512];
            cli_format_list(c, BRINE_CAP_DECODE, list, sizeof list);
            status = cli_usage(c, "cannot tell the format of %s: give -f FORMAT (formats: %s)", in.name, list);
        }
        cli_input_close(&in);
        return status;
    }
    status = cli_route_options(c, from, to, &from_items, &from_count, &to_items, &to_count);
    if (status >= 0)
        goto done;
    /* The expansion limit goes to both: the pickle reader walks its memo
     * graph while decoding. */
    brine_options from_opts = {.max_depth = c->max_depth,
                               .count = from_count,
                               .items = from_items,
                               .expand_ratio = c->expand_ratio,
                               .expand_bytes = c->expand_bytes};
    brine_options to_opts = {.max_depth = c->max_depth,
                             .count = to_count,
                             .items = to_items,
                             .expand_ratio = c->expand_ratio,
                             .expand_bytes = c->expand_bytes,
                             .sort_keys = (unsigned)c->sort_keys};

    if (all)
        cli_progress_next(all, in.name, in.size);
    else
        cli_progress_init(&one, c, in.name, in.size);
    if ((status = cli_output_open(&out, out_path, progress)) != CLI_OK ||
        (status = cli_output_filter(&out, c, out_path, (to->caps & BRINE_CAP_BINARY) != 0)) != CLI_OK)
        goto done;
    cli_input_keep(&in);
    if ((status = cli_input_start(&in, progress)) != CLI_OK) {
        cli_output_abort(&out);
        goto done;
    }
    brine_error err;
    brine_error_clear(&err);
    int streamed = 0, at_path = 0;
    int rc = c->select ? convert_selected(c, from, &in.src, &from_opts, to, &out.out, &to_opts, &at_path, &err)
                       : brine_transcode(from, &in.src, &from_opts, to, &out.out, &to_opts, &streamed, &err);
    cli_progress_done(progress);
    if (rc != BRINE_OK && streamed &&
        (status = retry_through_graph(c, &in, &out, from, to, &from_opts, &to_opts, &err, progress)) >= 0) {
        /* done through a graph, or failed there with its own message */
        goto done;
    }
    if (rc == BRINE_OK && (to->caps & BRINE_CAP_TEXT))
        cli_output_newline(&out);
    if (rc != BRINE_OK) {
        status = report_failure(c, &in, &out, from, &err, at_path);
        cli_output_abort(&out);
    } else {
        status = cli_output_commit(&out);
    }
done:
    free(from_items);
    free(to_items);
    cli_input_close(&in);
    return status;
}

int cmd_convert(cli *c, int argc, char **argv)
{
    int rc = cli_parse(c, argc, argv,
                       OPT_FROM | OPT_TO | OPT_OUT | OPT_FMT | OPT_READER | OPT_DEPTH | OPT_EXPAND | OPT_PROGRESS |
                           OPT_SORT | OPT_INDENT | OPT_SELECT | OPT_FILTER);
    if (rc >= 0)
        return rc;
    static char *stdin_only[] = {"-"};
    char **inputs = c->arg_count ? c->args : stdin_only;
    size_t count = c->arg_count > 0 ? (size_t)c->arg_count : 1;
    const char *out = c->out_path && strcmp(c->out_path, "-") != 0 ? c->out_path : NULL;
    char list[512];

    if (c->out_path && !c->out_path[0])
        return cli_usage(c, "-o wants a file or directory name");
    if ((rc = cli_load_registry(c)) != CLI_OK)
        return rc;
    /* brine convert IN OUT, like remarshal: OUT is the second file when it
     * does not exist yet and its extension names a format. An existing
     * file is never overwritten by position: -o says so explicitly. */
    if (count == 2 && !c->out_path && strcmp(inputs[1], "-") != 0) {
        struct stat st;
        if (stat(inputs[1], &st) != 0 && errno == ENOENT && cli_format_for_name(c, inputs[1], BRINE_CAP_ENCODE)) {
            out = inputs[1];
            count = 1;
        } else if (stat(inputs[1], &st) == 0 && S_ISREG(st.st_mode) &&
                   cli_format_for_name(c, inputs[1], BRINE_CAP_ENCODE)) {
            return cli_usage(c,
                             "%s exists: to overwrite it, give 'brine convert %s -o %s'; to convert both files, "
                             "-o DIR",
                             inputs[1], inputs[0], inputs[1]);
        }
    }
    int to_dir = out && (out[strlen(out) - 1] == '/' || is_directory(out));
    if (count > 1 && !to_dir)
        return cli_usage(c, "several inputs need -o DIR (a directory to write them into)");
    if (c->from_name && !cli_format_named(c, c->from_name, BRINE_CAP_DECODE, "input"))
        return CLI_USAGE;

    const brine_plugin *to = NULL;
    if (c->to_name) {
        if (!(to = cli_format_named(c, c->to_name, BRINE_CAP_ENCODE, "output")))
            return CLI_USAGE;
    } else if (out && !to_dir) {
        to = cli_format_for_name(c, out, BRINE_CAP_ENCODE);
    }
    if (!to) {
        cli_format_list(c, BRINE_CAP_ENCODE, list, sizeof list);
        if (to_dir)
            return cli_usage(c, "give -t FORMAT to write into a directory (formats: %s)", list);
        if (out)
            return cli_usage(c, "cannot tell the output format from the name %s: give -t FORMAT (formats: %s)", out,
                             list);
        return cli_usage(c, "give -t FORMAT, or -o FILE with the format's extension (formats: %s)", list);
    }

    if (!to_dir)
        return convert_one(c, inputs[0], out, to, NULL);

    if (!is_directory(out)) {
        cli_msg("%s: no such directory (brine writes into a directory that exists: create it first)", out);
        return CLI_FAIL;
    }
    char **outputs = calloc(count, sizeof *outputs);
    if (!outputs) {
        cli_oom();
        return CLI_FAIL;
    }
    int status = CLI_OK, failed = 0;
    for (size_t i = 0; i < count && status == CLI_OK; i++) {
        if (strcmp(inputs[i], "-") == 0)
            status = cli_usage(c, "standard input has no name to write into a directory: use -o FILE");
        else if (!(outputs[i] = path_in_directory(out, inputs[i], to)))
            cli_oom(), status = CLI_FAIL;
    }
    if (status == CLI_OK)
        status = check_distinct(c, outputs, count);
    /* One progress line for all: their sizes together (0 if one is not a
     * regular file: then no percentage). */
    cli_progress all;
    cli_progress_all(&all, c, count, cli_progress_sizes(inputs, count));
    /* Go on after a failed input, like cp: the others still get converted. */
    for (size_t i = 0; i < count && status == CLI_OK; i++) {
        int one = convert_one(c, inputs[i], outputs[i], to, &all);
        if (one == CLI_USAGE)
            status = one;
        else if (one != CLI_OK)
            failed = 1;
    }
    if (status == CLI_OK && failed)
        status = CLI_FAIL;
    for (size_t i = 0; i < count; i++)
        free(outputs[i]);
    free(outputs);
    return status;
}
