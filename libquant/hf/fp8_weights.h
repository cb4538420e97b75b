/* fp8_weights.h — FP8 checkpoints as published (internal): E4M3 weights
 * with their scales, decoded to float32 on the fly, as the converter reads
 * them (doc/hf-input.md, "FP8 checkpoints"). */
#ifndef LQ_HF_FP8_WEIGHTS_H
#define LQ_HF_FP8_WEIGHTS_H

#include <stdbool.h>
#include <stdint.h>

#include <lq/lq_io.h>

#include "../io/json.h"

/* Does config.json's quantization_config `qcfg` name an FP8 scheme of the
 * table (fp8 or compressed-tensors float-quantized; NULL: no)? */
bool lq__hf_fp8_known(const lq__json *qcfg);

/* Is `name` a tensor that an FP8 checkpoint stores beside a weight (its
 * scale, an activation scale) and that is not itself a model tensor?
 * `qcfg` is config.json's quantization_config object (NULL when absent: then
 * nothing is a companion). These are exactly the tensors the converter does
 * not write, plus compressed-tensors' input_scale (which stops it). */
bool lq__hf_fp8_is_companion(const lq__json *qcfg, const char *name);

/* Decode tensor `index` of st, an F8_E4M3 weight "<layer>.weight" [out, in],
 * with the scale stored beside it in the same handle (a sharded checkpoint
 * opened through its index is one handle) into dst[out * in] (row-major, as
 * stored: the caller applies any row permutation), as the converter
 * dequantizes it: each element one float32 product of the E4M3 value and its
 * scale. Schemes: DeepSeek/Qwen "fp8" with weight_block_size and
 * "<layer>.weight_scale_inv" [ceil(out/b0), ceil(in/b1)] (the last block
 * row and column may be partial); compressed-tensors "float-quantized" with
 * "<layer>.weight_scale" per tensor ([], [1]), per output channel ([out, 1],
 * [out]) or per block (block_structure). Scales may be F32, BF16 or F16.
 * Errors: LQ_ERR_FORMAT (not a 2-D F8_E4M3 weight, a missing or mis-shaped
 * scale, a non-finite scale, a NaN weight code, a malformed block size: the
 * message names the weight), LQ_ERR_UNSUPPORTED (a quantization_config this
 * does not decode, named), LQ_ERR_INVALID (index out of range),
 * LQ_ERR_NOMEM. On error dst may be partly written. */
lq_status lq__hf_fp8_decode(const lq__json *qcfg, const lq_safetensors *st, int64_t index,
                            float *dst);

#endif
