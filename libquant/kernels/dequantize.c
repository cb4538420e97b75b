/* dequantize.c — decode any tensor to floats (lq_dequantize,
 * lq_dequantize_f32, and lq__to_f32 for the layers above), with the fastest
 * row decoders of the selected kernel table; the result is bit-identical to
 * the codecs' reference decoding. */
#include <string.h>

#include <lq/lq.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/half.h"
#include "../core/pool.h"
#include "../core/tensor.h"
#include "../core/type_info.h"
#include "decode.h"
#include "dequantize.h"

typedef struct {
    lq__row_decoder dec;
    int64_t cols;
    int64_t first; /* the first row decoded, at dst */
    float *dst;
} decode_job;

static void decode_range(void *arg, int64_t r0, int64_t r1)
{
    decode_job *d = arg;
    lq__row_decoder_run(&d->dec, d->first + r0, d->first + r1, d->dst + r0 * d->cols);
}

lq_status lq__decode_rows_f32(const lq_ctx *ctx, const char *fn, const lq_tensor *t, int64_t r0,
                              int64_t r1, float *dst)
{
    lq__qparams qp;
    lq__tensor_qparams(t, &qp);
    lq__qview view = {t->data, lq__tensor_rows(t), lq__tensor_cols(t), &qp, {0}};
    lq_status st = lq__codec_layout(fn, &qp, view.rows, view.cols, &view.layout);
    if (st != LQ_OK)
        return st;
    if (view.layout.total != t->nbytes)
        return lq__fail(LQ_ERR_INTERNAL, "%s: tensor '%s' holds %zu bytes, its layout %zu", fn,
                        t->name, t->nbytes, view.layout.total);
    decode_job d = {.cols = view.cols, .first = r0, .dst = dst};
    lq__row_decoder_init(&d.dec, lq__kernels_get(), &view);
    return lq__parallel_for(ctx, "dequantize", r1 - r0, lq__grain_for(view.cols, 1 << 16),
                            decode_range, &d);
}

lq_status lq__decode_f32(const lq_ctx *ctx, const char *fn, const lq_tensor *t, float *dst)
{
    return lq__decode_rows_f32(ctx, fn, t, 0, lq__tensor_rows(t), dst);
}

lq_status lq__to_f32(const lq_ctx *ctx, const char *fn, const lq_tensor *t, float **out)
{
    int64_t n = lq_tensor_numel(t);
    float *buf = lq__calloc((size_t)(n ? n : 1), sizeof *buf);
    if (!buf)
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate %lld floats for tensor '%s'", fn,
                        (long long)n, t->name);
    lq_status st = lq__decode_f32(ctx, fn, t, buf);
    if (st != LQ_OK) {
        lq__free(buf);
        return st;
    }
    *out = buf;
    return LQ_OK;
}

lq_status lq_dequantize_f32(lq_ctx *ctx, const lq_tensor *q, float *dst, int64_t count)
{
    static const char fn[] = "lq_dequantize_f32";
    if (!q || (!dst && count))
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (count != lq_tensor_numel(q))
        return lq__fail(LQ_ERR_SHAPE, "%s: tensor '%s' has %lld elements, buffer %lld", fn,
                        q->name, (long long)lq_tensor_numel(q), (long long)count);
    return lq__decode_f32(ctx, fn, q, dst);
}

lq_status lq_dequantize(lq_ctx *ctx, const lq_tensor *q, lq_type type, lq_tensor **out)
{
    static const char fn[] = "lq_dequantize";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (!q)
        return lq__fail(LQ_ERR_INVALID, "%s: tensor is NULL", fn);
    if (type != LQ_TYPE_F32 && type != LQ_TYPE_F16 && type != LQ_TYPE_BF16)
        return lq__fail(LQ_ERR_INVALID, "%s: output type must be f32, f16 or bf16", fn);
    int64_t n = lq_tensor_numel(q);
    lq_tensor *t = NULL;
    lq_status st = lq__tensor_alloc(fn, type, q->ndim, q->shape, q->name,
                                    (size_t)n * (size_t)lq__type(type)->elem_bytes, NULL, &t);
    if (st != LQ_OK)
        return st;
    if (type == LQ_TYPE_F32) {
        st = lq__decode_f32(ctx, fn, q, (float *)t->data);
    } else {
        float *tmp = NULL;
        st = lq__to_f32(ctx, fn, q, &tmp);
        uint16_t *d = (uint16_t *)t->data;
        for (int64_t i = 0; st == LQ_OK && i < n; i++)
            d[i] = type == LQ_TYPE_F16 ? lq__f32_to_f16(tmp[i]) : lq__f32_to_bf16(tmp[i]);
        lq__free(tmp);
    }
    if (st != LQ_OK) {
        lq_tensor_free(t);
        return st;
    }
    *out = t;
    return LQ_OK;
}
