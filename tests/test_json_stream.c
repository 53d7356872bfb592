/* test_json_stream.c: the streaming json reader (docs/json.md,
 * "Streaming"): a table of inputs whose tokens a source cuts anywhere
 * (strings, escapes, surrogate pairs, UTF-8, numbers, literals, tags,
 * JSON Lines, errors with their line, column and path) read the same in
 * chunks of 1 to 64 bytes as whole; large inputs through a pipe give the
 * same errors; 20 MB through a pipe take less than 8 MB of brine's memory;
 * garbage is refused at its first bad byte without reading on; JSON Lines
 * are read as each line arrives.
 */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_util.h"

/* ---- counting brine's memory ------------------------------------------------ */

/* Every block carries its size in a header, so that live and peak bytes
 * can be counted; installed for the whole program (brine_set_allocator
 * wants to come first). */
static size_t live_bytes, peak_bytes;
enum { HDR = 16 };

static void *count_malloc(size_t n)
{
    unsigned char *p = malloc(n + HDR);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    live_bytes += n;
    if (live_bytes > peak_bytes)
        peak_bytes = live_bytes;
    return p + HDR;
}

static void count_free(void *ptr)
{
    if (!ptr)
        return;
    unsigned char *p = (unsigned char *)ptr - HDR;
    size_t n;
    memcpy(&n, p, sizeof n);
    live_bytes -= n;
    free(p);
}

static void *count_realloc(void *ptr, size_t n)
{
    if (!ptr)
        return count_malloc(n);
    unsigned char *p = (unsigned char *)ptr - HDR, *q;
    size_t old;
    memcpy(&old, p, sizeof old);
    if (!(q = realloc(p, n + HDR)))
        return NULL;
    memcpy(q, &n, sizeof n);
    live_bytes = live_bytes - old + n;
    if (live_bytes > peak_bytes)
        peak_bytes = live_bytes;
    return q + HDR;
}

/* ---- a pipe fed by a thread ------------------------------------------------------ */

typedef struct pipe_feed {
    int fd;
    const unsigned char *data; /* NULL: zeros */
    size_t len, step;
    size_t sent;
} pipe_feed;

static void *pipe_writer(void *arg)
{
    pipe_feed *f = arg;
    static const unsigned char zeros[65536];
    while (f->sent < f->len) {
        size_t n = f->len - f->sent < f->step ? f->len - f->sent : f->step;
        ssize_t w = write(f->fd, f->data ? f->data + f->sent : zeros, n);
        if (w <= 0)
            break; /* the reader is gone (EPIPE): it stopped early */
        f->sent += (size_t)w;
    }
    close(f->fd);
    return NULL;
}

/* Counts what a decoder sends: values and the dicts among them. */
typedef struct counting_sink {
    brine_sink base;
    size_t events, dicts;
} counting_sink;

static int count_event(brine_sink *self, const brine_event *ev)
{
    counting_sink *c = (counting_sink *)self;
    c->events++;
    c->dicts += ev->kind == BRINE_EV_DICT;
    return BRINE_OK;
}

/* Runs the json plugin's decoder over len bytes written into a pipe step
 * bytes at a time (data NULL: zeros), into a counting sink; returns the
 * decoder's status and, in *sent, how much the writer got rid of. */
static int decode_piped(const char *opts, const void *data, size_t len, size_t step, counting_sink *sink,
                        brine_error *err, size_t *sent)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pipe_feed feed = {fds[1], data, len, step, 0};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, pipe_writer, &feed), 0);
    memset(sink, 0, sizeof *sink);
    sink->base.event = count_event;
    brine_source src;
    brine_source_init_fd(&src, fds[0]);
    test_opts o;
    brine_error_clear(err);
    int rc = js->decode(&src, &sink->base, opts_of(&o, opts, 0), err);
    brine_source_destroy(&src);
    close(fds[0]);
    pthread_join(t, NULL);
    if (sent)
        *sent = feed.sent;
    return rc;
}

/* ---- the table -------------------------------------------------------------------- */

typedef struct stream_case {
    const char *text;
    const char *opts;
} stream_case;

#define LONG64 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"

static const stream_case cases[] = {
    /* Tokens of every kind, cut anywhere. */
    {"[\"" LONG64 LONG64 "\", \"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u20ac\\ud83d\\ude00\"]", NULL},
    {"[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\", \"" LONG64 "\xf0\x9f\x98\x80" LONG64 "\\ud834\\udd1e\"]", NULL},
    {"[0, -0, 1.5, -2.5e-3, 1E+400, 123456789012345678901234567890, -9223372036854775808, 18446744073709551615]", NULL},
    {"[3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798214808"
     "651328230664709384460955058223172535940812848111745028410270193852110555964462294895493038196]",
     NULL},
    {"[true, false, null, [], {}, [[[]]], {\"a\": {\"b\": {\"c\": [1, {\"d\": null}]}}}]", NULL},
    {"  \n\t\r [ \n 1 \n , \r\n 2 ] \n\n   ", NULL},
    {"{\"" LONG64 "\": 1, \"k\\u00e9y\": [1, 2, 3], \"\": \"\", \"dup\": 1, \"dup\": 2}", NULL},
    {"\"top-level string " LONG64 "\"", NULL},
    {"12345678901234567890123", NULL},
    {"-", NULL},
    {"1.", NULL},
    {"true", NULL},
    {"nul", NULL},
    {"", NULL},
    {"   ", NULL},
    /* Errors: the same code, offset, line, column, path and message. */
    {"[1, 2,\n 3, {\"a\": [1, 2, {\"" LONG64 "\": [1, x]}]}]", NULL},
    {"{\"first key " LONG64 "\": {\"second\\u00e9\": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, \"\xff\"]}}", NULL},
    {"[\"caf\xc3\xa9\",\n\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\",\n\"abc\xc3\"]", NULL},
    {"[\"\\ud800\"]", NULL},
    {"[\"\\ud800\\u0041\", 1]", NULL},
    {"[\"\\uZZZZ\"]", NULL},
    {"[\"\\u12", NULL},
    {"[\"unterminated " LONG64, NULL},
    {"[\"tab\there\"]", NULL},
    {"[1 2]", NULL},
    {"{\"a\" 1}", NULL},
    {"{\"a\": 1,}", NULL},
    {"[1, 2] [3]", NULL},
    {"[tru]", NULL},
    {"[truex]", NULL},
    {"[-]", NULL},
    {"[01]", NULL},
    {"\xef\xbb\xbf[1]", NULL},
    {"[1e5000000000000000000000000000000]", NULL},
    {"[\"caf\xc3\xa9\", \"bad \xc3\x28\"]", "replace_invalid"},
    {"[\"\\udc00 lone\", \"\\ud800\"]", "replace_invalid"},
    /* The envelope and its tags, held whole or read on. */
    {"{\"$brine\": 1, \"value\": [{\"$bytes\": \"" LONG64 LONG64 "\"}, {\"$complex\": [1.5, {\"$float\": \"nan\"}]}, "
     "{\"$float\": \"-inf\"}, {\"$int\": \"-0x" LONG64 "\"}, {\"$tuple\": [1, [2, 3], {\"$tuple\": []}]}, "
     "{\"$$escaped\": 1, \"$1\": 2, \"$[1,\\\"a\\\"]\": 3}, {\"$model\": \"pkg.M\", \"args\": [1, \"" LONG64
     "\"], \"state\": {\"z\": 3}}]}",
     NULL},
    {"{\"$brine\": 1, \"value\": {\"$anchor\": 1, \"$list\": [1, {\"$alias\": 1}, {\"$anchor\": 2, \"$dict\": {\"k\": "
     "{\"$alias\": 2}}}]}}",
     "refs"},
    {"{\"$brine\": 1, \"value\": [{\"$array\": {\"dtype\": \"<i4\", \"shape\": [2, 2], \"data\": "
     "\"AQAAAAIAAAADAAAABAAAAA==\"}}, {\"$anchor\": 3, \"$array\": {\"dtype\": \"<f8\", \"shape\": [1], \"data\": "
     "\"AAAAAAAA+D8=\"}}]}",
     "refs"},
    {"{\"$brine\": 1, \"value\": [{\"$array\": {\"dtype\": [[\"x\", \"<f8\"], [\"v\", \"<i4\", [2]]], \"shape\": [1], "
     "\"data\": \"AAAAAAAA8D8BAAAAAgAAAA==\"}}]}",
     NULL},
    {"{\"$brine\": 1, \"value\": [{\"$array\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, "
     "21, "
     "22, 23, 24, 25, 26, 27, 28, 29, 30]}, {\"$bytes\": 5, \"k\": [1, 2, 3]}, {\"$\\u0062ytes\": \"AA==\"}, "
     "{\"$complex\": [1, 2]}]}",
     NULL},
    {"{\"$brine\": 1, \"value\": [{\"$complex\": [1, 2], \"extra\": 1}]}", NULL},
    {"{\"$brine\": 1, \"value\": [{\"$bytes\": \"not base64!\"}]}", NULL},
    {"{\"$brine\": 1, \"value\": [{\"$complex\": [1.5, ]}]}", NULL},
    {"{\"$brine\": 1, \"value\": {\"$bytes\": \"AA==\"", NULL},
    {"{\"$brine\": 2, \"value\": 1}", NULL},
    {"[{\"$tuple\": [1, 2]}, {\"$bytes\": \"AA==\"}]", "legacy_tags"},
    /* JSON Lines. */
    {"{\"a\": 1}\n{\"b\": [1,\n 2]}\n\n  \n3\n\"" LONG64 "\"\n", "lines"},
    {"1\n2   \r\n3", "lines"},
    {"1\n2 3\n", "lines"},
    {"1\n2                                                                   x\n", "lines"},
    {"{\"$brine\": 1, \"value\": {\"$tuple\": [1]}}\n[2]\n", "lines"},
    {"\n\n\n", "lines"},
};

START_TEST(test_each_input_reads_the_same_in_chunks_of_1_2_3_7_and_64_bytes)
{
    const stream_case *c = &cases[_i];
    char why[4096];
    test_opts o;
    ck_assert_msg(chunked_agrees(js, c->text, strlen(c->text), opts_of(&o, c->opts, 0), why, sizeof why),
                  "case %d (%s): %s", _i, c->opts ? c->opts : "no options", why);
}
END_TEST

/* ---- large inputs ------------------------------------------------------------------ */

/* About len bytes of an array of records over many lines; with `bad`, the
 * last record's last value is broken. Plain malloc: the input is not
 * brine's memory. */
static char *records(size_t len, int lines_format, int bad, size_t *out_len, size_t *count)
{
    char *buf = malloc(len + 512);
    size_t n = 0, i = 0;
    ck_assert_ptr_nonnull(buf);
    if (!lines_format)
        buf[n++] = '[';
    while (n < len) {
        n += (size_t)sprintf(buf + n,
                             "%s{\"id\": %zu, \"name\": \"user %zu caf\xc3\xa9\", \"tags\": [\"a\", \"b\\n\"], "
                             "\"score\": %zu.25, \"ok\": true, \"note\": null}",
                             i && !lines_format ? ",\n" : "", i, i * 7, i % 1000);
        if (lines_format)
            buf[n++] = '\n';
        i++;
    }
    if (bad)
        n += (size_t)sprintf(buf + n, "%s{\"last\": {\"deep key\": [1, 2, tru]}}", lines_format ? "" : ",\n");
    if (!lines_format)
        buf[n++] = ']';
    buf[n] = '\0';
    *out_len = n;
    *count = i;
    return buf;
}

START_TEST(test_a_large_input_through_a_pipe_gives_the_same_error_as_whole)
{
    for (int lines = 0; lines < 2; lines++) {
        size_t len, count, sent;
        char *text = records(300000, lines, 1, &len, &count);
        brine_error whole, err;
        brine_doc *d = dec_n(text, len, lines ? "lines" : NULL, 0, &whole);
        ck_assert_ptr_null(d);
        counting_sink sink;
        int rc = decode_piped(lines ? "lines" : NULL, text, len, 4093, &sink, &err, &sent);
        ck_assert_int_eq(rc, whole.code);
        ck_assert_int_eq(err.code, BRINE_E_SYNTAX);
        ck_assert_uint_eq(err.offset, whole.offset);
        ck_assert_uint_eq(err.line, whole.line);
        ck_assert_uint_gt(err.line, 1000);
        ck_assert_uint_eq(err.column, whole.column);
        ck_assert_str_eq(err.path, whole.path);
        ck_assert_str_eq(err.message, whole.message);
        free(text);
    }
}
END_TEST

START_TEST(test_20_mb_through_a_pipe_take_less_than_8_mb)
{
    for (int lines = 0; lines < 2; lines++) {
        size_t len, count;
        char *text = records(20u << 20, lines, 0, &len, &count);
        counting_sink sink;
        brine_error err;
        size_t before = live_bytes;
        peak_bytes = live_bytes;
        int rc = decode_piped(lines ? "lines" : NULL, text, len, 65536, &sink, &err, NULL);
        ck_assert_msg(rc == BRINE_OK, "%s", err.message);
        ck_assert_uint_eq(sink.dicts, count);
        ck_assert_uint_eq(live_bytes, before);
        ck_assert_msg(peak_bytes - before < (8u << 20), "peak %zu bytes for %zu bytes of input", peak_bytes - before,
                      len);
        /* The window stays near one chunk, far below the bound. */
        ck_assert_msg(peak_bytes - before < (1u << 20), "peak %zu bytes", peak_bytes - before);
        free(text);
    }
}
END_TEST

START_TEST(test_garbage_is_refused_at_its_first_byte_without_reading_on)
{
    /* `head -c 100M /dev/zero | brine check -f json -`. */
    counting_sink sink;
    brine_error err;
    size_t sent;
    peak_bytes = live_bytes;
    size_t before = live_bytes;
    int rc = decode_piped(NULL, NULL, 100u << 20, 65536, &sink, &err, &sent);
    ck_assert_int_eq(rc, BRINE_E_SYNTAX);
    expect_error(&err, BRINE_E_SYNTAX, 0, "$", "Expecting value: line 1 column 1 (char 0)");
    ck_assert_msg(sent < (1u << 20), "the writer got %zu bytes in", sent);
    ck_assert_msg(peak_bytes - before < (256u << 10), "peak %zu bytes", peak_bytes - before);

    /* Random bytes (a fixed sequence): the error whole and piped agree. */
    size_t len = 4u << 20;
    unsigned char *noise = malloc(len);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int start = 0; start < 4; start++) {
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            noise[i] = (unsigned char)x;
        }
        noise[0] = "[{\" "[start]; /* a start that reads on for a while */
        brine_error whole;
        brine_doc *d = decode_with(js, noise, len, NULL, 0, &whole);
        ck_assert_ptr_null(d);
        rc = decode_piped(NULL, noise, len, 65536, &sink, &err, &sent);
        ck_assert_int_eq(rc, whole.code);
        ck_assert_uint_eq(err.offset, whole.offset);
        ck_assert_str_eq(err.message, whole.message);
        ck_assert_msg(err.offset < 4096, "offset %llu", (unsigned long long)err.offset);
        ck_assert_msg(sent < (1u << 20), "the writer got %zu bytes in", sent);
    }
    free(noise);
}
END_TEST

/* ---- JSON Lines as they arrive ---------------------------------------------- */

/* A sink that tells a waiting writer how many events it has seen. */
typedef struct watched_sink {
    brine_sink base;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t events;
} watched_sink;

static int watched_event(brine_sink *self, const brine_event *ev)
{
    watched_sink *w = (watched_sink *)self;
    (void)ev;
    pthread_mutex_lock(&w->lock);
    w->events++;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    return BRINE_OK;
}

typedef struct line_feed {
    int fd;
    watched_sink *sink;
    int seen_in_time; /* the first line's value reached the sink before the second line was sent */
} line_feed;

static void *line_writer(void *arg)
{
    line_feed *f = arg;
    static const char first[] = "{\"a\": [1, 2]}\n", second[] = "[3]\n";
    ck_assert_int_eq(write(f->fd, first, sizeof first - 1), (ssize_t)(sizeof first - 1));
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&f->sink->lock);
    /* LIST, then DICT, "a", LIST, 1, 2, END, END: 8 events. */
    while (f->sink->events < 8 && pthread_cond_timedwait(&f->sink->changed, &f->sink->lock, &until) == 0)
        ;
    f->seen_in_time = f->sink->events >= 8;
    pthread_mutex_unlock(&f->sink->lock);
    ck_assert_int_eq(write(f->fd, second, sizeof second - 1), (ssize_t)(sizeof second - 1));
    close(f->fd);
    return NULL;
}

START_TEST(test_json_lines_are_read_as_each_line_arrives)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    watched_sink sink;
    memset(&sink, 0, sizeof sink);
    sink.base.event = watched_event;
    pthread_mutex_init(&sink.lock, NULL);
    pthread_cond_init(&sink.changed, NULL);
    line_feed feed = {fds[1], &sink, 0};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, line_writer, &feed), 0);
    brine_source src;
    brine_source_init_fd(&src, fds[0]);
    test_opts o;
    brine_error err;
    brine_error_clear(&err);
    int rc = js->decode(&src, &sink.base, opts_of(&o, "lines", 0), &err);
    brine_source_destroy(&src);
    close(fds[0]);
    pthread_join(t, NULL);
    ck_assert_msg(rc == BRINE_OK, "%s", err.message);
    ck_assert_msg(feed.seen_in_time, "the first line was read only after the second arrived");
    ck_assert_uint_eq(sink.events, 8 + 4); /* [3] and the list's END */
}
END_TEST

static Suite *json_stream_suite(void)
{
    brine_set_allocator(count_malloc, count_realloc, count_free);
    signal(SIGPIPE, SIG_IGN);
    Suite *s = suite_create("json_stream");
    TCase *tc = tcase_create("json_stream");
    registry_fixture(tc, &reg, fixture_formats);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_each_input_reads_the_same_in_chunks_of_1_2_3_7_and_64_bytes, 0,
                        (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, test_a_large_input_through_a_pipe_gives_the_same_error_as_whole);
    tcase_add_test(tc, test_20_mb_through_a_pipe_take_less_than_8_mb);
    tcase_add_test(tc, test_garbage_is_refused_at_its_first_byte_without_reading_on);
    tcase_add_test(tc, test_json_lines_are_read_as_each_line_arrives);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(json_stream_suite)
