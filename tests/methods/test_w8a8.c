/* test_w8a8.c — SmoothQuant and LLM.int8: their int8 weights byte by byte,
 * the smoothing scales against the formula, W8A8 errors with and without
 * smoothing on activations with outlier channels, the mixed int8/float
 * product against float, and the int8 product against integer arithmetic
 * written out here. */
#include <stdint.h>

#include "synth.h"

enum { TOKENS = 1024, IN = 512, OUT = 256 };

static lqt_layer L;
static lq_calib *C;

static void setup(void)
{
    lqt_layer_make(&L, TOKENS, IN, OUT, 5);
    CHECK_OK(lq_calib_create(IN, &C));
    CHECK_OK(lq_calib_add(C, L.x, TOKENS));
}

static lq_tensor *quantize(const char *scheme, const float *w, int64_t rows, int64_t cols)
{
    lq_scheme *s = lqt_scheme(scheme);
    lq_tensor *t = lqt_wrap(w, rows, cols, "w"), *q = NULL;
    CHECK_OK(lq_quantize(NULL, t, s, NULL, NULL, &q));
    lq_tensor_free(t);
    lq_scheme_free(s);
    return q;
}

static void weights_are_absmax_over_127(void)
{
    float w[2 * 4] = {1.0f, -0.5f, 0.25f, 0.0f, -2.0f, 1.0f, 0.0078125f, 2.0f};
    const char *schemes[] = {"smoothquant:int8:scale=f32", "llm_int8:int8:scale=f32"};
    for (int i = 0; i < 2; i++) {
        lq_tensor *q = quantize(schemes[i], w, 2, 4);
        const uint8_t *b = lq_tensor_data(q);
        /* codes offset by 128: 1 -> 127, -0.5 -> -63.5 -> -64 (ties to even),
         * 0.25 -> 31.75 -> 32; row 2 has scale 2/127: 1 -> 63.5 -> 64,
         * 0.0078125 -> 0.496 -> 0, 2 -> 127, -2 -> -127 */
        const uint8_t want[8] = {255, 64, 160, 128, 1, 192, 128, 255};
        CHECK(b && memcmp(b, want, 8) == 0);
        float s0, s1;
        memcpy(&s0, b + 8, 4);
        memcpy(&s1, b + 12, 4);
        CHECK(s0 == 1.0f / 127.0f && s1 == 2.0f / 127.0f);
        CHECK(lq_tensor_nbytes(q) == 16);
        lq_tensor_free(q);
    }
}

static void smoothquant_scales_formula(void)
{
    lq_scheme *s = lqt_scheme("smoothquant:int8:alpha=0.85");
    float *w2 = malloc(sizeof(float) * 64 * IN), amax[IN], sc[IN];
    for (int i = 0; i < 64 * IN; i++)
        w2[i] = L.w[i] * (i % 5 == 0 ? 3.0f : 0.5f);
    lq_tensor *a = lqt_wrap(L.w, OUT, IN, "q"), *b = lqt_wrap(w2, 64, IN, "k");
    const lq_tensor *ws[2] = {a, b};
    CHECK_OK(lq_smoothquant_scales(s, C, ws, 2, sc));
    CHECK_OK(lq_calib_get(C, LQ_CALIB_MAX_ABS, amax, IN));
    double worst = 0;
    for (int j = 0; j < IN; j++) {
        double wm = 0;
        for (int r = 0; r < OUT; r++)
            wm = fmax(wm, fabs(L.w[r * IN + j]));
        for (int r = 0; r < 64; r++)
            wm = fmax(wm, fabs(w2[r * IN + j]));
        double want = fmax(pow(amax[j], 0.85) / pow(fmax(wm, 1e-5), 0.15), 1e-5);
        worst = fmax(worst, fabs(sc[j] - want) / want);
    }
    /* pow in float against pow in double: a few float roundings (1e-7 each)
     * of values of order 1 */
    CHECKF(worst < 1e-5, "scales off by %g", worst);
    lq_scheme *bad = lqt_scheme("int8");
    CHECK_STATUS(lq_smoothquant_scales(bad, C, ws, 2, sc), LQ_ERR_INVALID);
    lq_tensor_free(a), lq_tensor_free(b);
    lq_scheme_free(s), lq_scheme_free(bad);
    free(w2);
}

/* Relative squared error of y against x w^T, in double. */
static double rel_err(const float *x, int64_t n, const float *y)
{
    double num = 0, den = 0;
    for (int64_t t = 0; t < n; t++)
        for (int o = 0; o < OUT; o++) {
            double a = 0;
            for (int j = 0; j < IN; j++)
                a += (double)x[t * IN + j] * L.w[o * IN + j];
            num += (a - y[t * OUT + o]) * (a - y[t * OUT + o]);
            den += a * a;
        }
    return num / den;
}

static void smoothquant_beats_naive_w8a8(void)
{
    enum { N = 256 };
    const float alphas[] = {0.5f, 0.85f};
    for (int i = 0; i < 2; i++) {
        char text[48];
        snprintf(text, sizeof text, "smoothquant:int8:alpha=%g", alphas[i]);
        lq_scheme *s = lqt_scheme(text);
        /* by hand: scales into the norm and the weight, then W8A8 */
        float sc[IN], norm[IN], *ws = malloc(sizeof(float) * OUT * IN);
        float *xs = malloc(sizeof(float) * N * IN), *y = malloc(sizeof(float) * N * OUT);
        memcpy(ws, L.w, sizeof(float) * OUT * IN);
        for (int j = 0; j < IN; j++)
            norm[j] = 1.0f;
        lq_tensor *w = lqt_wrap(ws, OUT, IN, "w"), *nt = NULL;
        int64_t ns[1] = {IN};
        CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 1, ns, norm, sizeof norm, LQ_BORROW, "norm", &nt));
        const lq_tensor *wl[1] = {w};
        CHECK_OK(lq_smoothquant_scales(s, C, wl, 1, sc));
        lq_tensor *next[1] = {w};
        CHECK_OK(lq_scales_apply(sc, IN, nt, NULL, next, 1));
        for (int t = 0; t < N * IN; t++) /* the norm's output is now x / s */
            xs[t] = L.x[t] * norm[t % IN];
        lq_tensor *q = quantize(text, ws, OUT, IN), *q0 = quantize(text, L.w, OUT, IN);
        CHECK_OK(lq_matmul_w8a8(NULL, xs, N, q, y));
        double e_smooth = rel_err(L.x, N, y);
        CHECK_OK(lq_matmul_w8a8(NULL, L.x, N, q0, y));
        double e_naive = rel_err(L.x, N, y);
        lq_tensor *w0 = lqt_wrap(L.w, OUT, IN, "w");
        double rm = -1, rr = -1;
        CHECK_OK(lq_method_error(NULL, w0, s, C, &rm, &rr));
        printf("# %-26s W8A8 error smoothed %.3e, naive %.3e (lq_method_error: %.3e vs %.3e)\n",
               text, e_smooth, e_naive, rm, rr);
        CHECK(e_smooth < 0.5 * e_naive);
        CHECK(rm < 0.5 * rr);
        lq_tensor_free(w), lq_tensor_free(nt), lq_tensor_free(q), lq_tensor_free(q0),
            lq_tensor_free(w0);
        lq_scheme_free(s);
        free(ws), free(xs), free(y);
    }
}

static void llm_int8_close_to_float(void)
{
    enum { N = 256 };
    lq_tensor *q = quantize("llm_int8:int8", L.w, OUT, IN);
    float *y = malloc(sizeof(float) * N * OUT);
    int64_t outliers = -1;
    CHECK_OK(lq_matmul_llm_int8(NULL, L.x, N, q, 0.0, y, &outliers));
    double e_mixed = rel_err(L.x, N, y);
    CHECK_OK(lq_matmul_w8a8(NULL, L.x, N, q, y));
    double e_int8 = rel_err(L.x, N, y);
    int64_t all = -1;
    CHECK_OK(lq_matmul_llm_int8(NULL, L.x, N, q, 1e30, y, &all));
    double e_none = rel_err(L.x, N, y);
    CHECK_OK(lq_matmul(NULL, L.x, N, q, y)); /* the int8 weights in float: W8A16 */
    double e_w8a16 = rel_err(L.x, N, y);
    printf("# llm_int8: %lld outlier columns at 6.0; error mixed %.3e, all int8 %.3e, "
           "float activations %.3e\n", (long long)outliers, e_mixed, e_int8, e_w8a16);
    CHECK(outliers >= IN / 64 && outliers < IN / 4); /* the planted outlier channels, and few others */
    /* no outliers: the same int8 products, summed in another order at most
     * (float rounding, ~1e-7 of the error norm, well inside 1e-6) */
    CHECK(all == 0 && fabs(e_none - e_int8) <= 1e-6 * e_int8);
    /* the decomposition removes nearly all of the activations' share of the
     * error; the int8 weights' share stays (bitsandbytes keeps them int8) */
    CHECKF(e_mixed < 1.5 * e_w8a16 && e_mixed < 0.25 * e_int8, "mixed %g, int8 %g, w8a16 %g",
           e_mixed, e_int8, e_w8a16);
    lq_tensor *w0 = lqt_wrap(L.w, OUT, IN, "w");
    lq_scheme *s = lqt_scheme("llm_int8:int8");
    double rm = -1, rr = -1;
    CHECK_OK(lq_method_error(NULL, w0, s, C, &rm, &rr));
    CHECK(rm < 0.25 * rr);
    lq_tensor_free(w0), lq_tensor_free(q);
    lq_scheme_free(s);
    free(y);
}

/* lq_matmul_w8a8 against integer arithmetic written here: activations
 * rounded as the kernels document (absmax / 127, halves away from zero). */
static void w8a8_is_integer_arithmetic(void)
{
    enum { N = 8, K = 64, M = 16 };
    float x[N * K], w[M * K], y[N * M];
    lqt_rng r = {17};
    for (int i = 0; i < N * K; i++)
        x[i] = lqt_normal(&r);
    for (int i = 0; i < M * K; i++)
        w[i] = lqt_normal(&r);
    lq_tensor *q = quantize("smoothquant:int8:scale=f32", w, M, K);
    CHECK_OK(lq_matmul_w8a8(NULL, x, N, q, y));
    const uint8_t *b = lq_tensor_data(q);
    double worst = 0;
    for (int t = 0; t < N; t++) {
        float amax = 0;
        for (int k = 0; k < K; k++)
            amax = fmaxf(amax, fabsf(x[t * K + k]));
        float sx = amax / 127.0f;
        for (int o = 0; o < M; o++) {
            int32_t acc = 0;
            for (int k = 0; k < K; k++)
                acc += (int32_t)roundf(x[t * K + k] * (1.0f / sx)) * ((int32_t)b[o * K + k] - 128);
            float sw;
            memcpy(&sw, b + M * K + 4 * o, 4);
            double want = (double)sx * sw * acc;
            worst = fmax(worst, fabs(y[t * M + o] - want) / (1e-6 + fabs(want)));
        }
    }
    /* the integer sums are exact; what is left is sx * sw * acc in float (two
     * roundings) against double, and 1e-6 absolute for outputs near zero */
    CHECKF(worst < 1e-5, "off by %g", worst);
    lq_tensor_free(q);
}

static void arguments_are_checked(void)
{
    float y[OUT];
    lq_tensor *q4 = quantize("int4", L.w, OUT, IN), *q8 = quantize("llm_int8:int8", L.w, OUT, IN);
    CHECK_STATUS(lq_matmul_w8a8(NULL, L.x, 1, q4, y), LQ_ERR_INVALID);
    CHECK_STATUS(lq_matmul_llm_int8(NULL, L.x, 1, q4, 6.0, y, NULL), LQ_ERR_INVALID);
    float bad[IN];
    memcpy(bad, L.x, sizeof bad);
    bad[9] = NAN;
    CHECK_STATUS(lq_matmul_w8a8(NULL, bad, 1, q8, y), LQ_ERR_NONFINITE);
    CHECK_STATUS(lq_matmul_llm_int8(NULL, bad, 1, q8, 6.0, y, NULL), LQ_ERR_NONFINITE);
    CHECK_STATUS(lq_matmul_llm_int8(NULL, L.x, 1, q8, NAN, y, NULL), LQ_ERR_INVALID);
    CHECK_OK(lq_matmul_w8a8(NULL, L.x, 0, q8, y));
    lq_tensor_free(q4), lq_tensor_free(q8);
    lq_calib *empty = NULL;
    CHECK_OK(lq_calib_create(IN, &empty));
    CHECK_OK(lq_calib_add(empty, L.x, 4));
    CHECK_OK(lq_calib_set_max_samples(empty, 0));
    lq_tensor *w = lqt_wrap(L.w, OUT, IN, "w");
    lq_scheme *s = lqt_scheme("smoothquant:int8");
    double a, b;
    CHECK_STATUS(lq_method_error(NULL, w, s, empty, &a, &b), LQ_ERR_INVALID);
    lq_tensor_free(w);
    lq_scheme_free(s);
    lq_calib_free(empty);
}

static void teardown(void)
{
    lq_calib_free(C);
    lqt_layer_free(&L);
}

LQT_MAIN(setup, weights_are_absmax_over_127, smoothquant_scales_formula, smoothquant_beats_naive_w8a8,
         llm_int8_close_to_float, w8a8_is_integer_arithmetic, arguments_are_checked, teardown)
