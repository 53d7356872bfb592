/* brine.c: the brine command's entry point: global options, the subcommand
 * dispatch, the shared option parser, help texts and the registry set-up.
 * The subcommands live in convert.c, formats.c, inspect.c and diff.c; this file
 * knows nothing about any format.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

enum {
    LONG_DEPTH = 256,
    LONG_EXPAND,
    LONG_PROGRESS,
    LONG_JSON,
    LONG_NAMES,
    LONG_PLUGIN_PATH,
    LONG_SORT,
    LONG_INDENT,
    LONG_TAB,
    LONG_SELECT,
    LONG_PRETTY,
    LONG_STRICT,
    LONG_IN_FILTER,
    LONG_MAX_FILTER
};

static const struct option long_options[] = {
    {"from", required_argument, NULL, 'f'},
    {"to", required_argument, NULL, 't'},
    {"output", required_argument, NULL, 'o'},
    {"option", required_argument, NULL, 'O'},
    {"reader-option", required_argument, NULL, 'I'},
    {"sort-keys", no_argument, NULL, LONG_SORT},
    {"indent", required_argument, NULL, LONG_INDENT},
    {"tab", no_argument, NULL, LONG_TAB},
    {"select", required_argument, NULL, LONG_SELECT},
    {"pretty", no_argument, NULL, LONG_PRETTY},
    {"strict", no_argument, NULL, LONG_STRICT},
    {"max-depth", required_argument, NULL, LONG_DEPTH},
    {"max-expand", required_argument, NULL, LONG_EXPAND},
    {"filter", required_argument, NULL, 'F'},
    {"input-filter", required_argument, NULL, LONG_IN_FILTER},
    {"max-filter", required_argument, NULL, LONG_MAX_FILTER},
    {"progress", no_argument, NULL, LONG_PROGRESS},
    {"json", no_argument, NULL, LONG_JSON},
    {"names", no_argument, NULL, LONG_NAMES},
    {"plugin-path", required_argument, NULL, LONG_PLUGIN_PATH},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static const char main_help[] = "Usage: brine [--plugin-path DIR]... [-q] COMMAND [OPTIONS] [ARGS]\n"
                                "\n"
                                "Converts data between formats and looks inside it. Every format is a\n"
                                "plugin; 'brine formats' lists the ones found.\n"
                                "\n"
                                "Commands:\n"
                                "  convert   convert IN from one format to another\n"
                                "  formats   list the formats and the plugins that failed to load\n"
                                "  show      print the decoded value in Python-repr style\n"
                                "  check     decode files and report ok, or the first error and where it is\n"
                                "  audit     list what loading a pickle in Python would import and call\n"
                                "  diff      compare two files, in any formats, as values\n"
                                "  help      show help for a command\n"
                                "\n"
                                "Options for every command:\n"
                                "      --plugin-path DIR  look for format plugins in DIR first (repeatable;\n"
                                "                         then $BRINE_PLUGIN_PATH, then the installed ones)\n"
                                "  -q, --quiet            print nothing but errors\n"
                                "  -h, --help             show help ('brine COMMAND --help' for a command)\n"
                                "  -V, --version          show the version\n"
                                "\n"
                                "Exit status: 0 success; 1 the data could not be read, converted or\n"
                                "written; 2 a usage error (unknown option, format or command, or a bad\n"
                                "option value); 141 standard output was closed early (a pipe into head).\n";

static const char convert_help[] =
    "Usage: brine convert [-f FROM] [-t TO] [-o OUT] [-I KEY[=VALUE]]... [-O KEY[=VALUE]]...\n"
    "                     [--sort-keys] [--indent N | --tab] [--select PATH] [IN...]\n"
    "       brine convert [OPTIONS] IN OUT\n"
    "\n"
    "Converts IN (default: standard input, also named '-') from format FROM to\n"
    "format TO and writes OUT (default: standard output, also named '-').\n"
    "FROM is -f, else IN's extension, else recognised from IN's first bytes.\n"
    "TO is -t, else OUT's extension. A text format's output ends with a newline.\n"
    "Given two files and no -o, the second is OUT if it does not exist yet and\n"
    "its extension names a format (like remarshal); an existing one is never\n"
    "overwritten that way: name it with -o.\n"
    "\n"
    "OUT is written atomically: into a temporary file in its directory, renamed\n"
    "over OUT only when the whole conversion succeeded. With several inputs OUT\n"
    "must be a directory that exists: each IN is written there under its own\n"
    "name with TO's extension.\n"
    "\n"
    "  -f, --from FORMAT        the input format\n"
    "  -t, --to FORMAT          the output format\n"
    "  -o, --output OUT         the output file or directory\n"
    "  -I, --reader-option KEY[=VALUE]\n"
    "                           an option of FROM's reader (lines, refs, ...)\n"
    "  -O, --option KEY[=VALUE] an option of TO's writer (pretty, refs, ...);\n"
    "                           'brine formats' lists each format's options\n"
    "      --sort-keys          write every dict's entries sorted by key, in any\n"
    "                           format (the conversion then does not stream)\n"
    "      --indent N           indent text output by N spaces (0-16; 0: compact)\n"
    "      --tab                indent text output by tabs\n"
    "      --select PATH        convert only the value at PATH ($.users[1].name)\n"
    "      --max-depth N        nesting limit (default 1000)\n"
    "      --max-expand RATIO[:BYTES]\n"
    "                           how much writing shared values out again may\n"
    "                           send: RATIO x the decoded input's memory + BYTES\n"
    "                           (default 8:64M; BYTES takes K, M, G)\n"
    "  -F, --filter NAME[:KEY=VALUE,...]\n"
    "                           compress the output (gzip, zlib, bz2, xz, lzma,\n"
    "                           zstd; none): -F zstd:level=19. Default: by OUT's\n"
    "                           extension (data.msgpack.zst)\n"
    "      --input-filter NAME  decompress the input with NAME (default: by\n"
    "                           IN's extension, else its first bytes)\n"
    "      --max-filter RATIO[:BYTES]|unlimited\n"
    "                           the decompression limit (default 100:64M)\n"
    "      --progress           show progress on stderr even for small inputs\n"
    "  -q, --quiet              never show progress\n"
    "      --plugin-path DIR    look for format plugins in DIR first\n"
    "\n"
    "Progress (bytes read and written, and the rate) is shown on stderr when it\n"
    "is a terminal and the input is over 64 MiB.\n";

static const char formats_help[] = "Usage: brine formats [--json | --names]\n"
                                   "\n"
                                   "Lists every format found: name, version, description, extensions, MIME\n"
                                   "type, what it can do (decode, encode, text or binary, references), its\n"
                                   "options and the file it was loaded from; then the plugin files that\n"
                                   "could not be loaded, with the reason.\n"
                                   "\n"
                                   "      --json               the same as one JSON object\n"
                                   "      --names              only the names, one per line\n"
                                   "      --plugin-path DIR    look for format plugins in DIR first\n";

static const char show_help[] =
    "Usage: brine show [-f FROM] [-I KEY[=VALUE]]... [--pretty] [--max-depth N] [IN [PATH]]\n"
    "\n"
    "Decodes IN (default: standard input) and prints its value in the style of\n"
    "Python's repr(): [1, 2.5, 'x', (1,), {'a': b'\\x00'}], models as\n"
    "Type(args..., state=...), and a container met again inside itself as [...].\n"
    "With PATH ($.users[1].name, $['odd key'], $[0]) only the value there.\n"
    "\n"
    "  -f, --from FORMAT        the input format (default: by extension, else\n"
    "                           recognised from the first bytes)\n"
    "  -F, --filter NAME[:...]  decompress the input with NAME (gzip, zlib, bz2,\n"
    "                           xz, lzma, zstd; none); default: by extension, else\n"
    "                           by magic (--max-filter RATIO[:BYTES]: the limit)\n"
    "  -I, --reader-option KEY[=VALUE]\n"
    "                           a decoding option of the format (-O is taken\n"
    "                           for -I, with a warning, until brine 0.3)\n"
    "      --pretty             one element a line where a line would be too\n"
    "                           long, indented (like Python's pprint)\n"
    "      --max-depth N        nesting limit (default 1000)\n"
    "      --plugin-path DIR    look for format plugins in DIR first\n"
    "\n"
    "A pickle that would make Python import or call something the value does\n"
    "not show (a call whose result is dropped) gets a list of it on stderr.\n";

static const char audit_help[] = "Usage: brine audit [-f FROM] [-I KEY[=VALUE]]... [--json] IN\n"
                                 "\n"
                                 "Lists what loading IN (a pickle) in Python would do, whatever the value it\n"
                                 "returns: every import (GLOBAL, STACK_GLOBAL, INST), call (REDUCE, NEWOBJ,\n"
                                 "NEWOBJ_EX, INST, OBJ), BUILD, items given to an object, persistent id and\n"
                                 "extension code, with its offset and whether it reaches the value. Nothing\n"
                                 "is imported or run. The exit status is 1 if IN does not decode (the list\n"
                                 "then holds what comes before the error).\n"
                                 "\n"
                                 "  -f, --from FORMAT        the input format (default: by extension, else\n"
                                 "                           recognised from the first bytes)\n"
                                 "  -F, --filter NAME[:...]  decompress the input with NAME (gzip, zlib, bz2,\n"
                                 "                           xz, lzma, zstd; none); default: by extension, else\n"
                                 "                           by magic (--max-filter RATIO[:BYTES]: the limit)\n"
                                 "  -I, --reader-option KEY[=VALUE]\n"
                                 "                           a decoding option of the format (allow=...)\n"
                                 "      --json               one JSON object, for scripts\n"
                                 "      --max-depth N        nesting limit (default 1000)\n"
                                 "      --plugin-path DIR    look for format plugins in DIR first\n";

static const char check_help[] = "Usage: brine check [-f FROM] [-I KEY[=VALUE]]... [--max-depth N] IN...\n"
                                 "\n"
                                 "Decodes each IN and prints one line for it on standard output:\n"
                                 "  IN: ok (FORMAT, N values, depth D)\n"
                                 "  IN: error: LINE:COLUMN: MESSAGE      (text formats)\n"
                                 "  IN: error: offset N: MESSAGE         (binary formats)\n"
                                 "The exit status is 1 if any input failed.\n"
                                 "\n"
                                 "  -f, --from FORMAT        the input format (default: by extension, else\n"
                                 "                           recognised from the first bytes)\n"
                                 "  -F, --filter NAME[:...]  decompress the input with NAME (gzip, zlib, bz2,\n"
                                 "                           xz, lzma, zstd; none); default: by extension, else\n"
                                 "                           by magic (--max-filter RATIO[:BYTES]: the limit)\n"
                                 "  -I, --reader-option KEY[=VALUE]\n"
                                 "                           a decoding option of the format (-O is taken\n"
                                 "                           for -I, with a warning, until brine 0.3)\n"
                                 "      --max-depth N        nesting limit (default 1000)\n"
                                 "  -q, --quiet              print only the inputs that failed\n"
                                 "      --strict             also fail an input that would make Python import\n"
                                 "                           or call what its value does not show (pickle)\n"
                                 "      --plugin-path DIR    look for format plugins in DIR first\n";

static const char diff_help[] = "Usage: brine diff [-f FROM] [-I KEY[=VALUE]]... [--strict] [--max-depth N] A B\n"
                                "\n"
                                "Decodes A and B, each in its own format, and compares them as values.\n"
                                "Prints the first differing paths ($.users[1].name: 'bob' != 'rob'), at\n"
                                "most 10. Values compare as Python compares what each format decoded:\n"
                                "1 == 1.0, a tuple equals a list with the same elements, dicts are equal\n"
                                "whatever their order; unlike Python, True differs from 1 and NaN equals\n"
                                "NaN. Exit status: 0 same, 1 different, 2 trouble (a usage error, or a file\n"
                                "that cannot be read or decoded).\n"
                                "\n"
                                "  -f, --from FORMAT        the format of both inputs (default: each by its\n"
                                "                           extension, else by its first bytes)\n"
                                "  -F, --filter NAME[:...]  decompress both inputs with NAME (default: each\n"
                                "                           by its extension, else by magic)\n"
                                "  -I, --reader-option KEY[=VALUE]\n"
                                "                           a decoding option, for both inputs\n"
                                "      --strict             types must match exactly (1 != 1.0, a tuple is\n"
                                "                           not a list), dicts in the same order, floats by\n"
                                "                           their bits, and the same containers shared\n"
                                "      --max-depth N        nesting limit (default 1000)\n"
                                "      --plugin-path DIR    look for format plugins in DIR first\n";

int cli_help(const char *command)
{
    const char *text = main_help;
    if (command && strcmp(command, "convert") == 0)
        text = convert_help;
    else if (command && strcmp(command, "formats") == 0)
        text = formats_help;
    else if (command && strcmp(command, "show") == 0)
        text = show_help;
    else if (command && strcmp(command, "check") == 0)
        text = check_help;
    else if (command && strcmp(command, "audit") == 0)
        text = audit_help;
    else if (command && strcmp(command, "diff") == 0)
        text = diff_help;
    fputs(text, stdout);
    return CLI_OK;
}

static int print_version(void)
{
    printf("brine %s (libbrine %s)\n", BRINE_VERSION_STRING, brine_version());
    return CLI_OK;
}

/* Appends p to a growing array of strings; 0 or -1 when out of memory. */
static int push(const char ***list, size_t *count, const char *p)
{
    const char **grown = realloc(*list, (*count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    grown[(*count)++] = p;
    *list = grown;
    return 0;
}

static int parse_depth(cli *c, const char *text)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end || errno || n == 0 || n > SIZE_MAX)
        return cli_usage(c, "--max-depth wants a positive integer, not '%s'", text);
    c->max_depth = (size_t)n;
    return -1;
}

/* A positive count with an optional binary suffix (K, M, G, T); 0 when
 * text is not one or the product overflows max. */
static uint64_t parse_size(const char *text, int suffixes, uint64_t max)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || errno || n == 0)
        return 0;
    unsigned shift = 0;
    if (suffixes && *end) {
        const char *units = "KMGT", *u = strchr(units, *end);
        if (!u)
            return 0;
        shift = 10 * (unsigned)(u - units + 1);
        end++;
    }
    if (*end || n > max >> shift)
        return 0;
    return (uint64_t)n << shift;
}

/* --max-expand RATIO[:BYTES]: the expansion limit (brine_options). */
static int parse_expand(cli *c, const char *text)
{
    const char *colon = strchr(text, ':');
    char ratio[32];
    size_t len = colon ? (size_t)(colon - text) : strlen(text);
    uint64_t n = 0, bytes = 0;
    if (len < sizeof ratio) {
        memcpy(ratio, text, len);
        ratio[len] = '\0';
        n = parse_size(ratio, 0, UINT32_MAX);
    }
    if (colon)
        bytes = parse_size(colon + 1, 1, UINT64_MAX);
    if (!n || (colon && !bytes))
        return cli_usage(c, "--max-expand wants RATIO[:BYTES] (positive integers, BYTES with K, M or G), not '%s'",
                         text);
    c->expand_ratio = (uint32_t)n;
    c->expand_bytes = bytes;
    return -1;
}

/* --max-filter RATIO[:BYTES] or "unlimited": the decompression limit. */
static int parse_max_filter(cli *c, const char *text)
{
    if (strcmp(text, "unlimited") == 0) {
        c->filter_ratio = UINT32_MAX;
        c->filter_bytes = UINT64_MAX;
        return -1;
    }
    const char *colon = strchr(text, ':');
    char ratio[32];
    size_t len = colon ? (size_t)(colon - text) : strlen(text);
    uint64_t n = 0, bytes = 0;
    if (len < sizeof ratio) {
        memcpy(ratio, text, len);
        ratio[len] = '\0';
        n = parse_size(ratio, 0, UINT32_MAX - 1);
    }
    if (colon)
        bytes = parse_size(colon + 1, 1, UINT64_MAX - 1);
    if (!n || (colon && !bytes))
        return cli_usage(c,
                         "--max-filter wants RATIO[:BYTES] (positive integers, BYTES with K, M or G) or unlimited, "
                         "not '%s'",
                         text);
    c->filter_ratio = (uint32_t)n;
    c->filter_bytes = bytes;
    return -1;
}

/* How the user wrote option opt: "-f", or "--json" for a long option. */
static const char *option_text(int opt, int index)
{
    static char buf[64];
    if (index >= 0)
        snprintf(buf, sizeof buf, "--%s", long_options[index].name);
    else
        snprintf(buf, sizeof buf, "-%c", opt);
    return buf;
}

static unsigned option_mask(int opt)
{
    switch (opt) {
    case 'f': return OPT_FROM;
    case 't': return OPT_TO;
    case 'o': return OPT_OUT;
    case 'O': return OPT_FMT;
    case 'I': return OPT_READER;
    case LONG_SORT: return OPT_SORT;
    case LONG_INDENT:
    case LONG_TAB: return OPT_INDENT;
    case LONG_SELECT: return OPT_SELECT;
    case LONG_PRETTY: return OPT_PRETTY;
    case LONG_STRICT: return OPT_STRICT;
    case LONG_DEPTH: return OPT_DEPTH;
    case LONG_EXPAND: return OPT_EXPAND;
    case 'F':
    case LONG_IN_FILTER:
    case LONG_MAX_FILTER: return OPT_FILTER;
    case LONG_PROGRESS: return OPT_PROGRESS;
    case LONG_JSON: return OPT_JSON;
    case LONG_NAMES: return OPT_NAMES;
    default: return OPT_GLOBAL;
    }
}

/* Parses argv[1..] (argv[0] is the command's name). Returns -1 to go on,
 * or the exit status when the command is done (help, version, usage error).
 * The subcommands' own options are refused unless accept has them. Before
 * the command word, parsing stops at the first operand. */
int cli_parse(cli *c, int argc, char **argv, unsigned accept)
{
    const char *shortopts = c->command ? ":f:t:o:O:I:F:qhV" : "+:qhV";
    int opt, index;
    opterr = 0;
    optind = 0; /* GNU: start afresh on this argv */
    while (index = -1, (opt = getopt_long(argc, argv, shortopts, long_options, &index)) != -1) {
        if (opt == '?') {
            if (optopt)
                return cli_usage(c, "unknown option '-%c'", optopt);
            return cli_usage(c, "unknown option '%s'", argv[optind - 1]);
        }
        if (opt == ':')
            return cli_usage(c, "option '%s' needs a value", argv[optind - 1]);
        if (!(option_mask(opt) & (accept | OPT_GLOBAL)))
            return cli_usage(c, "option '%s' does not apply here", option_text(opt, index));
        switch (opt) {
        case 'f': c->from_name = optarg; break;
        case 't': c->to_name = optarg; break;
        case 'o': c->out_path = optarg; break;
        case 'O':
        case 'I':
            if (!optarg[0] || optarg[0] == '=')
                return cli_usage(c, "-%c wants KEY or KEY=VALUE, not '%s'", opt, optarg);
            if (opt == 'O' ? push(&c->fmt_opts, &c->fmt_opt_count, optarg)
                           : push(&c->in_opts, &c->in_opt_count, optarg))
                return cli_oom(), CLI_FAIL;
            break;
        case LONG_SORT: c->sort_keys = 1; break;
        case LONG_INDENT: {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (optarg[0] < '0' || optarg[0] > '9' || *end || n > CLI_INDENT_MAX)
                return cli_usage(c, "--indent wants a number of spaces from 0 to %d, not '%s'", CLI_INDENT_MAX, optarg);
            c->indent = (int)n;
            c->tab = 0;
            break;
        }
        case LONG_TAB:
            c->tab = 1;
            c->indent = -1;
            break;
        case LONG_SELECT: c->select = optarg; break;
        case LONG_PRETTY: c->pretty = 1; break;
        case LONG_STRICT: c->strict = 1; break;
        case LONG_DEPTH: {
            int rc = parse_depth(c, optarg);
            if (rc >= 0)
                return rc;
            break;
        }
        case LONG_EXPAND: {
            int rc = parse_expand(c, optarg);
            if (rc >= 0)
                return rc;
            break;
        }
        case 'F':
            /* convert compresses its output; the commands that only read
             * decompress their input. */
            if (c->command && strcmp(c->command, "convert") == 0)
                c->filter_spec = optarg;
            else
                c->in_filter_spec = optarg;
            break;
        case LONG_IN_FILTER: c->in_filter_spec = optarg; break;
        case LONG_MAX_FILTER: {
            int rc = parse_max_filter(c, optarg);
            if (rc >= 0)
                return rc;
            break;
        }
        case LONG_PROGRESS: c->progress = 1; break;
        case LONG_JSON: c->json = 1; break;
        case LONG_NAMES: c->names = 1; break;
        case LONG_PLUGIN_PATH:
            if (push(&c->plugin_paths, &c->plugin_path_count, optarg))
                return cli_oom(), CLI_FAIL;
            break;
        case 'q': c->quiet = 1; break;
        case 'h': return cli_help(c->command);
        case 'V': return print_version();
        default: return cli_usage(c, "unknown option '%s'", argv[optind - 1]);
        }
    }
    c->args = argv + optind;
    c->arg_count = argc - optind;
    return -1;
}

int cli_load_registry(cli *c)
{
    brine_error err;
    brine_error_clear(&err);
    c->reg = brine_registry_new(&err);
    if (!c->reg) {
        cli_msg("cannot set up the plugin registry: %s", err.message);
        return CLI_FAIL;
    }
    for (size_t i = 0; i < c->plugin_path_count; i++) {
        struct stat st;
        /* Not fatal (the other formats still work), but likely a typo. */
        int found = stat(c->plugin_paths[i], &st) == 0;
        if (!c->quiet && (!found || !S_ISDIR(st.st_mode)))
            cli_msg("warning: --plugin-path %s: %s", c->plugin_paths[i], strerror(found ? ENOTDIR : errno));
        if (brine_registry_add_dir(c->reg, c->plugin_paths[i], &err) != BRINE_OK) {
            cli_msg("--plugin-path %s: %s", c->plugin_paths[i], err.message);
            return CLI_FAIL;
        }
    }
    if (brine_registry_load(c->reg, &err) != BRINE_OK) {
        cli_msg("cannot load the format plugins: %s", err.message);
        return CLI_FAIL;
    }
    return CLI_OK;
}

void cli_free(cli *c)
{
    brine_registry_free(c->reg);
    free(c->plugin_paths);
    free(c->fmt_opts);
    free(c->in_opts);
}

static int dispatch(cli *c, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(cli *, int, char **);
    } commands[] = {
        {"convert", cmd_convert}, {"formats", cmd_formats}, {"show", cmd_show},
        {"check", cmd_check},     {"audit", cmd_audit}, {"diff", cmd_diff},
    };
    const char *name = argv[0];
    if (strcmp(name, "help") == 0) {
        if (argc > 2)
            return cli_usage(c, "'brine help' takes one command name");
        if (argc == 2 && strcmp(argv[1], "help") != 0) {
            for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (strcmp(argv[1], commands[i].name) == 0)
                    return cli_help(argv[1]);
            return cli_usage(c, "unknown command '%s'", argv[1]);
        }
        return cli_help(NULL);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(name, commands[i].name) == 0) {
            c->command = commands[i].name;
            return commands[i].run(c, argc, argv);
        }
    }
    return cli_usage(c, "unknown command '%s' (commands: convert, formats, show, check, diff, help)", name);
}

int main(int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof c);
    c.indent = -1;
    cli_output_setup();

    int status = cli_parse(&c, argc, argv, 0);
    if (status < 0) {
        if (c.arg_count == 0)
            status = cli_usage(&c, "no command given (commands: convert, formats, show, check, diff, help)");
        else
            status = dispatch(&c, c.arg_count, c.args);
    }
    int closed = cli_close_stdout(status);
    if (closed != CLI_OK && (status == CLI_OK || closed == CLI_PIPE))
        status = closed;
    cli_free(&c);
    return status;
}
