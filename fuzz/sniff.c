/* sniff.c: the libFuzzer harness for format sniffing. brine_registry_sniff
 * must pick a format whose sniff function is the most confident about the
 * bytes (or none when all say 0), every sniff must stay within 0..100, and
 * no sniff may read past the length it is given: each prefix is passed in a
 * buffer of exactly its size so that ASan sees any overread. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The longest prefix tried: sniffers look at the first bytes only. */
#define SNIFF_PREFIXES 64

static void check(const brine_registry *reg, const unsigned char *head, size_t len)
{
    const brine_plugin *best = brine_registry_sniff(reg, head, len);
    int top = 0, best_score = -1;
    for (size_t i = 0; i < brine_registry_count(reg); i++) {
        const brine_plugin *p = brine_registry_get(reg, i);
        if (!p->sniff || !(p->caps & BRINE_CAP_DECODE))
            continue;
        int score = p->sniff(head, len);
        if (score < 0 || score > 100)
            FZ_FAIL("%s sniffed %zu bytes with confidence %d", p->name, len, score);
        if (score > top)
            top = score;
        if (p == best)
            best_score = score;
    }
    if (best ? best_score != top || top == 0 : top != 0)
        FZ_FAIL("sniffing %zu bytes chose %s (%d) while the best confidence was %d", len, best ? best->name : "none",
                best_score, top);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const brine_registry *reg = fz_registry();
    check(reg, data, size);
    for (size_t len = 0; len < size && len < SNIFF_PREFIXES; len++) {
        unsigned char *head = malloc(len ? len : 1);
        if (!head)
            FZ_FAIL("out of memory");
        memcpy(head, data, len);
        check(reg, head, len);
        free(head);
    }
    return 0;
}
