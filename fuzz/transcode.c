/* transcode.c: the libFuzzer harness for brine_transcode. The first byte
 * picks the source and target formats (from + count * to, fz_formats), the
 * second their option sets (low nibble: the source's, high: the target's);
 * the rest is the input. Whichever route brine_transcode takes (streaming
 * decoder -> encoder, or through a graph), it must succeed exactly when
 * decoding and then encoding succeed (but for the json writer's streamed
 * auto mode, below), and its output must decode to a graph equal to the
 * one that route writes. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

_Static_assert(FZ_COUNT(fz_formats) * FZ_COUNT(fz_formats) <= 256, "one selector byte picks both formats");

/* Decodes bytes written by the target format, or aborts. */
static brine_doc *read_back(const brine_plugin *to, const void *bytes, size_t len, const brine_options *opts,
                            const char *route)
{
    brine_error err;
    brine_error_clear(&err);
    brine_doc *doc = brine_decode_buffer(to, bytes, len, opts, &err);
    if (!doc)
        FZ_FAIL("%s cannot read what the %s route wrote (%s): %s", to->name, route, brine_strerror(err.code),
                err.message);
    return doc;
}

/* 1 when the input repeats a dict key (which a graph folds) at or after
 * offset off: a streamed transcode into MessagePack with references,
 * which writes any value (and, having no encode_value hook, streams from
 * any decoder), stops at the first repeat. */
static int fz_repeats_from(const brine_plugin *from, const uint8_t *data, size_t size, const brine_options *fopts,
                           uint64_t off)
{
    static const char *const items[] = {"refs", NULL};
    brine_options mopts;
    brine_source src;
    brine_output out;
    brine_error err;
    uint64_t at = UINT64_MAX;
    fz_options(&mopts, fopts->max_depth, items);
    brine_error_clear(&err);
    brine_source_init_buffer(&src, data, size);
    if (brine_output_init_buffer(&out, &err) != BRINE_OK)
        FZ_FAIL("out of memory");
    int streamed = -1;
    if (brine_transcode(from, &src, fopts, fz_plugin("msgpack"), &out, &mopts, &streamed, &err) == BRINE_E_UNSUPPORTED &&
        streamed == 1 && strncmp(err.message, "a dict key repeats", 18) == 0)
        at = err.offset;
    brine_source_destroy(&src);
    brine_output_destroy(&out);
    return at != UINT64_MAX && at >= off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned pick = data[0], sets = data[1];
    const size_t n = FZ_COUNT(fz_formats);
    const fz_format *ff = &fz_formats[pick % n];
    const fz_format *tf = &fz_formats[(pick / n) % n];
    const fz_optset *fset = &ff->sets[(sets & 15) % ff->set_count];
    const fz_optset *tset = &tf->sets[(sets >> 4) % tf->set_count];
    const brine_plugin *from = fz_plugin(ff->name), *to = fz_plugin(tf->name);
    data += 2;
    size -= 2;

    brine_options fopts, topts, tdopts;
    fz_options(&fopts, fset->max_depth, fset->decode);
    fz_options(&topts, fset->max_depth, tset->encode);
    fz_options(&tdopts, 0, tset->decode);

    /* The streaming (or internal graph) route. */
    brine_source src;
    brine_output out;
    brine_error err;
    brine_error_clear(&err);
    brine_source_init_buffer(&src, data, size);
    if (brine_output_init_buffer(&out, &err) != BRINE_OK)
        FZ_FAIL("out of memory");
    int streamed = -1;
    int rc = brine_transcode(from, &src, &fopts, to, &out, &topts, &streamed, &err);
    brine_source_destroy(&src);
    size_t tlen = 0;
    void *tbytes = rc == BRINE_OK ? brine_output_take(&out, &tlen) : NULL;
    brine_output_destroy(&out);
    if (rc != BRINE_OK)
        fz_check_error("transcoding", &err, size);
    else if (!tbytes)
        FZ_FAIL("out of memory");

    /* The route through a graph the caller decodes and encodes. */
    brine_error gerr;
    brine_error_clear(&gerr);
    void *gbytes = NULL;
    size_t glen = 0;
    brine_doc *doc = brine_decode_buffer(from, data, size, &fopts, &gerr);
    int grc = doc ? brine_encode_buffer(to, brine_doc_root(doc), &topts, &gbytes, &glen, &gerr) : gerr.code;
    int doc_model = doc ? fz_scan(brine_doc_root(doc)).model : 1;
    brine_doc_free(doc);

    /* The documented differences of the streamed route: it refuses a
     * repeated dict key, which a graph folds (docs/formats.md); and the
     * json writer's auto mode starts plain and refuses a value JSON lacks
     * met later, which an encode of the graph puts in the envelope
     * (docs/json.md). */
    int folded =
        streamed && rc == BRINE_E_UNSUPPORTED && grc == BRINE_OK && strncmp(err.message, "a dict key repeats", 18) == 0;
    int late = rc == BRINE_E_UNSUPPORTED && streamed == 1 && grc == BRINE_OK && strstr(err.message, "(-O tagged)");
    /* Streamed, a writer refuses a value as it comes (pickle: a model
     * outside its allow-list, or whose name is no module.qualname), also
     * one that a repeated key later in the input then replaces; the graph
     * has folded it away. */
    int dropped = (rc == BRINE_E_MODEL || rc == BRINE_E_UNSUPPORTED) && streamed == 1 && grc == BRINE_OK &&
                  ((rc == BRINE_E_MODEL && strstr(err.message, "is not allowed") && !doc_model) ||
                   fz_repeats_from(from, data, size, &fopts, err.offset));
    /* Arrays (#20), streamed: the native writer refuses an array that
     * comes after its 1.0 header has left the buffer, and the checker a
     * shared 0-d array for an encoder without arrays (it has no list to
     * anchor); a graph has the whole value first. */
    int array_late = rc == BRINE_E_UNSUPPORTED && streamed == 1 && grc == BRINE_OK &&
                     (strncmp(err.message, "an array arrived after", 22) == 0 ||
                      strncmp(err.message, "a shared 0-d array", 18) == 0);
    if ((rc == BRINE_OK) != (grc == BRINE_OK) && !folded && !late && !dropped && !array_late)
        FZ_FAIL("%s -> %s: transcode (%s route) says %s, decode + encode says %s: %s / %s", from->name, to->name,
                streamed ? "streamed" : "graph", brine_strerror(rc), brine_strerror(grc), err.message, gerr.message);
    if (rc == BRINE_OK) {
        brine_doc *a = read_back(to, tbytes, tlen, &tdopts, "transcode");
        brine_doc *b = read_back(to, gbytes, glen, &tdopts, "graph");
        brine_error_clear(&err);
        int eq = brine_value_equal(brine_doc_root(a), brine_doc_root(b), 0, &err);
        if (eq != 1)
            FZ_FAIL("%s -> %s: transcode (%s route) and decode + encode wrote different graphs (%d: %s)", from->name,
                    to->name, streamed ? "streamed" : "graph", eq, err.message);
        brine_doc_free(a);
        brine_doc_free(b);
    }
    brine_free(tbytes);
    brine_free(gbytes);
    return 0;
}
