/* writer.c: the yaml encoder, a sink that maps brine events onto libyaml's
 * emitter events: block style (indent 2, like yaml.safe_dump and
 * remarshal) or flow style; strs plain unless YAML 1.1 or 1.2 would read
 * them as something else (schema.c), then quoted by the emitter's own
 * rules; shared and cyclic containers as &id001 anchors and *id001
 * aliases. What YAML lacks gets brine's local tags (!brine/tuple,
 * !brine/complex, !brine/model:NAME), refused under `plain`. A model whose
 * name is a YAML tag (the reader's unknown tags) is written back as that
 * tag on its state. The sink declares BRINE_SINK_REFS: YAML stores
 * references always, so a transcode streams into it.
 */
#include <stdio.h>
#include <string.h>

#include "ym.h"

typedef struct yw {
    brine_sink sink;
    yaml_emitter_t em;
    brine_output *out;
    ym_stack st;
    int status;
    int plain, flow, stream;
    int roots;          /* complete top-level values (documents) */
    uint64_t doc_first; /* lowest anchor id of the current document */
    uint64_t max_id;    /* highest anchor id met */
    char *pending;      /* a tag model's tag, for its state (owned) */
    uint64_t pending_anchor;
    brine_doc *scratch; /* big ints' decimal conversion */
} yw;

static int fail(yw *w, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(yw *w, int code, const char *fmt, ...)
{
    w->status = code;
    brine_error *err = w->sink.err;
    if (!err || err->code != BRINE_OK)
        return code;
    char msg[BRINE_ERROR_TEXT];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    brine_error_set(err, code, "%s", msg);
    ym_render_path(&w->st, err->path, sizeof err->path);
    return code;
}

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
    yw *w = data;
    return brine_output_write(w->out, buffer, size, w->sink.err) == BRINE_OK;
}

/* Emits e (which the emitter then owns), or fails with its reason. */
static int put(yw *w, yaml_event_t *e, int made)
{
    if (!made) /* libyaml checks UTF-8 (brine has checked strs already), or malloc failed */
        return fail(w, BRINE_E_UTF8, "a model name, tag or text that is not UTF-8 (or libyaml is out of memory)");
    if (yaml_emitter_emit(&w->em, e))
        return BRINE_OK;
    if (w->em.error == YAML_WRITER_ERROR)
        return w->status = BRINE_E_IO;
    if (w->em.error == YAML_MEMORY_ERROR)
        return fail(w, BRINE_E_NOMEM, "out of memory in libyaml");
    return fail(w, BRINE_E_INVALID, "libyaml's emitter refused the value: %s",
                w->em.problem ? w->em.problem : "no reason given");
}

static int doc_start(yw *w)
{
    yaml_event_t e;
    w->doc_first = w->max_id + 1;
    return put(w, &e, yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 1));
}

static int doc_end(yw *w)
{
    yaml_event_t e;
    w->roots++;
    return put(w, &e, yaml_document_end_event_initialize(&e, 1));
}

static void anchor_name(uint64_t id, char buf[32])
{
    snprintf(buf, 32, "id%03llu", (unsigned long long)id);
}

/* A complete node: a dict keeps its scalar key for paths; a document ends
 * after its root. */
static int node_done(yw *w, const brine_event *scalar)
{
    ym_frame *f = ym_top(&w->st);
    if (!f)
        return doc_end(w);
    if (f->kind == YF_STREAM)
        return doc_end(w);
    if (f->kind == YF_MAP && f->count % 2 == 1) {
        brine_event none;
        none.kind = 0;
        if (ym_frame_set_key(f, scalar ? scalar : &none))
            return fail(w, BRINE_E_NOMEM, "out of memory");
    }
    return BRINE_OK;
}

static int scalar(yw *w, const brine_event *ev, const char *tag, uint64_t anchor)
{
    char num[BRINE_DTOA_SIZE * 2 + 8], aname[32];
    const char *text = num;
    size_t len = 0;
    char *owned = NULL;
    int plain_ok = 1;
    const char *own_tag = NULL; /* a tag the value needs */
    switch (ev->kind) {
    case BRINE_EV_NULL: text = "null", len = 4; break;
    case BRINE_EV_BOOL: text = ev->v.boolean ? "true" : "false", len = strlen(text); break;
    case BRINE_EV_INT: len = (size_t)snprintf(num, sizeof num, "%lld", (long long)ev->v.i); break;
    case BRINE_EV_UINT: len = (size_t)snprintf(num, sizeof num, "%llu", (unsigned long long)ev->v.u); break;
    case BRINE_EV_BIGINT:
        if (!(text = owned = ym_bigint_decimal(&w->scratch, (const unsigned char *)ev->v.s.ptr, ev->v.s.len, &len))) {
            /* 1785 bytes hold at most 4300 decimal digits: shorter failed for memory. */
            if (ev->v.s.len <= 1785)
                return fail(w, BRINE_E_NOMEM, "out of memory");
            return fail(w, BRINE_E_RANGE, "an int of more than 4300 digits (core's decimal conversion refuses it)");
        }
        break;
    case BRINE_EV_FLOAT: len = ym_float_text(ev->v.f, num); break;
    case BRINE_EV_COMPLEX: {
        if (w->plain)
            return fail(w, BRINE_E_UNSUPPORTED, "complex is not YAML (written as !brine/complex without plain)");
        char im[BRINE_DTOA_SIZE];
        len = brine_dtoa(ev->v.c.re, num);
        brine_dtoa(ev->v.c.im, im);
        len += (size_t)snprintf(num + len, sizeof num - len, "%s%sj", im[0] == '-' ? "" : "+", im);
        own_tag = YM_TAG_COMPLEX;
        break;
    }
    case BRINE_EV_STR:
        text = ev->v.s.ptr, len = ev->v.s.len;
        plain_ok = !ym_needs_quotes(text, len);
        break;
    case BRINE_EV_BYTES:
        if (!(text = owned = ym_base64_encode((const unsigned char *)ev->v.s.ptr, ev->v.s.len, &len)))
            return fail(w, BRINE_E_NOMEM, "out of memory");
        own_tag = YM_TAG_PREFIX "binary";
        break;
    default: return fail(w, BRINE_E_INVALID, "event kind %d is no scalar", (int)ev->kind);
    }
    if (own_tag && tag) {
        brine_free(owned);
        return fail(w, BRINE_E_UNSUPPORTED, "a model named by a YAML tag has a state YAML cannot tag twice");
    }
    if (own_tag)
        tag = own_tag;
    if (anchor)
        anchor_name(anchor, aname);
    yaml_event_t e;
    int made =
        yaml_scalar_event_initialize(&e, anchor ? (yaml_char_t *)aname : NULL, (yaml_char_t *)tag, (yaml_char_t *)text,
                                     (int)len, !tag && plain_ok, !tag, YAML_ANY_SCALAR_STYLE);
    brine_free(owned);
    int rc = put(w, &e, made);
    return rc ? rc : node_done(w, ev);
}

static int collection(yw *w, const brine_event *ev, const char *tag, uint64_t anchor, int in_key, uint8_t kind)
{
    char aname[32];
    if (anchor)
        anchor_name(anchor, aname);
    yaml_event_t e;
    int made, flow = w->flow || in_key;
    yaml_char_t *a = anchor ? (yaml_char_t *)aname : NULL;
    if (kind == YF_MAP)
        made = yaml_mapping_start_event_initialize(&e, a, (yaml_char_t *)tag, !tag,
                                                   flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
    else
        made = yaml_sequence_start_event_initialize(&e, a, (yaml_char_t *)tag, !tag,
                                                    flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
    int rc = put(w, &e, made);
    if (rc)
        return rc;
    ym_frame *f = ym_push(&w->st, kind);
    if (!f)
        return fail(w, BRINE_E_NOMEM, "out of memory");
    f->in_key = (uint8_t)in_key;
    f->expect = ev->v.count == BRINE_COUNT_UNKNOWN ? BRINE_COUNT_UNKNOWN
                : kind == YF_MAP                   ? ev->v.count * 2
                                                   : ev->v.count;
    return BRINE_OK;
}

static int is_yaml_tag(const char *name, size_t len)
{
    return (len > 1 && name[0] == '!') || (len > 4 && !memcmp(name, "tag:", 4));
}

static int end(yw *w)
{
    ym_frame *f = ym_top(&w->st);
    if (!f)
        return fail(w, BRINE_E_INVALID, "END without an open container");
    if (f->expect != BRINE_COUNT_UNKNOWN && f->count != f->expect)
        return fail(w, BRINE_E_INVALID, "a container ends after %llu of the %llu children it announced",
                    (unsigned long long)f->count, (unsigned long long)f->expect);
    if ((f->kind == YF_MAP && f->count % 2) || (f->kind == YF_MODEL && f->count != 2))
        return fail(w, BRINE_E_INVALID, "a dict or model ends in the middle of an entry");
    yaml_event_t e;
    int rc = BRINE_OK;
    if (f->kind == YF_SEQ || (f->kind == YF_MODEL && !f->flags))
        rc = put(w, &e, yaml_sequence_end_event_initialize(&e));
    else if (f->kind == YF_MAP)
        rc = put(w, &e, yaml_mapping_end_event_initialize(&e));
    if (rc)
        return rc;
    uint8_t kind = f->kind;
    w->st.depth--;
    if (kind == YF_SKIP || kind == YF_STREAM)
        return BRINE_OK; /* a tag model's args are no node; documents ended one by one */
    return node_done(w, NULL);
}

static int yw_event(brine_sink *self, const brine_event *ev)
{
    yw *w = (yw *)self;
    if (w->status)
        return w->status;
    if (ev->kind == BRINE_EV_END)
        return end(w);
    ym_frame *f = ym_top(&w->st);
    int rc;
    /* Where the node goes: a new document, a stream, a child. */
    if (!f) {
        if (w->roots)
            return fail(w, BRINE_E_INVALID, "a second value after the document's root");
        if (w->stream) {
            if (ev->kind != BRINE_EV_LIST && ev->kind != BRINE_EV_TUPLE)
                return fail(w, BRINE_E_TYPE, "the yaml option stream writes a list, one document per item");
            if (!ym_push(&w->st, YF_STREAM))
                return fail(w, BRINE_E_NOMEM, "out of memory");
            return BRINE_OK;
        }
        if ((rc = doc_start(w)))
            return rc;
    } else {
        if (f->expect != BRINE_COUNT_UNKNOWN && f->count >= f->expect)
            return fail(w, BRINE_E_INVALID, "a container has more children than the %llu it announced",
                        (unsigned long long)f->expect);
        if (f->kind == YF_SKIP)
            return fail(w, BRINE_E_UNSUPPORTED, "a model named by a YAML tag cannot have args");
        f->count++;
        if (f->kind == YF_STREAM && (rc = doc_start(w)))
            return rc;
    }
    int in_key = f && (f->in_key || (f->kind == YF_MAP && f->count % 2 == 1));
    const char *tag = NULL;
    uint64_t anchor = ev->anchor;
    if (anchor > w->max_id)
        w->max_id = anchor;
    int args = f && f->kind == YF_MODEL && f->count == 1;
    if (f && f->kind == YF_MODEL && f->flags) { /* a tag model */
        if (args) {
            if (ev->kind != BRINE_EV_TUPLE)
                return fail(w, BRINE_E_UNSUPPORTED, "a model named by a YAML tag cannot have args");
            ym_frame *s = ym_push(&w->st, YF_SKIP);
            if (!s)
                return fail(w, BRINE_E_NOMEM, "out of memory");
            return BRINE_OK;
        }
        tag = w->pending; /* the state carries the model's tag and anchor */
        anchor = w->pending_anchor;
        if (ev->kind == BRINE_EV_REF || ev->kind == BRINE_EV_MODEL)
            return fail(w, BRINE_E_UNSUPPORTED, "a model named by a YAML tag needs a state YAML can tag");
    }
    switch (ev->kind) {
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE:
        if (ev->kind == BRINE_EV_TUPLE && !tag && !w->plain && !in_key && !args)
            tag = YM_TAG_TUPLE; /* in a key or a model's args a sequence reads as a tuple anyway */
        return collection(w, ev, tag, anchor, in_key, YF_SEQ);
    case BRINE_EV_DICT:
        if (in_key)
            return fail(w, BRINE_E_KEY, "a dict cannot be a dict key");
        return collection(w, ev, tag, anchor, in_key, YF_MAP);
    case BRINE_EV_MODEL: {
        if (w->plain)
            return fail(w, BRINE_E_UNSUPPORTED, "models are not YAML (written as !brine/model without plain)");
        if (!ym_tag_name_ok(ev->v.s.ptr, ev->v.s.len))
            return fail(w, BRINE_E_UNSUPPORTED,
                        "a model's type name with a NUL byte, ',', '[' or ']' cannot be a YAML tag that reads back");
        if (is_yaml_tag(ev->v.s.ptr, ev->v.s.len)) {
            char *t = brine_malloc(ev->v.s.len + 1);
            if (!t)
                return fail(w, BRINE_E_NOMEM, "out of memory");
            memcpy(t, ev->v.s.ptr, ev->v.s.len);
            t[ev->v.s.len] = 0;
            brine_free(w->pending);
            w->pending = t;
            w->pending_anchor = anchor;
            ym_frame *m = ym_push(&w->st, YF_MODEL);
            if (!m)
                return fail(w, BRINE_E_NOMEM, "out of memory");
            m->flags = 1;
            m->in_key = (uint8_t)in_key;
            return BRINE_OK;
        }
        size_t n = sizeof YM_TAG_MODEL - 1 + ev->v.s.len;
        char *t = brine_malloc(n + 1);
        if (!t)
            return fail(w, BRINE_E_NOMEM, "out of memory");
        memcpy(t, YM_TAG_MODEL, sizeof YM_TAG_MODEL - 1);
        memcpy(t + sizeof YM_TAG_MODEL - 1, ev->v.s.ptr, ev->v.s.len);
        t[n] = 0;
        brine_event seq = *ev;
        seq.v.count = 2;
        rc = collection(w, &seq, t, anchor, in_key, YF_MODEL);
        brine_free(t);
        return rc;
    }
    case BRINE_EV_REF: {
        if (ev->v.ref < w->doc_first || ev->v.ref > w->max_id)
            return fail(w, BRINE_E_UNSUPPORTED,
                        "a reference to a value of another document (YAML anchors are "
                        "local to their document)");
        char aname[32];
        anchor_name(ev->v.ref, aname);
        yaml_event_t e;
        if ((rc = put(w, &e, yaml_alias_event_initialize(&e, (yaml_char_t *)aname))))
            return rc;
        return node_done(w, NULL);
    }
    case BRINE_EV_ARRAY: return fail(w, BRINE_E_UNSUPPORTED, "arrays reach the yaml writer as nested lists");
    default: return scalar(w, ev, tag, anchor);
    }
}

static int yw_finish(brine_sink *self)
{
    yw *w = (yw *)self;
    if (w->status)
        return w->status;
    if (w->st.depth || (!w->roots && !w->stream))
        return fail(w, BRINE_E_INVALID, "the value is not complete");
    yaml_event_t e;
    int rc = put(w, &e, yaml_stream_end_event_initialize(&e));
    if (rc)
        return rc;
    if (!yaml_emitter_flush(&w->em))
        return w->status ? w->status : (w->status = BRINE_E_IO);
    return BRINE_OK;
}

static void yw_destroy(brine_sink *self)
{
    yw *w = (yw *)self;
    yaml_emitter_delete(&w->em);
    ym_stack_free(&w->st);
    brine_free(w->pending);
    brine_doc_free(w->scratch);
    brine_free(w);
}

brine_sink *ym_encoder_new(brine_output *out, const brine_options *opts, brine_error *err)
{
    int indent = 2;
    const char *iv = brine_options_get(opts, "indent");
    if (iv) {
        if (!(iv[0] >= '2' && iv[0] <= '9' && iv[1] == 0)) {
            brine_error_set(err, BRINE_E_OPTION, "the yaml option indent takes 2 to 9 (libyaml's range), not '%s'", iv);
            return NULL;
        }
        indent = iv[0] - '0';
    }
    yw *w = brine_malloc(sizeof *w);
    if (!w) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    memset(w, 0, sizeof *w);
    w->sink.event = yw_event;
    w->sink.finish = yw_finish;
    w->sink.destroy = yw_destroy;
    w->sink.flags = BRINE_SINK_REFS;
    w->sink.err = err;
    w->out = out;
    w->plain = brine_options_flag(opts, "plain");
    w->flow = brine_options_flag(opts, "flow");
    w->stream = brine_options_flag(opts, "stream");
    if (!yaml_emitter_initialize(&w->em)) {
        brine_free(w);
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    yaml_emitter_set_output(&w->em, write_handler, w);
    yaml_emitter_set_unicode(&w->em, 1);
    yaml_emitter_set_width(&w->em, -1); /* long strs stay on their line */
    yaml_emitter_set_indent(&w->em, indent);
    yaml_event_t e;
    if (put(w, &e, yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING))) {
        yw_destroy(&w->sink);
        return NULL;
    }
    return &w->sink;
}
