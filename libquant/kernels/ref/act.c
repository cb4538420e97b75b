/* act.c — activation quantizers (q8_0, q8_1, q8_K), bit-exact with ggml's
 * reference row functions, and the activation row sizes. One implementation
 * for every level: see kernels.h. */
#include <math.h>
#include <string.h>

#include "../../core/type_info.h"
#include "../blocks.h"
#include "../kernels.h"

static float max_abs(const float *x, int n)
{
    float amax = 0.0f;
    for (int j = 0; j < n; j++)
        amax = fmaxf(amax, fabsf(x[j]));
    return amax;
}

/* roundf (halves away from zero) for |v| < 2^23, without a libm call:
 * v - trunc(v) is exact, so the comparison with one half is too. */
static inline int round_half_away(float v)
{
    int t = (int)v;
    float frac = v - (float)t;
    return t + (frac >= 0.5f) - (frac <= -0.5f);
}

static void quant_q8_0(const float *x, void *vy, int64_t n)
{
    lq__blk_q8_0 *y = vy;
    for (int64_t i = 0; i < n / LQ__QK; i++, x += LQ__QK) {
        float d = max_abs(x, LQ__QK) / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = lq__f32_to_f16(d);
        for (int j = 0; j < LQ__QK; j++)
            y[i].qs[j] = (int8_t)round_half_away(x[j] * id);
    }
}

static void quant_q8_1(const float *x, void *vy, int64_t n)
{
    lq__blk_q8_1 *y = vy;
    for (int64_t i = 0; i < n / LQ__QK; i++, x += LQ__QK) {
        float d = max_abs(x, LQ__QK) / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        int sum = 0;
        y[i].d = lq__f32_to_f16(d);
        for (int j = 0; j < LQ__QK; j++) {
            y[i].qs[j] = (int8_t)round_half_away(x[j] * id);
            sum += y[i].qs[j];
        }
        y[i].s = lq__f32_to_f16((float)sum * d);
    }
}

/* ggml's nearest_int: round half to even through the float significand,
 * exact for |f| <= 2^22. */
static int nearest_int(float f)
{
    float v = f + 12582912.0f;
    int32_t i;
    memcpy(&i, &v, sizeof i);
    return (i & 0x007fffff) - 0x00400000;
}

static void quant_q8_k(const float *x, void *vy, int64_t n)
{
    lq__blk_q8_k *y = vy;
    for (int64_t i = 0; i < n / LQ__QK_K; i++, x += LQ__QK_K) {
        float amax = 0.0f, max = 0.0f; /* max: the signed value of largest magnitude, first wins */
        for (int j = 0; j < LQ__QK_K; j++) {
            if (fabsf(x[j]) > amax) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        memset(&y[i], 0, sizeof y[i]);
        if (amax == 0.0f)
            continue;
        float iscale = -127.0f / max;
        for (int j = 0; j < LQ__QK_K; j++) {
            int q = nearest_int(iscale * x[j]);
            y[i].qs[j] = (int8_t)(q < 127 ? q : 127);
        }
        for (int j = 0; j < LQ__QK_K / 16; j++) {
            int s = 0;
            for (int l = 0; l < 16; l++)
                s += y[i].qs[16 * j + l];
            y[i].bsums[j] = (int16_t)s;
        }
        y[i].d = 1.0f / iscale;
    }
}

lq__quant_act_fn lq__quant_act_for(lq_type act_type)
{
    switch (act_type) {
    case LQ_TYPE_Q8_0: return quant_q8_0;
    case LQ_TYPE_Q8_1: return quant_q8_1;
    case LQ_TYPE_Q8_K: return quant_q8_k;
    default: return NULL;
    }
}

int64_t lq__act_row_bytes(lq_type act_type, int64_t n)
{
    const lq__type_info *ti = lq__type(act_type);
    if (act_type == LQ_TYPE_F32)
        return 4 * n;
    return n / ti->block_elems * ti->block_bytes;
}
