/* test_tensor.c — tensor handles, the quantize/dequantize plumbing (with the
 * float types), metrics and the estimator against hand calculations. */
#include "../harness.h"

static void create_and_wrap(void)
{
    int64_t shape[2] = {3, 5};
    lq_tensor *t = NULL;
    CHECK_OK(lq_tensor_create(LQ_TYPE_F32, 2, shape, "w", &t));
    CHECK(lq_tensor_numel(t) == 15 && lq_tensor_nbytes(t) == 60 && lq_tensor_ndim(t) == 2);
    CHECK(lq_tensor_dim(t, 1) == 5 && lq_tensor_dim(t, 2) == 0 && lq_tensor_dim(t, -1) == 0);
    CHECK(strcmp(lq_tensor_name(t), "w") == 0);
    CHECK(((const float *)lq_tensor_data(t))[14] == 0.0f);
    CHECK(lq_tensor_data_mut(t) != NULL);
    CHECK(lq_tensor_bits_per_weight(t) == 32.0);
    CHECK_OK(lq_tensor_set_name(t, "renamed"));
    CHECK(strcmp(lq_tensor_name(t), "renamed") == 0);
    CHECK(lq_tensor_scheme(t) == NULL);
    lq_tensor_free(t);
    lq_tensor_free(NULL);

    float buf[15] = {0};
    CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 2, shape, buf, sizeof buf, LQ_BORROW, NULL, &t));
    CHECK(lq_tensor_data(t) == buf);
    lq_tensor_free(t);
    CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 2, shape, buf, sizeof buf, LQ_COPY, NULL, &t));
    CHECK(lq_tensor_data(t) != buf);
    lq_tensor_free(t);

    t = (lq_tensor *)1;
    CHECK_STATUS(lq_tensor_wrap(LQ_TYPE_F32, 2, shape, buf, 59, LQ_BORROW, "x", &t), LQ_ERR_SHAPE);
    CHECK(t == NULL);
    CHECK_STATUS(lq_tensor_wrap(LQ_TYPE_F32, 2, shape, NULL, 60, LQ_BORROW, "x", &t), LQ_ERR_INVALID);
    CHECK_STATUS(lq_tensor_wrap(LQ_TYPE_F32, 2, shape, buf, 60, 7, "x", &t), LQ_ERR_INVALID);
    CHECK_STATUS(lq_tensor_create(LQ_TYPE_F32, 0, shape, NULL, &t), LQ_ERR_INVALID);
    CHECK_STATUS(lq_tensor_create(LQ_TYPE_F32, 5, shape, NULL, &t), LQ_ERR_INVALID);
    CHECK_STATUS(lq_tensor_create(LQ_TYPE_INT4, 2, shape, NULL, &t), LQ_ERR_INVALID);
    CHECK_STATUS(lq_tensor_create(999, 2, shape, NULL, &t), LQ_ERR_INVALID);
    int64_t neg[2] = {3, -1};
    CHECK_STATUS(lq_tensor_create(LQ_TYPE_F32, 2, neg, NULL, &t), LQ_ERR_INVALID);
    int64_t huge[4] = {1LL << 40, 1LL << 40, 1, 1};
    CHECK_STATUS(lq_tensor_create(LQ_TYPE_F32, 4, huge, NULL, &t), LQ_ERR_NOMEM);
    char longname[LQ_MAX_NAME + 2];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    CHECK_STATUS(lq_tensor_create(LQ_TYPE_F32, 2, shape, longname, &t), LQ_ERR_INVALID);
    int64_t empty[2] = {0, 4};
    CHECK_OK(lq_tensor_create(LQ_TYPE_F16, 2, empty, "empty", &t));
    CHECK(lq_tensor_numel(t) == 0 && lq_tensor_nbytes(t) == 0 && lq_tensor_bits_per_weight(t) == 0);
    lq_tensor_free(t);
}

static int calls;
static int count_and_continue(void *user, const char *stage, double f)
{
    (void)stage;
    CHECK(f >= 0 && f <= 1);
    calls++;
    return *(int *)user;
}

static void float_round_trips_and_progress(void)
{
    enum { R = 64, C = 4096 };
    static float w[R * C], back[R * C];
    lqt_rng rng = {42};
    for (int i = 0; i < R * C; i++)
        w[i] = lqt_normal(&rng);
    int64_t shape[2] = {R, C};
    lq_tensor *t = NULL, *q = NULL;
    lq_scheme *s = NULL;
    lq_ctx *ctx = NULL;
    int stop = 0;
    CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 2, shape, w, sizeof w, LQ_BORROW, "w", &t));
    CHECK_OK(lq_ctx_create(&ctx));
    CHECK_OK(lq_ctx_set_progress(ctx, count_and_continue, &stop));
    CHECK_OK(lq_scheme_parse("bf16", &s));
    CHECK_OK(lq_quantize(ctx, t, s, NULL, NULL, &q));
    CHECK(calls > 0);
    CHECK(lq_tensor_type(q) == LQ_TYPE_BF16 && lq_tensor_nbytes(q) == R * C * 2);
    CHECK(strcmp(lq_scheme_string(lq_tensor_scheme(q)), "bf16") == 0);
    CHECK(lq_tensor_bits_per_weight(q) == 16.0);
    CHECK_OK(lq_dequantize_f32(ctx, q, back, R * C));
    int bad = 0;
    for (int i = 0; i < R * C; i++)
        bad += fabsf(back[i] - w[i]) > fabsf(w[i]) * (1.0f / 256);
    CHECK(bad == 0);
    CHECK_STATUS(lq_dequantize_f32(ctx, q, back, R * C - 1), LQ_ERR_SHAPE);
    lq_tensor *d = NULL;
    CHECK_OK(lq_dequantize(ctx, q, LQ_TYPE_F16, &d));
    CHECK(lq_tensor_type(d) == LQ_TYPE_F16 && lq_tensor_nbytes(d) == R * C * 2);
    lq_tensor_free(d);
    lq_tensor_free(q);
    q = NULL;

    /* results do not depend on the thread count */
    static float one_thread[R * C];
    CHECK_OK(lq_ctx_set_threads(ctx, 1));
    CHECK_OK(lq_quantize(ctx, t, s, NULL, NULL, &q));
    CHECK_OK(lq_dequantize_f32(ctx, q, one_thread, R * C));
    CHECK(memcmp(one_thread, back, sizeof back) == 0);
    lq_tensor_free(q);
    q = NULL;

    /* cancelling gives LQ_ERR_CANCELLED and no tensor */
    stop = 1;
    CHECK_OK(lq_ctx_set_threads(ctx, 2));
    q = (lq_tensor *)1;
    CHECK_STATUS(lq_quantize(ctx, t, s, NULL, NULL, &q), LQ_ERR_CANCELLED);
    CHECK(q == NULL);
    lq_ctx_free(ctx);
    lq_scheme_free(s);
    lq_tensor_free(t);
}

static void bad_inputs(void)
{
    float w[2 * 32];
    for (int i = 0; i < 64; i++)
        w[i] = (float)i;
    w[37] = NAN;
    int64_t shape[2] = {2, 32};
    lq_tensor *t = NULL, *q = NULL, *i32 = NULL;
    lq_scheme *s = NULL;
    CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 2, shape, w, sizeof w, LQ_BORROW, "bad", &t));
    CHECK_OK(lq_scheme_parse("f16", &s));
    CHECK_STATUS(lq_quantize(NULL, t, s, NULL, NULL, &q), LQ_ERR_NONFINITE);
    CHECK(strstr(lq_last_error(), "row 1, column 5") != NULL);
    CHECK(strstr(lq_last_error(), "'bad'") != NULL);
    w[37] = INFINITY;
    CHECK_STATUS(lq_quantize(NULL, t, s, NULL, NULL, &q), LQ_ERR_NONFINITE);
    CHECK(strstr(lq_last_error(), "infinity") != NULL);
    w[37] = 0;
    CHECK_STATUS(lq_quantize(NULL, NULL, s, NULL, NULL, &q), LQ_ERR_INVALID);
    CHECK_STATUS(lq_quantize(NULL, t, NULL, NULL, NULL, &q), LQ_ERR_INVALID);
    CHECK_STATUS(lq_quantize(NULL, t, s, NULL, NULL, NULL), LQ_ERR_INVALID);
    int32_t iv[64] = {0};
    CHECK_OK(lq_tensor_wrap(LQ_TYPE_I32, 2, shape, iv, sizeof iv, LQ_BORROW, "ints", &i32));
    CHECK_STATUS(lq_quantize(NULL, i32, s, NULL, NULL, &q), LQ_ERR_INVALID);
    lq_tensor_free(i32);
    lq_scheme_free(s);
    lq_tensor_free(t);
}

static void metrics_by_hand(void)
{
    float ref[4] = {1, -2, 3, 0}, test[4] = {1, -1, 2, 0.5f};
    double m[LQ_METRIC_COUNT_V1];
    CHECK_OK(lq_error_metrics(ref, test, 4, m, LQ_METRIC_COUNT_V1));
    /* diffs 0, -1, 1, -0.5: se = 2.25. Sums of four small floats in double:
     * exact but for the last division or root (1e-16); 1e-12 and, through
     * log10, 1e-9 only say "equal" */
    CHECK(fabs(m[LQ_METRIC_MSE] - 2.25 / 4) < 1e-12);
    CHECK(fabs(m[LQ_METRIC_RMSE] - 0.75) < 1e-12);
    CHECK(fabs(m[LQ_METRIC_MAX_ABS] - 1.0) < 1e-12);
    CHECK(fabs(m[LQ_METRIC_SQNR_DB] - 10 * log10(14 / 2.25)) < 1e-9);
    CHECK(fabs(m[LQ_METRIC_COSINE] - 9.0 / sqrt(14 * 6.25)) < 1e-12);
    CHECK_OK(lq_error_metrics(ref, ref, 4, m, 4));
    CHECK(m[LQ_METRIC_MSE] == 0 && isinf(m[LQ_METRIC_SQNR_DB]));
    CHECK_STATUS(lq_error_metrics(ref, test, 0, m, 5), LQ_ERR_INVALID);
    CHECK_STATUS(lq_error_metrics(ref, test, 4, m, 6), LQ_ERR_INVALID);
    test[2] = NAN;
    CHECK_STATUS(lq_error_metrics(ref, test, 4, m, 5), LQ_ERR_NONFINITE);
}

static void output_error_by_hand(void)
{
    /* W = [[1, 0], [0, 1]], Wq = [[1, 0], [0, 0.5]], X = [[1, 1], [2, 0]]
     * XW^T = [[1, 1], [2, 0]], XWq^T = [[1, 0.5], [2, 0]]: error sqrt(0.25 / 6) */
    float w[4] = {1, 0, 0, 1}, wq[4] = {1, 0, 0, 0.5f}, x[4] = {1, 1, 2, 0};
    int64_t shape[2] = {2, 2};
    lq_tensor *a = NULL, *b = NULL;
    CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 2, shape, w, sizeof w, LQ_BORROW, "w", &a));
    CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 2, shape, wq, sizeof wq, LQ_BORROW, "wq", &b));
    double e = -1;
    CHECK_OK(lq_output_error(NULL, a, b, x, 2, &e));
    CHECK(fabs(e - sqrt(0.25 / 6)) < 1e-7); /* products in float: a few 2^-24 of 0.2 */
    CHECK_STATUS(lq_output_error(NULL, a, b, x, 0, &e), LQ_ERR_INVALID);
    lq_tensor_free(a);
    lq_tensor_free(b);
}

static void estimator_by_hand(void)
{
    lq_scheme *s = NULL;
    double bytes;
    CHECK_OK(lq_scheme_parse("q4_0", &s));
    CHECK_OK(lq_estimate_weights(s, 7e9, &bytes));
    CHECK(fabs(bytes - 7e9 * 4.5 / 8) < 1);
    lq_scheme_free(s);
    CHECK_OK(lq_scheme_parse("int4:g128:asym", &s));
    CHECK_OK(lq_estimate_weights(s, 1e9, &bytes));
    CHECK(fabs(bytes - 1e9 * (4 + 24.0 / 128) / 8) < 1);
    lq_scheme_free(s);
    CHECK_OK(lq_scheme_parse("nf4:b64:dq", &s));
    CHECK_OK(lq_estimate_weights(s, 1e9, &bytes));
    CHECK(fabs(bytes - 1e9 * (4 + 8.0 / 64 + 32.0 / (256 * 64)) / 8) < 1);
    lq_scheme_free(s);
    /* Llama-2-70B-like KV cache: 2 x 80 x 8 x 128 x 8192 x 1 x 2 bytes = 2.5 GiB */
    CHECK_OK(lq_estimate_kv(80, 8, 128, 8192, 1, LQ_KV_F16, &bytes));
    CHECK(bytes == 2.0 * 80 * 8 * 128 * 8192 * 2);
    CHECK(fabs(bytes / (1 << 30) - 2.5) < 1e-12); /* an exact power-of-two division */
    CHECK_OK(lq_estimate_kv(2, 4, 64, 100, 3, LQ_KV_INT8, &bytes));
    CHECK(bytes == 2.0 * 2 * 4 * 100 * 3 * (64 + 4));
    CHECK_STATUS(lq_estimate_kv(0, 4, 64, 100, 3, LQ_KV_INT8, &bytes), LQ_ERR_INVALID);
    CHECK_STATUS(lq_estimate_kv(1, 4, 64, 100, 3, 17, &bytes), LQ_ERR_INVALID);
    int kv;
    CHECK_OK(lq_kv_type_from_name("fp8", &kv));
    CHECK(kv == LQ_KV_FP8 && strcmp(lq_kv_type_name(kv), "fp8") == 0);
    CHECK_STATUS(lq_kv_type_from_name("q4", &kv), LQ_ERR_INVALID);
}

/* The input scan runs on several threads; the first non-finite value in row
 * order is reported, even when a later chunk of rows finds its own first. */
static void first_nonfinite_on_threads(void)
{
    enum { ROWS = 4096, COLS = 64 };
    float *w = malloc(sizeof(float) * ROWS * COLS);
    if (!w) {
        CHECK(w != NULL);
        return;
    }
    for (int i = 0; i < ROWS * COLS; i++)
        w[i] = (float)(i % 13);
    w[3000 * COLS + 1] = NAN;
    w[ROWS * COLS - 1] = INFINITY;
    w[100 * COLS + 7] = -INFINITY;
    int64_t shape[2] = {ROWS, COLS};
    lq_tensor *t = NULL, *q = NULL;
    lq_scheme *s = NULL;
    lq_ctx *ctx = NULL;
    CHECK_OK(lq_ctx_create(&ctx));
    CHECK_OK(lq_ctx_set_threads(ctx, 2));
    CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 2, shape, w, sizeof(float) * ROWS * COLS, LQ_BORROW,
                            "w", &t));
    CHECK_OK(lq_scheme_parse("q8_0", &s));
    CHECK_STATUS(lq_quantize(ctx, t, s, NULL, NULL, &q), LQ_ERR_NONFINITE);
    CHECKF(strstr(lq_last_error(), "infinity at row 100, column 7") != NULL, "%s",
           lq_last_error());
    lq_scheme_free(s);
    lq_tensor_free(t);
    lq_ctx_free(ctx);
    free(w);
}

LQT_MAIN(create_and_wrap, float_round_trips_and_progress, bad_inputs, first_nonfinite_on_threads, metrics_by_hand,
         output_error_by_hand, estimator_by_hand)
