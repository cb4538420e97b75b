/* layer_error.h — a layer's output error from its calibration Hessian
 * (internal). For a weight error D [rows, n] and activations X [N, n],
 * ||X D^T||^2 = (N/2) sum_r d_r H d_r^T with H = (2/N) X^T X, so sums of
 * d_r H d_r^T compare errors exactly over every calibration token without
 * keeping the tokens. */
#ifndef LQ_METHODS_LAYER_ERROR_H
#define LQ_METHODS_LAYER_ERROR_H

#include <stdint.h>

#include <lq/lq_calib.h>

/* sum over the rows r of d_r H d_r^T, for d [rows, n] (n = the set's
 * features), through a BLAS triangular product in blocks of rows spread over the threads of
 * ctx (may be NULL); the same result for any thread count. Errors:
 * LQ_ERR_NOMEM. */
lq_status lq__hessian_error(const lq_ctx *ctx, const lq_calib *c, const float *d, int64_t rows,
                            double *out);

/* The same for the difference a - b of two [rows, n] matrices. */
lq_status lq__hessian_error_diff(const lq_ctx *ctx, const lq_calib *c, const float *a,
                                 const float *b, int64_t rows, double *out);

#endif
