/* cli.h: what the files of the brine command share: the parsed command line,
 * inputs (peeked for sniffing, then streamed through a counting reader),
 * atomic outputs, the progress line and diagnostics. The command knows no
 * format itself: everything format-specific comes from the plugin registry.
 */
#ifndef BRINE_CLI_H
#define BRINE_CLI_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <brine/format.h>

/* Exit statuses (see brine(1)). CLI_PIPE: standard output's reader went
 * away (`brine show big.json | head`); brine stops quietly with the status
 * of a process that SIGPIPE ended, as jq and coreutils do. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2, CLI_PIPE = 141 };

/* Bytes peeked from each input for sniffing before decoding starts. */
#define CLI_HEAD 64

/* The counting reader's buffer: the size of each read(2). */
#define CLI_READ_BUFFER (256 * 1024)

/* A conversion that streams can meet a repeated dict key, which only a
 * graph folds (first position, last value); convert then runs again through
 * a graph, which needs the input again and nothing written yet. A file is
 * read again; a pipe's first CLI_KEEP_MAX bytes are kept to be read again;
 * output that is not a file (stdout, a FIFO) is held back until the
 * conversion ends or CLI_HOLD_MAX bytes are ready. Past either, the
 * repeated key is an error (tools/convert.c, brine(1)). */
#define CLI_KEEP_MAX ((size_t)64 << 20)
#define CLI_HOLD_MAX ((size_t)16 << 20)

/* Inputs larger than this show a progress line when stderr is a terminal. */
#define CLI_PROGRESS_MIN ((uint64_t)64 << 20)

/* --indent's largest N: what the json writer's indent option takes. */
#define CLI_INDENT_MAX 16

/* Options each subcommand may accept (cli_parse's mask). */
enum {
    OPT_FROM = 1u << 0,     /* -f FORMAT */
    OPT_TO = 1u << 1,       /* -t FORMAT */
    OPT_OUT = 1u << 2,      /* -o OUT */
    OPT_FMT = 1u << 3,      /* -O key[=value] */
    OPT_DEPTH = 1u << 4,    /* --max-depth N */
    OPT_PROGRESS = 1u << 5, /* --progress */
    OPT_JSON = 1u << 6,     /* --json */
    OPT_NAMES = 1u << 7,    /* --names */
    OPT_GLOBAL = 1u << 8,   /* --plugin-path, -q, --help, --version: always accepted */
    OPT_EXPAND = 1u << 9,   /* --max-expand RATIO[:BYTES] */
    OPT_READER = 1u << 10,  /* -I key[=value] */
    OPT_SORT = 1u << 11,    /* --sort-keys */
    OPT_INDENT = 1u << 12,  /* --indent N, --tab */
    OPT_SELECT = 1u << 13,  /* --select PATH */
    OPT_PRETTY = 1u << 14,  /* --pretty */
    OPT_STRICT = 1u << 15,  /* --strict */
    OPT_FILTER = 1u << 16   /* -F NAME[:KEY=VALUE,...], --input-filter, --max-filter (#22) */
};

typedef struct cli {
    const char *command; /* subcommand name, for "Try 'brine convert --help'" */
    const char **plugin_paths;
    size_t plugin_path_count;
    const char **fmt_opts; /* -O items (the writer's), in order */
    size_t fmt_opt_count;
    const char **in_opts; /* -I items (the reader's), in order */
    size_t in_opt_count;
    int sort_keys;        /* --sort-keys */
    int indent;           /* --indent N; -1: not given */
    int tab;              /* --tab */
    char indent_item[24]; /* the writer option --indent/--tab became */
    const char *select;   /* --select PATH */
    int pretty;           /* --pretty */
    const char *from_name, *to_name, *out_path;
    size_t max_depth;                         /* 0: the library default */
    uint32_t expand_ratio;                    /* --max-expand; 0: the library default */
    uint64_t expand_bytes;                    /* likewise */
    const char *filter_spec;                  /* -F: convert's output filter */
    const char *in_filter_spec;               /* --input-filter, and -F of the commands that only read */
    uint32_t filter_ratio;                    /* --max-filter; 0: the library default */
    uint64_t filter_bytes;                    /* likewise */
    int quiet, progress, json, names, strict; /* strict: check and diff --strict */
    char **args;                              /* operands after the options */
    int arg_count;
    brine_registry *reg;
} cli;

/* brine.c */
int cli_parse(cli *c, int argc, char **argv, unsigned accept);
int cli_load_registry(cli *c);
void cli_free(cli *c);
int cli_help(const char *command);

/* diag.c: every message goes to stderr as "brine: ...". */
void cli_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage(cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *cli_display_name(const char *path);
void cli_format_location(char *buf, size_t cap, const brine_plugin *fmt, const brine_error *err);
void cli_report(const char *name, const brine_plugin *fmt, const brine_error *err);
void cli_oom(void);

/* formats.c */
int cmd_formats(cli *c, int argc, char **argv);
const brine_plugin *cli_format_named(cli *c, const char *name, unsigned need_cap, const char *role);
const brine_plugin *cli_format_for_name(cli *c, const char *path, unsigned need_cap);
void cli_note_shadowing(cli *c, const brine_plugin *fmt);
void cli_format_list(cli *c, unsigned need_cap, char *buf, size_t cap);
int cli_route_options(cli *c, const brine_plugin *from, const brine_plugin *to, const char ***from_items,
                      size_t *from_count, const char ***to_items, size_t *to_count);
int cli_reader_only(cli *c);
int cli_option_error(cli *c, const brine_error *err);
int cli_can(const brine_plugin *fmt, unsigned cap);

/* filter.c: a byte filter chosen on the command line or by a file's
 * name or magic, with its options and the decompression limit. */
typedef struct cli_filter {
    const brine_plugin *plugin; /* NULL: none */
    int explicit_;              /* given by -F or --input-filter ("none" included) */
    brine_options opts;         /* its items point into buf */
    const char *items[16];
    char buf[256];
} cli_filter;
int cli_filter_parse(cli *c, const char *spec, int compress, cli_filter *f);
void cli_filter_limits(const cli *c, cli_filter *f);
void cli_filter_list(cli *c, char *buf, size_t cap);

/* progress.c */
typedef struct cli_progress {
    int mode; /* 0 off, 1 automatic (tty and large), 2 forced */
    int tty;  /* stderr is a terminal: redraw one line in place */
    int active;
    const char *name;
    uint64_t in_bytes, out_bytes; /* this input's */
    uint64_t in_total;            /* this input's size; 0 when unknown (a pipe) */
    /* The decoder's source: in_bytes is what it has consumed, not what
     * was read ahead into buffers (the line then tracks the work). */
    const brine_source *src;
    /* Several inputs (cli_progress_next): the line shows them together. */
    size_t index, count;        /* this input's number from 1, of count (0: one input) */
    uint64_t done_in, done_out; /* bytes of the inputs before this one */
    uint64_t all_total;         /* all inputs' sizes; 0 when one is unknown */
    struct timespec start, last;
} cli_progress;

void cli_progress_init(cli_progress *p, const cli *c, const char *name, uint64_t in_total);
void cli_progress_all(cli_progress *p, const cli *c, size_t count, uint64_t all_total);
void cli_progress_next(cli_progress *p, const char *name, uint64_t in_total);
uint64_t cli_progress_sizes(char **paths, size_t count);
void cli_progress_tick(cli_progress *p);
void cli_progress_done(cli_progress *p);

/* input.c */
typedef struct cli_input {
    const char *path; /* as given; "-" is stdin */
    const char *name; /* for messages */
    int fd;
    int own_fd;
    unsigned char head[CLI_HEAD];
    size_t head_len, head_pos;
    uint64_t size;  /* for regular files; 0 otherwise */
    int seekable;   /* a regular file: the reader can go back (fd_head is valid) */
    off_t fd_head;  /* fd's position after the peeked bytes */
    uint64_t pos;   /* the reader's position, from the first peeked byte */
    int read_errno; /* errno of a failed read, or of cli_input_open's open */
    char why[256];  /* why cli_input_open failed */
    int keeping;    /* convert: append what is read to kept (a pipe: see CLI_KEEP_MAX) */
    int kept_over;  /* more than CLI_KEEP_MAX bytes came: kept was dropped */
    unsigned char *kept;
    size_t kept_len, kept_cap;
    size_t replay_len, replay_pos; /* a second reading: kept's bytes first */
    FILE *fp;                      /* the counting reader the source reads through */
    char *buffer;                  /* fp's buffer, CLI_READ_BUFFER bytes */
    cli_filter filter;             /* the input's byte filter (#22), if any */
    brine_source raw;              /* with a filter: the file's bytes, which src decompresses */
    unsigned char dhead[CLI_HEAD]; /* with a filter: the first decompressed bytes, for sniffing */
    size_t dhead_len;
    int early;                     /* started by cli_input_format, to peek through the filter */
    brine_source src;
    cli_progress *progress;
} cli_input;

int cli_input_open(cli_input *in, const char *path);
const brine_plugin *cli_input_format(cli *c, cli_input *in, int *status);
int cli_input_start(cli_input *in, cli_progress *progress);
void cli_input_keep(cli_input *in);
int cli_input_can_reread(const cli_input *in);
int cli_input_reread(cli_input *in, cli_progress *progress);
int cli_explain_failure(cli *c, const cli_input *in, const brine_plugin *fmt, const brine_error *err, char *buf,
                        size_t cap);
void cli_input_close(cli_input *in);

/* output.c */
typedef struct cli_output {
    const char *name; /* for messages */
    char *target;     /* file renamed over on success; NULL for stdout or direct */
    char *tmp;        /* the temporary file, while it exists */
    int fd;
    int own_fd;
    int write_errno;
    int is_pipe;        /* writes go to a pipe or socket: EPIPE ends quietly */
    unsigned char last; /* the last byte written, for the final newline */
    int holding;        /* not a file: writes go to held (see CLI_HOLD_MAX) */
    unsigned char *held;
    size_t held_len, held_cap;
    brine_output out;
    int out_ready;
    cli_filter filter;        /* with a filter (#22): out -> fout (compresses) -> raw */
    int filtered;             /* 1: fout and raw are in use; 2: out is the filter itself, into raw */
    int binary;               /* the output format is binary: no final newline, so no fout */
    brine_output fout, raw;
    brine_error fout_err;     /* what fout said when write_plain failed */
    unsigned char plain_last; /* the last byte before compression */
    cli_progress *progress;
} cli_output;

void cli_output_setup(void);
int cli_output_open(cli_output *o, const char *path, cli_progress *progress);
int cli_output_filter(cli_output *o, cli *c, const char *path, int binary);
int cli_output_commit(cli_output *o);
int cli_output_can_restart(const cli_output *o);
int cli_output_restart(cli_output *o);
void cli_output_abort(cli_output *o);
int cli_close_stdout(int status);
int cli_output_newline(cli_output *o);
int cli_pipe_closed(int e);

/* inspect.c: an input decoded into a graph (show, check, diff). */
typedef struct cli_decoded {
    cli_input in;
    const brine_plugin *fmt;
    brine_doc *doc;
    brine_error err;
    char why[320];                     /* a failure that is not the data's (open, format) */
    int unknown_format;                /* why says no format recognised the input */
    struct brine_audit_report *report; /* the format's audit, when it has one (brine/pickle.h) */
    uint64_t report_base;              /* input offset the audit's offsets count from */
    int validated;                     /* check went without a graph: doc is NULL, count and depth set */
    size_t count, depth;
} cli_decoded;

int cli_decode_input(cli *c, const char *path, cli_progress *progress, cli_decoded *d);
void cli_decoded_free(cli_decoded *d);
int cli_decoded_report(cli *c, cli_decoded *d, int rc);

/* convert.c, inspect.c, diff.c */
int cmd_convert(cli *c, int argc, char **argv);
int cmd_show(cli *c, int argc, char **argv);
int cmd_check(cli *c, int argc, char **argv);
int cmd_diff(cli *c, int argc, char **argv);

/* audit.c: the audit subcommand, and the notice show and check print when
 * a pickle would run what its value does not show (returns how many). */
struct brine_audit_report;
int cmd_audit(cli *c, int argc, char **argv);
size_t cli_audit_notice(const char *name, const struct brine_audit_report *report, uint64_t base);

#endif /* BRINE_CLI_H */
