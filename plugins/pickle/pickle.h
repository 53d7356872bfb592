/* pickle.h: what the pickle plugin's files share: the opcodes (the names of
 * CPython's Lib/pickletools.py, prefixed PKOP_), the entry points of the
 * reader (reader.c, with objects.c; reader.h is its private header), the
 * writer (writer.c) and the sniffer (plugin.c), the Python 2 -> 3 name
 * mapping (compat.c) and the text argument parsers (text.c).
 * docs/pickle.md is the manual.
 */
#ifndef PK_PICKLE_H
#define PK_PICKLE_H

#include <brine/plugin.h>

#include "../grow.h"

/* Every opcode of protocols 0 to 5, by protocol of introduction. */
enum {
    /* Protocol 0 (text) and 1 (binary). */
    PKOP_MARK = '(',
    PKOP_STOP = '.',
    PKOP_POP = '0',
    PKOP_POP_MARK = '1',
    PKOP_DUP = '2',
    PKOP_FLOAT = 'F',
    PKOP_INT = 'I',
    PKOP_BININT = 'J',
    PKOP_BININT1 = 'K',
    PKOP_LONG = 'L',
    PKOP_BININT2 = 'M',
    PKOP_NONE = 'N',
    PKOP_PERSID = 'P',
    PKOP_BINPERSID = 'Q',
    PKOP_REDUCE = 'R',
    PKOP_STRING = 'S',
    PKOP_BINSTRING = 'T',
    PKOP_SHORT_BINSTRING = 'U',
    PKOP_UNICODE = 'V',
    PKOP_BINUNICODE = 'X',
    PKOP_APPEND = 'a',
    PKOP_BUILD = 'b',
    PKOP_GLOBAL = 'c',
    PKOP_DICT = 'd',
    PKOP_EMPTY_DICT = '}',
    PKOP_APPENDS = 'e',
    PKOP_GET = 'g',
    PKOP_BINGET = 'h',
    PKOP_INST = 'i',
    PKOP_LONG_BINGET = 'j',
    PKOP_LIST = 'l',
    PKOP_EMPTY_LIST = ']',
    PKOP_OBJ = 'o',
    PKOP_PUT = 'p',
    PKOP_BINPUT = 'q',
    PKOP_LONG_BINPUT = 'r',
    PKOP_SETITEM = 's',
    PKOP_TUPLE = 't',
    PKOP_EMPTY_TUPLE = ')',
    PKOP_SETITEMS = 'u',
    PKOP_BINFLOAT = 'G',
    /* Protocol 2. */
    PKOP_PROTO = 0x80,
    PKOP_NEWOBJ = 0x81,
    PKOP_EXT1 = 0x82,
    PKOP_EXT2 = 0x83,
    PKOP_EXT4 = 0x84,
    PKOP_TUPLE1 = 0x85,
    PKOP_TUPLE2 = 0x86,
    PKOP_TUPLE3 = 0x87,
    PKOP_NEWTRUE = 0x88,
    PKOP_NEWFALSE = 0x89,
    PKOP_LONG1 = 0x8a,
    PKOP_LONG4 = 0x8b,
    /* Protocol 3. */
    PKOP_BINBYTES = 'B',
    PKOP_SHORT_BINBYTES = 'C',
    /* Protocol 4. */
    PKOP_SHORT_BINUNICODE = 0x8c,
    PKOP_BINUNICODE8 = 0x8d,
    PKOP_BINBYTES8 = 0x8e,
    PKOP_EMPTY_SET = 0x8f,
    PKOP_ADDITEMS = 0x90,
    PKOP_FROZENSET = 0x91,
    PKOP_NEWOBJ_EX = 0x92,
    PKOP_STACK_GLOBAL = 0x93,
    PKOP_MEMOIZE = 0x94,
    PKOP_FRAME = 0x95,
    /* Protocol 5. */
    PKOP_BYTEARRAY8 = 0x96,
    PKOP_NEXT_BUFFER = 0x97,
    PKOP_READONLY_BUFFER = 0x98
};

/* The highest protocol the reader and writer know. */
#define PK_HIGHEST_PROTOCOL 5

/* Decodes one pickle from src into sink (the plugin's .decode). */
int pk_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err);

/* The audit (reader.c with audit.c; the plugin's .audit). */
struct brine_audit_report;
int pk_audit(brine_source *src, const brine_options *opts, struct brine_audit_report **report, brine_error *err);

/* The same for joblib files (joblib.c): a pickle whose arrays'
 * bytes follow their NumpyArrayWrapper (docs/pickle.md, "joblib"). */
int pk_decode_joblib(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err);

/* The same into the document being built (the plugins' .decode_direct,
 * #23): the value made there, with no private document and no walk. */
int pk_decode_direct(brine_source *src, brine_direct *b, const brine_options *opts, brine_error *err);
int pk_decode_joblib_direct(brine_source *src, brine_direct *b, const brine_options *opts, brine_error *err);
int pk_audit_joblib(brine_source *src, const brine_options *opts, struct brine_audit_report **report, brine_error *err);

/* The writer (writer.c; the plugin's .encoder_new). */
brine_sink *pk_encoder_new(brine_output *out, const brine_options *opts, brine_error *err);

/* Confidence 0..100 that head starts a pickle (the plugin's .sniff). */
int pk_sniff(const unsigned char *head, size_t len);
/* 1 if head holds "joblib.numpy_pickle" (plugin.c; joblib's sniff). */
int pk_names_joblib(const unsigned char *head, size_t len);

/* Python 2 names as Python 3's Unpickler maps them for protocols 0 to 2
 * (Lib/_compat_pickle.py, NAME_MAPPING then IMPORT_MAPPING): returns 1 and
 * sets *new_module and *new_name (static strings; *new_name NULL when only
 * the module is renamed) if (module, name) maps, else returns 0. */
int pk_compat_map(const char *module, size_t module_len, const char *name, size_t name_len, const char **new_module,
                  const char **new_name);

/* The reader's text arguments (text.c). A growable byte buffer, freed with
 * brine_free(buf->p). */
typedef struct pk_buf {
    unsigned char *p;
    size_t len, cap;
} pk_buf;

int pk_buf_reserve(pk_buf *buf, size_t extra);

/* INT and LONG arguments (the line without its newline, LONG's 'L' already
 * stripped): optional spaces, an optional sign, decimal digits. Errors are
 * reported at offset off. */
brine_value *pk_text_int(brine_doc *doc, const unsigned char *s, size_t len, uint64_t off, brine_error *err);

/* A FLOAT argument as Python's float() reads it (no hex, no underscores). */
brine_value *pk_text_float(brine_doc *doc, const unsigned char *s, size_t len, uint64_t off, brine_error *err);

/* Python's codecs.escape_decode of a STRING argument (quotes removed) into
 * out (emptied first). On error returns BRINE_E_SYNTAX and sets *bad to the
 * index in s of the offending escape. */
int pk_escape_decode(const unsigned char *s, size_t len, pk_buf *out, size_t *bad, const char **why);

/* Python's raw-unicode-escape decoding of a UNICODE argument, written as
 * UTF-8 into out (emptied first). A surrogate pair of escapes is combined; a
 * lone surrogate fails with BRINE_E_UTF8, a bad escape with BRINE_E_SYNTAX,
 * *bad the index in s. */
int pk_raw_unicode_decode(const unsigned char *s, size_t len, pk_buf *out, size_t *bad, const char **why);


/* An allow-list (allow.c): entries point into the preset tables or into
 * owned copies of the option strings. on: an allow= option was given. */
typedef struct pk_allow_item {
    const char *s;
    size_t len;
} pk_allow_item;

typedef struct pk_allow {
    pk_allow_item *items;
    size_t count, cap;
    char **owned;
    size_t owned_count, owned_cap;
    int on;
} pk_allow;

/* Adds the entries of a comma-separated allow list (presets expanded). */
int pk_allow_add(pk_allow *a, const char *list, brine_error *err);
/* Adds every allow= of opts (several add up). */
int pk_allow_options(pk_allow *a, const brine_options *opts, brine_error *err);
/* 1 if name ("module.name" or "module:Outer.Inner") matches an entry. */
int pk_allowed(const pk_allow *a, const char *name, size_t len);
void pk_allow_free(pk_allow *a);

#endif /* PK_PICKLE_H */
