/* progress.c: the progress line of long conversions. The input reader and
 * the output writer tick here; a line with the bytes the decoder has
 * consumed (of the total when known), bytes written and the rate is
 * redrawn on stderr at most a few times a second. Consumed, not read: the
 * reader reads ahead, and a decoder that took its whole input first (the
 * JSON reader before #21) had the line at 100% while the work had just
 * begun. With several inputs the line counts them all ("2/5", overall
 * bytes and percentage). Shown when stderr is a terminal and the input is
 * large, always with --progress, never with -q.
 */
#include <string.h>
#include <sys/stat.h>
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
    p->src = NULL;
    p->index = p->count = 0;
    p->done_in = p->done_out = p->all_total = 0;
    clock_gettime(CLOCK_MONOTONIC, &p->start);
    p->last = p->start;
}

/* The sizes of paths together, or 0 if one is not a regular file. */
uint64_t cli_progress_sizes(char **paths, size_t count)
{
    uint64_t total = 0;
    for (size_t i = 0; i < count; i++) {
        struct stat st;
        if (strcmp(paths[i], "-") == 0 || stat(paths[i], &st) != 0 || !S_ISREG(st.st_mode))
            return 0;
        total += (uint64_t)st.st_size;
    }
    return total;
}

/* One line for count inputs of all_total bytes (0: some size unknown). */
void cli_progress_all(cli_progress *p, const cli *c, size_t count, uint64_t all_total)
{
    cli_progress_init(p, c, "", 0);
    p->count = count;
    p->all_total = all_total;
}

/* The next input: what the last one did joins the overall figures. */
void cli_progress_next(cli_progress *p, const char *name, uint64_t in_total)
{
    if (p->index) {
        p->done_in += p->in_bytes;
        p->done_out += p->out_bytes;
    }
    p->index++;
    p->name = name;
    p->in_bytes = p->out_bytes = 0;
    p->in_total = in_total;
    p->src = NULL;
}

/* The decoder's position, when it has a source. */
static void consumed(cli_progress *p)
{
    if (p->src)
        p->in_bytes = brine_source_offset(p->src);
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
    uint64_t in_bytes = p->done_in + p->in_bytes;
    uint64_t in_total = p->count ? p->all_total : p->in_total;
    human(in, sizeof in, (double)in_bytes);
    human(out, sizeof out, (double)(p->done_out + p->out_bytes));
    human(rate, sizeof rate, elapsed > 0 ? (double)in_bytes / elapsed : 0);
    if (p->count)
        fprintf(stderr, "%sbrine: %s (%zu/%zu): read %s", p->tty ? "\r" : "", p->name, p->index, p->count, in);
    else
        fprintf(stderr, "%sbrine: %s: read %s", p->tty ? "\r" : "", p->name, in);
    if (in_total) {
        human(total, sizeof total, (double)in_total);
        fprintf(stderr, " of %s (%.0f%%)", total, 100.0 * (double)in_bytes / (double)in_total);
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
    consumed(p);
    if (!p->active) {
        uint64_t size = p->count && p->all_total ? p->all_total : p->in_total ? p->in_total : p->done_in + p->in_bytes;
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
