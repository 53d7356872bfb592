/* main.c: the decision-tree command. `train` fits a tree on a CSV file and
 * saves it with brine_model_save_file in the format each -o file's extension
 * names; `predict` loads a saved tree with brine_model_load_file, in any
 * format, and prints one predicted class per input row. The work is in
 * tree.c (CART) and state.c (the model type). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tree.h"

static const char *progname = "decision-tree";

static void usage(FILE *fp)
{
    fprintf(fp, "Usage: decision-tree train DATA -o MODEL [-o MODEL]... [-O KEY[=VALUE]]...\n"
                "                           [--test-rows CSV] [--max-depth N] [--min-samples-leaf N] [--seed N]\n"
                "       decision-tree predict MODEL [CSV]\n"
                "\n"
                "train   reads DATA (rows: class label, then numbers), holds out 30%% of the\n"
                "        rows for testing (a seeded shuffle), fits a CART tree (Gini; max depth 3,\n"
                "        at least 5 rows per leaf by default), prints its test accuracy and\n"
                "        saves it to each MODEL in the format its extension names (.brn native,\n"
                "        .msgpack, .json). -O passes a format option (refs, pretty ...) to the\n"
                "        formats that take it; --test-rows writes the held-out rows as CSV.\n"
                "predict loads MODEL (any format) and prints the predicted class of each row\n"
                "        of CSV (default: standard input), then the accuracy if rows are labelled.\n");
}

static int failed(const char *what, const brine_error *err)
{
    fprintf(stderr, "%s: %s: %s", progname, what, err->message);
    if (err->path[0] && strcmp(err->path, "$") != 0)
        fprintf(stderr, " (at %s)", err->path);
    fputc('\n', stderr);
    return 1;
}

static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *s == '-' || *end || errno || v > max) {
        fprintf(stderr, "%s: '%s' is not a number from 0 to %llu\n", progname, s, (unsigned long long)max);
        return -1;
    }
    *out = v;
    return 0;
}

static brine_registry *load_formats(void)
{
    brine_error err;
    brine_error_clear(&err);
    brine_registry *formats = brine_registry_new(&err);
    if (!formats || brine_registry_load(formats, &err)) {
        failed("loading the format plugins", &err);
        brine_registry_free(formats);
        return NULL;
    }
    return formats;
}

/* The options of opts that fmt declares for encoding, so that one -O refs
 * serves every output whose format takes it. items has room for all. */
static brine_options options_for(const brine_plugin *fmt, const brine_options *opts, const char **items)
{
    brine_options out = {.max_depth = opts->max_depth, .count = 0, .items = items};
    for (size_t i = 0; i < opts->count; i++) {
        size_t name_len = strcspn(opts->items[i], "=");
        for (const brine_option_spec *o = fmt->options; o && o->name; o++)
            if ((o->flags & BRINE_OPT_ENCODE) && strlen(o->name) == name_len &&
                strncmp(o->name, opts->items[i], name_len) == 0)
                items[out.count++] = opts->items[i];
    }
    return out;
}

static int write_rows(const char *path, const dt_data *d, const size_t *rows, size_t count)
{
    FILE *fp = fopen(path, "w");
    if (!fp) {
        fprintf(stderr, "%s: %s: %s\n", progname, path, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        fputs(d->label[rows[i]], fp);
        for (size_t j = 0; j < d->features; j++)
            fprintf(fp, ",%.17g", d->x[rows[i] * d->features + j]);
        fputc('\n', fp);
    }
    if (fclose(fp) != 0) {
        fprintf(stderr, "%s: %s: %s\n", progname, path, strerror(errno));
        return -1;
    }
    return 0;
}

static int train(int argc, char **argv)
{
    const char *data_path = NULL, *test_rows = NULL;
    const char **outputs = calloc((size_t)argc, sizeof *outputs), **items = calloc((size_t)argc, sizeof *items);
    const char **filtered = calloc((size_t)argc, sizeof *filtered);
    size_t n_outputs = 0;
    brine_options opts = {.items = items};
    dt_params p = {.max_depth = 3, .min_samples_leaf = 5, .seed = 100, .test_percent = 30};
    int rc = 1;
    if (!outputs || !items || !filtered)
        goto done;
    for (int i = 0; i < argc; i++) {
        uint64_t u;
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int takes_value = !strcmp(arg, "-o") || !strcmp(arg, "-O") || !strcmp(arg, "--test-rows") ||
                          !strcmp(arg, "--max-depth") || !strcmp(arg, "--min-samples-leaf") || !strcmp(arg, "--seed");
        if (takes_value && !val) {
            fprintf(stderr, "%s: %s needs a value\n", progname, arg);
            goto done;
        }
        if (!strcmp(arg, "-o"))
            outputs[n_outputs++] = val;
        else if (!strcmp(arg, "-O"))
            items[opts.count++] = val;
        else if (!strcmp(arg, "--test-rows"))
            test_rows = val;
        else if (!strcmp(arg, "--max-depth") || !strcmp(arg, "--min-samples-leaf")) {
            if (parse_uint(val, !strcmp(arg, "--max-depth") ? 64 : UINT32_MAX, &u))
                goto done;
            if (!strcmp(arg, "--max-depth"))
                p.max_depth = (uint32_t)u;
            else
                p.min_samples_leaf = u ? (uint32_t)u : 1;
        } else if (!strcmp(arg, "--seed")) {
            if (parse_uint(val, UINT64_MAX, &p.seed))
                goto done;
        } else if (arg[0] == '-' && arg[1]) {
            fprintf(stderr, "%s: unknown option %s\n", progname, arg);
            goto done;
        } else if (!data_path) {
            data_path = arg;
            continue;
        } else {
            fprintf(stderr, "%s: train takes one data file\n", progname);
            goto done;
        }
        i++;
    }
    if (!data_path || !n_outputs) {
        usage(stderr);
        goto done;
    }

    char msg[512];
    dt_data d;
    FILE *fp = fopen(data_path, "r");
    if (!fp) {
        fprintf(stderr, "%s: %s: %s\n", progname, data_path, strerror(errno));
        goto done;
    }
    int read_rc = dt_data_read(fp, data_path, 0, 1, &d, msg, sizeof msg);
    fclose(fp);
    if (read_rc) {
        fprintf(stderr, "%s: %s\n", progname, msg);
        goto done;
    }
    size_t *order = malloc(d.rows * sizeof *order);
    size_t n_test = order ? dt_split(d.rows, p.seed, p.test_percent, order) : 0;
    dt_tree *t = order ? dt_fit(&d, order + n_test, d.rows - n_test, &p, msg, sizeof msg) : NULL;
    if (!t) {
        fprintf(stderr, "%s: %s\n", progname, order ? msg : "out of memory");
        goto free_data;
    }
    printf("read %zu rows from %s: %zu features, %zu classes (", d.rows, data_path, d.features, t->n_classes);
    for (size_t k = 0; k < t->n_classes; k++)
        printf("%s%s", k ? ", " : "", t->classes[k]);
    printf(")\nsplit with seed %llu: %zu rows to train, %zu to test\n", (unsigned long long)p.seed, d.rows - n_test,
           n_test);
    printf("fitted a tree of %zu nodes, depth %zu (gini, max depth %u, min %u rows per leaf)\n", t->n_nodes,
           dt_depth(t), p.max_depth, p.min_samples_leaf);
    size_t right = 0;
    for (size_t i = 0; i < n_test; i++)
        right += strcmp(t->classes[dt_predict(t, d.x + order[i] * d.features)], d.label[order[i]]) == 0;
    if (n_test)
        printf("test accuracy: %.2f%% (%zu of %zu)\n", 100.0 * (double)right / (double)n_test, right, n_test);
    if (test_rows && write_rows(test_rows, &d, order, n_test))
        goto free_tree;

    brine_registry *formats = load_formats();
    brine_models *models = formats ? brine_models_new(NULL) : NULL;
    brine_error err;
    brine_error_clear(&err);
    if (models && dt_register(models, &err) == BRINE_OK) {
        rc = 0;
        for (size_t i = 0; i < n_outputs && rc == 0; i++) {
            const brine_plugin *fmt = brine_registry_find_extension(formats, outputs[i]);
            brine_options these = fmt ? options_for(fmt, &opts, filtered) : opts;
            struct stat st;
            if (brine_model_save_file(models, formats, DT_TYPE_NAME, t, outputs[i], &these, &err)) {
                rc = failed(outputs[i], &err);
            } else if (stat(outputs[i], &st) == 0) {
                printf("saved %s (%s, %lld bytes)\n", outputs[i], fmt->name, (long long)st.st_size);
            }
        }
    } else if (models) {
        failed("registering the model type", &err);
    }
    brine_models_free(models);
    brine_registry_free(formats);
free_tree:
    dt_tree_free(t);
free_data:
    free(order);
    dt_data_free(&d);
done:
    free(outputs);
    free(items);
    free(filtered);
    return rc;
}

static int predict(int argc, char **argv)
{
    if (argc < 1 || argc > 2 || argv[0][0] == '-') {
        usage(stderr);
        return 1;
    }
    const char *model_path = argv[0], *csv = argc > 1 ? argv[1] : "-";
    brine_registry *formats = load_formats();
    brine_models *models = formats ? brine_models_new(NULL) : NULL;
    brine_loaded loaded = {0};
    brine_error err;
    brine_error_clear(&err);
    int rc = 1;
    if (!models)
        goto done;
    if (dt_register(models, &err)) {
        failed("registering the model type", &err);
        goto done;
    }
    /* Only example.DecisionTree is acceptable here: anything else in the
     * file is an error, and no other code runs to find out. */
    if (brine_model_load_file(models, formats, model_path, DT_TYPE_NAME, NULL, &loaded, &err)) {
        failed(model_path, &err);
        goto done;
    }
    const dt_tree *t = loaded.obj;
    FILE *fp = strcmp(csv, "-") == 0 ? stdin : fopen(csv, "r");
    if (!fp) {
        fprintf(stderr, "%s: %s: %s\n", progname, csv, strerror(errno));
        goto done;
    }
    char msg[512];
    dt_data d;
    int read_rc = dt_data_read(fp, fp == stdin ? "<stdin>" : csv, t->n_features, -1, &d, msg, sizeof msg);
    if (fp != stdin)
        fclose(fp);
    if (read_rc) {
        fprintf(stderr, "%s: %s\n", progname, msg);
        goto done;
    }
    size_t labelled = 0, right = 0;
    for (size_t i = 0; i < d.rows; i++) {
        const char *predicted = t->classes[dt_predict(t, d.x + i * d.features)];
        puts(predicted);
        if (d.label[i]) {
            labelled++;
            right += strcmp(predicted, d.label[i]) == 0;
        }
    }
    if (labelled)
        printf("accuracy: %.2f%% (%zu of %zu)\n", 100.0 * (double)right / (double)labelled, right, labelled);
    dt_data_free(&d);
    rc = fflush(stdout) == 0 ? 0 : 1;
done:
    brine_loaded_destroy(&loaded);
    brine_models_free(models);
    brine_registry_free(formats);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "train"))
        return train(argc - 2, argv + 2);
    if (!strcmp(argv[1], "predict"))
        return predict(argc - 2, argv + 2);
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "%s: unknown command '%s'\n", progname, argv[1]);
    usage(stderr);
    return 2;
}
