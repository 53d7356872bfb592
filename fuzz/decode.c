/* decode.c: the libFuzzer harness for one format's decoder (FZ_FORMAT, set
 * by fuzz/build.sh). Each input is decoded under every option set of the
 * format (fuzz.h); a failure must be a clean error (code, message, offset
 * inside the input), a success a graph that prints, counts and copies. A
 * format with an audit (pickle) is audited too, and the audit must agree
 * with the decoder: the same status, entries at offsets inside the input.
 * The json formats, whose reader streams, also read each input through a
 * source that gets one byte a read (fz_chunked; 16 bytes past 1 KiB), which must give the same
 * value or the same error as the whole buffer. */
#include <brine/pickle.h>

#include "fuzz.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xxhash.h>

/* ---- one byte a read ------------------------------------------------------ */

typedef struct fz_feed {
    int fd;
    const uint8_t *data;
    size_t size;
} fz_feed;

/* Sends the input one byte a message (16 past 1 KiB, to keep the fuzzer's
 * pace): a SOCK_SEQPACKET read returns one message, so the decoder's
 * source gets that much a read. */
static void *fz_feeder(void *arg)
{
    fz_feed *f = arg;
    size_t step = f->size <= 1024 ? 1 : 16;
    for (size_t i = 0; i < f->size; i += step) {
        size_t n = f->size - i < step ? f->size - i : step;
        if (send(f->fd, f->data + i, n, MSG_NOSIGNAL) != (ssize_t)n)
            break; /* the decoder stopped early */
    }
    shutdown(f->fd, SHUT_WR);
    return NULL;
}

/* Decodes the input again through one-byte reads and compares with the
 * whole buffer's result (whole, or NULL and whole_err). */
static void fz_chunked(const brine_plugin *fmt, const uint8_t *data, size_t size, const brine_options *opts,
                       brine_doc *whole, const brine_error *whole_err)
{
    int sv[2];
    pthread_t t;
    if (size > 4096 || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
        return;
    fz_feed feed = {sv[1], data, size};
    if (pthread_create(&t, NULL, fz_feeder, &feed) != 0) {
        close(sv[0]);
        close(sv[1]);
        return;
    }
    brine_source src;
    brine_error err;
    brine_error_clear(&err);
    brine_source_init_fd(&src, sv[0]);
    brine_doc *doc = brine_decode(fmt, &src, opts, &err);
    brine_source_destroy(&src);
    close(sv[0]);
    pthread_join(t, NULL);
    close(sv[1]);
    if (!doc && (err.code == BRINE_E_NOMEM || (whole_err && whole_err->code == BRINE_E_NOMEM)))
        return;
    if (!doc != !whole)
        FZ_FAIL("read one byte at a time, the input %s (%s) where whole it %s (%s)", doc ? "decoded" : "failed",
                err.message, whole ? "decoded" : "failed", whole_err->message);
    if (doc && brine_value_equal(brine_doc_root(whole), brine_doc_root(doc), 0, NULL) != 1)
        FZ_FAIL("read one byte at a time, the input decoded to a different value");
    if (!doc && (err.code != whole_err->code || err.offset != whole_err->offset || err.line != whole_err->line ||
                 err.column != whole_err->column || strcmp(err.path, whole_err->path) != 0 ||
                 strcmp(err.message, whole_err->message) != 0))
        FZ_FAIL("read one byte at a time: code %d at %llu, %s %s; whole: code %d at %llu, %s %s", err.code,
                (unsigned long long)err.offset, err.path, err.message, whole_err->code,
                (unsigned long long)whole_err->offset, whole_err->path, whole_err->message);
    brine_doc_free(doc);
}

/* ---- the harness ------------------------------------------------------------ */

/* The audit of the same bytes and options must end as decoding did. */
static void fz_audit(const brine_plugin *fmt, const uint8_t *data, size_t size, const brine_options *opts, int decoded)
{
    brine_source src;
    brine_error err;
    brine_audit_report *r = NULL;
    brine_source_init_buffer(&src, data, size);
    int rc = brine_audit(fmt, &src, opts, &r, &err);
    if (rc == BRINE_E_UNSUPPORTED && !r)
        return; /* no audit hook */
    if (!r) {
        if (rc != BRINE_E_NOMEM)
            FZ_FAIL("the audit gave no report: %d %s", rc, err.message);
        return;
    }
    if (r->status != rc || (rc == BRINE_OK) != (decoded != 0))
        FZ_FAIL("the audit ended with %d (returned %d) where decoding %s", r->status, rc,
                decoded ? "succeeded" : "failed");
    for (size_t i = 0; i < r->count; i++)
        if (r->entries[i].offset >= size || !r->entries[i].name || !r->entries[i].opcode || r->entries[i].reaches > 1 ||
            (rc != BRINE_OK && r->entries[i].reaches))
            FZ_FAIL("audit entry %zu is malformed (offset %llu of %zu)", i, (unsigned long long)r->entries[i].offset,
                    size);
    brine_audit_report_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A format with decode_direct (#23): brine_decode took the direct path,
 * so the same bytes go through the event path too (the plugin's decode
 * into a builder), which must end the same way: both fail with the same
 * code and offset, or both build equal graphs. */
static void fz_events_agree(const brine_plugin *fmt, const uint8_t *data, size_t size, const brine_options *opts,
                            const brine_doc *direct, const brine_error *direct_err)
{
    if (!fmt->decode_direct)
        return;
    brine_error err;
    brine_source src;
    brine_error_clear(&err);
    brine_doc *doc = brine_doc_new();
    if (!doc)
        return;
    brine_doc_set_max_depth(doc, brine_options_max_depth(opts));
    brine_sink *b = brine_builder_new(doc, brine_options_max_depth(opts), &err);
    if (!b) {
        brine_doc_free(doc);
        return;
    }
    brine_source_init_buffer(&src, data, size);
    int rc = fmt->decode(&src, b, opts, &err);
    if (rc == BRINE_OK)
        rc = b->finish(b);
    if (rc == BRINE_OK)
        rc = brine_doc_set_root(doc, brine_builder_value(b), &err);
    b->destroy(b);
    if (rc != BRINE_OK && err.offset == BRINE_NO_OFFSET)
        err.offset = brine_source_offset(&src);
    if ((rc == BRINE_OK) != (direct != NULL))
        FZ_FAIL("the direct path %s, the event path %s (%s)", direct ? "decoded" : "failed",
                rc == BRINE_OK ? "decoded" : "failed", direct ? err.message : direct_err->message);
    if (rc != BRINE_OK) {
        if (rc != BRINE_E_NOMEM && direct_err->code != BRINE_E_NOMEM &&
            (rc != direct_err->code || err.offset != direct_err->offset))
            FZ_FAIL("direct: %d at %llu (%s); events: %d at %llu (%s)", direct_err->code,
                    (unsigned long long)direct_err->offset, direct_err->message, rc, (unsigned long long)err.offset,
                    err.message);
    } else if (brine_value_equal(brine_doc_root((brine_doc *)direct), brine_doc_root(doc), 0, &err) != 1) {
        FZ_FAIL("the direct and event paths built different graphs");
    }
    brine_doc_free(doc);
}

/* #23: a borrowing decode (of a copy the document takes over, so that a
 * string read after the free, or past the input, is a sanitizer report)
 * ends as the copying one did, and its graph, with strings pointing into
 * the input, goes through everything a decoded graph does. */
static void fz_borrowed_agrees(const brine_plugin *fmt, const uint8_t *data, size_t size, const brine_options *opts,
                               const brine_doc *copied, const brine_error *copied_err)
{
    void *copy = brine_malloc(size ? size : 1);
    if (!copy)
        return;
    if (size)
        memcpy(copy, data, size);
    brine_error err;
    brine_error_clear(&err);
    brine_doc *doc = brine_decode_buffer_take(fmt, copy, size, opts, &err);
    if ((doc != NULL) != (copied != NULL))
        FZ_FAIL("the borrowing decode %s, the copying one %s (%s)", doc ? "succeeded" : "failed",
                copied ? "succeeded" : "failed", doc ? copied_err->message : err.message);
    if (!doc) {
        if (err.code != BRINE_E_NOMEM && copied_err->code != BRINE_E_NOMEM &&
            (err.code != copied_err->code || err.offset != copied_err->offset))
            FZ_FAIL("borrowed: %d at %llu (%s); copied: %d at %llu (%s)", err.code, (unsigned long long)err.offset,
                    err.message, copied_err->code, (unsigned long long)copied_err->offset, copied_err->message);
        return;
    }
    if (brine_value_equal(brine_doc_root(doc), brine_doc_root((brine_doc *)copied), 0, &err) != 1)
        FZ_FAIL("the borrowing and copying decodes built different graphs");
    fz_exercise_graph(brine_doc_root(doc));
    brine_doc_free(doc);
}

static void decode_all(const uint8_t *data, size_t size)
{
    const brine_plugin *fmt = fz_plugin(FZ_FORMAT);
    const fz_format *f = fz_format_named(FZ_FORMAT);
    for (size_t i = 0; i < f->set_count; i++) {
        brine_options opts;
        brine_error err;
        brine_error_clear(&err);
        brine_doc *doc =
            brine_decode_buffer(fmt, data, size, fz_options(&opts, f->sets[i].max_depth, f->sets[i].decode), &err);
        fz_audit(fmt, data, size, fz_options(&opts, f->sets[i].max_depth, f->sets[i].decode), doc != NULL);
        if (strncmp(FZ_FORMAT, "json", 4) == 0)
            fz_chunked(fmt, data, size, fz_options(&opts, f->sets[i].max_depth, f->sets[i].decode), doc, &err);
        fz_events_agree(fmt, data, size, fz_options(&opts, f->sets[i].max_depth, f->sets[i].decode), doc, &err);
        fz_borrowed_agrees(fmt, data, size, fz_options(&opts, f->sets[i].max_depth, f->sets[i].decode), doc, &err);
        if (!doc) {
            fz_check_error("decoding", &err, size);
            continue;
        }
        if (err.code != BRINE_OK)
            FZ_FAIL("decoding succeeded but left an error: %s", err.message);
        fz_exercise_graph(brine_doc_root(doc));
        brine_doc_free(doc);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode_all(data, size);
    /* A mutated native file almost never keeps its checksum right, and the
     * native reader verifies it before sending any event: decode a copy
     * whose trailer (the XXH3-64 of all before it) is recomputed too, so
     * that hostile bodies still reach the builder. */
    if (strcmp(FZ_FORMAT, "native") == 0 && size >= 18) {
        uint8_t *copy = malloc(size);
        if (!copy)
            return 0;
        memcpy(copy, data, size);
        uint64_t h = XXH3_64bits(copy, size - 8);
        for (int i = 0; i < 8; i++)
            copy[size - 8 + i] = (uint8_t)(h >> (8 * i));
        decode_all(copy, size);
        free(copy);
    }
    return 0;
}
