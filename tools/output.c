/* output.c: where converted bytes go, without losing any. A file OUT is
 * written to a temporary file beside it (mkstemp, same directory so rename
 * is atomic), fsync'ed and renamed over OUT only on success; on failure or
 * on any signal whose default action ends the process the temporary file is
 * removed. Standard output and existing non-regular files (/dev/full, a
 * FIFO) are written directly, and every write error (ENOSPC, EFBIG with
 * SIGXFSZ ignored) is reported, except EPIPE on a pipe (SIGPIPE is
 * ignored): a reader that has seen enough (`| head`) ends brine quietly,
 * with status 141 (CLI_PIPE), as SIGPIPE would. Direct output is held back
 * in memory up to CLI_HOLD_MAX bytes (cli.h says why), so that a conversion
 * refused after its start can still be done again. A compressed output
 * (-F, or OUT's outer extension: x.msgpack.zst, #22) chains three outputs:
 * out (what encoders write; it notes the last plain byte for the final
 * newline) into fout (the filter) into raw (the writer above).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static mode_t saved_umask;

/* The temporary file to remove if a signal ends the process. */
static char cleanup_path[PATH_MAX];
static volatile sig_atomic_t cleanup_armed;

/* Only async-signal-safe calls: unlink, sigaction, raise. The signal stays
 * blocked while this runs, so the raised one is delivered with the default
 * action once the handler returns, and the exit status names it. */
static void on_signal(int sig)
{
    struct sigaction dfl;
    if (cleanup_armed)
        unlink(cleanup_path);
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    raise(sig);
}

/* 1 for the signals whose default action does not end the process (they
 * stop, continue or are ignored), and SIGKILL, which cannot be caught. */
static int signal_spares_process(int sig)
{
    switch (sig) {
    case SIGKILL:
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
    case SIGCONT:
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH: return 1;
    default: return 0;
    }
}

static void arm_cleanup(const char *path)
{
    cleanup_armed = 0;
    if (strlen(path) < sizeof cleanup_path) {
        strcpy(cleanup_path, path);
        cleanup_armed = 1;
    }
}

/* Makes sure descriptors 0, 1 and 2 are open, so that no file opened later
 * takes their place: a closed stdout becomes a read-only descriptor, so
 * writing to it fails (EBADF) instead of succeeding into nowhere. */
static void keep_standard_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        int got = open("/dev/null", fd == 1 ? O_RDONLY : O_WRONLY);
        if (got >= 0 && got != fd) {
            dup2(got, fd);
            close(got);
        }
    }
}

void cli_output_setup(void)
{
    keep_standard_fds();
    /* A closed pipe ends the command quietly (EPIPE, CLI_PIPE) after the
     * temporary file of any other output is removed, which a death by
     * SIGPIPE would skip; a file larger than `ulimit -f` allows (EFBIG) is
     * an error we report. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    /* Every other signal that would end the process removes the temporary
     * file first: SIGINT to SIGPROF, the synchronous ones (SIGSEGV, SIGBUS,
     * SIGABRT...) and the real-time ones. A signal already ignored (nohup,
     * a background job) stays ignored, and a handler someone else
     * installed (a sanitizer's SIGSEGV report) is kept. Numbers the C
     * library reserves for itself (between SIGSYS and SIGRTMIN) fail
     * sigaction and are left alone. */
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction old, sa;
        if (sig == SIGPIPE || sig == SIGXFSZ || signal_spares_process(sig))
            continue;
        if (sigaction(sig, NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(sig, &sa, NULL);
    }
    saved_umask = umask(0);
    umask(saved_umask);
}

static int write_direct(cli_output *o, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(o->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            o->write_errno = n < 0 ? errno : EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        if (!o->holding && o->progress) {
            o->progress->out_bytes += (uint64_t)n;
            cli_progress_tick(o->progress);
        }
    }
    return 0;
}

/* Writes what was held back, and from then on writes go straight out. */
static int release_held(cli_output *o)
{
    int rc = o->held_len ? write_direct(o, o->held, o->held_len) : 0;
    o->holding = 0;
    free(o->held);
    o->held = NULL;
    o->held_len = o->held_cap = 0;
    return rc;
}

static int write_all(void *ctx, const void *data, size_t len)
{
    cli_output *o = ctx;
    if (len)
        o->last = ((const unsigned char *)data)[len - 1];
    if (o->holding && o->held_len + len <= CLI_HOLD_MAX) {
        if (o->held_len + len > o->held_cap) {
            size_t cap = o->held_cap ? o->held_cap : 64 * 1024;
            while (cap < o->held_len + len)
                cap *= 2;
            unsigned char *p = realloc(o->held, cap);
            if (p) {
                o->held = p;
                o->held_cap = cap;
            }
        }
        if (o->held_len + len <= o->held_cap) {
            memcpy(o->held + o->held_len, data, len);
            o->held_len += len;
            if (o->progress) {
                o->progress->out_bytes += (uint64_t)len;
                cli_progress_tick(o->progress);
            }
            return 0;
        }
    }
    if (o->holding && release_held(o) != 0)
        return -1;
    return write_direct(o, data, len);
}

/* The temporary file can be rewritten in place: an encoder that learns a
 * count at the end (msgpack's top list of records) patches it there rather
 * than holding the records in memory. Its offsets count from the file's
 * first byte, which is the output's. */
static int patch_temporary(void *ctx, uint64_t offset, const void *data, size_t len)
{
    cli_output *o = ctx;
    const char *p = data;
    while (len) {
        ssize_t n = pwrite(o->fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            o->write_errno = n < 0 ? errno : EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

/* The brine_output over o: patchable when it goes to a temporary file. */
static int init_output(cli_output *o, brine_error *err)
{
    if (o->tmp)
        return brine_output_init_patchable(&o->out, write_all, patch_temporary, o, err);
    return brine_output_init_callback(&o->out, write_all, o, err);
}

/* The file that writing to path replaces. A symbolic link is followed to
 * its target, and so is a dangling one, like the shell's `>`: the link
 * stays a link and its target is written, created if it does not exist
 * yet. realpath() refuses a dangling link, so links are read here one by
 * one, relative ones against the directory of the link. NULL with errno
 * set (ELOOP after 40 links, as the kernel allows; ENOMEM). */
static char *resolve_links(const char *path)
{
    char *real = realpath(path, NULL);
    if (real)
        return real;
    char *cur = strdup(path);
    for (int hops = 0; cur; hops++) {
        struct stat st;
        char link[PATH_MAX];
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            return cur;
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n <= 0 || hops == 40) {
            free(cur);
            errno = n <= 0 ? errno : ELOOP;
            return NULL;
        }
        link[n] = '\0';
        const char *slash = strrchr(cur, '/');
        size_t dir_len = link[0] != '/' && slash ? (size_t)(slash - cur) + 1 : 0;
        char *next = malloc(dir_len + (size_t)n + 1);
        if (next)
            sprintf(next, "%.*s%s", (int)dir_len, cur, link);
        free(cur);
        cur = next;
    }
    errno = ENOMEM;
    return NULL;
}

/* Creates the temporary file for target (a regular file or a new name):
 * ".NAME.XXXXXX" in target's directory, with target's permissions if it
 * exists, else the ones a new file would get. */
static int open_temporary(cli_output *o)
{
    const char *slash = strrchr(o->target, '/');
    size_t dir_len = slash ? (size_t)(slash - o->target) + 1 : 0;
    const char *base = o->target + dir_len;
    o->tmp = malloc(dir_len + strlen(base) + 9);
    if (!o->tmp) {
        cli_oom();
        return CLI_FAIL;
    }
    sprintf(o->tmp, "%.*s.%s.XXXXXX", (int)dir_len, o->target, base);
    o->fd = mkostemp(o->tmp, O_CLOEXEC);
    if (o->fd < 0) {
        int e = errno;
        cli_msg("%s: cannot create a temporary file in %.*s: %s", o->name, dir_len ? (int)dir_len : 1,
                dir_len ? o->target : ".", strerror(e));
        free(o->tmp);
        o->tmp = NULL;
        return CLI_FAIL;
    }
    o->own_fd = 1;
    arm_cleanup(o->tmp);
    struct stat st;
    if (stat(o->target, &st) == 0) {
        if (fchown(o->fd, st.st_uid, st.st_gid) != 0) {
            /* Not the owner: the new file is ours, like any rewrite. */
        }
        /* The permission bits only: a set-user-ID, set-group-ID or sticky
         * bit describes the old file (a program, a shared directory's
         * rule), never the data brine writes, like cp without -p. */
        fchmod(o->fd, st.st_mode & 0777);
    } else {
        fchmod(o->fd, 0666 & ~saved_umask);
    }
    return CLI_OK;
}

/* Plain bytes on their way to the compressor. */
static int write_plain(void *ctx, const void *data, size_t len)
{
    cli_output *o = ctx;
    if (len)
        o->plain_last = ((const unsigned char *)data)[len - 1];
    return brine_output_write(&o->fout, data, len, &o->fout_err) == BRINE_OK ? 0 : -1;
}

/* Puts the filter of o->filter between out and the file: out becomes raw. */
static int wrap_filter(cli_output *o)
{
    brine_error err;
    o->raw = o->out;
    if (o->binary) {
        /* No newline to add at the end: the encoder writes into the filter
         * itself, and can tell that it compresses (brine_output_filtered:
         * joblib then writes its arrays as not mappable). */
        if (brine_output_init_filter(&o->out, o->filter.plugin, &o->filter.opts, &o->raw, &err) != BRINE_OK) {
            o->out = o->raw;
            cli_msg("%s: %s", o->name, err.message);
            return CLI_FAIL;
        }
        o->plain_last = '\n';
        o->filtered = 2;
        return CLI_OK;
    }
    if (brine_output_init_filter(&o->fout, o->filter.plugin, &o->filter.opts, &o->raw, &err) != BRINE_OK) {
        cli_msg("%s: %s", o->name, err.message);
        return CLI_FAIL;
    }
    if (brine_output_init_callback(&o->out, write_plain, o, &err) != BRINE_OK) {
        brine_output_destroy(&o->fout);
        cli_oom();
        return CLI_FAIL;
    }
    brine_error_clear(&o->fout_err);
    o->plain_last = '\n';
    o->filtered = 1;
    return CLI_OK;
}

/* Destroys out, and with a filter fout and raw. */
static void outputs_destroy(cli_output *o)
{
    brine_output_destroy(&o->out);
    if (o->filtered) {
        if (o->filtered == 1)
            brine_output_destroy(&o->fout);
        brine_output_destroy(&o->raw);
        o->filtered = 0;
    }
}

/* Flushes out and, with a filter, ends the compressed stream. */
static int outputs_finish(cli_output *o, brine_error *err)
{
    if (o->filtered == 2)
        return brine_output_finish(&o->out, err);
    int rc = brine_output_flush(&o->out, err);
    if (o->filtered && o->fout_err.code) {
        *err = o->fout_err;
        return err->code;
    }
    if (rc || !o->filtered)
        return rc;
    return brine_output_finish(&o->fout, err);
}

int cli_output_filter(cli_output *o, cli *c, const char *path, int binary)
{
    o->binary = binary;
    if (c->filter_spec) {
        if (cli_filter_parse(c, c->filter_spec, 1, &o->filter) != CLI_OK) {
            cli_output_abort(o);
            return CLI_USAGE;
        }
    } else if (path && strcmp(path, "-") != 0) {
        o->filter.plugin = brine_registry_find_filter_extension(c->reg, path, NULL);
    }
    if (!o->filter.plugin)
        return CLI_OK;
    int rc = wrap_filter(o);
    if (rc != CLI_OK)
        cli_output_abort(o);
    return rc;
}

int cli_output_open(cli_output *o, const char *path, cli_progress *progress)
{
    brine_error err;
    memset(o, 0, sizeof *o);
    o->progress = progress;
    o->fd = 1;
    o->name = "<stdout>";
    o->last = '\n'; /* nothing written: no newline to add */
    if (path && strcmp(path, "-") != 0) {
        struct stat st;
        o->name = path;
        /* A device or FIFO cannot be replaced by a rename: write it. The
         * path is opened as given, so that a magic link such as
         * /dev/stdout (which names no file) still reaches its pipe. */
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
            if (S_ISDIR(st.st_mode)) {
                cli_msg("%s: %s", o->name, strerror(EISDIR));
                return CLI_FAIL;
            }
            o->fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
            if (o->fd < 0) {
                cli_msg("%s: %s", o->name, strerror(errno));
                return CLI_FAIL;
            }
            o->own_fd = 1;
        } else if (!(o->target = resolve_links(path))) {
            if (errno == ENOMEM)
                cli_oom();
            else
                cli_msg("%s: %s", o->name, strerror(errno));
            return CLI_FAIL;
        } else if (open_temporary(o) != CLI_OK) {
            cli_output_abort(o);
            return CLI_FAIL;
        }
    }
    struct stat st;
    o->is_pipe = !o->tmp && fstat(o->fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
    o->holding = !o->tmp;
    brine_error_clear(&err);
    if (init_output(o, &err) != BRINE_OK) {
        cli_oom();
        cli_output_abort(o);
        return CLI_FAIL;
    }
    o->out_ready = 1;
    return CLI_OK;
}

static void sync_directory(const char *target)
{
    const char *slash = strrchr(target, '/');
    char *dir = slash ? strndup(target, (size_t)(slash - target) + 1) : strdup(".");
    if (!dir)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd); /* best effort: some file systems refuse it */
        close(fd);
    }
    free(dir);
}

/* Ends text output with a newline, as jq and python -m json.tool do, when
 * something was written and its last byte is not one already. */
int cli_output_newline(cli_output *o)
{
    brine_error err;
    unsigned char last = o->filtered ? o->plain_last : o->last;
    if (brine_output_total(&o->out) == 0 && last == '\n')
        return CLI_OK;
    if (brine_output_flush(&o->out, &err) != BRINE_OK)
        return CLI_FAIL; /* reported by cli_output_commit */
    last = o->filtered ? o->plain_last : o->last;
    if (last != '\n' && brine_output_total(&o->out))
        brine_output_put(&o->out, "\n", 1, &err);
    return CLI_OK;
}

/* 1 if a write error e means the reader of a pipe went away. */
int cli_pipe_closed(int e)
{
    return e == EPIPE;
}

int cli_output_commit(cli_output *o)
{
    brine_error err;
    brine_error_clear(&err);
    if (outputs_finish(o, &err) != BRINE_OK || (o->holding && release_held(o) != 0)) {
        if (!err.code)
            brine_error_set(&err, BRINE_E_IO, "write error");
        if (o->is_pipe && cli_pipe_closed(o->write_errno)) {
            cli_output_abort(o);
            return CLI_PIPE;
        }
        cli_msg("%s: write error: %s", o->name, o->write_errno ? strerror(o->write_errno) : err.message);
        cli_output_abort(o);
        return CLI_FAIL;
    }
    outputs_destroy(o);
    o->out_ready = 0;
    if (o->tmp && fsync(o->fd) != 0) {
        cli_msg("%s: cannot sync to disk: %s", o->name, strerror(errno));
        cli_output_abort(o);
        return CLI_FAIL;
    }
    if (o->own_fd) {
        int rc = close(o->fd);
        o->own_fd = 0;
        if (rc != 0) {
            cli_msg("%s: write error: %s", o->name, strerror(errno));
            cli_output_abort(o);
            return CLI_FAIL;
        }
    }
    if (o->tmp) {
        if (rename(o->tmp, o->target) != 0) {
            cli_msg("%s: cannot replace it: %s", o->name, strerror(errno));
            cli_output_abort(o);
            return CLI_FAIL;
        }
        cleanup_armed = 0;
        free(o->tmp);
        o->tmp = NULL;
        sync_directory(o->target);
    }
    free(o->target);
    o->target = NULL;
    return CLI_OK;
}

/* 1 if nothing has reached the output yet (a temporary file, or all of it
 * still held), so a conversion can start it again. */
int cli_output_can_restart(const cli_output *o)
{
    return o->tmp != NULL || o->holding;
}

/* Drops what was written so far (cli_output_can_restart said it can). */
int cli_output_restart(cli_output *o)
{
    brine_error err;
    cli_filter filter = o->filter; /* its pointers lead into o->filter, where it goes back */
    if (o->tmp) {
        const char *name = o->name; /* the caller's string */
        cli_progress *progress = o->progress;
        cli_output_abort(o);
        int rc = cli_output_open(o, name, progress);
        if (rc != CLI_OK || !filter.plugin)
            return rc;
        o->filter = filter;
        if ((rc = wrap_filter(o)) != CLI_OK)
            cli_output_abort(o);
        return rc;
    }
    outputs_destroy(o);
    o->out_ready = 0;
    o->held_len = 0;
    o->last = '\n';
    if (o->progress)
        o->progress->out_bytes = 0;
    brine_error_clear(&err);
    if (init_output(o, &err) != BRINE_OK) {
        cli_oom();
        cli_output_abort(o);
        return CLI_FAIL;
    }
    o->out_ready = 1;
    if (filter.plugin) {
        o->filter = filter;
        if (wrap_filter(o) != CLI_OK) {
            cli_output_abort(o);
            return CLI_FAIL;
        }
    }
    return CLI_OK;
}

void cli_output_abort(cli_output *o)
{
    free(o->held);
    o->held = NULL;
    o->held_len = o->held_cap = 0;
    o->holding = 0;
    if (o->out_ready)
        outputs_destroy(o);
    o->out_ready = 0;
    if (o->own_fd)
        close(o->fd);
    o->own_fd = 0;
    if (o->tmp) {
        unlink(o->tmp);
        cleanup_armed = 0;
        free(o->tmp);
        o->tmp = NULL;
    }
    free(o->target);
    o->target = NULL;
}

/* Flushes and closes stdout: output lost there (a full disk, a closed pipe)
 * is an error too. */
int cli_close_stdout(int status)
{
    if (status == CLI_PIPE) { /* known already: close quietly */
        fclose(stdout);
        return CLI_PIPE;
    }
    int failed = fflush(stdout) != 0 || ferror(stdout);
    int e = errno;
    if (fclose(stdout) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    if (failed && cli_pipe_closed(e))
        return CLI_PIPE;
    if (failed) {
        cli_msg("<stdout>: write error: %s", strerror(e));
        return CLI_FAIL;
    }
    return CLI_OK;
}
