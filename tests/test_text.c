/* test_text.c: brine_utf8_check and brine_dtoa.
 *
 * UTF-8: every boundary code point, each class of invalid sequence with its
 * exact offset, the edges of the 16- and 8-byte ASCII fast paths, and a
 * differential test against a byte-at-a-time reference (every sequence of
 * up to 3 bytes, 4-byte ones at every edge, random text broken at every
 * position, lengths 0..80). dtoa: Python's
 * repr for a table of values, all powers of ten, subnormals, and millions of
 * random doubles checked against strtod and snprintf.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brine/brine.h"
#include "check_util.h"

/* ------------------------------------------------------------------------
 * UTF-8
 * ------------------------------------------------------------------------ */

/* Checks len bytes copied to the very end of a heap block placed at offset
 * align, so that ASan catches any read past the end and the fast path sees
 * every alignment. */
static size_t check_at(const void *bytes, size_t len, size_t align)
{
    char *block = malloc(len + align + 1);
    ck_assert_ptr_nonnull(block);
    memset(block, 'z', align);
    memcpy(block + align, bytes, len);
    char *exact = realloc(block, len + align ? len + align : 1);
    ck_assert_ptr_nonnull(exact);
    size_t off = brine_utf8_check(exact + align, len);
    free(exact);
    return off;
}

static size_t check_bytes(const char *bytes, size_t len)
{
    return check_at(bytes, len, 0);
}

/* A string literal's bytes without its NUL. */
#define CHECK_LIT(lit) check_bytes(lit, sizeof(lit) - 1)

START_TEST(test_utf8_accepts_every_boundary_code_point)
{
    static const struct {
        const char *name;
        const char *bytes;
    } ok[] = {
        {"U+0000", "\x00"},
        {"U+007F", "\x7f"},
        {"U+0080", "\xc2\x80"},
        {"U+07FF", "\xdf\xbf"},
        {"U+0800", "\xe0\xa0\x80"},
        {"U+D7FF", "\xed\x9f\xbf"},
        {"U+E000", "\xee\x80\x80"},
        {"U+FFFF", "\xef\xbf\xbf"},
        {"U+10000", "\xf0\x90\x80\x80"},
        {"U+10FFFF", "\xf4\x8f\xbf\xbf"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t len = ok[i].bytes[0] ? strlen(ok[i].bytes) : 1;
        ck_assert_msg(check_bytes(ok[i].bytes, len) == len, "%s was rejected", ok[i].name);
        /* The same code point after two ASCII bytes and before one. */
        char buf[8] = "ab";
        memcpy(buf + 2, ok[i].bytes, len);
        buf[2 + len] = 'c';
        ck_assert_msg(check_bytes(buf, len + 3) == len + 3, "%s was rejected mid-string", ok[i].name);
    }
}
END_TEST

START_TEST(test_utf8_rejects_code_points_just_past_each_boundary)
{
    /* Surrogates U+D800 and U+DFFF, and U+110000, the first past the range. */
    ck_assert_uint_eq(CHECK_LIT("ab\xed\xa0\x80"), 2);
    ck_assert_uint_eq(CHECK_LIT("ab\xed\xbf\xbf"), 2);
    ck_assert_uint_eq(CHECK_LIT("ab\xed\xb0\x80z"), 2);
    ck_assert_uint_eq(CHECK_LIT("ab\xf4\x90\x80\x80"), 2);
    ck_assert_uint_eq(CHECK_LIT("ab\xf4\xbf\xbf\xbf"), 2);
}
END_TEST

START_TEST(test_utf8_rejects_overlong_forms_at_their_lead_byte)
{
    ck_assert_uint_eq(CHECK_LIT("x\xc0\x80"), 1);            /* U+0000 in 2 bytes */
    ck_assert_uint_eq(CHECK_LIT("x\xc1\xbf"), 1);            /* U+007F in 2 bytes */
    ck_assert_uint_eq(CHECK_LIT("xy\xe0\x80\x80"), 2);       /* U+0000 in 3 bytes */
    ck_assert_uint_eq(CHECK_LIT("xy\xe0\x9f\xbf"), 2);       /* U+07FF in 3 bytes */
    ck_assert_uint_eq(CHECK_LIT("xyz\xf0\x80\x80\x80"), 3);  /* U+0000 in 4 bytes */
    ck_assert_uint_eq(CHECK_LIT("xyz\xf0\x8f\xbf\xbf"), 3);  /* U+FFFF in 4 bytes */
    ck_assert_uint_eq(CHECK_LIT("\xf8\x88\x80\x80\x80"), 0); /* 5-byte form */
    ck_assert_uint_eq(CHECK_LIT("\xfc\x84\x80\x80\x80\x80"), 0);
}
END_TEST

START_TEST(test_utf8_rejects_stray_continuation_bytes)
{
    ck_assert_uint_eq(CHECK_LIT("\x80"), 0);
    ck_assert_uint_eq(CHECK_LIT("\xbf"), 0);
    ck_assert_uint_eq(CHECK_LIT("a\xc3\xa9\x80"), 3);    /* one too many after é */
    ck_assert_uint_eq(CHECK_LIT("\xe2\x82\xac\xac"), 3); /* one too many after € */
    ck_assert_uint_eq(CHECK_LIT("ok\x9f"), 2);
    for (unsigned b = 0x80; b <= 0xbf; b++) {
        char s[3] = {'a', (char)b, 'b'};
        ck_assert_uint_eq(check_bytes(s, 3), 1);
    }
}
END_TEST

START_TEST(test_utf8_rejects_truncated_sequences_at_their_first_byte)
{
    /* At the end of the input. */
    ck_assert_uint_eq(CHECK_LIT("abc\xc3"), 3);
    ck_assert_uint_eq(CHECK_LIT("abc\xe2\x82"), 3);
    ck_assert_uint_eq(CHECK_LIT("abc\xe2"), 3);
    ck_assert_uint_eq(CHECK_LIT("abc\xf0\x9f\x98"), 3);
    ck_assert_uint_eq(CHECK_LIT("abc\xf0\x9f"), 3);
    ck_assert_uint_eq(CHECK_LIT("abc\xf0"), 3);
    /* Cut short by an ASCII byte or by the next lead byte. */
    ck_assert_uint_eq(CHECK_LIT("\xc3"
                                "a"),
                      0);
    ck_assert_uint_eq(CHECK_LIT("\xe2\x82"
                                "a"),
                      0);
    ck_assert_uint_eq(CHECK_LIT("\xf0\x9f\x98"
                                "a"),
                      0);
    ck_assert_uint_eq(CHECK_LIT("z\xf0\x9f\xc3\xa9"), 1);
    ck_assert_uint_eq(CHECK_LIT("z\xe2\xe2\x82\xac"), 1);
    /* A length that cuts a valid string in the middle of a sequence. */
    ck_assert_uint_eq(check_bytes("\xe2\x82\xac", 2), 0);
    ck_assert_uint_eq(check_bytes("a\xf4\x8f\xbf\xbf", 4), 1);
}
END_TEST

START_TEST(test_utf8_rejects_every_byte_that_never_appears)
{
    static const unsigned char bad[] = {0xc0, 0xc1, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff};
    for (size_t i = 0; i < sizeof bad; i++) {
        /* Alone, and followed by continuation bytes that would complete a sequence. */
        char s[6] = {'a', 'b', (char)bad[i], (char)0x80, (char)0x80, (char)0x80};
        ck_assert_msg(check_bytes(s, 3) == 2, "byte %02x accepted alone", bad[i]);
        ck_assert_msg(check_bytes(s, 6) == 2, "byte %02x accepted with continuations", bad[i]);
    }
}
END_TEST

START_TEST(test_utf8_accepts_empty_input_and_nul_bytes)
{
    ck_assert_uint_eq(brine_utf8_check("", 0), 0);
    ck_assert_uint_eq(brine_utf8_check(NULL, 0), 0);
    ck_assert_uint_eq(check_bytes("\0\0\0\0\0\0\0\0\0\0", 10), 10);
}
END_TEST

START_TEST(test_utf8_finds_an_error_at_every_position_of_a_long_ascii_run)
{
    /* Lengths around the 8-byte words, errors at positions 0..40, every alignment. */
    static const char *bad[] = {"\x80", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "\xe2\x82"};
    char buf[128];
    for (size_t align = 0; align < 8; align++) {
        for (size_t pos = 0; pos <= 40; pos++) {
            for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
                size_t blen = strlen(bad[b]);
                for (size_t tail = 0; tail <= 17; tail += (tail < 9 ? 1 : 8)) {
                    size_t len = pos + blen + tail;
                    memset(buf, 'a', len);
                    memcpy(buf + pos, bad[b], blen);
                    size_t off = check_at(buf, len, align);
                    if (off != pos)
                        ck_abort_msg("error %zu at %zu (tail %zu, align %zu) found at %zu", b, pos, tail, align, off);
                }
            }
        }
    }
}
END_TEST

START_TEST(test_utf8_accepts_multibyte_text_at_every_position_of_a_long_ascii_run)
{
    static const char *good[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"};
    char buf[128];
    for (size_t align = 0; align < 8; align++) {
        for (size_t pos = 0; pos <= 40; pos++) {
            for (size_t g = 0; g < sizeof good / sizeof good[0]; g++) {
                size_t glen = strlen(good[g]);
                for (size_t tail = 0; tail <= 17; tail++) {
                    size_t len = pos + glen + tail;
                    memset(buf, 'a', len);
                    memcpy(buf + pos, good[g], glen);
                    size_t off = check_at(buf, len, align);
                    if (off != len)
                        ck_abort_msg("sequence %zu at %zu (tail %zu, align %zu) rejected at %zu", g, pos, tail, align,
                                     off);
                    /* An error after the valid sequence is still found where it is. */
                    if (tail > 0) {
                        buf[len - 1] = (char)0xbf;
                        off = check_at(buf, len, align);
                        if (off != len - 1)
                            ck_abort_msg("error after sequence %zu at %zu found at %zu, not %zu", g, pos, off, len - 1);
                    }
                }
            }
        }
    }
}
END_TEST

START_TEST(test_utf8_accepts_long_mixed_text)
{
    /* 4 KiB of text mixing ASCII runs of every length with 1..4-byte sequences. */
    static const char *pieces[] = {
        "a", "hello, world", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "0123456789abcdef"};
    char *buf = malloc(4096);
    ck_assert_ptr_nonnull(buf);
    size_t len = 0;
    for (uint32_t state = 1; len + 17 < 4096;) {
        state = state * 1103515245u + 12345u;
        size_t i = (state >> 16) % 6;
        memcpy(buf + len, pieces[i], strlen(pieces[i]));
        len += strlen(pieces[i]);
    }
    buf[len++] = 'x';
    ck_assert_uint_eq(check_bytes(buf, len), len);
    buf[len - 1] = (char)0xc3;
    ck_assert_uint_eq(check_bytes(buf, len), len - 1);
    free(buf);
}
END_TEST

/* The validator before its SSE2 fast path, written differently on purpose:
 * it decodes each code point and checks its range (table 3-7 as a rule, not
 * as byte ranges), one byte at a time. The differential tests below hold
 * brine_utf8_check to it: the same offset for every input. */
static size_t ref_utf8_check(const unsigned char *u, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned b = u[i];
        size_t n;
        uint32_t cp, min;
        if (b < 0x80) {
            i++;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            n = 2, cp = b & 0x1F, min = 0x80;
        } else if ((b & 0xF0) == 0xE0) {
            n = 3, cp = b & 0x0F, min = 0x800;
        } else if ((b & 0xF8) == 0xF0) {
            n = 4, cp = b & 0x07, min = 0x10000;
        } else {
            return i;
        }
        if (len - i < n)
            return i;
        for (size_t k = 1; k < n; k++) {
            if ((u[i + k] & 0xC0) != 0x80)
                return i;
            cp = cp << 6 | (u[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n;
    }
    return len;
}

/* seq (n bytes) placed at offset at of an ASCII frame of len bytes (the
 * rest 'a'), checked by both validators. */
static void differ_at(const unsigned char *seq, size_t n, size_t at, size_t len)
{
    unsigned char buf[96];
    memset(buf, 'a', len);
    memcpy(buf + at, seq, n);
    size_t got = brine_utf8_check((const char *)buf, len), want = ref_utf8_check(buf, len);
    if (got != want)
        ck_abort_msg("%zu bytes %02x %02x %02x %02x at %zu of %zu: %zu, reference %zu", n, seq[0], n > 1 ? seq[1] : 0,
                     n > 2 ? seq[2] : 0, n > 3 ? seq[3] : 0, at, len, got, want);
}

START_TEST(test_utf8_agrees_with_the_reference_on_every_sequence_of_one_to_three_bytes)
{
    unsigned char seq[3];
    for (unsigned a = 0; a < 256; a++) {
        seq[0] = (unsigned char)a;
        /* Alone, and at every place of a 16-byte step and its edges. */
        for (size_t at = 0; at < 40; at++)
            differ_at(seq, 1, at, at + 1 + (a % 23));
        for (unsigned b = 0; b < 256; b++) {
            seq[1] = (unsigned char)b;
            differ_at(seq, 2, 0, 2);
            differ_at(seq, 2, (a + b) % 31, 33);
            for (unsigned c = 0; c < 256; c++) {
                seq[2] = (unsigned char)c;
                /* Offsets 0..47 and frames of 3..65 bytes, varying with the bytes. */
                size_t at = (a ^ b ^ c) % 48;
                differ_at(seq, 3, at, at + 3 + (b + c) % 18);
            }
        }
    }
}
END_TEST

START_TEST(test_utf8_agrees_with_the_reference_on_four_byte_sequences)
{
    /* Every second byte, and third and fourth bytes at each edge of the
     * continuation range, after each 4-byte lead and its neighbours. */
    static const unsigned char leads[] = {0x80, 0xBF, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0,
                                          0xF1, 0xF3, 0xF4, 0xF5, 0xF7, 0xF8, 0xFF};
    static const unsigned char tails[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xF4, 0xFF};
    unsigned char seq[4];
    for (size_t l = 0; l < sizeof leads; l++) {
        seq[0] = leads[l];
        for (unsigned b = 0; b < 256; b++) {
            seq[1] = (unsigned char)b;
            for (size_t c = 0; c < sizeof tails; c++) {
                seq[2] = tails[c];
                for (size_t d = 0; d < sizeof tails; d++) {
                    seq[3] = tails[d];
                    differ_at(seq, 4, 0, 4);
                    differ_at(seq, 3, (b + d) % 20, (b + d) % 20 + 3); /* truncated at the end */
                    size_t at = (b + c + d) % 50;
                    differ_at(seq, 4, at, at + 4 + (b + c) % 30);
                }
            }
        }
    }
}
END_TEST

START_TEST(test_utf8_agrees_with_the_reference_on_runs_of_three_byte_sequences)
{
    /* brine_utf8_check takes 3-byte sequences two to a word: a valid one at
     * each edge of the range, then every lead near E0..EF with every second
     * byte and third bytes at the continuation edges, then more valid ones,
     * at offsets and lengths that put the pair anywhere in a word. */
    static const unsigned char firsts[][3] = {{0xE0, 0xA0, 0x80}, {0xE1, 0x80, 0x80}, {0xEC, 0xBF, 0xBF},
                                              {0xED, 0x9F, 0xBF}, {0xEE, 0x80, 0x80}, {0xEF, 0xBF, 0xBF}};
    static const unsigned char tails[] = {0x00, 0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xE3, 0xFF};
    unsigned char seq[12];
    for (size_t f = 0; f < sizeof firsts / sizeof firsts[0]; f++) {
        memcpy(seq, firsts[f], 3);
        memcpy(seq + 6, "\xe3\x81\x82\xe6\x97\xa5", 6);
        for (unsigned a = 0xDF; a <= 0xF0; a++) {
            seq[3] = (unsigned char)a;
            for (unsigned b = 0; b < 256; b++) {
                seq[4] = (unsigned char)b;
                for (size_t c = 0; c < sizeof tails; c++) {
                    seq[5] = tails[c];
                    size_t at = (a + b + c) % 9, n = 6 + (b + c) % 7;
                    differ_at(seq, n, at, at + n + (a ^ b) % 5);
                }
            }
        }
    }
}
END_TEST

START_TEST(test_utf8_agrees_with_the_reference_on_random_text_broken_at_every_position)
{
    /* Valid pieces of every width; then each position of each string in turn
     * gets a byte that breaks it (or a lead byte that starts a sequence the
     * rest cannot finish). Lengths 0..80 cover a 16-byte step and its edges
     * five times over; check_at puts the end at a heap block's end, every
     * alignment, so a read past the end trips ASan. */
    static const char *pieces[] = {"a",
                                   "xyz",
                                   "0123456789abcdef",
                                   "\xc2\x80",
                                   "\xdf\xbf",
                                   "\xe0\xa0\x80",
                                   "\xed\x9f\xbf",
                                   "\xef\xbf\xbf",
                                   "\xf0\x90\x80\x80",
                                   "\xf4\x8f\xbf\xbf"};
    static const unsigned char breakers[] = {0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF};
    uint32_t state = 12345;
    for (size_t len = 0; len <= 80; len++) {
        for (int round = 0; round < 8; round++) {
            unsigned char buf[96];
            size_t n = 0;
            while (n < len) {
                state = state * 1103515245u + 12345u;
                const char *p = pieces[(state >> 16) % 10];
                size_t k = strlen(p);
                if (k > len - n)
                    k = len - n; /* may cut the last sequence short: invalid too */
                memcpy(buf + n, p, k);
                n += k;
            }
            size_t want = ref_utf8_check(buf, len);
            ck_assert_uint_eq(check_at(buf, len, (size_t)round), want);
            for (size_t at = 0; at < len; at++) {
                unsigned char keep = buf[at];
                state = state * 1103515245u + 12345u;
                buf[at] = breakers[(state >> 16) % sizeof breakers];
                want = ref_utf8_check(buf, len);
                size_t got = brine_utf8_check((const char *)buf, len);
                if (got != want)
                    ck_abort_msg("len %zu, byte %zu = %02x: %zu, reference %zu", len, at, buf[at], got, want);
                if (at % 7 == (size_t)round)
                    ck_assert_uint_eq(check_at(buf, len, at % 16), want);
                buf[at] = keep;
            }
        }
    }
}
END_TEST

/* ------------------------------------------------------------------------
 * dtoa
 * ------------------------------------------------------------------------ */

/* Formats d and checks the length, the NUL and the room left in the buffer. */
static size_t dtoa_checked(double d, char buf[BRINE_DTOA_SIZE])
{
    memset(buf, 0x5a, BRINE_DTOA_SIZE);
    size_t len = brine_dtoa(d, buf);
    if (len >= BRINE_DTOA_SIZE || len != strlen(buf) || len > 24)
        ck_abort_msg("brine_dtoa(%a) returned length %zu for \"%.31s\"", d, len, buf);
    return len;
}

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double double_of(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* Python 3's repr() of each value, checked with python3 -c 'print(repr(x))'. */
static const struct {
    double d;
    const char *repr;
} py_repr[] = {
    {0.0, "0.0"},
    {-0.0, "-0.0"},
    {1.0, "1.0"},
    {-1.0, "-1.0"},
    {0.1, "0.1"},
    {0.2, "0.2"},
    {0.3, "0.3"},
    {0.1 + 0.2, "0.30000000000000004"},
    {1.1, "1.1"},
    {1.5, "1.5"},
    {2.5, "2.5"},
    {-2.5, "-2.5"},
    {100.0, "100.0"},
    {0.5, "0.5"},
    {0.25, "0.25"},
    {0.125, "0.125"},
    {1e15, "1000000000000000.0"},
    {1e16, "1e+16"},
    {1e17, "1e+17"},
    {1e21, "1e+21"},
    {1e22, "1e+22"},
    {1e23, "1e+23"},
    {1e-4, "0.0001"},
    {1e-5, "1e-05"},
    {0.00012345, "0.00012345"},
    {1.2345e-05, "1.2345e-05"},
    {123456789012345.0, "123456789012345.0"},
    {1234567890123456.0, "1234567890123456.0"},
    {12345678901234567.0, "1.2345678901234568e+16"},
    {9007199254740992.0, "9007199254740992.0"},
    {9007199254740993.0, "9007199254740992.0"},
    {9007199254740994.0, "9007199254740994.0"},
    {1.7976931348623157e308, "1.7976931348623157e+308"},
    {-1.7976931348623157e308, "-1.7976931348623157e+308"},
    {2.2250738585072014e-308, "2.2250738585072014e-308"},
    {0x0.fffffffffffffp-1022, "2.225073858507201e-308"},
    {0x1p-1074, "5e-324"},
    {-0x1p-1074, "-5e-324"},
    {0x1p-1073, "1e-323"},
    {0x3p-1074, "1.5e-323"},
    {4.9406564584124654e-324, "5e-324"},
    {0x1p-1021, "4.450147717014403e-308"},
    {0x1p-1022, "2.2250738585072014e-308"},
    {0x1p-1020, "8.900295434028806e-308"},
    {0x1p60, "1.152921504606847e+18"},
    {0x1p63, "9.223372036854776e+18"},
    {0x1p64, "1.8446744073709552e+19"},
    {0x1p1023, "8.98846567431158e+307"},
    {0x1p-1, "0.5"},
    {0x1p-30, "9.313225746154785e-10"},
    {0x1p-100, "7.888609052210118e-31"},
    {0x1p100, "1.2676506002282294e+30"},
    {0x1p-500, "3.054936363499605e-151"},
    {0x1p500, "3.273390607896142e+150"},
    {0x1.0000000000001p0, "1.0000000000000002"},
    {0x1.fffffffffffffp-1, "0.9999999999999999"},
    {2.220446049250313e-16, "2.220446049250313e-16"},
    {1.0 / 3.0, "0.3333333333333333"},
    {2.0 / 3.0, "0.6666666666666666"},
    {3.141592653589793, "3.141592653589793"},
    {2.718281828459045, "2.718281828459045"},
    {299792458.0, "299792458.0"},
    {6.02214076e23, "6.02214076e+23"},
    {1.602176634e-19, "1.602176634e-19"},
    {1e-7, "1e-07"},
    {-1e-7, "-1e-07"},
    {3.14e-10, "3.14e-10"},
    {1e100, "1e+100"},
    {1e300, "1e+300"},
    {1e308, "1e+308"},
    {123.456, "123.456"},
    {5e-5, "5e-05"},
    {9.999999999999999e22, "1e+23"},
    {1e-10, "1e-10"},
    {0.000123, "0.000123"},
    {999999999999999.9, "999999999999999.9"},
    {9999999999999998.0, "9999999999999998.0"},
    {0.30000000000000004, "0.30000000000000004"},
    {562949953421312.25, "562949953421312.2"},
    {562949953421312.75, "562949953421312.8"},
    {4503599627370497.5, "4503599627370498.0"},
    {1e-320, "1e-320"},
    {2.5e-320, "2.5e-320"},
    {0.1e-5, "1e-06"},
    {4.35e-306, "4.35e-306"},
    {8.98846567431158e307, "8.98846567431158e+307"},
    {0x1.90134676b1b69p+536, "3.515438005395328e+161"},
    {-0x1.4d75b333824fep-616, "-4.789896687487539e-186"},
    {0x1.27f802dc5fd3dp-80, "9.563267501187344e-25"},
    {0x1.c4e003f9931eep-478, "2.2667337579043673e-144"},
    {0x1.a01dec28753f8p-669, "6.6360289801666435e-202"},
    {-0x1.1c6f1404b6eafp-85, "-2.8720484250087597e-26"},
    {-0x1.355b26210b784p-897, "-1.1437010997230169e-270"},
    {-0x1.331ceaf2ed9ddp-202, "-1.8663756272802588e-61"},
    {0x1.f82e389e3995ap-656, "6.58671645043746e-198"},
    {-0x1.932d4f0397722p-516, "-7.341385115580017e-156"},
    {0x1.057ca7d411fabp-206, "9.931867656288624e-63"},
    {-0x1.3c71f6bf08d62p-113, "-1.190334435860988e-34"},
    {-0x1.1da2c9cfbba43p-661, "-1.1661265385809913e-199"},
    {-0x1.8c077377925b3p+175, "-7.408603984899784e+52"},
    {-0x1.f158de6e96d45p+157, "-3.5491878190449284e+47"},
    {-0x1.3eb3a5fbd238ep+297, "-3.169955729710171e+89"},
    {-0x1.ac0bb635b4c41p+457, "-6.222404523603996e+137"},
    {0x1.c5acdaeafb905p-153, "1.5520858951982012e-46"},
    {0x1.3c4dd26fb984fp+867, "1.2158246629747833e+261"},
    {0x1.301c8a91afa5cp-290, "5.971646901272487e-88"},
    {-0x1.15785d9977338p-749, "-3.660240275470688e-226"},
    {0x1.d3a3f56bc09cbp-684, "2.2759099938878274e-206"},
    {-0x1.85728f2655b19p-136, "-1.74634297340622e-41"},
    {-0x1.89cf88759f153p-297, "-6.041416924689212e-90"},
    {0x1.a34d0c643e653p-664, "2.1397783114076567e-200"},
    {0x1.e32817812f170p+272, "1.4322102565028957e+82"},
    {0x1.b34f967124890p-849, "4.529948317535713e-256"},
    {-0x1.5f03644f758cdp-786, "-3.369046090930603e-237"},
    {0x1.a4ccb01f35efep+718, "2.26658599482761e+216"},
    {0x1.edc773429e79cp+461, "1.1484728733808549e+139"},
};

START_TEST(test_dtoa_matches_python_repr_for_a_table_of_values)
{
    char buf[BRINE_DTOA_SIZE];
    for (size_t i = 0; i < sizeof py_repr / sizeof py_repr[0]; i++) {
        size_t len = dtoa_checked(py_repr[i].d, buf);
        ck_assert_msg(strcmp(buf, py_repr[i].repr) == 0, "%a: got %s, Python says %s", py_repr[i].d, buf,
                      py_repr[i].repr);
        ck_assert_uint_eq(len, strlen(py_repr[i].repr));
    }
}
END_TEST

START_TEST(test_dtoa_writes_nan_and_infinities_like_python)
{
    char buf[BRINE_DTOA_SIZE];
    ck_assert_uint_eq(dtoa_checked(INFINITY, buf), 3);
    ck_assert_str_eq(buf, "inf");
    ck_assert_uint_eq(dtoa_checked(-INFINITY, buf), 4);
    ck_assert_str_eq(buf, "-inf");
    /* Every NaN is "nan", whatever its sign and payload. */
    static const uint64_t nans[] = {0x7ff8000000000000u, 0xfff8000000000000u, 0x7ff0000000000001u, 0xfff0000000000001u,
                                    0x7fffffffffffffffu, 0xffffffffffffffffu, 0x7ff4000000000000u};
    for (size_t i = 0; i < sizeof nans / sizeof nans[0]; i++) {
        ck_assert_uint_eq(dtoa_checked(double_of(nans[i]), buf), 3);
        ck_assert_str_eq(buf, "nan");
    }
}
END_TEST

START_TEST(test_dtoa_writes_every_power_of_ten_as_python_does)
{
    /* 1eN reads back from one digit; Python prints it plain for -4 <= N < 16. */
    char buf[BRINE_DTOA_SIZE], text[16], want[32];
    for (int n = -323; n <= 308; n++) {
        snprintf(text, sizeof text, "1e%d", n);
        double d = strtod(text, NULL);
        if (n >= 16 || n < -4)
            snprintf(want, sizeof want, "1e%+03d", n);
        else if (n >= 0)
            snprintf(want, sizeof want, "1%.*s.0", n, "000000000000000");
        else
            snprintf(want, sizeof want, "0.%.*s1", -n - 1, "000");
        dtoa_checked(d, buf);
        ck_assert_msg(strcmp(buf, want) == 0, "1e%d: got %s, want %s", n, buf, want);
        dtoa_checked(-d, buf);
        ck_assert_msg(buf[0] == '-' && strcmp(buf + 1, want) == 0, "-1e%d: got %s", n, buf);
    }
}
END_TEST

START_TEST(test_dtoa_writes_limits_as_python_does)
{
    char buf[BRINE_DTOA_SIZE];
    dtoa_checked(DBL_MAX, buf);
    ck_assert_str_eq(buf, "1.7976931348623157e+308");
    dtoa_checked(-DBL_MAX, buf);
    ck_assert_str_eq(buf, "-1.7976931348623157e+308");
    dtoa_checked(DBL_MIN, buf);
    ck_assert_str_eq(buf, "2.2250738585072014e-308");
    dtoa_checked(DBL_TRUE_MIN, buf);
    ck_assert_str_eq(buf, "5e-324");
    dtoa_checked(DBL_EPSILON, buf);
    ck_assert_str_eq(buf, "2.220446049250313e-16");
    dtoa_checked(nextafter(DBL_MIN, 0), buf);
    ck_assert_str_eq(buf, "2.225073858507201e-308");
    dtoa_checked(0x1p53, buf);
    ck_assert_str_eq(buf, "9007199254740992.0");
    /* The longest forms: 17 digits, a sign, and an exponent or leading zeros. */
    ck_assert_uint_eq(dtoa_checked(-2.2250738585072014e-308, buf), 24);
    ck_assert_uint_eq(dtoa_checked(-0.00012345678901234567, buf), 23);
    ck_assert_str_eq(buf, "-0.00012345678901234567");
    ck_assert_uint_eq(dtoa_checked(-1234567890123456.7, buf), 19);
    ck_assert_str_eq(buf, "-1234567890123456.8");
    ck_assert_uint_eq(dtoa_checked(-123456789012345.67, buf), 19);
    ck_assert_str_eq(buf, "-123456789012345.67");
}
END_TEST

/* Parses a decimal string (ours or printf's) into its significant digits,
 * without leading or trailing zeros, and the exponent of the first one. */
static void decimal_parts(const char *s, char *digits, int *exponent)
{
    int before_point = 0, seen_point = 0, n = 0, lead = 0;
    if (*s == '-')
        s++;
    for (; *s && *s != 'e'; s++) {
        if (*s == '.') {
            seen_point = 1;
            continue;
        }
        if (n == 0 && *s == '0') {
            lead++;
        } else {
            digits[n++] = *s;
        }
        if (!seen_point)
            before_point++;
    }
    while (n > 0 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    *exponent = before_point - 1 - lead + (*s == 'e' ? atoi(s + 1) : 0);
}

/* splitmix64: a fixed, portable sequence of random bit patterns. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double random_finite(uint64_t *state)
{
    for (;;) {
        double d = double_of(next_random(state));
        if (isfinite(d))
            return d;
    }
}

START_TEST(test_dtoa_round_trips_two_million_random_doubles)
{
    uint64_t state = 20240601;
    char buf[BRINE_DTOA_SIZE];
    for (long i = 0; i < 2000000; i++) {
        double d = random_finite(&state);
        dtoa_checked(d, buf);
        char *end;
        double back = strtod(buf, &end);
        if (*end != '\0' || bits_of(back) != bits_of(d))
            ck_abort_msg("%a printed as %s reads back as %a", d, buf, back);
        /* Python's layout: an exponent exactly when it is < -4 or >= 16. */
        char digits[32];
        int x;
        decimal_parts(buf, digits, &x);
        int sci = strchr(buf, 'e') != NULL;
        if (sci != (x < -4 || x >= 16) || (!sci && strchr(buf, '.') == NULL))
            ck_abort_msg("%a printed as %s, exponent %d", d, buf, x);
    }
}
END_TEST

/* For 200,000 random doubles, the digits are the first snprintf("%.*e")
 * output, precision 0 up, that reads back: the correctly rounded decimal of
 * the shortest length. That is exactly our answer whenever the rounding
 * interval is symmetric. Ties between two equally close decimals go to the
 * even digit in both. The one case where they may differ is a power of two
 * significand (c = 2^52), whose interval is narrower below: a shortest decimal
 * above may read back while the closer one below does not. Random bits hit it
 * with odds 2^-52; the Python table covers powers of two instead. */
START_TEST(test_dtoa_digits_equal_the_shortest_correctly_rounded_snprintf)
{
    uint64_t state = 77;
    char buf[BRINE_DTOA_SIZE], ref[40], ours[32], theirs[32];
    for (long i = 0; i < 200000; i++) {
        double d = random_finite(&state);
        dtoa_checked(d, buf);
        int prec;
        for (prec = 0; prec <= 16; prec++) {
            snprintf(ref, sizeof ref, "%.*e", prec, d);
            if (bits_of(strtod(ref, NULL)) == bits_of(d))
                break;
        }
        int xo, xt;
        decimal_parts(buf, ours, &xo);
        decimal_parts(ref, theirs, &xt);
        if (strlen(ours) != (size_t)prec + 1 && !(d == 0 && prec == 0))
            ck_abort_msg("%a: %s has %zu digits, snprintf needs %d (%s)", d, buf, strlen(ours), prec + 1, ref);
        if (strcmp(ours, theirs) != 0 || xo != xt)
            ck_abort_msg("%a: %s but snprintf gives %s", d, buf, ref);
    }
}
END_TEST

START_TEST(test_dtoa_writes_subnormals_shortest_and_round_trip)
{
    char buf[BRINE_DTOA_SIZE], ref[40], ours[32], theirs[32];
    /* Python: 5e-324, 1e-323, 1.5e-323, 2e-323, 2.5e-323, 3e-323, 3.5e-323, 4e-323. */
    static const char *first[] = {"5e-324", "1e-323", "1.5e-323", "2e-323", "2.5e-323", "3e-323", "3.5e-323", "4e-323"};
    for (uint64_t c = 1; c <= 8; c++) {
        dtoa_checked(double_of(c), buf);
        ck_assert_str_eq(buf, first[c - 1]);
    }
    /* The first 20,000 subnormals and 20,000 spread over the rest. */
    for (uint64_t i = 1; i <= 40000; i++) {
        uint64_t c = i <= 20000 ? i : (i - 20000) * 225179981368u + 12345;
        double d = double_of(c);
        dtoa_checked(d, buf);
        char *end;
        if (bits_of(strtod(buf, &end)) != c || *end != '\0')
            ck_abort_msg("subnormal %llx printed as %s does not read back", (unsigned long long)c, buf);
        int prec;
        for (prec = 0; prec <= 16; prec++) {
            snprintf(ref, sizeof ref, "%.*e", prec, d);
            if (bits_of(strtod(ref, NULL)) == c)
                break;
        }
        int xo, xt;
        decimal_parts(buf, ours, &xo);
        decimal_parts(ref, theirs, &xt);
        if (strcmp(ours, theirs) != 0 || xo != xt)
            ck_abort_msg("subnormal %llx: %s but snprintf gives %s", (unsigned long long)c, buf, ref);
    }
}
END_TEST

START_TEST(test_dtoa_writes_integers_below_two_to_the_53_exactly)
{
    char buf[BRINE_DTOA_SIZE], want[32];
    uint64_t state = 5;
    for (int i = 0; i < 100000; i++) {
        uint64_t n = next_random(&state) >> (11 + i % 53);
        snprintf(want, sizeof want, "%llu.0", (unsigned long long)n);
        if (n >= 10000000000000000u) /* 1e16 and up are written with an exponent */
            continue;
        dtoa_checked((double)n, buf);
        if (strcmp(buf, want) != 0)
            ck_abort_msg("%llu printed as %s", (unsigned long long)n, buf);
    }
}
END_TEST

static Suite *text_suite(void)
{
    Suite *s = suite_create("text");

    TCase *tc = tcase_create("utf8");
    tcase_add_test(tc, test_utf8_accepts_every_boundary_code_point);
    tcase_add_test(tc, test_utf8_rejects_code_points_just_past_each_boundary);
    tcase_add_test(tc, test_utf8_rejects_overlong_forms_at_their_lead_byte);
    tcase_add_test(tc, test_utf8_rejects_stray_continuation_bytes);
    tcase_add_test(tc, test_utf8_rejects_truncated_sequences_at_their_first_byte);
    tcase_add_test(tc, test_utf8_rejects_every_byte_that_never_appears);
    tcase_add_test(tc, test_utf8_accepts_empty_input_and_nul_bytes);
    tcase_add_test(tc, test_utf8_finds_an_error_at_every_position_of_a_long_ascii_run);
    tcase_add_test(tc, test_utf8_accepts_multibyte_text_at_every_position_of_a_long_ascii_run);
    tcase_add_test(tc, test_utf8_accepts_long_mixed_text);
    tcase_add_test(tc, test_utf8_agrees_with_the_reference_on_every_sequence_of_one_to_three_bytes);
    tcase_add_test(tc, test_utf8_agrees_with_the_reference_on_four_byte_sequences);
    tcase_add_test(tc, test_utf8_agrees_with_the_reference_on_runs_of_three_byte_sequences);
    tcase_add_test(tc, test_utf8_agrees_with_the_reference_on_random_text_broken_at_every_position);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    tc = tcase_create("dtoa");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_dtoa_matches_python_repr_for_a_table_of_values);
    tcase_add_test(tc, test_dtoa_writes_nan_and_infinities_like_python);
    tcase_add_test(tc, test_dtoa_writes_every_power_of_ten_as_python_does);
    tcase_add_test(tc, test_dtoa_writes_limits_as_python_does);
    tcase_add_test(tc, test_dtoa_writes_subnormals_shortest_and_round_trip);
    tcase_add_test(tc, test_dtoa_writes_integers_below_two_to_the_53_exactly);
    suite_add_tcase(s, tc);

    /* Millions of strtod and snprintf calls: minutes under sanitizers. */
    tc = tcase_create("dtoa_random");
    tcase_add_test(tc, test_dtoa_round_trips_two_million_random_doubles);
    tcase_add_test(tc, test_dtoa_digits_equal_the_shortest_correctly_rounded_snprintf);
    tcase_set_timeout(tc, 600);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(text_suite)
