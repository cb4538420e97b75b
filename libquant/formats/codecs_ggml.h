/* codecs_ggml.h — the codecs of the ggml block types (ggml_*.c). */
#ifndef LQ_FORMATS_CODECS_GGML_H
#define LQ_FORMATS_CODECS_GGML_H

#include <stddef.h>

#include "../core/type_list.h"
#include "codec.h"

/* A ggml block codec: the generic one-plane functions of blocks.c plus the
 * type's two row functions, qrow and drow. */
#define LQ__GGML_CODEC_FIELDS(qrow, drow)                                   \
    .check = lq__blocks_check, .layout = lq__blocks_layout,                 \
    .quantize = lq__blocks_quantize, .dequantize = lq__blocks_dequantize,   \
    .quantize_row = qrow, .dequantize_row = drow

#define LQ__GGML_CODEC(name, qrow, drow) \
    const lq__codec name = {LQ__GGML_CODEC_FIELDS(qrow, drow)}

/* The same for a block type whose values are finite exactly when its f16
 * fields `d` and `dmin` are (see lq__codec); `dmin` names the second field,
 * or is d again when the block has one only. */
#define LQ__GGML_CODEC_F16(name, qrow, drow, block, dmin)                            \
    const lq__codec name = {LQ__GGML_CODEC_FIELDS(qrow, drow),                       \
                            .n_f16_scales = 1 + (offsetof(block, dmin) != offsetof(block, d)), \
                            .f16_scale_at = {offsetof(block, d), offsetof(block, dmin)}}

/* lq__codec_<name> of each row of LQ__GGML_TYPES, defined with
 * LQ__GGML_CODEC(_F16) in the family's file (ggml_legacy.c, ggml_kquants.c,
 * ggml_iq4.c, ggml_ternary.c, ggml_fp4.c). */
#define LQ__DECLARE_GGML_CODEC(T, n, ...) extern const lq__codec lq__codec_##n;
LQ__GGML_TYPES(LQ__DECLARE_GGML_CODEC)
#undef LQ__DECLARE_GGML_CODEC

#endif
