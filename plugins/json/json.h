/* json.h: what the files of the json plugin share: the decoder's state and
 * its lexer (scan.c), the tag names of the lossless mode (tags.c), big
 * integer and base64 text (bigint.c, tags.c), exact number conversion
 * (number.c) and the two entry points (reader.c, writer.c). Internal to the
 * plugin; docs/json.md describes the format itself.
 */
#ifndef BRINE_JSON_JSON_H
#define BRINE_JSON_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <brine/plugin.h>

/* ---- tags (tags.c) -------------------------------------------------------- */

/* In the tagged mode an object whose FIRST key is one of these names is a
 * tag standing for a value JSON lacks. */
typedef enum js_tag {
    JS_TAG_NONE = 0,
    JS_TAG_TUPLE,   /* {"$tuple": [...]} */
    JS_TAG_LIST,    /* {"$anchor": n, "$list": [...]} */
    JS_TAG_DICT,    /* {"$anchor": n, "$dict": {...}} */
    JS_TAG_BYTES,   /* {"$bytes": "base64"} */
    JS_TAG_COMPLEX, /* {"$complex": [re, im]} */
    JS_TAG_FLOAT,   /* {"$float": "nan" | "inf" | "-inf" | "0x<16 hex digits>"} */
    JS_TAG_INT,     /* {"$int": "-0x<hex>"}: ints too long for decimal text */
    JS_TAG_MODEL,   /* {"$model": "name", "args": [...], "state": v} */
    JS_TAG_ANCHOR,  /* {"$anchor": n, "$list" | "$tuple" | "$dict" | "$model": ...} */
    JS_TAG_ALIAS,   /* {"$alias": n} */
    JS_TAG_ARRAY    /* {"$array": {"dtype": ..., "shape": [...], "data": "base64"}} (array.c) */
} js_tag;

/* The key of each tag, "$tuple"..., indexed by js_tag. */
extern const char *const js_tag_names[];

/* The tag named by key s[0..len), or JS_TAG_NONE. */
js_tag js_tag_find(const unsigned char *s, size_t len);

/* ---- growable byte buffers ------------------------------------------------ */

typedef struct js_buf {
    unsigned char *data; /* brine_malloc'd */
    size_t len;          /* bytes in use */
    size_t cap;          /* bytes allocated */
} js_buf;

/* Makes room for extra more bytes; BRINE_E_NOMEM (err filled) on failure. */
int js_buf_grow(js_buf *b, size_t extra, brine_error *err);
int js_buf_put(js_buf *b, const void *p, size_t len, brine_error *err);
void js_buf_free(js_buf *b);

/* ---- base64 (RFC 4648, standard alphabet, padded) --------------------------- */

static inline size_t js_b64_len(size_t len)
{
    return (len + 2) / 3 * 4;
}
void js_b64_encode(const unsigned char *in, size_t len, unsigned char *out);

/* Decodes strictly (padding required, no whitespace) into out (at least
 * len / 4 * 3 bytes). Returns 0 and sets *out_len, or -1 if invalid. */
int js_b64_decode(const unsigned char *in, size_t len, unsigned char *out, size_t *out_len);

/* ---- floats -------------------------------------------------------------- */

/* The text of a $float tag for a non-finite d: "nan" (the default quiet
 * NaN), "inf", "-inf", or "0x" and the 16 hex digits of any other NaN's bits.
 * Returns the length. */
size_t js_float_tag_text(double d, char buf[24]);

/* Parses a $float tag's text (any double: finite values as JSON numbers are
 * accepted too). 0 or -1. */
int js_float_tag_parse(const unsigned char *s, size_t len, double *out);

/* The double nearest to the valid JSON number token s[0..len),
 * independent of the C locale. 0, or BRINE_E_NOMEM. */
int js_number_to_double(const unsigned char *s, size_t len, double *out);

/* ---- integers beyond 64 bits (bigint.c) ------------------------------------ */

/* Python 3.11's limit for int <-> decimal text: longer tokens are refused
 * (the conversion is quadratic). */
#define JS_MAX_DIGITS 4300
/* Ints whose two's complement takes more bytes than this have more than
 * JS_MAX_DIGITS decimal digits (their magnitude is at least 2^14295 >
 * 10^4300), so the writer gives them the $int tag (hex, linear both ways)
 * without converting; up to 1785 bytes they have at most 4299 digits, and
 * at 1786 or 1787 bytes the digits decide. */
#define JS_MAX_DEC_BYTES 1787

/* Digits (no sign, count <= JS_MAX_DIGITS) or hex digits to minimal
 * two's-complement little-endian bytes, replacing b's contents. */
int js_dec_to_le(const unsigned char *digits, size_t count, int neg, js_buf *b, brine_error *err);
int js_hex_to_le(const unsigned char *digits, size_t count, int neg, js_buf *b, brine_error *err);

/* Appends the decimal ("-123") or tagged hex ("-0x7b") text of the
 * two's-complement little-endian int le[0..len) to b. js_le_to_dec returns
 * BRINE_E_RANGE, leaving b and err alone, when the int has more than
 * JS_MAX_DIGITS digits (exactly JS_MAX_DIGITS are written, like Python). */
int js_le_to_dec(const unsigned char *le, size_t len, js_buf *b, brine_error *err);
int js_le_to_hex(const unsigned char *le, size_t len, js_buf *b, brine_error *err);

/* Fills ev with INT, UINT or BIGINT (v.s pointing into le) for the minimal
 * two's complement le[0..len). */
void js_le_event(const unsigned char *le, size_t len, brine_event *ev);

/* ---- the decoder (reader.c, scan.c) ----------------------------------------- */

#define JS_R_TAGS 1u    /* tagged mode: tags and escaped keys are decoded */
#define JS_R_REFS 2u    /* $anchor and $alias are allowed */
#define JS_R_REPLACE 4u /* invalid UTF-8 and lone surrogates become U+FFFD */
#define JS_R_KEY 8u     /* reading an escaped key's text: arrays are tuples, objects only tags */

enum { JD_ARRAY, JD_OBJECT, JD_WRAP, JD_ARGS, JD_STATE };

typedef struct js_dframe {
    uint8_t kind; /* JD_* */
    uint8_t tag;  /* JD_WRAP: the js_tag its object holds; JD_OBJECT: 1 when its key is saved in keys */
    /* JD_ARRAY: element index; JD_OBJECT: 1 + the input offset of the
     * current key's quote (or, saved, of its text in keys), 0 before one. */
    size_t index;
} js_dframe;

typedef struct js_reader js_reader;
struct js_reader {
    const unsigned char *start; /* the window of input in memory (all of it for a buffer) */
    const unsigned char *end;
    uint64_t base; /* input offset of start */
    /* Streaming (window.c): the reader refills the window when it passes
     * safe, before which at least JS_MARGIN whole tokens lie; safe is end
     * once the window holds the rest of the input, NULL before the first
     * fill. src is NULL for readers over text in memory (escaped keys). */
    const unsigned char *safe;
    brine_source *src;
    js_buf keys;     /* the quoted text of open objects' keys the window dropped (for paths) */
    uint64_t line0;  /* newlines before start */
    uint64_t col0;   /* characters between the last of them and start */
    uint64_t chars0; /* characters before start */
    brine_sink *sink;
    brine_error *err;
    unsigned flags; /* JS_R_* */
    js_dframe *stack;
    size_t depth; /* frames in use */
    size_t cap;
    js_buf str;       /* strings with escapes, decoded */
    js_buf aux;       /* base64 and big int bytes */
    int status;       /* the first error of this reader, BRINE_OK while none */
    size_t dry_limit; /* a dry run's own depth limit (its sink checks none); 0 for none */
    size_t max_depth; /* the caller's depth limit, for dry runs */
    /* A nested reader (the text of an escaped key) reports errors at the
     * key in its outer reader. */
    js_reader *outer;
    const unsigned char *outer_at;
    brine_doc *dtypes; /* the dtypes of the arrays read (made on the first); freed with the reader */
};

/* ---- the streaming window (window.c) ---------------------------------------- */

/* Whole tokens the reader may read past a refill check before the next:
 * the longest fixed run is an anchored tag's head, {"$anchor": 1,
 * "$dict": {"k": (11 tokens); bounded tags ($bytes, $complex, $array ...)
 * are held whole by js_hold_object instead. */
#define JS_MARGIN 24

/* Drops the window before *pp (counting its lines for positions), reads
 * more input and moves *pp to the same byte in the new window, until
 * JS_MARGIN whole tokens follow it or the input ends. */
int js_refill(js_reader *R, const unsigned char **pp);

/* Reads at least one more byte into the window (dropping what lies before
 * *pp), unless the window holds the rest of the input already: for a
 * check that reads on up to a newline. */
int js_fill_more(js_reader *R, const unsigned char **pp);

/* Refills when *pp has passed the safe point: at each token boundary where
 * the reader holds no other pointer into the window. */
static inline int js_ensure(js_reader *R, const unsigned char **pp)
{
    return __builtin_expect(*pp > R->safe, 0) ? js_refill(R, pp) : BRINE_OK;
}

/* js_ensure at the start of a JSON Lines value: also enough when the
 * window holds that whole value, so that each line is read once it has
 * arrived rather than when JS_MARGIN more tokens have. */
int js_ensure_record(js_reader *R, const unsigned char **pp);

/* *pp at '{' in the tagged mode: makes the whole object available when it
 * is a tag of bounded size that the reader reads in one go. */
int js_hold_object(js_reader *R, const unsigned char **pp);

/* The end of the whole token at p (not whitespace) in [p, end), or NULL
 * when it may continue past end: a string to its closing quote (or to a
 * control character, where the reader stops), a number or word to the
 * byte after it (a word: at most 5 letters, the longest literal), anything
 * else one byte. */
const unsigned char *js_token_end(const unsigned char *p, const unsigned char *end);

/* The first byte in [p, end) that is '"', '\\' or a control character
 * (non-ASCII text passes). */
static inline const unsigned char *js_find_special_lazy(const unsigned char *p, const unsigned char *end)
{
#if defined(__SSE2__)
    /* 16 bytes a step (SSE2 is x86-64's baseline): '"', '\\', and the
     * bytes whose top three bits are clear, below 0x20. */
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), top3 = _mm_set1_epi8((char)0xE0);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                   _mm_cmpeq_epi8(_mm_and_si128(v, top3), _mm_setzero_si128()));
        unsigned m = (unsigned)_mm_movemask_epi8(hit);
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
        /* Each term flags its bytes exactly up to the first hit (& ~x keeps
         * bytes >= 0x80 out of the "below 0x20" one). */
        uint64_t t = (((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w)) & highs;
        if (t)
            return p + (__builtin_ctzll(t) >> 3);
        p += 8;
    }
#endif
    while (p < end && *p != '"' && *p != '\\' && *p >= 0x20)
        p++;
    return p;
}

/* Reads one value at *pp (leading whitespace skipped), leaving *pp after it. */
int js_read_value(js_reader *R, const unsigned char **pp);

/* Reads the key `name` of a tag's fixed layout (the keys of tag, in its
 * messages) and its colon, with the whitespace after it (reader.c). */
int js_expect_name(js_reader *R, const unsigned char **pp, const char *name, const char *tag);

/* Fills err with code and "msg: line L column C (char N)" at `at`, with the
 * path of the frames open; returns code. */
int js_fail(js_reader *R, int code, const unsigned char *at, const char *msg, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* A syntax error at `at`: BRINE_E_TRUNCATED at the end of input, else BRINE_E_SYNTAX. */
#define JS_SYNTAX(R, at) ((at) >= (R)->end ? BRINE_E_TRUNCATED : BRINE_E_SYNTAX)

/* After the sink failed with st: gives its error the position `at`. */
int js_sink_failed(js_reader *R, int st, const unsigned char *at);

int js_nomem(js_reader *R);

/* Skips whitespace: inline when there is none, else js_skip_ws_run, which
 * takes runs of indentation 8 bytes at a time. */
const unsigned char *js_skip_ws_run(const unsigned char *p, const unsigned char *end);

static inline const unsigned char *js_skip_ws(const unsigned char *p, const unsigned char *end)
{
    if (p<end && * p> ' ')
        return p;
    if (end - p >= 2 && *p == ' ' && p[1] > ' ') /* the space after a colon */
        return p + 1;
    return js_skip_ws_run(p, end);
}

/* p at an opening quote: scans the string to its closing quote. On success
 * returns the byte after it and sets *s, *len to the string's UTF-8 bytes
 * (in the input, or in R->str when it had escapes or replacements: valid
 * until the next call). NULL on error (err filled). */
const unsigned char *js_scan_string(js_reader *R, const unsigned char *p, const unsigned char **s, size_t *len);

/* js_scan_string for a str value sent as a STR event at once: its UTF-8 is
 * left to core's check of the event (one pass, not two), unless invalid
 * bytes are to be replaced. When the sink refuses that event with status
 * st, js_str_refused gives the error js_scan_string would have given (the
 * bad byte's offset, line, column and path) if the string is not UTF-8,
 * else st. */
const unsigned char *js_scan_str_value(js_reader *R, const unsigned char *p, const unsigned char **s, size_t *len);
int js_str_refused(js_reader *R, int st, const unsigned char *quote, const unsigned char *s, size_t len);

/* p at '-' or a digit: scans the longest valid number token (Python's
 * rule: "1." is the number 1 followed by "."), fills ev (BIGINT bytes in
 * R->aux). NULL on error. */
const unsigned char *js_scan_number(js_reader *R, const unsigned char *p, brine_event *ev);

/* The end of the longest valid number token at p, and whether it has a
 * fraction or exponent; p itself when there is none. */
const unsigned char *js_number_end(const unsigned char *p, const unsigned char *end, int *is_float);

/* The $array tag's object at *pp ('{'), whose outer tag object opens at
 * `open`: one ARRAY event (anchored when anchor is nonzero), *pp left
 * after the inner object's '}'. */
int js_read_array_tag(js_reader *R, const unsigned char **pp, const unsigned char *open, uint64_t anchor);

/* ---- entry points ----------------------------------------------------------- */

/* The json format's entry points, and the same with JSON Lines as the
 * default of the `lines` option (the jsonl format: jsonl.c). */
int js_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err);
brine_sink *js_encoder_new(brine_output *out, const brine_options *opts, brine_error *err);
int js_decode_as(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err, int lines);
brine_sink *js_encoder_new_as(brine_output *out, const brine_options *opts, brine_error *err, int lines);
int js_encode_value(const brine_value *v, brine_output *out, const brine_options *opts, brine_error *err);
int js_encode_value_as(const brine_value *v, brine_output *out, const brine_options *opts, brine_error *err, int lines);

/* The `lines` option: its flag when given ("lines=0" turns it off), else dflt. */
static inline int js_lines_option(const brine_options *opts, int dflt)
{
    return brine_options_get(opts, "lines") ? brine_options_flag(opts, "lines") : dflt;
}

/* The widest indentation the indent option takes, in spaces. */
#define JS_INDENT_MAX 16

/* What the json and jsonl descriptors share (plugin.c). */
extern const brine_option_spec js_options[];
int js_sniff(const unsigned char *head, size_t len);

#endif /* BRINE_JSON_JSON_H */
