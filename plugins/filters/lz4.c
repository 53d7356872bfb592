/* lz4.c: the LZ4 frame filter (liblz4's LZ4F_* API), as the lz4 command,
 * Python's lz4.frame and joblib's 'lz4' method write it. Frames
 * concatenated one after the other read as one (as lz4 -d does; liblz4's
 * decoder starts afresh after each frame, and skips skippable frames);
 * writing adds the content checksum. The decoder's memory is bounded by
 * the frame format itself (blocks of at most 4 MiB).
 */
#include <string.h>
#define LZ4F_STATIC_LINKING_ONLY /* LZ4F_getErrorCode */
#include <lz4frame.h>

#include "filter.h"

/* LZ4F_compressUpdate wants room for a whole worst-case block, which the
 * caller's out may not have: input goes in CHUNK bytes at a time and the
 * compressed bytes wait in buf until out takes them. */
enum { CHUNK = 64 * 1024 };

typedef struct l4_state {
    LZ4F_cctx *c;
    LZ4F_dctx *d;
    LZ4F_preferences_t prefs;
    unsigned char *buf; /* compressing: bytes made, not yet handed out */
    size_t cap, pos, len;
    int started, ended; /* compressing: header written, end mark written */
    int in_frame;       /* decoding: a frame has started and not ended */
} l4_state;

static void l4_destroy(void *state)
{
    l4_state *s = state;
    LZ4F_freeCompressionContext(s->c);
    LZ4F_freeDecompressionContext(s->d);
    brine_free(s->buf);
    brine_free(s);
}

static void *l4_create(int compress, const brine_options *opts, brine_error *err)
{
    int level;
    /* The lz4 command's levels: 1-2 fast, 3-12 high compression (HC). */
    if (compress && flt_level("lz4", opts, 1, LZ4F_compressionLevel_max(), 1, &level, err))
        return NULL;
    l4_state *s = brine_malloc(sizeof *s);
    if (!s) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    memset(s, 0, sizeof *s);
    int ok;
    if (compress) {
        s->prefs.compressionLevel = level;
        s->prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
        s->cap = LZ4F_compressBound(CHUNK, &s->prefs);
        if (s->cap < LZ4F_HEADER_SIZE_MAX)
            s->cap = LZ4F_HEADER_SIZE_MAX;
        s->buf = brine_malloc(s->cap);
        ok = s->buf && !LZ4F_isError(LZ4F_createCompressionContext(&s->c, LZ4F_VERSION));
    } else {
        ok = !LZ4F_isError(LZ4F_createDecompressionContext(&s->d, LZ4F_VERSION));
        s->in_frame = 1; /* empty input is no stream: the first frame must come */
    }
    if (!ok) {
        l4_destroy(s);
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    return s;
}

static int l4_error(size_t rc, brine_error *err)
{
    if (LZ4F_getErrorCode(rc) == LZ4F_ERROR_allocation_failed)
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    return brine_error_set(err, BRINE_E_CORRUPT, "corrupt data (%s)", LZ4F_getErrorName(rc));
}

static int l4_compress(l4_state *s, brine_filter_io *io, brine_error *err)
{
    for (;;) {
        if (s->pos < s->len) {
            size_t n = s->len - s->pos < io->out_len ? s->len - s->pos : io->out_len;
            memcpy(io->out, s->buf + s->pos, n);
            s->pos += n;
            io->out += n;
            io->out_len -= n;
            if (s->pos < s->len)
                return BRINE_OK; /* out is full */
        }
        s->pos = s->len = 0;
        size_t rc;
        if (!s->started) {
            rc = LZ4F_compressBegin(s->c, s->buf, s->cap, &s->prefs);
            s->started = 1;
        } else if (io->in_len) {
            size_t n = io->in_len < CHUNK ? io->in_len : CHUNK;
            rc = LZ4F_compressUpdate(s->c, s->buf, s->cap, io->in, n, NULL);
            if (!LZ4F_isError(rc)) {
                io->in += n;
                io->in_len -= n;
            }
        } else if (io->finish && !s->ended) {
            rc = LZ4F_compressEnd(s->c, s->buf, s->cap, NULL);
            s->ended = 1;
        } else {
            io->end = io->finish && s->ended;
            return BRINE_OK;
        }
        if (LZ4F_isError(rc))
            return l4_error(rc, err);
        s->len = rc;
    }
}

static int l4_decompress(l4_state *s, brine_filter_io *io, brine_error *err)
{
    if (!io->in_len && !s->in_frame) {
        io->end = io->finish;
        return BRINE_OK;
    }
    size_t out_n = io->out_len, in_n = io->in_len;
    size_t rc = LZ4F_decompress(s->d, io->out, &out_n, io->in, &in_n, NULL);
    if (LZ4F_isError(rc)) {
        /* Start over, so a later call does not go on from a broken state. */
        LZ4F_resetDecompressionContext(s->d);
        return l4_error(rc, err);
    }
    s->in_frame = rc != 0;
    io->in += in_n;
    io->in_len -= in_n;
    io->out += out_n;
    io->out_len -= out_n;
    if (rc == 0 && io->finish && !io->in_len)
        io->end = 1;
    return BRINE_OK;
}

static int l4_run(void *state, brine_filter_io *io, brine_error *err)
{
    l4_state *s = state;
    return s->c ? l4_compress(s, io, err) : l4_decompress(s, io, err);
}

static int l4_magic(const unsigned char *head, size_t len)
{
    static const unsigned char m[4] = {0x04, 0x22, 0x4d, 0x18};
    return len >= 4 && memcmp(head, m, 4) == 0 ? 100 : 0;
}

static const char *const l4_extensions[] = {"lz4", NULL};

static const brine_option_spec l4_options[] = {
    {"level", BRINE_OPT_ENCODE, "compression level 1-12 (1-2 fast, 3-12 high compression; default 1)"},
    {NULL, 0, NULL},
};

static const brine_filter_ops l4_ops = {
    .size = sizeof(brine_filter_ops),
    .create = l4_create,
    .run = l4_run,
    .destroy = l4_destroy,
    .magic = l4_magic,
};

static const brine_plugin l4_plugin = FLT_DESCRIPTOR("lz4", "LZ4 frame (concatenated frames read as one)",
                                                     l4_extensions, "application/x-lz4", l4_options, l4_ops);

BRINE_PLUGIN_DEFINE(lz4, l4_plugin)
