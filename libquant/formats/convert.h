/* convert.h — decoding whole tensors to f32 (internal). */
#ifndef LQ_FORMATS_CONVERT_H
#define LQ_FORMATS_CONVERT_H

#include <lq/lq_tensor.h>

#include "codec.h"

/* The layout parameters of any tensor (its scheme's, or the plain type's). */
void lq__tensor_qparams(const lq_tensor *t, lq__qparams *qp);

/* Decode all of t into dst (numel floats), on ctx's threads. */
lq_status lq__decode_f32(const lq_ctx *ctx, const char *fn, const lq_tensor *t, float *dst);

/* Decode into a new buffer (free with lq__free). */
lq_status lq__to_f32(const lq_ctx *ctx, const char *fn, const lq_tensor *t, float **out);

#endif
