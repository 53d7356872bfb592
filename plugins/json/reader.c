/* reader.c: the json decoder: one strict RFC 8259 pass over the input,
 * straight to events, iterative with an explicit stack and no depth limit
 * of its own (the sink enforces max_depth). An ordinary document reads as
 * RFC 8259 says, whatever its keys; brine's tags are read only inside the
 * envelope, a top-level object whose first key is "$brine" (or everywhere
 * with legacy_tags, as 0.1 wrote them). In the tagged mode each object is
 * decided with a one-key lookahead: a first key naming a tag (with a value
 * of the kind the tag takes) makes it a tag, and keys starting with "$" are
 * escaped keys (docs/json.md). Strings and numbers: scan.c.
 */
#include <string.h>

#include "json.h"

/* Outcomes of reading an object's start, besides errors. */
#define JS_DONE 1000  /* a complete value was read */
#define JS_MORE 1001  /* frames were pushed: a value comes next */
#define JS_PLAIN 1002 /* not a tag (nothing consumed): an ordinary dict */

static int push(js_reader *R, int kind, int tag, size_t index, const unsigned char *at)
{
    if (R->dry_limit && R->depth >= R->dry_limit)
        return js_fail(R, BRINE_E_DEPTH, at, "maximum recursion depth exceeded while decoding");
    if (R->depth == R->cap) {
        size_t cap = R->cap ? R->cap * 2 : 64;
        js_dframe *s = cap < SIZE_MAX / sizeof *s ? brine_realloc(R->stack, cap * sizeof *s) : NULL;
        if (!s)
            return js_nomem(R);
        R->stack = s;
        R->cap = cap;
    }
    js_dframe *f = &R->stack[R->depth++];
    f->kind = (uint8_t)kind;
    f->tag = (uint8_t)tag;
    f->index = index;
    return BRINE_OK;
}

static inline int emit(js_reader *R, const brine_event *ev, const unsigned char *at)
{
    int st = R->sink->event(R->sink, ev);
    return st == BRINE_OK ? BRINE_OK : js_sink_failed(R, st, at);
}

static int emit_begin(js_reader *R, brine_event_kind kind, uint64_t anchor, const unsigned char *at)
{
    brine_event ev;
    ev.kind = kind;
    ev.anchor = anchor;
    ev.v.count = BRINE_COUNT_UNKNOWN;
    return emit(R, &ev, at);
}

static int emit_end(js_reader *R, const unsigned char *at)
{
    brine_event ev;
    ev.kind = BRINE_EV_END;
    ev.anchor = 0;
    ev.v.count = 0;
    return emit(R, &ev, at);
}

static int emit_text(js_reader *R, brine_event_kind kind, const unsigned char *s, size_t len, const unsigned char *at)
{
    brine_event ev;
    ev.kind = kind;
    ev.anchor = 0;
    ev.v.s.ptr = (const char *)s;
    ev.v.s.len = len;
    return emit(R, &ev, at);
}

/* ---- escaped keys ------------------------------------------------------------ */

static int null_event(brine_sink *sink, const brine_event *ev)
{
    (void)sink;
    (void)ev;
    return BRINE_OK;
}

/* Reads text[0..len) as one whole JSON value in key context into sink.
 * A dry run (outer NULL) reports to err only. */
static int read_key_text(js_reader *R, const unsigned char *text, size_t len, brine_sink *sink, brine_error *err,
                         js_reader *outer, const unsigned char *at)
{
    js_reader sub;
    memset(&sub, 0, sizeof sub);
    sub.start = text;
    sub.end = text + len;
    sub.sink = sink;
    sub.err = err;
    sub.flags = (R->flags & (JS_R_REFS | JS_R_REPLACE)) | JS_R_TAGS | JS_R_KEY;
    sub.outer = outer;
    sub.outer_at = at;
    sub.dry_limit = outer ? 0 : R->max_depth;
    sub.max_depth = R->max_depth;
    const unsigned char *p = text;
    int rc = len && js_skip_ws(text, text + 1) == text ? js_read_value(&sub, &p) : BRINE_E_SYNTAX;
    if (rc == BRINE_OK && p != sub.end)
        rc = BRINE_E_SYNTAX;
    brine_free(sub.stack);
    js_buf_free(&sub.str);
    js_buf_free(&sub.aux);
    return rc;
}

/* An object key k[0..len) whose quote is at `at`. In the tagged mode "$$x"
 * stands for the str "$x", and "$" followed by a JSON value for that value
 * (a non-str key: "$1", "$[1,\"a\"]" for the tuple (1, 'a')); any other
 * "$" key is taken literally, so foreign keys like "$schema" read as
 * written. */
static int emit_key(js_reader *R, const unsigned char *k, size_t len, const unsigned char *at)
{
    if ((R->flags & JS_R_TAGS) && len > 0 && k[0] == '$') {
        if (len >= 2 && k[1] == '$') {
            k++;
            len--;
        } else if (len >= 2) {
            brine_sink null_sink = {null_event, NULL, NULL, 0, NULL};
            brine_error scratch;
            brine_error_clear(&scratch);
            int rc = read_key_text(R, k + 1, len - 1, &null_sink, &scratch, NULL, at);
            if (rc == BRINE_E_NOMEM)
                return js_nomem(R);
            if (rc == BRINE_OK) {
                rc = read_key_text(R, k + 1, len - 1, R->sink, R->err, R, at);
                if (rc != BRINE_OK)
                    R->status = rc;
                return rc;
            }
        }
    }
    return emit_text(R, BRINE_EV_STR, k, len, at);
}

/* p at what should be an object key's quote: reads the key and its colon,
 * records it in frame f (path) and emits it. */
static int read_key(js_reader *R, const unsigned char **pp, size_t frame)
{
    const unsigned char *p = *pp, *end = R->end, *k;
    size_t len;
    if (p == end || *p != '"')
        return js_fail(R, JS_SYNTAX(R, p), p, "Expecting property name enclosed in double quotes");
    const unsigned char *kq = p;
    if (!(p = js_scan_string(R, p, &k, &len)))
        return R->status;
    R->stack[frame].index = (size_t)(R->base + (uint64_t)(kq - R->start)) + 1;
    R->stack[frame].tag = 0; /* in the window (window.c saves it before dropping it) */
    p = js_skip_ws(p, end);
    if (p == end || *p != ':')
        return js_fail(R, JS_SYNTAX(R, p), p, "Expecting ':' delimiter");
    *pp = js_skip_ws(p + 1, end);
    return emit_key(R, k, len, kq);
}

/* Reads the key `name` of a tag's fixed layout and its colon (json.h). */
int js_expect_name(js_reader *R, const unsigned char **pp, const char *name, const char *tag)
{
    const unsigned char *p = *pp, *end = R->end, *k;
    size_t len;
    if (p == end || *p != '"')
        return js_fail(R, JS_SYNTAX(R, p), p, "Expecting property name enclosed in double quotes");
    const unsigned char *kq = p;
    if (!(p = js_scan_string(R, p, &k, &len)))
        return R->status;
    if (len != strlen(name) || memcmp(k, name, len) != 0)
        return js_fail(R, BRINE_E_SYNTAX, kq, "Expecting \"%s\" in the %s tag", name, tag);
    p = js_skip_ws(p, end);
    if (p == end || *p != ':')
        return js_fail(R, JS_SYNTAX(R, p), p, "Expecting ':' delimiter");
    *pp = js_skip_ws(p + 1, end);
    return BRINE_OK;
}

/* ---- tags ------------------------------------------------------------------- */

/* An anchor id: a nonzero integer that fits uint64. */
static const unsigned char *read_id(js_reader *R, const unsigned char *p, const char *tag, uint64_t *id)
{
    const unsigned char *s = p, *end = R->end;
    uint64_t v = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10 || (p == s && d == 0)) {
            js_fail(R, BRINE_E_SYNTAX, s, "Invalid %s id: ids are integers from 1 to 2**64-1", tag);
            return NULL;
        }
        v = v * 10 + d;
    }
    *id = v;
    return p;
}

/* One part of a $complex pair: a number or a {"$float": "..."} tag. */
static int read_part(js_reader *R, const unsigned char **pp, double *out)
{
    const unsigned char *p = *pp, *end = R->end;
    int is_float;
    if (p < end && *p == '{') {
        p = js_skip_ws(p + 1, end);
        int rc = js_expect_name(R, &p, "$float", "$complex");
        if (rc)
            return rc;
        const unsigned char *s, *sq = p;
        size_t len;
        if (p == end || *p != '"')
            return js_fail(R, JS_SYNTAX(R, p), p, "Expecting a string in the $float tag");
        if (!(p = js_scan_string(R, p, &s, &len)))
            return R->status;
        if (js_float_tag_parse(s, len, out))
            return js_fail(R, BRINE_E_SYNTAX, sq, "Invalid $float value");
        p = js_skip_ws(p, end);
        if (p == end || *p != '}')
            return js_fail(R, JS_SYNTAX(R, p), p, "Expecting '}' to close the $float tag");
        *pp = p + 1;
        return BRINE_OK;
    }
    const unsigned char *e = js_number_end(p, end, &is_float);
    if (e == p)
        return js_fail(R, JS_SYNTAX(R, p), p, "Expecting a number in the $complex tag");
    if (js_number_to_double(p, (size_t)(e - p), out))
        return js_nomem(R);
    *pp = e;
    return BRINE_OK;
}

/* The close of a tag's object after its value: p past the value. */
static int tag_close(js_reader *R, const unsigned char **pp, const unsigned char *p, js_tag tag)
{
    p = js_skip_ws(p, R->end);
    if (p == R->end || *p != '}')
        return js_fail(R, JS_SYNTAX(R, p), p, "Expecting '}' to close the %s tag", js_tag_names[tag]);
    *pp = p + 1;
    return JS_DONE;
}

/* $anchor and $alias: p at the id. An alias is read whole with its close
 * (JS_DONE); an anchor leaves p at the value of the container tag that
 * follows it, *tag that tag (BRINE_OK). */
static int read_ref_tag(js_reader *R, const unsigned char **pp, const unsigned char *open, js_tag *tag,
                        uint64_t *anchor)
{
    const unsigned char *p = *pp, *end = R->end, *s, *sq;
    size_t len;
    int rc;
    if (!(p < end && *p >= '0' && *p <= '9'))
        return JS_PLAIN;
    if (!(R->flags & JS_R_REFS))
        return js_fail(R, BRINE_E_UNSUPPORTED, open,
                       "The document uses references (%s): decode it with the refs option", js_tag_names[*tag]);
    if (!(p = read_id(R, p, js_tag_names[*tag], anchor)))
        return R->status;
    if (*tag == JS_TAG_ALIAS) {
        brine_event ev;
        ev.anchor = 0;
        ev.kind = BRINE_EV_REF;
        ev.v.ref = *anchor;
        if ((rc = emit(R, &ev, open)))
            return rc;
        return tag_close(R, pp, p, *tag);
    }
    p = js_skip_ws(p, end);
    if (p == end || *p != ',')
        return js_fail(R, JS_SYNTAX(R, p), p, "Expecting ',' delimiter");
    p = js_skip_ws(p + 1, end);
    if (p == end || *p != '"')
        return js_fail(R, JS_SYNTAX(R, p), p, "Expecting property name enclosed in double quotes");
    sq = p;
    if (!(p = js_scan_string(R, p, &s, &len)))
        return R->status;
    *tag = js_tag_find(s, len);
    if (*tag != JS_TAG_LIST && *tag != JS_TAG_TUPLE && *tag != JS_TAG_DICT && *tag != JS_TAG_MODEL &&
        *tag != JS_TAG_ARRAY)
        return js_fail(R, BRINE_E_SYNTAX, sq,
                       "Expecting \"$list\", \"$tuple\", \"$dict\", \"$model\" or \"$array\" after \"$anchor\"");
    p = js_skip_ws(p, end);
    if (p == end || *p != ':')
        return js_fail(R, JS_SYNTAX(R, p), p, "Expecting ':' delimiter");
    p = js_skip_ws(p + 1, end);
    unsigned c = p < end ? *p : 0, want = *tag == JS_TAG_MODEL                          ? '"'
                                          : *tag == JS_TAG_DICT || *tag == JS_TAG_ARRAY ? '{'
                                                                                        : '[';
    if (c != want)
        return js_fail(R, JS_SYNTAX(R, p), p, "Expecting %s after \"%s\"",
                       want == '"'   ? "a string"
                       : want == '{' ? "an object"
                                     : "an array",
                       js_tag_names[*tag]);
    *pp = p;
    return BRINE_OK;
}

/* $tuple, $list and $dict: p at the '[' or '{'. */
static int read_container_tag(js_reader *R, const unsigned char **pp, const unsigned char *open, js_tag tag,
                              uint64_t anchor)
{
    const unsigned char *p = *pp, *end = R->end;
    int dict = tag == JS_TAG_DICT, rc;
    if ((rc = emit_begin(R,
                         dict                  ? BRINE_EV_DICT
                         : tag == JS_TAG_TUPLE ? BRINE_EV_TUPLE
                                               : BRINE_EV_LIST,
                         anchor, open)) ||
        (rc = push(R, JD_WRAP, tag, 0, open)))
        return rc;
    p = js_skip_ws(p + 1, end);
    if (p < end && *p == (dict ? '}' : ']')) {
        *pp = p + 1;
        return (rc = emit_end(R, p)) ? rc : JS_DONE;
    }
    if (dict ? (rc = push(R, JD_OBJECT, 0, 0, p)) || (rc = read_key(R, &p, R->depth - 1))
             : (rc = push(R, JD_ARRAY, 0, 0, p)) != 0)
        return rc;
    *pp = p;
    return JS_MORE;
}

/* $model: p at the name; its args come next. */
static int read_model_tag(js_reader *R, const unsigned char **pp, const unsigned char *open, uint64_t anchor,
                          int *args_next)
{
    const unsigned char *p = *pp, *end = R->end, *s;
    size_t len;
    brine_event ev;
    int rc;
    if (!(p = js_scan_string(R, p, &s, &len)))
        return R->status;
    ev.kind = BRINE_EV_MODEL;
    ev.anchor = anchor;
    ev.v.s.ptr = (const char *)s;
    ev.v.s.len = len;
    if ((rc = emit(R, &ev, open)))
        return rc;
    p = js_skip_ws(p, end);
    if (p == end || *p != ',')
        return js_fail(R, JS_SYNTAX(R, p), p, "Expecting ',' delimiter");
    p = js_skip_ws(p + 1, end);
    if ((rc = js_expect_name(R, &p, "args", "$model")) || (rc = push(R, JD_ARGS, JS_TAG_MODEL, 0, open)))
        return rc;
    *args_next = 1;
    *pp = p;
    return JS_MORE;
}

/* $bytes, $float and $int: a string, then the close. */
static int read_text_tag(js_reader *R, const unsigned char **pp, const unsigned char *open, js_tag tag)
{
    const unsigned char *p = *pp, *s, *sq = p;
    size_t len;
    brine_event ev;
    int rc;
    ev.anchor = 0;
    if (!(p = js_scan_string(R, p, &s, &len)))
        return R->status;
    if (tag == JS_TAG_BYTES) {
        R->aux.len = 0;
        if (js_buf_grow(&R->aux, len / 4 * 3 + 3, NULL))
            return js_nomem(R);
        if (js_b64_decode(s, len, R->aux.data, &R->aux.len))
            return js_fail(R, BRINE_E_SYNTAX, sq, "Invalid base64 in the $bytes tag");
        rc = emit_text(R, BRINE_EV_BYTES, R->aux.data, R->aux.len, open);
    } else if (tag == JS_TAG_FLOAT) {
        ev.kind = BRINE_EV_FLOAT;
        if (js_float_tag_parse(s, len, &ev.v.f))
            return js_fail(R, BRINE_E_SYNTAX, sq, "Invalid $float value");
        rc = emit(R, &ev, open);
    } else {
        int neg = len > 0 && s[0] == '-';
        size_t i = (size_t)neg, n;
        int ok = len >= i + 3 && s[i] == '0' && s[i + 1] == 'x';
        for (n = i + 2; ok && n < len; n++)
            ok = (s[n] >= '0' && s[n] <= '9') || ((s[n] | 0x20) >= 'a' && (s[n] | 0x20) <= 'f');
        if (!ok)
            return js_fail(R, BRINE_E_SYNTAX, sq, "Invalid $int value: expecting hex digits like \"-0x1f\"");
        if (js_hex_to_le(s + i + 2, len - i - 2, neg, &R->aux, NULL))
            return js_nomem(R);
        js_le_event(R->aux.data, R->aux.len, &ev);
        rc = emit(R, &ev, open);
    }
    return rc ? rc : tag_close(R, pp, p, tag);
}

/* $complex: p at the '[' of the pair, then the close. */
static int read_complex_tag(js_reader *R, const unsigned char **pp, const unsigned char *open)
{
    const unsigned char *p = *pp, *end = R->end;
    brine_event ev;
    int rc;
    ev.anchor = 0;
    ev.kind = BRINE_EV_COMPLEX;
    p = js_skip_ws(p + 1, end);
    if ((rc = read_part(R, &p, &ev.v.c.re)))
        return rc;
    p = js_skip_ws(p, end);
    if (p == end || *p != ',')
        return js_fail(R, JS_SYNTAX(R, p), p, "Expecting ',' delimiter");
    p = js_skip_ws(p + 1, end);
    if ((rc = read_part(R, &p, &ev.v.c.im)))
        return rc;
    p = js_skip_ws(p, end);
    if (p == end || *p != ']')
        return js_fail(R, JS_SYNTAX(R, p), p, "Expecting ']' to close the $complex pair");
    p++;
    if ((rc = emit(R, &ev, open)))
        return rc;
    return tag_close(R, pp, p, JS_TAG_COMPLEX);
}

/* The value of a tag whose key is read: p at the value, `open` at the
 * object's brace. JS_PLAIN (nothing consumed) when the value is not of the
 * tag's kind, so {"$tuple": 5} from elsewhere reads as a dict. Each family
 * of tags has a function; this one dispatches on the tag and the first
 * byte of its value. */
static int read_tag(js_reader *R, const unsigned char **pp, const unsigned char *open, js_tag tag, int in_args,
                    int *args_next)
{
    uint64_t anchor = 0;
    int rc;
    if (tag == JS_TAG_ANCHOR || tag == JS_TAG_ALIAS) {
        if ((rc = read_ref_tag(R, pp, open, &tag, &anchor)) != BRINE_OK)
            return rc;
    }
    unsigned c = *pp < R->end ? **pp : 0;
    if (in_args && tag != JS_TAG_TUPLE)
        return JS_PLAIN; /* the caller refuses it */
    if ((R->flags & JS_R_KEY) &&
        (tag == JS_TAG_LIST || tag == JS_TAG_DICT || tag == JS_TAG_MODEL || tag == JS_TAG_ARRAY))
        return JS_PLAIN;
    switch (tag) {
    case JS_TAG_TUPLE:
    case JS_TAG_LIST: return c == '[' ? read_container_tag(R, pp, open, tag, anchor) : JS_PLAIN;
    case JS_TAG_DICT: return c == '{' ? read_container_tag(R, pp, open, tag, anchor) : JS_PLAIN;
    case JS_TAG_MODEL: return c == '"' ? read_model_tag(R, pp, open, anchor, args_next) : JS_PLAIN;
    case JS_TAG_BYTES:
    case JS_TAG_FLOAT:
    case JS_TAG_INT: return c == '"' ? read_text_tag(R, pp, open, tag) : JS_PLAIN;
    case JS_TAG_COMPLEX: return c == '[' ? read_complex_tag(R, pp, open) : JS_PLAIN;
    case JS_TAG_ARRAY:
        if (c != '{')
            return JS_PLAIN;
        if ((rc = js_read_array_tag(R, pp, open, anchor)))
            return rc;
        return tag_close(R, pp, *pp, JS_TAG_ARRAY);
    default: return JS_PLAIN;
    }
}

/* p at '{'. */
static int read_object(js_reader *R, const unsigned char **pp, int *args)
{
    const unsigned char *open = *pp, *end = R->end, *p = js_skip_ws(open + 1, end), *k;
    size_t len;
    int in_args = *args, rc;
    *args = 0;
    if (p < end && *p == '}' && !in_args && !(R->flags & JS_R_KEY)) {
        if ((rc = emit_begin(R, BRINE_EV_DICT, 0, open)) || (rc = emit_end(R, p)))
            return rc;
        *pp = p + 1;
        return JS_DONE;
    }
    if (!in_args && !(R->flags & JS_R_KEY)) {
        if (p == end || *p != '"')
            return js_fail(R, JS_SYNTAX(R, p), p, "Expecting property name enclosed in double quotes");
    } else if (p == end || *p != '"')
        goto refuse;
    const unsigned char *kq = p;
    if (!(p = js_scan_string(R, p, &k, &len)))
        return R->status;
    p = js_skip_ws(p, end);
    if (p == end || *p != ':')
        return js_fail(R, JS_SYNTAX(R, p), p, "Expecting ':' delimiter");
    p = js_skip_ws(p + 1, end);
    js_tag tag = (R->flags & JS_R_TAGS) && len >= 4 && k[0] == '$' ? js_tag_find(k, len) : JS_TAG_NONE;
    if (tag != JS_TAG_NONE || in_args || (R->flags & JS_R_KEY)) {
        rc = read_tag(R, &p, open, tag, in_args, args);
        if (rc != JS_PLAIN) {
            *pp = p;
            return rc;
        }
        if (in_args || (R->flags & JS_R_KEY))
            goto refuse;
    }
    if ((rc = emit_begin(R, BRINE_EV_DICT, 0, open)) ||
        (rc = push(R, JD_OBJECT, 0, (size_t)(R->base + (uint64_t)(kq - R->start)) + 1, open)) ||
        (rc = emit_key(R, k, len, kq)))
        return rc;
    *pp = p;
    return JS_MORE;
refuse:
    if (in_args)
        return js_fail(R, BRINE_E_SYNTAX, open, "Expecting an array for the args of a $model tag");
    return js_fail(R, BRINE_E_KEY, open, "unhashable type: 'dict'");
}

/* ---- values ---------------------------------------------------------------- */

/* A literal at p, or an error: truncated when the input ends inside it. */
static int literal(js_reader *R, const unsigned char *p, const char *word, size_t n)
{
    size_t have = (size_t)(R->end - p), i = 0;
    while (i < n && i < have && p[i] == (unsigned char)word[i])
        i++;
    if (i == n)
        return BRINE_OK;
    return js_fail(R, have < n && memcmp(p, word, have) == 0 ? BRINE_E_TRUNCATED : BRINE_E_SYNTAX, p,
                   "Expecting value");
}

int js_read_value(js_reader *R, const unsigned char **pp)
{
    const unsigned char *p = *pp, *end, *q, *s;
    const size_t base_depth = R->depth;
    const int key_ctx = (R->flags & JS_R_KEY) != 0;
    int args = 0, rc;
    size_t len;
    brine_event ev;
    ev.anchor = 0;

value:
    if ((rc = js_ensure(R, &p)))
        return rc;
    end = R->end;
    p = js_skip_ws(p, end);
    if (p == end)
        return js_fail(R, BRINE_E_TRUNCATED, p, "Expecting value");
    if (args && *p != '[' && *p != '{')
        return js_fail(R, BRINE_E_SYNTAX, p, "Expecting an array for the args of a $model tag");
    switch (*p) {
    case '[':
        if ((rc = emit_begin(R, args || key_ctx ? BRINE_EV_TUPLE : BRINE_EV_LIST, 0, p)))
            return rc;
        args = 0;
        q = p;
        p = js_skip_ws(p + 1, end);
        if (p < end && *p == ']') {
            if ((rc = emit_end(R, p)))
                return rc;
            p++;
            goto after;
        }
        if ((rc = push(R, JD_ARRAY, 0, 0, q)))
            return rc;
        goto value;
    case '{':
        if ((R->flags & JS_R_TAGS) && R->safe != end && (rc = js_hold_object(R, &p)))
            return rc;
        rc = read_object(R, &p, &args);
        if (rc == JS_MORE)
            goto value;
        if (rc == JS_DONE)
            goto after;
        return rc;
    case '"':
        if (!(q = js_scan_str_value(R, p, &s, &len)))
            return R->status;
        if ((rc = emit_text(R, BRINE_EV_STR, s, len, p)))
            return js_str_refused(R, rc, p, s, len);
        p = q;
        goto after;
    case 't':
    case 'f':
        if ((rc = literal(R, p, *p == 't' ? "true" : "false", *p == 't' ? 4 : 5)))
            return rc;
        ev.kind = BRINE_EV_BOOL;
        ev.v.boolean = *p == 't';
        if ((rc = emit(R, &ev, p)))
            return rc;
        p += *p == 't' ? 4 : 5;
        goto after;
    case 'n':
        if ((rc = literal(R, p, "null", 4)))
            return rc;
        ev.kind = BRINE_EV_NULL;
        if ((rc = emit(R, &ev, p)))
            return rc;
        p += 4;
        goto after;
    default:
        if (*p == '-' || (*p >= '0' && *p <= '9')) {
            if (!(q = js_scan_number(R, p, &ev)))
                return R->status;
            if ((rc = emit(R, &ev, p)))
                return rc;
            p = q;
            goto after;
        }
        return js_fail(R, BRINE_E_SYNTAX, p, "Expecting value");
    }

after:
    while (R->depth > base_depth) {
        if ((rc = js_ensure(R, &p)))
            return rc;
        end = R->end;
        js_dframe *f = &R->stack[R->depth - 1];
        p = js_skip_ws(p, end);
        unsigned c = p < end ? *p : 0;
        switch (f->kind) {
        case JD_ARRAY:
            if (c == ',') {
                p++;
                f->index++;
                goto value;
            }
            if (c != ']')
                return js_fail(R, JS_SYNTAX(R, p), p, "Expecting ',' delimiter");
            break;
        case JD_OBJECT:
            if (c == ',') {
                p = js_skip_ws(p + 1, end);
                if ((rc = read_key(R, &p, R->depth - 1)))
                    return rc;
                goto value;
            }
            if (c != '}')
                return js_fail(R, JS_SYNTAX(R, p), p, "Expecting ',' delimiter");
            break;
        case JD_WRAP:
            if (c != '}')
                return js_fail(R, JS_SYNTAX(R, p), p, "Expecting '}' to close the %s tag", js_tag_names[f->tag]);
            R->depth--;
            p++;
            continue; /* the tag's value was ended by its inner array or object */
        case JD_ARGS:
            if (c != ',')
                return js_fail(R, JS_SYNTAX(R, p), p, "Expecting ',' delimiter");
            p = js_skip_ws(p + 1, end);
            f->kind = JD_STATE;
            if ((rc = js_expect_name(R, &p, "state", "$model")))
                return rc;
            goto value;
        case JD_STATE:
            if (c != '}')
                return js_fail(R, JS_SYNTAX(R, p), p, "Expecting '}' to close the $model tag");
            break;
        }
        R->depth--;
        if ((rc = emit_end(R, p)))
            return rc;
        p++;
    }
    *pp = p;
    return BRINE_OK;
}

/* ---- the envelope -------------------------------------------------------------- */

/* The version of the envelope this reader reads and the writer writes. */
#define JS_ENVELOPE_VERSION 1

/* One document at *pp: {"$brine": 1, "value": v} reads as v with tags on;
 * anything else as plain JSON (tags on only with legacy_tags). */
static int read_document(js_reader *R, const unsigned char **pp, int envelope)
{
    int rc = js_ensure(R, pp);
    if (rc)
        return rc;
    const unsigned char *p = js_skip_ws(*pp, R->end), *end = R->end, *q, *k;
    size_t len;
    if (!envelope || p == end || *p != '{')
        return js_read_value(R, pp);
    q = js_skip_ws(p + 1, end);
    if (q == end || *q != '"')
        return js_read_value(R, pp);
    if (!(q = js_scan_string(R, q, &k, &len)))
        return R->status;
    if (len != 6 || memcmp(k, "$brine", 6) != 0)
        return js_read_value(R, pp);
    q = js_skip_ws(q, end);
    if (q == end || *q != ':')
        return js_fail(R, JS_SYNTAX(R, q), q, "Expecting ':' delimiter");
    q = js_skip_ws(q + 1, end);
    int is_float;
    const unsigned char *v = q, *e = js_number_end(q, end, &is_float);
    if (e == v || is_float || *v == '-')
        return js_fail(R, e == end ? BRINE_E_TRUNCATED : BRINE_E_SYNTAX, v,
                       "Expecting the envelope's version, an integer, after \"$brine\"");
    if ((size_t)(e - v) != 1 || *v != '0' + JS_ENVELOPE_VERSION)
        return js_fail(R, BRINE_E_UNSUPPORTED, v, "Unsupported $brine envelope version %.*s (this reader reads %d)",
                       (int)((e - v) > 20 ? 20 : e - v), (const char *)v, JS_ENVELOPE_VERSION);
    q = js_skip_ws(e, end);
    if (q == end || *q != ',')
        return js_fail(R, JS_SYNTAX(R, q), q, "Expecting ',' delimiter");
    q = js_skip_ws(q + 1, end);
    if ((rc = js_expect_name(R, &q, "value", "$brine envelope")))
        return rc;
    unsigned saved = R->flags;
    R->flags |= JS_R_TAGS;
    rc = js_read_value(R, &q);
    R->flags = saved;
    if (rc || (rc = js_ensure(R, &q)))
        return rc;
    end = R->end;
    q = js_skip_ws(q, end);
    if (q == end || *q != '}')
        return js_fail(R, JS_SYNTAX(R, q), q, "Expecting '}' to close the $brine envelope");
    *pp = q + 1;
    return BRINE_OK;
}

/* ---- the entry point ---------------------------------------------------------- */

/* JSON Lines: values separated by newlines, read into one list. A value may
 * itself span lines; two values on one line are "Extra data". */
static int read_lines(js_reader *R, const unsigned char **pp, int envelope)
{
    const unsigned char *p = *pp, *end;
    int rc = emit_begin(R, BRINE_EV_LIST, 0, p);
    if (rc || (rc = push(R, JD_ARRAY, 0, 0, p))) /* the path of errors names the line's value */
        return rc;
    for (;; R->stack[0].index++) {
        if ((rc = js_ensure_record(R, &p)))
            return rc;
        end = R->end;
        p = js_skip_ws(p, end);
        if (p == end)
            break;
        if ((rc = read_document(R, &p, envelope)))
            return rc;
        /* The rest of the line is blank: read on to its newline, keeping it. */
        for (;;) {
            end = R->end;
            while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
                p++;
            if (p < end || R->safe == end)
                break;
            if ((rc = js_fill_more(R, &p)))
                return rc;
        }
        if (p < end && *p != '\n')
            return js_fail(R, BRINE_E_SYNTAX, p, "Extra data");
    }
    R->depth = 0;
    *pp = p;
    return emit_end(R, p);
}

int js_decode_as(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err, int lines)
{
    unsigned flags = 0;
    int plain = brine_options_flag(opts, "plain");
    if (brine_options_flag(opts, "legacy_tags")) {
        if (plain)
            return brine_error_set(err, BRINE_E_OPTION, "the json options plain and legacy_tags cannot be combined");
        flags |= JS_R_TAGS;
    }
    if (brine_options_flag(opts, "refs")) {
        if (plain)
            return brine_error_set(err, BRINE_E_OPTION, "the json options plain and refs cannot be combined");
        flags |= JS_R_REFS;
    }
    if (brine_options_flag(opts, "replace_invalid"))
        flags |= JS_R_REPLACE;
    js_reader R;
    memset(&R, 0, sizeof R);
    R.start = src->cur;
    R.end = src->end;
    R.base = brine_source_offset(src);
    R.src = src;
    R.sink = sink;
    R.err = err;
    R.flags = flags;
    R.max_depth = brine_options_max_depth(opts);
    const unsigned char *p = R.start;
    /* The first fills: enough to see a BOM. A buffer is all in the window
     * at once, and no later check refills it; a stream refills as the
     * reader goes (JSON Lines a line at a time). */
    int rc;
    do
        rc = js_fill_more(&R, &p);
    while (rc == BRINE_OK && R.end - p < 3 && R.safe != R.end);
    if (rc)
        ;
    else if (R.end - p >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
        rc = js_fail(&R, BRINE_E_SYNTAX, p, "Unexpected UTF-8 BOM (decode using utf-8-sig)");
    else if (js_lines_option(opts, lines))
        rc = read_lines(&R, &p, !plain);
    else if ((rc = read_document(&R, &p, !plain)) == BRINE_OK && (rc = js_ensure(&R, &p)) == BRINE_OK) {
        p = js_skip_ws(p, R.end);
        if (p != R.end)
            rc = js_fail(&R, BRINE_E_SYNTAX, p, "Extra data");
    }
    if (rc == BRINE_OK)
        src->cur = p;
    brine_free(R.stack);
    js_buf_free(&R.str);
    js_buf_free(&R.aux);
    js_buf_free(&R.keys);
    brine_doc_free(R.dtypes);
    return rc;
}

int js_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err)
{
    return js_decode_as(src, sink, opts, err, 0);
}
