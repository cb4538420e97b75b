/* bench_methods.c — how long the calibrated methods take on a Llama-7B-sized
 * layer: 4096 x 4096, 128 sequences x 2048 tokens of calibration (the GPTQ
 * paper's setting). Times the Hessian accumulation, the GPTQ solve, AWQ's two
 * searches and HQQ separately, and prints each method's output error on the
 * calibration set next to round-to-nearest.
 *
 * Environment: LQ_BENCH_TOKENS (default 262144), LQ_BENCH_DIM (default 4096).
 * Run through `meson test --benchmark` or directly. */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <time.h>

#include "synth.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int64_t env_int(const char *name, int64_t def)
{
    const char *v = getenv(name);
    return v && atoll(v) > 0 ? atoll(v) : def;
}

/* One 2048-token sequence of activations: 16 latent factors mixed into the
 * channels (one sgemm), cheap uniform noise, 1 in 64 channels 10-100x. */
static void sequence(float *x, int64_t tokens, int64_t n, const float *mix, const float *gain,
                     lqt_rng *r)
{
    float z[2048 * LQT_FACTORS];
    for (int64_t i = 0; i < tokens * LQT_FACTORS; i++)
        z[i] = lqt_normal(r);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)tokens, (int)n, LQT_FACTORS, 1.0f,
                z, LQT_FACTORS, mix, (int)n, 0.0f, x, (int)n);
    for (int64_t t = 0; t < tokens; t++)
        for (int64_t j = 0; j < n; j++) {
            float u = (float)(lqt_next(r) >> 40) * (1.0f / 16777216.0f) - 0.5f;
            x[t * n + j] = (x[t * n + j] + u) * gain[j];
        }
}

static void report(const char *what, double seconds, lq_status st)
{
    if (st != LQ_OK)
        printf("%-40s FAILED: %s\n", what, lq_last_error());
    else
        printf("%-40s %8.2f s\n", what, seconds);
    fflush(stdout);
}

int main(void)
{
    const int64_t n = env_int("LQ_BENCH_DIM", 4096), tokens = env_int("LQ_BENCH_TOKENS", 262144);
    const int64_t seq = 2048;
    printf("libquant methods benchmark: [%lld, %lld] weight, %lld calibration tokens\n%s\n",
           (long long)n, (long long)n, (long long)tokens, lq_build_info());
    lqt_rng r = {42};
    float *mix = malloc(sizeof(float) * LQT_FACTORS * n), *gain = malloc(sizeof(float) * n);
    float *x = malloc(sizeof(float) * seq * n), *w = malloc(sizeof(float) * n * n);
    for (int64_t i = 0; i < LQT_FACTORS * n; i++)
        mix[i] = lqt_normal(&r) / 4.0f;
    for (int64_t j = 0; j < n; j++)
        gain[j] = j % 64 == 5 ? (float)pow(10.0, 1.0 + lqt_uniform(&r)) : 1.0f;
    for (int64_t i = 0; i < n * n; i++)
        w[i] = lqt_normal(&r) * 0.02f;

    lq_calib *c = NULL;
    lq_status st = lq_calib_create(n, &c);
    double gen = 0, add = 0;
    for (int64_t t0 = 0; st == LQ_OK && t0 < tokens; t0 += seq) {
        int64_t m = tokens - t0 < seq ? tokens - t0 : seq;
        double a = now();
        sequence(x, m, n, mix, gain, &r);
        double b = now();
        st = lq_calib_add(c, x, m);
        add += now() - b;
        gen += b - a;
    }
    printf("(making the synthetic activations: %.2f s, not counted)\n", gen);
    report("calibration set (Hessian via ssyrk, stats)", add, st);

    lq_tensor *wt = lqt_wrap(w, n, n, "blk.0.ffn_up.weight");
    const char *schemes[] = {"gptq:int4:g128", "gptq:int4:g128:act_order:static_groups",
                             "gptq:q4_k", "awq:int4:g128", "hqq:int4:g64"};
    for (int i = 0; st == LQ_OK && i < 5; i++) {
        lq_scheme *s = lqt_scheme(schemes[i]);
        lq_tensor *q = NULL;
        char label[96];
        int64_t method = 0;
        lq_scheme_get_int(s, LQ_PARAM_METHOD, &method);
        double t = now();
        if (method == LQ_METHOD_AWQ) { /* the scale search, then clipping + quantization */
            const lq_tensor *ws[1] = {wt};
            float *sc = malloc(sizeof(float) * n);
            st = lq_awq_search(NULL, s, c, ws, 1, sc);
            snprintf(label, sizeof label, "%s: scale search", schemes[i]);
            report(label, now() - t, st);
            free(sc);
            t = now();
            snprintf(label, sizeof label, "%s: clip search + quantize", schemes[i]);
        } else {
            snprintf(label, sizeof label, "%s%s", schemes[i],
                     method == LQ_METHOD_GPTQ ? ": factor + solve" : "");
        }
        if (st == LQ_OK)
            st = lq_quantize(NULL, wt, s, c, NULL, &q);
        report(label, now() - t, st);
        lq_tensor_free(q);
        lq_scheme_free(s);
    }
    /* quality, from the Hessian (this repeats each method's work once more) */
    for (int i = 0; st == LQ_OK && i < 5; i++) {
        lq_scheme *s = lqt_scheme(schemes[i]);
        double em = 0, er = 0;
        st = lq_method_error(NULL, wt, s, c, &em, &er);
        if (st == LQ_OK)
            printf("%-40s output error %.3e, rtn %.3e (x%.2f)\n", schemes[i], em, er, em / er);
        lq_scheme_free(s);
    }
    lq_tensor_free(wt);
    lq_calib_free(c);
    free(mix), free(gain), free(x), free(w);
    return st == LQ_OK ? 0 : 1;
}
