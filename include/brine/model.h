/* model.h: saving application objects as brine models and loading them back.
 *
 * The C counterpart of pickling a class instance, without pickle's danger. An
 * application registers a model type: a name ("example.DecisionTree"), a
 * version, and callbacks that turn its C object into a state value and back
 * (what __getstate__ and __setstate__ do in Python). Saving an object writes
 * a model value in any format; loading one in another process, or with
 * another format, calls the registered callbacks to rebuild the object.
 *
 * THE SAVED VALUE. An object of type T at version V is saved as the model
 * value T((V,), state=S), S being what T's to_state returned: the model's
 * name is the type name, its args the tuple (V,) holding the version as an
 * int, its state S. In JSON: {"$model": "T", "args": [V], "state": S}. Any
 * brine tool can show, check and convert such a file without the program
 * that wrote it.
 *
 * SAFETY. Loading constructs only registered types and calls nothing but
 * their callbacks. A model whose type is not registered is not an error by
 * default: the caller gets the decoded value as plain data (type name, args,
 * state) that it can inspect, convert and write back unchanged. A strict set
 * (brine_models_set_strict) refuses any model type it does not know,
 * anywhere in the loaded value, with BRINE_E_MODEL naming the type and the
 * path where it was found.
 *
 * VERSIONS. A saved version older than the registered one goes through the
 * type's upgrade callback, or fails with BRINE_E_VERSION naming both versions
 * when the type has none. A saved version newer than the registered one
 * always fails with BRINE_E_VERSION naming both.
 *
 * SHARED REFERENCES inside a state (two places holding the same list) are
 * saved once and restored as one container by the formats that store
 * references: native always, json and msgpack with the "refs" option in
 * opts. Other formats write a shared container again each time (and refuse
 * cycles), as brine_encode does.
 *
 * ERRORS AND OWNERSHIP follow <brine/brine.h>: calls return a brine_status
 * (or NULL) and fill an optional brine_error. Callback errors keep the code
 * and message the callback set (when it set none: BRINE_E_VERSION for
 * upgrade, BRINE_E_MODEL for the others); a path a callback sets is relative
 * to the state ("$" is the state) and comes back relative to the saved value
 * ("$.state...").
 */
#ifndef BRINE_MODEL_H
#define BRINE_MODEL_H

#include <brine/brine.h>
#include <brine/format.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Model types
 * ------------------------------------------------------------------------ */

/* What an application registers for one kind of C object. brine copies the
 * struct and the name at registration. Callbacks get the error they report
 * through (never NULL) and must not call back into the same brine_models
 * set to register types. */
typedef struct brine_model_type {
    /* The type name saved in files: non-empty UTF-8, no NUL. Dotted names
     * ("myapp.Tree") keep applications apart. */
    const char *name;

    /* The version of the state layout that to_state writes and from_state
     * reads. Raise it when that layout changes, and teach upgrade the old one. */
    uint32_t version;

    /* Required. Builds obj's state in doc and returns it (a value of doc, or
     * a scalar), or returns NULL and fills err. Must not modify obj. The
     * state may share containers, and even contain cycles: the walker saves
     * each shared container once in formats that store references. */
    brine_value *(*to_state)(const void *obj, brine_doc *doc, brine_error *err);

    /* Required. Builds a new C object from a state of the current version,
     * or returns NULL and fills err. The state comes from a file and may be
     * hostile: check every type, length and index before using it. state
     * and everything reachable from it stay valid only during the call. */
    void *(*from_state)(const brine_value *state, brine_error *err);

    /* Optional. Turns the state saved by version from_version (always older
     * than version) into a state of the current version, built in doc (the
     * document holding the saved value; the result may reuse parts of
     * state). Returns NULL and fills err to refuse. NULL: older versions
     * are refused with BRINE_E_VERSION. */
    brine_value *(*upgrade)(brine_doc *doc, const brine_value *state, uint32_t from_version, brine_error *err);

    /* Required. Frees an object that from_state returned. */
    void (*destroy)(void *obj);
} brine_model_type;

/* A set of registered model types. Register every type first; after that
 * the set is only read, so threads may save and load with it at once (as
 * far as the types' callbacks allow). */
typedef struct brine_models brine_models;

/* A new empty, non-strict set, or NULL when out of memory. */
BRINE_API brine_models *brine_models_new(brine_error *err);

/* Frees the set. NULL is allowed. brine_model_type pointers the set handed
 * out (brine_models_find, brine_loaded.type) are invalid afterwards. */
BRINE_API void brine_models_free(brine_models *models);

/* Registers a copy of *type. BRINE_E_INVALID when a required callback or
 * the name is missing, the name is not valid UTF-8, or a type of that name
 * is already registered; BRINE_E_NOMEM. */
BRINE_API int brine_models_register(brine_models *models, const brine_model_type *type, brine_error *err);

/* The registered type called name (compared byte for byte), or NULL. The
 * pointer stays valid as long as the set. */
BRINE_API const brine_model_type *brine_models_find(const brine_models *models, const char *name);

/* Allows model values called name (exact) without registering a type for
 * them: a strict set loads them as plain data instead of refusing them,
 * and saving through a format with an "allow" encoding option (pickle)
 * lets files name them. With the registered types this makes the set an
 * allow-list: e.g. the classes of a scikit-learn pickle, whose args are not
 * (version,), so that registering them could not work. A global that a
 * pickle passes as a value (model pickle.global, args (module, qualname))
 * is checked by that name, "module.name" or "module:Outer.Inner": a
 * scikit-learn tree needs "numpy.ndarray" besides its five model types
 * (allowing "pickle.global" admits every global). A later
 * brine_models_register of the name gives it callbacks. BRINE_E_INVALID
 * for a missing or non-UTF-8 name; BRINE_E_NOMEM. */
BRINE_API int brine_models_allow(brine_models *models, const char *name, brine_error *err);

/* strict nonzero: loading refuses, with BRINE_E_MODEL, every model value
 * whose type is not registered, wherever it appears in the loaded value (not
 * only at its root). Default 0: such values load as plain data. */
BRINE_API void brine_models_set_strict(brine_models *models, int strict);
BRINE_API int brine_models_strict(const brine_models *models);

/* ------------------------------------------------------------------------
 * Saving
 * ------------------------------------------------------------------------ */

/* Saves obj, an object of the registered type type_name, to the file at
 * path in the format its extension names in formats (".brn", ".json",
 * ".msgpack" ...). opts (may be NULL) are the format's encoding options
 * ("refs", "pretty" ...) and the depth limit. The file is replaced
 * atomically: the bytes go to a temporary file beside it, renamed over path
 * only once complete, so a failed save leaves any previous file intact.
 * BRINE_E_MODEL for an unregistered type; BRINE_E_NOTFOUND when no format
 * has path's extension; BRINE_E_IO when the file cannot be written; the
 * format's errors (BRINE_E_OPTION, BRINE_E_CYCLE ...); the callback's. */
BRINE_API int brine_model_save_file(const brine_models *models, const brine_registry *formats, const char *type_name,
                                    const void *obj, const char *path, const brine_options *opts, brine_error *err);

/* Saves obj into a new buffer in the format called format ("json"): *data
 * (allocated with brine_malloc, followed by a NUL not counted in *len; free
 * it with brine_free) and *len. On error *data is NULL. */
BRINE_API int brine_model_save_buffer(const brine_models *models, const brine_registry *formats, const char *format,
                                      const char *type_name, const void *obj, const brine_options *opts, void **data,
                                      size_t *len, brine_error *err);

/* Saves obj to out with the format fmt (out is flushed, not destroyed).
 * A format with an "allow" encoding option (pickle, <brine/pickle.h>) gets
 * allow= every registered and allowed type name, besides opts' own. */
BRINE_API int brine_model_save(const brine_models *models, const brine_plugin *fmt, const char *type_name,
                               const void *obj, brine_output *out, const brine_options *opts, brine_error *err);

/* ------------------------------------------------------------------------
 * Loading
 * ------------------------------------------------------------------------ */

/* What a load produced: either an object or plain data, never both. The
 * caller owns both: free them with brine_loaded_destroy (or take obj and
 * free it with its type's destroy, and data with brine_doc_free). */
typedef struct brine_loaded {
    void *obj;                    /* the C object, or NULL */
    const brine_model_type *type; /* obj's type (valid as long as the set), or NULL */
    uint32_t saved_version;       /* the version obj was saved with (before any upgrade) */
    brine_doc *data;              /* the decoded value as plain data (its root), or NULL */
} brine_loaded;

/* Loads the model saved at path. The format is the one path's extension
 * names in formats, else the one that recognises the first bytes. opts (may
 * be NULL) are the format's decoding options ("refs" ...) and the depth
 * limit. *out is always overwritten; on error its obj, type and data are
 * NULL.
 *
 * With expected_type (e.g. "example.DecisionTree"), the file must hold a
 * model of that registered type: the result is an object, or an error
 * (BRINE_E_TYPE when the value is not a model at all, BRINE_E_MODEL when it
 * is a model of another type or expected_type is not registered).
 *
 * With expected_type NULL, a model of any registered type gives an object;
 * anything else (a model of an unregistered type, or a value that is no
 * model) is returned as out->data, unless the set is strict and the value
 * holds a model of an unregistered type (BRINE_E_MODEL).
 *
 * Besides: BRINE_E_NOTFOUND when the file does not exist or its format
 * cannot be told; BRINE_E_IO when it cannot be read; BRINE_E_VERSION (see
 * VERSIONS); BRINE_E_MODEL when the args are not (version,) with a version
 * from 0 to 2^32-1; the decoder's errors; the callbacks' errors. */
BRINE_API int brine_model_load_file(const brine_models *models, const brine_registry *formats, const char *path,
                                    const char *expected_type, const brine_options *opts, brine_loaded *out,
                                    brine_error *err);

/* Loads from len bytes at data in the format called format, or, when format
 * is NULL, the format that recognises the first bytes. As
 * brine_model_load_file otherwise. */
BRINE_API int brine_model_load_buffer(const brine_models *models, const brine_registry *formats, const char *format,
                                      const void *data, size_t len, const char *expected_type,
                                      const brine_options *opts, brine_loaded *out, brine_error *err);

/* Loads from src with the format fmt. As brine_model_load_file otherwise. */
BRINE_API int brine_model_load(const brine_models *models, const brine_plugin *fmt, brine_source *src,
                               const char *expected_type, const brine_options *opts, brine_loaded *out,
                               brine_error *err);

/* Frees out->obj with its type's destroy and out->data, and clears *out.
 * The set that loaded it must still exist. NULL is allowed. */
BRINE_API void brine_loaded_destroy(brine_loaded *out);

/* ------------------------------------------------------------------------
 * Models inside larger values
 * ------------------------------------------------------------------------ */

/* The model value for obj of the registered type type_name, built in doc:
 * type_name((version,), state=...). For embedding objects in a larger graph
 * (or in another object's state). NULL on error. */
BRINE_API brine_value *brine_model_to_value(const brine_models *models, brine_doc *doc, const char *type_name,
                                            const void *obj, brine_error *err);

/* The object a model value stands for: v must be a model of a registered
 * type (expected_type, when not NULL), else BRINE_E_TYPE or BRINE_E_MODEL.
 * Versions and strictness as for loading; an upgrade builds into v's
 * document. The caller owns *obj (NULL on error) and frees it with the
 * type's destroy; *type (may be NULL) receives the type. */
BRINE_API int brine_model_from_value(const brine_models *models, const brine_value *v, const char *expected_type,
                                     void **obj, const brine_model_type **type, brine_error *err);

#ifdef __cplusplus
}
#endif
#endif /* BRINE_MODEL_H */
