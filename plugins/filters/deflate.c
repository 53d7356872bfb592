/* deflate.c: the gzip (RFC 1952) and zlib (RFC 1950) filters, two modules
 * built from this file (FLT_GZIP selects gzip): the same deflate stream
 * with a different wrapper. gzip reads concatenated members one after the
 * other, as zcat does; zlib is one stream, and its magic (0x78 and a valid
 * header check) is weak: 0x78 is also a msgpack fixint (plugin.h).
 */
#include <limits.h>
#include <string.h>
#include <zlib.h>

#include "filter.h"

#ifdef FLT_GZIP
#define FLT_NAME "gzip"
#define FLT_WBITS (16 + MAX_WBITS)
#else
#define FLT_NAME "zlib"
#define FLT_WBITS MAX_WBITS
#endif

typedef struct dfl_state {
    z_stream z;
    int compress;
    int between; /* gzip: a member ended; another may follow */
} dfl_state;

static void dfl_destroy(void *state)
{
    dfl_state *s = state;
    if (s->compress)
        deflateEnd(&s->z);
    else
        inflateEnd(&s->z);
    brine_free(s);
}

static void *dfl_create(int compress, const brine_options *opts, brine_error *err)
{
    int level;
    if (compress && flt_level(FLT_NAME, opts, 0, 9, 6, &level, err))
        return NULL;
    dfl_state *s = brine_malloc(sizeof *s);
    if (!s) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    memset(s, 0, sizeof *s);
    s->compress = compress;
    int rc = compress ? deflateInit2(&s->z, level, Z_DEFLATED, FLT_WBITS, 8, Z_DEFAULT_STRATEGY)
                      : inflateInit2(&s->z, FLT_WBITS);
    if (rc != Z_OK) {
        brine_free(s);
        brine_error_set(err, rc == Z_MEM_ERROR ? BRINE_E_NOMEM : BRINE_E_PLUGIN, "%s: zlib cannot start (%d)", FLT_NAME,
                        rc);
        return NULL;
    }
    return s;
}

static int dfl_run(void *state, brine_filter_io *io, brine_error *err)
{
    dfl_state *s = state;
    uInt in_len = io->in_len > UINT_MAX ? UINT_MAX : (uInt)io->in_len;
    uInt out_len = io->out_len > UINT_MAX ? UINT_MAX : (uInt)io->out_len;
    if (!s->compress && s->between) {
        if (!io->in_len) {
            io->end = io->finish;
            return BRINE_OK;
        }
        inflateReset(&s->z); /* the next member; garbage fails its header check */
        s->between = 0;
    }
    s->z.next_in = (Bytef *)(uintptr_t)io->in;
    s->z.avail_in = in_len;
    s->z.next_out = io->out;
    s->z.avail_out = out_len;
    int rc = s->compress ? deflate(&s->z, io->finish ? Z_FINISH : Z_NO_FLUSH) : inflate(&s->z, Z_NO_FLUSH);
    io->in += in_len - s->z.avail_in;
    io->in_len -= in_len - s->z.avail_in;
    io->out += out_len - s->z.avail_out;
    io->out_len -= out_len - s->z.avail_out;
    switch (rc) {
    case Z_OK:
    case Z_BUF_ERROR: /* no progress possible now: more input or room will come */ return BRINE_OK;
    case Z_STREAM_END:
#ifdef FLT_GZIP
        if (!s->compress) {
            s->between = 1;
            io->end = io->finish && !io->in_len;
            return BRINE_OK;
        }
#endif
        io->end = 1;
        return BRINE_OK;
    case Z_MEM_ERROR: return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    case Z_NEED_DICT: return brine_error_set(err, BRINE_E_UNSUPPORTED, "the stream needs a preset dictionary");
    default: return brine_error_set(err, BRINE_E_CORRUPT, "corrupt data (%s)", s->z.msg ? s->z.msg : "zlib error");
    }
}

/* The two magic tests have names of their own: one source built twice with
 * one function name at two lines stops gcovr (make coverage) merging them. */
#ifdef FLT_GZIP
static int gzip_magic(const unsigned char *head, size_t len)
{
    return len >= 3 && head[0] == 0x1f && head[1] == 0x8b && head[2] == 8 ? 100 : 0;
}
static const char *const dfl_extensions[] = {"gz", "gzip", NULL};
#define FLT_MAGIC gzip_magic
#define FLT_FLAGS 0u
#define FLT_DESCRIPTION "gzip (RFC 1952; concatenated members read as one, like zcat)"
#define FLT_MIME "application/gzip"
#else
/* CMF 0x78 (deflate, 32 KiB window) and FLG making CMF*256+FLG a multiple of 31. */
static int zlib_magic(const unsigned char *head, size_t len)
{
    return len >= 2 && head[0] == 0x78 && ((head[0] << 8) | head[1]) % 31 == 0 && !(head[1] & 0x20) ? 90 : 0;
}
static const char *const dfl_extensions[] = {"zz", "zlib", NULL};
#define FLT_MAGIC zlib_magic
#define FLT_FLAGS BRINE_FILTER_WEAK_MAGIC
#define FLT_DESCRIPTION "zlib (RFC 1950; joblib's compress='zlib')"
#define FLT_MIME "application/zlib"
#endif

static const brine_option_spec dfl_options[] = {
    {"level", BRINE_OPT_ENCODE, "compression level 0-9 (default 6)"},
    {NULL, 0, NULL},
};

static const brine_filter_ops dfl_ops = {
    .size = sizeof(brine_filter_ops),
    .flags = FLT_FLAGS,
    .create = dfl_create,
    .run = dfl_run,
    .destroy = dfl_destroy,
    .magic = FLT_MAGIC,
};

static const brine_plugin dfl_plugin =
    FLT_DESCRIPTOR(FLT_NAME, FLT_DESCRIPTION, dfl_extensions, FLT_MIME, dfl_options, dfl_ops);

#ifdef FLT_GZIP
BRINE_PLUGIN_DEFINE(gzip, dfl_plugin)
#else
BRINE_PLUGIN_DEFINE(zlib, dfl_plugin)
#endif
