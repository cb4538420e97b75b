/* hessian.h — the symmetric update H = beta H + alpha X^T X on H's upper
 * triangle, split over libquant's pool (internal). */
#ifndef LQ_CALIB_HESSIAN_H
#define LQ_CALIB_HESSIAN_H

#include <stdint.h>

#include <lq/lq_core.h>

/* h: n x n in row panels (panels.h), only its upper triangle (j >= i) is
 * read and written;
 * x: t x n row-major, t and n within a BLAS int. Each element is computed by
 * one BLAS call whatever the thread count, so the sums do not depend on it.
 * Fails only when out of memory (the tile plan), with h untouched. */
lq_status lq__hessian_update(float *h, const float *x, int64_t n, int64_t t, float alpha,
                             float beta);

#endif
