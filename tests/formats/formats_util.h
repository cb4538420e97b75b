/* formats_util.h — quantize and decode float arrays through the public API,
 * for the format tests. */
#ifndef LQ_TESTS_FORMATS_UTIL_H
#define LQ_TESTS_FORMATS_UTIL_H

#include "../harness.h"

/* Quantize rows x cols floats with `scheme` on `threads` threads (0: all).
 * Returns the status; *out is the tensor on success. */
static inline lq_status fu_quantize(const char *scheme, const float *x, int64_t rows, int64_t cols,
                                    int threads, lq_tensor **out)
{
    int64_t shape[2] = {rows, cols};
    lq_tensor *src = NULL;
    lq_scheme *s = NULL;
    lq_ctx *ctx = NULL;
    *out = NULL;
    lq_status st = lq_scheme_parse(scheme, &s);
    if (st == LQ_OK)
        st = lq_tensor_wrap(LQ_TYPE_F32, 2, shape, x, (size_t)(rows * cols) * sizeof(float), LQ_BORROW,
                            "w", &src);
    if (st == LQ_OK)
        st = lq_ctx_create(&ctx);
    if (st == LQ_OK)
        st = lq_ctx_set_threads(ctx, threads);
    if (st == LQ_OK)
        st = lq_quantize(ctx, src, s, NULL, NULL, out);
    lq_ctx_free(ctx);
    lq_tensor_free(src);
    lq_scheme_free(s);
    return st;
}

/* Quantize (must succeed) and decode into y (rows * cols floats); returns
 * the quantized tensor for inspection (caller frees), NULL after a failed
 * check. */
static inline lq_tensor *fu_round_trip(const char *scheme, const float *x, int64_t rows,
                                       int64_t cols, int threads, float *y)
{
    lq_tensor *q = NULL;
    lq_status st = fu_quantize(scheme, x, rows, cols, threads, &q);
    CHECKF(st == LQ_OK, "%s: %s", scheme, lq_last_error());
    if (st != LQ_OK)
        return NULL;
    CHECK_OK(lq_dequantize_f32(NULL, q, y, rows * cols));
    return q;
}

/* Both thread counts give the same bytes. */
static inline void fu_check_thread_independent(const char *scheme, const float *x, int64_t rows,
                                               int64_t cols)
{
    lq_tensor *a = NULL, *b = NULL;
    CHECK_OK(fu_quantize(scheme, x, rows, cols, 1, &a));
    CHECK_OK(fu_quantize(scheme, x, rows, cols, 2, &b));
    if (a && b)
        CHECKF(lq_tensor_nbytes(a) == lq_tensor_nbytes(b) &&
                   memcmp(lq_tensor_data(a), lq_tensor_data(b), lq_tensor_nbytes(a)) == 0,
               "%s: 1 and 2 threads give different bytes", scheme);
    lq_tensor_free(a);
    lq_tensor_free(b);
}

/* NaN and infinity anywhere are refused with LQ_ERR_NONFINITE. */
static inline void fu_check_nonfinite_refused(const char *scheme)
{
    float x[4 * 64];
    for (int i = 0; i < 4 * 64; i++)
        x[i] = (float)(i % 7) - 3.0f;
    const float bad[2] = {NAN, -INFINITY};
    for (int k = 0; k < 2; k++) {
        x[2 * 64 + 17] = bad[k];
        lq_tensor *q = (lq_tensor *)1;
        CHECK_STATUS(fu_quantize(scheme, x, 4, 64, 1, &q), LQ_ERR_NONFINITE);
        CHECK(q == NULL);
        CHECKF(strstr(lq_last_error(), "row 2, column 17") != NULL, "%s", lq_last_error());
    }
}

/* Normal(0, 1) test data. */
static inline void fu_normal(float *x, int64_t n, unsigned long long seed)
{
    lqt_rng rng = {seed};
    for (int64_t i = 0; i < n; i++)
        x[i] = lqt_normal(&rng);
}

/* A little-endian f32 from unaligned bytes. */
static inline float fu_f32_at(const uint8_t *p)
{
    float f;
    memcpy(&f, p, 4);
    return f;
}

#endif
