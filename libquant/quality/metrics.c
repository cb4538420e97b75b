/* metrics.c — error metrics between a reference and an approximation. */
#include <math.h>

#include <lq/lq_quality.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/tensor.h"
#include "../kernels/dequantize.h"

lq_status lq_error_metrics(const float *ref, const float *test, int64_t n, double *out, int n_out)
{
    static const char fn[] = "lq_error_metrics";
    if (!ref || !test || !out)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (n < 1)
        return lq__fail(LQ_ERR_INVALID, "%s: n must be at least 1, got %lld", fn, (long long)n);
    if (n_out < 1 || n_out > LQ_METRIC_COUNT_V1)
        return lq__fail(LQ_ERR_INVALID, "%s: n_out %d outside 1..%d", fn, n_out, LQ_METRIC_COUNT_V1);
    double se = 0, max_abs = 0, rr = 0, tt = 0, rt = 0;
    for (int64_t i = 0; i < n; i++) {
        double r = ref[i], t = test[i];
        if (!isfinite(r) || !isfinite(t))
            return lq__fail(LQ_ERR_NONFINITE, "%s: %s[%lld] is not finite", fn,
                            isfinite(r) ? "test" : "ref", (long long)i);
        double d = r - t;
        se += d * d;
        if (fabs(d) > max_abs)
            max_abs = fabs(d);
        rr += r * r;
        tt += t * t;
        rt += r * t;
    }
    double v[LQ_METRIC_COUNT_V1];
    v[LQ_METRIC_MSE] = se / (double)n;
    v[LQ_METRIC_RMSE] = sqrt(v[LQ_METRIC_MSE]);
    v[LQ_METRIC_MAX_ABS] = max_abs;
    v[LQ_METRIC_SQNR_DB] = se == 0 ? INFINITY : rr == 0 ? -INFINITY : 10.0 * log10(rr / se);
    v[LQ_METRIC_COSINE] = rr == 0 && tt == 0 ? 1.0 : rr == 0 || tt == 0 ? 0.0 : rt / sqrt(rr * tt);
    for (int i = 0; i < n_out; i++)
        out[i] = v[i];
    return LQ_OK;
}

lq_status lq_tensor_error_metrics(lq_ctx *ctx, const lq_tensor *ref, const lq_tensor *test,
                                  double *out, int n_out)
{
    static const char fn[] = "lq_tensor_error_metrics";
    if (!ref || !test || !out)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (ref->ndim != test->ndim)
        return lq__fail(LQ_ERR_SHAPE, "%s: '%s' has %d dimensions, '%s' %d", fn, ref->name,
                        ref->ndim, test->name, test->ndim);
    for (int i = 0; i < ref->ndim; i++)
        if (ref->shape[i] != test->shape[i])
            return lq__fail(LQ_ERR_SHAPE, "%s: dimension %d differs (%lld vs %lld)", fn, i,
                            (long long)ref->shape[i], (long long)test->shape[i]);
    float *a = NULL, *b = NULL;
    lq_status st = lq__to_f32(ctx, fn, ref, &a);
    if (st == LQ_OK)
        st = lq__to_f32(ctx, fn, test, &b);
    if (st == LQ_OK)
        st = lq_error_metrics(a, b, lq_tensor_numel(ref), out, n_out);
    lq__free(a);
    lq__free(b);
    return st;
}
