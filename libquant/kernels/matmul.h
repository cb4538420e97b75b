/* matmul.h — matrix products inside the library (internal). The public
 * wrappers lq_matmul_v2 and lq_matmul_w8a8_raw check arguments and call these. */
#ifndef LQ_KERNELS_MATMUL_H
#define LQ_KERNELS_MATMUL_H

#include <stdint.h>

#include <lq/lq_matmul.h>

#include "nonfinite.h"

/* Rows of x from which lq_matmul, when it works in f32, decodes weight tiles
 * and calls the BLAS instead of taking row dot products (measured with
 * `lq bench`). */
#define LQ__MATMUL_GEMM_ROWS 16

/* Rows of x from which lq_matmul, when it quantizes X, repacks the weights
 * for the tile kernels (gemm_q8.c) instead of taking row dot products
 * (measured with `lq bench`); for int3 and int2, whose codes cost more to
 * repack, from LQ__MATMUL_TILE_ROWS_NARROW (4096 x 4096, one thread: the
 * tile kernels overtook the row dots near 20 rows for int3, 28 for int2). */
#define LQ__MATMUL_TILE_ROWS 8
#define LQ__MATMUL_TILE_ROWS_NARROW 24

/* A flag of lq__matmul and lq__matmul_shared beside lq_matmul.h's: X is not
 * known to be finite, so the product checks it (LQ_ERR_NONFINITE, with
 * lq__check_x's message): the tile path row by row while it quantizes X on
 * the pool, the other paths before they start. Without it, X must be
 * finite. */
#define LQ__MATMUL_CHECK_X (1u << 31)

/* A flag of lq__matmul and lq__matmul_shared: F16 and BF16 rows are decoded
 * and dotted by the f32 kernel instead of by their own dot kernels, which
 * add in another order; the sums are then those of an F32 weight of the same
 * values, bit for bit (the gemm path's already are). For the runner's
 * weights of a Hugging Face folder, read in their stored type instead of as
 * F32 (model/load.c). */
#define LQ__MATMUL_F32_SUMS (1u << 30)

/* y[m, n] = x[m, k] * w^T, as lq_matmul_v2; the caller checked the other
 * arguments. */
lq_status lq__matmul(const lq_ctx *ctx, const float *x, int64_t m, const lq_tensor *w, float *y,
                     unsigned flags);

/* y[j][m, n_j] = x[m, k] * w[j]^T for count (at most LQ__MATMUL_SHARED_MAX) 2-D
 * weights of k columns, as count lq__matmul calls compute them (the same
 * results); when all of them take the row dot products with X quantized to
 * one type (few rows of X), or all the tile kernels in one format (many
 * rows), X is quantized once and the rows of all the weights are one job on
 * ctx's threads: the query, key and value projections, or the gate and up
 * projections, of a decoded token or a window. */
#define LQ__MATMUL_SHARED_MAX 4
lq_status lq__matmul_shared(const lq_ctx *ctx, const float *x, int64_t m, const lq_tensor *const *w,
                            int count, float *const *y, unsigned flags);

/* Products of runs of W's rows, each starting at a multiple of the rows
 * returned and holding more than that many (or all of W), give the outputs
 * of lq_matmul_v2 of the whole W with m rows of X, these flags and ctx (0:
 * W's layout does not allow it). */
int64_t lq__matmul_split_rows(const lq_ctx *ctx, const lq_tensor *w, int64_t m, unsigned flags);

/* 1 when lq_matmul_v2 with m rows and these flags quantizes X to 8 bits
 * (the integer paths), 0 when it works in f32; for tests and benchmarks. */
int lq__matmul_quantizes_activations(const lq_tensor *w, int64_t m, unsigned flags);

/* W8A8 on int8 activations already quantized: y[i, j] = sx[i] * sw[j] *
 * sum_t xq[i, t] w[j, t], split over output columns on ctx's threads. */
lq_status lq__w8a8_gemm(const lq_ctx *ctx, const int8_t *xq, const float *sx, int64_t m,
                        int64_t k, const int8_t *w, const float *sw, int64_t n, float *y);

/* Per-row int8 quantization of activations: sx[i] = max|x_i| / 127 and
 * xq = round(x * (1 / sx[i])) (halves away from zero), as lq_matmul_w8a8_raw does. x must be
 * finite. */
void lq__quant_rows_i8(const float *x, int64_t m, int64_t k, int8_t *xq, float *sx);

#endif
