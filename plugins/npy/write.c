/* write.c: the npy encoder, a sink that takes exactly one ARRAY event (the
 * root) and writes numpy.save's bytes for it: the header of header.c, then
 * the data as the event holds it (C order, the dtype's byte order). Any
 * other root is refused: a .npy file holds one array.
 */
#include "npy.h"

typedef struct npy_enc {
    brine_sink sink; /* first member: a brine_sink * is an npy_enc * */
    brine_output *out;
    int done;
} npy_enc;

const char *npy_event_what(brine_event_kind k)
{
    switch (k) {
    case BRINE_EV_NULL: return "None";
    case BRINE_EV_BOOL: return "a bool";
    case BRINE_EV_INT:
    case BRINE_EV_UINT:
    case BRINE_EV_BIGINT: return "an int";
    case BRINE_EV_FLOAT: return "a float";
    case BRINE_EV_COMPLEX: return "a complex";
    case BRINE_EV_STR: return "a str";
    case BRINE_EV_BYTES: return "bytes";
    case BRINE_EV_LIST: return "a list";
    case BRINE_EV_TUPLE: return "a tuple";
    case BRINE_EV_DICT: return "a dict";
    case BRINE_EV_MODEL: return "a model";
    case BRINE_EV_ARRAY: return "an array";
    default: return "something else";
    }
}

static int enc_event(brine_sink *sink, const brine_event *ev)
{
    npy_enc *e = (npy_enc *)sink;
    if (ev->kind != BRINE_EV_ARRAY || e->done)
        return brine_error_set(sink->err, BRINE_E_TYPE, "npy holds one array, not %s",
                               e->done ? "more than one value" : npy_event_what(ev->kind));
    const brine_array_header *h = ev->v.array;
    unsigned char *head;
    size_t hlen;
    int rc = npy_header_build(h->dtype, h->ndim, h->shape, &head, &hlen, sink->err);
    if (rc)
        return rc;
    /* A size hint: a file output reserves its blocks, a memory one its room. */
    rc = brine_output_expect(e->out, hlen + h->data_len, sink->err);
    if (rc == BRINE_OK)
        rc = brine_output_write(e->out, head, hlen, sink->err);
    brine_free(head);
    if (rc == BRINE_OK && h->data_len)
        rc = brine_output_write(e->out, h->data, h->data_len, sink->err);
    e->done = 1;
    return rc;
}

static int enc_finish(brine_sink *sink)
{
    npy_enc *e = (npy_enc *)sink;
    return e->done ? BRINE_OK : brine_error_set(sink->err, BRINE_E_INVALID, "the value is incomplete");
}

static void enc_destroy(brine_sink *sink)
{
    brine_free(sink);
}

brine_sink *npy_encoder_new(brine_output *out, const brine_options *opts, brine_error *err)
{
    (void)opts;
    npy_enc *e = brine_malloc(sizeof *e);
    if (!e) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    memset(e, 0, sizeof *e);
    e->sink.event = enc_event;
    e->sink.finish = enc_finish;
    e->sink.destroy = enc_destroy;
    e->sink.flags = BRINE_SINK_ARRAYS;
    e->sink.err = err;
    e->out = out;
    return &e->sink;
}
