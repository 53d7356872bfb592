/* opcount.c: repeats one of the benchmark's operations N times, so that
 * bench/instructions.sh can count the instructions one run executes under
 * valgrind. Unlike time, that count does not move with the machine's load,
 * so it can compare two builds (or brine and a raw library) on a busy
 * machine. It says nothing about cache misses or stalls: read it next to
 * `make bench`, not instead of it.
 *
 *     opcount FILE.json OP N
 *
 * OP is decode-FMT, borrow-FMT (brine_decode_buffer_borrowed, #23), events-FMT (the event path, #23) or
 * encode-FMT (FMT: native, msgpack, json), a streamed
 * conversion transcode-FROM-TO (from a buffer to a buffer), or one of the
 * raw libraries' operations: raw-unpack, raw-pack (msgpack-c), raw-parse,
 * raw-print (cJSON). The data are prepared as brine-bench prepares them: the
 * graph decoded from FILE with the json plugin, each format's bytes encoded
 * from it, json decode reading FILE itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

#include "bench.h"

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *text = NULL;
    long size;
    if (fp && fseek(fp, 0, SEEK_END) == 0 && (size = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0 &&
        (text = malloc((size_t)size + 1)) && fread(text, 1, (size_t)size, fp) == (size_t)size) {
        text[size] = '\0';
        *len = (size_t)size;
    } else {
        free(text);
        text = NULL;
    }
    if (fp)
        fclose(fp);
    return text;
}

static int usage(void)
{
    fprintf(stderr, "usage: opcount FILE.json OP N\n"
                    "OP: decode-FMT, borrow-FMT (borrowed strings), events-FMT (its event path), encode-FMT (FMT: "
                    "native, msgpack, json), "
                    "transcode-FROM-TO, raw-unpack, raw-pack, raw-parse, "
                    "raw-print\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return usage();
    const char *op = argv[2];
    long n = strtol(argv[3], NULL, 10);
    size_t text_len;
    char *text = read_file(argv[1], &text_len);
    if (!text) {
        fprintf(stderr, "opcount: cannot read %s\n", argv[1]);
        return 1;
    }
    brine_error err;
    brine_registry *reg = brine_registry_new(&err);
    if (!reg || brine_registry_load(reg, &err) != BRINE_OK) {
        fprintf(stderr, "opcount: %s\n", err.message);
        return 1;
    }
    const brine_plugin *json = brine_registry_find(reg, "json"), *msgpack = brine_registry_find(reg, "msgpack");
    brine_doc *doc = json ? brine_decode_buffer(json, text, text_len, NULL, &err) : NULL;
    void *mp_bytes = NULL;
    size_t mp_len = 0;
    if (!doc || !msgpack || brine_encode_buffer(msgpack, brine_doc_root(doc), NULL, &mp_bytes, &mp_len, &err)) {
        fprintf(stderr, "opcount: preparing %s: %s\n", argv[1], doc ? err.message : "no json or msgpack plugin");
        return 1;
    }

    int rc = 0;
    if (!strncmp(op, "decode-", 7) || !strncmp(op, "encode-", 7) || !strncmp(op, "events-", 7) ||
        !strncmp(op, "borrow-", 7)) {
        const brine_plugin *fmt = brine_registry_find(reg, op + 7);
        if (!fmt)
            return usage();
        void *bytes = text;
        size_t len = text_len;
        if (strcmp(op + 7, "json") != 0 &&
            brine_encode_buffer(fmt, brine_doc_root(doc), NULL, &bytes, &len, &err) != BRINE_OK) {
            fprintf(stderr, "opcount: %s\n", err.message);
            return 1;
        }
        for (long i = 0; i < n && rc == 0; i++) {
            if (op[0] == 'd' || op[0] == 'b') {
                brine_doc *d = op[0] == 'd' ? brine_decode_buffer(fmt, bytes, len, NULL, &err)
                                            : brine_decode_buffer_borrowed(fmt, bytes, len, NULL, &err);
                rc = d == NULL;
                brine_doc_free(d);
            } else if (op[0] == 'e' && op[1] == 'v') { /* the event path of the decoder (#23) */
                brine_source src;
                brine_doc *d = brine_doc_new();
                brine_sink *b = brine_builder_new(d, 0, &err);
                brine_source_init_buffer(&src, bytes, len);
                rc = !b || fmt->decode(&src, b, NULL, &err) != BRINE_OK || b->finish(b) != BRINE_OK;
                if (b)
                    b->destroy(b);
                brine_doc_free(d);
            } else {
                void *out;
                size_t out_len;
                rc = brine_encode_buffer(fmt, brine_doc_root(doc), NULL, &out, &out_len, &err) != BRINE_OK;
                if (!rc)
                    brine_free(out);
            }
        }
        if (bytes != text)
            brine_free(bytes);
    } else if (!strncmp(op, "transcode-", 10)) {
        char from_name[32];
        const char *dash = strchr(op + 10, '-');
        size_t n_from = dash ? (size_t)(dash - (op + 10)) : 0;
        if (!dash || n_from >= sizeof from_name)
            return usage();
        memcpy(from_name, op + 10, n_from);
        from_name[n_from] = '\0';
        const brine_plugin *from = brine_registry_find(reg, from_name), *to = brine_registry_find(reg, dash + 1);
        if (!from || !to)
            return usage();
        void *bytes = text;
        size_t len = text_len;
        if (strcmp(from_name, "json") != 0 &&
            brine_encode_buffer(from, brine_doc_root(doc), NULL, &bytes, &len, &err) != BRINE_OK) {
            fprintf(stderr, "opcount: %s\n", err.message);
            return 1;
        }
        for (long i = 0; i < n && rc == 0; i++) {
            brine_source src;
            brine_output out;
            brine_source_init_buffer(&src, bytes, len);
            rc = brine_output_init_buffer(&out, &err) != BRINE_OK ||
                 brine_transcode(from, &src, NULL, to, &out, NULL, NULL, &err) != BRINE_OK;
            brine_output_destroy(&out);
        }
        if (bytes != text)
            brine_free(bytes);
    } else if (!strcmp(op, "raw-unpack")) {
        for (long i = 0; i < n && rc == 0; i++)
            rc = raw_mp_unpack(mp_bytes, mp_len);
    } else if (!strcmp(op, "raw-pack")) {
        raw_mp_tree *t = raw_mp_tree_new(mp_bytes, mp_len);
        size_t out_len;
        for (long i = 0; t && i < n && rc == 0; i++)
            rc = raw_mp_pack(t, &out_len);
        rc |= t == NULL;
        raw_mp_tree_free(t);
    } else if (!strcmp(op, "raw-parse")) {
        for (long i = 0; i < n && rc == 0; i++)
            rc = raw_cj_parse(text);
    } else if (!strcmp(op, "raw-print")) {
        raw_cj_tree *t = raw_cj_tree_new(text);
        size_t out_len;
        for (long i = 0; t && i < n && rc == 0; i++)
            rc = raw_cj_print(t, &out_len);
        rc |= t == NULL;
        raw_cj_tree_free(t);
    } else {
        return usage();
    }
    if (rc)
        fprintf(stderr, "opcount: %s failed: %s\n", op, err.message);
    brine_free(mp_bytes);
    brine_doc_free(doc);
    brine_registry_free(reg);
    free(text);
    return rc;
}
