/* pickle_arrays.c: the numpy-heavy pickle of #20: a list of 8 float64
 * arrays of 10^6 elements (64 MB of data) written by brine's pickle writer
 * at protocol 4 in numpy's own form (_reconstruct + BUILD, each array's
 * bytes one BINBYTES8 outside the frames, as numpy's pickles have them),
 * then decoded into a document and encoded again, against memcpy of the
 * same bytes in the same run. The target of #20 is decoding faster than
 * CPython's pickle.loads of numpy's pickle of the same arrays, which
 * `make bench-pickle` (pickle_anchor.py, "numpy arrays") measures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

#include "bench.h"

typedef struct pka_op {
    const brine_plugin *pk;
    const brine_value *root;
    void *file;
    size_t file_len;
    void *dst;
    brine_error err;
} pka_op;

static const brine_options *proto4(void)
{
    static const char *const items[] = {"protocol=4"};
    static const brine_options opts = {.count = 1, .items = items};
    return &opts;
}

static int op_decode(void *ctx)
{
    pka_op *o = ctx;
    brine_doc *doc = brine_decode_buffer(o->pk, o->file, o->file_len, NULL, &o->err);
    if (!doc)
        return 1;
    brine_doc_free(doc);
    return 0;
}

static int op_encode(void *ctx)
{
    pka_op *o = ctx;
    void *data;
    size_t len;
    if (brine_encode_buffer(o->pk, o->root, proto4(), &data, &len, &o->err) != BRINE_OK)
        return 1;
    brine_free(data);
    return 0;
}

static int op_memcpy(void *ctx)
{
    pka_op *o = ctx;
    memcpy(o->dst, o->file, o->file_len);
    __asm__ volatile("" : : "r"(o->dst) : "memory");
    return 0;
}

int bench_pickle_arrays_run(const brine_plugin *pk, const bench_config *cfg)
{
    pka_op o;
    size_t data_len;
    memset(&o, 0, sizeof o);
    brine_error_clear(&o.err);
    o.pk = pk;
    brine_doc *doc = bench_arrays_graph(8, 1000000, &data_len, &o.err);
    if (!doc || brine_encode_buffer(pk, brine_doc_root(doc), proto4(), &o.file, &o.file_len, &o.err) != BRINE_OK ||
        !(o.dst = malloc(o.file_len))) {
        printf("\npickle arrays: skipped: %s\n", o.err.message);
        brine_free(o.file);
        brine_doc_free(doc);
        return 1;
    }
    o.root = brine_doc_root(doc);
    memset(o.dst, 1, o.file_len);
    bench_cell cells[3];
    bench_fn fns[3] = {op_decode, op_encode, op_memcpy};
    static const char *const names[] = {"pickle decode", "pickle encode", "memcpy of the pickle bytes"};
    memset(cells, 0, sizeof cells);
    for (int i = 0; i < 3; i++) {
        cells[i].fn = fns[i];
        cells[i].ctx = &o;
    }
    int rc = bench_time_group(cells, 3, cfg);
    double mb = (double)o.file_len / 1e6;
    printf("\npickle arrays: 8 x 1000000 float64, protocol 4 (%.1f MB of data, pickle %.1f MB)\n",
           (double)data_len / 1e6, mb);
    printf("  %-28s %10s %10s %8s %6s\n", "", "median ms", "MB/s", "vs copy", "runs");
    for (int i = 0; i < 3; i++) {
        if (cells[i].st.failed) {
            printf("  %-28s FAILED: %s\n", names[i], o.err.message);
            continue;
        }
        printf("  %-28s %10.2f %10.0f %7.2fx %6zu\n", names[i], cells[i].st.median_s * 1e3, mb / cells[i].st.median_s,
               cells[i].st.median_s / cells[2].st.median_s, cells[i].st.reps);
    }
    printf("  #20 target: decode faster than CPython's pickle.loads of the same arrays (make bench-pickle,\n"
           "  'numpy arrays')\n");
    free(o.dst);
    brine_free(o.file);
    brine_doc_free(doc);
    return rc;
}
