/* npy.h: what the npy and npz plugins' files share. header.c parses and
 * writes the NPY header (numpy's format.py: magic, version, a Python dict
 * literal), read.c reads one .npy stream into an ARRAY event, write.c
 * writes one, zip.c reads and writes the zip container of .npz; npy.c and
 * npz.c hold the two descriptors (two modules: a module's one entry point
 * returns one descriptor). docs/npy.md is the user's side of this.
 */
#ifndef BRINE_NPY_H
#define BRINE_NPY_H

#include <stdint.h>
#include <string.h>

#include <brine/plugin.h>

/* "\x93NUMPY", then major and minor version bytes, then the header length:
 * u16 little endian in 1.0, u32 in 2.0 and 3.0 (3.0: the header is UTF-8
 * instead of latin-1). The data starts after the header. */
#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_PREFIX_V1 10
#define NPY_PREFIX_V2 12
/* numpy.save pads the header so that the data starts at a multiple of this. */
#define NPY_ALIGN 64
/* A header longer than this is refused before it is asked of the input:
 * numpy's own reader stops at 10,000 bytes unless told otherwise; records of
 * thousands of fields need more, and this still bounds the parse. */
#define NPY_HEADER_MAX (16u << 20)

/* What a header says, the dtype made in the caller's document. */
typedef struct npy_info {
    const brine_dtype *dtype;
    int fortran;
    unsigned ndim;
    uint64_t shape[BRINE_ARRAY_MAX_DIMS];
    uint64_t count; /* elements */
    size_t nbytes;  /* count x itemsize, overflow-checked */
} npy_info;

/* Parses the header text (len bytes at text; latin-1, or UTF-8 when utf8)
 * whose first byte is at input offset base. Errors name the offending byte. */
int npy_header_parse(const unsigned char *text, size_t len, int utf8, uint64_t base, brine_doc *doc, npy_info *info,
                     brine_error *err);

/* The magic, version, length and header (padded as numpy.save pads it) for
 * an array of dtype dt and shape, in a buffer allocated with brine_malloc. */
int npy_header_build(const brine_dtype *dt, unsigned ndim, const uint64_t *shape, unsigned char **out, size_t *len,
                     brine_error *err);

/* Reads one .npy from src and sends it as one ARRAY event. dtypes is a
 * document for the dtype; *sink_failed is set when the sink refused the
 * event (its error is then in sink->err). Leaves cur after the data. */
int npy_read(brine_source *src, brine_sink *sink, brine_doc *dtypes, int *sink_failed, brine_error *err);

/* The npy encoder: a sink that takes one ARRAY event. */
brine_sink *npy_encoder_new(brine_output *out, const brine_options *opts, brine_error *err);

/* "a list", "an array"...: what an event of kind k is, for the encoders'
 * refusals of a root or member that is not an array (write.c). */
const char *npy_event_what(brine_event_kind k);

/* Little-endian loads and stores. */
static inline uint32_t npy_le16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}
static inline uint32_t npy_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t npy_le64(const unsigned char *p)
{
    return (uint64_t)npy_le32(p) | (uint64_t)npy_le32(p + 4) << 32;
}
static inline void npy_put16(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static inline void npy_put32(unsigned char *p, uint32_t v)
{
    npy_put16(p, v & 0xFFFF);
    npy_put16(p + 2, v >> 16);
}
static inline void npy_put64(unsigned char *p, uint64_t v)
{
    npy_put32(p, (uint32_t)v);
    npy_put32(p + 4, (uint32_t)(v >> 32));
}

#endif /* BRINE_NPY_H */
