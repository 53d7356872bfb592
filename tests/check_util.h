/* check_util.h: the test kit every Check program builds on (check_util.c
 * is linked into each): the registry and document fixtures, options from a
 * comma-separated list, expect_error for an error's code, offset, path and
 * message, small value builders, a failing allocator, and the runner behind
 * main. Fixtures keep their handles in the test file's own statics, so a
 * test body reads the names its file declares. docs/testing.md shows a
 * program written with it. */
#ifndef BRINE_TEST_CHECK_UTIL_H
#define BRINE_TEST_CHECK_UTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include <brine/format.h>

/* ---- the registry fixture ---------------------------------------------- */

/* A format the registry fixture finds (and, for a test-only module, loads
 * from file first) and stores in *plugin (NULL: only checks it is there).
 * A table of them ends with {0}. */
typedef struct test_format {
    const char *name;            /* the format's registered name */
    const brine_plugin **plugin; /* where the fixture stores it, or NULL */
    const char *file;            /* a plugin file to load first, or NULL */
} test_format;

/* Adds to tc the fixture that, before each test, creates *reg, loads the
 * in-tree plugins (brine_registry_load: the build tree's, or those on
 * BRINE_PLUGIN_PATH), then each file of formats, and finds each format
 * (failing the test, naming it, where one is missing); after the test it
 * frees *reg. reg and formats (NULL: none) must outlive the run. */
void registry_fixture(TCase *tc, brine_registry **reg, const test_format *formats);

/* The fixture's two halves, for a program whose own fixture builds on it
 * or a test that sets up by hand (after registry_fixture named them). */
void registry_setup(void);
void registry_teardown(void);

/* ---- the document fixture ---------------------------------------------- */

/* Adds to tc the fixture that gives each test a new, empty *doc and a
 * cleared *err, and frees *doc after it. */
void doc_fixture(TCase *tc, brine_doc **doc, brine_error *err);

/* Values in the document fixture's document (NULL when out of memory). */
brine_value *I(int64_t i);
brine_value *S(const char *s);
brine_value *F(double f);

/* ---- options and errors ------------------------------------------------ */

/* Options from a comma-separated list ("" or NULL for none) and a depth
 * limit (0: the default), stored in t (at most 8 items of 255 bytes). */
typedef struct test_opts {
    brine_options o;
    char buf[256];
    const char *items[8];
} test_opts;

const brine_options *opts_of(test_opts *t, const char *list, size_t max_depth);

/* Decodes len bytes with fmt and the options of opts_of(list, max_depth);
 * err is cleared first. */
brine_doc *decode_with(const brine_plugin *fmt, const void *data, size_t len, const char *list, size_t max_depth,
                       brine_error *err);

/* Decodes len bytes as brine_decode does, but through fmt's event decoder
 * (fmt->decode into a builder sink) even when fmt has a direct one, with
 * opts; NULL with err filled (its offset the source's when the error has
 * none). For the differential tests of the two paths (#23). */
brine_doc *decode_events(const brine_plugin *fmt, const void *data, size_t len, const brine_options *opts,
                         brine_error *err);

/* Encodes v with fmt into a buffer (free with brine_free; its length in
 * *len unless len is NULL), or NULL with err filled. */
void *encode_with(const brine_plugin *fmt, const brine_value *v, const char *list, size_t max_depth, size_t *len,
                  brine_error *err);

/* An offset expect_error does not check: for a test that cannot know it.
 * BRINE_NO_OFFSET (an error with no offset) is checked like any other. */
#define ANY_OFFSET (BRINE_NO_OFFSET - 1)

/* Asserts that err holds this code, offset, path and message (exactly).
 * NULL path or message: not checked, where a test truly cannot know it;
 * an error (code not BRINE_OK) must still carry a message. A failure
 * names what differed and shows the whole error. */
#define expect_error(err, code, offset, path, message)                                                                 \
    expect_error_at(__FILE__, __LINE__, (err), (code), (offset), (path), (message))
void expect_error_at(const char *file, int line, const brine_error *err, int code, uint64_t offset, const char *path,
                     const char *message);

/* The whole file at path (a failed assertion if it cannot be read), with a
 * NUL after its *len bytes; free() it. */
unsigned char *read_test_file(const char *path, size_t *len);

/* One decode of an input for expect_same_decodes: its document, or NULL
 * and its error; label names the way it was made ("direct", "events"). */
typedef struct {
    const char *label;
    brine_doc *doc;
    brine_error err;
} test_decode;

/* Asserts two decodes of one input (what names it) agree: both failed with
 * the same code, offset, path and message (any message for BRINE_E_PLUGIN
 * when plugin_message_may_differ: a plugin's broken promise is worded by
 * whoever caught it), or both made graphs equal in values, kinds and
 * sharing (their encodings with native, which writes anchors, are the
 * same). Returns 1 when both decoded, 0 when both failed. */
int expect_same_decodes(const char *what, const brine_plugin *native, const test_decode *a, const test_decode *b,
                        int plugin_message_may_differ);

/* Calls fn(path, data, len, ctx) for every file of dir whose name does not
 * start with a dot and ends with suffix (NULL: any), in readdir's order,
 * with the file read whole (read_test_file); subdirectories too when
 * recurse (a file that cannot be read fails the test). fn returns 1 for a
 * file it used, 0 for one it skipped; the count of used files is returned
 * (0 when dir cannot be opened). */
typedef int test_file_fn(const char *path, const unsigned char *data, size_t len, void *ctx);
int for_each_test_file(const char *dir, const char *suffix, int recurse, test_file_fn *fn, void *ctx);

/* An assertion for hot loops: Check records every ck_assert (a write per
 * call), which makes a million of them slow; this one costs nothing until
 * it fails. */
#define REQUIRE(cond)                                                                                                  \
    do {                                                                                                               \
        if (!(cond))                                                                                                   \
            ck_abort_msg("%s:%d: failed: %s", __FILE__, __LINE__, #cond);                                              \
    } while (0)

/* ---- allocation failures ---------------------------------------------- */

/* An allocator for brine_set_allocator that fails call number
 * alloc_fail_at (counting malloc and realloc calls in alloc_calls; 0:
 * never) and counts the blocks alive in alloc_live, so that a test can
 * check that a failed operation freed all it took. */
extern long alloc_calls, alloc_fail_at, alloc_live;
void *failing_malloc(size_t size);
void *failing_realloc(void *ptr, size_t size);
void counting_free(void *ptr);

/* ---- the runner -------------------------------------------------------- */

/* Runs s as every test program does (CK_NORMAL output; CK_FORK,
 * CK_RUN_SUITE, CK_RUN_CASE, CK_DEFAULT_TIMEOUT and the other CK_*
 * variables work as Check documents them) and returns the exit status:
 * EXIT_SUCCESS when no test failed. */
int run_suite(Suite *s);

/* The main of a program that only runs suite_fn(). */
#define TEST_MAIN(suite_fn)                                                                                            \
    int main(void)                                                                                                     \
    {                                                                                                                  \
        return run_suite(suite_fn());                                                                                  \
    }

#endif /* BRINE_TEST_CHECK_UTIL_H */
