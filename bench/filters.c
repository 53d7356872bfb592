/* filters.c: what the byte filter layer (#22, core/filter.c) adds to the
 * compression libraries' own time: for each corpus file, zstd and gzip
 * decompression straight through the library's streaming call into a
 * 64 KiB buffer, against the same bytes drained from a
 * brine_source_init_filter source (the window a decoder reads); and
 * compression through the library against brine_output_init_filter. Runs
 * interleaved (each pair in alternating order), reports the medians of
 * thread CPU time and their ratio (target: at most 1.10).
 * `make bench-filters`; docs/performance.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <zstd.h>

#include <brine/format.h>

enum { ROUNDS = 31, CHUNK = 64 * 1024 };

/* Thread CPU time: on a busy machine (the one these figures came from had a
 * load of 18 on 2 cores) wall time mostly measures the other processes. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    unsigned char *p = malloc(*len ? *len : 1);
    if (fread(p, 1, *len, f) != *len) {
        free(p);
        p = NULL;
    }
    fclose(f);
    return p;
}

static unsigned char out_buf[CHUNK];
static volatile unsigned sink_byte;

/* The library's own streaming decompression, output dropped. */
static size_t lib_inflate(const char *name, const unsigned char *z, size_t zlen)
{
    size_t total = 0;
    if (strcmp(name, "zstd") == 0) {
        ZSTD_DCtx *d = ZSTD_createDCtx();
        ZSTD_inBuffer in = {z, zlen, 0};
        while (in.pos < in.size) {
            ZSTD_outBuffer out = {out_buf, CHUNK, 0};
            ZSTD_decompressStream(d, &out, &in);
            total += out.pos;
            sink_byte += out_buf[0];
        }
        ZSTD_freeDCtx(d);
    } else {
        z_stream s;
        memset(&s, 0, sizeof s);
        inflateInit2(&s, 31);
        s.next_in = (Bytef *)(uintptr_t)z;
        s.avail_in = (uInt)zlen;
        int rc = Z_OK;
        while (rc == Z_OK) {
            s.next_out = out_buf;
            s.avail_out = CHUNK;
            rc = inflate(&s, Z_NO_FLUSH);
            total += CHUNK - s.avail_out;
            sink_byte += out_buf[0];
        }
        inflateEnd(&s);
    }
    return total;
}

/* The same through a brine filter source, read as a decoder reads. */
static size_t brine_inflate(const brine_plugin *f, const unsigned char *z, size_t zlen)
{
    brine_source raw, src;
    brine_source_init_buffer(&raw, z, zlen);
    brine_source_init_filter(&src, f, NULL, &raw, NULL);
    size_t total = 0;
    while (brine_source_more(&src, 1, NULL) == BRINE_OK) {
        total += (size_t)(src.end - src.cur);
        sink_byte += src.cur[0];
        src.cur = src.end;
    }
    brine_source_destroy(&src);
    return total;
}

static int drop(void *ctx, const void *data, size_t len)
{
    (void)ctx;
    sink_byte += len ? ((const unsigned char *)data)[0] : 0;
    return 0;
}

/* The library's own streaming compression, output dropped, fed 64 KiB at
 * a time as a stream is (a whole buffer given at once with the end flag
 * lets zstd size its tables for the known length, which no stream can). */
static void lib_deflate(const char *name, const unsigned char *p, size_t len)
{
    if (strcmp(name, "zstd") == 0) {
        ZSTD_CCtx *c = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
        ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
        for (size_t at = 0;; at += CHUNK) {
            size_t n = len - at < CHUNK ? len - at : CHUNK;
            int last = at + n >= len;
            ZSTD_inBuffer in = {p + at, n, 0};
            size_t left;
            do {
                ZSTD_outBuffer out = {out_buf, CHUNK, 0};
                left = ZSTD_compressStream2(c, &out, &in, last ? ZSTD_e_end : ZSTD_e_continue);
                drop(NULL, out_buf, out.pos);
            } while (last ? left != 0 : in.pos < in.size);
            if (last)
                break;
        }
        ZSTD_freeCCtx(c);
    } else {
        z_stream s;
        memset(&s, 0, sizeof s);
        deflateInit2(&s, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
        for (size_t at = 0;; at += CHUNK) {
            size_t n = len - at < CHUNK ? len - at : CHUNK;
            int last = at + n >= len, rc;
            s.next_in = (Bytef *)(uintptr_t)(p + at);
            s.avail_in = (uInt)n;
            do {
                s.next_out = out_buf;
                s.avail_out = CHUNK;
                rc = deflate(&s, last ? Z_FINISH : Z_NO_FLUSH);
                drop(NULL, out_buf, CHUNK - s.avail_out);
            } while (last ? rc == Z_OK : s.avail_in > 0);
            if (last)
                break;
        }
        deflateEnd(&s);
    }
}

/* The same written through a brine filter output in 4 KiB pieces, as an
 * encoder writes. */
static void brine_deflate(const brine_plugin *f, const unsigned char *p, size_t len)
{
    brine_output inner, out;
    brine_output_init_callback(&inner, drop, NULL, NULL);
    brine_output_init_filter(&out, f, NULL, &inner, NULL);
    for (size_t at = 0; at < len; at += 4096)
        brine_output_write(&out, p + at, len - at < 4096 ? len - at : 4096, NULL);
    brine_output_finish(&out, NULL);
    brine_output_destroy(&out);
    brine_output_destroy(&inner);
}

int main(int argc, char **argv)
{
    brine_registry *reg = brine_registry_new(NULL);
    brine_registry_load(reg, NULL);
    static const char *const names[] = {"zstd", "gzip"};
    printf("%-18s %-5s %9s %9s %6s %9s %9s %6s\n", "file", "filter", "lib dec", "brine", "ratio", "lib enc", "brine",
           "ratio");
    for (int i = 1; i < argc; i++) {
        size_t len;
        unsigned char *data = slurp(argv[i], &len);
        if (!data) {
            fprintf(stderr, "cannot read %s\n", argv[i]);
            return 1;
        }
        const char *base = strrchr(argv[i], '/');
        base = base ? base + 1 : argv[i];
        for (int k = 0; k < 2; k++) {
            const brine_plugin *f = brine_registry_find_filter(reg, names[k]);
            if (!f) {
                fprintf(stderr, "no %s filter\n", names[k]);
                return 1;
            }
            brine_output mem, z;
            brine_output_init_buffer(&mem, NULL);
            brine_output_init_filter(&z, f, NULL, &mem, NULL);
            brine_output_write(&z, data, len, NULL);
            brine_output_finish(&z, NULL);
            brine_output_destroy(&z);
            size_t zlen;
            unsigned char *zbytes = brine_output_take(&mem, &zlen);
            brine_output_destroy(&mem);
            if (lib_inflate(names[k], zbytes, zlen) != len || brine_inflate(f, zbytes, zlen) != len) {
                fprintf(stderr, "%s: %s does not round-trip\n", base, names[k]);
                return 1;
            }
            double ld[ROUNDS], bd[ROUNDS], le[ROUNDS], be[ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                for (int o = 0; o < 2; o++) {
                    double t = now();
                    if ((o ^ r) & 1) {
                        lib_inflate(names[k], zbytes, zlen);
                        ld[r] = now() - t;
                    } else {
                        brine_inflate(f, zbytes, zlen);
                        bd[r] = now() - t;
                    }
                }
                for (int o = 0; o < 2; o++) {
                    double t = now();
                    if ((o ^ r) & 1) {
                        lib_deflate(names[k], data, len);
                        le[r] = now() - t;
                    } else {
                        brine_deflate(f, data, len);
                        be[r] = now() - t;
                    }
                }
            }
            double mld = median(ld, ROUNDS), mbd = median(bd, ROUNDS), mle = median(le, ROUNDS),
                   mbe = median(be, ROUNDS);
            printf("%-18s %-5s %7.2fms %7.2fms %6.3f %7.2fms %7.2fms %6.3f\n", base, names[k], mld * 1e3, mbd * 1e3,
                   mbd / mld, mle * 1e3, mbe * 1e3, mbe / mle);
            brine_free(zbytes);
        }
        free(data);
    }
    brine_registry_free(reg);
    return 0;
}
