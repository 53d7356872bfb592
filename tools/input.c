/* input.c: opening an input (a file or stdin), peeking its first bytes so a
 * format can be recognised without seeking (pipes cannot), then handing the
 * decoder a brine_source that reads through a counting stream: it replays
 * the peeked bytes, then reads the descriptor, and feeds the progress line.
 * So stdin streams like a file and offsets count from the first byte. A
 * regular file's stream can also seek back (the native reader verifies its
 * checksum in a first pass), a pipe's cannot; for convert, a pipe's first
 * CLI_KEEP_MAX bytes are kept, so that it can be read once more. A
 * compressed input (#22) goes through a byte filter, chosen before the
 * format: -F or --input-filter, else the file's outer extension (x.json.gz),
 * else the magic of its first bytes; zlib and lzma, whose magic is weak,
 * only when the format is known and its sniff rejects the raw bytes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Opens path ("-": stdin) and peeks at its first bytes. CLI_FAIL with the
 * reason in in->why (for the caller to word) if it cannot. */
int cli_input_open(cli_input *in, const char *path)
{
    memset(in, 0, sizeof *in);
    in->path = path;
    in->name = cli_display_name(path);
    in->fd = 0;
    if (strcmp(path, "-") != 0) {
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0) {
            in->read_errno = errno;
            snprintf(in->why, sizeof in->why, "%s", strerror(errno));
            return CLI_FAIL;
        }
        in->own_fd = 1;
    }
    struct stat st;
    if (fstat(in->fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            snprintf(in->why, sizeof in->why, "%s", strerror(EISDIR));
            cli_input_close(in);
            return CLI_FAIL;
        }
        if (S_ISREG(st.st_mode))
            in->size = (uint64_t)st.st_size;
    }
    while (in->head_len < CLI_HEAD) {
        ssize_t n = read(in->fd, in->head + in->head_len, CLI_HEAD - in->head_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(in->why, sizeof in->why, "read error: %s", strerror(errno));
            cli_input_close(in);
            return CLI_FAIL;
        }
        if (n == 0)
            break;
        in->head_len += (size_t)n;
    }
    if (in->size || (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode))) {
        in->fd_head = lseek(in->fd, 0, SEEK_CUR);
        in->seekable = in->fd_head >= 0;
    }
    return CLI_OK;
}

/* Starts reading early, through the filter, and keeps the first
 * decompressed bytes for sniffing the format (cli_input_start then finds
 * the input started). A stream that fails here fails again, with its
 * message, when the decoder reads it. */
static int peek_filtered(cli_input *in)
{
    if (cli_input_start(in, NULL) != CLI_OK)
        return CLI_FAIL;
    in->early = 1;
    brine_source_more(&in->src, CLI_HEAD, NULL);
    in->dhead_len = (size_t)(in->src.end - in->src.cur);
    if (in->dhead_len > CLI_HEAD)
        in->dhead_len = CLI_HEAD;
    memcpy(in->dhead, in->src.cur, in->dhead_len);
    return CLI_OK;
}

/* The filter of the input: explicit, else by extension, else by strong
 * magic; *stem_len is the length of the name that tells the format. */
static int input_filter(cli *c, cli_input *in, size_t *stem_len)
{
    *stem_len = strlen(in->path);
    if (c->in_filter_spec)
        return cli_filter_parse(c, c->in_filter_spec, 0, &in->filter);
    cli_filter_limits(c, &in->filter);
    if (strcmp(in->path, "-") != 0)
        in->filter.plugin = brine_registry_find_filter_extension(c->reg, in->path, stem_len);
    if (!in->filter.plugin)
        in->filter.plugin = brine_registry_sniff_filter(c->reg, in->head, in->head_len, NULL);
    return CLI_OK;
}

/* The input format: -f, else the file's extension (the one before a
 * filter's), else recognised from the (decompressed) first bytes. NULL
 * with *status CLI_USAGE after a message (an unknown or unsuitable -f or
 * filter), or -1 when nothing tells (the caller words that). */
const brine_plugin *cli_input_format(cli *c, cli_input *in, int *status)
{
    const brine_plugin *fmt;
    size_t stem_len;
    if (input_filter(c, in, &stem_len) != CLI_OK) {
        *status = CLI_USAGE;
        return NULL;
    }
    if (c->from_name) {
        fmt = cli_format_named(c, c->from_name, BRINE_CAP_DECODE, "input");
        if (!fmt) {
            *status = CLI_USAGE;
            return NULL;
        }
    } else {
        fmt = cli_format_for_name(c, in->path, BRINE_CAP_DECODE);
    }
    /* A raw zlib or lzma stream under a known format that refuses the raw
     * bytes: joblib's compress='zlib' files (x.joblib, x.pkl). */
    if (fmt && !in->filter.plugin && !in->filter.explicit_)
        in->filter.plugin = brine_registry_sniff_filter(c->reg, in->head, in->head_len, fmt);
    if (!fmt) {
        /* Only here, when neither -f nor the extension decides: a sniff
         * function is plugin code, and one that crashes must not take down
         * the commands that never needed it. */
        if (in->filter.plugin && peek_filtered(in) != CLI_OK) {
            *status = CLI_FAIL;
            return NULL;
        }
        fmt = in->filter.plugin ? brine_registry_sniff(c->reg, in->dhead, in->dhead_len)
                                : brine_registry_sniff(c->reg, in->head, in->head_len);
        if (fmt && !cli_can(fmt, BRINE_CAP_DECODE))
            fmt = NULL;
        cli_note_shadowing(c, fmt);
    }
    (void)stem_len;
    *status = fmt ? CLI_OK : -1;
    return fmt;
}

/* A clearer message than the decoder's for a decoding failure that is not
 * the data's fault in the decoder's sense: an empty input ("empty input"),
 * or a file whose extension chose fmt while its first bytes look like
 * another format ("looks like json; use -f json"). The sniff runs only
 * here, after a failure, for the reason cli_input_format gives. Returns 1
 * with the message in buf, or 0. */
int cli_explain_failure(cli *c, const cli_input *in, const brine_plugin *fmt, const brine_error *err, char *buf,
                        size_t cap)
{
    if (err->code == BRINE_E_NOMEM || err->code == BRINE_E_IO || err->code == BRINE_E_OPTION || in->read_errno)
        return 0;
    if (in->head_len == 0) {
        snprintf(buf, cap, "empty input (the %s reader needs a value)", fmt ? fmt->name : "format's");
        return 1;
    }
    /* Only a malformed-input error can mean the wrong reader; a value the
     * writer cannot represent (a conversion's other half) says nothing of
     * the input's format. */
    int malformed = err->code == BRINE_E_SYNTAX || err->code == BRINE_E_TRUNCATED || err->code == BRINE_E_CORRUPT ||
                    err->code == BRINE_E_VERSION || err->code == BRINE_E_UTF8;
    if (!malformed || c->from_name || !fmt || cli_format_for_name(c, in->path, BRINE_CAP_DECODE) != fmt ||
        in->filter.plugin)
        return 0;
    const brine_plugin *seen = brine_registry_sniff(c->reg, in->head, in->head_len);
    if (!seen || seen == fmt || !cli_can(seen, BRINE_CAP_DECODE))
        return 0;
    snprintf(buf, cap, "looks like %s, not %s as its extension says; use -f %s (the %s reader said: %s)", seen->name,
             fmt->name, seen->name, fmt->name, err->message[0] ? err->message : brine_strerror(err->code));
    return 1;
}

/* Appends what was read to kept while it fits in CLI_KEEP_MAX; past that,
 * drops it (the input cannot be read again). */
static void keep(cli_input *in, const char *buf, size_t n)
{
    if (in->kept_len + n > CLI_KEEP_MAX) {
        free(in->kept);
        in->kept = NULL;
        in->kept_len = in->kept_cap = 0;
        in->keeping = 0;
        in->kept_over = 1;
        return;
    }
    if (in->kept_len + n > in->kept_cap) {
        size_t cap = in->kept_cap ? in->kept_cap : CLI_READ_BUFFER;
        while (cap < in->kept_len + n)
            cap *= 2;
        unsigned char *p = realloc(in->kept, cap);
        if (!p) { /* then it cannot be read again, as a long pipe */
            in->kept_len = CLI_KEEP_MAX;
            keep(in, buf, n);
            return;
        }
        in->kept = p;
        in->kept_cap = cap;
    }
    memcpy(in->kept + in->kept_len, buf, n);
    in->kept_len += n;
}

static ssize_t counting_read(void *cookie, char *buf, size_t size)
{
    cli_input *in = cookie;
    ssize_t n;
    if (in->replay_pos < in->replay_len) {
        size_t left = in->replay_len - in->replay_pos;
        n = (ssize_t)(left < size ? left : size);
        memcpy(buf, in->kept + in->replay_pos, (size_t)n);
        in->replay_pos += (size_t)n;
    } else if (in->head_pos < in->head_len) {
        size_t left = in->head_len - in->head_pos;
        n = (ssize_t)(left < size ? left : size);
        memcpy(buf, in->head + in->head_pos, (size_t)n);
        in->head_pos += (size_t)n;
    } else {
        do
            n = read(in->fd, buf, size);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            in->read_errno = errno;
            return -1;
        }
    }
    if (in->keeping && n > 0)
        keep(in, buf, (size_t)n);
    in->pos += (uint64_t)n;
    if (in->progress) {
        if (!in->progress->src)
            in->progress->in_bytes += (uint64_t)n;
        cli_progress_tick(in->progress); /* which reads the decoder's position */
    }
    return n;
}

/* Seeking a regular file: positions below head_len replay the peeked
 * bytes, the others map to the descriptor past them. */
static int counting_seek(void *cookie, off64_t *offset, int whence)
{
    cli_input *in = cookie;
    off64_t to = whence == SEEK_SET ? *offset : whence == SEEK_CUR ? (off64_t)in->pos + *offset : -1;
    if (!in->seekable || to < 0) {
        errno = in->seekable ? EINVAL : ESPIPE;
        return -1;
    }
    uint64_t at = (uint64_t)to;
    off_t fd_to = in->fd_head + (off_t)(at > in->head_len ? at - in->head_len : 0);
    if (lseek(in->fd, fd_to, SEEK_SET) != fd_to)
        return -1;
    in->head_pos = at < in->head_len ? (size_t)at : in->head_len;
    in->pos = at;
    if (in->progress)
        in->progress->in_bytes = at; /* a second pass counts from where it starts */
    *offset = to;
    return 0;
}

int cli_input_start(cli_input *in, cli_progress *progress)
{
    static const cookie_io_functions_t io = {.read = counting_read, .seek = counting_seek};
    in->progress = progress;
    if (in->fp && in->early) {
        in->early = 0; /* started by peek_filtered: count from here on */
        if (progress)
            progress->in_bytes = in->pos;
        return CLI_OK;
    }
    in->fp = fopencookie(in, "r", io);
    if (!in->fp) {
        cli_oom();
        return CLI_FAIL;
    }
    /* glibc's cookie streams read through their buffer whatever the
     * request: make it large so each read(2) fetches a lot (unbuffered
     * would mean one byte per call). */
    in->buffer = malloc(CLI_READ_BUFFER);
    if (in->buffer)
        setvbuf(in->fp, in->buffer, _IOFBF, CLI_READ_BUFFER);
    if (!in->filter.plugin) {
        brine_source_init_file(&in->src, in->fp);
        if (progress)
            progress->src = &in->src;
        return CLI_OK;
    }
    brine_error err;
    brine_source_init_file(&in->raw, in->fp);
    if (brine_source_init_filter(&in->src, in->filter.plugin, &in->filter.opts, &in->raw, &err) != BRINE_OK) {
        cli_msg("%s: %s", in->name, err.message);
        return CLI_FAIL;
    }
    /* The progress of a compressed input is the compressed bytes the
     * filter consumed: in->size is the file's size. */
    if (progress)
        progress->src = &in->raw;
    return CLI_OK;
}

/* Frees the sources (not the stream they read). */
static void input_sources_destroy(cli_input *in)
{
    brine_source_destroy(&in->src);
    if (in->filter.plugin)
        brine_source_destroy(&in->raw);
}

/* Convert's input may have to be read again (a repeated dict key): a
 * regular file can, a pipe keeps what it gives from here on. */
void cli_input_keep(cli_input *in)
{
    in->keeping = !in->seekable;
    if (in->keeping && in->fp)
        in->kept_over = 1; /* peek_filtered read some already: a pipe cannot start over */
}

/* 1 if the input can be read again from its first byte. */
int cli_input_can_reread(const cli_input *in)
{
    return in->seekable || (in->keeping && !in->kept_over);
}

/* Starts reading the input again from its first byte (cli_input_can_reread
 * said it can): a file from its start, a pipe from what it kept, then on. */
int cli_input_reread(cli_input *in, cli_progress *progress)
{
    if (in->fp) {
        input_sources_destroy(in);
        fclose(in->fp);
        in->fp = NULL;
    }
    free(in->buffer);
    in->buffer = NULL;
    if (in->seekable) {
        if (lseek(in->fd, in->fd_head, SEEK_SET) != in->fd_head) {
            in->read_errno = errno;
            return CLI_FAIL;
        }
        in->head_pos = 0;
    } else {
        /* kept holds the peeked bytes too: they were read through it. */
        in->keeping = 0;
        in->replay_len = in->kept_len;
        in->replay_pos = 0;
    }
    in->pos = 0;
    in->read_errno = 0;
    if (progress)
        progress->in_bytes = 0;
    return cli_input_start(in, progress);
}

void cli_input_close(cli_input *in)
{
    if (in->progress && in->progress->src == &in->src)
        in->progress->src = NULL; /* its last position stays in in_bytes */
    free(in->kept);
    in->kept = NULL;
    in->kept_len = in->kept_cap = in->replay_len = in->replay_pos = 0;
    if (in->fp) {
        input_sources_destroy(in);
        fclose(in->fp);
        in->fp = NULL;
    }
    free(in->buffer);
    in->buffer = NULL;
    if (in->own_fd && in->fd >= 0)
        close(in->fd);
    in->own_fd = 0;
    in->fd = -1;
}
