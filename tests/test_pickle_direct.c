/* test_pickle_direct.c: the pickle reader's direct path (#23) against its
 * event path. pickle and joblib decode into the document being built
 * (brine_direct_root: no private document walked into the builder); each
 * input is decoded both ways, brine_decode (direct) and the plugin's decode
 * into brine_builder_new (events, through the private document, its copy
 * and its walk), on every pickle and joblib file under data/ (fuzz inputs
 * included), on pickles written here to drop, share and nest containers,
 * and on truncations and byte changes of each. Both must give equal graphs
 * with the same sharing and kinds (brine_value_equal, brine_value_kinds,
 * byte-equal native encodings, which anchor every shared node) or the same
 * error (code, offset, path, message). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>
#include <brine/plugin.h>

#include "check_util.h"

#ifndef BRINE_TEST_DATA
#error "BRINE_TEST_DATA must name the data directory"
#endif

static brine_registry *reg;
static const brine_plugin *pickle, *joblib, *native;
static const test_format formats[] = {
    {"pickle", &pickle, NULL}, {"joblib", &joblib, NULL}, {"native", &native, NULL}, {0}};

static long compared, failed_both;

/* Decodes data both ways with the options list and depth limit and
 * asserts they agree; what names the input in failure messages. */
static void differ(const brine_plugin *fmt, const void *data, size_t len, const char *list, size_t max_depth,
                   const char *what)
{
    test_opts t;
    const brine_options *o = opts_of(&t, list, max_depth);
    test_decode direct = {.label = "direct"}, events = {.label = "events"};
    char label[1200];
    snprintf(label, sizeof label, "%s [%s, %zu]", what, list, max_depth);
    brine_error_clear(&direct.err);
    direct.doc = brine_decode_buffer(fmt, data, len, o, &direct.err);
    events.doc = decode_events(fmt, data, len, o, &events.err);
    compared++;
    if (!expect_same_decodes(label, native, &direct, &events, 0))
        failed_both++;
    brine_doc_free(direct.doc);
    brine_doc_free(events.doc);
}

/* The whole input with each option set and a few depth limits, then its
 * truncations and single-byte changes at the first `budget` positions. */
static void differ_all(const brine_plugin *fmt, const unsigned char *data, size_t len, const char *what, size_t budget)
{
    static const char *const option_sets[] = {"", "allow=safe"};
    static const size_t depths[] = {0, 2, 3, 5, 8};
    char name[1200];
    for (size_t i = 0; i < sizeof option_sets / sizeof option_sets[0]; i++)
        differ(fmt, data, len, option_sets[i], 0, what);
    for (size_t i = 1; i < sizeof depths / sizeof depths[0]; i++)
        differ(fmt, data, len, "", depths[i], what);
    unsigned char *copy = malloc(len + 1);
    REQUIRE(copy != NULL);
    size_t n = len < budget ? len : budget;
    for (size_t cut = 0; cut < n; cut++) {
        snprintf(name, sizeof name, "%s cut at %zu", what, cut);
        differ(fmt, data, cut, "", 0, name);
    }
    /* Opcodes that build, share, drop and nest: STOP, POP, DUP, MARK,
     * APPEND(S), SETITEM(S), BUILD, BINGET, BINPUT, TUPLE1-3, EMPTY_LIST. */
    static const unsigned char subst[] = {'.', '0', '2',  '(',  'a',  'e', 's',  'u', 'b',
                                          'h', 'q', 0x85, 0x86, 0x87, ']', 0x00, 0xff};
    for (size_t pos = 0; pos < n; pos++) {
        for (size_t k = 0; k < sizeof subst; k++) {
            memcpy(copy, data, len);
            if (copy[pos] == subst[k])
                continue;
            copy[pos] = subst[k];
            snprintf(name, sizeof name, "%s byte %zu = %#x", what, pos, subst[k]);
            differ(fmt, copy, len, "", k % 3 ? 0 : 4, name);
        }
    }
    free(copy);
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A .pkl, .pickle or .joblib file (or any under fuzz/pickle) through both
 * plugins (joblib reads plain pickles too). */
static int differ_file(const char *path, const unsigned char *data, size_t len, void *ctx)
{
    size_t budget = *(const size_t *)ctx;
    int pkl = has_suffix(path, ".pkl") || has_suffix(path, ".pickle") || strstr(path, "fuzz/pickle/");
    if (!pkl && !has_suffix(path, ".joblib"))
        return 0;
    if (pkl)
        differ_all(pickle, data, len, path, budget);
    differ_all(joblib, data, len, path, pkl ? 8 : budget);
    return 1;
}

/* Every such file under dir, recursively. */
static int differ_tree(const char *dir, size_t budget)
{
    return for_each_test_file(dir, NULL, 1, differ_file, &budget);
}

START_TEST(test_pickle_and_joblib_decode_on_the_direct_path)
{
    ck_assert_msg(pickle->decode_direct != NULL, "pickle decodes on the direct path");
    ck_assert_msg(joblib->decode_direct != NULL, "joblib decodes on the direct path");
}
END_TEST

START_TEST(test_direct_and_events_agree_on_every_pickle_file)
{
    int files = differ_tree(BRINE_TEST_DATA, 48);
    ck_assert_int_gt(files, 50);
    fprintf(stderr, "pickle files: %d, %ld decodes compared, %ld failed both ways\n", files, compared, failed_both);
}
END_TEST

/* Pickles written by hand, each with its protocol 2 header. */
#define P2 "\x80\x02"

/* A list held by the memo, put in a list that is then popped: the dropped
 * list still links it, yet the value holds it once (not shared, no
 * anchor), as the event path's copy says. */
static const char dropped[] = P2 "]q\x00(h\x00l0.";
/* A list appended to itself: a cycle through the root. */
static const char cycle[] = P2 "]q\x00h\x00"
                               "a.";
/* C = [B], B = [A], then A = [[]] through the memo: 4 levels that no
 * opcode's own nesting shows (each appended a value 1-2 deep). */
static const char chain[] = P2 "]q\x00"
                               "0]q\x01"
                               "0]q\x02"
                               "0h\x01h\x00"
                               "a0h\x02h\x01"
                               "a0h\x00]"
                               "a0h\x02.";
/* A dict whose tuple key holds a memo'd list's tuple, a model made by
 * NEWOBJ whose args tuple is dropped, and a str fetched twice. */
static const char mixed[] = P2 "}q\x00(X\x10\x00\x00\x00sixteen bytes!!!q\x01h\x01h\x01\x86q\x02h\x02"
                               "ccollections\nOrderedDict\nq\x03)\x81q\x04u.";

static void *records_pickle(size_t n, size_t *len);

START_TEST(test_direct_and_events_agree_on_pickles_that_drop_share_and_nest)
{
    const struct {
        const char *name, *data;
        size_t len;
    } cases[] = {{"dropped", dropped, sizeof dropped - 1},
                 {"cycle", cycle, sizeof cycle - 1},
                 {"chain", chain, sizeof chain - 1},
                 {"mixed", mixed, sizeof mixed - 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        differ_all(pickle, (const unsigned char *)cases[i].data, cases[i].len, cases[i].name, cases[i].len);
        differ_all(joblib, (const unsigned char *)cases[i].data, cases[i].len, cases[i].name, 8);
    }
    /* Past the 16 KiB after which the reader shares its short strs, ints
     * and constants (objects.c): the same graph, kinds and encodings. */
    size_t len;
    void *records = records_pickle(2000, &len);
    ck_assert_uint_gt(len, 65536);
    differ(pickle, records, len, "", 0, "2000 records");
    differ(pickle, records, len, "", 2, "2000 records");
    differ(joblib, records, len, "", 0, "2000 records");
    free(records);
}
END_TEST

/* What the recount is for: the list is stored once in the value, so it is
 * not shared, though a dropped list linked it too. */
START_TEST(test_a_container_linked_only_from_dropped_values_is_not_shared)
{
    brine_error err;
    brine_doc *doc = decode_with(pickle, dropped, sizeof dropped - 1, "", 0, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    const brine_value *root = brine_doc_root(doc);
    ck_assert_int_eq(brine_type_of(root), BRINE_LIST);
    ck_assert_uint_eq(brine_value_kinds(root) & BRINE_KIND_SHARED, 0);
    brine_doc_free(doc);

    doc = decode_with(pickle, cycle, sizeof cycle - 1, "", 0, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    ck_assert_uint_ne(brine_value_kinds(brine_doc_root(doc)) & BRINE_KIND_SHARED, 0);
    brine_doc_free(doc);
}
END_TEST

/* The depth limit holds on the graph, whatever each opcode's nesting was,
 * with the decode's message and the path of the container met too deep. */
START_TEST(test_a_memo_chain_deeper_than_the_limit_fails_on_the_direct_path)
{
    brine_error err;
    brine_doc *doc = decode_with(pickle, chain, sizeof chain - 1, "", 4, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    brine_doc_free(doc);
    doc = decode_with(pickle, chain, sizeof chain - 1, "", 3, &err);
    ck_assert_ptr_null(doc);
    expect_error(&err, BRINE_E_DEPTH, sizeof chain - 2, "$[0][0][0]",
                 "maximum recursion depth exceeded while decoding (limit 3)");
}
END_TEST

/* A pickle of n records as brine's writer makes them: every dict key
 * written again in every record (the writer memoizes containers, not strs),
 * like bench-scale's. */
static void *records_pickle(size_t n, size_t *len)
{
    brine_error err;
    brine_doc *doc = brine_doc_new();
    brine_value *list = brine_list_new(doc, &err);
    for (size_t i = 0; i < n; i++) {
        brine_value *rec = brine_dict_new(doc, &err), *tags = brine_list_new(doc, &err);
        char name[32];
        snprintf(name, sizeof name, "user %zu", i);
        brine_dict_set_str(rec, "id", brine_int_new(doc, (int64_t)i, &err), &err);
        brine_dict_set_str(rec, "name", brine_str_new_cstr(doc, name, &err), &err);
        brine_dict_set_str(rec, "score", brine_float_new(doc, (double)i / 7, &err), &err);
        brine_dict_set_str(rec, "active", brine_bool_new(doc, i % 3 == 0, &err), &err);
        brine_dict_set_str(rec, "note", brine_null_new(doc, &err), &err);
        brine_seq_append(tags, brine_str_new_cstr(doc, i % 2 ? "alpha" : "beta", &err), &err);
        brine_seq_append(tags, brine_int_new(doc, (int64_t)(i % 5), &err), &err);
        brine_dict_set_str(rec, "tags", tags, &err);
        REQUIRE(brine_seq_append(list, rec, &err) == BRINE_OK);
    }
    void *p = encode_with(pickle, list, "", 0, len, &err);
    REQUIRE(p != NULL);
    brine_doc_free(doc);
    return p;
}

/* The direct path makes one document, near the event path's compact one:
 * short strs, ints and constants made once (the keys of every record),
 * containers sized by their APPENDS and SETITEMS. (Before: 2.3 times the
 * compact document on bench-scale's records, all of it besides the private
 * document's 2.3 times on the event path.) */
START_TEST(test_the_direct_path_decodes_records_into_one_lean_document)
{
    size_t len;
    void *data = records_pickle(20000, &len);
    brine_error e1, e2;
    brine_doc *d1 = brine_decode_buffer(pickle, data, len, NULL, &e1);
    brine_doc *d2 = decode_events(pickle, data, len, NULL, &e2);
    ck_assert_msg(d1 && d2, "%s / %s", e1.message, e2.message);
    ck_assert_int_eq(brine_value_equal(brine_doc_root(d1), brine_doc_root(d2), 0, &e1), 1);
    size_t direct = brine_doc_memory(d1), events = brine_doc_memory(d2);
    fprintf(stderr, "20000 records: direct %zu bytes of document, events %zu\n", direct, events);
    ck_assert_msg(direct <= events + events / 4, "direct %zu bytes, events %zu", direct, events);
    brine_doc_free(d1);
    brine_doc_free(d2);
    free(data);
}
END_TEST

/* pickle -> json goes through the direct path's graph, decoded once: the
 * reader holds the value anyway (BRINE_CAP_GRAPH_READER), so it is not
 * probed for references first, and writes what the stream wrote. */
START_TEST(test_a_pickle_transcode_decodes_once_into_the_graph)
{
    const brine_plugin *json = brine_registry_find(reg, "json");
    ck_assert_ptr_nonnull(json);
    ck_assert_uint_ne(pickle->caps & BRINE_CAP_GRAPH_READER, 0);
    ck_assert_uint_ne(joblib->caps & BRINE_CAP_GRAPH_READER, 0);
    size_t len, out_len;
    void *data = records_pickle(3, &len);
    brine_source src;
    brine_output out;
    brine_error err;
    int streamed = -1;
    brine_source_init_buffer(&src, data, len);
    ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
    ck_assert_int_eq(brine_transcode(pickle, &src, NULL, json, &out, NULL, &streamed, &err), BRINE_OK);
    ck_assert_int_eq(streamed, 0);
    char *text = brine_output_take(&out, &out_len);
    ck_assert_ptr_nonnull(text);
    static const char expect[] =
        "[{\"id\":0,\"name\":\"user 0\",\"score\":0.0,\"active\":true,\"note\":null,\"tags\":[\"beta\",0]},"
        "{\"id\":1,\"name\":\"user 1\",\"score\":0.14285714285714285,\"active\":false,\"note\":null,"
        "\"tags\":[\"alpha\",1]},"
        "{\"id\":2,\"name\":\"user 2\",\"score\":0.2857142857142857,\"active\":false,\"note\":null,"
        "\"tags\":[\"beta\",2]}]";
    ck_assert_uint_eq(out_len, sizeof expect - 1);
    ck_assert_msg(memcmp(text, expect, out_len) == 0, "%.*s", (int)out_len, text);
    brine_free(text);
    brine_output_destroy(&out);
    free(data);
}
END_TEST

static Suite *pickle_direct_suite(void)
{
    Suite *s = suite_create("pickle_direct");
    TCase *tc = tcase_create("pickle_direct");
    registry_fixture(tc, &reg, formats);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_pickle_and_joblib_decode_on_the_direct_path);
    tcase_add_test(tc, test_direct_and_events_agree_on_every_pickle_file);
    tcase_add_test(tc, test_direct_and_events_agree_on_pickles_that_drop_share_and_nest);
    tcase_add_test(tc, test_a_container_linked_only_from_dropped_values_is_not_shared);
    tcase_add_test(tc, test_a_memo_chain_deeper_than_the_limit_fails_on_the_direct_path);
    tcase_add_test(tc, test_the_direct_path_decodes_records_into_one_lean_document);
    tcase_add_test(tc, test_a_pickle_transcode_decodes_once_into_the_graph);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(pickle_direct_suite)
