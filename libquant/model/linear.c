/* linear.c — the runner's weight matrices: products through lq_matmul (or a
 * W8A8 product), rows through the codec. */
#include <math.h>
#include <string.h>

#include <lq/lq_matmul.h>
#include <lq/lq_quant.h>

#include "../core/error.h"
#include "../core/tensor.h"
#include "../kernels/dequantize.h"
#include "../kernels/matmul.h"
#include "linear.h"

lq_status lq__linear_init(lq__linear *l, const lq_tensor *t, const char *fn)
{
    memset(l, 0, sizeof *l);
    if (t->ndim != 2)
        return lq__fail(LQ_ERR_SHAPE, "%s: tensor '%s' has %d dimensions, wanted 2", fn, t->name,
                        t->ndim);
    l->t = t;
    l->scale = 1.0f;
    l->rows = t->shape[0];
    l->cols = t->shape[1];
    lq__tensor_qparams(t, &l->qp);
    int64_t method = LQ_METHOD_RTN;
    if (lq_tensor_scheme(t))
        lq_scheme_get_int(lq_tensor_scheme(t), LQ_PARAM_METHOD, &method);
    l->method = (int)method;
    l->act_flags = lq_type_ggml_id(t->type) >= 0 ? LQ_MATMUL_ACT_8BIT : LQ_MATMUL_ACT_F32;
    l->codec = lq__codec_for(l->qp.type);
    if (!l->codec)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: tensor '%s' has type %s, which this build cannot "
                        "decode", fn, t->name, lq_type_name(t->type));
    return lq__codec_layout(fn, &l->qp, l->rows, l->cols, &l->layout);
}

/* lq__matmul's flags for l's products (its arguments are the runner's, so
 * lq_matmul_v2's checks but X's are known to hold). */
static unsigned matmul_flags(const lq__linear *l)
{
    return l->act_flags | (l->f32_sums ? LQ__MATMUL_F32_SUMS : 0) | LQ__MATMUL_CHECK_X;
}

/* The file's per-tensor factor on the product y[n][rows] (ggml_mul's). */
static void apply_scale(const lq__linear *l, int64_t n, float *y)
{
    if (l->scale != 1.0f)
        for (int64_t i = 0; i < n * l->rows; i++)
            y[i] *= l->scale;
}

lq_status lq__linear_forward(lq_ctx *ctx, const lq__linear *l, const float *x, int64_t n,
                             float *y)
{
    lq_status st;
    switch (l->method) {
    case LQ_METHOD_SMOOTHQUANT: st = lq_matmul_w8a8(ctx, x, n, l->t, y); break;
    case LQ_METHOD_LLM_INT8: st = lq_matmul_llm_int8(ctx, x, n, l->t, 0, y, NULL); break;
    default: st = lq__matmul(ctx, x, n, l->t, y, matmul_flags(l)); break;
    }
    if (st == LQ_OK)
        apply_scale(l, n, y);
    return st;
}

lq_status lq__linear_forward_shared(lq_ctx *ctx, const lq__linear *const *l, int count,
                                    const float *x, int64_t n, float *const *y)
{
    bool share = count <= LQ__MATMUL_SHARED_MAX;
    const lq_tensor *w[LQ__MATMUL_SHARED_MAX];
    for (int j = 0; share && j < count; j++) {
        share = l[j]->method != LQ_METHOD_SMOOTHQUANT && l[j]->method != LQ_METHOD_LLM_INT8 &&
                l[j]->act_flags == l[0]->act_flags && l[j]->f32_sums == l[0]->f32_sums &&
                l[j]->cols == l[0]->cols;
        w[j] = l[j]->t;
    }
    if (share) { /* X checked as lq_matmul_v2 checks it, on the pool where it can */
        lq_status st = lq__matmul_shared(ctx, x, n, w, count, y, matmul_flags(l[0]));
        for (int j = 0; st == LQ_OK && j < count; j++)
            apply_scale(l[j], n, y[j]);
        return st;
    }
    lq_status st = LQ_OK;
    for (int j = 0; st == LQ_OK && j < count; j++)
        st = lq__linear_forward(ctx, l[j], x, n, y[j]);
    return st;
}

void lq__linear_row(const lq__linear *l, int64_t r, float *dst)
{
    lq__qview v = {l->t->data, l->rows, l->cols, &l->qp, l->layout};
    l->codec->dequantize(&v, r, r + 1, dst);
}
