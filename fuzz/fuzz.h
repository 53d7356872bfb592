/* fuzz.h: what the libFuzzer harnesses share: a registry holding the
 * formats linked into the harness (no dlopen, so that every plugin is
 * instrumented and symbolized like the core), the option sets each format
 * is fuzzed under, and the checks that turn a broken promise of the API
 * into an abort libFuzzer reports. Built by fuzz/build.sh only. */
#ifndef BRINE_FUZZ_H
#define BRINE_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

const brine_plugin *native_LTX_brine_plugin_entry(void);
const brine_plugin *msgpack_LTX_brine_plugin_entry(void);
const brine_plugin *json_LTX_brine_plugin_entry(void);
const brine_plugin *jsonl_LTX_brine_plugin_entry(void);
const brine_plugin *bencode_LTX_brine_plugin_entry(void);
const brine_plugin *pickle_LTX_brine_plugin_entry(void);
const brine_plugin *npy_LTX_brine_plugin_entry(void);
const brine_plugin *npz_LTX_brine_plugin_entry(void);
const brine_plugin *joblib_LTX_brine_plugin_entry(void);
const brine_plugin *cbor_LTX_brine_plugin_entry(void);
const brine_plugin *yaml_LTX_brine_plugin_entry(void);

/* The most option names one set passes. */
#define FZ_MAX_ITEMS 4

/* One way to decode a format, and (for round trips) the encoder options that
 * must write back what that decoding read. */
typedef struct fz_optset {
    size_t max_depth; /* 0: the default limit */
    const char *decode[FZ_MAX_ITEMS];
    const char *encode[FZ_MAX_ITEMS];
    /* The encoder refuses NaN and infinities (BRINE_E_UNSUPPORTED) that
     * the decoder reads, like Python's json with allow_nan=False: JSON's
     * plain mode reads 1e400 as inf but has no way to write it. */
    int refuses_nonfinite;
} fz_optset;

typedef struct fz_format {
    const char *name;
    const fz_optset *sets;
    size_t set_count;
} fz_format;

/* Every decode option of a format appears in some set; the sets pair
 * encode options that keep the graph equal through a round trip (sort_keys
 * is left out: it reorders dicts, and dicts compare in order). */
static const fz_optset fz_native_sets[] = {
    {0, {NULL}, {NULL}},
    {8, {NULL}, {NULL}},
};
static const fz_optset fz_msgpack_sets[] = {
    {0, {NULL}, {NULL}},
    {0, {"refs"}, {"refs"}},
    {0, {"plain"}, {"plain"}},
    {8, {"sequence", "invalid_utf8=bytes", "refs"}, {"sequence", "refs"}},
    /* #20: arrays as msgpack-numpy maps. */
    {0, {"numpy", "refs"}, {"numpy", "refs"}},
};
static const fz_optset fz_json_sets[] = {
    {0, {NULL}, {"pretty", "ascii"}},
    {0, {"refs"}, {"refs"}},
    {0, {"plain"}, {"plain"}, 1},
    {8, {"lines", "replace_invalid", "refs"}, {"lines", "refs"}},
    /* #17: the envelope always, and 0.1's tagged files. */
    {0, {"refs"}, {"tagged", "refs"}},
    {0, {"legacy_tags", "refs"}, {"tagged", "refs"}},
};
/* #17: JSON Lines, the json plugin with lines on by default. */
static const fz_optset fz_jsonl_sets[] = {
    {0, {NULL}, {NULL}},
    {0, {"refs"}, {"refs"}},
    {8, {"replace_invalid"}, {"tagged"}},
    {0, {"lines=0", "legacy_tags"}, {"lines=0", "tagged"}},
};
static const fz_optset fz_bencode_sets[] = {
    {0, {NULL}, {NULL}},
    {8, {"bytes"}, {NULL}},
    {0, {"max_digits=30"}, {"max_digits=30"}},
};

/* Protocols 2 and 3 reach a nested global through getattr, which reads
 * back as a builtins.getattr model (docs/pickle.md, known inexactness), so
 * the round trips use the protocols that write every graph exactly. */
static const fz_optset fz_pickle_sets[] = {
    {0, {NULL}, {NULL}},
    {8, {NULL}, {"protocol=5"}},
};

/* #20: numpy's files; npz also written deflated. */
static const fz_optset fz_npy_sets[] = {
    {0, {NULL}, {NULL}},
};
static const fz_optset fz_npz_sets[] = {
    {0, {NULL}, {NULL}},
    {0, {NULL}, {"compress=1"}},
};

/* #22: joblib, the pickle machine with arrays' bytes after their wrappers. */
static const fz_optset fz_joblib_sets[] = {
    {0, {NULL}, {NULL}},
    {8, {NULL}, {"protocol=5", "mmap=no"}},
};

/* #24: CBOR; tags 28/29 are always read. plain is left out: its output is
 * lossy by design (tuples as arrays, arrays as nested lists); so is
 * canonical, which reorders dicts (like sort_keys), and so is
 * invalid_utf8=bytes, which writes a text string back as a byte string:
 * under tags 2/3, 40 and 64..87 that makes a bignum or a typed array of
 * what was a tag around text (docs/cbor.md; test_cbor covers the option). */
static const fz_optset fz_cbor_sets[] = {
    {0, {NULL}, {"refs"}},
    {8, {"sequence"}, {"sequence", "refs"}},
};

/* #24: YAML, one document and a stream; flow style writes back the same. */
static const fz_optset fz_yaml_sets[] = {
    {0, {NULL}, {NULL}},
    {0, {"stream"}, {"stream"}},
    {8, {NULL}, {"flow", "indent=4"}},
};

#define FZ_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const fz_format fz_formats[] = {
    {"native", fz_native_sets, FZ_COUNT(fz_native_sets)}, {"msgpack", fz_msgpack_sets, FZ_COUNT(fz_msgpack_sets)},
    {"json", fz_json_sets, FZ_COUNT(fz_json_sets)},       {"bencode", fz_bencode_sets, FZ_COUNT(fz_bencode_sets)},
    {"pickle", fz_pickle_sets, FZ_COUNT(fz_pickle_sets)}, {"jsonl", fz_jsonl_sets, FZ_COUNT(fz_jsonl_sets)},
    {"npy", fz_npy_sets, FZ_COUNT(fz_npy_sets)},          {"npz", fz_npz_sets, FZ_COUNT(fz_npz_sets)},
    {"joblib", fz_joblib_sets, FZ_COUNT(fz_joblib_sets)},
    {"cbor", fz_cbor_sets, FZ_COUNT(fz_cbor_sets)},
    {"yaml", fz_yaml_sets, FZ_COUNT(fz_yaml_sets)},
};

/* Prints why and aborts: libFuzzer saves the input as a crash. */
#define FZ_FAIL(...)                                                                                                   \
    do {                                                                                                               \
        fprintf(stderr, "fuzz: " __VA_ARGS__);                                                                         \
        fputc('\n', stderr);                                                                                           \
        abort();                                                                                                       \
    } while (0)

/* The registry with every linked format, made once per process. */
static inline brine_registry *fz_registry(void)
{
    static brine_registry *reg;
    if (reg)
        return reg;
    brine_error err;
    brine_error_clear(&err);
    reg = brine_registry_new(&err);
    if (!reg || brine_registry_add(reg, native_LTX_brine_plugin_entry(), "linked", &err) ||
        brine_registry_add(reg, msgpack_LTX_brine_plugin_entry(), "linked", &err) ||
        brine_registry_add(reg, json_LTX_brine_plugin_entry(), "linked", &err) ||
        brine_registry_add(reg, jsonl_LTX_brine_plugin_entry(), "linked", &err) ||
        brine_registry_add(reg, bencode_LTX_brine_plugin_entry(), "linked", &err) ||
        brine_registry_add(reg, pickle_LTX_brine_plugin_entry(), "linked", &err) ||
        brine_registry_add(reg, npy_LTX_brine_plugin_entry(), "linked", &err) ||
        brine_registry_add(reg, npz_LTX_brine_plugin_entry(), "linked", &err) ||
        brine_registry_add(reg, joblib_LTX_brine_plugin_entry(), "linked", &err) ||
        brine_registry_add(reg, cbor_LTX_brine_plugin_entry(), "linked", &err) ||
        brine_registry_add(reg, yaml_LTX_brine_plugin_entry(), "linked", &err))
        FZ_FAIL("cannot set up the registry: %s", err.message);
    return reg;
}

static inline const fz_format *fz_format_named(const char *name)
{
    for (size_t i = 0; i < FZ_COUNT(fz_formats); i++)
        if (strcmp(fz_formats[i].name, name) == 0)
            return &fz_formats[i];
    FZ_FAIL("no option sets for format %s", name);
}

static inline const brine_plugin *fz_plugin(const char *name)
{
    const brine_plugin *p = brine_registry_find(fz_registry(), name);
    if (!p)
        FZ_FAIL("format %s is not linked in", name);
    return p;
}

/* Fills opts from a NULL-terminated list of names. */
static inline const brine_options *fz_options(brine_options *opts, size_t max_depth, const char *const *items)
{
    size_t count = 0;
    while (count < FZ_MAX_ITEMS && items[count])
        count++;
    /* Whole: fields after items (limits, sort_keys) are 0, their defaults. */
    *opts = (brine_options){.max_depth = max_depth, .count = count, .items = items};
    return opts;
}

/* What every failed call must leave in err: a real code, a message, an
 * offset inside the input (or none) and a path that starts at the root. */
static inline void fz_check_error(const char *what, const brine_error *err, size_t input_len)
{
    if (err->code <= BRINE_OK || err->code > BRINE_E_MODEL)
        FZ_FAIL("%s failed with code %d", what, err->code);
    if (err->code == BRINE_E_INVALID || err->code == BRINE_E_PLUGIN || err->code == BRINE_E_OPTION)
        FZ_FAIL("%s blamed the caller or the plugin (%s): %s", what, brine_strerror(err->code), err->message);
    if (!err->message[0] || memchr(err->message, 0, sizeof err->message) == NULL)
        FZ_FAIL("%s failed (%s) without a message", what, brine_strerror(err->code));
    if (memchr(err->path, 0, sizeof err->path) == NULL || (err->path[0] && err->path[0] != '$'))
        FZ_FAIL("%s failed with a malformed path: %.40s", what, err->path);
    if (err->offset != BRINE_NO_OFFSET && err->offset > input_len)
        FZ_FAIL("%s failed at offset %llu past the input's %zu bytes: %s", what, (unsigned long long)err->offset,
                input_len, err->message);
}

/* A sink that only looks for non-finite floats and complex parts, for
 * references (shared containers) and for models. */
typedef struct fz_float_finder {
    brine_sink sink;
    int found;
    int shared;
    int model;
} fz_float_finder;

static inline int fz_finite(double d)
{
    return d - d == 0.0; /* NaN and infinities give NaN */
}

static inline int fz_find_event(brine_sink *self, const brine_event *ev)
{
    fz_float_finder *f = (fz_float_finder *)self;
    if (ev->kind == BRINE_EV_FLOAT && !fz_finite(ev->v.f))
        f->found = 1;
    if (ev->kind == BRINE_EV_COMPLEX && !(fz_finite(ev->v.c.re) && fz_finite(ev->v.c.im)))
        f->found = 1;
    if (ev->kind == BRINE_EV_REF)
        f->shared = 1;
    if (ev->kind == BRINE_EV_MODEL)
        f->model = 1;
    return BRINE_OK;
}

static inline int fz_find_finish(brine_sink *self)
{
    (void)self;
    return BRINE_OK;
}

static inline void fz_find_destroy(brine_sink *self)
{
    (void)self;
}

/* What a walk of v finds: a NaN or an infinity anywhere, a shared
 * container, a model. */
static inline fz_float_finder fz_scan(const brine_value *v)
{
    fz_float_finder f = {{fz_find_event, fz_find_finish, fz_find_destroy, BRINE_SINK_REFS, NULL}, 0, 0, 0};
    /* No depth limit of its own: arrays reach this sink as nested lists
     * (it looks inside them for NaNs), one level a dimension, past the
     * depth the decoder allowed. */
    if (brine_walk(v, &f.sink, (size_t)1 << 20, NULL) != BRINE_OK)
        FZ_FAIL("walking a decoded graph failed");
    return f;
}

/* 1 if v holds a NaN or an infinity anywhere. */
static inline int fz_has_nonfinite(const brine_value *v)
{
    return fz_scan(v).found;
}

/* Things any decoded graph must survive: printing, counting, and a copy that
 * compares equal to it. */
static inline void fz_exercise_graph(const brine_value *v)
{
    brine_error err;
    brine_error_clear(&err);
    size_t need = brine_value_repr(v, NULL, 0, 0, &err);
    /* Printing writes a shared container out again wherever it is
     * referenced, deeper than the decoder placed it, or many times over: a
     * graph with references may be refused, cleanly, by the depth limit or
     * the repetition budget. Any other graph must print. */
    if (need == (size_t)-1 && !((err.code == BRINE_E_DEPTH || err.code == BRINE_E_RANGE) && fz_scan(v).shared))
        FZ_FAIL("repr of a decoded graph failed: %s", err.message);
    size_t count, depth;
    brine_error_clear(&err);
    if (brine_value_stats(v, 0, &count, &depth, &err) != BRINE_OK)
        FZ_FAIL("stats of a decoded graph failed: %s", err.message);
    brine_doc *doc = brine_doc_new();
    if (!doc)
        FZ_FAIL("out of memory");
    brine_error_clear(&err);
    brine_value *copy = brine_value_copy(doc, v, 0, &err);
    if (!copy)
        FZ_FAIL("copy of a decoded graph failed: %s", err.message);
    brine_error_clear(&err);
    int eq = brine_value_equal(v, copy, 0, &err);
    if (eq != 1)
        FZ_FAIL("a copy differs from its original (%d: %s)", eq, err.message);
    brine_doc_free(doc);
}

#endif /* BRINE_FUZZ_H */
