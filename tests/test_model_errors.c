/* test_model_errors.c: how <brine/model.h> fails: hostile args, callback
 * errors and their paths, files (atomic replacement, missing, unknown),
 * truncated input, registration, NULL arguments, depth limits and every
 * allocation failure. Also embedding objects with to_value/from_value. */
#include "model_util.h"

/* Loads a hand-built test.Point model with the given args and expects an
 * error. */
static void expect_args_error(brine_doc *doc, brine_value *args, const char *message, const char *path)
{
    brine_value *m = brine_model_new(doc, "test.Point", 10, NULL);
    ck_assert_int_eq(brine_model_set_args(m, args, NULL), BRINE_OK);
    size_t len;
    void *data = encode(native, m, NULL, &len);
    brine_loaded out;
    brine_error err;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_load_buffer(models, reg, NULL, data, len, NULL, NULL, &out, &err), BRINE_E_MODEL);
    ck_assert_str_eq(err.message, message);
    ck_assert_str_eq(err.path, path);
    ck_assert_ptr_null(out.obj);
    ck_assert_ptr_null(out.data);
    brine_free(data);
}

START_TEST(test_args_that_are_not_a_version_are_refused_with_their_path)
{
    brine_doc *doc = brine_doc_new();
    const char *count_msg = "a saved test.Point model has the args (version,), not %d values";
    char msg[128];
    brine_value *args = brine_tuple_new(doc, NULL);
    snprintf(msg, sizeof msg, count_msg, 0);
    expect_args_error(doc, args, msg, "$.args");

    args = brine_tuple_new(doc, NULL);
    brine_seq_append(args, brine_int_new(doc, 1, NULL), NULL);
    brine_seq_append(args, brine_int_new(doc, 1, NULL), NULL);
    snprintf(msg, sizeof msg, count_msg, 2);
    expect_args_error(doc, args, msg, "$.args");

    const char *range_msg = "the version of a saved test.Point model must be an int from 0 to 4294967295";
    brine_value *bad[] = {
        brine_str_new_cstr(doc, "1", NULL),
        brine_float_new(doc, 1.0, NULL),
        brine_int_new(doc, -1, NULL),
        brine_int_new(doc, INT64_C(4294967296), NULL),
        brine_int_new_decimal(doc, "100000000000000000000000", 24, NULL),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        args = brine_tuple_new(doc, NULL);
        brine_seq_append(args, bad[i], NULL);
        expect_args_error(doc, args, range_msg, "$.args[0]");
    }
    ck_assert_int_eq(from_state_calls, 0);
    brine_doc_free(doc);
}
END_TEST

static void *failing_from_state(const brine_value *state, brine_error *err)
{
    from_state_calls++;
    if (brine_type_of(state) == BRINE_DICT) {
        brine_error_set(err, BRINE_E_RANGE, "the value is too large");
        snprintf(err->path, sizeof err->path, "$.sizes[2]");
    }
    return NULL; /* silently, for any other state */
}

static brine_value *failing_to_state(const void *obj, brine_doc *doc, brine_error *err)
{
    to_state_calls++;
    if (obj)
        return brine_dict_new(doc, err);
    brine_error_set(err, BRINE_E_INVALID, "nothing to save");
    return NULL;
}

static void no_destroy(void *obj)
{
    (void)obj;
}

START_TEST(test_callback_errors_keep_their_code_and_move_their_path_under_state)
{
    brine_model_type t = {"test.Failing", 1, failing_to_state, failing_from_state, NULL, no_destroy};
    ck_assert_int_eq(brine_models_register(models, &t, NULL), BRINE_OK);
    int something = 1;
    void *data;
    size_t len;
    brine_loaded out;
    brine_error err;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_save_buffer(models, reg, "json", "test.Failing", &something, NULL, &data, &len, &err),
                     BRINE_OK);
    ck_assert_int_eq(brine_model_load_buffer(models, reg, NULL, data, len, NULL, NULL, &out, &err), BRINE_E_RANGE);
    ck_assert_str_eq(err.message, "the value is too large");
    ck_assert_str_eq(err.path, "$.state.sizes[2]");
    brine_free(data);

    /* A from_state that fails without a word. */
    static const char silent[] =
        "{\"$brine\": 1, \"value\": {\"$model\": \"test.Failing\", \"args\": [1], \"state\": 0}}";
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_load_buffer(models, reg, "json", silent, sizeof silent - 1, NULL, NULL, &out, &err),
                     BRINE_E_MODEL);
    ck_assert_str_eq(err.message, "from_state of model type 'test.Failing' failed without saying why");
    ck_assert_str_eq(err.path, "$.state");

    /* to_state's error comes back from the save. */
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_save_buffer(models, reg, "json", "test.Failing", NULL, NULL, &data, &len, &err),
                     BRINE_E_INVALID);
    ck_assert_str_eq(err.message, "nothing to save");
    ck_assert_str_eq(err.path, "$.state");
    ck_assert_ptr_null(data);
}
END_TEST

START_TEST(test_a_failed_save_leaves_the_previous_file_intact)
{
    brine_model_type t = {"test.Failing", 1, failing_to_state, failing_from_state, NULL, no_destroy};
    ck_assert_int_eq(brine_models_register(models, &t, NULL), BRINE_OK);
    make_tmpdir();
    const char *path = tmp_path("keep.json");
    point p = {1.0, 2.0, "kept"};
    brine_error err;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_save_file(models, reg, "test.Point", &p, path, NULL, &err), BRINE_OK);
    ck_assert_int_eq(brine_model_save_file(models, reg, "test.Failing", NULL, path, NULL, &err), BRINE_E_INVALID);
    brine_loaded out;
    ck_assert_int_eq(brine_model_load_file(models, reg, path, "test.Point", NULL, &out, &err), BRINE_OK);
    ck_assert_str_eq(((point *)out.obj)->label, "kept");
    brine_loaded_destroy(&out);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    remove_tmpdir();
}
END_TEST

START_TEST(test_file_errors_say_what_is_wrong)
{
    make_tmpdir();
    point p = {1.0, 2.0, "x"};
    brine_loaded out;
    brine_error err;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_load_file(models, reg, tmp_path("absent.json"), NULL, NULL, &out, &err),
                     BRINE_E_NOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "No such file or directory"));

    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_save_file(models, reg, "test.Point", &p, tmp_path("p.unknown"), NULL, &err),
                     BRINE_E_NOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "no format has the extension of"));

    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_save_file(models, reg, "test.Nope", &p, tmp_path("p.json"), NULL, &err),
                     BRINE_E_MODEL);
    ck_assert_str_eq(err.message, "model type 'test.Nope' is not registered");

    /* A directory is not replaced by a file. */
    ck_assert_int_eq(mkdir(tmp_path("dir.json"), 0700), 0);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_save_file(models, reg, "test.Point", &p, tmp_path("dir.json"), NULL, &err),
                     BRINE_E_IO);
    struct stat st;
    ck_assert_int_eq(stat(tmp_path("dir.json"), &st), 0);
    ck_assert(S_ISDIR(st.st_mode));

    /* Bytes no format recognises, under a name no format claims. */
    FILE *fp = fopen(tmp_path("noise.dat"), "wb");
    fputs("\xc1\xc1 not a model", fp); /* 0xc1 is never used in msgpack */
    fclose(fp);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_load_file(models, reg, tmp_path("noise.dat"), NULL, NULL, &out, &err),
                     BRINE_E_NOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "cannot tell the format of"));

    /* An empty file likewise, and a bad option is the format's error. */
    fp = fopen(tmp_path("empty.dat"), "wb");
    fclose(fp);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_load_file(models, reg, tmp_path("empty.dat"), NULL, NULL, &out, &err),
                     BRINE_E_NOTFOUND);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_save_file(models, reg, "test.Point", &p, tmp_path("p.brn"), &refs, &err),
                     BRINE_E_OPTION);
    ck_assert_int_eq(access(tmp_path("p.brn"), F_OK), -1);
    remove_tmpdir();
}
END_TEST

START_TEST(test_a_truncated_file_is_the_decoders_error_with_its_offset)
{
    point p = {1.0, 2.0, "cut"};
    void *data;
    size_t len;
    brine_error err;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_save_buffer(models, reg, "msgpack", "test.Point", &p, NULL, &data, &len, &err),
                     BRINE_OK);
    brine_loaded out;
    ck_assert_int_eq(brine_model_load_buffer(models, reg, "msgpack", data, len - 3, NULL, NULL, &out, &err),
                     BRINE_E_TRUNCATED);
    ck_assert_uint_eq(err.offset, len - 3);
    ck_assert_ptr_null(out.obj);
    ck_assert_int_eq(from_state_calls, 0);
    brine_free(data);
}
END_TEST

START_TEST(test_registration_refuses_duplicates_missing_callbacks_and_bad_names)
{
    brine_error err;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_models_register(models, &point_type, &err), BRINE_E_INVALID);
    ck_assert_str_eq(err.message, "model type 'test.Point' is already registered");
    brine_model_type t = point_type;
    t.name = "test.Other";
    t.from_state = NULL;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_models_register(models, &t, &err), BRINE_E_INVALID);
    ck_assert_str_eq(err.message, "model type 'test.Other' needs to_state, from_state and destroy");
    t = point_type;
    t.name = "";
    ck_assert_int_eq(brine_models_register(models, &t, NULL), BRINE_E_INVALID);
    t.name = "bad\xff";
    ck_assert_int_eq(brine_models_register(models, &t, NULL), BRINE_E_INVALID);
    ck_assert_int_eq(brine_models_register(NULL, &point_type, NULL), BRINE_E_INVALID);
    ck_assert_int_eq(brine_models_register(models, NULL, NULL), BRINE_E_INVALID);
    /* The set keeps its own copy of the name. */
    char name[] = "test.Copied";
    t = point_type;
    t.name = name;
    ck_assert_int_eq(brine_models_register(models, &t, NULL), BRINE_OK);
    name[5] = 'X';
    ck_assert_ptr_nonnull(brine_models_find(models, "test.Copied"));
    ck_assert_ptr_null(brine_models_find(models, "test.Xopied"));
    ck_assert_ptr_null(brine_models_find(models, "test.Copie"));
    ck_assert_ptr_null(brine_models_find(NULL, "test.Copied"));
}
END_TEST

START_TEST(test_null_arguments_are_errors_not_crashes)
{
    brine_loaded out;
    void *data, *obj;
    size_t len;
    point p = {0, 0, "n"};
    ck_assert_int_eq(brine_model_save_buffer(NULL, reg, "json", "test.Point", &p, NULL, &data, &len, NULL),
                     BRINE_E_INVALID);
    ck_assert_int_eq(brine_model_save_buffer(models, NULL, "json", "test.Point", &p, NULL, &data, &len, NULL),
                     BRINE_E_INVALID);
    ck_assert_int_eq(brine_model_save_buffer(models, reg, "nope", "test.Point", &p, NULL, &data, &len, NULL),
                     BRINE_E_NOTFOUND);
    ck_assert_int_eq(brine_model_save_file(models, reg, "test.Point", &p, NULL, NULL, NULL), BRINE_E_INVALID);
    ck_assert_int_eq(brine_model_save(models, NULL, "test.Point", &p, NULL, NULL, NULL), BRINE_E_INVALID);
    ck_assert_int_eq(brine_model_load_buffer(NULL, reg, "json", "1", 1, NULL, NULL, &out, NULL), BRINE_E_INVALID);
    ck_assert_int_eq(brine_model_load_buffer(models, reg, "json", NULL, 1, NULL, NULL, &out, NULL), BRINE_E_INVALID);
    ck_assert_int_eq(brine_model_load_buffer(models, reg, "json", "1", 1, NULL, NULL, NULL, NULL), BRINE_E_INVALID);
    ck_assert_int_eq(brine_model_load_file(models, reg, NULL, NULL, NULL, &out, NULL), BRINE_E_INVALID);
    ck_assert_int_eq(brine_model_load(models, NULL, NULL, NULL, NULL, &out, NULL), BRINE_E_INVALID);
    ck_assert_ptr_null(brine_model_to_value(models, NULL, "test.Point", &p, NULL));
    ck_assert_int_eq(brine_model_from_value(models, NULL, NULL, &obj, NULL, NULL), BRINE_E_INVALID);
    brine_loaded_destroy(NULL);
    brine_models_free(NULL);
    brine_models_set_strict(NULL, 1);
    ck_assert_int_eq(brine_models_strict(NULL), 0);
}
END_TEST

START_TEST(test_objects_embed_in_larger_graphs_with_to_value_and_from_value)
{
    brine_doc *doc = brine_doc_new();
    point a = {1.0, 1.0, "a"};
    counter c = {9, 2};
    brine_error err;
    brine_error_clear(&err);
    brine_value *list = brine_list_new(doc, NULL);
    brine_value *pa = brine_model_to_value(models, doc, "test.Point", &a, &err);
    brine_value *pc = brine_model_to_value(models, doc, "test.Counter", &c, &err);
    ck_assert_ptr_nonnull(pa);
    ck_assert_ptr_nonnull(pc);
    brine_seq_append(list, pa, NULL);
    brine_seq_append(list, pc, NULL);
    char repr[160];
    brine_value_repr(list, repr, sizeof repr, 0, NULL);
    ck_assert_str_eq(repr, "[test.Point(1, state={'x': 1.0, 'y': 1.0, 'label': 'a'}), "
                           "test.Counter(2, state={'count': 9, 'step': 2})]");
    void *obj;
    const brine_model_type *type;
    ck_assert_int_eq(brine_model_from_value(models, brine_seq_get(list, 1), NULL, &obj, &type, &err), BRINE_OK);
    ck_assert_str_eq(type->name, "test.Counter");
    ck_assert_int_eq(((counter *)obj)->count, 9);
    type->destroy(obj);
    ck_assert_int_eq(brine_model_from_value(models, brine_seq_get(list, 1), "test.Point", &obj, &type, &err),
                     BRINE_E_MODEL);
    ck_assert_ptr_null(obj);
    ck_assert_ptr_null(type);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_from_value(models, list, NULL, &obj, NULL, &err), BRINE_E_TYPE);
    ck_assert_str_eq(err.message, "expected a model, found a value of type list");
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_a_deep_state_is_bounded_by_the_depth_limit_without_crashing)
{
    /* 100000 nested lists: refused at the default limit, fine when raised,
     * strict checking included. */
    graph g = {brine_doc_new(), NULL};
    brine_doc_set_max_depth(g.doc, 200000);
    g.value = brine_list_new(g.doc, NULL);
    brine_value *cur = g.value;
    for (int i = 0; i < 100000; i++) {
        brine_value *next = brine_list_new(g.doc, NULL);
        brine_seq_append(cur, next, NULL);
        cur = next;
    }
    void *data;
    size_t len;
    brine_error err;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_save_buffer(models, reg, "native", "test.Graph", &g, NULL, &data, &len, &err),
                     BRINE_E_DEPTH);
    brine_options deep = {.max_depth = 200000};
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_save_buffer(models, reg, "native", "test.Graph", &g, &deep, &data, &len, &err),
                     BRINE_OK);
    brine_loaded out;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_load_buffer(models, reg, NULL, data, len, NULL, NULL, &out, &err), BRINE_E_DEPTH);
    ck_assert_ptr_nonnull(strstr(err.message, "maximum recursion depth exceeded while decoding"));
    brine_models_set_strict(models, 1);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_load_buffer(models, reg, NULL, data, len, NULL, &deep, &out, &err), BRINE_OK);
    ck_assert_ptr_nonnull(out.obj);
    brine_loaded_destroy(&out);
    brine_free(data);
    brine_doc_free(g.doc);
}
END_TEST

/* ---- allocation failures ------------------------------------------------------ */

/* Saves and loads a point (json) and a shared graph (msgpack with refs). */
static int workload(void)
{
    point p = {1.0, 2.0, "nomem"};
    graph g = {brine_doc_new(), NULL};
    int rc = g.doc ? BRINE_OK : BRINE_E_NOMEM;
    brine_value *x = NULL;
    if (rc == BRINE_OK && (!(g.value = brine_list_new(g.doc, NULL)) || !(x = brine_dict_new(g.doc, NULL)) ||
                           brine_seq_append(g.value, x, NULL) || brine_seq_append(g.value, x, NULL)))
        rc = BRINE_E_NOMEM;
    for (int k = 0; k < 2 && rc == BRINE_OK; k++) {
        const char *fmt = k ? "msgpack" : "json";
        const char *type = k ? "test.Graph" : "test.Point";
        const void *obj = k ? (const void *)&g : (const void *)&p;
        void *data;
        size_t len;
        brine_loaded out;
        brine_error err;
        brine_error_clear(&err);
        rc = brine_model_save_buffer(models, reg, fmt, type, obj, &refs, &data, &len, &err);
        if (rc == BRINE_OK) {
            rc = brine_model_load_buffer(models, reg, NULL, data, len, type, &refs, &out, &err);
            if (rc == BRINE_OK && !out.obj)
                rc = BRINE_E_INVALID;
            brine_loaded_destroy(&out);
            brine_free(data);
        }
        ck_assert_int_eq(rc, err.code);
    }
    brine_doc_free(g.doc);
    return rc;
}

START_TEST(test_every_allocation_failure_is_reported_and_leaks_nothing)
{
    brine_set_allocator(failing_malloc, failing_realloc, counting_free);
    long k;
    for (k = 1;; k++) {
        alloc_calls = 0;
        alloc_fail_at = k;
        alloc_live = 0;
        int rc = workload();
        brine_release_memory(); /* freed documents' cached chunks count as live */
        ck_assert_msg(alloc_live == 0, "allocation %ld failing leaked %ld blocks", k, alloc_live);
        if (alloc_calls < k) {
            ck_assert_int_eq(rc, BRINE_OK);
            break;
        }
        /* The test types report a failed strdup/malloc of their own as
         * NOMEM too, so every failure is NOMEM. */
        ck_assert_msg(rc == BRINE_E_NOMEM, "allocation %ld failing gave status %d", k, rc);
    }
    brine_set_allocator(NULL, NULL, NULL);
    ck_assert_int_gt(k, 20);
}
END_TEST

static Suite *model_errors_suite(void)
{
    Suite *s = suite_create("model_errors");
    TCase *tc = tcase_create("model_errors");
    model_fixtures(tc);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_args_that_are_not_a_version_are_refused_with_their_path);
    tcase_add_test(tc, test_callback_errors_keep_their_code_and_move_their_path_under_state);
    tcase_add_test(tc, test_a_failed_save_leaves_the_previous_file_intact);
    tcase_add_test(tc, test_file_errors_say_what_is_wrong);
    tcase_add_test(tc, test_a_truncated_file_is_the_decoders_error_with_its_offset);
    tcase_add_test(tc, test_registration_refuses_duplicates_missing_callbacks_and_bad_names);
    tcase_add_test(tc, test_null_arguments_are_errors_not_crashes);
    tcase_add_test(tc, test_objects_embed_in_larger_graphs_with_to_value_and_from_value);
    tcase_add_test(tc, test_a_deep_state_is_bounded_by_the_depth_limit_without_crashing);
    tcase_add_test(tc, test_every_allocation_failure_is_reported_and_leaks_nothing);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(model_errors_suite)
