/* test_path.c: brine_path_get (core/path.c), the path renderer
 * (core/pathstep.c: brine_path_append_*, brine_path, brine_error_merge_sink),
 * the sort_keys order of the walker (core/order.c, walk.c) and the pretty
 * printer (repr.c). Paths are checked against a table of paths, values and
 * errors (code, offset, where the path stopped); the renderer against a
 * table of keys and the steps they give, and the same bad input through
 * core's builder, the streaming checker and each format's decoder; the
 * order against Python's sorted() for str keys (checked with python3) and
 * brine's documented type order for mixed keys. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brine/brine.h"
#include "brine/format.h"
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

/* ---- the renderer ------------------------------------------------------- */

#define A10 "aaaaaaaaaa"
#define A60 A10 A10 A10 A10 A10 A10

static const struct {
    brine_event key;
    const char *want; /* the path after "$" */
} key_steps[] = {
    {{.kind = BRINE_EV_STR, .v.s = {"name_1", 6}}, "$.name_1"},
    {{.kind = BRINE_EV_STR, .v.s = {"a b", 3}}, "$[\"a b\"]"},
    {{.kind = BRINE_EV_STR, .v.s = {"", 0}}, "$[\"\"]"},
    {{.kind = BRINE_EV_STR, .v.s = {"1st", 3}}, "$[\"1st\"]"},
    /* Control characters: \xNN, but \n \r \t by name; DEL too. */
    {{.kind = BRINE_EV_STR, .v.s = {"k\x01", 2}}, "$[\"k\\x01\"]"},
    {{.kind = BRINE_EV_STR, .v.s = {"\n\r\t\x1f\x7f", 5}}, "$[\"\\n\\r\\t\\x1f\\x7f\"]"},
    {{.kind = BRINE_EV_STR, .v.s = {"q\"\\", 3}}, "$[\"q\\\"\\\\\"]"},
    {{.kind = BRINE_EV_STR, .v.s = {"\xc3\xa9t\xc3\xa9", 5}}, "$[\"\xc3\xa9t\xc3\xa9\"]"},
    /* A byte that is not UTF-8 (a decoder's key before core checks it). */
    {{.kind = BRINE_EV_STR, .v.s = {"a\xff\xc3", 3}}, "$[\"a\\xff\\xc3\"]"},
    /* Long keys: at most 64 bytes between the brackets, quotes included. */
    {{.kind = BRINE_EV_STR, .v.s = {A60 "abcd", 64}}, "$." A60 "abcd"},
    {{.kind = BRINE_EV_STR, .v.s = {A60 "abcde", 65}}, "$[\"" A60 "abc...]"},
    {{.kind = BRINE_EV_STR, .v.s = {A60 "aa\xc3\xa9zz", 66}}, "$[\"" A60 "aa...]"},
    {{.kind = BRINE_EV_STR, .v.s = {A60 "a\xc3\xa9", 63}}, "$[\"" A60 "a\xc3\xa9...]"},
    {{.kind = BRINE_EV_STR, .v.s = {A60 "aaa\x01", 64}}, "$[\"" A60 "aaa...]"},
    {{.kind = BRINE_EV_STR, .v.s = {A60 "a\xe2\x82\xac", 64}}, "$[\"" A60 "a...]"},
    /* Other keys: Python's repr. */
    {{.kind = BRINE_EV_INT, .v.i = -3}, "$[-3]"},
    {{.kind = BRINE_EV_UINT, .v.u = UINT64_MAX}, "$[18446744073709551615]"},
    {{.kind = BRINE_EV_BIGINT, .v.s = {"\x00\x00\x00\x00\x00\x00\x00\x00\x01", 9}}, "$[18446744073709551616]"},
    {{.kind = BRINE_EV_FLOAT, .v.f = 1.5}, "$[1.5]"},
    {{.kind = BRINE_EV_FLOAT, .v.f = -INFINITY}, "$[-inf]"},
    {{.kind = BRINE_EV_COMPLEX, .v.c = {1, 2}}, "$[(1+2j)]"},
    {{.kind = BRINE_EV_NULL}, "$[None]"},
    {{.kind = BRINE_EV_BOOL, .v.boolean = 1}, "$[True]"},
    {{.kind = BRINE_EV_BOOL, .v.boolean = 0}, "$[False]"},
    {{.kind = BRINE_EV_BYTES, .v.s = {"\x00" "a'", 3}}, "$[b\"\\x00a'\"]"},
    {{.kind = BRINE_EV_BYTES, .v.s = {A60 A60, 120}}, "$[b'" A60 "aa...]"},
    /* Keys a renderer does not have. */
    {{.kind = BRINE_EV_TUPLE}, "$[...]"},
    {{.kind = BRINE_EV_REF}, "$[...]"},
};

START_TEST(test_path_renders_each_kind_of_key)
{
    for (size_t i = 0; i < sizeof key_steps / sizeof key_steps[0]; i++) {
        char path[BRINE_ERROR_PATH] = "$";
        brine_path_append_key(path, sizeof path, &key_steps[i].key);
        ck_assert_msg(strcmp(path, key_steps[i].want) == 0, "row %zu: %s, not %s", i, path, key_steps[i].want);
        /* The push/pop stack renders the same. */
        brine_path *p = brine_path_new();
        ck_assert_int_eq(brine_path_push_key(p, &key_steps[i].key), BRINE_OK);
        brine_path_render(p, path, sizeof path);
        ck_assert_msg(strcmp(path, key_steps[i].want) == 0, "row %zu pushed: %s", i, path);
        brine_path_free(p);
    }
    char path[BRINE_ERROR_PATH] = "$";
    brine_path_append_key(path, sizeof path, NULL);
    brine_path_append_name(path, sizeof path, "args");
    brine_path_append_name(path, sizeof path, "not a name");
    brine_path_append_index(path, sizeof path, 7);
    ck_assert_str_eq(path, "$[...].args[...][7]");
}
END_TEST

static int accept_event(brine_sink *self, const brine_event *ev)
{
    (void)self, (void)ev;
    return BRINE_OK;
}

/* Keys of a graph (core's walker, which holds the whole key): a tuple key
 * is Python's repr of it, the other kinds as their events render. */
START_TEST(test_path_renders_graph_keys_like_events)
{
    brine_value *d = brine_dict_new(doc, &err);
    brine_value *t = brine_tuple_new(doc, &err);
    brine_seq_append(t, brine_int_new(doc, 1, &err), &err);
    brine_seq_append(t, str("a\x01"), &err);
    brine_value *l = brine_list_new(doc, &err);
    brine_seq_append(l, brine_int_new(doc, 0, &err), &err);
    brine_seq_append(l, l, &err); /* a cycle: a walk without references names its path */
    ck_assert_int_eq(brine_dict_set(d, t, l, &err), BRINE_OK);
    brine_sink sink = {.event = accept_event, .err = &err};
    ck_assert_int_eq(brine_walk(d, &sink, 0, &err), BRINE_E_CYCLE);
    ck_assert_str_eq(err.path, "$[(1, 'a\\x01')][1]");
}
END_TEST

START_TEST(test_path_too_long_keeps_its_first_steps_and_says_so)
{
    char path[BRINE_ERROR_PATH] = "$";
    for (int i = 0; i < 200; i++)
        brine_path_append_index(path, sizeof path, 10);
    size_t len = strlen(path);
    ck_assert_uint_le(len, BRINE_ERROR_PATH - 1);
    ck_assert_str_eq(path + len - 7, "[10]...");
    ck_assert_int_eq(strncmp(path, "$[10][10]", 9), 0);
    /* A cut path takes no further step, even a short one. */
    brine_path_append_name(path, sizeof path, "a");
    ck_assert_uint_eq(strlen(path), len);
    /* Through brine_path: the same text. */
    brine_path *p = brine_path_new();
    for (int i = 0; i < 200; i++)
        ck_assert_int_eq(brine_path_push_index(p, 10), BRINE_OK);
    ck_assert_uint_eq(brine_path_depth(p), 200);
    char again[BRINE_ERROR_PATH];
    brine_path_render(p, again, sizeof again);
    ck_assert_str_eq(again, path);
    brine_path_free(p);
}
END_TEST

START_TEST(test_path_push_pop_follows_the_value)
{
    brine_path *p = brine_path_new();
    brine_event k = {.kind = BRINE_EV_STR, .v.s = {"users", 5}};
    brine_event five = {.kind = BRINE_EV_INT, .v.i = 5};
    char path[BRINE_ERROR_PATH];
    ck_assert_int_eq(brine_path_push_key(p, &k), BRINE_OK);
    ck_assert_int_eq(brine_path_push_index(p, 3), BRINE_OK);
    ck_assert_int_eq(brine_path_push_name(p, "state"), BRINE_OK);
    ck_assert_int_eq(brine_path_push_key(p, &five), BRINE_OK);
    brine_path_render(p, path, sizeof path);
    ck_assert_str_eq(path, "$.users[3].state[5]");
    brine_path_pop(p);
    brine_path_pop(p);
    brine_path_render(p, path, sizeof path);
    ck_assert_str_eq(path, "$.users[3]");
    brine_path_pop(p);
    brine_path_pop(p);
    brine_path_pop(p); /* empty: nothing */
    brine_path_render(p, path, sizeof path);
    ck_assert_str_eq(path, "$");
    brine_path_free(p);
    brine_path_free(NULL);
}
END_TEST

/* What brine_path_get reads back of what the renderer writes. */
START_TEST(test_path_get_reads_rendered_keys_back)
{
    static const char *const keys[] = {"k\x01", "\n\r\t", "q\"\\", "\xc3\xa9", "a b", "x"};
    brine_value *d = brine_dict_new(doc, &err);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        ck_assert_int_eq(brine_dict_set(d, str(keys[i]), brine_int_new(doc, (int64_t)i, &err), &err), BRINE_OK);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char path[BRINE_ERROR_PATH] = "$";
        brine_event k = {.kind = BRINE_EV_STR, .v.s = {keys[i], strlen(keys[i])}};
        brine_path_append_key(path, sizeof path, &k);
        brine_value *v = brine_path_get(d, path, &err);
        ck_assert_msg(v != NULL, "%s: %s", path, err.message);
        int64_t got = -1;
        ck_assert_int_eq(brine_int_get_i64(v, &got), BRINE_OK);
        ck_assert_int_eq(got, (int64_t)i);
    }
    /* A cut key is refused, never looked up. */
    ck_assert_ptr_null(brine_path_get(d, "$[\"" A60 "abc...]", &err));
    ck_assert_int_eq(err.code, BRINE_E_SYNTAX);
}
END_TEST

static const struct {
    int rc;        /* what the sink returned */
    int sink_code; /* what it put in its error (0: nothing) */
    const char *sink_path;
    uint64_t sink_offset;
    int err_code; /* what the caller's error held before (0: nothing) */
    const char *prefix;
    int want_code;
    const char *want_path;
    uint64_t want_offset;
    const char *want_message;
} merges[] = {
    {BRINE_E_DEPTH, BRINE_E_DEPTH, "$.a[1]", BRINE_NO_OFFSET, 0, NULL, BRINE_E_DEPTH, "$.a[1]", 40, "sink says"},
    {BRINE_E_DEPTH, BRINE_E_DEPTH, "$.a[1]", 3, 0, NULL, BRINE_E_DEPTH, "$.a[1]", 3, "sink says"},
    {BRINE_E_KEY, BRINE_E_KEY, "$[2]", BRINE_NO_OFFSET, 0, "$.lines[4]", BRINE_E_KEY, "$.lines[4][2]", 40, "sink says"},
    {BRINE_E_IO, 0, "", BRINE_NO_OFFSET, 0, NULL, BRINE_E_IO, "", 40, "the consumer of the decoded values failed"},
    {BRINE_E_IO, BRINE_E_IO, "$[9]", BRINE_NO_OFFSET, BRINE_E_SYNTAX, NULL, BRINE_E_SYNTAX, "", BRINE_NO_OFFSET,
     "earlier"},
};

START_TEST(test_error_merge_sink_takes_code_path_and_offset)
{
    for (size_t i = 0; i < sizeof merges / sizeof merges[0]; i++) {
        brine_error serr, mine;
        brine_error_clear(&serr);
        brine_error_clear(&mine);
        if (merges[i].sink_code) {
            brine_error_set_at(&serr, merges[i].sink_code, merges[i].sink_offset, "sink says");
            snprintf(serr.path, sizeof serr.path, "%s", merges[i].sink_path);
        }
        if (merges[i].err_code)
            brine_error_set(&mine, merges[i].err_code, "earlier");
        brine_sink sink = {.err = &serr};
        ck_assert_int_eq(brine_error_merge_sink(&mine, &sink, merges[i].rc, 40, merges[i].prefix), merges[i].rc);
        ck_assert_msg(mine.code == merges[i].want_code, "row %zu: code %d", i, mine.code);
        ck_assert_msg(strcmp(mine.path, merges[i].want_path) == 0, "row %zu: path %s", i, mine.path);
        ck_assert_msg(mine.offset == merges[i].want_offset, "row %zu: offset %llu", i, (unsigned long long)mine.offset);
        ck_assert_msg(strstr(mine.message, merges[i].want_message), "row %zu: %s", i, mine.message);
    }
    /* The sink reporting into the caller's own error: only the offset. */
    brine_error shared;
    brine_error_clear(&shared);
    brine_error_set(&shared, BRINE_E_DEPTH, "deep");
    brine_sink sink = {.err = &shared};
    brine_error_merge_sink(&shared, &sink, BRINE_E_DEPTH, 12, NULL);
    ck_assert_uint_eq(shared.offset, 12);
    ck_assert_str_eq(shared.message, "deep");
    ck_assert_int_eq(brine_error_merge_sink(NULL, &sink, BRINE_E_DEPTH, 12, NULL), BRINE_E_DEPTH);
}
END_TEST

/* ---- the same path from every producer ---------------------------------- */

/* One bad value under a key, written in each format by hand or by the
 * format's own encoder: the path must not depend on who finds the fault. */
#define LONG_KEY A60 "aa\xc3\xa9zz"
#define LONG_STEP "[\"" A60 "aa...]"

static const struct {
    const char *format;
    const char *data; /* NULL: encode the graph {key: [[1]]} and decode it at depth 2 */
    size_t len;
    const char *key;
    int want_code;
    const char *want_path;
} producers[] = {
    /* The decoders' own errors: a bad byte in the value under the key. */
    {"json", "{\"k\\u0001\": [1, x]}", 0, NULL, BRINE_E_SYNTAX, "$[\"k\\x01\"][1]"},
    {"json", "{\"" LONG_KEY "\": [1, x]}", 0, NULL, BRINE_E_SYNTAX, "$" LONG_STEP "[1]"},
    {"msgpack", "\x81\xa2k\x01\x92\x01\xc1", 8, NULL, BRINE_E_SYNTAX, "$[\"k\\x01\"][1]"},
    {"msgpack", "\x81\xd9\x42" LONG_KEY "\x92\x01\xc1", 72, NULL, BRINE_E_SYNTAX, "$" LONG_STEP "[1]"},
    /* The builder's: too deep under the key, whichever format carried it.
     * (pickle's reader stops at the depth limit itself, without a path.) */
    {"json", NULL, 0, "k\x01", BRINE_E_DEPTH, "$[\"k\\x01\"][0]"},
    {"msgpack", NULL, 0, "k\x01", BRINE_E_DEPTH, "$[\"k\\x01\"][0]"},
    {"native", NULL, 0, "k\x01", BRINE_E_DEPTH, "$[\"k\\x01\"][0]"},
    {"json", NULL, 0, LONG_KEY, BRINE_E_DEPTH, "$" LONG_STEP "[0]"},
    {"msgpack", NULL, 0, LONG_KEY, BRINE_E_DEPTH, "$" LONG_STEP "[0]"},
    {"native", NULL, 0, LONG_KEY, BRINE_E_DEPTH, "$" LONG_STEP "[0]"},
};

START_TEST(test_path_is_the_same_from_every_decoder_and_core)
{
    brine_registry *reg = brine_registry_new(&err);
    ck_assert_int_eq(brine_registry_load(reg, &err), BRINE_OK);
    brine_options deep = {0};
    deep.max_depth = 2;
    for (size_t i = 0; i < sizeof producers / sizeof producers[0]; i++) {
        const brine_plugin *fmt = brine_registry_find(reg, producers[i].format);
        ck_assert_msg(fmt != NULL, "no %s plugin", producers[i].format);
        void *data = (void *)producers[i].data;
        size_t len = producers[i].len ? producers[i].len : data ? strlen(data) : 0;
        if (!data) {
            brine_value *d = brine_dict_new(doc, &err), *outer = brine_list_new(doc, &err),
                        *inner = brine_list_new(doc, &err);
            brine_seq_append(inner, brine_int_new(doc, 1, &err), &err);
            brine_seq_append(outer, inner, &err);
            brine_dict_set(d, str(producers[i].key), outer, &err);
            ck_assert_int_eq(brine_encode_buffer(fmt, d, NULL, &data, &len, &err), BRINE_OK);
        }
        /* A decode into the builder, then a streamed conversion (the
         * checker between the decoder and msgpack's encoder). */
        for (int route = 0; route < 2; route++) {
            brine_error_clear(&err);
            if (route == 0) {
                brine_doc *got = brine_decode_buffer(fmt, data, len, &deep, &err);
                ck_assert_msg(got == NULL, "row %zu decoded", i);
            } else {
                brine_source src;
                brine_output out;
                brine_source_init_buffer(&src, data, len);
                ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
                int rc =
                    brine_transcode(fmt, &src, &deep, brine_registry_find(reg, "msgpack"), &out, &deep, NULL, &err);
                ck_assert_msg(rc != BRINE_OK, "row %zu transcoded", i);
                brine_output_destroy(&out);
            }
            ck_assert_msg(err.code == producers[i].want_code, "row %zu route %d: code %d (%s)", i, route, err.code,
                          err.message);
            ck_assert_msg(strcmp(err.path, producers[i].want_path) == 0, "row %zu route %d: %s, not %s", i, route,
                          err.path, producers[i].want_path);
        }
        if (!producers[i].data)
            brine_free(data);
    }
    brine_registry_free(reg);
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
    tcase_add_test(tc, test_path_renders_each_kind_of_key);
    tcase_add_test(tc, test_path_renders_graph_keys_like_events);
    tcase_add_test(tc, test_path_too_long_keeps_its_first_steps_and_says_so);
    tcase_add_test(tc, test_path_push_pop_follows_the_value);
    tcase_add_test(tc, test_path_get_reads_rendered_keys_back);
    tcase_add_test(tc, test_error_merge_sink_takes_code_path_and_offset);
    tcase_add_test(tc, test_path_is_the_same_from_every_decoder_and_core);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(path_suite)
