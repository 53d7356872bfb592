/* mp.h: what the files of the msgpack plugin share: the ext type codes of
 * brine's own types, the parsed options, big-endian helpers, timestamp and
 * ext-header rules, and the entry points plugin.c puts in the
 * descriptor. Only encode.c includes <msgpack.h>; docs/msgpack.md is the
 * user's description of the mapping defined here.
 */
#ifndef BRINE_MP_H
#define BRINE_MP_H

#include <stdint.h>
#include <string.h>

#include <brine/plugin.h>

#include "descr.h"

/* Ext type codes for the brine types MessagePack has no form for. They sit
 * in the middle of the application range (0..127), away from the small codes
 * most programs take first; the `plain` decode option reads them as opaque
 * msgpack.ext values when another program uses them for something else. */
enum {
    MP_EXT_TUPLE = 80,   /* payload: one msgpack array of the elements */
    MP_EXT_COMPLEX = 81, /* payload: 16 bytes, real then imaginary float64, big-endian */
    MP_EXT_BIGINT = 82,  /* payload: two's-complement big-endian bytes */
    MP_EXT_MODEL = 83,   /* payload: one msgpack array [name (str), args (tuple), state] */
    MP_EXT_ANCHOR = 84,  /* payload: one msgpack array [id (uint > 0), container] */
    MP_EXT_REF = 85,     /* payload: the anchor id, big-endian, 1, 2, 4 or 8 bytes */
    MP_EXT_ARRAY = 86,   /* payload: one msgpack array [dtype (str, or a record's descr), shape, data (bin)] */
    MP_EXT_TIMESTAMP = -1
};

/* Models that stand for MessagePack values brine has no type for. */
#define MP_MODEL_TIMESTAMP "msgpack.timestamp"
#define MP_MODEL_EXT "msgpack.ext"

/* Format bytes of the ext headers (the MessagePack spec's names). */
enum {
    MP_FIXEXT1 = 0xd4,
    MP_FIXEXT2 = 0xd5,
    MP_FIXEXT4 = 0xd6,
    MP_FIXEXT8 = 0xd7,
    MP_FIXEXT16 = 0xd8,
    MP_EXT8 = 0xc7,
    MP_EXT16 = 0xc8,
    MP_EXT32 = 0xc9
};

/* The options, parsed once per call. */
typedef struct mp_opts {
    int refs;       /* anchors and refs as ext 84/85 */
    int plain;      /* encode: no brine ext types; decode: read them as msgpack.ext */
    int sequence;   /* a top-level list <-> concatenated values */
    int utf8_bytes; /* decode: a str that is not UTF-8 reads as bytes */
    int numpy;      /* arrays as msgpack-numpy's {"nd": true, ...} maps (array.c) */
} mp_opts;

int mp_opts_parse(const brine_options *opts, mp_opts *out, brine_error *err);

/* plugin.c puts these in the descriptor. */
int mp_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err);
/* The same decoder on the direct builder (plugin.h, #23): brine_decode's path. */
int mp_decode_direct(brine_source *src, brine_direct *b, const brine_options *opts, brine_error *err);
brine_sink *mp_encoder_new(brine_output *out, const brine_options *opts, brine_error *err);
int mp_sniff(const unsigned char *head, size_t len);

/* ---- big-endian loads and stores -------------------------------------- */

static inline uint16_t mp_load16(const unsigned char *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t mp_load32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t mp_load64(const unsigned char *p)
{
    return (uint64_t)mp_load32(p) << 32 | mp_load32(p + 4);
}

static inline void mp_store32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static inline void mp_store64(unsigned char *p, uint64_t v)
{
    mp_store32(p, (uint32_t)(v >> 32));
    mp_store32(p + 4, (uint32_t)v);
}

static inline double mp_load_double(const unsigned char *p)
{
    uint64_t u = mp_load64(p);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static inline void mp_store_double(unsigned char *p, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    mp_store64(p, u);
}

/* ---- ext headers and timestamps (ext.c) -------------------------------- */

/* The ext header a writer picks for a payload of len bytes: a fixext when
 * len is 1, 2, 4, 8 or 16, else the narrowest of ext8/16/32. */
unsigned mp_ext_form(uint64_t len);

/* 1 if the header `form` (a format byte above) can carry len bytes. */
int mp_ext_form_fits(unsigned form, uint64_t len);

/* Writes the ext header of form `form` into out and returns its length (2
 * to 6). The caller has checked mp_ext_form_fits. */
size_t mp_ext_header(unsigned char out[6], unsigned form, int type, uint64_t len);

/* Reads a timestamp payload of 4, 8 or 12 bytes. 0 when it is not one the
 * spec allows (another length, nanoseconds above 999999999). */
int mp_ts_read(const unsigned char *p, size_t len, int64_t *sec, uint32_t *nsec);

/* The payload length the spec's writers use for a time: 4, 8 or 12. */
size_t mp_ts_width(int64_t sec, uint32_t nsec);

/* 1 if the time can be written with a payload of width bytes. */
int mp_ts_fits(int64_t sec, uint32_t nsec, uint64_t width);

/* Writes the payload (width bytes, as mp_ts_fits allowed). */
void mp_ts_write(unsigned char out[12], int64_t sec, uint32_t nsec, size_t width);

/* ---- arrays (array.c) ---------------------------------------------------- */

/* A growable byte buffer; fail is set when memory ran out. */
typedef struct mp_bytes {
    unsigned char *p; /* brine_malloc'd */
    size_t len, cap;
    int fail;
} mp_bytes;

/* The MessagePack bytes of the array of h up to its data: ext 86's payload
 * ([dtype, shape, and the data's bin header), or with numpy the map of
 * msgpack-numpy up to the data's bin header. The data bytes follow. */
int mp_array_prefix(const brine_array_header *h, int numpy, mp_bytes *out);

/* Parses the payload of ext 86 (p[0..len), at input offset base) into h,
 * the dtype made in doc, the shape into shape (BRINE_ARRAY_MAX_DIMS
 * entries), h->data pointing into p. BRINE_E_CORRUPT (or
 * BRINE_E_UNSUPPORTED for a dtype brine lacks) with the offset. */
int mp_array_ext(const unsigned char *p, size_t len, uint64_t base, brine_doc *doc, brine_array_header *h,
                 uint64_t *shape, brine_error *err);

/* The entries of a map of `entries` pairs whose header was just read, at
 * p[0..avail): a msgpack-numpy array (first key "nd", bin or str, with a
 * bool: then BRINE_OK, *used the bytes of the entries, h as above), an
 * ordinary map (MP_NOT_NUMPY, nothing consumed), more bytes needed to tell
 * (MP_NEED_MORE, *need counted from p), or an error. */
#define MP_NOT_NUMPY (-1)
#define MP_NEED_MORE (-2)
int mp_array_numpy(const unsigned char *p, size_t avail, uint64_t base, uint64_t entries, brine_doc *doc,
                   brine_array_header *h, uint64_t *shape, size_t *used, size_t *need, brine_error *err);

#endif /* BRINE_MP_H */
