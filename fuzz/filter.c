/* filter.c: the libFuzzer harness for the byte filter layer (#22,
 * core/filter.c and plugins/filters). The first byte picks a filter; the
 * rest is decompressed under a small limit (the layer must give bytes or a
 * clean error that names the filter, with an offset inside the input, and
 * never exceed the limit), then compressed and decompressed again, which
 * must give it back exactly. Built by fuzz/build.sh, linked statically
 * with every filter (no dlopen). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

const brine_plugin *gzip_LTX_brine_plugin_entry(void);
const brine_plugin *zlib_LTX_brine_plugin_entry(void);
const brine_plugin *bz2_LTX_brine_plugin_entry(void);
const brine_plugin *xz_LTX_brine_plugin_entry(void);
const brine_plugin *lzma_LTX_brine_plugin_entry(void);
const brine_plugin *zstd_LTX_brine_plugin_entry(void);
const brine_plugin *lz4_LTX_brine_plugin_entry(void);

#define FF_FAIL(...)                                                                                                   \
    do {                                                                                                               \
        fprintf(stderr, "filter harness: " __VA_ARGS__);                                                               \
        fputc('\n', stderr);                                                                                           \
        abort();                                                                                                       \
    } while (0)

/* The decompression limit of the harness: small, so that bombs stop fast. */
#define FF_RATIO 50u
#define FF_BYTES ((uint64_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const brine_plugin *ff_filter(unsigned pick)
{
    static const brine_plugin *all[7];
    if (!all[0]) {
        all[0] = gzip_LTX_brine_plugin_entry();
        all[1] = zlib_LTX_brine_plugin_entry();
        all[2] = bz2_LTX_brine_plugin_entry();
        all[3] = xz_LTX_brine_plugin_entry();
        all[4] = lzma_LTX_brine_plugin_entry();
        all[5] = zstd_LTX_brine_plugin_entry();
        all[6] = lz4_LTX_brine_plugin_entry();
    }
    return all[pick % 7];
}

/* Decompresses [data, data + size) to the end; the status, the bytes in out. */
static int ff_inflate(const brine_plugin *f, const uint8_t *data, size_t size, brine_output *out, brine_error *err)
{
    brine_source raw, src;
    brine_options opts = BRINE_OPTIONS(.filter_ratio = FF_RATIO, .filter_bytes = FF_BYTES);
    brine_source_init_buffer(&raw, data, size);
    int rc = brine_source_init_filter(&src, f, &opts, &raw, err);
    uint64_t total = 0;
    while (!rc && (rc = brine_source_more(&src, 1, err)) == BRINE_OK) {
        size_t n = (size_t)(src.end - src.cur);
        total += n;
        if (out && brine_output_write(out, src.cur, n, NULL) != BRINE_OK)
            FF_FAIL("cannot keep %zu bytes", n);
        src.cur = src.end;
    }
    if (total > FF_BYTES + (uint64_t)FF_RATIO * size)
        FF_FAIL("%s gave %llu bytes from %zu, past the limit", f->name, (unsigned long long)total, size);
    brine_source_destroy(&src);
    brine_source_destroy(&raw);
    return rc == BRINE_E_TRUNCATED && total && err->offset == total ? BRINE_OK : rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const brine_plugin *f = ff_filter(data[0]);
    data++;
    size--;

    /* Any bytes: decompressed, or a clean error. The end of a good stream
     * reads as a truncation at the end of its decompressed bytes. */
    brine_error err;
    brine_error_clear(&err);
    int rc = ff_inflate(f, data, size, NULL, &err);
    if (rc && rc != BRINE_E_TRUNCATED && rc != BRINE_E_CORRUPT && rc != BRINE_E_RANGE && rc != BRINE_E_UNSUPPORTED &&
        rc != BRINE_E_NOMEM)
        FF_FAIL("%s: unexpected status %d: %s", f->name, rc, err.message);
    if (rc && rc != BRINE_E_NOMEM) {
        if (!err.message[0])
            FF_FAIL("%s: status %d without a message", f->name, rc);
        if (rc != BRINE_E_TRUNCATED && strncmp(err.message, f->name, strlen(f->name)) != 0)
            FF_FAIL("%s: the message does not name the filter: %s", f->name, err.message);
        if (err.offset != BRINE_NO_OFFSET && err.offset > size && rc != BRINE_E_TRUNCATED)
            FF_FAIL("%s: offset %llu past the input's %zu bytes", f->name, (unsigned long long)err.offset, size);
    }

    /* The bytes compressed and decompressed come back exactly. */
    brine_output mem, z;
    if (brine_output_init_buffer(&mem, NULL) || brine_output_init_filter(&z, f, NULL, &mem, &err))
        FF_FAIL("%s: cannot start the compressor: %s", f->name, err.message);
    if (brine_output_write(&z, data, size, &err) || brine_output_finish(&z, &err))
        FF_FAIL("%s: compressing failed: %s", f->name, err.message);
    brine_output_destroy(&z);
    size_t zlen;
    unsigned char *zbytes = brine_output_take(&mem, &zlen);
    brine_output_destroy(&mem);
    brine_output back;
    brine_output_init_buffer(&back, NULL);
    brine_error_clear(&err);
    rc = ff_inflate(f, zbytes, zlen, &back, &err);
    size_t blen;
    unsigned char *bytes = brine_output_take(&back, &blen);
    brine_output_destroy(&back);
    if (rc != BRINE_OK && !(rc == BRINE_E_TRUNCATED && size == 0) && rc != BRINE_E_RANGE)
        FF_FAIL("%s: its own output does not decompress: %d %s", f->name, rc, err.message);
    if (rc == BRINE_OK && (blen != size || memcmp(bytes, data, size) != 0))
        FF_FAIL("%s: the round trip changed %zu bytes into %zu", f->name, size, blen);
    brine_free(zbytes);
    brine_free(bytes);
    return 0;
}
