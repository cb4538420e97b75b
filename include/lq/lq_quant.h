/*
 * lq_quant.h — quantize a float tensor and dequantize it back.
 *
 * Weights are 2-D [rows, cols] = [out_features, in_features]; groups and
 * blocks run along a row. A 1-D tensor is one row; 3-D and 4-D tensors are
 * treated as a stack of rows (every dimension but the last multiplied
 * together). Stable tier (LIBQUANT_0).
 */
#ifndef LQ_QUANT_H
#define LQ_QUANT_H

#include <lq/lq_core.h>
#include <lq/lq_scheme.h>
#include <lq/lq_tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A calibration set: activation statistics for one linear layer's input, which
 * the error-compensating methods (gptq, awq, smoothquant, llm_int8) need. Its
 * constructor and filling calls are in <lq/lq_calib.h>. */
typedef struct lq_calib lq_calib;

/* CONSTRUCTOR. Quantize `src` (f32, f16 or bf16) with `scheme` into a new
 * tensor *out that owns its bytes, has the same name and shape, type
 * lq_scheme's type, and keeps a copy of the scheme.
 *
 * `ctx` (may be NULL) sets threads and progress; `calib` (may be NULL) is
 * required by gptq and awq and ignored by the others (smoothquant and
 * llm_int8 quantize the weights per row here; their activation-side parts
 * take the calibration set in their own calls, <lq/lq_methods.h>); `imatrix` (may be
 * NULL) is an array of cols positive floats that weights the error of each
 * column for the ggml block formats, as llama.cpp's --imatrix does (other types
 * ignore it).
 *
 * Non-finite input (NaN, ±Inf) is rejected with LQ_ERR_NONFINITE and a message
 * giving the first bad element's row and column; nothing is produced. So is
 * finite input whose result would not be finite, for every type alike: values
 * too large for the type's scales (1e30 in any type with f16 scales, or in f16
 * itself; about 1e5 in q5_1), where llama.cpp writes infinities; the message
 * names the tensor and the first such row.
 *
 * Errors: LQ_ERR_INVALID (NULL src/scheme/out, src not f32/f16/bf16, a
 * method that needs calibration without one, a calibration set of the wrong
 * width), LQ_ERR_SHAPE (row length not a multiple of the group or block size),
 * LQ_ERR_NONFINITE, LQ_ERR_UNSUPPORTED (a method not available in this build),
 * LQ_ERR_NOMEM, LQ_ERR_CANCELLED (progress callback asked to stop), LQ_ERR_NUMERIC.
 * On error *out is set to NULL. Thread safety: src, scheme, calib and imatrix
 * are only read, so several threads may quantize from them at once, each with
 * its own ctx. */
LQ_API lq_status lq_quantize(lq_ctx *ctx, const lq_tensor *src,
                             const lq_scheme *scheme, const lq_calib *calib,
                             const float *imatrix, lq_tensor **out);

/* CONSTRUCTOR. Decode any tensor (quantized or plain numeric) to a new tensor
 * of `type` (LQ_TYPE_F32, LQ_TYPE_F16 or LQ_TYPE_BF16) with the same name and
 * shape. Errors: LQ_ERR_INVALID, LQ_ERR_UNSUPPORTED (a type that does not
 * decode to numbers), LQ_ERR_NOMEM, LQ_ERR_CANCELLED. */
LQ_API lq_status lq_dequantize(lq_ctx *ctx, const lq_tensor *q, lq_type type,
                               lq_tensor **out);

/* Decode into the caller's buffer of `count` floats, which must equal
 * lq_tensor_numel(q). Errors: LQ_ERR_INVALID, LQ_ERR_SHAPE (count differs),
 * LQ_ERR_UNSUPPORTED, LQ_ERR_CANCELLED. */
LQ_API lq_status lq_dequantize_f32(lq_ctx *ctx, const lq_tensor *q, float *dst,
                                   int64_t count);

/* CONSTRUCTOR. A quantized tensor over bytes that are already in `scheme`'s
 * layout (doc/formats.md), for example blocks read from a file or the output of
 * another program. `nbytes` must equal lq_scheme_tensor_bytes for the shape.
 * LQ_BORROW keeps the pointer (the caller keeps the bytes alive and unchanged
 * until lq_tensor_free); LQ_COPY copies them. The bytes are not validated
 * beyond their size: decoding garbage gives garbage numbers, never a crash.
 * Errors: LQ_ERR_INVALID (NULL arguments, a bad shape or mode, a method other
 * than rtn), LQ_ERR_SHAPE (nbytes or the row length do not fit the scheme),
 * LQ_ERR_NOMEM. */
LQ_API lq_status lq_tensor_wrap_quantized(const lq_scheme *scheme, int ndim, const int64_t *shape,
                                          const void *data, size_t nbytes,
                                          int mode, const char *name, lq_tensor **out);

/* The scheme a quantized tensor was made with (borrowed: valid while the
 * tensor lives; do not free or modify). NULL for plain tensors. */
LQ_API const lq_scheme *lq_tensor_scheme(const lq_tensor *t);

#ifdef __cplusplus
}
#endif
#endif /* LQ_QUANT_H */
