/* test_quantized.c — the runner on quantized models: the fixture requantized
 * in memory to every ggml type (plus f16 and bf16) runs and loses little;
 * KL divergence from the f32 model orders the types as expected; and a
 * quantized file gives llama.cpp's perplexity. */
#include "model_fixture.h"

#define EVAL_TOKENS 512 /* 4 windows of REF_CTX */

/* A copy of GGUF `src` with every 2-D tensor quantized to `scheme`. */
static lq_gguf *quantize_model(const lq_gguf *src, const char *scheme)
{
    lq_gguf *g = NULL;
    lq_scheme *s = NULL;
    CHECK_OK(lq_scheme_parse(scheme, &s));
    CHECK_OK(lq_gguf_create(&g));
    if (!g || !s) {
        lq_scheme_free(s);
        lq_gguf_free(g);
        return NULL;
    }
    for (int64_t i = 0; i < lq_gguf_kv_count(src); i++)
        CHECK_OK(lq_gguf_copy_kv(g, src, lq_gguf_kv_key(src, i)));
    for (int64_t i = 0; i < lq_gguf_tensor_count(src); i++) {
        lq_tensor *t = NULL, *q = NULL;
        CHECK_OK(lq_gguf_get_tensor(src, i, &t));
        if (lq_tensor_ndim(t) == 2)
            CHECK_OK(lq_quantize(NULL, t, s, NULL, NULL, &q));
        CHECK_OK(lq_gguf_add_tensor(g, q ? q : t, LQ_COPY));
        lq_tensor_free(q);
        lq_tensor_free(t);
    }
    lq_scheme_free(s);
    return g;
}

static lq_gguf *open_fixture(void)
{
    lq_gguf *g = NULL;
    CHECK_OK(lq_gguf_open(lqt_fixture(), &g));
    return g;
}

static int32_t *heldout_tokens(lq_model *m, int64_t *n)
{
    size_t len = 0;
    char *text = lqt_read_file(lqt_heldout(), &len);
    int32_t *tok = NULL;
    CHECK(text != NULL);
    if (text)
        CHECK_OK(lq_model_tokenize(m, text, len, 1, &tok, n));
    free(text);
    return tok;
}

static double perplexity(lq_model *m, const int32_t *tok)
{
    double out[LQ_EVAL_COUNT_V1] = {0};
    CHECK_OK(lq_model_perplexity(NULL, m, tok, EVAL_TOKENS, REF_CTX, 0, out, LQ_EVAL_COUNT_V1));
    return out[LQ_EVAL_PPL];
}

/* Every type runs, and its perplexity stays within max_rel of the f32 model's
 * (above; or a quarter of that below, which a few windows of text allow). */
static void every_type_runs(void)
{
    static const struct { const char *scheme; double max_rel; } types[] = {
        {"f16", 0.001},  {"bf16", 0.01},  {"q8_0", 0.005}, {"q6_k", 0.01},  {"q5_k", 0.02},
        {"q5_0", 0.03},  {"q5_1", 0.02},  {"q4_k", 0.05},  {"q4_0", 0.08},  {"q4_1", 0.06},
        {"iq4_nl", 0.05}, {"iq4_xs", 0.05}, {"q3_k", 0.05}, {"q2_k", 0.25},
    };
    lq_gguf *src = open_fixture();
    lq_model *base = NULL;
    CHECK_OK(lq_model_from_gguf(NULL, src, REF_CTX, LQ_KV_F16, &base));
    int64_t n = 0;
    int32_t *tok = base ? heldout_tokens(base, &n) : NULL;
    if (!tok || n < EVAL_TOKENS) {
        CHECK(tok && n >= EVAL_TOKENS);
        goto done;
    }
    double f32 = perplexity(base, tok);
    int64_t f32_bytes = lq_model_info(base, LQ_MODEL_WEIGHT_BYTES);
    printf("# f32: perplexity %.4f, %.2f MB of weights\n", f32, f32_bytes / 1e6);
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        lq_gguf *g = quantize_model(src, types[i].scheme);
        lq_model *m = NULL;
        CHECK_OK(lq_model_from_gguf(NULL, g, REF_CTX, LQ_KV_F16, &m));
        if (m) {
            double ppl = perplexity(m, tok), rel = ppl / f32 - 1;
            int64_t bytes = lq_model_info(m, LQ_MODEL_WEIGHT_BYTES);
            printf("# %-6s: perplexity %.4f (%+.3f%%), %.2f MB of weights\n", types[i].scheme,
                   ppl, 100 * rel, bytes / 1e6);
            CHECKF(rel > -types[i].max_rel / 4 && rel < types[i].max_rel, "%s: %+.4f",
                   types[i].scheme, rel);
            CHECK(bytes < 0.51 * f32_bytes); /* the weights stay as stored, not f32 */
        }
        lq_model_free(m);
        lq_gguf_free(g);
    }
done:
    lq_free(tok);
    lq_model_free(base);
    lq_gguf_free(src);
}

static void kl(lq_model *base, lq_model *m, const int32_t *tok, double *out)
{
    CHECK_OK(lq_model_kl_divergence(NULL, base, m, tok, EVAL_TOKENS, REF_CTX, 0, out,
                                    LQ_EVAL_COUNT_V1));
}

static void kl_divergence(void)
{
    lq_gguf *src = open_fixture(), *g8 = src ? quantize_model(src, "q8_0") : NULL;
    lq_gguf *g4 = src ? quantize_model(src, "q4_k") : NULL;
    lq_model *base = NULL, *again = NULL, *m8 = NULL, *m4 = NULL;
    CHECK_OK(lq_model_from_gguf(NULL, src, REF_CTX, LQ_KV_F32, &base));
    CHECK_OK(lq_model_from_gguf(NULL, src, REF_CTX, LQ_KV_F32, &again));
    CHECK_OK(lq_model_from_gguf(NULL, g8, REF_CTX, LQ_KV_F32, &m8));
    CHECK_OK(lq_model_from_gguf(NULL, g4, REF_CTX, LQ_KV_F32, &m4));
    int64_t n = 0;
    int32_t *tok = base ? heldout_tokens(base, &n) : NULL;
    if (tok && again && m8 && m4 && n >= EVAL_TOKENS) {
        double same[LQ_EVAL_COUNT_V1], q8[LQ_EVAL_COUNT_V1], q4[LQ_EVAL_COUNT_V1];
        kl(base, again, tok, same);
        kl(base, m8, tok, q8);
        kl(base, m4, tok, q4);
        printf("# KL divergence from f32: q8_0 %.6f +/- %.6f (same top %.1f%%), q4_k %.6f +/- "
               "%.6f (same top %.1f%%)\n", q8[LQ_EVAL_KLD], q8[LQ_EVAL_KLD_STDERR],
               100 * q8[LQ_EVAL_SAME_TOP], q4[LQ_EVAL_KLD], q4[LQ_EVAL_KLD_STDERR],
               100 * q4[LQ_EVAL_SAME_TOP]);
        CHECK(same[LQ_EVAL_KLD] == 0 && same[LQ_EVAL_SAME_TOP] == 1);
        CHECK(same[LQ_EVAL_PPL] == same[LQ_EVAL_BASE_PPL]);
        CHECK(q8[LQ_EVAL_KLD] > 0 && q8[LQ_EVAL_KLD] < 1e-3 && q8[LQ_EVAL_SAME_TOP] > 0.97);
        CHECK(q4[LQ_EVAL_KLD] > 2 * q8[LQ_EVAL_KLD] && q4[LQ_EVAL_KLD] < 0.05);
        CHECK(q4[LQ_EVAL_SAME_TOP] > 0.85 && q4[LQ_EVAL_SAME_TOP] <= q8[LQ_EVAL_SAME_TOP]);
        /* both runs give the base perplexity and each model's own */
        CHECK(q8[LQ_EVAL_BASE_PPL] == q4[LQ_EVAL_BASE_PPL]);
        /* the same forward passes and sums, in the same order, as the run of
         * m4 alone: equal but for nothing (1e-9 is no float rounding's size) */
        CHECK(fabs(q4[LQ_EVAL_PPL] - perplexity(m4, tok)) < 1e-9);
        CHECK(q4[LQ_EVAL_SCORED] == 4 * (REF_CTX / 2 - 1) && q4[LQ_EVAL_WINDOWS] == 4);

        lq_model *small = NULL;
        CHECK_OK(lq_model_load(NULL, lqt_fixture(), 64, LQ_KV_F32, &small));
        CHECK_STATUS(lq_model_kl_divergence(NULL, base, small, tok, EVAL_TOKENS, REF_CTX, 0, q8,
                                            1), LQ_ERR_INVALID); /* window above its cache */
        CHECK_STATUS(lq_model_kl_divergence(NULL, NULL, m8, tok, EVAL_TOKENS, REF_CTX, 0, q8, 1),
                     LQ_ERR_INVALID);
        lq_model_free(small);
    } else {
        CHECK(tok && again && m8 && m4 && n >= EVAL_TOKENS);
    }
    lq_free(tok);
    lq_model_free(m4);
    lq_model_free(m8);
    lq_model_free(again);
    lq_model_free(base);
    lq_gguf_free(g4);
    lq_gguf_free(g8);
    lq_gguf_free(src);
}

/* A Q4_K file, written and read back, against llama.cpp on the same file. */
static void quantized_file_matches_live_llama(void)
{
    lq_gguf *src = open_fixture(), *g = src ? quantize_model(src, "q4_k") : NULL;
    char path[] = "/tmp/lq_model_q4k_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && g != NULL);
    if (fd < 0 || !g)
        goto done;
    close(fd);
    CHECK_OK(lq_gguf_save(NULL, g, path));
    int failed;
    lqt_ref *r = lqt_ref_live(path, REF_TOKENS, &failed);
    CHECKF(!failed, "llama_ref.mjs failed on the Q4_K file");
    lq_model *m = NULL;
    if (r)
        CHECK_OK(lq_model_load(NULL, path, REF_CTX, LQ_KV_F16, &m));
    if (r && m) {
        double out[LQ_EVAL_COUNT_V1];
        CHECK_OK(lq_model_perplexity(NULL, m, r->tokens, r->n_tokens, r->ctx, 0, out,
                                     LQ_EVAL_COUNT_V1));
        double rel = fabs(out[LQ_EVAL_PPL] / r->ppl - 1);
        printf("# q4_k file: perplexity ours %.4f, llama.cpp %.4f (%.3f%%)\n", out[LQ_EVAL_PPL],
               r->ppl, 100 * rel);
        CHECK(rel < 0.01); /* the brief: within 1% of llama.cpp */
    }
    lq_model_free(m);
    lqt_ref_free(r);
    unlink(path);
done:
    lq_gguf_free(g);
    lq_gguf_free(src);
}

LQT_MAIN(every_type_runs, kl_divergence, quantized_file_matches_live_llama)
