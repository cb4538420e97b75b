/* quant_weights.h — quantized Hugging Face checkpoints in (internal): GPTQ
 * (v1, v2), AWQ gemm, bitsandbytes 4-bit and LLM.int8 layers, each read as
 * one weight of the model view and decoded on first access exactly as the
 * layouts' own decoders (lq_hf_dequantize) do, or written unchanged as a
 * ggml block type that holds it (doc/hf-input.md, "Quantized checkpoints
 * in"). One row per scheme in quant_weights.c. */
#ifndef LQ_HF_QUANT_WEIGHTS_H
#define LQ_HF_QUANT_WEIGHTS_H

#include <stdbool.h>
#include <stdint.h>

#include <lq/lq_io.h>

#include "../io/json.h"

typedef struct lq__hf_qscheme lq__hf_qscheme;

/* The scheme config.json's quantization_config (qcfg) names, into *out:
 * NULL when qcfg is NULL or names an FP8 scheme (fp8_weights.h decodes
 * those). Errors: LQ_ERR_UNSUPPORTED (a quant_method or variant not read:
 * the message names it and lists the ones read), LQ_ERR_FORMAT (a
 * quantization_config that is not an object). */
lq_status lq__hf_qscheme_of(const char *fn, const lq__json *qcfg, const lq__hf_qscheme **out);

/* The LQ_HF_* layout of the scheme. */
int lq__hf_qscheme_format(const lq__hf_qscheme *q);

/* Does the converter write the scheme's layers as their exact ggml type
 * whatever the outtype, before every other tensor (NVFP4)? */
bool lq__hf_qscheme_kept(const lq__hf_qscheme *q);

/* general.file_type of a model of kept layers at a float outtype (0: none). */
uint32_t lq__hf_qscheme_ftype(const lq__hf_qscheme *q);

/* Scalars stored beside a layer that the converter writes as their
 * reciprocals, F32 [1] tensors "<GGUF stem>.<suffix>": the suffix of scalar
 * k (0, 1, ...), NULL past the last. */
const char *lq__hf_qscheme_scalar_suffix(const lq__hf_qscheme *q, int k);

/* Scalar k of the layer at prefix, as the reciprocal the converter writes
 * (1 when the checkpoint has none). Errors: LQ_ERR_FORMAT (not one value,
 * zero or not finite: named). */
lq_status lq__hf_qscheme_scalar(const char *fn, const lq__hf_qscheme *q, const lq_safetensors *st,
                                const char *prefix, int k, float *value);

/* Is `name` a tensor stored beside a quantized layer's codes (its scales,
 * zero points, g_idx, quant state), which is no tensor of the model? */
bool lq__hf_qscheme_companion(const lq__hf_qscheme *q, const char *name);

/* Does tensor i of st hold a quantized layer's codes? Then `weight`
 * (LQ_MAX_NAME + 1 bytes) receives "<layer>.weight", the name the layer has
 * in an unquantized checkpoint, and `prefix` (as large) "<layer>". */
bool lq__hf_qscheme_anchor(const lq__hf_qscheme *q, const lq_safetensors *st, int64_t i,
                           char *weight, char *prefix);

/* What the view needs of one layer before decoding it: its shape and the
 * ggml type that holds its values exactly (LQ_TYPE_Q4_0 for 4-bit with every
 * zero point 8, LQ_TYPE_Q4_1 for 4-bit with zero points, LQ_TYPE_Q8_0 for
 * symmetric 8-bit; the groups must be 32-column multiples in column order
 * and the scales F16), or -1 when none does. Read from the tensors' shapes
 * and dtypes and from quantization_config, without decoding. */
typedef struct lq__hf_qlayer {
    int64_t out, in;
    int exact; /* an lq_type, or -1 */
} lq__hf_qlayer;

/* Errors: LQ_ERR_FORMAT (a missing tensor, a wrong dtype or shape, a bit
 * width other than quantization_config's: the message names the layer),
 * LQ_ERR_NOMEM. */
lq_status lq__hf_qscheme_layer(const char *fn, const lq__hf_qscheme *q, const lq__json *qcfg,
                               const lq_safetensors *st, const char *prefix, lq__hf_qlayer *L);

/* Decode the layer at prefix to floats, dst[out * in] row-major as stored
 * (the caller applies any row permutation), exactly as lq_hf_dequantize
 * does. Errors: those of lq_hf_dequantize, LQ_ERR_FORMAT for a non-finite
 * value (named). */
lq_status lq__hf_qscheme_decode(const lq__hf_qscheme *q, const lq_safetensors *st,
                                const char *prefix, const lq__hf_qlayer *L, float *dst);

/* Write the layer at prefix as L->exact blocks, dst[out][in / 32 blocks],
 * rows as stored. Q4_0 and Q8_0 decode to exactly the floats of
 * lq__hf_qscheme_decode; Q4_1 to them up to the f16 rounding of its offset
 * m = -scale * zero (doc/hf-input.md states the bound). Errors:
 * LQ_ERR_FORMAT when the data contradict what quantization_config promised
 * (a g_idx not in column order, a zero point other than 8 or 128 for a
 * symmetric layer, an offset beyond f16: named), those of the layout's
 * reader, LQ_ERR_NOMEM. */
lq_status lq__hf_qscheme_exact(const lq__hf_qscheme *q, const lq_safetensors *st,
                               const char *prefix, const lq__hf_qlayer *L, uint8_t *dst);

#endif
