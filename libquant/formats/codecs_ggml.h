/* codecs_ggml.h — the codec table rows for the ggml block types (ggml_*.c). */
#ifndef LQ_FORMATS_CODECS_GGML_H
#define LQ_FORMATS_CODECS_GGML_H

#include "codec.h"

/* A ggml block codec: the generic one-plane functions of blocks.c plus the
 * type's two row functions. */
#define LQ__GGML_CODEC(name, quantize_row, dequantize_row)                             \
    const lq__codec name = {lq__blocks_check, lq__blocks_layout, lq__blocks_quantize, \
                            lq__blocks_dequantize, quantize_row, dequantize_row}

extern const lq__codec lq__codec_q4_0, lq__codec_q4_1, lq__codec_q5_0, lq__codec_q5_1,
    lq__codec_q8_0, lq__codec_q8_1, lq__codec_q2_k, lq__codec_q3_k, lq__codec_q4_k,
    lq__codec_q5_k, lq__codec_q6_k, lq__codec_q8_k, lq__codec_iq4_nl, lq__codec_iq4_xs;

#define LQ__CODECS_GGML                  \
    [LQ_TYPE_Q4_0] = &lq__codec_q4_0,     \
    [LQ_TYPE_Q4_1] = &lq__codec_q4_1,     \
    [LQ_TYPE_Q5_0] = &lq__codec_q5_0,     \
    [LQ_TYPE_Q5_1] = &lq__codec_q5_1,     \
    [LQ_TYPE_Q8_0] = &lq__codec_q8_0,     \
    [LQ_TYPE_Q8_1] = &lq__codec_q8_1,     \
    [LQ_TYPE_Q2_K] = &lq__codec_q2_k,     \
    [LQ_TYPE_Q3_K] = &lq__codec_q3_k,     \
    [LQ_TYPE_Q4_K] = &lq__codec_q4_k,     \
    [LQ_TYPE_Q5_K] = &lq__codec_q5_k,     \
    [LQ_TYPE_Q6_K] = &lq__codec_q6_k,     \
    [LQ_TYPE_Q8_K] = &lq__codec_q8_k,     \
    [LQ_TYPE_IQ4_NL] = &lq__codec_iq4_nl, \
    [LQ_TYPE_IQ4_XS] = &lq__codec_iq4_xs,

#endif
