/* ggml_fp4.c — the microscaling 4-bit float types MXFP4 (32 E2M1 values with
 * an E8M0 power-of-two scale) and NVFP4 (64 values in four sub-blocks of 16,
 * each with a UE4M3 scale), bit-exact with ggml.
 *
 * ggml makes both with its reference quantizers whatever the importance
 * matrix (quantize_mxfp4 and quantize_nvfp4 ignore it), so the matrix is
 * ignored here too: the scale comes from the block's largest magnitude and
 * each value takes the nearest level, the first of equally near ones. */
#include <math.h>

#include "codecs_ggml.h"
#include "ggml_blocks.h"

/* The code whose level times d is nearest to x (the lowest code on ties, so
 * +0 before -0 and the positive level before a negative one). */
static uint8_t nearest_fp4(float x, float d)
{
    int best = 0;
    float best_err = fabsf((float)lq__fp4_levels[0] * d - x);
    for (int i = 1; i < 16; i++) {
        const float err = fabsf((float)lq__fp4_levels[i] * d - x);
        if (err < best_err) {
            best = i;
            best_err = err;
        }
    }
    return (uint8_t)best;
}

static float absmax(const float *x, int n)
{
    float m = 0.0f;
    for (int j = 0; j < n; j++)
        if (m < fabsf(x[j]))
            m = fabsf(x[j]);
    return m;
}

/* n values (n even), j and j + n/2 into the low and high nibble of byte j. */
static void put_codes(const float *x, int n, float d, uint8_t *qs)
{
    for (int j = 0; j < n / 2; j++)
        qs[j] = (uint8_t)(nearest_fp4(x[j], d) | nearest_fp4(x[j + n / 2], d) << 4);
}

static void quantize_mxfp4(const float *x, void *vy, int64_t n, const float *imatrix)
{
    (void)imatrix;
    lq__blk_mxfp4 *y = vy;
    for (int64_t i = 0; i < n / LQ__QK; i++, x += LQ__QK) {
        const float amax = absmax(x, LQ__QK);
        /* the scale 2^(e - 127) that puts amax / scale in [4, 8), near E2M1's
         * largest value 6. ggml converts the float to uint8_t
         * directly, which for exponents below 0 (amax under 2^-125) wraps on
         * x86 as going through int does; through int it is defined C. */
        const uint8_t e = amax > 0.0f ? (uint8_t)(int)(floorf(log2f(amax)) - 2 + 127) : 0;
        y[i].e = e;
        put_codes(x, LQ__QK, lq__e8m0_half(e), y[i].qs);
    }
}

/* ggml_fp32_to_ue4m3: x to the nearest UE4M3 byte, rounding the fourth
 * mantissa bit up (ties away from zero), 448 and above to 0x7E (448), below
 * the smallest subnormal to 0. */
static uint8_t to_ue4m3(float x)
{
    if (!(x > 0.0f))
        return 0;
    if (x > 448.0f)
        x = 448.0f;
    const uint32_t bits = lq__f32_bits(x);
    int e = (int)((bits >> 23) & 0xFF) - 127 + 7;
    if (e <= 0) { /* subnormal: m 2^-9 with m = round(x 2^9), at most 7 */
        const int m = (int)(x * 512.0f + 0.5f);
        return (uint8_t)(m > 7 ? 7 : m < 1 ? 0 : m);
    }
    if (e >= 15)
        return 0x7E;
    int m = (int)((bits >> 20) & 7) + (int)((bits >> 19) & 1);
    if (m > 7) {
        m = 0;
        if (++e >= 15)
            return 0x7E;
    }
    return (uint8_t)(e << 3 | m);
}

static void quantize_nvfp4(const float *x, void *vy, int64_t n, const float *imatrix)
{
    (void)imatrix;
    lq__blk_nvfp4 *y = vy;
    for (int64_t i = 0; i < n / 64; i++) {
        for (int s = 0; s < 4; s++, x += 16) {
            /* the largest level, 6 (E2M1's largest value), at amax */
            const uint8_t ue = to_ue4m3(absmax(x, 16) / 6.0f);
            y[i].d[s] = ue;
            put_codes(x, 16, lq__ue4m3_half(ue), y[i].qs + 8 * s);
        }
    }
}

static void dequantize_mxfp4(const void *vx, float *y, int64_t n)
{
    const lq__blk_mxfp4 *x = vx;
    for (int64_t i = 0; i < n / LQ__QK; i++, y += LQ__QK) {
        const float d = lq__e8m0_half(x[i].e);
        for (int j = 0; j < 16; j++) {
            y[j] = (float)lq__fp4_levels[x[i].qs[j] & 0xF] * d;
            y[j + 16] = (float)lq__fp4_levels[x[i].qs[j] >> 4] * d;
        }
    }
}

static void dequantize_nvfp4(const void *vx, float *y, int64_t n)
{
    const lq__blk_nvfp4 *x = vx;
    for (int64_t i = 0; i < n / 64; i++) {
        for (int s = 0; s < 4; s++, y += 16) {
            const float d = lq__ue4m3_half(x[i].d[s]);
            const uint8_t *qs = x[i].qs + 8 * s;
            for (int j = 0; j < 8; j++) {
                y[j] = (float)lq__fp4_levels[qs[j] & 0xF] * d;
                y[j + 8] = (float)lq__fp4_levels[qs[j] >> 4] * d;
            }
        }
    }
}

LQ__GGML_CODEC(lq__codec_mxfp4, quantize_mxfp4, dequantize_mxfp4);
LQ__GGML_CODEC(lq__codec_nvfp4, quantize_nvfp4, dequantize_nvfp4);
