/* codec.c: decoding, encoding and transcoding with a format plugin. Decoding
 * is plugin decoder -> builder; encoding is walker -> plugin encoder; a
 * transcode streams decoder -> checker -> encoder when no shared node can
 * arrive that the encoder would have to expand, and goes through a graph
 * otherwise. The checker gives streamed events the builder's guarantees:
 * the depth limit, anchors before references, one complete value. */
#include <string.h>

#include "internal.h"
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

/* The descriptor's encode_value, if fmt is large enough to hold the field
 * and sets it: a 0.1 plugin has zeros there (docs/abi.md, rule 3). */
static brine_encode_value_fn encode_value_hook(const brine_plugin *fmt)
{
    if (fmt->size < offsetof(brine_plugin, encode_value) + sizeof fmt->encode_value)
        return NULL;
    return fmt->encode_value;
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
    brine_encode_value_fn direct = encode_value_hook(fmt);
    if (direct) {
        rc = direct(v, out, opts, err);
    } else {
        brine_sink *sink = fmt->encoder_new(out, opts, err);
        if (!sink)
            return err && err->code ? err->code : BRINE_E_PLUGIN;
        rc = brine_walk_options(v, sink, opts, err);
        sink->destroy(sink);
    }
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
_Static_assert(BRINE_EV_MODEL < 16, "a begin event's kind fits the low 4 bits of an anchor entry");

typedef struct checker {
    brine_sink sink;
    brine_sink *next; /* the encoder */
    size_t max_depth;
    brinep_stack stack;
    /* Anchor ids -> (the id given to the encoder << 4) | the event kind.
     * The encoder gets ids 1, 2, 3... in order of definition, as from the
     * walker: an input's ids are labels it chooses, and an encoder's own
     * table of them (native's, pickle's, a third-party plugin's, often
     * with a fixed hash) must not get ids chosen to collide. */
    brinep_map anchors;
    uint64_t anchors_given;
    char *keys; /* the str keys along the path */
    size_t keys_len, keys_cap;
    int complete;
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

static int checker_event(brine_sink *sink, const brine_event *ev)
{
    checker *c = (checker *)sink;
    if (c->complete)
        return checker_fail(c, BRINE_E_INVALID, "the event stream holds more than one value");
    check_frame *top = brinep_stack_top(&c->stack);
    brine_event renamed; /* ev with the encoder's anchor id */
    int rc;
    if (top && top->kind == BRINE_EV_DICT && top->children % 2 == 0 && ev->kind != BRINE_EV_END &&
        (rc = checker_key(c, top, ev)))
        return rc;
    switch (ev->kind) {
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE:
    case BRINE_EV_DICT:
    case BRINE_EV_MODEL: {
        int in_key = checker_in_key(c);
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
            *kind = ++c->anchors_given << 4 | (uint64_t)ev->kind;
            renamed = *ev;
            renamed.anchor = c->anchors_given;
            ev = &renamed;
        }
        check_frame *f = brinep_stack_push(&c->stack);
        if (!f)
            return brinep_nomem(sink->err);
        memset(f, 0, sizeof *f);
        f->kind = ev->kind;
        f->in_key = in_key;
        f->key_pos = c->keys_len;
        break;
    }
    case BRINE_EV_END:
        if (!c->stack.count)
            return checker_fail(c, BRINE_E_INVALID, "an END event closes nothing");
        c->keys_len = ((check_frame *)brinep_stack_top(&c->stack))->key_pos;
        brinep_stack_pop(&c->stack);
        break;
    case BRINE_EV_REF: {
        uint64_t *kind = ev->v.ref ? brinep_map_find(&c->anchors, ev->v.ref) : NULL;
        if (!kind)
            return checker_fail(c, BRINE_E_REF, "a reference names an anchor that does not exist");
        /* A scalar anchor (kind STR, BYTES or BIGINT) names no container. */
        if (is_begin((brine_event_kind)(*kind & 15)) && (*kind & 15) != BRINE_EV_TUPLE && checker_in_key(c))
            return checker_unhashable(c, (brine_event_kind)(*kind & 15));
        renamed = *ev;
        renamed.v.ref = *kind >> 4;
        ev = &renamed;
        break;
    }
    case BRINE_EV_STR:
    case BRINE_EV_BYTES:
    case BRINE_EV_BIGINT:
        if (ev->anchor) { /* a shared scalar (BRINE_SINK_SCALAR_REFS), which REFs may name */
            int added;
            if (!(sink->flags & BRINE_SINK_SCALAR_REFS))
                return checker_fail(c, BRINE_E_REF, "an anchor on a scalar, which the encoder does not take");
            uint64_t *kind = brinep_map_upsert(&c->anchors, ev->anchor, &added);
            if (!kind)
                return brinep_nomem(sink->err);
            if (!added)
                return checker_fail(c, BRINE_E_REF, "an anchor id is defined twice");
            /* One id space with containers, renumbered alike. */
            *kind = ++c->anchors_given << 4 | (uint64_t)ev->kind;
            renamed = *ev;
            renamed.anchor = c->anchors_given;
            ev = &renamed;
        }
        break;
    default: break;
    }
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
    c.max_depth = decode_depth(from, from_opts);
    brinep_stack_init(&c.stack, sizeof(check_frame));
    brinep_map_init(&c.anchors);
    int rc = from->decode(src, &c.sink, from_opts, err);
    if (rc == BRINE_OK)
        rc = checker_finish(&c.sink);
    brinep_stack_destroy(&c.stack);
    brinep_map_destroy(&c.anchors);
    brine_free(c.keys);
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
        /* The encoder's depth and expansion limits (the document has the
         * decoder's depth limit). */
        brine_options walk_opts = {0};
        if (to_opts)
            walk_opts = *to_opts;
        walk_opts.max_depth = brine_options_max_depth(to_opts);
        brine_doc *doc = brine_decode(from, src, from_opts, err);
        brine_encode_value_fn direct = encode_value_hook(to);
        if (!doc) {
            rc = err && err->code ? err->code : BRINE_E_INVALID;
        } else if (direct) {           /* as brine_encode: the encoder sees the graph first */
            encoder->destroy(encoder); /* unused, and it may keep out's position until destroyed */
            encoder = NULL;
            rc = direct(brine_doc_root(doc), out, &walk_opts, err);
        } else {
            rc = brine_walk_options(brine_doc_root(doc), encoder, &walk_opts, err);
        }
        brine_doc_free(doc);
    }
    if (encoder)
        encoder->destroy(encoder);
    if (rc == BRINE_OK)
        rc = brine_output_flush(out, err);
    if (rc != BRINE_OK && err && err->code == BRINE_OK)
        brine_error_set(err, rc, "converting from %s to %s failed: %s", from->name, to->name, brine_strerror(rc));
    return rc;
}
