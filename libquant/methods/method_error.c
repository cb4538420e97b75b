/* method_error.c — lq_method_error: a method's relative output error on its
 * calibration set next to plain round-to-nearest (doc/methods.md). */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include <lq/lq_matmul.h>

#include "../calib/calib.h"
#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/tensor.h"
#include "../kernels/blas.h"
#include "../kernels/dequantize.h"
#include "awq.h"
#include "layer_error.h"
#include "methods.h"

typedef struct {
    lq_ctx *ctx;
    const lq_tensor *src;
    const lq_scheme *scheme;
    const lq_calib *calib;
    const float *w; /* src as f32 */
    int64_t rows, cols;
} report;

/* An f32 tensor over `data` with src's name and shape (borrowed). */
static lq_status wrap(const report *r, const float *data, lq_tensor **out)
{
    int64_t shape[2] = {r->rows, r->cols};
    return lq_tensor_wrap(LQ_TYPE_F32, 2, shape, data, (size_t)(r->rows * r->cols) * sizeof(float),
                          LQ_BORROW, r->src->name, out);
}

/* ||X (What - W)^T||^2 / ||X W^T||^2 from the Hessian. */
static lq_status hessian_ratio(const report *r, const float *what, double *out)
{
    double num, den;
    lq_status st = lq__hessian_error_diff(r->ctx, r->calib, what, r->w, r->rows, &num);
    if (st == LQ_OK)
        st = lq__hessian_error(r->ctx, r->calib, r->w, r->rows, &den);
    if (st == LQ_OK)
        *out = den > 0 ? num / den : (num > 0 ? INFINITY : 0.0);
    return st;
}

/* Quantize w (f32 [rows, cols]) with s and decode it into what, undoing a
 * gptq column order. */
static lq_status quantize_decode(const report *r, const lq_scheme *s, const lq_calib *calib,
                                 const float *w, float *what)
{
    lq_tensor *t = NULL, *q = NULL;
    int32_t *perm = lq__malloc((size_t)r->cols * sizeof *perm);
    float *tmp = lq__malloc((size_t)(r->rows * r->cols) * sizeof *tmp);
    lq_status st = perm && tmp ? wrap(r, w, &t) : lq__fail(LQ_ERR_NOMEM, "out of memory");
    if (st == LQ_OK)
        st = s->method == LQ_METHOD_GPTQ ? lq_gptq_quantize(r->ctx, t, s, calib, &q, perm)
                                         : lq_quantize(r->ctx, t, s, calib, NULL, &q);
    if (st == LQ_OK)
        st = lq_dequantize_f32(r->ctx, q, tmp, r->rows * r->cols);
    for (int64_t i = 0; st == LQ_OK && i < r->rows; i++)
        for (int64_t j = 0; j < r->cols; j++) /* stored column j is source column perm[j] */
            what[i * r->cols + (s->method == LQ_METHOD_GPTQ ? perm[j] : j)] = tmp[i * r->cols + j];
    lq_tensor_free(q);
    lq_tensor_free(t);
    lq__free(perm);
    lq__free(tmp);
    return st;
}

/* AWQ on this layer alone: search s, scale the weight and the calibration
 * set, clip and quantize, and undo the scale: What = Q(W diag(s)) diag(s)^-1. */
static lq_status awq_weights(const report *r, float *what)
{
    lq__layout layout;
    lq__linear_map m;
    lq_status st = lq__codec_layout("awq", &r->scheme->qp, r->rows, r->cols, &layout);
    if (st != LQ_OK)
        return st;
    lq__linear_map_init(&m, &r->scheme->qp, r->rows, r->cols, &layout);
    float *s = lq__malloc((size_t)r->cols * sizeof *s);
    float *inv = lq__malloc((size_t)r->cols * sizeof *inv);
    float *ws = lq__malloc((size_t)(r->rows * r->cols) * sizeof *ws);
    lq_calib *cs = lq__calib_clone(r->calib);
    lq_tensor *w = NULL;
    if (!s || !inv || !ws || !cs)
        st = lq__fail(LQ_ERR_NOMEM, "awq: out of memory");
    if (st == LQ_OK)
        st = wrap(r, r->w, &w);
    if (st == LQ_OK)
        st = lq__awq_search(r->ctx, &m, r->calib, (const lq_tensor *const *)&w, 1, s);
    lq_tensor_free(w);
    for (int64_t j = 0; st == LQ_OK && j < r->cols; j++)
        inv[j] = 1.0f / s[j];
    for (int64_t i = 0; st == LQ_OK && i < r->rows * r->cols; i++)
        ws[i] = r->w[i] * s[i % r->cols];
    if (st == LQ_OK)
        st = lq_calib_scale_channels(cs, inv);
    if (st == LQ_OK)
        st = quantize_decode(r, r->scheme, cs, ws, what);
    for (int64_t i = 0; st == LQ_OK && i < r->rows * r->cols; i++)
        what[i] *= inv[i % r->cols];
    lq__free(s);
    lq__free(inv);
    lq__free(ws);
    lq_calib_free(cs);
    return st;
}

/* Relative squared error of y against the float product x w^T (sgemm). */
static lq_status w8a8_ratio(const report *r, const float *x, int64_t n, const float *y,
                            double *out)
{
    float *ref = lq__malloc((size_t)(n * r->rows) * sizeof *ref);
    if (!ref)
        return lq__fail(LQ_ERR_NOMEM, "out of memory");
    lq__blas_serial();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)r->rows, (int)r->cols, 1.0f,
                x, (int)r->cols, r->w, (int)r->cols, 0.0f, ref, (int)r->rows);
    double num = 0, den = 0;
    for (int64_t i = 0; i < n * r->rows; i++) {
        double d = (double)ref[i] - y[i];
        num += d * d;
        den += (double)ref[i] * ref[i];
    }
    lq__free(ref);
    *out = den > 0 ? num / den : (num > 0 ? INFINITY : 0.0);
    return LQ_OK;
}

/* W8A8 of x and w (f32 [rows, cols]) through the int8 weights of `s`;
 * llm_int8 decomposes the outlier columns when `mixed`. */
static lq_status w8a8_product(const report *r, const float *x, int64_t n, const float *w,
                              int mixed, float *y)
{
    lq_tensor *t = NULL, *q = NULL;
    lq_status st = wrap(r, w, &t);
    if (st == LQ_OK)
        st = lq_quantize(r->ctx, t, r->scheme, NULL, NULL, &q);
    if (st == LQ_OK)
        st = mixed ? lq_matmul_llm_int8(r->ctx, x, n, q, 0.0, y, NULL)
                   : lq_matmul_w8a8(r->ctx, x, n, q, y);
    lq_tensor_free(q);
    lq_tensor_free(t);
    return st;
}

static lq_status w8a8_errors(const report *r, double *err_method, double *err_rtn)
{
    const int64_t n = r->calib->nsamples, cols = r->cols;
    if (n == 0)
        return lq__fail(LQ_ERR_INVALID, "the calibration set keeps no sample rows");
    const float *x = r->calib->samples;
    float *y = lq__malloc((size_t)(n * r->rows) * sizeof *y);
    float *xs = lq__malloc((size_t)(n * cols) * sizeof *xs);
    float *ws = lq__malloc((size_t)(r->rows * cols) * sizeof *ws);
    float *s = lq__malloc((size_t)cols * sizeof *s);
    lq_status st = y && xs && ws && s ? LQ_OK : lq__fail(LQ_ERR_NOMEM, "out of memory");
    /* the baseline: int8 weights and tokens, nothing moved or kept in float */
    if (st == LQ_OK)
        st = w8a8_product(r, x, n, r->w, 0, y);
    if (st == LQ_OK)
        st = w8a8_ratio(r, x, n, y, err_rtn);
    if (st == LQ_OK && r->scheme->method == LQ_METHOD_LLM_INT8) {
        st = w8a8_product(r, x, n, r->w, 1, y);
    } else if (st == LQ_OK) {
        st = lq_smoothquant_scales(r->scheme, r->calib, &r->src, 1, s);
        for (int64_t i = 0; st == LQ_OK && i < n * cols; i++)
            xs[i] = x[i] / s[i % cols];
        for (int64_t i = 0; st == LQ_OK && i < r->rows * cols; i++)
            ws[i] = r->w[i] * s[i % cols];
        if (st == LQ_OK)
            st = w8a8_product(r, xs, n, ws, 0, y);
    }
    if (st == LQ_OK)
        st = w8a8_ratio(r, x, n, y, err_method);
    lq__free(y);
    lq__free(xs);
    lq__free(ws);
    lq__free(s);
    return st;
}

lq_status lq_method_error(lq_ctx *ctx, const lq_tensor *src, const lq_scheme *scheme,
                          const lq_calib *calib, double *err_method, double *err_rtn)
{
    static const char fn[] = "lq_method_error";
    if (!src || !scheme || !calib || !err_method || !err_rtn)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (src->ndim != 2)
        return lq__fail(LQ_ERR_SHAPE, "%s: tensor '%s' is not 2-D", fn, src->name);
    lq_status st = lq__calib_check(fn, calib, src->shape[1]);
    if (st != LQ_OK)
        return st;
    report r = {ctx, src, scheme, calib, NULL, src->shape[0], src->shape[1]};
    float *w = NULL, *what = NULL;
    lq_scheme rtn = *scheme;
    rtn.method = LQ_METHOD_RTN;
    rtn.act_order = rtn.static_groups = 0;
    st = lq__to_f32(ctx, fn, src, &w);
    r.w = w;
    if (st == LQ_OK && !(what = lq__malloc((size_t)(r.rows * r.cols + 1) * sizeof *what)))
        st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    switch (scheme->method) {
    case LQ_METHOD_SMOOTHQUANT:
    case LQ_METHOD_LLM_INT8:
        if (st == LQ_OK)
            st = w8a8_errors(&r, err_method, err_rtn);
        break;
    default:
        if (st == LQ_OK)
            st = scheme->method == LQ_METHOD_AWQ ? awq_weights(&r, what)
                                                 : quantize_decode(&r, scheme, calib, w, what);
        if (st == LQ_OK)
            st = hessian_ratio(&r, what, err_method);
        if (st == LQ_OK)
            st = quantize_decode(&r, &rtn, NULL, w, what);
        if (st == LQ_OK)
            st = hessian_ratio(&r, what, err_rtn);
    }
    if (st != LQ_OK && st != LQ_ERR_CANCELLED && strncmp(lq_last_error(), fn, sizeof fn - 1) != 0)
        lq__error_prefix(fn);
    lq__free(w);
    lq__free(what);
    return st;
}
