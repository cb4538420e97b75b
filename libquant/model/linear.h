/* linear.h — a weight matrix of the runner (internal).
 *
 * A weight is [rows, cols] = [out_features, in_features] of any type libquant
 * decodes, kept as stored (quantized weights stay quantized in memory) and
 * multiplied with lq_matmul. The ggml block types (q4_0 ... q8_0, k-quants,
 * iq4_nl, iq4_xs) multiply as llama.cpp multiplies them at every batch size:
 * activations quantized to 8 bits (q8_0, q8_1, q8_K) and integer dot products
 * (lq_matmul_v2 with LQ_MATMUL_ACT_8BIT). Weights made by
 * the smoothquant and llm_int8 methods run as those methods define the
 * product: int8 activations (lq_matmul_w8a8), or int8 with float outlier
 * columns (lq_matmul_llm_int8). Other types multiply in f32.
 * Rows can also be decoded one at a time, for the token embedding. */
#ifndef LQ_MODEL_LINEAR_H
#define LQ_MODEL_LINEAR_H

#include <stdbool.h>
#include <stdint.h>

#include <lq/lq_core.h>
#include <lq/lq_tensor.h>

#include "../formats/codec.h"

typedef struct lq__linear {
    const lq_tensor *t; /* borrowed */
    int64_t rows, cols;
    const lq__codec *codec;
    lq__qparams qp;
    lq__layout layout;
    int method;         /* enum lq_method of a quantized weight, LQ_METHOD_RTN otherwise */
    unsigned act_flags; /* lq_matmul_v2 flags: 8-bit for the ggml types, else f32 */
    /* multiplied with LQ__MATMUL_F32_SUMS (kernels/matmul.h): a weight of a
     * Hugging Face folder, F16 or BF16 as stored, gives the sums of its F32
     * values (model/load.c); false from lq__linear_init */
    bool f32_sums;
    /* the file's per-tensor factor "<name>.scale" (the second scale of
     * llama.cpp's NVFP4 weights), applied to the product as ggml_mul does;
     * 1 when the file has none */
    float scale;
} lq__linear;

/* Prepare `t` (2-D) for use, with scale 1. `fn` names the public function
 * in messages. */
lq_status lq__linear_init(lq__linear *l, const lq_tensor *t, const char *fn);

/* y[n][rows] = (x[n][cols] W^T) * scale, on ctx's threads. */
lq_status lq__linear_forward(lq_ctx *ctx, const lq__linear *l, const float *x, int64_t n,
                             float *y);

/* y[j] = x l[j]^T for count weights of the same cols: the results of count
 * lq__linear_forward calls, with x quantized once for all of them when
 * their products allow it (kernels/matmul.h: lq__matmul_shared). */
lq_status lq__linear_forward_shared(lq_ctx *ctx, const lq__linear *const *l, int count,
                                    const float *x, int64_t n, float *const *y);

/* Row r of W decoded to cols floats: an embedding lookup. */
void lq__linear_row(const lq__linear *l, int64_t r, float *dst);

#endif
