/* arena.c: documents and their memory (brine_doc_*, brinep_alloc, brinep_grow,
 * blobs). A document is a chunked bump allocator whose blocks are never freed
 * one by one: shared references and cycles cost nothing, brine_doc_free
 * releases the chunks. Values and containers are made in value.c/dict.c. */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <stdatomic.h>
#include <xxhash.h>

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define ARENA_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define ARENA_POISON(p, n) ((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#if defined(__has_include)
#if __has_include(<sys/random.h>)
#include <sys/random.h>
#define ARENA_HAVE_GETRANDOM 1
#endif
#endif

#include "internal.h"

/* The document struct lives in its first chunk, so an empty document is one
 * allocation. Chunks grow geometrically (4 KiB doubling to 1 MiB). A block
 * larger than DEDICATED_MIN gets a chunk of its own, which brinep_grow
 * resizes with brine_realloc: a list of millions of elements grows without
 * leaving its old copies behind. Small blocks grow in place when they are
 * the last block of the current chunk, else by copying. */

/* Chunks form one doubly linked list, newest bump chunk first; dedicated
 * chunks are inserted after it, so doc->chunks is always the chunk that
 * doc->top and doc->limit point into. */
struct brinep_chunk {
    brinep_chunk *next;
    brinep_chunk *prev;
    size_t size; /* bytes of the whole chunk, header included */
};

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)
#define CHUNK_HEADER ALIGN16(sizeof(brinep_chunk))
#define CHUNK_FIRST ((size_t)4 << 10)
/* CHUNK_MAX stays under 64 KiB: glibc serves it from the heap, not from a
 * fresh mmap, and only checks whether to trim its heap when it frees a
 * block of 64 KiB or more. */
#define CHUNK_MAX (((size_t)64 << 10) - 32)
#define DEDICATED_MIN BRINEP_DEDICATED_MIN

static inline unsigned char *chunk_data(brinep_chunk *c)
{
    return (unsigned char *)c + CHUNK_HEADER;
}

/* A per-process secret (read once from the kernel when possible) mixed with
 * a counter: each document and each table of core/map.c gets its own hash
 * seed, so colliding keys cannot be precomputed, without a system call or a
 * lock per seed (two threads racing for the first secret each get a valid
 * one). */
static uint64_t process_seed(void)
{
    static _Atomic uint64_t secret;
    uint64_t s = atomic_load_explicit(&secret, memory_order_relaxed);
    if (s)
        return s;
    uint64_t mix[4] = {0, (uint64_t)time(NULL), (uint64_t)clock(), (uint64_t)(uintptr_t)&secret};
#ifdef ARENA_HAVE_GETRANDOM
    if (getrandom(&mix[0], sizeof mix[0], GRND_NONBLOCK) != (ssize_t)sizeof mix[0])
        mix[0] = 0;
#endif
    s = XXH3_64bits(mix, sizeof mix) | 1;
    atomic_store_explicit(&secret, s, memory_order_relaxed);
    return s;
}

uint64_t brinep_seed(void)
{
    static _Atomic uint64_t counter;
    uint64_t n = atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
    return XXH3_64bits_withSeed(&n, sizeof n, process_seed());
}

/* Freed chunks of CHUNK_MAX bytes wait in a per-thread cache for the next
 * document. Without it glibc hands the freed pages back to the kernel and
 * the next decode faults them in again: 375 page faults, a third of the
 * time of decoding twitter.json, measured with perf. The cache holds at
 * most CACHE_MAX chunks (4 MiB); brine_release_memory empties it, thread
 * exit and brine_set_allocator too. Under AddressSanitizer cached chunks
 * stay poisoned, so a freed document's memory is still caught. */
#define CACHE_MAX 64

typedef struct chunk_cache {
    brinep_chunk *head;
    size_t count;
} chunk_cache;

static _Thread_local chunk_cache cache;
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_key_ok;

static size_t cache_release(chunk_cache *cc)
{
    size_t bytes = 0;
    while (cc->head) {
        brinep_chunk *c = cc->head;
        ARENA_UNPOISON(c, sizeof *c);
        cc->head = c->next;
        bytes += c->size;
        brine_free(c);
    }
    cc->count = 0;
    return bytes;
}

static void cache_thread_exit(void *p)
{
    cache_release(p);
}

static void cache_key_create(void)
{
    cache_key_ok = pthread_key_create(&cache_key, cache_thread_exit) == 0;
}

/* Keeps c for reuse; false when the cache is full or cannot register the
 * thread-exit cleanup (then the caller frees c). */
static int cache_put(brinep_chunk *c)
{
    if (cache.count >= CACHE_MAX)
        return 0;
    if (!cache.head) {
        pthread_once(&cache_once, cache_key_create);
        if (!cache_key_ok || pthread_setspecific(cache_key, &cache) != 0)
            return 0;
    }
    c->next = cache.head;
    cache.head = c;
    cache.count++;
    ARENA_POISON(c, c->size);
    ARENA_UNPOISON(c, sizeof *c);
    return 1;
}

static brinep_chunk *chunk_new(size_t size)
{
    if (size == CHUNK_MAX && cache.head) {
        brinep_chunk *c = cache.head;
        cache.head = c->next;
        cache.count--;
        ARENA_UNPOISON(c, size);
        return c;
    }
    brinep_chunk *c = brine_malloc(size);
    if (c)
        c->size = size;
    return c;
}

size_t brine_release_memory(void)
{
    return cache_release(&cache);
}

brine_doc *brine_doc_new(void)
{
    brinep_chunk *c = chunk_new(CHUNK_FIRST);
    if (!c)
        return NULL;
    c->next = c->prev = NULL;
    brine_doc *doc = (brine_doc *)chunk_data(c);
    memset(doc, 0, sizeof *doc);
    doc->chunks = c;
    doc->top = chunk_data(c) + ALIGN16(sizeof *doc);
    doc->limit = (unsigned char *)c + CHUNK_FIRST;
    doc->last = NULL;
    doc->memory = CHUNK_FIRST;
    doc->max_depth = BRINE_DEFAULT_MAX_DEPTH;
    doc->seed = brinep_seed();
    doc->root.type = BRINE_NULL;
    return doc;
}

void brine_doc_free(brine_doc *doc)
{
    if (!doc)
        return;
    /* Adopted memory first (the finalizers live in the arena). */
    for (brinep_finalizer *f = doc->finalizers; f; f = f->next)
        f->fn(f->arg);
    /* The document lives in its oldest chunk: read nothing from it once
     * freeing has started. */
    brinep_chunk *c = doc->chunks;
    while (c) {
        brinep_chunk *next = c->next;
        if (c->size != CHUNK_MAX || !cache_put(c))
            brine_free(c);
        c = next;
    }
}

brine_value *brine_doc_root(brine_doc *doc)
{
    return doc ? &doc->root : NULL;
}

int brine_doc_set_root(brine_doc *doc, const brine_value *v, brine_error *err)
{
    brinep_enter(err);
    if (!doc || !v)
        return brine_error_set(err, BRINE_E_INVALID, "brine_doc_set_root needs a document and a value");
    brine_doc *owner = brine_value_doc(v);
    if (owner && owner != doc)
        return brine_error_set(err, BRINE_E_INVALID, "the value belongs to another document");
    brine_value slot;
    if (brinep_adopt_borrowed(doc, v, &slot)) /* a str borrowed from another input */
        return brinep_nomem(err);
    doc->root = slot;
    return BRINE_OK;
}

size_t brine_doc_max_depth(const brine_doc *doc)
{
    return doc ? doc->max_depth : BRINE_DEFAULT_MAX_DEPTH;
}

void brine_doc_set_max_depth(brine_doc *doc, size_t max_depth)
{
    if (doc)
        doc->max_depth = max_depth ? max_depth : BRINE_DEFAULT_MAX_DEPTH;
}

size_t brine_doc_memory(const brine_doc *doc)
{
    return doc ? doc->memory : 0;
}

/* A chunk of its own for one large block, linked after the current chunk. */
static void *alloc_dedicated(brine_doc *doc, size_t size)
{
    if (size > SIZE_MAX - CHUNK_HEADER)
        return NULL;
    brinep_chunk *c = brine_malloc(CHUNK_HEADER + size);
    if (!c)
        return NULL;
    brinep_chunk *head = doc->chunks;
    c->size = CHUNK_HEADER + size;
    c->prev = head;
    c->next = head->next;
    if (head->next)
        head->next->prev = c;
    head->next = c;
    doc->memory += c->size;
    doc->last = chunk_data(c);
    return chunk_data(c);
}

void *brinep_alloc_slow(brine_doc *doc, size_t size)
{
    if (size > SIZE_MAX - 64)
        return NULL;
    size = size ? ALIGN16(size) : 16;
    /* Even when it would fit: brinep_grow relies on every block above
     * DEDICATED_MIN owning its chunk. */
    if (size > DEDICATED_MIN)
        return alloc_dedicated(doc, size);
    if ((size_t)(doc->limit - doc->top) < size) {
        size_t csize = doc->chunks->size * 2;
        if (csize > CHUNK_MAX)
            csize = CHUNK_MAX;
        if (csize < CHUNK_HEADER + size)
            csize = CHUNK_HEADER + size;
        brinep_chunk *c = chunk_new(csize);
        if (!c)
            return NULL;
        c->prev = NULL;
        c->next = doc->chunks;
        doc->chunks->prev = c;
        doc->chunks = c;
        doc->top = chunk_data(c);
        doc->limit = (unsigned char *)c + csize;
        doc->memory += csize;
    }
    void *p = doc->top;
    doc->top += size;
    doc->last = p;
    return p;
}

void *brinep_grow(brine_doc *doc, void *block, size_t old_size, size_t new_size)
{
    if (!block)
        return brinep_alloc(doc, new_size);
    if (new_size <= old_size)
        return block;
    if (new_size > SIZE_MAX - 64)
        return NULL;
    size_t o = old_size ? ALIGN16(old_size) : 16;
    size_t n = ALIGN16(new_size);
    if (o > DEDICATED_MIN) {
        /* Blocks above DEDICATED_MIN always own their chunk. */
        brinep_chunk *c = (brinep_chunk *)((unsigned char *)block - CHUNK_HEADER);
        if (n > SIZE_MAX - CHUNK_HEADER)
            return NULL;
        brinep_chunk *prev = c->prev, *next = c->next;
        size_t before = c->size;
        brinep_chunk *g = brine_realloc(c, CHUNK_HEADER + n);
        if (!g)
            return NULL;
        g->size = CHUNK_HEADER + n;
        prev->next = g; /* a dedicated chunk always follows the current one */
        if (next)
            next->prev = g;
        doc->memory += g->size - before;
        if (doc->last == block)
            doc->last = chunk_data(g);
        return chunk_data(g);
    }
    unsigned char *b = block;
    if (block == doc->last && b + o == doc->top && n <= DEDICATED_MIN && (size_t)(doc->limit - b) >= n) {
        doc->top = b + n;
        return block;
    }
    void *p = brinep_alloc(doc, new_size);
    if (p)
        memcpy(p, block, old_size);
    return p;
}
