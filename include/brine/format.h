/* format.h: finding formats and reading and writing graphs with them.
 *
 * A registry holds the format plugins a program can use. brine_registry_load
 * adds the preloaded ones (static builds) and scans the plugin search path:
 * the directories given with brine_registry_add_dir, in the order given;
 * then BRINE_PLUGIN_PATH (colon-separated); then the installed plugin
 * directory (brine_plugin_dir()). When libbrine runs from its build tree,
 * uninstalled, the freshly built plugins are found there instead of the
 * installed directory. The current directory is never searched implicitly.
 *
 * Faults never stop loading: a file that is not a regular file (a FIFO, a
 * directory), one that anyone may write to or that sits in a directory
 * anyone may write to (sticky or not: a plugin runs inside the program), a
 * file that is not a shared library, a library without the entry point,
 * an ABI mismatch, or a second plugin with a name already taken is
 * recorded as a failure that brine_registry_failure reports, naming the
 * file. Of two plugins with one name the earlier in the search path wins
 * (preloaded ones first): brine_registry_shadowed names the file it hid.
 * Running out of memory is not a fault of a file: loading stops with
 * BRINE_E_NOMEM, also when libltdl or the dynamic linker ran out.
 *
 * A plugin runs in-process: its entry point runs when it is loaded, its
 * sniff only when brine_registry_sniff is called (the brine command sniffs
 * only when neither -f nor the extension names the format), and a crash in
 * either is the plugin's. Threads: see THREADS in brine.h; a loaded
 * registry may be shared, and loading is serialised inside libbrine.
 */
#ifndef BRINE_FORMAT_H
#define BRINE_FORMAT_H

#include <brine/brine.h>
#include <brine/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct brine_registry brine_registry;

/* An empty registry, or NULL when out of memory. */
BRINE_API brine_registry *brine_registry_new(brine_error *err);

/* Unloads the plugin libraries and frees the registry. NULL is allowed.
 * Descriptors from it must not be used afterwards. */
BRINE_API void brine_registry_free(brine_registry *reg);

/* Adds dir to the search path, before BRINE_PLUGIN_PATH and the installed
 * directory. Call before brine_registry_load. */
BRINE_API int brine_registry_add_dir(brine_registry *reg, const char *dir, brine_error *err);

/* Loads preloaded plugins, then every library in the search path. Returns
 * BRINE_OK even when some files failed (see brine_registry_failure);
 * an error only for out of memory or a libltdl that cannot start. */
BRINE_API int brine_registry_load(brine_registry *reg, brine_error *err);

/* Loads one plugin library by path. BRINE_E_PLUGIN with the reason (also
 * recorded as a failure) if it cannot be used. */
BRINE_API int brine_registry_load_file(brine_registry *reg, const char *path, brine_error *err);

/* Registers a descriptor obtained any other way (compiled into the program,
 * say). origin is a free text shown by brine_registry_origin. The same
 * checks apply as to loaded plugins. */
BRINE_API int brine_registry_add(brine_registry *reg, const brine_plugin *plugin, const char *origin, brine_error *err);

/* The installed plugin directory. */
BRINE_API const char *brine_plugin_dir(void);

/* Registered formats, in registration order. */
BRINE_API size_t brine_registry_count(const brine_registry *reg);
BRINE_API const brine_plugin *brine_registry_get(const brine_registry *reg, size_t i);

/* Where format i came from: a file path, "preloaded" or the origin given. */
BRINE_API const char *brine_registry_origin(const brine_registry *reg, size_t i);

/* The file of a plugin that format i hid: one with the same name found
 * later in the search path (the first such), or NULL. It is also recorded
 * as a failure. */
BRINE_API const char *brine_registry_shadowed(const brine_registry *reg, size_t i);

/* Files that failed to load: the reason, and the file in *file. */
BRINE_API size_t brine_registry_failure_count(const brine_registry *reg);
BRINE_API const char *brine_registry_failure(const brine_registry *reg, size_t i, const char **file);

/* Lookups; NULL when nothing matches. find_extension takes "json", ".json"
 * or a file name ("data/x.json", matched by its last extension, case
 * insensitively). sniff returns the format most confident about the first
 * bytes of some input (at least 16 bytes when the input has them), or NULL
 * when none is confident at all. */
BRINE_API const brine_plugin *brine_registry_find(const brine_registry *reg, const char *name);
BRINE_API const brine_plugin *brine_registry_find_extension(const brine_registry *reg, const char *ext);
BRINE_API const brine_plugin *brine_registry_find_mime(const brine_registry *reg, const char *mime);
BRINE_API const brine_plugin *brine_registry_sniff(const brine_registry *reg, const void *head, size_t len);

/* Filters (#22) live beside the formats, in a list of their own: the calls
 * above see formats only. A filter loads from the same search path and
 * under the same rules; a failure is recorded the same way. */
BRINE_API size_t brine_registry_filter_count(const brine_registry *reg);
BRINE_API const brine_plugin *brine_registry_filter_get(const brine_registry *reg, size_t i);
BRINE_API const char *brine_registry_filter_origin(const brine_registry *reg, size_t i);

/* The filter named name ("gzip"), or NULL. */
BRINE_API const brine_plugin *brine_registry_find_filter(const brine_registry *reg, const char *name);

/* The filter whose extension ends the file name path ("model.pkl.gz":
 * gzip; also "x.zst", ".zz"), or NULL. *stem_len (may be NULL) receives
 * the length of path without that extension and its dot ("model.pkl"),
 * whose own extension names the format. */
BRINE_API const brine_plugin *brine_registry_find_filter_extension(const brine_registry *reg, const char *path,
                                                                   size_t *stem_len);

/* The filter whose magic is most confident about head (at least 16 bytes
 * when the input has them), or NULL. Filters with BRINE_FILTER_WEAK_MAGIC
 * (zlib, lzma) take part only when known_format is not NULL (the format
 * was given or told by an extension) and its sniff gives head 0: a file
 * that format reads as it is never goes through a filter. */
BRINE_API const brine_plugin *brine_registry_sniff_filter(const brine_registry *reg, const void *head, size_t len,
                                                          const brine_plugin *known_format);

/* A source that decompresses, with filter (a BRINE_CAP_FILTER plugin), the
 * bytes of inner as the decoder pulls them. opts gives the filter's
 * options and the decompression limit (filter_ratio, filter_bytes; NULL:
 * the defaults); it need not outlive the call. inner must outlive src and
 * is not destroyed with it. Offsets of a decoder's errors count
 * decompressed bytes; the filter's own errors (BRINE_E_CORRUPT,
 * BRINE_E_TRUNCATED, BRINE_E_RANGE past the limit) name the filter and
 * carry the offset in inner. BRINE_E_INVALID for a plugin that is no
 * filter, BRINE_E_OPTION, BRINE_E_NOMEM. */
BRINE_API int brine_source_init_filter(brine_source *src, const brine_plugin *filter, const brine_options *opts,
                                       brine_source *inner, brine_error *err);

/* An output that compresses with filter what is written to it, into inner
 * (which must outlive it). End it with brine_output_finish, which finishes
 * inner too; brine_output_destroy does not destroy inner. opts: the
 * filter's options ("level=19"). Errors as for brine_source_init_filter. */
BRINE_API int brine_output_init_filter(brine_output *out, const brine_plugin *filter, const brine_options *opts,
                                       brine_output *inner, brine_error *err);

/* Checks opts against the options fmt declares for decoding
 * (for_encode 0) or encoding (1): BRINE_E_OPTION naming the first unknown,
 * or the first flag (BRINE_OPT_FLAG) given a value no flag takes. */
BRINE_API int brine_options_check(const brine_plugin *fmt, const brine_options *opts, int for_encode, brine_error *err);

/* Decodes one value from src into a new document (its root), whose depth
 * limit is opts' max_depth. NULL on error, with err's offset set. */
BRINE_API brine_doc *brine_decode(const brine_plugin *fmt, brine_source *src, const brine_options *opts, brine_error *err);
BRINE_API brine_doc *brine_decode_buffer(const brine_plugin *fmt, const void *data, size_t len, const brine_options *opts,
                                         brine_error *err);

/* brine_decode_buffer into a document that may borrow from data (#23):
 * a str or bytes that the decoder finds inside data stays there instead
 * of being copied (one that is not, an escaped JSON str for instance, is
 * copied as usual). data must stay alive and unchanged until
 * brine_doc_free. The str data of such a document is not followed by a
 * NUL (brine.h, STRINGS); everything else, including errors and their
 * offsets, is brine_decode_buffer's. Storing a borrowed str or bytes into
 * a document that does not borrow from the same data copies it there. */
BRINE_API brine_doc *brine_decode_buffer_borrowed(const brine_plugin *fmt, const void *data, size_t size,
                                                  const brine_options *opts, brine_error *err);

/* brine_decode_buffer_borrowed of a buffer the document takes over: data,
 * from brine_malloc, is freed with brine_free by brine_doc_free, or
 * before this call returns NULL. */
BRINE_API brine_doc *brine_decode_buffer_take(const brine_plugin *fmt, void *data, size_t size,
                                              const brine_options *opts, brine_error *err);

/* Encodes v to out (flushing it at the end), within opts' depth and
 * expansion limits (see brine_walk_options). */
BRINE_API int brine_encode(const brine_plugin *fmt, const brine_value *v, brine_output *out, const brine_options *opts,
                           brine_error *err);

/* Encodes v into a new buffer (free with brine_free). */
BRINE_API int brine_encode_buffer(const brine_plugin *fmt, const brine_value *v, const brine_options *opts, void **data,
                                  size_t *len, brine_error *err);

/* Saves v to the file at path in the format fmt, or, when fmt is NULL, the
 * format of reg that has path's extension (".json", ".msgpack" ...), with
 * opts' encoding options (may be NULL). The file is replaced atomically,
 * as the brine command and brine_model_save_file replace it: the bytes go
 * to a temporary file beside path (path.tmp-PID-N), reach the disk
 * (fsync) and are renamed over path only once complete, so a failed save
 * leaves any previous file intact and no temporary file behind.
 * BRINE_E_NOTFOUND when no format has path's extension; BRINE_E_IO when
 * path is not a regular file or cannot be written; BRINE_E_INVALID for a
 * NULL v or path, or reg and fmt both NULL; the encoder's errors
 * (BRINE_E_OPTION, BRINE_E_CYCLE ...). A path ending in a filter's
 * extension ("model.pkl.gz") is compressed by that filter (with its
 * default options), the format then coming from the extension before it. */
BRINE_API int brine_save_file(const brine_registry *reg, const brine_plugin *fmt, const brine_value *v, const char *path,
                              const brine_options *opts, brine_error *err);

/* Reads the file at path into a new document (its root), in the format
 * fmt, or, when fmt is NULL, the format of reg that has path's extension,
 * else the one that recognises its first bytes. opts as for brine_decode.
 * NULL on error: BRINE_E_NOTFOUND when the file does not exist or its
 * format cannot be told ("cannot tell the format of 'x.dat'"); BRINE_E_IO
 * when it cannot be read; the decoder's errors, with err->offset. The
 * file is decompressed when its name ends in a filter's extension, or its
 * first bytes are a filter's magic (as brine_registry_sniff_filter rules,
 * with the format known so far), under the default decompression limit;
 * the format then comes from the extension before the filter's. */
BRINE_API brine_doc *brine_load_file(const brine_registry *reg, const brine_plugin *fmt, const char *path,
                                     const brine_options *opts, brine_error *err);

/* Converts one value from src in format `from` to out in format `to`
 * (to_opts' limits apply to writing a graph out, from_opts' to decoding). When
 * the decoder cannot produce references (see brine_decoder_refs) or the
 * encoder stores them, events stream from decoder to encoder without
 * building a graph (depth, reference and event checks still apply);
 * otherwise the value goes through a graph so that shared nodes are
 * expanded and cycles refused. A graph is also used when keys are to be
 * sorted (to_opts' sort_keys), and when references may come and `to` looks
 * at the graph before writing (its descriptor's encode_value: json's auto
 * mode). *streamed (may be NULL) tells which route was taken. */
BRINE_API int brine_transcode(const brine_plugin *from, brine_source *src, const brine_options *from_opts,
                              const brine_plugin *to, brine_output *out, const brine_options *to_opts, int *streamed,
                              brine_error *err);

/* 1 if fmt's decoder may produce references with these options: always
 * with BRINE_CAP_REFS or BRINE_CAP_REFS_READ, with BRINE_CAP_REFS_OPTION
 * only when the "refs" option is set. */
BRINE_API int brine_decoder_refs(const brine_plugin *fmt, const brine_options *opts);

/* Counts the values in v (a shared container once) and its nesting depth. */
BRINE_API int brine_value_stats(const brine_value *v, size_t max_depth, size_t *count, size_t *depth, brine_error *err);

/* Decodes src with fmt without building a graph (#21: memory bounded by
 * the decoder's own needs), checking what brine_decode checks (the depth
 * limit, anchors before references, one complete value), and gives what
 * brine_value_stats would give for the decoded document: *count values (a
 * shared container once) and *depth. One difference: a dict key that
 * repeats is BRINE_E_UNSUPPORTED ("a dict key repeats") where decoding
 * folds it as Python does (first position, last value); a caller that
 * wants the fold decodes instead. */
BRINE_API int brine_validate(const brine_plugin *fmt, brine_source *src, const brine_options *opts, size_t *count,
                             size_t *depth, brine_error *err);

#ifdef __cplusplus
}
#endif
#endif /* BRINE_FORMAT_H */
