/* ym.h: what the yaml plugin's files share: the descriptor's parts
 * (plugin.c), the YAML 1.2 core schema and the scalar conversions
 * (schema.c), the frame stack that renders error paths (frames.c), the
 * reader (reader.c, on libyaml's event parser) and the writer (writer.c,
 * on libyaml's emitter). The one place that includes <yaml.h>.
 */
#ifndef BRINE_PLUGINS_YM_H
#define BRINE_PLUGINS_YM_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include <brine/plugin.h>

/* Tags. YAML's own are "tag:yaml.org,2002:" + name; brine's are local
 * ("!brine/..."), so no YAML loader resolves them to code. */
#define YM_TAG_PREFIX "tag:yaml.org,2002:"
#define YM_TAG_TUPLE "!brine/tuple"
#define YM_TAG_COMPLEX "!brine/complex"
#define YM_TAG_MODEL "!brine/model:" /* + the model's type name */

/* 1 if a tag holding name (a model's type name, or a tag kept as a model)
 * reads back as the same name. libyaml's emitter percent-encodes most
 * bytes, but passes ',', '[' and ']' through, where its scanner stops a
 * shorthand tag (a verbatim one, "tag:...", may hold ','), and takes a C
 * string, which ends at a NUL byte. Both sides refuse such a name: the
 * writer rather than write what it cannot read back, the reader rather
 * than read what it could not write back. */
static inline int ym_tag_name_ok(const char *name, size_t len)
{
    int verbatim = len > 4 && !memcmp(name, "tag:", 4);
    for (size_t i = 0; i < len; i++)
        if (name[i] == '\0' || name[i] == '[' || name[i] == ']' || (name[i] == ',' && !verbatim))
            return 0;
    return 1;
}

extern const brine_option_spec ym_options[];
int ym_sniff(const unsigned char *head, size_t len);
int ym_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err);
brine_sink *ym_encoder_new(brine_output *out, const brine_options *opts, brine_error *err);

/* --- schema.c ---------------------------------------------------------- */

/* A resolved scalar: ev is the event to send; for BIGINT and BYTES its
 * bytes are in buf (ym_scalar_free). */
typedef struct ym_scalar {
    brine_event ev;
    unsigned char *buf;
    size_t cap;
    brine_doc *doc; /* scratch for core's decimal conversion of big ints */
} ym_scalar;

void ym_scalar_free(ym_scalar *s);

/* Resolves a plain untagged scalar (s[len] is NUL) by the YAML 1.2 core
 * schema into out->ev: NULL, BOOL, INT/UINT/BIGINT, FLOAT or STR (pointing
 * at s). BRINE_OK; BRINE_E_RANGE for a decimal int of more than
 * YM_MAX_INT_DIGITS digits or a 0x/0o int past 64 bits; BRINE_E_NOMEM. */
#define YM_MAX_INT_DIGITS 4300
int ym_resolve_plain(const char *s, size_t len, ym_scalar *out);

/* The same for a scalar tagged !!null, !!bool, !!int or !!float (kind is
 * the event kind the tag asks for): BRINE_E_SYNTAX when s is no such value
 * by the core schema. */
int ym_resolve_as(const char *s, size_t len, brine_event_kind kind, ym_scalar *out);

/* !!binary: base64 (whitespace ignored) into out as BYTES; BRINE_E_SYNTAX. */
int ym_base64_decode(const char *s, size_t len, ym_scalar *out);

/* !brine/complex "re+imj" (Python's complex() syntax without parentheses). */
int ym_complex_parse(const char *s, size_t len, double *re, double *im);

/* 1 if YAML 1.2's core schema or YAML 1.1 (PyYAML, most readers) would
 * read plain s as something other than a str, or s cannot be written
 * plain at all for another reason we know about: the writer quotes it. */
int ym_needs_quotes(const char *s, size_t len);

/* Text forms for the writer, into buf (NUL-terminated), returning the
 * length: a float both YAML 1.1 and 1.2 read back as the same double. */
size_t ym_float_text(double d, char buf[BRINE_DTOA_SIZE + 4]);

/* A big int's decimal text from two's-complement little-endian bytes,
 * brine_malloc'd (brine_free), or NULL when out of memory or past 4300
 * digits (core's conversion, in the scratch document *doc). */
char *ym_bigint_decimal(brine_doc **doc, const unsigned char *le, size_t len, size_t *out_len);

/* Base64 of len bytes, brine_malloc'd, NUL-terminated; NULL: out of memory. */
char *ym_base64_encode(const unsigned char *p, size_t len, size_t *out_len);

/* --- frames.c ---------------------------------------------------------- */

/* One open container, reader or writer side: its kind, the children met
 * so far, and for a dict the last scalar key (a copy), so that an error
 * path is rendered only when an error happens. */
/* YF_MODEL: a model's two children, args and state (the reader's
 * !brine/model sequence; the writer's model, either form); YF_STREAM: the
 * list of documents under the stream option; YF_SKIP: the writer's empty
 * args of a model written as a tag. */
enum { YF_SEQ = 1, YF_MAP, YF_MODEL, YF_STREAM, YF_SKIP };

typedef struct ym_frame {
    uint8_t kind;
    uint8_t in_key;  /* the container is (inside) a mapping key */
    uint8_t flags;   /* the owner's own bits */
    uint8_t ends;    /* reader: END events to send when it closes */
    uint64_t count;  /* children begun so far */
    uint64_t expect; /* writer: the count announced, or BRINE_COUNT_UNKNOWN */
    brine_event key; /* the current key when a scalar one, else kind 0 */
    char *keybuf;    /* the key's bytes (owned) */
    size_t keycap;
} ym_frame;

typedef struct ym_stack {
    ym_frame *f;
    size_t depth, cap;
} ym_stack;

/* Pushes a zeroed frame; NULL when out of memory. */
ym_frame *ym_push(ym_stack *st, uint8_t kind);
static inline ym_frame *ym_top(ym_stack *st)
{
    return st->depth ? &st->f[st->depth - 1] : NULL;
}
/* Keeps a copy of a scalar key event (another kind: the key is unknown). */
int ym_frame_set_key(ym_frame *f, const brine_event *key);
void ym_stack_free(ym_stack *st);
/* "$" and a step for each open frame, into path (cap bytes). */
void ym_render_path(const ym_stack *st, char *path, size_t cap);

#endif /* BRINE_PLUGINS_YM_H */
