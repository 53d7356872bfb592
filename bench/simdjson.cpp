/* simdjson.cpp: the simdjson peer row of `make bench` (built only when
 * configure found libsimdjson-dev): JSON decode next to brine's json decode
 * and cJSON_Parse, on the same bytes in the same process. simdjson gets its
 * best case, as its own benchmarks do: the text copied once into a padded
 * buffer, one DOM parser reused across runs (its tape and string buffers
 * stay allocated), and no walk of the result. brine builds a full graph of
 * values in a new document each run, so the row is a ceiling, not a peer
 * doing the same work. The only C++ in the tree; bench.c sees C calls.
 */
#include <simdjson.h>

#include <cstdio>
#include <new>

#include "bench.h"

struct raw_sj_doc {
    simdjson::padded_string text;
    simdjson::dom::parser parser;
};

extern "C" raw_sj_doc *raw_sj_doc_new(const char *data, size_t len)
{
    raw_sj_doc *d = new (std::nothrow) raw_sj_doc;
    if (!d)
        return nullptr;
    d->text = simdjson::padded_string(data, len);
    /* One parse to size the parser's buffers and check that it succeeds. */
    simdjson::dom::element root;
    if (d->parser.parse(d->text).get(root)) {
        delete d;
        return nullptr;
    }
    return d;
}

extern "C" int raw_sj_parse(raw_sj_doc *d)
{
    simdjson::dom::element root;
    return d->parser.parse(d->text).get(root) ? -1 : 0;
}

extern "C" void raw_sj_doc_free(raw_sj_doc *d)
{
    delete d;
}

/* simdjson.h defines SIMDJSON_VERSION as bare tokens (3.0.1). */
#define SJ_STR2(x) #x
#define SJ_STR(x) SJ_STR2(x)

extern "C" void raw_sj_version(char *buf, size_t cap)
{
    std::snprintf(buf, cap, "simdjson %s (%s)", SJ_STR(SIMDJSON_VERSION),
                  simdjson::get_active_implementation()->name().c_str());
}
