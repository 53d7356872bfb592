/* writer_joblib.c: arrays as joblib.dump writes them (docs/pickle.md,
 * "joblib"): a joblib.numpy_pickle.NumpyArrayWrapper made by NEWOBJ, its
 * state dict set by BUILD, the frame ended there, then outside the pickle
 * a padding length byte, that many 0xff bytes so that the data starts at
 * a multiple of 16 from the start of the file (joblib 1.2's
 * NUMPY_ARRAY_ALIGNMENT_BYTES), and the data in C order. joblib.load with
 * mmap_mode maps the data in place when the wrapper allows it.
 */
#include <string.h>

#include "writer.h"

#define JL_ALIGN 16

static int jl_str(pk_enc *e, const char *s)
{
    brine_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = BRINE_EV_STR;
    ev.v.s.len = strlen(s);
    return pkw_scalar(e, &ev, s);
}

int pkw_array_joblib(pk_enc *e, const brine_array_header *h)
{
    static const unsigned char pad[JL_ALIGN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    unsigned char n;
    uint64_t pos;
    brine_event ev;
    int rc;
    if ((rc = pkw_global(e, "joblib.numpy_pickle", 19, "NumpyArrayWrapper", 17)) ||
        (rc = pkw_op(e, PKOP_EMPTY_TUPLE)) || (rc = pkw_op(e, PKOP_NEWOBJ)) || (rc = pkw_op(e, PKOP_EMPTY_DICT)) ||
        (rc = pkw_op(e, PKOP_MARK)) || (rc = jl_str(e, "subclass")) || (rc = pkw_global(e, "numpy", 5, "ndarray", 7)) ||
        (rc = jl_str(e, "shape")) || (rc = pkw_shape(e, h->ndim, h->shape)) || (rc = jl_str(e, "order")) ||
        (rc = jl_str(e, "C")) || (rc = jl_str(e, "dtype")) || (rc = pkw_dtype(e, h->dtype)) ||
        (rc = jl_str(e, "allow_mmap")) || (rc = pkw_op(e, e->joblib == 1 ? PKOP_NEWTRUE : PKOP_NEWFALSE)) ||
        (rc = jl_str(e, "numpy_array_alignment_bytes")))
        return rc;
    memset(&ev, 0, sizeof ev);
    ev.kind = BRINE_EV_INT;
    ev.v.i = JL_ALIGN;
    if ((rc = pkw_scalar(e, &ev, NULL)) || (rc = pkw_op(e, PKOP_SETITEMS)) || (rc = pkw_op(e, PKOP_BUILD)))
        return rc;
    if (e->dry)
        return BRINE_OK;
    /* joblib reads the bytes from the file after the wrapper's frame:
     * the frame ends here, and the padding counts from the file's start. */
    if ((rc = pkw_raw(e, NULL, 0)) != BRINE_OK)
        return rc;
    pos = brine_output_total(e->out) - e->out_base;
    n = (unsigned char)(JL_ALIGN - (pos + 1) % JL_ALIGN);
    if ((rc = pkw_raw(e, &n, 1)) || (rc = pkw_raw(e, pad, n)))
        return rc;
    return pkw_raw(e, h->data, h->data_len);
}
