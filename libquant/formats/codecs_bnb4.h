/* codecs_bnb4.h — the codec of nf4, fp4 (bnb4.c), and the code
 * tables that a bitsandbytes checkpoint stores beside the codes (quant_map,
 * nested_quant_map). */
#ifndef LQ_FORMATS_CODECS_BNB4_H
#define LQ_FORMATS_CODECS_BNB4_H

#include "codec.h"

extern const lq__codec lq__codec_bnb4;

/* The 16 values of LQ_TYPE_NF4 or LQ_TYPE_FP4 (any other type: nf4), indexed
 * by code, as f32 in [-1, 1]. Static; thread-safe. */
const float *lq__bnb4_code(lq_type type);

/* bitsandbytes' signed 8-bit dynamic map (256 sorted values in
 * [-0.99296875, 1]), which double quantization uses for the block absmax.
 * Built on first use; thread-safe. */
const float *lq__bnb_dynamic_map(void);

/* The absmax of blocks [first, first + count) (flattened row-major,
 * qp->block elements each) of the nf4 / fp4 tensor v as decoding multiplies
 * by them: the stored f32, or the double-quantized ones decoded, into out.
 * Thread-safe. */
void lq__bnb4_absmax(const lq__qview *v, int64_t first, int64_t count, float *out);

#endif
