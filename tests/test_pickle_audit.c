/* test_pickle_audit.c: brine_pickle_audit, the registry's entry point to the
 * pickle audit (<brine/pickle.h>), from C: the entries of a hiding pickle
 * with their offsets and opcodes, a report that survives a failed decode,
 * allow= refusals through the options, and the errors of a registry with no
 * pickle format and of a bad option. pickle_audit.py checks the same audit
 * through the CLI against CPython. */
#include <check.h>
#include <string.h>

#include <brine/format.h>
#include <brine/pickle.h>

#include "check_util.h"

static brine_registry *reg;
static const test_format fixture_formats[] = {{"pickle", NULL, NULL}, {0}};

#define B(s) (s), (sizeof(s) - 1)

/* os.system('true') called, then popped: what docs/pickle.md calls
 * hide_pop. Offsets: STACK_GLOBAL 16, REDUCE 24, POP 25. */
static const char hide_pop[] = "\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93\x8c\x04true\x85R0N.";

static int audit(const void *data, size_t len, const char *opts, brine_audit_report **report, brine_error *err)
{
    brine_source src;
    test_opts t;
    brine_source_init_buffer(&src, data, len);
    return brine_pickle_audit(reg, &src, opts_of(&t, opts, 0), report, err);
}

static void expect_entry(const brine_audit_report *r, size_t i, brine_audit_action action, uint64_t offset,
                         const char *opcode, const char *name, int reaches)
{
    ck_assert_uint_lt(i, r->count);
    const brine_audit_entry *e = &r->entries[i];
    ck_assert_int_eq(e->action, action);
    ck_assert_uint_eq(e->offset, offset);
    ck_assert_str_eq(e->opcode, opcode);
    ck_assert_str_eq(e->name, name);
    ck_assert_int_eq(e->reaches, reaches);
}

START_TEST(test_a_popped_call_is_listed_as_not_reaching_the_value)
{
    brine_audit_report *r = NULL;
    brine_error err;
    ck_assert_int_eq(audit(B(hide_pop), NULL, &r, &err), BRINE_OK);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->count, 2);
    expect_entry(r, 0, BRINE_AUDIT_IMPORT, 16, "STACK_GLOBAL", "os.system", 0);
    expect_entry(r, 1, BRINE_AUDIT_CALL, 24, "REDUCE", "os.system", 0);
    ck_assert_int_eq(r->status, BRINE_OK);
    ck_assert_int_eq(r->error.code, BRINE_OK);
    ck_assert_str_eq(brine_audit_action_name(r->entries[1].action), "call");
    brine_audit_report_free(r);
}
END_TEST

/* The value shows the call: both entries reach it. */
START_TEST(test_a_call_in_the_value_reaches_it)
{
    static const char kept[] = "\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93\x8c\x04true\x85R.";
    brine_audit_report *r = NULL;
    brine_error err;
    ck_assert_int_eq(audit(B(kept), NULL, &r, &err), BRINE_OK);
    ck_assert_uint_eq(r->count, 2);
    expect_entry(r, 0, BRINE_AUDIT_IMPORT, 16, "STACK_GLOBAL", "os.system", 1);
    expect_entry(r, 1, BRINE_AUDIT_CALL, 24, "REDUCE", "os.system", 1);
    brine_audit_report_free(r);
}
END_TEST

START_TEST(test_a_pickle_without_globals_has_an_empty_report)
{
    static const char plain[] = "\x80\x04]\x94(K\x01\x8c\x01x\x94" "e.";
    brine_audit_report *r = NULL;
    brine_error err;
    ck_assert_int_eq(audit(B(plain), NULL, &r, &err), BRINE_OK);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->count, 0);
    ck_assert_int_eq(r->status, BRINE_OK);
    brine_audit_report_free(r);
}
END_TEST

/* Cut before STOP: Python has run the call by then, so the report lists it
 * and carries the error the call returns. */
START_TEST(test_a_truncated_stream_keeps_the_actions_before_the_error)
{
    brine_audit_report *r = NULL;
    brine_error err;
    int rc = audit(hide_pop, sizeof hide_pop - 3, NULL, &r, &err);
    ck_assert_int_ne(rc, BRINE_OK);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->count, 2);
    expect_entry(r, 1, BRINE_AUDIT_CALL, 24, "REDUCE", "os.system", 0);
    ck_assert_int_eq(r->status, rc);
    ck_assert_int_eq(r->error.code, rc);
    ck_assert_int_eq(err.code, rc);
    ck_assert_str_eq(r->error.message, err.message);
    ck_assert_uint_eq(r->error.offset, err.offset);
    brine_audit_report_free(r);
}
END_TEST

/* allow= reaches the reader through the options: the refused import is the
 * last entry, at the offset the error names. */
START_TEST(test_allow_refuses_a_global_with_its_offset)
{
    brine_audit_report *r = NULL;
    brine_error err;
    ck_assert_int_eq(audit(B(hide_pop), "allow=safe", &r, &err), BRINE_E_MODEL);
    expect_error(&err, BRINE_E_MODEL, 16, NULL,
                 "STACK_GLOBAL at offset 16: global 'os.system' is not allowed (the allow= option lists what is)");
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->count, 1);
    expect_entry(r, 0, BRINE_AUDIT_IMPORT, 16, "STACK_GLOBAL", "os.system", 0);
    ck_assert_int_eq(r->status, BRINE_E_MODEL);
    brine_audit_report_free(r);
    ck_assert_int_eq(audit(B(hide_pop), "allow=os.system", &r, &err), BRINE_OK);
    ck_assert_uint_eq(r->count, 2);
    brine_audit_report_free(r);
}
END_TEST

START_TEST(test_a_bad_option_gives_no_report)
{
    brine_audit_report *r = (brine_audit_report *)&r;
    brine_error err;
    ck_assert_int_eq(audit(B(hide_pop), "allow=bogus", &r, &err), BRINE_E_OPTION);
    ck_assert_int_eq(err.code, BRINE_E_OPTION);
    ck_assert_ptr_null(r);
}
END_TEST

START_TEST(test_a_registry_without_pickle_is_not_found)
{
    brine_error err;
    brine_registry *empty = brine_registry_new(&err);
    brine_audit_report *r = (brine_audit_report *)&r;
    brine_source src;
    ck_assert_ptr_nonnull(empty);
    brine_source_init_buffer(&src, B(hide_pop));
    ck_assert_int_eq(brine_pickle_audit(empty, &src, NULL, &r, &err), BRINE_E_NOTFOUND);
    expect_error(&err, BRINE_E_NOTFOUND, BRINE_NO_OFFSET, NULL, "no pickle format with an audit is registered");
    ck_assert_ptr_null(r);
    brine_registry_free(empty);
    /* No report pointer: refused, not a crash. */
    brine_source_init_buffer(&src, B(hide_pop));
    ck_assert_int_eq(brine_pickle_audit(reg, &src, NULL, NULL, &err), BRINE_E_INVALID);
}
END_TEST

static Suite *pickle_audit_suite(void)
{
    Suite *s = suite_create("pickle_audit");
    TCase *tc = tcase_create("brine_pickle_audit");
    registry_fixture(tc, &reg, fixture_formats);
    tcase_add_test(tc, test_a_popped_call_is_listed_as_not_reaching_the_value);
    tcase_add_test(tc, test_a_call_in_the_value_reaches_it);
    tcase_add_test(tc, test_a_pickle_without_globals_has_an_empty_report);
    tcase_add_test(tc, test_a_truncated_stream_keeps_the_actions_before_the_error);
    tcase_add_test(tc, test_allow_refuses_a_global_with_its_offset);
    tcase_add_test(tc, test_a_bad_option_gives_no_report);
    tcase_add_test(tc, test_a_registry_without_pickle_is_not_found);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(pickle_audit_suite)
