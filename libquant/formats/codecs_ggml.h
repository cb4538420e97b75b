/* codecs_ggml.h — the codecs of the ggml block types (ggml_*.c). */
#ifndef LQ_FORMATS_CODECS_GGML_H
#define LQ_FORMATS_CODECS_GGML_H

#include "../core/type_list.h"
#include "codec.h"

/* A ggml block codec: the generic one-plane functions of blocks.c plus the
 * type's two row functions. */
#define LQ__GGML_CODEC(name, quantize_row, dequantize_row)                             \
    const lq__codec name = {lq__blocks_check, lq__blocks_layout, lq__blocks_quantize, \
                            lq__blocks_dequantize, quantize_row, dequantize_row}

/* lq__codec_<name> of each row of LQ__GGML_TYPES, defined with
 * LQ__GGML_CODEC in the family's file (ggml_legacy.c, ggml_kquants.c,
 * ggml_iq4.c, ggml_ternary.c, ggml_fp4.c). */
#define LQ__DECLARE_GGML_CODEC(T, n, ...) extern const lq__codec lq__codec_##n;
LQ__GGML_TYPES(LQ__DECLARE_GGML_CODEC)
#undef LQ__DECLARE_GGML_CODEC

#endif
