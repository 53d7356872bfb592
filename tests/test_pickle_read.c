/* test_pickle_read.c: the pickle reader against docs/pickle.md: hand-written
 * byte strings for every opcode family, identity through the memo, the
 * models calls become (nothing is ever called), every hostile case with its
 * code and offset, and the golden files of data/pickle (expected.tsv beside
 * them), each of whose truncations must fail cleanly. */
#include <check.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <brine/format.h>

#include "check_util.h"

static brine_registry *reg;
static const brine_plugin *pk;
static const test_format fixture_formats[] = {{"pickle", &pk, NULL}, {0}};

/* A string literal and its length, NULs included. */
#define B(s) (s), (sizeof(s) - 1)

static brine_doc *dec_depth(const void *data, size_t len, size_t max_depth, brine_error *err)
{
    brine_options o;
    memset(&o, 0, sizeof o);
    o.max_depth = max_depth;
    brine_error_clear(err);
    return brine_decode_buffer(pk, data, len, &o, err);
}

static brine_doc *dec(const void *data, size_t len, brine_error *err)
{
    return dec_depth(data, len, 0, err);
}

/* One case of a table: a pickle and the repr it reads as, or the error it
 * fails with (the path "": errors of the stack machine know no path yet). */
typedef struct pk_row {
    const char *data;
    size_t len;
    const char *repr; /* NULL: decoding fails */
    int code;
    uint64_t offset;
} pk_row;
#define READS(s, want)                                                                                                 \
    {                                                                                                                  \
        (s), sizeof(s) - 1, (want), BRINE_OK, 0                                                                        \
    }
#define FAILS(s, code, offset)                                                                                         \
    {                                                                                                                  \
        (s), sizeof(s) - 1, NULL, (code), (offset)                                                                     \
    }

/* Decoding fails with code at offset, with this path (that of the walk). */
static void expect_pk_error_at(const void *data, size_t len, size_t max_depth, int code, uint64_t offset,
                               const char *path, int line)
{
    brine_error err;
    brine_doc *doc = dec_depth(data, len, max_depth, &err);
    ck_assert_msg(doc == NULL, "line %d: decoding succeeded", line);
    expect_error(&err, code, offset, path, NULL);
}

/* Each row decodes to its repr or fails as it says; a failure names the row. */
static void expect_rows(const pk_row *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const pk_row *r = &rows[i];
        brine_error err;
        char buf[4096];
        brine_doc *doc = dec(r->data, r->len, &err);
        if (!r->repr) {
            ck_assert_msg(doc == NULL, "row %zu: decoding succeeded", i);
            ck_assert_msg(err.code == r->code && err.offset == r->offset, "row %zu: code %d offset %llu (%s)", i,
                          err.code, (unsigned long long)err.offset, err.message);
            expect_error(&err, r->code, r->offset, "", NULL);
            continue;
        }
        ck_assert_msg(doc != NULL, "row %zu: decode failed: %s (code %d, offset %llu)", i, err.message, err.code,
                      (unsigned long long)err.offset);
        ck_assert_uint_lt(brine_value_repr(brine_doc_root(doc), buf, sizeof buf, 0, &err), sizeof buf);
        ck_assert_msg(strcmp(buf, r->repr) == 0, "row %zu: got %s, want %s", i, buf, r->repr);
        brine_doc_free(doc);
    }
}

/* ---- the descriptor ------------------------------------------------------ */

START_TEST(test_descriptor_names_extensions_mime_and_caps)
{
    ck_assert_str_eq(pk->name, "pickle");
    ck_assert_str_eq(pk->mime_type, "application/x-python-pickle");
    ck_assert_str_eq(pk->extensions[0], "pkl");
    ck_assert_str_eq(pk->extensions[1], "pickle");
    ck_assert_ptr_null(pk->extensions[2]);
    ck_assert_uint_eq(pk->caps,
                      BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_BINARY | BRINE_CAP_REFS | BRINE_CAP_GRAPH_READER);
    ck_assert_ptr_eq(brine_registry_find_extension(reg, "model.pkl"), pk);
    ck_assert_ptr_eq(brine_registry_find_mime(reg, "application/x-python-pickle"), pk);
}
END_TEST

START_TEST(test_sniff_is_certain_of_protocols_2_to_5_and_guesses_text_pickles)
{
    ck_assert_int_eq(pk->sniff((const unsigned char *)"\x80\x02]q\x00.", 6), 100);
    ck_assert_int_eq(pk->sniff((const unsigned char *)"\x80\x05\x95", 3), 100);
    ck_assert_int_eq(pk->sniff((const unsigned char *)"\x80\x06", 2), 0);
    ck_assert_int_eq(pk->sniff((const unsigned char *)"\x80\x01", 2), 30);
    ck_assert_int_gt(pk->sniff((const unsigned char *)"(dp0\nS'a'\n", 10), 0);
    ck_assert_int_le(pk->sniff((const unsigned char *)"(dp0\nS'a'\n", 10), 10);
    ck_assert_int_gt(pk->sniff((const unsigned char *)"ccopy_reg\n_reconstructor\n", 25), 0);
    ck_assert_int_eq(pk->sniff((const unsigned char *)"{\"a\": 1}", 8), 0);
    ck_assert_int_eq(pk->sniff((const unsigned char *)"[1, 2]", 6), 0);
    ck_assert_int_eq(pk->sniff((const unsigned char *)"hello", 5), 0);
    ck_assert_ptr_eq(brine_registry_sniff(reg, "\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00N.", 13), pk);
}
END_TEST

/* ---- scalars ------------------------------------------------------------- */

START_TEST(test_none_and_bools_in_every_form)
{
    static const pk_row rows[] = {
        READS("N.", "None"),     READS("\x80\x02\x88.", "True"), READS("\x80\x02\x89.", "False"),
        READS("I01\n.", "True"), READS("I00\n.", "False"),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

START_TEST(test_text_ints_with_and_without_the_L_suffix)
{
    static const pk_row rows[] = {
        READS("I42\n.", "42"),
        READS("I-7\n.", "-7"),
        READS("I+7\n.", "7"),
        READS("I 12 \n.", "12"),
        READS("I010\n.", "10"),
        READS("I18446744073709551616\n.", "18446744073709551616"),
        READS("L123L\n.", "123"),
        READS("L-1606938044258990275541962092341162602522202993782792835301376L\n.",
              "-1606938044258990275541962092341162602522202993782792835301376"),
        READS("L5\n.", "5"),
        FAILS("I4x\n.", BRINE_E_SYNTAX, 0),
        FAILS("N0I\n.", BRINE_E_SYNTAX, 2),
        FAILS("L12LL\n.", BRINE_E_SYNTAX, 0),
        FAILS("I0x10\n.", BRINE_E_SYNTAX, 0),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

START_TEST(test_binary_ints_of_every_width)
{
    static const pk_row rows[] = {
        READS("\x80\x02K\xff.", "255"),
        READS("\x80\x02M\xff\xff.", "65535"),
        READS("\x80\x02J\xff\xff\xff\xff.", "-1"),
        READS("\x80\x02J\x00\x00\x00\x80.", "-2147483648"),
        READS("\x80\x02\x8a\x00.", "0"),
        READS("\x80\x02\x8a\x01\xff.", "-1"),
        READS("\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01.", "18446744073709551616"),
        READS("\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xff.", "-18446744073709551616"),
        READS("\x80\x02\x8b\x02\x00\x00\x00\x00\x80.", "-32768"),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

START_TEST(test_floats_text_and_binary_bit_for_bit)
{
    brine_error err;
    brine_doc *doc;
    double f;
    uint64_t bits;
    static const pk_row rows[] = {
        READS("F1.5\n.", "1.5"),
        READS("F-0.0\n.", "-0.0"),
        READS("F1e+300\n.", "1e+300"),
        READS("Finf\n.", "inf"),
        READS("F-inf\n.", "-inf"),
        READS("Fnan\n.", "nan"),
        READS("G?\xf8\x00\x00\x00\x00\x00\x00.", "1.5"),
        READS("G\x80\x00\x00\x00\x00\x00\x00\x00.", "-0.0"),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
    /* A NaN payload survives. */
    doc = dec(B("\x80\x02G\x7f\xf4\x00\x00\x00\x00\x00\x01."), &err);
    ck_assert_ptr_nonnull(doc);
    f = brine_float_get(brine_doc_root(doc));
    memcpy(&bits, &f, 8);
    ck_assert_uint_eq(bits, UINT64_C(0x7ff4000000000001));
    brine_doc_free(doc);
    static const pk_row rows2[] = {
        FAILS("F0x1p3\n.", BRINE_E_SYNTAX, 0),
        FAILS("F1.5.\n.", BRINE_E_SYNTAX, 0),
        FAILS("F\n.", BRINE_E_SYNTAX, 0),
    };
    expect_rows(rows2, sizeof rows2 / sizeof rows2[0]);
}
END_TEST

/* ---- strings and bytes --------------------------------------------------- */

START_TEST(test_python2_strings_are_str_if_ascii_else_bytes)
{
    static const pk_row rows[] = {
        READS("S'abc'\n.", "'abc'"),
        READS("S\"a'b\"\n.", "\"a'b\""),
        READS("S'a\\nb\\x41\\101\\\\\\''\n.", "\"a\\nbAA\\\\'\""),
        READS("S'\\q'\n.", "'\\\\q'"),
        READS("S'\\xff'\n.", "b'\\xff'"),
        READS("U\x03\x61\x62\x63.", "'abc'"),
        READS("U\x01\xe9.", "b'\\xe9'"),
        READS("T\x02\x00\x00\x00hi.", "'hi'"),
        FAILS("S'abc\n.", BRINE_E_SYNTAX, 0),
        FAILS("Sabc\n.", BRINE_E_SYNTAX, 0),
        FAILS("S'a\\x4'\n.", BRINE_E_SYNTAX, 3),
        FAILS("S'a\\'\n.", BRINE_E_SYNTAX, 3), /* quotes stripped first: a trailing backslash */
        FAILS("T\xff\xff\xff\xffhi.", BRINE_E_CORRUPT, 0),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

START_TEST(test_unicode_text_is_raw_unicode_escape)
{
    static const pk_row rows[] = {
        READS("Vh\\u00e9\\U0001f600\n.", "'h\xc3\xa9\xf0\x9f\x98\x80'"),
        READS("V\xe9\n.", "'\xc3\xa9'"), /* a raw byte is a latin-1 code point */
        READS("Va\\u005cb\n.", "'a\\\\b'"),
        READS("V\\\\u0041\n.", "'\\\\\\\\u0041'"), /* an even run of backslashes escapes nothing */
        READS("V\\\\\\u0041\n.", "'\\\\\\\\A'"),
        READS("V\\ud83d\\ude00\n.", "'\xf0\x9f\x98\x80'"), /* a pair of escapes is one code point */
        READS("V\\x\n.", "'\\\\x'"),
        FAILS("Vab\\ud800\n.", BRINE_E_UTF8, 3),
        FAILS("Vab\\u00e\n.", BRINE_E_SYNTAX, 3),
        FAILS("V\\U00110000\n.", BRINE_E_SYNTAX, 1),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

START_TEST(test_binary_unicode_and_bytes_of_every_width)
{
    static const pk_row rows[] = {
        READS("\x80\x04\x8c\x02\xc3\xa9.", "'\xc3\xa9'"),
        READS("X\x03\x00\x00\x00"
              "abc.",
              "'abc'"),
        READS("\x80\x04\x8d\x01\x00\x00\x00\x00\x00\x00\x00z.", "'z'"),
        READS("\x80\x03"
              "C\x02\x00\xff.",
              "b'\\x00\\xff'"),
        READS("\x80\x03"
              "B\x01\x00\x00\x00x.",
              "b'x'"),
        READS("\x80\x04\x8e\x00\x00\x00\x00\x00\x00\x00\x00.", "b''"),
        /* A surrogate (Python's surrogatepass) and bad UTF-8: refused at the byte. */
        FAILS("X\x05\x00\x00\x00"
              "ab\xed\xa0\x80.",
              BRINE_E_UTF8, 7),
        FAILS("\x8c\x02\xc3(.", BRINE_E_UTF8, 2),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

/* ---- containers ---------------------------------------------------------- */

START_TEST(test_tuples_lists_and_dicts_in_every_form)
{
    static const pk_row rows[] = {
        READS(").", "()"),
        READS("\x80\x02K\x01\x85.", "(1,)"),
        READS("\x80\x02K\x01K\x02\x86.", "(1, 2)"),
        READS("\x80\x02K\x01K\x02K\x03\x87.", "(1, 2, 3)"),
        READS("(I1\nI2\nt.", "(1, 2)"),
        READS("(I1\nI2\nl.", "[1, 2]"),
        READS("(lp0\nI1\naI2\na.", "[1, 2]"),
        READS("](K\x01K\x02"
              "e.",
              "[1, 2]"),
        READS("(S'a'\nI1\nS'b'\nI2\nd.", "{'a': 1, 'b': 2}"),
        READS("}U\x01\x61K\x01s.", "{'a': 1}"),
        READS("}(U\x01\x61K\x01U\x01\x62K\x02U\x01\x61K\x03u.", "{'a': 3, 'b': 2}"),
        READS("}(K\x01K\x02)K\x03u.", "{1: 2, (): 3}"),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

START_TEST(test_sets_frozensets_and_bytearrays_are_models)
{
    static const pk_row rows[] = {
        READS("\x80\x04\x8f(K\x01K\x02\x90.", "builtins.set([1, 2])"),
        READS("\x80\x04\x8f.", "builtins.set([])"),
        READS("\x80\x04(K\x01\x91.", "builtins.frozenset([1])"),
        READS("\x80\x05\x96\x02\x00\x00\x00\x00\x00\x00\x00"
              "ab.",
              "builtins.bytearray(b'ab')"),
        /* Protocols 0-3: the same through REDUCE, Python 2 names mapped. */
        READS("c__builtin__\nset\n((lI1\natR.", "builtins.set([1])"),
        READS("\x80\x02"
              "c__builtin__\nbytearray\n)R.",
              "builtins.bytearray(b'')"),
        READS("\x80\x02"
              "c__builtin__\nbytearray\nX\x02\x00\x00\x00\xc3\xbfX\x07\x00\x00\x00latin-1\x86R.",
              "builtins.bytearray(b'\\xff')"),
        READS("\x80\x03"
              "cbuiltins\nbytearray\nC\x01x\x85R.",
              "builtins.bytearray(b'x')"),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

START_TEST(test_protocol_2_bytes_and_complex_read_as_their_types)
{
    static const pk_row rows[] = {
        READS("c_codecs\nencode\n(V\xff\nVlatin1\ntR.", "b'\\xff'"),
        READS("\x80\x02"
              "c_codecs\nencode\nX\x02\x00\x00\x00"
              "abX\x07\x00\x00\x00latin-1\x86R.",
              "b'ab'"),
        READS("\x80\x02"
              "c__builtin__\nbytes\n)R.",
              "b''"),
        READS("c__builtin__\ncomplex\n(F1.0\nF-2.0\ntR.", "(1-2j)"),
        /* Other shapes stay models. */
        READS("\x80\x02"
              "c_codecs\nencode\nX\x02\x00\x00\x00"
              "abX\x05\x00\x00\x00utf-8\x86R.",
              "_codecs.encode('ab', 'utf-8')"),
        READS("\x80\x02"
              "c__builtin__\ncomplex\nK\x01K\x02\x86R.",
              "builtins.complex(1, 2)"),
        READS("c_codecs\nencode\n(V\\u0100\nVlatin1\ntR.", "_codecs.encode('\xc4\x80', 'latin1')"),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

/* ---- the machine: stack, marks, memo, frames ---------------------------- */

START_TEST(test_pop_pop_mark_and_dup)
{
    static const pk_row rows[] = {
        READS("K\x01K\x02"
              "0.",
              "1"),
        READS("K\x01(K\x02K\x03"
              "1.",
              "1"),
        READS("K\x01(0.", "1"), /* POP of an empty stack above a MARK pops the MARK */
        READS("]2\x86.", "([], [])"),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

START_TEST(test_memo_put_and_get_in_every_form)
{
    static const pk_row rows[] = {
        READS("(lp0\nI1\nag0\na.", "[1, [...]]"),
        READS("]q\x05K\x07h\x05\x87.", "([], 7, [])"),
        READS("]r\x00\x00\x01\x00j\x00\x00\x01\x00\x86.", "([], [])"),
        READS("\x80\x04(K\x09\x94]\x94h\x00h\x01t.", "(9, [], 9, [])"),
        READS("K\x01p99999999999999\n0g99999999999999\n.", "1"),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

START_TEST(test_a_list_that_contains_itself_is_one_node)
{
    brine_error err;
    brine_doc *doc = dec(B("\x80\x02]q\x00h\x00"
                           "a."),
                         &err);
    brine_value *root, *inner;
    ck_assert_ptr_nonnull(doc);
    root = brine_doc_root(doc);
    inner = brine_seq_get(root, 0);
    ck_assert_int_eq(brine_type_of(inner), BRINE_LIST);
    ck_assert_uint_eq(brine_seq_count(inner), 1);
    /* Identity: what is appended through one handle shows through the other. */
    ck_assert_int_eq(brine_seq_append(inner, brine_int_new(doc, 5, &err), &err), BRINE_OK);
    ck_assert_uint_eq(brine_seq_count(root), 2);
    ck_assert_int_eq(brine_type_of(brine_seq_get(brine_seq_get(brine_seq_get(root, 0), 0), 1)), BRINE_INT);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_a_shared_list_in_two_places_is_one_node_and_scalars_are_copies)
{
    brine_error err;
    brine_doc *doc = dec(B("\x80\x02(]q\x00K\x01"
                           "ah\x00X\x01\x00\x00\x00sq\x01h\x01t."),
                         &err);
    brine_value *root, *a, *b;
    ck_assert_ptr_nonnull(doc);
    root = brine_doc_root(doc);
    a = brine_seq_get(root, 0);
    b = brine_seq_get(root, 1);
    ck_assert_ptr_ne(a, b);
    ck_assert_int_eq(brine_seq_append(a, brine_int_new(doc, 2, &err), &err), BRINE_OK);
    ck_assert_uint_eq(brine_seq_count(b), 2);
    ck_assert_int_eq(brine_type_of(brine_seq_get(root, 2)), BRINE_STR);
    ck_assert_int_eq(brine_type_of(brine_seq_get(root, 3)), BRINE_STR);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_a_tuple_reached_again_through_a_list_is_the_same_tuple)
{
    /* t = ([],); t[0].append(t), as CPython writes it: POP_MARK then GET. */
    brine_error err;
    char buf[256];
    brine_doc *doc = dec(B("\x80\x02]q\x00h\x00\x85q\x01"
                           "a0h\x01."),
                         &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    ck_assert_uint_lt(brine_value_repr(brine_doc_root(doc), buf, sizeof buf, 0, &err), sizeof buf);
    ck_assert_str_eq(buf, "([(...)],)");
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_frames_are_checked_and_skipped)
{
    static const pk_row rows[] = {
        READS("\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00K\x01.\x80", "1"),
        READS("\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00K\x01\x95\x01\x00\x00\x00\x00\x00\x00\x00.", "1"),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
    /* An opcode that runs past its frame's end, a frame inside a frame, a
     * frame longer than the input. */
    static const pk_row rows2[] = {
        FAILS("\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00K\x01.", BRINE_E_CORRUPT, 11),
        FAILS("\x80\x04\x95\x0a\x00\x00\x00\x00\x00\x00\x00\x95\x01\x00\x00\x00\x00\x00\x00\x00.", BRINE_E_CORRUPT, 11),
        FAILS("\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00N.", BRINE_E_TRUNCATED, 2),
    };
    expect_rows(rows2, sizeof rows2 / sizeof rows2[0]);
}
END_TEST

START_TEST(test_bytes_after_stop_are_ignored_like_pickle_loads)
{
    static const pk_row rows[] = {
        READS("N.garbage", "None"),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

/* ---- names, calls and objects: nothing is ever called -------------------- */

START_TEST(test_os_system_reads_as_a_harmless_model)
{
    static const pk_row rows[] = {
        READS("cposix\nsystem\n(S'ls'\ntR.", "posix.system('ls')"),
        READS("\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x8c\x06system\x93\x8c\x02ls\x85R.",
              "posix.system('ls')"),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

START_TEST(test_globals_as_values_and_the_python2_renames)
{
    static const pk_row rows[] = {
        READS("cbuiltins\nint\n.", "pickle.global('builtins', 'int')"),
        READS("c__builtin__\nxrange\n.", "pickle.global('builtins', 'range')"),
        READS("ccopy_reg\n_reconstructor\n.", "pickle.global('copyreg', '_reconstructor')"),
        /* Protocol 3 and up: names as written. */
        READS("\x80\x03"
              "c__builtin__\nset\n.",
              "pickle.global('__builtin__', 'set')"),
        READS("\x80\x04\x8c\x01m\x8c\x03"
              "A.B\x93.",
              "pickle.global('m', 'A.B')"),
        FAILS("\x80\x04K\x01\x8c\x01x\x93.", BRINE_E_CORRUPT, 7),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

START_TEST(test_instances_read_as_models_with_their_state)
{
    /* Protocol 0 _reconstructor(cls, object, None) + BUILD. */
    static const pk_row rows[] = {
        READS("ccopy_reg\n_reconstructor\n(c__main__\nA\nc__builtin__\nobject\nNtR(dVx\nI1\nsb.",
              "__main__.A(state={'x': 1})"),
        /* _reconstructor with another base stays what it is. */
        READS("ccopy_reg\n_reconstructor\n(c__main__\nL\nc__builtin__\nlist\n(ltR.",
              "copyreg._reconstructor(pickle.global('__main__', 'L'), pickle.global('builtins', 'list'), [])"),
        /* NEWOBJ without args; with args (a namedtuple); NEWOBJ_EX. */
        READS("\x80\x02"
              "c__main__\nA\n)\x81}X\x01\x00\x00\x00xK\x01sb.",
              "__main__.A(state={'x': 1})"),
        READS("\x80\x02"
              "c__main__\nP\nK\x01K\x02\x86\x81.",
              "copyreg.__newobj__(pickle.global('__main__', 'P'), 1, 2)"),
        READS("\x80\x04\x8c\x01m\x8c\x01"
              "C\x93)}\x92.",
              "m.C()"),
        READS("\x80\x04\x8c\x01m\x8c\x01"
              "C\x93K\x01\x85}\x8c\x01kK\x02s\x92.",
              "copyreg.__newobj_ex__(pickle.global('m', 'C'), (1,), {'k': 2})"),
        /* OBJ and INST. */
        READS("(cm\nC\nK\x01o.", "m.C(1)"),
        READS("(K\x01K\x02im\nC\n.", "m.C(1, 2)"),
        /* BUILD with a (dict, slots) state. */
        READS("\x80\x02"
              "cm\nS\n)\x81N}U\x01"
              "aK\x01s\x86"
              "b.",
              "m.S(state=(None, {'a': 1}))"),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

/* EMPTY_TUPLE right before NEWOBJ is not made (the reader's empty_args):
 * each model keeps its own empty args, so two instances share nothing; a
 * memoized empty tuple is made and shared as before; and a NEWOBJ in the
 * next frame takes the tuple made in this one. */
START_TEST(test_empty_args_of_newobj_are_each_models_own)
{
    static const struct {
        const char *data;
        size_t len;
        const char *repr;
        int shared;
    } rows[] = {
#define ROW(s, repr, shared) {(s), sizeof(s) - 1, (repr), (shared)}
        ROW("\x80\x02(cm\nA\n)\x81"
            "cm\nA\n)\x81l.",
            "[m.A(), m.A()]", 0),
        ROW("\x80\x02(cm\nA\n)q\x00\x81"
            "cm\nA\nh\x00\x81l.",
            "[m.A(), m.A()]", 1),
        ROW("\x80\x04\x95\x08\x00\x00\x00\x00\x00\x00\x00\x8c\x01m\x8c\x01"
            "A\x93)"
            "\x95\x02\x00\x00\x00\x00\x00\x00\x00\x81.",
            "m.A()", 0),
        ROW("\x80\x02(cm\nA\n)\x81)l.", "[m.A(), ()]", 0),
#undef ROW
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        brine_error err;
        char buf[256];
        brine_doc *doc = dec(rows[i].data, rows[i].len, &err);
        ck_assert_msg(doc != NULL, "row %zu: %s", i, err.message);
        ck_assert_uint_lt(brine_value_repr(brine_doc_root(doc), buf, sizeof buf, 0, &err), sizeof buf);
        ck_assert_msg(strcmp(buf, rows[i].repr) == 0, "row %zu: got %s, want %s", i, buf, rows[i].repr);
        ck_assert_msg(!!(brine_value_kinds(brine_doc_root(doc)) & BRINE_KIND_SHARED) == rows[i].shared,
                      "row %zu: shared is %d, not %d", i, !rows[i].shared, rows[i].shared);
        brine_doc_free(doc);
    }
}
END_TEST

START_TEST(test_items_given_to_a_model_go_to_pickle_reduce_state)
{
    static const pk_row rows[] = {
        READS("\x80\x02"
              "ccollections\nOrderedDict\n)R(U\x01"
              "aK\x01U\x01"
              "bK\x02u.",
              "collections.OrderedDict(state=pickle.reduce_state(None, None, [('a', 1), ('b', 2)]))"),
        READS("\x80\x02"
              "cm\nL\n)\x81(K\x01K\x02"
              "eK\x03"
              "a}U\x01xK\x01sb.",
              "m.L(state=pickle.reduce_state({'x': 1}, [1, 2, 3], None))"),
        READS("\x80\x02"
              "cm\nD\n)\x81}U\x01xK\x01sbU\x01kK\x02s.",
              "m.D(state=pickle.reduce_state({'x': 1}, None, [('k', 2)]))"),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

START_TEST(test_calls_of_non_globals_persistent_ids_and_extensions)
{
    static const pk_row rows[] = {
        READS("\x80\x02"
              "cm\nf\n)RK\x01\x85R.",
              "pickle.call(m.f(), (1,))"),
        READS("Pkey1\n.", "pickle.persistent_id('key1')"),
        READS("\x80\x02K\x07Q.", "pickle.persistent_id(7)"),
        READS("\x80\x02\x82\x05.", "pickle.ext(5)"),
        READS("\x80\x02\x83\x00\x01.", "pickle.ext(256)"),
        READS("\x80\x02\x84\xff\xff\xff\x7f.", "pickle.ext(2147483647)"),
        READS("\x80\x05"
              "C\x01x\x98.",
              "b'x'"),
        FAILS("\x80\x02\x82\x00.", BRINE_E_CORRUPT, 2),
        FAILS("\x80\x02\x84\xff\xff\xff\xff.", BRINE_E_CORRUPT, 2),
        FAILS("\x80\x05\x97.", BRINE_E_UNSUPPORTED, 2),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

/* ---- hostile input ------------------------------------------------------- */

START_TEST(test_truncated_streams_fail_at_the_opcode)
{
    static const pk_row rows[] = {
        FAILS("", BRINE_E_TRUNCATED, 0),     FAILS("\x80\x02", BRINE_E_TRUNCATED, 2),
        FAILS("\x80", BRINE_E_TRUNCATED, 0), FAILS("\x80\x02J\x01\x00", BRINE_E_TRUNCATED, 2),
        FAILS("I12", BRINE_E_TRUNCATED, 0),  FAILS("\x80\x02K\x01", BRINE_E_TRUNCATED, 4),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

START_TEST(test_huge_declared_lengths_fail_before_allocating)
{
    /* A 10-byte file that claims 4 GiB, 2^63 and 2 GiB. */
    static const pk_row rows[] = {
        FAILS("X\xff\xff\xff\xff"
              "abcd.",
              BRINE_E_TRUNCATED, 0),
        FAILS("\x8d\x00\x00\x00\x00\x00\x00\x00\x80.", BRINE_E_TRUNCATED, 0),
        FAILS("\x8e\xff\xff\xff\xff\xff\xff\xff\xff.", BRINE_E_TRUNCATED, 0),
        FAILS("\x96\xff\xff\xff\xff\xff\xff\xff\x7f.", BRINE_E_TRUNCATED, 0),
        FAILS("\x80\x02\x8b\xff\xff\xff\x7f\x01.", BRINE_E_TRUNCATED, 2),
        FAILS("\x80\x02\x8b\xff\xff\xff\xff\x01.", BRINE_E_CORRUPT, 2),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

START_TEST(test_stack_underflow_and_mark_misuse_are_corrupt)
{
    static const pk_row rows[] = {
        FAILS("a.", BRINE_E_CORRUPT, 0),
        FAILS("\x80\x02\x85.", BRINE_E_CORRUPT, 2),
        FAILS("]0.", BRINE_E_CORRUPT, 2),     /* nothing left for STOP */
        FAILS("K\x01t.", BRINE_E_CORRUPT, 2), /* TUPLE without MARK */
        FAILS("](K\x01"
              "a.",
              BRINE_E_CORRUPT, 4),                /* APPEND reaches below the MARK */
        FAILS("K\x01(.", BRINE_E_CORRUPT, 3),     /* STOP inside a MARK */
        FAILS("K\x01K\x02.", BRINE_E_CORRUPT, 4), /* two values left at STOP */
        FAILS("1.", BRINE_E_CORRUPT, 0),          /* POP_MARK without MARK */
        FAILS("(K\x01"
              "e.",
              BRINE_E_CORRUPT, 3),                  /* APPENDS with nothing below its MARK */
        FAILS("(im\nC\nN.", BRINE_E_CORRUPT, 7),    /* INST ok, then two values at STOP */
        FAILS("K\x01im\nC\n.", BRINE_E_CORRUPT, 2), /* INST without MARK */
        FAILS("(o.", BRINE_E_CORRUPT, 1),           /* OBJ without a class */
        FAILS("2.", BRINE_E_CORRUPT, 0),            /* DUP of nothing */
        FAILS("(p0\n.", BRINE_E_CORRUPT, 1),        /* PUT right after a MARK */
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

START_TEST(test_memo_errors_name_the_key)
{
    brine_error err;
    static const pk_row rows[] = {
        FAILS("\x80\x02h\x03.", BRINE_E_CORRUPT, 2),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
    ck_assert_ptr_null(dec(B("\x80\x02j\x00\x00\x00\x01."), &err));
    ck_assert_ptr_nonnull(strstr(err.message, "16777216"));
    static const pk_row rows2[] = {
        FAILS("g7\n.", BRINE_E_CORRUPT, 0),
        FAILS("N\x80\x02q\x01g1\n.", BRINE_E_CORRUPT, 8), /* 1 exists: two values at STOP */
        FAILS("Np-1\n.", BRINE_E_CORRUPT, 1),
        FAILS("Np99999999999999999999\n.", BRINE_E_CORRUPT, 1),
        FAILS("Npx\n.", BRINE_E_SYNTAX, 1),
    };
    expect_rows(rows2, sizeof rows2 / sizeof rows2[0]);
}
END_TEST

START_TEST(test_objects_that_take_no_state_or_items_are_refused)
{
    static const pk_row rows[] = {
        FAILS("]}b.", BRINE_E_CORRUPT, 2), /* BUILD on a list */
        FAILS("K\x01K\x02"
              "a.",
              BRINE_E_CORRUPT, 4),                       /* APPEND to an int */
        FAILS(")K\x01K\x02s.", BRINE_E_CORRUPT, 5),      /* SETITEM on a tuple */
        FAILS("}(K\x01u.", BRINE_E_CORRUPT, 4),          /* SETITEMS with a key alone */
        FAILS("](K\x01\x90.", BRINE_E_UNSUPPORTED, 4),   /* ADDITEMS to a list */
        FAILS("cm\nf\nK\x01R.", BRINE_E_CORRUPT, 7),     /* REDUCE with args not a tuple */
        FAILS("cm\nf\n)K\x01\x92.", BRINE_E_CORRUPT, 8), /* NEWOBJ_EX kwargs not a dict */
        FAILS("}]K\x01s.", BRINE_E_KEY, 4),              /* a list as a dict key */
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

START_TEST(test_unknown_opcodes_and_protocols_are_refused)
{
    static const pk_row rows[] = {
        FAILS("\x80\x02\xff.", BRINE_E_SYNTAX, 2),
        FAILS("\x80\x06N.", BRINE_E_VERSION, 0),
        FAILS("N\x80\x09.", BRINE_E_VERSION, 1),
    };
    expect_rows(rows, sizeof rows / sizeof rows[0]);
}
END_TEST

/* n nested lists: EMPTY_LIST n times, then APPEND n-1 times. */
static unsigned char *nested_lists(size_t n, size_t *len)
{
    unsigned char *p = malloc(2 * n + 1);
    size_t i;
    ck_assert_ptr_nonnull(p);
    for (i = 0; i < n; i++)
        p[i] = ']';
    for (i = 0; i + 1 < n; i++)
        p[n + i] = 'a';
    p[2 * n - 1] = '.';
    *len = 2 * n;
    return p;
}

START_TEST(test_deep_nesting_fails_with_depth_unless_the_limit_is_raised)
{
    brine_error err;
    size_t len;
    unsigned char *p = nested_lists(1000, &len);
    brine_doc *doc = dec(p, len, &err);
    ck_assert_msg(doc != NULL, "%s", err.message); /* 1000 levels are fine */
    brine_doc_free(doc);
    free(p);
    p = nested_lists(1001, &len);
    expect_pk_error_at(p, len, 0, BRINE_E_DEPTH, 2000, "", __LINE__); /* the last APPEND */
    ck_assert_ptr_null(dec(p, len, &err));
    ck_assert_str_eq(err.message, "maximum recursion depth exceeded while decoding (limit 1000)");
    free(p);
    p = nested_lists(1000000, &len);
    expect_pk_error_at(p, len, 0, BRINE_E_DEPTH, 1000000 + 999, "", __LINE__);
    doc = dec_depth(p, len, 1000000, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    brine_doc_free(doc);
    free(p);
    /* MARKs nest like the containers they build. */
    p = malloc(1002);
    memset(p, '(', 1001);
    p[1001] = '.';
    expect_pk_error_at(p, 1002, 0, BRINE_E_DEPTH, 1000, "", __LINE__);
    free(p);
}
END_TEST

/* n lists nested top down: each new list goes into the previous one
 * (kept in memo 1) after that one was itself nested, so only the walk of
 * the finished graph sees the depth: root = memo 0 = memo 1; then n times
 * GET 1, EMPTY_LIST, PUT 2, APPEND, POP, GET 2, PUT 1, POP. */
static unsigned char *top_down_lists(size_t n, size_t *len)
{
    static const unsigned char step[] = {'h', 1, ']', 'q', 2, 'a', '0', 'h', 2, 'q', 1, '0'};
    unsigned char *p = malloc(5 + n * sizeof step + 1);
    size_t i, k = 0;
    ck_assert_ptr_nonnull(p);
    memcpy(p, "]q\x00q\x01", 5);
    k = 5;
    for (i = 0; i < n; i++, k += sizeof step)
        memcpy(p + k, step, sizeof step);
    p[k++] = '.';
    *len = k;
    return p;
}

START_TEST(test_depth_built_top_down_is_caught_by_the_walk)
{
    brine_error err;
    size_t len;
    unsigned char *p = top_down_lists(999, &len);
    brine_doc *doc = dec(p, len, &err);
    ck_assert_msg(doc != NULL, "%s", err.message); /* 1000 levels */
    brine_doc_free(doc);
    free(p);
    p = top_down_lists(1000, &len);
    ck_assert_ptr_null(dec(p, len, &err));
    ck_assert_int_eq(err.code, BRINE_E_DEPTH);
    ck_assert_uint_eq(err.offset, len - 1); /* STOP */
    ck_assert_str_eq(err.message, "maximum recursion depth exceeded while decoding (limit 1000)");
    ck_assert_int_eq(strncmp(err.path, "$[0][0][0]", 10), 0);
    free(p);
}
END_TEST

/* ---- golden files -------------------------------------------------------- */

/* data/pickle/expected.tsv: file, then "ok" and the repr, or "error", the
 * code and the offset. Every truncation of a good file fails cleanly. */
START_TEST(test_golden_files_read_as_expected_and_every_truncation_fails)
{
    char path[1024], line[8192];
    FILE *fp;
    int rows = 0;
    snprintf(path, sizeof path, "%s/pickle/expected.tsv", BRINE_TEST_DATA);
    fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    while (fgets(line, sizeof line, fp)) {
        char *file = strtok(line, "\t\n"), *kind = strtok(NULL, "\t\n"), *rest = strtok(NULL, "\n");
        unsigned char *data;
        size_t len, cut;
        brine_error err;
        brine_doc *doc;
        if (!file || file[0] == '#')
            continue;
        ck_assert_ptr_nonnull(kind);
        snprintf(path, sizeof path, "%s/pickle/%s", BRINE_TEST_DATA, file);
        data = read_test_file(path, &len);
        doc = dec(data, len, &err);
        if (strcmp(kind, "ok") == 0) {
            char *buf = malloc(1 << 16);
            ck_assert_msg(doc != NULL, "%s: %s", file, err.message);
            ck_assert_uint_lt(brine_value_repr(brine_doc_root(doc), buf, 1 << 16, 0, &err), 1 << 16);
            ck_assert_msg(strcmp(buf, rest ? rest : "") == 0, "%s: got %s, want %s", file, buf, rest);
            free(buf);
            brine_doc_free(doc);
            for (cut = 0; cut < len; cut++) {
                /* Python may ignore a cut-off tail only after STOP. */
                doc = dec(data, cut, &err);
                ck_assert_msg(doc == NULL, "%s cut at %zu decoded", file, cut);
                ck_assert_int_ne(err.code, BRINE_OK);
            }
        } else {
            int code = 0;
            unsigned long long off = 0;
            ck_assert_str_eq(kind, "error");
            ck_assert_int_eq(sscanf(rest, "%d\t%llu", &code, &off), 2);
            ck_assert_msg(doc == NULL, "%s decoded", file);
            ck_assert_msg(err.code == code && err.offset == off, "%s: code %d offset %llu (%s), want %d at %llu", file,
                          err.code, (unsigned long long)err.offset, err.message, code, off);
        }
        free(data);
        rows++;
    }
    fclose(fp);
    ck_assert_int_ge(rows, 10);
}
END_TEST

/* Deterministic mutations of the good golden files (a byte changed, a
 * length byte made huge, a range cut out): each decodes or fails with an
 * error and a message, never a crash or a leak (run under ASan). */
START_TEST(test_mutated_golden_files_decode_or_fail_cleanly)
{
    static const char *const files[] = {"scalars-p0.pkl",   "containers-p1.pkl",  "recursive-p2.pkl",
                                        "instance-p4.pkl",  "ordereddict-p4.pkl", "scalars-p5.pkl",
                                        "namedtuple-p2.pkl"};
    uint32_t rng = 12345;
    size_t f, round, ok = 0, failed = 0;
    for (f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[1024];
        size_t len;
        unsigned char *orig, *buf;
        snprintf(path, sizeof path, "%s/pickle/%s", BRINE_TEST_DATA, files[f]);
        orig = read_test_file(path, &len);
        buf = malloc(len);
        ck_assert_ptr_nonnull(buf);
        for (round = 0; round < 400; round++) {
            brine_error err;
            brine_doc *doc;
            size_t n = len, at, k;
            memcpy(buf, orig, len);
            for (k = 0; k < 1 + round % 3; k++) {
                rng = rng * 1103515245u + 12345u;
                at = (rng >> 8) % n;
                switch ((rng >> 4) % 4) {
                case 0: buf[at] = (unsigned char)(rng >> 16); break;
                case 1: buf[at] = 0xff; break;
                case 2: buf[at] ^= 0x80; break;
                default: /* cut a range out */ memmove(buf + at, buf + at + 1, n - at - 1); n--;
                }
            }
            doc = dec(buf, n, &err);
            if (doc) {
                ok++;
                brine_doc_free(doc);
            } else {
                failed++;
                ck_assert_int_ne(err.code, BRINE_OK);
                ck_assert_msg(err.message[0] != 0, "%s round %zu: no message", files[f], round);
            }
        }
        free(buf);
        free(orig);
    }
    ck_assert_uint_gt(failed, 0);
    ck_assert_uint_gt(ok, 0);
}
END_TEST

/* ---- amplification and flooding (issue #16) ------------------------------ */

/* X of len bytes of 'a', PUT 1, then gets BINGETs of it, all in one list. */
static unsigned char *many_gets(size_t len, size_t gets, size_t *size)
{
    unsigned char *p = malloc(len + 2 * gets + 32), *q = p;
    ck_assert_ptr_nonnull(p);
    memcpy(q, "\x80\x02]q\x00(X", 7);
    q += 7;
    for (int i = 0; i < 4; i++)
        *q++ = (unsigned char)(len >> (8 * i));
    memset(q, 'a', len);
    q += len;
    memcpy(q, "q\x01", 2);
    q += 2;
    for (size_t i = 0; i < gets; i++, q += 2)
        memcpy(q, "h\x01", 2);
    memcpy(q, "e.", 2);
    *size = (size_t)(q + 2 - p);
    return p;
}

START_TEST(test_a_str_fetched_1000_times_from_the_memo_is_stored_once)
{
    /* 1 MB in, 1,001 slots of one str: the document once took ~1 GB. */
    enum { LEN = 1 << 20, GETS = 1000 };
    brine_error err;
    size_t size, n0, n1;
    unsigned char *in = many_gets(LEN, GETS, &size);
    brine_doc *doc = dec(in, size, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    ck_assert_uint_lt(brine_doc_memory(doc), 2 * LEN);
    brine_value *root = brine_doc_root(doc);
    ck_assert_uint_eq(brine_seq_count(root), GETS + 1);
    const char *first = brine_str_get(brine_seq_get(root, 0), &n0);
    const char *last = brine_str_get(brine_seq_get(root, GETS), &n1);
    ck_assert_uint_eq(n1, LEN);
    ck_assert_ptr_eq(first, last);
    ck_assert_int_eq(last[LEN - 1], 'a');
    /* pickle -> pickle writes the str once and GETs it (CPython's size). */
    brine_source src;
    brine_output out;
    size_t out_len;
    brine_source_init_buffer(&src, in, size);
    ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
    ck_assert_int_eq(brine_transcode(pk, &src, NULL, pk, &out, NULL, NULL, &err), BRINE_OK);
    unsigned char *bytes = brine_output_take(&out, &out_len);
    brine_output_destroy(&out);
    ck_assert_uint_lt(out_len, LEN + 4 * GETS + 64);
    brine_doc *again = dec(bytes, out_len, &err);
    ck_assert_msg(again != NULL, "%s", err.message);
    ck_assert_int_eq(brine_value_equal(brine_doc_root(again), root, 0, &err), 1);
    ck_assert_ptr_eq(brine_str_get(brine_seq_get(brine_doc_root(again), 0), NULL),
                     brine_str_get(brine_seq_get(brine_doc_root(again), GETS), NULL));
    brine_doc_free(again);
    brine_free(bytes);
    brine_doc_free(doc);
    free(in);
}
END_TEST

/* Heap bytes held through brine_malloc, and their peak. */
static size_t heap_now, heap_peak;

static void heap_add(void *p, ptrdiff_t sign)
{
    if (p) {
        heap_now += (size_t)(sign * (ptrdiff_t)malloc_usable_size(p));
        if (heap_now > heap_peak)
            heap_peak = heap_now;
    }
}
static void *heap_malloc(size_t n)
{
    void *p = malloc(n);
    heap_add(p, 1);
    return p;
}
static void *heap_realloc(void *p, size_t n)
{
    size_t old = p ? malloc_usable_size(p) : 0;
    void *q = realloc(p, n);
    if (q) {
        heap_now -= old;
        heap_add(q, 1);
    }
    return q;
}
static void heap_free(void *p)
{
    heap_add(p, -1);
    free(p);
}

START_TEST(test_memo_entries_cost_at_most_32_bytes_each)
{
    /* A million MEMOIZEs of one None: the old table of 32-byte entries at
     * load 1/2, rehashed as it grew, peaked at ~100 bytes an entry. */
    enum { N = 1000000 };
    brine_error err;
    unsigned char *in = malloc(N + 4);
    ck_assert_ptr_nonnull(in);
    memcpy(in, "\x80\x04N", 3);
    memset(in + 3, 0x94, N);
    in[N + 3] = '.';
    brine_release_memory();
    brine_set_allocator(heap_malloc, heap_realloc, heap_free);
    heap_now = heap_peak = 0;
    brine_doc *doc = dec(in, N + 4, &err);
    size_t peak = heap_peak;
    ck_assert_msg(doc != NULL, "%s", err.message);
    brine_doc_free(doc);
    brine_set_allocator(NULL, NULL, NULL);
    ck_assert_msg(peak < (size_t)N * 32, "peak %zu bytes for %d memo entries", peak, N);
    free(in);
}
END_TEST

/* The reader's old memo hash, which is invertible. */
static uint64_t old_unhash(uint64_t h)
{
    /* k ^= k >> 33; k *= C; k ^= k >> 33, undone: x ^= x >> 33 is its own
     * inverse, and C's inverse mod 2^64 is found by Newton's iteration. */
    const uint64_t c = UINT64_C(0xff51afd7ed558ccd);
    uint64_t inv = c;
    for (int i = 0; i < 6; i++)
        inv *= 2 - c * inv;
    h ^= h >> 33;
    h *= inv;
    h ^= h >> 33;
    return h;
}

/* A protocol-0 pickle: None, then text PUTs of it under the n keys, STOP. */
static char *puts_of(const uint64_t *keys, size_t n, size_t *size)
{
    char *p = malloc(n * 24 + 8);
    size_t len = 0;
    ck_assert_ptr_nonnull(p);
    p[len++] = 'N';
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(p + len, "p%llu\n", (unsigned long long)keys[i]);
    p[len++] = '.';
    *size = len;
    return p;
}

static double decode_seconds(const char *in, size_t size)
{
    brine_error err;
    double best = 1e9;
    for (int run = 0; run < 3; run++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        brine_doc *doc = dec(in, size, &err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ck_assert_msg(doc != NULL, "%s", err.message);
        brine_doc_free(doc);
        double t = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (t < best)
            best = t;
    }
    return best;
}

START_TEST(test_colliding_memo_keys_cost_no_more_than_ordinary_ones)
{
    /* 100,000 PUT keys whose old hashes share their low 24 bits (so they
     * all collided in every table up to 2^24 slots: seconds, quadratic),
     * against 100,000 keys spread as ordinary large keys are. */
    enum { N = 100000 };
    uint64_t *bad = malloc(N * sizeof *bad), *good = malloc(N * sizeof *good);
    ck_assert_ptr_nonnull(bad);
    ck_assert_ptr_nonnull(good);
    size_t n = 0;
    for (uint64_t i = 1; n < N; i++) {
        uint64_t k = old_unhash(i << 24);
        if (k < (UINT64_C(1) << 60) && k > (UINT64_C(1) << 32))
            bad[n++] = k;
    }
    for (size_t i = 0; i < N; i++)
        good[i] = (UINT64_C(1) << 32) + (uint64_t)i * UINT64_C(0x9E3779B97F4A7) % (UINT64_C(1) << 59);
    size_t bad_size, good_size;
    char *bad_in = puts_of(bad, N, &bad_size), *good_in = puts_of(good, N, &good_size);
    double t_bad = decode_seconds(bad_in, bad_size), t_good = decode_seconds(good_in, good_size);
    ck_assert_msg(t_bad < 4 * t_good + 0.05, "colliding keys %.3f s, ordinary keys %.3f s", t_bad, t_good);
    free(bad_in);
    free(good_in);
    free(bad);
    free(good);
}
END_TEST

static Suite *pickle_suite(void)
{
    Suite *s = suite_create("pickle_read");
    TCase *tc = tcase_create("reader");
    registry_fixture(tc, &reg, fixture_formats);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_descriptor_names_extensions_mime_and_caps);
    tcase_add_test(tc, test_sniff_is_certain_of_protocols_2_to_5_and_guesses_text_pickles);
    tcase_add_test(tc, test_none_and_bools_in_every_form);
    tcase_add_test(tc, test_text_ints_with_and_without_the_L_suffix);
    tcase_add_test(tc, test_binary_ints_of_every_width);
    tcase_add_test(tc, test_floats_text_and_binary_bit_for_bit);
    tcase_add_test(tc, test_python2_strings_are_str_if_ascii_else_bytes);
    tcase_add_test(tc, test_unicode_text_is_raw_unicode_escape);
    tcase_add_test(tc, test_binary_unicode_and_bytes_of_every_width);
    tcase_add_test(tc, test_tuples_lists_and_dicts_in_every_form);
    tcase_add_test(tc, test_sets_frozensets_and_bytearrays_are_models);
    tcase_add_test(tc, test_protocol_2_bytes_and_complex_read_as_their_types);
    tcase_add_test(tc, test_pop_pop_mark_and_dup);
    tcase_add_test(tc, test_memo_put_and_get_in_every_form);
    tcase_add_test(tc, test_a_list_that_contains_itself_is_one_node);
    tcase_add_test(tc, test_a_shared_list_in_two_places_is_one_node_and_scalars_are_copies);
    tcase_add_test(tc, test_a_tuple_reached_again_through_a_list_is_the_same_tuple);
    tcase_add_test(tc, test_frames_are_checked_and_skipped);
    tcase_add_test(tc, test_bytes_after_stop_are_ignored_like_pickle_loads);
    tcase_add_test(tc, test_os_system_reads_as_a_harmless_model);
    tcase_add_test(tc, test_globals_as_values_and_the_python2_renames);
    tcase_add_test(tc, test_instances_read_as_models_with_their_state);
    tcase_add_test(tc, test_empty_args_of_newobj_are_each_models_own);
    tcase_add_test(tc, test_items_given_to_a_model_go_to_pickle_reduce_state);
    tcase_add_test(tc, test_calls_of_non_globals_persistent_ids_and_extensions);
    tcase_add_test(tc, test_truncated_streams_fail_at_the_opcode);
    tcase_add_test(tc, test_huge_declared_lengths_fail_before_allocating);
    tcase_add_test(tc, test_stack_underflow_and_mark_misuse_are_corrupt);
    tcase_add_test(tc, test_memo_errors_name_the_key);
    tcase_add_test(tc, test_objects_that_take_no_state_or_items_are_refused);
    tcase_add_test(tc, test_unknown_opcodes_and_protocols_are_refused);
    tcase_add_test(tc, test_deep_nesting_fails_with_depth_unless_the_limit_is_raised);
    tcase_add_test(tc, test_depth_built_top_down_is_caught_by_the_walk);
    tcase_add_test(tc, test_golden_files_read_as_expected_and_every_truncation_fails);
    tcase_add_test(tc, test_mutated_golden_files_decode_or_fail_cleanly);
    tcase_add_test(tc, test_a_str_fetched_1000_times_from_the_memo_is_stored_once);
    tcase_add_test(tc, test_memo_entries_cost_at_most_32_bytes_each);
    tcase_add_test(tc, test_colliding_memo_keys_cost_no_more_than_ordinary_ones);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(pickle_suite)
