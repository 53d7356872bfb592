/* test_registry.c: loading plugins and finding formats: the search path and
 * its order, lookups by name, extension, MIME type and sniffing, and every
 * loader fault, each with its message. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <brine/format.h>

#include "check_util.h"

#define LIBS BRINE_TEST_BUILDDIR "/.libs/"

static char tmp[256];

static void make_tmp(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/brine-registry-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    unsetenv("BRINE_PLUGIN_PATH");
}

static void remove_tmp(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    ck_assert_int_eq(system(cmd), 0);
}

/* Copies file to tmp/sub/name, creating tmp/sub; returns the directory. */
static const char *plant(const char *sub, const char *file, const char *name)
{
    static char dir[300];
    char cmd[1000];
    snprintf(dir, sizeof dir, "%s/%s", tmp, sub);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s' '%s/%s'", dir, file, dir, name);
    ck_assert_int_eq(system(cmd), 0);
    return dir;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    fclose(fp);
}

/* The reason recorded for file, or NULL. */
static const char *failure_for(brine_registry *reg, const char *file)
{
    for (size_t i = 0; i < brine_registry_failure_count(reg); i++) {
        const char *f;
        const char *why = brine_registry_failure(reg, i, &f);
        if (strstr(f, file))
            return why;
    }
    return NULL;
}

START_TEST(test_the_build_tree_plugins_load_without_any_variable)
{
    brine_error err;
    brine_error_clear(&err);
    brine_registry *reg = brine_registry_new(&err);
    ck_assert_int_eq(brine_registry_load(reg, &err), BRINE_OK);
    const char *names[] = {"native", "msgpack", "json"};
    for (size_t i = 0; i < 3; i++) {
        const brine_plugin *p = brine_registry_find(reg, names[i]);
        ck_assert_msg(p != NULL, "format %s not loaded", names[i]);
        ck_assert_str_eq(p->name, names[i]);
    }
    ck_assert_uint_eq(brine_registry_failure_count(reg), 0);
    brine_registry_free(reg);
}
END_TEST

START_TEST(test_lookups_by_name_extension_mime_and_sniffing)
{
    brine_error err;
    brine_error_clear(&err);
    brine_registry *reg = brine_registry_new(&err);
    ck_assert_int_eq(brine_registry_load_file(reg, LIBS "evtext.so", &err), BRINE_OK);
    const brine_plugin *ev = brine_registry_find(reg, "evtext");
    ck_assert_ptr_nonnull(ev);
    ck_assert_ptr_null(brine_registry_find(reg, "evtex"));
    ck_assert_ptr_eq(brine_registry_find_extension(reg, "evtext"), ev);
    ck_assert_ptr_eq(brine_registry_find_extension(reg, ".EVTEXT"), ev);
    ck_assert_ptr_eq(brine_registry_find_extension(reg, "dir.d/data.evtext"), ev);
    ck_assert_ptr_null(brine_registry_find_extension(reg, "evtext.d/data"));
    ck_assert_ptr_null(brine_registry_find_extension(reg, "data.json"));
    ck_assert_ptr_eq(brine_registry_find_mime(reg, "application/x-evtext"), ev);
    ck_assert_ptr_eq(brine_registry_sniff(reg, "[3 i1", 5), ev);
    ck_assert_ptr_null(brine_registry_sniff(reg, "hello", 5));
    ck_assert_uint_eq(brine_registry_count(reg), 1);
    ck_assert_str_eq(brine_registry_origin(reg, 0), LIBS "evtext.so");
    brine_registry_free(reg);
}
END_TEST

START_TEST(test_a_file_that_is_not_a_library_is_reported)
{
    make_tmp();
    char path[300];
    snprintf(path, sizeof path, "%s/garbage.so", tmp);
    write_file(path, "this is not a shared object\n");
    brine_error err;
    brine_error_clear(&err);
    brine_registry *reg = brine_registry_new(&err);
    ck_assert_int_eq(brine_registry_load_file(reg, path, &err), BRINE_E_PLUGIN);
    ck_assert_ptr_nonnull(strstr(err.message, "/garbage.so: not a shared library"));
    ck_assert_str_eq(brine_registry_failure(reg, 0, NULL), "not a shared library");
    ck_assert_uint_eq(brine_registry_failure_count(reg), 1);
    ck_assert_uint_eq(brine_registry_count(reg), 0);
    brine_registry_free(reg);
    remove_tmp();
}
END_TEST

START_TEST(test_a_library_without_the_entry_point_is_reported)
{
    brine_error err;
    brine_error_clear(&err);
    brine_registry *reg = brine_registry_new(&err);
    ck_assert_int_eq(brine_registry_load_file(reg, LIBS "noentry.so", &err), BRINE_E_PLUGIN);
    ck_assert_str_eq(brine_registry_failure(reg, 0, NULL), "not a brine plugin: it has no brine_plugin_entry function");
    brine_registry_free(reg);
}
END_TEST

START_TEST(test_a_plugin_built_for_another_abi_is_refused_naming_both_versions)
{
    brine_error err;
    brine_error_clear(&err);
    brine_registry *reg = brine_registry_new(&err);
    ck_assert_int_eq(brine_registry_load_file(reg, LIBS "badabi.so", &err), BRINE_E_PLUGIN);
    ck_assert_str_eq(brine_registry_failure(reg, 0, NULL), "built for plugin ABI 999, but this libbrine speaks ABI 1");
    ck_assert_ptr_null(brine_registry_find(reg, "badabi"));
    brine_registry_free(reg);
}
END_TEST

START_TEST(test_a_descriptor_with_inconsistent_capabilities_is_refused)
{
    static const char *const exts[] = {"x", NULL};
    static const brine_plugin liar = {
        .abi = BRINE_PLUGIN_ABI,
        .size = sizeof(brine_plugin),
        .name = "liar",
        .extensions = exts,
        .caps = BRINE_CAP_DECODE,
    };
    brine_error err;
    brine_error_clear(&err);
    brine_registry *reg = brine_registry_new(&err);
    ck_assert_int_eq(brine_registry_add(reg, &liar, "test", &err), BRINE_E_PLUGIN);
    ck_assert_str_eq(err.message, "test: it claims to decode but has no decode function");
    brine_registry_free(reg);
}
END_TEST

START_TEST(test_the_earlier_of_two_plugins_with_one_name_wins_and_the_later_is_reported)
{
    make_tmp();
    const char *first = plant("a", LIBS "evdup.so", "evdup.so");
    char first_dir[300];
    snprintf(first_dir, sizeof first_dir, "%s", first);
    const char *second = plant("b", LIBS "evtext.so", "evtext.so");
    brine_error err;
    brine_error_clear(&err);
    brine_registry *reg = brine_registry_new(&err);
    brine_registry_add_dir(reg, first_dir, &err);
    brine_registry_add_dir(reg, second, &err);
    ck_assert_int_eq(brine_registry_load(reg, &err), BRINE_OK);
    const brine_plugin *ev = brine_registry_find(reg, "evtext");
    ck_assert_ptr_nonnull(ev);
    for (size_t i = 0; i < brine_registry_count(reg); i++)
        if (brine_registry_get(reg, i) == ev)
            ck_assert_ptr_nonnull(strstr(brine_registry_origin(reg, i), "/a/evdup.so"));
    for (size_t i = 0; i < brine_registry_count(reg); i++)
        if (brine_registry_get(reg, i) == ev)
            ck_assert_ptr_nonnull(strstr(brine_registry_shadowed(reg, i), "/b/evtext.so"));
    const char *why = failure_for(reg, "/b/evtext.so");
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "a format named 'evtext' is already loaded from "));
    ck_assert_ptr_nonnull(strstr(why, "/a/evdup.so; this one is ignored"));
    brine_registry_free(reg);
    remove_tmp();
}
END_TEST

START_TEST(test_added_directories_come_before_the_environment_path)
{
    make_tmp();
    char env_dir[300];
    snprintf(env_dir, sizeof env_dir, "%s", plant("env", LIBS "evtext.so", "evtext.so"));
    const char *api_dir = plant("api", LIBS "evdup.so", "evdup.so");
    char path[700];
    snprintf(path, sizeof path, "/nonexistent:%s", env_dir);
    setenv("BRINE_PLUGIN_PATH", path, 1);
    brine_error err;
    brine_error_clear(&err);
    brine_registry *reg = brine_registry_new(&err);
    brine_registry_add_dir(reg, api_dir, &err);
    ck_assert_int_eq(brine_registry_load(reg, &err), BRINE_OK);
    ck_assert_ptr_nonnull(failure_for(reg, "/env/evtext.so"));
    ck_assert_ptr_null(failure_for(reg, "/api/evdup.so"));
    brine_registry_free(reg);

    /* Without the added directory, the environment's plugin is the one. */
    reg = brine_registry_new(&err);
    ck_assert_int_eq(brine_registry_load(reg, &err), BRINE_OK);
    ck_assert_ptr_nonnull(brine_registry_find(reg, "evtext"));
    ck_assert_ptr_null(failure_for(reg, "/env/evtext.so"));
    brine_registry_free(reg);
    unsetenv("BRINE_PLUGIN_PATH");
    remove_tmp();
}
END_TEST

START_TEST(test_files_without_a_library_suffix_are_not_plugins)
{
    make_tmp();
    const char *dir = plant("p", LIBS "evtext.so", "evtext.so");
    char path[400];
    snprintf(path, sizeof path, "%s/README", dir);
    write_file(path, "notes\n");
    brine_error err;
    brine_error_clear(&err);
    brine_registry *reg = brine_registry_new(&err);
    brine_registry_add_dir(reg, dir, &err);
    ck_assert_int_eq(brine_registry_load(reg, &err), BRINE_OK);
    ck_assert_ptr_null(failure_for(reg, "README"));
    ck_assert_ptr_nonnull(brine_registry_find(reg, "evtext"));
    brine_registry_free(reg);
    remove_tmp();
}
END_TEST

START_TEST(test_removing_a_plugin_file_removes_its_format)
{
    make_tmp();
    const char *dir = plant("p", LIBS "evtext.so", "evtext.so");
    char path[400];
    snprintf(path, sizeof path, "%s/evtext.so", dir);
    setenv("BRINE_PLUGIN_PATH", dir, 1);
    brine_error err;
    brine_error_clear(&err);
    brine_registry *reg = brine_registry_new(&err);
    brine_registry_load(reg, &err);
    ck_assert_ptr_nonnull(brine_registry_find(reg, "evtext"));
    brine_registry_free(reg);
    ck_assert_int_eq(unlink(path), 0);
    reg = brine_registry_new(&err);
    brine_registry_load(reg, &err);
    ck_assert_ptr_null(brine_registry_find(reg, "evtext"));
    brine_registry_free(reg);
    unsetenv("BRINE_PLUGIN_PATH");
    remove_tmp();
}
END_TEST

/* Loads dir alone (no environment path) into a fresh registry. */
static brine_registry *load_only(const char *dir)
{
    brine_error err;
    brine_error_clear(&err);
    brine_registry *reg = brine_registry_new(&err);
    ck_assert_ptr_nonnull(reg);
    ck_assert_int_eq(brine_registry_add_dir(reg, dir, &err), BRINE_OK);
    ck_assert_int_eq(brine_registry_load(reg, &err), BRINE_OK);
    return reg;
}

/* A FIFO named like a plugin hung every command in lt_dlopen's read. */
START_TEST(test_a_fifo_named_like_a_plugin_is_skipped_without_blocking)
{
    make_tmp();
    char dir[300], fifo[400];
    snprintf(dir, sizeof dir, "%s", plant("p", LIBS "evtext.so", "evtext.so"));
    snprintf(fifo, sizeof fifo, "%s/x.so", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    alarm(10); /* a hang fails the test instead of the run */
    brine_registry *reg = load_only(dir);
    alarm(0);
    ck_assert_str_eq(failure_for(reg, "/p/x.so"), "not a regular file");
    ck_assert_ptr_nonnull(brine_registry_find(reg, "evtext"));
    brine_registry_free(reg);
    remove_tmp();
}
END_TEST

static const struct {
    mode_t file_mode, dir_mode;
    const char *reason; /* after the directory's name when it has %s */
} writable_cases[] = {
    {0666, 0755, "refused: anyone may write to the file (mode 0666)"},
    {0646, 0700, "refused: anyone may write to the file (mode 0646)"},
    {0644, 0777, "refused: anyone may write to its directory %s (mode 0777)"},
    /* Sticky or not: anyone may add a plugin of their own there. */
    {0644, 01777, "refused: anyone may write to its directory %s (mode 1777)"},
    {0644, 0775, NULL}, /* group-writable: the group is trusted, as by libltdl users */
};

START_TEST(test_a_plugin_anyone_may_write_or_replace_is_refused)
{
    make_tmp();
    char dir[300], file[400], expect[600];
    snprintf(dir, sizeof dir, "%s", plant("p", LIBS "evtext.so", "evtext.so"));
    snprintf(file, sizeof file, "%s/evtext.so", dir);
    ck_assert_int_eq(chmod(file, writable_cases[_i].file_mode), 0);
    ck_assert_int_eq(chmod(dir, writable_cases[_i].dir_mode), 0);
    brine_registry *reg = load_only(dir);
    const char *why = failure_for(reg, "/p/evtext.so");
    if (writable_cases[_i].reason) {
        snprintf(expect, sizeof expect, writable_cases[_i].reason, dir);
        ck_assert_pstr_eq(why, expect);
        ck_assert_ptr_null(brine_registry_find(reg, "evtext"));
    } else {
        ck_assert_pstr_eq(why, NULL);
        ck_assert_ptr_nonnull(brine_registry_find(reg, "evtext"));
    }
    brine_registry_free(reg);
    chmod(dir, 0700);
    remove_tmp();
}
END_TEST

/* Loading one file by path applies the same rule. */
START_TEST(test_loading_a_world_writable_file_by_path_is_refused)
{
    make_tmp();
    char file[400];
    snprintf(file, sizeof file, "%s/evtext.so", plant("p", LIBS "evtext.so", "evtext.so"));
    ck_assert_int_eq(chmod(file, 0666), 0);
    brine_error err;
    brine_error_clear(&err);
    brine_registry *reg = brine_registry_new(&err);
    ck_assert_int_eq(brine_registry_load_file(reg, file, &err), BRINE_E_PLUGIN);
    ck_assert_ptr_nonnull(strstr(err.message, "/p/evtext.so: refused: anyone may write to the file (mode 0666)"));
    brine_registry_free(reg);
    remove_tmp();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("registry");
    tcase_add_test(tc, test_the_build_tree_plugins_load_without_any_variable);
    tcase_add_test(tc, test_lookups_by_name_extension_mime_and_sniffing);
    tcase_add_test(tc, test_a_file_that_is_not_a_library_is_reported);
    tcase_add_test(tc, test_a_library_without_the_entry_point_is_reported);
    tcase_add_test(tc, test_a_plugin_built_for_another_abi_is_refused_naming_both_versions);
    tcase_add_test(tc, test_a_descriptor_with_inconsistent_capabilities_is_refused);
    tcase_add_test(tc, test_the_earlier_of_two_plugins_with_one_name_wins_and_the_later_is_reported);
    tcase_add_test(tc, test_added_directories_come_before_the_environment_path);
    tcase_add_test(tc, test_files_without_a_library_suffix_are_not_plugins);
    tcase_add_test(tc, test_removing_a_plugin_file_removes_its_format);
    tcase_add_test(tc, test_a_fifo_named_like_a_plugin_is_skipped_without_blocking);
    tcase_add_loop_test(tc, test_a_plugin_anyone_may_write_or_replace_is_refused, 0,
                        sizeof writable_cases / sizeof writable_cases[0]);
    tcase_add_test(tc, test_loading_a_world_writable_file_by_path_is_refused);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
