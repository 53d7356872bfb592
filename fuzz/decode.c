/* decode.c: the libFuzzer harness for one format's decoder (FZ_FORMAT, set
 * by fuzz/build.sh). Each input is decoded under every option set of the
 * format (fuzz.h); a failure must be a clean error (code, message, offset
 * inside the input), a success a graph that prints, counts and copies. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const brine_plugin *fmt = fz_plugin(FZ_FORMAT);
    const fz_format *f = fz_format_named(FZ_FORMAT);
    for (size_t i = 0; i < f->set_count; i++) {
        brine_options opts;
        brine_error err;
        brine_error_clear(&err);
        brine_doc *doc =
            brine_decode_buffer(fmt, data, size, fz_options(&opts, f->sets[i].max_depth, f->sets[i].decode), &err);
        if (!doc) {
            fz_check_error("decoding", &err, size);
            continue;
        }
        if (err.code != BRINE_OK)
            FZ_FAIL("decoding succeeded but left an error: %s", err.message);
        fz_exercise_graph(brine_doc_root(doc));
        brine_doc_free(doc);
    }
    return 0;
}
