/* test_kv.c — the KV cache types: what each allocates (exactly what
 * lq_estimate_kv predicts) and what each costs in perplexity against f16. */
#include "model_fixture.h"

/* Perplexity change allowed against the f16 cache. int8 keeps 8 bits per
 * element with a per-head scale (a step of 1/127 of the head's largest
 * value); E4M3 keeps 3 mantissa bits (a relative step up to 1/16), so it is
 * allowed more. f32 differs from f16 by rounding only. Measured on the
 * fixture (8 windows of 128): f32 +0.000%, int8 +0.03%, fp8 -0.02%. */
#define F32_REL_TOL 0.001
#define INT8_REL_TOL 0.005
#define FP8_REL_TOL 0.01

static void estimate_equals_allocation(void)
{
    static const int64_t ctxs[] = {1, 16, 100, 256, 1000};
    for (int kv = LQ_KV_F32; kv <= LQ_KV_FP8; kv++) {
        for (size_t i = 0; i < sizeof ctxs / sizeof *ctxs; i++) {
            lq_model *m = NULL;
            CHECK_OK(lq_model_load(NULL, lqt_fixture(), ctxs[i], kv, &m));
            if (!m)
                continue;
            double est = 0;
            CHECK_OK(lq_estimate_kv(lq_model_info(m, LQ_MODEL_N_LAYER),
                                    lq_model_info(m, LQ_MODEL_N_HEAD_KV),
                                    lq_model_info(m, LQ_MODEL_HEAD_DIM), ctxs[i], 1, kv, &est));
            int64_t bytes = lq_model_info(m, LQ_MODEL_KV_BYTES);
            CHECKF(est == (double)bytes, "%s, %lld tokens: estimate %.0f, allocated %lld",
                   lq_kv_type_name(kv), (long long)ctxs[i], est, (long long)bytes);
            CHECK(lq_model_info(m, LQ_MODEL_N_CTX) == ctxs[i] && lq_model_info(m, LQ_MODEL_KV_TYPE) == kv);
            lq_model_free(m);
        }
    }
    /* by hand for f16 at 256 tokens: 2 x 4 layers x 2 heads x 256 x 32 x 2 bytes */
    lq_model *m = NULL;
    CHECK_OK(lq_model_load(NULL, lqt_fixture(), 0, LQ_KV_F16, &m));
    CHECK(lq_model_info(m, LQ_MODEL_KV_BYTES) == 2 * 4 * 2 * 256 * 32 * 2);
    lq_model_free(m);
    /* int8: one byte per element plus a 4-byte scale per head vector */
    CHECK_OK(lq_model_load(NULL, lqt_fixture(), 0, LQ_KV_INT8, &m));
    CHECK(lq_model_info(m, LQ_MODEL_KV_BYTES) == 2 * 4 * 2 * 256 * (32 + 4));
    lq_model_free(m);
}

static double perplexity(int kv, const lqt_ref *r)
{
    lq_model *m = NULL;
    double out[LQ_EVAL_COUNT_V1] = {0};
    CHECK_OK(lq_model_load(NULL, lqt_fixture(), REF_CTX, kv, &m));
    if (m)
        CHECK_OK(lq_model_perplexity(NULL, m, r->tokens, r->n_tokens, REF_CTX, 0, out,
                                     LQ_EVAL_COUNT_V1));
    lq_model_free(m);
    return out[LQ_EVAL_PPL];
}

static void perplexity_by_type(void)
{
    lqt_ref *r = lqt_ref_stored();
    CHECK(r != NULL);
    if (!r)
        return;
    double ppl[4];
    for (int kv = LQ_KV_F32; kv <= LQ_KV_FP8; kv++)
        ppl[kv] = perplexity(kv, r);
    printf("# perplexity by KV cache type: f32 %.4f, f16 %.4f, int8 %.4f, fp8 %.4f "
           "(llama.cpp, f16: %.4f)\n", ppl[0], ppl[1], ppl[2], ppl[3], r->ppl);
    double f16 = ppl[LQ_KV_F16];
    CHECK(fabs(ppl[LQ_KV_F32] / f16 - 1) < F32_REL_TOL);
    CHECK(fabs(ppl[LQ_KV_INT8] / f16 - 1) < INT8_REL_TOL);
    CHECK(fabs(ppl[LQ_KV_FP8] / f16 - 1) < FP8_REL_TOL);
    /* the 8-bit caches lose something, but not nothing */
    CHECK(ppl[LQ_KV_INT8] != f16 && ppl[LQ_KV_FP8] != f16);
    lqt_ref_free(r);
}

LQT_MAIN(estimate_equals_allocation, perplexity_by_type)
