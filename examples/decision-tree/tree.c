/* tree.c: reading CSV rows, the seeded train/test split, and CART: growing a
 * classification tree by Gini impurity, and predicting with it. Nothing here
 * knows about brine; state.c does the saving and loading. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"

/* ---- CSV ---------------------------------------------------------------- */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

static int parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int dt_data_read(FILE *fp, const char *name, size_t features, int labelled, dt_data *d, char *msg, size_t cap)
{
    memset(d, 0, sizeof *d);
    d->features = features;
    char *line = NULL, **fields = NULL;
    size_t line_cap = 0, field_cap = 0, row_cap = 0, lineno = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &line_cap, fp) != -1) {
        lineno++;
        char *text = trim(line);
        if (!*text)
            continue;
        size_t count = 0;
        for (char *p = text;; p++) {
            if (count == field_cap) {
                size_t grown = field_cap ? field_cap * 2 : 8;
                char **f = realloc(fields, grown * sizeof *f);
                if (!f) {
                    snprintf(msg, cap, "%s: out of memory", name);
                    rc = -1;
                    break;
                }
                fields = f;
                field_cap = grown;
            }
            fields[count++] = text;
            p = strchr(p, ',');
            if (!p)
                break;
            *p = '\0';
            text = p + 1;
        }
        if (rc)
            break;
        if (d->features == 0)
            d->features = labelled == 1 ? count - 1 : count;
        int has_label = labelled == 1 || (labelled == -1 && count == d->features + 1);
        if (count != d->features + (size_t)has_label || d->features == 0) {
            snprintf(msg, cap, "%s:%zu: expected %s%zu numbers, found %zu fields", name, lineno,
                     labelled == 1    ? "a class label and "
                     : labelled == -1 ? "an optional class label and "
                                      : "",
                     d->features, count);
            rc = -1;
            break;
        }
        if (d->rows == row_cap) {
            size_t grown = row_cap ? row_cap * 2 : 256;
            double *x = realloc(d->x, grown * d->features * sizeof *x);
            if (x)
                d->x = x;
            char **label = x ? realloc(d->label, grown * sizeof *label) : NULL;
            if (!label) {
                snprintf(msg, cap, "%s: out of memory", name);
                rc = -1;
                break;
            }
            d->label = label;
            row_cap = grown;
        }
        double *x = d->x + d->rows * d->features;
        for (size_t i = 0; i < d->features && rc == 0; i++) {
            char *field = trim(fields[i + (size_t)has_label]);
            if (parse_number(field, &x[i]) != 0) {
                snprintf(msg, cap, "%s:%zu: field %zu: '%s' is not a finite number", name, lineno,
                         i + 1 + (size_t)has_label, field);
                rc = -1;
            }
        }
        if (rc)
            break;
        d->label[d->rows] = NULL;
        if (has_label) {
            char *label = trim(fields[0]);
            if (!*label || !(d->label[d->rows] = strdup(label))) {
                snprintf(msg, cap, "%s:%zu: %s", name, lineno, *label ? "out of memory" : "empty class label");
                rc = -1;
                break;
            }
        }
        d->rows++;
    }
    if (rc == 0 && ferror(fp)) {
        snprintf(msg, cap, "%s: read error: %s", name, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && d->rows == 0) {
        snprintf(msg, cap, "%s: no rows", name);
        rc = -1;
    }
    free(line);
    free(fields);
    if (rc)
        dt_data_free(d);
    return rc;
}

void dt_data_free(dt_data *d)
{
    for (size_t i = 0; d->label && i < d->rows; i++)
        free(d->label[i]);
    free(d->label);
    free(d->x);
    memset(d, 0, sizeof *d);
}

/* ---- the split ------------------------------------------------------------ */

/* splitmix64 (Steele, Lea and Flood, 2014): a 64-bit state advanced by the
 * golden-ratio increment and mixed; the same numbers on every platform. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

size_t dt_split(size_t rows, uint64_t seed, uint32_t test_percent, size_t *order)
{
    uint64_t state = seed;
    for (size_t i = 0; i < rows; i++)
        order[i] = i;
    /* Fisher-Yates from the end; the modulo's bias is below 2^-54 here. */
    for (size_t i = rows; i > 1; i--) {
        size_t j = (size_t)(splitmix64(&state) % i);
        size_t tmp = order[i - 1];
        order[i - 1] = order[j];
        order[j] = tmp;
    }
    return (rows * test_percent + 99) / 100;
}

/* ---- the tree --------------------------------------------------------------- */

dt_tree *dt_tree_alloc(size_t n_features, size_t n_classes, size_t n_nodes)
{
    if (!n_classes || !n_nodes || n_nodes > SIZE_MAX / sizeof(uint64_t) / n_classes)
        return NULL;
    dt_tree *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->n_features = n_features;
    t->n_classes = n_classes;
    t->n_nodes = n_nodes;
    t->features = calloc(n_features ? n_features : 1, sizeof *t->features);
    t->classes = calloc(n_classes, sizeof *t->classes);
    t->feature = calloc(n_nodes, sizeof *t->feature);
    t->threshold = calloc(n_nodes, sizeof *t->threshold);
    t->left = calloc(n_nodes, sizeof *t->left);
    t->right = calloc(n_nodes, sizeof *t->right);
    t->counts = calloc(n_nodes * n_classes, sizeof *t->counts);
    if (!t->features || !t->classes || !t->feature || !t->threshold || !t->left || !t->right || !t->counts) {
        dt_tree_free(t);
        return NULL;
    }
    return t;
}

void dt_tree_free(void *tree)
{
    dt_tree *t = tree;
    if (!t)
        return;
    for (size_t i = 0; t->features && i < t->n_features; i++)
        free(t->features[i]);
    for (size_t i = 0; t->classes && i < t->n_classes; i++)
        free(t->classes[i]);
    free(t->features);
    free(t->classes);
    free(t->feature);
    free(t->threshold);
    free(t->left);
    free(t->right);
    free(t->counts);
    free(t);
}

size_t dt_class_index(const dt_tree *t, const char *label)
{
    for (size_t k = 0; k < t->n_classes; k++)
        if (strcmp(t->classes[k], label) == 0)
            return k;
    return SIZE_MAX;
}

size_t dt_predict(const dt_tree *t, const double *x)
{
    size_t node = 0;
    while (t->feature[node] != DT_LEAF)
        node = (size_t)(x[t->feature[node]] <= t->threshold[node] ? t->left[node] : t->right[node]);
    const uint64_t *c = t->counts + node * t->n_classes;
    size_t best = 0;
    for (size_t k = 1; k < t->n_classes; k++)
        if (c[k] > c[best])
            best = k;
    return best;
}

size_t dt_depth(const dt_tree *t)
{
    size_t *depth = calloc(t->n_nodes, sizeof *depth), deepest = 0;
    if (!depth)
        return 0;
    /* Children come after their parent, so one pass in index order works. */
    for (size_t i = 0; i < t->n_nodes; i++) {
        if (depth[i] > deepest)
            deepest = depth[i];
        if (t->feature[i] != DT_LEAF) {
            depth[t->left[i]] = depth[i] + 1;
            depth[t->right[i]] = depth[i] + 1;
        }
    }
    free(depth);
    return deepest;
}

/* ---- fitting ------------------------------------------------------------------ */

/* Split quality is compared exactly, in integers. With class counts c_k at
 * a node of n rows, n * Gini = n - sum(c_k^2) / n, so the split with the
 * lowest weighted Gini is the one with the highest
 *     S = sum(l_k^2) / n_l + sum(r_k^2) / n_r,
 * and it improves on the node when S > sum(c_k^2) / n. Fractions are
 * compared by cross-multiplying (128-bit where the compiler has it), so the
 * first best split found (features in order, thresholds ascending) wins
 * ties on every platform. */
#if defined(__SIZEOF_INT128__)
typedef unsigned __int128 wide;
#else
typedef long double wide;
#endif

typedef struct frac {
    uint64_t num, den;
} frac;

static int frac_greater(frac a, frac b)
{
    return (wide)a.num * b.den > (wide)b.num * a.den;
}

static uint64_t sum_squares(const uint64_t *c, size_t n)
{
    uint64_t s = 0;
    for (size_t k = 0; k < n; k++)
        s += c[k] * c[k];
    return s;
}

typedef struct pair {
    double value;
    size_t cls;
} pair;

static int pair_cmp(const void *a, const void *b)
{
    double x = ((const pair *)a)->value, y = ((const pair *)b)->value;
    return (x > y) - (x < y);
}

typedef struct work {
    size_t node, start, end, depth;
} work;

typedef struct fitter {
    const dt_data *d;
    const size_t *y; /* class per row of d */
    size_t *idx;     /* training rows, partitioned node by node */
    pair *pairs;
    uint64_t *left, *right; /* class counts on each side */
    dt_tree *t;
    const dt_params *p;
} fitter;

/* Finds the best split of idx[start, end) into *feature and *threshold;
 * returns 0 when no allowed split improves on the node. */
static int best_split(fitter *f, size_t start, size_t end, const uint64_t *counts, int64_t *feature, double *threshold)
{
    size_t n = end - start, classes = f->t->n_classes, min_leaf = f->p->min_samples_leaf;
    frac best = {sum_squares(counts, classes), n}; /* the node itself */
    int found = 0;
    for (size_t j = 0; j < f->d->features; j++) {
        for (size_t i = 0; i < n; i++) {
            size_t row = f->idx[start + i];
            f->pairs[i].value = f->d->x[row * f->d->features + j];
            f->pairs[i].cls = f->y[row];
        }
        qsort(f->pairs, n, sizeof *f->pairs, pair_cmp);
        memset(f->left, 0, classes * sizeof *f->left);
        memcpy(f->right, counts, classes * sizeof *f->right);
        for (size_t i = 0; i + 1 < n; i++) {
            f->left[f->pairs[i].cls]++;
            f->right[f->pairs[i].cls]--;
            size_t nl = i + 1, nr = n - nl;
            if (f->pairs[i].value == f->pairs[i + 1].value || nl < min_leaf || nr < min_leaf)
                continue;
            uint64_t a = sum_squares(f->left, classes), b = sum_squares(f->right, classes);
            frac s = {a * nr + b * nl, (uint64_t)nl * nr};
            if (frac_greater(s, best)) {
                best = s;
                found = 1;
                double lo = f->pairs[i].value, hi = f->pairs[i + 1].value, mid = lo + (hi - lo) / 2;
                *feature = (int64_t)j;
                *threshold = mid < hi ? mid : lo;
            }
        }
    }
    return found;
}

/* Moves the rows going left (x[feature] <= threshold) to the front of
 * idx[start, end); returns where the right ones begin. */
static size_t partition(fitter *f, size_t start, size_t end, int64_t feature, double threshold)
{
    size_t i = start, j = end;
    while (i < j) {
        if (f->d->x[f->idx[i] * f->d->features + (size_t)feature] <= threshold) {
            i++;
        } else {
            size_t tmp = f->idx[i];
            f->idx[i] = f->idx[--j];
            f->idx[j] = tmp;
        }
    }
    return i;
}

static int str_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted distinct labels of d, into t->classes; y gets each row's index. */
static int collect_classes(const dt_data *d, size_t *y, char ***classes, size_t *count)
{
    char **sorted = malloc(d->rows * sizeof *sorted);
    if (!sorted)
        return -1;
    memcpy(sorted, d->label, d->rows * sizeof *sorted);
    qsort(sorted, d->rows, sizeof *sorted, str_ptr_cmp);
    size_t n = 0;
    for (size_t i = 0; i < d->rows; i++)
        if (n == 0 || strcmp(sorted[n - 1], sorted[i]) != 0)
            sorted[n++] = sorted[i];
    for (size_t r = 0; r < d->rows; r++) {
        char **hit = bsearch(&d->label[r], sorted, n, sizeof *sorted, str_ptr_cmp);
        y[r] = (size_t)(hit - sorted);
    }
    *classes = sorted;
    *count = n;
    return 0;
}

static const char *const balance_features[] = {"left_weight", "left_distance", "right_weight", "right_distance"};

dt_tree *dt_fit(const dt_data *d, const size_t *rows, size_t count, const dt_params *p, char *msg, size_t cap)
{
    if (count == 0) {
        snprintf(msg, cap, "no rows to train on");
        return NULL;
    }
    for (size_t r = 0; r < d->rows; r++)
        if (!d->label[r]) {
            snprintf(msg, cap, "row %zu has no class label", r + 1);
            return NULL;
        }
    fitter f = {.d = d, .p = p};
    size_t *y = malloc(d->rows * sizeof *y), n_classes = 0;
    char **labels = NULL;
    work *stack = NULL;
    dt_tree *t = NULL;
    int ok = y && collect_classes(d, y, &labels, &n_classes) == 0;
    /* Every leaf holds at least one row, so a tree has at most 2 * count - 1
     * nodes: allocate that and report how many were used. */
    if (ok)
        ok = (t = dt_tree_alloc(d->features, n_classes, 2 * count - 1)) != NULL;
    if (ok) {
        f.y = y;
        f.t = t;
        f.idx = malloc(count * sizeof *f.idx);
        f.pairs = malloc(count * sizeof *f.pairs);
        f.left = malloc(n_classes * sizeof *f.left);
        f.right = malloc(n_classes * sizeof *f.right);
        stack = malloc((2 * count) * sizeof *stack);
        ok = f.idx && f.pairs && f.left && f.right && stack;
    }
    for (size_t k = 0; ok && k < n_classes; k++)
        ok = (t->classes[k] = strdup(labels[k])) != NULL;
    for (size_t j = 0; ok && j < d->features; j++) {
        char name[32];
        if (d->features == 4)
            snprintf(name, sizeof name, "%s", balance_features[j]);
        else
            snprintf(name, sizeof name, "x%zu", j);
        ok = (t->features[j] = strdup(name)) != NULL;
    }
    if (!ok) {
        snprintf(msg, cap, "out of memory");
    } else {
        memcpy(f.idx, rows, count * sizeof *f.idx);
        t->params = *p;
        t->train_rows = count;
        size_t top = 0, nodes = 1;
        stack[top++] = (work){0, 0, count, 0};
        /* Depth-first with an explicit stack; both children get their
         * numbers when their parent splits, left first. */
        while (top) {
            work w = stack[--top];
            uint64_t *c = t->counts + w.node * n_classes;
            for (size_t i = w.start; i < w.end; i++)
                c[y[f.idx[i]]]++;
            size_t n = w.end - w.start;
            int64_t feature = DT_LEAF;
            double threshold = 0;
            t->feature[w.node] = t->left[w.node] = t->right[w.node] = DT_LEAF;
            if (w.depth >= p->max_depth || n < 2 * (size_t)p->min_samples_leaf || sum_squares(c, n_classes) == n * n ||
                !best_split(&f, w.start, w.end, c, &feature, &threshold))
                continue;
            size_t mid = partition(&f, w.start, w.end, feature, threshold);
            t->feature[w.node] = feature;
            t->threshold[w.node] = threshold;
            t->left[w.node] = (int64_t)nodes;
            t->right[w.node] = (int64_t)nodes + 1;
            stack[top++] = (work){nodes + 1, mid, w.end, w.depth + 1};
            stack[top++] = (work){nodes, w.start, mid, w.depth + 1};
            nodes += 2;
        }
        t->n_nodes = nodes;
    }
    free(y);
    free(labels);
    free(stack);
    free(f.idx);
    free(f.pairs);
    free(f.left);
    free(f.right);
    if (!ok) {
        dt_tree_free(t);
        return NULL;
    }
    return t;
}
