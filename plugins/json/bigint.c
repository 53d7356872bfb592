/* bigint.c: integers beyond 64 bits as text: decimal tokens <-> minimal
 * two's-complement little-endian bytes (the BIGINT event layout), and the
 * hex text of the $int tag for ints too long for decimal. Decimal is
 * schoolbook base 10^9 arithmetic, quadratic, which is why its length is
 * capped at JS_MAX_DIGITS as in Python 3.11; hex is linear and uncapped.
 */
#include <string.h>

#include "json.h"

/* Turns magnitude bytes mag[0..len) (little-endian, with room for one more
 * byte) into minimal two's complement with the sign applied, in place;
 * returns the new length. */
static size_t twos_minimal(unsigned char *mag, size_t len, int neg)
{
    mag[len++] = 0; /* room for the sign bit */
    if (neg) {
        unsigned carry = 1;
        for (size_t i = 0; i < len; i++) {
            unsigned v = (unsigned)(unsigned char)~mag[i] + carry;
            mag[i] = (unsigned char)v;
            carry = v >> 8;
        }
    }
    while (len > 1 &&
           ((mag[len - 1] == 0 && !(mag[len - 2] & 0x80)) || (mag[len - 1] == 0xff && (mag[len - 2] & 0x80))))
        len--;
    return len;
}

int js_dec_to_le(const unsigned char *digits, size_t count, int neg, js_buf *b, brine_error *err)
{
    static const uint32_t pow10[10] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};
    size_t max_limbs = count / 9 + 2;
    uint32_t *limbs = brine_malloc(max_limbs * sizeof *limbs);
    if (!limbs)
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    size_t n = 0;
    size_t i = 0, first = count % 9 ? count % 9 : 9;
    while (i < count) {
        size_t take = i == 0 ? first : 9;
        uint32_t chunk = 0;
        for (size_t j = 0; j < take; j++)
            chunk = chunk * 10 + (uint32_t)(digits[i + j] - '0');
        uint64_t carry = chunk;
        for (size_t k = 0; k < n; k++) {
            uint64_t t = (uint64_t)limbs[k] * pow10[take] + carry;
            limbs[k] = (uint32_t)t;
            carry = t >> 32;
        }
        if (carry)
            limbs[n++] = (uint32_t)carry;
        i += take;
    }
    b->len = 0;
    int rc = js_buf_grow(b, n * 4 + 1, err);
    if (rc == BRINE_OK) {
        for (size_t k = 0; k < n; k++)
            for (int j = 0; j < 4; j++)
                b->data[k * 4 + (size_t)j] = (unsigned char)(limbs[k] >> (8 * j));
        b->len = twos_minimal(b->data, n * 4, neg);
    }
    brine_free(limbs);
    return rc;
}

static int hex_digit(unsigned c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    return -1;
}

int js_hex_to_le(const unsigned char *digits, size_t count, int neg, js_buf *b, brine_error *err)
{
    b->len = 0;
    int rc = js_buf_grow(b, count / 2 + 2, err);
    if (rc)
        return rc;
    size_t n = 0;
    for (size_t i = count; i > 0;) {
        int lo = hex_digit(digits[--i]);
        int hi = i > 0 ? hex_digit(digits[--i]) : 0;
        b->data[n++] = (unsigned char)(hi << 4 | lo);
    }
    b->len = twos_minimal(b->data, n, neg);
    return BRINE_OK;
}

/* The magnitude of le[0..len) as little-endian 32-bit limbs in a new array
 * (*count limbs, no leading zero limbs); sets *neg. */
static uint32_t *magnitude_limbs(const unsigned char *le, size_t len, int *neg, size_t *count)
{
    *neg = len && (le[len - 1] & 0x80);
    size_t n = len / 4 + 1;
    uint32_t *limbs = brine_malloc(n * sizeof *limbs);
    if (!limbs)
        return NULL;
    memset(limbs, 0, n * sizeof *limbs);
    unsigned carry = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned v = le[i];
        if (*neg) {
            v = (unsigned)(unsigned char)~le[i] + carry;
            carry = v >> 8;
            v &= 0xff;
        }
        limbs[i / 4] |= (uint32_t)v << (8 * (i % 4));
    }
    while (n > 0 && limbs[n - 1] == 0)
        n--;
    *count = n;
    return limbs;
}

int js_le_to_dec(const unsigned char *le, size_t len, js_buf *b, brine_error *err)
{
    int neg;
    size_t n;
    if (len > JS_MAX_DEC_BYTES)
        return BRINE_E_RANGE;
    uint32_t *limbs = magnitude_limbs(le, len, &neg, &n);
    if (!limbs)
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    /* Groups of 9 digits, least significant first. */
    /* len bytes hold at most 2.41 * len + 1 digits: 0.27 * len + 1.2 groups. */
    uint32_t *groups = brine_malloc((len * 3 / 10 + 2) * sizeof *groups);
    if (!groups) {
        brine_free(limbs);
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    }
    size_t g = 0;
    while (n > 0) {
        uint64_t rem = 0;
        for (size_t k = n; k-- > 0;) {
            uint64_t cur = rem << 32 | limbs[k];
            limbs[k] = (uint32_t)(cur / 1000000000u);
            rem = cur % 1000000000u;
        }
        groups[g++] = (uint32_t)rem;
        while (n > 0 && limbs[n - 1] == 0)
            n--;
    }
    /* The digit count, as Python counts it for int_max_str_digits. */
    size_t digits = g ? 9 * (g - 1) : 1;
    for (uint32_t top = g ? groups[g - 1] : 0; top; top /= 10)
        digits++;
    int rc = digits > JS_MAX_DIGITS ? BRINE_E_RANGE : js_buf_grow(b, g * 9 + 2, err);
    if (rc == BRINE_OK) {
        unsigned char *o = b->data + b->len;
        if (neg)
            *o++ = '-';
        if (g == 0)
            *o++ = '0';
        for (size_t k = g; k-- > 0;) {
            char tmp[10];
            uint32_t v = groups[k];
            int t = 0;
            do {
                tmp[t++] = (char)('0' + v % 10);
                v /= 10;
            } while (v);
            if (k != g - 1)
                while (t < 9)
                    tmp[t++] = '0';
            while (t)
                *o++ = (unsigned char)tmp[--t];
        }
        b->len = (size_t)(o - b->data);
    }
    brine_free(groups);
    brine_free(limbs);
    return rc;
}

int js_le_to_hex(const unsigned char *le, size_t len, js_buf *b, brine_error *err)
{
    static const char hex[] = "0123456789abcdef";
    int neg;
    size_t n;
    uint32_t *limbs = magnitude_limbs(le, len, &neg, &n);
    if (!limbs)
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    int rc = js_buf_grow(b, n * 8 + 4, err);
    if (rc == BRINE_OK) {
        unsigned char *o = b->data + b->len;
        if (neg)
            *o++ = '-';
        *o++ = '0';
        *o++ = 'x';
        int started = 0;
        for (size_t k = n; k-- > 0;)
            for (int s = 28; s >= 0; s -= 4) {
                unsigned d = (limbs[k] >> s) & 15;
                if (d || started) {
                    *o++ = (unsigned char)hex[d];
                    started = 1;
                }
            }
        if (!started)
            *o++ = '0';
        b->len = (size_t)(o - b->data);
    }
    brine_free(limbs);
    return rc;
}

void js_le_event(const unsigned char *le, size_t len, brine_event *ev)
{
    if (len <= 8) {
        uint64_t u = 0;
        for (size_t i = 0; i < len; i++)
            u |= (uint64_t)le[i] << (8 * i);
        if (len && len < 8 && (le[len - 1] & 0x80))
            u |= ~0ull << (8 * len); /* sign-extend */
        ev->kind = BRINE_EV_INT;
        ev->v.i = (int64_t)u;
    } else if (len == 9 && le[8] == 0) {
        uint64_t u = 0;
        for (size_t i = 0; i < 8; i++)
            u |= (uint64_t)le[i] << (8 * i);
        ev->kind = BRINE_EV_UINT;
        ev->v.u = u;
    } else {
        ev->kind = BRINE_EV_BIGINT;
        ev->v.s.ptr = (const char *)le;
        ev->v.s.len = len;
    }
}
