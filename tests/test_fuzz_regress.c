/* test_fuzz_regress.c: the inputs the fuzzers found, kept as regression
 * tests. data/fuzz/cases.tsv lists each file of data/fuzz/<format>/ with
 * what to do with it (decode, round trip, or transcode into another format)
 * and the result it must give: ok, or an error's code, offset and path.
 * Each row is one loop iteration, named in failure messages by its file. */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>
#include <brine/pickle.h>

#include "check_util.h"

#ifndef BRINE_TEST_DATA
#error "BRINE_TEST_DATA must name the data directory"
#endif

#define MAX_CASES 512
#define MAX_OPTS 8

typedef struct fcase {
    int line;          /* in cases.tsv, for messages */
    char file[256];    /* under data/fuzz/ */
    char format[32];   /* the file's directory */
    char options[256]; /* comma-separated, "" for none */
    char what[64];     /* decode, roundtrip, to FORMAT */
    char expect[512];  /* ok, or CODE OFFSET PATH */
} fcase;

static fcase cases[MAX_CASES];
static int case_count;
static brine_registry *reg;

/* The brine_status named CODE (without BRINE_E_), or -1. */
static int status_named(const char *name)
{
    static const char *const names[] = {"OK",     "NOMEM",    "INVALID",   "TYPE",    "RANGE",   "UTF8",        "DEPTH",
                                        "CYCLE",  "SYNTAX",   "TRUNCATED", "CORRUPT", "VERSION", "UNSUPPORTED", "IO",
                                        "PLUGIN", "NOTFOUND", "KEY",       "REF",     "OPTION",  "MODEL"};
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

/* Copies src into dst[cap]; 0 if it does not fit. */
static int copy(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        return 0;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return 1;
}

static char *field(char **rest)
{
    char *f = *rest, *tab = f ? strchr(f, '\t') : NULL;
    if (tab) {
        *tab = '\0';
        *rest = tab + 1;
    } else {
        *rest = NULL;
    }
    return f;
}

/* Reads cases.tsv into cases[]; a malformed row is an error in main. */
static const char *load_cases(void)
{
    static char why[512];
    FILE *fp = fopen(BRINE_TEST_DATA "/fuzz/cases.tsv", "r");
    if (!fp)
        return "cannot open " BRINE_TEST_DATA "/fuzz/cases.tsv";
    char line[2048];
    int n = 0;
    while (fgets(line, sizeof line, fp)) {
        n++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *rest = line, *file = field(&rest), *opts = field(&rest), *what = field(&rest), *expect = field(&rest);
        const char *slash = file ? strchr(file, '/') : NULL;
        if (!expect || !slash || slash == file || case_count == MAX_CASES) {
            snprintf(why, sizeof why, "cases.tsv line %d is malformed", n);
            fclose(fp);
            return why;
        }
        fcase *c = &cases[case_count++];
        c->line = n;
        if (strcmp(opts, "-") == 0)
            opts = "";
        if (!copy(c->file, sizeof c->file, file, strlen(file)) ||
            !copy(c->format, sizeof c->format, file, (size_t)(slash - file)) ||
            !copy(c->options, sizeof c->options, opts, strlen(opts)) ||
            !copy(c->what, sizeof c->what, what, strlen(what)) ||
            !copy(c->expect, sizeof c->expect, expect, strlen(expect))) {
            snprintf(why, sizeof why, "cases.tsv line %d has a field too long", n);
            fclose(fp);
            return why;
        }
    }
    fclose(fp);
    return NULL;
}

/* Splits "a,b=1" into opts (items point into buf); "max_depth=N" sets the
 * depth limit (the fuzzers' option sets use 8) instead of being an item. */
static const brine_options *parse_options(char *buf, const char **items, brine_options *opts)
{
    size_t count = 0, max_depth = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && count < MAX_OPTS; tok = strtok_r(NULL, ",", &save))
        if (strncmp(tok, "max_depth=", 10) == 0)
            max_depth = strtoul(tok + 10, NULL, 10);
        else
            items[count++] = tok;
    *opts = (brine_options){.max_depth = max_depth, .count = count, .items = items}; /* the rest: defaults */
    return opts;
}

static const brine_plugin *format_named(const fcase *c, const char *name)
{
    const brine_plugin *p = brine_registry_find(reg, name);
    ck_assert_msg(p != NULL, "%s (line %d): no format %s", c->file, c->line, name);
    return p;
}

/* Compares what happened (rc, err) with the expectation of c. */
static void check_outcome(const fcase *c, int rc, const brine_error *err)
{
    if (strcmp(c->expect, "ok") == 0) {
        ck_assert_msg(rc == BRINE_OK, "%s (line %d, %s): expected success, got %s at %llu %s: %s", c->file, c->line,
                      c->what, brine_strerror(err->code), (unsigned long long)err->offset, err->path, err->message);
        return;
    }
    /* CODE OFFSET PATH; the path runs to the end (it may hold spaces), the
     * offset may be - for none. */
    char code[32], offtext[32];
    int used = 0;
    ck_assert_msg(sscanf(c->expect, "%31s %31s %n", code, offtext, &used) == 2 && used > 0,
                  "%s (line %d): EXPECT must be ok or CODE OFFSET PATH", c->file, c->line);
    const char *path = c->expect + used;
    uint64_t offset = strcmp(offtext, "-") == 0 ? BRINE_NO_OFFSET : strtoull(offtext, NULL, 10);
    int want = status_named(code);
    ck_assert_msg(want > 0, "%s (line %d): unknown status %s", c->file, c->line, code);
    ck_assert_msg(rc == want && err->code == want && err->offset == offset && strcmp(err->path, path) == 0,
                  "%s (line %d, %s): expected %s at offset %s, path %s; got %s (%d) at offset %lld, path %s: %s",
                  c->file, c->line, c->what, code, offtext, path, brine_strerror(err->code), err->code,
                  err->offset == BRINE_NO_OFFSET ? -1LL : (long long)err->offset, err->path, err->message);
    ck_assert_msg(err->message[0] != '\0', "%s (line %d): an error without a message", c->file, c->line);
}

/* Decode, encode with the same options, decode again: equal graphs, and the
 * equal graph encodes to the same bytes. */
static int round_trip(const fcase *c, const brine_plugin *fmt, const brine_doc *first, const brine_options *opts,
                      brine_error *err)
{
    void *bytes = NULL, *again = NULL;
    size_t len = 0, again_len = 0;
    int rc = brine_encode_buffer(fmt, brine_doc_root((brine_doc *)first), opts, &bytes, &len, err);
    if (rc != BRINE_OK)
        return rc;
    brine_doc *second = brine_decode_buffer(fmt, bytes, len, opts, err);
    if (!second) {
        brine_free(bytes);
        return err->code;
    }
    int eq = brine_value_equal(brine_doc_root((brine_doc *)first), brine_doc_root(second), 0, err);
    ck_assert_msg(eq == 1, "%s (line %d): the round trip changed the graph (%d)", c->file, c->line, eq);
    rc = brine_encode_buffer(fmt, brine_doc_root(second), opts, &again, &again_len, err);
    ck_assert_int_eq(rc, BRINE_OK);
    ck_assert_msg(again_len == len && memcmp(again, bytes, len) == 0,
                  "%s (line %d): an equal graph was written differently", c->file, c->line);
    brine_free(again);
    brine_free(bytes);
    brine_doc_free(second);
    return BRINE_OK;
}

START_TEST(test_every_input_the_fuzzers_found_gives_its_expected_result)
{
    const fcase *c = &cases[_i];
    char path[1024], optbuf[256];
    const char *items[MAX_OPTS];
    brine_options opts;
    brine_error err;
    size_t len;
    snprintf(path, sizeof path, "%s/fuzz/%s", BRINE_TEST_DATA, c->file);
    unsigned char *data = read_test_file(path, &len);
    const brine_plugin *fmt = format_named(c, c->format);
    memcpy(optbuf, c->options, sizeof optbuf);
    parse_options(optbuf, items, &opts);
    brine_error_clear(&err);

    if (strcmp(c->what, "decode") == 0 || strcmp(c->what, "roundtrip") == 0) {
        brine_doc *doc = brine_decode_buffer(fmt, data, len, &opts, &err);
        int rc = doc ? BRINE_OK : err.code;
        if (doc && strcmp(c->what, "roundtrip") == 0)
            rc = round_trip(c, fmt, doc, &opts, &err);
        check_outcome(c, rc, &err);
        brine_doc_free(doc);
    } else if (strcmp(c->what, "audit") == 0) {
        /* The audit must end as decoding does (fuzz/decode.c checks it). */
        brine_doc *doc = brine_decode_buffer(fmt, data, len, &opts, &err);
        check_outcome(c, doc ? BRINE_OK : err.code, &err);
        brine_doc_free(doc);
        brine_source src;
        brine_audit_report *report = NULL;
        brine_source_init_buffer(&src, data, len);
        int rc = brine_audit(fmt, &src, &opts, &report, &err);
        check_outcome(c, rc, &err);
        ck_assert_msg(report && report->status == rc, "%s (line %d): the audit's report says %d", c->file, c->line,
                      report ? report->status : -1);
        brine_audit_report_free(report);
        brine_source_destroy(&src);
    } else if (strncmp(c->what, "to ", 3) == 0) {
        const brine_plugin *to = format_named(c, c->what + 3);
        brine_source src;
        brine_output out;
        brine_source_init_buffer(&src, data, len);
        ck_assert_int_eq(brine_output_init_buffer(&out, &err), BRINE_OK);
        int rc = brine_transcode(fmt, &src, &opts, to, &out, NULL, NULL, &err);
        check_outcome(c, rc, &err);
        if (rc == BRINE_OK) {
            /* What was written must read back. */
            size_t outlen;
            void *bytes = brine_output_take(&out, &outlen);
            brine_doc *back = brine_decode_buffer(to, bytes, outlen, NULL, &err);
            ck_assert_msg(back != NULL, "%s (line %d): %s cannot read what was written: %s", c->file, c->line, to->name,
                          err.message);
            brine_doc_free(back);
            brine_free(bytes);
        }
        brine_output_destroy(&out);
        brine_source_destroy(&src);
    } else {
        ck_abort_msg("%s (line %d): WHAT must be decode, roundtrip, audit or to FORMAT, not %s", c->file, c->line,
                     c->what);
    }
    free(data);
}
END_TEST

/* A file added to data/fuzz/<format>/ without a row would test nothing. */
START_TEST(test_every_file_under_data_fuzz_is_listed_in_cases_tsv)
{
    DIR *top = opendir(BRINE_TEST_DATA "/fuzz");
    ck_assert_ptr_nonnull(top);
    struct dirent *fd, *ff;
    int files = 0;
    while ((fd = readdir(top))) {
        char dir[1024];
        if (fd->d_name[0] == '.')
            continue;
        snprintf(dir, sizeof dir, "%s/fuzz/%s", BRINE_TEST_DATA, fd->d_name);
        DIR *sub = opendir(dir);
        if (!sub)
            continue; /* cases.tsv itself */
        while ((ff = readdir(sub))) {
            char name[600];
            int listed = 0;
            if (ff->d_name[0] == '.')
                continue;
            snprintf(name, sizeof name, "%s/%s", fd->d_name, ff->d_name);
            for (int i = 0; i < case_count && !listed; i++)
                listed = strcmp(cases[i].file, name) == 0;
            ck_assert_msg(listed, "data/fuzz/%s has no row in data/fuzz/cases.tsv", name);
            files++;
        }
        closedir(sub);
    }
    closedir(top);
    ck_assert_int_gt(files, 0);
}
END_TEST

static Suite *fuzz_regress_suite(void)
{
    Suite *s = suite_create("fuzz_regress");
    TCase *tc = tcase_create("fuzz_regress");
    registry_fixture(tc, &reg, NULL);
    tcase_add_loop_test(tc, test_every_input_the_fuzzers_found_gives_its_expected_result, 0, case_count);
    tcase_add_test(tc, test_every_file_under_data_fuzz_is_listed_in_cases_tsv);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *why = load_cases();
    if (why) {
        fprintf(stderr, "test_fuzz_regress: %s\n", why);
        return EXIT_FAILURE;
    }
    return run_suite(fuzz_regress_suite());
}
