/* memcount.c: a counting allocator for peak-memory figures. Each block
 * carries its size in a header of max_align_t's size, so that realloc and
 * free know what they release and the pointer handed out keeps malloc's
 * alignment. Single-threaded, like the benchmark.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define HDR sizeof(max_align_t)

static size_t mem_live; /* bytes handed out and not yet freed */
static size_t mem_peak; /* highest mem_live since the mark */
static size_t mem_base; /* mem_live at the mark */

static void *mem_note(unsigned char *block, size_t size)
{
    memcpy(block, &size, sizeof size);
    mem_live += size;
    if (mem_live > mem_peak)
        mem_peak = mem_live;
    return block + HDR;
}

static size_t mem_size(const unsigned char *block)
{
    size_t size;
    memcpy(&size, block, sizeof size);
    return size;
}

void *bench_mem_malloc(size_t size)
{
    if (size > (size_t)-1 - HDR)
        return NULL;
    unsigned char *block = malloc(size + HDR);
    return block ? mem_note(block, size) : NULL;
}

void *bench_mem_realloc(void *ptr, size_t size)
{
    if (!ptr)
        return bench_mem_malloc(size);
    if (size > (size_t)-1 - HDR)
        return NULL;
    unsigned char *old = (unsigned char *)ptr - HDR;
    size_t old_size = mem_size(old);
    unsigned char *block = realloc(old, size + HDR);
    if (!block)
        return NULL;
    mem_live -= old_size;
    return mem_note(block, size);
}

void bench_mem_free(void *ptr)
{
    if (!ptr)
        return;
    unsigned char *block = (unsigned char *)ptr - HDR;
    mem_live -= mem_size(block);
    free(block);
}

void bench_mem_mark(void)
{
    mem_base = mem_peak = mem_live;
}

size_t bench_mem_peak(void)
{
    return mem_peak - mem_base;
}
