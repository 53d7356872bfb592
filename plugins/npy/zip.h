/* zip.h: the zip container of .npz (zip.c), as much of PKWARE's APPNOTE as
 * numpy.savez writes and numpy.load reads: stored and deflated members, the
 * central directory, zip64 sizes and offsets. zlib is used in zip.c only.
 *
 *   local header   50 4B 03 04, version:u16 flags:u16 method:u16 time:u16
 *                  date:u16 crc:u32 csize:u32 usize:u32 nlen:u16 xlen:u16,
 *                  name, extra, then csize bytes of data
 *   central entry  50 4B 01 02, made:u16 version:u16 flags:u16 method:u16
 *                  time:u16 date:u16 crc:u32 csize:u32 usize:u32 nlen:u16
 *                  xlen:u16 clen:u16 disk:u16 iattr:u16 eattr:u32 at:u32,
 *                  name, extra, comment
 *   end record     50 4B 05 06, disk:u16 cddisk:u16 n_disk:u16 n:u16
 *                  cdsize:u32 cdat:u32 clen:u16, comment
 *   zip64          extra field 0x0001 with the u64s whose u32 is FFFFFFFF;
 *                  end record 50 4B 06 06 and its locator 50 4B 06 07
 */
#ifndef BRINE_NPY_ZIP_H
#define BRINE_NPY_ZIP_H

#include "npy.h"

enum { ZIP_STORED = 0, ZIP_DEFLATED = 8 };

typedef struct zip_entry {
    const unsigned char *name; /* in the input; not NUL-terminated */
    size_t name_len;
    unsigned method; /* ZIP_STORED or ZIP_DEFLATED */
    uint32_t crc;
    uint64_t csize, usize;
    uint64_t header_at; /* offset of the local header */
    uint64_t data_at;   /* offset of the member's data */
} zip_entry;

/* The members of the zip in p[0, len) (input offsets start at base), in
 * the central directory's order, their bounds checked against len. The
 * array is allocated with brine_malloc (its size bounded by the directory
 * in the input); free it with brine_free. */
int zip_read_directory(const unsigned char *p, size_t len, uint64_t base, zip_entry **entries, size_t *count,
                       brine_error *err);

/* Inflates a deflated member into memory growing with what comes out, to
 * exactly e->usize bytes, and checks its CRC. */
int zip_inflate(const zip_entry *e, const unsigned char *data, unsigned char **out, brine_error *err);

/* The CRC-32 of zip (and gzip, and PNG). */
uint32_t zip_crc32(uint32_t crc, const void *p, size_t len);

/* A zip being written: the entries so far, for the central directory. */
typedef struct zip_writer zip_writer;

zip_writer *zip_writer_new(brine_output *out, int level, brine_error *err);
void zip_writer_free(zip_writer *w);

/* Writes one member whose content is the concatenation of parts (n of
 * them): stored, or deflated at the writer's level (1-9) when it has one. */
int zip_write_member(zip_writer *w, const char *name, size_t name_len, const void *const *parts, const size_t *lens,
                     size_t n, brine_error *err);

/* The central directory and the end record(s). */
int zip_write_end(zip_writer *w, brine_error *err);

#endif /* BRINE_NPY_ZIP_H */
