/*
 * lq_matmul.h — run quantized weights: matrix products with a weight tensor of
 * any type, and the int8 x int8 (W8A8) and LLM.int8() products of smoothquant
 * and llm_int8 weights.
 *
 * Shapes follow a linear layer: a weight W is [n, k] = [out_features,
 * in_features], activations X are m rows of k floats (row-major), and the
 * result Y = X W^T is m rows of n floats. One row of X ("a token") gives a
 * matrix-vector product, the decoding case; many rows give a matrix-matrix
 * product, the prompt case. Stable tier (LIBQUANT_0).
 *
 * Accuracy. f32 weights give the BLAS sgemm result. Other weights take one
 * of two ways (lq_matmul_v2's flags choose; lq_matmul takes the automatic
 * choice):
 *   - 8-bit activations, for the types with integer dot products: the ggml
 *     block types (q4_0 ... q8_0, q2_k ... q6_k, iq4_nl, iq4_xs) and int8 /
 *     int4 / int3 / int2 with groups of a multiple of 32. Each row of X is
 *     quantized to 8 bits in blocks of 32 or 256 (q8_0, q8_1 or q8_K, as
 *     llama.cpp does at every batch size) and products are summed as
 *     integers within a block, which moves each output by at most
 *     sum_t |w_t| * max|x in t's block| / 200 from the f32 product. These are
 *     llama.cpp's numbers: the same integer block sums, added in another
 *     float order.
 *   - f32 activations: the weights are decoded exactly as lq_dequantize_f32
 *     decodes them and multiplied in f32 (the only way for the other types).
 * Results never depend on the thread count. Different SIMD levels (LQ_ARCH),
 * and with 8-bit activations different row counts m (a few rows take row
 * dot products, more take register-tiled kernels), differ only by float
 * rounding: the same integer block sums are added in another order.
 */
#ifndef LQ_MATMUL_H
#define LQ_MATMUL_H

#include <lq/lq_core.h>
#include <lq/lq_tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Flags of lq_matmul_v2: how X is multiplied (at most one of them). */
#define LQ_MATMUL_ACT_8BIT 0x1u /* quantize X to 8 bits at any m where the type has integer dots */
#define LQ_MATMUL_ACT_F32 0x2u  /* never quantize X: decode W and multiply in f32 */

/* y[m, n] = x[m, k] * w^T, where w is a 2-D tensor [n, k] of any type that
 * decodes to numbers (plain or quantized). x must hold m * k floats and y
 * room for m * n floats; they must not overlap. m = 0 does nothing; k = 0
 * gives zeros. `ctx` (may be NULL) sets the thread count; the progress
 * callback is not called. Large f32 products (f32, f16, bf16 and the
 * decoded types from 16 rows of X) call the BLAS single-threaded on each of
 * our threads; with OpenBLAS, libquant sets its thread count to 1 once
 * (lq_core.h, "The BLAS") and never changes it per call. How X is taken is
 * lq_matmul_v2's automatic choice (flags 0).
 *
 * Errors: LQ_ERR_INVALID (a NULL pointer, m < 0), LQ_ERR_SHAPE (w not 2-D, a
 * dimension above 2^31 - 1), LQ_ERR_NONFINITE (a NaN or infinity in x; the
 * message gives its row and column), LQ_ERR_UNSUPPORTED (a type with no
 * decoder in this build), LQ_ERR_NOMEM.
 * Thread safety: w and x are only read; several threads may multiply with the
 * same weight at once, each with its own y and either its own ctx or a
 * shared one that no thread modifies meanwhile. The results are then
 * bit-identical to the same call made alone. */
LQ_API lq_status lq_matmul(lq_ctx *ctx, const float *x, int64_t m, const lq_tensor *w,
                           float *y);

/* lq_matmul with a choice of how X is multiplied (see Accuracy above). flags:
 *   0 (lq_matmul): the faster way, as measured with `lq bench`
 *     (doc/benchmarks.md): for the types with integer dot products X is
 *     quantized to 8 bits at every m, except from m = 64 on x86 CPUs with
 *     AVX-512 but without VNNI, where it stays f32 (their 8-bit kernels are
 *     256-bit, and OpenBLAS's AVX-512 sgemm overtakes them). Measured on
 *     4096 x 4096 weights, one thread: with AVX-512 VNNI the 8-bit way ran at
 *     2.0-3.1x f32 sgemm at m = 8, 2.0-2.7x at m = 32 and 1.7-2.3x at
 *     m = 512; with AVX2 it beat decoding and OpenBLAS's Haswell sgemm at
 *     every m (at m = 512: q4_0 1.4x, q8_0 1.04x).
 *   LQ_MATMUL_ACT_8BIT: quantize X to 8 bits at every m for the types with
 *     integer dot products: llama.cpp's numbers, for a runner that must
 *     match llama.cpp.
 *   LQ_MATMUL_ACT_F32: never quantize X: the most accurate product.
 * Types without integer dot products multiply in f32 whatever the flags.
 * lq_matmul(ctx, x, m, w, y) is lq_matmul_v2(ctx, x, m, w, 0, y).
 * Errors: as lq_matmul, and LQ_ERR_INVALID for unknown flags or both flags
 * at once. Thread safety: as lq_matmul. */
LQ_API lq_status lq_matmul_v2(lq_ctx *ctx, const float *x, int64_t m, const lq_tensor *w,
                              unsigned flags, float *y);

/* W8A8 (SmoothQuant, LLM.int8): y[m, n] = x[m, k] * (sw * w)^T with w int8
 * [n, k] row-major and sw n per-output-channel scales. Each row i of x is
 * quantized on the fly to int8 with its own scale sx_i = max|x_i| / 127
 * (codes round(x * (1 / sx_i)), halves away from zero); products are summed
 * in int32 and y[i, j] = sx_i * sw[j] * sum_t xq[i, t] * w[j, t]. Integer
 * sums are exact, so the result does not depend on the SIMD level or thread
 * count.
 *
 * Errors: LQ_ERR_INVALID (a NULL pointer, m, n < 0, k < 1, k > 131072 — the
 * bound that keeps int32 sums exact), LQ_ERR_NONFINITE (a NaN or infinity in
 * x; the message gives its row and column), LQ_ERR_NOMEM. Thread safety: as
 * lq_matmul. */
LQ_API lq_status lq_matmul_w8a8_raw(lq_ctx *ctx, const float *x, int64_t m, int64_t k,
                                    const int8_t *w, const float *sw, int64_t n, float *y);

/* ------------------------------------------------------------------------
 * 8-bit matrix products (W8A8) for smoothquant and llm_int8 weights
 * ------------------------------------------------------------------------ */

/* y[tokens, out] = x[tokens, in] * W^T with W an int8:channel:sym tensor
 * (made by the smoothquant or llm_int8 method): lq_matmul_w8a8_raw on the
 * tensor's codes and row scales, so every activation row is quantized
 * to int8 on the fly (absmax / 127) and the dot products are exact int32
 * sums. Errors: LQ_ERR_INVALID (NULL, a weight that is not a 2-D
 * int8:channel:sym tensor, more than 131072 inputs), LQ_ERR_SHAPE,
 * LQ_ERR_NONFINITE (x), LQ_ERR_NOMEM. */
LQ_API lq_status lq_matmul_w8a8(lq_ctx *ctx, const float *x, int64_t tokens,
                                const lq_tensor *w, float *y);

/* LLM.int8() mixed decomposition: the columns j of x with any |x_tj| >=
 * threshold (an outlier column, decided on this x as bitsandbytes does) are
 * multiplied in float with the dequantized weight columns; the other columns
 * go through the int8 path of lq_matmul_w8a8. threshold <= 0 means the
 * scheme's (6.0 by default) for a llm_int8 tensor. *n_outliers (may be NULL)
 * receives the number of outlier columns. Errors as lq_matmul_w8a8. */
LQ_API lq_status lq_matmul_llm_int8(lq_ctx *ctx, const float *x, int64_t tokens,
                                    const lq_tensor *w, double threshold, float *y,
                                    int64_t *n_outliers);

#ifdef __cplusplus
}
#endif
#endif /* LQ_MATMUL_H */
