/* arrays.c: the float64 array workload of #20: native encode and decode of
 * array values against memcpy of the same bytes, in the same run and
 * process, taking turns (bench_time_group). Two graphs: a list of 8 arrays
 * of 10^6 float64 (64 MB of data), and one array of 10^7 (80 MB). The
 * target: brine's bandwidth at least 50% of memcpy's, that is time(brine)
 * / time(memcpy) <= 2. Data are splitmix-like deterministic doubles, so
 * the checksum and the copy see realistic bytes, not pages of zeros.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

#include "bench.h"

typedef struct arr_op {
    const brine_plugin *nat;
    const brine_value *root;
    const brine_value *lists_root; /* the same floats as lists, as before #20 */
    void *lists_file;
    size_t lists_len;
    void *file; /* the native encoding */
    size_t file_len;
    void *dst;       /* memcpy's destination */
    size_t data_len; /* bytes of array data in the graph */
    brine_error err;
} arr_op;

static int op_encode(void *ctx)
{
    arr_op *o = ctx;
    void *data;
    size_t len;
    if (brine_encode_buffer(o->nat, o->root, NULL, &data, &len, &o->err) != BRINE_OK)
        return 1;
    brine_free(data);
    return 0;
}

static int op_decode(void *ctx)
{
    arr_op *o = ctx;
    brine_doc *doc = brine_decode_buffer(o->nat, o->file, o->file_len, NULL, &o->err);
    if (!doc)
        return 1;
    brine_doc_free(doc);
    return 0;
}

static int op_lists_encode(void *ctx)
{
    arr_op *o = ctx;
    void *data;
    size_t len;
    if (brine_encode_buffer(o->nat, o->lists_root, NULL, &data, &len, &o->err) != BRINE_OK)
        return 1;
    brine_free(data);
    return 0;
}

static int op_lists_decode(void *ctx)
{
    arr_op *o = ctx;
    brine_doc *doc = brine_decode_buffer(o->nat, o->lists_file, o->lists_len, NULL, &o->err);
    if (!doc)
        return 1;
    brine_doc_free(doc);
    return 0;
}

static int op_memcpy(void *ctx)
{
    arr_op *o = ctx;
    memcpy(o->dst, o->file, o->file_len);
    __asm__ volatile("" : : "r"(o->dst) : "memory");
    return 0;
}

/* What producing the bytes in fresh memory costs at the least: the
 * kernel zeroes every new page before the copy can write it. */
static int op_fresh_memcpy(void *ctx)
{
    arr_op *o = ctx;
    void *dst = malloc(o->file_len);
    if (!dst)
        return 1;
    memcpy(dst, o->file, o->file_len);
    __asm__ volatile("" : : "r"(dst) : "memory");
    free(dst);
    return 0;
}

brine_doc *bench_arrays_graph(size_t arrays, size_t count, size_t *data_len, brine_error *err)
{
    brine_doc *doc = brine_doc_new();
    if (!doc)
        return NULL;
    brine_dtype *f8 = brine_dtype_parse(doc, "<f8", 3, err);
    brine_value *list = arrays > 1 ? brine_list_new(doc, err) : NULL;
    uint64_t x = 0x9E3779B97F4A7C15u;
    *data_len = 0;
    for (size_t a = 0; a < arrays; a++) {
        uint64_t shape[] = {count};
        brine_value *v = brine_array_new(doc, f8, 1, shape, NULL, err);
        if (!v)
            break;
        double *d = brine_array_data_mut(v);
        for (size_t i = 0; i < count; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            d[i] = (double)(x >> 11) * 0x1.0p-53;
        }
        *data_len += brine_array_nbytes(v);
        if (list)
            brine_seq_append(list, v, err);
        else
            brine_doc_set_root(doc, v, err);
    }
    if (list)
        brine_doc_set_root(doc, list, err);
    if (err->code) {
        brine_doc_free(doc);
        return NULL;
    }
    return doc;
}

/* The graph's arrays as lists of floats: what a float vector was before
 * array values existed. */
static brine_doc *as_lists(const brine_value *root, brine_error *err)
{
    brine_doc *doc = brine_doc_new();
    if (!doc)
        return NULL;
    brine_value *outer = brine_list_new(doc, err);
    size_t n = brine_type_of(root) == BRINE_LIST ? brine_seq_count(root) : 1;
    for (size_t a = 0; a < n; a++) {
        const brine_value *arr = brine_type_of(root) == BRINE_LIST ? brine_seq_get(root, a) : root;
        brine_value *l = brine_list_new(doc, err);
        const double *d = brine_array_data(arr);
        brine_seq_reserve(l, (size_t)brine_array_count(arr), err);
        for (uint64_t i = 0; i < brine_array_count(arr); i++)
            brine_seq_append(l, brine_float_new(doc, d[i], err), err);
        brine_seq_append(outer, l, err);
    }
    brine_doc_set_root(doc, outer, err);
    return doc;
}

static int run_one(const brine_plugin *nat, const bench_config *cfg, size_t arrays, size_t count, int lists)
{
    brine_error err;
    brine_error_clear(&err);
    arr_op o;
    memset(&o, 0, sizeof o);
    o.nat = nat;
    brine_doc *doc = bench_arrays_graph(arrays, count, &o.data_len, &err);
    if (!doc || brine_encode_buffer(nat, brine_doc_root(doc), NULL, &o.file, &o.file_len, &err) != BRINE_OK) {
        printf("  %zu x %zu float64: skipped: %s\n", arrays, count, err.message);
        brine_doc_free(doc);
        return 1;
    }
    o.root = brine_doc_root(doc);
    brine_doc *ldoc = lists ? as_lists(o.root, &err) : NULL;
    if (ldoc) {
        o.lists_root = brine_doc_root(ldoc);
        if (brine_encode_buffer(nat, o.lists_root, NULL, &o.lists_file, &o.lists_len, &err) != BRINE_OK)
            o.lists_file = NULL;
    }
    o.dst = malloc(o.file_len);
    if (!o.dst) {
        brine_free(o.file);
        brine_doc_free(doc);
        return 1;
    }
    memset(o.dst, 1, o.file_len); /* fault its pages in before timing */
    bench_cell cells[6];
    memset(cells, 0, sizeof cells);
    bench_fn fns[6] = {op_encode, op_decode, op_memcpy, op_fresh_memcpy, op_lists_encode, op_lists_decode};
    int ncells = o.lists_file ? 6 : 4;
    for (int i = 0; i < ncells; i++) {
        cells[i].fn = fns[i];
        cells[i].ctx = &o;
    }
    int rc = bench_time_group(cells, (size_t)ncells, cfg);
    static const char *const names[] = {
        "native encode",           "native decode",          "memcpy of the native bytes", "malloc+memcpy+free (fresh)",
        "as lists: native encode", "as lists: native decode"};
    double mb = (double)o.file_len / 1e6;
    printf("\narrays: %zu x %zu float64 (%.1f MB of data, native file %.1f MB)\n", arrays, count,
           (double)o.data_len / 1e6, mb);
    printf("  %-28s %10s %10s %8s %6s\n", "", "median ms", "MB/s", "vs copy", "runs");
    for (int i = 0; i < ncells; i++) {
        if (cells[i].st.failed) {
            printf("  %-28s FAILED: %s\n", names[i], o.err.message);
            continue;
        }
        double ms = cells[i].st.median_s * 1e3;
        printf("  %-28s %10.2f %10.0f %7.2fx %6zu\n", names[i], ms, mb / cells[i].st.median_s,
               cells[i].st.median_s / cells[2].st.median_s, cells[i].st.reps);
    }
    int met = !cells[0].st.failed && !cells[1].st.failed && cells[0].st.median_s <= 2 * cells[2].st.median_s &&
              cells[1].st.median_s <= 2 * cells[2].st.median_s;
    printf("  #20 target: encode and decode >= 50%% of memcpy's bandwidth (<= 2.00x its time): %s\n",
           met ? "met" : "MISSED");
    if (o.lists_file)
        printf("  (as lists: the same floats as lists of float values, what they were before #20; MB/s and 'vs "
               "copy' count the array file's bytes)\n");
    free(o.dst);
    brine_free(o.file);
    brine_free(o.lists_file);
    brine_doc_free(ldoc);
    brine_doc_free(doc);
    return rc;
}

int bench_arrays_run(const brine_plugin *nat, const bench_config *cfg)
{
    int rc = run_one(nat, cfg, 8, 1000000, 1);
    if (!getenv("BENCH_ARRAYS_SMALL"))
        rc |= run_one(nat, cfg, 1, 10000000, 0);
    return rc;
}
