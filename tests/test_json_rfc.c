/* test_json_rfc.c: issue #17's JSON: ordinary documents read and write as
 * RFC 8259 says whatever their keys, brine's tags only inside the
 * {"$brine": 1, "value": ...} envelope, the writer's auto, plain and tagged
 * modes, legacy_tags for 0.1's files, JSON Lines as separate reader and
 * writer options, the jsonl format, and json -> X -> json byte identity.
 */
#include <check.h>

#include "json_util.h"

#define ENV(x) "{\"$brine\":1,\"value\":" x "}"

/* Encodes the value of text (read with dopts) with eopts; NULL on error. */
static char *reencode(const char *text, const char *dopts, const char *eopts, brine_error *err)
{
    brine_doc *d = dec(text, dopts, err);
    ck_assert_msg(d != NULL, "decoding %s: %s", text, err->message);
    char *out = enc(brine_doc_root(d), eopts, err);
    brine_doc_free(d);
    return out;
}

static void assert_repr(const char *text, const char *dopts, const char *want)
{
    brine_error err;
    char buf[512];
    brine_doc *d = dec(text, dopts, &err);
    ck_assert_msg(d != NULL, "decoding %s: %s", text, err.message);
    brine_value_repr(brine_doc_root(d), buf, sizeof buf, 0, NULL);
    ck_assert_str_eq(buf, want);
    brine_doc_free(d);
}

START_TEST(test_dollar_keys_of_an_ordinary_document_are_str_keys)
{
    /* The examples: 0.1 read {5: ..., None: 1} and wrote $$ref. */
    assert_repr("{\"$5\":\"five dollars\",\"$null\":1}", NULL, "{'$5': 'five dollars', '$null': 1}");
    assert_repr("{\"$tuple\":[1,2],\"$$x\":{\"$bytes\":\"AA==\"}}", NULL,
                "{'$tuple': [1, 2], '$$x': {'$bytes': 'AA=='}}");
    assert_repr("[{\"$brine\":1,\"value\":2}]", NULL, "[{'$brine': 1, 'value': 2}]"); /* not at the top */
    static const char schema[] = "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"$id\":\"x\","
                                 "\"$defs\":{\"a\":{\"$anchor\":\"a\",\"type\":\"string\"}},"
                                 "\"properties\":{\"b\":{\"$ref\":\"#/$defs/a\"},\"$5\":{\"$tuple\":[1]}}}";
    brine_error err;
    char *out = reencode(schema, NULL, NULL, &err);
    ck_assert_str_eq(out, schema);
    brine_free(out);
    out = reencode(schema, NULL, "plain", &err);
    ck_assert_str_eq(out, schema);
    brine_free(out);
}
END_TEST

START_TEST(test_the_envelope_holds_tags_and_its_version_is_checked)
{
    assert_repr(ENV("{\"$tuple\":[1,{\"$bytes\":\"AAH/\"}]}"), NULL, "(1, b'\\x00\\x01\\xff')");
    assert_repr(" { \"$brine\" : 1 , \"value\" : {\"$$k\": 1, \"$2\": 3} } ", NULL, "{'$k': 1, 2: 3}");
    /* plain reads even the envelope as a dict. */
    assert_repr(ENV("{\"$tuple\":[1]}"), "plain", "{'$brine': 1, 'value': {'$tuple': [1]}}");
    brine_error err;
    ck_assert_ptr_null(dec("{\"$brine\":2,\"value\":1}", NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_UNSUPPORTED);
    ck_assert_uint_eq(err.offset, 10);
    ck_assert_str_eq(err.message,
                     "Unsupported $brine envelope version 2 (this reader reads 1): line 1 column 11 (char 10)");
    ck_assert_ptr_null(dec("{\"$brine\":1,\"val\":1}", NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_SYNTAX);
    ck_assert_uint_eq(err.offset, 12);
    ck_assert_ptr_null(dec("{\"$brine\":1,\"value\":1,\"x\":2}", NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_SYNTAX);
    ck_assert_uint_eq(err.offset, 21);
    ck_assert_ptr_null(dec("{\"$brine\":\"1\"}", NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_SYNTAX);
    ck_assert_ptr_null(dec("{\"$brine\":1,\"value\":", NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_TRUNCATED);
}
END_TEST

START_TEST(test_legacy_tags_reads_0_1_files)
{
    assert_repr("{\"$5\":\"five dollars\",\"$null\":1,\"$$ref\":[{\"$tuple\":[]}]}", "legacy_tags",
                "{5: 'five dollars', None: 1, '$ref': [()]}");
    assert_repr(ENV("{\"$tuple\":[1]}"), "legacy_tags", "(1,)");
    brine_error err;
    ck_assert_ptr_null(dec("1", "legacy_tags,plain", &err));
    ck_assert_int_eq(err.code, BRINE_E_OPTION);
}
END_TEST

START_TEST(test_auto_writes_plain_json_or_the_whole_value_in_the_envelope)
{
    brine_error err;
    struct {
        const char *in, *opts, *want;
    } cases[] = {
        /* JSON types only: plain, $ keys as they are. */
        {"{\"$ref\":\"#/a\",\"b\":[1,2.5,null,true,\"s\"]}", NULL, "{\"$ref\":\"#/a\",\"b\":[1,2.5,null,true,\"s\"]}"},
        /* A tuple late in the value: a graph's kinds choose the envelope before the first byte. */
        {ENV("{\"$$ref\":1,\"a\":[{\"$$x\":\"$y\"},{\"$tuple\":[1]}]}"), NULL,
         ENV("{\"$$ref\":1,\"a\":[{\"$$x\":\"$y\"},{\"$tuple\":[1]}]}")},
        {ENV("{\"$$ref\":1,\"a\":{\"$$x\":2,\"b\":{\"$bytes\":\"AA==\"}}}"), "sort_keys",
         ENV("{\"$$ref\":1,\"a\":{\"$$x\":2,\"b\":{\"$bytes\":\"AA==\"}}}")},
        {ENV("{\"z\":{\"$$b\":1,\"$$a\":2,\"k\":{\"$float\":\"-inf\"}},\"$$a\":0}"), "sort_keys",
         ENV("{\"$$a\":0,\"z\":{\"$$a\":2,\"$$b\":1,\"k\":{\"$float\":\"-inf\"}}}")},
        {ENV("{\"$$r\":[1,{\"$tuple\":[]}]}"), "pretty",
         "{\n  \"$brine\": 1,\n  \"value\": {\n    \"$$r\": [\n      1,\n      {\n        \"$tuple\": []\n      }\n"
         "    ]\n  }\n}\n"},
        {"{\"$r\":[1]}", "pretty", "{\n  \"$r\": [\n    1\n  ]\n}\n"},
        /* A non-str key, a NaN, a big int. */
        {ENV("{\"a\":1,\"$1\":2}"), NULL, ENV("{\"a\":1,\"$1\":2}")},
        {ENV("[{\"$float\":\"inf\"}]"), NULL, ENV("[{\"$float\":\"inf\"}]")},
        /* tagged: always the envelope; plain: Python's json.dumps. */
        {"{\"$ref\":[1]}", "tagged", ENV("{\"$$ref\":[1]}")},
        {"7", "tagged,pretty", "{\n  \"$brine\": 1,\n  \"value\": 7\n}\n"},
        {ENV("{\"$$ref\":{\"$tuple\":[1]},\"$1\":2}"), "plain", "{\"$ref\":[1],\"1\":2}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = reencode(cases[i].in, NULL, cases[i].opts, &err);
        ck_assert_msg(out != NULL, "case %zu: %s", i, err.message);
        ck_assert_msg(strcmp(out, cases[i].want) == 0, "case %zu:\n got  %s\n want %s", i, out, cases[i].want);
        /* It reads back as the same value (in another order when sorted). */
        brine_doc *a = dec(cases[i].in, NULL, &err), *b = dec(out, NULL, &err);
        ck_assert_ptr_nonnull(b);
        if (!cases[i].opts || (!strstr(cases[i].opts, "plain") && !strstr(cases[i].opts, "sort_keys")))
            ck_assert_msg(brine_value_equal(brine_doc_root(a), brine_doc_root(b), 0, NULL) == 1, "case %zu", i);
        brine_doc_free(a);
        brine_doc_free(b);
        brine_free(out);
    }
    ck_assert_ptr_null(reencode("1", NULL, "plain,tagged", &err));
    ck_assert_int_eq(err.code, BRINE_E_OPTION);
}
END_TEST

/* brine_transcode of text from `from` (from_opts) to `to` (to_opts). */
static char *transcode(const char *from, const void *data, size_t len, const char *from_opts, const char *to,
                       const char *to_opts, size_t *out_len, brine_error *err)
{
    test_opts fo, to_;
    brine_source src;
    brine_output out;
    brine_source_init_buffer(&src, data, len);
    ck_assert_int_eq(brine_output_init_buffer(&out, NULL), BRINE_OK);
    int rc = brine_transcode(brine_registry_find(reg, from), &src, opts_of(&fo, from_opts, 0),
                             brine_registry_find(reg, to), &out, opts_of(&to_, to_opts, 0), NULL, err);
    char *res = rc == BRINE_OK ? brine_output_take(&out, out_len) : NULL;
    brine_output_destroy(&out);
    return res;
}

START_TEST(test_lines_is_a_reader_option_and_a_writer_option_and_jsonl_has_it_on)
{
    brine_error err;
    size_t n;
    static const char arr[] = "[{\"a\":1},{\"$b\":[2]}]";
    char *out = transcode("json", arr, strlen(arr), NULL, "json", "lines", &n, &err);
    ck_assert_msg(out != NULL, "%s", err.message);
    ck_assert_str_eq(out, "{\"a\":1}\n{\"$b\":[2]}\n");
    brine_free(out);
    out = transcode("json", arr, strlen(arr), NULL, "jsonl", NULL, &n, &err);
    ck_assert_str_eq(out, "{\"a\":1}\n{\"$b\":[2]}\n");
    brine_free(out);
    /* JSON Lines -> msgpack -> JSON Lines, and one line in the envelope. */
    static const char jl[] = "{\"a\":1}\n" ENV("{\"$tuple\":[1]}") "\n";
    char *mp = transcode("json", jl, strlen(jl), "lines", "msgpack", NULL, &n, &err);
    ck_assert_msg(mp != NULL, "%s", err.message);
    size_t n2;
    char *mp2 = transcode("jsonl", jl, strlen(jl), NULL, "msgpack", NULL, &n2, &err);
    ck_assert_ptr_nonnull(mp2);
    ck_assert_uint_eq(n, n2);
    ck_assert_mem_eq(mp, mp2, n);
    out = transcode("msgpack", mp, n, NULL, "jsonl", NULL, &n, &err);
    ck_assert_str_eq(out, jl);
    brine_free(out);
    /* Streamed, a document whose first value JSON lacks opens the envelope
     * (the second line above); a later one is an error (lines=0: the tuple
     * is $[1] of a list written as plain JSON). */
    ck_assert_ptr_null(transcode("msgpack", mp2, n2, NULL, "jsonl", "lines=0", &n, &err));
    ck_assert_int_eq(err.code, BRINE_E_UNSUPPORTED);
    ck_assert_str_eq(err.path, "$[1]");
    out = transcode("msgpack", mp2, n2, NULL, "jsonl", "lines=0,tagged", &n, &err);
    ck_assert_str_eq(out, ENV("[{\"a\":1},{\"$tuple\":[1]}]"));
    brine_free(out);
    brine_free(mp);
    brine_free(mp2);
    /* The jsonl format: by extension and MIME type, never by sniffing. */
    const brine_plugin *jl_fmt = brine_registry_find(reg, "jsonl");
    ck_assert_ptr_nonnull(jl_fmt);
    ck_assert_ptr_eq(brine_registry_find_extension(reg, "ndjson"), jl_fmt);
    ck_assert_ptr_eq(brine_registry_find_extension(reg, ".jsonl"), jl_fmt);
    ck_assert_ptr_eq(brine_registry_find_mime(reg, "application/jsonl"), jl_fmt);
    ck_assert_int_eq(jl_fmt->sniff((const unsigned char *)jl, strlen(jl)), 0);
}
END_TEST

/* Documents whose value JSON lacks comes after the first event, transcoded
 * json -> json (streamed: no reference can arrive). */
static const struct {
    const char *in, *path, *what;
} late_cases[] = {
    {ENV("[1,{\"$tuple\":[]}]"), "$[1]", "a tuple"},
    {ENV("{\"a\":{\"b\":[{\"$bytes\":\"AA==\"}]}}"), "$.a.b[0]", "bytes"},
    {ENV("{\"a\":{\"$float\":\"nan\"}}"), "$.a", "a NaN or infinite float"},
    {ENV("{\"a\":{\"$1\":2}}"), "$.a[1]", "a dict key that is not a str"},
    {ENV("[[],{\"$model\":\"m\",\"args\":[],\"state\":null}]"), "$[1]", "a model"},
};

START_TEST(test_streamed_auto_fails_on_a_late_value_json_lacks_naming_the_path_and_the_tagged_option)
{
    brine_error err;
    size_t n;
    const char *in = late_cases[_i].in;
    char *out = transcode("json", in, strlen(in), NULL, "json", NULL, &n, &err);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(err.code, BRINE_E_UNSUPPORTED);
    ck_assert_str_eq(err.path, late_cases[_i].path);
    char want[256];
    snprintf(want, sizeof want,
             "%s cannot be written as plain JSON, and the output has started as plain JSON: write it with the tagged "
             "option (-O tagged)",
             late_cases[_i].what);
    ck_assert_str_eq(err.message, want);
    /* tagged writes the envelope from the start; through a graph, auto does too. */
    out = transcode("json", in, strlen(in), NULL, "json", "tagged", &n, &err);
    ck_assert_msg(out != NULL, "%s", err.message);
    ck_assert_str_eq(out, in);
    brine_free(out);
    out = reencode(in, NULL, NULL, &err);
    ck_assert_msg(out != NULL, "%s", err.message);
    ck_assert_str_eq(out, in);
    brine_free(out);
}
END_TEST

START_TEST(test_streamed_auto_opens_the_envelope_when_the_first_value_needs_it)
{
    static const struct {
        const char *in, *opts, *want;
    } cases[] = {
        {ENV("{\"$tuple\":[1,{\"$bytes\":\"AA==\"}]}"), NULL, ENV("{\"$tuple\":[1,{\"$bytes\":\"AA==\"}]}")},
        {ENV("{\"$float\":\"-inf\"}"), NULL, ENV("{\"$float\":\"-inf\"}")},
        {ENV("{\"$model\":\"m\",\"args\":[],\"state\":{\"$$k\":1}}"), "pretty",
         "{\n  \"$brine\": 1,\n  \"value\": {\n    \"$model\": \"m\",\n    \"args\": [],\n    \"state\": {\n"
         "      \"$$k\": 1\n    }\n  }\n}\n"},
        /* JSON Lines: each line chooses for itself. */
        {ENV("[1,{\"$tuple\":[2]},{\"$$r\":3}]"), "lines", "1\n" ENV("{\"$tuple\":[2]}") "\n{\"$r\":3}\n"},
    };
    brine_error err;
    size_t n;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *in = cases[i].in;
        char *out = transcode("json", in, strlen(in), NULL, "json", cases[i].opts, &n, &err);
        ck_assert_msg(out != NULL, "case %zu: %s", i, err.message);
        ck_assert_msg(strcmp(out, cases[i].want) == 0, "case %zu:\n got  %s\n want %s", i, out, cases[i].want);
        brine_free(out);
    }
}
END_TEST

/* A document's dict whose first key is "$brine" would read back as the
 * envelope: auto writes it inside one (the key escaped), streamed or from
 * a graph, with lines, pretty and sorted; elsewhere the key is ordinary.
 * Found by the roundtrip_jsonl fuzzer: {"$$brine":1,"x":"y"} in an
 * envelope read back as a dict that plain JSON then wrote unreadably. */
START_TEST(test_a_dict_whose_first_key_is_brine_goes_in_the_envelope)
{
    static const struct {
        const char *in, *opts, *want;
    } cases[] = {
        {ENV("{\"$$brine\":1,\"x\":\"y\"}"), NULL, ENV("{\"$$brine\":1,\"x\":\"y\"}")},
        {ENV("{\"$$brine\":[]}"), "pretty", "{\n  \"$brine\": 1,\n  \"value\": {\n    \"$$brine\": []\n  }\n}\n"},
        {"{\"x\":1,\"$brine\":2}", NULL, "{\"x\":1,\"$brine\":2}"}, /* not first: plain */
        {"{}", NULL, "{}"},
        {"[{\"$brine\":2}]", NULL, "[{\"$brine\":2}]"}, /* not a document */
        {ENV("[{\"$$brine\":2},{\"a\":1}]"), "lines", ENV("{\"$$brine\":2}") "\n{\"a\":1}\n"},
    };
    brine_error err;
    size_t n;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *in = cases[i].in;
        for (int graph = 0; graph < 2; graph++) {
            char *out = graph ? reencode(in, NULL, cases[i].opts, &err)
                              : transcode("json", in, strlen(in), NULL, "json", cases[i].opts, &n, &err);
            ck_assert_msg(out != NULL, "case %zu/%d: %s", i, graph, err.message);
            ck_assert_msg(strcmp(out, cases[i].want) == 0, "case %zu/%d:\n got  %s\n want %s", i, graph, out,
                          cases[i].want);
            brine_free(out);
        }
    }
    /* The writer's own sort_keys knows the first key only at the end: from
     * a graph it looks the key up first; streamed, it refuses. */
    static const char late[] = ENV("{\"x\":1,\"$$brine\":2}");
    char *out = reencode(late, NULL, "sort_keys", &err);
    ck_assert_msg(out != NULL, "%s", err.message);
    ck_assert_str_eq(out, ENV("{\"$$brine\":2,\"x\":1}"));
    brine_free(out);
    ck_assert_ptr_null(transcode("json", late, strlen(late), NULL, "json", "sort_keys", &n, &err));
    ck_assert_int_eq(err.code, BRINE_E_UNSUPPORTED);
    ck_assert_str_eq(err.message, "a dict whose first key is \"$brine\" cannot be written as plain JSON, and the "
                                  "output has started as plain JSON: write it with the tagged option (-O tagged)");
}
END_TEST

/* Through a graph with lines, each line chooses for itself: the kinds are
 * the whole list's, so each line is probed (a line whose first value JSON
 * lacks opens the envelope without one, and still counts its element). */
START_TEST(test_a_graph_encode_with_lines_chooses_per_line)
{
    static const char in[] = ENV("[{\"$tuple\":[1]},[1,{\"$tuple\":[2]}],{\"$a\":1},{\"$model\":\"m\",\"args\":[],"
                                 "\"state\":null},[[{\"$bytes\":\"AA==\"}]],[]]");
    static const char want[] = ENV("{\"$tuple\":[1]}") "\n" ENV("[1,{\"$tuple\":[2]}]") "\n{\"$a\":1}\n" ENV(
        "{\"$model\":\"m\",\"args\":[],\"state\":null}") "\n" ENV("[[{\"$bytes\":\"AA==\"}]]") "\n[]\n";
    brine_error err;
    char *out = reencode(in, NULL, "lines", &err);
    ck_assert_msg(out != NULL, "%s", err.message);
    ck_assert_str_eq(out, want);
    brine_free(out);
    /* The same through the jsonl format, and read back as the same list. */
    brine_doc *d = dec(in, NULL, &err);
    test_opts t;
    void *bytes;
    size_t n;
    const brine_plugin *jl = brine_registry_find(reg, "jsonl");
    ck_assert_int_eq(brine_encode_buffer(jl, brine_doc_root(d), opts_of(&t, NULL, 0), &bytes, &n, &err), BRINE_OK);
    ck_assert_uint_eq(n, strlen(want));
    ck_assert_mem_eq(bytes, want, n);
    brine_doc *back = brine_decode_buffer(jl, bytes, n, NULL, &err);
    ck_assert_ptr_nonnull(back);
    ck_assert_int_eq(brine_value_equal(brine_doc_root(d), brine_doc_root(back), 0, NULL), 1);
    brine_free(bytes);
    brine_doc_free(back);
    brine_doc_free(d);
}
END_TEST

/* A graph encode decides from the document's kinds, whatever its size: a
 * tuple after 65 MiB of text (past the 64 MiB the writer used to hold)
 * still puts the whole value in the envelope. */
START_TEST(test_a_graph_encode_of_any_size_with_a_late_tuple_writes_the_envelope)
{
    size_t big = (size_t)65 << 20;
    char *x = malloc(big);
    ck_assert_ptr_nonnull(x);
    memset(x, 'x', big);
    brine_doc *d = brine_doc_new();
    brine_value *l = brine_list_new(d, NULL);
    ck_assert_int_eq(brine_seq_append(l, brine_str_new(d, x, big, NULL), NULL), BRINE_OK);
    ck_assert_int_eq(brine_seq_append(l, brine_tuple_new(d, NULL), NULL), BRINE_OK);
    free(x);
    ck_assert_uint_eq(brine_value_kinds(l), BRINE_KIND_TUPLE);
    brine_error err;
    size_t n;
    char *out = enc_d(l, NULL, 0, &n, &err);
    ck_assert_msg(out != NULL, "%s", err.message);
    const char *open = "{\"$brine\":1,\"value\":[\"xxx";
    ck_assert_int_eq(strncmp(out, open, strlen(open)), 0);
    const char *close = "\",{\"$tuple\":[]}]}";
    ck_assert_uint_eq(n, strlen("{\"$brine\":1,\"value\":[\"") + big + strlen(close));
    ck_assert_str_eq(out + n - strlen(close), close);
    brine_free(out);
    brine_doc_free(d);
}
END_TEST

/* json -> fmt -> json of a file gives json -> json's bytes. */
static void assert_same_through(const char *path)
{
    size_t len, n0, n1, n2;
    char *doc = slurp(path, &len);
    ck_assert_msg(doc != NULL, "cannot read %s", path);
    brine_error err;
    char *direct = transcode("json", doc, len, NULL, "json", NULL, &n0, &err);
    ck_assert_msg(direct != NULL, "%s: %s", path, err.message);
    static const char *const via[] = {"msgpack", "native", "pickle"};
    for (size_t i = 0; i < 3; i++) {
        char *mid = transcode("json", doc, len, NULL, via[i], NULL, &n1, &err);
        ck_assert_msg(mid != NULL, "%s -> %s: %s", path, via[i], err.message);
        char *back = transcode(via[i], mid, n1, NULL, "json", NULL, &n2, &err);
        ck_assert_msg(back != NULL, "%s -> %s -> json: %s", path, via[i], err.message);
        ck_assert_msg(n2 == n0 && memcmp(back, direct, n0) == 0, "%s through %s differs", path, via[i]);
        brine_free(mid);
        brine_free(back);
    }
    brine_free(direct);
    free(doc);
}

START_TEST(test_json_through_every_format_comes_back_byte_identical)
{
    static const char *const files[] = {CORPUS "/twitter.json", CORPUS "/citm_catalog.json", CORPUS "/canada.json",
                                        BRINE_TEST_DATA "/json/schema.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        FILE *fp = fopen(files[i], "rb");
        if (fp)
            fclose(fp);
        assert_same_through(files[i]);
    }
}
END_TEST

static Suite *json_rfc_suite(void)
{
    Suite *s = suite_create("json_rfc");
    TCase *tc = tcase_create("rfc");
    registry_fixture(tc, &reg, fixture_formats);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_dollar_keys_of_an_ordinary_document_are_str_keys);
    tcase_add_test(tc, test_the_envelope_holds_tags_and_its_version_is_checked);
    tcase_add_test(tc, test_legacy_tags_reads_0_1_files);
    tcase_add_test(tc, test_auto_writes_plain_json_or_the_whole_value_in_the_envelope);
    tcase_add_test(tc, test_lines_is_a_reader_option_and_a_writer_option_and_jsonl_has_it_on);
    tcase_add_loop_test(tc, test_streamed_auto_fails_on_a_late_value_json_lacks_naming_the_path_and_the_tagged_option,
                        0, (int)(sizeof late_cases / sizeof late_cases[0]));
    tcase_add_test(tc, test_streamed_auto_opens_the_envelope_when_the_first_value_needs_it);
    tcase_add_test(tc, test_a_dict_whose_first_key_is_brine_goes_in_the_envelope);
    tcase_add_test(tc, test_a_graph_encode_with_lines_chooses_per_line);
    tcase_add_test(tc, test_a_graph_encode_of_any_size_with_a_late_tuple_writes_the_envelope);
    tcase_add_test(tc, test_json_through_every_format_comes_back_byte_identical);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(json_rfc_suite)
