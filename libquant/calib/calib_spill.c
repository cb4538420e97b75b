/* calib_spill.c — a set's Hessian waiting in its owner's temporary file
 * (calib.h: lq__calib_spill_to and after), so that an owner holding several
 * sets keeps in memory only the one it works on. The file holds H's panels
 * (panels.h) as they are in memory, one contiguous array. */
#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/tempfile.h"
#include "calib.h"
#include "panels.h"

static const char what[] = "a calibration set's Hessian";

/* Floats [first, first + count) of H's panels to the file (write) or from
 * it into p. */
static lq_status transfer(const lq_calib *c, float *p, size_t first, size_t count, bool write)
{
    return lq__temp_io("calib", what, c->file, p, count * sizeof *p,
                       c->file_at + (uint64_t)first * sizeof *p, write);
}

/* The floats of the panels of n features (n <= LQ__CALIB_MAX_FEATURES: no
 * overflow). */
static size_t floats_for(int64_t n)
{
    size_t floats = 0;
    (void)lq__panels_floats(n, &floats);
    return floats;
}

void lq__calib_spill_to(lq_calib *c, int fd, uint64_t at)
{
    c->file = fd;
    c->file_at = at;
    c->in_file = false;
}

uint64_t lq__calib_spill_bytes(int64_t n)
{
    return (uint64_t)floats_for(n) * sizeof(float);
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
    lq_status st = transfer(c, c->h, 0, floats_for(c->n), true);
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
    const size_t floats = floats_for(c->n);
    float *h = lq__malloc(floats * sizeof *h);
    if (!h)
        return lq__fail(LQ_ERR_NOMEM, "calib: cannot allocate a %lld x %lld Hessian",
                        (long long)c->n, (long long)c->n);
    lq_status st = transfer(c, h, 0, floats, false);
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

lq_status lq__calib_read_hessian(const lq_calib *c, size_t first, size_t count, float *out)
{
    if (!c->in_file)
        return lq__fail(LQ_ERR_INTERNAL, "calib: %s is not in its file", what);
    return transfer(c, out, first, count, false);
}
