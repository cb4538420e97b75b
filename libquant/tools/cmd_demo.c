/* cmd_demo.c — lq demo: the main job on a built-in example. Makes a realistic
 * synthetic weight matrix (heavy-tailed values, a few outlier input channels),
 * quantizes it with every scheme and prints size, error and time side by side. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "tool.h"

static const char *const default_schemes[] = {
    "f16", "bf16", "fp8_e4m3", "fp8_e4m3:channel", "fp8_e5m2:channel", "int8", "int8:g128",
    "q8_0", "q6_k", "q5_k", "q5_1", "q5_0", "int4:g32", "int4:g128", "int4:g128:asym",
    "hqq:int4:g64", "q4_k", "q4_1", "q4_0", "iq4_nl", "iq4_xs", "nf4", "nf4:b64:dq", "fp4",
    "nvfp4", "mxfp4", "int3:g128:asym", "hqq:int3:g64", "q3_k", "iq3_s", "iq3_xxs", "q2_k",
    "int2:g64:asym", "hqq:int2:g32", "iq2_s", "iq2_xs", "iq2_xxs", "tq2_0", "tq1_0", "iq1_m", "iq1_s",
};

static const char usage_text[] =
    "usage: lq demo [--rows R] [--cols C] [--schemes S,S,...] [--threads N] [--seed N]\n\n"
    "Quantizes a synthetic weight matrix (default 512 x 4096; Student-t values with\n"
    "5 degrees of freedom, scale 0.02, and 8 input channels 20x larger, like the\n"
    "outlier features of real LLM layers) with every scheme and prints a table of\n"
    "bits per weight, size, RMSE, SQNR, max error and quantization time.\n";

/* xorshift64* and Box-Muller: the same matrix on every machine. */
static unsigned long long rng_state;
static double uniform01(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
}

static double normal(void)
{
    double u = uniform01();
    return sqrt(-2.0 * log(u > 1e-300 ? u : 1e-300)) * cos(6.283185307179586 * uniform01());
}

static void make_weights(float *w, int64_t rows, int64_t cols, unsigned long long seed)
{
    rng_state = seed ? seed : 1;
    for (int64_t i = 0; i < rows * cols; i++) {
        double chi2 = 0;
        for (int k = 0; k < 5; k++) {
            double z = normal();
            chi2 += z * z;
        }
        w[i] = (float)(0.02 * normal() / sqrt(chi2 / 5));
    }
    for (int k = 0; k < 8 && k < cols; k++) {
        int64_t c = (int64_t)((k * 2654435761u) % (unsigned long long)cols);
        for (int64_t r = 0; r < rows; r++)
            w[r * cols + c] *= 20.0f;
    }
}

/* One row of the table; returns 0, or 1 when the scheme failed unexpectedly. */
static int demo_scheme(lq_ctx *ctx, const lq_tensor *w, const char *text)
{
    lq_scheme *s = NULL;
    lq_tensor *q = NULL;
    lq_status st = lq_scheme_parse(text, &s);
    if (st != LQ_OK) {
        fprintf(stderr, "lq demo: %s\n", lq_last_error());
        return 1;
    }
    lq_tool_progress bar;
    lq_tool_progress_init(&bar, lq_scheme_string(s));
    lq_ctx_set_progress(ctx, lq_tool_progress_cb, &bar);
    double t0 = lq_tool_now();
    st = lq_quantize(ctx, w, s, NULL, NULL, &q);
    if (st == LQ_ERR_INVALID) {
        /* iq2_xxs, iq2_xs and iq1_s need an importance matrix: without activations
         * the demo gives them uniform importance */
        const int64_t cols = lq_tensor_dim(w, 1);
        float *ones = malloc(sizeof(float) * (size_t)cols);
        for (int64_t i = 0; ones && i < cols; i++)
            ones[i] = 1.0f;
        if (ones) {
            t0 = lq_tool_now();
            st = lq_quantize(ctx, w, s, NULL, ones, &q);
        }
        free(ones);
    }
    double ms = 1000 * (lq_tool_now() - t0);
    lq_tool_progress_done(&bar);
    int rc = 0;
    if (st == LQ_OK) {
        double m[LQ_METRIC_COUNT_V1];
        char size[32];
        st = lq_tensor_error_metrics(ctx, w, q, m, LQ_METRIC_COUNT_V1);
        if (st == LQ_OK)
            printf("%-22s %7.3f %11s %11.3e %8.2f %10.3e %9.1f\n", lq_scheme_string(s),
                   lq_tensor_bits_per_weight(q),
                   lq_tool_bytes((double)lq_tensor_nbytes(q), size, sizeof size), m[LQ_METRIC_RMSE],
                   m[LQ_METRIC_SQNR_DB], m[LQ_METRIC_MAX_ABS], ms);
    }
    if (st == LQ_ERR_UNSUPPORTED) {
        printf("%-22s not available in this build\n", lq_scheme_string(s));
    } else if (st != LQ_OK) {
        fprintf(stderr, "lq demo: %s: %s\n", text, lq_last_error());
        rc = 1;
    }
    lq_tensor_free(q);
    lq_scheme_free(s);
    return rc;
}

int lq_cmd_demo(int argc, char **argv)
{
    static const char cmd[] = "demo";
    int64_t rows = 512, cols = 4096, threads = 0, seed = 20261122;
    const char *schemes = NULL;
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if ((v = lq_tool_option(argc, argv, &i, "--rows", &missing))) {
            if (!lq_tool_parse_i64(v, 1, 1 << 20, &rows))
                return lq_tool_usage_error(cmd, "--rows wants 1..1048576, got '%s'", v);
        } else if ((v = lq_tool_option(argc, argv, &i, "--cols", &missing))) {
            if (!lq_tool_parse_i64(v, 1, 1 << 20, &cols))
                return lq_tool_usage_error(cmd, "--cols wants 1..1048576, got '%s'", v);
        } else if ((v = lq_tool_option(argc, argv, &i, "--threads", &missing))) {
            if (!lq_tool_parse_i64(v, 0, 1024, &threads))
                return lq_tool_usage_error(cmd, "--threads wants 0..1024, got '%s'", v);
        } else if ((v = lq_tool_option(argc, argv, &i, "--seed", &missing))) {
            if (!lq_tool_parse_i64(v, 0, INT64_MAX, &seed))
                return lq_tool_usage_error(cmd, "--seed wants a non-negative integer, got '%s'", v);
        } else if ((v = lq_tool_option(argc, argv, &i, "--schemes", &missing))) {
            schemes = v;
        } else if (!missing) {
            return lq_tool_usage_error(cmd, "unknown argument '%s'", argv[i]);
        }
        if (missing)
            return lq_tool_usage_error(cmd, "%s needs a value", argv[i]);
    }
    if (rows * cols > ((int64_t)1 << 28))
        return lq_tool_usage_error(cmd, "rows x cols must stay below 2^28");

    float *data = malloc((size_t)(rows * cols) * sizeof *data);
    lq_tensor *w = NULL;
    lq_ctx *ctx = NULL;
    int64_t shape[2] = {rows, cols};
    if (!data) {
        fprintf(stderr, "lq demo: out of memory\n");
        return 1;
    }
    make_weights(data, rows, cols, (unsigned long long)seed);
    lq_status st = lq_tensor_wrap(LQ_TYPE_F32, 2, shape, data, (size_t)(rows * cols) * sizeof *data,
                                  LQ_BORROW, "demo.weight", &w);
    if (st == LQ_OK)
        st = lq_ctx_create(&ctx);
    if (st == LQ_OK)
        st = lq_ctx_set_threads(ctx, (int)threads);
    if (st != LQ_OK) {
        free(data);
        return lq_tool_lib_error(cmd, "setup", st);
    }
    printf("libquant %s demo: %lld x %lld synthetic weights (Student-t, 8 outlier channels), "
           "%d threads\n\n", lq_version_string(), (long long)rows, (long long)cols,
           lq_ctx_threads(ctx));
    printf("%-22s %7s %11s %11s %8s %10s %9s\n", "scheme", "bits/w", "size", "RMSE", "SQNR dB",
           "max err", "time ms");
    int failures = 0;
    if (schemes) {
        char *list = strdup(schemes), *save = NULL;
        for (char *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save))
            failures += demo_scheme(ctx, w, s);
        free(list);
    } else {
        for (size_t i = 0; i < sizeof default_schemes / sizeof *default_schemes; i++)
            failures += demo_scheme(ctx, w, default_schemes[i]);
    }
    char size[32];
    double sum_sq = 0;
    for (int64_t i = 0; i < rows * cols; i++)
        sum_sq += (double)data[i] * data[i];
    printf("\nf32 reference: %s. RMSE and max error are in weight units (the weights' RMS is "
           "%.4f).\n", lq_tool_bytes((double)(rows * cols * 4), size, sizeof size),
           sqrt(sum_sq / (double)(rows * cols)));
    lq_ctx_free(ctx);
    lq_tensor_free(w);
    free(data);
    return failures ? 1 : 0;
}
