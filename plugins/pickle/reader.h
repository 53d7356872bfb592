/* reader.h: what the pickle reader's files share: the decoder's state (the
 * value stack, the marks, the memo and the nesting heights of the containers
 * it made) and the helpers between reader.c (the opcode machine) and
 * objects.c (the values calls, globals and items become).
 */
#ifndef BRINE_PICKLE_READER_H
#define BRINE_PICKLE_READER_H

#include "pickle.h"

/* Node flags: what the reader knows about a container it made. */
#define PKN_ITEMS 1u     /* a model whose state is a pickle.reduce_state wrapper */
#define PKN_NDARRAY 2u   /* numpy's _reconstruct(ndarray, ...) waiting for its BUILD (numpy.c) */
#define PKN_LINKED 4u    /* ... put in a container before its BUILD: its BUILD is refused */
#define PKN_MEMO_MANY 8u /* ... stored under more than one memo key */
#define PKN_RAWDATA 16u  /* an array standing for the bytes of a numpy state being built (numpy.c) */
#define PKN_RAWSTATE 32u /* a numpy state tuple holding such an array */

/* A stack or memo slot: a value and, for containers, its node index (0 for
 * scalars) into pk_dec.nodes, where its nesting height is tracked. */
typedef struct pk_slot {
    brine_value *v;
    size_t node;
} pk_slot;

/* One per container pushed, kept to the end of the decode: 16 bytes, not
 * 24 (a pickle of 300,000 objects pushes 900,000 containers). */
typedef struct pk_node {
    uint32_t height; /* nesting depth of the container's contents, a lower bound (pk_height_store) */
    uint32_t flags;
    uint64_t memo_key; /* PKN_NDARRAY: the memo key it was stored under + 1, or 0 */
} pk_node;

/* A height as stored: past UINT32_MAX it stays a lower bound (no input
 * nests that deep in memory, and core checks the graph's depth again). */
static inline uint32_t pk_height_store(size_t h)
{
    return h > UINT32_MAX ? UINT32_MAX : (uint32_t)h;
}

/* A memo entry kept in the sparse table (slot.v NULL: empty). */
typedef struct pk_memo_entry {
    uint64_t key;
    pk_slot slot;
} pk_memo_entry;

typedef struct pk_aud pk_aud;     /* audit.c */
typedef struct pk_cache pk_cache; /* objects.c */
typedef struct pk_np pk_np;       /* numpy.c */

typedef struct pk_dec {
    brine_doc *doc;
    brine_error *err;
    size_t max_depth;
    const unsigned char *start, *p, *end;
    const unsigned char *frame_end; /* NULL outside a frame */
    uint64_t base;                  /* input offset of start */
    uint64_t op_off;                /* input offset of the opcode being run */
    int proto;
    int dirty; /* a container was dropped that may hold links (see pk_decode) */
    pk_slot *stack;
    size_t count, cap;
    size_t *marks; /* stack counts at each MARK */
    size_t mark_count, mark_cap;
    /* The memo (reader.c): CPython's is an array indexed by key, and so is
     * ours for MEMOIZE and for PUT keys near the ones already used (16
     * bytes an entry); other PUT keys go to a sparse table hashed with a
     * seed drawn per decode, so that keys chosen to collide cost no more
     * than others. */
    pk_slot *memo; /* memo[key] for key < memo_len; v NULL when not set */
    size_t memo_len, memo_cap;
    size_t memo_count;     /* keys set, dense and sparse: MEMOIZE's next key */
    pk_memo_entry *sparse; /* open addressing, cap a power of two */
    size_t sparse_count, sparse_cap;
    uint64_t sparse_seed;
    pk_node *nodes; /* [0] unused: scalars */
    size_t node_count, node_cap;
    pk_buf buf;
    char *name; /* scratch for "module.qualname" */
    size_t name_cap;
    pk_allow allow; /* the decoder's allow= (allow.on: checked) */
    pk_aud *aud;    /* the audit being taken, or NULL when decoding */
    pk_np *np;      /* numpy.c's dtype cache, made on first use */
    int np_init;
    int np_tuple_ok; /* TUPLE may hold a PKN_RAWDATA array as is (numpy.c) */
    int np_rawstate; /* ... and did: the tuple gets PKN_RAWSTATE */
    int joblib; /* 1: the joblib format, arrays' bytes follow their wrappers (numpy.c); 2: a pickle nested in one */
    brine_direct *direct; /* decode_direct: doc is the builder's, not freed here */
    pk_cache *cache;      /* objects.c: short strs and ints made already, or NULL */
    /* The EMPTY_TUPLE that a NEWOBJ right after it takes (every instance of
     * a plain class): one per decode, never stored, so the model keeps the
     * empty args it is made with (pk_is_empty_args). */
    pk_slot empty_args;
} pk_dec;

/* Is v the EMPTY_TUPLE made for NEWOBJ (see pk_dec.empty_args)? */
static inline int pk_is_empty_args(const pk_dec *d, const brine_value *v)
{
    return v && v == d->empty_args.v;
}

/* The audit (audit.c): each hook records what the opcode at d->op_off
 * makes Python do, once the opcode has succeeded. NULL d->aud: no-ops. */
int pk_aud_new(pk_dec *d);
void pk_aud_free(pk_dec *d);
int pk_aud_import(pk_dec *d, const brine_value *global, const char *name, size_t len);
int pk_aud_call(pk_dec *d, const brine_value *callable, const brine_value *result);
int pk_aud_build(pk_dec *d, const pk_slot *target);
int pk_aud_items(pk_dec *d, const pk_slot *target);
int pk_aud_made(pk_dec *d, int action, const brine_value *result); /* PERSID, EXT */
/* The report: reaches computed against root (NULL after an error). */
struct brine_audit_report *pk_aud_report(pk_dec *d, const brine_value *root, int status, const brine_error *err);

/* The array a numpy _reconstruct model became (numpy.c): the audit
 * knows the model's CALL and BUILD as the array's, and what reaches the
 * value through it (the model, its dtype's calls). */
int pk_aud_array(pk_dec *d, const pk_slot *model, const brine_value *array);
/* Everything in used reaches the value when user does (an array made by a
 * call from its arguments). */
int pk_aud_uses(pk_dec *d, const brine_value *user, const brine_value *used);

/* numpy's arrays (numpy.c). After a REDUCE: marks a _reconstruct result
 * that waits for its BUILD. */
void pk_np_reduced(pk_dec *d, const pk_slot *s);
/* BUILD on such a model: *done 1 when it became an array (audit included). */
int pk_np_build(pk_dec *d, const pk_slot *target, const pk_slot *state, int *done);
/* REDUCE of _frombuffer or scalar (see numpy.c). */
brine_value *pk_np_call(pk_dec *d, const char *name, size_t len, const pk_slot *args, brine_error *e, int *done);
void pk_np_free(pk_dec *d);
/* Puts slot a wherever the stack and the memo hold model m (reader.c). */
void pk_np_replace(pk_dec *d, const pk_slot *m, pk_slot a);

/* BUILD on a joblib NumpyArrayWrapper: with d->joblib, reads the array
 * bytes that follow it and puts the array in its place (*done 1); without,
 * refuses the file as joblib's. */
int pk_jl_build(pk_dec *d, const pk_slot *target, const pk_slot *state, int *done);
/* The pickle at d->p (joblib's object arrays: a whole pickle nested after
 * the wrapper) run by a machine of its own, memo and stack apart, as
 * pickle.load would (reader.c): its value in *out and d->p past its STOP.
 * It reads as a pickle, not as joblib, so this nests once. */
int pk_run_nested(pk_dec *d, pk_slot *out);

/* A large BINBYTES where a numpy state is being built: *done 1 when it
 * pushed the array itself (PKN_RAWDATA) instead of the bytes. */
int pk_np_rawdata(pk_dec *d, const unsigned char *s, size_t len, int *done);
#define PK_NP_RAW_MIN 65536 /* smaller data is copied twice: it costs little */
/* Makes s (a stack or memo slot) what Python has there: the bytes of a
 * PKN_RAWDATA array, a PKN_RAWSTATE tuple holding bytes. */
int pk_np_materialize(pk_dec *d, pk_slot *s);
int pk_np_link_slow(pk_dec *d, pk_slot *s);

/* A slot linked into a container (or used as a callable): a waiting
 * _reconstruct model there can no longer be replaced, so it stays a
 * model; an array standing for bytes becomes the bytes. The slot is one of
 * d->stack's. */
static inline int pk_np_link(pk_dec *d, const pk_slot *s)
{
    if (s->node && (d->nodes[s->node].flags & (PKN_NDARRAY | PKN_RAWDATA | PKN_RAWSTATE)))
        return pk_np_link_slow(d, (pk_slot *)s);
    return BRINE_OK;
}

/* The global's name "module.qualname" in d->name, as models are named. */
size_t pk_global_name(pk_dec *d, const brine_value *v);

/* Fills the error for the opcode at d->op_off; returns code. */
int pk_fail(pk_dec *d, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The error of a value-API call made for the opcode at op_off. */
int pk_api_fail(pk_dec *d, const brine_error *e);

/* BRINE_E_DEPTH, in the words of every decoder. */
int pk_depth_fail(pk_dec *d);

/* A slot for a new value; containers get a node of height 1. */
int pk_slot_make(pk_dec *d, brine_value *v, pk_slot *out);

/* The nesting height of a slot's container (0 for a scalar). */
size_t pk_height(const pk_dec *d, const pk_slot *s);

/* Records that a value of height h now sits `levels` below container c. */
int pk_nest(pk_dec *d, const pk_slot *c, size_t h, size_t levels);

/* Pushes a slot already made (a memo entry, a DUP). */
int pk_push_slot(pk_dec *d, pk_slot s);

/* Pushes a value just made; NULL means the constructor failed with e. */
int pk_push(pk_dec *d, brine_value *v, const brine_error *e);

/* 1 if every byte is below 0x80. */
int pk_is_ascii(const unsigned char *s, size_t len);

/* A str from UTF-8 at s (an offset into the input when from_input). */
int pk_push_str(pk_dec *d, const unsigned char *s, size_t len, int from_input);

/* An int, None, True or False: the value made for an equal one before
 * when the cache has it. */
int pk_push_int(pk_dec *d, int64_t i);
int pk_push_const(pk_dec *d, unsigned op); /* PKOP_NONE, PKOP_NEWTRUE, PKOP_NEWFALSE */
void pk_cache_free(pk_dec *d);

/* Python 2 str: str if ASCII (pickle.loads' default encoding), else bytes. */
int pk_push_str2(pk_dec *d, const unsigned char *s, size_t len);

/* GLOBAL, STACK_GLOBAL: a pickle.global(module, qualname) model, with the
 * Python 2 renames Python 3 applies to protocols 0-2. */
int pk_push_global(pk_dec *d, const char *mod, size_t mod_len, const char *name, size_t name_len);

/* A tuple of the values first .. first+n-1 of the stack. */
brine_value *pk_tuple_of(pk_dec *d, size_t first, size_t n, size_t *height, brine_error *e);

/* Replaces stack[first..count) with one new container of the given height. */
int pk_replace(pk_dec *d, size_t first, brine_value *v, size_t height, const brine_error *e);

/* A model name args: models a call whose callable and args tuple are known. */
brine_value *pk_model(pk_dec *d, const char *name, size_t len, brine_value *args, brine_error *e);

/* ([items],): the args of a set or frozenset model. */
brine_value *pk_set_model(pk_dec *d, const char *name, size_t first, size_t n, size_t *height, brine_error *e);

/* The value of calling callable (a stack slot) with the args tuple: a
 * model, or one of the exact builtin forms of docs/pickle.md. */
brine_value *pk_call(pk_dec *d, const pk_slot *callable, const pk_slot *args, size_t *height, brine_error *e);

/* NEWOBJ and NEWOBJ_EX: cls.__new__(cls, *args, **kwargs). */
brine_value *pk_newobj(pk_dec *d, const pk_slot *cls, const pk_slot *args, const pk_slot *kwargs, size_t *height,
                       brine_error *e);

/* APPEND(S): items first..first+n-1 of the stack into the list or model at
 * target. */
int pk_append(pk_dec *d, const pk_slot *target, size_t first, size_t n);

/* SETITEM(S): n/2 key, value pairs from first into the dict or model. */
int pk_setitems(pk_dec *d, const pk_slot *target, size_t first, size_t n);

/* BUILD: the state of the model on top. */
int pk_build(pk_dec *d, const pk_slot *target, const pk_slot *state);

/* ADDITEMS: into a set model's list. */
int pk_additems(pk_dec *d, const pk_slot *target, size_t first, size_t n);

/* pickletools' name of an opcode, for messages ("opcode" if unknown). */
const char *pk_opname(unsigned op);

#endif /* BRINE_PICKLE_READER_H */
