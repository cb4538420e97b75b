/* nonfinite.h — finding infinity or NaN in a product's X (internal), for
 * lq_matmul_v2 before a product and for the tile path while it quantizes X
 * on the pool (gemm_q8.c). */
#ifndef LQ_KERNELS_NONFINITE_H
#define LQ_KERNELS_NONFINITE_H

#include <stdint.h>

#include <lq/lq_core.h>

/* The index of the first of x[0 .. n-1] that is infinite or NaN, n when
 * none is. */
int64_t lq__first_nonfinite(const float *x, int64_t n);

/* LQ_OK when the m x k floats of x are finite, else LQ_ERR_NONFINITE with a
 * message naming the first element that is not ("lq_matmul: x[i, j] is
 * NaN"). */
lq_status lq__check_x(const float *x, int64_t m, int64_t k);

#endif
