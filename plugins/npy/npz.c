/* npz.c: the npz format: numpy's .npz, a zip of .npy members (numpy.savez,
 * numpy.savez_compressed). It decodes to a dict {member name without
 * ".npy": array}, a member that is no .npy becoming bytes as numpy.load
 * gives it, and encodes a dict of str to arrays (and bytes, written back
 * as such members, so that what it reads it writes). The zip is zip.c's; each
 * member's .npy is read.c's and header.c's, as for the npy format.
 */
#include <stdio.h>

#include "zip.h"

/* ---- decoding ---- */

/* An error inside member e, from a decode of its bytes into local: located
 * in the zip for a stored member, at the member for a deflated one. */
static int member_fail(brine_error *err, const zip_entry *e, const brine_error *local)
{
    int n = e->name_len > 64 ? 64 : (int)e->name_len;
    if (e->method == ZIP_STORED)
        return brine_error_set_at(err, local->code, local->offset, "npz member '%.*s': %s", n, (const char *)e->name,
                                  local->message);
    return brine_error_set_at(err, local->code, e->header_at, "npz member '%.*s' (deflated), byte %llu of its data: %s",
                              n, (const char *)e->name, (unsigned long long)local->offset, local->message);
}

static int send(brine_sink *sink, brine_event *ev, uint64_t at, brine_error *err)
{
    int rc = sink->event(sink, ev);
    return rc ? brine_error_merge_sink(err, sink, rc, at, NULL) : BRINE_OK;
}

static int member(brine_sink *sink, const zip_entry *e, const unsigned char *p, uint64_t base, brine_doc *dtypes,
                  brine_error *err)
{
    size_t nlen = e->name_len;
    if (nlen >= 4 && memcmp(e->name + nlen - 4, ".npy", 4) == 0)
        nlen -= 4;
    size_t bad = brine_utf8_check((const char *)e->name, nlen);
    if (bad != nlen)
        return brine_error_set_at(err, BRINE_E_UTF8, e->header_at + 30 + bad, "npz: a member name that is not UTF-8");
    brine_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = BRINE_EV_STR;
    ev.v.s.ptr = (const char *)e->name;
    ev.v.s.len = nlen;
    int rc = send(sink, &ev, e->header_at, err);
    if (rc)
        return rc;

    const unsigned char *data = p + (size_t)(e->data_at - base);
    unsigned char *inflated = NULL;
    if (e->method == ZIP_DEFLATED) {
        if ((rc = zip_inflate(e, data, &inflated, err)))
            return rc;
        data = inflated;
    } else if (zip_crc32(0, data, (size_t)e->csize) != e->crc) {
        return brine_error_set_at(err, BRINE_E_CORRUPT, e->header_at,
                                  "npz member '%.*s': its CRC-32 does not match its data",
                                  (int)(e->name_len > 64 ? 64 : e->name_len), (const char *)e->name);
    }
    size_t len = (size_t)e->usize;
    if (len < NPY_MAGIC_LEN || memcmp(data, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
        /* Not an array: numpy.load returns such a member's bytes. */
        memset(&ev, 0, sizeof ev);
        ev.kind = BRINE_EV_BYTES;
        ev.v.s.ptr = (const char *)data;
        ev.v.s.len = len;
        rc = send(sink, &ev, e->data_at, err);
        brine_free(inflated);
        return rc;
    }
    brine_source ms;
    brine_source_init_buffer(&ms, data, len);
    if (e->method == ZIP_STORED)
        ms.base = e->data_at; /* errors located in the zip itself */
    brine_error local;
    brine_error_clear(&local);
    int failed = 0;
    rc = npy_read(&ms, sink, dtypes, &failed, &local);
    if (rc == BRINE_OK && ms.cur != ms.end)
        rc = brine_error_set_at(&local, BRINE_E_CORRUPT, brine_source_offset(&ms), "bytes after the array's data");
    if (rc) {
        if (failed) {
            if (err && err->code == BRINE_OK)
                *err = local; /* the sink's own error, path and all */
        } else {
            member_fail(err, e, &local);
        }
    }
    brine_free(inflated);
    return rc;
}

static int npz_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err)
{
    (void)opts;
    /* The directory is at the end: the whole input is needed first. */
    int rc = brine_source_read_all(src, err);
    if (rc)
        return rc;
    const unsigned char *p = src->cur;
    size_t len = (size_t)(src->end - src->cur);
    uint64_t base = brine_source_offset(src);
    zip_entry *entries;
    size_t count;
    if ((rc = zip_read_directory(p, len, base, &entries, &count, err)))
        return rc;
    brine_doc *dtypes = brine_doc_new();
    if (!dtypes) {
        brine_free(entries);
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    }
    brine_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = BRINE_EV_DICT;
    ev.v.count = count;
    rc = send(sink, &ev, base, err);
    for (size_t k = 0; rc == BRINE_OK && k < count; k++)
        rc = member(sink, &entries[k], p, base, dtypes, err);
    if (rc == BRINE_OK) {
        memset(&ev, 0, sizeof ev);
        ev.kind = BRINE_EV_END;
        rc = send(sink, &ev, base + len, err);
    }
    if (rc == BRINE_OK)
        src->cur = src->end;
    brine_doc_free(dtypes);
    brine_free(entries);
    return rc;
}

/* A zip starts with a local header (or, empty, with its end record); only
 * the .npy magic in the first member's data makes it an npz rather than any
 * zip, and a zip whose first member is not .npy may still be one. */
static int npz_sniff(const unsigned char *head, size_t len)
{
    if (len < 4 || memcmp(head, "PK\3\4", 4) != 0)
        return len >= 4 && memcmp(head, "PK\5\6", 4) == 0 ? 30 : 0;
    if (len >= 30) {
        size_t at = 30 + (size_t)npy_le16(head + 26) + npy_le16(head + 28);
        if (at + NPY_MAGIC_LEN <= len && memcmp(head + at, NPY_MAGIC, NPY_MAGIC_LEN) == 0)
            return 100;
        if (at + NPY_MAGIC_LEN <= len && npy_le16(head + 8) == ZIP_STORED)
            return 40;
    }
    return 60;
}

/* ---- encoding ---- */

typedef struct npz_enc {
    brine_sink sink; /* first member: a brine_sink * is an npz_enc * */
    zip_writer *zw;
    int state;  /* 0 before the dict, 1 a key or the end, 2 a value, 3 done */
    char *name; /* the current key + ".npy" */
    size_t name_len, name_cap;
} npz_enc;

static int enc_event(brine_sink *sink, const brine_event *ev)
{
    npz_enc *e = (npz_enc *)sink;
    switch (e->state) {
    case 0:
        if (ev->kind != BRINE_EV_DICT)
            return brine_error_set(sink->err, BRINE_E_TYPE, "npz holds a dict of str to arrays, not %s",
                                   npy_event_what(ev->kind));
        e->state = 1;
        return BRINE_OK;
    case 1:
        if (ev->kind == BRINE_EV_END) {
            e->state = 3;
            return BRINE_OK;
        }
        if (ev->kind != BRINE_EV_STR)
            return brine_error_set(sink->err, BRINE_E_TYPE, "npz keys are str (member names), not %s",
                                   npy_event_what(ev->kind));
        if (ev->v.s.len > e->name_cap - 4 || !e->name) {
            size_t cap = ev->v.s.len + 64;
            char *n = brine_realloc(e->name, cap);
            if (!n)
                return brine_error_set(sink->err, BRINE_E_NOMEM, "out of memory");
            e->name = n;
            e->name_cap = cap;
        }
        if (ev->v.s.len)
            memcpy(e->name, ev->v.s.ptr, ev->v.s.len);
        memcpy(e->name + ev->v.s.len, ".npy", 4);
        e->name_len = ev->v.s.len + 4;
        e->state = 2;
        return BRINE_OK;
    case 2: {
        if (ev->kind == BRINE_EV_BYTES) {
            /* A member that is no array, as numpy.load gives one back:
             * stored under its key as it is, without ".npy". */
            if (ev->v.s.len >= NPY_MAGIC_LEN && memcmp(ev->v.s.ptr, NPY_MAGIC, NPY_MAGIC_LEN) == 0)
                return brine_error_set(
                    sink->err, BRINE_E_UNSUPPORTED,
                    "npz cannot hold bytes that start like an npy file: they would read as an array");
            const void *part = ev->v.s.ptr;
            size_t len = ev->v.s.len;
            e->state = 1;
            return zip_write_member(e->zw, e->name, e->name_len - 4, &part, &len, 1, sink->err);
        }
        if (ev->kind != BRINE_EV_ARRAY)
            return brine_error_set(sink->err, BRINE_E_TYPE, "npz holds a dict of str to arrays: a value is %s",
                                   npy_event_what(ev->kind));
        const brine_array_header *h = ev->v.array;
        unsigned char *head;
        size_t hlen;
        int rc = npy_header_build(h->dtype, h->ndim, h->shape, &head, &hlen, sink->err);
        if (rc)
            return rc;
        const void *parts[2] = {head, h->data};
        size_t lens[2] = {hlen, h->data_len};
        rc = zip_write_member(e->zw, e->name, e->name_len, parts, lens, 2, sink->err);
        brine_free(head);
        e->state = 1;
        return rc;
    }
    default: return brine_error_set(sink->err, BRINE_E_TYPE, "npz holds one dict");
    }
}

static int enc_finish(brine_sink *sink)
{
    npz_enc *e = (npz_enc *)sink;
    if (e->state != 3)
        return brine_error_set(sink->err, BRINE_E_INVALID, "the value is incomplete");
    return zip_write_end(e->zw, sink->err);
}

static void enc_destroy(brine_sink *sink)
{
    npz_enc *e = (npz_enc *)sink;
    zip_writer_free(e->zw);
    brine_free(e->name);
    brine_free(e);
}

/* compress: absent or 0 stores; bare, the zlib default of 6 (what
 * numpy.savez_compressed uses); compress=1..9 a level. */
static int compress_level(const brine_options *opts, int *level, brine_error *err)
{
    const char *v = brine_options_get(opts, "compress");
    *level = 0;
    if (!v)
        return BRINE_OK;
    if (!*v) {
        *level = 6;
        return BRINE_OK;
    }
    if (v[0] >= '0' && v[0] <= '9' && !v[1]) {
        *level = v[0] - '0';
        return BRINE_OK;
    }
    if (!brine_options_flag(opts, "compress"))
        return BRINE_OK;
    return brine_error_set(err, BRINE_E_OPTION, "the npz option compress takes a level 0-9, not '%.32s'", v);
}

static brine_sink *npz_encoder_new(brine_output *out, const brine_options *opts, brine_error *err)
{
    int level;
    if (compress_level(opts, &level, err))
        return NULL;
    npz_enc *e = brine_malloc(sizeof *e);
    if (!e) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    memset(e, 0, sizeof *e);
    if (!(e->zw = zip_writer_new(out, level, err))) {
        brine_free(e);
        return NULL;
    }
    e->sink.event = enc_event;
    e->sink.finish = enc_finish;
    e->sink.destroy = enc_destroy;
    e->sink.flags = BRINE_SINK_ARRAYS;
    e->sink.err = err;
    return &e->sink;
}

static const char *const npz_extensions[] = {"npz", NULL};

static const brine_option_spec npz_options[] = {
    {"compress", BRINE_OPT_ENCODE,
     "deflate the members like numpy.savez_compressed (compress=1..9: zlib's level, 6 when bare)"},
    {NULL, 0, NULL},
};

static const brine_plugin npz_plugin = {
    .abi = BRINE_PLUGIN_ABI,
    .size = sizeof(brine_plugin),
    .name = "npz",
    .description = "numpy's .npz: a zip of .npy arrays, read as a dict (stored or deflated)",
    .version = "1.0",
    .extensions = npz_extensions,
    .mime_type = "application/x-npz",
    .caps = BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_BINARY,
    .options = npz_options,
    .sniff = npz_sniff,
    .decode = npz_decode,
    .encoder_new = npz_encoder_new,
};

BRINE_PLUGIN_DEFINE(npz, npz_plugin)
