/* test_model.c: saving registered objects in every format and loading them
 * back (<brine/model.h>): the saved layout, formats by name, extension and
 * sniffing, versions and upgrades, unregistered types kept as plain data,
 * strict loading, shared references and cycles in a state. Errors, files,
 * limits and allocation failures are in test_model_errors.c. */
#include "model_util.h"

/* test.Counter as version 1 wrote it: the state is the count. */
static brine_value *counter_v1_to_state(const void *obj, brine_doc *doc, brine_error *err)
{
    to_state_calls++;
    return brine_int_new(doc, ((const counter *)obj)->count, err);
}

static void *counter_v1_from_state(const brine_value *state, brine_error *err)
{
    from_state_calls++;
    counter *c = malloc(sizeof *c);
    if (!c || brine_int_get_i64(state, &c->count)) {
        free(c);
        brine_error_set(err, BRINE_E_TYPE, "a version 1 counter's state is an int");
        return NULL;
    }
    c->step = 1;
    return c;
}

static const brine_model_type counter_v1 = {
    .name = "test.Counter",
    .version = 1,
    .to_state = counter_v1_to_state,
    .from_state = counter_v1_from_state,
    .destroy = counter_destroy,
};

START_TEST(test_a_registered_object_round_trips_through_every_format)
{
    point p = {1.5, -2.25, "origin"};
    for (const brine_plugin *const *f = all_formats(); *f; f++) {
        void *data;
        size_t len;
        brine_error err;
        brine_error_clear(&err);
        ck_assert_int_eq(brine_model_save_buffer(models, reg, (*f)->name, "test.Point", &p, NULL, &data, &len, &err),
                         BRINE_OK);
        /* By name, then recognised from the bytes. */
        for (int sniff = 0; sniff < 2; sniff++) {
            brine_loaded out;
            ck_assert_msg(brine_model_load_buffer(models, reg, sniff ? NULL : (*f)->name, data, len, "test.Point", NULL,
                                                  &out, &err) == BRINE_OK,
                          "%s: %s", (*f)->name, err.message);
            const point *q = out.obj;
            ck_assert_ptr_nonnull(q);
            ck_assert_ptr_null(out.data);
            ck_assert_str_eq(out.type->name, "test.Point");
            ck_assert_uint_eq(out.saved_version, 1);
            ck_assert(q->x == 1.5 && q->y == -2.25);
            ck_assert_str_eq(q->label, "origin");
            brine_loaded_destroy(&out);
            ck_assert_ptr_null(out.obj);
        }
        brine_free(data);
    }
    ck_assert_int_eq(to_state_calls, 3);
    ck_assert_int_eq(from_state_calls, 6);
    ck_assert_int_eq(destroy_calls, 6);
}
END_TEST

START_TEST(test_the_saved_value_is_the_type_name_with_version_args_and_the_state)
{
    point p = {0.5, 2.0, "a"};
    void *data;
    size_t len;
    brine_error err;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_save_buffer(models, reg, "json", "test.Point", &p, NULL, &data, &len, &err), BRINE_OK);
    ck_assert_str_eq(data, "{\"$brine\":1,\"value\":{\"$model\":\"test.Point\",\"args\":[1],\"state\":{\"x\":0.5,"
                           "\"y\":2.0,\"label\":\"a\"}}}");
    brine_doc *doc = brine_decode_buffer(json, data, len, NULL, &err);
    ck_assert_ptr_nonnull(doc);
    char repr[128];
    brine_value_repr(brine_doc_root(doc), repr, sizeof repr, 0, NULL);
    ck_assert_str_eq(repr, "test.Point(1, state={'x': 0.5, 'y': 2.0, 'label': 'a'})");
    brine_doc_free(doc);
    brine_free(data);
}
END_TEST

START_TEST(test_save_file_picks_the_format_by_extension_and_load_file_reads_it_back)
{
    make_tmpdir();
    point p = {3.0, 4.0, "file"};
    static const char *const names[] = {"p.brn", "p.json", "p.msgpack"};
    static const char *const formats[] = {"native", "json", "msgpack"};
    brine_error err;
    for (int i = 0; i < 3; i++) {
        brine_error_clear(&err);
        const char *path = tmp_path(names[i]);
        ck_assert_int_eq(brine_model_save_file(models, reg, "test.Point", &p, path, NULL, &err), BRINE_OK);
        /* The bytes are those of the format the extension names. */
        void *expect;
        size_t expect_len;
        ck_assert_int_eq(
            brine_model_save_buffer(models, reg, formats[i], "test.Point", &p, NULL, &expect, &expect_len, &err),
            BRINE_OK);
        FILE *fp = fopen(path, "rb");
        ck_assert_ptr_nonnull(fp);
        char buf[256];
        size_t got = fread(buf, 1, sizeof buf, fp);
        fclose(fp);
        ck_assert_uint_eq(got, expect_len);
        ck_assert_mem_eq(buf, expect, got);
        brine_free(expect);

        brine_loaded out;
        ck_assert_int_eq(brine_model_load_file(models, reg, path, "test.Point", NULL, &out, &err), BRINE_OK);
        ck_assert_str_eq(((point *)out.obj)->label, "file");
        brine_loaded_destroy(&out);

        /* Without a known extension, the format is recognised from the bytes. */
        char renamed[128];
        snprintf(renamed, sizeof renamed, "%s/model-%d.saved", tmpdir, i);
        ck_assert_int_eq(rename(path, renamed), 0);
        ck_assert_int_eq(brine_model_load_file(models, reg, renamed, NULL, NULL, &out, &err), BRINE_OK);
        ck_assert_ptr_eq(out.type, brine_models_find(models, "test.Point"));
        ck_assert(((point *)out.obj)->x == 3.0);
        brine_loaded_destroy(&out);
    }
    /* No temporary file is left behind. */
    char cmd[160];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 3", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    remove_tmpdir();
}
END_TEST

START_TEST(test_an_older_version_goes_through_the_upgrade_callback)
{
    brine_models *old = brine_models_new(NULL);
    ck_assert_int_eq(brine_models_register(old, &counter_v1, NULL), BRINE_OK);
    counter c = {41, 1};
    for (const brine_plugin *const *f = all_formats(); *f; f++) {
        void *data;
        size_t len;
        brine_error err;
        brine_error_clear(&err);
        ck_assert_int_eq(brine_model_save_buffer(old, reg, (*f)->name, "test.Counter", &c, NULL, &data, &len, &err),
                         BRINE_OK);
        brine_loaded out;
        ck_assert_int_eq(brine_model_load_buffer(models, reg, NULL, data, len, "test.Counter", NULL, &out, &err),
                         BRINE_OK);
        const counter *got = out.obj;
        ck_assert_int_eq(got->count, 41);
        ck_assert_int_eq(got->step, 1);
        ck_assert_uint_eq(out.saved_version, 1);
        ck_assert_uint_eq(out.type->version, 2);
        brine_loaded_destroy(&out);
        brine_free(data);
    }
    ck_assert_int_eq(upgrade_calls, 3);
    brine_models_free(old);
}
END_TEST

START_TEST(test_an_older_version_without_upgrade_fails_naming_both_versions)
{
    brine_models *old = brine_models_new(NULL), *newer = brine_models_new(NULL);
    brine_model_type v2_no_upgrade = counter_v2;
    v2_no_upgrade.upgrade = NULL;
    ck_assert_int_eq(brine_models_register(old, &counter_v1, NULL), BRINE_OK);
    ck_assert_int_eq(brine_models_register(newer, &v2_no_upgrade, NULL), BRINE_OK);
    counter c = {5, 1};
    void *data;
    size_t len;
    brine_error err;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_save_buffer(old, reg, "native", "test.Counter", &c, NULL, &data, &len, &err),
                     BRINE_OK);
    brine_loaded out;
    ck_assert_int_eq(brine_model_load_buffer(newer, reg, NULL, data, len, NULL, NULL, &out, &err), BRINE_E_VERSION);
    ck_assert_str_eq(err.message, "test.Counter version 1 is older than version 2 and the type has no upgrade");
    ck_assert_str_eq(err.path, "$.args[0]");
    ck_assert_ptr_null(out.obj);
    ck_assert_ptr_null(out.data);
    ck_assert_int_eq(from_state_calls, 0);
    brine_free(data);
    brine_models_free(old);
    brine_models_free(newer);
}
END_TEST

START_TEST(test_a_newer_version_fails_naming_both_versions)
{
    brine_models *old = brine_models_new(NULL);
    ck_assert_int_eq(brine_models_register(old, &counter_v1, NULL), BRINE_OK);
    counter c = {5, 2};
    void *data;
    size_t len;
    brine_error err;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_save_buffer(models, reg, "msgpack", "test.Counter", &c, NULL, &data, &len, &err),
                     BRINE_OK);
    brine_loaded out;
    ck_assert_int_eq(brine_model_load_buffer(old, reg, "msgpack", data, len, "test.Counter", NULL, &out, &err),
                     BRINE_E_VERSION);
    ck_assert_str_eq(err.message, "test.Counter version 2 is newer than version 1, the newest this program reads");
    ck_assert_str_eq(err.path, "$.args[0]");
    ck_assert_int_eq(from_state_calls + upgrade_calls, 0);
    brine_free(data);
    brine_models_free(old);
}
END_TEST

START_TEST(test_a_refused_upgrade_keeps_its_error_under_the_state_path)
{
    /* A version 1 counter whose state is not an int. */
    brine_doc *doc = brine_doc_new();
    brine_value *m = brine_model_new(doc, "test.Counter", 12, NULL), *args = brine_tuple_new(doc, NULL);
    brine_seq_append(args, brine_int_new(doc, 1, NULL), NULL);
    brine_model_set_args(m, args, NULL);
    brine_model_set_state(m, brine_str_new_cstr(doc, "many", NULL), NULL);
    size_t len;
    void *data = encode(native, m, NULL, &len);
    brine_loaded out;
    brine_error err;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_load_buffer(models, reg, "native", data, len, NULL, NULL, &out, &err), BRINE_E_TYPE);
    ck_assert_str_eq(err.message, "cannot upgrade this counter state");
    ck_assert_str_eq(err.path, "$.state");
    ck_assert_int_eq(upgrade_calls, 1);
    ck_assert_int_eq(from_state_calls, 0);
    brine_free(data);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_an_unregistered_type_loads_as_plain_data_and_survives_native_json_msgpack_native)
{
    brine_doc *doc = brine_doc_new();
    brine_value *original = foreign_model(doc);
    size_t len;
    void *data = encode(native, original, NULL, &len), *first = data;
    size_t first_len = len;
    static const char *const chain[] = {"json", "msgpack", "native"};
    for (int i = 0; i < 3; i++) {
        const brine_plugin *from = i == 0 ? native : brine_registry_find(reg, chain[i - 1]);
        const brine_plugin *to = brine_registry_find(reg, chain[i]);
        brine_loaded out;
        brine_error err;
        brine_error_clear(&err);
        ck_assert_msg(brine_model_load_buffer(models, reg, from->name, data, len, NULL, refs_for(from), &out, &err) ==
                          BRINE_OK,
                      "%s: %s", from->name, err.message);
        ck_assert_ptr_null(out.obj);
        ck_assert_ptr_nonnull(out.data);
        ck_assert_int_eq(brine_value_equal(brine_doc_root(out.data), original, 0, NULL), 1);
        if (data != first)
            brine_free(data);
        /* Written back with the library, as any tool would. */
        data = encode(to, brine_doc_root(out.data), refs_for(to), &len);
        brine_loaded_destroy(&out);
    }
    /* native -> json -> msgpack -> native gives the very same bytes. */
    ck_assert_uint_eq(len, first_len);
    ck_assert_mem_eq(data, first, len);
    ck_assert_int_eq(from_state_calls + to_state_calls + upgrade_calls + destroy_calls, 0);
    brine_free(data);
    brine_free(first);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_transcoding_a_saved_object_between_every_pair_of_formats_keeps_it_loadable)
{
    graph g = {brine_doc_new(), NULL};
    g.value = brine_list_new(g.doc, NULL);
    brine_value *shared = brine_list_new(g.doc, NULL);
    brine_seq_append(shared, brine_float_new(g.doc, 0.1, NULL), NULL);
    brine_seq_append(g.value, shared, NULL);
    brine_seq_append(g.value, shared, NULL);
    for (const brine_plugin *const *a = all_formats(); *a; a++)
        for (const brine_plugin *const *b = all_formats(); *b; b++) {
            void *data;
            size_t len;
            brine_error err;
            brine_error_clear(&err);
            ck_assert_int_eq(
                brine_model_save_buffer(models, reg, (*a)->name, "test.Graph", &g, refs_for(*a), &data, &len, &err),
                BRINE_OK);
            brine_source src;
            brine_output out;
            brine_source_init_buffer(&src, data, len);
            ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
            ck_assert_msg(brine_transcode(*a, &src, refs_for(*a), *b, &out, refs_for(*b), NULL, &err) == BRINE_OK,
                          "%s -> %s: %s", (*a)->name, (*b)->name, err.message);
            size_t conv_len;
            void *conv = brine_output_take(&out, &conv_len);
            brine_output_destroy(&out);
            brine_loaded loaded;
            ck_assert_int_eq(
                brine_model_load_buffer(models, reg, NULL, conv, conv_len, "test.Graph", refs_for(*b), &loaded, &err),
                BRINE_OK);
            ck_assert_int_eq(brine_value_equal(((graph *)loaded.obj)->value, g.value, 0, NULL), 1);
            brine_loaded_destroy(&loaded);
            brine_free(conv);
            brine_free(data);
        }
    brine_doc_free(g.doc);
}
END_TEST

START_TEST(test_shared_references_in_a_state_survive_in_formats_that_store_them)
{
    /* [x, x, {'again': x}] with one x, and the same shape with three xs. */
    graph g = {brine_doc_new(), NULL};
    brine_doc *plain = brine_doc_new();
    brine_value *values[2];
    for (int k = 0; k < 2; k++) {
        brine_doc *doc = k ? plain : g.doc;
        brine_value *root = brine_list_new(doc, NULL), *d = brine_dict_new(doc, NULL);
        brine_value *x[3];
        for (int i = 0; i < 3; i++) {
            x[i] = k == 0 && i > 0 ? x[0] : brine_list_new(doc, NULL);
            if (k == 1 || i == 0)
                brine_seq_append(x[i], brine_int_new(doc, 1, NULL), NULL);
        }
        brine_seq_append(root, x[0], NULL);
        brine_seq_append(root, x[1], NULL);
        brine_dict_set_str(d, "again", x[2], NULL);
        brine_seq_append(root, d, NULL);
        values[k] = root;
    }
    g.value = values[0];
    ck_assert_int_eq(brine_value_equal(values[0], values[1], 0, NULL), 0);
    for (const brine_plugin *const *f = all_formats(); *f; f++) {
        for (int with_refs = 0; with_refs < 2; with_refs++) {
            const brine_options *opts = with_refs ? refs_for(*f) : NULL;
            void *data;
            size_t len;
            brine_loaded out;
            brine_error err;
            brine_error_clear(&err);
            ck_assert_int_eq(
                brine_model_save_buffer(models, reg, (*f)->name, "test.Graph", &g, opts, &data, &len, &err), BRINE_OK);
            ck_assert_int_eq(
                brine_model_load_buffer(models, reg, (*f)->name, data, len, "test.Graph", opts, &out, &err), BRINE_OK);
            /* Native always keeps the sharing; the others with refs only. */
            int kept = *f == native || with_refs;
            const brine_value *loaded = ((graph *)out.obj)->value;
            ck_assert_msg(brine_value_equal(loaded, values[kept ? 0 : 1], 0, NULL) == 1, "%s refs=%d", (*f)->name,
                          with_refs);
            brine_loaded_destroy(&out);
            brine_free(data);
        }
    }
    brine_doc_free(plain);
    brine_doc_free(g.doc);
}
END_TEST

START_TEST(test_a_cyclic_state_survives_native_and_is_refused_without_refs)
{
    graph g = {brine_doc_new(), NULL};
    g.value = brine_list_new(g.doc, NULL);
    brine_seq_append(g.value, g.value, NULL);
    void *data;
    size_t len;
    brine_loaded out;
    brine_error err;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_save_buffer(models, reg, "native", "test.Graph", &g, NULL, &data, &len, &err),
                     BRINE_OK);
    ck_assert_int_eq(brine_model_load_buffer(models, reg, NULL, data, len, "test.Graph", NULL, &out, &err), BRINE_OK);
    char repr[32];
    brine_value_repr(((graph *)out.obj)->value, repr, sizeof repr, 0, NULL);
    ck_assert_str_eq(repr, "[[...]]");
    brine_loaded_destroy(&out);
    brine_free(data);

    ck_assert_int_eq(brine_model_save_buffer(models, reg, "json", "test.Graph", &g, NULL, &data, &len, &err),
                     BRINE_E_CYCLE);
    ck_assert_str_eq(err.message, "circular reference detected");
    ck_assert_str_eq(err.path, "$.state[0]");
    ck_assert_ptr_null(data);
    brine_doc_free(g.doc);
}
END_TEST

START_TEST(test_strict_loading_refuses_an_unregistered_type_naming_it)
{
    brine_doc *doc = brine_doc_new();
    size_t len;
    void *data = encode(msgpack, foreign_model(doc), NULL, &len);
    brine_models_set_strict(models, 1);
    ck_assert_int_eq(brine_models_strict(models), 1);
    brine_loaded out;
    brine_error err;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_load_buffer(models, reg, "msgpack", data, len, NULL, NULL, &out, &err), BRINE_E_MODEL);
    ck_assert_str_eq(err.message, "model type 'other.Thing' is not registered");
    ck_assert_str_eq(err.path, "$");
    ck_assert_ptr_null(out.data);
    brine_free(data);

    /* Inside a list, too: strictness covers the whole value. */
    brine_value *list = brine_list_new(doc, NULL);
    brine_seq_append(list, brine_int_new(doc, 1, NULL), NULL);
    brine_seq_append(list, brine_model_state(foreign_model(doc)), NULL);
    data = encode(json, list, NULL, &len);
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_load_buffer(models, reg, "json", data, len, NULL, NULL, &out, &err), BRINE_E_MODEL);
    ck_assert_str_eq(err.message, "model type 'other.Inner' is not registered");
    ck_assert_str_eq(err.path, "$[1].inner");
    brine_free(data);

    /* Without the strict flag the same list is plain data. */
    brine_models_set_strict(models, 0);
    data = encode(json, list, NULL, &len);
    ck_assert_int_eq(brine_model_load_buffer(models, reg, "json", data, len, NULL, NULL, &out, &err), BRINE_OK);
    ck_assert_int_eq(brine_value_equal(brine_doc_root(out.data), list, 0, NULL), 1);
    brine_loaded_destroy(&out);
    brine_free(data);
    brine_doc_free(doc);
}
END_TEST

START_TEST(test_strict_loading_checks_the_state_before_calling_from_state)
{
    /* A registered test.Graph whose state hides an unregistered model. */
    graph g = {brine_doc_new(), NULL};
    g.value = brine_dict_new(g.doc, NULL);
    brine_value *evil = brine_model_new(g.doc, "evil\nType", 9, NULL);
    brine_dict_set_str(g.value, "payload", evil, NULL);
    void *data;
    size_t len;
    brine_error err;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_save_buffer(models, reg, "native", "test.Graph", &g, NULL, &data, &len, &err),
                     BRINE_OK);
    brine_models_set_strict(models, 1);
    brine_loaded out;
    ck_assert_int_eq(brine_model_load_buffer(models, reg, NULL, data, len, "test.Graph", NULL, &out, &err),
                     BRINE_E_MODEL);
    /* The control byte cannot forge a second line in a log. */
    ck_assert_str_eq(err.message, "model type 'evil?Type' is not registered");
    ck_assert_str_eq(err.path, "$.state.payload");
    ck_assert_int_eq(from_state_calls, 0);

    /* Not strict: from_state gets the state, foreign model and all. */
    brine_models_set_strict(models, 0);
    ck_assert_int_eq(brine_model_load_buffer(models, reg, NULL, data, len, "test.Graph", NULL, &out, &err), BRINE_OK);
    ck_assert_int_eq(brine_value_equal(((graph *)out.obj)->value, g.value, 0, NULL), 1);
    brine_loaded_destroy(&out);
    brine_free(data);
    brine_doc_free(g.doc);
}
END_TEST

START_TEST(test_loading_calls_only_the_callbacks_of_the_type_in_the_file)
{
    counter c = {7, 3};
    void *data;
    size_t len;
    brine_error err;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_save_buffer(models, reg, "json", "test.Counter", &c, NULL, &data, &len, &err),
                     BRINE_OK);
    to_state_calls = 0;
    brine_loaded out;
    /* Expecting a point: refused before any callback runs. */
    ck_assert_int_eq(brine_model_load_buffer(models, reg, "json", data, len, "test.Point", NULL, &out, &err),
                     BRINE_E_MODEL);
    ck_assert_str_eq(err.message, "expected a model of type 'test.Point', found a model of type 'test.Counter'");
    ck_assert_str_eq(err.path, "$");
    ck_assert_int_eq(from_state_calls + to_state_calls + upgrade_calls + destroy_calls, 0);
    /* Any registered type: the counter's from_state, and nothing else. */
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_load_buffer(models, reg, "json", data, len, NULL, NULL, &out, &err), BRINE_OK);
    ck_assert_int_eq(((counter *)out.obj)->step, 3);
    ck_assert_int_eq(from_state_calls, 1);
    ck_assert_int_eq(to_state_calls + upgrade_calls + destroy_calls, 0);
    brine_loaded_destroy(&out);
    ck_assert_int_eq(destroy_calls, 1);
    brine_free(data);
}
END_TEST

START_TEST(test_expecting_a_model_but_finding_other_data_is_a_type_error)
{
    brine_loaded out;
    brine_error err;
    brine_error_clear(&err);
    ck_assert_int_eq(brine_model_load_buffer(models, reg, "json", "[1, 2]", 6, "test.Point", NULL, &out, &err),
                     BRINE_E_TYPE);
    ck_assert_str_eq(err.message, "expected a model of type 'test.Point', found a value of type list");
    ck_assert_str_eq(err.path, "$");
    /* Expecting a type that is not registered is the caller's mistake. */
    brine_error_clear(&err);
    static const char foreign[] = "{\"$brine\": 1, \"value\": {\"$model\": \"x.Y\", \"args\": [], \"state\": null}}";
    ck_assert_int_eq(brine_model_load_buffer(models, reg, "json", foreign, sizeof foreign - 1, "x.Y", NULL, &out, &err),
                     BRINE_E_MODEL);
    ck_assert_str_eq(err.message, "model type 'x.Y' is not registered");
    /* Expecting nothing in particular, plain data comes back as data. */
    ck_assert_int_eq(brine_model_load_buffer(models, reg, "json", "[1, 2]", 6, NULL, NULL, &out, &err), BRINE_OK);
    ck_assert_ptr_null(out.obj);
    ck_assert_uint_eq(brine_seq_count(brine_doc_root(out.data)), 2);
    brine_loaded_destroy(&out);
}
END_TEST

static Suite *model_suite(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("model");
    model_fixtures(tc);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_registered_object_round_trips_through_every_format);
    tcase_add_test(tc, test_the_saved_value_is_the_type_name_with_version_args_and_the_state);
    tcase_add_test(tc, test_save_file_picks_the_format_by_extension_and_load_file_reads_it_back);
    tcase_add_test(tc, test_an_older_version_goes_through_the_upgrade_callback);
    tcase_add_test(tc, test_an_older_version_without_upgrade_fails_naming_both_versions);
    tcase_add_test(tc, test_a_newer_version_fails_naming_both_versions);
    tcase_add_test(tc, test_a_refused_upgrade_keeps_its_error_under_the_state_path);
    tcase_add_test(tc, test_an_unregistered_type_loads_as_plain_data_and_survives_native_json_msgpack_native);
    tcase_add_test(tc, test_transcoding_a_saved_object_between_every_pair_of_formats_keeps_it_loadable);
    tcase_add_test(tc, test_shared_references_in_a_state_survive_in_formats_that_store_them);
    tcase_add_test(tc, test_a_cyclic_state_survives_native_and_is_refused_without_refs);
    tcase_add_test(tc, test_strict_loading_refuses_an_unregistered_type_naming_it);
    tcase_add_test(tc, test_strict_loading_checks_the_state_before_calling_from_state);
    tcase_add_test(tc, test_loading_calls_only_the_callbacks_of_the_type_in_the_file);
    tcase_add_test(tc, test_expecting_a_model_but_finding_other_data_is_a_type_error);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(model_suite)
