/* test_threads.c: what brine.h's THREADS section promises, under load:
 * threads that each create, load, use and free their own registry at once
 * (libltdl's globals raced here: SIGSEGV in 5 of 15 runs), and threads
 * sharing one loaded registry for lookups and codec calls. Every built-in
 * format round-trips a value in every round. BRINE_THREAD_ROUNDS scales the
 * work (the sanitizer stages of .ci/run keep the default). */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

#include "check_util.h"

#define THREADS 16

static const char *const formats[] = {"native", "msgpack", "json", "pickle"};
#define FORMAT_COUNT (sizeof formats / sizeof formats[0])

/* Rounds of the test with one registry per thread: 16 threads of 800
 * rounds crashed 8 runs in 10 before libltdl's calls were serialised (8
 * threads of 600: 4 to 7 in 10). The other tests scale from it. */
static int rounds(void)
{
    const char *s = getenv("BRINE_THREAD_ROUNDS");
    int n = s ? atoi(s) : 0;
    return n > 0 ? n : 800;
}

/* {"id": n, "name": "café n", "scores": [1.5, -2, true, None]} */
static brine_value *sample(brine_doc *doc, int n)
{
    char name[32];
    snprintf(name, sizeof name, "caf\xc3\xa9 %d", n);
    brine_value *d = brine_dict_new(doc, NULL);
    brine_value *l = brine_list_new(doc, NULL);
    brine_seq_append(l, brine_float_new(doc, 1.5, NULL), NULL);
    brine_seq_append(l, brine_int_new(doc, -2, NULL), NULL);
    brine_seq_append(l, brine_bool_new(doc, 1, NULL), NULL);
    brine_seq_append(l, brine_null_new(doc, NULL), NULL);
    brine_dict_set(d, brine_str_new_cstr(doc, "id", NULL), brine_int_new(doc, n, NULL), NULL);
    brine_dict_set(d, brine_str_new_cstr(doc, "name", NULL), brine_str_new_cstr(doc, name, NULL), NULL);
    brine_dict_set(d, brine_str_new_cstr(doc, "scores", NULL), l, NULL);
    return d;
}

/* Encodes and decodes one value with fmt; a message on failure, else NULL.
 * Messages are static: Check's assertions belong to the main thread. */
static const char *round_trip(const brine_plugin *fmt, int n)
{
    brine_error err;
    brine_error_clear(&err);
    const char *why = NULL;
    brine_doc *doc = brine_doc_new();
    brine_value *v = doc ? sample(doc, n) : NULL;
    void *data = NULL;
    size_t len = 0;
    if (!v)
        why = "could not build the sample";
    else if (brine_encode_buffer(fmt, v, NULL, &data, &len, &err) != BRINE_OK)
        why = "encoding failed";
    else {
        brine_doc *back = brine_decode_buffer(fmt, data, len, NULL, &err);
        if (!back)
            why = "decoding failed";
        else if (brine_value_equal(v, brine_doc_root(back), 0, NULL) != 1)
            why = "the value came back different";
        brine_doc_free(back);
    }
    brine_free(data);
    brine_doc_free(doc);
    return why;
}

typedef struct worker {
    pthread_t thread;
    brine_registry *shared; /* NULL: the worker loads its own registries */
    int rounds;
    int id;
    char failure[400]; /* the first failure, empty when none */
} worker;

static void note_failure(worker *w, const char *what, const char *format, int round)
{
    if (!w->failure[0])
        snprintf(w->failure, sizeof w->failure, "thread %d, round %d, %s: %s", w->id, round, format, what);
}

/* One round with reg: every format found by name, by extension and by
 * its first bytes, and round-tripped. */
static void use_registry(worker *w, const brine_registry *reg, int round)
{
    for (size_t i = 0; i < FORMAT_COUNT; i++) {
        const brine_plugin *fmt = brine_registry_find(reg, formats[i]);
        if (!fmt) {
            note_failure(w, "not loaded", formats[i], round);
            continue;
        }
        if (fmt->extensions && fmt->extensions[0] && brine_registry_find_extension(reg, fmt->extensions[0]) != fmt)
            note_failure(w, "not found by its extension", formats[i], round);
        const char *why = round_trip(fmt, w->id * 100000 + round);
        if (why)
            note_failure(w, why, formats[i], round);
    }
    if (brine_registry_sniff(reg, "{\"id\": 1}", 9) != brine_registry_find(reg, "json"))
        note_failure(w, "json not recognised by its first bytes", "sniff", round);
}

static void *own_registries(void *arg)
{
    worker *w = arg;
    for (int r = 0; r < w->rounds && !w->failure[0]; r++) {
        brine_error err;
        brine_error_clear(&err);
        brine_registry *reg = brine_registry_new(&err);
        if (!reg || brine_registry_load(reg, &err) != BRINE_OK)
            note_failure(w, err.message, "load", r);
        else if (brine_registry_failure_count(reg))
            note_failure(w, brine_registry_failure(reg, 0, NULL), "load", r);
        else
            use_registry(w, reg, r);
        brine_registry_free(reg);
    }
    return NULL;
}

static void *shared_registry(void *arg)
{
    worker *w = arg;
    for (int r = 0; r < w->rounds && !w->failure[0]; r++)
        use_registry(w, w->shared, r);
    return NULL;
}

static void run_workers(brine_registry *shared, int round_count, void *(*fn)(void *))
{
    worker w[THREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < THREADS; i++) {
        w[i].shared = shared;
        w[i].rounds = round_count;
        w[i].id = i;
        ck_assert_int_eq(pthread_create(&w[i].thread, NULL, fn, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_join(w[i].thread, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        ck_assert_msg(!w[i].failure[0], "%s", w[i].failure);
}

START_TEST(test_threads_each_loading_and_freeing_their_own_registry_do_not_interfere)
{
    run_workers(NULL, rounds(), own_registries);
}
END_TEST

START_TEST(test_threads_share_one_loaded_registry_for_lookups_and_codecs)
{
    brine_error err;
    brine_error_clear(&err);
    brine_registry *reg = brine_registry_new(&err);
    ck_assert_ptr_nonnull(reg);
    ck_assert_int_eq(brine_registry_load(reg, &err), BRINE_OK);
    run_workers(reg, rounds(), shared_registry);
    brine_registry_free(reg);
}
END_TEST

/* A shared registry while other threads load and free theirs: the
 * shared one's plugins stay loaded whatever the others unload. */
START_TEST(test_a_shared_registry_survives_others_being_freed)
{
    brine_error err;
    brine_error_clear(&err);
    brine_registry *reg = brine_registry_new(&err);
    ck_assert_ptr_nonnull(reg);
    ck_assert_int_eq(brine_registry_load(reg, &err), BRINE_OK);
    worker w[THREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < THREADS; i++) {
        w[i].shared = i % 2 ? reg : NULL;
        w[i].rounds = i % 2 ? rounds() / 2 : rounds() / 5;
        w[i].id = i;
        ck_assert_int_eq(pthread_create(&w[i].thread, NULL, i % 2 ? shared_registry : own_registries, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_join(w[i].thread, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        ck_assert_msg(!w[i].failure[0], "%s", w[i].failure);
    brine_registry_free(reg);
}
END_TEST

int main(void)
{
    /* One case each, so that CK_RUN_CASE can run one alone. */
    const struct {
        const char *name;
        const TTest *test;
    } cases[] = {
        {"own", test_threads_each_loading_and_freeing_their_own_registry_do_not_interfere},
        {"shared", test_threads_share_one_loaded_registry_for_lookups_and_codecs},
        {"mixed", test_a_shared_registry_survives_others_being_freed},
    };
    Suite *s = suite_create("threads");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    return run_suite(s);
}
