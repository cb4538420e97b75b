/* imatrix.c — lq_imatrix: importance matrices by weight name, kept in
 * memory. The files they are read from and written to are imatrix_file.c
 * (which format), imatrix_dat.c and imatrix_gguf.c. */
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "calib.h"
#include "imatrix.h"

lq_status lq_imatrix_create(lq_imatrix **out)
{
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "lq_imatrix_create: out is NULL");
    *out = lq__calloc(1, sizeof **out);
    return *out ? LQ_OK : lq__fail(LQ_ERR_NOMEM, "lq_imatrix_create: out of memory");
}

void lq__imatrix_entry_free(lq__imatrix_entry *e)
{
    lq__free(e->name);
    lq__free(e->sum_sq);
    lq__free(e->counts);
    memset(e, 0, sizeof *e);
}

void lq_imatrix_free(lq_imatrix *im)
{
    if (!im)
        return;
    for (int64_t i = 0; i < im->count; i++)
        lq__imatrix_entry_free(&im->e[i]);
    lq__free(im->e);
    lq__free(im);
}

/* Index of the first entry whose name is >= name. */
static int64_t lower_bound(const lq_imatrix *im, const char *name)
{
    int64_t lo = 0, hi = im->count;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (strcmp(im->e[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const lq__imatrix_entry *lq__imatrix_find(const lq_imatrix *im, const char *name)
{
    int64_t i = lower_bound(im, name);
    return i < im->count && strcmp(im->e[i].name, name) == 0 ? &im->e[i] : NULL;
}

lq_status lq__imatrix_put(lq_imatrix *im, lq__imatrix_entry *e)
{
    int64_t i = lower_bound(im, e->name);
    if (i < im->count && strcmp(im->e[i].name, e->name) == 0) {
        lq__imatrix_entry_free(&im->e[i]);
        im->e[i] = *e;
        return LQ_OK;
    }
    if (im->count == im->cap) {
        int64_t cap = im->cap ? 2 * im->cap : 16;
        lq__imatrix_entry *ne = lq__malloc((size_t)cap * sizeof *ne);
        if (!ne) {
            lq__imatrix_entry_free(e);
            return lq__fail(LQ_ERR_NOMEM, "out of memory");
        }
        if (im->count)
            memcpy(ne, im->e, (size_t)im->count * sizeof *ne);
        lq__free(im->e);
        im->e = ne;
        im->cap = cap;
    }
    memmove(im->e + i + 1, im->e + i, (size_t)(im->count - i) * sizeof *im->e);
    im->e[i] = *e;
    im->count++;
    return LQ_OK;
}

static lq_status check_name(const char *fn, const char *name, size_t len)
{
    if (len == 0 || len > LQ_MAX_NAME)
        return lq__fail(LQ_ERR_INVALID, "%s: a name must have 1 to %d bytes", fn, LQ_MAX_NAME);
    if (memchr(name, 0, len))
        return lq__fail(LQ_ERR_INVALID, "%s: a name holds a NUL byte", fn);
    return LQ_OK;
}

lq_status lq_imatrix_add(lq_imatrix *im, const char *name, const lq_calib *c)
{
    static const char fn[] = "lq_imatrix_add";
    if (!im || !name || !c)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    lq_status st = check_name(fn, name, strlen(name));
    if (st != LQ_OK)
        return st;
    if (c->tokens == 0)
        return lq__fail(LQ_ERR_INVALID, "%s: '%s': the calibration set has no tokens", fn, name);
    lq__imatrix_entry e = {0};
    size_t len = strlen(name);
    e.n = c->n;
    e.nmat = 1;
    e.name = lq__malloc(len + 1);
    e.sum_sq = lq__malloc((size_t)c->n * sizeof *e.sum_sq);
    e.counts = lq__malloc(sizeof *e.counts);
    if (!e.name || !e.sum_sq || !e.counts) {
        lq__imatrix_entry_free(&e);
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    memcpy(e.name, name, len + 1);
    memcpy(e.sum_sq, c->sum_sq, (size_t)c->n * sizeof *e.sum_sq);
    e.counts[0] = (double)c->tokens;
    st = lq__imatrix_put(im, &e);
    if (st != LQ_OK)
        lq__error_prefix(fn);
    return st;
}

void lq__imatrix_set_chunk_size(lq_imatrix *im, int64_t n) { im->chunk_size = n > 0 ? n : 0; }

int64_t lq__imatrix_chunk_size(const lq_imatrix *im)
{
    return im->chunk_size > 0 ? im->chunk_size : LQ__IMATRIX_CHUNK;
}

int64_t lq_imatrix_count(const lq_imatrix *im) { return im ? im->count : 0; }

const char *lq_imatrix_name(const lq_imatrix *im, int64_t i)
{
    return im && i >= 0 && i < im->count ? im->e[i].name : NULL;
}

int64_t lq_imatrix_length(const lq_imatrix *im, const char *name)
{
    const lq__imatrix_entry *e = im && name ? lq__imatrix_find(im, name) : NULL;
    return e ? e->n : 0;
}

lq_status lq_imatrix_get(const lq_imatrix *im, const char *name, float *out, int64_t count)
{
    static const char fn[] = "lq_imatrix_get";
    if (!im || !name || !out)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    const lq__imatrix_entry *e = lq__imatrix_find(im, name);
    if (!e)
        return lq__fail(LQ_ERR_INVALID, "%s: no entry named '%s'", fn, name);
    if (count != e->n)
        return lq__fail(LQ_ERR_SHAPE, "%s: '%s' has %lld values, the buffer %lld", fn, name,
                        (long long)e->n, (long long)count);
    int64_t per = e->n / e->nmat;
    for (int64_t i = 0; i < e->n; i++) {
        double cnt = e->counts[i / per];
        /* a matrix that saw no token (an unused expert) weighs all columns
         * alike, as llama-quantize does */
        out[i] = cnt > 0 ? (float)(e->sum_sq[i] / cnt) : 1.0f;
    }
    return LQ_OK;
}
