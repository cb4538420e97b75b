/* ggml_ternary.c — the ternary types TQ1_0 (1.6875 bits per value: five
 * trits per byte) and TQ2_0 (2.0625: four 2-bit codes per byte) of BitNet
 * b1.58 and TriLM models, 256 values and one f16 scale per block, bit-exact
 * with ggml.
 *
 * The scale is the block's largest magnitude and each value is rounded, half
 * away from zero, to -1, 0 or 1 times it. ggml makes both types with these
 * reference quantizers whatever the importance matrix, so it is ignored here
 * too. The layouts are in ggml_blocks.h. */
#include <math.h>

#include "codecs_ggml.h"
#include "ggml_blocks.h"

/* The scale d (kept as f32: ggml multiplies by 1/d before rounding d to
 * f16) of 256 values. */
static float scale(const float *x)
{
    float m = 0.0f;
    for (int j = 0; j < LQ__QK_K; j++)
        m = fmaxf(m, fabsf(x[j]));
    return m;
}

/* The trit 0, 1, 2 of x: lroundf as ggml calls it, including what it gives
 * for the NaN and infinities of 0 * (1/d) and x / d when 1/d overflows. */
static int trit(float x, float id)
{
    return (int)lroundf(x * id) + 1;
}

/* A byte of k trits of x[0], x[stride], ..., most significant first, scaled
 * so that trit t of the byte is the top bits of (byte * 3^t mod 256) * 3
 * (ggml's ceiling of q * 256 / 243; k = 4 leaves a fifth trit of 0). */
static uint8_t trit_byte(const float *x, int stride, int k, float id)
{
    unsigned q = 0;
    for (int n = 0; n < k; n++)
        q = (uint8_t)(q * 3 + (unsigned)trit(x[n * stride], id));
    for (int n = k; n < 5; n++)
        q = (uint8_t)(q * 3);
    return (uint8_t)((q * 256 + 242) / 243);
}

static void quantize_tq1_0(const float *x, void *vy, int64_t n, const float *imatrix)
{
    (void)imatrix;
    lq__blk_tq1_0 *y = vy;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, x += LQ__QK_K) {
        const float d = scale(x), id = d ? 1.0f / d : 0.0f;
        y[i].d = lq__h(d);
        for (int m = 0; m < 32; m++)
            y[i].qs[m] = trit_byte(x + m, 32, 5, id);
        for (int m = 0; m < 16; m++)
            y[i].qs[32 + m] = trit_byte(x + 160 + m, 16, 5, id);
        for (int m = 0; m < 4; m++)
            y[i].qh[m] = trit_byte(x + 240 + m, 4, 4, id);
    }
}

static void quantize_tq2_0(const float *x, void *vy, int64_t n, const float *imatrix)
{
    (void)imatrix;
    lq__blk_tq2_0 *y = vy;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, x += LQ__QK_K) {
        const float d = scale(x), id = d ? 1.0f / d : 0.0f;
        y[i].d = lq__h(d);
        for (int j = 0; j < 64; j++) {
            const float *xj = x + 128 * (j / 32) + j % 32;
            unsigned q = 0;
            for (int l = 0; l < 4; l++)
                q |= (unsigned)(trit(xj[32 * l], id) & 3) << (2 * l);
            y[i].qs[j] = (uint8_t)q;
        }
    }
}

/* k bytes of five (four for qh) trits each: trit t of byte m is element t k + m. */
static float *tq1_run(const uint8_t *q, int k, int trits, float d, float *y)
{
    for (int t = 0; t < trits; t++)
        for (int m = 0; m < k; m++)
            *y++ = (float)lq__tq1_value(q[m], t) * d;
    return y;
}

static void dequantize_tq1_0(const void *vx, float *y, int64_t n)
{
    const lq__blk_tq1_0 *x = vx;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        const float d = lq__f(x[i].d);
        y = tq1_run(x[i].qs, 32, 5, d, y);
        y = tq1_run(x[i].qs + 32, 16, 5, d, y);
        y = tq1_run(x[i].qh, 4, 4, d, y);
    }
}

static void dequantize_tq2_0(const void *vx, float *y, int64_t n)
{
    const lq__blk_tq2_0 *x = vx;
    for (int64_t i = 0; i < n / LQ__QK_K; i++) {
        const float d = lq__f(x[i].d);
        for (int j = 0; j < 64; j += 32)
            for (int l = 0; l < 4; l++)
                for (int m = 0; m < 32; m++)
                    *y++ = (float)(((x[i].qs[j + m] >> (2 * l)) & 3) - 1) * d;
    }
}

LQ__GGML_CODEC_F16(lq__codec_tq1_0, quantize_tq1_0, dequantize_tq1_0, lq__blk_tq1_0, d);
LQ__GGML_CODEC_F16(lq__codec_tq2_0, quantize_tq2_0, dequantize_tq2_0, lq__blk_tq2_0, d);
