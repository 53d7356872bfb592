/* bench.h: what the files of the benchmark share: the timing of one cell
 * (timing.c), the counting allocator (memcount.c), the generated model-like
 * workload (model.c) and the raw cJSON / msgpack-c operations brine is
 * compared with (raw.c). bench.c runs the workloads and prints the tables.
 */
#ifndef BRINE_BENCH_H
#define BRINE_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include <brine/brine.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- timing.c ----------------------------------------------------------- */

/* One repetition of the measured operation; 0 on success. */
typedef int (*bench_fn)(void *ctx);

/* How long each cell runs: after one warm-up run, runs repeat until they
 * have taken target_s seconds in total and there are min_reps of them, and
 * stop at max_reps. A slow cell, whose min_reps runs would take more than
 * budget_s by the warm-up run's time, needs only as many runs as fit in
 * budget_s, and at least least_reps. */
typedef struct bench_config {
    double target_s;
    size_t min_reps;
    double budget_s;
    size_t least_reps;
    size_t max_reps;
} bench_config;

typedef struct bench_stats {
    double median_s, min_s, max_s; /* seconds per run */
    size_t reps;
    int failed; /* the operation returned nonzero; the times are meaningless */
} bench_stats;

/* One cell: the operation timed and, once timed, its figures. */
typedef struct bench_cell {
    bench_fn fn;
    void *ctx;
    bench_stats st;
} bench_cell;

/* Times the n cells as cfg says, taking turns: each round runs every cell
 * that still wants runs once. A cell that fails is left out of later rounds
 * (st.failed). Returns 0, or the status of a failed cell. */
int bench_time_group(bench_cell *cells, size_t n, const bench_config *cfg);

/* A monotonic clock in seconds. */
double bench_now(void);

/* ---- memcount.c --------------------------------------------------------- */

/* malloc/realloc/free that count the bytes live, for brine_set_allocator
 * and cJSON_InitHooks. */
void *bench_mem_malloc(size_t size);
void *bench_mem_realloc(void *ptr, size_t size);
void bench_mem_free(void *ptr);

/* Starts a peak measurement at the bytes live now. */
void bench_mem_mark(void);

/* The most bytes live above the mark since bench_mem_mark. */
size_t bench_mem_peak(void);

/* ---- model.c ------------------------------------------------------------ */

#define BENCH_MODEL_LISTS 8
#define BENCH_MODEL_FLOATS 125000
#define BENCH_MODEL_NODES 100000

/* The model-like workload, built deterministically (pickle_anchor.py builds
 * the same value in Python): a dict of a few strings, BENCH_MODEL_LISTS
 * lists of BENCH_MODEL_FLOATS floats and a list of BENCH_MODEL_NODES small
 * dicts {feature, threshold, left, right, value: [f, f, f]}. NULL on error. */
brine_doc *bench_model_new(brine_error *err);

/* ---- raw.c -------------------------------------------------------------- */

/* Each call is one run of the raw library route on the bytes given (which
 * must be followed by a NUL byte for JSON, as cJSON_Parse needs); 0 on
 * success. Trees made by *_new stay alive for the encode runs. */
typedef struct raw_mp_tree raw_mp_tree; /* an unpacked msgpack_object tree */
typedef struct raw_cj_tree raw_cj_tree; /* a parsed cJSON tree */

int raw_mp_unpack(const void *data, size_t len);
/* Bytes that msgpack-c's zone holds for the unpacked value (glibc's count
 * of memory in use, before and after), or 0 where the C library cannot say. */
size_t raw_mp_unpack_memory(const void *data, size_t len);
raw_mp_tree *raw_mp_tree_new(const void *data, size_t len);
int raw_mp_pack(const raw_mp_tree *t, size_t *out_len);
void raw_mp_tree_free(raw_mp_tree *t);

int raw_cj_parse(const char *text);
raw_cj_tree *raw_cj_tree_new(const char *text);
int raw_cj_print(const raw_cj_tree *t, size_t *out_len);
void raw_cj_tree_free(raw_cj_tree *t);

/* The naive transcoding routes: parse with one library, walk the tree
 * writing with the other. *out_len receives the output size. */
int raw_json_to_msgpack(const char *text, size_t *out_len);
int raw_msgpack_to_json(const void *data, size_t len, size_t *out_len);

/* Peak bytes cJSON_Parse holds for text, through the counting allocator. */
size_t raw_cj_parse_peak(const char *text);

/* "msgpack-c 4.0.0, cJSON 1.7.15" into buf. */
void raw_versions(char *buf, size_t cap);

/* ---- simdjson.cpp (when configure defines BENCH_SIMDJSON) --------------- */

/* A JSON text held for simdjson: a padded copy and a parser; NULL when out
 * of memory or when simdjson refuses the text. */
typedef struct raw_sj_doc raw_sj_doc;
raw_sj_doc *raw_sj_doc_new(const char *data, size_t len);
/* One DOM parse of the text, reusing the parser; 0 on success. */
int raw_sj_parse(raw_sj_doc *d);
void raw_sj_doc_free(raw_sj_doc *d);
/* "simdjson 3.0.1 (haswell)" into buf. */
void raw_sj_version(char *buf, size_t cap);

/* ---- arrays.c ---------------------------------------------------------- */

struct brine_plugin;

/* The float64 array workload (#20): native encode and decode against
 * memcpy, printed as a table with the target. Nonzero if a cell failed. */
int bench_arrays_run(const struct brine_plugin *nat, const bench_config *cfg);

/* A list of `arrays` float64 arrays of count elements (one array, not in a
 * list, when arrays is 1) of deterministic doubles; *data_len their bytes. */
struct brine_doc;
struct brine_error;
struct brine_doc *bench_arrays_graph(size_t arrays, size_t count, size_t *data_len, struct brine_error *err);

/* ---- pickle_arrays.c ---------------------------------------------------- */

/* The numpy-heavy pickle (#20): 8 float64 arrays of 10^6 as numpy writes
 * them at protocol 4, decoded and encoded by brine, against memcpy; the
 * CPython figure is pickle_anchor.py's. Nonzero if a cell failed. */
int bench_pickle_arrays_run(const struct brine_plugin *pk, const bench_config *cfg);

#ifdef __cplusplus
}
#endif

#endif /* BRINE_BENCH_H */
