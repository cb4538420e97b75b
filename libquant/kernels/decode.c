/* decode.c — rows of any tensor to f32 through the kernel table (decode.h). */
#include "../core/type_info.h"
#include "../formats/codecs_bnb4.h"
#include "../formats/codecs_fp8.h"
#include "decode.h"

void lq__row_decoder_init(lq__row_decoder *d, const lq__kernels *kern, const lq__qview *view)
{
    lq_type type = view->qp->type;
    const lq__type_info *ti = lq__type(type);
    d->kern = kern;
    d->view = view;
    d->codec = lq__codec_for(type);
    d->row = kern->t[type].dequant;
    if (d->row) {
        d->kind = LQ__DECODE_ROW_KERNEL;
        d->row_bytes = ti->flags & LQ__T_GGML
                           ? (size_t)(view->cols / ti->block_elems) * (size_t)ti->block_bytes
                           : (size_t)view->cols * (size_t)ti->elem_bytes;
    } else if (lq__linear_bits(type)) {
        d->kind = LQ__DECODE_LINEAR;
        d->lin = lq__lin_slot(lq__linear_bits(type));
        lq__linear_map_init(&d->map, view->qp, view->rows, view->cols, &view->layout);
    } else if (type == LQ_TYPE_FP8_E4M3 || type == LQ_TYPE_FP8_E5M2) {
        d->kind = LQ__DECODE_CODES;
        d->code_kind = type == LQ_TYPE_FP8_E4M3 ? LQ__CODE_E4M3 : LQ__CODE_E5M2;
        d->code_block = view->cols;
    } else if ((type == LQ_TYPE_NF4 || type == LQ_TYPE_FP4) && view->cols % view->qp->block == 0) {
        /* every row starts on a block (and a byte: blocks are even) */
        d->kind = LQ__DECODE_CODES;
        d->code_kind = LQ__CODE_4BIT;
        d->code_block = view->qp->block;
        d->code_table = lq__bnb4_code(type);
    } else {
        d->kind = LQ__DECODE_CODEC;
    }
}

void lq__row_decoder_lin_row(const lq__row_decoder *d, int64_t r, lq__lin_row *out)
{
    const lq__linear_map *m = &d->map;
    const uint8_t *data = d->view->data;
    size_t first = lq__linear_param_index(m, r, 0);
    out->codes = data + m->codes + (size_t)r * m->row_bytes;
    out->scales = data + m->scales + first * (m->scale_type == LQ_TYPE_F32 ? 4 : 2);
    out->zeros = m->sym ? NULL : data + m->zeros + first;
    out->f32_scales = m->scale_type == LQ_TYPE_F32;
    out->group = m->group;
}

int64_t lq__row_decoder_code_piece(const lq__row_decoder *d, int64_t r, int64_t c0,
                                   float scales[LQ__CODE_PIECE_BLOCKS], lq__code_row *out)
{
    const lq__qview *v = d->view;
    int64_t block = d->code_block, piece = LQ__CODE_PIECE_BLOCKS * block;
    int64_t len = v->cols - c0 < piece ? v->cols - c0 : piece;
    if (lq__code_4bit(d->code_kind)) {
        lq__bnb4_absmax(v, (r * v->cols + c0) / block, len / block, scales);
        out->codes = v->data + (size_t)(r * v->cols + c0) / 2;
    } else {
        scales[0] = lq__fp8_row_scale(v, r);
        out->codes = v->data + (size_t)(r * v->cols + c0);
    }
    out->scales = scales;
    out->table = d->code_table;
    out->block = block;
    return len;
}

void lq__row_decoder_run(const lq__row_decoder *d, int64_t r0, int64_t r1, float *dst)
{
    int64_t k = d->view->cols;
    switch (d->kind) {
    case LQ__DECODE_ROW_KERNEL:
        for (int64_t r = r0; r < r1; r++, dst += k)
            d->row(d->view->data + (size_t)r * d->row_bytes, dst, k);
        break;
    case LQ__DECODE_LINEAR:
        for (int64_t r = r0; r < r1; r++, dst += k) {
            lq__lin_row row;
            lq__row_decoder_lin_row(d, r, &row);
            d->kern->lin_dequant[d->lin](k, &row, dst);
        }
        break;
    case LQ__DECODE_CODES:
        for (int64_t r = r0; r < r1; r++, dst += k) {
            float scales[LQ__CODE_PIECE_BLOCKS];
            lq__code_row row;
            for (int64_t c0 = 0, len; c0 < k; c0 += len) {
                len = lq__row_decoder_code_piece(d, r, c0, scales, &row);
                d->kern->code_dequant[d->code_kind](len, &row, dst + c0);
            }
        }
        break;
    case LQ__DECODE_CODEC: d->codec->dequantize(d->view, r0, r1, dst); break;
    }
}
