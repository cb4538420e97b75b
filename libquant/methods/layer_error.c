/* layer_error.c — output errors from the calibration Hessian (layer_error.h). */
#include <cblas.h>

#include "../calib/calib.h"
#include "../core/alloc.h"
#include "../core/error.h"
#include "../kernels/blas.h"
#include "layer_error.h"

/* Rows per ssymm call: bounds the temporaries to ~8 MB. */
static int64_t row_block(int64_t n)
{
    int64_t b = ((int64_t)1 << 20) / n;
    return b < 1 ? 1 : b;
}

static lq_status quadratic(const lq_calib *c, const float *a, const float *b, int64_t rows,
                           double *out)
{
    const int64_t n = c->n, rb = row_block(n);
    float *d = lq__malloc((size_t)(rb * n) * sizeof *d);
    float *t = lq__malloc((size_t)(rb * n) * sizeof *t);
    if (!d || !t) {
        lq__free(d);
        lq__free(t);
        return lq__fail(LQ_ERR_NOMEM, "output error: out of memory");
    }
    double sum = 0;
    for (int64_t r0 = 0; r0 < rows; r0 += rb) {
        int64_t m = rows - r0 < rb ? rows - r0 : rb;
        for (int64_t i = 0; i < m * n; i++)
            d[i] = b ? a[r0 * n + i] - b[r0 * n + i] : a[r0 * n + i];
        /* t = d H, H symmetric with its upper triangle stored */
        lq__blas_serial();
        cblas_ssymm(CblasRowMajor, CblasRight, CblasUpper, (int)m, (int)n, 1.0f, c->h, (int)n, d,
                    (int)n, 0.0f, t, (int)n);
        for (int64_t i = 0; i < m * n; i++)
            sum += (double)t[i] * d[i];
    }
    lq__free(d);
    lq__free(t);
    *out = sum;
    return LQ_OK;
}

lq_status lq__hessian_error(const lq_calib *c, const float *d, int64_t rows, double *out)
{
    return quadratic(c, d, NULL, rows, out);
}

lq_status lq__hessian_error_diff(const lq_calib *c, const float *a, const float *b, int64_t rows,
                                 double *out)
{
    return quadratic(c, a, b, rows, out);
}
