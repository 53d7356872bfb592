/* cbor.c: `make bench-cbor`: the cbor plugin next to the msgpack plugin on
 * the same documents (the corpus, or the JSON files given): decode into a
 * graph, encode from it, and the event path (a transcode with no graph:
 * cbor -> json against msgpack -> json, and json -> cbor against
 * json -> msgpack). The two cells of a pair take turns (timing.c), so a
 * busy machine slows both alike; the figure to read is the ratio (and, on
 * a machine so busy that medians jump, the ratio of the fastest runs,
 * printed beside it). Issue #24
 * asks for cbor within 1.2x of msgpack on the event path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

#include "bench.h"

typedef struct op {
    const brine_plugin *fmt, *to;
    const void *in;
    size_t len;
    const brine_value *v;
} op;

static int op_decode(void *ctx)
{
    op *o = ctx;
    brine_doc *doc = brine_decode_buffer(o->fmt, o->in, o->len, NULL, NULL);
    if (!doc)
        return 1;
    brine_doc_free(doc);
    return 0;
}

static int op_encode(void *ctx)
{
    op *o = ctx;
    void *data;
    size_t len;
    if (brine_encode_buffer(o->fmt, o->v, NULL, &data, &len, NULL) != BRINE_OK)
        return 1;
    brine_free(data);
    return 0;
}

static int op_transcode(void *ctx)
{
    op *o = ctx;
    brine_source src;
    brine_output out;
    int rc, streamed = 0;
    brine_source_init_buffer(&src, o->in, o->len);
    if (brine_output_init_buffer(&out, NULL) != BRINE_OK)
        return 1;
    rc = brine_transcode(o->fmt, &src, NULL, o->to, &out, NULL, &streamed, NULL);
    brine_output_destroy(&out);
    brine_source_destroy(&src);
    return rc != BRINE_OK || !streamed;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *p;
    long n;
    if (!fp || fseek(fp, 0, SEEK_END) || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) ||
        !(p = malloc((size_t)n + 1)) || fread(p, 1, (size_t)n, fp) != (size_t)n) {
        fprintf(stderr, "bench-cbor: cannot read %s\n", path);
        exit(1);
    }
    fclose(fp);
    *len = (size_t)n;
    return p;
}

static void pair(const char *what, bench_cell *c, const bench_config *cfg)
{
    const char *only = getenv("BENCH_ONLY"); /* one row, e.g. for perf record */
    if (only && strcmp(only, what) != 0)
        return;
    bench_time_group(c, 2, cfg);
    if (c[0].st.failed || c[1].st.failed) {
        printf("  %-22s failed\n", what);
        return;
    }
    printf("  %-22s cbor %8.3f ms  msgpack %8.3f ms  ratio %.2f  (fastest runs: %.2f)\n", what, c[0].st.median_s * 1e3,
           c[1].st.median_s * 1e3, c[0].st.median_s / c[1].st.median_s, c[0].st.min_s / c[1].st.min_s);
}

int main(int argc, char **argv)
{
    static const char *const corpus[] = {"twitter.json", "citm_catalog.json", "canada.json"};
    bench_config cfg = {0.5, 11, 3.0, 3, 100000};
    brine_registry *reg = brine_registry_new(NULL);
    const brine_plugin *cb, *mp, *js;
    int nfiles = argc > 1 ? argc - 1 : 3;
    if (!reg || brine_registry_load(reg, NULL) != BRINE_OK || !(cb = brine_registry_find(reg, "cbor")) ||
        !(mp = brine_registry_find(reg, "msgpack")) || !(js = brine_registry_find(reg, "json"))) {
        fprintf(stderr, "bench-cbor: cannot load the cbor, msgpack and json plugins\n");
        return 1;
    }
    printf("cbor against msgpack: median per run (runs take turns; the ratio is the figure)\n");
    for (int i = 0; i < nfiles; i++) {
        char path[4096];
        size_t jlen, clen, mlen;
        unsigned char *json;
        void *cbor, *msgpack;
        brine_doc *doc;
        op oc, om;
        bench_cell c[2];
        if (argc > 1)
            snprintf(path, sizeof path, "%s", argv[i + 1]);
        else
            snprintf(path, sizeof path, "%s/%s", BENCH_CORPUS, corpus[i]);
        json = slurp(path, &jlen);
        doc = brine_decode_buffer(js, json, jlen, NULL, NULL);
        if (!doc || brine_encode_buffer(cb, brine_doc_root(doc), NULL, &cbor, &clen, NULL) != BRINE_OK ||
            brine_encode_buffer(mp, brine_doc_root(doc), NULL, &msgpack, &mlen, NULL) != BRINE_OK) {
            fprintf(stderr, "bench-cbor: cannot convert %s\n", path);
            return 1;
        }
        printf("%s: json %zu bytes, cbor %zu, msgpack %zu\n", path, jlen, clen, mlen);
        oc = (op){cb, js, cbor, clen, brine_doc_root(doc)};
        om = (op){mp, js, msgpack, mlen, brine_doc_root(doc)};
        c[0] = (bench_cell){.fn = op_decode, .ctx = &oc};
        c[1] = (bench_cell){.fn = op_decode, .ctx = &om};
        pair("decode", c, &cfg);
        c[0] = (bench_cell){.fn = op_encode, .ctx = &oc};
        c[1] = (bench_cell){.fn = op_encode, .ctx = &om};
        pair("encode", c, &cfg);
        c[0] = (bench_cell){.fn = op_transcode, .ctx = &oc};
        c[1] = (bench_cell){.fn = op_transcode, .ctx = &om};
        pair("-> json (event path)", c, &cfg);
        oc = (op){js, cb, json, jlen, NULL};
        om = (op){js, mp, json, jlen, NULL};
        c[0] = (bench_cell){.fn = op_transcode, .ctx = &oc};
        c[1] = (bench_cell){.fn = op_transcode, .ctx = &om};
        pair("json -> (event path)", c, &cfg);
        brine_free(cbor);
        brine_free(msgpack);
        brine_doc_free(doc);
        free(json);
    }
    brine_registry_free(reg);
    return 0;
}
