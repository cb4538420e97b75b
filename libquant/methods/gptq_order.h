/* gptq_order.h — a calibration set's Hessian put in GPTQ's processing order
 * in place (internal). */
#ifndef LQ_METHODS_GPTQ_ORDER_H
#define LQ_METHODS_GPTQ_ORDER_H

#include <stdint.h>

#include <lq/lq_core.h>

/* a (n x n, row-major) holds H in its upper triangle, as a calibration set
 * keeps it; afterwards its upper triangle holds H in processing order
 * (row i, column j > i: H[perm[i], perm[j]]), its diagonal diag[perm[i]]
 * (the caller's, with dead columns as 1) and its lower triangle zeros: what
 * the factorization reads (gptq_factor.h). In place, so that GPTQ holds one
 * n x n matrix. Errors: LQ_ERR_NOMEM (a row of work space, act_order only). */
lq_status lq__gptq_order_hessian(float *a, int64_t n, const int32_t *perm, const double *diag);

#endif
