/* file.h: files written atomically and read with their format found by
 * extension or by sniffing, shared by brine_save_file/brine_load_file and
 * the model calls (model.c), so that both replace and read files alike. */
#ifndef BRINE_FILE_H
#define BRINE_FILE_H

#include "internal.h"
#include "brine/format.h"

/* Writes what write puts to out into a temporary file beside path, makes it
 * reach the disk and renames it over path: a failed save leaves any old
 * file intact. BRINE_E_IO when path is not a regular file or the file
 * cannot be written. */
typedef int (*brinep_write_fn)(brine_output *out, void *ctx, brine_error *err);
int brinep_save_atomic(const char *path, brinep_write_fn write, void *ctx, brine_error *err);

/* Opens path and calls read with its format: fmt when not NULL, else the
 * one reg has for its extension, else the one that recognises its first
 * bytes; through a filter found by extension or magic, under opts'
 * decompression limit (filter_ratio, filter_bytes; NULL: the defaults).
 * BRINE_E_NOTFOUND for a missing file or a format that cannot be told,
 * BRINE_E_IO when it cannot be read. */
typedef int (*brinep_read_fn)(const brine_plugin *fmt, brine_source *src, void *ctx, brine_error *err);
int brinep_load_path(const brine_registry *reg, const brine_plugin *fmt, const char *path, const brine_options *opts,
                     brinep_read_fn read, void *ctx, brine_error *err);

/* The format of reg that recognises the bytes available in src (reading a
 * window's worth first), or NULL with err set; what names src in messages. */
const brine_plugin *brinep_sniff_source(const brine_registry *reg, brine_source *src, const char *what,
                                        brine_error *err);

#endif /* BRINE_FILE_H */
