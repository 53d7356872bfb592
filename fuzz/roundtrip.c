/* roundtrip.c: the libFuzzer round-trip harness for one format (FZ_FORMAT).
 * What the decoder accepts, the encoder must write, the decoder must read
 * back to an equal graph (brine_value_equal: same values, same sharing),
 * and writing that graph again must give the same bytes. Under each option
 * set of fuzz.h, whose encode options match its decode options. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints a graph for a failure report. */
static void show(const char *label, const brine_value *v)
{
    char text[2048];
    brine_value_repr(v, text, sizeof text, 0, NULL);
    fprintf(stderr, "fuzz: %s: %s\n", label, text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const brine_plugin *fmt = fz_plugin(FZ_FORMAT);
    const fz_format *f = fz_format_named(FZ_FORMAT);
    for (size_t i = 0; i < f->set_count; i++) {
        const fz_optset *set = &f->sets[i];
        brine_options dopts, eopts;
        brine_error err;
        fz_options(&dopts, set->max_depth, set->decode);
        fz_options(&eopts, set->max_depth, set->encode);
        brine_error_clear(&err);
        brine_doc *first = brine_decode_buffer(fmt, data, size, &dopts, &err);
        if (!first)
            continue; /* the decode harness checks the error */
        void *bytes = NULL, *again = NULL;
        size_t len = 0, again_len = 0;
        brine_error_clear(&err);
        if (brine_encode_buffer(fmt, brine_doc_root(first), &eopts, &bytes, &len, &err) != BRINE_OK) {
            if (set->refuses_nonfinite && err.code == BRINE_E_UNSUPPORTED && fz_has_nonfinite(brine_doc_root(first))) {
                brine_doc_free(first);
                continue;
            }
            /* The pickle writer refuses a model outside its allow-list
             * (docs/pickle.md, Security): the graph holds one. */
            if (err.code == BRINE_E_MODEL && strstr(err.message, "is not allowed") &&
                (brine_value_kinds(brine_doc_root(first)) & BRINE_KIND_MODEL)) {
                brine_doc_free(first);
                continue;
            }
            show("decoded", brine_doc_root(first));
            FZ_FAIL("set %zu: %s cannot encode what it decoded (%s): %s", i, FZ_FORMAT, brine_strerror(err.code),
                    err.message);
        }
        brine_error_clear(&err);
        brine_doc *second = brine_decode_buffer(fmt, bytes, len, &dopts, &err);
        if (!second) {
            fprintf(stderr, "fuzz: encoded: %.*s\n", (int)(len < 2000 ? len : 2000), (const char *)bytes);
            FZ_FAIL("set %zu: %s cannot decode what it encoded (%s at %llu): %s", i, FZ_FORMAT,
                    brine_strerror(err.code), (unsigned long long)err.offset, err.message);
        }
        brine_error_clear(&err);
        int eq = brine_value_equal(brine_doc_root(first), brine_doc_root(second), 0, &err);
        if (eq != 1) {
            show("first", brine_doc_root(first));
            show("second", brine_doc_root(second));
            FZ_FAIL("set %zu: %s round trip changed the graph (%d: %s)", i, FZ_FORMAT, eq, err.message);
        }
        brine_error_clear(&err);
        if (brine_encode_buffer(fmt, brine_doc_root(second), &eopts, &again, &again_len, &err) != BRINE_OK)
            FZ_FAIL("set %zu: %s cannot encode the graph the second time: %s", i, FZ_FORMAT, err.message);
        if (again_len != len || memcmp(again, bytes, len) != 0)
            FZ_FAIL("set %zu: %s wrote an equal graph differently (%zu then %zu bytes)", i, FZ_FORMAT, len, again_len);
        brine_free(again);
        brine_free(bytes);
        brine_doc_free(second);
        brine_doc_free(first);
    }
    return 0;
}
