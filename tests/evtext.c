/* evtext.c: a test-only format plugin that writes each event as a short text
 * token, so engine tests can read what the walker sent and feed the builder
 * hand-written streams. Compiled several times with different macros: as
 * "evtext" (stores references, scalar ones too), "evplain" (does not),
 * "evdup" (a second plugin claiming the name evtext), and "badabi" (a wrong
 * ABI number).
 *
 * Tokens, separated by one space: N T F i<int64> u<uint64> b<hex LE>
 * f<hex bits> c<hex>,<hex> s<len>:<bytes> y<len>:<bytes> [<count> (<count>
 * {<count> M<len>:<name> ] &<id> (prefix of a begin token) *<id>. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brine/plugin.h>

#ifndef EV_MODULE
#define EV_MODULE evtext
#endif
#ifndef EV_NAME
#define EV_NAME "evtext"
#endif
#ifndef EV_REFS
#define EV_REFS 1
#endif
#ifndef EV_ABI
#define EV_ABI BRINE_PLUGIN_ABI
#endif

typedef struct ev_encoder {
    brine_sink sink;
    brine_output *out;
    /* Per open container, the children its begin event still owes
     * (SIZE_MAX: not counted): an encoder that writes counts verifies them
     * (docs/plugins.md), or it would write a file that reads back wrong. */
    size_t *owed, depth, cap;
} ev_encoder;

/* Keeps the count promises of the open containers: BRINE_OK, or an error. */
static int ev_count(ev_encoder *e, const brine_event *ev)
{
    if (ev->kind == BRINE_EV_END) {
        if (e->depth && e->owed[e->depth - 1] != SIZE_MAX && e->owed[e->depth - 1] != 0)
            return brine_error_set(e->sink.err, BRINE_E_INVALID, "END before the announced count of children");
        e->depth -= e->depth != 0;
        return BRINE_OK;
    }
    if (e->depth && e->owed[e->depth - 1] != SIZE_MAX && e->owed[e->depth - 1]-- == 0)
        return brine_error_set(e->sink.err, BRINE_E_INVALID, "more children than the container announced");
    if (ev->kind != BRINE_EV_LIST && ev->kind != BRINE_EV_TUPLE && ev->kind != BRINE_EV_DICT &&
        ev->kind != BRINE_EV_MODEL)
        return BRINE_OK;
    if (e->depth == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 16;
        size_t *owed = realloc(e->owed, cap * sizeof *owed);
        if (!owed)
            return brine_error_set(e->sink.err, BRINE_E_NOMEM, "out of memory");
        e->owed = owed;
        e->cap = cap;
    }
    size_t n = ev->v.count;
    e->owed[e->depth++] = ev->kind == BRINE_EV_MODEL || n == BRINE_COUNT_UNKNOWN ? SIZE_MAX
                          : ev->kind == BRINE_EV_DICT && n < SIZE_MAX / 2        ? 2 * n
                                                                                 : n;
    return BRINE_OK;
}

static int ev_put(ev_encoder *e, const char *s, size_t len)
{
    return brine_output_write(e->out, s, len, e->sink.err);
}

static int ev_event(brine_sink *sink, const brine_event *ev)
{
    ev_encoder *e = (ev_encoder *)sink;
    char tok[128];
    int n = 0;
    int rc = ev_count(e, ev);
    if (rc)
        return rc;
    if (ev->anchor)
        n = snprintf(tok, sizeof tok, "&%" PRIu64, ev->anchor);
    switch (ev->kind) {
    case BRINE_EV_NULL: n += snprintf(tok + n, sizeof tok - n, "N"); break;
    case BRINE_EV_BOOL: n += snprintf(tok + n, sizeof tok - n, ev->v.boolean ? "T" : "F"); break;
    case BRINE_EV_INT: n += snprintf(tok + n, sizeof tok - n, "i%" PRId64, ev->v.i); break;
    case BRINE_EV_UINT: n += snprintf(tok + n, sizeof tok - n, "u%" PRIu64, ev->v.u); break;
    case BRINE_EV_FLOAT: {
        uint64_t bits;
        memcpy(&bits, &ev->v.f, 8);
        n += snprintf(tok + n, sizeof tok - n, "f%" PRIx64, bits);
        break;
    }
    case BRINE_EV_COMPLEX: {
        uint64_t re, im;
        memcpy(&re, &ev->v.c.re, 8);
        memcpy(&im, &ev->v.c.im, 8);
        n += snprintf(tok + n, sizeof tok - n, "c%" PRIx64 ",%" PRIx64, re, im);
        break;
    }
    case BRINE_EV_BIGINT:
        n += snprintf(tok + n, sizeof tok - n, "b");
        for (size_t i = 0; i < ev->v.s.len && n < 120; i++)
            n += snprintf(tok + n, sizeof tok - n, "%02x", (unsigned char)ev->v.s.ptr[i]);
        break;
    case BRINE_EV_STR:
    case BRINE_EV_BYTES:
    case BRINE_EV_MODEL: {
        char c = ev->kind == BRINE_EV_STR ? 's' : ev->kind == BRINE_EV_BYTES ? 'y' : 'M';
        n += snprintf(tok + n, sizeof tok - n, "%c%zu:", c, ev->v.s.len);
        rc = ev_put(e, tok, (size_t)n);
        if (!rc)
            rc = ev_put(e, ev->v.s.ptr, ev->v.s.len);
        return rc ? rc : ev_put(e, " ", 1);
    }
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE:
    case BRINE_EV_DICT: {
        char c = ev->kind == BRINE_EV_LIST ? '[' : ev->kind == BRINE_EV_TUPLE ? '(' : '{';
        n += snprintf(tok + n, sizeof tok - n, "%c%zu", c, ev->v.count);
        break;
    }
    case BRINE_EV_END: n += snprintf(tok + n, sizeof tok - n, "]"); break;
    case BRINE_EV_REF: n += snprintf(tok + n, sizeof tok - n, "*%" PRIu64, ev->v.ref); break;
    default: n += snprintf(tok + n, sizeof tok - n, "?%d", (int)ev->kind); break; /* arrays: never sent here */
    }
    tok[n++] = ' ';
    return ev_put(e, tok, (size_t)n);
}

static void ev_destroy(brine_sink *sink)
{
    free(((ev_encoder *)sink)->owed);
    free(sink);
}

static brine_sink *ev_encoder_new(brine_output *out, const brine_options *opts, brine_error *err)
{
    ev_encoder *e = calloc(1, sizeof *e);
    if (!e) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    e->sink.event = ev_event;
    e->sink.destroy = ev_destroy;
    e->sink.flags = EV_REFS ? BRINE_SINK_REFS | BRINE_SINK_SCALAR_REFS : 0;
    e->sink.err = err;
    e->out = out;
    return &e->sink;
}

/* Reads a decimal or hex number at src->cur. */
static int ev_number(brine_source *src, int base, uint64_t *out, brine_error *err)
{
    char buf[40];
    size_t n = 0;
    while (n < sizeof buf - 1) {
        if (brine_source_need(src, 1, NULL))
            break;
        char c = (char)*src->cur;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'))
            break;
        buf[n++] = c;
        src->cur++;
    }
    buf[n] = '\0';
    char *end;
    *out = strtoull(buf, &end, base);
    if (n == 0 || *end)
        return brine_error_set_at(err, BRINE_E_SYNTAX, brine_source_offset(src), "bad number '%s'", buf);
    return BRINE_OK;
}

static int ev_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err)
{
    int depth = 0, started = 0, rc = BRINE_OK;
    char *data = NULL;
    while (rc == BRINE_OK && (!started || depth > 0)) {
        brine_event ev;
        uint64_t a = 0, b = 0;
        memset(&ev, 0, sizeof ev);
        if ((rc = brine_source_need(src, 1, err)))
            break;
        char c = (char)*src->cur++;
        if (c == '&') {
            if ((rc = ev_number(src, 10, &ev.anchor, err)) || (rc = brine_source_need(src, 1, err)))
                break;
            c = (char)*src->cur++;
        }
        started = 1;
        switch (c) {
        case 'N': ev.kind = BRINE_EV_NULL; break;
        case 'T':
        case 'F':
            ev.kind = BRINE_EV_BOOL;
            ev.v.boolean = c == 'T';
            break;
        case 'i':
            ev.kind = BRINE_EV_INT;
            {
                char buf[32];
                size_t n = 0;
                while (n < 31 && !brine_source_need(src, 1, NULL) && *src->cur != ' ')
                    buf[n++] = (char)*src->cur++;
                buf[n] = '\0';
                ev.v.i = strtoll(buf, NULL, 10);
            }
            break;
        case 'u':
            ev.kind = BRINE_EV_UINT;
            rc = ev_number(src, 10, &ev.v.u, err);
            break;
        case 'f':
            ev.kind = BRINE_EV_FLOAT;
            rc = ev_number(src, 16, &a, err);
            memcpy(&ev.v.f, &a, 8);
            break;
        case 'c':
            ev.kind = BRINE_EV_COMPLEX;
            if (!(rc = ev_number(src, 16, &a, err)) && !(rc = brine_source_need(src, 1, err))) {
                src->cur++;
                rc = ev_number(src, 16, &b, err);
            }
            memcpy(&ev.v.c.re, &a, 8);
            memcpy(&ev.v.c.im, &b, 8);
            break;
        case 's':
        case 'y':
        case 'M':
            ev.kind = c == 's' ? BRINE_EV_STR : c == 'y' ? BRINE_EV_BYTES : BRINE_EV_MODEL;
            if ((rc = ev_number(src, 10, &a, err)) || (rc = brine_source_need(src, 1 + a, err)))
                break;
            src->cur++; /* ':' */
            data = malloc(a + 1);
            if (!data) {
                rc = brine_error_set(err, BRINE_E_NOMEM, "out of memory");
                break;
            }
            memcpy(data, src->cur, a);
            src->cur += a;
            ev.v.s.ptr = data;
            ev.v.s.len = a;
            break;
        case '[':
        case '(':
        case '{':
            ev.kind = c == '[' ? BRINE_EV_LIST : c == '(' ? BRINE_EV_TUPLE : BRINE_EV_DICT;
            rc = ev_number(src, 10, &a, err);
            ev.v.count = (size_t)a;
            break;
        case ']': ev.kind = BRINE_EV_END; break;
        case '*':
            ev.kind = BRINE_EV_REF;
            rc = ev_number(src, 10, &ev.v.ref, err);
            break;
        default: rc = brine_error_set_at(err, BRINE_E_SYNTAX, brine_source_offset(src) - 1, "unexpected byte '%c'", c);
        }
        if (rc == BRINE_OK && ev.kind == BRINE_EV_BIGINT)
            rc = BRINE_E_SYNTAX;
        if (rc == BRINE_OK) {
            if (ev.kind == BRINE_EV_LIST || ev.kind == BRINE_EV_TUPLE || ev.kind == BRINE_EV_DICT ||
                ev.kind == BRINE_EV_MODEL)
                depth++;
            else if (ev.kind == BRINE_EV_END)
                depth--;
            rc = sink->event(sink, &ev);
        }
        free(data);
        data = NULL;
        /* the separating space */
        if (rc == BRINE_OK && !brine_source_need(src, 1, NULL) && *src->cur == ' ')
            src->cur++;
    }
    return rc;
}

static const char *const ev_extensions[] = {EV_NAME, NULL};

static const brine_option_spec ev_options[] = {
    {"refs", BRINE_OPT_DECODE | BRINE_OPT_ENCODE, "accepted and ignored"},
    {NULL, 0, NULL},
};

static int ev_sniff(const unsigned char *head, size_t len)
{
    return len >= 2 && head[0] == '[' && head[1] >= '0' && head[1] <= '9' ? 10 : 0;
}

static const brine_plugin ev_plugin = {
    .abi = EV_ABI,
    .size = sizeof(brine_plugin),
    .name = EV_NAME,
    .description = "event tokens, for tests",
    .version = "1",
    .extensions = ev_extensions,
    .mime_type = "application/x-" EV_NAME,
    .caps = BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_TEXT | (EV_REFS ? BRINE_CAP_REFS : 0),
    .options = ev_options,
    .sniff = ev_sniff,
    .decode = ev_decode,
    .encoder_new = ev_encoder_new,
};

BRINE_PLUGIN_DEFINE(EV_MODULE, ev_plugin)
