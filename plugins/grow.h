/* grow.h: the one array-growing helper of the in-tree plugins; not
 * installed. */
#ifndef BRINE_PLUGINS_GROW_H
#define BRINE_PLUGINS_GROW_H

#include <stdint.h>

#include <brine/brine.h>

/* Makes room for need elements of elem bytes in *p (capacity *cap),
 * doubling from 16. BRINE_E_NOMEM when out of memory or the size would
 * overflow; *p is untouched then. */
static inline int brine_plugin_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t n = *cap ? *cap : 16;
    void *q;
    if (need <= *cap)
        return BRINE_OK;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem)
            return BRINE_E_NOMEM;
        n *= 2;
    }
    q = brine_realloc(*p, n * elem);
    if (!q)
        return BRINE_E_NOMEM;
    *p = q;
    *cap = n;
    return BRINE_OK;
}

#endif
