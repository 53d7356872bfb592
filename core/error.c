/* error.c: status names and filling brine_error (first error wins). Paths
 * such as $.users[3].name are rendered in pathstep.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *const status_names[] = {
    [BRINE_OK] = "success",
    [BRINE_E_NOMEM] = "out of memory",
    [BRINE_E_INVALID] = "invalid argument",
    [BRINE_E_TYPE] = "wrong type",
    [BRINE_E_RANGE] = "out of range",
    [BRINE_E_UTF8] = "invalid UTF-8",
    [BRINE_E_DEPTH] = "maximum recursion depth exceeded",
    [BRINE_E_CYCLE] = "circular reference detected",
    [BRINE_E_SYNTAX] = "syntax error",
    [BRINE_E_TRUNCATED] = "unexpected end of input",
    [BRINE_E_CORRUPT] = "corrupt data",
    [BRINE_E_VERSION] = "unsupported version",
    [BRINE_E_UNSUPPORTED] = "value not supported by the format",
    [BRINE_E_IO] = "input/output error",
    [BRINE_E_PLUGIN] = "plugin error",
    [BRINE_E_NOTFOUND] = "not found",
    [BRINE_E_KEY] = "unhashable key",
    [BRINE_E_REF] = "bad reference",
    [BRINE_E_OPTION] = "unknown option",
    [BRINE_E_MODEL] = "model error",
};

const char *brine_strerror(int code)
{
    if (code >= 0 && (size_t)code < sizeof status_names / sizeof status_names[0] && status_names[code])
        return status_names[code];
    return "unknown error";
}

void brine_error_clear(brine_error *err)
{
    if (!err)
        return;
    err->code = BRINE_OK;
    err->offset = BRINE_NO_OFFSET;
    err->line = 0;
    err->column = 0;
    err->path[0] = '\0';
    err->message[0] = '\0';
}

static int error_vset(brine_error *err, int code, uint64_t offset, const char *fmt, va_list ap)
{
    if (!err || err->code != BRINE_OK)
        return code;
    brine_error_clear(err);
    err->code = code;
    err->offset = offset;
    if (fmt)
        vsnprintf(err->message, sizeof err->message, fmt, ap);
    else
        snprintf(err->message, sizeof err->message, "%s", brine_strerror(code));
    return code;
}

int brine_error_set(brine_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, code, BRINE_NO_OFFSET, fmt, ap);
    va_end(ap);
    return code;
}

int brine_error_set_at(brine_error *err, int code, uint64_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, code, offset, fmt, ap);
    va_end(ap);
    return code;
}

int brinep_nomem(brine_error *err)
{
    return brine_error_set(err, BRINE_E_NOMEM, "out of memory");
}

int brinep_depth_error(brine_error *err, size_t max_depth, const char *while_doing)
{
    return brine_error_set(err, BRINE_E_DEPTH, "maximum recursion depth exceeded while %s (limit %zu)", while_doing,
                           max_depth);
}
