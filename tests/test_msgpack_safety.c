/* test_msgpack_safety.c: the msgpack decoder on inputs it must survive: a
 * differential test against msgpack-c's msgpack_unpack (the oracle, on
 * random documents within its 32-level limit), mutated documents, depth at
 * 1000/1001 and 1,000,000, every truncation, byte flips, hostile lengths
 * (and the memory they cost), file input, failing output and failing
 * allocation. */
#include <msgpack.h>

#include "msgpack_util.h"

/* msgpack_unpack allocates what a declared length asks before checking it
 * (the reason brine's decoder is its own): on mutated input that can be
 * gigabytes, which ASan aborts on unless told to return NULL, as malloc
 * would. msgpack-c then fails cleanly. Unused in builds without ASan. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

/* ---- the oracle ---------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: deterministic across runs */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}

static size_t rnd_below(size_t n)
{
    return (size_t)(rnd() % n);
}

static const char *const words[] = {"",
                                    "a",
                                    "key",
                                    "h\xc3\xa9llo",
                                    "\xe6\x97\xa5\xe6\x9c\xac",
                                    "\xf0\x9f\x98\x80 emoji",
                                    "a somewhat longer string that needs a str8 header"};

/* Packs a random value no deeper than depth with msgpack-c. */
static void gen(msgpack_packer *pk, int depth)
{
    size_t kind = rnd_below(depth > 0 ? 14 : 10);
    switch (kind) {
    case 0: msgpack_pack_nil(pk); break;
    case 1: rnd() & 1 ? msgpack_pack_true(pk) : msgpack_pack_false(pk); break;
    case 2: msgpack_pack_uint64(pk, rnd() >> rnd_below(64)); break;
    case 3: msgpack_pack_int64(pk, -(int64_t)(rnd() >> (1 + rnd_below(63)))); break;
    case 4: msgpack_pack_float(pk, (float)((double)(int64_t)rnd() / 1e9)); break;
    case 5: {
        uint64_t bits = rnd();
        double d;
        memcpy(&d, &bits, sizeof d); /* any bits: NaNs with payloads too */
        msgpack_pack_double(pk, d);
        break;
    }
    case 6: {
        const char *w = words[rnd_below(sizeof words / sizeof words[0])];
        size_t reps = rnd_below(8) == 0 ? 300 : 1, len = strlen(w);
        msgpack_pack_str(pk, len * reps);
        for (size_t i = 0; i < reps; i++)
            msgpack_pack_str_body(pk, w, len);
        break;
    }
    case 7: {
        unsigned char b[300];
        size_t n = rnd_below(sizeof b);
        for (size_t i = 0; i < n; i++)
            b[i] = (unsigned char)rnd();
        msgpack_pack_bin(pk, n);
        msgpack_pack_bin_body(pk, b, n);
        break;
    }
    case 8: {
        static const size_t sizes[] = {0, 1, 2, 3, 4, 8, 16, 17, 255, 256, 1000};
        unsigned char b[1000];
        size_t n = sizes[rnd_below(sizeof sizes / sizeof sizes[0])];
        int8_t type = (int8_t)rnd_below(80); /* below brine's own codes */
        for (size_t i = 0; i < n; i++)
            b[i] = (unsigned char)rnd();
        msgpack_pack_ext(pk, n, type);
        msgpack_pack_ext_body(pk, b, n);
        break;
    }
    case 9: {
        msgpack_timestamp ts;
        ts.tv_sec = (int64_t)rnd() >> rnd_below(64);
        ts.tv_nsec = (uint32_t)rnd_below(1000000000);
        if (rnd() & 1)
            ts.tv_nsec = 0;
        msgpack_pack_timestamp(pk, &ts);
        break;
    }
    case 10:
    case 11: {
        size_t n = rnd_below(8) == 0 ? 20 : rnd_below(5);
        msgpack_pack_array(pk, n);
        for (size_t i = 0; i < n; i++)
            gen(pk, depth - 1);
        break;
    }
    default: {
        /* distinct keys of several types (duplicates are tested elsewhere) */
        size_t n = rnd_below(8) == 0 ? 20 : rnd_below(5);
        msgpack_pack_map(pk, n);
        for (size_t i = 0; i < n; i++) {
            char k[32];
            switch (i % 4) {
            case 0:
                snprintf(k, sizeof k, "k%zu", i);
                msgpack_pack_str_with_body(pk, k, strlen(k));
                break;
            case 1: msgpack_pack_int64(pk, (int64_t)i * 1000 - 3000); break;
            case 2: msgpack_pack_bin_with_body(pk, &i, sizeof i); break;
            default: msgpack_pack_double(pk, (double)i / 3); break;
            }
            gen(pk, depth - 1);
        }
        break;
    }
    }
}

/* What brine must read for o: the mapping of docs/msgpack.md, built with
 * the value API. *has_ts is set when a timestamp is met (msgpack-c cannot
 * tell their header forms apart). NULL if brine must refuse it. */
static brine_value *expected(brine_doc *doc, const msgpack_object *o, int *has_ts)
{
    brine_value *v = NULL;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return brine_null_new(doc, NULL);
    case MSGPACK_OBJECT_BOOLEAN: return brine_bool_new(doc, o->via.boolean, NULL);
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return brine_uint_new(doc, o->via.u64, NULL);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return brine_int_new(doc, o->via.i64, NULL);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return brine_float_new(doc, o->via.f64, NULL);
    case MSGPACK_OBJECT_STR:
        v = brine_str_new(doc, o->via.str.ptr, o->via.str.size, NULL);
        return v ? v : brine_bytes_new(doc, o->via.str.ptr, o->via.str.size, NULL); /* invalid_utf8=bytes */
    case MSGPACK_OBJECT_BIN: return brine_bytes_new(doc, o->via.bin.ptr, o->via.bin.size, NULL);
    case MSGPACK_OBJECT_ARRAY:
        v = brine_list_new(doc, NULL);
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            brine_value *item = expected(doc, &o->via.array.ptr[i], has_ts);
            if (!item)
                return NULL;
            brine_seq_append(v, item, NULL);
        }
        return v;
    case MSGPACK_OBJECT_MAP:
        v = brine_dict_new(doc, NULL);
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            brine_value *k = expected(doc, &o->via.map.ptr[i].key, has_ts);
            brine_value *x = expected(doc, &o->via.map.ptr[i].val, has_ts);
            if (!k || !x || brine_dict_set(v, k, x, NULL) != BRINE_OK)
                return NULL; /* an unhashable key */
        }
        return v;
    case MSGPACK_OBJECT_EXT: {
        msgpack_timestamp ts;
        brine_value *args = brine_tuple_new(doc, NULL);
        if (msgpack_object_to_timestamp(o, &ts)) {
            *has_ts = 1;
            brine_seq_append(args, brine_int_new(doc, ts.tv_sec, NULL), NULL);
            brine_seq_append(args, brine_int_new(doc, ts.tv_nsec, NULL), NULL);
            return model(doc, "msgpack.timestamp", args, NULL);
        }
        *has_ts |= o->via.ext.type == -1;
        brine_seq_append(args, brine_int_new(doc, o->via.ext.type, NULL), NULL);
        brine_seq_append(args, brine_bytes_new(doc, o->via.ext.ptr, o->via.ext.size, NULL), NULL);
        return model(doc, "msgpack.ext", args, NULL);
    }
    }
    return NULL;
}

START_TEST(test_the_decoder_agrees_with_msgpack_c_on_random_documents)
{
    rng_state = UINT64_C(0x9e3779b97f4a7c15);
    for (int n = 0; n < 1500; n++) {
        msgpack_sbuffer sb;
        msgpack_packer pk;
        msgpack_unpacked up;
        size_t off = 0;
        brine_error err;
        brine_doc *got, *want = brine_doc_new();
        brine_value *w;
        int has_ts = 0;
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        gen(&pk, 1 + n % 20);
        msgpack_unpacked_init(&up);
        ck_assert_int_eq(msgpack_unpack_next(&up, sb.data, sb.size, &off), MSGPACK_UNPACK_SUCCESS);
        ck_assert_uint_eq(off, sb.size);
        w = expected(want, &up.data, &has_ts);
        ck_assert_ptr_nonnull(w);
        got = dec(sb.data, sb.size, "plain", 0, &err);
        ck_assert_msg(got != NULL, "document %d: %s at %llu %s", n, err.message, (unsigned long long)err.offset,
                      err.path);
        ck_assert_msg(brine_value_equal(brine_doc_root(got), w, 0, &err) == 1, "document %d differs", n);
        brine_doc_free(got);
        /* and what brine writes, msgpack-c reads back as the same */
        {
            size_t len, off2 = 0;
            unsigned char *out = enc(w, NULL, 0, &len, &err);
            msgpack_unpacked up2;
            brine_doc *again = brine_doc_new();
            int ts2 = 0;
            ck_assert_ptr_nonnull(out);
            msgpack_unpacked_init(&up2);
            ck_assert_int_eq(msgpack_unpack_next(&up2, (const char *)out, len, &off2), MSGPACK_UNPACK_SUCCESS);
            ck_assert_uint_eq(off2, len);
            ck_assert_int_eq(brine_value_equal(expected(again, &up2.data, &ts2), w, 0, &err), 1);
            msgpack_unpacked_destroy(&up2);
            brine_doc_free(again);
            brine_free(out);
        }
        msgpack_unpacked_destroy(&up);
        msgpack_sbuffer_destroy(&sb);
        brine_doc_free(want);
    }
}
END_TEST

START_TEST(test_mutated_documents_agree_with_msgpack_c_or_fail_cleanly)
{
    size_t both = 0, refused = 0;
    rng_state = UINT64_C(0x243f6a8885a308d3);
    for (int n = 0; n < 3000; n++) {
        msgpack_sbuffer sb;
        msgpack_packer pk;
        msgpack_unpacked up;
        size_t off = 0, len;
        brine_error err;
        brine_doc *got;
        int mrc, edits = 1 + (int)rnd_below(3);
        char *buf;
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        gen(&pk, 1 + n % 8);
        len = sb.size;
        buf = malloc(len + 8);
        memcpy(buf, sb.data, len);
        for (int e = 0; e < edits && len; e++) {
            size_t at = rnd_below(len);
            switch (rnd_below(4)) {
            case 0: buf[at] = (char)rnd(); break;
            case 1: buf[at] ^= (char)(1u << rnd_below(8)); break;
            case 2: len = at; break;                                  /* truncate */
            default: buf[at] = (char)(0xc4 + rnd_below(0x1c)); break; /* a length-taking header */
            }
        }
        got = dec(buf, len, "plain,invalid_utf8=bytes", 0, &err);
        msgpack_unpacked_init(&up);
        /* input brine found truncated cannot be whole for msgpack-c either */
        mrc =
            !got && err.code == BRINE_E_TRUNCATED ? MSGPACK_UNPACK_CONTINUE : msgpack_unpack_next(&up, buf, len, &off);
        if (got) {
            /* brine accepts only what msgpack-c parses whole (or nests past its 32 levels) */
            ck_assert_msg((mrc == MSGPACK_UNPACK_SUCCESS && off == len) || mrc == MSGPACK_UNPACK_NOMEM_ERROR,
                          "document %d: brine read what msgpack-c refused (%d)", n, mrc);
            if (mrc == MSGPACK_UNPACK_SUCCESS) {
                brine_doc *want = brine_doc_new();
                int has_ts = 0;
                brine_value *w = expected(want, &up.data, &has_ts);
                if (w && !has_ts) {
                    ck_assert_msg(brine_value_equal(brine_doc_root(got), w, 0, &err) == 1, "document %d differs", n);
                    both++;
                }
                brine_doc_free(want);
            }
            brine_doc_free(got);
        } else {
            refused++;
            ck_assert_msg(err.code > BRINE_OK && err.code <= BRINE_E_MODEL && err.message[0] && err.path[0] == '$',
                          "document %d: bad error %d '%s' '%s'", n, err.code, err.message, err.path);
            ck_assert_msg(err.offset <= len, "document %d: offset %llu past %zu", n, (unsigned long long)err.offset,
                          len);
            if (mrc == MSGPACK_UNPACK_SUCCESS && off == len) {
                /* msgpack-c takes any key; brine's dicts take hashable ones */
                ck_assert_msg(err.code == BRINE_E_KEY, "document %d: refused with %d (%s) what msgpack-c read", n,
                              err.code, err.message);
            }
        }
        msgpack_unpacked_destroy(&up);
        msgpack_sbuffer_destroy(&sb);
        free(buf);
    }
    ck_assert_uint_gt(both, 100);
    ck_assert_uint_gt(refused, 100);
}
END_TEST

START_TEST(test_msgpack_c_stops_at_depth_33_where_brine_goes_on)
{
    /* why the decoder is our own (docs/msgpack.md) */
    char buf[40];
    size_t off = 0;
    msgpack_unpacked up;
    brine_error err;
    brine_doc *doc;
    memset(buf, 0x91, 32);
    buf[32] = (char)0x90;
    msgpack_unpacked_init(&up);
    ck_assert_int_eq(msgpack_unpack_next(&up, buf, 33, &off), MSGPACK_UNPACK_NOMEM_ERROR);
    msgpack_unpacked_destroy(&up);
    doc = dec(buf, 33, NULL, 0, &err);
    ck_assert_ptr_nonnull(doc);
    brine_doc_free(doc);
}
END_TEST

/* ---- memory ------------------------------------------------------------------ */

static size_t peak_request;

static void *counting_malloc(size_t n)
{
    if (n > peak_request)
        peak_request = n;
    return malloc(n);
}

static void *counting_realloc(void *p, size_t n)
{
    if (n > peak_request)
        peak_request = n;
    return realloc(p, n);
}

START_TEST(test_hostile_lengths_cost_no_memory_before_the_input_backs_them)
{
    static const char *const hostile[] = {
        "dd ff ff ff ff 00",      "df ff ff ff ff 00", "db ff ff ff ff 00",
        "c6 ff ff ff ff 00",      "c9 ff ff ff ff 01", "c9 ff ff ff ff 50",
        "c9 ff ff ff ff 53",      "c9 ff ff ff ff 52", "91 91 91 dd ff ff ff ff c0 c0",
        "c7 05 50 dd ff ff ff ff"};
    brine_set_allocator(counting_malloc, counting_realloc, free);
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        unsigned char in[32];
        size_t len = unhex(hostile[i], in, sizeof in);
        brine_error err;
        peak_request = 0;
        ck_assert_ptr_null(dec(in, len, "refs", 0, &err));
        ck_assert_msg(err.code == BRINE_E_TRUNCATED || err.code == BRINE_E_CORRUPT, "%s: %d %s", hostile[i], err.code,
                      err.message);
        ck_assert_msg(peak_request < 1 << 20, "%s: asked for %zu bytes", hostile[i], peak_request);
    }
    brine_set_allocator(NULL, NULL, NULL);
}
END_TEST

/* ---- depth ----------------------------------------------------------------------------- */

static unsigned char *nested_arrays(size_t depth, size_t *len)
{
    unsigned char *p = malloc(depth + 1);
    memset(p, 0x91, depth - 1);
    p[depth - 1] = 0x90;
    *len = depth;
    return p;
}

START_TEST(test_depth_1000_decodes_and_1001_fails_with_the_limit)
{
    size_t len;
    unsigned char *data = nested_arrays(1000, &len);
    brine_error err;
    brine_doc *doc = dec(data, len, NULL, 0, &err);
    unsigned char *out;
    ck_assert_msg(doc != NULL, "%s", err.message);
    out = enc(brine_doc_root(doc), NULL, 0, &len, &err);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(len, 1000);
    brine_free(out);
    brine_doc_free(doc);
    free(data);
    data = nested_arrays(1001, &len);
    ck_assert_ptr_null(dec(data, len, NULL, 0, &err));
    ck_assert_int_eq(err.code, BRINE_E_DEPTH);
    ck_assert_ptr_nonnull(strstr(err.message, "maximum recursion depth exceeded while decoding"));
    ck_assert_uint_eq(err.offset, 1000);
    free(data);
    /* brine's ext types count as one level each, like the values they hold */
    {
        unsigned char t[] = {0xd5, 0x50, 0x91, 0x90}; /* ([],) */
        ck_assert_ptr_null(dec(t, sizeof t, NULL, 1, &err));
        ck_assert_int_eq(err.code, BRINE_E_DEPTH);
        doc = dec(t, sizeof t, NULL, 2, &err);
        ck_assert_ptr_nonnull(doc);
        brine_doc_free(doc);
    }
}
END_TEST

START_TEST(test_depth_of_a_million_works_with_the_limit_raised)
{
    size_t len, out_len;
    unsigned char *data = nested_arrays(1000000, &len), *out;
    brine_error err;
    brine_doc *doc = dec(data, len, NULL, 1000000, &err);
    ck_assert_msg(doc != NULL, "%s", err.message);
    out = enc(brine_doc_root(doc), NULL, 1000000, &out_len, &err);
    ck_assert_ptr_nonnull(out);
    ck_assert(out_len == len && memcmp(out, data, len) == 0);
    brine_free(out);
    brine_doc_free(doc);
    free(data);
}
END_TEST

START_TEST(test_deeply_nested_tuples_and_models_round_trip_in_linear_time)
{
    /* Each level's ext header waits for its payload: the encoder must not
     * move payloads around (that would be quadratic here). */
    brine_doc *doc = brine_doc_new();
    brine_value *v = brine_tuple_new(doc, NULL);
    brine_error err;
    test_opts t;
    brine_doc_set_max_depth(doc, 400000);
    for (int i = 0; i < 100000; i++) {
        brine_value *outer = i % 2 ? brine_tuple_new(doc, NULL) : model(doc, "m", NULL, NULL);
        if (i % 2) {
            brine_seq_append(outer, v, NULL);
            brine_seq_append(outer, brine_str_new_cstr(doc, "padding to pass 256 and 65536 bytes", NULL), NULL);
        } else {
            brine_model_set_state(outer, v, NULL);
        }
        v = outer;
    }
    {
        void *data;
        size_t len;
        brine_doc *back;
        brine_error_clear(&err);
        ck_assert_int_eq(brine_encode_buffer(mp, v, opts_of(&t, NULL, 400000), &data, &len, &err), BRINE_OK);
        ck_assert_uint_eq(((unsigned char *)data)[0], 0xc9); /* ext32: the payload is over 64 KiB */
        back = dec(data, len, NULL, 400000, &err);
        ck_assert_msg(back != NULL, "%s", err.message);
        ck_assert_int_eq(brine_value_equal(v, brine_doc_root(back), 400000, &err), 1);
        brine_doc_free(back);
        brine_free(data);
    }
    brine_doc_free(doc);
}
END_TEST

/* ---- hostile input ------------------------------------------------------------------------ */

/* A document with every kind of value, for truncation and flip sweeps. */
static unsigned char *rich_doc(const char *opts, size_t *len)
{
    brine_doc *doc = brine_doc_new();
    brine_value *root = brine_dict_new(doc, NULL), *l = brine_list_new(doc, NULL), *state = brine_dict_new(doc, NULL);
    brine_error err;
    unsigned char *data;
    brine_seq_append(l, brine_int_new(doc, -70000, NULL), NULL);
    brine_seq_append(l, brine_uint_new(doc, UINT64_MAX, NULL), NULL);
    brine_seq_append(l, brine_float_new(doc, 0.5, NULL), NULL);
    brine_seq_append(l, brine_str_new_cstr(doc, "h\xc3\xa9llo w\xc3\xb6rld, a str longer than thirty-one bytes", NULL),
                     NULL);
    brine_seq_append(l, brine_bytes_new(doc, "\x00\x01\x02", 3, NULL), NULL);
    brine_seq_append(l, brine_int_new_decimal(doc, "-123456789012345678901234567890", 31, NULL), NULL);
    brine_seq_append(l, brine_complex_new(doc, 1, -1, NULL), NULL);
    brine_seq_append(l, tuple2(doc, brine_null_new(doc, NULL), brine_bool_new(doc, 1, NULL)), NULL);
    brine_seq_append(
        l, model(doc, "msgpack.timestamp", tuple2(doc, brine_int_new(doc, 5, NULL), brine_int_new(doc, 6, NULL)), NULL),
        NULL);
    brine_seq_append(
        l,
        model(doc, "msgpack.ext", tuple2(doc, brine_int_new(doc, 9, NULL), brine_bytes_new(doc, "xyz", 3, NULL)), NULL),
        NULL);
    brine_dict_set_str(state, "k", tuple2(doc, brine_int_new(doc, 1, NULL), brine_list_new(doc, NULL)), NULL);
    brine_seq_append(
        l, model(doc, "Point", tuple2(doc, brine_int_new(doc, 1, NULL), brine_int_new(doc, 2, NULL)), state), NULL);
    brine_dict_set_str(root, "list", l, NULL);
    brine_dict_set_str(root, "again", l, NULL);
    data = enc(root, opts, 0, len, &err);
    ck_assert_msg(data != NULL, "%s", err.message);
    brine_doc_free(doc);
    return data;
}

START_TEST(test_every_truncation_fails_with_the_offset_where_input_ends)
{
    static const char *const modes[] = {"refs", NULL};
    for (size_t m = 0; m < 2; m++) {
        size_t len;
        unsigned char *data = rich_doc(modes[m], &len);
        brine_error err;
        brine_doc *doc = dec(data, len, modes[m], 0, &err);
        ck_assert_msg(doc != NULL, "%s", err.message);
        brine_doc_free(doc);
        for (size_t cut = 0; cut < len; cut++) {
            ck_assert_ptr_null(dec(data, cut, modes[m], 0, &err));
            ck_assert_msg(err.code == BRINE_E_TRUNCATED && err.offset == cut, "cut at %zu: error %d at %llu (%s)", cut,
                          err.code, (unsigned long long)err.offset, err.message);
            ck_assert(err.path[0] == '$');
        }
        brine_free(data);
    }
}
END_TEST

START_TEST(test_flipped_bytes_give_values_or_clean_errors)
{
    size_t len;
    unsigned char *data = rich_doc("refs", &len), *copy = malloc(len);
    static const unsigned char flips[] = {0x01, 0x10, 0x80, 0xff, 0x7f};
    size_t ok = 0, failed = 0;
    for (size_t i = 0; i < len; i++) {
        for (size_t f = 0; f < sizeof flips; f++) {
            brine_error err;
            brine_doc *doc;
            memcpy(copy, data, len);
            copy[i] ^= flips[f];
            doc = dec(copy, len, f % 2 ? "refs" : "refs,invalid_utf8=bytes", 0, &err);
            if (doc) {
                ok++;
                brine_doc_free(doc);
            } else {
                failed++;
                ck_assert_msg(err.code > BRINE_OK && err.code <= BRINE_E_MODEL && err.message[0] && err.path[0] == '$',
                              "flip %zu/%zu: bad error %d '%s' '%s'", i, f, err.code, err.message, err.path);
                ck_assert_msg(err.offset <= len, "flip %zu: offset %llu", i, (unsigned long long)err.offset);
            }
        }
    }
    ck_assert_uint_gt(ok, 0);
    ck_assert_uint_gt(failed, 0);
    free(copy);
    brine_free(data);
}
END_TEST

START_TEST(test_huge_declared_lengths_in_a_file_fail_without_allocating_them)
{
    static const unsigned char heads[][6] = {
        {0xdd, 0xff, 0xff, 0xff, 0xff, 0x00}, {0xdf, 0xff, 0xff, 0xff, 0xff, 0x00},
        {0xdb, 0xff, 0xff, 0xff, 0xff, 0x00}, {0xc6, 0xff, 0xff, 0xff, 0xff, 0x00},
        {0xc9, 0xff, 0xff, 0xff, 0xff, 0x50}, {0xc9, 0xff, 0xff, 0xff, 0xf0, 0x53}};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        FILE *fp = tmpfile();
        brine_source src;
        brine_error err;
        test_opts t;
        fwrite(heads[i], 1, 6, fp);
        rewind(fp);
        brine_source_init_file(&src, fp);
        brine_error_clear(&err);
        ck_assert_ptr_null(brine_decode(mp, &src, opts_of(&t, NULL, 0), &err));
        expect_error(&err, BRINE_E_TRUNCATED, 6, NULL, NULL);
        brine_source_destroy(&src);
        fclose(fp);
    }
}
END_TEST

START_TEST(test_a_file_source_reads_values_larger_than_its_window)
{
    brine_doc *doc = brine_doc_new();
    brine_value *root = brine_list_new(doc, NULL);
    char *big = malloc(300000);
    brine_error err;
    unsigned char *data;
    size_t len;
    FILE *fp = tmpfile();
    brine_source src;
    brine_doc *back;
    test_opts t;
    memset(big, 'q', 300000);
    for (int i = 0; i < 20000; i++)
        brine_seq_append(root, brine_int_new(doc, i * 7919, NULL), NULL);
    brine_seq_append(root, brine_str_new(doc, big, 300000, NULL), NULL);
    brine_seq_append(root, tuple2(doc, brine_bytes_new(doc, big, 70000, NULL), brine_null_new(doc, NULL)), NULL);
    data = enc(root, NULL, 0, &len, &err);
    fwrite(data, 1, len, fp);
    rewind(fp);
    brine_source_init_file(&src, fp);
    brine_error_clear(&err);
    back = brine_decode(mp, &src, opts_of(&t, NULL, 0), &err);
    ck_assert_msg(back != NULL, "%s", err.message);
    ck_assert_int_eq(brine_value_equal(root, brine_doc_root(back), 0, &err), 1);
    brine_source_destroy(&src);
    fclose(fp);
    brine_doc_free(back);
    brine_free(data);
    free(big);
    brine_doc_free(doc);
}
END_TEST

static int failing_write(void *ctx, const void *data, size_t len)
{
    size_t *budget = ctx;
    (void)data;
    if (len > *budget)
        return -1;
    *budget -= len;
    return 0;
}

START_TEST(test_a_failing_output_stops_the_encoder_with_its_error)
{
    size_t len;
    unsigned char *data = rich_doc(NULL, &len);
    brine_error err;
    brine_doc *doc = dec(data, len, NULL, 0, &err);
    for (size_t budget0 = 0; budget0 < len; budget0 += 7) {
        size_t budget = budget0;
        brine_output out;
        brine_error_clear(&err);
        ck_assert_int_eq(brine_output_init_callback(&out, failing_write, &budget, &err), BRINE_OK);
        ck_assert_int_eq(brine_encode(mp, brine_doc_root(doc), &out, NULL, &err), BRINE_E_IO);
        ck_assert(err.message[0] != '\0');
        brine_output_destroy(&out);
    }
    brine_doc_free(doc);
    brine_free(data);
}
END_TEST

/* ---- allocation failures ---------------------------------------------------------------------- */

static long alloc_budget = -1;

static void *test_malloc(size_t n)
{
    if (alloc_budget == 0)
        return NULL;
    if (alloc_budget > 0)
        alloc_budget--;
    return malloc(n);
}

static void *test_realloc(void *p, size_t n)
{
    if (alloc_budget == 0)
        return NULL;
    if (alloc_budget > 0)
        alloc_budget--;
    return realloc(p, n);
}

START_TEST(test_out_of_memory_anywhere_is_a_clean_error)
{
    size_t len;
    unsigned char *data = rich_doc("refs", &len);
    int done = 0;
    brine_set_allocator(test_malloc, test_realloc, free);
    for (long k = 0; k < 5000 && !done; k++) {
        brine_error err;
        brine_doc *doc;
        alloc_budget = k;
        doc = dec(data, len, "refs", 0, &err);
        if (doc) {
            unsigned char *out;
            size_t out_len;
            alloc_budget = k;
            out = enc(brine_doc_root(doc), "refs", 0, &out_len, &err);
            if (out) {
                done = 1;
                brine_free(out);
            } else {
                ck_assert_int_eq(err.code, BRINE_E_NOMEM);
            }
            brine_doc_free(doc);
        } else {
            ck_assert_msg(err.code == BRINE_E_NOMEM, "budget %ld: %d %s", k, err.code, err.message);
        }
    }
    alloc_budget = -1;
    brine_set_allocator(NULL, NULL, NULL);
    ck_assert(done);
    brine_free(data);
}
END_TEST

static Suite *safety_suite(void)
{
    Suite *s = suite_create("msgpack safety");
    TCase *tc = tcase_create("decoder");
    registry_fixture(tc, &reg, fixture_formats);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_the_decoder_agrees_with_msgpack_c_on_random_documents);
    tcase_add_test(tc, test_mutated_documents_agree_with_msgpack_c_or_fail_cleanly);
    tcase_add_test(tc, test_msgpack_c_stops_at_depth_33_where_brine_goes_on);
    tcase_add_test(tc, test_hostile_lengths_cost_no_memory_before_the_input_backs_them);
    tcase_add_test(tc, test_depth_1000_decodes_and_1001_fails_with_the_limit);
    tcase_add_test(tc, test_depth_of_a_million_works_with_the_limit_raised);
    tcase_add_test(tc, test_deeply_nested_tuples_and_models_round_trip_in_linear_time);
    tcase_add_test(tc, test_every_truncation_fails_with_the_offset_where_input_ends);
    tcase_add_test(tc, test_flipped_bytes_give_values_or_clean_errors);
    tcase_add_test(tc, test_huge_declared_lengths_in_a_file_fail_without_allocating_them);
    tcase_add_test(tc, test_a_file_source_reads_values_larger_than_its_window);
    tcase_add_test(tc, test_a_failing_output_stops_the_encoder_with_its_error);
    tcase_add_test(tc, test_out_of_memory_anywhere_is_a_clean_error);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(safety_suite)
