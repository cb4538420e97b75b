/* dequantize.h — decoding whole tensors to f32 (internal), for the layers
 * above the kernels. */
#ifndef LQ_KERNELS_DEQUANTIZE_H
#define LQ_KERNELS_DEQUANTIZE_H

#include <lq/lq_tensor.h>

#include "../formats/convert.h"

/* Decode all of t into dst (numel floats), on ctx's threads. */
lq_status lq__decode_f32(const lq_ctx *ctx, const char *fn, const lq_tensor *t, float *dst);

/* Decode rows [r0, r1) of t (as a matrix: lq__tensor_rows x cols) into dst,
 * (r1 - r0) x cols floats, on ctx's threads. */
lq_status lq__decode_rows_f32(const lq_ctx *ctx, const char *fn, const lq_tensor *t, int64_t r0,
                              int64_t r1, float *dst);

/* Decode into a new buffer (free with lq__free). */
lq_status lq__to_f32(const lq_ctx *ctx, const char *fn, const lq_tensor *t, float **out);

#endif
