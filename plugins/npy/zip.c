/* zip.c: reads and writes the zip container of .npz (layouts in zip.h).
 * Reading trusts nothing: the end record is looked for only where it can
 * be (the last 22 + 65535 bytes), every offset and size of the directory
 * and of each local header is checked against the input before use, and a
 * deflated member's memory grows with what inflate produces, up to the size
 * the directory declares. Writing streams each member after its local
 * header and keeps only the directory entries; sizes and offsets past 4 GiB
 * get zip64 fields, as Python's zipfile writes them.
 */
#include <stdlib.h>
#include <zlib.h>

#include "zip.h"

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END 0x06054b50u
#define SIG_END64 0x06064b50u
#define SIG_LOC64 0x07064b50u
#define LOCAL_LEN 30
#define CENTRAL_LEN 46
#define END_LEN 22
#define END64_LEN 56
#define LOC64_LEN 20
#define U32_MAX_ 0xFFFFFFFFu

uint32_t zip_crc32(uint32_t crc, const void *p, size_t len)
{
    const unsigned char *b = p;
    /* zlib's crc32 takes a uInt length. */
    while (len) {
        uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
        crc = (uint32_t)crc32(crc, b, n);
        b += n;
        len -= n;
    }
    return crc;
}

/* ---- reading ---- */

static int zfail(brine_error *err, int code, uint64_t at, const char *what)
{
    return brine_error_set_at(err, code, at, "npz: %s", what);
}

/* The zip64 extra field of a central entry: the u64s whose u32 fields
 * were FFFFFFFF, in the order usize, csize, offset. */
static int zip64_extra(const unsigned char *x, size_t xlen, uint64_t at, zip_entry *e, uint32_t usize32,
                       uint32_t csize32, uint32_t off32, brine_error *err)
{
    size_t pos = 0;
    while (pos + 4 <= xlen) {
        unsigned id = npy_le16(x + pos), n = npy_le16(x + pos + 2);
        if (n > xlen - pos - 4)
            return zfail(err, BRINE_E_CORRUPT, at + pos, "an extra field runs past its entry");
        if (id == 0x0001) {
            const unsigned char *f = x + pos + 4;
            size_t k = 0;
            uint64_t *wanted[3] = {usize32 == U32_MAX_ ? &e->usize : NULL, csize32 == U32_MAX_ ? &e->csize : NULL,
                                   off32 == U32_MAX_ ? &e->header_at : NULL};
            for (int i = 0; i < 3; i++) {
                if (!wanted[i])
                    continue;
                if (k + 8 > n)
                    return zfail(err, BRINE_E_CORRUPT, at + pos, "a zip64 extra field too short for its sizes");
                *wanted[i] = npy_le64(f + k);
                k += 8;
            }
            return BRINE_OK;
        }
        pos += 4 + n;
    }
    if (usize32 == U32_MAX_ || csize32 == U32_MAX_ || off32 == U32_MAX_)
        return zfail(err, BRINE_E_CORRUPT, at, "a size of FFFFFFFF without a zip64 extra field");
    return BRINE_OK;
}

static int by_offset(const void *a, const void *b)
{
    uint64_t x = (*(const zip_entry *const *)a)->header_at, y = (*(const zip_entry *const *)b)->header_at;
    return x < y ? -1 : x > y;
}

/* Members that share bytes are refused: a directory of 65,535 entries
 * naming one large member would decode to 65,535 copies of it, memory
 * thousands of times the input's. Zips written by numpy, Python and zip
 * tools place each member after the last. */
static int no_overlap(zip_entry *list, size_t n, brine_error *err)
{
    if (n < 2)
        return BRINE_OK;
    zip_entry **order = brine_malloc(n * sizeof *order);
    if (!order)
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    for (size_t k = 0; k < n; k++)
        order[k] = &list[k];
    qsort(order, n, sizeof *order, by_offset);
    int rc = BRINE_OK;
    for (size_t k = 1; k < n && rc == BRINE_OK; k++)
        if (order[k - 1]->data_at + order[k - 1]->csize > order[k]->header_at)
            rc = zfail(err, BRINE_E_CORRUPT, order[k]->header_at, "two members share bytes of the file");
    brine_free(order);
    return rc;
}

int zip_read_directory(const unsigned char *p, size_t len, uint64_t base, zip_entry **entries, size_t *count,
                       brine_error *err)
{
    *entries = NULL;
    *count = 0;
    if (len < END_LEN)
        return zfail(err, len >= 4 && npy_le32(p) == SIG_LOCAL ? BRINE_E_TRUNCATED : BRINE_E_SYNTAX, base + len,
                     "not a zip file: too short for its end record");
    /* The end record is the last one whose comment reaches the end. */
    size_t end = SIZE_MAX;
    size_t lowest = len - END_LEN > 0xFFFF ? len - END_LEN - 0xFFFF : 0;
    for (size_t at = len - END_LEN + 1; at-- > lowest;) {
        if (npy_le32(p + at) == SIG_END && at + END_LEN + npy_le16(p + at + 20) == len) {
            end = at;
            break;
        }
    }
    if (end == SIZE_MAX)
        return zfail(err, BRINE_E_SYNTAX, base, "not a zip file: no end of central directory record");
    const unsigned char *r = p + end;
    uint64_t n = npy_le16(r + 10), cd_size = npy_le32(r + 12), cd_at = npy_le32(r + 16);
    if (npy_le16(r + 4) != 0 || npy_le16(r + 6) != 0 || npy_le16(r + 8) != n)
        return zfail(err, BRINE_E_UNSUPPORTED, base + end, "a zip split over several disks");
    size_t dir_end = end; /* the directory ends where the end records begin */
    if (n == 0xFFFF || cd_size == U32_MAX_ || cd_at == U32_MAX_) {
        if (end < LOC64_LEN || npy_le32(p + end - LOC64_LEN) != SIG_LOC64)
            return zfail(err, BRINE_E_CORRUPT, base + end, "zip64 sizes without a zip64 end record locator");
        const unsigned char *loc = p + end - LOC64_LEN;
        uint64_t at64 = npy_le64(loc + 8);
        if (npy_le32(loc + 4) != 0 || npy_le32(loc + 16) > 1)
            return zfail(err, BRINE_E_UNSUPPORTED, base + end - LOC64_LEN, "a zip split over several disks");
        if (at64 > end - LOC64_LEN || end - LOC64_LEN - at64 < END64_LEN || npy_le32(p + at64) != SIG_END64)
            return zfail(err, BRINE_E_CORRUPT, base + end - LOC64_LEN,
                         "the zip64 end record is not where its locator says");
        const unsigned char *z = p + at64;
        n = npy_le64(z + 32);
        cd_size = npy_le64(z + 40);
        cd_at = npy_le64(z + 48);
        if (npy_le64(z + 24) != n || npy_le32(z + 16) != 0 || npy_le32(z + 20) != 0)
            return zfail(err, BRINE_E_UNSUPPORTED, base + at64, "a zip split over several disks");
        dir_end = (size_t)at64;
    }
    if (cd_at > dir_end || cd_size > dir_end - cd_at)
        return zfail(err, BRINE_E_CORRUPT, base + end, "the central directory lies outside the file");
    if (n > cd_size / CENTRAL_LEN)
        return zfail(err, BRINE_E_CORRUPT, base + end, "more entries than the central directory has bytes for");
    zip_entry *list = brine_malloc((n ? (size_t)n : 1) * sizeof *list);
    if (!list)
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    size_t pos = (size_t)cd_at, stop = (size_t)(cd_at + cd_size);
    int rc = BRINE_OK;
    for (uint64_t k = 0; k < n; k++) {
        zip_entry *e = &list[k];
        uint64_t at = base + pos;
        if (stop - pos < CENTRAL_LEN || npy_le32(p + pos) != SIG_CENTRAL) {
            rc = zfail(err, BRINE_E_CORRUPT, at, "a central directory entry expected");
            goto out;
        }
        const unsigned char *c = p + pos;
        unsigned flags = npy_le16(c + 8), nlen = npy_le16(c + 28), xlen = npy_le16(c + 30), clen = npy_le16(c + 32);
        if ((size_t)nlen + xlen + clen > stop - pos - CENTRAL_LEN) {
            rc = zfail(err, BRINE_E_CORRUPT, at, "a central directory entry runs past the directory");
            goto out;
        }
        if (flags & 0x41) {
            rc = zfail(err, BRINE_E_UNSUPPORTED, at, "an encrypted member");
            goto out;
        }
        memset(e, 0, sizeof *e);
        e->method = npy_le16(c + 10);
        e->crc = npy_le32(c + 16);
        uint32_t csize32 = npy_le32(c + 20), usize32 = npy_le32(c + 24), off32 = npy_le32(c + 42);
        e->csize = csize32;
        e->usize = usize32;
        e->header_at = off32;
        e->name = c + CENTRAL_LEN;
        e->name_len = nlen;
        if ((rc = zip64_extra(c + CENTRAL_LEN + nlen, xlen, at + CENTRAL_LEN + nlen, e, usize32, csize32, off32, err)))
            goto out;
        if (npy_le16(c + 34) != 0) {
            rc = zfail(err, BRINE_E_UNSUPPORTED, at, "a zip split over several disks");
            goto out;
        }
        if (e->method != ZIP_STORED && e->method != ZIP_DEFLATED) {
            char what[96];
            snprintf(what, sizeof what, "member compression method %u (stored 0 and deflate 8 are read)", e->method);
            rc = zfail(err, BRINE_E_UNSUPPORTED, at, what);
            goto out;
        }
        if (e->method == ZIP_STORED && e->csize != e->usize) {
            rc = zfail(err, BRINE_E_CORRUPT, at, "a stored member whose two sizes differ");
            goto out;
        }
        /* The local header: in the file, before the directory, same name. */
        uint64_t h = e->header_at;
        if (h > cd_at || cd_at - h < LOCAL_LEN || npy_le32(p + h) != SIG_LOCAL) {
            rc = zfail(err, BRINE_E_CORRUPT, at, "a member's local header is not where the directory says");
            goto out;
        }
        unsigned lnlen = npy_le16(p + h + 26), lxlen = npy_le16(p + h + 28);
        uint64_t data = h + LOCAL_LEN + lnlen + lxlen;
        if (data > cd_at || lnlen != nlen || memcmp(p + h + LOCAL_LEN, e->name, nlen) != 0) {
            rc = zfail(err, BRINE_E_CORRUPT, base + h, "a member's local header does not match its directory entry");
            goto out;
        }
        if (e->csize > cd_at - data) {
            rc = zfail(err, BRINE_E_CORRUPT, base + h, "a member's data runs past the start of the directory");
            goto out;
        }
        e->header_at = base + h;
        e->data_at = base + data;
        pos += CENTRAL_LEN + (size_t)nlen + xlen + clen;
    }
    if ((rc = no_overlap(list, (size_t)n, err)))
        goto out;
    *entries = list;
    *count = (size_t)n;
    return BRINE_OK;
out:
    brine_free(list);
    return rc;
}

int zip_inflate(const zip_entry *e, const unsigned char *data, unsigned char **out, brine_error *err)
{
    *out = NULL;
    if (e->usize > (uint64_t)(SIZE_MAX / 2))
        return zfail(err, BRINE_E_RANGE, e->header_at, "a member larger than memory");
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    /* Deflate's best ratio is about 1032:1: a member that claims more is
     * refused before any memory is asked for it. */
    if (e->usize / 1032 > e->csize + 1) {
        inflateEnd(&z);
        return zfail(err, BRINE_E_CORRUPT, e->header_at, "a deflated member declares more than its data can hold");
    }
    /* Room for four times the input first, grown as output arrives. */
    size_t total = (size_t)e->usize, cap = total, done = 0;
    if (total > 65536 && total / 4 > e->csize)
        cap = e->csize * 4 > 65536 ? (size_t)e->csize * 4 : 65536;
    unsigned char *buf = brine_malloc(cap ? cap : 1);
    int rc = BRINE_OK, zr = Z_OK;
    const unsigned char *in = data;
    uint64_t in_left = e->csize;
    if (!buf) {
        rc = brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        goto out;
    }
    for (;;) {
        if (done == cap && zr != Z_STREAM_END) {
            if (cap == total) {
                /* Full: inflate must be at its end now, with no more output. */
                unsigned char probe;
                z.next_out = &probe;
                z.avail_out = 1;
                if (z.avail_in == 0 && in_left) {
                    uInt n = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
                    z.next_in = (unsigned char *)in;
                    z.avail_in = n;
                    in += n;
                    in_left -= n;
                }
                zr = inflate(&z, Z_NO_FLUSH);
                if (zr == Z_STREAM_END && z.avail_out == 1)
                    break;
                rc = zfail(err, BRINE_E_CORRUPT, e->header_at, "a deflated member longer than its declared size");
                goto out;
            }
            size_t ncap = cap > total / 2 ? total : cap * 2;
            unsigned char *nb = brine_realloc(buf, ncap);
            if (!nb) {
                rc = brine_error_set(err, BRINE_E_NOMEM, "out of memory");
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        if (zr == Z_STREAM_END)
            break;
        if (z.avail_in == 0 && in_left) {
            uInt n = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
            z.next_in = (unsigned char *)in;
            z.avail_in = n;
            in += n;
            in_left -= n;
        }
        size_t room = cap - done;
        z.next_out = buf + done;
        z.avail_out = room > (1u << 30) ? (1u << 30) : (uInt)room;
        uInt before = z.avail_out;
        zr = inflate(&z, Z_NO_FLUSH);
        done += before - z.avail_out;
        if (zr == Z_STREAM_END)
            break;
        if (zr == Z_BUF_ERROR && z.avail_in == 0 && in_left == 0) {
            rc = zfail(err, BRINE_E_TRUNCATED, e->header_at, "a deflated member ends early");
            goto out;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            rc = zfail(err, zr == Z_MEM_ERROR ? BRINE_E_NOMEM : BRINE_E_CORRUPT, e->header_at,
                       "a deflated member is not valid deflate data");
            goto out;
        }
    }
    if (done != total) {
        rc = zfail(err, BRINE_E_CORRUPT, e->header_at, "a deflated member shorter than its declared size");
        goto out;
    }
    if (zip_crc32(0, buf, done) != e->crc) {
        rc = zfail(err, BRINE_E_CORRUPT, e->header_at, "a member's CRC-32 does not match its data");
        goto out;
    }
    *out = buf;
    buf = NULL;
out:
    inflateEnd(&z);
    brine_free(buf);
    return rc;
}

/* ---- writing ---- */

typedef struct zip_written {
    char *name;
    size_t name_len;
    unsigned method;
    uint32_t crc;
    uint64_t csize, usize, at;
} zip_written;

struct zip_writer {
    brine_output *out;
    int level; /* 0: stored */
    zip_written *list;
    size_t count, cap;
};

zip_writer *zip_writer_new(brine_output *out, int level, brine_error *err)
{
    zip_writer *w = brine_malloc(sizeof *w);
    if (!w) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    memset(w, 0, sizeof *w);
    w->out = out;
    w->level = level;
    return w;
}

void zip_writer_free(zip_writer *w)
{
    if (!w)
        return;
    for (size_t k = 0; k < w->count; k++)
        brine_free(w->list[k].name);
    brine_free(w->list);
    brine_free(w);
}

/* Deflates parts into a growing buffer (raw deflate, as zip stores it). */
static int deflate_parts(int level, const void *const *parts, const size_t *lens, size_t n, unsigned char **out,
                         size_t *out_len, brine_error *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    size_t cap = 65536, done = 0;
    unsigned char *buf = brine_malloc(cap);
    int rc = buf ? BRINE_OK : brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    for (size_t i = 0; rc == BRINE_OK && i <= n; i++) {
        const unsigned char *p = i < n ? parts[i] : NULL;
        size_t left = i < n ? lens[i] : 0;
        int flush = i < n ? Z_NO_FLUSH : Z_FINISH;
        for (;;) {
            if (z.avail_in == 0 && left) {
                uInt k = left > (1u << 30) ? (1u << 30) : (uInt)left;
                z.next_in = (unsigned char *)p;
                z.avail_in = k;
                p += k;
                left -= k;
            }
            if (done == cap) {
                unsigned char *nb = cap > SIZE_MAX / 4 ? NULL : brine_realloc(buf, cap * 2);
                if (!nb) {
                    rc = brine_error_set(err, BRINE_E_NOMEM, "out of memory");
                    break;
                }
                buf = nb;
                cap *= 2;
            }
            size_t room = cap - done;
            z.next_out = buf + done;
            z.avail_out = room > (1u << 30) ? (1u << 30) : (uInt)room;
            uInt before = z.avail_out;
            int zr = deflate(&z, left || z.avail_in ? Z_NO_FLUSH : flush);
            done += before - z.avail_out;
            if (zr == Z_STREAM_END)
                break;
            if (zr != Z_OK && zr != Z_BUF_ERROR) {
                rc = brine_error_set(err, BRINE_E_NOMEM, "deflate failed");
                break;
            }
            if (flush == Z_NO_FLUSH && z.avail_in == 0 && !left && z.avail_out)
                break;
        }
    }
    deflateEnd(&z);
    if (rc) {
        brine_free(buf);
        return rc;
    }
    *out = buf;
    *out_len = done;
    return BRINE_OK;
}

/* The DOS date of 1980-01-01 00:00, as numpy.savez stamps its members:
 * the same arrays give the same bytes. */
#define DOS_DATE 0x0021
#define DOS_TIME 0

static int name_is_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return 0;
    return 1;
}

int zip_write_member(zip_writer *w, const char *name, size_t name_len, const void *const *parts, const size_t *lens,
                     size_t n, brine_error *err)
{
    if (name_len > 0xFFFF)
        return brine_error_set(err, BRINE_E_RANGE, "an npz member name of %zu bytes (at most 65535)", name_len);
    if (w->count == w->cap) {
        size_t ncap = w->cap ? w->cap * 2 : 8;
        zip_written *l = brine_realloc(w->list, ncap * sizeof *l);
        if (!l)
            return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        w->list = l;
        w->cap = ncap;
    }
    zip_written *e = &w->list[w->count];
    memset(e, 0, sizeof *e);
    if (!(e->name = brine_malloc(name_len ? name_len : 1)))
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    memcpy(e->name, name, name_len);
    e->name_len = name_len;
    w->count++;
    e->at = brine_output_total(w->out);
    for (size_t i = 0; i < n; i++) {
        e->crc = zip_crc32(e->crc, parts[i], lens[i]);
        e->usize += lens[i];
    }
    unsigned char *packed = NULL;
    size_t packed_len = 0;
    int rc;
    if (w->level) {
        e->method = ZIP_DEFLATED;
        if ((rc = deflate_parts(w->level, parts, lens, n, &packed, &packed_len, err)))
            return rc;
        e->csize = packed_len;
    } else {
        e->method = ZIP_STORED;
        e->csize = e->usize;
        /* A size hint: a file output reserves the member's blocks. */
        if ((rc = brine_output_expect(w->out, LOCAL_LEN + 20 + name_len + (size_t)e->usize, err)))
            return rc;
    }
    int z64 = e->usize >= U32_MAX_ || e->csize >= U32_MAX_;
    unsigned char h[LOCAL_LEN + 20];
    npy_put32(h, SIG_LOCAL);
    npy_put16(h + 4, z64 ? 45 : 20);
    npy_put16(h + 6, name_is_ascii(name, name_len) ? 0 : 0x0800); /* bit 11: the name is UTF-8 */
    npy_put16(h + 8, e->method);
    npy_put16(h + 10, DOS_TIME);
    npy_put16(h + 12, DOS_DATE);
    npy_put32(h + 14, e->crc);
    npy_put32(h + 18, z64 ? U32_MAX_ : (uint32_t)e->csize);
    npy_put32(h + 22, z64 ? U32_MAX_ : (uint32_t)e->usize);
    npy_put16(h + 26, (uint32_t)name_len);
    npy_put16(h + 28, z64 ? 20 : 0);
    size_t hl = LOCAL_LEN;
    rc = brine_output_write(w->out, h, hl, err);
    if (rc == BRINE_OK)
        rc = brine_output_write(w->out, name, name_len, err);
    if (rc == BRINE_OK && z64) {
        unsigned char x[20];
        npy_put16(x, 0x0001);
        npy_put16(x + 2, 16);
        npy_put64(x + 4, e->usize);
        npy_put64(x + 12, e->csize);
        rc = brine_output_write(w->out, x, sizeof x, err);
    }
    if (w->level) {
        if (rc == BRINE_OK)
            rc = brine_output_write(w->out, packed, packed_len, err);
        brine_free(packed);
    } else {
        for (size_t i = 0; rc == BRINE_OK && i < n; i++)
            if (lens[i])
                rc = brine_output_write(w->out, parts[i], lens[i], err);
    }
    return rc;
}

int zip_write_end(zip_writer *w, brine_error *err)
{
    uint64_t cd_at = brine_output_total(w->out);
    int rc = BRINE_OK;
    for (size_t k = 0; rc == BRINE_OK && k < w->count; k++) {
        const zip_written *e = &w->list[k];
        unsigned char c[CENTRAL_LEN], x[4 + 24];
        size_t xl = 4;
        if (e->usize >= U32_MAX_)
            npy_put64(x + xl, e->usize), xl += 8;
        if (e->csize >= U32_MAX_)
            npy_put64(x + xl, e->csize), xl += 8;
        if (e->at >= U32_MAX_)
            npy_put64(x + xl, e->at), xl += 8;
        npy_put16(x, 0x0001);
        npy_put16(x + 2, (uint32_t)(xl - 4));
        if (xl == 4)
            xl = 0;
        npy_put32(c, SIG_CENTRAL);
        npy_put16(c + 4, 3u << 8 | (xl ? 45 : 20)); /* made on Unix */
        npy_put16(c + 6, xl ? 45 : 20);
        npy_put16(c + 8, name_is_ascii(e->name, e->name_len) ? 0 : 0x0800);
        npy_put16(c + 10, e->method);
        npy_put16(c + 12, DOS_TIME);
        npy_put16(c + 14, DOS_DATE);
        npy_put32(c + 16, e->crc);
        npy_put32(c + 20, e->csize >= U32_MAX_ ? U32_MAX_ : (uint32_t)e->csize);
        npy_put32(c + 24, e->usize >= U32_MAX_ ? U32_MAX_ : (uint32_t)e->usize);
        npy_put16(c + 28, (uint32_t)e->name_len);
        npy_put16(c + 30, (uint32_t)xl);
        npy_put16(c + 32, 0);
        npy_put16(c + 34, 0);
        npy_put16(c + 36, 0);
        npy_put32(c + 38, 0600u << 16); /* rw------- as numpy.savez's */
        npy_put32(c + 42, e->at >= U32_MAX_ ? U32_MAX_ : (uint32_t)e->at);
        rc = brine_output_write(w->out, c, sizeof c, err);
        if (rc == BRINE_OK)
            rc = brine_output_write(w->out, e->name, e->name_len, err);
        if (rc == BRINE_OK && xl)
            rc = brine_output_write(w->out, x, xl, err);
    }
    if (rc)
        return rc;
    uint64_t end_at = brine_output_total(w->out), cd_size = end_at - cd_at;
    int z64 = w->count >= 0xFFFF || cd_size >= U32_MAX_ || cd_at >= U32_MAX_;
    if (z64) {
        unsigned char z[END64_LEN + LOC64_LEN];
        npy_put32(z, SIG_END64);
        npy_put64(z + 4, END64_LEN - 12);
        npy_put16(z + 12, 3u << 8 | 45);
        npy_put16(z + 14, 45);
        npy_put32(z + 16, 0);
        npy_put32(z + 20, 0);
        npy_put64(z + 24, w->count);
        npy_put64(z + 32, w->count);
        npy_put64(z + 40, cd_size);
        npy_put64(z + 48, cd_at);
        unsigned char *l = z + END64_LEN;
        npy_put32(l, SIG_LOC64);
        npy_put32(l + 4, 0);
        npy_put64(l + 8, end_at);
        npy_put32(l + 16, 1);
        if ((rc = brine_output_write(w->out, z, sizeof z, err)))
            return rc;
    }
    unsigned char r[END_LEN];
    npy_put32(r, SIG_END);
    npy_put16(r + 4, 0);
    npy_put16(r + 6, 0);
    npy_put16(r + 8, z64 ? 0xFFFF : (uint32_t)w->count);
    npy_put16(r + 10, z64 ? 0xFFFF : (uint32_t)w->count);
    npy_put32(r + 12, z64 ? U32_MAX_ : (uint32_t)cd_size);
    npy_put32(r + 16, z64 ? U32_MAX_ : (uint32_t)cd_at);
    npy_put16(r + 20, 0);
    return brine_output_write(w->out, r, sizeof r, err);
}
