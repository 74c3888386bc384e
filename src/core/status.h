// status.h - how the library reports failure without printing or exiting.
//
// Every fallible function returns a td_status (0 on success, negative on
// failure) and leaves one readable sentence behind, fetched with
// td_error_message(). The message lives in thread-local storage, so a worker
// thread's failure never overwrites another's.
#ifndef TD_STATUS_H
#define TD_STATUS_H

#include <stddef.h>

typedef enum {
    TD_OK = 0,
    TD_ERR_ARG = -1,     // a caller passed an absurd parameter (steps <= 0, bad name...)
    TD_ERR_NOMEM = -2,   // an allocation failed
    TD_ERR_FORMAT = -3,  // bytes that should be a file of ours are not
    TD_ERR_SHAPE = -4,   // a tensor's shape does not match the model
    TD_ERR_IO = -5,      // a file could not be read or written
    TD_ERR_LIMIT = -6,   // a request exceeds a documented resource cap
} td_status;

// The reason for the most recent failure on this thread ("" if none).
const char *td_error_message(void);

// Record a failure reason (printf-style) and return `status`, so callers can
// write `return td_fail(TD_ERR_ARG, "steps must be positive, got %d", n);`.
td_status td_fail(td_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

// Forget the last reason (tests use this to check a message was set anew).
void td_clear_error(void);

// Short name of a status code: "invalid argument", "out of memory", ...
const char *td_status_name(td_status status);

// Overflow-checked size arithmetic: return 0 and store the result, or return
// -1 when the exact result does not fit in size_t.
int td_mul_size(size_t a, size_t b, size_t *out);
int td_add_size(size_t a, size_t b, size_t *out);

// A broken invariant is a bug, not bad input: abort with file:line.
#define TD_ASSERT(cond) \
    ((cond) ? (void)0 : td_assert_fail(#cond, __FILE__, __LINE__))
void td_assert_fail(const char *expr, const char *file, int line);

#endif
