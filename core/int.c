/* int.c: ints of any size: construction from int64/uint64, bytes and
 * decimal text, and conversion back. One value has one representation, so
 * two ints are equal exactly when their representations are; decimal
 * conversion stops at 4300 digits, like Python's int_max_str_digits. */
#include <string.h>

#include "internal.h"

/* Representations: I64 for the int64 range, U64 only above INT64_MAX, BIG
 * (a blob of minimal two's-complement little-endian bytes) only outside both.
 * Decimal conversion is quadratic, so it is refused beyond DIGITS_MAX digits:
 * a hostile 10 MB number fails fast with BRINE_E_RANGE instead of hanging.
 * The byte form (brine_int_to_bytes, the BIGINT event) has no such limit. */

#define DIGITS_MAX 4300
/* 10^4300 < 2^14285: an int of at most DIGITS_MAX digits needs at most 447
 * 32-bit limbs, and its minimal two's-complement form at most 1787 bytes. */
#define LIMBS_MAX 448
#define BYTES_MAX 1787
#define CHUNK_BASE 1000000000u /* 9 decimal digits per step */

/* Defined here, used by repr.c; belongs in internal.h. */

/* ---- representations ---------------------------------------------------- */

/* Length of the minimal two's-complement form of le[0..len). */
static size_t minimal_len(const unsigned char *le, size_t len)
{
    while (len > 0) {
        unsigned char top = le[len - 1];
        if (len == 1)
            return top == 0 ? 0 : 1;
        unsigned char next_sign = le[len - 2] & 0x80;
        if ((top == 0x00 && !next_sign) || (top == 0xFF && next_sign))
            len--;
        else
            break;
    }
    return len;
}

int brinep_int_from_bytes(brine_doc *doc, const void *le, size_t len, brine_value *out)
{
    const unsigned char *b = le;
    len = b ? minimal_len(b, len) : 0;
    memset(out, 0, sizeof *out);
    out->type = BRINE_INT;
    if (len <= 8) {
        uint64_t u = len && (b[len - 1] & 0x80) ? UINT64_MAX : 0;
        for (size_t i = 0; i < len; i++) {
            u &= ~((uint64_t)0xFF << (8 * i));
            u |= (uint64_t)b[i] << (8 * i);
        }
        out->sub = BRINEP_INT_I64;
        out->as.i = (int64_t)u;
        return BRINE_OK;
    }
    if (len == 9 && b[8] == 0) {
        uint64_t u = 0;
        for (size_t i = 0; i < 8; i++)
            u |= (uint64_t)b[i] << (8 * i);
        out->sub = BRINEP_INT_U64;
        out->as.u = u;
        return BRINE_OK;
    }
    out->sub = BRINEP_INT_BIG;
    out->as.blob = brinep_blob_new(doc, b, len);
    if (len >= BRINEP_HUGE_INT_BYTES) /* the builder's and the value API's big ints */
        doc->kinds |= BRINE_KIND_HUGE_INT;
    return out->as.blob ? BRINE_OK : BRINE_E_NOMEM;
}

/* The minimal bytes of a 64-bit representation into buf[9]. */
static size_t small_bytes(const brine_value *v, unsigned char buf[9])
{
    uint64_t u = v->as.u;
    for (size_t i = 0; i < 8; i++)
        buf[i] = (unsigned char)(u >> (8 * i));
    buf[8] = v->sub == BRINEP_INT_I64 && v->as.i < 0 ? 0xFF : 0x00;
    return minimal_len(buf, 9);
}

static brine_value *int_slot(brine_doc *doc, brine_error *err)
{
    if (!doc) {
        brine_error_set(err, BRINE_E_INVALID, "a value needs a document");
        return NULL;
    }
    brine_value *v = brinep_alloc(doc, sizeof *v);
    if (!v)
        brinep_nomem(err);
    return v;
}

brine_value *brine_int_new(brine_doc *doc, int64_t i, brine_error *err)
{
    brinep_enter(err);
    brine_value *v = int_slot(doc, err);
    if (v) {
        memset(v, 0, sizeof *v);
        v->type = BRINE_INT;
        v->sub = BRINEP_INT_I64;
        v->as.i = i;
    }
    return v;
}

brine_value *brine_uint_new(brine_doc *doc, uint64_t u, brine_error *err)
{
    brinep_enter(err);
    brine_value *v = int_slot(doc, err);
    if (v) {
        memset(v, 0, sizeof *v);
        v->type = BRINE_INT;
        v->sub = u > INT64_MAX ? BRINEP_INT_U64 : BRINEP_INT_I64;
        v->as.u = u;
    }
    return v;
}

brine_value *brine_int_new_bytes(brine_doc *doc, const void *le, size_t len, brine_error *err)
{
    brinep_enter(err);
    if (!le && len) {
        brine_error_set(err, BRINE_E_INVALID, "an int needs its bytes");
        return NULL;
    }
    brine_value *v = int_slot(doc, err);
    if (v && brinep_int_from_bytes(doc, le, len, v)) {
        brinep_nomem(err);
        return NULL;
    }
    return v;
}

/* ---- getters ------------------------------------------------------------ */

static int is_int(const brine_value *v)
{
    return v && v->type == BRINE_INT;
}

int brine_int_get_i64(const brine_value *v, int64_t *out)
{
    if (!is_int(v))
        return BRINE_E_TYPE;
    if (v->sub != BRINEP_INT_I64)
        return BRINE_E_RANGE;
    if (out)
        *out = v->as.i;
    return BRINE_OK;
}

int brine_int_get_u64(const brine_value *v, uint64_t *out)
{
    if (!is_int(v))
        return BRINE_E_TYPE;
    if (v->sub == BRINEP_INT_BIG || (v->sub == BRINEP_INT_I64 && v->as.i < 0))
        return BRINE_E_RANGE;
    if (out)
        *out = v->as.u;
    return BRINE_OK;
}

int brine_int_sign(const brine_value *v)
{
    if (!is_int(v))
        return 0;
    switch (v->sub) {
    case BRINEP_INT_I64: return v->as.i < 0 ? -1 : v->as.i > 0;
    case BRINEP_INT_U64: return 1;
    default: return (v->as.blob->data[v->as.blob->len - 1] & 0x80) ? -1 : 1;
    }
}

size_t brine_int_to_bytes(const brine_value *v, void *out, size_t cap)
{
    if (!is_int(v))
        return 0;
    unsigned char small[9];
    const unsigned char *src;
    size_t len;
    if (v->sub == BRINEP_INT_BIG) {
        src = (const unsigned char *)v->as.blob->data;
        len = v->as.blob->len;
    } else {
        len = small_bytes(v, small);
        src = small;
    }
    if (out && cap)
        memcpy(out, src, len < cap ? len : cap);
    return len;
}

/* ---- decimal ------------------------------------------------------------ */

/* The magnitude of v as 32-bit limbs, least significant first; returns the
 * limb count (0 for zero), or (size_t)-1 when v has more than BYTES_MAX
 * bytes and therefore more than DIGITS_MAX digits. *neg receives the sign. */
static size_t magnitude_limbs(const brine_value *v, uint32_t limbs[LIMBS_MAX], int *neg)
{
    unsigned char small[9];
    const unsigned char *b;
    size_t len;
    if (v->sub == BRINEP_INT_BIG) {
        b = (const unsigned char *)v->as.blob->data;
        len = v->as.blob->len;
    } else {
        len = small_bytes(v, small);
        b = small;
    }
    if (len > BYTES_MAX)
        return (size_t)-1;
    *neg = len && (b[len - 1] & 0x80);
    /* Negate two's complement on the fly: invert and add one. */
    unsigned carry = 1;
    size_t n = (len + 3) / 4;
    for (size_t i = 0; i < n; i++) {
        uint32_t limb = 0;
        for (size_t j = 0; j < 4; j++) {
            size_t k = 4 * i + j;
            unsigned byte = k < len ? b[k] : (*neg ? 0xFF : 0x00);
            if (*neg) {
                byte = (~byte & 0xFF) + carry;
                carry = byte >> 8;
                byte &= 0xFF;
            }
            limb |= (uint32_t)byte << (8 * j);
        }
        limbs[i] = limb;
    }
    while (n && limbs[n - 1] == 0)
        n--;
    return n;
}

int brinep_int_decimal(const brine_value *v, char **out, size_t *out_len)
{
    uint32_t limbs[LIMBS_MAX];
    uint32_t chunks[DIGITS_MAX / 9 + 4]; /* base 10^9 digits, least significant first */
    int neg = 0;
    *out = NULL;
    size_t n = magnitude_limbs(v, limbs, &neg);
    if (n == (size_t)-1)
        return BRINE_E_RANGE;
    size_t nchunks = 0;
    while (n) {
        if (nchunks == sizeof chunks / sizeof chunks[0])
            return BRINE_E_RANGE;
        uint64_t rem = 0;
        for (size_t i = n; i-- > 0;) {
            uint64_t cur = (rem << 32) | limbs[i];
            limbs[i] = (uint32_t)(cur / CHUNK_BASE);
            rem = cur % CHUNK_BASE;
        }
        chunks[nchunks++] = (uint32_t)rem;
        while (n && limbs[n - 1] == 0)
            n--;
    }
    size_t digits = 1;
    if (nchunks) {
        digits = 9 * (nchunks - 1);
        for (uint32_t top = chunks[nchunks - 1]; top; top /= 10)
            digits++;
    }
    if (digits > DIGITS_MAX)
        return BRINE_E_RANGE;
    char *s = brine_malloc(digits + (size_t)neg + 1);
    if (!s)
        return BRINE_E_NOMEM;
    char *p = s + digits + (size_t)neg;
    *p = '\0';
    if (!nchunks)
        *--p = '0';
    for (size_t i = 0; i < nchunks; i++) {
        uint32_t c = chunks[i];
        for (int d = 0; d < 9 && (c || i + 1 < nchunks); d++, c /= 10)
            *--p = (char)('0' + c % 10);
    }
    if (neg)
        *--p = '-';
    *out = s;
    if (out_len)
        *out_len = digits + (size_t)neg;
    return BRINE_OK;
}

char *brine_int_to_decimal(const brine_value *v)
{
    char *s = NULL;
    if (!is_int(v) || brinep_int_decimal(v, &s, NULL))
        return NULL;
    return s;
}

brine_value *brine_int_new_decimal(brine_doc *doc, const char *text, size_t len, brine_error *err)
{
    brinep_enter(err);
    if (!doc || (!text && len)) {
        brine_error_set(err, BRINE_E_INVALID, "an int needs a document and text");
        return NULL;
    }
    size_t start = len && text[0] == '-';
    int neg = (int)start;
    if (start == len) {
        brine_error_set_at(err, BRINE_E_SYNTAX, len, "invalid decimal int: digits expected");
        return NULL;
    }
    for (size_t i = start; i < len; i++) {
        if (text[i] < '0' || text[i] > '9') {
            brine_error_set_at(err, BRINE_E_SYNTAX, i, "invalid decimal int: unexpected character at byte %zu", i);
            return NULL;
        }
    }
    size_t digits = len - start;
    if (digits > DIGITS_MAX) {
        brine_error_set(err, BRINE_E_RANGE,
                        "exceeds the limit (%d digits) for integer string conversion: value has %zu digits", DIGITS_MAX,
                        digits);
        return NULL;
    }
    /* Multiply-add 9 digits at a time into 32-bit limbs. */
    uint32_t limbs[LIMBS_MAX];
    size_t n = 0;
    size_t i = start;
    size_t first = digits % 9 ? digits % 9 : 9;
    while (i < len) {
        size_t take = i == start ? first : 9;
        uint32_t chunk = 0, scale = 1;
        for (size_t k = 0; k < take; k++, i++) {
            chunk = chunk * 10 + (uint32_t)(text[i] - '0');
            scale *= 10;
        }
        uint64_t carry = chunk;
        for (size_t k = 0; k < n; k++) {
            uint64_t cur = (uint64_t)limbs[k] * scale + carry;
            limbs[k] = (uint32_t)cur;
            carry = cur >> 32;
        }
        if (carry)
            limbs[n++] = (uint32_t)carry;
    }
    /* Two's complement bytes: the magnitude, a zero byte for the sign, then
     * negated when negative. */
    unsigned char bytes[LIMBS_MAX * 4 + 1];
    size_t nb = n * 4 + 1;
    for (size_t k = 0; k < n; k++)
        for (size_t j = 0; j < 4; j++)
            bytes[4 * k + j] = (unsigned char)(limbs[k] >> (8 * j));
    bytes[nb - 1] = 0;
    if (neg) {
        unsigned carry = 1;
        for (size_t k = 0; k < nb; k++) {
            unsigned b = (~(unsigned)bytes[k] & 0xFF) + carry;
            bytes[k] = (unsigned char)b;
            carry = b >> 8;
        }
    }
    brine_value *v = int_slot(doc, err);
    if (v && brinep_int_from_bytes(doc, bytes, nb, v)) {
        brinep_nomem(err);
        return NULL;
    }
    return v;
}
