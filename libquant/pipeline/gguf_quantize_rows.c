/* gguf_quantize_rows.c — the one-pass row quantization of whole-model
 * quantization (gguf_quantize_rows.h). It computes what lq_quantize computes
 * for a ggml block type (the codec's row quantizer on the same f32 values),
 * so the bytes are the same; what differs is that each row goes through
 * conversion, input check, quantization and result check while it is in the
 * cache. On a Q8_0 model the four passes over 16 MB slices were bound by
 * memory, not by arithmetic. Anything not finite sends the slice back to
 * lq_quantize, which says what and where in its own words. */
#include <math.h>
#include <stdatomic.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "../core/type_info.h"
#include "../formats/codec.h"
#include "../kernels/kernels.h"
#include "../kernels/matmul.h"
#include "gguf_quantize_rows.h"

typedef struct {
    const lq__codec *codec;
    lq__dequant_fn convert; /* src_type's row decoder */
    const uint8_t *src;
    size_t src_row_bytes, row_bytes;
    int64_t cols;
    int block_bytes;
    const float *imatrix;
    uint8_t *dst;
    _Atomic int unclean; /* something not finite was seen */
    _Atomic int nomem;
} rows_job;

bool lq__rows_fused_applies(lq_type type, int64_t cols, const float *imatrix)
{
    const lq__type_info *ti = lq__type(type);
    const lq__codec *c = lq__codec_for(type);
    return ti && c && (ti->flags & LQ__T_GGML) && c->quantize == lq__blocks_quantize &&
           c->quantize_row && cols % ti->block_elems == 0 &&
           (imatrix || !(ti->flags & LQ__T_IMATRIX));
}

size_t lq__rows_fused_bytes(lq_type type, int64_t rows, int64_t cols)
{
    const lq__type_info *ti = lq__type(type);
    return (size_t)rows * (size_t)(cols / ti->block_elems) * (size_t)ti->block_bytes;
}

/* Whether a quantized row decodes to finite values: by its blocks' f16
 * scale fields where the codec names them (finite.c says why that is the
 * same), else decoded into x (cols floats). */
static bool result_finite(const rows_job *j, const uint8_t *q, float *x)
{
    const lq__codec *c = j->codec;
    if (c->n_f16_scales == 0) {
        c->dequantize_row(q, x, j->cols);
        return lq__first_nonfinite(x, j->cols) == j->cols;
    }
    for (size_t at = 0; at < j->row_bytes; at += (size_t)j->block_bytes)
        for (int f = 0; f < c->n_f16_scales; f++)
            if ((q[at + c->f16_scale_at[f] + 1] & 0x7C) == 0x7C) /* exponent all ones */
                return false;
    return true;
}

static void rows_range(void *arg, int64_t r0, int64_t r1)
{
    rows_job *j = arg;
    if (j->unclean)
        return; /* the slice is redone anyway */
    float *x = lq__malloc((size_t)j->cols * sizeof *x);
    if (!x) {
        j->nomem = 1;
        return;
    }
    for (int64_t r = r0; r < r1; r++) {
        uint8_t *q = j->dst + (size_t)r * j->row_bytes;
        j->convert(j->src + (size_t)r * j->src_row_bytes, x, j->cols);
        if (lq__first_nonfinite(x, j->cols) < j->cols) {
            j->unclean = 1;
            break;
        }
        j->codec->quantize_row(x, q, j->cols, j->imatrix);
        if (!result_finite(j, q, x)) {
            j->unclean = 1;
            break;
        }
    }
    lq__free(x);
}

lq_status lq__rows_fused_quantize(const char *fn, const lq_ctx *ctx, lq_type src_type,
                                  const void *src, int64_t rows, int64_t cols, lq_type type,
                                  const float *imatrix, uint8_t *dst, bool *clean)
{
    *clean = false;
    if (imatrix)
        for (int64_t c = 0; c < cols; c++)
            if (!isfinite(imatrix[c]) || imatrix[c] < 0)
                return LQ_OK;
    rows_job j = {
        .codec = lq__codec_for(type),
        .convert = lq__kernels_get()->t[src_type].dequant,
        .src = src,
        .src_row_bytes = (size_t)cols * (src_type == LQ_TYPE_F32 ? 4 : 2),
        .row_bytes = lq__rows_fused_bytes(type, 1, cols),
        .cols = cols,
        .block_bytes = lq__type(type)->block_bytes,
        .imatrix = imatrix,
        .dst = dst,
    };
    /* a few rows at a time: large enough that scheduling is negligible, small
     * enough that the chunks balance over the threads */
    lq_status st = lq__parallel_for(ctx, "quantize", rows, lq__grain_for(cols, 1 << 15),
                                    rows_range, &j);
    if (st != LQ_OK)
        return st;
    if (j.nomem)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    *clean = !j.unclean;
    return LQ_OK;
}
