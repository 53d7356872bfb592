/* events.h: the part of the event contract (include/brine/plugin.h,
 * docs/plugins.md section 3) that concerns one event on its own, checked by
 * core wherever a plugin's events arrive: the builder (build.c) and the
 * streaming checker (codec.c). Both use these calls so that a decode and a
 * streamed conversion refuse the same streams with the same words. Rules
 * about the stream's shape (END, counts, a model's two children) are each
 * consumer's, since each keeps its own stack. */
#ifndef BRINE_EVENTS_H
#define BRINE_EVENTS_H

#include "brine/plugin.h"
#include "private/attrs.h"

/* The message buffer for brinep_event_fault. */
#define BRINEP_FAULT_TEXT 96

/* BRINE_OK when the content of ev keeps the contract, else BRINE_E_PLUGIN
 * with what is wrong in what ("a str event with invalid UTF-8 at byte 3 of
 * 5"): an unknown kind, a NULL pointer with a nonzero length, a str or a
 * model's name that is not UTF-8, a BIGINT that is not minimal or fits
 * INT/UINT. Other kinds cost one switch. */
int brinep_event_fault(const brine_event *ev, char *what, size_t cap);

/* Fills err with a contract fault found in the events of plugin `name`
 * (NULL: a producer core does not know, e.g. a program feeding a builder):
 * "the json decoder sent a str event with invalid UTF-8 at byte 3 of 5".
 * Returns BRINE_E_PLUGIN. */
int brinep_fault_error(brine_error *err, const char *name, const char *what);

/* Names the format whose decoder feeds builder (a brine_builder_new sink),
 * for its errors. */
void brinep_builder_producer(brine_sink *builder, const char *name);

#endif /* BRINE_EVENTS_H */
