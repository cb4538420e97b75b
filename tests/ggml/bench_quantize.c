/* bench_quantize.c — quantization speed of the ggml block types, libquant
 * (lq_quantize, one thread) against ggml's ggml_quantize_chunk (dlopen()ed
 * from llama.cpp's libggml-base.so in the oracle folder, ../oracle.h) on
 * the same N(0,1) data in the same run. Prints ns per weight, best of a few
 * repetitions, with and without an importance matrix, and checks that both
 * produce the same bytes. Not a test: run with `meson test --benchmark`. */
#include <dlfcn.h>
#include <time.h>

#include "../oracle.h"

enum { ROWS = 32, COLS = 4096, REPS = 3 };

typedef size_t (*chunk_fn)(int type, const float *src, void *dst, int64_t start, int64_t nrows,
                           int64_t n_per_row, const float *imatrix);

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Best time of REPS runs, in ns per weight; *out keeps the last result. */
static double time_libquant(lq_ctx *ctx, const lq_tensor *w, const lq_scheme *s,
                            const float *imat, lq_tensor **out)
{
    double best = 1e30;
    for (int r = 0; r < REPS; r++) {
        lq_tensor_free(*out);
        *out = NULL;
        double t0 = now();
        if (lq_quantize(ctx, w, s, NULL, imat, out) != LQ_OK) {
            printf("# lq_quantize failed: %s\n", lq_last_error());
            return -1;
        }
        double t = now() - t0;
        best = t < best ? t : best;
    }
    return best * 1e9 / ((double)ROWS * COLS);
}

static double time_ggml(chunk_fn chunk, int type, const float *x, void *dst, const float *imat)
{
    double best = 1e30;
    for (int r = 0; r < REPS; r++) {
        double t0 = now();
        chunk(type, x, dst, 0, ROWS, COLS, imat);
        double t = now() - t0;
        best = t < best ? t : best;
    }
    return best * 1e9 / ((double)ROWS * COLS);
}

int main(void)
{
    static const lq_type types[] = {LQ_TYPE_Q4_K, LQ_TYPE_Q5_K, LQ_TYPE_Q6_K, LQ_TYPE_Q2_K,
                                    LQ_TYPE_Q3_K, LQ_TYPE_Q4_0, LQ_TYPE_Q4_1, LQ_TYPE_Q5_0,
                                    LQ_TYPE_Q5_1, LQ_TYPE_Q8_0, LQ_TYPE_IQ4_NL, LQ_TYPE_IQ4_XS};
    const char *lib_path = lqt_oracle_path(LQT_ORACLE_GGML_BASE);
    void *lib = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
    chunk_fn chunk = NULL;
    if (lib)
        chunk = ((union { void *p; chunk_fn f; }){dlsym(lib, "ggml_quantize_chunk")}).f;
    if (!chunk)
        printf("# llama.cpp oracle not installed (%s): libquant only\n", lib_path);

    float *x = malloc(sizeof(float) * ROWS * COLS), *imat = malloc(sizeof(float) * COLS);
    void *dst = malloc((size_t)ROWS * COLS / 32 * 34); /* the largest per-weight size here */
    if (!x || !imat || !dst)
        return 1;
    lqt_rng rng = {7};
    for (int i = 0; i < ROWS * COLS; i++)
        x[i] = lqt_normal(&rng);
    for (int i = 0; i < COLS; i++)
        imat[i] = expf(lqt_normal(&rng));

    lq_ctx *ctx = NULL;
    lq_tensor *w = NULL;
    int64_t shape[2] = {ROWS, COLS};
    if (lq_ctx_create(&ctx) != LQ_OK || lq_ctx_set_threads(ctx, 1) != LQ_OK ||
        lq_tensor_wrap(LQ_TYPE_F32, 2, shape, x, sizeof(float) * ROWS * COLS, LQ_BORROW, "w",
                       &w) != LQ_OK)
        return 1;
    printf("# %d x %d N(0,1) weights, one thread, ns/weight (best of %d); %s\n", ROWS, COLS,
           REPS, lq_build_info());
    printf("%-7s %10s %10s %7s %5s | %10s %10s %7s %5s\n", "type", "libquant", "ggml", "ratio",
           "same", "lq imat", "ggml imat", "ratio", "same");
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        lq_scheme *s = NULL;
        if (lq_scheme_parse(lq_type_name(types[t]), &s) != LQ_OK)
            return 1;
        printf("%-7s", lq_type_name(types[t]));
        for (int with_imat = 0; with_imat < 2; with_imat++) {
            const float *im = with_imat ? imat : NULL;
            lq_tensor *q = NULL;
            double lq = time_libquant(ctx, w, s, im, &q);
            printf(" %10.2f", lq);
            if (chunk && q) {
                double gg = time_ggml(chunk, lq_type_ggml_id(types[t]), x, dst, im);
                int same = memcmp(dst, lq_tensor_data(q), lq_tensor_nbytes(q)) == 0;
                printf(" %10.2f %6.1fx %5s", gg, gg / lq, same ? "yes" : "NO");
            }
            printf("%s", with_imat ? "\n" : " |");
            lq_tensor_free(q);
        }
        lq_scheme_free(s);
    }
    lq_tensor_free(w);
    lq_ctx_free(ctx);
    free(x), free(imat), free(dst);
    if (lib)
        dlclose(lib);
    return 0;
}
