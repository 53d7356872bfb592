/* progress.c: the progress line of long conversions. The input reader and
 * the output writer count bytes and tick here; a line with bytes read (of
 * the total when known), bytes written and the read rate is redrawn on
 * stderr at most a few times a second. Shown when stderr is a terminal and
 * the input is large, always with --progress, never with -q.
 */
#include <unistd.h>

#include "cli.h"

void cli_progress_init(cli_progress *p, const cli *c, const char *name, uint64_t in_total)
{
    p->mode = c->quiet ? 0 : c->progress ? 2 : 1;
    p->tty = isatty(2);
    p->active = 0;
    p->name = name;
    p->in_bytes = p->out_bytes = 0;
    p->in_total = in_total;
    clock_gettime(CLOCK_MONOTONIC, &p->start);
    p->last = p->start;
}

static double seconds(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* "12.3 MiB" */
static void human(char *buf, size_t cap, double n)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    size_t u = 0;
    while (n >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        n /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%.0f B", n);
    else
        snprintf(buf, cap, "%.1f %s", n, units[u]);
}

static void draw(cli_progress *p, const struct timespec *now, int final)
{
    char in[32], total[32], out[32], rate[32];
    double elapsed = seconds(&p->start, now);
    human(in, sizeof in, (double)p->in_bytes);
    human(out, sizeof out, (double)p->out_bytes);
    human(rate, sizeof rate, elapsed > 0 ? (double)p->in_bytes / elapsed : 0);
    fprintf(stderr, "%sbrine: %s: read %s", p->tty ? "\r" : "", p->name, in);
    if (p->in_total) {
        human(total, sizeof total, (double)p->in_total);
        fprintf(stderr, " of %s (%.0f%%)", total, 100.0 * (double)p->in_bytes / (double)p->in_total);
    }
    fprintf(stderr, ", wrote %s, %s/s", out, rate);
    if (final)
        fprintf(stderr, ", %.2f s", elapsed);
    fputs(p->tty ? "\033[K" : "\n", stderr);
    if (final && p->tty)
        fputc('\n', stderr);
    fflush(stderr);
}

void cli_progress_tick(cli_progress *p)
{
    if (!p || !p->mode)
        return;
    if (!p->active) {
        uint64_t size = p->in_total ? p->in_total : p->in_bytes;
        if (p->mode == 1 && (!p->tty || size <= CLI_PROGRESS_MIN))
            return;
        p->active = 1;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    /* A terminal line is redrawn in place; a log gets a line a second. */
    if (seconds(&p->last, &now) < (p->tty ? 0.2 : 1.0))
        return;
    p->last = now;
    draw(p, &now, 0);
}

void cli_progress_done(cli_progress *p)
{
    if (!p || !p->mode)
        return;
    cli_progress_tick(p);
    if (!p->active)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    draw(p, &now, 1);
    p->active = 0;
}
