/* synth.h — synthetic linear layers for the method tests: activations with
 * the structure real ones have (channels correlated through a few latent
 * factors, and a few outlier channels 10-100x larger than the rest, always
 * the same ones), and weights with a few heavy-tailed entries. */
#ifndef LQ_TESTS_METHODS_SYNTH_H
#define LQ_TESTS_METHODS_SYNTH_H

#include "../harness.h"

typedef struct {
    int64_t tokens, in, out;
    float *x; /* tokens x in */
    float *w; /* out x in */
} lqt_layer;

#define LQT_FACTORS 16

static inline void lqt_layer_make(lqt_layer *L, int64_t tokens, int64_t in, int64_t out,
                                  unsigned long long seed)
{
    lqt_rng r = {seed * 0x9e3779b97f4a7c15ull + 1};
    L->tokens = tokens;
    L->in = in;
    L->out = out;
    L->x = malloc((size_t)(tokens * in) * sizeof *L->x);
    L->w = malloc((size_t)(out * in) * sizeof *L->w);
    float *mix = malloc((size_t)(LQT_FACTORS * in) * sizeof *mix);
    float *gain = malloc((size_t)in * sizeof *gain);
    for (int64_t i = 0; i < LQT_FACTORS * in; i++)
        mix[i] = lqt_normal(&r) / 4.0f;
    for (int64_t j = 0; j < in; j++) /* 1 in 64 channels is an outlier, 10x to 100x */
        gain[j] = j % 64 == 5 ? (float)pow(10.0, 1.0 + lqt_uniform(&r)) : 1.0f;
    for (int64_t t = 0; t < tokens; t++) {
        float z[LQT_FACTORS];
        for (int k = 0; k < LQT_FACTORS; k++)
            z[k] = lqt_normal(&r);
        for (int64_t j = 0; j < in; j++) {
            float v = 0.5f * lqt_normal(&r);
            for (int k = 0; k < LQT_FACTORS; k++)
                v += z[k] * mix[k * in + j];
            L->x[t * in + j] = v * gain[j];
        }
    }
    for (int64_t i = 0; i < out * in; i++) {
        float v = lqt_normal(&r) * 0.02f;
        L->w[i] = lqt_uniform(&r) < 0.01 ? v * 5.0f : v;
    }
    free(mix);
    free(gain);
}

static inline void lqt_layer_free(lqt_layer *L)
{
    free(L->x);
    free(L->w);
}

/* An f32 tensor borrowing `data` [rows, cols]. */
static inline lq_tensor *lqt_wrap(const float *data, int64_t rows, int64_t cols, const char *name)
{
    int64_t shape[2] = {rows, cols};
    lq_tensor *t = NULL;
    lq_tensor_wrap(LQ_TYPE_F32, 2, shape, data, (size_t)(rows * cols) * sizeof(float), LQ_BORROW,
                   name, &t);
    return t;
}

static inline lq_scheme *lqt_scheme(const char *text)
{
    lq_scheme *s = NULL;
    if (lq_scheme_parse(text, &s) != LQ_OK)
        printf("# cannot parse '%s': %s\n", text, lq_last_error());
    return s;
}

/* ||X W^T - X Q^T||^2 / ||X W^T||^2 in double, straight from the definition. */
static inline double lqt_output_error(const float *x, int64_t tokens, int64_t in, const float *w,
                                      const float *q, int64_t out)
{
    double num = 0, den = 0;
    for (int64_t t = 0; t < tokens; t++)
        for (int64_t o = 0; o < out; o++) {
            double a = 0, b = 0;
            for (int64_t j = 0; j < in; j++) {
                a += (double)x[t * in + j] * w[o * in + j];
                b += (double)x[t * in + j] * q[o * in + j];
            }
            num += (a - b) * (a - b);
            den += a * a;
        }
    return num / den;
}

#endif
