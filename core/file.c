/* file.c: brine_save_file and brine_load_file, and the file handling that
 * the model calls (model.c) share with them: a save goes to a temporary
 * file beside the target, reaches the disk (fsync) and is renamed over it,
 * as the brine command does, so a crash or a failed encode leaves the old
 * file or the new one, never half of one; a load takes the format from the
 * caller, else the extension, else the first bytes. A name that ends in a
 * filter's extension (model.pkl.gz, #22) is compressed on saving and
 * decompressed on loading, and a load also finds a filter by magic, as the
 * brine command does (docs/formats.md, "Compressed files"). */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

/* Creates a new file beside path to write into, named path.tmp-PID-N, with
 * O_EXCL so that two writers never share one; the umask applies to its
 * mode as to any new file. Returns the descriptor, or -1 with errno. */
static int create_temp(const char *path, char *tmp, size_t cap)
{
    static atomic_uint counter;
    for (int attempt = 0; attempt < 100; attempt++) {
        snprintf(tmp, cap, "%s.tmp-%ld-%u", path, (long)getpid(), atomic_fetch_add(&counter, 1));
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

int brinep_save_atomic(const char *path, brinep_write_fn write, void *ctx, brine_error *err)
{
    /* Renaming over a device or a directory would replace it, not write it. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return brine_error_set(err, BRINE_E_IO, "cannot save to '%s': not a regular file", path);
    size_t cap = strlen(path) + 48;
    char *tmp = brine_malloc(cap);
    if (!tmp)
        return brinep_nomem(err);
    int rc = BRINE_OK;
    FILE *fp = NULL;
    int fd = create_temp(path, tmp, cap);
    if (fd < 0) {
        rc = brine_error_set(err, BRINE_E_IO, "cannot create a file beside '%s': %s", path, strerror(errno));
        brine_free(tmp);
        return rc;
    }
    if (!(fp = fdopen(fd, "wb"))) {
        rc = brine_error_set(err, BRINE_E_IO, "cannot write '%s': %s", tmp, strerror(errno));
        close(fd);
    } else {
        brine_output out;
        rc = brine_output_init_file(&out, fp, err);
        if (rc == BRINE_OK)
            rc = write(&out, ctx, err);
        brine_output_destroy(&out);
        /* The bytes reach the disk before the rename makes them the file, so
         * a crash leaves the old file or the new one, never half of it. */
        if (rc == BRINE_OK && (fflush(fp) != 0 || fsync(fileno(fp)) != 0))
            rc = brine_error_set(err, BRINE_E_IO, "cannot write '%s': %s", path, strerror(errno));
        if (fclose(fp) != 0 && rc == BRINE_OK)
            rc = brine_error_set(err, BRINE_E_IO, "cannot write '%s': %s", path, strerror(errno));
    }
    if (rc == BRINE_OK && rename(tmp, path) != 0)
        rc = brine_error_set(err, BRINE_E_IO, "cannot replace '%s': %s", path, strerror(errno));
    if (rc != BRINE_OK)
        unlink(tmp);
    brine_free(tmp);
    return rc;
}

const brine_plugin *brinep_sniff_source(const brine_registry *reg, brine_source *src, const char *what,
                                        brine_error *err)
{
    brine_error fill;
    brine_error_clear(&fill);
    /* Short input ends the fill early with BRINE_E_TRUNCATED, which is fine:
     * what arrived is what there is to sniff. A read error is not. */
    if (brine_source_more(src, 64, &fill) == BRINE_E_IO) {
        brine_error_set(err, BRINE_E_IO, "cannot read %s: %s", what, fill.message);
        return NULL;
    }
    const brine_plugin *fmt = brine_registry_sniff(reg, src->cur, (size_t)(src->end - src->cur));
    if (!fmt)
        brine_error_set(err, BRINE_E_NOTFOUND, "cannot tell the format of %s", what);
    return fmt;
}

int brinep_load_path(const brine_registry *reg, const brine_plugin *fmt, const char *path, const brine_options *opts,
                     brinep_read_fn read, void *ctx, brine_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return brine_error_set(err, errno == ENOENT ? BRINE_E_NOTFOUND : BRINE_E_IO, "cannot open '%s': %s", path,
                               strerror(errno));
    brine_source raw, src;
    brine_source_init_file(&raw, fp);
    size_t stem_len = strlen(path);
    const brine_plugin *filter = brine_registry_find_filter_extension(reg, path, &stem_len);
    if (!fmt && stem_len < 4096) {
        char stem[4096];
        memcpy(stem, path, stem_len);
        stem[stem_len] = '\0';
        fmt = brine_registry_find_extension(reg, stem);
    }
    if (!filter && reg) {
        brine_error fill;
        brine_error_clear(&fill);
        brine_source_more(&raw, 64, &fill); /* short input is fine: what arrived is what there is */
        filter = brine_registry_sniff_filter(reg, raw.cur, (size_t)(raw.end - raw.cur), fmt);
    }
    int rc = BRINE_OK;
    if (filter)
        rc = brine_source_init_filter(&src, filter, opts, &raw, err);
    brine_source *in = filter ? &src : &raw;
    if (!rc && !fmt) {
        char what[BRINE_ERROR_TEXT / 2];
        snprintf(what, sizeof what, "'%s'", path);
        fmt = brinep_sniff_source(reg, in, what, err);
    }
    if (!rc)
        rc = fmt ? read(fmt, in, ctx, err) : (err && err->code ? err->code : BRINE_E_NOTFOUND);
    if (filter)
        brine_source_destroy(&src);
    brine_source_destroy(&raw);
    fclose(fp);
    return rc;
}

/* ---- plain values ----------------------------------------------------------- */

typedef struct save_ctx {
    const brine_plugin *fmt;
    const brine_value *v;
    const brine_options *opts;
    const brine_plugin *filter; /* path's outer extension's, or NULL */
} save_ctx;

static int save_value(brine_output *out, void *ctx, brine_error *err)
{
    const save_ctx *c = ctx;
    if (!c->filter)
        return brine_encode(c->fmt, c->v, out, c->opts, err);
    brine_output z;
    int rc = brine_output_init_filter(&z, c->filter, NULL, out, err);
    if (rc == BRINE_OK && (rc = brine_encode(c->fmt, c->v, &z, c->opts, err)) == BRINE_OK)
        rc = brine_output_finish(&z, err);
    brine_output_destroy(&z);
    return rc;
}

int brine_save_file(const brine_registry *reg, const brine_plugin *fmt, const brine_value *v, const char *path,
                    const brine_options *opts, brine_error *err)
{
    brinep_enter(err);
    if (!v || !path || (!reg && !fmt))
        return brine_error_set(err, BRINE_E_INVALID, "brine_save_file needs a value, a path and a registry or format");
    size_t stem_len = strlen(path);
    const brine_plugin *filter = brine_registry_find_filter_extension(reg, path, &stem_len);
    if (!fmt && stem_len < 4096) {
        char stem[4096];
        memcpy(stem, path, stem_len);
        stem[stem_len] = '\0';
        fmt = brine_registry_find_extension(reg, stem);
    }
    if (!fmt)
        return brine_error_set(err, BRINE_E_NOTFOUND, "no format has the extension of '%s'", path);
    /* Refused before a temporary file exists, as the encoder would refuse it. */
    int rc = brine_options_check(fmt, opts, 1, err);
    if (rc != BRINE_OK)
        return rc;
    save_ctx c = {fmt, v, opts, filter};
    return brinep_save_atomic(path, save_value, &c, err);
}

typedef struct load_ctx {
    const brine_options *opts;
    brine_doc *doc;
} load_ctx;

static int load_value(const brine_plugin *fmt, brine_source *src, void *ctx, brine_error *err)
{
    load_ctx *c = ctx;
    c->doc = brine_decode(fmt, src, c->opts, err);
    return c->doc ? BRINE_OK : (err && err->code ? err->code : BRINE_E_INVALID);
}

brine_doc *brine_load_file(const brine_registry *reg, const brine_plugin *fmt, const char *path,
                           const brine_options *opts, brine_error *err)
{
    brinep_enter(err);
    if (!path || (!reg && !fmt)) {
        brine_error_set(err, BRINE_E_INVALID, "brine_load_file needs a path and a registry or format");
        return NULL;
    }
    load_ctx c = {opts, NULL};
    if (brinep_load_path(reg, fmt, path, opts, load_value, &c, err) != BRINE_OK) {
        brine_doc_free(c.doc);
        return NULL;
    }
    return c.doc;
}
