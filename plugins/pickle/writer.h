/* writer.h: what the two halves of the pickle writer share: its state,
 * the record of a tuple or model kept for CPython's save() (writer_save.c),
 * and the output, memo and scalar helpers of writer.c that both use. Private
 * to the plugin (built with hidden visibility). */
#ifndef PK_WRITER_H
#define PK_WRITER_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "pickle.h"

#define PK_FRAME_TARGET (64 * 1024) /* CPython's _Framer.FRAME_SIZE_TARGET */
#define PK_FRAME_MIN 4              /* smaller frames get no FRAME opcode */
#define PK_BATCH 1000               /* CPython's Pickler._BATCHSIZE */
#define PK_NONE SIZE_MAX

/* Models recognised by name (each only in its exact shape, see pk_form). */
enum {
    FORM_GENERIC,
    FORM_SET,
    FORM_FROZENSET,
    FORM_BYTEARRAY,
    FORM_GLOBAL,
    FORM_CALL,
    FORM_PERSID,
    FORM_EXT,
    FORM_NEWOBJ, /* copyreg.__newobj__(cls, *args) as CPython writes it: cls, args, NEWOBJ */
    FORM_RSTATE  /* pickle.reduce_state as a model's state: items, then BUILD */
};

/* Where an anchor lives: a memo index, a node of the record being taken,
 * or a shared scalar (an index into pk_enc.shared). */
enum { AN_FREE, AN_MEMO, AN_NODE, AN_SCALAR };

/* A str, bytes or big int the producer anchored (BRINE_SINK_SCALAR_REFS).
 * Its bytes are kept, once: a REF to it may come where it must be written
 * out rather than fetched (a module name inside a GLOBAL opcode, a record
 * that consumed it without memoizing it). */
typedef struct pk_shared {
    size_t off; /* its bytes in pk_enc.sbytes; an array: its index in pk_enc.arrays */
    size_t len;
    size_t memo; /* its memo index once written, else PK_NONE */
    brine_event_kind kind;
} pk_shared;

typedef struct pk_anchor {
    uint64_t id;
    size_t val;   /* memo index or node index */
    size_t count; /* a tuple's element count, else PK_NONE */
    int where;    /* AN_* */
} pk_anchor;

/* One recorded event. Strings point into the record's byte arena by
 * offset (it moves when it grows). */
typedef struct pk_rec {
    brine_event ev;
    size_t str_off;
    size_t end;    /* begin events: index of the matching END */
    size_t count;  /* begin events: children */
    size_t target; /* REF: node index, or PK_NONE for an anchor outside */
    size_t memo;   /* REF outside: its memo index; nodes: their memo index */
    size_t shared; /* a shared scalar or a REF to one: its pk_enc.shared index, else PK_NONE */
    size_t mark;   /* nodes: pk_g.progress when last entered */
    uint8_t state; /* nodes: 0 unseen, 1 open, 2 memoized */
    uint8_t need;  /* nodes: gets a memo entry (shared, or fetched by GET) */
} pk_rec;

/* A container being streamed. */
typedef struct pk_frame {
    size_t count;      /* announced children (a dict: pairs), or BRINE_COUNT_UNKNOWN */
    size_t n;          /* children written (a dict: keys and values) */
    size_t batch;      /* items in the current APPENDS / SETITEMS batch */
    size_t mark_pos;   /* count unknown: where the MARK went in the frame */
    uint64_t mark_gen; /* ... and which frame that was */
    size_t key_pos;    /* dicts: the current key's copy in keys, for error paths */
    uint64_t key_u;    /* dicts: the current key if it is an int */
    uint32_t key_len;
    uint8_t key_kind; /* dicts: the current key's event kind (0: not kept) */
    uint8_t kind;     /* BRINE_EV_LIST ... */
    uint8_t marked;
    uint8_t state_set; /* models: the state is not null */
} pk_frame;

/* A node being written from the record. */
typedef struct pk_gframe {
    size_t node;
    size_t slot;  /* next child's record index */
    size_t i;     /* children done */
    size_t batch; /* items in the current batch */
    size_t saved_mark;
    size_t aux;  /* reduce_state: the items list being iterated */
    size_t pend; /* reduce_state: the (key, value) tuple being written */
    int form;
    int phase;
    uint8_t marked;
    uint8_t rstate;     /* models: the state is a reduce_state, which BUILDs itself */
    uint8_t dict_items; /* reduce_state: at the dict items */
} pk_gframe;

typedef struct pk_enc {
    brine_sink sink; /* first: the sink handle is the encoder */
    brine_output *out;
    int proto;
    int status;
    int started, done;
    size_t max_depth;
    size_t memo_count;    /* memo entries written */
    size_t last_count;    /* elements of the tuple last completed */
    unsigned char *frame; /* protocol 4+: the current frame's bytes */
    size_t frame_len, frame_cap;
    uint64_t frame_gen; /* frames committed */
    char *keys;         /* str keys along the streamed path, for error paths */
    size_t keys_len, keys_cap;
    pk_frame *stack; /* streamed containers */
    size_t depth, cap;
    pk_anchor *anchors; /* open addressing, cap a power of two */
    size_t anchors_count, anchors_cap;
    uint64_t anchors_seed; /* ids come from the input when transcoding: hashed with a key */
    pk_shared *shared;     /* shared scalars, by anchor (AN_SCALAR) */
    size_t shared_count, shared_cap;
    char *sbytes; /* their bytes */
    size_t sbytes_len, sbytes_cap;
    /* The record being taken (rec_depth > 0) */
    pk_rec *rec;
    size_t rec_count, rec_cap;
    size_t *rec_open; /* indices of open recorded begins */
    size_t rec_depth, rec_open_cap;
    char *bytes;
    size_t bytes_len, bytes_cap;
    /* Writing the record */
    pk_gframe *gs;
    size_t gdepth, gcap;
    size_t progress; /* memoizations so far: a re-entry must see one */
    int dry;
    unsigned char *scratch;
    size_t scratch_cap;
    pk_allow allow;  /* the safe preset plus allow= */
    int zerod_array; /* zerod=array: 0-d arrays as ndarrays, not numpy scalars */
    /* Arrays met inside a record, kept (copied) until it is written */
    brine_doc *adoc;
    brine_value **arrays;
    size_t arrays_count, arrays_cap;
    /* joblib (writer_joblib.c): arrays as NumpyArrayWrapper + their bytes */
    int joblib;        /* 0: pickle; 1: joblib; 2: joblib, arrays not mapped (allow_mmap False) */
    uint64_t out_base; /* brine_output_total when the encoder began: the file's offset 0 */
} pk_enc;

int pkw_fail(pk_enc *e, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* writer.c: errors, the framed output, scalars, globals, the memo. */
int pkw_nomem(pk_enc *e);
int pkw_put(pk_enc *e, const void *p, size_t len);
int pkw_op(pk_enc *e, unsigned op);
int pkw_boundary(pk_enc *e);
int pkw_boundary_close(pk_enc *e);
int pkw_payload(pk_enc *e, const unsigned char *hdr, size_t hlen, const void *p, size_t len);
/* Bytes after the current frame, outside any (joblib's array data). */
int pkw_raw(pk_enc *e, const void *p, size_t len);
void pkw_le(unsigned char *p, uint64_t v, int n);
int pkw_global(pk_enc *e, const char *mod, size_t mlen, const char *qual, size_t qlen);
int pkw_model_global(pk_enc *e, const char *name, size_t len);
int pkw_allowed(pk_enc *e, const char *name, size_t len);
int pkw_global_allowed(pk_enc *e, const char *mod, size_t mlen, const char *qual, size_t qlen);
int pkw_scalar(pk_enc *e, const brine_event *ev, const char *s);
int pkw_get(pk_enc *e, size_t idx);
int pkw_memoize(pk_enc *e, size_t *idx);
int pkw_anchor_set(pk_enc *e, uint64_t id, int where, size_t val, size_t count);
/* A shared scalar: GET once it is in the memo, else written and memoized. */
int pkw_shared(pk_enc *e, size_t idx);
/* The bytes of a recorded str, bytes, big int or model name. */
static inline const char *pkw_rec_str(const pk_enc *e, const pk_rec *r)
{
    if (r->shared != PK_NONE)
        return e->sbytes + e->shared[r->shared].off;
    return e->bytes ? e->bytes + r->str_off : NULL; /* no strings recorded: scalars need none */
}
/* writer_numpy.c: an array as numpy pickles it (the value on the stack,
 * not memoized); the same for a kept array; keeps a copy of an array met
 * inside a record, *idx its index in e->arrays. */
int pkw_array(pk_enc *e, const brine_array_header *h);
int pkw_array_value(pk_enc *e, const brine_value *a);
int pkw_array_keep(pk_enc *e, const brine_array_header *h, size_t *idx);
/* A dtype and a shape tuple as numpy pickles them (for writer_joblib.c). */
int pkw_dtype(pk_enc *e, const brine_dtype *dt);
int pkw_shape(pk_enc *e, unsigned ndim, const uint64_t *shape);
/* writer_joblib.c: an array as joblib.dump writes it. */
int pkw_array_joblib(pk_enc *e, const brine_array_header *h);
/* writer_save.c: writes the finished record and resets it. */
int pkw_write_record(pk_enc *e);

#endif
