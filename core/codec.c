/* codec.c: decoding, encoding and transcoding with a format plugin. Decoding
 * is plugin decoder -> builder; encoding is walker -> plugin encoder; a
 * transcode streams decoder -> checker -> encoder when no shared node can
 * arrive that the encoder would have to expand, and goes through a graph
 * otherwise. The checker gives streamed events the builder's guarantees:
 * the depth limit, anchors before references, one complete value, the
 * event contract (events.h), and no repeated dict key (which a graph would
 * fold and a streamed encoder would write twice: see checker_dup). */
#include <string.h>
#include <sys/random.h>
#include <xxhash.h>

#include "internal.h"
#include "events.h"
#include "brine/format.h"

/* The depth limit for decoding with fmt: the caller's, capped by the
 * ceiling of the format's library. */
static size_t decode_depth(const brine_plugin *fmt, const brine_options *opts)
{
    size_t depth = brine_options_max_depth(opts);
    return fmt->depth_ceiling && depth > fmt->depth_ceiling ? fmt->depth_ceiling : depth;
}

/* Rewrites a depth error caused by the library's ceiling so it names it. */
static void name_ceiling(const brine_plugin *fmt, const brine_options *opts, brine_error *err)
{
    if (err && err->code == BRINE_E_DEPTH && fmt->depth_ceiling && brine_options_max_depth(opts) > fmt->depth_ceiling)
        snprintf(err->message, sizeof err->message,
                 "maximum recursion depth exceeded while decoding: the %s format's library parses at most %u levels",
                 fmt->name, (unsigned)fmt->depth_ceiling);
}

static void locate(brine_source *src, brine_error *err)
{
    if (err && err->code != BRINE_OK && err->offset == BRINE_NO_OFFSET)
        err->offset = brine_source_offset(src);
}

static int check_plugin(const brine_plugin *fmt, int for_encode, brine_error *err)
{
    if (!fmt)
        return brine_error_set(err, BRINE_E_INVALID, "no format given");
    if (for_encode ? !fmt->encoder_new : !fmt->decode)
        return brine_error_set(err, BRINE_E_UNSUPPORTED, "the %s format cannot %s", fmt->name,
                               for_encode ? "encode" : "decode");
    return BRINE_OK;
}

brine_doc *brine_decode(const brine_plugin *fmt, brine_source *src, const brine_options *opts, brine_error *err)
{
    brine_error_clear(err); /* an operation: err reports this call only */
    if (!src) {
        brine_error_set(err, BRINE_E_INVALID, "no input given");
        return NULL;
    }
    if (check_plugin(fmt, 0, err) || brine_options_check(fmt, opts, 0, err))
        return NULL;
    brine_doc *doc = brine_doc_new();
    if (!doc) {
        brinep_nomem(err);
        return NULL;
    }
    brine_doc_set_max_depth(doc, brine_options_max_depth(opts));
    brine_sink *sink = brine_builder_new(doc, decode_depth(fmt, opts), err);
    if (sink)
        brinep_builder_producer(sink, fmt->name);
    int rc = sink ? fmt->decode(src, sink, opts, err) : BRINE_E_NOMEM;
    if (rc == BRINE_OK)
        rc = sink->finish(sink);
    if (rc == BRINE_OK)
        rc = brine_doc_set_root(doc, brine_builder_value(sink), err);
    if (sink)
        sink->destroy(sink);
    if (rc != BRINE_OK) {
        if (err && err->code == BRINE_OK) /* a plugin that failed without saying why */
            brine_error_set(err, rc, "the %s decoder failed: %s", fmt->name, brine_strerror(rc));
        locate(src, err);
        name_ceiling(fmt, opts, err);
        brine_doc_free(doc);
        return NULL;
    }
    return doc;
}

brine_doc *brine_decode_buffer(const brine_plugin *fmt, const void *data, size_t len, const brine_options *opts,
                               brine_error *err)
{
    brine_source src;
    brine_source_init_buffer(&src, data, len);
    return brine_decode(fmt, &src, opts, err);
}

int brine_encode(const brine_plugin *fmt, const brine_value *v, brine_output *out, const brine_options *opts,
                 brine_error *err)
{
    brine_error_clear(err); /* an operation: err reports this call only */
    if (!v || !out)
        return brine_error_set(err, BRINE_E_INVALID, "brine_encode needs a value and an output");
    int rc = check_plugin(fmt, 1, err);
    if (rc || (rc = brine_options_check(fmt, opts, 1, err)))
        return rc;
    brine_sink *sink = fmt->encoder_new(out, opts, err);
    if (!sink)
        return err && err->code ? err->code : BRINE_E_PLUGIN;
    rc = brine_walk(v, sink, opts && opts->max_depth ? opts->max_depth : 0, err);
    sink->destroy(sink);
    if (rc == BRINE_OK)
        rc = brine_output_flush(out, err);
    if (rc != BRINE_OK && err && err->code == BRINE_OK)
        brine_error_set(err, rc, "the %s encoder failed: %s", fmt->name, brine_strerror(rc));
    return rc;
}

int brine_encode_buffer(const brine_plugin *fmt, const brine_value *v, const brine_options *opts, void **data,
                        size_t *len, brine_error *err)
{
    brine_error_clear(err); /* an operation: err reports this call only */
    brine_output out;
    if (!data)
        return brine_error_set(err, BRINE_E_INVALID, "brine_encode_buffer needs somewhere to put the bytes");
    *data = NULL;
    int rc = brine_output_init_buffer(&out, err);
    if (rc == BRINE_OK)
        rc = brine_encode(fmt, v, &out, opts, err);
    if (rc == BRINE_OK && !(*data = brine_output_take(&out, len)))
        rc = brinep_nomem(err);
    brine_output_destroy(&out);
    return rc;
}

int brine_decoder_refs(const brine_plugin *fmt, const brine_options *opts)
{
    if (fmt->caps & BRINE_CAP_REFS)
        return 1;
    return (fmt->caps & BRINE_CAP_REFS_OPTION) && brine_options_flag(opts, "refs");
}

/* ---- the streaming checker ---------------------------------------------- */

typedef struct check_frame {
    brine_event_kind kind;
    size_t children;
    size_t expect; /* children the begin event promised (dict: 2 per entry), or SIZE_MAX */
    /* Dicts: its keys' records are dup_recs[rec_base..], their bytes
     * dup_bytes[bytes_base..]; past DUP_LINEAR keys they are also indexed
     * in dup_maps[level] (level: open dicts outside this one). */
    size_t rec_base, bytes_base, level;
    int indexed;
    int in_key; /* this container is (inside) a dict key: only tuples may nest */
    /* Dicts: the current entry's key, for error paths (the decoder's bytes
     * are gone by the time its value fails): a str key's copy at key_pos in
     * the checker's keys, another scalar in key_scalar, or none (kind 0:
     * a container, a big int, bytes or a long str, shown as [...]). */
    brine_event_kind key_kind;
    size_t key_pos, key_len;
    brine_value key_scalar;
} check_frame;

#define CHECK_KEY_COPY 256 /* longer str keys show as [...] in a path */

/* A key of an open dict: dup_bytes[pos, pos + len) in the form of
 * dup_append; hash set once the dict is indexed. */
typedef struct dup_rec {
    size_t pos, len;
    uint64_t hash;
} dup_rec;

/* Keys a dict compares one by one before it gets a hash index. */
#define DUP_LINEAR 8

typedef struct checker {
    brine_sink sink;
    brine_sink *next; /* the encoder */
    const char *from; /* the decoder's format, for errors */
    size_t max_depth;
    brinep_stack stack;
    brinep_map anchors;
    char *keys; /* the str keys along the path */
    size_t keys_len, keys_cap;
    int complete;
    /* The keys of every open dict, for checker_dup. */
    unsigned char *dup_bytes;
    size_t dup_len, dup_cap;
    size_t dup_key;        /* where the key being read starts in dup_bytes (a tuple key spans events) */
    brinep_stack dup_recs; /* dup_rec */
    brinep_stack dup_maps; /* brinep_map per dict level: key hash -> record index + 1 */
    size_t dicts;          /* open dicts */
    uint64_t seed;         /* of the key hashes, random per conversion */
} checker;

static void checker_path(checker *c, char *path, size_t cap)
{
    snprintf(path, cap, "$");
    for (size_t i = 0; i < c->stack.count; i++) {
        check_frame *f = brinep_stack_at(&c->stack, i);
        if (f->kind == BRINE_EV_DICT) {
            if (f->key_kind == BRINE_EV_STR)
                brinep_path_str_key(path, cap, f->key_len ? c->keys + f->key_pos : "", f->key_len);
            else if (f->key_kind)
                brinep_path_key(path, cap, &f->key_scalar);
            else
                brinep_path_unnamed(path, cap); /* a key it does not keep: [...] */
        } else if (f->kind == BRINE_EV_MODEL) {
            size_t used = strlen(path);
            snprintf(path + used, cap - used, "%s", f->children == 0 ? ".args" : ".state");
        } else
            brinep_path_index(path, cap, f->children);
    }
}

static int checker_fail(checker *c, int code, const char *what)
{
    brine_error *err = c->sink.err;
    brine_error_set(err, code, "%s", what);
    if (err && err->path[0] == '\0')
        checker_path(c, err->path, sizeof err->path);
    return code;
}

/* The decoder broke the event contract (events.h). */
static BRINEP_NOINLINE int checker_fault(checker *c, const char *what)
{
    brinep_fault_error(c->sink.err, c->from, what);
    return checker_fail(c, BRINE_E_PLUGIN, "");
}

/* Remembers the key event ev of dict f, the top frame. */
static int checker_key(checker *c, check_frame *f, const brine_event *ev)
{
    brine_value *k = &f->key_scalar;
    f->key_kind = ev->kind;
    c->keys_len = f->key_pos;
    switch (ev->kind) {
    case BRINE_EV_STR:
        if (ev->v.s.len > CHECK_KEY_COPY) {
            f->key_kind = 0;
            break;
        }
        if (ev->v.s.len > c->keys_cap - c->keys_len) {
            size_t cap = c->keys_cap ? 2 * c->keys_cap : 256;
            while (cap - c->keys_len < ev->v.s.len)
                cap *= 2;
            char *keys = brine_realloc(c->keys, cap);
            if (!keys)
                return brinep_nomem(c->sink.err);
            c->keys = keys;
            c->keys_cap = cap;
        }
        if (ev->v.s.len)
            memcpy(c->keys + c->keys_len, ev->v.s.ptr, ev->v.s.len);
        f->key_len = ev->v.s.len;
        c->keys_len += ev->v.s.len;
        break;
    case BRINE_EV_NULL: k->head = BRINEP_HEAD(BRINE_NULL, 0); break;
    case BRINE_EV_BOOL:
        k->head = BRINEP_HEAD(BRINE_BOOL, 0);
        k->as.b = ev->v.boolean != 0;
        break;
    case BRINE_EV_INT:
        k->head = BRINEP_HEAD(BRINE_INT, BRINEP_INT_I64);
        k->as.i = ev->v.i;
        break;
    case BRINE_EV_UINT:
        k->head = BRINEP_HEAD(BRINE_INT, ev->v.u > INT64_MAX ? BRINEP_INT_U64 : BRINEP_INT_I64);
        k->as.u = ev->v.u;
        break;
    case BRINE_EV_FLOAT:
        k->head = BRINEP_HEAD(BRINE_FLOAT, 0);
        k->as.f = ev->v.f;
        break;
    default: f->key_kind = 0; break;
    }
    return BRINE_OK;
}

/* 1 if the next value is a dict key or part of one. */
static int checker_in_key(checker *c)
{
    check_frame *f = brinep_stack_top(&c->stack);
    return f && (f->in_key || (f->kind == BRINE_EV_DICT && f->children % 2 == 0));
}

/* A graph could not hold such a key; a streamed conversion must not write
 * one either, or it would produce a file brine cannot read back. */
static int checker_unhashable(checker *c, brine_event_kind kind)
{
    const char *name = kind == BRINE_EV_LIST ? "list" : kind == BRINE_EV_DICT ? "dict" : "model";
    char what[64];
    snprintf(what, sizeof what, "unhashable type: '%s'", name);
    return checker_fail(c, BRINE_E_KEY, what);
}

static int is_begin(brine_event_kind kind)
{
    return kind == BRINE_EV_LIST || kind == BRINE_EV_TUPLE || kind == BRINE_EV_DICT || kind == BRINE_EV_MODEL;
}

/* The brine type an event stands for, for messages. */
static const char *event_type_name(brine_event_kind kind)
{
    static const brine_type types[] = {
        [BRINE_EV_NULL] = BRINE_NULL,       [BRINE_EV_BOOL] = BRINE_BOOL,   [BRINE_EV_INT] = BRINE_INT,
        [BRINE_EV_UINT] = BRINE_INT,        [BRINE_EV_BIGINT] = BRINE_INT,  [BRINE_EV_FLOAT] = BRINE_FLOAT,
        [BRINE_EV_COMPLEX] = BRINE_COMPLEX, [BRINE_EV_STR] = BRINE_STR,     [BRINE_EV_BYTES] = BRINE_BYTES,
        [BRINE_EV_LIST] = BRINE_LIST,       [BRINE_EV_TUPLE] = BRINE_TUPLE, [BRINE_EV_DICT] = BRINE_DICT,
        [BRINE_EV_MODEL] = BRINE_MODEL,
    };
    return kind >= BRINE_EV_NULL && kind <= BRINE_EV_MODEL ? brine_type_name(types[kind]) : "an event";
}

/* ---- repeated dict keys --------------------------------------------------
 * A graph's dict folds a repeated key (first position, last value); a
 * streamed encoder would write it twice, and the native format forbids
 * that. Folding while streaming means holding each dict's events back until
 * its END (a whole document when the root is a dict): the graph route costs
 * twice the streamed one (make bench: json->msgpack on twitter 9.7 against
 * 4.2 ms, citm 15.3 against 8.1 ms), and the checker's memory would grow
 * with the largest dict. So the checker only detects a repeated key and
 * refuses it, naming the key and its path: its keys per open dict cost a
 * copy of each key and, past DUP_LINEAR keys, a hash, and are dropped at
 * the dict's END, so memory follows the largest open dicts' keys. */

static int dup_reserve(checker *c, size_t more)
{
    if (more <= c->dup_cap - c->dup_len)
        return BRINE_OK;
    size_t cap = c->dup_cap ? c->dup_cap : 256;
    while (cap - c->dup_len < more) {
        if (cap > SIZE_MAX / 2)
            return brinep_nomem(c->sink.err);
        cap *= 2;
    }
    unsigned char *bytes = brine_realloc(c->dup_bytes, cap);
    if (!bytes)
        return brinep_nomem(c->sink.err);
    c->dup_bytes = bytes;
    c->dup_cap = cap;
    return BRINE_OK;
}

/* Appends the part of a dict key that ev carries, in a form where two keys
 * are equal exactly when a graph's dict takes them as one (core/dict.c: by
 * type and value, an int however it was sent, floats by their bits, tuples
 * element by element): a tag byte, a length before bytes, then the value.
 * A key holding a REF compares by its anchor id. */
static int dup_append(checker *c, const brine_event *ev)
{
    unsigned char tag;
    const void *data = NULL;
    size_t n = 0;
    int counted = 0;
    uint64_t word;
    double parts[2];
    switch (ev->kind) {
    case BRINE_EV_NULL: tag = 'N'; break;
    case BRINE_EV_BOOL: tag = ev->v.boolean ? 'T' : 'F'; break;
    case BRINE_EV_INT:
    case BRINE_EV_UINT:
        /* INT and UINT of one value are one key; UINTs past INT64_MAX differ from every INT. */
        tag = ev->kind == BRINE_EV_UINT && ev->v.u > INT64_MAX ? 'u' : 'i';
        word = ev->kind == BRINE_EV_INT ? (uint64_t)ev->v.i : ev->v.u;
        data = &word;
        n = sizeof word;
        break;
    case BRINE_EV_FLOAT:
        tag = 'f';
        memcpy(&word, &ev->v.f, sizeof word);
        data = &word;
        n = sizeof word;
        break;
    case BRINE_EV_COMPLEX:
        tag = 'c';
        parts[0] = ev->v.c.re;
        parts[1] = ev->v.c.im;
        data = parts;
        n = sizeof parts;
        break;
    case BRINE_EV_BIGINT: /* minimal bytes (checked): one form per value */
    case BRINE_EV_STR:
    case BRINE_EV_BYTES:
        tag = ev->kind == BRINE_EV_BIGINT ? 'I' : ev->kind == BRINE_EV_STR ? 's' : 'b';
        data = ev->v.s.ptr;
        n = ev->v.s.len;
        counted = 1;
        break;
    case BRINE_EV_REF:
        tag = 'r';
        word = ev->v.ref;
        data = &word;
        n = sizeof word;
        break;
    case BRINE_EV_END: tag = ')'; break;
    default: tag = '('; break; /* a tuple: other containers are refused as keys */
    }
    int rc = dup_reserve(c, 1 + sizeof(size_t) + n);
    if (rc)
        return rc;
    unsigned char *p = c->dup_bytes + c->dup_len;
    *p++ = tag;
    if (counted) {
        memcpy(p, &n, sizeof n);
        p += sizeof n;
    }
    if (n)
        memcpy(p, data, n);
    c->dup_len = (size_t)(p + n - c->dup_bytes);
    return BRINE_OK;
}

static uint64_t dup_hash(checker *c, const unsigned char *key, size_t len)
{
    return XXH3_64bits_withSeed(key, len, c->seed) | 1; /* map keys are nonzero */
}

/* The hash index of dict f, from its records so far. */
static int dup_index(checker *c, check_frame *f)
{
    if (!c->seed) {
        /* Random per conversion, so colliding keys cannot be prepared. */
        if (getrandom(&c->seed, sizeof c->seed, GRND_NONBLOCK) != (ssize_t)sizeof c->seed)
            c->seed = XXH3_64bits(&c, sizeof c) ^ (uint64_t)(uintptr_t)c->dup_bytes;
        c->seed |= 1;
    }
    while (c->dup_maps.count <= f->level) {
        brinep_map *m = brinep_stack_push(&c->dup_maps);
        if (!m)
            return brinep_nomem(c->sink.err);
        brinep_map_init(m);
    }
    brinep_map *map = brinep_stack_at(&c->dup_maps, f->level);
    for (size_t i = f->rec_base; i < c->dup_recs.count; i++) {
        dup_rec *r = brinep_stack_at(&c->dup_recs, i);
        r->hash = dup_hash(c, c->dup_bytes + r->pos, r->len);
        int added;
        uint64_t *at = brinep_map_upsert(map, r->hash, &added);
        if (!at)
            return brinep_nomem(c->sink.err);
        if (added)
            *at = i + 1;
    }
    f->indexed = 1;
    return BRINE_OK;
}

static BRINEP_NOINLINE int dup_fail(checker *c)
{
    return checker_fail(c, BRINE_E_UNSUPPORTED,
                        "a dict key repeats, and a streamed conversion cannot fold it as decoding does (first "
                        "position, last value): decode to a graph, then encode it (brine_decode, brine_encode)");
}

/* The key just read (dup_bytes[dup_key..]) of dict f: refused if f has it
 * already, else recorded. */
static int dup_check(checker *c, check_frame *f)
{
    size_t len = c->dup_len - c->dup_key, count = c->dup_recs.count - f->rec_base;
    int rc;
    if (!f->indexed && count >= DUP_LINEAR && (rc = dup_index(c, f)))
        return rc;
    const unsigned char *key = c->dup_bytes + c->dup_key;
    uint64_t hash = 0;
    if (f->indexed) {
        brinep_map *map = brinep_stack_at(&c->dup_maps, f->level);
        hash = dup_hash(c, key, len);
        int added;
        uint64_t *at = brinep_map_upsert(map, hash, &added);
        if (!at)
            return brinep_nomem(c->sink.err);
        if (added) {
            *at = c->dup_recs.count + 1;
        } else {
            /* Equal hashes: the key itself decides (any record, if two
             * keys ever share a hash). */
            for (size_t i = f->rec_base; i < c->dup_recs.count; i++) {
                dup_rec *r = brinep_stack_at(&c->dup_recs, i);
                if (r->hash == hash && r->len == len && memcmp(c->dup_bytes + r->pos, key, len) == 0)
                    return dup_fail(c);
            }
        }
    } else {
        for (size_t i = f->rec_base; i < c->dup_recs.count; i++) {
            dup_rec *r = brinep_stack_at(&c->dup_recs, i);
            if (r->len == len && memcmp(c->dup_bytes + r->pos, key, len) == 0)
                return dup_fail(c);
        }
    }
    dup_rec *r = brinep_stack_push(&c->dup_recs);
    if (!r)
        return brinep_nomem(c->sink.err);
    r->pos = c->dup_key;
    r->len = len;
    r->hash = hash;
    return BRINE_OK;
}

/* Dict f ends: its keys go. */
static void dup_close(checker *c, check_frame *f)
{
    if (f->indexed) {
        brinep_map *map = brinep_stack_at(&c->dup_maps, f->level);
        for (size_t i = f->rec_base; i < c->dup_recs.count; i++)
            brinep_map_remove(map, ((dup_rec *)brinep_stack_at(&c->dup_recs, i))->hash);
    }
    c->dup_recs.count = f->rec_base;
    c->dup_len = f->bytes_base;
    c->dicts--;
}

/* ---- the checker's event -------------------------------------------------- */

/* Frame f's begin event promised fewer children than it got, or more than
 * its END leaves it with: an encoder may have written the count already. */
static BRINEP_NOINLINE int count_fault(checker *c, const check_frame *f)
{
    char what[BRINEP_FAULT_TEXT];
    size_t per = f->kind == BRINE_EV_DICT ? 2 : 1;
    int more = f->children >= f->expect;
    snprintf(what, sizeof what, "a %s whose begin event announced %zu %s, and %s came", event_type_name(f->kind),
             f->expect / per, per == 2 ? "entries" : "elements", more ? "more" : "fewer");
    return checker_fault(c, what);
}

/* A model's first child must be a tuple (data can say otherwise: a
 * reference to a list, so this is the builder's BRINE_E_CORRUPT). */
static int model_args(checker *c, brine_event_kind kind)
{
    char what[64];
    snprintf(what, sizeof what, "a model's args must be a tuple, not %s", event_type_name(kind));
    return checker_fail(c, BRINE_E_CORRUPT, what);
}

static int checker_begin(checker *c, const brine_event *ev, int in_key)
{
    brine_sink *sink = &c->sink;
    if (in_key && ev->kind != BRINE_EV_TUPLE)
        return checker_unhashable(c, ev->kind);
    if (c->stack.count >= c->max_depth) {
        brinep_depth_error(sink->err, c->max_depth, "decoding");
        return checker_fail(c, BRINE_E_DEPTH, "");
    }
    if (ev->anchor) {
        int added;
        uint64_t *kind = brinep_map_upsert(&c->anchors, ev->anchor, &added);
        if (!kind)
            return brinep_nomem(sink->err);
        if (!added)
            return checker_fail(c, BRINE_E_REF, "an anchor id is defined twice");
        *kind = (uint64_t)ev->kind;
    }
    check_frame *f = brinep_stack_push(&c->stack);
    if (!f)
        return brinep_nomem(sink->err);
    memset(f, 0, sizeof *f);
    f->kind = ev->kind;
    f->in_key = in_key;
    f->key_pos = c->keys_len;
    f->expect = ev->kind == BRINE_EV_MODEL           ? 2
                : ev->v.count == BRINE_COUNT_UNKNOWN ? SIZE_MAX
                : ev->kind != BRINE_EV_DICT          ? ev->v.count
                : ev->v.count < SIZE_MAX / 2         ? 2 * ev->v.count
                                                     : SIZE_MAX - 1; /* more entries than memory: never met */
    if (ev->kind == BRINE_EV_DICT) {
        f->rec_base = c->dup_recs.count;
        f->bytes_base = c->dup_len;
        f->level = c->dicts++;
    }
    return BRINE_OK;
}

static int checker_end(checker *c)
{
    check_frame *f = brinep_stack_top(&c->stack);
    if (!f)
        return checker_fault(c, "an END event that closes nothing");
    if (f->kind == BRINE_EV_DICT && f->children % 2)
        return checker_fault(c, "a dict key without a value");
    if (f->kind == BRINE_EV_MODEL && f->children != 2)
        return checker_fault(c, "a model without its args and its state");
    if (f->expect != SIZE_MAX && f->children != f->expect)
        return count_fault(c, f);
    if (f->kind == BRINE_EV_DICT)
        dup_close(c, f);
    c->keys_len = f->key_pos;
    brinep_stack_pop(&c->stack);
    return BRINE_OK;
}

static int checker_event(brine_sink *sink, const brine_event *ev)
{
    checker *c = (checker *)sink;
    char what[BRINEP_FAULT_TEXT];
    int rc;
    if (c->complete)
        return checker_fault(c, "a second value after a complete one");
    if (brinep_event_fault(ev, what, sizeof what))
        return checker_fault(c, what);
    check_frame *top = brinep_stack_top(&c->stack);
    int key = 0; /* ev is a whole key (1), or ends a tuple key (2) */
    if (top && ev->kind != BRINE_EV_END) {
        if (top->children >= top->expect)
            return count_fault(c, top);
        if (top->kind == BRINE_EV_DICT && top->children % 2 == 0) {
            if ((rc = checker_key(c, top, ev)))
                return rc;
            c->dup_key = c->dup_len;
            key = !is_begin(ev->kind);
        }
        if (top->kind == BRINE_EV_MODEL && top->children == 0 && ev->kind != BRINE_EV_TUPLE && ev->kind != BRINE_EV_REF)
            return model_args(c, ev->kind);
    }
    if ((ev->kind == BRINE_EV_END ? top && top->in_key : checker_in_key(c)) && (rc = dup_append(c, ev)))
        return rc;
    switch (ev->kind) {
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE:
    case BRINE_EV_DICT:
    case BRINE_EV_MODEL:
        if ((rc = checker_begin(c, ev, checker_in_key(c))))
            return rc;
        break;
    case BRINE_EV_END: {
        int in_key = top && top->in_key;
        if ((rc = checker_end(c)))
            return rc;
        top = brinep_stack_top(&c->stack);
        if (in_key && top->kind == BRINE_EV_DICT)
            key = 2; /* the tuple closed was the key itself */
        break;
    }
    case BRINE_EV_REF: {
        uint64_t *kind = ev->v.ref ? brinep_map_find(&c->anchors, ev->v.ref) : NULL;
        if (!kind)
            return checker_fail(c, BRINE_E_REF, "a reference names an anchor that does not exist");
        if (*kind != BRINE_EV_TUPLE && checker_in_key(c))
            return checker_unhashable(c, (brine_event_kind)*kind);
        if (*kind != BRINE_EV_TUPLE && top && top->kind == BRINE_EV_MODEL && top->children == 0)
            return model_args(c, (brine_event_kind)*kind);
        break;
    }
    default: break;
    }
    if (key && (rc = dup_check(c, brinep_stack_top(&c->stack))))
        return rc;
    if ((rc = c->next->event(c->next, ev)) != BRINE_OK) {
        /* The encoder's error gets the path of the value whose event failed
         * (a container's own, like the walker's). */
        brine_error *err = sink->err;
        if (is_begin(ev->kind))
            brinep_stack_pop(&c->stack);
        if (err && err->code != BRINE_OK && err->path[0] == '\0')
            checker_path(c, err->path, sizeof err->path);
        return rc;
    }
    if (!is_begin(ev->kind)) {
        check_frame *parent = brinep_stack_top(&c->stack);
        if (parent)
            parent->children++;
        else
            c->complete = 1;
    }
    return BRINE_OK;
}

static int checker_finish(brine_sink *sink)
{
    checker *c = (checker *)sink;
    if (!c->complete)
        return checker_fail(c, BRINE_E_TRUNCATED, "the input ended before the value was complete");
    return c->next->finish ? c->next->finish(c->next) : BRINE_OK;
}

static int transcode_stream(const brine_plugin *from, brine_source *src, const brine_options *from_opts,
                            brine_sink *encoder, brine_error *err)
{
    checker c;
    memset(&c, 0, sizeof c);
    c.sink.event = checker_event;
    c.sink.finish = checker_finish;
    c.sink.flags = encoder->flags;
    c.sink.err = err;
    c.next = encoder;
    c.from = from->name;
    c.max_depth = decode_depth(from, from_opts);
    brinep_stack_init(&c.stack, sizeof(check_frame));
    brinep_map_init(&c.anchors);
    brinep_stack_init(&c.dup_recs, sizeof(dup_rec));
    brinep_stack_init(&c.dup_maps, sizeof(brinep_map));
    int rc = from->decode(src, &c.sink, from_opts, err);
    if (rc == BRINE_OK)
        rc = checker_finish(&c.sink);
    brinep_stack_destroy(&c.stack);
    brinep_map_destroy(&c.anchors);
    brine_free(c.keys);
    for (size_t i = 0; i < c.dup_maps.count; i++)
        brinep_map_destroy(brinep_stack_at(&c.dup_maps, i));
    brinep_stack_destroy(&c.dup_maps);
    brinep_stack_destroy(&c.dup_recs);
    brine_free(c.dup_bytes);
    return rc;
}

int brine_transcode(const brine_plugin *from, brine_source *src, const brine_options *from_opts, const brine_plugin *to,
                    brine_output *out, const brine_options *to_opts, int *streamed, brine_error *err)
{
    brine_error_clear(err); /* an operation: err reports this call only */
    if (!src || !out)
        return brine_error_set(err, BRINE_E_INVALID, "brine_transcode needs an input and an output");
    int rc;
    if ((rc = check_plugin(from, 0, err)) || (rc = check_plugin(to, 1, err)) ||
        (rc = brine_options_check(from, from_opts, 0, err)) || (rc = brine_options_check(to, to_opts, 1, err)))
        return rc;
    brine_sink *encoder = to->encoder_new(out, to_opts, err);
    if (!encoder)
        return err && err->code ? err->code : BRINE_E_PLUGIN;
    int stream = !brine_decoder_refs(from, from_opts) || (encoder->flags & BRINE_SINK_REFS);
    if (streamed)
        *streamed = stream;
    if (stream) {
        rc = transcode_stream(from, src, from_opts, encoder, err);
        if (rc) {
            locate(src, err);
            name_ceiling(from, from_opts, err);
        }
    } else {
        brine_doc *doc = brine_decode(from, src, from_opts, err);
        rc = doc ? brine_walk(brine_doc_root(doc), encoder, brine_options_max_depth(to_opts), err)
                 : (err && err->code ? err->code : BRINE_E_INVALID);
        brine_doc_free(doc);
    }
    encoder->destroy(encoder);
    if (rc == BRINE_OK)
        rc = brine_output_flush(out, err);
    if (rc != BRINE_OK && err && err->code == BRINE_OK)
        brine_error_set(err, rc, "converting from %s to %s failed: %s", from->name, to->name, brine_strerror(rc));
    return rc;
}
