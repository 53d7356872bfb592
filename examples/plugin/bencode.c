/* bencode.c: a third-party brine format plugin for bencode, the format of
 * BitTorrent's .torrent files (BEP 3): integers of any size, byte strings,
 * lists, and dicts whose keys are byte strings in sorted order. It is built
 * outside the brine tree against the installed headers only (README.md);
 * libbrine's builder and walker handle depth limits and shared nodes.
 * Type mapping and options: README.md and the descriptor at the bottom. */
#include <brine/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Error paths ($.announce-list[1][0]) come from libbrine's path calls,
 * added in 0.2; built against 0.1's headers the plugin still works, its
 * decode errors without a path (docs/plugins.md, "Paths in errors"). */
#ifdef BRINE_PATH_KEY_MAX
#define BC_PATHS 1
#else
#define BC_PATHS 0
#endif

/* Like Python's int_max_str_digits: converting between decimal and binary
 * costs time quadratic in the digits, so a hostile 100 MB integer must be
 * refused before it is converted, not after minutes of work. */
#define BC_DEFAULT_MAX_DIGITS 4300

/* ---- shared helpers ------------------------------------------------------ */

/* Returns p grown to hold at least need elements of size elem (p itself when
 * it is big enough), or NULL with err filled, leaving p as it was. */
static void *bc_grow(void *p, size_t *cap, size_t need, size_t elem, brine_error *err)
{
    if (need <= *cap && p)
        return p;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n = n > SIZE_MAX / 2 ? need : n * 2;
    void *q = n > SIZE_MAX / elem ? NULL : brine_realloc(p, n * elem);
    if (!q) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    *cap = n;
    return q;
}

/* Names an event's value for messages. */
static const char *bc_kind_name(brine_event_kind kind)
{
    switch (kind) {
    case BRINE_EV_NULL: return "None (null)";
    case BRINE_EV_BOOL: return "a bool";
    case BRINE_EV_INT:
    case BRINE_EV_UINT:
    case BRINE_EV_BIGINT: return "an int";
    case BRINE_EV_FLOAT: return "a float";
    case BRINE_EV_COMPLEX: return "a complex";
    case BRINE_EV_STR: return "a str";
    case BRINE_EV_BYTES: return "a bytes";
    case BRINE_EV_LIST: return "a list";
    case BRINE_EV_TUPLE: return "a tuple";
    case BRINE_EV_DICT: return "a dict";
    case BRINE_EV_MODEL: return "a model";
    case BRINE_EV_REF: return "a shared reference";
    default: return "an unknown event";
    }
}

/* Orders byte strings the way bencode sorts dict keys: as raw bytes, a
 * prefix before the longer string. */
static int bc_keycmp(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* Renders up to 40 bytes of a key for a message: printable ASCII as is,
 * other bytes as \xNN. */
static const char *bc_quote(char *out, size_t cap, const unsigned char *p, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 8 < cap; i++) {
        if (i == 40) {
            n += (size_t)snprintf(out + n, cap - n, "...");
            break;
        }
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != '\'')
            out[n++] = (char)p[i];
        else
            n += (size_t)snprintf(out + n, cap - n, "\\x%02x", p[i]);
    }
    out[n] = '\0';
    return out;
}

/* Reads the max_digits option into *out (0: no limit). */
static int bc_max_digits(const brine_options *opts, size_t *out, brine_error *err)
{
    const char *v = brine_options_get(opts, "max_digits");
    *out = BC_DEFAULT_MAX_DIGITS;
    if (!v)
        return BRINE_OK;
    size_t n = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9' || n > (SIZE_MAX - 9) / 10)
            return brine_error_set(err, BRINE_E_OPTION, "the bencode option max_digits takes a number, not '%s'", v);
        n = n * 10 + (size_t)(*p - '0');
    }
    if (!*v)
        return brine_error_set(err, BRINE_E_OPTION, "the bencode option max_digits takes a number");
    *out = n;
    return BRINE_OK;
}

/* ---- big integers ------------------------------------------------------
 * Between decimal text and the BIGINT event's minimal two's-complement
 * little-endian bytes, by schoolbook arithmetic on 32-bit limbs: quadratic,
 * hence max_digits. (libbrine's brine_int_new_decimal has a fixed limit of
 * its own, and this plugin's limit is an option.) */

#define BC_CHUNK 1000000000u /* 10^9: nine decimal digits per step */

/* The minimal two's-complement length of le[0..len): drops top bytes that
 * only repeat the sign. */
static size_t bc_minimal(const unsigned char *le, size_t len)
{
    while (len > 1 && ((le[len - 1] == 0x00 && !(le[len - 2] & 0x80)) || (le[len - 1] == 0xFF && (le[len - 2] & 0x80))))
        len--;
    return len;
}

/* The value of n decimal digits, negated when neg, as minimal bytes in a
 * new buffer (*out, freed with brine_free). */
static int bc_decimal_to_le(const char *digits, size_t n, int neg, unsigned char **out, size_t *out_len,
                            brine_error *err)
{
    size_t cap = n / 9 + 2; /* each step of 9 digits adds at most one limb */
    uint32_t *limbs = cap < SIZE_MAX / 16 ? brine_malloc(cap * sizeof *limbs) : NULL;
    unsigned char *le = limbs ? brine_malloc(cap * 4 + 1) : NULL;
    if (!le) {
        brine_free(limbs);
        return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
    }
    size_t count = 0, at = 0, take = n % 9 ? n % 9 : 9;
    while (at < n) {
        uint32_t chunk = 0, mul = 1;
        for (size_t k = 0; k < take; k++, mul *= 10)
            chunk = chunk * 10 + (uint32_t)(digits[at + k] - '0');
        at += take;
        take = 9;
        uint64_t carry = chunk;
        for (size_t i = 0; i < count; i++) {
            uint64_t cur = (uint64_t)limbs[i] * mul + carry;
            limbs[i] = (uint32_t)cur;
            carry = cur >> 32;
        }
        if (carry)
            limbs[count++] = (uint32_t)carry;
    }
    size_t len = count * 4 + 1; /* room for the sign */
    for (size_t i = 0; i < len; i++)
        le[i] = i < count * 4 ? (unsigned char)(limbs[i / 4] >> (8 * (i % 4))) : 0;
    unsigned carry = 1;
    for (size_t i = 0; neg && i < len; i++) { /* negate: invert, add one */
        unsigned byte = (~le[i] & 0xFFu) + carry;
        le[i] = (unsigned char)byte;
        carry = byte >> 8;
    }
    brine_free(limbs);
    *out = le;
    *out_len = bc_minimal(le, len);
    return BRINE_OK;
}

/* Decimal text of two's-complement bytes, NUL-terminated, in a new buffer
 * (freed with brine_free); NULL when out of memory. */
static char *bc_le_to_decimal(const unsigned char *le, size_t len, size_t *out_len)
{
    int neg = len && (le[len - 1] & 0x80);
    size_t count = len / 4 + 1;
    size_t max_chunks = len * 8 / 29 + 2; /* 10^9 > 2^29: a chunk takes 29+ bits */
    uint32_t *limbs = len < SIZE_MAX / 16 ? brine_malloc(count * sizeof *limbs) : NULL;
    uint32_t *chunks = limbs ? brine_malloc(max_chunks * sizeof *chunks) : NULL;
    char *text = chunks ? brine_malloc(max_chunks * 9 + 2) : NULL;
    if (!text) {
        brine_free(limbs);
        brine_free(chunks);
        return NULL;
    }
    /* The magnitude, negating on the fly. */
    memset(limbs, 0, count * sizeof *limbs);
    unsigned carry = 1;
    for (size_t i = 0; i < count * 4; i++) {
        unsigned byte = i < len ? le[i] : neg ? 0xFFu : 0u;
        if (neg) {
            byte = (~byte & 0xFFu) + carry;
            carry = byte >> 8;
            byte &= 0xFFu;
        }
        limbs[i / 4] |= (uint32_t)byte << (8 * (i % 4));
    }
    size_t nchunks = 0;
    while (count && !limbs[count - 1])
        count--;
    while (count) {
        uint64_t rem = 0;
        for (size_t i = count; i-- > 0;) {
            uint64_t cur = (rem << 32) | limbs[i];
            limbs[i] = (uint32_t)(cur / BC_CHUNK);
            rem = cur % BC_CHUNK;
        }
        chunks[nchunks++] = (uint32_t)rem;
        while (count && !limbs[count - 1])
            count--;
    }
    size_t n = (size_t)sprintf(text, "%s%u", neg ? "-" : "", nchunks ? (unsigned)chunks[nchunks - 1] : 0u);
    for (size_t i = nchunks - (nchunks > 0); i-- > 0;)
        n += (size_t)sprintf(text + n, "%09u", (unsigned)chunks[i]);
    brine_free(limbs);
    brine_free(chunks);
    *out_len = n;
    return text;
}

/* ---- decoder --------------------------------------------------------------
 * One loop over the input with an explicit stack of open lists and dicts.
 * Each dict remembers its previous key (in `keys`, innermost dict last) to
 * check that keys arrive sorted. Events are sent before the input pointer
 * moves past a token, so an error raised by the sink (the depth limit, say)
 * is located at the token that caused it. */

typedef struct bc_level {
    unsigned char is_dict;
    unsigned char want_key; /* dict: the next item is a key */
    unsigned char has_key;  /* dict: a previous key is stored */
    size_t key_base;        /* dict: where its previous key starts in keys */
    size_t index;           /* list: the element being read */
} bc_level;

typedef struct bc_dec {
    brine_source *src;
    brine_sink *sink;
    brine_error *err;
    int all_bytes; /* option "bytes" */
    int unsorted;  /* option "unsorted" */
    size_t max_digits;
    bc_level *stack;
    size_t depth, stack_cap;
    unsigned char *keys;
    size_t keys_len, keys_cap;
#if BC_PATHS
    brine_path *path; /* a step per value being read below the root */
#endif
} bc_dec;

/* The slow path of bc_need: reads more input; `ends` says what running out
 * of it means. */
static int bc_more(bc_dec *d, size_t n, const char *ends)
{
    brine_error e;
    brine_error_clear(&e);
    int rc = brine_source_more(d->src, n, &e);
    if (rc == BRINE_E_TRUNCATED)
        return brine_error_set_at(d->err, rc, e.offset, "%s", ends);
    if (rc != BRINE_OK)
        return brine_error_set_at(d->err, rc, e.offset, "%s", e.message);
    return BRINE_OK;
}

/* Makes n bytes available at cur. */
static inline int bc_need(bc_dec *d, size_t n, const char *ends)
{
    return (size_t)(d->src->end - d->src->cur) >= n ? BRINE_OK : bc_more(d, n, ends);
}

static int bc_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Sends ev; when the sink refuses it, its error (which has the path) gets
 * the input offset of the value. */
static int bc_emit(bc_dec *d, const brine_event *ev)
{
    int rc = d->sink->event(d->sink, ev);
#if BC_PATHS
    if (rc)
        brine_error_merge_sink(d->err, d->sink, rc, brine_source_offset(d->src), NULL);
#endif
    return rc;
}

/* The path: a value starts (an element of a list: its index), a dict key
 * was read (its step), a value is done (its step goes). */
static int bc_path_index(bc_dec *d, const bc_level *top)
{
#if BC_PATHS
    if (brine_path_push_index(d->path, top->index))
        return brine_error_set(d->err, BRINE_E_NOMEM, "out of memory");
#else
    (void)d, (void)top;
#endif
    return BRINE_OK;
}

static int bc_path_key(bc_dec *d, const brine_event *key)
{
#if BC_PATHS
    if (brine_path_push_key(d->path, key))
        return brine_error_set(d->err, BRINE_E_NOMEM, "out of memory");
#else
    (void)d, (void)key;
#endif
    return BRINE_OK;
}

static void bc_path_done(bc_dec *d, bc_level *top)
{
#if BC_PATHS
    brine_path_pop(d->path);
#else
    (void)d;
#endif
    top->index++;
}

/* Decodes i<digits>e at cur: an int64, a uint64 or a big integer. */
static int bc_dec_int(bc_dec *d)
{
    uint64_t off = brine_source_offset(d->src);
    size_t i = 1, start;
    int rc;
    if ((rc = bc_need(d, 2, "the input ends inside an integer")))
        return rc;
    int neg = d->src->cur[1] == '-';
    start = i = 1 + (size_t)neg;
    for (;; i++) {
        if ((rc = bc_need(d, i + 1, "the input ends inside an integer")))
            return rc;
        if (!bc_is_digit(d->src->cur[i]))
            break;
        /* Checked digit by digit, so a run of zeros costs no memory. */
        if (i == start + 1 && d->src->cur[start] == '0')
            return brine_error_set_at(d->err, BRINE_E_SYNTAX, off + start, "integer with a leading zero");
        if (d->max_digits && i - start >= d->max_digits)
            return brine_error_set_at(d->err, BRINE_E_RANGE, off,
                                      "integer has more than %zu digits (see the max_digits option)", d->max_digits);
    }
    const char *text = (const char *)d->src->cur + start;
    size_t ndigits = i - start;
    if (!ndigits)
        return brine_error_set_at(d->err, BRINE_E_SYNTAX, off + i, "integer without digits");
    if (d->src->cur[i] != 'e')
        return brine_error_set_at(d->err, BRINE_E_SYNTAX, off + i, "expected 'e' after the integer's digits");
    if (neg && text[0] == '0')
        return brine_error_set_at(d->err, BRINE_E_SYNTAX, off + 1, "negative zero is not a bencode integer");

    brine_event ev = {.kind = BRINE_EV_INT};
    uint64_t mag = 0;
    int fits = ndigits <= 20;
    for (size_t k = 0; fits && k < ndigits; k++) {
        unsigned digit = (unsigned)(text[k] - '0');
        if (mag > (UINT64_MAX - digit) / 10)
            fits = 0;
        else
            mag = mag * 10 + digit;
    }
    if (fits && !neg && mag > INT64_MAX) {
        ev.kind = BRINE_EV_UINT;
        ev.v.u = mag;
    } else if (fits && !neg) {
        ev.v.i = (int64_t)mag;
    } else if (fits && mag <= (uint64_t)INT64_MAX + 1) {
        ev.v.i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        unsigned char *big = NULL;
        size_t len = 0;
        if ((rc = bc_decimal_to_le(text, ndigits, neg, &big, &len, d->err)))
            return rc;
        ev.kind = BRINE_EV_BIGINT;
        ev.v.s.ptr = (const char *)big;
        ev.v.s.len = len;
        rc = bc_emit(d, &ev);
        brine_free(big);
        if (rc)
            return rc;
        d->src->cur += i + 1;
        return BRINE_OK;
    }
    if ((rc = bc_emit(d, &ev)))
        return rc;
    d->src->cur += i + 1;
    return BRINE_OK;
}

/* Checks a dict key against the dict's previous key and stores it. */
static int bc_dec_key(bc_dec *d, bc_level *top, const unsigned char *key, size_t len, uint64_t off)
{
    char a[200], b[200];
    if (d->unsorted)
        return BRINE_OK;
    if (top->has_key) {
        const unsigned char *prev = d->keys + top->key_base;
        size_t prev_len = d->keys_len - top->key_base;
        int c = bc_keycmp(prev, prev_len, key, len);
        if (c == 0)
            return brine_error_set_at(d->err, BRINE_E_SYNTAX, off, "duplicate dict key '%s'",
                                      bc_quote(a, sizeof a, key, len));
        if (c > 0)
            return brine_error_set_at(d->err, BRINE_E_SYNTAX, off,
                                      "dict key '%s' is out of order after '%s' (see the unsorted option)",
                                      bc_quote(a, sizeof a, key, len), bc_quote(b, sizeof b, prev, prev_len));
    }
    unsigned char *keys = bc_grow(d->keys, &d->keys_cap, top->key_base + len, 1, d->err);
    if (!keys)
        return BRINE_E_NOMEM;
    d->keys = keys;
    if (len)
        memcpy(d->keys + top->key_base, key, len);
    d->keys_len = top->key_base + len;
    top->has_key = 1;
    return BRINE_OK;
}

/* Decodes <length>:<bytes> at cur, as a str when the bytes are UTF-8. */
static int bc_dec_string(bc_dec *d, bc_level *key_of)
{
    uint64_t off = brine_source_offset(d->src);
    uint64_t len = 0;
    size_t i;
    int rc;
    for (i = 0;; i++) {
        if ((rc = bc_need(d, i + 1, "the input ends inside a byte string's length")))
            return rc;
        unsigned char c = d->src->cur[i];
        if (!bc_is_digit(c))
            break;
        if (i == 1 && d->src->cur[0] == '0')
            return brine_error_set_at(d->err, BRINE_E_SYNTAX, off, "byte string length with a leading zero");
        if (len > (UINT64_MAX - 9) / 10)
            return brine_error_set_at(d->err, BRINE_E_RANGE, off, "byte string length is too large");
        len = len * 10 + (c - '0');
    }
    if (d->src->cur[i] != ':')
        return brine_error_set_at(d->err, BRINE_E_SYNTAX, off + i, "expected ':' after a byte string's length");
    if (len > SIZE_MAX - (i + 1))
        return brine_error_set_at(d->err, BRINE_E_RANGE, off, "byte string length is too large");
    /* The source only grows with bytes that arrive, so a hostile length
     * fails with "ends inside" once the real input runs out. */
    if ((rc = bc_need(d, i + 1 + (size_t)len, "the input ends inside a byte string")))
        return rc;
    const unsigned char *p = d->src->cur + i + 1;
    if (key_of && (rc = bc_dec_key(d, key_of, p, (size_t)len, off)))
        return rc;
    brine_event ev = {.kind = BRINE_EV_BYTES};
    if (!d->all_bytes && brine_utf8_check((const char *)p, (size_t)len) == len)
        ev.kind = BRINE_EV_STR;
    ev.v.s.ptr = (const char *)p;
    ev.v.s.len = (size_t)len;
    if ((rc = bc_emit(d, &ev)))
        return rc;
    if (key_of && (rc = bc_path_key(d, &ev)))
        return rc;
    d->src->cur += i + 1 + (size_t)len;
    return BRINE_OK;
}

static int bc_dec_run(bc_dec *d)
{
    int rc;
    for (;;) {
        bc_level *top = d->depth ? &d->stack[d->depth - 1] : NULL;
        int at_key = top && top->is_dict && top->want_key;
        const char *ends = !top           ? "the input is empty"
                           : top->is_dict ? "the input ends inside a dict"
                                          : "the input ends inside a list";
        if ((rc = bc_need(d, 1, ends)))
            return rc;
        uint64_t off = brine_source_offset(d->src);
        unsigned char c = *d->src->cur;
        if (top && !top->is_dict && c != 'e' && (rc = bc_path_index(d, top)))
            return rc;
        if (bc_is_digit(c)) {
            if ((rc = bc_dec_string(d, at_key ? top : NULL)))
                return rc;
            if (at_key) {
                top->want_key = 0;
                continue;
            }
        } else if (at_key && c != 'e') {
            return brine_error_set_at(d->err, BRINE_E_SYNTAX, off, "dict key is not a byte string");
        } else if (c == 'i') {
            if ((rc = bc_dec_int(d)))
                return rc;
        } else if (c == 'l' || c == 'd') {
            brine_event ev = {.kind = c == 'l' ? BRINE_EV_LIST : BRINE_EV_DICT};
            ev.v.count = BRINE_COUNT_UNKNOWN;
            /* The sink refuses a level past the depth limit, so the stack
             * never grows deeper than that limit. */
            if ((rc = bc_emit(d, &ev)))
                return rc;
            bc_level *stack = bc_grow(d->stack, &d->stack_cap, d->depth + 1, sizeof *stack, d->err);
            if (!stack)
                return BRINE_E_NOMEM;
            d->stack = stack;
            d->stack[d->depth++] = (bc_level){.is_dict = c == 'd', .want_key = 1, .key_base = d->keys_len};
            d->src->cur++;
            continue;
        } else if (c == 'e' && top) {
            if (top->is_dict && !top->want_key)
                return brine_error_set_at(d->err, BRINE_E_SYNTAX, off, "dict key without a value");
            brine_event ev = {.kind = BRINE_EV_END};
            if ((rc = bc_emit(d, &ev)))
                return rc;
            d->keys_len = top->key_base;
            d->depth--;
            d->src->cur++;
        } else if (c >= 0x21 && c < 0x7f) {
            return brine_error_set_at(d->err, BRINE_E_SYNTAX, off, "unexpected '%c'", c);
        } else {
            return brine_error_set_at(d->err, BRINE_E_SYNTAX, off, "unexpected byte 0x%02x", c);
        }
        /* A value is complete: the enclosing dict wants a key next. */
        if (!d->depth)
            return BRINE_OK;
        top = &d->stack[d->depth - 1];
        bc_path_done(d, top);
        if (top->is_dict)
            top->want_key = 1;
    }
}

static int bc_decode(brine_source *src, brine_sink *sink, const brine_options *opts, brine_error *err)
{
    bc_dec d;
    memset(&d, 0, sizeof d);
    d.src = src;
    d.sink = sink;
    d.err = err;
    d.all_bytes = brine_options_flag(opts, "bytes");
    d.unsorted = brine_options_flag(opts, "unsorted");
    int rc = bc_max_digits(opts, &d.max_digits, err);
#if BC_PATHS
    if (rc == BRINE_OK && !(d.path = brine_path_new()))
        rc = brine_error_set(err, BRINE_E_NOMEM, "out of memory");
#endif
    if (rc == BRINE_OK)
        rc = bc_dec_run(&d);
    if (rc == BRINE_OK && !brine_source_at_end(src))
        rc = brine_error_set_at(err, BRINE_E_SYNTAX, brine_source_offset(src), "trailing data after the value");
#if BC_PATHS
    /* Errors of the decoder's own get the path of where it stopped; the
     * sink's have theirs. */
    if (rc != BRINE_OK && err && err->path[0] == '\0')
        brine_path_render(d.path, err->path, sizeof err->path);
    brine_path_free(d.path);
#endif
    brine_free(d.stack);
    brine_free(d.keys);
    return rc;
}

/* ---- encoder --------------------------------------------------------------
 * bencode wants dict keys sorted, but events bring them in the graph's order.
 * While a dict is open, output goes to a memory buffer; each entry (key and
 * value) is recorded by its offset, and when the dict ends its entries are
 * put in key order in place. When the outermost dict ends, the buffer goes
 * to the output. Keys that already arrive sorted (bencode read back, say)
 * cost no copy. */

typedef struct bc_open {
    unsigned char is_dict;
    unsigned char want_key;
    size_t first; /* dict: index of its first entry in entries */
    size_t body;  /* dict: buffer offset just after its 'd' */
} bc_open;

typedef struct bc_entry {
    size_t off;     /* buffer offset where the entry (its key) starts */
    size_t key_off; /* buffer offset of the key's bytes */
    size_t key_len;
} bc_entry;

typedef struct bc_sorted {
    const unsigned char *key;
    size_t key_len;
    size_t off, len; /* the whole entry in the buffer */
} bc_sorted;

typedef struct bc_enc {
    brine_sink sink; /* first, so a brine_sink * is a bc_enc * */
    brine_output *out;
    size_t max_digits;
    int done; /* a complete value has been written */
    bc_open *stack;
    size_t depth, stack_cap;
    size_t dicts; /* open dicts; output is buffered while nonzero */
    unsigned char *buf;
    size_t buf_len, buf_cap;
    bc_entry *entries;
    size_t entry_count, entry_cap;
    bc_sorted *sorted;
    size_t sorted_cap;
    unsigned char *copy;
    size_t copy_cap;
} bc_enc;

static int bc_write(bc_enc *e, const void *data, size_t len)
{
    if (!e->dicts)
        return brine_output_put(e->out, data, len, e->sink.err);
    unsigned char *buf = bc_grow(e->buf, &e->buf_cap, e->buf_len + len, 1, e->sink.err);
    if (!buf)
        return BRINE_E_NOMEM;
    e->buf = buf;
    if (len)
        memcpy(e->buf + e->buf_len, data, len);
    e->buf_len += len;
    return BRINE_OK;
}

/* Writes the decimal digits of u ending just before end; returns where they
 * start. (snprintf cost half the encoder's time.) */
static char *bc_utoa(char *end, uint64_t u)
{
    do
        *--end = (char)('0' + u % 10);
    while (u /= 10);
    return end;
}

static int bc_write_string(bc_enc *e, const char *p, size_t len)
{
    char head[24], *start;
    head[sizeof head - 1] = ':';
    start = bc_utoa(head + sizeof head - 1, len);
    int rc = bc_write(e, start, (size_t)(head + sizeof head - start));
    return rc ? rc : bc_write(e, p, len);
}

/* Writes i<n>e for an int64 (neg: n is -u) or a uint64. */
static int bc_write_int(bc_enc *e, int neg, uint64_t u)
{
    char num[24], *start;
    num[sizeof num - 1] = 'e';
    start = bc_utoa(num + sizeof num - 1, u);
    if (neg)
        *--start = '-';
    *--start = 'i';
    return bc_write(e, start, (size_t)(num + sizeof num - start));
}

static int bc_sorted_cmp(const void *a, const void *b)
{
    const bc_sorted *x = a, *y = b;
    return bc_keycmp(x->key, x->key_len, y->key, y->key_len);
}

/* Puts the entries of the dict that ends in key order, and refuses two keys
 * with the same bytes (a str and a bytes key, which brine tells apart). */
static int bc_close_dict(bc_enc *e, const bc_open *dict)
{
    size_t count = e->entry_count - dict->first;
    bc_entry *ents = e->entries ? e->entries + dict->first : NULL; /* {} has no entries array */
    int in_order = 1;
    char q[200];
    for (size_t k = 1; k < count && in_order; k++)
        in_order =
            bc_keycmp(e->buf + ents[k - 1].key_off, ents[k - 1].key_len, e->buf + ents[k].key_off, ents[k].key_len) < 0;
    if (!in_order) {
        bc_sorted *sorted = bc_grow(e->sorted, &e->sorted_cap, count, sizeof *sorted, e->sink.err);
        if (!sorted)
            return BRINE_E_NOMEM;
        e->sorted = sorted;
        for (size_t k = 0; k < count; k++) {
            size_t end = k + 1 < count ? ents[k + 1].off : e->buf_len;
            e->sorted[k] = (bc_sorted){e->buf + ents[k].key_off, ents[k].key_len, ents[k].off, end - ents[k].off};
        }
        qsort(e->sorted, count, sizeof *e->sorted, bc_sorted_cmp);
        for (size_t k = 1; k < count; k++)
            if (bc_sorted_cmp(&e->sorted[k - 1], &e->sorted[k]) == 0)
                return brine_error_set(e->sink.err, BRINE_E_UNSUPPORTED,
                                       "two dict keys are both the byte string '%s' in bencode (a str and a bytes key)",
                                       bc_quote(q, sizeof q, e->sorted[k].key, e->sorted[k].key_len));
        size_t body_len = e->buf_len - dict->body;
        unsigned char *copy = bc_grow(e->copy, &e->copy_cap, body_len, 1, e->sink.err);
        if (!copy)
            return BRINE_E_NOMEM;
        e->copy = copy;
        size_t at = 0;
        for (size_t k = 0; k < count; k++) {
            memcpy(e->copy + at, e->buf + e->sorted[k].off, e->sorted[k].len);
            at += e->sorted[k].len;
        }
        memcpy(e->buf + dict->body, e->copy, body_len);
    }
    e->entry_count = dict->first;
    return BRINE_OK;
}

static int bc_too_long(bc_enc *e)
{
    return brine_error_set(e->sink.err, BRINE_E_RANGE, "integer has more than %zu digits (see the max_digits option)",
                           e->max_digits);
}

/* Writes a big integer (two's-complement bytes) in decimal. */
static int bc_enc_bigint(bc_enc *e, const brine_event *ev)
{
    int rc;
    /* Each byte holds log10(256) ~ 2.408 digits: refuse what cannot fit
     * max_digits before the quadratic conversion, check exactly after it. */
    if (e->max_digits && (double)ev->v.s.len > (double)e->max_digits / 2.408 + 2)
        return bc_too_long(e);
    size_t len;
    char *text = bc_le_to_decimal((const unsigned char *)ev->v.s.ptr, ev->v.s.len, &len);
    if (!text)
        return brine_error_set(e->sink.err, BRINE_E_NOMEM, "out of memory");
    if (e->max_digits && len - (text[0] == '-') > e->max_digits)
        rc = bc_too_long(e);
    else if ((rc = bc_write(e, "i", 1)) == BRINE_OK && (rc = bc_write(e, text, len)) == BRINE_OK)
        rc = bc_write(e, "e", 1);
    brine_free(text);
    return rc;
}

/* Starts a list (for a list or a tuple) or a dict. */
static int bc_enc_begin(bc_enc *e, int is_dict)
{
    bc_open *stack = bc_grow(e->stack, &e->stack_cap, e->depth + 1, sizeof *stack, e->sink.err);
    if (!stack)
        return BRINE_E_NOMEM;
    e->stack = stack;
    int rc = bc_write(e, is_dict ? "d" : "l", 1);
    if (rc)
        return rc;
    if (is_dict)
        e->dicts++; /* from here on, output is buffered */
    stack[e->depth++] = (bc_open){.is_dict = is_dict, .want_key = 1, .first = e->entry_count, .body = e->buf_len};
    return BRINE_OK;
}

static int bc_enc_end(bc_enc *e)
{
    bc_open *top = e->depth ? &e->stack[e->depth - 1] : NULL;
    int rc;
    if (!top)
        return brine_error_set(e->sink.err, BRINE_E_INVALID, "an END event closes nothing");
    if (top->is_dict && !top->want_key)
        return brine_error_set(e->sink.err, BRINE_E_INVALID, "a dict ends between a key and its value");
    if (top->is_dict && (rc = bc_close_dict(e, top)))
        return rc;
    if ((rc = bc_write(e, "e", 1)))
        return rc;
    e->depth--;
    if (top->is_dict && --e->dicts == 0) {
        rc = brine_output_put(e->out, e->buf, e->buf_len, e->sink.err);
        e->buf_len = 0;
    }
    return rc;
}

/* Writes a dict key and records where its entry starts. */
static int bc_enc_key(bc_enc *e, bc_open *top, const brine_event *ev)
{
    if (ev->kind != BRINE_EV_STR && ev->kind != BRINE_EV_BYTES)
        return brine_error_set(e->sink.err, BRINE_E_UNSUPPORTED,
                               "bencode dict keys are byte strings (str or bytes), not %s", bc_kind_name(ev->kind));
    bc_entry *entries = bc_grow(e->entries, &e->entry_cap, e->entry_count + 1, sizeof *entries, e->sink.err);
    if (!entries)
        return BRINE_E_NOMEM;
    e->entries = entries;
    size_t off = e->buf_len;
    int rc = bc_write_string(e, ev->v.s.ptr, ev->v.s.len);
    if (rc)
        return rc;
    entries[e->entry_count++] = (bc_entry){off, e->buf_len - ev->v.s.len, ev->v.s.len};
    top->want_key = 0;
    return BRINE_OK;
}

static int bc_event(brine_sink *sink, const brine_event *ev)
{
    bc_enc *e = (bc_enc *)sink;
    bc_open *top = e->depth ? &e->stack[e->depth - 1] : NULL;
    int rc;
    if (e->done)
        return brine_error_set(sink->err, BRINE_E_INVALID, "events after the end of the value");
    if (ev->kind != BRINE_EV_END && top && top->is_dict && top->want_key)
        return bc_enc_key(e, top, ev);
    switch (ev->kind) {
    case BRINE_EV_INT:
        /* The magnitude of INT64_MIN only fits a uint64. */
        rc = bc_write_int(e, ev->v.i < 0, ev->v.i < 0 ? 0 - (uint64_t)ev->v.i : (uint64_t)ev->v.i);
        break;
    case BRINE_EV_UINT: rc = bc_write_int(e, 0, ev->v.u); break;
    case BRINE_EV_BIGINT: rc = bc_enc_bigint(e, ev); break;
    case BRINE_EV_STR:
    case BRINE_EV_BYTES: rc = bc_write_string(e, ev->v.s.ptr, ev->v.s.len); break;
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE: return bc_enc_begin(e, 0); /* bencode has one sequence type */
    case BRINE_EV_DICT: return bc_enc_begin(e, 1);
    case BRINE_EV_END: rc = bc_enc_end(e); break;
    default:
        return brine_error_set(sink->err, BRINE_E_UNSUPPORTED, "bencode cannot represent %s", bc_kind_name(ev->kind));
    }
    if (rc)
        return rc;
    /* A value is complete: the enclosing dict wants a key next. */
    if (!e->depth)
        e->done = 1;
    else if (e->stack[e->depth - 1].is_dict)
        e->stack[e->depth - 1].want_key = 1;
    return BRINE_OK;
}

static int bc_finish(brine_sink *sink)
{
    bc_enc *e = (bc_enc *)sink;
    if (!e->done)
        return brine_error_set(sink->err, BRINE_E_INVALID, "the value ended before it was complete");
    return BRINE_OK;
}

static void bc_destroy(brine_sink *sink)
{
    bc_enc *e = (bc_enc *)sink;
    brine_free(e->stack);
    brine_free(e->buf);
    brine_free(e->entries);
    brine_free(e->sorted);
    brine_free(e->copy);
    brine_free(e);
}

static brine_sink *bc_encoder_new(brine_output *out, const brine_options *opts, brine_error *err)
{
    size_t max_digits;
    if (bc_max_digits(opts, &max_digits, err))
        return NULL;
    bc_enc *e = brine_malloc(sizeof *e);
    if (!e) {
        brine_error_set(err, BRINE_E_NOMEM, "out of memory");
        return NULL;
    }
    memset(e, 0, sizeof *e);
    e->sink.event = bc_event;
    e->sink.finish = bc_finish;
    e->sink.destroy = bc_destroy;
    e->sink.flags = 0; /* no references: the walker expands DAGs and refuses cycles */
    e->sink.err = err;
    e->out = out;
    e->max_digits = max_digits;
    return &e->sink;
}

/* ---- sniffing and the descriptor -------------------------------------- */

/* Scans the first bytes as a bencode prefix (tokens only, no key checks).
 * A dict or list start that scans cleanly is a strong sign, and .torrent
 * files begin "d8:announce"; a bare byte string ("12:30 ...") is a weak one.
 * bencode has no magic number, so it never claims 100. */
static int bc_sniff(const unsigned char *p, size_t len)
{
    size_t i = 0, depth = 0;
    if (!len)
        return 0;
    if (p[0] == 'd' && len > 1 && !bc_is_digit(p[1]) && p[1] != 'e')
        return 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c == 'l' || c == 'd') {
            depth++;
            i++;
        } else if (c == 'e') {
            if (!depth)
                return 0;
            depth--;
            i++;
        } else if (c == 'i') {
            size_t s = ++i;
            if (i < len && p[i] == '-')
                s = ++i;
            while (i < len && bc_is_digit(p[i]))
                i++;
            if (i == len)
                break;
            if (i == s || p[i++] != 'e')
                return 0;
        } else if (bc_is_digit(c)) {
            uint64_t n = 0;
            while (i < len && bc_is_digit(p[i]) && n < UINT32_MAX)
                n = n * 10 + (p[i++] - '0');
            if (i == len)
                break;
            if (p[i++] != ':')
                return 0;
            i += n < len - i ? (size_t)n : len - i;
        } else {
            return 0;
        }
        if (!depth && i < len)
            return 0; /* trailing bytes after a complete value */
    }
    if (len >= 11 && memcmp(p, "d8:announce", 11) == 0)
        return 90; /* 100 is for magic numbers */
    return p[0] == 'd' ? 80 : p[0] == 'l' ? 60 : p[0] == 'i' ? 50 : 20;
}

static const char *const bc_extensions[] = {"torrent", "bencode", NULL};

/* libbrine 0.2 checks a flag's value (bytes=maybe is refused); built
 * against 0.1's headers, which lack the bit, any value reads as on. */
#ifndef BRINE_OPT_FLAG
#define BRINE_OPT_FLAG 0
#endif

static const brine_option_spec bc_options[] = {
    {"bytes", BRINE_OPT_DECODE | BRINE_OPT_FLAG, "decode every byte string as bytes, also those that are valid UTF-8"},
    {"unsorted", BRINE_OPT_DECODE | BRINE_OPT_FLAG, "accept dicts whose keys are not in sorted order"},
    {"max_digits", BRINE_OPT_DECODE | BRINE_OPT_ENCODE, "longest integer in decimal digits, 0 for no limit (4300)"},
    {NULL, 0, NULL},
};

static const brine_plugin bc_plugin = {
    .abi = BRINE_PLUGIN_ABI,
    .size = sizeof(brine_plugin),
    .name = "bencode",
    .description = "bencode, BitTorrent's format (an example third-party plugin)",
    .version = "1.0.0",
    .extensions = bc_extensions,
    .mime_type = "application/x-bittorrent",
    .caps = BRINE_CAP_DECODE | BRINE_CAP_ENCODE | BRINE_CAP_BINARY,
    .depth_ceiling = 0,
    .options = bc_options,
    .sniff = bc_sniff,
    .decode = bc_decode,
    .encoder_new = bc_encoder_new,
};

/* The file must be named bencode.so (or bencode.la): libltdl looks the entry
 * up as <file name>_LTX_brine_plugin_entry. */
BRINE_PLUGIN_DEFINE(bencode, bc_plugin)
