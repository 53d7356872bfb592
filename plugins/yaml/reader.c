/* reader.c: the yaml decoder. libyaml's event parser (yaml_parser_parse)
 * turns the text into YAML events, which are mapped one by one onto brine
 * events: no document tree is built. Plain scalars are resolved by the
 * YAML 1.2 core schema (schema.c); anchors on collections become brine
 * anchors and aliases REF events, so the sink (the builder) shares the
 * node, and an alias bomb costs one event per alias. An alias of a scalar
 * is sent as the scalar again, against an expansion budget like the
 * walker's (input length x ratio + bytes), so it cannot be a bomb either.
 */
#include <stdio.h>
#include <string.h>

#include "ym.h"

/* An anchor of the current document: a collection's brine anchor id, or
 * (id 0) a copy of a scalar's resolved event. */
typedef struct yr_anchor {
    char *name;
    uint64_t id;
    brine_event ev;
    unsigned char *data; /* the scalar's bytes, for STR, BYTES, BIGINT */
} yr_anchor;

typedef struct yr {
    yaml_parser_t parser;
    brine_sink *sink;
    brine_error *err;
    const unsigned char *start;
    size_t len;
    uint64_t base;
    ym_stack st;
    ym_scalar sc;
    yr_anchor *anchors; /* open addressing, a power of two in size */
    size_t nanchors, acap;
    uint64_t next_id;
    uint64_t budget; /* bytes that aliases of scalars may still send */
    int stream;
    size_t docs;
} yr;

/* --- positions and errors ------------------------------------------------ */

/* libyaml's marks count characters; brine's offsets count bytes. */
static uint64_t char_to_byte(const yr *R, size_t index)
{
    size_t i = 0;
    if (R->len >= 3 && R->start[0] == 0xef && R->start[1] == 0xbb && R->start[2] == 0xbf)
        i = 3; /* libyaml does not count the BOM */
    for (; i < R->len; i++)
        if ((R->start[i] & 0xc0) != 0x80 && index-- == 0)
            break;
    return i;
}

static int fail_at(yr *R, int code, yaml_mark_t mark, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail_at(yr *R, int code, yaml_mark_t mark, const char *fmt, ...)
{
    brine_error *err = R->err;
    if (!err || err->code != BRINE_OK)
        return code;
    char msg[BRINE_ERROR_TEXT];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    uint64_t off = char_to_byte(R, mark.index);
    brine_error_set_at(err, code, R->base + off, "%s: line %llu column %llu", msg, (unsigned long long)mark.line + 1,
                       (unsigned long long)mark.column + 1);
    err->line = mark.line + 1;
    err->column = mark.column + 1;
    ym_render_path(&R->st, err->path, sizeof err->path);
    return code;
}

/* The parser's own error: reader errors (bad UTF-8) have a byte offset,
 * scanner and parser errors a mark. */
static int parser_failed(yr *R)
{
    yaml_parser_t *P = &R->parser;
    if (P->error == YAML_MEMORY_ERROR)
        return brine_error_set(R->err, BRINE_E_NOMEM, "out of memory in libyaml");
    if (P->error == YAML_READER_ERROR) {
        yaml_mark_t m = {0, 0, 0};
        size_t line = 0, col = 0; /* line and column from the byte offset */
        for (size_t i = 0; i < P->problem_offset && i < R->len; i++) {
            if (R->start[i] == '\n')
                line++, col = 0;
            else if ((R->start[i] & 0xc0) != 0x80)
                col++;
        }
        m.line = line;
        m.column = col;
        int code = strstr(P->problem ? P->problem : "", "UTF-8") ? BRINE_E_UTF8 : BRINE_E_SYNTAX;
        int rc = fail_at(R, code, m, "%s", P->problem ? P->problem : "unreadable input");
        if (R->err && R->err->code == code)
            R->err->offset = R->base + P->problem_offset;
        return rc;
    }
    yaml_mark_t m = P->problem_mark;
    uint64_t off = char_to_byte(R, m.index);
    int code = off >= R->len ? BRINE_E_TRUNCATED : BRINE_E_SYNTAX;
    if (P->context)
        return fail_at(R, code, m, "%s %s (line %lu)", P->context, P->problem ? P->problem : "",
                       (unsigned long)P->context_mark.line + 1);
    return fail_at(R, code, m, "%s", P->problem ? P->problem : "malformed YAML");
}

static int emit(yr *R, const brine_event *ev, yaml_mark_t at)
{
    int rc = R->sink->event(R->sink, ev);
    if (rc == BRINE_OK)
        return BRINE_OK;
    uint64_t off = R->base + char_to_byte(R, at.index);
    brine_error_merge_sink(R->err, R->sink, rc, off, NULL);
    if (R->err && R->err->offset == off && R->err->line == 0) {
        R->err->line = at.line + 1;
        R->err->column = at.column + 1;
    }
    return rc;
}

static int emit_simple(yr *R, brine_event_kind kind, uint64_t anchor, yaml_mark_t at)
{
    brine_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.anchor = anchor;
    ev.v.count = BRINE_COUNT_UNKNOWN;
    return emit(R, &ev, at);
}

/* --- anchors --------------------------------------------------------------- */

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static void anchors_clear(yr *R)
{
    if (!R->acap)
        return;
    for (size_t i = 0; i < R->acap; i++) {
        brine_free(R->anchors[i].name);
        brine_free(R->anchors[i].data);
    }
    memset(R->anchors, 0, R->acap * sizeof *R->anchors);
    R->nanchors = 0;
}

static yr_anchor *anchor_slot(yr *R, const char *name)
{
    size_t mask = R->acap - 1, i = (size_t)hash_name(name) & mask;
    while (R->anchors[i].name && strcmp(R->anchors[i].name, name))
        i = (i + 1) & mask;
    return &R->anchors[i];
}

static yr_anchor *anchor_find(yr *R, const char *name)
{
    if (!R->acap)
        return NULL;
    yr_anchor *a = anchor_slot(R, name);
    return a->name ? a : NULL;
}

/* Defines (or, as YAML allows, redefines) an anchor. */
static yr_anchor *anchor_define(yr *R, const char *name)
{
    if ((R->nanchors + 1) * 2 > R->acap) {
        size_t cap = R->acap ? R->acap * 2 : 16;
        yr_anchor *old = R->anchors, *nw = brine_malloc(cap * sizeof *nw);
        if (!nw)
            return NULL;
        memset(nw, 0, cap * sizeof *nw);
        size_t oldcap = R->acap;
        R->anchors = nw;
        R->acap = cap;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].name)
                *anchor_slot(R, old[i].name) = old[i];
        brine_free(old);
    }
    yr_anchor *a = anchor_slot(R, name);
    if (!a->name) {
        if (!(a->name = brine_malloc(strlen(name) + 1)))
            return NULL;
        strcpy(a->name, name);
        R->nanchors++;
    }
    brine_free(a->data);
    a->data = NULL;
    a->id = 0;
    memset(&a->ev, 0, sizeof a->ev);
    return a;
}

static int anchor_container(yr *R, const unsigned char *name, uint64_t *id)
{
    *id = 0;
    if (!name)
        return BRINE_OK;
    yr_anchor *a = anchor_define(R, (const char *)name);
    if (!a)
        return brine_error_set(R->err, BRINE_E_NOMEM, "out of memory");
    *id = a->id = ++R->next_id;
    return BRINE_OK;
}

static int anchor_scalar(yr *R, const unsigned char *name, const brine_event *ev)
{
    yr_anchor *a = anchor_define(R, (const char *)name);
    if (!a)
        return brine_error_set(R->err, BRINE_E_NOMEM, "out of memory");
    a->ev = *ev;
    if (ev->kind == BRINE_EV_STR || ev->kind == BRINE_EV_BYTES || ev->kind == BRINE_EV_BIGINT) {
        if (!(a->data = brine_malloc(ev->v.s.len + 1)))
            return brine_error_set(R->err, BRINE_E_NOMEM, "out of memory");
        if (ev->v.s.len)
            memcpy(a->data, ev->v.s.ptr, ev->v.s.len);
        a->ev.v.s.ptr = (const char *)a->data;
    }
    return BRINE_OK;
}

/* --- nodes ----------------------------------------------------------------- */

/* A node begins in the innermost open collection: counts it, and says
 * whether it is (inside) a mapping key. */
static int node_begin(yr *R, yaml_mark_t at, int *in_key, int *args)
{
    ym_frame *f = ym_top(&R->st);
    *in_key = 0;
    *args = 0;
    if (!f)
        return BRINE_OK;
    f->count++;
    *in_key = f->in_key || (f->kind == YF_MAP && f->count % 2 == 1);
    if (f->kind == YF_MODEL) {
        if (f->count > 2)
            return fail_at(R, BRINE_E_SYNTAX, at, "a !brine/model sequence has two items, args and state");
        *args = f->count == 1;
    }
    return BRINE_OK;
}

/* A node is complete: a mapping keeps a copy of a scalar key for paths. */
static int node_done(yr *R, const brine_event *scalar)
{
    ym_frame *f = ym_top(&R->st);
    if (f && f->kind == YF_MAP && f->count % 2 == 1) {
        brine_event none;
        none.kind = 0;
        if (ym_frame_set_key(f, scalar ? scalar : &none))
            return brine_error_set(R->err, BRINE_E_NOMEM, "out of memory");
    }
    return BRINE_OK;
}

static int tag_is(const unsigned char *tag, const char *name)
{
    return tag && !strncmp((const char *)tag, YM_TAG_PREFIX, sizeof YM_TAG_PREFIX - 1) &&
           !strcmp((const char *)tag + sizeof YM_TAG_PREFIX - 1, name);
}

/* A node under a tag brine does not know: a model named by the tag, with
 * no args, whose state is the node read as if untagged (docs/yaml.md). */
static int begin_tag_model(yr *R, const unsigned char *tag, uint64_t anchor, yaml_mark_t at)
{
    if (!ym_tag_name_ok((const char *)tag, strlen((const char *)tag)))
        return fail_at(R, BRINE_E_UNSUPPORTED, at, "a tag with ',', '[' or ']' could not be written back");
    brine_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = BRINE_EV_MODEL;
    ev.anchor = anchor;
    ev.v.s.ptr = (const char *)tag;
    ev.v.s.len = strlen((const char *)tag);
    int rc = emit(R, &ev, at);
    if (!rc)
        rc = emit_simple(R, BRINE_EV_TUPLE, 0, at);
    if (!rc)
        rc = emit_simple(R, BRINE_EV_END, 0, at);
    return rc;
}

static int on_scalar(yr *R, yaml_event_t *e)
{
    int in_key, args, rc = node_begin(R, e->start_mark, &in_key, &args);
    if (rc)
        return rc;
    if (args)
        return fail_at(R, BRINE_E_SYNTAX, e->start_mark, "a !brine/model's args must be a sequence");
    const unsigned char *tag = e->data.scalar.tag;
    const char *s = (const char *)e->data.scalar.value;
    size_t len = e->data.scalar.length;
    ym_scalar *sc = &R->sc;
    int unknown = 0;
    sc->ev.anchor = 0;
    if (!tag) {
        if (e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            rc = ym_resolve_plain(s, len, sc);
        else
            sc->ev.kind = BRINE_EV_STR, sc->ev.v.s.ptr = s, sc->ev.v.s.len = len;
    } else if (!strcmp((const char *)tag, "!") || tag_is(tag, "str")) {
        sc->ev.kind = BRINE_EV_STR, sc->ev.v.s.ptr = s, sc->ev.v.s.len = len;
    } else if (tag_is(tag, "null") || tag_is(tag, "bool") || tag_is(tag, "int") || tag_is(tag, "float")) {
        const char *t = (const char *)tag + sizeof YM_TAG_PREFIX - 1;
        brine_event_kind k = t[0] == 'n'   ? BRINE_EV_NULL
                             : t[0] == 'b' ? BRINE_EV_BOOL
                             : t[0] == 'i' ? BRINE_EV_INT
                                           : BRINE_EV_FLOAT;
        rc = ym_resolve_as(s, len, k, sc);
        if (rc == BRINE_E_SYNTAX)
            return fail_at(R, rc, e->start_mark, "not a !!%s by the YAML 1.2 core schema", t);
    } else if (tag_is(tag, "binary")) {
        if ((rc = ym_base64_decode(s, len, sc)) == BRINE_E_SYNTAX)
            return fail_at(R, rc, e->start_mark, "invalid base64 in a !!binary scalar");
    } else if (!strcmp((const char *)tag, YM_TAG_COMPLEX)) {
        sc->ev.kind = BRINE_EV_COMPLEX;
        if (ym_complex_parse(s, len, &sc->ev.v.c.re, &sc->ev.v.c.im))
            return fail_at(R, BRINE_E_SYNTAX, e->start_mark, "a !brine/complex is written like 1.5+2j");
    } else {
        unknown = 1;
        sc->ev.kind = BRINE_EV_STR, sc->ev.v.s.ptr = s, sc->ev.v.s.len = len;
    }
    if (rc == BRINE_E_RANGE)
        return fail_at(R, rc, e->start_mark, "an int of more than %d digits, or a 0x/0o int past 64 bits",
                       YM_MAX_INT_DIGITS);
    if (rc)
        return brine_error_set(R->err, rc, "out of memory");
    if (unknown) {
        uint64_t id;
        if ((rc = anchor_container(R, e->data.scalar.anchor, &id)) || (rc = begin_tag_model(R, tag, id, e->start_mark)))
            return rc;
        if ((rc = emit(R, &sc->ev, e->start_mark)))
            return rc;
        if ((rc = emit_simple(R, BRINE_EV_END, 0, e->start_mark)))
            return rc;
        return node_done(R, NULL);
    }
    if (e->data.scalar.anchor && (rc = anchor_scalar(R, e->data.scalar.anchor, &sc->ev)))
        return rc;
    if ((rc = emit(R, &sc->ev, e->start_mark)))
        return rc;
    return node_done(R, &sc->ev);
}

static int on_alias(yr *R, yaml_event_t *e)
{
    int in_key, args, rc = node_begin(R, e->start_mark, &in_key, &args);
    if (rc)
        return rc;
    yr_anchor *a = anchor_find(R, (const char *)e->data.alias.anchor);
    if (!a)
        return fail_at(R, BRINE_E_REF, e->start_mark, "alias *%s names no anchor before it in this document",
                       (const char *)e->data.alias.anchor);
    if (a->id) {
        brine_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = BRINE_EV_REF;
        ev.v.ref = a->id;
        if ((rc = emit(R, &ev, e->start_mark)))
            return rc;
        return node_done(R, NULL);
    }
    if (args)
        return fail_at(R, BRINE_E_SYNTAX, e->start_mark, "a !brine/model's args must be a sequence");
    /* A scalar again: 16 bytes a value plus its data, as the walker counts. */
    uint64_t cost = 16;
    if (a->ev.kind == BRINE_EV_STR || a->ev.kind == BRINE_EV_BYTES || a->ev.kind == BRINE_EV_BIGINT)
        cost += a->ev.v.s.len;
    if (cost > R->budget)
        return fail_at(R, BRINE_E_RANGE, e->start_mark,
                       "aliases of scalars expand past the expansion limit (expand_ratio x input + expand_bytes)");
    R->budget -= cost;
    if ((rc = emit(R, &a->ev, e->start_mark)))
        return rc;
    return node_done(R, &a->ev);
}

static int on_collection_start(yr *R, yaml_event_t *e, int seq)
{
    int in_key, args, rc = node_begin(R, e->start_mark, &in_key, &args);
    if (rc)
        return rc;
    const unsigned char *tag = seq ? e->data.sequence_start.tag : e->data.mapping_start.tag;
    const unsigned char *aname = seq ? e->data.sequence_start.anchor : e->data.mapping_start.anchor;
    if (!seq && in_key)
        return fail_at(R, BRINE_E_KEY, e->start_mark, "a mapping cannot be a dict key (it is unhashable)");
    if (args && !seq)
        return fail_at(R, BRINE_E_SYNTAX, e->start_mark, "a !brine/model's args must be a sequence");
    uint64_t id;
    if ((rc = anchor_container(R, aname, &id)))
        return rc;
    int known = !tag || !strcmp((const char *)tag, "!") ||
                (seq ? tag_is(tag, "seq") || tag_is(tag, "omap") || tag_is(tag, "pairs") ||
                           !strcmp((const char *)tag, YM_TAG_TUPLE)
                     : tag_is(tag, "map") || tag_is(tag, "set"));
    uint8_t ends = 1, kind = seq ? YF_SEQ : YF_MAP;
    if (seq && tag && !strncmp((const char *)tag, YM_TAG_MODEL, sizeof YM_TAG_MODEL - 1)) {
        const char *name = (const char *)tag + sizeof YM_TAG_MODEL - 1;
        /* The writer writes a model named by a tag as that tag: such a name
         * here could not be written back. */
        size_t n = strlen(name);
        if ((n > 1 && name[0] == '!') || (n > 4 && !strncmp(name, "tag:", 4)))
            return fail_at(R, BRINE_E_SYNTAX, e->start_mark, "a !brine/model's name is a type name, not a tag");
        if (!ym_tag_name_ok(name, n))
            return fail_at(R, BRINE_E_UNSUPPORTED, e->start_mark,
                           "a !brine/model's name with ',', '[' or ']' could not be written back");
        brine_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = BRINE_EV_MODEL;
        ev.anchor = id;
        ev.v.s.ptr = name;
        ev.v.s.len = n;
        if ((rc = emit(R, &ev, e->start_mark)))
            return rc;
        kind = YF_MODEL;
    } else {
        if (!known) {
            if ((rc = begin_tag_model(R, tag, id, e->start_mark)))
                return rc;
            id = 0;
            ends = 2;
        }
        int tuple = seq && (in_key || args || (tag && !strcmp((const char *)tag, YM_TAG_TUPLE)));
        brine_event_kind k = !seq ? BRINE_EV_DICT : tuple ? BRINE_EV_TUPLE : BRINE_EV_LIST;
        if ((rc = emit_simple(R, k, id, e->start_mark)))
            return rc;
    }
    ym_frame *f = ym_push(&R->st, kind);
    if (!f)
        return brine_error_set(R->err, BRINE_E_NOMEM, "out of memory");
    f->in_key = (uint8_t)in_key;
    f->ends = ends;
    return BRINE_OK;
}

static int on_collection_end(yr *R, yaml_event_t *e)
{
    ym_frame *f = ym_top(&R->st);
    if (f->kind == YF_MODEL && f->count != 2)
        return fail_at(R, BRINE_E_SYNTAX, e->start_mark, "a !brine/model sequence has two items, args and state");
    int rc;
    for (unsigned i = 0; i < f->ends; i++)
        if ((rc = emit_simple(R, BRINE_EV_END, 0, e->start_mark)))
            return rc;
    R->st.depth--;
    return node_done(R, NULL);
}

static int on_event(yr *R, yaml_event_t *e, int *done)
{
    switch (e->type) {
    case YAML_STREAM_START_EVENT:
        if (!R->stream)
            return BRINE_OK;
        if (!ym_push(&R->st, YF_STREAM))
            return brine_error_set(R->err, BRINE_E_NOMEM, "out of memory");
        return emit_simple(R, BRINE_EV_LIST, 0, e->start_mark);
    case YAML_STREAM_END_EVENT:
        *done = 1;
        if (R->stream) {
            R->st.depth--;
            return emit_simple(R, BRINE_EV_END, 0, e->start_mark);
        }
        return R->docs ? BRINE_OK : emit_simple(R, BRINE_EV_NULL, 0, e->start_mark);
    case YAML_DOCUMENT_START_EVENT:
        if (++R->docs > 1 && !R->stream)
            return fail_at(R, BRINE_E_SYNTAX, e->start_mark,
                           "a second document in the stream (read a stream with the yaml option stream)");
        anchors_clear(R); /* anchors are local to their document */
        return BRINE_OK;
    case YAML_DOCUMENT_END_EVENT: return BRINE_OK;
    case YAML_ALIAS_EVENT: return on_alias(R, e);
    case YAML_SCALAR_EVENT: return on_scalar(R, e);
    case YAML_SEQUENCE_START_EVENT: return on_collection_start(R, e, 1);
    case YAML_MAPPING_START_EVENT: return on_collection_start(R, e, 0);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: return on_collection_end(R, e);
    default: return BRINE_OK;
    }
}

int ym_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err)
{
    int rc = brine_source_read_all(src, err);
    if (rc)
        return rc;
    yr R;
    memset(&R, 0, sizeof R);
    R.sink = sink;
    R.err = err;
    R.start = src->cur;
    R.len = (size_t)(src->end - src->cur);
    R.base = brine_source_offset(src);
    R.stream = brine_options_flag(opts, "stream");
    uint64_t ratio = opts && opts->expand_ratio ? opts->expand_ratio : BRINE_DEFAULT_EXPAND_RATIO;
    uint64_t bytes = opts && opts->expand_bytes ? opts->expand_bytes : BRINE_DEFAULT_EXPAND_BYTES;
    R.budget = ratio * (uint64_t)R.len + bytes;
    if (!yaml_parser_initialize(&R.parser))
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    yaml_parser_set_input_string(&R.parser, R.start, R.len);
    int done = 0;
    while (!rc && !done) {
        yaml_event_t e;
        if (!yaml_parser_parse(&R.parser, &e)) {
            rc = parser_failed(&R);
            break;
        }
        rc = on_event(&R, &e, &done);
        yaml_event_delete(&e);
    }
    if (rc == BRINE_OK)
        src->cur = src->end;
    yaml_parser_delete(&R.parser);
    anchors_clear(&R);
    brine_free(R.anchors);
    ym_stack_free(&R.st);
    ym_scalar_free(&R.sc);
    return rc;
}
