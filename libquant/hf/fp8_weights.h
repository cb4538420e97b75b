/* fp8_weights.h — FP8 checkpoints as published (internal): E4M3 weights
 * with their scales, decoded to float32 on the fly, as the converter reads
 * them (doc/hf-input.md, "FP8 checkpoints"). */
#ifndef LQ_HF_FP8_WEIGHTS_H
#define LQ_HF_FP8_WEIGHTS_H

#include <stdbool.h>
#include <stdint.h>

#include <lq/lq_io.h>

#include "../io/json.h"

/* Is `name` a tensor that an FP8 checkpoint stores beside a weight (its
 * scale, an activation scale) and that is not itself a model tensor?
 * `qcfg` is config.json's quantization_config object (NULL when absent). */
bool lq__hf_fp8_is_companion(const lq__json *qcfg, const char *name);

/* Decode tensor `index` of st, an F8_E4M3 weight [out, in], with the scale
 * stored beside it (DeepSeek/Qwen "fp8" with block-wise weight_scale_inv,
 * or compressed-tensors float8 with weight_scale per tensor or per output
 * channel) into dst[out * in], as the converter dequantizes it.
 * Errors: LQ_ERR_FORMAT (a missing or mis-shaped scale, non-finite scale:
 * the message names the tensor), LQ_ERR_UNSUPPORTED (a quantization_config
 * this does not decode, named), LQ_ERR_NOMEM. */
lq_status lq__hf_fp8_decode(const lq__json *qcfg, const lq_safetensors *st, int64_t index,
                            float *dst);

#endif
