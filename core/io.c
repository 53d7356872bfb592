/* io.c: byte sources (a window [cur, end) over a buffer, FILE * or file
 * descriptor, or a pulling source of filter.c, refilled on demand) and
 * outputs (free space [cur, end) drained to memory, a FILE *, a
 * descriptor, a callback or a filter of filter.c). Decoders and encoders do
 * plain pointer arithmetic; only window edges come here. A source's memory
 * grows with the bytes that actually arrive, never with a declared length. */
#define _FILE_OFFSET_BITS 64
#define _GNU_SOURCE /* fallocate */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "dtype.h"

enum { SOURCE_CHUNK = 64 * 1024, OUTPUT_CHUNK = 64 * 1024 };
enum { OUT_BUFFER = 1, OUT_FILE, OUT_FD, OUT_CALLBACK, OUT_PATCHABLE, OUT_FILTER };

/* A patchable callback output's callbacks, in its ctx_ (brine_output keeps
 * its size: docs/abi.md, rule 4). */
typedef struct output_patcher {
    brine_write_fn write;
    brine_patch_fn patch;
    void *ctx;
} output_patcher;

/* ---- sources ------------------------------------------------------------ */

void brine_source_init_buffer(brine_source *src, const void *data, size_t len)
{
    memset(src, 0, sizeof *src);
    src->start = src->cur = data;
    src->end = src->cur + len;
    src->fd_ = -1;
    src->eof_ = 1;
}

static void source_init_stream(brine_source *src, FILE *fp, int fd)
{
    memset(src, 0, sizeof *src);
    src->fp_ = fp;
    src->fd_ = fd;
}

void brine_source_init_file(brine_source *src, FILE *fp)
{
    source_init_stream(src, fp, -1);
}

void brine_source_init_fd(brine_source *src, int fd)
{
    source_init_stream(src, NULL, fd);
}

static int is_pull(const brine_source *src)
{
    return src->fd_ == BRINEP_PULL_FD;
}

void brine_source_destroy(brine_source *src)
{
    if (!src)
        return;
    if (is_pull(src)) {
        brinep_pull_free(src->pull_);
        src->pull_ = NULL;
        src->fd_ = -1;
        src->eof_ = 1;
    }
    brine_free(src->buf_);
    src->buf_ = NULL;
    src->cap_ = 0;
}

/* Reads what the stream has into [p, p+room): the count, 0 at end of input,
 * or -1 on error (-status for a pulling source, which has filled err). */
static long source_read(brine_source *src, unsigned char *p, size_t room, brine_error *err)
{
    if (is_pull(src))
        return brinep_pull_read(src, p, room, err);
    if (src->fp_) {
        size_t n = fread(p, 1, room, src->fp_);
        if (n == 0 && ferror(src->fp_))
            return -1;
        return (long)n;
    }
    for (;;) {
        ssize_t n = read(src->fd_, p, room);
        if (n >= 0)
            return (long)n;
        if (errno != EINTR)
            return -1;
    }
}

/* Moves the unread bytes to the front of the window buffer. */
static void source_compact(brine_source *src)
{
    size_t keep = (size_t)(src->end - src->cur);
    src->base += (uint64_t)(src->cur - src->start);
    if (keep && src->cur != src->buf_)
        memmove(src->buf_, src->cur, keep);
    src->start = src->cur = src->buf_;
    src->end = src->buf_ + keep;
}

/* Reads until at least need bytes are available or the input ends. Grows
 * the buffer only when it is full of bytes that arrived. */
static int source_fill(brine_source *src, size_t need, int to_end, brine_error *err)
{
    if (!src->buf_ && !src->eof_) {
        src->buf_ = brine_malloc(SOURCE_CHUNK);
        if (!src->buf_)
            return brinep_nomem(err);
        src->cap_ = SOURCE_CHUNK;
        src->start = src->cur = src->end = src->buf_;
    }
    if (src->buf_)
        source_compact(src);
    while (!src->eof_ && (to_end || (size_t)(src->end - src->cur) < need)) {
        size_t used = (size_t)(src->end - src->buf_);
        if (used == src->cap_) {
            size_t cap = src->cap_ * 2;
            unsigned char *buf;
            if (cap < src->cap_ || !(buf = brine_realloc(src->buf_, cap)))
                return brinep_nomem(err);
            src->buf_ = buf;
            src->cap_ = cap;
            src->start = src->cur = buf;
            src->end = buf + used;
        }
        long n = source_read(src, src->buf_ + used, src->cap_ - used, err);
        if (n < 0 && is_pull(src))
            return (int)-n;
        if (n < 0)
            return brine_error_set_at(err, BRINE_E_IO, brine_source_offset(src) + used, "read error: %s",
                                      strerror(errno));
        if (n == 0)
            src->eof_ = 1;
        src->end += n;
    }
    return BRINE_OK;
}

int brine_source_more(brine_source *src, size_t need, brine_error *err)
{
    if ((size_t)(src->end - src->cur) >= need)
        return BRINE_OK;
    if (!src->eof_) {
        int rc = source_fill(src, need, 0, err);
        if (rc)
            return rc;
        if ((size_t)(src->end - src->cur) >= need)
            return BRINE_OK;
    }
    uint64_t at = src->base + (uint64_t)(src->end - src->start);
    return brine_error_set_at(err, BRINE_E_TRUNCATED, at, "unexpected end of input at byte %llu",
                              (unsigned long long)at);
}

int brine_source_read_all(brine_source *src, brine_error *err)
{
    return src->eof_ ? BRINE_OK : source_fill(src, 0, 1, err);
}

int brine_source_at_end(brine_source *src)
{
    if (src->cur < src->end)
        return 0;
    if (!src->eof_ && source_fill(src, 1, 0, NULL) != BRINE_OK)
        return 0; /* a read error: let the caller's next read report it */
    return src->cur == src->end;
}

int brine_source_can_rewind(brine_source *src)
{
    struct stat st;
    if (is_pull(src))
        return 0; /* what a callback or filter gave is gone */
    if (!src->fp_ && src->fd_ < 0)
        return 1; /* a buffer: every byte stays in the window */
    int fd = src->fp_ ? fileno(src->fp_) : src->fd_;
    if (fd >= 0) {
        /* Not a device: /dev/urandom seeks, but never ends nor repeats. */
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
            return 0;
        return src->fp_ ? ftello(src->fp_) >= 0 : lseek(fd, 0, SEEK_CUR) >= 0;
    }
    return ftello(src->fp_) >= 0;
}

int brine_source_rewind(brine_source *src, uint64_t offset, brine_error *err)
{
    uint64_t now = brine_source_offset(src);
    if (offset > now)
        return brine_error_set(err, BRINE_E_INVALID, "cannot rewind from offset %llu forward to %llu",
                               (unsigned long long)now, (unsigned long long)offset);
    if (offset >= src->base) {
        src->cur = src->start + (size_t)(offset - src->base);
        return BRINE_OK;
    }
    if (is_pull(src))
        return brine_error_set_at(err, BRINE_E_IO, offset, "cannot go back to offset %llu: the input is not a file",
                                  (unsigned long long)offset);
    /* The stream's position is that of the window's end: step back from it. */
    uint64_t back = src->base + (uint64_t)(src->end - src->start) - offset;
    off_t pos = src->fp_ ? ftello(src->fp_) : lseek(src->fd_, 0, SEEK_CUR);
    int moved = 0;
    if (pos >= 0 && (uint64_t)pos < back)
        errno = EINVAL; /* someone else moved the stream */
    else if (pos >= 0) {
        pos -= (off_t)back;
        moved = src->fp_ ? fseeko(src->fp_, pos, SEEK_SET) == 0 : lseek(src->fd_, pos, SEEK_SET) == pos;
    }
    if (!moved)
        return brine_error_set_at(err, BRINE_E_IO, offset, "cannot go back to offset %llu: %s",
                                  (unsigned long long)offset, strerror(errno));
    if (src->fp_)
        clearerr(src->fp_);
    src->base = offset;
    src->start = src->cur = src->end = src->buf_;
    src->eof_ = 0;
    return BRINE_OK;
}

/* ---- views ------------------------------------------------------------- */

/* Blocks smaller than this are copied through the window: a mapping costs
 * two system calls and page-table work that only pays on large arrays. */
enum { VIEW_MAP_MIN = 1 << 20 };

/* Maps [cur, cur + len) of a regular file and moves the stream past it.
 * Returns 1 when mapped, 0 when the caller should read through the window
 * (not a regular file, too short, or mapping failed). Measured on 10^7
 * float64 from the page cache: reading through the window copied every byte
 * twice (read() into the window, then the builder's copy into the
 * document) and took 3.3-3.5x numpy.load; the mapping leaves the one copy,
 * 0.64-1.05x numpy.load (make bench-npy). */
static int view_map(brine_source *src, size_t len, brine_view *view)
{
    if (is_pull(src))
        return 0;
    int fd = src->fp_ ? fileno(src->fp_) : src->fd_;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    off_t pos = src->fp_ ? ftello(src->fp_) : lseek(fd, 0, SEEK_CUR);
    size_t ahead = (size_t)(src->end - src->cur); /* read into the window past cur */
    if (pos < 0 || (uint64_t)pos < ahead)
        return 0;
    uint64_t at = (uint64_t)pos - ahead; /* cur's position in the file */
    if ((uint64_t)st.st_size < at || (uint64_t)st.st_size - at < len)
        return 0; /* the window's path reports the truncation at its offset */
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        return 0;
    uint64_t off = at - at % (uint64_t)page;
    size_t delta = (size_t)(at - off);
    if (len > SIZE_MAX - delta)
        return 0;
    int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
    flags |= MAP_POPULATE; /* one call fills the page tables, not a fault per page */
#endif
    void *map = mmap(NULL, len + delta, PROT_READ, flags, fd, (off_t)off);
    if (map == MAP_FAILED)
        return 0;
    /* The stream goes on after the block: seek there, and empty the window. */
    off_t next = (off_t)(at + len);
    int moved = src->fp_ ? fseeko(src->fp_, next, SEEK_SET) == 0 : lseek(fd, next, SEEK_SET) == next;
    if (!moved) {
        munmap(map, len + delta);
        return 0;
    }
    src->base = brine_source_offset(src) + len;
    src->start = src->cur = src->end = src->buf_;
    view->data = (unsigned char *)map + delta;
    view->len = len;
    view->map_ = map;
    view->map_len_ = len + delta;
    return 1;
}

int brine_source_view(brine_source *src, size_t len, brine_view *view, brine_error *err)
{
    memset(view, 0, sizeof *view);
    if (len >= VIEW_MAP_MIN && !src->eof_ && (size_t)(src->end - src->cur) < len && view_map(src, len, view))
        return BRINE_OK;
    int rc = brine_source_need(src, len, err);
    if (rc)
        return rc;
    view->data = src->cur;
    view->len = len;
    src->cur += len;
    return BRINE_OK;
}

void brine_view_release(brine_view *view)
{
    if (view && view->map_)
        munmap(view->map_, view->map_len_);
    if (view)
        memset(view, 0, sizeof *view);
}

/* ---- outputs ------------------------------------------------------------ */

static int output_init(brine_output *out, int kind, brine_error *err)
{
    memset(out, 0, sizeof *out);
    out->kind_ = kind;
    out->fd_ = -1;
    out->buf_ = brine_malloc(OUTPUT_CHUNK);
    if (!out->buf_) {
        out->status_ = BRINE_E_NOMEM;
        return brinep_nomem(err);
    }
    out->cap_ = OUTPUT_CHUNK;
    out->cur = out->buf_;
    out->end = out->buf_ + out->cap_;
    return BRINE_OK;
}

int brine_output_init_buffer(brine_output *out, brine_error *err)
{
    brinep_enter(err);
    return output_init(out, OUT_BUFFER, err);
}

int brine_output_init_file(brine_output *out, FILE *fp, brine_error *err)
{
    brinep_enter(err);
    int rc = output_init(out, OUT_FILE, err);
    out->fp_ = fp;
    return rc;
}

int brine_output_init_fd(brine_output *out, int fd, brine_error *err)
{
    brinep_enter(err);
    int rc = output_init(out, OUT_FD, err);
    out->fd_ = fd;
    return rc;
}

int brine_output_init_callback(brine_output *out, brine_write_fn write_fn, void *ctx, brine_error *err)
{
    brinep_enter(err);
    int rc = output_init(out, OUT_CALLBACK, err);
    out->write_ = write_fn;
    out->ctx_ = ctx;
    return rc;
}

static int output_fail(brine_output *out, int code, brine_error *err, const char *what)
{
    out->status_ = code;
    /* Nothing more can be buffered: make every later put take the slow path. */
    out->cur = out->end = out->buf_;
    return brine_error_set(err, code, "%s", what);
}

/* Sends len bytes at p to a stream destination. */
static int output_send(brine_output *out, const void *p, size_t len, brine_error *err)
{
    const unsigned char *b = p;
    size_t total = len;
    switch (out->kind_) {
    case OUT_FILE:
        if (len && fwrite(b, 1, len, out->fp_) != len) {
            char msg[128];
            snprintf(msg, sizeof msg, "write error: %s", strerror(errno ? errno : EIO));
            return output_fail(out, BRINE_E_IO, err, msg);
        }
        break;
    case OUT_FD:
        while (len) {
            ssize_t n = write(out->fd_, b, len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                char msg[128];
                snprintf(msg, sizeof msg, "write error: %s", strerror(n < 0 ? errno : EIO));
                return output_fail(out, BRINE_E_IO, err, msg);
            }
            b += n;
            len -= (size_t)n;
        }
        break;
    case OUT_CALLBACK:
        if (len && out->write_(out->ctx_, b, len) != 0)
            return output_fail(out, BRINE_E_IO, err, "write error: the output callback failed");
        break;
    case OUT_PATCHABLE: {
        const output_patcher *pt = out->ctx_;
        if (len && pt->write(pt->ctx, b, len) != 0)
            return output_fail(out, BRINE_E_IO, err, "write error: the output callback failed");
        break;
    }
    case OUT_FILTER: {
        brine_error e;
        brine_error_clear(&e);
        int rc = brinep_push_write(out->ctx_, b, len, &e);
        if (rc) {
            out->status_ = rc;
            out->cur = out->end = out->buf_;
            if (err && !err->code)
                *err = e;
            return rc;
        }
        break;
    }
    }
    out->flushed_ += total;
    return BRINE_OK;
}

/* Sends the buffered bytes of a stream output. */
static int output_drain(brine_output *out, brine_error *err)
{
    size_t used = (size_t)(out->cur - out->buf_);
    out->cur = out->buf_;
    return used ? output_send(out, out->buf_, used, err) : BRINE_OK;
}

static int output_grow(brine_output *out, size_t need, brine_error *err)
{
    size_t used = (size_t)(out->cur - out->buf_);
    size_t cap = out->cap_;
    while (cap - used < need) {
        if (cap > SIZE_MAX / 2)
            return output_fail(out, BRINE_E_NOMEM, err, "out of memory");
        cap *= 2;
    }
    unsigned char *buf = brine_realloc(out->buf_, cap);
    if (!buf)
        return output_fail(out, BRINE_E_NOMEM, err, "out of memory");
    /* The part not written yet: a large buffer (arrays) is fresh memory
     * whose page faults cost more than the copy into it (array.c). */
    brinep_array_advise(buf + used, cap - used);
    out->buf_ = buf;
    out->cap_ = cap;
    out->cur = buf + used;
    out->end = buf + cap;
    return BRINE_OK;
}

static int output_status(brine_output *out, brine_error *err)
{
    if (!out->status_)
        return BRINE_OK;
    return brine_error_set(err, out->status_, "%s",
                           out->status_ == BRINE_E_IO ? "write error (reported earlier)"
                                                      : brine_strerror(out->status_));
}

int brine_output_reserve(brine_output *out, size_t need, brine_error *err)
{
    if (out->status_)
        return output_status(out, err);
    if ((size_t)(out->end - out->cur) >= need)
        return BRINE_OK;
    if (out->kind_ != OUT_BUFFER) {
        int rc = output_drain(out, err);
        if (rc)
            return rc;
        if (out->cap_ >= need)
            return BRINE_OK;
    }
    return output_grow(out, need, err);
}

/* Reserves the blocks of a regular file that `bytes` more bytes will fill,
 * without changing its size, as numpy.save does before writing an array.
 * Measured on ext4, 80 MB: a file truncated and rewritten (O_TRUNC) gets
 * its blocks allocated, and its writeback started, when it is closed
 * (ext4's auto_da_alloc), and the next truncation waits for that: an npy
 * save took 1.9-2.8x numpy.save's time written plainly, 0.77-0.96x with
 * its blocks reserved first (make bench-npy). */
static void output_preallocate(brine_output *out, size_t bytes)
{
#if defined(__linux__) && defined(FALLOC_FL_KEEP_SIZE)
    enum { PREALLOCATE_MIN = 1 << 20 };
    int fd = out->kind_ == OUT_FD ? out->fd_ : out->kind_ == OUT_FILE && out->fp_ ? fileno(out->fp_) : -1;
    struct stat st;
    if (bytes < PREALLOCATE_MIN || fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    off_t pos = out->kind_ == OUT_FILE ? ftello(out->fp_) : lseek(fd, 0, SEEK_CUR);
    if (pos < 0)
        return;
    pos += (off_t)(out->cur - out->buf_);                        /* what is buffered lands first */
    (void)fallocate(fd, FALLOC_FL_KEEP_SIZE, pos, (off_t)bytes); /* advice: a failure changes nothing */
#else
    (void)out;
    (void)bytes;
#endif
}

int brine_output_expect(brine_output *out, size_t bytes, brine_error *err)
{
    if (out->status_)
        return output_status(out, err);
    if (out->kind_ == OUT_FD || out->kind_ == OUT_FILE) {
        output_preallocate(out, bytes);
        return BRINE_OK;
    }
    if (out->kind_ != OUT_BUFFER || (size_t)(out->end - out->cur) >= bytes)
        return BRINE_OK;
    /* A hint: when the memory is not there, writing goes on as without it
     * (no sticky error, unlike a write's growth). */
    size_t used = (size_t)(out->cur - out->buf_);
    if (bytes > SIZE_MAX / 2 - used)
        return BRINE_OK;
    unsigned char *buf = brine_realloc(out->buf_, used + bytes);
    if (!buf)
        return BRINE_OK;
    brinep_array_advise(buf + used, bytes);
    out->buf_ = buf;
    out->cap_ = used + bytes;
    out->cur = buf + used;
    out->end = buf + out->cap_;
    return BRINE_OK;
}

int brine_output_write(brine_output *out, const void *data, size_t len, brine_error *err)
{
    if (out->status_)
        return output_status(out, err);
    if (!len)
        return BRINE_OK;
    if ((size_t)(out->end - out->cur) >= len) {
        memcpy(out->cur, data, len);
        out->cur += len;
        return BRINE_OK;
    }
    if (out->kind_ != OUT_BUFFER) {
        /* A big write goes straight through instead of via the buffer. */
        int rc = output_drain(out, err);
        if (rc)
            return rc;
        if (len >= out->cap_)
            return output_send(out, data, len, err);
    } else {
        int rc = output_grow(out, len, err);
        if (rc)
            return rc;
    }
    memcpy(out->cur, data, len);
    out->cur += len;
    return BRINE_OK;
}

int brine_output_flush(brine_output *out, brine_error *err)
{
    if (out->status_)
        return output_status(out, err);
    if (out->kind_ == OUT_BUFFER)
        return BRINE_OK;
    int rc = output_drain(out, err);
    if (rc)
        return rc;
    if (out->kind_ == OUT_FILTER && (rc = brinep_push_flush(out->ctx_, err)) != BRINE_OK)
        return rc;
    if (out->kind_ == OUT_FILE && fflush(out->fp_) != 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "write error: %s", strerror(errno ? errno : EIO));
        return output_fail(out, BRINE_E_IO, err, msg);
    }
    return BRINE_OK;
}

uint64_t brine_output_total(const brine_output *out)
{
    return out->flushed_ + (uint64_t)(out->cur - out->buf_);
}

void *brine_output_take(brine_output *out, size_t *len)
{
    if (out->kind_ != OUT_BUFFER || out->status_)
        return NULL;
    if (out->cur == out->end && output_grow(out, 1, NULL))
        return NULL;
    size_t used = (size_t)(out->cur - out->buf_);
    void *data = out->buf_;
    out->buf_[used] = '\0';
    if (len)
        *len = used;
    out->buf_ = out->cur = out->end = NULL;
    out->cap_ = 0;
    out->status_ = BRINE_E_INVALID; /* the output is spent */
    return data;
}

int brinep_output_init_filter(brine_output *out, void *impl, brine_error *err)
{
    int rc = output_init(out, OUT_FILTER, err);
    out->ctx_ = impl;
    return rc;
}

int brine_output_filtered(const brine_output *out)
{
    return out->kind_ == OUT_FILTER;
}

int brine_output_finish(brine_output *out, brine_error *err)
{
    int rc = brine_output_flush(out, err);
    if (rc || out->kind_ != OUT_FILTER)
        return rc;
    if ((rc = brinep_push_finish(out->ctx_, err)) != BRINE_OK)
        out->status_ = rc;
    return rc;
}

void brine_output_destroy(brine_output *out)
{
    if (!out)
        return;
    if (out->kind_ == OUT_PATCHABLE) {
        brine_free(out->ctx_);
        out->ctx_ = NULL;
    }
    if (out->kind_ == OUT_FILTER) {
        brinep_push_free(out->ctx_);
        out->ctx_ = NULL;
        out->kind_ = OUT_CALLBACK; /* destroying twice frees once */
    }
    brine_free(out->buf_);
    out->buf_ = out->cur = out->end = NULL;
    out->cap_ = 0;
}

/* ---- patching ------------------------------------------------------------ */

int brine_output_init_patchable(brine_output *out, brine_write_fn write_fn, brine_patch_fn patch, void *ctx,
                                brine_error *err)
{
    brinep_enter(err);
    int rc = output_init(out, OUT_PATCHABLE, err);
    if (rc)
        return rc;
    output_patcher *pt = brine_malloc(sizeof *pt);
    if (!pt) {
        brine_free(out->buf_);
        out->buf_ = out->cur = out->end = NULL;
        out->status_ = BRINE_E_NOMEM;
        return brinep_nomem(err);
    }
    pt->write = write_fn;
    pt->patch = patch;
    pt->ctx = ctx;
    out->ctx_ = pt;
    return BRINE_OK;
}

/* The descriptor under a FILE * or fd output, or -1. */
static int output_fd(const brine_output *out)
{
    if (out->kind_ == OUT_FD)
        return out->fd_;
    if (out->kind_ == OUT_FILE && out->fp_)
        return fileno(out->fp_);
    return -1;
}

int brine_output_can_patch(const brine_output *out)
{
    struct stat st;
    int fd;
    switch (out->kind_) {
    case OUT_PATCHABLE: return 1;
    case OUT_FD:
    case OUT_FILE:
        /* A regular file only: a device may seek and still not keep what
         * was written (a terminal, /dev/null). */
        fd = output_fd(out);
        if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
            return 0;
        if (fcntl(fd, F_GETFL) & O_APPEND)
            return 0; /* every write goes to the end, pwrite's too */
        return (out->kind_ == OUT_FD ? lseek(fd, 0, SEEK_CUR) : ftello(out->fp_)) >= 0;
    default: return 0;
    }
}

/* Rewrites flushed bytes [offset, offset + len) at the destination. */
static int output_patch_sent(brine_output *out, uint64_t offset, const unsigned char *data, size_t len,
                             brine_error *err)
{
    char msg[128];
    uint64_t back = out->flushed_ - offset; /* from the destination's position */
    if (out->kind_ == OUT_PATCHABLE) {
        const output_patcher *pt = out->ctx_;
        if (pt->patch(pt->ctx, offset, data, len) != 0)
            return output_fail(out, BRINE_E_IO, err, "write error: the output's patch callback failed");
        return BRINE_OK;
    }
    if (out->kind_ == OUT_FD) {
        off_t pos = lseek(out->fd_, 0, SEEK_CUR);
        if (pos < 0 || (uint64_t)pos < back)
            goto fail;
        off_t at = pos - (off_t)back;
        while (len) {
            ssize_t n = pwrite(out->fd_, data, len, at);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                goto fail;
            data += n;
            len -= (size_t)n;
            at += n;
        }
        return BRINE_OK;
    }
    /* A FILE *: its own buffer first, then there and back again. */
    if (fflush(out->fp_) != 0)
        goto fail;
    off_t pos = ftello(out->fp_);
    if (pos < 0 || (uint64_t)pos < back || fseeko(out->fp_, pos - (off_t)back, SEEK_SET) != 0)
        goto fail;
    int ok = fwrite(data, 1, len, out->fp_) == len && fflush(out->fp_) == 0;
    if (fseeko(out->fp_, pos, SEEK_SET) != 0 || !ok)
        goto fail;
    return BRINE_OK;
fail:
    snprintf(msg, sizeof msg, "write error: cannot rewrite earlier output: %s", strerror(errno ? errno : EIO));
    return output_fail(out, BRINE_E_IO, err, msg);
}

int brine_output_patch(brine_output *out, uint64_t offset, const void *data, size_t len, brine_error *err)
{
    if (out->status_)
        return output_status(out, err);
    uint64_t total = brine_output_total(out);
    if (offset > total || len > total - offset)
        return brine_error_set(err, BRINE_E_INVALID, "patching bytes %llu to %llu, past the %llu written",
                               (unsigned long long)offset, (unsigned long long)(offset + len),
                               (unsigned long long)total);
    const unsigned char *p = data;
    if (offset < out->flushed_) {
        size_t sent = out->flushed_ - offset < len ? (size_t)(out->flushed_ - offset) : len;
        if (!brine_output_can_patch(out))
            return brine_error_set(err, BRINE_E_UNSUPPORTED, "this output cannot rewrite bytes it has sent");
        int rc = output_patch_sent(out, offset, p, sent, err);
        if (rc)
            return rc;
        p += sent;
        offset += sent;
        len -= sent;
    }
    if (len)
        memcpy(out->buf_ + (offset - out->flushed_), p, len);
    return BRINE_OK;
}
