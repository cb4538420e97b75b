/* linear.c — scalar reference kernels for the linear int8/int4/int3/int2 rows
 * (layout in formats/linear.h): decoding, and dot products with q8_0
 * activations, summed as integers per block of 32. */
#include "../../formats/ggml_blocks.h"
#include "../../formats/linear.h"
#include "../kernels.h"
#include "ref.h"

static void lin_dequant(int64_t k, const lq__lin_row *w, float *y, int bits)
{
    for (int64_t g = 0; g * w->group < k; g++) {
        float scale = lq__lin_scale(w, g);
        int zero = w->zeros ? w->zeros[g] : 1 << (bits - 1);
        for (int64_t j = g * w->group; j < (g + 1) * w->group; j++)
            y[j] = scale * (float)(lq__linear_get_code(w->codes, j, bits) - zero);
    }
}

static float lin_dot(int64_t k, const lq__lin_row *w, const void *va, int bits)
{
    const lq__blk_q8_0 *a = va;
    float s = 0.0f;
    for (int64_t b = 0; b < k / LQ__QK; b++) {
        int64_t g = b * LQ__QK / w->group;
        int zero = w->zeros ? w->zeros[g] : 1 << (bits - 1);
        int sum = 0;
        for (int j = 0; j < LQ__QK; j++)
            sum += (lq__linear_get_code(w->codes, b * LQ__QK + j, bits) - zero) * a[b].qs[j];
        s += lq__lin_scale(w, g) * lq__f16_to_f32(a[b].d) * (float)sum;
    }
    return s;
}

#define LIN_KERNELS(bits)                                                                 \
    static void lin##bits##_dequant(int64_t k, const lq__lin_row *w, float *y)            \
    {                                                                                     \
        lin_dequant(k, w, y, bits);                                                       \
    }                                                                                     \
    static float lin##bits##_dot(int64_t k, const lq__lin_row *w, const void *a)          \
    {                                                                                     \
        return lin_dot(k, w, a, bits);                                                    \
    }
LIN_KERNELS(8)
LIN_KERNELS(4)
LIN_KERNELS(3)
LIN_KERNELS(2)
#undef LIN_KERNELS

void lq__ref_fill_linear(lq__kernels *k)
{
    k->lin_dequant[lq__lin_slot(8)] = lin8_dequant;
    k->lin_dequant[lq__lin_slot(4)] = lin4_dequant;
    k->lin_dequant[lq__lin_slot(3)] = lin3_dequant;
    k->lin_dequant[lq__lin_slot(2)] = lin2_dequant;
    k->lin_dot[lq__lin_slot(8)] = lin8_dot;
    k->lin_dot[lq__lin_slot(4)] = lin4_dot;
    k->lin_dot[lq__lin_slot(3)] = lin3_dot;
    k->lin_dot[lq__lin_slot(2)] = lin2_dot;
}
