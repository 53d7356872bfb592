/* recount.h: exact link counts and kinds bits for a graph made with the
 * value API and taken as a decode's root (recount.c, for build.c's
 * brine_direct_root). */
#ifndef BRINE_RECOUNT_H
#define BRINE_RECOUNT_H

#include "internal.h"

/* Checks that root nests at most max_depth containers deep (BRINE_E_DEPTH
 * with the walk's message for a decode and its path), then gives every
 * node root reaches its exact link count (slots of the reachable graph
 * that point at it; the root's own slot is not one) and sets doc's kinds
 * bits to those of the reachable graph. On failure some reachable nodes
 * keep a marker for a count: the document is only fit to be freed. */
int brinep_recount(brine_doc *doc, const brine_value *root, size_t max_depth, brine_error *err);

#endif /* BRINE_RECOUNT_H */
