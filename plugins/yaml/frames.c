/* frames.c: the yaml reader's and writer's stack of open containers, and
 * the error path rendered from it. Paths are rendered only on failure
 * (plugin.h, "Paths in errors"): while all goes well a frame costs a
 * counter and, in a dict, a copy of its last scalar key.
 */
#include <string.h>

#include "ym.h"

ym_frame *ym_push(ym_stack *st, uint8_t kind)
{
    if (st->depth == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        ym_frame *f = brine_realloc(st->f, cap * sizeof *f);
        if (!f)
            return NULL;
        memset(f + st->cap, 0, (cap - st->cap) * sizeof *f);
        st->f = f;
        st->cap = cap;
    }
    ym_frame *f = &st->f[st->depth++];
    char *keybuf = f->keybuf; /* a frame's key buffer is kept for reuse */
    size_t keycap = f->keycap;
    memset(f, 0, sizeof *f);
    f->keybuf = keybuf;
    f->keycap = keycap;
    f->kind = kind;
    f->expect = BRINE_COUNT_UNKNOWN;
    return f;
}

int ym_frame_set_key(ym_frame *f, const brine_event *key)
{
    f->key = *key;
    switch (key->kind) {
    case BRINE_EV_STR:
    case BRINE_EV_BYTES:
    case BRINE_EV_BIGINT:
        if (key->v.s.len > f->keycap) {
            char *b = brine_realloc(f->keybuf, key->v.s.len);
            if (!b) {
                f->key.kind = 0;
                return BRINE_E_NOMEM;
            }
            f->keybuf = b;
            f->keycap = key->v.s.len;
        }
        if (key->v.s.len)
            memcpy(f->keybuf, key->v.s.ptr, key->v.s.len);
        f->key.v.s.ptr = f->keybuf;
        return BRINE_OK;
    case BRINE_EV_NULL:
    case BRINE_EV_BOOL:
    case BRINE_EV_INT:
    case BRINE_EV_UINT:
    case BRINE_EV_FLOAT:
    case BRINE_EV_COMPLEX: return BRINE_OK;
    default: f->key.kind = 0; return BRINE_OK;
    }
}

void ym_stack_free(ym_stack *st)
{
    for (size_t i = 0; i < st->cap; i++)
        brine_free(st->f[i].keybuf);
    brine_free(st->f);
    memset(st, 0, sizeof *st);
}

void ym_render_path(const ym_stack *st, char *path, size_t cap)
{
    if (cap < 2)
        return;
    strcpy(path, "$");
    for (size_t i = 0; i < st->depth; i++) {
        const ym_frame *f = &st->f[i];
        if (!f->count)
            break; /* no child begun: the error is about this container */
        uint64_t child = f->count - 1;
        switch (f->kind) {
        case YF_SEQ:
        case YF_STREAM: brine_path_append_index(path, cap, child); break;
        case YF_MODEL: brine_path_append_name(path, cap, child == 0 ? "args" : "state"); break;
        case YF_MAP:
            if (child % 2 == 0)
                return; /* in a key: the path of the dict */
            brine_path_append_key(path, cap, f->key.kind ? &f->key : NULL);
            break;
        default: return;
        }
    }
}
