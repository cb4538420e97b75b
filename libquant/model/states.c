/* states.c — calibration hidden states in memory or in an unlinked
 * temporary file (states.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/tempfile.h"
#include "states.h"

static lq_status spill(lq__states *s, uint64_t bytes)
{
    lq_status st = lq__temp_file(s->fn, "the calibration states beyond the memory limit",
                                 &s->fd);
    /* sized up front (sparse), so that rows never written read as zeros */
    if (st == LQ_OK && ftruncate(s->fd, (off_t)bytes) != 0) {
        st = lq__fail(LQ_ERR_IO, "%s: the calibration states' temporary file cannot take %llu "
                      "bytes: %s", s->fn, (unsigned long long)bytes, strerror(errno));
        close(s->fd);
        s->fd = -1;
    }
    return st;
}

lq_status lq__states_init(lq__states *s, const char *fn, int64_t rows, int64_t width,
                          int64_t window, int64_t max_memory)
{
    *s = (lq__states){.rows = rows, .width = width, .fd = -1, .buf_rows = window, .fn = fn};
    size_t n, bytes;
    if (!lq__mul_size((size_t)rows, (size_t)width, &n) || !lq__mul_size(n, sizeof(float), &bytes))
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot hold the hidden states of %lld calibration "
                        "tokens", fn, (long long)rows);
    if (max_memory <= 0 || bytes <= (uint64_t)max_memory) {
        if (!(s->mem = lq__calloc(n, sizeof(float))))
            return lq__fail(LQ_ERR_NOMEM, "%s: cannot hold the hidden states of %lld calibration "
                            "tokens (%zu bytes; a memory limit would keep them in a file)", fn,
                            (long long)rows, bytes);
        return LQ_OK;
    }
    if (!(s->buf = lq__calloc((size_t)(window * width), sizeof(float))))
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    lq_status st = spill(s, bytes);
    if (st != LQ_OK) {
        lq__free(s->buf);
        s->buf = NULL;
    }
    return st;
}

/* Move rows [first, first + n) between the buffer and the file. */
static lq_status transfer(lq__states *s, int64_t first, int64_t n, bool write)
{
    if (n < 0 || n > s->buf_rows || first < 0 || first > s->rows - n)
        return lq__fail(LQ_ERR_INTERNAL, "%s: rows %lld + %lld of the calibration states",
                        s->fn, (long long)first, (long long)n);
    return lq__temp_io(s->fn, "the calibration states", s->fd, s->buf,
                       (size_t)(n * s->width) * sizeof(float),
                       (uint64_t)first * (uint64_t)s->width * sizeof(float), write);
}

lq_status lq__states_get(lq__states *s, int64_t first, int64_t n, float **x)
{
    if (s->mem) {
        *x = s->mem + first * s->width;
        return LQ_OK;
    }
    *x = s->buf;
    return transfer(s, first, n, false);
}

lq_status lq__states_put(lq__states *s, int64_t first, int64_t n)
{
    return s->mem ? LQ_OK : transfer(s, first, n, true);
}

bool lq__states_spilled(const lq__states *s)
{
    return s->fd >= 0;
}

void lq__states_free(lq__states *s)
{
    lq__free(s->mem);
    lq__free(s->buf);
    if (s->fd >= 0)
        close(s->fd);
    *s = (lq__states){.fd = -1};
}
