/* model.c: registered model types, and saving and loading their objects
 * (<brine/model.h>). A saved object is the model value T((version,),
 * state=S); this file turns objects into such values and back through the
 * type's callbacks, checks versions and strictness, and picks formats by
 * extension or by sniffing. Encoding and decoding are codec.c's; files
 * (atomic replacement, format by extension or sniffing) are file.c's,
 * shared with brine_save_file and brine_load_file.
 *
 * The set keeps its types sorted by name in an array of pointers to copies,
 * so lookups are a binary search and the copies never move. */
#include <stdio.h>
#include <string.h>

#include "file.h"
#include "internal.h"
#include "brine/model.h"

typedef struct model_entry {
    brine_model_type type; /* type.name points at name */
    size_t name_len;
    char name[];
} model_entry;

struct brine_models {
    model_entry **entries; /* sorted by name, bytewise */
    size_t count;
    size_t cap;
    int strict;
};

/* ---- names ---------------------------------------------------------------- */

/* Orders (a, alen) against (b, blen) bytewise, shorter first on a tie. */
static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* The entry called (name, len), or NULL; *at receives where it is or would
 * go. */
static model_entry *lookup(const brine_models *models, const char *name, size_t len, size_t *at)
{
    size_t lo = 0, hi = models ? models->count : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        model_entry *e = models->entries[mid];
        int c = name_cmp(name, len, e->name, e->name_len);
        if (c == 0) {
            if (at)
                *at = mid;
            return e;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (at)
        *at = lo;
    return NULL;
}

/* A type name from a file, fit to quote in a message: cut at 80 bytes on a
 * character boundary, control bytes shown as '?', so that a hostile name
 * cannot forge lines in a log. */
static const char *printable(const char *name, size_t len, char buf[96])
{
    size_t n = len > 80 ? 80 : len;
    while (n < len && n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
        n--;
    for (size_t i = 0; i < n; i++)
        buf[i] = ((unsigned char)name[i] < 0x20 || name[i] == 0x7F) ? '?' : name[i];
    if (n < len)
        memcpy(buf + n, "...", 4);
    else
        buf[n] = '\0';
    return buf;
}

static void set_path(brine_error *err, const char *path)
{
    if (err && err->path[0] == '\0')
        snprintf(err->path, sizeof err->path, "%s", path);
}

/* ---- the set ---------------------------------------------------------------- */

brine_models *brine_models_new(brine_error *err)
{
    brinep_enter(err);
    brine_models *models = brine_malloc(sizeof *models);
    if (!models) {
        brinep_nomem(err);
        return NULL;
    }
    memset(models, 0, sizeof *models);
    return models;
}

void brine_models_free(brine_models *models)
{
    if (!models)
        return;
    for (size_t i = 0; i < models->count; i++)
        brine_free(models->entries[i]);
    brine_free(models->entries);
    brine_free(models);
}

/* An entry brine_models_allow added: a name without callbacks. */
static int allow_only(const model_entry *e)
{
    return e && !e->type.to_state;
}

/* The registered type called (name, len): one with callbacks. */
static model_entry *registered(const brine_models *models, const char *name, size_t len)
{
    model_entry *e = lookup(models, name, len, NULL);
    return allow_only(e) ? NULL : e;
}

/* Inserts an entry for (name, len) at position at of the sorted set, with
 * type's callbacks (NULL: an allowed name without callbacks). */
static int insert_entry(brine_models *models, size_t at, const char *name, size_t len, const brine_model_type *type,
                        brine_error *err)
{
    if (models->count == models->cap) {
        size_t cap = models->cap ? models->cap * 2 : 8;
        model_entry **entries = brine_realloc(models->entries, cap * sizeof *entries);
        if (!entries)
            return brinep_nomem(err);
        models->entries = entries;
        models->cap = cap;
    }
    model_entry *e = brine_malloc(sizeof *e + len + 1);
    if (!e)
        return brinep_nomem(err);
    if (type)
        e->type = *type;
    else
        memset(&e->type, 0, sizeof e->type);
    e->name_len = len;
    memcpy(e->name, name, len + 1);
    e->type.name = e->name;
    memmove(models->entries + at + 1, models->entries + at, (models->count - at) * sizeof *models->entries);
    models->entries[at] = e;
    models->count++;
    return BRINE_OK;
}

int brine_models_register(brine_models *models, const brine_model_type *type, brine_error *err)
{
    brinep_enter(err);
    if (!models || !type)
        return brine_error_set(err, BRINE_E_INVALID, "brine_models_register needs a set and a type");
    if (!type->name || !type->name[0])
        return brine_error_set(err, BRINE_E_INVALID, "a model type needs a name");
    size_t len = strlen(type->name);
    if (brine_utf8_check(type->name, len) != len)
        return brine_error_set(err, BRINE_E_INVALID, "the model type name is not valid UTF-8");
    char shown[96];
    if (!type->to_state || !type->from_state || !type->destroy)
        return brine_error_set(err, BRINE_E_INVALID, "model type '%s' needs to_state, from_state and destroy",
                               printable(type->name, len, shown));
    size_t at;
    model_entry *old = lookup(models, type->name, len, &at);
    if (allow_only(old)) {
        /* Allowed first, registered now: the callbacks take over. */
        old->type = *type;
        old->type.name = old->name;
        return BRINE_OK;
    }
    if (old)
        return brine_error_set(err, BRINE_E_INVALID, "model type '%s' is already registered",
                               printable(type->name, len, shown));
    return insert_entry(models, at, type->name, len, type, err);
}

int brine_models_allow(brine_models *models, const char *name, brine_error *err)
{
    brinep_enter(err);
    if (!models || !name || !name[0])
        return brine_error_set(err, BRINE_E_INVALID, "brine_models_allow needs a set and a name");
    size_t len = strlen(name), at;
    if (brine_utf8_check(name, len) != len)
        return brine_error_set(err, BRINE_E_INVALID, "the model type name is not valid UTF-8");
    if (lookup(models, name, len, &at))
        return BRINE_OK; /* registered or allowed already: allowed */
    return insert_entry(models, at, name, len, NULL, err);
}

const brine_model_type *brine_models_find(const brine_models *models, const char *name)
{
    if (!models || !name)
        return NULL;
    model_entry *e = registered(models, name, strlen(name));
    return e ? &e->type : NULL;
}

void brine_models_set_strict(brine_models *models, int strict)
{
    if (models)
        models->strict = strict != 0;
}

int brine_models_strict(const brine_models *models)
{
    return models ? models->strict : 0;
}

/* ---- callbacks' errors ------------------------------------------------------ */

/* Passes on what a callback reported in cb: its code, message and path, the
 * path moved under base ("$.state"), since a callback's "$" is the value it
 * was given. A callback that failed without a word gets code and what. */
static int callback_failed(brine_error *err, const brine_error *cb, const char *base, int code, const char *what,
                           const char *type_name)
{
    if (cb->code == BRINE_OK) {
        brine_error_set(err, code, "%s of model type '%s' failed without saying why", what, type_name);
        set_path(err, base);
        return code;
    }
    if (err && err->code == BRINE_OK) {
        *err = *cb;
        const char *rest = cb->path[0] == '$' ? cb->path + 1 : "";
        snprintf(err->path, sizeof err->path, "%s%s", base, rest);
    }
    return cb->code;
}

/* ---- objects to values ------------------------------------------------------ */

brine_value *brine_model_to_value(const brine_models *models, brine_doc *doc, const char *type_name, const void *obj,
                                  brine_error *err)
{
    brinep_enter(err);
    if (!models || !doc || !type_name) {
        brine_error_set(err, BRINE_E_INVALID, "brine_model_to_value needs a set, a document and a type name");
        return NULL;
    }
    char shown[96];
    size_t name_len = strlen(type_name);
    model_entry *e = registered(models, type_name, name_len);
    if (!e) {
        brine_error_set(err, BRINE_E_MODEL, "model type '%s' is not registered", printable(type_name, name_len, shown));
        return NULL;
    }
    brine_value *model = brine_model_new(doc, e->name, e->name_len, err);
    brine_value *args = model ? brine_tuple_new(doc, err) : NULL;
    brine_value *version = args ? brine_uint_new(doc, e->type.version, err) : NULL;
    if (!version || brine_seq_append(args, version, err) || brine_model_set_args(model, args, err))
        return NULL;
    brine_error cb;
    brine_error_clear(&cb);
    brine_value *state = e->type.to_state(obj, doc, &cb);
    if (!state) {
        callback_failed(err, &cb, "$.state", BRINE_E_MODEL, "to_state", e->name);
        return NULL;
    }
    if (brine_model_set_state(model, state, err))
        return NULL;
    return model;
}

/* ---- values to objects ------------------------------------------------------ */

/* A global used as a value (a class passed as an argument: the pickle
 * reader's model pickle.global, args (module, qualname), docs/pickle.md) is
 * checked by the name it stands for, as the pickle plugin's allow= does:
 * "module.name", or "module:Outer.Inner" for a nested qualname. Allowing
 * "pickle.global" itself would admit every global; a real scikit-learn
 * tree names numpy.ndarray so (issue #19). */
#define GLOBAL_MODEL "pickle.global"

typedef struct strict_sink {
    brine_sink sink;
    const brine_models *models;
    int global_step; /* events of a pickle.global's args seen + 1; 0: none open */
    size_t module_len;
    char name[256]; /* the module, then the whole name */
} strict_sink;

static int strict_refuse(brine_sink *sink, int global, const char *name, size_t len)
{
    char shown[96];
    return brine_error_set(sink->err, BRINE_E_MODEL,
                           global ? "global '%s' is not allowed (brine_models_allow lists what is)"
                                  : "model type '%s' is not registered",
                           printable(name, len, shown));
}

/* The events of a pickle.global's args: TUPLE, STR module, STR qualname. */
static int strict_global(strict_sink *s, const brine_event *ev)
{
    int step = s->global_step++;
    const char *sep = ".";
    if (step == 1 && ev->kind == BRINE_EV_TUPLE && ev->v.count == 2)
        return BRINE_OK;
    if (step == 2 && ev->kind == BRINE_EV_STR && ev->v.s.len < sizeof s->name / 2) {
        memcpy(s->name, ev->v.s.ptr, ev->v.s.len);
        s->module_len = ev->v.s.len;
        return BRINE_OK;
    }
    s->global_step = 0;
    if (step != 3 || ev->kind != BRINE_EV_STR || ev->v.s.len >= sizeof s->name / 2)
        return strict_refuse(&s->sink, 0, GLOBAL_MODEL, strlen(GLOBAL_MODEL));
    if (memchr(ev->v.s.ptr, '.', ev->v.s.len))
        sep = ":";
    size_t len = s->module_len;
    s->name[len++] = *sep;
    memcpy(s->name + len, ev->v.s.ptr, ev->v.s.len);
    len += ev->v.s.len;
    return lookup(s->models, s->name, len, NULL) ? BRINE_OK : strict_refuse(&s->sink, 1, s->name, len);
}

static int strict_event(brine_sink *sink, const brine_event *ev)
{
    strict_sink *s = (strict_sink *)sink;
    if (s->global_step)
        return strict_global(s, ev);
    if (ev->kind != BRINE_EV_MODEL || lookup(s->models, ev->v.s.ptr, ev->v.s.len, NULL))
        return BRINE_OK;
    if (ev->v.s.len == strlen(GLOBAL_MODEL) && memcmp(ev->v.s.ptr, GLOBAL_MODEL, ev->v.s.len) == 0) {
        s->global_step = 1;
        return BRINE_OK;
    }
    return strict_refuse(sink, 0, ev->v.s.ptr, ev->v.s.len);
}

/* Refuses the first model in v whose type is not registered, with its path.
 * The walker visits a shared container once and follows no cycle, at the
 * cost of a counting pass; it also bounds the depth. */
static int check_strict(const brine_models *models, const brine_value *v, brine_error *err)
{
    strict_sink s;
    memset(&s, 0, sizeof s);
    s.sink.event = strict_event;
    s.sink.flags = BRINE_SINK_REFS;
    s.sink.err = err;
    s.models = models;
    return brine_walk(v, &s.sink, 0, err);
}

/* The version in a saved model's args (version,). */
static int saved_version(const brine_value *model, const char *type_name, uint32_t *out, brine_error *err)
{
    const brine_value *args = brine_model_args(model);
    size_t count = brine_seq_count(args);
    if (count != 1) {
        brine_error_set(err, BRINE_E_MODEL, "a saved %s model has the args (version,), not %zu values", type_name,
                        count);
        set_path(err, "$.args");
        return BRINE_E_MODEL;
    }
    uint64_t version;
    const brine_value *v = brine_seq_get(args, 0);
    if (brine_type_of(v) != BRINE_INT || brine_int_get_u64(v, &version) != BRINE_OK || version > UINT32_MAX) {
        brine_error_set(err, BRINE_E_MODEL, "the version of a saved %s model must be an int from 0 to 4294967295",
                        type_name);
        set_path(err, "$.args[0]");
        return BRINE_E_MODEL;
    }
    *out = (uint32_t)version;
    return BRINE_OK;
}

/* The object for model v of the registered entry e: version check, upgrade,
 * from_state. */
static int build_object(const brine_models *models, const model_entry *e, const brine_value *v, void **obj,
                        uint32_t *version_out, brine_error *err)
{
    uint32_t version;
    int rc;
    if ((rc = saved_version(v, e->name, &version, err)))
        return rc;
    if (models->strict && (rc = check_strict(models, v, err)))
        return rc;
    *version_out = version;
    const brine_value *state = brine_model_state(v);
    brine_error cb;
    brine_error_clear(&cb);
    if (version > e->type.version) {
        brine_error_set(err, BRINE_E_VERSION, "%s version %lu is newer than version %lu, the newest this program reads",
                        e->name, (unsigned long)version, (unsigned long)e->type.version);
        set_path(err, "$.args[0]");
        return BRINE_E_VERSION;
    }
    if (version < e->type.version) {
        if (!e->type.upgrade) {
            brine_error_set(err, BRINE_E_VERSION,
                            "%s version %lu is older than version %lu and the type has no upgrade", e->name,
                            (unsigned long)version, (unsigned long)e->type.version);
            set_path(err, "$.args[0]");
            return BRINE_E_VERSION;
        }
        state = e->type.upgrade(brine_value_doc(v), state, version, &cb);
        if (!state)
            return callback_failed(err, &cb, "$.state", BRINE_E_VERSION, "upgrade", e->name);
    }
    *obj = e->type.from_state(state, &cb);
    if (!*obj)
        return callback_failed(err, &cb, "$.state", BRINE_E_MODEL, "from_state", e->name);
    return BRINE_OK;
}

/* Names the model type of v for a message. */
static const char *model_shown(const brine_value *v, char buf[96])
{
    size_t len;
    const char *name = brine_model_name(v, &len);
    return printable(name, len, buf);
}

/* Finds the entry for model v, which must be expected_type when that is
 * given. */
static int entry_for(const brine_models *models, const brine_value *v, const char *expected_type, model_entry **out,
                     brine_error *err)
{
    char shown[96], wanted[96];
    size_t len;
    const char *name = brine_model_name(v, &len);
    if (expected_type && name_cmp(name, len, expected_type, strlen(expected_type)) != 0) {
        brine_error_set(err, BRINE_E_MODEL, "expected a model of type '%s', found a model of type '%s'",
                        printable(expected_type, strlen(expected_type), wanted), model_shown(v, shown));
        set_path(err, "$");
        return BRINE_E_MODEL;
    }
    *out = registered(models, name, len);
    if (!*out) {
        brine_error_set(err, BRINE_E_MODEL, "model type '%s' is not registered", model_shown(v, shown));
        set_path(err, "$");
        return BRINE_E_MODEL;
    }
    return BRINE_OK;
}

int brine_model_from_value(const brine_models *models, const brine_value *v, const char *expected_type, void **obj,
                           const brine_model_type **type, brine_error *err)
{
    brinep_enter(err);
    if (obj)
        *obj = NULL;
    if (type)
        *type = NULL;
    if (!models || !v || !obj)
        return brine_error_set(err, BRINE_E_INVALID, "brine_model_from_value needs a set, a value and an out pointer");
    if (brine_type_of(v) != BRINE_MODEL) {
        brine_error_set(err, BRINE_E_TYPE, "expected a model, found a value of type %s",
                        brine_type_name(brine_type_of(v)));
        set_path(err, "$");
        return BRINE_E_TYPE;
    }
    model_entry *e;
    uint32_t version;
    int rc = entry_for(models, v, expected_type, &e, err);
    if (rc == BRINE_OK)
        rc = build_object(models, e, v, obj, &version, err);
    if (rc == BRINE_OK && type)
        *type = &e->type;
    return rc;
}

/* ---- saving ------------------------------------------------------------------- */

/* *with: opts, plus, when fmt takes an "allow" option for encoding (pickle:
 * the types a file may name), "allow=" every registered and allowed type,
 * so that a program may write what it registered (<brine/pickle.h>). */
static int allow_registered(const brine_models *models, const brine_plugin *fmt, const brine_options *opts,
                            brine_options *with, char **allow, const char ***items, brine_error *err)
{
    memset(with, 0, sizeof *with);
    if (opts)
        *with = *opts;
    int takes = 0;
    for (const brine_option_spec *o = fmt->options; o && o->name; o++)
        takes |= strcmp(o->name, "allow") == 0 && (o->flags & BRINE_OPT_ENCODE);
    if (!takes || !models->count)
        return BRINE_OK;
    size_t len = sizeof "allow=";
    for (size_t i = 0; i < models->count; i++)
        len += models->entries[i]->name_len + 1;
    size_t count = opts ? opts->count : 0;
    if (!(*allow = brine_malloc(len)) || !(*items = brine_malloc((count + 1) * sizeof **items)))
        return brinep_nomem(err);
    char *p = *allow + 6;
    memcpy(*allow, "allow=", 6);
    for (size_t i = 0; i < models->count; i++) {
        const model_entry *e = models->entries[i];
        if (memchr(e->name, ',', e->name_len))
            continue; /* no such name is a pickle global */
        memcpy(p, e->name, e->name_len);
        p += e->name_len;
        *p++ = ',';
    }
    *p = 0;
    for (size_t i = 0; i < count; i++)
        (*items)[i] = opts->items[i];
    (*items)[count] = *allow;
    with->count = count + 1;
    with->items = *items;
    return BRINE_OK;
}

int brine_model_save(const brine_models *models, const brine_plugin *fmt, const char *type_name, const void *obj,
                     brine_output *out, const brine_options *opts, brine_error *err)
{
    brinep_enter(err);
    if (!models || !fmt || !type_name || !out)
        return brine_error_set(err, BRINE_E_INVALID,
                               "brine_model_save needs a set, a format, a type name and an output");
    brine_doc *doc = brine_doc_new();
    if (!doc)
        return brinep_nomem(err);
    brine_doc_set_max_depth(doc, brine_options_max_depth(opts));
    brine_value *v = brine_model_to_value(models, doc, type_name, obj, err);
    int rc = v ? BRINE_OK : (err && err->code ? err->code : BRINE_E_MODEL);
    brine_options with;
    char *allow = NULL;
    const char **items = NULL;
    if (rc == BRINE_OK && (rc = allow_registered(models, fmt, opts, &with, &allow, &items, err)) == BRINE_OK)
        rc = brine_encode(fmt, v, out, &with, err);
    brine_free(items);
    brine_free(allow);
    brine_doc_free(doc);
    return rc;
}

/* The format called name (for_encode: able to encode, else to decode). */
static const brine_plugin *format_named(const brine_registry *formats, const char *name, brine_error *err)
{
    const brine_plugin *fmt = brine_registry_find(formats, name);
    if (!fmt)
        brine_error_set(err, BRINE_E_NOTFOUND, "no format called '%s'", name);
    return fmt;
}

int brine_model_save_buffer(const brine_models *models, const brine_registry *formats, const char *format,
                            const char *type_name, const void *obj, const brine_options *opts, void **data, size_t *len,
                            brine_error *err)
{
    brinep_enter(err);
    if (data)
        *data = NULL;
    if (!formats || !format || !data || !len)
        return brine_error_set(err, BRINE_E_INVALID,
                               "brine_model_save_buffer needs formats, a format name and "
                               "somewhere to put the bytes");
    const brine_plugin *fmt = format_named(formats, format, err);
    if (!fmt)
        return BRINE_E_NOTFOUND;
    brine_output out;
    int rc = brine_output_init_buffer(&out, err);
    if (rc == BRINE_OK)
        rc = brine_model_save(models, fmt, type_name, obj, &out, opts, err);
    if (rc == BRINE_OK && !(*data = brine_output_take(&out, len)))
        rc = brinep_nomem(err);
    brine_output_destroy(&out);
    return rc;
}

typedef struct model_save_ctx {
    const brine_models *models;
    const brine_plugin *fmt;
    const char *type_name;
    const void *obj;
    const brine_options *opts;
} model_save_ctx;

static int model_write(brine_output *out, void *ctx, brine_error *err)
{
    const model_save_ctx *c = ctx;
    return brine_model_save(c->models, c->fmt, c->type_name, c->obj, out, c->opts, err);
}

int brine_model_save_file(const brine_models *models, const brine_registry *formats, const char *type_name,
                          const void *obj, const char *path, const brine_options *opts, brine_error *err)
{
    brinep_enter(err);
    if (!models || !formats || !type_name || !path)
        return brine_error_set(err, BRINE_E_INVALID,
                               "brine_model_save_file needs a set, formats, a type name and a path");
    const brine_plugin *fmt = brine_registry_find_extension(formats, path);
    if (!fmt)
        return brine_error_set(err, BRINE_E_NOTFOUND, "no format has the extension of '%s'", path);
    if (!brine_models_find(models, type_name)) {
        char shown[96];
        return brine_error_set(err, BRINE_E_MODEL, "model type '%s' is not registered",
                               printable(type_name, strlen(type_name), shown));
    }
    model_save_ctx c = {models, fmt, type_name, obj, opts};
    return brinep_save_atomic(path, model_write, &c, err);
}

/* ---- loading ------------------------------------------------------------------ */

/* Turns the decoded doc into out->obj (freeing doc) or out->data (keeping
 * it). Frees doc on error. */
static int finish_load(const brine_models *models, brine_doc *doc, const char *expected_type, brine_loaded *out,
                       brine_error *err)
{
    const brine_value *root = brine_doc_root(doc);
    char wanted[96];
    int rc = BRINE_OK;
    if (brine_type_of(root) != BRINE_MODEL) {
        if (expected_type) {
            rc = brine_error_set(err, BRINE_E_TYPE, "expected a model of type '%s', found a value of type %s",
                                 printable(expected_type, strlen(expected_type), wanted),
                                 brine_type_name(brine_type_of(root)));
            set_path(err, "$");
        } else if (models->strict) {
            rc = check_strict(models, root, err);
        }
    } else {
        size_t len;
        const char *name = brine_model_name(root, &len);
        model_entry *e = NULL;
        if (!expected_type && allow_only(lookup(models, name, len, NULL)))
            rc = models->strict ? check_strict(models, root, err) : BRINE_OK; /* allowed: plain data */
        else if (expected_type || lookup(models, name, len, NULL) || models->strict)
            rc = entry_for(models, root, expected_type, &e, err);
        if (e) {
            rc = build_object(models, e, root, &out->obj, &out->saved_version, err);
            if (rc == BRINE_OK)
                out->type = &e->type;
            brine_doc_free(doc);
            return rc;
        }
    }
    if (rc == BRINE_OK)
        out->data = doc;
    else
        brine_doc_free(doc);
    return rc;
}

static int load_args_ok(const brine_models *models, brine_loaded *out, const char *what, brine_error *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!models || !out)
        return brine_error_set(err, BRINE_E_INVALID, "%s needs a set of model types and a result", what);
    return BRINE_OK;
}

int brine_model_load(const brine_models *models, const brine_plugin *fmt, brine_source *src, const char *expected_type,
                     const brine_options *opts, brine_loaded *out, brine_error *err)
{
    brinep_enter(err);
    int rc = load_args_ok(models, out, "brine_model_load", err);
    if (rc)
        return rc;
    brine_doc *doc = brine_decode(fmt, src, opts, err);
    if (!doc)
        return err && err->code ? err->code : BRINE_E_INVALID;
    return finish_load(models, doc, expected_type, out, err);
}

int brine_model_load_buffer(const brine_models *models, const brine_registry *formats, const char *format,
                            const void *data, size_t len, const char *expected_type, const brine_options *opts,
                            brine_loaded *out, brine_error *err)
{
    brinep_enter(err);
    int rc = load_args_ok(models, out, "brine_model_load_buffer", err);
    if (rc)
        return rc;
    if (!formats || (!data && len))
        return brine_error_set(err, BRINE_E_INVALID, "brine_model_load_buffer needs formats and bytes");
    brine_source src;
    brine_source_init_buffer(&src, data ? data : "", len);
    const brine_plugin *fmt =
        format ? format_named(formats, format, err) : brinep_sniff_source(formats, &src, "the buffer", err);
    if (!fmt)
        return err && err->code ? err->code : BRINE_E_NOTFOUND;
    return brine_model_load(models, fmt, &src, expected_type, opts, out, err);
}

typedef struct model_load_ctx {
    const brine_models *models;
    const char *expected_type;
    const brine_options *opts;
    brine_loaded *out;
} model_load_ctx;

static int model_read(const brine_plugin *fmt, brine_source *src, void *ctx, brine_error *err)
{
    const model_load_ctx *c = ctx;
    return brine_model_load(c->models, fmt, src, c->expected_type, c->opts, c->out, err);
}

int brine_model_load_file(const brine_models *models, const brine_registry *formats, const char *path,
                          const char *expected_type, const brine_options *opts, brine_loaded *out, brine_error *err)
{
    brinep_enter(err);
    int rc = load_args_ok(models, out, "brine_model_load_file", err);
    if (rc)
        return rc;
    if (!formats || !path)
        return brine_error_set(err, BRINE_E_INVALID, "brine_model_load_file needs formats and a path");
    model_load_ctx c = {models, expected_type, opts, out};
    return brinep_load_path(formats, NULL, path, opts, model_read, &c, err);
}

void brine_loaded_destroy(brine_loaded *out)
{
    if (!out)
        return;
    if (out->obj && out->type)
        out->type->destroy(out->obj);
    brine_doc_free(out->data);
    memset(out, 0, sizeof *out);
}
