/* w8a8.c — lq_matmul_w8a8_raw: int8 weights with per-channel scales times
 * activations quantized per row to int8, summed in int32. */
#include <math.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/pool.h"
#include "kernels.h"
#include "matmul.h"

#define W8A8_MAX_K 131072 /* 127 * 127 * 131072 < 2^31: int32 sums cannot overflow */

void lq__quant_rows_i8(const float *x, int64_t m, int64_t k, int8_t *xq, float *sx)
{
    for (int64_t i = 0; i < m; i++, x += k, xq += k) {
        float amax = 0.0f;
        for (int64_t t = 0; t < k; t++)
            amax = fmaxf(amax, fabsf(x[t]));
        float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        for (int64_t t = 0; t < k; t++)
            xq[t] = (int8_t)roundf(x[t] * id);
        sx[i] = d;
    }
}

typedef struct {
    lq__gemm_i8_fn gemm;
    const int8_t *xq, *w;
    const float *sx, *sw;
    int64_t m, n, k;
    float *y;
} w8a8_job;

static void w8a8_cols(void *arg, int64_t j0, int64_t j1)
{
    const w8a8_job *p = arg;
    p->gemm(p->m, j1 - j0, p->k, p->xq, p->sx, p->w + j0 * p->k, p->sw + j0, p->y + j0, p->n);
}

lq_status lq__w8a8_gemm(const lq_ctx *ctx, const int8_t *xq, const float *sx, int64_t m,
                        int64_t k, const int8_t *w, const float *sw, int64_t n, float *y)
{
    w8a8_job p = {lq__kernels_get()->gemm_i8, xq, w, sx, sw, m, n, k, y};
    /* Chunks of output columns: with many rows, 128 weight rows (half a MiB at
     * k = 4096, in L2) per pass over X, so that X is read n / 128 times. */
    int64_t grain = m >= 16 ? 128 : 16;
    return lq__parallel_for(ctx, "matmul_w8a8", n, grain, w8a8_cols, &p);
}

typedef struct {
    const float *x;
    int64_t k;
    int8_t *xq;
    float *sx;
} quant_job;

static void quant_rows(void *arg, int64_t i0, int64_t i1)
{
    const quant_job *q = arg;
    lq__quant_rows_i8(q->x + i0 * q->k, i1 - i0, q->k, q->xq + i0 * q->k, q->sx + i0);
}

lq_status lq_matmul_w8a8_raw(lq_ctx *ctx, const float *x, int64_t m, int64_t k, const int8_t *w,
                         const float *sw, int64_t n, float *y)
{
    static const char fn[] = "lq_matmul_w8a8_raw";
    if (m < 0 || n < 0 || k < 1 || k > W8A8_MAX_K)
        return lq__fail(LQ_ERR_INVALID, "%s: m = %lld, n = %lld, k = %lld (need m, n >= 0 and "
                        "1 <= k <= %d)", fn, (long long)m, (long long)n, (long long)k, W8A8_MAX_K);
    if (m == 0 || n == 0)
        return LQ_OK;
    if (!x || !w || !sw || !y)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (m > INT64_MAX / k)
        return lq__fail(LQ_ERR_INVALID, "%s: m * k overflows", fn);
    for (int64_t i = 0; i < m * k; i++) {
        if (!isfinite(x[i]))
            return lq__fail(LQ_ERR_NONFINITE, "%s: x[%lld, %lld] is %s", fn, (long long)(i / k),
                            (long long)(i % k), isnan(x[i]) ? "NaN" : "infinite");
    }
    size_t bytes;
    if (!lq__mul_size((size_t)m, (size_t)k, &bytes))
        return lq__fail(LQ_ERR_NOMEM, "%s: %lld x %lld activations do not fit in memory", fn,
                        (long long)m, (long long)k);
    int8_t *xq = lq__malloc(bytes);
    float *sx = lq__malloc((size_t)m * sizeof *sx);
    lq_status st = LQ_OK;
    if (!xq || !sx) {
        st = lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate the int8 activations", fn);
    } else {
        quant_job q = {x, k, xq, sx};
        st = lq__parallel_for(ctx, fn, m, lq__grain_for(k, 1 << 16), quant_rows, &q);
        if (st == LQ_OK)
            st = lq__w8a8_gemm(ctx, xq, sx, m, k, w, sw, n, y);
    }
    lq__free(xq);
    lq__free(sx);
    return st;
}
