/* check_util.c: the test kit declared in check_util.h. The fixtures remember
 * the test file's handles here, once per program, when the suite is built:
 * Check runs setup and teardown without arguments, and a forked test
 * inherits this state from the runner. */
#include "check_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <sys/stat.h>

static struct {
    brine_registry **reg;
    const test_format *formats;
} rf;

static struct {
    brine_doc **doc;
    brine_error *err;
} df;

void registry_fixture(TCase *tc, brine_registry **reg, const test_format *formats)
{
    rf.reg = reg;
    rf.formats = formats;
    tcase_add_checked_fixture(tc, registry_setup, registry_teardown);
}

void registry_setup(void)
{
    brine_error err;
    brine_error_clear(&err);
    ck_assert_msg(rf.reg != NULL, "registry_setup before registry_fixture");
    *rf.reg = brine_registry_new(&err);
    ck_assert_msg(*rf.reg != NULL, "brine_registry_new: %s", err.message);
    ck_assert_msg(brine_registry_load(*rf.reg, &err) == BRINE_OK, "brine_registry_load: %s", err.message);
    for (const test_format *f = rf.formats; f && f->name; f++) {
        if (f->file)
            ck_assert_msg(brine_registry_load_file(*rf.reg, f->file, &err) == BRINE_OK, "loading %s: %s", f->file,
                          err.message);
        const brine_plugin *found = brine_registry_find(*rf.reg, f->name);
        if (f->plugin)
            *f->plugin = found;
        ck_assert_msg(found != NULL, "the %s plugin was not found (BRINE_PLUGIN_PATH=%s)", f->name,
                      getenv("BRINE_PLUGIN_PATH") ? getenv("BRINE_PLUGIN_PATH") : "");
    }
}

void registry_teardown(void)
{
    brine_registry_free(*rf.reg);
    *rf.reg = NULL;
    for (const test_format *f = rf.formats; f && f->name; f++)
        if (f->plugin)
            *f->plugin = NULL;
}

static void doc_setup(void)
{
    *df.doc = brine_doc_new();
    ck_assert_ptr_nonnull(*df.doc);
    brine_error_clear(df.err);
}

static void doc_teardown(void)
{
    brine_doc_free(*df.doc);
    *df.doc = NULL;
}

void doc_fixture(TCase *tc, brine_doc **doc, brine_error *err)
{
    df.doc = doc;
    df.err = err;
    tcase_add_checked_fixture(tc, doc_setup, doc_teardown);
}

brine_value *I(int64_t i)
{
    return brine_int_new(*df.doc, i, NULL);
}

brine_value *S(const char *s)
{
    return brine_str_new_cstr(*df.doc, s, NULL);
}

brine_value *F(double f)
{
    return brine_float_new(*df.doc, f, NULL);
}

const brine_options *opts_of(test_opts *t, const char *list, size_t max_depth)
{
    memset(t, 0, sizeof *t);
    t->o.max_depth = max_depth;
    t->o.items = t->items;
    snprintf(t->buf, sizeof t->buf, "%s", list ? list : "");
    for (char *p = strtok(t->buf, ","); p && t->o.count < 8; p = strtok(NULL, ","))
        t->items[t->o.count++] = p;
    return &t->o;
}

brine_doc *decode_with(const brine_plugin *fmt, const void *data, size_t len, const char *list, size_t max_depth,
                       brine_error *err)
{
    test_opts t;
    brine_error_clear(err);
    return brine_decode_buffer(fmt, data, len, opts_of(&t, list, max_depth), err);
}

void *encode_with(const brine_plugin *fmt, const brine_value *v, const char *list, size_t max_depth, size_t *len,
                  brine_error *err)
{
    test_opts t;
    void *data = NULL;
    size_t n = 0;
    brine_error_clear(err);
    if (brine_encode_buffer(fmt, v, opts_of(&t, list, max_depth), &data, &n, err) != BRINE_OK)
        return NULL;
    if (len)
        *len = n;
    return data;
}

void expect_error_at(const char *file, int line, const brine_error *err, int code, uint64_t offset, const char *path,
                     const char *message)
{
    /* Every mismatch prints the whole error: the one field asked about
     * rarely explains itself. */
    char got[BRINE_ERROR_TEXT + BRINE_ERROR_PATH + 64];
    snprintf(got, sizeof got, "code %d, offset %llu, path '%s', message '%s'", err->code,
             (unsigned long long)err->offset, err->path, err->message);
    ck_assert_msg(err->code == code, "%s:%d: expected code %d, got %s", file, line, code, got);
    ck_assert_msg(offset == ANY_OFFSET || err->offset == offset, "%s:%d: expected offset %llu, got %s", file, line,
                  (unsigned long long)offset, got);
    ck_assert_msg(!path || strcmp(err->path, path) == 0, "%s:%d: expected path '%s', got %s", file, line,
                  path ? path : "", got);
    ck_assert_msg(!message || strcmp(err->message, message) == 0, "%s:%d: expected message '%s', got %s", file, line,
                  message ? message : "", got);
    ck_assert_msg(code == BRINE_OK || err->message[0] != '\0', "%s:%d: an error without a message: %s", file, line,
                  got);
}

long alloc_calls, alloc_fail_at, alloc_live;

void *failing_malloc(size_t size)
{
    if (++alloc_calls == alloc_fail_at)
        return NULL;
    void *p = malloc(size);
    if (p)
        alloc_live++;
    return p;
}

void *failing_realloc(void *ptr, size_t size)
{
    if (++alloc_calls == alloc_fail_at)
        return NULL;
    void *p = realloc(ptr, size);
    if (p && !ptr)
        alloc_live++;
    return p;
}

void counting_free(void *ptr)
{
    if (ptr)
        alloc_live--;
    free(ptr);
}

int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

unsigned char *read_test_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    size_t cap = 4096, n = 0, got;
    unsigned char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    while ((got = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n == cap) {
            buf = realloc(buf, cap *= 2);
            ck_assert_ptr_nonnull(buf);
        }
    }
    fclose(fp);
    buf[n] = 0; /* n < cap: the loop grows the buffer whenever it fills */
    *len = n;
    return buf;
}

int expect_same_decodes(const char *what, const brine_plugin *native, const test_decode *a, const test_decode *b,
                        int plugin_message_may_differ)
{
    const brine_error *e1 = &a->err, *e2 = &b->err;
    if (!a->doc || !b->doc) {
        if (a->doc || b->doc) {
            const test_decode *failed = a->doc ? b : a;
            ck_abort_msg("%s: only the %s decode failed: %s (offset %llu, %s)", what, failed->label,
                         failed->err.message, (unsigned long long)failed->err.offset, failed->err.path);
        }
        if (e1->code != e2->code || e1->offset != e2->offset || strcmp(e1->path, e2->path) != 0 ||
            ((e1->code != BRINE_E_PLUGIN || !plugin_message_may_differ) && strcmp(e1->message, e2->message) != 0))
            ck_abort_msg("%s: %s: %s %llu %s '%s'; %s: %s %llu %s '%s'", what, a->label, brine_strerror(e1->code),
                         (unsigned long long)e1->offset, e1->path, e1->message, b->label, brine_strerror(e2->code),
                         (unsigned long long)e2->offset, e2->path, e2->message);
        return 0;
    }
    brine_value *r1 = brine_doc_root(a->doc), *r2 = brine_doc_root(b->doc);
    brine_error err;
    if (brine_value_equal(r1, r2, 0, &err) != 1)
        ck_abort_msg("%s: the %s and %s graphs differ", what, a->label, b->label);
    if (brine_value_kinds(r1) != brine_value_kinds(r2))
        ck_abort_msg("%s: kinds %#x (%s) and %#x (%s)", what, brine_value_kinds(r1), a->label,
                     brine_value_kinds(r2), b->label);
    size_t n1 = 0, n2 = 0;
    void *b1 = encode_with(native, r1, NULL, 0, &n1, NULL), *b2 = encode_with(native, r2, NULL, 0, &n2, NULL);
    if ((b1 == NULL) != (b2 == NULL) || n1 != n2 || (b1 && memcmp(b1, b2, n1) != 0))
        ck_abort_msg("%s: the sharing differs (native encodings of %zu and %zu bytes)", what, n1, n2);
    brine_free(b1);
    brine_free(b2);
    return 1;
}

static int has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), m = suffix ? strlen(suffix) : 0;
    return n >= m && strcmp(name + n - m, suffix ? suffix : "") == 0;
}

int for_each_test_file(const char *dir, const char *suffix, int recurse, test_file_fn *fn, void *ctx)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return 0;
    int used = 0;
    struct dirent *de;
    while ((de = readdir(dp))) {
        char path[1024];
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        ck_assert_msg(stat(path, &st) == 0, "cannot stat %s", path);
        if (S_ISDIR(st.st_mode)) {
            if (recurse)
                used += for_each_test_file(path, suffix, recurse, fn, ctx);
            continue;
        }
        if (!has_suffix(de->d_name, suffix))
            continue;
        size_t len;
        unsigned char *data = read_test_file(path, &len);
        used += fn(path, data, len, ctx);
        free(data);
    }
    closedir(dp);
    return used;
}

brine_doc *decode_events(const brine_plugin *fmt, const void *data, size_t len, const brine_options *opts,
                         brine_error *err)
{
    brine_source src;
    brine_error_clear(err);
    brine_doc *doc = brine_doc_new();
    REQUIRE(doc != NULL);
    brine_doc_set_max_depth(doc, brine_options_max_depth(opts));
    brine_sink *b = brine_builder_new(doc, brine_options_max_depth(opts), err);
    REQUIRE(b != NULL);
    brine_source_init_buffer(&src, data, len);
    int rc = fmt->decode(&src, b, opts, err);
    if (rc == BRINE_OK)
        rc = b->finish(b);
    if (rc == BRINE_OK)
        rc = brine_doc_set_root(doc, brine_builder_value(b), err);
    b->destroy(b);
    if (rc != BRINE_OK) {
        if (err->offset == BRINE_NO_OFFSET)
            err->offset = brine_source_offset(&src);
        brine_doc_free(doc);
        return NULL;
    }
    return doc;
}
