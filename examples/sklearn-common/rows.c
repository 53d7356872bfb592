/* rows.c: the scikit-learn examples' data side. The command line, the CSV
 * rows as Python's csv module writes them (RFC 4180 quoting, one record a
 * line; the label first or last), and the loop that predicts each row,
 * prints the label and compares it with the expected one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sk.h"

int sk_cli_parse(sk_cli *cli, int argc, char **argv, const char *usage)
{
    const char *pos[2];
    size_t npos = 0;
    int opts = 1;
    const char *slash = strrchr(argv[0], '/');
    memset(cli, 0, sizeof *cli);
    cli->prog = slash ? slash + 1 : argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (opts && strcmp(a, "--") == 0)
            opts = 0;
        else if (opts && strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (opts && strcmp(a, "--header") == 0)
            cli->header = 1;
        else if (opts && strcmp(a, "--label-first") == 0)
            cli->label = 1;
        else if (opts && strcmp(a, "--label-last") == 0)
            cli->label = 2;
        else if (opts && strcmp(a, "--expect") == 0)
            cli->expect = 1;
        else if (opts && strcmp(a, "--proba") == 0)
            cli->proba = 1;
        else if (opts && a[0] == '-' && a[1]) {
            fprintf(stderr, "%s: unknown option '%s'\n%s", cli->prog, a, usage);
            return 2;
        } else if (npos < 2)
            pos[npos++] = a;
        else {
            fprintf(stderr, "%s: too many arguments\n%s", cli->prog, usage);
            return 2;
        }
    }
    if (npos == 0) {
        fprintf(stderr, "%s: no model given\n%s", cli->prog, usage);
        return 2;
    }
    if (cli->expect && !cli->label)
        cli->label = 2;
    cli->model = pos[0];
    cli->csv = npos == 2 && strcmp(pos[1], "-") != 0 ? pos[1] : NULL;
    return -1;
}

/* Splits one CSV record in place into fields (up to cap; returns how many
 * there are). A field in double quotes may hold commas and "" for a quote;
 * returns (size_t)-1 for a quote that does not close on this line or stray
 * text after a closing quote. */
static size_t split(char *line, char **fields, size_t cap)
{
    size_t n = 0;
    char *p = line;
    line[strcspn(line, "\r\n")] = 0;
    for (;;) {
        char *start = p, *o = p;
        if (*p == '"') {
            for (p++;; p++) {
                if (!*p)
                    return (size_t)-1;
                if (*p == '"') {
                    if (p[1] != '"')
                        break;
                    p++;
                }
                *o++ = *p;
            }
            p++;
            if (*p && *p != ',')
                return (size_t)-1;
        } else {
            p += strcspn(p, ",");
            o = p;
        }
        int last = !*p;
        *o = 0;
        if (n < cap)
            fields[n] = start;
        n++;
        if (last)
            return n;
        p++;
    }
}

/* A feature as numpy reads it from text: a whole field that strtod takes
 * (ints, floats, nan, inf). */
static int feature(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return !*s || *end || end == s ? -1 : 0;
}

int sk_predict_rows(const sk_predictor *p, const sk_cli *cli)
{
    size_t nf = p->n_features, k = p->classes->count;
    size_t want = nf + (cli->label ? 1 : 0), label_at = cli->label == 1 ? 0 : nf, first = cli->label == 1;
    size_t lineno = 0, rows = 0, right = 0, line_cap = 0;
    const char *name = cli->csv ? cli->csv : "<stdin>";
    char **fields = malloc(want * sizeof *fields), *line = NULL;
    double *x = malloc(nf * sizeof *x), *proba = cli->proba ? malloc(k * sizeof *proba) : NULL;
    FILE *fp = cli->csv ? fopen(cli->csv, "r") : stdin;
    int rc = 1;
    if (!fp) {
        fprintf(stderr, "%s: %s: %s\n", cli->prog, name, strerror(errno));
        goto done;
    }
    if (!fields || !x || (cli->proba && !proba)) {
        fprintf(stderr, "%s: out of memory\n", cli->prog);
        goto done;
    }
    while (getline(&line, &line_cap, fp) > 0) {
        if (++lineno == 1 && cli->header)
            continue;
        size_t n = split(line, fields, want);
        if (n == 1 && !fields[0][0])
            continue;
        if (n == (size_t)-1) {
            fprintf(stderr, "%s: %s:%zu: a quoted field does not end before the line does\n", cli->prog, name, lineno);
            goto done;
        }
        if (n != want) {
            fprintf(stderr, "%s: %s:%zu: expected %zu fields (%zu features%s), found %zu\n", cli->prog, name, lineno,
                    want, nf, cli->label ? " and the class" : "", n);
            goto done;
        }
        for (size_t j = 0; j < nf; j++)
            if (feature(fields[first + j], &x[j])) {
                fprintf(stderr, "%s: %s:%zu: field %zu is not a number\n", cli->prog, name, lineno, first + j + 1);
                goto done;
            }
        size_t c = p->predict(p->model, x, proba);
        fwrite(p->classes->text[c], 1, p->classes->len[c], stdout);
        for (size_t j = 0; proba && j < k; j++)
            printf(",%.17g", proba[j]);
        putchar('\n');
        rows++;
        if (cli->expect && strlen(fields[label_at]) == p->classes->len[c] &&
            memcmp(fields[label_at], p->classes->text[c], p->classes->len[c]) == 0)
            right++;
    }
    if (ferror(fp)) {
        fprintf(stderr, "%s: %s: %s\n", cli->prog, name, strerror(errno));
        goto done;
    }
    if (cli->expect)
        printf("accuracy: %.2f%% (%zu of %zu)\n", rows ? 100.0 * (double)right / (double)rows : 0.0, right, rows);
    rc = 0;
done:
    if (fp && fp != stdin)
        fclose(fp);
    free(line);
    free(fields);
    free(x);
    free(proba);
    return rc;
}
