/* gptq_order.c — the Hessian in processing order, in place (gptq_order.h).
 *
 * Without act_order the order is the identity and only the diagonal and the
 * lower triangle change. With it, the symmetric matrix is made whole
 * (the upper triangle mirrored into the lower one), its rows are moved along
 * the permutation's cycles with one row of work space, and then each row's
 * columns through the same row: every entry is a copy of one of H's, so the
 * result is the same floats a permuted copy would hold. */
#include <stdbool.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "gptq_order.h"

/* Tiles of the mirror: rows and columns of one tile stay in cache. */
#define MIRROR_TILE 64

static void mirror(float *a, int64_t n)
{
    for (int64_t i0 = 0; i0 < n; i0 += MIRROR_TILE)
        for (int64_t j0 = i0; j0 < n; j0 += MIRROR_TILE)
            for (int64_t i = i0; i < i0 + MIRROR_TILE && i < n; i++)
                for (int64_t j = j0 > i + 1 ? j0 : i + 1; j < j0 + MIRROR_TILE && j < n; j++)
                    a[j * n + i] = a[i * n + j];
}

/* Row i becomes row perm[i], following each cycle once (done marks the
 * rows in place). */
static void permute_rows(float *a, int64_t n, const int32_t *perm, float *tmp, char *done)
{
    const size_t row = (size_t)n * sizeof *a;
    memset(done, 0, (size_t)n);
    for (int64_t s = 0; s < n; s++) {
        if (done[s] || perm[s] == s)
            continue;
        memcpy(tmp, a + s * n, row);
        int64_t i = s;
        for (int64_t from = perm[i]; from != s; i = from, from = perm[i]) {
            memcpy(a + i * n, a + from * n, row);
            done[i] = 1;
        }
        memcpy(a + i * n, tmp, row);
        done[i] = 1;
    }
}

lq_status lq__gptq_order_hessian(float *a, int64_t n, const int32_t *perm, const double *diag)
{
    bool identity = true;
    for (int64_t i = 0; identity && i < n; i++)
        identity = perm[i] == i;
    if (!identity) {
        float *tmp = lq__malloc((size_t)n * sizeof *tmp);
        char *done = lq__malloc((size_t)n);
        if (!tmp || !done) {
            lq__free(tmp);
            lq__free(done);
            return lq__fail(LQ_ERR_NOMEM, "gptq: out of memory");
        }
        mirror(a, n);
        permute_rows(a, n, perm, tmp, done);
        for (int64_t i = 0; i < n; i++) {
            float *r = a + i * n;
            for (int64_t j = 0; j < n; j++)
                tmp[j] = r[perm[j]];
            memcpy(r, tmp, (size_t)n * sizeof *r);
        }
        lq__free(tmp);
        lq__free(done);
    }
    for (int64_t i = 0; i < n; i++) {
        memset(a + i * n, 0, (size_t)i * sizeof *a);
        a[i * n + i] = (float)diag[perm[i]];
    }
    return LQ_OK;
}
