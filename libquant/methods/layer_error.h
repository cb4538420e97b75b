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

/* As lq__hessian_error, the sum added onto *sum (its blocks' sums one by
 * one, in order): a weight's rows scored in chunks of
 * lq__hessian_chunk_rows rows, in order, give exactly the bits of one call
 * over all of them (started from *sum = 0). */
lq_status lq__hessian_error_add(const lq_ctx *ctx, const lq_calib *c, const float *d,
                                int64_t rows, double *sum);

/* Rows of a weight to score at a time: all `rows`, or under ctx's
 * small_buffers (a memory limit) a multiple of the blocks the error is
 * summed in, one per thread, so that the buffers of a candidate's error
 * hold a chunk instead of the whole weight. */
int64_t lq__hessian_chunk_rows(const lq_ctx *ctx, const lq_calib *c, int64_t rows);

/* The same for the difference a - b of two [rows, n] matrices. */
lq_status lq__hessian_error_diff(const lq_ctx *ctx, const lq_calib *c, const float *a,
                                 const float *b, int64_t rows, double *out);

#endif
