/* gguf_quantize_rows.h — whole-model quantization's one-pass path for the
 * ggml block types (internal): each row of a slice is converted to f32,
 * checked, quantized and its result checked while it is in the cache,
 * instead of four passes over the whole slice (lq_quantize's convert, input
 * check, quantize, result check), each of which read 16 MB from memory. */
#ifndef LQ_PIPELINE_GGUF_QUANTIZE_ROWS_H
#define LQ_PIPELINE_GGUF_QUANTIZE_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lq/lq_core.h>
#include <lq/lq_types.h>

/* Whether rows of `cols` values quantize to `type` (by RTN, with `imatrix`
 * or NULL) on this path: a ggml block type with a row quantizer, whole
 * blocks, and an importance matrix when the type needs one. */
bool lq__rows_fused_applies(lq_type type, int64_t cols, const float *imatrix);

/* Quantize rows x cols values of `src` (src_type f32, f16 or bf16; any
 * alignment) to `type` into dst (rows whole rows of blocks), on the threads
 * of ctx (its progress too). *clean is false when an input value, an imatrix
 * weight or a result is not finite (or a weight negative): dst is then
 * partly written, and the caller redoes the rows through lq_quantize, which
 * refuses them with its message. `fn` names the caller in messages. Errors: LQ_ERR_CANCELLED, LQ_ERR_NOMEM. */
lq_status lq__rows_fused_quantize(const char *fn, const lq_ctx *ctx, lq_type src_type,
                                  const void *src, int64_t rows, int64_t cols, lq_type type,
                                  const float *imatrix, uint8_t *dst, bool *clean);

/* The bytes of rows x cols values of `type` (for which the path applies). */
size_t lq__rows_fused_bytes(lq_type type, int64_t rows, int64_t cols);

#endif
