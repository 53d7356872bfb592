/* error.c: status names, filling brine_error (first error wins), and the
 * rendering of paths such as $.users[3].name that point at a failing value. */
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

/* Appends text to path if it fits whole; a path that no longer fits ends in
 * "..." so a reader knows it was cut. */
static void path_append(char *path, size_t cap, const char *text, size_t len)
{
    size_t used = strlen(path);
    /* Keep room for "..." so a cut path always says it was cut. */
    if (used + len + 4 <= cap) {
        memcpy(path + used, text, len);
        path[used + len] = '\0';
    } else if (used + 4 <= cap && (used < 3 || strcmp(path + used - 3, "...") != 0)) {
        memcpy(path + used, "...", 4);
    }
}

void brinep_path_index(char *path, size_t cap, size_t index)
{
    char step[32];
    int n = snprintf(step, sizeof step, "[%zu]", index);
    path_append(path, cap, step, (size_t)n);
}

static int is_identifier(const char *s, size_t len)
{
    if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

void brinep_path_unnamed(char *path, size_t cap)
{
    path_append(path, cap, "[...]", 5);
}

void brinep_path_str_key(char *path, size_t cap, const char *s, size_t len)
{
    char step[96];
    size_t n = 0;
    if (is_identifier(s, len)) {
        step[n++] = '.';
        if (len > sizeof step - 2) {
            path_append(path, cap, step, n);
            path_append(path, cap, s, len);
            return;
        }
        memcpy(step + n, s, len);
        n += len;
    } else {
        /* ["key"] with quotes and backslashes escaped, cut at 60 bytes. */
        step[n++] = '[';
        step[n++] = '"';
        /* Cut between characters, never inside one (an error message stays UTF-8). */
        size_t i;
        for (i = 0; i < len && (n < 70 || ((unsigned char)s[i] & 0xc0) == 0x80); i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '"' || c == '\\')
                step[n++] = '\\';
            step[n++] = c < 0x20 ? '?' : (char)c;
        }
        if (i < len)
            n += (size_t)snprintf(step + n, sizeof step - n, "...");
        step[n++] = '"';
        step[n++] = ']';
    }
    path_append(path, cap, step, n);
}

void brinep_path_key(char *path, size_t cap, const brine_value *key)
{
    if (key->type == BRINE_STR) {
        brinep_path_str_key(path, cap, key->as.blob->data, key->as.blob->len);
        return;
    }
    /* Other keys are rendered as the printer renders them. */
    char step[96], repr[64];
    size_t need = brine_value_repr(key, repr, sizeof repr, 4, NULL);
    if (need == (size_t)-1)
        snprintf(repr, sizeof repr, "<%s>", brine_type_name((brine_type)key->type));
    else if (need >= sizeof repr)
        memcpy(repr + sizeof repr - 4, "...", 4);
    int n = snprintf(step, sizeof step, "[%s]", repr);
    path_append(path, cap, step, (size_t)n);
}
