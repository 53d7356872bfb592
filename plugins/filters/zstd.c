/* zstd.c: the Zstandard filter (libzstd). Frames concatenated one after
 * the other read as one (libzstd's streaming decoder goes on to the next
 * frame by itself); writing adds the frame checksum, as the zstd command
 * does. The decoder keeps libzstd's window limit (128 MiB), so a frame
 * header cannot make it allocate more.
 */
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "filter.h"

typedef struct zs_state {
    ZSTD_CCtx *c;
    ZSTD_DCtx *d;
    int in_frame; /* decoding: a frame has started and not ended */
} zs_state;

static void zs_destroy(void *state)
{
    zs_state *s = state;
    ZSTD_freeCCtx(s->c);
    ZSTD_freeDCtx(s->d);
    brine_free(s);
}

static void *zs_create(int compress, const brine_options *opts, brine_error *err)
{
    int level;
    if (compress && flt_level("zstd", opts, 1, ZSTD_maxCLevel(), 3, &level, err))
        return NULL;
    zs_state *s = brine_malloc(sizeof *s);
    if (!s) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    memset(s, 0, sizeof *s);
    if (compress) {
        s->c = ZSTD_createCCtx();
        if (s->c && (ZSTD_isError(ZSTD_CCtx_setParameter(s->c, ZSTD_c_compressionLevel, level)) ||
                     ZSTD_isError(ZSTD_CCtx_setParameter(s->c, ZSTD_c_checksumFlag, 1)))) {
            zs_destroy(s);
            brine_error_set(err, BRINE_E_PLUGIN, "zstd: cannot set the compression level");
            return NULL;
        }
    } else {
        s->d = ZSTD_createDCtx();
        s->in_frame = 1; /* empty input is no stream: the first frame must come */
    }
    if (!s->c && !s->d) {
        brine_free(s);
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    return s;
}

static int zs_run(void *state, brine_filter_io *io, brine_error *err)
{
    zs_state *s = state;
    ZSTD_inBuffer in = {io->in, io->in_len, 0};
    ZSTD_outBuffer out = {io->out, io->out_len, 0};
    size_t rc;
    if (s->c) {
        rc = ZSTD_compressStream2(s->c, &out, &in, io->finish ? ZSTD_e_end : ZSTD_e_continue);
        if (!ZSTD_isError(rc) && io->finish && rc == 0)
            io->end = 1;
    } else {
        if (!io->in_len && !s->in_frame) {
            io->end = io->finish;
            return BRINE_OK;
        }
        rc = ZSTD_decompressStream(s->d, &out, &in);
        if (!ZSTD_isError(rc))
            s->in_frame = rc != 0;
        if (!ZSTD_isError(rc) && rc == 0 && io->finish && in.pos == in.size)
            io->end = 1;
    }
    io->in += in.pos;
    io->in_len -= in.pos;
    io->out += out.pos;
    io->out_len -= out.pos;
    if (!ZSTD_isError(rc))
        return BRINE_OK;
    ZSTD_ErrorCode code = ZSTD_getErrorCode(rc);
    if (code == ZSTD_error_memory_allocation)
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    if (code == ZSTD_error_frameParameter_windowTooLarge)
        return brine_error_set(err, BRINE_E_UNSUPPORTED, "the frame's window is larger than 128 MiB (%s)",
                               ZSTD_getErrorName(rc));
    return brine_error_set(err, BRINE_E_CORRUPT, "corrupt data (%s)", ZSTD_getErrorName(rc));
}

static int zs_magic(const unsigned char *head, size_t len)
{
    static const unsigned char m[4] = {0x28, 0xb5, 0x2f, 0xfd};
    return len >= 4 && memcmp(head, m, 4) == 0 ? 100 : 0;
}

static const char *const zs_extensions[] = {"zst", "zstd", NULL};

static const brine_option_spec zs_options[] = {
    {"level", BRINE_OPT_ENCODE, "compression level 1-19 (22 with more memory; default 3)"},
    {NULL, 0, NULL},
};

static const brine_filter_ops zs_ops = {
    .size = sizeof(brine_filter_ops),
    .create = zs_create,
    .run = zs_run,
    .destroy = zs_destroy,
    .magic = zs_magic,
};

static const brine_plugin zs_plugin = FLT_DESCRIPTOR("zstd", "Zstandard (concatenated frames read as one)",
                                                     zs_extensions, "application/zstd", zs_options, zs_ops);

BRINE_PLUGIN_DEFINE(zstd, zs_plugin)
