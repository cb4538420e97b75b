/* hessian_mul.c — products with H's row panels (hessian_mul.h). */
#include <cblas.h>
#include <string.h>

#include "../kernels/blas.h"
#include "hessian_mul.h"
#include "panels.h"

/* Panels from the last to the first: panel [k0, k1) sets t's columns
 * [k0, k1) to d's times its diagonal block's upper triangle (strmm on a
 * copy), then adds d's columns [k0, k1) times the rectangle right of the
 * block to t's later columns, which the later panels have set already. */
void lq__hessian_upper_mul(const lq_calib *c, const float *d, int64_t m, float *t)
{
    const int64_t n = c->n;
    lq__blas_serial();
    for (int64_t p = lq__panels_count(n) - 1; p >= 0; p--) {
        const int64_t k0 = lq__panel_first(n, p), k1 = lq__panel_first(n, p + 1);
        const int ld = (int)(n - k0);
        for (int64_t r = 0; r < m; r++)
            memcpy(t + r * n + k0, d + r * n + k0, (size_t)(k1 - k0) * sizeof *t);
        cblas_strmm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, (int)m,
                    (int)(k1 - k0), 1.0f, lq__panels_at(c->h, n, k0, k0), ld, t + k0, (int)n);
        if (k1 < n)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)(n - k1),
                        (int)(k1 - k0), 1.0f, d + k0, (int)n, lq__panels_at(c->h, n, k0, k1), ld,
                        1.0f, t + k1, (int)n);
    }
}

/* The block's rows cut at panels, first to last: piece [s, e) adds d's
 * columns [s, e) times its symmetric diagonal block to t's, times the
 * rectangle right of it (columns [e, end)) to t's later columns, and d's
 * later columns times that rectangle's transpose to t's [s, e). The first
 * piece's two products into [s, end) start t (beta 0). */
void lq__hessian_block_mul(const lq_calib *c, int64_t c0, int64_t len, const float *d, int64_t m,
                           float *t)
{
    const int64_t n = c->n, end = c0 + len;
    lq__blas_serial();
    for (int64_t s = c0, e; s < end; s = e) {
        e = lq__panel_first(n, lq__panel_of(n, s) + 1);
        e = e < end ? e : end;
        const int ld = (int)lq__panels_ld(n, s), w = (int)(e - s), rest = (int)(end - e);
        const float beta = s == c0 ? 0.0f : 1.0f;
        cblas_ssymm(CblasRowMajor, CblasRight, CblasUpper, (int)m, w, 1.0f,
                    lq__panels_at(c->h, n, s, s), ld, d + (s - c0), (int)len, beta, t + (s - c0),
                    (int)len);
        if (rest == 0)
            continue;
        const float *r = lq__panels_at(c->h, n, s, e);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, rest, w, 1.0f,
                    d + (s - c0), (int)len, r, ld, beta, t + (e - c0), (int)len);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, w, rest, 1.0f, d + (e - c0),
                    (int)len, r, ld, 1.0f, t + (s - c0), (int)len);
    }
}
