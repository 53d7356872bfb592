/* native.h: what the native plugin's files share: the tags and header of
 * format 1.0 (docs/native-format.md is the specification; the names here
 * follow its section 4), little-endian load/store helpers and varints.
 * The descriptor lives in native.c, the reader in decode.c, the writer in
 * encode.c.
 */
#ifndef BRINE_NATIVE_H
#define BRINE_NATIVE_H

#include <stdint.h>
#include <string.h>

#include <brine/plugin.h>

#include "private/attrs.h"

#define NAT_MAJOR 1
#define NAT_MINOR 1 /* the newest minor this plugin reads */
#define NAT_MINOR_ARRAYS 1 /* the minor that added arrays: written only by a file that has one */
#define NAT_MAGIC                                                                                                      \
    "\x89"                                                                                                             \
    "BRN\r\n\x1a\n"
#define NAT_MAGIC_LEN 8
#define NAT_HEADER_LEN 10
#define NAT_TRAILER_LEN 8
#define NAT_VARINT_MAX 10

/* Tag ranges holding a small number in their low bits. */
#define NAT_FIXINT_MAX 0x7F /* 00..7F: the ints 0..127 */
#define NAT_FIXSTR 0x80     /* 80..9F: str of 0..31 bytes */
#define NAT_FIXSTR_MAX 31
#define NAT_FIXLIST 0xA0 /* A0..AF: list of 0..15 elements */
#define NAT_FIXLIST_MAX 15
#define NAT_FIXDICT 0xB0 /* B0..BF: dict of 0..15 entries */
#define NAT_FIXDICT_MAX 15
#define NAT_NEGFIXINT 0xE0 /* E0..FF: the ints -32..-1 */

enum nat_tag {
    NAT_NULL = 0xC0,
    NAT_FALSE = 0xC1,
    NAT_TRUE = 0xC2,
    NAT_INT8 = 0xC3,
    NAT_INT16 = 0xC4,
    NAT_INT32 = 0xC5,
    NAT_INT64 = 0xC6,
    NAT_UINT64 = 0xC7,
    NAT_BIGINT = 0xC8,
    NAT_FLOAT = 0xC9,
    NAT_COMPLEX = 0xCA,
    NAT_STR = 0xCB,
    NAT_BYTES = 0xCC,
    NAT_LIST = 0xCD,
    NAT_TUPLE = 0xCE,
    NAT_DICT = 0xCF,
    NAT_MODEL = 0xD0,
    NAT_ANCHOR = 0xD1,
    NAT_REF = 0xD2,
    NAT_LIST_OPEN = 0xD3,
    NAT_TUPLE_OPEN = 0xD4,
    NAT_DICT_OPEN = 0xD5,
    NAT_END = 0xD6,
    NAT_ARRAY = 0xD7, /* 1.1: varint hlen, header[hlen] (array.c), 0-15 zero bytes to a multiple of 16, data */
    NAT_RESERVED_FIRST = 0xD8,
    NAT_RESERVED_LAST = 0xDF
};

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define NAT_LE16(x) __builtin_bswap16(x)
#define NAT_LE32(x) __builtin_bswap32(x)
#define NAT_LE64(x) __builtin_bswap64(x)
#else
#define NAT_LE16(x) (x)
#define NAT_LE32(x) (x)
#define NAT_LE64(x) (x)
#endif

/* Little-endian loads and stores through memcpy: unaligned-safe, and one
 * instruction each on the usual targets. */
static inline uint16_t nat_load16(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return NAT_LE16(v);
}
static inline uint32_t nat_load32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return NAT_LE32(v);
}
static inline uint64_t nat_load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return NAT_LE64(v);
}
static inline void nat_store16(unsigned char *p, uint16_t v)
{
    v = NAT_LE16(v);
    memcpy(p, &v, 2);
}
static inline void nat_store32(unsigned char *p, uint32_t v)
{
    v = NAT_LE32(v);
    memcpy(p, &v, 4);
}
static inline void nat_store64(unsigned char *p, uint64_t v)
{
    v = NAT_LE64(v);
    memcpy(p, &v, 8);
}

/* Writes v as a minimal LEB128 varint at p (room for NAT_VARINT_MAX bytes)
 * and returns the bytes written. */
static inline size_t nat_put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

/* The plugin's entry points (decode.c, encode.c). */
int nat_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err);
/* The same decoder on the direct builder (plugin.h, #23): brine_decode's path. */
int nat_decode_direct(brine_source *src, brine_direct *b, const brine_options *opts, brine_error *err);
brine_sink *nat_encoder_new(brine_output *out, const brine_options *opts, brine_error *err);
int nat_encode_value(const brine_value *v, brine_output *out, const brine_options *opts, brine_error *err);

/* Bytes from the file's start to the next multiple of 16 (array data). */
static inline size_t nat_array_pad(uint64_t from_start)
{
    return (size_t)((16 - (from_start & 15)) & 15);
}

/* An array's header (array.c): written into out (cap bytes; returns the
 * length it needs), or parsed from the len bytes at p (input offset base)
 * with its dtype made in doc and its shape in shape (room for
 * BRINE_ARRAY_MAX_DIMS): h gets all but data. Errors carry offsets. */
size_t nat_array_header_write(const brine_array_header *h, unsigned char *out, size_t cap);
int nat_array_header_parse(const unsigned char *p, size_t len, uint64_t base, brine_doc *doc, brine_array_header *h,
                           uint64_t *shape, brine_error *err);

#endif /* BRINE_NATIVE_H */
