/* timing.c: runs a group of benchmark cells adaptively and reduces each
 * cell's run times to median, min and max. The cells of a group (brine and
 * the raw library it is compared with) take turns, one run each per round,
 * so that a burst of other work on a shared machine slows both sides of a
 * ratio alike. The median, not the mean, so outliers widen max without
 * moving the figure we compare.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <time.h>

#include "bench.h"

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Per-cell bookkeeping while a group runs. */
typedef struct run_state {
    double *times;
    size_t count, cap;
    size_t need; /* least runs, from the warm-up run's time */
    double total;
} run_state;

static int wants_more(const run_state *s, const bench_config *cfg)
{
    return s->count < cfg->max_reps && (s->count < s->need || s->total < cfg->target_s);
}

static int record(run_state *s, double dt)
{
    if (s->count == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        double *grown = realloc(s->times, cap * sizeof *grown);
        if (!grown)
            return -1;
        s->times = grown;
        s->cap = cap;
    }
    s->times[s->count++] = dt;
    s->total += dt;
    return 0;
}

static void reduce(run_state *s, bench_stats *st)
{
    qsort(s->times, s->count, sizeof *s->times, cmp_double);
    size_t n = s->count;
    st->reps = n;
    st->min_s = s->times[0];
    st->max_s = s->times[n - 1];
    st->median_s = n % 2 ? s->times[n / 2] : (s->times[n / 2 - 1] + s->times[n / 2]) / 2;
}

int bench_time_group(bench_cell *cells, size_t n, const bench_config *cfg)
{
    run_state *state = calloc(n ? n : 1, sizeof *state);
    int failed = 0;
    if (!state)
        return -1;
    for (size_t i = 0; i < n; i++) {
        bench_stats *st = &cells[i].st;
        *st = (bench_stats){0};
        /* The warm-up run faults in pages and fills caches, and tells
         * whether this is a slow cell that needs fewer runs. */
        double t0 = bench_now();
        int rc = cells[i].fn(cells[i].ctx);
        double warm = bench_now() - t0;
        if (rc != 0) {
            st->failed = rc;
            failed = rc;
            continue;
        }
        size_t need = cfg->min_reps;
        if (warm * (double)need > cfg->budget_s) {
            double fit = warm > 0 ? cfg->budget_s / warm : (double)need;
            need = fit > (double)cfg->least_reps ? (size_t)fit : cfg->least_reps;
        }
        state[i].need = need ? need : 1;
    }

    for (int busy = 1; busy;) {
        busy = 0;
        for (size_t i = 0; i < n; i++) {
            bench_stats *st = &cells[i].st;
            if (st->failed || !wants_more(&state[i], cfg))
                continue;
            busy = 1;
            double t0 = bench_now();
            int rc = cells[i].fn(cells[i].ctx);
            double dt = bench_now() - t0;
            if (rc != 0 || record(&state[i], dt) != 0) {
                st->failed = rc ? rc : -1;
                failed = st->failed;
            }
        }
    }

    for (size_t i = 0; i < n; i++) {
        if (!cells[i].st.failed && state[i].count > 0)
            reduce(&state[i], &cells[i].st);
        free(state[i].times);
    }
    free(state);
    return failed;
}
