/* error.h — setting the thread-local error message (internal). */
#ifndef LQ_CORE_ERROR_H
#define LQ_CORE_ERROR_H

#include <lq/lq_core.h>

#if defined(__GNUC__)
#  define LQ__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#  define LQ__PRINTF(f, a)
#endif

/* Record a formatted message for lq_last_error() and return `status`, so that
 * failures read as `return lq__fail(LQ_ERR_SHAPE, "%s: ...", fn, ...);`.
 * Messages start with the public function's name. */
lq_status lq__fail(lq_status status, const char *fmt, ...) LQ__PRINTF(2, 3);

/* Prefix the current thread's message with "prefix: " (used when a lower layer
 * reported the error and the caller adds context, such as a tensor name). */
void lq__error_prefix(const char *prefix);

#endif
