/* decode.h — decoding rows of any tensor with the fastest kernels there are
 * (internal). The row kernels of the kernel table serve the plain floats and
 * the ggml blocks, the linear kernels int8/int4/int3/int2, the code kernels
 * nf4/fp4 (rows made of whole blocks) and fp8; every other type goes through
 * its codec. The result is bit-identical to the codec's decoding in every
 * case, so lq_dequantize_f32 may use this too. */
#ifndef LQ_KERNELS_DECODE_H
#define LQ_KERNELS_DECODE_H

#include "../formats/codec.h"
#include "../formats/linear.h"
#include "kernels.h"

typedef struct lq__row_decoder {
    enum { LQ__DECODE_ROW_KERNEL, LQ__DECODE_LINEAR, LQ__DECODE_CODES, LQ__DECODE_CODEC } kind;
    const lq__kernels *kern;
    const lq__qview *view;      /* borrowed: must outlive the decoder */
    lq__dequant_fn row;         /* ROW_KERNEL */
    size_t row_bytes;           /* ROW_KERNEL */
    int lin;                    /* LINEAR: lq__lin_slot(bits) */
    lq__linear_map map;         /* LINEAR */
    int code_kind;              /* CODES: LQ__CODE_* */
    int64_t code_block;         /* CODES: elements per scale (cols for fp8) */
    const float *code_table;    /* CODES: the 16 values of nf4 / fp4 */
    const lq__codec *codec;     /* CODEC */
} lq__row_decoder;

/* Set up a decoder for view (whose layout is filled in) with table kern. */
void lq__row_decoder_init(lq__row_decoder *d, const lq__kernels *kern, const lq__qview *view);

/* Decode rows [r0, r1) into dst, row-major. Thread-safe: many threads may
 * decode disjoint or overlapping rows with one decoder. */
void lq__row_decoder_run(const lq__row_decoder *d, int64_t r0, int64_t r1, float *dst);

/* Row r of a linear tensor as the linear kernels take it. */
void lq__row_decoder_lin_row(const lq__row_decoder *d, int64_t r, lq__lin_row *out);

/* Code rows go to the kernels in pieces of at most this many blocks, whose
 * decoded scales the caller keeps (on its stack). */
#define LQ__CODE_PIECE_BLOCKS 64

/* Elements [c0, c0 + len) of row r of a CODES tensor as a code row, with
 * len = min(cols - c0, LQ__CODE_PIECE_BLOCKS * block) returned; c0 must be a
 * multiple of that piece length. scales receives the piece's block scales
 * and out->scales points to it. */
int64_t lq__row_decoder_code_piece(const lq__row_decoder *d, int64_t r, int64_t c0,
                                   float scales[LQ__CODE_PIECE_BLOCKS], lq__code_row *out);

#endif
