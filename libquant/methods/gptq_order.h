/* gptq_order.h — a calibration set's Hessian put in GPTQ's processing order
 * (internal). */
#ifndef LQ_METHODS_GPTQ_ORDER_H
#define LQ_METHODS_GPTQ_ORDER_H

#include <stdint.h>

#include <lq/lq_core.h>

#include "../calib/calib.h"

/* H in processing order into a (n x n in row panels, calib/panels.h): its
 * upper triangle (row i, column j > i) H[perm[i], perm[j]], its diagonal
 * diag[perm[i]] (the caller's, with dead columns as 1) and the entries below
 * the diagonal blocks' diagonals zero: what the factorization reads
 * (gptq_factor.h). H is read from the upper triangle of src (panels too), or
 * with src NULL from c's file (lq__calib_read_hessian). src may be a
 * itself (H is there already): with the identity order H stays in place;
 * with another one it is then read from the file a panel at a time, so that
 * GPTQ holds one half matrix and one panel. Errors: LQ_ERR_NOMEM (work space), LQ_ERR_IO. */
lq_status lq__gptq_order_hessian(float *a, int64_t n, const float *src, const lq_calib *c,
                                 const int32_t *perm, const double *diag);

#endif
