/* predict.c: the sklearn-linear command. Loads a scikit-learn
 * LogisticRegression, or a Pipeline of StandardScalers ending in one, that
 * Python pickled (numpy arrays arrive as BRINE_ARRAY values; nothing in the
 * pickle is called) and predicts each CSV row as scikit-learn's predict
 * does: the decision function X @ coef_.T + intercept_, its argmax (its
 * sign for two classes). --proba follows predict_proba, which is where
 * multinomial and one-vs-rest differ: a softmax of the decision function,
 * or each class's logistic normalised over the classes. Loading, labels
 * and rows are shared with sklearn-tree (../sklearn-common). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sklearn-common/sk.h"

#define LOGISTIC "sklearn.linear_model._logistic.LogisticRegression"
#define PIPELINE "sklearn.pipeline.Pipeline"
#define SCALER "sklearn.preprocessing._data.StandardScaler"
#define MAX_FEATURES 100000
#define MAX_STEPS 64

typedef struct lin_scaler {
    double *mean;  /* n_features, or NULL (with_mean=False) */
    double *scale; /* n_features, or NULL (with_std=False) */
} lin_scaler;

typedef struct lin_model {
    size_t n_features, rows; /* rows of coef_: 1 for two classes, else one per class */
    lin_scaler scalers[MAX_STEPS];
    size_t n_scalers;
    double *coef;      /* rows x n_features */
    double *intercept; /* rows */
    int multinomial;   /* predict_proba's softmax; else one-vs-rest */
    sk_labels classes;
    double *scratch;  /* n_features + rows: one row's work, so predict allocates nothing */
    char version[32]; /* scikit-learn's, "" if not recorded */
} lin_model;

static void model_free(lin_model *m)
{
    for (size_t i = 0; i < m->n_scalers; i++) {
        free(m->scalers[i].mean);
        free(m->scalers[i].scale);
    }
    free(m->coef);
    free(m->intercept);
    free(m->scratch);
    sk_labels_free(&m->classes);
    memset(m, 0, sizeof *m);
}

static int str_is(const brine_value *root, const char *path, const char *s)
{
    const char *got;
    size_t len;
    return brine_get_str(root, path, &got, &len, NULL) == BRINE_OK && len == strlen(s) && memcmp(got, s, len) == 0;
}

/* A StandardScaler at base: X -= mean_ when with_mean, X /= scale_ when
 * with_std (sklearn's transform, in that order). */
static int scaler_read(const brine_value *root, const char *base, lin_model *m, brine_error *err)
{
    char p[BRINE_ERROR_PATH];
    int with_mean, with_std;
    int64_t n;
    const uint64_t shape[] = {m->n_features};
    lin_scaler *s = &m->scalers[m->n_scalers];
    if (brine_get_bool(root, sk_path(p, sizeof p, base, ".state.with_mean"), &with_mean, err) ||
        brine_get_bool(root, sk_path(p, sizeof p, base, ".state.with_std"), &with_std, err) ||
        sk_int_at(root, sk_path(p, sizeof p, base, ".state.n_features_in_"), (int64_t)m->n_features,
                  (int64_t)m->n_features, "as many features as the model", &n, err))
        return -1;
    m->n_scalers++;
    if (with_mean && sk_doubles_at(root, sk_path(p, sizeof p, base, ".state.mean_"), 1, shape, &s->mean, err))
        return -1;
    if (with_std && sk_doubles_at(root, sk_path(p, sizeof p, base, ".state.scale_"), 1, shape, &s->scale, err))
        return -1;
    return 0;
}

/* multi_class as scikit-learn 1.2's _check_multi_class resolves it. */
static int multi_class_read(const brine_value *root, const char *base, lin_model *m, brine_error *err)
{
    char p[BRINE_ERROR_PATH], s[BRINE_ERROR_PATH];
    sk_path(p, sizeof p, base, ".state.multi_class");
    if (brine_get_str(root, p, NULL, NULL, err))
        return -1;
    if (str_is(root, p, "multinomial"))
        m->multinomial = 1;
    else if (str_is(root, p, "ovr"))
        m->multinomial = 0;
    else if (str_is(root, p, "auto")) {
        sk_path(s, sizeof s, base, ".state.solver");
        if (brine_get_str(root, s, NULL, NULL, err))
            return -1;
        m->multinomial = !str_is(root, s, "liblinear") && m->classes.count > 2;
    } else
        return sk_fail(err, BRINE_E_UNSUPPORTED, p, "expected multi_class 'auto', 'ovr' or 'multinomial'");
    return 0;
}

/* A LogisticRegression at base. */
static int logistic_read(const brine_value *root, const char *base, lin_model *m, brine_error *err)
{
    char p[BRINE_ERROR_PATH];
    int64_t n;
    if (brine_get_model(root, base, LOGISTIC, NULL, err))
        return -1;
    if (sk_int_at(root, sk_path(p, sizeof p, base, ".state.n_features_in_"), 1, MAX_FEATURES, "the number of features",
                  &n, err))
        return -1;
    m->n_features = (size_t)n;
    if (sk_labels_read(root, sk_path(p, sizeof p, base, ".state.classes_"), &m->classes, err))
        return -1;
    if (m->classes.count < 2)
        return sk_fail(err, BRINE_E_CORRUPT, p, "expected two classes or more, found %zu", m->classes.count);
    m->rows = m->classes.count == 2 ? 1 : m->classes.count;
    const uint64_t coef[] = {m->rows, m->n_features}, intercept[] = {m->rows};
    if (sk_doubles_at(root, sk_path(p, sizeof p, base, ".state.coef_"), 2, coef, &m->coef, err) ||
        sk_doubles_at(root, sk_path(p, sizeof p, base, ".state.intercept_"), 1, intercept, &m->intercept, err))
        return -1;
    if (!(m->scratch = malloc((m->n_features + m->rows) * sizeof *m->scratch)))
        return sk_fail(err, BRINE_E_NOMEM, base, "out of memory");
    return multi_class_read(root, base, m, err);
}

/* A Pipeline: steps is a list of (name, estimator); the last is the
 * LogisticRegression, those before it StandardScalers or 'passthrough'
 * (None too), which change nothing. */
static int pipeline_read(const brine_value *root, lin_model *m, brine_error *err)
{
    brine_value *steps;
    char p[BRINE_ERROR_PATH], at[48];
    if (brine_get_list(root, "$.state.steps", &steps, err))
        return -1;
    size_t count = brine_seq_count(steps);
    if (count == 0 || count > MAX_STEPS)
        return sk_fail(err, BRINE_E_UNSUPPORTED, "$.state.steps", "expected 1 to %d steps, found %zu", MAX_STEPS,
                       count);
    snprintf(at, sizeof at, "$.state.steps[%zu][1]", count - 1);
    if (brine_get_tuple(root, "$.state.steps[-1]", NULL, err) || logistic_read(root, at, m, err))
        return -1;
    for (size_t i = 0; i + 1 < count; i++) {
        const brine_value *est;
        snprintf(p, sizeof p, "$.state.steps[%zu][1]", i);
        if (!(est = brine_path_get(root, p, err)))
            return -1;
        if (brine_type_of(est) == BRINE_NULL || str_is(root, p, "passthrough"))
            continue;
        if (brine_get_model(root, p, SCALER, NULL, err) || scaler_read(root, p, m, err))
            return -1;
    }
    return 0;
}

static int model_read(const brine_value *root, lin_model *m, brine_error *err)
{
    const char *version;
    size_t len;
    memset(m, 0, sizeof *m);
    if (brine_get_str(root, "$.state._sklearn_version", &version, &len, NULL) == BRINE_OK)
        snprintf(m->version, sizeof m->version, "%.*s", (int)(len < sizeof m->version ? len : sizeof m->version - 1),
                 version);
    if (brine_get_model(root, "$", PIPELINE, NULL, NULL) == BRINE_OK)
        return pipeline_read(root, m, err);
    if (brine_get_model(root, "$", LOGISTIC, NULL, NULL) != BRINE_OK) {
        char found[160];
        return sk_fail(err, 0, "$", "expected a LogisticRegression or a Pipeline ending in one, found %s",
                       sk_describe(root, found, sizeof found));
    }
    return logistic_read(root, "$", m, err);
}

static double expit(double d)
{
    return 1.0 / (1.0 + exp(-d));
}

/* scikit-learn's softmax: minus the row's maximum, exp, over the sum. */
static void softmax(double *v, size_t k)
{
    double max = v[0], sum = 0;
    for (size_t c = 1; c < k; c++)
        if (v[c] > max)
            max = v[c];
    for (size_t c = 0; c < k; c++)
        sum += v[c] = exp(v[c] - max);
    for (size_t c = 0; c < k; c++)
        v[c] /= sum;
}

static size_t linear_predict(const void *model, const double *x, double *proba)
{
    const lin_model *m = model;
    size_t nf = m->n_features, k = m->classes.count, best = 0;
    double *v = m->scratch, *d = proba ? proba : m->scratch + nf, scores[2];
    memcpy(v, x, nf * sizeof *v);
    for (size_t s = 0; s < m->n_scalers; s++)
        for (size_t f = 0; f < nf; f++) {
            if (m->scalers[s].mean)
                v[f] -= m->scalers[s].mean[f];
            if (m->scalers[s].scale)
                v[f] /= m->scalers[s].scale[f];
        }
    for (size_t r = 0; r < m->rows; r++) {
        double sum = 0;
        for (size_t f = 0; f < nf; f++)
            sum += v[f] * m->coef[r * nf + f];
        d[r] = sum + m->intercept[r];
        if (d[r] > d[best])
            best = r;
    }
    if (m->rows == 1) { /* two classes: the sign of the one decision value */
        best = d[0] > 0;
        if (proba) {
            scores[0] = -d[0];
            scores[1] = d[0];
            if (m->multinomial)
                softmax(scores, 2);
            else {
                scores[1] = expit(d[0]);
                scores[0] = 1 - scores[1];
            }
            memcpy(proba, scores, sizeof scores);
        }
    } else if (proba && m->multinomial)
        softmax(proba, k);
    else if (proba) { /* one-vs-rest: each class's logistic, normalised */
        double sum = 0;
        for (size_t c = 0; c < k; c++)
            sum += proba[c] = expit(proba[c]);
        for (size_t c = 0; c < k; c++)
            proba[c] /= sum;
    }
    return best;
}

static const char usage[] = "Usage: sklearn-linear [OPTIONS] MODEL [CSV]\n"
                            "\n"
                            "Loads MODEL, a scikit-learn LogisticRegression or a Pipeline of\n"
                            "StandardScalers ending in one, pickled by Python (or the same value in any\n"
                            "format brine reads), and prints the predicted class of each row of CSV\n"
                            "(default: standard input), one line a row.\n"
                            "\n" SK_CLI_OPTIONS;

int main(int argc, char **argv)
{
    sk_cli cli;
    int rc = sk_cli_parse(&cli, argc, argv, usage);
    if (rc >= 0)
        return rc;
    brine_error err;
    brine_error_clear(&err);
    brine_registry *formats = NULL;
    lin_model m = {0};
    brine_doc *doc = sk_load(cli.model, "sklearn", &formats, &err);
    if (!doc || model_read(brine_doc_root(doc), &m, &err))
        rc = sk_report(cli.prog, cli.model, &err);
    else {
        printf("%s: %sLogisticRegression (%s)%s%s: %zu features, classes ", cli.model,
               m.n_scalers ? "StandardScaler + " : "", m.multinomial ? "multinomial" : "one-vs-rest",
               m.version[0] ? " from scikit-learn " : "", m.version, m.n_features);
        sk_labels_print(&m.classes);
        putchar('\n');
        sk_predictor p = {m.n_features, &m.classes, &m, linear_predict};
        rc = sk_predict_rows(&p, &cli);
    }
    model_free(&m);
    brine_doc_free(doc);
    brine_registry_free(formats);
    return rc;
}
