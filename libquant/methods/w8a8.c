/* w8a8.c — the int8 x int8 methods: SmoothQuant (Xiao et al. 2022) and
 * LLM.int8() (Dettmers et al. 2022) (doc/methods.md; algorithms.md 3.5, 5).
 *
 * Both store weights the same way, per output row with absmax / 127 scales
 * (SmoothQuant's W8A8Linear and bitsandbytes' SCB), in the int8:channel:sym
 * layout (codes offset by 128). What differs is the activation side:
 * SmoothQuant divides the activations by per-channel scales moved into the
 * previous norm (lq_smoothquant_scales, lq_scales_apply), then every token is
 * quantized to int8 (lq_matmul_w8a8); LLM.int8 keeps the columns with
 * outliers in float (lq_matmul_llm_int8). The int8 products are the kernels'
 * (lq__w8a8_gemm), so their activation rounding is theirs. */
#include <math.h>
#include <string.h>

#include "../calib/calib.h"
#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/tensor.h"
#include "../kernels/dequantize.h"
#include "../formats/linear.h"
#include "../kernels/matmul.h"
#include "methods.h"
#include "w8a8.h"

/* ---- the weights ---------------------------------------------------------- */

static lq_status w8_run(const lq__method_job *job)
{
    const lq__qjob *q = &job->q;
    lq__linear_map m;
    lq__linear_map_init(&m, q->qp, q->rows, q->cols, q->layout);
    for (int64_t r = 0; r < q->rows; r++) {
        const float *x = q->src + r * q->cols;
        float amax = 0.0f;
        for (int64_t j = 0; j < q->cols; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        lq__linear_param p = {lq__scale_round(m.scale_type, amax / 127.0f), 128};
        if (!isfinite(p.scale))
            return lq__fail(LQ_ERR_NUMERIC, "row %lld: a scale of %g does not fit f16; use "
                            "scale=f32", (long long)r, amax / 127.0);
        lq__linear_store_param(q->dst, &m, (size_t)r, p);
        uint8_t *codes = q->dst + m.codes + (size_t)r * m.row_bytes;
        for (int64_t j = 0; j < q->cols; j++) {
            /* +-127 only: the f16 scale may round down a little */
            float v = p.scale > 0.0f ? nearbyintf(x[j] / p.scale) : 0.0f;
            codes[j] = (uint8_t)(128 + (int)fminf(fmaxf(v, -127.0f), 127.0f));
        }
    }
    return LQ_OK;
}

const lq__method lq__method_smoothquant = {0, w8_run, 0};
const lq__method lq__method_llm_int8 = {0, w8_run, 0};

lq_status lq__w8_weights(const char *fn, const lq_tensor *w, int8_t *codes, float *scales)
{
    const lq_scheme *s = w->scheme;
    if (!s || s->qp.type != LQ_TYPE_INT8 || s->qp.group != LQ_GROUP_CHANNEL || !s->qp.sym ||
        w->ndim != 2)
        return lq__fail(LQ_ERR_INVALID, "%s: tensor '%s' is not a 2-D int8:channel:sym weight", fn,
                        w->name);
    lq__layout layout;
    lq_status st = lq__codec_layout(fn, &s->qp, w->shape[0], w->shape[1], &layout);
    if (st != LQ_OK)
        return st;
    lq__linear_map m;
    lq__linear_map_init(&m, &s->qp, w->shape[0], w->shape[1], &layout);
    for (int64_t r = 0; r < m.rows; r++) {
        scales[r] = lq__linear_load_param(w->data, &m, (size_t)r).scale;
        const uint8_t *row = w->data + m.codes + (size_t)r * m.row_bytes;
        for (int64_t j = 0; j < m.cols; j++)
            codes[r * m.cols + j] = (int8_t)(row[j] - 128);
    }
    return LQ_OK;
}

/* ---- SmoothQuant scales ----------------------------------------------------- */

lq_status lq_smoothquant_scales(const lq_scheme *scheme, const lq_calib *calib,
                                const lq_tensor *const *w, int n, float *scales)
{
    static const char fn[] = "lq_smoothquant_scales";
    if (!scheme || !calib || !w || !scales || n < 1)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument or no weights", fn);
    if (scheme->method != LQ_METHOD_SMOOTHQUANT)
        return lq__fail(LQ_ERR_INVALID, "%s: '%s' is not a smoothquant scheme", fn, scheme->text);
    const int64_t cols = calib->n;
    float *wmax = lq__calloc((size_t)cols, sizeof *wmax);
    if (!wmax)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    lq_status st = LQ_OK;
    for (int i = 0; st == LQ_OK && i < n; i++) {
        float *wf = NULL;
        if (!w[i])
            st = lq__fail(LQ_ERR_INVALID, "%s: weight %d is NULL", fn, i);
        else if (w[i]->ndim != 2)
            st = lq__fail(LQ_ERR_SHAPE, "%s: weight %d is not 2-D", fn, i);
        else if ((st = lq__calib_check(fn, calib, w[i]->shape[1])) == LQ_OK)
            st = lq__to_f32(NULL, fn, w[i], &wf);
        for (int64_t r = 0; st == LQ_OK && r < w[i]->shape[0]; r++)
            for (int64_t j = 0; j < cols; j++)
                wmax[j] = fmaxf(wmax[j], fabsf(wf[r * cols + j]));
        lq__free(wf);
    }
    float alpha = (float)scheme->alpha;
    for (int64_t j = 0; st == LQ_OK && j < cols; j++) {
        float s = powf(calib->max_abs[j], alpha) / powf(fmaxf(wmax[j], 1e-5f), 1.0f - alpha);
        scales[j] = fmaxf(s, 1e-5f);
    }
    lq__free(wmax);
    return st;
}

/* ---- products --------------------------------------------------------------- */

/* Check x and w; then codes [out, in] and scales [out] of w. */
static lq_status open_weights(const char *fn, const float *x, int64_t tokens, const lq_tensor *w,
                              const float *y, int8_t **codes, float **scales)
{
    *codes = NULL;
    *scales = NULL;
    if (!x || !w || !y || tokens < 0)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument or negative token count", fn);
    if (w->ndim != 2)
        return lq__fail(LQ_ERR_SHAPE, "%s: the weight is not 2-D", fn);
    int64_t out = w->shape[0], in = w->shape[1];
    if (in > 0 && tokens > INT64_MAX / in)
        return lq__fail(LQ_ERR_INVALID, "%s: %lld tokens overflow", fn, (long long)tokens);
    for (int64_t i = 0; i < tokens * in; i++)
        if (!isfinite(x[i]))
            return lq__fail(LQ_ERR_NONFINITE, "%s: x[%lld, %lld] is not finite", fn,
                            (long long)(i / in), (long long)(i % in));
    *codes = lq__malloc((size_t)(out * in + 1));
    *scales = lq__malloc((size_t)(out + 1) * sizeof **scales);
    if (!*codes || !*scales)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    return lq__w8_weights(fn, w, *codes, *scales);
}

lq_status lq_matmul_w8a8(lq_ctx *ctx, const float *x, int64_t tokens, const lq_tensor *w, float *y)
{
    static const char fn[] = "lq_matmul_w8a8";
    int8_t *codes;
    float *scales;
    lq_status st = open_weights(fn, x, tokens, w, y, &codes, &scales);
    if (st == LQ_OK)
        st = lq_matmul_w8a8_raw(ctx, x, tokens, w->shape[1], codes, scales, w->shape[0], y);
    lq__free(codes);
    lq__free(scales);
    return st;
}

lq_status lq__llm_int8(lq_ctx *ctx, const float *x, int64_t tokens, const int8_t *codes,
                       const float *scales, int64_t out, int64_t in, double threshold, float *y,
                       int64_t *n_outliers)
{
    uint8_t *outlier = lq__calloc((size_t)in, 1);
    int32_t *cols = lq__malloc((size_t)in * sizeof *cols);
    float *xi = lq__malloc((size_t)(tokens * in + 1) * sizeof *xi);
    int8_t *xq = lq__malloc((size_t)(tokens * in + 1));
    float *sx = lq__malloc((size_t)(tokens + 1) * sizeof *sx);
    if (!outlier || !cols || !xi || !xq || !sx) {
        lq__free(outlier), lq__free(cols), lq__free(xi), lq__free(xq), lq__free(sx);
        return lq__fail(LQ_ERR_NOMEM, "llm_int8: out of memory");
    }
    /* a column is an outlier when any of its values reaches the threshold */
    for (int64_t i = 0; i < tokens * in; i++)
        if (fabsf(x[i]) >= threshold)
            outlier[i % in] = 1;
    int64_t no = 0;
    for (int64_t j = 0; j < in; j++)
        if (outlier[j])
            cols[no++] = (int32_t)j;
    /* int8 path with the outlier columns zeroed (they then also leave each
     * token's absmax), as bitsandbytes does */
    for (int64_t i = 0; i < tokens * in; i++)
        xi[i] = outlier[i % in] ? 0.0f : x[i];
    lq__quant_rows_i8(xi, tokens, in, xq, sx);
    lq_status st = lq__w8a8_gemm(ctx, xq, sx, tokens, in, codes, scales, out, y);
    /* float path: x[:, outliers] times the dequantized weight columns */
    for (int64_t t = 0; st == LQ_OK && t < tokens; t++)
        for (int64_t r = 0; r < out; r++) {
            float acc = 0.0f;
            for (int64_t k = 0; k < no; k++)
                acc += x[t * in + cols[k]] * ((float)codes[r * in + cols[k]] * scales[r]);
            y[t * out + r] += acc;
        }
    if (n_outliers)
        *n_outliers = no;
    lq__free(outlier), lq__free(cols), lq__free(xi), lq__free(xq), lq__free(sx);
    return st;
}

lq_status lq_matmul_llm_int8(lq_ctx *ctx, const float *x, int64_t tokens, const lq_tensor *w,
                             double threshold, float *y, int64_t *n_outliers)
{
    static const char fn[] = "lq_matmul_llm_int8";
    if (!isfinite(threshold))
        return lq__fail(LQ_ERR_INVALID, "%s: threshold is not finite", fn);
    int8_t *codes;
    float *scales;
    lq_status st = open_weights(fn, x, tokens, w, y, &codes, &scales);
    if (st == LQ_OK && threshold <= 0)
        threshold = w->scheme->method == LQ_METHOD_LLM_INT8 ? w->scheme->threshold : 6.0;
    if (st == LQ_OK && w->shape[1] > 131072)
        st = lq__fail(LQ_ERR_INVALID, "%s: %lld inputs; int32 sums allow 131072", fn,
                      (long long)w->shape[1]);
    if (st == LQ_OK)
        st = lq__llm_int8(ctx, x, tokens, codes, scales, w->shape[0], w->shape[1], threshold, y,
                          n_outliers);
    lq__free(codes);
    lq__free(scales);
    return st;
}
