/* test_model_quantize.c — lq_model_quantize and lq_model_imatrix on the
 * fixture: a mixture in memory equals the file lq_gguf_quantize writes;
 * every other scheme runs, takes the bytes its layout says and loses what
 * its bits suggest; the importance matrix is the mean x^2 it claims to be,
 * and collected as llama-imatrix does (lq_model_imatrix_v2); bad calls. (The calibrated methods: test_model_calibrated.c.) */
#include "quantized_fixture.h"

#define EVAL_TOKENS 256 /* 2 windows of REF_CTX */

/* Logits of the first window, bit for bit. */
static int same_logits(lq_model *a, lq_model *b, const int32_t *tok)
{
    size_t n = (size_t)REF_CTX * 512;
    float *la = malloc(n * sizeof *la), *lb = malloc(n * sizeof *lb);
    int same = la && lb && lq_model_eval(NULL, a, tok, REF_CTX, 0, 0, la) == LQ_OK &&
               lq_model_eval(NULL, b, tok, REF_CTX, 0, 0, lb) == LQ_OK &&
               memcmp(la, lb, n * sizeof *la) == 0;
    free(la);
    free(lb);
    return same;
}

/* Whether two files have the same bytes. */
static int same_file(const char *a, const char *b)
{
    size_t la = 0, lb = 0;
    char *x = lqt_read_file(a, &la), *y = lqt_read_file(b, &lb);
    int same = x && y && la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

/* In memory, a mixture gives the tensors of lq_gguf_quantize's file: the same
 * bytes of weights and the same logits to the last bit; saved with
 * lq_model_save_gguf, it is that file byte for byte. */
static void mixture_equals_file(void)
{
    static const char *const types[] = {"q4_k_m", "q3_k_s", "q5_k_m"};
    fixture f;
    if (!open_fixture(&f))
        goto done;
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        char path[] = "/tmp/lq_mixture_XXXXXX";
        int fd = mkstemp(path);
        lq_qopts *o = NULL;
        lq_model *file = NULL, *mem = quantize(&f, types[i], 0);
        CHECK(fd >= 0);
        close(fd);
        CHECK_OK(lq_qopts_create(types[i], &o));
        CHECK_OK(lq_gguf_quantize(NULL, lqt_fixture(), path, o));
        CHECK_OK(lq_model_load(NULL, path, REF_CTX, LQ_KV_F16, &file));
        char saved[] = "/tmp/lq_mixture_saved_XXXXXX";
        fd = mkstemp(saved);
        CHECK(fd >= 0);
        close(fd);
        if (mem) {
            CHECK_OK(lq_model_save_gguf(NULL, mem, saved));
            CHECKF(same_file(path, saved), "%s: lq_model_save_gguf's file differs from "
                   "lq_gguf_quantize's", types[i]);
        }
        unlink(saved);
        if (file && mem) {
            int64_t bytes = lq_model_info(mem, LQ_MODEL_WEIGHT_BYTES);
            printf("# %s: %lld bytes of weights in memory, %lld from the file\n", types[i],
                   (long long)bytes, (long long)lq_model_info(file, LQ_MODEL_WEIGHT_BYTES));
            CHECK(bytes == lq_model_info(file, LQ_MODEL_WEIGHT_BYTES));
            CHECK(lq_model_info(mem, LQ_MODEL_N_PARAMS) == lq_model_info(file, LQ_MODEL_N_PARAMS));
            CHECKF(same_logits(mem, file, f.tok), "%s: logits differ", types[i]);
        }
        lq_model_free(file);
        lq_model_free(mem);
        lq_qopts_free(o);
        unlink(path);
    }
done:
    close_fixture(&f);
}

/* What a weight [rows, cols] takes under `scheme`, plus the f32 norms. */
static int64_t expected_bytes(const lq_model *m, const char *scheme)
{
    lq_scheme *s = NULL;
    if (lq_scheme_parse(scheme, &s) != LQ_OK)
        return -1;
    int64_t e = lq_model_info(m, LQ_MODEL_N_EMBD), ff = lq_model_info(m, LQ_MODEL_N_FF);
    int64_t kvd = lq_model_info(m, LQ_MODEL_N_HEAD_KV) * lq_model_info(m, LQ_MODEL_HEAD_DIM);
    int64_t nv = lq_model_info(m, LQ_MODEL_N_VOCAB), layers = lq_model_info(m, LQ_MODEL_N_LAYER);
    int64_t shapes[][3] = {{e, e, 2}, {kvd, e, 2}, {ff, e, 2}, {e, ff, 1}}; /* rows, cols, count */
    uint64_t b = 0, total = 0;
    for (int i = 0; i < 4; i++) {
        lq_scheme_tensor_bytes(s, shapes[i][0], shapes[i][1], &b);
        total += layers * shapes[i][2] * b;
    }
    lq_scheme_tensor_bytes(s, nv, e, &b); /* token_embd and output */
    total += 2 * b;
    lq_scheme_free(s);
    return (int64_t)total + (2 * layers + 1) * e * 4;
}

/* Schemes GGUF cannot hold run through the same runner; each takes the bytes
 * of its layout, and KL divergence grows as bits go. Bounds are a few times
 * the measured figures (printed). */
static void every_scheme_runs(void)
{
    static const struct { const char *scheme; double max_kld; } schemes[] = {
        {"f16", 1e-5},          {"bf16", 1e-4},          {"int8", 3e-4},
        {"fp8_e4m3", 2e-3},     {"fp8_e5m2", 6e-3},      {"int4:g128", 2e-2},
        {"int4:g32:asym", 1e-2}, {"nf4", 2e-2},          {"nf4:b64:dq", 2e-2},
        {"fp4", 3e-2},          {"hqq:int4:g64", 1.5e-2}, {"int3:g64", 8e-2},
        {"hqq:int3:g64", 6e-2}, {"q4_k", 1e-2},          {"llm_int8:int8", 3e-4},
    };
    fixture f;
    if (!open_fixture(&f))
        goto done;
    double prev_int = 0;
    for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++) {
        const char *name = schemes[i].scheme;
        lq_model *m = quantize(&f, name, 0);
        if (!m)
            continue;
        double r[LQ_EVAL_COUNT_V2];
        kl(&f, m, EVAL_TOKENS, r);
        int64_t bytes = lq_model_info(m, LQ_MODEL_WEIGHT_BYTES);
        double bpw = 8.0 * (double)bytes / (double)lq_model_info(m, LQ_MODEL_N_PARAMS);
        printf("# %-14s %8lld bytes %6.3f bpw  PPL %.4f (base %.4f)  KLD %.6f  same top %.1f%%  "
               "%.0f tokens/s\n", name, (long long)bytes, bpw, r[LQ_EVAL_PPL],
               r[LQ_EVAL_BASE_PPL], r[LQ_EVAL_KLD], 100 * r[LQ_EVAL_SAME_TOP],
               r[LQ_EVAL_MODEL_TOKENS_PER_SECOND]);
        CHECKF(bytes == expected_bytes(m, name), "%s: %lld bytes, layout says %lld", name,
               (long long)bytes, (long long)expected_bytes(m, name));
        CHECKF(r[LQ_EVAL_KLD] > 0 && r[LQ_EVAL_KLD] < schemes[i].max_kld, "%s: KLD %g", name,
               r[LQ_EVAL_KLD]);
        /* the model's own time is part of the time of both */
        CHECK(EVAL_TOKENS / r[LQ_EVAL_MODEL_TOKENS_PER_SECOND] < r[LQ_EVAL_SECONDS]);
        /* int8 < int4 < int3, all per group */
        if (strcmp(name, "int8") == 0 || strcmp(name, "int4:g128") == 0 ||
            strcmp(name, "int3:g64") == 0) {
            CHECKF(r[LQ_EVAL_KLD] > prev_int, "%s: KLD %g not above %g", name, r[LQ_EVAL_KLD],
                   prev_int);
            prev_int = r[LQ_EVAL_KLD];
        }
        lq_model_free(m);
    }
done:
    close_fixture(&f);
}

/* The imatrix entry of layer 0's q/k/v is the mean square of the first
 * layer's normed input, computed here from the file's own tensors. */
static void importance_matrix(void)
{
    fixture f;
    if (!open_fixture(&f))
        goto done;
    enum { T = 64 };
    lq_imatrix *im = NULL;
    CHECK_STATUS(lq_model_imatrix(NULL, f.base, f.tok, T, REF_CTX + 1, &im), LQ_ERR_INVALID);
    CHECK_STATUS(lq_model_imatrix(NULL, NULL, f.tok, T, 0, &im), LQ_ERR_INVALID);
    CHECK_OK(lq_model_imatrix(NULL, f.base, f.tok, T, 0, &im));
    if (!im)
        goto done;
    CHECK(lq_imatrix_count(im) == 4 * 7 + 1);
    CHECK(lq_imatrix_length(im, "blk.3.ffn_down.weight") == 768);
    CHECK(lq_imatrix_length(im, "output.weight") == 256);
    lq_tensor *embd = NULL, *norm = NULL;
    CHECK_OK(lq_gguf_get_tensor(f.src, lq_gguf_find_tensor(f.src, "token_embd.weight"), &embd));
    CHECK_OK(lq_gguf_get_tensor(f.src, lq_gguf_find_tensor(f.src, "blk.0.attn_norm.weight"), &norm));
    if (embd && norm) {
        const float *E = lq_tensor_data(embd), *w = lq_tensor_data(norm);
        double want[256] = {0};
        for (int t = 0; t < T; t++) {
            const float *x = E + 256 * (t == 0 ? 1 : f.tok[t]); /* BOS first */
            double ss = 0;
            for (int j = 0; j < 256; j++)
                ss += (double)x[j] * x[j];
            double scale = 1 / sqrt(ss / 256 + 1e-5);
            for (int j = 0; j < 256; j++)
                want[j] += pow(x[j] * scale * w[j], 2) / T;
        }
        float got[256], got_k[256];
        CHECK_OK(lq_imatrix_get(im, "blk.0.attn_q.weight", got, 256));
        CHECK_OK(lq_imatrix_get(im, "blk.0.attn_k.weight", got_k, 256));
        double worst = 0;
        for (int j = 0; j < 256; j++)
            worst = fmax(worst, fabs(got[j] - want[j]) / want[j]);
        printf("# imatrix, layer 0 q/k/v input: max relative difference %.2e\n", worst);
        /* the library sums in float: a 256-term mean square per token, then T
         * squares per column, (256 + T + a few) * 2^-24 = 2e-5 relative at
         * worst; 1e-4 leaves room, and a wrong token, norm or scale is off by
         * far more */
        CHECK(worst < 1e-4 && memcmp(got, got_k, sizeof got) == 0);
    }
    lq_tensor_free(embd);
    lq_tensor_free(norm);
    /* Q2_K_S needs it */
    lq_scheme *s = NULL;
    lq_model *m = NULL;
    CHECK_OK(lq_scheme_parse("q2_k_s", &s));
    CHECK_STATUS(lq_model_quantize(NULL, f.base, s, NULL, NULL, 0, 0, LQ_KV_F16, &m),
                 LQ_ERR_INVALID);
    CHECK_OK(lq_model_quantize(NULL, f.base, s, im, NULL, 0, 0, LQ_KV_F16, &m));
    lq_model_free(m);
    lq_scheme_free(s);
    lq_imatrix_free(im);
done:
    close_fixture(&f);
}

/* lq_model_imatrix_v2 is llama-imatrix's collection: whole windows only (the
 * remainder adds nothing), no head unless asked and then only output.weight,
 * and the file counts chunks in its windows, with one matrix stored 1-D.
 * (Its values against llama-imatrix itself: test_imatrix_llama.sh.) */
static void importance_matrix_v2(void)
{
    fixture f;
    if (!open_fixture(&f))
        goto done;
    enum { W = 64, T = 2 * W + 20 };
    lq_imatrix *a = NULL, *b = NULL, *c = NULL;
    CHECK_STATUS(lq_model_imatrix_v2(NULL, f.base, f.tok, T, W, 2, &a), LQ_ERR_INVALID);
    CHECK_STATUS(lq_model_imatrix_v2(NULL, f.base, f.tok, W - 1, W, 0, &a), LQ_ERR_INVALID);
    CHECK_STATUS(lq_model_imatrix_v2(NULL, f.base, f.tok, T, REF_CTX + 1, 0, &a), LQ_ERR_INVALID);
    CHECK(a == NULL);
    CHECK_OK(lq_model_imatrix_v2(NULL, f.base, f.tok, T, W, 0, &a));
    CHECK_OK(lq_model_imatrix_v2(NULL, f.base, f.tok, T, W, LQ_IMATRIX_PROCESS_OUTPUT, &b));
    CHECK_OK(lq_model_imatrix(NULL, f.base, f.tok, 2 * W, W, &c));
    if (!a || !b || !c)
        goto out;
    CHECK(lq_imatrix_count(a) == 4 * 7 && lq_imatrix_length(a, "output.weight") == 0);
    CHECK(lq_imatrix_count(b) == 4 * 7 + 1 && lq_imatrix_length(b, "output.weight") == 256);
    /* the same computation on the same 2 windows: bit-equal to the first version's */
    float va[768], vc[768];
    for (int64_t i = 0; i < lq_imatrix_count(a); i++) {
        const char *name = lq_imatrix_name(a, i);
        int64_t len = lq_imatrix_length(a, name);
        CHECK_OK(lq_imatrix_get(a, name, va, len));
        CHECK_OK(lq_imatrix_get(c, name, vc, len));
        CHECKF(memcmp(va, vc, (size_t)len * sizeof *va) == 0, "%s", name);
    }
    char path[] = "/tmp/lq_imatrix_v2_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    lq_gguf *g = NULL;
    CHECK_OK(lq_imatrix_save(a, path, LQ_IMATRIX_GGUF, "heldout.txt"));
    CHECK_OK(lq_gguf_open(path, &g));
    int64_t chunk_size = 0, chunks = 0;
    CHECK_OK(lq_gguf_get_int(g, "imatrix.chunk_size", &chunk_size));
    CHECK_OK(lq_gguf_get_int(g, "imatrix.chunk_count", &chunks));
    CHECK(chunk_size == W && chunks == 2);
    int64_t sums = lq_gguf_find_tensor(g, "blk.0.attn_q.weight.in_sum2");
    int64_t counts = lq_gguf_find_tensor(g, "blk.0.attn_q.weight.counts");
    CHECK(sums >= 0 && lq_gguf_tensor_ndim(g, sums) == 1 && lq_gguf_tensor_dim(g, sums, 0) == 256);
    CHECK(counts >= 0 && lq_gguf_tensor_ndim(g, counts) == 1);
    const void *raw = NULL;
    uint64_t bytes = 0;
    float count = 0;
    CHECK_OK(lq_gguf_tensor_raw(g, counts, &raw, &bytes));
    if (raw && bytes == sizeof count)
        memcpy(&count, raw, sizeof count);
    CHECK(count == 2 * W);
    lq_gguf_free(g);
    /* loading keeps the chunk size, so saving again writes the same counts */
    lq_imatrix *d = NULL;
    CHECK_OK(lq_imatrix_load(path, &d));
    CHECK_OK(lq_imatrix_save(d, path, LQ_IMATRIX_GGUF, "heldout.txt"));
    CHECK_OK(lq_gguf_open(path, &g));
    CHECK_OK(lq_gguf_get_int(g, "imatrix.chunk_size", &chunk_size));
    CHECK(chunk_size == W);
    lq_gguf_free(g);
    lq_imatrix_free(d);
    remove(path);
out:
    lq_imatrix_free(a);
    lq_imatrix_free(b);
    lq_imatrix_free(c);
done:
    close_fixture(&f);
}

static void bad_calls(void)
{
    fixture f;
    if (!open_fixture(&f))
        goto done;
    lq_scheme *s = NULL;
    lq_model *m = f.base; /* must be reset to NULL on error */
    CHECK_OK(lq_scheme_parse("int4", &s));
    CHECK_STATUS(lq_model_quantize(NULL, NULL, s, NULL, NULL, 0, 0, LQ_KV_F16, &m), LQ_ERR_INVALID);
    CHECK(m == NULL);
    CHECK_STATUS(lq_model_quantize(NULL, f.base, NULL, NULL, NULL, 0, 0, LQ_KV_F16, &m),
                 LQ_ERR_INVALID);
    CHECK_STATUS(lq_model_quantize(NULL, f.base, s, NULL, NULL, 0, 0, LQ_KV_F16, NULL),
                 LQ_ERR_INVALID);
    CHECK_STATUS(lq_model_quantize(NULL, f.base, s, NULL, NULL, 0, 0, 99, &m), LQ_ERR_INVALID);
    CHECK_STATUS(lq_model_quantize(NULL, f.base, s, NULL, NULL, 0, -1, LQ_KV_F16, &m),
                 LQ_ERR_INVALID);
    CHECK_STATUS(lq_model_quantize(NULL, f.base, s, NULL, NULL, 5, 0, LQ_KV_F16, &m),
                 LQ_ERR_INVALID); /* 5 tokens at NULL */
    /* a group that does not divide the rows: the message names the tensor */
    CHECK_OK(lq_scheme_set_int(s, LQ_PARAM_GROUP_SIZE, 96));
    CHECK_STATUS(lq_model_quantize(NULL, f.base, s, NULL, NULL, 0, 0, LQ_KV_F16, &m),
                 LQ_ERR_SHAPE);
    CHECK(m == NULL && strstr(lq_last_error(), "lq_model_quantize") &&
          strstr(lq_last_error(), "token_embd.weight"));
    /* a quantized model is not quantized again from its file */
    CHECK_OK(lq_scheme_set_int(s, LQ_PARAM_GROUP_SIZE, 128));
    lq_model *q = NULL;
    CHECK_OK(lq_model_quantize(NULL, f.base, s, NULL, NULL, 0, 0, LQ_KV_F16, &q));
    CHECK_STATUS(lq_model_quantize(NULL, q, s, NULL, NULL, 0, 0, LQ_KV_F16, &m), LQ_ERR_INVALID);
    lq_model_free(q);
    /* results: one more than before, not two */
    double r[LQ_EVAL_COUNT_V2 + 1];
    CHECK_STATUS(lq_model_perplexity(NULL, f.base, f.tok, 256, 128, 0, r, LQ_EVAL_COUNT_V2 + 1),
                 LQ_ERR_INVALID);
    CHECK_OK(lq_model_perplexity(NULL, f.base, f.tok, 256, 128, 0, r, LQ_EVAL_COUNT_V2));
    CHECK(r[LQ_EVAL_MODEL_TOKENS_PER_SECOND] == r[LQ_EVAL_TOKENS_PER_SECOND]);
    lq_scheme_free(s);
done:
    close_fixture(&f);
}

LQT_MAIN(mixture_equals_file, every_scheme_runs, importance_matrix, importance_matrix_v2, bad_calls)
