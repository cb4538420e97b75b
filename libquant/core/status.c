/* status.c — status texts and the thread-local last-error message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

#define LQ__ERRBUF 1024

static _Thread_local char lq__errbuf[LQ__ERRBUF];

const char *lq_status_str(lq_status status)
{
    switch (status) {
#define LQ_STATUS_TEXT_(name, value, text) case value: return text;
        LQ_STATUS_MAP(LQ_STATUS_TEXT_)
#undef LQ_STATUS_TEXT_
    }
    return "unknown status";
}

const char *lq_last_error(void)
{
    return lq__errbuf;
}

lq_status lq__fail(lq_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lq__errbuf, sizeof lq__errbuf, fmt, ap);
    va_end(ap);
    return status;
}

void lq__error_prefix(const char *prefix)
{
    size_t p = strlen(prefix) + 2; /* "prefix: " */
    if (p >= LQ__ERRBUF)
        return;
    size_t keep = strnlen(lq__errbuf, LQ__ERRBUF - 1);
    if (keep > LQ__ERRBUF - 1 - p)
        keep = LQ__ERRBUF - 1 - p;
    memmove(lq__errbuf + p, lq__errbuf, keep);
    lq__errbuf[p + keep] = 0;
    memcpy(lq__errbuf, prefix, p - 2);
    memcpy(lq__errbuf + p - 2, ": ", 2);
}
