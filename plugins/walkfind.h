/* walkfind.h: a walk that stops at the first event a test picks, shared by
 * the in-tree plugins; not installed.
 *
 * Writers that choose their output's form from brine_value_kinds (a
 * superset: a value folded away or replaced leaves its kind behind) check
 * with it whether the graph really holds what the kinds name, so that equal
 * graphs give equal bytes: json whether a container is really shared,
 * native whether an array is left. */
#ifndef BRINE_PLUGINS_WALKFIND_H
#define BRINE_PLUGINS_WALKFIND_H

#include <string.h>

#include <brine/plugin.h>

typedef struct brine_walkfind {
    brine_sink sink;
    int (*pick)(const brine_event *ev);
} brine_walkfind;

static inline int brine_walkfind_event(brine_sink *sink, const brine_event *ev)
{
    return ((const brine_walkfind *)sink)->pick(ev) ? BRINE_E_UNSUPPORTED : BRINE_OK;
}

static inline int brine_walkfind_finish(brine_sink *sink)
{
    (void)sink;
    return BRINE_OK;
}

/* Does the walk of v with opts and sink flags send an event that pick
 * picks? An error that stops the walk (the depth limit, out of memory)
 * also says yes: the caller's own walk meets it. */
static inline int brine_walk_finds(const brine_value *v, const brine_options *opts, unsigned flags,
                                   int (*pick)(const brine_event *ev))
{
    brine_error e;
    brine_walkfind w;
    memset(&w, 0, sizeof w);
    brine_error_clear(&e);
    w.sink.event = brine_walkfind_event;
    w.sink.finish = brine_walkfind_finish;
    w.sink.flags = flags;
    w.sink.err = &e;
    w.pick = pick;
    return brine_walk_options(v, &w.sink, opts, &e) != BRINE_OK;
}

#endif /* BRINE_PLUGINS_WALKFIND_H */
