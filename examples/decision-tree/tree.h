/* tree.h: a CART decision tree classifier, the CSV rows it learns from, and
 * its brine model type (example.DecisionTree). tree.c reads data, splits it
 * and fits the tree; state.c turns a tree into a brine state and back;
 * main.c is the command line. */
#ifndef DT_TREE_H
#define DT_TREE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <brine/model.h>

#define DT_TYPE_NAME "example.DecisionTree"
#define DT_VERSION 1
#define DT_LEAF (-1)

/* Rows of a CSV file: an optional class label, then numeric features. */
typedef struct dt_data {
    size_t rows;
    size_t features;
    double *x;    /* rows * features values, row after row */
    char **label; /* per row: the class label, or NULL when unlabelled */
} dt_data;

/* Reads comma-separated rows from fp (empty lines skipped). A row has
 * `features` numbers, optionally preceded by a label; labelled 1: a label
 * first is required, 0: it is not allowed, -1: each row may or may not have
 * one. features 0 means whatever the first row has. Returns 0, or -1 with
 * a message naming name and the line in msg. */
int dt_data_read(FILE *fp, const char *name, size_t features, int labelled, dt_data *d, char *msg, size_t cap);
void dt_data_free(dt_data *d);

/* The training parameters, saved with the tree. */
typedef struct dt_params {
    uint32_t max_depth;        /* a root-only tree has depth 0 */
    uint32_t min_samples_leaf; /* no split leaves fewer training rows on a side */
    uint64_t seed;             /* of the train/test split */
    uint32_t test_percent;     /* share of the rows held out for testing */
} dt_params;

/* The tree as parallel node arrays (like scikit-learn's tree_): node 0 is
 * the root; an internal node sends a row left when x[feature] <= threshold.
 * Children always have larger indices than their parent, so walking down
 * ends after at most n_nodes steps whatever a file says. */
typedef struct dt_tree {
    size_t n_features;
    size_t n_classes;
    size_t n_nodes;
    char **features;   /* n_features names */
    char **classes;    /* n_classes labels, sorted */
    int64_t *feature;  /* per node: the feature tested, DT_LEAF for a leaf */
    double *threshold; /* per node (unused for leaves) */
    int64_t *left;     /* per node: child index, DT_LEAF for a leaf */
    int64_t *right;
    uint64_t *counts; /* n_nodes * n_classes: training rows per class at each node */
    dt_params params;
    uint64_t train_rows;
} dt_tree;

/* Splits row indices 0..rows-1: shuffles them with a Fisher-Yates shuffle
 * driven by splitmix64(seed), then takes the first ceil(rows *
 * test_percent / 100) as the test set and the rest as the training set.
 * Writes the permutation to order (rows entries) and returns the test
 * count. */
size_t dt_split(size_t rows, uint64_t seed, uint32_t test_percent, size_t *order);

/* Fits a CART classifier (Gini impurity) on the given rows of d, which must
 * all be labelled. NULL when out of memory. */
dt_tree *dt_fit(const dt_data *d, const size_t *rows, size_t count, const dt_params *p, char *msg, size_t cap);

/* The class index predicted for the features x: the majority class of the
 * leaf x reaches (the first in label order on a tie). */
size_t dt_predict(const dt_tree *t, const double *x);

/* The depth of the tree (0 for a single leaf). */
size_t dt_depth(const dt_tree *t);

/* Index of label in t->classes, or SIZE_MAX. */
size_t dt_class_index(const dt_tree *t, const char *label);

/* A tree with room for n_nodes nodes, every array zeroed; NULL when out of
 * memory or the sizes overflow. */
dt_tree *dt_tree_alloc(size_t n_features, size_t n_classes, size_t n_nodes);
void dt_tree_free(void *tree);

/* The model type: registers example.DecisionTree (state.c). */
int dt_register(brine_models *models, brine_error *err);

#endif /* DT_TREE_H */
