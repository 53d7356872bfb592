/* xxh3.h: XXH3 for the plugins that checksum whole streams (native's
 * trailer): libxxhash's runtime-dispatching entry points (AVX2 or AVX-512
 * where the CPU has them) when the library has them, else its default
 * build (SSE2 on x86-64). The values are the same either way: XXH3's output
 * does not depend on the vector path (tests/test_xxh3.c checks this against
 * fixed digests). configure adds -DBRINE_XXH_DISPATCH to XXHASH_CFLAGS when
 * XXH3_64bits_update_dispatch links: Debian 12's libxxhash.so 0.8.1 has it,
 * its libxxhash.a does not. Streaming 4 MiB in 64 KiB updates: 20 GB/s
 * without, 46 GB/s with (docs/performance.md). Short inputs (dict keys,
 * core/dict.c) keep the direct calls: for them the indirect call costs more
 * than the wider vectors save.
 */
#ifndef BRINE_PLUGINS_XXH3_H
#define BRINE_PLUGINS_XXH3_H

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t's size, to place it */
#include <xxhash.h>
#if defined(BRINE_XXH_DISPATCH) && (defined(__x86_64__) || defined(__i386__))
/* Renames XXH3_64bits_update and the one-shot calls to their _dispatch twins. */
#include <xxh_x86dispatch.h>
#endif

#endif /* BRINE_PLUGINS_XXH3_H */
