/* plugin.h: the format plugin ABI: events, sinks, byte sources and outputs,
 * options, and the descriptor a plugin exports.
 *
 * A format plugin owns bytes only. Its decoder turns bytes into a stream of
 * events (brine_event) pushed into a sink; its encoder is a sink that turns
 * events into bytes. libbrine supplies the two graph ends: a walker
 * (brine_walk) that turns a graph into events and a builder
 * (brine_builder_new) that turns events into a graph. Both enforce the depth
 * limit and handle shared and cyclic nodes, so a plugin never keeps a memo
 * table or counts depth, and one format's decoder can feed another format's
 * encoder directly (brine_transcode in <brine/format.h>).
 *
 * docs/plugins.md is the plugin author's guide; this header is the reference.
 */
#ifndef BRINE_PLUGIN_H
#define BRINE_PLUGIN_H

#include <string.h>

#include <brine/brine.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Events. The stream for one value is one scalar event, or a begin event
 * (LIST, TUPLE, DICT, MODEL), the children's streams, and END. A dict's
 * children alternate key, value. A model has exactly two children: its args
 * (a TUPLE, or a REF to one) and its state (any value, NULL for none).
 *
 * Shared and cyclic containers: a begin event with a nonzero `anchor` names
 * that container; a later REF event with the same id stands for the very
 * same container (which may still be open: that is a cycle). Producers only
 * anchor containers that are referenced again; ids are unique within a
 * stream and need not be dense.
 *
 * Shared scalars, only for a sink with BRINE_SINK_SCALAR_REFS: a STR, BYTES
 * or BIGINT event may carry a nonzero `anchor` too (one id space with the
 * containers), and a later REF naming it stands for an equal scalar (a
 * sink may store the same immutable bytes again, or write a back-reference,
 * or the value again). Producers anchor a scalar only for such a sink and
 * only when it is met again. A sink without the flag (every plugin built
 * for ABI 1) never sees an anchor on a scalar or a REF to one.
 * ------------------------------------------------------------------------ */

typedef enum brine_event_kind {
    BRINE_EV_NULL = 1,
    BRINE_EV_BOOL = 2,
    BRINE_EV_INT = 3,     /* v.i: an int64 */
    BRINE_EV_UINT = 4,    /* v.u: a uint64 (any; consumers normalise) */
    BRINE_EV_BIGINT = 5,  /* v.s: two's-complement little-endian bytes */
    BRINE_EV_FLOAT = 6,   /* v.f */
    BRINE_EV_COMPLEX = 7, /* v.c */
    BRINE_EV_STR = 8,     /* v.s: UTF-8; core checks it (docs/plugins.md) */
    BRINE_EV_BYTES = 9,   /* v.s */
    BRINE_EV_LIST = 10,   /* begin; v.count: elements, or BRINE_COUNT_UNKNOWN */
    BRINE_EV_TUPLE = 11,  /* begin; v.count likewise */
    BRINE_EV_DICT = 12,   /* begin; v.count: entries (pairs), or unknown */
    BRINE_EV_MODEL = 13,  /* begin; v.s: the type name (UTF-8) */
    BRINE_EV_END = 14,    /* ends the innermost open container */
    BRINE_EV_REF = 15,    /* v.ref: the anchor id of an earlier container */
    BRINE_EV_ARRAY = 16   /* v.array: a whole array (only to BRINE_SINK_ARRAYS sinks) */
} brine_event_kind;

#define BRINE_COUNT_UNKNOWN ((size_t)-1)

/* The header an ARRAY event points at: one array value, its element type,
 * shape and data, valid only during the call. The event may carry an
 * anchor like a begin event (an array is a container for sharing: a later
 * REF names the same array). data holds data_len bytes in the dtype's byte
 * order and C order; in this form (the only one sent today) data_len is
 * the whole array, count x itemsize, and chunks is 0. Reserved for
 * streaming (#21): a header with chunks nonzero and data_len less than
 * nbytes, followed by ARRAY_CHUNK events carrying the rest in order; no
 * producer may send that form until a sink flag asks for it. Core checks
 * every header it receives (the dtype's fields, ndim, the shape's product
 * against count, data_len) and refuses a bad one with BRINE_E_PLUGIN.
 * A producer builds the dtype in any document (brine_dtype_parse); the
 * consumer copies what it keeps. */
typedef struct brine_array_header {
    const brine_dtype *dtype;
    unsigned ndim;         /* 0 .. BRINE_ARRAY_MAX_DIMS */
    const uint64_t *shape; /* ndim sizes; NULL allowed when ndim is 0 */
    uint64_t count;        /* elements: the product of shape (1 for 0-d) */
    const void *data;      /* data_len bytes; NULL allowed when data_len is 0 */
    size_t data_len;       /* bytes in data: count x itemsize in the one-block form */
    uint32_t chunks;       /* 0: the one-block form (#21 plans the chunked form) */
    uint32_t reserved_;    /* zero */
} brine_array_header;

typedef struct brine_event {
    brine_event_kind kind;
    uint64_t anchor; /* begin events: nonzero id later REFs may name; else 0 */
    union {
        int boolean;
        int64_t i;
        uint64_t u;
        double f;
        struct {
            double re, im;
        } c;
        struct {
            const char *ptr; /* valid only during the call */
            size_t len;
        } s;
        size_t count;
        uint64_t ref;
        const brine_array_header *array; /* BRINE_EV_ARRAY */
    } v;
} brine_event;

/* A consumer of events: a plugin's encoder, the builder, or any filter.
 * event() returns BRINE_OK or a status (and fills the sink's error); after a
 * failure no further events are sent. finish() is called once after the last
 * END of a complete value, to flush; destroy() is always called last, also
 * after a failure, and frees the sink. An encoder that writes a container's
 * known count verifies it (a child beyond it, or an END before it, is
 * BRINE_E_INVALID): a streamed conversion leaves that check to it. */
typedef struct brine_sink brine_sink;
struct brine_sink {
    int (*event)(brine_sink *self, const brine_event *ev);
    int (*finish)(brine_sink *self);
    void (*destroy)(brine_sink *self);
    unsigned flags;   /* BRINE_SINK_* */
    brine_error *err; /* where this sink reports; may be NULL */
};

/* The sink stores references: the walker then anchors shared containers and
 * sends REF for repeats and cycles. Without it the walker writes a shared
 * container out again each time it is met and fails with BRINE_E_CYCLE on
 * a cycle, like Python's json module. */
#define BRINE_SINK_REFS 1u

/* With BRINE_SINK_REFS: the sink also takes anchors on STR, BYTES and
 * BIGINT events and REFs to them (see Events). The walker then anchors a
 * str, bytes or big int whose data two or more slots share (16 bytes or
 * more), so that a string stored once and referenced a million times is
 * sent once. The builder and the pickle encoder declare it. */
#define BRINE_SINK_SCALAR_REFS 2u

/* The sink takes BRINE_EV_ARRAY events. A sink without it (every plugin
 * built for ABI 1) never sees one: the walker, and the checker of a
 * streamed conversion, send it each array as nested lists with numpy's
 * tolist() meaning instead (docs/plugins.md: bool -> BOOL, ints and
 * datetime64/timedelta64 counts -> INT/UINT, floats -> FLOAT, complex ->
 * COMPLEX, S -> BYTES and U -> STR without their trailing NULs (a code
 * unit that is no character, a surrogate or past U+10FFFF, as U+FFFD), V ->
 * BYTES, records -> TUPLEs of their fields, a 0-d array -> its element).
 * Each dimension is one level of nesting for the depth limit. */
#define BRINE_SINK_ARRAYS 4u

/* ------------------------------------------------------------------------
 * Byte sources: a window of input bytes [cur, end) that decoders read with
 * plain pointer arithmetic, refilled on demand from a buffer, a FILE * or a
 * file descriptor. Pointers into the window stay valid until the next call
 * to brine_source_more().
 * ------------------------------------------------------------------------ */

typedef struct brine_source brine_source;
struct brine_source {
    const unsigned char *cur;   /* next unread byte */
    const unsigned char *end;   /* end of the bytes available now */
    const unsigned char *start; /* window start; its input offset is base */
    uint64_t base;
    /* Private to libbrine. A pulling source (a callback or a filter, #22)
     * has fd_ -2 and its state in pull_, in the room of fp_: the struct
     * keeps the size and layout 0.1 compiled (docs/abi.md, rule 4). */
    unsigned char *buf_;
    size_t cap_;
    union {
        FILE *fp_;
        struct brinep_pull *pull_;
    };
    int fd_;
    int eof_;
};

/* A source over len bytes at data (not copied: they must outlive it). */
BRINE_API void brine_source_init_buffer(brine_source *src, const void *data, size_t len);

/* A source that reads fp or fd in chunks as the decoder asks for bytes. */
BRINE_API void brine_source_init_file(brine_source *src, FILE *fp);
BRINE_API void brine_source_init_fd(brine_source *src, int fd);

/* Reads up to room bytes into buf: sets *got (0 only at the end of the
 * input) and returns 0, or returns nonzero on a read error. */
typedef int (*brine_read_fn)(void *ctx, void *buf, size_t room, size_t *got);

/* A source that pulls its bytes from read(ctx, ...) as the decoder asks
 * for them (added in 0.2). BRINE_E_NOMEM, or BRINE_OK. It cannot rewind. */
BRINE_API int brine_source_init_callback(brine_source *src, brine_read_fn read, void *ctx, brine_error *err);

/* Frees the window buffer of a file source (buffer sources own nothing),
 * and the state of a callback or filter source (not its inner source). */
BRINE_API void brine_source_destroy(brine_source *src);

/* Makes at least `need` bytes available at cur (end - cur >= need), reading
 * more input if the source has any. BRINE_E_TRUNCATED, with the offset
 * where the input ended, if it ends first; BRINE_E_IO on a read error.
 * Memory grows with the bytes that actually arrive, never with `need`
 * alone, so a hostile length costs nothing before the input backs it. */
BRINE_API int brine_source_more(brine_source *src, size_t need, brine_error *err);

/* Makes the whole rest of the input available in one window (for text
 * decoders that want it contiguous). */
BRINE_API int brine_source_read_all(brine_source *src, brine_error *err);

/* 1 if no byte remains (reading to find out), else 0. */
BRINE_API int brine_source_at_end(brine_source *src);

/* 1 if the source can go back to an offset it has passed and read the same
 * bytes again: a buffer source, or a file source over a regular file (a
 * FILE * without a descriptor, such as fmemopen's or a cookie stream, when
 * it can seek). Pipes, terminals and devices cannot. Such an input ends, so
 * a decoder may read it through once (to verify a checksum before sending
 * any event) and come back. */
BRINE_API int brine_source_can_rewind(brine_source *src);

/* Moves cur back to input offset `offset` (at most brine_source_offset):
 * within the window at no cost, else by seeking the file and refilling.
 * BRINE_E_INVALID beyond the current offset, BRINE_E_IO if the file cannot
 * seek there. Pointers into the old window become invalid. */
BRINE_API int brine_source_rewind(brine_source *src, uint64_t offset, brine_error *err);

/* A read-only view of input bytes (brine_source_view). data and len are
 * the caller's to read; the rest is private to libbrine. */
typedef struct brine_view {
    const void *data;
    size_t len;
    void *map_;      /* private: the mapping, or NULL */
    size_t map_len_; /* private */
} brine_view;

/* The next len bytes of input as one read-only block, and cur moved past
 * them: for large blocks of a regular file (a descriptor or FILE * on
 * one, len of 1 MiB or more) a mapping of the file, so that the bytes are
 * copied once, by whoever reads the view, instead of into the window
 * first; otherwise a pointer into the window, like brine_source_need.
 * BRINE_E_TRUNCATED (at the offset where the input ends) when fewer than
 * len bytes remain: the file's size is checked before anything is mapped,
 * so a hostile length costs nothing. The view is valid until
 * brine_view_release, and, when it points into the window, until
 * the next call on the source as well: take the bytes, then release. A
 * file must not shrink while a view of it is in use (reading a mapping
 * past a file's new end raises SIGBUS, as with any mapping). */
BRINE_API int brine_source_view(brine_source *src, size_t len, brine_view *view, brine_error *err);

/* Ends a view (unmaps it); a zeroed or released view is allowed. */
BRINE_API void brine_view_release(brine_view *view);

/* Input offset of cur. */
static inline uint64_t brine_source_offset(const brine_source *src)
{
    return src->base + (uint64_t)(src->cur - src->start);
}

/* Ensures need bytes at cur: the fast path of brine_source_more. */
static inline int brine_source_need(brine_source *src, size_t need, brine_error *err)
{
    return (size_t)(src->end - src->cur) >= need ? BRINE_OK : brine_source_more(src, need, err);
}

/* ------------------------------------------------------------------------
 * Outputs: a buffer [cur, end) of free space that encoders write into,
 * drained to a growing memory buffer, a FILE *, a file descriptor or a
 * callback. A write error is sticky: every later call returns it.
 * ------------------------------------------------------------------------ */

typedef int (*brine_write_fn)(void *ctx, const void *data, size_t len);

typedef struct brine_output brine_output;
struct brine_output {
    unsigned char *cur; /* next free byte */
    unsigned char *end; /* end of the free space */
    /* Private to libbrine. */
    unsigned char *buf_;
    size_t cap_;
    uint64_t flushed_;
    int kind_;
    int status_;
    FILE *fp_;
    int fd_;
    brine_write_fn write_;
    void *ctx_;
};

/* An output into a growing memory buffer; take it with brine_output_take. */
BRINE_API int brine_output_init_buffer(brine_output *out, brine_error *err);
BRINE_API int brine_output_init_file(brine_output *out, FILE *fp, brine_error *err);
BRINE_API int brine_output_init_fd(brine_output *out, int fd, brine_error *err);

/* write(ctx, data, len) returns 0 on success, nonzero on failure. */
BRINE_API int brine_output_init_callback(brine_output *out, brine_write_fn write, void *ctx, brine_error *err);

/* Makes room for at least need bytes at cur (draining what is buffered). */
BRINE_API int brine_output_reserve(brine_output *out, size_t need, brine_error *err);

/* Appends len bytes. */
BRINE_API int brine_output_write(brine_output *out, const void *data, size_t len, brine_error *err);

/* A hint that about `bytes` more bytes will be written: a memory output
 * (brine_output_init_buffer) sizes its buffer for them at once, instead of
 * doubling and copying as they come (the pages it does not use are never
 * touched); a file or descriptor output on a regular file reserves the
 * file's blocks for them (fallocate, keeping the size, as numpy.save does:
 * on ext4 a rewritten file then saves about twice as fast), from 1 MiB up;
 * other outputs ignore it, and so does an output that cannot get the
 * memory or blocks (writes then go on as usual). For encoders that know
 * their size, such as native and npy writing large arrays (#20).
 * Returns BRINE_OK, or the output's earlier error. */
BRINE_API int brine_output_expect(brine_output *out, size_t bytes, brine_error *err);

/* Drains buffered bytes to the destination (and fflush()es a FILE *). */
BRINE_API int brine_output_flush(brine_output *out, brine_error *err);

/* Total bytes written so far, buffered ones included. */
BRINE_API uint64_t brine_output_total(const brine_output *out);

/* For a buffer output: hands over the bytes (allocated with brine_malloc,
 * followed by a NUL not counted in *len; free with brine_free) and leaves
 * the output empty. NULL for other kinds. */
BRINE_API void *brine_output_take(brine_output *out, size_t *len);

/* Frees what the output holds. Does not close the FILE * or descriptor,
 * nor destroy a filter output's inner output. */
BRINE_API void brine_output_destroy(brine_output *out);

/* Patching: rewriting bytes already written, so that an encoder can write
 * a count it learns only at a container's end (#21). The mark of a
 * position is brine_output_total() before its bytes are written.
 * patch(ctx, offset, data, len) rewrites len bytes at offset, counted from
 * the output's first byte; it returns 0 on success. */
typedef int (*brine_patch_fn)(void *ctx, uint64_t offset, const void *data, size_t len);

/* A callback output whose destination can also be rewritten in place (a
 * temporary file that is renamed over its target at the end). */
BRINE_API int brine_output_init_patchable(brine_output *out, brine_write_fn write, brine_patch_fn patch, void *ctx,
                                          brine_error *err);

/* 1 if brine_output_patch can rewrite bytes that have left the output's
 * buffer: a FILE * or descriptor on a regular file (its position not moved
 * by anyone else meanwhile), a patchable callback output. 0 for a pipe, a
 * terminal, a plain callback (a filter, a socket), and a memory output:
 * there brine_output_patch works (nothing ever leaves the buffer), but an
 * encoder that must hold all its bytes anyway gains little by patching and
 * keeps its canonical form (msgpack's smallest headers). */
BRINE_API int brine_output_can_patch(const brine_output *out);

/* Rewrites len bytes at offset (a mark: offset + len <= brine_output_total)
 * with data. The bytes still buffered are changed in place; flushed ones
 * through the destination (pwrite, fseeko or the patch callback).
 * BRINE_E_UNSUPPORTED when brine_output_can_patch says 0 and the bytes have
 * left the buffer; BRINE_E_IO (sticky) when the destination refuses. */
BRINE_API int brine_output_patch(brine_output *out, uint64_t offset, const void *data, size_t len, brine_error *err);

/* 1 when out writes through a filter (brine_output_init_filter): the bytes
 * an encoder writes are not the bytes of the file, so offsets into them
 * mean nothing to a reader that maps the file (joblib's arrays). Added in
 * 0.2. */
BRINE_API int brine_output_filtered(const brine_output *out);

/* Ends the output: a filter output (brine_output_init_filter) writes the
 * end of its stream (a compressor's last block and trailer) into its
 * inner output and finishes that; any other output is flushed. Call it
 * once, after the last write; brine_output_flush alone leaves a
 * compressed stream open (and not yet decodable). Added in 0.2. */
BRINE_API int brine_output_finish(brine_output *out, brine_error *err);

/* Appends len bytes: the fast path of brine_output_write. */
static inline int brine_output_put(brine_output *out, const void *data, size_t len, brine_error *err)
{
    if ((size_t)(out->end - out->cur) < len)
        return brine_output_write(out, data, len, err);
    if (len) /* data may be NULL for an empty write */
        memcpy(out->cur, data, len);
    out->cur += len;
    return BRINE_OK;
}

/* ------------------------------------------------------------------------
 * Options: the depth limit and format-specific "name" or "name=value"
 * strings (pretty, plain, refs, sort_keys ...). A plugin lists the names it
 * accepts in its descriptor; libbrine refuses others with BRINE_E_OPTION.
 * ------------------------------------------------------------------------ */

typedef struct brine_options {
    size_t max_depth;         /* 0 means BRINE_DEFAULT_MAX_DEPTH */
    size_t count;             /* number of items */
    const char *const *items; /* "name" or "name=value" */
    /* The expansion limit (read by core only; plugins built for ABI 1 never
     * read past items): a walk may send at most expand_ratio x the walked
     * document's memory + expand_bytes bytes, counting 16 bytes a value plus
     * the data of its str, bytes, big int or model name, every visit (see
     * docs/formats.md). Only a value sent again, as a shared container is
     * into a format without references, can reach it. 0 means the default. */
    uint32_t expand_ratio; /* 0 means BRINE_DEFAULT_EXPAND_RATIO */
    uint64_t expand_bytes; /* 0 means BRINE_DEFAULT_EXPAND_BYTES */
    /* Nonzero: a walk (brine_encode, brine_transcode, brine_walk_options)
     * sends each dict's entries sorted by key instead of in insertion
     * order, for every format. str keys sort by code point, like Python's
     * sort_keys; keys of mixed types, which Python refuses to compare, sort
     * by type first: None, bool, numbers (int and float by value), complex,
     * str, bytes, tuple. A transcode that sorts goes through a graph: it
     * does not stream. Read by core only. */
    unsigned sort_keys;
    /* The decompression limit of filter sources (#22, read by core only):
     * a filter may produce at most filter_ratio x the compressed bytes it
     * has consumed + filter_bytes, checked as it goes, so that a bomb
     * (deflate reaches 1030:1, bzip2 and zstd far more) stops early, in
     * little memory, with BRINE_E_RANGE. 0 means the default; UINT32_MAX
     * and UINT64_MAX mean no limit. */
    uint32_t filter_ratio; /* 0 means BRINE_DEFAULT_FILTER_RATIO */
    uint64_t filter_bytes; /* 0 means BRINE_DEFAULT_FILTER_BYTES */
} brine_options;

/* Options at the call site, by field name (C99 designated initializers):
 *
 *     brine_options o = BRINE_OPTIONS(.max_depth = 50, BRINE_OPTION_ITEMS("pretty", "refs"));
 *     brine_options p = BRINE_OPTIONS(BRINE_OPTION_ITEMS("sort_keys"));
 *     brine_options q = BRINE_OPTIONS(.sort_keys = 1);
 *
 * Fields not named are 0 (their defaults). BRINE_OPTION_ITEMS sets items
 * and computes count from the list itself, so the two cannot disagree.
 * Give BRINE_OPTIONS at least one field (C before C23 has no empty
 * initializer). The items array is a compound literal: it lives as long
 * as the enclosing block, like the options. Not for C++. */
#define BRINE_OPTIONS(...) ((brine_options){__VA_ARGS__})
#define BRINE_OPTION_ITEMS(...)                                                                                        \
    .count = sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *),                                        \
    .items = (const char *const[]){__VA_ARGS__}

#define BRINE_DEFAULT_EXPAND_RATIO 8u
#define BRINE_DEFAULT_EXPAND_BYTES ((uint64_t)64 << 20)
#define BRINE_DEFAULT_FILTER_RATIO 100u
#define BRINE_DEFAULT_FILTER_BYTES ((uint64_t)64 << 20)

/* The value of option name: "" for a bare "name", NULL when absent (also
 * when opts is NULL). The last occurrence wins. */
BRINE_API const char *brine_options_get(const brine_options *opts, const char *name);

/* 1 if name is present with no value or a value other than 0, false, no, off.
 * For an option declared BRINE_OPT_FLAG, libbrine has already refused any
 * other value by the time a plugin's entry point runs. */
BRINE_API int brine_options_flag(const brine_options *opts, const char *name);

/* max_depth, or BRINE_DEFAULT_MAX_DEPTH when opts is NULL or it is 0. */
BRINE_API size_t brine_options_max_depth(const brine_options *opts);

#define BRINE_OPT_DECODE 1u /* the option applies when decoding */
#define BRINE_OPT_ENCODE 2u /* the option applies when encoding */
/* The option is a flag (added in 0.2): given bare ("pretty") or with one of
 * 1, true, yes, on, 0, false, no, off (any case); brine_options_check
 * refuses every other value with BRINE_E_OPTION, naming these. Read it with
 * brine_options_flag. */
#define BRINE_OPT_FLAG 4u

typedef struct brine_option_spec {
    const char *name; /* NULL ends the list */
    unsigned flags;   /* BRINE_OPT_DECODE | BRINE_OPT_ENCODE, and BRINE_OPT_FLAG for a flag */
    const char *help; /* one line */
} brine_option_spec;

/* ------------------------------------------------------------------------
 * Paths in errors. brine_error.path names the value an error is about, in
 * the syntax brine_path_get reads. Core and every plugin render it with
 * the calls below, so the same bad input gives the same path whichever
 * decoder or encoder meets it:
 *   $            the root
 *   [3]          an element of a list or tuple
 *   .args .state a model's args and state
 *   .name        a str key that is an ASCII identifier ([A-Za-z_][A-Za-z0-9_]*)
 *                of at most BRINE_PATH_KEY_MAX bytes
 *   ["a b"]      any other str key: " and \ escaped by \, \n \r \t, other
 *                control characters (below 0x20, and 0x7f) and bytes that
 *                are not UTF-8 as \xNN; other characters as they are
 *   [-3] [1.5] [None] [True] [b'\x00'] [(1, 'a')]
 *                other keys: Python's repr of them (brine_value_repr)
 *   [...]        a key the renderer does not have (a decoder that does not
 *                keep a tuple key, say)
 * A key whose text between the brackets would pass BRINE_PATH_KEY_MAX
 * bytes keeps its first characters (cut between characters, never inside
 * one or inside an escape) and ends in "...]" instead of its closing quote
 * or bracket: ["aaaa...]. A path that does not fit in BRINE_ERROR_PATH
 * bytes keeps its first whole steps and ends in "...". brine_path_get
 * refuses both (it never looks up a cut key).
 *
 * A decoder with a frame stack of its own renders the path only when an
 * error happens: "$", then one brine_path_append_* per open frame (none of
 * them costs anything while decoding goes well). A simple decoder without
 * one keeps a brine_path: push a step when it enters a value, pop it when
 * the value is done, brine_path_render into err->path when it fails.
 * (Added in libbrine 0.2: a plugin that must also build against 0.1's
 * headers tests #ifdef BRINE_PATH_KEY_MAX; see docs/plugins.md.)
 * ------------------------------------------------------------------------ */

#define BRINE_PATH_KEY_MAX 64

/* Append one step to path (cap bytes, NUL-terminated, normally starting
 * with "$"), under the rule above: an index; a name (.args, .state: an
 * identifier, else [...]); a dict key given as its scalar event (STR,
 * BYTES, INT, UINT, BIGINT, FLOAT, COMPLEX, NULL, BOOL; NULL or another
 * kind renders as [...]). A path that was cut takes no further step. */
BRINE_API void brine_path_append_index(char *path, size_t cap, uint64_t index);
BRINE_API void brine_path_append_name(char *path, size_t cap, const char *name);
BRINE_API void brine_path_append_key(char *path, size_t cap, const brine_event *key);

/* A stack of steps (heap-allocated; NULL when out of memory). A push
 * copies what it needs of a key (the event's bytes need not outlive the
 * call) and returns BRINE_OK or BRINE_E_NOMEM; nothing is rendered until
 * brine_path_render, which writes "$" and the steps into path. */
typedef struct brine_path brine_path;
BRINE_API brine_path *brine_path_new(void);
BRINE_API void brine_path_free(brine_path *p);
BRINE_API int brine_path_push_index(brine_path *p, uint64_t index);
BRINE_API int brine_path_push_name(brine_path *p, const char *name);
BRINE_API int brine_path_push_key(brine_path *p, const brine_event *key);
BRINE_API void brine_path_pop(brine_path *p); /* no-op when empty */
BRINE_API size_t brine_path_depth(const brine_path *p);
BRINE_API void brine_path_render(const brine_path *p, char *path, size_t cap);

/* After a sink's event() or finish() returned rc (nonzero): merges the
 * sink's error into the caller's err and returns rc. When err holds no
 * error yet it takes sink->err's code, message and path (the sink's "$"
 * replaced by prefix, the caller's path of the sink's root, when prefix is
 * not NULL), or, when the sink filled nothing, rc with a generic message
 * and no path. When err then has code rc and no offset it gets offset (the
 * sink knows the path, not where in the input the decoder is). sink->err
 * may be err itself. A decoder calls it on every sink failure. */
BRINE_API int brine_error_merge_sink(brine_error *err, const brine_sink *sink, int rc, uint64_t offset,
                                     const char *prefix);

/* ------------------------------------------------------------------------
 * The plugin descriptor. A plugin library exports one function,
 *     const brine_plugin *brine_plugin_entry(void);
 * (named <module>_LTX_brine_plugin_entry in a module built for libltdl
 * preloading; BRINE_PLUGIN_DEFINE below does both). The descriptor is
 * constant and lives as long as the library is loaded.
 *
 * Versioning: BRINE_PLUGIN_ABI changes when a field changes meaning or
 * position, or an event changes meaning. Fields are only ever added before
 * `reserved`, taking its room, and `size` tells the host how much of the
 * struct the plugin knows; the host refuses an ABI it does not know, a size
 * smaller than the ABI's first release, and a descriptor without a name.
 * ------------------------------------------------------------------------ */

#define BRINE_PLUGIN_ABI 1

#define BRINE_CAP_DECODE 0x01u /* decode is set */
#define BRINE_CAP_ENCODE 0x02u /* encoder_new is set */
#define BRINE_CAP_TEXT 0x04u   /* the format is text (errors quote line:column) */
#define BRINE_CAP_BINARY 0x08u /* the format is binary (errors quote offsets) */
#define BRINE_CAP_REFS 0x10u   /* stores shared and cyclic nodes, always */
#define BRINE_CAP_REFS_OPTION 0x20u /* stores them when the "refs" option is set */
#define BRINE_CAP_FILTER 0x40u      /* a byte filter: `filter` is set, decode and encoder_new are not (#22) */
#define BRINE_CAP_REFS_READ 0x80u   /* its decoder reads shared and cyclic nodes always (CBOR's tags 28/29), */
                                    /* whatever its refs option says; with REFS_OPTION it writes them when set */
#define BRINE_CAP_GRAPH_READER 0x100u /* its decoder holds the whole value before its first event (pickle): */
                                      /* a transcode that may need the graph decodes once into it, unprobed */

/* ------------------------------------------------------------------------
 * Byte filters (#22): a plugin with BRINE_CAP_FILTER transforms bytes, not
 * values: it decompresses what a source reads and compresses what an
 * output writes (gzip, zlib, bz2, xz, lzma, zstd are built in). Its
 * descriptor names it, lists its extensions ("gz") and options ("level"),
 * and points at a brine_filter_ops. libbrine runs the loop (refilling,
 * draining, the decompression limit, offsets in errors); a filter only
 * turns the bytes it is given into the bytes it can produce, like zlib's
 * inflate() and deflate().
 * ------------------------------------------------------------------------ */

/* One step of a filter: in/in_len are the bytes offered (the filter
 * advances in and lowers in_len by what it consumed), out/out_len the room
 * (advanced and lowered by what it produced). */
typedef struct brine_filter_io {
    const unsigned char *in;
    size_t in_len;
    unsigned char *out;
    size_t out_len;
    /* Set by libbrine. Decompressing: no input follows in (the input has
     * ended). Compressing: end the stream (write everything, and the
     * trailer). */
    int finish;
    /* Set by the filter. Decompressing: the stream ended (its last byte is
     * consumed; bytes after it are an error of the filter's choosing,
     * except where the format allows more, as gzip's concatenated members
     * do). Compressing with finish: every byte of the stream is out. */
    int end;
} brine_filter_io;

/* The filter's magic is trusted only when the input's format is already
 * known (from -f or an extension) and that format's sniff rejects the raw
 * bytes: zlib's 0x78 is also a msgpack fixint, lzma's 0x5d a pickle opcode. */
#define BRINE_FILTER_WEAK_MAGIC 1u

typedef struct brine_filter_ops {
    uint32_t size;  /* sizeof(brine_filter_ops) as the plugin was built */
    uint32_t flags; /* BRINE_FILTER_* */
    /* A decompressor (compress 0) or compressor (1) with opts' items (the
     * descriptor's options: "level=9"), or NULL with err filled. */
    void *(*create)(int compress, const brine_options *opts, brine_error *err);
    /* Moves bytes through state (see brine_filter_io). Returns BRINE_OK
     * having consumed or produced something, or finished; it may return
     * BRINE_OK without progress only when in_len or out_len is 0. On bad
     * data BRINE_E_CORRUPT (or BRINE_E_TRUNCATED when finish is set and
     * the stream is incomplete) with a message naming what is wrong
     * ("invalid block type"): libbrine adds the filter's name and the
     * compressed offset. */
    int (*run)(void *state, brine_filter_io *io, brine_error *err);
    void (*destroy)(void *state);
    /* Confidence 0..100 that head (len bytes, up to 16) starts a stream of
     * this filter; may be NULL (then only names and extensions select it). */
    int (*magic)(const unsigned char *head, size_t len);
} brine_filter_ops;

/* A decoder reads one value (or, with a format's sequence option, a list of
 * values) from src and pushes its events into sink. It returns BRINE_OK or
 * the first error; when the sink fails it returns the sink's status at once
 * (the sink has filled err). It must not recurse on the input's nesting:
 * keep an explicit stack (the sink fails with BRINE_E_DEPTH before that
 * stack grows past the limit). It reports syntax errors with their offset. */
typedef int (*brine_decode_fn)(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err);

/* Creates an encoder writing to out, or returns NULL and fills err. Its
 * flags say whether it stores references (BRINE_SINK_REFS), which usually
 * depends on an option. */
typedef brine_sink *(*brine_encoder_new_fn)(brine_output *out, const brine_options *opts, brine_error *err);

/* An audit hook (the first field added into `reserved`, see docs/abi.md):
 * lists what loading src's value in its home language would import and
 * call (<brine/pickle.h>). It sets *report to one block allocated with
 * brine_malloc (the struct, its entries and their strings, freed with one
 * brine_free), also when decoding fails part way (then report->status and
 * report->error say why, and the same error is returned); *report NULL only
 * when out of memory. */
struct brine_audit_report;
typedef int (*brine_audit_fn)(brine_source *src, const brine_options *opts, struct brine_audit_report **report,
                              brine_error *err);

/* Encoding a graph (the second field added into `reserved`): brine_encode,
 * and a transcode that goes through a graph, call it instead of walking v
 * into encoder_new's sink, so that the encoder may look at the whole value
 * first (brine_value_kinds, say) and then walk it (brine_walk_options with
 * opts, which carries the limits). It writes to out and leaves the flush to
 * its caller; errors as encoder_new's sink reports them. A transcode from a
 * decoder that may send references goes through a graph to reach this
 * hook, unless the format stores references always (BRINE_CAP_REFS): such
 * an encoder takes shared nodes as they come, and streams. */
typedef int (*brine_encode_value_fn)(const brine_value *v, brine_output *out, const brine_options *opts,
                                     brine_error *err);

/* Decoding straight into a graph (#23; the third field added into
 * `reserved`, after #22's filter): brine_decode calls it instead of decode,
 * with the builder of the document being made (see "The direct builder"
 * below); a transcode, and any other caller of decode, still gets events.
 * Both paths must build the same graph or fail with the same error (code,
 * offset): a plugin that sets it keeps decode as well. */
typedef struct brine_direct brine_direct;
typedef int (*brine_decode_direct_fn)(brine_source *src, brine_direct *b, const brine_options *opts,
                                      brine_error *err);

typedef struct brine_plugin {
    uint32_t abi;                      /* BRINE_PLUGIN_ABI */
    uint32_t size;                     /* sizeof(brine_plugin) as the plugin was built */
    const char *name;                  /* "json": lowercase letters, digits, - and _ */
    const char *description;           /* one line */
    const char *version;               /* the plugin's own version */
    const char *const *extensions;     /* NULL-terminated, without the dot */
    const char *mime_type;             /* "application/json" */
    uint32_t caps;                     /* BRINE_CAP_* */
    uint32_t depth_ceiling;            /* deepest nesting the format's library can take, 0 for none */
    const brine_option_spec *options;  /* ends with a {NULL} entry; may be NULL */
    int (*sniff)(const unsigned char *head, size_t len); /* confidence 0..100; may be NULL */
    brine_decode_fn decode;
    brine_encoder_new_fn encoder_new;
    /* Fields added after 0.1, in the room of reserved (zero: not provided). */
    brine_audit_fn audit;               /* #19: may be NULL */
    brine_encode_value_fn encode_value; /* #17: may be NULL */
    const brine_filter_ops *filter;     /* #22: set with BRINE_CAP_FILTER, else NULL */
    brine_decode_direct_fn decode_direct; /* #23: may be NULL */
    void *reserved[4];                  /* zero */
} brine_plugin;

typedef const brine_plugin *(*brine_plugin_entry_fn)(void);

/* Defines the entry point of a plugin. MODULE is the libtool module name
 * (the file name without extension), so that static builds can preload it. */
#define BRINE_PLUGIN_DEFINE(MODULE, DESCRIPTOR) BRINE_PLUGIN_DEFINE_(MODULE, DESCRIPTOR)
#define BRINE_PLUGIN_DEFINE_(MODULE, DESCRIPTOR)                                                 \
    BRINE_API const brine_plugin *MODULE##_LTX_brine_plugin_entry(void);                        \
    BRINE_API const brine_plugin *MODULE##_LTX_brine_plugin_entry(void)                         \
    {                                                                                          \
        return &(DESCRIPTOR);                                                                  \
    }

/* ------------------------------------------------------------------------
 * The graph ends of the event stream.
 * ------------------------------------------------------------------------ */

/* Walks v depth-first in order and sends its events to sink, then calls
 * sink->finish. With BRINE_SINK_REFS in sink->flags, containers reached more
 * than once are anchored at their first visit and sent as REF afterwards
 * (found by a counting pass first, so only shared nodes get an anchor); ids
 * are 1, 2, 3... in order of first visit, so output is deterministic.
 * Without it, shared containers are sent again and a cycle fails with
 * BRINE_E_CYCLE naming the path. With BRINE_SINK_SCALAR_REFS too, strs,
 * bytes and big ints of 16 bytes or more whose data two or more slots share
 * are anchored and sent as REF likewise (found by a pass that runs only
 * when the document may share data between slots: see brine.h, VALUES AND
 * HANDLES). Nesting deeper than max_depth (0: v's document's limit) fails
 * with BRINE_E_DEPTH, and sending more than the default expansion limit
 * (see brine_options) with BRINE_E_RANGE. The walker does not destroy the
 * sink. */
BRINE_API int brine_walk(const brine_value *v, brine_sink *sink, size_t max_depth, brine_error *err);

/* brine_walk with the depth limit (0: v's document's) and the expansion
 * limit of opts (NULL: the defaults). Past the expansion limit the walk
 * stops with BRINE_E_RANGE, naming the limit, with the path of the value
 * where it stopped (brine_walk applies the default limit). */
BRINE_API int brine_walk_options(const brine_value *v, brine_sink *sink, const brine_options *opts,
                                 brine_error *err);

/* A sink that builds the events' value into doc (flags BRINE_SINK_REFS |
 * BRINE_SINK_SCALAR_REFS: a REF to an anchored str, bytes or big int stores
 * the same data in one more slot, at the cost of the slot). Refs to unknown anchors
 * fail with BRINE_E_REF, nesting deeper than max_depth (0: doc's limit)
 * with BRINE_E_DEPTH, malformed streams (END without begin, a model whose
 * args are not a tuple, an unhashable key) with BRINE_E_INVALID or
 * BRINE_E_KEY, each with the path of the value being built. */
BRINE_API brine_sink *brine_builder_new(brine_doc *doc, size_t max_depth, brine_error *err);

/* The value built, once the builder has seen a complete value; else NULL.
 * Valid as long as doc. */
BRINE_API brine_value *brine_builder_value(brine_sink *builder);

/* ------------------------------------------------------------------------
 * The direct builder (#23). A decoder's decode_direct builds the graph by
 * calling the builder itself, one call per value, instead of filling a
 * brine_event for each and calling a sink through a pointer. Each call is
 * the event of the same kind with the same meaning, checks and errors:
 * core still owns the depth limit, anchors and references, Python's dict
 * rules (unhashable keys refused, a repeated key folded into its first
 * position with its last value), the UTF-8 check of every str, and the
 * error's code, message and path; the decoder adds the offset, with
 * brine_error_merge_sink on brine_direct_sink(b), as for a sink. A
 * container opened with a known count gets its node at that size (up to a
 * bound: a count is a promise), and its children are written straight into
 * their slots. Every kind without a call of its own (a model, a big int, a
 * complex number, an array, a REF, an anchored str) goes through
 * brine_direct_event, or the sink itself: the same builder.
 *
 * Each call returns BRINE_OK or a status, with the error in the err that
 * brine_decode was given; after a failure the decoder returns that status
 * at once. The calls take no anchors except brine_direct_open's.
 * ------------------------------------------------------------------------ */

BRINE_API int brine_direct_null(brine_direct *b);
BRINE_API int brine_direct_bool(brine_direct *b, int v);
BRINE_API int brine_direct_int(brine_direct *b, int64_t v);
BRINE_API int brine_direct_uint(brine_direct *b, uint64_t v);
BRINE_API int brine_direct_float(brine_direct *b, double v);

/* A str (len bytes of UTF-8, checked here) or bytes, copied. */
BRINE_API int brine_direct_str(brine_direct *b, const char *s, size_t len);
BRINE_API int brine_direct_bytes(brine_direct *b, const void *p, size_t len);

/* Opens a BRINE_EV_LIST, BRINE_EV_TUPLE or BRINE_EV_DICT of count elements
 * (a dict: count entries, each a key call then a value call), or
 * BRINE_COUNT_UNKNOWN; anchor as a begin event's. brine_direct_close ends
 * the innermost open container (BRINE_EV_END); a count not met is
 * BRINE_E_PLUGIN, as for events. */
BRINE_API int brine_direct_open(brine_direct *b, brine_event_kind kind, size_t count, uint64_t anchor);
BRINE_API int brine_direct_close(brine_direct *b);

/* Any event (the builder's sink event). */
BRINE_API int brine_direct_event(brine_direct *b, const brine_event *ev);

/* The builder as a sink (for brine_error_merge_sink, or for code shared
 * with the event path); valid while the decode runs. */
BRINE_API brine_sink *brine_direct_sink(brine_direct *b);

/* For a decoder whose format changes containers after they are referenced
 * (pickle's memo and its APPENDS, SETITEMS and BUILD on values already
 * stored): brine_direct_doc is the document being built, where it makes
 * its values with the value API (<brine/brine.h>) instead of the calls
 * above, and brine_direct_root makes v, a value of that document, the
 * decoded value. Core then does what the walk of a finished graph into
 * the builder does: it refuses nesting deeper than the limit (BRINE_E_DEPTH,
 * "... while decoding", the path of the container met too deep, in the
 * walk's order: references can join containers into a chain deeper than
 * any one step made), gives every container v reaches its exact link count
 * (values the decoder made and dropped keep no link to what they held)
 * and sets the document's kinds bits to those of what v reaches. What the
 * decoder dropped stays in the document's memory until it is freed. No
 * other call may build a value before or after it; after a failure the
 * decoder returns at once, and the document is freed. */
BRINE_API brine_doc *brine_direct_doc(brine_direct *b);
BRINE_API int brine_direct_root(brine_direct *b, const brine_value *v);

/* For such a decoder: room for count items (a dict: entries) in v, an
 * empty list, tuple or dict of the document being built, before items of
 * a known number go in (pickle's APPENDS and SETITEMS): the value API
 * grows by doubling, from 4, and a decoded document keeps the slack. No-op
 * for a container that has items already (later batches grow by doubling)
 * or room enough; BRINE_E_PLUGIN for a value that is not such a container. */
BRINE_API int brine_direct_reserve(brine_direct *b, brine_value *v, size_t count);

#ifdef __cplusplus
}
#endif
#endif /* BRINE_PLUGIN_H */
