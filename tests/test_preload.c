/* test_preload.c: in a static build (--disable-shared) the built-in formats
 * are linked into each program with libtool's -dlpreopen; the registry must
 * find them without any plugin file, and they must work. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

#include "check_util.h"

START_TEST(test_the_built_in_formats_are_preloaded_and_round_trip_a_value)
{
    brine_error err;
    brine_error_clear(&err);
    brine_registry *reg = brine_registry_new(&err);
    ck_assert_int_eq(brine_registry_load(reg, &err), BRINE_OK);
    brine_doc *doc = brine_doc_new();
    brine_value *l = brine_list_new(doc, NULL);
    brine_seq_append(l, brine_int_new(doc, -7, NULL), NULL);
    brine_seq_append(l, brine_str_new_cstr(doc, "caf\xc3\xa9", NULL), NULL);
    brine_seq_append(l, brine_float_new(doc, 0.1, NULL), NULL);
    const char *names[] = {"native", "msgpack", "json"};
    for (size_t i = 0; i < 3; i++) {
        const brine_plugin *p = brine_registry_find(reg, names[i]);
        ck_assert_msg(p != NULL, "format %s not preloaded", names[i]);
        for (size_t j = 0; j < brine_registry_count(reg); j++)
            if (brine_registry_get(reg, j) == p)
                ck_assert_int_eq(strncmp(brine_registry_origin(reg, j), "preloaded (", 11), 0);
        void *data;
        size_t len;
        ck_assert_int_eq(brine_encode_buffer(p, l, NULL, &data, &len, &err), BRINE_OK);
        brine_doc *back = brine_decode_buffer(p, data, len, NULL, &err);
        ck_assert_msg(back != NULL, "%s: %s", names[i], err.message);
        ck_assert_int_eq(brine_value_equal(l, brine_doc_root(back), 0, NULL), 1);
        brine_doc_free(back);
        brine_free(data);
    }
    brine_doc_free(doc);
    brine_registry_free(reg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("preload");
    TCase *tc = tcase_create("preload");
    tcase_add_test(tc, test_the_built_in_formats_are_preloaded_and_round_trip_a_value);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
