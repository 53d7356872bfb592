/* test_fastfloat.c: plugins/fastfloat.c against glibc's strtod_l in the
 * "C" locale (correctly rounded), bit for bit, on a few million inputs of
 * every shape the readers meet. Where ff_parse_decimal declines (more than
 * 19 significant digits whose rounding depends on the rest), the plugins
 * ask strtod_l: those count as agreement, but each test bounds how often
 * it happens, so a decliner that declines everything fails.
 */
#define _GNU_SOURCE 1
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_util.h"
#include "fastfloat.h"

static locale_t c_loc;
static uint64_t rng_state;
static brine_registry *reg;
static const brine_plugin *js;
static const test_format formats[] = {{"json", &js, NULL}, {0}};

static uint64_t rnd(void)
{
    /* splitmix64: a fixed seed per test, so a failure repeats. */
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static void setup(void)
{
    c_loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    ck_assert_ptr_nonnull(c_loc);
    rng_state = 0x5eed;
}

static void teardown(void)
{
    freelocale(c_loc);
}

static uint64_t bits_of(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

static double double_of(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

/* Checks s: 1 when ff decided it (and agreed), 0 when it declined. */
static int agree(const char *s)
{
    double want = strtod_l(s, NULL, c_loc), got = 12345.0;
    int decided = ff_parse_decimal((const unsigned char *)s, (const unsigned char *)s + strlen(s), &got);
    if (decided && bits_of(got) != bits_of(want))
        ck_abort_msg("%s: fastfloat %a (%016llx), strtod_l %a (%016llx)", s, got, (unsigned long long)bits_of(got),
                     want, (unsigned long long)bits_of(want));
    if (!decided && got != 12345.0)
        ck_abort_msg("%s: declined but wrote its output", s);
    return decided;
}

/* Checks s and requires a decision (at most 19 significant digits). */
static void agree_decided(const char *s)
{
    if (!agree(s))
        ck_abort_msg("%s: declined although it has at most 19 significant digits", s);
}

static double random_finite(void)
{
    for (;;) {
        double d = double_of(rnd());
        if (isfinite(d))
            return d;
    }
}

START_TEST(test_fastfloat_reads_random_doubles_as_printed_17_16_and_15_digits)
{
    char buf[64];
    for (int i = 0; i < 300000; i++) {
        double d = random_finite();
        snprintf(buf, sizeof buf, "%.17g", d);
        agree_decided(buf);
        snprintf(buf, sizeof buf, "%.16g", d);
        agree_decided(buf);
        snprintf(buf, sizeof buf, "%.15e", d);
        agree_decided(buf);
    }
}
END_TEST

START_TEST(test_fastfloat_reads_doubles_of_every_magnitude_in_plain_and_fixed_notation)
{
    /* Exponents spread evenly (random bits favour the large ones). */
    char buf[512];
    for (int i = 0; i < 200000; i++) {
        uint64_t exp = rnd() % 2047, frac = rnd() & ((UINT64_C(1) << 52) - 1);
        double d = double_of(exp << 52 | frac | (rnd() & 1) << 63);
        snprintf(buf, sizeof buf, "%.17g", d);
        agree_decided(buf);
        snprintf(buf, sizeof buf, "%.*e", (int)(rnd() % 19), d);
        agree_decided(buf);
        if (fabs(d) < 1e25 && fabs(d) > 1e-30) {
            snprintf(buf, sizeof buf, "%.*f", (int)(rnd() % 30), d);
            agree(buf); /* "%f" can print more than 19 digits */
        }
    }
}
END_TEST

START_TEST(test_fastfloat_reads_random_digit_strings_with_random_exponents)
{
    char buf[128];
    long declined = 0, total = 0;
    for (int i = 0; i < 600000; i++) {
        int ndig = 1 + (int)(rnd() % 22), point = (int)(rnd() % (ndig + 1)), len = 0;
        if (rnd() & 1)
            buf[len++] = '-';
        for (int k = 0; k < ndig; k++) {
            if (k == point && k > 0)
                buf[len++] = '.';
            buf[len++] = (char)('0' + rnd() % 10);
        }
        int e = (int)(rnd() % 700) - 360;
        snprintf(buf + len, sizeof buf - (size_t)len, "e%d", e);
        total++;
        if (!agree(buf))
            declined++;
    }
    /* Only the 20- to 22-digit strings may be declined, and few of them. */
    ck_assert_int_lt(declined, total / 100);
}
END_TEST

START_TEST(test_fastfloat_rounds_exact_halfway_cases_to_even_and_near_ones_correctly)
{
    /* o, an odd 54-bit integer, lies exactly halfway between two doubles;
     * so does o * 2^k. Written as w * 10^q with w < 10^19 that is possible
     * for q in [-4, 23]: the only range where the algorithm's round-to-even
     * branch can matter. w - 1 and w + 1 are just off halfway. */
    char buf[64];
    uint64_t pow5 = 1;
    for (int j = 0; j <= 23; j++, pow5 *= 5) {
        for (int i = 0; i < 4000; i++) {
            uint64_t lo = ((UINT64_C(1) << 53) + pow5 - 1) / pow5, hi = ((UINT64_C(1) << 54) - 1) / pow5;
            if (lo > hi)
                break;
            uint64_t r = lo + rnd() % (hi - lo + 1);
            r |= 1;
            if (r > hi)
                r -= 2;
            if (r < lo)
                continue;
            for (int k = j; k <= j + 10; k++) {
                uint64_t w = r << (k - j);
                if (w >= UINT64_C(10000000000000000000) || (w >> (k - j)) != r)
                    break;
                for (int d = -1; d <= 1; d++) {
                    snprintf(buf, sizeof buf, "%llue%d", (unsigned long long)(w + (uint64_t)d), j);
                    agree_decided(buf);
                }
            }
        }
    }
    /* Negative exponents: o * 2^-k = (o * 5^k) * 10^-k, k <= 4. */
    for (int i = 0; i < 20000; i++) {
        uint64_t o = ((UINT64_C(1) << 53) + (rnd() & ((UINT64_C(1) << 53) - 1))) | 1, w = o;
        for (int k = 1; k <= 4; k++) {
            w *= 5;
            if (w >= UINT64_C(10000000000000000000))
                break;
            for (int d = -1; d <= 1; d++) {
                snprintf(buf, sizeof buf, "%llue-%d", (unsigned long long)(w + (uint64_t)d), k);
                agree_decided(buf);
            }
        }
    }
    agree_decided("9007199254740993");
    agree_decided("9007199254740995");
    agree_decided("9007199254740993.0");
    agree_decided("900719925474099.3e1");
}
END_TEST

START_TEST(test_fastfloat_reads_subnormals_extremes_overflow_and_underflow)
{
    static const char *const cases[] = {"4.9406564584124654e-324",
                                        "5e-324",
                                        "2.4703282292062328e-324",
                                        "2.4703282292062327e-324",
                                        "2.4703282292062e-324",
                                        "2.47032822920623272e-324",
                                        "3e-324",
                                        "7.4109846876186981e-324",
                                        "2.2250738585072014e-308",
                                        "2.2250738585072011e-308",
                                        "2.2250738585072012e-308",
                                        "2.225073858507201e-308",
                                        "1.7976931348623157e308",
                                        "1.7976931348623158e308",
                                        "1.797693134862315807e308",
                                        "1.7976931348623159e308",
                                        "1e308",
                                        "1e309",
                                        "-1e309",
                                        "1e400",
                                        "123456789e300",
                                        "1e-400",
                                        "-1e-400",
                                        "1e-342",
                                        "1e-343",
                                        "9e-343",
                                        "0",
                                        "-0",
                                        "0.0",
                                        "-0.0",
                                        "0e0",
                                        "0e999999999999999999",
                                        "-0.000e-5",
                                        "1e0",
                                        "1",
                                        "-1",
                                        "18446744073709551615",
                                        "18446744073709551616",
                                        "9999999999999999999",
                                        "10000000000000000000",
                                        "1e-7",
                                        "1e22",
                                        "1e23",
                                        "9007199254740992",
                                        "123456789012345678",
                                        "0.1",
                                        "0.2",
                                        "0.3",
                                        "2.5",
                                        "1.5e-5",
                                        "1e-999999999999999999999999",
                                        "1e999999999999999999999999",
                                        "0.00000000000000000000000000000000001e35"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        agree(cases[i]);
    /* Random subnormals, printed in full and shortened. */
    char buf[64];
    for (int i = 0; i < 100000; i++) {
        double d = double_of(rnd() & ((UINT64_C(1) << 52) - 1));
        snprintf(buf, sizeof buf, "%.17g", d);
        agree_decided(buf);
        snprintf(buf, sizeof buf, "%.*e", (int)(rnd() % 17), d);
        agree_decided(buf);
    }
}
END_TEST

START_TEST(test_fastfloat_reads_19_and_20_digit_mantissas)
{
    char buf[64];
    long declined = 0;
    for (int i = 0; i < 300000; i++) {
        int ndig = 19 + (int)(rnd() % 2), len = 0;
        buf[len++] = (char)('1' + rnd() % 9);
        for (int k = 1; k < ndig; k++)
            buf[len++] = (char)('0' + rnd() % 10);
        snprintf(buf + len, sizeof buf - (size_t)len, "e%d", (int)(rnd() % 660) - 343);
        if (ndig == 19)
            agree_decided(buf);
        else if (!agree(buf))
            declined++;
    }
    ck_assert_int_lt(declined, 3000);
}
END_TEST

START_TEST(test_fastfloat_reads_long_inputs_with_many_zeros)
{
    enum { N = 5000 };
    char *buf = malloc(3 * N + 64);
    ck_assert_ptr_nonnull(buf);
    for (int zeros = 0; zeros < N; zeros += 1 + zeros / 7) {
        /* 0.000...0001234 times 10^zeros: 1.234e-3, many digits to skip. */
        int len = sprintf(buf, "0.");
        memset(buf + len, '0', (size_t)zeros);
        len += zeros;
        len += sprintf(buf + len, "1234e%d", zeros);
        agree_decided(buf);
        /* 1234000...000e-zeros: trailing zeros beyond 19 digits are exact. */
        len = sprintf(buf, "1234");
        memset(buf + len, '0', (size_t)zeros);
        len += zeros;
        sprintf(buf + len, "e-%d", zeros);
        agree_decided(buf);
        /* 1.000...0001: the last digit decides nothing once past 19. */
        len = sprintf(buf, "1.");
        memset(buf + len, '0', (size_t)zeros);
        len += zeros;
        sprintf(buf + len, "1");
        agree(buf);
        /* 2^53 + 1 followed by zeros: exactly halfway, whatever the length. */
        len = sprintf(buf, "9007199254740993");
        memset(buf + len, '0', (size_t)zeros);
        len += zeros;
        sprintf(buf + len, "e-%d", zeros);
        agree(buf);
        /* A halfway case and a digit just past it, far out. */
        len = sprintf(buf, "9007199254740993");
        memset(buf + len, '0', (size_t)zeros);
        len += zeros;
        sprintf(buf + len, "1e-%d", zeros + 1);
        agree(buf);
    }
    free(buf);
}
END_TEST

START_TEST(test_fastfloat_declines_what_is_not_a_decimal)
{
    static const char *const bad[] = {"",     "-",    "+",    ".",   "e5",  "-e5", "1e", "1e+",   "1e-", "1x",
                                      "1.5.", "1..5", "0x10", "inf", "nan", " 1",  "1 ", "1e5e5", "--1", "1,5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double out = 7.0;
        ck_assert_msg(
            !ff_parse_decimal((const unsigned char *)bad[i], (const unsigned char *)bad[i] + strlen(bad[i]), &out),
            "\"%s\" was taken for a number", bad[i]);
        ck_assert(out == 7.0);
    }
    /* The end is the caller's: digits after it are not read. */
    double out = 0;
    ck_assert(ff_parse_decimal((const unsigned char *)"12345", (const unsigned char *)"12345" + 2, &out));
    ck_assert(out == 12.0);
}
END_TEST

START_TEST(test_fastfloat_json_reader_reads_floats_as_strtod_l_does)
{
    /* Through the json plugin (number.c's token scan, fastfloat, and the
     * strtod_l fallback): a list of floats of every shape above, compared
     * element by element. The tokens sit in a buffer that goes on after
     * them, so the eight-byte steps meet commas, brackets and the end. */
    enum { N = 20000 };
    char *text = malloc((size_t)N * 48 + 16), *tokens[N];
    ck_assert_ptr_nonnull(text);
    size_t len = 0;
    text[len++] = '[';
    for (int i = 0; i < N; i++) {
        double d = random_finite();
        char tok[48];
        switch (i % 5) {
        case 0: snprintf(tok, sizeof tok, "%.17g", d); break;
        case 1: snprintf(tok, sizeof tok, "%.15e", d); break;
        case 2: /* 20-25 digits: some go to strtod_l */
            snprintf(tok, sizeof tok, "%.*e", 19 + (int)(rnd() % 6), d);
            break;
        case 3: snprintf(tok, sizeof tok, "%.*g", 1 + (int)(rnd() % 17), d); break;
        default: snprintf(tok, sizeof tok, "%.6f", (double)(rnd() % 100000000) / 997.0); break;
        }
        if (!strpbrk(tok, ".eE"))
            strcat(tok, ".0"); /* an integer token would not be a float */
        tokens[i] = text + len;
        len += (size_t)sprintf(text + len, "%s%s", tok, i + 1 < N ? (rnd() & 1 ? "," : " ,\n") : "]");
    }
    brine_error err;
    brine_doc *doc = decode_with(js, text, len, NULL, 0, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    brine_value *list = brine_doc_root(doc);
    REQUIRE(brine_seq_count(list) == N);
    for (int i = 0; i < N; i++) {
        char *end;
        double want = strtod_l(tokens[i], &end, c_loc), got = brine_float_get(brine_seq_get(list, (size_t)i));
        if (bits_of(got) != bits_of(want))
            ck_abort_msg("%.*s: json %a, strtod_l %a", (int)(end - tokens[i]), tokens[i], got, want);
    }
    brine_doc_free(doc);
    free(text);
}
END_TEST

/* The json reader scans a common number and converts it in one pass, and
 * anything else as before: both must stop where JSON's grammar does and
 * give the same value. Each token is a whole document and, in a list, one
 * followed by more bytes, so both ends of the eight-byte steps are met. */
START_TEST(test_fastfloat_json_numbers_of_each_form_read_alike_in_one_pass_and_two)
{
    static const struct {
        const char *token;
        int type;          /* BRINE_INT or BRINE_FLOAT, or 0: an error */
        long long i;       /* an int's value */
        uint64_t error_at; /* an error's offset in the document */
    } cases[] = {
        {"123", BRINE_INT, 123, 0},
        {"-123", BRINE_INT, -123, 0},
        {"999999999999999999", BRINE_INT, 999999999999999999LL, 0}, /* 18 digits: one pass */
        {"-999999999999999999", BRINE_INT, -999999999999999999LL, 0},
        {"9223372036854775807", BRINE_INT, 9223372036854775807LL, 0}, /* 19: the general path */
        {"-0", BRINE_INT, 0, 0},
        {"0", BRINE_INT, 0, 0},
        {"1e5", BRINE_FLOAT, 0, 0},
        {"1E+05", BRINE_FLOAT, 0, 0},
        {"-7e-5", BRINE_FLOAT, 0, 0},
        {"1.5e300", BRINE_FLOAT, 0, 0},
        {"1.5e99999", BRINE_FLOAT, 0, 0},  /* inf */
        {"1.5e-99999", BRINE_FLOAT, 0, 0}, /* 0 */
        {"1e123456", BRINE_FLOAT, 0, 0},   /* a 6-digit exponent: the general path */
        {"0.5", BRINE_FLOAT, 0, 0},
        {"-0.0", BRINE_FLOAT, 0, 0},
        {"0e5", BRINE_FLOAT, 0, 0},
        {"-0.510670590413711", BRINE_FLOAT, 0, 0},
        {"0.000000000000000001234", BRINE_FLOAT, 0, 0}, /* 22 digits: the general path */
        {"-65.613616999999977", BRINE_FLOAT, 0, 0},
        {"12345678901234567.5", BRINE_FLOAT, 0, 0},   /* 18 digits */
        {"1234567890.123456789", BRINE_FLOAT, 0, 0},  /* 19 */
        {"1234567890.1234567891", BRINE_FLOAT, 0, 0}, /* 20: the general path */
        {"3.14159265358979", BRINE_FLOAT, 0, 0},
        {"2.00000000000000000000001", BRINE_FLOAT, 0, 0},
        {"01", 0, 0, 1},
        {"00", 0, 0, 1},
        {"-01", 0, 0, 2},
        {"0.", 0, 0, 1},
        {"1.", 0, 0, 1},
        {"1.e5", 0, 0, 1},
        {"1e", 0, 0, 1},
        {"1e+", 0, 0, 1},
        {"-", 0, 0, 0},
        {"-a", 0, 0, 0},
        {"1.5.3", 0, 0, 3},
        {"1e5e5", 0, 0, 3},
        {"12345678.123456789x", 0, 0, 18},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        for (int in_list = 0; in_list < 2; in_list++) {
            char text[96];
            int n = snprintf(text, sizeof text, in_list ? "[%s, 1.25]" : "%s", cases[k].token);
            brine_error err;
            brine_doc *doc = decode_with(js, text, (size_t)n, NULL, 0, &err);
            if (!cases[k].type) {
                ck_assert_msg(!doc, "%s: decoded, where JSON's grammar ends the number early", text);
                ck_assert_msg(err.offset == cases[k].error_at + (uint64_t)in_list, "%s: error at %llu, not %llu (%s)",
                              text, (unsigned long long)err.offset,
                              (unsigned long long)(cases[k].error_at + (uint64_t)in_list), err.message);
                continue;
            }
            ck_assert_msg(doc != NULL, "%s: %s", text, err.message);
            brine_value *v = brine_doc_root(doc);
            if (in_list) {
                REQUIRE(brine_seq_count(v) == 2);
                REQUIRE(brine_float_get(brine_seq_get(v, 1)) == 1.25);
                v = brine_seq_get(v, 0);
            }
            ck_assert_msg((int)brine_type_of(v) == cases[k].type, "%s: type %d, not %d", text, (int)brine_type_of(v),
                          cases[k].type);
            if (cases[k].type == BRINE_INT) {
                int64_t i;
                REQUIRE(brine_int_get_i64(v, &i) == BRINE_OK);
                ck_assert_msg(i == cases[k].i, "%s: %lld", text, (long long)i);
            } else {
                double want = strtod_l(cases[k].token, NULL, c_loc), got = brine_float_get(v);
                ck_assert_msg(bits_of(got) == bits_of(want), "%s: %a, strtod_l %a", text, got, want);
            }
            brine_doc_free(doc);
        }
    }
}
END_TEST

static Suite *fastfloat_suite(void)
{
    Suite *s = suite_create("fastfloat");
    TCase *tc = tcase_create("differential");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_fastfloat_reads_random_doubles_as_printed_17_16_and_15_digits);
    tcase_add_test(tc, test_fastfloat_reads_doubles_of_every_magnitude_in_plain_and_fixed_notation);
    tcase_add_test(tc, test_fastfloat_reads_random_digit_strings_with_random_exponents);
    tcase_add_test(tc, test_fastfloat_rounds_exact_halfway_cases_to_even_and_near_ones_correctly);
    tcase_add_test(tc, test_fastfloat_reads_subnormals_extremes_overflow_and_underflow);
    tcase_add_test(tc, test_fastfloat_reads_19_and_20_digit_mantissas);
    tcase_add_test(tc, test_fastfloat_reads_long_inputs_with_many_zeros);
    tcase_add_test(tc, test_fastfloat_declines_what_is_not_a_decimal);
    suite_add_tcase(s, tc);
    TCase *tj = tcase_create("json");
    registry_fixture(tj, &reg, formats);
    tcase_add_checked_fixture(tj, setup, teardown);
    tcase_set_timeout(tj, 120);
    tcase_add_test(tj, test_fastfloat_json_reader_reads_floats_as_strtod_l_does);
    tcase_add_test(tj, test_fastfloat_json_numbers_of_each_form_read_alike_in_one_pass_and_two);
    suite_add_tcase(s, tj);
    return s;
}

TEST_MAIN(fastfloat_suite)
