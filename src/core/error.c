/*
 * Error reporting, after libgit2: every fallible call returns a negative
 * NPS_E* code and leaves a one-line message in thread-local storage, so a
 * command-line client (or any caller) can say exactly what went wrong without
 * the library ever writing to stderr itself. Input errors carry "file:line: "
 * so that a chemist can open the offending record.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[1024];

const char *nps_strerror(int code)
{
    switch (code) {
    case NPS_OK:
        return "success";
    case NPS_ENOMEM:
        return "out of memory";
    case NPS_EIO:
        return "input/output error";
    case NPS_EFORMAT:
        return "malformed input";
    case NPS_EINVAL:
        return "invalid argument";
    case NPS_ENOTFOUND:
        return "not found";
    case NPS_ELIBRARY:
        return "invalid or corrupt library file";
    case NPS_EUNSUPPORTED:
        return "unsupported format";
    case NPS_ERANGE:
        return "out of range";
    default:
        return "unknown error";
    }
}

const char *nps_error_last(void)
{
    return last_error;
}

void nps_error_clear(void)
{
    last_error[0] = '\0';
}

/*
 * The message is formatted into a local buffer and then copied: a caller may
 * pass the current message itself as an argument (to add context:
 * nps_err(code, "%s: %s", path, nps_error_last())), and formatting straight
 * into the buffer being read would overwrite the argument as it is read.
 */
int nps_err(int code, const char *fmt, ...)
{
    char msg[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    /* clang-analyzer loses track of va_start across the thread-local buffer */
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(last_error, msg, sizeof msg);
    return code;
}

int nps_err_at(int code, const char *file, size_t line, const char *fmt, ...)
{
    char msg[sizeof last_error];
    int k = snprintf(msg, sizeof msg, "%s:%zu: ", file ? file : "-", line);
    if (k < 0 || (size_t)k >= sizeof msg) k = 0;
    va_list ap;
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
    vsnprintf(msg + k, sizeof msg - (size_t)k, fmt, ap);
    va_end(ap);
    memcpy(last_error, msg, sizeof msg);
    return code;
}
