// status.c - thread-local failure reasons and checked size arithmetic.
#include "core/status.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_message[512];

const char *td_error_message(void) { return last_message; }

void td_clear_error(void) { last_message[0] = '\0'; }

td_status td_fail(td_status status, const char *fmt, ...) {
    // Format into a scratch buffer first: callers may wrap an inner failure,
    // passing td_error_message() itself as an argument.
    char message[sizeof last_message];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    memcpy(last_message, message, sizeof message);
    return status;
}

const char *td_status_name(td_status status) {
    switch (status) {
    case TD_OK: return "ok";
    case TD_ERR_ARG: return "invalid argument";
    case TD_ERR_NOMEM: return "out of memory";
    case TD_ERR_FORMAT: return "bad file format";
    case TD_ERR_SHAPE: return "shape mismatch";
    case TD_ERR_IO: return "input/output error";
    case TD_ERR_LIMIT: return "resource limit exceeded";
    }
    return "unknown status";
}

int td_mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return -1;
    *out = a * b;
    return 0;
}

int td_add_size(size_t a, size_t b, size_t *out) {
    if (b > SIZE_MAX - a) return -1;
    *out = a + b;
    return 0;
}

void td_assert_fail(const char *expr, const char *file, int line) {
    // The one place the library may write to stderr: a bug, never bad input.
    fprintf(stderr, "%s:%d: internal invariant failed: %s\n", file, line, expr);
    abort();
}
