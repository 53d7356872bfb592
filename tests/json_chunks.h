/* json_chunks.h: decoding through a source that delivers a few bytes at a
 * time, for the streaming json reader (docs/json.md, "Streaming"). The
 * bytes go through a SOCK_SEQPACKET socket pair, whose reads return one
 * message each: a writer thread sends the input in messages of n bytes,
 * so every read of the decoder's source gets at most n bytes and tokens
 * are cut at every place a pipe could cut them, deterministically.
 * chunked_agrees decodes a text whole and in chunks of 1, 2, 3, 7 and 64
 * bytes and says whether every decode gives the same value or the same
 * error (code, offset, line, column, path, message).
 */
#ifndef BRINE_TEST_JSON_CHUNKS_H
#define BRINE_TEST_JSON_CHUNKS_H

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <brine/format.h>

#include "check_util.h"

typedef struct chunk_feed {
    int fd;
    const unsigned char *data;
    size_t len, step;
} chunk_feed;

static void *chunk_writer(void *arg)
{
    chunk_feed *f = arg;
    for (size_t at = 0; at < f->len;) {
        size_t n = f->len - at < f->step ? f->len - at : f->step;
        ssize_t w = send(f->fd, f->data + at, n, MSG_NOSIGNAL);
        if (w <= 0)
            break; /* the reader stopped early (an error): nothing more to send */
        at += (size_t)w;
    }
    shutdown(f->fd, SHUT_WR);
    return NULL;
}

/* Decodes data[0..len) through a source that reads at most step bytes at a
 * time (len must stay under the source's first window, 64 KiB, so that no
 * read is shorter than a message). */
static inline brine_doc *decode_chunked(const brine_plugin *fmt, const void *data, size_t len, size_t step,
                                        const brine_options *opts, brine_error *err)
{
    int sv[2];
    brine_error_clear(err);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
        return NULL;
    chunk_feed feed = {sv[1], data, len, step};
    pthread_t t;
    if (pthread_create(&t, NULL, chunk_writer, &feed) != 0) {
        close(sv[0]);
        close(sv[1]);
        return NULL;
    }
    brine_source src;
    brine_source_init_fd(&src, sv[0]);
    brine_doc *d = brine_decode(fmt, &src, opts, err);
    brine_source_destroy(&src);
    close(sv[0]); /* unblocks the writer if the decoder stopped early */
    pthread_join(t, NULL);
    close(sv[1]);
    return d;
}

/* The chunk sizes every input is read in. */
static const size_t chunk_steps[] = {1, 2, 3, 7, 64};

/* 1 if data decodes through every chunk size as it does whole; else 0,
 * with why in `why`. */
static inline int chunked_agrees(const brine_plugin *fmt, const void *data, size_t len, const brine_options *opts,
                                 char *why, size_t cap)
{
    brine_error whole_err, err;
    brine_error_clear(&whole_err);
    brine_doc *whole = brine_decode_buffer(fmt, data, len, opts, &whole_err);
    int ok = 1;
    for (size_t i = 0; ok && i < sizeof chunk_steps / sizeof *chunk_steps; i++) {
        if (len > 60000 && chunk_steps[i] < 64)
            continue; /* big inputs: the 64-byte cuts only, to stay quick */
        brine_doc *d = decode_chunked(fmt, data, len, chunk_steps[i], opts, &err);
        if (!whole != !d) {
            snprintf(why, cap, "%zu-byte chunks: %s, whole: %s", chunk_steps[i], d ? "decoded" : err.message,
                     whole ? "decoded" : whole_err.message);
            ok = 0;
        } else if (whole) {
            if (brine_value_equal(brine_doc_root(whole), brine_doc_root(d), 0, NULL) != 1) {
                snprintf(why, cap, "%zu-byte chunks: a different value", chunk_steps[i]);
                ok = 0;
            }
        } else if (err.code != whole_err.code || err.offset != whole_err.offset || err.line != whole_err.line ||
                   err.column != whole_err.column || strcmp(err.path, whole_err.path) != 0 ||
                   strcmp(err.message, whole_err.message) != 0) {
            snprintf(why, cap,
                     "%zu-byte chunks: code %d offset %llu %llu:%llu '%s' %s; whole: code %d offset %llu "
                     "%llu:%llu '%s' %s",
                     chunk_steps[i], err.code, (unsigned long long)err.offset, (unsigned long long)err.line,
                     (unsigned long long)err.column, err.path, err.message, whole_err.code,
                     (unsigned long long)whole_err.offset, (unsigned long long)whole_err.line,
                     (unsigned long long)whole_err.column, whole_err.path, whole_err.message);
            ok = 0;
        }
        brine_doc_free(d);
    }
    brine_doc_free(whole);
    return ok;
}

#endif /* BRINE_TEST_JSON_CHUNKS_H */
