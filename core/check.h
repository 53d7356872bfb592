/* check.h: the checks that the checked getters (check.c) and brine_unpack
 * (pack.c) share, so that both word a wrong type, a missing key and an int
 * out of range the same way: "expected int, found str at $.users[0].id".
 * Each fills err (first error wins) and returns a brine_status; `at` is the
 * path of v as the message shows it. */
#ifndef BRINE_CHECK_H
#define BRINE_CHECK_H

#include "internal.h"

int brinep_want_type(const brine_value *v, brine_type want, const char *at, brine_error *err);
int brinep_want_i64(const brine_value *v, int64_t *out, const char *at, brine_error *err);
int brinep_want_u64(const brine_value *v, uint64_t *out, const char *at, brine_error *err);
int brinep_want_double(const brine_value *v, double *out, const char *at, brine_error *err);
int brinep_want_complex(const brine_value *v, double *re, double *im, const char *at, brine_error *err);
int brinep_want_model(const brine_value *v, const char *name, const char *at, brine_error *err);

/* Sets err->path to at (cut to fit) when err holds code and no path yet. */
void brinep_error_path(brine_error *err, const char *at);

#endif /* BRINE_CHECK_H */
