/* bench.c: `make bench`. For each workload (the JSON corpus files and the
 * generated model) and each format, times brine's decode and encode next to
 * the raw libraries on the same data, memcpy of the same bytes, and the two
 * transcoding directions, then prints one table per workload and a summary
 * of the targets of issues 4, 5, 6 and 9. The cells are in timing.c and
 * raw.c; docs/performance.md explains how to read the output.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <brine/format.h>

#include "bench.h"

#ifndef BENCH_CORPUS
#define BENCH_CORPUS "bench/corpus"
#endif
#ifndef BENCH_CFLAGS
#define BENCH_CFLAGS "?"
#endif

enum { F_NATIVE, F_MSGPACK, F_JSON, NFMT };
static const char *const fmt_names[NFMT] = {"native", "msgpack", "json"};
static const brine_plugin *fmts[NFMT];

/* A byte buffer of our own, always followed by a NUL (cJSON_Parse needs it). */
typedef struct bytes {
    char *data;
    size_t len;
} bytes;

typedef struct workload {
    char name[64];
    const char *path; /* the corpus file, or NULL for the generated model */
    bytes file;       /* the corpus file's text */
    brine_doc *doc;   /* the graph */
    size_t values, depth;
    bytes enc[NFMT]; /* brine's encoding of the graph in each format */
    bytes *in[NFMT]; /* what decoding reads: enc, or the file itself for json */
} workload;

/* What a cell works on. */
typedef struct op {
    const brine_plugin *fmt, *to;
    const bytes *in;
    const brine_value *root;
    raw_mp_tree *mp;
    raw_cj_tree *cj;
    raw_sj_doc *sj; /* simdjson's padded copy of the JSON and its parser */
    char *dst;      /* memcpy's destination */
    size_t out_len;
    int streamed;
    brine_error err;
} op;

/* One measured line of a workload's table: a cell of a comparison group. */
typedef struct row {
    char label[48];
    int group;    /* cells of one group are timed taking turns */
    bench_fn fn;  /* the operation, on o */
    op o;         /* its data, and what it reports (error, bytes written) */
    long long io; /* bytes read, or -1: the bytes each run writes */
    const char *vs_label;
    size_t len; /* bytes read (decode, memcpy, transcode) or written (encode) */
    bench_stats st;
    int vs;                           /* index of the raw row this one is compared with, or -1 */
    int skipped;                      /* left out by --only */
    char note[BRINE_ERROR_TEXT + 16]; /* why it failed, or a remark */
} row;

#define MAX_ROWS 24

typedef struct table {
    row rows[MAX_ROWS];
    int count;
} table;

/* The targets of the issues, as limits on time(brine) / time(raw). */
typedef struct target {
    const char *what;
    const char *brine_row, *raw_row;
    double limit;
    int corpus_only;     /* the issue states it for the corpus files */
    const char *alt_row; /* another brine path for the same job, or NULL: the better one counts */
} target;

static const target targets[] = {
    {"#4 native decode <= 0.5 x msgpack_unpack", "native decode", "raw msgpack_unpack", 0.5, 0,
     "native decode (borrowed)"},
    {"#4 native encode <= 0.5 x msgpack_pack", "native encode", "raw msgpack_pack_object", 0.5, 0, NULL},
    {"#5 msgpack decode <= 1.0 x msgpack_unpack", "msgpack decode", "raw msgpack_unpack", 1.0, 0,
     "msgpack decode (borrowed)"},
    {"#5 msgpack encode <= 1.2 x msgpack_pack", "msgpack encode", "raw msgpack_pack_object", 1.2, 0, NULL},
    {"#6 json decode <= 1.3 x cJSON_Parse", "json decode", "raw cJSON_Parse", 1.3, 1, NULL},
    {"#6 json encode <= 1/3 x cJSON_Print", "json encode", "raw cJSON_PrintUnformatted", 1.0 / 3, 1, NULL},
    {"#9 json->msgpack <= 1.0 x raw route", "json->msgpack brine", "json->msgpack raw route", 1.0, 1, NULL},
    {"#9 msgpack->json <= 1/3 x raw route", "msgpack->json brine", "msgpack->json raw route", 1.0 / 3, 1, NULL},
};
#define NTARGETS (sizeof targets / sizeof targets[0])

#define MAX_WORKLOADS 16
static double ratios[MAX_WORKLOADS][NTARGETS]; /* 0 when not measured */
static int by_alt[MAX_WORKLOADS][NTARGETS];    /* the ratio is the alt_row's */
static char wl_names[MAX_WORKLOADS][64];
static int wl_corpus[MAX_WORKLOADS];
static int wl_count;
static int failures;

/* ---- operations timed by the cells ---------------------------------------- */

static int op_decode(void *ctx)
{
    op *o = ctx;
    brine_doc *doc = brine_decode_buffer(o->fmt, o->in->data, o->in->len, NULL, &o->err);
    if (!doc)
        return 1;
    brine_doc_free(doc);
    return 0;
}

/* The borrowing decode (#23): str and bytes stay in the input. */
static int op_decode_borrowed(void *ctx)
{
    op *o = ctx;
    brine_doc *doc = brine_decode_buffer_borrowed(o->fmt, o->in->data, o->in->len, NULL, &o->err);
    if (!doc)
        return 1;
    brine_doc_free(doc);
    return 0;
}

/* The event path of the same decoder (#23): its decode into a builder, as
 * brine_decode did before decode_direct, for a before/after in one run. */
static int op_decode_events(void *ctx)
{
    op *o = ctx;
    brine_source src;
    brine_doc *doc = brine_doc_new();
    brine_sink *b = doc ? brine_builder_new(doc, 0, &o->err) : NULL;
    brine_source_init_buffer(&src, o->in->data, o->in->len);
    int rc = b ? o->fmt->decode(&src, b, NULL, &o->err) : 1;
    if (rc == BRINE_OK)
        rc = b->finish(b);
    if (b)
        b->destroy(b);
    brine_doc_free(doc);
    return rc != BRINE_OK;
}

static int op_encode(void *ctx)
{
    op *o = ctx;
    void *data;
    if (brine_encode_buffer(o->fmt, o->root, NULL, &data, &o->out_len, &o->err) != BRINE_OK)
        return 1;
    brine_free(data);
    return 0;
}

static int op_transcode(void *ctx)
{
    op *o = ctx;
    brine_source src;
    brine_output out;
    if (brine_output_init_buffer(&out, &o->err) != BRINE_OK)
        return 1;
    brine_source_init_buffer(&src, o->in->data, o->in->len);
    int rc = brine_transcode(o->fmt, &src, NULL, o->to, &out, NULL, &o->streamed, &o->err);
    o->out_len = (size_t)brine_output_total(&out);
    brine_source_destroy(&src);
    brine_output_destroy(&out);
    return rc;
}

static int op_memcpy(void *ctx)
{
    op *o = ctx;
    memcpy(o->dst, o->in->data, o->in->len);
    /* Keeps the copy from being optimised away. */
    __asm__ volatile("" : : "r"(o->dst) : "memory");
    return 0;
}

static int op_mp_unpack(void *ctx)
{
    op *o = ctx;
    return raw_mp_unpack(o->in->data, o->in->len);
}

static int op_mp_pack(void *ctx)
{
    op *o = ctx;
    return raw_mp_pack(o->mp, &o->out_len);
}

static int op_cj_parse(void *ctx)
{
    op *o = ctx;
    return raw_cj_parse(o->in->data);
}

#ifdef BENCH_SIMDJSON
static int op_sj_parse(void *ctx)
{
    op *o = ctx;
    return raw_sj_parse(o->sj);
}
#endif

static int op_cj_print(void *ctx)
{
    op *o = ctx;
    return raw_cj_print(o->cj, &o->out_len);
}

static int op_json_to_msgpack(void *ctx)
{
    op *o = ctx;
    return raw_json_to_msgpack(o->in->data, &o->out_len);
}

static int op_msgpack_to_json(void *ctx)
{
    op *o = ctx;
    return raw_msgpack_to_json(o->in->data, o->in->len, &o->out_len);
}

/* ---- running cells -------------------------------------------------------- */

/* What is being measured, on a terminal only, erased before the tables. */
static void progress(const char *what)
{
    if (!isatty(STDERR_FILENO))
        return;
    fprintf(stderr, "\r%-40.40s\r", what ? what : "");
}

static bench_config config = {0.3, 15, 1.0, 3, 100000};
static const char *only; /* --only: run just the cells whose label has this */
static int no_trim;      /* --no-trim: malloc keeps freed memory */

static int find_row(const table *t, const char *label)
{
    for (int i = 0; i < t->count; i++)
        if (strcmp(t->rows[i].label, label) == 0)
            return i;
    return -1;
}

/* Adds a cell to a group. io < 0 means: the bytes each run writes. */
static void add_cell(table *t, int group, const char *label, bench_fn fn, const op *o, long long io, const char *vs)
{
    if (t->count == MAX_ROWS)
        return;
    row *r = &t->rows[t->count++];
    memset(r, 0, sizeof *r);
    snprintf(r->label, sizeof r->label, "%s", label);
    r->group = group;
    r->fn = fn;
    r->o = *o;
    r->io = io;
    r->vs_label = vs;
    r->skipped = only && !strstr(label, only);
}

/* Times every group of the table, then fills in sizes, comparisons and
 * failures. */
static void measure(table *t)
{
    int groups = 0;
    for (int i = 0; i < t->count; i++)
        groups = t->rows[i].group + 1 > groups ? t->rows[i].group + 1 : groups;
    for (int g = 0; g < groups; g++) {
        bench_cell cells[MAX_ROWS];
        int index[MAX_ROWS], n = 0;
        for (int i = 0; i < t->count; i++) {
            row *r = &t->rows[i];
            if (r->group != g || r->skipped)
                continue;
            brine_error_clear(&r->o.err);
            cells[n] = (bench_cell){.fn = r->fn, .ctx = &r->o};
            index[n++] = i;
        }
        if (n == 0)
            continue;
        progress(t->rows[index[0]].label);
        bench_time_group(cells, (size_t)n, &config);
        for (int k = 0; k < n; k++)
            t->rows[index[k]].st = cells[k].st;
    }
    progress(NULL);
    for (int i = 0; i < t->count; i++) {
        row *r = &t->rows[i];
        r->vs = r->vs_label ? find_row(t, r->vs_label) : -1;
        r->len = r->io >= 0 ? (size_t)r->io : r->o.out_len;
        if (r->st.failed) {
            failures++;
            snprintf(r->note, sizeof r->note, "FAILED: %s",
                     r->o.err.code ? r->o.err.message : "the raw library refused the data");
        } else if (r->fn == op_transcode && !r->skipped && !r->o.streamed) {
            snprintf(r->note, sizeof r->note, "(through a graph)");
        }
    }
}

/* ---- workloads -------------------------------------------------------------- */

static int bytes_set(bytes *b, const void *data, size_t len)
{
    if (!(b->data = malloc(len + 1)))
        return -1;
    memcpy(b->data, data, len);
    b->data[len] = '\0';
    b->len = len;
    return 0;
}

static int read_file(const char *path, bytes *b)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    size_t cap = 1 << 16, len = 0, n;
    char *data = malloc(cap);
    while (data && (n = fread(data + len, 1, cap - len - 1, fp)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            char *grown = realloc(data, 2 * cap);
            if (!grown) {
                free(data);
                data = NULL;
                break;
            }
            data = grown;
            cap *= 2;
        }
    }
    int bad = ferror(fp) || !data;
    fclose(fp);
    if (bad) {
        free(data);
        return -1;
    }
    data[len] = '\0';
    b->data = data;
    b->len = len;
    return 0;
}

/* Reads or generates the graph and encodes it in every format; the
 * round trips are checked here, once, so that no cell times wrong output. */
static int workload_prepare(workload *w, brine_error *err)
{
    if (w->path) {
        if (read_file(w->path, &w->file) != 0)
            return brine_error_set(err, BRINE_E_IO, "cannot read %s", w->path);
        w->doc = brine_decode_buffer(fmts[F_JSON], w->file.data, w->file.len, NULL, err);
    } else {
        w->doc = bench_model_new(err);
    }
    if (!w->doc)
        return err->code;
    int rc = brine_value_stats(brine_doc_root(w->doc), 0, &w->values, &w->depth, err);
    if (rc)
        return rc;
    for (int f = 0; f < NFMT; f++) {
        void *data;
        size_t len;
        if ((rc = brine_encode_buffer(fmts[f], brine_doc_root(w->doc), NULL, &data, &len, err)))
            return rc;
        rc = bytes_set(&w->enc[f], data, len);
        brine_free(data);
        if (rc)
            return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        w->in[f] = f == F_JSON && w->path ? &w->file : &w->enc[f];

        brine_doc *back = brine_decode_buffer(fmts[f], w->enc[f].data, w->enc[f].len, NULL, err);
        if (!back)
            return err->code;
        int eq = brine_value_equal(brine_doc_root(back), brine_doc_root(w->doc), 0, err);
        brine_doc_free(back);
        if (eq != 1)
            return brine_error_set(err, BRINE_E_CORRUPT,
                                   "%s: decoding brine's %s encoding does not give the graph back", w->name,
                                   fmt_names[f]);
    }
    return BRINE_OK;
}

static void workload_free(workload *w)
{
    free(w->file.data);
    for (int f = 0; f < NFMT; f++)
        free(w->enc[f].data);
    brine_doc_free(w->doc);
}

/* Peak bytes live during one decode of each format, and of cJSON_Parse. */
static void print_memory(workload *w)
{
    printf("  peak memory of one decode / input bytes:");
    for (int f = 0; f < NFMT; f++) {
        brine_error err;
        brine_error_clear(&err);
        bench_mem_mark();
        brine_doc *doc = brine_decode_buffer(fmts[f], w->in[f]->data, w->in[f]->len, NULL, &err);
        size_t peak = bench_mem_peak();
        if (!doc) {
            printf(" %s failed", fmt_names[f]);
            continue;
        }
        printf(" %s %.2fx (graph %.2fx)%s", fmt_names[f], (double)peak / (double)w->in[f]->len,
               (double)brine_doc_memory(doc) / (double)w->in[f]->len, f + 1 < NFMT ? "," : "");
        brine_doc_free(doc);
    }
    printf("\n  borrowed (strings left in the input, which is not counted):");
    for (int f = 0; f < F_JSON; f++) {
        brine_error err;
        brine_error_clear(&err);
        bench_mem_mark();
        brine_doc *doc = brine_decode_buffer_borrowed(fmts[f], w->in[f]->data, w->in[f]->len, NULL, &err);
        size_t peak = bench_mem_peak();
        if (!doc) {
            printf(" %s failed", fmt_names[f]);
            continue;
        }
        printf(" %s %.2fx (graph %.2fx)%s", fmt_names[f], (double)peak / (double)w->in[f]->len,
               (double)brine_doc_memory(doc) / (double)w->in[f]->len, f + 1 < F_JSON ? "," : "");
        brine_doc_free(doc);
    }
    size_t cj = raw_cj_parse_peak(w->in[F_JSON]->data);
    size_t zone = raw_mp_unpack_memory(w->in[F_MSGPACK]->data, w->in[F_MSGPACK]->len);
    printf("\n  (cJSON_Parse of the same JSON: %.2fx; msgpack_unpack's zone: %.2fx of the msgpack)\n",
           (double)cj / (double)w->in[F_JSON]->len, (double)zone / (double)w->in[F_MSGPACK]->len);
}

static void print_count(size_t n, char *buf, size_t cap)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%zu", n), o = 0;
    for (int i = 0; i < len && (size_t)o + 2 < cap; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

/* Prints the rows group by group, in the order they were added. */
static void print_table(const table *t)
{
    printf("  %-28s %12s %10s %10s %10s %9s %6s  %s\n", "cell", "bytes", "median ms", "min ms", "max ms", "MB/s",
           "runs", "time vs raw");
    int last = -1;
    for (int g = 0; g < MAX_ROWS; g++) {
        for (int i = 0; i < t->count; i++) {
            const row *r = &t->rows[i];
            char len[32];
            if (r->group != g || r->skipped)
                continue;
            if (last >= 0 && g != last)
                printf("\n");
            last = g;
            print_count(r->len, len, sizeof len);
            if (r->st.failed) {
                printf("  %-28s %12s  %s\n", r->label, len, r->note);
                continue;
            }
            printf("  %-28s %12s %10.3f %10.3f %10.3f %9.1f %6zu", r->label, len, r->st.median_s * 1e3,
                   r->st.min_s * 1e3, r->st.max_s * 1e3, (double)r->len / r->st.median_s / 1e6, r->st.reps);
            const row *raw = r->vs >= 0 ? &t->rows[r->vs] : NULL;
            if (raw && !raw->st.failed && !raw->skipped)
                printf("  %5.2f %s", r->st.median_s / raw->st.median_s,
                       strncmp(raw->label, "raw ", 4) == 0 ? raw->label + 4 : "raw route");
            if (r->note[0])
                printf("  %s", r->note);
            printf("\n");
        }
    }
}

static void run_workload(workload *w)
{
    brine_error err;
    brine_error_clear(&err);
    progress(w->name);
    if (workload_prepare(w, &err) != BRINE_OK) {
        printf("\n%s: skipped: %s\n", w->name, err.message);
        failures++;
        return;
    }
    char count[32];
    printf("\n%s: ", w->name);
    if (w->path) {
        print_count(w->file.len, count, sizeof count);
        printf("%s, %s bytes of JSON", w->path, count);
    } else {
        printf("generated in C: %d lists of %d floats and %d tree-node dicts", BENCH_MODEL_LISTS, BENCH_MODEL_FLOATS,
               BENCH_MODEL_NODES);
    }
    print_count(w->values, count, sizeof count);
    printf("; graph of %s values, depth %zu\n", count, w->depth);
    fflush(stdout);

    /* Static: a table holds a few hundred kilobytes of error buffers. */
    static table t;
    t.count = 0;
    op o;
    memset(&o, 0, sizeof o);
    o.root = brine_doc_root(w->doc);
    raw_mp_tree *mp = raw_mp_tree_new(w->in[F_MSGPACK]->data, w->in[F_MSGPACK]->len);
    raw_cj_tree *cj = raw_cj_tree_new(w->in[F_JSON]->data);
    size_t most = 0;
    for (int f = 0; f < NFMT; f++)
        most = w->in[f]->len > most ? w->in[f]->len : most;
    char *dst = malloc(most + 1);

    /* Groups: each brine cell with the raw cell it is compared with. */
    enum { G_MP_DECODE, G_MP_ENCODE, G_JSON_DECODE, G_JSON_ENCODE, G_MEMCPY, G_TO_MSGPACK, G_TO_JSON };
    for (int f = 0; f < NFMT; f++) {
        char label[48];
        int json = f == F_JSON;
        o.fmt = fmts[f];
        o.in = w->in[f];
        snprintf(label, sizeof label, "%s decode", fmt_names[f]);
        add_cell(&t, json ? G_JSON_DECODE : G_MP_DECODE, label, op_decode, &o, (long long)o.in->len,
                 json ? "raw cJSON_Parse" : "raw msgpack_unpack");
        if (!json) {
            snprintf(label, sizeof label, "%s decode (events)", fmt_names[f]);
            add_cell(&t, G_MP_DECODE, label, op_decode_events, &o, (long long)o.in->len, "raw msgpack_unpack");
            snprintf(label, sizeof label, "%s decode (borrowed)", fmt_names[f]);
            add_cell(&t, G_MP_DECODE, label, op_decode_borrowed, &o, (long long)o.in->len, "raw msgpack_unpack");
        }
        snprintf(label, sizeof label, "%s encode", fmt_names[f]);
        add_cell(&t, json ? G_JSON_ENCODE : G_MP_ENCODE, label, op_encode, &o, -1,
                 json ? "raw cJSON_PrintUnformatted" : "raw msgpack_pack_object");
    }
    o.in = w->in[F_MSGPACK];
    add_cell(&t, G_MP_DECODE, "raw msgpack_unpack", op_mp_unpack, &o, (long long)o.in->len, NULL);
    o.mp = mp;
    if (mp)
        add_cell(&t, G_MP_ENCODE, "raw msgpack_pack_object", op_mp_pack, &o, -1, NULL);
    o.in = w->in[F_JSON];
    add_cell(&t, G_JSON_DECODE, "raw cJSON_Parse", op_cj_parse, &o, (long long)o.in->len, NULL);
#ifdef BENCH_SIMDJSON
    /* The peer row: simdjson's DOM parse, timed in turn with the cells above. */
    raw_sj_doc *sj = raw_sj_doc_new(o.in->data, o.in->len);
    o.sj = sj;
    if (sj)
        add_cell(&t, G_JSON_DECODE, "peer simdjson DOM parse", op_sj_parse, &o, (long long)o.in->len, NULL);
#endif
    o.cj = cj;
    if (cj)
        add_cell(&t, G_JSON_ENCODE, "raw cJSON_PrintUnformatted", op_cj_print, &o, -1, NULL);
    o.dst = dst;
    for (int f = 0; f < NFMT && dst; f++) {
        char label[48];
        snprintf(label, sizeof label, "memcpy of the %s bytes", fmt_names[f]);
        o.in = w->in[f];
        add_cell(&t, G_MEMCPY, label, op_memcpy, &o, (long long)o.in->len, NULL);
    }
    o.in = w->in[F_JSON];
    o.fmt = fmts[F_JSON];
    o.to = fmts[F_MSGPACK];
    add_cell(&t, G_TO_MSGPACK, "json->msgpack brine", op_transcode, &o, (long long)o.in->len,
             "json->msgpack raw route");
    add_cell(&t, G_TO_MSGPACK, "json->msgpack raw route", op_json_to_msgpack, &o, (long long)o.in->len, NULL);
    o.in = w->in[F_MSGPACK];
    o.fmt = fmts[F_MSGPACK];
    o.to = fmts[F_JSON];
    add_cell(&t, G_TO_JSON, "msgpack->json brine", op_transcode, &o, (long long)o.in->len, "msgpack->json raw route");
    add_cell(&t, G_TO_JSON, "msgpack->json raw route", op_msgpack_to_json, &o, (long long)o.in->len, NULL);

    measure(&t);
    raw_mp_tree_free(mp);
    raw_cj_tree_free(cj);
#ifdef BENCH_SIMDJSON
    raw_sj_doc_free(sj);
#endif
    free(dst);

    print_table(&t);
    print_memory(w);
    fflush(stdout);

    if (wl_count < MAX_WORKLOADS) {
        snprintf(wl_names[wl_count], sizeof wl_names[0], "%s", w->name);
        wl_corpus[wl_count] = w->path != NULL;
        for (size_t k = 0; k < NTARGETS; k++) {
            int a = find_row(&t, targets[k].brine_row), b = find_row(&t, targets[k].raw_row);
            if (a >= 0 && b >= 0 && !t.rows[a].st.failed && !t.rows[b].st.failed && !t.rows[a].skipped &&
                !t.rows[b].skipped)
                ratios[wl_count][k] = t.rows[a].st.median_s / t.rows[b].st.median_s;
            int c = targets[k].alt_row ? find_row(&t, targets[k].alt_row) : -1;
            if (c >= 0 && b >= 0 && !t.rows[c].st.failed && !t.rows[b].st.failed && !t.rows[c].skipped &&
                !t.rows[b].skipped) {
                double q = t.rows[c].st.median_s / t.rows[b].st.median_s;
                if (ratios[wl_count][k] == 0 || q < ratios[wl_count][k]) {
                    ratios[wl_count][k] = q;
                    by_alt[wl_count][k] = 1;
                }
            }
        }
        wl_count++;
    }
}

static void print_targets(void)
{
    printf("\ntargets: time of brine / time of the raw library (lower is better); '-' not applicable\n");
    printf("  %-44s", "");
    for (int i = 0; i < wl_count; i++)
        printf(" %14.14s", wl_names[i]);
    printf("\n");
    for (size_t k = 0; k < NTARGETS; k++) {
        printf("  %-44s", targets[k].what);
        for (int i = 0; i < wl_count; i++) {
            double q = ratios[i][k];
            if (q == 0)
                printf(" %14s", "n/a");
            else
                printf(" %8.2f %-5s", q,
                       targets[k].corpus_only && !wl_corpus[i] ? "-"
                       : q <= targets[k].limit                 ? (by_alt[i][k] ? "met*" : "met")
                       : by_alt[i][k]                          ? "MISS*"
                                                               : "MISS");
        }
        printf("\n");
    }
    printf("  (* the better path was the borrowed decode, brine_decode_buffer_borrowed: strings stay in the input)\n");
}

/* ---- the header ------------------------------------------------------------- */

static void cpu_model(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown CPU");
    FILE *fp = fopen("/proc/cpuinfo", "r");
    if (!fp)
        return;
    char line[512];
    while (fgets(line, sizeof line, fp)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon) {
            colon += 1 + (colon[1] == ' ');
            colon[strcspn(colon, "\n")] = '\0';
            snprintf(buf, cap, "%s", colon);
            break;
        }
    }
    fclose(fp);
}

static void print_header(void)
{
    char cpu[256], date[64], libs[192];
    struct utsname un;
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M %Z", localtime(&now));
    cpu_model(cpu, sizeof cpu);
    raw_versions(libs, sizeof libs);
#ifdef BENCH_SIMDJSON
    size_t used = strlen(libs);
    if (used + 2 < sizeof libs) {
        strcpy(libs + used, ", ");
        raw_sj_version(libs + used + 2, sizeof libs - used - 2);
    }
#endif
    printf("brine benchmark, %s\n", date);
    printf("machine: %s, %ld cores online", cpu, sysconf(_SC_NPROCESSORS_ONLN));
    if (uname(&un) == 0)
        printf(", %s %s %s", un.sysname, un.release, un.machine);
    /* Other work on the machine inflates every figure: say how much there was. */
    FILE *fp = fopen("/proc/loadavg", "r");
    double load;
    if (fp && fscanf(fp, "%lf", &load) == 1)
        printf("; load average %.2f at start%s", load,
               load > 0.5 * (double)sysconf(_SC_NPROCESSORS_ONLN) ? " (BUSY: figures are inflated)" : "");
    if (fp)
        fclose(fp);
    printf("\nmalloc: %s\n", no_trim ? "--no-trim: freed memory stays in the process (M_TRIM_THRESHOLD 1 GiB, "
                                       "M_MMAP_THRESHOLD 32 MiB)"
                                     : "the C library's defaults");
    printf("build: brine %s, %s; compiler %s, CFLAGS %s%s\n", brine_version(), libs, __VERSION__, BENCH_CFLAGS,
#ifdef __OPTIMIZE__
           ""
#else
           " (NOT OPTIMISED: figures are meaningless)"
#endif
    );
    printf("each cell: one warm-up run, then runs until %.2f s and at least %zu runs (a slow cell: as many as fit\n"
           "  in %.1f s, at least %zu); median / min / max ms per document; MB/s = bytes / median, bytes read\n"
           "  (decode, memcpy, transcode) or written (encode); decode includes freeing the graph, encode freeing\n"
           "  the bytes; 'time vs raw' = median time of brine / median time of the raw library (< 1: brine faster)\n",
           config.target_s, config.min_reps, config.budget_s, config.least_reps);
}

/* ---- main ------------------------------------------------------------------- */

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: brine-bench [--quick] [--time S] [--runs N] [--only CELL] [--no-model]\n"
            "                   [--no-arrays] [--arrays-only] [--corpus DIR] [--dump-model FILE] [FILE.json...]\n"
            "Times brine's native, msgpack and json formats against cJSON, msgpack-c and memcpy on\n"
            "the JSON files given (default: twitter, citm_catalog and canada.json in the corpus\n"
            "directory, %s) and on a generated model-like workload.\n"
            "--only runs just the cells whose name contains CELL (\"native encode\"), for profiling.\n"
            "The arrays workload (#20, arrays.c) runs last; --arrays-only runs it alone.\n",
            BENCH_CORPUS);
}

/* Writes the model workload as compact JSON, to check that pickle_anchor.py
 * generates the same value. */
static int dump_model(const char *path)
{
    brine_error err;
    brine_error_clear(&err);
    brine_doc *doc = bench_model_new(&err);
    FILE *fp = doc ? fopen(path, "wb") : NULL;
    brine_output out;
    int rc = fp ? brine_output_init_file(&out, fp, &err) : 1;
    if (rc == 0) {
        rc = brine_encode(fmts[F_JSON], brine_doc_root(doc), &out, NULL, &err);
        brine_output_destroy(&out);
    }
    if (fp && fclose(fp) != 0)
        rc = 1;
    brine_doc_free(doc);
    if (rc)
        fprintf(stderr, "brine-bench: cannot write %s: %s\n", path, err.code ? err.message : "I/O error");
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *corpus = BENCH_CORPUS, *dump = NULL;
    const char *files[MAX_WORKLOADS];
    int nfiles = 0, model = 1, arrays = 1, arrays_only = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--quick") == 0) {
            config = (bench_config){0.05, 5, 0.2, 2, 100000};
        } else if (strcmp(a, "--time") == 0 && i + 1 < argc) {
            config.target_s = atof(argv[++i]);
        } else if (strcmp(a, "--runs") == 0 && i + 1 < argc) {
            config.min_reps = (size_t)atol(argv[++i]);
        } else if (strcmp(a, "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(a, "--no-trim") == 0) {
            no_trim = 1;
        } else if (strcmp(a, "--no-model") == 0) {
            model = 0;
        } else if (strcmp(a, "--no-arrays") == 0) {
            arrays = 0;
        } else if (strcmp(a, "--arrays-only") == 0) {
            arrays_only = 1;
        } else if (strcmp(a, "--corpus") == 0 && i + 1 < argc) {
            corpus = argv[++i];
        } else if (strcmp(a, "--dump-model") == 0 && i + 1 < argc) {
            dump = argv[++i];
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-') {
            usage(stderr);
            return 2;
        } else if (nfiles < MAX_WORKLOADS - 1) {
            files[nfiles++] = a;
        }
    }

#ifdef __GLIBC__
    /* glibc gives freed memory back to the kernel once the free top of the
     * heap passes a threshold, so a program that decodes, frees and decodes
     * again may fault every page in each time. --no-trim measures without
     * that, for every cell alike. */
    if (no_trim) {
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
    }
#endif
    /* The counting allocator must be in place before any document exists. */
    brine_set_allocator(bench_mem_malloc, bench_mem_realloc, bench_mem_free);

    brine_error err;
    brine_error_clear(&err);
    brine_registry *reg = brine_registry_new(&err);
    if (!reg || brine_registry_load(reg, &err) != BRINE_OK) {
        fprintf(stderr, "brine-bench: cannot load the format plugins: %s\n", err.message);
        return 1;
    }
    for (int f = 0; f < NFMT; f++) {
        if (!(fmts[f] = brine_registry_find(reg, fmt_names[f]))) {
            fprintf(stderr, "brine-bench: the %s format plugin is not available\n", fmt_names[f]);
            for (size_t i = 0; i < brine_registry_failure_count(reg); i++) {
                const char *file;
                const char *why = brine_registry_failure(reg, i, &file);
                fprintf(stderr, "  %s: %s\n", file, why);
            }
            brine_registry_free(reg);
            return 1;
        }
    }
    if (dump) {
        int rc = dump_model(dump);
        brine_registry_free(reg);
        return rc;
    }

    static const char *const corpus_names[] = {"twitter", "citm_catalog", "canada"};
    static char corpus_paths[3][4096];
    if (nfiles == 0) {
        for (int i = 0; i < 3; i++) {
            snprintf(corpus_paths[i], sizeof corpus_paths[i], "%s/%s.json", corpus, corpus_names[i]);
            if (access(corpus_paths[i], R_OK) == 0)
                files[nfiles++] = corpus_paths[i];
            else
                fprintf(stderr, "brine-bench: %s not found, skipped\n", corpus_paths[i]);
        }
    }

    double start = bench_now();
    print_header();
    for (int i = 0; i < (arrays_only ? 0 : nfiles + model); i++) {
        workload w;
        memset(&w, 0, sizeof w);
        if (i < nfiles) {
            const char *base = strrchr(files[i], '/');
            base = base ? base + 1 : files[i];
            snprintf(w.name, sizeof w.name, "%.*s", (int)strcspn(base, "."), base);
            w.path = files[i];
        } else {
            snprintf(w.name, sizeof w.name, "model");
        }
        run_workload(&w);
        workload_free(&w);
    }
    if (!arrays_only)
        print_targets();
    if (arrays && bench_arrays_run(fmts[F_NATIVE], &config) != 0)
        failures++;
    const brine_plugin *pk = arrays ? brine_registry_find(reg, "pickle") : NULL;
    if (pk && bench_pickle_arrays_run(pk, &config) != 0)
        failures++;
    printf("\ntotal time %.1f s%s\n", bench_now() - start, failures ? "; SOME CELLS FAILED" : "");
    brine_registry_free(reg);
    return failures ? 1 : 0;
}
