/* filter.c: sources that pull their bytes (a callback, or a filter plugin
 * decompressing an inner source) and outputs that push them through a
 * filter into an inner output (#22). io.c keeps the window and the buffer
 * and calls in here only to refill or drain them; the filter plugin only
 * transforms the bytes it is offered. This file runs the loop: offsets of
 * compressed bytes in errors, the decompression limit (checked after every
 * step, so a bomb stops after a few window fills, not at its end), and a
 * sticky error, so that a decoder retrying a read meets the same error.
 */
#include <string.h>

#include "internal.h"
#include "brine/format.h"

enum { PULL_CALLBACK = 1, PULL_FILTER };

/* What a source that failed to start reads: no bytes (not NULL, which
 * pointer arithmetic may not even offset by 0). */
static const unsigned char no_bytes[1];

/* The room a compressor is given in its inner output per step. */
enum { PUSH_ROOM = 16 * 1024 };

struct brinep_pull {
    int kind;
    brine_read_fn read; /* PULL_CALLBACK */
    void *ctx;
    const brine_plugin *filter; /* PULL_FILTER */
    void *state;
    brine_source *inner;
    uint64_t inner_start; /* inner's offset when the filter began */
    uint64_t produced;    /* decompressed bytes so far */
    uint32_t ratio;       /* the limit: ratio x consumed + bytes */
    uint64_t bytes;
    int ended;       /* the compressed stream is complete */
    int status;      /* the first error, kept: every later read returns it */
    brine_error why; /* its details */
};

typedef struct filter_push {
    const brine_plugin *filter;
    void *state;
    brine_output *inner;
    int ended;
} filter_push;

static struct brinep_pull *pull_new(int kind, brine_error *err)
{
    struct brinep_pull *p = brine_malloc(sizeof *p);
    if (!p) {
        brinep_nomem(err);
        return NULL;
    }
    memset(p, 0, sizeof *p);
    p->kind = kind;
    return p;
}

static void pull_attach(brine_source *src, struct brinep_pull *p)
{
    memset(src, 0, sizeof *src);
    src->pull_ = p;
    src->fd_ = BRINEP_PULL_FD;
}

int brine_source_init_callback(brine_source *src, brine_read_fn read, void *ctx, brine_error *err)
{
    brinep_enter(err);
    if (!src || !read) {
        if (src)
            brine_source_init_buffer(src, no_bytes, 0);
        return brine_error_set(err, BRINE_E_INVALID, "brine_source_init_callback needs a source and a read function");
    }
    struct brinep_pull *p = pull_new(PULL_CALLBACK, err);
    if (!p) {
        brine_source_init_buffer(src, no_bytes, 0);
        return BRINE_E_NOMEM;
    }
    p->read = read;
    p->ctx = ctx;
    pull_attach(src, p);
    return BRINE_OK;
}

/* Checks that filter is a usable filter and that opts suit it. */
static int check_filter(const brine_plugin *filter, const brine_options *opts, int compress, brine_error *err)
{
    if (!filter || !(filter->caps & BRINE_CAP_FILTER) || !filter->filter || !filter->filter->create ||
        !filter->filter->run || !filter->filter->destroy)
        return brine_error_set(err, BRINE_E_INVALID, "'%s' is not a byte filter",
                               filter && filter->name ? filter->name : "(null)");
    unsigned want = compress ? BRINE_OPT_ENCODE : BRINE_OPT_DECODE;
    for (size_t i = 0; opts && i < opts->count; i++) {
        const char *item = opts->items[i];
        if (!item)
            return brine_error_set(err, BRINE_E_INVALID, "option %zu is NULL", i);
        size_t len = strcspn(item, "=");
        const brine_option_spec *o = filter->options;
        while (o && o->name && !((o->flags & want) && strlen(o->name) == len && strncmp(o->name, item, len) == 0))
            o++;
        if (!o || !o->name)
            return brine_error_set(err, BRINE_E_OPTION, "the %s filter has no %s option '%.*s'", filter->name,
                                   compress ? "compression" : "decompression", (int)len, item);
    }
    return BRINE_OK;
}

int brine_source_init_filter(brine_source *src, const brine_plugin *filter, const brine_options *opts,
                             brine_source *inner, brine_error *err)
{
    brinep_enter(err);
    if (src)
        brine_source_init_buffer(src, no_bytes, 0); /* a safe source to destroy if this fails */
    if (!src || !inner)
        return brine_error_set(err, BRINE_E_INVALID, "brine_source_init_filter needs a source and an inner source");
    int rc = check_filter(filter, opts, 0, err);
    if (rc)
        return rc;
    struct brinep_pull *p = pull_new(PULL_FILTER, err);
    if (!p)
        return BRINE_E_NOMEM;
    p->state = filter->filter->create(0, opts, err);
    if (!p->state) {
        brine_free(p);
        if (err && !err->code)
            brine_error_set(err, BRINE_E_NOMEM, "%s: cannot start the decompressor", filter->name);
        return err ? err->code : BRINE_E_NOMEM;
    }
    p->filter = filter;
    p->inner = inner;
    p->inner_start = brine_source_offset(inner);
    p->ratio = opts && opts->filter_ratio ? opts->filter_ratio : BRINE_DEFAULT_FILTER_RATIO;
    p->bytes = opts && opts->filter_bytes ? opts->filter_bytes : BRINE_DEFAULT_FILTER_BYTES;
    pull_attach(src, p);
    return BRINE_OK;
}

void brinep_pull_free(struct brinep_pull *p)
{
    if (!p)
        return;
    if (p->kind == PULL_FILTER && p->state)
        p->filter->filter->destroy(p->state);
    brine_free(p);
}

/* Records the first error and hands it to err; returns -code. */
static long pull_fail(struct brinep_pull *p, brine_error *err)
{
    if (err && !err->code)
        *err = p->why;
    return -(long)p->status;
}

static long pull_error(struct brinep_pull *p, int code, uint64_t at, const char *msg, brine_error *err)
{
    /* A compressed stream cut short is damage, not the end of the input:
     * decoders read BRINE_E_TRUNCATED from brine_source_more as "the input
     * ended here" (a streaming JSON reader then parses what it has, and
     * a JSON Lines or msgpack sequence reader may end cleanly). */
    if (code == BRINE_E_TRUNCATED)
        code = BRINE_E_CORRUPT;
    p->status = code;
    brine_error_set_at(&p->why, code, at, "%s", msg);
    return pull_fail(p, err);
}

/* 1 when the bytes produced pass the limit for what was consumed. */
static int past_limit(const struct brinep_pull *p, uint64_t consumed)
{
    if (p->ratio == UINT32_MAX || p->bytes == UINT64_MAX)
        return 0;
    uint64_t allowed;
    if (consumed > (UINT64_MAX - p->bytes) / p->ratio)
        return 0;
    allowed = consumed * p->ratio + p->bytes;
    return p->produced > allowed;
}

/* Fills [buf, buf + room) with decompressed bytes: at least one unless the
 * stream has ended. */
static long pull_filter(struct brinep_pull *p, unsigned char *buf, size_t room, brine_error *err)
{
    const char *name = p->filter->name;
    brine_source *in = p->inner;
    size_t produced = 0;
    char msg[2 * BRINE_ERROR_TEXT];
    while (produced == 0 && !p->ended) {
        int at_end = 0;
        if (in->cur == in->end) {
            brine_error e;
            brine_error_clear(&e);
            int rc = brine_source_more(in, 1, &e);
            if (rc == BRINE_E_TRUNCATED)
                at_end = 1;
            else if (rc) {
                snprintf(msg, sizeof msg, "%s: %s", name, e.message);
                return pull_error(p, rc, e.offset, msg, err);
            }
        }
        const unsigned char *from = in->cur ? in->cur : no_bytes; /* an empty buffer source may hold NULL */
        brine_filter_io io = {.in = from,
                              .in_len = (size_t)(in->end - in->cur),
                              .out = buf + produced,
                              .out_len = room - produced,
                              .finish = at_end};
        brine_error fe;
        brine_error_clear(&fe);
        int rc = p->filter->filter->run(p->state, &io, &fe);
        size_t used = (size_t)(io.in - from);
        size_t made = room - produced - io.out_len;
        if (used)
            in->cur += used;
        produced += made;
        p->produced += made;
        uint64_t at = brine_source_offset(in);
        if (rc) {
            snprintf(msg, sizeof msg, "%s: %s at compressed byte %llu", name,
                     fe.message[0] ? fe.message : brine_strerror(rc), (unsigned long long)at);
            return pull_error(p, rc, at, msg, err);
        }
        if (past_limit(p, at - p->inner_start)) {
            snprintf(msg, sizeof msg,
                     "%s: the data expands past the decompression limit (%llu bytes from %llu compressed; "
                     "at most %u x compressed + %llu; see filter_ratio, filter_bytes, --max-filter)",
                     name, (unsigned long long)p->produced, (unsigned long long)(at - p->inner_start),
                     (unsigned)p->ratio, (unsigned long long)p->bytes);
            return pull_error(p, BRINE_E_RANGE, at, msg, err);
        }
        if (io.end) {
            p->ended = 1;
            if (in->cur != in->end || (!at_end && !brine_source_at_end(in))) {
                snprintf(msg, sizeof msg, "%s: data after the end of the compressed stream at compressed byte %llu",
                         name, (unsigned long long)at);
                /* What came before is good: report it at the next read. */
                if (produced) {
                    p->status = BRINE_E_CORRUPT;
                    brine_error_set_at(&p->why, BRINE_E_CORRUPT, at, "%s", msg);
                    p->ended = 0;
                    return (long)produced;
                }
                return pull_error(p, BRINE_E_CORRUPT, at, msg, err);
            }
            break;
        }
        if (!used && !made) {
            if (at_end) {
                snprintf(msg, sizeof msg, "%s: the compressed data ends early, at compressed byte %llu", name,
                         (unsigned long long)at);
                return pull_error(p, BRINE_E_TRUNCATED, at, msg, err);
            }
            if (io.in_len) {
                snprintf(msg, sizeof msg, "%s: the filter made no progress at compressed byte %llu", name,
                         (unsigned long long)at);
                return pull_error(p, BRINE_E_PLUGIN, at, msg, err);
            }
        }
    }
    return (long)produced;
}

long brinep_pull_read(brine_source *src, unsigned char *buf, size_t room, brine_error *err)
{
    struct brinep_pull *p = src->pull_;
    if (p->status)
        return pull_fail(p, err);
    if (p->kind == PULL_FILTER)
        return pull_filter(p, buf, room, err);
    size_t got = 0;
    if (p->read(p->ctx, buf, room, &got) != 0 || got > room) {
        uint64_t at = src->base + (uint64_t)(src->end - src->start);
        return pull_error(p, BRINE_E_IO, at, "read error: the input callback failed", err);
    }
    return (long)got;
}

/* ---- outputs ------------------------------------------------------------ */

int brine_output_init_filter(brine_output *out, const brine_plugin *filter, const brine_options *opts,
                             brine_output *inner, brine_error *err)
{
    brinep_enter(err);
    if (!out || !inner) {
        if (out)
            memset(out, 0, sizeof *out);
        return brine_error_set(err, BRINE_E_INVALID, "brine_output_init_filter needs an output and an inner output");
    }
    memset(out, 0, sizeof *out);
    int rc = check_filter(filter, opts, 1, err);
    if (rc)
        return rc;
    filter_push *f = brine_malloc(sizeof *f);
    if (!f)
        return brinep_nomem(err);
    memset(f, 0, sizeof *f);
    f->filter = filter;
    f->inner = inner;
    f->state = filter->filter->create(1, opts, err);
    if (!f->state) {
        brine_free(f);
        if (err && !err->code)
            brine_error_set(err, BRINE_E_NOMEM, "%s: cannot start the compressor", filter->name);
        return err ? err->code : BRINE_E_NOMEM;
    }
    rc = brinep_output_init_filter(out, f, err);
    if (rc)
        brinep_push_free(f);
    return rc;
}

/* Runs the compressor over len bytes (finish: then ends the stream). */
static int push_run(filter_push *f, const unsigned char *data, size_t len, int finish, brine_error *err)
{
    brine_output *o = f->inner;
    brine_filter_io io = {.in = data ? data : no_bytes, .in_len = len, .finish = finish};
    while (io.in_len || (finish && !io.end)) {
        int rc = brine_output_reserve(o, PUSH_ROOM, err);
        if (rc)
            return rc;
        io.out = o->cur;
        io.out_len = (size_t)(o->end - o->cur);
        size_t before_in = io.in_len, room = io.out_len;
        brine_error fe;
        brine_error_clear(&fe);
        rc = f->filter->filter->run(f->state, &io, &fe);
        o->cur = io.out;
        if (rc)
            return brine_error_set(err, rc, "%s: %s", f->filter->name, fe.message[0] ? fe.message : brine_strerror(rc));
        if (io.in_len == before_in && io.out_len == room && !io.end)
            return brine_error_set(err, BRINE_E_PLUGIN, "%s: the compressor made no progress", f->filter->name);
    }
    return BRINE_OK;
}

int brinep_push_write(void *impl, const void *data, size_t len, brine_error *err)
{
    filter_push *f = impl;
    if (f->ended)
        return brine_error_set(err, BRINE_E_INVALID, "%s: write after the output was finished", f->filter->name);
    return push_run(f, data, len, 0, err);
}

int brinep_push_finish(void *impl, brine_error *err)
{
    filter_push *f = impl;
    if (!f->ended) {
        int rc = push_run(f, NULL, 0, 1, err);
        if (rc)
            return rc;
        f->ended = 1;
    }
    return brine_output_finish(f->inner, err);
}

int brinep_push_flush(void *impl, brine_error *err)
{
    filter_push *f = impl;
    return brine_output_flush(f->inner, err);
}

void brinep_push_free(void *impl)
{
    filter_push *f = impl;
    if (!f)
        return;
    if (f->state)
        f->filter->filter->destroy(f->state);
    brine_free(f);
}
