/* events.c: checks of one event's content against the event contract (see
 * events.h). Only a STR event, a model's name and a BIGINT cost more than
 * a switch: their bytes are checked once here, in core, whichever plugin
 * sent them, because an encoder writes what it is given and a file with
 * invalid UTF-8 or a non-canonical integer is one brine refuses to read. */
#include <stdio.h>

#include "internal.h"
#include "events.h"
#include "dtype.h"

static int null_bytes(const brine_event *ev, const char *kind, char *what, size_t cap)
{
    snprintf(what, cap, "a %s event with a NULL pointer and length %zu", kind, ev->v.s.len);
    return BRINE_E_PLUGIN;
}

static int utf8_fault(const brine_event *ev, const char *kind, char *what, size_t cap)
{
    if (!ev->v.s.ptr && ev->v.s.len)
        return null_bytes(ev, kind, what, cap);
    size_t bad = brine_utf8_check(ev->v.s.ptr, ev->v.s.len);
    if (bad == ev->v.s.len)
        return BRINE_OK;
    snprintf(what, cap, "a %s event with invalid UTF-8 at byte %zu of %zu", kind, bad, ev->v.s.len);
    return BRINE_E_PLUGIN;
}

/* The contract's BIGINT is an int outside int64 and uint64 in minimal
 * two's-complement little-endian bytes: at least 9 bytes, a last byte that
 * is not a sign extension of the one before, and not 9 bytes ending in 00
 * (a value below 2^64, a UINT). Each int then has one event, so encoders
 * write canonical bytes and dict keys compare by their bytes. */
static int bigint_fault(const brine_event *ev, char *what, size_t cap)
{
    const unsigned char *p = (const unsigned char *)ev->v.s.ptr;
    size_t len = ev->v.s.len;
    if (!p && len)
        return null_bytes(ev, "bigint", what, cap);
    if (len < 9 || (len == 9 && p[8] == 0x00)) {
        snprintf(what, cap, "a bigint event of %zu bytes whose value fits an INT or UINT event", len);
        return BRINE_E_PLUGIN;
    }
    if ((p[len - 1] == 0x00 && !(p[len - 2] & 0x80)) || (p[len - 1] == 0xff && (p[len - 2] & 0x80))) {
        snprintf(what, cap, "a bigint event of %zu bytes that is not minimal (its last byte only extends the sign)",
                 len);
        return BRINE_E_PLUGIN;
    }
    return BRINE_OK;
}

int brinep_event_fault(const brine_event *ev, char *what, size_t cap)
{
    switch (ev->kind) {
    case BRINE_EV_NULL:
    case BRINE_EV_BOOL:
    case BRINE_EV_INT:
    case BRINE_EV_UINT:
    case BRINE_EV_FLOAT:
    case BRINE_EV_COMPLEX:
    case BRINE_EV_LIST:
    case BRINE_EV_TUPLE:
    case BRINE_EV_DICT:
    case BRINE_EV_END:
    case BRINE_EV_REF: return BRINE_OK;
    case BRINE_EV_STR: return utf8_fault(ev, "str", what, cap);
    case BRINE_EV_MODEL: return utf8_fault(ev, "model", what, cap);
    case BRINE_EV_BYTES: return !ev->v.s.ptr && ev->v.s.len ? null_bytes(ev, "bytes", what, cap) : BRINE_OK;
    case BRINE_EV_BIGINT: return bigint_fault(ev, what, cap);
    case BRINE_EV_ARRAY: return brinep_array_header_fault(ev->v.array, what, cap);
    }
    snprintf(what, cap, "an event of unknown kind %d", (int)ev->kind);
    return BRINE_E_PLUGIN;
}

int brinep_fault_error(brine_error *err, const char *name, const char *what)
{
    if (name)
        return brine_error_set(err, BRINE_E_PLUGIN, "the %s decoder sent %s", name, what);
    return brine_error_set(err, BRINE_E_PLUGIN, "the event stream holds %s", what);
}
