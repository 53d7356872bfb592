/* test_pickle_audit.c: brine_pickle_audit, the registry's entry point to the
 * pickle audit (<brine/pickle.h>), from C: the entries of a hiding pickle
 * with their offsets and opcodes, a report that survives a failed decode,
 * allow= refusals through the options, and the errors of a registry with no
 * pickle format and of a bad option; and <brine/model.h>'s strict set as the
 * allow-list of a real scikit-learn pickle (issue #19). pickle_audit.py
 * checks the same audit through the CLI against CPython. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <brine/format.h>
#include <brine/model.h>
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
    static const char plain[] = "\x80\x04]\x94(K\x01\x8c\x01x\x94"
                                "e.";
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

/* ---- a strict registry as a pickle allow-list ----------------------------- */

/* The five model types of data/sklearn-tree/model.pkl, which scikit-learn
 * 1.2.1 pickled (examples/sklearn-tree/train.py), and the global it passes
 * as a value (numpy.ndarray, to _reconstruct). */
static const char *const sklearn_types[] = {"sklearn.tree._classes.DecisionTreeClassifier",
                                            "sklearn.tree._tree.Tree",
                                            "numpy.core.multiarray._reconstruct",
                                            "numpy.dtype",
                                            "numpy.ndarray",
                                            "numpy.core.multiarray.scalar"};
#define SKLEARN_MODEL BRINE_TEST_DATA "/sklearn-tree/model.pkl"

static brine_value *no_state(const void *obj, brine_doc *doc, brine_error *err)
{
    (void)obj;
    (void)doc;
    brine_error_set(err, BRINE_E_MODEL, "not saved");
    return NULL;
}

static void *no_object(const brine_value *state, brine_error *err)
{
    (void)state;
    brine_error_set(err, BRINE_E_MODEL, "not built");
    return NULL;
}

static void no_destroy(void *obj)
{
    (void)obj;
}

/* The attempt: the five types registered with callbacks. A
 * registered type is a brine model whose args are (version,); the
 * estimator's are (), as Python's reduce chose: a clean refusal, which
 * brine_models_allow is the way around. */
START_TEST(test_registering_sklearn_types_refuses_their_args_cleanly)
{
    brine_error err;
    brine_models *models = brine_models_new(&err);
    brine_loaded out;
    for (size_t i = 0; i < 5; i++) {
        brine_model_type t = {.name = sklearn_types[i],
                              .version = 1,
                              .to_state = no_state,
                              .from_state = no_object,
                              .destroy = no_destroy};
        ck_assert_int_eq(brine_models_register(models, &t, &err), BRINE_OK);
    }
    brine_models_set_strict(models, 1);
    ck_assert_int_eq(brine_model_load_file(models, reg, SKLEARN_MODEL, NULL, NULL, &out, &err), BRINE_E_MODEL);
    expect_error(&err, BRINE_E_MODEL, ANY_OFFSET, "$.args",
                 "a saved sklearn.tree._classes.DecisionTreeClassifier model has the args (version,), not 0 values");
    ck_assert_ptr_null(out.obj);
    ck_assert_ptr_null(out.data);
    brine_models_free(models);
}
END_TEST

/* The first five names allowed: a strict set reads the real pickle as
 * data; one fewer, and the missing name is refused with where it was found
 * (the global by its own name: allowing pickle.global would admit any).
 * Numeric arrays and numpy scalars read as array values, not models, so
 * scalar needs no allowing; classes_, an object array, stays numpy's
 * _reconstruct model with its dtype, and names numpy.ndarray. */
START_TEST(test_a_strict_set_allowing_sklearn_types_reads_a_real_tree)
{
    const size_t n = 5;
    for (size_t skip = 0; skip <= n; skip++) {
        brine_error err;
        brine_models *models = brine_models_new(&err);
        brine_loaded out;
        for (size_t i = 0; i < n; i++)
            if (i != skip)
                ck_assert_int_eq(brine_models_allow(models, sklearn_types[i], &err), BRINE_OK);
        brine_models_set_strict(models, 1);
        int rc = brine_model_load_file(models, reg, SKLEARN_MODEL, NULL, NULL, &out, &err);
        if (skip == n) {
            ck_assert_msg(rc == BRINE_OK, "%s", err.message);
            ck_assert_ptr_null(out.obj);
            ck_assert_ptr_nonnull(out.data);
            const brine_value *root = brine_doc_root(out.data);
            size_t len;
            ck_assert_str_eq(brine_model_name(root, &len), sklearn_types[0]);
            brine_loaded_destroy(&out);
        } else {
            char want[160];
            snprintf(want, sizeof want,
                     skip == 4 ? "global '%s' is not allowed (brine_models_allow lists what is)"
                               : "model type '%s' is not registered",
                     sklearn_types[skip]);
            ck_assert_int_eq(rc, BRINE_E_MODEL);
            expect_error(&err, BRINE_E_MODEL, ANY_OFFSET, NULL, want);
            ck_assert_msg(err.path[0] == '$', "no path: %s", err.path);
            ck_assert_ptr_null(out.data);
        }
        brine_models_free(models);
    }
}
END_TEST

/* A nested qualname is allowed as "module:Outer.Inner", the form brine
 * names models in, and pickle.global admits any global. */
START_TEST(test_a_strict_set_checks_a_nested_global_by_its_name)
{
    /* lib.Vec(lib.A.Inner) */
    static const char data[] = "\x80\x04\x8c\x03lib\x8c\x03Vec\x93\x8c\x03lib\x8c\x07"
                               "A.Inner\x93\x85R.";
    static const char *const allow[][2] = {{"lib.Vec", NULL}, {"lib.Vec", "lib:A.Inner"}, {"lib.Vec", "pickle.global"}};
    for (size_t i = 0; i < 3; i++) {
        brine_error err;
        brine_models *models = brine_models_new(&err);
        brine_loaded out;
        for (size_t j = 0; j < 2 && allow[i][j]; j++)
            ck_assert_int_eq(brine_models_allow(models, allow[i][j], &err), BRINE_OK);
        brine_models_set_strict(models, 1);
        int rc = brine_model_load_buffer(models, reg, "pickle", data, sizeof data - 1, NULL, NULL, &out, &err);
        if (i == 0) {
            ck_assert_msg(rc == BRINE_E_MODEL, "%d %s at %s", rc, err.message, err.path);
            expect_error(&err, BRINE_E_MODEL, ANY_OFFSET, "$.args[0].args[1]",
                         "global 'lib:A.Inner' is not allowed (brine_models_allow lists what is)");
        } else {
            ck_assert_msg(rc == BRINE_OK, "%s", err.message);
            brine_loaded_destroy(&out);
        }
        brine_models_free(models);
    }
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
    tc = tcase_create("strict registry");
    registry_fixture(tc, &reg, fixture_formats);
    tcase_add_test(tc, test_registering_sklearn_types_refuses_their_args_cleanly);
    tcase_add_test(tc, test_a_strict_set_allowing_sklearn_types_reads_a_real_tree);
    tcase_add_test(tc, test_a_strict_set_checks_a_nested_global_by_its_name);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(pickle_audit_suite)
