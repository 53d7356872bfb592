/* test_xxh3.c: plugins/xxh3.h gives native's checksum the same values
 * whichever XXH3 entry it uses (the dispatching one where libxxhash has
 * it): fixed digests, computed with the default SSE2 entry, over one
 * update and over many uneven ones, across XXH3's internal size classes
 * (0-16, 17-128, 129-240, stripes, 1 KiB blocks) and past 1 MiB.
 */
#include <stdlib.h>
#include <string.h>

#include "check_util.h"
#include "xxh3.h"

static const struct {
    size_t len;
    uint64_t digest;
} golden[] = {
    {0, UINT64_C(0x2d06800538d394c2)},       {1, UINT64_C(0xc44bdff4074eecdb)},
    {3, UINT64_C(0xa1c4a8259b827291)},       {16, UINT64_C(0x222e9aead6bddd51)},
    {17, UINT64_C(0x47aad6b375eb4bba)},      {128, UINT64_C(0x421a9c905c6e66ba)},
    {129, UINT64_C(0x9e2414800f83768a)},     {240, UINT64_C(0xb714c5fd22744964)},
    {241, UINT64_C(0xbc424a2c480dd281)},     {1024, UINT64_C(0x1fd15e7d36f5e1bc)},
    {4096, UINT64_C(0x84d9e7ce664c8217)},    {65536, UINT64_C(0x32152aa15c5ff65a)},
    {1048576, UINT64_C(0xe2786b358eab4a67)}, {1048653, UINT64_C(0x1f7da91352454e72)},
};

static unsigned char *pattern(size_t n)
{
    unsigned char *b = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(b);
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)((i * 2654435761u) >> 13);
    return b;
}

static uint64_t digest_in_steps(const unsigned char *b, size_t len, size_t step)
{
    XXH3_state_t st;
    XXH3_INITSTATE(&st);
    ck_assert_int_eq(XXH3_64bits_reset(&st), XXH_OK);
    for (size_t i = 0; i < len; i += step)
        ck_assert_int_eq(XXH3_64bits_update(&st, b + i, len - i < step ? len - i : step), XXH_OK);
    return XXH3_64bits_digest(&st);
}

START_TEST(test_xxh3_streamed_digests_keep_their_values)
{
    size_t n = golden[sizeof golden / sizeof golden[0] - 1].len;
    unsigned char *b = pattern(n);
    static const size_t steps[] = {1, 7, 64, 1000, 65536, (size_t)-1};
    for (size_t k = 0; k < sizeof golden / sizeof golden[0]; k++)
        for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
            if (steps[s] < 64 && golden[k].len > 70000)
                continue; /* byte-sized updates of a megabyte: slow, and no new case */
            uint64_t got = digest_in_steps(b, golden[k].len, steps[s]);
            ck_assert_msg(got == golden[k].digest, "%zu bytes in steps of %zu: %016llx, want %016llx", golden[k].len,
                          steps[s], (unsigned long long)got, (unsigned long long)golden[k].digest);
        }
    free(b);
}
END_TEST

START_TEST(test_xxh3_uses_the_dispatching_entry_where_configure_found_it)
{
#if defined(BRINE_XXH_DISPATCH) && (defined(__x86_64__) || defined(__i386__))
    /* xxh_x86dispatch.h renames the streaming call. */
#ifndef XXH3_64bits_update
    ck_abort_msg("BRINE_XXH_DISPATCH is set but XXH3_64bits_update is not the dispatching entry");
#endif
#endif
}
END_TEST

static Suite *xxh3_suite(void)
{
    Suite *s = suite_create("xxh3");
    TCase *tc = tcase_create("digests");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_xxh3_streamed_digests_keep_their_values);
    tcase_add_test(tc, test_xxh3_uses_the_dispatching_entry_where_configure_found_it);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(xxh3_suite)
