/* alloc.c: the allocator every allocation of libbrine goes through, and the
 * library version. Tests install failing allocators here to prove that every
 * out-of-memory path reports BRINE_E_NOMEM instead of crashing. */
#include <stdlib.h>

#include "internal.h"

static brine_malloc_fn alloc_malloc = malloc;
static brine_realloc_fn alloc_realloc = realloc;
static brine_free_fn alloc_free = free;

void brine_set_allocator(brine_malloc_fn m, brine_realloc_fn r, brine_free_fn f)
{
    /* Cached document chunks belong to the allocator being replaced. */
    brine_release_memory();
    alloc_malloc = m ? m : malloc;
    alloc_realloc = r ? r : realloc;
    alloc_free = f ? f : free;
}

void *brine_malloc(size_t size)
{
    return alloc_malloc(size ? size : 1);
}

void *brine_realloc(void *ptr, size_t size)
{
    return alloc_realloc(ptr, size ? size : 1);
}

void brine_free(void *ptr)
{
    if (ptr)
        alloc_free(ptr);
}

const char *brine_version(void)
{
    return BRINE_VERSION_STRING;
}
