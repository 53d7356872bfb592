/* seed.h: a random seed for a hash table fed by input (anchor ids, memo
 * keys), shared by the in-tree plugins; not installed. A fixed hash is
 * invertible, so colliding keys could be computed offline (#16): each
 * table draws its seed from getrandom, or, where that fails, from the
 * table's address and the clock. */
#ifndef BRINE_PLUGINS_SEED_H
#define BRINE_PLUGINS_SEED_H

#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <xxhash.h>

static inline uint64_t brine_plugin_seed(const void *addr)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) == (ssize_t)sizeof seed)
        return seed;
    struct {
        const void *addr;
        struct timespec ts;
    } mix;
    memset(&mix, 0, sizeof mix);
    mix.addr = addr;
    clock_gettime(CLOCK_MONOTONIC, &mix.ts);
    return XXH3_64bits(&mix, sizeof mix);
}

#endif /* BRINE_PLUGINS_SEED_H */
