/* decode.h — decoding rows of any tensor with the fastest kernels there are
 * (internal). The row kernels of the kernel table serve the plain floats and
 * the ggml blocks, the linear kernels int8 and int4; every other type goes
 * through its codec. The result is bit-identical to the codec's decoding in
 * every case, so lq_dequantize_f32 may use this too. */
#ifndef LQ_KERNELS_DECODE_H
#define LQ_KERNELS_DECODE_H

#include "../formats/codec.h"
#include "../formats/linear.h"
#include "kernels.h"

typedef struct lq__row_decoder {
    enum { LQ__DECODE_ROW_KERNEL, LQ__DECODE_LINEAR, LQ__DECODE_CODEC } kind;
    const lq__kernels *kern;
    const lq__qview *view;      /* borrowed: must outlive the decoder */
    lq__dequant_fn row;         /* ROW_KERNEL */
    size_t row_bytes;           /* ROW_KERNEL */
    int lin;                    /* LINEAR: 0 int8, 1 int4 */
    lq__linear_map map;         /* LINEAR */
    const lq__codec *codec;     /* CODEC */
} lq__row_decoder;

/* Set up a decoder for view (whose layout is filled in) with table kern. */
void lq__row_decoder_init(lq__row_decoder *d, const lq__kernels *kern, const lq__qview *view);

/* Decode rows [r0, r1) into dst, row-major. Thread-safe: many threads may
 * decode disjoint or overlapping rows with one decoder. */
void lq__row_decoder_run(const lq__row_decoder *d, int64_t r0, int64_t r1, float *dst);

/* Row r of a linear int8 / int4 tensor as the linear kernels take it. */
void lq__row_decoder_lin_row(const lq__row_decoder *d, int64_t r, lq__lin_row *out);

#endif
