/* ext.c: the rules of ext headers and of the timestamp ext type (-1), shared
 * by the decoder (to tell a canonical form from another writer's wider one)
 * and the encoder (to write a value back in the form it was read in).
 */
#include "mp.h"

unsigned mp_ext_form(uint64_t len)
{
    switch (len) {
    case 1: return MP_FIXEXT1;
    case 2: return MP_FIXEXT2;
    case 4: return MP_FIXEXT4;
    case 8: return MP_FIXEXT8;
    case 16: return MP_FIXEXT16;
    default: break;
    }
    if (len <= 0xff)
        return MP_EXT8;
    if (len <= 0xffff)
        return MP_EXT16;
    return MP_EXT32;
}

int mp_ext_form_fits(unsigned form, uint64_t len)
{
    switch (form) {
    case MP_FIXEXT1: return len == 1;
    case MP_FIXEXT2: return len == 2;
    case MP_FIXEXT4: return len == 4;
    case MP_FIXEXT8: return len == 8;
    case MP_FIXEXT16: return len == 16;
    case MP_EXT8: return len <= 0xff;
    case MP_EXT16: return len <= 0xffff;
    case MP_EXT32: return len <= 0xffffffffu;
    default: return 0;
    }
}

size_t mp_ext_header(unsigned char out[6], unsigned form, int type, uint64_t len)
{
    out[0] = (unsigned char)form;
    switch (form) {
    case MP_EXT8:
        out[1] = (unsigned char)len;
        out[2] = (unsigned char)type;
        return 3;
    case MP_EXT16:
        out[1] = (unsigned char)(len >> 8);
        out[2] = (unsigned char)len;
        out[3] = (unsigned char)type;
        return 4;
    case MP_EXT32:
        mp_store32(out + 1, (uint32_t)len);
        out[5] = (unsigned char)type;
        return 6;
    default: out[1] = (unsigned char)type; return 2;
    }
}

/* The spec: timestamp 32 holds unsigned seconds; timestamp 64 holds 30 bits
 * of nanoseconds above 34 bits of unsigned seconds; timestamp 96 holds
 * 32-bit nanoseconds then signed 64-bit seconds. Nanoseconds never exceed
 * 999999999. */
int mp_ts_read(const unsigned char *p, size_t len, int64_t *sec, uint32_t *nsec)
{
    if (len == 4) {
        *sec = (int64_t)mp_load32(p);
        *nsec = 0;
        return 1;
    }
    if (len == 8) {
        uint64_t v = mp_load64(p);
        *nsec = (uint32_t)(v >> 34);
        *sec = (int64_t)(v & ((UINT64_C(1) << 34) - 1));
        return *nsec <= 999999999u;
    }
    if (len == 12) {
        *nsec = mp_load32(p);
        *sec = (int64_t)mp_load64(p + 4);
        return *nsec <= 999999999u;
    }
    return 0;
}

size_t mp_ts_width(int64_t sec, uint32_t nsec)
{
    if (mp_ts_fits(sec, nsec, 4))
        return 4;
    if (mp_ts_fits(sec, nsec, 8))
        return 8;
    return 12;
}

int mp_ts_fits(int64_t sec, uint32_t nsec, uint64_t width)
{
    if (nsec > 999999999u)
        return 0;
    switch (width) {
    case 4: return nsec == 0 && sec >= 0 && sec <= (int64_t)UINT32_MAX;
    case 8: return sec >= 0 && sec < ((int64_t)1 << 34);
    case 12: return 1;
    default: return 0;
    }
}

void mp_ts_write(unsigned char out[12], int64_t sec, uint32_t nsec, size_t width)
{
    if (width == 4) {
        mp_store32(out, (uint32_t)sec);
    } else if (width == 8) {
        mp_store64(out, (uint64_t)nsec << 34 | (uint64_t)sec);
    } else {
        mp_store32(out, nsec);
        mp_store64(out + 4, (uint64_t)sec);
    }
}
