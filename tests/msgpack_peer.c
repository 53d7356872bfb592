/* msgpack_peer.c: the helper through which msgpack_interop.py reaches brine.
 *   msgpack_peer dump [OPTION...] < in.msgpack > events.txt
 *   msgpack_peer load [OPTION...] < events.txt > out.msgpack
 * dump decodes MessagePack into a graph and prints the walker's events of it,
 * one a line (shared containers anchored); load builds a graph from such
 * lines and encodes it. The line format is simple enough for the Python side
 * to read and write without brine: hex for every byte string, float bits in
 * hex, so nothing is lost in between.
 *   null | bool 0|1 | int DECIMAL | bigint HEX-LE | float HEX64 | complex HEX64 HEX64
 *   str HEX | bytes HEX | list N [@ID] | tuple N [@ID] | dict N [@ID]
 *   model HEX-NAME [@ID] | end | ref ID
 * Errors go to stderr with the code, offset and path; the exit status is 1. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/format.h>

static void put_hex(FILE *fp, const void *p, size_t len)
{
    const unsigned char *b = p;
    if (len == 0)
        fputc('-', fp);
    for (size_t i = 0; i < len; i++)
        fprintf(fp, "%02x", b[i]);
}

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double double_of(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* ---- dump: a sink that prints events ----------------------------------- */

static int print_event(brine_sink *self, const brine_event *ev)
{
    static const char *const names[] = {[BRINE_EV_LIST] = "list", [BRINE_EV_TUPLE] = "tuple", [BRINE_EV_DICT] = "dict"};
    (void)self;
    switch (ev->kind) {
    case BRINE_EV_NULL: puts("null"); return BRINE_OK;
    case BRINE_EV_BOOL: printf("bool %d\n", ev->v.boolean ? 1 : 0); return BRINE_OK;
    case BRINE_EV_INT: printf("int %" PRId64 "\n", ev->v.i); return BRINE_OK;
    case BRINE_EV_UINT: printf("int %" PRIu64 "\n", ev->v.u); return BRINE_OK;
    case BRINE_EV_FLOAT: printf("float %016" PRIx64 "\n", bits_of(ev->v.f)); return BRINE_OK;
    case BRINE_EV_COMPLEX:
        printf("complex %016" PRIx64 " %016" PRIx64 "\n", bits_of(ev->v.c.re), bits_of(ev->v.c.im));
        return BRINE_OK;
    case BRINE_EV_BIGINT:
    case BRINE_EV_STR:
    case BRINE_EV_BYTES:
        fputs(ev->kind == BRINE_EV_BIGINT ? "bigint " : ev->kind == BRINE_EV_STR ? "str " : "bytes ", stdout);
        put_hex(stdout, ev->v.s.ptr, ev->v.s.len);
        putchar('\n');
        return BRINE_OK;
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE:
    case BRINE_EV_DICT: printf("%s %zu", names[ev->kind], ev->v.count); break;
    case BRINE_EV_MODEL:
        fputs("model ", stdout);
        put_hex(stdout, ev->v.s.ptr, ev->v.s.len);
        break;
    case BRINE_EV_END: puts("end"); return BRINE_OK;
    case BRINE_EV_REF: printf("ref %" PRIu64 "\n", ev->v.ref); return BRINE_OK;
    default: return BRINE_E_INVALID;
    }
    if (ev->anchor)
        printf(" @%" PRIu64, ev->anchor);
    putchar('\n');
    return BRINE_OK;
}

static int print_finish(brine_sink *self)
{
    (void)self;
    return fflush(stdout) == 0 ? BRINE_OK : BRINE_E_IO;
}

/* ---- load: lines to events --------------------------------------------------- */

static size_t unhex(const char *s, unsigned char *out)
{
    size_t n = 0;
    if (strcmp(s, "-") == 0)
        return 0;
    for (; s[0] && s[1]; s += 2)
        out[n++] = (unsigned char)((s[0] <= '9' ? s[0] - '0' : (s[0] | 32) - 'a' + 10) << 4 |
                                   (s[1] <= '9' ? s[1] - '0' : (s[1] | 32) - 'a' + 10));
    return n;
}

static uint64_t anchor_of(const char *rest)
{
    const char *at = rest ? strchr(rest, '@') : NULL;
    return at ? strtoull(at + 1, NULL, 10) : 0;
}

/* Reads event lines from fp into sink. */
static int feed_lines(FILE *fp, brine_sink *sink, brine_error *err)
{
    char *line = NULL, *word, *arg;
    size_t cap = 0;
    unsigned char *buf = NULL;
    int rc = BRINE_OK;
    while (rc == BRINE_OK && getline(&line, &cap, fp) > 0) {
        brine_event ev;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            continue;
        memset(&ev, 0, sizeof ev);
        word = line;
        arg = strchr(line, ' ');
        if (arg)
            *arg++ = '\0';
        free(buf);
        buf = malloc(arg ? strlen(arg) / 2 + 1 : 1);
        if (strcmp(word, "null") == 0) {
            ev.kind = BRINE_EV_NULL;
        } else if (strcmp(word, "bool") == 0) {
            ev.kind = BRINE_EV_BOOL;
            ev.v.boolean = atoi(arg);
        } else if (strcmp(word, "int") == 0) {
            if (arg[0] == '-') {
                ev.kind = BRINE_EV_INT;
                ev.v.i = strtoll(arg, NULL, 10);
            } else {
                ev.kind = BRINE_EV_UINT;
                ev.v.u = strtoull(arg, NULL, 10);
            }
        } else if (strcmp(word, "float") == 0) {
            ev.kind = BRINE_EV_FLOAT;
            ev.v.f = double_of(strtoull(arg, NULL, 16));
        } else if (strcmp(word, "complex") == 0) {
            char *second = strchr(arg, ' ');
            ev.kind = BRINE_EV_COMPLEX;
            ev.v.c.re = double_of(strtoull(arg, NULL, 16));
            ev.v.c.im = double_of(strtoull(second, NULL, 16));
        } else if (strcmp(word, "bigint") == 0 || strcmp(word, "str") == 0 || strcmp(word, "bytes") == 0) {
            ev.kind = word[0] == 'b' && word[1] == 'i' ? BRINE_EV_BIGINT
                      : word[0] == 's'                 ? BRINE_EV_STR
                                                       : BRINE_EV_BYTES;
            ev.v.s.len = unhex(arg, buf);
            ev.v.s.ptr = (const char *)buf;
        } else if (strcmp(word, "list") == 0 || strcmp(word, "tuple") == 0 || strcmp(word, "dict") == 0) {
            ev.kind = word[0] == 'l' ? BRINE_EV_LIST : word[0] == 't' ? BRINE_EV_TUPLE : BRINE_EV_DICT;
            ev.v.count = (size_t)strtoull(arg, NULL, 10);
            ev.anchor = anchor_of(arg);
        } else if (strcmp(word, "model") == 0) {
            char *sp = strchr(arg, ' ');
            ev.kind = BRINE_EV_MODEL;
            ev.anchor = anchor_of(sp);
            if (sp)
                *sp = '\0';
            ev.v.s.len = unhex(arg, buf);
            ev.v.s.ptr = (const char *)buf;
        } else if (strcmp(word, "end") == 0) {
            ev.kind = BRINE_EV_END;
        } else if (strcmp(word, "ref") == 0) {
            ev.kind = BRINE_EV_REF;
            ev.v.ref = strtoull(arg, NULL, 10);
        } else {
            rc = brine_error_set(err, BRINE_E_SYNTAX, "unknown event line '%s'", word);
            break;
        }
        rc = sink->event(sink, &ev);
    }
    free(buf);
    free(line);
    return rc == BRINE_OK ? sink->finish(sink) : rc;
}

static unsigned char *read_all(FILE *fp, size_t *len)
{
    size_t cap = 1 << 16, n = 0, got;
    unsigned char *p = malloc(cap);
    while ((got = fread(p + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n == cap)
            p = realloc(p, cap *= 2);
    }
    *len = n;
    return p;
}

static int fail(const brine_error *err)
{
    fprintf(stderr, "msgpack_peer: error %d at offset %llu, path %s: %s\n", err->code,
            err->offset == BRINE_NO_OFFSET ? 0ull : (unsigned long long)err->offset, err->path, err->message);
    return 1;
}

int main(int argc, char **argv)
{
    brine_error err;
    brine_registry *reg;
    const brine_plugin *mp;
    brine_options opts = {.count = (size_t)(argc > 2 ? argc - 2 : 0), .items = (const char *const *)argv + 2};
    int status;
    if (argc < 2 || (strcmp(argv[1], "dump") != 0 && strcmp(argv[1], "load") != 0)) {
        fprintf(stderr, "usage: msgpack_peer dump|load [OPTION...] < in > out\n");
        return 2;
    }
    brine_error_clear(&err);
    reg = brine_registry_new(&err);
    if (!reg || brine_registry_load(reg, &err) != BRINE_OK || !(mp = brine_registry_find(reg, "msgpack"))) {
        fprintf(stderr, "msgpack_peer: the msgpack plugin was not found\n");
        return 1;
    }
    if (strcmp(argv[1], "dump") == 0) {
        size_t len;
        unsigned char *data = read_all(stdin, &len);
        brine_doc *doc = brine_decode_buffer(mp, data, len, &opts, &err);
        brine_sink printer = {print_event, print_finish, NULL, BRINE_SINK_REFS, &err};
        status = !doc || brine_walk(brine_doc_root(doc), &printer, 0, &err) != BRINE_OK ? fail(&err) : 0;
        brine_doc_free(doc);
        free(data);
    } else {
        brine_doc *doc = brine_doc_new();
        brine_sink *builder = brine_builder_new(doc, 0, &err);
        void *out = NULL;
        size_t len = 0;
        status = feed_lines(stdin, builder, &err) != BRINE_OK ||
                         brine_doc_set_root(doc, brine_builder_value(builder), &err) != BRINE_OK ||
                         brine_encode_buffer(mp, brine_doc_root(doc), &opts, &out, &len, &err) != BRINE_OK
                     ? fail(&err)
                     : 0;
        if (status == 0 && fwrite(out, 1, len, stdout) != len)
            status = 1;
        builder->destroy(builder);
        brine_free(out);
        brine_doc_free(doc);
    }
    brine_registry_free(reg);
    return status;
}
