/* order.c: the sort_keys order of dict keys, used by the walker when an
 * encode asks for sorted keys (brine_options.sort_keys). str keys sort as
 * Python's sorted() sorts them, by code point, which for UTF-8 is byte
 * order. Keys of one kind sort as Python compares them. Python refuses to
 * compare a str with an int, but msgpack and pickle dicts mix key types
 * and sorted output must still be deterministic, so mixed keys sort by
 * kind first: None, bool, numbers (int and float together, by value),
 * complex, str, bytes, tuple. Ties that Python's == would call equal (1
 * and 1.0, 0.0 and -0.0, two NaNs) fall back to int before float and then
 * the float's bits, so the order is total and never depends on insertion.
 */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

enum { RANK_NULL, RANK_BOOL, RANK_NUMBER, RANK_COMPLEX, RANK_STR, RANK_BYTES, RANK_TUPLE, RANK_OTHER };

static int rank(const brine_value *v)
{
    switch (v->type) {
    case BRINE_NULL: return RANK_NULL;
    case BRINE_BOOL: return RANK_BOOL;
    case BRINE_INT:
    case BRINE_FLOAT: return RANK_NUMBER;
    case BRINE_COMPLEX: return RANK_COMPLEX;
    case BRINE_STR: return RANK_STR;
    case BRINE_BYTES: return RANK_BYTES;
    case BRINE_TUPLE: return RANK_TUPLE;
    default: return RANK_OTHER;
    }
}

static int cmp_bytes(const brine_value *a, const brine_value *b)
{
    size_t alen, blen;
    const char *ap = brinep_bytes_of(a, &alen), *bp = brinep_bytes_of(b, &blen);
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(ap, bp, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

/* A big int (one that fits neither int64 nor uint64) against another int:
 * its sign decides against a small one; two of one sign compare by their
 * minimal two's-complement length, then bytes from the top (unsigned
 * comparison of equal-length two's complement orders both signs right). */
static int big_sign(const brine_value *v)
{
    return (v->as.blob->data[v->as.blob->len - 1] & 0x80) ? -1 : 1;
}

static int cmp_ints(const brine_value *a, const brine_value *b)
{
    if (a->sub == BRINEP_INT_BIG || b->sub == BRINEP_INT_BIG) {
        if (a->sub != BRINEP_INT_BIG)
            return -big_sign(b);
        if (b->sub != BRINEP_INT_BIG)
            return big_sign(a);
        int sa = big_sign(a), sb = big_sign(b);
        if (sa != sb)
            return sa < sb ? -1 : 1;
        const brinep_blob *x = a->as.blob, *y = b->as.blob;
        if (x->len != y->len)
            return (x->len < y->len) == (sa > 0) ? -1 : 1;
        for (size_t i = x->len; i-- > 0;)
            if (x->data[i] != y->data[i])
                return (unsigned char)x->data[i] < (unsigned char)y->data[i] ? -1 : 1;
        return 0;
    }
    int neg_a = a->sub == BRINEP_INT_I64 && a->as.i < 0, neg_b = b->sub == BRINEP_INT_I64 && b->as.i < 0;
    if (neg_a != neg_b)
        return neg_a ? -1 : 1;
    if (neg_a)
        return a->as.i < b->as.i ? -1 : a->as.i > b->as.i;
    return a->as.u < b->as.u ? -1 : a->as.u > b->as.u; /* both >= 0: the same bits as uint64 */
}

/* An int against a finite or infinite double, exactly for int64 and
 * uint64 (the double's integral part is compared as an integer); a big
 * int is compared through its sign and, within range, its nearest double. */
static int cmp_int_float(const brine_value *a, double f)
{
    if (a->sub == BRINEP_INT_BIG) {
        double d = 0, scale = 1;
        const brinep_blob *x = a->as.blob;
        for (size_t i = 0; i < x->len; i++, scale *= 256)
            d += (double)(unsigned char)x->data[i] * scale;
        if (big_sign(a) < 0)
            d -= scale;
        return d < f ? -1 : d > f;
    }
    if (f >= 18446744073709551616.0)
        return -1;
    if (f < -9223372036854775808.0)
        return 1;
    double t = trunc(f);
    if (a->sub == BRINEP_INT_U64 || (a->sub == BRINEP_INT_I64 && a->as.i >= 0)) {
        if (t < 0)
            return 1;
        uint64_t u = (uint64_t)t;
        if (a->as.u != u)
            return a->as.u < u ? -1 : 1;
    } else {
        if (t >= 9223372036854775808.0)
            return -1;
        int64_t i = (int64_t)t;
        if (a->as.i != i)
            return a->as.i < i ? -1 : 1;
    }
    return f > t ? -1 : f < t; /* the fraction decides */
}

static uint64_t float_bits(double f)
{
    uint64_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* Floats by value; NaNs after every number; then by bits (-0.0 before 0.0). */
static int cmp_floats(double a, double b)
{
    int na = isnan(a), nb = isnan(b);
    if (na != nb)
        return na ? 1 : -1;
    if (!na && a != b)
        return a < b ? -1 : 1;
    if (!na && a == 0 && signbit(a) != signbit(b))
        return signbit(a) ? -1 : 1;
    uint64_t x = float_bits(a), y = float_bits(b);
    return x < y ? -1 : x > y;
}

static int cmp_numbers(const brine_value *a, const brine_value *b)
{
    if (a->type == BRINE_INT && b->type == BRINE_INT)
        return cmp_ints(a, b);
    if (a->type == BRINE_FLOAT && b->type == BRINE_FLOAT)
        return cmp_floats(a->as.f, b->as.f);
    const brine_value *i = a->type == BRINE_INT ? a : b;
    double f = a->type == BRINE_FLOAT ? a->as.f : b->as.f;
    int c = isnan(f) ? -1 : cmp_int_float(i, f);
    if (c == 0)
        c = -1; /* equal values: the int first */
    return i == a ? c : -c;
}

/* Scalars of one rank (tuples are handled by the caller). */
static int cmp_scalars(const brine_value *a, const brine_value *b)
{
    switch (rank(a)) {
    case RANK_BOOL: return (a->as.b != 0) - (b->as.b != 0);
    case RANK_NUMBER: return cmp_numbers(a, b);
    case RANK_COMPLEX: {
        int c = cmp_floats(a->as.cx->re, b->as.cx->re);
        return c ? c : cmp_floats(a->as.cx->im, b->as.cx->im);
    }
    case RANK_STR:
    case RANK_BYTES: return cmp_bytes(a, b);
    default: return 0;
    }
}

/* Tuples compare element by element, like Python's, with an explicit
 * stack (a key may nest as deep as the document allows). The stack lives
 * on the C stack up to a depth that real keys never reach; beyond it on
 * the heap, and if that fails the keys compare equal (qsort still ends). */
typedef struct tuple_pos {
    const brinep_seq *a, *b;
    size_t i;
} tuple_pos;

int brinep_key_compare(const brine_value *a, const brine_value *b)
{
    tuple_pos local[32], *stack = local;
    size_t depth = 0, cap = sizeof local / sizeof local[0];
    int c = 0;
    for (;;) {
        int ra = rank(a), rb = rank(b);
        if (ra != rb) {
            c = ra < rb ? -1 : 1;
            goto done;
        }
        if (ra == RANK_TUPLE) {
            if (depth == cap) {
                tuple_pos *grown = brine_malloc(2 * cap * sizeof *grown);
                if (!grown)
                    goto done;
                memcpy(grown, stack, depth * sizeof *grown);
                if (stack != local)
                    brine_free(stack);
                stack = grown;
                cap *= 2;
            }
            stack[depth++] = (tuple_pos){a->as.seq, b->as.seq, 0};
        } else if ((c = cmp_scalars(a, b)) != 0) {
            goto done;
        }
        /* The next pair of elements, closing exhausted tuples; equal to
         * the end when none is left. */
        for (;;) {
            if (!depth)
                goto done;
            tuple_pos *t = &stack[depth - 1];
            if (t->i < t->a->count && t->i < t->b->count) {
                a = &t->a->items[t->i];
                b = &t->b->items[t->i];
                t->i++;
                break;
            }
            if (t->a->count != t->b->count) {
                c = t->a->count < t->b->count ? -1 : 1;
                goto done;
            }
            depth--;
        }
    }
done:
    if (stack != local)
        brine_free(stack);
    return c;
}

static int entry_compare(const void *x, const void *y)
{
    const brinep_entry *a = *(const brinep_entry *const *)x, *b = *(const brinep_entry *const *)y;
    int c = brinep_key_compare(&a->key, &b->key);
    /* Distinct keys never compare equal; keep insertion order if they do. */
    return c ? c : a < b ? -1 : a > b;
}

size_t brinep_dict_order(const brinep_dict *d, const brinep_entry **order)
{
    size_t n = 0;
    for (size_t i = 0; i < d->used; i++)
        if (d->entries[i].key.type != BRINEP_DELETED)
            order[n++] = &d->entries[i];
    qsort(order, n, sizeof *order, entry_compare);
    return n;
}
