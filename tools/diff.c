/* diff.c: the diff subcommand. Decodes two inputs, each in its own format,
 * and compares the values with an explicit stack, printing the paths where
 * they differ (at most DIFF_SHOWN), in the syntax of brine's errors and of
 * brine_path_get. By default values compare as Python compares what each
 * format decoded (1 == 1.0, a tuple equals a list, dicts ignore order),
 * except that True differs from 1 and NaN equals NaN, so that a file always
 * equals itself and a boolean turned into a number is seen. --strict
 * compares types, dict order and float bits exactly and, when nothing else
 * differs, sharing too (brine_value_equal). Exit 0 same, 1 different, 2
 * trouble.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DIFF_SHOWN 10

typedef struct diff_frame {
    const brine_value *a, *b;
    size_t i;        /* next element (sequences), entry (dicts) or part (models: 0 args, 1 state) */
    int pass;        /* dicts: 0 walks a's entries, 1 looks for b's keys a lacks */
    size_t path_len; /* the path's length at this container */
} diff_frame;

typedef struct differ {
    int strict;
    size_t max_depth;
    diff_frame *stack;
    size_t count, cap;
    char *path;
    size_t path_len, path_cap;
    size_t found;   /* differences */
    uint64_t *seen; /* pairs of containers compared already: (a, b) hashed, open addressing */
    size_t seen_cap, seen_count;
    brine_doc *scratch; /* keys built for numeric lookups */
    int oom;
} differ;

/* ---- the path ----------------------------------------------------------- */

static void path_add(differ *d, const char *s, size_t len)
{
    if (d->path_len + len + 1 > d->path_cap) {
        size_t cap = d->path_cap ? d->path_cap : 256;
        while (cap < d->path_len + len + 1)
            cap *= 2;
        char *grown = realloc(d->path, cap);
        if (!grown) {
            d->oom = 1;
            return;
        }
        d->path = grown;
        d->path_cap = cap;
    }
    memcpy(d->path + d->path_len, s, len);
    d->path_len += len;
    d->path[d->path_len] = '\0';
}

static int is_identifier(const char *s, size_t len)
{
    if (!len || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}

static void path_key(differ *d, const brine_value *key)
{
    if (brine_type_of(key) == BRINE_STR) {
        size_t len;
        const char *s = brine_str_get(key, &len);
        if (is_identifier(s, len)) {
            path_add(d, ".", 1);
            path_add(d, s, len);
            return;
        }
        path_add(d, "[\"", 2);
        for (size_t i = 0; i < len; i++) {
            if (s[i] == '"' || s[i] == '\\')
                path_add(d, "\\", 1);
            path_add(d, s + i, 1);
        }
        path_add(d, "\"]", 2);
        return;
    }
    char repr[128];
    size_t n = brine_value_repr(key, repr, sizeof repr, 0, NULL);
    path_add(d, "[", 1);
    path_add(d, repr, n == (size_t)-1 ? 0 : n < sizeof repr ? n : sizeof repr - 1);
    path_add(d, "]", 1);
}

static void path_index(differ *d, size_t i)
{
    char step[32];
    int n = snprintf(step, sizeof step, "[%zu]", i);
    path_add(d, step, (size_t)n);
}

/* ---- reporting ---------------------------------------------------------- */

static int is_container(const brine_value *v)
{
    brine_type t = brine_type_of(v);
    return t == BRINE_LIST || t == BRINE_TUPLE || t == BRINE_DICT || t == BRINE_MODEL;
}

/* A short rendering: a scalar's repr (cut at 60 bytes), a container's
 * type and size. */
static void describe(const brine_value *v, char *buf, size_t cap)
{
    brine_type t = brine_type_of(v);
    if (t == BRINE_LIST || t == BRINE_TUPLE)
        snprintf(buf, cap, "a %s of %zu", brine_type_name(t), brine_seq_count(v));
    else if (t == BRINE_DICT)
        snprintf(buf, cap, "a dict of %zu", brine_dict_count(v));
    else if (t == BRINE_MODEL) {
        size_t len;
        const char *name = brine_model_name(v, &len);
        snprintf(buf, cap, "a model %.*s", (int)(len < 60 ? len : 60), name);
    } else {
        char repr[64];
        size_t n = brine_value_repr(v, repr, sizeof repr, 0, NULL);
        if (n == (size_t)-1)
            snprintf(repr, sizeof repr, "<%s>", brine_type_name(t));
        else if (n >= sizeof repr)
            memcpy(repr + sizeof repr - 4, "...", 4);
        snprintf(buf, cap, "%s", repr);
    }
}

static void report(differ *d, const char *fmt, const char *x, const char *y)
{
    if (d->found++ < DIFF_SHOWN) {
        printf("%s: ", d->path_len ? d->path : "$");
        printf(fmt, x, y);
        putchar('\n');
    }
}

static void report_values(differ *d, const brine_value *a, const brine_value *b)
{
    char x[96], y[96];
    describe(a, x, sizeof x);
    describe(b, y, sizeof y);
    report(d, "%s != %s", x, y);
}

/* ---- scalars ------------------------------------------------------------ */

/* An int against an integral double, exactly: their decimal texts. */
static int int_equals_float(const brine_value *i, double f)
{
    if (!isfinite(f) || f != trunc(f))
        return 0;
    char text[400];
    char *dec = brine_int_to_decimal(i);
    snprintf(text, sizeof text, "%.0f", f);
    int same = dec && strcmp(dec, strcmp(text, "-0") == 0 ? "0" : text) == 0;
    brine_free(dec);
    return same;
}

static int bits_equal(double x, double y)
{
    return memcmp(&x, &y, sizeof x) == 0;
}

static int floats_equal(differ *d, double x, double y)
{
    if (d->strict)
        return bits_equal(x, y);
    return x == y || (isnan(x) && isnan(y));
}

static int ints_equal(const brine_value *a, const brine_value *b)
{
    int64_t x, y;
    uint64_t u, v;
    if (brine_int_get_i64(a, &x) == BRINE_OK && brine_int_get_i64(b, &y) == BRINE_OK)
        return x == y;
    if (brine_int_get_u64(a, &u) == BRINE_OK && brine_int_get_u64(b, &v) == BRINE_OK)
        return u == v;
    size_t la = brine_int_to_bytes(a, NULL, 0), lb = brine_int_to_bytes(b, NULL, 0);
    if (la != lb)
        return 0;
    unsigned char *p = malloc(la + lb + 1);
    if (!p)
        return 0;
    brine_int_to_bytes(a, p, la);
    brine_int_to_bytes(b, p + la, lb);
    int same = memcmp(p, p + la, la) == 0;
    free(p);
    return same;
}

/* Two scalars (or a scalar and a container: never equal). */
static int scalars_equal(differ *d, const brine_value *a, const brine_value *b)
{
    brine_type ta = brine_type_of(a), tb = brine_type_of(b);
    if (ta != tb) {
        if (d->strict)
            return 0;
        if (ta == BRINE_INT && tb == BRINE_FLOAT)
            return int_equals_float(a, brine_float_get(b));
        if (ta == BRINE_FLOAT && tb == BRINE_INT)
            return int_equals_float(b, brine_float_get(a));
        return 0;
    }
    size_t la, lb;
    switch (ta) {
    case BRINE_NULL: return 1;
    case BRINE_BOOL: return brine_bool_get(a) == brine_bool_get(b);
    case BRINE_INT: return ints_equal(a, b);
    case BRINE_FLOAT: return floats_equal(d, brine_float_get(a), brine_float_get(b));
    case BRINE_COMPLEX: {
        double ar, ai, br, bi;
        brine_complex_get(a, &ar, &ai);
        brine_complex_get(b, &br, &bi);
        return floats_equal(d, ar, br) && floats_equal(d, ai, bi);
    }
    case BRINE_STR:
    case BRINE_BYTES: {
        const void *x = ta == BRINE_STR ? (const void *)brine_str_get(a, &la) : brine_bytes_get(a, &la);
        const void *y = ta == BRINE_STR ? (const void *)brine_str_get(b, &lb) : brine_bytes_get(b, &lb);
        return la == lb && (la == 0 || memcmp(x, y, la) == 0);
    }
    default: return 0;
    }
}

/* ---- containers --------------------------------------------------------- */

/* 1 if the pair (a, b) was compared before (or is being compared: a
 * cycle), else records it and returns 0. */
static int seen_before(differ *d, const brine_value *a, const brine_value *b)
{
    uint64_t key = (uint64_t)(uintptr_t)a * 0x9E3779B97F4A7C15u ^ (uint64_t)(uintptr_t)b;
    key = key ? key : 1;
    if (2 * (d->seen_count + 1) > d->seen_cap) {
        size_t cap = d->seen_cap ? 2 * d->seen_cap : 1024;
        uint64_t *grown = calloc(cap, sizeof *grown);
        if (!grown) {
            d->oom = 1;
            return 1;
        }
        for (size_t i = 0; i < d->seen_cap; i++) {
            if (!d->seen[i])
                continue;
            size_t j = (size_t)(d->seen[i] * 0xff51afd7ed558ccdu >> 20) & (cap - 1);
            while (grown[j])
                j = (j + 1) & (cap - 1);
            grown[j] = d->seen[i];
        }
        free(d->seen);
        d->seen = grown;
        d->seen_cap = cap;
    }
    size_t j = (size_t)(key * 0xff51afd7ed558ccdu >> 20) & (d->seen_cap - 1);
    while (d->seen[j]) {
        if (d->seen[j] == key)
            return 1; /* a hash of the pair: a collision may hide a difference, never invent one */
        j = (j + 1) & (d->seen_cap - 1);
    }
    d->seen[j] = key;
    d->seen_count++;
    return 0;
}

/* The value of key in dict b, matching an int key with an equal float
 * one and back unless strict (1 and 1.0 are one key in Python). */
static const brine_value *lookup(differ *d, const brine_value *b, const brine_value *key)
{
    const brine_value *v = brine_dict_get(b, key);
    if (v || d->strict)
        return v;
    brine_type t = brine_type_of(key);
    int64_t i;
    if (t == BRINE_INT && brine_int_get_i64(key, &i) == BRINE_OK && (double)i == (double)(int64_t)(double)i)
        return brine_dict_get(b, brine_float_new(d->scratch, (double)i, NULL));
    if (t == BRINE_FLOAT) {
        double f = brine_float_get(key);
        if (isfinite(f) && f == trunc(f) && fabs(f) < 9.2e18)
            return brine_dict_get(b, brine_int_new(d->scratch, (int64_t)f, NULL));
    }
    return NULL;
}

static int same_kind(differ *d, brine_type ta, brine_type tb)
{
    if (ta == tb)
        return 1;
    int seq_a = ta == BRINE_LIST || ta == BRINE_TUPLE, seq_b = tb == BRINE_LIST || tb == BRINE_TUPLE;
    return !d->strict && seq_a && seq_b;
}

/* Starts comparing a and b at the current path: scalars at once,
 * containers by pushing a frame. Returns 0, or -1 past the depth limit. */
static int compare(differ *d, const brine_value *a, const brine_value *b)
{
    if (!is_container(a) || !is_container(b)) {
        if (!scalars_equal(d, a, b))
            report_values(d, a, b);
        return 0;
    }
    brine_type ta = brine_type_of(a), tb = brine_type_of(b);
    if (!same_kind(d, ta, tb)) {
        report_values(d, a, b);
        return 0;
    }
    if (ta == BRINE_MODEL) {
        size_t la, lb;
        const char *na = brine_model_name(a, &la), *nb = brine_model_name(b, &lb);
        if (la != lb || memcmp(na, nb, la) != 0) {
            report_values(d, a, b);
            return 0;
        }
    }
    if ((ta == BRINE_LIST || ta == BRINE_TUPLE) && brine_seq_count(a) != brine_seq_count(b)) {
        char x[96], y[96];
        describe(a, x, sizeof x);
        describe(b, y, sizeof y);
        report(d, "%s != %s (lengths differ)", x, y);
    }
    if (seen_before(d, a, b))
        return 0;
    if (d->count == d->max_depth)
        return -1;
    if (d->count == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 64;
        diff_frame *grown = realloc(d->stack, cap * sizeof *grown);
        if (!grown) {
            d->oom = 1;
            return 0;
        }
        d->stack = grown;
        d->cap = cap;
    }
    d->stack[d->count++] = (diff_frame){a, b, 0, 0, d->path_len};
    return 0;
}

/* The next pair of the top frame f, with the path extended to it; 0 when
 * f is done (it reports the keys only one side has as it goes). */
static int next_pair(differ *d, diff_frame *f, const brine_value **a, const brine_value **b)
{
    d->path_len = f->path_len;
    if (d->path)
        d->path[d->path_len] = '\0';
    brine_type t = brine_type_of(f->a);
    if (t == BRINE_LIST || t == BRINE_TUPLE) {
        size_t n = brine_seq_count(f->a) < brine_seq_count(f->b) ? brine_seq_count(f->a) : brine_seq_count(f->b);
        if (f->i >= n)
            return 0;
        path_index(d, f->i);
        *a = brine_seq_get(f->a, f->i);
        *b = brine_seq_get(f->b, f->i);
        f->i++;
        return 1;
    }
    if (t == BRINE_MODEL) {
        if (f->i > 1)
            return 0;
        path_add(d, f->i ? ".state" : ".args", f->i ? 6 : 5);
        *a = f->i ? brine_model_state(f->a) : brine_model_args(f->a);
        *b = f->i ? brine_model_state(f->b) : brine_model_args(f->b);
        f->i++;
        return 1;
    }
    brine_value *key, *val;
    const brine_value *dict = f->pass ? f->b : f->a, *other = f->pass ? f->a : f->b;
    for (;;) {
        if (!brine_dict_next(dict, &f->i, &key, &val)) {
            if (f->pass)
                return 0;
            f->pass = 1;
            f->i = 0;
            dict = f->b;
            other = f->a;
            continue;
        }
        const brine_value *match = lookup(d, other, key);
        if (match && f->pass)
            continue; /* compared in the first pass */
        path_key(d, key);
        if (!match) {
            char x[96];
            describe(val, x, sizeof x);
            report(d, f->pass ? "only in B (%s)%s" : "only in A (%s)%s", x, "");
            d->path_len = f->path_len;
            d->path[d->path_len] = '\0';
            continue;
        }
        *a = val;
        *b = match;
        return 1;
    }
}

/* In strict mode, dicts with the same entries in another order differ. */
static void check_order(differ *d, const brine_value *a, const brine_value *b)
{
    size_t ia = 0, ib = 0;
    brine_value *ka, *kb;
    while (brine_dict_next(a, &ia, &ka, NULL) && brine_dict_next(b, &ib, &kb, NULL)) {
        if (brine_value_equal(ka, kb, 0, NULL) != 1) {
            report(d, "%s%sthe same keys in another order", "", "");
            return;
        }
    }
}

static int run(differ *d, const brine_value *a, const brine_value *b)
{
    path_add(d, "$", 1);
    if (compare(d, a, b) < 0)
        return -1;
    while (d->count && !d->oom) {
        diff_frame *f = &d->stack[d->count - 1];
        const brine_value *x, *y;
        if (f->i == 0 && f->pass == 0 && d->strict && brine_type_of(f->a) == BRINE_DICT &&
            brine_dict_count(f->a) == brine_dict_count(f->b)) {
            d->path_len = f->path_len;
            if (d->path)
                d->path[d->path_len] = '\0';
            check_order(d, f->a, f->b);
        }
        if (!next_pair(d, f, &x, &y)) {
            d->count--;
            continue;
        }
        if (compare(d, x, y) < 0)
            return -1;
    }
    return 0;
}

int cmd_diff(cli *c, int argc, char **argv)
{
    int rc = cli_parse(c, argc, argv, OPT_FROM | OPT_FMT | OPT_READER | OPT_DEPTH | OPT_STRICT | OPT_FILTER);
    if (rc >= 0)
        return rc;
    if (c->arg_count != 2)
        return cli_usage(c, "give two files to compare (got %d)", c->arg_count);
    if (strcmp(c->args[0], "-") == 0 && strcmp(c->args[1], "-") == 0)
        return cli_usage(c, "standard input can be only one of the two");
    if ((rc = cli_reader_only(c)) >= 0 || (rc = cli_load_registry(c)) != CLI_OK)
        return rc;

    cli_decoded in[2];
    int status = CLI_OK;
    memset(in, 0, sizeof in);
    for (int i = 0; i < 2 && status == CLI_OK; i++) {
        rc = cli_decode_input(c, c->args[i], NULL, &in[i]);
        if (rc != CLI_OK) {
            cli_decoded_report(c, &in[i], rc);
            status = CLI_USAGE; /* trouble, whatever it was */
        }
    }
    if (status == CLI_OK) {
        differ d;
        memset(&d, 0, sizeof d);
        d.strict = c->strict;
        d.max_depth = c->max_depth ? c->max_depth : BRINE_DEFAULT_MAX_DEPTH;
        d.scratch = brine_doc_new();
        const brine_value *a = brine_doc_root(in[0].doc), *b = brine_doc_root(in[1].doc);
        if (!d.scratch || run(&d, a, b) < 0) {
            if (d.scratch)
                cli_msg("the values nest deeper than %zu levels (--max-depth)", d.max_depth);
            else
                cli_oom();
            status = CLI_USAGE;
        } else if (d.oom) {
            cli_oom();
            status = CLI_USAGE;
        } else if (!d.found && d.strict && brine_value_equal(a, b, c->max_depth, NULL) != 1) {
            printf("$: the same values, but not the same containers shared\n");
            status = CLI_FAIL;
        } else if (d.found) {
            if (d.found > DIFF_SHOWN)
                printf("... and %zu more difference%s\n", d.found - DIFF_SHOWN, d.found - DIFF_SHOWN == 1 ? "" : "s");
            status = CLI_FAIL;
        }
        free(d.stack);
        free(d.path);
        free(d.seen);
        brine_doc_free(d.scratch);
    }
    cli_decoded_free(&in[0]);
    cli_decoded_free(&in[1]);
    return status;
}
