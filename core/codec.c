/* codec.c: decoding, encoding and transcoding with a format plugin. Decoding
 * is plugin decoder -> builder; encoding is walker -> plugin encoder; a
 * transcode streams decoder -> checker -> encoder when no shared node can
 * arrive that the encoder would have to expand, and goes through a graph
 * otherwise (and when the keys are to be sorted). The checker gives streamed
 * events the builder's guarantees: the depth limit, anchors before
 * references, one complete value, the event contract (events.h), and no
 * repeated dict key (which a graph would fold and a streamed encoder would
 * write twice: see keyset.c). */
#include <string.h>

#include "internal.h"
#include "events.h"
#include "keyset.h"
#include "dtype.h"
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

/* The descriptor's decode_direct (#23), if fmt is large enough to hold it:
 * the builder is then called directly (plugin.h, "The direct builder"). */
static brine_decode_direct_fn decode_direct_hook(const brine_plugin *fmt)
{
    if (fmt->size < offsetof(brine_plugin, decode_direct) + sizeof fmt->decode_direct)
        return NULL;
    return fmt->decode_direct;
}

/* brine_decode into a document that may borrow [lo, hi) (#23): the
 * builder then keeps str and bytes that lie there in place. */
static brine_doc *decode(const brine_plugin *fmt, brine_source *src, const brine_options *opts, const char *lo,
                         const char *hi, brine_error *err);

brine_doc *brine_decode(const brine_plugin *fmt, brine_source *src, const brine_options *opts, brine_error *err)
{
    return decode(fmt, src, opts, NULL, NULL, err);
}

static brine_doc *decode(const brine_plugin *fmt, brine_source *src, const brine_options *opts, const char *lo,
                         const char *hi, brine_error *err)
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
    doc->borrow_lo = lo;
    doc->borrow_hi = hi;
    brine_sink *sink = brine_builder_new(doc, decode_depth(fmt, opts), err);
    if (sink)
        brinep_builder_producer(sink, fmt->name);
    brine_decode_direct_fn direct = decode_direct_hook(fmt);
    int rc = !sink    ? BRINE_E_NOMEM
             : direct ? direct(src, (brine_direct *)(void *)sink, opts, err)
                      : fmt->decode(src, sink, opts, err);
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
    brinep_enter(err);
    brine_source src;
    brine_source_init_buffer(&src, data, len);
    return brine_decode(fmt, &src, opts, err);
}

brine_doc *brine_decode_buffer_borrowed(const brine_plugin *fmt, const void *data, size_t size,
                                        const brine_options *opts, brine_error *err)
{
    brinep_enter(err);
    brine_source src;
    brine_source_init_buffer(&src, data, size);
    const char *lo = data;
    return decode(fmt, &src, opts, lo, lo ? lo + size : NULL, err);
}

brine_doc *brine_decode_buffer_take(const brine_plugin *fmt, void *data, size_t size, const brine_options *opts,
                                    brine_error *err)
{
    brine_doc *doc = brine_decode_buffer_borrowed(fmt, data, size, opts, err);
    /* The buffer goes with the document: a finalizer, as adopted array
     * memory (core/array.c), run at brine_doc_free. */
    brinep_finalizer *f = doc ? brinep_alloc(doc, sizeof *f) : NULL;
    if (!f) {
        if (doc)
            brinep_nomem(err);
        brine_doc_free(doc);
        brine_free(data);
        return NULL;
    }
    f->fn = brine_free;
    f->arg = data;
    f->next = doc->finalizers;
    doc->finalizers = f;
    return doc;
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
    if (fmt->caps & (BRINE_CAP_REFS | BRINE_CAP_REFS_READ))
        return 1;
    return (fmt->caps & BRINE_CAP_REFS_OPTION) && brine_options_flag(opts, "refs");
}

/* ---- the streaming checker ---------------------------------------------- */

typedef struct check_frame {
    brine_event_kind kind;
    int in_key; /* this container is (inside) a dict key: only tuples may nest */
    size_t children;
    /* Children the begin event promised (dict: 2 per entry), or SIZE_MAX:
     * not checked per event (an encoder that writes counts verifies them,
     * docs/plugins.md), only read to name the decoder when one refuses. */
    size_t expect;
    size_t tuple;          /* an anchored tuple being recorded: its record in tuple_recs + 1, else 0 */
    brinep_keyset_dict ks; /* dicts: its keys so far */
    /* Dicts: the current entry's key, for error paths (the decoder's bytes
     * are gone by the time its value fails): a str key at key_pos in the
     * keyset, another scalar in key_scalar, or none (kind 0: a container,
     * a big int, bytes or a long str, shown as [...]). */
    brine_event_kind key_kind;
    size_t key_pos, key_len;
    brine_value key_scalar;
} check_frame;

#define CHECK_KEY_COPY 256 /* longer str keys show as [...] in a path */
_Static_assert(BRINE_EV_MODEL < 16, "a begin event's kind fits the low 4 bits of an anchor entry");

/* An anchored tuple's or scalar's content in brinep_key_encode form, for a
 * reference to it in a dict key (which then compares by value, as in a
 * graph). Scalars are anchored only for encoders that take shared scalars
 * (BRINE_SINK_SCALAR_REFS). */
typedef struct tuple_rec {
    size_t pos, len;      /* in tuples (scalars: in scalars); len SIZE_MAX while the tuple is open */
    brine_event_kind bad; /* a list, dict or model inside (unhashable), else 0 */
    int scalar;           /* a scalar's record, kept apart from the open tuples': 2 for a str (its raw bytes) */
} tuple_rec;

typedef struct checker {
    brine_sink sink;
    brine_sink *next; /* the encoder */
    const char *from; /* the decoder's format, for errors */
    size_t max_depth;
    brinep_stack stack;
    check_frame *top; /* the stack's top frame, or NULL */
    /* Anchor ids -> (the id given to the encoder << 4) | the event kind.
     * The encoder gets ids 1, 2, 3... in order of definition, as from the
     * walker: an input's ids are labels it chooses, and an encoder's own
     * table of them (native's, pickle's, a third-party plugin's, often
     * with a fixed hash) must not get ids chosen to collide. */
    brinep_map anchors;
    uint64_t anchors_given;
    brinep_map recorded; /* anchor id -> tuple_recs index + 1, for anchored tuples and scalars */
    int complete;
    brinep_keyset ks; /* the keys of every open dict */
    /* Anchored tuples: their recorded content (only while one is open,
     * which formats without references never are). */
    brinep_bytes tuples;
    brinep_bytes scalars;    /* anchored scalars' content (they may arrive inside a recorded tuple) */
    brinep_stack tuple_recs; /* tuple_rec */
    size_t recording;        /* anchored tuples open */
    size_t bad_pos;          /* where the last unhashable thing went into tuples, or SIZE_MAX */
    brine_event_kind bad_kind;
} checker;

static void checker_path(checker *c, char *path, size_t cap)
{
    snprintf(path, cap, "$");
    for (size_t i = 0; i < c->stack.count; i++) {
        check_frame *f = brinep_stack_at(&c->stack, i);
        if (f->kind == BRINE_EV_DICT) {
            if (f->key_kind == BRINE_EV_STR)
                brinep_path_str_key(path, cap, brinep_keyset_key(&c->ks, &f->ks, f->key_pos), f->key_len);
            else if (f->key_kind)
                brinep_path_key(path, cap, &f->key_scalar);
            else
                brinep_path_unnamed(path, cap); /* a key it does not keep: [...] */
        } else if (f->kind == BRINE_EV_MODEL) {
            brinep_path_name(path, cap, f->children == 0 ? "args" : "state");
        } else
            brinep_path_index(path, cap, f->children);
    }
}

static BRINEP_NOINLINE int checker_fail(checker *c, int code, const char *what)
{
    brine_error *err = c->sink.err;
    brine_error_set(err, code, "%s", what);
    if (err && err->path[0] == '\0')
        checker_path(c, err->path, sizeof err->path);
    return code;
}

static BRINEP_NOINLINE int checker_nomem(checker *c)
{
    return brinep_nomem(c->sink.err);
}

/* The decoder broke the event contract (events.h). */
static BRINEP_NOINLINE int checker_fault(checker *c, const char *what)
{
    brinep_fault_error(c->sink.err, c->from, what);
    return checker_fail(c, BRINE_E_PLUGIN, "");
}

/* The content of ev breaks the contract: its error. */
static BRINEP_NOINLINE int checker_event_fault(checker *c, const brine_event *ev)
{
    char what[BRINEP_FAULT_TEXT];
    if (brinep_event_fault(ev, what, sizeof what) == BRINE_OK)
        return BRINE_OK;
    return checker_fault(c, what);
}

/* A graph could not hold such a key; a streamed conversion must not write
 * one either, or it would produce a file brine cannot read back. */
static BRINEP_NOINLINE int checker_unhashable(checker *c, brine_event_kind kind)
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
 * refuses it, naming the key and its path (the CLI then converts a file
 * again through a graph: tools/convert.c). The keys of the open dicts are
 * kept by keyset.c, most of them as the next key of a record's shape. A key that holds a REF compares by the referenced
 * tuple's value, which the checker records for every anchored tuple (only
 * formats with references send those), so that (1, 2) sent once inline
 * and once as a reference is one key, as in a graph. */

static BRINEP_NOINLINE int dup_fail(checker *c)
{
    return checker_fail(c, BRINE_E_UNSUPPORTED,
                        "a dict key repeats, and a streamed conversion cannot fold it as decoding does (first "
                        "position, last value): decode to a graph, then encode it (brine_decode, brine_encode)");
}

/* The checker's result for a keyset call's. */
static BRINEP_NOINLINE int keyset_rc(checker *c, int rc)
{
    return rc == BRINEP_KEYSET_REPEAT ? dup_fail(c) : rc ? checker_nomem(c) : BRINE_OK;
}

/* The record of the tuple or scalar that anchor id names (its kind is
 * known to be one of those). */
static tuple_rec *recorded(checker *c, uint64_t id)
{
    uint64_t *index = brinep_map_find(&c->recorded, id);
    return brinep_stack_at(&c->tuple_recs, (size_t)*index - 1);
}

/* A tuple, or a scalar that REFs may name: its content is recorded. */
static int is_recorded_kind(uint64_t kind)
{
    return kind == BRINE_EV_TUPLE || kind == BRINE_EV_STR || kind == BRINE_EV_BYTES || kind == BRINE_EV_BIGINT;
}

/* The recorded form of the tuple or scalar that anchor id names, appended
 * to b; or the error for a key that cannot hold it. */
static int ref_content(checker *c, brinep_bytes *b, uint64_t id)
{
    const tuple_rec *t = recorded(c, id);
    if (t->bad)
        return checker_unhashable(c, t->bad);
    if (t->len == SIZE_MAX)
        return checker_fail(c, BRINE_E_KEY, "a dict key refers to a tuple that is not complete yet");
    if (t->scalar == 2) {
        brine_event str = {.kind = BRINE_EV_STR, .v.s = {(const char *)c->scalars.data + t->pos, t->len}};
        return brinep_key_encode(b, &str) ? checker_nomem(c) : BRINE_OK;
    }
    /* Grown first: the source may live in the same buffer's old block. */
    if (brinep_bytes_add(b, NULL, t->len))
        return checker_nomem(c);
    memcpy(b->data + b->len - t->len, (t->scalar ? c->scalars.data : c->tuples.data) + t->pos, t->len);
    return BRINE_OK;
}

/* A str key that is not the next one of its dict's shape: the keyset's
 * other paths (keyset.c). */
static BRINEP_NOINLINE int str_key_other(checker *c, check_frame *top, const brine_event *ev)
{
    if (BRINEP_UNLIKELY(brine_utf8_check(ev->v.s.ptr, ev->v.s.len) != ev->v.s.len)) {
        top->key_kind = 0; /* not kept: the path shows [...] */
        return checker_event_fault(c, ev);
    }
    int rc = brinep_keyset_str_other(&c->ks, &top->ks, ev->v.s.ptr, ev->v.s.len, &top->key_pos);
    if (BRINEP_UNLIKELY(rc)) {
        if (rc == BRINE_E_NOMEM)
            top->key_kind = 0;
        return keyset_rc(c, rc);
    }
    return BRINE_OK;
}

/* A str key, the common key: kept once, for the check and the path.
 * Inline in checker_event when the key is the next of its dict's shape
 * (keyset.h), the common case in records: then it equals a key that was
 * checked, so its UTF-8 is not checked again; every other key costs a call
 * (the keyset's paths inline in checker_event made every scalar event
 * dearer: canada msgpack->native +1.3 M instructions). */
static BRINEP_INLINE int str_key(checker *c, check_frame *top, const brine_event *ev)
{
    size_t len = ev->v.s.len;
    top->key_len = len;
    top->key_kind = len <= CHECK_KEY_COPY ? BRINE_EV_STR : 0;
    if (brinep_keyset_str_next(&top->ks, ev->v.s.ptr, len, &top->key_pos))
        return BRINE_OK;
    return str_key_other(c, top, ev);
}

/* Event ev is (part of) a key of dict d (the key's first event when
 * start): one scalar, a tuple's events, or a REF to an anchored tuple.
 * Returns BRINE_OK, or an error; *done is set when the key is complete. */
static int key_event(checker *c, check_frame *top, const brine_event *ev, int start)
{
    int rc;
    if (start && ev->kind == BRINE_EV_STR)
        return str_key(c, top, ev);
    if (start) {
        brine_value *k = &top->key_scalar;
        top->key_kind = ev->kind;
        switch (ev->kind) {
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
        default: top->key_kind = 0; break;
        }
        if (brinep_keyset_begin(&c->ks, &top->ks))
            return checker_nomem(c);
    }
    if (ev->kind == BRINE_EV_REF) {
        uint64_t *val = ev->v.ref ? brinep_map_find(&c->anchors, ev->v.ref) : NULL;
        if (!val)
            return checker_fail(c, BRINE_E_REF, "a reference names an anchor that does not exist");
        if (!is_recorded_kind(*val & 15))
            return checker_unhashable(c, (brine_event_kind)(*val & 15));
        if ((rc = ref_content(c, &c->ks.keys, ev->v.ref)))
            return rc;
    } else if (is_begin(ev->kind) && ev->kind != BRINE_EV_TUPLE) {
        return checker_unhashable(c, ev->kind);
    } else if (brinep_key_encode(&c->ks.keys, ev)) {
        return checker_nomem(c);
    }
    /* A scalar or a REF that is the whole key: complete now (a tuple key
     * completes at its END, in checker_event). */
    if (start && ev->kind != BRINE_EV_TUPLE)
        return keyset_rc(c, brinep_keyset_end(&c->ks, &top->ks));
    return BRINE_OK;
}

/* While an anchored tuple is open, every event also goes into its record:
 * a REF as the content it names, a container a tuple cannot hash as a mark. */
static BRINEP_NOINLINE int record_event(checker *c, const brine_event *ev)
{
    if (ev->kind == BRINE_EV_REF) {
        uint64_t *val = ev->v.ref ? brinep_map_find(&c->anchors, ev->v.ref) : NULL;
        if (val && is_recorded_kind(*val & 15)) {
            const tuple_rec *t = recorded(c, ev->v.ref);
            if (!t->bad && t->len != SIZE_MAX)
                return ref_content(c, &c->tuples, ev->v.ref);
        }
        c->bad_pos = c->tuples.len;
        c->bad_kind = val && !is_recorded_kind(*val & 15) ? (brine_event_kind)(*val & 15) : BRINE_EV_LIST;
        return brinep_bytes_add(&c->tuples, "?", 1) ? checker_nomem(c) : BRINE_OK;
    }
    if (is_begin(ev->kind) && ev->kind != BRINE_EV_TUPLE) {
        c->bad_pos = c->tuples.len;
        c->bad_kind = ev->kind;
    }
    return brinep_key_encode(&c->tuples, ev) ? checker_nomem(c) : BRINE_OK;
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

/* The encoder refused ev with rc. When the decoder broke a count it
 * promised (the encoder that writes counts noticed: an extra child, or an
 * END too early or late), the error names the decoder as the builder's
 * does; else the encoder's error gets the path of the value whose event
 * failed (a container's own, like the walker's). */
static int encoder_refused_at(checker *c, const brine_event *ev, int rc);

static BRINEP_NOINLINE int encoder_refused(checker *c, const brine_event *ev, int rc)
{
    rc = encoder_refused_at(c, ev, rc);
    c->top = c->stack.count ? brinep_stack_top(&c->stack) : NULL; /* it may have popped */
    return rc;
}

static int encoder_refused_at(checker *c, const brine_event *ev, int rc)
{
    brine_error *err = c->sink.err;
    if (ev->kind == BRINE_EV_END) {
        /* checker_end has popped the frame; its memory is still there. */
        check_frame *f = brinep_stack_at(&c->stack, c->stack.count);
        if (f->expect != SIZE_MAX && f->children != f->expect) {
            brine_error_clear(err);
            c->stack.count++; /* the path of the END's own container */
            rc = count_fault(c, f);
            c->stack.count--;
            return rc;
        }
    } else {
        size_t below = (size_t)is_begin(ev->kind); /* a begin event has pushed its own frame */
        if (c->stack.count > below) {
            check_frame *parent = brinep_stack_at(&c->stack, c->stack.count - 1 - below);
            if (parent->children >= parent->expect) {
                brine_error_clear(err);
                c->stack.count -= below;
                return count_fault(c, parent);
            }
        }
    }
    if (is_begin(ev->kind))
        brinep_stack_pop(&c->stack);
    if (err && err->code != BRINE_OK && err->path[0] == '\0')
        checker_path(c, err->path, sizeof err->path);
    return rc;
}

/* A model's first child must be a tuple (data can say otherwise: a
 * reference to a list, so this is the builder's BRINE_E_CORRUPT). */
static BRINEP_NOINLINE int model_args(checker *c, brine_event_kind kind)
{
    char what[64];
    snprintf(what, sizeof what, "a model's args must be a tuple, not %s", event_type_name(kind));
    return checker_fail(c, BRINE_E_CORRUPT, what);
}

/* A key event, a model's first child, or either inside a key: the rare
 * positions, out of the event loop. */
static BRINEP_NOINLINE int special_position(checker *c, check_frame *top, const brine_event *ev)
{
    if (top->kind == BRINE_EV_MODEL && !top->in_key) {
        if (top->children == 2)
            return checker_fault(c, "a third child in a model (it has args and state)");
        if (top->children == 0 && ev->kind != BRINE_EV_TUPLE) {
            brine_event_kind kind = ev->kind;
            if (kind == BRINE_EV_REF) {
                uint64_t *val = ev->v.ref ? brinep_map_find(&c->anchors, ev->v.ref) : NULL;
                if (!val || (*val & 15) == BRINE_EV_TUPLE)
                    return BRINE_OK; /* a missing anchor: the REF's own check */
                kind = (brine_event_kind)(*val & 15);
            }
            return model_args(c, kind);
        }
        return BRINE_OK;
    }
    return key_event(c, top, ev, top->kind == BRINE_EV_DICT);
}

/* A begin event's anchor: recorded, and for a tuple, its content from now
 * on (*tuple: its record + 1). */
static BRINEP_NOINLINE int begin_anchor(checker *c, const brine_event *ev, size_t *tuple)
{
    int added;
    uint64_t *val = brinep_map_upsert(&c->anchors, ev->anchor, &added);
    if (!val)
        return checker_nomem(c);
    if (!added)
        return checker_fail(c, BRINE_E_REF, "an anchor id is defined twice");
    *val = ++c->anchors_given << 4 | (uint64_t)ev->kind;
    if (ev->kind == BRINE_EV_TUPLE) {
        tuple_rec *t = brinep_stack_push(&c->tuple_recs);
        uint64_t *index = t ? brinep_map_upsert(&c->recorded, ev->anchor, &added) : NULL;
        if (!index)
            return checker_nomem(c);
        /* Inside another, record_event has just written its '('. */
        t->pos = c->recording ? c->tuples.len - 1 : c->tuples.len;
        t->len = SIZE_MAX;
        *index = *tuple = c->tuple_recs.count;
        t->scalar = 0;
        if (c->recording++ == 0 && brinep_key_encode(&c->tuples, ev))
            return checker_nomem(c);
    }
    return BRINE_OK;
}

/* A shared str, bytes or big int (BRINE_SINK_SCALAR_REFS) that REFs may
 * name: the next id, and its content recorded as a tuple's is, for a REF
 * to it in a dict key. */
static BRINEP_NOINLINE int scalar_anchor(checker *c, const brine_event *ev)
{
    int added;
    if (!(c->sink.flags & BRINE_SINK_SCALAR_REFS))
        return checker_fail(c, BRINE_E_REF, "an anchor on a scalar, which the encoder does not take");
    uint64_t *val = brinep_map_upsert(&c->anchors, ev->anchor, &added);
    if (!val)
        return checker_nomem(c);
    if (!added)
        return checker_fail(c, BRINE_E_REF, "an anchor id is defined twice");
    *val = ++c->anchors_given << 4 | (uint64_t)ev->kind; /* one id space with containers */
    tuple_rec *t = brinep_stack_push(&c->tuple_recs);
    uint64_t *index = t ? brinep_map_upsert(&c->recorded, ev->anchor, &added) : NULL;
    if (!index)
        return checker_nomem(c);
    *index = c->tuple_recs.count;
    t->pos = c->scalars.len;
    t->bad = 0;
    /* A str as its bytes: a REF to it as a key goes the way of str keys. */
    t->scalar = ev->kind == BRINE_EV_STR ? 2 : 1;
    if (t->scalar == 2 ? brinep_bytes_add(&c->scalars, ev->v.s.ptr, ev->v.s.len) : brinep_key_encode(&c->scalars, ev))
        return checker_nomem(c);
    t->len = c->scalars.len - t->pos;
    return BRINE_OK;
}

/* A begin event: a new frame, its fields set one by one (a zeroed frame
 * cost a memset of the whole frame per container). */
static BRINEP_INLINE int checker_begin(checker *c, const brine_event *ev, int in_key)
{
    brinep_stack *st = &c->stack;
    if (BRINEP_UNLIKELY(st->count >= c->max_depth)) {
        brinep_depth_error(c->sink.err, c->max_depth, "decoding");
        return checker_fail(c, BRINE_E_DEPTH, "");
    }
    size_t tuple = 0;
    int rc;
    if (BRINEP_UNLIKELY(ev->anchor) && (rc = begin_anchor(c, ev, &tuple)))
        return rc;
    check_frame *f = st->count < st->cap ? (check_frame *)(void *)st->data + st->count++ : brinep_stack_push(st);
    if (!f)
        return checker_nomem(c);
    c->top = f;
    f->kind = ev->kind;
    f->in_key = in_key;
    f->children = 0;
    f->tuple = tuple;
    f->key_kind = 0;
    f->expect = ev->kind == BRINE_EV_MODEL           ? 2
                : ev->v.count == BRINE_COUNT_UNKNOWN ? SIZE_MAX
                : ev->kind != BRINE_EV_DICT          ? ev->v.count
                : ev->v.count < SIZE_MAX / 2         ? 2 * ev->v.count
                                                     : SIZE_MAX - 1; /* more entries than memory: never met */
    if (ev->kind == BRINE_EV_DICT)
        brinep_keyset_open(&c->ks, &f->ks, st->count);
    return BRINE_OK;
}

/* The END of an anchored tuple's frame f, or of a frame inside a key. */
static BRINEP_NOINLINE int end_special(checker *c, const check_frame *f)
{
    if (f->tuple) {
        tuple_rec *t = brinep_stack_at(&c->tuple_recs, f->tuple - 1);
        t->len = c->tuples.len - t->pos;
        t->bad = c->bad_pos != SIZE_MAX && c->bad_pos >= t->pos ? c->bad_kind : 0;
        c->recording--;
    }
    if (!f->in_key)
        return BRINE_OK;
    check_frame *parent = brinep_stack_at(&c->stack, c->stack.count - 1);
    if (brinep_key_encode(&c->ks.keys, &(brine_event){.kind = BRINE_EV_END}))
        return checker_nomem(c);
    /* A tuple key of a dict is complete. */
    return parent->kind == BRINE_EV_DICT ? keyset_rc(c, brinep_keyset_end(&c->ks, &parent->ks)) : BRINE_OK;
}

/* Ends the top frame (its memory stays until the next push: see
 * encoder_refused). */
static BRINEP_INLINE int checker_end(checker *c)
{
    brinep_stack *st = &c->stack;
    if (BRINEP_UNLIKELY(!st->count))
        return checker_fault(c, "an END event that closes nothing");
    check_frame *f = (check_frame *)(void *)st->data + st->count - 1;
    if (f->kind == BRINE_EV_DICT) {
        if (BRINEP_UNLIKELY(f->children % 2))
            return checker_fault(c, "a dict key without a value");
        brinep_keyset_close(&c->ks, &f->ks);
    } else if (BRINEP_UNLIKELY(f->kind == BRINE_EV_MODEL && f->children != 2))
        return checker_fault(c, "a model without its args and its state");
    c->top = --st->count ? f - 1 : NULL;
    if (BRINEP_UNLIKELY(f->tuple || f->in_key))
        return end_special(c, f);
    return BRINE_OK;
}

/* An ARRAY event: a leaf, checked and placed like a scalar but unhashable
 * (never a key, nor inside a tuple that is one: recorded as a list), and
 * anchored like a container (the anchor's kind is recorded as a list's).
 * An encoder without BRINE_SINK_ARRAYS gets numpy's tolist() instead. */
static BRINEP_NOINLINE int checker_array(checker *c, check_frame *top, const brine_event *ev)
{
    int rc;
    if ((rc = checker_event_fault(c, ev)))
        return rc;
    if (top && ((top->kind == BRINE_EV_DICT && top->children % 2 == 0 && !top->in_key) || top->in_key))
        return checker_fail(c, BRINE_E_KEY, "unhashable type: 'array'");
    if (top && top->kind == BRINE_EV_MODEL) {
        if (top->children == 2)
            return checker_fault(c, "a third child in a model (it has args and state)");
        if (top->children == 0)
            return checker_fail(c, BRINE_E_CORRUPT, "a model's args must be a tuple, not array");
    }
    if (!top && c->complete)
        return checker_fault(c, "a second value after a complete one");
    if (c->recording) {
        c->bad_pos = c->tuples.len;
        c->bad_kind = BRINE_EV_LIST;
        if (brinep_bytes_add(&c->tuples, "?", 1))
            return checker_nomem(c);
    }
    brine_event renamed = *ev;
    if (ev->anchor) {
        int added;
        uint64_t *val = brinep_map_upsert(&c->anchors, ev->anchor, &added);
        if (!val)
            return checker_nomem(c);
        if (!added)
            return checker_fail(c, BRINE_E_REF, "an anchor id is defined twice");
        *val = ++c->anchors_given << 4 | (uint64_t)BRINE_EV_LIST;
        renamed.anchor = c->anchors_given;
    }
    if (c->next->flags & BRINE_SINK_ARRAYS) {
        rc = c->next->event(c->next, &renamed);
    } else if (renamed.anchor && ev->v.array->ndim == 0) {
        return checker_fail(c, BRINE_E_UNSUPPORTED,
                            "a shared 0-d array cannot be written to a format without arrays while streaming: "
                            "decode to a graph, then encode it");
    } else {
        rc = brinep_array_tolist(ev->v.array, renamed.anchor, c->next, c->stack.count, c->max_depth, c->sink.err);
    }
    if (rc != BRINE_OK)
        return encoder_refused(c, ev, rc);
    if (top)
        top->children++;
    else
        c->complete = 1;
    return BRINE_OK;
}

/* Every event passes here: the contract checks of its content inline in
 * one switch (no call for scalars), then the stream's shape. */
static int checker_event(brine_sink *sink, const brine_event *ev)
{
    checker *c = (checker *)sink;
    brine_event renamed; /* ev with the encoder's anchor id */
    int rc;
    check_frame *top = c->top;
    switch (ev->kind) {
    case BRINE_EV_STR:
        if (BRINEP_UNLIKELY(!ev->v.s.ptr && ev->v.s.len))
            return checker_event_fault(c, ev);
        if (top && top->kind == BRINE_EV_DICT && top->children % 2 == 0) {
            /* A key: its UTF-8 is checked unless it equals a key of its
             * dict's shape, which was checked. */
            if ((rc = str_key(c, top, ev)))
                return rc;
            goto key_done;
        }
        if (BRINEP_UNLIKELY(brine_utf8_check(ev->v.s.ptr, ev->v.s.len) != ev->v.s.len))
            return checker_event_fault(c, ev);
        break;
    case BRINE_EV_BYTES:
        if (BRINEP_UNLIKELY(!ev->v.s.ptr && ev->v.s.len))
            return checker_event_fault(c, ev);
        break;
    case BRINE_EV_BIGINT:
    case BRINE_EV_MODEL:
        if ((rc = checker_event_fault(c, ev)))
            return rc;
        break;
    case BRINE_EV_NULL:
    case BRINE_EV_BOOL:
    case BRINE_EV_INT:
    case BRINE_EV_UINT:
    case BRINE_EV_FLOAT:
    case BRINE_EV_COMPLEX:
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE:
    case BRINE_EV_DICT:
    case BRINE_EV_END: break;
    case BRINE_EV_REF:
        if (BRINEP_UNLIKELY(top && top->kind == BRINE_EV_DICT && top->children % 2 == 0)) {
            /* A REF to a shared str as a key: the key is that str. */
            uint64_t *val = ev->v.ref ? brinep_map_find(&c->anchors, ev->v.ref) : NULL;
            if (val && (*val & 15) == BRINE_EV_STR) {
                const tuple_rec *t = recorded(c, ev->v.ref);
                brine_event str = {.kind = BRINE_EV_STR, .v.s = {(const char *)c->scalars.data + t->pos, t->len}};
                if ((rc = str_key(c, top, &str)))
                    return rc;
                goto key_done;
            }
        }
        break;
    case BRINE_EV_ARRAY: return checker_array(c, top, ev);
    default: return checker_event_fault(c, ev);
    }
    if (top && ev->kind != BRINE_EV_END) {
        if (top->kind == BRINE_EV_DICT && top->children % 2 == 0) {
            if ((rc = key_event(c, top, ev, 1))) /* a key that is not a str */
                return rc;
        } else if ((top->in_key || top->kind == BRINE_EV_MODEL) && (rc = special_position(c, top, ev)))
            return rc;
    } else if (!top && c->complete) {
        return checker_fault(c, "a second value after a complete one");
    }
key_done:
    if (BRINEP_UNLIKELY(c->recording) && ev->kind != BRINE_EV_END && (rc = record_event(c, ev)))
        return rc;
    switch (ev->kind) {
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE:
    case BRINE_EV_DICT:
    case BRINE_EV_MODEL:
        if ((rc = checker_begin(c, ev, top && (top->in_key || (top->kind == BRINE_EV_DICT && top->children % 2 == 0)))))
            return rc;
        if (BRINEP_UNLIKELY(ev->anchor)) { /* begin_anchor gave it the next id */
            renamed = *ev;
            renamed.anchor = c->anchors_given;
            ev = &renamed;
        }
        break;
    case BRINE_EV_END:
        if (c->recording && (rc = record_event(c, ev)))
            return rc;
        if ((rc = checker_end(c)))
            return rc;
        break;
    case BRINE_EV_REF: {
        uint64_t *kind = ev->v.ref ? brinep_map_find(&c->anchors, ev->v.ref) : NULL;
        if (!kind)
            return checker_fail(c, BRINE_E_REF, "a reference names an anchor that does not exist");
        renamed = *ev;
        renamed.v.ref = *kind >> 4;
        ev = &renamed;
        break;
    }
    case BRINE_EV_STR:
    case BRINE_EV_BYTES:
    case BRINE_EV_BIGINT:
        if (BRINEP_UNLIKELY(ev->anchor)) {
            if ((rc = scalar_anchor(c, ev)))
                return rc;
            renamed = *ev;
            renamed.anchor = c->anchors_given;
            ev = &renamed;
        }
        break;
    default: break;
    }
    if ((rc = c->next->event(c->next, ev)) != BRINE_OK)
        return encoder_refused(c, ev, rc);
    if (!is_begin(ev->kind)) {
        check_frame *parent = c->top;
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
    c.sink.flags = encoder->flags | BRINE_SINK_ARRAYS; /* it converts for an encoder without arrays */
    c.sink.err = err;
    c.next = encoder;
    c.from = from->name;
    c.max_depth = decode_depth(from, from_opts);
    brinep_stack_init(&c.stack, sizeof(check_frame));
    brinep_map_init(&c.anchors);
    brinep_map_init(&c.recorded);
    brinep_keyset_init(&c.ks);
    brinep_stack_init(&c.tuple_recs, sizeof(tuple_rec));
    c.bad_pos = SIZE_MAX;
    int rc = from->decode(src, &c.sink, from_opts, err);
    if (rc == BRINE_OK)
        rc = checker_finish(&c.sink);
    brinep_stack_destroy(&c.stack);
    brinep_map_destroy(&c.anchors);
    brinep_map_destroy(&c.recorded);
    brinep_keyset_destroy(&c.ks);
    brinep_stack_destroy(&c.tuple_recs);
    brinep_bytes_destroy(&c.tuples);
    brinep_bytes_destroy(&c.scalars);
    return rc;
}

/* ---- the probe: a document of a format with references that has none ---- */

/* A decoder that may produce references (native, pickle) writes them only
 * for values that are shared: a document with none streams like any other.
 * The probe decodes once into this sink, which keeps nothing and stops at
 * the first anchor (or at the depth limit, which the graph's decoding
 * then reports); the source goes back to where it was either way. It also
 * notes whether the document holds only what every format has (null, bool,
 * 64-bit ints, finite floats, str, lists, dicts with str keys): an encoder
 * that chooses its form from the graph (encode_value: json's auto mode)
 * chooses its plain form for such a document, which its streamed form
 * writes too. */
typedef struct probe_frame {
    int dict;
    size_t children;
} probe_frame;

typedef struct probe_sink {
    brine_sink sink;
    brinep_stack stack;
    size_t max_depth;
    int shared; /* stopped: an anchor or a reference came (or the depth limit) */
    int plain;  /* nothing but the common kinds so far */
} probe_sink;

static int probe_event(brine_sink *sink, const brine_event *ev)
{
    probe_sink *p = (probe_sink *)sink;
    if (ev->anchor || ev->kind == BRINE_EV_REF) {
        p->shared = 1;
        return BRINE_E_UNSUPPORTED;
    }
    if (ev->kind == BRINE_EV_END) {
        brinep_stack_pop(&p->stack);
        return BRINE_OK;
    }
    probe_frame *top = p->stack.count ? brinep_stack_top(&p->stack) : NULL;
    if (top && top->dict && (top->children++ & 1) == 0 && ev->kind != BRINE_EV_STR)
        p->plain = 0;
    else if (top && !top->dict)
        top->children++;
    switch (ev->kind) {
    case BRINE_EV_NULL:
    case BRINE_EV_BOOL:
    case BRINE_EV_INT:
    case BRINE_EV_UINT:
    case BRINE_EV_STR: break;
    case BRINE_EV_FLOAT:
        if (ev->v.f - ev->v.f != 0)
            p->plain = 0;
        break;
    case BRINE_EV_LIST:
    case BRINE_EV_DICT: {
        probe_frame *f;
        if (p->stack.count >= p->max_depth) {
            p->shared = 1;
            return BRINE_E_DEPTH;
        }
        if (!(f = brinep_stack_push(&p->stack)))
            return BRINE_E_NOMEM;
        f->dict = ev->kind == BRINE_EV_DICT;
        f->children = 0;
        break;
    }
    default:
        p->plain = 0;
        if (is_begin(ev->kind)) {
            probe_frame *f;
            if (p->stack.count >= p->max_depth) {
                p->shared = 1;
                return BRINE_E_DEPTH;
            }
            if (!(f = brinep_stack_push(&p->stack)))
                return BRINE_E_NOMEM;
            f->dict = 0;
            f->children = 0;
        }
    }
    return BRINE_OK;
}

/* 1 if the input holds no shared value (and decodes): it can stream; with
 * need_plain, only if it also holds nothing but the common kinds. */
static int probe_unshared(const brine_plugin *from, brine_source *src, const brine_options *from_opts, unsigned flags,
                          int need_plain)
{
    if (!brine_source_can_rewind(src))
        return 0;
    probe_sink p;
    memset(&p, 0, sizeof p);
    p.sink.event = probe_event;
    p.sink.flags = flags;
    p.max_depth = decode_depth(from, from_opts);
    p.plain = 1;
    brinep_stack_init(&p.stack, sizeof(probe_frame));
    brine_error err;
    brine_error_clear(&err);
    p.sink.err = &err;
    uint64_t start = brine_source_offset(src);
    int rc = from->decode(src, &p.sink, from_opts, &err);
    brinep_stack_destroy(&p.stack);
    brine_error_clear(&err);
    if (brine_source_rewind(src, start, &err) != BRINE_OK)
        return 0; /* then nothing can be decoded again: the graph's decoding says so */
    return rc == BRINE_OK && !p.shared && (p.plain || !need_plain);
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
    /* Sorted keys need each dict whole before its first entry is sent:
     * through a graph (buffering each dict's events instead would hold the
     * root dict, which is most of any document, all the same). So does a
     * format that looks at the graph before writing (encode_value: json's
     * auto mode chooses plain JSON or the envelope) when references may
     * come: streamed, the first shared node would be met after plain
     * output has started. A format that always stores references (native)
     * has no such choice to make: its hook (native's picks the file
     * version from the graph's arrays) does not stop a stream. */
    int refs = brine_decoder_refs(from, from_opts);
    int hook_needs_graph = encode_value_hook(to) && !(to->caps & BRINE_CAP_REFS);
    int stream =
        (!refs || ((encoder->flags & BRINE_SINK_REFS) && !hook_needs_graph)) && !(to_opts && to_opts->sort_keys);
    /* Without references in the input, the graph would be needed for
     * nothing: a file that can be read twice is probed first (a second
     * decoding pass, no memory). From a pipe the graph stays, and so it
     * does for a decoder that holds the graph anyway (the probe would
     * cost a whole decode and save no memory). */
    if (!stream && refs && !(to_opts && to_opts->sort_keys) && !(from->caps & BRINE_CAP_GRAPH_READER) &&
        probe_unshared(from, src, from_opts, encoder->flags | BRINE_SINK_ARRAYS, hook_needs_graph))
        stream = 1;
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

/* ---- checking without a graph -------------------------------------------- */

/* The sink behind the checker in brine_validate: it counts what
 * brine_value_stats counts in the decoded graph. A container or array is
 * one node however often it is referenced; a scalar is copied into each
 * slot that names it, so a REF to a shared str counts again. The checker
 * gives anchors the ids 1, 2, 3... in order, so their kinds are an array. */
typedef struct count_sink {
    brine_sink sink;
    size_t values, depth, deepest;
    unsigned char *kinds; /* anchor id - 1 -> 1 for a scalar, 0 for a node */
    size_t nkinds, kinds_cap;
} count_sink;

static int count_event(brine_sink *sink, const brine_event *ev)
{
    count_sink *c = (count_sink *)sink;
    if (ev->kind == BRINE_EV_END) {
        c->depth--;
        return BRINE_OK;
    }
    if (ev->kind == BRINE_EV_REF) {
        if (ev->v.ref >= 1 && ev->v.ref <= c->nkinds && c->kinds[ev->v.ref - 1])
            c->values++;
        return BRINE_OK;
    }
    c->values++;
    int begin = is_begin(ev->kind);
    if (ev->anchor) {
        if (c->nkinds == c->kinds_cap) {
            size_t cap = c->kinds_cap ? c->kinds_cap * 2 : 64;
            unsigned char *k = brine_realloc(c->kinds, cap);
            if (!k)
                return brinep_nomem(sink->err);
            c->kinds = k;
            c->kinds_cap = cap;
        }
        c->kinds[c->nkinds++] = !begin && ev->kind != BRINE_EV_ARRAY;
    }
    if (begin && ++c->depth > c->deepest)
        c->deepest = c->depth;
    return BRINE_OK;
}

int brine_validate(const brine_plugin *fmt, brine_source *src, const brine_options *opts, size_t *count, size_t *depth,
                   brine_error *err)
{
    brine_error_clear(err); /* an operation: err reports this call only */
    if (!src)
        return brine_error_set(err, BRINE_E_INVALID, "no input given");
    int rc = check_plugin(fmt, 0, err);
    if (rc || (rc = brine_options_check(fmt, opts, 0, err)))
        return rc;
    count_sink c;
    memset(&c, 0, sizeof c);
    c.sink.event = count_event;
    c.sink.flags = BRINE_SINK_REFS | BRINE_SINK_SCALAR_REFS | BRINE_SINK_ARRAYS;
    c.sink.err = err;
    rc = transcode_stream(fmt, src, opts, &c.sink, err);
    brine_free(c.kinds);
    if (rc != BRINE_OK) {
        if (err && err->code == BRINE_OK)
            brine_error_set(err, rc, "the %s decoder failed: %s", fmt->name, brine_strerror(rc));
        locate(src, err);
        name_ceiling(fmt, opts, err);
        return rc;
    }
    if (count)
        *count = c.values;
    if (depth)
        *depth = c.deepest;
    return BRINE_OK;
}
