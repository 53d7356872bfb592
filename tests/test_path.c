/* test_path.c: brine_path_get (core/path.c), the sort_keys order of the
 * walker (core/order.c, walk.c) and the pretty printer (repr.c). Paths are
 * checked against a table of paths, values and errors (code, offset,
 * where the path stopped); the order against Python's sorted() for str
 * keys (checked with python3) and brine's documented type order for mixed
 * keys. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brine/brine.h"
#include "brine/plugin.h"
#include "check_util.h"

static brine_doc *doc;
static brine_error err;

static char *repr(const brine_value *v)
{
    static char buf[1024];
    size_t n = brine_value_repr(v, buf, sizeof buf, 0, NULL);
    ck_assert_uint_lt(n, sizeof buf);
    return buf;
}

static brine_value *str(const char *s)
{
    return brine_str_new_cstr(doc, s, &err);
}

/* {'users': [{'name': 'ann'}, {'name': 'bob'}], 'odd key': {'q"uo\'te': 1},
 *  5: 'five', None: 'none', True: 't', 'm': M(1, state={'s': 2}), 'é': 3} */
static brine_value *sample(void)
{
    brine_value *root = brine_dict_new(doc, &err), *users = brine_list_new(doc, &err);
    const char *names[] = {"ann", "bob"};
    for (int i = 0; i < 2; i++) {
        brine_value *u = brine_dict_new(doc, &err);
        brine_dict_set_str(u, "name", str(names[i]), &err);
        brine_seq_append(users, u, &err);
    }
    brine_dict_set_str(root, "users", users, &err);
    brine_value *odd = brine_dict_new(doc, &err);
    brine_dict_set_str(odd, "q\"uo'te", brine_int_new(doc, 1, &err), &err);
    brine_dict_set_str(root, "odd key", odd, &err);
    brine_dict_set(root, brine_int_new(doc, 5, &err), str("five"), &err);
    brine_dict_set(root, brine_null_new(doc, &err), str("none"), &err);
    brine_dict_set(root, brine_bool_new(doc, 1, &err), str("t"), &err);
    brine_value *m = brine_model_new(doc, "M", 1, &err), *args = brine_tuple_new(doc, &err);
    brine_seq_append(args, brine_int_new(doc, 1, &err), &err);
    brine_model_set_args(m, args, &err);
    brine_value *state = brine_dict_new(doc, &err);
    brine_dict_set_str(state, "s", brine_int_new(doc, 2, &err), &err);
    brine_model_set_state(m, state, &err);
    brine_dict_set_str(root, "m", m, &err);
    brine_dict_set_str(root, "\xc3\xa9", brine_int_new(doc, 3, &err), &err);
    ck_assert_int_eq(err.code, BRINE_OK);
    return root;
}

static const struct {
    const char *path, *want;
} found[] = {
    {"$", NULL}, /* the root itself */
    {"$.users", "[{'name': 'ann'}, {'name': 'bob'}]"},
    {"$.users[1].name", "'bob'"},
    {"$.users[-1].name", "'bob'"},
    {"$.users[-2]", "{'name': 'ann'}"},
    {"$['users'][0]['name']", "'ann'"},
    {"$[\"odd key\"]", "{'q\"uo\\'te': 1}"},
    {"$['odd key']['q\"uo\\'te']", "1"},
    {"$[\"odd key\"][\"q\\\"uo'te\"]", "1"},
    {"$[5]", "'five'"},
    {"$[None]", "'none'"},
    {"$[True]", "'t'"},
    {"$.m.args", "(1,)"},
    {"$.m.args[0]", "1"},
    {"$.m.state.s", "2"},
    {"$[\"\xc3\xa9\"]", "3"},
    {" $.users[0]", "{'name': 'ann'}"},
};

START_TEST(test_path_get_finds_each_kind_of_step)
{
    brine_value *root = sample();
    for (size_t i = 0; i < sizeof found / sizeof found[0]; i++) {
        brine_value *v = brine_path_get(root, found[i].path, &err);
        ck_assert_msg(v != NULL, "%s: %s", found[i].path, err.message);
        ck_assert_int_eq(err.code, BRINE_OK);
        if (found[i].want)
            ck_assert_str_eq(repr(v), found[i].want);
        else
            ck_assert_ptr_eq(v, root);
    }
}
END_TEST

static const struct {
    const char *path;
    int code;
    uint64_t offset;   /* syntax errors */
    const char *where; /* not found: how far the path exists */
    const char *message;
} failing[] = {
    {"$.nope", BRINE_E_NOTFOUND, BRINE_NO_OFFSET, "$", "no such key .nope"},
    {"$.users[2]", BRINE_E_NOTFOUND, BRINE_NO_OFFSET, "$.users", "index out of range [2]"},
    {"$.users[-3]", BRINE_E_NOTFOUND, BRINE_NO_OFFSET, "$.users", "index out of range [-3]"},
    {"$.users.name", BRINE_E_NOTFOUND, BRINE_NO_OFFSET, "$.users", "a list has no .name"},
    {"$.users[0].name[0]", BRINE_E_NOTFOUND, BRINE_NO_OFFSET, "$.users[0].name", "a str has no [0]"},
    {"$[6]", BRINE_E_NOTFOUND, BRINE_NO_OFFSET, "$", "no such key [6]"},
    {"$[False]", BRINE_E_NOTFOUND, BRINE_NO_OFFSET, "$", "no such key [False]"},
    {"users", BRINE_E_SYNTAX, 0, "", "a path starts with '$'"},
    {"$.", BRINE_E_SYNTAX, 2, "", "a name must follow '.'"},
    {"$users", BRINE_E_SYNTAX, 1, "", "expected '.name' or '[...]'"},
    {"$[1", BRINE_E_SYNTAX, 3, "", "expected ']'"},
    {"$['a]", BRINE_E_SYNTAX, 5, "", "unterminated quoted key"},
    {"$[-]", BRINE_E_SYNTAX, 3, "", "digits must follow '-'"},
    {"$[x]", BRINE_E_SYNTAX, 2, "", "expected an index, a quoted key"},
    {"$[99999999999999999999]", BRINE_E_SYNTAX, 2, "", "index out of range"},
};

START_TEST(test_path_get_errors_name_the_step_and_where)
{
    brine_value *root = sample();
    for (size_t i = 0; i < sizeof failing / sizeof failing[0]; i++) {
        brine_value *v = brine_path_get(root, failing[i].path, &err);
        ck_assert_msg(v == NULL, "%s found something", failing[i].path);
        ck_assert_int_eq(err.code, failing[i].code);
        ck_assert_msg(strstr(err.message, failing[i].message) != NULL, "%s: '%s'", failing[i].path, err.message);
        ck_assert_uint_eq(err.offset, failing[i].offset);
        ck_assert_str_eq(err.path, failing[i].where);
    }
    ck_assert_ptr_null(brine_path_get(NULL, "$", &err));
    ck_assert_int_eq(err.code, BRINE_E_INVALID);
}
END_TEST

/* The dict v walked with sort_keys into a builder, then printed. */
static char *sorted(const brine_value *v, unsigned sort)
{
    brine_doc *out = brine_doc_new();
    brine_sink *b = brine_builder_new(out, 0, &err);
    brine_options opts = {.sort_keys = sort};
    ck_assert_int_eq(brine_walk_options(v, b, &opts, &err), BRINE_OK);
    char *text = strdup(repr(brine_builder_value(b)));
    b->destroy(b);
    brine_doc_free(out);
    return text;
}

START_TEST(test_sort_keys_orders_str_keys_by_code_point)
{
    /* python3 -c "print(dict.fromkeys(sorted(['b', 'a', 'z', '', 'aa', 'é', '\uffff', '\U00010000', 'B']), 0))" */
    const char *keys[] = {"b", "a", "z", "", "aa", "\xc3\xa9", "\xef\xbf\xbf", "\xf0\x90\x80\x80", "B"};
    brine_value *d = brine_dict_new(doc, &err);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        brine_dict_set_str(d, keys[i], brine_int_new(doc, 0, &err), &err);
    char *got = sorted(d, 1);
    ck_assert_str_eq(got,
                     "{'': 0, 'B': 0, 'a': 0, 'aa': 0, 'b': 0, 'z': 0, 'é': 0, '\\uffff': 0, '\xf0\x90\x80\x80': 0}");
    free(got);
    got = sorted(d, 0);
    ck_assert_str_eq(got,
                     "{'b': 0, 'a': 0, 'z': 0, '': 0, 'aa': 0, 'é': 0, '\\uffff': 0, '\xf0\x90\x80\x80': 0, 'B': 0}");
    free(got);
}
END_TEST

START_TEST(test_sort_keys_orders_mixed_keys_by_type_then_value)
{
    brine_value *d = brine_dict_new(doc, &err), *zero = brine_int_new(doc, 0, &err);
    unsigned char big[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40};  /* 2**78 */
    unsigned char nbig[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0}; /* -2**78 */
    brine_value *t1 = brine_tuple_new(doc, &err), *t12 = brine_tuple_new(doc, &err), *t0 = brine_tuple_new(doc, &err);
    brine_seq_append(t1, brine_int_new(doc, 1, &err), &err);
    brine_seq_append(t12, brine_int_new(doc, 1, &err), &err);
    brine_seq_append(t12, brine_int_new(doc, 2, &err), &err);
    brine_seq_append(t0, str("a"), &err);
    brine_value *keys[] = {
        str("x"),
        brine_bytes_new(doc, "x", 1, &err),
        t12,
        brine_int_new(doc, 2, &err),
        brine_float_new(doc, 1.5, &err),
        brine_int_new_bytes(doc, big, sizeof big, &err),
        brine_float_new(doc, NAN, &err),
        brine_float_new(doc, 1.0, &err),
        brine_int_new(doc, 1, &err),
        brine_uint_new(doc, UINT64_MAX, &err),
        brine_float_new(doc, 0.0, &err),
        brine_float_new(doc, -0.0, &err),
        brine_int_new(doc, -1, &err),
        brine_int_new_bytes(doc, nbig, sizeof nbig, &err),
        brine_float_new(doc, -INFINITY, &err),
        brine_float_new(doc, 1e300, &err),
        brine_complex_new(doc, 1, 2, &err),
        brine_bool_new(doc, 1, &err),
        brine_bool_new(doc, 0, &err),
        brine_null_new(doc, &err),
        t1,
        t0,
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        brine_dict_set(d, keys[i], zero, &err);
    ck_assert_int_eq(err.code, BRINE_OK);
    char *got = sorted(d, 1);
    ck_assert_str_eq(
        got, "{None: 0, False: 0, True: 0, -inf: 0, -302231454903657293676544: 0, -1: 0, -0.0: 0, 0.0: 0, 1: 0, "
             "1.0: 0, 1.5: 0, 2: 0, 18446744073709551615: 0, 302231454903657293676544: 0, 1e+300: 0, nan: 0, "
             "(1+2j): 0, 'x': 0, b'x': 0, (1,): 0, (1, 2): 0, ('a',): 0}");
    free(got);
}
END_TEST

START_TEST(test_sort_keys_sorts_nested_dicts_and_survives_many)
{
    /* 1,000 dicts of 3 keys inside one of 1,000: the order buffer grows
     * while dicts are open. */
    brine_value *outer = brine_dict_new(doc, &err);
    for (int i = 999; i >= 0; i--) {
        char key[16];
        brine_value *inner = brine_dict_new(doc, &err);
        brine_dict_set_str(inner, "c", brine_int_new(doc, i, &err), &err);
        brine_dict_set_str(inner, "a", brine_int_new(doc, i, &err), &err);
        brine_dict_set_str(inner, "b", brine_int_new(doc, i, &err), &err);
        snprintf(key, sizeof key, "k%04d", i);
        brine_dict_set_str(outer, key, inner, &err);
    }
    brine_doc *out = brine_doc_new();
    brine_sink *b = brine_builder_new(out, 0, &err);
    brine_options opts = {.sort_keys = 1};
    ck_assert_int_eq(brine_walk_options(outer, b, &opts, &err), BRINE_OK);
    brine_value *v = brine_builder_value(b);
    size_t it = 0, n = 0;
    brine_value *k, *val;
    while (brine_dict_next(v, &it, &k, &val)) {
        char want[16];
        snprintf(want, sizeof want, "'k%04zu'", n);
        ck_assert_str_eq(repr(k), want);
        snprintf(want, sizeof want, "%zu", n);
        char inner[64];
        snprintf(inner, sizeof inner, "{'a': %zu, 'b': %zu, 'c': %zu}", n, n, n);
        ck_assert_str_eq(repr(val), inner);
        n++;
    }
    ck_assert_uint_eq(n, 1000);
    b->destroy(b);
    brine_doc_free(out);
}
END_TEST

START_TEST(test_sort_keys_error_path_names_the_sorted_key)
{
    /* {'b': 1, 'a': [cycle]} into a sink without references: the cycle is
     * reported at the key where the walk met it, in sorted order. */
    brine_value *d = brine_dict_new(doc, &err), *l = brine_list_new(doc, &err);
    brine_seq_append(l, l, &err);
    brine_dict_set_str(d, "b", brine_int_new(doc, 1, &err), &err);
    brine_dict_set_str(d, "a", l, &err);
    brine_doc *out = brine_doc_new();
    brine_sink *b = brine_builder_new(out, 0, &err);
    b->flags = 0; /* expand shared containers: the cycle fails */
    brine_options opts = {.sort_keys = 1, .max_depth = 50};
    ck_assert_int_eq(brine_walk_options(d, b, &opts, &err), BRINE_E_CYCLE);
    ck_assert_str_eq(err.path, "$.a[0]");
    b->destroy(b);
    brine_doc_free(out);
}
END_TEST

static char *pretty(const brine_value *v, size_t width)
{
    static char buf[4096];
    FILE *fp = fmemopen(buf, sizeof buf, "w");
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(brine_value_print_pretty(v, fp, width, 0, &err), BRINE_OK);
    fclose(fp);
    return buf;
}

START_TEST(test_pretty_breaks_what_does_not_fit)
{
    brine_value *root = sample();
    ck_assert_str_eq(pretty(root, 200), repr(root));
    /* 'users' and its list take 48 columns: broken at 40. */
    ck_assert_str_eq(pretty(root, 40), "{\n"
                                       "    'users': [\n"
                                       "        {'name': 'ann'},\n"
                                       "        {'name': 'bob'},\n"
                                       "    ],\n"
                                       "    'odd key': {'q\"uo\\'te': 1},\n"
                                       "    5: 'five',\n"
                                       "    None: 'none',\n"
                                       "    True: 't',\n"
                                       "    'm': M(1, state={'s': 2}),\n"
                                       "    'é': 3,\n"
                                       "}");
    ck_assert_str_eq(pretty(brine_path_get(root, "$.m", &err), 20), "M(\n"
                                                                    "    1,\n"
                                                                    "    state={'s': 2},\n"
                                                                    ")");
    brine_value *one = brine_tuple_new(doc, &err);
    brine_seq_append(one, str("a long string that does not fit"), &err);
    ck_assert_str_eq(pretty(one, 20), "(\n    'a long string that does not fit',\n)");
    brine_value *l = brine_list_new(doc, &err);
    brine_seq_append(l, l, &err);
    ck_assert_str_eq(pretty(l, 2), "[\n    [...],\n]");
}
END_TEST

static Suite *path_suite(void)
{
    Suite *s = suite_create("path");
    TCase *tc = tcase_create("path");
    doc_fixture(tc, &doc, &err);
    tcase_add_test(tc, test_path_get_finds_each_kind_of_step);
    tcase_add_test(tc, test_path_get_errors_name_the_step_and_where);
    tcase_add_test(tc, test_sort_keys_orders_str_keys_by_code_point);
    tcase_add_test(tc, test_sort_keys_orders_mixed_keys_by_type_then_value);
    tcase_add_test(tc, test_sort_keys_sorts_nested_dicts_and_survives_many);
    tcase_add_test(tc, test_sort_keys_error_path_names_the_sorted_key);
    tcase_add_test(tc, test_pretty_breaks_what_does_not_fit);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(path_suite)
