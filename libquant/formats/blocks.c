/* blocks.c — the generic part of every ggml block type: one plane of
 * rows x (cols / block_elems) blocks, quantized and decoded a row at a time. */
#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "../core/type_info.h"
#include "codec.h"

lq_status lq__blocks_check(const lq__qparams *qp, int64_t rows, int64_t cols)
{
    (void)rows;
    const lq__type_info *ti = lq__type(qp->type);
    if (cols % ti->block_elems != 0)
        return lq__fail(LQ_ERR_SHAPE, "%s needs rows whose length is a multiple of %d, got %lld",
                        ti->name, ti->block_elems, (long long)cols);
    return LQ_OK;
}

bool lq__blocks_layout(const lq__qparams *qp, int64_t rows, int64_t cols, lq__layout *out)
{
    const lq__type_info *ti = lq__type(qp->type);
    size_t row_bytes = (size_t)(cols / ti->block_elems) * (size_t)ti->block_bytes;
    size_t total;
    if (!lq__mul_size(row_bytes, (size_t)rows, &total))
        return false;
    return lq__layout_planes(out, 1, &total);
}

typedef struct {
    const lq__qjob *job;
    const lq__codec *codec;
    size_t row_bytes;
} blocks_q;

static void quantize_range(void *arg, int64_t r0, int64_t r1)
{
    const blocks_q *b = arg;
    const lq__qjob *j = b->job;
    for (int64_t r = r0; r < r1; r++)
        b->codec->quantize_row(j->src + r * j->cols, j->dst + (size_t)r * b->row_bytes, j->cols,
                               j->imatrix);
}

lq_status lq__blocks_quantize(const lq__qjob *job)
{
    const lq__type_info *ti = lq__type(job->qp->type);
    if ((ti->flags & LQ__T_IMATRIX) && !job->imatrix)
        return lq__fail(LQ_ERR_INVALID, "%s needs an importance matrix (lq imatrix makes one), "
                        "as in llama.cpp", ti->name);
    blocks_q b = {job, lq__codec_for(job->qp->type),
                  (size_t)(job->cols / ti->block_elems) * (size_t)ti->block_bytes};
    /* k-quant search costs ~100 ns per weight: aim for ~1 ms chunks */
    int64_t grain = lq__grain_for(job->cols, 1 << 14);
    return lq__parallel_for(job->ctx, "quantize", job->rows, grain, quantize_range, &b);
}

void lq__blocks_dequantize(const lq__qview *v, int64_t r0, int64_t r1, float *dst)
{
    const lq__type_info *ti = lq__type(v->qp->type);
    const lq__codec *c = lq__codec_for(v->qp->type);
    size_t row_bytes = (size_t)(v->cols / ti->block_elems) * (size_t)ti->block_bytes;
    for (int64_t r = r0; r < r1; r++)
        c->dequantize_row(v->data + (size_t)r * row_bytes, dst + (r - r0) * v->cols, v->cols);
}
