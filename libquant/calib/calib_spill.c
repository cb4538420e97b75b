/* calib_spill.c — a set's Hessian waiting in its owner's temporary file
 * (calib.h: lq__calib_spill_to and after), so that an owner holding several
 * sets keeps in memory only the one it works on. Only the upper triangle is
 * written and read, each row from its diagonal on, at the place it has in an
 * n x n row-major array: the offsets stay simple and the lower triangle is
 * never written (the file has holes there, or an earlier set's bytes). */
#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/tempfile.h"
#include "calib.h"

static const char what[] = "a calibration set's Hessian";

/* The upper triangle of h to the file (write) or from it into h. */
static lq_status transfer(const lq_calib *c, float *h, bool write)
{
    const int64_t n = c->n;
    lq_status st = LQ_OK;
    for (int64_t i = 0; st == LQ_OK && i < n; i++)
        st = lq__temp_io("calib", what, c->file, h + i * n + i, (size_t)(n - i) * sizeof *h,
                         c->file_at + (uint64_t)(i * n + i) * sizeof *h, write);
    return st;
}

void lq__calib_spill_to(lq_calib *c, int fd, uint64_t at)
{
    c->file = fd;
    c->file_at = at;
    c->in_file = false;
}

bool lq__calib_spillable(const lq_calib *c)
{
    return c->file >= 0;
}

/* Make the file hold H's current values. */
static lq_status store(lq_calib *c)
{
    if (c->in_file)
        return LQ_OK;
    if (!c->h)
        return lq__fail(LQ_ERR_INTERNAL, "calib: a Hessian neither in memory nor in its file");
    lq_status st = transfer(c, c->h, true);
    c->in_file = st == LQ_OK;
    return st;
}

lq_status lq__calib_park(lq_calib *c)
{
    if (c->file < 0 || !c->h)
        return LQ_OK;
    lq_status st = store(c);
    if (st == LQ_OK) {
        lq__free(c->h);
        c->h = NULL;
    }
    return st;
}

lq_status lq__calib_unpark(lq_calib *c)
{
    if (c->h || c->file < 0)
        return LQ_OK;
    size_t nn = (size_t)c->n * (size_t)c->n; /* n <= LQ__CALIB_MAX_FEATURES: no overflow */
    float *h = lq__malloc(nn * sizeof *h);
    if (!h)
        return lq__fail(LQ_ERR_NOMEM, "calib: cannot allocate a %lld x %lld Hessian",
                        (long long)c->n, (long long)c->n);
    lq_status st = transfer(c, h, false);
    if (st != LQ_OK) {
        lq__free(h);
        return st;
    }
    c->h = h;
    return LQ_OK;
}

lq_status lq__calib_take_hessian(lq_calib *c, float **h)
{
    *h = NULL;
    lq_status st = c->file < 0 ? lq__fail(LQ_ERR_INTERNAL, "calib: no file to keep %s", what)
                               : lq__calib_unpark(c);
    if (st == LQ_OK)
        st = store(c);
    if (st != LQ_OK)
        return st;
    *h = c->h;
    c->h = NULL;
    return LQ_OK;
}

lq_status lq__calib_read_hessian(const lq_calib *c, float *out)
{
    if (!c->in_file)
        return lq__fail(LQ_ERR_INTERNAL, "calib: %s is not in its file", what);
    return transfer(c, out, false);
}
