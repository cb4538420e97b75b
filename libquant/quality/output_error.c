/* output_error.c — relative output error of a linear layer, ||XW^T - XWq^T|| / ||XW^T||. */
#include <cblas.h>
#include <math.h>

#include <lq/lq_quality.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/tensor.h"
#include "../kernels/blas.h"
#include "../kernels/dequantize.h"

/* Rows of X per sgemm call: bounds the temporary outputs to ~16 MB. */
static int64_t token_block(int64_t out_features)
{
    int64_t b = ((int64_t)1 << 22) / (out_features ? out_features : 1);
    return b < 1 ? 1 : b;
}

lq_status lq_output_error(lq_ctx *ctx, const lq_tensor *w, const lq_tensor *wq, const float *x,
                          int64_t tokens, double *out)
{
    static const char fn[] = "lq_output_error";
    if (!w || !wq || !x || !out)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (tokens < 1)
        return lq__fail(LQ_ERR_INVALID, "%s: tokens must be at least 1", fn);
    if (w->ndim != 2 || wq->ndim != 2 || w->shape[0] != wq->shape[0] || w->shape[1] != wq->shape[1])
        return lq__fail(LQ_ERR_SHAPE, "%s: w and wq must both be [out, in] of the same shape", fn);
    int64_t n_out = w->shape[0], n_in = w->shape[1];
    for (int64_t i = 0; i < tokens * n_in; i++)
        if (!isfinite(x[i]))
            return lq__fail(LQ_ERR_NONFINITE, "%s: x[%lld] is not finite", fn, (long long)i);

    float *a = NULL, *b = NULL, *ya = NULL, *yb = NULL;
    int64_t tb = token_block(n_out);
    lq_status st = lq__to_f32(ctx, fn, w, &a);
    if (st == LQ_OK)
        st = lq__to_f32(ctx, fn, wq, &b);
    if (st == LQ_OK) {
        ya = lq__calloc((size_t)(tb * n_out), sizeof *ya);
        yb = lq__calloc((size_t)(tb * n_out), sizeof *yb);
        if (!ya || !yb)
            st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    double num = 0, den = 0;
    for (int64_t t0 = 0; st == LQ_OK && t0 < tokens; t0 += tb) {
        int64_t m = tokens - t0 < tb ? tokens - t0 : tb;
        const float *xb = x + t0 * n_in;
        lq__blas_serial();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n_out, (int)n_in, 1.0f,
                    xb, (int)n_in, a, (int)n_in, 0.0f, ya, (int)n_out);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n_out, (int)n_in, 1.0f,
                    xb, (int)n_in, b, (int)n_in, 0.0f, yb, (int)n_out);
        for (int64_t i = 0; i < m * n_out; i++) {
            double d = (double)ya[i] - yb[i];
            num += d * d;
            den += (double)ya[i] * ya[i];
        }
    }
    if (st == LQ_OK)
        *out = den > 0 ? sqrt(num / den) : (num > 0 ? INFINITY : 0.0);
    lq__free(a);
    lq__free(b);
    lq__free(ya);
    lq__free(yb);
    return st;
}
