/* array.c: the reader of the $array tag (docs/json.md, "Arrays"):
 *
 *   {"$array": {"dtype": D, "shape": [n, ...], "data": "<base64>"}}
 *
 * D is numpy's dtype.str ("<f8", "|S10", "<M8[ns]") or, for a record, its
 * descr as arrays: [["x", "<f8"], ["v", "<i4", [2]], ["", "|V4"]]. The
 * data is the array's bytes in the dtype's byte order, C order, base64.
 * Every size is checked before anything is allocated: the shape's product
 * against overflow, the base64 text's length against what the shape and
 * dtype need (the text is in the input, so memory follows the input). The
 * writer's side is in writer.c, beside the other tags.
 */
#include <string.h>

#include "json.h"

#include "descr.h"

/* The dtypes of the arrays read, in a document of the reader's. */
static brine_doc *dtypes(js_reader *R)
{
    if (!R->dtypes)
        R->dtypes = brine_doc_new();
    return R->dtypes;
}

/* A non-negative integer that fits uint64 at *pp. */
static int read_count(js_reader *R, const unsigned char **pp, uint64_t *out, const char *what)
{
    const unsigned char *p = *pp, *end = R->end;
    int is_float;
    const unsigned char *e = js_number_end(p, end, &is_float);
    if (e == p || is_float || *p == '-')
        return js_fail(R, e == end ? BRINE_E_TRUNCATED : BRINE_E_SYNTAX, p,
                       "Expecting a non-negative integer in the %s of the $array tag", what);
    uint64_t v = 0;
    for (const unsigned char *q = p; q < e; q++) {
        unsigned d = (unsigned)(*q - '0');
        if (v > (UINT64_MAX - d) / 10)
            return js_fail(R, BRINE_E_CORRUPT, p, "An integer beyond 2**64-1 in the %s of the $array tag", what);
        v = v * 10 + d;
    }
    *out = v;
    *pp = e;
    return BRINE_OK;
}

/* [n, ...] at *pp: at most BRINE_ARRAY_MAX_DIMS sizes. */
static int read_shape(js_reader *R, const unsigned char **pp, unsigned *ndim, uint64_t *shape, const char *what)
{
    const unsigned char *p = *pp, *end = R->end, *open = p;
    int rc;
    if (p == end || *p != '[')
        return js_fail(R, JS_SYNTAX(R, p), p, "Expecting an array for the %s of the $array tag", what);
    p = js_skip_ws(p + 1, end);
    *ndim = 0;
    if (p < end && *p == ']') {
        *pp = p + 1;
        return BRINE_OK;
    }
    for (;;) {
        if (*ndim == BRINE_ARRAY_MAX_DIMS)
            return js_fail(R, BRINE_E_CORRUPT, open, "More than %d dimensions in the %s of the $array tag",
                           BRINE_ARRAY_MAX_DIMS, what);
        if ((rc = read_count(R, &p, &shape[*ndim], what)))
            return rc;
        ++*ndim;
        p = js_skip_ws(p, end);
        if (p < end && *p == ',') {
            p = js_skip_ws(p + 1, end);
            continue;
        }
        if (p == end || *p != ']')
            return js_fail(R, JS_SYNTAX(R, p), p, "Expecting ',' delimiter");
        *pp = p + 1;
        return BRINE_OK;
    }
}

static int read_dtype(js_reader *R, const unsigned char **pp, const brine_dtype **out, unsigned level);

/* A record's descr at *pp ('['): its entries, then the record. */
static int read_descr(js_reader *R, const unsigned char **pp, const brine_dtype **out, unsigned level)
{
    const unsigned char *p = js_skip_ws(*pp + 1, R->end), *end = R->end, *open = *pp;
    pd_record rec;
    int rc = BRINE_OK;
    memset(&rec, 0, sizeof rec);
    if (p < end && *p == ']')
        return js_fail(R, BRINE_E_CORRUPT, open, "A record dtype without entries in the $array tag");
    for (;;) {
        const unsigned char *eopen = p, *name;
        size_t nlen;
        const brine_dtype *f;
        unsigned ndim = 0;
        uint64_t shape[BRINE_ARRAY_MAX_DIMS];
        if (p == end || *p != '[') {
            rc = js_fail(R, JS_SYNTAX(R, p), p, "Expecting [name, type] or [name, type, shape] in a record dtype");
            break;
        }
        p = js_skip_ws(p + 1, end);
        if (p == end || *p != '"') {
            rc = js_fail(R, JS_SYNTAX(R, p), p, "Expecting a field name in a record dtype");
            break;
        }
        if (!(p = js_scan_string(R, p, &name, &nlen))) {
            rc = R->status;
            break;
        }
        /* A name with escapes sits in R->str, which the next string
         * reuses: a copy in the dtypes' document outlives the record. */
        if (nlen && R->str.data && name >= R->str.data && name < R->str.data + R->str.cap) {
            brine_value *copy = brine_str_new(R->dtypes, (const char *)name, nlen, NULL);
            if (!copy) {
                rc = js_nomem(R);
                break;
            }
            name = (const unsigned char *)brine_str_get(copy, &nlen);
        }
        p = js_skip_ws(p, end);
        if (p == end || *p != ',') {
            rc = js_fail(R, JS_SYNTAX(R, p), p, "Expecting ',' delimiter");
            break;
        }
        p = js_skip_ws(p + 1, end);
        if ((rc = read_dtype(R, &p, &f, level + 1)))
            break;
        p = js_skip_ws(p, end);
        if (p < end && *p == ',') {
            p = js_skip_ws(p + 1, end);
            if ((rc = read_shape(R, &p, &ndim, shape, "field shape")))
                break;
            p = js_skip_ws(p, end);
        }
        if (p == end || *p != ']') {
            rc = js_fail(R, JS_SYNTAX(R, p), p, "Expecting ']' to close a record dtype's entry");
            break;
        }
        p = js_skip_ws(p + 1, end);
        brine_error local;
        brine_error_clear(&local);
        if ((rc = pd_add(&rec, (const char *)name, nlen, f, ndim, shape, &local))) {
            rc = rc == BRINE_E_NOMEM ? js_nomem(R) : js_fail(R, BRINE_E_CORRUPT, eopen, "%s", local.message);
            break;
        }
        if (p < end && *p == ',') {
            p = js_skip_ws(p + 1, end);
            continue;
        }
        if (p == end || *p != ']') {
            rc = js_fail(R, JS_SYNTAX(R, p), p, "Expecting ',' delimiter");
            break;
        }
        p++;
        brine_error_clear(&local);
        if (!(*out = pd_finish(&rec, dtypes(R), &local)))
            rc = local.code == BRINE_E_NOMEM ? js_nomem(R) : js_fail(R, BRINE_E_CORRUPT, open, "%s", local.message);
        break;
    }
    pd_free(&rec);
    if (rc == BRINE_OK)
        *pp = p;
    return rc;
}

static int read_dtype(js_reader *R, const unsigned char **pp, const brine_dtype **out, unsigned level)
{
    const unsigned char *p = *pp, *end = R->end, *s;
    size_t len;
    if (level > BRINE_DTYPE_MAX_NESTING)
        return js_fail(R, BRINE_E_CORRUPT, p, "Records nest more than %d deep in the $array tag",
                       BRINE_DTYPE_MAX_NESTING);
    if (!dtypes(R))
        return js_nomem(R);
    if (p < end && *p == '[')
        return read_descr(R, pp, out, level);
    if (p == end || *p != '"')
        return js_fail(R, JS_SYNTAX(R, p), p, "Expecting a dtype string or a record's descr in the $array tag");
    const unsigned char *sq = p;
    if (!(p = js_scan_string(R, p, &s, &len)))
        return R->status;
    brine_error local;
    brine_error_clear(&local);
    brine_dtype *dt = brine_dtype_parse(R->dtypes, (const char *)s, len, &local);
    if (!dt)
        return local.code == BRINE_E_NOMEM
                   ? js_nomem(R)
                   : js_fail(R, local.code == BRINE_E_UNSUPPORTED ? BRINE_E_UNSUPPORTED : BRINE_E_CORRUPT, sq,
                             "Invalid dtype in the $array tag: %s", local.message);
    *out = dt;
    *pp = p;
    return BRINE_OK;
}

static int expect_byte(js_reader *R, const unsigned char **pp, unsigned char c, const char *msg)
{
    const unsigned char *p = js_skip_ws(*pp, R->end);
    if (p == R->end || *p != c)
        return js_fail(R, JS_SYNTAX(R, p), p, "%s", msg);
    *pp = js_skip_ws(p + 1, R->end);
    return BRINE_OK;
}

int js_read_array_tag(js_reader *R, const unsigned char **pp, const unsigned char *open, uint64_t anchor)
{
    const unsigned char *p = js_skip_ws(*pp + 1, R->end), *s, *sq;
    brine_array_header h;
    uint64_t shape[BRINE_ARRAY_MAX_DIMS];
    size_t len, nbytes;
    int rc;
    memset(&h, 0, sizeof h);
    if ((rc = js_expect_name(R, &p, "dtype", "$array")) || (rc = read_dtype(R, &p, &h.dtype, 1)) ||
        (rc = expect_byte(R, &p, ',', "Expecting ',' delimiter")) || (rc = js_expect_name(R, &p, "shape", "$array")))
        return rc;
    const unsigned char *shape_at = p;
    if ((rc = read_shape(R, &p, &h.ndim, shape, "shape")) ||
        (rc = expect_byte(R, &p, ',', "Expecting ',' delimiter")) || (rc = js_expect_name(R, &p, "data", "$array")))
        return rc;
    if (pd_shape_size(h.ndim, shape, brine_dtype_itemsize(h.dtype), &h.count, &nbytes))
        return js_fail(R, BRINE_E_CORRUPT, shape_at,
                       "The shape and dtype of the $array tag make more bytes than memory holds");
    if (p == R->end || *p != '"')
        return js_fail(R, JS_SYNTAX(R, p), p, "Expecting a base64 string for the data of the $array tag");
    sq = p;
    if (!(p = js_scan_string(R, p, &s, &len)))
        return R->status;
    /* The text is in the input: checked against the size before decoding. */
    if (len != js_b64_len(nbytes))
        return js_fail(R, BRINE_E_CORRUPT, sq,
                       "The data of the $array tag has %zu base64 characters; its shape and dtype need %zu (%zu bytes)",
                       len, js_b64_len(nbytes), nbytes);
    R->aux.len = 0;
    if (js_buf_grow(&R->aux, nbytes + 3, NULL))
        return js_nomem(R);
    size_t got;
    if (js_b64_decode(s, len, R->aux.data, &got))
        return js_fail(R, BRINE_E_SYNTAX, sq, "Invalid base64 in the $array tag");
    if (got != nbytes)
        return js_fail(R, BRINE_E_CORRUPT, sq,
                       "The data of the $array tag holds %zu bytes; its shape and dtype need %zu", got, nbytes);
    if ((rc = expect_byte(R, &p, '}', "Expecting '}' to close the $array tag's object")))
        return rc;
    h.shape = shape;
    h.data = R->aux.data;
    h.data_len = nbytes;
    brine_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = BRINE_EV_ARRAY;
    ev.anchor = anchor;
    ev.v.array = &h;
    int st = R->sink->event(R->sink, &ev);
    if (st)
        return js_sink_failed(R, st, open);
    *pp = p;
    return BRINE_OK;
}
