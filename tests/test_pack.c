/* test_pack.c: the C API a program reaches for first: the checked getters
 * (core/check.c), brine_pack and brine_unpack (core/pack.c), brine_save_file
 * and brine_load_file (core/file.c), the BRINE_OPTIONS macro, and the rule
 * that err describes the error the call returned. Each area is a table of
 * rows: pack rows are (format, arguments, expected repr or code, path,
 * message), one macro line each, since the arguments differ in type from
 * row to row. */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brine/brine.h"
#include "brine/format.h"
#include "check_util.h"

static brine_doc *doc;
static brine_error err;

static const char *repr(const brine_value *v)
{
    static char buf[1024];
    ck_assert_ptr_nonnull(v);
    size_t n = brine_value_repr(v, buf, sizeof buf, 0, NULL);
    ck_assert_uint_lt(n, sizeof buf);
    return buf;
}

/* err holds code, path and message (the message in full). */
/* The call returned rc, and err holds the same code with this path and
 * message (the offset is not these calls' concern). */
static void expect_rc(int rc, int code, const char *path, const char *message, int line)
{
    ck_assert_msg(rc == code, "line %d: rc %d (%s), want %d", line, rc, err.message, code);
    expect_error_at(__FILE__, line, &err, code, ANY_OFFSET, path, message);
}

/* ---- checked getters ------------------------------------------------------ */

static brine_value *sample(void)
{
    brine_value *v = brine_pack(doc, &err,
                                "{s: [{s: i, s: s}, {s: I, s: f}], s: U, s: b, s: c, s: y#, s: N, s: (i), s: n,"
                                " s: M(i){s: i}, s: f}",
                                "users", "id", 1, "name", "Ada", "id", INT64_MIN, "score", 2.5, "big", UINT64_MAX, "ok",
                                1, "z", 1.0, -2.0, "raw", "a\0b", (size_t)3, "huge", "123456789012345678901234567890",
                                "pair", 7, "none", "tree", "T", 2, "depth", 3, "x", 0.5);
    ck_assert_msg(v != NULL, "%s", err.message);
    return v;
}

START_TEST(test_checked_getters_read_each_type)
{
    brine_value *v = sample(), *h = NULL;
    int64_t i = 0;
    uint64_t u = 0;
    double d = 0, re = 0, im = 0;
    int b = 0;
    const char *s = NULL;
    const void *p = NULL;
    size_t len = 0;
    ck_assert_int_eq(brine_get_int64(v, "$.users[0].id", &i, &err), BRINE_OK);
    ck_assert_int_eq(i, 1);
    ck_assert_int_eq(brine_get_int64(v, "$.users[1].id", &i, &err), BRINE_OK);
    ck_assert(i == INT64_MIN);
    ck_assert_int_eq(brine_get_uint64(v, "$.big", &u, &err), BRINE_OK);
    ck_assert(u == UINT64_MAX);
    ck_assert_int_eq(brine_get_bool(v, "$.ok", &b, &err), BRINE_OK);
    ck_assert_int_eq(b, 1);
    ck_assert_int_eq(brine_get_double(v, "$.users[1].score", &d, &err), BRINE_OK);
    ck_assert(d == 2.5);
    /* An int is read as a float, as Python's float() reads it. */
    ck_assert_int_eq(brine_get_double(v, "$.users[0].id", &d, &err), BRINE_OK);
    ck_assert(d == 1.0);
    ck_assert_int_eq(brine_get_double(v, "$.huge", &d, &err), BRINE_OK);
    ck_assert(d == 123456789012345678901234567890.0);
    ck_assert_int_eq(brine_get_complex(v, "$.z", &re, &im, &err), BRINE_OK);
    ck_assert(re == 1.0 && im == -2.0);
    ck_assert_int_eq(brine_get_complex(v, "$.x", &re, &im, &err), BRINE_OK);
    ck_assert(re == 0.5 && im == 0.0);
    ck_assert_int_eq(brine_get_str(v, "$.users[0].name", &s, &len, &err), BRINE_OK);
    ck_assert_str_eq(s, "Ada");
    ck_assert_uint_eq(len, 3);
    ck_assert_int_eq(brine_get_bytes(v, "$.raw", &p, &len, &err), BRINE_OK);
    ck_assert_uint_eq(len, 3);
    ck_assert(memcmp(p, "a\0b", 3) == 0);
    ck_assert_int_eq(brine_get_list(v, "$.users", &h, &err), BRINE_OK);
    ck_assert_uint_eq(brine_seq_count(h), 2);
    ck_assert_int_eq(brine_get_tuple(v, "$.pair", &h, &err), BRINE_OK);
    ck_assert_str_eq(repr(h), "(7,)");
    ck_assert_int_eq(brine_get_dict(v, "$.users[-1]", &h, &err), BRINE_OK);
    ck_assert_uint_eq(brine_dict_count(h), 2);
    ck_assert_int_eq(brine_get_model(v, "$.tree", "T", &h, &err), BRINE_OK);
    ck_assert_str_eq(repr(h), "T(2, state={'depth': 3})");
    ck_assert_int_eq(brine_get_model(v, "$.tree", NULL, NULL, &err), BRINE_OK);
    /* NULL and "$" name the base itself. */
    ck_assert_int_eq(brine_get_dict(v, NULL, &h, &err), BRINE_OK);
    ck_assert_ptr_eq(h, v);
    ck_assert_int_eq(brine_get_dict(v, "$", &h, &err), BRINE_OK);
    ck_assert_int_eq(brine_get_int64(v, "$.users[0]['id']", &i, NULL), BRINE_OK);
}
END_TEST

START_TEST(test_checked_getters_say_what_where_and_why)
{
    brine_value *v = sample(), *h = (brine_value *)0x1;
    int64_t i = 42;
    uint64_t u;
    double d;
    int b;
    const char *s;
    const void *p;
    size_t len;
#define ROW(call, code, path, msg) expect_rc(call, code, path, msg, __LINE__)
    ROW(brine_get_int64(v, "$.users[0].name", &i, &err), BRINE_E_TYPE, "$.users[0].name",
        "expected int, found str at $.users[0].name");
    ROW(brine_get_int64(v, "$.users[0].nope", &i, &err), BRINE_E_NOTFOUND, "$.users[0]", "no key 'nope' at $.users[0]");
    ROW(brine_get_int64(v, "$.users[5].id", &i, &err), BRINE_E_NOTFOUND, "$.users",
        "no index 5 at $.users, a list of 2");
    ROW(brine_get_int64(v, "$.users[0].name.x", &i, &err), BRINE_E_NOTFOUND, "$.users[0].name",
        "no key 'x' at $.users[0].name, which is a str");
    ROW(brine_get_int64(v, "$['odd key']", &i, &err), BRINE_E_NOTFOUND, "$", "no key 'odd key' at $");
    ROW(brine_get_int64(v, "$.big", &i, &err), BRINE_E_RANGE, "$.big",
        "expected int64, found an int out of its range at $.big");
    ROW(brine_get_uint64(v, "$.users[1].id", &u, &err), BRINE_E_RANGE, "$.users[1].id",
        "expected uint64, found an int out of its range at $.users[1].id");
    ROW(brine_get_int64(v, "$.ok", &i, &err), BRINE_E_TYPE, "$.ok", "expected int, found bool at $.ok");
    ROW(brine_get_bool(v, "$.users[0].id", &b, &err), BRINE_E_TYPE, "$.users[0].id",
        "expected bool, found int at $.users[0].id");
    ROW(brine_get_double(v, "$.ok", &d, &err), BRINE_E_TYPE, "$.ok", "expected float, found bool at $.ok");
    ROW(brine_get_double(v, "$.none", &d, &err), BRINE_E_TYPE, "$.none", "expected float, found null at $.none");
    ROW(brine_get_complex(v, "$.raw", &d, &d, &err), BRINE_E_TYPE, "$.raw", "expected complex, found bytes at $.raw");
    ROW(brine_get_str(v, "$.raw", &s, &len, &err), BRINE_E_TYPE, "$.raw", "expected str, found bytes at $.raw");
    ROW(brine_get_bytes(v, "$.users[0].name", &p, &len, &err), BRINE_E_TYPE, "$.users[0].name",
        "expected bytes, found str at $.users[0].name");
    ROW(brine_get_list(v, "$.pair", &h, &err), BRINE_E_TYPE, "$.pair", "expected list, found tuple at $.pair");
    ROW(brine_get_tuple(v, "$.users", &h, &err), BRINE_E_TYPE, "$.users", "expected tuple, found list at $.users");
    ROW(brine_get_dict(v, "$.users", &h, &err), BRINE_E_TYPE, "$.users", "expected dict, found list at $.users");
    ROW(brine_get_model(v, "$.tree", "U", &h, &err), BRINE_E_TYPE, "$.tree",
        "expected a model of type 'U', found a model of type 'T' at $.tree");
    ROW(brine_get_model(v, "$.users", "U", &h, &err), BRINE_E_TYPE, "$.users",
        "expected a model of type 'U', found list at $.users");
    ROW(brine_get_model(v, "$.users", NULL, &h, &err), BRINE_E_TYPE, "$.users",
        "expected model, found list at $.users");
    ROW(brine_get_int64(v, "users", &i, &err), BRINE_E_SYNTAX, "",
        "bad path 'users' at offset 0: a path starts with '$'");
    ROW(brine_get_int64(NULL, "$", &i, &err), BRINE_E_INVALID, "", "brine_get_int64 needs a value");
#undef ROW
    /* Outputs stay as they were. */
    ck_assert_int_eq(i, 42);
    ck_assert_ptr_eq(h, (brine_value *)0x1);
    /* A big int beyond the double range, as Python's OverflowError. */
    brine_value *huge = brine_int_new_decimal(doc, "1", 1, &err);
    char text[400];
    memset(text, '9', 400);
    huge = brine_int_new_decimal(doc, text, 400, &err);
    ck_assert_ptr_nonnull(huge);
    expect_rc(brine_get_double(huge, NULL, &d, &err), BRINE_E_RANGE, "$",
                 "expected float, found an int out of its range at $", __LINE__);
}
END_TEST

/* ---- pack ----------------------------------------------------------------- */

#define PACK(want, ...)                                                                                                \
    do {                                                                                                               \
        brine_value *v_ = brine_pack(doc, &err, __VA_ARGS__);                                                          \
        ck_assert_msg(v_ != NULL, "line %d: %s", __LINE__, err.message);                                               \
        ck_assert_msg(err.code == BRINE_OK, "line %d", __LINE__);                                                      \
        ck_assert_str_eq(repr(v_), want);                                                                              \
    } while (0)

#define PACK_FAILS(code_, path_, offset_, msg_, ...)                                                                   \
    do {                                                                                                               \
        brine_value *v_ = brine_pack(doc, &err, __VA_ARGS__);                                                          \
        ck_assert_msg(v_ == NULL, "line %d: packed %s", __LINE__, v_ ? repr(v_) : "");                                 \
        expect_rc(err.code, code_, path_, msg_, __LINE__);                                                          \
        ck_assert_msg(err.offset == (uint64_t)(offset_), "line %d: offset %llu", __LINE__,                             \
                      (unsigned long long)err.offset);                                                                 \
    } while (0)

START_TEST(test_pack_builds_every_type)
{
    brine_value *inner = brine_list_new(doc, &err);
    PACK("None", "n");
    PACK("True", "b", 7);
    PACK("False", "b", 0);
    PACK("-5", "i", -5);
    PACK("-9223372036854775808", "I", INT64_MIN);
    PACK("18446744073709551615", "U", UINT64_MAX);
    PACK("-123456789012345678901234567890", "N", "-123456789012345678901234567890");
    PACK("2.5", "f", 2.5);
    PACK("(1.5-2j)", "c", 1.5, -2.0);
    PACK("'Ada'", "s", "Ada");
    PACK("'Ad'", "s#", "Ada", (size_t)2);
    PACK("'a\\x00b'", "s#", "a\0b", (size_t)3);
    PACK("b'xy'", "y", "xy");
    PACK("b'\\x00\\x01'", "y#", "\0\1", (size_t)2);
    PACK("[]", "O", inner);
    PACK("None", "O?", (brine_value *)NULL);
    PACK("None", "s?", (const char *)NULL);
    PACK("[1, 'x', None]", "[i s n]", 1, "x");
    PACK("(1,)", "(i)", 1);
    PACK("()", "()");
    PACK("{}", "{}");
    PACK("{1: 'one', (1, 2): None, None: True}", "{i: s, (i, i): n, n: b}", 1, "one", 1, 2, 1);
    PACK("T(1, 2, state={'k': [1]})", "M (i i) {s: [i]}", "T", 1, 2, "k", 1);
    PACK("T()", "M()n", "T");
    /* The issue's example: one call. */
    PACK("{'users': [{'id': 1, 'name': 'Ada'}]}", "{s: [{s: i, s: s}]}", "users", "id", 1, "name", "Ada");
    /* A key already present keeps its place and takes the new value. */
    PACK("{'a': 2, 'b': 3}", "{s:i s:i s:i}", "a", 1, "b", 3, "a", 2);
}
END_TEST

START_TEST(test_pack_errors_name_the_format_offset_or_the_value_path)
{
    PACK_FAILS(BRINE_E_INVALID, "", 3, "bad format \"[i q]\" at offset 3: unknown format code 'q'", "[i q]", 1);
    PACK_FAILS(BRINE_E_INVALID, "", 2, "bad format \"[i\" at offset 2: expected a value, found the end of the format",
               "[i", 1);
    PACK_FAILS(BRINE_E_INVALID, "", 4, "bad format \"{s:i\" at offset 4: expected a value, found the end of the format",
               "{s:i", "a", 1);
    PACK_FAILS(BRINE_E_INVALID, "", 2, "bad format \"{s}\" at offset 2: a dict key without a value", "{s}", "a");
    PACK_FAILS(BRINE_E_INVALID, "", 2, "bad format \"i i\" at offset 2: more than one value at the top level", "i i", 1,
               2);
    PACK_FAILS(BRINE_E_INVALID, "", 0, "bad format \"A\" at offset 0: 'A' (arrays) is reserved for a later version",
               "A");
    PACK_FAILS(BRINE_E_INVALID, "", 1, "bad format \"N#\" at offset 1: 'N' takes a NUL-terminated text, without '#'",
               "N#", "1", (size_t)1);
    PACK_FAILS(BRINE_E_INVALID, "$.a[1]", BRINE_NO_OFFSET, "format code 's' got NULL (add '?' to pack None)",
               "{s: [i s]}", "a", 1, (const char *)NULL);
    PACK_FAILS(BRINE_E_UTF8, "$.users[0].name", 1, "invalid UTF-8 in a str at byte 1", "{s: [{s: s}]}", "users", "name",
               "a\xff");
    PACK_FAILS(BRINE_E_KEY, "$", BRINE_NO_OFFSET, "unhashable type: 'list'", "{[]: i}", 1);
    PACK_FAILS(BRINE_E_SYNTAX, "$.n", 1, "invalid decimal int: unexpected character at byte 1", "{s: N}", "n", "1x");
    PACK_FAILS(BRINE_E_TYPE, "$.args", BRINE_NO_OFFSET, "expected tuple, found list at $.args", "M [] n", "T");
    ck_assert_ptr_null(brine_pack(NULL, &err, "n"));
    ck_assert_int_eq(err.code, BRINE_E_INVALID);
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    deep[199] = '\0';
    ck_assert_ptr_null(brine_pack(doc, &err, deep));
    ck_assert_int_eq(err.code, BRINE_E_INVALID);
    ck_assert_uint_eq(err.offset, 64);
    ck_assert_ptr_nonnull(strstr(err.message, "at offset 64: the format nests too deep"));
}
END_TEST

/* ---- unpack --------------------------------------------------------------- */

START_TEST(test_unpack_reads_every_type_and_optional_keys)
{
    brine_value *v = sample(), *h = NULL;
    int id = 0, b = 0, n = 0;
    int64_t id2 = 0, depth = 0;
    uint64_t big = 0;
    double score = 0, re = 0, im = 0, x = 0;
    const char *name = NULL, *none = "untouched";
    const void *raw = NULL;
    size_t name_len = 0, raw_len = 0;
    char *huge = NULL;
    int rc = brine_unpack(v, &err,
                          "{s: [{s: i, s: s#}, {s: I, s: f}], s: U, s: b, s: c, s: y#, s: N, s: (i), s: n,"
                          " s: M O {s: I}, s?: s, s: f}",
                          "users", "id", &id, "name", &name, &name_len, "id", &id2, "score", &score, "big", &big, "ok",
                          &b, "z", &re, &im, "raw", &raw, &raw_len, "huge", &huge, "pair", &n, "none", "tree", "T", &h,
                          "depth", &depth, "absent", &none, "x", &x);
    ck_assert_msg(rc == BRINE_OK, "%s (%s)", err.message, err.path);
    ck_assert_int_eq(id, 1);
    ck_assert_str_eq(name, "Ada");
    ck_assert_uint_eq(name_len, 3);
    ck_assert(id2 == INT64_MIN && score == 2.5 && big == UINT64_MAX && b == 1);
    ck_assert(re == 1.0 && im == -2.0 && x == 0.5);
    ck_assert_uint_eq(raw_len, 3);
    ck_assert(memcmp(raw, "a\0b", 3) == 0);
    ck_assert_str_eq(huge, "123456789012345678901234567890");
    brine_free(huge);
    ck_assert_int_eq(n, 7);
    ck_assert_str_eq(repr(h), "(2,)");
    ck_assert(depth == 3);
    ck_assert_str_eq(none, "untouched");
    /* Strict: every key named, every item read. */
    ck_assert_int_eq(brine_unpack(v, &err, "{s: [O O !] *}", "users", NULL, NULL), BRINE_OK);
    /* Non-str keys, as pack makes them. */
    brine_value *k = brine_pack(doc, &err, "{i: s, (i, i): i}", 1, "one", 1, 2, 12);
    ck_assert_int_eq(brine_unpack(k, &err, "{(i i): i, i: s !}", 1, 2, &id, 1, &name), BRINE_OK);
    ck_assert_int_eq(id, 12);
    ck_assert_str_eq(name, "one");
}
END_TEST

#define UNPACK_FAILS(code, path, msg, ...) expect_rc(brine_unpack(v, &err, __VA_ARGS__), code, path, msg, __LINE__)

START_TEST(test_unpack_errors_carry_the_path)
{
    brine_value *v = sample();
    int i;
    const char *s;
    char *text = (char *)"untouched";
    UNPACK_FAILS(BRINE_E_TYPE, "$.users[0].name", "expected int, found str at $.users[0].name", "{s: [{s: i}]}",
                 "users", "name", &i);
    UNPACK_FAILS(BRINE_E_TYPE, "$.users[0].id", "expected str, found int at $.users[0].id", "{s: [{s: s}]}", "users",
                 "id", &s);
    UNPACK_FAILS(BRINE_E_NOTFOUND, "$.users[0]", "no key 'age' at $.users[0]", "{s: [{s: i}]}", "users", "age", &i);
    UNPACK_FAILS(BRINE_E_NOTFOUND, "$.users", "no index 2 at $.users, a list of 2", "{s: [O O O]}", "users", NULL, NULL,
                 NULL);
    UNPACK_FAILS(BRINE_E_TYPE, "$.users", "expected a list of 1, found 2 items at $.users", "{s: [O !]}", "users",
                 NULL);
    UNPACK_FAILS(BRINE_E_TYPE, "$.users[0]", "unexpected key 'name' at $.users[0]", "{s: [{s: i !}]}", "users", "id",
                 &i);
    UNPACK_FAILS(BRINE_E_TYPE, "$.users", "expected tuple, found list at $.users", "{s: (i)}", "users", &i);
    UNPACK_FAILS(BRINE_E_RANGE, "$.users[1].id", "expected a C int, found an int out of its range at $.users[1].id",
                 "{s: [O {s: i}]}", "users", NULL, "id", &i);
    UNPACK_FAILS(BRINE_E_TYPE, "$.tree", "expected a model of type 'U', found a model of type 'T' at $.tree",
                 "{s: M O O}", "tree", "U", NULL, NULL);
    UNPACK_FAILS(BRINE_E_TYPE, "$.tree.state.depth", "expected str, found int at $.tree.state.depth",
                 "{s: M (i) {s: s}}", "tree", "T", &i, "depth", &s);
    UNPACK_FAILS(BRINE_E_TYPE, "$.none", "expected int, found null at $.none", "{s: i}", "none", &i);
    UNPACK_FAILS(BRINE_E_INVALID, "",
                 "bad format \"y\" at offset 1: bytes are unpacked with 'y#' (a pointer and a length)", "y", &s);
    UNPACK_FAILS(BRINE_E_INVALID, "", "bad format \"{s: [O\" at offset 6: a container is not closed", "{s: [O", "users",
                 NULL);
    ck_assert_uint_eq(err.offset, 6);
    /* A decimal text made before the failure is freed and its pointer reset. */
    UNPACK_FAILS(BRINE_E_NOTFOUND, "$", "no key 'nope' at $", "{s: N, s: i}", "huge", &text, "nope", &i);
    ck_assert_ptr_null(text);
}
END_TEST

/* ---- err reports the call that failed --------------------------------------- */

/* One brine_error reused, never cleared by the caller, over failing calls
 * of every area: each time err holds the code the call returned and that
 * call's own message, never an earlier one's. */
START_TEST(test_one_error_reused_reports_each_call_alone)
{
    brine_value *d = brine_dict_new(doc, &err), *l = brine_list_new(doc, &err), *t = brine_tuple_new(doc, &err);
    brine_registry *reg = brine_registry_new(&err);
    ck_assert_int_eq(brine_registry_load(reg, &err), BRINE_OK);
    const brine_plugin *json = brine_registry_find(reg, "json");
    ck_assert_ptr_nonnull(json);
    brine_doc *other = brine_doc_new();
    const char *bad_opts[] = {"no_such_option"};
    brine_options opts = {.count = 1, .items = bad_opts};
    brine_error_set(&err, BRINE_E_IO, "an old message nobody reads");
#define ROW(rc_, code_, msg_)                                                                                          \
    do {                                                                                                               \
        int r_ = (rc_);                                                                                                \
        ck_assert_msg(r_ == (code_) && err.code == (code_), "line %d: rc %d, err.code %d, want %d: %s", __LINE__, r_,  \
                      err.code, (code_), err.message);                                                                 \
        ck_assert_msg(strncmp(err.message, msg_, strlen(msg_)) == 0, "line %d: '%s', want '%s...'", __LINE__,          \
                      err.message, msg_);                                                                              \
    } while (0)
#define NULL_ROW(v_, code_, msg_) ROW((v_) ? BRINE_OK : err.code, code_, msg_)
    ROW(brine_dict_set(d, l, l, &err), BRINE_E_KEY, "unhashable type: 'list'");
    NULL_ROW(brine_str_new(doc, "a\xff", 2, &err), BRINE_E_UTF8, "invalid UTF-8");
    ROW(brine_seq_set(l, 3, l, &err), BRINE_E_RANGE, "index 3 out of range");
    ROW(brine_model_set_args(brine_model_new(doc, "M", 1, &err), l, &err), BRINE_E_TYPE,
        "a model's args must be a tuple, not list");
    NULL_ROW(brine_int_new_decimal(doc, "12x", 3, &err), BRINE_E_SYNTAX,
             "invalid decimal int: unexpected character at byte 2");
    ROW(brine_doc_set_root(doc, brine_list_new(other, NULL), &err), BRINE_E_INVALID,
        "the value belongs to another document");
    NULL_ROW(brine_path_get(d, "$.nope", &err), BRINE_E_NOTFOUND, "no such key .nope");
    NULL_ROW(brine_decode_buffer(json, "[1,", 3, NULL, &err), BRINE_E_TRUNCATED, "");
    ROW(brine_options_check(json, &opts, 1, &err), BRINE_E_OPTION, "the json format has no encoding option");
    ROW(brine_dict_del(d, t, &err), BRINE_E_NOTFOUND, "key not found");
    ROW(brine_get_int64(d, "$.x", NULL, &err), BRINE_E_NOTFOUND, "no key 'x' at $");
    ROW(brine_seq_append(l, brine_list_new(other, NULL), &err), BRINE_E_INVALID,
        "a list from another document cannot be stored here");
    /* A call that succeeds leaves no error behind. */
    ROW(brine_seq_append(l, t, &err), BRINE_OK, "");
#undef ROW
#undef NULL_ROW
    brine_doc_free(other);
    brine_registry_free(reg);
}
END_TEST

/* ---- files and options ---------------------------------------------------- */

static char dir[64];

static const char *in_dir(const char *name)
{
    static char path[4][128];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", dir, name);
    return p;
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

/* The files in dir, as one sorted-by-readdir-order line (no temporary left). */
static size_t files_in_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "ls -A %s | wc -l", dir);
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    ck_assert_int_eq(fscanf(p, "%zu", &n), 1);
    pclose(p);
    return n;
}

START_TEST(test_save_and_load_files_by_extension_sniffing_or_format)
{
    snprintf(dir, sizeof dir, "/tmp/brine-pack-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    brine_registry *reg = brine_registry_new(&err);
    ck_assert_int_eq(brine_registry_load(reg, &err), BRINE_OK);
    const brine_plugin *native = brine_registry_find(reg, "native");
    brine_value *v = brine_pack(doc, &err, "{s: [i, (s, y#)], s: c}", "a", 1, "t", "xy", (size_t)2, "z", 1.0, 2.0);
    ck_assert_ptr_nonnull(v);

    /* By extension, and back. */
    ck_assert_int_eq(brine_save_file(reg, NULL, v, in_dir("v.json"), NULL, &err), BRINE_OK);
    ck_assert_ptr_nonnull(strstr(slurp(in_dir("v.json")), "\"a\""));
    brine_doc *back = brine_load_file(reg, NULL, in_dir("v.json"), NULL, &err);
    ck_assert_msg(back != NULL, "%s", err.message);
    ck_assert_str_eq(repr(brine_doc_root(back)), "{'a': [1, ('t', b'xy')], 'z': (1+2j)}");
    brine_doc_free(back);

    /* A format given, an extension nobody has: loading sniffs it. */
    ck_assert_int_eq(brine_save_file(NULL, native, v, in_dir("v.dat"), NULL, &err), BRINE_OK);
    back = brine_load_file(reg, NULL, in_dir("v.dat"), NULL, &err);
    ck_assert_msg(back != NULL, "%s", err.message);
    ck_assert_int_eq(brine_value_equal(v, brine_doc_root(back), 0, &err), 1);
    brine_doc_free(back);
    ck_assert_uint_eq(files_in_dir(), 2);

    /* A failed save (a cycle json cannot write) leaves the old file intact
     * and no temporary file behind. */
    char before[4096];
    snprintf(before, sizeof before, "%s", slurp(in_dir("v.json")));
    brine_value *l = brine_pack(doc, &err, "[i]", 1);
    brine_seq_append(l, l, &err);
    ck_assert_int_eq(brine_save_file(reg, NULL, l, in_dir("v.json"), NULL, &err), BRINE_E_CYCLE);
    ck_assert_str_eq(err.path, "$[1]");
    ck_assert_str_eq(slurp(in_dir("v.json")), before);
    ck_assert_uint_eq(files_in_dir(), 2);

    /* Options by name: pretty JSON, a depth limit, an unknown option. */
    brine_options pretty = BRINE_OPTIONS(.max_depth = 10, BRINE_OPTION_ITEMS("pretty", "sort_keys"));
    ck_assert_uint_eq(pretty.count, 2);
    ck_assert_str_eq(pretty.items[1], "sort_keys");
    ck_assert_uint_eq(pretty.max_depth, 10);
    ck_assert_int_eq(brine_save_file(reg, NULL, v, in_dir("p.json"), &pretty, &err), BRINE_OK);
    ck_assert_ptr_nonnull(strstr(slurp(in_dir("p.json")), "\n  "));
    brine_options shallow = BRINE_OPTIONS(.max_depth = 2);
    ck_assert_uint_eq(shallow.count, 0);
    ck_assert_ptr_null(shallow.items);
    ck_assert_int_eq(brine_save_file(reg, NULL, v, in_dir("p.json"), &shallow, &err), BRINE_E_DEPTH);
    ck_assert_ptr_nonnull(strstr(slurp(in_dir("p.json")), "\n  "));
    brine_options unknown = BRINE_OPTIONS(BRINE_OPTION_ITEMS("no_such"));
    ck_assert_int_eq(brine_save_file(reg, NULL, v, in_dir("q.json"), &unknown, &err), BRINE_E_OPTION);
    ck_assert_int_eq(access(in_dir("q.json"), F_OK), -1);
    ck_assert_uint_eq(files_in_dir(), 3);

    /* What cannot be done, and why. */
    char msg[256];
    ck_assert_int_eq(brine_save_file(reg, NULL, v, in_dir("v.nosuchext"), NULL, &err), BRINE_E_NOTFOUND);
    snprintf(msg, sizeof msg, "no format has the extension of '%s'", in_dir("v.nosuchext"));
    ck_assert_str_eq(err.message, msg);
    ck_assert_ptr_null(brine_load_file(reg, NULL, in_dir("missing.json"), NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_NOTFOUND);
    snprintf(msg, sizeof msg, "cannot open '%s': No such file or directory", in_dir("missing.json"));
    ck_assert_str_eq(err.message, msg);
    /* No format claims an empty file. */
    FILE *fp = fopen(in_dir("odd.bin"), "wb");
    fclose(fp);
    ck_assert_ptr_null(brine_load_file(reg, NULL, in_dir("odd.bin"), NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_NOTFOUND);
    snprintf(msg, sizeof msg, "cannot tell the format of '%s'", in_dir("odd.bin"));
    ck_assert_str_eq(err.message, msg);
    ck_assert_int_eq(brine_save_file(reg, native, v, dir, NULL, &err), BRINE_E_IO);
    snprintf(msg, sizeof msg, "cannot save to '%s': not a regular file", dir);
    ck_assert_str_eq(err.message, msg);
    ck_assert_int_eq(brine_save_file(NULL, NULL, v, in_dir("v.json"), NULL, &err), BRINE_E_INVALID);
    ck_assert_ptr_null(brine_load_file(reg, NULL, NULL, NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_INVALID);
    /* A decode error of a file keeps its offset. */
    fp = fopen(in_dir("bad.json"), "wb");
    fputs("[1, 2,", fp);
    fclose(fp);
    ck_assert_ptr_null(brine_load_file(reg, NULL, in_dir("bad.json"), NULL, &err));
    ck_assert_int_eq(err.code, BRINE_E_TRUNCATED);
    ck_assert_uint_eq(err.offset, 6);

    brine_registry_free(reg);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *pack_suite(void)
{
    Suite *s = suite_create("pack");
    TCase *tc = tcase_create("pack");
    doc_fixture(tc, &doc, &err);
    tcase_add_test(tc, test_checked_getters_read_each_type);
    tcase_add_test(tc, test_checked_getters_say_what_where_and_why);
    tcase_add_test(tc, test_pack_builds_every_type);
    tcase_add_test(tc, test_pack_errors_name_the_format_offset_or_the_value_path);
    tcase_add_test(tc, test_unpack_reads_every_type_and_optional_keys);
    tcase_add_test(tc, test_unpack_errors_carry_the_path);
    tcase_add_test(tc, test_one_error_reused_reports_each_call_alone);
    tcase_add_test(tc, test_save_and_load_files_by_extension_sniffing_or_format);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(pack_suite)
