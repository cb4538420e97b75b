/* hessian_mul.h — products of row vectors with a calibration set's Hessian,
 * read from its row panels (panels.h) without a full n x n copy (internal).
 * BLAS runs serially in the calling thread (the callers split rows over the
 * pool); the results depend on n and the operands only. */
#ifndef LQ_CALIB_HESSIAN_MUL_H
#define LQ_CALIB_HESSIAN_MUL_H

#include <stdint.h>

#include "calib.h"

/* t = d U for d and t of m x n (row-major, ld n) and U the upper triangle
 * of c's H, diagonal included (d H d^T = 2 d U d^T - sum d_i^2 H_ii). H in
 * memory. */
void lq__hessian_upper_mul(const lq_calib *c, const float *d, int64_t m, float *t);

/* t = d H[c0:c0+len, c0:c0+len] for d and t of m x len (ld len): one ssymm
 * when the block lies in one panel, else a symmetric product per panel and
 * the rectangles right of it and their transposes. H in memory. */
void lq__hessian_block_mul(const lq_calib *c, int64_t c0, int64_t len, const float *d, int64_t m,
                           float *t);

#endif
