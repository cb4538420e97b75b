/* decode.c — rows of any tensor to f32 through the kernel table (decode.h). */
#include "../core/type_info.h"
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
    } else if (type == LQ_TYPE_INT8 || type == LQ_TYPE_INT4) {
        d->kind = LQ__DECODE_LINEAR;
        d->lin = type == LQ_TYPE_INT4;
        lq__linear_map_init(&d->map, view->qp, view->rows, view->cols, &view->layout);
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
    case LQ__DECODE_CODEC: d->codec->dequantize(d->view, r0, r1, dst); break;
    }
}
