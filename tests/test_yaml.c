/* test_yaml.c: the yaml plugin (docs/yaml.md): the YAML 1.2 core schema
 * table of plain scalars, tags, keys, anchors as shared nodes and cycles,
 * alias and depth bombs, errors with their line, column, offset and path,
 * the writer's quoting, styles and options, exact floats, the stream
 * option both ways, and truncation and bit-flip sweeps that must end in a
 * clean error or a value, never a crash.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

#include "check_util.h"

static brine_registry *reg;
static const brine_plugin *ym, *js, *nat;

static const test_format formats[] = {{"yaml", &ym, NULL}, {"json", &js, NULL}, {"native", &nat, NULL}, {0}};

static brine_doc *dec(const char *text, const char *opts, brine_error *err)
{
    return decode_with(ym, text, strlen(text), opts, 0, err);
}

/* Python's repr of the value text decodes to. */
static void expect_repr(const char *text, const char *opts, const char *want)
{
    brine_error err;
    brine_doc *d = dec(text, opts, &err);
    ck_assert_msg(d != NULL, "decoding %s: %s", text, err.message);
    char got[512];
    brine_value_repr(brine_doc_root(d), got, sizeof got, 0, NULL);
    ck_assert_msg(!strcmp(got, want), "%s: got %s, want %s", text, got, want);
    brine_doc_free(d);
}

/* The YAML text of v encoded with opts. */
static char *enc(const brine_value *v, const char *opts, brine_error *err)
{
    size_t len;
    char *s = encode_with(ym, v, opts, 0, &len, err);
    return s;
}

/* text decoded then encoded with opts gives want. */
static void expect_rewrite(const char *text, const char *opts, const char *want)
{
    brine_error err;
    brine_doc *d = dec(text, "", &err);
    ck_assert_msg(d != NULL, "decoding %s: %s", text, err.message);
    char *got = enc(brine_doc_root(d), opts, &err);
    ck_assert_msg(got != NULL, "encoding %s: %s", text, err.message);
    ck_assert_msg(!strcmp(got, want), "%s with '%s': got\n%s\nwant\n%s", text, opts, got, want);
    brine_free(got);
    brine_doc_free(d);
}

/* v written as JSON with the refs option: shows which nodes are shared. */
static void expect_json_refs(const brine_value *v, const char *want)
{
    brine_error err;
    char *got = encode_with(js, v, "refs", 0, NULL, &err);
    ck_assert_msg(got != NULL, "%s", err.message);
    const char *inner = strstr(got, "\"value\":");
    ck_assert_ptr_nonnull(inner);
    inner += 8;
    ck_assert_msg(!strncmp(inner, want, strlen(want)) && strlen(inner) == strlen(want) + 1, "got %s, want %s", got,
                  want);
    brine_free(got);
}

/* ---- the core schema ------------------------------------------------------ */

static const struct {
    const char *yaml, *repr;
} scalars[] = {
    /* null */
    {"null", "None"},
    {"Null", "None"},
    {"NULL", "None"},
    {"~", "None"},
    {"", "None"},
    {"nULL", "'nULL'"},
    /* bool: 1.2 has true and false only; 1.1's yes/no/on/off are strs */
    {"true", "True"},
    {"True", "True"},
    {"FALSE", "False"},
    {"tRUE", "'tRUE'"},
    {"yes", "'yes'"},
    {"No", "'No'"},
    {"on", "'on'"},
    {"off", "'off'"},
    {"y", "'y'"},
    /* int: decimal with leading zeros, 0o and 0x; 1.1's forms are strs */
    {"0", "0"},
    {"-17", "-17"},
    {"+17", "17"},
    {"017", "17"},
    {"0o17", "15"},
    {"0x1F", "31"},
    {"0xff", "255"},
    {"0b101", "'0b101'"},
    {"1_000", "'1_000'"},
    {"1:20", "'1:20'"},
    {"9223372036854775807", "9223372036854775807"},
    {"-9223372036854775808", "-9223372036854775808"},
    {"18446744073709551615", "18446744073709551615"},
    {"18446744073709551616", "18446744073709551616"},
    {"-18446744073709551617", "-18446744073709551617"},
    {"0xffffffffffffffff", "18446744073709551615"},
    /* float */
    {"1.5", "1.5"},
    {"-1.", "-1.0"},
    {".5", "0.5"},
    {"+.5e3", "500.0"},
    {"1e3", "1000.0"},
    {"1E-3", "0.001"},
    {"6.02e+23", "6.02e+23"},
    {".inf", "inf"},
    {"-.Inf", "-inf"},
    {"+.INF", "inf"},
    {".NaN", "nan"},
    {"-.nan", "'-.nan'"},
    {".", "'.'"},
    {"1e", "'1e'"},
    {"1.5.2", "'1.5.2'"},
    {"0x", "'0x'"},
    {"2001-12-14", "'2001-12-14'"},
    /* quoted scalars are always strs */
    {"'true'", "'true'"},
    {"\"1\"", "'1'"},
    {"'~'", "'~'"},
    {"''", "''"},
    /* tags */
    {"!!str 1", "'1'"},
    {"! 1", "'1'"},
    {"!!int '42'", "42"},
    {"!!float 1", "1.0"},
    {"!!bool \"true\"", "True"},
    {"!!null ''", "None"},
    {"!!binary AAEC/w==", "b'\\x00\\x01\\x02\\xff'"},
    {"!!binary |\n  AAEC\n  /w==\n", "b'\\x00\\x01\\x02\\xff'"},
    {"!brine/complex 1.5-2j", "(1.5-2j)"},
    {"!brine/complex 2j", "2j"},
    {"!brine/tuple [1, a]", "(1, 'a')"},
    {"!!seq [1]", "[1]"},
    {"!!set {a, b}", "{'a': None, 'b': None}"},
    /* text */
    {"a b  c", "'a b  c'"},
    {"\"tab\\there\"", "'tab\\there'"},
    {"'it''s'", "\"it's\""},
    {"\"\\u00e9\"", "'é'"},
    {"é", "'é'"},
    {"|\n  line 1\n  line 2\n", "'line 1\\nline 2\\n'"},
    {">\n  folded\n  text\n", "'folded text\\n'"},
};

START_TEST(test_yaml_plain_scalars_resolve_by_the_core_schema)
{
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
        expect_repr(scalars[i].yaml, "", scalars[i].repr);
}
END_TEST

START_TEST(test_yaml_collections_and_keys)
{
    expect_repr("a: 1\nb: [x, {c: d}]\n", "", "{'a': 1, 'b': ['x', {'c': 'd'}]}");
    expect_repr("- - 1\n  - 2\n- []\n- {}\n", "", "[[1, 2], [], {}]");
    /* Keys of any scalar type; a sequence key is a tuple, all the way down. */
    expect_repr("1: a\n~: b\ntrue: c\n1.5: d\n", "", "{1: 'a', None: 'b', True: 'c', 1.5: 'd'}");
    expect_repr("? [1, [2, 3]]\n: x\n", "", "{(1, (2, 3)): 'x'}");
    expect_repr("{[a]: 1}", "", "{('a',): 1}");
    /* A repeated key keeps its first position and its last value, as a dict does. */
    expect_repr("a: 1\nb: 2\na: 3\n", "", "{'a': 3, 'b': 2}");
}
END_TEST

START_TEST(test_yaml_mapping_key_is_refused_with_its_path)
{
    brine_error err;
    ck_assert_ptr_null(dec("a:\n  b: {? {x: 1} : 2}\n", "", &err));
    expect_error(&err, BRINE_E_KEY, 11, "$.a.b", "a mapping cannot be a dict key (it is unhashable): line 2 column 9");
    ck_assert_uint_eq(err.line, 2);
    ck_assert_uint_eq(err.column, 9);
}
END_TEST

/* ---- anchors and aliases -------------------------------------------------- */

START_TEST(test_yaml_aliases_share_and_cycle)
{
    brine_error err;
    brine_doc *d = dec("a: &x [1, 2]\nb: *x\nc: &s text\nd: *s\n", "", &err);
    ck_assert_msg(d != NULL, "%s", err.message);
    brine_value *root = brine_doc_root(d);
    expect_json_refs(root,
                     "{\"a\":{\"$anchor\":1,\"$list\":[1,2]},\"b\":{\"$alias\":1},\"c\":\"text\",\"d\":\"text\"}");
    brine_doc_free(d);

    d = dec("&a [1, *a, {self: *a}]", "", &err);
    ck_assert_msg(d != NULL, "%s", err.message);
    root = brine_doc_root(d);
    expect_json_refs(root, "{\"$anchor\":1,\"$list\":[1,{\"$alias\":1},{\"self\":{\"$alias\":1}}]}");
    /* Written back with an anchor and aliases, and read again as a cycle. */
    char *y = enc(root, "", &err);
    ck_assert_str_eq(y, "&id001\n- 1\n- *id001\n- self: *id001\n");
    brine_doc *d2 = dec(y, "", &err);
    expect_json_refs(brine_doc_root(d2), "{\"$anchor\":1,\"$list\":[1,{\"$alias\":1},{\"self\":{\"$alias\":1}}]}");
    brine_free(y);
    brine_doc_free(d2);
    brine_doc_free(d);

    /* An anchor may be redefined; an alias names the latest. */
    expect_repr("[&a 1, *a, &a 2, *a]", "", "[1, 1, 2, 2]");
}
END_TEST

/* A graph with a cycle, a shared node and a model goes yaml -> native ->
 * yaml and comes back as the same text: identity survives both formats. */
START_TEST(test_yaml_cycles_survive_native_and_back)
{
    const char *text =
        "a: &id001\n- 1\n- *id001\n- &id002\n  k: v\nb: *id002\nm: !brine/model:pkg.T\n- - *id002\n- 2\n";
    brine_error err;
    brine_doc *d = dec(text, "", &err);
    ck_assert_msg(d != NULL, "%s", err.message);
    size_t len;
    void *bin = encode_with(nat, brine_doc_root(d), "", 0, &len, &err);
    ck_assert_msg(bin != NULL, "%s", err.message);
    brine_doc *d2 = decode_with(nat, bin, len, "", 0, &err);
    ck_assert_msg(d2 != NULL, "%s", err.message);
    char *y = enc(brine_doc_root(d2), "", &err);
    ck_assert_msg(y != NULL, "%s", err.message);
    ck_assert_str_eq(y, text);
    brine_free(y);
    brine_free(bin);
    brine_doc_free(d2);
    brine_doc_free(d);
}
END_TEST

START_TEST(test_yaml_unknown_alias_is_an_error)
{
    brine_error err;
    ck_assert_ptr_null(dec("a: 1\nb: [*nope]\n", "", &err));
    expect_error(&err, BRINE_E_REF, 9, "$.b[0]",
                 "alias *nope names no anchor before it in this document: line 2 column 5");
}
END_TEST

/* The billion laughs: ten levels of ten aliases each. The aliases of
 * collections are shared references, so reading costs one node per alias;
 * writing the value to a format without references expands it, and the
 * walker's expansion limit refuses that. */
START_TEST(test_yaml_billion_laughs_is_shared_not_expanded)
{
    char text[4096];
    size_t n = (size_t)snprintf(text, sizeof text, "a0: &a0 [lol]\n");
    for (int i = 1; i <= 9; i++) {
        n += (size_t)snprintf(text + n, sizeof text - n, "a%d: &a%d [", i, i);
        for (int j = 0; j < 10; j++)
            n += (size_t)snprintf(text + n, sizeof text - n, "%s*a%d", j ? ", " : "", i - 1);
        n += (size_t)snprintf(text + n, sizeof text - n, "]\n");
    }
    brine_error err;
    brine_doc *d = dec(text, "", &err);
    ck_assert_msg(d != NULL, "%s", err.message);
    size_t count, depth;
    ck_assert_int_eq(brine_value_stats(brine_doc_root(d), 0, &count, &depth, &err), BRINE_OK);
    ck_assert_uint_lt(count, 200);
    void *out = NULL;
    size_t len;
    ck_assert_int_eq(brine_encode_buffer(js, brine_doc_root(d), NULL, &out, &len, &err), BRINE_E_RANGE);
    brine_doc_free(d);

    /* Aliases of scalars are sent again, against the same kind of budget. */
    static char big[200000];
    n = (size_t)snprintf(big, sizeof big, "s: &s %0100d\nl: [", 0);
    for (int i = 0; i < 10000; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "*s,");
    snprintf(big + n, sizeof big - n, "]\n");
    test_opts t;
    brine_options o = *opts_of(&t, "", 0);
    o.expand_ratio = 1;
    o.expand_bytes = 1000;
    brine_doc *doc = brine_doc_new();
    brine_sink *b = brine_builder_new(doc, 0, &err);
    brine_source src;
    brine_source_init_buffer(&src, big, strlen(big));
    brine_error_clear(&err);
    ck_assert_int_eq(ym->decode(&src, b, &o, &err), BRINE_E_RANGE);
    ck_assert_msg(strstr(err.message, "expansion limit") != NULL, "%s", err.message);
    b->destroy(b);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_yaml_depth_bomb_is_refused)
{
    size_t n = 200000;
    char *text = malloc(2 * n + 1);
    memset(text, '[', n);
    memset(text + n, ']', n);
    text[2 * n] = 0;
    brine_error err;
    ck_assert_ptr_null(decode_with(ym, text, 2 * n, "", 0, &err));
    ck_assert_int_eq(err.code, BRINE_E_DEPTH);
    ck_assert_uint_eq(err.offset, 1000);
    ck_assert_uint_eq(err.line, 1);
    ck_assert_uint_eq(err.column, 1001);
    /* Block style nests by indentation. */
    char *p = text;
    for (int i = 0; i < 1200; i++)
        p += sprintf(p, "- ");
    strcpy(p, "x\n");
    ck_assert_ptr_null(decode_with(ym, text, strlen(text), "", 0, &err));
    ck_assert_int_eq(err.code, BRINE_E_DEPTH);
    free(text);
}
END_TEST

/* ---- tags ----------------------------------------------------------------- */

START_TEST(test_yaml_unknown_tags_are_kept_as_models_never_run)
{
    brine_error err;
    const char *text = "a: !!python/object/apply:os.system [echo hi]\nb: !local {k: v}\nc: !x 5\n";
    brine_doc *d = dec(text, "", &err);
    ck_assert_msg(d != NULL, "%s", err.message);
    brine_value *root = brine_doc_root(d);
    char r[256];
    brine_value *a = brine_dict_get_str(root, "a");
    ck_assert_int_eq(brine_type_of(a), BRINE_MODEL);
    ck_assert_str_eq(brine_model_name(a, NULL), "tag:yaml.org,2002:python/object/apply:os.system");
    ck_assert_uint_eq(brine_seq_count(brine_model_args(a)), 0);
    brine_value_repr(brine_model_state(a), r, sizeof r, 0, NULL);
    ck_assert_str_eq(r, "['echo hi']");
    brine_value_repr(brine_model_state(brine_dict_get_str(root, "c")), r, sizeof r, 0, NULL);
    ck_assert_str_eq(r, "'5'"); /* a tag brine does not know: its scalar stays text */
    /* Written back as they came. */
    char *y = enc(root, "", &err);
    ck_assert_str_eq(y, "a: !!python/object/apply:os.system\n- echo hi\nb: !local\n  k: v\nc: !x 5\n");
    brine_free(y);
    brine_doc_free(d);
}
END_TEST

START_TEST(test_yaml_brine_types_use_local_tags)
{
    expect_rewrite("[!brine/tuple [1, 2], !brine/complex 1-2.5j, !!binary AAEC]", "",
                   "- !brine/tuple\n  - 1\n  - 2\n- !brine/complex 1.0-2.5j\n- !!binary AAEC\n");
    expect_rewrite("!brine/model:sklearn.tree.Tree [[1, 2], {k: 3}]", "",
                   "!brine/model:sklearn.tree.Tree\n- - 1\n  - 2\n- k: 3\n");
    brine_error err;
    brine_doc *d = dec("!brine/model:pkg.Thing [[1], {n: 3}]", "", &err);
    ck_assert_msg(d != NULL, "%s", err.message);
    brine_value *m = brine_doc_root(d);
    ck_assert_str_eq(brine_model_name(m, NULL), "pkg.Thing");
    ck_assert_int_eq(brine_type_of(brine_model_args(m)), BRINE_TUPLE);
    /* plain refuses what YAML lacks; a tuple is a sequence there. */
    ck_assert_ptr_null(enc(m, "plain", &err));
    expect_error(&err, BRINE_E_UNSUPPORTED, BRINE_NO_OFFSET, "$",
                 "models are not YAML (written as !brine/model without plain)");
    brine_doc_free(d);
    expect_rewrite("!brine/tuple [1, 2]", "plain", "- 1\n- 2\n");
    d = dec("{a: [!brine/complex 1+1j]}", "", &err);
    ck_assert_ptr_null(enc(brine_doc_root(d), "plain", &err));
    expect_error(&err, BRINE_E_UNSUPPORTED, BRINE_NO_OFFSET, "$.a[0]",
                 "complex is not YAML (written as !brine/complex without plain)");
    brine_doc_free(d);
    ck_assert_ptr_null(dec("!brine/model:x [1, 2]", "", &err));
    expect_error(&err, BRINE_E_SYNTAX, 16, "$.args", "a !brine/model's args must be a sequence: line 1 column 17");
    ck_assert_ptr_null(dec("!!binary A?==", "", &err));
    expect_error(&err, BRINE_E_SYNTAX, 0, "$", "invalid base64 in a !!binary scalar: line 1 column 1");
    ck_assert_ptr_null(dec("- !!int 1.5", "", &err));
    expect_error(&err, BRINE_E_SYNTAX, 2, "$[0]", "not a !!int by the YAML 1.2 core schema: line 1 column 3");
}
END_TEST

/* ---- errors --------------------------------------------------------------- */

static const struct {
    const char *text;
    int code;
    uint64_t offset, line, column;
    const char *path;
} errors[] = {
    {"a: [1, 2\n", BRINE_E_TRUNCATED, 9, 2, 1, "$.a[1]"},
    {"a: 'open\n", BRINE_E_TRUNCATED, 9, 2, 1, "$"},
    {"a: b: c\n", BRINE_E_SYNTAX, 4, 1, 5, "$.a"},
    {"x:\n  - 1\n - 2\n", BRINE_E_SYNTAX, 10, 3, 2, "$.x"},
    {"é: [1, }\n", BRINE_E_SYNTAX, 8, 1, 8, "$[\"é\"][0]"},
    {"a: \"\\q\"\n", BRINE_E_SYNTAX, 4, 1, 5, "$"},
    {"a: 1\n--- 2\n", BRINE_E_SYNTAX, 5, 2, 1, "$"},
    {"a: \xff\n", BRINE_E_UTF8, 3, 1, 4, "$"},
    {"\xef\xbb\xbf"
     "a: 1\nb: [1, }\n",
     BRINE_E_SYNTAX, 15, 2, 8, "$.b[0]"}, /* the BOM counts in offsets only */
    {"a: 1\r\nb: [1,\r\n  }\r\n", BRINE_E_SYNTAX, 16, 3, 3, "$.b[0]"},
    {"- \t- x\n  - y\n", BRINE_E_SYNTAX, ANY_OFFSET, 0, 0, NULL},
};

START_TEST(test_yaml_errors_carry_line_column_offset_and_path)
{
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        brine_error err;
        brine_doc *d = dec(errors[i].text, "", &err);
        ck_assert_msg(d == NULL, "case %zu decoded", i);
        ck_assert_msg(err.code == errors[i].code, "case %zu: code %d, want %d (%s)", i, err.code, errors[i].code,
                      err.message);
        if (errors[i].offset == ANY_OFFSET)
            continue;
        ck_assert_msg(err.offset == errors[i].offset && err.line == errors[i].line && err.column == errors[i].column,
                      "case %zu: offset %llu line %llu column %llu (%s)", i, (unsigned long long)err.offset,
                      (unsigned long long)err.line, (unsigned long long)err.column, err.message);
        ck_assert_msg(!strcmp(err.path, errors[i].path), "case %zu: path %s", i, err.path);
    }
}
END_TEST

START_TEST(test_yaml_documents_need_the_stream_option)
{
    expect_repr("--- 1\n--- [2]\n...\n--- {a: b}\n", "stream", "[1, [2], {'a': 'b'}]");
    expect_repr("", "stream", "[]");
    expect_repr("", "", "None");
    expect_repr("# only a comment\n", "", "None");
    /* Anchors are local to their document. */
    brine_error err;
    ck_assert_ptr_null(dec("--- &a [1]\n--- *a\n", "stream", &err));
    expect_error(&err, BRINE_E_REF, 15, "$[1]", "alias *a names no anchor before it in this document: line 2 column 5");
    expect_rewrite("[1, [2], {a: b}]", "stream", "1\n---\n- 2\n---\na: b\n");
}
END_TEST

/* ---- the writer ----------------------------------------------------------- */

START_TEST(test_yaml_writer_quotes_what_any_yaml_reads_as_no_str)
{
    /* Each of these strs is read as no str by YAML 1.1 or 1.2 when plain. */
    static const char *const quoted[] = {"yes",        "No",
                                         "ON",         "off",
                                         "y",          "N",
                                         "true",       "False",
                                         "null",       "~",
                                         "",           "0o17",
                                         "017",        "0x1f",
                                         "1_000",      "0b11",
                                         "1:20",       ".inf",
                                         "-.Inf",      ".NaN",
                                         "1.5",        "-1",
                                         "+1",         "1e3",
                                         "2001-12-14", "2001-12-14 21:59:43.10 -5",
                                         "=",          "<<",
                                         ".5"};
    for (size_t i = 0; i < sizeof quoted / sizeof quoted[0]; i++) {
        char text[128], want[128];
        snprintf(text, sizeof text, "- \"%s\"\n", quoted[i]);
        snprintf(want, sizeof want, "- '%s'\n", quoted[i]);
        expect_rewrite(text, "", want);
    }
    /* Others stay plain; those that cannot be plain take the emitter's quotes. */
    expect_rewrite("[abc, 'a b', '1st', x1, 'é', 'a: b', '- x', '#c', 'it''s', \"a\\nb\", \"\\t\"]", "",
                   "- abc\n- a b\n- '1st'\n- x1\n- é\n- 'a: b'\n- '- x'\n- '#c'\n- it's\n- 'a\n\n  b'\n- \"\\t\"\n");
}
END_TEST

START_TEST(test_yaml_writer_block_flow_and_indent)
{
    const char *text = "{a: 1, b: [x, {c: [], d: {}}], e: {f: null}}";
    expect_rewrite(text, "", "a: 1\nb:\n- x\n- c: []\n  d: {}\ne:\n  f: null\n");
    expect_rewrite(text, "flow", "{a: 1, b: [x, {c: [], d: {}}], e: {f: null}}\n");
    expect_rewrite(text, "indent=4", "a: 1\nb:\n- x\n-   c: []\n    d: {}\ne:\n    f: null\n");
    expect_rewrite("{? [1, 2] : x, 3: [4]}", "", "? [1, 2]\n: x\n3:\n- 4\n");
    expect_rewrite("[1.0, 1e16, -0.0, 5e-324, .inf, -.inf, .nan, 123456789012345678901234567890, true]", "flow",
                   "[1.0, 1.0e+16, -0.0, 5.0e-324, .inf, -.inf, .nan, 123456789012345678901234567890, true]\n");
    brine_error err;
    brine_doc *d = dec("1", "", &err);
    void *out = NULL;
    ck_assert_ptr_null(encode_with(ym, brine_doc_root(d), "indent=12", 0, NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_OPTION);
    brine_free(out);
    brine_doc_free(d);
}
END_TEST

/* Random doubles written and read back keep their bits. */
START_TEST(test_yaml_floats_read_back_exactly)
{
    brine_doc *d = brine_doc_new();
    brine_value *list = brine_list_new(d, NULL);
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < 3000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double f;
        uint64_t bits = i % 3 ? x : (x >> 12) | 0x3ff0000000000000u;
        memcpy(&f, &bits, sizeof f);
        if (isnan(f))
            continue;
        brine_seq_append(list, brine_float_new(d, f, NULL), NULL);
    }
    brine_doc_set_root(d, list, NULL);
    brine_error err;
    for (int flow = 0; flow < 2; flow++) {
        char *y = enc(list, flow ? "flow" : "", &err);
        ck_assert_msg(y != NULL, "%s", err.message);
        brine_doc *d2 = dec(y, "", &err);
        ck_assert_msg(d2 != NULL, "%s", err.message);
        brine_value *back = brine_doc_root(d2);
        ck_assert_uint_eq(brine_seq_count(back), brine_seq_count(list));
        for (size_t i = 0; i < brine_seq_count(list); i++) {
            double a = brine_float_get(brine_seq_get(list, i)), b = brine_float_get(brine_seq_get(back, i));
            REQUIRE(brine_type_of(brine_seq_get(back, i)) == BRINE_FLOAT);
            REQUIRE(memcmp(&a, &b, sizeof a) == 0);
        }
        brine_free(y);
        brine_doc_free(d2);
    }
    brine_doc_free(d);
}
END_TEST

START_TEST(test_yaml_stream_writer_refuses_shared_nodes_across_documents)
{
    brine_error err;
    brine_doc *d = dec("[&a [1], *a]", "", &err);
    ck_assert_ptr_null(enc(brine_doc_root(d), "stream", &err));
    expect_error(&err, BRINE_E_UNSUPPORTED, BRINE_NO_OFFSET, "$[1]",
                 "a reference to a value of another document (YAML anchors are local to their document)");
    char *y = enc(brine_doc_root(d), "", &err);
    ck_assert_str_eq(y, "- &id001\n  - 1\n- *id001\n");
    brine_free(y);
    brine_doc_free(d);
}
END_TEST

/* ---- allocation failures ------------------------------------------------ */

/* Decodes the sample (sweeps below) and writes it back into out. */
static int alloc_workload(const char *text, char *out, size_t cap)
{
    brine_error err;
    brine_doc *d = dec(text, "", &err);
    if (!d)
        return err.code;
    size_t len;
    char *y = encode_with(ym, brine_doc_root(d), "", 0, &len, &err);
    brine_doc_free(d);
    if (!y)
        return err.code;
    snprintf(out, cap, "%s", y);
    brine_free(y);
    return BRINE_OK;
}

static const char alloc_sample[] = "a: &x [1, 123456789012345678901234567890, !!binary AAEC]\nb: *x\n"
                                   "c: &s text\nd: *s\n? [k, 2]\n: !brine/model:m.T [[1], {z: !brine/complex 1+2j}]\n"
                                   "e: !unknown {f: 1.5}\n";

/* Each allocation brine's allocator makes for the plugin (its frames,
 * anchors, scratch documents, the builder's and the output's memory) is
 * failed in turn: the error is BRINE_E_NOMEM and nothing leaks. libyaml's
 * own allocations use malloc and are not reached. */
START_TEST(test_yaml_every_allocation_failure_is_reported_and_leaks_nothing)
{
    static char expect[2048], text[2048];
    ck_assert_int_eq(alloc_workload(alloc_sample, expect, sizeof expect), BRINE_OK);
    brine_release_memory();
    brine_set_allocator(failing_malloc, failing_realloc, counting_free);
    long k;
    for (k = 1;; k++) {
        alloc_calls = 0;
        alloc_fail_at = k;
        alloc_live = 0;
        int rc = alloc_workload(alloc_sample, text, sizeof text);
        brine_release_memory();
        if (alloc_live != 0 || (alloc_calls >= k && rc != BRINE_E_NOMEM)) {
            brine_set_allocator(NULL, NULL, NULL);
            ck_abort_msg("allocation %ld failing: status %d, %ld blocks leaked", k, rc, alloc_live);
        }
        if (alloc_calls < k)
            break; /* no failure was injected: the whole workload ran */
    }
    brine_set_allocator(NULL, NULL, NULL);
    ck_assert_str_eq(text, expect);
    ck_assert_int_gt(k, 20);
}
END_TEST

/* ---- sweeps --------------------------------------------------------------- */

static const char sample[] = "%YAML 1.2\n---\nname: brine\nitems: &it\n- 1\n- 2.5\n- \"q\\u00e9\"\n- !!binary AAEC\n"
                             "again: *it\nmap: {a: [x, y], ? [k] : v}\ntext: |\n  block\n  text\nt: !brine/tuple [1]\n"
                             "m: !brine/model:a.B [[1], {s: 1}]\n";

static void expect_clean(const unsigned char *p, size_t len, const char *what, size_t i)
{
    brine_error err;
    brine_doc *d = decode_with(ym, p, len, "", 0, &err);
    if (d) {
        brine_doc_free(d);
        return;
    }
    REQUIRE(err.code != BRINE_OK);
    REQUIRE(err.message[0] != 0);
    if (err.offset != BRINE_NO_OFFSET && err.offset > len)
        ck_abort_msg("%s %zu: offset %llu past the input (%s)", what, i, (unsigned long long)err.offset, err.message);
}

START_TEST(test_yaml_truncation_and_bit_flip_sweeps_end_cleanly)
{
    size_t len = strlen(sample);
    brine_error err;
    brine_doc *d = dec(sample, "", &err);
    ck_assert_msg(d != NULL, "%s", err.message);
    brine_doc_free(d);
    for (size_t i = 0; i < len; i++)
        expect_clean((const unsigned char *)sample, i, "prefix", i);
    unsigned char buf[sizeof sample];
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(buf, sample, len);
            buf[i] ^= (unsigned char)(1u << bit);
            expect_clean(buf, len, "flip", i * 8 + (size_t)bit);
        }
}
END_TEST

/* Type names a YAML tag cannot hold (libyaml writes ',', '[' and ']'
 * unescaped, where its scanner stops): refused when writing and, from
 * their percent escapes, when reading; a verbatim tag keeps its ','. */
START_TEST(test_model_names_a_tag_cannot_hold_are_refused_both_ways)
{
    static const char *const bad[] = {"a,b", "a[b", "a]b"};
    brine_error err;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"$brine\":1,\"value\":{\"$model\":\"%s\",\"args\":[],\"state\":null}}", bad[i]);
        brine_doc *d = decode_with(js, json, strlen(json), "", 0, &err);
        ck_assert_msg(d != NULL, "%s", err.message);
        ck_assert_ptr_null(enc(brine_doc_root(d), "", &err));
        ck_assert_int_eq(err.code, BRINE_E_UNSUPPORTED);
        brine_doc_free(d);
    }
    static const char *const unread[] = {"!brine/model:a%5Db [[], null]", "!brine/model:a%2Cb [[], null]",
                                         "!foo%5Bbar 1"};
    for (size_t i = 0; i < sizeof unread / sizeof unread[0]; i++) {
        ck_assert_ptr_null(dec(unread[i], "", &err));
        ck_assert_msg(err.code == BRINE_E_UNSUPPORTED, "%s: %s", unread[i], err.message);
    }
    expect_rewrite("!<tag:example.com,2000:x> 1", "", "!<tag:example.com,2000:x> 1\n");
}
END_TEST

static Suite *yaml_suite(void)
{
    Suite *s = suite_create("yaml");
    TCase *tc = tcase_create("yaml");
    registry_fixture(tc, &reg, formats);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_yaml_plain_scalars_resolve_by_the_core_schema);
    tcase_add_test(tc, test_yaml_collections_and_keys);
    tcase_add_test(tc, test_yaml_mapping_key_is_refused_with_its_path);
    tcase_add_test(tc, test_yaml_aliases_share_and_cycle);
    tcase_add_test(tc, test_yaml_cycles_survive_native_and_back);
    tcase_add_test(tc, test_yaml_unknown_alias_is_an_error);
    tcase_add_test(tc, test_yaml_billion_laughs_is_shared_not_expanded);
    tcase_add_test(tc, test_yaml_depth_bomb_is_refused);
    tcase_add_test(tc, test_yaml_unknown_tags_are_kept_as_models_never_run);
    tcase_add_test(tc, test_yaml_brine_types_use_local_tags);
    tcase_add_test(tc, test_yaml_errors_carry_line_column_offset_and_path);
    tcase_add_test(tc, test_yaml_documents_need_the_stream_option);
    tcase_add_test(tc, test_yaml_writer_quotes_what_any_yaml_reads_as_no_str);
    tcase_add_test(tc, test_yaml_writer_block_flow_and_indent);
    tcase_add_test(tc, test_yaml_floats_read_back_exactly);
    tcase_add_test(tc, test_yaml_stream_writer_refuses_shared_nodes_across_documents);
    tcase_add_test(tc, test_yaml_every_allocation_failure_is_reported_and_leaks_nothing);
    tcase_add_test(tc, test_yaml_truncation_and_bit_flip_sweeps_end_cleanly);
    tcase_add_test(tc, test_model_names_a_tag_cannot_hold_are_refused_both_ways);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(yaml_suite)
