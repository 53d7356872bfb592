/* read.c: one .npy stream to one ARRAY event: the magic and version, the
 * header (header.c), then count x itemsize bytes of data, asked of the
 * source only after the header's sizes are checked, so a hostile shape
 * costs nothing until the input backs it. Fortran-order data is transposed
 * into C order in memory of its own; C-order data is sent as the source's
 * view gives it (from a large file, a mapping), so that the builder's copy
 * into the document is the only one.
 */
#include "npy.h"

/* Copies F-order data (the first index varies fastest) into C order. One
 * walk over the output with a running multi-index: each step adds the
 * F-order stride of the axis that moved. */
static void transpose(const unsigned char *src, unsigned char *dst, unsigned ndim, const uint64_t *shape,
                      size_t itemsize, uint64_t count)
{
    uint64_t idx[BRINE_ARRAY_MAX_DIMS] = {0}, stride[BRINE_ARRAY_MAX_DIMS];
    uint64_t s = itemsize;
    for (unsigned d = 0; d < ndim; d++) {
        stride[d] = s;
        s *= shape[d];
    }
    uint64_t at = 0;
    for (uint64_t i = 0; i < count; i++) {
        memcpy(dst, src + at, itemsize);
        dst += itemsize;
        /* The last axis moves first in C order. */
        for (unsigned d = ndim; d-- > 0;) {
            if (++idx[d] < shape[d]) {
                at += stride[d];
                break;
            }
            at -= stride[d] * (shape[d] - 1);
            idx[d] = 0;
        }
    }
}

int npy_read(brine_source *src, brine_sink *sink, brine_doc *dtypes, int *sink_failed, brine_error *err)
{
    uint64_t start = brine_source_offset(src);
    int rc = brine_source_need(src, NPY_PREFIX_V1, err);
    if (rc)
        return rc;
    const unsigned char *p = src->cur;
    if (memcmp(p, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return brine_error_set_at(err, BRINE_E_SYNTAX, start, "not an npy file: no \\x93NUMPY magic");
    unsigned major = p[6], minor = p[7];
    if (major < 1 || major > 3 || minor != 0)
        return brine_error_set_at(err, BRINE_E_VERSION, start + 6,
                                  "npy format version %u.%u (1.0, 2.0 and 3.0 are read)", major, minor);
    size_t prefix = major == 1 ? NPY_PREFIX_V1 : NPY_PREFIX_V2;
    if ((rc = brine_source_need(src, prefix, err)))
        return rc;
    p = src->cur;
    uint64_t hlen = major == 1 ? npy_le16(p + 8) : npy_le32(p + 8);
    if (hlen > NPY_HEADER_MAX)
        return brine_error_set_at(err, BRINE_E_RANGE, start + 8, "an npy header of %llu bytes (at most %u)",
                                  (unsigned long long)hlen, NPY_HEADER_MAX);
    if ((rc = brine_source_need(src, prefix + (size_t)hlen, err)))
        return rc;
    npy_info info;
    if ((rc = npy_header_parse(src->cur + prefix, (size_t)hlen, major == 3, start + prefix, dtypes, &info, err)))
        return rc;
    src->cur += prefix + (size_t)hlen;
    uint64_t data_at = brine_source_offset(src);
    /* A view: from a large file, a mapping read once by the builder's copy
     * (or the transpose) instead of read into the window and copied again. */
    brine_view view;
    if ((rc = brine_source_view(src, info.nbytes, &view, err)))
        return rc;

    unsigned char *tmp = NULL;
    brine_array_header h;
    memset(&h, 0, sizeof h);
    h.dtype = info.dtype;
    h.ndim = info.ndim;
    h.shape = info.shape;
    h.count = info.count;
    h.data = view.data;
    h.data_len = info.nbytes;
    if (info.fortran && info.ndim > 1 && info.count > 1) {
        /* The input backs every byte by now, so this allocation is bounded
         * by it. */
        if (!(tmp = brine_malloc(info.nbytes))) {
            brine_view_release(&view);
            return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        }
        transpose(view.data, tmp, info.ndim, info.shape, brine_dtype_itemsize(info.dtype), info.count);
        h.data = tmp;
    }
    brine_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = BRINE_EV_ARRAY;
    ev.v.array = &h;
    rc = sink->event(sink, &ev);
    brine_free(tmp);
    brine_view_release(&view);
    if (rc) {
        *sink_failed = 1;
        return brine_error_merge_sink(err, sink, rc, data_at, NULL);
    }
    return BRINE_OK;
}
