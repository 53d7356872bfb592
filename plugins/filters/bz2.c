/* bz2.c: the bzip2 filter (libbz2). Streams concatenated one after the
 * other (pbzip2's output) read as one, as bzcat and Python's bz2 do; level
 * is bzip2's block size in units of 100 kB (1-9, default 9 like bzip2).
 */
#include <bzlib.h>
#include <limits.h>
#include <string.h>

#include "filter.h"

typedef struct bz_state {
    bz_stream z;
    int compress;
    int between; /* a stream ended; another may follow */
} bz_state;

static void bz_destroy(void *state)
{
    bz_state *s = state;
    if (s->compress)
        BZ2_bzCompressEnd(&s->z);
    else
        BZ2_bzDecompressEnd(&s->z);
    brine_free(s);
}

static void *bz_create(int compress, const brine_options *opts, brine_error *err)
{
    int level;
    if (compress && flt_level("bz2", opts, 1, 9, 9, &level, err))
        return NULL;
    bz_state *s = brine_malloc(sizeof *s);
    if (!s) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    memset(s, 0, sizeof *s);
    s->compress = compress;
    int rc = compress ? BZ2_bzCompressInit(&s->z, level, 0, 0) : BZ2_bzDecompressInit(&s->z, 0, 0);
    if (rc != BZ_OK) {
        brine_free(s);
        brine_error_set(err, rc == BZ_MEM_ERROR ? BRINE_E_NOMEM : BRINE_E_PLUGIN, "bz2: libbz2 cannot start (%d)", rc);
        return NULL;
    }
    return s;
}

static int bz_run(void *state, brine_filter_io *io, brine_error *err)
{
    bz_state *s = state;
    if (!s->compress && s->between) {
        if (!io->in_len) {
            io->end = io->finish;
            return BRINE_OK;
        }
        BZ2_bzDecompressEnd(&s->z);
        memset(&s->z, 0, sizeof s->z);
        if (BZ2_bzDecompressInit(&s->z, 0, 0) != BZ_OK) {
            s->compress = 1; /* nothing to end: destroy ends a zeroed compressor harmlessly */
            return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        }
        s->between = 0;
    }
    unsigned in_len = io->in_len > UINT_MAX ? UINT_MAX : (unsigned)io->in_len;
    unsigned out_len = io->out_len > UINT_MAX ? UINT_MAX : (unsigned)io->out_len;
    s->z.next_in = (char *)(uintptr_t)io->in;
    s->z.avail_in = in_len;
    s->z.next_out = (char *)io->out;
    s->z.avail_out = out_len;
    int rc = s->compress ? BZ2_bzCompress(&s->z, io->finish ? BZ_FINISH : BZ_RUN) : BZ2_bzDecompress(&s->z);
    io->in += in_len - s->z.avail_in;
    io->in_len -= in_len - s->z.avail_in;
    io->out += out_len - s->z.avail_out;
    io->out_len -= out_len - s->z.avail_out;
    switch (rc) {
    case BZ_OK:
    case BZ_RUN_OK:
    case BZ_FINISH_OK: return BRINE_OK;
    case BZ_STREAM_END:
        if (!s->compress) {
            s->between = 1;
            io->end = io->finish && !io->in_len;
        } else {
            io->end = 1;
        }
        return BRINE_OK;
    case BZ_MEM_ERROR: return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    case BZ_DATA_ERROR_MAGIC: return brine_error_set(err, BRINE_E_CORRUPT, "not bzip2 data (bad magic)");
    case BZ_DATA_ERROR: return brine_error_set(err, BRINE_E_CORRUPT, "corrupt data (a block's checksum or structure)");
    default: return brine_error_set(err, BRINE_E_CORRUPT, "corrupt data (libbz2 error %d)", rc);
    }
}

static int bz_magic(const unsigned char *head, size_t len)
{
    return len >= 4 && memcmp(head, "BZh", 3) == 0 && head[3] >= '1' && head[3] <= '9' ? 100 : 0;
}

static const char *const bz_extensions[] = {"bz2", "bzip2", "tbz2", NULL};

static const brine_option_spec bz_options[] = {
    {"level", BRINE_OPT_ENCODE, "block size 1-9 (x 100 kB, default 9)"},
    {NULL, 0, NULL},
};

static const brine_filter_ops bz_ops = {
    .size = sizeof(brine_filter_ops),
    .create = bz_create,
    .run = bz_run,
    .destroy = bz_destroy,
    .magic = bz_magic,
};

static const brine_plugin bz_plugin = FLT_DESCRIPTOR("bz2", "bzip2 (concatenated streams read as one, like bzcat)",
                                                     bz_extensions, "application/x-bzip2", bz_options, bz_ops);

BRINE_PLUGIN_DEFINE(bz2, bz_plugin)
