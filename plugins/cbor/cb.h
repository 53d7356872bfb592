/* cb.h: what the files of the cbor plugin share: the CBOR major types and
 * the tags brine reads and writes (RFC 8949, RFC 8746, the IANA registry,
 * and brine's own tags from the first-come range), the parsed options,
 * big-endian helpers, the half-float conversions and the entry points
 * plugin.c puts in the descriptor. docs/cbor.md is the user's
 * description of the mapping defined here.
 */
#ifndef BRINE_CB_H
#define BRINE_CB_H

#include <stdint.h>
#include <string.h>

#include <brine/plugin.h>

#include "../grow.h"

/* Major types: the top 3 bits of the initial byte (RFC 8949 3.1). The low
 * 5 bits ("additional information") hold an argument below 24, or say that
 * 1, 2, 4 or 8 big-endian bytes follow (24..27); 31 is an indefinite length
 * (types 2..5) or the break (type 7); 28..30 are reserved (malformed). */
enum {
    CB_UINT = 0,   /* argument: the int */
    CB_NEGINT = 1, /* argument n: the int -1 - n */
    CB_BYTES = 2,  /* argument: length in bytes, the bytes follow */
    CB_TEXT = 3,   /* argument: length in bytes, UTF-8 follows */
    CB_ARRAY = 4,  /* argument: count of items that follow */
    CB_MAP = 5,    /* argument: count of key/value pairs that follow */
    CB_TAG = 6,    /* argument: tag number, one item follows */
    CB_SIMPLE = 7  /* 20 false, 21 true, 22 null, 23 undefined, 24 simple (1 byte), 25/26/27 float16/32/64, 31 break */
};

#define CB_BREAK 0xff

/* Tags read and written. */
enum {
    CB_TAG_DATETIME = 0,   /* text date-time: kept as a cbor.tag model */
    CB_TAG_EPOCH = 1,      /* epoch seconds: kept as a cbor.tag model */
    CB_TAG_BIGNUM = 2,     /* bytes: an unsigned int, big-endian */
    CB_TAG_NEGBIGNUM = 3,  /* bytes n: the int -1 - n */
    CB_TAG_SHAREABLE = 28, /* the next item may be referenced (value sharing) */
    CB_TAG_SHAREDREF = 29, /* uint: index of an earlier shareable, in order met */
    CB_TAG_NDARRAY = 40,   /* [dims (array of uints), elements]: RFC 8746 row-major */
    CB_TAG_TYPED_LO = 64,  /* bytes: RFC 8746 typed arrays, 64..87 */
    CB_TAG_TYPED_HI = 87,
    CB_TAG_SELF = 55799, /* self-described CBOR: d9 d9 f7, no meaning */
    /* brine's own tags, from the IANA first-come first-served range
     * (32768 and above, 3-byte heads: d9 xx xx). */
    CB_TAG_TUPLE = 51880,   /* array of the elements */
    CB_TAG_COMPLEX = 51881, /* [re, im], two floats */
    CB_TAG_MODEL = 51882,   /* [name (text), args (a tuple or a shared ref), state (null for none)] */
    CB_TAG_ARRAY = 51883    /* [dtype (numpy's dtype.str), shape (array of uints), data (bytes)] */
};

/* Models for CBOR items brine has no type for. */
#define CB_MODEL_TAG "cbor.tag"             /* args (tag number, item): an unknown tag, written back as it was */
#define CB_MODEL_SIMPLE "cbor.simple"       /* args (n,): a simple value other than false/true/null */
#define CB_MODEL_UNDEFINED "cbor.undefined" /* args (): undefined (simple 23) */

/* The options, parsed once per call. */
typedef struct cb_opts {
    int refs;       /* encode: tags 28/29 for shared and cyclic containers */
    int plain;      /* encode: none of brine's tags; decode: read them as cbor.tag */
    int canonical;  /* encode: RFC 8949 4.2.1 deterministic encoding */
    int sequence;   /* a top-level list <-> a CBOR sequence (RFC 8742) */
    int utf8_bytes; /* decode: a text string that is not UTF-8 reads as bytes */
} cb_opts;

int cb_opts_parse(const brine_options *opts, cb_opts *out, brine_error *err);

/* plugin.c puts these in the descriptor. */
/* The RFC 8746 typed array tag the writer gives an array of dtype dt, or
 * 0 when it has none (the reader must read every other form of such an
 * array as an array too, or it would not round-trip). */
unsigned cb_typed_tag(const brine_dtype *dt);

int cb_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err);
brine_sink *cb_encoder_new(brine_output *out, const brine_options *opts, brine_error *err);
int cb_sniff(const unsigned char *head, size_t len);

static inline uint16_t cb_load16(const unsigned char *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t cb_load32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t cb_load64(const unsigned char *p)
{
    return (uint64_t)cb_load32(p) << 32 | cb_load32(p + 4);
}

/* The double an IEEE binary16 stands for (RFC 8949 appendix D). */
static inline double cb_half_to_double(unsigned h)
{
    unsigned exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    double v;
    if (exp == 0) {
        v = (double)mant / (1 << 24); /* subnormal: mant x 2^-24 */
    } else if (exp != 31) {
        v = (double)(mant + 1024) * ((double)((uint64_t)1 << exp) / ((uint64_t)1 << 25));
    } else if (mant == 0) {
        v = __builtin_inf();
    } else {
        /* A NaN: keep its payload in the top mantissa bits, as a float
         * widening does, so that it narrows back to the same bits. */
        uint64_t bits = (uint64_t)0x7ff << 52 | (uint64_t)mant << 42;
        memcpy(&v, &bits, sizeof v);
        v = h & 0x8000 ? -v : v;
        return v;
    }
    return h & 0x8000 ? -v : v;
}

#endif /* BRINE_CB_H */
