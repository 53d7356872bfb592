/* lzma.c: the xz and lzma filters (liblzma), two modules built from this
 * file (FLT_XZ selects xz). xz is the .xz container (concatenated streams
 * read as one, as xz -dc does; CRC64 when writing); lzma is the legacy
 * .lzma "alone" format that Python's lzma.FORMAT_ALONE and joblib's
 * compress='lzma' write: no checksum, and a magic too weak to trust alone
 * (0x5d is also a pickle opcode). The decoder's memory is capped at
 * FLT_LZMA_MEMLIMIT: a header may ask for a 4 GiB dictionary.
 */
#include <lzma.h>
#include <string.h>

#include "filter.h"

/* xz -9 needs 65 MiB to decode; 256 MiB leaves room and refuses hostile headers. */
#define FLT_LZMA_MEMLIMIT ((uint64_t)256 << 20)

#ifdef FLT_XZ
#define FLT_NAME "xz"
#else
#define FLT_NAME "lzma"
#endif

typedef struct lz_state {
    lzma_stream z;
} lz_state;

static void lz_destroy(void *state)
{
    lz_state *s = state;
    lzma_end(&s->z);
    brine_free(s);
}

static void *lz_create(int compress, const brine_options *opts, brine_error *err)
{
    int level;
    if (compress && flt_level(FLT_NAME, opts, 0, 9, 6, &level, err))
        return NULL;
    lz_state *s = brine_malloc(sizeof *s);
    if (!s) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    lzma_stream init = LZMA_STREAM_INIT;
    s->z = init;
    lzma_ret rc;
#ifdef FLT_XZ
    rc = compress ? lzma_easy_encoder(&s->z, (uint32_t)level, LZMA_CHECK_CRC64)
                  : lzma_stream_decoder(&s->z, FLT_LZMA_MEMLIMIT, LZMA_CONCATENATED);
#else
    if (compress) {
        lzma_options_lzma o;
        rc = lzma_lzma_preset(&o, (uint32_t)level) ? LZMA_OPTIONS_ERROR : lzma_alone_encoder(&s->z, &o);
    } else {
        rc = lzma_alone_decoder(&s->z, FLT_LZMA_MEMLIMIT);
    }
#endif
    if (rc != LZMA_OK) {
        brine_free(s);
        brine_error_set(err, rc == LZMA_MEM_ERROR ? BRINE_E_NOMEM : BRINE_E_PLUGIN, "%s: liblzma cannot start (%d)",
                        FLT_NAME, (int)rc);
        return NULL;
    }
    return s;
}

static int lz_run(void *state, brine_filter_io *io, brine_error *err)
{
    lz_state *s = state;
    s->z.next_in = io->in;
    s->z.avail_in = io->in_len;
    s->z.next_out = io->out;
    s->z.avail_out = io->out_len;
    lzma_ret rc = lzma_code(&s->z, io->finish ? LZMA_FINISH : LZMA_RUN);
    io->in += io->in_len - s->z.avail_in;
    io->in_len = s->z.avail_in;
    io->out += io->out_len - s->z.avail_out;
    io->out_len = s->z.avail_out;
    switch (rc) {
    case LZMA_OK:
    case LZMA_BUF_ERROR: return BRINE_OK; /* no progress now: core tells a truncation */
    case LZMA_STREAM_END: io->end = 1; return BRINE_OK;
    case LZMA_MEM_ERROR: return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    case LZMA_MEMLIMIT_ERROR:
        return brine_error_set(err, BRINE_E_UNSUPPORTED, "the stream needs more than %llu MiB of memory to decode",
                               (unsigned long long)(FLT_LZMA_MEMLIMIT >> 20));
    case LZMA_FORMAT_ERROR: return brine_error_set(err, BRINE_E_CORRUPT, "not %s data (bad header)", FLT_NAME);
    case LZMA_OPTIONS_ERROR: return brine_error_set(err, BRINE_E_CORRUPT, "unsupported or corrupt stream options");
    default: return brine_error_set(err, BRINE_E_CORRUPT, "corrupt data (liblzma error %d)", (int)rc);
    }
}

/* Magic tests of their own names, as in deflate.c (gcovr). */
#ifdef FLT_XZ
static int xz_magic(const unsigned char *head, size_t len)
{
    static const unsigned char m[6] = {0xfd, '7', 'z', 'X', 'Z', 0};
    return len >= 6 && memcmp(head, m, 6) == 0 ? 100 : 0;
}
static const char *const lz_extensions[] = {"xz", "txz", NULL};
#define FLT_MAGIC xz_magic
#define FLT_FLAGS 0u
#define FLT_DESCRIPTION "xz (concatenated streams read as one, like xz -dc)"
#define FLT_MIME "application/x-xz"
#else
/* Properties 0x5d (lc 3, lp 0, pb 2: what every encoder writes by
 * default), then a dictionary size of 2^n or 2^n + 2^(n-1), as xz and
 * Python write. */
static int lzma_alone_magic(const unsigned char *head, size_t len)
{
    if (len < 13 || head[0] != 0x5d)
        return 0;
    uint32_t dict = (uint32_t)head[1] | (uint32_t)head[2] << 8 | (uint32_t)head[3] << 16 | (uint32_t)head[4] << 24;
    for (int n = 12; n < 32; n++)
        if (dict == 1u << n || dict == (1u << n) + (1u << (n - 1)))
            return 60;
    return 0;
}
static const char *const lz_extensions[] = {"lzma", NULL};
#define FLT_MAGIC lzma_alone_magic
#define FLT_FLAGS BRINE_FILTER_WEAK_MAGIC
#define FLT_DESCRIPTION "lzma (the legacy .lzma alone format; joblib's compress='lzma')"
#define FLT_MIME "application/x-lzma"
#endif

static const brine_option_spec lz_options[] = {
    {"level", BRINE_OPT_ENCODE, "preset 0-9 (default 6)"},
    {NULL, 0, NULL},
};

static const brine_filter_ops lz_ops = {
    .size = sizeof(brine_filter_ops),
    .flags = FLT_FLAGS,
    .create = lz_create,
    .run = lz_run,
    .destroy = lz_destroy,
    .magic = FLT_MAGIC,
};

static const brine_plugin lz_plugin =
    FLT_DESCRIPTOR(FLT_NAME, FLT_DESCRIPTION, lz_extensions, FLT_MIME, lz_options, lz_ops);

#ifdef FLT_XZ
BRINE_PLUGIN_DEFINE(xz, lz_plugin)
#else
BRINE_PLUGIN_DEFINE(lzma, lz_plugin)
#endif
