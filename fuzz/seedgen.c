/* seedgen.c: writes the seed corpora, OUTDIR/seeds/<harness>/, from the test
 * data of data/ (and data/fuzz/), from graphs of every type, sharing, cycles,
 * models and deep nesting encoded by every format under every option set of
 * fuzz.h, and from snippets of the JSON corpus. Deterministic. Usage (run by
 * fuzz/build.sh): seedgen DATADIR OUTDIR [CORPUSDIR] */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Snippets taken from each corpus file, and their size bounds. */
#define SNIPPETS_PER_FILE 40
#define SNIPPET_MIN 16
#define SNIPPET_MAX 4096
/* Seeds per format that also become transcode seeds. */
#define TRANSCODE_SEEDS 60
/* Bigger encodings (the 1000-level graph written pretty, say) are left out:
 * libFuzzer would cut them to its max_len anyway. */
#define SEED_MAX (64 * 1024)

static const char *outdir;
static unsigned long seed_count;

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "seedgen: %s: %s\n", what, detail);
    exit(1);
}

static void make_dir(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        die(path, strerror(errno));
}

/* Writes one seed file into seeds/<harness>/, named by a running number. */
static void put(const char *harness, const char *tag, const void *data, size_t len)
{
    char path[4096];
    if (len > SEED_MAX)
        return;
    snprintf(path, sizeof path, "%s/seeds/%s", outdir, harness);
    make_dir(path);
    snprintf(path, sizeof path, "%s/seeds/%s/%s-%05lu", outdir, harness, tag, seed_count++);
    FILE *fp = fopen(path, "wb");
    if (!fp || (len && fwrite(data, 1, len, fp) != len) || fclose(fp) != 0)
        die(path, "cannot write");
}

/* The transcode harness takes two selector bytes first (transcode.c): the
 * formats, then the option sets, which salt varies from seed to seed. */
static void put_transcode(size_t from, const void *data, size_t len, unsigned salt)
{
    unsigned char *buf = malloc(len + 2);
    if (!buf)
        die("seed", "out of memory");
    memcpy(buf + 2, data, len);
    for (size_t to = 0; to < FZ_COUNT(fz_formats); to++) {
        buf[0] = (unsigned char)(from + FZ_COUNT(fz_formats) * to);
        buf[1] = (unsigned char)(((salt + to) % 16) | ((salt / 4 + to) % 16) << 4);
        put("transcode", "tc", buf, len + 2);
    }
    free(buf);
}

/* A seed of format fi: for its decoder, its round trip, sniffing and, for
 * the first few, transcoding. */
static void put_format(size_t fi, const char *tag, const void *data, size_t len)
{
    static unsigned per_format[FZ_COUNT(fz_formats)];
    char name[64];
    snprintf(name, sizeof name, "decode_%s", fz_formats[fi].name);
    put(name, tag, data, len);
    snprintf(name, sizeof name, "roundtrip_%s", fz_formats[fi].name);
    put(name, tag, data, len);
    put("sniff", tag, data, len);
    if (per_format[fi] < TRANSCODE_SEEDS)
        put_transcode(fi, data, len, per_format[fi]++);
}

static size_t format_index(const char *name)
{
    for (size_t i = 0; i < FZ_COUNT(fz_formats); i++)
        if (strcmp(fz_formats[i].name, name) == 0)
            return i;
    die("no such format", name);
    return 0;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(fp);
    if (!buf)
        die(path, "out of memory");
    *len = n;
    return buf;
}

static void encode_everywhere(const brine_value *g, const char *tag);

/* ---- seeds from data/ ----------------------------------------------------- */

/* Every regular file of dir (sorted, so runs are deterministic) as a seed. */
static void from_dir(const char *dir, size_t fi, const char *suffix)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *nm = names[i]->d_name;
        size_t nl = strlen(nm), sl = suffix ? strlen(suffix) : 0;
        if (nm[0] != '.' && (!suffix || (nl > sl && strcmp(nm + nl - sl, suffix) == 0))) {
            char path[4096];
            size_t len;
            snprintf(path, sizeof path, "%s/%s", dir, nm);
            unsigned char *data = slurp(path, &len);
            if (data)
                put_format(fi, "data", data, len);
            free(data);
        }
        free(names[i]);
    }
    if (n >= 0)
        free(names);
}

/* The small .npy files of dir, decoded into one dict of arrays and written
 * by every format (npz among them, stored and deflated): array seeds for
 * all, and npz seeds with many members. */
static void from_npy_arrays(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    brine_doc *doc = brine_doc_new();
    brine_value *dict = doc ? brine_dict_new(doc, NULL) : NULL;
    if (!dict)
        die("npy seeds", "out of memory");
    for (int i = 0; i < n; i++) {
        const char *nm = names[i]->d_name;
        size_t nl = strlen(nm), len;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, nm);
        unsigned char *data = nl > 4 && strcmp(nm + nl - 4, ".npy") == 0 ? slurp(path, &len) : NULL;
        brine_doc *one = data && len <= 1024 ? brine_decode_buffer(fz_plugin("npy"), data, len, NULL, NULL) : NULL;
        if (one) {
            brine_value *copy = brine_value_copy(doc, brine_doc_root(one), 0, NULL);
            brine_value *key = brine_str_new(doc, nm, nl - 4, NULL);
            if (!copy || !key || brine_dict_set(dict, key, copy, NULL) != BRINE_OK)
                die("npy seeds", "cannot build the dict");
            brine_doc_free(one);
        }
        free(data);
        free(names[i]);
    }
    if (n >= 0)
        free(names);
    encode_everywhere(dict, "npyarrays");
    brine_doc_free(doc);
}

static int hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* data/msgpack/vectors.txt: the hex bytes before the first " | ". */
static void from_msgpack_vectors(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return;
    char line[8192];
    unsigned char bytes[4096];
    while (fgets(line, sizeof line, fp)) {
        char *bar = strstr(line, " | ");
        if (line[0] == '#' || !bar)
            continue;
        size_t n = 0;
        int hi = -1;
        for (char *p = line; p < bar && n < sizeof bytes; p++) {
            int v = hexval((unsigned char)*p);
            if (v < 0)
                continue;
            if (hi < 0)
                hi = v;
            else
                bytes[n++] = (unsigned char)(hi << 4 | v), hi = -1;
        }
        put_format(format_index("msgpack"), "vector", bytes, n);
    }
    fclose(fp);
}

/* data/json/errors.tsv: the first column, with its \\ \n \t \xHH escapes. */
static void from_json_errors(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return;
    char line[8192];
    unsigned char doc[8192];
    while (fgets(line, sizeof line, fp)) {
        char *tab = strchr(line, '\t');
        if (line[0] == '#' || !tab)
            continue;
        size_t n = 0;
        for (char *p = line; p < tab; p++) {
            if (*p == '\\' && p + 1 < tab) {
                p++;
                if (*p == 'n')
                    doc[n++] = '\n';
                else if (*p == 't')
                    doc[n++] = '\t';
                else if (*p == 'x' && p + 2 < tab && hexval(p[1]) >= 0 && hexval(p[2]) >= 0)
                    doc[n++] = (unsigned char)(hexval(p[1]) << 4 | hexval(p[2])), p += 2;
                else
                    doc[n++] = (unsigned char)*p;
            } else {
                doc[n++] = (unsigned char)*p;
            }
        }
        put_format(format_index("json"), "error", doc, n);
    }
    fclose(fp);
}

/* ---- generated graphs ---------------------------------------------------- */

/* Writes g in every format under every option set it can be written with;
 * refusals (a cycle without refs, a float in bencode) are expected. */
static void encode_everywhere(const brine_value *g, const char *tag)
{
    for (size_t fi = 0; fi < FZ_COUNT(fz_formats); fi++) {
        const fz_format *f = &fz_formats[fi];
        for (size_t s = 0; s < f->set_count; s++) {
            brine_options opts;
            void *bytes;
            size_t len;
            if (brine_encode_buffer(fz_plugin(f->name), g, fz_options(&opts, 0, f->sets[s].encode), &bytes, &len,
                                    NULL) == BRINE_OK) {
                put_format(fi, tag, bytes, len);
                brine_free(bytes);
            }
        }
    }
}

#define OK(x)                                                                                                          \
    do {                                                                                                               \
        if (!(x))                                                                                                      \
            die("building a graph failed", #x);                                                                        \
    } while (0)

static brine_value *str(brine_doc *d, const char *s)
{
    brine_value *v = brine_str_new(d, s, strlen(s), NULL);
    OK(v);
    return v;
}

static void add(brine_value *seq, const brine_value *v)
{
    OK(v && brine_seq_append(seq, v, NULL) == BRINE_OK);
}

/* Appends one of every scalar kind, with their edge values. */
static void add_scalars(brine_doc *d, brine_value *seq)
{
    static const unsigned char big[] = {0, 0, 0, 0, 0, 0, 0, 0, 1};                               /* 2**64 */
    static const unsigned char negbig[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}; /* -2**64-1 */
    add(seq, brine_null_new(d, NULL));
    add(seq, brine_bool_new(d, 1, NULL));
    add(seq, brine_bool_new(d, 0, NULL));
    add(seq, brine_int_new(d, 0, NULL));
    add(seq, brine_int_new(d, -1, NULL));
    add(seq, brine_int_new(d, 127, NULL));
    add(seq, brine_int_new(d, -33, NULL));
    add(seq, brine_int_new(d, INT64_MIN, NULL));
    add(seq, brine_uint_new(d, UINT64_MAX, NULL));
    add(seq, brine_int_new_bytes(d, big, sizeof big, NULL));
    add(seq, brine_int_new_bytes(d, negbig, sizeof negbig, NULL));
    add(seq, brine_int_new_decimal(d, "-123456789012345678901234567890123456789", 40, NULL));
    add(seq, brine_float_new(d, 0.0, NULL));
    add(seq, brine_float_new(d, -0.0, NULL));
    add(seq, brine_float_new(d, 1.5, NULL));
    add(seq, brine_float_new(d, 1e300, NULL));
    add(seq, brine_float_new(d, 5e-324, NULL));
    add(seq, brine_float_new(d, INFINITY, NULL));
    add(seq, brine_float_new(d, -INFINITY, NULL));
    add(seq, brine_float_new(d, NAN, NULL));
    add(seq, brine_complex_new(d, 1.0, -2.5, NULL));
    add(seq, str(d, ""));
    add(seq, str(d, "hello"));
    add(seq, str(d, "h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \"q\" \\ \n\t\x01"));
    add(seq, brine_str_new(d, "nul\0inside", 10, NULL));
    add(seq, brine_bytes_new(d, "", 0, NULL));
    add(seq, brine_bytes_new(d, "\x00\xff\x80 bytes", 9, NULL));
}

static brine_value *dict_of(brine_doc *d, int hashable_keys)
{
    brine_value *dict = brine_dict_new(d, NULL);
    OK(dict);
    OK(brine_dict_set_str(dict, "a", brine_int_new(d, 1, NULL), NULL) == BRINE_OK);
    OK(brine_dict_set_str(dict, "key with spaces", str(d, "v"), NULL) == BRINE_OK);
    OK(brine_dict_set_str(dict, "b", brine_list_new(d, NULL), NULL) == BRINE_OK);
    if (hashable_keys) {
        brine_value *t = brine_tuple_new(d, NULL);
        OK(t);
        add(t, brine_int_new(d, 1, NULL));
        add(t, str(d, "x"));
        OK(brine_dict_set(dict, brine_int_new(d, 7, NULL), str(d, "int key"), NULL) == BRINE_OK);
        OK(brine_dict_set(dict, brine_float_new(d, 2.5, NULL), brine_null_new(d, NULL), NULL) == BRINE_OK);
        OK(brine_dict_set(dict, brine_bytes_new(d, "k", 1, NULL), brine_bool_new(d, 1, NULL), NULL) == BRINE_OK);
        OK(brine_dict_set(dict, t, str(d, "tuple key"), NULL) == BRINE_OK);
        OK(brine_dict_set(dict, brine_null_new(d, NULL), brine_int_new(d, 0, NULL), NULL) == BRINE_OK);
    }
    return dict;
}

static brine_value *model_of(brine_doc *d, const char *name, const brine_value *state)
{
    brine_value *m = brine_model_new(d, name, strlen(name), NULL);
    brine_value *args = brine_tuple_new(d, NULL);
    OK(m && args);
    add(args, brine_int_new(d, 3, NULL));
    add(args, str(d, "arg"));
    OK(brine_model_set_args(m, args, NULL) == BRINE_OK);
    if (state)
        OK(brine_model_set_state(m, state, NULL) == BRINE_OK);
    return m;
}

/* [[[...]]] depth levels deep, a scalar in the middle. */
static brine_value *nested(brine_doc *d, size_t depth, int dicts)
{
    brine_value *inner = brine_int_new(d, 42, NULL);
    for (size_t i = 0; i < depth; i++) {
        brine_value *c = dicts && i % 2 ? brine_dict_new(d, NULL) : brine_list_new(d, NULL);
        OK(c);
        if (brine_type_of(c) == BRINE_DICT)
            OK(brine_dict_set_str(c, "k", inner, NULL) == BRINE_OK);
        else
            add(c, inner);
        inner = c;
    }
    return inner;
}

static void generated(void)
{
    brine_doc *d = brine_doc_new();
    OK(d);

    /* Each scalar alone, then all of them in a list and in a tuple. */
    brine_value *scalars = brine_list_new(d, NULL);
    OK(scalars);
    add_scalars(d, scalars);
    for (size_t i = 0; i < brine_seq_count(scalars); i++)
        encode_everywhere(brine_seq_get(scalars, i), "scalar");
    encode_everywhere(scalars, "scalars");
    brine_value *tuple = brine_tuple_new(d, NULL);
    OK(tuple);
    add_scalars(d, tuple);
    encode_everywhere(tuple, "tuple");

    /* Dicts: str keys only (what every format has), then any hashable key. */
    encode_everywhere(dict_of(d, 0), "dict");
    encode_everywhere(dict_of(d, 1), "dict");
    brine_value *strs = brine_dict_new(d, NULL);
    OK(strs);
    OK(brine_dict_set_str(strs, "name", str(d, "brine"), NULL) == BRINE_OK);
    OK(brine_dict_set_str(strs, "list", scalars, NULL) == BRINE_OK);
    encode_everywhere(strs, "mixed");

    /* Models, with and without state, nested in a list. */
    brine_value *models = brine_list_new(d, NULL);
    OK(models);
    add(models, model_of(d, "collections.OrderedDict", NULL));
    add(models, model_of(d, "sklearn.tree.Node", dict_of(d, 0)));
    add(models, model_of(d, "m", model_of(d, "inner", brine_int_new(d, 1, NULL))));
    encode_everywhere(models, "model");

    /* Sharing and cycles: only formats with refs can keep them. */
    brine_value *shared = brine_list_new(d, NULL), *x = dict_of(d, 0);
    OK(shared);
    add(shared, x);
    add(shared, x);
    add(shared, x);
    encode_everywhere(shared, "shared");
    brine_value *cycle = brine_list_new(d, NULL);
    OK(cycle);
    add(cycle, brine_int_new(d, 1, NULL));
    add(cycle, cycle);
    encode_everywhere(cycle, "cycle");
    brine_value *dcycle = brine_dict_new(d, NULL);
    OK(dcycle && brine_dict_set_str(dcycle, "self", dcycle, NULL) == BRINE_OK);
    brine_value *mcycle = model_of(d, "Node", NULL);
    OK(brine_model_set_state(mcycle, mcycle, NULL) == BRINE_OK);
    brine_value *cycles = brine_list_new(d, NULL);
    OK(cycles);
    add(cycles, dcycle);
    add(cycles, mcycle);
    add(cycles, dcycle);
    encode_everywhere(cycles, "cycles");

    /* Arrays (#20): every kind, 0-d to 3-d, empty, a record, one shared. */
    {
        static const char *const types[] = {"|b1", "<i2", ">i4", "<u8", "<f2", "<f4", ">f8", "<c16",
                                            "|S5", "<U3", "<M8[ns]", "<m8[10ms]", "|V3"};
        static const uint64_t shapes[][3] = {{0}, {3}, {2, 2}, {1, 2, 3}};
        brine_value *arrays = brine_list_new(d, NULL);
        for (size_t t = 0; t < FZ_COUNT(types); t++) {
            brine_dtype *dt = brine_dtype_parse(d, types[t], strlen(types[t]), NULL);
            brine_value *a = brine_array_new(d, dt, (unsigned)(t % 4), shapes[t % 4], NULL, NULL);
            unsigned char *p = brine_array_data_mut(a);
            for (size_t k = 0; k < brine_array_nbytes(a); k++)
                p[k] = (unsigned char)(k * 7 + t);
            brine_seq_append(arrays, a, NULL);
            encode_everywhere(a, "array");
        }
        uint64_t empty[] = {0, 5};
        brine_seq_append(arrays, brine_array_new(d, brine_dtype_parse(d, "<f8", 3, NULL), 2, empty, NULL, NULL), NULL);
        brine_dtype *rec = brine_dtype_record_new(d, 16, NULL);
        uint64_t sub[] = {2};
        brine_dtype_record_add(rec, "a", 1, brine_dtype_parse(d, "<i8", 3, NULL), 0, 0, NULL, NULL);
        brine_dtype_record_add(rec, "b", 1, brine_dtype_parse(d, "<f4", 3, NULL), 8, 1, sub, NULL);
        brine_seq_append(arrays, brine_array_new(d, rec, 1, sub, NULL, NULL), NULL);
        brine_seq_append(arrays, brine_seq_get(arrays, 1), NULL); /* shared */
        encode_everywhere(arrays, "arrays");
    }

    /* Nesting: a little, at the default limit, and past it. */
    encode_everywhere(nested(d, 20, 1), "nested");
    encode_everywhere(nested(d, BRINE_DEFAULT_MAX_DEPTH, 0), "deep");
    brine_doc_free(d);

    /* Past the limit no encoder writes it: spell it out by hand. */
    static unsigned char deep[2 * (BRINE_DEFAULT_MAX_DEPTH + 1) + 1];
    size_t n = BRINE_DEFAULT_MAX_DEPTH + 1;
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    put_format(format_index("json"), "deep", deep, 2 * n);
    memset(deep, 'l', n);
    memset(deep + n, 'e', n);
    put_format(format_index("bencode"), "deep", deep, 2 * n);
    memset(deep, 0x91, n);
    deep[n] = 0xc0;
    put_format(format_index("msgpack"), "deep", deep, n + 1);
}

/* ---- corpus snippets ------------------------------------------------------ */

/* Small containers of a big JSON document, breadth first, each written in
 * every format. */
static void snippets(const char *path)
{
    size_t len;
    unsigned char *text = slurp(path, &len);
    if (!text)
        return;
    brine_doc *doc = brine_decode_buffer(fz_plugin("json"), text, len, NULL, NULL);
    free(text);
    if (!doc)
        return;
    enum { QUEUE = 20000 };
    static const brine_value *queue[QUEUE];
    size_t head = 0, tail = 0, taken = 0;
    queue[tail++] = brine_doc_root(doc);
    while (head < tail && taken < SNIPPETS_PER_FILE) {
        const brine_value *v = queue[head++];
        brine_value *child;
        size_t it = 0;
        if (brine_type_of(v) == BRINE_LIST)
            for (size_t i = 0; i < brine_seq_count(v) && tail < QUEUE; i++)
                queue[tail++] = brine_seq_get(v, i);
        else if (brine_type_of(v) == BRINE_DICT)
            while (tail < QUEUE && brine_dict_next(v, &it, NULL, &child))
                queue[tail++] = child;
        else
            continue;
        void *bytes;
        size_t blen;
        if (brine_encode_buffer(fz_plugin("json"), v, NULL, &bytes, &blen, NULL) != BRINE_OK)
            continue;
        brine_free(bytes);
        if (blen >= SNIPPET_MIN && blen <= SNIPPET_MAX) {
            encode_everywhere(v, "corpus");
            taken++;
        }
    }
    brine_doc_free(doc);
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: seedgen DATADIR OUTDIR [CORPUSDIR]\n");
        return 2;
    }
    const char *data = argv[1];
    outdir = argv[2];
    char path[4096];
    snprintf(path, sizeof path, "%s/seeds", outdir);
    make_dir(outdir);
    make_dir(path);

    snprintf(path, sizeof path, "%s/native", data);
    from_dir(path, format_index("native"), ".brn");
    snprintf(path, sizeof path, "%s/msgpack/vectors.txt", data);
    from_msgpack_vectors(path);
    snprintf(path, sizeof path, "%s/json/errors.tsv", data);
    from_json_errors(path);
    snprintf(path, sizeof path, "%s/cli", data);
    from_dir(path, format_index("json"), ".json");
    snprintf(path, sizeof path, "%s/pickle", data);
    from_dir(path, format_index("pickle"), ".pkl");
    snprintf(path, sizeof path, "%s/pickle/numpy", data); /* numpy's array forms, good and hostile */
    from_dir(path, format_index("pickle"), ".pkl");
    snprintf(path, sizeof path, "%s/sklearn-linear", data);
    from_dir(path, format_index("pickle"), ".pkl");
    snprintf(path, sizeof path, "%s/sklearn-tree", data);
    from_dir(path, format_index("pickle"), ".pkl");
    snprintf(path, sizeof path, "%s/joblib", data); /* joblib.dump's layout, good and hostile */
    from_dir(path, format_index("joblib"), ".joblib");
    snprintf(path, sizeof path, "%s/sklearn-tree", data);
    from_dir(path, format_index("joblib"), ".joblib");
    snprintf(path, sizeof path, "%s/npy", data);
    from_dir(path, format_index("npy"), ".npy");
    from_dir(path, format_index("npz"), ".npz");
    from_npy_arrays(path);
    for (size_t fi = 0; fi < FZ_COUNT(fz_formats); fi++) {
        snprintf(path, sizeof path, "%s/fuzz/%s", data, fz_formats[fi].name);
        from_dir(path, fi, NULL);
    }
    generated();
    if (argc == 4) {
        static const char *const files[] = {"twitter.json", "citm_catalog.json", "canada.json"};
        for (size_t i = 0; i < FZ_COUNT(files); i++) {
            snprintf(path, sizeof path, "%s/%s", argv[3], files[i]);
            snippets(path);
        }
    }
    printf("seedgen: %lu seed files in %s/seeds\n", seed_count, outdir);
    return 0;
}
