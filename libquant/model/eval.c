/* eval.c — perplexity and KL divergence over windows of a token sequence, as
 * llama.cpp's perplexity tool computes them (lq_model_perplexity,
 * lq_model_kl_divergence). */
#include <math.h>
#include <string.h>
#include <time.h>

#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "model.h"

/* The windows, and running sums over the scored positions. */
typedef struct {
    const char *fn, *stage;
    const lq_ctx *ctx;        /* the caller's: threads and progress */
    const int32_t *tokens;
    int64_t n_ctx, stride, first, windows, n_vocab;
    int32_t bos;              /* replaces each window's first token; -1: keep it */
    int32_t *window;          /* n_ctx tokens */
    float *logits[2];         /* (n_ctx - first) rows each: model, base */
    double nll, nll2, base_nll, kld, kld2;
    int64_t scored, same_top;
    double seconds[2];        /* forward passes of the model, and of the base */
} run;

static lq_status setup(run *r, lq_model *const *models, int n_models, const int32_t *tokens,
                       int64_t n_tokens, int64_t n_ctx, int64_t stride, const double *out,
                       int n_out)
{
    const char *fn = r->fn;
    if (!tokens || !out)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    for (int i = 0; i < n_models; i++)
        if (!models[i])
            return lq__fail(LQ_ERR_INVALID, "%s: NULL model", fn);
    if (n_out < 1 || n_out > LQ_EVAL_COUNT_V2)
        return lq__fail(LQ_ERR_INVALID, "%s: n_out %d outside 1..%d", fn, n_out, LQ_EVAL_COUNT_V2);
    if (stride == 0)
        stride = n_ctx;
    if (n_ctx < 4 || stride < 1 || stride > n_ctx)
        return lq__fail(LQ_ERR_INVALID, "%s: need n_ctx >= 4 and 0 <= stride <= n_ctx (n_ctx %lld, "
                        "stride %lld)", fn, (long long)n_ctx, (long long)stride);
    r->n_vocab = models[0]->hp.n_vocab;
    for (int i = 0; i < n_models; i++) {
        if (n_ctx > models[i]->kv.n_ctx)
            return lq__fail(LQ_ERR_INVALID, "%s: windows of %lld tokens exceed a KV cache of %lld",
                            fn, (long long)n_ctx, (long long)models[i]->kv.n_ctx);
        if (models[i]->hp.n_vocab != r->n_vocab)
            return lq__fail(LQ_ERR_SHAPE, "%s: vocabularies of %lld and %lld tokens", fn,
                            (long long)r->n_vocab, (long long)models[i]->hp.n_vocab);
    }
    if (n_tokens < n_ctx)
        return lq__fail(LQ_ERR_INVALID, "%s: %lld tokens are fewer than one window of %lld", fn,
                        (long long)n_tokens, (long long)n_ctx);
    for (int64_t i = 0; i < n_tokens; i++)
        if (tokens[i] < 0 || tokens[i] >= r->n_vocab)
            return lq__fail(LQ_ERR_INVALID, "%s: tokens[%lld] = %d is outside the vocabulary of "
                            "%lld", fn, (long long)i, tokens[i], (long long)r->n_vocab);
    r->tokens = tokens;
    r->n_ctx = n_ctx;
    r->stride = stride;
    r->first = n_ctx / 2 > n_ctx - stride - 1 ? n_ctx / 2 : n_ctx - stride - 1;
    r->windows = (n_tokens - n_ctx) / stride + 1;
    r->bos = models[0]->vocab.add_bos ? models[0]->vocab.bos : -1;
    r->window = lq__calloc((size_t)n_ctx, sizeof *r->window);
    size_t rows = (size_t)(n_ctx - r->first), floats;
    bool ok = r->window && lq__mul_size(rows, (size_t)r->n_vocab, &floats);
    for (int i = 0; ok && i < n_models; i++)
        ok = (r->logits[i] = lq__calloc(floats, sizeof(float))) != NULL;
    if (!ok)
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate logits for windows of %lld tokens", fn,
                        (long long)n_ctx);
    return LQ_OK;
}

static void cleanup(run *r)
{
    lq__free(r->window);
    lq__free(r->logits[0]);
    lq__free(r->logits[1]);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Run window w through `m`, leaving the logits of positions first .. n_ctx-1 in `logits`
 * and adding the time taken to *seconds. */
static lq_status eval_window(run *r, lq_ctx *ctx, lq_model *m, int64_t w, float *logits,
                             double *seconds)
{
    memcpy(r->window, r->tokens + w * r->stride, (size_t)r->n_ctx * sizeof *r->window);
    if (r->bos >= 0)
        r->window[0] = r->bos;
    double t0 = now();
    lq_status st = lq_model_eval(ctx, m, r->window, r->n_ctx, 0, r->first, logits);
    *seconds += now() - t0;
    if (st != LQ_OK)
        lq__error_prefix(r->fn);
    return st;
}

/* log(sum(exp(x))) of n floats, in double; *argmax gets the first largest index. */
static double log_sum_exp(const float *x, int64_t n, int64_t *argmax)
{
    int64_t im = 0;
    for (int64_t i = 1; i < n; i++)
        if (x[i] > x[im])
            im = i;
    double sum = 0;
    for (int64_t i = 0; i < n; i++)
        sum += exp((double)x[i] - (double)x[im]);
    *argmax = im;
    return (double)x[im] + log(sum);
}

/* Score the positions of window w: model logits in logits[0], base logits (KL only) in logits[1]. */
static void score_window(run *r, int64_t w, int kl)
{
    int64_t nv = r->n_vocab;
    for (int64_t j = r->first; j < r->n_ctx - 1; j++) {
        int32_t next = r->tokens[w * r->stride + j + 1];
        const float *lm = r->logits[0] + (j - r->first) * nv;
        int64_t top_m, top_b;
        double lse_m = log_sum_exp(lm, nv, &top_m), nll = lse_m - lm[next];
        r->nll += nll;
        r->nll2 += nll * nll;
        r->scored++;
        if (!kl)
            continue;
        const float *lb = r->logits[1] + (j - r->first) * nv;
        double lse_b = log_sum_exp(lb, nv, &top_b), kld = 0;
        for (int64_t i = 0; i < nv; i++) {
            double log_pb = lb[i] - lse_b;
            kld += exp(log_pb) * (log_pb - (lm[i] - lse_m));
        }
        r->base_nll += lse_b - lb[next];
        r->kld += kld;
        r->kld2 += kld * kld;
        r->same_top += top_m == top_b;
    }
}

/* Standard error of the mean of n values with sum s and sum of squares s2. */
static double std_error(double s, double s2, int64_t n)
{
    if (n < 2)
        return NAN;
    double mean = s / (double)n, var = s2 / (double)n - mean * mean;
    return var > 0 ? sqrt(var / (double)(n - 1)) : 0.0;
}

static void results(const run *r, int kl, int models, double *out, int n_out)
{
    double n = (double)r->scored, v[LQ_EVAL_COUNT_V2], tokens = (double)(r->windows * r->n_ctx);
    double seconds = r->seconds[0] + r->seconds[1];
    v[LQ_EVAL_NLL] = r->nll / n;
    v[LQ_EVAL_PPL] = exp(v[LQ_EVAL_NLL]);
    v[LQ_EVAL_NLL_STDERR] = std_error(r->nll, r->nll2, r->scored);
    v[LQ_EVAL_SCORED] = n;
    v[LQ_EVAL_WINDOWS] = (double)r->windows;
    v[LQ_EVAL_SECONDS] = seconds;
    v[LQ_EVAL_TOKENS_PER_SECOND] = seconds > 0 ? tokens * models / seconds : NAN;
    v[LQ_EVAL_KLD] = kl ? r->kld / n : NAN;
    v[LQ_EVAL_KLD_STDERR] = kl ? std_error(r->kld, r->kld2, r->scored) : NAN;
    v[LQ_EVAL_SAME_TOP] = kl ? (double)r->same_top / n : NAN;
    v[LQ_EVAL_BASE_PPL] = kl ? exp(r->base_nll / n) : NAN;
    v[LQ_EVAL_MODEL_TOKENS_PER_SECOND] = r->seconds[0] > 0 ? tokens / r->seconds[0] : NAN;
    memcpy(out, v, (size_t)n_out * sizeof *out);
}

/* Perplexity (base == NULL) or KL divergence of m from base. */
static lq_status evaluate(run *r, lq_model *base, lq_model *m, double *out, int n_out)
{
    int kl = base != NULL;
    /* lq_model_eval's loops report no progress; this loop reports windows */
    lq_ctx quiet = {.threads = lq__ctx_threads(r->ctx)};
    const lq_ctx *user = r->ctx;
    lq_status st = LQ_OK;
    for (int64_t w = 0; st == LQ_OK && w < r->windows; w++) {
        st = eval_window(r, &quiet, m, w, r->logits[0], &r->seconds[0]);
        if (st == LQ_OK && kl)
            st = eval_window(r, &quiet, base, w, r->logits[1], &r->seconds[1]);
        if (st != LQ_OK)
            break;
        score_window(r, w, kl);
        if (user && user->progress &&
            user->progress(user->progress_user, r->stage, (double)(w + 1) / (double)r->windows))
            st = lq__fail(LQ_ERR_CANCELLED, "%s: cancelled by the progress callback", r->fn);
    }
    if (st == LQ_OK)
        results(r, kl, kl ? 2 : 1, out, n_out);
    return st;
}

lq_status lq_model_perplexity(lq_ctx *ctx, lq_model *m, const int32_t *tokens, int64_t n_tokens,
                              int64_t n_ctx, int64_t stride, double *out, int n_out)
{
    run r = {.fn = "lq_model_perplexity", .stage = "perplexity", .ctx = ctx};
    lq_status st = setup(&r, &m, 1, tokens, n_tokens, n_ctx, stride, out, n_out);
    if (st == LQ_OK)
        st = evaluate(&r, NULL, m, out, n_out);
    cleanup(&r);
    return st;
}

lq_status lq_model_kl_divergence(lq_ctx *ctx, lq_model *base, lq_model *m, const int32_t *tokens,
                                 int64_t n_tokens, int64_t n_ctx, int64_t stride, double *out,
                                 int n_out)
{
    run r = {.fn = "lq_model_kl_divergence", .stage = "kl-divergence", .ctx = ctx};
    lq_model *models[2] = {m, base};
    lq_status st = setup(&r, models, 2, tokens, n_tokens, n_ctx, stride, out, n_out);
    if (st == LQ_OK)
        st = evaluate(&r, base, m, out, n_out);
    cleanup(&r);
    return st;
}
