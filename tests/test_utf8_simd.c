/* test_utf8_simd.c: the vector UTF-8 validator of core/utf8.c (AVX2
 * Keiser-Lemire) held to the scalar one, which is the reference here
 * (tests/test_text.c holds that and brine_utf8_check to a plain decoder):
 * the same offset for every input. core/utf8.c is compiled into this
 * program, so each implementation the CPU has is tested, not only the one
 * brine_utf8_check would pick. Inputs end at a heap block's end, so a read
 * past the end trips ASan. Also core/short.h's tests on short strings,
 * which the builder uses in the validator's place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_util.h"
#include "utf8.h"
#include "short.h"

typedef size_t (*u8_fn)(const char *s, size_t len);

static u8_fn impls[2];
static const char *impl_names[2];
static int nimpls;

static void pick_impls(void)
{
    nimpls = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) {
        impl_names[nimpls] = "avx2";
        impls[nimpls++] = brinep_utf8_check_avx2;
    }
#endif
    impl_names[nimpls] = "brine_utf8_check";
    impls[nimpls++] = brine_utf8_check;
}

/* A heap block of 64 + 512 bytes: buffers are copied so they end at its
 * end (placed by a realloc to the exact size, every alignment). */
static void agree_at(const unsigned char *bytes, size_t len, size_t align)
{
    unsigned char *block = malloc(len + align + 1);
    ck_assert_ptr_nonnull(block);
    memset(block, 0xE3, align); /* a lead byte: a validator reading before the start would notice */
    memcpy(block + align, bytes, len);
    unsigned char *exact = realloc(block, len + align ? len + align : 1);
    ck_assert_ptr_nonnull(exact);
    const char *s = (const char *)exact + align;
    size_t want = brinep_utf8_check_scalar(s, len);
    for (int k = 0; k < nimpls; k++) {
        size_t got = impls[k](s, len);
        if (got != want) {
            char hex[3 * 48 + 1] = "";
            size_t from = want < got ? want : got, n = 0;
            from = from > 8 ? from - 8 : 0;
            for (size_t i = from; i < len && n < 48; i++, n++)
                snprintf(hex + 3 * n, 4, "%02x ", exact[align + i]);
            free(exact);
            ck_abort_msg("%s: %zu, scalar %zu (len %zu, align %zu; bytes from %zu: %s)", impl_names[k], got, want, len,
                         align, from, hex);
        }
    }
    free(exact);
}

/* The same without the heap copy, for the millions of short cases (their
 * ends are tested by agree_at in the other tests). */
static void agree(const unsigned char *bytes, size_t len)
{
    const char *s = (const char *)bytes;
    size_t want = brinep_utf8_check_scalar(s, len);
    for (int k = 0; k < nimpls; k++) {
        size_t got = impls[k](s, len);
        if (got != want)
            ck_abort_msg("%s: %zu, scalar %zu (len %zu, first bytes %02x %02x %02x %02x)", impl_names[k], got, want,
                         len, len > 0 ? bytes[0] : 0, len > 1 ? bytes[1] : 0, len > 2 ? bytes[2] : 0,
                         len > 3 ? bytes[3] : 0);
    }
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Appends one random valid code point's UTF-8 to buf (room for 4 bytes);
 * returns its length. Weighted to ASCII and CJK like real text. */
static size_t random_char(unsigned char *buf)
{
    uint32_t cp;
    switch (rnd() % 8) {
    case 0:
    case 1:
    case 2: cp = (uint32_t)(rnd() % 0x80); break;
    case 3: cp = 0x80 + (uint32_t)(rnd() % (0x800 - 0x80)); break;
    case 4:
    case 5:
        do
            cp = 0x800 + (uint32_t)(rnd() % (0x10000 - 0x800));
        while (cp >= 0xD800 && cp <= 0xDFFF);
        break;
    default: cp = 0x10000 + (uint32_t)(rnd() % (0x110000 - 0x10000)); break;
    }
    if (cp < 0x80) {
        buf[0] = (unsigned char)cp;
        return 1;
    } else if (cp < 0x800) {
        buf[0] = (unsigned char)(0xC0 | cp >> 6);
        buf[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    } else if (cp < 0x10000) {
        buf[0] = (unsigned char)(0xE0 | cp >> 12);
        buf[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        buf[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    buf[0] = (unsigned char)(0xF0 | cp >> 18);
    buf[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    buf[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    buf[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Random valid text of exactly len bytes (the last character may be cut
 * short and is then replaced by ASCII). */
static void random_text(unsigned char *buf, size_t len)
{
    size_t i = 0;
    unsigned char c[4];
    while (i < len) {
        size_t n = random_char(c);
        if (n > len - i)
            n = 1, c[0] = 'x';
        memcpy(buf + i, c, n);
        i += n;
    }
}

static void setup(void)
{
    rng_state = 0x75f8;
    pick_impls();
}

START_TEST(test_utf8_simd_agrees_on_every_sequence_of_one_to_three_bytes_at_each_step_edge)
{
    /* Each sequence in an ASCII or CJK frame, at the places where a 16- and
     * 32-byte step begins and ends. */
    unsigned char frame[80], buf[80];
    random_text(frame, sizeof frame);
    static const size_t ats[] = {0, 13, 14, 15, 16, 29, 30, 31, 32, 33, 46, 47, 63, 64};
    for (unsigned a = 0; a < 256; a++)
        for (unsigned b = 0; b < 256; b++)
            for (unsigned c = 0; c < 256; c++) {
                size_t at = ats[(a ^ b ^ c) % (sizeof ats / sizeof ats[0])], len = at + 3 + (b + c) % 13;
                if ((c & 1) == 0)
                    memset(buf, 'a', len);
                else
                    memcpy(buf, frame, len);
                buf[at] = (unsigned char)a;
                buf[at + 1] = (unsigned char)b;
                buf[at + 2] = (unsigned char)c;
                agree(buf, len);
                if (c == 0x80 || c == 0xBF) /* the same pair, one and two bytes, truncated at the end */
                    agree(buf, at + 2), agree(buf, at + 1);
            }
}
END_TEST

START_TEST(test_utf8_simd_agrees_on_four_byte_sequences_overlongs_surrogates_and_too_large)
{
    static const unsigned char tails[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xE0, 0xF4, 0xFF};
    unsigned char buf[80];
    for (unsigned a = 0xC0; a < 256; a++)
        for (unsigned b = 0; b < 256; b++)
            for (size_t c = 0; c < sizeof tails; c++)
                for (size_t d = 0; d < sizeof tails; d++) {
                    size_t at = (a + b + c + d) % 40, len = at + 4 + (b + d) % 20;
                    memset(buf, 'a', len);
                    buf[at] = (unsigned char)a;
                    buf[at + 1] = (unsigned char)b;
                    buf[at + 2] = tails[c];
                    buf[at + 3] = tails[d];
                    agree(buf, len);
                }
    /* Named cases, each at every offset across two 32-byte steps. */
    static const char *const named[] = {"\xc0\x80",
                                        "\xc1\xbf",
                                        "\xe0\x80\x80",
                                        "\xe0\x9f\xbf",
                                        "\xf0\x80\x80\x80",
                                        "\xf0\x8f\xbf\xbf",
                                        "\xed\xa0\x80",
                                        "\xed\xbf\xbf",
                                        "\xf4\x90\x80\x80",
                                        "\xf7\xbf\xbf\xbf",
                                        "\xf8\x88\x80\x80\x80",
                                        "\xff",
                                        "\xfe",
                                        "\x80",
                                        "\xbf\x80",
                                        "\xc2",
                                        "\xe3\x81",
                                        "\xf0\x9f\x98",
                                        "\xf4\x8f\xbf\xbf",
                                        "\xf0\x90\x80\x80",
                                        "\xed\x9f\xbf",
                                        "\xee\x80\x80"};
    unsigned char big[200];
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++)
        for (size_t at = 0; at < 70; at++) {
            size_t n = strlen(named[k]), len = at + n + (at % 5);
            memset(buf, 'a', len);
            memcpy(buf + at, named[k], n);
            agree(buf, len);
            agree_at(buf, at + n, at % 3); /* at the very end */
            /* Followed by whole steps of ASCII, which the vector loops
             * skip: an open sequence before them must still be seen. */
            memset(big, 'a', sizeof big);
            memcpy(big + at, named[k], n);
            agree(big, sizeof big);
        }
}
END_TEST

START_TEST(test_utf8_simd_agrees_on_valid_text_truncated_at_every_position)
{
    unsigned char text[400];
    for (int round = 0; round < 40; round++) {
        random_text(text, sizeof text);
        for (size_t len = 0; len <= sizeof text; len++)
            agree_at(text, len, round % 7);
    }
}
END_TEST

START_TEST(test_utf8_simd_agrees_on_random_buffers_of_every_length_at_every_alignment)
{
    unsigned char buf[300];
    for (size_t len = 0; len <= sizeof buf; len++)
        for (size_t align = 0; align < 64; align++) {
            random_text(buf, len);
            /* Valid, then with one or two random bytes planted. */
            agree_at(buf, len, align);
            if (len) {
                buf[rnd() % len] = (unsigned char)rnd();
                agree_at(buf, len, align);
                buf[rnd() % len] = (unsigned char)(0x80 | rnd());
                agree_at(buf, len, align);
            }
            /* Pure noise, and noise kept to the high half. */
            for (size_t i = 0; i < len; i++)
                buf[i] = (unsigned char)rnd();
            agree_at(buf, len, align);
            for (size_t i = 0; i < len; i++)
                buf[i] |= 0x80;
            agree_at(buf, len, align);
        }
}
END_TEST

START_TEST(test_utf8_simd_finds_an_error_after_a_long_valid_run)
{
    enum { N = 5000 };
    unsigned char *buf = malloc(N);
    ck_assert_ptr_nonnull(buf);
    random_text(buf, N);
    agree_at(buf, N, 0);
    for (size_t at = 4000; at < 4100; at++) {
        unsigned char save = buf[at];
        buf[at] = 0xFF;
        agree_at(buf, N, at % 3);
        buf[at] = save;
    }
    free(buf);
}
END_TEST

/* brinep_short_ascii and brinep_short_equal read every byte of a string of
 * each length they take, and none outside it: a high bit, or a difference,
 * at each position is seen, and the strings end at heap blocks' ends. */
START_TEST(test_short_tests_see_every_byte_of_every_length)
{
    for (size_t len = 0; len <= BRINEP_SHORT_MAX; len++) {
        char *a = malloc(len ? len : 1), *b = malloc(len ? len : 1);
        ck_assert_ptr_nonnull(a);
        ck_assert_ptr_nonnull(b);
        for (size_t i = 0; i < len; i++)
            a[i] = b[i] = (char)('a' + i % 26);
        ck_assert_msg(brinep_short_ascii(a, len), "len %zu: ASCII not seen as ASCII", len);
        ck_assert_msg(brinep_short_equal(a, b, len), "len %zu: equal strings unequal", len);
        for (size_t i = 0; i < len; i++) {
            a[i] = (char)0xC3;
            ck_assert_msg(!brinep_short_ascii(a, len), "len %zu: the high bit at %zu not seen", len, i);
            ck_assert_msg(!brinep_short_equal(a, b, len), "len %zu: the difference at %zu not seen", len, i);
            a[i] = (char)(b[i] ^ 1);
            ck_assert_msg(!brinep_short_equal(a, b, len), "len %zu: a one-bit difference at %zu not seen", len, i);
            a[i] = b[i];
        }
        free(a);
        free(b);
    }
}
END_TEST

static Suite *utf8_simd_suite(void)
{
    Suite *s = suite_create("utf8_simd");
    TCase *tc = tcase_create("differential");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_utf8_simd_agrees_on_every_sequence_of_one_to_three_bytes_at_each_step_edge);
    tcase_add_test(tc, test_utf8_simd_agrees_on_four_byte_sequences_overlongs_surrogates_and_too_large);
    tcase_add_test(tc, test_utf8_simd_agrees_on_valid_text_truncated_at_every_position);
    tcase_add_test(tc, test_utf8_simd_agrees_on_random_buffers_of_every_length_at_every_alignment);
    tcase_add_test(tc, test_utf8_simd_finds_an_error_after_a_long_valid_run);
    tcase_add_test(tc, test_short_tests_see_every_byte_of_every_length);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(utf8_simd_suite)
