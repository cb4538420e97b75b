/* gptq_order.c — the Hessian in processing order (gptq_order.h).
 *
 * Without act_order the order is the identity: H is copied (or already in
 * place) and only the diagonal and the entries below it change. With it,
 * every entry of H's upper triangle, row by row of the source, is written
 * to its place in the permuted matrix, (min, max) of its new indices: every
 * entry is a copy of one of H's, so the result is the same floats a permuted
 * full copy would hold. The writes scatter over the whole array (n^2 / 2 of
 * them): 0.2 s of CPU at n = 5632 on the AVX-512 Xeon, 6.4 s at 28672,
 * twice what permuting a full n x n matrix in place took, and small beside
 * the factorization (1.25 s on one thread at 5632, growing as n^3). */
#include <stdbool.h>
#include <string.h>

#include "../calib/panels.h"
#include "../core/alloc.h"
#include "../core/error.h"
#include "gptq_order.h"

/* The source rows of panel p, scattered into a; pos[i]: element (i, i) of
 * a; inv: source column -> processing position. */
static void scatter_panel(float *a, int64_t n, const float *panel, int64_t p, const size_t *pos,
                          const int32_t *inv)
{
    const int64_t k0 = lq__panel_first(n, p), k1 = lq__panel_first(n, p + 1);
    for (int64_t s = k0; s < k1; s++) {
        const float *row = panel + (s - k0) * (n - k0);
        const int64_t is = inv[s];
        for (int64_t t = s + 1; t < n; t++) {
            int64_t it = inv[t];
            if (is < it)
                a[pos[is] + (size_t)(it - is)] = row[t - k0];
            else
                a[pos[it] + (size_t)(is - it)] = row[t - k0];
        }
    }
}

static lq_status permuted(float *a, int64_t n, const float *src, const lq_calib *c,
                          const int32_t *perm, const size_t *pos)
{
    const int64_t m = lq__panels_count(n);
    int32_t *inv = lq__malloc((size_t)n * sizeof *inv);
    /* room for any panel: at most P rows of at most n floats */
    const size_t most = (size_t)(n < LQ__PANEL_ROWS ? n : LQ__PANEL_ROWS) * (size_t)n;
    float *chunk = src ? NULL : lq__malloc(most * sizeof *chunk);
    lq_status st = LQ_OK;
    if (!inv || (!src && !chunk))
        st = lq__fail(LQ_ERR_NOMEM, "gptq: out of memory");
    for (int64_t i = 0; st == LQ_OK && i < n; i++)
        inv[perm[i]] = (int32_t)i;
    for (int64_t p = 0; st == LQ_OK && p < m; p++) {
        size_t first = lq__panel_offset(n, p), count = lq__panel_offset(n, p + 1) - first;
        if (!src)
            st = lq__calib_read_hessian(c, first, count, chunk);
        if (st == LQ_OK)
            scatter_panel(a, n, src ? src + first : chunk, p, pos, inv);
    }
    lq__free(inv);
    lq__free(chunk);
    return st;
}

lq_status lq__gptq_order_hessian(float *a, int64_t n, const float *src, const lq_calib *c,
                                 const int32_t *perm, const double *diag)
{
    bool identity = true;
    for (int64_t i = 0; identity && i < n; i++)
        identity = perm[i] == i;
    const size_t floats = lq__panel_offset(n, lq__panels_count(n));
    size_t *pos = lq__malloc((size_t)n * sizeof *pos);
    if (!pos)
        return lq__fail(LQ_ERR_NOMEM, "gptq: out of memory");
    for (int64_t i = 0; i < n; i++)
        pos[i] = (size_t)(lq__panels_at(a, n, i, i) - a);
    lq_status st = LQ_OK;
    if (!identity)
        st = permuted(a, n, src == a ? NULL : src, c, perm, pos);
    else if (!src)
        st = lq__calib_read_hessian(c, 0, floats, a);
    else if (src != a)
        memcpy(a, src, floats * sizeof *a);
    for (int64_t i = 0; st == LQ_OK && i < n; i++) {
        const int64_t k0 = lq__panel_first(n, lq__panel_of(n, i));
        memset(a + pos[i] - (i - k0), 0, (size_t)(i - k0) * sizeof *a);
        a[pos[i]] = (float)diag[perm[i]];
    }
    lq__free(pos);
    return st;
}
